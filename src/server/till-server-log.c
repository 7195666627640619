/* till-server-log.c: till-server's log writer and request log
 *
 * Under systemd the journal gets the structured fields; elsewhere each
 * record is one line on stderr. Nothing logged here ever carries a
 * password, token, session, key or card detail: callers pass only the
 * fields below.
 *
 * A record is always one line and a field always one word: anything that
 * came from a client or from Stripe could otherwise forge a record ("%0A"
 * in a path wrote a whole fake "payment=… status=succeeded" line, issue 9,
 * E) or a field of one. So every message is escaped as it is written (a
 * line break, any other control character, a backslash and bytes that are
 * not UTF-8 become \n, \xNN, \\), and the request log's fields are
 * percent-encoded besides, so that neither a space nor a "=" in a path can
 * pass for the start of another field.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
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

/* Unicode's line and paragraph separators and the bidirectional
 * overrides can make a line read as something else in a terminal. */
static gboolean
is_deceptive (gunichar c)
{
  return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/**
 * till_server_log_escape_message:
 * @message: a log message, possibly with text from outside in it
 *
 * Returns: (transfer full): @message on one line, valid UTF-8
 */
char *
till_server_log_escape_message (const char *message)
{
  GString *out = g_string_sized_new (strlen (message) + 8);
  const char *p = message;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }
      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\\')
        g_string_append (out, "\\\\");
      else if (c < 0x20 || c == 0x7f)
        g_string_append_printf (out, "\\x%02x", (guint) c);
      else if (is_deceptive (c))
        g_string_append_printf (out, "\\u%04x", (guint) c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

/**
 * till_server_log_escape_field:
 * @value: (nullable): one field's value, from outside
 * @max_bytes: how much of it to keep, before escaping
 *
 * Percent-encodes everything but printable ASCII other than '%', '"',
 * '\\' and '=', so that the value is one word in a "key=value" line.
 *
 * Returns: (transfer full): the escaped value, "-" for %NULL or empty
 */
char *
till_server_log_escape_field (const char *value,
                              gsize       max_bytes)
{
  GString *out;
  gsize length;

  if (value == NULL || *value == '\0')
    return g_strdup ("-");
  length = strnlen (value, max_bytes);
  out = g_string_sized_new (length + 8);
  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) value[i];

      if (c > 0x20 && c < 0x7f && c != '%' && c != '"' && c != '\\' && c != '=')
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "%%%02X", c);
    }
  if (value[length] != '\0')
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

static GLogWriterOutput
writer_cb (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  const char *message = NULL;
  const char *domain = NULL;
  gint64 now = g_get_real_time ();
  time_t seconds = (time_t) (now / G_USEC_PER_SEC);
  struct tm utc;
  char stamp[32];
  g_autofree char *escaped = NULL;

  if (g_log_writer_default_would_drop (level, NULL))
    {
      /* Debug stays behind G_MESSAGES_DEBUG; info is the request log and
       * is always kept. */
      if (!(level & G_LOG_LEVEL_INFO))
        return G_LOG_WRITER_HANDLED;
    }

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
        message = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
        domain = fields[i].value;
    }
  escaped = till_server_log_escape_message (message ? message : "");

  if (g_log_writer_is_journald (fileno (stderr)))
    {
      g_autofree GLogField *copy = g_memdup2 (fields, n_fields * sizeof *fields);

      for (gsize i = 0; i < n_fields; i++)
        if (g_strcmp0 (copy[i].key, "MESSAGE") == 0)
          {
            copy[i].value = escaped;
            copy[i].length = -1;
          }
      return g_log_writer_journald (level, copy, n_fields, user_data);
    }

  /* Not GDateTime: GLib may log while it holds its time zone lock (a
   * critical warning on a file that is no zone), and asking it for a time
   * zone here would then wait on that lock forever. */
  if (gmtime_r (&seconds, &utc) == NULL ||
      strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc) == 0)
    g_strlcpy (stamp, "?", sizeof stamp);
  fprintf (stderr, "%s.%03dZ %s %s: %s\n", stamp, (int) (now % G_USEC_PER_SEC / 1000), level_name (level),
           domain ? domain : "till", escaped);
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
  g_autofree char *method_field = till_server_log_escape_field (method, 32);
  g_autofree char *path_field = till_server_log_escape_field (path, 256);
  g_autofree char *message =
    g_strdup_printf ("request id=%s method=%s path=%s status=%u duration_ms=%.1f",
                     request_id, method_field, path_field, status, duration_ms);
  const GLogField fields[] = {
    { "MESSAGE", message, -1 },
    { "PRIORITY", "6", -1 },
    { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 },
    { "TILL_REQUEST_ID", request_id, -1 },
    { "TILL_HTTP_METHOD", method_field, -1 },
    { "TILL_HTTP_PATH", path_field, -1 },
    { "TILL_HTTP_STATUS", status_str, -1 },
    { "TILL_DURATION_MS", duration_str, -1 },
  };

  g_log_structured_array (G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS (fields));
}
