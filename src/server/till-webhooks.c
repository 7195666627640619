/* till-webhooks.c: Stripe's webhook events, verified and handled once
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stripe tells the shop's server of what happens at Stripe without Till:
 * a refund made in the Dashboard, a dispute, a payment whose answer was
 * lost and that Stripe settled anyway. Each event is signed with the
 * endpoint's secret (HMAC-SHA256 over "timestamp.body",
 * https://docs.stripe.com/webhooks#verify-manually), may come more than
 * once, and may come in any order; so it is verified first, recorded by
 * its id with its effect in one transaction, and its effect is a state
 * (this refund is succeeded) rather than a step (add this amount), which
 * a second delivery cannot repeat.
 *
 * What is trusted from a verified event: that Stripe says it. Refunds and
 * disputes are taken from the event's object, each checked against the
 * payment it names (currency, Stripe's minor units); a payment's outcome
 * is never taken from the event at all: the payment is read back from
 * Stripe by the same code that resolves it after a crash.
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>
#include <sodium.h>

#include "till-crypto.h"
#include "till-money.h"
#include "till-server-error.h"
#include "till-webhooks.h"

#define MAX_SIGNATURES 8
#define MAX_ID_LENGTH  64

struct _TillWebhooks
{
  GObject           parent_instance;

  TillDb           *db;
  TillPayments     *payments;
  TillServerConfig *config;
};

G_DEFINE_FINAL_TYPE (TillWebhooks, till_webhooks, G_TYPE_OBJECT)

/* Signatures */

/* The HMAC over the timestamp's text as it stands in the header, a dot
 * and the body: what Stripe signs, and what its own libraries check. */
static char *
sign_text (const char   *secret,
           const char   *timestamp,
           const guint8 *body,
           gsize         length)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));

  g_hmac_update (hmac, (const guchar *) timestamp, strlen (timestamp));
  g_hmac_update (hmac, (const guchar *) ".", 1);
  g_hmac_update (hmac, body, length);
  return g_strdup (g_hmac_get_string (hmac));
}

char *
till_webhook_sign (const char   *secret,
                   gint64        timestamp,
                   const guint8 *body,
                   gsize         length)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, timestamp);

  return sign_text (secret, text, body, length);
}

/* Unix seconds as Stripe writes them: digits only, no sign, no space, no
 * leading zero (g_ascii_string_to_unsigned() would take " 017…" too, and
 * the text signed would no longer be the one checked). */
static gboolean
parse_timestamp (const char *text,
                 gint64     *out)
{
  gsize length = strlen (text);

  if (length == 0 || length > 12 || text[0] == '0')
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isdigit (text[i]))
      return FALSE;
  *out = g_ascii_strtoll (text, NULL, 10);
  return TRUE;
}

static gboolean
is_hex_digest (const char *text)
{
  if (strlen (text) != 64)
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isxdigit (*c) || g_ascii_isupper (*c))
      return FALSE;
  return TRUE;
}

/* Stripe-Signature: t=1492774577,v1=5257a869…[,v1=…][,v0=…]. Several v1
 * while Stripe rolls the endpoint's secret; each secret Till knows is
 * tried against each, in constant time. */
