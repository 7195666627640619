/* till-charge-page.c: the charge screen: amount, reference, card, result
 *
 * A coordinator: the flow of a sale is TillCheckout's (src/core), the
 * words are till-charge-words.c's, the keypad is TillAmountPad's and the
 * result TillResultView's. This page shows the checkout's state, turns
 * buttons and keys into the checkout's actions, and is the one that talks
 * to the card page (TillCardView): it asks for the token when the
 * checkout starts reading the card and for the customer's challenge when
 * it authenticates, and hands the answers back.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-charge-page"

#include "config.h"

#include <glib/gi18n.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "till-a11y.h"
#include "till-amount-pad.h"
#include "till-charge-page-private.h"
#include "till-charge-words.h"
#include "till-checkout.h"
#include "till-receipt.h"
#include "till-result-view.h"
#include "till-sale-layout.h"

struct _TillChargePage
{
  AdwBin             parent_instance;

  /* template widgets */
  GtkStack          *page_stack;
  GtkSpinner        *loading_spinner;
  AdwStatusPage     *unavailable_page;
  GtkLabel          *amount_label;
  GtkLabel          *amount_problem;
  GtkStack          *sale_stack;
  GtkWidget         *sale_columns;
  TillAmountPad     *amount_pad;
  GtkSpinner        *working_spinner;
  GtkLabel          *working_label;
  GtkButton         *stop_button;
  TillResultView    *result_view;
  TillCardView      *card_view;
  GtkLabel          *card_status;
  GtkBox            *action_box;
  GtkWidget         *card_column;
  GtkButton         *charge_button;

  /* owned references */
  TillCheckout      *checkout;
  TillSession       *session;
  GCancellable      *cancellable;      /* the card page's calls; cancelled when the page goes */
  GDateTime         *sent_at;          /* the request on its way was sent then, local time */
  GtkApplication    *inhibiting;       /* holds logout and suspend off, with inhibit_cookie */

  /* state */
  TillCheckoutState  shown;            /* the checkout's state last shown */
  char              *amount_text;
  gint64             sent_started;     /* monotonic µs */
  guint              clock_source;
  guint              trim_source;
  gboolean           focus_on_map;
  gint64             measured_response;
  double             response_to_result_ms;
  guint              inhibit_cookie;
};

G_DEFINE_FINAL_TYPE (TillChargePage, till_charge_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_NOTICE,
  SIGNAL_CONFIGURED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
notice (TillChargePage *self,
        const char     *text)
{
  g_signal_emit (self, signals[SIGNAL_NOTICE], 0, text);
}

static gboolean
focus_within (TillChargePage *self,
              GtkWidget      *area)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == area || gtk_widget_is_ancestor (focus, area));
}

/* The card page's readiness, as the checkout decides on it. */
static void
sync_card (TillChargePage *self)
{
  till_checkout_set_card_state (self->checkout, till_card_view_get_ready (self->card_view),
                                till_card_view_get_complete (self->card_view));
}

static void
set_card_status (TillChargePage *self,
                 const char     *text,
                 gboolean        error)
{
  gtk_label_set_label (self->card_status, text ? text : "");
  /* Heard with the card view's name, "Card", as the focus enters it (see
   * till-a11y.c). */
  till_a11y_describe (GTK_WIDGET (self->card_view), text);
  if (error)
    {
      till_a11y_announce (GTK_WIDGET (self->card_status), text);
      gtk_widget_add_css_class (GTK_WIDGET (self->card_status), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->card_status), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->card_status), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->card_status), "dim-label");
    }
}

static void
update_controls (TillChargePage *self)
{
  TillCheckoutState state = till_checkout_get_state (self->checkout);
  g_autofree char *label = till_charge_words_charge_button (self->checkout);

  gtk_button_set_label (self->charge_button, label);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "charge.charge", till_checkout_get_can_charge (self->checkout));
  gtk_widget_set_visible (GTK_WIDGET (self->action_box), state == TILL_CHECKOUT_STATE_ENTRY);
  gtk_widget_set_sensitive (GTK_WIDGET (self->card_view),
                            state == TILL_CHECKOUT_STATE_ENTRY || state == TILL_CHECKOUT_STATE_AUTHENTICATING);
  /* Beside a result, an empty card field would read as "type the card
   * again": the column keeps its place (and its web page) but is not
   * seen until the next sale. */
  gtk_widget_set_opacity (self->card_column, state == TILL_CHECKOUT_STATE_RESULT ? 0.0 : 1.0);
}

