/* test-server-search.c: finding payments, as the manager's console does
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Over real HTTP against a real till-server: GET /api/payments's filters
 * alone and together, with payments that match and payments that do not;
 * paging through a filtered list a few at a time, through payments of the
 * same second, each match once and in order; what a cashier's filters can
 * reach; every bad parameter refused with its name; a payment's refunds
 * in GET /api/payments/{id}; the indexes each filter is read through; and
 * a database of the version before taken up with its payments.
 *
 * Most payments are written straight into the server's SQLite file (the
 * filters are about what is stored, and Stripe's stand-in makes every
 * card a Visa 4242 today); the refunds are real ones.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "till-db-private.h"
#include "till-test-harness.h"

#define ALICE_PASSWORD  "alice-password-1"
#define BOB_PASSWORD    "bob-password-22"
#define MORGAN_PASSWORD "morgan-password-3"

/* 2026-11-27T00:00:00Z */
#define T0 G_GINT64_CONSTANT (1795737600)

typedef struct
{
  TillTestServer *server;
  char           *alice;    /* session tokens */
  char           *bob;
  char           *morgan;
} Shop;

static Shop *
shop_new (void)
{
  Shop *shop = g_new0 (Shop, 1);

  shop->server = till_test_server_new (NULL, NULL);
  till_test_server_add_user (shop->server, "alice", "cashier", ALICE_PASSWORD);
  till_test_server_add_user (shop->server, "bob", "cashier", BOB_PASSWORD);
  till_test_server_add_user (shop->server, "morgan", "manager", MORGAN_PASSWORD);
  till_test_server_start (shop->server);
  shop->alice = till_test_server_login (shop->server, "alice", ALICE_PASSWORD);
  shop->bob = till_test_server_login (shop->server, "bob", BOB_PASSWORD);
  shop->morgan = till_test_server_login (shop->server, "morgan", MORGAN_PASSWORD);
  return shop;
}

static void
shop_free (Shop *shop)
{
  till_test_server_free (shop->server);
  g_free (shop->alice);
  g_free (shop->bob);
  g_free (shop->morgan);
  g_free (shop);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Shop, shop_free)

