/* test-server-staff.c: the manager's console on till-server
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Over real HTTP against a real till-server and the Stripe stand-in: the
 * staff endpoints and the audit entry each change leaves; the rule that one
 * enabled manager remains, also for two requests at once; sessions that end
 * when an account is disabled, demoted or given a new password; a cashier's
 * refund with a manager's approval, refused without one or with a wrong one,
 * made once at Stripe with both names recorded, and an approval that is
 * never a session; the audit log that nobody can change, through the API or
 * in the SQLite file, and its pages.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define OTHER_PASSWORD   "bruno-password-2"
#define MANAGER_PASSWORD "morgan-password-3"

static TillTestServer *shop;

static char *
login (const char *name,
       const char *password)
{
  return till_test_server_login (shop, name, password);
}

static TillTestResponse *
login_attempt (const char *name,
               const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", name, password);

  return till_test_post_json (shop, "/api/login", NULL, NULL, body);
}

static TillTestResponse *
patch_staff (const char *token,
             const char *name,
             const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/staff/%s", name);

  return till_test_request (shop, "PATCH", path, token, NULL, "application/json", body, -1);
}

static TillTestResponse *
add_staff (const char *token,
           const char *name,
           const char *role,
           const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"role\":\"%s\"}",
                                           name, password, role);

  return till_test_post_json (shop, "/api/staff", token, NULL, body);
}

static guint
status_of (TillTestResponse *response)
{
  return response->status;
}

static guint
check_auth (const char *token)
{
  g_autoptr(TillTestResponse) response = till_test_get (shop, "/api/check-auth", token);

  return status_of (response);
}

static JsonNode *
newest_audit (const char *manager_token,
              const char *action)
{
  return till_test_server_newest_audit (shop, manager_token, action);
}

static gint64
count_rows (const char *sql)
{
  return till_test_server_count_rows (shop, sql);
}

/* Staff */

static void
test_list (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autofree char *cashier = login ("alice", CASHIER_PASSWORD);
  g_autoptr(TillTestResponse) listed = till_test_get (shop, "/api/staff", manager);
  g_autoptr(TillTestResponse) refused = till_test_get (shop, "/api/staff", cashier);
  JsonArray *data;
  gboolean saw_alice = FALSE;

  g_assert_cmpuint (listed->status, ==, 200);
  g_assert_null (strstr (listed->body, "argon2"));
  g_assert_null (strstr (listed->body, "password"));
  data = json_object_get_array_member (json_node_get_object (listed->json), "data");
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *user = json_array_get_object_element (data, i);

      g_assert_true (json_object_has_member (user, "created"));
      g_assert_true (json_object_has_member (user, "disabled"));
      if (g_str_equal (json_object_get_string_member (user, "username"), "alice"))
        {
          saw_alice = TRUE;
          g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "cashier");
        }
    }
  g_assert_true (saw_alice);
  till_assert_error_code (refused, 403, "forbidden");
}

static void
test_add (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autofree char *cashier = login ("alice", CASHIER_PASSWORD);
  g_autoptr(TillTestResponse) added = add_staff (manager, "carla.b@corner", "cashier", "carla-password-4");
  g_autoptr(TillTestResponse) again = add_staff (manager, "carla.b@corner", "manager", "carla-password-5");
  g_autoptr(TillTestResponse) by_cashier = add_staff (cashier, "dora", "cashier", "dora-password-6");
  g_autoptr(TillTestResponse) spaced = add_staff (manager, "dora d", "cashier", "dora-password-6");
  g_autoptr(TillTestResponse) long_name = NULL;
  g_autoptr(TillTestResponse) short_password = add_staff (manager, "dora", "cashier", "short");
  g_autoptr(TillTestResponse) bad_role = add_staff (manager, "dora", "owner", "dora-password-6");
  g_autoptr(JsonNode) entry = newest_audit (manager, "staff_added");
  g_autofree char *carla = NULL;
  g_autofree char *name65 = g_strnfill (65, 'x');

  g_assert_cmpuint (added->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (added->json, "username"), ==, "carla.b@corner");
  g_assert_cmpstr (till_test_json_string (added->json, "role"), ==, "cashier");
  g_assert_null (strstr (added->body, "password"));
  till_assert_error_code (again, 409, "username_taken");
  till_assert_error_code (by_cashier, 403, "forbidden");
  till_assert_error_code (spaced, 400, "invalid_field");
  g_assert_cmpstr (till_test_json_string (spaced->json, "error.param"), ==, "username");
  long_name = add_staff (manager, name65, "cashier", "dora-password-6");
  till_assert_error_code (long_name, 400, "invalid_field");
  till_assert_error_code (short_password, 400, "invalid_field");
  g_assert_cmpstr (till_test_json_string (short_password->json, "error.param"), ==, "password");
  till_assert_error_code (bad_role, 400, "invalid_field");
  g_assert_cmpstr (till_test_json_string (bad_role->json, "error.param"), ==, "role");

  /* The new cashier signs in; the log says who added whom, never the
   * password; dora was never added. */
  carla = login ("carla.b@corner", "carla-password-4");
  g_assert_cmpstr (till_test_json_string (entry, "actor"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (entry, "subject"), ==, "carla.b@corner");
  g_assert_cmpstr (till_test_json_string (entry, "details.role"), ==, "cashier");
  g_assert_cmpstr (till_test_json_string (entry, "address"), ==, "127.0.0.1");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM users WHERE name = 'dora'"), ==, 0);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE details LIKE '%carla-password%'"), ==, 0);
}

