/* till-money.h: amounts of money as integer minor units
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_MONEY_ERROR (till_money_error_quark ())

/**
 * TillMoneyError:
 * @TILL_MONEY_ERROR_EMPTY: nothing was typed (only spaces, or only the
 *   currency symbol)
 * @TILL_MONEY_ERROR_INVALID: letters, stray symbols, misplaced separators or
 *   invalid UTF-8
 * @TILL_MONEY_ERROR_TOO_MANY_DECIMALS: more fraction digits than the
 *   currency's ISO 4217 exponent
 * @TILL_MONEY_ERROR_NEGATIVE: a minus sign or an amount in parentheses
 * @TILL_MONEY_ERROR_OVERFLOW: the amount is past %G_MAXINT64 minor units
 * @TILL_MONEY_ERROR_UNKNOWN_CURRENCY: the currency code is %NULL or not in
 *   the ISO 4217 table
 * @TILL_MONEY_ERROR_NOT_ACCEPTED: Stripe's rules for the currency refuse
 *   the amount: a three-decimal amount whose last digit is not 0, or an
 *   amount from Stripe with a fraction the customary unit cannot hold
 * @TILL_MONEY_ERROR_TOO_LARGE: the amount is past what Stripe takes in one
 *   payment (%TILL_MONEY_STRIPE_MAX_AMOUNT in Stripe's minor units)
 * @TILL_MONEY_ERROR_NOT_AT_STRIPE: Stripe does not take the currency, or
 *   not in a form Till can send it safely
 *
 * Error codes of the %TILL_MONEY_ERROR domain, set by till_money_parse(),
 * till_money_to_stripe() and till_money_from_stripe().
 */
typedef enum
{
  TILL_MONEY_ERROR_EMPTY,
  TILL_MONEY_ERROR_INVALID,
  TILL_MONEY_ERROR_TOO_MANY_DECIMALS,
  TILL_MONEY_ERROR_NEGATIVE,
  TILL_MONEY_ERROR_OVERFLOW,
  TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
  TILL_MONEY_ERROR_NOT_ACCEPTED,
  TILL_MONEY_ERROR_TOO_LARGE,
  TILL_MONEY_ERROR_NOT_AT_STRIPE,
} TillMoneyError;

/* Eight digits of Stripe's minor units: "up to eight digits for all other
 * currencies (for example, a value of 99999999 for a charge of 999,999.99
 * USD)", https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts */
#define TILL_MONEY_STRIPE_MAX_AMOUNT G_GINT64_CONSTANT (99999999)

GQuark      till_money_error_quark       (void);

int         till_currency_get_exponent   (const char  *code);
gboolean    till_currency_is_known       (const char  *code);
const char *till_currency_get_symbol     (const char  *code);
int         till_currency_get_stripe_exponent (const char *code);
gint64      till_money_get_max_amount    (const char  *currency);

gboolean    till_money_to_stripe         (gint64       minor,
                                          const char  *currency,
                                          gint64      *out_stripe,
                                          GError     **error);
gboolean    till_money_from_stripe       (gint64       stripe_amount,
                                          const char  *currency,
                                          gint64      *out_minor,
                                          GError     **error);

gboolean    till_money_parse             (const char  *text,
                                          const char  *currency,
                                          const char  *locale,
                                          gint64      *out_minor,
                                          GError     **error);
char       *till_money_format            (gint64       minor,
                                          const char  *currency,
                                          const char  *locale) G_GNUC_WARN_UNUSED_RESULT;
char       *till_money_to_decimal_string (gint64       minor,
                                          const char  *currency) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
