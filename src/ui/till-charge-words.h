/* till-charge-words.h: what the charge screen says to the cashier
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-checkout.h"

G_BEGIN_DECLS

/* A result screen: an icon with its style class, a title, a description
 * and the label of the button that goes on. */
typedef struct
{
  const char *icon;
  const char *style;        /* "success", "error", "warning" or "accent" */
  const char *title;
  char       *description;
  const char *button;       /* with a mnemonic */
  gboolean    can_abandon;  /* a sale that can be dropped: nothing was charged */
} TillChargeWords;

void        till_charge_words_clear         (TillChargeWords *words);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TillChargeWords, till_charge_words_clear)

/* The amount in the shop's currency, "" before the shop is known. */
char       *till_charge_words_amount        (TillCheckout    *checkout,
                                             gint64           amount);
/* "Visa", "American Express"; "Card" for a brand not known. */
const char *till_charge_words_brand         (const char      *brand);
/* From Stripe's decline code. Lost, stolen and fraud codes read as a
 * plain decline, as Stripe advises. */
const char *till_charge_words_decline       (const char      *reason);
/* Why an outcome is not known yet, and what not to do. */
const char *till_charge_words_unknown       (const char      *reason);
/* "approved", "declined", "not charged", "not confirmed yet". */
const char *till_charge_words_outcome       (TillSaleStatus   status);
/* The result state's screen. */
void        till_charge_words_result        (TillCheckout    *checkout,
                                             TillChargeWords *words);
/* The label of the Charge button. */
char       *till_charge_words_charge_button (TillCheckout    *checkout);
/* What the working screen says in the other states; seconds: since the
 * request on its way was sent (SENDING) or since checking began. */
char       *till_charge_words_working       (TillCheckout    *checkout,
                                             GDateTime       *sent_at,
                                             gint64           seconds);
/* The card form's line once the card is complete. */
char       *till_charge_words_card_ready    (const char      *brand);

/* A request unanswered this long is said to be on the way, with since
 * when and what not to do. */
#define TILL_CHARGE_WORDS_STILL_WAITING_SECONDS 5

G_END_DECLS