static void
test_disable_ends_sessions (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autofree char *bruno = login ("bruno", OTHER_PASSWORD);
  g_autoptr(TillTestResponse) disabled = NULL;
  g_autoptr(TillTestResponse) refused = NULL;
  g_autoptr(TillTestResponse) enabled = NULL;
  g_autoptr(JsonNode) change = NULL;
  g_autoptr(JsonNode) failure = NULL;
  g_autofree char *again = NULL;

  g_assert_cmpuint (check_auth (bruno), ==, 200);
  disabled = patch_staff (manager, "bruno", "{\"disabled\":true}");
  g_assert_cmpuint (disabled->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (disabled->json), "disabled"));
  change = newest_audit (manager, "staff_changed");

  g_assert_cmpuint (check_auth (bruno), ==, 401);
  refused = login_attempt ("bruno", OTHER_PASSWORD);
  till_assert_error_code (refused, 403, "account_disabled");
  failure = newest_audit (manager, "login_failed");

  g_assert_cmpstr (till_test_json_string (change, "actor"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (change, "subject"), ==, "bruno");
  g_assert_false (json_object_get_boolean_member (
    json_object_get_object_member (json_object_get_object_member (json_node_get_object (change), "details"), "before"),
    "disabled"));
  g_assert_true (json_object_get_boolean_member (
    json_object_get_object_member (json_object_get_object_member (json_node_get_object (change), "details"), "after"),
    "disabled"));
  g_assert_cmpstr (till_test_json_string (failure, "subject"), ==, "bruno");
  g_assert_cmpstr (till_test_json_string (failure, "details.reason"), ==, "account_disabled");
  g_assert_true (json_node_is_null (json_object_get_member (json_node_get_object (failure), "actor")));

  enabled = patch_staff (manager, "bruno", "{\"disabled\":false}");
  g_assert_cmpuint (enabled->status, ==, 200);
  again = login ("bruno", OTHER_PASSWORD);
  g_assert_cmpuint (check_auth (again), ==, 200);
}

static void
test_demote_ends_sessions (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) added = add_staff (manager, "erik", "manager", "erik-password-7");
  g_autofree char *erik = login ("erik", "erik-password-7");
  g_autoptr(TillTestResponse) demoted = patch_staff (manager, "erik", "{\"role\":\"cashier\"}");
  g_autofree char *as_cashier = NULL;
  g_autoptr(TillTestResponse) staff = NULL;

  g_assert_cmpuint (added->status, ==, 201);
  g_assert_cmpuint (demoted->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (demoted->json, "role"), ==, "cashier");
  g_assert_cmpuint (check_auth (erik), ==, 401);
  as_cashier = login ("erik", "erik-password-7");
  staff = till_test_get (shop, "/api/staff", as_cashier);
  till_assert_error_code (staff, 403, "forbidden");
}

static void
test_password_reset (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) added = add_staff (manager, "fay", "cashier", "fay-password-8");
  g_autofree char *fay = login ("fay", "fay-password-8");
  g_autoptr(TillTestResponse) too_short = till_test_post_json (shop, "/api/staff/fay/password", manager, NULL,
                                                               "{\"password\":\"1234567\"}");
  g_autoptr(TillTestResponse) reset = till_test_post_json (shop, "/api/staff/fay/password", manager, NULL,
                                                           "{\"password\":\"fay-new-password-9\"}");
  g_autoptr(TillTestResponse) unknown = till_test_post_json (shop, "/api/staff/nobody/password", manager, NULL,
                                                             "{\"password\":\"fay-new-password-9\"}");
  g_autoptr(TillTestResponse) old = login_attempt ("fay", "fay-password-8");
  g_autoptr(JsonNode) entry = newest_audit (manager, "staff_password_reset");
  g_autofree char *fresh = NULL;

  g_assert_cmpuint (added->status, ==, 201);
  till_assert_error_code (too_short, 400, "invalid_field");
  g_assert_cmpuint (reset->status, ==, 204);
  till_assert_error_code (unknown, 404, "user_not_found");
  g_assert_cmpuint (check_auth (fay), ==, 401);
  till_assert_error_code (old, 401, "invalid_credentials");
  fresh = login ("fay", "fay-new-password-9");
  g_assert_cmpstr (till_test_json_string (entry, "actor"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (entry, "subject"), ==, "fay");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE details LIKE '%fay-new%'"), ==, 0);
}

/* A sign-in whose password check was running when a manager reset the
 * password: the password it checked is the old one now, and it gets no
 * session that outlives the reset. A race, so tried a number of times,
 * each with an account of its own (the failures count against the name). */
typedef struct
{
  char             *name;
  TillTestResponse *response;
} SignIn;

static gpointer
sign_in_thread (gpointer user_data)
{
  SignIn *sign_in = user_data;

  sign_in->response = login_attempt (sign_in->name, "race-password-19");
  return NULL;
}

