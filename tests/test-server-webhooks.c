/* test-server-webhooks.c: Stripe's webhook events at till-server
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Over real HTTP: the Stripe stand-in sends signed events as Stripe does
 * (tests/stripe-standin, "Webhooks") for what happens at Stripe without
 * Till: a refund in the Dashboard, a dispute, a payment whose answer was
 * lost. An attacker's events are signed here, with GLib's own HMAC (not
 * till-server's code): a forged signature, an altered body, an old
 * timestamp, a replay. Each must reach the payment's record and the day
 * totals exactly once, or not at all.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-3"
#define SECRET_OLD       "whsec_test_rolled_out_0000000000"
#define SECRET           "whsec_test_endpoint_secret_12345"

static TillTestServer *
start_shop (gboolean    with_secrets,
            const char *more_config)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-webhook-secrets-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "webhook-secrets", NULL);
  g_autofree char *extra = g_strdup_printf ("[stripe]\nwebhook-secrets-file=%s\n%s", path,
                                            more_config ? more_config : "");
  TillTestServer *server;

  g_assert_no_error (error);
  /* Two secrets, as while Stripe rolls the endpoint's secret. */
  g_file_set_contents_full (path, SECRET_OLD "\n" SECRET "\n", -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);
  server = till_test_server_new (NULL, with_secrets ? extra : more_config);
  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (server, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (server);
  return server;
}

static void
stop_listening (void)
{
  json_node_unref (till_test_stripe_call ("DELETE", "/__standin/webhook_endpoints", NULL));
}

static void
listen_to_stripe (TillTestServer *server)
{
  g_autofree char *body = g_strdup_printf ("{\"url\":\"%s/api/stripe/webhook\",\"secret\":\"%s\"}",
                                           server->url, SECRET);

  stop_listening ();
  json_node_unref (till_test_stripe_call ("POST", "/__standin/webhook_endpoints", body));
}


static char *
approved_payment (TillTestServer *server,
                  gint64          amount)
{
  g_autofree char *token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\","
                                           "\"token\":\"pm_card_visa\"}", amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/payments", token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

/* The PaymentIntent at the stand-in that till-server made for payment_id. */
static char *
intent_of (const char *payment_id)
{
  char *id = till_test_stripe_find ("/v1/payment_intents", "till_payment_id", payment_id);

  if (id == NULL)
    g_error ("No PaymentIntent for %s at the stand-in", payment_id);
  return id;
}

static TillTestResponse *
get_payment (TillTestServer *server,
             const char     *payment_id)
{
  g_autofree char *token = till_test_server_login (server, "morgan", MANAGER_PASSWORD);
  g_autofree char *path = g_strdup_printf ("/api/payments/%s", payment_id);
  TillTestResponse *response = till_test_get (server, path, token);

  g_assert_cmpuint (response->status, ==, 200);
  return response;
}

static TillTestResponse *
today (TillTestServer *server)
{
  g_autofree char *token = till_test_server_login (server, "morgan", MANAGER_PASSWORD);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *path = g_strdup_printf ("/api/reports/day?date=%s", date);
  TillTestResponse *response = till_test_get (server, path, token);

  g_assert_cmpuint (response->status, ==, 200);
  return response;
}

/* Each delivery the stand-in made was answered 200 with this outcome. */
static void
assert_delivered (JsonArray  *deliveries,
                  const char *outcome)
{
  g_assert_cmpuint (json_array_get_length (deliveries), >=, 1);
  for (guint i = 0; i < json_array_get_length (deliveries); i++)
    {
      JsonObject *delivery = json_array_get_object_element (deliveries, i);
      g_autofree char *expected = g_strdup_printf ("\"outcome\":\"%s\"", outcome);

      if (json_object_get_int_member (delivery, "status") != 200)
        g_error ("A delivery was not taken: %s",
                 json_to_string (json_array_get_element (deliveries, i), FALSE));
      if (outcome != NULL && strstr (json_object_get_string_member (delivery, "body"), expected) == NULL)
        g_error ("Expected %s in %s", expected, json_object_get_string_member (delivery, "body"));
    }
}

/* A refund made in Stripe's Dashboard: refund.created and charge.refunded
 * both name it; it is counted once, in the payment and the day. A replay
 * of either changes nothing. */
static void
test_dashboard_refund (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 5000);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *request = g_strdup_printf ("{\"payment_intent\":\"%s\",\"amount\":2000}", intent);
  g_autoptr(JsonNode) refunded = NULL;
  g_autoptr(JsonNode) replay = NULL;
  g_autoptr(TillTestResponse) payment = NULL;
  g_autoptr(TillTestResponse) day = NULL;
  g_autofree char *resend = NULL;
  JsonArray *events;

  listen_to_stripe (server);
  refunded = till_test_stripe_call ("POST", "/__standin/dashboard/refunds", request);
  assert_delivered (json_object_get_array_member (json_node_get_object (refunded), "deliveries"), "handled");

  payment = get_payment (server, payment_id);
  g_assert_cmpint (till_test_json_int (payment->json, "amount_refunded"), ==, 2000);
  day = today (server);
  g_assert_cmpint (till_test_json_int (day->json, "refunds.count"), ==, 1);
  g_assert_cmpint (till_test_json_int (day->json, "refunds.amount"), ==, 2000);
  g_assert_cmpint (till_test_json_int (day->json, "net"), ==, 3000);

  /* Stripe delivers again (it may): the same event is no new refund. */
  events = json_object_get_array_member (json_node_get_object (refunded), "events");
  resend = g_strdup_printf ("/__standin/events/%s/resend", json_array_get_string_element (events, 0));
  replay = till_test_stripe_call ("POST", resend, NULL);
  assert_delivered (json_object_get_array_member (json_node_get_object (replay), "deliveries"), "duplicate");
  {
    g_autoptr(TillTestResponse) again = get_payment (server, payment_id);
    g_autoptr(TillTestResponse) day_again = today (server);

    g_assert_cmpint (till_test_json_int (again->json, "amount_refunded"), ==, 2000);
    g_assert_cmpint (till_test_json_int (day_again->json, "refunds.count"), ==, 1);
  }
  stop_listening ();
}

