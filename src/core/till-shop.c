/* till-shop.c: the shop's settings, read once from GET /api/config
 *
 * The terminal asks the shop's server for its settings after each sign-in
 * and keeps them in one object that the charge screen and the card page
 * read: the currency every amount is typed in, and how the card page
 * reaches Stripe. Nothing here is a secret: the publishable key is meant
 * for the page.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-shop"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-backend-answers.h"
#include "till-money.h"
#include "till-shop.h"

struct _TillShop
{
  GObject           parent_instance;

  TillConfigAnswer *config;
};

G_DEFINE_FINAL_TYPE (TillShop, till_shop, G_TYPE_OBJECT)

G_DEFINE_QUARK (till-shop-error-quark, till_shop_error)

TillShop *
till_shop_new_from_json (JsonObject  *object,
                         GError     **error)
{
  g_autoptr(TillConfigAnswer) config = NULL;
  g_autoptr(GError) local_error = NULL;
  TillShop *self;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (object == NULL || (config = till_config_answer_read (object, &local_error)) == NULL)
    {
      g_info ("The shop's settings are not usable: %s",
              local_error ? local_error->message : "not an object");
      g_set_error_literal (error, TILL_SHOP_ERROR, TILL_SHOP_ERROR_UNUSABLE,
                           _("The shop server’s settings are not usable."));
      return NULL;
    }
  if (!till_currency_is_known (config->currency))
    {
      g_set_error_literal (error, TILL_SHOP_ERROR, TILL_SHOP_ERROR_UNKNOWN_CURRENCY,
                           _("The shop server names a currency this terminal does not know."));
      return NULL;
    }
  /* Money safety: both ends must agree on where the decimal point is. */
  if (config->currency_exponent != till_currency_get_exponent (config->currency))
    {
      g_set_error (error, TILL_SHOP_ERROR, TILL_SHOP_ERROR_DECIMALS,
                   _("The shop server and this terminal disagree about the decimals of %s. Nothing "
                     "can be charged until that is fixed."), config->currency);
      return NULL;
    }

  self = g_object_new (TILL_TYPE_SHOP, NULL);
  self->config = g_steal_pointer (&config);
  return self;
}

const char *
till_shop_get_name (TillShop *self)
{
  g_return_val_if_fail (TILL_IS_SHOP (self), NULL);
  return self->config->shop_name;
}

const char *
till_shop_get_currency (TillShop *self)
{
  g_return_val_if_fail (TILL_IS_SHOP (self), NULL);
  return self->config->currency;
}

const char *
till_shop_get_publishable_key (TillShop *self)
{
  g_return_val_if_fail (TILL_IS_SHOP (self), NULL);
  return self->config->publishable_key;
}

const char *
till_shop_get_stripe_js_url (TillShop *self)
{
  g_return_val_if_fail (TILL_IS_SHOP (self), NULL);
  return self->config->stripe_js_url;
}

const char *
till_shop_get_mode (TillShop *self)
{
  g_return_val_if_fail (TILL_IS_SHOP (self), NULL);
  return self->config->mode;
}

gboolean
till_shop_uses_charges (TillShop *self)
{
  g_return_val_if_fail (TILL_IS_SHOP (self), FALSE);
  return g_strcmp0 (self->config->mode, "charges") == 0;
}

static void
till_shop_finalize (GObject *object)
{
  TillShop *self = TILL_SHOP (object);

  g_clear_pointer (&self->config, till_config_answer_free);

  G_OBJECT_CLASS (till_shop_parent_class)->finalize (object);
}

static void
till_shop_class_init (TillShopClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_shop_finalize;
}

static void
till_shop_init (TillShop *self)
{
}