TillWebhookSignature
till_webhook_verify_signature (const char         *header,
                               const guint8       *body,
                               gsize               length,
                               const char * const *secrets,
                               gint64              now,
                               guint               tolerance)
{
  g_auto(GStrv) items = NULL;
  const char *signatures[MAX_SIGNATURES];
  guint n_signatures = 0;
  gint64 timestamp = -1;
  const char *timestamp_text = NULL;
  gboolean matched = FALSE;

  if (header == NULL || strlen (header) > 4096 || secrets == NULL)
    return TILL_WEBHOOK_SIGNATURE_MALFORMED;

  items = g_strsplit (header, ",", 32);
  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = items[i];

      if (g_str_has_prefix (item, "t="))
        {
          if (timestamp != -1 || !parse_timestamp (item + 2, &timestamp))
            return TILL_WEBHOOK_SIGNATURE_MALFORMED;
          timestamp_text = item + 2;
        }
      else if (g_str_has_prefix (item, "v1=") && is_hex_digest (item + 3) && n_signatures < MAX_SIGNATURES)
        {
          signatures[n_signatures++] = item + 3;
        }
      /* v0 (test mode's old scheme) and unknown schemes are not looked at. */
    }
  if (timestamp == -1 || n_signatures == 0)
    return TILL_WEBHOOK_SIGNATURE_MALFORMED;

  for (guint s = 0; secrets[s] != NULL; s++)
    {
      g_autofree char *expected = sign_text (secrets[s], timestamp_text, body, length);

      for (guint i = 0; i < n_signatures; i++)
        matched |= sodium_memcmp (expected, signatures[i], 64) == 0;
      sodium_memzero (expected, strlen (expected));
    }
  if (!matched)
    return TILL_WEBHOOK_SIGNATURE_MISMATCH;
  /* A replay of a genuine delivery: only recent ones are taken. */
  if (timestamp < now - (gint64) tolerance || timestamp > now + (gint64) tolerance)
    return TILL_WEBHOOK_SIGNATURE_EXPIRED;
  return TILL_WEBHOOK_SIGNATURE_OK;
}

/* Reading the event's objects: strings of the forms Stripe documents */

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
member_int (JsonObject *object,
            const char *name,
            gint64     *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

/* An id such as "re_1Nq…" or a code such as "needs_response": short,
 * and only letters, digits and '_'. */
static const char *
member_token (JsonObject *object,
              const char *name,
              const char *prefix)
{
  const char *value = member_string (object, name);

  if (value == NULL || *value == '\0' || strlen (value) > MAX_ID_LENGTH ||
      (prefix != NULL && !g_str_has_prefix (value, prefix)))
    return NULL;
  for (const char *c = value; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_')
      return NULL;
  return value;
}

/* The payment an object of Stripe's is about: by its PaymentIntent, or by
 * its charge (the legacy charges mode keeps the charge's id). */
static TillPayment *
find_payment (TillWebhooks *self,
              JsonObject   *object)
{
  const char *intent = member_token (object, "payment_intent", "pi_");
  const char *charge = member_token (object, "charge", "ch_");
  TillPayment *p = NULL;

  if (intent != NULL)
    p = till_db_get_payment_by_stripe_id (self->db, intent);
  if (p == NULL && charge != NULL)
    p = till_db_get_payment_by_stripe_id (self->db, charge);
  return p;
}

/* Stripe's amount of the object in the payment's customary minor units,
 * or FALSE when the two do not fit together. */
static gboolean
customary_amount (JsonObject  *object,
                  TillPayment *p,
                  gint64      *out_amount)
{
  const char *currency = member_string (object, "currency");
  gint64 stripe_amount;

  if (currency == NULL || g_ascii_strcasecmp (currency, p->currency) != 0 ||
      !member_int (object, "amount", &stripe_amount) || stripe_amount <= 0)
    return FALSE;
  return till_money_from_stripe (stripe_amount, p->currency, out_amount, NULL);
}

/* Refunds */

static const char *
refund_status (const char *stripe_status)
{
  if (g_strcmp0 (stripe_status, "succeeded") == 0)
    return TILL_STATUS_SUCCEEDED;
  if (g_strcmp0 (stripe_status, "pending") == 0 || g_strcmp0 (stripe_status, "requires_action") == 0)
    return TILL_STATUS_PENDING;
  if (g_strcmp0 (stripe_status, "failed") == 0 || g_strcmp0 (stripe_status, "canceled") == 0)
    return TILL_STATUS_FAILED;
  return NULL;
}

/* One refund object. Till's own refunds carry metadata[till_refund_id];
 * their state follows Stripe's once their request has come back. */
static gboolean
apply_refund (TillWebhooks  *self,
              JsonObject    *refund,
              GError       **error)
{
  const char *stripe_id = member_token (refund, "id", "re_");
  const char *status = refund_status (member_string (refund, "status"));
  const char *own;
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(TillRefund) r = NULL;
  gint64 amount;

  own = member_token (member_object (refund, "metadata"), "till_refund_id", "ref_");
  if (own != NULL)
    {
      /* Till's own: a refund pending at the card network that has now
       * succeeded or failed. A request still on its way (no Stripe id on
       * the row yet) records the outcome itself. */
      g_autoptr(GError) local_error = NULL;

      if (stripe_id == NULL || status == NULL)
        return TRUE;
      /* Its answer was lost: the event tells its Stripe id. While the
       * request is still on its way, Stripe is asked to send the event
       * again (a 500) rather than have it dropped. */
      if (till_payments_is_busy (self->payments, own))
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS,
                       "Refund %s is being sent to Stripe now", own);
          return FALSE;
        }
      if (!till_db_adopt_refund (self->db, own, stripe_id, &local_error) && local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!till_db_update_refund_state (self->db, own, stripe_id, status,
                                        g_str_equal (status, TILL_STATUS_FAILED)
                                          ? (member_token (refund, "failure_reason", NULL) ?: "refund_failed")
                                          : (g_str_equal (status, TILL_STATUS_PENDING) ? "refund_pending" : NULL),
                                        error))
        return FALSE;
      g_message ("Refund %s (Stripe %s): %s", own, stripe_id, status);
      return TRUE;
    }
  if (stripe_id == NULL || status == NULL)
    {
      g_warning ("A Stripe refund in a webhook event has no usable id or status; left alone");
      return TRUE;
    }
  p = find_payment (self, refund);
  if (p == NULL)
    {
      g_message ("Stripe refund %s is of no payment of this shop", stripe_id);
      return TRUE;
    }
  if (!customary_amount (refund, p, &amount))
    {
      g_warning ("Stripe refund %s does not fit payment %s (currency or amount); left alone",
                 stripe_id, p->id);
      return TRUE;
    }

  r = g_new0 (TillRefund, 1);
  r->id = till_crypto_new_id ("ref");
  r->payment_id = g_strdup (p->id);
  r->stripe_id = g_strdup (stripe_id);
  r->amount = amount;
  r->status = g_strdup (status);
  r->reason = g_strdup (member_token (refund, "reason", NULL));
  if (!member_int (refund, "created", &r->created) || r->created <= 0)
    r->created = g_get_real_time () / G_USEC_PER_SEC;
  if (!till_db_record_stripe_refund (self->db, r, error))
    return FALSE;
  g_message ("Stripe refund %s of payment %s: %s", stripe_id, p->id, status);
  return TRUE;
}

