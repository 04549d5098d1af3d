/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-pg.h"
#include "leap-test-util.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
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
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  g_object_set_data (object, "leap-exited", GINT_TO_POINTER (TRUE));
}

static gboolean
started_or_exited (gpointer data)
{
  LeapTestPg *pg = data;

  return g_object_get_data (G_OBJECT (pg->process), "leap-exited") || pg_answers (pg);
}

/* The postmaster on pg->dir and pg->port, once it answers. After a kill
 * -9 its old backends may hold the shared memory for a moment yet: a
 * server that stops at once for that is started again, within a minute. */
static void
spawn_server (LeapTestPg *pg)
{
  g_autofree char *postgres = bin ("postgres");
  g_autofree char *data = g_build_filename (pg->dir, "data", NULL);
  g_autofree char *log = g_build_filename (pg->dir, "server.log", NULL);
  g_autofree char *port = g_strdup_printf ("%u", pg->port);
  gint64 deadline = g_get_monotonic_time () + 60 * G_TIME_SPAN_SECOND;
  gboolean exited;

  do
    {
      g_autoptr(GSubprocessLauncher) launcher =
        launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
      g_autoptr(GError) error = NULL;

      g_clear_object (&pg->process);
      g_subprocess_launcher_set_stderr_file_path (launcher, log);
      /* fsync off: a killed server loses nothing the kernel has (the fault
       * tests kill it), only a machine that loses power would, and the
       * tests run much faster on a loaded machine. */
      pg->process = g_subprocess_launcher_spawn (launcher, &error, postgres, "-D", data, "-p",
                                                 port, "-k", pg->dir, "-c",
                                                 "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                                 "-c", "max_connections=200", NULL);
      g_assert_no_error (error);
      /* Watched, so that its exit is seen while the test waits. */
      g_subprocess_wait_async (pg->process, NULL, exited_cb, NULL);
      leap_test_wait_until (started_or_exited, pg, 60000);
      exited = g_object_get_data (G_OBJECT (pg->process), "leap-exited") != NULL;
      if (!exited && pg_answers (pg))
        return;
    }
  while (exited && g_get_monotonic_time () < deadline);

  {
    g_autofree char *said = NULL;

    g_file_get_contents (log, &said, NULL, NULL);
    g_error ("PostgreSQL did not start on port %u; it said:\n%s", pg->port,
             said ? said : "(nothing)");
  }
}

/* A new temporary folder that the server's account owns. */
static char *
server_dir (void)
{
  Account *account = server_account ();
  char *dir = leap_test_make_tmpdir ();

  if (account->uid != 0 && chown (dir, account->uid, account->gid) != 0)
    g_error ("Cannot give %s to the postgres account: %s", dir, g_strerror (errno));
  return dir;
}

/* Runs one of the server's programs as its account; the test fails with
 * what it said if it fails. */
static void
run_tool (const char *tool,
          ...)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                          G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *said = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, bin (tool));
  va_start (args, tool);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &said, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("%s failed:\n%s", tool, said);
}

/* A copy of @pg's data taken while it runs (pg_basebackup, with the
 * write-ahead log it needs), started as a server of its own on a free
 * port: a streaming replica of @pg if @standby, else a restored backup. */
void
leap_test_pg_start_copy (LeapTestPg *pg,
                         LeapTestPg *copy,
                         gboolean    standby)
{
  g_autofree char *data = NULL;
  g_autofree char *port = g_strdup_printf ("%u", pg->port);

  copy->dir = server_dir ();
  data = g_build_filename (copy->dir, "data", NULL);
  run_tool ("pg_basebackup", "-h", "127.0.0.1", "-p", port, "-U", "leap", "-D", data,
            "-X", "stream", "-c", "fast", "--no-sync", standby ? "-R" : NULL, NULL);
  copy->port = leap_test_free_port ();
  spawn_server (copy);
}

/* initdb in a new temporary folder (owned by the server's account), then
 * the server. */
void
leap_test_pg_start (LeapTestPg *pg)
{
  g_autofree char *data = NULL;

  pg->dir = server_dir ();
  data = g_build_filename (pg->dir, "data", NULL);
  run_tool ("initdb", "-D", data, "-U", "leap", "-A", "trust", "-E", "UTF8", "--locale=C",
            "--no-sync", NULL);
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

/* kill -9 of the postmaster (its backends end when they see it gone),
 * then the server again on the same folder and port: it recovers from its
 * write-ahead log. */
void
leap_test_pg_kill (LeapTestPg *pg)
{
  g_subprocess_force_exit (pg->process);
  g_subprocess_wait (pg->process, NULL, NULL);
  g_clear_object (&pg->process);
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

/* A new database for a test, a copy of @template_url's (which nothing may
 * be connected to); returns its URL. */
char *
leap_test_pg_copy_db (LeapTestPg *pg,
                      const char *template_url)
{
  static guint n;
  const char *template = strrchr (template_url, '/') + 1;
  g_autofree char *name = g_strdup_printf ("leap_copy_%u", ++n);
  g_autofree char *admin = leap_test_pg_url (pg, "postgres");
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s TEMPLATE %s", name, template);

  leap_test_pg_exec (admin, sql);
  return leap_test_pg_url (pg, name);
}
