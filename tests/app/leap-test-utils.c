/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-test-utils.h"

#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gtk/gtk.h>

#include "leap-json.h"
#include "leap-offline-cache.h"

/* The start of the day @days_from_today after today, in local time, plus
 * @hour:@minute, as Unix time. */
gint64
leap_test_today_at (int hour,
                    int minute,
                    int days_from_today)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) day = g_date_time_new_local (g_date_time_get_year (now),
                                                    g_date_time_get_month (now),
                                                    g_date_time_get_day_of_month (now),
                                                    hour, minute, 0);
  g_autoptr(GDateTime) then = g_date_time_add_days (day, days_from_today);

  return g_date_time_to_unix (then);
}

static void
add_event (GString    *json,
           gint64      id,
           gint64      venue_id,
           const char *name,
           const char *description,
           gint64      starts_at,
           gint64      ends_at,
           const char *status)
{
  g_autofree char *starts = leap_time_format (starts_at);
  /* 0: three hours after it starts */
  g_autofree char *ends = leap_time_format (ends_at ? ends_at : starts_at + 3 * 3600);

  g_string_append_printf (json,
                          "%s{\"id\": %" G_GINT64_FORMAT ", \"venue_id\": %" G_GINT64_FORMAT ", "
                          "\"name\": \"%s\", \"description\": \"%s\", \"starts_at\": \"%s\", "
                          "\"ends_at\": \"%s\", \"status\": \"%s\", "
                          "\"created_at\": \"2026-01-01T00:00:00Z\", "
                          "\"updated_at\": \"2026-01-01T00:00:00Z\"}",
                          json->str[json->len - 1] == '[' ? "" : ", ",
                          id, venue_id, name, description, starts, ends, status);
}

static void
add_tier (GString    *json,
          gint64      id,
          gint64      event_id,
          const char *name,
          gint64      price,
          gint64      capacity)
{
  g_string_append_printf (json,
                          "%s{\"id\": %" G_GINT64_FORMAT ", \"event_id\": %" G_GINT64_FORMAT ", "
                          "\"name\": \"%s\", \"price\": %" G_GINT64_FORMAT
                          ", \"currency\": \"EUR\", "
                          "\"capacity\": %" G_GINT64_FORMAT ", \"max_per_order\": 10}",
                          json->str[json->len - 1] == '[' ? "" : ", ", id, event_id, name, price,
                          capacity);
}

/* A catalogue like the demo's: two venues, events today, tomorrow and in
 * the coming weeks, one cancelled, and one long past (that the cache must
 * not list). Venues are in UTC so that tests do not depend on the zone. */
JsonObject *
leap_test_demo_page (void)
{
  g_autoptr(GString) json = g_string_new (NULL);

  g_string_append (json,
                   "{\"cursor\": 42, \"more\": false, \"venues\": ["
                   "{\"id\": 1, \"name\": \"Grand Theatre\", \"city\": \"Vienna\", "
                   "\"timezone\": \"UTC\", \"capacity\": 800},"
                   "{\"id\": 2, \"name\": \"Blue Note Cellar\", \"city\": \"Vienna\", "
                   "\"timezone\": \"UTC\", \"capacity\": 120}], \"events\": [");
  /* Hamlet is the next show at any hour of the day the tests run: it goes
   * on until midnight, so the window opens on it also late at night. */
  add_event (json, 1, 1, "Hamlet", "Shakespeare's tragedy in a new staging.",
             leap_test_today_at (19, 30, 0), leap_test_today_at (23, 59, 0), "on_sale");
  add_event (json, 2, 2, "Late Night Jazz", "A trio from Oslo.",
             leap_test_today_at (21, 0, 0), 0, "on_sale");
  add_event (json, 3, 1, "The Magic Flute", "Mozart's opera for the whole family.",
             leap_test_today_at (18, 0, 1), 0, "on_sale");
  add_event (json, 4, 2, "Swing Dance Evening", "Lessons at 19:00, band at 20:00.",
             leap_test_today_at (20, 0, 3), 0, "on_sale");
  add_event (json, 5, 1, "Swan Lake", "The Vienna State Ballet.",
             leap_test_today_at (19, 0, 12), 0, "on_sale");
  add_event (json, 6, 1, "Cancelled Concert", "Moved to next season.",
             leap_test_today_at (20, 0, 5), 0, "cancelled");
  add_event (json, 7, 1, "Last Year's Gala", "Long over.",
             leap_test_today_at (20, 0, -400), 0, "on_sale");
  g_string_append (json, "], \"tiers\": [");
  add_tier (json, 11, 1, "Stalls", 4500, 300);
  add_tier (json, 12, 1, "Balcony", 3000, 200);
  add_tier (json, 13, 1, "Standing", 1500, 100);
  add_tier (json, 21, 2, "Entry", 2200, 120);
  add_tier (json, 31, 3, "Stalls", 5500, 300);
  add_tier (json, 32, 3, "Children", 1200, 100);
  add_tier (json, 41, 4, "Dance floor", 1800, 120);
  add_tier (json, 51, 5, "Premium", 9500, 100);
  add_tier (json, 52, 5, "Stalls", 6500, 400);
  g_string_append (json, "], \"offers\": [{\"id\": 1, \"event_id\": 1, \"name\": \"Students\", "
                   "\"kind\": \"percent\", \"value\": 20}], \"deleted\": []}");

  return leap_json_parse_object (json->str, json->len, NULL);
}

