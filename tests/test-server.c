/* test-server.c: till-server over real HTTP on loopback
 *
 * Each test talks to a real till-server process with a real SQLite file,
 * which talks to the Stripe stand-in (stripe-stateful-mock for charges and
 * refunds, plus PaymentIntents). Outcomes are checked at both ends: what
 * the terminal is told, and what Stripe has.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define CASHIER2_PASSWORD "bob-password-22"
#define MANAGER_PASSWORD "morgan-password-3"

/* Two shops, one per Stripe mode, started once for the whole program. */
static TillTestServer *intents_shop;
static TillTestServer *charges_shop;

static void
add_staff (TillTestServer *server)
{
  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (server, "bob", "cashier", CASHIER2_PASSWORD);
  till_test_server_add_user (server, "morgan", "manager", MANAGER_PASSWORD);
}

static TillTestServer *
start_shop (const char *extra_config)
{
  TillTestServer *server = till_test_server_new (NULL, extra_config);

  add_staff (server);
  till_test_server_start (server);
  return server;
}

static char *
cashier (TillTestServer *server)
{
  return till_test_server_login (server, "alice", CASHIER_PASSWORD);
}

static char *
manager (TillTestServer *server)
{
  return till_test_server_login (server, "morgan", MANAGER_PASSWORD);
}

static TillTestResponse *
pay_in (TillTestServer *server,
        const char     *token,
        const char     *key,
        gint64          amount,
        const char     *currency,
        const char     *source)
{
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"%s\",\"token\":\"%s\","
                     "\"description\":\"Test sale\"}", amount, currency, source);

  return till_test_post_json (server, "/api/payments", token, key, body);
}

static TillTestResponse *
pay (TillTestServer *server,
     const char     *token,
     const char     *key,
     gint64          amount,
     const char     *source)
{
  return pay_in (server, token, key, amount, "USD", source);
}

/* Charges at the stand-in that till-server made for this payment id. */
static guint
charges_at_stripe (const char *payment_id,
                   gint64     *out_amount)
{
  return till_test_stripe_count_for_payment ("/v1/charges", payment_id, NULL, out_amount);
}

static guint
intents_at_stripe (const char *payment_id,
                   const char *status,
                   gint64     *out_amount)
{
  return till_test_stripe_count_for_payment ("/v1/payment_intents", payment_id, status, out_amount);
}

static gint64
count_payments (TillTestServer *server)
{
  g_autofree char *token = manager (server);

  return till_test_server_count_payments (server, token);
}

/* Sessions */

static void
test_login_ok (void)
{
  g_autoptr(TillTestResponse) response =
    till_test_post_json (intents_shop, "/api/login", NULL, NULL,
                         "{\"username\":\"alice\",\"password\":\"" CASHIER_PASSWORD "\"}");
  const char *token;
  g_autoptr(TillTestResponse) check = NULL;

  g_assert_cmpuint (response->status, ==, 200);
  token = till_test_json_string (response->json, "token");
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), ==, 43);   /* 256 bits, base64url */
  g_assert_cmpstr (till_test_json_string (response->json, "user.name"), ==, "alice");
  g_assert_cmpstr (till_test_json_string (response->json, "user.role"), ==, "cashier");
  g_assert_nonnull (till_test_json_string (response->json, "expires_at"));

  check = till_test_get (intents_shop, "/api/check-auth", token);
  g_assert_cmpuint (check->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (check->json, "user.name"), ==, "alice");
}

static void
test_login_wrong_password (void)
{
  g_autoptr(TillTestResponse) response =
    till_test_post_json (intents_shop, "/api/login", NULL, NULL,
                         "{\"username\":\"bob\",\"password\":\"not-his-password\"}");

  till_assert_error_code (response, 401, "invalid_credentials");
  g_assert_null (till_test_json_string (response->json, "token"));
}

static void
test_login_unknown_user (void)
{
  g_autoptr(TillTestResponse) response =
    till_test_post_json (intents_shop, "/api/login", NULL, NULL,
                         "{\"username\":\"nobody\",\"password\":\"whatever-1\"}");

  /* The same answer as a wrong password: no way to probe for names. */
  till_assert_error_code (response, 401, "invalid_credentials");
}

static void
test_login_disabled_user (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *token = till_test_server_login (server, "bob", CASHIER2_PASSWORD);
  g_autoptr(TillTestResponse) before = till_test_get (server, "/api/check-auth", token);
  g_autoptr(TillTestResponse) after = NULL;
  g_autoptr(TillTestResponse) login = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpuint (before->status, ==, 200);
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "user", "disable", "bob", NULL), ==, 0);

  /* Disabling signs the running session out at once... */
  after = till_test_get (server, "/api/check-auth", token);
  till_assert_error_code (after, 401, "unauthorized");
  /* ...and the right password no longer signs in. */
  login = till_test_post_json (server, "/api/login", NULL, NULL,
                               "{\"username\":\"bob\",\"password\":\"" CASHIER2_PASSWORD "\"}");
  till_assert_error_code (login, 403, "account_disabled");
}

static void
test_login_rate_limit_user (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autoptr(TillTestResponse) limited = NULL;
  g_autoptr(TillTestResponse) other = NULL;
  const char *retry_after;
  guint64 seconds;

  for (int i = 0; i < 5; i++)
    {
      g_autoptr(TillTestResponse) response =
        till_test_post_json (server, "/api/login", NULL, NULL,
                             "{\"username\":\"alice\",\"password\":\"guess-number-x\"}");
      till_assert_error_code (response, 401, "invalid_credentials");
    }

  /* The sixth try is refused even with the right password. */
  limited = till_test_post_json (server, "/api/login", NULL, NULL,
                                 "{\"username\":\"alice\",\"password\":\"" CASHIER_PASSWORD "\"}");
  till_assert_error_code (limited, 429, "rate_limited");
  retry_after = soup_message_headers_get_one (limited->headers, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_true (g_ascii_string_to_unsigned (retry_after, 10, 1, 60, &seconds, NULL));

  /* Another user from the same address is not locked out by alice's. */
  other = till_test_post_json (server, "/api/login", NULL, NULL,
                               "{\"username\":\"bob\",\"password\":\"" CASHIER2_PASSWORD "\"}");
  g_assert_cmpuint (other->status, ==, 200);
}

static void
test_login_rate_limit_address (void)
{
  g_autoptr(TillTestServer) server =
    start_shop ("[server]\nlogin-failures-per-address=4\nlogin-failures-per-user=100\n");
  g_autoptr(TillTestResponse) limited = NULL;

  for (int i = 0; i < 4; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"username\":\"user%d\",\"password\":\"guess-x\"}", i);
      g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/login", NULL, NULL, body);

      till_assert_error_code (response, 401, "invalid_credentials");
    }

  limited = till_test_post_json (server, "/api/login", NULL, NULL,
                                 "{\"username\":\"bob\",\"password\":\"" CASHIER2_PASSWORD "\"}");
  till_assert_error_code (limited, 429, "rate_limited");
  g_assert_nonnull (soup_message_headers_get_one (limited->headers, "Retry-After"));
}

/* A session ends after the configured lifetime. The server counts whole
 * seconds, and a sign-in under ASan on a loaded machine can take most of
 * one: the test reads the clock rather than assuming how long a request
 * takes, and waits for the end instead of sleeping a fixed time. */
