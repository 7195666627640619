/* till-api-refunds.c: till-server's refund route
 *
 * A manager refunds all or part of a payment; a cashier does too when a
 * manager approves it in the same request, with that manager's name and
 * password, checked for that one request like a sign-in (and counted by
 * the same limiters) without ever making a session. As for payments, the
 * refund is stored before Stripe hears of it, and a replay of its
 * Idempotency-Key answers as the first request did.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include "till-api-private.h"
#include "till-crypto.h"
#include "till-server-error.h"

static void
send_busy (SoupServerMessage *msg)
{
  till_api_send_in_progress (msg, "refund_in_progress",
                             "This refund is being processed; ask again in a moment");
}

static void
respond_refund (SoupServerMessage *msg,
                TillDb            *db,
                TillRefund        *r,
                gboolean           fresh)
{
  g_autoptr(TillPayment) p = till_db_get_payment (db, r->payment_id);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint status;

  json_builder_begin_object (builder);
  if (g_str_equal (r->status, TILL_STATUS_SUCCEEDED))
    status = fresh ? 201 : 200;
  else if (g_str_equal (r->status, TILL_STATUS_FAILED))
    {
      status = 409;
      till_api_add_error (builder, "refund_failed", "Stripe refused the refund. Nothing was refunded.", NULL);
    }
  else if (g_strcmp0 (r->error_code, "refund_pending") == 0)
    {
      /* Stripe took it; the card's bank has yet to (card refunds can also
       * fail days later). Accepted, not done: not counted as refunded. */
      status = 202;
      till_api_add_error (builder, "refund_pending",
                          "Stripe accepted the refund and the card's bank has not confirmed it yet. "
                          "It counts as refunded once it has; do not refund again.", NULL);
    }
  else if (g_strcmp0 (r->error_code, "needs_review") == 0)
    {
      status = 502;
      till_api_add_error (builder, "needs_review",
                          "The outcome of this refund is not known and too old to ask Stripe again safely. "
                          "Check it in the Stripe Dashboard; do not refund again.", NULL);
    }
  else
    {
      if (g_strcmp0 (r->error_code, "stripe_rate_limited") == 0)
        {
          status = 503;
          till_api_set_retry_after (msg, 2);
        }
      else
        status = g_strcmp0 (r->error_code, "stripe_unreachable") == 0 ? 504 : 502;
      till_api_add_error (builder, r->error_code ? r->error_code : "refund_unknown",
                          "The outcome of this refund is not known yet. Retry with the same "
                          "Idempotency-Key; it will never be refunded twice.", NULL);
    }
  json_builder_set_member_name (builder, "refund");
  till_api_add_refund (builder, r, p->currency);
  json_builder_set_member_name (builder, "payment");
  till_api_add_payment (builder, p, FALSE);
  json_builder_end_object (builder);

  till_api_send_outcome (msg, status, builder, fresh);
}

/* A new refund's outcome as its request was answered; a pending one that
 * settles later is not logged again. */
static void
audit_refund (TillApiRequest *req,
              TillRefund     *r)
{
  g_autoptr(JsonBuilder) details = json_builder_new ();

  json_builder_begin_object (details);
  till_api_add_string (details, "refund_id", r->id);
  till_api_add_int (details, "amount", r->amount);
  till_api_add_string (details, "status", r->status);
  till_api_add_string (details, "error_code", r->error_code);
  till_api_add_string (details, "approved_by", r->approved_by_name);
  till_api_audit (req, req->user->name, TILL_AUDIT_REFUND, r->payment_id, details);
}

static void
refund_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillApiRequest) req = user_data;
  g_autoptr(TillRefund) r = NULL;
  g_autoptr(GError) error = NULL;

  soup_server_message_unpause (req->msg);
  r = till_payments_refund_finish (TILL_PAYMENTS (object), result, &error);
  if (r == NULL)
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
        send_busy (req->msg);
      else
        till_api_send_error (req->msg, 500, "internal_error", "The refund could not be recorded");
      return;
    }
  if (req->fresh)
    audit_refund (req, r);
  respond_refund (req->msg, req->self->db, r, req->fresh);
}

static void
drive_refund (TillApiRequest *req,
              TillPayment    *p,
              TillRefund     *r,
              gboolean        fresh)
{
  TillPayments *payments = req->self->payments;

  req->fresh = fresh;
  till_payments_refund_async (payments, p, r, refund_done_cb, till_api_request_suspend (req));
}

/* A second request with a used Idempotency-Key: the same refund is
 * answered as it stands, or finished if it was left pending. */
static void
replay_refund (TillApiRequest *req,
               TillPayment    *p,
               TillRefund     *existing,
               const char     *request_hash)
{
  if (!g_str_equal (existing->request_hash, request_hash))
    till_api_send_error (req->msg, 409, "idempotency_key_reused",
                         "This Idempotency-Key was used for a different refund");
  else if (till_payments_is_busy (req->self->payments, existing->id))
    send_busy (req->msg);
  else if (g_str_equal (existing->status, TILL_STATUS_PENDING))
    drive_refund (req, p, existing, FALSE);
  else
    respond_refund (req->msg, req->self->db, existing, FALSE);
}

/* What a new refund of p takes back: the amount asked for, or all that is
 * left of the payment when none was; 0, answered, when it cannot be. */
