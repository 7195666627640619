/* till-day-totals-page.c: the day's totals (Z-report), for closing the till
 *
 * A manager's page: one day's report from GET /api/reports/day, chosen
 * with a calendar or the previous and next day buttons, read again each
 * time the page is shown (a refund made a minute ago is in it). The
 * breakdowns by card brand and by cashier are shown when the server gives
 * them. The same figures print, or save as PDF, through TillPrintout on A4
 * or on 80 mm receipt paper, and the server's CSV of the day is saved
 * where the manager chooses.
 *
 * While payments of the day are unresolved (unknown outcome, or waiting
 * for 3-D Secure), the page and the printout both say that the totals may
 * still change: a Z-report taken then is not final.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-day-totals-page"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-backend-answers.h"
#include "till-charge-words.h"
#include "till-day-totals-page-private.h"
#include "till-money.h"

typedef struct
{
  gint64 count;
  gint64 amount;
} Figure;

typedef struct
{
  char   *name;          /* a brand ("visa") or a cashier's user name */
  Figure  payments;
  Figure  refunds;
  gint64  net;
} Breakdown;

typedef struct
{
  char      *date;
  char      *currency;
  Figure     payments;
  Figure     refunds;
  gint64     net;
  Figure     disputes;
  gint64     declined;
  gint64     unresolved;
  GPtrArray *by_brand;     /* Breakdown, NULL when the server gives none */
  GPtrArray *by_cashier;
} Report;

struct _TillDayTotalsPage
{
  AdwBin                parent_instance;

  /* template widgets */
  GtkMenuButton        *date_button;
  GtkPopover           *date_popover;
  GtkCalendar          *calendar;
  GtkDropDown          *paper_choice;
  GtkStack             *content_stack;
  AdwStatusPage        *error_page;
  GtkLabel             *unresolved_warning;
  AdwPreferencesGroup  *totals_group;
  AdwPreferencesGroup  *brand_group;
  AdwPreferencesGroup  *cashier_group;

  /* owned references */
  TillSession          *session;
  GCancellable         *cancellable;   /* the report being read */
  GDateTime            *day;           /* local midnight */
  Report               *report;        /* the one on screen */
  char                 *shop_name;
  GPtrArray            *rows;          /* AdwActionRow, to remove on the next report */
};

G_DEFINE_FINAL_TYPE (TillDayTotalsPage, till_day_totals_page, ADW_TYPE_BIN)

static void
breakdown_free (gpointer data)
{
  Breakdown *breakdown = data;

  g_free (breakdown->name);
  g_free (breakdown);
}

static void
report_free (Report *report)
{
  g_free (report->date);
  g_free (report->currency);
  g_clear_pointer (&report->by_brand, g_ptr_array_unref);
  g_clear_pointer (&report->by_cashier, g_ptr_array_unref);
  g_free (report);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Report, report_free)

/* Reading the report */

static gboolean
read_figure (JsonObject  *object,
             const char  *name,
             Figure      *figure,
             GError     **error)
{
  JsonObject *member = till_answer_get_object (object, name);

  if (member == NULL)
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE, "no %s", name);
      return FALSE;
    }
  return till_answer_get_int (member, "count", 0, G_MAXINT64, &figure->count, error) &&
         till_answer_get_int (member, "amount", 0, G_MAXINT64, &figure->amount, error);
}

/* by_brand or by_cashier: absent is fine (an older server), wrong is not. */
static gboolean
read_breakdowns (JsonObject  *object,
                 const char  *name,
                 const char  *key,
                 GPtrArray  **out,
                 GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array;
  g_autoptr(GPtrArray) breakdowns = g_ptr_array_new_with_free_func (breakdown_free);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE, "%s is not an array", name);
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      Breakdown *breakdown = g_new0 (Breakdown, 1);
      const char *label = NULL;

      g_ptr_array_add (breakdowns, breakdown);
      if (entry == NULL)
        {
          g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE, "%s holds a non-object", name);
          return FALSE;
        }
      /* A brand may be null (Stripe did not say). */
      if (!till_answer_get_string (entry, key, 200, FALSE, &label, error) ||
          !read_figure (entry, "payments", &breakdown->payments, error) ||
          !read_figure (entry, "refunds", &breakdown->refunds, error) ||
          !till_answer_get_int (entry, "net", G_MININT64, G_MAXINT64, &breakdown->net, error))
        return FALSE;
      breakdown->name = g_strdup (label);
    }
  *out = g_steal_pointer (&breakdowns);
  return TRUE;
}

