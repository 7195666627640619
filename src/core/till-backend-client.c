/* till-backend-client.c: the terminal's client for the shop's backend API
 *
 * One SoupSession per shop. Every request runs under two deadlines that
 * libsoup 3.2 does not offer by itself: a connect deadline (until the
 * request headers are on the wire, so DNS, TCP and the TLS handshake) and a
 * whole-request deadline (until the last byte of the answer). libsoup's own
 * "timeout" is an I/O timeout per read or write, which a server that dribbles
 * bytes, or a paused one, can stretch forever; the deadlines cancel an
 * internal GCancellable and the cancellation is reported as a timeout.
 *
 * Answers are read into memory only up to MAX_BODY_SIZE + 1 bytes, and only
 * strict JSON objects (till_answer_parse_object()) are accepted from a
 * successful request. Nothing here logs a
 * header or a body: they carry session tokens, passwords and card data.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "till-backend"

#include <string.h>

#include "till-backend-answers.h"
#include "till-backend-client.h"
#include "till-json-util.h"

#define MAX_BODY_SIZE (1024 * 1024)
#define READ_CHUNK_SIZE (16 * 1024)
#define DEFAULT_CONNECT_TIMEOUT 10
#define DEFAULT_REQUEST_TIMEOUT 30
/* Longer than any timeout makes sense for, and keeps seconds * 1000 in a guint. */
#define MAX_TIMEOUT (24 * 60 * 60)
#define MAX_RETRY_AFTER (24 * 60 * 60)
#define MAX_SERVER_MESSAGE_CHARS 200

G_DEFINE_QUARK (till-backend-error-quark, till_backend_error)

/* TillBackendResponse */

struct _TillBackendResponse
{
  gatomicrefcount  ref_count;
  guint            status;
  JsonObject      *object;
  char            *error_code;
  char            *error_message;
  guint            retry_after;
  GBytes          *text;
};

static TillBackendResponse *
till_backend_response_new (guint status)
{
  TillBackendResponse *self = g_new0 (TillBackendResponse, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->status = status;
  return self;
}

TillBackendResponse *
till_backend_response_ref (TillBackendResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
till_backend_response_unref (TillBackendResponse *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->object, json_object_unref);
  g_clear_pointer (&self->text, g_bytes_unref);
  g_free (self->error_code);
  g_free (self->error_message);
  g_free (self);
}

guint
till_backend_response_get_status (TillBackendResponse *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->status;
}

JsonObject *
till_backend_response_get_object (TillBackendResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->object;
}

const char *
till_backend_response_get_error_code (TillBackendResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->error_code;
}

GBytes *
till_backend_response_get_text (TillBackendResponse *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->text;
}

guint
till_backend_response_get_retry_after (TillBackendResponse *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->retry_after;
}

/* TillBackendClient */

struct _TillBackendClient
{
  GObject      parent_instance;

  /* owned references */
  SoupSession *session;
  char        *base_url;

  /* state */
  guint        connect_timeout;
  guint        request_timeout;
};

G_DEFINE_FINAL_TYPE (TillBackendClient, till_backend_client, G_TYPE_OBJECT)

typedef enum
{
  DEADLINE_NONE,
  DEADLINE_CONNECT,
  DEADLINE_REQUEST,
} Deadline;

typedef struct
{
  SoupMessage         *msg;
  char                *description;   /* "POST /api/login", for error messages */
  GMainContext        *context;
  /* Ours, passed to libsoup: the caller's cancellable, a deadline or a
   * refused body cancels it. */
  GCancellable        *cancellable;
  GSource             *caller_cancelled_source;
  GSource             *connect_timer;
  GSource             *request_timer;
  gulong               wrote_headers_id;
  GInputStream        *stream;
  GByteArray          *body;
  Deadline             expired;
  guint                connect_timeout;
  guint                request_timeout;
  TillBackendResponse *response;      /* for _finish's out_response */
  char                *text_type;     /* a text answer of this media type, not JSON */
} Request;

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

/* The buffers hold tokens and passwords: they are cleared before they go
 * back to the allocator. */
static void
wipe_byte_array (GByteArray *array)
{
  /* An empty GByteArray's data is NULL, which explicit_bzero() must not
   * be given even with a length of 0 (UBSan: nonnull). */
  if (array->len > 0)
    explicit_bzero (array->data, array->len);
  g_byte_array_unref (array);
}

static void
wipe_string (gpointer data)
{
  char *text = data;

  explicit_bzero (text, strlen (text));
  g_free (text);
}

static void
request_free (gpointer data)
{
  Request *req = data;

  destroy_source (&req->caller_cancelled_source);
  destroy_source (&req->connect_timer);
  destroy_source (&req->request_timer);
  if (req->msg != NULL && req->wrote_headers_id != 0)
    g_signal_handler_disconnect (req->msg, req->wrote_headers_id);
  g_clear_object (&req->stream);
  g_clear_object (&req->msg);
  g_clear_object (&req->cancellable);
  g_clear_pointer (&req->body, wipe_byte_array);
  g_clear_pointer (&req->response, till_backend_response_unref);
  g_clear_pointer (&req->context, g_main_context_unref);
  g_free (req->description);
  g_free (req->text_type);
  g_free (req);
}

/* Once the task has an outcome: a deadline firing later, while the caller
 * still holds the result, would only cancel what is already over. */
static void
stop_deadlines (Request *req)
{
  destroy_source (&req->caller_cancelled_source);
  destroy_source (&req->connect_timer);
  destroy_source (&req->request_timer);
}

static void
till_backend_client_finalize (GObject *object)
{
  TillBackendClient *self = TILL_BACKEND_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_url, g_free);

  G_OBJECT_CLASS (till_backend_client_parent_class)->finalize (object);
}

