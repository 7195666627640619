/* fuzz-money-format.c: writing any amount, and reading it back
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: eight bytes of amount in minor units (little-endian, any sign),
 * one byte choosing the currency, one the locale. What must hold: both
 * formats give UTF-8; a positive amount reads back as itself; a negative
 * one (what a refund prints) is refused as negative, never taken as a sale.
 * In Stripe's form (what till-server sends): an amount Stripe is sent is
 * 0 to 99999999 of Stripe's minor units, a multiple of 100 in ISK and UGX
 * and of 10 in the three-decimal currencies, the same sum of money, and it
 * reads back from Stripe as itself; what cannot be sent is an error of
 * TILL_MONEY_ERROR, never a rounded amount.
 */
#include "config.h"

#include <string.h>

#include "till-money.h"
#include "till-fuzz.h"
#include "till-fuzz-money.h"

/* Known currencies only: formatting an unknown one is a caller's error. */
static const char * const currencies[] = {
  "USD", "EUR", "JPY", "KRW", "KWD", "BHD", "CHF", "INR", "GBP",
  "ISK", "MGA", "HUF", "TWD", "UGX",
};

static gint64
power_of_ten (int exponent)
{
  gint64 factor = 1;

  g_assert_cmpint (exponent, >=, 0);
  while (exponent-- > 0)
    factor *= 10;
  return factor;
}

static void
check_stripe_form (gint64      minor,
                   const char *currency)
{
  g_autoptr(GError) error = NULL;
  gint64 stripe = -1;
  gint64 back = -1;
  int exponent = till_currency_get_exponent (currency);
  int stripe_exponent = till_currency_get_stripe_exponent (currency);

  if (!till_money_to_stripe (minor, currency, &stripe, &error))
    {
      g_assert_true (error->domain == TILL_MONEY_ERROR);
      g_assert_cmpint (stripe, ==, -1);
      return;
    }
  g_assert_no_error (error);
  /* Zero converts (to zero): whether a payment may be of zero is the
   * API's check, not the conversion's. */
  g_assert_cmpint (minor, >=, 0);
  g_assert_cmpint (minor, <=, till_money_get_max_amount (currency));
  g_assert_cmpint (stripe, >=, 0);
  g_assert_cmpint (stripe, <=, TILL_MONEY_STRIPE_MAX_AMOUNT);
  /* The same sum: Stripe's unit is never coarser than the customary one. */
  g_assert_cmpint (stripe_exponent, >=, exponent);
  g_assert_cmpint (stripe, ==, minor * power_of_ten (stripe_exponent - exponent));
  if (g_str_equal (currency, "ISK") || g_str_equal (currency, "UGX"))
    g_assert_cmpint (stripe % 100, ==, 0);
  if (stripe_exponent == 3)
    g_assert_cmpint (stripe % 10, ==, 0);

  g_assert_true (till_money_from_stripe (stripe, currency, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (back, ==, minor);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *formatted = NULL;
  g_autofree char *decimal = NULL;
  g_autoptr(GError) error = NULL;
  const char *currency;
  const char *locale;
  guint64 bits;
  gint64 minor;
  gint64 parsed = -1;

  if (size != 10)
    return 0;
  memcpy (&bits, data, sizeof bits);
  minor = (gint64) GUINT64_FROM_LE (bits);
  currency = currencies[data[8] % G_N_ELEMENTS (currencies)];
  locale = till_fuzz_locales[data[9] % G_N_ELEMENTS (till_fuzz_locales)];

  formatted = till_money_format (minor, currency, locale);
  decimal = till_money_to_decimal_string (minor, currency);
  g_assert_nonnull (formatted);
  g_assert_nonnull (decimal);
  g_assert_true (g_utf8_validate (formatted, -1, NULL));
  g_assert_true (g_utf8_validate (decimal, -1, NULL));

  check_stripe_form (minor, currency);

  if (minor < 0)
    {
      g_assert_false (till_money_parse (formatted, currency, locale, &parsed, &error));
      g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE);
      return 0;
    }
  if (!till_money_parse (formatted, currency, locale, &parsed, &error))
    g_error ("“%s” (%" G_GINT64_FORMAT " %s, %s) does not read back: %s",
             formatted, minor, currency, locale != NULL ? locale : "(current)", error->message);
  g_assert_cmpint (parsed, ==, minor);
  return 0;
}
