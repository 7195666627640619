/* till-payment-list.c: the payment history as a list that pages as it is read
 *
 * A GListModel over GET /api/payments (docs/api.md), which answers newest
 * first, a page at a time, with a cursor: `starting_after` the last id of
 * the page before, and `has_more`. The list asks for the first page when
 * it is made or its filter changes, and for the next one only when a view
 * reads an item within half a page of the end, so a shop's whole history
 * is never loaded to show its first screen. Pages arrive as items-changed
 * at the end; nothing already in the list moves.
 *
 * What can go wrong leaves the list as it was: the server is down, the
 * session has ended and cannot be renewed, the server refuses the filter
 * (400), or the answer is not the list the documentation promises (not an
 * object, no "data" array, an item without an id, a payment twice, "more"
 * with nothing in it). The state becomes ERROR with a sentence for the
 * person; retry() asks for the same page again. A view reading near the
 * end does not retry by itself, so a server that is down is not asked
 * again for every frame drawn.
 *
 * A new filter cancels the page on its way: its answer, if it comes all
 * the same, is recognised by its generation and dropped.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-payment-list"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "till-enums.h"
#include "till-payment-list.h"

struct _TillPaymentList
{
  GObject               parent_instance;

  /* owned references */
  TillSession          *session;
  GCancellable         *cancellable;   /* of the page on its way, or NULL */
  TillPaymentFilter    *filter;
  GPtrArray            *items;         /* TillPaymentItem */
  GHashTable           *ids;           /* the ids in items, borrowed from them */
  GError               *error;

  /* state */
  TillPaymentListState  state;
  guint                 page_size;
  gboolean              has_more;
  guint                 generation;    /* a new filter or reload starts a new one */
  guint                 n_requests;
  guint                 fetch_source;  /* idle that asks for the next page */
};

static void till_payment_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TillPaymentList, till_payment_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, till_payment_list_model_init))

enum {
  PROP_0,
  PROP_STATE,
  PROP_ERROR,
  PROP_HAS_MORE,
  PROP_FILTER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Filter */

G_DEFINE_BOXED_TYPE (TillPaymentFilter, till_payment_filter, till_payment_filter_copy, till_payment_filter_free)

TillPaymentFilter *
till_payment_filter_new (void)
{
  TillPaymentFilter *filter = g_new0 (TillPaymentFilter, 1);

  filter->amount_gte = -1;
  filter->amount_lte = -1;
  return filter;
}

TillPaymentFilter *
till_payment_filter_copy (const TillPaymentFilter *filter)
{
  TillPaymentFilter *copy;

  g_return_val_if_fail (filter != NULL, NULL);

  copy = g_memdup2 (filter, sizeof *filter);
  copy->created_gte = filter->created_gte ? g_date_time_ref (filter->created_gte) : NULL;
  copy->created_lt = filter->created_lt ? g_date_time_ref (filter->created_lt) : NULL;
  copy->last4 = g_strdup (filter->last4);
  copy->brand = g_strdup (filter->brand);
  copy->reference = g_strdup (filter->reference);
  copy->cashier = g_strdup (filter->cashier);
  copy->status = g_strdup (filter->status);
  return copy;
}

void
till_payment_filter_free (TillPaymentFilter *filter)
{
  if (filter == NULL)
    return;
  g_clear_pointer (&filter->created_gte, g_date_time_unref);
  g_clear_pointer (&filter->created_lt, g_date_time_unref);
  g_free (filter->last4);
  g_free (filter->brand);
  g_free (filter->reference);
  g_free (filter->cashier);
  g_free (filter->status);
  g_free (filter);
}

/* The filter as the query says it: two filters that ask the same are equal. */
char *
till_payment_filter_to_query (const TillPaymentFilter *filter)
{
  const struct { const char *name; const char *value; } strings[] = {
    { "last4", filter->last4 },
    { "brand", filter->brand },
    { "reference", filter->reference },
    { "cashier", filter->cashier },
    { "status", filter->status },
  };
  GString *query = g_string_new (NULL);

  if (filter->created_gte != NULL)
    {
      g_autoptr(GDateTime) utc = g_date_time_to_utc (filter->created_gte);
      g_autofree char *text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");

      g_string_append_printf (query, "&created_gte=%s", text);
    }
  if (filter->created_lt != NULL)
    {
      g_autoptr(GDateTime) utc = g_date_time_to_utc (filter->created_lt);
      g_autofree char *text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");

      g_string_append_printf (query, "&created_lt=%s", text);
    }
  if (filter->amount_gte >= 0)
    g_string_append_printf (query, "&amount_gte=%" G_GINT64_FORMAT, filter->amount_gte);
  if (filter->amount_lte >= 0)
    g_string_append_printf (query, "&amount_lte=%" G_GINT64_FORMAT, filter->amount_lte);
  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    if (strings[i].value != NULL && *strings[i].value != '\0')
      {
        g_autofree char *escaped = g_uri_escape_string (strings[i].value, NULL, FALSE);

        g_string_append_printf (query, "&%s=%s", strings[i].name, escaped);
      }
  return g_string_free (query, FALSE);
}

gboolean
till_payment_filter_equal (const TillPaymentFilter *a,
                           const TillPaymentFilter *b)
{
  g_autofree char *query_a = NULL;
  g_autofree char *query_b = NULL;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  query_a = till_payment_filter_to_query (a);
  query_b = till_payment_filter_to_query (b);
  return g_str_equal (query_a, query_b);
}

gboolean
till_payment_filter_is_empty (const TillPaymentFilter *filter)
{
  g_autofree char *query = NULL;

  g_return_val_if_fail (filter != NULL, TRUE);

  query = till_payment_filter_to_query (filter);
  return *query == '\0';
}

static gboolean
is_last4 (const char *text)
{
  if (strlen (text) != 4)
    return FALSE;
  for (const char *c = text; *c; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  return TRUE;
}

void
till_payment_filter_set_search (TillPaymentFilter *filter,
                                const char        *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));

