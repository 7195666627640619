/* till-charge-page.c: the charge screen: amount, reference, card, result
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The amount is typed like on a cash register: digits come in from the
 * right, in the shop's minor unit (1, 2, 5, 0 is 12.50 in EUR and 1,250 in
 * KRW), so there is no decimal separator to get wrong. It is an integer
 * from the first key to the request; the card page never sees it.
 *
 * One sale at a time: a TillSale is made when Charge is pressed and kept
 * until its outcome is final. Nothing starts another while it is open, so
 * a double click, a held Enter key or a second press cannot pay twice; and
 * the sale's own key makes every resend the same payment.
 */
#define G_LOG_DOMAIN "till-charge-page"

#include "config.h"

#include <glib/gi18n.h>

#include "till-backend-answers.h"
#include "till-charge-page.h"
#include "till-money.h"

/* What the result's button does. */
typedef enum
{
  NEXT_NEW_SALE,
  NEXT_CHECK_AGAIN,
  NEXT_AUTHENTICATE,
  NEXT_CHARGE_ANYWAY,
  NEXT_RECOVER,
} Next;

/* Rounds of 3-D Secure in the page before the cashier is asked. */
#define MAX_AUTH_ROUNDS 2
/* An unknown outcome is checked again this often, for this long, before
 * the cashier is asked whether to keep waiting. */
#define CHECK_EVERY_SECONDS 5
#define CHECK_FOR_SECONDS 120
/* A request unanswered this long is said to be on the way, with since
 * when and what not to do; the sale turns UNKNOWN (and the screen to
 * checking) at the latest when the request's deadline passes, the
 * "request-timeout" setting (docs/journal.md). */
#define STILL_WAITING_SECONDS 5
/* The same amount on the same card within this time asks first. */
#define DUPLICATE_SECONDS (5 * 60)

typedef enum
{
  STATE_LOADING,
  STATE_UNAVAILABLE,
  STATE_ENTRY,
  STATE_WORKING,
  STATE_AUTHENTICATING,
  STATE_RESULT,
} State;

struct _TillChargePage
{
  AdwBin          parent_instance;

  /* template widgets */
  GtkStack       *page_stack;
  GtkSpinner     *loading_spinner;
  AdwStatusPage  *unavailable_page;
  GtkButton      *retry_button;
  GtkLabel       *amount_label;
  GtkLabel       *amount_problem;
  GtkStack       *sale_stack;
  GtkEntry       *reference_entry;
  GtkGrid        *keypad;
  GtkSpinner     *working_spinner;
  GtkLabel       *working_label;
  GtkButton      *stop_button;
  GtkButton      *abandon_button;
  GtkBox         *result_box;
  GtkImage       *result_icon;
  GtkLabel       *result_title;
  GtkLabel       *result_description;
  GtkButton      *next_button;
  GtkLabel       *card_heading;
  TillCardView   *card_view;
  GtkLabel       *card_status;
  GtkBox         *action_box;
  GtkButton      *clear_button;
  GtkButton      *charge_button;

  TillSession    *session;
  TillJournal    *journal;
  GCancellable   *cancellable;       /* the settings request */
  GCancellable   *sale_cancellable;  /* requests of sales: cancelled when the page goes */

  /* the shop */
  char           *shop_name;
  char           *currency;
  char           *mode;

  State           state;
  gint64          amount;
  char           *amount_text;
  TillSale       *sale;              /* open or last sale */
  Next            next;
  guint           auth_rounds;
  char           *pending_token;     /* held while a likely duplicate is asked about */
  gint64          checking_since;    /* monotonic µs, 0 when not checking */
  guint           check_source;
  guint           clock_source;
  GDateTime      *waiting_since;     /* the request on the way was sent then, local time */
  gint64          waiting_started;   /* monotonic µs */
  guint           waiting_source;
  GPtrArray      *recovering;        /* TillSale from the journal */
  guint           recover_index;
  gboolean        focus_on_map;

  /* benchmark figures: monotonic µs, and the last sale's overheads in ms */
  gint64          t_token;
  gint64          t_response;
  double          token_to_request_ms;
  double          response_to_result_ms;
};

G_DEFINE_FINAL_TYPE (TillChargePage, till_charge_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_NOTICE,
  SIGNAL_CONFIGURED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void show_result (TillChargePage *self);
static gboolean focus_within (TillChargePage *self, GtkWidget *area);
static void authenticate (TillChargePage *self);

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static char *
format_amount (TillChargePage *self,
               gint64          amount)
{
  /* Nothing to show before the shop's currency is known. */
  if (self->currency == NULL)
    return g_strdup ("");
  return till_money_format (amount, self->currency, NULL);
}

/* Stripe's eight digits, counted in Stripe's unit for the shop's currency
 * (999999 ISK, 99999999 USD cents): the keypad stops there. */
static gint64
max_amount (TillChargePage *self)
{
  return self->currency != NULL ? till_money_get_max_amount (self->currency) : 0;
}

/* Why Stripe would not take the amount (“Amounts in KWD end in 0”), or
 * NULL when it would. */
static char *
amount_problem (TillChargePage *self)
{
  g_autoptr(GError) error = NULL;

  if (self->currency == NULL || self->amount == 0 ||
      till_money_to_stripe (self->amount, self->currency, NULL, &error))
    return NULL;
  return g_strdup (error->message);
}

static gboolean
can_charge (TillChargePage *self)
{
  g_autofree char *problem = amount_problem (self);

  return self->state == STATE_ENTRY && self->currency != NULL &&
         self->amount > 0 && problem == NULL &&
         till_card_view_get_ready (self->card_view) &&
         till_card_view_get_complete (self->card_view) &&
         self->sale == NULL;
}

static void
update_controls (TillChargePage *self)
{
  g_autofree char *label = NULL;

  if (self->amount > 0)
    {
      g_autofree char *formatted = format_amount (self, self->amount);

      /* Translators: the button that charges the card; %s is an amount. */
      label = g_strdup_printf (_("Charge %s"), formatted);
    }
  else
    label = g_strdup (_("Charge"));
  gtk_button_set_label (self->charge_button, label);
  gtk_widget_set_sensitive (GTK_WIDGET (self->charge_button), can_charge (self));
  gtk_widget_set_visible (GTK_WIDGET (self->action_box), self->state == STATE_ENTRY);
  gtk_widget_set_sensitive (GTK_WIDGET (self->card_view),
                            self->state == STATE_ENTRY || self->state == STATE_AUTHENTICATING);
}

static void
update_amount (TillChargePage *self)
{
  g_autofree char *problem = amount_problem (self);

  g_free (self->amount_text);
  self->amount_text = format_amount (self, self->amount);
  gtk_label_set_label (self->amount_label, self->amount_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->amount_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->amount_text, -1);
  gtk_label_set_label (self->amount_problem, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->amount_problem), problem != NULL);
  update_controls (self);
}

