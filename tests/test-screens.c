/* test-screens.c: every page on a small screen, at a large text size and in dark mode
 *
 * Under Xvfb on a 1024x600 screen (tests/meson.build), against a real
 * till-server and the Stripe stand-in, a 1024x568 window (the screen less
 * GNOME's top bar) shows each page: sign-in, charge, the result of a real
 * sale typed into the card view, lock, history, the refund dialog, day
 * totals, staff, audit, and the Preferences window. Three ways: at 100 %
 * text scale, at 200 % (GtkSettings:gtk-xft-dpi doubled, as GNOME's Large
 * Text and text scaling do) and in dark mode. On each page:
 *
 * - the window keeps the size asked (no page's minimum size makes it
 *   larger than the screen), as does each dialog;
 * - every interactive widget drawn lies inside the window, or inside a
 *   scrollable area that can scroll to it;
 * - the buttons a cashier touches are touch-sized (MIN_TARGET);
 * - at 100 %, Sign In, Unlock, New Sale and, on the charge page, the
 *   amount, the keypad, the card and Charge are in view without scrolling.
 *
 * Besides: the amount's text grows with the text scale, and in dark mode
 * the window is dark and the amount and the result read with enough
 * contrast, measured on the pixels drawn. Each page is saved as a PNG in
 * the artifacts folder, named screens-CONFIGURATION-PAGE.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <webkit/webkit.h>

#include "till-application.h"
#include "till-audit-page-private.h"
#include "till-charge-page-private.h"
#include "till-day-totals-page-private.h"
#include "till-history-page-private.h"
#include "till-preferences-window.h"
#include "till-refund-dialog-private.h"
#include "till-staff-page-private.h"
#include "till-test-harness.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define MORGAN_PASSWORD "morgan-password-1"
#define WIDTH 1024
#define SCREEN_HEIGHT 600
/* The screen less GNOME's top bar. */
#define HEIGHT 568
/* The smallest touch target, in logical pixels, on each side: WCAG
 * 2.5.5's target size (Apple's guidelines ask the same). */
#define MIN_TARGET 44
/* WCAG's AA contrast for text. */
#define MIN_CONTRAST 4.5
/* GTK's default text resolution, in 1024ths of a dot per inch. */
#define DEFAULT_DPI (96 * 1024)

typedef enum
{
  SCREEN_SMALL,
  SCREEN_LARGE_TEXT,
  SCREEN_DARK,
} Configuration;

static const char * const configuration_names[] = { "small", "large-text", "dark" };

static TillApplication *app;
static TillTestServer *server;

typedef gboolean (*Condition) (gconstpointer data);static void
press (const char *keys)
{
  till_test_xdo ("key", "--delay", "20", keys, NULL);
}
/* The configurations */

/* How many times the default text size. */
static int
text_scale (Configuration configuration)
{
  return configuration == SCREEN_LARGE_TEXT ? 2 : 1;
}

static void
configure (Configuration configuration)
{
  AdwStyleManager *style = adw_style_manager_get_default ();

  g_object_set (gtk_settings_get_default (), "gtk-xft-dpi", text_scale (configuration) * DEFAULT_DPI, NULL);
  adw_style_manager_set_color_scheme (style, configuration == SCREEN_DARK ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                          : ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_assert_true (adw_style_manager_get_dark (style) == (configuration == SCREEN_DARK));
}

/* What is measured */

/* Widgets a person operates. Rows of lists and the card view's web view
 * count too: a row may hold the only way to a payment. */
static gboolean
is_interactive (GtkWidget *widget)
{
  if (GTK_IS_LIST_BOX_ROW (widget))
    return gtk_list_box_row_get_activatable (GTK_LIST_BOX_ROW (widget));
  return GTK_IS_BUTTON (widget) || GTK_IS_CHECK_BUTTON (widget) || GTK_IS_SWITCH (widget) ||
         GTK_IS_TEXT (widget) || GTK_IS_DROP_DOWN (widget) || GTK_IS_SPIN_BUTTON (widget) ||
         WEBKIT_IS_WEB_VIEW (widget);
}

/* The scrollable widget (a viewport or a list) widget is laid out in, or
 * NULL when it is laid out in its window. */
static GtkWidget *
scrollable_ancestor (GtkWidget *widget)
{
  for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL; up = gtk_widget_get_parent (up))
    if (GTK_IS_SCROLLABLE (up))
      return up;
  return NULL;
}

