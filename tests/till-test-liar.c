/* till-test-liar.c: a lying shop server for tests, in front of a real one
 *
 * Tried as an attacker would: every request goes on to a real till-server
 * (so that what Stripe was really asked, and what the server really
 * recorded, stay true), and the test rewrites the answers on the way back,
 * holds them, or never answers at all. Lives in the test's own main
 * context, so that a window test and a core test use it alike.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-test-liar.h"

struct _TillTestLiar
{
  SoupServer         *server;
  SoupSession        *session;
  GCancellable       *cancellable;
  char               *target_url;
  char               *url;
  TillTestLiarBefore  before;
  TillTestLiarAfter   after;
  gpointer            data;
  GHashTable         *counts;     /* "METHOD path" and "METHOD path?query" -> count */
  GPtrArray          *held;       /* SoupServerMessage paused for good */
  GPtrArray          *waiting;    /* Forward, answered once released */
  guint               forwards;   /* on their way */
  gboolean            closed;
};

static void
liar_destroy (TillTestLiar *liar)
{
  g_clear_object (&liar->session);
  g_clear_object (&liar->cancellable);
  g_clear_pointer (&liar->counts, g_hash_table_unref);
  g_free (liar->target_url);
  g_free (liar->url);
  g_free (liar);
}

typedef struct
{
  TillTestLiar      *liar;
  SoupServerMessage *msg;
  SoupMessage       *out;
  char              *method;
  char              *path;
  guint              nth;
  gboolean           gone;        /* the client went away */
  gulong             disconnected_id;
} Forward;

/* The last forward of a closed liar takes the liar with it. */
static void
forward_free (Forward *forward)
{
  TillTestLiar *liar = forward->liar;

  if (forward->disconnected_id != 0)
    g_signal_handler_disconnect (forward->msg, forward->disconnected_id);
  g_clear_object (&forward->msg);
  g_clear_object (&forward->out);
  g_free (forward->method);
  g_free (forward->path);
  g_free (forward);
  if (--liar->forwards == 0 && liar->closed)
    liar_destroy (liar);
}

static void
client_gone_cb (SoupServerMessage *msg,
                Forward           *forward)
{
  forward->gone = TRUE;
}

static guint
count_request (TillTestLiar *liar,
               const char   *key)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (liar->counts, key)) + 1;

  g_hash_table_replace (liar->counts, g_strdup (key), GUINT_TO_POINTER (count));
  return count;
}

static gboolean
answer_cb (gpointer data)
{
  Forward *forward = data;

  if (!forward->gone && !forward->liar->closed)
    soup_server_message_unpause (forward->msg);
  forward_free (forward);
  return G_SOURCE_REMOVE;
}

/* End to end headers only: framing and the connection are each side's. */
static void
copy_header_cb (const char *name,
                const char *value,
                gpointer    data)
{
  static const char *skip[] = { "Host", "Connection", "Keep-Alive", "Content-Length", "Transfer-Encoding",
                                "Content-Encoding", "Accept-Encoding", "TE", "Upgrade" };

  for (guint i = 0; i < G_N_ELEMENTS (skip); i++)
    if (g_ascii_strcasecmp (name, skip[i]) == 0)
      return;
  soup_message_headers_append (data, name, value);
}

static void
copy_headers (SoupMessageHeaders *from,
              SoupMessageHeaders *to)
{
  soup_message_headers_foreach (from, copy_header_cb, to);
}