  g_return_if_fail (filter != NULL);

  g_clear_pointer (&filter->last4, g_free);
  g_clear_pointer (&filter->reference, g_free);
  if (*stripped == '\0')
    return;
  if (is_last4 (stripped))
    filter->last4 = g_steal_pointer (&stripped);
  else
    filter->reference = g_steal_pointer (&stripped);
}

/* State */

static void
set_state (TillPaymentList      *self,
           TillPaymentListState  state,
           GError               *error)
{
  gboolean had_error = self->error != NULL;

  g_clear_error (&self->error);
  self->error = error;
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (had_error || error != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
set_has_more (TillPaymentList *self,
              gboolean         has_more)
{
  if (self->has_more == has_more)
    return;
  self->has_more = has_more;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
}

/* Fetching */

typedef struct
{
  TillPaymentList *self;
  guint            generation;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_object_unref (fetch->self);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static GError *
bad_answer (const char *why)
{
  return g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE, "GET /api/payments: %s", why);
}

/* The page's items, all of them checked, or NULL and an error. */
static GPtrArray *
read_page (TillPaymentList  *self,
           JsonObject       *object,
           gboolean         *out_has_more,
           GError          **error)
{
  g_autoptr(GPtrArray) page = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonNode *data = object ? json_object_get_member (object, "data") : NULL;
  JsonNode *more = object ? json_object_get_member (object, "has_more") : NULL;
  JsonArray *array;

  if (data == NULL || !JSON_NODE_HOLDS_ARRAY (data) ||
      more == NULL || !JSON_NODE_HOLDS_VALUE (more) || json_node_get_value_type (more) != G_TYPE_BOOLEAN)
    {
      g_propagate_error (error, bad_answer ("no data array and has_more"));
      return NULL;
    }
  array = json_node_get_array (data);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      TillPaymentItem *item = JSON_NODE_HOLDS_OBJECT (node) ? till_payment_item_new (json_node_get_object (node)) : NULL;
      const char *id;

      if (item == NULL)
        {
          g_propagate_error (error, bad_answer ("an item is no payment"));
          return NULL;
        }
      g_ptr_array_add (page, item);
      id = till_payment_item_get_id (item);
      /* The cursor would go round in circles. */
      if (g_hash_table_contains (self->ids, id) || !g_hash_table_add (seen, (gpointer) id))
        {
          g_propagate_error (error, bad_answer ("a payment came twice"));
          return NULL;
        }
    }
  *out_has_more = json_node_get_boolean (more);
  if (*out_has_more && page->len == 0)
    {
      g_propagate_error (error, bad_answer ("more promised, none sent"));
      return NULL;
    }
  return g_steal_pointer (&page);
}

static void
append_page (TillPaymentList *self,
             GPtrArray       *page)
{
  guint position = self->items->len;

  for (guint i = 0; i < page->len; i++)
    {
      TillPaymentItem *item = g_ptr_array_index (page, i);

      g_ptr_array_add (self->items, g_object_ref (item));
      g_hash_table_add (self->ids, (gpointer) till_payment_item_get_id (item));
    }
  if (page->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), position, 0, page->len);
}

