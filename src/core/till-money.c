/* till-money.c: amounts of money as integer minor units
 *
 * Money never passes through a double here. A cashier's text is checked
 * character by character and accumulated, with overflow checks, into int64
 * minor units (cents for USD, yen for JPY, fils for KWD), so an amount is
 * either exact or an error; it is never rounded.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* MON_DECIMAL_POINT, P_CS_PRECEDES and the other monetary items of
 * <langinfo.h> are GNU extensions. They are the only way to read a
 * locale_t's money conventions: localeconv() takes no locale argument and
 * returns a shared static buffer. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#define G_LOG_DOMAIN "till-money"

/* The same domain config.h sets, so this file also builds without it
 * (the standalone test build). */
#ifndef GETTEXT_PACKAGE
# define GETTEXT_PACKAGE "till"
#endif

#include <langinfo.h>
#include <locale.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "till-money.h"

#define NBSP "\xc2\xa0"

G_DEFINE_QUARK (till-money-error-quark, till_money_error)

/* Currency table */

typedef struct
{
  char        code[4];
  int         exponent;
  const char *symbol;         /* NULL when the ISO code is the symbol */
  const char *alternates[3];  /* other spellings accepted when parsing */
} CurrencyInfo;

/* Exponents are the customary form, the one a cashier types and a
 * customer reads: ISO 4217's "minor unit" column (SIX list one), except for
 * MGA. ISO gives the ariary two decimals, but its fifths (iraimbilanja) are
 * not in use, CLDR's currency data gives it 0 digits, and Stripe takes it as
 * a zero-decimal currency (https://docs.stripe.com/currencies#zero-decimal),
 * so a fraction of an ariary could neither be shown usefully nor charged.
 * What goes to Stripe is another matter, kept in stripe_rules below. Funds,
 * precious metals, bond units and testing codes are left out: a till never
 * sells in them. A symbol is only given where shops in the currency's own
 * country print it; for the rest (CHF, the dinars, ...) the ISO code is
 * clearer than a symbol that is ambiguous or written right-to-left. */
static const CurrencyInfo currencies[] = {
  { "AED", 2, NULL, { NULL } },
  { "AFN", 2, NULL, { NULL } },
  { "ALL", 2, NULL, { NULL } },
  { "AMD", 2, NULL, { NULL } },
  { "ANG", 2, NULL, { NULL } },
  { "AOA", 2, NULL, { NULL } },
  { "ARS", 2, NULL, { NULL } },
  { "AUD", 2, "$", { "A$", "AU$", NULL } },
  { "AWG", 2, NULL, { NULL } },
  { "AZN", 2, "₼", { NULL } },
  { "BAM", 2, NULL, { NULL } },
  { "BBD", 2, NULL, { NULL } },
  { "BDT", 2, "৳", { NULL } },
  { "BGN", 2, NULL, { NULL } },
  { "BHD", 3, NULL, { NULL } },
  { "BIF", 0, NULL, { NULL } },
  { "BMD", 2, NULL, { NULL } },
  { "BND", 2, NULL, { NULL } },
  { "BOB", 2, NULL, { NULL } },
  { "BRL", 2, "R$", { NULL } },
  { "BSD", 2, NULL, { NULL } },
  { "BTN", 2, NULL, { NULL } },
  { "BWP", 2, NULL, { NULL } },
  { "BYN", 2, NULL, { NULL } },
  { "BZD", 2, NULL, { NULL } },
  { "CAD", 2, "$", { "CA$", "C$", NULL } },
  { "CDF", 2, NULL, { NULL } },
  { "CHF", 2, NULL, { NULL } },
  { "CLP", 0, "$", { NULL } },
  { "CNY", 2, "¥", { "￥", "元", NULL } },
  { "COP", 2, NULL, { NULL } },
  { "CRC", 2, "₡", { NULL } },
  { "CUC", 2, NULL, { NULL } },
  { "CUP", 2, NULL, { NULL } },
  { "CVE", 2, NULL, { NULL } },
  { "CZK", 2, "Kč", { NULL } },
  { "DJF", 0, NULL, { NULL } },
  { "DKK", 2, "kr.", { "kr", NULL } },
  { "DOP", 2, NULL, { NULL } },
  { "DZD", 2, NULL, { NULL } },
  { "EGP", 2, NULL, { NULL } },
  { "ERN", 2, NULL, { NULL } },
  { "ETB", 2, NULL, { NULL } },
  { "EUR", 2, "€", { NULL } },
  { "FJD", 2, NULL, { NULL } },
  { "FKP", 2, NULL, { NULL } },
  { "GBP", 2, "£", { NULL } },
  { "GEL", 2, "₾", { NULL } },
  { "GHS", 2, "₵", { NULL } },
  { "GIP", 2, NULL, { NULL } },
  { "GMD", 2, NULL, { NULL } },
  { "GNF", 0, NULL, { NULL } },
  { "GTQ", 2, NULL, { NULL } },
  { "GYD", 2, NULL, { NULL } },
  { "HKD", 2, "$", { "HK$", NULL } },
  { "HNL", 2, NULL, { NULL } },
  { "HTG", 2, NULL, { NULL } },
  { "HUF", 2, "Ft", { NULL } },
  { "IDR", 2, "Rp", { NULL } },
  { "ILS", 2, "₪", { NULL } },
  { "INR", 2, "₹", { NULL } },
  { "IQD", 3, NULL, { NULL } },
  { "IRR", 2, NULL, { NULL } },
  { "ISK", 0, "kr", { NULL } },
  { "JMD", 2, NULL, { NULL } },
  { "JOD", 3, NULL, { NULL } },
  { "JPY", 0, "¥", { "￥", "円", NULL } },
  { "KES", 2, NULL, { NULL } },
  { "KGS", 2, NULL, { NULL } },
  { "KHR", 2, NULL, { NULL } },
  { "KMF", 0, NULL, { NULL } },
  { "KPW", 2, NULL, { NULL } },
  { "KRW", 0, "₩", { "￦", "원", NULL } },
  { "KWD", 3, NULL, { NULL } },
  { "KYD", 2, NULL, { NULL } },
  { "KZT", 2, "₸", { NULL } },
  { "LAK", 2, "₭", { NULL } },
  { "LBP", 2, NULL, { NULL } },
  { "LKR", 2, NULL, { NULL } },
  { "LRD", 2, NULL, { NULL } },
  { "LSL", 2, NULL, { NULL } },
  { "LYD", 3, NULL, { NULL } },
  { "MAD", 2, NULL, { NULL } },
  { "MDL", 2, NULL, { NULL } },
  { "MGA", 0, NULL, { NULL } },
  { "MKD", 2, NULL, { NULL } },
  { "MMK", 2, NULL, { NULL } },
  { "MNT", 2, "₮", { NULL } },
  { "MOP", 2, NULL, { NULL } },
  { "MRU", 2, NULL, { NULL } },
  { "MUR", 2, NULL, { NULL } },
  { "MVR", 2, NULL, { NULL } },
  { "MWK", 2, NULL, { NULL } },
  { "MXN", 2, "$", { "MX$", NULL } },
  { "MYR", 2, "RM", { NULL } },
  { "MZN", 2, NULL, { NULL } },
  { "NAD", 2, NULL, { NULL } },
  { "NGN", 2, "₦", { NULL } },
  { "NIO", 2, NULL, { NULL } },
  { "NOK", 2, "kr", { NULL } },
  { "NPR", 2, NULL, { NULL } },
  { "NZD", 2, "$", { "NZ$", NULL } },
  { "OMR", 3, NULL, { NULL } },
  { "PAB", 2, NULL, { NULL } },
  { "PEN", 2, NULL, { NULL } },
  { "PGK", 2, NULL, { NULL } },
  { "PHP", 2, "₱", { NULL } },
  { "PKR", 2, NULL, { NULL } },
  { "PLN", 2, "zł", { NULL } },
  { "PYG", 0, "₲", { NULL } },
  { "QAR", 2, NULL, { NULL } },
  { "RON", 2, NULL, { NULL } },
  { "RSD", 2, NULL, { NULL } },
  { "RUB", 2, "₽", { NULL } },
  { "RWF", 0, NULL, { NULL } },
  { "SAR", 2, NULL, { NULL } },
  { "SBD", 2, NULL, { NULL } },
  { "SCR", 2, NULL, { NULL } },
  { "SDG", 2, NULL, { NULL } },
  { "SEK", 2, "kr", { NULL } },
  { "SGD", 2, "$", { "S$", NULL } },
  { "SHP", 2, NULL, { NULL } },
  { "SLE", 2, NULL, { NULL } },
  { "SOS", 2, NULL, { NULL } },
  { "SRD", 2, NULL, { NULL } },
  { "SSP", 2, NULL, { NULL } },
  { "STN", 2, NULL, { NULL } },
  { "SVC", 2, NULL, { NULL } },
  { "SYP", 2, NULL, { NULL } },
  { "SZL", 2, NULL, { NULL } },
  { "THB", 2, "฿", { NULL } },
  { "TJS", 2, NULL, { NULL } },
  { "TMT", 2, NULL, { NULL } },
  { "TND", 3, NULL, { NULL } },
  { "TOP", 2, NULL, { NULL } },
  { "TRY", 2, "₺", { NULL } },
  { "TTD", 2, NULL, { NULL } },
  { "TWD", 2, "$", { "NT$", NULL } },
  { "TZS", 2, NULL, { NULL } },
  { "UAH", 2, "₴", { NULL } },
  { "UGX", 0, NULL, { NULL } },
  { "USD", 2, "$", { "US$", NULL } },
  { "UYU", 2, NULL, { NULL } },
  { "UZS", 2, NULL, { NULL } },
  { "VED", 2, NULL, { NULL } },
  { "VES", 2, NULL, { NULL } },
  { "VND", 0, "₫", { NULL } },
  { "VUV", 0, NULL, { NULL } },
  { "WST", 2, NULL, { NULL } },
  { "XAF", 0, NULL, { NULL } },
  { "XCD", 2, NULL, { NULL } },
  { "XOF", 0, NULL, { NULL } },
  { "XPF", 0, NULL, { NULL } },
  { "YER", 2, NULL, { NULL } },
  { "ZAR", 2, "R", { NULL } },
  { "ZMW", 2, NULL, { NULL } },
};

