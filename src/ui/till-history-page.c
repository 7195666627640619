/* till-history-page.c: the payments made, newest first, and one in full
 *
 * A list of the payments (TillPaymentList, which fetches a page at a
 * time: the page asks for the next one when the list is scrolled to
 * within a screen of its end) beside the one chosen, in full; on a narrow
 * window the two take turns. Filters above the list: what was typed (a
 * reference, or a card's last four digits), a day or a span of days, the
 * state, the card brand and, for a manager, the cashier. The list object
 * does the work; the page shows its state: loading, the list, nothing
 * (yet, or matching), or why it could not be loaded.
 *
 * Refunds and receipts are other pages' dialogs: this page only asks for
 * them ("refund-requested", "receipt-requested") with the payment.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-history-page"

#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-history-page-private.h"
#include "till-json-util.h"
#include "till-money.h"

/* Payments per request: a screenful or two of rows. */
#define PAGE_SIZE 50

struct _TillHistoryPage
{
  GtkWidget           parent_instance;

  /* template widgets */
  AdwLeaflet         *leaflet;
  GtkWidget          *list_pane;
  GtkSearchEntry     *search_entry;
  GtkMenuButton      *date_button;
  GtkMenuButton      *filter_button;
  GtkPopover         *date_popover;
  GtkCalendar        *calendar;
  GtkDropDown        *status_dropdown;
  GtkDropDown        *brand_dropdown;
  GtkWidget          *cashier_label;
  GtkEntry           *cashier_entry;
  GtkStack           *list_stack;
  GtkSpinner         *loading_spinner;
  GtkScrolledWindow  *scrolled_window;
  GtkListView        *list_view;
  AdwStatusPage      *empty_page;
  AdwStatusPage      *error_page;
  GtkRevealer        *more_error_revealer;
  GtkLabel           *more_error_label;
  GtkWidget          *details_pane;
  GtkWidget          *details_header;
  GtkStack           *details_stack;
  GtkLabel           *details_amount_label;
  GtkLabel           *details_status_label;
  AdwPreferencesGroup *details_group;
  AdwPreferencesGroup *refunds_group;

  /* owned references */
  TillSession        *session;
  TillPaymentList    *list;
  GtkSingleSelection *selection;
  TillPaymentItem    *shown;          /* the payment in the details */
  JsonObject         *shown_json;     /* its latest object */
  GCancellable       *details_cancellable;
  GPtrArray          *detail_rows;    /* the rows added to the groups */
  GDateTime          *date_from;      /* the day filter, local, or NULL */
  GDateTime          *date_to;

  /* state */
  guint               folded_source;  /* idle for the details' back button */
};

G_DEFINE_FINAL_TYPE (TillHistoryPage, till_history_page, GTK_TYPE_WIDGET)

