/* test-sale.c: TillSale, the terminal's payment code without widgets,
 * against a real till-server and the Stripe stand-in
 *
 * Run through tests/keyring-session: the expired-session case renews with
 * a password kept in a real keyring.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string.h>

#include <glib/gstdio.h>

#include "till-sale.h"
#include "till-test-harness.h"
#include "till-test-liar.h"
#include "till-test-session.h"

#define PASSWORD "sale-password-1"

static TillTestServer *intents_shop;
static TillTestServer *charges_shop;

static TillSession *
signed_in_session (const char *url,
                   gboolean    remember)
{
  return till_test_signed_in_session (url, "alice", PASSWORD, remember);
}

static gboolean
step (TillSale     *sale,
      int           which,     /* 0 submit, 1 confirm, 2 resolve */
      const char   *token,
      GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (which == 0)
    till_sale_submit_async (sale, token, NULL, till_test_result_cb, &result);
  else if (which == 1)
    till_sale_confirm_async (sale, NULL, till_test_result_cb, &result);
  else
    till_sale_resolve_async (sale, NULL, till_test_result_cb, &result);
  return till_sale_step_finish (sale, till_test_wait (&result), error);
}

static void
step_ok (TillSale   *sale,
         int         which,
         const char *token)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = step (sale, which, token, &error);

  /* The error first: its message says why, where a bare FALSE does not. */
  g_assert_no_error (error);
  g_assert_true (ok);
}

/* Succeeded PaymentIntents (or charges) at the stand-in for this sale. */
static guint
charged_at_stripe (TillSale *sale,
                   gboolean  charges_mode)
{
  gint64 amount = -1;
  guint count;

  g_assert_nonnull (till_sale_get_payment_id (sale));
  count = till_test_stripe_count_for_payment (charges_mode ? "/v1/charges" : "/v1/payment_intents",
                                              till_sale_get_payment_id (sale), "succeeded", &amount);
  if (count > 0)
    g_assert_cmpint (amount, ==, till_sale_get_amount (sale));
  return count;
}

static void
test_approved (void)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 1250, "usd", "2 coffees");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_NEW);
  g_assert_cmpuint (strlen (till_sale_get_idempotency_key (sale)), ==, 36);
  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_true (till_sale_is_final (sale));
  g_assert_cmpstr (till_sale_get_card_brand (sale), ==, "visa");
  g_assert_cmpstr (till_sale_get_card_last4 (sale), ==, "4242");
  g_assert_cmpuint (till_sale_get_attempts (sale), ==, 1);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);

  /* The same sale cannot be sent again, nor resolved. */
  g_assert_false (step (sale, 0, "pm_card_visa", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (step (sale, 2, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
}

/* Double clicks: a second submit while the first runs is refused at once. */
static void
test_second_submit_refused (void)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 777, "USD", NULL);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;

  till_sale_submit_async (sale, "pm_card_visa", NULL, till_test_result_cb, &first);
  till_sale_submit_async (sale, "pm_card_mastercard", NULL, till_test_result_cb, &second);
  g_assert_true (till_sale_is_busy (sale));
  g_assert_false (till_sale_step_finish (sale, till_test_wait (&second), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);
  {
    gboolean ok = till_sale_step_finish (sale, till_test_wait (&first), &error);
    g_assert_no_error (error);
    g_assert_true (ok);
  }
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpstr (till_sale_get_token (sale), ==, "pm_card_visa");
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
}

static void
check_declined (const char *token,
                const char *reason)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 900, "USD", NULL);

  step_ok (sale, 0, token);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_DECLINED);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, reason);
  g_assert_nonnull (till_sale_get_message (sale));
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 0);
}

static void
test_declined (void)
{
  check_declined ("pm_card_visa_chargeDeclined", "generic_decline");
  check_declined ("pm_card_visa_chargeDeclinedInsufficientFunds", "insufficient_funds");
  check_declined ("pm_card_chargeDeclinedExpiredCard", "expired_card");
  check_declined ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc");
}

static void
authenticate (TillSale   *sale,
              const char *result)
{
  g_auto(GStrv) parts = g_strsplit (till_sale_get_client_secret (sale), "_secret_", 2);
  g_autofree char *path = g_strdup_printf ("/__standin/payment_intents/%s/authenticate", parts[0]);
  g_autofree char *body = g_strdup_printf ("{\"result\":\"%s\"}", result);

  till_test_stripe_post_json (path, body);
}

