/* till-api-input.c: till-server's checks on what a request carries
 *
 * Every request body goes through here before a handler sees it: the size,
 * the media type, strict RFC 8259 JSON (till-json-util.c: no leading
 * zeros, hex, quotes other than '"', comments, lone surrogates, NUL or a
 * key twice, each of which json-glib 1.6 would take and read its own way),
 * an object at the root, only the fields the route knows, and each field of
 * its exact JSON type and within its length. What the fields mean (an
 * amount's range, the shop's currency, a refund's remainder) is the
 * handler's business.
 *
 * No function here does I/O, so each can be fuzzed on raw bytes.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-api-input.h"
#include "till-json-util.h"

static gboolean
refuse (TillApiProblem *problem,
        guint           status,
        const char     *code,
        const char     *param,
        const char     *message)
{
  problem->status = status;
  problem->code = code;
  problem->param = param;
  problem->message = message;
  return FALSE;
}

gboolean
till_api_input_has_control_chars (const char *s)
{
  for (const guchar *p = (const guchar *) s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

gboolean
till_api_input_matches_charset (const char *s,
                                const char *extra)
{
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return FALSE;
  return TRUE;
}

/* The rules for a user name, for `till-server user add` and for
 * POST /api/staff alike: 1 to 64 bytes of UTF-8 without spaces or control
 * characters, Unicode's too: no C1 control (U+0080 to U+009F), no space or
 * line separator of any kind (U+00A0, U+2028…), and no invisible format
 * character (U+200B zero width space, U+202E right-to-left override…),
 * with which one name could pass for another in a list or the audit log.
 * Nor "." or "..", which no URL path can carry as a segment. */
gboolean
till_api_input_valid_username (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > TILL_API_MAX_USERNAME || !g_utf8_validate (name, -1, NULL) ||
      g_str_equal (name, ".") || g_str_equal (name, ".."))
    return FALSE;
  for (const char *p = name; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || g_unichar_isspace (c) ||
          g_unichar_type (c) == G_UNICODE_FORMAT)
        return FALSE;
    }
  return TRUE;
}

/* The password policy of a new password, for the command line and the
 * staff endpoints alike: NULL when it is good, else why not. At most what
 * sign-in accepts, so that no account is made that cannot sign in. */
const char *
till_api_input_password_problem (const char *password)
{
  if (strlen (password) > TILL_API_MAX_PASSWORD)
    return "The password must be at most 1024 bytes, as sign-in accepts no more";
  if (strlen (password) < TILL_API_MIN_NEW_PASSWORD || !g_utf8_validate (password, -1, NULL))
    return "The password must be valid UTF-8 of at least 8 bytes";
  return NULL;
}

static const char *
describe_json_problem (int code)
{
  switch (code)
    {
    case TILL_JSON_RAW_NUL:
      return "A string in the request contains a NUL character";
    case TILL_JSON_RAW_TOO_DEEP:
      return "The request is nested too deeply";
    case TILL_JSON_RAW_NUMBER_TOO_LONG:
      return "A number in the request is out of range";
    case TILL_JSON_RAW_BAD_UNICODE:
      return "The request is not valid UTF-8 or has a lone surrogate (\\ud800–\\udfff)";
    case TILL_JSON_RAW_DUPLICATE_KEY:
      return "The request has the same field twice";
    case TILL_JSON_RAW_SYNTAX:
    default:
      return "The request body is not valid JSON (RFC 8259: no leading zeros, hex numbers, "
             "single quotes, comments or trailing commas)";
    }
}

/**
 * till_api_input_parse_body:
 * @content_type: the request's media type without parameters, or %NULL
 * @data: the body
 * @length: its length
 * @max_size: the largest body taken
 * @allow_empty: whether an empty body stands for {}
 * @problem: where the reason goes when the body is refused
 *
 * Returns: (transfer full): the body's object, or %NULL with @problem set
 */