enum {
  REFUND_REQUESTED,
  RECEIPT_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The state filter's choices, in the drop-down's order; NULL: any. */
static const char *const statuses[] = { NULL, "succeeded", "declined", "pending", "requires_action", "failed" };
static const char *const brands[] = {
  NULL, "visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay", "unknown"
};

/* Rows */

static const char *
status_style (TillPaymentItem *item)
{
  const char *status = till_payment_item_get_status (item);

  if (g_strcmp0 (status, "succeeded") == 0)
    return till_payment_item_get_amount_refunded (item) > 0 ? "accent" : "success";
  if (g_strcmp0 (status, "declined") == 0 || g_strcmp0 (status, "failed") == 0)
    return "error";
  return "warning";
}

static void
set_status_label (GtkLabel        *label,
                  TillPaymentItem *item)
{
  static const char *const styles[] = { "accent", "success", "error", "warning" };

  for (gsize i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (label), styles[i]);
  gtk_label_set_label (label, till_payment_item_describe_status (item));
  gtk_widget_add_css_class (GTK_WIDGET (label), status_style (item));
}

static char *
format_amount (TillPaymentItem *item)
{
  const char *currency = till_payment_item_get_currency (item);

  if (currency == NULL || !till_currency_is_known (currency))
    return g_strdup_printf ("%" G_GINT64_FORMAT " %s", till_payment_item_get_amount (item), currency ? currency : "");
  return till_money_format (till_payment_item_get_amount (item), currency, NULL);
}

static GtkLabel *
new_label (GtkWidget  *box,
           float       xalign,
           const char *style)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

/* amount            time
 * card · cashier  status */
static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              TillHistoryPage          *self)
{
  GtkWidget *grid = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *left = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *right = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);

  gtk_widget_set_margin_top (grid, 6);
  gtk_widget_set_margin_bottom (grid, 6);
  gtk_widget_set_margin_start (grid, 6);
  gtk_widget_set_margin_end (grid, 6);
  gtk_widget_set_hexpand (left, TRUE);
  gtk_box_append (GTK_BOX (grid), left);
  gtk_box_append (GTK_BOX (grid), right);
  g_object_set_data (G_OBJECT (list_item), "amount", new_label (left, 0, "heading"));
  g_object_set_data (G_OBJECT (list_item), "card", new_label (left, 0, "dim-label"));
  g_object_set_data (G_OBJECT (list_item), "time", new_label (right, 1, "dim-label"));
  g_object_set_data (G_OBJECT (list_item), "status", new_label (right, 1, "caption-heading"));
  gtk_list_item_set_child (list_item, grid);
}

static void
show_row (GtkListItem *list_item)
{
  TillPaymentItem *item = gtk_list_item_get_item (list_item);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *amount = format_amount (item);
  g_autofree char *time = till_payment_item_format_time (item, now);
  g_autofree char *card = till_payment_item_describe_card (item);
  const char *cashier = till_payment_item_get_cashier (item);
  g_autofree char *card_line = NULL;
  g_autofree char *accessible = NULL;

  /* TRANSLATORS: the card (or "No card") and the cashier who took it */
  card_line = g_strdup_printf (_("%s · %s"), card ? card : _("No card"), cashier ? cashier : "");
  gtk_label_set_label (g_object_get_data (G_OBJECT (list_item), "amount"), amount);
  gtk_label_set_label (g_object_get_data (G_OBJECT (list_item), "card"), card_line);
  gtk_label_set_label (g_object_get_data (G_OBJECT (list_item), "time"), time);
  set_status_label (g_object_get_data (G_OBJECT (list_item), "status"), item);
  accessible = g_strdup_printf ("%s, %s, %s, %s", amount, till_payment_item_describe_status (item), time, card_line);
  gtk_accessible_update_property (GTK_ACCESSIBLE (gtk_list_item_get_child (list_item)),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}

/* A row follows its payment: a refund made from the details changes the
 * item, and the row shows it at once, not at the next reload. */
static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             TillHistoryPage          *self)
{
  show_row (list_item);
  g_signal_connect_object (gtk_list_item_get_item (list_item), "notify",
                           G_CALLBACK (show_row), list_item, G_CONNECT_SWAPPED);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               TillHistoryPage          *self)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (list_item), show_row, list_item);
}

/* What the list shows */

static void
update_list_state (TillHistoryPage *self)
{
  guint n = self->list ? g_list_model_get_n_items (G_LIST_MODEL (self->list)) : 0;
  TillPaymentListState state = self->list ? till_payment_list_get_state (self->list) : TILL_PAYMENT_LIST_LOADING;
  const char *error = self->list ? till_payment_list_get_error (self->list) : NULL;
  const char *name;

  if (n > 0)
    name = "list";
  else if (state == TILL_PAYMENT_LIST_LOADING)
    name = "loading";
  else if (state == TILL_PAYMENT_LIST_ERROR)
    name = "error";
  else
    name = "empty";

  if (g_str_equal (name, "empty"))
    {
      gboolean filtered = !till_payment_filter_is_empty (till_payment_list_get_filter (self->list));

      adw_status_page_set_title (self->empty_page, filtered ? _("No Matches") : _("No Payments Yet"));
      adw_status_page_set_description (self->empty_page,
                                       filtered ? _("No payment matches the search and filters.")
                                                : _("Payments show here once cards are charged."));
    }
  adw_status_page_set_description (self->error_page, error);
  gtk_label_set_label (self->more_error_label, error ? error : "");
  gtk_revealer_set_reveal_child (self->more_error_revealer, n > 0 && state == TILL_PAYMENT_LIST_ERROR);
  gtk_spinner_set_spinning (self->loading_spinner, g_str_equal (name, "loading"));
  gtk_stack_set_visible_child_name (self->list_stack, name);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.retry", state == TILL_PAYMENT_LIST_ERROR);
}

