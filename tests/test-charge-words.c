/* test-charge-words.c: what the charge screen says, without a window
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-charge-words.h"

typedef struct
{
  const char *reason;
  const char *must_say;
} Decline;

/* Stripe's decline codes (https://docs.stripe.com/declines/codes): what a
 * cashier must hear for each, and that lost, stolen and fraud codes read
 * as a plain decline. */
static const Decline declines[] = {
  { "expired_card", "expired" },
  { "incorrect_cvc", "security code (CVC) is wrong" },
  { "invalid_cvc", "security code (CVC) is wrong" },
  { "incorrect_number", "card number is wrong" },
  { "invalid_number", "card number is wrong" },
  { "insufficient_funds", "insufficient funds" },
  { "processing_error", "could not process" },
  { "authentication_required", "did not confirm" },
  { "lost_card", "Declined by the card’s bank." },
  { "stolen_card", "Declined by the card’s bank." },
  { "fraudulent", "Declined by the card’s bank." },
  { NULL, "Declined by the card’s bank." },
};

static void
test_decline (gconstpointer data)
{
  const Decline *decline = data;
  const char *words = till_charge_words_decline (decline->reason);

  g_assert_nonnull (strstr (words, decline->must_say));
  g_assert_null (strstr (words, "lost"));
  g_assert_null (strstr (words, "stolen"));
  g_assert_null (strstr (words, "fraud"));
}

/* An unknown outcome is never called failed or declined, and always says
 * not to charge again or what to do first. */
static void
test_unknown (void)
{
  static const char *reasons[] = { "unreachable", "tls", "timeout", "payment_not_found", "mismatch",
                                   "stripe_unavailable", "cancelled", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      const char *words = till_charge_words_unknown (reasons[i]);
      g_autofree char *lower = g_utf8_strdown (words, -1);

      g_assert_null (strstr (lower, "fail"));
      g_assert_null (strstr (lower, "declined"));
      g_assert_true (strstr (lower, "not charge") != NULL || strstr (lower, "check again") != NULL);
    }
}

static void
test_brand (void)
{
  g_assert_cmpstr (till_charge_words_brand ("visa"), ==, "Visa");
  g_assert_cmpstr (till_charge_words_brand ("amex"), ==, "American Express");
  g_assert_cmpstr (till_charge_words_brand ("<b>x</b>"), ==, "Card");
  g_assert_cmpstr (till_charge_words_brand (NULL), ==, "Card");
}

static void
test_outcome (void)
{
  g_assert_cmpstr (till_charge_words_outcome (TILL_SALE_STATUS_SUCCEEDED), ==, "approved");
  g_assert_cmpstr (till_charge_words_outcome (TILL_SALE_STATUS_DECLINED), ==, "declined");
  g_assert_cmpstr (till_charge_words_outcome (TILL_SALE_STATUS_ABANDONED), ==, "not charged");
  g_assert_cmpstr (till_charge_words_outcome (TILL_SALE_STATUS_UNKNOWN), ==, "not confirmed yet");
  g_assert_cmpstr (till_charge_words_outcome (TILL_SALE_STATUS_REQUIRES_ACTION), ==, "not confirmed yet");
}

/* Before the shop is known: no amount, a plain Charge button, no words. */
static void
test_before_shop (void)
{
  g_autoptr(TillCheckout) checkout = till_checkout_new (NULL);
  g_autofree char *amount = till_charge_words_amount (checkout, 1250);
  g_autofree char *button = till_charge_words_charge_button (checkout);
  g_autofree char *working = till_charge_words_working (checkout, NULL, 0);
  g_autofree char *ready = till_charge_words_card_ready ("mastercard");

  g_assert_cmpstr (amount, ==, "");
  g_assert_cmpstr (button, ==, "Charge");
  g_assert_cmpstr (working, ==, "");
  g_assert_cmpstr (ready, ==, "Mastercard card ready");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (declines); i++)
    {
      g_autofree char *path = g_strdup_printf ("/charge-words/decline/%s", declines[i].reason ? declines[i].reason : "none");

      g_test_add_data_func (path, &declines[i], test_decline);
    }
  g_test_add_func ("/charge-words/unknown", test_unknown);
  g_test_add_func ("/charge-words/brand", test_brand);
  g_test_add_func ("/charge-words/outcome", test_outcome);
  g_test_add_func ("/charge-words/before-shop", test_before_shop);
  return g_test_run ();
}
