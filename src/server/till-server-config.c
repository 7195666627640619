/* till-server-config.c: till-server's configuration key file
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>

#include "till-money.h"
#include "till-server-config.h"
#include "till-server-error.h"

#define SECRET_KEY_ENV "TILL_STRIPE_SECRET_KEY"
#define SECRET_KEY_CREDENTIAL "stripe-secret-key"
#define WEBHOOK_SECRETS_CREDENTIAL "stripe-webhook-secrets"

G_DEFINE_QUARK (till-server-error-quark, till_server_error)

TillServerConfig *
till_server_config_new_default (void)
{
  TillServerConfig *self = g_new0 (TillServerConfig, 1);

  self->listen_address = g_strdup ("127.0.0.1");
  self->port = 8080;
  self->database = g_build_filename (g_get_user_data_dir (), "till-server", "till.db", NULL);
  self->session_lifetime = 12 * 60 * 60;
  self->max_body_size = 64 * 1024;
  self->login_failures_per_user = 5;
  self->login_failures_per_address = 20;
  self->login_window = 60;
  /* Argon2id takes 64 MiB a check: 4 at once is 256 MiB at most, and no
   * faster on a small server's cores than one after the other. */
  self->login_checks = 4;
  self->login_checks_per_address = 2;
  self->login_tracked_names = 100000;
  self->shop_name = g_strdup ("Till");
  self->currency = g_strdup ("USD");
  self->country = g_strdup ("US");
  self->stripe_api_base = g_strdup ("https://api.stripe.com");
  self->stripe_js_url = g_strdup ("https://js.stripe.com/v3/");
  self->stripe_mode = TILL_STRIPE_MODE_PAYMENT_INTENTS;
  self->stripe_timeout = 30;
  self->stripe_webhook_tolerance = 300;
  /* Longer than the 60 seconds libsoup's client keeps an idle connection,
   * so that the terminal, not the server, closes it and never sends a
   * request into a connection closing under it. */
  self->idle_timeout = 75;
  self->request_timeout = 30;

  return self;
}

void
till_server_config_free (TillServerConfig *self)
{
  if (self == NULL)
    return;

  g_free (self->listen_address);
  g_free (self->tls_certificate);
  g_free (self->tls_key);
  g_free (self->database);
  g_free (self->shop_name);
  g_free (self->currency);
  g_free (self->country);
  g_free (self->time_zone);
  g_clear_pointer (&self->shop_tz, g_time_zone_unref);
  g_free (self->stripe_api_base);
  g_free (self->stripe_publishable_key);
  g_free (self->stripe_js_url);
  g_free (self->stripe_secret_key_file);
  g_clear_pointer (&self->key_lines, g_hash_table_unref);
  g_free (self->stripe_webhook_secrets_file);
  till_server_config_clear_webhook_secrets (self);
  if (self->stripe_secret_key != NULL)
    explicit_bzero (self->stripe_secret_key, strlen (self->stripe_secret_key));
  g_free (self->stripe_secret_key);
  g_free (self);
}

void
till_server_config_clear_webhook_secrets (TillServerConfig *self)
{
  for (guint i = 0; self->stripe_webhook_secrets != NULL && self->stripe_webhook_secrets[i] != NULL; i++)
    explicit_bzero (self->stripe_webhook_secrets[i], strlen (self->stripe_webhook_secrets[i]));
  g_clear_pointer (&self->stripe_webhook_secrets, g_strfreev);
}

const char *
till_stripe_mode_to_string (TillStripeMode mode)
{
  return mode == TILL_STRIPE_MODE_CHARGES ? "charges" : "payment_intents";
}

gboolean
till_server_config_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Every key till-server reads. Anything else in the file is a mistake
 * (a misspelt key would otherwise be ignored, and its default served
 * without a word), so it is refused with its line. */
