/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The PostgreSQL the tests start themselves (issue 17): a real server,
 * never as root, one database per test, and one that survives kill -9. */
#include "leap-test-pg.h"
#include "leap-test-util.h"

static LeapTestPg pg;

/* The uid a process runs as, from /proc. */
static guint
process_uid (const char *pid)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "status", NULL);
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "\nUid:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("\nUid:"), NULL, 10);
}

static void
test_server (void)
{
  g_autofree char *url = leap_test_pg_url (&pg, "postgres");
  g_autofree char *version = leap_test_pg_query (url, "SHOW server_version_num");

  g_assert_cmpint (g_ascii_strtoll (version, NULL, 10), >=, 150000);
  /* PostgreSQL runs as root for no one: not even when the tests do. */
  g_assert_cmpuint (process_uid (g_subprocess_get_identifier (pg.process)), !=, 0);
}

static void
test_databases (void)
{
  g_autofree char *one = leap_test_pg_create_db (&pg);
  g_autofree char *two = leap_test_pg_create_db (&pg);
  g_autofree char *count = NULL;

  leap_test_pg_exec (one, "CREATE TABLE t (n integer)");
  g_assert_cmpstr (one, !=, two);
  count = leap_test_pg_query (two, "SELECT count(*) FROM pg_tables WHERE tablename = 't'");
  g_assert_cmpstr (count, ==, "0");
  g_free (count);
  count = leap_test_pg_query (one, "SELECT count(*) FROM pg_tables WHERE tablename = 't'");
  g_assert_cmpstr (count, ==, "1");
}

/* What was committed is there after kill -9 of the server and its
 * recovery, on the same port. */
static void
test_kill (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autofree char *count = NULL;

  leap_test_pg_exec (url, "CREATE TABLE paid (id text PRIMARY KEY)");
  leap_test_pg_exec (url, "INSERT INTO paid VALUES ('o-1')");
  leap_test_pg_kill (&pg);
  leap_test_pg_restart (&pg);
  count = leap_test_pg_query (url, "SELECT count(*) FROM paid");
  g_assert_cmpstr (count, ==, "1");
}

typedef struct
{
  const char *url;
  const char *want;
} Seen;

static gboolean
replica_has (gpointer data)
{
  Seen *seen = data;
  g_autofree char *count = leap_test_pg_query (seen->url, "SELECT count(*) FROM paid");

  return g_str_equal (count, seen->want);
}

/* A backup taken while the server runs is a server of its own with what
 * was committed; a standby copy follows what is committed after. */
static void
test_copies (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  const char *name = strrchr (url, '/') + 1;
  LeapTestPg backup = { 0 }, replica = { 0 };
  g_autofree char *backup_url = NULL;
  g_autofree char *replica_url = NULL;
  g_autofree char *count = NULL;
  g_autofree char *recovering = NULL;

  leap_test_pg_exec (url, "CREATE TABLE paid (id text PRIMARY KEY)");
  leap_test_pg_exec (url, "INSERT INTO paid VALUES ('o-1')");
  leap_test_pg_start_copy (&pg, &backup, FALSE);
  leap_test_pg_start_copy (&pg, &replica, TRUE);
  leap_test_pg_exec (url, "INSERT INTO paid VALUES ('o-2')");

  backup_url = leap_test_pg_url (&backup, name);
  count = leap_test_pg_query (backup_url, "SELECT count(*) FROM paid");
  g_assert_cmpstr (count, ==, "1");
  replica_url = leap_test_pg_url (&replica, name);
  recovering = leap_test_pg_query (replica_url, "SELECT pg_is_in_recovery ()");
  g_assert_cmpstr (recovering, ==, "t");
  g_assert_true (leap_test_wait_until (replica_has, &(Seen) { replica_url, "2" }, 20000));
  leap_test_pg_clear (&replica);
  leap_test_pg_clear (&backup);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_pg_start (&pg);
  g_test_add_func ("/leap/pg/server", test_server);
  g_test_add_func ("/leap/pg/databases", test_databases);
  g_test_add_func ("/leap/pg/kill", test_kill);
  g_test_add_func ("/leap/pg/copies", test_copies);
  status = g_test_run ();
  leap_test_pg_clear (&pg);
  return status;
}