static void
test_reset_during_sign_in (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);

  for (guint round = 0; round < 12; round++)
    {
      g_autofree char *name = g_strdup_printf ("racer%u", round);
      g_autofree char *path = g_strdup_printf ("/api/staff/%s/password", name);
      g_autoptr(TillTestResponse) added = add_staff (manager, name, "cashier", "race-password-19");
      g_autoptr(TillTestResponse) reset = NULL;
      SignIn sign_in = { name, NULL };
      GThread *thread;

      g_assert_cmpuint (added->status, ==, 201);
      thread = g_thread_new ("sign-in", sign_in_thread, &sign_in);
      reset = till_test_post_json (shop, path, manager, NULL, "{\"password\":\"race-password-20\"}");
      g_thread_join (thread);

      g_assert_cmpuint (reset->status, ==, 204);
      if (sign_in.response->status == 200)
        g_assert_cmpuint (check_auth (till_test_json_string (sign_in.response->json, "token")), ==, 401);
      else
        till_assert_error_code (sign_in.response, 401, "invalid_credentials");
      till_test_response_free (sign_in.response);
    }
}

/* A manager's request that waits for a password to be hashed, while
 * another manager disables them: once disabled they can do nothing, so
 * the account they asked for is added before the disabling or not at all.
 * A race too, tried a number of times. */
typedef struct
{
  char             *token;
  char             *name;
  TillTestResponse *response;
} AddInThread;

static gpointer
add_thread (gpointer user_data)
{
  AddInThread *add = user_data;

  add->response = add_staff (add->token, add->name, "manager", "race-password-21");
  return NULL;
}

static gint64
audit_id_of (const char *action,
             const char *subject)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce (max (id), 0) FROM audit WHERE action = '%s'"
                                          " AND subject = '%s'", action, subject);

  return count_rows (sql);
}

static void
test_disable_during_add (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);

  for (guint round = 0; round < 12; round++)
    {
      g_autofree char *boss = g_strdup_printf ("boss%u", round);
      g_autofree char *hire = g_strdup_printf ("hire%u", round);
      g_autoptr(TillTestResponse) added = add_staff (manager, boss, "manager", "boss-password-22");
      g_autofree char *token = login (boss, "boss-password-22");
      g_autoptr(TillTestResponse) disabled = NULL;
      AddInThread add = { token, hire, NULL };
      GThread *thread;

      g_assert_cmpuint (added->status, ==, 201);
      thread = g_thread_new ("add", add_thread, &add);
      disabled = patch_staff (manager, boss, "{\"disabled\":true}");
      g_thread_join (thread);

      g_assert_cmpuint (disabled->status, ==, 200);
      if (add.response->status == 201)
        g_assert_cmpint (audit_id_of ("staff_added", hire), <, audit_id_of ("staff_changed", boss));
      else
        {
          till_assert_error_code (add.response, 401, "unauthorized");
          g_assert_cmpint (audit_id_of ("staff_added", hire), ==, 0);
        }
      till_test_response_free (add.response);
    }
}

static void
test_change_errors (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) unknown = patch_staff (manager, "nobody", "{\"disabled\":true}");
  g_autoptr(TillTestResponse) empty = patch_staff (manager, "alice", "{}");
  g_autoptr(TillTestResponse) not_bool = patch_staff (manager, "alice", "{\"disabled\":\"yes\"}");
  g_autoptr(TillTestResponse) bad_role = patch_staff (manager, "alice", "{\"role\":\"owner\"}");
  g_autoptr(TillTestResponse) spaced = patch_staff (manager, "al%20ice", "{\"disabled\":true}");
  g_autoptr(TillTestResponse) encoded = patch_staff (manager, "carla.b%40corner", "{\"role\":\"cashier\"}");

  till_assert_error_code (unknown, 404, "user_not_found");
  till_assert_error_code (empty, 400, "missing_field");
  till_assert_error_code (not_bool, 400, "invalid_field");
  g_assert_cmpstr (till_test_json_string (not_bool->json, "error.param"), ==, "disabled");
  till_assert_error_code (bad_role, 400, "invalid_field");
  /* No user name has a space: no such route. */
  till_assert_error_code (spaced, 404, "not_found");
  g_assert_cmpuint (encoded->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (encoded->json, "username"), ==, "carla.b@corner");
}

/* The last-manager rule */

typedef struct
{
  SoupMessage  *msg;
  GAsyncResult *result;
} Pending;