static const struct
{
  const char *group;
  const char *key;
} known_keys[] = {
  { "server", "listen" },
  { "server", "port" },
  { "server", "tls-certificate" },
  { "server", "tls-key" },
  { "server", "database" },
  { "server", "session-lifetime-minutes" },
  { "server", "session-lifetime-seconds" },   /* the test suite's */
  { "server", "max-body-kib" },
  { "server", "max-connections" },
  { "server", "idle-timeout" },
  { "server", "request-timeout" },
  { "server", "login-failures-per-user" },
  { "server", "login-failures-per-address" },
  { "server", "login-window-seconds" },
  { "server", "login-checks" },
  { "server", "login-checks-per-address" },
  { "server", "login-tracked-names" },
  { "shop", "name" },
  { "shop", "currency" },
  { "shop", "country" },
  { "shop", "time-zone" },
  { "stripe", "api-base" },
  { "stripe", "publishable-key" },
  { "stripe", "js-url" },
  { "stripe", "secret-key" },                 /* refused with its own reason */
  { "stripe", "secret-key-file" },
  { "stripe", "mode" },
  { "stripe", "moto" },
  { "stripe", "timeout-seconds" },
  { "stripe", "webhook-secrets-file" },
  { "stripe", "webhook-tolerance-seconds" },
};

/* A config file is small; a larger one is not one. */
#define CONFIG_MAX_SIZE (256 * 1024)

static gboolean
is_known_group (const char *group)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (g_str_equal (known_keys[i].group, group))
      return TRUE;
  return FALSE;
}

static gboolean
is_known_key (const char *group,
              const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
    if (g_str_equal (known_keys[i].group, group) && g_str_equal (known_keys[i].key, key))
      return TRUE;
  return FALSE;
}

static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] != b[j - 1]));
          diagonal = above;
        }
    }
  return row[lb];
}

/* The key the admin most likely meant: a known key of the group that the
 * unknown one starts with ("listen-adress" → listen), or one a few typos
 * away ("idle-timout" → idle-timeout). */
static const char *
closest_key (const char *group,
             const char *key)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;

  if (strlen (key) > 64)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (known_keys); i++)
    {
      guint distance;

      if (!g_str_equal (known_keys[i].group, group))
        continue;
      if (g_str_has_prefix (key, known_keys[i].key) && key[strlen (known_keys[i].key)] == '-')
        return known_keys[i].key;
      distance = edit_distance (key, known_keys[i].key);
      if (distance < best_distance)
        {
          best_distance = distance;
          best = known_keys[i].key;
        }
    }
  return best_distance <= 3 ? best : NULL;
}

static char *
line_key (const char *group,
          const char *key)
{
  return g_strconcat (group, "/", key, NULL);
}

static void G_GNUC_PRINTF (5, 6)
config_set_error (GHashTable  *key_lines,
                  const char  *group,
                  const char  *key,
                  GError     **error,
                  const char  *format,
                  ...)
{
  g_autofree char *message = NULL;
  g_autofree char *where = line_key (group, key);
  guint line = key_lines != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (key_lines, where)) : 0;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (line > 0)
    g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG, "Line %u: %s", line, message);
  else
    g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG, message);
}

/* Reads the file's layout line by line, as GKeyFile will, and refuses
 * what GKeyFile would take silently or without saying where: a group or a
 * key till-server does not know, a key given twice (GKeyFile keeps the
 * last), a line that is none of a group, a key or a comment, text that is
 * not UTF-8. Fills key_lines with "group/key" → line number. */
