/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Staff sessions written through to Redis and the database. */
#include "leap-test-backend.h"
#include "leap-password.h"
#include "leap-error.h"
#include "leap-request.h"

#include <glib/gstdio.h>

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
  g_autoptr(LeapTestDb) db = leap_test_db_open (f->tb.db_url);
  char *value = leap_test_db_text (db, "%s", sql);

  return value != NULL ? value : g_strdup ("");
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
                          "{\"username\": \"cashier\", \"password\": \"cashier-password\"}",
                          &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  object = leap_test_reply_object (&reply);
  token = g_strdup (json_object_get_string_member (object, "token"));
  g_assert_cmpuint (strlen (token), ==, 43); /* 256 bits in base64url */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "user"),
                                                  "role"),
                   ==, "cashier");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (object, "expires_at"), "Z"));

  /* In Redis, with the session's TTL, keyed by the token's hash. */
  key = redis_key_of (token);
  cached = leap_test_redis_cli (f->tb.redis, "GET", key, NULL);
  g_assert_nonnull (strstr (cached, "\"role\":\"cashier\""));
  ttl = leap_test_redis_cli (f->tb.redis, "TTL", key, NULL);
  g_assert_cmpint (g_ascii_strtoll (ttl, NULL, 10), >, 12 * 3600 - 60);

  /* In the database, and never the token itself. */
  hash = leap_token_hash (token);
  sql = g_strdup_printf (
      "SELECT count(*) FROM sessions WHERE token_hash = '%s' AND revoked_at IS NULL", hash);
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
  g_assert_cmpstr (json_object_get_string_member (
                       json_object_get_object_member (leap_test_reply_object (&reply), "user"),
                       "username"),
                   ==, "cashier");
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
  sql = g_strdup_printf (
      "SELECT count(*) FROM sessions WHERE token_hash = '%s' AND revoked_at IS NOT NULL", hash);
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
                          "{\"username\": \"manager\", \"password\": \"manager-password\"}",
                          &reply);
  g_assert_cmpuint (reply.status, ==, 429);
  g_assert_cmpstr (leap_test_error_code (&reply), ==, "rate_limited");
  g_assert_cmpint (g_ascii_strtoll (soup_message_headers_get_one (reply.headers, "Retry-After"),
                                    NULL, 10),
                   >, 0);

  /* Other accounts are not locked by it. */
  leap_test_backend_call (&f->tb, "POST", "/api/v1/sessions", NULL,
                          "{\"username\": \"admin\", \"password\": \"admin-password\"}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);

  /* One address guessing many accounts is stopped too. */
  for (i = 0; i < 30 && reply.status != 429; i++)
    {
      g_autofree char *body =
          g_strdup_printf ("{\"username\": \"user%u\", \"password\": \"guess-guess\"}", i);
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

typedef struct
{
  LeapTestRedis *redis;
  const char    *key;
  const char    *want;
} Cached;

static gboolean
cached_has (gpointer data)
{
  Cached *c = data;
  g_autofree char *value = leap_test_redis_cli (c->redis, "GET", c->key, NULL);

  return strstr (value, c->want) != NULL && strstr (value, "\"mac\":\"") != NULL;
}

/* Someone with write access to Redis (not the backend's key) writes a
 * session of their choosing: the backend must not believe it. */
static void
test_forged_cache (Fixture *f, gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *admin = leap_test_backend_login (&f->tb, "admin");
  g_autofree char *admin_key = redis_key_of (admin);
  g_autofree char *admin_cached = leap_test_redis_cli (f->tb.redis, "GET", admin_key, NULL);
  g_autofree char *expires = g_strdup_printf ("%" G_GINT64_FORMAT,
                                              g_get_real_time () / G_USEC_PER_SEC + 3600);
  g_autofree char *forged =
      g_strdup_printf ("{\"user_id\":1,\"username\":\"admin\",\"role\":\"admin\","
                       "\"expires_at\":%s}",
                       expires);
  g_autofree char *forged_mac =
      g_strdup_printf ("{\"user_id\":1,\"username\":\"admin\",\"role\":\"admin\","
                       "\"expires_at\":%s,\"mac\":\"%064d\"}",
                       expires, 0);
  g_autofree char *stranger = leap_token_new ();
  g_autofree char *stranger_key = redis_key_of (stranger);
  const char *forgeries[] = { forged, forged_mac, admin_cached };
  g_autofree char *out = NULL;

  leap_test_allow_warnings ();
  /* The cached sessions are signed. */
  g_assert_nonnull (strstr (admin_cached, "\"mac\":\""));

  for (guint i = 0; i < G_N_ELEMENTS (forgeries); i++)
    {
      /* A new sign-in each time: this process remembers a session it
       * checked for two seconds, and would not read Redis again. */
      g_autofree char *cashier = leap_test_backend_login (&f->tb, "cashier");
      g_autofree char *cashier_key = redis_key_of (cashier);
      Cached refilled = { f->tb.redis, cashier_key, "\"role\":\"cashier\"" };
      JsonObject *object;

      /* The cashier's own token, cached as an admin's: without a MAC, with
       * a wrong one, and with the admin's real (signed) entry copied over. */
      g_free (out);
      out = leap_test_redis_cli (f->tb.redis, "SET", cashier_key, forgeries[i], "EX", "3600", NULL);
      g_assert_cmpstr (out, ==, "OK");
      leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", cashier, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 200);
      object = leap_test_reply_object (&reply);
      g_assert_cmpstr (json_object_get_string_member (object, "role"), ==, "cashier");
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object,
                                                                                     "user"),
                                                      "username"),
                       ==, "cashier");
      /* Admin routes stay closed to it. */
      leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/dead-letters", cashier, NULL, &reply);
      g_assert_cmpuint (reply.status, ==, 403);
      /* Redis is refilled with the truth, signed. */
      g_assert_true (leap_test_wait_until (cached_has, &refilled, 5000));
    }

  /* A token the database never issued: refused, whatever Redis says. */
  g_free (out);
  out = leap_test_redis_cli (f->tb.redis, "SET", stranger_key, forged, "EX", "3600", NULL);
  g_assert_cmpstr (out, ==, "OK");
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", stranger, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);
  g_free (out);
  out = leap_test_redis_cli (f->tb.redis, "SET", stranger_key, admin_cached, "EX", "3600", NULL);
  leap_test_backend_call (&f->tb, "GET", "/api/v1/admin/dead-letters", stranger, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 401);

  /* The real admin is still an admin. */
  leap_test_backend_call (&f->tb, "GET", "/api/v1/sessions/current", admin, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (leap_test_reply_object (&reply), "role"), ==,
                   "admin");

  /* Monitoring sees the refused entries. */
  leap_test_backend_call (&f->tb, "GET", "/metrics", NULL, NULL, &reply);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_nonnull (strstr (reply.body, "\nleap_sessions_forged_total "));
  g_assert_null (strstr (reply.body, "\nleap_sessions_forged_total 0\n"));
}

