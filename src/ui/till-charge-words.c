/* till-charge-words.c: what the charge screen says to the cashier
 *
 * Every sentence the charge screen shows comes from here, as a function
 * of the checkout's state, so that tests read the words for each case
 * without a window. The rules they follow: an unknown outcome is never
 * shown as failed, and says not to charge again; a decline says what to
 * do next; nothing here names more of a card than its brand and last 4.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-charge-words.h"
#include "till-money.h"

void
till_charge_words_clear (TillChargeWords *words)
{
  g_clear_pointer (&words->description, g_free);
}

char *
till_charge_words_amount (TillCheckout *checkout,
                          gint64        amount)
{
  TillShop *shop = till_checkout_get_shop (checkout);

  /* Nothing to show before the shop's currency is known. */
  if (shop == NULL)
    return g_strdup ("");
  return till_money_format (amount, till_shop_get_currency (shop), NULL);
}

const char *
till_charge_words_brand (const char *brand)
{
  static const struct { const char *id; const char *name; } brands[] = {
    { "visa", "Visa" }, { "mastercard", "Mastercard" }, { "amex", "American Express" },
    { "discover", "Discover" }, { "diners", "Diners Club" }, { "jcb", "JCB" },
    { "unionpay", "UnionPay" }, { "cartes_bancaires", "Cartes Bancaires" },
    { "eftpos_au", "eftpos" }, { "interac", "Interac" },
  };

  for (guint i = 0; brand != NULL && i < G_N_ELEMENTS (brands); i++)
    if (g_str_equal (brand, brands[i].id))
      return brands[i].name;
  return _("Card");
}

const char *
till_charge_words_decline (const char *reason)
{
  if (g_strcmp0 (reason, "insufficient_funds") == 0)
    return _("Declined: insufficient funds. Ask for another card.");
  if (g_strcmp0 (reason, "expired_card") == 0)
    return _("Declined: the card has expired. Ask for another card.");
  if (g_strcmp0 (reason, "incorrect_cvc") == 0 || g_strcmp0 (reason, "invalid_cvc") == 0)
    return _("Declined: the security code (CVC) is wrong. Type the card again.");
  if (g_strcmp0 (reason, "incorrect_number") == 0 || g_strcmp0 (reason, "invalid_number") == 0)
    return _("Declined: the card number is wrong. Type the card again.");
  if (g_strcmp0 (reason, "processing_error") == 0)
    return _("The card’s bank could not process it. Try again, or ask for another card.");
  if (g_strcmp0 (reason, "payment_intent_authentication_failure") == 0 ||
      g_strcmp0 (reason, "authentication_required") == 0)
    return _("Declined: the customer’s bank did not confirm the payment. Ask for another card.");
  return _("Declined by the card’s bank. Ask for another card.");
}

const char *
till_charge_words_unknown (const char *reason)
{
  if (g_strcmp0 (reason, "unreachable") == 0 || g_strcmp0 (reason, "tls") == 0)
    return _("Could not reach the shop server. The card may or may not have been charged: "
             "do not charge it again. Check again once the server is back.");
  if (g_strcmp0 (reason, "timeout") == 0)
    return _("The shop server did not answer in time. The card may or may not have been "
             "charged: do not charge it again. Check again.");
  if (g_strcmp0 (reason, "payment_not_found") == 0)
    return _("Only the cashier who started this payment can finish it. Ask them to sign in, "
             "then check again.");
  if (g_strcmp0 (reason, "mismatch") == 0)
    return _("The shop server answered about another payment. Do not charge again: ask "
             "a manager to look this sale up.");
  return _("The shop server could not confirm the payment with the card network yet. Do not "
           "charge again: check again in a moment.");
}

const char *
till_charge_words_outcome (TillSaleStatus status)
{
  switch (status)
    {
    case TILL_SALE_STATUS_SUCCEEDED:
      return _("approved");
    case TILL_SALE_STATUS_DECLINED:
      return _("declined");
    case TILL_SALE_STATUS_FAILED:
    case TILL_SALE_STATUS_ABANDONED:
      return _("not charged");
    case TILL_SALE_STATUS_REQUIRES_ACTION:
    case TILL_SALE_STATUS_UNKNOWN:
    case TILL_SALE_STATUS_NEW:
    default:
      return _("not confirmed yet");
    }
}

static const char *
button_words (TillCheckoutNext next)
{
  switch (next)
    {
    case TILL_CHECKOUT_NEXT_CHECK_AGAIN:
    case TILL_CHECKOUT_NEXT_RECOVER:
      return _("_Check Again");
    case TILL_CHECKOUT_NEXT_AUTHENTICATE:
      return _("_Authenticate Again");
    case TILL_CHECKOUT_NEXT_CHARGE_AGAIN:
      return _("C_harge Again");
    case TILL_CHECKOUT_NEXT_NEW_SALE:
    default:
      return _("_New Sale");
    }
}

