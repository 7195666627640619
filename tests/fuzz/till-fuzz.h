/* till-fuzz.h: what every libFuzzer target in tests/fuzz shares
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each target is one C file with LLVMFuzzerTestOneInput(), linked with
 * -fsanitize=fuzzer (libFuzzer's main()) against the same static libraries
 * the app, till-server and the tests use. A target checks what must hold
 * for every input with g_assert*, so a broken promise is a crash the fuzzer
 * keeps, like any memory error ASan or UBSan finds.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);
int LLVMFuzzerInitialize   (int           *argc,
                            char        ***argv);

const char *__asan_default_options (void);

/* ASan's defaults for every run of a target, by hand or by a script
 * (ASAN_OPTIONS still wins): g_error() and a fatal critical end in
 * G_BREAKPOINT()'s SIGTRAP, which only a handled signal turns into a crash
 * report with the input saved. */
const char *
__asan_default_options (void)
{
  return "handle_sigtrap=1:detect_leaks=1";
}

/* A critical is a broken precondition and a warning is something the
 * parser did not expect: both count as crashes, as G_DEBUG=fatal-criticals
 * does for the tests. Called from every target's LLVMFuzzerInitialize(). */
static inline void
till_fuzz_init (void)
{
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

/* The start of every target, unless it defines TILL_FUZZ_OWN_INITIALIZE
 * before including this header and calls till_fuzz_init() from its own. */
#ifndef TILL_FUZZ_OWN_INITIALIZE
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  till_fuzz_init ();
  return 0;
}
#endif

/* The input as a C string, for the API that takes one: a NUL in the input
 * ends it there, as it would for the caller. */
static inline char *
till_fuzz_strndup (const uint8_t *data,
                   size_t         size)
{
  return g_strndup ((const char *) data, size);
}
