/* test-a11y.c: what a screen reader finds in Till, and Till by keyboard alone
 *
 * Under Xvfb, in a private D-Bus session (which starts the AT-SPI bus on
 * demand) with a real keyring, against a real till-server and the Stripe
 * stand-in. GTK talks AT-SPI here (GTK_A11Y=atspi, see tests/meson.build).
 *
 * /a11y/pages shows each page in turn, as a real sale and a manager's
 * console get there, and has tests/till-a11y-walk read the window's AT-SPI
 * tree from a process of its own while this one's main loop answers. Every
 * interactive node must have a name a person can hear: not empty, not a
 * GTK class name, no mnemonic underscore, no words said twice. GTK 4.8
 * gives the nodes inside a window no "showing" state, and exposes the
 * hidden pages of a GtkStack too, so every node of the tree is checked,
 * whether on screen or not. Results and errors are checked as a screen
 * reader meets them: the alert that holds them, and the description of
 * what gets the focus. Each page's tree is saved as a11y-PAGE.txt in the
 * artifacts folder.
 *
 * /a11y/keyboard drives a whole sale and a refund with X key events alone:
 * no pointer, no call into the widgets but to read what they show.
 *
 * /a11y/shortcuts checks that the Keyboard Shortcuts window lists the keys
 * the charge screen really answers to.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <webkit/webkit.h>

#include "till-application.h"
#include "till-approval-dialog.h"
#include "till-charge-page-private.h"
#include "till-day-totals-page-private.h"
#include "till-history-page-private.h"
#include "till-preferences-window.h"
#include "till-refund-dialog-private.h"
#include "till-staff-page-private.h"
#include "till-test-harness.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define MORGAN_PASSWORD "morgan-password-1"

static TillApplication *app;
static TillTestServer *server;

/* Waiting */

typedef gboolean (*Condition) (gconstpointer data);static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}/* The AT-SPI tree, read by tests/till-a11y-walk */

typedef struct
{
  guint  depth;
  char  *role;
  char  *name;
  char  *states;
  char  *description;
} Node;

static void
node_free (Node *node)
{
  g_free (node->role);
  g_free (node->name);
  g_free (node->states);
  g_free (node->description);
  g_free (node);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Walk;

static void
walked_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  Walk *walk = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &walk->out, &walk->err, &walk->error);
  walk->done = TRUE;
}

static gboolean
walk_done (gconstpointer data)
{
  return ((const Walk *) data)->done;
}

/* The tree of this process's windows as the walker prints it, saved as
 * a11y-PAGE.txt; one Node per line. The walker runs while this main loop
 * answers its calls. */
static GPtrArray *
walk_tree (const char *page)
{
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *file = g_strdup_printf ("a11y-%s.txt", page);
  g_autofree char *path = till_test_artifact_path (file);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) walker = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  Walk walk = { FALSE, NULL, NULL, NULL };

  walker = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                             g_getenv ("TILL_A11Y_WALK"), pid, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (walker, NULL, NULL, walked_cb, &walk);
  /* About ten seconds a page on an idle machine: a call on the bus per
   * question, several per node, hundreds of nodes. */
  till_test_wait_until (walk_done, &walk, 240, "the AT-SPI walker");
  g_assert_no_error (walk.error);
  if (!g_subprocess_get_successful (walker))
    g_error ("till-a11y-walk failed on the %s page: %s", page, walk.err);

  g_file_set_contents (path, walk.out, -1, &error);
  g_assert_no_error (error);

  lines = g_strsplit (walk.out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 5);
      Node *node;

      if (g_strv_length (fields) != 5)
        continue;
      node = g_new0 (Node, 1);
      node->depth = (guint) g_ascii_strtoull (fields[0], NULL, 10);
      node->role = g_strdup (fields[1]);
      node->name = g_strdup (fields[2]);
      node->states = g_strdup (fields[3]);
      node->description = g_strdup (fields[4]);
      g_ptr_array_add (nodes, node);
    }
  g_free (walk.out);
  g_free (walk.err);
  g_assert_cmpuint (nodes->len, >, 10);
  return nodes;
}