static void
till_backend_client_class_init (TillBackendClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = till_backend_client_finalize;
}

static void
till_backend_client_init (TillBackendClient *self)
{
  self->connect_timeout = DEFAULT_CONNECT_TIMEOUT;
  self->request_timeout = DEFAULT_REQUEST_TIMEOUT;
}

/* Base URL */

/* An IP address, or a DNS name in ASCII (IDNs are converted before). */
static gboolean
is_valid_host (const char *host)
{
  if (g_hostname_is_ip_address (host))
    return TRUE;
  for (const char *p = host; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
        return FALSE;
    }
  return host[0] != '.' && host[0] != '-';
}

static gboolean
is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* Returns "scheme://host[:port][/path]" without a trailing slash, so that
 * the same shop always gives the same keyring attribute. */
static char *
normalise_base_url (const char  *base_url,
                    GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *ascii_host = NULL;
  g_autofree char *host = NULL;
  g_autofree char *path = NULL;
  const char *scheme;
  int port;
  gsize len;

  uri = g_uri_parse (base_url, G_URI_FLAGS_ENCODED, &local_error);
  if (uri == NULL)
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                   "“%s” is not a valid server address: %s", base_url, local_error->message);
      return NULL;
    }

  scheme = g_uri_get_scheme (uri);
  if (!g_str_equal (scheme, "https") && !g_str_equal (scheme, "http"))
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                   "“%s” is not an https:// address", base_url);
      return NULL;
    }
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                   "“%s” has no host name", base_url);
      return NULL;
    }
  /* Credentials in the address would end up in logs and settings. */
  if (g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                   "The server address “%s” may not have a user name, a query or a fragment",
                   base_url);
      return NULL;
    }

  ascii_host = g_hostname_to_ascii (g_uri_get_host (uri));
  if (ascii_host == NULL || !is_valid_host (ascii_host))
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                   "“%s” is not a valid server address: the host name is not valid", base_url);
      return NULL;
    }
  host = g_ascii_strdown (ascii_host, -1);
  /* Sessions, passwords and card tokens cross this connection: in the
   * clear only where no network sees them. */
  if (g_str_equal (scheme, "http") && !is_loopback_host (host))
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                   "Plain http:// is refused for “%s”: use https:// (plain http is only "
                   "allowed to this computer, such as 127.0.0.1 or localhost)",
                   base_url);
      return NULL;
    }

  path = g_strdup (g_uri_get_path (uri));
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    path[--len] = '\0';

  port = g_uri_get_port (uri);
  if ((port == 443 && g_str_equal (scheme, "https")) ||
      (port == 80 && g_str_equal (scheme, "http")))
    port = -1;

  return g_uri_join (G_URI_FLAGS_ENCODED, scheme, NULL, host, port, path, NULL, NULL);
}