static void
page_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  TillPaymentList *self = fetch->self;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_more = FALSE;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (fetch->generation != self->generation || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->cancellable);
  if (response != NULL)
    page = read_page (self, till_backend_response_get_object (response), &has_more, &error);
  if (page == NULL)
    {
      g_message ("The payment list stays as it is: %s", error->message);
      set_state (self, TILL_PAYMENT_LIST_ERROR, g_steal_pointer (&error));
      return;
    }
  append_page (self, page);
  set_has_more (self, has_more);
  set_state (self, TILL_PAYMENT_LIST_IDLE, NULL);
}

static void
fetch_page (TillPaymentList *self)
{
  g_autofree char *query = till_payment_filter_to_query (self->filter);
  g_autofree char *path = NULL;
  Fetch *fetch;

  g_assert (self->cancellable == NULL);

  if (self->items->len > 0)
    {
      TillPaymentItem *last = g_ptr_array_index (self->items, self->items->len - 1);
      g_autofree char *after = g_uri_escape_string (till_payment_item_get_id (last), NULL, FALSE);

      path = g_strdup_printf ("/api/payments?limit=%u&starting_after=%s%s", self->page_size, after, query);
    }
  else
    path = g_strdup_printf ("/api/payments?limit=%u%s", self->page_size, query);

  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->generation = self->generation;
  self->cancellable = g_cancellable_new ();
  self->n_requests++;
  set_state (self, TILL_PAYMENT_LIST_LOADING, NULL);
  till_session_request_async (self->session, "GET", path, NULL, NULL, self->cancellable, page_done_cb, fetch);
}

/* From an idle, not from get_item(): a view reads items while it lays
 * itself out, and must not hear of a state change then. */
static gboolean
fetch_next_cb (gpointer user_data)
{
  TillPaymentList *self = user_data;

  self->fetch_source = 0;
  if (self->state == TILL_PAYMENT_LIST_IDLE && self->has_more)
    fetch_page (self);
  return G_SOURCE_REMOVE;
}

static void
start_over (TillPaymentList *self)
{
  guint removed = self->items->len;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->fetch_source, g_source_remove);
  self->generation++;
  g_hash_table_remove_all (self->ids);
  g_ptr_array_set_size (self->items, 0);
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  set_has_more (self, FALSE);
  fetch_page (self);
}

/* GListModel */

static GType
till_payment_list_get_item_type (GListModel *model)
{
  return TILL_TYPE_PAYMENT_ITEM;
}

static guint
till_payment_list_get_n_items (GListModel *model)
{
  return TILL_PAYMENT_LIST (model)->items->len;
}

static void
schedule_next_page (TillPaymentList *self)
{
  if (self->has_more && self->state == TILL_PAYMENT_LIST_IDLE && self->fetch_source == 0)
    self->fetch_source = g_idle_add (fetch_next_cb, self);
}

/* A page arriving is read by views during items-changed, all of it at
 * once (GTK 4.8's list view binds up to 200 rows around what it shows):
 * the list is not IDLE yet then, so that does not ask for the next page,
 * and the next one is asked for by a later read or load_more(). */
static gpointer
till_payment_list_get_item (GListModel *model,
                            guint       position)
{
  TillPaymentList *self = TILL_PAYMENT_LIST (model);

  if (position >= self->items->len)
    return NULL;
  if (position + self->page_size / 2 >= self->items->len)
    schedule_next_page (self);
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
till_payment_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = till_payment_list_get_item_type;
  iface->get_n_items = till_payment_list_get_n_items;
  iface->get_item = till_payment_list_get_item;
}

/* Public */

TillPaymentList *
till_payment_list_new (TillSession *session,
                       guint        page_size)
{
  TillPaymentList *self;

  g_return_val_if_fail (TILL_IS_SESSION (session), NULL);
  g_return_val_if_fail (page_size >= 1 && page_size <= 100, NULL);

  self = g_object_new (TILL_TYPE_PAYMENT_LIST, NULL);
  self->session = g_object_ref (session);
  self->page_size = page_size;
  fetch_page (self);
  return self;
}