static Report *
read_report (JsonObject  *object,
             GError     **error)
{
  g_autoptr(Report) report = g_new0 (Report, 1);
  const char *date = NULL;
  const char *currency = NULL;

  if (!till_answer_get_string (object, "date", 10, TRUE, &date, error) ||
      !till_answer_get_string (object, "currency", 3, TRUE, &currency, error) ||
      !read_figure (object, "payments", &report->payments, error) ||
      !read_figure (object, "refunds", &report->refunds, error) ||
      !read_figure (object, "disputes", &report->disputes, error) ||
      !till_answer_get_int (object, "net", G_MININT64, G_MAXINT64, &report->net, error) ||
      !till_answer_get_int (object, "declined_count", 0, G_MAXINT64, &report->declined, error) ||
      !till_answer_get_int (object, "unresolved_count", 0, G_MAXINT64, &report->unresolved, error) ||
      !read_breakdowns (object, "by_brand", "brand", &report->by_brand, error) ||
      !read_breakdowns (object, "by_cashier", "cashier", &report->by_cashier, error))
    return NULL;
  if (!till_currency_is_known (currency))
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE, "unknown currency %s", currency);
      return NULL;
    }
  report->date = g_strdup (date);
  report->currency = g_ascii_strup (currency, -1);
  return g_steal_pointer (&report);
}

/* Words */

static char *
money (TillDayTotalsPage *self,
       gint64             amount)
{
  return till_money_format (amount, self->report->currency, NULL);
}

static char *
count_text (gint64 count)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, count);
}

static const char *
breakdown_name (const Breakdown *breakdown,
                gboolean         brand)
{
  if (brand && (breakdown->name == NULL || g_str_equal (breakdown->name, "unknown")))
    return _("Brand not known");
  if (brand)
    return till_charge_words_brand (breakdown->name);
  return breakdown->name != NULL ? breakdown->name : _("Unknown");
}

/* The plural forms pick on the count; the count itself is put in as text,
 * so that translators see %s and no 64-bit format macro. */
static gulong
plural_of (gint64 count)
{
  return (gulong) CLAMP (count, 0, G_MAXLONG);
}

static char *
unresolved_warning (gint64 unresolved)
{
  g_autofree char *number = count_text (unresolved);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s payment of this day is not resolved yet: "
                                       "these totals may still change.",
                                       "%s payments of this day are not resolved yet: "
                                       "these totals may still change.",
                                       plural_of (unresolved)),
                          number);
}

/* Showing the report */

static void
add_row (TillDayTotalsPage   *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *subtitle,
         const char          *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  g_object_set_data (G_OBJECT (row), "till-value", label);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);
}

static char *
payments_subtitle (gint64 count)
{
  g_autofree char *number = count_text (count);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s payment", "%s payments", plural_of (count)), number);
}

static char *
refunds_subtitle (gint64 count)
{
  g_autofree char *number = count_text (count);

  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s refund", "%s refunds", plural_of (count)), number);
}

