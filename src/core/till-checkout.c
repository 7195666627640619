/* till-checkout.c: the charge screen's flow, one sale at a time, without widgets
 *
 * The charge screen shows what this object says and passes on what the
 * cashier and the card page do. It owns:
 *   - the shop's settings (TillShop), read after each sign-in;
 *   - the amount, typed like on a cash register: digits come in from the
 *     right, in the shop's minor unit (1, 2, 5, 0 is 12.50 in EUR and
 *     1,250 in KRW), so there is no decimal separator to get wrong; an
 *     integer from the first key to the request;
 *   - one TillSale at a time, made when Charge is pressed and kept until
 *     its outcome is final. Nothing starts another while it is open, so a
 *     double click, a held Enter key or a second press cannot pay twice;
 *     and the sale's own key makes every resend the same payment;
 *   - the journal, the duplicate question through a journal query, the
 *     timers that check an unknown outcome again, and the queue of
 *     payments from before that are checked after a sign-in.
 * The card page (a web view) is the screen's: this object only asks for
 * the token and the customer's challenge through its state, and hears
 * back through till_checkout_card_read() and friends.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-checkout"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-checkout.h"
#include "till-enums.h"
#include "till-money.h"

/* An unknown outcome is checked again this often, for this long, before
 * the cashier is asked whether to keep waiting. */
#define CHECK_EVERY_MS (5 * 1000)
#define CHECK_FOR_MS (120 * 1000)

struct _TillCheckout
{
  GObject             parent_instance;

  /* owned references */
  TillSession        *session;
  TillShop           *shop;
  TillJournal        *journal;
  char               *journal_dir;
  TillSale           *sale;             /* open or last sale */
  GPtrArray          *recovering;       /* TillSale from the journal */
  GCancellable       *cancellable;      /* the settings request */
  GCancellable       *sale_cancellable; /* the sales' requests */
  gboolean            journal_loading;
  gboolean            settings_read;    /* since the last start */

  /* state */
  TillCheckoutState   state;
  TillCheckoutResult  result;
  char               *problem;
  gint64              amount;
  gboolean            card_ready;
  gboolean            card_complete;
  guint               auth_rounds;
  char               *pending_token;    /* held while a likely duplicate is asked about */
  guint               recover_index;
  gint64              checking_since;   /* monotonic µs, 0 when not checking */
  guint               check_source;
  guint               check_every_ms;
  guint               check_for_ms;
  gint64              t_token;
  gint64              t_response;
  double              token_to_request_ms;
};

G_DEFINE_FINAL_TYPE (TillCheckout, till_checkout, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  PROP_AMOUNT,
  PROP_SHOP,
  PROP_SALE,
  PROP_CAN_CHARGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void step_done_cb (GObject *object, GAsyncResult *result, gpointer user_data);
static void recover (TillCheckout *self);

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
notify (TillCheckout *self,
        guint         prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_state (TillCheckout       *self,
           TillCheckoutState   state,
           TillCheckoutResult  result)
{
  g_object_freeze_notify (G_OBJECT (self));
  self->result = state == TILL_CHECKOUT_STATE_RESULT ? result : TILL_CHECKOUT_RESULT_NONE;
  /* A result after a new answer is a new result: it notifies, so that it
   * is shown again with its words. */
  if (self->state != state || state == TILL_CHECKOUT_STATE_RESULT)
    {
      self->state = state;
      notify (self, PROP_STATE);
    }
  notify (self, PROP_CAN_CHARGE);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_sale (TillCheckout *self,
          TillSale     *sale)
{
  if (g_set_object (&self->sale, sale))
    notify (self, PROP_SALE);
}

static void
stop_checking (TillCheckout *self)
{
  self->checking_since = 0;
  g_clear_handle_id (&self->check_source, g_source_remove);
}

static void
clear_sale (TillCheckout *self)
{
  stop_checking (self);
  set_sale (self, NULL);
  g_clear_pointer (&self->pending_token, g_free);
  self->auth_rounds = 0;
}

/* The amount */

gboolean
till_checkout_type_digits (TillCheckout *self,
                           const char   *digits)
{
  gint64 limit;
  gboolean taken = TRUE;

  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);

  if (self->state != TILL_CHECKOUT_STATE_ENTRY || self->shop == NULL)
    return FALSE;
  /* Stripe's eight digits, counted in Stripe's unit for the shop's
   * currency (999999 ISK, 99999999 USD cents): the keys stop there. */
  limit = till_money_get_max_amount (till_shop_get_currency (self->shop));
  for (const char *d = digits; *d != '\0'; d++)
    {
      gint64 next;

      if (!g_ascii_isdigit (*d))
        continue;
      next = self->amount * 10 + (*d - '0');
      if (next > limit)
        {
          taken = FALSE;
          break;
        }
      self->amount = next;
    }
  notify (self, PROP_AMOUNT);
  notify (self, PROP_CAN_CHARGE);
  return taken;
}

void
till_checkout_remove_digit (TillCheckout *self)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  if (self->state != TILL_CHECKOUT_STATE_ENTRY)
    return;
  self->amount /= 10;
  notify (self, PROP_AMOUNT);
  notify (self, PROP_CAN_CHARGE);
}

gint64
till_checkout_get_amount (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), 0);
  return self->amount;
}

