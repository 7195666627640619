/* test-checkout.c: the charge screen's flow without a window, against a
 * real till-server and the Stripe stand-in
 *
 * Run through tests/keyring-session, as the sessions sign in for real.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "till-checkout.h"
#include "till-test-harness.h"
#include "till-test-session.h"

#define PASSWORD "checkout-password-1"

static TillTestServer *shop;

typedef struct
{
  char         *journal_dir;
  TillSession  *session;
  TillCheckout *checkout;
} Fixture;

/* Iterates the main context until the checkout is in state; fails after
 * timeout_ms. */
static void
wait_state (TillCheckout      *checkout,
            TillCheckoutState  state,
            guint              timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (till_checkout_get_state (checkout) != state)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The checkout stayed in state %d, not %d", till_checkout_get_state (checkout), state);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static void
fixture_start (Fixture        *fixture,
               TillTestServer *server)
{
  fixture->session = till_test_signed_in_session (server->url, "cora", PASSWORD, FALSE);
  till_checkout_start (fixture->checkout, fixture->session);
  g_assert_cmpint (till_checkout_get_state (fixture->checkout), ==, TILL_CHECKOUT_STATE_LOADING);
  wait_state (fixture->checkout, TILL_CHECKOUT_STATE_ENTRY, 10000);
  g_assert_nonnull (till_checkout_get_shop (fixture->checkout));
  g_assert_cmpstr (till_shop_get_currency (till_checkout_get_shop (fixture->checkout)), ==, "USD");
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->journal_dir = till_test_make_tmp_dir ("till-checkout-XXXXXX");
  fixture->checkout = till_checkout_new (fixture->journal_dir);
  fixture_start (fixture, shop);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(TillJournal) journal = g_object_ref (till_checkout_get_journal (fixture->checkout));
  const char *name;

  /* The last changes (a sale dropped) are written in the journal's thread. */
  g_clear_object (&fixture->checkout);
  while (till_journal_get_pending (journal) > 0)
    g_main_context_iteration (NULL, TRUE);
  dir = g_dir_open (fixture->journal_dir, 0, NULL);
  g_clear_object (&fixture->session);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->journal_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (fixture->journal_dir);
  g_free (fixture->journal_dir);
}

/* Succeeded PaymentIntents at the stand-in for the checkout's sale. */
static guint
charged (TillCheckout *checkout)
{
  TillSale *sale = till_checkout_get_sale (checkout);
  gint64 amount = -1;
  guint count;

  g_assert_nonnull (sale);
  g_assert_nonnull (till_sale_get_payment_id (sale));
  count = till_test_stripe_count_for_payment ("/v1/payment_intents", till_sale_get_payment_id (sale),
                                              "succeeded", &amount);
  if (count > 0)
    g_assert_cmpint (amount, ==, till_sale_get_amount (sale));
  return count;
}

static void
type_amount (TillCheckout *checkout,
             const char   *digits)
{
  g_assert_true (till_checkout_type_digits (checkout, digits));
  till_checkout_set_card_state (checkout, TRUE, TRUE);
  g_assert_true (till_checkout_get_can_charge (checkout));
}

/* A sale of the typed amount on the card, to its result. */
static void
sell (TillCheckout *checkout,
      const char   *digits,
      const char   *token,
      const char   *last4)
{
  type_amount (checkout, digits);
  g_assert_true (till_checkout_charge (checkout, "a test"));
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_READING_CARD);
  g_assert_true (till_checkout_is_busy (checkout));
  till_checkout_card_read (checkout, token, "visa", last4);
  wait_state (checkout, TILL_CHECKOUT_STATE_RESULT, 20000);
}

