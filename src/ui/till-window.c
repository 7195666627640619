/* till-window.c: the terminal's one window
 *
 * A shell that follows a TillAccess: the sign-in form, the restoring page
 * or the signed-in shell, with the lock page above them all. The flows
 * (sign in, restore, lock, unlock, switch cashier, sign out) run in the
 * access object; the window passes on what the cashier typed and shows
 * the state it is told. The shell is a leaflet of pages (till-window.ui):
 * a sidebar beside a stack whose first page is the charge screen. Which
 * pages a signed-in cashier sees depends on the role (manager_pages
 * below), set again whenever the cashier changes.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-window"

#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-access.h"
#include "till-approval-dialog.h"
#include "till-audit-page.h"
#include "till-charge-page.h"
#include "till-day-totals-page.h"
#include "till-history-page.h"
#include "till-receipt.h"
#include "till-refund-dialog.h"
#include "till-staff-page.h"
#include "till-window-private.h"

/* The shell's pages only a manager sees, by their names in the stack. A
 * page not named here is everyone's. */
static const char *const manager_pages[] = { "day-totals", "staff", "audit" };

struct _TillWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  GtkStack             *root_stack;
  GtkStack             *main_stack;
  AdwWindowTitle       *window_title;
  GtkButton            *lock_button;
  GtkWidget            *shell_back_button;
  AdwToastOverlay      *toast_overlay;
  TillSignInPage       *sign_in_page;
  AdwStatusPage        *restoring_page;
  GtkSpinner           *restoring_spinner;
  GtkButton            *cancel_restore_button;
  AdwLeaflet           *shell;
  GtkWidget            *shell_sidebar;
  GtkWidget            *stack_sidebar;
  GtkStack             *shell_stack;
  TillChargePage       *charge_page;
  TillStaffPage        *staff_page;
  TillAuditPage        *audit_page;
  TillHistoryPage      *history_page;
  TillDayTotalsPage    *day_totals_page;
  TillLockPage         *lock_page;

  /* owned references */
  GSettings            *settings;
  TillAccess           *access;
  GtkSelectionModel    *shell_pages;
  guint                 navigation_source;  /* idle for update_shell_navigation */

  /* state */
  char                 *last_notice;
  TillAccessState       shown_state;  /* what the pages were last set up for */
  TillApprovalDialog   *approval;     /* weak: the kiosk's question on show */
  gboolean              quit_approved;
  gboolean              fullscreen_released;  /* a manager let it leave full screen */
};

G_DEFINE_FINAL_TYPE (TillWindow, till_window, ADW_TYPE_APPLICATION_WINDOW)

