/* test-server-approvals.c: a manager's approval of a kiosk's action
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Over real HTTP against a real till-server: POST /api/approvals grants an
 * enabled manager's approval with or without a session, refuses a wrong
 * password, a cashier's and a disabled manager's, and logs each in the
 * audit log without the password; a session sent is checked; bad bodies
 * get their 400 with the field named; and guesses stop at the sign-in
 * limits, which approvals and sign-ins share.
 */
#include "config.h"

#include <string.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-3"
#define RETIRED_PASSWORD "rita-password-4"

static TillTestServer *shop;

static TillTestResponse *
approve (const char *token,
         const char *username,
         const char *password,
         const char *action)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\",\"action\":\"%s\"}",
                                           username, password, action);

  return till_test_post_json (shop, "/api/approvals", token, NULL, body);
}

static gint64
count_rows (const char *sql)
{
  return till_test_server_count_rows (shop, sql);
}

/* The newest audit entry of an action, as a copy. */
static JsonNode *
newest_audit (const char *action)
{
  g_autofree char *manager = till_test_server_login (shop, "morgan", MANAGER_PASSWORD);

  return till_test_server_newest_audit (shop, manager, action);
}

static gboolean
member_is_null (JsonNode   *node,
                const char *object,
                const char *member)
{
  JsonObject *o = json_node_get_object (node);

  if (object != NULL)
    o = json_object_get_object_member (o, object);
  return json_object_has_member (o, member) && json_node_is_null (json_object_get_member (o, member));
}

/* At a sign-in form nobody is signed in: the approval needs no session,
 * makes none, and the log says so. */
static void
test_granted_without_session (void)
{
  gint64 sessions = count_rows ("SELECT count (*) FROM sessions");
  g_autoptr(TillTestResponse) granted = approve (NULL, "morgan", MANAGER_PASSWORD, "kiosk.quit");
  g_autoptr(JsonNode) entry = NULL;

  g_assert_cmpuint (granted->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (granted->json, "action"), ==, "kiosk.quit");
  g_assert_cmpstr (till_test_json_string (granted->json, "approver.name"), ==, "morgan");
  g_assert_cmpstr (till_test_json_string (granted->json, "approver.role"), ==, "manager");
  g_assert_null (strstr (granted->body, "token"));
  g_assert_cmpint (count_rows ("SELECT count (*) FROM sessions"), ==, sessions);

  entry = newest_audit ("approval_granted");
  g_assert_cmpstr (till_test_json_string (entry, "actor"), ==, "morgan");
  g_assert_true (member_is_null (entry, NULL, "subject"));
  g_assert_cmpstr (till_test_json_string (entry, "details.for"), ==, "kiosk.quit");
  g_assert_true (member_is_null (entry, "details", "requested_by"));
}

/* With a cashier signed in at the kiosk, the log names the cashier. */
static void
test_granted_with_session (void)
{
  g_autofree char *alice = till_test_server_login (shop, "alice", CASHIER_PASSWORD);
  g_autoptr(TillTestResponse) granted = approve (alice, "morgan", MANAGER_PASSWORD, "kiosk.preferences");
  g_autoptr(JsonNode) entry = newest_audit ("approval_granted");

  g_assert_cmpuint (granted->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (entry, "details.requested_by"), ==, "alice");
  g_assert_cmpstr (till_test_json_string (entry, "details.for"), ==, "kiosk.preferences");
}

/* A session that is no longer good is refused, not ignored. */
static void
test_bad_session (void)
{
  g_autoptr(TillTestResponse) refused = approve ("not-a-token-of-this-server", "morgan", MANAGER_PASSWORD,
                                                 "kiosk.quit");

  till_assert_error_code (refused, 401, "unauthorized");
}

typedef struct
{
  const char *name;
  const char *username;
  const char *password;
  const char *reason;
  const char *approver;   /* the name logged, or NULL for its hash */
} Refusal;

static const Refusal refusals[] = {
  { "wrong-password", "morgan", "guess-1234-abc", "wrong_credentials", "morgan" },
  { "cashier", "alice", CASHIER_PASSWORD, "not_a_manager", "alice" },
  { "disabled-manager", "rita", RETIRED_PASSWORD, "approver_disabled", "rita" },
  { "unknown-name", "nobody-here", "whatever-1234", "wrong_credentials", NULL },
};

static void
test_refused (gconstpointer data)
{
  const Refusal *r = data;
  g_autoptr(TillTestResponse) refused = approve (NULL, r->username, r->password, "kiosk.leave");
  g_autoptr(JsonNode) entry = newest_audit ("approval_refused");

  till_assert_error_code (refused, 403, "approval_refused");
  g_assert_true (member_is_null (entry, NULL, "actor"));
  g_assert_cmpstr (till_test_json_string (entry, "details.reason"), ==, r->reason);
  g_assert_cmpstr (till_test_json_string (entry, "details.for"), ==, "kiosk.leave");
  if (r->approver != NULL)
    g_assert_cmpstr (till_test_json_string (entry, "details.approver"), ==, r->approver);
  else
    g_assert_cmpuint (strlen (till_test_json_string (entry, "details.approver_sha256")), ==, 16);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE details LIKE '%password%'"
                               " OR details LIKE '%guess-1234%' OR details LIKE '%nobody-here%'"), ==, 0);
}

