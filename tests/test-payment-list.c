/* test-payment-list.c: the payment history's paging list, without widgets
 *
 * TillPaymentList against a real till-server holding hundreds of payments
 * (written into its database), reached through the lying proxy where a
 * test needs to count the requests, hold one, or spoil an answer.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-payment-list.h"
#include "till-test-harness.h"
#include "till-test-liar.h"
#include "till-test-session.h"

#define CASHIER_PASSWORD "alice-password-1"
#define BOB_PASSWORD "bob-password-22"
#define MANAGER_PASSWORD "morgan-password-3"
#define ALICE_PAYMENTS 130
#define BOB_PAYMENTS 40
#define PAGE 25

static TillTestServer *shop;

typedef gboolean (*Condition) (TillPaymentList *list);

static void
wait_for (TillPaymentList *list,
          Condition        condition,
          const char      *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!condition (list))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s (state %d, %u items)", what,
                 till_payment_list_get_state (list), g_list_model_get_n_items (G_LIST_MODEL (list)));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static gboolean
is_idle (TillPaymentList *list)
{
  return till_payment_list_get_state (list) == TILL_PAYMENT_LIST_IDLE;
}

static gboolean
is_error (TillPaymentList *list)
{
  return till_payment_list_get_state (list) == TILL_PAYMENT_LIST_ERROR;
}

/* Lets pending idles and answers run for a while, to see that nothing more
 * happens: the list must not ask for a page nobody read. */
static void
let_it_be (void)
{
  gint64 until = g_get_monotonic_time () + 300 * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static TillPaymentItem *
item_at (TillPaymentList *list,
         guint            position)
{
  TillPaymentItem *item = g_list_model_get_item (G_LIST_MODEL (list), position);

  g_assert_nonnull (item);
  g_object_unref (item);  /* the list holds it */
  return item;
}

/* Reads the last item, and waits for the page that brings. */
static void
read_next_page (TillPaymentList *list)
{
  guint requests = till_payment_list_get_n_requests (list);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  item_at (list, g_list_model_get_n_items (G_LIST_MODEL (list)) - 1);
  while (till_payment_list_get_n_requests (list) == requests ||
         till_payment_list_get_state (list) == TILL_PAYMENT_LIST_LOADING)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for the next page");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

typedef struct
{
  guint added;
  guint removed;
  guint signals;
} Changes;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->added += added;
  changes->removed += removed;
  changes->signals++;
}

static TillPaymentList *
new_list (TillSession *session,
          Changes     *changes)
{
  TillPaymentList *list = till_payment_list_new (session, PAGE);

  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), changes);
  return list;
}

/* A manager reads everyone's payments, newest first, a page at a time,
 * and only when the reader comes near the end. */
static void
test_pages_as_read (void)
{
  g_autoptr(TillSession) session = till_test_signed_in_session (shop->url, "morgan", MANAGER_PASSWORD, FALSE);
  Changes changes = { 0 };
  g_autoptr(TillPaymentList) list = new_list (session, &changes);
  guint total = ALICE_PAYMENTS + BOB_PAYMENTS;
  guint n;
  gint64 previous_created = G_MAXINT64;

  g_assert_cmpint (till_payment_list_get_state (list), ==, TILL_PAYMENT_LIST_LOADING);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  wait_for (list, is_idle, "the first page");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, PAGE);
  g_assert_cmpuint (changes.added, ==, PAGE);
  g_assert_true (till_payment_list_get_has_more (list));
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, 1);
  g_assert_null (till_payment_list_get_error (list));

  /* The top of the list: no more pages. */
  for (guint i = 0; i < PAGE / 2; i++)
    item_at (list, i);
  let_it_be ();
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, PAGE);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), PAGE));

  /* Near the end: the next page, once, however often it is read. */
  item_at (list, PAGE - 1);
  item_at (list, PAGE - 2);
  read_next_page (list);
  let_it_be ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2 * PAGE);
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, 2);

  /* Reading on to the end brings all, a page per request. */
  while (till_payment_list_get_has_more (list))
    {
      n = g_list_model_get_n_items (G_LIST_MODEL (list));
      read_next_page (list);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), >, n);
    }
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_assert_cmpuint (n, ==, total);
  g_assert_cmpuint (changes.added, ==, total);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, (total + PAGE - 1) / PAGE);
  item_at (list, n - 1);
  let_it_be ();
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, (total + PAGE - 1) / PAGE);

  /* Newest first, everyone's, each item read from its object. */
  for (guint i = 0; i < n; i++)
    {
      TillPaymentItem *item = item_at (list, i);
      gint64 created = g_date_time_to_unix (till_payment_item_get_created (item));

      g_assert_cmpint (created, <=, previous_created);
      previous_created = created;
      g_assert_true (g_str_has_prefix (till_payment_item_get_id (item), "pay_seed_"));
      g_assert_cmpstr (till_payment_item_get_currency (item), ==, "USD");
      g_assert_cmpint (till_payment_item_get_amount (item), >=, 100);
    }
  g_assert_cmpstr (till_payment_item_get_id (item_at (list, 0)), ==, "pay_seed_bob_39");
  g_assert_cmpstr (till_payment_item_get_cashier (item_at (list, n - 1)), ==, "alice");
  g_assert_cmpstr (till_payment_item_get_id (item_at (list, n - 1)), ==, "pay_seed_alice_0");
}