static void
set_card_status (TillChargePage *self,
                 const char     *text,
                 gboolean        error)
{
  gtk_label_set_label (self->card_status, text ? text : "");
  if (error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->card_status), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->card_status), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->card_status), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->card_status), "dim-label");
    }
}

static void stop_waiting (TillChargePage *self);

static void
set_state (TillChargePage *self,
           State           state)
{
  self->state = state;
  if (state != STATE_WORKING)
    stop_waiting (self);
  gtk_spinner_set_spinning (self->loading_spinner, state == STATE_LOADING);
  gtk_spinner_set_spinning (self->working_spinner, state == STATE_WORKING || state == STATE_AUTHENTICATING);

  switch (state)
    {
    case STATE_LOADING:
      gtk_stack_set_visible_child_name (self->page_stack, "loading");
      break;
    case STATE_UNAVAILABLE:
      gtk_stack_set_visible_child_name (self->page_stack, "unavailable");
      break;
    case STATE_ENTRY:
      gtk_stack_set_visible_child_name (self->page_stack, "sale");
      gtk_stack_set_visible_child_name (self->sale_stack, "entry");
      break;
    case STATE_WORKING:
    case STATE_AUTHENTICATING:
      gtk_stack_set_visible_child_name (self->page_stack, "sale");
      gtk_stack_set_visible_child_name (self->sale_stack, "working");
      break;
    case STATE_RESULT:
    default:
      gtk_stack_set_visible_child_name (self->page_stack, "sale");
      gtk_stack_set_visible_child_name (self->sale_stack, "result");
      break;
    }

  /* The customer's bank may show a challenge in the card page: give it
   * the room. */
  gtk_widget_set_vexpand (GTK_WIDGET (self->card_view), state == STATE_AUTHENTICATING);
  gtk_widget_set_size_request (GTK_WIDGET (self->card_view), -1, state == STATE_AUTHENTICATING ? 420 : 72);
  gtk_widget_set_visible (GTK_WIDGET (self->card_status), state != STATE_AUTHENTICATING);
  update_controls (self);
}

/* stop: the label of the button that stops waiting for the card page, or
 * NULL when there is nothing the cashier may stop (the server has it). */
static void
set_working (TillChargePage *self,
             State           state,
             const char     *text,
             const char     *stop)
{
  gtk_label_set_label (self->working_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->stop_button), stop != NULL);
  if (stop != NULL)
    gtk_button_set_label (self->stop_button, stop);
  set_state (self, state);
}

static void
notice (TillChargePage *self,
        const char     *text)
{
  g_signal_emit (self, signals[SIGNAL_NOTICE], 0, text);
}

/* Entry */

static void stop_checking (TillChargePage *self);

static void
reset_sale (TillChargePage *self)
{
  stop_checking (self);
  g_clear_object (&self->sale);
  g_clear_pointer (&self->pending_token, g_free);
  self->auth_rounds = 0;
  self->amount = 0;
  self->token_to_request_ms = -1;
  self->response_to_result_ms = -1;
  gtk_editable_set_text (GTK_EDITABLE (self->reference_entry), "");
  set_card_status (self, NULL, FALSE);
  set_state (self, STATE_ENTRY);
  update_amount (self);
}

static void
add_digits (TillChargePage *self,
            const char     *digits)
{
  for (const char *d = digits; *d != '\0'; d++)
    {
      gint64 next;

      if (!g_ascii_isdigit (*d))
        continue;
      /* Past Stripe's limit the key does nothing, and no leading zeros. */
      next = self->amount * 10 + (*d - '0');
      if (next > max_amount (self))
        {
          gtk_widget_error_bell (GTK_WIDGET (self));
          break;
        }
      self->amount = next;
    }
  update_amount (self);
}

static void
remove_digit (TillChargePage *self)
{
  self->amount /= 10;
  update_amount (self);
}

static void
keypad_clicked_cb (GtkButton      *button,
                   TillChargePage *self)
{
  const char *key = g_object_get_data (G_OBJECT (button), "till-key");

  if (self->state == STATE_RESULT && self->sale != NULL && till_sale_is_final (self->sale))
    reset_sale (self);
  if (self->state != STATE_ENTRY)
    return;
  if (g_str_equal (key, "back"))
    remove_digit (self);
  else
    add_digits (self, key);
}