static void
test_dispute (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 7700);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *request = g_strdup_printf ("{\"payment_intent\":\"%s\"}", intent);
  g_autoptr(JsonNode) disputed = NULL;
  g_autoptr(TillTestResponse) payment = NULL;
  g_autoptr(TillTestResponse) day = NULL;

  listen_to_stripe (server);
  disputed = till_test_stripe_call ("POST", "/__standin/dashboard/disputes", request);
  assert_delivered (json_object_get_array_member (json_node_get_object (disputed), "deliveries"), "handled");

  payment = get_payment (server, payment_id);
  g_assert_cmpstr (till_test_json_string (payment->json, "dispute.status"), ==, "needs_response");
  day = today (server);
  g_assert_cmpint (till_test_json_int (day->json, "disputes.count"), ==, 1);
  g_assert_cmpint (till_test_json_int (day->json, "disputes.amount"), ==, 7700);
  stop_listening ();
}

/* A payment whose answer from Stripe came too late: pending at
 * till-server, succeeded at Stripe. Stripe's payment_intent.succeeded
 * makes till-server read the intent back, and the payment is approved;
 * nothing is charged again. */
static void
test_payment_settles_later (void)
{
  g_autoptr(TillTestServer) server = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autofree char *intent = NULL;
  g_autofree char *request = NULL;
  g_autoptr(TillTestResponse) pending = NULL;
  g_autoptr(TillTestResponse) payment = NULL;
  g_autoptr(JsonNode) sent = NULL;
  const char *payment_id;

  /* The harness's server gives Stripe 10 s; this one gives it 1. */
  server = start_shop (TRUE, "[stripe]\ntimeout-seconds=1\n");
  token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":2500}");
  pending = till_test_post_json (server, "/api/payments", token, key,
                                 "{\"amount\":3210,\"currency\":\"USD\",\"token\":\"pm_card_visa\"}");
  g_assert_cmpuint (pending->status, >=, 500);
  payment_id = till_test_json_string (pending->json, "payment.id");
  g_assert_cmpstr (till_test_json_string (pending->json, "payment.status"), ==, "pending");
  for (guint tries = 0; till_test_stripe_count_for_payment ("/v1/payment_intents", payment_id, "succeeded", NULL) == 0; tries++)
    {
      g_assert_cmpuint (tries, <, 400);
      g_usleep (25 * 1000);
    }

  listen_to_stripe (server);
  intent = intent_of (payment_id);
  request = g_strdup_printf ("{\"type\":\"payment_intent.succeeded\",\"payment_intent\":\"%s\"}", intent);
  sent = till_test_stripe_call ("POST", "/__standin/events", request);
  assert_delivered (json_object_get_array_member (json_node_get_object (sent), "deliveries"), "handled");

  payment = get_payment (server, payment_id);
  g_assert_cmpstr (till_test_json_string (payment->json, "status"), ==, "succeeded");
  g_assert_cmpuint (till_test_stripe_count_for_payment ("/v1/payment_intents", payment_id, "succeeded", NULL), ==, 1);
  stop_listening ();
}