static void
update_amount (TillChargePage *self)
{
  g_autofree char *problem = till_checkout_dup_amount_problem (self->checkout);
  g_autofree char *said = NULL;
  gboolean new_problem = problem != NULL && g_strcmp0 (problem, gtk_label_get_label (self->amount_problem)) != 0;

  g_free (self->amount_text);
  self->amount_text = till_charge_words_amount (self->checkout, till_checkout_get_amount (self->checkout));
  gtk_label_set_label (self->amount_label, self->amount_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->amount_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->amount_text, -1);
  gtk_label_set_label (self->amount_problem, problem != NULL ? problem : "");
  gtk_widget_set_visible (GTK_WIDGET (self->amount_problem), problem != NULL);
  /* The page has the focus while digits are typed: a screen reader says
   * its description as it changes (see till-a11y.c). */
  said = g_strjoin (" ", self->amount_text, problem, NULL);
  till_a11y_describe (GTK_WIDGET (self), said);
  if (new_problem)
    till_a11y_announce (GTK_WIDGET (self->amount_problem), problem);
  update_controls (self);
}

/* The working screen's words, again every second for the clocks. */
static gboolean
working_clock_cb (gpointer data)
{
  TillChargePage *self = data;
  TillCheckoutState state = till_checkout_get_state (self->checkout);
  gint64 since = state == TILL_CHECKOUT_STATE_CHECKING ? till_checkout_get_checking_since (self->checkout)
                                                        : self->sent_started;
  g_autofree char *text = till_charge_words_working (self->checkout, self->sent_at,
                                                     (g_get_monotonic_time () - since) / G_USEC_PER_SEC);

  gtk_label_set_label (self->working_label, text);
  return G_SOURCE_CONTINUE;
}

static void
show_working (TillChargePage *self,
              const char     *stop)
{
  gtk_stack_set_visible_child_name (self->page_stack, "sale");
  gtk_stack_set_visible_child_name (self->sale_stack, "working");
  gtk_widget_set_visible (GTK_WIDGET (self->stop_button), stop != NULL);
  if (stop != NULL)
    gtk_button_set_label (self->stop_button, stop);
  working_clock_cb (self);
  if (self->clock_source == 0)
    self->clock_source = g_timeout_add_seconds (1, working_clock_cb, self);
}

static gboolean
result_drawn_cb (GtkWidget     *widget,
                 GdkFrameClock *clock,
                 gpointer       data)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  self->response_to_result_ms = (g_get_monotonic_time () - self->measured_response) / 1000.0;
  g_debug ("Response received to result drawn: %.3f ms", self->response_to_result_ms);
  return G_SOURCE_REMOVE;
}

/* The sale on the result screen, if it was approved. */
static TillSale *
approved_sale (TillChargePage *self)
{
  TillSale *sale = till_checkout_get_sale (self->checkout);

  if (till_checkout_get_result (self->checkout) != TILL_CHECKOUT_RESULT_OUTCOME || sale == NULL ||
      till_sale_get_status (sale) != TILL_SALE_STATUS_SUCCEEDED || till_sale_get_payment_id (sale) == NULL)
    return NULL;
  return sale;
}

/* glibc keeps what a program frees for its next allocations, in each
 * arena; after sign-in read a week of journal, and over a day of sales,
 * much of it is never used again. */
static gboolean
trim_cb (gpointer data)
{
  TillChargePage *self = data;

  self->trim_source = 0;
#ifdef __GLIBC__
  {
    gint64 started = g_get_monotonic_time ();

    malloc_trim (0);
    g_debug ("Gave freed memory back in %.1f ms", (g_get_monotonic_time () - started) / 1000.0);
  }
#endif
  return G_SOURCE_REMOVE;
}