static gboolean
check_layout (const char  *data,
              gsize        length,
              GHashTable  *key_lines,
              GError     **error)
{
  g_autofree char *group = NULL;
  const char *end = data + length;
  guint number = 0;

  if (length > CONFIG_MAX_SIZE)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "The configuration is larger than %u KiB: not a till-server configuration",
                   CONFIG_MAX_SIZE / 1024);
      return FALSE;
    }
  for (const char *line = data; line < end; number++)
    {
      const char *next = memchr (line, '\n', end - line);
      gsize size = (next != NULL ? next : end) - line;
      g_autofree char *text = g_strndup (line, size);
      const char *equals;

      line = next != NULL ? next + 1 : end;
      if (strlen (text) != size || !g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "Line %u: not UTF-8 text", number + 1);
          return FALSE;
        }
      g_strstrip (text);
      if (*text == '\0' || *text == '#')
        continue;

      if (*text == '[')
        {
          gsize close = strlen (text) - 1;

          if (text[close] != ']' || close == 1)
            {
              g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "Line %u: a group is written as [name]", number + 1);
              return FALSE;
            }
          g_free (group);
          group = g_strndup (text + 1, close - 1);
          if (!is_known_group (group))
            {
              g_autofree char *shown = g_strescape (group, NULL);

              g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "Line %u: unknown group [%s]; the groups are [server], [shop] and [stripe]",
                           number + 1, shown);
              return FALSE;
            }
          continue;
        }

      equals = strchr (text, '=');
      if (equals == NULL || equals == text)
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "Line %u: not a key=value setting, a [group] or a # comment", number + 1);
          return FALSE;
        }
      if (group == NULL)
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "Line %u: a setting before the first [group]", number + 1);
          return FALSE;
        }
      {
        g_autofree char *key = g_strstrip (g_strndup (text, equals - text));
        g_autofree char *where = line_key (group, key);
        guint first;

        if (!is_known_key (group, key))
          {
            g_autofree char *shown = g_strescape (key, NULL);
            const char *meant = closest_key (group, key);
            const char *home = NULL;

            for (guint i = 0; i < G_N_ELEMENTS (known_keys) && home == NULL; i++)
              if (g_str_equal (known_keys[i].key, key))
                home = known_keys[i].group;
            if (home != NULL)
              g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "Line %u: “%s” is a setting of [%s], not of [%s]", number + 1, shown, home, group);
            else if (meant != NULL)
              g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "Line %u: unknown key “%s” in [%s]; did you mean “%s”?",
                           number + 1, shown, group, meant);
            else
              g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "Line %u: unknown key “%s” in [%s]", number + 1, shown, group);
            return FALSE;
          }
        /* GKeyFile's escapes only (\s \n \t \r \\): GLib 2.74 sets its error
         * twice over for a value that ends in a lone backslash. */
        for (const char *c = equals + 1; *c != '\0'; c++)
          {
            if (*c != '\\')
              continue;
            if (c[1] == '\0' || strchr ("sntr\\", c[1]) == NULL)
              {
                g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                             "Line %u: a backslash in a value is \\s, \\n, \\t, \\r or \\\\", number + 1);
                return FALSE;
              }
            c++;
          }
        first = GPOINTER_TO_UINT (g_hash_table_lookup (key_lines, where));
        if (first != 0)
          {
            g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                         "Line %u: [%s] %s is set again (first on line %u)",
                         number + 1, group, key, first);
            return FALSE;
          }
        g_hash_table_insert (key_lines, g_steal_pointer (&where), GUINT_TO_POINTER (number + 1));
      }
    }
  return TRUE;
}

static void
replace_string (char       **field,
                GKeyFile    *key_file,
                const char  *group,
                const char  *key)
{
  g_autofree char *value = g_key_file_get_string (key_file, group, key, NULL);

  if (value != NULL)
    {
      g_free (*field);
      *field = g_strstrip (g_steal_pointer (&value));
    }
}

static gboolean
read_uint (guint       *field,
           GHashTable  *key_lines,
           GKeyFile    *key_file,
           const char  *group,
           const char  *key,
           guint        min,
           guint        max,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 value;

  if (!g_key_file_has_key (key_file, group, key, NULL))
    return TRUE;

  value = g_key_file_get_int64 (key_file, group, key, &local_error);
  if (local_error != NULL || value < min || value > max)
    {
      config_set_error (key_lines, group, key, error, "[%s] %s must be a whole number from %u to %u",
                        group, key, min, max);
      return FALSE;
    }

  *field = (guint) value;
  return TRUE;
}

/* A secret in a file of its own, which nobody but till-server's user may
 * read: returns its contents, stripped, or NULL with error set. */
static char *
read_secret_file (const char  *path,
                  const char  *what,
                  gboolean     check_mode,
                  GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  char *secret;
  struct stat st;

  if (stat (path, &st) != 0)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "Cannot read the %s file %s: %s", what, path, g_strerror (errno));
      return NULL;
    }
  if (check_mode && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "The %s file %s is readable by others; run chmod 600 on it", what, path);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "Cannot read the %s file: %s", what, local_error->message);
      return NULL;
    }
  secret = g_strdup (g_strstrip (contents));
  explicit_bzero (contents, length);
  return secret;
}

/* The systemd credential of that name (LoadCredential= in the unit):
 * systemd hands it to the service alone, in a folder of its own, so that
 * the key file itself can stay readable by root only. */
