/* till-backend-answers.c: the shop server's answers, read strictly into small structs
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every field the terminal reads from the shop server goes through here,
 * so that a server that lies, is broken or sits behind something hostile
 * cannot hand the terminal a string it would misread: a role "manager\0",
 * a token cut at a NUL escape, a 1 MiB "shop name", a payment id that is a
 * path, a status nobody knows. The server holds requests to the same rules
 * (docs/api.md, "Request bodies"); the terminal's side of the limits is in
 * docs/api.md, "What the terminal accepts".
 *
 * Pure functions, no I/O: they take raw bytes or a JsonObject, so that a
 * fuzzer can call them without a network. Whether an answer is about the
 * right sale or cashier is for the caller (till-sale.c, till-session.c),
 * which knows what it sent.
 */
#include "config.h"

#include <string.h>

#include "till-backend-answers.h"
#include "till-json-util.h"
#include "till-money.h"

G_DEFINE_QUARK (till-answer-error-quark, till_answer_error)

/* Raw bytes */

JsonObject *
till_answer_parse_object (const char  *data,
                          gsize        length,
                          GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) parse_error = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error_literal (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_NOT_JSON, "The answer is empty");
      return NULL;
    }
  /* RFC 8259 and nothing else: no \u0000, no invalid UTF-8 or lone
   * surrogate, no number json-glib would misread, no duplicate key. */
  root = till_json_parse_strict (data, length, TILL_ANSWER_MAX_DEPTH, &parse_error);
  if (root == NULL)
    {
      g_set_error (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_NOT_JSON, "The answer is not strict JSON: %s",
                   parse_error->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_NOT_JSON,
                           "The answer is not a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/* Members */

static void
set_invalid (GError     **error,
             const char  *name,
             const char  *why)
{
  g_set_error (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_INVALID, "The server's “%s” %s", name, why);
}

static void
set_missing (GError     **error,
             const char  *name)
{
  g_set_error (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_MISSING, "The server's answer has no “%s”", name);
}

static void
set_wrong_type (GError     **error,
                const char  *name,
                const char  *type)
{
  g_set_error (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_WRONG_TYPE,
               "The server's “%s” is not %s", name, type);
}

/* NULL for absent or null. */
static JsonNode *
get_member (JsonObject *object,
            const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

/* member is looked up; path names it in messages ("payment.card.brand"). */
static gboolean
read_string (JsonObject   *object,
             const char   *member,
             const char   *path,
             gsize         max_bytes,
             gboolean      required,
             const char  **out_value,
             GError      **error)
{
  JsonNode *node = get_member (object, member);
  const char *value;
  gsize length;

  *out_value = NULL;
  if (node == NULL)
    {
      if (required)
        set_missing (error, path);
      return !required;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      set_wrong_type (error, path, "a string");
      return FALSE;
    }
  value = json_node_get_string (node);
  length = strlen (value);
  if (length > max_bytes)
    {
      set_invalid (error, path, "is longer than its limit");
      return FALSE;
    }
  if (!g_utf8_validate_len (value, length, NULL))
    {
      set_invalid (error, path, "is not valid UTF-8");
      return FALSE;
    }
  for (gsize i = 0; i < length; i++)
    if ((guchar) value[i] < 0x20 || value[i] == 0x7f)
      {
        set_invalid (error, path, "holds a control character");
        return FALSE;
      }
  if (required && length == 0)
    {
      set_missing (error, path);
      return FALSE;
    }
  *out_value = value;
  return TRUE;
}

gboolean
till_answer_get_string (JsonObject   *object,
                        const char   *name,
                        gsize         max_bytes,
                        gboolean      required,
                        const char  **out_value,
                        GError      **error)
{
  g_return_val_if_fail (name != NULL && out_value != NULL, FALSE);

  return read_string (object, name, name, max_bytes, required, out_value, error);
}

static gboolean
read_int (JsonObject  *object,
          const char  *member,
          const char  *path,
          gint64       min,
          gint64       max,
          gint64      *out_value,
          GError     **error)
{
  JsonNode *node = get_member (object, member);
  gint64 value;

  if (node == NULL)
    {
      set_missing (error, path);
      return FALSE;
    }
  /* json-glib reads 12.5 and 1e3 as doubles, true as a boolean. */
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      set_wrong_type (error, path, "an integer");
      return FALSE;
    }
  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      set_invalid (error, path, "is out of range");
      return FALSE;
    }
  *out_value = value;
  return TRUE;
}

gboolean
till_answer_get_int (JsonObject  *object,
                     const char  *name,
                     gint64       min,
                     gint64       max,
                     gint64      *out_value,
                     GError     **error)
{
  g_return_val_if_fail (name != NULL && out_value != NULL, FALSE);

  return read_int (object, name, name, min, max, out_value, error);
}

JsonObject *
till_answer_get_object (JsonObject *object,
                        const char *name)
{
  JsonNode *node = get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* An object member: NULL and no error when absent or null and optional. */
static gboolean
get_object (JsonObject  *object,
            const char  *name,
            gboolean     required,
            JsonObject **out_value,
            GError     **error)
{
  JsonNode *node = get_member (object, name);

  *out_value = NULL;
  if (node == NULL)
    {
      if (required)
        set_missing (error, name);
      return !required;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_wrong_type (error, name, "an object");
      return FALSE;
    }
  *out_value = json_node_get_object (node);
  return TRUE;
}

static gboolean
get_boolean (JsonObject  *object,
             const char  *name,
             gboolean    *out_value,
             GError     **error)
{
  JsonNode *node = get_member (object, name);

  *out_value = FALSE;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      set_wrong_type (error, name, "true or false");
      return FALSE;
    }
  *out_value = json_node_get_boolean (node);
  return TRUE;
}

/* Patterns, by hand: a fuzzer runs these millions of times. */

static gboolean
all_of (const char *text,
        const char *extra)
{
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && (extra == NULL || strchr (extra, *c) == NULL))
      return FALSE;
  return TRUE;
}