static sqlite3 *
open_db (TillTestServer *server)
{
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

typedef struct
{
  const char *id;
  const char *cashier;
  gint64      amount;
  const char *status;
  const char *brand;
  const char *last4;
  const char *description;
  const char *stripe_id;
  gint64      created;
} Row;

/* Written while the server runs, as another writer would: the server
 * reads the file afresh for every request. */
static void
insert_rows (TillTestServer *server,
             const Row      *rows,
             guint           n_rows)
{
  sqlite3 *db = open_db (server);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "INSERT INTO payments (id, idempotency_key, request_hash, user_id, amount, currency, description,"
    " source, mode, status, stripe_id, card_brand, card_last4, created, updated)"
    " VALUES (?1, ?1 || '-key', 'hash', (SELECT id FROM users WHERE name = ?2), ?3, 'USD', ?4,"
    " 'pm_card_visa', 'payment_intents', ?5, ?6, ?7, ?8, ?9, ?9)", -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < n_rows; i++)
    {
      const Row *r = &rows[i];

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, r->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, r->cashier, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, r->amount);
      sqlite3_bind_text (stmt, 4, r->description, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, r->status, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, r->stripe_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, r->brand, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, r->last4, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 9, r->created);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* The ids of a list's page, space-separated, and whether more follow. */
static char *
list_ids (TillTestResponse *response,
          gboolean         *has_more)
{
  JsonObject *root = json_node_get_object (response->json);
  JsonArray *data = json_object_get_array_member (root, "data");
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *p = json_array_get_object_element (data, i);

      g_assert_false (json_object_has_member (p, "refunds"));
      g_string_append_printf (ids, "%s%s", i ? " " : "", json_object_get_string_member (p, "id"));
    }
  if (has_more != NULL)
    *has_more = json_object_get_boolean_member (root, "has_more");
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* The filters */

/* Newest first: b3, b1, then a3, a2, a1 of the same second (the later
 * recorded first), m1, b2. */
static const Row filter_rows[] = {
  { "pay_a1", "alice", 1250, "succeeded", "visa", "4242", "Table 4 coffee", "pi_a1", T0 + 100 },
  { "pay_a2", "alice", 1250, "declined", NULL, NULL, "Table 12", "ch_a2", T0 + 100 },
  { "pay_a3", "alice", 990, "succeeded", "mastercard", "4444", "Takeaway", "pi_a3", T0 + 100 },
  { "pay_b1", "bob", 5000, "succeeded", "amex", "8431", "Table 4 dinner", "pi_b1", T0 + 3600 },
  { "pay_b2", "bob", 20, "failed", "visa", "4242", NULL, NULL, T0 - 86400 },
  { "pay_b3", "bob", 1250, "requires_action", "visa", "1881", "Tab", "pi_b3", T0 + 7200 },
  { "pay_m1", "morgan", 777, "pending", "unionpay", "0005", "Caf\xc3\xa9 au lait", NULL, T0 + 50 },
};

typedef struct
{
  const char *name;
  const char *who;        /* "morgan" (manager) or "alice" (cashier) */
  const char *query;
  const char *expected;   /* ids without "pay_", newest first */
} FilterCase;

static const FilterCase filter_cases[] = {
  { "none", "morgan", "", "b3 b1 a3 a2 a1 m1 b2" },
  { "created-gte", "morgan", "created_gte=2026-11-27T00:01:40Z", "b3 b1 a3 a2 a1" },
  { "created-lt", "morgan", "created_lt=2026-11-27T00:01:40Z", "m1 b2" },
  { "created-half-open", "morgan",
    "created_gte=2026-11-27T00:01:40Z&created_lt=2026-11-27T01:00:00Z", "a3 a2 a1" },
  { "created-offset", "morgan", "created_gte=2026-11-27T02:00:00%2B01:00", "b3 b1" },
  { "created-offset-west", "morgan", "created_lt=2026-11-26T19:00:00-05:00", "b2" },
  { "created-fraction-gte", "morgan", "created_gte=2026-11-27T00:01:39.5Z", "b3 b1 a3 a2 a1" },
  { "created-fraction-lt", "morgan", "created_lt=2026-11-27T00:01:40.25z", "a3 a2 a1 m1 b2" },
  { "created-empty-range", "morgan",
    "created_gte=2026-11-27T01:00:00Z&created_lt=2026-11-27T01:00:00Z", "" },
  { "amount-gte", "morgan", "amount_gte=1250", "b3 b1 a2 a1" },
  { "amount-lte", "morgan", "amount_lte=990", "a3 m1 b2" },
  { "amount-exact", "morgan", "amount_gte=1250&amount_lte=1250", "b3 a2 a1" },
  { "amount-range", "morgan", "amount_gte=991&amount_lte=4999", "b3 a2 a1" },
  { "amount-none", "morgan", "amount_gte=5001", "" },
  { "last4", "morgan", "last4=4242", "a1 b2" },
  { "last4-leading-zero", "morgan", "last4=0005", "m1" },
  { "last4-none", "morgan", "last4=9999", "" },
  { "brand", "morgan", "brand=visa", "b3 a1 b2" },
  { "brand-other", "morgan", "brand=unionpay", "m1" },
  { "brand-none", "morgan", "brand=discover", "" },
  { "reference-id", "morgan", "reference=pay_a2", "a2" },
  { "reference-payment-intent", "morgan", "reference=pi_b1", "b1" },
  { "reference-charge", "morgan", "reference=ch_a2", "a2" },
  { "reference-id-no-prefix", "morgan", "reference=pay_a", "" },
  { "reference-description", "morgan", "reference=Table", "b1 a2 a1" },
  { "reference-description-space", "morgan", "reference=Table%204", "b1 a1" },
  { "reference-description-plus", "morgan", "reference=Table+4+d", "b1" },
  { "reference-description-whole", "morgan", "reference=Tab", "b3 b1 a2 a1" },
  { "reference-description-utf8", "morgan", "reference=Caf%C3%A9", "m1" },
  { "reference-case-sensitive", "morgan", "reference=table", "" },
  { "reference-not-inside", "morgan", "reference=coffee", "" },
  { "cashier", "morgan", "cashier=alice", "a3 a2 a1" },
  { "cashier-manager", "morgan", "cashier=morgan", "m1" },
  { "status", "morgan", "status=succeeded", "b1 a3 a1" },
  { "status-set", "morgan", "status=declined,failed", "a2 b2" },
  { "status-set-escaped", "morgan", "status=pending%2Crequires_action", "b3 m1" },
  { "status-none", "morgan", "status=requires_action&cashier=alice", "" },
  { "cashier-status", "morgan", "cashier=bob&status=succeeded", "b1" },
  { "brand-amount-created", "morgan",
    "brand=visa&amount_gte=1000&created_gte=2026-11-26T12:00:00Z", "b3 a1" },
  { "cashier-last4", "morgan", "cashier=alice&last4=4242", "a1" },
  { "reference-status", "morgan", "reference=Table&status=succeeded", "b1 a1" },
  { "everything", "morgan",
    "created_gte=2026-11-27T00:00:00Z&created_lt=2026-11-28T00:00:00Z&amount_gte=1000&amount_lte=2000"
    "&last4=4242&brand=visa&reference=Table&cashier=alice&status=succeeded,declined&limit=5", "a1" },
  /* A cashier's filters only ever reach their own payments. */
  { "cashier-own", "alice", "", "a3 a2 a1" },
  { "cashier-brand", "alice", "brand=visa", "a1" },
  { "cashier-last4", "alice", "last4=4242", "a1" },
  { "cashier-others-reference", "alice", "reference=pi_b1", "" },
  { "cashier-others-id", "alice", "reference=pay_b3", "" },
  { "cashier-reference", "alice", "reference=Table", "a2 a1" },
  { "cashier-status", "alice", "status=succeeded,requires_action,failed", "a3 a1" },
  { "cashier-self", "alice", "cashier=alice&amount_gte=1000", "a2 a1" },
};

static Shop *filter_shop;

static const char *
token_of (Shop       *shop,
          const char *who)
{
  if (g_str_equal (who, "alice"))
    return shop->alice;
  if (g_str_equal (who, "bob"))
    return shop->bob;
  return shop->morgan;
}

static char *
with_prefix (const char *short_ids)
{
  g_auto(GStrv) ids = g_strsplit (short_ids, " ", -1);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; ids[i] != NULL; i++)
    if (ids[i][0] != '\0')
      g_string_append_printf (out, "%spay_%s", out->len ? " " : "", ids[i]);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_filter (gconstpointer data)
{
  const FilterCase *c = data;
  g_autofree char *path = g_strconcat ("/api/payments?", c->query, NULL);
  g_autoptr(TillTestResponse) response = till_test_get (filter_shop->server, path, token_of (filter_shop, c->who));
  g_autofree char *expected = with_prefix (c->expected);
  g_autofree char *ids = NULL;
  gboolean has_more = TRUE;

  g_assert_cmpuint (response->status, ==, 200);
  ids = list_ids (response, &has_more);
  g_assert_cmpstr (ids, ==, expected);
  g_assert_false (has_more);
}

/* The stored card and time are given back as they were found by. */
static void
test_filter_fields (void)
{
  g_autoptr(TillTestResponse) response =
    till_test_get (filter_shop->server, "/api/payments?last4=0005", filter_shop->morgan);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_cmpstr (till_test_json_string (response->json, "data.0.card.brand"), ==, "unionpay");
  g_assert_cmpstr (till_test_json_string (response->json, "data.0.card.last4"), ==, "0005");
  g_assert_cmpstr (till_test_json_string (response->json, "data.0.created"), ==, "2026-11-27T00:00:50Z");
  g_assert_cmpstr (till_test_json_string (response->json, "data.0.cashier"), ==, "morgan");
}

/* A cashier may name only themself: another cashier is refused, whether
 * that name exists or not, so the answer tells nothing about who works
 * there. */
static void
test_cashier_names_another (void)
{
  const char *names[] = { "bob", "morgan", "nobody", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/payments?cashier=%s", names[i]);
      g_autoptr(TillTestResponse) response = till_test_get (filter_shop->server, path, filter_shop->alice);

      till_assert_error_code (response, 403, "forbidden");
      g_assert_cmpstr (till_test_json_string (response->json, "error.param"), ==, "cashier");
    }
}

/* Bad parameters */

typedef struct
{
  const char *name;
  const char *query;
  const char *param;     /* NULL: the error names none */
} BadCase;

static const BadCase bad_cases[] = {
  { "limit-zero", "limit=0", "limit" },
  { "limit-big", "limit=101", "limit" },
  { "limit-plus", "limit=%2B5", "limit" },
  { "limit-empty", "limit=", "limit" },
  { "limit-no-value", "limit", "limit" },
  { "created-date-only", "created_gte=2026-11-27", "created_gte" },
  { "created-no-zone", "created_gte=2026-11-27T07:11:57", "created_gte" },
  { "created-space", "created_gte=2026-11-27%2007:11:57Z", "created_gte" },
  { "created-feb-30", "created_gte=2026-02-30T00:00:00Z", "created_gte" },
  { "created-hour-24", "created_gte=2026-11-27T24:00:00Z", "created_gte" },
  { "created-leap-second", "created_gte=2026-12-31T23:59:60Z", "created_gte" },
  { "created-short-offset", "created_gte=2026-11-27T07:11:57%2B1:00", "created_gte" },
  { "created-unencoded-plus", "created_gte=2026-11-27T07:11:57+01:00", "created_gte" },
  { "created-week-date", "created_gte=2026-W48-5T07:11:57Z", "created_gte" },
  { "created-unix", "created_lt=1795737600", "created_lt" },
  { "created-trailing", "created_lt=2026-11-27T07:11:57Zx", "created_lt" },
  { "created-long-fraction", "created_lt=2026-11-27T07:11:57.0000000001Z", "created_lt" },
  { "created-empty-fraction", "created_lt=2026-11-27T07:11:57.Z", "created_lt" },
  { "created-year-zero", "created_lt=0000-01-01T00:00:00Z", "created_lt" },
  { "amount-negative", "amount_gte=-1", "amount_gte" },
  { "amount-decimal", "amount_gte=12.50", "amount_gte" },
  { "amount-exponent", "amount_lte=1e3", "amount_lte" },
  { "amount-hex", "amount_lte=0x10", "amount_lte" },
  { "amount-plus", "amount_lte=%2B5", "amount_lte" },
  { "amount-space", "amount_lte=%205", "amount_lte" },
  { "amount-19-digits", "amount_gte=1234567890123456789", "amount_gte" },
  { "amount-empty", "amount_gte=", "amount_gte" },
  { "last4-short", "last4=424", "last4" },
  { "last4-long", "last4=42424", "last4" },
  { "last4-letters", "last4=abcd", "last4" },
  { "last4-arabic-digits", "last4=%D9%A4%D9%A2%D9%A4%D9%A2", "last4" },
  { "brand-case", "brand=Visa", "brand" },
  { "brand-unknown", "brand=paypal", "brand" },
  { "brand-empty", "brand=", "brand" },
  { "reference-empty", "reference=", "reference" },
  { "reference-control", "reference=Table%0A4", "reference" },
  { "reference-nul", "reference=Table%004", "reference" },
  { "reference-not-utf8", "reference=%FF%FE", "reference" },
  { "cashier-unknown", "cashier=nobody", "cashier" },
  { "cashier-empty", "cashier=", "cashier" },
  { "status-unknown", "status=refunded", "status" },
  { "status-case", "status=Succeeded", "status" },
  { "status-twice", "status=succeeded,succeeded", "status" },
  { "status-trailing-comma", "status=succeeded,", "status" },
  { "status-empty", "status=", "status" },
  { "starting-after-unknown", "starting_after=pay_nonexistent", "starting_after" },
  { "repeated", "brand=visa&brand=amex", "brand" },
  { "repeated-same", "limit=5&limit=5", "limit" },
  { "repeated-escaped-name", "status=failed&st%61tus=pending", "status" },
  { "unknown", "brnd=visa", NULL },
  { "unknown-case", "Brand=visa", NULL },
  { "unknown-nul-in-name", "brand%00x=visa", NULL },
  { "unknown-empty-name", "=visa", NULL },
};

static void
test_bad_parameter (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *path = g_strconcat ("/api/payments?", c->query, NULL);
  g_autoptr(TillTestResponse) response = till_test_get (filter_shop->server, path, filter_shop->morgan);

  till_assert_error_code (response, 400, "invalid_parameter");
  g_assert_cmpstr (till_test_json_string (response->json, "error.param"), ==, c->param);
}

/* Long values are refused by their length, not read. */
static void
test_bad_long_values (void)
{
  g_autofree char *reference = g_strnfill (256, 'x');
  g_autofree char *cashier = g_strnfill (65, 'x');
  g_autofree char *filler = g_strnfill (5000, 'x');
  struct { char *query; const char *param; } cases[] = {
    { g_strdup_printf ("reference=%s", reference), "reference" },
    { g_strdup_printf ("cashier=%s", cashier), "cashier" },
    { g_strdup_printf ("reference=%s", filler), NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strconcat ("/api/payments?", cases[i].query, NULL);
      g_autoptr(TillTestResponse) response = till_test_get (filter_shop->server, path, filter_shop->morgan);

      till_assert_error_code (response, 400, "invalid_parameter");
      g_assert_cmpstr (till_test_json_string (response->json, "error.param"), ==, cases[i].param);
      g_free (cases[i].query);
    }
  /* 255 bytes is still a reference. */
  {
    g_autofree char *ok = g_strnfill (255, 'x');
    g_autofree char *path = g_strconcat ("/api/payments?reference=", ok, NULL);
    g_autoptr(TillTestResponse) response = till_test_get (filter_shop->server, path, filter_shop->morgan);

    g_assert_cmpuint (response->status, ==, 200);
  }
}

/* What libsoup's client will not send: an escape that is none. libsoup's
 * server refuses the request line itself, before any handler, with a 400
 * and no body; nothing is listed. */
static void
test_bad_escape (void)
{
  g_autofree char *request =
    g_strdup_printf ("GET /api/payments?reference=%%G1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", filter_shop->morgan);
  g_autofree char *answer = till_test_raw_exchange (filter_shop->server, request, 10);

  g_assert_true (g_str_has_prefix (answer, "HTTP/1.1 400 "));
  g_assert_null (strstr (answer, "pay_"));
}

/* The lookup by key is as it was: open to all staff, other filters do not
 * hide it, but its parameters are checked like the others. */
static void
test_idempotency_key_lookup (void)
{
  g_autoptr(TillTestResponse) found =
    till_test_get (filter_shop->server, "/api/payments?idempotency_key=pay_b1-key&cashier=alice",
                   filter_shop->alice);
  g_autoptr(TillTestResponse) twice =
    till_test_get (filter_shop->server, "/api/payments?idempotency_key=pay_b1-key&idempotency_key=x",
                   filter_shop->alice);
  g_autoptr(TillTestResponse) misspelt =
    till_test_get (filter_shop->server, "/api/payments?idempotency_key=pay_b1-key&limt=3",
                   filter_shop->alice);
  g_autofree char *ids = NULL;

  g_assert_cmpuint (found->status, ==, 200);
  ids = list_ids (found, NULL);
  g_assert_cmpstr (ids, ==, "pay_b1");
  till_assert_error_code (twice, 400, "invalid_parameter");
  g_assert_cmpstr (till_test_json_string (twice->json, "error.param"), ==, "idempotency_key");
  till_assert_error_code (misspelt, 400, "invalid_parameter");
}

/* Paging */

#define PAGE_ROWS 60

/* Second 5 holds ten; the rest five each, and the last five are of
 * second 3, recorded after later ones (a clock set back). */
static gint64
created_of (guint i)
{
  return i < 55 ? (i / 5 == 6 ? 5 : i / 5) : 3;
}

/* 60 payments over 12 seconds, five in each second and one second with
 * ten; a third of them by bob, a third of 700: what a filtered list
 * holds is spread among what it does not. */
static void
insert_paging_rows (TillTestServer *server,
                    GPtrArray      *ids)
{
  static const char *brands[] = { "visa", "mastercard", "amex" };
  Row rows[PAGE_ROWS];

  for (guint i = 0; i < PAGE_ROWS; i++)
    {
      g_ptr_array_add (ids, g_strdup_printf ("pay_page%02u", i));
      rows[i] = (Row) {
        .id = g_ptr_array_index (ids, i),
        .cashier = i % 3 == 1 ? "bob" : "alice",
        .amount = i % 3 == 2 ? 700 : 500 + (gint64) (i % 2),
        .status = i % 4 == 3 ? "declined" : "succeeded",
        .brand = brands[i % 3],
        .last4 = "4242",
        .description = i % 5 == 0 ? "Table 7" : "Counter",
        .stripe_id = NULL,
        .created = T0 + created_of (i),
      };
    }
  insert_rows (server, rows, PAGE_ROWS);
}

typedef struct
{
  const char *query;
  gboolean  (*matches) (guint i);
} PageCase;

static gboolean all_match (guint i) { return TRUE; }
static gboolean alice_matches (guint i) { return i % 3 != 1; }
static gboolean not_700_matches (guint i) { return i % 3 != 2; }
static gboolean exactly_700_matches (guint i) { return i % 3 == 2; }
static gboolean visa_succeeded_matches (guint i) { return i % 3 == 0 && i % 4 != 3; }
static gboolean table_matches (guint i) { return i % 5 == 0; }
static gboolean statuses_matches (guint i) { return TRUE; }
static gboolean early_matches (guint i) { return created_of (i) < 5; }

static const PageCase page_cases[] = {
  { "", all_match },
  { "cashier=alice", alice_matches },
  { "amount_lte=501", not_700_matches },
  { "amount_gte=700&amount_lte=700", exactly_700_matches },
  { "brand=visa&status=succeeded", visa_succeeded_matches },
  { "reference=Table", table_matches },
  { "status=succeeded,declined", statuses_matches },
  { "created_lt=2026-11-27T00:00:05Z&last4=4242", early_matches },
};

static gint
newest_first (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  GPtrArray *ids = user_data;
  guint ia = 0, ib = 0;
  gint64 ca, cb;

  g_ptr_array_find_with_equal_func (ids, *(char **) a, g_str_equal, &ia);
  g_ptr_array_find_with_equal_func (ids, *(char **) b, g_str_equal, &ib);
  ca = created_of (ia);
  cb = created_of (ib);
  if (ca != cb)
    return ca > cb ? -1 : 1;
  return ia > ib ? -1 : 1;   /* the later recorded first */
}

/* Through a filtered list a page at a time: the ids seen, in order.
 * has_more is false only on the last page. */
static char *
page_through (TillTestServer *server,
              const char     *token,
              const char     *query,
              guint           limit,
              guint          *pages)
{
  g_autoptr(GString) seen = g_string_new (NULL);
  g_autofree char *after = NULL;
  gboolean has_more = TRUE;

  for (*pages = 0; has_more; (*pages)++)
    {
      g_autofree char *path =
        g_strdup_printf ("/api/payments?limit=%u%s%s%s%s", limit, query[0] ? "&" : "", query,
                         after ? "&starting_after=" : "", after ? after : "");
      g_autoptr(TillTestResponse) response = till_test_get (server, path, token);
      g_autofree char *page = NULL;
      const char *last;

      g_assert_cmpuint (response->status, ==, 200);
      page = list_ids (response, &has_more);
      g_assert_true (page[0] != '\0' || !has_more);
      g_string_append_printf (seen, "%s%s", seen->len && page[0] ? " " : "", page);
      last = strrchr (page, ' ') ? strrchr (page, ' ') + 1 : page;
      g_free (after);
      after = g_strdup (last);
      g_assert_cmpuint (*pages, <, 10000);
    }
  return g_string_free (g_steal_pointer (&seen), FALSE);
}

static char *
join_ids (GPtrArray *ids)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (out, "%s%s", i ? " " : "", (char *) g_ptr_array_index (ids, i));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Two at a time through each filtered list: every match once, in order. */
static void
test_paging (void)
{
  g_autoptr(Shop) shop = shop_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  insert_paging_rows (shop->server, ids);

  for (guint c = 0; c < G_N_ELEMENTS (page_cases); c++)
    {
      g_autoptr(GPtrArray) expected = g_ptr_array_new ();
      g_autofree char *want = NULL;
      g_autofree char *seen = NULL;
      guint pages;

      for (guint i = 0; i < PAGE_ROWS; i++)
        if (page_cases[c].matches (i))
          g_ptr_array_add (expected, g_ptr_array_index (ids, i));
      g_ptr_array_sort_with_data (expected, newest_first, ids);
      want = join_ids (expected);
      seen = page_through (shop->server, shop->morgan, page_cases[c].query, 2, &pages);
      g_test_message ("%s: %u matches in %u pages", page_cases[c].query, expected->len, pages);
      g_assert_cmpstr (seen, ==, want);
    }
}

#define MANY_ROWS 4400

/* Ranges of more matches than are sorted (they are read newest first and
 * the others skipped): each once and in order all the same. Seven
 * payments a second; every other one matches. */
static void
test_paging_many (void)
{
  g_autoptr(Shop) shop = shop_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  g_autofree Row *rows = g_new0 (Row, MANY_ROWS);
  const char *queries[] = { "amount_gte=900&amount_lte=949", "reference=Big", "reference=Big&amount_lte=949" };

  for (guint i = 0; i < MANY_ROWS; i++)
    {
      g_ptr_array_add (ids, g_strdup_printf ("pay_many%04u", i));
      rows[i] = (Row) { g_ptr_array_index (ids, i), i % 3 ? "alice" : "bob", i % 2 ? 950 : 900 + i % 50,
                        "succeeded", "visa", "4242", i % 2 ? "Small" : "Big", NULL, T0 + i / 7 };
    }
  insert_rows (shop->server, rows, MANY_ROWS);
  for (guint i = MANY_ROWS; i-- > 0;)
    if (i % 2 == 0)
      g_ptr_array_add (expected, g_ptr_array_index (ids, i));

  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      g_autofree char *want = join_ids (expected);
      guint pages;
      g_autofree char *seen = page_through (shop->server, shop->morgan, queries[q], 100, &pages);

      g_assert_cmpuint (pages, ==, MANY_ROWS / 2 / 100);
      g_assert_cmpstr (seen, ==, want);
    }
}

/* A cashier pages through their own only: another's payment is no place
 * in their list. */
static void
test_paging_cashier (void)
{
  g_autoptr(Shop) shop = shop_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TillTestResponse) others = NULL;
  g_autofree char *after = NULL;
  gboolean has_more = TRUE;
  guint count = 0;

  insert_paging_rows (shop->server, ids);
  others = till_test_get (shop->server, "/api/payments?starting_after=pay_page01", shop->alice);
  till_assert_error_code (others, 400, "invalid_parameter");
  g_assert_cmpstr (till_test_json_string (others->json, "error.param"), ==, "starting_after");

  while (has_more)
    {
      g_autofree char *path = g_strdup_printf ("/api/payments?limit=3&brand=amex%s%s",
                                               after ? "&starting_after=" : "", after ? after : "");
      g_autoptr(TillTestResponse) response = till_test_get (shop->server, path, shop->alice);
      JsonArray *data;

      g_assert_cmpuint (response->status, ==, 200);
      data = json_object_get_array_member (json_node_get_object (response->json), "data");
      has_more = json_object_get_boolean_member (json_node_get_object (response->json), "has_more");
      for (guint i = 0; i < json_array_get_length (data); i++)
        {
          JsonObject *p = json_array_get_object_element (data, i);

          g_assert_cmpstr (json_object_get_string_member (p, "cashier"), ==, "alice");
          g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (p, "card"), "brand"),
                           ==, "amex");
          g_free (after);
          after = g_strdup (json_object_get_string_member (p, "id"));
          count++;
        }
    }
  /* amex is every third from the third (i % 3 == 2), all alice's */
  g_assert_cmpuint (count, ==, PAGE_ROWS / 3);
}