/* What a person does something with, by AT-SPI's role names. */
static gboolean
is_interactive (const Node *node)
{
  static const char *roles[] = {
    "push button", "toggle button", "check box", "radio button", "text", "entry", "password text",
    "spin button", "combo box", "link", "slider", "switch", "menu item", "check menu item",
    "radio menu item", "list item", NULL
  };

  return g_strv_contains (roles, node->role);
}

/* The name a screen reader says. An unnamed list item is read by the text
 * of the labels in it (Orca does so), unless it only holds other rows or
 * controls, which are read themselves. */
static char *
spoken_name (GPtrArray *nodes,
             guint      index)
{
  const Node *node = g_ptr_array_index (nodes, index);
  g_autoptr(GString) text = NULL;

  if (*node->name != '\0' || !g_str_equal (node->role, "list item"))
    return g_strdup (node->name);

  text = g_string_new (NULL);
  for (guint i = index + 1; i < nodes->len; i++)
    {
      const Node *inner = g_ptr_array_index (nodes, i);

      if (inner->depth <= node->depth)
        break;
      if (is_interactive (inner))
        return NULL;
      if (g_str_equal (inner->role, "label") && *inner->name != '\0')
        g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "", inner->name);
    }
  return g_strdup (text->str);
}

/* Why name is no name for a person to hear, or NULL when it is one. */
static const char *
name_problem (const char *name)
{
  g_auto(GStrv) words = NULL;
  guint n;

  if (name == NULL)
    return NULL;
  if (*name == '\0')
    return "no name";
  if (g_regex_match_simple ("^(Gtk|Adw|Till|WebKit|Gdk)[A-Za-z]+$", name, 0, 0))
    return "a class name";
  if (strchr (name, '_') != NULL)
    return "a mnemonic underscore";

  words = g_strsplit (name, " ", -1);
  n = g_strv_length (words);
  for (guint i = 1; i < n; i++)
    {
      if (g_str_equal (words[i], words[i - 1]))
        return "a word said twice";
    }
  if (n >= 2 && n % 2 == 0)
    {
      gboolean same = TRUE;

      for (guint i = 0; i < n / 2 && same; i++)
        same = g_str_equal (words[i], words[i + n / 2]);
      if (same)
        return "its words said twice";
    }
  return NULL;
}

/* Every interactive node of the tree has a proper name: what is wrong is
 * added to problems, a line each. */
static void
check_names (GPtrArray  *nodes,
             const char *page,
             GString    *problems)
{
  for (guint i = 0; i < nodes->len; i++)
    {
      const Node *node = g_ptr_array_index (nodes, i);
      g_autofree char *name = NULL;
      const char *problem;

      if (!is_interactive (node))
        continue;
      name = spoken_name (nodes, i);
      problem = name_problem (name);
      if (problem != NULL)
        g_string_append_printf (problems, "%s: a %s named “%s” (line %u of a11y-%s.txt, depth %u): %s\n",
                                page, node->role, node->name, i + 1, page, node->depth, problem);
    }
}

/* The page's tree, once every interactive node in it has a proper name. */
static GPtrArray *
walk_page (const char *page)
{
  GPtrArray *nodes = walk_tree (page);
  g_autoptr(GString) problems = g_string_new (NULL);

  check_names (nodes, page, problems);
  if (problems->len > 0)
    g_error ("Interactive widgets without a proper accessible name:\n%s", problems->str);
  return nodes;
}

static const Node *
find_node (GPtrArray  *nodes,
           const char *role,
           const char *name)
{
  for (guint i = 0; i < nodes->len; i++)
    {
      const Node *node = g_ptr_array_index (nodes, i);

      if (g_str_equal (node->role, role) && (name == NULL || g_str_equal (node->name, name)))
        return node;
    }
  return NULL;
}

/* The window */

static TillChargePage *
charge_of (TillWindow *window)
{
  return till_window_get_charge_page (window);
}

static gboolean
form_ready (gconstpointer window)
{
  TillChargePage *page = charge_of ((TillWindow *) window);

  return g_strcmp0 (till_charge_page_get_state (page), "entry") == 0 &&
         till_card_view_get_ready (till_charge_page_get_card_view (page));
}

static gboolean
shows_result (gconstpointer window)
{
  return g_strcmp0 (till_charge_page_get_state (charge_of ((TillWindow *) window)), "result") == 0;
}

