/* till-api.c: till-server's HTTP API
 *
 * The contract is written down in docs/api.md. Every error is
 * {"error": {"code", "message"}} with a stable code; every request is
 * logged as one line without any secret in it.
 *
 * This file holds the object, the dispatch of a request to its route and
 * the guards on a connection that run before any route; the routes live
 * in till-api-<resource>.c (see till-api-private.h).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-crypto.h"
#include "till-server-error.h"
#include "till-server-listener.h"
#include "till-server-log.h"

/* Past the body limit, libsoup still reads a request to its end: a body up
 * to twice the limit is read and answered with a plain 413, so that a
 * client still writing one just over the limit is not cut off mid-write;
 * beyond that the connection is taken over and closed. libsoup holds a
 * body in memory before any route or authentication runs, so this is what
 * a connection can make the server hold without signing in. */
static goffset
body_cut_off (TillApi *self)
{
  return 2 * (goffset) self->config->max_body_size;
}

G_DEFINE_FINAL_TYPE (TillApi, till_api, G_TYPE_OBJECT)

typedef struct
{
  char   *id;
  gint64  started;
} RequestInfo;

void
till_api_request_free (TillApiRequest *req)
{
  g_clear_object (&req->self);
  g_clear_object (&req->msg);
  g_clear_pointer (&req->segments, g_strfreev);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->user, till_user_free);
  g_clear_pointer (&req->token_hash, g_free);
  g_free (req);
}

static void
request_info_free (RequestInfo *info)
{
  g_free (info->id);
  g_free (info);
}

/* Pauses the answer and hands the request to an async callback, which
 * then owns it and unpauses the message; req is left empty. */
TillApiRequest *
till_api_request_suspend (TillApiRequest *req)
{
  TillApiRequest *copy = g_memdup2 (req, sizeof *req);

  soup_server_message_pause (req->msg);
  memset (req, 0, sizeof *req);
  return copy;
}

/* Routing */

/* Every resource's routes; a new resource file adds its table here. */
static const TillApiRoute * const route_tables[] = {
  till_api_auth_routes,
  till_api_shop_routes,
  till_api_webhooks_routes,
  till_api_payments_routes,
  till_api_refunds_routes,
  till_api_reports_routes,
  till_api_staff_routes,
  till_api_approvals_routes,
};

/* For the test of every route's roles (tests/test-server-roles.c), which
 * walks the tables the server dispatches from. */
const TillApiRoute * const *
till_api_get_route_tables (guint *n_tables)
{
  *n_tables = G_N_ELEMENTS (route_tables);
  return route_tables;
}

/* A user name in the path is percent-encoded (it may hold any character
 * but space and controls). NULL when it does not decode to a valid one. */
static char *
decode_username (const char *segment)
{
  g_autofree char *name = strlen (segment) <= 3 * TILL_API_MAX_USERNAME
                          ? g_uri_unescape_string (segment, NULL) : NULL;

  if (name == NULL || !till_api_input_valid_username (name))
    return NULL;
  return g_steal_pointer (&name);
}

/* The user name of the path's segment index, which its route matched
 * with '@'. */
char *
till_api_path_username (TillApiRequest *req,
                        guint           index)
{
  char *name = decode_username (req->segments[index]);

  g_assert (name != NULL);
  return name;
}

static gboolean
pattern_matches (const char  *pattern,
                 char       **segments)
{
  g_auto(GStrv) parts = g_strsplit (pattern, "/", -1);
  guint n = g_strv_length (parts);

  if (g_strv_length (segments) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (g_str_equal (parts[i], "*"))
        {
          /* Ids are short and plain; anything else is no route of ours. */
          if (*segments[i] == '\0' || strlen (segments[i]) > 64 || !till_api_input_matches_charset (segments[i], "_-"))
            return FALSE;
        }
      else if (g_str_equal (parts[i], "@"))
        {
          g_autofree char *name = decode_username (segments[i]);

          if (name == NULL)
            return FALSE;
        }
      else if (!g_str_equal (parts[i], segments[i]))
        return FALSE;
    }
  return TRUE;
}

/* The route for method on the path, or NULL; allow gets every method the
 * path takes, for a 405. */
static const TillApiRoute *
find_route (char       **segments,
            const char  *method,
            GString     *allow)
{
  const TillApiRoute *found = NULL;

  for (guint t = 0; t < G_N_ELEMENTS (route_tables); t++)
    {
      for (const TillApiRoute *route = route_tables[t]; route->method != NULL; route++)
        {
          if (!pattern_matches (route->pattern, segments))
            continue;
          if (g_str_equal (route->method, method))
            found = route;
          g_string_append_printf (allow, "%s%s", allow->len ? ", " : "", route->method);
        }
    }
  return found;
}

