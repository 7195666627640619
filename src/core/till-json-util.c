/* till-json-util.c: strict RFC 8259 JSON, which json-glib 1.6 is not
 *
 * json-glib 1.6 takes much that is not JSON and reads it its own way:
 * "0100" as octal 64, "0x64" as 100, single-quoted strings, comments,
 * integers past 64 bits wrapped ("-18446744073709551516" reads as 100),
 * a lone surrogate escape written out as invalid UTF-8, "\u0000" cutting
 * a string short, the last of two equal keys kept without a word, and
 * nesting followed recursively until the stack runs out. Every byte Till
 * reads from outside (a request at till-server, an answer at the terminal,
 * a message from the card page, Stripe's answers) passes this check first,
 * so that what is parsed is what the sender meant and every reader of the
 * same bytes reads the same thing.
 *
 * The scanner is linear, bounded in recursion by the depth it is given,
 * and does not trust its input to be JSON.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "till-json-util.h"

/* Nothing Till reads needs more digits in a row: 18 fit in 63 bits. */
#define MAX_NUMBER_DIGITS 18
/* Whatever the caller asks for, recursion stays this shallow. */
#define MAX_SCAN_DEPTH    256

G_DEFINE_QUARK (till-json-error-quark, till_json_error)

typedef struct
{
  const char         *p;
  const char         *end;
  guint               max_depth;
  TillJsonRawProblem  problem;
} Scanner;

static gboolean scan_value (Scanner *s,
                            guint    depth);

static gboolean
fail (Scanner            *s,
      TillJsonRawProblem  problem)
{
  if (s->problem == TILL_JSON_RAW_OK)
    s->problem = problem;
  return FALSE;
}