static void
test_amount (Fixture       *fixture,
             gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;
  g_autofree char *problem = NULL;

  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 0);
  g_assert_false (till_checkout_get_can_charge (checkout));
  g_assert_true (till_checkout_type_digits (checkout, "12x5"));
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 125);
  till_checkout_remove_digit (checkout);
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 12);
  /* Stripe's eight digits for USD: 999,999.99; the ninth is refused. */
  g_assert_true (till_checkout_type_digits (checkout, "345678"));
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 12345678);
  g_assert_false (till_checkout_type_digits (checkout, "9"));
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 12345678);
  g_assert_null (problem = till_checkout_dup_amount_problem (checkout));

  /* A card form that is not ready, or not complete, cannot be charged. */
  till_checkout_set_card_state (checkout, FALSE, TRUE);
  g_assert_false (till_checkout_get_can_charge (checkout));
  g_assert_false (till_checkout_charge (checkout, NULL));
  till_checkout_set_card_state (checkout, TRUE, FALSE);
  g_assert_false (till_checkout_get_can_charge (checkout));
  till_checkout_set_card_state (checkout, TRUE, TRUE);
  g_assert_true (till_checkout_get_can_charge (checkout));

  g_assert_true (till_checkout_new_sale (checkout));
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 0);
}

static void
test_approved (Fixture       *fixture,
               gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;

  sell (checkout, "1250", "pm_card_visa", "4242");
  g_assert_cmpint (till_checkout_get_result (checkout), ==, TILL_CHECKOUT_RESULT_OUTCOME);
  g_assert_cmpint (till_sale_get_status (till_checkout_get_sale (checkout)), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpint (till_checkout_get_next (checkout), ==, TILL_CHECKOUT_NEXT_NEW_SALE);
  g_assert_false (till_checkout_has_open_sale (checkout));
  g_assert_cmpuint (charged (checkout), ==, 1);
  g_assert_cmpfloat (till_checkout_get_token_to_request_ms (checkout), >=, 0);

  /* Nothing is typed into a result; its button starts the next sale. */
  g_assert_false (till_checkout_type_digits (checkout, "1"));
  till_checkout_go_on (checkout);
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_ENTRY);
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 0);
  g_assert_null (till_checkout_get_sale (checkout));
}

/* The card page gave no token: nothing left, the amount stays. */
static void
test_card_not_read (Fixture       *fixture,
                    gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;
  g_autoptr(GPtrArray) entries = NULL;

  type_amount (checkout, "700");
  g_assert_true (till_checkout_charge (checkout, NULL));
  /* A second press while the card is read starts nothing. */
  g_assert_false (till_checkout_charge (checkout, NULL));
  till_checkout_card_not_read (checkout);
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_ENTRY);
  g_assert_null (till_checkout_get_sale (checkout));
  g_assert_cmpint (till_checkout_get_amount (checkout), ==, 700);
  entries = till_journal_list (till_checkout_get_journal (checkout));
  g_assert_cmpuint (entries->len, ==, 0);
}

/* The same amount on the same card within minutes asks first; Charge
 * Again charges once more, exactly; not charging drops the sale. */
static void
test_duplicate (Fixture       *fixture,
                gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;
  g_autofree char *first_id = NULL;

  sell (checkout, "4321", "pm_card_visa", "4242");
  g_assert_cmpuint (charged (checkout), ==, 1);
  first_id = g_strdup (till_sale_get_payment_id (till_checkout_get_sale (checkout)));
  till_checkout_go_on (checkout);

  /* Another card, or another amount, is no duplicate. */
  type_amount (checkout, "4321");
  g_assert_true (till_checkout_charge (checkout, NULL));
  till_checkout_card_read (checkout, "pm_card_visa", "visa", "4242");
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_RESULT);
  g_assert_cmpint (till_checkout_get_result (checkout), ==, TILL_CHECKOUT_RESULT_DUPLICATE);
  g_assert_cmpint (till_checkout_get_next (checkout), ==, TILL_CHECKOUT_NEXT_CHARGE_AGAIN);
  g_assert_true (till_checkout_has_open_sale (checkout));
  /* Nothing was sent for it. */
  g_assert_null (till_sale_get_payment_id (till_checkout_get_sale (checkout)));

  till_checkout_go_on (checkout);
  wait_state (checkout, TILL_CHECKOUT_STATE_RESULT, 20000);
  g_assert_cmpint (till_sale_get_status (till_checkout_get_sale (checkout)), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpstr (till_sale_get_payment_id (till_checkout_get_sale (checkout)), !=, first_id);
  g_assert_cmpuint (charged (checkout), ==, 1);
  till_checkout_go_on (checkout);

  /* Asked a third time and not charged: dropped, nothing sent. */
  type_amount (checkout, "4321");
  g_assert_true (till_checkout_charge (checkout, NULL));
  till_checkout_card_read (checkout, "pm_card_visa", "visa", "4242");
  g_assert_cmpint (till_checkout_get_result (checkout), ==, TILL_CHECKOUT_RESULT_DUPLICATE);
  g_assert_true (till_checkout_abandon (checkout));
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_ENTRY);
  g_assert_null (till_checkout_get_sale (checkout));
}

