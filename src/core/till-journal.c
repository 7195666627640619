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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "till-journal.h"
#include "till-journal-private.h"
#include "till-json-util.h"

/* An entry is one flat object; a little room for fields to come. */
#define ENTRY_MAX_DEPTH 8

/* How old an unlocked temporary file must be to be taken for a write cut
 * short (see write_file()). */
#define ABANDONED_AFTER_SECONDS 60

/* What the index keeps of an entry: enough to answer the duplicate
 * question and to find the open ones, without reading a file. */
typedef struct
{
  char     *key;
  char     *card;            /* card_key() of amount, currency, last 4 */
  gint64    created;
  gint64    updated;
  gboolean  final;
  gboolean  may_have_charged;
} Summary;

struct _TillJournal
{
  GObject     parent_instance;
  char       *dir;
  GHashTable *index;         /* key → Summary */
  GHashTable *by_card;       /* card key → GPtrArray of Summary (not owned) */
  gint64      dir_mtime_ns;  /* the folder as this object last saw it */
  gint64      seen_at_ns;    /* when, in real time */
  GThreadPool *writer;       /* one thread: writes in the order asked */
  guint       pending;       /* writes asked for and not done */
  GFileMonitor *monitor;     /* changes made by others, as they happen */
  GHashTable *own_writes;    /* key → writes of this object the monitor has not reported yet */
  GApplication *held;        /* held while writes are pending */
  gboolean    refreshing;
};

G_DEFINE_FINAL_TYPE (TillJournal, till_journal, G_TYPE_OBJECT)

static void index_entry (TillJournal *self, const char *key, JsonObject *entry);
static void note_own_write (TillJournal *self, const char *key);
static void watch_folder (TillJournal *self);
static GPtrArray *read_entries (const char *folder);
static gboolean take_own_write (TillJournal *self, const char *key);
static void reread_entry (TillJournal *self, const char *key);
static void note_seen (TillJournal *self);

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

/* A write's temporary file: "KEY.json.XXXXXX". */
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

static gboolean
write_all (int          fd,
           const char  *text,
           gsize        length)
{
  while (length > 0)
    {
      gssize n = write (fd, text, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      text += n;
      length -= n;
    }
  return TRUE;
}

/* A temporary file, written and synced, then renamed over the entry: a
 * reader sees the old version or the new one, and after a power cut the
 * rename is durable (with the folder synced). The temporary file is
 * locked (flock) from just after it is made until it is renamed, and
 * closed: a temporary file nobody holds locked is a write cut short, by
 * this process or another, which any reader may remove
 * (remove_if_abandoned()); one that is locked is a write going on, in
 * this journal, another one in the same process, or another process
 * (a Devel and a release build share the folder). In the instant
 * between mkstemp and flock the new file is not locked yet: it is
 * not taken for a leftover because it is new, as a leftover must be a
 * minute old. Should one still go (a writer stopped for a minute in that
 * instant), the rename finds nothing and the write starts again. */
static gboolean
write_file (const char  *path,
            const char  *text,
            GError     **error)
{
  gsize length = strlen (text);
  int saved = 0;

  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autofree char *temporary = g_strconcat (path, ".XXXXXX", NULL);
      int fd = g_mkstemp_full (temporary, O_RDWR | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          saved = errno;
          break;
        }
      if (flock (fd, LOCK_EX) != 0 || !write_all (fd, text, length) || fsync (fd) != 0)
        {
          saved = errno;
          close (fd);
          g_unlink (temporary);
          break;
        }
      if (rename (temporary, path) == 0)
        {
          close (fd);
          return TRUE;
        }
      saved = errno;
      close (fd);
      g_unlink (temporary);
      if (saved != ENOENT)
        break;
    }
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved ? saved : EIO),
               "Could not write the journal entry: %s", g_strerror (saved ? saved : EIO));
  return FALSE;
}