static void
build_keypad (TillChargePage *self)
{
  static const char *keys[] = { "7", "8", "9", "4", "5", "6", "1", "2", "3", "00", "0", "back" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkWidget *button;

      if (g_str_equal (keys[i], "back"))
        {
          button = gtk_button_new_from_icon_name ("edit-clear-symbolic");
          gtk_widget_set_tooltip_text (button, _("Remove the last digit (Backspace)"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Remove the last digit"), -1);
        }
      else
        button = gtk_button_new_with_label (keys[i]);
      g_object_set_data (G_OBJECT (button), "till-key", (gpointer) keys[i]);
      /* Keys are typed, not tabbed through: focus stays where the cashier is. */
      gtk_widget_set_focus_on_click (button, FALSE);
      gtk_widget_set_can_focus (button, FALSE);
      gtk_widget_set_size_request (button, -1, 52);
      gtk_widget_add_css_class (button, "title-2");
      g_signal_connect (button, "clicked", G_CALLBACK (keypad_clicked_cb), self);
      gtk_grid_attach (self->keypad, button, i % 3, i / 3, 1, 1);
    }
}

/* Results */

static const char *
brand_name (const char *brand)
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

/* Words for the cashier, from Stripe's decline code. Lost, stolen and
 * fraud codes read as a plain decline, as Stripe advises. */
static const char *
decline_words (const char *reason)
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

static const char *
unknown_words (const char *reason)
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

static void
set_result (TillChargePage *self,
            const char     *icon,
            const char     *style,
            const char     *title,
            const char     *description,
            Next            next)
{
  const char *button = next == NEXT_CHECK_AGAIN || next == NEXT_RECOVER ? _("_Check Again")
                     : next == NEXT_AUTHENTICATE ? _("_Authenticate Again")
                     : next == NEXT_CHARGE_ANYWAY ? _("C_harge Again")
                     : _("_New Sale");

  static const char *styles[] = { "success", "error", "warning" };

  gtk_image_set_from_icon_name (self->result_icon, icon);
  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->result_icon), styles[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->result_icon), style);
  gtk_label_set_label (self->result_title, title);
  gtk_label_set_label (self->result_description, description);
  gtk_button_set_label (self->next_button, button);
  self->next = next;
  /* Only a sale waiting for 3-D Secure may be dropped: only the server's
   * confirm could ever charge it. */
  gtk_widget_set_visible (GTK_WIDGET (self->abandon_button),
                          next == NEXT_AUTHENTICATE || next == NEXT_CHARGE_ANYWAY);
  /* Screen readers hear the whole result at once. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->result_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
  set_state (self, STATE_RESULT);
  gtk_widget_grab_focus (GTK_WIDGET (self->next_button));
}

static gboolean
result_drawn_cb (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       data)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  if (self->t_response > 0)
    {
      self->response_to_result_ms = (g_get_monotonic_time () - self->t_response) / 1000.0;
      g_debug ("Response received to result drawn: %.3f ms", self->response_to_result_ms);
    }
  self->t_response = 0;
  return G_SOURCE_REMOVE;
}

static void
show_result (TillChargePage *self)
{
  TillSale *sale = self->sale;
  g_autofree char *amount = format_amount (self, till_sale_get_amount (sale));
  g_autofree char *text = NULL;

  /* Each result leaves an empty card form for the next sale. */
  till_card_view_clear (self->card_view);

  switch (till_sale_get_status (sale))
    {
    case TILL_SALE_STATUS_SUCCEEDED:
      if (till_sale_get_card_last4 (sale) != NULL)
        /* Translators: "$12.50 · Visa •••• 4242" */
        text = g_strdup_printf (_("%s · %s •••• %s"), amount, brand_name (till_sale_get_card_brand (sale)),
                                till_sale_get_card_last4 (sale));
      else
        text = g_strdup (amount);
      set_result (self, "emblem-ok-symbolic", "success", _("Approved"), text, NEXT_NEW_SALE);
      break;

    case TILL_SALE_STATUS_DECLINED:
      text = g_strdup_printf ("%s\n%s", amount, decline_words (till_sale_get_reason (sale)));
      set_result (self, "dialog-error-symbolic", "error", _("Declined"), text, NEXT_NEW_SALE);
      break;

    case TILL_SALE_STATUS_FAILED:
      if (g_strcmp0 (till_sale_get_reason (sale), "stripe_auth_failed") == 0)
        text = g_strdup (_("The shop server cannot use its Stripe account. Nothing was charged. "
                           "Ask the person who runs the shop’s computers."));
      else if (g_strcmp0 (till_sale_get_reason (sale), "currency_mismatch") == 0)
        text = g_strdup (_("The shop’s currency has changed. Nothing was charged. Sign out and in "
                           "again."));
      else
        text = g_strdup (_("The card could not be used for this payment. Nothing was charged. "
                           "Ask for another card."));
      set_result (self, "dialog-error-symbolic", "error", _("Not Charged"), text, NEXT_NEW_SALE);
      break;

    case TILL_SALE_STATUS_REQUIRES_ACTION:
      /* The customer has not passed the challenge (yet): nothing is
       * charged, and only the server's confirm could charge it. */
      text = g_strdup_printf (_("%s\nThe customer has not confirmed this payment with their bank. "
                                "Nothing has been charged."), amount);
      set_result (self, "dialog-warning-symbolic", "warning", _("Waiting for the Customer’s Bank"),
                  text, NEXT_AUTHENTICATE);
      break;

    case TILL_SALE_STATUS_ABANDONED:
      set_result (self, "dialog-error-symbolic", "error", _("Not Charged"), amount, NEXT_NEW_SALE);
      break;

    case TILL_SALE_STATUS_UNKNOWN:
    case TILL_SALE_STATUS_NEW:
    default:
      set_result (self, "dialog-warning-symbolic", "warning", _("Not Confirmed Yet"),
                  unknown_words (till_sale_get_reason (sale)), NEXT_CHECK_AGAIN);
      break;
    }

  if (self->t_response > 0)
    gtk_widget_add_tick_callback (GTK_WIDGET (self), result_drawn_cb, NULL, NULL);
}

/* Checking an unknown outcome: the same sale again every few seconds,
 * with the time spent on screen, until it is known or the cashier has
 * waited long enough to be asked. */

static void check_again (TillChargePage *self);
static void step_done_cb (GObject *object, GAsyncResult *result, gpointer user_data);

static void
stop_waiting (TillChargePage *self)
{
  g_clear_handle_id (&self->waiting_source, g_source_remove);
  g_clear_pointer (&self->waiting_since, g_date_time_unref);
}

static void
stop_checking (TillChargePage *self)
{
  stop_waiting (self);
  self->checking_since = 0;
  g_clear_handle_id (&self->check_source, g_source_remove);
  g_clear_handle_id (&self->clock_source, g_source_remove);
}

/* A request with the shop's server, unanswered: after a few seconds the
 * cashier learns that it is still out, since when, and that the card must
 * not be charged again. */
static gboolean
waiting_clock_cb (gpointer data)
{
  TillChargePage *self = data;
  gint64 seconds = (g_get_monotonic_time () - self->waiting_started) / G_USEC_PER_SEC;
  g_autofree char *since = NULL;
  g_autofree char *text = NULL;

  if (seconds < STILL_WAITING_SECONDS)
    return G_SOURCE_CONTINUE;
  since = g_date_time_format (self->waiting_since, "%X");
  /* Translators: %s is the time of day the request was sent (14:02:11),
   * then minutes:seconds spent waiting since. */
  text = g_strdup_printf (_("Still waiting for the shop’s server since %s (%d:%02d).\n"
                            "The card may or may not be charged. Do not charge it again."),
                          since, (int) (seconds / 60), (int) (seconds % 60));
  gtk_label_set_label (self->working_label, text);
  return G_SOURCE_CONTINUE;
}