/* Refunds in GET /api/payments/{id} */

static char *
pay (Shop *shop,
     const char *token,
     gint64 amount)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"USD\",\"token\":\"pm_card_visa\"}", amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (shop->server, "/api/payments", token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

static char *
refund (Shop       *shop,
        const char *payment_id,
        gint64      amount)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"requested_by_customer\"}", amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (shop->server, path, shop->morgan, key, body);

  g_assert_cmpuint (response->status, ==, 201);
  return g_strdup (till_test_json_string (response->json, "refund.id"));
}

static void
test_refunds (void)
{
  g_autoptr(Shop) shop = shop_new ();
  g_autofree char *paid = pay (shop, shop->alice, 2500);
  g_autofree char *unrefunded = pay (shop, shop->alice, 1000);
  g_autofree char *first = refund (shop, paid, 300);
  g_autofree char *second = refund (shop, paid, 200);
  g_autofree char *path = g_strdup_printf ("/api/payments/%s", paid);
  g_autofree char *other_path = g_strdup_printf ("/api/payments/%s", unrefunded);
  const char *readers[] = { shop->morgan, shop->alice };
  g_autoptr(TillTestResponse) bob = till_test_get (shop->server, path, shop->bob);
  g_autoptr(TillTestResponse) none = till_test_get (shop->server, other_path, shop->alice);
  g_autoptr(TillTestResponse) list = till_test_get (shop->server, "/api/payments", shop->morgan);
  g_autofree char *ids = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_autoptr(TillTestResponse) response = till_test_get (shop->server, path, readers[i]);
      JsonArray *refunds;

      g_assert_cmpuint (response->status, ==, 200);
      g_assert_cmpstr (till_test_json_string (response->json, "id"), ==, paid);
      g_assert_cmpint (till_test_json_int (response->json, "amount_refunded"), ==, 500);
      refunds = json_object_get_array_member (json_node_get_object (response->json), "refunds");
      g_assert_nonnull (refunds);
      g_assert_cmpuint (json_array_get_length (refunds), ==, 2);
      /* oldest first */
      g_assert_cmpstr (till_test_json_string (response->json, "refunds.0.id"), ==, first);
      g_assert_cmpint (till_test_json_int (response->json, "refunds.0.amount"), ==, 300);
      g_assert_cmpstr (till_test_json_string (response->json, "refunds.0.payment_id"), ==, paid);
      g_assert_cmpstr (till_test_json_string (response->json, "refunds.0.currency"), ==, "USD");
      g_assert_cmpstr (till_test_json_string (response->json, "refunds.0.status"), ==, "succeeded");
      g_assert_cmpstr (till_test_json_string (response->json, "refunds.0.reason"), ==, "requested_by_customer");
      g_assert_nonnull (till_test_json_string (response->json, "refunds.0.created"));
      g_assert_cmpstr (till_test_json_string (response->json, "refunds.1.id"), ==, second);
      g_assert_cmpint (till_test_json_int (response->json, "refunds.1.amount"), ==, 200);
    }

  /* Another cashier sees neither the payment nor its refunds. */
  till_assert_error_code (bob, 404, "payment_not_found");
  g_assert_null (strstr (bob->body, first));

  g_assert_cmpuint (none->status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (none->json),
                                                                         "refunds")), ==, 0);

  /* Lists stay without them (list_ids checks each), and real payments
   * are found by the card Stripe reported. */
  g_assert_cmpuint (list->status, ==, 200);
  ids = list_ids (list, NULL);
  {
    g_autofree char *found_path = g_strdup_printf ("/api/payments?reference=%s&brand=visa&last4=4242", paid);
    g_autoptr(TillTestResponse) found = till_test_get (shop->server, found_path, shop->morgan);
    g_autofree char *found_ids = list_ids (found, NULL);

    g_assert_cmpstr (found_ids, ==, paid);
  }
}