char *
leap_test_make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("leap-app-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
leap_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  if ((dir = g_dir_open (path, 0, NULL)) != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          leap_test_rm_rf (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

/* A loopback port that nobody listens on right now. */
guint16
leap_test_free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

typedef struct
{
  gboolean timed_out;
} Deadline;

static gboolean
deadline_cb (gpointer user_data)
{
  ((Deadline *) user_data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the main context until @condition holds or @timeout_ms pass.
 * A ticker wakes the loop every few milliseconds, so conditions that no
 * main-loop event signals (a port that starts to listen) are seen too. */
gboolean
leap_test_wait_for (LeapTestCondition condition,
                    gpointer          user_data,
                    guint             timeout_ms)
{
  Deadline deadline = { FALSE };
  guint id = g_timeout_add (timeout_ms, deadline_cb, &deadline);
  guint tick = g_timeout_add (10, tick_cb, NULL);
  gboolean ok;

  while (!(ok = condition (user_data)) && !deadline.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!deadline.timed_out)
    g_source_remove (id);
  g_source_remove (tick);
  return ok;
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

gboolean
leap_test_wait_flag (gboolean *flag,
                     guint     timeout_ms)
{
  return leap_test_wait_for (flag_set, flag, timeout_ms);
}

/* A libsoup server on a free loopback port of the test's main context;
 * @base_url gets its address, e.g. http://127.0.0.1:40123. */
SoupServer *
leap_test_server_new (char **base_url)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_assert_nonnull (uris);
  *base_url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g_steal_pointer (&server);
}

void
leap_test_reply_json (SoupServerMessage *msg,
                      guint              status,
                      const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  if (json != NULL)
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json,
                                      strlen (json));
}

/* The stack of the app tests. */

#define STACK_TIMEOUT_MS 20000

static gboolean
port_open (gpointer user_data)
{
  guint16 port = GPOINTER_TO_UINT (user_data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

/* The servers end with the test program, even when it aborts. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GSubprocess *
spawnv (GSubprocessFlags   flags,
        GPtrArray         *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_ptr_array_add (args, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static const char *
worker_path (void)
{
  static char *path = NULL;
  const char *root = g_getenv ("LEAP_BUILD_ROOT");

  if (path == NULL && root != NULL)
    path = g_build_filename (root, "backend", "leap-worker", NULL);
  return path;
}

static void
create_user (LeapTestStack *stack,
             const char    *name,
             const char    *role)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autoptr(GSubprocess) create = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strdup_printf ("%s\n", stack->password);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (args, (gpointer) g_getenv ("LEAP_BACKEND"));
  g_ptr_array_add (args, "--database");
  g_ptr_array_add (args, stack->database);
  g_ptr_array_add (args, "--redis");
  g_ptr_array_add (args, stack->redis_addr);
  g_ptr_array_add (args, "--create-user");
  g_ptr_array_add (args, (gpointer) name);
  g_ptr_array_add (args, "--role");
  g_ptr_array_add (args, (gpointer) role);
  create = spawnv (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                   G_SUBPROCESS_FLAGS_STDERR_PIPE, args);
  g_subprocess_communicate_utf8 (create, input, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (create))
    g_error ("leap-backend --create-user failed: %s", err);
}

/* Starts redis-server, makes the users (pairs of name and role, all with
 * @password) and starts leap-backend with the demo catalogue. FALSE, with
 * @stack->skip saying why, when a program is missing: the tests then skip.
 * The worker is started apart (leap_test_stack_start_worker ()), with the
 * options of its card terminal. */
gboolean
leap_test_stack_start (LeapTestStack      *stack,
                       LeapTestStackFlags  flags,
                       const char         *password,
                       const char         *first_user,
                       ...)
{
  const char *backend = g_getenv ("LEAP_BACKEND");
  g_autofree char *redis_server = g_find_program_in_path ("redis-server");
  g_autofree char *redis_port = NULL;
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *name;
  guint16 rport;
  va_list ap;

  memset (stack, 0, sizeof *stack);
  if (backend == NULL || !g_file_test (backend, G_FILE_TEST_IS_EXECUTABLE))
    {
      stack->skip = "leap-backend is not built";
      return FALSE;
    }
  if ((flags & LEAP_TEST_STACK_WORKER) != 0 &&
      (worker_path () == NULL || !g_file_test (worker_path (), G_FILE_TEST_IS_EXECUTABLE)))
    {
      stack->skip = "leap-worker is not built";
      return FALSE;
    }
  if (redis_server == NULL)
    {
      stack->skip = "redis-server is not installed";
      return FALSE;
    }

  stack->dir = leap_test_make_tmpdir ();
  stack->password = g_strdup (password);
  rport = leap_test_free_port ();
  redis_port = g_strdup_printf ("%u", rport);
  g_ptr_array_add (args, redis_server);
  g_ptr_array_add (args, "--port");
  g_ptr_array_add (args, redis_port);
  g_ptr_array_add (args, "--bind");
  g_ptr_array_add (args, "127.0.0.1");
  g_ptr_array_add (args, "--save");
  g_ptr_array_add (args, "");
  g_ptr_array_add (args, "--appendonly");
  g_ptr_array_add (args, "no");
  g_ptr_array_add (args, "--dir");
  g_ptr_array_add (args, stack->dir);
  stack->redis = spawnv (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, args);
  g_assert_true (leap_test_wait_for (port_open, GUINT_TO_POINTER (rport), STACK_TIMEOUT_MS));

  stack->redis_addr = g_strdup_printf ("127.0.0.1:%u", rport);
  stack->db_path = g_build_filename (stack->dir, "leap.db", NULL);
  stack->database = g_strdup_printf ("sqlite:%s", stack->db_path);
  va_start (ap, first_user);
  for (name = first_user; name != NULL; name = va_arg (ap, const char *))
    create_user (stack, name, va_arg (ap, const char *));
  va_end (ap);

  stack->listen = g_strdup_printf ("127.0.0.1:%u", leap_test_free_port ());
  stack->url = g_strdup_printf ("http://%s", stack->listen);
  leap_test_stack_start_backend (stack);
  return TRUE;
}

/* (Again) on the same port and database, and waits until it listens. */
void
leap_test_stack_start_backend (LeapTestStack *stack)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  guint16 port = (guint16) g_ascii_strtoull (strrchr (stack->listen, ':') + 1, NULL, 10);

  g_assert_null (stack->backend);
  g_ptr_array_add (args, (gpointer) g_getenv ("LEAP_BACKEND"));
  g_ptr_array_add (args, "--listen");
  g_ptr_array_add (args, stack->listen);
  g_ptr_array_add (args, "--redis");
  g_ptr_array_add (args, stack->redis_addr);
  g_ptr_array_add (args, "--database");
  g_ptr_array_add (args, stack->database);
  g_ptr_array_add (args, "--seed-demo");
  stack->backend = spawnv (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                           args);
  g_assert_true (leap_test_wait_for (port_open, GUINT_TO_POINTER (port), STACK_TIMEOUT_MS));
}

static void
stop_process (GSubprocess **process)
{
  if (*process == NULL)
    return;
  g_subprocess_force_exit (*process);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

void
leap_test_stack_stop_backend (LeapTestStack *stack)
{
  stop_process (&stack->backend);
}

/* Starts leap-worker as @consumer, with more options after it (e.g.
 * "--card-decline-rate", "1", NULL), in place of the one that runs. */
void
leap_test_stack_start_worker (LeapTestStack *stack,
                              const char    *consumer,
                              ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  const char *arg;
  va_list ap;

  leap_test_stack_stop_worker (stack);
  g_ptr_array_add (args, (gpointer) worker_path ());
  g_ptr_array_add (args, "--redis");
  g_ptr_array_add (args, stack->redis_addr);
  g_ptr_array_add (args, "--database");
  g_ptr_array_add (args, stack->database);
  g_ptr_array_add (args, "--consumer");
  g_ptr_array_add (args, (gpointer) consumer);
  va_start (ap, consumer);
  for (arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  stack->worker = spawnv (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                          args);
}

void
leap_test_stack_stop_worker (LeapTestStack *stack)
{
  stop_process (&stack->worker);
}

/* Stops every server and removes the folder; safe on a stack that did
 * not start. */
void
leap_test_stack_stop (LeapTestStack *stack)
{
  stop_process (&stack->worker);
  stop_process (&stack->backend);
  stop_process (&stack->redis);
  if (stack->dir != NULL)
    leap_test_rm_rf (stack->dir);
  g_clear_pointer (&stack->dir, g_free);
  g_clear_pointer (&stack->db_path, g_free);
  g_clear_pointer (&stack->database, g_free);
  g_clear_pointer (&stack->redis_addr, g_free);
  g_clear_pointer (&stack->listen, g_free);
  g_clear_pointer (&stack->url, g_free);
  g_clear_pointer (&stack->password, g_free);
}

typedef struct
{
  gboolean    done;
  JsonObject *root;
  GError     *error;
} Reply;

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Reply *reply = user_data;

  leap_client_sign_in_finish (LEAP_CLIENT (source), result, &reply->error);
  reply->done = TRUE;
}

/* A new client of the backend, signed in as @user (or asserts). */
LeapClient *
leap_test_stack_sign_in (LeapTestStack *stack,
                         const char    *user)
{
  return leap_test_stack_sign_in_at (stack, user, stack->url);
}

/* The same, through @url (a LeapTestRelay's). */
LeapClient *
leap_test_stack_sign_in_at (LeapTestStack *stack,
                            const char    *user,
                            const char    *url)
{
  LeapClient *client = leap_client_new (url);
  Reply reply = { 0 };

  leap_client_sign_in_async (client, user, stack->password, NULL, sign_in_cb, &reply);
  g_assert_true (leap_test_wait_flag (&reply.done, STACK_TIMEOUT_MS));
  g_assert_no_error (reply.error);
  return client;
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reply *reply = user_data;

  reply->root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &reply->error);
  reply->done = TRUE;
}

/* Sends @json (or nothing) and waits for the answer, which must be a
 * success; returns its object. */
JsonObject *
leap_test_send_now (LeapClient *client,
                    const char *method,
                    const char *path,
                    const char *json)
{
  g_autoptr(JsonObject) body = json ? leap_json_parse_object (json, -1, NULL) : NULL;
  Reply reply = { 0 };

  leap_client_send_async (client, method, path, body, NULL, send_cb, &reply);
  g_assert_true (leap_test_wait_flag (&reply.done, STACK_TIMEOUT_MS));
  g_assert_no_error (reply.error);
  return reply.root;
}

/* A show of its own two days ahead, in a new venue, made by @admin, with
 * the tiers given as JSON bodies; returns its id. */
gint64
leap_test_stack_make_event (LeapTestStack *stack,
                            const char    *admin,
                            const char    *name,
                            const char    *first_tier,
                            ...)
{
  g_autoptr(LeapClient) client = leap_test_stack_sign_in (stack, admin);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) starts = g_date_time_add_days (now, 2);
  g_autofree char *starts_text = g_date_time_format (starts, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *body = NULL;
  g_autofree char *tiers = NULL;
  g_autoptr(JsonObject) venue = NULL;
  g_autoptr(JsonObject) event = NULL;
  const char *tier;
  gint64 event_id;
  va_list ap;

  venue = leap_test_send_now (client, "POST", "/api/v1/venues",
                              "{\"name\": \"Leap Studio\", \"city\": \"Berlin\", "
                              "\"country\": \"DE\", \"timezone\": \"Europe/Berlin\", "
                              "\"capacity\": 500}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"%s\", "
                          "\"starts_at\": \"%s\", \"status\": \"on_sale\"}",
                          json_object_get_int_member (venue, "id"), name, starts_text);
  event = leap_test_send_now (client, "POST", "/api/v1/events", body);
  event_id = json_object_get_int_member (event, "id");
  tiers = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", event_id);
  va_start (ap, first_tier);
  for (tier = first_tier; tier != NULL; tier = va_arg (ap, const char *))
    json_object_unref (leap_test_send_now (client, "POST", tiers, tier));
  va_end (ap);
  return event_id;
}

/* Asserts that the database has order @order_id paid, for @total, with
 * exactly one payment, approved, by @method: charged once. */
void
leap_test_stack_assert_paid (LeapTestStack *stack,
                             const char    *order_id,
                             gint64         total,
                             const char    *method)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (stack->db_path, &db, SQLITE_OPEN_READONLY, NULL), ==,
                   SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT o.status, o.total, p.method, p.status "
                                       "FROM orders o JOIN payments p ON p.order_id = o.id "
                                       "WHERE o.id = ?", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "paid");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 1), ==, total);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, method);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 3), ==, "approved");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* The relay that loses an answer. */

