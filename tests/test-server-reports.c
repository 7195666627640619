/* test-server-reports.c: the day report (Z-report) and its CSV
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Over real HTTP: payments and refunds through the API and the Stripe
 * stand-in (and a refund in Stripe's Dashboard, as a signed webhook), and
 * rows written into the server's SQLite file where a test needs a moment
 * the clock will not give it: one second before and at midnight, the days
 * the clocks change in Europe/Berlin, and cashiers named as an attacker
 * would name them. The breakdowns must add up to the totals in every case.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sqlite3.h>

#include "till-test-harness.h"

#define CASHIER_PASSWORD "alice-password-1"
#define CASHIER2_PASSWORD "bob-password-22"
#define MANAGER_PASSWORD "morgan-password-3"
#define WEBHOOK_SECRET   "whsec_test_reports_secret_012345"
#define BERLIN           "[shop]\ncurrency=EUR\ncountry=DE\ntime-zone=Europe/Berlin\n"

static TillTestServer *
start_shop (const char *extra_config)
{
  TillTestServer *server = till_test_server_new (NULL, extra_config);

  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (server, "bob", "cashier", CASHIER2_PASSWORD);
  till_test_server_add_user (server, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (server);
  return server;
}

static char *
manager (TillTestServer *server)
{
  return till_test_server_login (server, "morgan", MANAGER_PASSWORD);
}

static void
run_sql (TillTestServer *server,
         const char     *sql)
{
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

/* A succeeded payment by user_name at an exact moment (e.g.
 * "2026-11-27T22:59:59Z"), written into the database as the server
 * would have. */
static void
insert_payment (TillTestServer *server,
                const char     *user_name,
                const char     *currency,
                const char     *brand,
                gint64          amount,
                const char     *moment)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (moment, NULL);
  g_autofree char *key = till_test_new_key ();
  char *sql;

  g_assert_nonnull (when);
  sql = sqlite3_mprintf ("INSERT INTO payments (id, idempotency_key, request_hash, user_id, amount,"
                         " currency, source, mode, status, card_brand, card_last4, created, updated)"
                         " VALUES ('pay_%q', '%q', 'x', (SELECT id FROM users WHERE name = %Q), %lld,"
                         " '%q', 'pm_card_visa', 'payment_intents', 'succeeded', %Q, '4242', %lld, %lld)",
                         key, key, user_name, (long long) amount, currency, brand,
                         (long long) g_date_time_to_unix (when), (long long) g_date_time_to_unix (when));
  run_sql (server, sql);
  sqlite3_free (sql);
}

static TillTestResponse *
pay (TillTestServer *server,
     const char     *token,
     gint64          amount,
     const char     *source)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\","
                                           "\"token\":\"%s\"}", amount, source);
  TillTestResponse *response = till_test_post_json (server, "/api/payments", token, key, body);

  g_assert_cmpuint (response->status, ==, g_str_has_suffix (source, "Declined") ? 402 : 201);
  return response;
}

static void
refund (TillTestServer   *server,
        const char       *token,
        TillTestResponse *payment,
        gint64            amount)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds",
                                           till_test_json_string (payment->json, "payment.id"));
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT "}", amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, path, token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
}

static TillTestResponse *
get_day (TillTestServer *server,
         const char     *token,
         const char     *suffix,
         const char     *date)
{
  g_autofree char *path = g_strdup_printf ("/api/reports/day%s?date=%s", suffix, date);

  return till_test_get (server, path, token);
}

static TillTestResponse *
report (TillTestServer *server,
        const char     *date)
{
  g_autofree char *token = manager (server);
  TillTestResponse *response = get_day (server, token, "", date);

  g_assert_cmpuint (response->status, ==, 200);
  return response;
}

/* The UTC date of a payment the server made, as "YYYY-MM-DD": the test
 * shops without time-zone count in the tests' TZ, UTC. */
static char *
date_of (TillTestResponse *payment)
{
  return g_strndup (till_test_json_string (payment->json, "payment.created"), 10);
}

static gint64
member_int (JsonObject *object,
            const char *path)
{
  g_autoptr(JsonNode) node = json_node_alloc ();

  json_node_init_object (node, object);
  return till_test_json_int (node, path);
}

