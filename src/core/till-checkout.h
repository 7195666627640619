/* till-checkout.h: the charge screen's flow, one sale at a time, without widgets
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-journal.h"
#include "till-sale.h"
#include "till-session.h"
#include "till-shop.h"

G_BEGIN_DECLS

/**
 * TillCheckoutState:
 * @TILL_CHECKOUT_STATE_LOADING: reading the shop's settings
 * @TILL_CHECKOUT_STATE_UNAVAILABLE: cards cannot be taken; the problem says why
 * @TILL_CHECKOUT_STATE_RECOVERING: checking the journal's payments from before
 * @TILL_CHECKOUT_STATE_ENTRY: an amount is typed and a card awaited
 * @TILL_CHECKOUT_STATE_READING_CARD: the card page is asked for the card's token;
 *   nothing has left the terminal
 * @TILL_CHECKOUT_STATE_SENDING: a request of the sale is with the shop's server
 * @TILL_CHECKOUT_STATE_CHECKING: the outcome is unknown and is asked again every
 *   few seconds; the card must not be charged again
 * @TILL_CHECKOUT_STATE_AUTHENTICATING: the customer's bank asks them to confirm
 *   the payment in the card page (3-D Secure)
 * @TILL_CHECKOUT_STATE_RESULT: an outcome, or a question, is shown; see
 *   till_checkout_get_result() and till_checkout_get_next()
 */
typedef enum
{
  TILL_CHECKOUT_STATE_LOADING,
  TILL_CHECKOUT_STATE_UNAVAILABLE,
  TILL_CHECKOUT_STATE_RECOVERING,
  TILL_CHECKOUT_STATE_ENTRY,
  TILL_CHECKOUT_STATE_READING_CARD,
  TILL_CHECKOUT_STATE_SENDING,
  TILL_CHECKOUT_STATE_CHECKING,
  TILL_CHECKOUT_STATE_AUTHENTICATING,
  TILL_CHECKOUT_STATE_RESULT,
} TillCheckoutState;

/**
 * TillCheckoutResult:
 * @TILL_CHECKOUT_RESULT_NONE: not in the result state
 * @TILL_CHECKOUT_RESULT_OUTCOME: the sale's status says it all
 * @TILL_CHECKOUT_RESULT_NOT_SENT: the journal could not be written, so nothing
 *   was sent
 * @TILL_CHECKOUT_RESULT_SESSION_ENDED: the session ended before the server
 *   answered; the sale waits for a sign-in and a check
 * @TILL_CHECKOUT_RESULT_DUPLICATE: the same amount on the same card a few
 *   minutes ago: charge again?
 * @TILL_CHECKOUT_RESULT_RECOVERED: the payments from before, checked; see
 *   till_checkout_get_recovered()
 */
typedef enum
{
  TILL_CHECKOUT_RESULT_NONE,
  TILL_CHECKOUT_RESULT_OUTCOME,
  TILL_CHECKOUT_RESULT_NOT_SENT,
  TILL_CHECKOUT_RESULT_SESSION_ENDED,
  TILL_CHECKOUT_RESULT_DUPLICATE,
  TILL_CHECKOUT_RESULT_RECOVERED,
} TillCheckoutResult;

/**
 * TillCheckoutNext:
 * @TILL_CHECKOUT_NEXT_NEW_SALE: the sale is over
 * @TILL_CHECKOUT_NEXT_CHECK_AGAIN: ask the server again about the same payment
 * @TILL_CHECKOUT_NEXT_AUTHENTICATE: show the customer's bank challenge again
 * @TILL_CHECKOUT_NEXT_CHARGE_AGAIN: charge the card although it looks like a
 *   duplicate
 * @TILL_CHECKOUT_NEXT_RECOVER: check the payments from before again
 *
 * What till_checkout_go_on() does from the result state.
 */
typedef enum
{
  TILL_CHECKOUT_NEXT_NEW_SALE,
  TILL_CHECKOUT_NEXT_CHECK_AGAIN,
  TILL_CHECKOUT_NEXT_AUTHENTICATE,
  TILL_CHECKOUT_NEXT_CHARGE_AGAIN,
  TILL_CHECKOUT_NEXT_RECOVER,
} TillCheckoutNext;

/* Rounds of 3-D Secure in the card page before the cashier is asked. */
#define TILL_CHECKOUT_MAX_AUTH_ROUNDS 2
/* The same amount on the same card within this time asks first. */
#define TILL_CHECKOUT_DUPLICATE_SECONDS (5 * 60)

#define TILL_TYPE_CHECKOUT (till_checkout_get_type ())
G_DECLARE_FINAL_TYPE (TillCheckout, till_checkout, TILL, CHECKOUT, GObject)