static void
show_breakdowns (TillDayTotalsPage   *self,
                 AdwPreferencesGroup *group,
                 GPtrArray           *breakdowns,
                 gboolean             brand)
{
  gtk_widget_set_visible (GTK_WIDGET (group), breakdowns != NULL && breakdowns->len > 0);
  for (guint i = 0; breakdowns != NULL && i < breakdowns->len; i++)
    {
      Breakdown *breakdown = g_ptr_array_index (breakdowns, i);
      g_autofree char *payments = payments_subtitle (breakdown->payments.count);
      g_autofree char *refunds = refunds_subtitle (breakdown->refunds.count);
      g_autofree char *paid = money (self, breakdown->payments.amount);
      g_autofree char *refunded = money (self, breakdown->refunds.amount);
      /* Translators: a line under a card brand or a cashier on the day's
       * totals: "3 payments, €45.00; 1 refund, €5.00". */
      g_autofree char *subtitle = g_strdup_printf (_("%s, %s; %s, %s"), payments, paid, refunds, refunded);
      g_autofree char *net = money (self, breakdown->net);

      add_row (self, group, breakdown_name (breakdown, brand), subtitle, net);
    }
}

static void
show_report (TillDayTotalsPage *self)
{
  Report *report = self->report;
  g_autofree char *payments = payments_subtitle (report->payments.count);
  g_autofree char *refunds = refunds_subtitle (report->refunds.count);
  g_autofree char *paid = money (self, report->payments.amount);
  g_autofree char *refunded = money (self, report->refunds.amount);
  g_autofree char *net = money (self, report->net);
  g_autofree char *disputed = money (self, report->disputes.amount);
  g_autofree char *dispute_count = count_text (report->disputes.count);
  g_autofree char *disputes = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s dispute opened", "%s disputes opened",
                                                            plural_of (report->disputes.count)),
                                               dispute_count);
  g_autofree char *declined = count_text (report->declined);
  g_autofree char *unresolved = count_text (report->unresolved);

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP)),
                                    row);
    }
  g_ptr_array_set_size (self->rows, 0);

  add_row (self, self->totals_group, _("Payments"), payments, paid);
  add_row (self, self->totals_group, _("Refunds"), refunds, refunded);
  add_row (self, self->totals_group, _("Net"), _("Payments less refunds"), net);
  add_row (self, self->totals_group, _("Declined"), _("Nothing was charged"), declined);
  add_row (self, self->totals_group, _("Unresolved"), _("Outcome not known yet"), unresolved);
  add_row (self, self->totals_group, _("Disputes"), disputes, disputed);
  show_breakdowns (self, self->brand_group, report->by_brand, TRUE);
  show_breakdowns (self, self->cashier_group, report->by_cashier, FALSE);

  if (report->unresolved > 0)
    {
      g_autofree char *warning = unresolved_warning (report->unresolved);

      gtk_label_set_label (self->unresolved_warning, warning);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->unresolved_warning), report->unresolved > 0);
  gtk_stack_set_visible_child_name (self->content_stack, "report");
}

static void
update_actions (TillDayTotalsPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  gboolean shown = self->report != NULL;
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *day = g_date_time_format (self->day, "%Y-%m-%d");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-totals.print", shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-totals.save-pdf", shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-totals.export-csv", shown);
  /* No totals yet for the days to come. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "day-totals.next", strcmp (day, today) < 0);
}

static void
report_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(TillDayTotalsPage) self = data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *asked = NULL;
  Report *report = NULL;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  asked = g_date_time_format (self->day, "%Y-%m-%d");
  if (response != NULL && till_backend_response_get_object (response) != NULL)
    report = read_report (till_backend_response_get_object (response), &error);
  /* Another day's totals are not this day's; nor is a date that is none,
   * later put in the CSV's address and file name. */
  if (report != NULL && g_strcmp0 (report->date, asked) != 0)
    {
      g_set_error (&error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                   "a report for %s, not %s", report->date, asked);
      g_clear_pointer (&report, report_free);
    }
  else if (error == NULL)
    g_set_error_literal (&error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE, "no report");
  if (report == NULL)
    {
      g_message ("The day's report could not be read: %s", error->message);
      adw_status_page_set_description (self->error_page,
                                       g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_FORBIDDEN)
                                         ? _("Only a manager can see the day’s totals.")
                                         : _("The shop server could not be reached, or its answer was not "
                                             "usable. Try again in a moment."));
      gtk_stack_set_visible_child_name (self->content_stack, "error");
      update_actions (self);
      return;
    }
  g_clear_pointer (&self->report, report_free);
  self->report = report;
  show_report (self);
  update_actions (self);
}

