/* till-json-util.c: checks on raw JSON text that json-glib 1.6 lacks
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include <string.h>

#include "till-json-util.h"

#define MAX_INTEGER_DIGITS 18

/* Three things json-glib 1.6 would pass on silently are refused in the
 * raw text: integer literals past 64 bits, which it wraps
 * ("-18446744073709551516" reads as 100); \u0000 in strings, where it cuts
 * the string short; and deep nesting, which its recursive parser follows
 * until the stack runs out. Nothing Till reads needs more than 18 digits
 * or a NUL character.
 *
 * The scan is linear and does not need valid JSON: it is safe to run
 * before the parser. */
TillJsonRawProblem
till_json_find_raw_problem (const char *data,
                            gsize       length,
                            guint       max_depth)
{
  gboolean in_string = FALSE;
  guint digits = 0;
  guint depth = 0;

  g_return_val_if_fail (data != NULL || length == 0, TILL_JSON_RAW_OK);

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\' && i + 5 < length && strncmp (data + i + 1, "u0000", 5) == 0)
            return TILL_JSON_RAW_NUL;
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return TILL_JSON_RAW_TOO_DEEP;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
      if (g_ascii_isdigit (c))
        {
          if (++digits > MAX_INTEGER_DIGITS)
            return TILL_JSON_RAW_NUMBER_TOO_LONG;
        }
      else
        digits = 0;
    }
  return TILL_JSON_RAW_OK;
}