static void
test_declined (Fixture       *fixture,
               gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;

  sell (checkout, "990", "pm_card_chargeDeclinedExpiredCard", "0069");
  g_assert_cmpint (till_sale_get_status (till_checkout_get_sale (checkout)), ==, TILL_SALE_STATUS_DECLINED);
  g_assert_cmpstr (till_sale_get_reason (till_checkout_get_sale (checkout)), ==, "expired_card");
  g_assert_cmpint (till_checkout_get_next (checkout), ==, TILL_CHECKOUT_NEXT_NEW_SALE);
}

/* 3-D Secure: the card page is asked for the challenge while it is ready,
 * at most twice in a row; then the cashier decides. */
static void
test_three_d_secure (Fixture       *fixture,
                     gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;
  TillSale *sale;

  type_amount (checkout, "3300");
  g_assert_true (till_checkout_charge (checkout, NULL));
  till_checkout_card_read (checkout, "pm_card_authenticationRequired", "visa", "3184");
  wait_state (checkout, TILL_CHECKOUT_STATE_AUTHENTICATING, 20000);
  sale = till_checkout_get_sale (checkout);
  g_assert_nonnull (till_sale_get_client_secret (sale));

  /* The customer does nothing, twice: the server reads the real state. */
  till_checkout_authenticated (checkout);
  wait_state (checkout, TILL_CHECKOUT_STATE_AUTHENTICATING, 20000);
  till_checkout_authenticated (checkout);
  wait_state (checkout, TILL_CHECKOUT_STATE_RESULT, 20000);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_REQUIRES_ACTION);
  g_assert_cmpint (till_checkout_get_next (checkout), ==, TILL_CHECKOUT_NEXT_AUTHENTICATE);

  /* The customer passes it the third time. */
  till_checkout_go_on (checkout);
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_AUTHENTICATING);
  till_test_stripe_authenticate (till_sale_get_payment_id (sale), "succeed");
  till_checkout_authenticated (checkout);
  wait_state (checkout, TILL_CHECKOUT_STATE_RESULT, 20000);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpuint (charged (checkout), ==, 1);
}

/* A sale stopped at 3-D Secure can be dropped: nothing was charged. */
static void
test_abandon (Fixture       *fixture,
              gconstpointer  data)
{
  TillCheckout *checkout = fixture->checkout;
  TillSale *sale;

  type_amount (checkout, "3400");
  g_assert_true (till_checkout_charge (checkout, NULL));
  till_checkout_card_read (checkout, "pm_card_authenticationRequired", "visa", "3184");
  wait_state (checkout, TILL_CHECKOUT_STATE_AUTHENTICATING, 20000);
  g_assert_true (till_checkout_stop_card_page (checkout));
  till_checkout_authenticated (checkout);
  wait_state (checkout, TILL_CHECKOUT_STATE_RESULT, 20000);
  sale = g_object_ref (till_checkout_get_sale (checkout));
  g_assert_cmpint (till_checkout_get_next (checkout), ==, TILL_CHECKOUT_NEXT_AUTHENTICATE);
  g_assert_true (till_checkout_abandon (checkout));
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_ABANDONED);
  g_assert_cmpint (till_checkout_get_state (checkout), ==, TILL_CHECKOUT_STATE_ENTRY);
  g_object_unref (sale);
}