char *
till_checkout_dup_amount_problem (TillCheckout *self)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (TILL_IS_CHECKOUT (self), NULL);

  if (self->shop == NULL || self->amount == 0 ||
      till_money_to_stripe (self->amount, till_shop_get_currency (self->shop), NULL, &error))
    return NULL;
  return g_strdup (error->message);
}

void
till_checkout_set_card_state (TillCheckout *self,
                              gboolean      ready,
                              gboolean      complete)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  self->card_ready = ready;
  self->card_complete = complete;
  notify (self, PROP_CAN_CHARGE);
}

gboolean
till_checkout_get_can_charge (TillCheckout *self)
{
  g_autofree char *problem = NULL;

  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);

  problem = till_checkout_dup_amount_problem (self);
  return self->state == TILL_CHECKOUT_STATE_ENTRY && self->shop != NULL && self->amount > 0 &&
         problem == NULL && self->card_ready && self->card_complete && self->sale == NULL;
}

gboolean
till_checkout_new_sale (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);

  if (self->state != TILL_CHECKOUT_STATE_ENTRY && self->state != TILL_CHECKOUT_STATE_RESULT)
    return FALSE;
  if (self->sale != NULL && !till_sale_is_final (self->sale))
    return FALSE;
  clear_sale (self);
  self->amount = 0;
  self->token_to_request_ms = -1;
  notify (self, PROP_AMOUNT);
  set_state (self, TILL_CHECKOUT_STATE_ENTRY, TILL_CHECKOUT_RESULT_NONE);
  return TRUE;
}

/* Checking an unknown outcome: the same sale again every few seconds,
 * until it is known or the cashier has waited long enough to be asked. */

