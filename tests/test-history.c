/* test-history.c: the payment history and the shell's pages, in the real window
 *
 * Runs under Xvfb against a real till-server whose database holds 500
 * payments (written into it before the window opens): a manager scrolls
 * the History page to its end while the list fetches a page at a time; a
 * cashier sees their own payments and not the manager's pages; a sale in
 * progress on the charge page survives a look at History. Screenshots of
 * the page, wide and narrow, go to TILL_TEST_ARTIFACTS (or
 * $G_TEST_BUILDDIR/artifacts).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <webkit/webkit.h>

#include "till-application.h"
#include "till-charge-page-private.h"
#include "till-history-page-private.h"
#include "till-test-harness.h"
#include "till-test-liar.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define ALICE_PASSWORD "alice-password-1"
#define MORGAN_PASSWORD "morgan-password-3"
#define ALICE_PAYMENTS 300
#define BOB_PAYMENTS 200
#define PAGE_SIZE 50  /* the page's, in till-history-page.c */

static TillApplication *app;
static TillTestServer *shop;

static TillHistoryPage *
history_of (TillWindow *window)
{
  return till_window_get_history_page (window);
}

static TillPaymentList *
list_of (TillWindow *window)
{
  return till_history_page_get_list (history_of (window));
}

static guint
n_items (TillWindow *window)
{
  return g_list_model_get_n_items (G_LIST_MODEL (list_of (window)));
}

static gboolean
history_shows (TillWindow    *window,
               gconstpointer  state)
{
  return g_strcmp0 (till_history_page_get_list_state (history_of (window)), state) == 0 &&
         till_payment_list_get_state (list_of (window)) == TILL_PAYMENT_LIST_IDLE;
}

static gboolean
folded_is (TillWindow    *window,
           gconstpointer  folded)
{
  return till_window_get_shell_folded (window) == GPOINTER_TO_INT (folded) &&
         till_history_page_get_folded (history_of (window)) == GPOINTER_TO_INT (folded);
}

static gboolean
grew_or_failed (TillWindow    *window,
                gconstpointer  before)
{
  TillPaymentListState state = till_payment_list_get_state (list_of (window));

  return state == TILL_PAYMENT_LIST_ERROR ||
         (state == TILL_PAYMENT_LIST_IDLE && n_items (window) > GPOINTER_TO_UINT (before));
}

static gboolean
back_button_is (TillWindow    *window,
                gconstpointer  visible)
{
  return gtk_widget_get_visible (till_window_get_shell_back_button (window)) == GPOINTER_TO_INT (visible);
}

static void
keep_object_cb (TillHistoryPage  *page,
                JsonObject       *payment,
                JsonObject      **slot)
{
  g_clear_pointer (slot, json_object_unref);
  *slot = json_object_ref (payment);
}

static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}

static gboolean
page_visible (TillWindow *window,
              const char *name)
{
  GtkStack *stack = till_window_get_shell_stack (window);
  GtkWidget *child = gtk_stack_get_child_by_name (stack, name);

  g_assert_nonnull (child);
  return gtk_stack_page_get_visible (gtk_stack_get_page (stack, child));
}

/* A toplevel other than the main window, by its title (a message
 * dialog's: its heading). */
static GtkWindow *
find_toplevel (const char *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      const char *name = ADW_IS_MESSAGE_DIALOG (toplevel) ? adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (toplevel))
                                                          : gtk_window_get_title (toplevel);

      if (gtk_widget_get_visible (GTK_WIDGET (toplevel)) && g_strcmp0 (name, title) == 0)
        return toplevel;
    }
  return NULL;
}

static gboolean
toplevel_shown (TillWindow    *window,
                gconstpointer  title)
{
  GtkWindow *toplevel = find_toplevel (title);

  return toplevel != NULL && gtk_window_get_transient_for (toplevel) == GTK_WINDOW (window);
}

static void
close_toplevel (const char *title)
{
  GtkWindow *toplevel = find_toplevel (title);

  g_assert_nonnull (toplevel);
  gtk_window_destroy (toplevel);
}

