/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg's base (issue 17): migrations, the connection, errors, and
 * users and sessions, read the same as from LeapStoreSqlite. */
#include "leap-test-pg.h"
#include "leap-test-util.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-store-pg-private.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

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

static char *
object_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return leap_json_to_string (node);
}

/* One line of a transcript: an object, or the error instead. */
static void
note (GString     *transcript,
      const char  *what,
      JsonObject  *object,
      GError     **error)
{
  g_autofree char *text = object != NULL ? object_text (object) : NULL;

  if (object == NULL)
    g_string_append_printf (transcript, "%s: %s %s\n", what,
                            leap_error_code_to_string ((*error)->code), (*error)->message);
  else
    g_string_append_printf (transcript, "%s: %s\n", what, text);
  g_clear_pointer (&object, json_object_unref);
  g_clear_error (error);
}

static void
note_ok (GString     *transcript,
         const char  *what,
         gboolean     ok,
         GError     **error)
{
  if (ok)
    note (transcript, what, json_object_new (), error);
  else
    note (transcript, what, NULL, error);
}

static JsonObject *
session_new (const char *token_hash,
             gint64      user_id,
             const char *role)
{
  JsonObject *session = json_object_new ();

  json_object_set_string_member (session, "token_hash", token_hash);
  json_object_set_int_member (session, "user_id", user_id);
  json_object_set_string_member (session, "role", role);
  json_object_set_int_member (session, "created_at", 1000);
  json_object_set_int_member (session, "expires_at", 2000);
  return session;
}

/* Users and sessions through one store, every answer and every error in
 * the order they came. */
static char *
users_and_sessions (LeapStore *store)
{
  g_autoptr(GString) t = g_string_new (NULL);
  g_autoptr(JsonObject) alice_session = NULL;
  g_autoptr(JsonObject) guest_session = session_new ("t2", 0, "kiosk");
  g_autoptr(JsonObject) stranger_session = session_new ("t3", 999, "cashier");
  g_autoptr(GError) error = NULL;
  gint64 alice, bob;

  alice = leap_store_create_user (store, "alice", "cashier", "hash-a", &error);
  g_assert_no_error (error);
  bob = leap_store_create_user (store, "bob", "admin", "hash-b", &error);
  g_assert_no_error (error);
  g_string_append_printf (t, "ids: %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", alice, bob);
  note (t, "alice", leap_store_get_user (store, "alice", &error), &error);
  note_ok (t, "password", leap_store_set_password_hash (store, alice, "hash-a2", &error), &error);
  note (t, "alice", leap_store_get_user (store, "alice", &error), &error);
  note (t, "nobody", leap_store_get_user (store, "nobody", &error), &error);

  alice_session = session_new ("t1", alice, "cashier");
  note_ok (t, "put", leap_store_put_session (store, alice_session, &error), &error);
  note (t, "t1", leap_store_get_session (store, "t1", &error), &error);
  note_ok (t, "guest", leap_store_put_session (store, guest_session, &error), &error);
  note (t, "t2", leap_store_get_session (store, "t2", &error), &error);
  note_ok (t, "revoke", leap_store_revoke_session (store, "t1", 1500, &error), &error);
  note_ok (t, "revoke", leap_store_revoke_session (store, "t1", 1600, &error), &error);
  note (t, "t1", leap_store_get_session (store, "t1", &error), &error);
  note (t, "none", leap_store_get_session (store, "none", &error), &error);

  /* What breaks a key: the same error from either store. */
  g_assert_cmpint (leap_store_create_user (store, "alice", "admin", "hash", &error), ==, 0);
  note (t, "alice again", NULL, &error);
  note_ok (t, "t1 again", leap_store_put_session (store, alice_session, &error), &error);
  note_ok (t, "stranger", leap_store_put_session (store, stranger_session, &error), &error);
  note (t, "bob", leap_store_get_user (store, "bob", &error), &error);
  return g_string_free (g_steal_pointer (&t), FALSE);
}

