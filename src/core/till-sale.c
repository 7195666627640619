/* till-sale.c: one sale's payment, from the card page's token to a final answer
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A sale is the unit a retry may never double: it gets one Idempotency-Key
 * when it is made, and every request for it (the first POST, each resend
 * after an unknown outcome, the POST that resolves an unanswered confirm)
 * carries that key and exactly the same body. The outcome is read from the
 * server's payment object (docs/api.md, "Payment states"), never from the
 * HTTP status alone, and only after checking that the object is this sale's:
 * same key, amount, currency and reference, and, once the sale has learned
 * its payment's id, the same id. Anything else leaves the sale UNKNOWN and
 * is settled by the server's record of the key (GET
 * /api/payments?idempotency_key=), which must agree in its turn; the
 * journal keeps the first id. Every field is read strictly by
 * till-backend-answers.c.
 */
#define G_LOG_DOMAIN "till-sale"

#include "config.h"

#include <string.h>

#include "till-backend-answers.h"
#include "till-enums.h"
#include "till-sale.h"

#define DEFAULT_MAX_ATTEMPTS 4
#define DEFAULT_BASE_DELAY_MS 1000
/* A Retry-After longer than this is not waited for within one step. */
#define MAX_RETRY_AFTER_SECONDS 30

struct _TillSale
{
  GObject         parent_instance;

  TillSession    *session;
  TillJournal    *journal;
  gint64          created;
  char           *key;
  gint64          amount;
  char           *currency;
  char           *description;
  char           *token;

  TillSaleStatus  status;
  gboolean        busy;
  /* The last confirm went unanswered: resolving resends the POST, which
   * brings the payment back to requires_action, then confirms again. */
  gboolean        confirm_unknown;
  char           *payment_id;
  char           *brand;
  char           *last4;
  char           *client_secret;
  char           *reason;
  char           *message;
  guint           attempts;

  guint           max_attempts;
  guint           base_delay_ms;
};

G_DEFINE_FINAL_TYPE (TillSale, till_sale, G_TYPE_OBJECT)

typedef enum
{
  STEP_POST,
  STEP_CONFIRM,
  STEP_LOOKUP,      /* GET /api/payments?idempotency_key= */
} StepKind;

typedef enum
{
  ANSWER_DEFINITE,
  ANSWER_UNKNOWN,
  ANSWER_LOOK_UP,   /* refused now, but an earlier send may have been stored */
} Answer;

typedef struct
{
  StepKind kind;
  gboolean then_confirm;   /* after a POST that answers requires_action */
  guint    tries;          /* requests sent in this step */
  guint    retry_after;    /* seconds, from the last answer */
  guint    timeout_source;
} Step;

static void send_step (GTask *task);
static void update_journal (TillSale *self);

static void
step_free (Step *step)
{
  g_clear_handle_id (&step->timeout_source, g_source_remove);
  g_free (step);
}

static void
set_string (char       **slot,
            const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return;
  g_free (*slot);
  *slot = g_strdup (value);
}

static gboolean
matches (const char *text,
         const char *pattern)
{
  return text != NULL && g_regex_match_simple (pattern, text, G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT);
}

