/* test-console.c: the manager's console in a real window
 *
 * Under Xvfb, in a private D-Bus session with a real keyring, against a
 * real till-server and the Stripe stand-in: refunds in the refund dialog
 * (a cashier's with a manager's approval, a manager's own, a partial one),
 * the staff page and the audit page. Passwords and amounts are typed as X
 * key events (xdotool); refunds are checked at the Stripe stand-in, staff
 * changes by signing in as the staff changed. Each screen is saved as a
 * PNG in the artifacts folder.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <sqlite3.h>

#include "till-application.h"
#include "till-audit-page-private.h"
#include "till-money.h"
#include "till-refund-dialog-private.h"
#include "till-staff-page-private.h"
#include "till-test-harness.h"
#include "till-test-liar.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define ALICE_PASSWORD  "alice-password-1"
#define MORGAN_PASSWORD "morgan-password-1"
#define DANA_PASSWORD   "dana-password-12"

static TillApplication *app;
static TillTestServer *server;
/* The payments refunded by the tests before the audit page's. */
static char *cashier_refunded;
static char *manager_refunded;

typedef gboolean (*Condition) (gconstpointer data);
/* What the screen shows instead, for the message of a wait that failed. */
typedef char *(*Explain) (gconstpointer data);

static void
wait_explained (Condition      condition,
                Explain        explain,
                gconstpointer  data,
                const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *shown = explain ? explain (data) : g_strdup ("");

          g_error ("Timed out waiting for %s %s", what, shown);
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static void
wait_for (Condition      condition,
          gconstpointer  data,
          const char    *what)
{
  wait_explained (condition, NULL, data, what);
}

static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "20", text, NULL);
}static gboolean
is_hidden (gconstpointer widget)
{
  return !gtk_widget_get_visible (GTK_WIDGET (widget));
}
/* The window */

static gboolean
shows_shell (gconstpointer window)
{
  TillSession *session = till_window_get_session ((TillWindow *) window);

  return g_strcmp0 (till_window_get_visible_page ((TillWindow *) window), "charge") == 0 &&
         session != NULL && till_session_get_state (session) == TILL_SESSION_SIGNED_IN;
}

/* A window signed in as username at url, the password typed at the form. */
static TillWindow *
sign_in_at (const char *url,
            const char *username,
            const char *password)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window;

  g_settings_set_string (settings, "server-url", url);
  g_settings_set_string (settings, "last-username", username);
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_sync ();

  window = till_window_new (app);
  till_test_focus_window (GTK_WINDOW (window), "Till");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  type_text (password);
  till_test_press ("Return");
  wait_for (shows_shell, window, "the signed-in shell");
  return window;
}

static TillWindow *
sign_in_as (const char *username,
            const char *password)
{
  return sign_in_at (server->url, username, password);
}

static void
close_window (GtkWindow *window)
{
  gtk_window_destroy (window);
  gdk_display_sync (gdk_display_get_default ());
}

/* Payments and refunds at the server and the stand-in */

static char *
login (const char *name,
       const char *password)
{
  return till_test_server_login (server, name, password);
}

/* A payment alice takes, of amount cents; its id. */
static char *
take_payment (gint64 amount)
{
  g_autofree char *token = login ("alice", ALICE_PASSWORD);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/payments", token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

static JsonObject *
payment_json (const char *payment_id)
{
  g_autofree char *token = login ("morgan", MORGAN_PASSWORD);
  g_autofree char *path = g_strconcat ("/api/payments/", payment_id, NULL);
  g_autoptr(TillTestResponse) response = till_test_get (server, path, token);

  g_assert_cmpuint (response->status, ==, 200);
  return json_object_ref (json_node_get_object (response->json));
}

/* The refunds at the Stripe stand-in of the payment (by its
 * PaymentIntent), and their total in cents. */
static guint
refunds_at_stripe (const char *payment_id,
                   gint64     *out_total)
{
  g_autofree char *intent = till_test_stripe_find ("/v1/payment_intents", "till_payment_id", payment_id);
  g_autoptr(JsonNode) list = till_test_stripe_get_json ("/v1/refunds?limit=100");
  JsonArray *data = json_array_ref (json_object_get_array_member (json_node_get_object (list), "data"));
  guint count = 0;
  gint64 total = 0;

  g_assert_nonnull (intent);
  g_assert_cmpuint (json_array_get_length (data), <, 100);
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *refund = json_array_get_object_element (data, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (refund, "payment_intent", ""), intent) == 0)
        {
          count++;
          total += json_object_get_int_member (refund, "amount");
        }
    }
  json_array_unref (data);
  if (out_total != NULL)
    *out_total = total;
  return count;
}

