/* till-api-reports.c: till-server's reports for managers
 *
 * The day report (Z-report) as JSON, and the same figures as CSV for a
 * spreadsheet. A day is a date in the shop's time zone ([shop] time-zone),
 * so it is 23 or 25 hours long when the clocks change. The CSV holds
 * cashiers' names, which are whatever a user was named: every text cell
 * is quoted, and one a spreadsheet would read as a formula is defused.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-money.h"

/* Strictly YYYY-MM-DD, a real date from 1970-01-01 to 9999-12-30: the
 * day's end, the next midnight, must be a time GLib can write. */
static gboolean
parse_date (const char *text,
            int        *year,
            int        *month,
            int        *day)
{
  if (text == NULL || strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;

  *year = g_ascii_digit_value (text[0]) * 1000 + g_ascii_digit_value (text[1]) * 100 +
          g_ascii_digit_value (text[2]) * 10 + g_ascii_digit_value (text[3]);
  *month = g_ascii_digit_value (text[5]) * 10 + g_ascii_digit_value (text[6]);
  *day = g_ascii_digit_value (text[8]) * 10 + g_ascii_digit_value (text[9]);

  return *year >= 1970 &&
         g_date_valid_dmy ((GDateDay) *day, (GDateMonth) *month, (GDateYear) *year) &&
         !(*year == 9999 && *month == 12 && *day == 31);
}

typedef struct
{
  char          *date;       /* YYYY-MM-DD */
  gint64         start;
  gint64         end;
  TillDayReport *report;
} DayReport;

static void
day_report_clear (DayReport *day)
{
  g_free (day->date);
  till_day_report_free (day->report);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DayReport, day_report_clear)

/* Reads ?date= (default: today in the shop's zone) and the day's figures;
 * answers 400 and returns FALSE when the date is not one. */
static gboolean
read_day_report (TillApiRequest *req,
                 DayReport      *day)
{
  TillServerConfig *config = req->self->config;
  const char *date = req->query ? g_hash_table_lookup (req->query, "date") : NULL;
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  g_autoptr(GDate) next = NULL;
  int year, month, d;

  if (date == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now (config->shop_tz);

      g_date_time_get_ymd (now, &year, &month, &d);
    }
  else if (!parse_date (date, &year, &month, &d))
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "date",
                                 "date must be a real date YYYY-MM-DD from 1970-01-01 to 9999-12-30");
      return FALSE;
    }

  /* From the day's first moment in the shop's zone to the next day's: 23
   * or 25 hours when the clocks change. GLib moves a midnight that the
   * clocks skip to the end of the gap. */
  next = g_date_new_dmy ((GDateDay) d, (GDateMonth) month, (GDateYear) year);
  g_date_add_days (next, 1);
  start = g_date_time_new (config->shop_tz, year, month, d, 0, 0, 0);
  end = g_date_time_new (config->shop_tz, g_date_get_year (next), g_date_get_month (next),
                         g_date_get_day (next), 0, 0, 0);
  g_assert (start != NULL && end != NULL);

  day->date = g_strdup_printf ("%04d-%02d-%02d", year, month, d);
  day->start = g_date_time_to_unix (start);
  day->end = g_date_time_to_unix (end);
  day->report = till_db_get_day_report (req->self->db, config->currency, day->start, day->end);
  return TRUE;
}

/* JSON */

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