static char *
describe (GtkWidget *widget)
{
  const char *label = GTK_IS_BUTTON (widget) ? gtk_button_get_label (GTK_BUTTON (widget)) : NULL;
  const char *action = GTK_IS_ACTIONABLE (widget) ? gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)) : NULL;
  GtkWidget *parent = gtk_widget_get_parent (widget);

  return g_strdup_printf ("%s “%s” (action %s) in %s", G_OBJECT_TYPE_NAME (widget), label ? label : "",
                          action ? action : "none", parent ? G_OBJECT_TYPE_NAME (parent) : "nothing");
}

/* The widget lies within its window, or within what its scrollable area
 * can scroll to, and that area in turn is reachable. Sub-pixel slack for
 * the fractional sizes of a large text. */
static void
assert_reachable (GtkWidget  *widget,
                  GtkWidget  *window,
                  const char *where)
{
  GtkWidget *scrollable = scrollable_ancestor (widget);
  graphene_rect_t bounds;
  g_autofree char *what = describe (widget);

  if (scrollable == NULL)
    {
      g_assert_true (gtk_widget_compute_bounds (widget, window, &bounds));
      if (bounds.origin.x < -0.5 || bounds.origin.y < -0.5 ||
          bounds.origin.x + bounds.size.width > gtk_widget_get_width (window) + 0.5 ||
          bounds.origin.y + bounds.size.height > gtk_widget_get_height (window) + 0.5)
        g_error ("%s: %s at %g,%g %gx%g is outside the %dx%d window", where, what, bounds.origin.x,
                 bounds.origin.y, bounds.size.width, bounds.size.height, gtk_widget_get_width (window),
                 gtk_widget_get_height (window));
      return;
    }

  /* In the scrollable's content: its place there plus how far it is
   * scrolled, within the content's extent. */
  g_assert_true (gtk_widget_compute_bounds (widget, scrollable, &bounds));
  {
    GtkAdjustment *h = gtk_scrollable_get_hadjustment (GTK_SCROLLABLE (scrollable));
    GtkAdjustment *v = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (scrollable));
    double x = bounds.origin.x + (h ? gtk_adjustment_get_value (h) : 0);
    double y = bounds.origin.y + (v ? gtk_adjustment_get_value (v) : 0);
    double width = h ? MAX (gtk_adjustment_get_upper (h), gtk_widget_get_width (scrollable)) : gtk_widget_get_width (scrollable);
    double height = v ? MAX (gtk_adjustment_get_upper (v), gtk_widget_get_height (scrollable)) : gtk_widget_get_height (scrollable);

    if (x < -0.5 || y < -0.5 || x + bounds.size.width > width + 0.5 || y + bounds.size.height > height + 0.5)
      g_error ("%s: %s at %g,%g %gx%g cannot be scrolled to in %s (%gx%g)", where, what, x, y,
               bounds.size.width, bounds.size.height, G_OBJECT_TYPE_NAME (scrollable), width, height);
  }
  assert_reachable (scrollable, window, where);
}