/* The key is made once, next to the database, readable by its owner only,
 * and is what a second backend on the same database uses. */
static void
test_session_key_file (Fixture *f, gconstpointer data)
{
  const char *path = f->tb.session_key;
  g_autofree char *contents = NULL;
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpuint (strlen (g_strstrip (contents)), ==, 44); /* 32 bytes in base64 */
}

static void
test_client_address (void)
{
  g_autoptr(GError) error = NULL;
  const char *cidrs[] = { "127.0.0.1", "10.0.0.0/8", " fd00::/8 ", NULL };
  const char *bad[] = { "10.0.0.0/33", NULL };
  g_autoptr(GPtrArray) trusted = leap_request_parse_proxies (cidrs, &error);
  struct { const char *peer, *xff, *forwarded; gboolean trust; const char *want;
  } cases[] = {
    /* Not a trusted peer: the headers are the client's own words. */
    { "192.0.2.7", "198.51.100.1", NULL, TRUE, "192.0.2.7" },
    { "127.0.0.1", "198.51.100.1", NULL, FALSE, "127.0.0.1" },
    { "::ffff:192.0.2.7", NULL, NULL, FALSE, "192.0.2.7" },
    /* A trusted proxy: the right-most address that is not a proxy. */
    { "127.0.0.1", "198.51.100.1", NULL, TRUE, "198.51.100.1" },
    { "127.0.0.1", "6.6.6.6, 198.51.100.1", NULL, TRUE, "198.51.100.1" },
    { "127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", NULL, TRUE, "198.51.100.1" },
    { "127.0.0.1", "6.6.6.6,198.51.100.1,10.1.2.3", NULL, TRUE, "198.51.100.1" },
    { "::ffff:127.0.0.1", "198.51.100.1:4711", NULL, TRUE, "198.51.100.1" },
    { "127.0.0.1", "2001:db8::1", NULL, TRUE, "2001:db8::1" },
    { "fd12::1", "[2001:db8::1]:4711", NULL, TRUE, "2001:db8::1" },
    /* Only proxies: the first of them. */
    { "127.0.0.1", "10.0.0.1, 10.0.0.2", NULL, TRUE, "10.0.0.1" },
    /* Not an address: the last trusted hop before it. */
    { "127.0.0.1", "198.51.100.1, junk", NULL, TRUE, "127.0.0.1" },
    { "127.0.0.1", "junk, 10.0.0.9", NULL, TRUE, "10.0.0.9" },
    { "127.0.0.1", "", NULL, TRUE, "127.0.0.1" },
    /* RFC 7239, when there is no X-Forwarded-For. */
    { "127.0.0.1", NULL, "for=198.51.100.1;proto=https", TRUE, "198.51.100.1" },
    { "127.0.0.1", NULL, "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\"", TRUE,
      "2001:db8:cafe::17" },
    { "127.0.0.1", NULL, "For=198.51.100.1, for=10.0.0.1;by=10.0.0.2", TRUE, "198.51.100.1" },
    { "127.0.0.1", NULL, "for=unknown", TRUE, "127.0.0.1" },
    { "127.0.0.1", "198.51.100.1", "for=6.6.6.6", TRUE, "198.51.100.1" },
    { "192.0.2.7", NULL, "for=198.51.100.1", TRUE, "192.0.2.7" },
  };

  g_assert_no_error (error);
  g_assert_cmpuint (trusted->len, ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = leap_request_resolve_client (cases[i].peer, cases[i].xff,
                                                          cases[i].forwarded,
                                                          cases[i].trust ? trusted : NULL);

      g_test_message ("%s, X-Forwarded-For: %s, Forwarded: %s → %s", cases[i].peer, cases[i].xff,
                      cases[i].forwarded, got);
      g_assert_cmpstr (got, ==, cases[i].want);
    }
  g_assert_null (leap_request_parse_proxies (bad, &error));
  g_assert_error (error, LEAP_ERROR, LEAP_ERROR_INVALID);
}

