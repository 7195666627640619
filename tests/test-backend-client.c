/* test-backend-client.c: TillBackendClient against real servers
 *
 * The API cases run against a real till-server (and its Stripe stand-in);
 * the misbehaving-server cases against a small SoupServer on loopback that
 * answers garbage, too much, or nothing at all; the TLS cases against
 * till-server with a test certificate.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "till-backend-answers.h"
#include "till-backend-client.h"
#include "till-test-harness.h"
#include "till-test-liar.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-3"
#define HUGE_BODY_SIZE (2 * 1024 * 1024)

/* A shop in the charges mode, so that a declined card is a plain 402. */
static TillTestServer *shop;

/* Helpers */

static TillBackendClient *
new_client (const char *url)
{
  g_autoptr(GError) error = NULL;
  TillBackendClient *client = till_backend_client_new (url, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (client);
  return client;
}

static TillBackendResponse *
request (TillBackendClient    *client,
         const char           *method,
         const char           *path,
         const char           *token,
         const char           *key,
         const char           *json,
         GCancellable         *cancellable,
         TillBackendResponse **out_response,
         GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (json != NULL)
    {
      body = json_from_string (json, NULL);
      g_assert_nonnull (body);
    }
  till_backend_client_request_async (client, method, path, token, key, body, cancellable,
                                     till_test_result_cb, &result);
  return till_backend_client_request_finish (client, till_test_wait (&result), out_response, error);
}

static char *
login (TillBackendClient *client,
       const char        *username,
       const char        *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}",
                                           username, password);
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendResponse) response =
    request (client, "POST", "/api/login", NULL, NULL, body, NULL, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (till_backend_response_get_object (response),
                                                  "token"));
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}


/* The strict readers of answers, on raw bytes (no network): what a
 * fuzzer calls too. */

typedef enum
{
  READ_LOGIN,
  READ_CHECK_AUTH,
  READ_CONFIG,
  READ_PAYMENT,
  READ_LIST,
  READ_ERROR,
} Reader;

typedef struct
{
  Reader      reader;
  const char *name;
  const char *json;
  int         code;     /* TillAnswerError, or -1 when it must be read */
} AnswerCase;

#define OK (-1)
#define LOGIN_USER "\"user\":{\"id\":7,\"name\":\"alice\",\"role\":\"cashier\"}"
#define LOGIN_TOKEN "\"token\":\"9T5ArWyBqvx19CUeJCFPOx0G20VFDmwJDDIXprxTpfE\""
#define LOGIN_EXPIRY "\"expires_at\":\"2026-11-27T19:11:54Z\""
#define CONFIG_REST "\"currency_exponent\":2,\"country\":\"DE\",\"publishable_key\":\"pk_live_abc\"," \
                    "\"stripe_js_url\":\"https://js.stripe.com/v3/\",\"mode\":\"payment_intents\",\"moto\":false"
#define PAYMENT_REST "\"amount\":1250,\"currency\":\"EUR\",\"idempotency_key\":\"6a0f3c5e-1b2d-4c8e-9f00-0123456789ab\""
#define PAYMENT(extra) "{\"id\":\"pay_KRrIEaGdFpOmMa1iiV3qGKHA\",\"status\":\"succeeded\"," PAYMENT_REST extra "}"

