/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <signal.h>

#include <adwaita.h>
#include <glib-unix.h>

#include "leap-application.h"
#include "leap-cart-view.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-offline-cache.h"
#include "leap-test-utils.h"
#include "leap-tier.h"
#include "leap-tier-tile.h"
#include "leap-json.h"
#include "leap-window.h"

/* The box office against the real backend: a redis-server and a
 * leap-backend (with the demo catalogue and a cashier) are started on free
 * loopback ports in a temporary folder for this test program, and stopped
 * at its end. Skipped when either program is missing. */

#define TIMEOUT_MS 20000
#define PASSWORD "counter-42"

static struct
{
  LeapTestStack stack;
  char         *password_file;
  gint64        sale_event_id;
} world;

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Result;

static gboolean
start_world (void)
{
  g_autoptr(GError) error = NULL;

  if (!leap_test_stack_start (&world.stack, LEAP_TEST_STACK_NONE, PASSWORD,
                              "cashier", "cashier", "boss", "admin", NULL))
    return FALSE;
  world.password_file = g_build_filename (world.stack.dir, "password", NULL);
  g_file_set_contents (world.password_file, PASSWORD "\n", -1, &error);
  g_assert_no_error (error);
  return TRUE;
}

static void
stop_world (void)
{
  leap_test_stack_stop (&world.stack);
  g_clear_pointer (&world.password_file, g_free);
}

static gboolean
skip_without_world (void)
{
  if (world.stack.skip == NULL)
    return FALSE;
  g_test_skip (world.stack.skip);
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
release_result_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Result *r = user_data;

  r->ok = leap_client_release_hold_finish (LEAP_CLIENT (source), result, &r->error);
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
  client = leap_client_new (world.stack.url);

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
    g_autoptr(LeapClient) again = leap_client_new (world.stack.url);

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
    g_autoptr(LeapClient) again = leap_client_new (world.stack.url);

    reset (&r);
    leap_client_resume_async (again, token, NULL, resume_cb, &r);
    g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
    g_assert_error (r.error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED);
    g_assert_false (leap_client_get_signed_in (again));
  }
  g_clear_error (&r.error);
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

  if (skip_without_world ())
    return;
  client = leap_client_new (world.stack.url);
  path = g_build_filename (world.stack.dir, "cache-sync.db", NULL);
  cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);

  /* The public catalogue syncs without signing in. */
  leap_test_sync_cache (cache, client, TIMEOUT_MS);
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
  leap_test_sync_cache (cache, client, TIMEOUT_MS);
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
      check->listed = g_list_model_get_n_items (
                          leap_event_list_get_shown (leap_window_get_event_list (w))) > 0;
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
  char *argv[] = { "leap-boxoffice", "--server", world.stack.url, "--user", "cashier",
                   "--password-file", world.password_file, NULL };

  if (skip_without_world ())
    return;

  cache_path = g_build_filename (world.stack.dir, "cache-app.db", NULL);
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


/* Selling: a window signed in as the cashier, on its own cache, showing
 * the next show with live counts; and a second session, as another
 * counter would be, that holds tickets of its own. */

/* Well under the 15 s of the polling fallback: a change that arrives
 * within it came over the WebSocket. */
#define LIVE_MS 5000

typedef struct
{
  LeapClient       *client;
  LeapClient       *other;
  LeapOfflineCache *cache;
  LeapWindow       *window;
  GPtrArray        *other_holds;
} Sale;

typedef struct
{
  gboolean    done;
  JsonObject *hold;
  GError     *error;
} HoldResult;

