/* test-json-util.c: the strict JSON check every outside byte passes
 *
 * Each refused case is one json-glib 1.6 alone would take and read its own
 * way (issue 9, defect D: "0100" charged 64, "0x64" charged 100), or one
 * that would carry a string json-glib writes out as invalid UTF-8
 * (defect G: a lone surrogate).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "till-json-util.h"

typedef struct
{
  const char         *name;
  const char         *json;
  gssize              length;   /* -1: strlen */
  guint               max_depth;
  TillJsonRawProblem  problem;
} RawCase;

static const RawCase raw_cases[] = {
  { "ok", "{\"a\":[1,2,{\"b\":\"c\"}]}", -1, 3, TILL_JSON_RAW_OK },
  { "ok-white-space", " \t\r\n{ \"a\" : [ 1 , -0.5e+3 , true , false , null ] }\n", -1, 3, TILL_JSON_RAW_OK },
  { "ok-scalar", "42", -1, 1, TILL_JSON_RAW_OK },
  { "ok-zero", "[0, -0, 0.0, 0e5]", -1, 1, TILL_JSON_RAW_OK },
  { "ok-escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"]", -1, 1, TILL_JSON_RAW_OK },
  { "ok-surrogate-pair", "[\"\\ud83d\\ude00\"]", -1, 1, TILL_JSON_RAW_OK },
  { "ok-utf8", "[\"₩ 한국어 😀\"]", -1, 1, TILL_JSON_RAW_OK },
  { "depth-at-limit", "[[[]]]", -1, 3, TILL_JSON_RAW_OK },
  { "depth-past-limit", "[[[[]]]]", -1, 3, TILL_JSON_RAW_TOO_DEEP },
  { "depth-huge", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", -1, 32, TILL_JSON_RAW_TOO_DEEP },
  { "brackets-in-string", "{\"a\":\"[[[[[[\"}", -1, 1, TILL_JSON_RAW_OK },
  { "escaped-quote-in-string", "{\"a\":\"\\\"[[[[\"}", -1, 1, TILL_JSON_RAW_OK },
  { "nul-escape", "{\"a\":\"\\u0000\"}", -1, 8, TILL_JSON_RAW_NUL },
  { "nul-escape-in-key", "{\"a\\u0000b\":1}", -1, 8, TILL_JSON_RAW_NUL },
  { "nul-byte", "{\"a\":\"x\0y\"}", 11, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "escaped-backslash-then-u0000", "{\"a\":\"\\\\u0000\"}", -1, 8, TILL_JSON_RAW_OK },
  { "digits-18", "[123456789012345678]", -1, 8, TILL_JSON_RAW_OK },
  { "digits-19", "[1234567890123456789]", -1, 8, TILL_JSON_RAW_NUMBER_TOO_LONG },
  { "digits-19-negative", "[-1844674407370955151]", -1, 8, TILL_JSON_RAW_NUMBER_TOO_LONG },
  { "digits-in-string", "[\"1234567890123456789012345\"]", -1, 8, TILL_JSON_RAW_OK },
  { "fraction-resets-count", "[123456789012345678.123456789012345678]", -1, 8, TILL_JSON_RAW_OK },
  { "fraction-too-long", "[1.1234567890123456789]", -1, 8, TILL_JSON_RAW_NUMBER_TOO_LONG },
  /* Defect D: numbers that are not JSON */
  { "leading-zero", "{\"amount\":0100}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "leading-zero-octal", "{\"amount\":0777}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "leading-zero-negative", "[-01]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "hex", "{\"amount\":0x64}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "hex-upper", "{\"amount\":0X10}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "plus", "[+1]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "bare-fraction", "[.5]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "trailing-dot", "[5.]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "empty-exponent", "[5e]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "infinity", "[Infinity]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "nan", "[NaN]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "minus-alone", "[-]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "number-then-letter", "[100abc]", -1, 8, TILL_JSON_RAW_SYNTAX },
  /* the rest of the lenient class */
  { "single-quotes", "{'amount':100}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "single-quoted-value", "{\"currency\":'usd'}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "line-comment", "{\"amount\":100 // cents\n}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "block-comment", "{/* x */\"amount\":100}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "hash-comment", "{\"amount\":100 # x\n}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "trailing-comma-object", "{\"amount\":100,}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "trailing-comma-array", "[1,]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "bare-key", "{amount:100}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "two-values", "{}{}", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "text-after", "{\"a\":1} x", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "empty", "", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "white-space-only", "  ", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "unclosed-string", "[\"abc", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "unclosed-array", "[1, 2", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "control-char-in-string", "[\"a\tb\"]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "newline-in-string", "[\"a\nb\"]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "bad-escape", "[\"\\x41\"]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "short-unicode-escape", "[\"\\u12\"]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "true-cut", "[tru]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "capital-true", "[True]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "not-json", "]]]", -1, 8, TILL_JSON_RAW_SYNTAX },
  { "undefined", "[undefined]", -1, 8, TILL_JSON_RAW_SYNTAX },
  /* Defect G: lone surrogates, escaped or raw */
  { "lone-high-surrogate", "{\"description\":\"\\ud800\"}", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "lone-high-surrogate-then-text", "[\"\\udbffabc\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "lone-low-surrogate", "[\"\\udc00\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "high-then-high", "[\"\\ud800\\ud800\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "high-then-plain-escape", "[\"\\ud800\\u0041\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "raw-utf8-surrogate", "[\"\xed\xa0\x80\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "invalid-utf8", "[\"\xff\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "overlong-utf8", "[\"\xc0\xaf\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
  { "cut-utf8", "[\"\xe2\x82\"]", -1, 8, TILL_JSON_RAW_BAD_UNICODE },
};

static void
test_raw (gconstpointer data)
{
  const RawCase *test = data;
  gsize length = test->length < 0 ? strlen (test->json) : (gsize) test->length;

  g_assert_cmpint (till_json_find_raw_problem (test->json, length, test->max_depth), ==, test->problem);
}

/* What passes the check parses, and what fails never reaches json-glib. */
static void
test_parse (gconstpointer data)
{
  const RawCase *test = data;
  gsize length = test->length < 0 ? strlen (test->json) : (gsize) test->length;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = till_json_parse_strict (test->json, length, test->max_depth, &error);

  if (test->problem == TILL_JSON_RAW_OK)
    {
      g_assert_no_error (error);
      g_assert_nonnull (root);
    }
  else
    {
      g_assert_error (error, TILL_JSON_ERROR, (int) test->problem);
      g_assert_null (root);
      /* The message never quotes the text. */
      g_assert_null (strstr (error->message, "amount"));
    }
}

static void
test_duplicate_keys (void)
{
  static const char *duplicates[] = {
    "{\"amount\":1,\"amount\":100}",
    "{\"a\":1,\"\\u0061\":2}",
    "{\"x\":{\"b\":1,\"c\":2,\"b\":3}}",
    "[{\"a\":1},{\"a\":2,\"a\":2}]",
  };
  static const char *distinct[] = {
    "{\"a\":{\"a\":{\"a\":1}}}",
    "[{\"a\":1},{\"a\":2}]",
    "{\"a\":1,\"b\":{\"a\":2},\"c\":3}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (duplicates); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = till_json_parse_strict (duplicates[i], strlen (duplicates[i]), 8, &error);

      g_assert_error (error, TILL_JSON_ERROR, TILL_JSON_RAW_DUPLICATE_KEY);
      g_assert_null (root);
    }
  for (guint i = 0; i < G_N_ELEMENTS (distinct); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = till_json_parse_strict (distinct[i], strlen (distinct[i]), 8, &error);

      g_assert_no_error (error);
      g_assert_nonnull (root);
    }
}

/* A long text is checked in one pass: no recursion past the depth, no
 * quadratic work. */
static void
test_large_flat (void)
{
  g_autoptr(GString) text = g_string_new ("[");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;

  for (guint i = 0; i < 100000; i++)
    g_string_append (text, i ? ",\"\\ud83d\\ude00x\"" : "0");
  g_string_append_c (text, ']');
  root = till_json_parse_strict (text->str, text->len, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 100000);
}

/* Every control character in a string, as a description or a message
 * from Stripe may hold: written so that the strict check (any JSON
 * reader) takes it, and read back as the same string. json-glib 1.6
 * alone wrote U+0001…U+001F (but \b \f \n \r \t) as they are. */
static void
test_write_control_chars (void)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;
  char text[32];

  for (guint i = 0; i < 31; i++)
    text[i] = (char) (i + 1);
  text[31] = '\0';
  json_object_set_string_member (object, "description", text);
  json_object_set_string_member (object, "plain", "caf\xc3\xa9 \"quoted\" \\ /");
  json_node_set_object (root, object);

  written = till_json_write (root);
  for (const char *c = written; *c != '\0'; c++)
    g_assert_cmpint ((guchar) *c, >=, 0x20);
  again = till_json_parse_strict (written, strlen (written), 8, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (again), "description"), ==, text);
  g_assert_true (json_node_equal (root, again));
}

/* A password in a request body is zeroed in place, where json-glib keeps
 * it; other members and missing paths are left alone. */
static void
test_wipe_string (void)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"approval\":{\"username\":\"morgan\",\"password\":\"s3cret!\"},"
                                               "\"amount\":500}", NULL);
  JsonObject *root = json_node_get_object (node);
  JsonObject *approval = json_object_get_object_member (root, "approval");
  const char *password = json_object_get_string_member (approval, "password");

  till_json_wipe_string (root, "approval.password");
  till_json_wipe_string (root, "approval.missing");
  till_json_wipe_string (root, "amount.password");
  till_json_wipe_string (root, "amount");
  for (guint i = 0; i < strlen ("s3cret!"); i++)
    g_assert_cmpint (password[i], ==, 0);
  g_assert_cmpstr (json_object_get_string_member (approval, "username"), ==, "morgan");
  g_assert_cmpint (json_object_get_int_member (root, "amount"), ==, 500);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (raw_cases); i++)
    {
      g_autofree char *raw = g_strdup_printf ("/json-util/raw/%s", raw_cases[i].name);
      g_autofree char *parse = g_strdup_printf ("/json-util/parse/%s", raw_cases[i].name);

      g_test_add_data_func (raw, &raw_cases[i], test_raw);
      g_test_add_data_func (parse, &raw_cases[i], test_parse);
    }
  g_test_add_func ("/json-util/parse/duplicate-keys", test_duplicate_keys);
  g_test_add_func ("/json-util/parse/large-flat", test_large_flat);
  g_test_add_func ("/json-util/write/control-chars", test_write_control_chars);
  g_test_add_func ("/json-util/wipe-string", test_wipe_string);

  return g_test_run ();
}