static void
toast (TillWindow *self,
       const char *message)
{
  g_free (self->last_notice);
  self->last_notice = g_strdup (message);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static gboolean
is_locked (TillWindow *self)
{
  TillAccessState state = till_access_get_state (self->access);

  return state == TILL_ACCESS_LOCKED || state == TILL_ACCESS_UNLOCKING;
}

static void
set_app_action_enabled (TillWindow *self,
                        const char *name,
                        gboolean    enabled)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GAction *action = app ? g_action_map_lookup_action (G_ACTION_MAP (app), name) : NULL;

  if (G_IS_SIMPLE_ACTION (action))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void update_shell_navigation (TillWindow *self);
static void kiosk_back_to_fullscreen (TillWindow *self);

static void
update_header (TillWindow *self)
{
  TillAccessState state = till_access_get_state (self->access);
  gboolean signed_in = till_access_get_signed_in (self->access);
  gboolean working = state == TILL_ACCESS_SIGNED_IN;
  g_autofree char *subtitle = NULL;

  if (signed_in)
    {
      const char *name = till_access_get_username (self->access);

      subtitle = till_access_is_manager (self->access)
        ? g_strdup_printf (_("%s, manager"), name)
        : g_strdup_printf (_("%s, cashier"), name);
    }

  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
  gtk_widget_set_visible (GTK_WIDGET (self->lock_button), signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.lock", signed_in && working);
  /* Nothing but unlocking works on a locked terminal. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", signed_in && working);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.cancel-sign-in", state == TILL_ACCESS_RESTORING);
  set_app_action_enabled (self, "preferences", !is_locked (self));
  set_app_action_enabled (self, "forget-sign-in", !is_locked (self));
  update_shell_navigation (self);
}

/* Pages */

static void
prefill_sign_in (TillWindow *self)
{
  g_autofree char *server = till_access_dup_server_url (self->access);
  g_autofree char *username = till_access_dup_last_username (self->access);

  if (*till_sign_in_page_get_server (self->sign_in_page) == '\0')
    till_sign_in_page_set_server (self->sign_in_page, server);
  if (*till_sign_in_page_get_username (self->sign_in_page) == '\0')
    till_sign_in_page_set_username (self->sign_in_page, username);
  /* A saved password stays saved unless the cashier says otherwise. */
  till_sign_in_page_set_remember (self->sign_in_page, till_access_get_remembered (self->access));
}

/* A dialog of this window's, which is none of the application's windows:
 * the refund dialog (with the session of whoever opened it) and message
 * dialogs such as the receipt's. */
static GtkWindow *
find_dialog (TillWindow *self)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();

  for (GList *l = windows; l != NULL; l = l->next)
    if (gtk_window_get_transient_for (l->data) == GTK_WINDOW (self) &&
        (TILL_IS_REFUND_DIALOG (l->data) || TILL_IS_APPROVAL_DIALOG (l->data) ||
         ADW_IS_MESSAGE_DIALOG (l->data)))
      return l->data;
  return NULL;
}

/* The dialogs of the person who was at the till, and those on their way,
 * go when they do. */
static void
close_dialogs (TillWindow *self)
{
  GtkWindow *dialog;

  till_receipt_cancel (GTK_WINDOW (self));
  /* One at a time: destroying one may take others with it. */
  while ((dialog = find_dialog (self)) != NULL)
    gtk_window_destroy (dialog);
}

/* Preferences and dialogs do not stay open over a locked terminal. */
static void
close_other_windows (TillWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autoptr(GList) windows = app ? g_list_copy (gtk_application_get_windows (app)) : NULL;

  for (GList *l = windows; l != NULL; l = l->next)
    if (l->data != (gpointer) self)
      gtk_window_destroy (l->data);
  close_dialogs (self);
}

static void
show_sign_in (TillWindow      *self,
              TillAccessState  previous)
{
  const char *error = till_access_get_error (self->access);

  /* Signed out: nothing of theirs comes up over the form. */
  if (previous == TILL_ACCESS_SIGNING_OUT || previous == TILL_ACCESS_SIGNED_IN)
    {
      close_dialogs (self);
      kiosk_back_to_fullscreen (self);
    }
  gtk_spinner_set_spinning (self->restoring_spinner, FALSE);
  /* Back from elsewhere than the form: fill it in afresh. */
  if (previous != TILL_ACCESS_SIGNED_OUT && previous != TILL_ACCESS_SIGNING_IN)
    prefill_sign_in (self);
  /* A try that failed empties the password; a form left incomplete keeps it. */
  if (previous != TILL_ACCESS_SIGNED_OUT)
    till_sign_in_page_clear_password (self->sign_in_page);
  till_sign_in_page_set_state (self->sign_in_page, error ? TILL_FORM_ERROR : TILL_FORM_IDLE, error);
  gtk_stack_set_visible_child_name (self->root_stack, "content");
  gtk_stack_set_visible_child_name (self->main_stack, "sign-in");
  till_sign_in_page_focus (self->sign_in_page);
}

static void
show_restoring (TillWindow *self)
{
  g_autofree char *title = g_strdup_printf (_("Signing in as %s…"), till_access_get_username (self->access));

  adw_status_page_set_title (self->restoring_page, title);
  gtk_spinner_set_spinning (self->restoring_spinner, TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "restoring");
  gtk_widget_grab_focus (GTK_WIDGET (self->cancel_restore_button));
}

static void
show_shell (TillWindow      *self,
            TillAccessState  previous)
{
  if (previous == TILL_ACCESS_LOCKED || previous == TILL_ACCESS_UNLOCKING)
    {
      till_lock_page_clear_passwords (self->lock_page);
      till_lock_page_set_state (self->lock_page, TILL_FORM_IDLE, NULL);
      gtk_stack_set_visible_child_name (self->root_stack, "content");
    }
  gtk_stack_set_visible_child_name (self->main_stack, "shell");
  gtk_spinner_set_spinning (self->restoring_spinner, FALSE);
  till_sign_in_page_clear_password (self->sign_in_page);
  till_sign_in_page_set_state (self->sign_in_page, TILL_FORM_IDLE, NULL);
}

static void
show_lock (TillWindow      *self,
           TillAccessState  previous)
{
  const char *name = till_access_get_username (self->access);
  gboolean ended = till_access_get_session_ended (self->access);
  g_autofree char *description = NULL;

  /* Already locked: a try failed. */
  if (previous == TILL_ACCESS_LOCKED || previous == TILL_ACCESS_UNLOCKING)
    {
      const char *error = till_access_get_error (self->access);

      if (error != NULL)
        till_lock_page_set_state (self->lock_page, TILL_FORM_ERROR, error);
      return;
    }

  if (ended)
    description = g_strdup_printf (_("The session of %s ended. Type the password to carry on "
                                     "where you left off."), name);
  else
    description = g_strdup_printf (_("Signed in as %s. Type the password to unlock."), name);

  close_other_windows (self);
  kiosk_back_to_fullscreen (self);
  gtk_stack_set_visible_child_name (self->root_stack, "locked");
  gtk_widget_grab_focus (GTK_WIDGET (self->lock_page));
  till_lock_page_reset (self->lock_page, ended ? _("Sign In Again") : _("Locked"), description);
}

/* "state" or "error" changed: set the pages up for it. */
static void
access_state_cb (TillWindow *self)
{
  TillAccessState state = till_access_get_state (self->access);
  TillAccessState previous = self->shown_state;

  self->shown_state = state;
  switch (state)
    {
    case TILL_ACCESS_SIGNED_OUT:
      show_sign_in (self, previous);
      break;
    case TILL_ACCESS_SIGNING_IN:
      till_sign_in_page_set_state (self->sign_in_page, TILL_FORM_BUSY, NULL);
      break;
    case TILL_ACCESS_RESTORING:
      show_restoring (self);
      break;
    case TILL_ACCESS_SIGNED_IN:
      show_shell (self, previous);
      break;
    case TILL_ACCESS_SIGNING_OUT:
      break;
    case TILL_ACCESS_LOCKED:
      show_lock (self, previous);
      break;
    case TILL_ACCESS_UNLOCKING:
      till_lock_page_set_state (self->lock_page, TILL_FORM_BUSY, NULL);
      break;
    default:
      g_assert_not_reached ();
    }
  update_header (self);
}

static void
access_remembered_cb (TillWindow *self)
{
  till_sign_in_page_set_remember (self->sign_in_page, till_access_get_remembered (self->access));
}

static void
access_notice_cb (TillWindow *self,
                  const char *text)
{
  toast (self, text);
}

static void apply_role (TillWindow *self);

/* Whoever signs in (or takes over, or comes back) starts on the charge
 * screen, with the pages of their role. */
static void
session_started_cb (TillWindow  *self,
                    TillSession *session)
{
  till_charge_page_start (self->charge_page, session);
  till_staff_page_set_session (self->staff_page, session);
  till_audit_page_set_session (self->audit_page, session);
  till_history_page_start (self->history_page, session);
  apply_role (self);
  gtk_stack_set_visible_child_name (self->shell_stack, "charge");
  adw_leaflet_set_visible_child (self->shell, GTK_WIDGET (self->shell_stack));
  till_day_totals_page_set_session (self->day_totals_page, session);
}

/* The charge screen answers the flows' questions. */
static gboolean
sale_open_cb (gpointer user_data)
{
  return till_charge_page_has_open_sale (TILL_WINDOW (user_data)->charge_page);
}

static gboolean
payment_busy_cb (gpointer user_data)
{
  return till_charge_page_is_busy (TILL_WINDOW (user_data)->charge_page);
}

static void
charge_notice_cb (TillWindow     *self,
                  const char     *text,
                  TillChargePage *page)
{
  toast (self, text);
}

static void
charge_configured_cb (TillWindow     *self,
                      TillChargePage *page)
{
  const char *name = till_charge_page_get_shop_name (page);

  adw_window_title_set_title (self->window_title, name && *name ? name : _("Till"));
  till_audit_page_set_currency (self->audit_page, till_charge_page_get_currency (page));
}

/* The history's buttons: the refund dialog and the receipt, over the
 * window. A refund changes the payment, which the history shows again. */
static void
history_refund_requested_cb (TillWindow      *self,
                             JsonObject      *payment,
                             TillHistoryPage *page)
{
  TillSession *session = till_window_get_session (self);
  TillRefundDialog *dialog;

  if (session == NULL)
    return;
  dialog = till_refund_dialog_new (session, payment);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_signal_connect_object (dialog, "refunded", G_CALLBACK (till_history_page_payment_changed), page,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
history_receipt_requested_cb (TillWindow      *self,
                              JsonObject      *payment,
                              TillHistoryPage *page)
{
  TillSession *session = till_window_get_session (self);

  if (session != NULL)
    till_receipt_present (GTK_WINDOW (self), session, payment);
}

/* The shell */

static gboolean
is_manager_page (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (manager_pages); i++)
    if (g_strcmp0 (name, manager_pages[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The back button to the sidebar: only where the sidebar is hidden for
 * the page, on a narrow window, and there is more than one page. */
static void
update_shell_navigation (TillWindow *self)
{
  gboolean in_shell = g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "shell") == 0 &&
                      g_strcmp0 (gtk_stack_get_visible_child_name (self->root_stack), "content") == 0;

  /* Folded, the sidebar has the window's width to itself. */
  gtk_widget_set_hexpand (self->stack_sidebar, adw_leaflet_get_folded (self->shell));
  gtk_widget_set_visible (self->shell_back_button,
                          in_shell && adw_leaflet_get_folded (self->shell) &&
                          gtk_widget_get_visible (self->shell_sidebar) &&
                          adw_leaflet_get_visible_child (self->shell) == GTK_WIDGET (self->shell_stack));
}

static gboolean
navigation_idle_cb (gpointer user_data)
{
  TillWindow *self = user_data;

  self->navigation_source = 0;
  update_shell_navigation (self);
  return G_SOURCE_REMOVE;
}

/* The leaflet folds while it is allocated: the header bar's button is
 * shown or hidden after that, not in the middle of it (GTK would draw the
 * header bar before it has its new size). */
static void
shell_layout_changed_cb (TillWindow *self)
{
  if (self->navigation_source == 0)
    self->navigation_source = g_idle_add (navigation_idle_cb, self);
}

/* Each page is shown or hidden for the cashier's role; one page needs no
 * sidebar. Signed out, only everyone's pages are there. */
static void
apply_role (TillWindow *self)
{
  GListModel *pages = G_LIST_MODEL (self->shell_pages);
  gboolean manager = self->access != NULL && till_access_is_manager (self->access);
  guint n_visible = 0;

  for (guint i = 0; i < g_list_model_get_n_items (pages); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (pages, i);
      GtkStackPage *page = GTK_STACK_PAGE (item);
      gboolean visible = manager || !is_manager_page (gtk_stack_page_get_name (page));

      gtk_stack_page_set_visible (page, visible);
      n_visible += visible;
    }
  /* A page the new cashier may not see is not left on show. */
  if (!gtk_widget_get_visible (gtk_stack_get_visible_child (self->shell_stack)))
    gtk_stack_set_visible_child_name (self->shell_stack, "charge");
  gtk_widget_set_visible (self->shell_sidebar, n_visible > 1);
  update_shell_navigation (self);
}

static void
shell_pages_changed_cb (TillWindow *self)
{
  apply_role (self);
}

/* A page chosen in the sidebar of a narrow window comes into view. */
static void
shell_page_chosen_cb (TillWindow *self)
{
  if (adw_leaflet_get_folded (self->shell))
    adw_leaflet_set_visible_child (self->shell, GTK_WIDGET (self->shell_stack));
}

static void
show_pages_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  adw_leaflet_set_visible_child (self->shell, self->shell_sidebar);
}

/* Alt+1, Alt+2…: the page at that place in the sidebar, with the focus in
 * it. The keyboard's way to a page: Tab through the sidebar shows every
 * page on the way (its selection follows the focus), and leads into the
 * last one. */
static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);
  GListModel *pages = G_LIST_MODEL (self->shell_pages);
  int wanted = g_variant_get_int32 (parameter);
  int place = 0;

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "shell") != 0 || is_locked (self))
    return;

  for (guint i = 0; i < g_list_model_get_n_items (pages); i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (pages, i);
      GtkStackPage *page = GTK_STACK_PAGE (item);
      GtkWidget *child = gtk_stack_page_get_child (page);

      if (!gtk_stack_page_get_visible (page) || ++place != wanted)
        continue;
      gtk_stack_set_visible_child (self->shell_stack, child);
      shell_page_chosen_cb (self);
      gtk_widget_child_focus (child, GTK_DIR_TAB_FORWARD);
      return;
    }
}

/* What the cashier asks for */

static void
sign_in_requested_cb (TillWindow     *self,
                      TillSignInPage *page)
{
  till_access_sign_in_async (self->access,
                             till_sign_in_page_get_server (page),
                             till_sign_in_page_get_username (page),
                             till_sign_in_page_get_password (page),
                             till_sign_in_page_get_remember (page),
                             NULL, NULL);
}

static void
unlock_requested_cb (TillWindow   *self,
                     TillLockPage *page)
{
  till_access_unlock_async (self->access, till_lock_page_get_password (page), NULL, NULL);
}

static void
switch_user_requested_cb (TillWindow   *self,
                          TillLockPage *page)
{
  till_access_switch_cashier_async (self->access,
                                    till_lock_page_get_other_username (page),
                                    till_lock_page_get_other_password (page),
                                    NULL, NULL);
}

static void
cancel_sign_in_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  till_access_cancel_restore (TILL_WINDOW (widget)->access);
}

