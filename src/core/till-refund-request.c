/* till-refund-request.c: one refund of one payment, sent until its outcome is known
 *
 * A refund is money leaving the shop, so it follows the payment's rule:
 * one Idempotency-Key per attempt, made before the first send and kept
 * through every repeat, until the answer is final (refunded, or nothing
 * refunded). An answer that leaves the outcome open (no answer at all,
 * a 5xx, a refund the card's bank has not confirmed) locks the attempt:
 * the next send repeats it with the same key, amount and reason, and the
 * server refunds it once at most. Answers that refuse the request before
 * anything is recorded (a missing or refused approval, a wrong amount)
 * leave the attempt open to changes.
 *
 * A manager's approval travels in the body of one request. The password
 * is wiped from that body once the answer is in; nothing here keeps it.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-refund"

#include "config.h"

#include "till-backend-answers.h"
#include "till-json-util.h"
#include "till-refund-request.h"

struct _TillRefundRequest
{
  GObject              parent_instance;

  /* owned references */
  TillSession         *session;
  char                *payment_id;

  /* the attempt */
  char                *key;
  gint64               amount;
  char                *reason;
  gboolean             locked;
  gboolean             sending;

  /* the last answer */
  JsonObject          *refund;
  JsonObject          *payment;
  char                *error_code;
  guint                retry_after;
};

G_DEFINE_FINAL_TYPE (TillRefundRequest, till_refund_request, G_TYPE_OBJECT)

TillRefundRequest *
till_refund_request_new (TillSession *session,
                         const char  *payment_id)
{
  TillRefundRequest *self;

  g_return_val_if_fail (TILL_IS_SESSION (session), NULL);
  g_return_val_if_fail (payment_id != NULL && *payment_id != '\0', NULL);

  self = g_object_new (TILL_TYPE_REFUND_REQUEST, NULL);
  self->session = g_object_ref (session);
  self->payment_id = g_strdup (payment_id);
  return self;
}

static JsonNode *
build_body (gint64      amount,
            const char *reason,
            const char *approver,
            const char *password)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_int_value (builder, amount);
  if (reason != NULL)
    {
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, reason);
    }
  if (approver != NULL && password != NULL)
    {
      json_builder_set_member_name (builder, "approval");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "username");
      json_builder_add_string_value (builder, approver);
      json_builder_set_member_name (builder, "password");
      json_builder_add_string_value (builder, password);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
forget_answer (TillRefundRequest *self)
{
  g_clear_pointer (&self->refund, json_object_unref);
  g_clear_pointer (&self->payment, json_object_unref);
  g_clear_pointer (&self->error_code, g_free);
  self->retry_after = 0;
}

/* The refund and the payment of an outcome answer, when they are there
 * and look like what they claim to be. */
static void
take_objects (TillRefundRequest *self,
              JsonObject        *object)
{
  JsonObject *refund = object ? till_answer_get_object (object, "refund") : NULL;
  JsonObject *payment = object ? till_answer_get_object (object, "payment") : NULL;
  const char *id = NULL;

  if (refund != NULL && till_answer_get_string (refund, "id", TILL_ANSWER_PAYMENT_ID_MAX, TRUE, &id, NULL) &&
      g_str_has_prefix (id, "ref_"))
    self->refund = json_object_ref (refund);
  if (payment != NULL && till_answer_get_string (payment, "id", TILL_ANSWER_PAYMENT_ID_MAX, TRUE, &id, NULL) &&
      g_strcmp0 (id, self->payment_id) == 0)
    self->payment = json_object_ref (payment);
}

/* An answer with a refund in it: its state decides, not the HTTP status. */
static TillRefundOutcome
outcome_of_refund (TillRefundRequest *self)
{
  const char *status = NULL;

  till_answer_get_string (self->refund, "status", 32, TRUE, &status, NULL);
  if (g_strcmp0 (status, "succeeded") == 0)
    return TILL_REFUND_OUTCOME_SUCCEEDED;
  if (g_strcmp0 (status, "failed") == 0)
    return TILL_REFUND_OUTCOME_FAILED;
  if (g_strcmp0 (self->error_code, "refund_pending") == 0)
    return TILL_REFUND_OUTCOME_PENDING;
  if (g_strcmp0 (self->error_code, "needs_review") == 0)
    return TILL_REFUND_OUTCOME_NEEDS_REVIEW;
  /* pending for any other reason, or a state this terminal does not know */
  return TILL_REFUND_OUTCOME_UNKNOWN;
}

/* An answer without a refund: refused before anything was recorded, or
 * no telling what happened. */
static TillRefundOutcome
outcome_of_error (TillRefundRequest *self,
                  const GError      *error)
{
  static const char * const unknown_codes[] = {
    "refund_in_progress", "internal_error", "stripe_error", "refund_unknown",
    "stripe_rate_limited", "stripe_unreachable", "needs_review", NULL
  };

  if (g_strcmp0 (self->error_code, "approval_required") == 0)
    return TILL_REFUND_OUTCOME_APPROVAL_REQUIRED;
  if (g_strcmp0 (self->error_code, "approval_refused") == 0)
    return TILL_REFUND_OUTCOME_APPROVAL_REFUSED;
  if (g_strcmp0 (self->error_code, "rate_limited") == 0)
    return TILL_REFUND_OUTCOME_RATE_LIMITED;
  if (self->error_code != NULL && g_strv_contains (unknown_codes, self->error_code))
    return TILL_REFUND_OUTCOME_UNKNOWN;
  /* The server turned it away with a reason of its own (an amount, a
   * payment not refundable, a session that ended before it was read). */
  if (self->error_code != NULL ||
      g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED) ||
      g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL))
    return TILL_REFUND_OUTCOME_REFUSED;
  /* No answer, a timeout, a proxy's page, a body that is not the API's. */
  return TILL_REFUND_OUTCOME_UNKNOWN;
}