/* The refund dialog */

static void
refunded_cb (TillRefundDialog  *dialog,
             JsonObject        *payment,
             JsonObject       **out)
{
  g_clear_pointer (out, json_object_unref);
  *out = json_object_ref (payment);
}

static TillRefundDialog *
open_dialog (TillWindow *window,
             const char *payment_id)
{
  g_autoptr(JsonObject) payment = payment_json (payment_id);
  TillRefundDialog *dialog = till_refund_dialog_new (till_window_get_session (window), payment);

  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));
  till_test_focus_window (GTK_WINDOW (dialog), "Refund Payment");
  return dialog;
}

static gint64
typed_amount (TillRefundDialog *dialog)
{
  g_autoptr(GError) error = NULL;
  gint64 amount = -1;

  g_assert_true (till_money_parse (till_refund_dialog_get_amount_text (dialog), "USD", NULL, &amount, &error));
  g_assert_no_error (error);
  return amount;
}

typedef struct
{
  TillRefundDialog *dialog;
  const char       *(*get) (TillRefundDialog *dialog);
  const char       *text;
} TextWait;

static gboolean
text_is (gconstpointer data)
{
  const TextWait *wait = data;

  return g_strcmp0 (wait->get (wait->dialog), wait->text) == 0;
}

/* Keys typed are handled in their own time: waits until a field shows text. */
static void
wait_text (TillRefundDialog  *dialog,
           const char        *(*get) (TillRefundDialog *dialog),
           const char        *text)
{
  TextWait wait = { dialog, get, text };

  wait_for (text_is, &wait, text);
}

typedef struct
{
  TillRefundDialog *dialog;
  int               outcome;
} OutcomeWait;

static gboolean
outcome_is (gconstpointer data)
{
  const OutcomeWait *wait = data;

  return !till_refund_dialog_get_busy (wait->dialog) && till_refund_dialog_get_outcome (wait->dialog) == wait->outcome;
}

static char *
explain_dialog (gconstpointer data)
{
  const OutcomeWait *wait = data;

  return g_strdup_printf ("(the dialog shows %d, “%s”, busy %d, can send %d)",
                          till_refund_dialog_get_outcome (wait->dialog), till_refund_dialog_get_message (wait->dialog),
                          till_refund_dialog_get_busy (wait->dialog), till_refund_dialog_get_can_send (wait->dialog));
}

static void
wait_outcome (TillRefundDialog *dialog,
              int               outcome)
{
  OutcomeWait wait = { dialog, outcome };

  wait_explained (outcome_is, explain_dialog, &wait, "the refund's answer");
}

static JsonObject *
refund_of (TillRefundDialog *dialog)
{
  JsonObject *refund = till_refund_request_get_refund (till_refund_dialog_get_request (dialog));

  g_assert_nonnull (refund);
  return refund;
}

/* Types into the dialog's field that has the focus: everything in it is
 * replaced. */
static void
retype (const char *text)
{
  till_test_press ("ctrl+a");
  type_text (text);
}

/* A cashier's refund needs a manager: none, a wrong password, then the
 * right one, which refunds exactly once. */
