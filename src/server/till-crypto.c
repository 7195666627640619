/* till-crypto.c: password hashing, session tokens and ids for till-server
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "till-crypto.h"
#include "till-server-error.h"

/* Argon2id with libsodium's "interactive" limits: about 64 MiB and a few
 * tens of milliseconds a hash, the floor libsodium recommends for logins. */
#define PWHASH_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

gboolean
till_crypto_init (GError **error)
{
  if (sodium_init () < 0)
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_FAILED,
                           "libsodium could not be initialised");
      return FALSE;
    }
  return TRUE;
}

char *
till_crypto_hash_password (const char  *password,
                           GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (password != NULL, NULL);

  if (crypto_pwhash_str_alg (hash, password, strlen (password),
                             PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
                             crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_FAILED,
                           "Out of memory while hashing the password");
      return NULL;
    }

  return g_strdup (hash);
}

gboolean
till_crypto_verify_password (const char *hash,
                             const char *password)
{
  g_return_val_if_fail (hash != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

/* Spends the time of one verification so that an unknown user name cannot
 * be told from a wrong password by the response time. */
void
till_crypto_burn_time (const char *password)
{
  static char dummy_hash[crypto_pwhash_STRBYTES];
  static gsize initialised;

  if (g_once_init_enter (&initialised))
    {
      g_autofree char *hash = till_crypto_hash_password ("till-dummy-password", NULL);

      if (hash != NULL)
        g_strlcpy (dummy_hash, hash, sizeof dummy_hash);
      g_once_init_leave (&initialised, 1);
    }

  if (dummy_hash[0] != '\0')
    {
      int ignored = crypto_pwhash_str_verify (dummy_hash, password, strlen (password));

      (void) ignored;
    }
}

/* 256 random bits, URL-safe base64 without padding: 43 characters. */
char *
till_crypto_new_token (void)
{
  guint8 raw[32];
  char encoded[sodium_base64_ENCODED_LEN (32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (raw, sizeof raw);
  sodium_bin2base64 (encoded, sizeof encoded, raw, sizeof raw,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (raw, sizeof raw);

  return g_strdup (encoded);
}

/* Object ids such as "pay_3kTq…": 24 characters from a 62-letter alphabet,
 * about 143 bits, so they cannot be guessed or enumerated. */
char *
till_crypto_new_id (const char *prefix)
{
  static const char alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  GString *id = g_string_new (prefix);

  g_string_append_c (id, '_');
  for (int i = 0; i < 24; i++)
    g_string_append_c (id, alphabet[randombytes_uniform (sizeof alphabet - 1)]);

  return g_string_free (id, FALSE);
}

char *
till_crypto_sha256_hex (const char *data,
                        gssize      len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) data,
                                      len < 0 ? strlen (data) : (gsize) len);
}

/* For the demo shop: 16 characters, easy to read aloud (no 0/O, 1/l). */
char *
till_crypto_random_password (void)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  GString *password = g_string_new (NULL);

  for (int i = 0; i < 16; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (password, '-');
      g_string_append_c (password, alphabet[randombytes_uniform (sizeof alphabet - 1)]);
    }

  return g_string_free (password, FALSE);
}
