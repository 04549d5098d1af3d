/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-backend.h"
#include "leap-password.h"

static LeapTestRedis *global_redis;
static char *template_dir;
static char *template_url;
/* LEAP_TEST_STORE=postgresql: one server for the test program, a database
 * for each test, copied from a template that has the users. */
static LeapTestPg *pg;

static const char *roles[] = { "admin", "manager", "cashier", "kiosk" };

static guint hold_ttl_s = 600;
static guint guest_rate;           /* 0: the default */
static guint waiting_room_rate;    /* 0: the default */
static guint waiting_room_timeout_s;
static char **trusted_proxies;
static char *web_root;

/* For the backends set up from now on; NULL (the default) serves no shop. */
void
leap_test_backend_set_web_root (const char *dir)
{
  g_free (web_root);
  web_root = g_strdup (dir);
}

void
leap_test_backend_set_hold_ttl (guint seconds)
{
  hold_ttl_s = seconds;
}

/* For the backends set up from now on; 0 keeps the default. */
void
leap_test_backend_set_guest_rate (guint per_minute)
{
  guest_rate = per_minute;
}

/* For the backends set up from now on; 0 keeps the default. */
void
leap_test_backend_set_waiting_room (guint rate,
                                    guint timeout_s)
{
  waiting_room_rate = rate;
  waiting_room_timeout_s = timeout_s;
}

/* For the backends set up from now on; NULL (the default) for none. */
void
leap_test_backend_set_trusted_proxies (const char * const *cidrs)
{
  g_strfreev (trusted_proxies);
  trusted_proxies = g_strdupv ((char **) cidrs);
}

gboolean
leap_test_backend_is_pg (void)
{
  return g_strcmp0 (g_getenv ("LEAP_TEST_STORE"), "postgresql") == 0;
}

LeapTestPg *
leap_test_backend_get_pg (void)
{
  return pg;
}

/* The URL of another, empty database on the tests' store. */
char *
leap_test_backend_new_db (LeapTestBackend *tb)
{
  static guint n;
  g_autofree char *name = NULL;

  if (pg != NULL)
    return leap_test_pg_create_db (pg);
  name = g_strdup_printf ("other-%u.db", ++n);
  return g_strconcat ("sqlite:", tb->dir, "/", name, NULL);
}

static LeapBackend *
new_backend (const char *db_url,
             const char *dir,
             guint       near_cache_ms)
{
  LeapBackendConfig config;
  g_autoptr(GError) error = NULL;
  LeapBackend *backend;

  leap_backend_config_init (&config);
  g_free (config.database_url);
  config.database_url = g_strdup (db_url);
  config.ticket_key = g_build_filename (dir, "leap.db.ticket-key", NULL);
  config.session_key = g_build_filename (dir, "leap.db.session-key", NULL);
  config.listen_port = 0;
  config.redis_port = global_redis->port;
  config.near_cache_ms = near_cache_ms;
  config.hold_ttl_s = hold_ttl_s;
  if (guest_rate > 0)
    config.guest_rate = guest_rate;
  if (waiting_room_rate > 0)
    config.waiting_room_rate = waiting_room_rate;
  if (waiting_room_timeout_s > 0)
    config.waiting_room_timeout_s = waiting_room_timeout_s;
  g_strfreev (config.cors_origins);
  config.cors_origins = g_strsplit ("https://shop.example", ",", -1);
  if (trusted_proxies != NULL)
    {
      g_strfreev (config.trusted_proxies);
      config.trusted_proxies = g_strdupv (trusted_proxies);
    }
  config.web_root = g_strdup (web_root);
  backend = leap_backend_new (&config, &error);
  leap_backend_config_clear (&config);
  g_assert_no_error (error);
  return backend;
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Users are made once (Argon2id is slow on purpose) in a template database
 * that each test copies. */
void
leap_test_backend_global_init (LeapTestRedis *redis)
{
  g_autoptr(LeapBackend) backend = NULL;
  g_autoptr(GError) error = NULL;
  LeapStore *store;

  g_assert_true (leap_password_init ());
  global_redis = redis;
  template_dir = leap_test_make_tmpdir ();
  if (leap_test_backend_is_pg ())
    {
      pg = g_new0 (LeapTestPg, 1);
      leap_test_pg_start (pg);
      template_url = leap_test_pg_create_db (pg);
    }
  else
    template_url = g_strconcat ("sqlite:", template_dir, "/template.db", NULL);
  backend = new_backend (template_url, template_dir, 0);
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autofree char *password = g_strconcat (roles[i], "-password", NULL);
      g_assert_cmpint (leap_sessions_create_user (leap_backend_get_sessions (backend), roles[i],
                                                  roles[i], password, &error),
                       >, 0);
      g_assert_no_error (error);
    }
  /* The store closes (and SQLite folds its log into the file each test
   * copies) once the calls the backend started in its pool have answered. */
  store = leap_backend_get_store (backend);
  g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &store);
  g_clear_object (&backend);
  g_assert_true (leap_test_wait_until (is_null, &store, 10000));
}