/* A cashier's list holds their own payments only. */
static void
test_cashier_sees_own (void)
{
  g_autoptr(TillSession) session = till_test_signed_in_session (shop->url, "bob", BOB_PASSWORD, FALSE);
  Changes changes = { 0 };
  g_autoptr(TillPaymentList) list = new_list (session, &changes);

  wait_for (list, is_idle, "the first page");
  while (till_payment_list_get_has_more (list))
    {
      read_next_page (list);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, BOB_PAYMENTS);
  for (guint i = 0; i < BOB_PAYMENTS; i++)
    g_assert_cmpstr (till_payment_item_get_cashier (item_at (list, i)), ==, "bob");
}

typedef struct
{
  guint  hang_from;   /* GET /api/payments from this one (1 = the first) never answers */
  char  *spoil;       /* the JSON the nth GET /api/payments answers instead */
  guint  spoil_nth;
  guint  status;      /* and its status, 0: the real one */
} Lies;

static TillTestLie
lies_before (const char *method,
             const char *path,
             guint       nth,
             gpointer    data)
{
  Lies *lies = data;

  if (g_str_equal (path, "/api/payments") && lies->hang_from != 0 && nth >= lies->hang_from)
    return TILL_TEST_LIE_HANG;
  return TILL_TEST_LIE_PASS;
}

static void
lies_after (const char  *method,
            const char  *path,
            guint        nth,
            guint       *status,
            JsonObject **body,
            guint       *delay_ms,
            gpointer     data)
{
  Lies *lies = data;
  g_autoptr(JsonNode) spoilt = NULL;

  if (!g_str_equal (path, "/api/payments") || nth != lies->spoil_nth)
    return;
  if (lies->status != 0)
    *status = lies->status;
  spoilt = json_from_string (lies->spoil, NULL);
  g_clear_pointer (body, json_object_unref);
  *body = json_node_dup_object (spoilt);
}

/* A new filter cancels the page on its way and starts from the first;
 * the same filter again asks nothing. */
static void
test_filter_restarts (void)
{
  Lies lies = { .hang_from = 1 };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, lies_before, NULL, &lies);
  g_autoptr(TillSession) session =
    till_test_signed_in_session (till_test_liar_get_url (liar), "morgan", MANAGER_PASSWORD, FALSE);
  Changes changes = { 0 };
  g_autoptr(TillPaymentList) list = new_list (session, &changes);
  g_autoptr(TillPaymentFilter) filter = till_payment_filter_new ();

  /* The first page hangs; the filter changes meanwhile. */
  while (till_test_liar_count (liar, "GET", "/api/payments") < 1)
    g_main_context_iteration (NULL, TRUE);
  lies.hang_from = 0;
  till_payment_filter_set_search (filter, "4242");
  till_payment_list_set_filter (list, filter);
  g_assert_cmpint (till_payment_list_get_state (list), ==, TILL_PAYMENT_LIST_LOADING);
  wait_for (list, is_idle, "the filtered first page");
  let_it_be ();
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, 2);
  g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments?limit=25&last4=4242"), ==, 1);
  g_assert_cmpstr (till_payment_list_get_filter (list)->last4, ==, "4242");

  /* The same filter again: nothing asked, nothing emptied. */
  till_payment_list_set_filter (list, filter);
  let_it_be ();
  g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, 2);
  g_assert_cmpuint (changes.removed, ==, 0);

  /* Another: the list empties and starts again. */
  changes.added = 0;
  till_payment_filter_set_search (filter, NULL);
  filter->status = g_strdup ("succeeded");
  till_payment_list_set_filter (list, filter);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_cmpuint (changes.removed, >, 0);
  wait_for (list, is_idle, "the first page with another filter");
  g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments?limit=25&status=succeeded"), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, changes.added);
}

