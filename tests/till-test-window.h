/* till-test-window.h: what the window tests ask of Till's window
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <webkit/webkit.h>

#include "till-application.h"
#include "till-day-totals-page.h"
#include "till-window.h"

G_BEGIN_DECLS

/* The application the window tests open their windows in: not unique (a
 * test's windows are its own), registered. */
TillApplication   *till_test_application_new        (void);

/* Runs the main loop until condition (window, data) holds; after 40 s,
 * g_error()s naming what and what the window shows. */
typedef gboolean (*TillTestWindowCondition) (TillWindow    *window,
                                             gconstpointer  data);
void               till_test_window_wait             (TillWindow              *window,
                                                      TillTestWindowCondition  condition,
                                                      gconstpointer            data,
                                                      const char              *what);

/* Conditions for till_test_window_wait(). */
gboolean           till_test_window_is_mapped        (TillWindow    *window,
                                                      gconstpointer  data);
/* data: the page's name in the shell ("charge", "history", "locked"…). */
gboolean           till_test_window_shows_page       (TillWindow    *window,
                                                      gconstpointer  page);
/* data: the charge page's state ("entry", "working", "result"…). */
gboolean           till_test_window_charge_state_is  (TillWindow    *window,
                                                      gconstpointer  state);
/* An empty sale whose card form has loaded. */
gboolean           till_test_window_form_ready       (TillWindow    *window,
                                                      gconstpointer  data);
/* data: GINT_TO_POINTER (the amount typed, in minor units). */
gboolean           till_test_window_amount_is        (TillWindow    *window,
                                                      gconstpointer  amount);
/* A card typed in full and a sale that can be charged. */
gboolean           till_test_window_card_complete    (TillWindow    *window,
                                                      gconstpointer  data);
/* data: text that History's details of the selected payment contain. */
gboolean           till_test_window_details_show     (TillWindow    *window,
                                                      gconstpointer  needle);

WebKitWebView     *till_test_window_get_web_view     (TillWindow *window);
TillDayTotalsPage *till_test_window_get_day_totals   (TillWindow *window);

/* Destroys the window and waits until the display has seen it go. */
void               till_test_window_close            (TillWindow *window);

G_END_DECLS