static void
show_result (TillChargePage *self)
{
  g_auto(TillChargeWords) words = { 0, };
  gint64 response = till_checkout_get_response_time (self->checkout);

  till_charge_words_result (self->checkout, &words);
  /* Each result of a sale leaves an empty card form for the next one;
   * once a sale is over, now and then in a new web process. */
  if (till_checkout_get_result (self->checkout) != TILL_CHECKOUT_RESULT_RECOVERED)
    {
      gboolean over = till_checkout_get_next (self->checkout) == TILL_CHECKOUT_NEXT_NEW_SALE;

      if (!over || !till_card_view_renew_if_worn (self->card_view))
        till_card_view_clear (self->card_view);
      else if (self->trim_source == 0)
        /* Till's own process too, once the result is on screen. */
        self->trim_source = g_idle_add_full (G_PRIORITY_LOW, trim_cb, self, NULL);
    }
  till_result_view_show (self->result_view, &words);
  till_result_view_set_receipt_visible (self->result_view, approved_sale (self) != NULL);
  gtk_stack_set_visible_child_name (self->page_stack, "sale");
  gtk_stack_set_visible_child_name (self->sale_stack, "result");
  till_result_view_focus (self->result_view);
  if (response > self->measured_response)
    {
      self->measured_response = response;
      gtk_widget_add_tick_callback (GTK_WIDGET (self), result_drawn_cb, NULL, NULL);
    }
}

static void
show_entry (TillChargePage    *self,
            TillCheckoutState  from)
{
  gtk_stack_set_visible_child_name (self->page_stack, "sale");
  gtk_stack_set_visible_child_name (self->sale_stack, "entry");
  /* A new sale starts empty; a card the page did not read keeps the rest. */
  if (till_checkout_get_sale (self->checkout) == NULL && till_checkout_get_amount (self->checkout) == 0)
    {
      till_amount_pad_clear_reference (self->amount_pad);
      set_card_status (self, NULL, FALSE);
    }
  if (from != TILL_CHECKOUT_STATE_READING_CARD)
    till_charge_page_focus (self);
}

/* The customer's bank may show a challenge in the card page: give it the
 * room. The card form's text grows with the text size (WebKit scales the
 * page by GtkSettings:gtk-xft-dpi), and so must its height, or the field
 * is cut off at GNOME's Large Text. */
static void
size_card_view (TillChargePage *self)
{
  gboolean challenge = till_checkout_get_state (self->checkout) == TILL_CHECKOUT_STATE_AUTHENTICATING;
  int dpi = 0;
  double scale;

  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-xft-dpi", &dpi, NULL);
  scale = dpi > 0 ? MAX (1.0, dpi / (96.0 * 1024)) : 1.0;
  gtk_widget_set_vexpand (GTK_WIDGET (self->card_view), challenge);
  gtk_widget_set_size_request (GTK_WIDGET (self->card_view), -1, challenge ? 420 : (int) (72 * scale + 0.5));
  /* The challenge's frame is as wide as a phone: beside the sale it
   * could be squeezed narrower. */
  till_sale_layout_set_stacked (TILL_SALE_LAYOUT (gtk_widget_get_layout_manager (self->sale_columns)), challenge);
}

static void authenticate (TillChargePage *self);

static void
uninhibit (TillChargePage *self)
{
  if (self->inhibit_cookie != 0)
    gtk_application_uninhibit (self->inhibiting, self->inhibit_cookie);
  self->inhibit_cookie = 0;
  g_clear_object (&self->inhibiting);
}

/* From the moment the card's token is posted until the outcome is known,
 * 3-D Secure included, the session must not end under the payment: a
 * logout or suspend then would leave a card charged with nobody told.
 * A sale left waiting for the customer's bank holds them too, until it is
 * confirmed or abandoned. An outcome still unknown once the terminal
 * stopped asking (the server down) does not: nothing is under way, and
 * the journal resolves it at the next start. The desktop's session
 * manager holds them off (on a desktop without one, nothing does). */
static void
update_inhibit (TillChargePage    *self,
                TillCheckoutState  state)
{
  gboolean paying = state == TILL_CHECKOUT_STATE_SENDING || state == TILL_CHECKOUT_STATE_CHECKING ||
                    state == TILL_CHECKOUT_STATE_AUTHENTICATING ||
                    (state == TILL_CHECKOUT_STATE_RESULT &&
                     till_checkout_get_next (self->checkout) == TILL_CHECKOUT_NEXT_AUTHENTICATE);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkApplication *app = GTK_IS_WINDOW (root) ? gtk_window_get_application (GTK_WINDOW (root)) : NULL;

  if (!paying)
    uninhibit (self);
  else if (self->inhibit_cookie == 0 && app != NULL)
    {
      self->inhibit_cookie = gtk_application_inhibit (app, GTK_WINDOW (root),
                                                      GTK_APPLICATION_INHIBIT_LOGOUT |
                                                      GTK_APPLICATION_INHIBIT_SUSPEND,
                                                      _("A card payment is being taken"));
      if (self->inhibit_cookie != 0)
        self->inhibiting = g_object_ref (app);
    }
}