static void
check_three_d_secure (const char     *result,
                      TillSaleStatus  expected)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 3100, "USD", NULL);
  g_autoptr(GError) error = NULL;

  /* Confirming before there is anything to confirm is refused. */
  g_assert_false (step (sale, 1, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  step_ok (sale, 0, "pm_card_authenticationRequired");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_REQUIRES_ACTION);
  g_assert_true (g_str_has_prefix (till_sale_get_client_secret (sale), "pi_"));

  /* The customer has not answered yet: still waiting, nothing charged. */
  step_ok (sale, 1, NULL);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_REQUIRES_ACTION);

  authenticate (sale, result);
  step_ok (sale, 1, NULL);
  g_assert_cmpint (till_sale_get_status (sale), ==, expected);
  g_assert_null (till_sale_get_client_secret (sale));
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, expected == TILL_SALE_STATUS_SUCCEEDED ? 1 : 0);
}

static void
test_three_d_secure (void)
{
  check_three_d_secure ("succeed", TILL_SALE_STATUS_SUCCEEDED);
  check_three_d_secure ("fail", TILL_SALE_STATUS_DECLINED);
}

static void
test_charges_mode (void)
{
  g_autoptr(TillSession) session = signed_in_session (charges_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 4200, "USD", NULL);
  g_autoptr(TillSale) refused = till_sale_new (session, 4200, "USD", NULL);

  step_ok (sale, 0, "tok_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (charged_at_stripe (sale, TRUE), ==, 1);

  /* A PaymentMethod where the shop takes tokens: refused, nothing stored. */
  step_ok (refused, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (refused), ==, TILL_SALE_STATUS_FAILED);
  g_assert_cmpstr (till_sale_get_reason (refused), ==, "invalid_token");
}

/* Stripe answers after till-server gave up on it: the outcome is unknown,
 * the sale sends the same request again and learns it, charged once. */
static void
test_unknown_then_resolved (void)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 5150, "USD", "slow Stripe");

  till_sale_set_retry_policy (sale, 4, 200);
  /* The server waits 2 s for Stripe (see main); Stripe answers in 3. */
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":3000}");
  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (till_sale_get_attempts (sale), >=, 2);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":0,\"ms\":0}");
}

/* The shop server is down: unknown, never failed; once it is back, the
 * same sale resolves and charges once. */
static void
test_server_down (void)
{
  g_autoptr(TillTestServer) server = NULL;
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;
  /* A fixed port, so that the restarted server is where the session looks. */
  g_autofree char *extra = till_test_fixed_port_config ();

  server = till_test_server_new (till_test_stripe_get ()->url, extra);
  till_test_server_add_user (server, "alice", "cashier", PASSWORD);
  till_test_server_start (server);
  session = signed_in_session (server->url, FALSE);
  sale = till_sale_new (session, 640, "USD", NULL);
  till_sale_set_retry_policy (sale, 2, 100);

  till_test_server_stop (server);
  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_UNKNOWN);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, "unreachable");
  g_assert_cmpuint (till_sale_get_attempts (sale), ==, 2);
  g_assert_false (till_sale_is_final (sale));

  till_test_server_start (server);
  step_ok (sale, 2, NULL);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
}

/* The session ends during a sale: signed in again with the kept password,
 * and the same sale goes on with the same key. */
static void
test_session_expired (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (till_test_stripe_get ()->url, NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;

  till_test_server_add_user (server, "alice", "cashier", PASSWORD);
  till_test_server_start (server);
  session = signed_in_session (server->url, TRUE);
  g_assert_true (till_session_get_remembered (session));
  sale = till_sale_new (session, 2222, "USD", NULL);
  till_test_server_expire_sessions (server);

  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (till_test_server_wait_log (server, "path=/api/payments status=401", 1), ==, 1);
  g_assert_cmpuint (till_test_server_wait_log (server, "path=/api/payments status=201", 1), ==, 1);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
}

/* What the small lying servers answer a sign-in with. */
#define ALICE_LOGIN "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"," \
                    "\"expires_at\":\"2099-01-01T00:00:00Z\"," \
                    "\"user\":{\"id\":1,\"name\":\"alice\",\"role\":\"cashier\"}}"

/* A server that answers about another payment is not believed. */
typedef struct
{
  const char *payment;   /* the "payment" member to answer with */
  guint       status;
} Liar;

static void
liar_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           data)
{
  Liar *liar = data;
  g_autofree char *body = NULL;
  guint status = 200;

  if (g_str_equal (path, "/api/login"))
    body = g_strdup (ALICE_LOGIN);
  else
    {
      body = g_strdup_printf ("{\"payment\":%s}", liar->payment);
      status = liar->status;
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
check_liar (const char     *payment,
            guint           status,
            TillSaleStatus  expected,
            const char     *reason)
{
  Liar liar = { payment, status };
  g_autofree char *url = NULL;
  g_autoptr(SoupServer) soup_server = till_test_loopback_server_new (liar_cb, &liar, &url);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;

  session = signed_in_session (url, FALSE);
  sale = till_sale_new (session, 1000, "USD", NULL);
  till_sale_set_retry_policy (sale, 2, 10);
  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, expected);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, reason);
}

