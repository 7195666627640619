/* till-audit-entry.c: one entry of the server's audit log
 *
 * The audit page's rows, read once from the server's answer with the same
 * strict member readers as every other answer (till-backend-answers.h):
 * the log holds names people typed, so nothing is shown that is not valid
 * UTF-8 without control characters.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-audit-entry.h"
#include "till-backend-answers.h"

#define ACTION_MAX  32

struct _TillAuditEntry
{
  GObject     parent_instance;

  gint64      id;
  GDateTime  *time;
  char       *actor;
  char       *action;
  char       *subject;
  JsonObject *details;
};

G_DEFINE_FINAL_TYPE (TillAuditEntry, till_audit_entry, G_TYPE_OBJECT)

TillAuditEntry *
till_audit_entry_new_from_json (JsonObject  *object,
                                GError     **error)
{
  g_autoptr(TillAuditEntry) self = g_object_new (TILL_TYPE_AUDIT_ENTRY, NULL);
  const char *time = NULL, *actor = NULL, *action = NULL, *subject = NULL;
  JsonObject *details;

  g_return_val_if_fail (object != NULL, NULL);

  if (!till_answer_get_int (object, "id", 1, G_MAXINT64, &self->id, error) ||
      !till_answer_get_string (object, "time", 64, TRUE, &time, error) ||
      !till_answer_get_string (object, "actor", TILL_ANSWER_NAME_MAX, FALSE, &actor, error) ||
      !till_answer_get_string (object, "action", ACTION_MAX, TRUE, &action, error) ||
      !till_answer_get_string (object, "subject", TILL_ANSWER_NAME_MAX, FALSE, &subject, error))
    return NULL;
  self->time = g_date_time_new_from_iso8601 (time, NULL);
  if (self->time == NULL)
    {
      g_set_error_literal (error, TILL_ANSWER_ERROR, TILL_ANSWER_ERROR_INVALID, "time is not a time");
      return NULL;
    }
  self->actor = g_strdup (actor);
  self->action = g_strdup (action);
  self->subject = g_strdup (subject);
  details = till_answer_get_object (object, "details");
  self->details = details ? json_object_ref (details) : json_object_new ();
  return g_steal_pointer (&self);
}

gint64
till_audit_entry_get_id (TillAuditEntry *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (self), 0);
  return self->id;
}

GDateTime *
till_audit_entry_get_time (TillAuditEntry *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (self), NULL);
  return self->time;
}

const char *
till_audit_entry_get_actor (TillAuditEntry *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (self), NULL);
  return self->actor;
}

const char *
till_audit_entry_get_action (TillAuditEntry *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (self), NULL);
  return self->action;
}

const char *
till_audit_entry_get_subject (TillAuditEntry *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (self), NULL);
  return self->subject;
}

JsonObject *
till_audit_entry_get_details (TillAuditEntry *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_ENTRY (self), NULL);
  return self->details;
}

static void
till_audit_entry_finalize (GObject *object)
{
  TillAuditEntry *self = (TillAuditEntry *)object;

  g_clear_pointer (&self->time, g_date_time_unref);
  g_clear_pointer (&self->actor, g_free);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->details, json_object_unref);

  G_OBJECT_CLASS (till_audit_entry_parent_class)->finalize (object);
}

static void
till_audit_entry_class_init (TillAuditEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_audit_entry_finalize;
}

static void
till_audit_entry_init (TillAuditEntry *self)
{
}
