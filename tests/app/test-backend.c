/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <adwaita.h>

#include "leap-application.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-offline-cache.h"
#include "leap-test-utils.h"
#include "leap-tier.h"
#include "leap-window.h"

/* The box office against the real backend: a redis-server and a
 * leap-backend (with the demo catalogue and a cashier) are started on free
 * loopback ports in a temporary folder for this test program, and stopped
 * at its end. Skipped when either program is missing. */

#define TIMEOUT_MS 20000
#define PASSWORD "counter-42"

static struct
{
  char        *dir;
  char        *url;
  char        *password_file;
  GSubprocess *redis;
  GSubprocess *backend;
  const char  *skip;
} world;

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Result;

static gboolean
port_open (gpointer user_data)
{
  guint16 port = GPOINTER_TO_UINT (user_data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

static gboolean
start_world (void)
{
  const char *backend = g_getenv ("LEAP_BACKEND");
  g_autofree char *redis_server = g_find_program_in_path ("redis-server");
  g_autofree char *redis_port = NULL;
  g_autofree char *redis_addr = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *database = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) create = NULL;
  g_autoptr(GError) error = NULL;
  guint16 rport, bport;

  if (backend == NULL || !g_file_test (backend, G_FILE_TEST_IS_EXECUTABLE))
    {
      world.skip = "leap-backend is not built";
      return FALSE;
    }
  if (redis_server == NULL)
    {
      world.skip = "redis-server is not installed";
      return FALSE;
    }

  world.dir = leap_test_make_tmpdir ();
  rport = leap_test_free_port ();
  redis_port = g_strdup_printf ("%u", rport);
  world.redis = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, redis_server,
                                  "--port", redis_port, "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", world.dir, NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_for (port_open, GUINT_TO_POINTER (rport), TIMEOUT_MS));

  redis_addr = g_strdup_printf ("127.0.0.1:%u", rport);
  database = g_strdup_printf ("sqlite:%s/leap.db", world.dir);

  create = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, backend,
                             "--database", database, "--redis", redis_addr,
                             "--create-user", "cashier", "--role", "cashier", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (create, PASSWORD "\n", NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (create))
    g_error ("leap-backend --create-user failed: %s", err);

  bport = leap_test_free_port ();
  listen = g_strdup_printf ("127.0.0.1:%u", bport);
  world.backend = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                    &error, backend, "--listen", listen, "--redis", redis_addr,
                                    "--database", database, "--seed-demo", NULL);
  g_assert_no_error (error);
  g_assert_true (leap_test_wait_for (port_open, GUINT_TO_POINTER (bport), TIMEOUT_MS));
  world.url = g_strdup_printf ("http://%s", listen);

  world.password_file = g_build_filename (world.dir, "password", NULL);
  g_file_set_contents (world.password_file, PASSWORD "\n", -1, &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
stop_world (void)
{
  if (world.backend != NULL)
    {
      g_subprocess_force_exit (world.backend);
      g_subprocess_wait (world.backend, NULL, NULL);
    }
  if (world.redis != NULL)
    {
      g_subprocess_force_exit (world.redis);
      g_subprocess_wait (world.redis, NULL, NULL);
    }
  g_clear_object (&world.backend);
  g_clear_object (&world.redis);
  leap_test_rm_rf (world.dir);
  g_clear_pointer (&world.dir, g_free);
  g_clear_pointer (&world.url, g_free);
  g_clear_pointer (&world.password_file, g_free);
}

static gboolean
skip_without_world (void)
{
  if (world.skip == NULL)
    return FALSE;
  g_test_skip (world.skip);
  return TRUE;
}

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Result *r = user_data;

  r->ok = leap_client_sign_in_finish (LEAP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Result *r = user_data;

  r->ok = leap_client_resume_finish (LEAP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
sign_out_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Result *r = user_data;

  r->ok = leap_client_sign_out_finish (LEAP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static void
reset (Result *r)
{
  r->done = r->ok = FALSE;
  g_clear_error (&r->error);
}

static void
test_sign_in (void)
{
  g_autoptr(LeapClient) client = NULL;
  g_autofree char *token = NULL;
  Result r = { 0 };

  if (skip_without_world ())
    return;
  client = leap_client_new (world.url);

  leap_client_sign_in_async (client, "cashier", "not the password", NULL, sign_in_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_error (r.error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (r.error->message, !=, "");
  g_assert_false (leap_client_get_signed_in (client));

  reset (&r);
  leap_client_sign_in_async (client, "cashier", PASSWORD, NULL, sign_in_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  g_assert_true (leap_client_get_signed_in (client));
  g_assert_cmpstr (leap_client_get_username (client), ==, "cashier");
  g_assert_cmpstr (leap_client_get_role (client), ==, "cashier");
  token = g_strdup (leap_client_get_token (client));

  /* The token works from a fresh client, as after a restart. */
  {
    g_autoptr(LeapClient) again = leap_client_new (world.url);

    reset (&r);
    leap_client_resume_async (again, token, NULL, resume_cb, &r);
    g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
    g_assert_no_error (r.error);
    g_assert_cmpstr (leap_client_get_username (again), ==, "cashier");
  }

  reset (&r);
  leap_client_sign_out_async (client, NULL, sign_out_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);

  /* And no longer after the sign-out. */
  {
    g_autoptr(LeapClient) again = leap_client_new (world.url);

    reset (&r);
    leap_client_resume_async (again, token, NULL, resume_cb, &r);
    g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
    g_assert_error (r.error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED);
    g_assert_false (leap_client_get_signed_in (again));
  }
  g_clear_error (&r.error);
}

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->ok = leap_offline_cache_sync_finish (LEAP_OFFLINE_CACHE (source), result, &r->error);
  r->done = TRUE;
}

static void
tiers_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GPtrArray **tiers = user_data;

  *tiers = leap_offline_cache_list_tiers_finish (LEAP_OFFLINE_CACHE (source), result, NULL);
  if (*tiers == NULL)
    *tiers = g_ptr_array_new ();
}

static gboolean
not_null (gpointer user_data)
{
  return *(gpointer *) user_data != NULL;
}

static void
test_sync (void)
{
  g_autoptr(LeapClient) client = NULL;
  g_autoptr(LeapOfflineCache) cache = NULL;
  g_autoptr(GPtrArray) tiers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(LeapEvent) first = NULL;
  gint64 cursor;
  GListModel *events;
  Result r = { 0 };

  if (skip_without_world ())
    return;
  client = leap_client_new (world.url);
  path = g_build_filename (world.dir, "cache-sync.db", NULL);
  cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);

  /* The public catalogue syncs without signing in. */
  leap_offline_cache_sync_async (cache, client, NULL, sync_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  events = leap_offline_cache_get_events (cache);
  g_assert_cmpuint (g_list_model_get_n_items (events), >, 0);
  cursor = leap_offline_cache_get_cursor (cache);
  g_assert_cmpint (cursor, >, 0);
  g_assert_cmpuint (leap_client_get_connection (client), ==, LEAP_CONNECTION_ONLINE);

  first = g_list_model_get_item (events, 0);
  g_assert_nonnull (leap_event_get_venue_name (first));
  g_assert_cmpint (leap_event_get_capacity (first), >, 0);
  leap_offline_cache_list_tiers_async (cache, leap_event_get_id (first), NULL, tiers_cb, &tiers);
  g_assert_true (leap_test_wait_for (not_null, &tiers, TIMEOUT_MS));
  g_assert_cmpuint (tiers->len, >, 0);
  g_assert_cmpuint (strlen (leap_tier_get_currency (g_ptr_array_index (tiers, 0))), ==, 3);

  /* Nothing changed: the next sync goes on from the cursor. */
  reset (&r);
  leap_offline_cache_sync_async (cache, client, NULL, sync_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  g_assert_cmpint (leap_offline_cache_get_cursor (cache), >=, cursor);
}

typedef struct
{
  GApplication *app;
  gint64        deadline;
  gboolean      signed_in;
  gboolean      online;
  gboolean      listed;
  gboolean      tiles;
} AppCheck;

static gboolean
app_check_cb (gpointer user_data)
{
  AppCheck *check = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (check->app));

  if (LEAP_IS_WINDOW (window))
    {
      LeapWindow *w = LEAP_WINDOW (window);
      LeapClient *client = leap_window_get_client (w);

      check->signed_in = leap_client_get_signed_in (client) &&
                         g_strcmp0 (leap_client_get_username (client), "cashier") == 0;
      check->online = g_str_has_prefix (leap_window_get_status_text (w), "Online · synced");
      check->listed = g_list_model_get_n_items (leap_event_list_get_shown (leap_window_get_event_list (w))) > 0;
      check->tiles = leap_event_page_get_n_tiles (leap_window_get_event_page (w)) > 0;
    }
  if ((check->signed_in && check->online && check->listed && check->tiles) ||
      g_get_monotonic_time () > check->deadline)
    {
      g_application_quit (check->app);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* The start command of the README: the app signs in unattended, syncs,
 * lists the events and opens the next show. */
static void
test_app_unattended (void)
{
  g_autoptr(LeapApplication) app = NULL;
  g_autofree char *cache_path = NULL;
  AppCheck check = { 0 };
  char *argv[] = { "leap-boxoffice", "--server", world.url, "--user", "cashier",
                   "--password-file", world.password_file, NULL };

  if (skip_without_world ())
    return;

  cache_path = g_build_filename (world.dir, "cache-app.db", NULL);
  g_setenv ("LEAP_CACHE_DB", cache_path, TRUE);
  app = leap_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  check.app = G_APPLICATION (app);
  check.deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  g_timeout_add (50, app_check_cb, &check);

  g_assert_cmpint (g_application_run (G_APPLICATION (app), G_N_ELEMENTS (argv) - 1, argv), ==, 0);
  g_assert_true (check.signed_in);
  g_assert_true (check.online);
  g_assert_true (check.listed);
  g_assert_true (check.tiles);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/leap/backend/sign-in", test_sign_in);
  g_test_add_func ("/leap/backend/sync", test_sync);
  g_test_add_func ("/leap/backend/app-unattended", test_app_unattended);

  start_world ();
  status = g_test_run ();
  stop_world ();
  return status;
}
