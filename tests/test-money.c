/* test-money.c: parsing and formatting of money amounts
 *
 * The tests rely on en_US, de_DE, ko_KR, ja_JP and fr_FR (all .UTF-8)
 * being generated, as the project's test script does. Expected strings are
 * what glibc's locale data gives (Debian 12, glibc 2.36). A missing locale
 * skips its tests with a message instead of passing on the POSIX fallback.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <locale.h>
#include <string.h>

#include <glib.h>

#include "till-money.h"

/* Deliberately not installed anywhere: exercises the POSIX fallback. */
#define MISSING_LOCALE "xx_XX.UTF-8"

#define NBSP   "\u00a0"
#define NNBSP  "\u202f"

static gboolean
locale_is_installed (const char *name)
{
  locale_t loc = newlocale (LC_ALL_MASK, name, (locale_t) 0);

  if (loc == (locale_t) 0)
    return FALSE;

  freelocale (loc);

  return TRUE;
}

/* Skips, with the reason, when a locale the test needs is missing, so a
 * machine without locales never passes on the POSIX fallback instead. */
static gboolean
require_locale (const char *name)
{
  g_autofree char *message = NULL;

  if (name == NULL || strcmp (name, "C") == 0)
    return TRUE;

  if (strcmp (name, MISSING_LOCALE) == 0)
    {
      if (!locale_is_installed (name))
        return TRUE;
      message = g_strdup_printf ("Locale %s exists on this machine, so the fallback "
                                 "for missing locales cannot be tested", name);
      g_test_skip (message);
      return FALSE;
    }

  if (locale_is_installed (name))
    return TRUE;

  message = g_strdup_printf ("Locale %s is not installed; add it to /etc/locale.gen "
                             "and run locale-gen", name);
  g_test_skip (message);

  return FALSE;
}

/* "de_DE.UTF-8" -> "de_DE", for test paths. */
static char *
locale_path_name (const char *locale)
{
  const char *dot;

  if (locale == NULL)
    return g_strdup ("current");

  dot = strchr (locale, '.');

  return dot != NULL ? g_strndup (locale, dot - locale) : g_strdup (locale);
}

/* Parsing */

typedef struct
{
  const char *name;
  const char *locale;
  const char *currency;
  const char *text;
  gint64      expected;
  int         error;     /* a TillMoneyError, or -1 for success */
} ParseCase;

#define OK(name, locale, currency, text, value) \
  { name, locale, currency, text, value, -1 }