static TillWindow *
sign_in_at (const char *url,
            const char *username,
            const char *password)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window;

  g_settings_set_string (settings, "server-url", url);
  g_settings_set_string (settings, "last-username", username);
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_set_int (settings, "window-width", 1000);
  g_settings_set_int (settings, "window-height", 700);
  g_settings_sync ();

  window = till_window_new (app);
  /* Nobody signed in: no manager's page. */
  g_assert_false (page_visible (window, "staff"));
  g_assert_false (page_visible (window, "audit"));
  gtk_window_present (GTK_WINDOW (window));
  till_test_window_wait (window, till_test_window_is_mapped, NULL, "the window to map");
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  type_text (password);
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_form_ready, NULL, "the charge page");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "charge");
  return window;
}

static TillWindow *
sign_in (const char *username,
         const char *password)
{
  return sign_in_at (shop->url, username, password);
}

/* Chosen as in the sidebar (which sets the stack's visible child). */
static void
show_page (TillWindow *window,
           const char *name)
{
  gtk_stack_set_visible_child_name (till_window_get_shell_stack (window), name);
  till_test_window_wait (window, till_test_window_shows_page, name, "the page");
}

static void
resize (TillWindow *window,
        int         width,
        int         height)
{
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  till_test_settle (100);
}

/* Scrolls the list down a screen at a time, as a person dragging the bar
 * would, until the list has all there is. Returns the steps taken. */
static guint
scroll_to_end (TillWindow *window)
{
  GtkAdjustment *adjustment =
    gtk_scrolled_window_get_vadjustment (till_history_page_get_scrolled_window (history_of (window)));
  guint steps = 0;

  while (till_payment_list_get_has_more (list_of (window)) ||
         gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) <
         gtk_adjustment_get_upper (adjustment))
    {
      guint before = n_items (window);
      double value = gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment);

      gtk_adjustment_set_value (adjustment, MIN (value, gtk_adjustment_get_upper (adjustment)));
      till_test_settle (20);
      steps++;
      if (steps >= 2000)
        g_error ("Stuck at %g + %g of %g, %u items, more: %d, state %d, error %s",
                 gtk_adjustment_get_value (adjustment), gtk_adjustment_get_page_size (adjustment),
                 gtk_adjustment_get_upper (adjustment), n_items (window),
                 till_payment_list_get_has_more (list_of (window)), till_payment_list_get_state (list_of (window)),
                 till_payment_list_get_error (list_of (window)));
      /* A page is fetched only when the view comes near the end. */
      if (till_payment_list_get_state (list_of (window)) == TILL_PAYMENT_LIST_LOADING)
        {
          till_test_window_wait (window, grew_or_failed, GUINT_TO_POINTER (before), "the next page");
          g_assert_cmpint (till_payment_list_get_state (list_of (window)), ==, TILL_PAYMENT_LIST_IDLE);
          /* One page per request, and no more than the view has come to. */
          g_assert_cmpuint (n_items (window), <=, before + PAGE_SIZE);
        }
    }
  return steps;
}

/* A manager's history: 500 payments, shown a page at a time as the list
 * scrolls; a payment in full beside the list, or in its place when narrow. */