static guint
check_tree (GtkWidget  *widget,
            GtkWidget  *window,
            const char *where)
{
  guint count = 0;

  if (!gtk_widget_get_mapped (widget) || GTK_WIDGET (gtk_widget_get_native (widget)) != window)
    return 0;
  if (is_interactive (widget) && gtk_widget_get_width (widget) > 0)
    {
      assert_reachable (widget, window, where);
      count++;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count += check_tree (child, window, where);
  return count;
}

/* The window as asked, and everything in it that can be operated
 * reachable; then its screenshot. */
static void
check_page (GtkWindow     *window,
            Configuration  configuration,
            const char    *page)
{
  g_autofree char *name = g_strdup_printf ("screens-%s-%s", configuration_names[configuration], page);
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (window));
  GdkMonitor *monitor = gdk_display_get_monitor_at_surface (display, gtk_native_get_surface (GTK_NATIVE (window)));
  GdkRectangle screen;
  GdkSurface *surface;
  guint count;

  /* The screenshot waits until the size has held. */
  till_test_save_screenshot (GTK_WIDGET (window), name);
  /* The screen tests/meson.build asks Xvfb for. */
  gdk_monitor_get_geometry (monitor, &screen);
  g_assert_cmpint (screen.width, ==, WIDTH);
  g_assert_cmpint (screen.height, ==, SCREEN_HEIGHT);
  /* The window within its frame no larger than the room a 600 px screen
   * leaves, and with its frame (the margin GTK keeps around a window for
   * its shadow and resize handles) on the screen. */
  if (gtk_widget_get_width (GTK_WIDGET (window)) > WIDTH || gtk_widget_get_height (GTK_WIDGET (window)) > HEIGHT)
    g_error ("%s: the window is %dx%d, more than %dx%d", name, gtk_widget_get_width (GTK_WIDGET (window)),
             gtk_widget_get_height (GTK_WIDGET (window)), WIDTH, HEIGHT);
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  if (gdk_surface_get_width (surface) > screen.width || gdk_surface_get_height (surface) > screen.height)
    g_error ("%s: the window's frame is %dx%d, more than the %dx%d screen", name, gdk_surface_get_width (surface),
             gdk_surface_get_height (surface), screen.width, screen.height);
  count = check_tree (GTK_WIDGET (window), GTK_WIDGET (window), name);
  g_assert_cmpuint (count, >, 0);
  g_test_message ("%s: %u interactive widgets reachable", name, count);
}

/* A touch-sized target: as large as MIN_TARGET both ways. */
static void
assert_touch_sized (GtkWidget  *widget,
                    const char *where)
{
  g_autofree char *what = describe (widget);
  graphene_rect_t bounds;

  /* What takes a touch: the border box, padding included. */
  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, widget, &bounds));
  if (bounds.size.width < MIN_TARGET - 0.01 || bounds.size.height < MIN_TARGET - 0.01)
    g_error ("%s: %s is %gx%g, less than %dx%d for a finger", where, what, bounds.size.width,
             bounds.size.height, MIN_TARGET, MIN_TARGET);
}

/* Finding widgets drawn under a root */

typedef gboolean (*Match) (GtkWidget *widget, const char *what);

/* Every widget drawn under root that matches, in the order of the tree. */
static GPtrArray *
find_all (GtkWidget  *root,
          Match       match,
          const char *what,
          GPtrArray  *found)
{
  if (found == NULL)
    found = g_ptr_array_new ();
  if (!gtk_widget_get_mapped (root))
    return found;
  if (match (root, what))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    find_all (child, match, what, found);
  return found;
}

static GtkWidget *
find_first (GtkWidget  *root,
            Match       match,
            const char *what)
{
  g_autoptr(GPtrArray) found = find_all (root, match, what, NULL);

  return found->len > 0 ? g_ptr_array_index (found, 0) : NULL;
}

static gboolean
has_action (GtkWidget  *widget,
            const char *action)
{
  return GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

/* A button labelled label, itself or by a label inside it. */
static gboolean
has_label (GtkWidget  *widget,
           const char *label)
{
  if (!GTK_IS_BUTTON (widget))
    return FALSE;
  if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_button_get_child (GTK_BUTTON (widget)); child != NULL;
       child = gtk_widget_get_first_child (child))
    if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), label) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_label_of_class (GtkWidget  *widget,
                   const char *css_class)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, css_class);
}