/* Events made here, as an attacker or a confused proxy would send them */

static TillTestResponse *
post_event (TillTestServer *server,
            const char     *body,
            const char     *signature)
{
  g_autofree char *url = g_strconcat (server->url, "/api/stripe/webhook", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;
  TillTestResponse *response = g_new0 (TillTestResponse, 1);

  soup_message_set_request_body_from_bytes (msg, "application/json; charset=utf-8", bytes);
  if (signature != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Stripe-Signature", signature);
  answer = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = g_strndup (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer));
  response->json = json_from_string (response->body, NULL);
  return response;
}

static char *
sign (const char *secret,
      gint64      timestamp,
      const char *body)
{
  g_autofree char *signed_text = g_strdup_printf ("%" G_GINT64_FORMAT ".%s", timestamp, body);
  g_autofree char *digest = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                       strlen (secret), signed_text, -1);

  return g_strdup_printf ("t=%" G_GINT64_FORMAT ",v1=%s", timestamp, digest);
}

static char *
refund_event (const char *event_id,
              const char *intent,
              const char *refund_id,
              gint64      amount,
              const char *metadata)
{
  return g_strdup_printf ("{\"id\":\"%s\",\"object\":\"event\",\"api_version\":\"2020-08-27\","
                          "\"created\":%" G_GINT64_FORMAT ",\"type\":\"refund.created\","
                          "\"data\":{\"object\":{\"id\":\"%s\",\"object\":\"refund\",\"amount\":%" G_GINT64_FORMAT ","
                          "\"currency\":\"usd\",\"payment_intent\":\"%s\",\"status\":\"succeeded\","
                          "\"created\":%" G_GINT64_FORMAT ",\"metadata\":%s}}}",
                          event_id, g_get_real_time () / G_USEC_PER_SEC, refund_id, amount, intent,
                          g_get_real_time () / G_USEC_PER_SEC, metadata);
}

static void
assert_refunded (TillTestServer *server,
                 const char     *payment_id,
                 gint64          expected)
{
  g_autoptr(TillTestResponse) payment = get_payment (server, payment_id);

  g_assert_cmpint (till_test_json_int (payment->json, "amount_refunded"), ==, expected);
}

static void
test_forged (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 9000);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *body = refund_event ("evt_test_forged_0001", intent, "re_test_forged_0001", 9000, "{}");
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *wrong_secret = sign ("whsec_test_not_this_servers_secret", now, body);
  g_autofree char *altered = g_strdup (body);
  g_autofree char *right = sign (SECRET, now, body);
  g_autofree char *old = sign (SECRET, now - 600, body);
  g_autofree char *future = sign (SECRET, now + 600, body);
  g_autofree char *upper = g_ascii_strup (right, -1);
  /* Found by fuzzing: a timestamp written another way ("0170…") signed as
   * written; Stripe writes plain digits, and so is it read. */
  g_autofree char *zero_text = g_strdup_printf ("0%" G_GINT64_FORMAT ".%s", now, body);
  g_autofree char *zero_digest = g_compute_hmac_for_string (G_CHECKSUM_SHA256, (const guchar *) SECRET,
                                                            strlen (SECRET), zero_text, -1);
  g_autofree char *leading_zero = g_strdup_printf ("t=0%" G_GINT64_FORMAT ",v1=%s", now, zero_digest);
  struct
  {
    const char *what;
    const char *body;
    const char *signature;
    const char *code;
  } attempts[] = {
    { "no signature", body, NULL, "signature_invalid" },
    { "empty", body, "", "signature_invalid" },
    { "another secret", body, wrong_secret, "signature_invalid" },
    { "altered body", altered, right, "signature_invalid" },
    { "ten minutes old", body, old, "signature_expired" },
    { "ten minutes ahead", body, future, "signature_expired" },
    { "only v0", body, "t=1,v0=00", "signature_invalid" },
    { "upper-case digest", body, upper, "signature_invalid" },
    { "timestamp with a leading zero", body, leading_zero, "signature_invalid" },
  };

  /* Same length, one figure changed: the amount Stripe "refunded". */
  altered[strstr (altered, "9000") - altered] = '8';
  for (guint i = 0; i < G_N_ELEMENTS (attempts); i++)
    {
      g_autoptr(TillTestResponse) response = post_event (server, attempts[i].body, attempts[i].signature);

      g_test_message ("%s: %u %s", attempts[i].what, response->status, response->body);
      g_assert_cmpuint (response->status, ==, 400);
      g_assert_cmpstr (till_test_json_string (response->json, "error.code"), ==, attempts[i].code);
    }
  assert_refunded (server, payment_id, 0);

  /* The genuine one, signed with either secret, is taken once. */
  {
    g_autoptr(TillTestResponse) taken = post_event (server, body, right);
    g_autofree char *by_old = sign (SECRET_OLD, now, body);
    g_autoptr(TillTestResponse) replayed = post_event (server, body, by_old);

    g_assert_cmpuint (taken->status, ==, 200);
    g_assert_cmpstr (till_test_json_string (taken->json, "outcome"), ==, "handled");
    g_assert_cmpuint (replayed->status, ==, 200);
    g_assert_cmpstr (till_test_json_string (replayed->json, "outcome"), ==, "duplicate");
    assert_refunded (server, payment_id, 9000);
  }
}