/* Each breakdown adds up to the totals, figure by figure. */
static void
assert_breakdowns_add_up (TillTestResponse *day)
{
  static const char *const lists[] = { "by_brand", "by_cashier" };
  static const char *const figures[] = { "payments.count", "payments.amount", "refunds.count",
                                         "refunds.amount", "net" };
  JsonObject *root = json_node_get_object (day->json);

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    {
      JsonArray *groups = json_object_get_array_member (root, lists[l]);

      g_assert_nonnull (groups);
      for (guint f = 0; f < G_N_ELEMENTS (figures); f++)
        {
          gint64 sum = 0;

          for (guint i = 0; i < json_array_get_length (groups); i++)
            {
              JsonObject *group = json_array_get_object_element (groups, i);

              sum += member_int (group, figures[f]);
              g_assert_cmpint (member_int (group, "net"), ==,
                               member_int (group, "payments.amount") - member_int (group, "refunds.amount"));
            }
          g_assert_cmpint (sum, ==, till_test_json_int (day->json, figures[f]));
        }
    }
}

/* A group's figures, "count/amount count/amount net", for one assert. */
static char *
describe_group (JsonArray  *groups,
                guint       index,
                const char *key)
{
  JsonObject *group = json_array_get_object_element (groups, index);
  const char *name = json_object_get_null_member (group, key) ? "(null)" : json_object_get_string_member (group, key);

  return g_strdup_printf ("%s %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                          " %" G_GINT64_FORMAT, name,
                          member_int (group, "payments.count"), member_int (group, "payments.amount"),
                          member_int (group, "refunds.count"), member_int (group, "refunds.amount"),
                          member_int (group, "net"));
}

static void
assert_groups (TillTestResponse   *day,
               const char         *list,
               const char *const  *expected)
{
  JsonArray *groups = json_object_get_array_member (json_node_get_object (day->json), list);
  guint n = g_strv_length ((char **) expected);

  g_assert_cmpuint (json_array_get_length (groups), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *got = describe_group (groups, i, g_str_equal (list, "by_brand") ? "brand" : "cashier");

      g_assert_cmpstr (got, ==, expected[i]);
    }
}

/* Webhooks from the stand-in, for a refund made in Stripe's Dashboard. */
static TillTestServer *
start_shop_with_webhooks (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = till_test_make_tmp_dir ("till-report-secrets-XXXXXX");
  g_autofree char *path = g_build_filename (dir, "webhook-secrets", NULL);
  g_autofree char *extra = g_strdup_printf ("[stripe]\nwebhook-secrets-file=%s\n", path);
  g_autofree char *endpoint = NULL;
  TillTestServer *server;

  g_assert_no_error (error);
  g_file_set_contents_full (path, WEBHOOK_SECRET "\n", -1, G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);
  server = start_shop (extra);
  endpoint = g_strdup_printf ("{\"url\":\"%s/api/stripe/webhook\",\"secret\":\"" WEBHOOK_SECRET "\"}",
                              server->url);
  json_node_unref (till_test_stripe_call ("DELETE", "/__standin/webhook_endpoints", NULL));
  json_node_unref (till_test_stripe_call ("POST", "/__standin/webhook_endpoints", endpoint));
  return server;
}

static void
dashboard_refund (TillTestResponse *payment,
                  gint64            amount)
{
  g_autofree char *intent = till_test_stripe_find ("/v1/payment_intents", "till_payment_id",
                                                   till_test_json_string (payment->json, "payment.id"));
  g_autofree char *request = g_strdup_printf ("{\"payment_intent\":\"%s\",\"amount\":%" G_GINT64_FORMAT "}",
                                              intent, amount);
  g_autoptr(JsonNode) refunded = till_test_stripe_call ("POST", "/__standin/dashboard/refunds", request);
  JsonArray *deliveries = json_object_get_array_member (json_node_get_object (refunded), "deliveries");

  g_assert_cmpuint (json_array_get_length (deliveries), >=, 1);
  for (guint i = 0; i < json_array_get_length (deliveries); i++)
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (deliveries, i), "status"), ==, 200);
}

/* Two cashiers, three brands, a decline, a manager's refund of a
 * cashier's sale and a refund in Stripe's Dashboard. */
