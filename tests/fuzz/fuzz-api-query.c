/* fuzz-api-query.c: till-server's reading of GET /api/payments's query
 * string and of the times in it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: the raw query string (what follows '?'). What must hold: no
 * memory error; a refusal is a 400 invalid_parameter whose param, when it
 * has one, is a name the endpoint knows (never the client's words); what
 * is accepted has each known name at most once, with a value of UTF-8
 * text without control characters. The whole input and every value,
 * read as a time, is refused or is the second GLib reads it as.
 */
#include "config.h"

#include <string.h>

#include "till-api-input.h"
#include "till-fuzz.h"

static const char *allowed[] = {
  "limit", "starting_after", "idempotency_key", "created_gte", "created_lt", "amount_gte",
  "amount_lte", "last4", "brand", "reference", "cashier", "status", NULL
};

static void
check_time (const char *text)
{
  g_autoptr(GDateTime) parsed = NULL;
  g_autofree char *upper = NULL;
  gint64 t;

  if (!till_api_input_time (text, &t))
    return;
  /* GLib's own reading agrees to the second (a fraction rounds up); it
   * takes only an upper-case T and Z, which RFC 3339 does not ask. */
  upper = g_ascii_strup (text, -1);
  parsed = g_date_time_new_from_iso8601 (upper, NULL);
  g_assert_nonnull (parsed);
  g_assert_cmpint (t - g_date_time_to_unix (parsed), >=, 0);
  g_assert_cmpint (t - g_date_time_to_unix (parsed), <=, 1);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *raw = till_fuzz_strndup (data, size);
  g_autoptr(GHashTable) params = NULL;
  TillApiProblem problem = { 0, };
  GHashTableIter iter;
  gpointer name, value;

  check_time (raw);
  if (!till_api_input_query (raw, allowed, &params, &problem))
    {
      g_assert_cmpuint (problem.status, ==, 400);
      g_assert_cmpstr (problem.code, ==, "invalid_parameter");
      g_assert_nonnull (problem.message);
      g_assert_true (problem.param == NULL || g_strv_contains (allowed, problem.param));
      return 0;
    }
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      g_assert_true (g_strv_contains (allowed, name));
      g_assert_true (g_utf8_validate (value, -1, NULL));
      g_assert_false (till_api_input_has_control_chars (value));
      check_time (value);
    }
  return 0;
}
