/* fuzz-journal.c: reading a payment journal entry back from disk
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * After a crash or a power cut the terminal reads whatever its journal
 * files hold, and it must neither crash on them (it reads them at every
 * start) nor take a damaged one for a sale. The input is one file's bytes,
 * not NUL-terminated. What must hold: no memory error; what is accepted
 * has the fields a reader relies on; and those fields, written the way
 * till-sale.c writes an entry, read back as they were.
 */
#include "config.h"

#include <string.h>

#include "till-journal.h"
#include "till-journal-private.h"
#include "till-json-util.h"
#include "till-fuzz.h"

/* The seed corpus's entries carry this key; any other is refused. */
#define FUZZ_KEY "5f0e8c1a-7b3d-4e29-9a6f-2c4d8e1b3a70"

/* The fields till_journal_entry_parse() requires, in a new object, as
 * till-sale.c's write_journal() builds one. */
static JsonObject *
copy_required (JsonObject *entry)
{
  static const char * const strings[] = { "key", "state", "currency", "token" };
  static const char * const ints[] = { "amount", "created", "updated" };
  JsonObject *copy = json_object_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    json_object_set_string_member (copy, strings[i], json_object_get_string_member (entry, strings[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (ints); i++)
    json_object_set_int_member (copy, ints[i], json_object_get_int_member (entry, ints[i]));
  return copy;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) entry = till_journal_entry_parse ((const char *) data, size, FUZZ_KEY, &error);
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(JsonNode) copy_node = NULL;
  g_autoptr(JsonNode) again_node = NULL;
  g_autofree char *text = NULL;

  if (entry == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == TILL_JSON_ERROR || error->domain == G_IO_ERROR);
      return 0;
    }

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (entry, "key"), ==, FUZZ_KEY);
  (void) till_journal_entry_is_final (entry);

  copy = copy_required (entry);
  copy_node = json_node_init_object (json_node_alloc (), copy);
  text = json_to_string (copy_node, FALSE);
  again = till_journal_entry_parse (text, strlen (text), FUZZ_KEY, &error);
  if (again == NULL)
    g_error ("An entry written from what was read is refused: %s", error->message);
  again_node = json_node_init_object (json_node_alloc (), again);
  g_assert_true (json_node_equal (copy_node, again_node));
  return 0;
}