static void
lock_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  till_access_lock (TILL_WINDOW (widget)->access);
}

static void
sign_out_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GApplication) app = user_data;

  /* Refused (a sale is open) or done: the access object told the cashier. */
  till_access_sign_out_finish (TILL_ACCESS (object), result, NULL);
  g_application_release (app);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  /* The app stays up until the server has heard of it (or given up), even
   * if the window closes meanwhile. */
  g_application_hold (app);
  till_access_sign_out_async (self->access, sign_out_done_cb, g_object_ref (app));
}

void
till_window_forget_sign_in (TillWindow *self)
{
  g_return_if_fail (TILL_IS_WINDOW (self));

  till_access_forget_sign_in_async (self->access, NULL, NULL);
}

/* Keys typed on a locked terminal reach the lock page and nothing else,
 * whatever grabs the focus under it (the card page's web view does when
 * its page loads). */
static void
focus_changed_cb (TillWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (is_locked (self) && focus != NULL && focus != GTK_WIDGET (self->lock_page) &&
      !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->lock_page)))
    gtk_widget_grab_focus (GTK_WIDGET (self->lock_page));
}

/* Idle lock: the access object decides; the window tells it of input. */

static void
activity_cb (TillWindow *self)
{
  till_access_note_activity (self->access);
}

