/* till-payments.c: charging, 3-D Secure confirmation and refunds at Stripe
 *
 * A payment row is written as "pending" before Stripe is called and updated
 * after. Every call to Stripe carries an idempotency key derived from the
 * terminal's key, so calling again for a pending row (a retry from the
 * terminal, or recovery at start-up after a crash) can never charge twice:
 * Stripe answers a repeated key with the first result.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-payments"

#include "config.h"

#include <string.h>

#include "till-crypto.h"
#include "till-money.h"
#include "till-payments.h"
#include "till-server-error.h"

/* Under Stripe's 24-hour idempotency window, with an hour to spare. */
#define STALE_PENDING_SECONDS (23 * 60 * 60)

struct _TillPayments
{
  GObject           parent_instance;

  /* owned references */
  TillDb           *db;
  TillStripeClient *stripe;

  /* state */
  TillServerConfig *config;   /* owned by the caller, outlives us */
  GHashTable       *busy;     /* ids of payments and refunds at Stripe now */
  guint             refund_check;
};

G_DEFINE_FINAL_TYPE (TillPayments, till_payments, G_TYPE_OBJECT)

typedef struct
{
  TillPayment *payment;
  TillRefund  *refund;
  gboolean     confirming;   /* the request is a 3-D Secure confirm */
  gboolean     looked_up;    /* the payment was already looked up by metadata */
  gboolean     listed;       /* … by listing, search being unavailable */
  gboolean     unknown_until_found; /* a refund not found after a 500 stays unknown */
} Operation;

static void
operation_free (Operation *op)
{
  g_clear_pointer (&op->payment, till_payment_free);
  g_clear_pointer (&op->refund, till_refund_free);
  g_free (op);
}

static void
till_payments_finalize (GObject *object)
{
  TillPayments *self = (TillPayments *)object;

  g_clear_handle_id (&self->refund_check, g_source_remove);
  g_clear_object (&self->db);
  g_clear_object (&self->stripe);
  g_clear_pointer (&self->busy, g_hash_table_unref);

  G_OBJECT_CLASS (till_payments_parent_class)->finalize (object);
}

static void
till_payments_class_init (TillPaymentsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_payments_finalize;
}

