/* till-audit-page.c: the manager's page of the server's audit log
 *
 * A GtkListView over TillAuditList, which fetches a page of entries at a
 * time: when the view scrolls near its end (or the entries so far do not
 * fill it), the next older page is asked for. Each row says when, who,
 * what in words, and to what (an account or a payment). Times are shown
 * in the terminal's local time zone.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-audit-page"

#include "config.h"

#include <glib/gi18n.h>

#include "till-audit-page-private.h"
#include "till-backend-answers.h"
#include "till-money.h"

struct _TillAuditPage
{
  AdwBin             parent_instance;

  /* template widgets */
  GtkLabel          *error_label;
  GtkScrolledWindow *scroller;
  GtkListView       *list_view;

  /* owned references */
  TillAuditList     *list;
  char              *currency;
};

G_DEFINE_FINAL_TYPE (TillAuditPage, till_audit_page, ADW_TYPE_BIN)

/* Words */

static const char *
detail (TillAuditEntry *entry,
        const char     *name)
{
  const char *value = NULL;

  till_answer_get_string (till_audit_entry_get_details (entry), name, TILL_ANSWER_NAME_MAX, FALSE, &value, NULL);
  return value;
}

static const char *
role_words (const char *role)
{
  if (g_strcmp0 (role, "manager") == 0)
    return _("manager");
  if (g_strcmp0 (role, "cashier") == 0)
    return _("cashier");
  return role ? role : "";
}

static char *
refund_words (TillAuditEntry *entry,
              const char     *currency)
{
  const char *status = detail (entry, "status");
  const char *approver = detail (entry, "approved_by");
  g_autofree char *amount = NULL;
  g_autofree char *what = NULL;
  gint64 minor = 0;

  if (currency != NULL &&
      till_answer_get_int (till_audit_entry_get_details (entry), "amount", 1, TILL_ANSWER_AMOUNT_MAX, &minor, NULL))
    amount = till_money_format (minor, currency, NULL);

  /* Translators: each %s is an amount of money, such as “€2.50” */
  if (g_strcmp0 (status, "succeeded") == 0)
    what = amount ? g_strdup_printf (_("Refunded %s"), amount) : g_strdup (_("Refunded"));
  else if (g_strcmp0 (status, "failed") == 0)
    what = amount ? g_strdup_printf (_("Refund of %s refused"), amount) : g_strdup (_("Refund refused"));
  else if (g_strcmp0 (detail (entry, "error_code"), "refund_pending") == 0)
    what = amount ? g_strdup_printf (_("Refund of %s pending at the bank"), amount)
                  : g_strdup (_("Refund pending at the bank"));
  else
    what = amount ? g_strdup_printf (_("Refund of %s not confirmed yet"), amount)
                  : g_strdup (_("Refund not confirmed yet"));

  if (approver == NULL)
    return g_steal_pointer (&what);
  /* Translators: what was refunded, then a manager's name */
  return g_strdup_printf (_("%s, approved by %s"), what, approver);
}

static const char *
refused_reason (const char *reason)
{
  if (g_strcmp0 (reason, "wrong_password") == 0 || g_strcmp0 (reason, "wrong_credentials") == 0)
    return _("wrong name or password");
  if (g_strcmp0 (reason, "account_disabled") == 0 || g_strcmp0 (reason, "approver_disabled") == 0)
    return _("account disabled");
  if (g_strcmp0 (reason, "unknown_user") == 0)
    return _("no such account");
  if (g_strcmp0 (reason, "not_a_manager") == 0)
    return _("not a manager");
  if (g_strcmp0 (reason, "own_request") == 0)
    return _("their own refund");
  return reason ? reason : "";
}

/* A kiosk's approval (POST /api/approvals): what it let through, and who
 * asked, when someone was signed in at the kiosk. */
static char *
kiosk_approval_words (TillAuditEntry *entry)
{
  const char *what = detail (entry, "for");
  const char *requester = detail (entry, "requested_by");
  g_autofree char *words = NULL;

  if (g_str_equal (what, "kiosk.leave"))
    words = g_strdup (_("Approved leaving full screen at a kiosk"));
  else if (g_str_equal (what, "kiosk.quit"))
    words = g_strdup (_("Approved quitting Till at a kiosk"));
  else if (g_str_equal (what, "kiosk.preferences"))
    words = g_strdup (_("Approved opening Preferences at a kiosk"));
  else
    /* Translators: %s is an action this version does not know, as the server names it */
    words = g_strdup_printf (_("Approved at a kiosk: %s"), what);

  if (requester == NULL)
    return g_steal_pointer (&words);
  /* Translators: what was approved, then the name of who asked for it */
  return g_strdup_printf (_("%s (asked for by %s)"), words, requester);
}