/* The file itself: safe in any thread, as it touches nothing but dir. */
static gboolean
write_entry (const char  *dir,
             const char  *key,
             const char  *text,
             GError     **error)
{
  g_autofree char *name = g_strconcat (key, ".json", NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) sync_error = NULL;

  /* A folder removed while Till runs (by hand, a restore) comes back: a
   * terminal that cannot write its journal cannot take cards. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make the journal folder: %s", g_strerror (saved));
      return FALSE;
    }
  if (!write_file (path, text, error))
    return FALSE;
  /* The entry is in place (and was synced itself); failing to sync the
   * folder must not read as "not written", or a sale that was could be
   * charged again as a new one. */
  if (!sync_dir (dir, &sync_error))
    g_warning ("%s", sync_error->message);
  return TRUE;
}

static char *
entry_text (JsonObject *entry)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, entry);
  return till_json_write (node);
}

static gboolean
check_key (const char  *key,
           GError     **error)
{
  if (key_is_valid (key))
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "Not a journal key");
  return FALSE;
}

gboolean
till_journal_put (TillJournal  *self,
                  const char   *key,
                  JsonObject   *entry,
                  GError      **error)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (!check_key (key, error))
    return FALSE;
  text = entry_text (entry);
  note_own_write (self, key);
  if (!write_entry (self->dir, key, text, error))
    return FALSE;
  /* Seen by this object's own write: the folder changed, the index knows
   * why. */
  index_entry (self, key, entry);
  note_seen (self);
  return TRUE;
}

/* Writes off the main thread, one at a time and in the order asked, so
 * that a later state of a sale is never overwritten by an earlier one. */

typedef struct
{
  char       *dir;
  char       *key;
  char       *text;
  JsonObject *entry;
} Write;

static void
write_free (Write *write)
{
  g_free (write->dir);
  g_free (write->key);
  g_free (write->text);
  json_object_unref (write->entry);
  g_free (write);
}

/* The thread's reference goes back on the main thread, so that the
 * journal (which the task holds) is never finalized in its own writer. */
static gboolean
release_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

/* Till does not quit with a journal write on its way: the application is
 * held while any is, so that an outcome or an abandoned challenge written
 * as the window closes is on disk (one lost all the same, to a kill or a
 * power cut, leaves the entry open for the next start to resolve). The
 * application held is the one released, whatever the default is by then. */
static void
hold_application (TillJournal *self,
                  gboolean     hold)
{
  if (hold && self->held == NULL && g_application_get_default () != NULL)
    {
      self->held = g_object_ref (g_application_get_default ());
      g_application_hold (self->held);
    }
  else if (!hold && self->held != NULL)
    {
      g_application_release (self->held);
      g_clear_object (&self->held);
    }
}