static void
till_payments_init (TillPayments *self)
{
  self->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

TillPayments *
till_payments_new (TillDb           *db,
                   TillStripeClient *stripe,
                   TillServerConfig *config)
{
  TillPayments *self = g_object_new (TILL_TYPE_PAYMENTS, NULL);

  self->db = g_object_ref (db);
  self->stripe = g_object_ref (stripe);
  self->config = config;

  return self;
}

/* Stripe keys are namespaced by purpose, so the create call, the 3-D Secure
 * confirmation and a refund made for one terminal key never collide. */
char *
till_payments_derive_key (const char *purpose,
                          const char *terminal_key)
{
  g_autofree char *input = g_strconcat ("till:", purpose, ":", terminal_key, NULL);
  g_autofree char *digest = till_crypto_sha256_hex (input, -1);

  return g_strdup_printf ("till_%s_%.48s", purpose, digest);
}

gboolean
till_payments_is_busy (TillPayments *self,
                       const char   *object_id)
{
  return g_hash_table_contains (self->busy, object_id);
}

/* JSON from Stripe is read defensively: a field of another type than
 * expected reads as missing. */
static const char *
obj_str (JsonObject *object,
         const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
obj_obj (JsonObject *object,
         const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static void
set_str (char       **field,
         const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static gboolean
is_last4 (const char *s)
{
  if (s == NULL || strlen (s) != 4)
    return FALSE;
  for (int i = 0; i < 4; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

/* Card brands reach the terminal in one spelling, the PaymentMethod one
 * ("visa", "amex"), whichever API answered. */
static char *
normalize_brand (const char *brand)
{
  static const struct { const char *from, *to; } aliases[] = {
    { "american express", "amex" },
    { "diners club", "diners" },
    { "mastercard", "mastercard" },
  };
  g_autofree char *lower = NULL;

  if (brand == NULL || strlen (brand) > 32)
    return NULL;
  lower = g_ascii_strdown (brand, -1);
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_str_equal (lower, aliases[i].from))
      return g_strdup (aliases[i].to);
  for (char *p = lower; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return NULL;
  return g_steal_pointer (&lower);
}

static void
apply_card (TillPayment *p,
            JsonObject  *charge)
{
  JsonObject *card = obj_obj (obj_obj (charge, "payment_method_details"), "card");

  if (card == NULL)
    card = obj_obj (charge, "source");
  if (card == NULL)
    return;

  g_clear_pointer (&p->card_brand, g_free);
  p->card_brand = normalize_brand (obj_str (card, "brand"));
  set_str (&p->card_last4, is_last4 (obj_str (card, "last4")) ? obj_str (card, "last4") : NULL);
}

static void
set_outcome (TillPayment *p,
             const char  *status,
             const char  *error_code,
             const char  *message)
{
  set_str (&p->status, status);
  set_str (&p->error_code, error_code);
  set_str (&p->error_message, message);
}

/* The outcome is unknown: the row stays pending and is resolved by
 * calling again with the same key. */
static void
apply_unknown (TillPayment *p,
               const char  *code,
               const char  *message)
{
  set_outcome (p, TILL_STATUS_PENDING, code, message);
}

static void
apply_declined (TillPayment *p,
                JsonObject  *error)
{
  const char *code = obj_str (error, "code");
  const char *decline_code = obj_str (error, "decline_code");

  set_outcome (p, TILL_STATUS_DECLINED, code ? code : "card_declined",
               obj_str (error, "message"));
  set_str (&p->decline_code, decline_code ? decline_code : code);
}

static void
apply_charge (TillPayment *p,
              JsonObject  *charge)
{
  const char *status = obj_str (charge, "status");
  const char *id = obj_str (charge, "id");

  if (id == NULL || !g_str_has_prefix (id, "ch_") || status == NULL)
    {
      apply_unknown (p, "stripe_bad_response", "Stripe's answer was not a charge");
      return;
    }

  set_str (&p->stripe_id, id);
  apply_card (p, charge);
  if (g_str_equal (status, "succeeded"))
    set_outcome (p, TILL_STATUS_SUCCEEDED, NULL, NULL);
  else if (g_str_equal (status, "failed"))
    {
      set_outcome (p, TILL_STATUS_DECLINED, obj_str (charge, "failure_code"),
                   obj_str (charge, "failure_message"));
      set_str (&p->decline_code, obj_str (obj_obj (charge, "outcome"), "reason"));
    }
  else
    apply_unknown (p, "stripe_processing", "Stripe is still processing the charge");
}

/* The PaymentIntent's charge, for the card's brand and last 4: its
 * expanded latest_charge (API versions since 2022-11-15, which till-server
 * pins; https://docs.stripe.com/changelog/2022-11-15/removes-charges-attribute-paymentintent),
 * or the first of its charges list (older versions, and Stripe's events
 * to an endpoint still on one). */
static JsonObject *
first_charge (JsonObject *intent)
{
  JsonObject *latest = obj_obj (intent, "latest_charge");
  JsonObject *charges = obj_obj (intent, "charges");
  JsonNode *data = charges ? json_object_get_member (charges, "data") : NULL;
  JsonArray *array = data && JSON_NODE_HOLDS_ARRAY (data) ? json_node_get_array (data) : NULL;
  JsonNode *first = array && json_array_get_length (array) > 0 ? json_array_get_element (array, 0) : NULL;

  if (latest != NULL)
    return latest;
  return first && JSON_NODE_HOLDS_OBJECT (first) ? json_node_get_object (first) : NULL;
}

static void
apply_payment_intent (TillPayment *p,
                      JsonObject  *intent)
{
  const char *status = obj_str (intent, "status");
  const char *id = obj_str (intent, "id");
  JsonObject *charge = first_charge (intent);

  if (id == NULL || !g_str_has_prefix (id, "pi_") || status == NULL)
    {
      apply_unknown (p, "stripe_bad_response", "Stripe's answer was not a PaymentIntent");
      return;
    }

  set_str (&p->stripe_id, id);
  if (charge != NULL)
    apply_card (p, charge);

  if (g_str_equal (status, "succeeded"))
    {
      set_outcome (p, TILL_STATUS_SUCCEEDED, NULL, NULL);
      g_clear_pointer (&p->client_secret, g_free);
    }
  else if (g_str_equal (status, "requires_action") || g_str_equal (status, "requires_confirmation"))
    {
      set_outcome (p, TILL_STATUS_REQUIRES_ACTION, NULL, NULL);
      set_str (&p->client_secret, obj_str (intent, "client_secret"));
    }
  else if (g_str_equal (status, "requires_payment_method") || g_str_equal (status, "canceled"))
    {
      JsonObject *last_error = obj_obj (intent, "last_payment_error");

      if (last_error != NULL)
        apply_declined (p, last_error);
      else
        set_outcome (p, TILL_STATUS_DECLINED, "payment_intent_canceled", "The payment was canceled");
      g_clear_pointer (&p->client_secret, g_free);
    }
  else
    apply_unknown (p, "stripe_processing", "Stripe is still processing the payment");
}

/* An amount Stripe reports (a charge's, a PaymentIntent's, a refund's),
 * read back into the customary unit and compared with the one stored. A
 * difference is not corrected, since the money moved as Stripe says, but
 * described, for the log and the row's last error; NULL when they agree
 * or Stripe named no amount. */
static char *
amount_mismatch (JsonObject *object,
                 const char *currency,
                 gint64      expected)
{
  JsonNode *node = object ? json_object_get_member (object, "amount") : NULL;
  g_autoptr(GError) error = NULL;
  gint64 stripe;
  gint64 minor;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return NULL;
  stripe = json_node_get_int (node);
  if (!till_money_from_stripe (stripe, currency, &minor, &error))
    return g_strdup_printf ("Stripe reports amount %" G_GINT64_FORMAT " %s: %s",
                            stripe, currency, error->message);
  if (minor != expected)
    return g_strdup_printf ("Stripe reports amount %" G_GINT64_FORMAT " %s, %" G_GINT64_FORMAT
                            " here, where %" G_GINT64_FORMAT " is recorded",
                            stripe, currency, minor, expected);
  return NULL;
}

static void
apply_response (TillPayment        *p,
                TillStripeResponse *response,
                const GError       *error)
{
  JsonObject *stripe_error;

  if (error != NULL)
    {
      apply_unknown (p, "stripe_unreachable", error->message);
      return;
    }

  stripe_error = obj_obj (response->body, "error");
  if (response->status == 200 && response->body != NULL)
    {
      g_autofree char *mismatch = NULL;

      if (g_strcmp0 (obj_str (response->body, "object"), "charge") == 0)
        apply_charge (p, response->body);
      else
        apply_payment_intent (p, response->body);
      mismatch = amount_mismatch (response->body, p->currency, p->amount);
      if (mismatch != NULL)
        {
          g_warning ("Payment %s: %s", p->id, mismatch);
          set_str (&p->error_code, "stripe_amount_mismatch");
          set_str (&p->error_message, mismatch);
        }
    }
  else if (response->status == 402 && stripe_error != NULL)
    {
      JsonObject *intent = obj_obj (stripe_error, "payment_intent");
      const char *charge = obj_str (stripe_error, "charge");

      if (intent != NULL && obj_str (intent, "id") != NULL)
        set_str (&p->stripe_id, obj_str (intent, "id"));
      else if (charge != NULL)
        set_str (&p->stripe_id, charge);
      apply_declined (p, stripe_error);
    }
  else if (response->status == 401 || response->status == 403)
    {
      g_warning ("Stripe refused the secret key (HTTP %u): check [stripe] secret-key-file",
                 response->status);
      set_outcome (p, TILL_STATUS_FAILED, "stripe_auth_failed", "Stripe refused the shop's API key");
    }
  else if (response->status == 429)
    apply_unknown (p, "stripe_rate_limited", "Stripe asked to slow down");
  else if (response->status == 409)
    apply_unknown (p, "stripe_conflict", "Stripe is still working on this payment");
  else if (response->status == 400 && g_strcmp0 (obj_str (stripe_error, "type"), "idempotency_error") == 0)
    {
      /* The key was seen with other parameters: the first attempt may have
       * charged, so this is not a failure but a case for a person. */
      g_warning ("Stripe reports an idempotency conflict for payment %s", p->id);
      apply_unknown (p, "stripe_idempotency_conflict", "Stripe saw this payment with other details");
    }
  else if ((response->status == 400 || response->status == 404) && stripe_error != NULL)
    {
      const char *code = obj_str (stripe_error, "code");
      const char *type = obj_str (stripe_error, "type");

      set_outcome (p, TILL_STATUS_FAILED,
                   code ? code : (type ? type : "stripe_invalid_request"),
                   obj_str (stripe_error, "message"));
    }
  else
    apply_unknown (p, "stripe_error", "Stripe answered with an error; the outcome is not known yet");
}

/* Amounts are stored in the currency's customary minor unit, the one the
 * terminal sends; Stripe's is another for some currencies (1500 ISK is
 * amount=150000). Converted here, at the boundary, by till-money's rules. */
static char *
stripe_amount (gint64       amount,
               const char  *currency,
               GError     **error)
{
  gint64 stripe;

  if (!till_money_to_stripe (amount, currency, &stripe, error))
    return NULL;
  return g_strdup_printf ("%" G_GINT64_FORMAT, stripe);
}

static gboolean
add_payment_params (TillPayments  *self,
                    TillPayment   *p,
                    GPtrArray     *params,
                    GError       **error)
{
  g_autofree char *amount = stripe_amount (p->amount, p->currency, error);
  g_autofree char *currency = g_ascii_strdown (p->currency, -1);

  if (amount == NULL)
    return FALSE;
  till_stripe_params_add (params, "amount", amount);
  till_stripe_params_add (params, "currency", currency);
  if (p->description != NULL && *p->description != '\0')
    till_stripe_params_add (params, "description", p->description);
  till_stripe_params_add (params, "metadata[till_payment_id]", p->id);
  till_stripe_params_add (params, "metadata[till_cashier]", p->user_name);
  return TRUE;
}

static void finish_payment_operation (TillPayments       *self,
                                      GTask              *task,
                                      TillPayment        *p,
                                      TillStripeResponse *response,
                                      const GError       *stripe_error);

static void
save_payment_operation (TillPayments *self,
                        GTask        *task,
                        TillPayment  *p)
{
  g_autoptr(GError) error = NULL;

  g_hash_table_remove (self->busy, p->id);
  if (!till_db_update_payment (self->db, p, &error))
    {
      g_critical ("Payment %s: %s", p->id, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_info ("payment=%s status=%s%s%s", p->id, p->status,
          p->error_code ? " code=" : "", p->error_code ? p->error_code : "");
  g_task_return_pointer (task, till_db_get_payment (self->db, p->id),
                         (GDestroyNotify) till_payment_free);
}

/* An answer that will never say more (Stripe stores a 500 under the key
 * and replays it for 24 h; Stripe-Should-Retry: false; the key conflicts)
 * about a PaymentIntent whose id Till never learned. */
static gboolean
needs_lookup (Operation          *op,
              TillStripeResponse *response)
{
  TillPayment *p = op->payment;

  if (op->looked_up || response == NULL || p->stripe_id != NULL ||
      !g_str_equal (p->status, TILL_STATUS_PENDING) || !g_str_equal (p->mode, "payment_intents"))
    return FALSE;
  return response->status >= 500 || response->should_retry == 0 ||
         g_strcmp0 (p->error_code, "stripe_idempotency_conflict") == 0;
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillPayments *self = g_task_get_source_object (task);
  Operation *op = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *data;
  JsonArray *found = NULL;
  TillStripeResponse answer = { .status = 200, .should_retry = -1 };

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (object), result, &error);
  /* Search is not offered everywhere (not in India): the recent intents
   * are listed instead, and picked by their metadata below. */
  if (response != NULL && response->status >= 400 && response->status < 500 && !op->listed)
    {
      g_autoptr(GPtrArray) params = till_stripe_params_new ();
      g_autofree char *since = g_strdup_printf ("%" G_GINT64_FORMAT, op->payment->created - 600);

      op->listed = TRUE;
      till_stripe_params_add (params, "created[gte]", since);
      till_stripe_params_add (params, "limit", "100");
      till_stripe_params_add (params, "expand[0]", "data.latest_charge");
      till_stripe_client_request_async (self->stripe, "GET", "/v1/payment_intents", params, NULL, NULL,
                                        lookup_cb, g_steal_pointer (&task));
      return;
    }
  data = response != NULL && response->status == 200 && response->body != NULL
         ? json_object_get_member (response->body, "data") : NULL;
  if (data != NULL && JSON_NODE_HOLDS_ARRAY (data))
    found = json_node_get_array (data);

  /* A PaymentIntent of this payment's: it is the answer. None (search
   * lags by up to a minute, or the request never arrived): the payment
   * stays pending, and the next resend or recovery asks again. */
  for (guint i = 0; found != NULL && i < json_array_get_length (found); i++)
    {
      JsonNode *node = json_array_get_element (found, i);
      JsonObject *intent = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonObject *metadata = obj_obj (intent, "metadata");

      g_autofree char *mismatch = NULL;

      /* One key makes at most one intent: the first of this payment's,
       * of its sum of money. */
      if (intent == NULL || g_strcmp0 (obj_str (metadata, "till_payment_id"), op->payment->id) != 0)
        continue;
      mismatch = amount_mismatch (intent, op->payment->currency, op->payment->amount);
      if (mismatch != NULL || g_ascii_strcasecmp (obj_str (intent, "currency") ?: "", op->payment->currency) != 0)
        {
          g_warning ("Payment %s: an intent with its id in metadata but not its amount or currency; left alone",
                     op->payment->id);
          continue;
        }
      answer.body = intent;
      g_message ("Payment %s found at Stripe by its metadata: %s", op->payment->id, obj_str (intent, "id"));
      finish_payment_operation (self, g_steal_pointer (&task), op->payment, &answer, NULL);
      return;
    }
  g_message ("Payment %s: no PaymentIntent of it found at Stripe yet", op->payment->id);
  save_payment_operation (self, task, op->payment);
}

/* Takes task. */
static void
finish_payment_operation (TillPayments       *self,
                          GTask              *task,
                          TillPayment        *p,
                          TillStripeResponse *response,
                          const GError       *stripe_error)
{
  g_autoptr(GTask) owned = task;
  Operation *op = g_task_get_task_data (task);

  apply_response (p, response, stripe_error);
  if (op->confirming && g_str_equal (p->status, TILL_STATUS_REQUIRES_ACTION))
    {
      /* The bank asks again: the next confirm is a new round. */
      p->confirm_round++;
      op->confirming = FALSE;
    }

  if (needs_lookup (op, response))
    {
      g_autoptr(GPtrArray) params = till_stripe_params_new ();
      g_autofree char *query = g_strdup_printf ("metadata['till_payment_id']:'%s'", p->id);

      op->looked_up = TRUE;
      till_stripe_params_add (params, "query", query);
      till_stripe_params_add (params, "expand[0]", "data.latest_charge");
      till_stripe_client_request_async (self->stripe, "GET", "/v1/payment_intents/search", params, NULL,
                                        NULL, lookup_cb, g_steal_pointer (&owned));
      return;
    }
  save_payment_operation (self, owned, p);
}

static void
payment_request_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillPayments *self = g_task_get_source_object (task);
  Operation *op = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (object), result, &error);
  finish_payment_operation (self, g_steal_pointer (&task), op->payment, response, error);
}

static GTask *
start_operation (TillPayments        *self,
                 const char          *payment_id,
                 gpointer             source_tag,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 Operation          **out_op)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  Operation *op = g_new0 (Operation, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, op, (GDestroyNotify) operation_free);
  op->payment = till_db_get_payment (self->db, payment_id);
  *out_op = op;

  return task;
}

void
till_payments_submit_async (TillPayments        *self,
                            TillPayment         *payment,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GPtrArray) params = till_stripe_params_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  Operation *op;
  GTask *task;
  TillPayment *p;

  g_return_if_fail (TILL_IS_PAYMENTS (self));

  task = start_operation (self, payment->id, till_payments_submit_async, callback, user_data, &op);
  p = op->payment;
  if (p == NULL || g_hash_table_contains (self->busy, payment->id))
    {
      g_task_return_new_error (task, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS,
                               "Payment %s is already being processed", payment->id);
      g_object_unref (task);
      return;
    }
  /* Stripe keeps idempotency keys for at least 24 hours and may forget
   * them after: past that, sending again could charge twice. Such a
   * payment waits for a person to look it up at Stripe. */
  if (g_get_real_time () / G_USEC_PER_SEC - p->created > STALE_PENDING_SECONDS)
    {
      g_warning ("Payment %s has been pending since %" G_GINT64_FORMAT
                 "; not sending it to Stripe again, check it in the Stripe dashboard",
                 p->id, p->created);
      set_str (&p->error_code, "needs_review");
      set_str (&p->error_message, "The outcome is unknown and too old to ask Stripe again safely");
      till_db_update_payment (self->db, p, NULL);
      g_task_return_pointer (task, till_db_get_payment (self->db, p->id), (GDestroyNotify) till_payment_free);
      g_object_unref (task);
      return;
    }
  /* The API refuses such amounts before storing them; a row that still
   * has one (from a database of before a rule was known) fails here,
   * never reaching Stripe in a unit it would misread. */
  if (!add_payment_params (self, p, params, &error))
    {
      g_warning ("Payment %s cannot be sent to Stripe: %s", p->id, error->message);
      set_outcome (p, TILL_STATUS_FAILED, "amount_not_accepted", error->message);
      till_db_update_payment (self->db, p, NULL);
      g_task_return_pointer (task, till_db_get_payment (self->db, p->id), (GDestroyNotify) till_payment_free);
      g_object_unref (task);
      return;
    }
  g_hash_table_add (self->busy, g_strdup (p->id));

  /* The body is a function of the stored row alone, so a later call for
   * the same row sends exactly the same request under the same key. */
  key = till_payments_derive_key ("pay", p->idempotency_key);

  if (g_str_equal (p->mode, "charges"))
    {
      till_stripe_params_add (params, "source", p->source);
      till_stripe_client_request_async (self->stripe, "POST", "/v1/charges", params, key,
                                        NULL, payment_request_cb, task);
    }
  else
    {
      till_stripe_params_add (params, "payment_method", p->source);
      /* Cards only, said explicitly: without it Stripe turns on automatic
       * payment methods (2023-08-16), whose confirms may want a redirect.
       * payment_method_types was the way until 2026-09-30.endive removed it
       * (https://docs.stripe.com/changelog/endive/2026-09-30/removes-the-payment-method-types-parameter-from-payment-intents-and-setup-intents). */
      till_stripe_params_add (params, "allowed_payment_method_types[0]", "card");
      till_stripe_params_add (params, "confirm", "true");
      /* Manual confirmation: 3-D Secure is finished by the terminal's
       * handleCardAction and then confirmed here, server side. */
      till_stripe_params_add (params, "confirmation_method", "manual");
      if (p->moto)
        till_stripe_params_add (params, "payment_method_options[card][moto]", "true");
      till_stripe_params_add (params, "expand[0]", "latest_charge");
      till_stripe_client_request_async (self->stripe, "POST", "/v1/payment_intents", params, key,
                                        NULL, payment_request_cb, task);
    }
}

TillPayment *
till_payments_submit_finish (TillPayments  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* 3-D Secure: once the customer has authenticated in the card page, the
 * PaymentIntent waits in requires_confirmation and is confirmed here. */
static void
confirm_lookup_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillPayments *self = g_task_get_source_object (task);
  Operation *op = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = NULL;
  g_autoptr(GPtrArray) params = till_stripe_params_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *purpose = NULL;
  g_autofree char *key = NULL;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (object), result, &error);
  /* A confirm was sent and its answer never came (the row is pending, not
   * waiting for the customer): whatever the intent says now is that
   * confirm's outcome. Asking for 3-D Secure again, or still
   * waiting to be confirmed (Stripe stored a 500 under the key and would
   * replay it for a day), the next confirm is a new round with its own
   * key; an intent succeeds only once, so a new key cannot charge twice. */
  if (response != NULL && response->status == 200 &&
      g_strcmp0 (op->payment->status, TILL_STATUS_PENDING) == 0 &&
      (g_strcmp0 (obj_str (response->body, "status"), "requires_action") == 0 ||
       g_strcmp0 (obj_str (response->body, "status"), "requires_confirmation") == 0))
    op->payment->confirm_round++;
  if (response == NULL || response->status != 200 ||
      g_strcmp0 (obj_str (response->body, "status"), "requires_confirmation") != 0)
    {
      finish_payment_operation (self, g_steal_pointer (&task), op->payment, response, error);
      return;
    }

  /* As for a payment's creation: past Stripe's 24 hours a confirm could
   * charge a customer who left a day ago. A person looks instead. */
  if (g_get_real_time () / G_USEC_PER_SEC - op->payment->created > STALE_PENDING_SECONDS)
    {
      g_warning ("Payment %s has waited for its 3-D Secure confirm since %" G_GINT64_FORMAT
                 "; not confirming it now, check it in the Stripe dashboard",
                 op->payment->id, op->payment->created);
      set_outcome (op->payment, TILL_STATUS_PENDING, "needs_review",
                   "The confirmation is too old to send to Stripe safely");
      save_payment_operation (self, task, op->payment);
      return;
    }

  /* Written down before it leaves: once sent, the confirm may charge the
   * card, and a crash before its answer is stored must leave a row that
   * start-up recovery looks at (a pending one, which it reads back from
   * the PaymentIntent), not one still waiting for the customer. */
  set_outcome (op->payment, TILL_STATUS_PENDING, "confirm_sent",
               "The 3-D Secure confirmation was sent to Stripe; its answer is not in yet");
  if (!till_db_update_payment (self->db, op->payment, &error))
    {
      g_critical ("Payment %s: %s", op->payment->id, error->message);
      g_hash_table_remove (self->busy, op->payment->id);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  path = g_strdup_printf ("/v1/payment_intents/%s/confirm", op->payment->stripe_id);
  /* A key for each round: a confirm may answer requires_action again (the
   * bank asks twice), and the next round's confirm under the first key
   * would only be given the first answer again. The round counts confirms
   * that were answered requires_action, so a confirm whose answer was lost
   * is sent again under its own key. */
  purpose = op->payment->confirm_round == 0 ? g_strdup ("confirm")
                                            : g_strdup_printf ("confirm-%d", op->payment->confirm_round);
  key = till_payments_derive_key (purpose, op->payment->idempotency_key);
  till_stripe_params_add (params, "expand[0]", "latest_charge");
  op->confirming = TRUE;
  till_stripe_client_request_async (self->stripe, "POST", path, params, key, NULL,
                                    payment_request_cb, g_steal_pointer (&task));
}

void
till_payments_confirm_async (TillPayments        *self,
                             TillPayment         *payment,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GPtrArray) params = till_stripe_params_new ();
  g_autofree char *path = NULL;
  Operation *op;
  GTask *task;

  g_return_if_fail (TILL_IS_PAYMENTS (self));

  task = start_operation (self, payment->id, till_payments_confirm_async, callback, user_data, &op);
  if (op->payment == NULL || op->payment->stripe_id == NULL ||
      !g_str_has_prefix (op->payment->stripe_id, "pi_") ||
      g_hash_table_contains (self->busy, payment->id))
    {
      g_task_return_new_error (task, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS,
                               "Payment %s cannot be confirmed now", payment->id);
      g_object_unref (task);
      return;
    }
  g_hash_table_add (self->busy, g_strdup (payment->id));

  path = g_strdup_printf ("/v1/payment_intents/%s", op->payment->stripe_id);
  till_stripe_params_add (params, "expand[0]", "latest_charge");
  till_stripe_client_request_async (self->stripe, "GET", path, params, NULL, NULL,
                                    confirm_lookup_cb, task);
}

TillPayment *
till_payments_confirm_finish (TillPayments  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Refunds */

/* A Stripe refund object's state, as till-server records it: succeeded,
 * pending (accepted, waiting for the card network: its amount stays held
 * against the payment but is not counted as refunded yet) or failed. */
static void
apply_refund_object (TillRefund *r,
                     const char *currency,
                     JsonObject *refund)
{
  const char *status = obj_str (refund, "status");

  set_str (&r->stripe_id, obj_str (refund, "id"));
  set_str (&r->error_code, NULL);
  if (g_strcmp0 (status, "failed") == 0 || g_strcmp0 (status, "canceled") == 0)
    {
      const char *reason = obj_str (refund, "failure_reason");

      set_str (&r->status, TILL_STATUS_FAILED);
      set_str (&r->error_code, reason != NULL && strlen (reason) <= 64 ? reason : "refund_failed");
    }
  else if (g_strcmp0 (status, "succeeded") == 0)
    {
      g_autofree char *mismatch = amount_mismatch (refund, currency, r->amount);

      set_str (&r->status, TILL_STATUS_SUCCEEDED);
      if (mismatch != NULL)
        {
          g_warning ("Refund %s: %s", r->id, mismatch);
          set_str (&r->error_code, "stripe_amount_mismatch");
        }
    }
  else
    {
      /* pending, requires_action, or a state this server does not know:
       * not money back yet. Looked at again later. */
      set_str (&r->status, TILL_STATUS_PENDING);
      set_str (&r->error_code, "refund_pending");
    }
}

static gboolean
is_refund_object (JsonObject *body)
{
  const char *id = obj_str (body, "id");

  return id != NULL && g_str_has_prefix (id, "re_") && strlen (id) <= 64;
}

/* Stripe's word that this refund may already exist: look it up by its
 * metadata before deciding anything. */
static gboolean
refund_needs_lookup (TillStripeResponse *response)
{
  JsonObject *stripe_error = obj_obj (response->body, "error");
  const char *code = obj_str (stripe_error, "code");

  /* Not while Stripe says it is still working on it (409, its
   * idempotency lock, or Stripe-Should-Retry: true): the refund is then
   * unknown, and looking now could find nothing only because it is not
   * done yet. */
  if (response->status == 409 || response->should_retry == 1)
    return FALSE;
  return response->status >= 500 || response->should_retry == 0 ||
         (response->status == 400 && g_strcmp0 (obj_str (stripe_error, "type"), "idempotency_error") == 0) ||
         g_strcmp0 (code, "charge_already_refunded") == 0;
}

static void
apply_refund_response (TillRefund         *r,
                       const char         *currency,
                       TillStripeResponse *response,
                       const GError       *error)
{
  JsonObject *stripe_error = response ? obj_obj (response->body, "error") : NULL;

  if (error != NULL)
    set_str (&r->error_code, "stripe_unreachable");
  else if (response->status == 200 && is_refund_object (response->body))
    apply_refund_object (r, currency, response->body);
  else if (response->status >= 400 && response->status < 500 &&
           response->status != 409 && response->status != 429 && stripe_error != NULL)
    {
      const char *code = obj_str (stripe_error, "code");

      set_str (&r->status, TILL_STATUS_FAILED);
      set_str (&r->error_code, code ? code : "stripe_invalid_request");
    }
  else
    set_str (&r->error_code, response->status == 429 ? "stripe_rate_limited" : "stripe_error");
}

/* Records r as it now is and returns it to the caller. A refund already
 * known at Stripe (its id set) changes state with its payment's refunded
 * amount; one whose request just came back is finished. */
static void
save_refund_operation (TillPayments *self,
                       GTask        *task,
                       TillRefund   *r,
                       gboolean      known_before)
{
  g_autoptr(GError) error = NULL;
  gboolean saved;

  g_hash_table_remove (self->busy, r->id);
  if (known_before)
    saved = till_db_begin (self->db, &error) &&
            till_db_update_refund_state (self->db, r->id, r->stripe_id, r->status, r->error_code, &error) &&
            till_db_commit (self->db, &error);
  else
    saved = till_db_finish_refund (self->db, r, &error);
  if (!saved)
    {
      if (known_before)
        till_db_rollback (self->db);
      g_critical ("Refund %s: %s", r->id, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_info ("refund=%s payment=%s status=%s%s%s", r->id, r->payment_id, r->status,
          r->error_code ? " code=" : "", r->error_code ? r->error_code : "");
  g_task_return_pointer (task, till_db_get_refund_by_key (self->db, r->idempotency_key),
                         (GDestroyNotify) till_refund_free);
}

static void
refund_lookup_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillPayments *self = g_task_get_source_object (task);
  Operation *op = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  TillRefund *r = op->refund;
  JsonNode *data;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (object), result, &error);
  data = response != NULL && response->status == 200 && response->body != NULL
         ? json_object_get_member (response->body, "data") : NULL;
  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
    {
      /* Not known either way: pending, looked at again later. */
      set_str (&r->status, TILL_STATUS_PENDING);
      set_str (&r->error_code, "stripe_error");
      save_refund_operation (self, task, r, FALSE);
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (data)); i++)
    {
      JsonNode *node = json_array_get_element (json_node_get_array (data), i);
      JsonObject *refund = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      if (refund != NULL && is_refund_object (refund) &&
          g_strcmp0 (obj_str (obj_obj (refund, "metadata"), "till_refund_id"), r->id) == 0)
        {
          g_message ("Refund %s found at Stripe by its metadata: %s", r->id, obj_str (refund, "id"));
          apply_refund_object (r, op->payment->currency, refund);
          save_refund_operation (self, task, r, FALSE);
          return;
        }
    }
  /* Stripe holds no refund made by this one. After a refusal that names
   * the refund's own state (already refunded, the key used otherwise)
   * nothing went back through it, and that is the truth. After a 500 it
   * may still be made: unknown, sent again under its key, and left for a
   * person after 23 hours. */
  g_message ("Refund %s: Stripe holds no refund of it", r->id);
  if (op->unknown_until_found)
    {
      set_str (&r->status, TILL_STATUS_PENDING);
      set_str (&r->error_code, "stripe_error");
    }
  else
    {
      set_str (&r->status, TILL_STATUS_FAILED);
      if (r->error_code == NULL || g_str_equal (r->error_code, "stripe_error"))
        set_str (&r->error_code, "refund_failed");
    }
  save_refund_operation (self, task, r, FALSE);
}

static void
refund_request_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillPayments *self = g_task_get_source_object (task);
  Operation *op = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  TillRefund *r = op->refund;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (object), result, &error);
  if (response != NULL && !(response->status == 200 && is_refund_object (response->body)) &&
      refund_needs_lookup (response))
    {
      g_autoptr(GPtrArray) params = till_stripe_params_new ();
      JsonObject *stripe_error = obj_obj (response->body, "error");

      /* "Already refunded", "this key with other details", a 500 replayed
       * for a day: maybe this refund was made after all (its first answer
       * lost, its key since forgotten). Its metadata says. */
      set_str (&r->error_code, obj_str (stripe_error, "code") ? obj_str (stripe_error, "code") : "stripe_error");
      op->unknown_until_found = response->status >= 500 || response->should_retry == 0;
      till_stripe_params_add (params, g_str_has_prefix (op->payment->stripe_id, "pi_") ? "payment_intent" : "charge",
                              op->payment->stripe_id);
      till_stripe_params_add (params, "limit", "100");
      till_stripe_client_request_async (self->stripe, "GET", "/v1/refunds", params, NULL, NULL,
                                        refund_lookup_cb, g_steal_pointer (&task));
      return;
    }
  apply_refund_response (r, op->payment->currency, response, error);
  save_refund_operation (self, task, r, FALSE);
}