static const CurrencyInfo *
currency_lookup (const char *code)
{
  guint i;

  if (code == NULL)
    return NULL;

  /* Stops at the terminator of a shorter string, so never reads past it. */
  for (i = 0; i < 3; i++)
    {
      if (!g_ascii_isalpha (code[i]))
        return NULL;
    }
  if (code[3] != '\0')
    return NULL;

  for (i = 0; i < G_N_ELEMENTS (currencies); i++)
    {
      if (g_ascii_strcasecmp (currencies[i].code, code) == 0)
        return &currencies[i];
    }

  return NULL;
}

/* Stripe's rules, where they differ from the customary form above.
 * Sources: "Supported currencies", https://docs.stripe.com/currencies,
 * sections "Zero-decimal currencies" (#zero-decimal), "Three-decimal
 * currencies" (#three-decimal) and "Special cases" (#special-cases); and
 * Stripe Support, "Deprecation of fractional ISK charges and refunds",
 * https://support.stripe.com/questions/deprecation-of-fractional-isk-charges-and-refunds
 *
 * Every currency not listed goes to Stripe in its customary minor unit,
 * unchanged. That includes the zero-decimal list (JPY, KRW, MGA, ...),
 * whose customary exponent is already 0, and HUF and TWD: Stripe "treats
 * HUF as a zero-decimal currency for payouts, even though you can charge
 * two-decimal amounts" (the same words for TWD). Till makes charges and
 * refunds, never payouts, so 1234.56 Ft goes to Stripe as 123456.
 *
 * Stripe's zero-decimal list also names UGX, but its special cases say
 * that UGX, like ISK, "transitioned to a zero-decimal currency, but
 * backward compatibility requires you to represent it as a two-decimal
 * value, where the decimal amount is always 00": 5 UGX is amount=500. The
 * special case is the rule for the amount parameter, so UGX is here. */
typedef struct
{
  char code[4];
  int  exponent;   /* of Stripe's amounts; -1: not sent to Stripe at all */
  int  step;       /* Stripe's amounts are multiples of this */
} StripeRule;

static const StripeRule stripe_rules[] = {
  /* Whole krónur and shillings, written with two zero decimals: 5 ISK is
   * 500. Since 2023-04-14 Stripe refuses any other ISK amount with "400
   * invalid_charge_amount_no_decimal_compatible", refunds included. */
  { "ISK", 2, 100 },
  { "UGX", 2, 100 },
  /* Three-decimal currencies: "these API calls require the
   * least-significant (last) digit to be 0" (5.124 KWD cannot be sent;
   * 5.120 or 5.130 can). */
  { "BHD", 3, 10 },
  { "JOD", 3, 10 },
  { "KWD", 3, 10 },
  { "OMR", 3, 10 },
  { "TND", 3, 10 },
  /* Three decimals in ISO 4217 too, but neither in Stripe's three-decimal
   * list nor among its presentment currencies. Stripe's amounts are
   * two-decimal "unless otherwise specified", so sending fils would risk a
   * charge ten times the sale: refused instead. */
  { "IQD", -1, 0 },
  { "LYD", -1, 0 },
};

