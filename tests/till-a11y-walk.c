/* till-a11y-walk.c: prints the AT-SPI tree of a running application
 *
 *   till-a11y-walk PID [SECONDS]
 *
 * Finds the application whose process is PID on the accessibility bus
 * (waiting up to SECONDS, 20 by default, for it to register), walks its
 * tree as a screen reader would see it and prints one line per node:
 *
 *   DEPTH<TAB>ROLE<TAB>NAME<TAB>STATES<TAB>DESCRIPTION
 *
 * ROLE is AT-SPI's role name ("push button"), STATES a comma-separated
 * list of AT-SPI state nicks ("enabled,focusable,showing"); tabs and line
 * breaks in a name or description are printed as spaces.
 *
 * A program of its own because libatspi's calls are synchronous D-Bus
 * calls: made from the process that owns the window, they would wait for
 * answers that its own blocked main loop can never give. tests/test-a11y.c
 * runs it while its main loop answers.
 *
 * Exit status: 0 when the tree was printed, 1 when the application did not
 * show up in time, 2 on wrong usage.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <atspi/atspi.h>

/* libatspi 2.46 declares none. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiAccessible, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AtspiStateSet, g_object_unref)

/* Deeper than any page of Till goes; a cycle would otherwise never end. */
#define MAX_DEPTH 64

static char *
flatten (const char *text)
{
  char *flat = g_strdup (text != NULL ? text : "");

  g_strdelimit (flat, "\t\r\n", ' ');
  return flat;
}

static char *
describe_states (AtspiAccessible *node)
{
  g_autoptr(AtspiStateSet) set = atspi_accessible_get_state_set (node);
  g_autoptr(GArray) states = set != NULL ? atspi_state_set_get_states (set) : NULL;
  g_autoptr(GEnumClass) enum_class = g_type_class_ref (ATSPI_TYPE_STATE_TYPE);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; states != NULL && i < states->len; i++)
    {
      GEnumValue *value = g_enum_get_value (enum_class, g_array_index (states, AtspiStateType, i));

      if (value == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ',');
      g_string_append (text, value->value_nick);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
walk (AtspiAccessible *node,
      guint            depth)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *role = atspi_accessible_get_role_name (node, NULL);
  g_autofree char *raw_name = atspi_accessible_get_name (node, NULL);
  g_autofree char *raw_description = atspi_accessible_get_description (node, NULL);
  g_autofree char *name = flatten (raw_name);
  g_autofree char *description = flatten (raw_description);
  g_autofree char *states = describe_states (node);
  int count;

  printf ("%u\t%s\t%s\t%s\t%s\n", depth, role != NULL ? role : "unknown", name, states, description);
  if (depth >= MAX_DEPTH)
    return;

  count = atspi_accessible_get_child_count (node, &error);
  if (error != NULL)
    {
      g_printerr ("till-a11y-walk: the children of a %s: %s\n", role, error->message);
      return;
    }
  for (int i = 0; i < count; i++)
    {
      g_autoptr(AtspiAccessible) child = atspi_accessible_get_child_at_index (node, i, NULL);

      if (child != NULL)
        walk (child, depth + 1);
    }
}

static AtspiAccessible *
find_application (guint pid)
{
  g_autoptr(AtspiAccessible) desktop = atspi_get_desktop (0);
  int count = atspi_accessible_get_child_count (desktop, NULL);

  for (int i = 0; i < count; i++)
    {
      g_autoptr(AtspiAccessible) app = atspi_accessible_get_child_at_index (desktop, i, NULL);

      if (app != NULL && atspi_accessible_get_process_id (app, NULL) == pid)
        return g_steal_pointer (&app);
    }
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AtspiAccessible) app = NULL;
  guint64 pid = 0;
  guint64 seconds = 20;
  gint64 deadline;

  if (argc < 2 || argc > 3 ||
      !g_ascii_string_to_unsigned (argv[1], 10, 1, G_MAXUINT, &pid, NULL) ||
      (argc == 3 && !g_ascii_string_to_unsigned (argv[2], 10, 1, 600, &seconds, NULL)))
    {
      g_printerr ("usage: till-a11y-walk PID [SECONDS]\n");
      return 2;
    }

  if (atspi_init () < 0)
    {
      g_printerr ("till-a11y-walk: cannot reach the accessibility bus\n");
      return 1;
    }

  /* The application registers on the bus when its first window shows. */
  deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  while ((app = find_application (pid)) == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_printerr ("till-a11y-walk: no application with process %" G_GUINT64_FORMAT " on the bus\n", pid);
          return 1;
        }
      g_usleep (G_USEC_PER_SEC / 20);
    }

  walk (app, 0);
  fflush (stdout);
  return 0;
}
