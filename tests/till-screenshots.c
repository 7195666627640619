/* till-screenshots.c: the metainfo's screenshots, taken from the real app
 *
 * Not a test (tests/meson.build builds it, the suite does not run it):
 * build-aux/take-screenshots runs it under Xvfb with a private keyring,
 * as the window tests run, and TILL_TEST_ARTIFACTS naming
 * data/screenshots/. Against a real till-server with a throw-away shop
 * and the Stripe stand-in: the morning's sales are made through the API,
 * then a cashier types a sale and charges a test card in the window, and
 * the manager looks at History and Day Totals. Each screenshot is the
 * window (1024×576, light, in the locale it runs in) once its page shows
 * what it is of.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <webkit/webkit.h>

#include "till-application.h"
#include "till-charge-page-private.h"
#include "till-day-totals-page-private.h"
#include "till-history-page-private.h"
#include "till-test-harness.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define CASHIER_PASSWORD "alice-screenshot-1"
#define MANAGER_PASSWORD "morgan-screenshot-2"
#define WIDTH 1024
#define HEIGHT 576

static TillApplication *app;
static TillTestServer *shop;

static gboolean
history_listed (TillWindow    *window,
                gconstpointer  data)
{
  TillHistoryPage *page = till_window_get_history_page (window);
  GtkSelectionModel *model = gtk_list_view_get_model (till_history_page_get_list_view (page));

  return g_strcmp0 (till_history_page_get_list_state (page), "list") == 0 &&
         g_list_model_get_n_items (G_LIST_MODEL (model)) > 0;
}

static gboolean
report_shown (TillWindow    *window,
              gconstpointer  data)
{
  return g_strcmp0 (till_day_totals_page_get_state (till_test_window_get_day_totals (window)), "report") == 0;
}

static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}

static TillWindow *
sign_in (const char *username,
         const char *password)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window;

  g_settings_set_string (settings, "server-url", shop->url);
  g_settings_set_string (settings, "last-username", username);
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_set_int (settings, "window-width", WIDTH);
  g_settings_set_int (settings, "window-height", HEIGHT);
  g_settings_sync ();

  window = till_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  till_test_window_wait (window, till_test_window_is_mapped, NULL, "the window to map");
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  type_text (password);
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_form_ready, NULL, "the charge page");
  return window;
}

static void
show_page (TillWindow *window,
           const char *name)
{
  gtk_stack_set_visible_child_name (till_window_get_shell_stack (window), name);
  till_test_window_wait (window, till_test_window_shows_page, name, "the page");
}

/* Without the focus ring that typed keys bring up: a person at the counter
 * taps and clicks as often as they type. */
static void
screenshot (TillWindow *window,
            const char *name)
{
  gtk_window_set_focus_visible (GTK_WINDOW (window), FALSE);
  till_test_save_screenshot (GTK_WIDGET (window), name);
}

/* A sale made through the API, as another terminal would; its id. */
static char *
pay (const char *token,
     gint64      amount,
     const char *card,
     const char *description,
     guint       expected_status)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\",\"token\":\"%s\","
                     "\"description\":\"%s\"}", amount, card, description);
  g_autoptr(TillTestResponse) response = till_test_post_json (shop, "/api/payments", token, key, body);

  if (response->status != expected_status)
    g_error ("POST /api/payments (%s): %u, not %u: %s", description, response->status, expected_status,
             response->body);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

static void
refund (const char *token,
        const char *payment_id,
        gint64      amount)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"requested_by_customer\"}",
                                           amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (shop, path, token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
}

/* The morning so far: sales on four cards, one declined, one refunded in
 * part. */
static void
make_sales (void)
{
  g_autofree char *cashier = till_test_server_login (shop, "alice", CASHIER_PASSWORD);
  g_autofree char *manager = till_test_server_login (shop, "morgan", MANAGER_PASSWORD);
  g_autofree char *returned = NULL;

  g_free (pay (cashier, 450, "pm_card_visa", "Flat white", 201));
  g_free (pay (cashier, 1280, "pm_card_mastercard", "Sourdough loaf", 201));
  g_free (pay (cashier, 320, "pm_card_amex", "Croissant", 201));
  g_free (pay (cashier, 900, "pm_card_visa_chargeDeclined", "Breakfast", 402));
  returned = pay (cashier, 2700, "pm_card_visa", "Coffee beans, 1 kg", 201);
  g_free (pay (cashier, 875, "pm_card_visa", "Lunch", 201));
  g_free (pay (cashier, 1540, "pm_card_mastercard", "Cake", 201));
  refund (manager, returned, 1350);
}

static void
take_screenshots (void)
{
  TillWindow *window;
  TillHistoryPage *history;

  make_sales ();

  /* The cashier: a sale typed, the card in, charged. */
  window = sign_in ("alice", CASHIER_PASSWORD);
  type_text ("1250");
  till_test_window_wait (window, till_test_window_amount_is, GINT_TO_POINTER (1250), "the amount");
  till_test_xdo ("key", "Return", NULL);
  till_test_web_wait_card_focus (till_test_window_get_web_view (window));
  type_text ("4242424242424242");
  type_text ("1230");
  type_text ("123");
  till_test_window_wait (window, till_test_window_card_complete, NULL, "the card to be complete");
  screenshot (window, "charge");

  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_charge_state_is, "result", "the result");
  g_assert_cmpstr (till_charge_page_get_result_title (till_window_get_charge_page (window)), ==, "Approved");
  screenshot (window, "result");
  till_test_window_close (window);

  /* The manager: the day's payments, the newest chosen, then the totals. */
  window = sign_in ("morgan", MANAGER_PASSWORD);
  show_page (window, "history");
  history = till_window_get_history_page (window);
  till_test_window_wait (window, history_listed, NULL, "the day's payments");
  gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (history)), 0, TRUE);
  till_test_window_wait (window, till_test_window_details_show, "Card: Visa •••• 4242", "the newest payment in full");
  screenshot (window, "history");

  show_page (window, "day-totals");
  till_test_window_wait (window, report_shown, NULL, "the day's report");
  screenshot (window, "day-totals");
  till_test_window_close (window);
}

/* No warning is expected while the screenshots are taken. */
static const char * const no_warnings[] = { NULL };

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("till-screenshots");
  gtk_init ();

  /* Light, whatever the machine's desktop prefers. */
  adw_init ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
  app = till_test_application_new ();
  till_test_fatal_warnings_except (no_warnings);

  shop = till_test_server_new (till_test_stripe_get ()->url,
                               "[shop]\nname=Corner Bakery\ncurrency=USD\ncountry=US\n");
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);

  g_test_add_func ("/screenshots", take_screenshots);
  status = till_test_run ();

  till_test_server_free (shop);
  g_object_unref (app);
  return status;
}
