/* till-payment-item.c: one payment of the history, as the server sent it
 *
 * A read-only view of a payment object of GET /api/payments. The server's
 * answer is trusted for nothing but its shape: a member of the wrong type
 * reads as absent, so a strange answer shows as blanks, never as a crash.
 * The words for its state and card are here, not in a widget, so that the
 * tests without a display check them.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-payment-item"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-json-util.h"
#include "till-money.h"
#include "till-payment-item.h"

struct _TillPaymentItem
{
  GObject     parent_instance;

  JsonObject *object;
  GDateTime  *created;
};

G_DEFINE_FINAL_TYPE (TillPaymentItem, till_payment_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_CREATED,
  PROP_AMOUNT,
  PROP_CURRENCY,
  PROP_BRAND,
  PROP_LAST4,
  PROP_CASHIER,
  PROP_STATUS,
  PROP_AMOUNT_REFUNDED,
  PROP_DESCRIPTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gint64
member_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static JsonObject *
card (TillPaymentItem *self)
{
  JsonNode *node = json_object_get_member (self->object, "card");

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

TillPaymentItem *
till_payment_item_new (JsonObject *object)
{
  TillPaymentItem *self;
  const char *created;

  g_return_val_if_fail (object != NULL, NULL);

  if (till_json_get_string (object, "id") == NULL)
    return NULL;

  self = g_object_new (TILL_TYPE_PAYMENT_ITEM, NULL);
  self->object = json_object_ref (object);
  created = till_json_get_string (object, "created");
  self->created = created ? g_date_time_new_from_iso8601 (created, NULL) : NULL;
  return self;
}

/* The payment as the server now has it (after a refund, say), for the
 * same id: every property is notified, so that what shows the item
 * follows. FALSE, changing nothing, for another payment or no id. */
gboolean
till_payment_item_update (TillPaymentItem *self,
                          JsonObject      *object)
{
  const char *created;

  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  if (g_strcmp0 (till_json_get_string (object, "id"), till_payment_item_get_id (self)) != 0)
    return FALSE;
  if (object == self->object)
    return TRUE;

  json_object_unref (self->object);
  self->object = json_object_ref (object);
  g_clear_pointer (&self->created, g_date_time_unref);
  created = till_json_get_string (object, "created");
  self->created = created ? g_date_time_new_from_iso8601 (created, NULL) : NULL;

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_ID + 1; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

const char *
till_payment_item_get_id (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (self->object, "id");
}

GDateTime *
till_payment_item_get_created (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return self->created;
}

gint64
till_payment_item_get_amount (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), 0);
  return member_int (self->object, "amount");
}

const char *
till_payment_item_get_currency (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (self->object, "currency");
}

const char *
till_payment_item_get_brand (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (card (self), "brand");
}

const char *
till_payment_item_get_last4 (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (card (self), "last4");
}

const char *
till_payment_item_get_cashier (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (self->object, "cashier");
}

const char *
till_payment_item_get_status (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (self->object, "status");
}

gint64
till_payment_item_get_amount_refunded (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), 0);
  return member_int (self->object, "amount_refunded");
}

const char *
till_payment_item_get_description (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return till_json_get_string (self->object, "description");
}

JsonObject *
till_payment_item_get_json (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  return self->object;
}

char *
till_payment_item_format_time (TillPaymentItem *self,
                               GDateTime       *now)
{
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) yesterday = NULL;
  g_autofree char *clock = NULL;

  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);
  g_return_val_if_fail (now != NULL, NULL);

  if (self->created == NULL)
    return g_strdup ("");

  when = g_date_time_to_timezone (self->created, g_date_time_get_timezone (now));
  yesterday = g_date_time_add_days (now, -1);
  /* TRANSLATORS: a time of day in the payment history, see strftime */
  clock = g_date_time_format (when, C_("time", "%H:%M"));
  if (g_date_time_get_year (when) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (now))
    return g_steal_pointer (&clock);
  if (g_date_time_get_year (when) == g_date_time_get_year (yesterday) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (yesterday))
    /* TRANSLATORS: %s is a time of day, "14:32" */
    return g_strdup_printf (_("Yesterday %s"), clock);
  if (g_date_time_get_year (when) == g_date_time_get_year (now))
    /* TRANSLATORS: a date and time this year in the payment history, see strftime */
    return g_date_time_format (when, C_("time", "%-d %b %H:%M"));
  /* TRANSLATORS: a date and time of another year in the payment history, see strftime */
  return g_date_time_format (when, C_("time", "%-d %b %Y %H:%M"));
}

