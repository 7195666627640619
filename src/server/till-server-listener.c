/* till-server-listener.c: till-server's listening socket and its connections
 *
 * libsoup's own listener (soup-listener.c in libsoup 3.2) removes its
 * accept source on the first failed accept(), so one moment out of file
 * descriptors stops the server from accepting for good, and it has no
 * timeout of any kind: a client that connects and sends nothing, trickles
 * its headers or its body, never finishes a TLS handshake, or leaves a
 * kept-alive connection idle holds a descriptor for ever.
 *
 * So the server owns the listening socket here. It accepts with a
 * non-blocking GSocket, does the TLS handshake itself, and hands each
 * connection to SoupServer with soup_server_accept_iostream(), passing the
 * addresses, so that soup_server_message_get_remote_host() still works for
 * the sign-in limits. Every connection has a record with the phase it is
 * in and a deadline; a timer shuts down the sockets whose deadline passed.
 * The phases follow libsoup's signals: for a kept-alive connection
 * libsoup 3.2 emits request-started only once the first bytes of the next
 * request arrive (soup-server-message-io-http1.c, io_read), which is what
 * tells an idle connection from a slow request. While the server works on
 * a request (got-body until wrote-headers), including a paused message
 * waiting on Stripe, there is no deadline: Stripe's own timeout bounds it.
 *
 * Past max-connections a new connection is answered with a short 503 and
 * closed (over TLS after a handshake of at most 5 seconds). Out of descriptors, a descriptor kept in reserve is given up for
 * a moment to accept the waiting connection and answer it the same way,
 * so the backlog drains instead of waking the loop for ever; if even that
 * fails, accepting pauses for a quarter of a second. Both are logged at
 * most once a minute.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"
#define _GNU_SOURCE   /* accept4 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "till-server-listener.h"

#define SWEEP_MS               500
#define BACKOFF_MS             250
#define ACCEPTS_PER_WAKEUP     64
#define LISTEN_BACKLOG         1024
#define REFUSAL_LINGER_USEC    (1 * G_USEC_PER_SEC)
#define REFUSAL_HANDSHAKE_USEC (5 * G_USEC_PER_SEC)
#define WARNING_INTERVAL_USEC  (60 * G_USEC_PER_SEC)
#define MAX_DEFAULT_CONNECTIONS 1000

/* Written straight to the socket; the static assertions keep each
 * Content-Length true to its body. */
#define REFUSAL_BODY \
  "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"The server has too many connections; try again shortly\"}}"
#define TIMEOUT_BODY \
  "{\"error\":{\"code\":\"request_timeout\",\"message\":\"The request did not arrive in time\"}}"
G_STATIC_ASSERT (sizeof REFUSAL_BODY - 1 == 108);
G_STATIC_ASSERT (sizeof TIMEOUT_BODY - 1 == 83);

static const char refusal_response[] =
  "HTTP/1.1 503 Service Unavailable\r\n"
  "Content-Type: application/json; charset=utf-8\r\n"
  "Content-Length: 108\r\n"
  "Retry-After: 5\r\n"
  "Cache-Control: no-store\r\n"
  "Connection: close\r\n\r\n"
  REFUSAL_BODY;

static const char timeout_response[] =
  "HTTP/1.1 408 Request Timeout\r\n"
  "Content-Type: application/json; charset=utf-8\r\n"
  "Content-Length: 83\r\n"
  "Cache-Control: no-store\r\n"
  "Connection: close\r\n\r\n"
  TIMEOUT_BODY;

typedef enum
{
  PHASE_HANDSHAKE,   /* TLS handshake: request-timeout */
  PHASE_READING,     /* a request's headers and body: request-timeout */
  PHASE_HANDLING,    /* the server works on it: no deadline */
  PHASE_WRITING,     /* the response: request-timeout */
  PHASE_IDLE,        /* kept alive between requests: idle-timeout */
  PHASE_REFUSING,    /* over the cap: the TLS handshake (at most 5 s), the 503,
                      * a second to read what the client sent */
} Phase;

typedef struct
{
  TillServerListener *listener;   /* NULL once the listener is gone */
  GSocket            *socket;
  GSocketAddress     *remote;
  GIOStream          *stream;     /* the TLS connection while handshaking (owned);
                                   * then what SoupServer has (weak) */
  GCancellable       *cancellable;
  GSource            *source;     /* PHASE_REFUSING: reads and discards */
  Phase               phase;
  gint64              deadline;   /* monotonic µs; 0: none */
  gboolean            handed;     /* SoupServer has it; stream is a weak pointer */
  gboolean            shut;
} Connection;