static void
test_session_expired (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[server]\nsession-lifetime-seconds=3\n");
  gint64 signed_in = g_get_monotonic_time ();
  g_autofree char *token = cashier (server);
  g_autoptr(TillTestResponse) fresh = till_test_get (server, "/api/check-auth", token);
  g_autoptr(TillTestResponse) stale = NULL;
  g_autoptr(TillTestResponse) payment = NULL;
  g_autofree char *key = till_test_new_key ();
  gint64 ended;

  /* Well inside the lifetime, the session is good. */
  if (g_get_monotonic_time () - signed_in < 2 * G_USEC_PER_SEC)
    g_assert_cmpuint (fresh->status, ==, 200);

  for (;;)
    {
      g_clear_pointer (&stale, till_test_response_free);
      stale = till_test_get (server, "/api/check-auth", token);
      if (stale->status != 200)
        break;
      g_assert_cmpint (g_get_monotonic_time () - signed_in, <, 10 * G_USEC_PER_SEC);
      till_test_settle (100);
    }
  ended = g_get_monotonic_time ();
  till_assert_error_code (stale, 401, "session_expired");
  g_assert_nonnull (soup_message_headers_get_one (stale->headers, "WWW-Authenticate"));
  /* Not before its lifetime (less the second the server rounds away). */
  g_assert_cmpint (ended - signed_in, >=, 2 * G_USEC_PER_SEC);

  payment = pay (server, token, key, 500, "pm_card_visa");
  g_assert_cmpuint (payment->status, ==, 401);
  g_assert_cmpint (count_payments (server), ==, 0);
}

static void
test_logout_revokes (void)
{
  g_autofree char *token = cashier (intents_shop);
  g_autoptr(TillTestResponse) logout = till_test_request (intents_shop, "POST", "/api/logout", token,
                                                          NULL, NULL, NULL, 0);
  g_autoptr(TillTestResponse) check = till_test_get (intents_shop, "/api/check-auth", token);
  g_autoptr(TillTestResponse) again = NULL;

  g_assert_cmpuint (logout->status, ==, 204);
  till_assert_error_code (check, 401, "unauthorized");
  again = till_test_request (intents_shop, "POST", "/api/logout", token, NULL, NULL, NULL, 0);
  g_assert_cmpuint (again->status, ==, 401);
}

static void
test_no_or_forged_session (void)
{
  g_autoptr(TillTestResponse) none = till_test_get (intents_shop, "/api/config", NULL);
  g_autoptr(TillTestResponse) forged =
    till_test_get (intents_shop, "/api/config", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

  till_assert_error_code (none, 401, "unauthorized");
  till_assert_error_code (forged, 401, "unauthorized");
}

static void
test_config (void)
{
  g_autofree char *token = cashier (intents_shop);
  g_autoptr(TillTestResponse) response = till_test_get (intents_shop, "/api/config", token);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (response->json, "publishable_key"), ==, "pk_test_harness");
  g_assert_cmpstr (till_test_json_string (response->json, "currency"), ==, "USD");
  g_assert_cmpint (till_test_json_int (response->json, "currency_exponent"), ==, 2);
  g_assert_cmpstr (till_test_json_string (response->json, "mode"), ==, "payment_intents");
  g_assert_true (g_str_has_prefix (till_test_json_string (response->json, "stripe_js_url"), "http://127.0.0.1:"));
  /* The secret key is never part of any answer. */
  g_assert_null (strstr (response->body, "sk_test"));
}

/* Charges (the legacy token mode) */

static void
test_charge_approved (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (charges_shop, token, key, 1234, "tok_visa");
  const char *id;
  gint64 amount = 0;

  g_assert_cmpuint (response->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "succeeded");
  g_assert_cmpint (till_test_json_int (response->json, "payment.amount"), ==, 1234);
  g_assert_cmpstr (till_test_json_string (response->json, "payment.card.brand"), ==, "visa");
  g_assert_cmpstr (till_test_json_string (response->json, "payment.card.last4"), ==, "4242");
  g_assert_cmpstr (till_test_json_string (response->json, "payment.idempotency_key"), ==, key);

  id = till_test_json_string (response->json, "payment.id");
  g_assert_true (g_str_has_prefix (id, "pay_"));
  g_assert_cmpuint (charges_at_stripe (id, &amount), ==, 1);
  g_assert_cmpint (amount, ==, 1234);
  till_test_stripe_assert_conforms ();
}

static void
check_decline (const char *source,
               const char *decline_code)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (charges_shop, token, key, 2000, source);
  g_autoptr(TillTestResponse) stored = NULL;
  g_autofree char *path = NULL;

  till_assert_error_code (response, 402, "card_declined");
  g_assert_cmpstr (till_test_json_string (response->json, "error.decline_code"), ==, decline_code);
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "declined");

  /* Recorded as declined, and asking again answers the same. */
  path = g_strdup_printf ("/api/payments/%s", till_test_json_string (response->json, "payment.id"));
  stored = till_test_get (charges_shop, path, token);
  g_assert_cmpuint (stored->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (stored->json, "status"), ==, "declined");
  g_assert_cmpstr (till_test_json_string (stored->json, "decline_code"), ==, decline_code);
  till_test_stripe_assert_conforms ();
}

static void
test_charge_declined (void)
{
  check_decline ("tok_chargeDeclined", "generic_decline");
}

static void
test_charge_insufficient_funds (void)
{
  check_decline ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds");
}

static void
test_charge_stripe_500 (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (charges_shop, token, key, 700, "tok_500");

  /* Unknown, never "failed": the row stays pending for a retry by key. */
  till_assert_error_code (response, 502, "stripe_error");
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "pending");
}

static void
test_charge_stripe_429 (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (charges_shop, token, key, 700, "tok_429");

  till_assert_error_code (response, 503, "stripe_rate_limited");
  g_assert_nonnull (soup_message_headers_get_one (response->headers, "Retry-After"));
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "pending");
}

static void
test_charge_same_key_twice (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) first = pay (charges_shop, token, key, 4321, "tok_visa");
  guint posts = till_test_stripe_count_requests ("POST", "/v1/charges");
  g_autoptr(TillTestResponse) second = pay (charges_shop, token, key, 4321, "tok_visa");
  const char *id = till_test_json_string (first->json, "payment.id");

  g_assert_cmpuint (first->status, ==, 201);
  g_assert_cmpuint (second->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (second->headers, "Idempotent-Replayed"), ==, "true");
  g_assert_cmpstr (till_test_json_string (second->json, "payment.id"), ==, id);
  /* Answered from the database: Stripe was not asked again... */
  g_assert_cmpuint (till_test_stripe_count_requests ("POST", "/v1/charges"), ==, posts);
  /* ...and Stripe holds exactly one charge. */
  g_assert_cmpuint (charges_at_stripe (id, NULL), ==, 1);
}

static void
test_charge_same_key_other_amount (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) first = pay (charges_shop, token, key, 1000, "tok_visa");
  g_autoptr(TillTestResponse) second = pay (charges_shop, token, key, 1001, "tok_visa");

  g_assert_cmpuint (first->status, ==, 201);
  till_assert_error_code (second, 409, "idempotency_key_reused");
  g_assert_cmpuint (charges_at_stripe (till_test_json_string (first->json, "payment.id"), NULL), ==, 1);
}