static void
test_breakdowns (void)
{
  g_autoptr(TillTestServer) server = start_shop_with_webhooks ();
  g_autofree char *alice = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *bob = till_test_server_login (server, "bob", CASHIER2_PASSWORD);
  g_autofree char *boss = manager (server);
  g_autoptr(TillTestResponse) visa1 = pay (server, alice, 1000, "pm_card_visa");
  g_autoptr(TillTestResponse) visa2 = pay (server, alice, 2500, "pm_card_visa");
  g_autoptr(TillTestResponse) master = pay (server, alice, 700, "pm_card_mastercard");
  g_autoptr(TillTestResponse) amex = pay (server, bob, 4000, "pm_card_amex");
  g_autoptr(TillTestResponse) declined = pay (server, bob, 999, "pm_card_visa_chargeDeclined");
  g_autoptr(TillTestResponse) day = NULL;
  g_autoptr(TillTestResponse) config = NULL;
  g_autofree char *date = date_of (visa1);
  static const char *const brands[] = {
    "amex 1/4000 1/1000 3000",
    "mastercard 1/700 0/0 700",
    "visa 2/3500 1/300 3200",
    NULL
  };
  static const char *const cashiers[] = {
    "alice 3/4200 1/300 3900",
    "bob 1/4000 1/1000 3000",
    NULL
  };

  /* The brands the breakdown must find, as Stripe named them. */
  g_assert_cmpstr (till_test_json_string (visa2->json, "payment.card.brand"), ==, "visa");
  g_assert_cmpstr (till_test_json_string (master->json, "payment.card.brand"), ==, "mastercard");
  g_assert_cmpstr (till_test_json_string (declined->json, "payment.status"), ==, "declined");

  refund (server, boss, visa1, 300);
  dashboard_refund (amex, 1000);
  json_node_unref (till_test_stripe_call ("DELETE", "/__standin/webhook_endpoints", NULL));

  day = report (server, date);
  g_assert_cmpstr (till_test_json_string (day->json, "date"), ==, date);
  g_assert_cmpint (till_test_json_int (day->json, "payments.count"), ==, 4);
  g_assert_cmpint (till_test_json_int (day->json, "payments.amount"), ==, 8200);
  g_assert_cmpint (till_test_json_int (day->json, "refunds.count"), ==, 2);
  g_assert_cmpint (till_test_json_int (day->json, "refunds.amount"), ==, 1300);
  g_assert_cmpint (till_test_json_int (day->json, "net"), ==, 6900);
  g_assert_cmpint (till_test_json_int (day->json, "declined_count"), ==, 1);
  /* The Dashboard's refund has no cashier: it counts for bob's sale. */
  assert_groups (day, "by_brand", brands);
  assert_groups (day, "by_cashier", cashiers);
  g_assert_cmpint (till_test_json_int (day->json, "by_cashier.0.user_id"), >, 0);
  assert_breakdowns_add_up (day);

  /* A shop without time-zone counts in the server's own zone (the tests'
   * TZ), and says which. */
  config = till_test_get (server, "/api/config", alice);
  g_assert_cmpuint (config->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (config->json, "time_zone"), ==, "UTC");
  g_assert_cmpstr (till_test_json_string (day->json, "time_zone"), ==, "UTC");
  {
    g_autofree char *start = g_strdup_printf ("%sT00:00:00Z", date);

    g_assert_cmpstr (till_test_json_string (day->json, "start"), ==, start);
  }
}

/* One second before midnight and midnight itself, in the shop's zone. */
static void
test_midnight (void)
{
  g_autoptr(TillTestServer) server = start_shop (BERLIN);
  g_autoptr(TillTestResponse) before = NULL;
  g_autoptr(TillTestResponse) after = NULL;
  g_autoptr(TillTestResponse) config = NULL;
  g_autofree char *token = manager (server);

  /* Berlin is UTC+1 in November. */
  insert_payment (server, "alice", "EUR", "visa", 1111, "2026-11-27T22:59:59Z");
  insert_payment (server, "bob", "EUR", "visa", 2222, "2026-11-27T23:00:00Z");
  before = report (server, "2026-11-27");
  after = report (server, "2026-11-28");

  g_assert_cmpstr (till_test_json_string (before->json, "time_zone"), ==, "Europe/Berlin");
  g_assert_cmpstr (till_test_json_string (before->json, "start"), ==, "2026-11-26T23:00:00Z");
  g_assert_cmpstr (till_test_json_string (before->json, "end"), ==, "2026-11-27T23:00:00Z");
  g_assert_cmpint (till_test_json_int (before->json, "payments.amount"), ==, 1111);
  g_assert_cmpstr (till_test_json_string (before->json, "by_cashier.0.cashier"), ==, "alice");
  g_assert_cmpint (till_test_json_int (after->json, "payments.amount"), ==, 2222);
  g_assert_cmpstr (till_test_json_string (after->json, "by_cashier.0.cashier"), ==, "bob");
  assert_breakdowns_add_up (before);
  assert_breakdowns_add_up (after);

  config = till_test_get (server, "/api/config", token);
  g_assert_cmpstr (till_test_json_string (config->json, "time_zone"), ==, "Europe/Berlin");
}

