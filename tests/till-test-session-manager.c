/* till-test-session-manager.c: a stand-in for the desktop's session manager
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GTK 4.8's GtkApplication, outside a sandbox, holds logout and suspend
 * off through org.gnome.SessionManager's Inhibit and Uninhibit, if that
 * name has an owner when the application starts (else the xfce one's,
 * else the portal's). The tests' private session bus has no session
 * manager, so this one stands in for the desktop's: it owns the name on a
 * connection of its own, in a thread of its own (GTK's Inhibit call is
 * synchronous: answered from the main thread, it would wait for itself),
 * and keeps what it is asked, as GNOME's does.
 */
#include "config.h"

#include "till-test-session-manager.h"

static const char introspection[] =
  "<node>"
  "  <interface name='org.gnome.SessionManager'>"
  "    <method name='Inhibit'>"
  "      <arg type='s' name='app_id' direction='in'/>"
  "      <arg type='u' name='toplevel_xid' direction='in'/>"
  "      <arg type='s' name='reason' direction='in'/>"
  "      <arg type='u' name='flags' direction='in'/>"
  "      <arg type='u' name='inhibit_cookie' direction='out'/>"
  "    </method>"
  "    <method name='Uninhibit'>"
  "      <arg type='u' name='inhibit_cookie' direction='in'/>"
  "    </method>"
  "    <method name='IsInhibited'>"
  "      <arg type='u' name='flags' direction='in'/>"
  "      <arg type='b' name='is_inhibited' direction='out'/>"
  "    </method>"
  "  </interface>"
  "</node>";

static GMutex lock;
static GCond owned_cond;
static gboolean owned;
static GHashTable *held;   /* cookie → flags */
static guint next_cookie = 1;
static guint inhibits;
static guint last_flags;
static guint last_toplevel;
static char *last_reason;
static char *last_app_id;

static gboolean
is_inhibited (guint flags)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, held);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if ((GPOINTER_TO_UINT (value) & flags) != 0)
      return TRUE;
  return FALSE;
}

static void
method_call_cb (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method_name,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               user_data)
{
  g_mutex_lock (&lock);
  if (g_str_equal (method_name, "Inhibit"))
    {
      guint cookie = next_cookie++;

      g_clear_pointer (&last_app_id, g_free);
      g_clear_pointer (&last_reason, g_free);
      g_variant_get (parameters, "(susu)", &last_app_id, &last_toplevel, &last_reason, &last_flags);
      g_hash_table_insert (held, GUINT_TO_POINTER (cookie), GUINT_TO_POINTER (last_flags));
      inhibits++;
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", cookie));
    }
  else if (g_str_equal (method_name, "Uninhibit"))
    {
      guint cookie;

      g_variant_get (parameters, "(u)", &cookie);
      if (g_hash_table_remove (held, GUINT_TO_POINTER (cookie)))
        g_dbus_method_invocation_return_value (invocation, NULL);
      else
        g_dbus_method_invocation_return_dbus_error (invocation, "org.gnome.SessionManager.GeneralError",
                                                    "Unable to uninhibit: Invalid cookie");
    }
  else
    {
      guint flags;

      g_variant_get (parameters, "(u)", &flags);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", is_inhibited (flags)));
    }
  g_mutex_unlock (&lock);
}

static const GDBusInterfaceVTable vtable = { method_call_cb, NULL, NULL, { 0 } };

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  g_mutex_lock (&lock);
  owned = TRUE;
  g_cond_signal (&owned_cond);
  g_mutex_unlock (&lock);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  g_error ("The session manager stand-in could not own %s", name);
}

static gpointer
serve (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GDBusNodeInfo) info = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  info = g_dbus_node_info_new_for_xml (introspection, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (connection, "/org/gnome/SessionManager", info->interfaces[0],
                                     &vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (connection, "org.gnome.SessionManager", G_BUS_NAME_OWNER_FLAGS_NONE,
                                name_acquired_cb, name_lost_cb, NULL, NULL);
  /* Serves until the test program exits. */
  for (;;)
    g_main_context_iteration (context, TRUE);
  return NULL;
}

void
till_test_session_manager_start (void)
{
  g_mutex_lock (&lock);
  held = g_hash_table_new (NULL, NULL);
  g_thread_unref (g_thread_new ("session-manager", serve, NULL));
  while (!owned)
    g_cond_wait (&owned_cond, &lock);
  g_mutex_unlock (&lock);
}

guint
till_test_session_manager_held (void)
{
  guint n;

  g_mutex_lock (&lock);
  n = g_hash_table_size (held);
  g_mutex_unlock (&lock);
  return n;
}

guint
till_test_session_manager_inhibits (void)
{
  guint n;

  g_mutex_lock (&lock);
  n = inhibits;
  g_mutex_unlock (&lock);
  return n;
}

guint
till_test_session_manager_last_flags (void)
{
  guint flags;

  g_mutex_lock (&lock);
  flags = last_flags;
  g_mutex_unlock (&lock);
  return flags;
}

guint
till_test_session_manager_last_toplevel (void)
{
  guint id;

  g_mutex_lock (&lock);
  id = last_toplevel;
  g_mutex_unlock (&lock);
  return id;
}

char *
till_test_session_manager_dup_last_reason (void)
{
  char *reason;

  g_mutex_lock (&lock);
  reason = g_strdup (last_reason);
  g_mutex_unlock (&lock);
  return reason;
}

char *
till_test_session_manager_dup_last_app_id (void)
{
  char *app_id;

  g_mutex_lock (&lock);
  app_id = g_strdup (last_app_id);
  g_mutex_unlock (&lock);
  return app_id;
}