static void
test_charge_wrong_kind_of_token (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  gint64 before = count_payments (charges_shop);
  g_autoptr(TillTestResponse) response = pay (charges_shop, token, key, 1000, "pm_card_visa");

  till_assert_error_code (response, 400, "invalid_token");
  g_assert_cmpint (count_payments (charges_shop), ==, before);
}

/* Refunds */

static char *
approved_payment (TillTestServer *server,
                  const char     *source,
                  gint64          amount)
{
  g_autofree char *token = cashier (server);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (server, token, key, amount, source);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

static TillTestResponse *
refund (TillTestServer *server,
        const char     *token,
        const char     *payment_id,
        const char     *key,
        const char     *body)
{
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);

  return till_test_post_json (server, path, token, key, body);
}

static gint64
refunded_at_stripe (const char *payment_id)
{
  g_autoptr(JsonNode) list = till_test_stripe_get_json ("/v1/refunds?limit=100");
  JsonArray *data = json_object_get_array_member (json_node_get_object (list), "data");
  gint64 total = 0;

  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *r = json_array_get_object_element (data, i);
      JsonObject *metadata = json_object_get_object_member (r, "metadata");

      /* Refunds are tied back to the payment through till-server's own
       * records: the refund metadata names the refund, the charge or
       * PaymentIntent names the payment. */
      if (metadata != NULL && json_object_has_member (metadata, "till_refund_id") &&
          json_object_has_member (r, "charge") && !json_object_get_null_member (r, "charge"))
        {
          g_autofree char *path = g_strdup_printf ("/v1/charges/%s",
                                                   json_object_get_string_member (r, "charge"));
          g_autoptr(JsonNode) charge = till_test_stripe_get_json (path);

          if (g_strcmp0 (till_test_json_string (charge, "metadata.till_payment_id"), payment_id) == 0)
            total += json_object_get_int_member (r, "amount");
        }
    }
  return total;
}

static void
test_refund_cashier_needs_approval (void)
{
  g_autofree char *id = approved_payment (charges_shop, "tok_visa", 1500);
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = refund (charges_shop, token, id, key, "{}");

  /* The rest of a cashier's refund (with a manager's approval) is in
   * test-server-staff.c. */
  till_assert_error_code (response, 403, "approval_required");
  g_assert_cmpint (refunded_at_stripe (id), ==, 0);
}

static void
check_partial_and_full_refund (TillTestServer *server,
                               const char     *source)
{
  g_autofree char *id = approved_payment (server, source, 1500);
  g_autofree char *token = manager (server);
  g_autofree char *key1 = till_test_new_key ();
  g_autofree char *key2 = till_test_new_key ();
  g_autofree char *key3 = till_test_new_key ();
  g_autofree char *key4 = till_test_new_key ();
  g_autoptr(TillTestResponse) partial = refund (server, token, id, key1, "{\"amount\":500,\"reason\":\"requested_by_customer\"}");
  g_autoptr(TillTestResponse) replay = refund (server, token, id, key1, "{\"amount\":500,\"reason\":\"requested_by_customer\"}");
  g_autoptr(TillTestResponse) too_much = refund (server, token, id, key2, "{\"amount\":1001}");
  g_autoptr(TillTestResponse) rest = refund (server, token, id, key3, NULL);
  g_autoptr(TillTestResponse) nothing_left = refund (server, token, id, key4, "{\"amount\":1}");

  g_assert_cmpuint (partial->status, ==, 201);
  g_assert_cmpint (till_test_json_int (partial->json, "refund.amount"), ==, 500);
  g_assert_cmpint (till_test_json_int (partial->json, "payment.amount_refunded"), ==, 500);
  g_assert_cmpuint (replay->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (replay->json, "refund.id"), ==,
                   till_test_json_string (partial->json, "refund.id"));
  till_assert_error_code (too_much, 400, "invalid_amount");
  /* No amount: whatever is left. */
  g_assert_cmpuint (rest->status, ==, 201);
  g_assert_cmpint (till_test_json_int (rest->json, "refund.amount"), ==, 1000);
  g_assert_cmpint (till_test_json_int (rest->json, "payment.amount_refunded"), ==, 1500);
  till_assert_error_code (nothing_left, 409, "payment_not_refundable");
  till_test_stripe_assert_conforms ();
}

static void
test_refund_charge_partial_and_full (void)
{
  check_partial_and_full_refund (charges_shop, "tok_visa");
  {
    g_autofree char *id = approved_payment (charges_shop, "tok_mastercard", 900);
    g_autofree char *token = manager (charges_shop);
    g_autofree char *key = till_test_new_key ();
    g_autoptr(TillTestResponse) full = refund (charges_shop, token, id, key, NULL);

    g_assert_cmpuint (full->status, ==, 201);
    g_assert_cmpint (refunded_at_stripe (id), ==, 900);
  }
}

static void
test_refund_intent_partial_and_full (void)
{
  check_partial_and_full_refund (intents_shop, "pm_card_visa");
}

/* Partial refunds sent at the same instant, each under its own key, on
 * connections of their own: together they never give back more than the
 * charge. Of eight refunds of 300 on a payment of 1000, three are made
 * (900) and the others refused for the amount left; Stripe has 900. */
typedef struct
{
  TillTestServer   *server;
  const char       *token;
  const char       *payment_id;
  GMutex           *lock;
  GCond            *go;
  gboolean         *started;
  TillTestResponse *response;
} RefundJob;

static gpointer
refund_thread (gpointer data)
{
  RefundJob *job = data;
  g_autofree char *key = till_test_new_key ();

  g_mutex_lock (job->lock);
  while (!*job->started)
    g_cond_wait (job->go, job->lock);
  g_mutex_unlock (job->lock);
  job->response = refund (job->server, job->token, job->payment_id, key, "{\"amount\":300}");
  return NULL;
}

