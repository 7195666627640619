/* test-server-cli.c: till-server's command line and TLS
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include "till-test-harness.h"

static void
test_user_add_and_list (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *database = g_build_filename (server->dir, "db", "till.db", NULL);
  g_autofree char *token = NULL;
  struct stat st;

  till_test_server_add_user (server, "alice", "cashier", "first-password");
  till_test_server_add_user (server, "morgan", "manager", "second-password");
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "user", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "alice"));
  g_assert_nonnull (strstr (out, "cashier"));
  g_assert_nonnull (strstr (out, "morgan"));
  g_assert_nonnull (strstr (out, "manager"));
  /* The list shows no hashes. */
  g_assert_null (strstr (out, "$argon2id"));

  /* The database holds password hashes: nobody else may read it. */
  g_assert_cmpint (stat (database, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  till_test_server_start (server);
  token = till_test_server_login (server, "alice", "first-password");
  g_assert_nonnull (token);
}

static void
check_cli_fails (TillTestServer *server,
                 const char     *input,
                 const char     *expected_message,
                 const char     *arg1,
                 const char     *arg2,
                 const char     *arg3,
                 const char     *arg4,
                 const char     *arg5)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = till_test_server_cli (server, input, &out, &err, arg1, arg2, arg3, arg4, arg5, NULL);

  g_assert_cmpint (status, !=, 0);
  if (strstr (err, expected_message) == NULL)
    g_error ("Expected “%s” in: %s", expected_message, err);
}

static void
test_user_add_refusals (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  till_test_server_add_user (server, "alice", "cashier", "first-password");
  check_cli_fails (server, "another-password\n", "exists already", "user", "add", "alice", "--role", "cashier");
  check_cli_fails (server, "short\n", "at least 8", "user", "add", "bob", "--role", "cashier");
  check_cli_fails (server, "", "No password", "user", "add", "bob", "--role", "cashier");
  check_cli_fails (server, "good-password\n", "--role must be", "user", "add", "bob", "--role", "admin");
  check_cli_fails (server, "good-password\n", "without spaces", "user", "add", "bob smith", "--role", "cashier");
  /* There is no way to give a password in argv. */
  check_cli_fails (server, "", "usage", "user", "add", "bob", "--password", "in-argv-1");
  check_cli_fails (server, NULL, "There is no user", "user", "disable", "nobody", NULL, NULL);

  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "user", "list", NULL), ==, 0);
  g_assert_null (strstr (out, "bob"));
}

static void
test_user_passwd_signs_out (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *token = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(TillTestResponse) stale = NULL;
  g_autoptr(TillTestResponse) old_login = NULL;

  till_test_server_add_user (server, "alice", "cashier", "first-password");
  till_test_server_start (server);
  token = till_test_server_login (server, "alice", "first-password");

  g_assert_cmpint (till_test_server_cli (server, "changed-password\n", &out, &err,
                                         "user", "passwd", "alice", NULL), ==, 0);
  stale = till_test_get (server, "/api/check-auth", token);
  g_assert_cmpuint (stale->status, ==, 401);
  old_login = till_test_post_json (server, "/api/login", NULL, NULL,
                                   "{\"username\":\"alice\",\"password\":\"first-password\"}");
  g_assert_cmpuint (old_login->status, ==, 401);
  fresh = till_test_server_login (server, "alice", "changed-password");
  g_assert_nonnull (fresh);
}

static void
test_user_enable_again (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *token = NULL;

  till_test_server_add_user (server, "alice", "cashier", "first-password");
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "user", "disable", "alice", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "user", "list", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "disabled"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "user", "enable", "alice", NULL), ==, 0);

  till_test_server_start (server);
  token = till_test_server_login (server, "alice", "first-password");
  g_assert_nonnull (token);
}

/* TLS: with a certificate the server speaks only HTTPS, which a client
 * trusting that certificate accepts and any other client refuses. */
static void
test_tls (void)
{
  g_autoptr(TillTestServer) server = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-tls-XXXXXX");
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupSession) trusting = NULL;
  g_autoptr(SoupSession) plain = soup_session_new ();
  g_autoptr(SoupMessage) ok_msg = NULL;
  g_autoptr(SoupMessage) refused_msg = NULL;
  g_autoptr(GBytes) ok_body = NULL;
  g_autoptr(GBytes) refused_body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *http_url = NULL;
  g_autoptr(SoupMessage) http_msg = NULL;
  g_autoptr(GBytes) http_body = NULL;

  till_test_make_certificate (dir, &cert, &key);
  extra = g_strdup_printf ("[server]\ntls-certificate=%s\ntls-key=%s\n", cert, key);
  server = till_test_server_new (NULL, extra);
  till_test_server_add_user (server, "alice", "cashier", "first-password");
  till_test_server_start (server);
  g_assert_true (g_str_has_prefix (server->url, "https://127.0.0.1:"));

  database = g_tls_file_database_new (cert, &error);
  g_assert_no_error (error);
  trusting = soup_session_new_with_options ("tls-database", database, NULL);
  url = g_strconcat (server->url, "/api/check-auth", NULL);

  ok_msg = soup_message_new ("GET", url);
  ok_body = soup_session_send_and_read (trusting, ok_msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (ok_msg), ==, 401);   /* reached the API */

  refused_msg = soup_message_new ("GET", url);
  refused_body = soup_session_send_and_read (plain, refused_msg, NULL, &error);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  /* No plain HTTP on the TLS port. */
  http_url = g_strconcat ("http://", server->url + strlen ("https://"), "/api/check-auth", NULL);
  http_msg = soup_message_new ("GET", http_url);
  http_body = soup_session_send_and_read (plain, http_msg, NULL, &error);
  g_assert_true (error != NULL || soup_message_get_status (http_msg) != 401);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/cli/user-add-and-list", test_user_add_and_list);
  g_test_add_func ("/server/cli/user-add-refusals", test_user_add_refusals);
  g_test_add_func ("/server/cli/user-passwd-signs-out", test_user_passwd_signs_out);
  g_test_add_func ("/server/cli/user-enable-again", test_user_enable_again);
  g_test_add_func ("/server/tls/https-only-with-trusted-certificate", test_tls);

  return till_test_run ();
}
