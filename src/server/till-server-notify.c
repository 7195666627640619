/* till-server-notify.c: telling systemd how till-server is doing
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sd_notify protocol (systemd's sd_notify(3)) is one datagram on the
 * unix socket named in $NOTIFY_SOCKET (a path, or "@name" for the
 * abstract namespace), so it is spoken here directly rather than linking
 * libsystemd for it. Outside systemd (no $NOTIFY_SOCKET) each call does
 * nothing, which is what a server run by hand, or by the tests, wants.
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "till-server-notify.h"

gboolean
till_server_notify (const char *state)
{
  const char *path = g_getenv ("NOTIFY_SOCKET");
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  socklen_t length;
  gsize path_length;
  int fd;
  ssize_t sent;

  g_return_val_if_fail (state != NULL, FALSE);

  if (path == NULL || (path[0] != '/' && path[0] != '@'))
    return FALSE;
  path_length = strlen (path);
  if (path_length >= sizeof address.sun_path)
    return FALSE;
  memcpy (address.sun_path, path, path_length);
  if (path[0] == '@')
    address.sun_path[0] = '\0';
  length = offsetof (struct sockaddr_un, sun_path) + path_length;

  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &address, length);
  if (sent < 0)
    g_warning ("Cannot tell systemd “%s”: %s", state, g_strerror (errno));
  close (fd);
  return sent >= 0;
}

static gboolean
watchdog_cb (gpointer user_data)
{
  /* Sent from the main loop: a loop that hangs stops the pings, and
   * systemd restarts the server. */
  till_server_notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* With WatchdogSec= in the unit, systemd sets $WATCHDOG_USEC (and
 * $WATCHDOG_PID): ping at half of it. Returns the source, or 0. */
guint
till_server_notify_watchdog (void)
{
  const char *usec_text = g_getenv ("WATCHDOG_USEC");
  const char *pid_text = g_getenv ("WATCHDOG_PID");
  guint64 usec = 0;
  guint64 pid = 0;

  if (usec_text == NULL || !g_ascii_string_to_unsigned (usec_text, 10, 1, G_MAXUINT64, &usec, NULL))
    return 0;
  if (pid_text != NULL &&
      (!g_ascii_string_to_unsigned (pid_text, 10, 1, G_MAXUINT64, &pid, NULL) || pid != (guint64) getpid ()))
    return 0;
  till_server_notify ("WATCHDOG=1");
  return g_timeout_add (MAX (usec / 2 / 1000, 100), watchdog_cb, NULL);
}