/* text until the server has been silent for STILL_WAITING_SECONDS. */
static void
start_waiting (TillChargePage *self,
               const char     *text)
{
  stop_waiting (self);
  set_working (self, STATE_WORKING, text, NULL);
  self->waiting_since = g_date_time_new_now_local ();
  self->waiting_started = g_get_monotonic_time ();
  self->waiting_source = g_timeout_add_seconds (1, waiting_clock_cb, self);
}

static gboolean
checking_clock_cb (gpointer data)
{
  TillChargePage *self = data;
  gint64 seconds = (g_get_monotonic_time () - self->checking_since) / G_USEC_PER_SEC;
  g_autofree char *amount = format_amount (self, till_sale_get_amount (self->sale));
  g_autofree char *text = NULL;

  /* Translators: %s is an amount, then minutes:seconds spent so far. */
  text = g_strdup_printf (_("Checking the payment of %s… %d:%02d\nDo not charge the card again."), amount,
                          (int) (seconds / 60), (int) (seconds % 60));
  gtk_label_set_label (self->working_label, text);
  return G_SOURCE_CONTINUE;
}

static gboolean
check_cb (gpointer data)
{
  TillChargePage *self = data;

  self->check_source = 0;
  if (self->sale != NULL && !till_sale_is_busy (self->sale))
    till_sale_resolve_async (self->sale, self->sale_cancellable, step_done_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
show_checking (TillChargePage *self)
{
  stop_waiting (self);
  if (self->checking_since == 0)
    self->checking_since = g_get_monotonic_time ();
  set_working (self, STATE_WORKING, "", NULL);
  checking_clock_cb (self);
  if (self->clock_source == 0)
    self->clock_source = g_timeout_add_seconds (1, checking_clock_cb, self);
}

/* The sale's first request went unanswered (or was answered about
 * another payment): it goes on resending, and the screen says at once
 * that the payment is being checked. */
static void
sale_status_cb (TillSale       *sale,
                GParamSpec     *pspec,
                TillChargePage *self)
{
  if (sale == self->sale && self->state == STATE_WORKING && till_sale_is_busy (sale) &&
      till_sale_get_status (sale) == TILL_SALE_STATUS_UNKNOWN)
    show_checking (self);
}

/* TRUE while the page keeps checking by itself. An answer about another
 * payment is checked too: the record of the sale's key settles it. */
static gboolean
keep_checking (TillChargePage *self)
{
  if (self->checking_since != 0 &&
      g_get_monotonic_time () - self->checking_since > (gint64) CHECK_FOR_SECONDS * G_USEC_PER_SEC)
    return FALSE;

  show_checking (self);
  g_clear_handle_id (&self->check_source, g_source_remove);
  self->check_source = g_timeout_add_seconds (CHECK_EVERY_SECONDS, check_cb, self);
  return TRUE;
}

/* Charging */

static void
step_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  TillSale *sale = TILL_SALE (object);
  g_autoptr(GError) error = NULL;
  gboolean ok = till_sale_step_finish (sale, result, &error);

  if (sale != self->sale)
    return;
  self->t_response = g_get_monotonic_time ();
  if (!ok)
    {
      if (is_cancelled (error))
        return;
      g_debug ("Sale step: %s", error->message);
      stop_checking (self);
      if (till_sale_get_token (sale) == NULL)
        {
          /* Refused before sending: the journal could not be written. */
          till_card_view_clear (self->card_view);
          set_result (self, "dialog-error-symbolic", "error", _("Not Charged"),
                      _("This terminal could not write its payment journal, so nothing was sent. "
                        "Ask the person who runs the shop’s computers (is the disk full?)."),
                      NEXT_NEW_SALE);
          g_clear_object (&self->sale);
          return;
        }
      /* UNAUTHORIZED: the window locks on the session; the sale waits for
       * the cashier to sign in again and check. */
      till_card_view_clear (self->card_view);
      set_result (self, "dialog-warning-symbolic", "warning", _("Not Confirmed Yet"),
                  _("The session ended before the shop server answered. Sign in again, then "
                    "check again: the same payment is sent, never a second one."),
                  NEXT_CHECK_AGAIN);
      return;
    }

  /* The customer's challenge, in the page, at most twice in a row without
   * the cashier: a form that cannot show it must not make a loop. */
  if (till_sale_get_status (sale) == TILL_SALE_STATUS_REQUIRES_ACTION &&
      till_sale_get_client_secret (sale) != NULL && self->auth_rounds < MAX_AUTH_ROUNDS &&
      till_card_view_get_ready (self->card_view))
    authenticate (self);
  else if (till_sale_get_status (sale) == TILL_SALE_STATUS_UNKNOWN && keep_checking (self))
    return;
  else
    {
      stop_checking (self);
      show_result (self);
    }
}

static void
action_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  g_autoptr(TillCardMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *amount = NULL;

  message = till_card_view_handle_card_action_finish (TILL_CARD_VIEW (object), result, &error);
  if (self->sale == NULL || self->state != STATE_AUTHENTICATING)
    return;
  /* Whatever the page reports (passed, failed, or the form stopped), the
   * server reads the PaymentIntent's real state. */
  if (message == NULL)
    g_debug ("Authentication in the card page ended: %s", error->message);
  amount = format_amount (self, till_sale_get_amount (self->sale));
  {
    g_autofree char *text = g_strdup_printf (_("Confirming %s…"), amount);

    start_waiting (self, text);
  }
  till_sale_confirm_async (self->sale, self->sale_cancellable, step_done_cb, g_object_ref (self));
}

static void
authenticate (TillChargePage *self)
{
  self->auth_rounds++;
  set_working (self, STATE_AUTHENTICATING,
               _("The customer’s bank asks them to confirm this payment. Hand the screen to the "
                 "customer."),
               _("_Stop Waiting"));
  till_card_view_focus_card (self->card_view);
  till_card_view_handle_card_action_async (self->card_view, till_sale_get_client_secret (self->sale), NULL,
                                           action_done_cb, g_object_ref (self));
}

/* The same amount on the same card (last 4) in the journal within a few
 * minutes, charged or maybe charged. */
static gboolean
likely_duplicate (TillChargePage *self)
{
  g_autoptr(GPtrArray) entries = NULL;
  const char *last4 = till_sale_get_card_last4 (self->sale);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (self->journal == NULL || last4 == NULL)
    return FALSE;
  entries = till_journal_list (self->journal);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      const char *state = json_object_get_string_member_with_default (entry, "state", "");

      if (json_object_get_int_member_with_default (entry, "amount", 0) == till_sale_get_amount (self->sale) &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "currency", NULL),
                     till_sale_get_currency (self->sale)) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "last4", NULL), last4) == 0 &&
          now - MAX (json_object_get_int_member_with_default (entry, "created", 0),
                     json_object_get_int_member_with_default (entry, "updated", 0)) <= DUPLICATE_SECONDS &&
          (g_str_equal (state, "succeeded") || g_str_equal (state, "unknown") || g_str_equal (state, "sending")))
        return TRUE;
    }
  return FALSE;
}

