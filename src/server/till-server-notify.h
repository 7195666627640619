/* till-server-notify.h: telling systemd how till-server is doing
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean till_server_notify           (const char *state);
guint    till_server_notify_watchdog  (void);

G_END_DECLS