TillPaymentListState
till_payment_list_get_state (TillPaymentList *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_LIST (self), TILL_PAYMENT_LIST_IDLE);
  return self->state;
}

const GError *
till_payment_list_get_gerror (TillPaymentList *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_LIST (self), NULL);
  return self->error;
}

const char *
till_payment_list_get_error (TillPaymentList *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_LIST (self), NULL);

  if (self->error == NULL)
    return NULL;
  if (self->error->domain != TILL_BACKEND_ERROR)
    return _("The payments could not be loaded.");
  switch (self->error->code)
    {
    case TILL_BACKEND_ERROR_NETWORK:
    case TILL_BACKEND_ERROR_TIMEOUT:
    case TILL_BACKEND_ERROR_TLS:
      return _("The shop’s server cannot be reached. Check the network, then try again.");
    case TILL_BACKEND_ERROR_UNAUTHORIZED:
      return _("The session has ended. Sign in again to see the payments.");
    case TILL_BACKEND_ERROR_FORBIDDEN:
      return _("This account may not see these payments.");
    case TILL_BACKEND_ERROR_BAD_REQUEST:
      return _("The shop’s server does not accept this search.");
    case TILL_BACKEND_ERROR_BAD_RESPONSE:
      return _("The shop’s server sent an answer Till cannot read.");
    case TILL_BACKEND_ERROR_RATE_LIMITED:
      return _("The shop’s server is busy. Try again in a moment.");
    default:
      return _("The shop’s server has a problem. Try again later.");
    }
}

gboolean
till_payment_list_get_has_more (TillPaymentList *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_LIST (self), FALSE);
  return self->has_more;
}

const TillPaymentFilter *
till_payment_list_get_filter (TillPaymentList *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_LIST (self), NULL);
  return self->filter;
}

void
till_payment_list_set_filter (TillPaymentList         *self,
                              const TillPaymentFilter *filter)
{
  g_return_if_fail (TILL_IS_PAYMENT_LIST (self));
  g_return_if_fail (filter != NULL);

  if (till_payment_filter_equal (self->filter, filter))
    return;
  till_payment_filter_free (self->filter);
  self->filter = till_payment_filter_copy (filter);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
  start_over (self);
}

void
till_payment_list_reload (TillPaymentList *self)
{
  g_return_if_fail (TILL_IS_PAYMENT_LIST (self));
  start_over (self);
}

void
till_payment_list_retry (TillPaymentList *self)
{
  g_return_if_fail (TILL_IS_PAYMENT_LIST (self));

  if (self->state == TILL_PAYMENT_LIST_ERROR)
    fetch_page (self);
}

void
till_payment_list_load_more (TillPaymentList *self)
{
  g_return_if_fail (TILL_IS_PAYMENT_LIST (self));
  schedule_next_page (self);
}

guint
till_payment_list_get_n_requests (TillPaymentList *self)
{
  g_return_val_if_fail (TILL_IS_PAYMENT_LIST (self), 0);
  return self->n_requests;
}

/* GObject */

static void
till_payment_list_dispose (GObject *object)
{
  TillPaymentList *self = (TillPaymentList *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->fetch_source, g_source_remove);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (till_payment_list_parent_class)->dispose (object);
}

static void
till_payment_list_finalize (GObject *object)
{
  TillPaymentList *self = (TillPaymentList *)object;

  g_clear_pointer (&self->ids, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->filter, till_payment_filter_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (till_payment_list_parent_class)->finalize (object);
}

static void
till_payment_list_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TillPaymentList *self = TILL_PAYMENT_LIST (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_string (value, till_payment_list_get_error (self));
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->has_more);
      break;
    case PROP_FILTER:
      g_value_set_boxed (value, self->filter);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_payment_list_class_init (TillPaymentListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_payment_list_dispose;
  object_class->finalize = till_payment_list_finalize;
  object_class->get_property = till_payment_list_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TILL_TYPE_PAYMENT_LIST_STATE, TILL_PAYMENT_LIST_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HAS_MORE] =
    g_param_spec_boolean ("has-more", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_boxed ("filter", NULL, NULL, TILL_TYPE_PAYMENT_FILTER,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_payment_list_init (TillPaymentList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->ids = g_hash_table_new (g_str_hash, g_str_equal);
  self->filter = till_payment_filter_new ();
}