/* Each button drawn under root with that action is touch-sized; how many. */
static guint
assert_touch_sized_actions (GtkWidget  *root,
                            const char *action,
                            const char *where)
{
  g_autoptr(GPtrArray) found = find_all (root, has_action, action, NULL);

  for (guint i = 0; i < found->len; i++)
    assert_touch_sized (g_ptr_array_index (found, i), where);
  return found->len;
}

/* The widget is on screen as the page is now, without scrolling: inside
 * the scrolled window it is in (or its window). */
static void
assert_in_view (GtkWidget  *widget,
                const char *what)
{
  GtkWidget *view = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  graphene_rect_t bounds;

  g_assert_nonnull (widget);
  if (view == NULL)
    view = GTK_WIDGET (gtk_widget_get_root (widget));
  g_assert_true (gtk_widget_compute_bounds (widget, view, &bounds));
  if (bounds.origin.x < -0.5 || bounds.origin.y < -0.5 ||
      bounds.origin.x + bounds.size.width > gtk_widget_get_width (view) + 0.5 ||
      bounds.origin.y + bounds.size.height > gtk_widget_get_height (view) + 0.5)
    g_error ("%s at %g,%g %gx%g is not in view in its %dx%d %s without scrolling", what, bounds.origin.x,
             bounds.origin.y, bounds.size.width, bounds.size.height, gtk_widget_get_width (view),
             gtk_widget_get_height (view), G_OBJECT_TYPE_NAME (view));
}

/* The page's main button, labelled label: touch-sized, and at 100 % in
 * view without scrolling. */
static void
check_button (GtkWidget     *page,
              const char    *label,
              Configuration  configuration)
{
  GtkWidget *button = find_first (page, has_label, label);

  g_assert_nonnull (button);
  assert_touch_sized (button, label);
  if (configuration != SCREEN_LARGE_TEXT)
    assert_in_view (button, label);
}

/* Pixels */

typedef struct
{
  GBytes *bytes;
  gsize stride;
  int width;
  int height;
} Pixels;

static void
pixels_clear (Pixels *pixels)
{
  g_clear_pointer (&pixels->bytes, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Pixels, pixels_clear)

/* The window as drawn, in GDK_MEMORY_DEFAULT (B, G, R, A premultiplied). */
static void
draw_window (GtkWidget *window,
             Pixels    *out)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  guchar *data;

  out->width = gtk_widget_get_width (window);
  out->height = gtk_widget_get_height (window);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), out->width, out->height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, out->width, out->height));
  out->stride = 4 * out->width;
  data = g_malloc (out->stride * out->height);
  gdk_texture_download (texture, data, out->stride);
  out->bytes = g_bytes_new_take (data, out->stride * out->height);
}

static double
channel (guchar value)
{
  double c = value / 255.0;

  return c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4);
}

/* WCAG's relative luminance of an opaque pixel. */
static double
luminance (const guchar *pixel)
{
  return 0.2126 * channel (pixel[2]) + 0.7152 * channel (pixel[1]) + 0.0722 * channel (pixel[0]);
}

static guint32
pixel_key (const guchar *pixel)
{
  return pixel[0] | pixel[1] << 8 | pixel[2] << 16;
}

/* The contrast of the text drawn inside widget's bounds: the commonest
 * colour there is its background, the one farthest from it in luminance
 * its text (a glyph's stem is drawn solid, edges blend). */