static void
test_lying_server (void)
{
  /* Approved, but for another amount: not shown as approved (and the
   * record of the key, asked next, is no payment list either). */
  g_test_expect_message ("till-sale", G_LOG_LEVEL_WARNING, "*another payment*");
  check_liar ("{\"id\":\"pay_x\",\"status\":\"succeeded\",\"amount\":1,\"currency\":\"USD\","
              "\"idempotency_key\":\"other-key-0001\"}", 201, TILL_SALE_STATUS_UNKNOWN, "mismatch");
  g_test_assert_expected_messages ();
  /* A 201 that is still pending is not a success either. */
  check_liar ("7", 201, TILL_SALE_STATUS_UNKNOWN, "bad_response");
}


/* Lying servers in front of a real one (tests/till-test-liar.c): what
 * Stripe was asked and what till-server recorded stay true; only the
 * answers lie. */

#define FORGED_ID "pay_FORGEDforgedFORGEDforg"

typedef struct
{
  const char *field;        /* for the rewrite cases: the payment member to change */
  gboolean    lying_lookup; /* the record by key lies too */
  char       *real_id;      /* what the real server answered */
} Lies;

static JsonObject *
payment_of (JsonObject *body)
{
  return body != NULL && json_object_has_member (body, "payment")
         ? json_object_get_object_member (body, "payment") : NULL;
}

/* First answer: 502, pending, with the real id; every resend: 201,
 * succeeded, with another id, for a card the real server declined. */
static void
flip_after (const char  *method,
            const char  *path,
            guint        nth,
            guint       *status,
            JsonObject **body,
            guint       *delay_ms,
            gpointer     data)
{
  Lies *lies = data;
  JsonObject *payment = payment_of (*body);

  if (g_str_equal (method, "POST") && g_str_equal (path, "/api/payments") && payment != NULL)
    {
      JsonObject *error = json_object_new ();

      if (lies->real_id == NULL)
        lies->real_id = g_strdup (json_object_get_string_member (payment, "id"));
      json_object_remove_member (payment, "last_error");
      json_object_set_null_member (payment, "decline_code");
      if (nth == 1)
        {
          *status = 502;
          json_object_set_string_member (payment, "status", "pending");
          json_object_set_string_member (error, "code", "stripe_error");
          json_object_set_string_member (error, "message", "The outcome of this payment is not known yet.");
          json_object_set_object_member (*body, "error", error);
        }
      else
        {
          *status = 201;
          json_object_set_string_member (payment, "status", "succeeded");
          json_object_set_string_member (payment, "id", FORGED_ID);
          json_object_remove_member (*body, "error");
          json_object_unref (error);
        }
    }
  else if (lies->lying_lookup && g_str_equal (method, "GET") && g_str_equal (path, "/api/payments") &&
           *body != NULL && json_array_get_length (json_object_get_array_member (*body, "data")) == 1)
    {
      payment = json_array_get_object_element (json_object_get_array_member (*body, "data"), 0);
      json_object_set_string_member (payment, "status", "succeeded");
      json_object_set_string_member (payment, "id", FORGED_ID);
    }
}

static TillJournal *
new_journal (char **out_dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-journal-XXXXXX");
  g_autofree char *sub_dir = g_build_filename (dir, "journal", NULL);
  TillJournal *journal = till_journal_new (sub_dir, &error);

  g_assert_no_error (error);
  *out_dir = g_steal_pointer (&dir);
  return journal;
}

static JsonObject *
journal_entry (TillJournal *journal,
               TillSale    *sale)
{
  g_autoptr(GPtrArray) entries = till_journal_list (journal);

  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);

      if (g_strcmp0 (json_object_get_string_member (entry, "key"), till_sale_get_idempotency_key (sale)) == 0)
        return json_object_ref (entry);
    }
  g_assert_not_reached ();
}

/* The case: the first answer names pay_X, the resend pay_Y and
 * "succeeded". Not believed: resolved by key, the real outcome. */