static char *
staff_changed_words (TillAuditEntry *entry)
{
  JsonObject *details = till_audit_entry_get_details (entry);
  JsonObject *before = till_answer_get_object (details, "before");
  JsonObject *after = till_answer_get_object (details, "after");
  const char *role_before = NULL, *role_after = NULL;
  JsonNode *disabled_before = before ? json_object_get_member (before, "disabled") : NULL;
  JsonNode *disabled_after = after ? json_object_get_member (after, "disabled") : NULL;
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();

  if (before != NULL)
    till_answer_get_string (before, "role", 16, FALSE, &role_before, NULL);
  if (after != NULL)
    till_answer_get_string (after, "role", 16, FALSE, &role_after, NULL);
  if (role_after != NULL && g_strcmp0 (role_before, role_after) != 0)
    g_ptr_array_add (parts, g_str_equal (role_after, "manager") ? _("Made a manager") : _("Made a cashier"));
  if (disabled_after != NULL && json_node_get_value_type (disabled_after) == G_TYPE_BOOLEAN &&
      (disabled_before == NULL || json_node_get_value_type (disabled_before) != G_TYPE_BOOLEAN ||
       json_node_get_boolean (disabled_before) != json_node_get_boolean (disabled_after)))
    g_ptr_array_add (parts, json_node_get_boolean (disabled_after) ? _("Disabled") : _("Enabled"));
  if (parts->len == 0)
    return g_strdup (_("Account changed"));
  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between two changes, as in “Made a manager; Enabled” */
  return g_strjoinv (_("; "), (char **) parts->pdata);
}

char *
till_audit_page_describe_action (TillAuditEntry *entry,
                                 const char     *currency)
{
  const char *action;

  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (entry), NULL);

  action = till_audit_entry_get_action (entry);
  if (g_str_equal (action, "login"))
    return g_strdup (_("Signed in"));
  if (g_str_equal (action, "logout"))
    return g_strdup (_("Signed out"));
  if (g_str_equal (action, "login_failed"))
    /* Translators: %s is why, such as “wrong name or password” */
    return g_strdup_printf (_("Sign-in refused: %s"), refused_reason (detail (entry, "reason")));
  if (g_str_equal (action, "refund"))
    return refund_words (entry, currency);
  /* A kiosk's approvals name what they were for; a refund's do not. */
  if (g_str_equal (action, "approval_granted") && detail (entry, "for") != NULL)
    return kiosk_approval_words (entry);
  if (g_str_equal (action, "approval_granted"))
    /* Translators: %s is the name of who asked for the refund */
    return g_strdup_printf (_("Approved a refund asked for by %s"), detail (entry, "requested_by")
                                                                    ? detail (entry, "requested_by") : "?");
  if (g_str_equal (action, "approval_refused") && detail (entry, "for") != NULL)
    /* Translators: %s is why, such as “wrong name or password” */
    return g_strdup_printf (_("Kiosk approval refused: %s"), refused_reason (detail (entry, "reason")));
  if (g_str_equal (action, "approval_refused"))
    /* Translators: %s is why, such as “wrong name or password” */
    return g_strdup_printf (_("Refund approval refused: %s"), refused_reason (detail (entry, "reason")));
  if (g_str_equal (action, "staff_added"))
    /* Translators: %s is “cashier” or “manager” */
    return g_strdup_printf (_("Account added as %s"), role_words (detail (entry, "role")));
  if (g_str_equal (action, "staff_changed"))
    return staff_changed_words (entry);
  if (g_str_equal (action, "staff_password_reset"))
    return g_strdup (_("Password reset"));
  return g_strdup (action);
}

char *
till_audit_page_describe_actor (TillAuditEntry *entry)
{
  const char *actor;

  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (entry), NULL);

  actor = till_audit_entry_get_actor (entry);
  if (actor != NULL)
    return g_strdup (actor);
  if (g_strcmp0 (detail (entry, "via"), "command line") == 0)
    return g_strdup (_("The server’s command line"));
  return g_strdup (_("Someone"));
}

/* Rows */