static gboolean
check_cb (gpointer data)
{
  TillCheckout *self = data;

  self->check_source = 0;
  if (self->sale != NULL && !till_sale_is_busy (self->sale))
    till_sale_resolve_async (self->sale, self->sale_cancellable, step_done_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
show_checking (TillCheckout *self)
{
  if (self->checking_since == 0)
    self->checking_since = g_get_monotonic_time ();
  set_state (self, TILL_CHECKOUT_STATE_CHECKING, TILL_CHECKOUT_RESULT_NONE);
}

/* TRUE while the checkout keeps checking by itself. An answer about
 * another payment is checked too: the record of the sale's key settles it. */
static gboolean
keep_checking (TillCheckout *self)
{
  if (self->checking_since != 0 &&
      g_get_monotonic_time () - self->checking_since > (gint64) self->check_for_ms * 1000)
    return FALSE;

  show_checking (self);
  g_clear_handle_id (&self->check_source, g_source_remove);
  self->check_source = g_timeout_add (self->check_every_ms, check_cb, self);
  return TRUE;
}

/* The sale's first request went unanswered (or was answered about
 * another payment): it goes on resending, and the screen says at once
 * that the payment is being checked. */
static void
sale_status_cb (TillSale     *sale,
                GParamSpec   *pspec,
                TillCheckout *self)
{
  if (sale == self->sale && self->state == TILL_CHECKOUT_STATE_SENDING && till_sale_is_busy (sale) &&
      till_sale_get_status (sale) == TILL_SALE_STATUS_UNKNOWN)
    show_checking (self);
}

static void
authenticate (TillCheckout *self)
{
  self->auth_rounds++;
  set_state (self, TILL_CHECKOUT_STATE_AUTHENTICATING, TILL_CHECKOUT_RESULT_NONE);
}

static void
step_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TillCheckout) self = user_data;
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
          set_state (self, TILL_CHECKOUT_STATE_RESULT, TILL_CHECKOUT_RESULT_NOT_SENT);
          set_sale (self, NULL);
          return;
        }
      /* UNAUTHORIZED: the window locks on the session; the sale waits for
       * the cashier to sign in again and check. */
      set_state (self, TILL_CHECKOUT_STATE_RESULT, TILL_CHECKOUT_RESULT_SESSION_ENDED);
      return;
    }

  /* The customer's challenge, in the page, at most twice in a row without
   * the cashier: a form that cannot show it must not make a loop. */
  if (till_sale_get_status (sale) == TILL_SALE_STATUS_REQUIRES_ACTION &&
      till_sale_get_client_secret (sale) != NULL && self->auth_rounds < TILL_CHECKOUT_MAX_AUTH_ROUNDS &&
      self->card_ready)
    authenticate (self);
  else if (till_sale_get_status (sale) == TILL_SALE_STATUS_UNKNOWN && keep_checking (self))
    return;
  else
    {
      stop_checking (self);
      set_state (self, TILL_CHECKOUT_STATE_RESULT, TILL_CHECKOUT_RESULT_OUTCOME);
    }
}

/* Charging */

gboolean
till_checkout_charge (TillCheckout *self,
                      const char   *reference)
{
  g_autoptr(TillSale) sale = NULL;

  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);

  if (!till_checkout_get_can_charge (self))
    return FALSE;
  sale = till_sale_new (self->session, self->amount, till_shop_get_currency (self->shop),
                        reference != NULL && *reference != '\0' ? reference : NULL);
  till_sale_set_journal (sale, self->journal);
  g_signal_connect_object (sale, "notify::status", G_CALLBACK (sale_status_cb), self, 0);
  set_sale (self, sale);
  set_state (self, TILL_CHECKOUT_STATE_READING_CARD, TILL_CHECKOUT_RESULT_NONE);
  return TRUE;
}

void
till_checkout_card_not_read (TillCheckout *self)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  if (self->state != TILL_CHECKOUT_STATE_READING_CARD)
    return;
  /* Nothing left the terminal: the cashier fixes the card and tries
   * again, as the same sale would be a new one anyway. */
  set_sale (self, NULL);
  set_state (self, TILL_CHECKOUT_STATE_ENTRY, TILL_CHECKOUT_RESULT_NONE);
}

static void
submit (TillCheckout *self,
        const char   *token)
{
  set_state (self, TILL_CHECKOUT_STATE_SENDING, TILL_CHECKOUT_RESULT_NONE);
  till_sale_submit_async (self->sale, token, self->sale_cancellable, step_done_cb, g_object_ref (self));
}

void
till_checkout_card_read (TillCheckout *self,
                         const char   *token,
                         const char   *brand,
                         const char   *last4)
{
  gint64 since = g_get_real_time () / G_USEC_PER_SEC - TILL_CHECKOUT_DUPLICATE_SECONDS;

  g_return_if_fail (TILL_IS_CHECKOUT (self));
  g_return_if_fail (token != NULL);

  self->t_token = g_get_monotonic_time ();
  if (self->state != TILL_CHECKOUT_STATE_READING_CARD || self->sale == NULL)
    return;

  till_sale_set_card (self->sale, brand, last4);
  if (last4 != NULL &&
      till_journal_has_recent_charge (self->journal, till_sale_get_amount (self->sale),
                                      till_sale_get_currency (self->sale), last4, since,
                                      till_sale_get_idempotency_key (self->sale)))
    {
      self->pending_token = g_strdup (token);
      set_state (self, TILL_CHECKOUT_STATE_RESULT, TILL_CHECKOUT_RESULT_DUPLICATE);
      return;
    }

  submit (self, token);
  self->token_to_request_ms = (g_get_monotonic_time () - self->t_token) / 1000.0;
  g_debug ("Card token received to payment request started: %.3f ms", self->token_to_request_ms);
}

