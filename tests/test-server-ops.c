/* test-server-ops.c: till-server as a shop's IT person runs it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Over real HTTP against a real till-server: the configuration check
 * (unknown keys and misspellings with their line), GET /api/health, the
 * online backup while payments are taken and a restore from it, SIGHUP
 * reloading what may change without dropping a connection or a payment,
 * and the sd_notify messages a Type=notify unit waits for.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-3"

static TillTestServer *
start_shop (const char *extra_config)
{
  TillTestServer *server = till_test_server_new (NULL, extra_config);

  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (server, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (server);
  return server;
}

static TillTestResponse *
pay (TillTestServer *server,
     const char     *token,
     const char     *key,
     gint64          amount)
{
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", amount);

  return till_test_post_json (server, "/api/payments", token, key, body);
}

static void
write_config (TillTestServer *server,
              const char     *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (server->config_path, text, -1, &error);
  g_assert_no_error (error);
}

/* The configuration */

typedef struct
{
  const char *name;
  const char *config;
  const char *expected;   /* in stderr */
} BadConfig;

static const BadConfig bad_configs[] = {
  { "misspelt-key", "[server]\nport=8080\nlisten-adress=0.0.0.0\n",
    "Line 3: unknown key “listen-adress” in [server]; did you mean “listen”?" },
  { "typo", "[server]\n# the idle time\nidle-timout=30\n",
    "Line 3: unknown key “idle-timout” in [server]; did you mean “idle-timeout”?" },
  { "wrong-group", "[stripe]\nport=8080\n", "Line 2: “port” is a setting of [server], not of [stripe]" },
  { "unknown-key", "[shop]\nname=Corner\nfavourite-colour=blue\n", "Line 3: unknown key “favourite-colour” in [shop]" },
  { "unknown-group", "[server]\nport=1\n\n[database]\npath=x\n", "Line 4: unknown group [database]" },
  { "twice", "[server]\nport=8080\n[shop]\nname=A\n[server]\nport=8081\n", "Line 6: [server] port is set again (first on line 2)" },
  { "not-a-setting", "[server]\nport 8080\n", "Line 2: not a key=value setting" },
  { "before-group", "port=8080\n[server]\n", "Line 1: a setting before the first [group]" },
  { "bad-value", "[server]\n\nrequest-timeout=-3\n", "Line 3: [server] request-timeout must be a whole number" },
  { "bad-currency", "[shop]\ncurrency=EURO\n", "Line 2: [shop] currency “EURO”" },
  { "secret-in-file", "[stripe]\nsecret-key=sk_live_x\n", "Line 2: [stripe] secret-key is not accepted" },
  { "not-utf8", "[shop]\nname=Caf\xe9\n", "Line 2: not UTF-8 text" },
  { "locale-key", "[shop]\nname[de]=Laden\n", "Line 2: unknown key “name[de]” in [shop]" },
  /* Found by fuzzing: GLib 2.74 sets its error twice for this one. */
  { "lone-backslash", "[shop]\nname=Corner \\\n", "Line 2: a backslash in a value is" },
  { "bad-escape", "[shop]\n\nname=Corner\\qShop\n", "Line 3: a backslash in a value is" },
};

/* Each mistake is refused by --check-config and by the server itself,
 * with the line it is on, and nothing is served. */
static void
test_config_refused (gconstpointer data)
{
  const BadConfig *bad = data;
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *serve_out = NULL;
  g_autofree char *serve_err = NULL;

  write_config (server, bad->config);
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "--check-config", NULL), ==, 1);
  if (strstr (err, bad->expected) == NULL)
    g_error ("Expected “%s” in: %s", bad->expected, err);
  g_assert_true (g_utf8_validate (err, -1, NULL));
  /* Serving reads the file the same way. */
  g_assert_cmpint (till_test_server_cli (server, NULL, &serve_out, &serve_err, NULL), ==, 1);
  g_assert_nonnull (strstr (serve_err, bad->expected));
}