static void
test_manager_history (void)
{
  TillWindow *window = sign_in ("morgan", MORGAN_PASSWORD);
  TillHistoryPage *page = history_of (window);
  TillPaymentItem *last;
  guint total = ALICE_PAYMENTS + BOB_PAYMENTS;
  guint steps;

  /* A manager's pages, the sidebar beside them. */
  g_assert_true (page_visible (window, "staff"));
  g_assert_true (page_visible (window, "audit"));
  g_assert_true (page_visible (window, "history"));

  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the first page of payments");
  /* The first screen needs a page or two; nothing more is fetched, even
   * once the list has been laid out and drawn, settled, three frames on
   * (when its rows are bound, which is when a list that fetched as rows
   * were read would ask for more). */
  till_test_save_screenshot (GTK_WIDGET (window), "history-wide");
  g_assert_cmpuint (till_payment_list_get_n_requests (list_of (window)), <=, 2);
  g_assert_cmpuint (n_items (window), <=, 2 * PAGE_SIZE);
  g_assert_true (till_payment_list_get_has_more (list_of (window)));

  /* Choosing a payment shows it in full, refunds included once read. */
  gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (page)), 1, TRUE);
  till_test_window_wait (window, till_test_window_details_show, "Reference: pay_seed_bob_198", "the payment's details");
  g_assert_true (till_history_page_get_details_visible (page));
  g_assert_true (till_test_window_details_show (window, "Cashier: bob"));
  g_assert_true (till_test_window_details_show (window, "Card: American Express •••• 8431"));

  /* The hooks for the refund and receipt dialogs: the payment's object. */
  {
    g_autoptr(JsonObject) refund = NULL;
    g_autoptr(JsonObject) receipt = NULL;

    g_signal_connect (page, "refund-requested", G_CALLBACK (keep_object_cb), &refund);
    g_signal_connect (page, "receipt-requested", G_CALLBACK (keep_object_cb), &receipt);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.refund", NULL));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.receipt", NULL));
    g_assert_cmpstr (json_object_get_string_member (refund, "id"), ==, "pay_seed_bob_198");
    g_assert_cmpstr (json_object_get_string_member (receipt, "id"), ==, "pay_seed_bob_198");
    g_signal_handlers_disconnect_by_func (page, keep_object_cb, &refund);
    g_signal_handlers_disconnect_by_func (page, keep_object_cb, &receipt);
    /* The window answers them with the refund dialog and the receipt's,
     * over itself, for that payment. */
    till_test_window_wait (window, toplevel_shown, "Refund Payment", "the refund dialog");
    close_toplevel ("Refund Payment");
    /* The receipt's dialog: here why there is none, since a seeded
     * payment's id ("pay_seed_…") is not of the form the server makes, and
     * a receipt is only printed from an answer that is (test-receipts
     * prints real payments' receipts). */
    till_test_window_wait (window, toplevel_shown, "No Receipt", "the receipt");
    close_toplevel ("No Receipt");
  }
  till_test_save_screenshot (GTK_WIDGET (window), "history-wide-details");

  steps = scroll_to_end (window);
  g_test_message ("Scrolled to the end in %u steps, %u requests", steps,
                  till_payment_list_get_n_requests (list_of (window)));
  g_assert_cmpuint (n_items (window), ==, total);
  g_assert_false (till_payment_list_get_has_more (list_of (window)));
  /* A request per page, each page asked once. */
  g_assert_cmpuint (till_payment_list_get_n_requests (list_of (window)), ==, total / PAGE_SIZE);
  g_assert_cmpuint (till_test_server_wait_log (shop, "path=/api/payments status=200", total / PAGE_SIZE), >=,
                    total / PAGE_SIZE);
  last = g_list_model_get_item (G_LIST_MODEL (list_of (window)), total - 1);
  g_assert_cmpstr (till_payment_item_get_id (last), ==, "pay_seed_alice_0");
  g_object_unref (last);

  /* Every page of the shell fits a narrow window (a 360 px phone-sized
   * one, as GNOME's adaptive apps do): the stack is as wide as its widest
   * page, so one wide page keeps the whole window from folding. */
  {
    GtkStack *stack = till_window_get_shell_stack (window);

    for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (stack)); child != NULL;
         child = gtk_widget_get_next_sibling (child))
      {
        int minimum;

        gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
        if (minimum > 360)
          g_error ("The page %s is %d px wide at the least, more than 360", G_OBJECT_TYPE_NAME (child), minimum);
      }
  }

  /* Narrow: the sidebar, the list and the details take turns, each with
   * a way back. */
  resize (window, 400, 700);
  till_test_window_wait (window, folded_is, GINT_TO_POINTER (TRUE), "the narrow layout");
  till_test_window_wait (window, back_button_is, GINT_TO_POINTER (TRUE), "the back button to the pages");
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (till_history_page_get_scrolled_window (page)), 0);
  gtk_widget_activate_action (GTK_WIDGET (page), "history.back", NULL);
  till_test_save_screenshot (GTK_WIDGET (window), "history-narrow");
  g_signal_emit_by_name (till_history_page_get_list_view (page), "activate", 2);
  till_test_window_wait (window, till_test_window_details_show, "Reference: pay_seed_bob_197", "the narrow details");
  g_assert_true (till_history_page_get_details_visible (page));
  till_test_save_screenshot (GTK_WIDGET (window), "history-narrow-details");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-pages", NULL);
  till_test_window_wait (window, back_button_is, GINT_TO_POINTER (FALSE), "the pages");
  till_test_save_screenshot (GTK_WIDGET (window), "shell-narrow-sidebar");
  show_page (window, "charge");
  till_test_window_wait (window, back_button_is, GINT_TO_POINTER (TRUE), "the back button on the charge page");

  till_test_window_close (window);
}