static void
tokenize_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  g_autoptr(TillCardMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  gboolean charges = g_strcmp0 (self->mode, "charges") == 0;
  g_autofree char *amount = NULL;
  g_autofree char *text = NULL;

  message = till_card_view_tokenize_finish (TILL_CARD_VIEW (object), result, &error);
  self->t_token = g_get_monotonic_time ();
  if (self->sale == NULL || self->state != STATE_WORKING)
    return;

  if (message == NULL ||
      message->type == TILL_CARD_MESSAGE_ERROR_RESULT ||
      message->type != (charges ? TILL_CARD_MESSAGE_TOKEN : TILL_CARD_MESSAGE_PAYMENT_METHOD))
    {
      /* Nothing left the terminal: the cashier fixes the card and tries
       * again, as the same sale would be a new one anyway. */
      g_clear_object (&self->sale);
      set_state (self, STATE_ENTRY);
      if (message != NULL && message->type == TILL_CARD_MESSAGE_ERROR_RESULT && message->error_message != NULL)
        set_card_status (self, message->error_message, TRUE);
      else if (is_cancelled (error))
        set_card_status (self, _("Stopped before anything was sent. Nothing was charged."), FALSE);
      else
        set_card_status (self, _("The card form did not answer. Nothing was charged. Type the card again."), TRUE);
      till_card_view_focus_card (self->card_view);
      return;
    }

  till_sale_set_card (self->sale, message->brand, message->last4);
  if (likely_duplicate (self))
    {
      g_autofree char *sold = format_amount (self, till_sale_get_amount (self->sale));
      g_autofree char *question = g_strdup_printf (_("%s was charged to this %s card •••• %s a few minutes "
                                                     "ago. Charge it again?"),
                                                   sold, brand_name (message->brand), message->last4);

      self->pending_token = g_strdup (message->id);
      till_card_view_clear (self->card_view);
      set_result (self, "dialog-warning-symbolic", "warning", _("Charge This Card Again?"), question,
                  NEXT_CHARGE_ANYWAY);
      return;
    }

  amount = format_amount (self, till_sale_get_amount (self->sale));
  text = g_strdup_printf (_("Charging %s…"), amount);
  start_waiting (self, text);
  till_sale_submit_async (self->sale, message->id, self->sale_cancellable, step_done_cb, g_object_ref (self));
  self->token_to_request_ms = (g_get_monotonic_time () - self->t_token) / 1000.0;
  g_debug ("Card token received to payment request started: %.3f ms", self->token_to_request_ms);
}

static void
charge (TillChargePage *self)
{
  const char *reference;

  if (!can_charge (self))
    return;

  reference = gtk_editable_get_text (GTK_EDITABLE (self->reference_entry));
  self->sale = till_sale_new (self->session, self->amount, self->currency, reference);
  till_sale_set_journal (self->sale, self->journal);
  g_signal_connect_object (self->sale, "notify::status", G_CALLBACK (sale_status_cb), self, 0);
  set_card_status (self, NULL, FALSE);
  set_working (self, STATE_WORKING, _("Reading the card…"), _("_Cancel"));
  till_card_view_tokenize_async (self->card_view, NULL, tokenize_done_cb, g_object_ref (self));
}

static void
check_again (TillChargePage *self)
{
  g_autofree char *amount = NULL;
  g_autofree char *text = NULL;

  if (self->sale == NULL || till_sale_is_final (self->sale) || till_sale_is_busy (self->sale))
    return;
  amount = format_amount (self, till_sale_get_amount (self->sale));
  text = g_strdup_printf (_("Checking the payment of %s…"), amount);
  /* Keep waiting: another round of checks. */
  stop_checking (self);
  set_working (self, STATE_WORKING, text, NULL);
  till_sale_resolve_async (self->sale, self->sale_cancellable, step_done_cb, g_object_ref (self));
}

/* Payments from before: every sale the journal holds unresolved for this
 * shop is resolved, one after the other, before the next sale. */

static void recover_next (TillChargePage *self);

static void
recover_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!till_sale_step_finish (TILL_SALE (object), result, &error))
    {
      /* The page is going away, as Till quits: the journal keeps them. */
      if (is_cancelled (error))
        return;
      g_info ("A payment from before could not be checked: %s", error->message);
    }
  if (self->recovering == NULL)
    return;
  self->recover_index++;
  recover_next (self);
}