static char *
credential_path (const char *name)
{
  const char *dir = g_getenv ("CREDENTIALS_DIRECTORY");
  char *path;

  if (dir == NULL || *dir == '\0')
    return NULL;
  path = g_build_filename (dir, name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_clear_pointer (&path, g_free);
  return path;
}

/* The secret key is read from the systemd credential, a file (which must
 * not be readable by others) or the environment, never from argv or the
 * key file itself, so that it does not show in `ps`, in shell history or
 * in a config backup. */
static gboolean
load_secret_key (TillServerConfig  *self,
                 GError           **error)
{
  g_autofree char *credential = credential_path (SECRET_KEY_CREDENTIAL);
  const char *env = g_getenv (SECRET_KEY_ENV);

  if (self->stripe_secret_key != NULL)
    return TRUE;

  if (credential != NULL || self->stripe_secret_key_file != NULL)
    {
      g_autofree char *path = g_strdup (credential != NULL ? credential : self->stripe_secret_key_file);

      /* A credential's access is systemd's: its folder is the service's
       * alone, and on tmpfs it grants the service read access with an ACL,
       * which shows as group bits. */
      self->stripe_secret_key = read_secret_file (g_strstrip (path), "Stripe secret key", credential == NULL, error);
      return self->stripe_secret_key != NULL;
    }
  if (env != NULL && *env != '\0')
    self->stripe_secret_key = g_strstrip (g_strdup (env));
  return TRUE;
}

/* The signing secrets of the shop's webhook endpoint at Stripe (whsec_…),
 * one a line: two while Stripe rolls the secret. Optional: without them
 * the webhook endpoint says it is not set up. */
gboolean
till_server_config_load_webhook_secrets (TillServerConfig  *self,
                                         GError           **error)
{
  g_autofree char *credential = credential_path (WEBHOOK_SECRETS_CREDENTIAL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *secrets;

  till_server_config_clear_webhook_secrets (self);
  if (credential == NULL && self->stripe_webhook_secrets_file == NULL)
    return TRUE;
  contents = read_secret_file (credential != NULL ? credential : self->stripe_webhook_secrets_file,
                               "Stripe webhook secrets", credential == NULL, error);
  if (contents == NULL)
    return FALSE;

  lines = g_strsplit (contents, "\n", 16);
  explicit_bzero (contents, strlen (contents));
  secrets = g_ptr_array_new ();
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0')
        continue;
      if (!g_str_has_prefix (lines[i], "whsec_"))
        {
          for (guint j = 0; lines[j] != NULL; j++)
            explicit_bzero (lines[j], strlen (lines[j]));
          g_ptr_array_free (secrets, TRUE);
          g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                               "A Stripe webhook secret does not look like one (it should start with whsec_)");
          return FALSE;
        }
      g_ptr_array_add (secrets, g_strdup (lines[i]));
      explicit_bzero (lines[i], strlen (lines[i]));
    }
  g_ptr_array_add (secrets, NULL);
  self->stripe_webhook_secrets = (char **) g_ptr_array_free (secrets, FALSE);
  if (self->stripe_webhook_secrets[0] == NULL)
    till_server_config_clear_webhook_secrets (self);
  return TRUE;
}