/* The indexes */

typedef struct
{
  const char       *name;
  TillPaymentFilter filter;
  const char       *index;     /* the index the payments are read through */
  gboolean          sorted;    /* the matches are sorted, not read in order */
} PlanCase;

static const PlanCase plan_cases[] = {
  { "none", { .user_id = -1 }, "payments_created", FALSE },
  { "created", { .user_id = -1, .has_created_gte = TRUE, .has_created_lt = TRUE }, "payments_created", FALSE },
  { "cashier", { .user_id = 2 }, "payments_user_created", FALSE },
  { "status", { .user_id = -1, .statuses = { "declined" } }, "payments_status_created", FALSE },
  { "last4", { .user_id = -1, .card_last4 = "4242" }, "payments_last4_created", FALSE },
  { "brand", { .user_id = -1, .card_brand = "amex" }, "payments_brand_created", FALSE },
  { "amount", { .user_id = -1, .has_amount_gte = TRUE, .amount_gte = 1250, .has_amount_lte = TRUE,
                .amount_lte = 1250 }, "payments_amount_created", FALSE },
  { "cashier-created", { .user_id = 2, .has_created_gte = TRUE, .has_created_lt = TRUE },
    "payments_user_created", FALSE },
  { "status-created", { .user_id = -1, .statuses = { "succeeded" }, .has_created_gte = TRUE },
    "payments_status_created", FALSE },
  { "cashier-cursor", { .user_id = 2, .after_created = T0, .after_rowid = 7 }, "payments_user_created", FALSE },
  /* The few a card's last 4 or an amount find, not the thousands of a
   * brand, a state or a cashier */
  { "brand-last4", { .user_id = -1, .card_brand = "visa", .card_last4 = "4242" }, "payments_last4_created", FALSE },
  { "cashier-status-amount", { .user_id = 2, .statuses = { "succeeded" }, .has_amount_gte = TRUE,
                               .amount_gte = 1250, .has_amount_lte = TRUE, .amount_lte = 1250 },
    "payments_amount_created", FALSE },
  { "brand-created", { .user_id = -1, .card_brand = "visa", .has_created_gte = TRUE }, "payments_brand_created", FALSE },
  /* Only the matches sorted: a range of few amounts, few descriptions by
   * their start, and the first page of each state of a set */
  { "amount-range-few", { .user_id = -1, .has_amount_gte = TRUE, .amount_gte = 1, .has_amount_lte = TRUE,
                          .amount_lte = 50 }, "payments_amount_created", TRUE },
  { "reference-few", { .user_id = -1, .reference = "Counter" }, "payments_description", TRUE },
  { "statuses", { .user_id = -1, .statuses = { "declined", "failed" } }, "payments_status_created", TRUE },
  { "statuses-last4", { .user_id = 2, .statuses = { "declined", "failed" }, .card_last4 = "4242" },
    "payments_last4_created", TRUE },
  /* A range of many: the newest first, skipping the others */
  { "amount-range-many", { .user_id = -1, .has_amount_gte = TRUE, .amount_gte = 1000 },
    "payments_created", FALSE },
  { "reference-many", { .user_id = -1, .reference = "Table" }, "payments_created", FALSE },
  { "reference-many-cashier", { .user_id = 2, .reference = "Tab" }, "payments_user_created", FALSE },
};

