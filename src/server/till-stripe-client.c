/* till-stripe-client.c: a small client for Stripe's form-encoded API
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-stripe"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>

#include "till-json-util.h"
#include "till-stripe-client.h"
#include "till-server-error.h"
#include "till-server-log.h"

/* The API version whose request schemas Till was written and tested
 * against (tests/data/stripe-openapi-subset.json). */
/* Pinned, so that Stripe's answers keep the shape this code reads:
 * latest_charge instead of charges on a PaymentIntent (2022-11-15), refunds
 * not expanded on a charge, automatic payment methods unless the types are
 * given (2023-08-16), allowed_payment_method_types in place of
 * payment_method_types (2026-09-30.endive). What changed on the way, with
 * Stripe's changelog: tests/data/README.md. */
#define STRIPE_API_VERSION "2026-11-18.endive"
/* No Stripe object Till reads is anywhere near this. */
#define MAX_RESPONSE_SIZE (1024 * 1024)
/* A PaymentIntent with its charge and card details nests about 6 deep. */
#define MAX_RESPONSE_DEPTH 32

struct _TillStripeClient
{
  GObject      parent_instance;

  /* owned references */
  SoupSession *session;

  /* state */
  char        *api_base;
  char        *authorization;
  gint64       last_answer;   /* real time, µs; 0: never */
};

G_DEFINE_FINAL_TYPE (TillStripeClient, till_stripe_client, G_TYPE_OBJECT)

void
till_stripe_response_free (TillStripeResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->body, json_object_unref);
  g_free (response->request_id);
  g_free (response);
}

GPtrArray *
till_stripe_params_new (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

void
till_stripe_params_add (GPtrArray  *params,
                        const char *key,
                        const char *value)
{
  g_ptr_array_add (params, g_strdup (key));
  g_ptr_array_add (params, g_strdup (value));
}

char *
till_stripe_params_encode (GPtrArray *params)
{
  GString *body = g_string_new (NULL);

  for (guint i = 0; params != NULL && i + 1 < params->len; i += 2)
    {
      if (body->len > 0)
        g_string_append_c (body, '&');
      /* Brackets stay readable in keys; Stripe accepts them as they are. */
      g_string_append_uri_escaped (body, g_ptr_array_index (params, i), "[]", FALSE);
      g_string_append_c (body, '=');
      g_string_append_uri_escaped (body, g_ptr_array_index (params, i + 1), NULL, FALSE);
    }

  return g_string_free (body, FALSE);
}

static void
till_stripe_client_finalize (GObject *object)
{
  TillStripeClient *self = (TillStripeClient *)object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->api_base, g_free);
  if (self->authorization != NULL)
    explicit_bzero (self->authorization, strlen (self->authorization));
  g_clear_pointer (&self->authorization, g_free);

  G_OBJECT_CLASS (till_stripe_client_parent_class)->finalize (object);
}

static void
till_stripe_client_class_init (TillStripeClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_stripe_client_finalize;
}

static void
till_stripe_client_init (TillStripeClient *self)
{
}

TillStripeClient *
till_stripe_client_new (const char *api_base,
                        const char *secret_key,
                        guint       timeout_seconds)
{
  TillStripeClient *self;

  g_return_val_if_fail (api_base != NULL, NULL);
  g_return_val_if_fail (secret_key != NULL, NULL);

  self = g_object_new (TILL_TYPE_STRIPE_CLIENT, NULL);
  /* TLS certificates are checked by the session's default database;
   * nothing here turns that off. */
  self->session = soup_session_new_with_options ("timeout", timeout_seconds,
                                                 "idle-timeout", 60,
                                                 "user-agent", "till-server/" PACKAGE_VERSION,
                                                 NULL);
  self->api_base = g_strdup (api_base);
  while (g_str_has_suffix (self->api_base, "/"))
    self->api_base[strlen (self->api_base) - 1] = '\0';
  self->authorization = g_strconcat ("Bearer ", secret_key, NULL);

  return self;
}

static void send_and_read_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data);