struct _TillServerListener
{
  GObject          parent_instance;

  /* owned references */
  GTlsCertificate *certificate;
  GSocket         *socket;
  GSocketAddress  *address;         /* as bound, with the real port */
  GSource         *accept_source;
  GSocket         *keepalive_pair[2];
  GHashTable      *connections;     /* remote GSocketAddress → Connection */
  GHashTable      *refusals;        /* Connection → Connection */

  /* state */
  SoupServer      *server;          /* owns us */
  guint            max_connections;
  guint            max_refusals;
  gint64           idle_timeout;    /* µs */
  gboolean         keep_alive;      /* libsoup ends idle connections cleanly */
  gint64           request_timeout; /* µs */
  guint64          fd_limit;
  int              reserve_fd;
  guint            sweep_id;
  guint            backoff_id;
  gboolean         out_of_fds;
  guint            fd_refused;
  gint64           fd_warned;
  gboolean         at_cap;
  guint            cap_refused;
  gint64           cap_warned;
  gint64           accept_warned;
  guint            slow_closed;     /* since slow_noted */
  gint64           slow_noted;
};

G_DEFINE_FINAL_TYPE (TillServerListener, till_server_listener, G_TYPE_OBJECT)

static void start_accepting (TillServerListener *self);

/* Records */

static Connection *
connection_new (TillServerListener *self,
                GSocket            *socket,
                GSocketAddress     *remote)
{
  Connection *conn = g_rc_box_new0 (Connection);

  conn->listener = self;
  conn->socket = g_object_ref (socket);
  conn->remote = g_object_ref (remote);
  conn->cancellable = g_cancellable_new ();
  return conn;
}

static void
connection_clear (Connection *conn)
{
  g_cancellable_cancel (conn->cancellable);
  g_clear_object (&conn->cancellable);
  if (conn->source != NULL)
    g_source_destroy (conn->source);
  g_clear_pointer (&conn->source, g_source_unref);
  if (!conn->handed)
    g_clear_object (&conn->stream);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->remote);
}

static void
connection_unref (Connection *conn)
{
  g_rc_box_release_full (conn, (GDestroyNotify) connection_clear);
}

static void stream_gone_cb (gpointer  data,
                            GObject  *where_the_object_was);

/* Drops the record; the socket closes once nobody else holds it. A TLS
 * connection of its own (a handshake, a refusal) goes with the record's
 * last reference (connection_clear()), once a handshake still running on
 * it has ended. */
static void
connection_forget (TillServerListener *self,
                   Connection         *conn)
{
  if (conn->handed && conn->stream != NULL)
    g_object_weak_unref (G_OBJECT (conn->stream), stream_gone_cb, conn);
  if (conn->handed)
    conn->stream = NULL;
  conn->listener = NULL;
  if (conn->phase == PHASE_REFUSING)
    g_hash_table_remove (self->refusals, conn);
  else
    g_hash_table_remove (self->connections, conn->remote);
}

static void
stream_gone_cb (gpointer  data,
                GObject  *where_the_object_was)
{
  Connection *conn = data;

  conn->stream = NULL;
  if (conn->listener != NULL)
    connection_forget (conn->listener, conn);
}

static void
set_phase (Connection *conn,
           Phase       phase,
           gint64      timeout)
{
  conn->phase = phase;
  conn->deadline = timeout > 0 ? g_get_monotonic_time () + timeout : 0;
}

/* The connection a message came on: SoupServer keeps the very address
 * object passed to soup_server_accept_iostream(). */
static Connection *
lookup (TillServerListener *self,
        SoupServerMessage  *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_hash_table_lookup (self->connections, remote) : NULL;
}

/* Shutting the socket down, rather than closing it, lets whoever reads or
 * writes it (libsoup, the handshake) see the end and close it themselves,
 * so no descriptor number is closed under a source still polling it. */
static void
expire (Connection *conn)
{
  if (conn->phase == PHASE_READING && conn->listener->certificate == NULL)
    g_socket_send_with_blocking (conn->socket, timeout_response, strlen (timeout_response),
                                 FALSE, NULL, NULL);
  if (conn->phase == PHASE_HANDSHAKE)
    g_cancellable_cancel (conn->cancellable);
  g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
  conn->shut = TRUE;
  if (conn->phase != PHASE_IDLE && conn->listener != NULL)
    conn->listener->slow_closed++;
}

/* Warnings */

/* Idle connections closing is routine; slow ones are worth a line, but
 * one a minute however many there were. */