typedef struct
{
  const char *date;
  const char *start;
  const char *end;
  gint64      amount;     /* of the payments inserted below that fall on date */
} DstCase;

/* 2026-03-29 has 23 hours in Berlin (02:00 CET becomes 03:00 CEST),
 * 2026-10-25 has 25 (03:00 CEST becomes 02:00 CET, 02:xx twice). */
static void
test_dst (void)
{
  g_autoptr(TillTestServer) server = start_shop (BERLIN);
  static const DstCase cases[] = {
    { "2026-03-28", "2026-03-27T23:00:00Z", "2026-03-28T23:00:00Z", 1 },
    { "2026-03-29", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", 2 + 4 },
    { "2026-03-30", "2026-03-29T22:00:00Z", "2026-03-30T22:00:00Z", 8 },
    { "2026-10-24", "2026-10-23T22:00:00Z", "2026-10-24T22:00:00Z", 16 },
    { "2026-10-25", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z", 32 + 64 + 128 + 256 },
    { "2026-10-26", "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z", 512 },
  };

  insert_payment (server, "alice", "EUR", "visa", 1, "2026-03-28T22:59:59Z");    /* 23:59:59 CET */
  insert_payment (server, "alice", "EUR", "visa", 2, "2026-03-28T23:00:00Z");    /* 00:00 CET */
  insert_payment (server, "alice", "EUR", "visa", 4, "2026-03-29T21:59:59Z");    /* 23:59:59 CEST */
  insert_payment (server, "alice", "EUR", "visa", 8, "2026-03-29T22:00:00Z");    /* 00:00 CEST */
  insert_payment (server, "alice", "EUR", "visa", 16, "2026-10-24T21:59:59Z");   /* 23:59:59 CEST */
  insert_payment (server, "alice", "EUR", "visa", 32, "2026-10-24T22:00:00Z");   /* 00:00 CEST */
  insert_payment (server, "alice", "EUR", "visa", 64, "2026-10-25T00:30:00Z");   /* 02:30 CEST */
  insert_payment (server, "alice", "EUR", "visa", 128, "2026-10-25T01:30:00Z");  /* 02:30 CET */
  insert_payment (server, "alice", "EUR", "visa", 256, "2026-10-25T22:59:59Z");  /* 23:59:59 CET */
  insert_payment (server, "alice", "EUR", "visa", 512, "2026-10-25T23:00:00Z");  /* 00:00 CET */

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TillTestResponse) day = report (server, cases[i].date);

      g_test_message ("%s", cases[i].date);
      g_assert_cmpstr (till_test_json_string (day->json, "start"), ==, cases[i].start);
      g_assert_cmpstr (till_test_json_string (day->json, "end"), ==, cases[i].end);
      g_assert_cmpint (till_test_json_int (day->json, "payments.amount"), ==, cases[i].amount);
      assert_breakdowns_add_up (day);
    }
}

/* São Paulo's clocks went from 00:00 to 01:00 on 2018-11-04: that day
 * starts at 01:00, and the day before ends there, with nothing between. */
static void
test_midnight_skipped (void)
{
  g_autoptr(TillTestServer) server = start_shop ("[shop]\ntime-zone=America/Sao_Paulo\n");
  g_autoptr(TillTestResponse) before = report (server, "2018-11-03");
  g_autoptr(TillTestResponse) day = report (server, "2018-11-04");

  g_assert_cmpstr (till_test_json_string (before->json, "start"), ==, "2018-11-03T03:00:00Z");
  g_assert_cmpstr (till_test_json_string (before->json, "end"), ==, "2018-11-04T03:00:00Z");
  g_assert_cmpstr (till_test_json_string (day->json, "start"), ==, "2018-11-04T03:00:00Z");
  g_assert_cmpstr (till_test_json_string (day->json, "end"), ==, "2018-11-05T02:00:00Z");
}

/* A refund today of a sale two days ago counts today, against the sale's
 * cashier and brand, and leaves the sale's day as it was. */