/* Scrolled to within a screen of the end of what is listed: the next
 * page. (Rows are bound far ahead of what shows, so reading items is no
 * sign of where the person has got to.) */
static void
scrolled_cb (TillHistoryPage *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double below = gtk_adjustment_get_upper (adjustment) -
                 gtk_adjustment_get_value (adjustment) - gtk_adjustment_get_page_size (adjustment);

  if (self->list != NULL && below <= gtk_adjustment_get_page_size (adjustment))
    till_payment_list_load_more (self->list);
}

/* Details */

static void
clear_detail_rows (TillHistoryPage *self)
{
  for (guint i = 0; i < self->detail_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->detail_rows, i);
      GtkWidget *group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), row);
    }
  g_ptr_array_set_size (self->detail_rows, 0);
}

/* A field and its value, the value underneath where it has the row's
 * whole width (a reference or a description can be long). */
static void
add_detail_row (TillHistoryPage     *self,
                AdwPreferencesGroup *group,
                const char          *title,
                const char          *value)
{
  GtkWidget *row;

  if (value == NULL || *value == '\0')
    return;
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->detail_rows, row);
}

static char *
format_full_time (const char *iso)
{
  g_autoptr(GDateTime) utc = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

  /* TRANSLATORS: a payment's full date and time, see strftime */
  return local ? g_date_time_format (local, C_("time", "%-d %B %Y, %H:%M:%S")) : NULL;
}

static char *
format_minor (gint64      minor,
              const char *currency)
{
  if (currency == NULL || !till_currency_is_known (currency))
    return g_strdup_printf ("%" G_GINT64_FORMAT, minor);
  return till_money_format (minor, currency, NULL);
}

/* A refund's status as the server says it (Stripe's word), in the
 * words the audit log uses for it; a status this terminal does not know
 * is shown as it came. */
static const char *
describe_refund_status (const char *status)
{
  if (g_strcmp0 (status, "succeeded") == 0)
    return _("Refunded");
  if (g_strcmp0 (status, "failed") == 0)
    return _("Refund refused");
  if (g_strcmp0 (status, "pending") == 0)
    return _("Refund pending at the bank");
  if (g_strcmp0 (status, "canceled") == 0)
    return _("Refund cancelled");
  if (g_strcmp0 (status, "requires_action") == 0)
    return _("Refund not confirmed yet");
  return status != NULL ? status : "";
}

static void
show_refunds (TillHistoryPage *self,
              JsonObject      *payment)
{
  JsonNode *node = json_object_get_member (payment, "refunds");
  const char *currency = till_json_get_string (payment, "currency");
  JsonArray *refunds;
  guint shown = 0;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->refunds_group), FALSE);
      return;
    }
  refunds = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (refunds); i++)
    {
      JsonNode *element = json_array_get_element (refunds, i);
      JsonObject *refund = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      JsonNode *amount = refund ? json_object_get_member (refund, "amount") : NULL;
      g_autofree char *money = NULL;
      g_autofree char *when = NULL;
      g_autofree char *value = NULL;

      if (amount == NULL || !JSON_NODE_HOLDS_VALUE (amount) || json_node_get_value_type (amount) != G_TYPE_INT64)
        continue;
      money = format_minor (json_node_get_int (amount), currency);
      when = format_full_time (till_json_get_string (refund, "created"));
      /* TRANSLATORS: a refund's state as the server says it, and when it was made */
      value = g_strdup_printf (_("%s, %s"), describe_refund_status (till_json_get_string (refund, "status")),
                               when ? when : "");
      add_detail_row (self, self->refunds_group, money, value);
      shown++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->refunds_group), shown > 0);
}