static const AnswerCase answer_cases[] = {
  { READ_LOGIN, "ok", "{" LOGIN_TOKEN "," LOGIN_EXPIRY "," LOGIN_USER "}", OK },
  { READ_LOGIN, "token-nul", "{\"token\":\"9T5ArWyBqvx19CUeJCFPOx0G\\u0000\"," LOGIN_EXPIRY "," LOGIN_USER "}",
    TILL_ANSWER_ERROR_NOT_JSON },
  { READ_LOGIN, "token-missing", "{" LOGIN_EXPIRY "," LOGIN_USER "}", TILL_ANSWER_ERROR_MISSING },
  { READ_LOGIN, "token-number", "{\"token\":12345678901234567," LOGIN_EXPIRY "," LOGIN_USER "}",
    TILL_ANSWER_ERROR_WRONG_TYPE },
  { READ_LOGIN, "token-quote", "{\"token\":\"9T5ArWyBqvx19CUe\\\"JCFPOx0G20VF\"," LOGIN_EXPIRY "," LOGIN_USER "}",
    TILL_ANSWER_ERROR_INVALID },
  { READ_LOGIN, "role-nul", "{" LOGIN_TOKEN "," LOGIN_EXPIRY ",\"user\":{\"id\":7,\"name\":\"alice\",\"role\":\"manager\\u0000\"}}",
    TILL_ANSWER_ERROR_NOT_JSON },
  { READ_LOGIN, "role-root", "{" LOGIN_TOKEN "," LOGIN_EXPIRY ",\"user\":{\"id\":7,\"name\":\"alice\",\"role\":\"root\"}}",
    TILL_ANSWER_ERROR_INVALID },
  { READ_LOGIN, "user-array", "{" LOGIN_TOKEN "," LOGIN_EXPIRY ",\"user\":[]}", TILL_ANSWER_ERROR_WRONG_TYPE },
  { READ_LOGIN, "user-id-zero", "{" LOGIN_TOKEN "," LOGIN_EXPIRY ",\"user\":{\"id\":0,\"name\":\"alice\",\"role\":\"cashier\"}}",
    TILL_ANSWER_ERROR_INVALID },
  { READ_LOGIN, "name-empty", "{" LOGIN_TOKEN "," LOGIN_EXPIRY ",\"user\":{\"id\":7,\"name\":\"\",\"role\":\"cashier\"}}",
    TILL_ANSWER_ERROR_MISSING },
  { READ_LOGIN, "name-tab", "{" LOGIN_TOKEN "," LOGIN_EXPIRY ",\"user\":{\"id\":7,\"name\":\"al\\tice\",\"role\":\"cashier\"}}",
    TILL_ANSWER_ERROR_INVALID },
  { READ_LOGIN, "expiry-local", "{" LOGIN_TOKEN ",\"expires_at\":\"2026-11-27T19:11:54+01:00\"," LOGIN_USER "}",
    TILL_ANSWER_ERROR_INVALID },
  { READ_LOGIN, "not-object", "[1]", TILL_ANSWER_ERROR_NOT_JSON },
  { READ_LOGIN, "trailing", "{" LOGIN_TOKEN "," LOGIN_EXPIRY "," LOGIN_USER "} x", TILL_ANSWER_ERROR_NOT_JSON },
  { READ_CHECK_AUTH, "ok", "{" LOGIN_USER "," LOGIN_EXPIRY "}", OK },
  { READ_CHECK_AUTH, "no-user", "{" LOGIN_EXPIRY "}", TILL_ANSWER_ERROR_MISSING },
  { READ_CONFIG, "ok", "{\"shop_name\":\"Corner Caf\xc3\xa9\",\"currency\":\"EUR\"," CONFIG_REST "}", OK },
  { READ_CONFIG, "currency-nul", "{\"currency\":\"EU\\u0000\"," CONFIG_REST "}", TILL_ANSWER_ERROR_NOT_JSON },
  { READ_CONFIG, "currency-long", "{\"currency\":\"EURO\"," CONFIG_REST "}", TILL_ANSWER_ERROR_INVALID },
  { READ_CONFIG, "currency-digits", "{\"currency\":\"E1R\"," CONFIG_REST "}", TILL_ANSWER_ERROR_INVALID },
  { READ_CONFIG, "exponent-huge", "{\"currency\":\"EUR\",\"currency_exponent\":9,\"publishable_key\":\"pk_live_abc\","
                                  "\"stripe_js_url\":\"https://js.stripe.com/v3/\",\"mode\":\"charges\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_CONFIG, "mode-unknown", "{\"currency\":\"EUR\",\"currency_exponent\":2,\"publishable_key\":\"pk_live_abc\","
                                 "\"stripe_js_url\":\"https://js.stripe.com/v3/\",\"mode\":\"sources\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_CONFIG, "key-secret", "{\"currency\":\"EUR\",\"currency_exponent\":2,\"publishable_key\":\"sk_live_abc\","
                               "\"stripe_js_url\":\"https://js.stripe.com/v3/\",\"mode\":\"charges\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_CONFIG, "url-javascript", "{\"currency\":\"EUR\",\"currency_exponent\":2,\"publishable_key\":\"pk_live_abc\","
                                   "\"stripe_js_url\":\"javascript:alert(1)\",\"mode\":\"charges\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_CONFIG, "moto-string", "{\"currency\":\"EUR\",\"currency_exponent\":2,\"publishable_key\":\"pk_live_abc\","
                                "\"stripe_js_url\":\"https://js.stripe.com/v3/\",\"mode\":\"charges\",\"moto\":\"no\"}",
    TILL_ANSWER_ERROR_WRONG_TYPE },
  { READ_CONFIG, "shop-name-newline", "{\"shop_name\":\"Corner\\nCaf\xc3\xa9\",\"currency\":\"EUR\"," CONFIG_REST "}",
    TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "ok", PAYMENT (",\"card\":{\"brand\":\"visa\",\"last4\":\"4242\"},\"decline_code\":null"), OK },
  { READ_PAYMENT, "requires-action", "{\"id\":\"pay_4FLlOzdjchkZCu7bTCEHPQ00\",\"status\":\"requires_action\"," PAYMENT_REST
                                     ",\"client_secret\":\"pi_FJmpKEMz4YEi4rB3a13Sgy8B_secret_605VwR2Xj4aLoHbRp385RSE30\"}", OK },
  { READ_PAYMENT, "requires-action-no-secret", "{\"id\":\"pay_4F\",\"status\":\"requires_action\"," PAYMENT_REST "}",
    TILL_ANSWER_ERROR_MISSING },
  { READ_PAYMENT, "secret-path", "{\"id\":\"pay_4F\",\"status\":\"requires_action\"," PAYMENT_REST
                                 ",\"client_secret\":\"pi_1_secret_../../x\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "status-case", "{\"id\":\"pay_KR\",\"status\":\"Succeeded\"," PAYMENT_REST "}", TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "amount-negative", "{\"id\":\"pay_KR\",\"status\":\"succeeded\",\"amount\":-1,\"currency\":\"EUR\","
                                     "\"idempotency_key\":\"6a0f3c5e-1b2d\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "amount-huge", "{\"id\":\"pay_KR\",\"status\":\"succeeded\",\"amount\":100000000,\"currency\":\"EUR\","
                                 "\"idempotency_key\":\"6a0f3c5e-1b2d\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "amount-19-digits", "{\"id\":\"pay_KR\",\"status\":\"succeeded\",\"amount\":1000000000000001250,"
                                      "\"currency\":\"EUR\",\"idempotency_key\":\"6a0f3c5e-1b2d\"}", TILL_ANSWER_ERROR_NOT_JSON },
  { READ_PAYMENT, "key-short", "{\"id\":\"pay_KR\",\"status\":\"succeeded\",\"amount\":1,\"currency\":\"EUR\","
                               "\"idempotency_key\":\"short\"}", TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "id-other-prefix", "{\"id\":\"ref_KR\",\"status\":\"succeeded\"," PAYMENT_REST "}", TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "decline-code-upper", PAYMENT (",\"decline_code\":\"GENERIC\""), TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "message-long", PAYMENT (",\"last_error\":{\"code\":\"x\",\"message\":\""
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                                           "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"
                                           "\"}"), TILL_ANSWER_ERROR_INVALID },
  { READ_PAYMENT, "card-string", PAYMENT (",\"card\":\"visa 4242\""), TILL_ANSWER_ERROR_WRONG_TYPE },
  { READ_LIST, "ok", "{\"data\":[" PAYMENT ("") "],\"has_more\":false}", OK },
  { READ_LIST, "empty", "{\"data\":[],\"has_more\":false}", OK },
  { READ_LIST, "element-bad", "{\"data\":[" PAYMENT ("") ",7],\"has_more\":false}", TILL_ANSWER_ERROR_WRONG_TYPE },
  { READ_LIST, "data-object", "{\"data\":{},\"has_more\":false}", TILL_ANSWER_ERROR_WRONG_TYPE },
  { READ_ERROR, "ok", "{\"error\":{\"code\":\"card_declined\",\"decline_code\":\"insufficient_funds\","
                      "\"message\":\"Your card has insufficient funds.\"}}", OK },
  { READ_ERROR, "code-spaces", "{\"error\":{\"code\":\"card declined\"}}", TILL_ANSWER_ERROR_INVALID },
  { READ_ERROR, "code-nul", "{\"error\":{\"code\":\"card_declined\\u0000\"}}", TILL_ANSWER_ERROR_NOT_JSON },
  { READ_ERROR, "bad-utf8", "{\"error\":{\"code\":\"x\",\"message\":\"\xff\"}}", TILL_ANSWER_ERROR_NOT_JSON },
};

static const char *
reader_name (Reader reader)
{
  static const char *names[] = { "login", "check-auth", "config", "payment", "list", "error" };

  return names[reader];
}

static void
test_answer (gconstpointer data)
{
  const AnswerCase *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = till_answer_parse_object (c->json, strlen (c->json), &error);
  gboolean read = FALSE;

  if (object != NULL)
    switch (c->reader)
      {
      case READ_LOGIN:
      case READ_CHECK_AUTH:
        {
          g_autoptr(TillLoginAnswer) answer = till_login_answer_read (object, c->reader == READ_LOGIN, &error);

          if ((read = answer != NULL))
            g_assert_true (g_str_equal (answer->role, "cashier") && g_str_equal (answer->name, "alice"));
        }
        break;
      case READ_CONFIG:
        {
          g_autoptr(TillConfigAnswer) answer = till_config_answer_read (object, &error);

          read = answer != NULL;
        }
        break;
      case READ_PAYMENT:
        {
          g_autoptr(TillPaymentAnswer) answer = till_payment_answer_read (object, &error);

          read = answer != NULL;
        }
        break;
      case READ_LIST:
        {
          g_autoptr(GPtrArray) answer = till_payment_list_answer_read (object, NULL, &error);

          read = answer != NULL;
        }
        break;
      case READ_ERROR:
      default:
        {
          g_autoptr(TillErrorAnswer) answer = till_error_answer_read (object, &error);

          read = answer != NULL;
        }
        break;
      }
  if (c->code == OK)
    {
      g_assert_no_error (error);
      g_assert_true (read);
      return;
    }
  g_assert_false (read);
  g_test_message ("%s", error->message);
  g_assert_error (error, TILL_ANSWER_ERROR, c->code);
  /* The message names the member, never shows the value. */
  g_assert_null (strstr (error->message, "9T5ArWyBqvx19CUe"));
}

/* The API against till-server */

static void
test_login_ok (void)
{
  g_autoptr(TillBackendClient) client = new_client (shop->url);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  response = request (client, "POST", "/api/login", NULL, NULL,
                      "{\"username\":\"alice\",\"password\":\"" CASHIER_PASSWORD "\"}",
                      NULL, &error_response, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_null (error_response);
  g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
  g_assert_null (till_backend_response_get_error_code (response));
  object = till_backend_response_get_object (response);
  g_assert_nonnull (object);
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "token")), ==, 43);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "user"),
                                                  "role"), ==, "cashier");
}

static void
test_login_wrong_password (void)
{
  g_autoptr(TillBackendClient) client = new_client (shop->url);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  response = request (client, "POST", "/api/login", NULL, NULL,
                      "{\"username\":\"alice\",\"password\":\"not-her-password\"}",
                      NULL, &error_response, &error);
  g_assert_null (response);
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  /* The server's own words are in the developer message. */
  g_assert_nonnull (strstr (error->message, "Wrong username or password"));
  g_assert_nonnull (error_response);
  g_assert_cmpuint (till_backend_response_get_status (error_response), ==, 401);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==,
                   "invalid_credentials");
  g_assert_cmpuint (till_backend_response_get_retry_after (error_response), ==, 0);
}

static void
test_login_rate_limited (void)
{
  g_autoptr(TillTestServer) server =
    till_test_server_new (NULL, "[server]\nlogin-failures-per-user=2\n");
  g_autoptr(TillBackendClient) client = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  till_test_server_add_user (server, "rita", "cashier", "rita-password-1");
  till_test_server_start (server);
  client = new_client (server->url);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) wrong = NULL;

      g_assert_null (request (client, "POST", "/api/login", NULL, NULL,
                              "{\"username\":\"rita\",\"password\":\"guess-guess\"}",
                              NULL, NULL, &wrong));
      g_assert_error (wrong, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
    }

  g_assert_null (request (client, "POST", "/api/login", NULL, NULL,
                          "{\"username\":\"rita\",\"password\":\"rita-password-1\"}",
                          NULL, &error_response, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_RATE_LIMITED);
  g_assert_nonnull (error_response);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==, "rate_limited");
  g_assert_cmpuint (till_backend_response_get_retry_after (error_response), >, 0);
  g_assert_cmpuint (till_backend_response_get_retry_after (error_response), <=, 60);
}

