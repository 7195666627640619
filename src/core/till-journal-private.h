/* till-journal-private.h: the journal's reader of one entry, from bytes
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What till_journal_list() does with each file's bytes, on its own so that
 * tests/fuzz/fuzz-journal.c can feed it anything a damaged disk could hold
 * without a folder or a file.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The entry in data (length bytes, not NUL-terminated) if it is strict
 * RFC 8259 JSON, an object with every field a reader relies on, its "key"
 * equal to key; a new reference. Otherwise NULL, and error is set:
 * TILL_JSON_ERROR when the bytes are not strict JSON (an empty file too),
 * G_IO_ERROR_INVALID_DATA when they are but not an entry for key. */
JsonObject *till_journal_entry_parse (const char  *data,
                                      gsize        length,
                                      const char  *key,
                                      GError     **error);

G_END_DECLS