/* charge.refunded carries the charge, and (up to API version 2022-11-15)
 * its refunds; refund.* events carry one refund. */
static gboolean
apply_charge_refunds (TillWebhooks  *self,
                      JsonObject    *charge,
                      GError       **error)
{
  JsonObject *list = member_object (charge, "refunds");
  JsonNode *data = list != NULL ? json_object_get_member (list, "data") : NULL;
  JsonArray *refunds;

  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
    return TRUE;
  refunds = json_node_get_array (data);
  for (guint i = 0; i < json_array_get_length (refunds); i++)
    {
      JsonNode *node = json_array_get_element (refunds, i);
      JsonObject *refund;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      refund = json_node_get_object (node);
      /* A refund in the list names its charge, and maybe not its intent. */
      if (member_string (refund, "payment_intent") == NULL && member_string (charge, "payment_intent") != NULL)
        json_object_set_string_member (refund, "payment_intent", member_string (charge, "payment_intent"));
      if (!apply_refund (self, refund, error))
        return FALSE;
    }
  return TRUE;
}

/* Disputes */

static gboolean
apply_dispute (TillWebhooks  *self,
               JsonObject    *dispute,
               GError       **error)
{
  const char *id = member_token (dispute, "id", "dp_");
  const char *status = member_token (dispute, "status", NULL);
  g_autoptr(TillPayment) p = NULL;
  gint64 amount;
  gint64 created;

  if (id == NULL || status == NULL)
    {
      g_warning ("A Stripe dispute in a webhook event has no usable id or status; left alone");
      return TRUE;
    }
  p = find_payment (self, dispute);
  if (p == NULL)
    {
      g_message ("Stripe dispute %s is of no payment of this shop", id);
      return TRUE;
    }
  if (!customary_amount (dispute, p, &amount))
    {
      g_warning ("Stripe dispute %s does not fit payment %s (currency or amount); left alone", id, p->id);
      return TRUE;
    }
  if (!member_int (dispute, "created", &created) || created <= 0)
    created = g_get_real_time () / G_USEC_PER_SEC;
  if (!till_db_record_dispute (self->db, id, p->id, amount, member_token (dispute, "reason", NULL),
                               status, created, error))
    return FALSE;
  g_warning ("Payment %s is disputed (%s): %s", p->id, id, status);
  return TRUE;
}

