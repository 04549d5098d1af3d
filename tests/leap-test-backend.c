/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-backend.h"
#include "leap-password.h"

#include <sqlite3.h>

static LeapTestRedis *global_redis;
static char *template_dir;
static char *template_db;

static const char *roles[] = { "admin", "manager", "cashier", "kiosk" };

static guint hold_ttl_s = 600;
static char **trusted_proxies;

void
leap_test_backend_set_hold_ttl (guint seconds)
{
  hold_ttl_s = seconds;
}

/* For the backends set up from now on; NULL (the default) for none. */
void
leap_test_backend_set_trusted_proxies (const char * const *cidrs)
{
  g_strfreev (trusted_proxies);
  trusted_proxies = g_strdupv ((char **) cidrs);
}

static LeapBackend *
new_backend (const char *db_path,
             guint       near_cache_ms)
{
  LeapBackendConfig config;
  g_autoptr(GError) error = NULL;
  LeapBackend *backend;

  leap_backend_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strconcat ("sqlite:", db_path, NULL);
  config.listen_port = 0;
  config.redis_port = global_redis->port;
  config.near_cache_ms = near_cache_ms;
  config.hold_ttl_s = hold_ttl_s;
  g_strfreev (config.cors_origins);
  config.cors_origins = g_strsplit ("https://shop.example", ",", -1);
  if (trusted_proxies != NULL)
    {
      g_strfreev (config.trusted_proxies);
      config.trusted_proxies = g_strdupv (trusted_proxies);
    }
  backend = leap_backend_new (&config, &error);
  leap_backend_config_clear (&config);
  g_assert_no_error (error);
  return backend;
}

/* Users are made once (Argon2id is slow on purpose) in a template database
 * that each test copies. */
void
leap_test_backend_global_init (LeapTestRedis *redis)
{
  g_autoptr(LeapBackend) backend = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (leap_password_init ());
  global_redis = redis;
  template_dir = leap_test_make_tmpdir ();
  template_db = g_build_filename (template_dir, "template.db", NULL);
  backend = new_backend (template_db, 0);
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autofree char *password = g_strconcat (roles[i], "-password", NULL);
      g_assert_cmpint (leap_sessions_create_user (leap_backend_get_sessions (backend), roles[i],
                                                  roles[i], password, &error),
                       >, 0);
      g_assert_no_error (error);
    }
}

void
leap_test_backend_global_fini (void)
{
  leap_test_rmdir (template_dir);
  g_clear_pointer (&template_dir, g_free);
  g_clear_pointer (&template_db, g_free);
}

static gboolean
redis_state_is (gpointer data)
{
  LeapTestBackend *tb = data;
  return leap_redis_is_connected (leap_backend_get_redis (tb->backend)) ==
         GPOINTER_TO_INT (g_object_get_data (G_OBJECT (tb->backend), "want"));
}

void
leap_test_backend_wait_redis (LeapTestBackend *tb,
                              gboolean         connected)
{
  g_object_set_data (G_OBJECT (tb->backend), "want", GINT_TO_POINTER (connected));
  g_assert_true (leap_test_wait_until (redis_state_is, tb, 15000));
}

void
leap_test_backend_setup (LeapTestBackend *tb,
                         guint            near_cache_ms)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  g_autofree char *flushed = leap_test_redis_cli (global_redis, "FLUSHALL", NULL);

  g_assert_cmpstr (flushed, ==, "OK");
  tb->redis = global_redis;
  tb->dir = leap_test_make_tmpdir ();
  tb->db_path = g_build_filename (tb->dir, "leap.db", NULL);
  g_assert_true (g_file_get_contents (template_db, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (tb->db_path, contents, len, NULL));

  tb->backend = new_backend (tb->db_path, near_cache_ms);
  g_assert_true (leap_backend_listen (tb->backend, &error));
  g_assert_no_error (error);
  tb->base = g_strdup_printf ("http://127.0.0.1:%u", leap_backend_get_port (tb->backend));
  tb->session = soup_session_new_with_options ("timeout", 30, NULL);
  leap_test_backend_wait_redis (tb, TRUE);
}

void
leap_test_backend_teardown (LeapTestBackend *tb)
{
  g_clear_object (&tb->session);
  g_clear_object (&tb->backend);
  /* Let idle sources of the disposed objects run before the next test. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  leap_test_rmdir (tb->dir);
  g_clear_pointer (&tb->dir, g_free);
  g_clear_pointer (&tb->db_path, g_free);
  g_clear_pointer (&tb->base, g_free);
}

char *
leap_test_backend_url (LeapTestBackend *tb,
                       const char      *path)
{
  return g_strconcat (tb->base, path, NULL);
}

void
leap_test_backend_call (LeapTestBackend *tb,
                        const char      *method,
                        const char      *path,
                        const char      *token,
                        const char      *body,
                        LeapTestReply   *reply)
{
  g_autofree char *url = leap_test_backend_url (tb, path);
  leap_test_http (tb->session, method, url, token, body, reply);
}

char *
leap_test_backend_login (LeapTestBackend *tb,
                         const char      *role)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s-password\"}",
                                           role, role);

  leap_test_backend_call (tb, "POST", "/api/v1/sessions", NULL, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
}

gint64
leap_test_backend_create (LeapTestBackend *tb,
                          const char      *token,
                          const char      *path,
                          const char      *body)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (tb, "POST", path, token, body, &reply);
  if (reply.status != 201)
    g_error ("POST %s: %u %s", path, reply.status, reply.body);
  return json_object_get_int_member (leap_test_reply_object (&reply), "id");
}

/* Changes the database behind the backend's back, as another writer would. */
void
leap_test_backend_sql (LeapTestBackend *tb,
                       const char      *sql)
{
  sqlite3 *db = NULL;
  char *errmsg = NULL;

  g_assert_cmpint (sqlite3_open (tb->db_path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_exec (db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("SQL failed: %s: %s", sql, errmsg);
  sqlite3_close (db);
}

static gint64
db_int_v (sqlite3    *db,
          const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

gint64
leap_test_db_int (sqlite3    *db,
                  const char *format,
                  ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return db_int_v (db, sql);
}

typedef struct
{
  sqlite3    *db;
  const char *sql;
  gint64      want;
} DbWait;

static gboolean
db_reaches (gpointer data)
{
  DbWait *w = data;

  return db_int_v (w->db, w->sql) == w->want;
}

void
leap_test_wait_db (sqlite3    *db,
                   gint64      want,
                   guint       timeout_ms,
                   const char *format,
                   ...)
{
  g_autofree char *sql = NULL;
  DbWait w = { db, NULL, want };
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  w.sql = sql;
  if (!leap_test_wait_until (db_reaches, &w, timeout_ms))
    g_error ("Waited %u ms for %s = %" G_GINT64_FORMAT ", have %" G_GINT64_FORMAT, timeout_ms, sql,
             want, db_int_v (db, sql));
}

gint64
leap_test_redis_hget (LeapTestRedis *redis,
                      gint64         event,
                      const char    *name,
                      gint64         tier)
{
  g_autofree char *key = g_strdup_printf ("leap:{ev:%" G_GINT64_FORMAT "}:%s", event, name);
  g_autofree char *field = g_strdup_printf ("%" G_GINT64_FORMAT, tier);
  g_autofree char *value = leap_test_redis_cli (redis, "HGET", key, field, NULL);

  return g_ascii_strtoll (value, NULL, 10);
}