/* A cashier: Charge and History, no manager's page; only their own
 * payments; the sale typed on Charge is there after a look at History. */
static void
test_cashier_history (void)
{
  TillWindow *window = sign_in ("alice", ALICE_PASSWORD);
  TillChargePage *charge = till_window_get_charge_page (window);

  g_assert_false (page_visible (window, "staff"));
  g_assert_false (page_visible (window, "audit"));
  g_assert_true (page_visible (window, "history"));
  g_assert_true (page_visible (window, "charge"));

  /* An amount typed, then a look at the history. */
  type_text ("1234");
  till_test_window_wait (window, till_test_window_amount_is, GINT_TO_POINTER (1234), "the amount");
  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the cashier's payments");
  scroll_to_end (window);
  g_assert_cmpuint (n_items (window), ==, ALICE_PAYMENTS);
  for (guint i = 0; i < ALICE_PAYMENTS; i++)
    {
      g_autoptr(TillPaymentItem) item = g_list_model_get_item (G_LIST_MODEL (list_of (window)), i);

      g_assert_cmpstr (till_payment_item_get_cashier (item), ==, "alice");
    }
  show_page (window, "charge");
  g_assert_cmpint (till_charge_page_get_amount (charge), ==, 1234);
  g_assert_cmpstr (till_charge_page_get_state (charge), ==, "entry");

  /* On to the card form, a card typed: History and back keep it all. */
  gtk_widget_grab_focus (GTK_WIDGET (charge));
  till_test_xdo ("key", "Return", NULL);
  till_test_web_wait_card_focus (till_test_window_get_web_view (window));
  type_text ("4242424242424242");
  type_text ("1230");
  type_text ("123");
  till_test_window_wait (window, till_test_window_card_complete, NULL, "the card to be complete");
  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the history again");
  show_page (window, "charge");
  g_assert_cmpstr (till_charge_page_get_state (charge), ==, "entry");
  g_assert_cmpint (till_charge_page_get_amount (charge), ==, 1234);
  g_assert_true (till_test_window_card_complete (window, NULL));

  till_test_window_close (window);
}

static gboolean
searched (TillWindow    *window,
          gconstpointer  expected)
{
  const TillPaymentFilter *filter = till_payment_list_get_filter (list_of (window));
  g_autofree char *query = till_payment_filter_to_query (filter);

  return g_strcmp0 (query, expected) == 0 && till_payment_list_get_state (list_of (window)) != TILL_PAYMENT_LIST_LOADING;
}

static gboolean
filtered_today (TillWindow    *window,
                gconstpointer  data)
{
  const TillPaymentFilter *filter = till_payment_list_get_filter (list_of (window));
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  /* The day began at midnight, or at 01:00 where the clocks skip
   * midnight, as GLib gives it. */
  g_autoptr(GDateTime) day_began = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                                          g_date_time_get_day_of_month (now), 0, 0, 0);
  g_autoptr(GDateTime) next_day = NULL;

  if (filter->created_gte == NULL || filter->created_lt == NULL)
    return FALSE;
  /* Midnight to midnight: 23 or 25 hours on a day the clocks change. */
  next_day = g_date_time_add_days (filter->created_gte, 1);
  return g_date_time_equal (filter->created_gte, day_began) && g_date_time_compare (now, filter->created_lt) < 0 &&
         g_date_time_equal (filter->created_lt, next_day) &&
         till_payment_list_get_state (list_of (window)) != TILL_PAYMENT_LIST_LOADING;
}

static gboolean
filtered_pending (TillWindow    *window,
                  gconstpointer  data)
{
  const TillPaymentFilter *filter = till_payment_list_get_filter (list_of (window));

  return g_strcmp0 (filter->status, "pending") == 0 && filter->created_gte != NULL &&
         till_payment_list_get_state (list_of (window)) != TILL_PAYMENT_LIST_LOADING;
}

