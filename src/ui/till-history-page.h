/* till-history-page.h: the payments made, newest first, and one in full
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_HISTORY_PAGE (till_history_page_get_type ())
G_DECLARE_FINAL_TYPE (TillHistoryPage, till_history_page, TILL, HISTORY_PAGE, GtkWidget)

/* Signals, both with the chosen payment's object (JsonObject *, as GET
 * /api/payments/{id} last answered it), for the dialogs other pages
 * provide: "refund-requested" (the Refu_nd… button: a succeeded payment
 * with something left to refund) and "receipt-requested" (Receipt…). */

/* The signed-in cashier changed (sign-in, switch, restore): the list
 * starts again as theirs. A cashier's list holds their own payments (the
 * server sees to it) and offers no cashier filter. */
void       till_history_page_start          (TillHistoryPage *self,
                                             TillSession     *session);
/* A payment changed elsewhere (refunded in the refund dialog): if it is
 * the one whose details are on show, they are read again. */
void       till_history_page_payment_changed (TillHistoryPage *self,
                                              JsonObject      *payment);

G_END_DECLS