/* Each spoilt answer leaves the list as it was, in the error state; a
 * retry asks for the same page again and carries on. */
static void
test_garbage_answers (void)
{
  static const char *const spoils[] = {
    "{\"data\": \"none\", \"has_more\": false}",
    "{\"data\": [], \"has_more\": true}",
    "{\"data\": [{\"amount\": 5}], \"has_more\": false}",
    "{\"data\": [{\"id\": 7}], \"has_more\": false}",
    "{\"data\": [17], \"has_more\": false}",
    "{\"data\": [{\"id\": \"pay_seed_bob_39\"}], \"has_more\": false}",
    "{\"data\": [], \"has_more\": \"yes\"}",
    "{\"payments\": []}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (spoils); i++)
    {
      Lies lies = { .spoil = (char *) spoils[i], .spoil_nth = 2 };
      g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, NULL, lies_after, &lies);
      g_autoptr(TillSession) session =
        till_test_signed_in_session (till_test_liar_get_url (liar), "morgan", MANAGER_PASSWORD, FALSE);
      Changes changes = { 0 };
      g_autoptr(TillPaymentList) list = new_list (session, &changes);

      g_test_message ("answer: %s", spoils[i]);
      wait_for (list, is_idle, "the first page");
      read_next_page (list);
      g_assert_true (is_error (list));
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, PAGE);
      g_assert_cmpuint (changes.signals, ==, 1);
      g_assert_error ((GError *) till_payment_list_get_gerror (list), TILL_BACKEND_ERROR,
                      TILL_BACKEND_ERROR_BAD_RESPONSE);
      g_assert_cmpstr (till_payment_list_get_error (list), ==, "The shop’s server sent an answer Till cannot read.");
      g_assert_true (till_payment_list_get_has_more (list));
      g_assert_cmpstr (till_payment_item_get_id (item_at (list, 0)), ==, "pay_seed_bob_39");

      /* Reading on does not hammer the server; a retry does ask. */
      item_at (list, PAGE - 1);
      let_it_be ();
      g_assert_cmpuint (till_payment_list_get_n_requests (list), ==, 2);
      till_payment_list_retry (list);
      wait_for (list, is_idle, "the page again");
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2 * PAGE);
      g_assert_null (till_payment_list_get_error (list));
      g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments"), ==, 3);
    }
}

/* A 500, a 400 for a filter the server does not take, a server that is
 * down, a session that has ended: the list stays, the error says what. */
static void
test_errors (void)
{
  Lies lies = { .spoil = (char *) "{\"error\": {\"code\": \"invalid_parameter\", \"message\": \"no\", \"param\": \"brand\"}}",
                .spoil_nth = 2, .status = 400 };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, NULL, lies_after, &lies);
  g_autoptr(TillSession) session =
    till_test_signed_in_session (till_test_liar_get_url (liar), "morgan", MANAGER_PASSWORD, FALSE);
  Changes changes = { 0 };
  g_autoptr(TillPaymentList) list = new_list (session, &changes);
  g_autoptr(TillPaymentFilter) filter = till_payment_filter_new ();

  wait_for (list, is_idle, "the first page");
  filter->brand = g_strdup ("visa");
  till_payment_list_set_filter (list, filter);
  wait_for (list, is_error, "the refused filter");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_cmpstr (till_payment_list_get_error (list), ==, "The shop’s server does not accept this search.");

  lies.spoil_nth = 3;
  lies.status = 500;
  lies.spoil = (char *) "{\"error\": {\"code\": \"internal_error\", \"message\": \"oops\"}}";
  till_payment_list_reload (list);
  wait_for (list, is_error, "the server's error");
  g_assert_cmpstr (till_payment_list_get_error (list), ==, "The shop’s server has a problem. Try again later.");
  till_payment_list_retry (list);
  wait_for (list, is_idle, "the page again");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, PAGE);

  /* The session ends and no password is remembered to renew it. */
  till_test_server_expire_sessions (shop);
  read_next_page (list);
  g_assert_true (is_error (list));
  g_assert_error ((GError *) till_payment_list_get_gerror (list), TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (till_payment_list_get_error (list), ==, "The session has ended. Sign in again to see the payments.");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, PAGE);
}