static void
checkout_state_cb (TillChargePage *self)
{
  TillCheckoutState state = till_checkout_get_state (self->checkout);
  TillCheckoutState from = self->shown;
  gboolean working = state == TILL_CHECKOUT_STATE_READING_CARD || state == TILL_CHECKOUT_STATE_SENDING ||
                     state == TILL_CHECKOUT_STATE_CHECKING || state == TILL_CHECKOUT_STATE_AUTHENTICATING ||
                     state == TILL_CHECKOUT_STATE_RECOVERING;

  self->shown = state;
  update_inhibit (self, state);
  if (state == TILL_CHECKOUT_STATE_SENDING && from != TILL_CHECKOUT_STATE_SENDING)
    {
      g_clear_pointer (&self->sent_at, g_date_time_unref);
      self->sent_at = g_date_time_new_now_local ();
      self->sent_started = g_get_monotonic_time ();
    }
  if (!working)
    g_clear_handle_id (&self->clock_source, g_source_remove);
  gtk_spinner_set_spinning (self->loading_spinner, state == TILL_CHECKOUT_STATE_LOADING);
  gtk_spinner_set_spinning (self->working_spinner, working);

  size_card_view (self);
  gtk_widget_set_visible (GTK_WIDGET (self->card_status), state != TILL_CHECKOUT_STATE_AUTHENTICATING);

  switch (state)
    {
    case TILL_CHECKOUT_STATE_LOADING:
      gtk_stack_set_visible_child_name (self->page_stack, "loading");
      break;
    case TILL_CHECKOUT_STATE_UNAVAILABLE:
      adw_status_page_set_description (self->unavailable_page, till_checkout_get_problem (self->checkout));
      gtk_stack_set_visible_child_name (self->page_stack, "unavailable");
      break;
    case TILL_CHECKOUT_STATE_ENTRY:
      show_entry (self, from);
      break;
    case TILL_CHECKOUT_STATE_READING_CARD:
      show_working (self, _("_Cancel"));
      break;
    case TILL_CHECKOUT_STATE_AUTHENTICATING:
      show_working (self, _("_Stop Waiting"));
      if (from != TILL_CHECKOUT_STATE_AUTHENTICATING)
        authenticate (self);
      break;
    case TILL_CHECKOUT_STATE_SENDING:
    case TILL_CHECKOUT_STATE_CHECKING:
    case TILL_CHECKOUT_STATE_RECOVERING:
      show_working (self, NULL);
      break;
    case TILL_CHECKOUT_STATE_RESULT:
    default:
      show_result (self);
      break;
    }
  update_controls (self);
}

/* The card page */

static void
action_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  g_autoptr(TillCardMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = till_card_view_handle_card_action_finish (TILL_CARD_VIEW (object), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  /* Whatever the page reports (passed, failed, or the form stopped), the
   * server reads the PaymentIntent's real state. */
  if (message == NULL)
    g_debug ("Authentication in the card page ended: %s", error->message);
  till_checkout_authenticated (self->checkout);
}

static void
authenticate (TillChargePage *self)
{
  TillSale *sale = till_checkout_get_sale (self->checkout);

  till_card_view_focus_card (self->card_view);
  till_card_view_handle_card_action_async (self->card_view, till_sale_get_client_secret (sale),
                                           self->cancellable, action_done_cb, g_object_ref (self));
}

static void
tokenize_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TillChargePage) self = user_data;
  g_autoptr(TillCardMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  TillShop *shop = till_checkout_get_shop (self->checkout);
  TillCardMessageType expected = shop != NULL && till_shop_uses_charges (shop)
                                 ? TILL_CARD_MESSAGE_TOKEN : TILL_CARD_MESSAGE_PAYMENT_METHOD;

  message = till_card_view_tokenize_finish (TILL_CARD_VIEW (object), result, &error);
  /* The page went away (the window closed): its widgets with it. */
  if (g_cancellable_is_cancelled (self->cancellable) ||
      till_checkout_get_state (self->checkout) != TILL_CHECKOUT_STATE_READING_CARD)
    return;

  if (message != NULL && message->type == expected)
    {
      till_checkout_card_read (self->checkout, message->id, message->brand, message->last4);
      return;
    }

  /* Nothing left the terminal: the cashier fixes the card and tries again. */
  till_checkout_card_not_read (self->checkout);
  if (message != NULL && message->type == TILL_CARD_MESSAGE_ERROR_RESULT && message->error_message != NULL)
    set_card_status (self, message->error_message, TRUE);
  else if (is_cancelled (error))
    set_card_status (self, _("Stopped before anything was sent. Nothing was charged."), FALSE);
  else
    set_card_status (self, _("The card form did not answer. Nothing was charged. Type the card again."), TRUE);
  till_card_view_focus_card (self->card_view);
}