static void
test_logout_no_content (void)
{
  g_autoptr(TillBackendClient) client = new_client (shop->url);
  g_autofree char *token = login (client, "alice", CASHIER_PASSWORD);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  response = request (client, "POST", "/api/logout", token, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (response), ==, 204);
  g_assert_null (till_backend_response_get_object (response));

  /* Revoked: the same token is refused now. */
  g_assert_null (request (client, "GET", "/api/check-auth", token, NULL, NULL, NULL,
                          &error_response, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==, "unauthorized");
}

static void
test_forbidden_and_not_found (void)
{
  g_autoptr(TillBackendClient) client = new_client (shop->url);
  g_autofree char *token = login (client, "alice", CASHIER_PASSWORD);
  g_autoptr(TillBackendResponse) forbidden = NULL;
  g_autoptr(TillBackendResponse) missing = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (request (client, "GET", "/api/reports/day", token, NULL, NULL,
                          NULL, &forbidden, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_FORBIDDEN);
  g_assert_cmpstr (till_backend_response_get_error_code (forbidden), ==, "forbidden");
  g_clear_error (&error);

  g_assert_null (request (client, "GET", "/api/no-such-thing", token, NULL, NULL, NULL,
                          &missing, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_REQUEST);
  g_assert_cmpuint (till_backend_response_get_status (missing), ==, 404);
  g_assert_cmpstr (till_backend_response_get_error_code (missing), ==, "not_found");
}

static char *
payment_body (gint64      amount,
              const char *source)
{
  return g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\","
                          "\"description\":\"Test sale\",\"token\":\"%s\"}", amount, source);
}

static void
test_declined_and_conflict (void)
{
  g_autoptr(TillBackendClient) client = new_client (shop->url);
  g_autofree char *token = login (client, "alice", CASHIER_PASSWORD);
  g_autofree char *declined_key = till_test_new_key ();
  g_autofree char *key = till_test_new_key ();
  g_autofree char *declined_body = payment_body (2000, "tok_chargeDeclined");
  g_autofree char *body = payment_body (1500, "tok_visa");
  g_autofree char *other_body = payment_body (1501, "tok_visa");
  g_autoptr(TillBackendResponse) declined = NULL;
  g_autoptr(TillBackendResponse) approved = NULL;
  g_autoptr(TillBackendResponse) conflict = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *payment;

  /* A 402 carries the payment: the caller reads it from out_response. */
  g_assert_null (request (client, "POST", "/api/payments", token, declined_key, declined_body,
                          NULL, &declined, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_DECLINED);
  g_assert_cmpstr (till_backend_response_get_error_code (declined), ==, "card_declined");
  payment = json_object_get_object_member (till_backend_response_get_object (declined), "payment");
  g_assert_cmpstr (json_object_get_string_member (payment, "status"), ==, "declined");
  g_clear_error (&error);

  approved = request (client, "POST", "/api/payments", token, key, body, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (approved), ==, 201);
  payment = json_object_get_object_member (till_backend_response_get_object (approved), "payment");
  /* The Idempotency-Key header reached the server. */
  g_assert_cmpstr (json_object_get_string_member (payment, "idempotency_key"), ==, key);

  g_assert_null (request (client, "POST", "/api/payments", token, key, other_body, NULL,
                          &conflict, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_CONFLICT);
  g_assert_cmpuint (till_backend_response_get_status (conflict), ==, 409);
}

static guint16
closed_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  /* Bound but never listening, then closed: nothing answers there. */
  g_socket_close (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_server_down (void)
{
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr(TillBackendClient) client = new_client (url);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (request (client, "GET", "/api/config", "token", NULL, NULL, NULL,
                          &error_response, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_NETWORK);
  g_assert_null (error_response);
}

#define DROP_LANES      4
#define DROP_REQUESTS   480

typedef struct
{
  TillBackendClient *client;
  const char        *token;
  guint              left;
  guint              in_flight;
  guint              ok;
  guint              dropped;
} DropRun;

static void drop_run_next (DropRun *run);

static void
drop_run_answered_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  DropRun *run = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result, NULL, &error);
  if (response != NULL)
    run->ok++;
  else if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_NETWORK))
    run->dropped++;
  else
    g_error ("A dropped connection read as something else: %s", error->message);
  run->in_flight--;
  drop_run_next (run);
}

static void
drop_run_next (DropRun *run)
{
  if (run->left == 0)
    return;
  run->left--;
  run->in_flight++;
  till_backend_client_request_async (run->client, "GET", "/api/check-auth", run->token, NULL, NULL, NULL,
                                     drop_run_answered_cb, run);
}

static gboolean
drop_run_done (gconstpointer data)
{
  const DropRun *run = data;

  return run->left == 0 && run->in_flight == 0;
}

/* A proxy in front of the server keeps connections alive and drops every
 * third GET while four are in flight (two on the wire, libsoup's limit for
 * one host; the others wait for a connection): each request ends, the dropped ones
 * as "network" errors, one for each drop (nothing sent twice behind the
 * cashier's back), and the terminal does not crash, as it could when
 * libsoup 3.2 resent a dropped GET on another kept-alive connection
 * (docs/server.md, "A connection of its own for every call"). */
static void
test_dropped_in_parallel (void)
{
  TillTestProxy *proxy = till_test_proxy_start (shop->url);
  g_autoptr(TillBackendClient) client = new_client (proxy->url);
  g_autofree char *token = login (client, "alice", CASHIER_PASSWORD);
  g_autoptr(GString) plan = g_string_new ("[");
  g_autoptr(JsonNode) log = NULL;
  DropRun run = { .client = client, .token = token, .left = DROP_REQUESTS };
  guint gets = 0;
  guint dropped = 0;

  for (guint i = 0; i < DROP_REQUESTS; i++)
    g_string_append_printf (plan, "%s\"%s\"", i ? "," : "", i % 3 == 2 ? "drop_before" : "pass");
  g_string_append_c (plan, ']');
  till_test_proxy_plan (proxy, plan->str, 0);

  for (guint i = 0; i < DROP_LANES; i++)
    drop_run_next (&run);
  till_test_wait_until (drop_run_done, &run, 240, "every request ended");

  log = till_test_proxy_get_log (proxy);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (log)); i++)
    {
      JsonObject *entry = json_array_get_object_element (json_node_get_array (log), i);

      if (!g_str_equal (json_object_get_string_member (entry, "method"), "GET"))
        continue;
      gets++;
      if (json_object_get_null_member (entry, "status"))
        dropped++;
    }
  g_test_message ("%u answered, %u dropped (the proxy dropped %u)", run.ok, run.dropped, dropped);
  g_assert_cmpuint (gets, ==, DROP_REQUESTS);
  g_assert_cmpuint (dropped, ==, DROP_REQUESTS / 3);
  g_assert_cmpuint (run.dropped, ==, dropped);
  g_assert_cmpuint (run.ok, ==, DROP_REQUESTS - dropped);
  till_test_proxy_assert_fresh_connections (log);
  till_test_proxy_free (proxy);
}

