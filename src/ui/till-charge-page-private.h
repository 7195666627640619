/* till-charge-page-private.h: what tests and benchmarks read of the charge screen
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-charge-page.h"
#include "till-checkout.h"

G_BEGIN_DECLS

TillCheckout *till_charge_page_get_checkout       (TillChargePage *self);
/* What the "unavailable" screen says. */
const char   *till_charge_page_get_unavailable_title (TillChargePage *self);
const char   *till_charge_page_get_unavailable_description (TillChargePage *self);
/* "loading", "unavailable", "entry", "working", "authenticating", "result" */
const char   *till_charge_page_get_state          (TillChargePage *self);
gint64        till_charge_page_get_amount         (TillChargePage *self);
const char   *till_charge_page_get_amount_text    (TillChargePage *self);
/* Why the amount cannot be charged ("Amounts in KWD end in 0"), or "". */
const char   *till_charge_page_get_amount_problem (TillChargePage *self);
const char   *till_charge_page_get_result_title   (TillChargePage *self);
const char   *till_charge_page_get_result_description (TillChargePage *self);
/* TRUE when the result offers the sale's receipt. */
gboolean      till_charge_page_get_receipt_offered (TillChargePage *self);
const char   *till_charge_page_get_card_status    (TillChargePage *self);
const char   *till_charge_page_get_working_text   (TillChargePage *self);
gboolean      till_charge_page_get_can_charge     (TillChargePage *self);
TillCardView *till_charge_page_get_card_view      (TillChargePage *self);
void          till_charge_page_get_timings        (TillChargePage *self,
                                                   double         *token_to_request_ms,
                                                   double         *response_to_result_ms);
/* The sale on screen, if any. */
TillSale     *till_charge_page_get_sale           (TillChargePage *self);

G_END_DECLS