JsonObject *
till_api_input_parse_body (const char     *content_type,
                           const char     *data,
                           gsize           length,
                           gsize           max_size,
                           gboolean        allow_empty,
                           TillApiProblem *problem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;

  if (length > max_size)
    {
      refuse (problem, 413, "body_too_large", NULL, "The request body is too large");
      return NULL;
    }
  if (length == 0 && allow_empty)
    return json_object_new ();
  if (g_strcmp0 (content_type, "application/json") != 0)
    {
      refuse (problem, 415, "unsupported_media_type", NULL,
              "The request body must be JSON (Content-Type: application/json)");
      return NULL;
    }

  root = till_json_parse_strict (data, length, TILL_API_MAX_JSON_DEPTH, &error);
  if (root == NULL)
    {
      gboolean syntax = error->code == TILL_JSON_RAW_SYNTAX || error->code == TILL_JSON_RAW_BAD_UNICODE;

      refuse (problem, 400, syntax ? "malformed_json" : "invalid_field", NULL,
              describe_json_problem (error->code));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      refuse (problem, 400, "invalid_body", NULL, "The request body must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
check_members (JsonObject      *object,
               const char     **allowed,
               TillApiProblem  *problem)
{
  g_autoptr(GList) names = json_object_get_members (object);

  for (GList *l = names; l != NULL; l = l->next)
    {
      /* The name is the client's text: it is not echoed back. */
      if (!g_strv_contains (allowed, l->data))
        return refuse (problem, 400, "unknown_field", NULL, "The request has a field this API does not know");
    }
  return TRUE;
}

/* TRUE with *out = NULL when an optional member is absent or null. */
static gboolean
get_string (JsonObject      *object,
            const char      *name,
            gboolean         required,
            gsize            max_length,
            const char     **out,
            TillApiProblem  *problem)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required || refuse (problem, 400, "missing_field", name, "A required field is missing");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return refuse (problem, 400, "invalid_field", name, "The field must be a string");

  *out = json_node_get_string (node);
  if (strlen (*out) > max_length)
    return refuse (problem, 400, "invalid_field", name, "The field is too long");
  if (required && **out == '\0')
    return refuse (problem, 400, "missing_field", name, "A required field is empty");
  return TRUE;
}

/* json-glib reads integers as gint64 and anything with a fraction or an
 * exponent as a double: only the former is an amount. */
static gboolean
get_int (JsonObject     *object,
         const char     *name,
         gboolean        required,
         gboolean       *out_present,
         gint64         *out,
         TillApiProblem *problem)
{
  JsonNode *node = json_object_get_member (object, name);

  *out_present = FALSE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return !required || refuse (problem, 400, "missing_field", name, "A required field is missing");
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return refuse (problem, 400, "invalid_field", name, "The field must be a whole number of minor units");

  *out = json_node_get_int (node);
  *out_present = TRUE;
  return TRUE;
}

/* A name and password someone types to prove who they are. */
static gboolean
get_credentials (JsonObject      *body,
                 const char     **out_username,
                 const char     **out_password,
                 TillApiProblem  *problem)
{
  if (!get_string (body, "username", TRUE, TILL_API_MAX_USERNAME, out_username, problem) ||
      !get_string (body, "password", TRUE, TILL_API_MAX_PASSWORD, out_password, problem))
    return FALSE;
  if (till_api_input_has_control_chars (*out_username))
    return refuse (problem, 400, "invalid_field", "username", "The user name has control characters");
  return TRUE;
}

gboolean
till_api_input_login (JsonObject     *body,
                      TillLoginInput *out,
                      TillApiProblem *problem)
{
  static const char *allowed[] = { "username", "password", NULL };

  memset (out, 0, sizeof *out);
  return check_members (body, allowed, problem) &&
         get_credentials (body, &out->username, &out->password, problem);
}

/* POST /api/approvals: a manager's name and password, and what they
 * approve, one of a fixed set. */
gboolean
till_api_input_approval (JsonObject        *body,
                         TillApprovalInput *out,
                         TillApiProblem    *problem)
{
  static const char *allowed[] = { "username", "password", "action", NULL };
  static const char *actions[] = { TILL_APPROVAL_KIOSK_LEAVE, TILL_APPROVAL_KIOSK_QUIT,
                                   TILL_APPROVAL_KIOSK_PREFERENCES, NULL };

  memset (out, 0, sizeof *out);
  if (!check_members (body, allowed, problem) ||
      !get_credentials (body, &out->username, &out->password, problem) ||
      !get_string (body, "action", TRUE, TILL_API_MAX_REASON, &out->action, problem))
    return FALSE;
  if (!g_strv_contains (actions, out->action))
    return refuse (problem, 400, "invalid_field", "action",
                   "action must be kiosk.leave, kiosk.quit or kiosk.preferences");
  return TRUE;
}

gboolean
till_api_input_payment (JsonObject       *body,
                        TillPaymentInput *out,
                        TillApiProblem   *problem)
{
  static const char *allowed[] = { "amount", "currency", "description", "token", NULL };
  gboolean present;

  memset (out, 0, sizeof *out);
  if (!check_members (body, allowed, problem) ||
      !get_int (body, "amount", TRUE, &present, &out->amount, problem) ||
      !get_string (body, "currency", TRUE, 3, &out->currency, problem) ||
      !get_string (body, "description", FALSE, TILL_API_MAX_DESCRIPTION, &out->description, problem) ||
      !get_string (body, "token", TRUE, TILL_API_MAX_SOURCE_ID, &out->token, problem))
    return FALSE;
  if (!till_api_input_matches_charset (out->currency, ""))
    return refuse (problem, 400, "currency_mismatch", "currency", "The currency is not the shop's currency");
  if (out->description != NULL && till_api_input_has_control_chars (out->description))
    return refuse (problem, 400, "invalid_field", "description", "The description has control characters");
  return TRUE;
}

/* A manager's approval of a cashier's action: {username, password}. */
static gboolean
get_approval (JsonObject      *body,
              const char     **out_username,
              const char     **out_password,
              TillApiProblem  *problem)
{
  static const char *allowed[] = { "username", "password", NULL };
  JsonNode *node = json_object_get_member (body, "approval");
  JsonObject *approval;

  *out_username = *out_password = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return refuse (problem, 400, "invalid_field", "approval",
                   "approval must be an object with username and password");
  approval = json_node_get_object (node);
  if (!check_members (approval, allowed, problem) ||
      !get_string (approval, "username", TRUE, TILL_API_MAX_USERNAME, out_username, problem) ||
      !get_string (approval, "password", TRUE, TILL_API_MAX_PASSWORD, out_password, problem))
    {
      /* The member is named as the client knows it, inside approval. */
      if (problem->param != NULL)
        problem->param = g_str_equal (problem->param, "username") ? "approval.username" : "approval.password";
      *out_username = *out_password = NULL;
      return FALSE;
    }
  if (till_api_input_has_control_chars (*out_username))
    return refuse (problem, 400, "invalid_field", "approval.username", "The user name has control characters");
  return TRUE;
}

gboolean
till_api_input_refund (JsonObject      *body,
                       TillRefundInput *out,
                       TillApiProblem  *problem)
{
  static const char *allowed[] = { "amount", "reason", "approval", NULL };
  static const char *reasons[] = { "duplicate", "fraudulent", "requested_by_customer", NULL };

  memset (out, 0, sizeof *out);
  if (!check_members (body, allowed, problem) ||
      !get_int (body, "amount", FALSE, &out->has_amount, &out->amount, problem) ||
      !get_string (body, "reason", FALSE, TILL_API_MAX_REASON, &out->reason, problem) ||
      !get_approval (body, &out->approval_username, &out->approval_password, problem))
    return FALSE;
  if (out->reason != NULL && !g_strv_contains (reasons, out->reason))
    return refuse (problem, 400, "invalid_field", "reason",
                   "reason must be duplicate, fraudulent or requested_by_customer");
  return TRUE;
}

static gboolean
check_role (const char     *role,
            TillApiProblem *problem)
{
  if (!g_str_equal (role, "cashier") && !g_str_equal (role, "manager"))
    return refuse (problem, 400, "invalid_field", "role", "role must be cashier or manager");
  return TRUE;
}

/* POST /api/staff: the name and password by the command line's rules. */
gboolean
till_api_input_new_staff (JsonObject        *body,
                          TillStaffInput    *out,
                          TillApiProblem    *problem)
{
  static const char *allowed[] = { "username", "password", "role", NULL };
  const char *why;

  memset (out, 0, sizeof *out);
  if (!check_members (body, allowed, problem) ||
      !get_string (body, "username", TRUE, TILL_API_MAX_USERNAME, &out->username, problem) ||
      !get_string (body, "password", TRUE, TILL_API_MAX_PASSWORD, &out->password, problem) ||
      !get_string (body, "role", TRUE, 16, &out->role, problem))
    return FALSE;
  if (!till_api_input_valid_username (out->username))
    return refuse (problem, 400, "invalid_field", "username",
                   "A user name is 1 to 64 bytes without spaces or control characters");
  if ((why = till_api_input_password_problem (out->password)) != NULL)
    return refuse (problem, 400, "invalid_field", "password", why);
  return check_role (out->role, problem);
}

/* PATCH /api/staff/{username}: role and disabled, each optional, one of
 * them at least. */
gboolean
till_api_input_staff_change (JsonObject      *body,
                             TillStaffInput  *out,
                             TillApiProblem  *problem)
{
  static const char *allowed[] = { "role", "disabled", NULL };
  JsonNode *node = json_object_get_member (body, "disabled");

  memset (out, 0, sizeof *out);
  out->disabled = -1;
  if (!check_members (body, allowed, problem) ||
      !get_string (body, "role", FALSE, 16, &out->role, problem))
    return FALSE;
  if (out->role != NULL && !check_role (out->role, problem))
    return FALSE;
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        return refuse (problem, 400, "invalid_field", "disabled", "disabled must be true or false");
      out->disabled = json_node_get_boolean (node) ? 1 : 0;
    }
  if (out->role == NULL && out->disabled < 0)
    return refuse (problem, 400, "missing_field", NULL, "Give role, disabled or both");
  return TRUE;
}

/* POST /api/staff/{username}/password */
gboolean
till_api_input_new_password (JsonObject      *body,
                             TillStaffInput  *out,
                             TillApiProblem  *problem)
{
  static const char *allowed[] = { "password", NULL };
  const char *why;

  memset (out, 0, sizeof *out);
  if (!check_members (body, allowed, problem) ||
      !get_string (body, "password", TRUE, TILL_API_MAX_PASSWORD, &out->password, problem))
    return FALSE;
  if ((why = till_api_input_password_problem (out->password)) != NULL)
    return refuse (problem, 400, "invalid_field", "password", why);
  return TRUE;
}

gboolean
till_api_input_empty (JsonObject     *body,
                      TillApiProblem *problem)
{
  static const char *allowed[] = { NULL };

  return check_members (body, allowed, problem);
}

gboolean
till_api_input_idempotency_key (const char     *key,
                                TillApiProblem *problem)
{
  gsize length = key ? strlen (key) : 0;

  if (length == 0)
    return refuse (problem, 400, "missing_idempotency_key", NULL,
                   "This request needs an Idempotency-Key header, fresh for each sale");
  if (length < TILL_API_MIN_IDEMPOTENCY_KEY || length > TILL_API_MAX_IDEMPOTENCY_KEY ||
      !till_api_input_matches_charset (key, "-_.:"))
    return refuse (problem, 400, "invalid_idempotency_key", NULL,
                   "The Idempotency-Key must be 8 to 255 letters, digits, '-', '_', '.' or ':'");
  return TRUE;
}

/* The query string as the client wrote it, so that a parameter sent twice
 * (which a hash table would quietly keep one of) or one the endpoint does
 * not know (a misspelt filter, which would otherwise list everything) is
 * refused rather than guessed at. '+' is a space, as in a form. The keys
 * of *out are the static names of allowed; the values are owned. */
gboolean
till_api_input_query (const char      *raw,
                      const char     **allowed,
                      GHashTable     **out,
                      TillApiProblem  *problem)
{
  g_autoptr(GHashTable) params = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_auto(GStrv) parts = NULL;

  if (raw != NULL && strlen (raw) > TILL_API_MAX_QUERY)
    return refuse (problem, 400, "invalid_parameter", NULL, "The query string is too long");

  parts = g_strsplit (raw ? raw : "", "&", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *eq = strchr (parts[i], '=');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      const char *known = NULL;

      if (parts[i][0] == '\0')
        continue;
      if (eq != NULL)
        *eq = '\0';
      g_strdelimit (parts[i], "+", ' ');
      /* An escaped NUL would end the decoded C string early. */
      if (strstr (parts[i], "%00") == NULL)
        name = g_uri_unescape_string (parts[i], NULL);
      for (guint a = 0; name != NULL && allowed[a] != NULL; a++)
        if (g_str_equal (name, allowed[a]))
          known = allowed[a];
      /* The name is the client's text: it is not echoed back. */
      if (known == NULL)
        return refuse (problem, 400, "invalid_parameter", NULL,
                       "The request has a query parameter this endpoint does not know");
      if (g_hash_table_contains (params, known))
        return refuse (problem, 400, "invalid_parameter", known, "A query parameter is given twice");
      if (eq != NULL && strstr (eq + 1, "%00") == NULL)
        {
          g_strdelimit (eq + 1, "+", ' ');
          value = g_uri_unescape_string (eq + 1, NULL);
        }
      /* No '=', invalid escapes, an escaped NUL, bytes that are no UTF-8 */
      if (value == NULL || !g_utf8_validate (value, -1, NULL) ||
          till_api_input_has_control_chars (value))
        return refuse (problem, 400, "invalid_parameter", known,
                       "A query parameter has no value, or one that is not valid text");
      g_hash_table_insert (params, (gpointer) known, g_steal_pointer (&value));
    }
  *out = g_steal_pointer (&params);
  return TRUE;
}

static gboolean
take_digits (const char **s,
             guint        n,
             guint64      max,
             guint64     *out)
{
  guint64 v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*s)[i]))
        return FALSE;
      v = v * 10 + (guint64) ((*s)[i] - '0');
    }
  *s += n;
  *out = v;
  return v <= max;
}

