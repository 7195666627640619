/* till-staff-page.c: the manager's page of staff accounts
 *
 * One row per account (GET /api/staff), which opens to change its role,
 * let it sign in or not, and give it a new password; and a form to add an
 * account. Each change is one request; the list is read again after it,
 * whatever the answer, so the rows always show what the server holds (a
 * change the server refused, such as demoting the last manager, springs
 * back, and the reason is shown above the list).
 *
 * The rows are built here rather than in a template since there is one
 * per account. Their widgets only trigger the page's actions
 * (staff.set-role, staff.set-disabled, staff.reset-password, staff.add),
 * which the tests trigger too.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-staff-page"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-backend-answers.h"
#include "till-json-util.h"
#include "till-staff-page-private.h"

/* The role list's order, in the rows and in the form. */
static const char * const roles[] = { "cashier", "manager" };

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

typedef struct
{
  TillStaffPage       *page;
  char                *username;
  char                *subtitle;
  AdwExpanderRow      *row;
  AdwComboRow         *role_row;
  GtkSwitch           *enabled_switch;
  AdwPasswordEntryRow *password_row;
  AdwPasswordEntryRow *password_again_row;
} StaffRow;

struct _TillStaffPage
{
  AdwBin               parent_instance;

  /* template widgets */
  GtkLabel            *error_label;
  AdwPreferencesGroup *staff_group;
  GtkSpinner          *spinner;
  AdwExpanderRow      *add_row;
  AdwEntryRow         *new_username_row;
  AdwPasswordEntryRow *new_password_row;
  AdwPasswordEntryRow *new_password_again_row;
  AdwComboRow         *new_role_row;

  /* owned references */
  TillSession         *session;
  GCancellable        *cancellable;   /* the list being read */
  GPtrArray           *rows;          /* StaffRow */

  /* state */
  guint                changing;      /* changes under way */
  gboolean             building;      /* rows being filled in: no change is asked */
  char                *error;
  GtkWidget           *described;     /* weak: says the error (till_a11y_describe_focus()) */
};

G_DEFINE_FINAL_TYPE (TillStaffPage, till_staff_page, ADW_TYPE_BIN)

static void
staff_row_free (gpointer data)
{
  StaffRow *row = data;

  g_signal_handlers_disconnect_by_data (row->role_row, row);
  g_signal_handlers_disconnect_by_data (row->enabled_switch, row);
  g_signal_handlers_disconnect_by_data (row->password_row, row);
  g_signal_handlers_disconnect_by_data (row->password_again_row, row);
  adw_preferences_group_remove (row->page->staff_group, GTK_WIDGET (row->row));
  g_free (row->username);
  g_free (row->subtitle);
  g_free (row);
}

static void
show_error (TillStaffPage *self,
            const char    *error)
{
  g_free (self->error);
  self->error = g_strdup (error);
  gtk_label_set_text (self->error_label, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  till_a11y_describe_focus (GTK_WIDGET (self->error_label), error, &self->described);
  till_a11y_announce (GTK_WIDGET (self->error_label), error);
}

static void
update_busy (TillStaffPage *self)
{
  gboolean busy = till_staff_page_get_busy (self);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "staff.add", self->changing == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "staff.set-role", self->changing == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "staff.set-disabled", self->changing == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "staff.reset-password", self->changing == 0);
}

static StaffRow *
find_row (TillStaffPage *self,
          const char    *username)
{
  for (guint i = 0; self->rows != NULL && i < self->rows->len; i++)
    {
      StaffRow *row = g_ptr_array_index (self->rows, i);

      if (g_str_equal (row->username, username))
        return row;
    }
  return NULL;
}

/* The rows' widgets ask the page's actions */

static void
role_selected_cb (AdwComboRow *combo,
                  GParamSpec  *pspec,
                  StaffRow    *row)
{
  guint selected = adw_combo_row_get_selected (combo);

  if (row->page->building || selected >= G_N_ELEMENTS (roles))
    return;
  gtk_widget_activate_action (GTK_WIDGET (row->page), "staff.set-role", "(ss)", row->username, roles[selected]);
}

static gboolean
enabled_set_cb (GtkSwitch *sw,
                gboolean   enabled,
                StaffRow  *row)
{
  if (row->page->building)
    return FALSE;
  gtk_widget_activate_action (GTK_WIDGET (row->page), "staff.set-disabled", "(sb)", row->username, !enabled);
  /* The switch shows the server's answer once the list is read again. */
  return TRUE;
}