static void
test_id_flip (void)
{
  Lies lies = { NULL, FALSE, NULL };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (intents_shop->url, NULL, flip_after, &lies);
  g_autoptr(TillSession) session = signed_in_session (till_test_liar_get_url (liar), FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 2345, "USD", NULL);
  g_autofree char *dir = NULL;
  g_autoptr(TillJournal) journal = new_journal (&dir);
  g_autoptr(JsonObject) entry = NULL;

  till_sale_set_journal (sale, journal);
  till_sale_set_retry_policy (sale, 4, 50);
  g_test_expect_message ("till-sale", G_LOG_LEVEL_WARNING, "*another payment*");
  step_ok (sale, 0, "pm_card_visa_chargeDeclined");
  g_test_assert_expected_messages ();

  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_DECLINED);
  g_assert_nonnull (lies.real_id);
  g_assert_cmpstr (till_sale_get_payment_id (sale), ==, lies.real_id);
  g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments"), ==, 1);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 0);
  entry = journal_entry (journal, sale);
  g_assert_cmpstr (json_object_get_string_member (entry, "state"), ==, "declined");
  g_assert_cmpstr (json_object_get_string_member (entry, "payment_id"), ==, lies.real_id);
  g_free (lies.real_id);
}

/* The record by key lies too: the outcome stays unknown, the journal
 * keeps the first id, and the sale read back from it resolves against
 * the honest server, held to that id. */
static void
test_id_flip_lying_lookup (void)
{
  Lies lies = { NULL, TRUE, NULL };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (intents_shop->url, NULL, flip_after, &lies);
  g_autoptr(TillSession) session = signed_in_session (till_test_liar_get_url (liar), FALSE);
  g_autoptr(TillSession) honest = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 2346, "USD", NULL);
  g_autoptr(TillSale) restored = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(TillJournal) journal = new_journal (&dir);
  g_autoptr(JsonObject) entry = NULL;
  g_autoptr(GError) error = NULL;

  till_sale_set_journal (sale, journal);
  till_sale_set_retry_policy (sale, 3, 50);
  g_test_expect_message ("till-sale", G_LOG_LEVEL_WARNING, "*another payment*");
  g_test_expect_message ("till-sale", G_LOG_LEVEL_WARNING, "*another payment*");
  step_ok (sale, 0, "pm_card_visa_chargeDeclined");
  g_test_assert_expected_messages ();
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_UNKNOWN);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, "mismatch");
  g_assert_cmpstr (till_sale_get_payment_id (sale), ==, lies.real_id);
  entry = journal_entry (journal, sale);
  g_assert_cmpstr (json_object_get_string_member (entry, "state"), ==, "unknown");
  g_assert_cmpstr (json_object_get_string_member (entry, "payment_id"), ==, lies.real_id);
  g_assert_false (till_journal_entry_is_final (entry));

  restored = till_sale_new_from_journal (honest, entry, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (till_sale_get_payment_id (restored), ==, lies.real_id);
  step_ok (restored, 2, NULL);
  g_assert_cmpint (till_sale_get_status (restored), ==, TILL_SALE_STATUS_DECLINED);
  g_assert_cmpuint (charged_at_stripe (restored, FALSE), ==, 0);
  g_free (lies.real_id);
}

/* An approval that does not agree with what was sent: another amount,
 * currency, key or reference. Settled by the honest record of the key. */
static void
rewrite_after (const char  *method,
               const char  *path,
               guint        nth,
               guint       *status,
               JsonObject **body,
               guint       *delay_ms,
               gpointer     data)
{
  Lies *lies = data;
  JsonObject *payment = payment_of (*body);

  if (!g_str_equal (method, "POST") || !g_str_equal (path, "/api/payments") || payment == NULL)
    return;
  if (lies->real_id == NULL)
    lies->real_id = g_strdup (json_object_get_string_member (payment, "id"));
  if (g_str_equal (lies->field, "amount"))
    json_object_set_int_member (payment, "amount", json_object_get_int_member (payment, "amount") + 1);
  else if (g_str_equal (lies->field, "currency"))
    json_object_set_string_member (payment, "currency", "EUR");
  else if (g_str_equal (lies->field, "idempotency_key"))
    json_object_set_string_member (payment, "idempotency_key", "0f1e2d3c-0000-4000-8000-00000000abcd");
  else if (g_str_equal (lies->field, "description"))
    json_object_set_string_member (payment, "description", "another sale");
  else if (g_str_equal (lies->field, "http-status"))
    /* A "decline" whose payment says it succeeded: the answer is at odds
     * with itself. */
    *status = 402;
  else
    g_assert_not_reached ();
}