/* The server goes away after the card was read: the outcome is checked
 * again and again, never called failed; after the checking time the
 * cashier is asked, and Check Again finds the one payment once the server
 * is back. A new checkout finds it in the journal as a payment from
 * before. */
static void
test_unknown (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *config = till_test_fixed_port_config ();
  g_autoptr(TillTestServer) server = till_test_server_new (till_test_stripe_get ()->url, config);
  g_autoptr(TillCheckout) restarted = NULL;
  TillCheckout *checkout = fixture->checkout;
  TillSale *sale;

  till_test_server_add_user (server, "cora", "cashier", PASSWORD);
  till_test_server_start (server);
  g_clear_object (&fixture->session);
  fixture_start (fixture, server);
  till_checkout_set_timing (checkout, 100, 1500);

  type_amount (checkout, "5150");
  g_assert_true (till_checkout_charge (checkout, NULL));
  till_test_server_stop (server);
  till_checkout_card_read (checkout, "pm_card_visa", "visa", "4242");
  wait_state (checkout, TILL_CHECKOUT_STATE_CHECKING, 20000);
  g_assert_cmpint (till_checkout_get_checking_since (checkout), >, 0);
  g_assert_true (till_checkout_is_busy (checkout));
  wait_state (checkout, TILL_CHECKOUT_STATE_RESULT, 30000);
  sale = till_checkout_get_sale (checkout);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_UNKNOWN);
  g_assert_cmpint (till_checkout_get_next (checkout), ==, TILL_CHECKOUT_NEXT_CHECK_AGAIN);
  g_assert_true (till_checkout_has_open_sale (checkout));
  /* Not a new sale while this one is open. */
  g_assert_false (till_checkout_new_sale (checkout));

  /* Till quits here; the next one checks the payment from before. */
  till_checkout_stop (checkout);
  till_test_server_start (server);
  restarted = till_checkout_new (fixture->journal_dir);
  till_checkout_start (restarted, fixture->session);
  wait_state (restarted, TILL_CHECKOUT_STATE_RESULT, 30000);
  g_assert_cmpint (till_checkout_get_result (restarted), ==, TILL_CHECKOUT_RESULT_RECOVERED);
  g_assert_cmpuint (till_checkout_get_recovered (restarted)->len, ==, 1);
  sale = g_ptr_array_index (till_checkout_get_recovered (restarted), 0);
  g_assert_cmpint (till_sale_get_status (sale), ==, TILL_SALE_STATUS_SUCCEEDED);
  g_assert_cmpint (till_sale_get_amount (sale), ==, 5150);
  g_assert_cmpint (till_checkout_get_next (restarted), ==, TILL_CHECKOUT_NEXT_NEW_SALE);
  till_checkout_go_on (restarted);
  g_assert_cmpint (till_checkout_get_state (restarted), ==, TILL_CHECKOUT_STATE_ENTRY);
}

/* The shop's settings, read strictly. */

static void
check_shop_refused (const char   *json,
                    TillShopError code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (json, &error);
  g_autoptr(TillShop) parsed = NULL;

  g_assert_no_error (error);
  parsed = till_shop_new_from_json (json_node_get_object (node), &error);
  g_assert_null (parsed);
  g_assert_error (error, TILL_SHOP_ERROR, (int) code);
  g_assert_cmpstr (error->message, !=, "");
}

#define SHOP_JSON(currency, exponent, mode) \
  "{\"shop_name\":\"Corner\",\"currency\":\"" currency "\",\"currency_exponent\":" exponent "," \
  "\"country\":\"US\",\"publishable_key\":\"pk_test_x\",\"stripe_js_url\":\"https://js.stripe.com/v3/\"," \
  "\"mode\":\"" mode "\",\"moto\":false}"