static void
show_payment (TillHistoryPage *self,
              JsonObject      *payment)
{
  g_autoptr(TillPaymentItem) item = till_payment_item_new (payment);
  g_autofree char *amount = NULL;
  g_autofree char *card = NULL;
  g_autofree char *when = NULL;
  g_autofree char *refunded = NULL;
  g_autofree char *updated = NULL;
  gint64 refunded_amount;

  if (item == NULL)
    return;
  g_clear_pointer (&self->shown_json, json_object_unref);
  self->shown_json = json_object_ref (payment);

  clear_detail_rows (self);
  amount = format_amount (item);
  card = till_payment_item_describe_card (item);
  when = format_full_time (till_json_get_string (payment, "created"));
  updated = format_full_time (till_json_get_string (payment, "updated"));
  refunded_amount = till_payment_item_get_amount_refunded (item);
  refunded = refunded_amount > 0 ? format_minor (refunded_amount, till_payment_item_get_currency (item)) : NULL;

  gtk_label_set_label (self->details_amount_label, amount);
  set_status_label (self->details_status_label, item);
  add_detail_row (self, self->details_group, _("Time"), when);
  add_detail_row (self, self->details_group, _("Card"), card);
  add_detail_row (self, self->details_group, _("Cashier"), till_payment_item_get_cashier (item));
  add_detail_row (self, self->details_group, _("Description"), till_payment_item_get_description (item));
  add_detail_row (self, self->details_group, _("Refunded"), refunded);
  add_detail_row (self, self->details_group, _("Decline Reason"), till_json_get_string (payment, "decline_code"));
  add_detail_row (self, self->details_group, _("Reference"), till_payment_item_get_id (item));
  add_detail_row (self, self->details_group, _("Last Changed"), updated);
  show_refunds (self, payment);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.refund", till_payment_item_is_refundable (item));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.receipt", TRUE);
  gtk_stack_set_visible_child_name (self->details_stack, "payment");
}

static void
details_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillHistoryPage) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *payment;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->detail_rows == NULL)
    return;
  g_clear_object (&self->details_cancellable);
  /* The list's copy stays on show: a failure here loses nothing shown. */
  if (response == NULL)
    {
      g_message ("The payment's details stay as listed: %s", error->message);
      return;
    }
  payment = till_backend_response_get_object (response);
  if (payment != NULL && self->shown != NULL && till_payment_item_update (self->shown, payment))
    show_payment (self, payment);
}

static void
show_item (TillHistoryPage *self,
           TillPaymentItem *item)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_cancellable_cancel (self->details_cancellable);
  g_clear_object (&self->details_cancellable);
  g_set_object (&self->shown, item);
  if (item == NULL)
    {
      clear_detail_rows (self);
      g_clear_pointer (&self->shown_json, json_object_unref);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.refund", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.receipt", FALSE);
      gtk_stack_set_visible_child_name (self->details_stack, "none");
      adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
      return;
    }
  show_payment (self, till_payment_item_get_json (item));

  /* The payment now, with its refunds. */
  escaped = g_uri_escape_string (till_payment_item_get_id (item), NULL, FALSE);
  path = g_strdup_printf ("/api/payments/%s", escaped);
  self->details_cancellable = g_cancellable_new ();
  till_session_request_async (self->session, "GET", path, NULL, NULL, self->details_cancellable,
                              details_done_cb, g_object_ref (self));
}

void
till_history_page_payment_changed (TillHistoryPage *self,
                                   JsonObject      *payment)
{
  g_return_if_fail (TILL_IS_HISTORY_PAGE (self));

  if (self->shown != NULL && payment != NULL &&
      g_strcmp0 (till_json_get_string (payment, "id"), till_payment_item_get_id (self->shown)) == 0)
    {
      g_autoptr(TillPaymentItem) item = g_object_ref (self->shown);

      show_item (self, item);
    }
}

