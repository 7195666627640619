/* till-application.c
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-application.h"
#include "till-approval-dialog.h"
#include "till-backend-client.h"
#include "till-preferences-window.h"
#include "till-sign-in-page.h"
#include "till-window.h"

#define SETTINGS_SCHEMA "io.github.tillpos.Till"

struct _TillApplication
{
  AdwApplication  parent_instance;

  /* owned references */
  GSettings      *settings;

  /* state */
  char           *server_option;
};

G_DEFINE_FINAL_TYPE (TillApplication, till_application, ADW_TYPE_APPLICATION)

TillApplication *
till_application_new (void)
{
  /* Till draws flat widgets and one small card form; GTK's GL renderer
   * buys nothing for them and costs most of the start-up on a counter PC
   * without a GPU driver (Mesa's llvmpipe compiles its shaders at each
   * start) and about 90 MiB. The cairo renderer draws the same. Whoever
   * wants GL sets GSK_RENDERER; GTK reads it once, at the first window, so
   * this comes before any. tests/bench/bench-charge has the figures. */
  const char *renderer = g_getenv ("GSK_RENDERER");

  if (renderer == NULL || *renderer == '\0')
    g_setenv ("GSK_RENDERER", "cairo", TRUE);

  return g_object_new (TILL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/tillpos/Till",
                       NULL);
}

GSettings *
till_application_get_settings (TillApplication *self)
{
  g_return_val_if_fail (TILL_IS_APPLICATION (self), NULL);

  return self->settings;
}

/* --server URL points the terminal at a shop server, as if typed into the
 * sign-in form (the demo uses it). --version answers here, before GTK
 * needs a display (the application's start-up opens one). */
static int
till_application_handle_local_options (GApplication *app,
                                       GVariantDict *options)
{
  TillApplication *self = TILL_APPLICATION (app);
  const char *server = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", _("Till"), PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_lookup (options, "server", "&s", &server))
    self->server_option = g_strdup (server);
  return -1;
}

static void
till_application_activate (GApplication *app)
{
  TillApplication *self = TILL_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (self->server_option != NULL)
    {
      g_autoptr(TillBackendClient) probe = NULL;
      g_autoptr(GError) error = NULL;

      /* Only an address the client would accept is kept. */
      probe = till_backend_client_new (self->server_option, NULL, &error);
      if (probe == NULL)
        {
          g_printerr ("%s: %s\n", g_get_prgname (), error->message);
          g_clear_pointer (&self->server_option, g_free);
        }
    }
  /* The shop's IT locked the address (dconf), or a kiosk keeps the server
   * it asks for approvals, as its sign-in form does: not ours to change. */
  if (self->server_option != NULL && till_sign_in_server_is_fixed (self->settings))
    {
      g_printerr ("%s: %s\n", g_get_prgname (),
                  g_settings_is_writable (self->settings, "server-url")
                    ? _("This terminal is a kiosk with a shop server; --server is ignored (turn kiosk mode off in Preferences first)")
                    : _("The shop server’s address is locked on this computer; --server is ignored"));
      g_clear_pointer (&self->server_option, g_free);
    }
  if (self->server_option != NULL)
    {
      g_autofree char *previous = g_settings_get_string (self->settings, "server-url");

      /* Another server: nothing remembered for the old one applies. */
      if (g_strcmp0 (previous, self->server_option) != 0)
        g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
      g_settings_set_string (self->settings, "server-url", self->server_option);
      g_clear_pointer (&self->server_option, g_free);
    }

  /* One terminal, one window: a second launch raises the first. */
  if (window == NULL)
    window = GTK_WINDOW (till_window_new (TILL_APPLICATION (app)));

  gtk_window_present (window);
}

/* A link in About opens a web browser (or a mail program), a way out of
 * a kiosk that no manager approved: a kiosk opens none. */