static gboolean
can_charge (gconstpointer window)
{
  return till_charge_page_get_can_charge (charge_of ((TillWindow *) window));
}

static gboolean
shows_locked (gconstpointer window)
{
  return g_strcmp0 (till_window_get_visible_page ((TillWindow *) window), "locked") == 0;
}

static gboolean
shows_shell (gconstpointer window)
{
  return g_strcmp0 (till_window_get_visible_page ((TillWindow *) window), "charge") == 0;
}

static gboolean
sign_in_error_shown (gconstpointer window)
{
  return till_sign_in_page_get_error (till_window_get_sign_in_page ((TillWindow *) window)) != NULL;
}

/* A window at the sign-in form, the shop and morgan's name filled in. */
static TillWindow *
open_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window;

  g_settings_set_string (settings, "server-url", server->url);
  g_settings_set_string (settings, "last-username", "morgan");
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_sync ();

  window = till_window_new (app);
  till_test_focus_window (GTK_WINDOW (window), "Till");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  return window;
}

typedef struct
{
  TillWindow *window;
  gboolean    done;
  char       *value;
} Script;

static void
script_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  Script *script = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (object), result, &error);

  g_assert_no_error (error);
  script->value = jsc_value_to_string (value);
  script->done = TRUE;
}

static gboolean
script_done (gconstpointer data)
{
  return ((const Script *) data)->done;
}

/* The keyboard focus is in Stripe's card frame of the page. */
static gboolean
card_frame_focused (gconstpointer window)
{
  Script script = { (TillWindow *) window, FALSE, NULL };
  gboolean focused;

  webkit_web_view_evaluate_javascript (till_test_window_get_web_view (script.window),
                                       "String(document.hasFocus() && document.activeElement !== null "
                                       "&& document.activeElement.tagName === 'IFRAME')",
                                       -1, NULL, NULL, NULL, script_done_cb, &script);
  till_test_wait_for (script_done, &script, "the card page's answer");
  focused = g_str_equal (script.value, "true");
  g_free (script.value);
  return focused;
}

/* Types the card into Stripe's frame, which has the focus, and waits until
 * it is complete. */
static void
type_card (TillWindow *window)
{
  /* The frame focuses its number field when it runs the message that
   * put the focus there. */
  till_test_web_flush_posted_messages (till_test_window_get_web_view (window));
  type_text ("4242424242424242");
  type_text ("1230");
  type_text ("123");
  till_test_wait_for (can_charge, window, "the card to be complete");
}

/* /a11y/pages */

static gboolean
history_listed (gconstpointer window)
{
  return g_strcmp0 (till_history_page_get_list_state (till_window_get_history_page ((TillWindow *) window)), "list") == 0;
}

static gboolean
day_totals_shown (gconstpointer page)
{
  return g_strcmp0 (till_day_totals_page_get_state ((TillDayTotalsPage *) page), "report") == 0;
}

static gboolean
staff_listed (gconstpointer page)
{
  return !till_staff_page_get_busy ((TillStaffPage *) page) &&
         till_staff_page_describe ((TillStaffPage *) page, "morgan") != NULL;
}

/* Preferences is not one of the application's windows: found among all. */
static GtkWindow *
preferences_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (TILL_IS_PREFERENCES_WINDOW (window))
        return window;
    }
  return NULL;
}

static gboolean
preferences_open (gconstpointer data)
{
  GtkWindow *window = preferences_window ();

  return window != NULL && gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
popover_open (gconstpointer window)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT ((gpointer) window));

  return focus != NULL && gtk_widget_get_ancestor (focus, GTK_TYPE_POPOVER_MENU) != NULL;
}

static gboolean
popover_closed (gconstpointer window)
{
  return !popover_open (window);
}

static JsonObject *
payment_object (const char *payment_id)
{
  g_autofree char *token = till_test_server_login (server, "morgan", MORGAN_PASSWORD);
  g_autofree char *path = g_strconcat ("/api/payments/", payment_id, NULL);
  g_autoptr(TillTestResponse) response = till_test_get (server, path, token);

  g_assert_cmpuint (response->status, ==, 200);
  return json_object_ref (json_node_get_object (response->json));
}