static void
test_shop (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (SHOP_JSON ("KRW", "0", "charges"), &error);
  g_autoptr(TillShop) parsed = NULL;

  g_assert_no_error (error);
  parsed = till_shop_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (till_shop_get_name (parsed), ==, "Corner");
  g_assert_cmpstr (till_shop_get_currency (parsed), ==, "KRW");
  g_assert_true (till_shop_uses_charges (parsed));
  g_assert_cmpstr (till_shop_get_publishable_key (parsed), ==, "pk_test_x");

  check_shop_refused (SHOP_JSON ("XXX", "2", "charges"), TILL_SHOP_ERROR_UNKNOWN_CURRENCY);
  check_shop_refused (SHOP_JSON ("KRW", "2", "charges"), TILL_SHOP_ERROR_DECIMALS);
  check_shop_refused (SHOP_JSON ("USD", "2", "cash"), TILL_SHOP_ERROR_UNUSABLE);
  check_shop_refused ("{\"currency\":7}", TILL_SHOP_ERROR_UNUSABLE);
  g_assert_null (till_shop_new_from_json (NULL, &error));
  g_assert_error (error, TILL_SHOP_ERROR, TILL_SHOP_ERROR_UNUSABLE);
}

/* The journal's duplicate query: what counts and what does not. */
static void
put_entry (TillJournal *journal,
           const char  *key,
           gint64       amount,
           const char  *last4,
           const char  *state,
           gint64       updated)
{
  g_autoptr(JsonObject) entry = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (entry, "key", key);
  json_object_set_int_member (entry, "amount", amount);
  json_object_set_string_member (entry, "currency", "USD");
  json_object_set_string_member (entry, "token", "pm_card_visa");
  json_object_set_string_member (entry, "state", state);
  json_object_set_string_member (entry, "last4", last4);
  json_object_set_string_member (entry, "server", "http://127.0.0.1:1");
  json_object_set_int_member (entry, "created", updated);
  json_object_set_int_member (entry, "updated", updated);
  g_assert_true (till_journal_put (journal, key, entry, &error));
  g_assert_no_error (error);
}

static void
count_failed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  guint *failed = user_data;
  g_autoptr(GError) error = NULL;

  if (!till_journal_put_finish (TILL_JOURNAL (object), result, &error))
    {
      /* Said in the log, so that a failure says which error it was. */
      g_printerr ("A journal write failed: %s\n", error->message);
      (*failed)++;
    }
}

/* Till does not quit with a journal write on its way: the application
 * is held until the write is on disk. An application with nothing else
 * to do ends its run as soon as nothing holds it, so the run below ends
 * before the write unless the journal holds it. */
typedef struct
{
  TillJournal *journal;
  guint        failed;
} HeldWrite;

static void
held_write_activate_cb (GApplication *application,
                        HeldWrite    *held)
{
  g_autoptr(JsonObject) entry = json_object_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  json_object_set_string_member (entry, "key", "key-at-quit-0001");
  json_object_set_int_member (entry, "amount", 1200);
  json_object_set_string_member (entry, "currency", "USD");
  json_object_set_string_member (entry, "token", "pm_card_visa");
  json_object_set_string_member (entry, "state", "succeeded");
  json_object_set_int_member (entry, "created", now);
  json_object_set_int_member (entry, "updated", now);
  till_journal_put_async (held->journal, "key-at-quit-0001", entry, count_failed_cb, &held->failed);
}

