/* bench-launch.c: start a program and time its first window, for bench-charge
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-launch [--ready-file PATH] [--settle MS] [--timeout S] -- PROGRAM ARGS...
 *
 * One method for Till, the floor (bench-floor) and Chromium, so that their
 * figures compare. The X connection is blocked on, not polled, so times are
 * those of the X events themselves (well under 1 ms after the server sent
 * them), all on CLOCK_MONOTONIC from just before fork():
 *
 *   map_ms    the program's first top-level window was mapped;
 *   frame_ms  the first frame the program drew into it: the first XDamage
 *             report on that window after which its pixels differ from
 *             those it had when mapped (the server paints the background
 *             at the map, and that report does not count);
 *   ready_ms  with --ready-file: the CLOCK_MONOTONIC µs the program wrote
 *             into PATH when its page said it was ready (bench-floor does);
 *   pss_kib   with --ready-file: the PSS of the program's whole process tree
 *             (descendants and its process group), --settle ms after ready.
 *
 * Then it ends the program (SIGTERM, then SIGKILL) and prints one line of
 * key=value pairs. It never aborts: a figure it did not get is printed as -1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xdamage.h>

#define MAX_PROCS 4096

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int
ignore_x_error (Display     *dpy,
                XErrorEvent *event)
{
  /* A window gone between its CreateNotify and our request. */
  return 0;
}

static int
parent_of (int pid)
{
  char path[64], buf[512];
  FILE *f;
  int ppid = -1;
  char *end;

  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  if ((f = fopen (path, "r")) == NULL)
    return -1;
  if (fgets (buf, sizeof buf, f) != NULL && (end = strrchr (buf, ')')) != NULL)
    sscanf (end + 2, "%*c %d", &ppid);
  fclose (f);
  return ppid;
}

static int
pgid_of (int pid)
{
  char path[64], buf[512];
  FILE *f;
  int ppid = -1, pgid = -1;
  char *end;

  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  if ((f = fopen (path, "r")) == NULL)
    return -1;
  if (fgets (buf, sizeof buf, f) != NULL && (end = strrchr (buf, ')')) != NULL)
    sscanf (end + 2, "%*c %d %d", &ppid, &pgid);
  fclose (f);
  return pgid;
}

static int
in_tree (int pid,
         int root)
{
  for (int i = 0; pid > 1 && i < 64; i++, pid = parent_of (pid))
    if (pid == root)
      return 1;
  return 0;
}

/* The launched process, its descendants and its process group (helpers
 * that detach from their parent stay in the group). */
static int
collect_tree (int  root,
              int *pids)
{
  DIR *dir = opendir ("/proc");
  struct dirent *entry;
  int n = 0;

  if (dir == NULL)
    return 0;
  while ((entry = readdir (dir)) != NULL && n < MAX_PROCS)
    {
      int pid = atoi (entry->d_name);

      if (pid > 0 && (in_tree (pid, root) || pgid_of (pid) == root))
        pids[n++] = pid;
    }
  closedir (dir);
  return n;
}

static long
pss_kib (int pid)
{
  char path[64], line[256];
  FILE *f;
  long kib = 0;

  snprintf (path, sizeof path, "/proc/%d/smaps_rollup", pid);
  if ((f = fopen (path, "r")) == NULL)
    return 0;
  while (fgets (line, sizeof line, f) != NULL)
    if (sscanf (line, "Pss: %ld", &kib) == 1)
      break;
  fclose (f);
  return kib;
}

static int
window_pid (Display *dpy,
            Window   window)
{
  Atom type;
  int format;
  unsigned long n, after;
  unsigned char *data = NULL;
  int pid = -1;

  if (XGetWindowProperty (dpy, window, XInternAtom (dpy, "_NET_WM_PID", False), 0, 1, False,
                          XA_CARDINAL, &type, &format, &n, &after, &data) == Success &&
      data != NULL && n == 1 && format == 32)
    pid = (int) *(unsigned long *) data;
  if (data != NULL)
    XFree (data);
  return pid;
}

/* Whether the window shows more than one colour: a drawn frame, not a
 * cleared background. */
static XImage *
window_image (Display *dpy,
              Window   window)
{
  XWindowAttributes attrs;

  if (!XGetWindowAttributes (dpy, window, &attrs) || attrs.map_state != IsViewable)
    return NULL;
  return XGetImage (dpy, window, 0, 0, attrs.width, attrs.height, AllPlanes, ZPixmap);
}

/* Whether the program drew into the window: its pixels differ from those
 * it showed when it was mapped (the server's background, or what was
 * below). */
static int
drawn_since (Display *dpy,
             Window   window,
             XImage  *at_map)
{
  XImage *now = window_image (dpy, window);
  int drawn = 0;

  if (now == NULL)
    return 0;
  if (at_map == NULL || now->width != at_map->width || now->height != at_map->height)
    drawn = 1;
  for (int y = 0; y < now->height && !drawn; y++)
    for (int x = 0; x < now->width; x++)
      if (XGetPixel (now, x, y) != XGetPixel (at_map, x, y))
        {
          drawn = 1;
          break;
        }
  XDestroyImage (now);
  return drawn;
}

static double
read_ready_file (const char *path)
{
  FILE *f = fopen (path, "r");
  long long usec = -1;

  if (f == NULL)
    return -1;
  if (fscanf (f, "%lld", &usec) != 1)
    usec = -1;
  fclose (f);
  return usec < 0 ? -1 : usec / 1000.0;
}