static TillServerConfig *
config_from_key_file (GKeyFile    *key_file,
                      GHashTable  *key_lines,
                      GError     **error)
{
  g_autoptr(TillServerConfig) self = till_server_config_new_default ();
  GHashTable *lines = key_lines;
  g_autofree char *mode = NULL;
  guint max_body_kib = 64;
  guint session_minutes = 12 * 60;

  replace_string (&self->listen_address, key_file, "server", "listen");
  replace_string (&self->tls_certificate, key_file, "server", "tls-certificate");
  replace_string (&self->tls_key, key_file, "server", "tls-key");
  replace_string (&self->database, key_file, "server", "database");
  if (!read_uint (&self->port, lines, key_file, "server", "port", 0, 65535, error) ||
      !read_uint (&session_minutes, lines, key_file, "server", "session-lifetime-minutes", 1, 7 * 24 * 60, error) ||
      !read_uint (&max_body_kib, lines, key_file, "server", "max-body-kib", 1, 1024, error) ||
      !read_uint (&self->login_failures_per_user, lines, key_file, "server", "login-failures-per-user", 1, 1000, error) ||
      !read_uint (&self->login_failures_per_address, lines, key_file, "server", "login-failures-per-address", 1, 10000, error) ||
      !read_uint (&self->login_window, lines, key_file, "server", "login-window-seconds", 1, 86400, error) ||
      !read_uint (&self->login_checks, lines, key_file, "server", "login-checks", 1, 64, error) ||
      !read_uint (&self->login_checks_per_address, lines, key_file, "server", "login-checks-per-address", 1, 64, error) ||
      !read_uint (&self->login_tracked_names, lines, key_file, "server", "login-tracked-names", 10, 10000000, error) ||
      !read_uint (&self->stripe_timeout, lines, key_file, "stripe", "timeout-seconds", 1, 600, error))
    return NULL;
  self->session_lifetime = (gint64) session_minutes * 60;
  self->max_body_size = (gsize) max_body_kib * 1024;

  if (!read_uint (&self->max_connections, lines, key_file, "server", "max-connections", 1, 1000000, error) ||
      !read_uint (&self->idle_timeout, lines, key_file, "server", "idle-timeout", 1, 3600, error) ||
      !read_uint (&self->request_timeout, lines, key_file, "server", "request-timeout", 1, 3600, error) ||
      !read_uint (&self->stripe_webhook_tolerance, lines, key_file, "stripe", "webhook-tolerance-seconds",
                  10, 3600, error))
    return NULL;

  /* Only for the test suite, which needs sessions that expire within a
   * test; seconds are not offered in the documented key. */
  if (g_key_file_has_key (key_file, "server", "session-lifetime-seconds", NULL))
    {
      guint seconds = 0;

      if (!read_uint (&seconds, lines, key_file, "server", "session-lifetime-seconds", 1, 7 * 24 * 3600, error))
        return NULL;
      self->session_lifetime = seconds;
    }

  replace_string (&self->shop_name, key_file, "shop", "name");
  replace_string (&self->currency, key_file, "shop", "currency");
  replace_string (&self->country, key_file, "shop", "country");
  replace_string (&self->time_zone, key_file, "shop", "time-zone");

  replace_string (&self->stripe_api_base, key_file, "stripe", "api-base");
  replace_string (&self->stripe_publishable_key, key_file, "stripe", "publishable-key");
  replace_string (&self->stripe_js_url, key_file, "stripe", "js-url");
  mode = g_key_file_get_string (key_file, "stripe", "mode", NULL);
  if (mode != NULL)
    {
      g_strstrip (mode);
      if (g_str_equal (mode, "payment_intents"))
        self->stripe_mode = TILL_STRIPE_MODE_PAYMENT_INTENTS;
      else if (g_str_equal (mode, "charges"))
        self->stripe_mode = TILL_STRIPE_MODE_CHARGES;
      else
        {
          g_autofree char *shown = g_strescape (mode, NULL);

          config_set_error (lines, "stripe", "mode", error,
                            "[stripe] mode must be payment_intents or charges, not “%s”", shown);
          return NULL;
        }
    }
  if (g_key_file_has_key (key_file, "stripe", "moto", NULL))
    {
      g_autoptr(GError) local_error = NULL;

      self->stripe_moto = g_key_file_get_boolean (key_file, "stripe", "moto", &local_error);
      if (local_error != NULL)
        {
          config_set_error (lines, "stripe", "moto", error, "[stripe] moto must be true or false");
          return NULL;
        }
    }

  /* The secret is read when serving (till_server_config_validate), so that
   * staff commands work without access to it. */
  if (g_key_file_has_key (key_file, "stripe", "secret-key", NULL))
    {
      config_set_error (lines, "stripe", "secret-key", error,
                        "[stripe] secret-key is not accepted in the config file; use the "
                        "stripe-secret-key credential, secret-key-file or the " SECRET_KEY_ENV
                        " environment variable");
      return NULL;
    }
  replace_string (&self->stripe_secret_key_file, key_file, "stripe", "secret-key-file");
  replace_string (&self->stripe_webhook_secrets_file, key_file, "stripe", "webhook-secrets-file");

  self->key_lines = g_hash_table_ref (key_lines);
  return g_steal_pointer (&self);
}