/* Return in the first field moves to the second; in the second, sets it. */
static void
password_activated_cb (GtkWidget *widget,
                       StaffRow  *row)
{
  if (widget == GTK_WIDGET (row->password_row))
    gtk_widget_grab_focus (GTK_WIDGET (row->password_again_row));
  else
    gtk_widget_activate_action (GTK_WIDGET (row->page), "staff.reset-password", "s", row->username);
}

static GtkWidget *
new_password_row (const char *title)
{
  GtkWidget *row = adw_password_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  till_a11y_name_password_row (ADW_PASSWORD_ENTRY_ROW (row));
  return row;
}

static StaffRow *
add_row (TillStaffPage *self,
         const char    *username,
         const char    *role,
         gboolean       disabled)
{
  StaffRow *row = g_new0 (StaffRow, 1);
  gboolean manager = g_str_equal (role, "manager");
  GtkWidget *enabled_row = adw_action_row_new ();
  GtkWidget *button_row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_mnemonic (_("_Set Password"));
  g_autofree char *button_name = NULL;

  row->page = self;
  row->username = g_strdup (username);
  row->subtitle = disabled
    ? g_strdup_printf ("%s · %s", manager ? _("Manager") : _("Cashier"), _("Disabled"))
    : g_strdup (manager ? _("Manager") : _("Cashier"));

  row->row = ADW_EXPANDER_ROW (adw_expander_row_new ());
  /* The name is the server's: shown as spelt, never read as markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row->row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->row), username);
  adw_expander_row_set_subtitle (row->row, row->subtitle);

  row->role_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row->role_row), _("Role"));
  adw_combo_row_set_model (row->role_row,
                           G_LIST_MODEL (gtk_string_list_new ((const char *[]) { _("Cashier"), _("Manager"), NULL })));
  adw_combo_row_set_selected (row->role_row, manager ? 1 : 0);
  g_signal_connect (row->role_row, "notify::selected", G_CALLBACK (role_selected_cb), row);

  row->enabled_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (row->enabled_switch), GTK_ALIGN_CENTER);
  gtk_switch_set_active (row->enabled_switch, !disabled);
  g_signal_connect (row->enabled_switch, "state-set", G_CALLBACK (enabled_set_cb), row);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (enabled_row), _("Can Sign In"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (enabled_row), GTK_WIDGET (row->enabled_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (enabled_row), GTK_WIDGET (row->enabled_switch));

  row->password_row = ADW_PASSWORD_ENTRY_ROW (new_password_row (_("New Password")));
  row->password_again_row = ADW_PASSWORD_ENTRY_ROW (new_password_row (_("New Password Again")));
  g_signal_connect (row->password_row, "entry-activated", G_CALLBACK (password_activated_cb), row);
  g_signal_connect (row->password_again_row, "entry-activated", G_CALLBACK (password_activated_cb), row);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "staff.reset-password");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", username);
  /* Translators: %s is a user name */
  button_name = g_strdup_printf (_("Set the new password of %s"), username);
  /* Before its own name, which says more than its label. */
  till_a11y_fix_mnemonics (button);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, button_name, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (button_row), button);

  adw_expander_row_add_row (row->row, GTK_WIDGET (row->role_row));
  adw_expander_row_add_row (row->row, enabled_row);
  adw_expander_row_add_row (row->row, GTK_WIDGET (row->password_row));
  adw_expander_row_add_row (row->row, GTK_WIDGET (row->password_again_row));
  adw_expander_row_add_row (row->row, button_row);
  adw_preferences_group_add (self->staff_group, GTK_WIDGET (row->row));
  return row;
}

/* The list */

static gboolean
read_staff (JsonNode    *node,
            const char **out_username,
            const char **out_role,
            gboolean    *out_disabled)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *disabled = object ? json_object_get_member (object, "disabled") : NULL;

  if (object == NULL ||
      !till_answer_get_string (object, "username", TILL_ANSWER_NAME_MAX, TRUE, out_username, NULL) ||
      !till_answer_get_string (object, "role", 16, TRUE, out_role, NULL) ||
      !g_strv_contains (roles, *out_role) ||
      disabled == NULL || json_node_get_value_type (disabled) != G_TYPE_BOOLEAN)
    return FALSE;
  *out_disabled = json_node_get_boolean (disabled);
  return TRUE;
}

/* The user whose row holds the focus, or NULL. */
static char *
focused_row (TillStaffPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  for (guint i = 0; focus != NULL && i < self->rows->len; i++)
    {
      StaffRow *row = g_ptr_array_index (self->rows, i);

      if (gtk_widget_is_ancestor (focus, GTK_WIDGET (row->row)))
        return g_strdup (row->username);
    }
  return NULL;
}

