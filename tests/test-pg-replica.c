/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Read replicas (issue 17): the catalogue's reads go to a streaming
 * replica that is fit, everything else and what was just written to the
 * primary, and a replica that is down, behind or not one is skipped. */
#include "leap-backend-config.h"
#include "leap-test-pg.h"
#include "leap-test-util.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-store.h"
#include "leap-store-pg-private.h"

static LeapTestPg primary;
static LeapTestPg replica;

typedef struct
{
  LeapStore  *store;
  gint64      venue_id;
  const char *name;
} Reader;

static guint64
replica_reads (LeapStore *store)
{
  LeapStoreReadStats stats;

  leap_store_get_read_stats (store, &stats);
  return stats.replica_reads;
}

static guint64
primary_reads (LeapStore *store)
{
  LeapStoreReadStats stats;

  leap_store_get_read_stats (store, &stats);
  return stats.primary_reads;
}

/* Reads the venue (it must read right, whoever answers); TRUE when a
 * replica answered. */
static gboolean
read_venue (Reader *reader)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) venue = NULL;
  guint64 before = replica_reads (reader->store);

  venue = leap_store_get (reader->store, LEAP_KIND_VENUE, reader->venue_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (leap_json_get_string (venue, "name", NULL), ==, reader->name);
  return replica_reads (reader->store) == before + 1;
}

static gboolean
replica_answers (gpointer data)
{
  return read_venue (data);
}

/* The venue read from the primary, at once (one read). */
static void
assert_primary_reads (Reader *reader)
{
  guint64 primary = primary_reads (reader->store);
  gint64 started = g_get_monotonic_time ();

  g_assert_false (read_venue (reader));
  g_assert_cmpuint (primary_reads (reader->store), ==, primary + 1);
  /* A replica that is down costs no wait worth the name. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 3 * G_USEC_PER_SEC);
}

static LeapStore *
open_store (const char *url,
            const char *replica_url)
{
  const char *replicas[] = { replica_url, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) store = leap_store_open (url, &error);

  g_assert_no_error (error);
  g_assert_true (leap_store_set_replicas (store, replicas, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&store);
}

static void
update_name (LeapStore  *store,
             Reader     *reader,
             const char *name)
{
  g_autoptr(JsonObject) patch = json_object_new ();
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (patch, "name", name);
  updated = leap_store_update (store, LEAP_KIND_VENUE, reader->venue_id, patch, 0, &error);
  g_assert_no_error (error);
  reader->name = name;
}

static void
test_reads (void)
{
  g_autofree char *url = leap_test_pg_create_db (&primary);
  g_autofree char *replica_url = NULL;
  g_autoptr(LeapStore) migrated = NULL;
  g_autoptr(LeapStore) store = NULL;
  g_autoptr(LeapStore) again = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) venue = NULL;
  g_autoptr(JsonArray) venues = NULL;
  g_autoptr(GError) error = NULL;
  Reader reader = { NULL, 0, "Hall" };
  guint64 before;

  /* The schema first, so that the copy has it. */
  migrated = leap_store_open (url, &error);
  g_assert_no_error (error);
  leap_test_pg_start_copy (&primary, &replica, TRUE);
  replica_url = leap_test_pg_url (&replica, strrchr (url, '/') + 1);
  store = open_store (url, replica_url);
  reader.store = store;

  json_object_set_string_member (fields, "name", "Hall");
  json_object_set_string_member (fields, "timezone", "UTC");
  venue = leap_store_create (store, LEAP_KIND_VENUE, 0, fields, 0, &error);
  g_assert_no_error (error);
  reader.venue_id = leap_json_get_int (venue, "id", 0);

  /* Once the replica has the venue, it answers the catalogue's reads. */
  g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));
  before = replica_reads (store);
  venues = leap_store_list_venues (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (venues), ==, 1);
  g_assert_cmpuint (replica_reads (store), ==, before + 1);

  /* Right after a write, the primary answers, and it has the write. */
  update_name (store, &reader, "Main hall");
  assert_primary_reads (&reader);
  g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));

  /* Another thread's store has the same replica, and hears of this
   * thread's writes. */
  again = leap_store_open_again (store, &error);
  g_assert_no_error (error);
  reader.store = again;
  g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));
  update_name (again, &reader, "Great hall");
  reader.store = store;
  assert_primary_reads (&reader);

  /* A replica a little behind (well within the lag allowed) that has not
   * replayed a write of ours yet does not answer, also once it was
   * looked at again since the write. */
  g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));
  leap_test_pg_exec (replica_url, "SELECT pg_wal_replay_pause ()");
  update_name (store, &reader, "Small hall");
  g_usleep (1100 * G_TIME_SPAN_MILLISECOND);
  assert_primary_reads (&reader);
  assert_primary_reads (&reader);
  leap_test_pg_exec (replica_url, "SELECT pg_wal_replay_resume ()");

  /* The replica down: the primary answers, every time. */
  g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));
  leap_test_pg_stop (&replica);
  for (guint i = 0; i < 3; i++)
    assert_primary_reads (&reader);

  /* Back: it answers again. */
  leap_test_pg_restart (&replica);
  g_assert_true (leap_test_wait_until (replica_answers, &reader, 60000));
  g_clear_object (&again);
  g_clear_object (&store);
  leap_test_pg_clear (&replica);
}

