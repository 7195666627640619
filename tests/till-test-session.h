/* till-test-session.h: a terminal's session, signed in for real, for tests
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-session.h"

G_BEGIN_DECLS

/* A TillSession on url, signed in as username (with short timeouts: 2 s
 * to connect, 5 s for an answer); remember keeps the password in the
 * keyring. Fails the test when the sign-in does. */
TillSession *till_test_signed_in_session (const char *url,
                                          const char *username,
                                          const char *password,
                                          gboolean    remember);

G_END_DECLS
