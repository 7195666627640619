/* till-refund-dialog.h: refunding a payment, with a manager's approval when a cashier asks
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_REFUND_DIALOG (till_refund_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TillRefundDialog, till_refund_dialog, TILL, REFUND_DIALOG, AdwWindow)

/* payment: the payment object as GET /api/payments gives it (docs/api.md,
 * "The payment object"). The caller sets the transient parent and presents
 * it. Signal "refunded" (JsonObject *payment): the payment as the server
 * has it after a refund that succeeded, or that the card's bank has still
 * to confirm (its amount is then held, not yet refunded). */
TillRefundDialog *till_refund_dialog_new (TillSession *session,
                                          JsonObject  *payment);

G_END_DECLS