static void
test_refund_on_later_day (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *alice = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *boss = manager (server);
  g_autoptr(TillTestResponse) sale = pay (server, alice, 1500, "pm_card_mastercard");
  g_autofree char *today = date_of (sale);
  g_autoptr(GDateTime) now = g_date_time_new_from_iso8601 (till_test_json_string (sale->json, "payment.created"), NULL);
  g_autoptr(GDateTime) then = g_date_time_add_days (now, -2);
  g_autofree char *earlier = g_date_time_format (then, "%Y-%m-%d");
  g_autoptr(TillTestResponse) day = NULL;
  g_autoptr(TillTestResponse) sale_day = NULL;
  g_autoptr(TillTestResponse) csv = NULL;
  g_autofree char *line = NULL;
  static const char *const brands[] = { "mastercard 0/0 1/300 -300", NULL };
  static const char *const cashiers[] = { "alice 0/0 1/300 -300", NULL };
  static const char *const sale_brands[] = { "mastercard 1/1500 0/0 1500", NULL };

  run_sql (server, "UPDATE payments SET created = created - 2 * 86400");
  refund (server, boss, sale, 300);

  day = report (server, today);
  g_assert_cmpint (till_test_json_int (day->json, "payments.count"), ==, 0);
  g_assert_cmpint (till_test_json_int (day->json, "refunds.amount"), ==, 300);
  g_assert_cmpint (till_test_json_int (day->json, "net"), ==, -300);
  assert_groups (day, "by_brand", brands);
  assert_groups (day, "by_cashier", cashiers);
  assert_breakdowns_add_up (day);

  sale_day = report (server, earlier);
  g_assert_cmpint (till_test_json_int (sale_day->json, "refunds.count"), ==, 0);
  assert_groups (sale_day, "by_brand", sale_brands);
  assert_breakdowns_add_up (sale_day);

  /* A negative amount reads as a negative number in the CSV. */
  csv = get_day (server, boss, ".csv", today);
  g_assert_cmpuint (csv->status, ==, 200);
  line = g_strdup_printf ("%s,USD,total,\"\",,0,0,0.00,1,300,3.00,-300,-3.00\r\n", today);
  g_assert_nonnull (strstr (csv->body, line));
}

/* The fields of each record of an RFC 4180 body, quotes undone: what a
 * spreadsheet or a CSV reader takes from it. Fails the test on a quote
 * that is not where RFC 4180 allows one. */
static GPtrArray *
parse_csv (const char *body)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GStrvBuilder) fields = g_strv_builder_new ();
  g_autoptr(GString) field = g_string_new (NULL);
  const char *c = body;

  while (*c != '\0')
    {
      if (*c == '"')
        {
          g_assert_cmpuint (field->len, ==, 0);
          for (c++; !(c[0] == '"' && c[1] != '"'); c++)
            {
              g_assert_true (*c != '\0');
              if (c[0] == '"')
                c++;
              g_string_append_c (field, *c);
            }
          c++;
          g_assert_true (*c == ',' || *c == '\r');
        }
      else if (*c == ',' || *c == '\r')
        {
          g_strv_builder_add (fields, field->str);
          g_string_truncate (field, 0);
          if (*c == '\r')
            {
              g_assert_cmpint (c[1], ==, '\n');
              g_ptr_array_add (records, g_strv_builder_end (fields));
              g_clear_pointer (&fields, g_strv_builder_unref);
              fields = g_strv_builder_new ();
              c++;
            }
          c++;
        }
      else
        {
          g_assert_true (*c != '\n' && *c != '"');
          g_string_append_c (field, *c++);
        }
    }
  g_assert_cmpuint (field->len, ==, 0);
  return records;
}

/* Cashiers named as an attacker would: each becomes a text cell that a
 * spreadsheet shows as typed and never runs, and that a CSV reader takes
 * back whole. Written into the database: the user command refuses
 * control characters, but the report must not rely on that. */