/* The sign-in form, then with an error that the password field says. */
static void
check_sign_in (TillWindow *window)
{
  g_autoptr(GPtrArray) form = walk_page ("sign-in");
  g_autoptr(GPtrArray) error = NULL;
  TillSignInPage *page = till_window_get_sign_in_page (window);
  GtkWidget *focus;
  const char *message;
  const Node *node;

  g_assert_nonnull (find_node (form, "push button", "Sign In"));
  g_assert_nonnull (find_node (form, "push button", "Main Menu"));

  type_text ("not-the-password");
  till_test_press ("Return");
  till_test_wait_for (sign_in_error_shown, window, "the sign-in error");
  message = till_sign_in_page_get_error (page);
  error = walk_page ("sign-in-error");
  g_assert_nonnull (find_node (error, "alert", message));
  /* GTK 4.8 gives the field's node no "focused" state (its inner text
   * has the focus and no node of its own): asked of GTK. */
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_nonnull (focus);
  g_assert_nonnull (gtk_widget_get_ancestor (focus, ADW_TYPE_PASSWORD_ENTRY_ROW));
  g_assert_true (gtk_widget_is_ancestor (focus, GTK_WIDGET (page)));
  node = find_node (error, "text", "Password");
  g_assert_nonnull (node);
  g_assert_cmpstr (node->description, ==, message);
}

static gboolean
amount_typed (gconstpointer window)
{
  return till_charge_page_get_amount (charge_of ((TillWindow *) window)) == 1234;
}

/* A real sale's result: the alert holds its title and sentence, and the
 * button that has the focus says the sentence. Returns the payment's id. */
static char *
check_sale (TillWindow *window)
{
  TillChargePage *page = charge_of (window);
  g_autoptr(GPtrArray) result = NULL;
  GtkWidget *focus;
  char *payment_id;
  const Node *alert;
  const Node *focused;

  type_text ("1234");
  till_test_wait_for (form_ready, window, "the card form");
  till_test_wait_for (amount_typed, window, "the amount");
  {
    /* The page has the focus while digits are typed, and says them. */
    g_autoptr(GPtrArray) typed = walk_page ("charge-amount");
    const Node *amount = find_node (typed, "filler", "Amount");

    g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == GTK_WIDGET (page));
    g_assert_nonnull (amount);
    g_assert_cmpstr (amount->description, ==, till_charge_page_get_amount_text (page));
    g_assert_cmpstr (amount->description, ==, "$12.34");
  }
  till_test_press ("Return");
  till_test_wait_for (card_frame_focused, window, "the focus in the card's frame");
  type_card (window);
  till_test_press ("Return");
  till_test_wait_for (shows_result, window, "the result");
  g_assert_cmpstr (till_charge_page_get_result_title (page), ==, "Approved");

  result = walk_page ("result");
  alert = find_node (result, "alert", till_charge_page_get_result_title (page));
  g_assert_nonnull (alert);
  g_assert_cmpstr (alert->description, ==, till_charge_page_get_result_description (page));
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_true (GTK_IS_BUTTON (focus));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (focus)), ==, "_New Sale");
  focused = find_node (result, "push button", "New Sale");
  g_assert_nonnull (focused);
  g_assert_cmpstr (focused->description, ==, till_charge_page_get_result_description (page));

  payment_id = g_strdup (till_sale_get_payment_id (till_charge_page_get_sale (page)));
  till_test_press ("Return");
  till_test_wait_for (form_ready, window, "the next sale");
  return payment_id;
}