static const StripeRule *
stripe_rule_lookup (const CurrencyInfo *info)
{
  for (guint i = 0; i < G_N_ELEMENTS (stripe_rules); i++)
    {
      if (strcmp (stripe_rules[i].code, info->code) == 0)
        return &stripe_rules[i];
    }

  return NULL;
}

/**
 * till_currency_get_exponent:
 * @code: an ISO 4217 alphabetic code such as "USD", in any case
 *
 * The exponent of the customary form: what the cashier types and sees,
 * and the unit of every amount between the terminal and till-server. It
 * is ISO 4217's, except for MGA (0 rather than 2).
 *
 * Returns: the number of minor-unit digits of @code (2 for "USD", 0 for
 *   "JPY" and "ISK", 3 for "KWD"), or -1 when @code is not a known currency
 */
int
till_currency_get_exponent (const char *code)
{
  const CurrencyInfo *info;

  g_return_val_if_fail (code != NULL, -1);

  info = currency_lookup (code);

  return info != NULL ? info->exponent : -1;
}

/**
 * till_currency_is_known:
 * @code: (nullable): an ISO 4217 alphabetic code, in any case
 *
 * Returns: %TRUE when @code is in the currency table; %FALSE for %NULL,
 *   which lets settings code check an unset value without a guard
 */
gboolean
till_currency_is_known (const char *code)
{
  return currency_lookup (code) != NULL;
}

/**
 * till_currency_get_symbol:
 * @code: an ISO 4217 alphabetic code, in any case
 *
 * The symbol is the one used at home ("$" for both USD and CAD), because a
 * till displays its own shop's currency to its own customers.
 *
 * Returns: (nullable): a static UTF-8 string: the symbol ("$", "€", "₩"),
 *   or the upper-case ISO code for currencies without one ("CHF", "KWD");
 *   %NULL when @code is not a known currency
 */
const char *
till_currency_get_symbol (const char *code)
{
  const CurrencyInfo *info;

  g_return_val_if_fail (code != NULL, NULL);

  info = currency_lookup (code);
  if (info == NULL)
    return NULL;

  return info->symbol != NULL ? info->symbol : info->code;
}

/* Locale conventions */

typedef struct
{
  char decimal[16];       /* UTF-8, never empty */
  char group[16];         /* UTF-8, empty when the locale does not group */
  char grouping[16];      /* C library grouping bytes, see group_size () */
  char local_symbol[32];  /* the locale's own CURRENCY_SYMBOL, UTF-8 */
  char local_code[4];     /* the locale's INT_CURR_SYMBOL, upper case */
  int  cs_precedes;       /* 1, 0, or -1 when the locale does not say */
  int  sep_by_space;      /* 0, 1, 2, or -1 when the locale does not say */
} MoneyConventions;

/* Copies a locale string as UTF-8. A locale such as "de_DE@euro" may be in
 * ISO-8859-15, whose "€" would otherwise end up as invalid UTF-8 in a label.
 * A value that cannot be converted or does not fit is left empty, which
 * every caller treats as "the locale does not say". */
static void
copy_locale_text (char       *dest,
                  gsize       dest_size,
                  const char *value,
                  const char *codeset)
{
  g_autofree char *converted = NULL;

  dest[0] = '\0';

  if (!g_str_is_ascii (value) && g_ascii_strcasecmp (codeset, "UTF-8") != 0)
    {
      converted = g_convert (value, -1, "UTF-8", codeset, NULL, NULL, NULL);
      value = converted;
    }

  if (value == NULL || !g_utf8_validate (value, -1, NULL))
    return;

  if (strlen (value) < dest_size)
    g_strlcpy (dest, value, dest_size);
}

static int
read_flag (locale_t loc,
           nl_item  item,
           int      max)
{
  int value = (signed char) nl_langinfo_l (item, loc)[0];

  /* The C locale stores CHAR_MAX, meaning "unspecified". */
  return value >= 0 && value <= max ? value : -1;
}

static void
conventions_read (MoneyConventions *conv,
                  locale_t          loc)
{
  const char *codeset = nl_langinfo_l (CODESET, loc);
  const char *value;

  value = nl_langinfo_l (MON_DECIMAL_POINT, loc);
  if (value[0] == '\0')
    value = nl_langinfo_l (RADIXCHAR, loc);
  copy_locale_text (conv->decimal, sizeof conv->decimal, value, codeset);
  if (conv->decimal[0] == '\0')
    g_strlcpy (conv->decimal, ".", sizeof conv->decimal);

  value = nl_langinfo_l (MON_THOUSANDS_SEP, loc);
  if (value[0] == '\0')
    value = nl_langinfo_l (THOUSEP, loc);
  copy_locale_text (conv->group, sizeof conv->group, value, codeset);

  value = nl_langinfo_l (MON_GROUPING, loc);
  if (value[0] == '\0')
    value = nl_langinfo_l (GROUPING, loc);
  if (strlen (value) < sizeof conv->grouping)
    g_strlcpy (conv->grouping, value, sizeof conv->grouping);

  /* A separator with no group sizes could never be accepted; groups of
   * three are what such a locale means. */
  if (conv->group[0] != '\0' && conv->grouping[0] == '\0')
    g_strlcpy (conv->grouping, "\3", sizeof conv->grouping);

  /* A locale whose separators coincide cannot group unambiguously. */
  if (strcmp (conv->group, conv->decimal) == 0)
    conv->group[0] = '\0';

  copy_locale_text (conv->local_symbol, sizeof conv->local_symbol,
                    nl_langinfo_l (CURRENCY_SYMBOL, loc), codeset);

  value = nl_langinfo_l (INT_CURR_SYMBOL, loc);
  if (g_ascii_isalpha (value[0]) && g_ascii_isalpha (value[1]) && g_ascii_isalpha (value[2]))
    {
      int i;

      for (i = 0; i < 3; i++)
        conv->local_code[i] = g_ascii_toupper (value[i]);
      conv->local_code[3] = '\0';
    }

  conv->cs_precedes = read_flag (loc, P_CS_PRECEDES, 1);
  conv->sep_by_space = read_flag (loc, P_SEP_BY_SPACE, 2);
}

/* Fills @conv for @locale_name, or for the calling thread's current locale
 * when it is %NULL. A locale that is not installed gets the POSIX
 * conventions ("." and no grouping) rather than an error: a till must keep
 * taking money when a machine lacks a locale, and those conventions are
 * the least surprising. */