static void
test_cashier_refund (void)
{
  const char *payment_id = cashier_refunded = take_payment (1250);
  g_autoptr(JsonObject) refunded = NULL;
  TillWindow *window = sign_in_as ("alice", ALICE_PASSWORD);
  TillRefundDialog *dialog = open_dialog (window, payment_id);
  TillRefundRequest *request = till_refund_dialog_get_request (dialog);
  gint64 total = 0;

  g_signal_connect (dialog, "refunded", G_CALLBACK (refunded_cb), &refunded);
  /* All of it to start with; a partial refund typed over it. */
  g_assert_cmpint (typed_amount (dialog), ==, 1250);
  retype ("5.00");
  wait_text (dialog, till_refund_dialog_get_amount_text, "5.00");
  g_assert_cmpint (typed_amount (dialog), ==, 500);

  /* No approval typed: the dialog does not send. */
  g_assert_false (till_refund_dialog_get_can_send (dialog));
  gtk_widget_activate_action (GTK_WIDGET (dialog), "refund.send", NULL);
  g_assert_false (till_refund_dialog_get_busy (dialog));
  /* Sent without one all the same, past the dialog: the server refuses it. */
  {
    g_autoptr(TillRefundRequest) bare = till_refund_request_new (till_window_get_session (window), payment_id);
    GAsyncResult *result = NULL;

    till_refund_request_send_async (bare, 500, "requested_by_customer", NULL, NULL, NULL, till_test_result_cb, &result);
    g_assert_cmpint (till_refund_request_send_finish (bare, till_test_wait (&result), NULL), ==,
                     TILL_REFUND_OUTCOME_APPROVAL_REQUIRED);
    g_clear_object (&result);
    g_assert_cmpuint (refunds_at_stripe (payment_id, NULL), ==, 0);
  }
  g_assert_null (till_refund_request_get_key (request));

  /* A wrong password: refused, and told so; the password field is empty. */
  gtk_widget_grab_focus (till_refund_dialog_get_approver_row (dialog));
  type_text ("morgan");
  till_test_press ("Return");
  type_text ("not-morgans-password");
  wait_text (dialog, till_refund_dialog_get_approver_password, "not-morgans-password");
  till_test_save_screenshot (GTK_WIDGET (dialog), "refund-dialog-approval");
  till_test_press ("Return");
  wait_outcome (dialog, TILL_REFUND_OUTCOME_APPROVAL_REFUSED);
  g_assert_true (g_str_has_prefix (till_refund_dialog_get_message (dialog), "Not approved: "));
  g_assert_cmpstr (till_refund_dialog_get_approver_password (dialog), ==, "");
  g_assert_cmpuint (refunds_at_stripe (payment_id, NULL), ==, 0);
  g_assert_null (refunded);
  till_test_save_screenshot (GTK_WIDGET (dialog), "refund-dialog-refused");

  /* The right one: refunded once, with both names. */
  type_text (MORGAN_PASSWORD);
  till_test_press ("Return");
  wait_outcome (dialog, TILL_REFUND_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (json_object_get_string_member (refund_of (dialog), "requested_by"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (refund_of (dialog), "approved_by"), ==, "morgan");
  g_assert_true (g_str_has_suffix (till_refund_dialog_get_message (dialog),
                                   ". Asked for by alice, approved by morgan."));
  g_assert_cmpstr (till_refund_dialog_get_approver_password (dialog), ==, "");
  g_assert_cmpuint (refunds_at_stripe (payment_id, &total), ==, 1);
  g_assert_cmpint (total, ==, 500);
  g_assert_nonnull (refunded);
  g_assert_cmpint (json_object_get_int_member (refunded, "amount_refunded"), ==, 500);
  /* The approval signed nobody in: the terminal is still alice's, a cashier's. */
  g_assert_cmpstr (till_session_get_username (till_window_get_session (window)), ==, "alice");
  g_assert_false (till_session_is_manager (till_window_get_session (window)));
  g_assert_cmpstr (till_window_get_status_text (window), ==, "alice, cashier");
  till_test_save_screenshot (GTK_WIDGET (dialog), "refund-dialog-refunded");

  /* Done closes it. */
  g_object_ref (dialog);
  till_test_press ("Return");
  wait_for (is_hidden, dialog, "the dialog to close");
  g_object_unref (dialog);

  /* Again: what is left is offered. */
  dialog = open_dialog (window, payment_id);
  g_assert_cmpint (typed_amount (dialog), ==, 750);
  gtk_window_destroy (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
}

/* What is left of a payment whose refunds GET /api/payments/{id} lists:
 * less the succeeded ones (amount_refunded) and the pending ones, in the
 * currency's own decimals. */
static void
test_left_to_refund (void)
{
  static const struct { const char *json; const char *currency; gint64 left; } payments[] = {
    { "{\"id\":\"pay_a\",\"status\":\"succeeded\",\"amount\":5000,\"currency\":\"USD\",\"amount_refunded\":1000,"
      "\"refunds\":[{\"status\":\"succeeded\",\"amount\":1000},{\"status\":\"pending\",\"amount\":1500},"
      "{\"status\":\"failed\",\"amount\":700}]}", "USD", 2500 },
    { "{\"id\":\"pay_b\",\"status\":\"succeeded\",\"amount\":1200,\"currency\":\"JPY\",\"amount_refunded\":200}",
      "JPY", 1000 },
    { "{\"id\":\"pay_c\",\"status\":\"succeeded\",\"amount\":12340,\"currency\":\"KWD\",\"amount_refunded\":0,"
      "\"refunds\":[{\"status\":\"pending\",\"amount\":2000}]}", "KWD", 10340 },
  };
  TillWindow *window = sign_in_as ("alice", ALICE_PASSWORD);

  for (guint i = 0; i < G_N_ELEMENTS (payments); i++)
    {
      g_autoptr(JsonNode) node = json_from_string (payments[i].json, NULL);
      TillRefundDialog *dialog = till_refund_dialog_new (till_window_get_session (window), json_node_get_object (node));
      g_autoptr(GError) error = NULL;
      gint64 amount = -1;

      g_assert_true (till_money_parse (till_refund_dialog_get_amount_text (dialog), payments[i].currency, NULL,
                                       &amount, &error));
      g_assert_no_error (error);
      g_assert_cmpint (amount, ==, payments[i].left);
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
  close_window (GTK_WINDOW (window));
}

/* A manager refunds without approval. The answer is lost on the way
 * back: "Not confirmed yet", and Try Again sends the same refund again,
 * which the server answers from what it did; refunded once. */
static void
test_manager_refund_answer_lost (void)
{
  const char *payment_id = manager_refunded = take_payment (2000);
  TillTestProxy *proxy = till_test_proxy_start (server->url);
  TillWindow *window = sign_in_at (proxy->url, "morgan", MORGAN_PASSWORD);
  TillRefundDialog *dialog = open_dialog (window, payment_id);
  TillRefundRequest *request = till_refund_dialog_get_request (dialog);
  g_autofree char *key = NULL;
  gint64 total = 0;

  g_assert_false (gtk_widget_is_visible (till_refund_dialog_get_approver_row (dialog)));
  g_assert_cmpint (typed_amount (dialog), ==, 2000);
  g_assert_true (till_refund_dialog_get_can_send (dialog));

  /* Each answer dropped: libsoup sends a request again by itself when a
   * kept-alive connection closes before any answer (the same key). */
  till_test_proxy_plan (proxy, "[\"drop_after\",\"drop_after\",\"drop_after\",\"drop_after\"]", 0);
  till_test_press ("Return");
  wait_outcome (dialog, TILL_REFUND_OUTCOME_UNKNOWN);
  g_assert_true (g_str_has_prefix (till_refund_dialog_get_message (dialog), "Not confirmed yet: "));
  g_assert_true (till_refund_request_get_locked (request));
  key = g_strdup (till_refund_request_get_key (request));
  g_assert_nonnull (key);
  /* The server did refund; the dialog does not know it yet. */
  g_assert_cmpuint (refunds_at_stripe (payment_id, NULL), ==, 1);
  till_test_save_screenshot (GTK_WIDGET (dialog), "refund-dialog-not-confirmed");

  /* Try Again: the same attempt, the same key. */
  till_test_proxy_plan (proxy, "[]", 0);
  till_test_press ("Return");
  wait_outcome (dialog, TILL_REFUND_OUTCOME_SUCCEEDED);
  g_assert_cmpstr (till_refund_dialog_get_message (dialog), ==, "Refunded $20.00. Made by morgan.");
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (refund_of (dialog), "approved_by")));
  g_assert_cmpuint (refunds_at_stripe (payment_id, &total), ==, 1);
  g_assert_cmpint (total, ==, 2000);

  gtk_window_destroy (GTK_WINDOW (dialog));
  close_window (GTK_WINDOW (window));
  till_test_proxy_free (proxy);
}

/* The staff page */

typedef struct
{
  TillStaffPage *page;
  const char    *username;
  const char    *description;
} StaffWait;

static gboolean
staff_shows (gconstpointer data)
{
  const StaffWait *wait = data;

  return !till_staff_page_get_busy (wait->page) &&
         g_strcmp0 (till_staff_page_describe (wait->page, wait->username), wait->description) == 0;
}

static char *
explain_staff (gconstpointer data)
{
  const StaffWait *wait = data;

  return g_strdup_printf ("(%s is “%s”, error “%s”, busy %d)", wait->username,
                          till_staff_page_describe (wait->page, wait->username),
                          till_staff_page_get_error (wait->page), till_staff_page_get_busy (wait->page));
}

static void
wait_staff (TillStaffPage *page,
            const char    *username,
            const char    *description)
{
  StaffWait wait = { page, username, description };

  wait_explained (staff_shows, explain_staff, &wait, description);
}

static gboolean
staff_error_shown (gconstpointer page)
{
  return !till_staff_page_get_busy ((TillStaffPage *) page) &&
         till_staff_page_get_error ((TillStaffPage *) page) != NULL;
}

static gboolean
staff_settled (gconstpointer page)
{
  return !till_staff_page_get_busy ((TillStaffPage *) page);
}

/* "Add Staff Member" has opened all the way, with the focus in its
 * username field: keys typed while it still slides open are lost. */
static gboolean
add_form_ready (gconstpointer page)
{
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (GTK_WIDGET (page)));
  GtkWidget *row = focus ? gtk_widget_get_ancestor (focus, ADW_TYPE_ENTRY_ROW) : NULL;
  GtkWidget *revealer = row ? gtk_widget_get_ancestor (row, GTK_TYPE_REVEALER) : NULL;

  return row != NULL && !ADW_IS_PASSWORD_ENTRY_ROW (row) && gtk_widget_is_ancestor (row, GTK_WIDGET (page)) &&
         revealer != NULL && gtk_revealer_get_child_revealed (GTK_REVEALER (revealer));
}

static gboolean
revealed (gconstpointer widget)
{
  GtkWidget *revealer = gtk_widget_get_ancestor (GTK_WIDGET (widget), GTK_TYPE_REVEALER);

  return revealer != NULL && gtk_revealer_get_child_revealed (GTK_REVEALER (revealer));
}

static gboolean
password_sent (gconstpointer page)
{
  GtkEditable *field = till_staff_page_get_password_field ((TillStaffPage *) page, "carla", FALSE);
  GtkEditable *again = till_staff_page_get_password_field ((TillStaffPage *) page, "carla", TRUE);

  return field != NULL && *gtk_editable_get_text (field) == '\0' && *gtk_editable_get_text (again) == '\0';
}

static guint
login_status (const char *name,
              const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", name, password);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/login", NULL, NULL, body);

  return response->status;
}

