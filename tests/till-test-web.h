/* till-test-web.h: what the window tests ask of a WebKit view
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <webkit/webkit.h>

G_BEGIN_DECLS

/* Waits until the page has run the messages posted in it so far: a
 * message the page posts to itself runs after them (one event loop for
 * the page and the stand-in's frames, which are same-site, and one task
 * source for posted messages). Nothing in the page takes this one. */
void     till_test_web_flush_posted_messages (WebKitWebView *web_view);

/* Waits until the focus is in the card's frame (in its number field):
 * keys typed before that are lost. Then flushes the page's messages. */
void     till_test_web_wait_card_focus       (WebKitWebView *web_view);

/* Records the URIs every web view asks to navigate to, until
 * till_test_web_unwatch_navigations(). A hook rather than a handler: the
 * card view's own handler answers and stops the emission. */
void     till_test_web_watch_navigations     (void);
void     till_test_web_unwatch_navigations   (void);
gboolean till_test_web_navigation_asked      (const char    *uri);

/* Makes warnings fatal, as criticals are, but for the expected ones (and
 * turns GTK's cursor blink off: see the function). After gtk_init(). A
 * NULL-terminated list of "DOMAIN: PATTERN" (g_pattern_match_simple() on
 * the message), each with a reason where it is called. */
void     till_test_fatal_warnings_except     (const char * const *allowed);
/* More warnings allowed, for the one test that causes them, until called
 * again with NULL. */
void     till_test_allow_warnings_now        (const char * const *patterns);
/* How many warnings were let through so far. */
guint    till_test_allowed_warnings          (void);

/* Shows window and gives it the X input focus, as a window manager would
 * on a click; title is its exact title. */
void     till_test_focus_window              (GtkWindow     *window,
                                              const char    *title);

/* Test artifacts: $TILL_TEST_ARTIFACTS, else $G_TEST_BUILDDIR/artifacts
 * (made if need be). A screenshot is widget as it looks on screen, once
 * no page in it slides and its size has held for three frames, saved as
 * NAME.png there. */
char    *till_test_artifact_path             (const char    *name);
void     till_test_save_screenshot           (GtkWidget     *widget,
                                              const char    *name);

G_END_DECLS