static gboolean
key_pressed_cb (TillWindow      *self,
                guint            keyval,
                guint            keycode,
                GdkModifierType  state)
{
  activity_cb (self);
  return GDK_EVENT_PROPAGATE;
}

static void
watch_activity (TillWindow *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkGesture *clicks = gtk_gesture_click_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();

  /* Capture phase: every key and click counts, whichever widget takes it. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (clicks), GTK_PHASE_CAPTURE);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (clicks), 0);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect_swapped (clicks, "pressed", G_CALLBACK (activity_cb), self);
  g_signal_connect_swapped (motion, "motion", G_CALLBACK (activity_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (clicks));
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

/* Kiosk mode: full screen, and leaving it, quitting and Preferences wait
 * for a manager's approval, which the shop's server gives
 * (till-approval-dialog.c). */

static gboolean
in_kiosk (TillWindow *self)
{
  return g_settings_get_boolean (self->settings, "kiosk");
}

typedef struct
{
  TillWindow            *window;
  TillWindowApprovedFunc approved;
  gpointer               user_data;
} ApprovalWait;

static void
approval_wait_free (ApprovalWait *wait)
{
  g_clear_object (&wait->window);
  g_free (wait);
}

/* Once the dialog is gone: what was approved may close this window (a
 * quit), which must not happen under the dialog's feet. A window closed
 * meanwhile has no application any more, and nothing is done. */
static gboolean
run_approved_cb (gpointer data)
{
  ApprovalWait *wait = data;

  if (gtk_window_get_application (GTK_WINDOW (wait->window)) != NULL)
    wait->approved (wait->window, wait->user_data);
  return G_SOURCE_REMOVE;
}

static void
approval_approved_cb (TillApprovalDialog *dialog,
                      const char         *approver,
                      ApprovalWait       *wait)
{
  ApprovalWait *run = g_new0 (ApprovalWait, 1);

  run->window = g_object_ref (wait->window);
  run->approved = wait->approved;
  run->user_data = wait->user_data;
  g_idle_add_full (G_PRIORITY_DEFAULT, run_approved_cb, run, (GDestroyNotify) approval_wait_free);
}

/**
 * till_window_ask_approval:
 * @self: the terminal's window
 * @action: one of the TILL_APPROVAL_ actions
 * @approved: called once a manager approved, never otherwise
 * @user_data: for @approved
 *
 * Asks for a manager's approval of @action over the window; one question
 * at a time: while one is open, it is shown again instead.
 */
void
till_window_ask_approval (TillWindow             *self,
                          const char             *action,
                          TillWindowApprovedFunc  approved,
                          gpointer                user_data)
{
  TillApprovalDialog *dialog;
  ApprovalWait *wait;

  g_return_if_fail (TILL_IS_WINDOW (self));

  if (self->approval != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->approval));
      return;
    }
  dialog = till_approval_dialog_new (self->settings, action);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_set_weak_pointer (&self->approval, dialog);
  wait = g_new0 (ApprovalWait, 1);
  wait->window = self;
  wait->approved = approved;
  wait->user_data = user_data;
  g_signal_connect_data (dialog, "approved", G_CALLBACK (approval_approved_cb), wait,
                         (GClosureNotify) (void (*) (void)) g_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
kiosk_changed_cb (TillWindow *self)
{
  self->fullscreen_released = FALSE;
  if (in_kiosk (self))
    gtk_window_fullscreen (GTK_WINDOW (self));
  else
    gtk_window_unfullscreen (GTK_WINDOW (self));
}

/* Out of full screen by other means than an approval (the window
 * manager's keys, another program): back in. */
static void
fullscreened_cb (TillWindow *self)
{
  if (in_kiosk (self) && !self->fullscreen_released && !gtk_window_is_fullscreen (GTK_WINDOW (self)))
    gtk_window_fullscreen (GTK_WINDOW (self));
}

/* A manager let the window out of full screen for what they came to do,
 * not for whoever comes after them: once the terminal locks or is signed
 * out of, a kiosk fills the screen again. */
static void
kiosk_back_to_fullscreen (TillWindow *self)
{
  if (!in_kiosk (self) || !self->fullscreen_released)
    return;
  self->fullscreen_released = FALSE;
  gtk_window_fullscreen (GTK_WINDOW (self));
}

static void
leave_approved_cb (TillWindow *self,
                   gpointer    user_data)
{
  self->fullscreen_released = TRUE;
  gtk_window_unfullscreen (GTK_WINDOW (self));
}

static void
fullscreen_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (!gtk_window_is_fullscreen (GTK_WINDOW (self)))
    {
      self->fullscreen_released = FALSE;
      gtk_window_fullscreen (GTK_WINDOW (self));
    }
  else if (in_kiosk (self))
    till_window_ask_approval (self, TILL_APPROVAL_LEAVE_FULLSCREEN, leave_approved_cb, NULL);
  else
    gtk_window_unfullscreen (GTK_WINDOW (self));
}