/* An event type till-server does not act on is acknowledged (Stripe
 * would send it again and again otherwise) and changes nothing; a body
 * that is not strict JSON is refused even when signed. */
static void
test_unknown_and_malformed (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *unknown = "{\"id\":\"evt_test_unknown_0001\",\"object\":\"event\",\"type\":\"customer.created\","
                        "\"created\":1,\"data\":{\"object\":{\"id\":\"cus_1\",\"object\":\"customer\"}}}";
  const char *malformed = "{\"id\":\"evt_test_bad\",\"type\":\"refund.created\",\"data\":{\"object\":{\"amount\":0100}}}";
  const char *not_event = "{\"hello\":\"world\"}";
  g_autofree char *unknown_signature = sign (SECRET, now, unknown);
  g_autofree char *malformed_signature = sign (SECRET, now, malformed);
  g_autofree char *not_event_signature = sign (SECRET, now, not_event);
  g_autoptr(TillTestResponse) ignored = post_event (server, unknown, unknown_signature);
  g_autoptr(TillTestResponse) again = post_event (server, unknown, unknown_signature);
  g_autoptr(TillTestResponse) refused = post_event (server, malformed, malformed_signature);
  g_autoptr(TillTestResponse) nothing = post_event (server, not_event, not_event_signature);

  g_assert_cmpuint (ignored->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (ignored->json, "outcome"), ==, "ignored");
  g_assert_cmpstr (till_test_json_string (again->json, "outcome"), ==, "duplicate");
  g_assert_cmpuint (refused->status, ==, 400);
  g_assert_cmpstr (till_test_json_string (refused->json, "error.code"), ==, "malformed_json");
  /* Not an event: answered 500, so a real one would be sent again. */
  g_assert_cmpuint (nothing->status, ==, 500);
}

/* Till's own refund, made through the API, is also announced by Stripe
 * (refund.created with metadata[till_refund_id]); it must not be counted
 * a second time, whenever the event comes. */
static void
test_own_refund_not_counted_twice (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 6000);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *token = till_test_server_login (server, "morgan", MANAGER_PASSWORD);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);
  g_autoptr(TillTestResponse) refund = till_test_post_json (server, path, token, key, "{\"amount\":1500}");
  g_autofree char *metadata = NULL;
  g_autofree char *body = NULL;
  g_autofree char *signature = NULL;
  g_autoptr(TillTestResponse) event = NULL;

  g_assert_cmpuint (refund->status, ==, 201);
  assert_refunded (server, payment_id, 1500);
  metadata = g_strdup_printf ("{\"till_refund_id\":\"%s\"}", till_test_json_string (refund->json, "refund.id"));
  body = refund_event ("evt_test_own_refund_1", intent, "re_test_own_refund_01", 1500, metadata);
  signature = sign (SECRET, g_get_real_time () / G_USEC_PER_SEC, body);
  event = post_event (server, body, signature);
  g_assert_cmpuint (event->status, ==, 200);
  assert_refunded (server, payment_id, 1500);
}