/* A day as the page and the printout name it, in the locale's form. */
static char *
format_day (GDateTime *day)
{
  /* Translators: the day shown on the Day Totals page and its printout,
   * see g_date_time_format(). */
  return g_date_time_format (day, _("%a %Y-%m-%d"));
}

static void
load (TillDayTotalsPage *self)
{
  g_autofree char *date = g_date_time_format (self->day, "%Y-%m-%d");
  g_autofree char *path = g_strconcat ("/api/reports/day?date=", date, NULL);
  g_autofree char *label = format_day (self->day);

  gtk_menu_button_set_label (self->date_button, label);
  g_clear_pointer (&self->report, report_free);
  update_actions (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->session == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  gtk_stack_set_visible_child_name (self->content_stack, "loading");
  till_session_request_async (self->session, "GET", path, NULL, NULL, self->cancellable, report_cb,
                              g_object_ref (self));
}

static void
set_day (TillDayTotalsPage *self,
         GDateTime         *date)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (date);

  g_clear_pointer (&self->day, g_date_time_unref);
  self->day = g_date_time_new_local (g_date_time_get_year (local), g_date_time_get_month (local),
                                     g_date_time_get_day_of_month (local), 0, 0, 0);
  load (self);
}

static void
shift_day (TillDayTotalsPage *self,
           int                days)
{
  g_autoptr(GDateTime) day = g_date_time_add_days (self->day, days);

  set_day (self, day);
}

/* The printout */

/* net_style: the day's net stands out, a brand's or cashier's less. */
static void
add_figure_rows (TillDayTotalsPage *self,
                 TillPrintout      *printout,
                 const Figure      *payments,
                 const Figure      *refunds,
                 gint64             net,
                 TillPrintoutStyle  net_style)
{
  g_autofree char *payment_count = count_text (payments->count);
  g_autofree char *refund_count = count_text (refunds->count);
  g_autofree char *paid = money (self, payments->amount);
  g_autofree char *refunded = money (self, refunds->amount);
  g_autofree char *net_text = money (self, net);

  till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Payments"), payment_count, paid);
  till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Refunds"), refund_count, refunded);
  till_printout_add_row (printout, net_style, _("Net"), NULL, net_text);
}

static void
add_breakdowns (TillDayTotalsPage *self,
                TillPrintout      *printout,
                const char        *heading,
                GPtrArray         *breakdowns,
                gboolean           brand)
{
  if (breakdowns == NULL || breakdowns->len == 0)
    return;
  till_printout_add_rule (printout);
  till_printout_add_text (printout, TILL_PRINTOUT_HEADING, heading);
  for (guint i = 0; i < breakdowns->len; i++)
    {
      Breakdown *breakdown = g_ptr_array_index (breakdowns, i);

      till_printout_add_space (printout);
      till_printout_add_text (printout, TILL_PRINTOUT_HEADING, breakdown_name (breakdown, brand));
      add_figure_rows (self, printout, &breakdown->payments, &breakdown->refunds, breakdown->net,
                       TILL_PRINTOUT_HEADING);
    }
}