static void
conventions_load (MoneyConventions *conv,
                  const char       *locale_name)
{
  locale_t loc;

  memset (conv, 0, sizeof *conv);
  g_strlcpy (conv->decimal, ".", sizeof conv->decimal);
  conv->cs_precedes = -1;
  conv->sep_by_space = -1;

  if (locale_name != NULL)
    loc = newlocale (LC_CTYPE_MASK | LC_NUMERIC_MASK | LC_MONETARY_MASK,
                     locale_name, (locale_t) 0);
  else
    /* The thread may be using LC_GLOBAL_LOCALE, which nl_langinfo_l() must
     * not be given; a copy of it is an ordinary locale object. */
    loc = duplocale (uselocale ((locale_t) 0));

  if (loc == (locale_t) 0)
    {
      static gsize reported = 0;

      /* Once per process: amounts are formatted for every row of a cart. */
      if (g_once_init_enter (&reported))
        {
          g_debug ("Locale “%s” is not available, using POSIX money conventions",
                   locale_name != NULL ? locale_name : "(current)");
          g_once_init_leave (&reported, 1);
        }
      return;
    }

  conventions_read (conv, loc);
  freelocale (loc);
}

/* Size of the @index-th digit group left of the decimal point (0 is the
 * rightmost), in the C library's encoding: the last size repeats and
 * CHAR_MAX ends grouping. Returns 0 when the remaining digits form one
 * unlimited group. */
static guint
group_size (const char *grouping,
            guint       index)
{
  guint size = 0;
  guint i;

  for (i = 0; i <= index && grouping[i] != '\0'; i++)
    {
      if ((guchar) grouping[i] >= G_MAXINT8)
        return 0;
      size = (guchar) grouping[i];
    }

  return size;
}

/* Parsing */

typedef struct
{
  const char *code;        /* canonical upper-case ISO code */
  const char *symbols[5];
  guint       n_symbols;
} SymbolSet;

static void
symbol_set_init (SymbolSet              *set,
                 const CurrencyInfo     *info,
                 const MoneyConventions *conv)
{
  guint i;

  set->code = info->code;
  set->n_symbols = 0;

  if (info->symbol != NULL)
    set->symbols[set->n_symbols++] = info->symbol;

  for (i = 0; i < G_N_ELEMENTS (info->alternates) && info->alternates[i] != NULL; i++)
    set->symbols[set->n_symbols++] = info->alternates[i];

  /* The locale may spell the symbol its own way (ja_JP writes "￥"), and
   * that is what its keyboard layouts make easy to type. */
  if (conv->local_symbol[0] != '\0' && strcmp (conv->local_code, info->code) == 0)
    set->symbols[set->n_symbols++] = conv->local_symbol;

  g_assert (set->n_symbols <= G_N_ELEMENTS (set->symbols));
}

static gboolean
range_has_prefix (const char *start,
                  const char *end,
                  const char *prefix,
                  gsize       prefix_len)
{
  return prefix_len > 0 && (gsize) (end - start) >= prefix_len
         && memcmp (start, prefix, prefix_len) == 0;
}

static gboolean
range_has_suffix (const char *start,
                  const char *end,
                  const char *suffix,
                  gsize       suffix_len)
{
  return suffix_len > 0 && (gsize) (end - start) >= suffix_len
         && memcmp (end - suffix_len, suffix, suffix_len) == 0;
}

/* Minus signs a keyboard or an input method may produce: ASCII, the
 * Unicode minus that glibc's own locales use, small and full-width. */
static const char * const minus_signs[] = { "-", "\u2212", "\ufe63", "\uff0d" };

static gsize
match_minus_at_start (const char *start,
                      const char *end)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (minus_signs); i++)
    {
      if (range_has_prefix (start, end, minus_signs[i], strlen (minus_signs[i])))
        return strlen (minus_signs[i]);
    }

  return 0;
}

static gsize
match_minus_at_end (const char *start,
                    const char *end)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (minus_signs); i++)
    {
      if (range_has_suffix (start, end, minus_signs[i], strlen (minus_signs[i])))
        return strlen (minus_signs[i]);
    }

  return 0;
}

/* The longest match wins, so "US$" is not read as "US" followed by "$". */
static gsize
match_symbol_at_start (const SymbolSet *set,
                       const char      *start,
                       const char      *end)
{
  gsize best = 0;
  guint i;

  if (end - start >= 3 && g_ascii_strncasecmp (start, set->code, 3) == 0)
    best = 3;

  for (i = 0; i < set->n_symbols; i++)
    {
      gsize len = strlen (set->symbols[i]);

      if (len > best && range_has_prefix (start, end, set->symbols[i], len))
        best = len;
    }

  return best;
}

static gsize
match_symbol_at_end (const SymbolSet *set,
                     const char      *start,
                     const char      *end)
{
  gsize best = 0;
  guint i;

  if (end - start >= 3 && g_ascii_strncasecmp (end - 3, set->code, 3) == 0)
    best = 3;

  for (i = 0; i < set->n_symbols; i++)
    {
      gsize len = strlen (set->symbols[i]);

      if (len > best && range_has_suffix (start, end, set->symbols[i], len))
        best = len;
    }

  return best;
}

static const char *
skip_spaces (const char *start,
             const char *end)
{
  while (start < end && g_unichar_isspace (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);

  return start;
}

static const char *
skip_spaces_back (const char *start,
                  const char *end)
{
  while (end > start)
    {
      const char *prev = g_utf8_find_prev_char (start, end);

      if (prev == NULL || !g_unichar_isspace (g_utf8_get_char (prev)))
        break;
      end = prev;
    }

  return end;
}

static void
set_invalid_characters (GError **error)
{
  g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                       _("The amount contains characters that are not allowed"));
}

/* Peels what may surround the number: spaces, parentheses, one minus sign
 * and one currency symbol, on either side and in either order ("-$5",
 * "$-5", "5 €", "(USD 5)"). On success [@out_start, @out_end) is what is
 * left, which still has to be checked to be a number. */
static gboolean
strip_affixes (const char       *text,
               const SymbolSet  *symbols,
               const char      **out_start,
               const char      **out_end,
               gboolean         *out_negative,
               GError          **error)
{
  const char *start = text;
  const char *end = text + strlen (text);
  gboolean parenthesised = FALSE;
  gboolean has_minus = FALSE;
  gboolean has_symbol = FALSE;
  gsize len;
  guint i;

  start = skip_spaces (start, end);
  end = skip_spaces_back (start, end);
  if (start == end)
    {
      g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_EMPTY,
                           _("Enter an amount"));
      return FALSE;
    }

  if (*start == '(' || end[-1] == ')')
    {
      if (end - start < 2 || *start != '(' || end[-1] != ')')
        {
          set_invalid_characters (error);
          return FALSE;
        }
      parenthesised = TRUE;
      start = skip_spaces (start + 1, end - 1);
      end = skip_spaces_back (start, end - 1);
    }

  for (i = 0; i < 2; i++)
    {
      if (!has_minus && (len = match_minus_at_start (start, end)) > 0)
        has_minus = TRUE;
      else if (!has_symbol && (len = match_symbol_at_start (symbols, start, end)) > 0)
        has_symbol = TRUE;
      else
        break;
      start = skip_spaces (start + len, end);
    }

  for (i = 0; i < 2; i++)
    {
      if (!has_minus && (len = match_minus_at_end (start, end)) > 0)
        has_minus = TRUE;
      else if (!has_symbol && (len = match_symbol_at_end (symbols, start, end)) > 0)
        has_symbol = TRUE;
      else
        break;
      end = skip_spaces_back (start, end - len);
    }

  if (start == end)
    {
      /* A bare "$" is what a field pre-filled with the symbol looks like
       * before anything is typed; a bare "-" is a typo. */
      if (parenthesised || has_minus)
        set_invalid_characters (error);
      else
        g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_EMPTY,
                             _("Enter an amount"));
      return FALSE;
    }

  *out_start = start;
  *out_end = end;
  *out_negative = parenthesised || has_minus;

  return TRUE;
}