/* Every call to Stripe goes out on a connection of its own. libsoup opens
 * one for each POST anyway; a GET would take a kept-alive one, and when the
 * other side drops a GET on such a connection, libsoup 3.2 sends it again
 * by itself, and with other calls in flight that resend can finish a
 * message twice and crash the process (SEGV in run_until_read_done;
 * docs/server.md, "A connection of its own for every call"). The cost is
 * one connection set up per GET, and GETs are the rare calls: after 3-D
 * Secure, and lookups. Stripe's API never redirects: a redirect is not
 * followed (libsoup would send the message again, a POST as a GET), its
 * answer is taken as it is. */
static void
send_message (TillStripeClient *self,
              SoupMessage      *msg,
              GTask            *task)
{
  soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION | SOUP_MESSAGE_NO_REDIRECT);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                    send_and_read_cb, task);
}

/* What libsoup did for a GET on a kept-alive connection, Till does for
 * every GET: one more try when the connection went before any answer came
 * (no status read). Not after a time-out (the deadline is spent), a
 * cancellation or a TLS failure; never for a POST (one with a body), whose
 * fate stays unknown and is looked up. One more send in all for a call:
 * this or Stripe-Should-Retry's, whichever comes first. */
static gboolean
may_send_again (SoupMessage  *msg,
                const GError *error)
{
  return g_str_equal (soup_message_get_method (msg), "GET") &&
         g_object_get_data (G_OBJECT (msg), "till-body") == NULL &&
         soup_message_get_status (msg) == 0 &&
         g_object_get_data (G_OBJECT (msg), "till-retried") == NULL &&
         error->domain == G_IO_ERROR &&
         !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) &&
         !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
copy_header_cb (const char *name,
                const char *value,
                gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

/* The same request again, as a new message (a SoupMessage is sent once). */
static gboolean
resend_cb (gpointer user_data)
{
  GTask *task = user_data;
  TillStripeClient *self = g_task_get_source_object (task);
  SoupMessage *first = g_task_get_task_data (task);
  GBytes *body = g_object_get_data (G_OBJECT (first), "till-body");
  g_autoptr(SoupMessage) again = soup_message_new_from_uri (soup_message_get_method (first),
                                                            soup_message_get_uri (first));

  soup_message_headers_foreach (soup_message_get_request_headers (first), copy_header_cb,
                                soup_message_get_request_headers (again));
  if (body != NULL)
    {
      soup_message_headers_remove (soup_message_get_request_headers (again), "Content-Type");
      soup_message_headers_remove (soup_message_get_request_headers (again), "Content-Length");
      soup_message_set_request_body_from_bytes (again, "application/x-www-form-urlencoded", body);
      g_object_set_data_full (G_OBJECT (again), "till-body", g_bytes_ref (body), (GDestroyNotify) g_bytes_unref);
    }
  g_object_set_data (G_OBJECT (again), "till-retried", GINT_TO_POINTER (TRUE));
  g_task_set_task_data (task, g_object_ref (again), g_object_unref);
  send_message (self, again, task);
  return G_SOURCE_REMOVE;
}

static void
send_and_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr(GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(TillStripeResponse) response = g_new0 (TillStripeResponse, 1);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  const char *replayed;
  const char *should_retry;
  gsize size;

  bytes = soup_session_send_and_read_finish (session, result, &error);
  if (bytes == NULL && may_send_again (msg, error))
    {
      g_object_set_data (G_OBJECT (msg), "till-retried", GINT_TO_POINTER (TRUE));
      g_info ("stripe method=%s path=%s: %s; once more", soup_message_get_method (msg),
              g_uri_get_path (soup_message_get_uri (msg)), error->message);
      g_idle_add (resend_cb, g_steal_pointer (&task));
      return;
    }
  if (bytes == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Stripe-Should-Retry: true on a conflict or an error (its idempotency
   * lock, a passing fault): once more, after a second, under the same
   * key. Stripe's own libraries do the same. */
  if ((soup_message_get_status (msg) == 409 || soup_message_get_status (msg) >= 500) &&
      g_strcmp0 (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Stripe-Should-Retry"),
                 "true") == 0 &&
      g_object_get_data (G_OBJECT (msg), "till-retried") == NULL)
    {
      g_object_set_data (G_OBJECT (msg), "till-retried", GINT_TO_POINTER (TRUE));
      g_info ("stripe method=%s path=%s status=%u: Stripe asks to retry; once more in 1 s",
              soup_message_get_method (msg), g_uri_get_path (soup_message_get_uri (msg)),
              soup_message_get_status (msg));
      g_timeout_add_seconds (1, resend_cb, g_steal_pointer (&task));
      return;
    }

  response->status = soup_message_get_status (msg);
  response->request_id = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                                 "Request-Id"));
  if (response->request_id != NULL &&
      (strlen (response->request_id) > 64 || !g_str_is_ascii (response->request_id)))
    g_clear_pointer (&response->request_id, g_free);
  should_retry = soup_message_headers_get_one (soup_message_get_response_headers (msg), "Stripe-Should-Retry");
  response->should_retry = should_retry == NULL ? -1 : g_ascii_strcasecmp (should_retry, "true") == 0;
  /* Any answer counts, an error too: it says Stripe is reachable. */
  TILL_STRIPE_CLIENT (g_task_get_source_object (task))->last_answer = g_get_real_time ();
  replayed = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                           "Idempotent-Replayed");
  response->replayed = g_strcmp0 (replayed, "true") == 0;
  /* Every call, with Stripe's Request-Id: what support asks for. */
  {
    g_autofree char *id = till_server_log_escape_field (response->request_id ? response->request_id : "-", 64);

    g_info ("stripe method=%s path=%s status=%u request_id=%s%s", soup_message_get_method (msg),
            g_uri_get_path (soup_message_get_uri (msg)), response->status, id,
            response->replayed ? " replayed=true" : "");
  }

  /* Stripe's answers pass the same strict check as the terminals'
   * requests: one that does not is no answer, and the outcome stays
   * unknown. */
  size = g_bytes_get_size (bytes);
  if (size > 0 && size <= MAX_RESPONSE_SIZE &&
      (root = till_json_parse_strict (g_bytes_get_data (bytes, NULL), size, MAX_RESPONSE_DEPTH, NULL)) != NULL &&
      JSON_NODE_HOLDS_OBJECT (root))
    response->body = json_object_ref (json_node_get_object (root));

  g_task_return_pointer (task, g_steal_pointer (&response), (GDestroyNotify) till_stripe_response_free);
}

