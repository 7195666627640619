/* till-sign-in-page.h
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-ui-state.h"

G_BEGIN_DECLS

#define TILL_TYPE_SIGN_IN_PAGE (till_sign_in_page_get_type ())
G_DECLARE_FINAL_TYPE (TillSignInPage, till_sign_in_page, TILL, SIGN_IN_PAGE, AdwBin)

void        till_sign_in_page_set_state    (TillSignInPage *self,
                                            TillFormState   state,
                                            const char     *error_message);
TillFormState till_sign_in_page_get_state  (TillSignInPage *self);
const char *till_sign_in_page_get_error    (TillSignInPage *self);
const char *till_sign_in_page_get_server   (TillSignInPage *self);
void        till_sign_in_page_set_server   (TillSignInPage *self,
                                            const char     *server);
const char *till_sign_in_page_get_username (TillSignInPage *self);
void        till_sign_in_page_set_username (TillSignInPage *self,
                                            const char     *username);
const char *till_sign_in_page_get_password (TillSignInPage *self);
void        till_sign_in_page_clear_password (TillSignInPage *self);
gboolean    till_sign_in_page_get_remember (TillSignInPage *self);
void        till_sign_in_page_set_remember (TillSignInPage *self,
                                            gboolean        remember);
void        till_sign_in_page_focus        (TillSignInPage *self);
gboolean    till_sign_in_server_is_fixed     (GSettings      *settings);
void        till_sign_in_page_follow_settings (TillSignInPage *self,
                                            GSettings      *settings);

G_END_DECLS
