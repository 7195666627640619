/* till-backend-client.h: the terminal's client for the shop's backend API
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define TILL_BACKEND_ERROR (till_backend_error_quark ())

/* Stable codes; a user sees a translated sentence, a log sees the code. */
typedef enum
{
  TILL_BACKEND_ERROR_NETWORK,       /* unreachable, refused, dropped */
  TILL_BACKEND_ERROR_TIMEOUT,       /* connect or whole-request timeout */
  TILL_BACKEND_ERROR_TLS,           /* certificate not trusted, handshake failed */
  TILL_BACKEND_ERROR_UNAUTHORIZED,  /* 401 */
  TILL_BACKEND_ERROR_FORBIDDEN,     /* 403 */
  TILL_BACKEND_ERROR_DECLINED,      /* 402 card declined */
  TILL_BACKEND_ERROR_CONFLICT,      /* 409 */
  TILL_BACKEND_ERROR_RATE_LIMITED,  /* 429, see till_backend_response_get_retry_after() */
  TILL_BACKEND_ERROR_SERVER,        /* 5xx */
  TILL_BACKEND_ERROR_BAD_RESPONSE,  /* not JSON, wrong shape, too large */
  TILL_BACKEND_ERROR_INVALID_URL,   /* not http(s), or plain http to a non-loopback host */
  TILL_BACKEND_ERROR_BAD_REQUEST,   /* any other 4xx: the server refused what we sent */
} TillBackendError;

GQuark till_backend_error_quark (void);

typedef struct _TillBackendResponse TillBackendResponse;

guint        till_backend_response_get_status      (TillBackendResponse *self);
/* The parsed body (an object), or NULL for an empty body (e.g. 204). */
JsonObject  *till_backend_response_get_object      (TillBackendResponse *self);
/* error.code of an error body ("invalid_credentials", "rate_limited", …), or NULL. */
const char  *till_backend_response_get_error_code  (TillBackendResponse *self);
/* The body of a text answer (till_backend_client_get_text_async()), else NULL. */
GBytes      *till_backend_response_get_text        (TillBackendResponse *self);
/* Retry-After in seconds, 0 when absent. */
guint        till_backend_response_get_retry_after (TillBackendResponse *self);
TillBackendResponse *till_backend_response_ref     (TillBackendResponse *self);
void         till_backend_response_unref           (TillBackendResponse *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillBackendResponse, till_backend_response_unref)

#define TILL_TYPE_BACKEND_CLIENT (till_backend_client_get_type ())
G_DECLARE_FINAL_TYPE (TillBackendClient, till_backend_client, TILL, BACKEND_CLIENT, GObject)

/* base_url: "https://shop.example:8443" (a trailing slash is fine).
 * ca_file: a PEM file of extra trusted CAs for a shop's private CA, or NULL
 * for the system's. There is no way to accept any certificate. */
TillBackendClient *till_backend_client_new             (const char          *base_url,
                                                        const char          *ca_file,
                                                        GError             **error);
const char        *till_backend_client_get_base_url    (TillBackendClient   *self);
void               till_backend_client_set_timeouts    (TillBackendClient   *self,
                                                        guint                connect_seconds,
                                                        guint                request_seconds);
/* body may be NULL; token and idempotency_key may be NULL. */
void               till_backend_client_request_async   (TillBackendClient   *self,
                                                        const char          *method,
                                                        const char          *path,
                                                        const char          *token,
                                                        const char          *idempotency_key,
                                                        JsonNode            *body,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* GET of a text answer (a CSV export): a 2xx answer must be of the media
 * type text_type ("text/csv"), and its body is
 * till_backend_response_get_text(); error answers are JSON as usual. At
 * most the same size as a JSON answer. Finish with
 * till_backend_client_request_finish(). */
void               till_backend_client_get_text_async  (TillBackendClient   *self,
                                                        const char          *path,
                                                        const char          *token,
                                                        const char          *text_type,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/* Returns the response for a 2xx answer. For any other outcome returns NULL
 * and sets error; when the server did answer, *out_response (if not NULL)
 * receives the response too, so that callers can read error codes, decline
 * codes, Retry-After or the payment object of a 402. */
TillBackendResponse *till_backend_client_request_finish (TillBackendClient  *self,
                                                        GAsyncResult        *result,
                                                        TillBackendResponse **out_response,
                                                        GError             **error);

G_END_DECLS