void
till_stripe_client_request_async (TillStripeClient    *self,
                                  const char          *method,
                                  const char          *path,
                                  GPtrArray           *params,
                                  const char          *idempotency_key,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  g_return_if_fail (TILL_IS_STRIPE_CLIENT (self));
  g_return_if_fail (path != NULL && path[0] == '/');

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_stripe_client_request_async);

  /* A GET's parameters (expand[], a search query) go into its query. */
  if (!g_str_equal (method, "POST") && params != NULL && params->len > 0)
    {
      g_autofree char *query = till_stripe_params_encode (params);

      url = g_strconcat (self->api_base, path, "?", query, NULL);
    }
  else
    url = g_strconcat (self->api_base, path, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, TILL_SERVER_ERROR, TILL_SERVER_ERROR_STRIPE_PROTOCOL,
                               "Invalid Stripe URL for %s", path);
      return;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Authorization", self->authorization);
  soup_message_headers_replace (headers, "Stripe-Version", STRIPE_API_VERSION);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);

  if (g_str_equal (method, "POST"))
    {
      g_autofree char *body = till_stripe_params_encode (params);
      gsize len = strlen (body);
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&body), len);

      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", bytes);
      g_object_set_data_full (G_OBJECT (msg), "till-body", g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
    }

  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  send_message (self, msg, g_steal_pointer (&task));
}

TillStripeResponse *
till_stripe_client_request_finish (TillStripeClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (TILL_IS_STRIPE_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* When Stripe last answered a request (any HTTP answer), in real time
 * microseconds; 0 when it has not since start-up. For GET /api/health. */
gint64
till_stripe_client_get_last_answer (TillStripeClient *self)
{
  g_return_val_if_fail (TILL_IS_STRIPE_CLIENT (self), 0);

  return self->last_answer;
}