typedef enum
{
  GROUP_EXACT,
  GROUP_ANY_SPACE,       /* fr_FR's U+202F cannot be typed on a keyboard */
  GROUP_ANY_APOSTROPHE,  /* de_CH's U+2019 is typed as ASCII ' */
} GroupLookalikes;

typedef struct
{
  const char      *decimal;
  const char      *group;       /* "" when grouping is not accepted */
  GroupLookalikes  lookalikes;  /* what else stands for @group */
  const char      *grouping;
} Separators;

typedef struct
{
  gboolean has_decimal;
  gsize    n_fraction;
} NumberShape;

static gboolean
is_space_separator (gunichar c)
{
  return g_unichar_type (c) == G_UNICODE_SPACE_SEPARATOR;
}

static gboolean
is_apostrophe (gunichar c)
{
  return c == '\'' || c == 0x2019 || c == 0x02BC;
}

static GroupLookalikes
group_lookalikes (const char *group)
{
  gunichar c;

  if (group[0] == '\0' || *g_utf8_next_char (group) != '\0')
    return GROUP_EXACT;

  c = g_utf8_get_char (group);
  if (is_space_separator (c))
    return GROUP_ANY_SPACE;
  if (is_apostrophe (c))
    return GROUP_ANY_APOSTROPHE;

  return GROUP_EXACT;
}

static gboolean
is_group_lookalike (const Separators *seps,
                    gunichar          c)
{
  switch (seps->lookalikes)
    {
    case GROUP_ANY_SPACE:
      return is_space_separator (c);
    case GROUP_ANY_APOSTROPHE:
      return is_apostrophe (c);
    case GROUP_EXACT:
    default:
      return FALSE;
    }
}

/* @lengths are the digit counts of the groups of the whole part, left to
 * right. Every group but the leftmost must have exactly the size
 * @grouping gives its position; the leftmost may be shorter ("1,234" but
 * not "12,34" or "1234,567"). */
static gboolean
grouping_matches (const gsize *lengths,
                  guint        n_groups,
                  const char  *grouping)
{
  guint leftmost_size;
  guint k;

  if (n_groups < 2)
    return TRUE;

  for (k = n_groups - 1; k > 0; k--)
    {
      guint size = group_size (grouping, n_groups - 1 - k);

      if (size == 0 || lengths[k] != size)
        return FALSE;
    }

  leftmost_size = group_size (grouping, n_groups - 1);

  return lengths[0] > 0 && (leftmost_size == 0 || lengths[0] <= leftmost_size);
}

/* Plain thousands are accepted in every locale besides its own grouping:
 * "1,234,567" and en_IN's "12,34,567" are the same number, and neither can
 * be mistaken for a decimal. */
static gboolean
grouping_is_valid (const gsize *lengths,
                   guint        n_groups,
                   const char  *grouping)
{
  return grouping_matches (lengths, n_groups, grouping)
         || grouping_matches (lengths, n_groups, "\3");
}

/* Checks that [@start, @end) is digits with at most one @seps->decimal and
 * correctly placed group separators before it. Digits are any Unicode
 * decimal digits, so full-width digits from a Japanese input method work. */
static gboolean
scan_number (const char       *start,
             const char       *end,
             const Separators *seps,
             NumberShape      *shape)
{
  g_autoptr(GArray) groups = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize decimal_len = strlen (seps->decimal);
  gsize group_len = strlen (seps->group);
  gboolean has_decimal = FALSE;
  gsize n_digits = 0;
  gsize run = 0;
  const char *p = start;

  g_assert (decimal_len > 0);

  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);
      const char *next = g_utf8_next_char (p);

      if (g_unichar_digit_value (c) >= 0)
        {
          run++;
          n_digits++;
        }
      else if (range_has_prefix (p, end, seps->decimal, decimal_len))
        {
          if (has_decimal)
            return FALSE;
          has_decimal = TRUE;
          g_array_append_val (groups, run);
          run = 0;
          next = p + decimal_len;
        }
      else if (!has_decimal && range_has_prefix (p, end, seps->group, group_len))
        {
          if (run == 0)
            return FALSE;
          g_array_append_val (groups, run);
          run = 0;
          next = p + group_len;
        }
      else if (!has_decimal && group_len > 0 && is_group_lookalike (seps, c))
        {
          if (run == 0)
            return FALSE;
          g_array_append_val (groups, run);
          run = 0;
        }
      else
        {
          return FALSE;
        }

      p = next;
    }

  if (has_decimal)
    shape->n_fraction = run;
  else
    g_array_append_val (groups, run);
  shape->has_decimal = has_decimal;

  return n_digits > 0
         && grouping_is_valid (&g_array_index (groups, gsize, 0), groups->len,
                               seps->grouping);
}

/* Returns the only '.' or ',' in the range, or NULL when there are none
 * or several. */
static const char *
find_sole_point (const char *start,
                 const char *end)
{
  const char *found = NULL;
  const char *p;

  for (p = start; p < end; p++)
    {
      if (*p == '.' || *p == ',')
        {
          if (found != NULL)
            return NULL;
          found = p;
        }
    }

  return found;
}

/* Reads the number the locale's way first. When that fails, a keypad's
 * decimal key may have typed the "wrong" point: "12.50" in de_DE. If the
 * text has exactly one '.' or ',' and 1..@exponent digits follow it at the
 * end, it is taken as the decimal point. A point that is valid grouping
 * ("1.234" in de_DE) is never reinterpreted, and with exponent 0 every
 * separator is grouping, so "12,00" KRW stays invalid. */