const char *
till_payment_item_describe_status (TillPaymentItem *self)
{
  const char *status;

  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);

  status = till_payment_item_get_status (self);
  if (g_strcmp0 (status, "succeeded") == 0)
    {
      gint64 refunded = till_payment_item_get_amount_refunded (self);

      if (refunded > 0 && refunded >= till_payment_item_get_amount (self))
        return _("Refunded");
      if (refunded > 0)
        return _("Partly Refunded");
      return _("Paid");
    }
  if (g_strcmp0 (status, "declined") == 0)
    return _("Declined");
  if (g_strcmp0 (status, "failed") == 0)
    return _("Failed");
  if (g_strcmp0 (status, "requires_action") == 0)
    return _("Waiting for Customer");
  /* pending, or a state this terminal does not know: the outcome is not
   * known here, which is never the same as failed. */
  return _("Unknown");
}

static const char *
brand_name (const char *brand)
{
  static const struct { const char *brand; const char *name; } names[] = {
    { "visa", "Visa" },
    { "mastercard", "Mastercard" },
    { "amex", "American Express" },
    { "discover", "Discover" },
    { "diners", "Diners Club" },
    { "jcb", "JCB" },
    { "unionpay", "UnionPay" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (brand, names[i].brand) == 0)
      return names[i].name;
  return _("Card");
}

char *
till_payment_item_describe_card (TillPaymentItem *self)
{
  const char *last4;

  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), NULL);

  last4 = till_payment_item_get_last4 (self);
  if (last4 == NULL)
    return NULL;
  /* TRANSLATORS: a card brand ("Visa") and the card number's last four digits */
  return g_strdup_printf (_("%s •••• %s"), brand_name (till_payment_item_get_brand (self)), last4);
}

gboolean
till_payment_item_is_refundable (TillPaymentItem *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_ITEM (self), FALSE);

  /* A currency this terminal does not know cannot be put in money, in
   * the refund dialog's amount or anywhere else. */
  return g_strcmp0 (till_payment_item_get_status (self), "succeeded") == 0 &&
         till_currency_is_known (till_payment_item_get_currency (self)) &&
         till_payment_item_get_amount_refunded (self) < till_payment_item_get_amount (self);
}

static void
till_payment_item_finalize (GObject *object)
{
  TillPaymentItem *self = (TillPaymentItem *)object;

  g_clear_pointer (&self->object, json_object_unref);
  g_clear_pointer (&self->created, g_date_time_unref);

  G_OBJECT_CLASS (till_payment_item_parent_class)->finalize (object);
}

static void
till_payment_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TillPaymentItem *self = TILL_PAYMENT_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, till_payment_item_get_id (self));
      break;
    case PROP_CREATED:
      g_value_set_boxed (value, self->created);
      break;
    case PROP_AMOUNT:
      g_value_set_int64 (value, till_payment_item_get_amount (self));
      break;
    case PROP_CURRENCY:
      g_value_set_string (value, till_payment_item_get_currency (self));
      break;
    case PROP_BRAND:
      g_value_set_string (value, till_payment_item_get_brand (self));
      break;
    case PROP_LAST4:
      g_value_set_string (value, till_payment_item_get_last4 (self));
      break;
    case PROP_CASHIER:
      g_value_set_string (value, till_payment_item_get_cashier (self));
      break;
    case PROP_STATUS:
      g_value_set_string (value, till_payment_item_get_status (self));
      break;
    case PROP_AMOUNT_REFUNDED:
      g_value_set_int64 (value, till_payment_item_get_amount_refunded (self));
      break;
    case PROP_DESCRIPTION:
      g_value_set_string (value, till_payment_item_get_description (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
minor_units_property (const char *name)
{
  return g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0,
                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
till_payment_item_class_init (TillPaymentItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_payment_item_finalize;
  object_class->get_property = till_payment_item_get_property;

  properties[PROP_ID] = string_property ("id");
  properties[PROP_CREATED] = g_param_spec_boxed ("created", NULL, NULL, G_TYPE_DATE_TIME,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_AMOUNT] = minor_units_property ("amount");
  properties[PROP_CURRENCY] = string_property ("currency");
  properties[PROP_BRAND] = string_property ("brand");
  properties[PROP_LAST4] = string_property ("last4");
  properties[PROP_CASHIER] = string_property ("cashier");
  properties[PROP_STATUS] = string_property ("status");
  properties[PROP_AMOUNT_REFUNDED] = minor_units_property ("amount-refunded");
  properties[PROP_DESCRIPTION] = string_property ("description");
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_payment_item_init (TillPaymentItem *self)
{
}