/* A misbehaving server */

static const char endless_chunk[8192] = { 'x' };

static void
endless_wrote_chunk_cb (SoupServerMessage *msg,
                        gpointer           user_data)
{
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                            endless_chunk, sizeof endless_chunk);
}

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *content_type,
         const char        *body)
{
  soup_server_message_set_status (msg, status, NULL);
  if (body != NULL)
    soup_server_message_set_response (msg, content_type, SOUP_MEMORY_COPY, body, strlen (body));
}

static void
respond_echo (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autofree char *text = NULL;
  g_autofree char *request_body = g_strndup (g_bytes_get_data (bytes, NULL),
                                             g_bytes_get_size (bytes));
  const char *names[] = {
    "Authorization", "Idempotency-Key", "Content-Type", "User-Agent", "Accept",
  };

  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      json_builder_set_member_name (builder, names[i]);
      json_builder_add_string_value (builder, soup_message_headers_get_one (headers, names[i]));
    }
  json_builder_set_member_name (builder, "body");
  json_builder_add_string_value (builder, request_body);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  respond (msg, 200, "application/json", text);
}

static void
garbage_handler_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);

  if (g_str_equal (path, "/not-json"))
    respond (msg, 200, "application/json", "this is not JSON");
  else if (g_str_equal (path, "/csv"))
    respond (msg, 200, "text/csv; charset=utf-8", "date,net\r\n2026-12-06,4030\r\n");
  else if (g_str_equal (path, "/array"))
    respond (msg, 200, "application/json", "[1, 2, 3]");
  else if (g_str_equal (path, "/string"))
    respond (msg, 200, "application/json", "\"hello\"");
  else if (g_str_equal (path, "/empty"))
    respond (msg, 200, "application/json", NULL);
  else if (g_str_equal (path, "/huge") || g_str_equal (path, "/huge-chunked"))
    {
      g_autofree char *huge = g_malloc (HUGE_BODY_SIZE + 1);

      memset (huge, ' ', HUGE_BODY_SIZE);
      huge[0] = '{';
      huge[HUGE_BODY_SIZE - 1] = '}';
      huge[HUGE_BODY_SIZE] = '\0';
      if (g_str_equal (path, "/huge-chunked"))
        soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      respond (msg, 200, "application/json", huge);
    }
  else if (g_str_equal (path, "/endless"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      soup_message_headers_set_content_type (response_headers, "application/json", NULL);
      soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_STATIC,
                                "{\"a\":\"", 6);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (endless_wrote_chunk_cb), NULL);
    }
  else if (g_str_equal (path, "/deep"))
    {
      /* Deep enough to overflow json-glib's recursive parser. */
      g_autofree char *deep = g_malloc (400000 + 1);

      memset (deep, '[', 400000);
      deep[400000] = '\0';
      respond (msg, 200, "application/json", deep);
    }
  else if (g_str_equal (path, "/nul-string"))
    respond (msg, 200, "application/json", "{\"token\":\"t\\u0000t\",\"role\":\"manager\\u0000\"}");
  else if (g_str_equal (path, "/lone-surrogate"))
    respond (msg, 200, "application/json", "{\"name\":\"\\ud800\"}");
  else if (g_str_equal (path, "/bad-utf8"))
    respond (msg, 200, "application/json", "{\"name\":\"caf\xe9\"}");
  else if (g_str_equal (path, "/duplicate-key"))
    respond (msg, 200, "application/json", "{\"role\":\"cashier\",\"role\":\"manager\"}");
  else if (g_str_equal (path, "/error-code-nul"))
    respond (msg, 402, "application/json",
             "{\"error\":{\"code\":\"card_declined\\u0000x\",\"message\":\"Declined\"}}");
  else if (g_str_equal (path, "/error-code-bad"))
    respond (msg, 402, "application/json", "{\"error\":{\"code\":\"Card Declined!\",\"message\":\"Declined\"}}");
  else if (g_str_equal (path, "/hang"))
    soup_server_message_pause (msg);   /* and never unpaused */
  else if (g_str_equal (path, "/html-500"))
    respond (msg, 500, "text/html", "<html><body><h1>Internal Server Error</h1></body></html>");
  else if (g_str_equal (path, "/echo"))
    respond_echo (msg);
  else if (g_str_equal (path, "/retry-after-date"))
    {
      g_autoptr(GDateTime) later =
        g_date_time_new_from_unix_utc (g_get_real_time () / G_USEC_PER_SEC + 120);
      g_autofree char *date = soup_date_time_to_string (later, SOUP_DATE_HTTP);

      soup_message_headers_replace (response_headers, "Retry-After", date);
      respond (msg, 429, "application/json",
               "{\"error\":{\"code\":\"slow_down\",\"message\":\"Later\"}}");
    }
  else if (g_str_has_prefix (path, "/status/"))
    {
      guint64 status = g_ascii_strtoull (path + strlen ("/status/"), NULL, 10);
      g_autofree char *body =
        g_strdup_printf ("{\"error\":{\"code\":\"code_%u\",\"message\":\"Status %u\"}}",
                         (guint) status, (guint) status);

      if (status == 429)
        soup_message_headers_replace (response_headers, "Retry-After", "7");
      if (status == 302)
        soup_message_headers_replace (response_headers, "Location", "http://192.0.2.1/");
      respond (msg, (guint) status, "application/json", body);
    }
  else
    respond (msg, 404, "text/plain", "not here");
}