/* GKeyFile's error quotes the line it could not read as it was, in any
 * encoding; journald shows a message that is not UTF-8 as a blob, and the
 * admin would not see which line. */
static void
make_message_valid (GError **error)
{
  char *valid;

  if (error == NULL || *error == NULL || g_utf8_validate ((*error)->message, -1, NULL))
    return;
  valid = g_utf8_make_valid ((*error)->message, -1);
  g_free ((*error)->message);
  (*error)->message = valid;
}

/* The same reader for a file and for bytes (tests/fuzz/fuzz-server-config.c:
 * a config file is written by people and may hold anything). */
TillServerConfig *
till_server_config_load_from_data (const char  *data,
                                   gsize        length,
                                   GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autoptr(GHashTable) key_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (data == NULL)
    data = "";
  if (!check_layout (data, length, key_lines, error))
    return NULL;
  if (!g_key_file_load_from_data (key_file, data, length, G_KEY_FILE_NONE, error))
    {
      make_message_valid (error);
      return NULL;
    }
  return config_from_key_file (key_file, key_lines, error);
}

TillServerConfig *
till_server_config_load (const char  *path,
                         GError     **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (path == NULL)
    return till_server_config_load_from_data ("", 0, error);
  if (!g_file_get_contents (path, &contents, &length, error))
    {
      make_message_valid (error);
      return NULL;
    }
  return till_server_config_load_from_data (contents, length, error);
}

static gboolean
check_base_url (TillServerConfig  *self,
                const char        *key,
                const char        *url,
                GError           **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      config_set_error (self->key_lines, "stripe", key, error, "[stripe] %s “%s” is not an http(s) URL", key, url);
      return FALSE;
    }
  if (g_str_equal (g_uri_get_scheme (uri), "http") &&
      !till_server_config_is_loopback (g_uri_get_host (uri)))
    {
      config_set_error (self->key_lines, "stripe", key, error,
                        "[stripe] %s “%s” uses plain HTTP; only a loopback stand-in may be reached "
                        "without TLS", key, url);
      return FALSE;
    }
  return TRUE;
}

/* An IANA name as the tz database spells it (Europe/Berlin, UTC,
 * America/Argentina/Buenos_Aires, Etc/GMT+5): GLib would also take a file
 * path or an offset such as +01:00, which follows no daylight saving time
 * and is not what a shop means. */
