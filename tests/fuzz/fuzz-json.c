/* fuzz-json.c: the strict RFC 8259 check every byte from outside passes
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * till_json_find_raw_problem() and till_json_parse_strict() read attacker
 * bytes before anything else does: request bodies at till-server, answers
 * at the terminal, the card page's messages. The input goes in as it is,
 * not NUL-terminated. What must hold:
 * - no memory error, and no recursion past the depth asked for;
 * - a shallower limit never accepts what a deeper one refuses;
 * - the parser refuses exactly what the check refuses, with the same code,
 *   and refuses what the check passed only for a key given twice;
 * - every string it gives (member names too) is valid UTF-8;
 * - what till_json_write() writes of a parsed value (as till-server writes
 *   its answers, the terminal its requests and journal) passes the check
 *   again and reads back equal (json-glib alone wrote control characters
 *   into strings as they are: the corpus's control-chars-* inputs); left
 *   out for values with a fraction or an exponent, which the generator
 *   writes with 17 significant digits after any leading zeros (3.5e-3 as
 *   0.0035000000000000001), past the check's 18 digits in a row. Till
 *   writes no such numbers.
 */
#include "config.h"

#include "till-json-util.h"
#include "till-fuzz.h"

#define DEPTH 64

/* Checks the strings; FALSE when the tree holds a double (see above; one
 * made infinite from a huge exponent would even be written as a word). */
static gboolean
check_node (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean plain = TRUE;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, &name, &member))
          {
            g_assert_true (g_utf8_validate (name, -1, NULL));
            plain &= check_node (member);
          }
        return plain;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        gboolean plain = TRUE;

        for (guint i = 0; i < json_array_get_length (array); i++)
          plain &= check_node (json_array_get_element (array, i));
        return plain;
      }
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        g_assert_true (g_utf8_validate (json_node_get_string (node), -1, NULL));
      return json_node_get_value_type (node) != G_TYPE_DOUBLE;
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  TillJsonRawProblem shallow = till_json_find_raw_problem (text, size, 4);
  TillJsonRawProblem deep = till_json_find_raw_problem (text, size, DEPTH);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = till_json_parse_strict (text, size, DEPTH, &error);
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *written = NULL;

  if (shallow == TILL_JSON_RAW_OK)
    g_assert_cmpint (deep, ==, TILL_JSON_RAW_OK);
  if (deep != TILL_JSON_RAW_OK)
    g_assert_cmpint (shallow, !=, TILL_JSON_RAW_OK);

  if (root == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == TILL_JSON_ERROR);
      g_assert_cmpint (error->code, !=, TILL_JSON_RAW_OK);
      if (deep != TILL_JSON_RAW_OK)
        g_assert_cmpint (error->code, ==, deep);
      else
        g_assert_cmpint (error->code, ==, TILL_JSON_RAW_DUPLICATE_KEY);
      return 0;
    }

  g_assert_no_error (error);
  g_assert_cmpint (deep, ==, TILL_JSON_RAW_OK);
  if (!check_node (root))
    return 0;

  written = till_json_write (root);
  again = till_json_parse_strict (written, strlen (written), DEPTH, &error);
  if (again == NULL)
    g_error ("json-glib wrote what the strict check refuses (%s): %s", error->message, written);
  g_assert_true (json_node_equal (root, again));
  return 0;
}