static void
skip_ws (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
scan_char (Scanner *s,
           char     c)
{
  if (s->p < s->end && *s->p == c)
    {
      s->p++;
      return TRUE;
    }
  return FALSE;
}

static gboolean
scan_digits (Scanner *s)
{
  const char *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  if (s->p - start > MAX_NUMBER_DIGITS)
    return fail (s, TILL_JSON_RAW_NUMBER_TOO_LONG);
  return s->p > start || fail (s, TILL_JSON_RAW_SYNTAX);
}

static int
scan_hex4 (Scanner *s)
{
  int value = 0;

  if (s->end - s->p < 4)
    return -1;
  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (*s->p++);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* After "\u". A surrogate must come as a high one followed by a low one:
 * a lone one has no character to stand for, and json-glib would write it
 * out as bytes that are not UTF-8. */
static gboolean
scan_unicode_escape (Scanner *s)
{
  int unit = scan_hex4 (s);

  if (unit < 0)
    return fail (s, TILL_JSON_RAW_SYNTAX);
  if (unit == 0)
    return fail (s, TILL_JSON_RAW_NUL);
  if (unit >= 0xdc00 && unit <= 0xdfff)
    return fail (s, TILL_JSON_RAW_BAD_UNICODE);
  if (unit >= 0xd800 && unit <= 0xdbff)
    {
      if (!scan_char (s, '\\') || !scan_char (s, 'u'))
        return fail (s, TILL_JSON_RAW_BAD_UNICODE);
      unit = scan_hex4 (s);
      if (unit < 0)
        return fail (s, TILL_JSON_RAW_SYNTAX);
      if (unit < 0xdc00 || unit > 0xdfff)
        return fail (s, TILL_JSON_RAW_BAD_UNICODE);
    }
  return TRUE;
}

static gboolean
scan_string (Scanner *s)
{
  if (!scan_char (s, '"'))
    return fail (s, TILL_JSON_RAW_SYNTAX);
  while (s->p < s->end)
    {
      guchar c = (guchar) *s->p++;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return fail (s, TILL_JSON_RAW_SYNTAX);
      if (c != '\\')
        continue;
      if (s->p >= s->end)
        break;
      c = (guchar) *s->p++;
      if (c == 'u')
        {
          if (!scan_unicode_escape (s))
            return FALSE;
        }
      else if (c == '\0' || strchr ("\"\\/bfnrt", c) == NULL)
        return fail (s, TILL_JSON_RAW_SYNTAX);
    }
  return fail (s, TILL_JSON_RAW_SYNTAX);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and nothing else: no
 * leading zeros, no "+", no hex, no bare ".5" or "5.". */
static gboolean
scan_number (Scanner *s)
{
  scan_char (s, '-');
  if (!scan_char (s, '0'))
    {
      if (s->p >= s->end || *s->p < '1' || *s->p > '9')
        return fail (s, TILL_JSON_RAW_SYNTAX);
      if (!scan_digits (s))
        return FALSE;
    }
  if (scan_char (s, '.') && !scan_digits (s))
    return FALSE;
  if (scan_char (s, 'e') || scan_char (s, 'E'))
    {
      if (!scan_char (s, '+'))
        scan_char (s, '-');
      if (!scan_digits (s))
        return FALSE;
    }
  /* "0100" stops after the "0"; what follows must not be a digit. */
  if (s->p < s->end && (g_ascii_isalnum (*s->p) || *s->p == '.'))
    return fail (s, TILL_JSON_RAW_SYNTAX);
  return TRUE;
}

static gboolean
scan_word (Scanner    *s,
           const char *word)
{
  gsize length = strlen (word);

  if ((gsize) (s->end - s->p) < length || strncmp (s->p, word, length) != 0)
    return fail (s, TILL_JSON_RAW_SYNTAX);
  s->p += length;
  return TRUE;
}

static gboolean
scan_members (Scanner  *s,
              char      close,
              gboolean  is_object,
              guint     depth)
{
  skip_ws (s);
  if (scan_char (s, close))
    return TRUE;
  do
    {
      skip_ws (s);
      if (is_object)
        {
          if (!scan_string (s))
            return FALSE;
          skip_ws (s);
          if (!scan_char (s, ':'))
            return fail (s, TILL_JSON_RAW_SYNTAX);
          skip_ws (s);
        }
      if (!scan_value (s, depth))
        return FALSE;
      skip_ws (s);
    }
  while (scan_char (s, ','));
  return scan_char (s, close) || fail (s, TILL_JSON_RAW_SYNTAX);
}

static gboolean
scan_value (Scanner *s,
            guint    depth)
{
  if (s->p >= s->end)
    return fail (s, TILL_JSON_RAW_SYNTAX);
  switch (*s->p)
    {
    case '{':
    case '[':
      {
        gboolean is_object = *s->p++ == '{';

        if (depth >= s->max_depth)
          return fail (s, TILL_JSON_RAW_TOO_DEEP);
        return scan_members (s, is_object ? '}' : ']', is_object, depth + 1);
      }
    case '"':
      return scan_string (s);
    case 't':
      return scan_word (s, "true");
    case 'f':
      return scan_word (s, "false");
    case 'n':
      return scan_word (s, "null");
    default:
      return scan_number (s);
    }
}

/**
 * till_json_find_raw_problem:
 * @data: the text, not necessarily NUL-terminated
 * @length: its length in bytes
 * @max_depth: how deep arrays and objects may nest (1: one level)
 *
 * Checks that @data is exactly one RFC 8259 JSON value with optional white
 * space around it, in valid UTF-8, within Till's limits.
 *
 * Returns: the first problem found, or %TILL_JSON_RAW_OK
 */
TillJsonRawProblem
till_json_find_raw_problem (const char *data,
                            gsize       length,
                            guint       max_depth)
{
  Scanner s = { data, data + length, MIN (max_depth, MAX_SCAN_DEPTH), TILL_JSON_RAW_OK };

  g_return_val_if_fail (data != NULL || length == 0, TILL_JSON_RAW_SYNTAX);

  if (length == 0)
    return TILL_JSON_RAW_SYNTAX;
  /* With a length, g_utf8_validate() also refuses NUL bytes and the
   * UTF-8 forms of surrogates. */
  if (!g_utf8_validate (data, (gssize) length, NULL))
    return TILL_JSON_RAW_BAD_UNICODE;

  skip_ws (&s);
  if (scan_value (&s, 0))
    {
      skip_ws (&s);
      if (s.p != s.end)
        fail (&s, TILL_JSON_RAW_SYNTAX);
    }
  return s.problem;
}

/**
 * till_json_raw_problem_describe:
 * @problem: a problem
 *
 * Returns: an English sentence for logs and API answers; it never quotes
 *   the text that had the problem
 */
const char *
till_json_raw_problem_describe (TillJsonRawProblem problem)
{
  switch (problem)
    {
    case TILL_JSON_RAW_OK:
      return "The JSON is valid";
    case TILL_JSON_RAW_NUL:
      return "A string contains a NUL character";
    case TILL_JSON_RAW_TOO_DEEP:
      return "The JSON is nested too deeply";
    case TILL_JSON_RAW_NUMBER_TOO_LONG:
      return "A number is out of range";
    case TILL_JSON_RAW_BAD_UNICODE:
      return "The text is not valid UTF-8 or has a lone surrogate";
    case TILL_JSON_RAW_DUPLICATE_KEY:
      return "An object has the same key twice";
    case TILL_JSON_RAW_SYNTAX:
    default:
      return "The text is not valid JSON";
    }
}

/* json-glib 1.6 keeps the last of two equal keys without a word. The
 * signals come in document order, object-member after the member is set,
 * so a key seen twice leaves the object smaller than its member count. */
typedef struct
{
  GArray   *members;   /* guint per open object */
  gboolean  duplicate;
} KeyCount;

static void
object_start_cb (JsonParser *parser,
                 KeyCount   *count)
{
  guint zero = 0;

  g_array_append_val (count->members, zero);
}

static void
object_member_cb (JsonParser *parser,
                  JsonObject *object,
                  const char *name,
                  KeyCount   *count)
{
  guint *members;

  if (count->members->len == 0)
    {
      count->duplicate = TRUE;   /* cannot happen after the scan */
      return;
    }
  members = &g_array_index (count->members, guint, count->members->len - 1);
  if (++*members != json_object_get_size (object))
    count->duplicate = TRUE;
}

static void
object_end_cb (JsonParser *parser,
               JsonObject *object,
               KeyCount   *count)
{
  if (count->members->len > 0)
    g_array_set_size (count->members, count->members->len - 1);
}

/**
 * till_json_parse_strict:
 * @data: the text, not necessarily NUL-terminated
 * @length: its length in bytes
 * @max_depth: how deep arrays and objects may nest
 * @error: a %TILL_JSON_ERROR, whose code is a #TillJsonRawProblem
 *
 * Parses @data after till_json_find_raw_problem() found nothing, and
 * refuses an object with a key twice.
 *
 * Returns: (transfer full): the root node, or %NULL with @error set
 */
JsonNode *
till_json_parse_strict (const char  *data,
                        gsize        length,
                        guint        max_depth,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GArray) members = NULL;
  TillJsonRawProblem problem;
  KeyCount count = { NULL, FALSE };
  JsonNode *root;

  problem = till_json_find_raw_problem (data, length, max_depth);
  if (problem != TILL_JSON_RAW_OK)
    {
      g_set_error_literal (error, TILL_JSON_ERROR, problem, till_json_raw_problem_describe (problem));
      return NULL;
    }

  members = g_array_new (FALSE, FALSE, sizeof (guint));
  count.members = members;
  parser = json_parser_new_immutable ();
  g_signal_connect (parser, "object-start", G_CALLBACK (object_start_cb), &count);
  g_signal_connect (parser, "object-member", G_CALLBACK (object_member_cb), &count);
  g_signal_connect (parser, "object-end", G_CALLBACK (object_end_cb), &count);

  /* json-glib's own message quotes the text: it is not passed on. */
  if (!json_parser_load_from_data (parser, data, (gssize) length, NULL) ||
      (root = json_parser_steal_root (parser)) == NULL)
    {
      g_set_error_literal (error, TILL_JSON_ERROR, TILL_JSON_RAW_SYNTAX,
                           till_json_raw_problem_describe (TILL_JSON_RAW_SYNTAX));
      return NULL;
    }
  if (count.duplicate)
    {
      json_node_unref (root);
      g_set_error_literal (error, TILL_JSON_ERROR, TILL_JSON_RAW_DUPLICATE_KEY,
                           till_json_raw_problem_describe (TILL_JSON_RAW_DUPLICATE_KEY));
      return NULL;
    }
  return root;
}

static gboolean
has_control_bytes (const char *text,
                   gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if ((guchar) text[i] < 0x20)
      return TRUE;
  return FALSE;
}

/* JSON text of node, compact, that RFC 8259 (and so the strict check on
 * the other side) accepts. json-glib 1.6's generator writes the control
 * characters U+0001 to U+001F other than \b \f \n \r \t into strings
 * as they are, which no JSON reader may accept: a description or a
 * message holding one would make the whole answer, request or journal
 * entry unreadable. In compact output a byte below 0x20 can only stand
 * inside a string, so each becomes its \u00XX escape here. The text
 * json-glib made is wiped before it is freed: it may hold a password. */
char *
till_json_write (JsonNode *node)
{
  char *text;
  GString *escaped;
  gsize length;

  g_return_val_if_fail (node != NULL, NULL);

  text = json_to_string (node, FALSE);
  length = strlen (text);
  if (!has_control_bytes (text, length))
    return text;

  escaped = g_string_sized_new (length + 32);
  for (gsize i = 0; i < length; i++)
    {
      if ((guchar) text[i] < 0x20)
        g_string_append_printf (escaped, "\\u%04x", (guint) (guchar) text[i]);
      else
        g_string_append_c (escaped, text[i]);
    }
  explicit_bzero (text, length);
  g_free (text);
  return g_string_free (escaped, FALSE);
}

/* A request body's copy of a secret, once the request is done with it:
 * the string member name of object (a dotted path such as
 * "approval.password" walks into objects) is overwritten with zeros in
 * place. Nothing happens when it is not there. */
void
till_json_wipe_string (JsonObject *object,
                       const char *path)
{
  g_auto(GStrv) names = NULL;
  JsonNode *node = NULL;
  char *text;

  g_return_if_fail (path != NULL);

  names = g_strsplit (path, ".", -1);
  for (guint i = 0; object != NULL && names[i] != NULL; i++)
    {
      node = json_object_get_member (object, names[i]);
      object = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    }
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return;
  /* json-glib hands out its own buffer: wiping it wipes the only copy. */
  text = (char *) json_node_get_string (node);
  explicit_bzero (text, strlen (text));
}

const char *
till_json_get_string (JsonObject *object,
                      const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}