TillBackendClient *
till_backend_client_new (const char  *base_url,
                         const char  *ca_file,
                         GError     **error)
{
  g_autoptr(TillBackendClient) self = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autofree char *normalised = NULL;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  normalised = normalise_base_url (base_url, error);
  if (normalised == NULL)
    return NULL;

  if (ca_file != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      database = g_tls_file_database_new (ca_file, &local_error);
      if (database == NULL)
        {
          g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS,
                       "The certificate authority file %s could not be loaded: %s",
                       ca_file, local_error->message);
          return NULL;
        }
    }

  self = g_object_new (TILL_TYPE_BACKEND_CLIENT, NULL);
  self->base_url = g_steal_pointer (&normalised);
  /* No "accept-certificate" handler anywhere: an untrusted certificate
   * always fails the request. */
  self->session = soup_session_new_with_options ("user-agent", "Till/" PACKAGE_VERSION,
                                                 "timeout", self->request_timeout,
                                                 NULL);
  if (database != NULL)
    soup_session_set_tls_database (self->session, database);

  return g_steal_pointer (&self);
}

const char *
till_backend_client_get_base_url (TillBackendClient *self)
{
  g_return_val_if_fail (TILL_IS_BACKEND_CLIENT (self), NULL);

  return self->base_url;
}

/* connect_seconds bounds everything up to the request being sent (name
 * lookup, TCP, TLS); request_seconds bounds the whole exchange. */
void
till_backend_client_set_timeouts (TillBackendClient *self,
                                  guint              connect_seconds,
                                  guint              request_seconds)
{
  g_return_if_fail (TILL_IS_BACKEND_CLIENT (self));
  g_return_if_fail (connect_seconds > 0 && connect_seconds <= MAX_TIMEOUT);
  g_return_if_fail (request_seconds > 0 && request_seconds <= MAX_TIMEOUT);

  self->connect_timeout = connect_seconds;
  self->request_timeout = request_seconds;
  /* libsoup's I/O timeout also bounds each read; the deadline below is
   * what really ends the request. */
  soup_session_set_timeout (self->session, request_seconds);
}

/* Errors */

static const char *
describe_certificate_errors (GTlsCertificateFlags flags)
{
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return "the certificate is not signed by a trusted authority";
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return "the certificate is for another host";
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return "the certificate is not valid yet";
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    return "the certificate has expired";
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    return "the certificate has been revoked";
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    return "the certificate uses an insecure algorithm";
  return "the certificate is not valid";
}

/* libsoup, GIO and the resolver each report failures in their own domain;
 * callers only need to know what kind of failure it was. */
static GError *
map_transport_error (Request      *req,
                     const GError *error,
                     const char   *base_url)
{
  GTlsCertificateFlags flags = soup_message_get_tls_peer_certificate_errors (req->msg);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (req->expired == DEADLINE_CONNECT)
        return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT,
                            "Could not connect to %s within %u s",
                            base_url, req->connect_timeout);
      if (req->expired == DEADLINE_REQUEST)
        return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT,
                            "%s got no complete answer from %s within %u s",
                            req->description, base_url, req->request_timeout);
      return g_error_copy (error);
    }

  if (error->domain == G_TLS_ERROR || flags != 0)
    return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS,
                        "The secure connection to %s failed: %s (%s)",
                        base_url,
                        flags != 0 ? describe_certificate_errors (flags) : "handshake failed",
                        error->message);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT,
                        "%s to %s timed out: %s", req->description, base_url, error->message);

  if (g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_PARSING) ||
      g_error_matches (error, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_ENCODING))
    return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                        "%s got an answer from %s that is not valid HTTP: %s",
                        req->description, base_url, error->message);

  return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_NETWORK,
                      "%s could not reach %s: %s", req->description, base_url, error->message);
}

static TillBackendError
error_for_status (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      return TILL_BACKEND_ERROR_UNAUTHORIZED;
    case SOUP_STATUS_FORBIDDEN:
      return TILL_BACKEND_ERROR_FORBIDDEN;
    case SOUP_STATUS_PAYMENT_REQUIRED:
      return TILL_BACKEND_ERROR_DECLINED;
    case SOUP_STATUS_CONFLICT:
      return TILL_BACKEND_ERROR_CONFLICT;
    case 429:  /* Too Many Requests: libsoup 3.2 has no name for it */
      return TILL_BACKEND_ERROR_RATE_LIMITED;
    default:
      break;
    }
  if (status >= 400 && status < 500)
    return TILL_BACKEND_ERROR_BAD_REQUEST;
  if (status >= 500 && status < 600)
    return TILL_BACKEND_ERROR_SERVER;
  /* 1xx that libsoup did not handle, or a redirect: the API has none. */
  return TILL_BACKEND_ERROR_BAD_RESPONSE;
}

