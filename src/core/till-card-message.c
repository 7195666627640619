/* till-card-message.c: the messages the card page posts to native code
 *
 * The card page is the one part of Till that runs code Till did not write
 * (Stripe.js), so what it posts is treated as hostile: a fixed shape per
 * message type, exact JSON types, ids, brands and codes from fixed patterns
 * or lists, and no field that could carry an amount. The page builds its
 * messages with JSON.stringify(), so anything JSON.stringify() never writes
 * (comments, single quotes, hex numbers, a key twice, text after the
 * object) is a forgery and is refused, although json-glib 1.6 alone would
 * take it.
 *
 * No error message quotes the page's text: they go to logs as they are.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "till-card-message"

#include <string.h>

#include <json-glib/json-glib.h>

#include "till-card-message.h"
#include "till-json-util.h"

/* The deepest message, {"token":{"card":{...}}}, nests 3 deep. */
#define MAX_DEPTH        4
#define MAX_ID_BODY      250
#define MAX_CODE         100
#define MAX_TEXT         500
#define MIN_EXP_YEAR     2000
#define MAX_EXP_YEAR     2100

G_DEFINE_QUARK (till-card-message-error-quark, till_card_message_error)

static const char * const brands[] = {
  "visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay",
  "cartes_bancaires", "eftpos_au", "interac", "unknown", NULL
};

/* createToken() spells brands as the Card object of the Tokens API does. */
static const struct
{
  const char *token_brand;
  const char *brand;
} token_brands[] = {
  { "American Express", "amex" },
  { "Cartes Bancaires", "cartes_bancaires" },
  { "Diners Club", "diners" },
  { "Discover", "discover" },
  { "Eftpos Australia", "eftpos_au" },
  { "Interac", "interac" },
  { "JCB", "jcb" },
  { "MasterCard", "mastercard" },
  { "UnionPay", "unionpay" },
  { "Visa", "visa" },
  { "Unknown", "unknown" },
};

static const char * const error_types[] = {
  "card_error", "validation_error", "api_connection_error", "api_error",
  "authentication_error", "idempotency_error", "invalid_request_error",
  "rate_limit_error", NULL
};

static const char * const intent_statuses[] = {
  "requires_payment_method", "requires_confirmation", "requires_action",
  "processing", "requires_capture", "canceled", "succeeded", NULL
};

void
till_card_message_free (TillCardMessage *message)
{
  if (message == NULL)
    return;

  g_free (message->error_code);
  g_free (message->error_message);
  g_free (message->id);
  g_free (message->brand);
  g_free (message->last4);
  g_free (message->error_type);
  g_free (message->decline_code);
  g_free (message->payment_intent_id);
  g_free (message->payment_intent_status);
  g_free (message);
}

/* Parsing */

/* The size first, then the shared strict check (till-json-util.c), with
 * this module's error codes: a NUL or an out-of-range number is a bad
 * field, anything else is not a message at all. */
static JsonObject *
parse_root (const char  *json,
            gsize        length,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (length > TILL_CARD_MESSAGE_MAX_SIZE)
    {
      g_set_error (error, TILL_CARD_MESSAGE_ERROR, TILL_CARD_MESSAGE_ERROR_TOO_LARGE,
                   "The message is larger than %d bytes", TILL_CARD_MESSAGE_MAX_SIZE);
      return NULL;
    }

  root = till_json_parse_strict (json, length, MAX_DEPTH, &local_error);
  if (root == NULL)
    {
      gboolean bad_field = local_error->code == TILL_JSON_RAW_NUL ||
                           local_error->code == TILL_JSON_RAW_NUMBER_TOO_LONG;

      g_set_error (error, TILL_CARD_MESSAGE_ERROR,
                   bad_field ? TILL_CARD_MESSAGE_ERROR_BAD_FIELD : TILL_CARD_MESSAGE_ERROR_MALFORMED,
                   "The message is refused: %s", local_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TILL_CARD_MESSAGE_ERROR, TILL_CARD_MESSAGE_ERROR_MALFORMED,
                           "The message is not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
is_forbidden_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return strstr (lower, "amount") != NULL || strstr (lower, "currency") != NULL;
}

/* Any depth, any object, before the shape is looked at: a forged amount is
 * called what it is even inside a field that is unknown anyway. */
static gboolean
check_forbidden_names (JsonNode  *node,
                       GError   **error)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) names = json_object_get_members (object);

      for (GList *l = names; l != NULL; l = l->next)
        {
          if (is_forbidden_name (l->data))
            {
              g_set_error_literal (error, TILL_CARD_MESSAGE_ERROR, TILL_CARD_MESSAGE_ERROR_FORBIDDEN_FIELD,
                                   "The message has a field for an amount or a currency, "
                                   "which only native code sets");
              return FALSE;
            }
          if (!check_forbidden_names (json_object_get_member (object, l->data), error))
            return FALSE;
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!check_forbidden_names (json_array_get_element (array, i), error))
          return FALSE;
    }
  return TRUE;
}