typedef struct
{
  const char *body;
  const char *code;
  const char *param;
} BadBody;

static const BadBody bad_bodies[] = {
  { "{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\"}", "missing_field", "action" },
  { "{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\",\"action\":\"kiosk.anything\"}",
    "invalid_field", "action" },
  { "{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\",\"action\":7}", "invalid_field", "action" },
  { "{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\",\"action\":\"refund\"}",
    "invalid_field", "action" },
  { "{\"username\":\"morgan\",\"password\":\"\",\"action\":\"kiosk.quit\"}", "missing_field", "password" },
  { "{\"password\":\"" MANAGER_PASSWORD "\",\"action\":\"kiosk.quit\"}", "missing_field", "username" },
  { "{\"username\":\"mor\\u0007gan\",\"password\":\"x\",\"action\":\"kiosk.quit\"}", "invalid_field", "username" },
  { "{\"username\":[\"morgan\"],\"password\":\"x\",\"action\":\"kiosk.quit\"}", "invalid_field", "username" },
  { "{\"username\":\"morgan\",\"password\":\"" MANAGER_PASSWORD "\",\"action\":\"kiosk.quit\",\"for\":\"x\"}",
    "unknown_field", NULL },
  { "[\"morgan\"]", "invalid_body", NULL },
  { "{\"username\":\"morgan\",", "malformed_json", NULL },
};

static void
test_bad_body (gconstpointer data)
{
  const BadBody *bad = data;
  gint64 entries = count_rows ("SELECT count (*) FROM audit");
  g_autoptr(TillTestResponse) refused = till_test_post_json (shop, "/api/approvals", NULL, NULL, bad->body);

  till_assert_error_code (refused, 400, bad->code);
  g_assert_cmpstr (till_test_json_string (refused->json, "error.param"), ==, bad->param);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit"), ==, entries);
}

/* Approvals count against the manager's name like sign-ins: after five
 * wrong guesses even the right password is refused, for a sign-in too,
 * and what the limiter refused is not logged. */
static void
test_rate_limited (void)
{
  g_autoptr(TillTestResponse) right = NULL;
  g_autoptr(TillTestResponse) signin = NULL;
  gint64 refused_before;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *guess = g_strdup_printf ("guess-%u-xyz", i);
      g_autoptr(TillTestResponse) refused = approve (NULL, "hugo", guess, "kiosk.quit");

      till_assert_error_code (refused, 403, "approval_refused");
    }
  refused_before = count_rows ("SELECT count (*) FROM audit WHERE action = 'approval_refused'");
  right = approve (NULL, "hugo", "hugo-password-11", "kiosk.quit");
  till_assert_error_code (right, 429, "rate_limited");
  g_assert_nonnull (soup_message_headers_get_one (right->headers, "Retry-After"));
  signin = till_test_post_json (shop, "/api/login", NULL, NULL,
                                "{\"username\":\"hugo\",\"password\":\"hugo-password-11\"}");
  till_assert_error_code (signin, 429, "rate_limited");
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE action = 'approval_refused'"), ==,
                   refused_before);
  g_assert_cmpint (count_rows ("SELECT count (*) FROM audit WHERE action = 'approval_granted'"
                               " AND actor = 'hugo'"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/approvals/granted-without-session", test_granted_without_session);
  g_test_add_func ("/server/approvals/granted-with-session", test_granted_with_session);
  g_test_add_func ("/server/approvals/bad-session", test_bad_session);
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *path = g_strdup_printf ("/server/approvals/refused/%s", refusals[i].name);

      g_test_add_data_func (path, &refusals[i], test_refused);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_bodies); i++)
    {
      g_autofree char *path = g_strdup_printf ("/server/approvals/bad-body/%u", i);

      g_test_add_data_func (path, &bad_bodies[i], test_bad_body);
    }
  g_test_add_func ("/server/approvals/rate-limited", test_rate_limited);

  /* Failed attempts from this one address add up over the tests: only the
   * per-name limit is the default one. */
  shop = till_test_server_new (NULL, "[server]\nlogin-failures-per-address=1000\n");
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_add_user (shop, "rita", "manager", RETIRED_PASSWORD);
  till_test_server_add_user (shop, "hugo", "manager", "hugo-password-11");
  g_assert_cmpint (till_test_server_cli (shop, NULL, NULL, NULL, "user", "disable", "rita", NULL), ==, 0);
  till_test_server_start (shop);

  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