static void
card_ready_cb (TillChargePage *self)
{
  /* A reloaded form takes the keys where the old one had them. */
  if (till_checkout_get_state (self->checkout) == TILL_CHECKOUT_STATE_ENTRY &&
      focus_within (self, GTK_WIDGET (self->card_view)))
    till_card_view_focus_card (self->card_view);
  sync_card (self);
}

static void
card_changed_cb (TillChargePage *self,
                 gboolean        complete,
                 const char     *brand)
{
  if (till_checkout_get_state (self->checkout) == TILL_CHECKOUT_STATE_ENTRY)
    {
      if (complete)
        {
          g_autofree char *text = till_charge_words_card_ready (brand);

          set_card_status (self, text, FALSE);
        }
      else
        set_card_status (self, till_card_view_get_error (self->card_view), TRUE);
    }
  sync_card (self);
}

static void
card_crashed_cb (TillChargePage *self)
{
  /* A sale on its way is the checkout's business: a token already handed
   * over is being charged or resolved natively; a tokenization or an
   * authentication in the page ends with an error of its own. */
  notice (self, _("The card form stopped and has been reloaded. Type the card again."));
  sync_card (self);
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

/* The shop's settings are in: the card page loads for this shop. */
static void
checkout_shop_cb (TillChargePage *self)
{
  TillShop *shop = till_checkout_get_shop (self->checkout);
  g_autofree char *origin = NULL;
  g_autoptr(GError) error = NULL;

  update_amount (self);
  if (shop == NULL || self->session == NULL)
    return;
  origin = backend_origin (self->session);
  if (origin == NULL ||
      !till_card_view_load (self->card_view, origin, till_shop_get_stripe_js_url (shop),
                            till_shop_get_publishable_key (shop), till_shop_get_mode (shop), &error))
    {
      g_warning ("The card form cannot be loaded: %s", error ? error->message : "no origin");
      till_checkout_set_unavailable (self->checkout,
                                     g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED)
                                     ? _("The shop server asks for the card form to load Stripe from an "
                                         "address this version of Till does not trust. Ask the person who "
                                         "runs the shop’s computers.")
                                     : _("The shop server’s Stripe settings are not usable. Ask the person "
                                         "who runs the shop’s computers."));
      return;
    }
  sync_card (self);
  g_signal_emit (self, signals[SIGNAL_CONFIGURED], 0);
}

/* Actions */

static void
type_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  /* The next sale starts with its first digit, once this one is over. */
  if (till_checkout_get_state (self->checkout) == TILL_CHECKOUT_STATE_RESULT)
    till_checkout_new_sale (self->checkout);
  if (till_checkout_get_state (self->checkout) != TILL_CHECKOUT_STATE_ENTRY)
    return;
  /* Past Stripe's limit the key does nothing. */
  if (!till_checkout_type_digits (self->checkout, g_variant_get_string (parameter, NULL)))
    gtk_widget_error_bell (widget);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  till_checkout_remove_digit (TILL_CHARGE_PAGE (widget)->checkout);
}

static void
clear_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  if (till_checkout_get_state (self->checkout) != TILL_CHECKOUT_STATE_ENTRY)
    return;
  till_checkout_new_sale (self->checkout);
  till_amount_pad_clear_reference (self->amount_pad);
  set_card_status (self, NULL, FALSE);
  till_card_view_clear (self->card_view);
}

static void
charge_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  sync_card (self);
  if (!till_checkout_charge (self->checkout, till_amount_pad_get_reference (self->amount_pad)))
    return;
  set_card_status (self, NULL, FALSE);
  till_card_view_tokenize_async (self->card_view, self->cancellable, tokenize_done_cb, g_object_ref (self));
}

