/* till-server-log.c: till-server's log writer and request log
 *
 * Under systemd the journal gets the structured fields; elsewhere each
 * record is one line on stderr. Nothing logged here ever carries a
 * password, token, session, key or card detail: callers pass only the
 * fields below.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "till-server-log.h"

static const char *
level_name (GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "ERROR";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "NOTICE";
  if (level & G_LOG_LEVEL_INFO)
    return "INFO";
  return "DEBUG";
}

static GLogWriterOutput
writer_cb (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  const char *message = NULL;
  const char *domain = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  if (g_log_writer_default_would_drop (level, NULL))
    {
      /* Debug stays behind G_MESSAGES_DEBUG; info is the request log and
       * is always kept. */
      if (!(level & G_LOG_LEVEL_INFO))
        return G_LOG_WRITER_HANDLED;
    }

  if (g_log_writer_is_journald (fileno (stderr)))
    return g_log_writer_journald (level, fields, n_fields, user_data);

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0)
        message = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
    }

  now = g_date_time_new_now_utc ();
  stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  fprintf (stderr, "%.23sZ %s %s: %s\n", stamp, level_name (level),
           domain ? domain : "till", message ? message : "");
  fflush (stderr);

  return G_LOG_WRITER_HANDLED;
}

void
till_server_log_init (void)
{
  g_log_set_writer_func (writer_cb, NULL, NULL);
}

void
till_server_log_request (const char *request_id,
                         const char *method,
                         const char *path,
                         guint       status,
                         double      duration_ms)
{
  g_autofree char *status_str = g_strdup_printf ("%u", status);
  g_autofree char *duration_str = g_strdup_printf ("%.1f", duration_ms);
  g_autofree char *message =
    g_strdup_printf ("request id=%s method=%s path=%s status=%u duration_ms=%.1f",
                     request_id, method, path, status, duration_ms);
  const GLogField fields[] = {
    { "MESSAGE", message, -1 },
    { "PRIORITY", "6", -1 },
    { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
    { "TILL_REQUEST_ID", request_id, -1 },
    { "TILL_HTTP_METHOD", method, -1 },
    { "TILL_HTTP_PATH", path, -1 },
    { "TILL_HTTP_STATUS", status_str, -1 },
    { "TILL_DURATION_MS", duration_str, -1 },
  };

  g_log_structured_array (G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS (fields));
}