static void
settle_attempt (TillRefundRequest *self,
                TillRefundOutcome  outcome)
{
  switch (outcome)
    {
    case TILL_REFUND_OUTCOME_SUCCEEDED:
    case TILL_REFUND_OUTCOME_FAILED:
      /* Final: another refund is another attempt. */
      g_clear_pointer (&self->key, g_free);
      self->locked = FALSE;
      break;
    case TILL_REFUND_OUTCOME_PENDING:
    case TILL_REFUND_OUTCOME_UNKNOWN:
    case TILL_REFUND_OUTCOME_NEEDS_REVIEW:
      self->locked = TRUE;
      break;
    case TILL_REFUND_OUTCOME_APPROVAL_REQUIRED:
    case TILL_REFUND_OUTCOME_APPROVAL_REFUSED:
    case TILL_REFUND_OUTCOME_RATE_LIMITED:
    case TILL_REFUND_OUTCOME_REFUSED:
      /* Nothing recorded; a locked attempt stays locked all the same,
       * since its first send may have been. */
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillRefundRequest *self = g_task_get_source_object (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;
  TillBackendResponse *answer;
  TillRefundOutcome outcome;

  response = till_session_request_finish (TILL_SESSION (object), result, &error_response, &error);
  /* The body's copy of the password, the only one this module made. */
  till_json_wipe_string (json_node_get_object (g_task_get_task_data (task)), "approval.password");
  self->sending = FALSE;

  answer = response ? response : error_response;
  forget_answer (self);
  if (answer != NULL)
    {
      self->error_code = g_strdup (till_backend_response_get_error_code (answer));
      self->retry_after = till_backend_response_get_retry_after (answer);
      take_objects (self, till_backend_response_get_object (answer));
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Cancelled with the dialog: whatever was sent stays unknown. */
      self->locked = TRUE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  outcome = self->refund != NULL ? outcome_of_refund (self) : outcome_of_error (self, error);
  if (error != NULL)
    g_info ("Refund of %s: %s (%s)", self->payment_id, error->message,
            self->error_code ? self->error_code : "no code");
  settle_attempt (self, outcome);
  g_task_return_int (task, outcome);
}

void
till_refund_request_send_async (TillRefundRequest   *self,
                                gint64               amount,
                                const char          *reason,
                                const char          *approver,
                                const char          *password,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  JsonNode *body;

  g_return_if_fail (TILL_IS_REFUND_REQUEST (self));
  g_return_if_fail (!self->sending);
  g_return_if_fail (self->locked || amount > 0);

  if (!self->locked &&
      (self->key == NULL || amount != self->amount || g_strcmp0 (reason, self->reason) != 0))
    {
      /* A new attempt, or one the server turned away that has changed:
       * its own key, so that it is never taken for another refund. */
      g_free (self->key);
      self->key = g_uuid_string_random ();
      self->amount = amount;
      g_free (self->reason);
      self->reason = g_strdup (reason);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_refund_request_send_async);
  body = build_body (self->amount, self->reason, approver, password);
  g_task_set_task_data (task, body, (GDestroyNotify) json_node_unref);
  self->sending = TRUE;

  path = g_strdup_printf ("/api/payments/%s/refunds", self->payment_id);
  till_session_request_async (self->session, "POST", path, self->key, body, cancellable,
                              sent_cb, g_steal_pointer (&task));
}

TillRefundOutcome
till_refund_request_send_finish (TillRefundRequest  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  gssize outcome;

  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), TILL_REFUND_OUTCOME_UNKNOWN);
  g_return_val_if_fail (g_task_is_valid (result, self), TILL_REFUND_OUTCOME_UNKNOWN);

  outcome = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return TILL_REFUND_OUTCOME_UNKNOWN;
    }
  return (TillRefundOutcome) outcome;
}

const char *
till_refund_request_get_key (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), NULL);
  return self->key;
}

gboolean
till_refund_request_get_locked (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), FALSE);
  return self->locked;
}

gint64
till_refund_request_get_amount (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), 0);
  return self->amount;
}

const char *
till_refund_request_get_reason (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), NULL);
  return self->reason;
}

JsonObject *
till_refund_request_get_refund (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), NULL);
  return self->refund;
}

JsonObject *
till_refund_request_get_payment (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), NULL);
  return self->payment;
}

const char *
till_refund_request_get_error_code (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), NULL);
  return self->error_code;
}

guint
till_refund_request_get_retry_after (TillRefundRequest *self)
{
  g_return_val_if_fail (TILL_IS_REFUND_REQUEST (self), 0);
  return self->retry_after;
}

static void
till_refund_request_finalize (GObject *object)
{
  TillRefundRequest *self = (TillRefundRequest *)object;

  forget_answer (self);
  g_clear_object (&self->session);
  g_clear_pointer (&self->payment_id, g_free);
  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->reason, g_free);

  G_OBJECT_CLASS (till_refund_request_parent_class)->finalize (object);
}

static void
till_refund_request_class_init (TillRefundRequestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_refund_request_finalize;
}

static void
till_refund_request_init (TillRefundRequest *self)
{
}
