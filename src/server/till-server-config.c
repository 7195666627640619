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
  g_free (self->stripe_api_base);
  g_free (self->stripe_publishable_key);
  g_free (self->stripe_js_url);
  g_free (self->stripe_secret_key_file);
  if (self->stripe_secret_key != NULL)
    explicit_bzero (self->stripe_secret_key, strlen (self->stripe_secret_key));
  g_free (self->stripe_secret_key);
  g_free (self);
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
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "[%s] %s must be a whole number from %u to %u",
                   group, key, min, max);
      return FALSE;
    }

  *field = (guint) value;
  return TRUE;
}

/* The secret key is read from a file (which must not be readable by others)
 * or from the environment, never from argv or the key file itself, so that
 * it does not show in `ps`, in shell history or in a config backup. */
static gboolean
load_secret_key (TillServerConfig  *self,
                 GError           **error)
{
  g_autofree char *path = g_strdup (self->stripe_secret_key_file);
  const char *env = g_getenv (SECRET_KEY_ENV);

  if (self->stripe_secret_key != NULL)
    return TRUE;

  if (path != NULL)
    {
      g_autofree char *contents = NULL;
      g_autoptr(GError) local_error = NULL;
      struct stat st;

      g_strstrip (path);
      if (stat (path, &st) != 0)
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "Cannot read the Stripe secret key file %s: %s",
                       path, g_strerror (errno));
          return FALSE;
        }
      if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "The Stripe secret key file %s is readable by others; "
                       "run chmod 600 on it", path);
          return FALSE;
        }
      if (!g_file_get_contents (path, &contents, NULL, &local_error))
        {
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "Cannot read the Stripe secret key file: %s", local_error->message);
          return FALSE;
        }
      self->stripe_secret_key = g_strdup (g_strstrip (contents));
      explicit_bzero (contents, strlen (contents));
    }
  else if (env != NULL && *env != '\0')
    {
      self->stripe_secret_key = g_strstrip (g_strdup (env));
    }

  return TRUE;
}

static TillServerConfig *
config_from_key_file (GKeyFile  *key_file,
                      GError   **error)
{
  g_autoptr(TillServerConfig) self = till_server_config_new_default ();
  g_autofree char *mode = NULL;
  guint max_body_kib = 64;
  guint session_minutes = 12 * 60;

  replace_string (&self->listen_address, key_file, "server", "listen");
  replace_string (&self->tls_certificate, key_file, "server", "tls-certificate");
  replace_string (&self->tls_key, key_file, "server", "tls-key");
  replace_string (&self->database, key_file, "server", "database");
  if (!read_uint (&self->port, key_file, "server", "port", 0, 65535, error) ||
      !read_uint (&session_minutes, key_file, "server", "session-lifetime-minutes", 1, 7 * 24 * 60, error) ||
      !read_uint (&max_body_kib, key_file, "server", "max-body-kib", 1, 1024, error) ||
      !read_uint (&self->login_failures_per_user, key_file, "server", "login-failures-per-user", 1, 1000, error) ||
      !read_uint (&self->login_failures_per_address, key_file, "server", "login-failures-per-address", 1, 10000, error) ||
      !read_uint (&self->login_window, key_file, "server", "login-window-seconds", 1, 86400, error) ||
      !read_uint (&self->login_checks, key_file, "server", "login-checks", 1, 64, error) ||
      !read_uint (&self->login_checks_per_address, key_file, "server", "login-checks-per-address", 1, 64, error) ||
      !read_uint (&self->login_tracked_names, key_file, "server", "login-tracked-names", 10, 10000000, error) ||
      !read_uint (&self->stripe_timeout, key_file, "stripe", "timeout-seconds", 1, 600, error))
    return NULL;
  self->session_lifetime = (gint64) session_minutes * 60;
  self->max_body_size = (gsize) max_body_kib * 1024;

  if (!read_uint (&self->max_connections, key_file, "server", "max-connections", 1, 1000000, error) ||
      !read_uint (&self->idle_timeout, key_file, "server", "idle-timeout", 1, 3600, error) ||
      !read_uint (&self->request_timeout, key_file, "server", "request-timeout", 1, 3600, error))
    return NULL;

  /* Only for the test suite, which needs sessions that expire within a
   * test; seconds are not offered in the documented key. */
  if (g_key_file_has_key (key_file, "server", "session-lifetime-seconds", NULL))
    {
      guint seconds = 0;

      if (!read_uint (&seconds, key_file, "server", "session-lifetime-seconds", 1, 7 * 24 * 3600, error))
        return NULL;
      self->session_lifetime = seconds;
    }

  replace_string (&self->shop_name, key_file, "shop", "name");
  replace_string (&self->currency, key_file, "shop", "currency");
  replace_string (&self->country, key_file, "shop", "country");

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
          g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                       "[stripe] mode must be payment_intents or charges, not “%s”", mode);
          return NULL;
        }
    }
  if (g_key_file_has_key (key_file, "stripe", "moto", NULL))
    {
      g_autoptr(GError) local_error = NULL;

      self->stripe_moto = g_key_file_get_boolean (key_file, "stripe", "moto", &local_error);
      if (local_error != NULL)
        {
          g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                               "[stripe] moto must be true or false");
          return NULL;
        }
    }

  /* The secret is read when serving (till_server_config_validate), so that
   * staff commands work without access to it. */
  if (g_key_file_has_key (key_file, "stripe", "secret-key", NULL))
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "[stripe] secret-key is not accepted in the config file; "
                           "use secret-key-file or the " SECRET_KEY_ENV " environment variable");
      return NULL;
    }
  replace_string (&self->stripe_secret_key_file, key_file, "stripe", "secret-key-file");

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