static void
start_patch (SoupSession *session,
             Pending     *pending,
             const char  *token,
             const char  *name,
             const char  *body)
{
  g_autofree char *url = g_strdup_printf ("%s/api/staff/%s", shop->url, name);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

  pending->msg = soup_message_new ("PATCH", url);
  soup_message_headers_replace (soup_message_get_request_headers (pending->msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (pending->msg, "application/json", bytes);
  soup_session_send_and_read_async (session, pending->msg, G_PRIORITY_DEFAULT, NULL,
                                    till_test_result_cb, &pending->result);
}

static guint
finish_patch (SoupSession *session,
              Pending     *pending,
              char       **out_code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (session, till_test_wait (&pending->result), &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  guint status = soup_message_get_status (pending->msg);

  g_assert_no_error (error);
  *out_code = NULL;
  if (status != 200)
    {
      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL));
      *out_code = g_strdup (till_test_json_string (json_parser_get_root (parser), "error.code"));
    }
  g_clear_object (&pending->msg);
  g_clear_object (&pending->result);
  return status;
}

static void
test_last_manager (void)
{
  g_autofree char *morgan = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(TillTestResponse) self_disable = NULL;
  g_autoptr(TillTestResponse) self_demote = NULL;
  g_autoptr(TillTestResponse) added = NULL;
  g_autoptr(TillTestResponse) restore = NULL;
  g_autofree char *gina = NULL;
  g_autofree char *code_a = NULL;
  g_autofree char *code_b = NULL;
  Pending a = { NULL, NULL };
  Pending b = { NULL, NULL };
  guint status_a, status_b;

  g_assert_cmpint (count_rows ("SELECT count (*) FROM users WHERE role = 'manager' AND disabled = 0"), ==, 1);
  self_disable = patch_staff (morgan, "morgan", "{\"disabled\":true}");
  self_demote = patch_staff (morgan, "morgan", "{\"role\":\"cashier\"}");
  till_assert_error_code (self_disable, 409, "last_manager");
  till_assert_error_code (self_demote, 409, "last_manager");
  g_assert_cmpuint (check_auth (morgan), ==, 200);

  /* Two managers, each disabling themselves at the same instant (their
   * own sessions end, nobody else's): one wins, the other is refused as
   * the last, and one enabled manager remains. */
  added = add_staff (morgan, "gina", "manager", "gina-password-10");
  g_assert_cmpuint (added->status, ==, 201);
  gina = login ("gina", "gina-password-10");
  start_patch (session, &a, morgan, "morgan", "{\"disabled\":true}");
  start_patch (session, &b, gina, "gina", "{\"disabled\":true}");
  status_a = finish_patch (session, &a, &code_a);
  status_b = finish_patch (session, &b, &code_b);

  g_assert_cmpuint (status_a + status_b, ==, 200 + 409);
  g_assert_cmpstr (status_a == 409 ? code_a : code_b, ==, "last_manager");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM users WHERE role = 'manager' AND disabled = 0"), ==, 1);

  /* Put things back for the other tests: morgan, the one manager. */
  if (status_a == 200)
    {
      g_autoptr(TillTestResponse) back = patch_staff (gina, "morgan", "{\"disabled\":false}");

      g_assert_cmpuint (back->status, ==, 200);
      g_free (morgan);
      morgan = login ("morgan", MANAGER_PASSWORD);
    }
  restore = patch_staff (morgan, "gina", "{\"disabled\":true}");
  g_assert_cmpuint (restore->status, ==, 200);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM users WHERE role = 'manager' AND disabled = 0"), ==, 1);
}

/* A cashier's refund with a manager's approval */

static char *
paid (const char *token,
      gint64      amount)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (shop, "/api/payments", token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

static TillTestResponse *
refund (const char *token,
        const char *payment_id,
        const char *key,
        const char *body)
{
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);

  return till_test_post_json (shop, path, token, key, body);
}

/* The refunds at the Stripe stand-in made for till-server's refund
 * refund_id (NULL: all of them). */
static guint
refunds_at_stripe (const char *refund_id)
{
  g_autoptr(JsonNode) list = till_test_stripe_get_json ("/v1/refunds?limit=100");
  JsonArray *data = json_object_get_array_member (json_node_get_object (list), "data");
  guint count = 0;

  g_assert_cmpuint (json_array_get_length (data), <, 100);
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *r = json_array_get_object_element (data, i);
      JsonObject *metadata = json_object_get_object_member (r, "metadata");

      if (refund_id == NULL ||
          (metadata != NULL &&
           g_strcmp0 (json_object_get_string_member_with_default (metadata, "till_refund_id", ""), refund_id) == 0))
        count++;
    }
  return count;
}

static gint64
session_count (void)
{
  return count_rows ("SELECT count (*) FROM sessions");
}