void
leap_test_backend_global_fini (void)
{
  if (pg != NULL)
    leap_test_pg_clear (pg);
  g_clear_pointer (&pg, g_free);
  leap_test_rmdir (template_dir);
  g_clear_pointer (&template_dir, g_free);
  g_clear_pointer (&template_url, g_free);
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
  g_autofree char *flushed = leap_test_redis_cli (global_redis, "FLUSHALL", NULL);

  g_assert_cmpstr (flushed, ==, "OK");
  tb->redis = global_redis;
  tb->dir = leap_test_make_tmpdir ();
  if (pg != NULL)
    tb->db_url = leap_test_pg_copy_db (pg, template_url);
  else
    {
      g_autofree char *contents = NULL;
      gsize len;

      tb->db_path = g_build_filename (tb->dir, "leap.db", NULL);
      tb->db_url = g_strconcat ("sqlite:", tb->db_path, NULL);
      g_assert_true (g_file_get_contents (template_url + strlen ("sqlite:"), &contents, &len,
                                          NULL));
      g_assert_true (g_file_set_contents (tb->db_path, contents, len, NULL));
    }
  /* Where the keys would be beside a SQLite file, on either store. */
  tb->ticket_key = g_build_filename (tb->dir, "leap.db.ticket-key", NULL);
  tb->session_key = g_build_filename (tb->dir, "leap.db.session-key", NULL);

  tb->backend = new_backend (tb->db_url, tb->dir, near_cache_ms);
  g_assert_true (leap_backend_listen (tb->backend, &error));
  g_assert_no_error (error);
  tb->base = g_strdup_printf ("http://127.0.0.1:%u", leap_backend_get_port (tb->backend));
  tb->session = soup_session_new_with_options ("timeout", 30, NULL);
  leap_test_backend_wait_redis (tb, TRUE);
}

/* Another backend on @tb's database and Redis, as a second process of a
 * cluster would be: its own port, the same keys. Torn down before @tb. */
