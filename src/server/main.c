/* main.c: till-server, the reference shop backend
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <sys/resource.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "till-api.h"
#include "till-crypto.h"
#include "till-db.h"
#include "till-payments.h"
#include "till-server-cli.h"
#include "till-server-config.h"
#include "till-server-log.h"
#include "till-server-notify.h"
#include "till-stripe-client.h"

typedef struct
{
  GMainLoop        *loop;
  TillServerConfig *config;
  TillApi          *api;
  const char       *config_path;
  gboolean          stopping;
} Server;

static gboolean
quit_cb (gpointer user_data)
{
  Server *server = user_data;

  if (!server->stopping)
    till_server_notify ("STOPPING=1");
  server->stopping = TRUE;
  g_main_loop_quit (server->loop);
  /* Kept, not removed: removing the last source of a signal gives it back
   * its default action, and a second SIGTERM while the database closes
   * would end the process there. */
  return G_SOURCE_CONTINUE;
}

/* SIGHUP: the configuration is read and checked again; the settings that
 * may change while serving are taken (docs/server.md lists them), the TLS
 * certificate is read from its files again, and connections and payments
 * on their way go on untouched. A file that does not pass keeps the old
 * settings serving. */
static gboolean
reload_cb (gpointer user_data)
{
  Server *server = user_data;
  g_autoptr(TillServerConfig) next = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reloading = g_strdup_printf ("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                                                g_get_monotonic_time ());

  /* A SIGHUP that comes with or after a stop, or before there is a
   * server to reload: nothing to do. */
  if (server->stopping || server->api == NULL)
    return G_SOURCE_CONTINUE;
  till_server_notify (reloading);
  g_message ("Reloading the configuration from %s", server->config_path ? server->config_path : "(defaults)");
  next = till_server_config_load (server->config_path, &error);
  if (next == NULL || !till_server_config_validate_settings (next, &error) ||
      !till_server_config_load_webhook_secrets (next, &error))
    {
      g_warning ("The configuration was not reloaded, the old one goes on serving: %s", error->message);
      till_server_notify ("READY=1\nSTATUS=Serving; the last reload failed, see the log");
      return G_SOURCE_CONTINUE;
    }
  pending = till_server_config_apply_reload (server->config, next);
  for (guint i = 0; i < pending->len; i++)
    g_warning ("%s changed: it takes effect when till-server is restarted",
               (char *) g_ptr_array_index (pending, i));
  if (!till_api_reload (server->api, &error))
    g_warning ("The TLS certificate was not reloaded, the old one goes on serving: %s", error->message);
  g_message ("Configuration reloaded");
  till_server_notify ("READY=1\nSTATUS=Serving");
  return G_SOURCE_CONTINUE;
}

/* The demo shop leaves nothing behind. */
static void
remove_demo (const char *database)
{
  static const char *suffixes[] = { "", "-wal", "-shm" };
  g_autofree char *dir = g_path_get_dirname (database);

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (database, suffixes[i], NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

/* A throw-away shop for the README's demo: its own database in a fresh
 * temporary folder, one cashier and one manager with new passwords. */
static gboolean
setup_demo (TillServerConfig  *config,
            TillDb           **out_db,
            GPtrArray         *credentials,
            GError           **error)
{
  static const char *staff[][2] = { { "alice", "cashier" }, { "morgan", "manager" } };
  g_autofree char *dir = g_dir_make_tmp ("till-demo-XXXXXX", error);
  g_autoptr(TillDb) db = NULL;

  if (dir == NULL)
    return FALSE;
  g_free (config->database);
  config->database = g_build_filename (dir, "till.db", NULL);
  if (config->stripe_publishable_key == NULL)
    config->stripe_publishable_key = g_strdup ("pk_test_till_demo");

  db = till_db_open (config->database, error);
  if (db == NULL)
    {
      remove_demo (config->database);
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (staff); i++)
    {
      g_autofree char *password = till_crypto_random_password ();
      g_autofree char *hash = till_crypto_hash_password (password, error);

      if (hash == NULL || !till_db_add_user (db, staff[i][0], staff[i][1], hash, error))
        {
          g_clear_object (&db);
          remove_demo (config->database);
          return FALSE;
        }
      g_ptr_array_add (credentials, g_strdup_printf ("  %-8s %-7s password: %s",
                                                     staff[i][1], staff[i][0], password));
    }

  *out_db = g_steal_pointer (&db);
  return TRUE;
}

/* Every connection holds a descriptor, and the usual soft limit (1024)
 * is far below what the system allows a service (the hard limit): the
 * connection cap is derived from the raised figure. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;
  rlim_t was;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return;
  was = limit.rlim_cur;
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        {
          g_warning ("Cannot raise the file descriptor limit from %llu to %llu: %s",
                     (unsigned long long) was, (unsigned long long) limit.rlim_max,
                     g_strerror (errno));
          return;
        }
    }
  g_message ("File descriptor limit: %llu (was %llu)",
             (unsigned long long) limit.rlim_cur, (unsigned long long) was);
}

static int
report_failure (const GError *error)
{
  g_printerr ("till-server: %s\n", error->message);
  return 1;
}

static int
run (Server   *server,
     gboolean  demo)
{
  TillServerConfig *config = server->config;
  guint watchdog;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDb) db = NULL;
  g_autoptr(TillStripeClient) stripe = NULL;
  g_autoptr(TillPayments) payments = NULL;
  g_autoptr(TillApi) api = NULL;
  g_autoptr(GPtrArray) credentials = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *url = NULL;

  if (demo ? !setup_demo (config, &db, credentials, &error)
           : (db = till_db_open (config->database, &error)) == NULL)
    return report_failure (error);
  if (!till_server_config_validate (config, &error))
    goto out;

  stripe = till_stripe_client_new (config->stripe_api_base, config->stripe_secret_key,
                                   config->stripe_timeout);
  payments = till_payments_new (db, stripe, config);
  api = till_api_new (config, db, payments);
  raise_descriptor_limit ();

  server->api = api;
  url = till_api_listen (api, &error);
  if (url == NULL)
    goto out;

  g_print ("till-server: listening on %s\n", url);
  if (demo)
    {
      g_print ("till-server: demo shop “%s” (%s), Stripe at %s\n",
               config->shop_name, config->currency, config->stripe_api_base);
      for (guint i = 0; i < credentials->len; i++)
        g_print ("%s\n", (char *) g_ptr_array_index (credentials, i));
    }
  fflush (stdout);
  g_message ("Serving %s with Stripe in %s mode at %s", url,
             till_stripe_mode_to_string (config->stripe_mode), config->stripe_api_base);

  till_payments_recover (payments);
  till_payments_watch_pending_refunds (payments, 60 * 60);

  watchdog = till_server_notify_watchdog ();
  {
    g_autofree char *ready = g_strdup_printf ("READY=1\nSTATUS=Serving %s", url);

    till_server_notify (ready);
  }
  /* Should anything before the loop run the main context, a SIGTERM it
   * handled has asked for a stop already. */
  if (!server->stopping)
    g_main_loop_run (server->loop);
  g_clear_handle_id (&watchdog, g_source_remove);

out:
  /* Closed first, so that SQLite's own files are gone before the folder,
   * which goes with a failed start too: it holds the staff's password
   * hashes. */
  server->api = NULL;
  g_clear_object (&api);
  g_clear_object (&payments);
  g_clear_object (&db);
  if (demo)
    remove_demo (config->database);
  if (error != NULL)
    return report_failure (error);
  g_message ("Stopped");
  return 0;
}

static int
serve (TillServerConfig *config,
       const char       *config_path,
       gboolean          demo)
{
  /* The handlers stay to the end of the process: removing a signal's
   * last source gives it back its default action, and a second SIGTERM
   * while main () returns would end the process by it. So what they point
   * to outlives this frame: a static Server, and a loop never freed. */
  static Server server;

  server.loop = g_main_loop_new (NULL, FALSE);
  server.config = config;
  server.config_path = config_path;
  /* First of all, before the database opens (and, for the demo, its
   * folder is made): a SIGTERM from here on stops till-server through its
   * main loop, which closes the database and removes the demo's folder,
   * never by the signal's default action. One that comes while it starts
   * is taken as soon as the loop runs, right after "listening on". */
  g_unix_signal_add (SIGINT, quit_cb, &server);
  g_unix_signal_add (SIGTERM, quit_cb, &server);
  g_unix_signal_add (SIGHUP, reload_cb, &server);
  return run (&server, demo);
}

/* --check-config: what serving would refuse, refused now, with its line;
 * the secrets too when this user can see where they come from (under
 * systemd, the stripe-secret-key credential is the service's alone). */
static int
run_check_config (TillServerConfig *config,
                  const char       *config_path)
{
  g_autoptr(GError) error = NULL;
  const char *source;

  if (!till_server_config_validate_settings (config, &error))
    return report_failure (error);
  if (config->tls_certificate != NULL)
    {
      g_autoptr(GTlsCertificate) certificate = till_api_load_certificate (config, &error);

      if (certificate == NULL)
        return report_failure (error);
      g_print ("till-server: the TLS certificate and key are readable and belong together\n");
    }
  source = till_server_config_describe_secret_source (config);
  if (source == NULL)
    {
      g_print ("till-server: no Stripe secret key is visible here; the service reads it from "
               "its stripe-secret-key credential\n");
      if (!till_server_config_load_webhook_secrets (config, &error))
        return report_failure (error);
    }
  else if (!till_server_config_load_secrets (config, &error))
    return report_failure (error);
  else
    g_print ("till-server: the Stripe secret key is readable (from %s)\n", source);
  if (config->stripe_webhook_secrets != NULL)
    g_print ("till-server: %u Stripe webhook secrets are readable\n", g_strv_length (config->stripe_webhook_secrets));
  g_print ("till-server: the configuration %s is valid\n", config_path ? config_path : "(defaults)");
  return 0;
}

/* backup FILE: SQLite's online backup of the database, safe while the
 * server runs and takes payments. */
static int
run_backup (TillServerConfig  *config,
            int                argc,
            char             **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDb) db = NULL;

  if (argc != 1)
    {
      g_printerr ("till-server: usage: till-server [--config FILE] backup FILE\n");
      return 2;
    }
  if (!g_file_test (config->database, G_FILE_TEST_EXISTS))
    {
      g_printerr ("till-server: there is no database at %s\n", config->database);
      return 1;
    }
  db = till_db_open_read_only (config->database, &error);
  if (db == NULL || !till_db_backup (db, argv[0], &error))
    return report_failure (error);
  g_print ("till-server: backed up %s to %s (%" G_GINT64_FORMAT " payments)\n",
           config->database, argv[0], till_db_count_payments (db));
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TillServerConfig) config = NULL;
  g_autofree char *config_path = NULL;
  gboolean demo = FALSE;
  gboolean version = FALSE;
  gboolean check_config = FALSE;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Read the configuration from FILE", "FILE" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo, "Serve a throw-away demo shop with new staff passwords", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &check_config, "Check the configuration (and the secrets it names) and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  /* HTTP/1.1 to Stripe, the protocol every test speaks: libsoup 3.2
   * would offer HTTP/2 over TLS, whose refused streams it resends by
   * itself whatever the method (docs/server.md, "A connection of its own
   * for every call"). Read by libsoup for each new connection; set before
   * any thread starts. */
  g_setenv ("SOUP_FORCE_HTTP1", "1", TRUE);
  till_server_log_init ();

  context = g_option_context_new ("[user add|list|disable|enable|passwd … | backup FILE]");
  g_option_context_set_summary (context, "The reference shop backend for Till.");
  g_option_context_set_description (context,
    "The Stripe secret key is read from the file named by [stripe] secret-key-file\n"
    "or from the TILL_STRIPE_SECRET_KEY environment variable, never from arguments.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("till-server: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("till-server %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (!till_crypto_init (&error) ||
      (config = till_server_config_load (config_path, &error)) == NULL)
    {
      g_printerr ("till-server: %s\n", error->message);
      return 1;
    }

  if (check_config)
    return run_check_config (config, config_path);

  if (argc > 1 && g_str_equal (argv[1], "backup"))
    return run_backup (config, argc - 2, argv + 2);

  if (argc > 1 && g_str_equal (argv[1], "user"))
    {
      g_autoptr(TillDb) db = till_db_open (config->database, &error);

      if (db == NULL)
        {
          g_printerr ("till-server: %s\n", error->message);
          return 1;
        }
      return till_server_cli_user (db, argc - 2, argv + 2);
    }
  if (argc > 1)
    {
      g_printerr ("till-server: unknown command “%s”; see --help\n", argv[1]);
      return 2;
    }

  return serve (config, config_path, demo);
}