static gboolean
take_char (const char **s,
           const char  *one_of)
{
  if (**s == '\0' || strchr (one_of, **s) == NULL)
    return FALSE;
  (*s)++;
  return TRUE;
}

/* An RFC 3339 time, "2026-11-27T07:11:57Z" or with an offset
 * ("2026-11-27T08:11:57+01:00") and optionally a fraction of a second, as
 * the first unix second at or after it: created is in whole seconds, so
 * created >= t and created < t both hold exactly when they hold for t
 * rounded up. No other ISO 8601 form (week dates, no zone, a leap second)
 * is taken. */
gboolean
till_api_input_time (const char *text,
                     gint64     *out)
{
  const char *s = text;
  guint64 y, mo, d, h, mi, sec, oh = 0, om = 0;
  gboolean fraction = FALSE;
  int sign = 0;
  g_autoptr(GDateTime) utc = NULL;

  if (!take_digits (&s, 4, 9999, &y) || !take_char (&s, "-") ||
      !take_digits (&s, 2, 12, &mo) || !take_char (&s, "-") ||
      !take_digits (&s, 2, 31, &d) || !take_char (&s, "Tt") ||
      !take_digits (&s, 2, 23, &h) || !take_char (&s, ":") ||
      !take_digits (&s, 2, 59, &mi) || !take_char (&s, ":") ||
      !take_digits (&s, 2, 59, &sec))
    return FALSE;
  if (take_char (&s, "."))
    {
      guint n = 0;

      for (; g_ascii_isdigit (*s) && n < 9; s++, n++)
        fraction |= *s != '0';
      if (n == 0 || g_ascii_isdigit (*s))
        return FALSE;
    }
  if (take_char (&s, "Zz"))
    sign = 0;
  else if (*s == '+' || *s == '-')
    {
      sign = *s++ == '+' ? 1 : -1;
      if (!take_digits (&s, 2, 23, &oh) || !take_char (&s, ":") || !take_digits (&s, 2, 59, &om))
        return FALSE;
    }
  else
    return FALSE;
  if (*s != '\0' || y < 1)
    return FALSE;

  utc = g_date_time_new_utc ((int) y, (int) mo, (int) d, (int) h, (int) mi, (double) sec);
  if (utc == NULL)   /* 31 April, 29 February of a common year */
    return FALSE;
  *out = g_date_time_to_unix (utc) - sign * (gint64) (oh * 3600 + om * 60) + (fraction ? 1 : 0);
  return TRUE;
}