void
till_checkout_authenticated (TillCheckout *self)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  if (self->sale == NULL || self->state != TILL_CHECKOUT_STATE_AUTHENTICATING)
    return;
  set_state (self, TILL_CHECKOUT_STATE_SENDING, TILL_CHECKOUT_RESULT_NONE);
  till_sale_confirm_async (self->sale, self->sale_cancellable, step_done_cb, g_object_ref (self));
}

gboolean
till_checkout_stop_card_page (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);

  if (self->state != TILL_CHECKOUT_STATE_AUTHENTICATING && self->state != TILL_CHECKOUT_STATE_READING_CARD)
    return FALSE;
  self->auth_rounds = TILL_CHECKOUT_MAX_AUTH_ROUNDS;
  return TRUE;
}

static void
check_again (TillCheckout *self)
{
  if (self->sale == NULL || till_sale_is_final (self->sale) || till_sale_is_busy (self->sale))
    return;
  /* Keep waiting: another round of checks. */
  stop_checking (self);
  show_checking (self);
  till_sale_resolve_async (self->sale, self->sale_cancellable, step_done_cb, g_object_ref (self));
}

void
till_checkout_go_on (TillCheckout *self)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  if (self->state != TILL_CHECKOUT_STATE_RESULT)
    return;
  switch (till_checkout_get_next (self))
    {
    case TILL_CHECKOUT_NEXT_RECOVER:
      recover (self);
      break;
    case TILL_CHECKOUT_NEXT_CHARGE_AGAIN:
      {
        g_autofree char *token = g_steal_pointer (&self->pending_token);

        submit (self, token);
      }
      break;
    case TILL_CHECKOUT_NEXT_CHECK_AGAIN:
      check_again (self);
      break;
    case TILL_CHECKOUT_NEXT_AUTHENTICATE:
      if (till_sale_get_status (self->sale) == TILL_SALE_STATUS_REQUIRES_ACTION)
        {
          self->auth_rounds = 0;
          authenticate (self);
        }
      break;
    case TILL_CHECKOUT_NEXT_NEW_SALE:
    default:
      till_checkout_new_sale (self);
      break;
    }
}

gboolean
till_checkout_abandon (TillCheckout *self)
{
  TillCheckoutNext next;

  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);

  if (self->state != TILL_CHECKOUT_STATE_RESULT || self->sale == NULL || till_sale_is_busy (self->sale))
    return FALSE;
  next = till_checkout_get_next (self);
  /* A likely duplicate not charged after all, or a sale waiting for
   * 3-D Secure: neither can be charged now. */
  if (next == TILL_CHECKOUT_NEXT_CHARGE_AGAIN)
    g_clear_pointer (&self->pending_token, g_free);
  else if (next != TILL_CHECKOUT_NEXT_AUTHENTICATE || !till_sale_abandon (self->sale))
    return FALSE;
  clear_sale (self);
  return till_checkout_new_sale (self);
}

/* Payments from before: every sale the journal holds unresolved for this
 * shop is resolved, one after the other, before the next sale. */

static void recover_next (TillCheckout *self);

static void
recover_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillCheckout) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!till_sale_step_finish (TILL_SALE (object), result, &error))
    {
      /* The checkout stops, as Till quits: the journal keeps them. */
      if (is_cancelled (error))
        return;
      g_info ("A payment from before could not be checked: %s", error->message);
    }
  /* Only the round running now goes on. */
  if (self->state != TILL_CHECKOUT_STATE_RECOVERING || self->recovering == NULL ||
      self->recover_index >= self->recovering->len ||
      g_ptr_array_index (self->recovering, self->recover_index) != (gpointer) object)
    return;
  self->recover_index++;
  recover_next (self);
}