static void
test_approval (void)
{
  g_autofree char *alice = login ("alice", CASHIER_PASSWORD);
  g_autofree char *bruno = login ("bruno", OTHER_PASSWORD);
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  /* bruno's payment: alice refunds it, with morgan's approval. */
  g_autofree char *payment = paid (bruno, 1800);
  g_autofree char *key = till_test_new_key ();
  guint stripe_before = refunds_at_stripe (NULL);
  g_autoptr(TillTestResponse) none = refund (alice, payment, key, "{\"amount\":500}");
  g_autoptr(TillTestResponse) wrong = refund (alice, payment, key,
    "{\"amount\":500,\"approval\":{\"username\":\"morgan\",\"password\":\"guess-1234\"}}");
  g_autoptr(JsonNode) wrong_entry = newest_audit (manager, "approval_refused");
  g_autoptr(TillTestResponse) by_cashier = refund (alice, payment, key,
    "{\"amount\":500,\"approval\":{\"username\":\"bruno\",\"password\":\"" OTHER_PASSWORD "\"}}");
  g_autoptr(JsonNode) cashier_entry = newest_audit (manager, "approval_refused");
  gint64 sessions_before = session_count ();
  g_autoptr(TillTestResponse) approved = refund (alice, payment, key,
    "{\"amount\":500,\"approval\":{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\"}}");
  g_autoptr(JsonNode) refund_entry = newest_audit (manager, "refund");
  g_autoptr(JsonNode) granted_entry = newest_audit (manager, "approval_granted");

  till_assert_error_code (none, 403, "approval_required");
  till_assert_error_code (wrong, 403, "approval_refused");
  till_assert_error_code (by_cashier, 403, "approval_refused");

  g_assert_cmpstr (till_test_json_string (wrong_entry, "actor"), ==, "alice");
  g_assert_cmpstr (till_test_json_string (wrong_entry, "subject"), ==, payment);
  g_assert_cmpstr (till_test_json_string (wrong_entry, "details.approver"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (wrong_entry, "details.reason"), ==, "wrong_credentials");
  g_assert_cmpstr (till_test_json_string (cashier_entry, "details.approver"), ==, "bruno");
  g_assert_cmpstr (till_test_json_string (cashier_entry, "details.reason"), ==, "not_a_manager");

  g_assert_cmpuint (approved->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (approved->json, "refund.requested_by"), ==, "alice");
  g_assert_cmpstr (till_test_json_string (approved->json, "refund.approved_by"), ==, "morgan");
  g_assert_cmpint (till_test_json_int (approved->json, "payment.amount_refunded"), ==, 500);
  /* An approval is no sign-in: no token in the answer, no session made. */
  g_assert_null (strstr (approved->body, "token"));
  g_assert_cmpint (session_count (), ==, sessions_before);
  g_assert_cmpuint (refunds_at_stripe (till_test_json_string (approved->json, "refund.id")), ==, 1);
  g_assert_cmpuint (refunds_at_stripe (NULL), ==, stripe_before + 1);

  g_assert_cmpstr (till_test_json_string (refund_entry, "actor"), ==, "alice");
  g_assert_cmpstr (till_test_json_string (refund_entry, "subject"), ==, payment);
  g_assert_cmpint (till_test_json_int (refund_entry, "details.amount"), ==, 500);
  g_assert_cmpstr (till_test_json_string (refund_entry, "details.status"), ==, "succeeded");
  g_assert_cmpstr (till_test_json_string (refund_entry, "details.approved_by"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (granted_entry, "actor"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (granted_entry, "details.requested_by"), ==, "alice");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE details LIKE '%" MANAGER_PASSWORD "%'"
                               " OR details LIKE '%guess-1234%'"), ==, 0);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM refunds r JOIN users u ON u.id = r.approved_by"
                               " WHERE u.name = 'morgan'"), ==, 1);
}

/* The same Idempotency-Key again needs the approval again; with it, the
 * first refund is answered and Stripe sees no second one. */
static void
test_approval_replay (void)
{
  g_autofree char *alice = login ("alice", CASHIER_PASSWORD);
  g_autofree char *payment = paid (alice, 2000);
  g_autofree char *key = till_test_new_key ();
  guint stripe_before = refunds_at_stripe (NULL);
  const char *body = "{\"approval\":{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\"}}";
  g_autoptr(TillTestResponse) first = refund (alice, payment, key, body);
  g_autoptr(TillTestResponse) bare = refund (alice, payment, key, "{}");
  g_autoptr(TillTestResponse) wrong = refund (alice, payment, key,
    "{\"approval\":{\"username\":\"morgan\",\"password\":\"not-the-password\"}}");
  g_autoptr(TillTestResponse) again = refund (alice, payment, key, body);

  g_assert_cmpuint (first->status, ==, 201);
  till_assert_error_code (bare, 403, "approval_required");
  till_assert_error_code (wrong, 403, "approval_refused");
  g_assert_cmpuint (again->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (again->headers, "Idempotent-Replayed"), ==, "true");
  g_assert_cmpstr (till_test_json_string (again->json, "refund.id"), ==,
                   till_test_json_string (first->json, "refund.id"));
  g_assert_cmpuint (refunds_at_stripe (till_test_json_string (first->json, "refund.id")), ==, 1);
  g_assert_cmpuint (refunds_at_stripe (NULL), ==, stripe_before + 1);
  g_assert_cmpint (till_test_json_int (again->json, "payment.amount_refunded"), ==, 2000);
}

/* A manager needs no approval; one naming the manager who asks is no
 * second pair of eyes, and is refused. */
static void
test_manager_refund (void)
{
  g_autofree char *alice = login ("alice", CASHIER_PASSWORD);
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autofree char *payment = paid (alice, 900);
  g_autofree char *key1 = till_test_new_key ();
  g_autofree char *key2 = till_test_new_key ();
  g_autoptr(TillTestResponse) own = refund (manager, payment, key1,
    "{\"amount\":100,\"approval\":{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\"}}");
  g_autoptr(TillTestResponse) plain = refund (manager, payment, key2, "{\"amount\":100}");

  till_assert_error_code (own, 403, "approval_refused");
  g_assert_cmpuint (plain->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (plain->json, "refund.requested_by"), ==, "morgan");
  g_assert_true (json_node_is_null (json_object_get_member (
    json_object_get_object_member (json_node_get_object (plain->json), "refund"), "approved_by")));
}

/* Approvals count against the manager's name like sign-ins: guessing
 * stops at the limit even for the right password, for sign-in too. */
