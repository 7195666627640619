/* till-server-cli.c: staff management from the command line
 *
 * Passwords come from a prompt without echo, or from standard input when
 * it is not a terminal; never from argv, where `ps` and shell history
 * would keep them.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "till-api-input.h"
#include "till-crypto.h"
#include "till-server-cli.h"
#include "till-server-error.h"

/* Room for one byte past the longest password, so that a longer one is
 * seen as too long rather than cut. */
#define MAX_PASSWORD_LENGTH TILL_API_MAX_PASSWORD

static char *
read_line (FILE *stream)
{
  char buffer[MAX_PASSWORD_LENGTH + 2];
  size_t len;

  if (fgets (buffer, sizeof buffer, stream) == NULL)
    return NULL;
  len = strcspn (buffer, "\r\n");
  buffer[len] = '\0';
  {
    char *line = g_strdup (buffer);

    explicit_bzero (buffer, sizeof buffer);
    return line;
  }
}

static char *
prompt_hidden (const char *prompt)
{
  struct termios saved, hidden;
  gboolean restore;
  char *line;

  fprintf (stderr, "%s", prompt);
  fflush (stderr);
  restore = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (restore)
    {
      hidden = saved;
      hidden.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &hidden);
    }
  line = read_line (stdin);
  if (restore)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  fprintf (stderr, "\n");

  return line;
}

static void
free_secret (char *secret)
{
  if (secret != NULL)
    explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

char *
till_server_read_password (const char  *prompt,
                           GError     **error)
{
  const char *problem;
  char *password;

  if (isatty (STDIN_FILENO))
    {
      char *again;

      password = prompt_hidden (prompt);
      again = password ? prompt_hidden ("Repeat the password: ") : NULL;
      if (password == NULL || again == NULL || !g_str_equal (password, again))
        {
          free_secret (password);
          free_secret (again);
          g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_FAILED,
                               "The passwords do not match");
          return NULL;
        }
      free_secret (again);
    }
  else
    password = read_line (stdin);

  if (password == NULL)
    {
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_FAILED,
                           "No password was given on standard input");
      return NULL;
    }
  if ((problem = till_api_input_password_problem (password)) != NULL)
    {
      free_secret (password);
      g_set_error_literal (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_FAILED, problem);
      return NULL;
    }
  return password;
}

/* A change made here is audited like one made through the API, with no
 * actor (whoever ran the command on the server) and no address. */
static void
audit (TillDb     *db,
       const char *action,
       const char *name,
       const char *details)
{
  g_autoptr(GError) error = NULL;

  if (!till_db_add_audit (db, NULL, action, name, details, NULL, &error))
    g_printerr ("till-server: %s\n", error->message);
}

static int
fail (const char *message)
{
  g_printerr ("till-server: %s\n", message);
  return 1;
}

static int
user_add (TillDb     *db,
          const char *name,
          const char *role)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  char *password;

  if (!till_api_input_valid_username (name))
    return fail ("A user name is 1 to 64 characters without spaces or control characters");
  if (g_strcmp0 (role, "cashier") != 0 && g_strcmp0 (role, "manager") != 0)
    return fail ("--role must be cashier or manager");

  password = till_server_read_password ("Password for the new user: ", &error);
  if (password == NULL)
    return fail (error->message);
  hash = till_crypto_hash_password (password, &error);
  free_secret (password);
  if (hash == NULL || !till_db_add_user (db, name, role, hash, &error))
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
        return fail ("A user of that name exists already");
      return fail (error->message);
    }

  audit (db, TILL_AUDIT_STAFF_ADDED, name,
         g_str_equal (role, "manager") ? "{\"role\":\"manager\",\"via\":\"command line\"}"
                                       : "{\"role\":\"cashier\",\"via\":\"command line\"}");
  g_print ("Added %s “%s”.\n", role, name);
  return 0;
}

static int
user_list (TillDb *db)
{
  g_autoptr(GPtrArray) users = till_db_list_users (db);

  g_print ("%-24s %-8s %s\n", "NAME", "ROLE", "STATE");
  for (guint i = 0; i < users->len; i++)
    {
      TillUser *user = g_ptr_array_index (users, i);

      g_print ("%-24s %-8s %s\n", user->name, user->role, user->disabled ? "disabled" : "active");
    }
  return 0;
}

static int
user_passwd (TillDb     *db,
             const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  char *password = till_server_read_password ("New password: ", &error);

  if (password == NULL)
    return fail (error->message);
  hash = till_crypto_hash_password (password, &error);
  free_secret (password);
  if (hash == NULL || !till_db_set_user_password (db, name, hash, &error))
    return fail (error->message);

  audit (db, TILL_AUDIT_STAFF_PASSWORD_RESET, name, "{\"via\":\"command line\"}");
  g_print ("Changed the password of “%s”; their sessions are signed out.\n", name);
  return 0;
}

static int
user_set_disabled (TillDb     *db,
                   const char *name,
                   gboolean    disabled)
{
  g_autoptr(GError) error = NULL;

  if (!till_db_set_user_disabled (db, name, disabled, &error))
    return fail (error->message);
  audit (db, TILL_AUDIT_STAFF_CHANGED, name,
         disabled ? "{\"after\":{\"disabled\":true},\"via\":\"command line\"}"
                  : "{\"after\":{\"disabled\":false},\"via\":\"command line\"}");
  g_print (disabled ? "Disabled “%s” and signed out their sessions.\n" : "Enabled “%s”.\n", name);
  return 0;
}

int
till_server_cli_user (TillDb  *db,
                      int      argc,
                      char   **argv)
{
  const char *verb = argc > 0 ? argv[0] : NULL;
  const char *name = argc > 1 ? argv[1] : NULL;

  if (g_strcmp0 (verb, "list") == 0 && argc == 1)
    return user_list (db);
  if (g_strcmp0 (verb, "add") == 0 && argc == 4 && g_str_equal (argv[2], "--role"))
    return user_add (db, name, argv[3]);
  if (g_strcmp0 (verb, "add") == 0 && argc == 3 && g_str_has_prefix (argv[2], "--role="))
    return user_add (db, name, argv[2] + strlen ("--role="));
  if (g_strcmp0 (verb, "disable") == 0 && argc == 2)
    return user_set_disabled (db, name, TRUE);
  if (g_strcmp0 (verb, "enable") == 0 && argc == 2)
    return user_set_disabled (db, name, FALSE);
  if (g_strcmp0 (verb, "passwd") == 0 && argc == 2)
    return user_passwd (db, name);

  return fail ("usage: till-server [--config FILE] user add NAME --role cashier|manager\n"
               "       till-server [--config FILE] user list\n"
               "       till-server [--config FILE] user disable|enable|passwd NAME");
}