static void
show_list (TillStaffPage *self,
           JsonArray     *data)
{
  g_autoptr(GPtrArray) expanded = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *focused = NULL;

  for (guint i = 0; i < self->rows->len; i++)
    {
      StaffRow *row = g_ptr_array_index (self->rows, i);

      if (adw_expander_row_get_expanded (row->row))
        g_ptr_array_add (expanded, g_strdup (row->username));
    }
  /* A focused row going away would leave the window's focus on a widget
   * being destroyed: the focus moves to the row's replacement instead. */
  focused = focused_row (self);
  if (focused != NULL)
    gtk_root_set_focus (gtk_widget_get_root (GTK_WIDGET (self)), NULL);
  g_ptr_array_set_size (self->rows, 0);

  self->building = TRUE;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      const char *username, *role;
      gboolean disabled;
      StaffRow *row;

      if (!read_staff (json_array_get_element (data, i), &username, &role, &disabled))
        {
          g_info ("Skipped a staff entry that is not one");
          continue;
        }
      row = add_row (self, username, role, disabled);
      g_ptr_array_add (self->rows, row);
      if (g_ptr_array_find_with_equal_func (expanded, username, g_str_equal, NULL))
        adw_expander_row_set_expanded (row->row, TRUE);
      if (g_strcmp0 (focused, username) == 0)
        gtk_widget_grab_focus (GTK_WIDGET (row->row));
    }
  self->building = FALSE;
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TillStaffPage) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *answer;
  JsonNode *data;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  update_busy (self);

  answer = response ? till_backend_response_get_object (response) : NULL;
  data = answer ? json_object_get_member (answer, "data") : NULL;
  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data))
    {
      g_info ("The staff list could not be read: %s", error ? error->message : "not a list");
      show_error (self, _("The staff list could not be read. Check the network and try again."));
      return;
    }
  show_list (self, json_node_get_array (data));
}

void
till_staff_page_reload (TillStaffPage *self)
{
  g_return_if_fail (TILL_IS_STAFF_PAGE (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->session == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  till_session_request_async (self->session, "GET", "/api/staff", NULL, NULL, self->cancellable,
                              list_cb, g_object_ref (self));
  update_busy (self);
}

/* Changes */

typedef struct
{
  TillStaffPage *page;
  char          *username;
  JsonNode      *body;
  gboolean       adding;
} Change;

static void
change_free (Change *change)
{
  /* A password sent stays nowhere once its answer is in. */
  till_json_wipe_string (json_node_get_object (change->body), "password");
  json_node_unref (change->body);
  g_object_unref (change->page);
  g_free (change->username);
  g_free (change);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Change, change_free)

/* The server's reason, in words. */
static char *
change_error_text (TillBackendResponse *response,
                   const GError        *error,
                   const char          *username)
{
  const char *code = response ? till_backend_response_get_error_code (response) : NULL;
  JsonObject *answer = response ? till_backend_response_get_object (response) : NULL;
  JsonObject *error_object = answer ? till_answer_get_object (answer, "error") : NULL;
  const char *param = NULL;

  if (error_object != NULL)
    till_answer_get_string (error_object, "param", 64, FALSE, &param, NULL);

  /* Translators: in each of these, %s is a user name */
  if (g_strcmp0 (code, "last_manager") == 0)
    return g_strdup_printf (_("%s is the last manager who can sign in. Make someone else a manager "
                              "first."), username);
  if (g_strcmp0 (code, "username_taken") == 0)
    return g_strdup_printf (_("There is already an account named %s."), username);
  if (g_strcmp0 (code, "user_not_found") == 0 || g_strcmp0 (code, "not_found") == 0)
    return g_strdup_printf (_("There is no account named %s."), username);
  if (g_strcmp0 (code, "forbidden") == 0)
    return g_strdup (_("Only a manager can change staff accounts."));
  if ((g_strcmp0 (code, "invalid_field") == 0 || g_strcmp0 (code, "missing_field") == 0) &&
      g_strcmp0 (param, "username") == 0)
    return g_strdup (_("A username has at most 64 characters, and no spaces."));
  if ((g_strcmp0 (code, "invalid_field") == 0 || g_strcmp0 (code, "missing_field") == 0) &&
      g_strcmp0 (param, "password") == 0)
    return g_strdup (_("A password has at least 8 characters."));
  if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
    return g_strdup (_("Your session has ended. Sign in again."));
  return g_strdup (_("The change could not be made. Check the network and try again."));
}

static void
change_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Change) change = user_data;
  TillStaffPage *self = change->page;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  response = till_session_request_finish (TILL_SESSION (object), result, &error_response, &error);
  self->changing--;
  if (response != NULL)
    {
      show_error (self, NULL);
      if (change->adding)
        {
          gtk_editable_set_text (GTK_EDITABLE (self->new_username_row), "");
          gtk_editable_set_text (GTK_EDITABLE (self->new_password_row), "");
          gtk_editable_set_text (GTK_EDITABLE (self->new_password_again_row), "");
          /* The form stays open, empty, for the next one. */
          gtk_widget_grab_focus (GTK_WIDGET (self->new_username_row));
        }
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = change_error_text (error_response, error, change->username);

      g_info ("A staff change for %s failed: %s", change->username, error->message);
      show_error (self, text);
    }
  update_busy (self);
  till_staff_page_reload (self);
}