static void
test_approval_rate_limited (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) added = add_staff (manager, "hugo", "manager", "hugo-password-11");
  g_autofree char *alice = login ("alice", CASHIER_PASSWORD);
  g_autofree char *payment = paid (alice, 700);
  g_autoptr(TillTestResponse) right = NULL;
  g_autoptr(TillTestResponse) signin = NULL;

  g_assert_cmpuint (added->status, ==, 201);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *key = till_test_new_key ();
      g_autofree char *body = g_strdup_printf ("{\"approval\":{\"username\":\"hugo\",\"password\":\"guess-%u-xyz\"}}", i);
      g_autoptr(TillTestResponse) guess = refund (alice, payment, key, body);

      till_assert_error_code (guess, 403, "approval_refused");
    }
  {
    g_autofree char *key = till_test_new_key ();

    right = refund (alice, payment, key, "{\"approval\":{\"username\":\"hugo\",\"password\":\"hugo-password-11\"}}");
  }
  till_assert_error_code (right, 429, "rate_limited");
  g_assert_nonnull (soup_message_headers_get_one (right->headers, "Retry-After"));
  signin = login_attempt ("hugo", "hugo-password-11");
  till_assert_error_code (signin, 429, "rate_limited");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM refunds WHERE approved_by ="
                               " (SELECT id FROM users WHERE name = 'hugo')"), ==, 0);
}

/* A name in the path is percent-decoded once, as the client encoded it:
 * "t%69na" (sent as t%2569na) is that account, never "tina", and a name
 * with a '/' (sent as %2F) is reachable too. */
static void
test_path_name_decoded_once (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) tina = add_staff (manager, "tina", "manager", "tina-password-12");
  g_autoptr(TillTestResponse) lookalike = add_staff (manager, "t%69na", "cashier", "tina-password-13");
  g_autoptr(TillTestResponse) slashed = add_staff (manager, "shop/till", "cashier", "till-password-14");
  g_autoptr(TillTestResponse) disabled = patch_staff (manager, "t%2569na", "{\"disabled\":true}");
  g_autoptr(TillTestResponse) slash_disabled = patch_staff (manager, "shop%2Ftill", "{\"disabled\":true}");
  g_autoptr(TillTestResponse) reset = till_test_post_json (shop, "/api/staff/t%2569na/password", manager, NULL,
                                                           "{\"password\":\"tina-password-15\"}");
  g_autofree char *still_tina = NULL;

  g_assert_cmpuint (tina->status, ==, 201);
  g_assert_cmpuint (lookalike->status, ==, 201);
  g_assert_cmpuint (slashed->status, ==, 201);
  g_assert_cmpuint (disabled->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (disabled->json, "username"), ==, "t%69na");
  g_assert_true (json_object_get_boolean_member (json_node_get_object (disabled->json), "disabled"));
  g_assert_cmpuint (slash_disabled->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (slash_disabled->json, "username"), ==, "shop/till");
  g_assert_cmpuint (reset->status, ==, 204);
  /* tina was neither disabled nor given the new password. */
  g_assert_cmpint (count_rows ("SELECT count (*) FROM users WHERE name = 'tina' AND disabled = 0"), ==, 1);
  still_tina = login ("tina", "tina-password-12");
  g_assert_cmpuint (check_auth (still_tina), ==, 200);
}

/* A name is refused when it has a space or control character of any
 * kind, or an invisible character one name could hide behind, or cannot
 * be a path segment. */
static void
test_hostile_names (void)
{
  static const char * const names[] = {
    "\\u00a0x",          /* no-break space */
    "x\\u3000",          /* ideographic space */
    "x\\u0085",          /* next line, a C1 control */
    "x\\u2028y",         /* line separator */
    "\\u202eevil",       /* right-to-left override */
    "mor\\u200bgan",     /* zero width space */
    "\\ufeffmorgan",     /* byte order mark */
    ".",
    "..",
  };
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(TillTestResponse) added = add_staff (manager, names[i], "cashier", "hostile-password-16");

      till_assert_error_code (added, 400, "invalid_field");
      g_assert_cmpstr (till_test_json_string (added->json, "error.param"), ==, "username");
    }
  g_assert_cmpint (count_rows ("SELECT count (*) FROM users WHERE name LIKE '%evil%'"
                               " OR name IN ('.', '..')"), ==, 0);
}

/* A right password that is refused all the same (a cashier naming
 * themselves as approver, a disabled account signing in) counts against
 * the name like a wrong one: each refusal is an audit entry, and the log
 * must not grow faster than the limits let guesses through. */
