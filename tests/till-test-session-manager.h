/* till-test-session-manager.h: a stand-in for the desktop's session manager
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Owns org.gnome.SessionManager on the session bus, from a thread of its
 * own, and answers Inhibit and Uninhibit as GNOME's session manager does,
 * keeping each inhibition. Start it before the application registers:
 * GTK looks for a session manager once, at start-up. */
void     till_test_session_manager_start     (void);
/* Inhibitions held now (Inhibit calls not yet taken back). */
guint    till_test_session_manager_held      (void);
/* All Inhibit calls so far. */
guint    till_test_session_manager_inhibits  (void);
/* Of the newest inhibition: its flags, reason (a copy), app id (a copy)
 * and toplevel window id. */
guint    till_test_session_manager_last_flags (void);
char    *till_test_session_manager_dup_last_reason (void);
char    *till_test_session_manager_dup_last_app_id (void);
guint    till_test_session_manager_last_toplevel (void);

G_END_DECLS