static void
test_staff (void)
{
  TillWindow *window = sign_in_as ("morgan", MORGAN_PASSWORD);
  TillStaffPage *page = till_window_get_staff_page (window);
  GtkEditable *field;

  till_window_show_page (window, "staff");
  wait_staff (page, "alice", "Cashier");
  g_assert_cmpstr (till_staff_page_describe (page, "morgan"), ==, "Manager");

  /* Add, with the second password mistyped: refused here, nothing sent. */
  till_staff_page_start_adding (page);
  wait_for (add_form_ready, page, "the form to add an account");
  type_text ("carla");
  till_test_press ("Return");
  type_text ("carla-password-1");
  till_test_press ("Return");
  type_text ("carla-password-2");
  till_test_press ("Return");
  wait_for (staff_error_shown, page, "the passwords' mismatch");
  g_assert_cmpstr (till_staff_page_get_error (page), ==, "The two passwords are not the same.");
  g_assert_null (till_staff_page_describe (page, "carla"));
  retype ("carla-password-1");
  till_test_press ("Return");
  wait_staff (page, "carla", "Cashier");
  g_assert_null (till_staff_page_get_error (page));
  g_assert_cmpuint (login_status ("carla", "carla-password-1"), ==, 200);

  /* A manager, then disabled: she can no longer sign in. */
  gtk_widget_activate_action (GTK_WIDGET (page), "staff.set-role", "(ss)", "carla", "manager");
  wait_staff (page, "carla", "Manager");
  gtk_widget_activate_action (GTK_WIDGET (page), "staff.set-disabled", "(sb)", "carla", TRUE);
  wait_staff (page, "carla", "Manager · Disabled");
  g_assert_cmpuint (login_status ("carla", "carla-password-1"), ==, 403);

  /* morgan is the last manager who can sign in: said plainly, nothing changes. */
  gtk_widget_activate_action (GTK_WIDGET (page), "staff.set-role", "(ss)", "morgan", "cashier");
  wait_for (staff_error_shown, page, "the last manager's refusal");
  g_assert_cmpstr (till_staff_page_get_error (page), ==,
                   "morgan is the last manager who can sign in. Make someone else a manager first.");
  wait_staff (page, "morgan", "Manager");
  till_test_save_screenshot (GTK_WIDGET (window), "staff-page");

  /* Enabled again, with a new password typed twice. */
  gtk_widget_activate_action (GTK_WIDGET (page), "staff.set-disabled", "(sb)", "carla", FALSE);
  wait_staff (page, "carla", "Manager");
  field = till_staff_page_get_password_field (page, "carla", FALSE);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (gtk_widget_get_ancestor (GTK_WIDGET (field), ADW_TYPE_EXPANDER_ROW)),
                                 TRUE);
  wait_for (revealed, field, "carla's row to open");
  gtk_widget_grab_focus (GTK_WIDGET (field));
  type_text ("carla-new-password");
  till_test_press ("Return");
  type_text ("carla-new-password");
  till_test_press ("Return");
  /* Sent: the fields are emptied at once. */
  wait_for (password_sent, page, "the new password to be sent");
  wait_for (staff_settled, page, "the new password");
  g_assert_null (till_staff_page_get_error (page));
  g_assert_cmpuint (login_status ("carla", "carla-new-password"), ==, 200);
  g_assert_cmpuint (login_status ("carla", "carla-password-1"), ==, 401);

  close_window (GTK_WINDOW (window));
}