static gboolean
is_zone_name (const char *name)
{
  g_auto(GStrv) parts = NULL;

  if (name == NULL || *name == '\0' || strlen (name) > 64 || !g_ascii_isalpha (*name))
    return FALSE;
  parts = g_strsplit (name, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (*parts[i] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
        return FALSE;
      for (const char *c = parts[i]; *c != '\0'; c++)
        if (!g_ascii_isalnum (*c) && strchr ("_+-.", *c) == NULL)
          return FALSE;
    }
  return TRUE;
}

/* GLib reads a name it cannot find as a POSIX TZ rule: "XYZ5" would be a
 * zone five hours west without daylight saving time. Only a zone of the
 * database (where GLib looks: TZDIR or /usr/share/zoneinfo) is one, and
 * only a compiled zone file (TZif) of it: the folder also holds tables
 * (zone.tab, iso3166.tab, tzdata.zi, leapseconds…), which GLib meets
 * with a critical warning while it holds its time zone lock, and our log
 * writer, which asks GLib for the time, then waits on that lock forever. */
static gboolean
in_tz_database (const char *name)
{
  const char *dir = g_getenv ("TZDIR");
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileInputStream) stream = NULL;
  char magic[4];
  gsize got = 0;

  if (g_str_equal (name, "UTC"))
    return TRUE;
  path = g_build_filename (dir != NULL && *dir != '\0' ? dir : "/usr/share/zoneinfo", name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  file = g_file_new_for_path (path);
  stream = g_file_read (file, NULL, NULL);
  return stream != NULL &&
         g_input_stream_read_all (G_INPUT_STREAM (stream), magic, sizeof magic, &got, NULL, NULL) &&
         got == sizeof magic && memcmp (magic, "TZif", sizeof magic) == 0;
}

/* The zone the shop's days are counted in: the one named, which must be
 * in this machine's tz database, or the server's own. */
static gboolean
load_time_zone (TillServerConfig  *self,
                GError           **error)
{
  GTimeZone *tz;

  if (self->time_zone == NULL || *self->time_zone == '\0')
    {
      g_clear_pointer (&self->time_zone, g_free);
      tz = g_time_zone_new_local ();
    }
  else
    {
      tz = is_zone_name (self->time_zone) && in_tz_database (self->time_zone)
           ? g_time_zone_new_identifier (self->time_zone) : NULL;
      if (tz == NULL)
        {
          config_set_error (self->key_lines, "shop", "time-zone", error,
                            "[shop] time-zone “%s” is not a time zone of the tz database here "
                            "(an IANA name such as Europe/Berlin or UTC)", self->time_zone);
          return FALSE;
        }
    }
  g_clear_pointer (&self->shop_tz, g_time_zone_unref);
  self->shop_tz = tz;
  return TRUE;
}

gboolean
till_server_config_validate_settings (TillServerConfig  *self,
                                      GError           **error)
{
  gboolean has_tls = self->tls_certificate != NULL || self->tls_key != NULL;

  if (has_tls && (self->tls_certificate == NULL || self->tls_key == NULL))
    {
      config_set_error (self->key_lines, "server", self->tls_certificate != NULL ? "tls-certificate" : "tls-key",
                        error, "[server] tls-certificate and tls-key must be given together");
      return FALSE;
    }
  if (!has_tls && !till_server_config_is_loopback (self->listen_address))
    {
      config_set_error (self->key_lines, "server", "listen", error,
                        "[server] listen = %s is not a loopback address: plain HTTP is "
                        "only served on loopback, so give tls-certificate and tls-key",
                        self->listen_address);
      return FALSE;
    }
  if (till_currency_get_exponent (self->currency) < 0)
    {
      config_set_error (self->key_lines, "shop", "currency", error,
                        "[shop] currency “%s” is not an ISO 4217 currency code Till knows",
                        self->currency);
      return FALSE;
    }
  else
    {
      g_autofree char *upper = g_ascii_strup (self->currency, -1);

      g_free (self->currency);
      self->currency = g_steal_pointer (&upper);
    }
  if (strlen (self->country) != 2)
    {
      config_set_error (self->key_lines, "shop", "country", error,
                        "[shop] country must be a two-letter ISO 3166 code");
      return FALSE;
    }
  if (!load_time_zone (self, error))
    return FALSE;
  if (!check_base_url (self, "api-base", self->stripe_api_base, error) ||
      !check_base_url (self, "js-url", self->stripe_js_url, error))
    return FALSE;
  if (self->stripe_publishable_key == NULL ||
      !g_str_has_prefix (self->stripe_publishable_key, "pk_"))
    {
      config_set_error (self->key_lines, "stripe", "publishable-key", error,
                        "[stripe] publishable-key must be set to the shop's pk_… key");
      return FALSE;
    }

  return TRUE;
}

/* The secrets, from their credential, file or environment variable. */
gboolean
till_server_config_load_secrets (TillServerConfig  *self,
                                 GError           **error)
{
  if (!load_secret_key (self, error))
    return FALSE;
  if (self->stripe_secret_key == NULL)
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "No Stripe secret key: give the service the " SECRET_KEY_CREDENTIAL
                           " credential, or set [stripe] secret-key-file or the "
                           SECRET_KEY_ENV " environment variable");
      return FALSE;
    }
  if (!g_str_has_prefix (self->stripe_secret_key, "sk_") &&
      !g_str_has_prefix (self->stripe_secret_key, "rk_"))
    {
      /* Never echo the key: say only what it should look like. */
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "The Stripe secret key does not look like one (it should start with sk_ or rk_)");
      return FALSE;
    }
  return till_server_config_load_webhook_secrets (self, error);
}

/* What till-server needs to serve: the settings make sense, and the
 * secrets are there. */
gboolean
till_server_config_validate (TillServerConfig  *self,
                             GError           **error)
{
  return till_server_config_validate_settings (self, error) &&
         till_server_config_load_secrets (self, error);
}