typedef struct
{
  SoupServer *server;
  char       *url;
} Garbage;

static void
garbage_free (Garbage *garbage)
{
  soup_server_disconnect (garbage->server);
  g_object_unref (garbage->server);
  g_free (garbage->url);
  g_free (garbage);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Garbage, garbage_free)

static Garbage *
garbage_server_new (void)
{
  Garbage *garbage = g_new0 (Garbage, 1);

  garbage->server = till_test_loopback_server_new (garbage_handler_cb, NULL, &garbage->url);
  return garbage;
}

static void
assert_bad_response (const char *path,
                     guint       expected_status)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  till_backend_client_set_timeouts (client, 5, 10);
  g_assert_null (request (client, "GET", path, NULL, NULL, NULL, NULL, &error_response, &error));
  g_test_message ("%s", error ? error->message : "(no error)");
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE);
  g_assert_nonnull (error_response);
  g_assert_cmpuint (till_backend_response_get_status (error_response), ==, expected_status);
  g_assert_null (till_backend_response_get_object (error_response));
  /* Refused as soon as it is known, not when a timeout ends it. */
  g_assert_cmpfloat (seconds_since (start), <, 5.0);
}

static void
test_garbage_not_json (void)
{
  assert_bad_response ("/not-json", 200);
}

/* Strict JSON only: json-glib would cut the first at the NUL, take the
 * last of two keys, and pass the broken text on. */