/* prefix, then 1 or more letters and digits (and extra). */
static gboolean
is_prefixed_id (const char *text,
                const char *prefix,
                const char *extra)
{
  gsize prefix_length = strlen (prefix);

  return g_str_has_prefix (text, prefix) && text[prefix_length] != '\0' &&
         all_of (text + prefix_length, extra);
}

static gboolean
is_code (const char *text)
{
  if (*text == '\0')
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_islower (*c) && !g_ascii_isdigit (*c) && *c != '_')
      return FALSE;
  return TRUE;
}

/* RFC 6750's b64token. */
static gboolean
is_b64token (const char *text)
{
  const char *c = text;

  while (*c != '\0' && (g_ascii_isalnum (*c) || strchr ("-._~+/", *c) != NULL))
    c++;
  if (c == text)
    return FALSE;
  while (*c == '=')
    c++;
  return *c == '\0';
}

/* "2026-11-27T19:11:54Z", the only form the API writes. */
static gboolean
parse_timestamp (const char *text,
                 gint64     *out_unix)
{
  g_autoptr(GDateTime) time = NULL;

  if (strlen (text) != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
      text[13] != ':' || text[16] != ':' || text[19] != 'Z')
    return FALSE;
  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    return FALSE;
  *out_unix = g_date_time_to_unix (time);
  return TRUE;
}

/* A string member that must also match check. */
static gboolean
get_checked (JsonObject   *object,
             const char   *path,
             const char   *member,
             gsize         max_bytes,
             gboolean      required,
             gboolean    (*check) (const char *),
             const char  **out_value,
             GError      **error)
{
  if (!read_string (object, member, path, max_bytes, required, out_value, error))
    return FALSE;
  if (*out_value != NULL && check != NULL && !check (*out_value))
    {
      set_invalid (error, path, "is not of the documented form");
      *out_value = NULL;
      return FALSE;
    }
  return TRUE;
}

/* Login */

static gboolean
is_role (const char *text)
{
  return g_str_equal (text, "cashier") || g_str_equal (text, "manager");
}

static gboolean
is_token (const char *text)
{
  return strlen (text) >= TILL_ANSWER_TOKEN_MIN && is_b64token (text);
}

void
till_login_answer_free (TillLoginAnswer *answer)
{
  if (answer == NULL)
    return;
  if (answer->token != NULL)
    {
      explicit_bzero (answer->token, strlen (answer->token));
      g_free (answer->token);
    }
  g_free (answer->name);
  g_free (answer->role);
  g_free (answer);
}