static void
server_handler_cb (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  TillApi *self = user_data;
  g_autoptr(TillApiRequest) req = g_new0 (TillApiRequest, 1);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);
  const TillApiRoute *route;

  req->self = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->segments = g_strsplit (path[0] == '/' ? path + 1 : path, "/", 8);
  req->query = query ? g_hash_table_ref (query) : NULL;

  /* A body that got past the early check (no Content-Length) is caught
   * here, before any handler sees it. */
  if (soup_server_message_get_request_body (msg)->length > (goffset) self->config->max_body_size)
    {
      till_api_send_error (msg, 413, "body_too_large", "The request body is too large");
      return;
    }

  route = find_route (req->segments, method, allow);

  if (route == NULL && allow->len > 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow->str);
      till_api_send_error (msg, 405, "method_not_allowed", "This method is not allowed here");
      return;
    }
  if (route == NULL)
    {
      till_api_send_error (msg, 404, "not_found", "There is no such API endpoint");
      return;
    }

  if (till_api_authenticate (req, route->access))
    route->handler (req);
}

/* Request bookkeeping and logging */

/* A refusal that takes the connection over from libsoup is written, and
 * what the client still sends is then read and thrown away (never kept)
 * for a few seconds before the close: closing a socket with unread data in
 * it resets the connection, which can destroy the answer before the client
 * reads it. The write and the drain never block, and the close waits a
 * second at the most: a client that reads nothing must not hold the main
 * loop, and with libsoup 3.3 or later a kept-alive connection can have its
 * socket's buffer full of earlier answers by then. */
typedef struct
{
  GIOStream    *stream;
  GSocket      *socket;
  GCancellable *cancellable;
  char         *response;
  guint         timeout;
  gsize         drained;
} Drain;

#define DRAIN_SECONDS 5
#define DRAIN_MAX     (64 * 1024 * 1024)

static void
drain_finish (Drain *drain)
{
  g_clear_handle_id (&drain->timeout, g_source_remove);
  if (drain->socket != NULL)
    till_server_listener_guard_close (drain->socket);
  g_io_stream_close (drain->stream, NULL, NULL);
  g_clear_object (&drain->socket);
  g_object_unref (drain->stream);
  g_object_unref (drain->cancellable);
  g_free (drain->response);
  g_free (drain);
}

static gboolean
drain_timeout_cb (gpointer user_data)
{
  Drain *drain = user_data;

  drain->timeout = 0;
  g_cancellable_cancel (drain->cancellable);
  return G_SOURCE_REMOVE;
}

static void
drain_skip_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Drain *drain = user_data;
  gssize skipped = g_input_stream_skip_finish (G_INPUT_STREAM (object), result, NULL);

  if (skipped <= 0 || (drain->drained += (gsize) skipped) > DRAIN_MAX)
    {
      drain_finish (drain);
      return;
    }
  g_input_stream_skip_async (G_INPUT_STREAM (object), 64 * 1024, G_PRIORITY_LOW,
                             drain->cancellable, drain_skip_cb, drain);
}

static void
drain_wrote_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Drain *drain = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL))
    {
      drain_finish (drain);
      return;
    }
  g_input_stream_skip_async (g_io_stream_get_input_stream (drain->stream), 64 * 1024, G_PRIORITY_LOW,
                             drain->cancellable, drain_skip_cb, drain);
}

/* Takes response. */
static void
answer_and_close (GIOStream *stream,
                  GSocket   *socket,
                  char      *response)
{
  Drain *drain = g_new0 (Drain, 1);

  drain->stream = g_object_ref (stream);
  drain->socket = socket != NULL ? g_object_ref (socket) : NULL;
  drain->cancellable = g_cancellable_new ();
  drain->response = response;
  drain->timeout = g_timeout_add_seconds (DRAIN_SECONDS, drain_timeout_cb, drain);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), response, strlen (response),
                                   G_PRIORITY_DEFAULT, drain->cancellable, drain_wrote_cb, drain);
}

/* The path as the request log shows it: decoded, as libsoup gave it before
 * the server took raw paths (the log escapes every byte that needs it),
 * and the first 128 bytes of it. */
static char *
path_for_log (SoupServerMessage *msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const char *raw = uri ? g_uri_get_path (uri) : "?";
  g_autofree char *decoded = g_uri_unescape_string (raw, NULL);

  return g_strndup (decoded ? decoded : raw, 128);
}

/* Answers straight on the socket and closes the connection, before libsoup
 * reads what follows the headers: for a body far over the limit, and for
 * a request whose framing is ambiguous, where what follows may be a second
 * request hidden from whatever stands in front of us. */