static void
selection_changed_cb (TillHistoryPage *self)
{
  show_item (self, gtk_single_selection_get_selected_item (self->selection));
}

static void
open_details (TillHistoryPage *self)
{
  if (self->shown != NULL)
    {
      adw_leaflet_set_visible_child (self->leaflet, self->details_pane);
      gtk_widget_grab_focus (self->details_header);
    }
}

/* Enter on a row, or a double click. */
static void
row_activated_cb (TillHistoryPage *self,
                  guint            position)
{
  gtk_single_selection_set_selected (self->selection, position);
  open_details (self);
}

/* A single click (or tap) opens the details on a narrow window, where
 * they are not beside the list. */
static void
row_clicked_cb (TillHistoryPage *self)
{
  if (adw_leaflet_get_folded (self->leaflet))
    open_details (self);
}

static gboolean
folded_idle_cb (gpointer user_data)
{
  TillHistoryPage *self = user_data;

  self->folded_source = 0;
  gtk_widget_set_visible (self->details_header, adw_leaflet_get_folded (self->leaflet));
  return G_SOURCE_REMOVE;
}

/* The leaflet folds while it is allocated: the back button comes after. */
static void
folded_cb (TillHistoryPage *self)
{
  if (self->folded_source == 0)
    self->folded_source = g_idle_add (folded_idle_cb, self);
}

/* Filters */

static GDateTime *
local_midnight (GDateTime *day,
                int        days_later)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (day);
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (local),
                                                         g_date_time_get_month (local),
                                                         g_date_time_get_day_of_month (local), 0, 0, 0);

  return g_date_time_add_days (midnight, days_later);
}

static void
filter_changed_cb (TillHistoryPage *self)
{
  g_autoptr(TillPaymentFilter) filter = till_payment_filter_new ();
  guint status = gtk_drop_down_get_selected (self->status_dropdown);
  guint brand = gtk_drop_down_get_selected (self->brand_dropdown);
  const char *cashier = gtk_editable_get_text (GTK_EDITABLE (self->cashier_entry));

  if (self->list == NULL)
    return;
  till_payment_filter_set_search (filter, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  filter->created_gte = self->date_from ? g_date_time_ref (self->date_from) : NULL;
  filter->created_lt = self->date_to ? g_date_time_ref (self->date_to) : NULL;
  filter->status = g_strdup (status < G_N_ELEMENTS (statuses) ? statuses[status] : NULL);
  filter->brand = g_strdup (brand < G_N_ELEMENTS (brands) ? brands[brand] : NULL);
  if (till_session_is_manager (self->session))
    filter->cashier = g_strstrip (g_strdup (cashier));
  till_payment_list_set_filter (self->list, filter);
}

static void
set_dates (TillHistoryPage *self,
           GDateTime       *from,
           GDateTime       *to,
           const char      *label)
{
  g_clear_pointer (&self->date_from, g_date_time_unref);
  g_clear_pointer (&self->date_to, g_date_time_unref);
  self->date_from = from;
  self->date_to = to;
  gtk_menu_button_set_label (self->date_button, label);
  gtk_popover_popdown (self->date_popover);
  filter_changed_cb (self);
}

static void
date_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);
  const char *span = g_variant_get_string (parameter, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (g_str_equal (span, "today"))
    set_dates (self, local_midnight (now, 0), local_midnight (now, 1), _("Today"));
  else if (g_str_equal (span, "yesterday"))
    set_dates (self, local_midnight (now, -1), local_midnight (now, 0), _("Yesterday"));
  else if (g_str_equal (span, "week"))
    set_dates (self, local_midnight (now, -6), local_midnight (now, 1), _("Last 7 Days"));
  else
    set_dates (self, NULL, NULL, _("Any Time"));
}

