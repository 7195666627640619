/* till-refund-request.h: one refund of one payment, sent until its outcome is known
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-session.h"

G_BEGIN_DECLS

/* What an answer to POST /api/payments/{id}/refunds means (docs/api.md,
 * "What each answer means to a manager"). */
typedef enum
{
  TILL_REFUND_OUTCOME_SUCCEEDED,          /* refunded */
  TILL_REFUND_OUTCOME_PENDING,            /* Stripe took it; the card's bank has not confirmed it */
  TILL_REFUND_OUTCOME_FAILED,             /* nothing was refunded; a new try is a new refund */
  TILL_REFUND_OUTCOME_UNKNOWN,            /* may or may not be refunded: send again (same key) */
  TILL_REFUND_OUTCOME_NEEDS_REVIEW,       /* unknown, and too old to send again */
  TILL_REFUND_OUTCOME_APPROVAL_REQUIRED,  /* a cashier asked without a manager's approval */
  TILL_REFUND_OUTCOME_APPROVAL_REFUSED,   /* wrong name or password, or not an enabled manager */
  TILL_REFUND_OUTCOME_RATE_LIMITED,       /* too many wrong passwords; see retry-after */
  TILL_REFUND_OUTCOME_REFUSED,            /* the server refused the request; nothing was recorded */
} TillRefundOutcome;

#define TILL_TYPE_REFUND_REQUEST (till_refund_request_get_type ())
G_DECLARE_FINAL_TYPE (TillRefundRequest, till_refund_request, TILL, REFUND_REQUEST, GObject)

TillRefundRequest *till_refund_request_new          (TillSession        *session,
                                                     const char         *payment_id);

/* The Idempotency-Key of the attempt under way, or NULL before the first
 * send and after a final outcome. One attempt keeps its key through every
 * repeat, so that it is refunded once at most. */
const char        *till_refund_request_get_key      (TillRefundRequest  *self);
/* TRUE while the attempt's outcome is open (unknown or pending): its
 * amount and reason are fixed, and the next send repeats it. */
gboolean           till_refund_request_get_locked   (TillRefundRequest  *self);
gint64             till_refund_request_get_amount   (TillRefundRequest  *self);
const char        *till_refund_request_get_reason   (TillRefundRequest  *self);

/* Sends the refund of amount (minor units) with reason (duplicate,
 * fraudulent, requested_by_customer, or NULL); while locked, the attempt's
 * own amount and reason are sent instead. approver and password may be
 * NULL (a manager's own refund); the password goes into this one request's
 * body and is wiped from it once the answer is in. Fails only when
 * cancelled. */
void               till_refund_request_send_async   (TillRefundRequest  *self,
                                                     gint64              amount,
                                                     const char         *reason,
                                                     const char         *approver,
                                                     const char         *password,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
TillRefundOutcome  till_refund_request_send_finish  (TillRefundRequest  *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

/* What the last answer said; NULL when it did not say. */
JsonObject        *till_refund_request_get_refund   (TillRefundRequest  *self);
JsonObject        *till_refund_request_get_payment  (TillRefundRequest  *self);
/* error.code of the last answer ("invalid_amount", …), or NULL. */
const char        *till_refund_request_get_error_code (TillRefundRequest *self);
/* Retry-After of the last answer, in seconds; 0 if none. */
guint              till_refund_request_get_retry_after (TillRefundRequest *self);

G_END_DECLS
