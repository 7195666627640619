/* till-journal.h: the terminal's payment journal on disk
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_JOURNAL (till_journal_get_type ())
G_DECLARE_FINAL_TYPE (TillJournal, till_journal, TILL, JOURNAL, GObject)

/* Final entries are kept this long after their last change, then pruned. */
#define TILL_JOURNAL_KEEP_SECONDS (7 * 24 * 3600)

/* dir: the journal's folder, made (mode 0700) if missing; NULL for
 * $XDG_STATE_HOME/till/journal. */
TillJournal *till_journal_new        (const char   *dir,
                                      GError      **error);
/* The same, with the files read in a thread (the cashier's screen does
 * not wait for a week of journal). */
void         till_journal_new_async  (const char           *dir,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
TillJournal *till_journal_new_finish (GAsyncResult         *result,
                                      GError              **error);
const char  *till_journal_get_dir    (TillJournal  *self);
/* Writes the entry for key atomically and durably (a temporary file,
 * fsync, rename, fsync of the folder), mode 0600. key: 8 to 64 ASCII
 * letters, digits or '-'. */
gboolean     till_journal_put        (TillJournal  *self,
                                      const char   *key,
                                      JsonObject   *entry,
                                      GError      **error);
/* The same, with the file written in a thread of the journal's own, one
 * write at a time in the order they were asked for. */
void         till_journal_put_async  (TillJournal          *self,
                                      const char           *key,
                                      JsonObject           *entry,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean     till_journal_put_finish (TillJournal          *self,
                                      GAsyncResult         *result,
                                      GError              **error);
/* How many of those writes are not done yet. */
guint        till_journal_get_pending (TillJournal         *self);
/* Every readable entry, oldest first (by "created"). An unreadable file
 * is renamed *.corrupt, kept for a person to look at, and skipped. */
GPtrArray   *till_journal_list       (TillJournal  *self);
/* The entries that are not final, oldest first: what a terminal checks
 * after a sign-in. Reads only their files. */
GPtrArray   *till_journal_list_open  (TillJournal  *self);
/* Reads the folder again if something else changed it since this object
 * last did (another journal object, a restore from a backup). */
void         till_journal_refresh    (TillJournal  *self);
/* The same, with the files read in a thread, when the folder changed. */
void         till_journal_refresh_in_background (TillJournal *self);
/* Removes final entries (see till_journal_entry_is_final()) last changed
 * before now - keep_seconds. Returns how many. */
guint        till_journal_prune      (TillJournal  *self,
                                      gint64        now,
                                      gint64        keep_seconds);
gboolean     till_journal_entry_is_final (JsonObject *entry);
/* From an index kept in memory (built when the journal is opened, kept by
 * every till_journal_put()), without reading a file:
 * TRUE when an entry other than except_key charged (or may have charged)
 * amount of currency to a card ending in last4, and changed at or after
 * since (unix seconds): the question before charging the same card twice. */
gboolean     till_journal_has_recent_charge (TillJournal *self,
                                             gint64       amount,
                                             const char  *currency,
                                             const char  *last4,
                                             gint64       since,
                                             const char  *except_key);

G_END_DECLS
