/* test-card-message.c: what the card page may post, and what it may not
 *
 * Every refused case that can carries the word "xyzzy" in the hostile
 * value, and every refusal is checked not to repeat it: error messages go
 * to logs and must never echo the page's text.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include <glib.h>

#include "till-card-message.h"

#define CANARY "xyzzy"

/* JSON escapes are written with a doubled backslash: "\\u0000" is the six
 * characters JSON sees, where "\u0000" would be C's own escape. */

#define CARD(brand, last4, month, year) \
  "\"card\":{\"brand\":\"" brand "\",\"last4\":\"" last4 "\",\"exp_month\":" month ",\"exp_year\":" year "}"
#define TOKEN_WITH(id, card) \
  "{\"type\":\"token\",\"token\":{\"id\":\"" id "\"," card "}}"
#define TOKEN(id, brand, last4, month, year) TOKEN_WITH (id, CARD (brand, last4, month, year))
#define PM_WITH(id, card) \
  "{\"type\":\"payment_method\",\"payment_method\":{\"id\":\"" id "\"," card "}}"
#define PM(id, brand, last4, month, year) PM_WITH (id, CARD (brand, last4, month, year))
#define VISA_TOKEN(month, year) TOKEN ("tok_visa", "Visa", "4242", month, year)
#define CHANGE(rest) "{\"type\":\"change\",\"complete\":false,\"empty\":false,\"brand\":\"visa\"" rest "}"
#define ERROR_RESULT(inner) "{\"type\":\"error\",\"error\":{" inner "}}"
#define ACTION(id, status) \
  "{\"type\":\"action_result\",\"payment_intent\":{\"id\":\"" id "\",\"status\":\"" status "\"}}"

typedef char *(*MakeFunc) (gsize *length);

/* Makers for what a literal cannot hold or would be too long to read */

static char *
make_with_message (gsize  message_length,
                   gsize *length)
{
  g_autofree char *text = g_strnfill (message_length, 'a');
  char *json = g_strdup_printf (ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"%s\""), text);

  *length = strlen (json);
  return json;
}

static char *
make_message_500 (gsize *length)
{
  return make_with_message (500, length);
}

static char *
make_message_501 (gsize *length)
{
  return make_with_message (501, length);
}

static char *
make_message_10k (gsize *length)
{
  return make_with_message (10 * 1024, length);
}

static char *
make_message_20k (gsize *length)
{
  return make_with_message (20 * 1024, length);
}

/* A valid message padded with spaces to exactly `size` bytes. */
static char *
make_padded (gsize  size,
             gsize *length)
{
  const char *ready = "{\"type\":\"ready\"}";
  g_autofree char *padding = g_strnfill (size - strlen (ready), ' ');
  char *json = g_strconcat (ready, padding, NULL);

  *length = strlen (json);
  g_assert_cmpuint (*length, ==, size);
  return json;
}

static char *
make_exactly_16k (gsize *length)
{
  return make_padded (TILL_CARD_MESSAGE_MAX_SIZE, length);
}

static char *
make_16k_plus_one (gsize *length)
{
  return make_padded (TILL_CARD_MESSAGE_MAX_SIZE + 1, length);
}

static char *
make_id (const char *prefix,
         gsize       body_length,
         gboolean    token,
         gsize      *length)
{
  g_autofree char *body = g_strnfill (body_length, 'A');
  char *json;

  if (token)
    json = g_strdup_printf (TOKEN ("%s%s", "Visa", "4242", "12", "2030"), prefix, body);
  else
    json = g_strdup_printf (ACTION ("%s%s", "succeeded"), prefix, body);
  *length = strlen (json);
  return json;
}

static char *
make_token_id_250 (gsize *length)
{
  return make_id ("tok_", 250, TRUE, length);
}

static char *
make_token_id_251 (gsize *length)
{
  return make_id ("tok_", 251, TRUE, length);
}

static char *
make_intent_id_250 (gsize *length)
{
  return make_id ("pi_", 250, FALSE, length);
}

static char *
make_intent_id_251 (gsize *length)
{
  return make_id ("pi_", 251, FALSE, length);
}

static char *
make_code_101 (gsize *length)
{
  g_autofree char *code = g_strnfill (101, 'a');
  char *json = g_strdup_printf (ERROR_RESULT ("\"type\":\"card_error\",\"code\":\"%s\",\"message\":\"m\""), code);

  *length = strlen (json);
  return json;
}

/* 8000 arrays deep: a recursive parser would follow them all. */
static char *
make_deep_arrays (gsize *length)
{
  g_autofree char *open = g_strnfill (8000, '[');
  g_autofree char *close = g_strnfill (8000, ']');
  char *json = g_strconcat (open, close, NULL);

  *length = strlen (json);
  return json;
}

/* A NUL byte inside the given length, which a C string would hide. */
static char *
make_nul_byte (gsize *length)
{
  const char json[] = "{\"type\":\"ready\"}\0{\"amount\":1}";

  *length = sizeof json - 1;
  return g_memdup2 (json, sizeof json - 1);
}

/* Valid messages */