/* A menu button's popover, open, as a screenshot. */
static void
save_popover (GtkMenuButton *button,
              const char    *name)
{
  GtkPopover *popover = gtk_menu_button_get_popover (button);

  while (!gtk_widget_get_mapped (GTK_WIDGET (popover)))
    g_main_context_iteration (NULL, TRUE);
  till_test_save_screenshot (GTK_WIDGET (popover), name);
  gtk_popover_popdown (popover);
}

/* What is typed in the search goes to the server as the contract's
 * parameters; the page shows what comes back: the matches, or "No
 * Matches". */
static void
test_search (void)
{
  TillWindow *window = sign_in ("morgan", MORGAN_PASSWORD);
  TillHistoryPage *page = history_of (window);
  const char *state;

  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the first page of payments");
  gtk_widget_grab_focus (GTK_WIDGET (till_history_page_get_search_entry (page)));
  type_text ("4444");
  till_test_window_wait (window, searched, "&last4=4444", "the search by card");
  g_assert_cmpstr (till_history_page_get_list_state (page), ==, "list");
  for (guint i = 0; i < n_items (window); i++)
    {
      g_autoptr(TillPaymentItem) item = g_list_model_get_item (G_LIST_MODEL (list_of (window)), i);

      g_assert_cmpstr (till_payment_item_get_last4 (item), ==, "4444");
    }

  till_test_xdo ("key", "ctrl+a", NULL);
  type_text ("nothing like this");
  till_test_window_wait (window, searched, "&reference=nothing%20like%20this", "the search by reference");
  state = till_history_page_get_list_state (page);
  g_assert_cmpuint (n_items (window), ==, 0);
  g_assert_cmpstr (state, ==, "empty");
  till_test_save_screenshot (GTK_WIDGET (window), "history-search");

  /* The other filters, as chosen in their popovers. */
  till_test_xdo ("key", "ctrl+a", "BackSpace", NULL);
  till_test_window_wait (window, searched, "", "the search cleared");
  gtk_menu_button_popup (till_history_page_get_date_button (page));
  save_popover (till_history_page_get_date_button (page), "history-date-popover");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.date", "s", "today"));
  g_assert_cmpstr (gtk_menu_button_get_label (till_history_page_get_date_button (page)), ==, "Today");
  till_test_window_wait (window, filtered_today, NULL, "today's payments");
  gtk_menu_button_popup (till_history_page_get_filter_button (page));
  gtk_drop_down_set_selected (till_history_page_get_status_dropdown (page), 3);
  save_popover (till_history_page_get_filter_button (page), "history-filter-popover");
  till_test_window_wait (window, filtered_pending, NULL, "the pending payments");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.clear-filters", NULL));
  till_test_window_wait (window, searched, "", "the filters cleared");
  till_test_window_close (window);
}

static gboolean
status_is (TillWindow    *window,
           gconstpointer  text)
{
  return g_strcmp0 (till_window_get_status_text (window), text) == 0 && till_test_window_shows_page (window, "charge");
}

/* A manager looking at History locks the terminal and a cashier takes
 * over: the cashier starts on Charge, without the manager's pages, and
 * History lists the cashier's own payments. */
static void
test_switch_cashier (void)
{
  TillWindow *window = sign_in ("morgan", MORGAN_PASSWORD);
  TillAccess *access = till_window_get_access (window);

  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the manager's payments");
  g_assert_true (page_visible (window, "staff"));
  g_assert_true (page_visible (window, "audit"));
  till_access_lock (access);
  till_test_window_wait (window, till_test_window_shows_page, "locked", "the lock");
  till_access_switch_cashier_async (access, "alice", ALICE_PASSWORD, NULL, NULL);
  till_test_window_wait (window, status_is, "alice, cashier", "alice at the till");
  g_assert_false (page_visible (window, "staff"));
  g_assert_false (page_visible (window, "audit"));
  g_assert_true (page_visible (window, "history"));

  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the cashier's payments");
  for (guint i = 0; i < n_items (window); i++)
    {
      g_autoptr(TillPaymentItem) item = g_list_model_get_item (G_LIST_MODEL (list_of (window)), i);

      g_assert_cmpstr (till_payment_item_get_cashier (item), ==, "alice");
    }
  till_test_window_close (window);
}