static gboolean
about_link_cb (AdwAboutWindow  *about,
               const char      *uri,
               TillApplication *self)
{
  if (!g_settings_get_boolean (self->settings, "kiosk"))
    return FALSE;
  g_debug ("Kiosk mode: not opening %s", uri);
  return TRUE;
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  static const char *developers[] = { "The Till authors", NULL };
  TillApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "application-name", _("Till"),
                "application-icon", APP_ID,
                "developer-name", _("The Till authors"),
                "version", PACKAGE_VERSION,
                "comments", _("Take card payments at the counter"),
                "website", "https://github.com/tillpos/till",
                "issue-url", "https://github.com/tillpos/till/issues",
                "developers", developers,
                "copyright", "© 2026 The Till authors",
                "license-type", GTK_LICENSE_GPL_3_0,
                /* Translators: your names, one a line, as in “Name <email>”,
                 * shown in About under Translated by. */
                "translator-credits", _("translator-credits"),
                NULL);
  g_signal_connect_object (about, "activate-link", G_CALLBACK (about_link_cb), self, 0);
  /* As adw_show_about_window() shows it. */
  gtk_window_set_transient_for (GTK_WINDOW (about), window);
  gtk_window_set_modal (GTK_WINDOW (about), TRUE);
  gtk_window_present (GTK_WINDOW (about));
}

/* The terminal's window, also when Preferences is the active one. */
static TillWindow *
terminal_window (TillApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self));
       !TILL_IS_WINDOW (window) && l != NULL; l = l->next)
    window = l->data;
  return TILL_IS_WINDOW (window) ? TILL_WINDOW (window) : NULL;
}

static void
show_preferences (TillWindow *window,
                  gpointer    user_data)
{
  TillApplication *self = user_data;
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "preferences");
  TillPreferencesWindow *prefs;

  /* Locked while the manager typed: Preferences waits for the unlock. */
  if (!g_action_get_enabled (action))
    return;
  prefs = till_preferences_window_new (self->settings);
  /* One of the application's windows, so that locking closes it
   * (till-window.c) and quitting does too. */
  gtk_window_set_application (GTK_WINDOW (prefs), GTK_APPLICATION (self));
  gtk_window_set_transient_for (GTK_WINDOW (prefs), GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  TillApplication *self = user_data;
  TillWindow *window = terminal_window (self);

  if (window == NULL)
    return;
  if (g_settings_get_boolean (self->settings, "kiosk"))
    till_window_ask_approval (window, TILL_APPROVAL_PREFERENCES, show_preferences, self);
  else
    show_preferences (window, self);
}

/* App-wide, so that the Preferences window can reach it too. */
static void
forget_sign_in_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  TillWindow *window = terminal_window (user_data);

  if (window != NULL)
    till_window_forget_sign_in (window);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GList *windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (user_data)),
                                     (GCopyFunc) g_object_ref, NULL);

  /* Closing the windows lets each finish or cancel its work first. A
   * window closed goes from the application's list: walk a copy. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free_full (windows, g_object_unref);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "preferences", preferences_action },
  { "forget-sign-in", forget_sign_in_action },
  { "quit", quit_action },
};

static void
till_application_startup (GApplication *app)
{
  TillApplication *self = TILL_APPLICATION (app);

  G_APPLICATION_CLASS (till_application_parent_class)->startup (app);

  self->settings = g_settings_new (SETTINGS_SCHEMA);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", (const char *[]) { "<Control>comma", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.lock", (const char *[]) { "<Control>l", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.fullscreen", (const char *[]) { "F11", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.sign-out", (const char *[]) { "<Control><Shift>q", NULL });
  for (int i = 1; i <= 9; i++)
    {
      g_autofree char *action = g_strdup_printf ("win.show-page(%d)", i);
      g_autofree char *accel = g_strdup_printf ("<Alt>%d", i);

      gtk_application_set_accels_for_action (GTK_APPLICATION (self), action, (const char *[]) { accel, NULL });
    }
}

static void
till_application_finalize (GObject *object)
{
  TillApplication *self = (TillApplication *)object;

  g_clear_object (&self->settings);
  g_clear_pointer (&self->server_option, g_free);

  G_OBJECT_CLASS (till_application_parent_class)->finalize (object);
}

static void
till_application_class_init (TillApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = till_application_finalize;
  app_class->activate = till_application_activate;
  app_class->startup = till_application_startup;
  app_class->handle_local_options = till_application_handle_local_options;
}

static void
till_application_init (TillApplication *self)
{
  /* --help says what Till is, for whoever sets up the counter PC. */
  g_application_set_option_context_summary (G_APPLICATION (self), _("Take card payments at the counter"));
  g_application_add_main_option (G_APPLICATION (self), "server", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_STRING, _("The shop server to sign in to, saved for next time"),
                                 _("URL"));
  g_application_add_main_option (G_APPLICATION (self), "version", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _("Print the version and quit"), NULL);
}