static char *
user_path (const char *username,
           const char *tail)
{
  g_autofree char *escaped = g_uri_escape_string (username, NULL, FALSE);

  return g_strconcat ("/api/staff/", escaped, tail, NULL);
}

/* One change: to the account username (tail: what follows its path), or,
 * with adding, a new account of that name. */
static void
send_change (TillStaffPage *self,
             const char    *method,
             const char    *username,
             const char    *tail,
             JsonNode      *body,
             gboolean       adding)
{
  g_autofree char *path = adding ? g_strdup ("/api/staff") : user_path (username, tail);
  Change *change = g_new0 (Change, 1);

  change->page = g_object_ref (self);
  change->username = g_strdup (username);
  change->body = json_node_ref (body);
  change->adding = adding;
  self->changing++;
  update_busy (self);
  till_session_request_async (self->session, method, path, NULL, body, NULL, change_cb, change);
}

static JsonNode *
body_of (const char *first_name,
         ...)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  va_list args;

  json_builder_begin_object (builder);
  va_start (args, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      json_builder_set_member_name (builder, name);
      json_builder_add_string_value (builder, va_arg (args, const char *));
    }
  va_end (args);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* A password the server will take, typed the same twice; or why not. */
static const char *
password_problem (const char *password,
                  const char *again)
{
  if (g_utf8_strlen (password, -1) < PASSWORD_MIN || strlen (password) > PASSWORD_MAX)
    return _("A password has at least 8 characters.");
  if (!g_str_equal (password, again))
    return _("The two passwords are not the same.");
  return NULL;
}

static void
set_role_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TillStaffPage *self = TILL_STAFF_PAGE (widget);
  g_autoptr(JsonNode) body = NULL;
  const char *username, *role;

  g_variant_get (parameter, "(&s&s)", &username, &role);
  if (self->session == NULL || !g_strv_contains (roles, role))
    return;
  body = body_of ("role", role, NULL);
  send_change (self, "PATCH", username, "", body, FALSE);
}

static void
set_disabled_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TillStaffPage *self = TILL_STAFF_PAGE (widget);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) body = json_node_alloc ();
  const char *username;
  gboolean disabled;

  g_variant_get (parameter, "(&sb)", &username, &disabled);
  if (self->session == NULL)
    return;
  json_object_set_boolean_member (object, "disabled", disabled);
  json_node_init_object (body, object);
  send_change (self, "PATCH", username, "", body, FALSE);
}

static void
reset_password_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  TillStaffPage *self = TILL_STAFF_PAGE (widget);
  const char *username = g_variant_get_string (parameter, NULL);
  StaffRow *row = find_row (self, username);
  g_autoptr(JsonNode) body = NULL;
  const char *password, *again, *problem;

  if (self->session == NULL || row == NULL)
    return;
  password = gtk_editable_get_text (GTK_EDITABLE (row->password_row));
  again = gtk_editable_get_text (GTK_EDITABLE (row->password_again_row));
  problem = password_problem (password, again);
  if (problem != NULL)
    {
      show_error (self, problem);
      return;
    }
  body = body_of ("password", password, NULL);
  send_change (self, "POST", username, "/password", body, FALSE);
  /* The body has the only copy now. */
  gtk_editable_set_text (GTK_EDITABLE (row->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (row->password_again_row), "");
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  TillStaffPage *self = TILL_STAFF_PAGE (widget);
  const char *username = gtk_editable_get_text (GTK_EDITABLE (self->new_username_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->new_password_row));
  const char *again = gtk_editable_get_text (GTK_EDITABLE (self->new_password_again_row));
  guint role = adw_combo_row_get_selected (self->new_role_row);
  g_autoptr(JsonNode) body = NULL;
  const char *problem;

  if (self->session == NULL)
    return;
  if (*username == '\0' || strpbrk (username, " \t") != NULL)
    problem = _("Type a username without spaces.");
  else
    problem = password_problem (password, again);
  if (problem != NULL)
    {
      show_error (self, problem);
      return;
    }
  body = body_of ("username", username, "password", password,
                  "role", roles[MIN (role, G_N_ELEMENTS (roles) - 1)], NULL);
  send_change (self, "POST", username, NULL, body, TRUE);
}