TillPrintout *
till_day_totals_page_new_printout (TillDayTotalsPage *self)
{
  g_autoptr(TillPrintout) printout = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) counted = NULL;
  g_autofree char *day = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *printed_line = NULL;
  g_autofree char *declined = NULL;
  g_autofree char *unresolved = NULL;
  g_autofree char *disputes = NULL;
  g_autofree char *disputed = NULL;
  Report *report;
  int year, month, day_of_month;

  g_return_val_if_fail (TILL_IS_DAY_TOTALS_PAGE (self), NULL);

  report = self->report;
  if (report == NULL)
    return NULL;
  now = g_date_time_new_now_local ();
  /* The report's own date: the day the server counted (its date is
   * YYYY-MM-DD, checked against the day asked for in report_cb). */
  if (sscanf (report->date, "%4d-%2d-%2d", &year, &month, &day_of_month) == 3)
    counted = g_date_time_new_local (year, month, day_of_month, 12, 0, 0);
  day = counted != NULL ? format_day (counted) : g_strdup (report->date);
  /* Translators: when the day's totals were printed, see g_date_time_format(). */
  printed = g_date_time_format (now, _("%Y-%m-%d %H:%M"));
  printed_line = g_strdup_printf (_("Printed %s"), printed);
  declined = count_text (report->declined);
  unresolved = count_text (report->unresolved);
  disputes = count_text (report->disputes.count);
  disputed = money (self, report->disputes.amount);

  printout = till_printout_new (_("Day Totals"));
  if (self->shop_name != NULL && *self->shop_name != '\0')
    till_printout_add_text (printout, TILL_PRINTOUT_TITLE, self->shop_name);
  till_printout_add_text (printout, TILL_PRINTOUT_TITLE, _("Day Totals"));
  till_printout_add_text (printout, TILL_PRINTOUT_CENTRED, day);
  till_printout_add_text (printout, TILL_PRINTOUT_CENTRED, printed_line);
  till_printout_add_rule (printout);
  if (report->unresolved > 0)
    {
      g_autofree char *warning = unresolved_warning (report->unresolved);

      till_printout_add_text (printout, TILL_PRINTOUT_HEADING, warning);
      till_printout_add_space (printout);
    }
  add_figure_rows (self, printout, &report->payments, &report->refunds, report->net, TILL_PRINTOUT_STRONG);
  till_printout_add_space (printout);
  till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Declined"), NULL, declined);
  till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Unresolved"), NULL, unresolved);
  till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Disputes"), disputes, disputed);
  add_breakdowns (self, printout, _("By Card Brand"), report->by_brand, TRUE);
  add_breakdowns (self, printout, _("By Cashier"), report->by_cashier, FALSE);
  till_printout_add_rule (printout);
  return g_steal_pointer (&printout);
}

static TillPaper
chosen_paper (TillDayTotalsPage *self)
{
  return gtk_drop_down_get_selected (self->paper_choice) == 1 ? TILL_PAPER_RECEIPT : TILL_PAPER_A4;
}

/* The CSV export */

static void
csv_written_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(GTask) task = data;
  GError *error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
csv_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      data)
{
  g_autoptr(GTask) task = data;
  g_autoptr(TillBackendResponse) response = NULL;
  GError *error = NULL;
  GBytes *text;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  text = till_backend_response_get_text (response);
  g_file_replace_contents_bytes_async (g_task_get_task_data (task), text, NULL, FALSE,
                                       G_FILE_CREATE_REPLACE_DESTINATION, g_task_get_cancellable (task),
                                       csv_written_cb, g_object_ref (task));
}

void
till_day_totals_page_export_csv_async (TillDayTotalsPage   *self,
                                       GFile               *file,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (TILL_IS_DAY_TOTALS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_day_totals_page_export_csv_async);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  if (self->session == NULL || self->report == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "no report shown");
      return;
    }
  path = g_strconcat ("/api/reports/day.csv?date=", self->report->date, NULL);
  till_session_get_text_async (self->session, path, "text/csv", cancellable, csv_cb, g_steal_pointer (&task));
}