static gint64
refund_amount (TillApiRequest        *req,
               TillPayment           *p,
               const TillRefundInput *input)
{
  gint64 amount = input->has_amount ? input->amount : 0;
  gint64 remaining;

  if (!g_str_equal (p->status, TILL_STATUS_SUCCEEDED))
    {
      till_api_send_error (req->msg, 409, "payment_not_refundable", "Only a successful payment can be refunded");
      return 0;
    }
  remaining = p->amount - till_db_get_refunds_reserved (req->self->db, p->id);
  if (remaining <= 0)
    {
      till_api_send_error (req->msg, 409, "payment_not_refundable", "This payment is already fully refunded");
      return 0;
    }
  if (!input->has_amount)
    amount = remaining;
  if (amount <= 0 || amount > remaining)
    {
      till_api_send_error_param (req->msg, 400, "invalid_amount", "amount",
                                 "The refund must be positive and at most what is left of the payment");
      return 0;
    }
  if (!till_api_check_stripe_amount (req, amount, p->currency))
    return 0;
  return amount;
}

/* The refund itself, once who asks may make it: a manager, or a cashier
 * with approver, the manager who approved it (NULL: none). A cashier with
 * an approval may refund any payment, whoever took it: the manager
 * answers for it. */
static void
make_refund (TillApiRequest *req,
             TillUser       *approver)
{
  TillApi *self = req->self;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(TillRefund) existing = NULL;
  TillRefundInput input;
  TillApiProblem problem;
  g_autoptr(TillRefund) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request_hash = NULL;
  g_autofree char *canonical = NULL;
  const char *key, *reason;
  gboolean present;
  gint64 amount = 0;

  /* Checked before, so these only read again what was checked. */
  key = till_api_get_idempotency_key (req);
  body = till_api_parse_body (req, TRUE);
  if (key == NULL || body == NULL || !till_api_input_refund (body, &input, &problem))
    g_assert_not_reached ();

  if ((p = till_db_get_payment (self->db, req->segments[2])) == NULL)
    {
      till_api_send_error (req->msg, 404, "payment_not_found", "There is no such payment");
      return;
    }
  present = input.has_amount;
  amount = present ? input.amount : 0;
  reason = input.reason;

  /* What is refunded, never who approved it nor with what password: a
   * repeat is the same refund whoever approves it, and must be approved
   * again (the approval is checked before this, on every request). */
  canonical = g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%s", p->id, present ? amount : -1,
                               reason ? reason : "");
  request_hash = till_crypto_sha256_hex (canonical, -1);
  existing = till_db_get_refund_by_key (self->db, key);
  if (existing != NULL)
    {
      replay_refund (req, p, existing, request_hash);
      return;
    }

  if ((amount = refund_amount (req, p, &input)) == 0)
    return;

  r = g_new0 (TillRefund, 1);
  r->id = till_crypto_new_id ("ref");
  r->payment_id = g_strdup (p->id);
  r->idempotency_key = g_strdup (key);
  r->request_hash = g_steal_pointer (&request_hash);
  r->user_id = req->user->id;
  r->requested_by = g_strdup (req->user->name);
  r->approved_by = approver ? approver->id : 0;
  r->approved_by_name = approver ? g_strdup (approver->name) : NULL;
  r->amount = amount;
  r->reason = g_strdup (reason);
  r->status = g_strdup (TILL_STATUS_PENDING);
  if (!till_db_insert_refund (self->db, r, &error))
    {
      g_warning ("%s", error->message);
      till_api_send_error (req->msg, 500, "internal_error", "The refund could not be recorded");
      return;
    }

  drive_refund (req, p, r, TRUE);
}

/* Why an approver whose password was checked may not approve, or NULL. */
static const char *
approval_refusal (TillApiRequest *req,
                  TillUser       *approver)
{
  if (approver == NULL)
    return "wrong_credentials";
  if (approver->disabled)
    return "approver_disabled";
  if (!till_api_is_manager (approver))
    return "not_a_manager";
  if (approver->id == req->user->id)
    return "own_request";
  return NULL;
}

static gboolean
approval_checked (TillApiRequest *req,
                  const char     *username,
                  TillUser       *approver)
{
  g_autoptr(JsonBuilder) details = json_builder_new ();
  const char *payment_id = req->segments[2];
  const char *refusal = approval_refusal (req, approver);

  json_builder_begin_object (details);
  if (refusal != NULL)
    {
      till_api_audit_add_name_tried (details, req->self, "approver", username);
      till_api_add_string (details, "reason", refusal);
      till_api_audit (req, req->user->name, TILL_AUDIT_APPROVAL_REFUSED, payment_id, details);
      till_api_send_error (req->msg, 403, "approval_refused",
                           "The approval was refused: it needs the name and password of another, "
                           "enabled manager");
      return FALSE;
    }
  till_api_add_string (details, "requested_by", req->user->name);
  till_api_audit (req, approver->name, TILL_AUDIT_APPROVAL_GRANTED, payment_id, details);
  make_refund (req, approver);
  return TRUE;
}

static void
handle_refund (TillApiRequest *req)
{
  g_autoptr(JsonObject) body = NULL;
  TillRefundInput input;
  TillApiProblem problem;

  if (till_api_get_idempotency_key (req) == NULL ||
      (body = till_api_parse_body (req, TRUE)) == NULL)
    return;
  if (!till_api_input_refund (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  /* An approval is checked whoever sends it, a manager too: a password
   * sent is never taken unchecked. It comes before the payment is looked
   * up, so that without one a cashier learns nothing of others' payments. */
  if (input.approval_username != NULL)
    till_api_check_password (req, input.approval_username, input.approval_password, approval_checked);
  else if (!till_api_is_manager (req->user))
    till_api_send_error (req->msg, 403, "approval_required",
                         "A cashier's refund needs a manager's approval");
  else
    make_refund (req, NULL);
}

const TillApiRoute till_api_refunds_routes[] = {
  { "POST", "api/payments/*/refunds", TILL_API_ACCESS_STAFF, handle_refund },
  { NULL }
};