/* Fields */

/* path is the object's place in the message ("token.card", "" for the
 * root); only these names of Till's own reach an error message. */
static char *
field_name (const char *path,
            const char *name)
{
  return *path != '\0' ? g_strconcat (path, ".", name, NULL) : g_strdup (name);
}

static gboolean
bad_field (GError     **error,
           const char  *path,
           const char  *name,
           const char  *problem)
{
  g_autofree char *field = field_name (path, name);

  g_set_error (error, TILL_CARD_MESSAGE_ERROR, TILL_CARD_MESSAGE_ERROR_BAD_FIELD,
               "Field %s %s", field, problem);
  return FALSE;
}

static gboolean
check_members (JsonObject         *object,
               const char         *path,
               const char * const *allowed,
               GError            **error)
{
  g_autoptr(GList) names = json_object_get_members (object);

  for (GList *l = names; l != NULL; l = l->next)
    {
      if (!g_strv_contains (allowed, l->data))
        {
          g_set_error (error, TILL_CARD_MESSAGE_ERROR, TILL_CARD_MESSAGE_ERROR_UNKNOWN_FIELD,
                       "The %s object has a field it does not allow",
                       *path != '\0' ? path : "message");
          return FALSE;
        }
    }
  return TRUE;
}

/* Returns the member, NULL with no error when an optional one is absent or
 * null, NULL with an error when a required one is. */
static JsonNode *
get_member (JsonObject  *object,
            const char  *path,
            const char  *name,
            gboolean     required,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    return node;
  if (required)
    bad_field (error, path, name, "is missing or null");
  return NULL;
}