static void
day_selected_cb (TillHistoryPage *self)
{
  g_autoptr(GDateTime) day = gtk_calendar_get_date (self->calendar);
  /* TRANSLATORS: one day chosen in the calendar, see strftime */
  g_autofree char *label = g_date_time_format (day, C_("date", "%-d %b %Y"));

  set_dates (self, local_midnight (day, 0), local_midnight (day, 1), label);
}

static void
clear_filters_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);

  gtk_drop_down_set_selected (self->status_dropdown, 0);
  gtk_drop_down_set_selected (self->brand_dropdown, 0);
  gtk_editable_set_text (GTK_EDITABLE (self->cashier_entry), "");
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  set_dates (self, NULL, NULL, _("Any Time"));
}

/* Actions */

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);

  if (self->list != NULL)
    till_payment_list_retry (self->list);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
refund_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);

  if (self->shown_json != NULL)
    g_signal_emit (self, signals[REFUND_REQUESTED], 0, self->shown_json);
}

static void
receipt_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);

  if (self->shown_json != NULL)
    g_signal_emit (self, signals[RECEIPT_REQUESTED], 0, self->shown_json);
}

/* The list */

/* The list of the cashier now signed in, made when the page is first
 * shown: a sign-in asks the server nothing for a page nobody opened. */
static void
make_list (TillHistoryPage *self)
{
  g_autoptr(TillPaymentList) list = till_payment_list_new (self->session, PAGE_SIZE);

  g_set_object (&self->list, list);
  g_signal_connect_object (list, "notify::state", G_CALLBACK (update_list_state), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (list, "items-changed", G_CALLBACK (update_list_state), self, G_CONNECT_SWAPPED);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (list));
  filter_changed_cb (self);
  update_list_state (self);
}

void
till_history_page_start (TillHistoryPage *self,
                         TillSession     *session)
{
  gboolean manager;

  g_return_if_fail (TILL_IS_HISTORY_PAGE (self));
  g_return_if_fail (TILL_IS_SESSION (session));

  manager = till_session_is_manager (session);
  g_set_object (&self->session, session);
  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->list);

  /* Filters do not carry over from one cashier to the next. */
  gtk_widget_set_visible (self->cashier_label, manager);
  gtk_widget_set_visible (GTK_WIDGET (self->cashier_entry), manager);
  clear_filters_action (GTK_WIDGET (self), NULL, NULL);
  update_list_state (self);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    make_list (self);
}

/* Shown: the list is made, or read again from the top, where the
 * payments made meanwhile are. */
static void
till_history_page_map (GtkWidget *widget)
{
  TillHistoryPage *self = TILL_HISTORY_PAGE (widget);

  GTK_WIDGET_CLASS (till_history_page_parent_class)->map (widget);

  if (self->list != NULL)
    till_payment_list_reload (self->list);
  else if (self->session != NULL)
    make_list (self);
}

static void
till_history_page_dispose (GObject *object)
{
  TillHistoryPage *self = (TillHistoryPage *)object;

  g_cancellable_cancel (self->details_cancellable);
  g_clear_object (&self->details_cancellable);
  g_clear_handle_id (&self->folded_source, g_source_remove);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_pointer (&self->detail_rows, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_HISTORY_PAGE);
  g_clear_object (&self->selection);
  g_clear_object (&self->list);
  g_clear_object (&self->session);
  g_clear_object (&self->shown);
  g_clear_pointer (&self->shown_json, json_object_unref);
  g_clear_pointer (&self->date_from, g_date_time_unref);
  g_clear_pointer (&self->date_to, g_date_time_unref);

  G_OBJECT_CLASS (till_history_page_parent_class)->dispose (object);
}

