/* test-server-roles.c: who may call each route of till-server's API
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every route, read from the very tables the server dispatches from
 * (till_api_get_route_tables(), linked in from the server's library), is
 * requested over real HTTP with no session, with a cashier's and with a
 * manager's, and must answer 401, 403 or go past the role check as the
 * table below expects. A route added to the server without a row here
 * fails /server/roles/every-route-expected; a row whose route is gone
 * fails it too. The requests carry an empty body and a fresh
 * Idempotency-Key, so that once past the role check they stop at a 400
 * or 404 and change nothing.
 */
#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-3"

typedef enum
{
  PUBLIC,
  STAFF,
  MANAGER,
} Access;

typedef struct
{
  const char *method;
  const char *pattern;
  Access      access;
  /* For a staff route that asks more of a cashier than a session: the
   * 403 code a cashier gets without it. */
  const char *cashier_code;
} Expected;

/* One row a route. The other helpers' routes (GET /api/payments filters,
 * the day report's CSV) are added here when they are merged. */
static const Expected expected[] = {
  { "POST", "api/login", PUBLIC, NULL },
  { "GET", "api/check-auth", STAFF, NULL },
  { "POST", "api/logout", STAFF, NULL },
  { "GET", "api/health", PUBLIC, NULL },
  { "GET", "api/config", STAFF, NULL },
  { "POST", "api/stripe/webhook", PUBLIC, NULL },
  { "GET", "api/payments", STAFF, NULL },
  { "POST", "api/payments", STAFF, NULL },
  { "GET", "api/payments/*", STAFF, NULL },
  { "POST", "api/payments/*/confirm", STAFF, NULL },
  { "POST", "api/payments/*/refunds", STAFF, "approval_required" },
  { "GET", "api/reports/day", MANAGER, NULL },
  { "GET", "api/reports/day.csv", MANAGER, NULL },
  { "GET", "api/staff", MANAGER, NULL },
  { "POST", "api/staff", MANAGER, NULL },
  { "PATCH", "api/staff/@", MANAGER, NULL },
  { "POST", "api/staff/@/password", MANAGER, NULL },
  { "GET", "api/audit", MANAGER, NULL },
  { "POST", "api/approvals", PUBLIC, NULL },
};

static TillTestServer *shop;

static const Expected *
find_expected (const char *method,
               const char *pattern)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (g_str_equal (expected[i].method, method) && g_str_equal (expected[i].pattern, pattern))
      return &expected[i];
  return NULL;
}

static gboolean
route_exists (const Expected *e)
{
  guint n_tables;
  const TillApiRoute * const *tables = till_api_get_route_tables (&n_tables);

  for (guint t = 0; t < n_tables; t++)
    for (const TillApiRoute *route = tables[t]; route->method != NULL; route++)
      if (g_str_equal (route->method, e->method) && g_str_equal (route->pattern, e->pattern))
        return TRUE;
  return FALSE;
}

static void
test_every_route_expected (void)
{
  guint n_tables;
  const TillApiRoute * const *tables = till_api_get_route_tables (&n_tables);
  guint routes = 0;

  for (guint t = 0; t < n_tables; t++)
    for (const TillApiRoute *route = tables[t]; route->method != NULL; route++)
      {
        const Expected *e = find_expected (route->method, route->pattern);
        static const TillApiAccess as_table[] = {
          [PUBLIC] = TILL_API_ACCESS_PUBLIC,
          [STAFF] = TILL_API_ACCESS_STAFF,
          [MANAGER] = TILL_API_ACCESS_MANAGER,
        };

        routes++;
        if (e == NULL)
          {
            g_test_message ("%s /%s has no expected roles in test-server-roles.c", route->method, route->pattern);
            g_test_fail ();
            continue;
          }
        g_assert_cmpint (as_table[e->access], ==, route->access);
      }
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    if (!route_exists (&expected[i]))
      {
        g_test_message ("%s /%s is expected but the server has no such route",
                        expected[i].method, expected[i].pattern);
        g_test_fail ();
      }
  g_assert_cmpuint (routes, ==, G_N_ELEMENTS (expected));
}

/* The route's pattern with an id for '*' and a user name for '@'. */
static char *
concrete_path (const char *pattern)
{
  g_auto(GStrv) parts = g_strsplit (pattern, "/", -1);
  g_autofree char *joined = NULL;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *instead = g_str_equal (parts[i], "*") ? "pay_0000000000000000000roles"
                            : g_str_equal (parts[i], "@") ? "alice" : NULL;

      if (instead != NULL)
        {
          g_free (parts[i]);
          parts[i] = g_strdup (instead);
        }
    }
  joined = g_strjoinv ("/", parts);
  return g_strconcat ("/", joined, NULL);
}

static TillTestResponse *
call (const Expected *e,
      const char     *token)
{
  g_autofree char *path = concrete_path (e->pattern);
  g_autofree char *key = till_test_new_key ();
  gboolean with_body = !g_str_equal (e->method, "GET");

  return till_test_request (shop, e->method, path, token, key, with_body ? "application/json" : NULL,
                            with_body ? "{}" : NULL, with_body ? 2 : 0);
}

static void
assert_let_through (TillTestResponse *response,
                    const char       *who,
                    const Expected   *e)
{
  if (response->status == 401 || response->status == 403)
    g_error ("%s /%s refused %s: %u %s", e->method, e->pattern, who, response->status, response->body);
}

static void
test_route (gconstpointer data)
{
  const Expected *e = data;
  g_autofree char *cashier = till_test_server_login (shop, "alice", CASHIER_PASSWORD);
  g_autofree char *manager = till_test_server_login (shop, "morgan", MANAGER_PASSWORD);
  g_autoptr(TillTestResponse) anonymous = call (e, NULL);
  g_autoptr(TillTestResponse) as_cashier = call (e, cashier);
  g_autoptr(TillTestResponse) as_manager = call (e, manager);

  if (e->access == PUBLIC)
    assert_let_through (anonymous, "a request without a session", e);
  else
    till_assert_error_code (anonymous, 401, "unauthorized");

  if (e->access == MANAGER)
    till_assert_error_code (as_cashier, 403, "forbidden");
  else if (e->cashier_code != NULL)
    till_assert_error_code (as_cashier, 403, e->cashier_code);
  else
    assert_let_through (as_cashier, "a cashier", e);

  assert_let_through (as_manager, "a manager", e);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/roles/every-route-expected", test_every_route_expected);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/roles/%s/%s", expected[i].method, expected[i].pattern);

      g_strdelimit (name + strlen ("/server/roles/"), "*@", '_');
      g_test_add_data_func (name, &expected[i], test_route);
    }

  shop = till_test_server_new (NULL, NULL);
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);

  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