static void
test_server_down (void)
{
  g_autofree char *config = till_test_fixed_port_config ();
  g_autoptr(TillTestServer) server = till_test_server_new (till_test_stripe_get ()->url, config);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillPaymentList) list = NULL;
  Changes changes = { 0 };

  till_test_server_add_user (server, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (server);
  till_test_server_seed_payments (server, "morgan", 60, 0);
  session = till_test_signed_in_session (server->url, "morgan", MANAGER_PASSWORD, FALSE);
  list = new_list (session, &changes);
  wait_for (list, is_idle, "the first page");

  till_test_server_stop (server);
  read_next_page (list);
  g_assert_true (is_error (list));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, PAGE);
  g_assert_cmpstr (till_payment_list_get_error (list), ==,
                   "The shop’s server cannot be reached. Check the network, then try again.");

  till_test_server_start (server);
  till_payment_list_retry (list);
  wait_for (list, is_idle, "the page after the restart");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2 * PAGE);
  g_assert_cmpstr (till_payment_item_get_id (item_at (list, PAGE)), ==, "pay_seed_morgan_34");
}

/* What the person typed into the search, and the query it makes. */
static void
test_filter_query (void)
{
  g_autoptr(TillPaymentFilter) filter = till_payment_filter_new ();
  g_autoptr(TillPaymentFilter) copy = NULL;
  g_autofree char *query = NULL;
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");

  g_assert_true (till_payment_filter_is_empty (filter));
  till_payment_filter_set_search (filter, " 4242 ");
  g_assert_cmpstr (filter->last4, ==, "4242");
  g_assert_null (filter->reference);
  till_payment_filter_set_search (filter, "42424");
  g_assert_null (filter->last4);
  g_assert_cmpstr (filter->reference, ==, "42424");
  till_payment_filter_set_search (filter, "2 coffees & cake");
  g_assert_cmpstr (filter->reference, ==, "2 coffees & cake");
  filter->created_gte = g_date_time_new (berlin, 2026, 12, 6, 0, 0, 0);
  filter->created_lt = g_date_time_new (berlin, 2026, 12, 7, 0, 0, 0);
  filter->amount_gte = 0;
  filter->cashier = g_strdup ("alice");
  filter->status = g_strdup ("pending");
  filter->brand = g_strdup ("");
  query = till_payment_filter_to_query (filter);
  g_assert_cmpstr (query, ==, "&created_gte=2026-12-05T23:00:00Z&created_lt=2026-12-06T23:00:00Z&amount_gte=0"
                              "&reference=2%20coffees%20%26%20cake&cashier=alice&status=pending");
  copy = till_payment_filter_copy (filter);
  g_assert_true (till_payment_filter_equal (filter, copy));
  till_payment_filter_set_search (copy, "");
  g_assert_false (till_payment_filter_equal (filter, copy));
  g_assert_false (till_payment_filter_is_empty (copy));
}

