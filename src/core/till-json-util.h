/* till-json-util.h: strict RFC 8259 JSON, which json-glib 1.6 is not
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_JSON_ERROR (till_json_error_quark ())

/**
 * TillJsonRawProblem:
 * @TILL_JSON_RAW_OK: strict JSON, none of the problems below
 * @TILL_JSON_RAW_NUL: a string holds the escape \u0000
 * @TILL_JSON_RAW_TOO_DEEP: arrays and objects nest deeper than allowed
 * @TILL_JSON_RAW_NUMBER_TOO_LONG: a run of more than 18 digits in a number
 *   (an integer json-glib would wrap past 64 bits)
 * @TILL_JSON_RAW_BAD_UNICODE: invalid UTF-8, a NUL byte, or a lone
 *   surrogate escape (\ud800 without its pair)
 * @TILL_JSON_RAW_SYNTAX: not RFC 8259 JSON: a leading zero, a hex number,
 *   a single quote, a comment, a trailing comma, text after the value …
 * @TILL_JSON_RAW_DUPLICATE_KEY: an object has the same key twice (found by
 *   till_json_parse_strict() only, which compares the decoded keys)
 *
 * What the strict check found first; also the codes of %TILL_JSON_ERROR.
 */
typedef enum
{
  TILL_JSON_RAW_OK = 0,
  TILL_JSON_RAW_NUL,
  TILL_JSON_RAW_TOO_DEEP,
  TILL_JSON_RAW_NUMBER_TOO_LONG,
  TILL_JSON_RAW_BAD_UNICODE,
  TILL_JSON_RAW_SYNTAX,
  TILL_JSON_RAW_DUPLICATE_KEY,
} TillJsonRawProblem;

GQuark              till_json_error_quark         (void);

TillJsonRawProblem  till_json_find_raw_problem    (const char          *data,
                                                   gsize                length,
                                                   guint                max_depth);
const char         *till_json_raw_problem_describe (TillJsonRawProblem  problem);

JsonNode           *till_json_parse_strict        (const char          *data,
                                                   gsize                length,
                                                   guint                max_depth,
                                                   GError             **error);
char               *till_json_write               (JsonNode            *node) G_GNUC_WARN_UNUSED_RESULT;
void                till_json_wipe_string         (JsonObject          *object,
                                                   const char          *path);
/* The member name of object if it is a string; NULL if object is NULL, or
 * the member is missing, null or of another type (a server's answer read
 * for display, where a wrong type shows as a blank). */
const char         *till_json_get_string          (JsonObject          *object,
                                                   const char          *name);

G_END_DECLS