typedef struct
{
  LeapTestRelay     *relay;
  SoupServerMessage *msg;
  gboolean           lose;
} Forward;

static void
forwarded_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Forward *fw = user_data;
  SoupMessage *upstream = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  if (fw->lose && body != NULL)
    {
      leap_test_stack_stop_backend (fw->relay->stack);
      fw->relay->backend_down = TRUE;
    }
  if (body == NULL || fw->lose)
    leap_test_reply_json (fw->msg, SOUP_STATUS_BAD_GATEWAY, NULL);
  else
    {
      const char *type = soup_message_headers_get_content_type (
          soup_message_get_response_headers (upstream), NULL);

      soup_server_message_set_status (fw->msg, soup_message_get_status (upstream), NULL);
      soup_server_message_set_response (fw->msg, type ? type : "application/json",
                                        SOUP_MEMORY_COPY, g_bytes_get_data (body, NULL),
                                        g_bytes_get_size (body));
    }
  soup_server_message_unpause (fw->msg);
  g_object_unref (fw->msg);
  g_free (fw);
}

static void
relay_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  static const char * const copied[] = { "Authorization", "Content-Type", "Idempotency-Key",
                                         "Accept", NULL };
  LeapTestRelay *relay = user_data;
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *url = g_strconcat (relay->stack->url, g_uri_get_path (uri),
                                      g_uri_get_query (uri) ? "?" : "",
                                      g_uri_get_query (uri) ? g_uri_get_query (uri) : "", NULL);
  g_autoptr(SoupMessage) upstream = soup_message_new (method, url);
  g_autoptr(GBytes) body = NULL;
  Forward *fw;

  if (relay->backend_down && g_str_equal (method, "GET") &&
      g_str_has_prefix (path, "/api/v1/orders/"))
    relay->gets_while_down++;
  for (guint i = 0; copied[i] != NULL; i++)
    {
      const char *value = soup_message_headers_get_one (
          soup_server_message_get_request_headers (msg), copied[i]);

      if (value != NULL)
        soup_message_headers_replace (soup_message_get_request_headers (upstream), copied[i],
                                      value);
    }
  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  if (g_bytes_get_size (body) > 0)
    soup_message_set_request_body_from_bytes (upstream, NULL, body);
  fw = g_new0 (Forward, 1);
  fw->relay = relay;
  fw->msg = g_object_ref (msg);
  fw->lose = relay->lose_post && g_str_equal (method, "POST") &&
             g_str_equal (path, "/api/v1/orders");
  if (fw->lose)
    relay->lose_post = FALSE;
  soup_server_message_pause (msg);
  soup_session_send_and_read_async (relay->session, upstream, G_PRIORITY_DEFAULT, NULL,
                                    forwarded_cb, fw);
}