static void
end_program (pid_t child)
{
  int pids[MAX_PROCS];
  int n = collect_tree (child, pids);
  double deadline = now_ms () + 3000;

  for (int i = 0; i < n; i++)
    kill (pids[i], SIGTERM);
  while (waitpid (child, NULL, WNOHANG) == 0 && now_ms () < deadline)
    usleep (10000);
  /* Whatever did not end by itself. */
  for (int i = 0; i < n; i++)
    kill (pids[i], SIGKILL);
  waitpid (child, NULL, WNOHANG);
}

int
main (int   argc,
      char *argv[])
{
  const char *ready_file = NULL;
  int settle_ms = 2000, timeout_s = 30, first_arg = -1;
  int damage_event, damage_error;
  Display *dpy;
  Window root, target = None;
  Damage damages[256];
  XImage *at_map = NULL;
  int n_damages = 0;
  double t0, map_ms = -1, frame_ms = -1, ready_ms = -1, deadline;
  long pss = -1;
  int procs = -1;
  pid_t child;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--ready-file") == 0 && i + 1 < argc)
        ready_file = argv[++i];
      else if (strcmp (argv[i], "--settle") == 0 && i + 1 < argc)
        settle_ms = atoi (argv[++i]);
      else if (strcmp (argv[i], "--timeout") == 0 && i + 1 < argc)
        timeout_s = atoi (argv[++i]);
      else if (strcmp (argv[i], "--") == 0 && i + 1 < argc)
        {
          first_arg = i + 1;
          break;
        }
    }
  if (first_arg < 0)
    {
      fprintf (stderr, "usage: bench-launch [--ready-file PATH] [--settle MS] [--timeout S] -- PROGRAM ARGS...\n");
      return 2;
    }

  if ((dpy = XOpenDisplay (NULL)) == NULL || !XDamageQueryExtension (dpy, &damage_event, &damage_error))
    {
      fprintf (stderr, "bench-launch: no X display with the DAMAGE extension\n");
      return 2;
    }
  XSetErrorHandler (ignore_x_error);
  root = DefaultRootWindow (dpy);
  XSelectInput (dpy, root, SubstructureNotifyMask);
  XSync (dpy, False);
  fcntl (ConnectionNumber (dpy), F_SETFD, FD_CLOEXEC);
  if (ready_file != NULL)
    unlink (ready_file);

  t0 = now_ms ();
  child = fork ();
  if (child == 0)
    {
      setpgid (0, 0);
      execvp (argv[first_arg], argv + first_arg);
      _exit (127);
    }
  setpgid (child, child);

  deadline = t0 + timeout_s * 1000.0;
  while (frame_ms < 0 && now_ms () < deadline)
    {
      struct pollfd pfd = { ConnectionNumber (dpy), POLLIN, 0 };

      if (!XPending (dpy))
        {
          if (waitpid (child, NULL, WNOHANG) == child)
            {
              child = -1;
              break;
            }
          poll (&pfd, 1, 5);
          continue;
        }
      while (XPending (dpy))
        {
          XEvent event;
          double t;

          XNextEvent (dpy, &event);
          t = now_ms ();
          if (event.type == CreateNotify && event.xcreatewindow.parent == root &&
              !event.xcreatewindow.override_redirect && n_damages < 256)
            {
              /* From creation on, so that no drawing after the map is missed. */
              damages[n_damages++] = XDamageCreate (dpy, event.xcreatewindow.window, XDamageReportNonEmpty);
            }
          else if (event.type == MapNotify && event.xmap.event == root && target == None &&
                   !event.xmap.override_redirect)
            {
              int pid = window_pid (dpy, event.xmap.window);
              XWindowAttributes attrs;

              if ((pid < 0 || in_tree (pid, child)) && XGetWindowAttributes (dpy, event.xmap.window, &attrs) &&
                  attrs.width >= 64 && attrs.height >= 64)
                {
                  target = event.xmap.window;
                  map_ms = t - t0;
                  at_map = window_image (dpy, target);
                }
            }
          else if (event.type == damage_event + XDamageNotify)
            {
              XDamageNotifyEvent *damage = (XDamageNotifyEvent *) &event;

              XDamageSubtract (dpy, damage->damage, None, None);
              if (target != None && damage->drawable == target && frame_ms < 0)
                {
                  int content = drawn_since (dpy, target, at_map);

                  if (getenv ("BENCH_LAUNCH_DEBUG") != NULL)
                    fprintf (stderr, "bench-launch: damage at %.1f ms %dx%d%+d%+d, %s\n", t - t0,
                             damage->area.width, damage->area.height, damage->area.x, damage->area.y,
                             content ? "drawn" : "as at the map");
                  if (content)
                    frame_ms = t - t0;
                }
            }
        }
    }

  for (int i = 0; i < n_damages; i++)
    XDamageDestroy (dpy, damages[i]);
  if (at_map != NULL)
    XDestroyImage (at_map);
  XSync (dpy, False);

  if (ready_file != NULL && child > 0)
    {
      while (now_ms () < deadline && (ready_ms = read_ready_file (ready_file)) < 0)
        usleep (5000);
      if (ready_ms >= 0)
        {
          int pids[MAX_PROCS];

          ready_ms -= t0;
          usleep (settle_ms * 1000);
          procs = collect_tree (child, pids);
          pss = 0;
          for (int i = 0; i < procs; i++)
            pss += pss_kib (pids[i]);
        }
    }

  if (child > 0)
    end_program (child);
  XCloseDisplay (dpy);
  printf ("map_ms=%.1f frame_ms=%.1f ready_ms=%.1f pss_kib=%ld procs=%d\n", map_ms, frame_ms, ready_ms, pss, procs);
  return 0;
}
