/* till-test-window.c: what the window tests ask of Till's window
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-charge-page-private.h"
#include "till-history-page-private.h"
#include "till-lock-page.h"
#include "till-test-window.h"
#include "till-window-private.h"

TillApplication *
till_test_application_new (void)
{
  g_autoptr(GError) error = NULL;
  TillApplication *app = till_application_new ();

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  return app;
}

void
till_test_window_wait (TillWindow              *window,
                       TillTestWindowCondition  condition,
                       gconstpointer            data,
                       const char              *what)
{
  gint64 deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;

  while (!condition (window, data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));

          g_error ("Timed out waiting for %s (the window shows “%s”, the focus is on a %s; "
                   "charge page: “%s”; history: “%s”; lock page: error “%s”)",
                   what, till_window_get_visible_page (window),
                   focus ? G_OBJECT_TYPE_NAME (focus) : "nothing",
                   till_charge_page_get_state (till_window_get_charge_page (window)),
                   till_history_page_get_list_state (till_window_get_history_page (window)),
                   till_lock_page_get_error (till_window_get_lock_page (window)));
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

gboolean
till_test_window_is_mapped (TillWindow    *window,
                            gconstpointer  data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (window));
}

gboolean
till_test_window_shows_page (TillWindow    *window,
                             gconstpointer  page)
{
  return g_strcmp0 (till_window_get_visible_page (window), page) == 0;
}

gboolean
till_test_window_charge_state_is (TillWindow    *window,
                                  gconstpointer  state)
{
  return g_strcmp0 (till_charge_page_get_state (till_window_get_charge_page (window)), state) == 0;
}

gboolean
till_test_window_form_ready (TillWindow    *window,
                             gconstpointer  data)
{
  TillChargePage *page = till_window_get_charge_page (window);

  return till_test_window_charge_state_is (window, "entry") &&
         till_card_view_get_ready (till_charge_page_get_card_view (page));
}

gboolean
till_test_window_amount_is (TillWindow    *window,
                            gconstpointer  amount)
{
  return till_charge_page_get_amount (till_window_get_charge_page (window)) == GPOINTER_TO_INT (amount);
}

gboolean
till_test_window_card_complete (TillWindow    *window,
                                gconstpointer  data)
{
  TillChargePage *page = till_window_get_charge_page (window);

  return till_card_view_get_complete (till_charge_page_get_card_view (page)) &&
         till_charge_page_get_can_charge (page);
}

gboolean
till_test_window_details_show (TillWindow    *window,
                               gconstpointer  needle)
{
  g_autofree char *text = till_history_page_dup_details_text (till_window_get_history_page (window));

  return strstr (text, needle) != NULL;
}

WebKitWebView *
till_test_window_get_web_view (TillWindow *window)
{
  TillCardView *view = till_charge_page_get_card_view (till_window_get_charge_page (window));

  return WEBKIT_WEB_VIEW (till_card_view_get_web_view (view));
}

TillDayTotalsPage *
till_test_window_get_day_totals (TillWindow *window)
{
  GtkWidget *page = gtk_stack_get_child_by_name (till_window_get_shell_stack (window), "day-totals");

  return TILL_DAY_TOTALS_PAGE (page);
}

void
till_test_window_close (TillWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  gdk_display_sync (gdk_display_get_default ());
}