/* A shop server that lies about its staff: names with markup in them are
 * shown as they are spelt, never read as Pango markup (an AdwExpanderRow's
 * title is markup unless told otherwise). */
static const char * const markup_names[] = {
  "<span size=\"900000\">big</span>",
  "<b>bold</b>",
  "Tom & Jerry",
};

static void
markup_staff_cb (const char  *method,
                 const char  *path,
                 guint        nth,
                 guint       *status,
                 JsonObject **body,
                 guint       *delay_ms,
                 gpointer     data)
{
  JsonArray *staff;

  if (!g_str_equal (method, "GET") || !g_str_equal (path, "/api/staff") || *status != 200 || *body == NULL)
    return;
  staff = json_object_get_array_member (*body, "data");
  for (guint i = 0; i < G_N_ELEMENTS (markup_names); i++)
    {
      JsonObject *member = json_object_new ();

      json_object_set_string_member (member, "username", markup_names[i]);
      json_object_set_string_member (member, "role", "cashier");
      json_object_set_boolean_member (member, "disabled", FALSE);
      json_array_add_object_element (staff, member);
    }
}

/* A label under widget showing exactly text. */
static GtkLabel *
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *label = find_label (child, text);

      if (label != NULL)
        return label;
    }
  return NULL;
}

static void
test_staff_markup (void)
{
  g_autoptr(TillTestLiar) liar = till_test_liar_start (server->url, NULL, markup_staff_cb, NULL);
  TillWindow *window = sign_in_at (till_test_liar_get_url (liar), "morgan", MORGAN_PASSWORD);
  TillStaffPage *page = till_window_get_staff_page (window);

  till_window_show_page (window, "staff");
  for (guint i = 0; i < G_N_ELEMENTS (markup_names); i++)
    {
      GtkLabel *label;

      wait_staff (page, markup_names[i], "Cashier");
      label = find_label (GTK_WIDGET (page), markup_names[i]);
      g_assert_nonnull (label);
      g_assert_false (gtk_label_get_use_markup (label));
    }
  till_test_save_screenshot (GTK_WIDGET (window), "staff-page-markup");
  close_window (GTK_WINDOW (window));
}