/* A refund Stripe took but had not settled (pending at the card network):
 * read back, never sent again. */
static void
refund_refresh_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillPayments *self = g_task_get_source_object (task);
  Operation *op = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  TillRefund *r = op->refund;

  response = till_stripe_client_request_finish (TILL_STRIPE_CLIENT (object), result, &error);
  if (response != NULL && response->status == 200 && is_refund_object (response->body) &&
      g_strcmp0 (obj_str (response->body, "id"), r->stripe_id) == 0)
    apply_refund_object (r, op->payment->currency, response->body);
  save_refund_operation (self, task, r, TRUE);
}

void
till_payments_refund_async (TillPayments        *self,
                            TillPayment         *payment,
                            TillRefund          *refund,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GPtrArray) params = till_stripe_params_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *key = NULL;
  Operation *op;
  GTask *task;

  g_return_if_fail (TILL_IS_PAYMENTS (self));

  task = start_operation (self, payment->id, till_payments_refund_async, callback, user_data, &op);
  op->refund = till_db_get_refund_by_key (self->db, refund->idempotency_key);
  if (op->refund == NULL || op->payment == NULL || op->payment->stripe_id == NULL ||
      g_hash_table_contains (self->busy, refund->id))
    {
      g_task_return_new_error (task, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS,
                               "Refund %s cannot be sent now", refund->id);
      g_object_unref (task);
      return;
    }

  if (op->refund->stripe_id != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/v1/refunds/%s", op->refund->stripe_id);

      g_hash_table_add (self->busy, g_strdup (refund->id));
      till_stripe_client_request_async (self->stripe, "GET", path, NULL, NULL, NULL, refund_refresh_cb, task);
      return;
    }

  /* As for payments: past Stripe's 24 hours a key may be forgotten, and
   * sending the refund again could refund twice (a partial one twice over).
   * Its amount stays held against the payment until a person has looked. */
  if (g_get_real_time () / G_USEC_PER_SEC - op->refund->created > STALE_PENDING_SECONDS)
    {
      g_warning ("Refund %s has been pending since %" G_GINT64_FORMAT
                 "; not sending it to Stripe again, check it in the Stripe dashboard",
                 op->refund->id, op->refund->created);
      set_str (&op->refund->error_code, "needs_review");
      if (!till_db_finish_refund (self->db, op->refund, &error))
        g_critical ("Refund %s: %s", op->refund->id, error->message);
      g_task_return_pointer (task, till_db_get_refund_by_key (self->db, op->refund->idempotency_key),
                             (GDestroyNotify) till_refund_free);
      g_object_unref (task);
      return;
    }

  /* In the payment's currency, by the same rules as the payment. */
  amount = stripe_amount (op->refund->amount, op->payment->currency, &error);
  if (amount == NULL)
    {
      g_warning ("Refund %s cannot be sent to Stripe: %s", op->refund->id, error->message);
      set_str (&op->refund->status, TILL_STATUS_FAILED);
      set_str (&op->refund->error_code, "amount_not_accepted");
      g_clear_error (&error);
      if (!till_db_finish_refund (self->db, op->refund, &error))
        g_critical ("Refund %s: %s", op->refund->id, error->message);
      g_task_return_pointer (task, till_db_get_refund_by_key (self->db, op->refund->idempotency_key),
                             (GDestroyNotify) till_refund_free);
      g_object_unref (task);
      return;
    }
  g_hash_table_add (self->busy, g_strdup (refund->id));

  if (g_str_has_prefix (op->payment->stripe_id, "pi_"))
    till_stripe_params_add (params, "payment_intent", op->payment->stripe_id);
  else
    till_stripe_params_add (params, "charge", op->payment->stripe_id);
  till_stripe_params_add (params, "amount", amount);
  if (op->refund->reason != NULL)
    till_stripe_params_add (params, "reason", op->refund->reason);
  till_stripe_params_add (params, "metadata[till_refund_id]", op->refund->id);

  key = till_payments_derive_key ("refund", op->refund->idempotency_key);
  till_stripe_client_request_async (self->stripe, "POST", "/v1/refunds", params, key, NULL,
                                    refund_request_cb, task);
}