/* Quitting closes every window (app.quit), this one last. */
static void
quit_approved_cb (TillWindow *self,
                  gpointer    user_data)
{
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  self->quit_approved = TRUE;
  if (app != NULL)
    g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  else
    gtk_window_close (GTK_WINDOW (self));
}

/* Window */

static void
follow_access (TillWindow *self)
{
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);

  self->access = till_access_new (self->settings, store);
  till_access_set_sale_funcs (self->access, sale_open_cb, payment_busy_cb, self);
  g_signal_connect_swapped (self->access, "notify::state", G_CALLBACK (access_state_cb), self);
  g_signal_connect_swapped (self->access, "notify::error", G_CALLBACK (access_state_cb), self);
  g_signal_connect_swapped (self->access, "notify::signed-in", G_CALLBACK (update_header), self);
  g_signal_connect_swapped (self->access, "notify::username", G_CALLBACK (update_header), self);
  g_signal_connect_swapped (self->access, "notify::role", G_CALLBACK (update_header), self);
  g_signal_connect_swapped (self->access, "notify::remembered", G_CALLBACK (access_remembered_cb), self);
  g_signal_connect_swapped (self->access, "notice", G_CALLBACK (access_notice_cb), self);
  g_signal_connect_swapped (self->access, "session-started", G_CALLBACK (session_started_cb), self);
}

