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
 *
 * Error codes of the %TILL_MONEY_ERROR domain, set by till_money_parse().
 */
typedef enum
{
  TILL_MONEY_ERROR_EMPTY,
  TILL_MONEY_ERROR_INVALID,
  TILL_MONEY_ERROR_TOO_MANY_DECIMALS,
  TILL_MONEY_ERROR_NEGATIVE,
  TILL_MONEY_ERROR_OVERFLOW,
  TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
} TillMoneyError;

GQuark      till_money_error_quark       (void);

int         till_currency_get_exponent   (const char  *code);
gboolean    till_currency_is_known       (const char  *code);
const char *till_currency_get_symbol     (const char  *code);

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