static void
note_slow_closed (TillServerListener *self,
                  gint64              now)
{
  if (self->slow_closed == 0 || now - self->slow_noted < WARNING_INTERVAL_USEC)
    return;
  g_message ("Closed %u connections too slow to finish a TLS handshake, send a request or "
             "take an answer within request-timeout (%" G_GINT64_FORMAT " s)",
             self->slow_closed, self->request_timeout / G_USEC_PER_SEC);
  self->slow_closed = 0;
  self->slow_noted = now;
}

static void
note_out_of_fds (TillServerListener *self)
{
  gint64 now = g_get_monotonic_time ();

  self->fd_refused++;
  if (self->out_of_fds && now - self->fd_warned < WARNING_INTERVAL_USEC)
    return;
  g_warning ("Out of file descriptors (limit %" G_GUINT64_FORMAT ", %u connections open): "
             "new connections are refused until some close; %u refused so far",
             self->fd_limit, g_hash_table_size (self->connections), self->fd_refused);
  self->out_of_fds = TRUE;
  self->fd_warned = now;
}

static void
note_fds_back (TillServerListener *self)
{
  if (!self->out_of_fds)
    return;
  g_message ("Accepting connections again; %u were refused while out of file descriptors",
             self->fd_refused);
  self->out_of_fds = FALSE;
  self->fd_refused = 0;
}

static void
note_over_cap (TillServerListener *self)
{
  gint64 now = g_get_monotonic_time ();

  self->cap_refused++;
  if (self->at_cap && now - self->cap_warned < WARNING_INTERVAL_USEC)
    return;
  g_warning ("%u connections open, the max-connections limit: new connections are "
             "answered 503; %u refused so far", self->max_connections, self->cap_refused);
  self->at_cap = TRUE;
  self->cap_warned = now;
}

static void
note_under_cap (TillServerListener *self)
{
  if (!self->at_cap || g_hash_table_size (self->connections) >= self->max_connections)
    return;
  g_message ("Below max-connections again; %u connections were refused", self->cap_refused);
  self->at_cap = FALSE;
  self->cap_refused = 0;
}

/* The sweep */

static gboolean
sweep_cb (gpointer user_data)
{
  TillServerListener *self = user_data;
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) gone = g_ptr_array_new ();
  GHashTable *tables[] = { self->connections, self->refusals };
  GHashTableIter iter;
  Connection *conn;

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_hash_table_iter_init (&iter, tables[i]);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
        {
          if (g_socket_is_closed (conn->socket) ||
              (conn->phase == PHASE_REFUSING && now >= conn->deadline))
            g_ptr_array_add (gone, conn);
          else if (conn->deadline != 0 && now >= conn->deadline && !conn->shut)
            expire (conn);
        }
    }
  /* The socket closes with the last reference to it, once a handshake
   * still running on it has seen the end. */
  for (guint i = 0; i < gone->len; i++)
    {
      conn = g_ptr_array_index (gone, i);
      g_cancellable_cancel (conn->cancellable);
      g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
      connection_forget (self, conn);
    }

  note_under_cap (self);
  note_slow_closed (self, now);
  return G_SOURCE_CONTINUE;
}

/* What SoupServer tells about each request */

static void
enter_phase (TillServerListener *self,
             SoupServerMessage  *msg,
             Phase               phase,
             gint64              timeout)
{
  Connection *conn = lookup (self, msg);

  if (conn != NULL)
    set_phase (conn, phase, timeout);
}

/* So that the client knows not to send another request on the
 * connection (libsoup ends it anyway: see keep_alive_listener()). */