static void
test_right_password_refused_counts (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) added = add_staff (manager, "ines", "cashier", "ines-password-17");
  g_autoptr(TillTestResponse) other = add_staff (manager, "jon", "cashier", "jon-password-18");
  g_autofree char *ines = login ("ines", "ines-password-17");
  g_autofree char *payment = paid (ines, 300);
  g_autoptr(TillTestResponse) disabled = patch_staff (manager, "jon", "{\"disabled\":true}");
  g_autoptr(TillTestResponse) last_approval = NULL;
  g_autoptr(TillTestResponse) last_login = NULL;

  g_assert_cmpuint (added->status, ==, 201);
  g_assert_cmpuint (other->status, ==, 201);
  g_assert_cmpuint (disabled->status, ==, 200);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *key = till_test_new_key ();
      g_autoptr(TillTestResponse) own = refund (ines, payment, key,
        "{\"approval\":{\"username\":\"ines\",\"password\":\"ines-password-17\"}}");
      g_autoptr(TillTestResponse) signin = login_attempt ("jon", "jon-password-18");

      till_assert_error_code (own, 403, "approval_refused");
      till_assert_error_code (signin, 403, "account_disabled");
    }
  {
    g_autofree char *key = till_test_new_key ();

    last_approval = refund (ines, payment, key,
                            "{\"approval\":{\"username\":\"ines\",\"password\":\"ines-password-17\"}}");
  }
  last_login = login_attempt ("jon", "jon-password-18");
  till_assert_error_code (last_approval, 429, "rate_limited");
  till_assert_error_code (last_login, 429, "rate_limited");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE action = 'approval_refused'"
                               " AND actor = 'ines'"), ==, 5);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE action = 'login_failed'"
                               " AND subject = 'jon'"), ==, 5);
}

/* The audit log */

static void
test_login_entries (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) wrong = login_attempt ("alice", "wrong-password");
  g_autoptr(JsonNode) wrong_entry = newest_audit (manager, "login_failed");
  /* Someone typed their password into the name field. */
  g_autoptr(TillTestResponse) unknown = login_attempt ("Secret-Pa55word", "x");
  g_autoptr(JsonNode) unknown_entry = newest_audit (manager, "login_failed");
  g_autofree char *alice = login ("alice", CASHIER_PASSWORD);
  g_autoptr(JsonNode) login_entry = newest_audit (manager, "login");
  g_autoptr(TillTestResponse) out = till_test_post_json (shop, "/api/logout", alice, NULL, NULL);
  g_autoptr(JsonNode) logout_entry = newest_audit (manager, "logout");
  g_autoptr(TillTestResponse) all = till_test_get (shop, "/api/audit?limit=100", manager);

  till_assert_error_code (wrong, 401, "invalid_credentials");
  till_assert_error_code (unknown, 401, "invalid_credentials");
  g_assert_cmpstr (till_test_json_string (wrong_entry, "subject"), ==, "alice");
  g_assert_cmpstr (till_test_json_string (wrong_entry, "details.reason"), ==, "wrong_password");
  g_assert_cmpstr (till_test_json_string (wrong_entry, "address"), ==, "127.0.0.1");
  g_assert_true (json_node_is_null (json_object_get_member (json_node_get_object (unknown_entry), "subject")));
  g_assert_cmpstr (till_test_json_string (unknown_entry, "details.reason"), ==, "unknown_user");
  g_assert_cmpuint (strlen (till_test_json_string (unknown_entry, "details.username_sha256")), ==, 16);
  g_assert_null (strstr (all->body, "Secret-Pa55word"));
  g_assert_null (strstr (all->body, "wrong-password"));
  g_assert_cmpstr (till_test_json_string (login_entry, "actor"), ==, "alice");
  g_assert_cmpuint (out->status, ==, 204);
  g_assert_cmpstr (till_test_json_string (logout_entry, "actor"), ==, "alice");
}

/* The users this test started with were added by `till-server user add`:
 * logged too, with no actor. */
static void
test_command_line_entries (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) added = till_test_get (shop, "/api/audit?action=staff_added&limit=100", manager);
  JsonArray *data = json_object_get_array_member (json_node_get_object (added->json), "data");
  guint from_cli = 0;

  g_assert_cmpuint (added->status, ==, 200);
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonNode *entry = json_array_get_element (data, i);

      if (g_strcmp0 (till_test_json_string (entry, "details.via"), "command line") != 0)
        continue;
      from_cli++;
      g_assert_true (json_node_is_null (json_object_get_member (json_node_get_object (entry), "actor")));
      g_assert_true (json_node_is_null (json_object_get_member (json_node_get_object (entry), "address")));
    }
  g_assert_cmpuint (from_cli, ==, 3);
}

static void
test_append_only (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autofree char *cashier = login ("alice", CASHIER_PASSWORD);
  g_autofree char *path = g_build_filename (shop->dir, "db", "till.db", NULL);
  g_autoptr(TillTestResponse) put = till_test_request (shop, "PUT", "/api/audit", manager, NULL,
                                                       "application/json", "{}", -1);
  g_autoptr(TillTestResponse) del = till_test_request (shop, "DELETE", "/api/audit", manager, NULL, NULL, NULL, 0);
  g_autoptr(TillTestResponse) post = till_test_post_json (shop, "/api/audit", manager, NULL, "{}");
  g_autoptr(TillTestResponse) by_cashier = till_test_get (shop, "/api/audit", cashier);
  gint64 before = count_rows ("SELECT count (*) FROM audit");
  sqlite3 *db = NULL;
  char *message = NULL;

  till_assert_error_code (put, 405, "method_not_allowed");
  till_assert_error_code (del, 405, "method_not_allowed");
  till_assert_error_code (post, 405, "method_not_allowed");
  till_assert_error_code (by_cashier, 403, "forbidden");

  /* Whoever opens the file: the triggers refuse. */
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE audit SET actor = 'nobody'", NULL, NULL, &message), ==, SQLITE_CONSTRAINT);
  g_assert_nonnull (strstr (message, "append-only"));
  sqlite3_free (message);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit", NULL, NULL, &message), ==, SQLITE_CONSTRAINT);
  g_assert_nonnull (strstr (message, "append-only"));
  sqlite3_free (message);
  sqlite3_close (db);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit"), ==, before);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE actor = 'nobody'"), ==, 0);
}

