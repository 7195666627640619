/* till-audit-list.c: the server's audit log, a page at a time, as a list model
 *
 * GET /api/audit answers newest first, a page at a time, with a cursor
 * (starting_after, the last id of the page before). The list holds what
 * has been fetched and fetches the next page when its view asks, so a
 * log of years costs only what the manager scrolls through. One fetch at
 * a time; a reload cancels the fetch under way, and a page that arrives
 * for a list reloaded meanwhile is dropped.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-audit"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "till-audit-list.h"
#include "till-backend-answers.h"

#define PAGE_SIZE 50

struct _TillAuditList
{
  GObject       parent_instance;

  /* owned references */
  TillSession  *session;
  GPtrArray    *entries;
  GCancellable *cancellable;

  /* state */
  gboolean      has_more;
  char         *error;
};

static void till_audit_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillAuditList, till_audit_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, till_audit_list_model_init))

enum {
  PROP_0,
  PROP_LOADING,
  PROP_HAS_MORE,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
till_audit_list_get_item_type (GListModel *model)
{
  return TILL_TYPE_AUDIT_ENTRY;
}

static guint
till_audit_list_get_n_items (GListModel *model)
{
  return TILL_AUDIT_LIST (model)->entries->len;
}

static gpointer
till_audit_list_get_item (GListModel *model,
                          guint       position)
{
  TillAuditList *self = TILL_AUDIT_LIST (model);

  if (position >= self->entries->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->entries, position));
}

static void
till_audit_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = till_audit_list_get_item_type;
  iface->get_n_items = till_audit_list_get_n_items;
  iface->get_item = till_audit_list_get_item;
}

static void
set_error (TillAuditList *self,
           const char    *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_loading (TillAuditList *self,
             GCancellable  *cancellable)
{
  gboolean was_loading = self->cancellable != NULL;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_set_object (&self->cancellable, cancellable);
  if (was_loading != (cancellable != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* Appends a page; FALSE (nothing appended) when it is not one. */
static gboolean
append_page (TillAuditList *self,
             JsonObject    *object)
{
  g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  JsonNode *data = object ? json_object_get_member (object, "data") : NULL;
  JsonNode *has_more = object ? json_object_get_member (object, "has_more") : NULL;
  JsonArray *array;
  guint position = self->entries->len;

  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data) ||
      has_more == NULL || json_node_get_value_type (has_more) != G_TYPE_BOOLEAN)
    return FALSE;
  array = json_node_get_array (data);
  if (json_array_get_length (array) > TILL_ANSWER_LIST_MAX)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      TillAuditEntry *entry = JSON_NODE_HOLDS_OBJECT (node)
                              ? till_audit_entry_new_from_json (json_node_get_object (node), &error) : NULL;

      if (entry == NULL)
        {
          g_info ("An audit entry is not usable: %s", error ? error->message : "not an object");
          return FALSE;
        }
      g_ptr_array_add (page, entry);
    }

  g_ptr_array_extend_and_steal (self->entries, g_steal_pointer (&page));
  self->has_more = json_node_get_boolean (has_more) && self->entries->len > position;
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, self->entries->len - position);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
  return TRUE;
}

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TillAuditList) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_loading (self, NULL);
  if (response == NULL)
    {
      g_info ("The audit log could not be read: %s", error->message);
      set_error (self, g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_FORBIDDEN)
                       ? _("Only a manager can read the audit log.")
                       : _("The audit log could not be read. Check the network and try again."));
      return;
    }
  if (!append_page (self, till_backend_response_get_object (response)))
    {
      set_error (self, _("The shop server’s answer is not an audit log."));
      return;
    }
  set_error (self, NULL);
}

static void
fetch_page (TillAuditList *self)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path = NULL;

  if (self->entries->len == 0)
    path = g_strdup_printf ("/api/audit?limit=%d", PAGE_SIZE);
  else
    path = g_strdup_printf ("/api/audit?limit=%d&starting_after=%" G_GINT64_FORMAT, PAGE_SIZE,
                            till_audit_entry_get_id (g_ptr_array_index (self->entries, self->entries->len - 1)));
  set_loading (self, cancellable);
  till_session_request_async (self->session, "GET", path, NULL, NULL, cancellable,
                              page_cb, g_object_ref (self));
}

void
till_audit_list_reload (TillAuditList *self)
{
  guint removed;

  g_return_if_fail (TILL_IS_AUDIT_LIST (self));

  set_loading (self, NULL);
  removed = self->entries->len;
  g_ptr_array_set_size (self->entries, 0);
  self->has_more = FALSE;
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  fetch_page (self);
}

void
till_audit_list_load_more (TillAuditList *self)
{
  g_return_if_fail (TILL_IS_AUDIT_LIST (self));

  if (self->cancellable == NULL && self->has_more)
    fetch_page (self);
}

TillAuditList *
till_audit_list_new (TillSession *session)
{
  TillAuditList *self;

  g_return_val_if_fail (TILL_IS_SESSION (session), NULL);

  self = g_object_new (TILL_TYPE_AUDIT_LIST, NULL);
  self->session = g_object_ref (session);
  return self;
}

gboolean
till_audit_list_get_loading (TillAuditList *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_LIST (self), FALSE);
  return self->cancellable != NULL;
}

gboolean
till_audit_list_get_has_more (TillAuditList *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_LIST (self), FALSE);
  return self->has_more;
}

const char *
till_audit_list_get_error (TillAuditList *self)
{
  g_return_val_if_fail (TILL_IS_AUDIT_LIST (self), NULL);
  return self->error;
}

static void
till_audit_list_dispose (GObject *object)
{
  TillAuditList *self = (TillAuditList *)object;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (till_audit_list_parent_class)->dispose (object);
}

static void
till_audit_list_finalize (GObject *object)
{
  TillAuditList *self = (TillAuditList *)object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (till_audit_list_parent_class)->finalize (object);
}

static void
till_audit_list_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TillAuditList *self = TILL_AUDIT_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, till_audit_list_get_loading (self));
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->has_more);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_audit_list_class_init (TillAuditListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_audit_list_dispose;
  object_class->finalize = till_audit_list_finalize;
  object_class->get_property = till_audit_list_get_property;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_HAS_MORE] =
    g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_audit_list_init (TillAuditList *self)
{
  self->entries = g_ptr_array_new_with_free_func (g_object_unref);
}