static void
recover_next (TillCheckout *self)
{
  if (self->recover_index < self->recovering->len)
    {
      TillSale *sale = g_ptr_array_index (self->recovering, self->recover_index);

      till_sale_resolve_async (sale, self->sale_cancellable, recover_done_cb, g_object_ref (self));
      return;
    }

  /* The customer of a sale stopped at 3-D Secure is gone. */
  for (guint i = 0; i < self->recovering->len; i++)
    till_sale_abandon (g_ptr_array_index (self->recovering, i));
  set_state (self, TILL_CHECKOUT_STATE_RESULT, TILL_CHECKOUT_RESULT_RECOVERED);
}

static void
recover (TillCheckout *self)
{
  const char *server = till_backend_client_get_base_url (till_session_get_client (self->session));
  g_autoptr(GPtrArray) entries = till_journal_list_open (self->journal);

  /* One round at a time; the one running shows its result when done. */
  if (self->state == TILL_CHECKOUT_STATE_RECOVERING)
    return;
  g_clear_pointer (&self->recovering, g_ptr_array_unref);
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
      clear_sale (self);
      self->amount = 0;
      notify (self, PROP_AMOUNT);
      set_state (self, TILL_CHECKOUT_STATE_ENTRY, TILL_CHECKOUT_RESULT_NONE);
      return;
    }

  self->recover_index = 0;
  set_state (self, TILL_CHECKOUT_STATE_RECOVERING, TILL_CHECKOUT_RESULT_NONE);
  recover_next (self);
}

/* The shop's settings */

void
till_checkout_set_unavailable (TillCheckout *self,
                               const char   *problem)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));
  g_return_if_fail (problem != NULL);

  g_free (self->problem);
  self->problem = g_strdup (problem);
  set_state (self, TILL_CHECKOUT_STATE_UNAVAILABLE, TILL_CHECKOUT_RESULT_NONE);
}

static void
config_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillCheckout) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillShop) shop = NULL;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (response == NULL)
    {
      if (is_cancelled (error))
        return;
      g_info ("Reading the shop's settings failed: %s", error->message);
      till_checkout_set_unavailable (self, _("The shop’s settings could not be read from the shop "
                                             "server. Check the network, then try again."));
      return;
    }

  shop = till_shop_new_from_json (till_backend_response_get_object (response), &error);
  if (shop == NULL)
    {
      till_checkout_set_unavailable (self, error->message);
      return;
    }
  g_set_object (&self->shop, shop);
  self->settings_read = TRUE;
  /* The screen loads the card page for this shop now, and may find that
   * it cannot. */
  notify (self, PROP_SHOP);
  if (self->state == TILL_CHECKOUT_STATE_LOADING && self->journal != NULL)
    recover (self);
}

static void
journal_opened_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TillCheckout) self = user_data;
  g_autoptr(GError) error = NULL;

  self->journal_loading = FALSE;
  self->journal = till_journal_new_finish (result, &error);
  if (self->journal == NULL)
    {
      g_warning ("The payment journal cannot be used: %s", error->message);
      till_checkout_set_unavailable (self, _("This terminal cannot write its payment journal, so it "
                                             "cannot take cards. Ask the person who runs the shop’s "
                                             "computers."));
      return;
    }
  till_journal_prune (self->journal, g_get_real_time () / G_USEC_PER_SEC, TILL_JOURNAL_KEEP_SECONDS);
  /* The shop's settings came first: the payments from before now. */
  if (self->state == TILL_CHECKOUT_STATE_LOADING && self->settings_read)
    recover (self);
}

void
till_checkout_prepare (TillCheckout *self)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  if (self->journal != NULL || self->journal_loading)
    return;
  self->journal_loading = TRUE;
  till_journal_new_async (self->journal_dir, journal_opened_cb, g_object_ref (self));
}