static void
test_garbage_not_strict (void)
{
  assert_bad_response ("/nul-string", 200);
  assert_bad_response ("/lone-surrogate", 200);
  assert_bad_response ("/bad-utf8", 200);
  assert_bad_response ("/duplicate-key", 200);
}

/* An error answer whose code is not the API's is no API error: no code
 * to branch on (a 402 is then no decline, for one). */
static void
test_garbage_error_code (void)
{
  const char *paths[] = { "/error-code-nul", "/error-code-bad" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(Garbage) garbage = garbage_server_new ();
      g_autoptr(TillBackendClient) client = new_client (garbage->url);
      g_autoptr(TillBackendResponse) error_response = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_null (request (client, "GET", paths[i], NULL, NULL, NULL, NULL, &error_response, &error));
      g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_DECLINED);
      g_assert_nonnull (error_response);
      g_assert_null (till_backend_response_get_error_code (error_response));
    }
}

static void
test_garbage_not_an_object (void)
{
  assert_bad_response ("/array", 200);
  assert_bad_response ("/string", 200);
}

static void
test_garbage_too_large (void)
{
  assert_bad_response ("/huge", 200);
}

static void
test_garbage_too_large_chunked (void)
{
  assert_bad_response ("/huge-chunked", 200);
}

static void
test_garbage_endless (void)
{
  assert_bad_response ("/endless", 200);
}

static void
test_garbage_deep (void)
{
  assert_bad_response ("/deep", 200);
}

static TillBackendResponse *
get_text (TillBackendClient    *client,
          const char           *path,
          TillBackendResponse **out_response,
          GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_backend_client_get_text_async (client, path, NULL, "text/csv", NULL, till_test_result_cb, &result);
  return till_backend_client_request_finish (client, till_test_wait (&result), out_response, error);
}

/* A CSV export: the body as it came, of the media type asked for only;
 * an error answer is the API's JSON as for any request. */
