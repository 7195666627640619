/* till-server-log.h: till-server's log writer and request log
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void  till_server_log_init    (void);
char *till_server_log_escape_field   (const char *value,
                                      gsize       max_bytes);
char *till_server_log_escape_message (const char *message);
void  till_server_log_request (const char *request_id,
                               const char *method,
                               const char *path,
                               guint       status,
                               double      duration_ms);

G_END_DECLS
