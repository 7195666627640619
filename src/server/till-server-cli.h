/* till-server-cli.h: staff management from the command line
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-db.h"

G_BEGIN_DECLS

int   till_server_cli_user      (TillDb      *db,
                                 int          argc,
                                 char       **argv);
char *till_server_read_password (const char  *prompt,
                                 GError     **error);

G_END_DECLS