enum
{
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Every change notifies "status", also in the middle of a step: the
 * charge screen says "Checking" as soon as an answer is missing, not only
 * once all the resends are done. */
static void
set_status (TillSale       *self,
            TillSaleStatus  status)
{
  if (self->status == status)
    return;
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
set_unknown (TillSale   *self,
             const char *reason)
{
  set_string (&self->reason, reason);
  set_string (&self->message, NULL);
  set_status (self, TILL_SALE_STATUS_UNKNOWN);
}

/* The answer is about this sale: what it sent (key, amount, currency,
 * reference) and what it already knows (the payment's id, once learned).
 * A server, or something in front of it, that answers about another
 * payment, or changes the id between answers, is not believed. */
static gboolean
is_this_sale (TillSale          *self,
              TillPaymentAnswer *payment)
{
  return g_str_equal (payment->idempotency_key, self->key) &&
         payment->amount == self->amount &&
         g_ascii_strcasecmp (payment->currency, self->currency) == 0 &&
         g_strcmp0 (payment->description, self->description) == 0 &&
         (self->payment_id == NULL || g_str_equal (payment->id, self->payment_id));
}

typedef enum
{
  PAYMENT_KNOWN,      /* a state the sale can act on */
  PAYMENT_PENDING,    /* this sale's, outcome not known yet */
  PAYMENT_MISMATCH,   /* another payment's, or another id */
} PaymentReading;

/* The server's payment object, if it is this sale's. error_code: the
 * answer's error.code, already checked by the client. */
static PaymentReading
read_payment (TillSale          *self,
              TillPaymentAnswer *payment,
              const char        *error_code)
{
  if (!is_this_sale (self, payment))
    {
      g_warning ("The server's answer is about another payment than this sale");
      set_unknown (self, "mismatch");
      return PAYMENT_MISMATCH;
    }
  /* The first id learned is kept, and journalled at once, so that a
   * restart holds the answers after it to the same id. */
  if (self->payment_id == NULL)
    {
      self->payment_id = g_strdup (payment->id);
      update_journal (self);
    }

  if (payment->last4 != NULL)
    {
      set_string (&self->last4, payment->last4);
      set_string (&self->brand, payment->brand);
    }

  set_string (&self->client_secret, NULL);
  switch (payment->status)
    {
    case TILL_PAYMENT_STATE_SUCCEEDED:
      set_string (&self->reason, NULL);
      set_string (&self->message, NULL);
      set_status (self, TILL_SALE_STATUS_SUCCEEDED);
      break;
    case TILL_PAYMENT_STATE_DECLINED:
      set_string (&self->reason, payment->decline_code ? payment->decline_code : "generic_decline");
      set_string (&self->message, payment->last_error_message);
      set_status (self, TILL_SALE_STATUS_DECLINED);
      break;
    case TILL_PAYMENT_STATE_FAILED:
      set_string (&self->reason, error_code ? error_code : payment->last_error_code);
      set_string (&self->message, payment->last_error_message);
      set_status (self, TILL_SALE_STATUS_FAILED);
      break;
    case TILL_PAYMENT_STATE_REQUIRES_ACTION:
      set_string (&self->client_secret, payment->client_secret);
      set_string (&self->reason, NULL);
      set_string (&self->message, NULL);
      set_status (self, TILL_SALE_STATUS_REQUIRES_ACTION);
      break;
    case TILL_PAYMENT_STATE_PENDING:
    default:
      set_unknown (self, error_code ? error_code : "pending");
      return PAYMENT_PENDING;
    }
  return PAYMENT_KNOWN;
}

/* The HTTP status a create or confirm answer has for each state
 * (docs/api.md, "Payment states"): an answer that contradicts itself, such
 * as a 402 that says "succeeded", is not believed either. */
static gboolean
status_agrees (TillPaymentState state,
               guint            http_status)
{
  switch (state)
    {
    case TILL_PAYMENT_STATE_SUCCEEDED:
      return http_status == 200 || http_status == 201;
    case TILL_PAYMENT_STATE_DECLINED:
      return http_status == 402;
    case TILL_PAYMENT_STATE_REQUIRES_ACTION:
      return http_status == 202;
    case TILL_PAYMENT_STATE_FAILED:
      return http_status == 422 || http_status == 502;
    case TILL_PAYMENT_STATE_PENDING:
    default:
      return TRUE;
    }
}

/* Reads one answer (or its absence). */
static Answer
apply (TillSale            *self,
       TillBackendResponse *response,
       const GError        *error)
{
  JsonObject *root = response ? till_backend_response_get_object (response) : NULL;
  JsonObject *payment = root ? till_answer_get_object (root, "payment") : NULL;
  const char *code = response ? till_backend_response_get_error_code (response) : NULL;
  guint status = response ? till_backend_response_get_status (response) : 0;

  if (payment != NULL)
    {
      g_autoptr(GError) payment_error = NULL;
      g_autoptr(TillPaymentAnswer) answer = till_payment_answer_read (payment, &payment_error);

      if (answer == NULL)
        {
          g_message ("The server's payment object is not usable: %s", payment_error->message);
          set_unknown (self, "bad_response");
          return ANSWER_UNKNOWN;
        }
      if (!status_agrees (answer->status, status))
        {
          g_warning ("The server's answer contradicts itself: HTTP %u for a payment in another state", status);
          set_unknown (self, "bad_response");
          return ANSWER_LOOK_UP;
        }
      switch (read_payment (self, answer, code))
        {
        case PAYMENT_KNOWN:
          return ANSWER_DEFINITE;
        case PAYMENT_MISMATCH:
          /* Settled by the server's record of the key, which must agree
           * in its turn. */
          return ANSWER_LOOK_UP;
        case PAYMENT_PENDING:
        default:
          return ANSWER_UNKNOWN;
        }
    }

  if (response == NULL)
    {
      const char *reason = "unreachable";

      if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT))
        reason = "timeout";
      else if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE))
        reason = "bad_response";
      else if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS))
        reason = "tls";
      set_unknown (self, reason);
      return ANSWER_UNKNOWN;
    }

  /* Refusals that stored nothing: this request charged nothing. Only the
   * API's own answers count; a proxy's error page proves nothing. */
  if (code != NULL && (status == 400 || status == 403 || status == 413 || status == 415 ||
       (status == 409 && g_strcmp0 (code, "idempotency_key_reused") == 0)))
    {
      /* A resend refused (the shop's settings changed since, say) says
       * nothing about the first send: the record by key does. */
      if (self->status != TILL_SALE_STATUS_NEW)
        return ANSWER_LOOK_UP;
      set_string (&self->reason, code);
      set_string (&self->message, NULL);
      set_status (self, TILL_SALE_STATUS_FAILED);
      return ANSWER_DEFINITE;
    }

  /* 409 payment_in_progress, 5xx without a payment, a 2xx without one,
   * anything else: not known. */
  set_unknown (self, code ? code : (status >= 200 && status < 300 ? "bad_response" : "server_error"));
  return ANSWER_UNKNOWN;
}