static char *
shorten (const char *text)
{
  g_autofree char *start = NULL;

  if (g_utf8_strlen (text, -1) <= MAX_SERVER_MESSAGE_CHARS)
    return g_strdup (text);
  start = g_utf8_substring (text, 0, MAX_SERVER_MESSAGE_CHARS);
  return g_strconcat (start, "…", NULL);
}

static GError *
new_status_error (Request             *req,
                  TillBackendResponse *response)
{
  g_autofree char *message = response->error_message ? shorten (response->error_message) : NULL;

  return g_error_new (TILL_BACKEND_ERROR, error_for_status (response->status),
                      "%s answered HTTP %u%s%s%s%s",
                      req->description, response->status,
                      response->error_code ? " " : "",
                      response->error_code ? response->error_code : "",
                      message ? ": " : "",
                      message ? message : "");
}

/* Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). */
static guint
parse_retry_after (const char *value)
{
  g_autofree char *text = NULL;
  g_autoptr(GDateTime) date = NULL;
  guint64 seconds;

  if (value == NULL)
    return 0;
  text = g_strstrip (g_strdup (value));
  if (g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &seconds, NULL))
    return (guint) MIN (seconds, MAX_RETRY_AFTER);

  date = soup_date_time_new_from_http_string (text);
  if (date != NULL)
    {
      gint64 wait = g_date_time_to_unix (date) - g_get_real_time () / G_USEC_PER_SEC;

      return (guint) CLAMP (wait, 0, MAX_RETRY_AFTER);
    }
  return 0;
}

/* Answers */

/* Only strict JSON objects, read by the one strict reader of answers;
 * the error member only if it is well formed (a proxy's or a liar's page
 * has no API error code). */
static void
read_body (TillBackendResponse  *response,
           GByteArray           *body,
           GError              **error)
{
  g_autoptr(TillErrorAnswer) answer = NULL;

  if (body->len == 0)
    return;
  response->object = till_answer_parse_object ((const char *) body->data, body->len, error);
  if (response->object == NULL || json_object_get_member (response->object, "error") == NULL)
    return;
  answer = till_error_answer_read (response->object, NULL);
  if (answer == NULL)
    return;
  response->error_code = g_steal_pointer (&answer->code);
  response->error_message = g_steal_pointer (&answer->message);
}

static void
return_error_with_response (GTask               *task,
                            TillBackendResponse *response,
                            GError              *error)
{
  Request *req = g_task_get_task_data (task);

  stop_deadlines (req);
  g_clear_pointer (&req->response, till_backend_response_unref);
  req->response = response ? till_backend_response_ref (response) : NULL;
  g_task_return_error (task, error);
}

/* A successful text answer: only of the media type asked for. */
static void
finish_text (GTask               *task,
             TillBackendResponse *response)
{
  Request *req = g_task_get_task_data (task);
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (req->msg),
                                                            NULL);

  if (g_strcmp0 (type, req->text_type) != 0)
    {
      return_error_with_response (task, response,
                                  g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                                               "%s answered with %s, not %s", req->description,
                                               type != NULL ? type : "no content type", req->text_type));
      return;
    }
  response->text = g_bytes_new (req->body->data, req->body->len);
  stop_deadlines (req);
  g_task_return_pointer (task, till_backend_response_ref (response),
                         (GDestroyNotify) till_backend_response_unref);
}

static void
finish_response (GTask *task)
{
  Request *req = g_task_get_task_data (task);
  guint status = soup_message_get_status (req->msg);
  SoupMessageHeaders *headers = soup_message_get_response_headers (req->msg);
  g_autoptr(TillBackendResponse) response = till_backend_response_new (status);
  g_autoptr(GError) body_error = NULL;

  response->retry_after = parse_retry_after (soup_message_headers_get_one (headers, "Retry-After"));
  if (req->text_type != NULL && SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      finish_text (task, response);
      return;
    }
  read_body (response, req->body, &body_error);

  g_debug ("%s: HTTP %u, %u bytes", req->description, status, req->body->len);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      if (req->body->len > 0 && response->object == NULL)
        {
          GError *error = g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                                       "%s answered HTTP %u with a body that is not a JSON "
                                       "object: %s", req->description, status,
                                       body_error ? body_error->message : "no object");

          return_error_with_response (task, response, error);
          return;
        }
      /* A successful answer is not an error answer, whatever it says. */
      g_clear_pointer (&response->error_code, g_free);
      g_clear_pointer (&response->error_message, g_free);
      stop_deadlines (req);
      g_task_return_pointer (task, g_steal_pointer (&response),
                             (GDestroyNotify) till_backend_response_unref);
      return;
    }

  return_error_with_response (task, response, new_status_error (req, response));
}