static void
test_pages (void)
{
  TillWindow *window;
  GtkWidget *day_totals;
  g_autofree char *payment_id = NULL;
  g_autoptr(JsonObject) payment = NULL;
  TillRefundDialog *dialog;

  window = open_window ();
  check_sign_in (window);

  type_text (MORGAN_PASSWORD);
  till_test_press ("Return");
  till_test_wait_for (form_ready, window, "the card form");
  g_ptr_array_unref (walk_page ("charge"));

  payment_id = check_sale (window);

  till_test_press ("ctrl+l");
  till_test_wait_for (shows_locked, window, "the lock screen");
  g_ptr_array_unref (walk_page ("lock"));
  type_text (MORGAN_PASSWORD);
  till_test_press ("Return");
  till_test_wait_for (shows_shell, window, "the unlocked terminal");

  till_window_show_page (window, "history");
  till_test_wait_for (history_listed, window, "the payments");
  g_ptr_array_unref (walk_page ("history"));

  payment = payment_object (payment_id);
  dialog = till_refund_dialog_new (till_window_get_session (window), payment);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));
  till_test_focus_window (GTK_WINDOW (dialog), "Refund Payment");
  {
    g_autoptr(GPtrArray) nodes = walk_page ("refund-dialog");

    g_assert_nonnull (find_node (nodes, "push button", "Refund"));
  }
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* A kiosk's request for a manager's approval. */
  {
    g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
    TillApprovalDialog *approval = till_approval_dialog_new (settings, "kiosk.quit");
    g_autoptr(GPtrArray) nodes = NULL;

    gtk_window_set_transient_for (GTK_WINDOW (approval), GTK_WINDOW (window));
    till_test_focus_window (GTK_WINDOW (approval), "Manager’s Approval");
    nodes = walk_page ("approval-dialog");
    g_assert_nonnull (find_node (nodes, "push button", "Approve"));
    gtk_window_destroy (GTK_WINDOW (approval));
  }

  till_window_show_page (window, "day-totals");
  day_totals = gtk_stack_get_child_by_name (till_window_get_shell_stack (window), "day-totals");
  till_test_wait_for (day_totals_shown, day_totals, "the day's totals");
  g_ptr_array_unref (walk_page ("day-totals"));

  till_window_show_page (window, "staff");
  till_test_wait_for (staff_listed, till_window_get_staff_page (window), "the staff");
  g_ptr_array_unref (walk_page ("staff"));

  till_window_show_page (window, "audit");
  g_ptr_array_unref (walk_page ("audit"));

  till_window_show_page (window, "charge");
  till_test_focus_window (GTK_WINDOW (window), "Till");
  till_test_press ("F10");
  till_test_wait_for (popover_open, window, "the main menu");
  g_ptr_array_unref (walk_page ("main-menu"));
  till_test_press ("Escape");
  till_test_wait_for (popover_closed, window, "the main menu to close");

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  till_test_wait_for (preferences_open, NULL, "Preferences");
  {
    g_autoptr(GPtrArray) nodes = walk_page ("preferences");
    GtkWindow *preferences = preferences_window ();

    g_assert_nonnull (find_node (nodes, "frame", "Preferences"));
    g_assert_nonnull (preferences);
    gtk_window_destroy (preferences);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  gdk_display_sync (gdk_display_get_default ());
}

/* /a11y/keyboard */

/* Key presses that reached the windows, counted in the capture phase: a
 * key counted has been handled once the main loop turns again. */
static guint keys_seen;

static gboolean
count_key_cb (GtkEventControllerKey *controller,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        modifiers,
              gpointer               data)
{
  keys_seen++;
  return GDK_EVENT_PROPAGATE;
}

static void
count_keys (GtkWidget *window)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (count_key_cb), NULL);
  gtk_widget_add_controller (window, keys);
}

static gboolean
keys_reached (gconstpointer count)
{
  return keys_seen >= GPOINTER_TO_UINT (count);
}

/* Presses keys, once handled, until done says so; at most max times. The
 * Tab order is what a person meets, so a widget not reached is a widget a
 * keyboard cannot reach. */
static void
press_until (GtkWindow    *window,
             const char   *keys,
             Condition     done,
             gconstpointer data,
             guint         max,
             const char   *what)
{
  g_autoptr(GString) path = g_string_new (NULL);

  for (guint i = 0; !done (data); i++)
    {
      GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
      guint before = keys_seen;

      GtkWidget *owner = focus;

      while (owner != NULL && !g_str_has_prefix (G_OBJECT_TYPE_NAME (owner), "Till"))
        owner = gtk_widget_get_parent (owner);
      g_string_append_printf (path, " %s (in %s)", focus ? G_OBJECT_TYPE_NAME (focus) : "nothing",
                              owner ? G_OBJECT_TYPE_NAME (owner) : "nothing");
      if (i == max)
        g_error ("%s not reached with %u × %s; the focus went to%s", what, max, keys, path->str);
      till_test_press (keys);
      till_test_wait_for (keys_reached, GUINT_TO_POINTER (before + 1), keys);
      g_main_context_iteration (NULL, FALSE);
    }
}