static void
writer_cb (gpointer data,
           gpointer user_data)
{
  GTask *task = data;
  Write *write = g_task_get_task_data (task);
  GError *error = NULL;

  if (write_entry (write->dir, write->key, write->text, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_main_context_invoke (g_task_get_context (task), release_cb, task);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  TillJournal *self = TILL_JOURNAL (object);
  g_autoptr(GTask) task = user_data;
  Write *write = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  self->pending--;
  if (self->pending == 0)
    hold_application (self, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      /* No rename will be reported, and the index holds what was asked
       * for: the file says what is true. */
      take_own_write (self, write->key);
      reread_entry (self, write->key);
      g_task_return_error (task, error);
      return;
    }
  note_seen (self);
  g_task_return_boolean (task, TRUE);
}

void
till_journal_put_async (TillJournal         *self,
                        const char          *key,
                        JsonObject          *entry,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GTask *file_task;
  GError *error = NULL;
  Write *write;

  g_return_if_fail (TILL_IS_JOURNAL (self));
  g_return_if_fail (entry != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, till_journal_put_async);
  if (!check_key (key, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  write = g_new0 (Write, 1);
  write->dir = g_strdup (self->dir);
  write->key = g_strdup (key);
  write->text = entry_text (entry);
  write->entry = json_object_ref (entry);
  file_task = g_task_new (self, NULL, written_cb, g_steal_pointer (&task));
  g_task_set_task_data (file_task, write, (GDestroyNotify) write_free);
  if (self->writer == NULL)
    self->writer = g_thread_pool_new (writer_cb, NULL, 1, FALSE, NULL);
  /* In the index at once, in the order asked: a write another process
   * makes later, which the monitor reports, comes after it. */
  index_entry (self, key, entry);
  note_own_write (self, key);
  if (self->pending++ == 0)
    hold_application (self, TRUE);
  g_thread_pool_push (self->writer, file_task, NULL);
}

guint
till_journal_get_pending (TillJournal *self)
{
  g_return_val_if_fail (TILL_IS_JOURNAL (self), 0);
  return self->pending;
}

gboolean
till_journal_put_finish (TillJournal   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
has_type (JsonObject *entry,
          const char *name,
          GType       type)
{
  JsonNode *node = json_object_get_member (entry, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* A field that may be missing or null, or else has this type. */
static gboolean
has_optional_type (JsonObject *entry,
                   const char *name,
                   GType       type)
{
  JsonNode *node = json_object_get_member (entry, name);

  return node == NULL || JSON_NODE_HOLDS_NULL (node) || has_type (entry, name, type);
}

/* The fields every reader relies on, with their types; the optional ones
 * too, so that no reader meets a list where it expects a string. */
static gboolean
entry_is_well_formed (JsonObject *entry,
                      const char *key)
{
  static const char *optional_strings[] = { "description", "payment_id", "brand", "last4", "reason",
                                            "server", "cashier" };

  for (guint i = 0; i < G_N_ELEMENTS (optional_strings); i++)
    if (!has_optional_type (entry, optional_strings[i], G_TYPE_STRING))
      return FALSE;
  return has_optional_type (entry, "confirm_unknown", G_TYPE_BOOLEAN) &&
         has_type (entry, "key", G_TYPE_STRING) &&
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

/* The index */

static void
summary_free (Summary *summary)
{
  g_free (summary->key);
  g_free (summary->card);
  g_free (summary);
}

static char *
card_key (gint64      amount,
          const char *currency,
          const char *last4)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "/%s/%s", amount, currency, last4 ? last4 : "");
}

static gboolean
state_may_have_charged (const char *state)
{
  return g_str_equal (state, "succeeded") || g_str_equal (state, "unknown") || g_str_equal (state, "sending");
}

static void
unindex (TillJournal *self,
         const char  *key)
{
  Summary *summary = g_hash_table_lookup (self->index, key);
  GPtrArray *same_card;

  if (summary == NULL)
    return;
  same_card = g_hash_table_lookup (self->by_card, summary->card);
  if (same_card != NULL)
    {
      g_ptr_array_remove_fast (same_card, summary);
      if (same_card->len == 0)
        g_hash_table_remove (self->by_card, summary->card);
    }
  g_hash_table_remove (self->index, key);
}

static void
index_entry (TillJournal *self,
             const char  *key,
             JsonObject  *entry)
{
  Summary *summary = g_new0 (Summary, 1);
  GPtrArray *same_card;

  unindex (self, key);
  summary->key = g_strdup (key);
  summary->card = card_key (entry_int (entry, "amount"),
                            json_object_get_string_member_with_default (entry, "currency", ""),
                            json_object_get_string_member_with_default (entry, "last4", NULL));
  summary->created = entry_int (entry, "created");
  summary->updated = entry_int (entry, "updated");
  summary->final = till_journal_entry_is_final (entry);
  summary->may_have_charged =
    state_may_have_charged (json_object_get_string_member_with_default (entry, "state", ""));
  g_hash_table_insert (self->index, summary->key, summary);
  same_card = g_hash_table_lookup (self->by_card, summary->card);
  if (same_card == NULL)
    {
      same_card = g_ptr_array_new ();
      g_hash_table_insert (self->by_card, g_strdup (summary->card), same_card);
    }
  g_ptr_array_add (same_card, summary);
}

static gint64
dir_mtime_ns (TillJournal *self)
{
  GStatBuf buf;

  if (g_stat (self->dir, &buf) != 0)
    return -1;
  return (gint64) buf.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + buf.st_mtim.tv_nsec;
}

static gboolean
make_folder (const char  *dir,
             GError     **error)
{
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Could not make the journal folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  /* Made earlier with other permissions: tighten them. */
  if (g_chmod (dir, 0700) != 0)
    g_warning ("Could not restrict the journal folder: %s", g_strerror (errno));
  return TRUE;
}

static void
index_entries (TillJournal *self,
               GPtrArray   *entries)
{
  g_hash_table_remove_all (self->by_card);
  g_hash_table_remove_all (self->index);
  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *entry = g_ptr_array_index (entries, i);

      index_entry (self, json_object_get_string_member (entry, "key"), entry);
    }
  note_seen (self);
}

static void
index_all (TillJournal *self)
{
  g_autoptr(GPtrArray) entries = read_entries (self->dir);

  index_entries (self, entries);
}

/* The same, with the files read in a thread: a week of a busy shop is
 * thousands of them, seconds the cashier would otherwise wait. */
static void
read_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_task_return_pointer (task, read_entries (task_data), (GDestroyNotify) g_ptr_array_unref);
}

static void
read_entries_async (TillJournal         *self,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_task_data (task, g_strdup (self->dir), g_free);
  g_task_run_in_thread (task, read_thread);
}

static void
refreshed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  TillJournal *self = TILL_JOURNAL (object);
  g_autoptr(GPtrArray) entries = g_task_propagate_pointer (G_TASK (result), NULL);

  self->refreshing = FALSE;
  /* A write asked for meanwhile is in the index already and maybe not on
   * disk yet: read again later rather than forget it. */
  if (entries != NULL && self->pending == 0)
    index_entries (self, entries);
}

static void
note_seen (TillJournal *self)
{
  self->dir_mtime_ns = dir_mtime_ns (self);
  self->seen_at_ns = g_get_real_time () * 1000;
}

/* The monitor reports this object's own writes too; the index has them
 * already, so the file need not be read again on the main thread. */
static void
note_own_write (TillJournal *self,
                const char  *key)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->own_writes, key));

  if (self->monitor != NULL)
    g_hash_table_insert (self->own_writes, g_strdup (key), GUINT_TO_POINTER (count + 1));
}

