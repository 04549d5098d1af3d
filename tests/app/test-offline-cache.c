/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include "leap-client.h"
#include "leap-error.h"
#include "leap-event.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-test-utils.h"
#include "leap-tier.h"

#define SERVER "http://leap.test"
#define TIMEOUT_MS 10000

typedef struct
{
  char             *dir;
  char             *path;
  LeapOfflineCache *cache;
  gboolean          done;
  GError           *error;
  GPtrArray        *tiers;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = leap_test_make_tmpdir ();
  f->path = g_build_filename (f->dir, "sub", "cache.db", NULL);
  f->cache = leap_offline_cache_new (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->cache);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->cache);
  g_clear_error (&f->error);
  g_clear_pointer (&f->tiers, g_ptr_array_unref);
  leap_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static void
reload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fixture *f = user_data;

  leap_offline_cache_reload_finish (LEAP_OFFLINE_CACHE (source), result, &f->error);
  f->done = TRUE;
}

static void
reload (Fixture *f)
{
  f->done = FALSE;
  leap_offline_cache_reload_async (f->cache, NULL, reload_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
}

static LeapEvent *
event_at (Fixture *f,
          guint    position)
{
  g_autoptr(LeapEvent) event =
    g_list_model_get_item (leap_offline_cache_get_events (f->cache), position);
  return event; /* the model keeps it alive */
}

static void
tiers_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fixture *f = user_data;

  g_clear_pointer (&f->tiers, g_ptr_array_unref);
  f->tiers = leap_offline_cache_list_tiers_finish (LEAP_OFFLINE_CACHE (source), result, &f->error);
  f->done = TRUE;
}