/* Failed sign-ins from one address until it is limited, each a different
 * user (the per-user limit is lower); returns how many were answered
 * before the 429, or 0 if none was. */
static guint
fail_until_limited (Fixture    *f,
                    const char *forwarded_for)
{
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *url = leap_test_backend_url (&f->tb, "/api/v1/sessions");
      g_autofree char *body =
          g_strdup_printf ("{\"username\": \"user%u\", \"password\": \"guess-guess\"}", i);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      g_auto(LeapTestReply) reply = { 0 };

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      if (forwarded_for != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For",
                                      forwarded_for);
      leap_test_send (f->tb.session, msg, &reply);
      if (reply.status == 429)
        return i;
      g_assert_cmpuint (reply.status, ==, 401);
    }
  return 0;
}

static void
setup_behind_proxy (Fixture *f, gconstpointer data)
{
  const char *proxies[] = { "127.0.0.1/32", NULL };

  leap_test_backend_set_trusted_proxies (proxies);
  leap_test_backend_setup (&f->tb, 1000);
  leap_test_backend_set_trusted_proxies (NULL);
}

/* Behind a trusted proxy each client has its own sign-in budget, and one
 * that writes its own X-Forwarded-For still gets the address the proxy saw. */
static void
test_trusted_proxy (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (fail_until_limited (f, "203.0.113.5"), ==, 20);
  /* Another client through the same proxy is not limited by the first. */
  g_assert_cmpuint (fail_until_limited (f, "203.0.113.6"), ==, 20);
  /* The first, claiming to be someone else in front of the proxy. */
  g_assert_cmpuint (fail_until_limited (f, "198.51.100.1, 203.0.113.5"), ==, 0);
}

/* Without a trusted proxy the header is anyone's to write: ignored. */
static void
test_spoofed_forwarded_for (Fixture *f, gconstpointer data)
{
  guint i;

  for (i = 0; i < 30; i++)
    {
      g_autofree char *spoof = g_strdup_printf ("203.0.113.%u", i + 1);

      if (fail_until_limited (f, spoof) < 20)
        break;
    }
  /* The first address reached the limit at the 21st; every spoof after it
   * is limited at once. */
  g_assert_cmpuint (i, ==, 1);
  g_assert_cmpuint (fail_until_limited (f, "198.51.100.1"), ==, 0);
  g_assert_cmpuint (fail_until_limited (f, NULL), ==, 0);
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
  g_test_add ("/leap/sessions/forged-cache", Fixture, NULL, setup, test_forged_cache, teardown);
  g_test_add ("/leap/sessions/session-key-file", Fixture, NULL, setup, test_session_key_file,
              teardown);
  g_test_add_func ("/leap/sessions/client-address", test_client_address);
  g_test_add ("/leap/sessions/trusted-proxy", Fixture, NULL, setup_behind_proxy, test_trusted_proxy,
              teardown);
  g_test_add ("/leap/sessions/spoofed-forwarded-for", Fixture, NULL, setup,
              test_spoofed_forwarded_for, teardown);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