static gboolean
take_own_write (TillJournal *self,
                const char  *key)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (self->own_writes, key));

  if (count == 0)
    return FALSE;
  if (count == 1)
    g_hash_table_remove (self->own_writes, key);
  else
    g_hash_table_insert (self->own_writes, g_strdup (key), GUINT_TO_POINTER (count - 1));
  return TRUE;
}

/* The index's summary of key, from its file as it is now. */
static void
reread_entry (TillJournal *self,
              const char  *key)
{
  g_autofree char *name = g_strconcat (key, ".json", NULL);
  g_autofree char *path = g_build_filename (self->dir, name, NULL);
  g_autofree char *data = NULL;
  gsize length;
  JsonObject *entry;

  if (!g_file_get_contents (path, &data, &length, NULL))
    {
      unindex (self, key);
      return;
    }
  entry = till_journal_entry_parse (data, length, key, NULL);
  if (entry == NULL)
    return;
  index_entry (self, key, entry);
  json_object_unref (entry);
}

/* Another process (or journal object) wrote, renamed or removed an entry:
 * that one entry is read again, at once, rather than at the next sale. */
static void
folder_changed_cb (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other,
                   GFileMonitorEvent  event,
                   TillJournal       *self)
{
  GFile *changed = event == G_FILE_MONITOR_EVENT_RENAMED && other != NULL ? other : file;
  g_autofree char *name = g_file_get_basename (changed);
  g_autofree char *key = NULL;

  if (event == G_FILE_MONITOR_EVENT_RENAMED && other != NULL)
    {
      g_autofree char *old_name = g_file_get_basename (file);

      if (g_str_has_suffix (old_name, ".json"))
        {
          g_autofree char *old_key = g_strndup (old_name, strlen (old_name) - strlen (".json"));

          unindex (self, old_key);
        }
    }
  if (name == NULL || !g_str_has_suffix (name, ".json"))
    return;
  key = g_strndup (name, strlen (name) - strlen (".json"));
  if (!key_is_valid (key))
    return;
  /* A write of this object's puts the entry in place by a rename. */
  if (event == G_FILE_MONITOR_EVENT_RENAMED && take_own_write (self, key))
    return;
  reread_entry (self, key);
}

