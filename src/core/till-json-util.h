/* till-json-util.h: checks on raw JSON text that json-glib 1.6 lacks
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TillJsonRawProblem:
 * @TILL_JSON_RAW_OK: none of the problems below
 * @TILL_JSON_RAW_NUL: a string holds the escape \u0000
 * @TILL_JSON_RAW_TOO_DEEP: arrays and objects nest deeper than allowed
 * @TILL_JSON_RAW_NUMBER_TOO_LONG: a run of more than 18 digits outside a
 *   string (an integer json-glib would wrap past 64 bits)
 *
 * What till_json_find_raw_problem() found first.
 */
typedef enum
{
  TILL_JSON_RAW_OK = 0,
  TILL_JSON_RAW_NUL,
  TILL_JSON_RAW_TOO_DEEP,
  TILL_JSON_RAW_NUMBER_TOO_LONG,
} TillJsonRawProblem;

TillJsonRawProblem till_json_find_raw_problem (const char *data,
                                               gsize       length,
                                               guint       max_depth);

G_END_DECLS