/* Stripe's events in any order: a refund that failed stays failed when a
 * late "created … succeeded" comes; Till's own refund that the card
 * network returns later is taken off; a closed dispute stays closed. */
static char *
stripe_refund_of (const char *refund_id)
{
  char *id = till_test_stripe_find ("/v1/refunds", "till_refund_id", refund_id);

  if (id == NULL)
    g_error ("No refund %s at the stand-in", refund_id);
  return id;
}

static char *
refund_event_of_type (const char *event_id,
                      const char *type,
                      const char *intent,
                      const char *refund_id,
                      gint64      amount,
                      const char *status,
                      const char *metadata)
{
  return g_strdup_printf ("{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\",\"created\":1,"
                          "\"data\":{\"object\":{\"id\":\"%s\",\"object\":\"refund\",\"amount\":%" G_GINT64_FORMAT ","
                          "\"currency\":\"usd\",\"payment_intent\":\"%s\",\"status\":\"%s\","
                          "\"created\":%" G_GINT64_FORMAT ",\"metadata\":%s}}}",
                          event_id, type, refund_id, amount, intent, status,
                          g_get_real_time () / G_USEC_PER_SEC, metadata);
}

static void
send_signed (TillTestServer *server,
             const char     *body,
             const char     *outcome)
{
  g_autofree char *signature = sign (SECRET, g_get_real_time () / G_USEC_PER_SEC, body);
  g_autoptr(TillTestResponse) response = post_event (server, body, signature);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (response->json, "outcome"), ==, outcome);
}

static void
test_out_of_order (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 5000);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *failed = refund_event_of_type ("evt_test_order_1", "refund.failed", intent, "re_test_order_0001",
                                                  2000, "failed", "{}");
  g_autofree char *late = refund_event_of_type ("evt_test_order_2", "refund.created", intent, "re_test_order_0001",
                                                2000, "succeeded", "{}");
  g_autofree char *pending_late = refund_event_of_type ("evt_test_order_3", "refund.created", intent,
                                                        "re_test_order_0002", 1000, "pending", "{}");
  g_autofree char *succeeded = refund_event_of_type ("evt_test_order_4", "refund.updated", intent,
                                                     "re_test_order_0002", 1000, "succeeded", "{}");

  send_signed (server, failed, "handled");
  send_signed (server, late, "handled");
  assert_refunded (server, payment_id, 0);
  /* Succeeded, then a late "pending": counted once, not taken off. */
  send_signed (server, succeeded, "handled");
  send_signed (server, pending_late, "handled");
  assert_refunded (server, payment_id, 1000);
}

static void
test_own_refund_fails_later (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 6000);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *token = till_test_server_login (server, "morgan", MANAGER_PASSWORD);
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);
  g_autoptr(TillTestResponse) made = till_test_post_json (server, path, token, key, "{\"amount\":3000}");
  g_autofree char *metadata = NULL;
  g_autofree char *stripe_id = NULL;
  g_autofree char *body = NULL;

  g_assert_cmpuint (made->status, ==, 201);
  assert_refunded (server, payment_id, 3000);
  stripe_id = stripe_refund_of (till_test_json_string (made->json, "refund.id"));
  metadata = g_strdup_printf ("{\"till_refund_id\":\"%s\"}", till_test_json_string (made->json, "refund.id"));
  body = refund_event_of_type ("evt_test_own_fails_1", "refund.failed", intent, stripe_id, 3000, "failed", metadata);
  send_signed (server, body, "handled");
  assert_refunded (server, payment_id, 0);
  {
    /* The refund's own answer says so too. */
    g_autoptr(TillTestResponse) again = till_test_post_json (server, path, token, key, "{\"amount\":3000}");

    g_assert_cmpuint (again->status, ==, 409);
    g_assert_cmpstr (till_test_json_string (again->json, "error.code"), ==, "refund_failed");
  }
}

#define DISPUTE_EVENT "{\"id\":\"%s\",\"object\":\"event\",\"type\":\"%s\",\"created\":1," \
  "\"data\":{\"object\":{\"id\":\"dp_test_closed_01\",\"object\":\"dispute\"," \
  "\"amount\":7000,\"currency\":\"usd\",\"payment_intent\":\"%s\"," \
  "\"reason\":\"fraudulent\",\"status\":\"%s\",\"created\":1700000000}}}"

/* Till's own refund whose answer was lost (pending, no Stripe id): Stripe's
 * event names it and settles it, rather than being dropped. */