/* "application" is no construct property of GtkWindow, so the start-up
 * flow runs once it is set, from till_window_new(). */
static void
till_window_start (TillWindow      *self,
                   TillApplication *app)
{
  self->settings = g_object_ref (till_application_get_settings (app));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_signal_connect_object (self->settings, "changed::kiosk", G_CALLBACK (kiosk_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::fullscreened", G_CALLBACK (fullscreened_cb), NULL);
  if (in_kiosk (self))
    gtk_window_fullscreen (GTK_WINDOW (self));

  follow_access (self);
  watch_activity (self);
  g_signal_connect_object (self, "notify::focus-widget", G_CALLBACK (focus_changed_cb), self, G_CONNECT_SWAPPED);
  /* The card form's web process starts while the cashier signs in. */
  till_charge_page_prepare (self->charge_page);

  till_sign_in_page_follow_settings (self->sign_in_page, self->settings);
  prefill_sign_in (self);
  till_access_restore_async (self->access, NULL, NULL);
  /* With nothing to restore the state did not change: show the form. */
  access_state_cb (self);
}

static gboolean
till_window_close_request (GtkWindow *window)
{
  TillWindow *self = TILL_WINDOW (window);
  int width, height;

  if (in_kiosk (self) && !self->quit_approved)
    {
      till_window_ask_approval (self, TILL_APPROVAL_QUIT, quit_approved_cb, NULL);
      return TRUE;
    }

  /* An open sale may close with the window: the payment journal has it,
   * and the next start resolves it before the next sale. */

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  return GTK_WINDOW_CLASS (till_window_parent_class)->close_request (window);
}

static void
till_window_dispose (GObject *object)
{
  TillWindow *self = (TillWindow *)object;

  if (self->access != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->access, self);
      /* Flows under way hold the object: disposing it now cancels them
       * (all but a sign-out) rather than when the last one ends. */
      g_object_run_dispose (G_OBJECT (self->access));
      g_clear_object (&self->access);
    }
  g_clear_handle_id (&self->navigation_source, g_source_remove);
  g_clear_weak_pointer (&self->approval);
  /* The pages go with the template, and the sidebar before them. */
  if (self->shell_pages != NULL)
    g_signal_handlers_disconnect_by_data (self->shell_pages, self);
  g_clear_object (&self->shell_pages);

  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_WINDOW);

  G_OBJECT_CLASS (till_window_parent_class)->dispose (object);
}