static void
refuse_large_body (GTask *task)
{
  Request *req = g_task_get_task_data (task);
  g_autoptr(TillBackendResponse) response =
    till_backend_response_new (soup_message_get_status (req->msg));

  /* Drops the connection instead of reading the rest of the body into
   * the void, which could go on forever. */
  g_cancellable_cancel (req->cancellable);
  return_error_with_response (task, response,
                              g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                                           "%s: the answer is larger than %u bytes",
                                           req->description, MAX_BODY_SIZE));
}

static void read_next (GTask *task);

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  TillBackendClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result,
                                                              &error);
  gsize size;
  const guint8 *data;

  if (bytes == NULL)
    {
      return_error_with_response (task, NULL, map_transport_error (req, error, self->base_url));
      return;
    }

  data = g_bytes_get_data (bytes, &size);
  if (size == 0)
    {
      finish_response (task);
      return;
    }

  g_byte_array_append (req->body, data, size);
  explicit_bzero ((gpointer) data, size);
  if (req->body->len > MAX_BODY_SIZE)
    {
      refuse_large_body (task);
      return;
    }
  read_next (g_steal_pointer (&task));
}

/* Never asks for more than one byte past the limit, so that an oversized
 * answer costs at most MAX_BODY_SIZE + 1 bytes of memory. */
static void
read_next (GTask *task)
{
  Request *req = g_task_get_task_data (task);
  gsize want = MIN (READ_CHUNK_SIZE, MAX_BODY_SIZE + 1 - req->body->len);

  g_input_stream_read_bytes_async (req->stream, want, G_PRIORITY_DEFAULT, req->cancellable,
                                   read_cb, task);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *req = g_task_get_task_data (task);
  TillBackendClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  SoupMessageHeaders *headers;

  req->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error);
  destroy_source (&req->connect_timer);
  if (req->stream == NULL)
    {
      return_error_with_response (task, NULL, map_transport_error (req, error, self->base_url));
      return;
    }

  headers = soup_message_get_response_headers (req->msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    {
      goffset length = soup_message_headers_get_content_length (headers);

      if (length > MAX_BODY_SIZE)
        {
          refuse_large_body (task);
          return;
        }
      /* One buffer that never moves, so that wiping it wipes every copy. */
      req->body = g_byte_array_sized_new ((guint) length);
    }
  else
    req->body = g_byte_array_sized_new (READ_CHUNK_SIZE);
  read_next (g_steal_pointer (&task));
}

/* Deadlines */

