/* till-refund-dialog-private.h: what the tests look at inside the refund dialog
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-refund-dialog.h"
#include "till-refund-request.h"

G_BEGIN_DECLS

/* The sentence on show (an outcome or a problem), or NULL. */
const char        *till_refund_dialog_get_message  (TillRefundDialog *self);
gboolean           till_refund_dialog_get_busy     (TillRefundDialog *self);
/* The Refund (or Try Again, or Done) button can be pressed. */
gboolean           till_refund_dialog_get_can_send (TillRefundDialog *self);
/* The last outcome; -1 before any answer. */
int                till_refund_dialog_get_outcome  (TillRefundDialog *self);
/* What the fields hold. */
const char        *till_refund_dialog_get_amount_text (TillRefundDialog *self);
const char        *till_refund_dialog_get_approver_password (TillRefundDialog *self);
TillRefundRequest *till_refund_dialog_get_request  (TillRefundDialog *self);
GtkWidget         *till_refund_dialog_get_approver_row (TillRefundDialog *self);

G_END_DECLS