/* A lookup that settles nothing leaves the reason of the answer that led
 * to it when that was an answer about another payment: the cashier is
 * told that, not that a list was unreadable. */
static void
set_unknown_after_lookup (TillSale   *self,
                          const char *reason)
{
  set_unknown (self, g_strcmp0 (self->reason, "mismatch") == 0 ? "mismatch" : reason);
}

/* The server's record of this sale's key: none means it never recorded
 * the sale, so nothing was charged. */
static Answer
apply_lookup (TillSale            *self,
              TillBackendResponse *response)
{
  JsonObject *root = response ? till_backend_response_get_object (response) : NULL;
  g_autoptr(GPtrArray) payments = NULL;
  g_autoptr(GError) error = NULL;

  if (root == NULL)
    {
      set_unknown_after_lookup (self, response ? "bad_response" : "unreachable");
      return ANSWER_UNKNOWN;
    }
  payments = till_payment_list_answer_read (root, NULL, &error);
  /* One key, one payment at most. */
  if (payments == NULL || payments->len > 1)
    {
      g_message ("The server's record of this sale is not usable: %s",
                 error ? error->message : "more than one payment for one key");
      set_unknown_after_lookup (self, "bad_response");
      return ANSWER_UNKNOWN;
    }
  if (payments->len == 0)
    {
      /* Once the server has named this sale's payment, "no such key"
       * contradicts it: nothing is settled by it. */
      if (self->payment_id != NULL)
        {
          g_warning ("The server has no record of a payment it named before");
          set_unknown (self, "mismatch");
          return ANSWER_UNKNOWN;
        }
      set_string (&self->reason, "not_recorded");
      set_string (&self->message, NULL);
      set_status (self, TILL_SALE_STATUS_FAILED);
      return ANSWER_DEFINITE;
    }
  return read_payment (self, g_ptr_array_index (payments, 0), NULL) == PAYMENT_KNOWN
         ? ANSWER_DEFINITE : ANSWER_UNKNOWN;
}

static guint
next_delay_ms (TillSale *self,
               Step     *step)
{
  guint delay = self->base_delay_ms;

  if (step->retry_after > 0)
    return MIN (step->retry_after, MAX_RETRY_AFTER_SECONDS) * 1000;
  for (guint i = 1; i < step->tries && delay < 60000; i++)
    delay *= 2;
  return delay;
}

static gboolean
retry_cb (gpointer data)
{
  GTask *task = data;
  Step *step = g_task_get_task_data (task);

  step->timeout_source = 0;
  send_step (task);
  return G_SOURCE_REMOVE;
}

static const char *
status_to_state (TillSale *self)
{
  switch (self->status)
    {
    case TILL_SALE_STATUS_SUCCEEDED: return "succeeded";
    case TILL_SALE_STATUS_DECLINED: return "declined";
    case TILL_SALE_STATUS_FAILED: return "failed";
    case TILL_SALE_STATUS_REQUIRES_ACTION: return "requires_action";
    case TILL_SALE_STATUS_UNKNOWN: return "unknown";
    case TILL_SALE_STATUS_ABANDONED: return "abandoned";
    case TILL_SALE_STATUS_NEW:
    default:
      return "sending";
    }
}