static void
test_csv (void)
{
  g_autoptr(TillTestServer) server = start_shop (BERLIN);
  g_autoptr(TillTestResponse) csv = NULL;
  g_autoptr(TillTestResponse) json = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GString) expected_body = g_string_new (NULL);
  /* users 4 to 13, after alice, bob and morgan */
  static const char *const names[] = {
    "=HYPERLINK(\"http://evil.example/\",\"Click\")", "+1+1", "-2+3", "@SUM(A1:A9)",
    "\tTAB", "\rCR", " =1+1", "a,\"b\"\r\nc", "Zo\xc3\xab", ("\xef\xbc\x9d" "1+1"),
  };
  /* Each record as it must be written, in the documented order: brands
   * in byte order, none last; cashiers by name in byte order. */
  static const char *const expected[] = {
    "date,currency,row,name,user_id,payments_count,payments_minor,payments,"
      "refunds_count,refunds_minor,refunds,net_minor,net",
    "2026-11-27,EUR,total,\"\",,13,1101,11.01,0,0,0.00,1101,11.01",
    "2026-11-27,EUR,brand,\"'-amex\",,1,1,0.01,0,0,0.00,1,0.01",
    "2026-11-27,EUR,brand,\"mastercard\",,1,50,0.50,0,0,0.00,50,0.50",
    "2026-11-27,EUR,brand,\"visa\",,10,1045,10.45,0,0,0.00,1045,10.45",
    "2026-11-27,EUR,brand,\"\",,1,5,0.05,0,0,0.00,5,0.05",
    "2026-11-27,EUR,cashier,\"'\tTAB\",8,1,104,1.04,0,0,0.00,104,1.04",
    "2026-11-27,EUR,cashier,\"'\rCR\",9,1,105,1.05,0,0,0.00,105,1.05",
    "2026-11-27,EUR,cashier,\"' =1+1\",10,1,106,1.06,0,0,0.00,106,1.06",
    "2026-11-27,EUR,cashier,\"'+1+1\",5,1,101,1.01,0,0,0.00,101,1.01",
    "2026-11-27,EUR,cashier,\"'-2+3\",6,1,102,1.02,0,0,0.00,102,1.02",
    "2026-11-27,EUR,cashier,\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"Click\"\")\",4,1,100,1.00,0,0,0.00,100,1.00",
    "2026-11-27,EUR,cashier,\"'@SUM(A1:A9)\",7,1,103,1.03,0,0,0.00,103,1.03",
    "2026-11-27,EUR,cashier,\"Zo\xc3\xab\",12,1,108,1.08,0,0,0.00,108,1.08",
    "2026-11-27,EUR,cashier,\"a,\"\"b\"\"\r\nc\",11,1,107,1.07,0,0,0.00,107,1.07",
    "2026-11-27,EUR,cashier,\"alice\",1,3,56,0.56,0,0,0.00,56,0.56",
    "2026-11-27,EUR,cashier,\"'\xef\xbc\x9d" "1+1\",13,1,109,1.09,0,0,0.00,109,1.09",
  };
  /* The name each cashier record must read back as, in the same order. */
  static const int name_order[] = { 4, 5, 6, 1, 2, 0, 3, 8, 7, -1, 9 };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *sql = sqlite3_mprintf ("INSERT INTO users (name, role, password_hash, created)"
                                   " VALUES (%Q, 'cashier', 'x', 0)", names[i]);

      run_sql (server, sql);
      sqlite3_free (sql);
      /* 13:00 in Berlin */
      insert_payment (server, names[i], "EUR", "visa", 100 + i, "2026-11-27T12:00:00Z");
    }
  insert_payment (server, "alice", "EUR", "-amex", 1, "2026-11-27T12:00:00Z");
  insert_payment (server, "alice", "EUR", "mastercard", 50, "2026-11-27T12:00:00Z");
  insert_payment (server, "alice", "EUR", NULL, 5, "2026-11-27T12:00:00Z");
  /* The day before and the day after, in Berlin: not in it. */
  insert_payment (server, "alice", "EUR", "visa", 7000, "2026-11-26T22:59:59Z");
  insert_payment (server, "alice", "EUR", "visa", 9000, "2026-11-27T23:00:00Z");

  {
    g_autofree char *token = manager (server);

    csv = get_day (server, token, ".csv", "2026-11-27");
  }
  g_assert_cmpuint (csv->status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (csv->headers, "Content-Type"), ==, "text/csv; charset=utf-8");
  g_assert_cmpstr (soup_message_headers_get_one (csv->headers, "Content-Disposition"), ==,
                   "attachment; filename=\"till-day-2026-11-27.csv\"");
  g_assert_cmpstr (soup_message_headers_get_one (csv->headers, "Cache-Control"), ==, "no-store");
  g_assert_true (g_utf8_validate (csv->body, -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_string_append_printf (expected_body, "%s\r\n", expected[i]);
  g_assert_cmpstr (csv->body, ==, expected_body->str);

  /* Read back as a CSV reader would: 13 fields a record, every name
   * whole, and each one a spreadsheet would run has its ' in front. */
  records = parse_csv (csv->body);
  g_assert_cmpuint (records->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpuint (g_strv_length (g_ptr_array_index (records, i)), ==, 13);
  for (guint i = 0; i < G_N_ELEMENTS (name_order); i++)
    {
      char **record = g_ptr_array_index (records, 6 + i);
      const char *name = name_order[i] >= 0 ? names[name_order[i]] : "alice";
      gboolean defused = name_order[i] >= 0 && name_order[i] != 7 && name_order[i] != 8;
      g_autofree char *shown = g_strconcat (defused ? "'" : "", name, NULL);

      g_assert_cmpstr (record[2], ==, "cashier");
      g_assert_cmpstr (record[3], ==, shown);
    }

  /* The JSON gives the names as they are, and the same figures. */
  json = report (server, "2026-11-27");
  g_assert_cmpint (till_test_json_int (json->json, "payments.amount"), ==, 1101);
  g_assert_cmpstr (till_test_json_string (json->json, "by_cashier.5.cashier"), ==, names[0]);
  g_assert_cmpstr (till_test_json_string (json->json, "by_cashier.8.cashier"), ==, names[7]);
  g_assert_cmpstr (till_test_json_string (json->json, "by_brand.0.brand"), ==, "-amex");
  g_assert_true (json_node_is_null (json_object_get_member (
    json_array_get_object_element (json_object_get_array_member (json_node_get_object (json->json), "by_brand"), 3),
    "brand")));
  assert_breakdowns_add_up (json);
}

/* Only a manager sees a report; a date is a real YYYY-MM-DD or a 400,
 * from either path. */
static void
test_access_and_dates (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *alice = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  g_autofree char *boss = manager (server);
  g_autofree char *long_date = g_strnfill (10000, '1');
  const char *bad[] = {
    "2026-02-30", "2026-13-01", "2026-00-10", "2026-01-32", "1969-12-31", "0000-01-01",
    "26-01-01", "2026-1-01", "2026-01-1", "2026-01-01 ", " 2026-01-01", "+026-01-01",
    "2026/01/01", "20260101", "2026-01-01T00:00:00", "", "-2026-01-01",
    "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-01-01", "2026-01-01\n", "10000-01-01",
    "\xff\xfe-01-01", "9999-12-31", long_date,
  };
  static const char *const suffixes[] = { "", ".csv" };

  for (guint s = 0; s < G_N_ELEMENTS (suffixes); s++)
    {
      g_autofree char *path = g_strdup_printf ("/api/reports/day%s", suffixes[s]);
      g_autoptr(TillTestResponse) cashier = till_test_get (server, path, alice);
      g_autoptr(TillTestResponse) nobody = till_test_get (server, path, NULL);
      g_autoptr(TillTestResponse) today = till_test_get (server, path, boss);
      g_autoptr(TillTestResponse) first = get_day (server, boss, suffixes[s], "1970-01-01");
      g_autoptr(TillTestResponse) last = get_day (server, boss, suffixes[s], "9999-12-30");

      till_assert_error_code (cashier, 403, "forbidden");
      till_assert_error_code (nobody, 401, "unauthorized");
      g_assert_cmpuint (today->status, ==, 200);
      g_assert_cmpuint (first->status, ==, 200);
      g_assert_cmpuint (last->status, ==, 200);
      if (s == 0)
        {
          g_assert_cmpstr (till_test_json_string (first->json, "start"), ==, "1970-01-01T00:00:00Z");
          g_assert_cmpstr (till_test_json_string (last->json, "end"), ==, "9999-12-31T00:00:00Z");
        }

      for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
        {
          g_autofree char *escaped = g_uri_escape_string (bad[i], NULL, FALSE);
          g_autoptr(TillTestResponse) response = get_day (server, boss, suffixes[s], escaped);

          g_test_message ("date “%s”", escaped);
          till_assert_error_code (response, 400, "invalid_parameter");
          g_assert_cmpstr (till_test_json_string (response->json, "error.param"), ==, "date");
          g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==, "application/json");
        }
    }
}

/* Writes the server's file as base with [shop] time-zone added, sends
 * SIGHUP and waits until the log has outcome once. */
static void
reload_with_zone (TillTestServer *server,
                  const char     *base,
                  const char     *zone,
                  const char     *outcome)
{
  g_autofree char *text = g_strdup_printf ("%s\n[shop]\ntime-zone=%s\n", base, zone);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (server->config_path, text, -1, &error);
  g_assert_no_error (error);
  g_subprocess_send_signal (server->process, SIGHUP);
  /* 30 s at most: a sanitizer build on a loaded machine is slow. */
  for (guint tries = 0; till_test_server_count_log (server, outcome) < 1; tries++)
    {
      g_assert_cmpuint (tries, <, 1200);
      g_usleep (25 * 1000);
    }
}

/* The zone may change on SIGHUP: the same payment then counts on the
 * new zone's day. A zone the server cannot use leaves the old one. */
static void
test_reload (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL);
  g_autofree char *token = manager (server);
  g_autoptr(TillTestResponse) utc = NULL;
  g_autoptr(TillTestResponse) berlin = NULL;
  g_autoptr(TillTestResponse) kept = NULL;
  g_autoptr(TillTestResponse) config = NULL;
  g_autofree char *base = NULL;

  g_assert_true (g_file_get_contents (server->config_path, &base, NULL, NULL));
  insert_payment (server, "alice", "USD", "visa", 4321, "2026-11-27T23:30:00Z");
  utc = report (server, "2026-11-27");
  g_assert_cmpint (till_test_json_int (utc->json, "payments.amount"), ==, 4321);

  reload_with_zone (server, base, "Europe/Berlin", "Configuration reloaded");
  berlin = report (server, "2026-11-28");
  g_assert_cmpstr (till_test_json_string (berlin->json, "time_zone"), ==, "Europe/Berlin");
  g_assert_cmpint (till_test_json_int (berlin->json, "payments.amount"), ==, 4321);

  reload_with_zone (server, base, "Europe/Berlinn", "The configuration was not reloaded");
  g_assert_cmpuint (till_test_server_count_log (server, "[shop] time-zone “Europe/Berlinn” is not a time zone"), ==, 1);
  kept = report (server, "2026-11-28");
  g_assert_cmpint (till_test_json_int (kept->json, "payments.amount"), ==, 4321);
  config = till_test_get (server, "/api/config", token);
  g_assert_cmpstr (till_test_json_string (config->json, "time_zone"), ==, "Europe/Berlin");
}