static void
test_disagreeing_answer (gconstpointer data)
{
  Lies lies = { data, FALSE, NULL };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (intents_shop->url, NULL, rewrite_after, &lies);
  g_autoptr(TillSession) session = signed_in_session (till_test_liar_get_url (liar), FALSE);
  g_autoptr(TillSale) sale = till_sale_new (session, 2347, "USD", "agreed reference");

  till_sale_set_retry_policy (sale, 4, 50);
  g_test_expect_message ("till-sale", G_LOG_LEVEL_WARNING,
                         g_str_equal (lies.field, "http-status") ? "*contradicts itself*" : "*another payment*");
  step_ok (sale, 0, "pm_card_visa");
  g_test_assert_expected_messages ();
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpstr (till_sale_get_payment_id (sale), ==, lies.real_id);
  g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments"), ==, 1);
  g_assert_cmpuint (till_test_liar_count (liar, "POST", "/api/payments"), ==, 1);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
  g_free (lies.real_id);
}

/* Strings the terminal must refuse, in an approval that otherwise agrees
 * with the sale: each leaves it unknown, never approved. */
typedef struct
{
  const char *name;
  const char *payment;   /* printf: the key */
} BadPayment;

#define GOOD_FIELDS "\"amount\":1000,\"currency\":\"USD\",\"idempotency_key\":\"%s\""

static const BadPayment bad_payments[] = {
  { "status-nul", "{\"id\":\"pay_a1\",\"status\":\"succeeded\\u0000x\"," GOOD_FIELDS "}" },
  { "id-nul", "{\"id\":\"pay_a1\\u0000/../x\",\"status\":\"succeeded\"," GOOD_FIELDS "}" },
  { "status-unknown", "{\"id\":\"pay_a1\",\"status\":\"approved\"," GOOD_FIELDS "}" },
  { "id-path", "{\"id\":\"pay_a1/refunds\",\"status\":\"succeeded\"," GOOD_FIELDS "}" },
  { "id-long", "{\"id\":\"pay_" "0123456789012345678901234567890123456789012345678901234567890123" "\","
               "\"status\":\"succeeded\"," GOOD_FIELDS "}" },
  { "brand-long", "{\"id\":\"pay_a1\",\"status\":\"succeeded\",\"card\":{\"brand\":"
                  "\"visa_visa_visa_visa_visa_visa_visa\",\"last4\":\"4242\"}," GOOD_FIELDS "}" },
  { "last4-letters", "{\"id\":\"pay_a1\",\"status\":\"succeeded\",\"card\":{\"brand\":\"visa\",\"last4\":\"42a2\"},"
                     GOOD_FIELDS "}" },
  { "lone-surrogate", "{\"id\":\"pay_a1\",\"status\":\"succeeded\",\"description\":\"\\ud800\"," GOOD_FIELDS "}" },
  { "control", "{\"id\":\"pay_a1\",\"status\":\"succeeded\",\"description\":\"a\\nb\"," GOOD_FIELDS "}" },
  { "amount-float", "{\"id\":\"pay_a1\",\"status\":\"succeeded\",\"amount\":1000.0,\"currency\":\"USD\","
                    "\"idempotency_key\":\"%s\"}" },
  { "currency-long", "{\"id\":\"pay_a1\",\"status\":\"succeeded\",\"amount\":1000,\"currency\":\"USDX\","
                     "\"idempotency_key\":\"%s\"}" },
};

typedef struct
{
  const char *format;
  TillSale   *sale;
} Echo;

/* Answers every payment request with the bad payment, for this sale's key. */
static void
echo_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           data)
{
  Echo *echo = data;
  g_autofree char *payment = NULL;
  g_autofree char *body = NULL;

  if (g_str_equal (path, "/api/login"))
    body = g_strdup (ALICE_LOGIN);
  else
    {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      payment = g_strdup_printf (echo->format, till_sale_get_idempotency_key (echo->sale));
#pragma GCC diagnostic pop
      body = g_str_equal (soup_server_message_get_method (msg), "GET")
             ? g_strdup_printf ("{\"data\":[%s],\"has_more\":false}", payment)
             : g_strdup_printf ("{\"payment\":%s}", payment);
    }
  soup_server_message_set_status (msg, 201, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
test_bad_payment_strings (gconstpointer data)
{
  const BadPayment *bad = data;
  Echo echo = { bad->payment, NULL };
  g_autofree char *url = NULL;
  g_autoptr(SoupServer) soup_server = till_test_loopback_server_new (echo_cb, &echo, &url);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;

  session = signed_in_session (url, FALSE);
  sale = till_sale_new (session, 1000, "USD", NULL);
  echo.sale = sale;
  till_sale_set_retry_policy (sale, 2, 10);
  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_UNKNOWN);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, "bad_response");
  g_assert_null (till_sale_get_payment_id (sale));
}

/* A shop server that takes the payment and never answers: the sale says
 * it is unknown when the first request's deadline passes, while it goes
 * on resending, not only after all of them. */