static void
refuse_and_close (TillApi           *self,
                  SoupServerMessage *msg,
                  guint              status,
                  const char        *reason,
                  const char        *code,
                  const char        *message)
{
  RequestInfo *info = g_object_get_data (G_OBJECT (msg), "till-request");
  g_autofree char *body = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GSocket) socket = NULL;
  TillServerListener *listener;
  g_autofree char *path = path_for_log (msg);

  body = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
  response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                              "Content-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: %zu\r\n"
                              "X-Request-Id: %s\r\n"
                              "Cache-Control: no-store\r\n"
                              "Connection: close\r\n\r\n%s",
                              status, reason, strlen (body), info ? info->id : "-", body);
  if (info != NULL)
    till_server_log_request (info->id, soup_server_message_get_method (msg), path, status,
                             (g_get_monotonic_time () - info->started) / 1000.0);
  g_object_set_data (G_OBJECT (msg), "till-request", NULL);

  /* libsoup was given a stream, not this socket, so it is the listener's.
   * Its deadline, a backstop to the drain's own, shuts it down. */
  listener = g_object_get_data (G_OBJECT (self->server), "till-listener");
  if (listener != NULL)
    g_set_object (&socket, till_server_listener_take_over (listener, msg,
                                                           (DRAIN_SECONDS + 2) * G_USEC_PER_SEC));
  stream = soup_server_message_steal_connection (msg);
  answer_and_close (stream, socket, g_steal_pointer (&response));
}

/* libsoup reads a request body to its end whatever the answer will be, so
 * one over twice the limit is refused by taking the connection over,
 * before more than that is held in memory (see body_cut_off ()). */
static void
refuse_oversized_body (SoupServerMessage *msg,
                       TillApi           *self)
{
  refuse_and_close (self, msg, 413, "Payload Too Large", "body_too_large", "The request body is too large");
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              TillApi           *self)
{
  if (soup_server_message_get_request_body (msg)->length > body_cut_off (self))
    refuse_oversized_body (msg, self);
}

typedef struct
{
  guint    content_length;
  guint    transfer_encoding;
  gboolean bad_value;
} Framing;

static void
count_framing_cb (const char *name,
                  const char *value,
                  gpointer    user_data)
{
  Framing *framing = user_data;

  if (g_ascii_strcasecmp (name, "Content-Length") == 0)
    {
      framing->content_length++;
      /* Digits only: no sign, no list ("10, 10"), no white space inside. */
      if (*value == '\0' || strspn (value, "0123456789") != strlen (value) || strlen (value) > 18)
        framing->bad_value = TRUE;
    }
  else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
    {
      framing->transfer_encoding++;
      if (g_ascii_strcasecmp (value, "chunked") != 0)
        framing->bad_value = TRUE;
    }
}

/* RFC 9112 §6.3: a request with two Content-Lengths, or with both a
 * Content-Length and a Transfer-Encoding, or with a framing header we
 * would read otherwise than a proxy might, is refused and its connection
 * closed (issue 9, H: the last of two Content-Lengths won, and the bytes
 * after it ran as a second request). */
static gboolean
has_ambiguous_framing (SoupServerMessage *msg)
{
  Framing framing = { 0, 0, FALSE };

  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), count_framing_cb, &framing);
  return framing.bad_value || framing.content_length > 1 || framing.transfer_encoding > 1 ||
         (framing.content_length > 0 && framing.transfer_encoding > 0);
}

static void
got_headers_cb (SoupServerMessage *msg,
                TillApi           *self)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (has_ambiguous_framing (msg))
    refuse_and_close (self, msg, 400, "Bad Request", "bad_framing",
                      "The request has conflicting or malformed Content-Length or Transfer-Encoding headers");
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length (headers) > body_cut_off (self))
    refuse_oversized_body (msg, self);
}

static void
finished_cb (SoupServerMessage *msg,
             TillApi           *self)
{
  RequestInfo *info = g_object_get_data (G_OBJECT (msg), "till-request");
  g_autofree char *path = path_for_log (msg);

  if (info == NULL)
    return;
  till_server_log_request (info->id, soup_server_message_get_method (msg), path,
                           soup_server_message_get_status (msg),
                           (g_get_monotonic_time () - info->started) / 1000.0);
}

/* The headers every answer carries. */
static void
set_common_headers (SoupServerMessage *msg)
{
  RequestInfo *info = g_object_get_data (G_OBJECT (msg), "till-request");
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "X-Request-Id", info->id);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
}

/* After a "100 Continue" libsoup clears the response's headers: set
 * again. SoupServer has run the handler on this same signal just before
 * (it connected first), so the handler's own headers stay. */