gboolean
till_day_totals_page_export_csv_finish (TillDayTotalsPage  *self,
                                        GAsyncResult       *result,
                                        GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == till_day_totals_page_export_csv_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static GtkWindow *
window_of (TillDayTotalsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
csv_exported_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  TillDayTotalsPage *self = TILL_DAY_TOTALS_PAGE (object);
  g_autoptr(GFile) kiosk_file = data;
  g_autoptr(GError) error = NULL;

  if (till_day_totals_page_export_csv_finish (self, result, &error))
    {
      if (kiosk_file != NULL)
        till_printout_tell_saved (window_of (self), kiosk_file);
      return;
    }
  g_message ("The day's CSV could not be saved: %s", error->message);
  till_printout_show_problem (window_of (self), _("Could Not Export the CSV"),
                error->domain == TILL_BACKEND_ERROR
                  ? _("The shop server could not be reached, or its answer was not usable. Try again in a "
                      "moment.")
                  : error->message);
}

static void
csv_chooser_cb (GtkNativeDialog   *chooser,
                int                response,
                TillDayTotalsPage *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    till_day_totals_page_export_csv_async (self, file, NULL, csv_exported_cb, NULL);
  g_object_unref (chooser);
  g_object_unref (self);
}

/* Actions */

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  TillDayTotalsPage *self = TILL_DAY_TOTALS_PAGE (widget);
  g_autofree char *name = NULL;
  GtkFileChooserNative *chooser;

  if (self->report == NULL)
    return;
  /* Translators: the file name the day's CSV is saved as; %s is the date. */
  name = g_strdup_printf (_("day-totals-%s.csv"), self->report->date);
  if (till_printout_in_kiosk ())
    {
      g_autoptr(GFile) file = till_printout_dup_kiosk_file (name);

      till_day_totals_page_export_csv_async (self, file, NULL, csv_exported_cb, g_object_ref (file));
      return;
    }
  chooser = gtk_file_chooser_native_new (_("Export CSV"), window_of (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  till_printout_choose_folder (GTK_FILE_CHOOSER (chooser));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (csv_chooser_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TillDayTotalsPage *self = TILL_DAY_TOTALS_PAGE (widget);
  g_autoptr(TillPrintout) printout = till_day_totals_page_new_printout (self);

  if (printout != NULL && window_of (self) != NULL)
    till_printout_print (printout, chosen_paper (self), window_of (self));
}

static void
save_pdf_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TillDayTotalsPage *self = TILL_DAY_TOTALS_PAGE (widget);
  g_autoptr(TillPrintout) printout = till_day_totals_page_new_printout (self);
  g_autofree char *name = NULL;

  if (printout == NULL || window_of (self) == NULL)
    return;
  /* Translators: the file name the day's totals are saved as; %s is the date. */
  name = g_strdup_printf (_("day-totals-%s.pdf"), self->report->date);
  till_printout_save_pdf (printout, chosen_paper (self), window_of (self), name);
}

static void
previous_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  shift_day (TILL_DAY_TOTALS_PAGE (widget), -1);
}

static void
next_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  shift_day (TILL_DAY_TOTALS_PAGE (widget), 1);
}

static void
today_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  set_day (TILL_DAY_TOTALS_PAGE (widget), now);
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  load (TILL_DAY_TOTALS_PAGE (widget));
}

static void
day_selected_cb (TillDayTotalsPage *self,
                 GtkCalendar       *calendar)
{
  g_autoptr(GDateTime) date = gtk_calendar_get_date (calendar);

  gtk_popover_popdown (self->date_popover);
  set_day (self, date);
}

/* The calendar opens on the day shown. */
static void
popover_show_cb (TillDayTotalsPage *self)
{
  g_signal_handlers_block_by_func (self->calendar, day_selected_cb, self);
  gtk_calendar_select_day (self->calendar, self->day);
  g_signal_handlers_unblock_by_func (self->calendar, day_selected_cb, self);
}

/* Read again whenever shown: the figures of today change all day. */
static void
till_day_totals_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (till_day_totals_page_parent_class)->map (widget);
  load (TILL_DAY_TOTALS_PAGE (widget));
}

/* Public */

static void
config_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(TillDayTotalsPage) self = data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const char *name = NULL;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (response == NULL || till_backend_response_get_object (response) == NULL)
    return;
  if (till_answer_get_string (till_backend_response_get_object (response), "shop_name", 200, FALSE, &name, NULL))
    {
      g_free (self->shop_name);
      self->shop_name = g_strdup (name);
    }
}

void
till_day_totals_page_set_session (TillDayTotalsPage *self,
                                  TillSession       *session)
{
  g_return_if_fail (TILL_IS_DAY_TOTALS_PAGE (self));
  g_return_if_fail (session == NULL || TILL_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;
  /* Nothing of the last cashier's report stays behind for the next one. */
  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->report, report_free);
  gtk_stack_set_visible_child_name (self->content_stack, "loading");
  update_actions (self);
  g_clear_pointer (&self->shop_name, g_free);
  if (session != NULL)
    /* The shop's name heads the printout. */
    till_session_request_async (session, "GET", "/api/config", NULL, NULL, NULL, config_cb, g_object_ref (self));
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    load (self);
}