/* Starts @relay in front of @stack's backend, on a free loopback port. */
void
leap_test_relay_start (LeapTestRelay *relay,
                       LeapTestStack *stack)
{
  memset (relay, 0, sizeof *relay);
  relay->stack = stack;
  relay->server = leap_test_server_new (&relay->url);
  relay->session = soup_session_new ();
  soup_server_add_handler (relay->server, NULL, relay_cb, relay, NULL);
}

/* A LeapTestCondition: the app asked for an order while the backend was
 * down. */
gboolean
leap_test_relay_asked_for_order (gpointer relay)
{
  return ((LeapTestRelay *) relay)->gets_while_down > 0;
}

void
leap_test_relay_restart_backend (LeapTestRelay *relay)
{
  leap_test_stack_start_backend (relay->stack);
  relay->backend_down = FALSE;
}

void
leap_test_relay_stop (LeapTestRelay *relay)
{
  if (relay->server != NULL)
    soup_server_disconnect (relay->server);
  g_clear_object (&relay->server);
  g_clear_object (&relay->session);
  g_clear_pointer (&relay->url, g_free);
}

/* What GNOME's settings daemon does for a desktop with high contrast and
 * larger text: libadwaita reads org.gnome.desktop.a11y.interface
 * high-contrast (here from the memory backend of the test), and the text
 * scaling factor reaches GTK as the font resolution (gtk-xft-dpi). */
