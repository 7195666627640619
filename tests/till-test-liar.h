/* till-test-liar.h: a lying shop server for tests, in front of a real one
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _TillTestLiar TillTestLiar;

typedef enum
{
  TILL_TEST_LIE_PASS,     /* the real answer, perhaps rewritten */
  TILL_TEST_LIE_HANG,     /* accept, never answer, never forward */
} TillTestLie;

/* Asked once per request before it is forwarded: nth counts the requests
 * with the same method and path (without the query), from 1. */
typedef TillTestLie (*TillTestLiarBefore) (const char *method,
                                           const char *path,
                                           guint       nth,
                                           gpointer    data);
/* A *delay_ms that holds the answer until till_test_liar_release(). */
#define TILL_TEST_LIAR_UNTIL_RELEASED G_MAXUINT

/* Asked with the real server's answer: may change *status and replace
 * *body (a JSON object, or NULL for an empty body), and set *delay_ms to
 * hold the answer back. */

typedef void        (*TillTestLiarAfter)  (const char  *method,
                                           const char  *path,
                                           guint        nth,
                                           guint       *status,
                                           JsonObject **body,
                                           guint       *delay_ms,
                                           gpointer     data);

/* A SoupServer on loopback, in this thread's main context (the test must
 * iterate it, as till_test_wait() does). Either function may be NULL. */
TillTestLiar *till_test_liar_start   (const char         *target_url,
                                      TillTestLiarBefore  before,
                                      TillTestLiarAfter   after,
                                      gpointer            data);
const char   *till_test_liar_get_url (TillTestLiar       *liar);
/* How many requests with this method and path reached the liar; a path
 * with a '?' is compared with the query too. */
guint         till_test_liar_count   (TillTestLiar       *liar,
                                      const char         *method,
                                      const char         *path);
/* Lets go the answer to the nth request (as TillTestLiarAfter counts)
 * with this method and path, which the liar holds until released, once it
 * has it; the main context then carries it on (see till_test_drain()). */
void          till_test_liar_release (TillTestLiar       *liar,
                                      const char         *method,
                                      const char         *path,
                                      guint               nth);
void          till_test_liar_free    (TillTestLiar       *liar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillTestLiar, till_test_liar_free)

/* A SoupServer on 127.0.0.1 that answers every path with callback: the
 * smallest lying server. Its address in *out_url. */
SoupServer   *till_test_loopback_server_new (SoupServerCallback  callback,
                                             gpointer            data,
                                             char              **out_url);

G_END_DECLS