static void
test_refund_same_instant (void)
{
  g_autofree char *id = approved_payment (intents_shop, "pm_card_visa", 1000);
  g_autofree char *token = manager (intents_shop);
  RefundJob jobs[8];
  GThread *threads[G_N_ELEMENTS (jobs)];
  GMutex lock;
  GCond go;
  gboolean started = FALSE;
  guint made = 0, refused = 0;
  gint64 refunded = 0;

  g_mutex_init (&lock);
  g_cond_init (&go);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      jobs[i] = (RefundJob) { intents_shop, token, id, &lock, &go, &started, NULL };
      threads[i] = g_thread_new ("refund", refund_thread, &jobs[i]);
    }
  g_mutex_lock (&lock);
  started = TRUE;
  g_cond_broadcast (&go);
  g_mutex_unlock (&lock);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      g_thread_join (threads[i]);
      if (jobs[i].response->status == 201)
        {
          made++;
          refunded += till_test_json_int (jobs[i].response->json, "refund.amount");
        }
      else
        {
          /* Refused for the amount left, or (while another refund of the
           * payment is with Stripe) asked to come back. */
          const char *code = till_test_json_string (jobs[i].response->json, "error.code");

          g_assert_true (g_strcmp0 (code, "invalid_amount") == 0 || g_strcmp0 (code, "payment_not_refundable") == 0 ||
                         g_strcmp0 (code, "refund_in_progress") == 0 || g_strcmp0 (code, "rate_limited") == 0);
          refused++;
        }
      till_test_response_free (jobs[i].response);
    }
  g_mutex_clear (&lock);
  g_cond_clear (&go);

  g_test_message ("%u of %u refunds made, %" G_GINT64_FORMAT " refunded", made, (guint) G_N_ELEMENTS (jobs), refunded);
  g_assert_cmpuint (made + refused, ==, G_N_ELEMENTS (jobs));
  g_assert_cmpuint (made, >=, 1);
  g_assert_cmpuint (made, <=, 3);
  g_assert_cmpint (refunded, ==, 300 * made);
  g_assert_cmpint (refunded_at_stripe (id), ==, refunded);
  /* What is left is still there to refund, exactly. */
  {
    g_autofree char *key = till_test_new_key ();
    g_autoptr(TillTestResponse) rest = refund (intents_shop, token, id, key, NULL);

    g_assert_cmpuint (rest->status, ==, 201);
    g_assert_cmpint (till_test_json_int (rest->json, "refund.amount"), ==, 1000 - refunded);
    g_assert_cmpint (refunded_at_stripe (id), ==, 1000);
  }
}

static void
test_refund_declined_payment (void)
{
  g_autofree char *token = cashier (charges_shop);
  g_autofree char *mtoken = manager (charges_shop);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *rkey = till_test_new_key ();
  g_autoptr(TillTestResponse) declined = pay (charges_shop, token, key, 800, "tok_chargeDeclined");
  g_autoptr(TillTestResponse) response =
    refund (charges_shop, mtoken, till_test_json_string (declined->json, "payment.id"), rkey, NULL);

  till_assert_error_code (response, 409, "payment_not_refundable");
}

/* PaymentIntents (the default mode) */

static void
test_intent_approved (void)
{
  g_autofree char *token = cashier (intents_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (intents_shop, token, key, 2599, "pm_card_visa");
  gint64 amount = 0;

  g_assert_cmpuint (response->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "succeeded");
  g_assert_cmpstr (till_test_json_string (response->json, "payment.card.last4"), ==, "4242");
  g_assert_cmpuint (intents_at_stripe (till_test_json_string (response->json, "payment.id"),
                                       "succeeded", &amount), ==, 1);
  g_assert_cmpint (amount, ==, 2599);
  till_test_stripe_assert_conforms ();
}

static void
test_intent_declined (void)
{
  g_autofree char *token = cashier (intents_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response =
    pay (intents_shop, token, key, 2599, "pm_card_visa_chargeDeclinedInsufficientFunds");

  till_assert_error_code (response, 402, "card_declined");
  g_assert_cmpstr (till_test_json_string (response->json, "error.decline_code"), ==, "insufficient_funds");
  g_assert_cmpuint (intents_at_stripe (till_test_json_string (response->json, "payment.id"),
                                       "succeeded", NULL), ==, 0);
}

static TillTestResponse *
confirm (TillTestServer *server,
         const char     *token,
         const char     *payment_id)
{
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/confirm", payment_id);

  return till_test_request (server, "POST", path, token, NULL, NULL, NULL, 0);
}

static void
check_three_d_secure (const char *result,
                      guint       expected_status)
{
  g_autofree char *token = cashier (intents_shop);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) created = pay (intents_shop, token, key, 3100, "pm_card_authenticationRequired");
  g_autoptr(TillTestResponse) early = NULL;
  g_autoptr(TillTestResponse) done = NULL;
  g_autoptr(TillTestResponse) replay = NULL;
  const char *id = till_test_json_string (created->json, "payment.id");
  const char *secret;

  g_assert_cmpuint (created->status, ==, 202);
  g_assert_cmpstr (till_test_json_string (created->json, "payment.status"), ==, "requires_action");
  secret = till_test_json_string (created->json, "payment.client_secret");
  g_assert_nonnull (secret);
  g_assert_true (g_str_has_prefix (secret, "pi_") && strstr (secret, "_secret_") != NULL);

  /* Confirming before the customer answered changes nothing. */
  early = confirm (intents_shop, token, id);
  g_assert_cmpuint (early->status, ==, 202);

  till_test_stripe_authenticate (id, result);
  done = confirm (intents_shop, token, id);
  g_assert_cmpuint (done->status, ==, expected_status);
  replay = pay (intents_shop, token, key, 3100, "pm_card_authenticationRequired");
  g_assert_cmpuint (replay->status, ==, expected_status == 201 ? 200 : expected_status);

  if (expected_status == 201)
    {
      g_assert_cmpstr (till_test_json_string (done->json, "payment.status"), ==, "succeeded");
      g_assert_null (till_test_json_string (done->json, "payment.client_secret"));
      g_assert_cmpuint (intents_at_stripe (id, "succeeded", NULL), ==, 1);
    }
  else
    {
      till_assert_error_code (done, 402, "card_declined");
      g_assert_cmpstr (till_test_json_string (done->json, "payment.status"), ==, "declined");
      g_assert_cmpuint (intents_at_stripe (id, "succeeded", NULL), ==, 0);
    }
  till_test_stripe_assert_conforms ();
}

static void
test_intent_three_d_secure_approved (void)
{
  check_three_d_secure ("succeed", 201);
}

static void
test_intent_three_d_secure_failed (void)
{
  check_three_d_secure ("fail", 402);
}

static void
test_intent_moto (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[stripe]\nmoto=true\n");
  g_autofree char *token = cashier (server);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = NULL;
  g_autoptr(JsonNode) log = NULL;
  g_autoptr(JsonNode) violations = NULL;
  JsonArray *array;
  gboolean seen = FALSE;

  till_test_stripe_post_json ("/__standin/reset", "{}");
  response = pay (server, token, key, 999, "pm_card_visa");
  g_assert_cmpuint (response->status, ==, 201);

  log = till_test_stripe_get_json ("/__standin/requests");
  array = json_node_get_array (log);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *entry = json_array_get_element (array, i);
      const char *moto = till_test_json_string (entry, "body.payment_method_options[card][moto]");
      const char *payment = till_test_json_string (entry, "body.metadata[till_payment_id]");

      if (g_strcmp0 (payment, till_test_json_string (response->json, "payment.id")) == 0)
        seen = g_strcmp0 (moto, "true") == 0;
    }
  g_assert_true (seen);

  /* Stripe grants the MOTO flag per account; its 2020 schema left it out,
   * the one of the version pinned now (2026-11-18.endive) lists it. */
  violations = till_test_stripe_get_json ("/__standin/violations");
  array = json_node_get_array (violations);
  g_assert_cmpuint (json_array_get_length (array), ==, 0);
  till_test_stripe_post_json ("/__standin/reset", "{}");
}

/* Every request to Stripe, of every kind till-server makes, against the
 * published request schemas. */