static void
add_string (JsonObject *entry,
            const char *name,
            const char *value)
{
  if (value != NULL)
    json_object_set_string_member (entry, name, value);
  else
    json_object_set_null_member (entry, name);
}

/* The journal entry for the sale as it stands, or NULL when there is
 * nothing to write (no journal, or nothing sent yet). */
static JsonObject *
journal_entry (TillSale *self)
{
  JsonObject *entry;

  if (self->journal == NULL || self->token == NULL)
    return NULL;
  entry = json_object_new ();
  json_object_set_string_member (entry, "key", self->key);
  json_object_set_int_member (entry, "amount", self->amount);
  json_object_set_string_member (entry, "currency", self->currency);
  add_string (entry, "description", self->description);
  json_object_set_string_member (entry, "token", self->token);
  json_object_set_string_member (entry, "state", status_to_state (self));
  json_object_set_boolean_member (entry, "confirm_unknown", self->confirm_unknown);
  add_string (entry, "payment_id", self->payment_id);
  add_string (entry, "brand", self->brand);
  add_string (entry, "last4", self->last4);
  add_string (entry, "reason", self->reason);
  add_string (entry, "server", till_backend_client_get_base_url (till_session_get_client (self->session)));
  add_string (entry, "cashier", till_session_get_username (self->session));
  json_object_set_int_member (entry, "created", self->created);
  json_object_set_int_member (entry, "updated", g_get_real_time () / G_USEC_PER_SEC);
  return entry;
}

/* Writes the entry in the journal's thread (never on the main thread,
 * where the cashier waits), in order with the sale's other writes; then
 * callback, if any. */
static void
write_journal (TillSale            *self,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(JsonObject) entry = journal_entry (self);

  if (entry == NULL)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

      g_task_return_boolean (task, TRUE);
      return;
    }
  till_journal_put_async (self->journal, self->key, entry, callback, user_data);
}

static gboolean
write_journal_finish (TillSale      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  if (g_task_is_valid (result, self))
    return g_task_propagate_boolean (G_TASK (result), error);
  return till_journal_put_finish (self->journal, result, error);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TillSale) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!write_journal_finish (self, result, &error))
    g_warning ("The payment journal could not be updated: %s", error->message);
}

/* A change to keep, with nothing to wait for. */
static void
update_journal (TillSale *self)
{
  write_journal (self, written_cb, g_object_ref (self));
}

static void
finished_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  TillSale *self = g_task_get_source_object (task);
  GError *error = g_object_steal_data (G_OBJECT (task), "till-step-error");
  g_autoptr(GError) journal_error = NULL;

  if (!write_journal_finish (self, result, &journal_error))
    g_warning ("The payment journal could not be updated: %s", journal_error->message);
  self->busy = FALSE;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* The step ends once the journal has its outcome. */
static void
finish_step (GTask  *task,
             GError *error)
{
  TillSale *self = g_task_get_source_object (task);

  if (error != NULL)
    g_object_set_data (G_OBJECT (task), "till-step-error", error);
  write_journal (self, finished_cb, task);
}