typedef struct
{
  const char          *name;
  const char          *json;
  MakeFunc             make;
  TillCardMessageType  type;
  gboolean             complete;
  gboolean             empty;
  const char          *id;
  const char          *brand;
  const char          *last4;
  int                  exp_month;
  int                  exp_year;
  const char          *error_type;
  const char          *error_code;
  const char          *decline_code;
  const char          *error_message;
  const char          *payment_intent_id;
  const char          *payment_intent_status;
} ValidCase;

#define T TILL_CARD_MESSAGE_TOKEN
#define P TILL_CARD_MESSAGE_PAYMENT_METHOD

static const ValidCase valid_cases[] = {
  { "ready", "{\"type\":\"ready\"}", NULL, TILL_CARD_MESSAGE_READY },
  { "ready-whitespace", " \t\r\n{ \"type\" : \"ready\" }\n", NULL, TILL_CARD_MESSAGE_READY },
  { "ready-escaped-type", "{\"type\":\"\\u0072eady\"}", NULL, TILL_CARD_MESSAGE_READY },
  { "ready-16k", NULL, make_exactly_16k, TILL_CARD_MESSAGE_READY },

  { "change/empty", "{\"type\":\"change\",\"complete\":false,\"empty\":true,\"brand\":\"unknown\"}", NULL,
    TILL_CARD_MESSAGE_CHANGE, FALSE, TRUE, NULL, "unknown" },
  { "change/complete", "{\"type\":\"change\",\"complete\":true,\"empty\":false,\"brand\":\"visa\",\"error\":null}", NULL,
    TILL_CARD_MESSAGE_CHANGE, TRUE, FALSE, NULL, "visa" },
  { "change/error", CHANGE (",\"error\":{\"code\":\"invalid_number\",\"message\":\"Your card number is invalid.\"}"), NULL,
    TILL_CARD_MESSAGE_CHANGE, FALSE, FALSE, NULL, "visa", NULL, 0, 0, NULL,
    "invalid_number", NULL, "Your card number is invalid." },
  { "change/error-unicode",
    CHANGE (",\"error\":{\"code\":\"incomplete_number\",\"message\":\"Le num\\u00e9ro est incomplet \\ud83d\\udcb3 \xe2\x80\x94 \\\"ok\\\"\"}"), NULL,
    TILL_CARD_MESSAGE_CHANGE, FALSE, FALSE, NULL, "visa", NULL, 0, 0, NULL,
    "incomplete_number", NULL, "Le num\xc3\xa9ro est incomplet \xf0\x9f\x92\xb3 \xe2\x80\x94 \"ok\"" },
  { "change/brand-amex", "{\"type\":\"change\",\"complete\":false,\"empty\":false,\"brand\":\"amex\"}", NULL,
    TILL_CARD_MESSAGE_CHANGE, FALSE, FALSE, NULL, "amex" },
  { "change/brand-eftpos", "{\"type\":\"change\",\"complete\":false,\"empty\":false,\"brand\":\"eftpos_au\"}", NULL,
    TILL_CARD_MESSAGE_CHANGE, FALSE, FALSE, NULL, "eftpos_au" },

  { "token/visa", VISA_TOKEN ("12", "2030"), NULL, T, 0, 0, "tok_visa", "visa", "4242", 12, 2030 },
  { "token/amex", TOKEN ("tok_amex", "American Express", "8431", "1", "2000"), NULL, T, 0, 0, "tok_amex", "amex", "8431", 1, 2000 },
  { "token/mastercard", TOKEN ("tok_mastercard", "MasterCard", "4444", "6", "2100"), NULL, T, 0, 0, "tok_mastercard", "mastercard", "4444", 6, 2100 },
  { "token/discover", TOKEN ("tok_discover", "Discover", "1117", "12", "2030"), NULL, T, 0, 0, "tok_discover", "discover", "1117", 12, 2030 },
  { "token/diners", TOKEN ("tok_diners", "Diners Club", "0004", "12", "2030"), NULL, T, 0, 0, "tok_diners", "diners", "0004", 12, 2030 },
  { "token/jcb", TOKEN ("tok_jcb", "JCB", "0505", "12", "2030"), NULL, T, 0, 0, "tok_jcb", "jcb", "0505", 12, 2030 },
  { "token/unionpay", TOKEN ("tok_unionpay", "UnionPay", "0005", "12", "2030"), NULL, T, 0, 0, "tok_unionpay", "unionpay", "0005", 12, 2030 },
  { "token/cartes-bancaires", TOKEN ("tok_1N3T00", "Cartes Bancaires", "1001", "12", "2030"), NULL, T, 0, 0, "tok_1N3T00", "cartes_bancaires", "1001", 12, 2030 },
  { "token/eftpos", TOKEN ("tok_1N3T00", "Eftpos Australia", "0000", "12", "2030"), NULL, T, 0, 0, "tok_1N3T00", "eftpos_au", "0000", 12, 2030 },
  { "token/interac", TOKEN ("tok_1N3T00", "Interac", "0000", "12", "2030"), NULL, T, 0, 0, "tok_1N3T00", "interac", "0000", 12, 2030 },
  { "token/unknown", TOKEN ("tok_1N3T00", "Unknown", "0000", "12", "2030"), NULL, T, 0, 0, "tok_1N3T00", "unknown", "0000", 12, 2030 },
  { "token/declined-test-id", TOKEN ("tok_chargeDeclinedInsufficientFunds", "Visa", "9995", "12", "2030"), NULL,
    T, 0, 0, "tok_chargeDeclinedInsufficientFunds", "visa", "9995", 12, 2030 },
  { "token/live-style-id", TOKEN ("tok_1NXa2bLkdIwHu7ixS0mBXjQ1", "Visa", "4242", "12", "2030"), NULL,
    T, 0, 0, "tok_1NXa2bLkdIwHu7ixS0mBXjQ1", "visa", "4242", 12, 2030 },
  { "token/id-250", NULL, make_token_id_250, T, 0, 0, NULL, "visa", "4242", 12, 2030 },
  { "token/members-reordered",
    "{\"token\":{\"card\":{\"exp_year\":2030,\"exp_month\":12,\"last4\":\"4242\",\"brand\":\"Visa\"},\"id\":\"tok_visa\"},\"type\":\"token\"}", NULL,
    T, 0, 0, "tok_visa", "visa", "4242", 12, 2030 },

  { "payment-method/visa", PM ("pm_card_visa", "visa", "4242", "12", "2030"), NULL, P, 0, 0, "pm_card_visa", "visa", "4242", 12, 2030 },
  { "payment-method/mastercard", PM ("pm_card_mastercard", "mastercard", "4444", "12", "2030"), NULL, P, 0, 0, "pm_card_mastercard", "mastercard", "4444", 12, 2030 },
  { "payment-method/amex", PM ("pm_card_amex", "amex", "8431", "12", "2030"), NULL, P, 0, 0, "pm_card_amex", "amex", "8431", 12, 2030 },
  { "payment-method/discover", PM ("pm_card_discover", "discover", "1117", "12", "2030"), NULL, P, 0, 0, "pm_card_discover", "discover", "1117", 12, 2030 },
  { "payment-method/diners", PM ("pm_card_diners", "diners", "0004", "12", "2030"), NULL, P, 0, 0, "pm_card_diners", "diners", "0004", 12, 2030 },
  { "payment-method/jcb", PM ("pm_card_jcb", "jcb", "0505", "12", "2030"), NULL, P, 0, 0, "pm_card_jcb", "jcb", "0505", 12, 2030 },
  { "payment-method/unionpay", PM ("pm_card_unionpay", "unionpay", "0005", "12", "2030"), NULL, P, 0, 0, "pm_card_unionpay", "unionpay", "0005", 12, 2030 },
  { "payment-method/cartes-bancaires", PM ("pm_1N3T00", "cartes_bancaires", "1001", "12", "2030"), NULL, P, 0, 0, "pm_1N3T00", "cartes_bancaires", "1001", 12, 2030 },
  { "payment-method/eftpos", PM ("pm_1N3T00", "eftpos_au", "0000", "12", "2030"), NULL, P, 0, 0, "pm_1N3T00", "eftpos_au", "0000", 12, 2030 },
  { "payment-method/interac", PM ("pm_1N3T00", "interac", "0000", "12", "2030"), NULL, P, 0, 0, "pm_1N3T00", "interac", "0000", 12, 2030 },
  { "payment-method/unknown", PM ("pm_1N3T00", "unknown", "0000", "12", "2030"), NULL, P, 0, 0, "pm_1N3T00", "unknown", "0000", 12, 2030 },
  { "payment-method/3ds-test-id", PM ("pm_card_authenticationRequired", "visa", "3184", "1", "2099"), NULL,
    P, 0, 0, "pm_card_authenticationRequired", "visa", "3184", 1, 2099 },

  { "error/card-declined",
    ERROR_RESULT ("\"type\":\"card_error\",\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\",\"message\":\"Your card has insufficient funds.\""), NULL,
    TILL_CARD_MESSAGE_ERROR_RESULT, 0, 0, NULL, NULL, NULL, 0, 0,
    "card_error", "card_declined", "insufficient_funds", "Your card has insufficient funds." },
  { "error/no-codes", ERROR_RESULT ("\"type\":\"api_connection_error\",\"message\":\"Network error.\""), NULL,
    TILL_CARD_MESSAGE_ERROR_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, "api_connection_error", NULL, NULL, "Network error." },
  { "error/null-codes", ERROR_RESULT ("\"type\":\"validation_error\",\"code\":null,\"decline_code\":null,\"message\":\"Incomplete.\""), NULL,
    TILL_CARD_MESSAGE_ERROR_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, "validation_error", NULL, NULL, "Incomplete." },
  { "error/rate-limit", ERROR_RESULT ("\"type\":\"rate_limit_error\",\"code\":\"rate_limit\",\"message\":\"Too many requests.\""), NULL,
    TILL_CARD_MESSAGE_ERROR_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, "rate_limit_error", "rate_limit", NULL, "Too many requests." },
  { "error/message-500", NULL, make_message_500, TILL_CARD_MESSAGE_ERROR_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, "card_error" },

  { "action/succeeded", ACTION ("pi_3N8ZqBLkdIwHu7ix1B1kD2Uc", "succeeded"), NULL,
    TILL_CARD_MESSAGE_ACTION_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL,
    "pi_3N8ZqBLkdIwHu7ix1B1kD2Uc", "succeeded" },
  { "action/requires-confirmation", ACTION ("pi_1", "requires_confirmation"), NULL,
    TILL_CARD_MESSAGE_ACTION_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, "pi_1", "requires_confirmation" },
  { "action/requires-payment-method", ACTION ("pi_test_1", "requires_payment_method"), NULL,
    TILL_CARD_MESSAGE_ACTION_RESULT, 0, 0, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, "pi_test_1", "requires_payment_method" },
  { "action/id-250", NULL, make_intent_id_250, TILL_CARD_MESSAGE_ACTION_RESULT, 0, 0, NULL, NULL, NULL, 0, 0,
    NULL, NULL, NULL, NULL, NULL, "succeeded" },
};