/* Users and sessions read the same JSON, and fail with the same errors,
 * from PostgreSQL as from SQLite; a unique violation is a conflict that
 * says nothing of the server's. */
static void
test_users_sessions (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *sqlite_url = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  g_autoptr(LeapStore) sqlite = NULL;
  g_autofree char *from_pg = NULL;
  g_autofree char *from_sqlite = NULL;

  g_assert_no_error (error);
  g_assert_true (LEAP_IS_STORE_PG (store));
  sqlite = leap_store_open (sqlite_url, &error);
  g_assert_no_error (error);
  from_pg = users_and_sessions (store);
  from_sqlite = users_and_sessions (sqlite);
  g_test_message ("%s", from_pg);
  g_assert_cmpstr (from_pg, ==, from_sqlite);
  g_assert_nonnull (strstr (from_pg, "alice again: conflict Database: it already exists\n"));
  g_assert_nonnull (strstr (from_pg, "stranger: conflict Database: it is still referenced"));
  g_assert_nonnull (strstr (from_pg, "\"username\":null"));
  g_assert_null (strstr (from_pg, "duplicate"));
  g_assert_null (strstr (from_pg, "users_username_key"));

  /* The store goes on after them. */
  g_assert_cmpint (leap_store_create_user (store, "carol", "kiosk", "hash-c", &error), >, 0);
  g_assert_no_error (error);
  leap_test_rmdir (dir);
}

/* The warnings of the store, one a line. */
static GString *warnings;

static GLogWriterOutput
record_warnings (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         data)
{
  if (level & G_LOG_LEVEL_WARNING)
    for (gsize i = 0; i < n_fields; i++)
      if (g_str_equal (fields[i].key, "MESSAGE"))
        g_string_append_printf (warnings, "%s\n", (const char *) fields[i].value);
  return g_log_writer_default (level, fields, n_fields, data);
}

/* Each SQLSTATE becomes its LEAP_ERROR, with a message that never
 * carries the server's text; one of no known kind is INTERNAL, the
 * server's text in the log. */
static void
test_errors (void)
{
  static const struct
  {
    const char *state;
    int         code;
    const char *message;
  } cases[] = {
#define REFUSED "The database refused the change: it breaks one of its rules"
#define BUSY    "The database is busy with another writer; try again in a moment"
    { "23505", LEAP_ERROR_CONFLICT, "Database: it already exists" },
    { "23503", LEAP_ERROR_CONFLICT, "Database: it is still referenced by other records" },
    { "23514", LEAP_ERROR_CONFLICT, REFUSED },
    { "23P01", LEAP_ERROR_CONFLICT, REFUSED },
    { "40001", LEAP_ERROR_UNAVAILABLE, BUSY },
    { "40P01", LEAP_ERROR_UNAVAILABLE, BUSY },
    { "55P03", LEAP_ERROR_UNAVAILABLE, BUSY },
    { "57P01", LEAP_ERROR_UNAVAILABLE, "The database is unavailable" },
    { "53300", LEAP_ERROR_UNAVAILABLE, "The database is unavailable" },
    { "XX000", LEAP_ERROR_INTERNAL, "The database failed" },
#undef REFUSED
#undef BUSY
  };
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  g_assert_no_error (error);
  leap_test_allow_warnings ();
  g_log_set_writer_func (record_warnings, NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sql = g_strdup_printf ("DO $$ BEGIN RAISE EXCEPTION 'server secret' "
                                              "USING ERRCODE = '%s'; END $$", cases[i].state);

      g_string_truncate (warnings, 0);
      g_assert_false (_leap_store_pg_exec (self, sql, NULL, &error));
      if (cases[i].code == LEAP_ERROR_INTERNAL)
        g_assert_cmpstr (warnings->str, ==, "PostgreSQL error XX000: server secret\n");
      else
        g_assert_cmpstr (warnings->str, ==, "");
      g_assert_error (error, LEAP_ERROR, cases[i].code);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      g_clear_error (&error);
    }

  /* A statement given a parameter it has no place for: our bug, not a
   * lost connection. */
  _leap_pg_params_int (params, 1);
  g_string_truncate (warnings, 0);
  g_assert_false (_leap_store_pg_exec (self, "SELECT 1", params, &error));
  g_assert_true (g_str_has_prefix (warnings->str, "PostgreSQL error 08P01"));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL);
  g_clear_error (&error);
  g_assert_true (leap_store_ping (store, &error));
  g_assert_no_error (error);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char **) a, *(char **) b);
}