static void
test_stripe_requests_conform (void)
{
  g_autoptr(JsonNode) log = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *expected[] = {
    "POST /v1/charges", "POST /v1/payment_intents", "POST /v1/refunds", NULL,
  };
  JsonArray *array;

  test_charge_approved ();
  test_intent_approved ();
  test_intent_three_d_secure_approved ();
  test_refund_charge_partial_and_full ();
  test_refund_intent_partial_and_full ();

  log = till_test_stripe_get_json ("/__standin/requests");
  array = json_node_get_array (log);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entry = json_array_get_object_element (array, i);
      g_autofree char *what = g_strdup_printf ("%s %s", json_object_get_string_member (entry, "method"),
                                               json_object_get_string_member (entry, "path"));

      if (!g_str_has_prefix (what, "GET"))
        g_hash_table_add (seen, (gpointer) g_intern_string (what));
    }
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_true (g_hash_table_contains (seen, g_intern_string (expected[i])));
  till_test_stripe_assert_conforms ();
}

/* History and reports */

static void
test_payments_list_and_lookup (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *alice = cashier (server);
  g_autofree char *bob = till_test_server_login (server, "bob", CASHIER2_PASSWORD);
  g_autofree char *boss = manager (server);
  g_autofree char *bob_key = till_test_new_key ();
  g_autoptr(TillTestResponse) bobs = pay (server, bob, bob_key, 100, "pm_card_visa");
  g_autoptr(TillTestResponse) page1 = NULL;
  g_autoptr(TillTestResponse) page2 = NULL;
  g_autoptr(TillTestResponse) mine = NULL;
  g_autoptr(TillTestResponse) other = NULL;
  g_autoptr(TillTestResponse) by_key = NULL;
  g_autofree char *path = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *key = till_test_new_key ();
      g_autoptr(TillTestResponse) response = pay (server, alice, key, 200 + i, "pm_card_visa");

      g_assert_cmpuint (response->status, ==, 201);
    }

  /* Newest first, in pages. */
  page1 = till_test_get (server, "/api/payments?limit=2", boss);
  g_assert_cmpuint (page1->status, ==, 200);
  g_assert_cmpint (till_test_json_int (page1->json, "data.0.amount"), ==, 202);
  g_assert_cmpint (till_test_json_int (page1->json, "data.1.amount"), ==, 201);
  path = g_strdup_printf ("/api/payments?limit=2&starting_after=%s",
                          till_test_json_string (page1->json, "data.1.id"));
  page2 = till_test_get (server, path, boss);
  g_assert_cmpint (till_test_json_int (page2->json, "data.0.amount"), ==, 200);
  g_assert_cmpint (till_test_json_int (page2->json, "data.1.amount"), ==, 100);
  g_assert_cmpint (count_payments (server), ==, 4);

  /* A cashier sees their own sales, not a colleague's. */
  mine = till_test_get (server, "/api/payments?limit=100", alice);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (mine->json), "data")), ==, 3);
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/payments/%s", till_test_json_string (bobs->json, "payment.id"));
  other = till_test_get (server, path, alice);
  till_assert_error_code (other, 404, "payment_not_found");

  /* But any signed-in terminal can resolve a sale by its key. */
  g_clear_pointer (&path, g_free);
  path = g_strdup_printf ("/api/payments?idempotency_key=%s", bob_key);
  by_key = till_test_get (server, path, alice);
  g_assert_cmpstr (till_test_json_string (by_key->json, "data.0.id"), ==,
                   till_test_json_string (bobs->json, "payment.id"));
}

static void
test_day_totals (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *alice = cashier (server);
  g_autofree char *boss = manager (server);
  g_autofree char *key1 = till_test_new_key ();
  g_autofree char *key2 = till_test_new_key ();
  g_autofree char *key3 = till_test_new_key ();
  g_autofree char *rkey = till_test_new_key ();
  g_autoptr(TillTestResponse) p1 = pay (server, alice, key1, 1000, "pm_card_visa");
  g_autoptr(TillTestResponse) p2 = pay (server, alice, key2, 550, "pm_card_visa");
  g_autoptr(TillTestResponse) p3 = pay (server, alice, key3, 999, "pm_card_visa_chargeDeclined");
  g_autoptr(TillTestResponse) r = refund (server, boss, till_test_json_string (p1->json, "payment.id"),
                                          rkey, "{\"amount\":300}");
  g_autoptr(TillTestResponse) report = till_test_get (server, "/api/reports/day", boss);
  g_autoptr(TillTestResponse) forbidden = till_test_get (server, "/api/reports/day", alice);
  g_autoptr(TillTestResponse) other_day = till_test_get (server, "/api/reports/day?date=2001-02-03", boss);
  g_autoptr(TillTestResponse) bad_day = till_test_get (server, "/api/reports/day?date=2001-02-30", boss);

  g_assert_cmpuint (p2->status, ==, 201);
  g_assert_cmpuint (p3->status, ==, 402);
  g_assert_cmpuint (r->status, ==, 201);
  g_assert_cmpuint (report->status, ==, 200);
  g_assert_cmpint (till_test_json_int (report->json, "payments.count"), ==, 2);
  g_assert_cmpint (till_test_json_int (report->json, "payments.amount"), ==, 1550);
  g_assert_cmpint (till_test_json_int (report->json, "refunds.amount"), ==, 300);
  g_assert_cmpint (till_test_json_int (report->json, "net"), ==, 1250);
  g_assert_cmpint (till_test_json_int (report->json, "declined_count"), ==, 1);
  till_assert_error_code (forbidden, 403, "forbidden");
  g_assert_cmpint (till_test_json_int (other_day->json, "payments.count"), ==, 0);
  till_assert_error_code (bad_day, 400, "invalid_parameter");
}

/* Currencies with Stripe rules of their own (docs.stripe.com/currencies,
 * #zero-decimal, #three-decimal, #special-cases): the terminal and the
 * database speak the customary minor unit, Stripe gets its own. */

typedef struct
{
  const char *name;
  const char *config;
  int         exponent;       /* GET /api/config's currency_exponent */
  const char *source;         /* pm_… (PaymentIntents) or tok_… (charges mode) */
  gint64      amount;         /* customary minor units */
  gint64      stripe_amount;  /* what the stand-in must hold */
  gint64      refund;
  gint64      stripe_refund;
  gint64      max;            /* the largest amount; one more is refused */
  gint64      refused;        /* an amount Stripe cannot take below max, or 0 */
} CurrencyCase;

static const CurrencyCase currency_cases[] = {
  { "isk", "[shop]\ncurrency=ISK\ncountry=IS\n", 0, "pm_card_visa",
    1234, 123400, 234, 23400, 999999, 0 },
  { "isk-charges", "[shop]\ncurrency=ISK\ncountry=IS\n[stripe]\nmode=charges\n", 0, "tok_visa",
    1500, 150000, 501, 50100, 999999, 0 },
  { "ugx", "[shop]\ncurrency=UGX\ncountry=UG\n", 0, "pm_card_visa",
    5000, 500000, 1001, 100100, 999999, 0 },
  { "mga", "[shop]\ncurrency=MGA\ncountry=MG\n", 0, "pm_card_visa",
    12345, 12345, 345, 345, 99999999, 0 },
  { "kwd", "[shop]\ncurrency=KWD\ncountry=KW\n", 3, "pm_card_visa",
    5120, 5120, 1230, 1230, 99999999, 5124 },
  { "omr-charges", "[shop]\ncurrency=OMR\ncountry=OM\n[stripe]\nmode=charges\n", 3, "tok_visa",
    25500, 25500, 500, 500, 99999999, 25501 },
  /* The special cases of HUF and TWD are for payouts: charges and
   * refunds keep their two decimals. */
  { "huf", "[shop]\ncurrency=HUF\ncountry=HU\n", 2, "pm_card_visa",
    123456, 123456, 45, 45, 99999999, 0 },
  { "twd", "[shop]\ncurrency=TWD\ncountry=TW\n", 2, "pm_card_visa",
    80045, 80045, 5, 5, 99999999, 0 },
};

