/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cache-aside as the seed design says, against a real Redis: TTLs, hits
 * that never reach the database, invalidation, one load per key under a
 * rush, and correct answers while Redis is gone. */
#include "leap-test-backend.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *admin;
  gint64          event;
} Fixture;

static void
setup_with (Fixture *f,
            guint    near_cache_ms)
{
  g_autofree char *body = NULL;
  gint64 venue;

  leap_test_backend_setup (&f->tb, near_cache_ms);
  f->admin = leap_test_backend_login (&f->tb, "admin");
  venue = leap_test_backend_create (&f->tb, f->admin, "/api/v1/venues", "{\"name\": \"Hall\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Hamlet\", "
                          "\"starts_at\": \"2026-12-01T19:30:00Z\"}", venue);
  f->event = leap_test_backend_create (&f->tb, f->admin, "/api/v1/events", body);
  g_free (body);
  body = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", f->event);
  leap_test_backend_create (
      &f->tb, f->admin, body,
      "{\"name\": \"Stalls\", \"price\": 4500, \"currency\": \"EUR\", \"capacity\": 100}");
}

/* Without the near cache every read goes to Redis: what these tests measure. */
static void
setup (Fixture *f, gconstpointer data)
{
  setup_with (f, 0);
}

static void
setup_near (Fixture *f, gconstpointer data)
{
  setup_with (f, 60000);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_free (f->admin);
  leap_test_backend_teardown (&f->tb);
}

static char *
event_path (Fixture *f)
{
  return g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, f->event);
}

static gint64
ttl_of (Fixture    *f,
        const char *key)
{
  g_autofree char *ttl = leap_test_redis_cli (f->tb.redis, "TTL", key, NULL);
  return g_ascii_strtoll (ttl, NULL, 10);
}

static void
test_miss_sets_ttl (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = event_path (f);
  g_autofree char *event_key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:event", f->event);
  g_autofree char *pricing_key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:pricing",
                                                  f->event);
  g_autofree char *lists = NULL;
  gint64 ttl;

  g_assert_cmpint (ttl_of (f, event_key), ==, -2); /* no such key */
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);

  ttl = ttl_of (f, event_key);
  g_assert_cmpint (ttl, >=, 299);
  g_assert_cmpint (ttl, <=, 600);
  ttl = ttl_of (f, pricing_key);
  g_assert_cmpint (ttl, >=, 599);
  g_assert_cmpint (ttl, <=, 1800);

  leap_test_backend_call (&f->tb, "GET", "/api/v1/venues/1", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  ttl = ttl_of (f, "leap:{cat}:venue:1");
  g_assert_cmpint (ttl, >=, 3000);
  g_assert_cmpint (ttl, <=, 3600);

  leap_test_backend_call (&f->tb, "GET", "/api/v1/events?q=ham", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  lists = leap_test_redis_cli (f->tb.redis, "SMEMBERS", "leap:{cat}:events:", NULL);
  g_assert_true (g_str_has_prefix (lists, "leap:{cat}:events:"));
  ttl = ttl_of (f, lists);
  g_assert_cmpint (ttl, >=, 299);
  g_assert_cmpint (ttl, <=, 600);
}

static void
test_hit_skips_database (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = event_path (f);
  LeapStore *store = leap_backend_get_store (f->tb.backend);
  g_autofree char *first = NULL;
  guint64 before;
  LeapCacheStats stats;

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  first = g_strdup (reply.body);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/events", NULL, NULL, &reply);

  before = leap_store_get_query_count (store);
  for (guint i = 0; i < 20; i++)
    {
      leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      g_assert_cmpstr (reply.body, ==, first);
      leap_test_backend_call (&f->tb, "GET", "/api/v1/events", NULL, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
    }
  g_assert_cmpuint (leap_store_get_query_count (store), ==, before);
  leap_cache_get_stats (leap_backend_get_cache (f->tb.backend), &stats);
  g_assert_cmpuint (stats.hits, >=, 60);
}

static void
test_write_invalidates (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = event_path (f);
  g_autofree char *event_key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:event", f->event);
  g_autofree char *exists = NULL;

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/events", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "\"Hamlet\""));

  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, "{\"name\": \"Hamlet (matinee)\"}",
                          &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  exists = leap_test_redis_cli (f->tb.redis, "EXISTS", event_key, NULL);
  g_assert_cmpstr (exists, ==, "0");

  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "Hamlet (matinee)"));
  leap_test_backend_call (&f->tb, "GET", "/api/v1/events", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "Hamlet (matinee)"));
}

typedef struct
{
  guint  pending;
  guint  ok;
  char  *first;
} Rush;

static void
rush_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Rush *rush = user_data;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, NULL);

  if (bytes != NULL && g_bytes_get_size (bytes) > 0)
    {
      g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (rush->first == NULL)
        rush->first = g_steal_pointer (&body);
      else if (g_str_equal (rush->first, body))
        rush->ok++;
    }
  rush->pending--;
}

static gboolean
rush_done (gpointer data)
{
  return ((Rush *) data)->pending == 0;
}