void
leap_test_apply_shot_settings (void)
{
  const char *scale = g_getenv ("LEAP_SHOT_TEXT_SCALE");

  if (g_strcmp0 (g_getenv ("LEAP_SHOT_HIGH_CONTRAST"), "1") == 0)
    {
      GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
      g_autoptr(GSettingsSchema) schema = NULL;
      g_autoptr(GSettings) settings = NULL;

      schema = source ? g_settings_schema_source_lookup (source, "org.gnome.desktop.a11y.interface",
                                                         TRUE) : NULL;
      if (schema == NULL)
        g_error ("LEAP_SHOT_HIGH_CONTRAST needs gsettings-desktop-schemas");
      settings = g_settings_new ("org.gnome.desktop.a11y.interface");
      g_settings_set_boolean (settings, "high-contrast", TRUE);
    }
  if (scale != NULL)
    g_object_set (gtk_settings_get_default (), "gtk-xft-dpi",
                  (int) (96 * 1024 * g_ascii_strtod (scale, NULL)), NULL);
}

static void
find_widgets (GtkWidget *widget,
              GType      type,
              gboolean   mapped,
              GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && (!mapped || gtk_widget_get_mapped (widget)))
    g_ptr_array_add (out, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    find_widgets (child, type, mapped, out);
}