static guint
creations_at_stripe (const CurrencyCase *test)
{
  return till_test_stripe_count_requests ("POST", g_str_has_prefix (test->source, "tok_")
                                          ? "/v1/charges" : "/v1/payment_intents");
}

/* An amount over the limit, or one Stripe cannot take, is refused with its
 * code before Stripe hears of it. */
static void
assert_refused_before_stripe (TillTestServer     *server,
                              const CurrencyCase *test,
                              const char         *token,
                              const char         *currency,
                              gint64              amount,
                              const char         *code)
{
  g_autofree char *key = till_test_new_key ();
  guint before = creations_at_stripe (test);
  g_autoptr(TillTestResponse) response = pay_in (server, token, key, amount, currency, test->source);

  till_assert_error_code (response, 400, code);
  g_assert_cmpstr (till_test_json_string (response->json, "error.param"), ==, "amount");
  g_assert_cmpuint (creations_at_stripe (test), ==, before);
}

static void
test_currency_end_to_end (gconstpointer data)
{
  const CurrencyCase *test = data;
  g_autoptr(TillTestServer) server = start_shop (test->config);
  g_autofree char *alice = cashier (server);
  g_autofree char *boss = manager (server);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *rkey = till_test_new_key ();
  g_autofree char *upper = g_ascii_strup (test->name, 3);
  g_autofree char *path = NULL;
  g_autofree char *refund_body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT "}", test->refund);
  g_autoptr(TillTestResponse) config = till_test_get (server, "/api/config", alice);
  g_autoptr(TillTestResponse) paid = NULL;
  g_autoptr(TillTestResponse) stored = NULL;
  g_autoptr(TillTestResponse) refunded = NULL;
  g_autoptr(TillTestResponse) report = NULL;
  const char *id;
  gint64 at_stripe = -1;

  /* The terminal learns the customary exponent. */
  g_assert_cmpstr (till_test_json_string (config->json, "currency"), ==, upper);
  g_assert_cmpint (till_test_json_int (config->json, "currency_exponent"), ==, test->exponent);

  /* Stored and answered in the customary unit; Stripe has its own. */
  paid = pay_in (server, alice, key, test->amount, upper, test->source);
  g_assert_cmpuint (paid->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (paid->json, "payment.status"), ==, "succeeded");
  g_assert_cmpint (till_test_json_int (paid->json, "payment.amount"), ==, test->amount);
  /* Stripe's answer, read back, agrees with what was stored. */
  g_assert_null (till_test_json_string (paid->json, "payment.last_error.code"));
  id = till_test_json_string (paid->json, "payment.id");
  g_assert_cmpuint (till_test_stripe_count_for_payment (g_str_has_prefix (test->source, "tok_")
                                                        ? "/v1/charges" : "/v1/payment_intents",
                                                        id, "succeeded", &at_stripe), ==, 1);
  g_assert_cmpint (at_stripe, ==, test->stripe_amount);
  path = g_strdup_printf ("/api/payments/%s", id);
  stored = till_test_get (server, path, alice);
  g_assert_cmpint (till_test_json_int (stored->json, "amount"), ==, test->amount);

  /* A partial refund, both ways too. */
  refunded = refund (server, boss, id, rkey, refund_body);
  g_assert_cmpuint (refunded->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (refunded->json, "refund.status"), ==, "succeeded");
  g_assert_cmpint (till_test_json_int (refunded->json, "refund.amount"), ==, test->refund);
  g_assert_cmpint (till_test_json_int (refunded->json, "payment.amount_refunded"), ==, test->refund);
  g_assert_null (till_test_json_string (refunded->json, "refund.error_code"));
  g_assert_cmpint (refunded_at_stripe (id), ==, test->stripe_refund);

  /* The day's totals, in the customary unit. */
  report = till_test_get (server, "/api/reports/day", boss);
  g_assert_cmpint (till_test_json_int (report->json, "payments.count"), ==, 1);
  g_assert_cmpint (till_test_json_int (report->json, "payments.amount"), ==, test->amount);
  g_assert_cmpint (till_test_json_int (report->json, "refunds.amount"), ==, test->refund);
  g_assert_cmpint (till_test_json_int (report->json, "net"), ==, test->amount - test->refund);

  /* Stripe's eight digits are counted in its own unit. */
  assert_refused_before_stripe (server, test, alice, upper, test->max + 1, "invalid_amount");
  if (test->refused != 0)
    {
      g_autofree char *rkey2 = till_test_new_key ();
      g_autoptr(TillTestResponse) bad_refund = refund (server, boss, id, rkey2, "{\"amount\":5}");

      assert_refused_before_stripe (server, test, alice, upper, test->refused, "amount_not_accepted");
      till_assert_error_code (bad_refund, 400, "amount_not_accepted");
      g_assert_cmpint (refunded_at_stripe (id), ==, test->stripe_refund);
    }
  till_test_stripe_assert_conforms ();
}

/* The most Stripe takes in ISK is 999,999 krónur (99999900 at Stripe),
 * charged whole. */
static void
test_currency_isk_max (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[shop]\ncurrency=ISK\ncountry=IS\n");
  g_autofree char *alice = cashier (server);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) paid = pay_in (server, alice, key, 999999, "isk", "pm_card_visa");
  gint64 at_stripe = -1;

  g_assert_cmpuint (paid->status, ==, 201);
  g_assert_cmpuint (intents_at_stripe (till_test_json_string (paid->json, "payment.id"), "succeeded",
                                       &at_stripe), ==, 1);
  g_assert_cmpint (at_stripe, ==, 99999900);
}

/* Amounts Stripe reports are read back in the customary unit: a 3-D Secure
 * payment in ISK confirms cleanly, and one whose stored amount no longer
 * matches Stripe's (edited here while the server is stopped) says so. */