static void
got_body_cb (SoupServerMessage *msg,
             TillApi           *self)
{
  if (soup_message_headers_get_one (soup_server_message_get_response_headers (msg), "X-Request-Id") == NULL)
    set_common_headers (msg);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    TillApi           *self)
{
  RequestInfo *info = g_new0 (RequestInfo, 1);
  g_autofree char *raw = till_crypto_new_id ("req");

  info->id = g_strdup (raw + 4);
  info->started = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "till-request", info, (GDestroyNotify) request_info_free);
  set_common_headers (msg);

  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
  g_signal_connect_object (msg, "got-body", G_CALLBACK (got_body_cb), self, 0);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
  g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), self, 0);
}

static void
till_api_finalize (GObject *object)
{
  TillApi *self = (TillApi *)object;

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->db);
  g_clear_object (&self->payments);
  g_clear_object (&self->webhooks);
  g_clear_pointer (&self->user_limiter, till_rate_limiter_free);
  g_clear_pointer (&self->address_limiter, till_rate_limiter_free);
  g_clear_pointer (&self->checks_by_address, g_hash_table_unref);

  G_OBJECT_CLASS (till_api_parent_class)->finalize (object);
}

static void
till_api_class_init (TillApiClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_api_finalize;
}

static void
till_api_init (TillApi *self)
{
}

TillApi *
till_api_new (TillServerConfig *config,
              TillDb           *db,
              TillPayments     *payments)
{
  TillApi *self = g_object_new (TILL_TYPE_API, NULL);

  self->config = config;
  self->db = g_object_ref (db);
  self->payments = g_object_ref (payments);
  self->user_limiter = till_rate_limiter_new (config->login_failures_per_user, config->login_window,
                                              config->login_tracked_names);
  self->address_limiter = till_rate_limiter_new (config->login_failures_per_address, config->login_window,
                                                 config->login_tracked_names);
  self->checks_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->webhooks = till_webhooks_new (db, payments, config);
  self->health_writable = TRUE;

  return self;
}

GTlsCertificate *
till_api_load_certificate (TillServerConfig  *config,
                           GError           **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;

  if (config->tls_certificate == NULL)
    return NULL;
  certificate = g_tls_certificate_new_from_files (config->tls_certificate, config->tls_key, error);
  if (certificate == NULL || !till_server_certificate_check_pair (certificate, error))
    return NULL;
  return g_steal_pointer (&certificate);
}

/* Listens as configured and returns the base URL, with the real port when
 * port 0 asked for any free one. */
char *
till_api_listen (TillApi  *self,
                 GError  **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  TillServerListener *listener;

  certificate = till_api_load_certificate (self->config, error);
  if (certificate == NULL && self->config->tls_certificate != NULL)
    return NULL;

  /* Raw paths: libsoup would otherwise percent-decode the path before the
   * router splits it, so that a %2F in a user name became a separator and
   * a %25 was decoded twice (the name "h%75go" addressing "hugo"). The
   * router splits the path as sent and decodes each segment once. */
  self->server = soup_server_new ("server-header", "till-server/" PACKAGE_VERSION,
                                  "tls-certificate", certificate,
                                  "raw-paths", TRUE,
                                  NULL);
  g_signal_connect_object (self->server, "request-started", G_CALLBACK (request_started_cb), self, 0);
  soup_server_add_handler (self->server, NULL, server_handler_cb, self, NULL);

  inet = g_inet_address_new_from_string (self->config->listen_address);
  if (inet == NULL && g_str_equal (self->config->listen_address, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (inet == NULL)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "[server] listen = %s is not an IP address", self->config->listen_address);
      return NULL;
    }
  address = g_inet_socket_address_new (inet, self->config->port);
  /* Our own listener, with timeouts and a connection cap, and one that
   * survives running out of descriptors: see till-server-listener.c. The
   * server holds it, and it goes with the server. */
  listener = till_server_listener_new (self->server, self->config, certificate);
  g_object_set_data_full (G_OBJECT (self->server), "till-listener", listener, g_object_unref);
  if (!till_server_listener_listen (listener, address, error))
    return NULL;

  return till_server_listener_get_url (listener);
}

/* After the config was reloaded in place (SIGHUP): the certificate is read
 * from its files again, so that a renewed one is served, and the listener
 * takes the new timeouts. A certificate that cannot be read leaves the old
 * one serving. */
gboolean
till_api_reload (TillApi  *self,
                 GError  **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  TillServerListener *listener;

  g_return_val_if_fail (TILL_IS_API (self), FALSE);

  if (self->server == NULL)
    return TRUE;
  certificate = till_api_load_certificate (self->config, error);
  if (certificate == NULL && self->config->tls_certificate != NULL)
    return FALSE;
  listener = g_object_get_data (G_OBJECT (self->server), "till-listener");
  till_server_listener_reconfigure (listener, self->config, certificate);
  return TRUE;
}