static void
request_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  TillSale *self = g_task_get_source_object (task);
  Step *step = g_task_get_task_data (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) answer = NULL;
  g_autoptr(GError) error = NULL;
  Answer outcome;

  answer = till_session_request_finish (TILL_SESSION (object), result, &response, &error);
  if (answer != NULL)
    response = g_steal_pointer (&answer);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The request may have left: only a resolve can tell. */
      if (step->kind == STEP_CONFIRM)
        self->confirm_unknown = TRUE;
      set_unknown (self, "cancelled");
      finish_step (task, g_steal_pointer (&error));
      return;
    }
  if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
    {
      /* The server checks the session before anything else: this request
       * did nothing, and the sale carries on once the cashier is back. */
      finish_step (task, g_steal_pointer (&error));
      return;
    }

  outcome = step->kind == STEP_LOOKUP ? apply_lookup (self, response) : apply (self, response, error);
  step->retry_after = response ? till_backend_response_get_retry_after (response) : 0;

  if (outcome == ANSWER_LOOK_UP)
    {
      step->kind = STEP_LOOKUP;
      send_step (task);
      return;
    }
  if (outcome == ANSWER_DEFINITE)
    {
      self->confirm_unknown = FALSE;
      if (step->then_confirm && self->status == TILL_SALE_STATUS_REQUIRES_ACTION)
        {
          step->kind = STEP_CONFIRM;
          step->then_confirm = FALSE;
          send_step (task);
          return;
        }
      finish_step (task, NULL);
      return;
    }

  g_debug ("Sale %s: outcome unknown (%s) after %u requests", self->key, self->reason, step->tries);
  if (step->kind == STEP_LOOKUP)
    /* The record is still open: sending again makes the server ask
     * Stripe (and, if refused, leads back here). */
    step->kind = STEP_POST;
  else if (step->kind == STEP_CONFIRM)
    {
      /* Repeating an unanswered confirm only repeats the stored unknown
       * answer; the creation request under the same key re-reads it. */
      self->confirm_unknown = TRUE;
      step->kind = STEP_POST;
      step->then_confirm = TRUE;
    }
  if (step->tries >= self->max_attempts)
    {
      finish_step (task, NULL);
      return;
    }
  step->timeout_source = g_timeout_add (next_delay_ms (self, step), retry_cb, task);
}

static JsonNode *
build_body (TillSale *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "amount");
  json_builder_add_int_value (builder, self->amount);
  json_builder_set_member_name (builder, "currency");
  json_builder_add_string_value (builder, self->currency);
  if (self->description != NULL)
    {
      json_builder_set_member_name (builder, "description");
      json_builder_add_string_value (builder, self->description);
    }
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, self->token);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
send_step (GTask *task)
{
  TillSale *self = g_task_get_source_object (task);
  Step *step = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_cancellable_is_cancelled (cancellable))
    {
      finish_step (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The payment step was cancelled"));
      return;
    }

  step->tries++;
  self->attempts++;
  if (step->kind == STEP_POST)
    {
      g_autoptr(JsonNode) body = build_body (self);

      till_session_request_async (self->session, "POST", "/api/payments", self->key, body,
                                  cancellable, request_done_cb, task);
    }
  else if (step->kind == STEP_LOOKUP)
    {
      g_autofree char *escaped = g_uri_escape_string (self->key, NULL, FALSE);
      g_autofree char *path = g_strdup_printf ("/api/payments?idempotency_key=%s", escaped);

      till_session_request_async (self->session, "GET", path, NULL, NULL, cancellable, request_done_cb, task);
    }
  else
    {
      g_autofree char *path = g_strdup_printf ("/api/payments/%s/confirm", self->payment_id);

      till_session_request_async (self->session, "POST", path, NULL, NULL,
                                  cancellable, request_done_cb, task);
    }
}

/* The first write: nothing leaves before the journal has the sale. */
static void
first_written_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  TillSale *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!write_journal_finish (self, result, &error))
    {
      g_clear_pointer (&self->token, g_free);
      self->busy = FALSE;
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      /* Till closed while the entry was being written: the request never
       * left, and the entry says so, so that no later start sends it for
       * a customer who is gone. (Cut short before this write lands, the
       * entry stays "sending" and the next start resolves it, which is
       * safe: the key makes it one payment at most.) */
      set_status (self, TILL_SALE_STATUS_FAILED);
      set_string (&self->reason, "not_sent");
      update_journal (self);
      self->busy = FALSE;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The payment step was cancelled");
      g_object_unref (task);
      return;
    }
  send_step (task);
}

static void
start_step (TillSale            *self,
            gpointer             tag,
            StepKind             kind,
            gboolean             then_confirm,
            const GError        *refusal,
            gboolean             first,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Step *step;

  g_task_set_source_tag (task, tag);
  if (self->busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "This sale is already being sent");
      g_object_unref (task);
      return;
    }
  if (refusal != NULL)
    {
      g_task_return_error (task, g_error_copy (refusal));
      g_object_unref (task);
      return;
    }

  step = g_new0 (Step, 1);
  step->kind = kind;
  step->then_confirm = then_confirm;
  g_task_set_task_data (task, step, (GDestroyNotify) step_free);
  self->busy = TRUE;
  if (first)
    write_journal (self, first_written_cb, task);
  else
    send_step (task);
}

