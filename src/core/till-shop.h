/* till-shop.h: the shop's settings, read once from GET /api/config
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_SHOP_ERROR (till_shop_error_quark ())

/**
 * TillShopError:
 * @TILL_SHOP_ERROR_UNUSABLE: the answer is not a shop's settings
 * @TILL_SHOP_ERROR_UNKNOWN_CURRENCY: a currency this terminal does not know
 * @TILL_SHOP_ERROR_DECIMALS: the server and the terminal disagree about
 *   where the currency's decimal point is
 *
 * The messages are sentences for the cashier.
 */
typedef enum
{
  TILL_SHOP_ERROR_UNUSABLE,
  TILL_SHOP_ERROR_UNKNOWN_CURRENCY,
  TILL_SHOP_ERROR_DECIMALS,
} TillShopError;

#define TILL_TYPE_SHOP (till_shop_get_type ())
G_DECLARE_FINAL_TYPE (TillShop, till_shop, TILL, SHOP, GObject)

GQuark       till_shop_error_quark           (void);
/* The settings read strictly (till-backend-answers.c), then checked
 * against what this terminal knows about money. */
TillShop    *till_shop_new_from_json         (JsonObject  *object,
                                              GError     **error);
/* May be NULL. */
const char  *till_shop_get_name              (TillShop    *self);
/* Upper case, a code till-money knows, with the same decimals here and
 * at the server. */
const char  *till_shop_get_currency          (TillShop    *self);
const char  *till_shop_get_publishable_key   (TillShop    *self);
const char  *till_shop_get_stripe_js_url     (TillShop    *self);
/* "payment_intents" or "charges", as the card page is told. */
const char  *till_shop_get_mode              (TillShop    *self);
/* TRUE when the card page hands over tokens (the Charges API) rather than
 * PaymentMethods. */
gboolean     till_shop_uses_charges          (TillShop    *self);

G_END_DECLS