static gboolean
scan_amount (const char             *start,
             const char             *end,
             const MoneyConventions *conv,
             int                     exponent,
             NumberShape            *shape)
{
  Separators locale_seps = {
    conv->decimal, conv->group, group_lookalikes (conv->group), conv->grouping
  };
  Separators keypad_seps = locale_seps;
  const char *point;
  char point_text[2] = { 0 };

  if (scan_number (start, end, &locale_seps, shape))
    return TRUE;

  if (exponent == 0)
    return FALSE;

  point = find_sole_point (start, end);
  if (point == NULL)
    return FALSE;

  point_text[0] = *point;
  keypad_seps.decimal = point_text;
  if (strcmp (conv->group, point_text) == 0)
    {
      keypad_seps.group = "";
      keypad_seps.lookalikes = GROUP_EXACT;
    }

  return scan_number (start, end, &keypad_seps, shape)
         && shape->has_decimal
         && shape->n_fraction >= 1
         && shape->n_fraction <= (gsize) exponent;
}

/* Tells a misplaced separator apart from a stray character, only to pick
 * the more helpful message. */
static gboolean
has_only_number_characters (const char             *start,
                            const char             *end,
                            const MoneyConventions *conv)
{
  const char *p = start;

  while (p < end)
    {
      gunichar c = g_utf8_get_char (p);

      if (range_has_prefix (p, end, conv->decimal, strlen (conv->decimal)))
        p += strlen (conv->decimal);
      else if (range_has_prefix (p, end, conv->group, strlen (conv->group)))
        p += strlen (conv->group);
      else if (g_unichar_digit_value (c) >= 0 || c == '.' || c == ','
               || is_space_separator (c) || is_apostrophe (c))
        p = g_utf8_next_char (p);
      else
        return FALSE;
    }

  return TRUE;
}

/* value * 10 + digit, or FALSE when that would pass G_MAXINT64. */
static gboolean
append_digit (guint64 *value,
              guint    digit)
{
  if (*value > ((guint64) G_MAXINT64 - digit) / 10)
    return FALSE;

  *value = *value * 10 + digit;

  return TRUE;
}

/* Stops at the first overflow, so 10,000 digits cost no more than 20. */
static gboolean
accumulate_minor_units (const char        *start,
                        const char        *end,
                        const NumberShape *shape,
                        int                exponent,
                        guint64           *out_value)
{
  guint64 value = 0;
  const char *p;
  gsize i;

  for (p = start; p < end; p = g_utf8_next_char (p))
    {
      int digit = g_unichar_digit_value (g_utf8_get_char (p));

      if (digit >= 0 && !append_digit (&value, digit))
        return FALSE;
    }

  for (i = shape->has_decimal ? shape->n_fraction : 0; i < (gsize) exponent; i++)
    {
      if (!append_digit (&value, 0))
        return FALSE;
    }

  *out_value = value;

  return TRUE;
}

static void
set_too_many_decimals (GError             **error,
                       const CurrencyInfo  *info)
{
  if (info->exponent == 0)
    {
      /* Translators: %s is an ISO 4217 currency code, such as “JPY” */
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_TOO_MANY_DECIMALS,
                   _("Amounts in %s cannot have decimals"), info->code);
    }
  else
    {
      /* Translators: %s is an ISO 4217 currency code, such as “USD” */
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_TOO_MANY_DECIMALS,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Amounts in %s have at most %d decimal place",
                                "Amounts in %s have at most %d decimal places",
                                info->exponent),
                   info->code, info->exponent);
    }
}

static void
set_unknown_currency (GError     **error,
                      const char  *currency)
{
  if (currency == NULL)
    g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
                         _("No currency is set"));
  else if (g_utf8_validate (currency, -1, NULL) && g_utf8_strlen (currency, -1) <= 16)
    g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
                 _("“%s” is not a known currency code"), currency);
  else
    g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_UNKNOWN_CURRENCY,
                         _("The currency code is not valid"));
}

/**
 * till_money_parse:
 * @text: what the cashier typed, UTF-8
 * @currency: (nullable): the shop's ISO 4217 currency code
 * @locale: (nullable): a locale name such as "de_DE.UTF-8", or %NULL for
 *   the calling thread's current LC_MONETARY locale
 * @out_minor: (out) (optional): the amount in minor units
 * @error: a #GError in the %TILL_MONEY_ERROR domain
 *
 * Reads an amount the way a cashier in @locale types it: "12.50" in en_US,
 * "1.234,56" in de_DE, "₩12,000" in ko_KR. Surrounding spaces, and the
 * currency's symbol or ISO code before or after the number (with or
 * without spaces, including U+00A0 and U+202F), are ignored. Group
 * separators are accepted only in valid positions: where the locale's
 * grouping puts them (en_IN's "12,34,567") or in plain groups of three
 * after the first group. A locale whose separator is a space accepts any
 * space character, since a keyboard cannot type fr_FR's U+202F; one whose
 * separator is an apostrophe accepts ', ’ and ʼ alike. A locale that is
 * not installed falls back to the POSIX conventions: "." as the decimal
 * point and no grouping.
 *
 * Keypad leniency: when the text does not read in @locale's conventions
 * but has exactly one '.' or ',' with 1 to exponent digits after it, that
 * character is the decimal point ("12.50" in de_DE is 12.50, while
 * "1.234" there is 1234). Currencies with exponent 0 get no leniency:
 * "12,00" KRW is %TILL_MONEY_ERROR_INVALID, a misplaced group separator,
 * while "12.5" JPY in en_US is %TILL_MONEY_ERROR_TOO_MANY_DECIMALS.
 * Trailing zeros are fraction digits too: "12.000" USD is too many.
 *
 * "0" and "0.00" are valid; whether a zero amount is allowed is for the
 * caller to decide. Every minus sign is refused, "-0" included.
 *
 * When several things are wrong, the first of UNKNOWN_CURRENCY, EMPTY,
 * INVALID, NEGATIVE, TOO_MANY_DECIMALS, OVERFLOW is reported, so "-abc"
 * is INVALID and "-1.234" USD in en_US is NEGATIVE.
 *
 * Returns: %TRUE and sets @out_minor on success; on failure @out_minor is
 *   left untouched
 */
gboolean
till_money_parse (const char  *text,
                  const char  *currency,
                  const char  *locale,
                  gint64      *out_minor,
                  GError     **error)
{
  const CurrencyInfo *info;
  MoneyConventions conv;
  SymbolSet symbols;
  NumberShape shape = { FALSE, 0 };
  const char *start;
  const char *end;
  gboolean negative;
  guint64 value;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  info = currency_lookup (currency);
  if (info == NULL)
    {
      set_unknown_currency (error, currency);
      return FALSE;
    }

  if (!g_utf8_validate (text, -1, NULL))
    {
      set_invalid_characters (error);
      return FALSE;
    }

  conventions_load (&conv, locale);
  symbol_set_init (&symbols, info, &conv);

  if (!strip_affixes (text, &symbols, &start, &end, &negative, error))
    return FALSE;

  if (!scan_amount (start, end, &conv, info->exponent, &shape))
    {
      if (has_only_number_characters (start, end, &conv))
        g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_INVALID,
                             _("The decimal point or digit grouping is in the wrong place"));
      else
        set_invalid_characters (error);
      return FALSE;
    }

  if (negative)
    {
      g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE,
                           _("The amount cannot be negative"));
      return FALSE;
    }

  if (shape.has_decimal && shape.n_fraction > (gsize) info->exponent)
    {
      set_too_many_decimals (error, info);
      return FALSE;
    }

  if (!accumulate_minor_units (start, end, &shape, info->exponent, &value))
    {
      g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW,
                           _("The amount is too large"));
      return FALSE;
    }

  if (out_minor != NULL)
    *out_minor = (gint64) value;

  return TRUE;
}

