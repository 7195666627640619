/* till-charge-page.h: the charge screen: amount, reference, card, result
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-card-view.h"
#include "till-sale.h"
#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_CHARGE_PAGE (till_charge_page_get_type ())
G_DECLARE_FINAL_TYPE (TillChargePage, till_charge_page, TILL, CHARGE_PAGE, AdwBin)

/* Starts reading the payment journal, and the card form's web process
 * with an empty page, so that both are ready once a cashier is signed in. */
void          till_charge_page_prepare            (TillChargePage *self);
/* Reads the shop's settings with session and loads the card form. */
void          till_charge_page_start              (TillChargePage *self,
                                                   TillSession    *session);
/* TRUE while a sale is on its way or its outcome is unknown: signing out
 * must wait. */
gboolean      till_charge_page_has_open_sale      (TillChargePage *self);
/* TRUE while the card page or the server is being waited for. */
gboolean      till_charge_page_is_busy            (TillChargePage *self);
const char   *till_charge_page_get_shop_name      (TillChargePage *self);
const char   *till_charge_page_get_currency       (TillChargePage *self);
void          till_charge_page_focus              (TillChargePage *self);

G_END_DECLS