/* 0010 on a database with orders: each gets one code of seven letters
 * of the alphabet, none twice. */
static void
test_order_codes_migration (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_auto(GStrv) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = NULL;
  g_autofree char *codes = NULL;

  names = g_resources_enumerate_children ("/io/github/leapboxoffice/store/pg", 0, &error);
  g_assert_no_error (error);
  qsort (names, g_strv_length (names), sizeof (char *), compare_names);
  leap_test_pg_exec (url, "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, "
                          "applied_at bigint NOT NULL)");
  for (guint i = 0; names[i] != NULL && g_ascii_strtoll (names[i], NULL, 10) < 10; i++)
    {
      g_autofree char *path = g_strconcat ("/io/github/leapboxoffice/store/pg/", names[i], NULL);
      g_autoptr(GBytes) sql = g_resources_lookup_data (path, 0, &error);
      g_autofree char *text = NULL;
      g_autofree char *record = NULL;

      g_assert_no_error (error);
      text = g_strndup (g_bytes_get_data (sql, NULL), g_bytes_get_size (sql));
      leap_test_pg_exec (url, text);
      record = g_strdup_printf ("INSERT INTO schema_migrations VALUES (%" G_GINT64_FORMAT ", 0)",
                                g_ascii_strtoll (names[i], NULL, 10));
      leap_test_pg_exec (url, record);
    }
  leap_test_pg_exec (url, "INSERT INTO venues (name, created_at, updated_at) VALUES ('v', 0, 0);"
                          "INSERT INTO events (venue_id, name, starts_at, created_at, "
                          "updated_at) VALUES (1, 'e', 0, 0, 0);"
                          "INSERT INTO orders (id, event_id, status, total, currency, "
                          "created_at, updated_at) SELECT 'o-' || n, 1, 'paid', 0, 'EUR', 0, 0 "
                          "FROM generate_series (1, 200) AS n");

  store = leap_store_open (url, &error);
  g_assert_no_error (error);
  codes = leap_test_pg_query (url, "SELECT count(*) || ' ' || count(DISTINCT order_id) || ' ' "
                                   "|| count(DISTINCT code) || ' ' || bool_and (code ~ "
                                   "'^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{7}$') FROM order_codes");
  g_assert_cmpstr (codes, ==, "200 200 200 true");
}

/* A row reads as SQLite's would: integers, whole sums and comparisons as
 * numbers, times (*_at) as ISO 8601 unless raw, NULL as null. */