/* The staff list, held back when asked to. */
static void
slow_staff_cb (const char  *method,
               const char  *path,
               guint        nth,
               guint       *status,
               JsonObject **body,
               guint       *delay_ms,
               gpointer     data)
{
  if (g_str_equal (path, "/api/staff") && *(gboolean *) data)
    *delay_ms = TILL_TEST_LIAR_UNTIL_RELEASED;
}

static gboolean
is_cashier_at_till (gconstpointer window)
{
  return shows_shell (window) && !till_session_is_manager (till_window_get_session ((TillWindow *) window));
}

/* A cashier takes over while the manager's staff list is on its way: it
 * does not fill the staff page of the cashier's session when it comes. */
static void
test_staff_late_list (void)
{
  gboolean slow = TRUE;
  g_autoptr(TillTestLiar) liar = till_test_liar_start (server->url, NULL, slow_staff_cb, &slow);
  TillWindow *window = sign_in_at (till_test_liar_get_url (liar), "morgan", MORGAN_PASSWORD);
  TillStaffPage *page = till_window_get_staff_page (window);
  TillAccess *access = till_window_get_access (window);

  till_window_show_page (window, "staff");
  /* Asked, and held back at the liar. */
  while (till_test_liar_count (liar, "GET", "/api/staff") == 0)
    g_main_context_iteration (NULL, TRUE);
  till_access_lock (access);
  till_access_switch_cashier_async (access, "alice", ALICE_PASSWORD, NULL, NULL);
  wait_for (is_cashier_at_till, window, "alice at the till");
  /* The answer comes now, late, and all it sets off here is done. */
  till_test_liar_release (liar, "GET", "/api/staff", 1);
  till_test_drain ();
  g_assert_null (till_staff_page_describe (page, "morgan"));
  g_assert_false (till_staff_page_get_busy (page));
  close_window (GTK_WINDOW (window));
}