static GtkLabel *
new_label (GtkWidget  *box,
           const char *style)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (style != NULL)
    gtk_widget_add_css_class (label, style);
  gtk_box_append (GTK_BOX (box), label);
  return GTK_LABEL (label);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);

  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  new_label (box, "heading");
  new_label (box, NULL);
  new_label (box, "dim-label");
  gtk_list_item_set_child (item, box);
  gtk_list_item_set_activatable (item, FALSE);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             TillAuditPage            *self)
{
  TillAuditEntry *entry = gtk_list_item_get_item (item);
  GtkWidget *what = gtk_widget_get_first_child (gtk_list_item_get_child (item));
  GtkWidget *who = gtk_widget_get_next_sibling (what);
  GtkWidget *when = gtk_widget_get_next_sibling (who);
  g_autoptr(GDateTime) local = g_date_time_to_local (till_audit_entry_get_time (entry));
  g_autofree char *action = till_audit_page_describe_action (entry, self->currency);
  g_autofree char *actor = till_audit_page_describe_actor (entry);
  /* Translators: when an entry of the audit log happened, see
   * g_date_time_format(); "%x %X" is the locale's own date and time.
   * xgettext:no-c-format */
  g_autofree char *time = g_date_time_format (local, C_("time", "%x %X"));
  g_autofree char *by = NULL;
  const char *subject = till_audit_entry_get_subject (entry);

  if (subject != NULL && g_strcmp0 (subject, till_audit_entry_get_actor (entry)) != 0)
    /* Translators: who did it, then to what: “morgan → alice”, “alice → pay_…” */
    by = g_strdup_printf (_("%s → %s"), actor, subject);
  gtk_label_set_text (GTK_LABEL (what), action);
  gtk_label_set_text (GTK_LABEL (who), by ? by : actor);
  gtk_label_set_text (GTK_LABEL (when), time);
}

/* Paging: near the end, ask for more */

static void
maybe_load_more (TillAuditPage *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  double left = gtk_adjustment_get_upper (adjustment) -
                (gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment));

  /* Less than a screenful below what is on show. */
  if (self->list != NULL && left < gtk_adjustment_get_page_size (adjustment))
    till_audit_list_load_more (self->list);
}

static void
list_error_cb (TillAuditPage *self)
{
  const char *error = till_audit_list_get_error (self->list);

  gtk_label_set_text (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
}

void
till_audit_page_set_session (TillAuditPage *self,
                             TillSession   *session)
{
  g_autoptr(GtkNoSelection) selection = NULL;

  g_return_if_fail (TILL_IS_AUDIT_PAGE (self));
  g_return_if_fail (session == NULL || TILL_IS_SESSION (session));

  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  g_clear_object (&self->list);
  if (session != NULL)
    {
      self->list = till_audit_list_new (session);
      g_signal_connect_swapped (self->list, "notify::error", G_CALLBACK (list_error_cb), self);
      /* Checked once the new rows are laid out and the adjustment knows. */
      g_signal_connect_swapped (self->list, "notify::has-more", G_CALLBACK (maybe_load_more), self);
      selection = gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->list)));
    }
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  if (self->list != NULL && gtk_widget_get_mapped (GTK_WIDGET (self)) && till_session_is_manager (session))
    till_audit_list_reload (self->list);
}

void
till_audit_page_set_currency (TillAuditPage *self,
                              const char    *currency)
{
  g_return_if_fail (TILL_IS_AUDIT_PAGE (self));

  g_free (self->currency);
  self->currency = till_currency_is_known (currency) ? g_strdup (currency) : NULL;
}

TillAuditList *
till_audit_page_get_list (TillAuditPage *self)
{
  return self->list;
}

GtkScrolledWindow *
till_audit_page_get_scroller (TillAuditPage *self)
{
  return self->scroller;
}

/* Shown: the newest entries. */
static void
till_audit_page_map (GtkWidget *widget)
{
  TillAuditPage *self = TILL_AUDIT_PAGE (widget);

  GTK_WIDGET_CLASS (till_audit_page_parent_class)->map (widget);
  if (self->list != NULL)
    till_audit_list_reload (self->list);
}

static void
till_audit_page_dispose (GObject *object)
{
  TillAuditPage *self = (TillAuditPage *)object;

  if (self->list != NULL)
    g_signal_handlers_disconnect_by_data (self->list, self);
  g_clear_object (&self->list);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_AUDIT_PAGE);

  G_OBJECT_CLASS (till_audit_page_parent_class)->dispose (object);
}

static void
till_audit_page_finalize (GObject *object)
{
  TillAuditPage *self = (TillAuditPage *)object;

  g_clear_pointer (&self->currency, g_free);

  G_OBJECT_CLASS (till_audit_page_parent_class)->finalize (object);
}

static void
till_audit_page_class_init (TillAuditPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_audit_page_dispose;
  object_class->finalize = till_audit_page_finalize;
  widget_class->map = till_audit_page_map;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-audit-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillAuditPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, TillAuditPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, TillAuditPage, list_view);
}

static void
till_audit_page_init (TillAuditPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkAdjustment *adjustment;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
  g_signal_connect_object (adjustment, "value-changed", G_CALLBACK (maybe_load_more), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "changed", G_CALLBACK (maybe_load_more), self, G_CONNECT_SWAPPED);
}