static void
reference_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  if (till_checkout_get_can_charge (self->checkout))
    charge_action (widget, NULL, NULL);
  else if (till_checkout_get_amount (self->checkout) > 0)
    till_card_view_focus_card (self->card_view);
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  sync_card (self);
  till_checkout_go_on (self->checkout);
}

static void
receipt_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);
  TillSale *sale = approved_sale (self);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (sale == NULL || self->session == NULL || !GTK_IS_WINDOW (root))
    return;
  till_receipt_present_id (GTK_WINDOW (root), self->session, till_sale_get_payment_id (sale));
}

static void
abandon_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  if (!till_checkout_abandon (self->checkout))
    return;
  notice (self, _("Sale cancelled. Nothing was charged."));
  gtk_widget_grab_focus (widget);
}

/* Stops waiting for the card page (reading the card, or the customer's
 * challenge): the page is reloaded, and its pending call ends with an
 * error that the flow treats as usual: back to the card before anything
 * was sent, or a confirm that reads the payment's real state. */
static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  if (till_checkout_stop_card_page (self->checkout))
    {
      till_card_view_reload (self->card_view);
      sync_card (self);
    }
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  if (self->session != NULL)
    till_charge_page_start (self, self->session);
}

/* Keys: digits and Backspace build the amount wherever the focus is, except
 * in the reference field and the card form; Enter charges when everything
 * is ready, even from the card form. Each key is one of the actions. */

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

static void
type_digit (TillChargePage *self,
            int             digit)
{
  char text[2] = { (char) ('0' + digit), '\0' };

  gtk_widget_activate_action (GTK_WIDGET (self), "charge.type", "s", text);
}

static gboolean
entry_key (TillChargePage *self,
           guint           keyval,
           gboolean        enter,
           int             digit)
{
  gboolean in_text = focus_within (self, till_amount_pad_get_entry (self->amount_pad)) ||
                     focus_within (self, GTK_WIDGET (self->card_view));

  if (enter && focus_on_button (self))
    return GDK_EVENT_PROPAGATE;
  if (enter)
    {
      sync_card (self);
      if (till_checkout_get_can_charge (self->checkout))
        gtk_widget_activate_action (GTK_WIDGET (self), "charge.charge", NULL);
      else if (till_checkout_get_amount (self->checkout) > 0 && till_card_view_get_ready (self->card_view))
        till_card_view_focus_card (self->card_view);
      else if (in_text)
        return GDK_EVENT_PROPAGATE;
      return GDK_EVENT_STOP;
    }
  if (in_text)
    return GDK_EVENT_PROPAGATE;
  if (digit >= 0)
    type_digit (self, digit);
  else if (keyval == GDK_KEY_BackSpace || keyval == GDK_KEY_Delete || keyval == GDK_KEY_KP_Delete)
    gtk_widget_activate_action (GTK_WIDGET (self), "charge.back", NULL);
  else if (keyval == GDK_KEY_Escape)
    gtk_widget_activate_action (GTK_WIDGET (self), "charge.clear", NULL);
  else
    return GDK_EVENT_PROPAGATE;
  return GDK_EVENT_STOP;
}

