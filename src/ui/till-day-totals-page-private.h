/* till-day-totals-page-private.h: what tests read of the Day Totals page
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-day-totals-page.h"
#include "till-printout.h"

G_BEGIN_DECLS

/* "loading", "error" or "report". */
const char   *till_day_totals_page_get_state     (TillDayTotalsPage *self);
/* The day shown, "YYYY-MM-DD". */
char         *till_day_totals_page_dup_date      (TillDayTotalsPage *self);
/* Shows the day of date (local time) and reads its report. */
void          till_day_totals_page_set_date      (TillDayTotalsPage *self,
                                                  GDateTime         *date);
/* The warning shown when the day has unresolved payments, or NULL. */
const char   *till_day_totals_page_get_warning   (TillDayTotalsPage *self);
/* The value shown in the row titled title of a group ("totals", "brand",
 * "cashier"), or NULL. */
const char   *till_day_totals_page_get_value     (TillDayTotalsPage *self,
                                                  const char        *group,
                                                  const char        *title);
/* The Z-report of the day shown; NULL before it is shown. */
TillPrintout *till_day_totals_page_new_printout  (TillDayTotalsPage *self);
/* Downloads the day's CSV into file, as Export CSV… does once the file
 * chooser has answered. */
void          till_day_totals_page_export_csv_async  (TillDayTotalsPage   *self,
                                                      GFile               *file,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean      till_day_totals_page_export_csv_finish (TillDayTotalsPage   *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