static void
test_own_refund_answer_lost (void)
{
  g_autoptr(TillTestServer) server = NULL;
  g_autofree char *payment_id = NULL;
  g_autofree char *intent = NULL;
  g_autofree char *token = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = NULL;
  g_autoptr(TillTestResponse) lost = NULL;
  g_autofree char *metadata = NULL;
  g_autofree char *stripe_id = NULL;
  g_autofree char *body = NULL;
  const char *refund_id;

  server = start_shop (TRUE, "[stripe]\ntimeout-seconds=1\n");
  payment_id = approved_payment (server, 4200);
  intent = intent_of (payment_id);
  token = till_test_server_login (server, "morgan", MANAGER_PASSWORD);
  path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":2500}");
  lost = till_test_post_json (server, path, token, key, "{\"amount\":4200}");
  g_assert_cmpuint (lost->status, >=, 500);
  refund_id = till_test_json_string (lost->json, "refund.id");
  assert_refunded (server, payment_id, 0);
  /* The held answer has made the refund at the stand-in by now. */
  for (guint tries = 0; ; tries++)
    {
      g_autoptr(JsonNode) list = till_test_stripe_get_json ("/v1/refunds?limit=100");
      g_autofree char *text = json_to_string (list, FALSE);

      if (strstr (text, refund_id) != NULL)
        break;
      g_assert_cmpuint (tries, <, 200);
      g_usleep (25 * 1000);
    }

  stripe_id = stripe_refund_of (refund_id);
  metadata = g_strdup_printf ("{\"till_refund_id\":\"%s\"}", refund_id);
  body = refund_event_of_type ("evt_test_lost_answer_1", "refund.updated", intent, stripe_id, 4200,
                               "succeeded", metadata);
  send_signed (server, body, "handled");
  assert_refunded (server, payment_id, 4200);
}

static void
test_dispute_stays_closed (void)
{
  g_autoptr(TillTestServer) server = start_shop (TRUE, NULL);
  g_autofree char *payment_id = approved_payment (server, 7000);
  g_autofree char *intent = intent_of (payment_id);
  g_autofree char *won = g_strdup_printf (DISPUTE_EVENT, "evt_test_dispute_1", "charge.dispute.closed", intent, "won");
  g_autofree char *late = g_strdup_printf (DISPUTE_EVENT, "evt_test_dispute_2", "charge.dispute.updated", intent,
                                           "under_review");
  g_autoptr(TillTestResponse) payment = NULL;

  send_signed (server, won, "handled");
  send_signed (server, late, "handled");
  payment = get_payment (server, payment_id);
  g_assert_cmpstr (till_test_json_string (payment->json, "dispute.status"), ==, "won");
}

static void
test_not_configured (void)
{
  g_autoptr(TillTestServer) server = start_shop (FALSE, NULL);
  const char *body = "{\"id\":\"evt_x\"}";
  g_autofree char *signature = sign (SECRET, g_get_real_time () / G_USEC_PER_SEC, body);
  g_autoptr(TillTestResponse) response = post_event (server, body, signature);

  g_assert_cmpuint (response->status, ==, 503);
  g_assert_cmpstr (till_test_json_string (response->json, "error.code"), ==, "webhooks_not_configured");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Its cases look for what they made in today's report. */
  till_test_keep_off_midnight (150);

  g_test_add_func ("/server/webhooks/dashboard-refund", test_dashboard_refund);
  g_test_add_func ("/server/webhooks/dispute", test_dispute);
  g_test_add_func ("/server/webhooks/payment-settles-later", test_payment_settles_later);
  g_test_add_func ("/server/webhooks/forged-old-and-replayed", test_forged);
  g_test_add_func ("/server/webhooks/unknown-and-malformed", test_unknown_and_malformed);
  g_test_add_func ("/server/webhooks/own-refund-counted-once", test_own_refund_not_counted_twice);
  g_test_add_func ("/server/webhooks/not-configured", test_not_configured);
  g_test_add_func ("/server/webhooks/out-of-order", test_out_of_order);
  g_test_add_func ("/server/webhooks/own-refund-fails-later", test_own_refund_fails_later);
  g_test_add_func ("/server/webhooks/dispute-stays-closed", test_dispute_stays_closed);
  g_test_add_func ("/server/webhooks/own-refund-answer-lost", test_own_refund_answer_lost);

  return till_test_run ();
}