/* Handling */

typedef enum
{
  KIND_IGNORED,
  KIND_REFUND,
  KIND_CHARGE_REFUNDS,
  KIND_DISPUTE,
  KIND_PAYMENT_INTENT,
} Kind;

static const struct
{
  const char *type;
  Kind        kind;
} event_kinds[] = {
  { "refund.created", KIND_REFUND },
  { "refund.updated", KIND_REFUND },
  { "refund.failed", KIND_REFUND },
  { "charge.refund.updated", KIND_REFUND },
  { "charge.refunded", KIND_CHARGE_REFUNDS },
  { "charge.dispute.created", KIND_DISPUTE },
  { "charge.dispute.updated", KIND_DISPUTE },
  { "charge.dispute.closed", KIND_DISPUTE },
  { "charge.dispute.funds_withdrawn", KIND_DISPUTE },
  { "charge.dispute.funds_reinstated", KIND_DISPUTE },
  { "payment_intent.succeeded", KIND_PAYMENT_INTENT },
  { "payment_intent.payment_failed", KIND_PAYMENT_INTENT },
  { "payment_intent.canceled", KIND_PAYMENT_INTENT },
  { "payment_intent.processing", KIND_PAYMENT_INTENT },
};

static Kind
event_kind (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (event_kinds); i++)
    if (g_str_equal (event_kinds[i].type, type))
      return event_kinds[i].kind;
  return KIND_IGNORED;
}

typedef struct
{
  char   *id;
  char   *type;
  gint64  created;
} Event;

static void
event_free (Event *event)
{
  g_free (event->id);
  g_free (event->type);
  g_free (event);
}

/* The event's id recorded, with whatever the handling wrote, at once. */
static gboolean
record_event (TillWebhooks  *self,
              Event         *event,
              GError       **error)
{
  if (!till_db_add_stripe_event (self->db, event->id, event->type, event->created, error))
    {
      till_db_rollback (self->db);
      return FALSE;
    }
  if (!till_db_commit (self->db, error))
    {
      till_db_rollback (self->db);
      return FALSE;
    }
  return TRUE;
}

