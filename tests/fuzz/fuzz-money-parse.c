/* fuzz-money-parse.c: reading an amount the way a cashier may type it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: one byte choosing the currency, one choosing the locale, then the
 * text. What must hold: no memory error; an accepted amount is never
 * negative; and what was accepted, formatted again, reads back as the same
 * number of minor units (the round trip test-money checks on chosen values).
 */
#include "config.h"

#include "till-money.h"
#include "till-fuzz.h"
#include "till-fuzz-money.h"

/* Every exponent (0, 2, 3), Stripe's special cases, and codes that are not
 * ISO 4217 or not in upper case. */
static const char * const currencies[] = {
  "USD", "EUR", "JPY", "KRW", "KWD", "BHD", "CHF", "INR", "GBP",
  "ISK", "MGA", "HUF", "TWD", "UGX", "XXX", "usd", "",
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autofree char *formatted = NULL;
  g_autoptr(GError) error = NULL;
  const char *currency;
  const char *locale;
  gint64 minor = -1;
  gint64 again = -1;

  if (size < 2)
    return 0;
  currency = currencies[data[0] % G_N_ELEMENTS (currencies)];
  locale = till_fuzz_locales[data[1] % G_N_ELEMENTS (till_fuzz_locales)];
  text = till_fuzz_strndup (data + 2, size - 2);

  if (!till_money_parse (text, currency, locale, &minor, &error))
    {
      g_assert_error (error, TILL_MONEY_ERROR, error->code);
      g_assert_cmpint (error->code, >=, TILL_MONEY_ERROR_EMPTY);
      g_assert_cmpint (error->code, <=, TILL_MONEY_ERROR_UNKNOWN_CURRENCY);
      return 0;
    }

  g_assert_cmpint (minor, >=, 0);
  formatted = till_money_format (minor, currency, locale);
  g_assert_nonnull (formatted);
  g_assert_true (g_utf8_validate (formatted, -1, NULL));
  if (!till_money_parse (formatted, currency, locale, &again, &error))
    g_error ("“%s” (%" G_GINT64_FORMAT " %s, %s) was formatted from an accepted amount and refused: %s",
             formatted, minor, currency, locale != NULL ? locale : "(current)", error->message);
  g_assert_cmpint (again, ==, minor);
  return 0;
}