static void
test_rows (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  const char *sql = "SELECT 7::bigint AS n, 3::int AS i, sum (x) AS total, 2.5 AS half, "
                    "1 < 2 AS yes, 'é' AS text, NULL::bigint AS nothing, 0::bigint AS created_at "
                    "FROM (VALUES (20::bigint), (22::bigint)) AS t (x)";
  g_autoptr(JsonObject) row = NULL;
  g_autoptr(JsonObject) raw = NULL;
  g_autofree char *row_text = NULL;
  g_autofree char *raw_text = NULL;

  g_assert_no_error (error);
  row = _leap_store_pg_query_one (LEAP_STORE_PG (store), sql, NULL, FALSE, "row", &error);
  g_assert_no_error (error);
  raw = _leap_store_pg_query_one (LEAP_STORE_PG (store), sql, NULL, TRUE, "row", &error);
  g_assert_no_error (error);
  row_text = object_text (row);
  raw_text = object_text (raw);
  g_assert_cmpstr (row_text, ==, "{\"n\":7,\"i\":3,\"total\":42,\"half\":2.5,\"yes\":1,"
                                 "\"text\":\"é\",\"nothing\":null,"
                                 "\"created_at\":\"1970-01-01T00:00:00Z\"}");
  g_assert_cmpstr (raw_text, ==, "{\"n\":7,\"i\":3,\"total\":42,\"half\":2.5,\"yes\":1,"
                                 "\"text\":\"é\",\"nothing\":null,\"created_at\":0}");
}

/* After the server is killed and started again, the same LeapStore
 * answers: a read and a transaction at once, a write outside one after
 * one UNAVAILABLE (it is not repeated: it may have run). */