typedef struct
{
  gint64      amount;
  TillWindow *window;
} AmountWait;

static gboolean
shows_amount (gconstpointer data)
{
  const AmountWait *wait = data;

  return till_charge_page_get_amount (charge_of (wait->window)) == wait->amount;
}

/* Presses keys on the charge page and waits for amount. */
static void
key_to_amount (TillWindow *window,
               const char *keys,
               gint64      amount)
{
  AmountWait wait = { amount, window };

  till_test_press (keys);
  till_test_wait_for (shows_amount, &wait, keys);
}

/* The focus is in the card view, from where the page moves it into
 * Stripe's frame. */
static gboolean
focus_in_card (gconstpointer window)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT ((gpointer) window));
  GtkWidget *card = GTK_WIDGET (till_charge_page_get_card_view (charge_of ((TillWindow *) window)));

  return focus != NULL && (focus == card || gtk_widget_is_ancestor (focus, card));
}

static gboolean
shows_history (gconstpointer window)
{
  return g_strcmp0 (till_window_get_visible_page ((TillWindow *) window), "history") == 0 &&
         history_listed (window);
}

static gboolean
focus_in_list (gconstpointer window)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT ((gpointer) window));
  GtkWidget *list = GTK_WIDGET (till_history_page_get_list_view (till_window_get_history_page ((TillWindow *) window)));

  return focus != NULL && gtk_widget_is_ancestor (focus, list);
}

static gboolean
shows_payment (gconstpointer data)
{
  TillWindow *window = ((TillWindow * const *) data)[0];
  const char *payment_id = ((const char * const *) data)[1];
  TillPaymentItem *item = till_history_page_get_shown_payment (till_window_get_history_page (window));

  return item != NULL && g_strcmp0 (till_payment_item_get_id (item), payment_id) == 0 &&
         till_history_page_get_details_visible (till_window_get_history_page (window));
}

static gboolean
focus_on_refund (gconstpointer window)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT ((gpointer) window));

  return GTK_IS_BUTTON (focus) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (focus)), "_Refund…") == 0;
}

static TillRefundDialog *
refund_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (TILL_IS_REFUND_DIALOG (window) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return TILL_REFUND_DIALOG (window);
    }
  return NULL;
}

static gboolean
dialog_open (gconstpointer data)
{
  return refund_dialog () != NULL;
}

static gboolean
refunded (gconstpointer dialog)
{
  return !till_refund_dialog_get_busy ((TillRefundDialog *) dialog) &&
         till_refund_dialog_get_outcome ((TillRefundDialog *) dialog) == TILL_REFUND_OUTCOME_SUCCEEDED;
}

/* The refunds of the payment at the Stripe stand-in, and their total. */
static guint
refunds_at_stripe (const char *payment_id,
                   gint64     *out_total)
{
  g_autofree char *intent = till_test_stripe_find ("/v1/payment_intents", "till_payment_id", payment_id);
  g_autoptr(JsonNode) list = till_test_stripe_get_json ("/v1/refunds?limit=100");
  JsonArray *data = json_object_get_array_member (json_node_get_object (list), "data");
  guint count = 0;

  *out_total = 0;
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *refund = json_array_get_object_element (data, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (refund, "payment_intent", ""), intent) == 0)
        {
          count++;
          *out_total += json_object_get_int_member (refund, "amount");
        }
    }
  return count;
}