static gboolean
holds_value_type (JsonNode *node,
                  GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static JsonObject *
get_object (JsonObject  *object,
            const char  *path,
            const char  *name,
            gboolean     required,
            GError     **error)
{
  JsonNode *node = get_member (object, path, name, required, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      bad_field (error, path, name, "is not an object");
      return NULL;
    }
  return json_node_get_object (node);
}

static gboolean
get_boolean (JsonObject  *object,
             const char  *path,
             const char  *name,
             gboolean    *out,
             GError     **error)
{
  JsonNode *node = get_member (object, path, name, TRUE, error);

  if (node == NULL)
    return FALSE;
  if (!holds_value_type (node, G_TYPE_BOOLEAN))
    return bad_field (error, path, name, "is not a boolean");
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* json-glib reads 12.0 and 1e1 as doubles: they are refused, as
 * JSON.stringify writes whole numbers without a point or an exponent. */
static gboolean
get_int (JsonObject  *object,
         const char  *path,
         const char  *name,
         int          min,
         int          max,
         int         *out,
         GError     **error)
{
  JsonNode *node = get_member (object, path, name, TRUE, error);
  gint64 value;

  if (node == NULL)
    return FALSE;
  if (!holds_value_type (node, G_TYPE_INT64))
    return bad_field (error, path, name, "is not an integer");
  value = json_node_get_int (node);
  if (value < min || value > max)
    return bad_field (error, path, name, "is out of range");
  *out = (int) value;
  return TRUE;
}

/* C0, DEL and C1 controls, and the bidirectional embeddings, overrides and
 * isolates, which could make Stripe's words read otherwise on screen. */
static gboolean
has_control_chars (const char *s)
{
  for (const char *p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) == G_UNICODE_CONTROL ||
          (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return TRUE;
    }
  return FALSE;
}

/* A string of 1 to max_length bytes, valid UTF-8, without control
 * characters. *out points into the JSON tree. */
static gboolean
get_string (JsonObject  *object,
            const char  *path,
            const char  *name,
            gboolean     required,
            gsize        max_length,
            const char **out,
            GError     **error)
{
  JsonNode *node = get_member (object, path, name, required, error);
  const char *value;
  gsize length;

  *out = NULL;
  if (node == NULL)
    return !required;
  if (!holds_value_type (node, G_TYPE_STRING))
    return bad_field (error, path, name, "is not a string");
  value = json_node_get_string (node);
  length = strlen (value);
  if (length == 0)
    return bad_field (error, path, name, "is empty");
  if (length > max_length)
    return bad_field (error, path, name, "is too long");
  if (!g_utf8_validate (value, length, NULL) || has_control_chars (value))
    return bad_field (error, path, name, "has a control character or is not UTF-8");
  *out = value;
  return TRUE;
}

static gboolean
matches_charset (const char *s,
                 gboolean    lowercase_only)
{
  for (const char *p = s; *p; p++)
    {
      gboolean ok = lowercase_only ? (g_ascii_islower (*p) || g_ascii_isdigit (*p))
                                   : g_ascii_isalnum (*p);

      if (!ok && *p != '_')
        return FALSE;
    }
  return TRUE;
}

/* Stripe's test ids carry underscores (pm_card_visa, pi_test_...), so _ is
 * allowed after the prefix in all three. A client secret
 * (pi_..._secret_...) fits that pattern too, but is no id: it is refused so
 * that it never ends up in a log. */
static gboolean
get_id (JsonObject  *object,
        const char  *path,
        const char  *name,
        const char  *prefix,
        char       **out,
        GError     **error)
{
  gsize prefix_length = strlen (prefix);
  const char *value;

  if (!get_string (object, path, name, TRUE, prefix_length + MAX_ID_BODY, &value, error))
    return FALSE;
  if (!g_str_has_prefix (value, prefix) || value[prefix_length] == '\0' ||
      !matches_charset (value + prefix_length, FALSE) || strstr (value, "_secret_") != NULL)
    return bad_field (error, path, name, "is not an id of the expected kind");
  *out = g_strdup (value);
  return TRUE;
}

/* Stripe's codes and decline codes: snake_case words. */
static gboolean
get_code (JsonObject  *object,
          const char  *path,
          const char  *name,
          gboolean     required,
          char       **out,
          GError     **error)
{
  const char *value;

  if (!get_string (object, path, name, required, MAX_CODE, &value, error))
    return FALSE;
  if (value != NULL && !matches_charset (value, TRUE))
    return bad_field (error, path, name, "is not a code");
  *out = g_strdup (value);
  return TRUE;
}

static gboolean
get_text (JsonObject  *object,
          const char  *path,
          const char  *name,
          char       **out,
          GError     **error)
{
  const char *value;

  if (!get_string (object, path, name, TRUE, MAX_TEXT, &value, error))
    return FALSE;
  *out = g_strdup (value);
  return TRUE;
}

/* The copy is the list's own string, not the page's. */
static gboolean
get_from_list (JsonObject         *object,
               const char         *path,
               const char         *name,
               const char * const *list,
               char              **out,
               GError            **error)
{
  const char *value;

  if (!get_string (object, path, name, TRUE, MAX_CODE, &value, error))
    return FALSE;
  for (gsize i = 0; list[i] != NULL; i++)
    {
      if (strcmp (value, list[i]) == 0)
        {
          *out = g_strdup (list[i]);
          return TRUE;
        }
    }
  return bad_field (error, path, name, "is not one of the known values");
}

static gboolean
get_token_brand (JsonObject  *object,
                 const char  *path,
                 char       **out,
                 GError     **error)
{
  const char *value;

  if (!get_string (object, path, "brand", TRUE, MAX_CODE, &value, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (token_brands); i++)
    {
      if (strcmp (value, token_brands[i].token_brand) == 0)
        {
          *out = g_strdup (token_brands[i].brand);
          return TRUE;
        }
    }
  return bad_field (error, path, "brand", "is not one of the known values");
}

static gboolean
get_last4 (JsonObject  *object,
           const char  *path,
           char       **out,
           GError     **error)
{
  const char *value;

  if (!get_string (object, path, "last4", TRUE, 4, &value, error))
    return FALSE;
  for (int i = 0; i < 4; i++)
    if (!g_ascii_isdigit (value[i]))
      return bad_field (error, path, "last4", "is not 4 digits");
  *out = g_strdup (value);
  return TRUE;
}

/* Messages */

static gboolean
parse_ready (JsonObject       *root,
             TillCardMessage  *message,
             GError          **error)
{
  static const char * const allowed[] = { "type", NULL };

  return check_members (root, "", allowed, error);
}

/* Stripe leaves error undefined when there is none, and JSON.stringify
 * then leaves it out: absent and null both mean no error. */
static gboolean
parse_change (JsonObject       *root,
              TillCardMessage  *message,
              GError          **error)
{
  static const char * const allowed[] = { "type", "complete", "empty", "brand", "error", NULL };
  static const char * const error_allowed[] = { "code", "message", NULL };
  JsonObject *change_error;
  GError *local_error = NULL;

  if (!check_members (root, "", allowed, error) ||
      !get_boolean (root, "", "complete", &message->complete, error) ||
      !get_boolean (root, "", "empty", &message->empty, error) ||
      !get_from_list (root, "", "brand", brands, &message->brand, error))
    return FALSE;

  change_error = get_object (root, "", "error", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (change_error == NULL)
    return TRUE;
  return check_members (change_error, "error", error_allowed, error) &&
         get_code (change_error, "error", "code", TRUE, &message->error_code, error) &&
         get_text (change_error, "error", "message", &message->error_message, error);
}

/* token and payment_method: {id, card{brand, last4, exp_month, exp_year}} */
static gboolean
parse_card_result (JsonObject       *root,
                   const char       *name,
                   const char       *id_prefix,
                   TillCardMessage  *message,
                   GError          **error)
{
  const char *allowed[] = { "type", name, NULL };
  static const char * const result_allowed[] = { "id", "card", NULL };
  static const char * const card_allowed[] = { "brand", "last4", "exp_month", "exp_year", NULL };
  g_autofree char *card_path = g_strconcat (name, ".card", NULL);
  JsonObject *result;
  JsonObject *card;
  gboolean brand_ok;

  if (!check_members (root, "", allowed, error) ||
      (result = get_object (root, "", name, TRUE, error)) == NULL ||
      !check_members (result, name, result_allowed, error) ||
      !get_id (result, name, "id", id_prefix, &message->id, error) ||
      (card = get_object (result, name, "card", TRUE, error)) == NULL ||
      !check_members (card, card_path, card_allowed, error))
    return FALSE;

  if (message->type == TILL_CARD_MESSAGE_TOKEN)
    brand_ok = get_token_brand (card, card_path, &message->brand, error);
  else
    brand_ok = get_from_list (card, card_path, "brand", brands, &message->brand, error);

  return brand_ok &&
         get_last4 (card, card_path, &message->last4, error) &&
         get_int (card, card_path, "exp_month", 1, 12, &message->exp_month, error) &&
         get_int (card, card_path, "exp_year", MIN_EXP_YEAR, MAX_EXP_YEAR, &message->exp_year, error);
}

static gboolean
parse_error_result (JsonObject       *root,
                    TillCardMessage  *message,
                    GError          **error)
{
  static const char * const allowed[] = { "type", "error", NULL };
  static const char * const error_allowed[] = { "type", "code", "decline_code", "message", NULL };
  JsonObject *result;

  return check_members (root, "", allowed, error) &&
         (result = get_object (root, "", "error", TRUE, error)) != NULL &&
         check_members (result, "error", error_allowed, error) &&
         get_from_list (result, "error", "type", error_types, &message->error_type, error) &&
         get_code (result, "error", "code", FALSE, &message->error_code, error) &&
         get_code (result, "error", "decline_code", FALSE, &message->decline_code, error) &&
         get_text (result, "error", "message", &message->error_message, error);
}

static gboolean
parse_action_result (JsonObject       *root,
                     TillCardMessage  *message,
                     GError          **error)
{
  static const char * const allowed[] = { "type", "payment_intent", NULL };
  static const char * const intent_allowed[] = { "id", "status", NULL };
  JsonObject *intent;

  return check_members (root, "", allowed, error) &&
         (intent = get_object (root, "", "payment_intent", TRUE, error)) != NULL &&
         check_members (intent, "payment_intent", intent_allowed, error) &&
         get_id (intent, "payment_intent", "id", "pi_", &message->payment_intent_id, error) &&
         get_from_list (intent, "payment_intent", "status", intent_statuses,
                        &message->payment_intent_status, error);
}

static gboolean
parse_message (JsonObject       *root,
               TillCardMessage  *message,
               GError          **error)
{
  static const struct
  {
    const char          *name;
    TillCardMessageType  type;
  } types[] = {
    { "ready", TILL_CARD_MESSAGE_READY },
    { "change", TILL_CARD_MESSAGE_CHANGE },
    { "token", TILL_CARD_MESSAGE_TOKEN },
    { "payment_method", TILL_CARD_MESSAGE_PAYMENT_METHOD },
    { "error", TILL_CARD_MESSAGE_ERROR_RESULT },
    { "action_result", TILL_CARD_MESSAGE_ACTION_RESULT },
  };
  const char *type_name;
  gsize i;

  if (!get_string (root, "", "type", TRUE, MAX_CODE, &type_name, error))
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (types) && strcmp (type_name, types[i].name) != 0; i++)
    ;
  if (i == G_N_ELEMENTS (types))
    {
      g_set_error_literal (error, TILL_CARD_MESSAGE_ERROR, TILL_CARD_MESSAGE_ERROR_UNKNOWN_TYPE,
                           "The message's type is not one this terminal knows");
      return FALSE;
    }
  message->type = types[i].type;

  switch (message->type)
    {
    case TILL_CARD_MESSAGE_READY:
      return parse_ready (root, message, error);
    case TILL_CARD_MESSAGE_CHANGE:
      return parse_change (root, message, error);
    case TILL_CARD_MESSAGE_TOKEN:
      return parse_card_result (root, "token", "tok_", message, error);
    case TILL_CARD_MESSAGE_PAYMENT_METHOD:
      return parse_card_result (root, "payment_method", "pm_", message, error);
    case TILL_CARD_MESSAGE_ERROR_RESULT:
      return parse_error_result (root, message, error);
    case TILL_CARD_MESSAGE_ACTION_RESULT:
      return parse_action_result (root, message, error);
    default:
      g_assert_not_reached ();
    }
}

/**
 * till_card_message_parse:
 * @json: the message as the page posted it (not necessarily NUL-terminated)
 * @length: its length in bytes
 * @error: return location for a %TILL_CARD_MESSAGE_ERROR
 *
 * Checks, in this order: size, UTF-8, nesting depth, long integers and
 * \u0000, strict JSON syntax, duplicate keys, an object at the root,
 * amount or currency fields anywhere, the type, then the type's shape.
 *
 * Returns: (transfer full): the message, or %NULL with @error set
 */
TillCardMessage *
till_card_message_parse (const char  *json,
                         gsize        length,
                         GError     **error)
{
  g_autoptr(TillCardMessage) message = NULL;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(JsonNode) root_node = NULL;

  g_return_val_if_fail (json != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((root = parse_root (json, length, error)) == NULL)
    return NULL;

  root_node = json_node_init_object (json_node_alloc (), root);
  if (!check_forbidden_names (root_node, error))
    return NULL;

  message = g_new0 (TillCardMessage, 1);
  if (!parse_message (root, message, error))
    return NULL;
  return g_steal_pointer (&message);
}