const char *
till_day_totals_page_get_state (TillDayTotalsPage *self)
{
  g_return_val_if_fail (TILL_IS_DAY_TOTALS_PAGE (self), NULL);
  return gtk_stack_get_visible_child_name (self->content_stack);
}

char *
till_day_totals_page_dup_date (TillDayTotalsPage *self)
{
  g_return_val_if_fail (TILL_IS_DAY_TOTALS_PAGE (self), NULL);
  return g_date_time_format (self->day, "%Y-%m-%d");
}

void
till_day_totals_page_set_date (TillDayTotalsPage *self,
                               GDateTime         *date)
{
  g_return_if_fail (TILL_IS_DAY_TOTALS_PAGE (self));
  set_day (self, date);
}

const char *
till_day_totals_page_get_warning (TillDayTotalsPage *self)
{
  g_return_val_if_fail (TILL_IS_DAY_TOTALS_PAGE (self), NULL);
  if (!gtk_widget_get_visible (GTK_WIDGET (self->unresolved_warning)))
    return NULL;
  return gtk_label_get_label (self->unresolved_warning);
}

const char *
till_day_totals_page_get_value (TillDayTotalsPage *self,
                                const char        *group,
                                const char        *title)
{
  AdwPreferencesGroup *wanted;

  g_return_val_if_fail (TILL_IS_DAY_TOTALS_PAGE (self), NULL);

  wanted = g_str_equal (group, "brand") ? self->brand_group
           : g_str_equal (group, "cashier") ? self->cashier_group
           : self->totals_group;
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      if (gtk_widget_is_ancestor (row, GTK_WIDGET (wanted)) &&
          g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
        return gtk_label_get_label (g_object_get_data (G_OBJECT (row), "till-value"));
    }
  return NULL;
}

static void
till_day_totals_page_dispose (GObject *object)
{
  TillDayTotalsPage *self = TILL_DAY_TOTALS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (till_day_totals_page_parent_class)->dispose (object);
}

static void
till_day_totals_page_finalize (GObject *object)
{
  TillDayTotalsPage *self = TILL_DAY_TOTALS_PAGE (object);

  g_clear_pointer (&self->day, g_date_time_unref);
  g_clear_pointer (&self->report, report_free);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_free (self->shop_name);
  G_OBJECT_CLASS (till_day_totals_page_parent_class)->finalize (object);
}

static void
till_day_totals_page_class_init (TillDayTotalsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_day_totals_page_dispose;
  object_class->finalize = till_day_totals_page_finalize;
  widget_class->map = till_day_totals_page_map;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-day-totals-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, date_button);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, date_popover);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, calendar);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, paper_choice);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, unresolved_warning);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, totals_group);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, brand_group);
  gtk_widget_class_bind_template_child (widget_class, TillDayTotalsPage, cashier_group);
  gtk_widget_class_bind_template_callback (widget_class, day_selected_cb);

  gtk_widget_class_install_action (widget_class, "day-totals.previous", NULL, previous_action);
  gtk_widget_class_install_action (widget_class, "day-totals.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "day-totals.today", NULL, today_action);
  gtk_widget_class_install_action (widget_class, "day-totals.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "day-totals.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "day-totals.save-pdf", NULL, save_pdf_action);
  gtk_widget_class_install_action (widget_class, "day-totals.export-csv", NULL, export_csv_action);
}

static void
till_day_totals_page_init (TillDayTotalsPage *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_name_drop_down (self->paper_choice);
  self->rows = g_ptr_array_new ();
  self->day = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                     g_date_time_get_day_of_month (now), 0, 0, 0);
  g_signal_connect_swapped (self->date_popover, "show", G_CALLBACK (popover_show_cb), self);
  load (self);
}