static void
forwarded_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  Forward *forward = data;
  TillTestLiar *liar = forward->liar;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *text = NULL;
  guint status = bytes != NULL ? soup_message_get_status (forward->out) : SOUP_STATUS_BAD_GATEWAY;
  guint delay_ms = 0;

  if (liar->closed || forward->gone)
    {
      forward_free (forward);
      return;
    }
  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize size;
      const char *raw = g_bytes_get_data (bytes, &size);
      JsonNode *root;

      if (json_parser_load_from_data (parser, raw, (gssize) size, NULL) &&
          (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
        body = json_object_ref (json_node_get_object (root));
    }
  if (liar->after != NULL)
    liar->after (forward->method, forward->path, forward->nth, &status, &body, &delay_ms, liar->data);

  soup_server_message_set_status (forward->msg, status, NULL);
  copy_headers (soup_message_get_response_headers (forward->out),
                soup_server_message_get_response_headers (forward->msg));
  if (body == NULL && bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      /* Not JSON (the card page, say): as it came. */
      gsize size;
      const char *raw = g_bytes_get_data (bytes, &size);

      soup_server_message_set_response (forward->msg,
                                        soup_message_headers_get_content_type (
                                          soup_message_get_response_headers (forward->out), NULL),
                                        SOUP_MEMORY_COPY, raw, size);
    }
  else if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (node, body);
      text = json_to_string (node, FALSE);
      soup_server_message_set_response (forward->msg, "application/json", SOUP_MEMORY_COPY,
                                        text, strlen (text));
    }
  if (delay_ms == TILL_TEST_LIAR_UNTIL_RELEASED)
    g_ptr_array_add (liar->waiting, forward);
  else if (delay_ms > 0)
    g_timeout_add (delay_ms, answer_cb, forward);
  else
    answer_cb (forward);
}

static void
request_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  TillTestLiar *liar = data;
  const char *method = soup_server_message_get_method (msg);
  const char *raw_query = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autofree char *key = g_strdup_printf ("%s %s", method, path);
  g_autofree char *full_path = raw_query ? g_strdup_printf ("%s?%s", path, raw_query) : g_strdup (path);
  g_autofree char *full_key = g_strdup_printf ("%s %s", method, full_path);
  g_autofree char *url = g_strconcat (liar->target_url, full_path, NULL);
  SoupMessageHeaders *in = soup_server_message_get_request_headers (msg);
  g_autoptr(GBytes) request_body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  Forward *forward;

  forward = g_new0 (Forward, 1);
  forward->liar = liar;
  liar->forwards++;
  forward->msg = g_object_ref (msg);
  forward->method = g_strdup (method);
  forward->path = g_strdup (path);
  forward->nth = count_request (liar, key);
  if (raw_query != NULL)
    count_request (liar, full_key);
  forward->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (client_gone_cb), forward);
  soup_server_message_pause (msg);

  if (liar->before != NULL && liar->before (method, path, forward->nth, liar->data) == TILL_TEST_LIE_HANG)
    {
      /* Held until the liar goes: the client sees an open connection
       * that never answers. */
      g_ptr_array_add (liar->held, g_object_ref (msg));
      forward_free (forward);
      return;
    }

  forward->out = soup_message_new (method, url);
  g_assert_nonnull (forward->out);
  /* The answer as the server sent it, whatever the client may follow. */
  soup_message_add_flags (forward->out, SOUP_MESSAGE_NO_REDIRECT);
  copy_headers (in, soup_message_get_request_headers (forward->out));
  if (g_bytes_get_size (request_body) > 0)
    soup_message_set_request_body_from_bytes (forward->out, soup_message_headers_get_content_type (in, NULL),
                                              request_body);
  soup_session_send_and_read_async (liar->session, forward->out, G_PRIORITY_DEFAULT, liar->cancellable,
                                    forwarded_cb, forward);
}

TillTestLiar *
till_test_liar_start (const char         *target_url,
                      TillTestLiarBefore  before,
                      TillTestLiarAfter   after,
                      gpointer            data)
{
  TillTestLiar *liar = g_new0 (TillTestLiar, 1);

  liar->session = soup_session_new_with_options ("timeout", 120, NULL);
  liar->cancellable = g_cancellable_new ();
  liar->target_url = g_strdup (target_url);
  liar->before = before;
  liar->after = after;
  liar->data = data;
  liar->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  liar->held = g_ptr_array_new_with_free_func (g_object_unref);
  liar->waiting = g_ptr_array_new ();
  liar->server = till_test_loopback_server_new (request_cb, liar, &liar->url);
  return liar;
}