/* journal_dir: NULL for the user's own (see till_journal_new()). */
TillCheckout      *till_checkout_new                (const char    *journal_dir);
/* Sets the retry policy of every sale made from now on (tests). */
void               till_checkout_set_timing         (TillCheckout  *self,
                                                     guint          check_every_ms,
                                                     guint          check_for_ms);

/* Starts reading the journal (in a thread), before anyone signs in. */
void               till_checkout_prepare            (TillCheckout  *self);
/* Reads the shop's settings with session, then recovers the journal's
 * open payments for this server. An open sale stays and carries on with
 * the new session (its key is the proof). */
void               till_checkout_start              (TillCheckout  *self,
                                                     TillSession   *session);
/* Cards cannot be taken, for a reason found outside (the card page). */
void               till_checkout_set_unavailable    (TillCheckout  *self,
                                                     const char    *problem);
/* Stops every request and timer, as if Till quit; the journal keeps the
 * open sale. */
void               till_checkout_stop               (TillCheckout  *self);

TillCheckoutState  till_checkout_get_state          (TillCheckout  *self);
const char        *till_checkout_get_problem        (TillCheckout  *self);
TillShop          *till_checkout_get_shop           (TillCheckout  *self);
TillJournal       *till_checkout_get_journal        (TillCheckout  *self);

/* The amount, typed like on a cash register: digits come in from the
 * right, in the currency's minor unit. FALSE (and nothing more taken)
 * when a digit would pass Stripe's limit. */
gboolean           till_checkout_type_digits        (TillCheckout  *self,
                                                     const char    *digits);
void               till_checkout_remove_digit       (TillCheckout  *self);
gint64             till_checkout_get_amount         (TillCheckout  *self);
/* Why Stripe would not take the amount (“Amounts in KWD end in 0”), or
 * NULL. */
char              *till_checkout_dup_amount_problem (TillCheckout  *self);
/* The card page's readiness and whether its form is complete. */
void               till_checkout_set_card_state     (TillCheckout  *self,
                                                     gboolean       ready,
                                                     gboolean       complete);
gboolean           till_checkout_get_can_charge     (TillCheckout  *self);

/* Starts a sale of the amount: READING_CARD. FALSE when it cannot. */
gboolean           till_checkout_charge             (TillCheckout  *self,
                                                     const char    *reference);
/* The card page gave the card's token (or PaymentMethod) id: the sale is
 * sent, or first asked about when it looks like a duplicate. */
void               till_checkout_card_read          (TillCheckout  *self,
                                                     const char    *token,
                                                     const char    *brand,
                                                     const char    *last4);
/* The card page gave no token: nothing left; back to ENTRY. */
void               till_checkout_card_not_read      (TillCheckout  *self);
/* The customer's challenge in the card page ended, however it ended: the
 * server reads the payment's real state. */
void               till_checkout_authenticated      (TillCheckout  *self);
/* Stops waiting for the card page (no more challenges in a row); TRUE
 * when the card page must be reloaded to end its pending call. */
gboolean           till_checkout_stop_card_page     (TillCheckout  *self);
/* The result's button. */
void               till_checkout_go_on              (TillCheckout  *self);
/* Drops a sale waiting for 3-D Secure, or not charged again after the
 * duplicate question. TRUE when a sale was dropped. */
gboolean           till_checkout_abandon            (TillCheckout  *self);
/* Back to an empty ENTRY once the sale is over (or before it started). */
gboolean           till_checkout_new_sale           (TillCheckout  *self);

/* The open or last sale. */
TillSale          *till_checkout_get_sale           (TillCheckout  *self);
TillCheckoutResult till_checkout_get_result         (TillCheckout  *self);
TillCheckoutNext   till_checkout_get_next           (TillCheckout  *self);
/* The payments from before, after RECOVERING. */
GPtrArray         *till_checkout_get_recovered      (TillCheckout  *self);
/* How many payments from before are being checked. */
guint              till_checkout_get_recovering_count (TillCheckout *self);
/* Monotonic µs since when the outcome has been checked, 0 when not. */
gint64             till_checkout_get_checking_since (TillCheckout  *self);
gboolean           till_checkout_has_open_sale      (TillCheckout  *self);
/* TRUE while the card page or the server is being waited for. */
gboolean           till_checkout_is_busy            (TillCheckout  *self);

/* Monotonic µs: when the last card token came in and when the last
 * answer of the server did; the last sale's token → request in ms (-1). */
gint64             till_checkout_get_response_time  (TillCheckout  *self);
double             till_checkout_get_token_to_request_ms (TillCheckout *self);

G_END_DECLS
