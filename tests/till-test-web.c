/* till-test-web.c: what the window tests ask of a WebKit view
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include <adwaita.h>

#include "till-test-harness.h"
#include "till-test-web.h"

void
till_test_web_flush_posted_messages (WebKitWebView *web_view)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = NULL;

  webkit_web_view_call_async_javascript_function (web_view,
    "return await new Promise((resolve) => {"
    "  const tag = 'till-test-flush';"
    "  const seen = (event) => {"
    "    if (event.source !== window || event.data !== tag) return;"
    "    window.removeEventListener('message', seen);"
    "    resolve(true);"
    "  };"
    "  window.addEventListener('message', seen);"
    "  window.postMessage(tag, location.origin);"
    "});", -1, NULL, NULL, NULL, NULL, till_test_result_cb, &slot);
  value = webkit_web_view_call_async_javascript_function_finish (web_view, till_test_wait (&slot), &error);
  g_assert_no_error (error);
  g_clear_object (&slot);
}

void
till_test_web_wait_card_focus (WebKitWebView *web_view)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      GAsyncResult *slot = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JSCValue) value = NULL;
      g_autofree char *text = NULL;

      webkit_web_view_evaluate_javascript (web_view,
                                           "String(document.hasFocus() && document.activeElement !== null "
                                           "&& document.activeElement.tagName === 'IFRAME')",
                                           -1, NULL, NULL, NULL, till_test_result_cb, &slot);
      value = webkit_web_view_evaluate_javascript_finish (web_view, till_test_wait (&slot), &error);
      g_assert_no_error (error);
      g_clear_object (&slot);
      text = jsc_value_to_string (value);
      if (g_str_equal (text, "true"))
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for the focus in the card's frame");
      till_test_settle (50);
    }
  till_test_web_flush_posted_messages (web_view);
}

static GPtrArray *navigations;
static gulong navigation_hook;

static gboolean
note_navigation_hook (GSignalInvocationHint *hint,
                      guint                  n_values,
                      const GValue          *values,
                      gpointer               data)
{
  WebKitPolicyDecision *decision = g_value_get_object (&values[1]);
  WebKitNavigationAction *action;

  if (g_value_get_enum (&values[2]) == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION)
    {
      action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
      g_ptr_array_add (navigations, g_strdup (webkit_uri_request_get_uri (webkit_navigation_action_get_request (action))));
    }
  return TRUE;
}

void
till_test_web_watch_navigations (void)
{
  g_assert_null (navigations);
  navigations = g_ptr_array_new_with_free_func (g_free);
  navigation_hook = g_signal_add_emission_hook (g_signal_lookup ("decide-policy", WEBKIT_TYPE_WEB_VIEW), 0,
                                                note_navigation_hook, NULL, NULL);
}

void
till_test_web_unwatch_navigations (void)
{
  g_signal_remove_emission_hook (g_signal_lookup ("decide-policy", WEBKIT_TYPE_WEB_VIEW), navigation_hook);
  navigation_hook = 0;
  g_clear_pointer (&navigations, g_ptr_array_unref);
}

gboolean
till_test_web_navigation_asked (const char *uri)
{
  return navigations != NULL && g_ptr_array_find_with_equal_func (navigations, uri, g_str_equal, NULL);
}

static const char * const *allowed_warnings;
static const char * const *allowed_now;
static guint allowed_count;

static const char *
field (const GLogField *fields,
       gsize           n_fields,
       const char     *key)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, key))
      return fields[i].value;
  return NULL;
}

static gboolean
is_allowed (const GLogField *fields,
            gsize            n_fields)
{
  const char *domain = field (fields, n_fields, "GLIB_DOMAIN");
  const char *message = field (fields, n_fields, "MESSAGE");
  g_autofree char *line = g_strdup_printf ("%s: %s", domain ? domain : "", message ? message : "");

  for (guint i = 0; allowed_warnings[i] != NULL; i++)
    if (g_pattern_match_simple (allowed_warnings[i], line))
      return TRUE;
  for (guint i = 0; allowed_now != NULL && allowed_now[i] != NULL; i++)
    if (g_pattern_match_simple (allowed_now[i], line))
      return TRUE;
  return FALSE;
}

/* GLib 2.74 aborts on a fatal message inside the default writer, before
 * g_test_log_set_fatal_handler() is asked: so warnings are not in the
 * fatal mask, and this writer ends the program on the unexpected ones. */