TillServerConfig *
till_server_config_load (const char  *path,
                         GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();

  if (path != NULL && !g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, error))
    {
      make_message_valid (error);
      return NULL;
    }
  return config_from_key_file (key_file, error);
}

/* The same reader from bytes, for tests/fuzz/fuzz-server-config.c: a
 * config file is written by people and may hold anything. */
TillServerConfig *
till_server_config_load_from_data (const char  *data,
                                   gsize        length,
                                   GError     **error)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (!g_key_file_load_from_data (key_file, data != NULL ? data : "", length, G_KEY_FILE_NONE, error))
    {
      make_message_valid (error);
      return NULL;
    }
  return config_from_key_file (key_file, error);
}

static gboolean
check_base_url (const char  *key,
                const char  *url,
                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0))
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "[stripe] %s “%s” is not an http(s) URL", key, url);
      return FALSE;
    }
  if (g_str_equal (g_uri_get_scheme (uri), "http") &&
      !till_server_config_is_loopback (g_uri_get_host (uri)))
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "[stripe] %s “%s” uses plain HTTP; only a loopback "
                   "stand-in may be reached without TLS", key, url);
      return FALSE;
    }
  return TRUE;
}

gboolean
till_server_config_validate (TillServerConfig  *self,
                             GError           **error)
{
  gboolean has_tls = self->tls_certificate != NULL || self->tls_key != NULL;

  if (has_tls && (self->tls_certificate == NULL || self->tls_key == NULL))
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "[server] tls-certificate and tls-key must be given together");
      return FALSE;
    }
  if (!has_tls && !till_server_config_is_loopback (self->listen_address))
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "[server] listen = %s is not a loopback address: plain HTTP is "
                   "only served on loopback, so give tls-certificate and tls-key",
                   self->listen_address);
      return FALSE;
    }
  if (till_currency_get_exponent (self->currency) < 0)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
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
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "[shop] country must be a two-letter ISO 3166 code");
      return FALSE;
    }
  if (!check_base_url ("api-base", self->stripe_api_base, error) ||
      !check_base_url ("js-url", self->stripe_js_url, error))
    return FALSE;
  if (!load_secret_key (self, error))
    return FALSE;
  if (self->stripe_secret_key == NULL)
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "No Stripe secret key: set [stripe] secret-key-file or the "
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
  if (self->stripe_publishable_key == NULL ||
      !g_str_has_prefix (self->stripe_publishable_key, "pk_"))
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                           "[stripe] publishable-key must be set to the shop's pk_… key");
      return FALSE;
    }

  return TRUE;
}