/* The audit page */

#define OLD_ENTRIES 120

/* Old sign-ins, written into the log before anything else happens, so that
 * the page has pages to scroll through. */
static void
add_old_entries (void)
{
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db,
                                 "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) "
                                 "INSERT INTO audit (time, actor, action, subject, details, address) "
                                 "SELECT 1764000000 + i * 60, 'alice', 'login', 'alice', '{}', '127.0.0.1' FROM n",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static gint64
audit_entries (void)
{
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM audit", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

static gboolean
audit_loaded (gconstpointer list)
{
  return !till_audit_list_get_loading ((TillAuditList *) list) &&
         g_list_model_get_n_items (G_LIST_MODEL ((TillAuditList *) list)) > 0;
}

typedef struct
{
  TillAuditList *list;
  guint          count;
} CountWait;

static gboolean
audit_grew (gconstpointer data)
{
  const CountWait *wait = data;

  return !till_audit_list_get_loading (wait->list) && g_list_model_get_n_items (G_LIST_MODEL (wait->list)) > wait->count;
}

/* The words of the newest entry of action about subject, or NULL. */
static char *
find_words (TillAuditList *list,
            const char    *action,
            const char    *subject,
            char         **out_actor)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      g_autoptr(TillAuditEntry) entry = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (g_str_equal (till_audit_entry_get_action (entry), action) &&
          g_strcmp0 (till_audit_entry_get_subject (entry), subject) == 0)
        {
          if (out_actor != NULL)
            *out_actor = till_audit_page_describe_actor (entry);
          return till_audit_page_describe_action (entry, "USD");
        }
    }
  return NULL;
}