void
till_sale_submit_async (TillSale            *self,
                        const char          *token,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GError) refusal = NULL;
  gboolean first = FALSE;

  g_return_if_fail (TILL_IS_SALE (self));
  g_return_if_fail (token != NULL);

  if (self->token != NULL)
    refusal = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "This sale was already sent");
  else if (!self->busy)
    {
      self->token = g_strdup (token);
      first = TRUE;
    }
  start_step (self, till_sale_submit_async, STEP_POST, FALSE, refusal, first, cancellable, callback, user_data);
}

void
till_sale_confirm_async (TillSale            *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GError) refusal = NULL;

  g_return_if_fail (TILL_IS_SALE (self));

  if (self->status != TILL_SALE_STATUS_REQUIRES_ACTION || self->payment_id == NULL)
    refusal = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "This sale is not waiting for authentication");
  start_step (self, till_sale_confirm_async, STEP_CONFIRM, FALSE, refusal, FALSE, cancellable, callback, user_data);
}

void
till_sale_resolve_async (TillSale            *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GError) refusal = NULL;
  StepKind kind = STEP_POST;
  gboolean then_confirm = self->confirm_unknown;

  g_return_if_fail (TILL_IS_SALE (self));

  if (self->token == NULL || till_sale_is_final (self))
    refusal = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "This sale has nothing to find out");
  else if (self->status == TILL_SALE_STATUS_REQUIRES_ACTION)
    {
      /* A confirm refused for the session: send it again. */
      kind = STEP_CONFIRM;
      then_confirm = FALSE;
    }
  start_step (self, till_sale_resolve_async, kind, then_confirm, refusal, FALSE, cancellable, callback, user_data);
}

gboolean
till_sale_step_finish (TillSale      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
till_sale_set_retry_policy (TillSale *self,
                            guint     max_attempts,
                            guint     base_delay_ms)
{
  g_return_if_fail (TILL_IS_SALE (self));
  self->max_attempts = MAX (max_attempts, 1);
  self->base_delay_ms = base_delay_ms;
}

void
till_sale_set_journal (TillSale    *self,
                       TillJournal *journal)
{
  g_return_if_fail (TILL_IS_SALE (self));
  g_set_object (&self->journal, journal);
}

void
till_sale_set_card (TillSale   *self,
                    const char *brand,
                    const char *last4)
{
  g_return_if_fail (TILL_IS_SALE (self));
  set_string (&self->brand, matches (brand, "^[a-z_]{1,32}$") ? brand : NULL);
  set_string (&self->last4, matches (last4, "^[0-9]{4}$") ? last4 : NULL);
}

gboolean
till_sale_abandon (TillSale *self)
{

  g_return_val_if_fail (TILL_IS_SALE (self), FALSE);
  if (self->busy || self->status != TILL_SALE_STATUS_REQUIRES_ACTION)
    return FALSE;
  set_status (self, TILL_SALE_STATUS_ABANDONED);
  update_journal (self);
  return TRUE;
}

gint64
till_sale_get_created (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), 0);
  return self->created;
}

TillSale *
till_sale_new_from_journal (TillSession  *session,
                            JsonObject   *entry,
                            GError      **error)
{
  g_autoptr(TillSale) self = NULL;
  const char *key = json_object_get_string_member_with_default (entry, "key", NULL);
  const char *currency = json_object_get_string_member_with_default (entry, "currency", NULL);
  const char *token = json_object_get_string_member_with_default (entry, "token", NULL);
  const char *state = json_object_get_string_member_with_default (entry, "state", "");
  const char *payment_id = json_object_get_string_member_with_default (entry, "payment_id", NULL);
  gint64 amount = json_object_get_int_member_with_default (entry, "amount", 0);

  if (key == NULL || currency == NULL || token == NULL || amount <= 0 ||
      (payment_id != NULL && !matches (payment_id, "^pay_[A-Za-z0-9]{1,60}$")))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a sale of this terminal's journal");
      return NULL;
    }
  self = till_sale_new (session, amount, currency,
                        json_object_get_string_member_with_default (entry, "description", NULL));
  set_string (&self->key, key);
  self->token = g_strdup (token);
  self->payment_id = g_strdup (payment_id);
  self->created = json_object_get_int_member_with_default (entry, "created", self->created);
  self->confirm_unknown = json_object_get_boolean_member_with_default (entry, "confirm_unknown", FALSE);
  till_sale_set_card (self, json_object_get_string_member_with_default (entry, "brand", NULL),
                      json_object_get_string_member_with_default (entry, "last4", NULL));
  set_string (&self->reason, json_object_get_string_member_with_default (entry, "reason", NULL));
  if (g_str_equal (state, "succeeded"))
    self->status = TILL_SALE_STATUS_SUCCEEDED;
  else if (g_str_equal (state, "declined"))
    self->status = TILL_SALE_STATUS_DECLINED;
  else if (g_str_equal (state, "failed"))
    self->status = TILL_SALE_STATUS_FAILED;
  else if (g_str_equal (state, "abandoned"))
    self->status = TILL_SALE_STATUS_ABANDONED;
  else if (g_str_equal (state, "requires_action") && payment_id != NULL)
    self->status = TILL_SALE_STATUS_REQUIRES_ACTION;
  else
    /* "sending" (maybe sent, maybe not) or "unknown": resolved by the
     * same request under the same key. */
    self->status = TILL_SALE_STATUS_UNKNOWN;
  return g_steal_pointer (&self);
}