#define FAIL(name, locale, currency, text, code) \
  { name, locale, currency, text, 0, TILL_MONEY_ERROR_ ## code }

#define EN "en_US.UTF-8"
#define DE "de_DE.UTF-8"
#define KO "ko_KR.UTF-8"
#define JA "ja_JP.UTF-8"
#define FR "fr_FR.UTF-8"

static const ParseCase parse_cases[] = {
  /* en_US: '.' decimal, ',' groups of three */
  OK ("plain", EN, "USD", "12.50", 1250),
  OK ("whole", EN, "USD", "12", 1200),
  OK ("one-decimal", EN, "USD", "12.5", 1250),
  OK ("leading-point", EN, "USD", ".5", 50),
  OK ("trailing-point", EN, "USD", "12.", 1200),
  OK ("zero", EN, "USD", "0", 0),
  OK ("zero-cents", EN, "USD", "0.00", 0),
  OK ("cent", EN, "USD", "0.01", 1),
  OK ("grouped", EN, "USD", "1,234.56", 123456),
  OK ("grouped-millions", EN, "USD", "1,234,567.89", 123456789),
  OK ("grouped-whole", EN, "USD", "1,000", 100000),
  OK ("ungrouped-large", EN, "USD", "1234567.89", 123456789),
  OK ("dollar", EN, "USD", "$12.50", 1250),
  OK ("dollar-space", EN, "USD", "$ 12.50", 1250),
  OK ("dollar-trailing", EN, "USD", "12.50$", 1250),
  OK ("us-dollar", EN, "USD", "US$12.50", 1250),
  OK ("code", EN, "USD", "USD 12.50", 1250),
  OK ("code-lower", EN, "USD", "usd12.50", 1250),
  OK ("code-trailing", EN, "USD", "12.50 USD", 1250),
  OK ("code-lower-currency", EN, "usd", "12.50", 1250),
  OK ("spaces", EN, "USD", "   12.50   ", 1250),
  OK ("tab-newline", EN, "USD", "\t12.50\n", 1250),
  OK ("nbsp-around", EN, "USD", NBSP "12.50" NBSP, 1250),
  OK ("narrow-nbsp-symbol", EN, "USD", "$" NNBSP "12.50", 1250),
  OK ("leading-zeros", EN, "USD", "0000000000000000000000000012.50", 1250),
  OK ("fullwidth-digits", EN, "USD", "１２.５０", 1250),
  OK ("keypad-comma", EN, "USD", "12,50", 1250),
  OK ("keypad-comma-one-digit", EN, "USD", "1,5", 150),
  OK ("comma-valid-grouping-wins", EN, "USD", "12,345", 1234500),
  OK ("max", EN, "USD", "92233720368547758.07", G_MAXINT64),
  OK ("max-grouped", EN, "USD", "92,233,720,368,547,758.07", G_MAXINT64),
  OK ("max-symbol", EN, "USD", "$92,233,720,368,547,758.07", G_MAXINT64),
  FAIL ("max-plus-one", EN, "USD", "92233720368547758.08", OVERFLOW),
  FAIL ("max-whole-overflow", EN, "USD", "92233720368547759", OVERFLOW),
  FAIL ("huge", EN, "USD", "100000000000000000000", OVERFLOW),
  FAIL ("huge-grouped", EN, "USD", "100,000,000,000,000,000,000.00", OVERFLOW),
  FAIL ("empty", EN, "USD", "", EMPTY),
  FAIL ("only-spaces", EN, "USD", "   ", EMPTY),
  FAIL ("only-nbsp", EN, "USD", NBSP NNBSP, EMPTY),
  FAIL ("only-symbol", EN, "USD", "$", EMPTY),
  FAIL ("only-code", EN, "USD", " USD ", EMPTY),
  FAIL ("letters", EN, "USD", "abc", INVALID),
  FAIL ("trailing-letter", EN, "USD", "12a", INVALID),
  FAIL ("inner-letter", EN, "USD", "1a2", INVALID),
  FAIL ("exponent", EN, "USD", "1e3", INVALID),
  FAIL ("hex", EN, "USD", "0x10", INVALID),
  FAIL ("double-point", EN, "USD", "1..2", INVALID),
  FAIL ("two-points", EN, "USD", "1.2.3", INVALID),
  FAIL ("misgrouped", EN, "USD", "1,2,3", INVALID),
  FAIL ("misgrouped-pairs", EN, "USD", "12,34,567", INVALID),
  FAIL ("group-too-long", EN, "USD", "1234,567", INVALID),
  FAIL ("leading-group", EN, "USD", ",123", INVALID),
  FAIL ("trailing-group", EN, "USD", "1,", INVALID),
  FAIL ("group-before-point", EN, "USD", "1,.50", INVALID),
  FAIL ("group-after-point", EN, "USD", "1.234,56", INVALID),
  FAIL ("inner-space", EN, "USD", "1 234", INVALID),
  FAIL ("only-point", EN, "USD", ".", INVALID),
  FAIL ("plus", EN, "USD", "+12", INVALID),
  FAIL ("other-symbol", EN, "USD", "12 €", INVALID),
  FAIL ("other-code", EN, "USD", "EUR 12", INVALID),
  FAIL ("symbol-twice", EN, "USD", "$12$", INVALID),
  FAIL ("unbalanced-open", EN, "USD", "(12", INVALID),
  FAIL ("unbalanced-close", EN, "USD", "12)", INVALID),
  FAIL ("empty-parentheses", EN, "USD", "( )", INVALID),
  FAIL ("minus-only", EN, "USD", "-", INVALID),
  FAIL ("minus-symbol-only", EN, "USD", "-$", INVALID),
  FAIL ("minus-twice", EN, "USD", "--12", INVALID),
  FAIL ("minus-letters", EN, "USD", "-abc", INVALID),
  FAIL ("vulgar-fraction", EN, "USD", "½", INVALID),
  FAIL ("superscript-digit", EN, "USD", "1²", INVALID),
  FAIL ("invalid-utf8", EN, "USD", "\xff" "12", INVALID),
  FAIL ("truncated-utf8", EN, "USD", "12\xc3", INVALID),
  FAIL ("three-decimals", EN, "USD", "12.345", TOO_MANY_DECIMALS),
  FAIL ("trailing-zero-decimals", EN, "USD", "12.000", TOO_MANY_DECIMALS),
  FAIL ("mill", EN, "USD", "0.001", TOO_MANY_DECIMALS),
  FAIL ("minus", EN, "USD", "-12.50", NEGATIVE),
  FAIL ("unicode-minus", EN, "USD", "\u221212.50", NEGATIVE),
  FAIL ("fullwidth-minus", EN, "USD", "\uff0d12.50", NEGATIVE),
  FAIL ("parenthesised", EN, "USD", "(12.50)", NEGATIVE),
  FAIL ("parenthesised-symbol", EN, "USD", "($12.50)", NEGATIVE),
  FAIL ("minus-before-symbol", EN, "USD", "-$12.50", NEGATIVE),
  FAIL ("minus-after-symbol", EN, "USD", "$-12.50", NEGATIVE),
  FAIL ("minus-trailing", EN, "USD", "12.50-", NEGATIVE),
  FAIL ("minus-space", EN, "USD", "- 12.50", NEGATIVE),
  FAIL ("minus-zero", EN, "USD", "-0", NEGATIVE),
  FAIL ("negative-before-decimals", EN, "USD", "-12.345", NEGATIVE),
  FAIL ("negative-before-overflow", EN, "USD", "-99999999999999999999", NEGATIVE),
  FAIL ("unknown-currency", EN, "XXX", "12", UNKNOWN_CURRENCY),
  FAIL ("null-currency", EN, NULL, "12", UNKNOWN_CURRENCY),
  FAIL ("empty-currency", EN, "", "12", UNKNOWN_CURRENCY),
  FAIL ("short-currency", EN, "US", "12", UNKNOWN_CURRENCY),
  FAIL ("long-currency", EN, "USDX", "12", UNKNOWN_CURRENCY),
  FAIL ("numeric-currency", EN, "840", "12", UNKNOWN_CURRENCY),
  FAIL ("unknown-before-empty", EN, "XXX", "", UNKNOWN_CURRENCY),
  OK ("kwd", EN, "KWD", "1,234.567", 1234567),
  OK ("kwd-code", EN, "KWD", "KWD 1,234.567", 1234567),
  OK ("kwd-fils", EN, "KWD", "0.001", 1),
  OK ("kwd-one-decimal", EN, "KWD", "1.5", 1500),
  OK ("kwd-keypad-comma", EN, "KWD", "1,5", 1500),
  FAIL ("kwd-four-decimals", EN, "KWD", "1.2345", TOO_MANY_DECIMALS),
  OK ("chf-code", EN, "CHF", "CHF 12.50", 1250),
  OK ("chf-code-trailing", EN, "CHF", "12.50 CHF", 1250),
  OK ("eur-symbol", EN, "EUR", "€12.50", 1250),
  OK ("gbp-symbol", EN, "GBP", "£12.50", 1250),
  OK ("jpy", EN, "JPY", "¥1,234", 1234),
  FAIL ("jpy-decimals", EN, "JPY", "12.5", TOO_MANY_DECIMALS),
  FAIL ("jpy-zero-decimals", EN, "JPY", "12.00", TOO_MANY_DECIMALS),
  FAIL ("jpy-keypad-comma", EN, "JPY", "12,5", INVALID),

  /* de_DE: ',' decimal, '.' groups of three, symbol after */
  OK ("comma", DE, "EUR", "12,50", 1250),
  OK ("grouped", DE, "EUR", "1.234,56", 123456),
  OK ("grouped-millions", DE, "EUR", "1.234.567,89", 123456789),
  OK ("grouping-not-decimal", DE, "EUR", "1.234", 123400),
  OK ("ungrouped", DE, "EUR", "1234,56", 123456),
  OK ("keypad-point", DE, "EUR", "12.50", 1250),
  OK ("keypad-point-one-digit", DE, "EUR", "12.5", 1250),
  OK ("keypad-point-small", DE, "EUR", "1.23", 123),
  OK ("euro-trailing", DE, "EUR", "12,50 €", 1250),
  OK ("euro-trailing-nbsp", DE, "EUR", "1.234,56" NBSP "€", 123456),
  OK ("euro-trailing-tight", DE, "EUR", "12,50€", 1250),
  OK ("euro-leading", DE, "EUR", "€ 12,50", 1250),
  OK ("code", DE, "EUR", "EUR 12,50", 1250),
  OK ("usd-in-de", DE, "USD", "12,50 $", 1250),
  OK ("max", DE, "EUR", "92.233.720.368.547.758,07", G_MAXINT64),
  FAIL ("max-plus-one", DE, "EUR", "92.233.720.368.547.758,08", OVERFLOW),
  FAIL ("three-decimals", DE, "EUR", "12,345", TOO_MANY_DECIMALS),
  FAIL ("grouped-three-decimals", DE, "EUR", "12.345,678", TOO_MANY_DECIMALS),
  FAIL ("keypad-too-long", DE, "EUR", "12.5050", INVALID),
  FAIL ("misgrouped", DE, "EUR", "1.234.5", INVALID),
  FAIL ("us-style", DE, "EUR", "1,234.56", INVALID),
  FAIL ("two-commas", DE, "EUR", "1,2,3", INVALID),
  FAIL ("minus", DE, "EUR", "-12,50 €", NEGATIVE),
  FAIL ("minus-after-symbol", DE, "EUR", "12,50 €-", NEGATIVE),
  /* Exponent 3 and a '.' group separator: valid grouping beats the keypad
   * reading, as for "1.234" above, so this is 1500 dinars. */
  OK ("bhd-grouping-wins", DE, "BHD", "1.500", 1500000),
  OK ("bhd-grouped", DE, "BHD", "1.234,567", 1234567),
  OK ("bhd-keypad", DE, "BHD", "1.5", 1500),

  /* ko_KR: KRW has no minor unit; '.' decimal, ',' groups */
  OK ("won", KO, "KRW", "₩12,000", 12000),
  OK ("plain", KO, "KRW", "12000", 12000),
  OK ("grouped", KO, "KRW", "12,000", 12000),
  OK ("won-space", KO, "KRW", "₩ 12,000", 12000),
  OK ("won-hangul", KO, "KRW", "12,000원", 12000),
  OK ("won-hangul-space", KO, "KRW", "12,000 원", 12000),
  OK ("fullwidth-won", KO, "KRW", "￦12,000", 12000),
  OK ("code", KO, "KRW", "KRW 12000", 12000),
  OK ("millions", KO, "KRW", "1,234,567", 1234567),
  OK ("trailing-point", KO, "KRW", "12000.", 12000),
  OK ("max", KO, "KRW", "9223372036854775807", G_MAXINT64),
  OK ("max-grouped", KO, "KRW", "₩9,223,372,036,854,775,807", G_MAXINT64),
  FAIL ("max-plus-one", KO, "KRW", "9223372036854775808", OVERFLOW),
  /* With no minor unit every ',' is grouping, so a misplaced one is
   * INVALID, not a decimal. */
  FAIL ("misplaced-comma", KO, "KRW", "12,00", INVALID),
  FAIL ("comma-one-digit", KO, "KRW", "12,5", INVALID),
  FAIL ("decimals", KO, "KRW", "12.5", TOO_MANY_DECIMALS),
  FAIL ("zero-decimals", KO, "KRW", "12.00", TOO_MANY_DECIMALS),
  FAIL ("point-is-not-grouping", KO, "KRW", "12.000", TOO_MANY_DECIMALS),
  FAIL ("minus", KO, "KRW", "-₩12,000", NEGATIVE),
  FAIL ("wrong-symbol", KO, "KRW", "$12,000", INVALID),
  OK ("usd-in-ko", KO, "USD", "$12.50", 1250),

  /* ja_JP: the locale writes full-width "￥"; Till prints "¥" */
  OK ("yen", JA, "JPY", "¥1,234", 1234),
  OK ("fullwidth-yen", JA, "JPY", "￥1,234", 1234),
  OK ("en-sign", JA, "JPY", "1,234円", 1234),
  OK ("fullwidth-digits", JA, "JPY", "１２３４円", 1234),
  OK ("plain", JA, "JPY", "1234", 1234),
  OK ("max", JA, "JPY", "9223372036854775807", G_MAXINT64),
  FAIL ("max-plus-one", JA, "JPY", "9223372036854775808", OVERFLOW),
  FAIL ("decimals", JA, "JPY", "12.5", TOO_MANY_DECIMALS),
  FAIL ("misgrouped", JA, "JPY", "1,23", INVALID),
  FAIL ("parenthesised", JA, "JPY", "(¥1,234)", NEGATIVE),

  /* fr_FR: ',' decimal, U+202F groups, symbol after a space */
  OK ("narrow-nbsp-groups", FR, "EUR", "1" NNBSP "234,56", 123456),
  OK ("space-groups", FR, "EUR", "1 234,56", 123456),
  OK ("nbsp-groups", FR, "EUR", "1" NBSP "234,56", 123456),
  OK ("millions", FR, "EUR", "1 234 567,89", 123456789),
  OK ("ungrouped", FR, "EUR", "1234,56", 123456),
  OK ("euro-nbsp", FR, "EUR", "12,50" NBSP "€", 1250),
  OK ("euro-narrow-nbsp", FR, "EUR", "12,50" NNBSP "€", 1250),
  OK ("as-glibc-prints", FR, "EUR", "1" NNBSP "234,56" NBSP "€", 123456),
  OK ("keypad-point", FR, "EUR", "12.50", 1250),
  OK ("keypad-point-grouped", FR, "EUR", "1 234.50", 123450),
  FAIL ("misgrouped", FR, "EUR", "1 23,45", INVALID),
  FAIL ("double-space", FR, "EUR", "1  234,56", INVALID),
  FAIL ("point-not-grouping", FR, "EUR", "1.234", INVALID),
  FAIL ("three-decimals", FR, "EUR", "12,345", TOO_MANY_DECIMALS),
  FAIL ("minus", FR, "EUR", "\u221212,50" NBSP "€", NEGATIVE),

  /* POSIX, and a locale that does not exist, which falls back to it:
   * '.' decimal and no grouping at all. */
  OK ("plain", "C", "USD", "12.50", 1250),
  OK ("large", "C", "USD", "1234567.89", 123456789),
  OK ("keypad-comma", "C", "USD", "12,50", 1250),
  OK ("symbol", "C", "USD", "$12.50", 1250),
  FAIL ("no-grouping", "C", "USD", "1,234", INVALID),
  FAIL ("no-grouping-decimal", "C", "USD", "1,234.56", INVALID),
  OK ("plain", MISSING_LOCALE, "USD", "12.50", 1250),
  OK ("comma-decimal-keypad", MISSING_LOCALE, "EUR", "12,50", 1250),
  FAIL ("no-grouping", MISSING_LOCALE, "USD", "1,234.56", INVALID),
  FAIL ("empty", MISSING_LOCALE, "USD", "", EMPTY),
};

static void
test_parse (gconstpointer data)
{
  const ParseCase *test = data;
  g_autoptr(GError) error = NULL;
  gint64 value = -42;
  gboolean ok;

  if (!require_locale (test->locale))
    return;

  ok = till_money_parse (test->text, test->currency, test->locale, &value, &error);

  if (test->error < 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (value, ==, test->expected);
    }
  else
    {
      g_assert_error (error, TILL_MONEY_ERROR, test->error);
      g_assert_false (ok);
      g_assert_cmpint (value, ==, -42);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpstr (error->message, !=, "");
    }
}

/* Formatting */

typedef struct
{
  const char *locale;
  const char *currency;
  gint64      minor;
  const char *expected;
} FormatCase;

static const FormatCase format_cases[] = {
  { EN, "USD", 1250, "$12.50" },
  { EN, "USD", 0, "$0.00" },
  { EN, "USD", 5, "$0.05" },
  { EN, "USD", 100, "$1.00" },
  { EN, "USD", 100000, "$1,000.00" },
  { EN, "USD", 123456789, "$1,234,567.89" },
  { EN, "USD", -1250, "-$12.50" },
  { EN, "USD", -5, "-$0.05" },
  { EN, "USD", G_MAXINT64, "$92,233,720,368,547,758.07" },
  { EN, "USD", G_MININT64, "-$92,233,720,368,547,758.08" },
  { EN, "EUR", 1250, "€12.50" },
  { EN, "GBP", 1250, "£12.50" },
  { EN, "CHF", 1250, "CHF" NBSP "12.50" },
  { EN, "KWD", 1234567, "KWD" NBSP "1,234.567" },
  { EN, "KWD", 1, "KWD" NBSP "0.001" },
  { EN, "KWD", -1234567, "-KWD" NBSP "1,234.567" },
  { EN, "JPY", 1234, "¥1,234" },
  { DE, "EUR", 123456, "1.234,56" NBSP "€" },
  { DE, "EUR", 5, "0,05" NBSP "€" },
  { DE, "EUR", 999, "9,99" NBSP "€" },
  { DE, "EUR", -123456, "-1.234,56" NBSP "€" },
  { DE, "EUR", G_MAXINT64, "92.233.720.368.547.758,07" NBSP "€" },
  { DE, "EUR", G_MININT64, "-92.233.720.368.547.758,08" NBSP "€" },
  { DE, "USD", 1250, "12,50" NBSP "$" },
  { DE, "KWD", 1234567, "1.234,567" NBSP "KWD" },
  { KO, "KRW", 12000, "₩12,000" },
  { KO, "KRW", 0, "₩0" },
  { KO, "KRW", 999, "₩999" },
  { KO, "KRW", 1000, "₩1,000" },
  { KO, "KRW", -12000, "-₩12,000" },
  { KO, "KRW", G_MAXINT64, "₩9,223,372,036,854,775,807" },
  { KO, "KRW", G_MININT64, "-₩9,223,372,036,854,775,808" },
  { JA, "JPY", 1234, "¥1,234" },
  { JA, "JPY", 1234567, "¥1,234,567" },
  { JA, "JPY", -1, "-¥1" },
  { FR, "EUR", 123456, "1" NNBSP "234,56" NBSP "€" },
  { FR, "EUR", 123456789, "1" NNBSP "234" NNBSP "567,89" NBSP "€" },
  { FR, "EUR", 1250, "12,50" NBSP "€" },
  { "C", "USD", 123456, "$1234.56" },
  { "C", "KWD", 1234567, "KWD" NBSP "1234.567" },
  { "C", "JPY", G_MAXINT64, "¥9223372036854775807" },
  { MISSING_LOCALE, "USD", 123456, "$1234.56" },
  { MISSING_LOCALE, "EUR", -123456, "-€1234.56" },
};

static void
test_format (gconstpointer data)
{
  const FormatCase *test = data;
  g_autofree char *formatted = NULL;

  if (!require_locale (test->locale))
    return;

  formatted = till_money_format (test->minor, test->currency, test->locale);

  g_assert_cmpstr (formatted, ==, test->expected);
}

/* Decimal strings */

typedef struct
{
  const char *currency;
  gint64      minor;
  const char *expected;
} DecimalCase;

static const DecimalCase decimal_cases[] = {
  { "USD", 1250, "12.50" },
  { "USD", 0, "0.00" },
  { "USD", 5, "0.05" },
  { "USD", -5, "-0.05" },
  { "USD", -1250, "-12.50" },
  { "USD", G_MAXINT64, "92233720368547758.07" },
  { "USD", G_MININT64, "-92233720368547758.08" },
  { "usd", 100, "1.00" },
  { "KRW", 12000, "12000" },
  { "KRW", 0, "0" },
  { "JPY", G_MAXINT64, "9223372036854775807" },
  { "JPY", G_MININT64, "-9223372036854775808" },
  { "KWD", 1, "0.001" },
  { "KWD", -1234567, "-1234.567" },
  { "BHD", 1000, "1.000" },
};

static void
test_decimal_string (gconstpointer data)
{
  const DecimalCase *test = data;
  g_autofree char *decimal = till_money_to_decimal_string (test->minor, test->currency);
  gint64 parsed = -42;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (decimal, ==, test->expected);

  /* The debugging form must read back exactly in any locale-free setting. */
  if (test->minor >= 0)
    {
      g_assert_true (till_money_parse (decimal, test->currency, "C", &parsed, &error));
      g_assert_no_error (error);
      g_assert_cmpint (parsed, ==, test->minor);
    }
}

/* Currency table */

typedef struct
{
  const char *code;
  int         exponent;
} ExponentCase;

static const ExponentCase exponent_cases[] = {
  { "USD", 2 }, { "EUR", 2 }, { "GBP", 2 }, { "CAD", 2 }, { "AUD", 2 },
  { "CHF", 2 }, { "SEK", 2 }, { "NOK", 2 }, { "DKK", 2 }, { "NZD", 2 },
  { "SGD", 2 }, { "HKD", 2 }, { "MXN", 2 }, { "BRL", 2 }, { "INR", 2 },
  { "CNY", 2 }, { "PLN", 2 }, { "CZK", 2 }, { "HUF", 2 }, { "IDR", 2 },
  { "JPY", 0 }, { "KRW", 0 }, { "VND", 0 }, { "CLP", 0 }, { "ISK", 0 },
  { "UGX", 0 }, { "XAF", 0 }, { "XOF", 0 }, { "PYG", 0 }, { "XPF", 0 },
  { "BHD", 3 }, { "KWD", 3 }, { "OMR", 3 }, { "JOD", 3 }, { "TND", 3 },
  { "IQD", 3 }, { "LYD", 3 },
  /* The customary form, not ISO's 2: Stripe takes MGA as zero-decimal. */
  { "MGA", 0 }, { "TWD", 2 },
  { "usd", 2 }, { "Jpy", 0 }, { "kwD", 3 },
  { "XXX", -1 }, { "XTS", -1 }, { "HRK", -1 }, { "ABC", -1 }, { "", -1 },
  { "US", -1 }, { "USDX", -1 }, { "US ", -1 }, { "840", -1 }, { "U$D", -1 },
};

static void
test_exponent (gconstpointer data)
{
  const ExponentCase *test = data;

  g_assert_cmpint (till_currency_get_exponent (test->code), ==, test->exponent);
  g_assert_cmpint (till_currency_is_known (test->code), ==, test->exponent >= 0);
}

typedef struct
{
  const char *code;
  const char *symbol;
} SymbolCase;

static const SymbolCase symbol_cases[] = {
  { "USD", "$" }, { "EUR", "€" }, { "GBP", "£" }, { "JPY", "¥" },
  { "KRW", "₩" }, { "INR", "₹" }, { "CAD", "$" }, { "BRL", "R$" },
  { "CHF", "CHF" }, { "KWD", "KWD" }, { "BHD", "BHD" }, { "XOF", "XOF" },
  { "usd", "$" }, { "chf", "CHF" }, { "XXX", NULL }, { "", NULL },
};

static void
test_symbol (gconstpointer data)
{
  const SymbolCase *test = data;

  g_assert_cmpstr (till_currency_get_symbol (test->code), ==, test->symbol);
}

/* Stripe's minor units (docs.stripe.com/currencies: #zero-decimal,
 * #three-decimal, #special-cases) */

#define NO_ERROR -1

typedef struct
{
  const char *name;
  const char *currency;
  gint64      in;
  gint64      out;
  int         error_code;   /* NO_ERROR, or a TillMoneyError */
} StripeCase;

static const StripeCase to_stripe_cases[] = {
  /* Two decimals everywhere: unchanged. */
  { "usd", "USD", 1250, 1250, NO_ERROR },
  { "eur-max", "EUR", 99999999, 99999999, NO_ERROR },
  { "eur-past-max", "EUR", 100000000, 0, TILL_MONEY_ERROR_TOO_LARGE },
  { "zero", "USD", 0, 0, NO_ERROR },
  { "negative", "USD", -1, 0, TILL_MONEY_ERROR_NEGATIVE },
  /* Zero-decimal at Stripe and here. */
  { "jpy", "JPY", 1250, 1250, NO_ERROR },
  { "krw", "KRW", 99999999, 99999999, NO_ERROR },
  /* MGA: zero-decimal at Stripe (ISO says 2), whole ariary here too. */
  { "mga", "MGA", 12345, 12345, NO_ERROR },
  { "mga-max", "MGA", 99999999, 99999999, NO_ERROR },
  { "mga-past-max", "MGA", 100000000, 0, TILL_MONEY_ERROR_TOO_LARGE },
  /* ISK and UGX: whole units here, two zero decimals at Stripe. */
  { "isk", "ISK", 1500, 150000, NO_ERROR },
  { "isk-one", "ISK", 1, 100, NO_ERROR },
  { "isk-max", "ISK", 999999, 99999900, NO_ERROR },
  { "isk-past-max", "ISK", 1000000, 0, TILL_MONEY_ERROR_TOO_LARGE },
  { "isk-overflow", "ISK", G_MAXINT64 / 100 + 1, 0, TILL_MONEY_ERROR_OVERFLOW },
  { "isk-int64-max", "ISK", G_MAXINT64, 0, TILL_MONEY_ERROR_OVERFLOW },
  { "isk-negative", "ISK", -5, 0, TILL_MONEY_ERROR_NEGATIVE },
  { "ugx", "UGX", 5, 500, NO_ERROR },
  { "ugx-max", "UGX", 999999, 99999900, NO_ERROR },
  { "ugx-past-max", "UGX", 1000000, 0, TILL_MONEY_ERROR_TOO_LARGE },
  /* HUF and TWD: the special case is for payouts; charges keep fillér. */
  { "huf-fraction", "HUF", 123456, 123456, NO_ERROR },
  { "huf-whole", "HUF", 150000, 150000, NO_ERROR },
  { "twd-fraction", "TWD", 80045, 80045, NO_ERROR },
  /* Three decimals: the last digit must be 0. */
  { "kwd", "KWD", 5120, 5120, NO_ERROR },
  { "kwd-not-0", "KWD", 5124, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "kwd-one-fils", "KWD", 1, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "kwd-max", "KWD", 99999990, 99999990, NO_ERROR },
  { "kwd-max-not-0", "KWD", 99999999, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "kwd-past-max", "KWD", 100000000, 0, TILL_MONEY_ERROR_TOO_LARGE },
  { "bhd", "BHD", 10, 10, NO_ERROR },
  { "bhd-not-0", "BHD", 15, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "jod-not-0", "JOD", 1001, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "omr", "OMR", 2500, 2500, NO_ERROR },
  { "tnd-not-0", "TND", 2509, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  /* ISO three-decimal currencies Stripe does not list. */
  { "iqd", "IQD", 1000, 0, TILL_MONEY_ERROR_NOT_AT_STRIPE },
  { "lyd", "LYD", 1000, 0, TILL_MONEY_ERROR_NOT_AT_STRIPE },
  { "unknown", "XXX", 1000, 0, TILL_MONEY_ERROR_UNKNOWN_CURRENCY },
  { "null-currency", NULL, 1000, 0, TILL_MONEY_ERROR_UNKNOWN_CURRENCY },
  { "lower-case", "isk", 7, 700, NO_ERROR },
};

static const StripeCase from_stripe_cases[] = {
  { "usd", "USD", 1250, 1250, NO_ERROR },
  { "zero", "USD", 0, 0, NO_ERROR },
  { "negative", "USD", -1, 0, TILL_MONEY_ERROR_NEGATIVE },
  { "mga", "MGA", 12345, 12345, NO_ERROR },
  { "isk", "ISK", 150000, 1500, NO_ERROR },
  { "isk-zero", "ISK", 0, 0, NO_ERROR },
  /* 1.50 króna, a charge from before 2023-04-14: not rounded. */
  { "isk-fraction", "ISK", 150, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "isk-one-eyrir", "ISK", 99999901, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "isk-int64-max", "ISK", G_MAXINT64, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "isk-large", "ISK", G_MAXINT64 - G_MAXINT64 % 100, G_MAXINT64 / 100, NO_ERROR },
  { "ugx", "UGX", 500, 5, NO_ERROR },
  { "ugx-fraction", "UGX", 550, 0, TILL_MONEY_ERROR_NOT_ACCEPTED },
  { "huf", "HUF", 123456, 123456, NO_ERROR },
  { "twd", "TWD", 80045, 80045, NO_ERROR },
  { "kwd", "KWD", 5120, 5120, NO_ERROR },
  /* An amount Stripe holds is what it is, even one it would not take now. */
  { "kwd-old", "KWD", 5124, 5124, NO_ERROR },
  { "iqd", "IQD", 1000, 0, TILL_MONEY_ERROR_NOT_AT_STRIPE },
  { "unknown", "ABC", 1, 0, TILL_MONEY_ERROR_UNKNOWN_CURRENCY },
};

static void
check_stripe_case (const StripeCase *test,
                   gboolean          ok,
                   gint64            out,
                   const GError     *error)
{
  if (test->error_code == NO_ERROR)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpint (out, ==, test->out);
    }
  else
    {
      g_assert_error (error, TILL_MONEY_ERROR, test->error_code);
      g_assert_false (ok);
      /* Left alone on failure. */
      g_assert_cmpint (out, ==, -42);
      /* A sentence for the cashier, never empty. */
      g_assert_cmpuint (strlen (error->message), >, 0);
    }
}

typedef gboolean (*Convert) (gint64 in, const char *currency, gint64 *out, GError **error);

/* Runs one case through convert, and what it gives through back (when
 * not NULL), which must return the case's input. */
static void
run_stripe_case (const StripeCase *test,
                 Convert           convert,
                 Convert           back)
{
  g_autoptr(GError) error = NULL;
  gint64 out = -42;
  gboolean ok = convert (test->in, test->currency, &out, &error);

  check_stripe_case (test, ok, out, error);
  if (ok && back != NULL)
    {
      gint64 again = -1;

      g_assert_true (back (out, test->currency, &again, NULL));
      g_assert_cmpint (again, ==, test->in);
    }
}

static void
test_to_stripe (gconstpointer data)
{
  run_stripe_case (data, till_money_to_stripe, till_money_from_stripe);
}

static void
test_from_stripe (gconstpointer data)
{
  const StripeCase *test = data;

  /* Not back: an old 5124 KWD reads back, but cannot be sent again. */
  run_stripe_case (test, till_money_from_stripe, NULL);
}

static void
test_to_stripe_messages (void)
{
  g_autoptr(GError) kwd = NULL;
  g_autoptr(GError) isk = NULL;
  g_autoptr(GError) iqd = NULL;

  g_assert_false (till_money_to_stripe (5124, "kwd", NULL, &kwd));
  g_assert_cmpstr (kwd->message, ==, "Amounts in KWD end in 0");
  g_assert_false (till_money_to_stripe (1000000, "ISK", NULL, &isk));
  g_assert_cmpstr (isk->message, ==, "Stripe takes at most 999999 ISK in one payment");
  g_assert_false (till_money_to_stripe (1, "IQD", NULL, &iqd));
  g_assert_cmpstr (iqd->message, ==, "Stripe does not take payments in IQD");
  /* The out value is optional. */
  g_assert_true (till_money_to_stripe (5120, "KWD", NULL, NULL));
  g_assert_true (till_money_from_stripe (500, "UGX", NULL, NULL));
}

typedef struct
{
  const char *code;
  int         stripe_exponent;
  gint64      max_amount;
} StripeLimitCase;

static const StripeLimitCase stripe_limit_cases[] = {
  { "USD", 2, 99999999 }, { "JPY", 0, 99999999 }, { "KRW", 0, 99999999 },
  { "MGA", 0, 99999999 }, { "ISK", 2, 999999 }, { "UGX", 2, 999999 },
  { "HUF", 2, 99999999 }, { "TWD", 2, 99999999 }, { "KWD", 3, 99999999 },
  { "BHD", 3, 99999999 }, { "JOD", 3, 99999999 }, { "OMR", 3, 99999999 },
  { "TND", 3, 99999999 }, { "IQD", -1, 0 }, { "LYD", -1, 0 },
  { "isk", 2, 999999 }, { "XXX", -1, 0 }, { "", -1, 0 },
};

static void
test_stripe_limits (gconstpointer data)
{
  const StripeLimitCase *test = data;

  g_assert_cmpint (till_currency_get_stripe_exponent (test->code), ==, test->stripe_exponent);
  g_assert_cmpint (till_money_get_max_amount (test->code), ==, test->max_amount);
}

/* The customary form of the special currencies, as the cashier sees it. */
static void
test_format_special (void)
{
  g_autofree char *mga = till_money_format (12345, "MGA", "C");
  g_autofree char *isk = till_money_to_decimal_string (1500, "ISK");
  g_autofree char *kwd = till_money_to_decimal_string (5120, "KWD");
  g_autofree char *huf = till_money_to_decimal_string (123456, "HUF");
  gint64 parsed = -1;

  g_assert_cmpstr (mga, ==, "MGA" NBSP "12345");
  g_assert_cmpstr (isk, ==, "1500");
  g_assert_cmpstr (kwd, ==, "5.120");
  g_assert_cmpstr (huf, ==, "1234.56");
  /* Typed ariary are whole: no decimals to type. */
  g_assert_true (till_money_parse ("12345", "MGA", "C", &parsed, NULL));
  g_assert_cmpint (parsed, ==, 12345);
  g_assert_false (till_money_parse ("123.45", "MGA", "C", NULL, NULL));
}

static void
add_stripe_tests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (to_stripe_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/money/stripe/to/%s", to_stripe_cases[i].name);

      g_test_add_data_func (path, &to_stripe_cases[i], test_to_stripe);
    }
  for (guint i = 0; i < G_N_ELEMENTS (from_stripe_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/money/stripe/from/%s", from_stripe_cases[i].name);

      g_test_add_data_func (path, &from_stripe_cases[i], test_from_stripe);
    }
  for (guint i = 0; i < G_N_ELEMENTS (stripe_limit_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/money/stripe/limits/%s",
                                               stripe_limit_cases[i].code[0] != '\0'
                                               ? stripe_limit_cases[i].code : "empty");

      g_test_add_data_func (path, &stripe_limit_cases[i], test_stripe_limits);
    }
  g_test_add_func ("/money/stripe/messages", test_to_stripe_messages);
  g_test_add_func ("/money/stripe/customary-form", test_format_special);
}

static void
test_currency_null (void)
{
  g_assert_false (till_currency_is_known (NULL));

  g_test_expect_message ("till-money", G_LOG_LEVEL_CRITICAL, "*code != NULL*");
  g_assert_cmpint (till_currency_get_exponent (NULL), ==, -1);
  g_test_assert_expected_messages ();

  g_test_expect_message ("till-money", G_LOG_LEVEL_CRITICAL, "*code != NULL*");
  g_assert_null (till_currency_get_symbol (NULL));
  g_test_assert_expected_messages ();
}

static void
test_format_unknown_currency (void)
{
  char *result;

  /* Formatting is for amounts already in the shop's currency, so an
   * unknown code there is a programming error, not user input. */
  g_test_expect_message ("till-money", G_LOG_LEVEL_CRITICAL, "*info != NULL*");
  result = till_money_format (100, "XXX", "C");
  g_test_assert_expected_messages ();
  g_assert_null (result);

  g_test_expect_message ("till-money", G_LOG_LEVEL_CRITICAL, "*info != NULL*");
  result = till_money_to_decimal_string (100, "XXX");
  g_test_assert_expected_messages ();
  g_assert_null (result);
}

/* Round trips */

typedef struct
{
  const char *locale;
  const char *currency;
} RoundTripCase;

static const char * const round_trip_locales[] = { EN, DE, KO, JA, FR, "C", MISSING_LOCALE };
static const char * const round_trip_currencies[] = { "USD", "EUR", "JPY", "KRW", "KWD", "CHF", "INR" };
static RoundTripCase round_trip_cases[G_N_ELEMENTS (round_trip_locales) * G_N_ELEMENTS (round_trip_currencies)];

static gboolean
check_round_trip (const RoundTripCase *test,
                  gint64               value)
{
  g_autofree char *formatted = till_money_format (value, test->currency, test->locale);
  g_autofree char *negated = NULL;
  g_autoptr(GError) error = NULL;
  gint64 parsed = -42;

  if (!till_money_parse (formatted, test->currency, test->locale, &parsed, &error)
      || parsed != value)
    {
      g_test_fail_printf ("“%s” (%" G_GINT64_FORMAT ") read back as %" G_GINT64_FORMAT ": %s",
                          formatted, value, parsed,
                          error != NULL ? error->message : "no error");
      return FALSE;
    }

  if (value == 0)
    return TRUE;

  /* What the till prints for a refund must not be accepted as a sale. */
  negated = till_money_format (-value, test->currency, test->locale);
  if (till_money_parse (negated, test->currency, test->locale, NULL, &error)
      || !g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE))
    {
      g_test_fail_printf ("“%s” was not refused as negative", negated);
      return FALSE;
    }

  return TRUE;
}