static void
say_close (TillServerListener *self,
           SoupServerMessage  *msg)
{
  if (!self->keep_alive)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

static void
got_body_cb (SoupServerMessage  *msg,
             TillServerListener *self)
{
  /* Again: after a "100 Continue" libsoup clears the response's headers. */
  say_close (self, msg);
  enter_phase (self, msg, PHASE_HANDLING, 0);
}

static void
wrote_headers_cb (SoupServerMessage  *msg,
                  TillServerListener *self)
{
  enter_phase (self, msg, PHASE_WRITING, self->request_timeout);
}

/* Closing TLS writes its close_notify alert with a blocking write. To a
 * client that stopped reading, with the socket's buffer full, that write
 * would wait for as long as the client keeps the connection up, and the
 * whole server with it: the sweep that ends slow connections runs in the
 * same main loop. Such a socket is shut down for writing first: what is
 * queued still goes out, and the alert fails at once. The timeout is for
 * anything else that would wait there. */
void
till_server_listener_guard_close (GSocket *socket)
{
  g_socket_set_timeout (socket, 1);
  if ((g_socket_condition_check (socket, G_IO_OUT) & G_IO_OUT) == 0)
    g_socket_shutdown (socket, FALSE, TRUE, NULL);
}

/* For a request answered by taking its connection over from libsoup
 * (see till-api.c): its socket, borrowed, and the connection's deadline
 * moved to timeout from now, with nothing more written on it when it
 * passes (only shut down). NULL when the connection is not known. */
GSocket *
till_server_listener_take_over (TillServerListener *self,
                                SoupServerMessage  *msg,
                                gint64              timeout)
{
  Connection *conn = lookup (self, msg);

  if (conn == NULL)
    return NULL;
  set_phase (conn, PHASE_WRITING, timeout);
  return conn->socket;
}

/* Without keep-alive libsoup closes the connection right after this. */
static void
before_close (TillServerListener *self,
              SoupServerMessage  *msg)
{
  Connection *conn = lookup (self, msg);

  if (self->keep_alive || self->certificate == NULL || conn == NULL)
    return;
  till_server_listener_guard_close (conn->socket);
}

static void
finished_cb (SoupServerMessage  *msg,
             TillServerListener *self)
{
  before_close (self, msg);
  enter_phase (self, msg, PHASE_IDLE, self->idle_timeout);
}

/* On a new connection at once; on a kept-alive one when the next
 * request's first bytes arrive. */
static void
request_started_cb (SoupServer         *server,
                    SoupServerMessage  *msg,
                    TillServerListener *self)
{
  say_close (self, msg);
  if (lookup (self, msg) == NULL)
    return;
  enter_phase (self, msg, PHASE_READING, self->request_timeout);
  g_signal_connect_object (msg, "got-body", G_CALLBACK (got_body_cb), self, 0);
  g_signal_connect_object (msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), self, 0);
  g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), self, 0);
}

/* Accepting */

static void
hand_to_server (TillServerListener *self,
                Connection         *conn,
                GIOStream          *stream)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (conn->socket, NULL);
  g_autoptr(GError) error = NULL;

  conn->stream = stream;
  conn->handed = TRUE;
  g_object_weak_ref (G_OBJECT (stream), stream_gone_cb, conn);
  set_phase (conn, PHASE_READING, self->request_timeout);
  if (!soup_server_accept_iostream (self->server, stream, local ? local : self->address,
                                    conn->remote, &error))
    {
      g_debug ("SoupServer did not take a connection: %s", error->message);
      g_io_stream_close (stream, NULL, NULL);
    }
}

static void answer_refusal (Connection *conn);

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connection *conn = user_data;
  TillServerListener *self = conn->listener;
  g_autoptr(GIOStream) tls = g_object_ref (G_IO_STREAM (source));
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (tls), result, &error))
    {
      g_debug ("TLS handshake failed: %s", error->message);
      g_io_stream_close (tls, NULL, NULL);
      if (self != NULL)
        connection_forget (self, conn);
    }
  else if (self != NULL && conn->phase == PHASE_REFUSING)
    answer_refusal (conn);
  else if (self != NULL)
    {
      g_clear_object (&conn->stream);
      hand_to_server (self, conn, tls);
    }
  connection_unref (conn);
}

static void
start_handshake (TillServerListener *self,
                 Connection         *conn,
                 Phase               phase,
                 gint64              timeout)
{
  static const char *protocols[] = { "http/1.1", "http/1.0", NULL };
  g_autoptr(GSocketConnection) plain = g_socket_connection_factory_create_connection (conn->socket);
  g_autoptr(GError) error = NULL;
  GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (plain), self->certificate, &error);

  if (tls == NULL)
    {
      g_warning ("Cannot set up TLS for a connection: %s", error->message);
      g_socket_close (conn->socket, NULL);
      connection_forget (self, conn);
      return;
    }
  g_object_set (tls, "require-close-notify", FALSE, "advertised-protocols", protocols, NULL);
  conn->stream = tls;
  set_phase (conn, phase, timeout);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT, conn->cancellable,
                                    handshake_cb, g_rc_box_acquire (conn));
}

static gboolean
refusal_readable_cb (GSocket      *socket,
                     GIOCondition  condition,
                     gpointer      user_data)
{
  Connection *conn = user_data;
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize n;

  do
    {
      g_clear_error (&error);
      n = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE, NULL, &error);
    }
  while (n > 0);
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;

  /* The client read the answer and closed, or is gone. */
  g_socket_close (socket, NULL);
  if (conn->listener != NULL)
    connection_forget (conn->listener, conn);
  return G_SOURCE_REMOVE;
}