static void
watch_folder (TillJournal *self)
{
  g_autoptr(GFile) folder = g_file_new_for_path (self->dir);
  g_autoptr(GError) error = NULL;

  self->monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    {
      /* The index is still read again at each sign-in. */
      g_info ("The journal folder cannot be watched: %s", error->message);
      return;
    }
  g_signal_connect (self->monitor, "changed", G_CALLBACK (folder_changed_cb), self);
}

static gboolean
folder_changed (TillJournal *self)
{
  /* A file system keeps times in coarse steps: a change made in the same
   * step as this object's last look leaves the time as it was. So a look
   * less than two seconds after the folder's last change reads it again
   * (git's "racy" entries, for the same reason). */
  return dir_mtime_ns (self) != self->dir_mtime_ns ||
         self->seen_at_ns - self->dir_mtime_ns < 2 * G_GINT64_CONSTANT (1000000000);
}

void
till_journal_refresh (TillJournal *self)
{
  g_return_if_fail (TILL_IS_JOURNAL (self));

  if (folder_changed (self))
    index_all (self);
}

void
till_journal_refresh_in_background (TillJournal *self)
{
  g_return_if_fail (TILL_IS_JOURNAL (self));

  if (self->refreshing || !folder_changed (self))
    return;
  self->refreshing = TRUE;
  read_entries_async (self, refreshed_cb, NULL);
}

static int
compare_created (gconstpointer a,
                 gconstpointer b)
{
  gint64 x = entry_int (*(JsonObject **) a, "created");
  gint64 y = entry_int (*(JsonObject **) b, "created");

  return x < y ? -1 : x > y;
}

/* A write's temporary file that nobody holds locked, a minute after it
 * was made, was cut short (the terminal was killed mid-write): its rename
 * never happened, so the entry's last complete version stands, and with
 * no entry at all the sale was never sent. It holds a token id: gone.
 * One that is locked, or new, is being written now, by whichever
 * journal, process or sandbox: left alone (see write_file()). */
static void
remove_if_abandoned (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  struct stat info;

  if (fd < 0)
    return;
  /* A minute from now counts too: the clock was set back since (a
   * terminal whose clock ran ahead), and waiting for it to catch up
   * could keep the file for days. */
  if (fstat (fd, &info) == 0 &&
      ABS (g_get_real_time () / G_USEC_PER_SEC - (gint64) info.st_mtime) >= ABANDONED_AFTER_SECONDS &&
      flock (fd, LOCK_EX | LOCK_NB) == 0)
    {
      g_debug ("Removing an unfinished journal write");
      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("Could not remove an unfinished journal write: %s", g_strerror (errno));
    }
  close (fd);
}

/* Every readable entry in folder, oldest first; safe in any thread, as
 * it touches nothing but the folder. */
