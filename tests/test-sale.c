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

#include <string.h>

#include <glib/gstdio.h>

#include "till-sale.h"
#include "till-test-harness.h"

#define PASSWORD "sale-password-1"

static TillTestServer *intents_shop;
static TillTestServer *charges_shop;

static TillSession *
signed_in_session (const char *url,
                   gboolean    remember)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendClient) client = till_backend_client_new (url, NULL, &error);
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);
  g_autoptr(GAsyncResult) result = NULL;
  TillSession *session;

  g_assert_no_error (error);
  till_backend_client_set_timeouts (client, 2, 5);
  session = till_session_new (client, store);
  till_session_sign_in_async (session, "alice", PASSWORD, remember, NULL, till_test_result_cb, &result);
  g_assert_true (till_session_sign_in_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);
  return session;
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
submit_ok (TillSale   *sale,
           const char *token)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (step (sale, 0, token, &error));
  g_assert_no_error (error);
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
  submit_ok (sale, "pm_card_visa");
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
  g_assert_true (till_sale_step_finish (sale, till_test_wait (&first), &error));
  g_assert_no_error (error);
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

  submit_ok (sale, token);
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

  submit_ok (sale, "pm_card_authenticationRequired");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_REQUIRES_ACTION);
  g_assert_true (g_str_has_prefix (till_sale_get_client_secret (sale), "pi_"));

  /* The customer has not answered yet: still waiting, nothing charged. */
  g_assert_true (step (sale, 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_REQUIRES_ACTION);

  authenticate (sale, result);
  g_assert_true (step (sale, 1, NULL, &error));
  g_assert_no_error (error);
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

  submit_ok (sale, "tok_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (charged_at_stripe (sale, TRUE), ==, 1);

  /* A PaymentMethod where the shop takes tokens: refused, nothing stored. */
  submit_ok (refused, "pm_card_visa");
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
  submit_ok (sale, "pm_card_visa");
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
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *extra = NULL;
  g_autoptr(GError) error = NULL;

  /* A fixed port, so that the restarted server is where the session looks. */
  g_assert_true (g_socket_bind (probe, any, TRUE, &error));
  bound = g_socket_get_local_address (probe, &error);
  extra = g_strdup_printf ("[server]\nport=%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (probe, NULL);

  server = till_test_server_new (till_test_stripe_get ()->url, extra);
  till_test_server_add_user (server, "alice", "cashier", PASSWORD);
  till_test_server_start (server);
  session = signed_in_session (server->url, FALSE);
  sale = till_sale_new (session, 640, "USD", NULL);
  till_sale_set_retry_policy (sale, 2, 100);

  till_test_server_stop (server);
  submit_ok (sale, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_UNKNOWN);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, "unreachable");
  g_assert_cmpuint (till_sale_get_attempts (sale), ==, 2);
  g_assert_false (till_sale_is_final (sale));

  till_test_server_start (server);
  g_assert_true (step (sale, 2, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
}

/* The session ends during a sale: signed in again with the kept password,
 * and the same sale goes on with the same key. */
static void
test_session_expired (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (till_test_stripe_get ()->url,
                                                           "[server]\nsession-lifetime-seconds=1\n");
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;

  till_test_server_add_user (server, "alice", "cashier", PASSWORD);
  till_test_server_start (server);
  session = signed_in_session (server->url, TRUE);
  g_assert_true (till_session_get_remembered (session));
  sale = till_sale_new (session, 2222, "USD", NULL);
  g_usleep (2 * G_USEC_PER_SEC);

  submit_ok (sale, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (till_test_server_count_log (server, "path=/api/payments status=401"), ==, 1);
  g_assert_cmpuint (till_test_server_count_log (server, "path=/api/payments status=201"), ==, 1);
  g_assert_cmpuint (charged_at_stripe (sale, FALSE), ==, 1);
}

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
    body = g_strdup ("{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
                     "\"expires_at\":\"2099-01-01T00:00:00Z\","
                     "\"user\":{\"id\":1,\"name\":\"alice\",\"role\":\"cashier\"}}");
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
  g_autoptr(SoupServer) soup_server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillSale) sale = NULL;
  g_autofree char *url = NULL;
  GSList *uris;

  soup_server_add_handler (soup_server, NULL, liar_cb, &liar, NULL);
  g_assert_true (soup_server_listen_local (soup_server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (soup_server);
  url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  session = signed_in_session (url, FALSE);
  sale = till_sale_new (session, 1000, "USD", NULL);
  till_sale_set_retry_policy (sale, 2, 10);
  submit_ok (sale, "pm_card_visa");
  g_assert_cmpint (till_sale_get_status (sale), ==, expected);
  g_assert_cmpstr (till_sale_get_reason (sale), ==, reason);
}

static void
test_lying_server (void)
{
  /* Approved, but for another amount: not shown as approved. */
  g_test_expect_message ("till-sale", G_LOG_LEVEL_WARNING, "*another payment*");
  check_liar ("{\"id\":\"pay_x\",\"status\":\"succeeded\",\"amount\":1,\"currency\":\"USD\","
              "\"idempotency_key\":\"other\"}", 201, TILL_SALE_STATUS_UNKNOWN, "mismatch");
  g_test_assert_expected_messages ();
  /* A 201 that is still pending is not a success either. */
  check_liar ("7", 201, TILL_SALE_STATUS_UNKNOWN, "bad_response");
}

/* The journal: written before the request leaves, 0600, no card data;
 * a sale read back from it resolves under its own key, charged once. */
static void
test_journal (void)
{
  g_autoptr(TillSession) session = signed_in_session (intents_shop->url, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("till-journal-XXXXXX", &error);
  g_autofree char *sub_dir = g_build_filename (dir, "journal", NULL);
  g_autoptr(TillJournal) journal = till_journal_new (sub_dir, &error);
  g_autoptr(TillSale) sale = till_sale_new (session, 1234, "USD", "journal test");
  g_autoptr(TillSale) restored = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  GStatBuf st;
  JsonObject *entry;

  g_assert_no_error (error);
  g_assert_cmpint (g_stat (sub_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  till_sale_set_journal (sale, journal);
  till_sale_set_card (sale, "visa", "4242");
  /* Held at Stripe: the entry is on disk while the request is out. */
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":1000}");
  {
    g_autoptr(GAsyncResult) result = NULL;

    till_sale_submit_async (sale, "pm_card_visa", NULL, till_test_result_cb, &result);
    entries = till_journal_list (journal);
    g_assert_cmpuint (entries->len, ==, 1);
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "state"), ==, "sending");
    g_clear_pointer (&entries, g_ptr_array_unref);
    g_assert_true (till_sale_step_finish (sale, till_test_wait (&result), &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);

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
  g_assert_true (step (restored, 2, NULL, &error));
  g_assert_no_error (error);
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
    g_assert_true (step (refused, 2, NULL, &error));
    g_assert_no_error (error);
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

  /* A write cut short by a kill leaves its temporary file: removed. */
  {
    g_autofree char *leftover = g_build_filename (sub_dir, "0f1e2d3c-0000-4000-8000-00000000beef.json.Ab12Cd", NULL);

    g_assert_true (g_file_set_contents (leftover, "{\"key\":", -1, NULL));
    g_clear_pointer (&entries, g_ptr_array_unref);
    entries = till_journal_list (journal);
    g_assert_cmpuint (entries->len, ==, 2);
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
  g_test_add_func ("/sale/journal", test_journal);
  status = g_test_run ();

  till_test_server_free (intents_shop);
  till_test_server_free (charges_shop);
  return status;
}