/* A window other than the terminal's is open (a dialog over it). */
static gboolean
dialog_open (TillWindow    *window,
             gconstpointer  data)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();

  for (GList *l = windows; l != NULL; l = l->next)
    if (l->data != (gpointer) window && gtk_widget_get_visible (l->data))
      return TRUE;
  return FALSE;
}

static gboolean
no_dialog_open (TillWindow    *window,
                gconstpointer  data)
{
  return !dialog_open (window, data);
}

/* The terminal locks with the refund dialog or the receipt's open over
 * History: neither stays over the lock screen, for whoever comes next. */
static void
test_lock_closes_dialogs (void)
{
  const char *actions[] = { "history.refund", "history.receipt" };
  TillWindow *window = sign_in ("morgan", MORGAN_PASSWORD);
  TillHistoryPage *page = history_of (window);
  TillAccess *access = till_window_get_access (window);

  show_page (window, "history");
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      till_test_window_wait (window, history_shows, "list", "the payments");
      /* One that was approved, so that it can be refunded. */
      gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (page)), 1, TRUE);
      till_test_window_wait (window, till_test_window_details_show, "Reference: pay_seed_bob_198",
                             "the payment's details");
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), actions[i], NULL));
      till_test_window_wait (window, dialog_open, NULL, actions[i]);
      till_access_lock (access);
      till_test_window_wait (window, till_test_window_shows_page, "locked", "the lock");
      till_test_window_wait (window, no_dialog_open, NULL, "the dialog to close");
      till_access_unlock_async (access, MORGAN_PASSWORD, NULL, NULL);
      till_test_window_wait (window, till_test_window_shows_page, "history", "the unlock");
    }
  till_test_window_close (window);
}

/* The shop's settings, read for the receipt: the answer to the request
 * numbered *data is held until the test releases it. */
static void
slow_config_cb (const char  *method,
                const char  *path,
                guint        nth,
                guint       *status,
                JsonObject **body,
                guint       *delay_ms,
                gpointer     data)
{
  if (g_str_equal (path, "/api/config") && nth == *(guint *) data)
    *delay_ms = TILL_TEST_LIAR_UNTIL_RELEASED;
}

/* The terminal locks (or its cashier signs out) while the receipt is on
 * its way: it does not come up over the lock screen (or the sign-in form)
 * when it arrives. */
static void
test_lock_receipt_on_its_way (gconstpointer data)
{
  gboolean sign_out = GPOINTER_TO_INT (data);
  guint held = 0;
  g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, NULL, slow_config_cb, &held);
  TillWindow *window = sign_in_at (till_test_liar_get_url (liar), "morgan", MORGAN_PASSWORD);
  TillHistoryPage *page = history_of (window);

  show_page (window, "history");
  till_test_window_wait (window, history_shows, "list", "the payments");
  gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (page)), 1, TRUE);
  till_test_window_wait (window, till_test_window_details_show, "Reference: pay_seed_bob_198", "the payment's details");
  held = till_test_liar_count (liar, "GET", "/api/config") + 1;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.receipt", NULL));
  /* Asked, and held back at the liar. */
  while (till_test_liar_count (liar, "GET", "/api/config") < held)
    g_main_context_iteration (NULL, TRUE);
  if (sign_out)
    {
      till_access_sign_out_async (till_window_get_access (window), NULL, NULL);
      till_test_window_wait (window, till_test_window_shows_page, "sign-in", "the sign-in form");
    }
  else
    {
      till_access_lock (till_window_get_access (window));
      till_test_window_wait (window, till_test_window_shows_page, "locked", "the lock");
    }
  /* The answer comes now, late, and all it sets off here is done. */
  till_test_liar_release (liar, "GET", "/api/config", held);
  till_test_drain ();
  g_assert_false (dialog_open (window, NULL));
  till_test_window_close (window);
}

/* A payment in a currency the terminal does not know: shown with its
 * code, but not offered for a refund the dialog could not put in money. */
