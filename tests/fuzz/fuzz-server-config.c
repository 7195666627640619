/* fuzz-server-config.c: till-server's configuration key file
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A config file is written by hand and copied between machines; whatever it
 * holds must give a clear error, never a crash or a config that passes
 * validation while breaking its rules. The input is the file's bytes.
 */
#include "config.h"

#include <string.h>

#include "till-money.h"
#include "till-server-config.h"
#include "till-server-error.h"
#define TILL_FUZZ_OWN_INITIALIZE
#include "till-fuzz.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  till_fuzz_init ();
  /* The secret key comes from the environment or a file otherwise: the
   * fuzzer must not read files named by its input. */
  g_unsetenv ("TILL_STRIPE_SECRET_KEY");
  g_unsetenv ("CREDENTIALS_DIRECTORY");
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillServerConfig) config = till_server_config_load_from_data ((const char *) data, size, &error);

  if (config == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (config->max_body_size, >=, 1024);
  g_assert_cmpuint (config->max_body_size, <=, 1024 * 1024);
  g_assert_cmpint (config->session_lifetime, >=, 1);
  g_assert_cmpuint (config->port, <=, 65535);

  /* Set, so that validation never opens a file the input names. */
  g_clear_pointer (&config->stripe_secret_key_file, g_free);
  g_clear_pointer (&config->stripe_webhook_secrets_file, g_free);
  config->stripe_secret_key = g_strdup ("sk_test_fuzz");
  if (!till_server_config_validate (config, &error))
    {
      g_assert_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG);
      return 0;
    }
  g_assert_true (till_currency_is_known (config->currency));
  g_assert_cmpuint (strlen (config->country), ==, 2);
  g_assert_true (g_str_has_prefix (config->stripe_publishable_key, "pk_"));
  g_assert_true (config->tls_certificate != NULL ||
                 till_server_config_is_loopback (config->listen_address));
  return 0;
}