void
till_sale_set_session (TillSale    *self,
                       TillSession *session)
{
  g_return_if_fail (TILL_IS_SALE (self));
  g_return_if_fail (TILL_IS_SESSION (session));
  g_set_object (&self->session, session);
}

const char *
till_sale_get_idempotency_key (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->key;
}

gint64
till_sale_get_amount (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), 0);
  return self->amount;
}

const char *
till_sale_get_currency (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->currency;
}

const char *
till_sale_get_description (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->description;
}

const char *
till_sale_get_token (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->token;
}

TillSaleStatus
till_sale_get_status (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), TILL_SALE_STATUS_UNKNOWN);
  return self->status;
}

gboolean
till_sale_is_final (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), FALSE);
  return self->status == TILL_SALE_STATUS_SUCCEEDED ||
         self->status == TILL_SALE_STATUS_ABANDONED ||
         self->status == TILL_SALE_STATUS_DECLINED ||
         self->status == TILL_SALE_STATUS_FAILED;
}

gboolean
till_sale_is_busy (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), FALSE);
  return self->busy;
}

const char *
till_sale_get_payment_id (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->payment_id;
}

const char *
till_sale_get_card_brand (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->brand;
}

const char *
till_sale_get_card_last4 (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->last4;
}

const char *
till_sale_get_client_secret (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->client_secret;
}

const char *
till_sale_get_reason (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->reason;
}

const char *
till_sale_get_message (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), NULL);
  return self->message;
}

guint
till_sale_get_attempts (TillSale *self)
{
  g_return_val_if_fail (TILL_IS_SALE (self), 0);
  return self->attempts;
}

TillSale *
till_sale_new (TillSession *session,
               gint64       amount,
               const char  *currency,
               const char  *description)
{
  TillSale *self;

  g_return_val_if_fail (TILL_IS_SESSION (session), NULL);
  g_return_val_if_fail (amount > 0, NULL);
  g_return_val_if_fail (currency != NULL, NULL);

  self = g_object_new (TILL_TYPE_SALE, NULL);
  self->session = g_object_ref (session);
  self->amount = amount;
  self->currency = g_ascii_strup (currency, -1);
  self->description = description != NULL && *description != '\0' ? g_strdup (description) : NULL;
  return self;
}

static void
till_sale_finalize (GObject *object)
{
  TillSale *self = TILL_SALE (object);

  g_clear_object (&self->session);
  g_clear_object (&self->journal);
  g_free (self->key);
  g_free (self->currency);
  g_free (self->description);
  g_free (self->token);
  g_free (self->payment_id);
  g_free (self->brand);
  g_free (self->last4);
  g_free (self->client_secret);
  g_free (self->reason);
  g_free (self->message);

  G_OBJECT_CLASS (till_sale_parent_class)->finalize (object);
}

static void
till_sale_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TillSale *self = TILL_SALE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_sale_class_init (TillSaleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_sale_finalize;
  object_class->get_property = till_sale_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, TILL_TYPE_SALE_STATUS, TILL_SALE_STATUS_NEW,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_sale_init (TillSale *self)
{
  self->key = g_uuid_string_random ();
  self->created = g_get_real_time () / G_USEC_PER_SEC;
  self->status = TILL_SALE_STATUS_NEW;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
  self->base_delay_ms = DEFAULT_BASE_DELAY_MS;
}