static void
odd_currency_cb (const char  *method,
                 const char  *path,
                 guint        nth,
                 guint       *status,
                 JsonObject **body,
                 guint       *delay_ms,
                 gpointer     data)
{
  JsonArray *list;

  if (*body == NULL || *status != 200)
    return;
  if (g_str_equal (path, "/api/payments/pay_seed_bob_198"))
    json_object_set_string_member (*body, "currency", data);
  if (!g_str_equal (path, "/api/payments"))
    return;
  list = json_object_get_array_member (*body, "data");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *payment = json_array_get_object_element (list, i);

      if (g_str_equal (json_object_get_string_member (payment, "id"), "pay_seed_bob_198"))
        json_object_set_string_member (payment, "currency", data);
    }
}

static void
test_unknown_currency (void)
{
  const char *currencies[] = { "XYZ", "" };

  for (guint i = 0; i < G_N_ELEMENTS (currencies); i++)
    {
      g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, NULL, odd_currency_cb,
                                                           (gpointer) currencies[i]);
      TillWindow *window = sign_in_at (till_test_liar_get_url (liar), "morgan", MORGAN_PASSWORD);
      TillHistoryPage *page = history_of (window);

      show_page (window, "history");
      till_test_window_wait (window, history_shows, "list", "the payments");
      gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (page)), 1, TRUE);
      till_test_window_wait (window, till_test_window_details_show, "Reference: pay_seed_bob_198",
                             "the payment's details");
      /* The dialog would be made at once, in the action. */
      gtk_widget_activate_action (GTK_WIDGET (page), "history.refund", NULL);
      g_assert_false (dialog_open (window, NULL));
      till_test_window_close (window);
    }
}

/* A cashier who has taken no payment yet. */
static void
test_empty (void)
{
  TillWindow *window = sign_in ("carol", "carol-password-4");
  TillHistoryPage *page = history_of (window);

  show_page (window, "history");
  till_test_window_wait (window, history_shows, "empty", "the empty history");
  g_assert_cmpuint (n_items (window), ==, 0);
  g_assert_false (till_payment_list_get_has_more (list_of (window)));
  g_assert_null (till_history_page_get_shown_payment (page));
  till_test_save_screenshot (GTK_WIDGET (window), "history-empty");
  till_test_window_close (window);
}

typedef struct
{
  guint spoil_nth;   /* this GET /api/payments answers 503 */
} Lies;

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

  /* The search branch's refunds, for one payment. */
  if (g_str_equal (path, "/api/payments/pay_seed_bob_199") && *body != NULL)
    {
      g_autoptr(JsonNode) refunds = json_from_string (
        "[{\"id\": \"re_1\", \"amount\": 50, \"status\": \"succeeded\", \"created\": \"2026-12-01T10:00:00Z\"},"
        " {\"id\": \"re_2\", \"amount\": \"garbage\"}, 17]", NULL);

      json_object_set_member (*body, "refunds", g_steal_pointer (&refunds));
      return;
    }
  if (!g_str_equal (path, "/api/payments") || nth != lies->spoil_nth)
    return;
  *status = 503;
  spoilt = json_from_string ("{\"error\": {\"code\": \"service_unavailable\", \"message\": \"down for a moment\"}}",
                             NULL);
  g_clear_pointer (body, json_object_unref);
  *body = json_node_dup_object (spoilt);
}

static gboolean
list_failed (TillWindow    *window,
             gconstpointer  data)
{
  return till_payment_list_get_state (list_of (window)) == TILL_PAYMENT_LIST_ERROR;
}

/* The rows are laid out: the list is taller than its window. */
static gboolean
list_laid_out (TillWindow    *window,
               gconstpointer  data)
{
  GtkAdjustment *adjustment =
    gtk_scrolled_window_get_vadjustment (till_history_page_get_scrolled_window (history_of (window)));

  return gtk_adjustment_get_upper (adjustment) > 2 * gtk_adjustment_get_page_size (adjustment);
}

/* The server fails the first page, then a later one: the page says so,
 * keeps what it has, and Try Again carries on. */