static void
test_config_check_ok (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *key_path = g_build_filename (server->dir, "stripe-key", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "--check-config", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "is valid"));
  g_assert_nonnull (strstr (out, "TILL_STRIPE_SECRET_KEY"));

  /* A key file others may read is refused by the check too. */
  g_file_get_contents (server->config_path, &text, NULL, &error);
  g_assert_no_error (error);
  g_file_set_contents (key_path, "sk_test_from_file\n", -1, &error);
  g_assert_no_error (error);
  g_chmod (key_path, 0644);
  {
    g_autofree char *with_file = g_strdup_printf ("%s\n[stripe]\nsecret-key-file=%s\n", text, key_path);
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;

    /* The harness's config has a [stripe] group already: a second one
     * is allowed, only keys may not repeat. */
    write_config (server, with_file);
    g_assert_cmpint (till_test_server_cli (server, NULL, &out2, &err2, "--check-config", NULL), ==, 1);
    g_assert_nonnull (strstr (err2, "readable by others"));
    /* The check never prints the key. */
    g_assert_null (strstr (err2, "sk_test_from_file"));
  }
}

/* The example a shop copies passes the check as it is. */
static void
test_config_example (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *example = g_test_build_filename (G_TEST_DIST, "..", "data", "till-server.conf.example", NULL);
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (example, &text, NULL, &error);
  g_assert_no_error (error);
  write_config (server, text);
  if (till_test_server_cli (server, NULL, &out, &err, "--check-config", NULL) != 0)
    g_error ("The example configuration does not pass: %s", err);
}

/* systemd's credential comes before the environment (and a file): a key
 * Stripe refuses there is the one used. */
static void
test_credential (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-credentials-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "stripe-secret-key", NULL);
  const char *cases[][2] = {
    { "sk_live_not_the_stand_ins\n", "stripe_auth_failed" },
    { TILL_TEST_SECRET_KEY "\n", NULL },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TillTestServer) server = NULL;
      g_autofree char *token = NULL;
      g_autofree char *key = till_test_new_key ();
      g_autoptr(TillTestResponse) response = NULL;

      /* As systemd leaves it on tmpfs: readable through an ACL, which
       * shows as group bits. */
      g_file_set_contents_full (path, cases[i][0], -1, G_FILE_SET_CONTENTS_NONE, 0440, &error);
      g_assert_no_error (error);
      g_setenv ("CREDENTIALS_DIRECTORY", dir, TRUE);
      server = start_shop (NULL);
      g_unsetenv ("CREDENTIALS_DIRECTORY");
      token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
      response = pay (server, token, key, 999);
      if (cases[i][1] == NULL)
        g_assert_cmpuint (response->status, ==, 201);
      else
        g_assert_cmpstr (till_test_json_string (response->json, "error.code"), ==, cases[i][1]);
    }
  g_unlink (path);
  g_rmdir (dir);
}

/* A certificate with another certificate's key (a renewal half done):
 * refused by the check and at start, never served to fail every
 * handshake. */
static void
test_config_tls_pair (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *dir_a = g_build_filename (server->dir, "a", NULL);
  g_autofree char *dir_b = g_build_filename (server->dir, "b", NULL);
  g_autofree char *cert_a = NULL, *key_a = NULL, *cert_b = NULL, *key_b = NULL;
  g_autofree char *text = NULL;
  g_autofree char *mixed = NULL;
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir_a, 0700);
  g_mkdir_with_parents (dir_b, 0700);
  till_test_make_certificate (dir_a, &cert_a, &key_a);
  till_test_make_certificate (dir_b, &cert_b, &key_b);
  g_file_get_contents (server->config_path, &text, NULL, &error);
  g_assert_no_error (error);

  mixed = g_strdup_printf ("%s\n[server]\ntls-certificate=%s\ntls-key=%s\n", text, cert_a, key_b);
  write_config (server, mixed);
  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "--check-config", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "does not belong to the certificate"));
  g_assert_cmpint (till_test_server_cli (server, NULL, &out2, &err2, NULL), ==, 1);
  g_assert_nonnull (strstr (err2, "does not belong to the certificate"));

  {
    g_autofree char *matched = g_strdup_printf ("%s\n[server]\ntls-certificate=%s\ntls-key=%s\n", text, cert_b, key_b);

    write_config (server, matched);
    g_assert_cmpint (till_test_server_cli (server, NULL, &out3, &err3, "--check-config", NULL), ==, 0);
    g_assert_nonnull (strstr (out3, "belong together"));
  }
}

/* Health */