static void
till_window_finalize (GObject *object)
{
  TillWindow *self = (TillWindow *)object;

  g_clear_pointer (&self->last_notice, g_free);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (till_window_parent_class)->finalize (object);
}

static void
till_window_class_init (TillWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = till_window_dispose;
  object_class->finalize = till_window_finalize;
  window_class->close_request = till_window_close_request;

  g_type_ensure (TILL_TYPE_SIGN_IN_PAGE);
  g_type_ensure (TILL_TYPE_LOCK_PAGE);
  g_type_ensure (TILL_TYPE_CHARGE_PAGE);
  g_type_ensure (TILL_TYPE_STAFF_PAGE);
  g_type_ensure (TILL_TYPE_AUDIT_PAGE);
  g_type_ensure (TILL_TYPE_HISTORY_PAGE);
  g_type_ensure (TILL_TYPE_DAY_TOTALS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TillWindow, root_stack);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, lock_button);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, shell_back_button);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, restoring_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, restoring_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, cancel_restore_button);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, shell);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, shell_sidebar);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, stack_sidebar);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, shell_stack);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, charge_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, staff_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, audit_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, history_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, day_totals_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, lock_page);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, unlock_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, switch_user_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, charge_notice_cb);
  gtk_widget_class_bind_template_callback (widget_class, charge_configured_cb);
  gtk_widget_class_bind_template_callback (widget_class, shell_layout_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, shell_page_chosen_cb);
  gtk_widget_class_bind_template_callback (widget_class, history_refund_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, history_receipt_requested_cb);

  gtk_widget_class_install_action (widget_class, "win.lock", NULL, lock_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-sign-in", NULL, cancel_sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.show-pages", NULL, show_pages_action);
  gtk_widget_class_install_action (widget_class, "win.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "i", show_page_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel-sign-in", NULL);
}

