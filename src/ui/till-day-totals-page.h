/* till-day-totals-page.h: the day's totals (Z-report), for closing the till
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_DAY_TOTALS_PAGE (till_day_totals_page_get_type ())
G_DECLARE_FINAL_TYPE (TillDayTotalsPage, till_day_totals_page, TILL, DAY_TOTALS_PAGE, AdwBin)

/* The signed-in session the page reads the report with (a manager's: the
 * server refuses a cashier). The page reads today's totals again each
 * time it is shown. */
void          till_day_totals_page_set_session (TillDayTotalsPage *self,
                                                TillSession       *session);

G_END_DECLS
