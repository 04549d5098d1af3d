/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-pg.h"
#include "leap-test-util.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* The account the server runs as when the tests run as root. */
typedef struct
{
  uid_t uid;
  gid_t gid;
} Account;

/* In the child, before exec: the server's account, and it dies with the
 * test (set after the change of user, which clears it). */
static void
become_account (gpointer data)
{
  Account *account = data;

  if (account->uid != 0 &&
      (setgroups (0, NULL) != 0 || setgid (account->gid) != 0 || setuid (account->uid) != 0))
    _exit (126);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static Account *
server_account (void)
{
  static Account account;
  struct passwd *pw;

  if (getuid () != 0)
    return &account;
  pw = getpwnam ("postgres");
  if (pw == NULL)
    g_error ("Run as root, the tests start PostgreSQL as the user postgres, and there is none: "
             "install postgresql-15 (tools/deps.sh)");
  account.uid = pw->pw_uid;
  account.gid = pw->pw_gid;
  return &account;
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, become_account, server_account (), NULL);
  /* The server's own messages in English, whatever the test's locale. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  return launcher;
}

static char *
bin (const char *name)
{
  return g_build_filename (g_getenv ("LEAP_PG_BINDIR"), name, NULL);
}

static gboolean
pg_answers (gpointer data)
{
  g_autofree char *url = leap_test_pg_url (data, "postgres");

  return PQping (url) == PQPING_OK;
}

static void
spawn_server (LeapTestPg *pg)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  g_autofree char *postgres = bin ("postgres");
  g_autofree char *data = g_build_filename (pg->dir, "data", NULL);
  g_autofree char *log = g_build_filename (pg->dir, "server.log", NULL);
  g_autofree char *port = g_strdup_printf ("%u", pg->port);

  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  /* fsync off: a killed server loses nothing the kernel has (the fault
   * tests kill it), only a machine that loses power would, and the tests
   * run much faster on a loaded machine. */
  pg->process = g_subprocess_launcher_spawn (launcher, &error, postgres, "-D", data, "-p", port,
                                             "-k", pg->dir, "-c", "listen_addresses=127.0.0.1",
                                             "-c", "fsync=off", "-c", "max_connections=200",
                                             NULL);
  g_assert_no_error (error);
  if (!leap_test_wait_until (pg_answers, pg, 60000))
    {
      g_autofree char *said = NULL;

      g_file_get_contents (log, &said, NULL, NULL);
      g_error ("PostgreSQL did not start on port %u; it said:\n%s", pg->port,
               said ? said : "(nothing)");
    }
}

/* initdb in a new temporary folder (owned by the server's account), then
 * the server. */
void
leap_test_pg_start (LeapTestPg *pg)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                          G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) initdb = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *initdb_bin = bin ("initdb");
  g_autofree char *data = NULL;
  g_autofree char *said = NULL;
  Account *account = server_account ();

  pg->dir = leap_test_make_tmpdir ();
  if (account->uid != 0 && chown (pg->dir, account->uid, account->gid) != 0)
    g_error ("Cannot give %s to the postgres account: %s", pg->dir, g_strerror (errno));
  data = g_build_filename (pg->dir, "data", NULL);
  initdb = g_subprocess_launcher_spawn (launcher, &error, initdb_bin, "-D", data, "-U", "leap",
                                        "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
                                        NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (initdb, NULL, NULL, &said, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (initdb))
    g_error ("initdb failed:\n%s", said);
  pg->port = leap_test_free_port ();
  spawn_server (pg);
}

/* A fast shutdown (SIGINT): open connections are ended, nothing is lost. */
void
leap_test_pg_stop (LeapTestPg *pg)
{
  if (pg->process == NULL)
    return;
  g_subprocess_send_signal (pg->process, SIGINT);
  g_subprocess_wait (pg->process, NULL, NULL);
  g_clear_object (&pg->process);
}

/* The pids of @parent's children (a server's backends and helpers). */
static GArray *
children_of (const char *parent)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *end;
      int pid = atoi (name), ppid = 0;
      char state;

      if (pid > 0 && g_file_get_contents (path, &stat, NULL, NULL) &&
          (end = strrchr (stat, ')')) != NULL && sscanf (end + 2, "%c %d", &state, &ppid) == 2 &&
          ppid == atoi (parent))
        g_array_append_val (pids, pid);
    }
  return pids;
}

/* Whether every process of @data has ended (a zombie has: it holds no
 * shared memory). */
static gboolean
all_ended (gpointer data)
{
  GArray *pids = data;

  for (guint i = 0; i < pids->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/stat", g_array_index (pids, int, i));
      g_autofree char *stat = NULL;
      const char *end;

      if (g_file_get_contents (path, &stat, NULL, NULL) &&
          (end = strrchr (stat, ')')) != NULL && end[1] == ' ' && end[2] != 'Z')
        return FALSE;
    }
  return TRUE;
}

/* kill -9 of the postmaster; its backends and helpers end when they see
 * it gone, which takes a while on a loaded machine (a checkpoint): until
 * they have, a new server refuses to start on the same data ("pre-existing
 * shared memory block is still in use"). Then the server again on the
 * same folder and port: it recovers from its write-ahead log. */
void
leap_test_pg_kill (LeapTestPg *pg)
{
  g_autoptr(GArray) children = NULL;

  /* Stopped, it starts no new child while its children are listed. */
  g_subprocess_send_signal (pg->process, SIGSTOP);
  children = children_of (g_subprocess_get_identifier (pg->process));
  g_subprocess_force_exit (pg->process);
  g_subprocess_wait (pg->process, NULL, NULL);
  g_clear_object (&pg->process);
  if (!leap_test_wait_until (all_ended, children, 60000))
    g_error ("The processes of the killed PostgreSQL did not end");
}

void
leap_test_pg_restart (LeapTestPg *pg)
{
  g_assert_null (pg->process);
  spawn_server (pg);
}

void
leap_test_pg_clear (LeapTestPg *pg)
{
  leap_test_pg_stop (pg);
  if (pg->dir != NULL)
    leap_test_rmdir (pg->dir);
  g_clear_pointer (&pg->dir, g_free);
}

char *
leap_test_pg_url (LeapTestPg *pg,
                  const char *database)
{
  return g_strdup_printf ("postgresql://leap@127.0.0.1:%u/%s", pg->port, database);
}

/* The first column of the first row of what sql returns ("" for none);
 * the test fails on an error. */
char *
leap_test_pg_query (const char *url,
                    const char *sql)
{
  PGconn *conn = PQconnectdb (url);
  PGresult *result;
  char *value;

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("Cannot connect to %s: %s", url, PQerrorMessage (conn));
  result = PQexec (conn, sql);
  if (PQresultStatus (result) != PGRES_COMMAND_OK && PQresultStatus (result) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQresultErrorMessage (result));
  value = g_strdup (PQntuples (result) > 0 ? PQgetvalue (result, 0, 0) : "");
  PQclear (result);
  PQfinish (conn);
  return value;
}

/* Runs sql for what it does; the test fails on an error. */
void
leap_test_pg_exec (const char *url,
                   const char *sql)
{
  g_free (leap_test_pg_query (url, sql));
}

/* A new, empty database of its own for a test; returns its URL. */
char *
leap_test_pg_create_db (LeapTestPg *pg)
{
  static guint n;
  g_autofree char *name = g_strdup_printf ("leap_test_%u", ++n);
  g_autofree char *admin = leap_test_pg_url (pg, "postgres");
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);

  leap_test_pg_exec (admin, sql);
  return leap_test_pg_url (pg, name);
}