static void
assert_words (TillAuditList *list,
              const char    *action,
              const char    *subject,
              const char    *actor,
              const char    *words)
{
  g_autofree char *who = NULL;
  g_autofree char *found = find_words (list, action, subject, &who);

  g_assert_cmpstr (found, ==, words);
  g_assert_cmpstr (who, ==, actor);
}

/* A kiosk's approval through the API, as its approval dialog asks for it. */
static void
kiosk_approval (const char *token,
                const char *password,
                const char *action,
                guint       status)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"morgan\",\"password\":\"%s\",\"action\":\"%s\"}",
                                           password, action);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/approvals", token, NULL, body);

  g_assert_cmpuint (response->status, ==, status);
}

static void
test_audit (void)
{
  g_autofree char *alice = till_test_server_login (server, "alice", ALICE_PASSWORD);
  TillWindow *window = NULL;
  TillAuditPage *page;
  TillAuditList *list;
  GtkAdjustment *adjustment;
  gint64 total;

  /* A kiosk's approvals are not refunds': one granted while alice was
   * signed in at it, one refused at a kiosk's sign-in form. */
  kiosk_approval (alice, MORGAN_PASSWORD, "kiosk.quit", 200);
  kiosk_approval (NULL, "not-morgans-password", "kiosk.preferences", 403);

  window = sign_in_as ("morgan", MORGAN_PASSWORD);
  page = till_window_get_audit_page (window);
  list = till_audit_page_get_list (page);
  adjustment = gtk_scrolled_window_get_vadjustment (till_audit_page_get_scroller (page));
  total = audit_entries ();

  till_window_show_page (window, "audit");
  wait_for (audit_loaded, list, "the audit log");
  /* The first page only, newest first: what the tests above did. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 50);
  g_assert_true (till_audit_list_get_has_more (list));
  assert_words (list, "staff_added", "carla", "morgan", "Account added as cashier");
  assert_words (list, "staff_changed", "carla", "morgan", "Enabled");
  assert_words (list, "staff_password_reset", "carla", "morgan", "Password reset");
  assert_words (list, "approval_granted", NULL, "morgan", "Approved quitting Till at a kiosk (asked for by alice)");
  assert_words (list, "approval_refused", NULL, "Someone", "Kiosk approval refused: wrong name or password");
  till_test_save_screenshot (GTK_WIDGET (window), "audit-page");

  /* Scrolling to the end fetches the older pages, down to the first entry. */
  while (till_audit_list_get_has_more (list))
    {
      CountWait wait = { list, g_list_model_get_n_items (G_LIST_MODEL (list)) };

      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
      wait_for (audit_grew, &wait, "the next page");
    }
  g_assert_cmpint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, total);
  assert_words (list, "refund", cashier_refunded, "alice", "Refunded $5.00, approved by morgan");
  assert_words (list, "approval_granted", cashier_refunded, "morgan", "Approved a refund asked for by alice");
  assert_words (list, "approval_refused", cashier_refunded, "alice", "Refund approval refused: wrong name or password");
  assert_words (list, "refund", manager_refunded, "morgan", "Refunded $20.00");
  assert_words (list, "login", "alice", "alice", "Signed in");

  close_window (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-console");
  gtk_init ();

  app = till_test_application_new ();
  till_test_fatal_warnings_except ((const char * const[]) { NULL });

  server = till_test_server_new (NULL, NULL);
  till_test_server_add_user (server, "alice", "cashier", ALICE_PASSWORD);
  till_test_server_add_user (server, "morgan", "manager", MORGAN_PASSWORD);
  till_test_server_start (server);
  add_old_entries ();

  g_test_add_func ("/console/cashier-refund", test_cashier_refund);
  g_test_add_func ("/console/left-to-refund", test_left_to_refund);
  g_test_add_func ("/console/manager-refund-answer-lost", test_manager_refund_answer_lost);
  g_test_add_func ("/console/staff", test_staff);
  g_test_add_func ("/console/staff-markup", test_staff_markup);
  g_test_add_func ("/console/staff-late-list", test_staff_late_list);
  g_test_add_func ("/console/audit", test_audit);
  status = till_test_run ();

  till_test_server_free (server);
  g_free (cashier_refunded);
  g_free (manager_refunded);
  g_object_unref (app);
  return status;
}