static void
test_health (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *key = till_test_new_key ();
  g_autoptr(TillTestResponse) before = till_test_get (server, "/api/health", NULL);
  g_autoptr(TillTestResponse) paid = NULL;
  g_autoptr(TillTestResponse) after = NULL;
  JsonObject *object;

  /* No session needed; only what a monitor needs. */
  g_assert_cmpuint (before->status, ==, 200);
  object = json_node_get_object (before->json);
  g_assert_cmpuint (json_object_get_size (object), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (object, "status"), ==, "ok");
  g_assert_cmpstr (json_object_get_string_member (object, "database"), ==, "writable");
  g_assert_true (json_object_get_null_member (object, "stripe_last_answer_seconds"));
  g_assert_cmpstr (soup_message_headers_get_one (before->headers, "Cache-Control"), ==, "no-store");

  paid = pay (server, token, key, 1234);
  g_assert_cmpuint (paid->status, ==, 201);
  after = till_test_get (server, "/api/health", NULL);
  g_assert_cmpuint (after->status, ==, 200);
  g_assert_cmpint (till_test_json_int (after->json, "stripe_last_answer_seconds"), >=, 0);
  g_assert_cmpint (till_test_json_int (after->json, "stripe_last_answer_seconds"), <=, 5);

  /* Cheap when asked often: 200 checks in a row, all answered. */
  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(TillTestResponse) again = till_test_get (server, "/api/health", NULL);

      g_assert_cmpuint (again->status, ==, 200);
    }
}

/* Another process holds the database's write lock: health says so at
 * once, and the server does not stop answering everyone else meanwhile. */
static void
test_health_locked (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  g_autoptr(TillTestResponse) locked = NULL;
  g_autoptr(TillTestResponse) free_again = NULL;
  sqlite3 *db = NULL;
  gint64 start;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  start = g_get_monotonic_time ();
  locked = till_test_get (server, "/api/health", NULL);
  g_assert_cmpuint (locked->status, ==, 503);
  g_assert_cmpstr (till_test_json_string (locked->json, "database"), ==, "not_writable");
  /* Answered without waiting out SQLite's 5 s busy timeout (half of it
   * leaves room for a loaded machine under ASan). */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC / 2);
  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* Checked again after a second, and well. */
  g_usleep (1100 * 1000);
  free_again = till_test_get (server, "/api/health", NULL);
  g_assert_cmpuint (free_again->status, ==, 200);
}

/* Backup and restore */

typedef struct
{
  TillTestServer *server;
  char           *token;
  guint           paid;
  gboolean        stop;
} Payer;

static gpointer
payer_thread (gpointer data)
{
  Payer *payer = data;

  while (!g_atomic_int_get (&payer->stop))
    {
      g_autofree char *key = till_test_new_key ();
      g_autoptr(TillTestResponse) response = pay (payer->server, payer->token, key, 500 + payer->paid);

      g_assert_cmpuint (response->status, ==, 201);
      g_atomic_int_inc (&payer->paid);
    }
  return NULL;
}

static gint64
count_in_list (TillTestServer *server,
               const char     *token,
               const char     *status)
{
  g_autoptr(TillTestResponse) list = till_test_get (server, "/api/payments?limit=100", token);
  JsonArray *data;
  gint64 count = 0;

  g_assert_cmpuint (list->status, ==, 200);
  data = json_object_get_array_member (json_node_get_object (list->json), "data");
  for (guint i = 0; i < json_array_get_length (data); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (data, i), "status"), status))
      count++;
  return count;
}