/* Many clients miss the same key at once: the database is read once. */
static void
test_no_stampede (Fixture *f, gconstpointer data)
{
  g_autofree char *path = event_path (f);
  g_autofree char *url = leap_test_backend_url (&f->tb, path);
  g_autoptr(SoupSession) session =
    soup_session_new_with_options ("max-conns", 100, "max-conns-per-host", 100, NULL);
  LeapCacheStats before, after;
  Rush rush = { 50, 0, NULL };

  leap_cache_get_stats (leap_backend_get_cache (f->tb.backend), &before);
  for (guint i = 0; i < 50; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, rush_cb, &rush);
    }
  g_assert_true (leap_test_wait_until (rush_done, &rush, 30000));
  leap_cache_get_stats (leap_backend_get_cache (f->tb.backend), &after);

  g_assert_cmpuint (rush.ok, ==, 49);
  /* One load for the event and one for its pricing, not fifty each. */
  g_assert_cmpuint (after.loads - before.loads, ==, 2);
  g_free (rush.first);
}

static gboolean
fallbacks_seen (gpointer data)
{
  LeapCacheStats stats;

  leap_cache_get_stats (data, &stats);
  return stats.fallbacks > 0;
}

/* Redis goes away in the middle: answers stay right (from the database);
 * when it returns, reads go through the cache again. */
static void
test_redis_down (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = event_path (f);
  g_autofree char *before = NULL;
  g_autofree char *event_key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:event", f->event);
  g_autofree char *exists = NULL;
  LeapCacheStats stats;

  leap_test_allow_warnings ();
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  before = g_strdup (reply.body);

  leap_test_redis_kill (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);

  for (guint i = 0; i < 5; i++)
    {
      leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      g_assert_cmpstr (reply.body, ==, before);
    }
  g_assert_true (fallbacks_seen (leap_backend_get_cache (f->tb.backend)));

  /* Writes still work, and the reads that follow see them. */
  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, "{\"name\": \"Hamlet, Redis-less\"}",
                          &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "Hamlet, Redis-less"));
  leap_test_backend_call (&f->tb, "GET", "/api/v1/events", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "Hamlet, Redis-less"));
  leap_test_backend_call (&f->tb, "GET", "/readyz", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 503);
  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "leap_redis_up 0"));

  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);

  leap_cache_get_stats (leap_backend_get_cache (f->tb.backend), &stats);
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "Hamlet, Redis-less"));
  exists = leap_test_redis_cli (f->tb.redis, "EXISTS", event_key, NULL);
  g_assert_cmpstr (exists, ==, "1");
  leap_test_backend_call (&f->tb, "GET", path, NULL, NULL, &reply);
  {
    LeapCacheStats later;
    leap_cache_get_stats (leap_backend_get_cache (f->tb.backend), &later);
    g_assert_cmpuint (later.hits, >, stats.hits);
  }
  leap_test_backend_call (&f->tb, "GET", "/readyz", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
}

typedef struct
{
  LeapTestBackend *tb;
  const char      *path;
  const char      *needle;
} Seen;

static gboolean
other_sees (gpointer data)
{
  Seen *seen = data;
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (seen->tb, "GET", seen->path, NULL, NULL, &reply);
  return strstr (reply.body, seen->needle) != NULL;
}

/* A write through one backend reaches the near cache of another through
 * the invalidation channel. */
static void
test_invalidation_across_backends (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *path = event_path (f);
  LeapTestBackend other = { 0 };
  LeapBackendConfig config;
  g_autoptr(GError) error = NULL;
  Seen seen = { &other, path, "Hamlet, second run" };

  leap_backend_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strdup (f->tb.db_url);
  config.ticket_key = g_strdup (f->tb.ticket_key);
  config.session_key = g_strdup (f->tb.session_key);
  config.listen_port = 0;
  config.redis_port = f->tb.redis->port;
  config.near_cache_ms = 60000;
  other.backend = leap_backend_new (&config, &error);
  leap_backend_config_clear (&config);
  g_assert_no_error (error);
  g_assert_true (leap_backend_listen (other.backend, &error));
  other.base = g_strdup_printf ("http://127.0.0.1:%u", leap_backend_get_port (other.backend));
  other.session = soup_session_new ();
  leap_test_backend_wait_redis (&other, TRUE);

  /* The other backend now holds the event in its near cache for a minute. */
  leap_test_backend_call (&other, "GET", path, NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "\"Hamlet\""));
  leap_test_backend_call (&other, "GET", path, NULL, NULL, &reply);
  g_assert_nonnull (strstr (reply.body, "\"Hamlet\""));

  leap_test_backend_call (&f->tb, "PATCH", path, f->admin, "{\"name\": \"Hamlet, second run\"}",
                          &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_true (leap_test_wait_until (other_sees, &seen, 5000));

  g_clear_object (&other.session);
  g_clear_object (&other.backend);
  g_free (other.base);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add ("/leap/cache/miss-sets-ttl", Fixture, NULL, setup, test_miss_sets_ttl, teardown);
  g_test_add ("/leap/cache/hit-skips-database", Fixture, NULL, setup, test_hit_skips_database,
              teardown);
  g_test_add ("/leap/cache/write-invalidates", Fixture, NULL, setup, test_write_invalidates,
              teardown);
  g_test_add ("/leap/cache/no-stampede", Fixture, NULL, setup, test_no_stampede, teardown);
  g_test_add ("/leap/cache/redis-down", Fixture, NULL, setup, test_redis_down, teardown);
  g_test_add ("/leap/cache/invalidation-across-backends", Fixture, NULL, setup_near,
              test_invalidation_across_backends, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