static void
test_journal_holds_quit (void)
{
  g_autofree char *dir = till_test_make_tmp_dir ("till-journal-quit-XXXXXX");
  g_autoptr(GApplication) application = g_application_new ("io.github.tillpos.Till.JournalTest",
                                                           G_APPLICATION_NON_UNIQUE);
  g_autoptr(TillJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  HeldWrite held = { NULL, 0 };

  journal = till_journal_new (dir, &error);
  g_assert_no_error (error);
  held.journal = journal;
  g_signal_connect (application, "activate", G_CALLBACK (held_write_activate_cb), &held);
  g_assert_cmpint (g_application_run (application, 0, NULL), ==, 0);
  /* The run ended only once the write was done, and it was. */
  g_assert_cmpuint (till_journal_get_pending (journal), ==, 0);
  g_assert_cmpuint (held.failed, ==, 0);
  {
    g_autoptr(TillJournal) reread = till_journal_new (dir, &error);
    g_autoptr(GPtrArray) entries = till_journal_list (reread);

    g_assert_cmpuint (entries->len, ==, 1);
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "state"), ==, "succeeded");
  }
}

static void
test_journal_query (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-journal-query-XXXXXX");
  g_autoptr(TillJournal) journal = till_journal_new (dir, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_no_error (error);
  put_entry (journal, "key-succeeded-0001", 1000, "4242", "succeeded", now - 10);
  put_entry (journal, "key-declined-00001", 2000, "4242", "declined", now - 10);
  put_entry (journal, "key-unknown-000001", 3000, "4242", "unknown", now - 10);
  put_entry (journal, "key-old-0000000001", 4000, "4242", "succeeded", now - 3600);

  g_assert_true (till_journal_has_recent_charge (journal, 1000, "USD", "4242", now - 300, NULL));
  g_assert_false (till_journal_has_recent_charge (journal, 1000, "USD", "4242", now - 300, "key-succeeded-0001"));
  g_assert_false (till_journal_has_recent_charge (journal, 1000, "EUR", "4242", now - 300, NULL));
  g_assert_false (till_journal_has_recent_charge (journal, 1000, "USD", "0005", now - 300, NULL));
  g_assert_false (till_journal_has_recent_charge (journal, 1001, "USD", "4242", now - 300, NULL));
  /* A decline charged nothing; an unknown outcome may have. */
  g_assert_false (till_journal_has_recent_charge (journal, 2000, "USD", "4242", now - 300, NULL));
  g_assert_true (till_journal_has_recent_charge (journal, 3000, "USD", "4242", now - 300, NULL));
  g_assert_false (till_journal_has_recent_charge (journal, 4000, "USD", "4242", now - 300, NULL));

  /* Opened with its files read in a thread: the same index. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autoptr(TillJournal) opened = NULL;

    till_journal_new_async (dir, till_test_result_cb, &result);
    opened = till_journal_new_finish (till_test_wait (&result), &error);
    g_assert_no_error (error);
    g_assert_true (till_journal_has_recent_charge (opened, 1000, "USD", "4242", now - 300, NULL));
    g_assert_true (till_journal_has_recent_charge (opened, 3000, "USD", "4242", now - 300, NULL));
    g_assert_false (till_journal_has_recent_charge (opened, 2000, "USD", "4242", now - 300, NULL));
  }

  /* Read again while writes are under way, by itself (a sign-in during a
   * sale's last write) and by another journal on the folder (another
   * window, or a Devel and a release build sharing it): no write going
   * on is taken for a leftover. */
  {
    g_autoptr(TillJournal) reader = till_journal_new (dir, &error);
    guint failed = 0;

    g_assert_no_error (error);

    for (guint i = 0; i < 100; i++)
      {
        g_autoptr(JsonObject) entry = json_object_new ();
        g_autofree char *key = g_strdup_printf ("key-busy-%08u", i);

        json_object_set_string_member (entry, "key", key);
        json_object_set_int_member (entry, "amount", 7000 + i);
        json_object_set_string_member (entry, "currency", "USD");
        json_object_set_string_member (entry, "token", "pm_card_visa");
        json_object_set_string_member (entry, "state", "declined");
        json_object_set_int_member (entry, "created", now);
        json_object_set_int_member (entry, "updated", now);
        till_journal_put_async (journal, key, entry, count_failed_cb, &failed);
        till_journal_refresh (journal);
        g_ptr_array_unref (till_journal_list (reader));
      }
    while (till_journal_get_pending (journal) > 0)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpuint (failed, ==, 0);
  }

  /* Only the open ones are read back for recovery. */
  {
    g_autoptr(GPtrArray) open = till_journal_list_open (journal);

    g_assert_cmpuint (open->len, ==, 1);
    g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (open, 0), "key"), ==,
                     "key-unknown-000001");
  }

  /* Written by someone else (another process, here another journal object
   * on the folder): seen as it happens, through the folder's monitor, and
   * at the latest when the journal looks again at a sign-in. */
  {
    g_autoptr(TillJournal) other = till_journal_new (dir, &error);
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    g_assert_no_error (error);
    put_entry (other, "key-other-00000001", 5000, "1881", "sending", now);
    while (!till_journal_has_recent_charge (journal, 5000, "USD", "1881", now - 300, NULL) &&
           g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, FALSE);
    g_assert_true (till_journal_has_recent_charge (journal, 5000, "USD", "1881", now - 300, NULL));
    put_entry (other, "key-other-00000002", 6000, "1882", "unknown", now);
    till_journal_refresh (journal);
    g_assert_true (till_journal_has_recent_charge (journal, 6000, "USD", "1882", now - 300, NULL));
  }

  /* A file with a field of the wrong type is no entry: set aside, never
   * read by the index (it once made json-glib complain at every open). */
  {
    g_autofree char *crafted = g_build_filename (dir, "key-crafted-000001.json", NULL);
    g_autofree char *aside = g_strconcat (crafted, ".corrupt", NULL);
    g_autoptr(TillJournal) reopened = NULL;

    g_assert_true (g_file_set_contents (crafted,
                                        "{\"key\":\"key-crafted-000001\",\"amount\":1,\"currency\":\"USD\","
                                        "\"token\":\"pm_card_visa\",\"state\":\"sending\",\"created\":1,"
                                        "\"updated\":1,\"last4\":[1,2],\"server\":{}}", -1, &error));
    g_test_expect_message ("till-journal", G_LOG_LEVEL_WARNING, "*set aside*");
    reopened = till_journal_new (dir, &error);
    g_test_assert_expected_messages ();
    g_assert_no_error (error);
    g_assert_false (g_file_test (crafted, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (aside, G_FILE_TEST_EXISTS));
    g_assert_cmpint (g_unlink (aside), ==, 0);
  }

  till_journal_prune (journal, now + 30 * 24 * 3600, 0);
  put_entry (journal, "key-unknown-000001", 3000, "4242", "declined", now);
  g_assert_false (till_journal_has_recent_charge (journal, 3000, "USD", "4242", now - 300, NULL));
  put_entry (journal, "key-other-00000001", 5000, "1881", "succeeded", now);
  put_entry (journal, "key-other-00000002", 6000, "1882", "succeeded", now);
  till_journal_prune (journal, now + 30 * 24 * 3600, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  shop = till_test_server_new (till_test_stripe_get ()->url, NULL);
  till_test_server_add_user (shop, "cora", "cashier", PASSWORD);
  till_test_server_start (shop);

  g_test_add_func ("/checkout/shop", test_shop);
  g_test_add_func ("/checkout/journal-query", test_journal_query);
  g_test_add_func ("/checkout/journal-holds-quit", test_journal_holds_quit);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/checkout/amount", test_amount);
  ADD ("/checkout/approved", test_approved);
  ADD ("/checkout/card-not-read", test_card_not_read);
  ADD ("/checkout/duplicate", test_duplicate);
  ADD ("/checkout/declined", test_declined);
  ADD ("/checkout/three-d-secure", test_three_d_secure);
  ADD ("/checkout/abandon", test_abandon);
  ADD ("/checkout/unknown-then-recovered", test_unknown);
#undef ADD
  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