#undef T
#undef P

static void
test_valid (gconstpointer data)
{
  const ValidCase *test = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillCardMessage) message = NULL;
  g_autofree char *made = NULL;
  const char *json = test->json;
  gsize length = json != NULL ? strlen (json) : 0;

  if (test->make != NULL)
    json = made = test->make (&length);

  message = till_card_message_parse (json, length, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);

  g_assert_cmpint (message->type, ==, test->type);
  g_assert_cmpint (message->complete, ==, test->complete);
  g_assert_cmpint (message->empty, ==, test->empty);
  g_assert_cmpstr (message->brand, ==, test->brand);
  g_assert_cmpint (message->exp_month, ==, test->exp_month);
  g_assert_cmpint (message->exp_year, ==, test->exp_year);
  g_assert_cmpstr (message->last4, ==, test->last4);
  g_assert_cmpstr (message->error_type, ==, test->error_type);
  g_assert_cmpstr (message->error_code, ==, test->error_code);
  g_assert_cmpstr (message->decline_code, ==, test->decline_code);
  g_assert_cmpstr (message->payment_intent_status, ==, test->payment_intent_status);

  /* The made ones are long: checked by shape, not spelled out. */
  if (test->make == NULL)
    {
      g_assert_cmpstr (message->id, ==, test->id);
      g_assert_cmpstr (message->error_message, ==, test->error_message);
      g_assert_cmpstr (message->payment_intent_id, ==, test->payment_intent_id);
    }
  else if (message->type == TILL_CARD_MESSAGE_TOKEN)
    g_assert_cmpuint (strlen (message->id), ==, 254);
  else if (message->type == TILL_CARD_MESSAGE_ACTION_RESULT)
    g_assert_cmpuint (strlen (message->payment_intent_id), ==, 253);
  else if (message->type == TILL_CARD_MESSAGE_ERROR_RESULT)
    g_assert_cmpuint (strlen (message->error_message), ==, 500);
}