TillRefund *
till_payments_refund_finish (TillPayments  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Recovery */

static void
recovered_payment_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(GError) error = NULL;

  p = till_payments_submit_finish (TILL_PAYMENTS (object), result, &error);
  if (p == NULL)
    g_warning ("Recovery of a payment failed: %s", error->message);
  else
    g_message ("Recovered payment %s: %s", p->id, p->status);
}

static void
recovered_refund_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(TillRefund) r = NULL;
  g_autoptr(GError) error = NULL;

  r = till_payments_refund_finish (TILL_PAYMENTS (object), result, &error);
  if (r == NULL)
    g_warning ("Recovery of a refund failed: %s", error->message);
  else
    g_message ("Recovered refund %s: %s", r->id, r->status);
}

/* Rows left pending by a crash or by an unreachable Stripe are sent again
 * with their own keys: Stripe either replays the first answer or, if the
 * first call never arrived, makes the charge now, once. */
void
till_payments_recover (TillPayments *self)
{
  g_autoptr(GPtrArray) payments = till_db_list_payments_in_status (self->db, TILL_STATUS_PENDING);
  g_autoptr(GPtrArray) refunds = till_db_list_refunds_in_status (self->db, TILL_STATUS_PENDING);

  if (payments->len + refunds->len > 0)
    g_message ("Resolving %u pending payments and %u pending refunds with Stripe",
               payments->len, refunds->len);

  for (guint i = 0; i < payments->len; i++)
    {
      TillPayment *p = g_ptr_array_index (payments, i);

      /* Past the PaymentIntent's creation, its state is read back from it. */
      if (p->stripe_id != NULL && g_str_has_prefix (p->stripe_id, "pi_"))
        till_payments_confirm_async (self, p, recovered_payment_cb, NULL);
      else
        till_payments_submit_async (self, p, recovered_payment_cb, NULL);
    }

  for (guint i = 0; i < refunds->len; i++)
    {
      TillRefund *r = g_ptr_array_index (refunds, i);
      g_autoptr(TillPayment) p = till_db_get_payment (self->db, r->payment_id);

      if (p != NULL)
        till_payments_refund_async (self, p, r, recovered_refund_cb, NULL);
    }
}