TillLoginAnswer *
till_login_answer_read (JsonObject  *object,
                        gboolean     with_token,
                        GError     **error)
{
  g_autoptr(TillLoginAnswer) answer = g_new0 (TillLoginAnswer, 1);
  JsonObject *user = NULL;
  const char *token = NULL;
  const char *expires = NULL;
  const char *name = NULL;
  const char *role = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  if ((with_token &&
       !get_checked (object, "token", "token", TILL_ANSWER_TOKEN_MAX, TRUE, is_token, &token, error)) ||
      !get_checked (object, "expires_at", "expires_at", 20, TRUE, NULL, &expires, error) ||
      !get_object (object, "user", TRUE, &user, error) ||
      !read_int (user, "id", "user.id", 1, G_MAXINT64, &answer->user_id, error) ||
      !get_checked (user, "user.name", "name", TILL_ANSWER_NAME_MAX, TRUE, NULL, &name, error) ||
      !get_checked (user, "user.role", "role", 16, TRUE, is_role, &role, error))
    return NULL;
  if (!parse_timestamp (expires, &answer->expires_at))
    {
      set_invalid (error, "expires_at", "is not a time");
      return NULL;
    }
  answer->token = g_strdup (token);
  answer->name = g_strdup (name);
  answer->role = g_strdup (role);
  return g_steal_pointer (&answer);
}

/* Config */

static gboolean
is_country (const char *text)
{
  return strlen (text) == 2 && g_ascii_isalpha (text[0]) && g_ascii_isalpha (text[1]);
}

static gboolean
is_currency (const char *text)
{
  return strlen (text) == 3 && g_ascii_isalpha (text[0]) && g_ascii_isalpha (text[1]) &&
         g_ascii_isalpha (text[2]);
}

static gboolean
is_publishable_key (const char *text)
{
  return is_prefixed_id (text, "pk_", "_");
}

static gboolean
is_mode (const char *text)
{
  return g_str_equal (text, "payment_intents") || g_str_equal (text, "charges");
}

/* The card view decides which origins it trusts; here only the form. */
static gboolean
is_web_url (const char *text)
{
  return (g_str_has_prefix (text, "https://") || g_str_has_prefix (text, "http://")) &&
         strchr (text, ' ') == NULL && g_uri_is_valid (text, G_URI_FLAGS_NONE, NULL);
}

void
till_config_answer_free (TillConfigAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->shop_name);
  g_free (answer->currency);
  g_free (answer->country);
  g_free (answer->publishable_key);
  g_free (answer->stripe_js_url);
  g_free (answer->mode);
  g_free (answer);
}

TillConfigAnswer *
till_config_answer_read (JsonObject  *object,
                         GError     **error)
{
  g_autoptr(TillConfigAnswer) answer = g_new0 (TillConfigAnswer, 1);
  const char *shop_name = NULL;
  const char *currency = NULL;
  const char *country = NULL;
  const char *key = NULL;
  const char *url = NULL;
  const char *mode = NULL;
  gint64 exponent = -1;

  g_return_val_if_fail (object != NULL, NULL);

  if (!get_checked (object, "shop_name", "shop_name", TILL_ANSWER_SHOP_NAME_MAX, FALSE, NULL, &shop_name, error) ||
      !get_checked (object, "currency", "currency", 3, TRUE, is_currency, &currency, error) ||
      !till_answer_get_int (object, "currency_exponent", 0, 4, &exponent, error) ||
      !get_checked (object, "country", "country", 2, FALSE, is_country, &country, error) ||
      !get_checked (object, "publishable_key", "publishable_key", TILL_ANSWER_PUBLISHABLE_KEY_MAX, TRUE,
                    is_publishable_key, &key, error) ||
      !get_checked (object, "stripe_js_url", "stripe_js_url", TILL_ANSWER_URL_MAX, TRUE, is_web_url, &url, error) ||
      !get_checked (object, "mode", "mode", 16, TRUE, is_mode, &mode, error) ||
      !get_boolean (object, "moto", &answer->moto, error))
    return NULL;
  answer->shop_name = shop_name != NULL && *shop_name != '\0' ? g_strdup (shop_name) : NULL;
  answer->currency = g_ascii_strup (currency, -1);
  answer->currency_exponent = (int) exponent;
  answer->country = country != NULL ? g_ascii_strup (country, -1) : NULL;
  answer->publishable_key = g_strdup (key);
  answer->stripe_js_url = g_strdup (url);
  answer->mode = g_strdup (mode);
  return g_steal_pointer (&answer);
}

/* Payments */

static gboolean
is_payment_id (const char *text)
{
  return is_prefixed_id (text, "pay_", NULL);
}