/* What the client sent is read for a moment before closing, so that the
 * kernel does not answer it with a reset that could take the 503 with it. */
static void
answer_refusal (Connection *conn)
{
  if (conn->stream != NULL)
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (conn->stream)),
                                                refusal_response, strlen (refusal_response), NULL, NULL);
  else
    g_socket_send_with_blocking (conn->socket, refusal_response, strlen (refusal_response),
                                 FALSE, NULL, NULL);
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);

  set_phase (conn, PHASE_REFUSING, REFUSAL_LINGER_USEC);
  conn->source = g_socket_create_source (conn->socket, G_IO_IN, NULL);
  g_source_set_callback (conn->source, G_SOURCE_FUNC (refusal_readable_cb), conn, NULL);
  g_source_attach (conn->source, NULL);
}

/* A short 503 and the end of the connection; over TLS after a handshake
 * of at most 5 seconds. Past max_refusals at once, the connection is
 * closed at once (with the 503 still written on plain HTTP). */
static void
refuse (TillServerListener *self,
        GSocket            *socket)
{
  Connection *conn;

  note_over_cap (self);
  if (g_hash_table_size (self->refusals) >= self->max_refusals)
    {
      if (self->certificate == NULL)
        g_socket_send_with_blocking (socket, refusal_response, strlen (refusal_response),
                                     FALSE, NULL, NULL);
      g_socket_close (socket, NULL);
      return;
    }

  conn = connection_new (self, socket, self->address);
  conn->phase = PHASE_REFUSING;
  g_hash_table_add (self->refusals, conn);
  if (self->certificate != NULL)
    start_handshake (self, conn, PHASE_REFUSING, MIN (self->request_timeout, REFUSAL_HANDSHAKE_USEC));
  else
    answer_refusal (conn);
}

static void
take_connection (TillServerListener *self,
                 GSocket            *socket)
{
  g_autoptr(GSocketAddress) remote = NULL;
  Connection *conn;

  if (g_hash_table_size (self->connections) >= self->max_connections)
    {
      refuse (self, socket);
      return;
    }
  /* Gone already (reset before we got to it): nothing to serve. */
  remote = g_socket_get_remote_address (socket, NULL);
  if (remote == NULL)
    {
      g_socket_close (socket, NULL);
      return;
    }
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  conn = connection_new (self, socket, remote);
  g_hash_table_insert (self->connections, conn->remote, conn);
  if (self->certificate != NULL)
    start_handshake (self, conn, PHASE_HANDSHAKE, self->request_timeout);
  else
    {
      g_autoptr(GSocketConnection) plain = g_socket_connection_factory_create_connection (socket);

      hand_to_server (self, conn, G_IO_STREAM (plain));
    }
}

/* Out of descriptors: the reserve one is closed for a moment so the
 * connection at the head of the backlog can be accepted, answered and
 * closed. Returns FALSE when that was not possible. */
static gboolean
refuse_with_reserve (TillServerListener *self)
{
  char buffer[4096];
  int fd;

  if (self->reserve_fd < 0)
    return FALSE;
  close (self->reserve_fd);
  fd = accept4 (g_socket_get_fd (self->socket), NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0)
    {
      if (self->certificate == NULL)
        {
          while (recv (fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0)
            ;
          send (fd, refusal_response, strlen (refusal_response), MSG_DONTWAIT | MSG_NOSIGNAL);
        }
      close (fd);
    }
  self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0;
}

static gboolean
backoff_done_cb (gpointer user_data)
{
  TillServerListener *self = user_data;

  self->backoff_id = 0;
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

/* Accepting stops for a moment instead of waking again at once for a
 * connection it cannot take. */
static void
back_off (TillServerListener *self)
{
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_clear_pointer (&self->accept_source, g_source_unref);
    }
  if (self->backoff_id == 0)
    self->backoff_id = g_timeout_add (BACKOFF_MS, backoff_done_cb, self);
}

static void
warn_accept_failed (TillServerListener *self,
                    int                 saved_errno)
{
  gint64 now = g_get_monotonic_time ();

  if (self->accept_warned != 0 && now - self->accept_warned < WARNING_INTERVAL_USEC)
    return;
  g_warning ("Cannot accept connections: %s; trying again every %u ms",
             g_strerror (saved_errno), BACKOFF_MS);
  self->accept_warned = now;
}

/* accept4() rather than g_socket_accept(), for its errno: EMFILE and
 * ENFILE call for the reserve descriptor, others for a pause. */
static gboolean
accept_cb (GSocket      *listening,
           GIOCondition  condition,
           gpointer      user_data)
{
  TillServerListener *self = user_data;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      int fd = accept4 (g_socket_get_fd (listening), NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      int saved_errno = errno;

      if (fd >= 0)
        {
          g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, NULL);

          if (socket == NULL)
            {
              close (fd);
              continue;
            }
          note_fds_back (self);
          take_connection (self, socket);
          continue;
        }
      switch (saved_errno)
        {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
          return G_SOURCE_CONTINUE;
        case EINTR:
        case ECONNABORTED:   /* the client gave up while in the backlog */
        case EPROTO:
        case EPERM:          /* a firewall rule */
          continue;
        case EMFILE:
        case ENFILE:
          note_out_of_fds (self);
          if (refuse_with_reserve (self))
            continue;
          back_off (self);
          return G_SOURCE_REMOVE;
        default:
          warn_accept_failed (self, saved_errno);
          back_off (self);
          return G_SOURCE_REMOVE;
        }
    }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (TillServerListener *self)
{
  g_assert (self->accept_source == NULL);
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (accept_cb), self, NULL);
  g_source_attach (self->accept_source, NULL);
}