TillStripeClient *
till_payments_get_stripe_client (TillPayments *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENTS (self), NULL);

  return self->stripe;
}

static gboolean
check_pending_refunds_cb (gpointer user_data)
{
  TillPayments *self = user_data;
  g_autoptr(GPtrArray) refunds = till_db_list_refunds_in_status (self->db, TILL_STATUS_PENDING);

  for (guint i = 0; i < refunds->len; i++)
    {
      TillRefund *r = g_ptr_array_index (refunds, i);
      g_autoptr(TillPayment) p = NULL;

      /* Only those Stripe took: the others are on their way or wait for a
       * person, and are never sent again from here. */
      if (r->stripe_id == NULL)
        continue;
      p = till_db_get_payment (self->db, r->payment_id);
      if (p != NULL)
        till_payments_refund_async (self, p, r, recovered_refund_cb, NULL);
    }
  return G_SOURCE_CONTINUE;
}

/* Refunds pending at the card network settle in days, and a webhook may
 * never come (none set up, or lost): each is read back from Stripe this
 * often, besides at start-up. */
void
till_payments_watch_pending_refunds (TillPayments *self,
                                     guint         seconds)
{
  g_return_if_fail (TILL_IS_PAYMENTS (self));

  g_clear_handle_id (&self->refund_check, g_source_remove);
  self->refund_check = g_timeout_add_seconds (seconds, check_pending_refunds_cb, self);
}