static const char *
outcome_words (TillSale *sale)
{
  switch (till_sale_get_status (sale))
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

static void
recover_next (TillChargePage *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean open = FALSE;

  if (self->recover_index < self->recovering->len)
    {
      TillSale *sale = g_ptr_array_index (self->recovering, self->recover_index);

      till_sale_resolve_async (sale, self->sale_cancellable, recover_done_cb, g_object_ref (self));
      return;
    }

  for (guint i = 0; i < self->recovering->len; i++)
    {
      TillSale *sale = g_ptr_array_index (self->recovering, i);
      g_autofree char *amount = format_amount (self, till_sale_get_amount (sale));

      /* The customer of a sale stopped at 3-D Secure is gone. */
      till_sale_abandon (sale);
      if (!till_sale_is_final (sale))
        open = TRUE;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (till_sale_get_card_last4 (sale) != NULL)
        /* Translators: "$12.50 · Visa •••• 4242: approved" */
        g_string_append_printf (text, _("%s · %s •••• %s: %s"), amount,
                                brand_name (till_sale_get_card_brand (sale)),
                                till_sale_get_card_last4 (sale), outcome_words (sale));
      else
        g_string_append_printf (text, _("%s: %s"), amount, outcome_words (sale));
    }

  if (open)
    set_result (self, "dialog-warning-symbolic", "warning", _("Payments From Before Not Confirmed Yet"),
                text->str, NEXT_RECOVER);
  else
    set_result (self, "dialog-information-symbolic", "accent", _("Payments From Before"), text->str,
                NEXT_NEW_SALE);
  g_clear_pointer (&self->recovering, g_ptr_array_unref);
}

static void
recover (TillChargePage *self)
{
  const char *server = till_backend_client_get_base_url (till_session_get_client (self->session));
  g_autoptr(GPtrArray) entries = till_journal_list (self->journal);
  g_autofree char *text = NULL;

  /* One round at a time; the one running shows its result when done. */
  if (self->recovering != NULL)
    return;
  self->recovering = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      g_autoptr(GError) error = NULL;
      TillSale *sale;

      /* Another shop's sales wait for a sign-in to that shop. */
      if (till_journal_entry_is_final (entry) ||
          g_strcmp0 (json_object_get_string_member_with_default (entry, "server", NULL), server) != 0)
        continue;
      sale = till_sale_new_from_journal (self->session, entry, &error);
      if (sale == NULL)
        {
          g_warning ("A journal entry cannot be resolved: %s", error->message);
          continue;
        }
      till_sale_set_journal (sale, self->journal);
      g_ptr_array_add (self->recovering, sale);
    }

  if (self->recovering->len == 0)
    {
      g_clear_pointer (&self->recovering, g_ptr_array_unref);
      reset_sale (self);
      till_charge_page_focus (self);
      return;
    }

  self->recover_index = 0;
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Checking %u payment made before Till stopped…",
                                       "Checking %u payments made before Till stopped…",
                                       self->recovering->len),
                          self->recovering->len);
  set_working (self, STATE_WORKING, text, NULL);
  recover_next (self);
}

/* Signals from the template */

static void
charge_clicked_cb (TillChargePage *self)
{
  charge (self);
}

static void
clear_clicked_cb (TillChargePage *self)
{
  if (self->state != STATE_ENTRY)
    return;
  reset_sale (self);
  till_card_view_clear (self->card_view);
}

static void
next_clicked_cb (TillChargePage *self)
{
  if (self->next == NEXT_RECOVER)
    recover (self);
  else if (self->sale != NULL && self->next == NEXT_CHARGE_ANYWAY && self->pending_token != NULL)
    {
      g_autofree char *token = g_steal_pointer (&self->pending_token);
      g_autofree char *amount = format_amount (self, till_sale_get_amount (self->sale));
      g_autofree char *text = g_strdup_printf (_("Charging %s…"), amount);

      start_waiting (self, text);
      till_sale_submit_async (self->sale, token, self->sale_cancellable, step_done_cb, g_object_ref (self));
    }
  else if (self->sale != NULL && self->next == NEXT_CHECK_AGAIN)
    check_again (self);
  else if (self->sale != NULL && self->next == NEXT_AUTHENTICATE &&
           till_sale_get_status (self->sale) == TILL_SALE_STATUS_REQUIRES_ACTION)
    {
      self->auth_rounds = 0;
      authenticate (self);
    }
  else if (self->sale == NULL || till_sale_is_final (self->sale))
    {
      reset_sale (self);
      gtk_widget_grab_focus (GTK_WIDGET (self));
    }
}

/* Drops a sale that waits for 3-D Secure; it can never be charged. */
static void
abandon_clicked_cb (TillChargePage *self)
{
  if (self->sale == NULL || till_sale_is_busy (self->sale))
    return;
  /* A likely duplicate not charged after all, or a sale waiting for
   * 3-D Secure: neither can be charged now. */
  if (self->next != NEXT_CHARGE_ANYWAY && !till_sale_abandon (self->sale))
    return;
  notice (self, _("Sale cancelled. Nothing was charged."));
  reset_sale (self);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

/* Stops waiting for the card page (reading the card, or the customer's
 * challenge): the page is reloaded, and its pending call ends with an
 * error that the flow treats as usual: back to the card before anything
 * was sent, or a confirm that reads the payment's real state. */
static void
stop_clicked_cb (TillChargePage *self)
{
  if (self->state == STATE_AUTHENTICATING || (self->state == STATE_WORKING && !till_sale_is_busy (self->sale)))
    {
      self->auth_rounds = MAX_AUTH_ROUNDS;
      till_card_view_reload (self->card_view);
    }
}

static void
reference_activate_cb (TillChargePage *self)
{
  if (can_charge (self))
    charge (self);
  else if (self->amount > 0)
    till_card_view_focus_card (self->card_view);
}

static void
retry_clicked_cb (TillChargePage *self)
{
  if (self->session != NULL)
    till_charge_page_start (self, self->session);
}

static void
card_ready_cb (TillChargePage *self)
{
  /* A reloaded form takes the keys where the old one had them. */
  if (self->state == STATE_ENTRY && focus_within (self, GTK_WIDGET (self->card_view)))
    till_card_view_focus_card (self->card_view);
  update_controls (self);
}

static void
card_changed_cb (TillChargePage *self,
                 gboolean        complete,
                 const char     *brand)
{
  if (self->state == STATE_ENTRY)
    {
      if (complete)
        {
          g_autofree char *text = g_strdup_printf (_("%s card ready"), brand_name (brand));

          set_card_status (self, text, FALSE);
        }
      else
        set_card_status (self, till_card_view_get_error (self->card_view), TRUE);
    }
  update_controls (self);
}

static void
card_crashed_cb (TillChargePage *self)
{
  /* A sale on its way is the sale's business: a token already handed over
   * is being charged or resolved natively; a tokenization or an
   * authentication in the page ends with an error of its own. */
  notice (self, _("The card form stopped and has been reloaded. Type the card again."));
  update_controls (self);
}

/* Keys: digits and Backspace build the amount wherever the focus is, except
 * in the reference field and the card form; Enter charges when everything
 * is ready, even from the card form. */
static gboolean
focus_within (TillChargePage *self,
              GtkWidget      *area)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == area || gtk_widget_is_ancestor (focus, area));
}

/* Enter on a focused button presses that button (Clear must clear). */
static gboolean
focus_on_button (TillChargePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (GTK_IS_BUTTON (focus) || gtk_widget_get_ancestor (focus, GTK_TYPE_BUTTON) != NULL);
}