static void
set_words (TillChargeWords *words,
           const char      *icon,
           const char      *style,
           const char      *title,
           char            *description)
{
  words->icon = icon;
  words->style = style;
  words->title = title;
  g_free (words->description);
  words->description = description;
}

/* "$12.50 · Visa •••• 4242", or the amount alone before the card is known. */
static char *
sale_line (TillCheckout *checkout,
           TillSale     *sale)
{
  g_autofree char *amount = till_charge_words_amount (checkout, till_sale_get_amount (sale));

  if (till_sale_get_card_last4 (sale) == NULL)
    return g_steal_pointer (&amount);
  /* Translators: "$12.50 · Visa •••• 4242" */
  return g_strdup_printf (_("%s · %s •••• %s"), amount, till_charge_words_brand (till_sale_get_card_brand (sale)),
                          till_sale_get_card_last4 (sale));
}

static void
outcome_words (TillCheckout    *checkout,
               TillSale        *sale,
               TillChargeWords *words)
{
  g_autofree char *amount = till_charge_words_amount (checkout, till_sale_get_amount (sale));
  const char *reason = till_sale_get_reason (sale);

  switch (till_sale_get_status (sale))
    {
    case TILL_SALE_STATUS_SUCCEEDED:
      set_words (words, "emblem-ok-symbolic", "success", _("Approved"), sale_line (checkout, sale));
      break;
    case TILL_SALE_STATUS_DECLINED:
      set_words (words, "dialog-error-symbolic", "error", _("Declined"),
                 g_strdup_printf ("%s\n%s", amount, till_charge_words_decline (reason)));
      break;
    case TILL_SALE_STATUS_FAILED:
      set_words (words, "dialog-error-symbolic", "error", _("Not Charged"),
                 g_strdup (g_strcmp0 (reason, "stripe_auth_failed") == 0
                           ? _("The shop server cannot use its Stripe account. Nothing was charged. "
                               "Ask the person who runs the shop’s computers.")
                           : g_strcmp0 (reason, "currency_mismatch") == 0
                           ? _("The shop’s currency has changed. Nothing was charged. Sign out and in "
                               "again.")
                           : _("The card could not be used for this payment. Nothing was charged. "
                               "Ask for another card.")));
      break;
    case TILL_SALE_STATUS_REQUIRES_ACTION:
      /* The customer has not passed the challenge (yet): nothing is
       * charged, and only the server's confirm could charge it. */
      set_words (words, "dialog-warning-symbolic", "warning", _("Waiting for the Customer’s Bank"),
                 g_strdup_printf (_("%s\nThe customer has not confirmed this payment with their bank. "
                                    "Nothing has been charged."), amount));
      break;
    case TILL_SALE_STATUS_ABANDONED:
      set_words (words, "dialog-error-symbolic", "error", _("Not Charged"), g_steal_pointer (&amount));
      break;
    case TILL_SALE_STATUS_UNKNOWN:
    case TILL_SALE_STATUS_NEW:
    default:
      set_words (words, "dialog-warning-symbolic", "warning", _("Not Confirmed Yet"),
                 g_strdup (till_charge_words_unknown (reason)));
      break;
    }
}

static void
recovered_words (TillCheckout    *checkout,
                 TillChargeWords *words)
{
  GPtrArray *sales = till_checkout_get_recovered (checkout);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; sales != NULL && i < sales->len; i++)
    {
      TillSale *sale = g_ptr_array_index (sales, i);
      g_autofree char *line = sale_line (checkout, sale);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      /* Translators: "$12.50 · Visa •••• 4242: approved" */
      g_string_append_printf (text, _("%s: %s"), line, till_charge_words_outcome (till_sale_get_status (sale)));
    }
  if (till_checkout_get_next (checkout) == TILL_CHECKOUT_NEXT_RECOVER)
    set_words (words, "dialog-warning-symbolic", "warning", _("Payments From Before Not Confirmed Yet"),
               g_string_free (g_steal_pointer (&text), FALSE));
  else
    set_words (words, "dialog-information-symbolic", "accent", _("Payments From Before"),
               g_string_free (g_steal_pointer (&text), FALSE));
}