static gboolean
is_idempotency_key (const char *text)
{
  return strlen (text) >= 8 && all_of (text, "-_.:");
}

static gboolean
is_brand (const char *text)
{
  if (*text == '\0' || strlen (text) > 32)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_islower (*c) && *c != '_')
      return FALSE;
  return TRUE;
}

static gboolean
is_last4 (const char *text)
{
  return strlen (text) == 4 && g_ascii_isdigit (text[0]) && g_ascii_isdigit (text[1]) &&
         g_ascii_isdigit (text[2]) && g_ascii_isdigit (text[3]);
}

/* pi_…_secret_… */
static gboolean
is_client_secret (const char *text)
{
  const char *secret = strstr (text, "_secret_");
  g_autofree char *intent = NULL;

  if (secret == NULL)
    return FALSE;
  intent = g_strndup (text, secret - text);
  return is_prefixed_id (intent, "pi_", NULL) && secret[strlen ("_secret_")] != '\0' &&
         all_of (secret + strlen ("_secret_"), NULL);
}

static gboolean
parse_state (const char       *text,
             TillPaymentState *out_state)
{
  static const struct { const char *name; TillPaymentState state; } states[] = {
    { "pending", TILL_PAYMENT_STATE_PENDING },
    { "succeeded", TILL_PAYMENT_STATE_SUCCEEDED },
    { "declined", TILL_PAYMENT_STATE_DECLINED },
    { "requires_action", TILL_PAYMENT_STATE_REQUIRES_ACTION },
    { "failed", TILL_PAYMENT_STATE_FAILED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    if (g_str_equal (text, states[i].name))
      {
        *out_state = states[i].state;
        return TRUE;
      }
  return FALSE;
}

void
till_payment_answer_free (TillPaymentAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->id);
  g_free (answer->currency);
  g_free (answer->description);
  g_free (answer->idempotency_key);
  g_free (answer->brand);
  g_free (answer->last4);
  g_free (answer->client_secret);
  g_free (answer->decline_code);
  g_free (answer->last_error_code);
  g_free (answer->last_error_message);
  g_free (answer);
}

static gboolean
read_card (TillPaymentAnswer  *answer,
           JsonObject         *payment,
           GError            **error)
{
  JsonObject *card = NULL;
  const char *brand = NULL;
  const char *last4 = NULL;

  if (!get_object (payment, "card", FALSE, &card, error))
    return FALSE;
  if (card == NULL)
    return TRUE;
  if (!get_checked (card, "payment.card.brand", "brand", 32, FALSE, is_brand, &brand, error) ||
      !get_checked (card, "payment.card.last4", "last4", 4, FALSE, is_last4, &last4, error))
    return FALSE;
  answer->brand = g_strdup (brand);
  answer->last4 = g_strdup (last4);
  return TRUE;
}

static gboolean
read_last_error (TillPaymentAnswer  *answer,
                 JsonObject         *payment,
                 GError            **error)
{
  JsonObject *last_error = NULL;
  const char *code = NULL;
  const char *message = NULL;

  if (!get_object (payment, "last_error", FALSE, &last_error, error))
    return FALSE;
  if (last_error == NULL)
    return TRUE;
  if (!get_checked (last_error, "payment.last_error.code", "code", TILL_ANSWER_CODE_MAX, FALSE, is_code,
                    &code, error) ||
      !get_checked (last_error, "payment.last_error.message", "message", TILL_ANSWER_MESSAGE_MAX, FALSE, NULL,
                    &message, error))
    return FALSE;
  answer->last_error_code = g_strdup (code);
  answer->last_error_message = message != NULL && *message != '\0' ? g_strdup (message) : NULL;
  return TRUE;
}

TillPaymentAnswer *
till_payment_answer_read (JsonObject  *object,
                          GError     **error)
{
  g_autoptr(TillPaymentAnswer) answer = g_new0 (TillPaymentAnswer, 1);
  const char *id = NULL;
  const char *status = NULL;
  const char *currency = NULL;
  const char *description = NULL;
  const char *key = NULL;
  const char *secret = NULL;
  const char *decline_code = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  if (!get_checked (object, "payment.id", "id", TILL_ANSWER_PAYMENT_ID_MAX, TRUE, is_payment_id, &id, error) ||
      !get_checked (object, "payment.status", "status", 16, TRUE, NULL, &status, error) ||
      !read_int (object, "amount", "payment.amount", 1, TILL_ANSWER_AMOUNT_MAX, &answer->amount, error) ||
      !get_checked (object, "payment.currency", "currency", 3, TRUE, is_currency, &currency, error) ||
      !get_checked (object, "payment.description", "description", TILL_ANSWER_DESCRIPTION_MAX, FALSE, NULL,
                    &description, error) ||
      !get_checked (object, "payment.idempotency_key", "idempotency_key", TILL_ANSWER_KEY_MAX, TRUE,
                    is_idempotency_key, &key, error) ||
      !get_checked (object, "payment.decline_code", "decline_code", TILL_ANSWER_CODE_MAX, FALSE, is_code,
                    &decline_code, error) ||
      !get_checked (object, "payment.client_secret", "client_secret", TILL_ANSWER_CLIENT_SECRET_MAX, FALSE,
                    is_client_secret, &secret, error) ||
      !read_card (answer, object, error) ||
      !read_last_error (answer, object, error))
    return NULL;
  if (!parse_state (status, &answer->status))
    {
      set_invalid (error, "payment.status", "is not a state this terminal knows");
      return NULL;
    }
  if (answer->status == TILL_PAYMENT_STATE_REQUIRES_ACTION && secret == NULL)
    {
      set_missing (error, "payment.client_secret");
      return NULL;
    }
  answer->id = g_strdup (id);
  answer->currency = g_ascii_strup (currency, -1);
  answer->description = description != NULL && *description != '\0' ? g_strdup (description) : NULL;
  answer->idempotency_key = g_strdup (key);
  answer->decline_code = g_strdup (decline_code);
  answer->client_secret = answer->status == TILL_PAYMENT_STATE_REQUIRES_ACTION ? g_strdup (secret) : NULL;
  return g_steal_pointer (&answer);
}

GPtrArray *
till_payment_list_answer_read (JsonObject  *object,
                               gboolean    *out_has_more,
                               GError     **error)
{
  g_autoptr(GPtrArray) payments = g_ptr_array_new_with_free_func ((GDestroyNotify) till_payment_answer_free);
  JsonNode *data = get_member (object, "data");
  JsonArray *array;
  gboolean has_more = FALSE;

  g_return_val_if_fail (object != NULL, NULL);

  if (data == NULL)
    {
      set_missing (error, "data");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (data))
    {
      set_wrong_type (error, "data", "an array");
      return NULL;
    }
  if (!get_boolean (object, "has_more", &has_more, error))
    return NULL;
  array = json_node_get_array (data);
  if (json_array_get_length (array) > TILL_ANSWER_LIST_MAX)
    {
      set_invalid (error, "data", "holds more payments than a page may");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      TillPaymentAnswer *payment;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          set_wrong_type (error, "data[]", "an object");
          return NULL;
        }
      payment = till_payment_answer_read (json_node_get_object (element), error);
      if (payment == NULL)
        return NULL;
      g_ptr_array_add (payments, payment);
    }
  if (out_has_more != NULL)
    *out_has_more = has_more;
  return g_steal_pointer (&payments);
}

