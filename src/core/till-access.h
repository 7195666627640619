/* till-access.h: who may use the terminal, and the flows that decide it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-credential-store.h"
#include "till-session.h"

G_BEGIN_DECLS

/* What the window shows. Flows move between these; widgets follow. */
typedef enum
{
  TILL_ACCESS_SIGNED_OUT,   /* the sign-in form, with "error" if the last try failed */
  TILL_ACCESS_SIGNING_IN,   /* the form, busy */
  TILL_ACCESS_RESTORING,    /* the remembered cashier is being signed in; can be cancelled */
  TILL_ACCESS_SIGNED_IN,    /* the shell: the cashier works */
  TILL_ACCESS_SIGNING_OUT,  /* the shell, while the server hears of the sign-out */
  TILL_ACCESS_LOCKED,       /* the lock page, with "error" if the last try failed */
  TILL_ACCESS_UNLOCKING,    /* the lock page, busy (a password or another cashier is checked) */
} TillAccessState;

#define TILL_ACCESS_ERROR (till_access_error_quark ())

/* Why a flow did not start; the cashier reads "error" or a notice. */
typedef enum
{
  TILL_ACCESS_ERROR_INCOMPLETE,   /* a field of the sign-in form is empty */
  TILL_ACCESS_ERROR_WRONG_STATE,  /* the flow makes no sense in this state */
  TILL_ACCESS_ERROR_SALE_OPEN,    /* signing out would leave a sale half done */
  TILL_ACCESS_ERROR_NOTHING_SAVED, /* no saved sign-in to restore or forget */
} TillAccessError;

GQuark           till_access_error_quark        (void);

#define TILL_TYPE_ACCESS (till_access_get_type ())
G_DECLARE_FINAL_TYPE (TillAccess, till_access, TILL, ACCESS, GObject)

/* Asked by the flows, answered by the charge screen. */
typedef gboolean (*TillAccessSaleFunc) (gpointer user_data);

/* settings: the app's schema (server-url, last-username, auto-sign-in,
 * remembered, locked, lock-after-seconds, ca-file, timeouts). store may be
 * NULL (no keyring at all). */
TillAccess      *till_access_new                (GSettings            *settings,
                                                 TillCredentialStore  *store);

/* Properties, all notify: "state", "error" (the sentence for the form on
 * screen, or NULL), "session" (replaced by each sign-in, restore and
 * switch), "username" and "role" of the cashier the terminal is about,
 * "signed-in" (that cashier's session is good: the header names them),
 * "session-ended" (locked because the server ended the session),
 * "remembered" (a saved sign-in exists). Signals: "session-started"
 * (TillSession *) when a cashier's session begins, before "state" becomes
 * SIGNED_IN; "notice" (const char *) for a passing message. */
TillAccessState  till_access_get_state          (TillAccess           *self);
const char      *till_access_get_error          (TillAccess           *self);
TillSession     *till_access_get_session        (TillAccess           *self);
const char      *till_access_get_username       (TillAccess           *self);
const char      *till_access_get_role           (TillAccess           *self);
gboolean         till_access_is_manager         (TillAccess           *self);
gboolean         till_access_get_signed_in      (TillAccess           *self);
gboolean         till_access_get_session_ended  (TillAccess           *self);
gboolean         till_access_get_remembered     (TillAccess           *self);
/* What the sign-in form starts with. */
char            *till_access_dup_server_url     (TillAccess           *self);
char            *till_access_dup_last_username  (TillAccess           *self);

/* sale_open: a sale is under way (signing out is refused). payment_busy:
 * a payment is being made (the idle lock waits). Either may be NULL. */
void             till_access_set_sale_funcs     (TillAccess           *self,
                                                 TillAccessSaleFunc    sale_open,
                                                 TillAccessSaleFunc    payment_busy,
                                                 gpointer              user_data);

/* The cashier did something: the idle lock ("lock-after-seconds") counts
 * from the last call. */
void             till_access_note_activity      (TillAccess           *self);

/* Every flow below runs until it is done or the object is disposed, which
 * cancels it (the callback then gets G_IO_ERROR_CANCELLED); sign-out alone
 * goes on, so that the server hears of it. The state and "error" say what
 * to show; the result is for callers that wait. */

/* SIGNED_OUT -> SIGNING_IN -> SIGNED_IN, or back to SIGNED_OUT with
 * "error". Errors: TILL_ACCESS_ERROR_INCOMPLETE, TILL_BACKEND_ERROR_*. */
void             till_access_sign_in_async      (TillAccess           *self,
                                                 const char           *server,
                                                 const char           *username,
                                                 const char           *password,
                                                 gboolean              remember,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         till_access_sign_in_finish     (TillAccess           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* At start-up: the remembered cashier, if "auto-sign-in" is on. SIGNED_OUT
 * -> RESTORING -> SIGNED_IN (then LOCKED if the terminal was stopped
 * locked), or SIGNED_OUT with "error". With nothing to restore it stays
 * SIGNED_OUT and fails with TILL_ACCESS_ERROR_NOTHING_SAVED. */
void             till_access_restore_async      (TillAccess           *self,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         till_access_restore_finish     (TillAccess           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
/* RESTORING -> SIGNED_OUT; the next start does not try again. */
void             till_access_cancel_restore     (TillAccess           *self);

/* SIGNED_IN -> LOCKED. Does nothing in any other state. */
void             till_access_lock               (TillAccess           *self);

/* LOCKED -> UNLOCKING -> SIGNED_IN, or LOCKED with "error". */
void             till_access_unlock_async       (TillAccess           *self,
                                                 const char           *password,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         till_access_unlock_finish      (TillAccess           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Another cashier takes over a locked terminal: LOCKED -> UNLOCKING ->
 * SIGNED_IN with a new session, or LOCKED with "error" and the previous
 * cashier still signed in. */
void             till_access_switch_cashier_async (TillAccess         *self,
                                                 const char           *username,
                                                 const char           *password,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         till_access_switch_cashier_finish (TillAccess        *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* SIGNED_IN -> SIGNING_OUT -> SIGNED_OUT. Refused with
 * TILL_ACCESS_ERROR_SALE_OPEN (and a notice) while a sale is open. */
void             till_access_sign_out_async     (TillAccess           *self,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         till_access_sign_out_finish    (TillAccess           *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Removes the saved password of the last cashier; the state stays. */
void             till_access_forget_sign_in_async (TillAccess         *self,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean         till_access_forget_sign_in_finish (TillAccess        *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