static gboolean
key_pressed_cb (TillChargePage  *self,
                guint            keyval,
                guint            keycode,
                GdkModifierType  modifiers)
{
  TillCheckoutState state = till_checkout_get_state (self->checkout);
  gboolean enter = keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter;
  int digit = key_digit (keyval);
  TillSale *sale = till_checkout_get_sale (self->checkout);

  if ((modifiers & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 ||
      g_strcmp0 (gtk_stack_get_visible_child_name (self->page_stack), "sale") != 0)
    return GDK_EVENT_PROPAGATE;

  switch (state)
    {
    case TILL_CHECKOUT_STATE_ENTRY:
      return entry_key (self, keyval, enter, digit);

    case TILL_CHECKOUT_STATE_RESULT:
      if (keyval == GDK_KEY_Escape && till_checkout_abandon (self->checkout))
        {
          notice (self, _("Sale cancelled. Nothing was charged."));
          gtk_widget_grab_focus (GTK_WIDGET (self));
          return GDK_EVENT_STOP;
        }
      /* The next sale starts with its first digit, once this one is final. */
      if (digit >= 0 && sale != NULL && till_sale_is_final (sale))
        {
          type_digit (self, digit);
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;

    case TILL_CHECKOUT_STATE_READING_CARD:
    case TILL_CHECKOUT_STATE_SENDING:
    case TILL_CHECKOUT_STATE_CHECKING:
    case TILL_CHECKOUT_STATE_AUTHENTICATING:
    case TILL_CHECKOUT_STATE_RECOVERING:
      /* Held or repeated keys do nothing while a sale is on its way; the
       * customer types into the bank's page, though. */
      if (keyval == GDK_KEY_Escape && gtk_widget_get_visible (GTK_WIDGET (self->stop_button)))
        {
          gtk_widget_activate_action (GTK_WIDGET (self), "charge.stop", NULL);
          return GDK_EVENT_STOP;
        }
      if (state == TILL_CHECKOUT_STATE_AUTHENTICATING && focus_within (self, GTK_WIDGET (self->card_view)))
        return GDK_EVENT_PROPAGATE;
      return enter || digit >= 0 ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;

    case TILL_CHECKOUT_STATE_LOADING:
    case TILL_CHECKOUT_STATE_UNAVAILABLE:
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

/* Public API */

void
till_charge_page_start (TillChargePage *self,
                        TillSession    *session)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));
  g_return_if_fail (TILL_IS_SESSION (session));

  g_set_object (&self->session, session);
  till_checkout_start (self->checkout, session);
}

void
till_charge_page_prepare (TillChargePage *self)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));
  /* The journal is read while the cashier signs in. */
  till_checkout_prepare (self->checkout);
  till_card_view_prepare (self->card_view);
}

gboolean
till_charge_page_is_busy (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), FALSE);
  return till_checkout_is_busy (self->checkout);
}

gboolean
till_charge_page_has_open_sale (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), FALSE);
  return till_checkout_has_open_sale (self->checkout);
}

const char *
till_charge_page_get_shop_name (TillChargePage *self)
{
  TillShop *shop;

  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  shop = till_checkout_get_shop (self->checkout);
  return shop != NULL ? till_shop_get_name (shop) : NULL;
}

/* The shop's currency, once its settings are read; NULL before. */
const char *
till_charge_page_get_currency (TillChargePage *self)
{
  TillShop *shop;

  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  shop = till_checkout_get_shop (self->checkout);
  return shop != NULL ? till_shop_get_currency (shop) : NULL;
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

/* For tests and benchmarks (till-charge-page-private.h) */

gboolean
till_charge_page_get_receipt_offered (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), FALSE);
  return till_checkout_get_state (self->checkout) == TILL_CHECKOUT_STATE_RESULT &&
         till_result_view_get_receipt_visible (self->result_view);
}

TillCheckout *
till_charge_page_get_checkout (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return self->checkout;
}

const char *
till_charge_page_get_unavailable_title (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return adw_status_page_get_title (self->unavailable_page);
}

const char *
till_charge_page_get_unavailable_description (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return adw_status_page_get_description (self->unavailable_page);
}

const char *
till_charge_page_get_state (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);

  switch (till_checkout_get_state (self->checkout))
    {
    case TILL_CHECKOUT_STATE_LOADING: return "loading";
    case TILL_CHECKOUT_STATE_UNAVAILABLE: return "unavailable";
    case TILL_CHECKOUT_STATE_ENTRY: return "entry";
    case TILL_CHECKOUT_STATE_AUTHENTICATING: return "authenticating";
    case TILL_CHECKOUT_STATE_RESULT: return "result";
    case TILL_CHECKOUT_STATE_READING_CARD:
    case TILL_CHECKOUT_STATE_SENDING:
    case TILL_CHECKOUT_STATE_CHECKING:
    case TILL_CHECKOUT_STATE_RECOVERING:
    default:
      return "working";
    }
}

gint64
till_charge_page_get_amount (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), 0);
  return till_checkout_get_amount (self->checkout);
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
  return till_result_view_get_title (self->result_view);
}

const char *
till_charge_page_get_result_description (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return till_result_view_get_description (self->result_view);
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
  sync_card (self);
  return till_checkout_get_can_charge (self->checkout);
}

TillCardView *
till_charge_page_get_card_view (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return self->card_view;
}