static void
resolved_payment_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillWebhooks *self = g_task_get_source_object (task);
  Event *event = g_task_get_task_data (task);
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(GError) error = NULL;

  p = till_payments_confirm_finish (TILL_PAYMENTS (object), result, &error);
  if (p == NULL && !g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
    {
      /* Not recorded: Stripe sends the event again, and it is tried again. */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (p != NULL)
    g_message ("Payment %s read back from Stripe after %s %s: %s", p->id, event->type, event->id, p->status);
  if (!till_db_begin (self->db, &error) || !record_event (self, event, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, (gpointer) "handled", NULL);
}

/* A PaymentIntent event for a payment whose answer Till never got: the
 * intent is read back from Stripe (a GET, never a new charge) by the code
 * that resolves payments after a crash. Returns FALSE when there is
 * nothing to do. */
static gboolean
resolve_payment (TillWebhooks *self,
                 JsonObject   *intent,
                 GTask        *task)
{
  const char *intent_id = member_token (intent, "id", "pi_");
  const char *payment_id = member_token (member_object (intent, "metadata"), "till_payment_id", "pay_");
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(GError) error = NULL;
  gint64 amount;

  if (intent_id == NULL || payment_id == NULL)
    return FALSE;
  p = till_db_get_payment (self->db, payment_id);
  /* A payment on its way is settled by the request that carries it. */
  if (p == NULL || !g_str_equal (p->mode, "payment_intents") ||
      !g_str_equal (p->status, TILL_STATUS_PENDING) || till_payments_is_busy (self->payments, p->id))
    return FALSE;
  /* The intent must be this payment's: its own id if one is known, and
   * the same sum of money. */
  if ((p->stripe_id != NULL && !g_str_equal (p->stripe_id, intent_id)) ||
      !customary_amount (intent, p, &amount) || amount != p->amount)
    {
      g_warning ("PaymentIntent %s does not match payment %s; left alone", intent_id, p->id);
      return FALSE;
    }
  if (p->stripe_id == NULL)
    {
      p->stripe_id = g_strdup (intent_id);
      if (!till_db_update_payment (self->db, p, &error))
        {
          g_warning ("Payment %s: %s", p->id, error->message);
          return FALSE;
        }
    }
  till_payments_confirm_async (self->payments, p, resolved_payment_cb, g_object_ref (task));
  return TRUE;
}

void
till_webhooks_handle_async (TillWebhooks        *self,
                            JsonObject          *event_object,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GError) error = NULL;
  JsonObject *object = member_object (member_object (event_object, "data"), "object");
  const char *id = member_token (event_object, "id", "evt_");
  const char *type = member_string (event_object, "type");
  Event *event;
  gboolean done;

  g_task_set_source_tag (task, till_webhooks_handle_async);
  if (id == NULL || type == NULL || strlen (type) > MAX_ID_LENGTH || object == NULL)
    {
      g_task_return_new_error (task, TILL_SERVER_ERROR, TILL_SERVER_ERROR_FAILED,
                               "Not a Stripe event (id, type or data.object)");
      return;
    }
  event = g_new0 (Event, 1);
  event->id = g_strdup (id);
  event->type = g_strdup (type);
  if (!member_int (event_object, "created", &event->created))
    event->created = 0;
  g_task_set_task_data (task, event, (GDestroyNotify) event_free);

  if (till_db_has_stripe_event (self->db, id))
    {
      g_task_return_pointer (task, (gpointer) "duplicate", NULL);
      return;
    }

  switch (event_kind (type))
    {
    case KIND_PAYMENT_INTENT:
      if (resolve_payment (self, object, task))
        return;
      done = till_db_begin (self->db, &error);
      break;
    case KIND_REFUND:
      done = till_db_begin (self->db, &error) && apply_refund (self, object, &error);
      break;
    case KIND_CHARGE_REFUNDS:
      done = till_db_begin (self->db, &error) && apply_charge_refunds (self, object, &error);
      break;
    case KIND_DISPUTE:
      done = till_db_begin (self->db, &error) && apply_dispute (self, object, &error);
      break;
    case KIND_IGNORED:
    default:
      done = till_db_begin (self->db, &error);
      break;
    }
  if (!done)
    {
      till_db_rollback (self->db);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!record_event (self, event, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, (gpointer) (event_kind (type) == KIND_IGNORED ? "ignored" : "handled"), NULL);
}

const char *
till_webhooks_handle_finish (TillWebhooks  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
till_webhooks_dispose (GObject *object)
{
  TillWebhooks *self = (TillWebhooks *) object;

  g_clear_object (&self->payments);
  g_clear_object (&self->db);

  G_OBJECT_CLASS (till_webhooks_parent_class)->dispose (object);
}

static void
till_webhooks_class_init (TillWebhooksClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = till_webhooks_dispose;
}

static void
till_webhooks_init (TillWebhooks *self)
{
}

TillWebhooks *
till_webhooks_new (TillDb           *db,
                   TillPayments     *payments,
                   TillServerConfig *config)
{
  TillWebhooks *self = g_object_new (TILL_TYPE_WEBHOOKS, NULL);

  self->db = g_object_ref (db);
  self->payments = g_object_ref (payments);
  self->config = config;
  return self;
}