/* Refused messages */

typedef struct
{
  const char           *name;
  const char           *json;
  MakeFunc              make;
  TillCardMessageError  code;
} RefusedCase;

#define MALFORMED  TILL_CARD_MESSAGE_ERROR_MALFORMED
#define UNKNOWN    TILL_CARD_MESSAGE_ERROR_UNKNOWN_FIELD
#define BAD        TILL_CARD_MESSAGE_ERROR_BAD_FIELD
#define FORBIDDEN  TILL_CARD_MESSAGE_ERROR_FORBIDDEN_FIELD

static const RefusedCase refused_cases[] = {
  /* Not a message at all */
  { "empty", "", NULL, MALFORMED },
  { "whitespace-only", "   \n", NULL, MALFORMED },
  { "not-json", CANARY, NULL, MALFORMED },
  { "truncated", "{\"type\":\"ready\"", NULL, MALFORMED },
  { "array", "[{\"type\":\"ready\"}]", NULL, MALFORMED },
  { "string", "\"ready\"", NULL, MALFORMED },
  { "number", "42", NULL, MALFORMED },
  { "null", "null", NULL, MALFORMED },
  { "true", "true", NULL, MALFORMED },
  { "invalid-utf8", "{\"type\":\"ready\",\"x\":\"\xff\"}", NULL, MALFORMED },
  { "overlong-utf8", "{\"type\":\"ready\",\"x\":\"\xc0\xaf\"}", NULL, MALFORMED },
  { "utf8-surrogate", "{\"type\":\"ready\",\"x\":\"\xed\xa0\x80\"}", NULL, MALFORMED },
  { "nul-byte", NULL, make_nul_byte, MALFORMED },
  { "lone-high-surrogate", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"\\ud800" CANARY "\""), NULL, MALFORMED },
  { "lone-low-surrogate", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"\\udc00\""), NULL, MALFORMED },

  /* What json-glib 1.6 takes and JSON.stringify never writes */
  { "single-quotes", "{'type':'ready'}", NULL, MALFORMED },
  { "comment", "/* " CANARY " */{\"type\":\"ready\"}", NULL, MALFORMED },
  { "trailing-comma", "{\"type\":\"ready\",}", NULL, MALFORMED },
  { "second-value", "{\"type\":\"ready\"}{\"type\":\"token\"}", NULL, MALFORMED },
  { "trailing-text", "{\"type\":\"ready\"} " CANARY, NULL, MALFORMED },
  { "unquoted-key", "{type:\"ready\"}", NULL, MALFORMED },
  { "hex-number", VISA_TOKEN ("0x0C", "2030"), NULL, MALFORMED },
  { "octal-number", VISA_TOKEN ("012", "2030"), NULL, MALFORMED },
  { "plus-sign", VISA_TOKEN ("+12", "2030"), NULL, MALFORMED },
  { "bare-fraction", VISA_TOKEN (".5", "2030"), NULL, MALFORMED },
  { "trailing-point", VISA_TOKEN ("12.", "2030"), NULL, MALFORMED },
  { "nan", VISA_TOKEN ("NaN", "2030"), NULL, MALFORMED },
  { "infinity", VISA_TOKEN ("12", "Infinity"), NULL, MALFORMED },
  { "bad-escape", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"\\x41\""), NULL, MALFORMED },
  { "raw-tab-in-string", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"a\tb\""), NULL, MALFORMED },
  { "raw-newline-in-string", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"a\nb\""), NULL, MALFORMED },
  { "form-feed-whitespace", "\f{\"type\":\"ready\"}", NULL, MALFORMED },

  /* Duplicate keys: refused, whichever copy would win */
  { "duplicate/type", "{\"type\":\"ready\",\"type\":\"ready\"}", NULL, MALFORMED },
  { "duplicate/type-differs", "{\"type\":\"token\",\"type\":\"ready\"}", NULL, MALFORMED },
  { "duplicate/escaped", "{\"type\":\"ready\",\"\\u0074ype\":\"ready\"}", NULL, MALFORMED },
  { "duplicate/nested",
    TOKEN_WITH ("tok_visa", "\"card\":{\"brand\":\"Visa\",\"last4\":\"4242\",\"last4\":\"0002\",\"exp_month\":12,\"exp_year\":2030}"),
    NULL, MALFORMED },
  { "duplicate/id", "{\"type\":\"payment_method\",\"payment_method\":{\"id\":\"pm_card_visa\",\"id\":\"pm_card_visa\","
    CARD ("visa", "4242", "12", "2030") "}}", NULL, MALFORMED },

  /* Size and depth */
  { "size/16k-plus-one", NULL, make_16k_plus_one, TILL_CARD_MESSAGE_ERROR_TOO_LARGE },
  { "size/20k-message", NULL, make_message_20k, TILL_CARD_MESSAGE_ERROR_TOO_LARGE },
  { "size/10k-message-text", NULL, make_message_10k, BAD },
  { "size/501-byte-message-text", NULL, make_message_501, BAD },
  { "depth/5", "{\"type\":\"ready\",\"a\":{\"b\":{\"c\":{\"d\":{}}}}}", NULL, MALFORMED },
  { "depth/5-arrays", "{\"type\":\"ready\",\"a\":[[[[]]]]}", NULL, MALFORMED },
  { "depth/4-is-parsed", "{\"type\":\"ready\",\"a\":{\"b\":{\"c\":{}}}}", NULL, UNKNOWN },
  { "depth/8000", NULL, make_deep_arrays, MALFORMED },

  /* Raw text json-glib would misread */
  { "huge-integer", VISA_TOKEN ("12", "99999999999999999999"), NULL, BAD },
  { "wrapping-integer", VISA_TOKEN ("-18446744073709551604", "2030"), NULL, BAD },
  { "nul-escape", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"ok\\u0000" CANARY "\""), NULL, BAD },
  { "nul-escape-in-id", TOKEN ("tok_visa\\u0000" CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },

  /* Type */
  { "type/missing", "{\"token\":{}}", NULL, BAD },
  { "type/null", "{\"type\":null}", NULL, BAD },
  { "type/number", "{\"type\":1}", NULL, BAD },
  { "type/object", "{\"type\":{\"name\":\"ready\"}}", NULL, BAD },
  { "type/unknown", "{\"type\":\"" CANARY "\"}", NULL, TILL_CARD_MESSAGE_ERROR_UNKNOWN_TYPE },
  { "type/charge", "{\"type\":\"charge\"}", NULL, TILL_CARD_MESSAGE_ERROR_UNKNOWN_TYPE },
  { "type/capitalised", "{\"type\":\"Ready\"}", NULL, TILL_CARD_MESSAGE_ERROR_UNKNOWN_TYPE },
  { "type/empty", "{\"type\":\"\"}", NULL, BAD },

  /* Forged amounts and currencies, at any depth, before anything else */
  { "forbidden/amount-root", "{\"type\":\"ready\",\"amount\":100}", NULL, FORBIDDEN },
  { "forbidden/currency-root", "{\"type\":\"ready\",\"currency\":\"" CANARY "\"}", NULL, FORBIDDEN },
  { "forbidden/amount-received", "{\"type\":\"ready\",\"amount_received\":100}", NULL, FORBIDDEN },
  { "forbidden/amount-capitalised", "{\"type\":\"ready\",\"Amount\":100}", NULL, FORBIDDEN },
  { "forbidden/amount-inside-name", "{\"type\":\"ready\",\"totalAMOUNTdue\":100}", NULL, FORBIDDEN },
  { "forbidden/amount-in-token",
    "{\"type\":\"token\",\"token\":{\"id\":\"tok_visa\",\"amount\":1," CARD ("Visa", "4242", "12", "2030") "}}", NULL, FORBIDDEN },
  { "forbidden/amount-in-card",
    TOKEN_WITH ("tok_visa", "\"card\":{\"brand\":\"Visa\",\"last4\":\"4242\",\"exp_month\":12,\"exp_year\":2030,\"amount\":1}"), NULL, FORBIDDEN },
  { "forbidden/currency-in-payment-method",
    "{\"type\":\"payment_method\",\"payment_method\":{\"id\":\"pm_card_visa\",\"currency\":\"usd\"," CARD ("visa", "4242", "12", "2030") "}}", NULL, FORBIDDEN },
  { "forbidden/amount-in-intent",
    "{\"type\":\"action_result\",\"payment_intent\":{\"id\":\"pi_1\",\"status\":\"succeeded\",\"amount\":100}}", NULL, FORBIDDEN },
  { "forbidden/amount-in-error", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"m\",\"amount\":1"), NULL, FORBIDDEN },
  { "forbidden/amount-in-unknown-object", "{\"type\":\"ready\",\"extra\":{\"amount\":1}}", NULL, FORBIDDEN },
  { "forbidden/amount-in-array", "{\"type\":\"ready\",\"extra\":[{\"amount\":1}]}", NULL, FORBIDDEN },
  { "forbidden/amount-escaped", "{\"type\":\"ready\",\"\\u0061mount\":1}", NULL, FORBIDDEN },
  { "forbidden/before-type", "{\"amount\":1}", NULL, FORBIDDEN },

  /* Fields no shape lists */
  { "unknown/ready", "{\"type\":\"ready\",\"" CANARY "\":1}", NULL, UNKNOWN },
  { "unknown/change", CHANGE (",\"elementType\":\"card\""), NULL, UNKNOWN },
  { "unknown/change-error-type",
    CHANGE (",\"error\":{\"type\":\"validation_error\",\"code\":\"invalid_number\",\"message\":\"m\"}"), NULL, UNKNOWN },
  { "unknown/token-root", "{\"type\":\"token\",\"payment_method\":{}," "\"token\":{\"id\":\"tok_visa\"," CARD ("Visa", "4242", "12", "2030") "}}", NULL, UNKNOWN },
  { "unknown/token-object", "{\"type\":\"token\",\"token\":{\"id\":\"tok_visa\",\"livemode\":false," CARD ("Visa", "4242", "12", "2030") "}}", NULL, UNKNOWN },
  { "unknown/card", TOKEN_WITH ("tok_visa", "\"card\":{\"brand\":\"Visa\",\"last4\":\"4242\",\"exp_month\":12,\"exp_year\":2030,\"number\":\"4242424242424242\"}"), NULL, UNKNOWN },
  { "unknown/error-param", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"m\",\"param\":\"number\""), NULL, UNKNOWN },
  { "unknown/intent-client-secret",
    "{\"type\":\"action_result\",\"payment_intent\":{\"id\":\"pi_1\",\"status\":\"succeeded\",\"client_secret\":\"" CANARY "\"}}", NULL, UNKNOWN },
  { "unknown/ready-with-token", "{\"type\":\"ready\",\"token\":{}}", NULL, UNKNOWN },

  /* Wrong JSON types, missing and null */
  { "types/complete-string", "{\"type\":\"change\",\"complete\":\"true\",\"empty\":false,\"brand\":\"visa\"}", NULL, BAD },
  { "types/complete-number", "{\"type\":\"change\",\"complete\":1,\"empty\":false,\"brand\":\"visa\"}", NULL, BAD },
  { "types/empty-missing", "{\"type\":\"change\",\"complete\":false,\"brand\":\"visa\"}", NULL, BAD },
  { "types/change-brand-missing", "{\"type\":\"change\",\"complete\":false,\"empty\":false}", NULL, BAD },
  { "types/change-error-string", CHANGE (",\"error\":\"" CANARY "\""), NULL, BAD },
  { "types/change-error-code-missing", CHANGE (",\"error\":{\"message\":\"m\"}"), NULL, BAD },
  { "types/change-error-message-missing", CHANGE (",\"error\":{\"code\":\"invalid_number\"}"), NULL, BAD },
  { "types/token-null", "{\"type\":\"token\",\"token\":null}", NULL, BAD },
  { "types/token-missing", "{\"type\":\"token\"}", NULL, BAD },
  { "types/token-string", "{\"type\":\"token\",\"token\":\"tok_visa\"}", NULL, BAD },
  { "types/token-array", "{\"type\":\"token\",\"token\":[]}", NULL, BAD },
  { "types/card-null", TOKEN_WITH ("tok_visa", "\"card\":null"), NULL, BAD },
  { "types/card-array", TOKEN_WITH ("tok_visa", "\"card\":[]"), NULL, BAD },
  { "types/id-number", "{\"type\":\"token\",\"token\":{\"id\":42," CARD ("Visa", "4242", "12", "2030") "}}", NULL, BAD },
  { "types/id-missing", "{\"type\":\"token\",\"token\":{" CARD ("Visa", "4242", "12", "2030") "}}", NULL, BAD },
  { "types/last4-number", TOKEN_WITH ("tok_visa", "\"card\":{\"brand\":\"Visa\",\"last4\":4242,\"exp_month\":12,\"exp_year\":2030}"), NULL, BAD },
  { "types/brand-null", TOKEN_WITH ("tok_visa", "\"card\":{\"brand\":null,\"last4\":\"4242\",\"exp_month\":12,\"exp_year\":2030}"), NULL, BAD },
  { "types/exp-month-string", VISA_TOKEN ("\"12\"", "2030"), NULL, BAD },
  { "types/exp-year-missing", TOKEN_WITH ("tok_visa", "\"card\":{\"brand\":\"Visa\",\"last4\":\"4242\",\"exp_month\":12}"), NULL, BAD },
  { "types/exp-year-bool", VISA_TOKEN ("12", "true"), NULL, BAD },
  { "types/error-null", "{\"type\":\"error\",\"error\":null}", NULL, BAD },
  { "types/error-message-missing", ERROR_RESULT ("\"type\":\"card_error\""), NULL, BAD },
  { "types/error-message-number", ERROR_RESULT ("\"type\":\"card_error\",\"message\":500"), NULL, BAD },
  { "types/error-code-number", ERROR_RESULT ("\"type\":\"card_error\",\"code\":402,\"message\":\"m\""), NULL, BAD },
  { "types/intent-status-number", "{\"type\":\"action_result\",\"payment_intent\":{\"id\":\"pi_1\",\"status\":1}}", NULL, BAD },
  { "types/intent-null", "{\"type\":\"action_result\",\"payment_intent\":null}", NULL, BAD },

  /* Ids */
  { "id/quote", TOKEN ("tok_vi\\\"" CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/space", TOKEN ("tok_visa " CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/newline", TOKEN ("tok_visa\\n" CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/unicode", TOKEN ("tok_vis\xc3\xa1" CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/dash", TOKEN ("tok_visa-" CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/pipe-chain", TOKEN ("tok_500|tok_visa|" CANARY, "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/prefix-only", TOKEN ("tok_", "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/upper-prefix", TOKEN ("TOK_visa", "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/pm-in-token", TOKEN ("pm_card_visa", "Visa", "4242", "12", "2030"), NULL, BAD },
  { "id/tok-in-payment-method", PM ("tok_visa", "visa", "4242", "12", "2030"), NULL, BAD },
  { "id/pi-in-payment-method", PM ("pi_1", "visa", "4242", "12", "2030"), NULL, BAD },
  { "id/token-251", NULL, make_token_id_251, BAD },
  { "id/intent-251", NULL, make_intent_id_251, BAD },
  { "id/intent-wrong-prefix", ACTION ("pm_card_visa", "succeeded"), NULL, BAD },
  { "id/intent-client-secret", ACTION ("pi_3N8Zq_secret_" CANARY, "succeeded"), NULL, BAD },

  /* Brands */
  { "brand/lowercase-in-token", TOKEN ("tok_visa", "visa", "4242", "12", "2030"), NULL, BAD },
  { "brand/capitalised-in-payment-method", PM ("pm_card_visa", "Visa", "4242", "12", "2030"), NULL, BAD },
  { "brand/mastercard-spelling", TOKEN ("tok_mastercard", "Mastercard", "4444", "12", "2030"), NULL, BAD },
  { "brand/girocard", PM ("pm_1", "girocard", "4242", "12", "2030"), NULL, BAD },
  { "brand/made-up", PM ("pm_1", CANARY, "4242", "12", "2030"), NULL, BAD },
  { "brand/trailing-space", TOKEN ("tok_visa", "Visa ", "4242", "12", "2030"), NULL, BAD },
  { "brand/change", "{\"type\":\"change\",\"complete\":false,\"empty\":false,\"brand\":\"" CANARY "\"}", NULL, BAD },
  { "brand/change-capitalised", "{\"type\":\"change\",\"complete\":false,\"empty\":false,\"brand\":\"Visa\"}", NULL, BAD },

  /* last4 and expiry */
  { "last4/letter", TOKEN ("tok_visa", "Visa", "42a2", "12", "2030"), NULL, BAD },
  { "last4/five", TOKEN ("tok_visa", "Visa", "42424", "12", "2030"), NULL, BAD },
  { "last4/three", TOKEN ("tok_visa", "Visa", "424", "12", "2030"), NULL, BAD },
  { "last4/empty", TOKEN ("tok_visa", "Visa", "", "12", "2030"), NULL, BAD },
  { "last4/fullwidth", TOKEN ("tok_visa", "Visa", "\xef\xbc\x94\xef\xbc\x92\xef\xbc\x94\xef\xbc\x92", "12", "2030"), NULL, BAD },
  { "last4/arabic-indic", PM ("pm_1", "visa", "\xd9\xa4\xd9\xa2", "12", "2030"), NULL, BAD },
  { "exp/month-13", VISA_TOKEN ("13", "2030"), NULL, BAD },
  { "exp/month-0", VISA_TOKEN ("0", "2030"), NULL, BAD },
  { "exp/month-negative", VISA_TOKEN ("-1", "2030"), NULL, BAD },
  { "exp/month-double", VISA_TOKEN ("12.0", "2030"), NULL, BAD },
  { "exp/month-exponent", VISA_TOKEN ("1.2e1", "2030"), NULL, BAD },
  { "exp/year-99999", VISA_TOKEN ("12", "99999"), NULL, BAD },
  { "exp/year-1999", VISA_TOKEN ("12", "1999"), NULL, BAD },
  { "exp/year-2101", VISA_TOKEN ("12", "2101"), NULL, BAD },
  { "exp/year-two-digits", VISA_TOKEN ("12", "30"), NULL, BAD },
  { "exp/year-1e3", VISA_TOKEN ("12", "1e3"), NULL, BAD },
  { "exp/year-2030e0", VISA_TOKEN ("12", "2030e0"), NULL, BAD },
  { "exp/year-double", VISA_TOKEN ("12", "2030.0"), NULL, BAD },
  { "exp/year-past-int", VISA_TOKEN ("12", "4294969326"), NULL, BAD },

  /* Codes, messages and lists */
  { "code/uppercase", ERROR_RESULT ("\"type\":\"card_error\",\"code\":\"Card_Declined" CANARY "\",\"message\":\"m\""), NULL, BAD },
  { "code/space", ERROR_RESULT ("\"type\":\"card_error\",\"code\":\"card declined\",\"message\":\"m\""), NULL, BAD },
  { "code/empty", ERROR_RESULT ("\"type\":\"card_error\",\"code\":\"\",\"message\":\"m\""), NULL, BAD },
  { "code/101", NULL, make_code_101, BAD },
  { "code/decline-code-dash", ERROR_RESULT ("\"type\":\"card_error\",\"decline_code\":\"generic-decline\",\"message\":\"m\""), NULL, BAD },
  { "code/change-error", CHANGE (",\"error\":{\"code\":\"Invalid<b>\",\"message\":\"m\"}"), NULL, BAD },
  { "error-type/unknown", ERROR_RESULT ("\"type\":\"" CANARY "_error\",\"message\":\"m\""), NULL, BAD },
  { "error-type/missing", ERROR_RESULT ("\"message\":\"m\""), NULL, BAD },
  { "message/empty", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"\""), NULL, BAD },
  { "message/escaped-newline", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"line\\n" CANARY "\""), NULL, BAD },
  { "message/control-u0001", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"a\\u0001" CANARY "\""), NULL, BAD },
  { "message/escape-char", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"\\u001b[31m" CANARY "\""), NULL, BAD },
  { "message/del", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"a\\u007f" CANARY "\""), NULL, BAD },
  { "message/c1-control", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"a\xc2\x85" CANARY "\""), NULL, BAD },
  { "message/bidi-override", ERROR_RESULT ("\"type\":\"card_error\",\"message\":\"Approved \\u202e" CANARY "\""), NULL, BAD },
  { "message/change-error-control", CHANGE (",\"error\":{\"code\":\"invalid_number\",\"message\":\"\\r" CANARY "\"}"), NULL, BAD },
  { "status/unknown", ACTION ("pi_1", "approved" CANARY), NULL, BAD },
  { "status/capitalised", ACTION ("pi_1", "Succeeded"), NULL, BAD },
};