#define PLAN_ROWS 2100

/* Each common filter is read through an index, in the list's order (no
 * sort of the whole table); an amount range, a reference and a set of
 * states are read through an index and only their matches sorted, unless
 * they are many. */
static void
test_plans (void)
{
  g_autoptr(Shop) shop = shop_new ();
  g_autofree char *path = g_build_filename (shop->server->dir, "db", "till.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TillDb) db = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree Row *rows = g_new0 (Row, PLAN_ROWS);

  /* More than the 2000 a sort is kept for: "Table …" of 1000 to 1099 */
  for (guint i = 0; i < PLAN_ROWS; i++)
    {
      g_ptr_array_add (ids, g_strdup_printf ("pay_plan%04u", i));
      rows[i] = (Row) { g_ptr_array_index (ids, i), "alice", 1000 + i % 100, "succeeded", "visa", "4242",
                        "Table 9", NULL, T0 + i };
    }
  insert_rows (shop->server, rows, PLAN_ROWS);
  db = till_db_open (path, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (plan_cases); i++)
    {
      g_autofree char *plan = till_db_explain_search_payments (db, &plan_cases[i].filter);
      g_auto(GStrv) steps = g_strsplit (plan, "\n", -1);
      gboolean sorted = FALSE;
      guint reads = 0;

      g_test_message ("%s:\n%s", plan_cases[i].name, plan);
      for (guint s = 0; steps[s] != NULL; s++)
        {
          const char *step = steps[s] + strspn (steps[s], " ");

          /* Each read of payments goes through one of its indexes. */
          if (g_str_has_prefix (step, "SCAN p ") || g_str_has_prefix (step, "SEARCH p "))
            {
              g_assert_true (strstr (step, " INDEX payments_") != NULL ||
                             strstr (step, " INDEX sqlite_autoindex_payments_") != NULL ||
                             strstr (step, " USING INTEGER PRIMARY KEY") != NULL);
              reads++;
            }
          /* The list's own sort, not the dispute subquery's (indented) */
          sorted |= g_str_has_prefix (steps[s], "USE TEMP B-TREE");
        }
      g_assert_cmpuint (reads, >, 0);
      g_assert_true (sorted == plan_cases[i].sorted);
      {
        g_autofree char *index = g_strconcat (" INDEX ", plan_cases[i].index, NULL);
        const char *at = strstr (plan, index);

        g_assert_nonnull (at);
        at += strlen (index);
        g_assert_true (*at == ' ' || *at == '\n');
      }
      /* The cashier's name is read by key, never scanned for. */
      g_assert_nonnull (strstr (plan, "SEARCH u USING INTEGER PRIMARY KEY"));
    }
}

/* A database of schema 2, with its payments, is taken up to the newest:
 * the indexes are made and the old payments found through them. */
static void
test_upgrade (void)
{
  g_autoptr(TillTestServer) server = till_test_server_new (NULL, NULL);
  g_autofree char *token = NULL;
  g_autoptr(TillTestResponse) response = NULL;
  g_autofree char *ids = NULL;
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  const Row rows[] = {
    { "pay_old1", "alice", 1250, "succeeded", "visa", "4242", "Table 1", "pi_old1", T0 },
    { "pay_old2", "alice", 990, "declined", NULL, NULL, NULL, "pi_old2", T0 + 1 },
  };

  till_test_server_add_user (server, "alice", "cashier", ALICE_PASSWORD);
  db = open_db (server);
  /* Back to what schema 2 had: without version 4's audit log and
   * approving manager, and without version 3's indexes */
  g_assert_cmpint (sqlite3_exec (db,
    "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TABLE audit;"
    " ALTER TABLE refunds DROP COLUMN approved_by;"
    " DROP INDEX payments_status_created; DROP INDEX payments_user_created;"
    " DROP INDEX payments_last4_created; DROP INDEX payments_brand_created;"
    " DROP INDEX payments_amount_created; DROP INDEX payments_description;"
    " CREATE INDEX payments_status ON payments (status); PRAGMA user_version = 2;",
    NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  insert_rows (server, rows, G_N_ELEMENTS (rows));

  till_test_server_start (server);
  token = till_test_server_login (server, "alice", ALICE_PASSWORD);
  response = till_test_get (server, "/api/payments?last4=4242&brand=visa&reference=Table", token);
  g_assert_cmpuint (response->status, ==, 200);
  ids = list_ids (response, NULL);
  g_assert_cmpstr (ids, ==, "pay_old1");

  db = open_db (server);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "SELECT (SELECT user_version FROM pragma_user_version),"
    " (SELECT count (*) FROM sqlite_schema WHERE type = 'index' AND name IN ('payments_status_created',"
    "  'payments_user_created', 'payments_last4_created', 'payments_brand_created',"
    "  'payments_amount_created', 'payments_description')),"
    " (SELECT count (*) FROM sqlite_schema WHERE name = 'payments_status')", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 4);
  g_assert_cmpint (sqlite3_column_int (stmt, 1), ==, 6);
  g_assert_cmpint (sqlite3_column_int (stmt, 2), ==, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (filter_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/search/filter/%s/%s",
                                               filter_cases[i].who, filter_cases[i].name);

      g_test_add_data_func (name, &filter_cases[i], test_filter);
    }
  g_test_add_func ("/server/search/filter/fields", test_filter_fields);
  g_test_add_func ("/server/search/filter/cashier-names-another", test_cashier_names_another);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/server/search/bad/%s", bad_cases[i].name);

      g_test_add_data_func (name, &bad_cases[i], test_bad_parameter);
    }
  g_test_add_func ("/server/search/bad/long-values", test_bad_long_values);
  g_test_add_func ("/server/search/bad/escape", test_bad_escape);
  g_test_add_func ("/server/search/idempotency-key", test_idempotency_key_lookup);
  g_test_add_func ("/server/search/paging", test_paging);
  g_test_add_func ("/server/search/paging/many", test_paging_many);
  g_test_add_func ("/server/search/paging/cashier", test_paging_cashier);
  g_test_add_func ("/server/search/refunds", test_refunds);
  g_test_add_func ("/server/search/plans", test_plans);
  g_test_add_func ("/server/search/upgrade", test_upgrade);

  /* One shop for the filter and bad-parameter cases: they only read. */
  filter_shop = shop_new ();
  insert_rows (filter_shop->server, filter_rows, G_N_ELEMENTS (filter_rows));
  status = till_test_run ();
  shop_free (filter_shop);
  return status;
}