static void
test_keyboard (void)
{
  TillWindow *window = open_window ();
  TillChargePage *page = charge_of (window);
  g_autofree char *payment_id = NULL;
  gconstpointer shown[2];
  TillRefundDialog *dialog;
  gint64 total = 0;

  count_keys (GTK_WIDGET (window));
  type_text (MORGAN_PASSWORD);
  till_test_press ("Return");
  till_test_wait_for (form_ready, window, "the card form");

  /* The charge screen's keys, as the Keyboard Shortcuts window lists them. */
  key_to_amount (window, "1", 1);
  key_to_amount (window, "2", 12);
  key_to_amount (window, "KP_3", 123);
  key_to_amount (window, "BackSpace", 12);
  key_to_amount (window, "Delete", 1);
  key_to_amount (window, "Escape", 0);
  key_to_amount (window, "2", 2);
  key_to_amount (window, "5", 25);
  key_to_amount (window, "0", 250);
  key_to_amount (window, "0", 2500);

  /* The card form, in the web view, by Tab. */
  press_until (GTK_WINDOW (window), "Tab", focus_in_card, window, 40, "The card form");
  till_test_wait_for (card_frame_focused, window, "the focus in the card's frame");
  type_card (window);
  till_test_press ("Return");
  till_test_wait_for (shows_result, window, "the result");
  g_assert_cmpstr (till_charge_page_get_result_title (page), ==, "Approved");
  payment_id = g_strdup (till_sale_get_payment_id (till_charge_page_get_sale (page)));
  /* The focus is on New Sale. */
  till_test_press ("Return");
  till_test_wait_for (form_ready, window, "the next sale");
  g_assert_cmpint (till_charge_page_get_amount (page), ==, 0);

  /* History, the second page, with the focus in it. */
  till_test_press ("alt+2");
  till_test_wait_for (shows_history, window, "the History page");
  press_until (GTK_WINDOW (window), "Tab", focus_in_list, window, 20, "The list of payments");
  till_test_press ("Return");
  shown[0] = window;
  shown[1] = payment_id;
  till_test_wait_for (shows_payment, shown, "the payment's details");
  press_until (GTK_WINDOW (window), "Tab", focus_on_refund, window, 30, "Refund…");
  till_test_press ("Return");
  till_test_wait_for (dialog_open, NULL, "the refund dialog");
  dialog = refund_dialog ();
  /* The X input focus follows the new window, as a window manager would. */
  till_test_focus_window (GTK_WINDOW (dialog), "Refund Payment");
  g_assert_cmpstr (till_refund_dialog_get_amount_text (dialog), ==, "$25.00");
  till_test_press ("Return");
  till_test_wait_for (refunded, dialog, "the refund");
  g_assert_cmpuint (refunds_at_stripe (payment_id, &total), ==, 1);
  g_assert_cmpint (total, ==, 2500);

  /* The answer is an alert, and the description of what has the focus. */
  {
    g_autoptr(GPtrArray) nodes = walk_page ("refund-done");
    const char *message = till_refund_dialog_get_message (dialog);
    gboolean described = FALSE;

    g_assert_cmpstr (message, ==, "Refunded $25.00. Made by morgan.");
    g_assert_nonnull (find_node (nodes, "alert", message));
    for (guint i = 0; i < nodes->len; i++)
      {
        const Node *node = g_ptr_array_index (nodes, i);

        described |= is_interactive (node) && g_str_equal (node->description, message);
      }
    g_assert_true (described);
  }

  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  gdk_display_sync (gdk_display_get_default ());
}

/* /a11y/shortcuts */

/* The charge screen's keys that /a11y/keyboard presses and sees work, as
 * the Keyboard Shortcuts window writes them. */
static const char *const charge_keys[] = { "0...9", "BackSpace", "Delete", "Return", "Escape", NULL };