static GPtrArray *
read_entries (const char *folder)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  dir = g_dir_open (folder, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *key = NULL;
      g_autoptr(GMappedFile) mapped = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *entry;

      if (is_unfinished_write (name))
        {
          g_autofree char *leftover = g_build_filename (folder, name, NULL);

          remove_if_abandoned (leftover);
          continue;
        }
      if (!g_str_has_suffix (name, ".json"))
        continue;
      key = g_strndup (name, strlen (name) - strlen (".json"));
      if (!key_is_valid (key))
        continue;
      path = g_build_filename (folder, name, NULL);
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

GPtrArray *
till_journal_list (TillJournal *self)
{
  g_return_val_if_fail (TILL_IS_JOURNAL (self), NULL);
  return read_entries (self->dir);
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
  g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  Summary *summary;
  guint removed = 0;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), 0);

  till_journal_refresh (self);
  g_hash_table_iter_init (&iter, self->index);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &summary))
    if (summary->final && summary->updated <= now - keep_seconds)
      g_ptr_array_add (old, g_strdup (summary->key));

  for (guint i = 0; i < old->len; i++)
    {
      const char *key = g_ptr_array_index (old, i);
      g_autofree char *name = g_strconcat (key, ".json", NULL);
      g_autofree char *path = g_build_filename (self->dir, name, NULL);

      if (g_unlink (path) == 0)
        removed++;
      unindex (self, key);
    }
  note_seen (self);
  return removed;
}

GPtrArray *
till_journal_list_open (TillJournal *self)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  GHashTableIter iter;
  Summary *summary;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), entries);

  g_hash_table_iter_init (&iter, self->index);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &summary))
    {
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      g_autofree char *data = NULL;
      gsize length;
      JsonObject *entry;

      if (summary->final)
        continue;
      name = g_strconcat (summary->key, ".json", NULL);
      path = g_build_filename (self->dir, name, NULL);
      if (!g_file_get_contents (path, &data, &length, NULL))
        continue;
      entry = till_journal_entry_parse (data, length, summary->key, NULL);
      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, compare_created);
  return entries;
}

gboolean
till_journal_has_recent_charge (TillJournal *self,
                                gint64       amount,
                                const char  *currency,
                                const char  *last4,
                                gint64       since,
                                const char  *except_key)
{
  g_autofree char *card = NULL;
  GPtrArray *same_card;

  g_return_val_if_fail (TILL_IS_JOURNAL (self), FALSE);
  g_return_val_if_fail (currency != NULL && last4 != NULL, FALSE);

  /* A lookup by what is asked: as quick with a week of a busy shop in the
   * journal as with an empty one, and no file is read. */
  card = card_key (amount, currency, last4);
  same_card = g_hash_table_lookup (self->by_card, card);
  for (guint i = 0; same_card != NULL && i < same_card->len; i++)
    {
      Summary *summary = g_ptr_array_index (same_card, i);

      if (summary->may_have_charged && MAX (summary->created, summary->updated) >= since &&
          g_strcmp0 (summary->key, except_key) != 0)
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
  if (!make_folder (self->dir, error))
    return NULL;
  index_all (self);
  watch_folder (self);
  return g_steal_pointer (&self);
}

static void
opened_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  TillJournal *self = TILL_JOURNAL (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) entries = g_task_propagate_pointer (G_TASK (result), NULL);

  index_entries (self, entries);
  watch_folder (self);
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

void
till_journal_new_async (const char          *dir,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(TillJournal) self = g_object_new (TILL_TYPE_JOURNAL, NULL);
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (task, till_journal_new_async);
  self->dir = dir != NULL ? g_strdup (dir) : g_build_filename (g_get_user_state_dir (), "till", "journal", NULL);
  if (!make_folder (self->dir, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  read_entries_async (self, opened_cb, g_steal_pointer (&task));
}

TillJournal *
till_journal_new_finish (GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
till_journal_finalize (GObject *object)
{
  TillJournal *self = TILL_JOURNAL (object);

  /* Every write holds a reference, so none is pending; the last one may
   * be ending in the pool's own thread, which must not wait for itself. */
  if (self->writer != NULL)
    g_thread_pool_free (self->writer, FALSE, FALSE);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  g_clear_pointer (&self->by_card, g_hash_table_unref);
  g_clear_pointer (&self->own_writes, g_hash_table_unref);
  g_clear_pointer (&self->index, g_hash_table_unref);
  g_free (self->dir);
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
  self->index = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) summary_free);
  self->by_card = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  self->own_writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
