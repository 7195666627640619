/* till-payment-item.h: one payment of the history, as the server sent it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENT_ITEM (till_payment_item_get_type ())
G_DECLARE_FINAL_TYPE (TillPaymentItem, till_payment_item, TILL, PAYMENT_ITEM, GObject)

/* object: a payment object of GET /api/payments (docs/api.md). Returns
 * NULL when it has no string "id", the one member the list cannot do
 * without; any other member may be missing or of the wrong type, and then
 * reads as absent (NULL, 0). The item keeps a reference to object. */
TillPaymentItem *till_payment_item_new                (JsonObject      *object);
gboolean         till_payment_item_update             (TillPaymentItem *self,
                                                       JsonObject      *object);

/* Properties (read-only, from the object): "id", "created" (GDateTime,
 * UTC, or NULL), "amount", "currency", "brand", "last4", "cashier",
 * "status", "amount-refunded", "description". */
const char      *till_payment_item_get_id             (TillPaymentItem *self);
GDateTime       *till_payment_item_get_created        (TillPaymentItem *self);
gint64           till_payment_item_get_amount         (TillPaymentItem *self);
const char      *till_payment_item_get_currency       (TillPaymentItem *self);
const char      *till_payment_item_get_brand          (TillPaymentItem *self);
const char      *till_payment_item_get_last4          (TillPaymentItem *self);
const char      *till_payment_item_get_cashier        (TillPaymentItem *self);
const char      *till_payment_item_get_status         (TillPaymentItem *self);
gint64           till_payment_item_get_amount_refunded (TillPaymentItem *self);
const char      *till_payment_item_get_description    (TillPaymentItem *self);
JsonObject      *till_payment_item_get_json           (TillPaymentItem *self);

/* What a person reads in a list: "14:32" for today, "Yesterday 14:32", a
 * date and time otherwise, in now's time zone (the local one on screen). */
char            *till_payment_item_format_time        (TillPaymentItem *self,
                                                       GDateTime       *now) G_GNUC_WARN_UNUSED_RESULT;
/* The state in one word or two: "Paid", "Refunded", "Partly Refunded",
 * "Declined", "Failed", "Unknown" (pending: never "failed"), "Waiting for
 * Customer" (3-D Secure). */
const char      *till_payment_item_describe_status    (TillPaymentItem *self);
/* "Visa •••• 4242", or NULL when the server has no card for it. */
char            *till_payment_item_describe_card      (TillPaymentItem *self) G_GNUC_WARN_UNUSED_RESULT;
/* Something is left to refund of a succeeded payment in a currency this
 * terminal knows. */
gboolean         till_payment_item_is_refundable      (TillPaymentItem *self);

G_END_DECLS