typedef struct
{
  const char *name;
  const char *zone;
} BadZone;

static const BadZone bad_zones[] = {
  { "unknown", "Mars/Olympus_Mons" },
  { "path", "/usr/share/zoneinfo/UTC" },
  { "dot-dot", "../../../etc/passwd" },
  { "offset", "+01:00" },
  { "posix-rule", "XYZ5" },
  { "folder", "Europe" },
  { "lower-case", "europe/berlin" },
  /* Files of the database's folder that are no zone: GLib's critical
   * warning on them once hung the server. */
  { "table", "zone.tab" },
  { "source", "tzdata.zi" },
};

/* till-server --check-config names the line of a zone it cannot use. */
static void
test_bad_time_zone (gconstpointer data)
{
  const BadZone *bad = data;
  g_autofree char *extra = g_strdup_printf ("[shop]\ntime-zone=%s\n", bad->zone);
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, extra);
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_auto(GStrv) lines = NULL;
  guint line = 0;

  g_assert_true (g_file_get_contents (server->config_path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && line == 0; i++)
    if (g_str_has_prefix (lines[i], "time-zone="))
      line = i + 1;
  g_assert_cmpuint (line, >, 0);
  expected = g_strdup_printf ("Line %u: [shop] time-zone “%s” is not a time zone", line, bad->zone);

  g_assert_cmpint (till_test_server_cli (server, NULL, &out, &err, "--check-config", NULL), ==, 1);
  if (strstr (err, expected) == NULL)
    g_error ("Expected “%s” in: %s", expected, err);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* Its cases look for what they made in today's report. */
  till_test_keep_off_midnight (150);

  g_test_add_func ("/server-reports/breakdowns", test_breakdowns);
  g_test_add_func ("/server-reports/midnight", test_midnight);
  g_test_add_func ("/server-reports/dst-berlin", test_dst);
  g_test_add_func ("/server-reports/midnight-skipped", test_midnight_skipped);
  g_test_add_func ("/server-reports/refund-on-later-day", test_refund_on_later_day);
  g_test_add_func ("/server-reports/csv", test_csv);
  g_test_add_func ("/server-reports/access-and-dates", test_access_and_dates);
  g_test_add_func ("/server-reports/reload", test_reload);
  for (guint i = 0; i < G_N_ELEMENTS (bad_zones); i++)
    {
      g_autofree char *path = g_strdup_printf ("/server-reports/time-zone-refused/%s", bad_zones[i].name);

      g_test_add_data_func (path, &bad_zones[i], test_bad_time_zone);
    }

  return till_test_run ();
}