static void
test_text_answer (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) wrong_type = NULL;
  g_autoptr(TillBackendResponse) refused = NULL;
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data;

  response = get_text (client, "/csv", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
  g_assert_null (till_backend_response_get_object (response));
  data = g_bytes_get_data (till_backend_response_get_text (response), &size);
  g_assert_cmpmem (data, size, "date,net\r\n2026-12-06,4030\r\n", 27);

  g_assert_null (get_text (client, "/not-json", &wrong_type, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE);
  g_assert_null (till_backend_response_get_text (wrong_type));
  g_clear_error (&error);

  g_assert_null (get_text (client, "/status/403", &refused, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_FORBIDDEN);
  g_assert_cmpstr (till_backend_response_get_error_code (refused), ==, "code_403");
  g_assert_null (till_backend_response_get_text (refused));

  /* A JSON request is not given a text answer. */
  g_clear_error (&error);
  g_assert_null (request (client, "GET", "/csv", NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE);
}

static void
test_empty_success (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = request (client, "GET", "/empty", NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
  g_assert_null (till_backend_response_get_object (response));
}

static void
test_error_status_html (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  /* An error status maps by status, whatever the body is. */
  g_assert_null (request (client, "GET", "/html-500", NULL, NULL, NULL, NULL, &error_response,
                          &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_SERVER);
  g_assert_cmpuint (till_backend_response_get_status (error_response), ==, 500);
  g_assert_null (till_backend_response_get_object (error_response));
  g_assert_null (till_backend_response_get_error_code (error_response));
}

typedef struct
{
  guint status;
  int   code;
} StatusCase;

static const StatusCase status_cases[] = {
  { 400, TILL_BACKEND_ERROR_BAD_REQUEST },
  { 401, TILL_BACKEND_ERROR_UNAUTHORIZED },
  { 402, TILL_BACKEND_ERROR_DECLINED },
  { 403, TILL_BACKEND_ERROR_FORBIDDEN },
  { 404, TILL_BACKEND_ERROR_BAD_REQUEST },
  { 409, TILL_BACKEND_ERROR_CONFLICT },
  { 413, TILL_BACKEND_ERROR_BAD_REQUEST },
  { 429, TILL_BACKEND_ERROR_RATE_LIMITED },
  { 500, TILL_BACKEND_ERROR_SERVER },
  { 502, TILL_BACKEND_ERROR_SERVER },
  { 503, TILL_BACKEND_ERROR_SERVER },
  /* Redirects are not followed: the API has none. */
  { 302, TILL_BACKEND_ERROR_BAD_RESPONSE },
};

static void
test_status_mapping (gconstpointer data)
{
  const StatusCase *c = data;
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("/status/%u", c->status);
  g_autofree char *code = g_strdup_printf ("code_%u", c->status);
  g_autofree char *message = g_strdup_printf ("Status %u", c->status);

  g_assert_null (request (client, "POST", path, "a-token", NULL, "{}", NULL, &error_response,
                          &error));
  g_assert_error (error, TILL_BACKEND_ERROR, c->code);
  g_assert_nonnull (strstr (error->message, message));
  g_assert_cmpuint (till_backend_response_get_status (error_response), ==, c->status);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==, code);
  g_assert_cmpuint (till_backend_response_get_retry_after (error_response), ==,
                    c->status == 429 ? 7 : 0);
}

static void
test_retry_after_date (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (request (client, "GET", "/retry-after-date", NULL, NULL, NULL, NULL,
                          &error_response, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_RATE_LIMITED);
  g_assert_cmpuint (till_backend_response_get_retry_after (error_response), >=, 110);
  g_assert_cmpuint (till_backend_response_get_retry_after (error_response), <=, 120);
}

static void
test_request_headers (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) bare = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *echo;

  response = request (client, "POST", "/echo", "tok-123", "key-456", "{\"amount\":5}", NULL, NULL,
                      &error);
  g_assert_no_error (error);
  echo = till_backend_response_get_object (response);
  g_assert_cmpstr (json_object_get_string_member (echo, "Authorization"), ==, "Bearer tok-123");
  g_assert_cmpstr (json_object_get_string_member (echo, "Idempotency-Key"), ==, "key-456");
  g_assert_cmpstr (json_object_get_string_member (echo, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (json_object_get_string_member (echo, "User-Agent"), ==, "Till/" PACKAGE_VERSION);
  g_assert_cmpstr (json_object_get_string_member (echo, "Accept"), ==, "application/json");
  g_assert_cmpstr (json_object_get_string_member (echo, "body"), ==, "{\"amount\":5}");

  bare = request (client, "GET", "/echo", NULL, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  echo = till_backend_response_get_object (bare);
  g_assert_true (json_object_get_null_member (echo, "Authorization"));
  g_assert_true (json_object_get_null_member (echo, "Idempotency-Key"));
}

/* Deadlines and cancellation */

static void
test_timeout_no_answer (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  double elapsed;

  till_backend_client_set_timeouts (client, 1, 2);
  g_assert_null (request (client, "GET", "/hang", NULL, NULL, NULL, NULL, &error_response, &error));
  elapsed = seconds_since (start);
  g_test_message ("%s after %.2f s", error ? error->message : "(no error)", elapsed);
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT);
  g_assert_null (error_response);
  /* The connection was up at once, so the whole-request deadline ended it:
   * not before it, and not never. The upper bound is loose on purpose (a
   * loaded machine under ASan takes seconds more); it still tells a
   * deadline that works from a request that hangs. */
  g_assert_cmpfloat (elapsed, >=, 1.8);
  g_assert_cmpfloat (elapsed, <, 15.0);
}

typedef struct
{
  GSocketService *service;
  GPtrArray      *connections;
  guint16         port;
} Silent;

static gboolean
silent_incoming_cb (GSocketService    *service,
                    GSocketConnection *connection,
                    GObject           *source,
                    gpointer           user_data)
{
  Silent *silent = user_data;

  /* Kept open and never answered: the TLS handshake never ends. */
  g_ptr_array_add (silent->connections, g_object_ref (connection));
  return TRUE;
}

static void
test_timeout_connect (void)
{
  Silent silent = { g_socket_service_new (), g_ptr_array_new_with_free_func (g_object_unref), 0 };
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(TillBackendClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  gint64 start;
  double elapsed;

  g_socket_listener_add_address (G_SOCKET_LISTENER (silent.service), any, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (silent.service, "incoming", G_CALLBACK (silent_incoming_cb), &silent);
  g_socket_service_start (silent.service);

  url = g_strdup_printf ("https://127.0.0.1:%u",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  client = new_client (url);
  till_backend_client_set_timeouts (client, 1, 30);

  start = g_get_monotonic_time ();
  g_assert_null (request (client, "GET", "/api/config", NULL, NULL, NULL, NULL, NULL, &error));
  elapsed = seconds_since (start);
  g_test_message ("%s after %.2f s", error ? error->message : "(no error)", elapsed);
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "connect"));
  /* The 1 s connect deadline ended it, not the 30 s one of the request
   * (with room for a loaded machine under ASan, which took 3.4 s once). */
  g_assert_cmpfloat (elapsed, >=, 0.8);
  g_assert_cmpfloat (elapsed, <, 15.0);
  g_assert_cmpuint (silent.connections->len, >=, 1);

  g_socket_service_stop (silent.service);
  g_socket_listener_close (G_SOCKET_LISTENER (silent.service));
  g_object_unref (silent.service);
  g_ptr_array_unref (silent.connections);
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (void)
{
  g_autoptr(Garbage) garbage = garbage_server_new ();
  g_autoptr(TillBackendClient) client = new_client (garbage->url);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_timeout_add (200, cancel_cb, cancellable);
  g_assert_null (request (client, "GET", "/hang", NULL, NULL, NULL, cancellable, NULL, &error));
  /* Passed through as it is, not turned into a timeout. */
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (seconds_since (start), <, 5.0);
}

/* Addresses */

static void
test_plain_http_refused (void)
{
  const char *refused[] = {
    "http://192.0.2.1",
    "http://192.0.2.1:8080/",
    "http://shop.example",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io",
    "http://[2001:db8::1]:80",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TillBackendClient) client = NULL;
      gint64 start = g_get_monotonic_time ();

      /* Refused by the constructor: no request, so no connection, ever. */
      client = till_backend_client_new (refused[i], NULL, &error);
      g_assert_null (client);
      g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL);
      g_assert_nonnull (strstr (error->message, "https://"));
      /* Far below any connect timeout (a loaded machine can stall a
       * process for a good part of a second). */
      g_assert_cmpfloat (seconds_since (start), <, 2.0);
    }
}

static void
test_invalid_urls (void)
{
  const char *invalid[] = {
    "",
    "shop.example",
    "ftp://shop.example",
    "file:///etc/passwd",
    "https://",
    "https://user:secret@shop.example",
    "https://shop.example/?x=1",
    "https://shop.example/#top",
    "https://shop example",
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TillBackendClient) client = till_backend_client_new (invalid[i], NULL, &error);

      g_assert_null (client);
      g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL);
    }
}

static void
test_url_forms (void)
{
  const struct { const char *url; const char *normalised; } cases[] = {
    { "https://192.0.2.1", "https://192.0.2.1" },
    { "https://shop.example:8443/", "https://shop.example:8443" },
    { "HTTPS://Shop.Example:443", "https://shop.example" },
    { "https://shop.example/till//", "https://shop.example/till" },
    { "http://127.0.0.1:8080/", "http://127.0.0.1:8080" },
    { "http://127.1.2.3", "http://127.1.2.3" },
    { "http://localhost:3000", "http://localhost:3000" },
    { "http://LOCALHOST", "http://localhost" },
    { "http://[::1]:8080", "http://[::1]:8080" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TillBackendClient) client = till_backend_client_new (cases[i].url, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (till_backend_client_get_base_url (client), ==, cases[i].normalised);
    }
}

/* TLS */

static TillTestServer *
start_tls_shop (char **out_cert)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-tls-XXXXXX");
  g_autofree char *key = NULL;
  g_autofree char *config = NULL;
  TillTestServer *server;

  g_assert_no_error (error);
  till_test_make_certificate (dir, out_cert, &key);
  config = g_strdup_printf ("[server]\ntls-certificate=%s\ntls-key=%s\n", *out_cert, key);
  server = till_test_server_new (NULL, config);
  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_start (server);
  g_assert_true (g_str_has_prefix (server->url, "https://"));
  return server;
}

static void
test_tls (void)
{
  g_autofree char *cert = NULL;
  g_autoptr(TillTestServer) server = start_tls_shop (&cert);
  g_autoptr(TillBackendClient) untrusting = new_client (server->url);
  g_autoptr(TillBackendClient) trusting = NULL;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  const char *login_body = "{\"username\":\"alice\",\"password\":\"" CASHIER_PASSWORD "\"}";

  /* Self-signed, so not trusted by the system: refused, never accepted. */
  g_assert_null (request (untrusting, "POST", "/api/login", NULL, NULL, login_body, NULL, NULL,
                          &error));
  g_test_message ("%s", error ? error->message : "(no error)");
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS);
  g_clear_error (&error);

  trusting = till_backend_client_new (server->url, cert, &error);
  g_assert_no_error (error);
  response = request (trusting, "POST", "/api/login", NULL, NULL, login_body, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
}

static void
test_tls_bad_ca_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendClient) missing = NULL;
  g_autoptr(TillBackendClient) not_pem = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("till-not-a-cert-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (write (fd, "not a certificate\n", 18), ==, 18);
  close (fd);

  missing = till_backend_client_new ("https://127.0.0.1", "/nonexistent/ca.pem", &error);
  g_assert_null (missing);
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS);
  g_clear_error (&error);

  not_pem = till_backend_client_new ("https://127.0.0.1", path, &error);
  g_assert_null (not_pem);
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backend-client/api/login-ok", test_login_ok);
  g_test_add_func ("/backend-client/api/wrong-password", test_login_wrong_password);
  g_test_add_func ("/backend-client/api/rate-limited", test_login_rate_limited);
  g_test_add_func ("/backend-client/api/logout-no-content", test_logout_no_content);
  g_test_add_func ("/backend-client/api/forbidden-and-not-found", test_forbidden_and_not_found);
  g_test_add_func ("/backend-client/api/declined-and-conflict", test_declined_and_conflict);
  g_test_add_func ("/backend-client/api/server-down", test_server_down);
  g_test_add_func ("/backend-client/api/dropped-in-parallel", test_dropped_in_parallel);
  g_test_add_func ("/backend-client/answers/not-json", test_garbage_not_json);
  g_test_add_func ("/backend-client/answers/not-an-object", test_garbage_not_an_object);
  g_test_add_func ("/backend-client/answers/not-strict", test_garbage_not_strict);
  for (guint i = 0; i < G_N_ELEMENTS (answer_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/backend-answers/%s/%s", reader_name (answer_cases[i].reader),
                                               answer_cases[i].name);

      g_test_add_data_func (path, &answer_cases[i], test_answer);
    }
  g_test_add_func ("/backend-client/answers/error-code", test_garbage_error_code);
  g_test_add_func ("/backend-client/answers/too-large", test_garbage_too_large);
  g_test_add_func ("/backend-client/answers/too-large-chunked", test_garbage_too_large_chunked);
  g_test_add_func ("/backend-client/answers/endless", test_garbage_endless);
  g_test_add_func ("/backend-client/answers/too-deep", test_garbage_deep);
  g_test_add_func ("/backend-client/answers/text", test_text_answer);
  g_test_add_func ("/backend-client/answers/empty-success", test_empty_success);
  g_test_add_func ("/backend-client/answers/error-status-html", test_error_status_html);
  g_test_add_func ("/backend-client/answers/retry-after-date", test_retry_after_date);
  for (guint i = 0; i < G_N_ELEMENTS (status_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/backend-client/status/%u", status_cases[i].status);

      g_test_add_data_func (path, &status_cases[i], test_status_mapping);
    }
  g_test_add_func ("/backend-client/request/headers", test_request_headers);
  g_test_add_func ("/backend-client/deadline/no-answer", test_timeout_no_answer);
  g_test_add_func ("/backend-client/deadline/connect", test_timeout_connect);
  g_test_add_func ("/backend-client/deadline/cancel", test_cancel);
  g_test_add_func ("/backend-client/url/plain-http-refused", test_plain_http_refused);
  g_test_add_func ("/backend-client/url/invalid", test_invalid_urls);
  g_test_add_func ("/backend-client/url/forms", test_url_forms);
  g_test_add_func ("/backend-client/tls/ca-file", test_tls);
  g_test_add_func ("/backend-client/tls/bad-ca-file", test_tls_bad_ca_file);

  shop = till_test_server_new (NULL, "[stripe]\nmode=charges\n");
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);

  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