/* Formatting */

/* At least exponent + 1 digits, so there is always a whole part. */
static char *
magnitude_digits (gint64 minor,
                  int    exponent)
{
  /* -G_MININT64 does not fit in a gint64; negating its successor does. */
  guint64 magnitude = minor < 0 ? (guint64) -(minor + 1) + 1 : (guint64) minor;

  return g_strdup_printf ("%0*" G_GUINT64_FORMAT, exponent + 1, magnitude);
}

static void
append_grouped (GString                *out,
                const char             *digits,
                gsize                   n_digits,
                const MoneyConventions *conv)
{
  gsize lengths[24];
  gsize remaining = n_digits;
  guint n = 0;

  while (remaining > 0)
    {
      guint size = conv->group[0] != '\0' ? group_size (conv->grouping, n) : 0;

      g_assert (n < G_N_ELEMENTS (lengths));

      if (size == 0 || size >= remaining)
        {
          lengths[n++] = remaining;
          break;
        }
      lengths[n++] = size;
      remaining -= size;
    }

  while (n > 0)
    {
      n--;
      g_string_append_len (out, digits, lengths[n]);
      digits += lengths[n];
      if (n > 0)
        g_string_append (out, conv->group);
    }
}

/**
 * till_money_format:
 * @minor: an amount in minor units
 * @currency: the shop's ISO 4217 currency code
 * @locale: (nullable): a locale name such as "de_DE.UTF-8", or %NULL for
 *   the calling thread's current LC_MONETARY locale
 *
 * Formats @minor for display with @locale's separators, grouping and
 * symbol placement, but with the symbol of @currency (till_currency_get_symbol()),
 * since a shop's currency need not be its locale's.
 *
 * The symbol goes before the number when the locale's p_cs_precedes says
 * so, and also when the locale does not say (POSIX, or a locale that is not
 * installed). Between symbol and number goes a U+00A0 no-break space when
 * the locale's p_sep_by_space is 1 or 2, so a label never wraps between
 * them, and always when the symbol is an ISO code ("KWD 1,234.567"), as
 * glibc does for its international symbols. Negative amounts get a leading
 * '-' before everything ("-$12.50", "-1.234,56 €"), whatever the locale's
 * sign position, so a minus is never missed on a receipt.
 *
 * Returns: (transfer full): the formatted amount, e.g. "$12.50",
 *   "1.234,56 €", "₩12,000"
 */
char *
till_money_format (gint64      minor,
                   const char *currency,
                   const char *locale)
{
  const CurrencyInfo *info;
  MoneyConventions conv;
  g_autofree char *digits = NULL;
  g_autoptr(GString) out = NULL;
  const char *symbol;
  gsize n_whole;
  gboolean leading;
  gboolean spaced;

  g_return_val_if_fail (currency != NULL, NULL);

  info = currency_lookup (currency);
  g_return_val_if_fail (info != NULL, NULL);

  conventions_load (&conv, locale);
  symbol = info->symbol != NULL ? info->symbol : info->code;
  leading = conv.cs_precedes != 0;
  spaced = conv.sep_by_space >= 1 || info->symbol == NULL;

  digits = magnitude_digits (minor, info->exponent);
  n_whole = strlen (digits) - info->exponent;

  out = g_string_new (NULL);
  if (minor < 0)
    g_string_append_c (out, '-');
  if (leading)
    {
      g_string_append (out, symbol);
      if (spaced)
        g_string_append (out, NBSP);
    }

  append_grouped (out, digits, n_whole, &conv);
  if (info->exponent > 0)
    {
      g_string_append (out, conv.decimal);
      g_string_append (out, digits + n_whole);
    }

  if (!leading)
    {
      if (spaced)
        g_string_append (out, NBSP);
      g_string_append (out, symbol);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * till_money_to_decimal_string:
 * @minor: an amount in minor units
 * @currency: an ISO 4217 currency code
 *
 * A locale-independent form for logs and JSON debugging: '.' as the
 * decimal point, no grouping, no symbol, a leading '-' when negative.
 *
 * Returns: (transfer full): e.g. "12.50" for 1250 USD, "12000" for 12000
 *   KRW, "-0.005" for -5 KWD
 */
char *
till_money_to_decimal_string (gint64      minor,
                              const char *currency)
{
  const CurrencyInfo *info;
  g_autofree char *digits = NULL;
  gsize n_whole;

  g_return_val_if_fail (currency != NULL, NULL);

  info = currency_lookup (currency);
  g_return_val_if_fail (info != NULL, NULL);

  digits = magnitude_digits (minor, info->exponent);
  if (info->exponent == 0)
    return g_strconcat (minor < 0 ? "-" : "", digits, NULL);

  n_whole = strlen (digits) - info->exponent;

  return g_strdup_printf ("%s%.*s.%s", minor < 0 ? "-" : "",
                          (int) n_whole, digits, digits + n_whole);
}

/* Stripe's minor units */

/* 10^(Stripe's exponent - the customary one), and Stripe's step in its own
 * units; 0 when Stripe does not take the currency. The table never has a
 * Stripe exponent below the customary one, so no amount loses digits. */
static gint64
stripe_factor (const CurrencyInfo *info,
               gint64             *out_step)
{
  const StripeRule *rule = stripe_rule_lookup (info);
  int exponent = rule != NULL ? rule->exponent : info->exponent;
  gint64 factor = 1;

  *out_step = rule != NULL ? rule->step : 1;
  if (exponent < 0)
    return 0;

  g_assert (exponent >= info->exponent);
  for (int i = info->exponent; i < exponent; i++)
    factor *= 10;

  return factor;
}

/**
 * till_currency_get_stripe_exponent:
 * @code: an ISO 4217 alphabetic code, in any case
 *
 * Returns: the number of decimals in Stripe's `amount` for @code: 2 for
 *   "ISK" and "UGX" (5 ISK is 500), 0 for "MGA" and "JPY", 3 for "KWD";
 *   -1 when @code is not a known currency or Stripe does not take it
 */
int
till_currency_get_stripe_exponent (const char *code)
{
  const CurrencyInfo *info;
  const StripeRule *rule;

  g_return_val_if_fail (code != NULL, -1);

  info = currency_lookup (code);
  if (info == NULL)
    return -1;

  rule = stripe_rule_lookup (info);

  return rule != NULL ? rule->exponent : info->exponent;
}

/**
 * till_money_get_max_amount:
 * @currency: an ISO 4217 alphabetic code, in any case
 *
 * The largest amount, in the customary minor unit, whose Stripe amount
 * stays within Stripe's eight digits (%TILL_MONEY_STRIPE_MAX_AMOUNT):
 * 99999999 for USD (999,999.99), 999999 for ISK (sent as 99999900). An
 * amount up to it may still be refused by till_money_to_stripe() for its
 * last digit.
 *
 * Returns: the limit, or 0 when @currency is unknown or not taken by Stripe
 */
gint64
till_money_get_max_amount (const char *currency)
{
  const CurrencyInfo *info;
  gint64 factor;
  gint64 step;

  g_return_val_if_fail (currency != NULL, 0);

  info = currency_lookup (currency);
  if (info == NULL)
    return 0;

  factor = stripe_factor (info, &step);

  return factor > 0 ? TILL_MONEY_STRIPE_MAX_AMOUNT / factor : 0;
}

/* What both directions check first: the currency is known and taken by
 * Stripe, and the amount is not negative. */
static const CurrencyInfo *
stripe_prepare (gint64       amount,
                const char  *currency,
                gint64      *out_factor,
                gint64      *out_step,
                GError     **error)
{
  const CurrencyInfo *info = currency_lookup (currency);

  if (info == NULL)
    {
      set_unknown_currency (error, currency);
      return NULL;
    }

  *out_factor = stripe_factor (info, out_step);
  if (*out_factor == 0)
    {
      /* Translators: %s is an ISO 4217 currency code, such as “IQD” */
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_AT_STRIPE,
                   _("Stripe does not take payments in %s"), info->code);
      return NULL;
    }

  if (amount < 0)
    {
      g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NEGATIVE,
                           _("The amount cannot be negative"));
      return NULL;
    }

  return info;
}