#undef MALFORMED
#undef UNKNOWN
#undef BAD
#undef FORBIDDEN

static void
test_refused (gconstpointer data)
{
  const RefusedCase *test = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillCardMessage) message = NULL;
  g_autofree char *made = NULL;
  const char *json = test->json;
  gsize length = json != NULL ? strlen (json) : 0;

  if (test->make != NULL)
    json = made = test->make (&length);

  message = till_card_message_parse (json, length, &error);
  g_assert_null (message);
  g_assert_error (error, TILL_CARD_MESSAGE_ERROR, (int) test->code);
  g_test_message ("%s", error->message);
  /* The page's text never reaches a log through the error. */
  g_assert_null (strstr (error->message, CANARY));
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* Loose ends */

static void
test_free_null (void)
{
  till_card_message_free (NULL);
}

/* The length is what counts, not a terminating NUL. */
static void
test_length_not_nul (void)
{
  const char json[] = "{\"type\":\"ready\"}{\"type\":\"ready\"}";
  g_autoptr(GError) error = NULL;
  g_autoptr(TillCardMessage) message = NULL;

  message = till_card_message_parse (json, strlen ("{\"type\":\"ready\"}"), &error);
  g_assert_no_error (error);
  g_assert_cmpint (message->type, ==, TILL_CARD_MESSAGE_READY);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/card-message/valid/%s", valid_cases[i].name);
      g_test_add_data_func (path, &valid_cases[i], test_valid);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/card-message/refused/%s", refused_cases[i].name);
      g_test_add_data_func (path, &refused_cases[i], test_refused);
    }
  g_test_add_func ("/card-message/free-null", test_free_null);
  g_test_add_func ("/card-message/length-not-nul", test_length_not_nul);

  return g_test_run ();
}