static double
text_contrast (const Pixels *pixels,
               GtkWidget    *widget,
               GtkWidget    *window,
               double       *out_background)
{
  const guchar *data = g_bytes_get_data (pixels->bytes, NULL);
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  graphene_rect_t bounds;
  guint best = 0;
  guint32 background = 0;
  double background_l, text_l = -1;
  int x0, y0, x1, y1;

  g_assert_true (gtk_widget_compute_bounds (widget, window, &bounds));
  x0 = MAX (0, (int) bounds.origin.x);
  y0 = MAX (0, (int) bounds.origin.y);
  x1 = MIN (pixels->width, (int) (bounds.origin.x + bounds.size.width));
  y1 = MIN (pixels->height, (int) (bounds.origin.y + bounds.size.height));
  g_assert_cmpint (x1 - x0, >, 4);
  g_assert_cmpint (y1 - y0, >, 4);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        guint32 key = pixel_key (data + y * pixels->stride + 4 * x);
        guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, GUINT_TO_POINTER (key))) + 1;

        g_hash_table_insert (counts, GUINT_TO_POINTER (key), GUINT_TO_POINTER (count));
        if (count > best)
          {
            best = count;
            background = key;
          }
      }
  {
    guchar bg[4] = { background & 0xff, (background >> 8) & 0xff, (background >> 16) & 0xff, 255 };

    background_l = luminance (bg);
  }
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        double l = luminance (data + y * pixels->stride + 4 * x);

        if (text_l < 0 || fabs (l - background_l) > fabs (text_l - background_l))
          text_l = l;
      }
  if (out_background != NULL)
    *out_background = background_l;
  return (MAX (text_l, background_l) + 0.05) / (MIN (text_l, background_l) + 0.05);
}

static void
assert_contrast (GtkWidget  *widget,
                 GtkWidget  *window,
                 const char *what)
{
  g_auto(Pixels) pixels = { 0 };
  double background;
  double contrast;

  draw_window (window, &pixels);
  contrast = text_contrast (&pixels, widget, window, &background);
  g_test_message ("%s: contrast %.1f:1 on a background of luminance %.2f", what, contrast, background);
  if (contrast < MIN_CONTRAST)
    g_error ("%s: contrast %.2f:1, less than %.1f:1", what, contrast, MIN_CONTRAST);
  /* Dark mode is dark. */
  g_assert_cmpfloat (background, <, 0.2);
}

/* The window's pages */

static TillChargePage *
charge_of (TillWindow *window)
{
  return till_window_get_charge_page (window);
}

typedef struct
{
  TillWindow *window;
  const char *value;
} WindowWait;

static gboolean
shows_page (gconstpointer data)
{
  const WindowWait *wait = data;

  return g_strcmp0 (till_window_get_visible_page (wait->window), wait->value) == 0;
}

static gboolean
charge_state_is (gconstpointer data)
{
  const WindowWait *wait = data;

  return g_strcmp0 (till_charge_page_get_state (charge_of (wait->window)), wait->value) == 0;
}

static gboolean
form_ready (gconstpointer window)
{
  TillChargePage *page = charge_of ((TillWindow *) window);

  return g_strcmp0 (till_charge_page_get_state (page), "entry") == 0 &&
         till_card_view_get_ready (till_charge_page_get_card_view (page));
}

static gboolean
card_complete (gconstpointer window)
{
  TillChargePage *page = charge_of ((TillWindow *) window);

  return till_card_view_get_complete (till_charge_page_get_card_view (page)) && till_charge_page_get_can_charge (page);
}

static gboolean
amount_is (gconstpointer data)
{
  const WindowWait *wait = data;

  return till_charge_page_get_amount (charge_of (wait->window)) == g_ascii_strtoll (wait->value, NULL, 10);
}

static void
wait_page (TillWindow *window,
           const char *name)
{
  WindowWait wait = { window, name };

  till_test_wait_for (shows_page, &wait, name);
}

static void
wait_charge_state (TillWindow *window,
                   const char *state)
{
  WindowWait wait = { window, state };

  till_test_wait_for (charge_state_is, &wait, state);
}

static TillWindow *
open_window (Configuration configuration)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window;

  g_settings_set_string (settings, "server-url", server->url);
  g_settings_set_string (settings, "last-username", "morgan");
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_set_int (settings, "window-width", WIDTH);
  g_settings_set_int (settings, "window-height", HEIGHT);
  g_settings_sync ();

  window = till_window_new (app);
  till_test_focus_window (GTK_WINDOW (window), "Till");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  return window;
}