static void
test_backup_and_restore (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autoptr(TillTestServer) restored = NULL;
  g_autofree char *backup = g_build_filename (server->dir, "backup.db", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *restored_db = NULL;
  g_autofree char *manager_token = NULL;
  g_autoptr(GError) error = NULL;
  Payer payer = { .server = server };
  GThread *thread;
  guint at_backup;
  gint64 backed_up;
  GStatBuf st;

  payer.token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  thread = g_thread_new ("payer", payer_thread, &payer);
  while (g_atomic_int_get (&payer.paid) < 5)
    g_usleep (10 * 1000);

  /* While payments are being taken. */
  at_backup = g_atomic_int_get (&payer.paid);
  if (till_test_server_cli (server, NULL, &out, &err, "backup", backup, NULL) != 0)
    g_error ("The backup failed: %s", err);
  g_assert_nonnull (strstr (out, "backed up"));
  while (g_atomic_int_get (&payer.paid) < at_backup + 5)
    g_usleep (10 * 1000);
  g_atomic_int_set (&payer.stop, TRUE);
  g_thread_join (thread);
  g_clear_pointer (&payer.token, g_free);

  /* Private, whole, and never written over, nor through a link. */
  g_assert_cmpint (g_stat (backup, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  {
    g_autofree char *link = g_build_filename (server->dir, "link.db", NULL);
    g_autofree char *target = g_build_filename (server->dir, "elsewhere", NULL);
    g_autofree char *out3 = NULL;
    g_autofree char *err3 = NULL;

    g_assert_cmpint (symlink (target, link), ==, 0);
    g_assert_cmpint (till_test_server_cli (server, NULL, &out3, &err3, "backup", link, NULL), ==, 1);
    g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
  }
  {
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;

    g_assert_cmpint (till_test_server_cli (server, NULL, &out2, &err2, "backup", backup, NULL), ==, 1);
    g_assert_nonnull (strstr (err2, "exists already"));
  }

  /* Restore, as docs/server.md says: the backup file becomes the
   * database of a server (here a second one), which starts on it. */
  restored = till_test_server_new (NULL, NULL);
  restored_db = g_build_filename (restored->dir, "db", "till.db", NULL);
  {
    g_autofree char *db_dir = g_path_get_dirname (restored_db);

    g_mkdir_with_parents (db_dir, 0700);
  }
  {
    gsize length = 0;
    g_autofree char *bytes = NULL;

    g_file_get_contents (backup, &bytes, &length, &error);
    g_assert_no_error (error);
    g_file_set_contents_full (restored_db, bytes, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
    g_assert_no_error (error);
  }
  till_test_server_start (restored);
  manager_token = till_test_server_login (restored, "morgan", MANAGER_PASSWORD);

  /* Everything the backup held, and nothing after it. */
  backed_up = count_in_list (restored, manager_token, "succeeded");
  g_test_message ("paid %u, %u when the backup started; the backup holds %" G_GINT64_FORMAT,
                  payer.paid, at_backup, backed_up);
  g_assert_cmpint (backed_up, >=, at_backup);
  g_assert_cmpint (backed_up, <, payer.paid);
  /* The staff came along: the cashier signs in to the restored shop. */
  g_free (till_test_server_login (restored, "alice", CASHIER_PASSWORD));
}

/* A payment the backup caught on its way (pending at Stripe's answer) is
 * resolved by the restored server at start-up, once, and not charged
 * again. */
static void
test_restore_resolves_pending (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[stripe]\ntimeout-seconds=1\n");
  g_autoptr(TillTestServer) restored = NULL;
  g_autofree char *backup = g_build_filename (server->dir, "pending.db", NULL);
  g_autofree char *token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *restored_db = NULL;
  g_autofree char *manager_token = NULL;
  g_autofree char *path = NULL;
  g_autoptr(TillTestResponse) pending = NULL;
  g_autoptr(GError) error = NULL;
  const char *payment_id;
  gsize length = 0;
  g_autofree char *bytes = NULL;

  /* Stripe's answer comes after till-server gave up: pending. */
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":2500}");
  pending = pay (server, token, key, 4321);
  g_assert_cmpuint (pending->status, >=, 500);
  payment_id = till_test_json_string (pending->json, "payment.id");
  g_assert_nonnull (payment_id);
  g_assert_cmpstr (till_test_json_string (pending->json, "payment.status"), ==, "pending");

  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "backup", backup, NULL), ==, 0);
  till_test_server_stop (server);

  restored = till_test_server_new (NULL, NULL);
  restored_db = g_build_filename (restored->dir, "db", "till.db", NULL);
  {
    g_autofree char *db_dir = g_path_get_dirname (restored_db);

    g_mkdir_with_parents (db_dir, 0700);
  }
  g_file_get_contents (backup, &bytes, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents_full (restored_db, bytes, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
  till_test_server_start (restored);
  manager_token = till_test_server_login (restored, "morgan", MANAGER_PASSWORD);

  path = g_strdup_printf ("/api/payments/%s", payment_id);
  for (guint tries = 0; ; tries++)
    {
      g_autoptr(TillTestResponse) got = till_test_get (restored, path, manager_token);

      g_assert_cmpuint (got->status, ==, 200);
      if (g_str_equal (till_test_json_string (got->json, "status"), "succeeded"))
        break;
      g_assert_cmpuint (tries, <, 200);
      g_usleep (50 * 1000);
    }
  g_assert_cmpuint (till_test_stripe_count_for_payment ("/v1/payment_intents", payment_id, "succeeded", NULL), ==, 1);
}

/* SIGHUP */

static char *
config_with (TillTestServer *server,
             const char     *group,
             const char     *key,
             const char     *value)
{
  g_autoptr(GKeyFile) config = g_key_file_new ();
  g_autoptr(GError) error = NULL;

  g_key_file_load_from_file (config, server->config_path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_key_file_set_value (config, group, key, value);
  return g_key_file_to_data (config, NULL, NULL);
}

static void
test_reload (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[shop]\nname=Corner Shop\n");
  g_autofree char *token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *renamed = config_with (server, "shop", "name", "Corner Café");
  g_autofree char *moved = NULL;
  g_autoptr(TillTestResponse) before = till_test_get (server, "/api/config", token);
  g_autoptr(TillTestResponse) after = NULL;
  g_autoptr(TillTestResponse) kept = NULL;

  g_assert_cmpstr (till_test_json_string (before->json, "shop_name"), ==, "Corner Shop");

  /* A setting that may change: served at once, the session kept. */
  write_config (server, renamed);
  g_subprocess_send_signal (server->process, SIGHUP);
  g_assert_cmpuint (till_test_server_wait_log (server, "Configuration reloaded", 1), >=, 1);
  after = till_test_get (server, "/api/config", token);
  g_assert_cmpuint (after->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (after->json, "shop_name"), ==, "Corner Café");

  /* One that needs a restart: kept, and the log says so. */
  moved = config_with (server, "shop", "currency", "EUR");
  write_config (server, moved);
  g_subprocess_send_signal (server->process, SIGHUP);
  g_assert_cmpuint (till_test_server_wait_log (server, "Configuration reloaded", 2), >=, 2);
  g_assert_cmpuint (till_test_server_count_log (server, "[shop] currency changed: it takes effect when till-server is restarted"), ==, 1);
  kept = till_test_get (server, "/api/config", token);
  g_assert_cmpstr (till_test_json_string (kept->json, "currency"), ==, "USD");

  /* A file with a mistake: nothing of it is taken, the server serves on. */
  write_config (server, "[server]\nlisten-adress=0.0.0.0\n");
  g_subprocess_send_signal (server->process, SIGHUP);
  g_assert_cmpuint (till_test_server_wait_log (server, "The configuration was not reloaded", 1), >=, 1);
  g_assert_cmpuint (till_test_server_count_log (server, "unknown key"), ==, 1);
  {
    g_autoptr(TillTestResponse) still = till_test_get (server, "/api/config", token);

    g_assert_cmpuint (still->status, ==, 200);
    g_assert_cmpstr (till_test_json_string (still->json, "shop_name"), ==, "Corner Café");
  }
}

/* A payment on its way at Stripe when the reload comes finishes as it
 * would have, on the same connection, and is charged once. */
typedef struct
{
  TillTestServer   *server;
  char             *token;
  char             *key;
  TillTestResponse *response;
} Sale;

static gpointer
sale_thread (gpointer data)
{
  Sale *sale = data;

  sale->response = pay (sale->server, sale->token, sale->key, 2468);
  return NULL;
}

static void
test_reload_during_payment (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *renamed = config_with (server, "shop", "name", "Renamed Shop");
  g_autoptr(TillTestResponse) response = NULL;
  Sale sale = { .server = server };
  GThread *thread;

  guint intents_before = till_test_stripe_count_requests ("POST", "/v1/payment_intents");

  sale.token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  sale.key = till_test_new_key ();
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":1500}");
  thread = g_thread_new ("sale", sale_thread, &sale);
  /* The payment is at Stripe … */
  for (guint tries = 0; till_test_stripe_count_requests ("POST", "/v1/payment_intents") == intents_before; tries++)
    {
      g_assert_cmpuint (tries, <, 400);
      g_usleep (10 * 1000);
    }
  /* … when the reload comes (sent now, not later from GLib's worker
   * thread, and waited for: the log is read after it, not raced). */
  write_config (server, renamed);
  till_test_signal (server->process, SIGHUP);
  g_assert_cmpuint (till_test_server_wait_log (server, "Configuration reloaded", 1), >=, 1);
  g_thread_join (thread);
  response = g_steal_pointer (&sale.response);

  g_assert_cmpuint (response->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (response->json, "payment.status"), ==, "succeeded");
  g_assert_cmpuint (till_test_server_count_log (server, "Configuration reloaded"), ==, 1);
  g_assert_cmpuint (till_test_stripe_count_for_payment ("/v1/payment_intents",
                                                        till_test_json_string (response->json, "payment.id"),
                                                        "succeeded", NULL), ==, 1);
  g_free (sale.token);
  g_free (sale.key);
}

/* A renewed certificate is served after SIGHUP; a connection already open
 * goes on; a half-done renewal (a certificate without its key) is not
 * taken, and the last good pair goes on serving. */
static guint
get_status (SoupSession    *session,
            TillTestServer *server)
{
  g_autofree char *url = g_strconcat (server->url, "/api/check-auth", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

  return error == NULL ? soup_message_get_status (msg) : 0;
}

static void
copy_file (const char *from,
           const char *to)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (from, &text, NULL, &error);
  g_assert_no_error (error);
  g_file_set_contents_full (to, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
}

static SoupSession *
trusting (const char *cert)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) database = g_tls_file_database_new (cert, &error);

  g_assert_no_error (error);
  return soup_session_new_with_options ("tls-database", database, NULL);
}

static void
test_reload_tls (void)
{
  g_autofree char *dir = till_test_make_tmp_dir ("till-tls-reload-XXXXXX");
  g_autofree char *dir_a = g_build_filename (dir, "a", NULL);
  g_autofree char *dir_b = g_build_filename (dir, "b", NULL);
  g_autofree char *cert_a = NULL, *key_a = NULL, *cert_b = NULL, *key_b = NULL;
  g_autofree char *live_cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *live_key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *extra = NULL;
  g_autoptr(TillTestServer) server = NULL;
  g_autoptr(SoupSession) old_client = NULL;
  g_autoptr(SoupSession) new_client = NULL;
  g_autoptr(SoupSession) new_client_later = NULL;

  g_mkdir_with_parents (dir_a, 0700);
  g_mkdir_with_parents (dir_b, 0700);
  till_test_make_certificate (dir_a, &cert_a, &key_a);
  till_test_make_certificate (dir_b, &cert_b, &key_b);
  copy_file (cert_a, live_cert);
  copy_file (key_a, live_key);
  extra = g_strdup_printf ("[server]\ntls-certificate=%s\ntls-key=%s\n", live_cert, live_key);
  server = start_shop (extra);
  g_assert_true (g_str_has_prefix (server->url, "https://"));

  old_client = trusting (cert_a);
  new_client = trusting (cert_b);
  g_assert_cmpuint (get_status (old_client, server), ==, 401);   /* reached the API */
  g_assert_cmpuint (get_status (new_client, server), ==, 0);     /* not certificate B yet */

  copy_file (cert_b, live_cert);
  copy_file (key_b, live_key);
  g_subprocess_send_signal (server->process, SIGHUP);
  g_assert_cmpuint (till_test_server_wait_log (server, "Configuration reloaded", 1), >=, 1);
  new_client_later = trusting (cert_b);
  g_assert_cmpuint (get_status (new_client_later, server), ==, 401);
  /* A kept-alive connection opened before goes on, with what it started
   * with. Without keep-alive (libsoup older than 3.3.0, see
   * till-server-listener.c) the next request is a new connection, which
   * meets certificate B. */
  g_assert_cmpuint (get_status (old_client, server), ==, soup_check_version (3, 3, 0) ? 401 : 0);

  /* Half a renewal: certificate A with key B. Refused; B goes on. */
  copy_file (cert_a, live_cert);
  g_subprocess_send_signal (server->process, SIGHUP);
  g_assert_cmpuint (till_test_server_wait_log (server, "The TLS certificate was not reloaded", 1), >=, 1);
  {
    g_autoptr(SoupSession) fresh = trusting (cert_b);

    g_assert_cmpuint (get_status (fresh, server), ==, 401);
  }
}

/* sd_notify */

static int
notify_socket (char **out_path)
{
  g_autofree char *dir = till_test_make_tmp_dir ("till-notify-XXXXXX");
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  *out_path = g_build_filename (dir, "notify", NULL);
  g_assert_cmpuint (strlen (*out_path), <, sizeof address.sun_path);
  strcpy (address.sun_path, *out_path);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  return fd;
}

/* The next message that holds needle, within a few seconds. */
static char *
receive_notify (int         fd,
                const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      char buffer[4096];
      struct timeval timeout = { 0, 200 * 1000 };
      ssize_t length;

      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      length = recv (fd, buffer, sizeof buffer - 1, 0);
      if (length <= 0)
        continue;
      buffer[length] = '\0';
      if (strstr (buffer, needle) != NULL)
        return g_strdup (buffer);
    }
  g_error ("No “%s” from till-server through NOTIFY_SOCKET", needle);
  return NULL;
}

static void
test_sd_notify (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *path = NULL;
  g_autofree char *ready = NULL;
  g_autofree char *reloading = NULL;
  g_autofree char *ready_again = NULL;
  g_autofree char *watchdog = NULL;
  g_autofree char *stopping = NULL;
  int fd = notify_socket (&path);

  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  g_setenv ("NOTIFY_SOCKET", path, TRUE);
  g_setenv ("WATCHDOG_USEC", "400000", TRUE);
  till_test_server_start (server);
  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");

  ready = receive_notify (fd, "READY=1");
  g_assert_nonnull (strstr (ready, "STATUS=Serving http://127.0.0.1:"));
  /* Pinged at half the watchdog's time, from the main loop. */
  watchdog = receive_notify (fd, "WATCHDOG=1");

  g_subprocess_send_signal (server->process, SIGHUP);
  reloading = receive_notify (fd, "RELOADING=1");
  g_assert_nonnull (strstr (reloading, "MONOTONIC_USEC="));
  ready_again = receive_notify (fd, "READY=1");

  g_subprocess_send_signal (server->process, SIGTERM);
  stopping = receive_notify (fd, "STOPPING=1");
  till_test_server_stop (server);
  close (fd);
  g_unlink (path);
}

/* systemctl reload or stop right after a start: from the moment
 * till-server says it listens (and before: its handlers come first of
 * all), SIGHUP reloads it and SIGTERM stops it
 * through its handlers (exit status 0), never by the signal's default
 * action, which ends the process. The line is read from a pipe, so the
 * signal follows it within a moment. */
static void
test_signals_at_start (void)
{
  for (guint round = 0; round < 10; round++)
    {
      g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
      g_autoptr(GSubprocessLauncher) launcher =
        till_test_server_new_launcher (server, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autoptr(GDataInputStream) out = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;
      const char *prefix = "till-server: listening on ";

      g_subprocess_launcher_set_stderr_file_path (launcher, server->log_path);
      server->process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TILL_SERVER"),
                                                     "--config", server->config_path, NULL);
      g_assert_no_error (error);
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
      while (line == NULL || !g_str_has_prefix (line, prefix))
        {
          g_free (line);
          line = g_data_input_stream_read_line (out, NULL, NULL, &error);
          g_assert_no_error (error);
          g_assert_nonnull (line);
        }

      if (round % 2 == 0)
        {
          g_autoptr(TillTestResponse) health = NULL;

          g_subprocess_send_signal (server->process, SIGHUP);
          server->url = g_strdup (line + strlen (prefix));
          if (g_str_has_suffix (server->url, "/"))
            server->url[strlen (server->url) - 1] = '\0';
          health = till_test_get (server, "/api/health", NULL);
          g_assert_cmpuint (health->status, ==, 200);
          /* Reloaded, not only survived. */
          g_assert_cmpuint (till_test_server_wait_log (server, "Configuration reloaded", 1), >=, 1);
        }
      /* SIGTERM, and status 0 or the test fails with the log. */
      till_test_server_stop (server);
    }
}

/* `till-server --demo` for server's configuration, with a TMPDIR of its
 * own (out_tmp), where the demo makes its folder. */
static GSubprocess *
spawn_demo (TillTestServer  *server,
            char           **out_tmp)
{
  g_autoptr(GSubprocessLauncher) launcher =
    till_test_server_new_launcher (server, G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  *out_tmp = g_build_filename (server->dir, "demo-tmp", NULL);
  g_assert_cmpint (g_mkdir (*out_tmp, 0700), ==, 0);
  g_subprocess_launcher_setenv (launcher, "TMPDIR", *out_tmp, TRUE);
  g_subprocess_launcher_set_stderr_file_path (launcher, server->log_path);
  process = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TILL_SERVER"),
                                         "--config", server->config_path, "--demo", NULL);
  g_assert_no_error (error);
  return process;
}

/* Its exit status, within 60 s. */
static int
demo_status (GSubprocess *process)
{
  g_assert_true (till_test_wait_exit (process, 60));
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static gboolean
dir_not_empty (gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (data, 0, NULL);

  return dir != NULL && g_dir_read_name (dir) != NULL;
}

static void
assert_empty (const char *path)
{
  g_assert_false (dir_not_empty (path));
}

/* Whether the process catches signal_number (/proc's SigCgt mask). */
static gboolean
catches (GSubprocess *process,
         int          signal_number)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (process));
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "\nSigCgt:");
  g_assert_nonnull (line);
  return (g_ascii_strtoull (line + strlen ("\nSigCgt:"), NULL, 16) >> (signal_number - 1)) & 1;
}