static void
test_not_fit (void)
{
  g_autofree char *url = leap_test_pg_create_db (&primary);
  g_autofree char *other_url = leap_test_pg_create_db (&primary);
  g_autoptr(LeapStore) store = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) venue = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_url = NULL;
  g_autofree char *filler_url = NULL;
  Reader reader = { NULL, 0, "Hall" };
  /* Not a standby; an older schema (one migration); the replica itself. */
  const char *const names[] = { "primary", "old", "replica" };

  /* A database with the first migration only, on both servers. */
  leap_test_pg_exec (other_url, "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, "
                                "applied_at bigint NOT NULL); "
                                "INSERT INTO schema_migrations VALUES (1, 0)");
  store = leap_store_open (url, &error);
  g_assert_no_error (error);
  g_clear_object (&store);
  leap_test_pg_start_copy (&primary, &replica, TRUE);
  old_url = leap_test_pg_url (&replica, strrchr (other_url, '/') + 1);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *replica_url = leap_test_pg_url (&replica, strrchr (url, '/') + 1);
      const char *candidate = i == 0 ? url : i == 1 ? old_url : replica_url;

      g_test_message ("A replica that is %s", names[i]);
      store = open_store (url, candidate);
      reader.store = store;
      if (venue == NULL)
        {
          json_object_set_string_member (fields, "name", "Hall");
          json_object_set_string_member (fields, "timezone", "UTC");
          venue = leap_store_create (store, LEAP_KIND_VENUE, 0, fields, 0, &error);
          g_assert_no_error (error);
          reader.venue_id = leap_json_get_int (venue, "id", 0);
        }
      if (i < 2)
        {
          /* Looked at again every second: still not fit. */
          for (guint j = 0; j < 3; j++)
            {
              assert_primary_reads (&reader);
              g_usleep (G_USEC_PER_SEC / 2);
            }
          g_assert_cmpuint (replica_reads (store), ==, 0);
        }
      else
        {
          /* Replay paused while the primary writes more than the lag
           * allows: skipped until it has caught up. */
          g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));
          leap_test_pg_exec (replica_url, "SELECT pg_wal_replay_pause ()");
          filler_url = leap_test_pg_url (&primary, "postgres");
          leap_test_pg_exec (filler_url, "CREATE TABLE filler AS SELECT repeat ('x', 1000) "
                                         "FROM generate_series (1, 4000)");
          g_usleep (1100 * G_TIME_SPAN_MILLISECOND);
          assert_primary_reads (&reader);
          leap_test_pg_exec (replica_url, "SELECT pg_wal_replay_resume ()");
          g_assert_true (leap_test_wait_until (replica_answers, &reader, 20000));
        }
      g_clear_object (&store);
    }
  leap_test_pg_clear (&replica);
}

/* The replicas a config file names, and those the store refuses. */
static void
test_config (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leap.conf", NULL);
  g_autofree char *sqlite_url = g_strdup_printf ("sqlite:%s/leap.db", dir);
  g_autofree char *url = leap_test_pg_create_db (&primary);
  const char *with_password[] = { "postgresql://leap:secret@127.0.0.1:1/leap", NULL };
  const char *not_pg[] = { "sqlite:/tmp/leap.db", NULL };
  g_autoptr(LeapStore) sqlite = NULL;
  g_autoptr(LeapStore) store = NULL;
  g_autoptr(GError) error = NULL;
  LeapBackendConfig config;

  g_assert_true (g_file_set_contents (path, "[backend]\ndatabase-replica=postgresql://r1/leap;"
                                            "host=r2 dbname=leap\n", -1, &error));
  leap_backend_config_init (&config);
  g_assert_true (leap_backend_config_load_file (&config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (config.database_replicas), ==, 2);
  g_assert_cmpstr (config.database_replicas[1], ==, "host=r2 dbname=leap");
  leap_backend_config_clear (&config);

  sqlite = leap_store_open (sqlite_url, &error);
  g_assert_no_error (error);
  /* None is none, whatever the database. */
  g_assert_true (leap_store_set_replicas (sqlite, (const char *[]) { NULL }, &error));
  g_assert_no_error (error);
  g_assert_false (leap_store_set_replicas (sqlite, (const char *[]) { url, NULL }, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_clear_error (&error);
  store = leap_store_open (url, &error);
  g_assert_no_error (error);
  g_assert_false (leap_store_set_replicas (store, not_pg, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (leap_store_set_replicas (store, with_password, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "pgpass"));
  g_clear_object (&sqlite);
  leap_test_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_pg_start (&primary);
  g_test_add_func ("/leap/pg-replica/config", test_config);
  g_test_add_func ("/leap/pg-replica/reads", test_reads);
  g_test_add_func ("/leap/pg-replica/not-fit", test_not_fit);
  status = g_test_run ();
  leap_test_pg_clear (&primary);
  return status;
}