static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         data)
{
  GLogWriterOutput output = g_log_writer_default (level, fields, n_fields, data);

  if ((level & G_LOG_LEVEL_WARNING) == 0)
    return output;
  if (is_allowed (fields, n_fields))
    {
      allowed_count++;
      return output;
    }
  g_printerr ("Bail out! A warning this test does not expect is fatal (tests/till-test-web.c)\n");
  abort ();
}

void
till_test_fatal_warnings_except (const char * const *allowed)
{
  /* GTK's cursor blink timer warns "GtkText - did not receive a
   * focus-out event" when it fires in a field whose window lost the X
   * focus to another one without GTK hearing of it, as when xdotool moves
   * the focus between the tests' windows. No blinking, no timer. */
  g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
  allowed_warnings = allowed;
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_log_set_writer_func (writer, NULL, NULL);
}

void
till_test_allow_warnings_now (const char * const *patterns)
{
  allowed_now = patterns;
}

guint
till_test_allowed_warnings (void)
{
  return allowed_count;
}

/* Screenshots */

char *
till_test_artifact_path (const char *name)
{
  const char *folder = g_getenv ("TILL_TEST_ARTIFACTS");
  g_autofree char *dir = folder != NULL ? g_strdup (folder)
                                        : g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                                                            "artifacts", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  return g_build_filename (dir, name, NULL);
}

/* No stack in the widget is in the middle of a transition, nor a
 * squeezer (a view switcher's title crossfades into place once shown). */
static gboolean
transitions_done (GtkWidget *widget)
{
  if (GTK_IS_STACK (widget) && gtk_stack_get_transition_running (GTK_STACK (widget)))
    return FALSE;
  if (ADW_IS_SQUEEZER (widget) && adw_squeezer_get_transition_running (ADW_SQUEEZER (widget)))
    return FALSE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL; child = gtk_widget_get_next_sibling (child))
    if (!transitions_done (child))
      return FALSE;
  return TRUE;
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

void
till_test_save_screenshot (GtkWidget  *widget,
                           const char *name)
{
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = till_test_artifact_path (file);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  gint64 settled_at = -1;
  int width = 0, height = 0;
  /* Wakes the loop below even while nothing is drawn. */
  guint tick = g_timeout_add (50, tick_cb, NULL);

  /* Until no page slides and the size has held for three drawn frames:
   * the widget as it looks on screen, not half laid out. */
  for (;;)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
      gint64 frame = clock != NULL ? gdk_frame_clock_get_frame_counter (clock) : -1;

      if (clock == NULL || !gtk_widget_get_mapped (widget) || !transitions_done (widget) ||
          gtk_widget_get_width (widget) != width || gtk_widget_get_height (widget) != height)
        {
          width = gtk_widget_get_width (widget);
          height = gtk_widget_get_height (widget);
          settled_at = frame;
        }
      else if (width > 0 && frame - settled_at >= 3)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s to be drawn settled", name);
      gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);

  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Screenshot: %s", path);
}

static gboolean
is_mapped (gconstpointer widget)
{
  return gtk_widget_get_mapped (GTK_WIDGET (widget));
}

void
till_test_focus_window (GtkWindow  *window,
                        const char *title)
{
  g_autofree char *pattern = g_strdup_printf ("^%s$", title);

  gtk_window_present (window);
  till_test_wait_for (is_mapped, window, "a window to map");
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", pattern, "windowfocus", "--sync", NULL);
}