static void
test_currency_read_back (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[shop]\ncurrency=ISK\ncountry=IS\n");
  g_autofree char *alice = cashier (server);
  g_autofree char *key1 = till_test_new_key ();
  g_autofree char *key2 = till_test_new_key ();
  g_autoptr(TillTestResponse) clean = pay_in (server, alice, key1, 1234, "ISK", "pm_card_authenticationRequired");
  g_autoptr(TillTestResponse) edited = pay_in (server, alice, key2, 4321, "ISK", "pm_card_authenticationRequired");
  g_autoptr(TillTestResponse) clean_done = NULL;
  g_autoptr(TillTestResponse) edited_done = NULL;
  g_autofree char *database = g_build_filename (server->dir, "db", "till.db", NULL);
  g_autofree char *sql = NULL;
  const char *clean_id = till_test_json_string (clean->json, "payment.id");
  const char *edited_id = till_test_json_string (edited->json, "payment.id");
  sqlite3 *db = NULL;

  g_assert_cmpuint (clean->status, ==, 202);
  g_assert_cmpuint (edited->status, ==, 202);
  till_test_server_stop (server);
  sql = g_strdup_printf ("UPDATE payments SET amount = 4000 WHERE id = '%s'", edited_id);
  g_assert_cmpint (sqlite3_open (database, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  till_test_server_start (server);

  till_test_stripe_authenticate (clean_id, "succeed");
  till_test_stripe_authenticate (edited_id, "succeed");
  clean_done = confirm (server, alice, clean_id);
  edited_done = confirm (server, alice, edited_id);

  g_assert_cmpuint (clean_done->status, ==, 201);
  g_assert_cmpint (till_test_json_int (clean_done->json, "payment.amount"), ==, 1234);
  g_assert_null (till_test_json_string (clean_done->json, "payment.last_error.code"));
  /* Stripe took 432100, that is 4321 kr, not the 4000 recorded. */
  g_assert_cmpuint (edited_done->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (edited_done->json, "payment.status"), ==, "succeeded");
  g_assert_cmpstr (till_test_json_string (edited_done->json, "payment.last_error.code"), ==,
                   "stripe_amount_mismatch");
  g_assert_nonnull (strstr (till_test_json_string (edited_done->json, "payment.last_error.message"),
                            "432100 ISK, 4321 here, where 4000 is recorded"));
}

/* Crashes and outages */

typedef struct
{
  TillTestServer *server;
  char           *token;
  char           *key;
} PayInThread;

static gpointer
pay_thread (gpointer data)
{
  PayInThread *job = data;
  g_autofree char *url = g_strconcat (job->server->url, "/api/payments", NULL);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autofree char *auth = g_strconcat ("Bearer ", job->token, NULL);
  const char *body = "{\"amount\":6100,\"currency\":\"USD\",\"token\":\"tok_visa\"}";
  g_autoptr(GBytes) bytes = g_bytes_new_static (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", job->key);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  /* The server is killed while this waits: the error is the point. */
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  return NULL;
}

static TillTestResponse *
wait_for_status (TillTestServer *server,
                 const char     *token,
                 const char     *key,
                 const char     *status)
{
  g_autofree char *path = g_strdup_printf ("/api/payments?idempotency_key=%s", key);

  for (int i = 0; i < 200; i++)
    {
      TillTestResponse *response = till_test_get (server, path, token);

      if (g_strcmp0 (till_test_json_string (response->json, "data.0.status"), status) == 0)
        return response;
      till_test_response_free (response);
      g_usleep (50 * 1000);
    }
  g_error ("Payment %s never reached %s", key, status);
  return NULL;
}

/* Stripe charged the card, then till-server died before it wrote the
 * result down. At the next start it must find the pending row and learn
 * the outcome from Stripe by the same key, without a second charge. */
static void
test_crash_after_stripe_charged (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, "[stripe]\nmode=charges\n");
  PayInThread job = { server, NULL, till_test_new_key () };
  g_autoptr(TillTestResponse) found = NULL;
  g_autoptr(TillTestResponse) again = NULL;
  g_autofree char *token = NULL;
  g_autofree char *log = NULL;
  GThread *thread;
  guint posts;

  add_staff (server);
  till_test_server_start (server);
  job.token = token = cashier (server);

  /* The stand-in charges at once but holds its answer back. */
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":4000}");
  posts = till_test_stripe_count_requests ("POST", "/v1/charges");
  thread = g_thread_new ("pay", pay_thread, &job);
  for (int i = 0; i < 200 && till_test_stripe_count_requests ("POST", "/v1/charges") == posts; i++)
    g_usleep (20 * 1000);
  g_assert_cmpuint (till_test_stripe_count_requests ("POST", "/v1/charges"), ==, posts + 1);
  till_test_server_kill (server);
  g_thread_join (thread);
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":0,\"ms\":0}");

  till_test_server_start (server);
  g_free (token);
  token = cashier (server);
  found = wait_for_status (server, token, job.key, "succeeded");
  g_assert_cmpuint (charges_at_stripe (till_test_json_string (found->json, "data.0.id"), NULL), ==, 1);

  /* The terminal's retry now gets the recorded result. */
  {
    g_autofree char *body = g_strdup ("{\"amount\":6100,\"currency\":\"USD\",\"token\":\"tok_visa\"}");

    again = till_test_post_json (server, "/api/payments", token, job.key, body);
  }
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (again->json, "payment.id"), ==,
                   till_test_json_string (found->json, "data.0.id"));
  g_assert_cmpuint (charges_at_stripe (till_test_json_string (found->json, "data.0.id"), NULL), ==, 1);

  log = till_test_server_read_log (server);
  g_assert_nonnull (strstr (log, "Resolving 1 pending payments"));
  g_free (job.key);
}

/* Stripe unreachable: the payment is unknown (504), kept pending, and
 * resolved once Stripe is back, by the next start's recovery. */
static void
test_stripe_down_then_back (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_autofree char *dead_url = NULL;
  g_autoptr(TillTestServer) server = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = NULL;
  g_autoptr(TillTestResponse) found = NULL;

  /* A port that was free and is now closed: connections are refused. */
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  dead_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  server = till_test_server_new (dead_url, "[stripe]\nmode=charges\n");
  add_staff (server);
  till_test_server_start (server);
  token = cashier (server);

  response = pay (server, token, key, 7300, "tok_visa");
  till_assert_error_code (response, 504, "stripe_unreachable");
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "pending");
  till_test_server_stop (server);

  /* Same database, Stripe reachable again. */
  {
    g_autoptr(GKeyFile) config = g_key_file_new ();

    g_key_file_load_from_file (config, server->config_path, G_KEY_FILE_NONE, &error);
    g_assert_no_error (error);
    g_key_file_set_string (config, "stripe", "api-base", till_test_stripe_get ()->url);
    g_key_file_save_to_file (config, server->config_path, &error);
    g_assert_no_error (error);
  }
  till_test_server_start (server);
  g_free (token);
  token = cashier (server);
  found = wait_for_status (server, token, key, "succeeded");
  g_assert_cmpuint (charges_at_stripe (till_test_json_string (found->json, "data.0.id"), NULL), ==, 1);
}

/* A payment left pending for longer than Stripe promises to keep its
 * idempotency key is not sent again (that could charge twice): it waits,
 * pending, for a person to check it at Stripe. */