static int
key_digit (guint keyval)
{
  if (keyval >= GDK_KEY_0 && keyval <= GDK_KEY_9)
    return (int) (keyval - GDK_KEY_0);
  if (keyval >= GDK_KEY_KP_0 && keyval <= GDK_KEY_KP_9)
    return (int) (keyval - GDK_KEY_KP_0);
  return -1;
}

static gboolean
key_pressed_cb (TillChargePage  *self,
                guint            keyval,
                guint            keycode,
                GdkModifierType  modifiers)
{
  gboolean in_text = focus_within (self, GTK_WIDGET (self->reference_entry)) ||
                     focus_within (self, GTK_WIDGET (self->card_view));
  gboolean enter = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;
  int digit = key_digit (keyval);

  if ((modifiers & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->page_stack), "sale") != 0)
    return GDK_EVENT_PROPAGATE;

  switch (self->state)
    {
    case STATE_ENTRY:
      if (enter && focus_on_button (self))
        return GDK_EVENT_PROPAGATE;
      if (enter)
        {
          if (can_charge (self))
            charge (self);
          else if (self->amount > 0 && till_card_view_get_ready (self->card_view))
            till_card_view_focus_card (self->card_view);
          else if (in_text)
            return GDK_EVENT_PROPAGATE;
          return GDK_EVENT_STOP;
        }
      if (in_text)
        return GDK_EVENT_PROPAGATE;
      if (digit >= 0)
        {
          char text[2] = { (char) ('0' + digit), '\0' };

          add_digits (self, text);
          return GDK_EVENT_STOP;
        }
      if (keyval == GDK_KEY_BackSpace || keyval == GDK_KEY_Delete || keyval == GDK_KEY_KP_Delete)
        {
          remove_digit (self);
          return GDK_EVENT_STOP;
        }
      if (keyval == GDK_KEY_Escape)
        {
          clear_clicked_cb (self);
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;

    case STATE_RESULT:
      if (keyval == GDK_KEY_Escape && (self->next == NEXT_AUTHENTICATE || self->next == NEXT_CHARGE_ANYWAY))
        {
          abandon_clicked_cb (self);
          return GDK_EVENT_STOP;
        }
      /* The next sale starts with its first digit, once this one is final. */
      if (digit >= 0 && self->sale != NULL && till_sale_is_final (self->sale))
        {
          char text[2] = { (char) ('0' + digit), '\0' };

          reset_sale (self);
          add_digits (self, text);
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;

    case STATE_WORKING:
    case STATE_AUTHENTICATING:
      /* Held or repeated keys do nothing while a sale is on its way; the
       * customer types into the bank's page, though. */
      if (keyval == GDK_KEY_Escape && gtk_widget_get_visible (GTK_WIDGET (self->stop_button)))
        {
          stop_clicked_cb (self);
          return GDK_EVENT_STOP;
        }
      if (self->state == STATE_AUTHENTICATING && focus_within (self, GTK_WIDGET (self->card_view)))
        return GDK_EVENT_PROPAGATE;
      return enter || digit >= 0 ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;

    case STATE_LOADING:
    case STATE_UNAVAILABLE:
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

/* The shop's settings */

/* The settings are read strictly (till-backend-answers.c): a name cut at
 * a NUL, an unknown mode or a currency that is not a code is refused. */
static gboolean
read_config (TillChargePage    *self,
             TillConfigAnswer  *config,
             char             **out_origin_error)
{
  if (!till_currency_is_known (config->currency))
    {
      *out_origin_error = g_strdup (_("The shop server names a currency this terminal does not know."));
      return FALSE;
    }
  /* Money safety: both ends must agree on where the decimal point is. */
  if (config->currency_exponent != till_currency_get_exponent (config->currency))
    {
      *out_origin_error = g_strdup_printf (_("The shop server and this terminal disagree about the "
                                             "decimals of %s. Nothing can be charged until that is "
                                             "fixed."), config->currency);
      return FALSE;
    }
  g_free (self->currency);
  self->currency = g_strdup (config->currency);
  g_free (self->mode);
  self->mode = g_strdup (config->mode);
  g_free (self->shop_name);
  self->shop_name = g_strdup (config->shop_name);
  return TRUE;
}

static char *
backend_origin (TillSession *session)
{
  const char *url = till_backend_client_get_base_url (till_session_get_client (session));
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL)
    return NULL;
  return g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                     g_uri_get_port (uri), "", NULL, NULL);
}

static void
show_unavailable (TillChargePage *self,
                  const char     *description)
{
  adw_status_page_set_description (self->unavailable_page, description);
  set_state (self, STATE_UNAVAILABLE);
}

static void
config_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *origin = NULL;
  g_autoptr(TillConfigAnswer) config = NULL;
  JsonObject *settings;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (response == NULL)
    {
      if (is_cancelled (error))
        return;
      g_info ("Reading the shop's settings failed: %s", error->message);
      show_unavailable (self, _("The shop’s settings could not be read from the shop server. "
                                "Check the network, then try again."));
      return;
    }

  settings = till_backend_response_get_object (response);
  origin = backend_origin (self->session);
  if (settings != NULL && (config = till_config_answer_read (settings, &error)) == NULL)
    g_info ("The shop's settings are not usable: %s", error->message);
  g_clear_error (&error);
  if (config == NULL || !read_config (self, config, &problem))
    {
      show_unavailable (self, problem ? problem : _("The shop server’s settings are not usable."));
      return;
    }
  if (origin == NULL ||
      !till_card_view_load (self->card_view, origin, config->stripe_js_url, config->publishable_key,
                            self->mode, &error))
    {
      g_warning ("The card form cannot be loaded: %s", error ? error->message : "no origin");
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        problem = g_strdup (_("The shop server asks for the card form to load Stripe from an address "
                              "this version of Till does not trust. Ask the person who runs the "
                              "shop’s computers."));
      else
        problem = g_strdup (_("The shop server’s Stripe settings are not usable. Ask the person who "
                              "runs the shop’s computers."));
      show_unavailable (self, problem);
      return;
    }

  g_signal_emit (self, signals[SIGNAL_CONFIGURED], 0);
  recover (self);
}