static void
till_history_page_class_init (TillHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_history_page_dispose;
  widget_class->map = till_history_page_map;

  signals[REFUND_REQUESTED] =
    g_signal_new ("refund-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[RECEIPT_REQUESTED] =
    g_signal_new ("receipt-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, JSON_TYPE_OBJECT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, date_button);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, date_popover);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, filter_button);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, calendar);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, brand_dropdown);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, cashier_label);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, cashier_entry);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, more_error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, more_error_label);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, details_pane);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, details_header);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, details_stack);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, details_amount_label);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, details_status_label);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, details_group);
  gtk_widget_class_bind_template_child (widget_class, TillHistoryPage, refunds_group);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, folded_cb);

  gtk_widget_class_install_action (widget_class, "history.date", "s", date_action);
  gtk_widget_class_install_action (widget_class, "history.clear-filters", NULL, clear_filters_action);
  gtk_widget_class_install_action (widget_class, "history.retry", NULL, retry_action);
  gtk_widget_class_install_action (widget_class, "history.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "history.refund", NULL, refund_action);
  gtk_widget_class_install_action (widget_class, "history.receipt", NULL, receipt_action);
}

static void
set_choices (GtkDropDown *dropdown,
             const char  *first,
             ...)
{
  g_autoptr(GtkStringList) choices = gtk_string_list_new (NULL);
  va_list args;

  va_start (args, first);
  for (const char *choice = first; choice != NULL; choice = va_arg (args, const char *))
    gtk_string_list_append (choices, choice);
  va_end (args);
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (choices));
}

static void
till_history_page_init (TillHistoryPage *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_name_drop_down (self->status_dropdown);
  till_a11y_name_drop_down (self->brand_dropdown);
  self->detail_rows = g_ptr_array_new ();

  set_choices (self->status_dropdown, _("Any State"), _("Paid"), _("Declined"), _("Unknown"),
               _("Waiting for Customer"), _("Failed"), NULL);
  set_choices (self->brand_dropdown, _("Any Card"), "Visa", "Mastercard", "American Express", "Discover",
               "Diners Club", "JCB", "UnionPay", _("Other"), NULL);

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_swapped (click, "released", G_CALLBACK (row_clicked_cb), self);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scrolled_window), "value-changed",
                           G_CALLBACK (scrolled_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scrolled_window), "changed",
                           G_CALLBACK (scrolled_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), GTK_EVENT_CONTROLLER (click));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.refund", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.receipt", FALSE);
  folded_cb (self);
  update_list_state (self);
}

/* For the tests */

TillPaymentList *
till_history_page_get_list (TillHistoryPage *self)
{
  return self->list;
}

GtkListView *
till_history_page_get_list_view (TillHistoryPage *self)
{
  return self->list_view;
}

GtkScrolledWindow *
till_history_page_get_scrolled_window (TillHistoryPage *self)
{
  return self->scrolled_window;
}

GtkSearchEntry *
till_history_page_get_search_entry (TillHistoryPage *self)
{
  return self->search_entry;
}

GtkDropDown *
till_history_page_get_status_dropdown (TillHistoryPage *self)
{
  return self->status_dropdown;
}

GtkMenuButton *
till_history_page_get_filter_button (TillHistoryPage *self)
{
  return self->filter_button;
}

GtkMenuButton *
till_history_page_get_date_button (TillHistoryPage *self)
{
  return self->date_button;
}

const char *
till_history_page_get_list_state (TillHistoryPage *self)
{
  return gtk_stack_get_visible_child_name (self->list_stack);
}

TillPaymentItem *
till_history_page_get_shown_payment (TillHistoryPage *self)
{
  return self->shown;
}

char *
till_history_page_dup_details_text (TillHistoryPage *self)
{
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%s\n%s\n", gtk_label_get_label (self->details_amount_label),
                          gtk_label_get_label (self->details_status_label));
  for (guint i = 0; i < self->detail_rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->detail_rows, i);

      g_string_append_printf (text, "%s: %s\n", adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                              adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
    }
  return g_string_free (text, FALSE);
}

gboolean
till_history_page_get_folded (TillHistoryPage *self)
{
  return adw_leaflet_get_folded (self->leaflet);
}

gboolean
till_history_page_get_details_visible (TillHistoryPage *self)
{
  return !adw_leaflet_get_folded (self->leaflet) ||
         adw_leaflet_get_visible_child (self->leaflet) == self->details_pane;
}