static void
list_tiers (Fixture *f,
            gint64   event_id)
{
  f->done = FALSE;
  leap_offline_cache_list_tiers_async (f->cache, event_id, NULL, tiers_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
  g_assert_nonnull (f->tiers);
}

static void
apply_json (Fixture    *f,
            const char *server,
            const char *json)
{
  g_autoptr(JsonObject) page = leap_json_parse_object (json, -1, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (page);
  g_assert_true (leap_offline_cache_apply_sync (f->cache, server, page, &error));
  g_assert_no_error (error);
}

static void
test_apply (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapOfflineCache) reopened = NULL;
  GListModel *events = leap_offline_cache_get_events (f->cache);
  LeapEvent *hamlet;

  g_assert_false (leap_offline_cache_get_loaded (f->cache));
  g_assert_cmpint (leap_offline_cache_get_synced_at (f->cache), ==, 0);
  g_assert_true (leap_offline_cache_apply_sync (f->cache, SERVER, page, &error));
  g_assert_no_error (error);
  reload (f);
  g_assert_true (leap_offline_cache_get_loaded (f->cache));

  /* Seven events, one long past and not listed; sorted by start. */
  g_assert_cmpuint (g_list_model_get_n_items (events), ==, 6);
  for (guint i = 1; i < g_list_model_get_n_items (events); i++)
    g_assert_cmpint (leap_event_get_starts_at (event_at (f, i - 1)), <=,
                     leap_event_get_starts_at (event_at (f, i)));

  hamlet = event_at (f, 0);
  g_assert_cmpstr (leap_event_get_name (hamlet), ==, "Hamlet");
  g_assert_cmpstr (leap_event_get_venue_name (hamlet), ==, "Grand Theatre");
  g_assert_cmpstr (leap_event_get_venue_timezone (hamlet), ==, "UTC");
  g_assert_cmpint (leap_event_get_capacity (hamlet), ==, 600);
  g_assert_cmpint (leap_event_get_available (hamlet), ==, -1);
  g_assert_cmpint (leap_event_get_starts_at (hamlet), ==, leap_test_today_at (19, 30, 0));

  /* The cursor and the time of the sync survive a restart. */
  g_clear_object (&f->cache);
  reopened = leap_offline_cache_new (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (leap_offline_cache_get_cursor (reopened), ==, 42);
  g_assert_cmpint (leap_offline_cache_get_synced_at (reopened), >, 0);
  f->cache = g_steal_pointer (&reopened);
  reload (f);
  g_assert_cmpuint (g_list_model_get_n_items (leap_offline_cache_get_events (f->cache)), ==, 6);
}

static void
test_update_and_delete (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autofree char *starts = leap_time_format (leap_test_today_at (19, 30, 0));
  g_autofree char *update = NULL;

  g_assert_true (leap_offline_cache_apply_sync (f->cache, SERVER, page, NULL));
  update =
      g_strdup_printf ("{\"cursor\": 50, \"more\": false, \"events\": [{\"id\": 1, "
                       "\"venue_id\": 1, \"name\": \"Hamlet (new cast)\", \"starts_at\": \"%s\", "
                       "\"status\": \"on_sale\"}], \"deleted\": [{\"kind\": \"event\", \"id\": 2},"
                       "{\"kind\": \"tier\", \"id\": 13}, {\"kind\": \"spaceship\", \"id\": 1}]}",
                       starts);
  apply_json (f, SERVER, update);
  reload (f);

  g_assert_cmpuint (g_list_model_get_n_items (leap_offline_cache_get_events (f->cache)), ==, 5);
  g_assert_cmpstr (leap_event_get_name (event_at (f, 0)), ==, "Hamlet (new cast)");
  g_assert_cmpstr (leap_event_get_name (event_at (f, 1)), ==, "The Magic Flute");

  list_tiers (f, 2);
  g_assert_cmpuint (f->tiers->len, ==, 0);
  list_tiers (f, 1);
  g_assert_cmpuint (f->tiers->len, ==, 2);
}

static void
test_other_server (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) page = leap_test_demo_page ();

  g_assert_true (leap_offline_cache_apply_sync (f->cache, SERVER, page, NULL));
  /* A page of another server replaces the whole mirror. */
  apply_json (f, "http://other.test", "{\"cursor\": 1, \"more\": false}");
  reload (f);
  g_assert_cmpuint (g_list_model_get_n_items (leap_offline_cache_get_events (f->cache)), ==, 0);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) page =
    leap_json_parse_object ("{\"more\": false, \"events\": []}", -1, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (leap_offline_cache_apply_sync (f->cache, SERVER, page, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED);
}

static void
test_tiers_and_availability (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autoptr(JsonObject) availability = NULL;
  LeapMoney price;
  LeapEvent *hamlet;

  g_assert_true (leap_offline_cache_apply_sync (f->cache, SERVER, page, NULL));
  reload (f);

  list_tiers (f, 1);
  g_assert_cmpuint (f->tiers->len, ==, 3);
  g_assert_cmpstr (leap_tier_get_name (g_ptr_array_index (f->tiers, 0)), ==, "Stalls");
  price = leap_tier_get_price (g_ptr_array_index (f->tiers, 0));
  g_assert_cmpint (price.amount, ==, 4500);
  g_assert_cmpstr (price.currency, ==, "EUR");
  g_assert_cmpint (leap_tier_get_available (g_ptr_array_index (f->tiers, 0)), ==, -1);

  availability =
      leap_json_parse_object ("{\"event_id\": 1, \"tiers\": ["
                              "{\"tier_id\": 11, \"capacity\": 300, \"available\": 31},"
                              "{\"tier_id\": 12, \"capacity\": 200, \"available\": 0},"
                              "{\"tier_id\": 13, \"capacity\": 100, \"available\": 41}]}",
                              -1, NULL);
  leap_offline_cache_store_availability (f->cache, availability);
  hamlet = event_at (f, 0);
  g_assert_cmpint (leap_event_get_available (hamlet), ==, 72);

  /* The write is in a worker thread; a later read sees it. */
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      list_tiers (f, 1);
      if (leap_tier_get_available (g_ptr_array_index (f->tiers, 1)) == 0)
        break;
    }
  g_assert_cmpint (leap_tier_get_available (g_ptr_array_index (f->tiers, 0)), ==, 31);
  g_assert_cmpint (leap_tier_get_available (g_ptr_array_index (f->tiers, 1)), ==, 0);

  /* And the event list keeps the sum after a reload. */
  reload (f);
  g_assert_cmpint (leap_event_get_available (event_at (f, 0)), ==, 72);
}

/* Sync against a fake server */

typedef struct
{
  GPtrArray *since;
} ServerState;

static void
sync_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  ServerState *state = user_data;
  const char *since = query ? g_hash_table_lookup (query, "since") : NULL;
  g_autoptr(JsonObject) demo = NULL;
  g_autofree char *json = NULL;

  g_ptr_array_add (state->since, g_strdup (since));
  if (g_strcmp0 (since, "0") == 0)
    {
      /* The first page: venues and events; tiers follow on the second. */
      demo = leap_test_demo_page ();
      json_object_remove_member (demo, "tiers");
      json_object_set_int_member (demo, "cursor", 10);
      json_object_set_boolean_member (demo, "more", TRUE);
      json = leap_json_object_to_string (demo);
    }
  else if (g_strcmp0 (since, "10") == 0)
    {
      demo = leap_test_demo_page ();
      json_object_remove_member (demo, "events");
      json_object_remove_member (demo, "venues");
      json_object_set_int_member (demo, "cursor", 20);
      json = leap_json_object_to_string (demo);
    }
  else
    json = g_strdup_printf ("{\"cursor\": %s, \"more\": false, \"events\": [], \"deleted\": []}",
                            since ? since : "0");
  leap_test_reply_json (msg, 200, json);
}

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  leap_offline_cache_sync_finish (LEAP_OFFLINE_CACHE (source), result, &f->error);
  f->done = TRUE;
}