/* The demo shop's folder holds its staff's password hashes: a demo that
 * is stopped once it listens, or while it starts (its folder is there:
 * its handlers must be already), or that cannot start (its port is taken
 * by another shop), leaves nothing behind, and a stop is a clean one. */
static void
test_demo_leaves_nothing (void)
{
  g_autoptr(TillTestServer) shop = start_shop (NULL);
  g_autoptr(GUri) uri = g_uri_parse (shop->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *taken = g_strdup_printf ("[server]\nport=%d\n", g_uri_get_port (uri));
  g_autoptr(TillTestServer) stopped = till_test_server_new (NULL, NULL);
  g_autoptr(TillTestServer) starting = till_test_server_new (NULL, NULL);
  g_autoptr(TillTestServer) refused = till_test_server_new (NULL, taken);
  g_autofree char *stopped_tmp = NULL;
  g_autofree char *starting_tmp = NULL;
  g_autofree char *refused_tmp = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  process = spawn_demo (stopped, &stopped_tmp);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  while (line == NULL || !g_str_has_prefix (line, "till-server: listening on "))
    {
      g_free (line);
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_cmpint (demo_status (process), ==, 0);
  g_assert_cmpuint (till_test_server_count_log (stopped, "Stopped"), ==, 1);
  assert_empty (stopped_tmp);
  g_clear_object (&process);

  process = spawn_demo (starting, &starting_tmp);
  till_test_wait_for (dir_not_empty, starting_tmp, "the demo's folder");
  g_assert_true (catches (process, SIGTERM));
  g_assert_true (catches (process, SIGINT));
  g_assert_true (catches (process, SIGHUP));
  g_subprocess_send_signal (process, SIGTERM);
  g_assert_cmpint (demo_status (process), ==, 0);
  assert_empty (starting_tmp);
  g_clear_object (&process);

  process = spawn_demo (refused, &refused_tmp);
  g_assert_cmpint (demo_status (process), ==, 1);
  g_assert_cmpuint (till_test_server_count_log (refused, "Address already in use"), ==, 1);
  assert_empty (refused_tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bad_configs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/ops/config/refused/%s", bad_configs[i].name);

      g_test_add_data_func (name, &bad_configs[i], test_config_refused);
    }
  g_test_add_func ("/server/ops/config/check-ok", test_config_check_ok);
  g_test_add_func ("/server/ops/config/example", test_config_example);
  g_test_add_func ("/server/ops/config/credential-first", test_credential);
  g_test_add_func ("/server/ops/health", test_health);
  g_test_add_func ("/server/ops/health-locked", test_health_locked);
  g_test_add_func ("/server/ops/config/tls-pair", test_config_tls_pair);
  g_test_add_func ("/server/ops/backup/during-payments-and-restore", test_backup_and_restore);
  g_test_add_func ("/server/ops/backup/restore-resolves-pending", test_restore_resolves_pending);
  g_test_add_func ("/server/ops/reload/settings", test_reload);
  g_test_add_func ("/server/ops/reload/during-payment", test_reload_during_payment);
  g_test_add_func ("/server/ops/reload/tls-certificate", test_reload_tls);
  g_test_add_func ("/server/ops/sd-notify", test_sd_notify);
  g_test_add_func ("/server/ops/signals-at-start", test_signals_at_start);
  g_test_add_func ("/server/ops/demo-leaves-nothing", test_demo_leaves_nothing);

  return till_test_run ();
}
