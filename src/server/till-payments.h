/* till-payments.h: charging, 3-D Secure confirmation and refunds at Stripe
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-db.h"
#include "till-server-config.h"
#include "till-stripe-client.h"

G_BEGIN_DECLS

#define TILL_TYPE_PAYMENTS (till_payments_get_type ())
G_DECLARE_FINAL_TYPE (TillPayments, till_payments, TILL, PAYMENTS, GObject)

TillPayments *till_payments_new            (TillDb              *db,
                                            TillStripeClient    *stripe,
                                            TillServerConfig    *config);
char         *till_payments_derive_key     (const char          *purpose,
                                            const char          *terminal_key);
gboolean      till_payments_is_busy        (TillPayments        *self,
                                            const char          *object_id);

void          till_payments_submit_async   (TillPayments        *self,
                                            TillPayment         *payment,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
TillPayment  *till_payments_submit_finish  (TillPayments        *self,
                                            GAsyncResult        *result,
                                            GError             **error);
void          till_payments_confirm_async  (TillPayments        *self,
                                            TillPayment         *payment,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
TillPayment  *till_payments_confirm_finish (TillPayments        *self,
                                            GAsyncResult        *result,
                                            GError             **error);
void          till_payments_refund_async   (TillPayments        *self,
                                            TillPayment         *payment,
                                            TillRefund          *refund,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
TillRefund   *till_payments_refund_finish  (TillPayments        *self,
                                            GAsyncResult        *result,
                                            GError             **error);
void          till_payments_recover        (TillPayments        *self);
void          till_payments_watch_pending_refunds (TillPayments *self,
                                                   guint         seconds);
TillStripeClient *till_payments_get_stripe_client (TillPayments   *self);

G_END_DECLS