/* Limits */

static guint64
fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return G_MAXUINT;
  return limit.rlim_cur;
}

/* A quarter of the descriptors, and at least 64, stay for everything else:
 * SQLite's files, the connections to Stripe, the log, the refusals. */
static guint
default_max_connections (guint64 limit)
{
  guint64 reserve = MAX (64, limit / 4);

  if (limit < reserve + 16)
    return 16;
  return (guint) MIN (limit - reserve, MAX_DEFAULT_CONNECTIONS);
}

/* libsoup before 3.3.0 leaks a kept-alive connection that ends while it
 * waits for its next request, whether the client closed it (terminals do,
 * after a minute idle) or idle-timeout did: the message it made for that
 * request has no completion callback yet, so when the read ends nothing
 * disconnects the connection (soup_server_message_io_http1_finished in
 * libsoup 3.2). Its descriptor and its place under max-connections never
 * come back, and after max-connections such endings the server answers
 * every new connection 503. Fixed in libsoup by "server: do not leak idle
 * connections closed by the client" (commit d20c6601, first released in
 * 3.3.0). With an older libsoup (Debian 12 has 3.2.3) every answer says
 * "Connection: close", and libsoup ends the connection itself once the
 * answer is written. */
static gboolean
libsoup_ends_idle_connections (void)
{
  return soup_check_version (3, 3, 0);
}

/* libsoup 3.2 keeps a connection alive after a response only while the
 * server has a listener of its own (request_finished in soup-server.c).
 * It is given one that never accepts: one end of a socket pair nobody
 * writes to. Without it (a libsoup that would leak idle connections),
 * libsoup ends every connection after its answer whatever the headers
 * say: "Connection: close" only tells the client, and a response whose
 * headers were lost (as after a "100 Continue") cannot keep one open. */
static gboolean
keep_alive_listener (TillServerListener  *self,
                     GError             **error)
{
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make a socket pair: %s", g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i < 2; i++)
    {
      self->keepalive_pair[i] = g_socket_new_from_fd (fds[i], error);
      if (self->keepalive_pair[i] == NULL)
        {
          close (fds[i]);
          if (i == 0)
            close (fds[1]);
          return FALSE;
        }
    }
  return soup_server_listen_socket (self->server, self->keepalive_pair[0], 0, error);
}

/* GObject */

static void
till_server_listener_dispose (GObject *object)
{
  TillServerListener *self = (TillServerListener *)object;
  GHashTableIter iter;
  Connection *conn;

  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_handle_id (&self->backoff_id, g_source_remove);
  if (self->accept_source != NULL)
    g_source_destroy (self->accept_source);
  g_clear_pointer (&self->accept_source, g_source_unref);

  /* A handshake still running holds its record: it must find no
   * listener when it ends. */
  if (self->connections != NULL)
    {
      g_hash_table_iter_init (&iter, self->connections);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
        {
          if (conn->handed && conn->stream != NULL)
            g_object_weak_unref (G_OBJECT (conn->stream), stream_gone_cb, conn);
          conn->stream = conn->handed ? NULL : conn->stream;
          conn->listener = NULL;
          g_cancellable_cancel (conn->cancellable);
        }
    }
  if (self->refusals != NULL)
    {
      g_hash_table_iter_init (&iter, self->refusals);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &conn))
        {
          conn->listener = NULL;
          g_cancellable_cancel (conn->cancellable);
        }
    }
  g_clear_pointer (&self->connections, g_hash_table_unref);
  g_clear_pointer (&self->refusals, g_hash_table_unref);

  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  g_clear_object (&self->keepalive_pair[0]);
  g_clear_object (&self->keepalive_pair[1]);
  if (self->reserve_fd >= 0)
    close (self->reserve_fd);
  self->reserve_fd = -1;

  G_OBJECT_CLASS (till_server_listener_parent_class)->dispose (object);
}