/* The keys on the charge page a cashier touches, and the amount and
 * keypad above the fold at 100 %. */
static void
check_charge_entry (TillWindow    *window,
                    Configuration  configuration)
{
  GtkWidget *page = GTK_WIDGET (charge_of (window));
  GtkWidget *amount = find_first (page, is_label_of_class, "till-amount");
  GtkWidget *card = GTK_WIDGET (till_charge_page_get_card_view (charge_of (window)));
  guint keys;

  g_assert_nonnull (amount);
  keys = assert_touch_sized_actions (page, "charge.type", "the keypad");
  keys += assert_touch_sized_actions (page, "charge.back", "the keypad");
  g_assert_cmpuint (keys, ==, 12);
  g_assert_cmpuint (assert_touch_sized_actions (page, "charge.charge", "Charge"), ==, 1);
  g_assert_cmpuint (assert_touch_sized_actions (page, "charge.clear", "Clear"), ==, 1);

  /* The card view grows with the text in it (WebKit scales the card page
   * with the text), or its field is cut off. */
  g_assert_cmpint (gtk_widget_get_height (card), >=, text_scale (configuration) * 72);

  /* At 100 % a cashier never scrolls for the amount, the keypad, the
   * card's field or Charge, and the card's field has its 300 px. */
  if (configuration != SCREEN_LARGE_TEXT)
    {
      g_assert_cmpint (gtk_widget_get_width (card), >=, 300);
      assert_in_view (amount, "the amount");
      assert_in_view (find_first (page, has_action, "charge.back"), "the keypad's last key");
      assert_in_view (card, "the card");
      assert_in_view (find_first (page, has_action, "charge.charge"), "Charge");
    }
}

/* The amount's height at this text scale. */
static int
amount_height (TillWindow *window)
{
  GtkWidget *amount = find_first (GTK_WIDGET (charge_of (window)), is_label_of_class, "till-amount");
  int natural;

  g_assert_nonnull (amount);
  gtk_widget_measure (amount, GTK_ORIENTATION_VERTICAL, -1, NULL, &natural, NULL, NULL);
  return natural;
}

static char *
sale_payment_id (TillWindow *window)
{
  TillSale *sale = till_charge_page_get_sale (charge_of (window));

  g_assert_nonnull (sale);
  return g_strdup (till_sale_get_payment_id (sale));
}

static JsonObject *
payment_json (const char *payment_id)
{
  g_autofree char *token = till_test_server_login (server, "morgan", MORGAN_PASSWORD);
  g_autofree char *path = g_strconcat ("/api/payments/", payment_id, NULL);
  g_autoptr(TillTestResponse) response = till_test_get (server, path, token);

  g_assert_cmpuint (response->status, ==, 200);
  return json_object_ref (json_node_get_object (response->json));
}

static gboolean
history_listed (gconstpointer page)
{
  TillHistoryPage *history = (TillHistoryPage *) page;

  return g_strcmp0 (till_history_page_get_list_state (history), "list") == 0 &&
         till_payment_list_get_state (till_history_page_get_list (history)) == TILL_PAYMENT_LIST_IDLE;
}

static gboolean
totals_shown (gconstpointer page)
{
  return g_strcmp0 (till_day_totals_page_get_state ((TillDayTotalsPage *) page), "report") == 0;
}

static gboolean
staff_listed (gconstpointer page)
{
  return !till_staff_page_get_busy ((TillStaffPage *) page) &&
         till_staff_page_describe ((TillStaffPage *) page, "alice") != NULL;
}

static gboolean
audit_loaded (gconstpointer page)
{
  TillAuditList *list = till_audit_page_get_list ((TillAuditPage *) page);

  return !till_audit_list_get_loading (list) && g_list_model_get_n_items (G_LIST_MODEL (list)) > 0;
}