static gboolean
connect_deadline_cb (gpointer user_data)
{
  Request *req = user_data;

  if (req->expired == DEADLINE_NONE)
    req->expired = DEADLINE_CONNECT;
  g_clear_pointer (&req->connect_timer, g_source_unref);
  g_cancellable_cancel (req->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
request_deadline_cb (gpointer user_data)
{
  Request *req = user_data;

  if (req->expired == DEADLINE_NONE)
    req->expired = DEADLINE_REQUEST;
  g_clear_pointer (&req->request_timer, g_source_unref);
  g_cancellable_cancel (req->cancellable);
  return G_SOURCE_REMOVE;
}

/* The connection is up once the request headers are written, whether it
 * was new or came from the pool. */
static void
wrote_headers_cb (SoupMessage *msg,
                  gpointer     user_data)
{
  Request *req = user_data;

  destroy_source (&req->connect_timer);
}

/* A GCancellableSource rather than g_cancellable_connect(): its callback
 * runs from the main loop, so that finishing the task from inside it can
 * never deadlock in g_cancellable_disconnect(). */
static gboolean
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  Request *req = user_data;

  g_cancellable_cancel (req->cancellable);
  return G_SOURCE_REMOVE;
}

static GSource *
start_timer (Request     *req,
             guint        seconds,
             GSourceFunc  func)
{
  GSource *source = g_timeout_source_new (seconds * 1000);

  g_source_set_callback (source, func, req, NULL);
  g_source_set_static_name (source, "[till] backend request deadline");
  g_source_attach (source, req->context);
  return source;
}

static void
set_request_body (SoupMessage *msg,
                  JsonNode    *body)
{
  char *text = till_json_write (body);
  g_autoptr(GBytes) bytes = g_bytes_new_with_free_func (text, strlen (text), wipe_string, text);

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
}

static void
start_request (TillBackendClient   *self,
               const char          *method,
               const char          *path,
               const char          *token,
               const char          *idempotency_key,
               JsonNode            *body,
               const char          *text_type,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;
  Request *req;

  g_return_if_fail (TILL_IS_BACKEND_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_backend_client_request_async);

  req = g_new0 (Request, 1);
  req->description = g_strdup_printf ("%s %s", method, path);
  req->context = g_main_context_ref_thread_default ();
  req->cancellable = g_cancellable_new ();
  req->connect_timeout = self->connect_timeout;
  req->request_timeout = self->request_timeout;
  req->text_type = g_strdup (text_type);
  g_task_set_task_data (task, req, request_free);

  url = g_strconcat (self->base_url, path, NULL);
  req->msg = soup_message_new (method, url);
  if (req->msg == NULL)
    {
      g_task_return_new_error (task, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL,
                               "“%s” is not a valid request path", path);
      return;
    }
  /* The API never redirects; following one could carry the session to
   * another host or over plain http. */
  soup_message_add_flags (req->msg, SOUP_MESSAGE_NO_REDIRECT);
  /* A connection of its own for every request, as till-server on libsoup
   * 3.2 gives anyway (docs/server.md, "No keep-alive"). A GET on a
   * kept-alive connection that the other side drops is sent again by
   * libsoup 3.2 itself, and with other requests in flight that can crash
   * the process; a shop's newer server, or a proxy in front of it, would
   * keep connections alive. */
  soup_message_add_flags (req->msg, SOUP_MESSAGE_NEW_CONNECTION);

  headers = soup_message_get_request_headers (req->msg);
  /* Errors are JSON whatever was asked for. */
  if (text_type != NULL)
    {
      g_autofree char *accept = g_strconcat (text_type, ", application/json;q=0.5", NULL);

      soup_message_headers_replace (headers, "Accept", accept);
    }
  else
    soup_message_headers_replace (headers, "Accept", "application/json");
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
      explicit_bzero (value, strlen (value));
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  if (body != NULL)
    set_request_body (req->msg, body);

  if (cancellable != NULL)
    {
      req->caller_cancelled_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (req->caller_cancelled_source, G_SOURCE_FUNC (caller_cancelled_cb),
                             req, NULL);
      g_source_attach (req->caller_cancelled_source, req->context);
    }
  req->connect_timer = start_timer (req, req->connect_timeout, connect_deadline_cb);
  req->request_timer = start_timer (req, req->request_timeout, request_deadline_cb);
  req->wrote_headers_id = g_signal_connect (req->msg, "wrote-headers",
                                            G_CALLBACK (wrote_headers_cb), req);

  soup_session_send_async (self->session, req->msg, G_PRIORITY_DEFAULT, req->cancellable,
                           send_cb, g_steal_pointer (&task));
}

void
till_backend_client_request_async (TillBackendClient   *self,
                                   const char          *method,
                                   const char          *path,
                                   const char          *token,
                                   const char          *idempotency_key,
                                   JsonNode            *body,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  start_request (self, method, path, token, idempotency_key, body, NULL, cancellable, callback, user_data);
}

void
till_backend_client_get_text_async (TillBackendClient   *self,
                                    const char          *path,
                                    const char          *token,
                                    const char          *text_type,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (text_type != NULL);

  start_request (self, "GET", path, token, NULL, NULL, text_type, cancellable, callback, user_data);
}

TillBackendResponse *
till_backend_client_request_finish (TillBackendClient    *self,
                                    GAsyncResult         *result,
                                    TillBackendResponse **out_response,
                                    GError              **error)
{
  Request *req;
  TillBackendResponse *response;

  g_return_val_if_fail (TILL_IS_BACKEND_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_backend_client_request_async, NULL);

  req = g_task_get_task_data (G_TASK (result));
  response = g_task_propagate_pointer (G_TASK (result), error);
  if (out_response != NULL)
    *out_response = (response == NULL && req->response != NULL)
                    ? till_backend_response_ref (req->response) : NULL;
  return response;
}