static void
test_reset (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  g_autoptr(JsonObject) before = session_new ("t0", 0, "kiosk");
  g_autoptr(JsonObject) session = session_new ("t1", 0, "kiosk");
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(JsonObject) found = NULL;
  g_autofree char *count = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (leap_store_create_user (store, "dora", "admin", "hash-d", &error), >, 0);
  g_assert_no_error (error);

  leap_test_pg_kill (&pg);
  leap_test_pg_restart (&pg);
  user = leap_store_get_user (store, "dora", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (leap_json_get_string (user, "role", NULL), ==, "admin");
  g_assert_true (leap_store_ping (store, &error));
  g_assert_no_error (error);

  leap_test_pg_kill (&pg);
  leap_test_pg_restart (&pg);
  g_assert_cmpint (leap_store_create_user (store, "emil", "cashier", "hash-e", &error), >, 0);
  g_assert_no_error (error);

  /* The statement is prepared on the old connection: it runs at once,
   * and finds the connection gone. */
  g_assert_true (leap_store_put_session (store, before, &error));
  g_assert_no_error (error);
  leap_test_pg_kill (&pg);
  leap_test_pg_restart (&pg);
  g_assert_false (leap_store_put_session (store, session, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==, "The database is unavailable");
  g_clear_error (&error);
  g_assert_true (leap_store_put_session (store, session, &error));
  g_assert_no_error (error);
  found = leap_store_get_session (store, "t1", &error);
  g_assert_no_error (error);
  count = leap_test_pg_query (url, "SELECT count(*) FROM users");
  g_assert_cmpstr (count, ==, "2");
  g_free (count);
  count = leap_test_pg_query (url, "SELECT count(*) FROM sessions");
  g_assert_cmpstr (count, ==, "2");
}

static char *
database_name (const char *url)
{
  return g_strdup (strrchr (url, '/') + 1);
}

/* A libpq key=value string opens PostgreSQL too; a password in the URL is
 * refused; an unreachable server is one clear line. */
static void
test_open_urls (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autofree char *name = database_name (url);
  g_autofree char *conninfo = g_strdup_printf ("host=%s port=%u user=leap dbname=%s", pg.dir,
                                               pg.port, name);
  g_autofree char *secret = g_strdup_printf ("postgresql://leap:s3cret@127.0.0.1:%u/%s",
                                             pg.port, name);
  g_autofree char *away = g_strdup_printf ("postgres://leap@127.0.0.1:%u/%s",
                                           leap_test_free_port (), name);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (conninfo, &error);
  g_autoptr(LeapStore) refused = NULL;

  g_assert_no_error (error);
  g_assert_true (LEAP_IS_STORE_PG (store));
  g_assert_true (leap_store_ping (store, &error));
  g_assert_no_error (error);
  {
    LeapStorePg *self = LEAP_STORE_PG (store);
    g_autoptr(PGresult) result = _leap_store_pg_query (self, "SELECT current_setting "
                                                             "('TimeZone') || ' ' || "
                                                             "pg_client_encoding ()", NULL,
                                                       &error);
    g_assert_no_error (error);
    g_assert_cmpstr (PQgetvalue (result, 0, 0), ==, "UTC UTF8");
  }

  refused = leap_store_open (secret, &error);
  g_assert_null (refused);
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_assert_null (strstr (error->message, "s3cret"));
  g_assert_nonnull (strstr (error->message, ".pgpass"));
  g_clear_error (&error);

  refused = leap_store_open (away, &error);
  g_assert_null (refused);
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_true (g_str_has_prefix (error->message, "Cannot connect to the PostgreSQL database"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);

  refused = leap_store_open ("mysql://leap@localhost/leap", &error);
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
}

typedef struct
{
  char          *url;
  gint           done;
} Renewal;

static gpointer
renew_thread (gpointer data)
{
  Renewal *renewal = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (renewal->url, &error);

  g_assert_no_error (error);
  g_assert_true (leap_store_lease_renew (store, "b", 60000, &error));
  g_assert_no_error (error);
  g_atomic_int_set (&renewal->done, 1);
  return NULL;
}

static gboolean
renewal_waits (gpointer url)
{
  g_autofree char *waiting = leap_test_pg_query (url, "SELECT count(*) FROM pg_stat_activity "
                                                      "WHERE wait_event_type = 'Lock' AND "
                                                      "query LIKE 'INSERT INTO redis_leases%'");

  return g_str_equal (waiting, "1");
}

/* Leases by the database's clock; a renewal waits for a hold's
 * transaction that found no lease, so no hold is written after a lease it
 * did not see. */
static void
test_leases (void)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autofree char *left = NULL;
  g_autofree char *count = NULL;
  Renewal renewal = { url, 0 };
  GThread *thread;

  g_assert_no_error (error);
  g_assert_true (leap_store_lease_renew (store, "a", 60000, &error));
  g_assert_no_error (error);
  left = leap_test_pg_query (url, "SELECT expires_ms - (extract (epoch FROM now ()) * 1000)"
                                  "::bigint BETWEEN 55000 AND 60000 FROM redis_leases");
  g_assert_cmpstr (left, ==, "t");
  g_assert_true (_leap_store_pg_begin (self, &error));
  g_assert_cmpint (_leap_store_pg_lease_live_in (self, &error), ==, 1);
  _leap_store_pg_rollback (self);
  g_assert_true (leap_store_lease_drop (store, "a", &error));
  g_assert_no_error (error);
  count = leap_test_pg_query (url, "SELECT count(*) FROM redis_leases");
  g_assert_cmpstr (count, ==, "0");

  g_assert_true (_leap_store_pg_begin (self, &error));
  g_assert_cmpint (_leap_store_pg_lease_live_in (self, &error), ==, 0);
  g_assert_no_error (error);
  thread = g_thread_new ("renew", renew_thread, &renewal);
  g_assert_true (leap_test_wait_until (renewal_waits, url, 10000));
  g_assert_cmpint (g_atomic_int_get (&renewal.done), ==, 0);
  g_assert_true (_leap_store_pg_commit (self, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&renewal.done), ==, 1);
  g_assert_true (_leap_store_pg_begin (self, &error));
  g_assert_cmpint (_leap_store_pg_lease_live_in (self, &error), ==, 1);
  _leap_store_pg_rollback (self);
}

/* A program run with its user data dir in @data_home: its exit status. */
static int
run (const char  *program,
     const char  *data_home,
     const char  *input,
     char       **out,
     const char  *first,
     ...)
{
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (0);
  va_list args;
  int status;

  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  va_start (args, first);
  status = leap_test_run_va (launcher, input, out, program, first, args);
  va_end (args);
  return status;
}

/* leap-backend --database, its config file's database= and --create-user
 * reach PostgreSQL, with the key files they are given (a database server
 * has no folder to keep them beside: without them the backend says so);
 * leap-backend and leap-worker say in one line that a server is away. */
static void
test_programs (void)
{
  const char *backend = g_getenv ("LEAP_BACKEND");
  g_autofree char *worker = g_build_filename (g_getenv ("LEAP_BUILD_ROOT"), "backend",
                                              "leap-worker", NULL);
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autofree char *name = database_name (url);
  g_autofree char *away = g_strdup_printf ("postgresql://leap@127.0.0.1:%u/%s",
                                           leap_test_free_port (), name);
  g_autofree char *redis = g_strdup_printf ("127.0.0.1:%u", leap_test_free_port ());
  g_autofree char *home = leap_test_make_tmpdir ();
  g_autofree char *ticket_key = g_build_filename (home, "ticket-key", NULL);
  g_autofree char *session_key = g_build_filename (home, "session-key", NULL);
  g_autofree char *config = g_build_filename (home, "leap.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[backend]\nredis=%s\ndatabase=%s\nticket-key=%s\n"
                                           "session-key=%s\n", redis, url, ticket_key,
                                           session_key);
  g_autofree char *out = NULL;
  g_autofree char *count = NULL;

  g_assert_cmpint (run (backend, home, NULL, &out, "--database", away, "--redis", redis, NULL),
                   ==, 1);
  g_assert_true (g_str_has_prefix (out, "leap-backend: Cannot connect to the PostgreSQL"));
  g_assert_cmpstr (strchr (out, '\n'), ==, "\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (worker, home, NULL, &out, "--database", away, "--redis", redis, NULL),
                   ==, 1);
  g_assert_nonnull (strstr (out, "leap-worker: Cannot connect to the PostgreSQL"));
  g_assert_cmpstr (strchr (out, '\n'), ==, "\n");
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run (backend, home, "a-good-password\n", &out, "--database", url, "--redis",
                        redis, "--create-user", "boss", "--role", "admin", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "--session-key FILE"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (backend, home, "a-good-password\n", &out, "--database", url, "--redis",
                        redis, "--ticket-key", ticket_key, "--session-key", session_key,
                        "--create-user", "boss", "--role", "admin", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Created admin"));
  g_assert_true (g_file_test (ticket_key, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (session_key, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (backend, home, "a-good-password\n", &out, "--database", url, "--redis",
                        redis, "--ticket-key", ticket_key, "--session-key", session_key,
                        "--create-user", "boss", "--role", "admin", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "already exists"));
  g_clear_pointer (&out, g_free);

  g_assert_true (g_file_set_contents (config, text, -1, NULL));
  g_assert_cmpint (run (backend, home, "a-good-password\n", &out, "--config", config,
                        "--create-user", "clerk", "--role", "cashier", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  count = leap_test_pg_query (url, "SELECT count(*) FROM users");
  g_assert_cmpstr (count, ==, "2");

  leap_test_rmdir (home);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  warnings = g_string_new (NULL);
  leap_test_pg_start (&pg);
  g_test_add_func ("/leap/pg-store/migrate-at-once", test_migrate_at_once);
  g_test_add_func ("/leap/pg-store/users-sessions", test_users_sessions);
  g_test_add_func ("/leap/pg-store/order-codes-migration", test_order_codes_migration);
  g_test_add_func ("/leap/pg-store/rows", test_rows);
  g_test_add_func ("/leap/pg-store/open-urls", test_open_urls);
  g_test_add_func ("/leap/pg-store/leases", test_leases);
  g_test_add_func ("/leap/pg-store/programs", test_programs);
  g_test_add_func ("/leap/pg-store/reset", test_reset);
  /* Last: it lets warnings through, to read them. */
  g_test_add_func ("/leap/pg-store/errors", test_errors);
  status = g_test_run ();
  leap_test_pg_clear (&pg);
  g_string_free (warnings, TRUE);
  return status;
}
