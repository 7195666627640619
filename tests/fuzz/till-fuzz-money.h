/* till-fuzz-money.h: what the two money targets share
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* The locales an amount is typed and shown in. NULL: the calling thread's
 * locale (C here); the last one is not installed. */
static const char * const till_fuzz_locales[] = {
  "en_US.UTF-8", "de_DE.UTF-8", "ko_KR.UTF-8", "ja_JP.UTF-8", "fr_FR.UTF-8",
  "C", NULL, "xx_XX.UTF-8",
};