void
till_checkout_start (TillCheckout *self,
                     TillSession  *session)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));
  g_return_if_fail (TILL_IS_SESSION (session));

  /* An open sale stays on screen until its outcome is known, whoever
   * carries on with it. */
  if (self->sale != NULL && !till_sale_is_final (self->sale) && self->shop != NULL)
    {
      g_set_object (&self->session, session);
      till_sale_set_session (self->sale, session);
      return;
    }

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  /* A round of payments from before still running stops here; the next
   * one, after the settings, takes them all again. */
  if (self->state == TILL_CHECKOUT_STATE_RECOVERING)
    {
      till_checkout_stop (self);
      g_clear_pointer (&self->recovering, g_ptr_array_unref);
    }
  g_set_object (&self->session, session);
  clear_sale (self);
  self->settings_read = FALSE;
  /* The journal, read in a thread, and the shop's settings come in
   * whichever order; the payments from before wait for both. */
  if (self->journal != NULL)
    till_journal_refresh_in_background (self->journal);
  else
    till_checkout_prepare (self);
  set_state (self, TILL_CHECKOUT_STATE_LOADING, TILL_CHECKOUT_RESULT_NONE);
  till_session_request_async (session, "GET", "/api/config", NULL, NULL, self->cancellable,
                              config_done_cb, g_object_ref (self));
}

void
till_checkout_stop (TillCheckout *self)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->sale_cancellable);
  g_clear_object (&self->sale_cancellable);
  self->sale_cancellable = g_cancellable_new ();
  stop_checking (self);
}

/* Getters */

TillCheckoutState
till_checkout_get_state (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), TILL_CHECKOUT_STATE_LOADING);
  return self->state;
}

const char *
till_checkout_get_problem (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), NULL);
  return self->problem;
}

TillShop *
till_checkout_get_shop (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), NULL);
  return self->shop;
}

TillJournal *
till_checkout_get_journal (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), NULL);
  return self->journal;
}

TillSale *
till_checkout_get_sale (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), NULL);
  return self->sale;
}

TillCheckoutResult
till_checkout_get_result (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), TILL_CHECKOUT_RESULT_NONE);
  return self->result;
}

static gboolean
any_open (GPtrArray *sales)
{
  for (guint i = 0; sales != NULL && i < sales->len; i++)
    if (!till_sale_is_final (g_ptr_array_index (sales, i)))
      return TRUE;
  return FALSE;
}

TillCheckoutNext
till_checkout_get_next (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), TILL_CHECKOUT_NEXT_NEW_SALE);

  switch (self->result)
    {
    case TILL_CHECKOUT_RESULT_SESSION_ENDED:
      return TILL_CHECKOUT_NEXT_CHECK_AGAIN;
    case TILL_CHECKOUT_RESULT_DUPLICATE:
      return self->pending_token != NULL ? TILL_CHECKOUT_NEXT_CHARGE_AGAIN : TILL_CHECKOUT_NEXT_NEW_SALE;
    case TILL_CHECKOUT_RESULT_RECOVERED:
      return any_open (self->recovering) ? TILL_CHECKOUT_NEXT_RECOVER : TILL_CHECKOUT_NEXT_NEW_SALE;
    case TILL_CHECKOUT_RESULT_OUTCOME:
      if (self->sale == NULL || till_sale_is_final (self->sale))
        return TILL_CHECKOUT_NEXT_NEW_SALE;
      return till_sale_get_status (self->sale) == TILL_SALE_STATUS_REQUIRES_ACTION
             ? TILL_CHECKOUT_NEXT_AUTHENTICATE : TILL_CHECKOUT_NEXT_CHECK_AGAIN;
    case TILL_CHECKOUT_RESULT_NOT_SENT:
    case TILL_CHECKOUT_RESULT_NONE:
    default:
      return TILL_CHECKOUT_NEXT_NEW_SALE;
    }
}

GPtrArray *
till_checkout_get_recovered (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), NULL);
  return self->recovering;
}

guint
till_checkout_get_recovering_count (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), 0);
  return self->recovering != NULL ? self->recovering->len : 0;
}