/* Where the Stripe secret key would come from; NULL when nowhere. */
const char *
till_server_config_describe_secret_source (TillServerConfig *self)
{
  g_autofree char *credential = credential_path (SECRET_KEY_CREDENTIAL);
  const char *env = g_getenv (SECRET_KEY_ENV);

  if (credential != NULL)
    return "the " SECRET_KEY_CREDENTIAL " credential";
  if (self->stripe_secret_key_file != NULL)
    return "[stripe] secret-key-file";
  if (env != NULL && *env != '\0')
    return "the " SECRET_KEY_ENV " environment variable";
  return NULL;
}

static void
take_string (char **field,
             char **from)
{
  g_free (*field);
  *field = g_steal_pointer (from);
}

static void
note_restart (GPtrArray  *pending,
              gboolean    changed,
              const char *setting)
{
  if (changed)
    g_ptr_array_add (pending, g_strdup (setting));
}

/* SIGHUP: next (read and validated anew) replaces what may change while
 * payments are on their way, and nothing else. Kept as they are, and
 * returned by name so that the log says a restart is needed: where the
 * server listens and what it stores (a payment in flight was sent under
 * them), Stripe's account and mode, and the limits whose counts live in
 * memory. */
GPtrArray *
till_server_config_apply_reload (TillServerConfig *self,
                                 TillServerConfig *next)
{
  GPtrArray *pending = g_ptr_array_new_with_free_func (g_free);
  gboolean had_tls = self->tls_certificate != NULL;
  gboolean has_tls = next->tls_certificate != NULL;

  note_restart (pending, g_strcmp0 (self->listen_address, next->listen_address) != 0, "[server] listen");
  note_restart (pending, self->port != next->port, "[server] port");
  note_restart (pending, had_tls != has_tls, "[server] tls-certificate (TLS on or off)");
  note_restart (pending, g_strcmp0 (self->database, next->database) != 0, "[server] database");
  note_restart (pending, self->max_connections != next->max_connections, "[server] max-connections");
  note_restart (pending, self->login_failures_per_user != next->login_failures_per_user ||
                         self->login_failures_per_address != next->login_failures_per_address ||
                         self->login_window != next->login_window ||
                         self->login_checks != next->login_checks ||
                         self->login_checks_per_address != next->login_checks_per_address ||
                         self->login_tracked_names != next->login_tracked_names,
                "[server] login-*");
  note_restart (pending, g_strcmp0 (self->currency, next->currency) != 0, "[shop] currency");
  note_restart (pending, g_strcmp0 (self->country, next->country) != 0, "[shop] country");
  note_restart (pending, g_strcmp0 (self->stripe_api_base, next->stripe_api_base) != 0, "[stripe] api-base");
  note_restart (pending, g_strcmp0 (self->stripe_secret_key_file, next->stripe_secret_key_file) != 0,
                "[stripe] secret-key-file");
  note_restart (pending, self->stripe_mode != next->stripe_mode, "[stripe] mode");
  note_restart (pending, self->stripe_moto != next->stripe_moto, "[stripe] moto");
  note_restart (pending, self->stripe_timeout != next->stripe_timeout, "[stripe] timeout-seconds");

  if (had_tls && has_tls)
    {
      take_string (&self->tls_certificate, &next->tls_certificate);
      take_string (&self->tls_key, &next->tls_key);
    }
  take_string (&self->shop_name, &next->shop_name);
  /* Only the reports count in it. */
  take_string (&self->time_zone, &next->time_zone);
  g_clear_pointer (&self->shop_tz, g_time_zone_unref);
  self->shop_tz = g_steal_pointer (&next->shop_tz);
  take_string (&self->stripe_publishable_key, &next->stripe_publishable_key);
  take_string (&self->stripe_js_url, &next->stripe_js_url);
  self->max_body_size = next->max_body_size;
  self->session_lifetime = next->session_lifetime;
  self->idle_timeout = next->idle_timeout;
  self->request_timeout = next->request_timeout;
  till_server_config_clear_webhook_secrets (self);
  self->stripe_webhook_secrets = g_steal_pointer (&next->stripe_webhook_secrets);
  take_string (&self->stripe_webhook_secrets_file, &next->stripe_webhook_secrets_file);
  self->stripe_webhook_tolerance = next->stripe_webhook_tolerance;

  return pending;
}