static void
test_sync_paged (Fixture       *f,
                 gconstpointer  data)
{
  ServerState state = { g_ptr_array_new_with_free_func (g_free) };
  g_autofree char *url = NULL;
  g_autoptr(SoupServer) server = leap_test_server_new (&url);
  g_autoptr(LeapClient) client = leap_client_new (url);

  soup_server_add_handler (server, "/api/v1/sync", sync_handler, &state, NULL);

  leap_offline_cache_sync_async (f->cache, client, NULL, sync_cb, f);
  g_assert_true (leap_offline_cache_get_syncing (f->cache));
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
  g_assert_false (leap_offline_cache_get_syncing (f->cache));

  g_assert_cmpuint (state.since->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (state.since, 0), ==, "0");
  g_assert_cmpstr (g_ptr_array_index (state.since, 1), ==, "10");
  g_assert_cmpint (leap_offline_cache_get_cursor (f->cache), ==, 20);
  g_assert_cmpint (leap_offline_cache_get_synced_at (f->cache), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (leap_offline_cache_get_events (f->cache)), ==, 6);
  g_assert_cmpint (leap_event_get_capacity (event_at (f, 0)), ==, 600);
  g_assert_cmpuint (leap_client_get_connection (client), ==, LEAP_CONNECTION_ONLINE);

  /* The next sync goes on from the cursor. */
  f->done = FALSE;
  leap_offline_cache_sync_async (f->cache, client, NULL, sync_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_no_error (f->error);
  g_assert_cmpuint (state.since->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (state.since, 2), ==, "20");
  g_assert_cmpuint (g_list_model_get_n_items (leap_offline_cache_get_events (f->cache)), ==, 6);

  g_ptr_array_unref (state.since);
}

static void
test_sync_offline (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  g_autoptr(LeapClient) client = leap_client_new (url);

  g_assert_true (leap_offline_cache_apply_sync (f->cache, url, page, NULL));
  reload (f);

  f->done = FALSE;
  leap_offline_cache_sync_async (f->cache, client, NULL, sync_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));
  g_assert_error (f->error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_false (leap_offline_cache_get_syncing (f->cache));
  g_assert_cmpuint (leap_client_get_connection (client), ==, LEAP_CONNECTION_OFFLINE);

  /* What was cached is still there. */
  g_assert_cmpuint (g_list_model_get_n_items (leap_offline_cache_get_events (f->cache)), ==, 6);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/leap/offline-cache/apply", Fixture, NULL, fixture_set_up, test_apply,
              fixture_tear_down);
  g_test_add ("/leap/offline-cache/update-and-delete", Fixture, NULL, fixture_set_up,
              test_update_and_delete, fixture_tear_down);
  g_test_add ("/leap/offline-cache/other-server", Fixture, NULL, fixture_set_up,
              test_other_server, fixture_tear_down);
  g_test_add ("/leap/offline-cache/malformed", Fixture, NULL, fixture_set_up, test_malformed,
              fixture_tear_down);
  g_test_add ("/leap/offline-cache/tiers-and-availability", Fixture, NULL, fixture_set_up,
              test_tiers_and_availability, fixture_tear_down);
  g_test_add ("/leap/offline-cache/sync-paged", Fixture, NULL, fixture_set_up, test_sync_paged,
              fixture_tear_down);
  g_test_add ("/leap/offline-cache/sync-offline", Fixture, NULL, fixture_set_up,
              test_sync_offline, fixture_tear_down);

  return g_test_run ();
}
