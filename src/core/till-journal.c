/* till-journal.c: the terminal's payment journal on disk
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One small JSON file per sale, named after its Idempotency-Key, in
 * $XDG_STATE_HOME/till/journal (mode 0700; files 0600). A sale is written
 * before its first request leaves the terminal and again whenever its state
 * changes, so that after a crash or a power cut the terminal still knows
 * every payment it may have started, with what it needs to send the very
 * same request again. No card data is kept: the token or PaymentMethod id
 * Stripe.js made, the amount, currency, reference, the card's brand and
 * last four digits once known, times and state. What an entry holds and
 * how long it is kept is in docs/journal.md.
 */
#define G_LOG_DOMAIN "till-journal"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "till-journal.h"
#include "till-journal-private.h"
#include "till-json-util.h"

/* An entry is one flat object; a little room for fields to come. */
#define ENTRY_MAX_DEPTH 8

struct _TillJournal
{
  GObject  parent_instance;
  char    *dir;
};

G_DEFINE_FINAL_TYPE (TillJournal, till_journal, G_TYPE_OBJECT)

static gboolean
key_is_valid (const char *key)
{
  gsize length = key ? strlen (key) : 0;

  if (length < 8 || length > 64)
    return FALSE;
  for (const char *c = key; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-')
      return FALSE;
  return TRUE;
}

/* g_file_set_contents_full()'s temporary file: "KEY.json.XXXXXX". */
static gboolean
is_unfinished_write (const char *name)
{
  const char *dot = strstr (name, ".json.");
  g_autofree char *key = NULL;

  if (dot == NULL || strlen (dot + strlen (".json.")) != 6)
    return FALSE;
  key = g_strndup (name, dot - name);
  return key_is_valid (key);
}

/* The rename is durable only once the folder itself is on disk. */
static gboolean
sync_dir (const char  *dir,
          GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved;

  if (fd < 0 || fsync (fd) != 0)
    {
      saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not sync the journal folder: %s", g_strerror (saved));
      return FALSE;
    }
  close (fd);
  return TRUE;
}

gboolean
till_journal_put (TillJournal  *self,
                  const char   *key,
                  JsonObject   *entry,
                  GError      **error)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  gsize length;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (!key_is_valid (key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a journal key");
      return FALSE;
    }
  json_node_set_object (node, entry);
  text = till_json_write (node);
  length = strlen (text);
  name = g_strconcat (key, ".json", NULL);
  path = g_build_filename (self->dir, name, NULL);
  /* CONSISTENT | DURABLE: a temporary file, fsync, rename over. */
  if (!g_file_set_contents_full (path, text, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    return FALSE;
  {
    g_autoptr(GError) sync_error = NULL;

    /* The entry is in place (and was synced itself); failing to sync the
     * folder must not read as "not written", or a sale that was could be
     * charged again as a new one. */
    if (!sync_dir (self->dir, &sync_error))
      g_warning ("%s", sync_error->message);
  }
  return TRUE;
}

static gboolean
has_type (JsonObject *entry,
          const char *name,
          GType       type)
{
  JsonNode *node = json_object_get_member (entry, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* The fields every reader relies on, with their types. */
static gboolean
entry_is_well_formed (JsonObject *entry,
                      const char *key)
{
  return has_type (entry, "key", G_TYPE_STRING) &&
         g_str_equal (json_object_get_string_member (entry, "key"), key) &&
         has_type (entry, "state", G_TYPE_STRING) &&
         has_type (entry, "currency", G_TYPE_STRING) &&
         has_type (entry, "token", G_TYPE_STRING) &&
         has_type (entry, "amount", G_TYPE_INT64) &&
         has_type (entry, "created", G_TYPE_INT64) &&
         has_type (entry, "updated", G_TYPE_INT64);
}

JsonObject *
till_journal_entry_parse (const char  *data,
                          gsize        length,
                          const char  *key,
                          GError     **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  /* Strict: what the journal's own writer made always passes, and a damaged
   * file must not reach json-glib 1.6, which takes trailing text (leaking
   * what came first), recurses as deep as the nesting goes, and turns a
   * lone surrogate escape into invalid UTF-8. */
  root = till_json_parse_strict (data, length, ENTRY_MAX_DEPTH, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root) || !entry_is_well_formed (json_node_get_object (root), key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a journal entry for its key");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gint64
entry_int (JsonObject *entry,
           const char *name)
{
  JsonNode *node = json_object_get_member (entry, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64
    ? json_node_get_int (node) : 0;
}

static int
compare_created (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = entry_int (*(JsonObject **) a, "created");
  gint64 y = entry_int (*(JsonObject **) b, "created");

  return x < y ? -1 : x > y;
}

GPtrArray *
till_journal_list (TillJournal *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), entries);

  dir = g_dir_open (self->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *key = NULL;
      g_autoptr(GMappedFile) mapped = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *entry;

      if (is_unfinished_write (name))
        {
          g_autofree char *leftover = g_build_filename (self->dir, name, NULL);

          /* A write cut short (the terminal was killed): its rename never
           * happened, so the entry's last complete version stands, and with
           * no entry at all the sale was never sent. It holds a token id:
           * gone. */
          g_debug ("Removing an unfinished journal write");
          if (g_unlink (leftover) != 0)
            g_warning ("Could not remove an unfinished journal write: %s", g_strerror (errno));
          continue;
        }
      if (!g_str_has_suffix (name, ".json"))
        continue;
      key = g_strndup (name, strlen (name) - strlen (".json"));
      if (!key_is_valid (key))
        continue;
      path = g_build_filename (self->dir, name, NULL);
      mapped = g_mapped_file_new (path, FALSE, &error);
      if (mapped == NULL)
        {
          /* Unreadable now (no memory, no file handles, permissions): it
           * stays where it is for the next look. */
          g_warning ("A journal entry could not be read: %s", error->message);
          continue;
        }
      entry = till_journal_entry_parse (g_mapped_file_get_contents (mapped), g_mapped_file_get_length (mapped),
                                        key, NULL);
      if (entry != NULL)
        {
          g_ptr_array_add (entries, entry);
          continue;
        }

      {
        g_autofree char *aside = g_strconcat (path, ".corrupt", NULL);

        /* Kept for a person to look at; the terminal cannot use it. */
        g_warning ("A journal entry could not be read and was set aside as %s", aside);
        if (g_rename (path, aside) != 0)
          g_warning ("Could not set the journal entry aside: %s", g_strerror (errno));
      }
    }
  g_ptr_array_sort (entries, compare_created);
  return entries;
}

gboolean
till_journal_entry_is_final (JsonObject *entry)
{
  const char *state = json_object_get_string_member_with_default (entry, "state", "");

  return g_str_equal (state, "succeeded") || g_str_equal (state, "declined") ||
         g_str_equal (state, "failed") || g_str_equal (state, "abandoned");
}

guint
till_journal_prune (TillJournal *self,
                    gint64       now,
                    gint64       keep_seconds)
{
  g_autoptr(GPtrArray) entries = till_journal_list (self);
  guint removed = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;

      if (!till_journal_entry_is_final (entry) || entry_int (entry, "updated") > now - keep_seconds)
        continue;
      name = g_strconcat (json_object_get_string_member (entry, "key"), ".json", NULL);
      path = g_build_filename (self->dir, name, NULL);
      if (g_unlink (path) == 0)
        removed++;
    }
  return removed;
}

gboolean
till_journal_has_recent_charge (TillJournal *self,
                                gint64       amount,
                                const char  *currency,
                                const char  *last4,
                                gint64       since,
                                const char  *except_key)
{
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (currency != NULL && last4 != NULL, FALSE);

  entries = till_journal_list (self);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);
      const char *state = json_object_get_string_member_with_default (entry, "state", "");

      if (g_strcmp0 (json_object_get_string_member_with_default (entry, "key", NULL), except_key) == 0)
        continue;
      if (entry_int (entry, "amount") == amount &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "currency", NULL), currency) == 0 &&
          g_strcmp0 (json_object_get_string_member_with_default (entry, "last4", NULL), last4) == 0 &&
          MAX (entry_int (entry, "created"), entry_int (entry, "updated")) >= since &&
          (g_str_equal (state, "succeeded") || g_str_equal (state, "unknown") || g_str_equal (state, "sending")))
        return TRUE;
    }
  return FALSE;
}

const char *
till_journal_get_dir (TillJournal *self)
{
  g_return_val_if_fail (TILL_IS_JOURNAL (self), NULL);
  return self->dir;
}

TillJournal *
till_journal_new (const char  *dir,
                  GError     **error)
{
  g_autoptr(TillJournal) self = g_object_new (TILL_TYPE_JOURNAL, NULL);

  self->dir = dir != NULL ? g_strdup (dir) : g_build_filename (g_get_user_state_dir (), "till", "journal", NULL);
  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make the journal folder %s: %s", self->dir, g_strerror (saved));
      return NULL;
    }
  /* Made earlier with other permissions: tighten them. */
  if (g_chmod (self->dir, 0700) != 0)
    g_warning ("Could not restrict the journal folder: %s", g_strerror (errno));
  return g_steal_pointer (&self);
}

static void
till_journal_finalize (GObject *object)
{
  g_free (TILL_JOURNAL (object)->dir);
  G_OBJECT_CLASS (till_journal_parent_class)->finalize (object);
}

static void
till_journal_class_init (TillJournalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_journal_finalize;
}

static void
till_journal_init (TillJournal *self)
{
}