void
till_charge_page_get_timings (TillChargePage *self,
                              double         *token_to_request_ms,
                              double         *response_to_result_ms)
{
  g_return_if_fail (TILL_IS_CHARGE_PAGE (self));
  *token_to_request_ms = till_checkout_get_token_to_request_ms (self->checkout);
  *response_to_result_ms = self->response_to_result_ms;
}

TillSale *
till_charge_page_get_sale (TillChargePage *self)
{
  g_return_val_if_fail (TILL_IS_CHARGE_PAGE (self), NULL);
  return till_checkout_get_sale (self->checkout);
}

/* GtkWidget */

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

/* The window closes. A step on its way holds a reference to the checkout:
 * it stops here instead, as if Till quit; the journal has it. */
static void
till_charge_page_unroot (GtkWidget *widget)
{
  TillChargePage *self = TILL_CHARGE_PAGE (widget);

  till_checkout_stop (self->checkout);
  g_clear_handle_id (&self->clock_source, g_source_remove);
  GTK_WIDGET_CLASS (till_charge_page_parent_class)->unroot (widget);
}

static void
till_charge_page_dispose (GObject *object)
{
  TillChargePage *self = TILL_CHARGE_PAGE (object);

  /* AdwBin unparents the template's one child itself. */
  g_cancellable_cancel (self->cancellable);
  if (self->checkout != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->checkout, self);
      till_checkout_stop (self->checkout);
    }
  g_clear_handle_id (&self->clock_source, g_source_remove);
  g_clear_handle_id (&self->trim_source, g_source_remove);
  uninhibit (self);

  G_OBJECT_CLASS (till_charge_page_parent_class)->dispose (object);
}

static void
till_charge_page_finalize (GObject *object)
{
  TillChargePage *self = TILL_CHARGE_PAGE (object);

  g_clear_object (&self->checkout);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->sent_at, g_date_time_unref);
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
  g_type_ensure (TILL_TYPE_AMOUNT_PAD);
  g_type_ensure (TILL_TYPE_RESULT_VIEW);
  g_type_ensure (TILL_TYPE_SALE_LAYOUT);

  gtk_widget_class_install_action (widget_class, "charge.type", "s", type_action);
  gtk_widget_class_install_action (widget_class, "charge.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "charge.clear", NULL, clear_action);
  gtk_widget_class_install_action (widget_class, "charge.charge", NULL, charge_action);
  gtk_widget_class_install_action (widget_class, "charge.reference", NULL, reference_action);
  gtk_widget_class_install_action (widget_class, "charge.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "charge.abandon", NULL, abandon_action);
  gtk_widget_class_install_action (widget_class, "charge.receipt", NULL, receipt_action);
  gtk_widget_class_install_action (widget_class, "charge.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "charge.retry", NULL, retry_action);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-charge-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, page_stack);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, amount_label);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, amount_problem);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, sale_stack);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, sale_columns);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, amount_pad);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, working_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, working_label);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, stop_button);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, result_view);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, card_view);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, card_status);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, action_box);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, card_column);
  gtk_widget_class_bind_template_child (widget_class, TillChargePage, charge_button);
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
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Amount"), -1);

  /* Capture: the page sees digits and Enter before the focused widget. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  self->cancellable = g_cancellable_new ();
  self->checkout = till_checkout_new (NULL);
  self->shown = till_checkout_get_state (self->checkout);
  self->response_to_result_ms = -1;
  g_signal_connect_swapped (self->checkout, "notify::state", G_CALLBACK (checkout_state_cb), self);
  g_signal_connect_swapped (self->checkout, "notify::shop", G_CALLBACK (checkout_shop_cb), self);
  g_signal_connect_swapped (self->checkout, "notify::amount", G_CALLBACK (update_amount), self);
  g_signal_connect_swapped (self->checkout, "notify::can-charge", G_CALLBACK (update_controls), self);
  /* The checkout decides with the card form's state as it is now. */
  g_signal_connect_swapped (self->card_view, "notify::ready", G_CALLBACK (sync_card), self);
  g_signal_connect_swapped (self->card_view, "notify::complete", G_CALLBACK (sync_card), self);
  g_signal_connect_object (gtk_widget_get_settings (GTK_WIDGET (self)), "notify::gtk-xft-dpi",
                           G_CALLBACK (size_card_view), self, G_CONNECT_SWAPPED);
  update_amount (self);
}