/* Errors */

void
till_error_answer_free (TillErrorAnswer *answer)
{
  if (answer == NULL)
    return;
  g_free (answer->code);
  g_free (answer->message);
  g_free (answer->decline_code);
  g_free (answer);
}

TillErrorAnswer *
till_error_answer_read (JsonObject  *object,
                        GError     **error)
{
  g_autoptr(TillErrorAnswer) answer = g_new0 (TillErrorAnswer, 1);
  JsonObject *member = NULL;
  const char *code = NULL;
  const char *message = NULL;
  const char *decline_code = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  if (!get_object (object, "error", TRUE, &member, error) ||
      !get_checked (member, "error.code", "code", TILL_ANSWER_CODE_MAX, TRUE, is_code, &code, error) ||
      !get_checked (member, "error.message", "message", TILL_ANSWER_MESSAGE_MAX, FALSE, NULL, &message, error) ||
      !get_checked (member, "error.decline_code", "decline_code", TILL_ANSWER_CODE_MAX, FALSE, is_code,
                    &decline_code, error))
    return NULL;
  answer->code = g_strdup (code);
  answer->message = message != NULL && *message != '\0' ? g_strdup (message) : NULL;
  answer->decline_code = g_strdup (decline_code);
  return g_steal_pointer (&answer);
}
