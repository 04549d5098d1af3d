/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg's base (issue 17): migrations, the connection, errors, and
 * users and sessions, read the same as from LeapStoreSqlite. */
#include "leap-test-pg.h"
#include "leap-test-util.h"
#include "leap-error.h"
#include "leap-store.h"

#include <sqlite3.h>

#define N_STARTS 10

static LeapTestPg pg;

static gpointer
open_store_thread (gpointer url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);

  g_assert_no_error (error);
  g_assert_true (leap_store_ping (store, &error));
  g_assert_no_error (error);
  return NULL;
}

/* The rows of a one-column query on a SQLite file, joined by commas. */
static char *
sqlite_list (const char *path,
             const char *sql)
{
  g_autoptr(GString) list = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (list, "%s%s", list->len > 0 ? "," : "",
                            sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return g_string_free (g_steal_pointer (&list), FALSE);
}

/* Ten backends starting at once on a new database: each migration is
 * applied once, and the schema is SQLite's, table for table, column for
 * column, with the same named indexes. */
static void
test_migrate_at_once (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *db_path = g_build_filename (dir, "leap.db", NULL);
  g_autofree char *sqlite_url = g_strconcat ("sqlite:", db_path, NULL);
  g_auto(GStrv) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) sqlite = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *count = NULL;
  g_autofree char *columns = NULL;
  g_autofree char *indexes = NULL;
  g_autofree char *sqlite_named = NULL;
  GThread *threads[N_STARTS];

  for (guint i = 0; i < N_STARTS; i++)
    threads[i] = g_thread_new ("open", open_store_thread, url);
  for (guint i = 0; i < N_STARTS; i++)
    g_thread_join (threads[i]);

  names = g_resources_enumerate_children ("/io/github/leapboxoffice/store/pg", 0, &error);
  g_assert_no_error (error);
  expected = g_strdup_printf ("%u,%u", g_strv_length (names), g_strv_length (names));
  count = leap_test_pg_query (url, "SELECT count(*) || ',' || count(DISTINCT version) "
                                   "FROM schema_migrations");
  g_assert_cmpstr (count, ==, expected);
  g_assert_cmpuint (g_strv_length (names), >=, 9);

  sqlite = leap_store_open (sqlite_url, &error);
  g_assert_no_error (error);
  g_free (expected);
  /* Every table and column as "table.column:type", INTEGER as bigint. */
  expected = sqlite_list (db_path, "SELECT m.name || '.' || p.name || ':' || "
                                   "CASE p.type WHEN 'INTEGER' THEN 'bigint' "
                                   "WHEN 'TEXT' THEN 'text' ELSE p.type END "
                                   "FROM sqlite_master m, pragma_table_info (m.name) p "
                                   "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' "
                                   "ORDER BY m.name, p.name");
  columns = leap_test_pg_query (url, "SELECT string_agg (table_name || '.' || column_name || "
                                     "':' || data_type, ',' ORDER BY table_name, column_name) "
                                     "FROM information_schema.columns "
                                     "WHERE table_schema = 'public'");
  g_assert_cmpstr (columns, ==, expected);

  /* Every index SQLite's migrations name (not those of keys), and the
   * guard against overselling. */
  sqlite_named = sqlite_list (db_path, "SELECT name FROM sqlite_master WHERE type = 'index' "
                                      "AND sql IS NOT NULL ORDER BY name");
  indexes = leap_test_pg_query (url, "SELECT string_agg (indexname, ',' ORDER BY indexname) "
                                     "FROM pg_indexes WHERE schemaname = 'public' AND "
                                     "indexname NOT IN (SELECT conname FROM pg_constraint)");
  g_assert_cmpstr (indexes, ==, sqlite_named);
  g_free (count);
  count = leap_test_pg_query (url, "SELECT count(*) FROM information_schema.check_constraints "
                                   "WHERE check_clause LIKE '%sold <= capacity%'");
  g_assert_cmpstr (count, ==, "1");
  leap_test_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_pg_start (&pg);
  g_test_add_func ("/leap/pg-store/migrate-at-once", test_migrate_at_once);
  status = g_test_run ();
  leap_test_pg_clear (&pg);
  return status;
}
