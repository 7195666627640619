/* till-api-reports.c: till-server's reports for managers
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"

static void
add_totals_object (JsonBuilder *builder,
                   const char  *name,
                   gint64       count,
                   gint64       amount)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  till_api_add_int (builder, "count", count);
  till_api_add_int (builder, "amount", amount);
  json_builder_end_object (builder);
}

static GDateTime *
parse_day (const char *text)
{
  guint64 y, m, d;
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();

      return g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
    }

  parts = g_strsplit (text, "-", 4);
  if (g_strv_length (parts) != 3 || strlen (text) != 10 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1970, 9999, &y, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &m, NULL) ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &d, NULL) ||
      !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return NULL;

  return g_date_time_new_local ((int) y, (int) m, (int) d, 0, 0, 0);
}

static void
handle_day_report (TillApiRequest *req)
{
  const char *date = req->query ? g_hash_table_lookup (req->query, "date") : NULL;
  g_autoptr(GDateTime) start = parse_day (date);
  g_autoptr(GDateTime) end = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *day = NULL;
  TillDayTotals totals;

  if (start == NULL)
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "date", "date must be YYYY-MM-DD");
      return;
    }

  /* A local day, so that the shop's day matches its opening hours. */
  end = g_date_time_add_days (start, 1);
  till_db_get_day_totals (req->self->db, req->self->config->currency,
                          g_date_time_to_unix (start), g_date_time_to_unix (end), &totals);
  day = g_date_time_format (start, "%Y-%m-%d");

  json_builder_begin_object (builder);
  till_api_add_string (builder, "date", day);
  till_api_add_string (builder, "currency", req->self->config->currency);
  add_totals_object (builder, "payments", totals.payments_count, totals.payments_amount);
  add_totals_object (builder, "refunds", totals.refunds_count, totals.refunds_amount);
  till_api_add_int (builder, "net", totals.payments_amount - totals.refunds_amount);
  add_totals_object (builder, "disputes", totals.disputes_count, totals.disputes_amount);
  till_api_add_int (builder, "declined_count", totals.declined_count);
  till_api_add_int (builder, "unresolved_count", totals.pending_count);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

const TillApiRoute till_api_reports_routes[] = {
  { "GET", "api/reports/day", TILL_API_ACCESS_MANAGER, handle_day_report },
  { NULL }
};