/* The connections are accepted here and handed to the server with
 * soup_server_accept_iostream(), as till-server's own listener does:
 * libsoup 3.2's listener (soup_server_listen_*) leaks every socket it
 * accepts and the address it reports (fixed in libsoup 3.4.0 and 3.4.3),
 * which the sanitizer build would count against the test. */
static gboolean
loopback_incoming_cb (GSocketService    *service,
                      GSocketConnection *connection,
                      GObject           *source,
                      gpointer           data)
{
  SoupServer *server = data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GError) error = NULL;

  if (!soup_server_accept_iostream (server, G_IO_STREAM (connection), local, remote, &error))
    g_test_message ("A loopback connection was not served: %s", error->message);
  return TRUE;
}

static void
loopback_service_stop (gpointer data)
{
  GSocketService *service = data;

  g_signal_handlers_disconnect_matched (service, G_SIGNAL_MATCH_FUNC, 0, 0, NULL, loopback_incoming_cb, NULL);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_object_unref (service);
}

SoupServer *
till_test_loopback_server_new (SoupServerCallback   callback,
                               gpointer             data,
                               char               **out_url)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  GSocketService *service = g_socket_service_new ();
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) wanted = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  soup_server_add_handler (server, NULL, callback, data, NULL);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), wanted, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  /* The service goes with the server: it stops when the server is
   * disposed, so that no connection comes to a server that is gone. */
  g_signal_connect_data (service, "incoming", G_CALLBACK (loopback_incoming_cb), server, NULL, 0);
  g_object_set_data_full (G_OBJECT (server), "till-test-loopback-service", service, loopback_service_stop);
  g_socket_service_start (service);
  *out_url = g_strdup_printf ("http://127.0.0.1:%u",
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  return server;
}

const char *
till_test_liar_get_url (TillTestLiar *liar)
{
  return liar->url;
}

guint
till_test_liar_count (TillTestLiar *liar,
                      const char   *method,
                      const char   *path)
{
  g_autofree char *key = g_strdup_printf ("%s %s", method, path);

  return GPOINTER_TO_UINT (g_hash_table_lookup (liar->counts, key));
}

static gboolean
is_waiting (TillTestLiar *liar,
            const char   *method,
            const char   *path,
            guint         nth,
            guint        *index)
{
  for (guint i = 0; i < liar->waiting->len; i++)
    {
      Forward *forward = g_ptr_array_index (liar->waiting, i);

      if (forward->nth == nth && g_str_equal (forward->method, method) && g_str_equal (forward->path, path))
        {
          *index = i;
          return TRUE;
        }
    }
  return FALSE;
}

/* Waits (at most 60 s) until the answer to the nth request with this
 * method and path is held until released, then lets it go. */
void
till_test_liar_release (TillTestLiar *liar,
                        const char   *method,
                        const char   *path,
                        guint         nth)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint index;

  while (!is_waiting (liar, method, path, nth, &index))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The liar holds no answer to %s %s #%u", method, path, nth);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  answer_cb (g_ptr_array_steal_index (liar->waiting, index));
}

/* Forwards still on their way finish in the main context, find the liar
 * closed, and the last one frees it. */
void
till_test_liar_free (TillTestLiar *liar)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&liar->waiting);

  liar->closed = TRUE;
  g_cancellable_cancel (liar->cancellable);
  soup_server_disconnect (liar->server);
  g_clear_pointer (&liar->held, g_ptr_array_unref);
  g_clear_object (&liar->server);
  /* Answers never released go now; the liar outlives them. */
  liar->forwards++;
  for (guint i = 0; i < waiting->len; i++)
    answer_cb (g_ptr_array_index (waiting, i));
  if (--liar->forwards == 0)
    liar_destroy (liar);
}
