/* till-sale.h: one sale's payment, from the card page's token to a final answer
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-journal.h"
#include "till-session.h"

G_BEGIN_DECLS

/**
 * TillSaleStatus:
 * @TILL_SALE_STATUS_NEW: nothing sent yet
 * @TILL_SALE_STATUS_SUCCEEDED: the card was charged (final)
 * @TILL_SALE_STATUS_DECLINED: the card or its bank said no; nothing was charged (final)
 * @TILL_SALE_STATUS_FAILED: the request itself was refused; nothing was charged (final)
 * @TILL_SALE_STATUS_REQUIRES_ACTION: the customer must pass 3-D Secure on the card page,
 *   then till_sale_confirm_async()
 * @TILL_SALE_STATUS_UNKNOWN: the outcome is not known: the card may or may not have
 *   been charged. Never shown as failed; till_sale_resolve_async() finds out.
 * @TILL_SALE_STATUS_ABANDONED: given up while it waited for 3-D Secure; only
 *   the server's confirm could have charged it, so nothing was (final)
 */
typedef enum
{
  TILL_SALE_STATUS_NEW,
  TILL_SALE_STATUS_SUCCEEDED,
  TILL_SALE_STATUS_DECLINED,
  TILL_SALE_STATUS_FAILED,
  TILL_SALE_STATUS_REQUIRES_ACTION,
  TILL_SALE_STATUS_UNKNOWN,
  TILL_SALE_STATUS_ABANDONED,
} TillSaleStatus;

#define TILL_TYPE_SALE (till_sale_get_type ())
G_DECLARE_FINAL_TYPE (TillSale, till_sale, TILL, SALE, GObject)

/* A sale of amount minor units of currency; description may be NULL. The
 * sale gets a fresh Idempotency-Key, which every request for it reuses. */
TillSale          *till_sale_new                  (TillSession         *session,
                                                   gint64               amount,
                                                   const char          *currency,
                                                   const char          *description);

/* A sale from the journal, to resolve: NULL with an error when the entry
 * is not one. */
TillSale          *till_sale_new_from_journal     (TillSession         *session,
                                                   JsonObject          *entry,
                                                   GError             **error);
/* From now on every change is written to journal, the first before the
 * first request leaves. */
void               till_sale_set_journal          (TillSale            *self,
                                                   TillJournal         *journal);
/* The card as the card page reported it, before the server did. */
void               till_sale_set_card             (TillSale            *self,
                                                   const char          *brand,
                                                   const char          *last4);
/* Gives up a sale waiting for 3-D Secure (see TILL_SALE_STATUS_ABANDONED). */
gboolean           till_sale_abandon              (TillSale            *self);
/* When the sale was made, unix seconds. */
gint64             till_sale_get_created          (TillSale            *self);
/* Another cashier carries on with an open sale (its key is the proof). */
void               till_sale_set_session          (TillSale            *self,
                                                   TillSession         *session);
const char        *till_sale_get_idempotency_key  (TillSale            *self);
gint64             till_sale_get_amount           (TillSale            *self);
const char        *till_sale_get_currency         (TillSale            *self);
const char        *till_sale_get_description      (TillSale            *self);
/* The token or PaymentMethod id it was sent with, NULL before. */
const char        *till_sale_get_token            (TillSale            *self);
/* "status" notifies every change, also while a step runs (the first
 * unanswered request makes the sale UNKNOWN at once, while it goes on
 * resending). */
TillSaleStatus     till_sale_get_status           (TillSale            *self);
gboolean           till_sale_is_final             (TillSale            *self);
/* TRUE while a step runs. */
gboolean           till_sale_is_busy              (TillSale            *self);
/* From the server's payment object; NULL until known. */
const char        *till_sale_get_payment_id       (TillSale            *self);
const char        *till_sale_get_card_brand       (TillSale            *self);
const char        *till_sale_get_card_last4       (TillSale            *self);
const char        *till_sale_get_client_secret    (TillSale            *self);
/* Why it was declined (Stripe's decline_code, e.g. "insufficient_funds"),
 * or why it failed or is unknown (an error code of the API or
 * "unreachable", "timeout", "bad_response", "mismatch"). */
const char        *till_sale_get_reason           (TillSale            *self);
/* Stripe's customer-facing sentence for a decline or failure, if any. */
const char        *till_sale_get_message          (TillSale            *self);
/* How many requests this sale has sent. */
guint              till_sale_get_attempts         (TillSale            *self);

/* Each step sends until it has a definite answer, resending the same
 * request under the same key after an unknown outcome (Retry-After, else
 * base_delay_ms, doubled each time), at most max_attempts times; then the
 * status is UNKNOWN. Defaults: 4 attempts, 1000 ms. */
void               till_sale_set_retry_policy     (TillSale            *self,
                                                   guint                max_attempts,
                                                   guint                base_delay_ms);

/* POST /api/payments with token (pm_… or tok_…). Once per sale: a second
 * call fails with G_IO_ERROR_EXISTS. */
void               till_sale_submit_async         (TillSale            *self,
                                                   const char          *token,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* After the card page's handleCardAction, whatever it reported: POST
 * /api/payments/{id}/confirm. Only in REQUIRES_ACTION. */
void               till_sale_confirm_async        (TillSale            *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* For an UNKNOWN sale, or one whose step failed with UNAUTHORIZED or was
 * cancelled: sends the same request again under the same key (and, if a
 * confirm went unanswered, confirms again). */
void               till_sale_resolve_async        (TillSale            *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* Finishes any of the three. TRUE when the server was asked and the status
 * says what is known (which may be UNKNOWN). FALSE with G_IO_ERROR_PENDING
 * (a step is running), G_IO_ERROR_EXISTS (already sent),
 * G_IO_ERROR_NOT_SUPPORTED (nothing to do in this status),
 * G_IO_ERROR_CANCELLED, or TILL_BACKEND_ERROR_UNAUTHORIZED (the cashier
 * must sign in again; then resolve). After the last two the status is
 * UNKNOWN if a request may have reached the server. */
gboolean           till_sale_step_finish          (TillSale            *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

G_END_DECLS