void
leap_test_backend_setup_peer (LeapTestBackend *peer,
                              LeapTestBackend *tb)
{
  g_autoptr(GError) error = NULL;

  peer->redis = tb->redis;
  peer->dir = leap_test_make_tmpdir ();
  peer->db_url = g_strdup (tb->db_url);
  peer->ticket_key = g_strdup (tb->ticket_key);
  peer->session_key = g_strdup (tb->session_key);
  peer->backend = new_backend (tb->db_url, tb->dir, 1000);
  g_assert_true (leap_backend_listen (peer->backend, &error));
  g_assert_no_error (error);
  peer->base = g_strdup_printf ("http://127.0.0.1:%u", leap_backend_get_port (peer->backend));
  peer->session = soup_session_new_with_options ("timeout", 30, NULL);
  leap_test_backend_wait_redis (peer, TRUE);
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
  g_clear_pointer (&tb->db_url, g_free);
  g_clear_pointer (&tb->ticket_key, g_free);
  g_clear_pointer (&tb->session_key, g_free);
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

/* A new guest session's token. */
char *
leap_test_backend_guest (LeapTestBackend *tb)
{
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
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

void
leap_test_backend_refuse_deletes (LeapTestBackend *tb,
                                  const char      *table,
                                  gboolean         refuse)
{
  g_autoptr(LeapTestDb) db = leap_test_db_open (tb->db_url);

  if (leap_test_db_is_pg (db) && refuse)
    leap_test_db_exec (db, "CREATE OR REPLACE FUNCTION leap_test_refuse () RETURNS trigger "
                           "LANGUAGE plpgsql AS $$ BEGIN "
                           "RAISE EXCEPTION 'held up by the test'; END $$; "
                           "CREATE TRIGGER leap_test_refuse BEFORE DELETE ON %s "
                           "FOR EACH STATEMENT EXECUTE FUNCTION leap_test_refuse ()", table);
  else if (leap_test_db_is_pg (db))
    leap_test_db_exec (db, "DROP TRIGGER leap_test_refuse ON %s", table);
  else if (refuse)
    leap_test_db_exec (db, "CREATE TRIGGER leap_test_refuse BEFORE DELETE ON %s "
                           "BEGIN SELECT RAISE (ABORT, 'held up by the test'); END", table);
  else
    leap_test_db_exec (db, "DROP TRIGGER leap_test_refuse");
}

void
leap_test_backend_sql_unchecked (LeapTestBackend *tb,
                                 const char      *sql)
{
  g_autoptr(LeapTestDb) db = leap_test_db_open (tb->db_url);

  if (leap_test_db_is_pg (db))
    leap_test_db_exec (db, "DO $$ DECLARE c record; BEGIN "
                           "FOR c IN SELECT conrelid::regclass AS t, conname FROM pg_constraint "
                           "WHERE contype = 'c' AND connamespace = current_schema ()::regnamespace "
                           "LOOP EXECUTE format ('ALTER TABLE %%s DROP CONSTRAINT %%I', c.t, "
                           "c.conname); END LOOP; END $$");
  else
    leap_test_db_exec (db, "PRAGMA ignore_check_constraints = ON");
  leap_test_db_exec (db, "%s", sql);
}

GSubprocess *
leap_test_backend_spawn_worker (LeapTestBackend *tb,
                                const char      *consumer,
                                gboolean         allow_warnings,
                                ...)
{
  g_autofree char *path = g_build_filename (g_getenv ("LEAP_BUILD_ROOT"), "backend", "leap-worker",
                                            NULL);
  g_autofree char *redis_arg = g_strdup_printf ("127.0.0.1:%u", tb->redis->port);
  g_autoptr(GSubprocessLauncher) launcher = leap_test_launcher_new (
      g_getenv ("LEAP_TEST_WORKER_LOG")
          ? 0
          : G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *worker;
  const char *option;
  va_list args;

  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, "--redis");
  g_ptr_array_add (argv, redis_arg);
  g_ptr_array_add (argv, "--database");
  g_ptr_array_add (argv, tb->db_url);
  g_ptr_array_add (argv, "--ticket-key");
  g_ptr_array_add (argv, tb->ticket_key);
  g_ptr_array_add (argv, "--consumer");
  g_ptr_array_add (argv, (char *) consumer);
  va_start (args, allow_warnings);
  while ((option = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) option);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  if (allow_warnings)
    g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  worker = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return worker;
}

guint
leap_test_backend_try_hold (LeapTestBackend *tb,
                            const char      *token,
                            gint64           event,
                            gint64           tier,
                            guint            quantity,
                            char           **hold_id)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT
                                           ", \"items\": [{\"tier_id\": %" G_GINT64_FORMAT
                                           ", \"quantity\": %u}]}",
                                           event, tier, quantity);

  leap_test_backend_call (tb, "POST", "/api/v1/holds", token, body, &reply);
  if (hold_id != NULL)
    *hold_id = reply.status == 201 ? g_strdup (json_object_get_string_member (
                                         leap_test_reply_object (&reply), "hold_id"))
                                   : NULL;
  return reply.status;
}

char *
leap_test_backend_order (LeapTestBackend *tb,
                         const char      *token,
                         const char      *hold_id,
                         const char      *payment)
{
  g_autofree char *body = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": %s}", hold_id,
                                           payment);
  g_auto(LeapTestReply) reply = { 0 };

  leap_test_backend_call (tb, "POST", "/api/v1/orders", token, body, &reply);
  if (reply.status != 202)
    g_error ("POST /orders: %u %s", reply.status, reply.body);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "order_id"));
}

static gboolean
process_ended (gpointer data)
{
  return g_subprocess_get_identifier (data) == NULL;
}

static int
run_tool (char      **out,
          const char *program,
          const char *first_arg,
          ...)
{
  va_list args;
  int status;

  va_start (args, first_arg);
  status = leap_test_run_va (NULL, NULL, out, program, first_arg, args);
  va_end (args);
  return status;
}

void
leap_test_stop_process (GSubprocess **process,
                        int           signal_num)
{
  g_autofree char *pid = NULL;
  g_autofree char *gdb = NULL;

  if (*process == NULL)
    return;
  pid = g_strdup (g_subprocess_get_identifier (*process));
  g_subprocess_send_signal (*process, signal_num);
  if (pid != NULL && !leap_test_wait_until (process_ended, *process, 30000))
    {
      /* A program that does not stop when asked: say where it is stuck
       * (if gdb is there), rather than hang the test. */
      g_autofree char *stacks = NULL;

      if ((gdb = g_find_program_in_path ("gdb")) != NULL)
        run_tool (&stacks, gdb, "-p", pid, "-batch", "-ex", "thread apply all bt", NULL);
      g_subprocess_force_exit (*process);
      g_subprocess_wait (*process, NULL, NULL);
      g_error ("Process %s did not end within 30 s of signal %d:\n%s", pid, signal_num,
               stacks ? stacks : "(no gdb for its stacks)");
    }
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

/* Changes the database behind the backend's back, as another writer would. */
void
leap_test_backend_sql (LeapTestBackend *tb,
                       const char      *sql)
{
  g_autoptr (LeapTestDb) db = leap_test_db_open (tb->db_url);

  leap_test_db_exec (db, "%s", sql);
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