static void
add_changed_cb (TillStaffPage *self)
{
  if (self->error != NULL && self->changing == 0)
    show_error (self, NULL);
}

/* Return moves on to the next empty field, and adds from the last one. */
static void
add_activated_cb (TillStaffPage *self)
{
  GtkWidget *fields[] = { GTK_WIDGET (self->new_username_row), GTK_WIDGET (self->new_password_row),
                          GTK_WIDGET (self->new_password_again_row) };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (*gtk_editable_get_text (GTK_EDITABLE (fields[i])) == '\0')
      {
        gtk_widget_grab_focus (fields[i]);
        return;
      }
  gtk_widget_activate_action (GTK_WIDGET (self), "staff.add", NULL);
}

/* Opens the form to add an account, with the cursor in its first field. */
void
till_staff_page_start_adding (TillStaffPage *self)
{
  g_return_if_fail (TILL_IS_STAFF_PAGE (self));

  adw_expander_row_set_expanded (self->add_row, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->new_username_row));
}

void
till_staff_page_set_session (TillStaffPage *self,
                             TillSession   *session)
{
  g_return_if_fail (TILL_IS_STAFF_PAGE (self));
  g_return_if_fail (session == NULL || TILL_IS_SESSION (session));

  if (!g_set_object (&self->session, session))
    return;
  /* The list the last session asked for is not this one's to show. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  update_busy (self);
  g_ptr_array_set_size (self->rows, 0);
  show_error (self, NULL);
  if (session != NULL && till_session_is_manager (session) && gtk_widget_get_mapped (GTK_WIDGET (self)))
    till_staff_page_reload (self);
}

/* Shown: what the server holds now. */
static void
till_staff_page_map (GtkWidget *widget)
{
  TillStaffPage *self = TILL_STAFF_PAGE (widget);

  GTK_WIDGET_CLASS (till_staff_page_parent_class)->map (widget);
  if (self->session != NULL && till_session_is_manager (self->session))
    till_staff_page_reload (self);
}

const char *
till_staff_page_get_error (TillStaffPage *self)
{
  return self->error;
}

gboolean
till_staff_page_get_busy (TillStaffPage *self)
{
  return self->changing > 0 || self->cancellable != NULL;
}

const char *
till_staff_page_describe (TillStaffPage *self,
                          const char    *username)
{
  StaffRow *row = find_row (self, username);

  return row ? row->subtitle : NULL;
}

GtkEditable *
till_staff_page_get_password_field (TillStaffPage *self,
                                    const char    *username,
                                    gboolean       again)
{
  StaffRow *row = find_row (self, username);

  if (row == NULL)
    return NULL;
  return GTK_EDITABLE (again ? row->password_again_row : row->password_row);
}

static void
till_staff_page_dispose (GObject *object)
{
  TillStaffPage *self = (TillStaffPage *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_weak_pointer (&self->described);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_STAFF_PAGE);

  G_OBJECT_CLASS (till_staff_page_parent_class)->dispose (object);
}

static void
till_staff_page_finalize (GObject *object)
{
  TillStaffPage *self = (TillStaffPage *)object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (till_staff_page_parent_class)->finalize (object);
}

static void
till_staff_page_class_init (TillStaffPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_staff_page_dispose;
  object_class->finalize = till_staff_page_finalize;
  widget_class->map = till_staff_page_map;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-staff-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, staff_group);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, add_row);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, new_username_row);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, new_password_row);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, new_password_again_row);
  gtk_widget_class_bind_template_child (widget_class, TillStaffPage, new_role_row);
  gtk_widget_class_bind_template_callback (widget_class, add_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_activated_cb);

  gtk_widget_class_install_action (widget_class, "staff.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "staff.set-role", "(ss)", set_role_action);
  gtk_widget_class_install_action (widget_class, "staff.set-disabled", "(sb)", set_disabled_action);
  gtk_widget_class_install_action (widget_class, "staff.reset-password", "s", reset_password_action);
}

static void
till_staff_page_init (TillStaffPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_name_password_row (self->new_password_row);
  till_a11y_name_password_row (self->new_password_again_row);
  self->rows = g_ptr_array_new_with_free_func (staff_row_free);
}
