/* till-amount-pad.h: the reference field and the keypad of the charge screen
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TILL_TYPE_AMOUNT_PAD (till_amount_pad_get_type ())
G_DECLARE_FINAL_TYPE (TillAmountPad, till_amount_pad, TILL, AMOUNT_PAD, AdwBin)

/* The keys activate the charge screen's "charge.type" (with the digits)
 * and "charge.back" actions; Enter in the reference field activates
 * "charge.reference". */
const char *till_amount_pad_get_reference   (TillAmountPad *self);
void        till_amount_pad_clear_reference (TillAmountPad *self);
/* The reference field, where typed digits belong to the reference. */
GtkWidget  *till_amount_pad_get_entry       (TillAmountPad *self);

G_END_DECLS