/* The words a row shows. */
static void
test_item_words (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) now = g_date_time_new (zone, 2026, 12, 6, 10, 0, 0);
  static const struct { const char *json; const char *status; const char *card; const char *time; gboolean refundable; } cases[] = {
    { "{\"id\":\"pay_1\",\"status\":\"succeeded\",\"amount\":500,\"currency\":\"eur\",\"amount_refunded\":0,\"card\":{\"brand\":\"visa\",\"last4\":\"4242\"},"
      "\"created\":\"2026-12-06T08:32:00Z\"}", "Paid", "Visa •••• 4242", "09:32", TRUE },
    { "{\"id\":\"pay_2\",\"status\":\"succeeded\",\"amount\":500,\"currency\":\"eur\",\"amount_refunded\":200,\"card\":{\"brand\":\"amex\",\"last4\":\"8431\"},"
      "\"created\":\"2026-12-05T22:59:00Z\"}", "Partly Refunded", "American Express •••• 8431", "Yesterday 23:59", TRUE },
    { "{\"id\":\"pay_3\",\"status\":\"succeeded\",\"amount\":500,\"amount_refunded\":500,\"card\":{\"brand\":\"new\",\"last4\":\"0005\"},"
      "\"created\":\"2026-12-04T22:59:00Z\"}", "Refunded", "Card •••• 0005", "4 Dec 23:59", FALSE },
    { "{\"id\":\"pay_4\",\"status\":\"pending\",\"amount\":500,\"card\":null,\"created\":\"2025-01-31T12:00:00Z\"}",
      "Unknown", NULL, "31 Jan 2025 13:00", FALSE },
    { "{\"id\":\"pay_5\",\"status\":\"declined\",\"amount\":500}", "Declined", NULL, "", FALSE },
    { "{\"id\":\"pay_6\",\"status\":\"requires_action\",\"amount\":\"500\",\"card\":[1]}", "Waiting for Customer", NULL, "", FALSE },
    { "{\"id\":\"pay_7\",\"status\":\"failed\",\"created\":\"yesterday\"}", "Failed", NULL, "", FALSE },
    { "{\"id\":\"pay_8\",\"status\":\"something_new\"}", "Unknown", NULL, "", FALSE },
    /* No money this terminal can write, so no refund dialog. */
    { "{\"id\":\"pay_9\",\"status\":\"succeeded\",\"amount\":500,\"currency\":\"xyz\"}", "Paid", NULL, "", FALSE },
  };
  g_autoptr(JsonNode) no_id = json_from_string ("{\"status\":\"succeeded\"}", NULL);

  g_assert_null (till_payment_item_new (json_node_get_object (no_id)));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (cases[i].json, NULL);
      g_autoptr(TillPaymentItem) item = till_payment_item_new (json_node_get_object (node));
      g_autofree char *card = till_payment_item_describe_card (item);
      g_autofree char *time = till_payment_item_format_time (item, now);

      g_assert_cmpstr (till_payment_item_describe_status (item), ==, cases[i].status);
      g_assert_cmpstr (card, ==, cases[i].card);
      g_assert_cmpstr (time, ==, cases[i].time);
      g_assert_cmpint (till_payment_item_is_refundable (item), ==, cases[i].refundable);
    }
}

/* A payment read again (after a refund) changes its item in place, and
 * says so; another payment's object changes nothing. */
static void
test_item_update (void)
{
  g_autoptr(JsonNode) paid = json_from_string (
    "{\"id\":\"pay_1\",\"status\":\"succeeded\",\"amount\":500,\"currency\":\"eur\",\"amount_refunded\":0}", NULL);
  g_autoptr(JsonNode) refunded = json_from_string (
    "{\"id\":\"pay_1\",\"status\":\"succeeded\",\"amount\":500,\"currency\":\"eur\",\"amount_refunded\":200,"
    "\"created\":\"2026-12-06T08:32:00Z\"}", NULL);
  g_autoptr(JsonNode) other = json_from_string (
    "{\"id\":\"pay_2\",\"status\":\"succeeded\",\"amount\":900,\"amount_refunded\":900}", NULL);
  g_autoptr(TillPaymentItem) item = till_payment_item_new (json_node_get_object (paid));
  guint refunded_notified = 0;

  g_signal_connect (item, "notify::amount-refunded", G_CALLBACK (till_test_count_notify_cb), &refunded_notified);
  g_assert_false (till_payment_item_update (item, json_node_get_object (other)));
  g_assert_cmpuint (refunded_notified, ==, 0);
  g_assert_cmpstr (till_payment_item_describe_status (item), ==, "Paid");

  g_assert_true (till_payment_item_update (item, json_node_get_object (refunded)));
  g_assert_cmpuint (refunded_notified, ==, 1);
  g_assert_cmpint (till_payment_item_get_amount_refunded (item), ==, 200);
  g_assert_cmpstr (till_payment_item_describe_status (item), ==, "Partly Refunded");
  g_assert_nonnull (till_payment_item_get_created (item));
  g_assert_cmpstr (till_payment_item_get_id (item), ==, "pay_1");
}

