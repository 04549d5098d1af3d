/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Staff sessions written through to Redis and the database. */
#include "leap-test-backend.h"
#include "leap-password.h"

#include <string.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  leap_test_backend_setup (&f->tb, 1000);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  leap_test_backend_teardown (&f->tb);
}

static char *
redis_key_of (const char *token)
{
  g_autofree char *hash = leap_token_hash (token);
  return g_strconcat ("leap:session:", hash, NULL);
}

static char *
db_value (Fixture    *f,
          const char *sql)
{
  g_autoptr(GSubprocess) p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL,
                                               "sqlite3", f->tb.db_path, sql, NULL);
  g_autofree char *out = NULL;

  g_assert_nonnull (p);
  g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, NULL);
  return g_strchomp (g_steal_pointer (&out));
}

static void
test_write_through (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *token = NULL;
  g_autofree char *key = NULL;
  g_autofree char *cached = NULL;
  g_autofree char *ttl = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sql = NULL;
  JsonObject *object;

  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"cashier\", \"password\": \"cashier-password\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  object = leap_test_reply_object (&reply);
  token = g_strdup (json_object_get_string_member (object, "token"));
  g_assert_cmpuint (strlen (token), ==, 43); /* 256 bits in base64url */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "user"), "role"), ==, "cashier");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (object, "expires_at"), "Z"));

  /* In Redis, with the session's TTL, keyed by the token's hash. */
  key = redis_key_of (token);
  cached = leap_test_redis_cli (f->tb.redis, "GET", key, NULL);
  g_assert_nonnull (strstr (cached, "\"role\":\"cashier\""));
  ttl = leap_test_redis_cli (f->tb.redis, "TTL", key, NULL);
  g_assert_cmpint (g_ascii_strtoll (ttl, NULL, 10), >, 12 * 3600 - 60);

  /* In the database, and never the token itself. */
  hash = leap_token_hash (token);
  sql = g_strdup_printf ("SELECT count(*) FROM sessions WHERE token_hash = '%s' AND revoked_at IS NULL", hash);
  rows = db_value (f, sql);
  g_assert_cmpstr (rows, ==, "1");
  g_free (rows);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM sessions WHERE token_hash = '%s'", token);
  rows = db_value (f, sql);
  g_assert_cmpstr (rows, ==, "0");

  /* Redis loses everything: still signed in, and Redis is filled again. */
  g_free (cached);
  cached = leap_test_redis_cli (f->tb.redis, "FLUSHALL", NULL);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (leap_test_reply_object (&reply), "user"), "username"), ==, "cashier");
  g_free (cached);
  cached = leap_test_redis_cli (f->tb.redis, "EXISTS", key, NULL);
  g_assert_cmpstr (cached, ==, "1");

  /* Logout ends it in both, at once. */
  leap_test_backend_call (&f->tb, "DELETE", "/api/v1/sessions/current", token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);
  g_free (cached);
  cached = leap_test_redis_cli (f->tb.redis, "EXISTS", key, NULL);
  g_assert_cmpstr (cached, ==, "0");
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM sessions WHERE token_hash = '%s' AND revoked_at IS NOT NULL", hash);
  g_free (rows);
  rows = db_value (f, sql);
  g_assert_cmpstr (rows, ==, "1");
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  leap_test_backend_call (&f->tb, "DELETE", "/api/v1/sessions/current", token, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
}

static void
test_rate_limit (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  guint i;

  for (i = 0; i < 5; i++)
    {
      leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                              "{\"username\": \"manager\", \"password\": \"guess-guess\"}", &reply);
      g_assert_cmpuint (reply.status, ==, 401);
    }
  /* The account is locked for a while, even for the right password. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"manager\", \"password\": \"manager-password\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "rate_limited");
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (reply.headers, "Retry-After"), NULL, 10), >, 0);

  /* Other accounts are not locked by it. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"admin\", \"password\": \"admin-password\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);

  /* One address guessing many accounts is stopped too. */
  for (i = 0; i < 30 && reply.status != 429; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"username\": \"user%u\", \"password\": \"guess-guess\"}", i);
      leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL, body, &reply);
    }
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpuint (i, <=, 21);
}

static void
test_redis_down (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *before = leap_test_backend_login (&f->tb, "cashier");
  g_autofree char *during = NULL;

  leap_test_allow_warnings ();
  leap_test_redis_kill (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, FALSE);

  /* Sessions are read from the database; new ones can start. */
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", before, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  during = leap_test_backend_login (&f->tb, "admin");
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", during, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  leap_test_backend_call (&f->tb, "DELETE", "/api/v1/sessions/current", before, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 204);

  leap_test_redis_start (f->tb.redis);
  leap_test_backend_wait_redis (&f->tb, TRUE);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", during, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", before, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

  g_test_add ("/leap/sessions/write-through", Fixture, NULL, setup, test_write_through, teardown);
  g_test_add ("/leap/sessions/rate-limit", Fixture, NULL, setup, test_rate_limit, teardown);
  g_test_add ("/leap/sessions/redis-down", Fixture, NULL, setup, test_redis_down, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
