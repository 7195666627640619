/* till-crypto.h: password hashing, session tokens and ids for till-server
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean  till_crypto_init            (GError     **error);
char     *till_crypto_hash_password   (const char  *password,
                                       GError     **error);
gboolean  till_crypto_verify_password (const char  *hash,
                                       const char  *password);
void      till_crypto_burn_time       (const char  *password);
char     *till_crypto_new_token       (void);
char     *till_crypto_new_id          (const char  *prefix);
char     *till_crypto_sha256_hex      (const char  *data,
                                       gssize       len);
char     *till_crypto_random_password (void);

G_END_DECLS