GPtrArray *
leap_test_find_widgets (gpointer root,
                        GType    type,
                        gboolean mapped)
{
  GPtrArray *out = g_ptr_array_new ();

  find_widgets (GTK_WIDGET (root), type, mapped, out);
  return out;
}

gpointer
leap_test_find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) &&
          gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* A log writer for display tests: GTK warns when a text field loses the
 * focus to another window without the window manager's focus-out event,
 * which never comes under a bare Xvfb; harmless there, so not fatal.
 * Everything else is written as by default. */
GLogWriterOutput
leap_test_log_writer (GLogLevelFlags   log_level,
                      const GLogField *fields,
                      gsize            n_fields,
                      gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        strstr (fields[i].value, "did not receive a focus-out event") != NULL)
      return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

typedef struct
{
  gboolean  done;
  GError   *error;
} Sync;

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Sync *sync = user_data;

  leap_offline_cache_sync_finish (LEAP_OFFLINE_CACHE (source), result, &sync->error);
  sync->done = TRUE;
}

static void
reload_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Sync *sync = user_data;

  leap_offline_cache_reload_finish (LEAP_OFFLINE_CACHE (source), result, &sync->error);
  sync->done = TRUE;
}

/* Reads @cache's file into its models; the test fails unless that succeeds
 * within @timeout_ms. */