static void
test_stale_pending_not_resent (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_autofree char *dead_url = g_strdup_printf ("http://127.0.0.1:%u", port);
  g_autoptr(TillTestServer) server = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autofree char *database = NULL;
  g_autoptr(TillTestResponse) first = NULL;
  g_autoptr(TillTestResponse) again = NULL;
  g_autofree char *log = NULL;
  sqlite3 *db = NULL;
  guint posts;

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  server = till_test_server_new (dead_url, "[stripe]\nmode=charges\n");
  add_staff (server);
  till_test_server_start (server);
  token = cashier (server);
  first = pay (server, token, key, 5100, "tok_visa");
  g_assert_cmpuint (first->status, ==, 504);
  till_test_server_stop (server);

  /* Two days pass. */
  database = g_build_filename (server->dir, "db", "till.db", NULL);
  g_assert_cmpint (sqlite3_open (database, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE payments SET created = created - 2 * 86400", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  {
    g_autoptr(GKeyFile) config = g_key_file_new ();

    g_key_file_load_from_file (config, server->config_path, G_KEY_FILE_NONE, &error);
    g_assert_no_error (error);
    g_key_file_set_string (config, "stripe", "api-base", till_test_stripe_get ()->url);
    g_key_file_save_to_file (config, server->config_path, &error);
    g_assert_no_error (error);
  }
  posts = till_test_stripe_count_requests ("POST", "/v1/charges");
  till_test_server_start (server);
  g_free (token);
  token = cashier (server);
  again = pay (server, token, key, 5100, "tok_visa");

  g_assert_cmpuint (again->status, ==, 502);
  g_assert_cmpstr (till_test_json_string (again->json, "error.code"), ==, "needs_review");
  g_assert_cmpstr (till_test_json_string (again->json, "payment.status"), ==, "pending");
  g_assert_cmpuint (till_test_stripe_count_requests ("POST", "/v1/charges"), ==, posts);
  till_test_server_stop (server);
  log = till_test_server_read_log (server);
  g_assert_nonnull (strstr (log, "not sending it to Stripe again"));
}

/* Logs and configuration */

static void
test_logs_hold_no_secrets (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *token = cashier (server);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) response = pay (server, token, key, 4200, "pm_card_visa");
  g_autoptr(TillTestResponse) bad = till_test_post_json (server, "/api/login", NULL, NULL,
                                                         "{\"username\":\"alice\",\"password\":\"wrong-secret-guess\"}");
  g_autofree char *log = NULL;

  g_assert_cmpuint (response->status, ==, 201);
  g_assert_cmpuint (bad->status, ==, 401);
  till_test_server_stop (server);
  log = till_test_server_read_log (server);

  /* One line per request, with its id, method, path, status and time. */
  g_assert_nonnull (strstr (log, "method=POST path=/api/payments status=201"));
  g_assert_nonnull (strstr (log, "method=POST path=/api/login status=401"));
  g_assert_nonnull (strstr (log, "request id="));
  g_assert_nonnull (strstr (log, "duration_ms="));
  /* And nothing secret. */
  g_assert_null (strstr (log, CASHIER_PASSWORD));
  g_assert_null (strstr (log, "wrong-secret-guess"));
  g_assert_null (strstr (log, token));
  g_assert_null (strstr (log, TILL_TEST_SECRET_KEY));
  g_assert_null (strstr (log, "pm_card_visa"));
}

static void
test_config_refuses_secret_in_file (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, "[stripe]\nsecret-key=sk_test_in_file\n");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = till_test_server_cli (server, NULL, &out, &err, "user", "list", NULL);

  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, "secret-key-file"));
  g_assert_null (strstr (err, "sk_test_in_file"));
}

static void
test_config_plain_http_only_on_loopback (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, "");
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_key_file_load_from_file (config, server->config_path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_key_file_set_string (config, "server", "listen", "0.0.0.0");
  g_key_file_save_to_file (config, server->config_path, &error);
  g_assert_no_error (error);

  g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_SECRET_KEY", TILL_TEST_SECRET_KEY, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TILL_SERVER"),
                                         "--config", server->config_path, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 1);
  g_assert_nonnull (strstr (err, "not a loopback address"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/login/ok", test_login_ok);
  g_test_add_func ("/server/login/wrong-password", test_login_wrong_password);
  g_test_add_func ("/server/login/unknown-user", test_login_unknown_user);
  g_test_add_func ("/server/login/disabled-user", test_login_disabled_user);
  g_test_add_func ("/server/login/rate-limit-per-user", test_login_rate_limit_user);
  g_test_add_func ("/server/login/rate-limit-per-address", test_login_rate_limit_address);
  g_test_add_func ("/server/session/expired", test_session_expired);
  g_test_add_func ("/server/session/logout-revokes", test_logout_revokes);
  g_test_add_func ("/server/session/missing-or-forged", test_no_or_forged_session);
  g_test_add_func ("/server/config/shop", test_config);
  g_test_add_func ("/server/config/secret-not-in-file", test_config_refuses_secret_in_file);
  g_test_add_func ("/server/config/plain-http-only-on-loopback", test_config_plain_http_only_on_loopback);
  g_test_add_func ("/server/charges/approved", test_charge_approved);
  g_test_add_func ("/server/charges/declined", test_charge_declined);
  g_test_add_func ("/server/charges/insufficient-funds", test_charge_insufficient_funds);
  g_test_add_func ("/server/charges/stripe-500", test_charge_stripe_500);
  g_test_add_func ("/server/charges/stripe-429", test_charge_stripe_429);
  g_test_add_func ("/server/charges/same-key-twice", test_charge_same_key_twice);
  g_test_add_func ("/server/charges/same-key-other-amount", test_charge_same_key_other_amount);
  g_test_add_func ("/server/charges/wrong-kind-of-token", test_charge_wrong_kind_of_token);
  g_test_add_func ("/server/refunds/cashier-needs-approval", test_refund_cashier_needs_approval);
  g_test_add_func ("/server/refunds/charge-partial-and-full", test_refund_charge_partial_and_full);
  g_test_add_func ("/server/refunds/intent-partial-and-full", test_refund_intent_partial_and_full);
  g_test_add_func ("/server/refunds/same-instant", test_refund_same_instant);
  g_test_add_func ("/server/refunds/declined-payment", test_refund_declined_payment);
  g_test_add_func ("/server/intents/approved", test_intent_approved);
  g_test_add_func ("/server/intents/declined", test_intent_declined);
  g_test_add_func ("/server/intents/3ds-approved", test_intent_three_d_secure_approved);
  g_test_add_func ("/server/intents/3ds-failed", test_intent_three_d_secure_failed);
  g_test_add_func ("/server/intents/moto", test_intent_moto);
  g_test_add_func ("/server/stripe/requests-conform", test_stripe_requests_conform);
  g_test_add_func ("/server/payments/list-and-lookup", test_payments_list_and_lookup);
  g_test_add_func ("/server/reports/day-totals", test_day_totals);
  for (guint i = 0; i < G_N_ELEMENTS (currency_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/server/currencies/%s", currency_cases[i].name);

      g_test_add_data_func (path, &currency_cases[i], test_currency_end_to_end);
    }
  g_test_add_func ("/server/currencies/isk-max", test_currency_isk_max);
  g_test_add_func ("/server/currencies/read-back", test_currency_read_back);
  g_test_add_func ("/server/recovery/crash-after-stripe-charged", test_crash_after_stripe_charged);
  g_test_add_func ("/server/recovery/stripe-down-then-back", test_stripe_down_then_back);
  g_test_add_func ("/server/recovery/stale-pending-not-resent", test_stale_pending_not_resent);
  g_test_add_func ("/server/logs/no-secrets", test_logs_hold_no_secrets);

  intents_shop = start_shop (NULL);
  charges_shop = start_shop ("[stripe]\nmode=charges\n");

  status = till_test_run ();

  till_test_server_free (intents_shop);
  till_test_server_free (charges_shop);
  return status;
}