/* The Preferences window, once open. */
static GtkWindow *
find_preferences (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (TILL_IS_PREFERENCES_WINDOW (toplevel))
        return toplevel;
    }
  return NULL;
}

static gboolean
preferences_mapped (gconstpointer data)
{
  GtkWindow *preferences = find_preferences ();

  return preferences != NULL && gtk_widget_get_mapped (GTK_WIDGET (preferences));
}

/* Every page, in one configuration. */
/* Whether widget is drawn at all: mapped, and neither it nor a parent
 * fully transparent. */
static gboolean
seen (GtkWidget *widget)
{
  if (!gtk_widget_get_mapped (widget))
    return FALSE;
  for (GtkWidget *w = widget; w != NULL; w = gtk_widget_get_parent (w))
    if (gtk_widget_get_opacity (w) == 0.0)
      return FALSE;
  return TRUE;
}

static void
test_pages (gconstpointer data)
{
  Configuration configuration = GPOINTER_TO_INT (data);
  const char *where = configuration_names[configuration];
  TillWindow *window;
  GtkStack *stack;
  g_autofree char *payment_id = NULL;

  configure (configuration);
  window = open_window (configuration);

  /* Sign-in: its button reachable and touch-sized. */
  check_page (GTK_WINDOW (window), configuration, "sign-in");
  check_button (GTK_WIDGET (till_window_get_sign_in_page (window)), "_Sign In", configuration);
  till_test_type (MORGAN_PASSWORD);
  press ("Return");
  till_test_wait_for (form_ready, window, "the charge page");

  /* Charge: an amount typed, a different one each time (the same card
   * charged the same amount again soon after asks first). */
  {
    g_autofree char *amount = g_strdup_printf ("%d", 1250 + 100 * configuration);
    WindowWait wait = { window, amount };

    till_test_type (amount);
    till_test_wait_for (amount_is, &wait, "the amount");
  }
  check_page (GTK_WINDOW (window), configuration, "charge");
  check_charge_entry (window, configuration);
  if (configuration == SCREEN_LARGE_TEXT)
    {
      /* The amount follows the text scale. */
      int large = amount_height (window);
      int normal;

      g_object_set (gtk_settings_get_default (), "gtk-xft-dpi", DEFAULT_DPI, NULL);
      normal = amount_height (window);
      g_object_set (gtk_settings_get_default (), "gtk-xft-dpi", 2 * DEFAULT_DPI, NULL);
      g_test_message ("The amount is %d px high at 100 %%, %d px at 200 %%", normal, large);
      g_assert_cmpfloat ((double) large / normal, >=, 1.8);
    }
  if (configuration == SCREEN_DARK)
    assert_contrast (find_first (GTK_WIDGET (charge_of (window)), is_label_of_class, "till-amount"), GTK_WIDGET (window),
                     "the amount in dark mode");

  /* A real sale through the card view, and its result. */
  gtk_widget_grab_focus (GTK_WIDGET (charge_of (window)));
  press ("Return");
  till_test_web_wait_card_focus (till_test_window_get_web_view (window));
  till_test_type ("4242424242424242");
  till_test_type ("1230");
  till_test_type ("123");
  till_test_wait_for (card_complete, window, "the card to be complete");
  check_page (GTK_WINDOW (window), configuration, "card");
  press ("Return");
  wait_charge_state (window, "result");
  g_assert_cmpstr (till_charge_page_get_result_title (charge_of (window)), ==, "Approved");
  payment_id = sale_payment_id (window);
  /* Beside the result no empty card field asks for the card again. */
  g_assert_false (seen (GTK_WIDGET (till_charge_page_get_card_view (charge_of (window)))));
  check_page (GTK_WINDOW (window), configuration, "result");
  g_assert_cmpuint (assert_touch_sized_actions (GTK_WIDGET (charge_of (window)), "charge.next", "New Sale"), ==, 1);
  if (configuration != SCREEN_LARGE_TEXT)
    assert_in_view (find_first (GTK_WIDGET (charge_of (window)), has_action, "charge.next"), "New Sale");
  if (configuration == SCREEN_DARK)
    assert_contrast (find_first (GTK_WIDGET (charge_of (window)), is_label_of_class, "title-1"), GTK_WIDGET (window),
                     "the result in dark mode");
  press ("Return");
  till_test_wait_for (form_ready, window, "the next sale");
  g_assert_true (seen (GTK_WIDGET (till_charge_page_get_card_view (charge_of (window)))));

  /* The lock, and back. */
  till_access_lock (till_window_get_access (window));
  wait_page (window, "locked");
  check_page (GTK_WINDOW (window), configuration, "lock");
  check_button (GTK_WIDGET (till_window_get_lock_page (window)), "_Unlock", configuration);
  till_access_unlock_async (till_window_get_access (window), MORGAN_PASSWORD, NULL, NULL);
  wait_page (window, "charge");

  /* History, with the sale chosen. */
  till_window_show_page (window, "history");
  till_test_wait_for (history_listed, till_window_get_history_page (window), "the history");
  gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (till_window_get_history_page (window))),
                                   0, TRUE);
  check_page (GTK_WINDOW (window), configuration, "history");

  /* The refund dialog over it, for the sale. */
  {
    g_autoptr(JsonObject) payment = payment_json (payment_id);
    TillRefundDialog *dialog = till_refund_dialog_new (till_window_get_session (window), payment);

    gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (window));
    till_test_focus_window (GTK_WINDOW (dialog), "Refund Payment");
    check_page (GTK_WINDOW (dialog), configuration, "refund");
    gtk_window_destroy (GTK_WINDOW (dialog));
    till_test_focus_window (GTK_WINDOW (window), "Till");
  }

  /* The manager's pages. */
  stack = till_window_get_shell_stack (window);
  till_window_show_page (window, "day-totals");
  till_test_wait_for (totals_shown, gtk_stack_get_child_by_name (stack, "day-totals"), "the day's totals");
  check_page (GTK_WINDOW (window), configuration, "day-totals");
  till_window_show_page (window, "staff");
  till_test_wait_for (staff_listed, till_window_get_staff_page (window), "the staff");
  check_page (GTK_WINDOW (window), configuration, "staff");
  till_window_show_page (window, "audit");
  till_test_wait_for (audit_loaded, till_window_get_audit_page (window), "the audit log");
  check_page (GTK_WINDOW (window), configuration, "audit");

  /* Preferences, as the menu opens it. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  till_test_wait_for (preferences_mapped, NULL, "the Preferences window");
  check_page (find_preferences (), configuration, "preferences");
  gtk_window_destroy (find_preferences ());

  g_test_message ("%s: every page checked", where);
  gtk_window_destroy (GTK_WINDOW (window));
  gdk_display_sync (gdk_display_get_default ());
  configure (SCREEN_SMALL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-screens");
  gtk_init ();
  adw_init ();

  app = till_test_application_new ();
  till_test_fatal_warnings_except ((const char * const[]) { NULL });
  /* The screenshots show pages as they rest, not an entry row's title
   * halfway through its slide (libadwaita's animations end at once). */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  server = till_test_server_new (NULL, NULL);
  till_test_server_add_user (server, "alice", "cashier", "alice-password-1");
  till_test_server_add_user (server, "morgan", "manager", MORGAN_PASSWORD);
  till_test_server_start (server);

  g_test_add_data_func ("/screens/small", GINT_TO_POINTER (SCREEN_SMALL), test_pages);
  g_test_add_data_func ("/screens/large-text", GINT_TO_POINTER (SCREEN_LARGE_TEXT), test_pages);
  g_test_add_data_func ("/screens/dark", GINT_TO_POINTER (SCREEN_DARK), test_pages);
  status = till_test_run ();

  till_test_server_free (server);
  g_object_unref (app);
  return status;
}