static void
hold_result_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HoldResult *r = user_data;

  if (g_async_result_is_tagged (result, leap_client_create_hold_async))
    r->hold = leap_client_create_hold_finish (LEAP_CLIENT (source), result, &r->error);
  else
    r->hold = leap_client_get_hold_finish (LEAP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static JsonObject *
hold_now (LeapClient *client,
          gint64      event_id,
          gint64      tier_id,
          gint64      quantity,
          GError    **error)
{
  g_autoptr(JsonArray) items = json_array_new ();
  g_autofree char *key = g_uuid_string_random ();
  JsonObject *item = json_object_new ();
  HoldResult r = { 0 };

  json_object_set_int_member (item, "tier_id", tier_id);
  json_object_set_int_member (item, "quantity", quantity);
  json_array_add_object_element (items, item);
  leap_client_create_hold_async (client, event_id, items, key, NULL, hold_result_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.hold;
}

static JsonObject *
get_hold_now (LeapClient *client,
              const char *hold_id)
{
  HoldResult r = { 0 };

  leap_client_get_hold_async (client, hold_id, NULL, hold_result_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  return r.hold;
}

static void
release_now (LeapClient *client,
             const char *hold_id)
{
  Result r = { 0 };

  leap_client_release_hold_async (client, hold_id, NULL, release_result_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
}

static void
sign_in_now (LeapClient *client)
{
  Result r = { 0 };

  leap_client_sign_in_async (client, "cashier", PASSWORD, NULL, sign_in_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
}

typedef struct
{
  gboolean    done;
  JsonObject *root;
  GError     *error;
} ApiResult;

static void
api_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  ApiResult *r = user_data;

  r->root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

static gint64
post_now (LeapClient *client,
          const char *path,
          const char *json)
{
  g_autoptr(JsonObject) body = leap_json_parse_object (json, -1, NULL);
  ApiResult r = { 0 };
  gint64 id;

  g_assert_nonnull (body);
  leap_client_send_async (client, "POST", path, body, NULL, api_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  id = json_object_get_int_member (r.root, "id");
  json_object_unref (r.root);
  return id;
}

/* A show of its own, made through the API as an admin would, so that its
 * tiers are counted in Redis: "Stalls" with plenty and "Box" with six. */
static void
make_sale_event (void)
{
  g_autoptr(LeapClient) admin = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) starts = g_date_time_add_days (now, 3);
  g_autofree char *starts_text = g_date_time_format (starts, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *event = NULL;
  g_autofree char *tiers_path = NULL;
  Result r = { 0 };
  gint64 venue_id;

  if (world.sale_event_id != 0)
    return;
  admin = leap_client_new (world.stack.url);
  leap_client_sign_in_async (admin, "boss", PASSWORD, NULL, sign_in_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);

  venue_id = post_now (admin, "/api/v1/venues",
                       "{\"name\": \"Leap Studio\", \"city\": \"Berlin\", \"country\": \"DE\", "
                       "\"timezone\": \"Europe/Berlin\", \"capacity\": 500}");
  event = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"The Nutcracker\", "
                           "\"starts_at\": \"%s\", \"status\": \"on_sale\"}",
                           venue_id, starts_text);
  world.sale_event_id = post_now (admin, "/api/v1/events", event);
  tiers_path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", world.sale_event_id);
  post_now (admin, tiers_path, "{\"name\": \"Stalls\", \"price\": 4500, \"currency\": \"EUR\", "
                               "\"capacity\": 200, \"max_per_order\": 10}");
  post_now (admin, tiers_path, "{\"name\": \"Box\", \"price\": 9000, \"currency\": \"EUR\", "
                               "\"capacity\": 6, \"max_per_order\": 4}");
}

static gboolean
sale_ready (gpointer user_data)
{
  Sale *sale = user_data;
  LeapEventPage *page = leap_window_get_event_page (sale->window);
  guint n = leap_event_page_get_n_tiles (page);

  if (n == 0 || !leap_client_get_live (sale->client))
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (!leap_tier_tile_get_live (leap_event_page_get_tile (page, i)))
      return FALSE;
  return TRUE;
}

static void
sale_set_up (Sale          *sale,
             gconstpointer  data)
{
  static guint counter;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (world.stack.skip != NULL)
    return;

  make_sale_event ();
  sale->client = leap_client_new (world.stack.url);
  sign_in_now (sale->client);
  sale->other = leap_client_new (world.stack.url);
  sign_in_now (sale->other);
  sale->other_holds = g_ptr_array_new_with_free_func (g_free);

  path = g_strdup_printf ("%s/cache-sale-%u.db", world.stack.dir, ++counter);
  sale->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  leap_test_sync_cache (sale->cache, sale->client, TIMEOUT_MS);

  sale->window = g_object_ref_sink (g_object_new (LEAP_TYPE_WINDOW,
                                                  "client", sale->client,
                                                  "cache", sale->cache,
                                                  NULL));
  gtk_window_present (GTK_WINDOW (sale->window));

  /* The show made for these tests. */
  {
    LeapEventList *list = leap_window_get_event_list (sale->window);
    GListModel *shown = leap_event_list_get_shown (list);
    gboolean found = FALSE;

    for (guint i = 0; !found && i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);

        if (leap_event_get_id (event) == world.sale_event_id)
          {
            leap_event_list_select_position (list, i);
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  g_assert_true (leap_test_wait_for (sale_ready, sale, TIMEOUT_MS));
}

static void
sale_tear_down (Sale          *sale,
                gconstpointer  data)
{
  if (world.stack.skip != NULL)
    return;
  for (guint i = 0; i < sale->other_holds->len; i++)
    release_now (sale->other, g_ptr_array_index (sale->other_holds, i));
  gtk_window_destroy (GTK_WINDOW (sale->window));
  g_clear_object (&sale->window);
  g_clear_object (&sale->cache);
  g_clear_object (&sale->client);
  g_clear_object (&sale->other);
  g_clear_pointer (&sale->other_holds, g_ptr_array_unref);
}

/* Whether the button for @action in @widget's tree can be pressed. */
static gboolean
action_button_sensitive (GtkWidget  *widget,
                         const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return gtk_widget_is_sensitive (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (action_button_sensitive (child, action))
      return TRUE;
  return FALSE;
}

typedef struct
{
  LeapTier *tier;
  gint64    available;
} AvailableIs;

static gboolean
available_is (gpointer user_data)
{
  AvailableIs *check = user_data;

  return leap_tier_get_available (check->tier) == check->available;
}

static gboolean
wait_available (LeapTier *tier,
                gint64    available,
                guint     timeout_ms)
{
  AvailableIs check = { tier, available };

  return leap_test_wait_for (available_is, &check, timeout_ms);
}

static gboolean
has_hold (gpointer user_data)
{
  LeapWindow *window = user_data;
  const char *text = leap_cart_view_get_hold_text (leap_window_get_cart_view (window));

  /* A failure says so in the cart: end the wait then, and tell. */
  if (text != NULL &&
      g_str_has_prefix (text, "The tickets could not be held"))
    {
      g_test_message ("%s", text);
      return TRUE;
    }
  return leap_window_get_hold_id (window) != NULL;
}

typedef struct
{
  LeapClient *client;
  const char *hold_id;
} ReleasedCheck;

static gboolean
hold_released (gpointer user_data)
{
  ReleasedCheck *check = user_data;
  g_autoptr(JsonObject) hold = get_hold_now (check->client, check->hold_id);

  return g_strcmp0 (leap_json_get_string (hold, "status", NULL), "released") == 0;
}

static gboolean
hold_text_has (gpointer user_data)
{
  gpointer *args = user_data;
  const char *text = leap_cart_view_get_hold_text (args[0]);

  return text != NULL && strstr (text, args[1]) != NULL;
}

/* Two tickets held: the server has the hold, the window counts down and
 * shows two fewer left; a changed cart is held anew and the old hold
 * given back; a cleared cart gives the tickets back. */
static void
test_sale_hold (Sale          *sale,
                gconstpointer  data)
{
  LeapEventPage *page;
  LeapCartView *cart;
  LeapTierTile *tile;
  LeapTier *tier;
  g_autoptr(JsonObject) hold = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  JsonArray *items;
  const char *text;
  gint64 before;

  if (skip_without_world ())
    return;
  page = leap_window_get_event_page (sale->window);
  cart = leap_window_get_cart_view (sale->window);
  tile = leap_event_page_get_tile (page, 0);
  tier = leap_tier_tile_get_tier (tile);
  before = leap_tier_get_available (tier);
  g_assert_cmpint (before, >=, 3);

  /* Without tickets there is nothing to hold. */
  g_assert_false (action_button_sensitive (GTK_WIDGET (sale->window), "win.hold"));

  leap_tier_tile_set_quantity (tile, 2);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 2);
  g_assert_true (action_button_sensitive (GTK_WIDGET (sale->window), "win.hold"));
  gtk_widget_activate_action (GTK_WIDGET (sale->window), "win.hold", NULL);
  g_assert_true (leap_test_wait_for (has_hold, sale->window, TIMEOUT_MS));
  first_id = g_strdup (leap_window_get_hold_id (sale->window));

  hold = get_hold_now (sale->client, first_id);
  g_assert_cmpstr (leap_json_get_string (hold, "status", NULL), ==, "held");
  items = json_object_get_array_member (hold, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, 0),
                                               "quantity"),
                   ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (items, 0), "tier_id"),
                   ==, leap_tier_get_id (tier));

  g_assert_true (wait_available (tier, before - 2, LIVE_MS));

  /* "Held · 9:59 left" (or 10:00 in the first second). */
  text = leap_cart_view_get_hold_text (cart);
  g_assert_nonnull (text);
  g_assert_true (g_str_has_prefix (text, "Held · 9:") || g_str_has_prefix (text, "Held · 10:00"));
  g_assert_true (g_str_has_suffix (text, " left"));
  g_assert_null (leap_cart_view_get_reason (cart));
  g_assert_true (action_button_sensitive (GTK_WIDGET (sale->window), "win.pay-cash"));
  g_assert_false (action_button_sensitive (GTK_WIDGET (sale->window), "win.hold"));

  /* One more: the cart is held again, the first hold given back. */
  leap_tier_tile_set_quantity (tile, 3);
  g_assert_null (leap_window_get_hold_id (sale->window));
  g_assert_true (leap_test_wait_for (has_hold, sale->window, TIMEOUT_MS));
  second_id = g_strdup (leap_window_get_hold_id (sale->window));
  g_assert_cmpstr (second_id, !=, first_id);
  {
    ReleasedCheck check = { sale->client, first_id };

    g_assert_true (leap_test_wait_for (hold_released, &check, TIMEOUT_MS));
  }
  g_assert_true (wait_available (tier, before - 3, LIVE_MS));

  /* Clear: the tickets go back. */
  gtk_widget_activate_action (GTK_WIDGET (sale->window), "win.new-sale", NULL);
  g_assert_null (leap_window_get_hold_id (sale->window));
  g_assert_null (leap_cart_view_get_hold_text (cart));
  {
    ReleasedCheck check = { sale->client, second_id };

    g_assert_true (leap_test_wait_for (hold_released, &check, TIMEOUT_MS));
  }
  g_assert_true (wait_available (tier, before, LIVE_MS));
}

/* Another counter's hold shows in this window over the WebSocket. */
static void
test_sale_live (Sale          *sale,
                gconstpointer  data)
{
  LeapEventPage *page;
  LeapEvent *event;
  LeapTier *tier;
  g_autoptr(JsonObject) hold = NULL;
  g_autoptr(GError) error = NULL;
  gint64 before;

  if (skip_without_world ())
    return;
  page = leap_window_get_event_page (sale->window);
  event = leap_event_page_get_event (page);
  tier = leap_tier_tile_get_tier (leap_event_page_get_tile (page, 0));
  before = leap_tier_get_available (tier);
  g_assert_true (leap_client_get_live (sale->client));

  hold = hold_now (sale->other, leap_event_get_id (event), leap_tier_get_id (tier), 3, &error);
  g_assert_no_error (error);
  g_assert_true (wait_available (tier, before - 3, LIVE_MS));

  release_now (sale->other, leap_json_get_string (hold, "hold_id", NULL));
  g_assert_true (wait_available (tier, before, LIVE_MS));
}

/* Someone else takes all but one while two are in the cart: holding
 * fails with a message that names the tier, and the cart stays. */
static void
test_sale_sold_out (Sale          *sale,
                    gconstpointer  data)
{
  LeapEventPage *page;
  LeapCartView *cart;
  LeapTierTile *tile;
  LeapTier *tier;
  LeapEvent *event;
  g_autofree char *expected = NULL;
  gpointer args[2];
  gint64 left;

  if (skip_without_world ())
    return;
  page = leap_window_get_event_page (sale->window);
  cart = leap_window_get_cart_view (sale->window);
  event = leap_event_page_get_event (page);
  tile = leap_event_page_get_tile (page, leap_event_page_get_n_tiles (page) - 1);
  tier = leap_tier_tile_get_tier (tile);

  leap_tier_tile_set_quantity (tile, 2);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 2);

  while ((left = leap_tier_get_available (tier)) > 1)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) hold = hold_now (sale->other, leap_event_get_id (event),
                                             leap_tier_get_id (tier),
                                             MIN (left - 1, leap_tier_get_max_per_order (tier)),
                                             &error);

      g_assert_no_error (error);
      g_ptr_array_add (sale->other_holds, g_strdup (leap_json_get_string (hold, "hold_id", NULL)));
      g_assert_true (wait_available (tier,
                                     left - MIN (left - 1, leap_tier_get_max_per_order (tier)),
                                     LIVE_MS));
    }
  g_assert_cmpint (leap_tier_get_available (tier), ==, 1);
  /* The cart is as the cashier made it. */
  g_assert_cmpuint (leap_tier_tile_get_quantity (tile), ==, 2);

  gtk_widget_activate_action (GTK_WIDGET (sale->window), "win.hold", NULL);
  expected = g_strdup_printf ("Only 1 ticket left in %s", leap_tier_get_name (tier));
  args[0] = cart;
  args[1] = expected;
  g_assert_true (leap_test_wait_for (hold_text_has, args, TIMEOUT_MS));
  g_assert_null (leap_window_get_hold_id (sale->window));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 2);

  /* The way on: one ticket fits. */
  leap_tier_tile_set_quantity (tile, 1);
  gtk_widget_activate_action (GTK_WIDGET (sale->window), "win.hold", NULL);
  g_assert_true (leap_test_wait_for (has_hold, sale->window, TIMEOUT_MS));
  g_assert_true (wait_available (tier, 0, LIVE_MS));
  gtk_widget_activate_action (GTK_WIDGET (sale->window), "win.new-sale", NULL);
  g_assert_true (wait_available (tier, 1, LIVE_MS));
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

/* Not a test: the screenshot of a cart with a live hold for the docs
 * (`test-backend --shot-hold`, see docs/screenshots). It opens the sale
 * window on a real backend, puts two Stalls and one Box in the cart, holds
 * them and stays open until it is sent SIGTERM or SIGINT. */
static int
shot_hold (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Sale sale = { 0 };
  LeapEventPage *page;

  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  if (!start_world ())
    {
      g_printerr ("%s\n", world.stack.skip);
      return 1;
    }
  /* The application loads its style sheet by itself; here there is none. */
  gtk_css_provider_load_from_resource (css, "/io/github/leapboxoffice/BoxOffice/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  sale_set_up (&sale, NULL);
  gtk_window_set_default_size (GTK_WINDOW (sale.window), 1280, 800);
  gtk_window_maximize (GTK_WINDOW (sale.window));
  page = leap_window_get_event_page (sale.window);
  for (guint i = 0; i < leap_event_page_get_n_tiles (page); i++)
    {
      LeapTierTile *tile = leap_event_page_get_tile (page, i);

      leap_tier_tile_set_quantity (tile,
                                   g_str_equal (leap_tier_get_name (leap_tier_tile_get_tier (tile)),
                                                "Stalls")
                                       ? 2
                                       : 1);
    }
  gtk_widget_activate_action (GTK_WIDGET (sale.window), "win.hold", NULL);
  g_assert_true (leap_test_wait_for (has_hold, sale.window, TIMEOUT_MS));

  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);

  sale_tear_down (&sale, NULL);
  stop_world ();
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  int status;

  if (argc == 2 && g_str_equal (argv[1], "--shot-hold"))
    {
      gtk_init ();
      adw_init ();
      return shot_hold ();
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/backend/sign-in", test_sign_in);
  g_test_add_func ("/leap/backend/sync", test_sync);
  g_test_add_func ("/leap/backend/app-unattended", test_app_unattended);
  g_test_add ("/leap/backend/sale-hold", Sale, NULL, sale_set_up, test_sale_hold, sale_tear_down);
  g_test_add ("/leap/backend/sale-live", Sale, NULL, sale_set_up, test_sale_live, sale_tear_down);
  g_test_add ("/leap/backend/sale-sold-out", Sale, NULL, sale_set_up, test_sale_sold_out,
              sale_tear_down);

  start_world ();
  status = g_test_run ();
  stop_world ();
  return status;
}
