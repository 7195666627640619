/* till-card-page.h: the card page's text, as the card view loads it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A file of the card page's GResource (src/web/): "bridge.js", …. */
char *till_card_page_read       (const char *name);
/* card.html with card.css and card.js put in place. */
char *till_card_page_build_html (void);
/* The script that gives the page its settings (window.tillConfig). */
char *till_card_page_build_config (const char *stripe_js_url,
                                   const char *publishable_key,
                                   const char *mode);

G_END_DECLS