void
till_charge_page_start (TillChargePage *self,
                        TillSession    *session)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));
  g_return_if_fail (TILL_IS_SESSION (session));

  /* An open sale stays on screen until its outcome is known, whoever
   * carries on with it. */
  if (self->sale != NULL && !till_sale_is_final (self->sale) && self->currency != NULL)
    {
      g_set_object (&self->session, session);
      till_sale_set_session (self->sale, session);
      return;
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->session, session);
  g_clear_object (&self->sale);
  if (self->journal == NULL)
    {
      g_autoptr(GError) error = NULL;

      self->journal = till_journal_new (NULL, &error);
      if (self->journal == NULL)
        {
          g_warning ("The payment journal cannot be used: %s", error->message);
          show_unavailable (self, _("This terminal cannot write its payment journal, so it cannot take "
                                    "cards. Ask the person who runs the shop’s computers."));
          return;
        }
      till_journal_prune (self->journal, g_get_real_time () / G_USEC_PER_SEC, TILL_JOURNAL_KEEP_SECONDS);
    }
  set_state (self, STATE_LOADING);
  till_session_request_async (session, "GET", "/api/config", NULL, NULL, self->cancellable,
                              config_done_cb, g_object_ref (self));
}

void
till_charge_page_prepare (TillChargePage *self)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));
  till_card_view_prepare (self->card_view);
}

gboolean
till_charge_page_is_busy (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), FALSE);
  return self->state == STATE_WORKING || self->state == STATE_AUTHENTICATING || self->recovering != NULL;
}

gboolean
till_charge_page_has_open_sale (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), FALSE);
  return self->sale != NULL && !till_sale_is_final (self->sale);
}

const char *
till_charge_page_get_shop_name (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return self->shop_name;
}

void
till_charge_page_focus (TillChargePage *self)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));

  /* The page itself takes the typed amount; not from under a lock, but
   * once the lock is gone. */
  self->focus_on_map = !gtk_widget_get_mapped (GTK_WIDGET (self));
  if (!self->focus_on_map)
    gtk_widget_grab_focus (GTK_WIDGET (self));
}

const char *
till_charge_page_get_state (TillChargePage *self)
{
  static const char *names[] = { "loading", "unavailable", "entry", "working", "authenticating", "result" };

  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return names[self->state];
}

gint64
till_charge_page_get_amount (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), 0);
  return self->amount;
}

const char *
till_charge_page_get_amount_text (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return self->amount_text;
}

const char *
till_charge_page_get_result_title (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return gtk_label_get_label (self->result_title);
}

const char *
till_charge_page_get_result_description (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return gtk_label_get_label (self->result_description);
}

const char *
till_charge_page_get_working_text (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return gtk_label_get_label (self->working_label);
}

const char *
till_charge_page_get_amount_problem (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);

  return gtk_label_get_label (self->amount_problem);
}

const char *
till_charge_page_get_card_status (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return gtk_label_get_label (self->card_status);
}

gboolean
till_charge_page_get_can_charge (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), FALSE);
  return can_charge (self);
}

TillCardView *
till_charge_page_get_card_view (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return self->card_view;
}

/* The last sale's native overheads, in ms; -1 when not measured yet. */
void
till_charge_page_get_timings (TillChargePage *self,
                              double         *token_to_request_ms,
                              double         *response_to_result_ms)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));
  *token_to_request_ms = self->token_to_request_ms;
  *response_to_result_ms = self->response_to_result_ms;
}

TillSale *
till_charge_page_get_sale (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return self->sale;
}

static void
till_charge_page_map (GtkWidget *widget)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  GTK_WIDGET_CLASS (till_charge_page_parent_class)->map (widget);
  if (self->focus_on_map)
    {
      self->focus_on_map = FALSE;
      gtk_widget_grab_focus (widget);
    }
}

/* The window closes. A step on its way holds a reference to the page, so
 * dispose would come only once the sale has stopped resending by itself:
 * it stops here instead, as if Till quit; the journal has it. */
static void
till_charge_page_unroot (GtkWidget *widget)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  g_cancellable_cancel (self->sale_cancellable);
  g_clear_object (&self->sale_cancellable);
  self->sale_cancellable = g_cancellable_new ();
  stop_checking (self);
  GTK_WIDGET_CLASS (till_charge_page_parent_class)->unroot (widget);
}

static void
till_charge_page_dispose (GObject *object)
{
  TillChargePage *self = TILL_CHARGE_PAGE (object);

  /* AdwBin unparents the template's one child itself. A sale on its way
   * stops here as if Till quit; the journal has it. */
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->sale_cancellable);
  stop_checking (self);

  G_OBJECT_CLASS (till_charge_page_parent_class)->dispose (object);
}

static void
till_charge_page_finalize (GObject *object)
{
  TillChargePage *self = TILL_CHARGE_PAGE (object);

  g_clear_object (&self->session);
  g_clear_object (&self->journal);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->sale_cancellable);
  g_clear_object (&self->sale);
  g_clear_pointer (&self->recovering, g_ptr_array_unref);
  g_free (self->pending_token);
  g_free (self->shop_name);
  g_free (self->currency);
  g_free (self->mode);
  g_free (self->amount_text);

  G_OBJECT_CLASS (till_charge_page_parent_class)->finalize (object);
}

static void
till_charge_page_class_init (TillChargePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_charge_page_dispose;
  object_class->finalize = till_charge_page_finalize;
  widget_class->map = till_charge_page_map;
  widget_class->unroot = till_charge_page_unroot;

  signals[SIGNAL_NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CONFIGURED] =
    g_signal_new ("configured", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  g_type_ensure (TILL_TYPE_CARD_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-charge-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, page_stack);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, amount_label);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, amount_problem);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, sale_stack);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, reference_entry);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, keypad);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, working_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, working_label);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, abandon_button);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, result_box);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, result_icon);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, result_title);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, result_description);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, next_button);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, card_heading);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, card_view);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, card_status);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, action_box);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, clear_button);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, charge_button);
  gtk_widget_class_bind_template_callback (widget_class, charge_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, clear_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, abandon_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reference_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_ready_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, card_crashed_cb);
}

static void
till_charge_page_init (TillChargePage *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  build_keypad (self);

  /* Capture: the page sees digits and Enter before the focused widget. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  self->state = STATE_LOADING;
  self->sale_cancellable = g_cancellable_new ();
  self->token_to_request_ms = -1;
  self->response_to_result_ms = -1;
  update_amount (self);
}