static void
till_window_init (TillWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_fix_mnemonics (GTK_WIDGET (self));

  self->shell_pages = gtk_stack_get_pages (self->shell_stack);
  g_signal_connect_swapped (self->shell_pages, "items-changed", G_CALLBACK (shell_pages_changed_cb), self);
  shell_pages_changed_cb (self);

  if (g_str_has_suffix (APP_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

TillWindow *
till_window_new (TillApplication *application)
{
  TillWindow *self = g_object_new (TILL_TYPE_WINDOW, "application", application, NULL);

  till_window_start (self, application);
  return self;
}

const char *
till_window_get_visible_page (TillWindow *self)
{
  const char *name;

  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->root_stack), "locked") == 0)
    return "locked";
  name = gtk_stack_get_visible_child_name (self->main_stack);
  if (g_strcmp0 (name, "shell") == 0)
    return gtk_stack_get_visible_child_name (self->shell_stack);
  return name;
}

/* The line under the title: who is signed in. */
const char *
till_window_get_status_text (TillWindow *self)
{
  return adw_window_title_get_subtitle (self->window_title);
}

/* The last passing notice (toast) the window showed, or NULL. */
const char *
till_window_get_last_notice (TillWindow *self)
{
  return self->last_notice;
}

TillSignInPage *
till_window_get_sign_in_page (TillWindow *self)
{
  return self->sign_in_page;
}

TillLockPage *
till_window_get_lock_page (TillWindow *self)
{
  return self->lock_page;
}

TillAccess *
till_window_get_access (TillWindow *self)
{
  return self->access;
}

TillSession *
till_window_get_session (TillWindow *self)
{
  return till_access_get_session (self->access);
}

TillChargePage *
till_window_get_charge_page (TillWindow *self)
{
  return self->charge_page;
}

TillStaffPage *
till_window_get_staff_page (TillWindow *self)
{
  return self->staff_page;
}

TillAuditPage *
till_window_get_audit_page (TillWindow *self)
{
  return self->audit_page;
}

void
till_window_show_page (TillWindow *self,
                       const char *name)
{
  gtk_stack_set_visible_child_name (self->shell_stack, name);
}

TillHistoryPage *
till_window_get_history_page (TillWindow *self)
{
  return self->history_page;
}

GtkStack *
till_window_get_shell_stack (TillWindow *self)
{
  return self->shell_stack;
}

/* The shell is narrow: the sidebar and the page take turns. */
gboolean
till_window_get_shell_folded (TillWindow *self)
{
  return adw_leaflet_get_folded (self->shell);
}

GtkWidget *
till_window_get_shell_back_button (TillWindow *self)
{
  return self->shell_back_button;
}