gint64
till_checkout_get_checking_since (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), 0);
  return self->checking_since;
}

gboolean
till_checkout_has_open_sale (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);
  return self->sale != NULL && !till_sale_is_final (self->sale);
}

gboolean
till_checkout_is_busy (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), FALSE);

  switch (self->state)
    {
    case TILL_CHECKOUT_STATE_RECOVERING:
    case TILL_CHECKOUT_STATE_READING_CARD:
    case TILL_CHECKOUT_STATE_SENDING:
    case TILL_CHECKOUT_STATE_CHECKING:
    case TILL_CHECKOUT_STATE_AUTHENTICATING:
      return TRUE;
    case TILL_CHECKOUT_STATE_LOADING:
    case TILL_CHECKOUT_STATE_UNAVAILABLE:
    case TILL_CHECKOUT_STATE_ENTRY:
    case TILL_CHECKOUT_STATE_RESULT:
    default:
      return FALSE;
    }
}

gint64
till_checkout_get_response_time (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), 0);
  return self->t_response;
}

double
till_checkout_get_token_to_request_ms (TillCheckout *self)
{
  g_return_val_if_fail (TILL_IS_CHECKOUT (self), -1);
  return self->token_to_request_ms;
}

void
till_checkout_set_timing (TillCheckout *self,
                          guint         check_every_ms,
                          guint         check_for_ms)
{
  g_return_if_fail (TILL_IS_CHECKOUT (self));
  self->check_every_ms = check_every_ms;
  self->check_for_ms = check_for_ms;
}

/* GObject */

TillCheckout *
till_checkout_new (const char *journal_dir)
{
  TillCheckout *self = g_object_new (TILL_TYPE_CHECKOUT, NULL);

  self->journal_dir = g_strdup (journal_dir);
  return self;
}

static void
till_checkout_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TillCheckout *self = TILL_CHECKOUT (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_AMOUNT:
      g_value_set_int64 (value, self->amount);
      break;
    case PROP_SHOP:
      g_value_set_object (value, self->shop);
      break;
    case PROP_SALE:
      g_value_set_object (value, self->sale);
      break;
    case PROP_CAN_CHARGE:
      g_value_set_boolean (value, till_checkout_get_can_charge (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_checkout_dispose (GObject *object)
{
  TillCheckout *self = TILL_CHECKOUT (object);

  till_checkout_stop (self);

  G_OBJECT_CLASS (till_checkout_parent_class)->dispose (object);
}

static void
till_checkout_finalize (GObject *object)
{
  TillCheckout *self = TILL_CHECKOUT (object);

  g_clear_object (&self->session);
  g_clear_object (&self->shop);
  g_clear_object (&self->journal);
  g_clear_object (&self->sale);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->sale_cancellable);
  g_clear_pointer (&self->recovering, g_ptr_array_unref);
  g_free (self->journal_dir);
  g_free (self->problem);
  g_free (self->pending_token);

  G_OBJECT_CLASS (till_checkout_parent_class)->finalize (object);
}

static void
till_checkout_class_init (TillCheckoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = till_checkout_get_property;
  object_class->dispose = till_checkout_dispose;
  object_class->finalize = till_checkout_finalize;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TILL_TYPE_CHECKOUT_STATE, TILL_CHECKOUT_STATE_LOADING, flags);
  properties[PROP_AMOUNT] = g_param_spec_int64 ("amount", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_SHOP] = g_param_spec_object ("shop", NULL, NULL, TILL_TYPE_SHOP, flags);
  properties[PROP_SALE] = g_param_spec_object ("sale", NULL, NULL, TILL_TYPE_SALE, flags);
  properties[PROP_CAN_CHARGE] = g_param_spec_boolean ("can-charge", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_checkout_init (TillCheckout *self)
{
  self->state = TILL_CHECKOUT_STATE_LOADING;
  self->sale_cancellable = g_cancellable_new ();
  self->check_every_ms = CHECK_EVERY_MS;
  self->check_for_ms = CHECK_FOR_MS;
  self->token_to_request_ms = -1;
}