void
till_charge_words_result (TillCheckout    *checkout,
                          TillChargeWords *words)
{
  TillSale *sale = till_checkout_get_sale (checkout);
  TillCheckoutNext next = till_checkout_get_next (checkout);

  g_return_if_fail (TILL_IS_CHECKOUT (checkout));

  switch (till_checkout_get_result (checkout))
    {
    case TILL_CHECKOUT_RESULT_NOT_SENT:
      set_words (words, "dialog-error-symbolic", "error", _("Not Charged"),
                 g_strdup (_("This terminal could not write its payment journal, so nothing was sent. "
                             "Ask the person who runs the shop’s computers (is the disk full?).")));
      break;
    case TILL_CHECKOUT_RESULT_SESSION_ENDED:
      set_words (words, "dialog-warning-symbolic", "warning", _("Not Confirmed Yet"),
                 g_strdup (_("The session ended before the shop server answered. Sign in again, then "
                             "check again: the same payment is sent, never a second one.")));
      break;
    case TILL_CHECKOUT_RESULT_DUPLICATE:
      {
        g_autofree char *sold = till_charge_words_amount (checkout, till_sale_get_amount (sale));

        set_words (words, "dialog-warning-symbolic", "warning", _("Charge This Card Again?"),
                   g_strdup_printf (_("%s was charged to this %s card •••• %s a few minutes ago. Charge it "
                                      "again?"),
                                    sold, till_charge_words_brand (till_sale_get_card_brand (sale)),
                                    till_sale_get_card_last4 (sale)));
      }
      break;
    case TILL_CHECKOUT_RESULT_RECOVERED:
      recovered_words (checkout, words);
      break;
    case TILL_CHECKOUT_RESULT_OUTCOME:
      outcome_words (checkout, sale, words);
      break;
    case TILL_CHECKOUT_RESULT_NONE:
    default:
      set_words (words, "dialog-warning-symbolic", "warning", "", g_strdup (""));
      break;
    }
  words->button = button_words (next);
  /* Only a sale waiting for 3-D Secure may be dropped (only the server's
   * confirm could ever charge it), or a duplicate not charged again. */
  words->can_abandon = next == TILL_CHECKOUT_NEXT_AUTHENTICATE || next == TILL_CHECKOUT_NEXT_CHARGE_AGAIN;
}

char *
till_charge_words_charge_button (TillCheckout *checkout)
{
  gint64 amount = till_checkout_get_amount (checkout);
  g_autofree char *formatted = NULL;

  if (amount <= 0)
    return g_strdup (_("Charge"));
  formatted = till_charge_words_amount (checkout, amount);
  /* Translators: the button that charges the card; %s is an amount. */
  return g_strdup_printf (_("Charge %s"), formatted);
}

static char *
sending_words (TillCheckout *checkout,
               TillSale     *sale,
               GDateTime    *sent_at,
               gint64        seconds)
{
  g_autofree char *amount = till_charge_words_amount (checkout, till_sale_get_amount (sale));
  g_autofree char *since = NULL;

  if (seconds < TILL_CHARGE_WORDS_STILL_WAITING_SECONDS || sent_at == NULL)
    return till_sale_get_status (sale) == TILL_SALE_STATUS_REQUIRES_ACTION
           ? g_strdup_printf (_("Confirming %s…"), amount)
           : g_strdup_printf (_("Charging %s…"), amount);
  since = g_date_time_format (sent_at, "%X");
  /* Translators: %s is the time of day the request was sent (14:02:11),
   * then minutes:seconds spent waiting since. */
  return g_strdup_printf (_("Still waiting for the shop’s server since %s (%d:%02d).\n"
                            "The card may or may not be charged. Do not charge it again."),
                          since, (int) (seconds / 60), (int) (seconds % 60));
}

char *
till_charge_words_working (TillCheckout *checkout,
                           GDateTime    *sent_at,
                           gint64        seconds)
{
  TillSale *sale = till_checkout_get_sale (checkout);
  guint count;

  switch (till_checkout_get_state (checkout))
    {
    case TILL_CHECKOUT_STATE_READING_CARD:
      return g_strdup (_("Reading the card…"));
    case TILL_CHECKOUT_STATE_AUTHENTICATING:
      return g_strdup (_("The customer’s bank asks them to confirm this payment. Hand the screen to the "
                         "customer."));
    case TILL_CHECKOUT_STATE_SENDING:
      return sending_words (checkout, sale, sent_at, seconds);
    case TILL_CHECKOUT_STATE_CHECKING:
      {
        g_autofree char *amount = till_charge_words_amount (checkout, till_sale_get_amount (sale));

        /* Translators: %s is an amount, then minutes:seconds spent so far. */
        return g_strdup_printf (_("Checking the payment of %s… %d:%02d\nDo not charge the card again."),
                                amount, (int) (seconds / 60), (int) (seconds % 60));
      }
    case TILL_CHECKOUT_STATE_RECOVERING:
      count = till_checkout_get_recovering_count (checkout);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Checking %u payment made before Till stopped…",
                                           "Checking %u payments made before Till stopped…", count),
                              count);
    case TILL_CHECKOUT_STATE_LOADING:
    case TILL_CHECKOUT_STATE_UNAVAILABLE:
    case TILL_CHECKOUT_STATE_ENTRY:
    case TILL_CHECKOUT_STATE_RESULT:
    default:
      return g_strdup ("");
    }
}

char *
till_charge_words_card_ready (const char *brand)
{
  return g_strdup_printf (_("%s card ready"), till_charge_words_brand (brand));
}