static void
till_server_listener_finalize (GObject *object)
{
  TillServerListener *self = (TillServerListener *)object;

  g_clear_object (&self->certificate);
  g_clear_object (&self->address);

  G_OBJECT_CLASS (till_server_listener_parent_class)->finalize (object);
}

static void
till_server_listener_class_init (TillServerListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_server_listener_dispose;
  object_class->finalize = till_server_listener_finalize;
}

static void
till_server_listener_init (TillServerListener *self)
{
  self->reserve_fd = -1;
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify) connection_unref);
  self->refusals = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                          (GDestroyNotify) connection_unref);
}

/* The listener lives as long as server, which should hold it (as object
 * data): it keeps no reference to the server. */
TillServerListener *
till_server_listener_new (SoupServer             *server,
                          const TillServerConfig *config,
                          GTlsCertificate        *certificate)
{
  TillServerListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate), NULL);

  self = g_object_new (TILL_TYPE_SERVER_LISTENER, NULL);
  self->server = server;
  self->certificate = certificate ? g_object_ref (certificate) : NULL;
  self->fd_limit = fd_limit ();
  self->max_connections = config->max_connections != 0 ? config->max_connections
                                                       : default_max_connections (self->fd_limit);
  self->max_refusals = self->fd_limit > self->max_connections
                       ? CLAMP ((self->fd_limit - self->max_connections) / 4, 4, 64) : 4;
  self->idle_timeout = (gint64) config->idle_timeout * G_USEC_PER_SEC;
  self->request_timeout = (gint64) config->request_timeout * G_USEC_PER_SEC;
  self->keep_alive = libsoup_ends_idle_connections ();
  g_signal_connect_object (server, "request-started", G_CALLBACK (request_started_cb), self, 0);

  return self;
}

gboolean
till_server_listener_listen (TillServerListener  *self,
                             GSocketAddress      *address,
                             GError             **error)
{
  GSocketFamily family;

  g_return_val_if_fail (TILL_IS_SERVER_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->socket == NULL, FALSE);

  family = g_socket_address_get_family (address);
  self->socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (self->socket == NULL)
    return FALSE;
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (self->socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  g_socket_set_blocking (self->socket, FALSE);
  g_socket_set_listen_backlog (self->socket, LISTEN_BACKLOG);
  if (!g_socket_bind (self->socket, address, TRUE, error) ||
      !g_socket_listen (self->socket, error) ||
      (self->address = g_socket_get_local_address (self->socket, error)) == NULL ||
      (self->keep_alive && !keep_alive_listener (self, error)))
    {
      g_clear_object (&self->socket);
      return FALSE;
    }

  self->reserve_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  start_accepting (self);
  self->sweep_id = g_timeout_add (SWEEP_MS, sweep_cb, self);

  if (self->max_connections + 32 > self->fd_limit)
    g_warning ("[server] max-connections = %u is close to or above the file descriptor "
               "limit (%" G_GUINT64_FORMAT "): expect connections to be refused for want of "
               "descriptors", self->max_connections, self->fd_limit);
  g_message ("Up to %u connections (file descriptor limit %" G_GUINT64_FORMAT "), "
             "idle-timeout %" G_GINT64_FORMAT " s, request-timeout %" G_GINT64_FORMAT " s",
             self->max_connections, self->fd_limit,
             self->idle_timeout / G_USEC_PER_SEC, self->request_timeout / G_USEC_PER_SEC);
  if (!self->keep_alive)
    g_message ("Each connection is closed after its answer, and idle-timeout is not used: "
               "libsoup %u.%u.%u would leak kept-alive connections that end while idle "
               "(fixed in libsoup 3.3.0)",
               soup_get_major_version (), soup_get_minor_version (), soup_get_micro_version ());
  return TRUE;
}

/* The base URL, with the port really bound. */
char *
till_server_listener_get_url (TillServerListener *self)
{
  g_autofree char *host = NULL;
  g_autoptr(GUri) uri = NULL;
  GInetSocketAddress *inet;

  g_return_val_if_fail (TILL_IS_SERVER_LISTENER (self), NULL);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (self->address), NULL);

  inet = G_INET_SOCKET_ADDRESS (self->address);
  host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  uri = g_uri_build (G_URI_FLAGS_NONE, self->certificate ? "https" : "http", NULL, host,
                     g_inet_socket_address_get_port (inet), "/", NULL, NULL);
  return g_uri_to_string (uri);
}