static void
test_shortcuts (void)
{
  g_autoptr(GtkBuilder) builder = gtk_builder_new_from_resource ("/io/github/tillpos/Till/gtk/help-overlay.ui");
  GtkWindow *overlay = GTK_WINDOW (gtk_builder_get_object (builder, "help_overlay"));
  GtkWidget *group = GTK_WIDGET (gtk_builder_get_object (builder, "charge_group"));
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
  GSList *objects = gtk_builder_get_objects (builder);
  g_autoptr(GHashTable) shown_actions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) with_keys = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  guint n_actions = 0;

  g_assert_nonnull (overlay);
  g_assert_nonnull (group);

  /* Every shortcut named by its action is an action with keys: the window
   * shows the keys the application really has. */
  for (GSList *l = objects; l != NULL; l = l->next)
    {
      g_autofree char *action = NULL;
      g_autofree char *accelerator = NULL;

      if (!GTK_IS_SHORTCUTS_SHORTCUT (l->data))
        continue;
      g_object_get (l->data, "action-name", &action, "accelerator", &accelerator, NULL);
      if (action != NULL)
        {
          g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);

          g_assert_cmpuint (g_strv_length (accels), >, 0);
          g_hash_table_add (shown_actions, g_strdup (action));
          n_actions++;
        }
      else
        {
          g_auto(GStrv) keys = g_strsplit (accelerator, " ", -1);

          g_assert_nonnull (accelerator);
          for (guint i = 0; keys[i] != NULL; i++)
            {
              g_auto(GStrv) ends = g_strsplit (keys[i], "...", 2);

              /* Each key, and each end of a range, is one GTK knows. */
              for (guint j = 0; ends[j] != NULL; j++)
                {
                  g_autofree char *key = j == 0 ? g_strdup (ends[j]) : NULL;
                  guint keyval = 0;
                  GdkModifierType modifiers = 0;

                  /* "<Alt>1...9": the range's end has the start's modifiers. */
                  if (key == NULL)
                    {
                      const char *close = strrchr (ends[0], '>');

                      key = g_strdup_printf ("%.*s%s", close ? (int) (close - ends[0] + 1) : 0, ends[0], ends[j]);
                    }
                  g_assert_true (gtk_accelerator_parse (key, &keyval, &modifiers));
                  g_assert_cmpuint (keyval, !=, 0);
                }
            }
        }
    }
  g_slist_free (objects);
  g_assert_cmpuint (n_actions, >=, 5);
  /* And the other way: every action the application has keys for is in
   * the window (those with a target, Alt+1…9, by their range). */
  for (guint i = 0; with_keys[i] != NULL; i++)
    if (strchr (with_keys[i], '(') == NULL && !g_hash_table_contains (shown_actions, with_keys[i]))
      g_error ("The Keyboard Shortcuts window does not list %s", with_keys[i]);

  /* The charge group lists exactly the keys the charge screen answers to. */
  for (GtkWidget *child = gtk_widget_get_first_child (group); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      g_autofree char *accelerator = NULL;
      g_auto(GStrv) keys = NULL;

      if (!GTK_IS_SHORTCUTS_SHORTCUT (child))
        continue;
      g_object_get (child, "accelerator", &accelerator, NULL);
      keys = g_strsplit (accelerator, " ", -1);
      for (guint i = 0; keys[i] != NULL; i++)
        {
          if (!g_ptr_array_find_with_equal_func (listed, keys[i], g_str_equal, NULL))
            g_ptr_array_add (listed, g_strdup (keys[i]));
        }
    }
  g_assert_cmpuint (listed->len, ==, g_strv_length ((char **) charge_keys));
  for (guint i = 0; charge_keys[i] != NULL; i++)
    g_assert_true (g_ptr_array_find_with_equal_func (listed, charge_keys[i], g_str_equal, NULL));

  /* Alt and a digit: the pages' places in the sidebar. */
  for (int i = 1; i <= 9; i++)
    {
      g_autofree char *action = g_strdup_printf ("win.show-page(%d)", i);
      g_autofree char *accel = g_strdup_printf ("<Alt>%d", i);
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);

      g_assert_nonnull (accels[0]);
      g_assert_cmpstr (accels[0], ==, accel);
    }

  gtk_window_destroy (overlay);

  /* To look at: the window as Till shows it, with the application's keys. */
  {
    TillWindow *window = till_window_new (app);
    GtkShortcutsWindow *shown = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));

    g_assert_nonnull (shown);
    gtk_window_present (GTK_WINDOW (shown));
    till_test_save_screenshot (GTK_WIDGET (shown), "a11y-shortcuts");
    gtk_window_destroy (GTK_WINDOW (window));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-a11y");
  g_setenv ("MESA_SHADER_CACHE_DISABLE", "true", TRUE);
  gtk_init ();

  app = till_test_application_new ();
  till_test_fatal_warnings_except ((const char * const[]) { NULL });

  server = till_test_server_new (NULL, NULL);
  till_test_server_add_user (server, "morgan", "manager", MORGAN_PASSWORD);
  till_test_server_add_user (server, "alice", "cashier", "alice-password-1");
  till_test_server_start (server);

  g_test_add_func ("/a11y/pages", test_pages);
  g_test_add_func ("/a11y/keyboard", test_keyboard);
  g_test_add_func ("/a11y/shortcuts", test_shortcuts);
  status = till_test_run ();

  till_test_server_free (server);
  g_object_unref (app);
  return status;
}