static void
test_paging (void)
{
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) added = add_staff (manager, "ivy", "cashier", "ivy-password-12");
  g_autofree char *after = NULL;
  gint64 last_id = G_MAXINT64;
  guint seen = 0, pages = 0;
  gint64 walked = 0;

  g_assert_cmpuint (added->status, ==, 201);
  for (guint i = 0; i < 7; i++)
    {
      g_autoptr(TillTestResponse) flip = patch_staff (manager, "ivy", i % 2 ? "{\"disabled\":false}" : "{\"disabled\":true}");

      g_assert_cmpuint (flip->status, ==, 200);
    }

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/audit?limit=3&action=staff_changed&actor=morgan%s%s",
                                               after ? "&starting_after=" : "", after ? after : "");
      g_autoptr(TillTestResponse) page = till_test_get (shop, path, manager);
      JsonObject *object = json_node_get_object (page->json);
      JsonArray *data = json_object_get_array_member (object, "data");

      g_assert_cmpuint (page->status, ==, 200);
      g_assert_cmpuint (json_array_get_length (data), <=, 3);
      pages++;
      for (guint i = 0; i < json_array_get_length (data); i++)
        {
          JsonObject *entry = json_array_get_object_element (data, i);
          gint64 id = json_object_get_int_member (entry, "id");

          g_assert_cmpint (id, <, last_id);
          g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "staff_changed");
          g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "morgan");
          last_id = id;
          walked++;
          if (g_str_equal (json_object_get_string_member (entry, "subject"), "ivy"))
            seen++;
        }
      if (!json_object_get_boolean_member (object, "has_more"))
        break;
      g_free (after);
      after = g_strdup_printf ("%" G_GINT64_FORMAT, last_id);
    }
  g_assert_cmpuint (seen, ==, 7);
  g_assert_cmpuint (pages, >=, 3);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE action = 'staff_changed' AND actor = 'morgan'"),
                   ==, walked);
}

typedef struct
{
  const char *query;
  const char *param;
} BadQuery;

static const BadQuery bad_queries[] = {
  { "limit=0", "limit" },
  { "limit=101", "limit" },
  { "limit=-1", "limit" },
  { "limit=1e2", "limit" },
  { "starting_after=abc", "starting_after" },
  { "starting_after=999999999", "starting_after" },
  { "starting_after=99999999999999999999999", "starting_after" },
  { "action=drop_table", "action" },
  { "actor=a%20b", "actor" },
  { "actor=%01", "actor" },
};

static void
test_bad_query (gconstpointer data)
{
  const BadQuery *c = data;
  g_autofree char *manager = login ("morgan", MANAGER_PASSWORD);
  g_autofree char *path = g_strconcat ("/api/audit?", c->query, NULL);
  g_autoptr(TillTestResponse) response = till_test_get (shop, path, manager);

  till_assert_error_code (response, 400, "invalid_parameter");
  g_assert_cmpstr (till_test_json_string (response->json, "error.param"), ==, c->param);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/staff/list", test_list);
  g_test_add_func ("/server/staff/add", test_add);
  g_test_add_func ("/server/staff/disable-ends-sessions", test_disable_ends_sessions);
  g_test_add_func ("/server/staff/demote-ends-sessions", test_demote_ends_sessions);
  g_test_add_func ("/server/staff/password-reset", test_password_reset);
  g_test_add_func ("/server/staff/reset-during-sign-in", test_reset_during_sign_in);
  g_test_add_func ("/server/staff/disable-during-add", test_disable_during_add);
  g_test_add_func ("/server/staff/change-errors", test_change_errors);
  g_test_add_func ("/server/staff/last-manager", test_last_manager);
  g_test_add_func ("/server/staff/path-name-decoded-once", test_path_name_decoded_once);
  g_test_add_func ("/server/staff/hostile-names", test_hostile_names);
  g_test_add_func ("/server/approval/cashier-refund", test_approval);
  g_test_add_func ("/server/approval/replay", test_approval_replay);
  g_test_add_func ("/server/approval/manager", test_manager_refund);
  g_test_add_func ("/server/approval/rate-limited", test_approval_rate_limited);
  g_test_add_func ("/server/approval/right-password-refused-counts", test_right_password_refused_counts);
  g_test_add_func ("/server/audit/logins", test_login_entries);
  g_test_add_func ("/server/audit/command-line", test_command_line_entries);
  g_test_add_func ("/server/audit/append-only", test_append_only);
  g_test_add_func ("/server/audit/paging", test_paging);
  for (guint i = 0; i < G_N_ELEMENTS (bad_queries); i++)
    {
      g_autofree char *path = g_strdup_printf ("/server/audit/bad-query/%u", i);

      g_test_add_data_func (path, &bad_queries[i], test_bad_query);
    }

  /* Failed attempts from this one address add up over the tests: only the
   * per-name limit is the default one. */
  shop = till_test_server_new (NULL, "[server]\nlogin-failures-per-address=1000\n");
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "bruno", "cashier", OTHER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);

  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