static void
hang_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           data)
{
  static const char login[] = ALICE_LOGIN;

  if (!g_str_equal (path, "/api/login"))
    {
      soup_server_message_pause (msg);   /* and never unpaused */
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, login, strlen (login));
}

typedef struct
{
  gint64   unknown_at;
  gboolean busy;
} Watch;

static void
status_cb (TillSale   *sale,
           GParamSpec *pspec,
           Watch      *watch)
{
  if (watch->unknown_at == 0 && till_sale_get_status (sale) == TILL_SALE_STATUS_UNKNOWN)
    {
      watch->unknown_at = g_get_monotonic_time ();
      watch->busy = till_sale_is_busy (sale);
    }
}

static void
test_hung_server (void)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupServer) soup_server = till_test_loopback_server_new (hang_cb, NULL, &url);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;
  Watch watch = { 0, FALSE };
  gint64 start;

  session = signed_in_session (url, FALSE);
  till_backend_client_set_timeouts (till_session_get_client (session), 1, 2);
  sale = till_sale_new (session, 2345, "USD", NULL);
  till_sale_set_retry_policy (sale, 3, 10);
  g_signal_connect (sale, "notify::status", G_CALLBACK (status_cb), &watch);

  start = g_get_monotonic_time ();
  step_ok (sale, 0, "pm_card_visa");
  g_assert_cmpint (watch.unknown_at, >, 0);
  g_assert_true (watch.busy);
  /* The first request's 2 s deadline, and not the three requests' 6 s
   * (with room for a loaded machine between the two). */
  g_assert_cmpint (watch.unknown_at - start, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (watch.unknown_at - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_UNKNOWN);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, "timeout");
  g_assert_cmpuint (till_sale_get_attempts (sale), ==, 3);
}

/* The journal: written before the request leaves, 0600, no card data;
 * a sale read back from it resolves under its own key, charged once. */
/* Till closes while the sale's first entry is being written: the request
 * never leaves, and the entry says it was not sent, so that no later start
 * charges a customer who is gone. */