guint
till_server_listener_get_max_connections (TillServerListener *self)
{
  g_return_val_if_fail (TILL_IS_SERVER_LISTENER (self), 0);

  return self->max_connections;
}

/* SIGHUP: connections accepted from now on get the new certificate and
 * timeouts; those already open keep what they started with. */
void
till_server_listener_reconfigure (TillServerListener     *self,
                                  const TillServerConfig *config,
                                  GTlsCertificate        *certificate)
{
  g_return_if_fail (TILL_IS_SERVER_LISTENER (self));

  if (certificate != NULL && self->certificate != NULL)
    g_set_object (&self->certificate, certificate);
  self->idle_timeout = (gint64) config->idle_timeout * G_USEC_PER_SEC;
  self->request_timeout = (gint64) config->request_timeout * G_USEC_PER_SEC;
}

/* Does certificate's private key belong to its certificate? GIO reads the
 * two files without asking, and a half-done renewal (the new certificate,
 * the old key) would be served and fail every handshake. A handshake with
 * itself, over a socket pair, in a main context of its own, answers. */
typedef struct
{
  guint         pending;
  gboolean      failed;
  GError       *error;
  GCancellable *cancellable;   /* one side failing ends the other's wait */
} PairCheck;

static gboolean
accept_any_cb (GTlsConnection       *connection,
               GTlsCertificate      *peer,
               GTlsCertificateFlags  errors,
               gpointer              user_data)
{
  /* Whom the certificate names is not the question here. */
  return TRUE;
}

static void
pair_handshake_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PairCheck *check = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      check->failed = TRUE;
      if (check->error == NULL)
        check->error = g_steal_pointer (&error);
      g_cancellable_cancel (check->cancellable);
    }
  check->pending--;
}

gboolean
till_server_certificate_check_pair (GTlsCertificate  *certificate,
                                    GError          **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSocket) one = NULL;
  g_autoptr(GSocket) two = NULL;
  g_autoptr(GSocketConnection) server_side = NULL;
  g_autoptr(GSocketConnection) client_side = NULL;
  g_autoptr(GIOStream) server = NULL;
  g_autoptr(GIOStream) client = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  PairCheck check = { .cancellable = cancellable };
  gint64 deadline;
  int fds[2];

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), FALSE);

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "socketpair: %s", g_strerror (saved));
      return FALSE;
    }
  one = g_socket_new_from_fd (fds[0], NULL);
  two = g_socket_new_from_fd (fds[1], NULL);
  if (one == NULL || two == NULL)
    {
      if (one == NULL)
        close (fds[0]);
      if (two == NULL)
        close (fds[1]);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot test the certificate");
      return FALSE;
    }
  server_side = g_socket_connection_factory_create_connection (one);
  client_side = g_socket_connection_factory_create_connection (two);

  g_main_context_push_thread_default (context);
  server = g_tls_server_connection_new (G_IO_STREAM (server_side), certificate, error);
  client = server != NULL ? g_tls_client_connection_new (G_IO_STREAM (client_side), NULL, error) : NULL;
  if (client != NULL)
    {
      g_signal_connect (client, "accept-certificate", G_CALLBACK (accept_any_cb), NULL);
      check.pending = 2;
      g_tls_connection_handshake_async (G_TLS_CONNECTION (server), G_PRIORITY_DEFAULT, cancellable,
                                        pair_handshake_cb, &check);
      g_tls_connection_handshake_async (G_TLS_CONNECTION (client), G_PRIORITY_DEFAULT, cancellable,
                                        pair_handshake_cb, &check);
      deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (check.pending > 0 && g_get_monotonic_time () < deadline)
        {
          if (!g_main_context_iteration (context, FALSE))
            g_usleep (1000);
        }
      /* A handshake still going ends with its stream, and its callback
       * runs before check goes out of scope. */
      g_io_stream_close (client, NULL, NULL);
      g_io_stream_close (server, NULL, NULL);
      while (check.pending > 0)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);

  if (server == NULL || client == NULL)
    return FALSE;
  if (check.pending > 0 || check.failed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "The TLS key does not belong to the certificate (a test handshake failed: %s)",
                   check.error != NULL ? check.error->message : "no answer");
      g_clear_error (&check.error);
      return FALSE;
    }
  g_clear_error (&check.error);
  return TRUE;
}