static void
add_groups (JsonBuilder *builder,
            const char  *name,
            GPtrArray   *groups,
            gboolean     by_cashier)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < groups->len; i++)
    {
      TillDayGroup *group = g_ptr_array_index (groups, i);

      json_builder_begin_object (builder);
      if (by_cashier)
        {
          till_api_add_string (builder, "cashier", group->name);
          till_api_add_int (builder, "user_id", group->user_id);
        }
      else
        till_api_add_string (builder, "brand", group->name);
      add_totals_object (builder, "payments", group->payments_count, group->payments_amount);
      add_totals_object (builder, "refunds", group->refunds_count, group->refunds_amount);
      till_api_add_int (builder, "net", group->payments_amount - group->refunds_amount);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static void
handle_day_report (TillApiRequest *req)
{
  g_auto(DayReport) day = { 0, };
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  TillDayTotals *totals;

  if (!read_day_report (req, &day))
    return;
  totals = &day.report->totals;

  json_builder_begin_object (builder);
  till_api_add_string (builder, "date", day.date);
  till_api_add_string (builder, "time_zone", g_time_zone_get_identifier (req->self->config->shop_tz));
  till_api_add_time (builder, "start", day.start);
  till_api_add_time (builder, "end", day.end);
  till_api_add_string (builder, "currency", req->self->config->currency);
  add_totals_object (builder, "payments", totals->payments_count, totals->payments_amount);
  add_totals_object (builder, "refunds", totals->refunds_count, totals->refunds_amount);
  till_api_add_int (builder, "net", totals->payments_amount - totals->refunds_amount);
  add_totals_object (builder, "disputes", totals->disputes_count, totals->disputes_amount);
  till_api_add_int (builder, "declined_count", totals->declined_count);
  till_api_add_int (builder, "unresolved_count", totals->pending_count);
  add_groups (builder, "by_brand", day.report->by_brand, FALSE);
  add_groups (builder, "by_cashier", day.report->by_cashier, TRUE);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

/* CSV (RFC 4180) */

/* A spreadsheet runs a cell that starts with = + - @ (or their full-width
 * forms, which some read alike), TAB or CR as a formula, also after
 * leading spaces: such a text gets a ' in front, as OWASP's "CSV
 * Injection" advises, so that it is text and never runs. */
static gboolean
looks_like_formula (const char *text)
{
  static const char *const starts[] = { "=", "+", "-", "@", "\t", "\r", "\n",
                                        "\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d", "\xef\xbc\xa0" };

  while (*text == ' ')
    text++;
  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    if (g_str_has_prefix (text, starts[i]))
      return TRUE;
  return FALSE;
}

/* A text cell: always in double quotes, a quote inside doubled. */
static void
csv_add_text (GString    *csv,
              const char *text)
{
  g_string_append_c (csv, '"');
  if (text != NULL && looks_like_formula (text))
    g_string_append_c (csv, '\'');
  for (const char *c = text != NULL ? text : ""; *c != '\0'; c++)
    {
      if (*c == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *c);
    }
  g_string_append_c (csv, '"');
}

/* A figure: count, or amount in minor units and as a decimal, neither
 * quoted, so that a spreadsheet reads them as numbers. */
static void
csv_add_figures (GString    *csv,
                 const char *currency,
                 gint64      count,
                 gint64      amount)
{
  g_autofree char *decimal = till_money_to_decimal_string (amount, currency);

  if (count >= 0)
    g_string_append_printf (csv, ",%" G_GINT64_FORMAT, count);
  g_string_append_printf (csv, ",%" G_GINT64_FORMAT ",%s", amount, decimal);
}

static void
csv_add_row (GString       *csv,
             const DayReport *day,
             const char    *currency,
             const char    *kind,
             const char    *name,
             gint64         user_id,
             gint64         payments_count,
             gint64         payments_amount,
             gint64         refunds_count,
             gint64         refunds_amount)
{
  g_string_append_printf (csv, "%s,%s,%s,", day->date, currency, kind);
  csv_add_text (csv, name);
  if (user_id > 0)
    g_string_append_printf (csv, ",%" G_GINT64_FORMAT, user_id);
  else
    g_string_append_c (csv, ',');
  csv_add_figures (csv, currency, payments_count, payments_amount);
  csv_add_figures (csv, currency, refunds_count, refunds_amount);
  csv_add_figures (csv, currency, -1, payments_amount - refunds_amount);
  g_string_append (csv, "\r\n");
}

static void
csv_add_groups (GString         *csv,
                const DayReport *day,
                const char      *currency,
                const char      *kind,
                GPtrArray       *groups)
{
  for (guint i = 0; i < groups->len; i++)
    {
      TillDayGroup *group = g_ptr_array_index (groups, i);

      csv_add_row (csv, day, currency, kind, group->name, group->user_id,
                   group->payments_count, group->payments_amount,
                   group->refunds_count, group->refunds_amount);
    }
}

static void
handle_day_report_csv (TillApiRequest *req)
{
  const char *currency = req->self->config->currency;
  g_auto(DayReport) day = { 0, };
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autofree char *disposition = NULL;
  TillDayTotals *totals;
  gsize length;

  if (!read_day_report (req, &day))
    return;
  totals = &day.report->totals;

  g_string_append (csv, "date,currency,row,name,user_id,"
                        "payments_count,payments_minor,payments,"
                        "refunds_count,refunds_minor,refunds,"
                        "net_minor,net\r\n");
  csv_add_row (csv, &day, currency, "total", "", 0,
               totals->payments_count, totals->payments_amount,
               totals->refunds_count, totals->refunds_amount);
  csv_add_groups (csv, &day, currency, "brand", day.report->by_brand);
  csv_add_groups (csv, &day, currency, "cashier", day.report->by_cashier);

  disposition = g_strdup_printf ("attachment; filename=\"till-day-%s.csv\"", day.date);
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Content-Disposition", disposition);
  soup_server_message_set_status (req->msg, 200, NULL);
  length = csv->len;
  soup_server_message_set_response (req->msg, "text/csv; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_string_free (g_steal_pointer (&csv), FALSE), length);
}

const TillApiRoute till_api_reports_routes[] = {
  { "GET", "api/reports/day", TILL_API_ACCESS_MANAGER, handle_day_report },
  { "GET", "api/reports/day.csv", TILL_API_ACCESS_MANAGER, handle_day_report_csv },
  { NULL }
};