static void
test_closed_before_sending (void)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-journal-XXXXXX");
  g_autoptr(TillJournal) journal = till_journal_new (dir, &error);
  g_autoptr(TillSale) sale = till_sale_new (session, 4321, "USD", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  guint sent = till_test_stripe_count_requests ("POST", "/v1/payment_intents");

  g_assert_no_error (error);
  till_sale_set_journal (sale, journal);
  till_sale_submit_async (sale, "pm_card_visa", cancellable, till_test_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_false (till_sale_step_finish (sale, till_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  while (till_journal_get_pending (journal) > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_FAILED);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, "not_sent");
  entries = till_journal_list_open (journal);
  g_assert_cmpuint (entries->len, ==, 0);
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = till_journal_list (journal);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "state"), ==, "failed");
  g_assert_cmpuint (till_test_stripe_count_requests ("POST", "/v1/payment_intents"), ==, sent);
  till_journal_prune (journal, g_get_real_time () / G_USEC_PER_SEC + 3600, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Holds Stripe's answer this long: the entry is read while it is out. */
#define JOURNAL_HOLD_MS 6000

static void
test_journal (void)
{
  /* A shop that waits for Stripe longer than the hold (intents_shop gives
   * up after 2 s, and the sale would turn unknown). */
  g_autoptr(TillTestServer) shop = till_test_server_new (till_test_stripe_get ()->url,
                                                         "[stripe]\ntimeout-seconds=30\n");
  g_autoptr(TillSession) session = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-journal-XXXXXX");
  g_autofree char *sub_dir = g_build_filename (dir, "journal", NULL);
  g_autoptr(TillJournal) journal = till_journal_new (sub_dir, &error);
  g_autoptr(TillSale) sale = NULL;
  g_autoptr(TillSale) restored = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  GStatBuf st;
  JsonObject *entry;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (sub_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  till_test_server_add_user (shop, "alice", "cashier", PASSWORD);
  till_test_server_start (shop);
  session = signed_in_session (shop->url, FALSE);
  /* The terminal too waits longer than the hold (the tests' 5 s would
   * end the request and make the outcome unknown). */
  till_backend_client_set_timeouts (till_session_get_client (session), 2, 30);
  sale = till_sale_new (session, 1234, "USD", "journal test");
  till_sale_set_journal (sale, journal);
  till_sale_set_card (sale, "visa", "4242");
  /* Held at Stripe: the entry is on disk while the request is out. */
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":" G_STRINGIFY (JOURNAL_HOLD_MS) "}");
  {
    g_autoptr(GAsyncResult) result = NULL;
    guint sent = till_test_stripe_count_requests ("POST", "/v1/payment_intents");
    gint64 submitted = g_get_monotonic_time ();

    till_sale_submit_async (sale, "pm_card_visa", NULL, till_test_result_cb, &result);
    /* Once the request is at Stripe, the entry must be on disk: it is
     * written (in the journal's thread) before the request leaves. Read
     * while Stripe still holds the answer: the loop never blocks, so it
     * cannot sleep through to the answer and the entry's next state. */
    while (till_test_stripe_count_requests ("POST", "/v1/payment_intents") == sent)
      till_test_settle (10);
    entries = till_journal_list (journal);
    /* Read while Stripe still held the answer. */
    g_assert_cmpint (g_get_monotonic_time () - submitted, <, JOURNAL_HOLD_MS * G_TIME_SPAN_MILLISECOND);
    g_assert_null (result);
    g_assert_cmpuint (entries->len, ==, 1);
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "state"), ==, "sending");
    g_clear_pointer (&entries, g_ptr_array_unref);
    {
      gboolean ok = till_sale_step_finish (sale, till_test_wait (&result), &error);
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  }
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  /* Answered, not turned unknown and resent. */
  g_assert_cmpuint (till_sale_get_attempts (sale), ==, 1);

  path = g_strdup_printf ("%s/%s.json", sub_dir, till_sale_get_idempotency_key (sale));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "4242424242424242"));
  entries = till_journal_list (journal);
  entry = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "state"), ==, "succeeded");
  g_assert_cmpint (json_object_get_int_member (entry, "amount"), ==, 1234);
  g_assert_cmpstr (json_object_get_string_member (entry, "token"), ==, "pm_card_visa");
  g_assert_cmpstr (json_object_get_string_member (entry, "last4"), ==, "4242");
  g_assert_true (till_journal_entry_is_final (entry));

  /* A sale the terminal wrote but never heard back about (here: never
   * sent at all): read back, resolved, charged once. */
  json_object_set_string_member (entry, "key", "0f1e2d3c-0000-4000-8000-00000000beef");
  json_object_set_string_member (entry, "state", "sending");
  json_object_set_null_member (entry, "payment_id");
  g_assert_true (till_journal_put (journal, "0f1e2d3c-0000-4000-8000-00000000beef", entry, &error));
  g_assert_no_error (error);
  restored = till_sale_new_from_journal (session, entry, &error);
  g_assert_no_error (error);
  g_assert_cmpint (till_sale_get_status (restored), ==, TILL_SALE_STATUS_UNKNOWN);
  till_sale_set_journal (restored, journal);
  step_ok (restored, 2, NULL);
  g_assert_cmpint (till_sale_get_status (restored), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (charged_at_stripe (restored, FALSE), ==, 1);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);

  /* A resend the server now refuses (here: a PaymentMethod where the shop
   * takes tokens) is settled by the record of the key: none, so nothing
   * was charged. */
  {
    g_autoptr(TillSession) charges_session = signed_in_session (charges_shop->url, FALSE);
    g_autoptr(TillSale) refused = NULL;

    json_object_set_string_member (entry, "key", "0f1e2d3c-0000-4000-8000-00000000f00d");
    json_object_set_string_member (entry, "state", "unknown");
    refused = till_sale_new_from_journal (charges_session, entry, &error);
    g_assert_no_error (error);
    step_ok (refused, 2, NULL);
    g_assert_cmpint (till_sale_get_status (refused), ==, TILL_SALE_STATUS_FAILED);
    g_assert_cmpstr (till_sale_get_reason (refused), ==, "not_recorded");
  }

  /* A damaged file is set aside, not lost, and not read. */
  {
    g_autofree char *bad = g_build_filename (sub_dir, "aaaaaaaa-bbbb.json", NULL);
    g_autofree char *aside = g_strconcat (bad, ".corrupt", NULL);

    g_assert_true (g_file_set_contents (bad, "{not json", -1, NULL));
    g_test_expect_message ("till-journal", G_LOG_LEVEL_WARNING, "*set aside*");
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = till_journal_list (journal);
    g_test_assert_expected_messages ();
    g_assert_cmpuint (entries->len, ==, 2);
    g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
  }

  /* A write cut short by a kill leaves its temporary file, which nobody
   * holds locked: removed when the journal is read, once it is a minute
   * old. One that is locked is a write going on (in another process,
   * here this test): kept until its writer lets go. So is a new one that
   * is not locked yet: a write between making its file and locking it. */
  {
    g_autofree char *leftover = g_build_filename (sub_dir, "0f1e2d3c-0000-4000-8000-00000000beef.json.Ab12Cd", NULL);
    g_autofree char *writing = g_build_filename (sub_dir, "0f1e2d3c-0000-4000-8000-00000000cafe.json.Xy34Zw", NULL);
    g_autofree char *starting = g_build_filename (sub_dir, "0f1e2d3c-0000-4000-8000-00000000f00d.json.Qw56Er", NULL);
    int fd;

    g_assert_true (g_file_set_contents (leftover, "{\"key\":", -1, NULL));
    g_assert_true (g_file_set_contents (writing, "{\"key\":", -1, NULL));
    g_assert_true (g_file_set_contents (starting, "", -1, NULL));
    till_test_age_file (leftover, 61);
    till_test_age_file (writing, 61);
    fd = open (writing, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = till_journal_list (journal);
    g_assert_cmpuint (entries->len, ==, 2);
    g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (writing, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (starting, G_FILE_TEST_EXISTS));
    close (fd);
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = till_journal_list (journal);
    g_assert_cmpuint (entries->len, ==, 2);
    g_assert_false (g_file_test (writing, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (starting, G_FILE_TEST_EXISTS));
    /* Left as it was, a minute later: cut short after all. */
    till_test_age_file (starting, 61);
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = till_journal_list (journal);
    g_assert_false (g_file_test (starting, G_FILE_TEST_EXISTS));
    /* Cut short when the clock ran a day ahead, since set back: not
     * kept until the clock catches up. */
    g_assert_true (g_file_set_contents (leftover, "{\"key\":", -1, NULL));
    till_test_age_file (leftover, -86400);
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = till_journal_list (journal);
    g_assert_false (g_file_test (leftover, G_FILE_TEST_EXISTS));
  }

  /* Final entries go after their time, open ones never. */
  g_assert_cmpuint (till_journal_prune (journal, g_get_real_time () / G_USEC_PER_SEC, 3600), ==, 0);
  g_assert_cmpuint (till_journal_prune (journal, g_get_real_time () / G_USEC_PER_SEC + 7200, 3600), ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* The server gives Stripe 2 s (the unknown-outcome test holds it for 3). */
  intents_shop = till_test_server_new (till_test_stripe_get ()->url, "[stripe]\ntimeout-seconds=2\n");
  till_test_server_add_user (intents_shop, "alice", "cashier", PASSWORD);
  till_test_server_start (intents_shop);
  charges_shop = till_test_server_new (till_test_stripe_get ()->url, "[stripe]\nmode=charges\n");
  till_test_server_add_user (charges_shop, "alice", "cashier", PASSWORD);
  till_test_server_start (charges_shop);

  g_test_add_func ("/sale/approved", test_approved);
  g_test_add_func ("/sale/second-submit-refused", test_second_submit_refused);
  g_test_add_func ("/sale/declined", test_declined);
  g_test_add_func ("/sale/three-d-secure", test_three_d_secure);
  g_test_add_func ("/sale/charges-mode", test_charges_mode);
  g_test_add_func ("/sale/unknown-then-resolved", test_unknown_then_resolved);
  g_test_add_func ("/sale/server-down", test_server_down);
  g_test_add_func ("/sale/session-expired", test_session_expired);
  g_test_add_func ("/sale/lying-server", test_lying_server);
  g_test_add_func ("/sale/lying/id-flip", test_id_flip);
  g_test_add_func ("/sale/lying/id-flip-lying-lookup", test_id_flip_lying_lookup);
  g_test_add_data_func ("/sale/lying/disagrees/amount", "amount", test_disagreeing_answer);
  g_test_add_data_func ("/sale/lying/disagrees/currency", "currency", test_disagreeing_answer);
  g_test_add_data_func ("/sale/lying/disagrees/key", "idempotency_key", test_disagreeing_answer);
  g_test_add_data_func ("/sale/lying/disagrees/description", "description", test_disagreeing_answer);
  g_test_add_data_func ("/sale/lying/disagrees/http-status", "http-status", test_disagreeing_answer);
  for (guint i = 0; i < G_N_ELEMENTS (bad_payments); i++)
    {
      g_autofree char *path = g_strdup_printf ("/sale/lying/strings/%s", bad_payments[i].name);

      g_test_add_data_func (path, &bad_payments[i], test_bad_payment_strings);
    }
  g_test_add_func ("/sale/lying/hung-server", test_hung_server);
  g_test_add_func ("/sale/journal", test_journal);
  g_test_add_func ("/sale/closed-before-sending", test_closed_before_sending);
  status = till_test_run ();

  till_test_server_free (intents_shop);
  till_test_server_free (charges_shop);
  return status;
}