void
leap_test_reload_cache (LeapOfflineCache *cache,
                        guint             timeout_ms)
{
  Sync sync = { FALSE, NULL };

  leap_offline_cache_reload_async (cache, NULL, reload_done_cb, &sync);
  g_assert_true (leap_test_wait_flag (&sync.done, timeout_ms));
  g_assert_no_error (sync.error);
}

/* Syncs @cache from @client; the test fails unless that succeeds within
 * @timeout_ms. */
void
leap_test_sync_cache (LeapOfflineCache *cache,
                      LeapClient       *client,
                      guint             timeout_ms)
{
  Sync sync = { FALSE, NULL };

  leap_offline_cache_sync_async (cache, client, NULL, sync_done_cb, &sync);
  g_assert_true (leap_test_wait_flag (&sync.done, timeout_ms));
  g_assert_no_error (sync.error);
}

static void
found_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GPtrArray **out = user_data;

  *out = leap_offline_cache_find_orders_finish (LEAP_OFFLINE_CACHE (source), result, NULL);
  g_assert_nonnull (*out);
}

/* The orders @cache finds for @text (all for "") since @since. */
GPtrArray *
leap_test_find_orders (LeapOfflineCache *cache,
                       const char       *text,
                       gint64            since)
{
  GPtrArray *found = NULL;

  leap_offline_cache_find_orders_async (cache, text, since, NULL, found_cb, &found);
  while (found == NULL)
    g_main_context_iteration (NULL, TRUE);
  return found;
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) kept = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source),
                                                                     result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (kept);
  *done = TRUE;
}

/* Keeps @order in @cache; the test fails unless that succeeds within
 * @timeout_ms. */
void
leap_test_save_order (LeapOfflineCache *cache,
                      JsonObject       *order,
                      guint             timeout_ms)
{
  gboolean done = FALSE;

  leap_offline_cache_save_order_async (cache, order, NULL, saved_cb, &done);
  g_assert_true (leap_test_wait_flag (&done, timeout_ms));
}

static void
paid_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  LeapTestPay *r = user_data;

  r->order = leap_checkout_pay_finish (LEAP_CHECKOUT (source), result, &r->placed, &r->error);
  r->done = TRUE;
}

/* Pays for @sale; the test fails unless the checkout finishes within
 * @timeout_ms. @result is the caller's, zeroed. */
void
leap_test_pay (LeapCheckout *checkout,
               JsonObject   *sale,
               LeapTestPay  *result,
               guint         timeout_ms)
{
  leap_checkout_pay_async (checkout, sale, NULL, paid_cb, result);
  g_assert_true (leap_test_wait_flag (&result->done, timeout_ms));
}

static gboolean
checked_in (gpointer user_data)
{
  return g_strcmp0 (leap_check_in_view_get_state (user_data), "checking") != 0;
}

/* Scans @code at @view and waits for its answer: the view's state. */
const char *
leap_test_check_in (LeapCheckInView *view,
                    const char      *code,
                    guint            timeout_ms)
{
  leap_check_in_view_check (view, code);
  g_assert_true (leap_test_wait_for (checked_in, view, timeout_ms));
  return leap_check_in_view_get_state (view);
}

gboolean
leap_test_file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* Takes @client (signed in). */
void
leap_test_counter_open (LeapTestCounter *counter,
                        LeapClient      *client,
                        const char      *cache_path,
                        guint            timeout_ms)
{
  g_autoptr(GError) error = NULL;

  counter->client = client;
  counter->cache = leap_offline_cache_new (cache_path, &error);
  g_assert_no_error (error);
  leap_test_sync_cache (counter->cache, counter->client, timeout_ms);
  counter->window = g_object_ref_sink (g_object_new (LEAP_TYPE_WINDOW, "client", counter->client,
                                                     "cache", counter->cache, NULL));
  gtk_window_present (GTK_WINDOW (counter->window));
}

void
leap_test_counter_close (LeapTestCounter *counter)
{
  gtk_window_destroy (GTK_WINDOW (counter->window));
  g_clear_object (&counter->window);
  g_clear_object (&counter->cache);
  g_clear_object (&counter->client);
}