static void
test_errors (void)
{
  Lies lies = { .spoil_nth = 1 };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, NULL, lies_after, &lies);
  TillWindow *window = sign_in_at (till_test_liar_get_url (liar), "morgan", MORGAN_PASSWORD);
  TillHistoryPage *page = history_of (window);
  GtkAdjustment *adjustment =
    gtk_scrolled_window_get_vadjustment (till_history_page_get_scrolled_window (page));
  g_autoptr(GDateTime) refunded = g_date_time_new_from_iso8601 ("2026-12-01T10:00:00Z", NULL);
  g_autoptr(GDateTime) refunded_here = g_date_time_to_local (refunded);
  g_autofree char *when = g_date_time_format (refunded_here, "%-d %B %Y, %H:%M:%S");
  g_autofree char *refund_line = g_strconcat ("$0.50: Refunded, ", when, NULL);
  guint before;

  show_page (window, "history");
  till_test_window_wait (window, list_failed, NULL, "the first page to fail");
  g_assert_cmpstr (till_history_page_get_list_state (page), ==, "error");
  g_assert_cmpstr (till_payment_list_get_error (list_of (window)), ==,
                   "The shop’s server has a problem. Try again later.");
  till_test_save_screenshot (GTK_WIDGET (window), "history-error");

  /* Try Again; the second page will fail this time. */
  lies.spoil_nth = 3;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.retry", NULL));
  till_test_window_wait (window, history_shows, "list", "the first page");
  before = n_items (window);
  till_test_window_wait (window, list_laid_out, NULL, "the list's rows");
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
  till_test_window_wait (window, list_failed, NULL, "the next page to fail");
  g_assert_cmpuint (n_items (window), ==, before);
  g_assert_cmpstr (till_history_page_get_list_state (page), ==, "list");
  till_test_save_screenshot (GTK_WIDGET (window), "history-error-more");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "history.retry", NULL));
  till_test_window_wait (window, grew_or_failed, GUINT_TO_POINTER (before), "the next page");
  g_assert_cmpuint (n_items (window), ==, before + PAGE_SIZE);
  g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments"), ==, 4);

  /* A payment with refunds: those that can be read are listed, at the
   * time of day where the terminal is. */
  gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (page)), 0, TRUE);
  till_test_window_wait (window, till_test_window_details_show, refund_line, "the refund");
  g_assert_true (till_test_window_details_show (window, "Reference: pay_seed_bob_199"));
  g_assert_true (till_test_window_details_show (window, "Decline Reason: generic_decline"));
  till_test_window_close (window);
}

/* This test causes none on purpose. */
static const char * const no_warnings[] = { NULL };

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-history");
  /* Its cases look for what earlier ones made today. */
  till_test_keep_off_midnight (150);
  gtk_init ();

  app = till_test_application_new ();
  till_test_fatal_warnings_except (no_warnings);

  shop = till_test_server_new (till_test_stripe_get ()->url, NULL);
  till_test_server_add_user (shop, "alice", "cashier", ALICE_PASSWORD);
  till_test_server_add_user (shop, "bob", "cashier", "bob-password-22");
  till_test_server_add_user (shop, "morgan", "manager", MORGAN_PASSWORD);
  till_test_server_add_user (shop, "carol", "cashier", "carol-password-4");
  till_test_server_start (shop);
  /* The server lists in the order it recorded: alice's are older. */
  till_test_server_seed_payments (shop, "alice", ALICE_PAYMENTS, BOB_PAYMENTS * 600);
  till_test_server_seed_payments (shop, "bob", BOB_PAYMENTS, 0);

  g_test_add_func ("/history/manager", test_manager_history);
  g_test_add_func ("/history/cashier", test_cashier_history);
  g_test_add_func ("/history/search", test_search);
  g_test_add_func ("/history/switch-cashier", test_switch_cashier);
  g_test_add_func ("/history/lock-closes-dialogs", test_lock_closes_dialogs);
  g_test_add_data_func ("/history/lock-receipt-on-its-way", GINT_TO_POINTER (FALSE), test_lock_receipt_on_its_way);
  g_test_add_data_func ("/history/sign-out-receipt-on-its-way", GINT_TO_POINTER (TRUE),
                        test_lock_receipt_on_its_way);
  g_test_add_func ("/history/unknown-currency", test_unknown_currency);
  g_test_add_func ("/history/empty", test_empty);
  g_test_add_func ("/history/errors", test_errors);
  status = till_test_run ();

  till_test_server_free (shop);
  g_object_unref (app);
  return status;
}