/**
 * till_money_to_stripe:
 * @minor: an amount in the customary minor unit of @currency
 * @currency: (nullable): an ISO 4217 alphabetic code, in any case
 * @out_stripe: (out) (optional): the amount in Stripe's minor unit
 * @error: a #GError in the %TILL_MONEY_ERROR domain
 *
 * Converts an amount for Stripe's `amount` parameter, by Stripe's rules
 * (see stripe_rules in this file): 1500 ISK becomes 150000, 12345 MGA
 * stays 12345, 5120 KWD stays 5120, and 5124 KWD is refused. Integer
 * arithmetic only, checked for overflow.
 *
 * Errors: %TILL_MONEY_ERROR_UNKNOWN_CURRENCY, %TILL_MONEY_ERROR_NOT_AT_STRIPE,
 * %TILL_MONEY_ERROR_NEGATIVE, %TILL_MONEY_ERROR_OVERFLOW (past %G_MAXINT64),
 * %TILL_MONEY_ERROR_TOO_LARGE (past Stripe's eight digits) and
 * %TILL_MONEY_ERROR_NOT_ACCEPTED ("Amounts in KWD end in 0"), in that order.
 * Zero converts to zero; whether it may be charged is for the caller.
 *
 * Returns: %TRUE and sets @out_stripe when Stripe can take the amount
 */
gboolean
till_money_to_stripe (gint64       minor,
                      const char  *currency,
                      gint64      *out_stripe,
                      GError     **error)
{
  const CurrencyInfo *info;
  gint64 factor;
  gint64 step;
  gint64 stripe;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  info = stripe_prepare (minor, currency, &factor, &step, error);
  if (info == NULL)
    return FALSE;

  if (minor > G_MAXINT64 / factor)
    {
      g_set_error_literal (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_OVERFLOW,
                           _("The amount is too large"));
      return FALSE;
    }
  stripe = minor * factor;

  if (stripe > TILL_MONEY_STRIPE_MAX_AMOUNT)
    {
      g_autofree char *max = till_money_to_decimal_string (TILL_MONEY_STRIPE_MAX_AMOUNT / factor,
                                                           info->code);

      /* Translators: the first %s is an amount such as “999999.99”, the
       * second an ISO 4217 currency code */
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_TOO_LARGE,
                   _("Stripe takes at most %s %s in one payment"), max, info->code);
      return FALSE;
    }

  if (stripe % step != 0)
    {
      /* Only the three-decimal currencies have a step that an amount in
       * the customary unit can miss. */
      g_assert (step == 10);
      /* Translators: %s is an ISO 4217 currency code, such as “KWD”. Stripe
       * takes three-decimal amounts only when their last digit is 0. */
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_ACCEPTED,
                   _("Amounts in %s end in 0"), info->code);
      return FALSE;
    }

  if (out_stripe != NULL)
    *out_stripe = stripe;

  return TRUE;
}

/**
 * till_money_from_stripe:
 * @stripe_amount: an amount as Stripe gives it, in its minor unit
 * @currency: (nullable): an ISO 4217 alphabetic code, in any case
 * @out_minor: (out) (optional): the amount in the customary minor unit
 * @error: a #GError in the %TILL_MONEY_ERROR domain
 *
 * The inverse of till_money_to_stripe(), for amounts read back from
 * Stripe: 150000 ISK becomes 1500. An amount that Stripe holds but Till
 * cannot express is refused rather than rounded: 150 ISK (1.50 króna, a
 * charge from before 2023-04-14) is %TILL_MONEY_ERROR_NOT_ACCEPTED. An old
 * 5124 KWD is taken as it is: it has no fraction of a fils.
 *
 * Errors: %TILL_MONEY_ERROR_UNKNOWN_CURRENCY, %TILL_MONEY_ERROR_NOT_AT_STRIPE,
 * %TILL_MONEY_ERROR_NEGATIVE and %TILL_MONEY_ERROR_NOT_ACCEPTED.
 *
 * Returns: %TRUE and sets @out_minor on success
 */
gboolean
till_money_from_stripe (gint64       stripe_amount,
                        const char  *currency,
                        gint64      *out_minor,
                        GError     **error)
{
  const CurrencyInfo *info;
  gint64 factor;
  gint64 step;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  info = stripe_prepare (stripe_amount, currency, &factor, &step, error);
  if (info == NULL)
    return FALSE;

  if (stripe_amount % factor != 0)
    {
      /* Translators: %s is an ISO 4217 currency code, such as “ISK” */
      g_set_error (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_ACCEPTED,
                   _("Stripe holds an amount in %s with a fraction that cannot be shown"),
                   info->code);
      return FALSE;
    }

  if (out_minor != NULL)
    *out_minor = stripe_amount / factor;

  return TRUE;
}
