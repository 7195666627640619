/* test-server-input.c: every kind of bad input to till-server
 *
 * Each case sends one hostile or broken request to a real till-server and
 * asserts the status, the stable error code, that nothing was stored, and
 * that the server still answers.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "cashier-password-1"
#define MANAGER_PASSWORD "manager-password-1"

typedef enum { AS_NOBODY, AS_CASHIER, AS_MANAGER } Who;

typedef struct
{
  const char *name;
  const char *method;
  const char *path;          /* "{payment}" stands for a real payment's id */
  Who         who;
  const char *key;           /* Idempotency-Key; "new" for a fresh one */
  const char *content_type;
  const char *body;          /* NULL: no body; see also body_maker */
  char     *(*body_maker) (void);
  guint       status;
  const char *code;
} BadInput;

static TillTestServer *shop;
static char *cashier_token;
static char *manager_token;
static char *payment_id;

static char *
repeat (const char *unit,
        guint       times)
{
  GString *s = g_string_sized_new (strlen (unit) * times);

  for (guint i = 0; i < times; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static char *
body_too_large (void)
{
  g_autofree char *filler = repeat ("x", 100 * 1024);

  return g_strdup_printf ("{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa\",\"description\":\"%s\"}", filler);
}

static char *
long_description (void)
{
  g_autofree char *filler = repeat ("é", 5000);

  return g_strdup_printf ("{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa\",\"description\":\"%s\"}", filler);
}

static char *
long_token (void)
{
  g_autofree char *filler = repeat ("a", 10000);

  return g_strdup_printf ("{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_%s\"}", filler);
}

static char *
long_username (void)
{
  g_autofree char *filler = repeat ("u", 10000);

  return g_strdup_printf ("{\"username\":\"%s\",\"password\":\"x\"}", filler);
}

/* Deeply nested JSON, within the body limit: a recursive parser must not
 * overflow its stack on it. */
static char *
deep_nesting (void)
{
  g_autofree char *open = repeat ("[", 30000);
  g_autofree char *close = repeat ("]", 30000);

  return g_strconcat (open, close, NULL);
}

static char *
invalid_utf8 (void)
{
  return g_strdup ("{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa\",\"description\":\"\xff\xfe\"}");
}

#define PAY "/api/payments"
#define JSON "application/json"
#define OK_BODY(extra) "{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa\"" extra "}"

static const BadInput cases[] = {
  /* The body as a whole */
  { "malformed-json", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":", NULL, 400, "malformed_json" },
  { "empty-body", "POST", PAY, AS_CASHIER, "new", JSON, "", NULL, 400, "malformed_json" },
  { "array-body", "POST", PAY, AS_CASHIER, "new", JSON, "[1,2,3]", NULL, 400, "invalid_body" },
  { "string-body", "POST", PAY, AS_CASHIER, "new", JSON, "\"pay me\"", NULL, 400, "invalid_body" },
  { "invalid-utf8", "POST", PAY, AS_CASHIER, "new", JSON, NULL, invalid_utf8, 400, "malformed_json" },
  { "deep-nesting", "POST", PAY, AS_CASHIER, "new", JSON, NULL, deep_nesting, 400, "invalid_field" },
  { "too-large", "POST", PAY, AS_CASHIER, "new", JSON, NULL, body_too_large, 413, "body_too_large" },
  { "form-encoded", "POST", PAY, AS_CASHIER, "new", "application/x-www-form-urlencoded", "amount=100", NULL, 415, "unsupported_media_type" },
  { "unknown-field", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"status\":\"succeeded\""), NULL, 400, "unknown_field" },
  /* Not JSON, although json-glib 1.6 alone takes it (issue 9, D) */
  { "amount-leading-zero", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":0100,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "amount-octal", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":0777,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "amount-hex", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":0x64,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "amount-plus", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":+100,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "amount-twice", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"amount\":5000,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-twice-escaped", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"\\u0061mount\":5000,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "single-quotes", "POST", PAY, AS_CASHIER, "new", JSON, "{'amount':100,'currency':'USD','token':'pm_card_visa'}", NULL, 400, "malformed_json" },
  { "single-quoted-value", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":'USD',\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "line-comment", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100, // cents\n\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "block-comment", "POST", PAY, AS_CASHIER, "new", JSON, "{/**/\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "trailing-comma", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (","), NULL, 400, "malformed_json" },
  { "text-after-body", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY ("") " {}", NULL, 400, "malformed_json" },
  { "bare-word-value", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":Infinity,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "malformed_json" },
  { "refund-amount-hex", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{\"amount\":0x10}", NULL, 400, "malformed_json" },
  { "refund-amount-leading-zero", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{\"amount\":010}", NULL, 400, "malformed_json" },
  { "refund-comment", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{/* all */}", NULL, 400, "malformed_json" },
  { "confirm-comment", "POST", "/api/payments/{payment}/confirm", AS_MANAGER, NULL, JSON, "{//\n}", NULL, 400, "malformed_json" },
  { "login-single-quotes", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{'username':'alice','password':'x'}", NULL, 400, "malformed_json" },
  /* Lone surrogates, which json-glib writes out as invalid UTF-8 (issue 9, G) */
  { "description-lone-high-surrogate", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":\"a\\ud800b\""), NULL, 400, "malformed_json" },
  { "description-lone-low-surrogate", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":\"\\udfff\""), NULL, 400, "malformed_json" },
  { "description-reversed-pair", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":\"\\ude00\\ud83d\""), NULL, 400, "malformed_json" },
  { "description-raw-surrogate", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":\"\xed\xa0\x80\""), NULL, 400, "malformed_json" },
  { "login-lone-surrogate", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{\"username\":\"\\ud800\",\"password\":\"x\"}", NULL, 400, "malformed_json" },
  /* amount */
  { "amount-missing", "POST", PAY, AS_CASHIER, "new", JSON, "{\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "missing_field" },
  { "amount-null", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":null,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "missing_field" },
  { "amount-string", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":\"100\",\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-fraction", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":12.5,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-exponent", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":1e3,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-boolean", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":true,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-object", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":{\"value\":1},\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-past-int64", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":99999999999999999999999,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-wraps-to-100", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":-18446744073709551516,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-wraps-negative", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":9223372036854775908,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "amount-negative", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":-100,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_amount" },
  { "amount-zero", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":0,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_amount" },
  { "amount-over-stripe-limit", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100000000,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_amount" },
  /* currency */
  { "currency-other", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"EUR\",\"token\":\"pm_card_visa\"}", NULL, 400, "currency_mismatch" },
  { "currency-sql", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD'; DROP TABLE payments; --\",\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  { "currency-number", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":840,\"token\":\"pm_card_visa\"}", NULL, 400, "invalid_field" },
  /* token */
  { "token-missing", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD\"}", NULL, 400, "missing_field" },
  { "token-empty", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD\",\"token\":\"\"}", NULL, 400, "missing_field" },
  { "token-number", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD\",\"token\":42}", NULL, 400, "invalid_field" },
  { "token-sql", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa' OR '1'='1\"}", NULL, 400, "invalid_token" },
  { "token-form-injection", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD\",\"token\":\"pm_card_visa&amount=1\"}", NULL, 400, "invalid_token" },
  { "token-legacy-in-intents-shop", "POST", PAY, AS_CASHIER, "new", JSON, "{\"amount\":100,\"currency\":\"USD\",\"token\":\"tok_visa\"}", NULL, 400, "invalid_token" },
  { "token-very-long", "POST", PAY, AS_CASHIER, "new", JSON, NULL, long_token, 400, "invalid_field" },
  /* description */
  { "description-very-long", "POST", PAY, AS_CASHIER, "new", JSON, NULL, long_description, 400, "invalid_field" },
  { "description-control-chars", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":\"bell\\u0007\\r\\nSet-Cookie: x\""), NULL, 400, "invalid_field" },
  { "description-nul", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":\"a\\u0000b\""), NULL, 400, "invalid_field" },
  { "description-array", "POST", PAY, AS_CASHIER, "new", JSON, OK_BODY (",\"description\":[\"a\"]"), NULL, 400, "invalid_field" },
  /* Idempotency-Key */
  { "key-missing", "POST", PAY, AS_CASHIER, NULL, JSON, OK_BODY (""), NULL, 400, "missing_idempotency_key" },
  { "key-short", "POST", PAY, AS_CASHIER, "abc", JSON, OK_BODY (""), NULL, 400, "invalid_idempotency_key" },
  { "key-hostile", "POST", PAY, AS_CASHIER, "../../etc/passwd'--", JSON, OK_BODY (""), NULL, 400, "invalid_idempotency_key" },
  /* sessions */
  { "no-session", "POST", PAY, AS_NOBODY, "new", JSON, OK_BODY (""), NULL, 401, "unauthorized" },
  { "login-sql", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{\"username\":\"' OR '1'='1' --\",\"password\":\"' OR '1'='1\"}", NULL, 401, "invalid_credentials" },
  { "login-long-username", "POST", "/api/login", AS_NOBODY, NULL, JSON, NULL, long_username, 400, "invalid_field" },
  { "login-password-number", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{\"username\":\"alice\",\"password\":12345678}", NULL, 400, "invalid_field" },
  { "login-missing-password", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{\"username\":\"alice\"}", NULL, 400, "missing_field" },
  { "login-extra-field", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{\"username\":\"alice\",\"password\":\"x\",\"role\":\"manager\"}", NULL, 400, "unknown_field" },
  { "login-control-chars", "POST", "/api/login", AS_NOBODY, NULL, JSON, "{\"username\":\"al\\u001bice\",\"password\":\"x\"}", NULL, 400, "invalid_field" },
  /* routes and methods */
  { "unknown-route", "GET", "/api/does-not-exist", AS_CASHIER, NULL, NULL, NULL, NULL, 404, "not_found" },
  { "outside-api", "GET", "/etc/passwd", AS_NOBODY, NULL, NULL, NULL, NULL, 404, "not_found" },
  { "wrong-method", "DELETE", PAY, AS_CASHIER, NULL, NULL, NULL, NULL, 405, "method_not_allowed" },
  { "wrong-method-login", "GET", "/api/login", AS_NOBODY, NULL, NULL, NULL, NULL, 405, "method_not_allowed" },
  { "payment-id-sql", "GET", "/api/payments/pay_x'%20OR%20'1'='1", AS_MANAGER, NULL, NULL, NULL, NULL, 404, "not_found" },
  { "payment-unknown", "GET", "/api/payments/pay_doesnotexist", AS_MANAGER, NULL, NULL, NULL, NULL, 404, "payment_not_found" },
  { "list-limit-zero", "GET", "/api/payments?limit=0", AS_MANAGER, NULL, NULL, NULL, NULL, 400, "invalid_parameter" },
  { "list-limit-text", "GET", "/api/payments?limit=ten", AS_MANAGER, NULL, NULL, NULL, NULL, 400, "invalid_parameter" },
  { "list-cursor-unknown", "GET", "/api/payments?starting_after=pay_nope", AS_MANAGER, NULL, NULL, NULL, NULL, 400, "invalid_parameter" },
  { "report-bad-date", "GET", "/api/reports/day?date=%3Cscript%3E", AS_MANAGER, NULL, NULL, NULL, NULL, 400, "invalid_parameter" },
  /* refunds */
  { "refund-by-cashier", "POST", "/api/payments/{payment}/refunds", AS_CASHIER, "new", JSON, "{}", NULL, 403, "approval_required" },
  { "refund-approval-not-object", "POST", "/api/payments/{payment}/refunds", AS_CASHIER, "new", JSON, "{\"approval\":\"morgan\"}", NULL, 400, "invalid_field" },
  { "refund-approval-extra-field", "POST", "/api/payments/{payment}/refunds", AS_CASHIER, "new", JSON, "{\"approval\":{\"username\":\"m\",\"password\":\"p\",\"otp\":\"1\"}}", NULL, 400, "unknown_field" },
  { "refund-approval-no-password", "POST", "/api/payments/{payment}/refunds", AS_CASHIER, "new", JSON, "{\"approval\":{\"username\":\"morgan\"}}", NULL, 400, "missing_field" },
  { "refund-amount-string", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{\"amount\":\"all\"}", NULL, 400, "invalid_field" },
  { "refund-amount-too-much", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{\"amount\":101}", NULL, 400, "invalid_amount" },
  { "refund-amount-negative", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{\"amount\":-5}", NULL, 400, "invalid_amount" },
  { "refund-reason-unknown", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, "new", JSON, "{\"reason\":\"because\"}", NULL, 400, "invalid_field" },
  { "refund-no-key", "POST", "/api/payments/{payment}/refunds", AS_MANAGER, NULL, JSON, "{}", NULL, 400, "missing_idempotency_key" },
  { "refund-unknown-payment", "POST", "/api/payments/pay_nope/refunds", AS_MANAGER, "new", JSON, "{}", NULL, 404, "payment_not_found" },
};

static gint64
refunded_so_far (void)
{
  g_autofree char *path = g_strdup_printf ("/api/payments/%s", payment_id);
  g_autoptr(TillTestResponse) response = till_test_get (shop, path, manager_token);

  g_assert_cmpuint (response->status, ==, 200);
  return till_test_json_int (response->json, "amount_refunded");
}

static void
test_bad_input (gconstpointer data)
{
  const BadInput *c = data;
  g_autofree char *body = c->body_maker ? c->body_maker () : g_strdup (c->body);
  g_autofree char *key = c->key && g_str_equal (c->key, "new") ? till_test_new_key () : g_strdup (c->key);
  g_autofree char *path = NULL;
  g_auto(GStrv) parts = g_strsplit (c->path, "{payment}", 2);
  gint64 payments_before = till_test_server_count_payments (shop, manager_token);
  gint64 refunded_before = refunded_so_far ();
  const char *token = c->who == AS_CASHIER ? cashier_token : c->who == AS_MANAGER ? manager_token : NULL;
  g_autoptr(TillTestResponse) response = NULL;
  g_autoptr(TillTestResponse) alive = NULL;

  path = g_strjoinv (payment_id, parts);
  response = till_test_request (shop, c->method, path, token, key, c->content_type, body,
                                body ? (gssize) strlen (body) : 0);

  till_assert_error_code (response, c->status, c->code);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==, "application/json");
  if (c->status == 405)
    g_assert_nonnull (soup_message_headers_get_one (response->headers, "Allow"));

  /* Nothing stored, nothing refunded, and still serving. */
  g_assert_cmpint (till_test_server_count_payments (shop, manager_token), ==, payments_before);
  g_assert_cmpint (refunded_so_far (), ==, refunded_before);
  alive = till_test_get (shop, "/api/check-auth", cashier_token);
  g_assert_cmpuint (alive->status, ==, 200);
}

/* A chunked body has no Content-Length to refuse it by: it is cut off at
 * the limit all the same, and the connection does not take the server down. */
static void
test_chunked_body_too_large (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (shop->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *head = NULL;
  g_autofree char *chunk = repeat ("x", 8192);
  g_autofree char *chunk_line = g_strdup_printf ("2000\r\n%s\r\n", chunk);
  g_autofree char *key = till_test_new_key ();
  char reply[512] = { 0 };
  GOutputStream *out;
  gint64 payments_before = till_test_server_count_payments (shop, manager_token);
  g_autoptr(TillTestResponse) alive = NULL;

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  head = g_strdup_printf ("POST /api/payments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer %s\r\nIdempotency-Key: %s\r\n"
                          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                          cashier_token, key);
  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  /* 2 MiB, far past twice the limit: the server hangs up early. */
  for (int i = 0; i < 256; i++)
    if (!g_output_stream_write_all (out, chunk_line, strlen (chunk_line), NULL, NULL, NULL))
      break;
  g_output_stream_write_all (out, "0\r\n\r\n", 5, NULL, NULL, NULL);

  g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                       reply, sizeof reply - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (reply, "body_too_large"));
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);

  g_assert_cmpint (till_test_server_count_payments (shop, manager_token), ==, payments_before);
  alive = till_test_get (shop, "/api/check-auth", cashier_token);
  g_assert_cmpuint (alive->status, ==, 200);
}

/* A declared length over twice the limit is refused at once, without
 * waiting for (or holding) the body, signed in or not: a connection that
 * has not signed in can make the server hold at most twice the limit. */
typedef struct
{
  const char *name;
  const char *path;
  gboolean    as_cashier;
  const char *length;
} DeclaredLength;

static const DeclaredLength declared_lengths[] = {
  { "declared-length-too-large", "/api/payments", TRUE, "1000000000" },
  /* The default limit is 64 KiB: one byte over twice it, before sign-in. */
  { "declared-length-over-twice-the-limit", "/api/login", FALSE, "131073" },
};

static void
test_declared_length_too_large (gconstpointer data)
{
  const DeclaredLength *tc = data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = g_uri_parse (shop->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *auth = tc->as_cashier ? g_strdup_printf ("Authorization: Bearer %s\r\n", cashier_token)
                                         : g_strdup ("");
  g_autofree char *head = NULL;
  g_autoptr(TillTestResponse) alive = NULL;
  char reply[512] = { 0 };

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "%sIdempotency-Key: %s\r\n"
                          "Content-Type: application/json\r\nContent-Length: %s\r\n\r\n{",
                          tc->path, auth, key, tc->length);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             head, strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  /* Only the headers went: the answer comes without the body. */
  g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                       reply, sizeof reply - 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 413"));
  g_assert_nonnull (strstr (reply, "body_too_large"));

  alive = till_test_get (shop, "/api/check-auth", cashier_token);
  g_assert_cmpuint (alive->status, ==, 200);
}

/* Hostile strings that are valid input are stored and returned exactly,
 * never interpreted. */
static void
test_hostile_description_round_trips (void)
{
  const char *hostile = "Robert'); DROP TABLE payments;-- <script>alert(1)</script> %s%n ${x} \\\" ☕";
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = NULL;
  g_autoptr(TillTestResponse) created = NULL;
  g_autoptr(TillTestResponse) fetched = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_int_value (builder, 250);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, "usd");
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, "pm_card_visa");
  json_builder_set_member_name (builder, "description");
  json_builder_add_string_value (builder, hostile);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  created = till_test_post_json (shop, "/api/payments", cashier_token, key, body);
  g_assert_cmpuint (created->status, ==, 201);
  path = g_strdup_printf ("/api/payments/%s", till_test_json_string (created->json, "payment.id"));
  fetched = till_test_get (shop, path, manager_token);
  g_assert_cmpstr (till_test_json_string (fetched->json, "description"), ==, hostile);
  g_assert_cmpint (till_test_server_count_payments (shop, manager_token), >=, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TillTestResponse) first = NULL;
  g_autofree char *key = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  shop = till_test_server_new (NULL, NULL);
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);
  cashier_token = till_test_server_login (shop, "alice", CASHIER_PASSWORD);
  manager_token = till_test_server_login (shop, "morgan", MANAGER_PASSWORD);

  /* One real payment, for the refund cases to aim at. */
  key = till_test_new_key ();
  first = till_test_post_json (shop, "/api/payments", cashier_token, key, OK_BODY (""));
  g_assert_cmpuint (first->status, ==, 201);
  payment_id = g_strdup (till_test_json_string (first->json, "payment.id"));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/bad-input/%s", cases[i].name);

      g_test_add_data_func (name, &cases[i], test_bad_input);
    }
  g_test_add_func ("/server/bad-input/chunked-too-large", test_chunked_body_too_large);
  for (guint i = 0; i < G_N_ELEMENTS (declared_lengths); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/bad-input/%s", declared_lengths[i].name);

      g_test_add_data_func (name, &declared_lengths[i], test_declared_length_too_large);
    }
  g_test_add_func ("/server/bad-input/hostile-description-round-trips", test_hostile_description_round_trips);

  status = till_test_run ();

  till_test_server_free (shop);
  g_free (cashier_token);
  g_free (manager_token);
  g_free (payment_id);
  return status;
}