static guint
read_all (TillPaymentList *list)
{
  wait_for (list, is_idle, "the first page");
  while (till_payment_list_get_has_more (list))
    {
      read_next_page (list);
    }
  return g_list_model_get_n_items (G_LIST_MODEL (list));
}

typedef gboolean (*Match) (TillPaymentItem *item);

static gboolean
is_4242 (TillPaymentItem *item)
{
  return g_strcmp0 (till_payment_item_get_last4 (item), "4242") == 0;
}

static gboolean
is_mastercard (TillPaymentItem *item)
{
  return g_strcmp0 (till_payment_item_get_brand (item), "mastercard") == 0;
}

static gboolean
is_pending (TillPaymentItem *item)
{
  return g_strcmp0 (till_payment_item_get_status (item), "pending") == 0;
}

static gboolean
is_bobs (TillPaymentItem *item)
{
  return g_strcmp0 (till_payment_item_get_cashier (item), "bob") == 0;
}

static gboolean
is_alice_7 (TillPaymentItem *item)
{
  return g_strcmp0 (till_payment_item_get_id (item), "pay_seed_alice_7") == 0;
}

/* Each filter of the contract, against the server: every item matches,
 * and as many as the seeded data holds. Needs the search branch. */
static void
test_filters (void)
{
  g_autoptr(TillSession) session = till_test_signed_in_session (shop->url, "morgan", MANAGER_PASSWORD, FALSE);
  struct { const char *search; const char *brand; const char *status; const char *cashier; Match match; guint count; } cases[] = {
    { "4242", NULL, NULL, NULL, is_4242, 0 },
    { NULL, "mastercard", NULL, NULL, is_mastercard, 0 },
    { NULL, NULL, "pending", NULL, is_pending, 0 },
    { NULL, NULL, NULL, "bob", is_bobs, BOB_PAYMENTS },
    { "pay_seed_alice_7", NULL, NULL, NULL, is_alice_7, 1 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TillPaymentFilter) filter = till_payment_filter_new ();
      g_autoptr(TillPaymentList) list = till_payment_list_new (session, PAGE);
      guint n;

      till_payment_filter_set_search (filter, cases[i].search);
      filter->brand = g_strdup (cases[i].brand);
      filter->status = g_strdup (cases[i].status);
      filter->cashier = g_strdup (cases[i].cashier);
      till_payment_list_set_filter (list, filter);
      n = read_all (list);
      g_assert_cmpuint (n, >, 0);
      if (cases[i].count > 0)
        g_assert_cmpuint (n, ==, cases[i].count);
      for (guint j = 0; j < n; j++)
        g_assert_true (cases[i].match (item_at (list, j)));
    }

  /* The last hour: bob's newest six (one every ten minutes, the newest
   * made just now). */
  {
    g_autoptr(TillPaymentFilter) filter = till_payment_filter_new ();
    g_autoptr(TillPaymentList) list = till_payment_list_new (session, PAGE);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

    filter->created_gte = g_date_time_add_seconds (now, -3600 + 30);
    filter->created_lt = g_date_time_add_seconds (now, 60);
    till_payment_list_set_filter (list, filter);
    g_assert_cmpuint (read_all (list), ==, 6);
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  shop = till_test_server_new (till_test_stripe_get ()->url, NULL);
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "bob", "cashier", BOB_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);
  /* The server lists in the order it recorded: alice's are older. */
  till_test_server_seed_payments (shop, "alice", ALICE_PAYMENTS, BOB_PAYMENTS * 600);
  till_test_server_seed_payments (shop, "bob", BOB_PAYMENTS, 0);

  g_test_add_func ("/payment-list/filter-query", test_filter_query);
  g_test_add_func ("/payment-list/item-words", test_item_words);
  g_test_add_func ("/payment-list/item-update", test_item_update);
  g_test_add_func ("/payment-list/pages-as-read", test_pages_as_read);
  g_test_add_func ("/payment-list/cashier-sees-own", test_cashier_sees_own);
  g_test_add_func ("/payment-list/filter-restarts", test_filter_restarts);
  g_test_add_func ("/payment-list/garbage-answers", test_garbage_answers);
  g_test_add_func ("/payment-list/errors", test_errors);
  g_test_add_func ("/payment-list/server-down", test_server_down);
  g_test_add_func ("/payment-list/filters", test_filters);
  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
