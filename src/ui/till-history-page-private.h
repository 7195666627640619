/* till-history-page-private.h: what the tests look at inside the history page
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-history-page.h"
#include "till-payment-list.h"

G_BEGIN_DECLS

TillPaymentList   *till_history_page_get_list            (TillHistoryPage *self);
GtkListView       *till_history_page_get_list_view       (TillHistoryPage *self);
GtkScrolledWindow *till_history_page_get_scrolled_window (TillHistoryPage *self);
GtkSearchEntry    *till_history_page_get_search_entry    (TillHistoryPage *self);
GtkDropDown       *till_history_page_get_status_dropdown (TillHistoryPage *self);
GtkMenuButton     *till_history_page_get_filter_button   (TillHistoryPage *self);
GtkMenuButton     *till_history_page_get_date_button     (TillHistoryPage *self);
/* "loading", "list", "empty" or "error". */
const char        *till_history_page_get_list_state      (TillHistoryPage *self);
/* The payment shown in full, or NULL. */
TillPaymentItem   *till_history_page_get_shown_payment   (TillHistoryPage *self);
/* The details' rows as "Title: value" lines, refunds included. */
char              *till_history_page_dup_details_text    (TillHistoryPage *self);
gboolean           till_history_page_get_folded          (TillHistoryPage *self);
gboolean           till_history_page_get_details_visible (TillHistoryPage *self);

G_END_DECLS