/* G_MININT64 has no positive counterpart; it must be refused as negative,
 * not overflow while being read. */
static void
check_most_negative (const RoundTripCase *test)
{
  g_autofree char *formatted = till_money_format (G_MININT64, test->currency, test->locale);
  g_autoptr(GError) error = NULL;

  g_assert_false (till_money_parse (formatted, test->currency, test->locale, NULL, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE);
}

static void
test_round_trip (gconstpointer data)
{
  const RoundTripCase *test = data;
  static const gint64 fixed[] = {
    0, 1, 5, 9, 10, 99, 100, 101, 999, 1000, 1001, 9999, 10000, 12345, 99999,
    100000, 123456, 999999, 1000000, 1234567, 10000000, 99999999, 100000000,
    G_GINT64_CONSTANT (1000000000000000000), G_MAXINT32, (gint64) G_MAXINT32 + 1,
    G_MAXINT64 - 1, G_MAXINT64,
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (4217);
  guint i;

  if (!require_locale (test->locale))
    return;

  for (i = 0; i < G_N_ELEMENTS (fixed); i++)
    {
      if (!check_round_trip (test, fixed[i]))
        return;
    }

  /* Values spread over every magnitude, reproducible from the seed. */
  for (i = 0; i < 300; i++)
    {
      guint64 bits = ((guint64) g_rand_int (rand) << 32) | g_rand_int (rand);
      gint64 value = (gint64) ((bits >> g_rand_int_range (rand, 0, 64)) & G_MAXINT64);

      if (!check_round_trip (test, value))
        return;
    }

  check_most_negative (test);
}

/* The calling thread's locale */

static void
test_current_thread_locale (void)
{
  locale_t german;
  locale_t previous;
  g_autoptr(GError) error = NULL;
  g_autofree char *formatted = NULL;
  gint64 value = 0;

  if (!require_locale (DE))
    return;

  german = newlocale (LC_ALL_MASK, DE, (locale_t) 0);
  previous = uselocale (german);

  g_assert_true (till_money_parse ("1.234,56", "EUR", NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 123456);
  formatted = till_money_format (123456, "EUR", NULL);
  g_assert_cmpstr (formatted, ==, "1.234,56" NBSP "€");

  uselocale (previous);
  freelocale (german);

  /* Back on the global "C" locale, the same text is not a valid amount. */
  g_assert_false (till_money_parse ("1.234,56", "EUR", NULL, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID);
}

static void
test_global_locale (void)
{
  locale_t previous;
  g_autofree char *saved = NULL;
  g_autofree char *formatted = NULL;
  g_autoptr(GError) error = NULL;
  gint64 value = 0;

  if (!require_locale (KO) || !require_locale (DE))
    return;

  /* NULL must follow setlocale() when the thread has no locale of its
   * own, which is how a GTK application runs. */
  previous = uselocale (LC_GLOBAL_LOCALE);
  saved = g_strdup (setlocale (LC_ALL, NULL));

  g_assert_nonnull (setlocale (LC_ALL, KO));
  g_assert_true (till_money_parse ("₩12,000", "KRW", NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 12000);
  formatted = till_money_format (12000, "KRW", NULL);
  g_assert_cmpstr (formatted, ==, "₩12,000");

  /* Only LC_MONETARY matters for money. */
  g_assert_nonnull (setlocale (LC_ALL, "C"));
  g_assert_nonnull (setlocale (LC_MONETARY, DE));
  g_assert_true (till_money_parse ("1.234,56", "EUR", NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 123456);

  setlocale (LC_ALL, saved);
  uselocale (previous);
}

/* Hostile input */

static void
test_long_input (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gint64 value = 0;
  guint i;

  if (!require_locale (EN))
    return;

  for (i = 0; i < 10000; i++)
    g_string_append_c (text, '9');
  g_assert_false (till_money_parse (text->str, "USD", EN, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  /* A bad character anywhere outranks the overflow before it. */
  g_string_append_c (text, 'x');
  g_assert_false (till_money_parse (text->str, "USD", EN, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID);
  g_clear_error (&error);

  /* Leading zeros do not count towards the size. */
  g_string_truncate (text, 0);
  for (i = 0; i < 10000; i++)
    g_string_append_c (text, '0');
  g_string_append (text, "12.50");
  g_assert_true (till_money_parse (text->str, "USD", EN, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, 1250);

  g_string_truncate (text, 0);
  for (i = 0; i < 5000; i++)
    g_string_append (text, "1,");
  g_assert_false (till_money_parse (text->str, "USD", EN, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID);
  g_clear_error (&error);

  g_string_truncate (text, 0);
  g_string_append_c (text, '1');
  for (i = 0; i < 5000; i++)
    g_string_append (text, ",000");
  g_assert_false (till_money_parse (text->str, "USD", EN, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW);
  g_clear_error (&error);

  g_string_truncate (text, 0);
  for (i = 0; i < 10000; i++)
    g_string_append (text, "1.");
  g_assert_false (till_money_parse (text->str, "USD", EN, &value, &error));
  g_assert_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID);
}

static void
test_optional_out_value (void)
{
  g_autoptr(GError) error = NULL;

  /* Validation as the cashier types needs no value. */
  g_assert_true (till_money_parse ("12.50", "USD", "C", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (till_money_parse ("12.505", "USD", "C", NULL, NULL));
}

static void
add_parse_tests (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (parse_cases); i++)
    {
      g_autofree char *locale = locale_path_name (parse_cases[i].locale);
      g_autofree char *path = g_strdup_printf ("/money/parse/%s/%s", locale, parse_cases[i].name);

      g_test_add_data_func (path, &parse_cases[i], test_parse);
    }
}

static void
add_format_tests (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (format_cases); i++)
    {
      g_autofree char *locale = locale_path_name (format_cases[i].locale);
      g_autofree char *currency = g_ascii_strdown (format_cases[i].currency, -1);
      g_autofree char *path = g_strdup_printf ("/money/format/%s/%s/%" G_GINT64_FORMAT,
                                               currency, locale, format_cases[i].minor);

      g_test_add_data_func (path, &format_cases[i], test_format);
    }

  for (i = 0; i < G_N_ELEMENTS (decimal_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/money/decimal/%s/%" G_GINT64_FORMAT,
                                               decimal_cases[i].currency,
                                               decimal_cases[i].minor);

      g_test_add_data_func (path, &decimal_cases[i], test_decimal_string);
    }

  g_test_add_func ("/money/format/unknown-currency", test_format_unknown_currency);
}

static void
add_currency_tests (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (exponent_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/money/currency/exponent/%s",
                                               exponent_cases[i].code[0] != '\0'
                                               ? exponent_cases[i].code : "empty");

      g_test_add_data_func (path, &exponent_cases[i], test_exponent);
    }

  for (i = 0; i < G_N_ELEMENTS (symbol_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/money/currency/symbol/%s",
                                               symbol_cases[i].code[0] != '\0'
                                               ? symbol_cases[i].code : "empty");

      g_test_add_data_func (path, &symbol_cases[i], test_symbol);
    }

  g_test_add_func ("/money/currency/null", test_currency_null);
}

static void
add_round_trip_tests (void)
{
  guint i;
  guint j;

  for (i = 0; i < G_N_ELEMENTS (round_trip_locales); i++)
    {
      for (j = 0; j < G_N_ELEMENTS (round_trip_currencies); j++)
        {
          RoundTripCase *test = &round_trip_cases[i * G_N_ELEMENTS (round_trip_currencies) + j];
          g_autofree char *locale = locale_path_name (round_trip_locales[i]);
          g_autofree char *currency = g_ascii_strdown (round_trip_currencies[j], -1);
          g_autofree char *path = g_strdup_printf ("/money/round-trip/%s/%s", locale, currency);

          test->locale = round_trip_locales[i];
          test->currency = round_trip_currencies[j];
          g_test_add_data_func (path, test, test_round_trip);
        }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_parse_tests ();
  add_format_tests ();
  add_currency_tests ();
  add_round_trip_tests ();
  add_stripe_tests ();

  g_test_add_func ("/money/parse/current/thread-locale", test_current_thread_locale);
  g_test_add_func ("/money/parse/current/global-locale", test_global_locale);
  g_test_add_func ("/money/parse/long-input", test_long_input);
  g_test_add_func ("/money/parse/optional-out-value", test_optional_out_value);

  return g_test_run ();
}
