/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <adwaita.h>

#include "leap-cart-view.h"
#include "leap-client.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-event-row.h"
#include "leap-format.h"
#include "leap-offline-cache.h"
#include "leap-sign-in-dialog.h"
#include "leap-test-utils.h"
#include "leap-tier-tile.h"
#include "leap-window.h"

#define TIMEOUT_MS 10000

typedef struct
{
  char             *dir;
  LeapOfflineCache *cache;
  LeapClient       *client;
  LeapWindow       *window;
  SoupServer       *server;
  char             *url;
  gboolean          done;
} Fixture;

static void
sync_handler (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  leap_test_reply_json (msg, 200, "{\"cursor\": 42, \"more\": false, \"events\": [], "
                        "\"deleted\": []}");
}

static void
availability_handler (SoupServer        *server,
                      SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query,
                      gpointer           user_data)
{
  if (g_str_equal (path, "/api/v1/events/1/availability"))
    leap_test_reply_json (msg, 200, "{\"event_id\": 1, \"tiers\": ["
                          "{\"tier_id\": 11, \"capacity\": 300, \"available\": 31},"
                          "{\"tier_id\": 12, \"capacity\": 200, \"available\": 0},"
                          "{\"tier_id\": 13, \"capacity\": 100, \"available\": 41}]}");
  else
    leap_test_reply_json (msg, 404, "{\"error\": {\"code\": \"not_found\", \"message\": \"No\"}}");
}

static void
sessions_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);

  if (strstr (g_bytes_get_data (bytes, NULL) ? (const char *) g_bytes_get_data (bytes, NULL) : "",
              "\"s3cret\"") != NULL)
    leap_test_reply_json (msg, 201, "{\"token\": \"tok\", \"user\": {\"id\": 3, "
                          "\"username\": \"anna\", \"role\": \"cashier\"}, "
                          "\"expires_at\": \"2030-01-01T00:00:00Z\"}");
  else
    leap_test_reply_json (msg, 401, "{\"error\": {\"code\": \"unauthorized\", "
                          "\"message\": \"Wrong user name or password\"}}");
}

/* Holds that run out two seconds after they are made. */
static void
holds_handler (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  if (g_str_equal (soup_server_message_get_method (msg), "POST"))
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr(GDateTime) expires = g_date_time_add_seconds (now, 2);
      g_autofree char *expires_text = g_date_time_format_iso8601 (expires);
      g_autofree char *json = g_strdup_printf ("{\"hold_id\": \"1-short\", \"event_id\": 1, "
                                               "\"status\": \"held\", \"expires_at\": \"%s\", "
                                               "\"items\": [], \"total\": 4500, "
                                               "\"currency\": \"EUR\"}", expires_text);

      leap_test_reply_json (msg, 201, json);
    }
  else
    soup_server_message_set_status (msg, 204, NULL);
}

/* The window on a cache filled with the demo catalogue. With @data
 * non-NULL a fake server answers sync and availability; otherwise the
 * client points at a port where nobody listens. */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autoptr(GError) error = NULL;

  f->dir = leap_test_make_tmpdir ();
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);

  if (data != NULL)
    {
      f->server = leap_test_server_new (&f->url);
      soup_server_add_handler (f->server, "/api/v1/sync", sync_handler, f, NULL);
      soup_server_add_handler (f->server, "/api/v1/events", availability_handler, f, NULL);
      soup_server_add_handler (f->server, "/api/v1/sessions", sessions_handler, f, NULL);
      soup_server_add_handler (f->server, "/api/v1/holds", holds_handler, f, NULL);
    }
  else
    f->url = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());

  g_assert_true (leap_offline_cache_apply_sync (f->cache, f->url, page, &error));
  g_assert_no_error (error);

  /* Open it again, as the app does at its next start. */
  g_clear_object (&f->cache);
  f->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  leap_test_reload_cache (f->cache, TIMEOUT_MS);

  f->client = leap_client_new (f->url);
  f->window = g_object_ref_sink (g_object_new (LEAP_TYPE_WINDOW,
                                               "client", f->client,
                                               "cache", f->cache,
                                               NULL));
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_clear_object (&f->client);
  g_clear_object (&f->cache);
  g_clear_object (&f->server);
  leap_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->url);
}

static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *out)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (out, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, out);
}

static GtkWidget *
find_action_button (Fixture    *f,
                    const char *action)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (GTK_WIDGET (f->window), GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_actionable_get_action_name (g_ptr_array_index (buttons, i)), action) == 0)
      return g_ptr_array_index (buttons, i);
  return NULL;
}

static gboolean
row_shown (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  collect (GTK_WIDGET (f->window), LEAP_TYPE_EVENT_ROW, rows);
  for (guint i = 0; i < rows->len; i++)
    {
      LeapEvent *event = leap_event_row_get_event (g_ptr_array_index (rows, i));

      if (event != NULL && g_str_equal (leap_event_get_name (event), "Hamlet") &&
          gtk_widget_get_mapped (g_ptr_array_index (rows, i)))
        return TRUE;
    }
  return FALSE;
}

static guint
n_shown (Fixture *f)
{
  return g_list_model_get_n_items (
      leap_event_list_get_shown (leap_window_get_event_list (f->window)));
}

static void
test_event_list (Fixture       *f,
                 gconstpointer  data)
{
  LeapEventList *list = leap_window_get_event_list (f->window);
  g_autoptr(LeapEvent) first = NULL;

  /* Today first: the list opens on the cache, Hamlet at the top. */
  g_assert_true (leap_test_wait_for (row_shown, f, TIMEOUT_MS));
  g_assert_cmpuint (n_shown (f), ==, 6);
  first = g_list_model_get_item (leap_event_list_get_shown (list), 0);
  g_assert_cmpstr (leap_event_get_name (first), ==, "Hamlet");

  /* The next show that has not ended is open at once. */
  {
    LeapEvent *next = leap_event_list_get_selected_event (list);
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    GListModel *shown = leap_event_list_get_shown (list);

    g_assert_nonnull (next);
    g_assert_true (leap_event_page_get_event (leap_window_get_event_page (f->window)) == next);
    g_assert_cmpint (leap_event_get_ends_at (next), >, now);
    for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);

        if (event == next)
          break;
        g_assert_cmpint (leap_event_get_ends_at (event), <=, now);
      }
  }

  leap_event_list_set_search_text (list, "HAML");
  g_assert_cmpuint (n_shown (f), ==, 1);
  leap_event_list_set_search_text (list, "grand theatre");
  g_assert_cmpuint (n_shown (f), ==, 4);
  leap_event_list_set_search_text (list, "oslo");
  g_assert_cmpuint (n_shown (f), ==, 1);
  leap_event_list_set_search_text (list, "no such show");
  g_assert_cmpuint (n_shown (f), ==, 0);
  leap_event_list_set_search_text (list, "");
  g_assert_cmpuint (n_shown (f), ==, 6);

  leap_event_list_set_date_filter (list, "today");
  g_assert_cmpstr (leap_event_list_get_date_filter (list), ==, "today");
  g_assert_cmpuint (n_shown (f), ==, 2);
  leap_event_list_set_date_filter (list, "tomorrow");
  g_assert_cmpuint (n_shown (f), ==, 1);
  leap_event_list_set_date_filter (list, "week");
  g_assert_cmpuint (n_shown (f), ==, 5);
  leap_event_list_set_date_filter (list, "month");
  g_assert_cmpuint (n_shown (f), ==, 6);
  leap_event_list_set_date_filter (list, "upcoming");
  g_assert_cmpuint (n_shown (f), ==, 6);
}

static gboolean
tiles_loaded (gpointer user_data)
{
  Fixture *f = user_data;

  return leap_event_page_get_n_tiles (leap_window_get_event_page (f->window)) == 3;
}

static gboolean
status_offline (gpointer user_data)
{
  Fixture *f = user_data;

  return g_str_has_prefix (leap_window_get_status_text (f->window), "Offline");
}

static void
test_select_offline (Fixture       *f,
                     gconstpointer  data)
{
  LeapEventList *list = leap_window_get_event_list (f->window);
  LeapEventPage *page = leap_window_get_event_page (f->window);
  LeapCartView *cart = leap_window_get_cart_view (f->window);
  LeapTierTile *stalls;
  GtkWidget *cash;
  LeapMoney total;
  g_autofree char *total_text = NULL;

  /* Nobody answers: after a sync attempt the header says so in words. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
  g_assert_true (leap_test_wait_for (status_offline, f, TIMEOUT_MS));
  g_assert_nonnull (strstr (leap_window_get_status_text (f->window), "data from"));

  leap_event_list_select_position (list, 0);
  g_assert_cmpstr (leap_event_get_name (leap_event_page_get_event (page)), ==, "Hamlet");
  g_assert_true (leap_test_wait_for (tiles_loaded, f, TIMEOUT_MS));

  stalls = leap_event_page_get_tile (page, 0);
  g_assert_cmpstr (leap_tier_get_name (leap_tier_tile_get_tier (stalls)), ==, "Stalls");
  g_assert_false (leap_tier_tile_get_live (stalls));

  leap_tier_tile_set_quantity (stalls, 2);
  leap_tier_tile_set_quantity (leap_event_page_get_tile (page, 2), 1);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 3);
  total = leap_cart_view_get_total (cart);
  total_text = leap_money_format (&total);
  g_assert_cmpstr (total_text, ==, "€105.00");

  /* The sale buttons are there but disabled, and the cart says why. */
  cash = find_action_button (f, "win.pay-cash");
  g_assert_nonnull (cash);
  g_assert_false (gtk_widget_is_sensitive (cash));
  g_assert_false (gtk_widget_is_sensitive (find_action_button (f, "win.pay-card")));
  g_assert_true (g_str_has_prefix (leap_cart_view_get_reason (cart), "Offline"));
  g_assert_false (gtk_widget_is_sensitive (find_action_button (f, "win.hold")));

  /* A new sale empties the cart and the tiles. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-sale", NULL);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 0);
  g_assert_cmpuint (leap_tier_tile_get_quantity (stalls), ==, 0);

  /* Looking at another event keeps the cart, which says which event it
   * is for (issue 15, 1: a cart is never dropped without the cashier). */
  leap_tier_tile_set_quantity (stalls, 1);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  leap_event_list_select_position (list, 1);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  g_assert_cmpstr (leap_event_get_name (leap_event_page_get_event (page)), ==, "Late Night Jazz");
  g_assert_true (g_str_has_prefix (leap_cart_view_get_event_text (cart), "For Hamlet · "));
}

static gboolean
status_online (gpointer user_data)
{
  Fixture *f = user_data;

  return g_str_has_prefix (leap_window_get_status_text (f->window), "Online · synced");
}

static gboolean
not_syncing (gpointer user_data)
{
  Fixture *f = user_data;

  return !leap_offline_cache_get_syncing (f->cache);
}

static gboolean
availability_live (gpointer user_data)
{
  Fixture *f = user_data;
  LeapEventPage *page = leap_window_get_event_page (f->window);

  return leap_event_page_get_n_tiles (page) == 3 &&
         leap_tier_tile_get_live (leap_event_page_get_tile (page, 0));
}

static void
test_select_online (Fixture       *f,
                    gconstpointer  data)
{
  LeapEventList *list = leap_window_get_event_list (f->window);
  LeapEventPage *page = leap_window_get_event_page (f->window);
  LeapCartView *cart = leap_window_get_cart_view (f->window);
  LeapTierTile *balcony;
  g_autoptr(LeapEvent) hamlet = NULL;

  g_assert_cmpstr (leap_window_get_status_text (f->window), ==, "Connecting…");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
  g_assert_true (leap_test_wait_for (status_online, f, TIMEOUT_MS));

  leap_event_list_select_position (list, 0);
  g_assert_true (leap_test_wait_for (availability_live, f, TIMEOUT_MS));
  g_assert_cmpint (leap_tier_get_available (
                       leap_tier_tile_get_tier (leap_event_page_get_tile (page, 0))),
                   ==, 31);

  /* Sold out: nothing can be added. */
  balcony = leap_event_page_get_tile (page, 1);
  g_assert_cmpuint (leap_tier_tile_get_maximum (balcony), ==, 0);
  leap_tier_tile_set_quantity (balcony, 2);
  g_assert_cmpuint (leap_tier_tile_get_quantity (balcony), ==, 0);

  /* The event row shows what is left. */
  hamlet = g_list_model_get_item (leap_event_list_get_shown (list), 0);
  g_assert_cmpint (leap_event_get_available (hamlet), ==, 72);

  /* Online but signed out: the reason says what to do. */
  leap_tier_tile_set_quantity (leap_event_page_get_tile (page, 0), 1);
  g_assert_cmpstr (leap_cart_view_get_reason (cart), ==, "Sign in to sell tickets.");
  g_assert_false (gtk_widget_is_sensitive (find_action_button (f, "win.pay-cash")));

  /* The periodic sync replaces the list; the event and its cart stay. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.sync", NULL);
  g_assert_true (leap_offline_cache_get_syncing (f->cache));
  g_assert_true (leap_test_wait_for (not_syncing, f, TIMEOUT_MS));
  g_assert_cmpstr (leap_event_get_name (leap_event_page_get_event (page)), ==, "Hamlet");
  g_assert_true (leap_event_list_get_selected_event (list) == leap_event_page_get_event (page));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
}

static GtkWindow *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (LEAP_IS_SIGN_IN_DIALOG (window))
        return window;
    }
  return NULL;
}

static gboolean
dialog_gone (gpointer user_data)
{
  return find_dialog () == NULL;
}

static gboolean
error_shown (gpointer user_data)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect (user_data, GTK_TYPE_LABEL, labels);

  for (guint i = 0; i < labels->len; i++)
    if (gtk_widget_has_css_class (g_ptr_array_index (labels, i), "error") &&
        gtk_widget_get_visible (g_ptr_array_index (labels, i)))
      return TRUE;
  return FALSE;
}

static void
test_sign_in_dialog (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();
  GtkWidget *sign_in = NULL;
  GtkWindow *dialog;

  leap_window_show_sign_in (f->window);
  dialog = find_dialog ();
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (f->window));

  /* Server, user name, password: the server is filled in already. */
  collect (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, rows);
  g_assert_cmpuint (rows->len, ==, 3);
  g_assert_cmpstr (gtk_editable_get_text (g_ptr_array_index (rows, 0)), ==, f->url);
  collect (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, buttons);
  /* The first suggested action is the header's; entry rows have hidden
   * apply buttons of that style too. */
  for (guint i = 0; sign_in == NULL && i < buttons->len; i++)
    if (gtk_widget_has_css_class (g_ptr_array_index (buttons, i), "suggested-action") &&
        gtk_widget_get_visible (g_ptr_array_index (buttons, i)))
      sign_in = g_ptr_array_index (buttons, i);
  g_assert_nonnull (sign_in);

  gtk_editable_set_text (g_ptr_array_index (rows, 1), "anna");
  gtk_editable_set_text (g_ptr_array_index (rows, 2), "guess");
  g_signal_emit_by_name (sign_in, "clicked");
  g_assert_true (leap_test_wait_for (error_shown, dialog, TIMEOUT_MS));
  g_assert_false (leap_client_get_signed_in (f->client));
  g_assert_nonnull (find_dialog ());

  gtk_editable_set_text (g_ptr_array_index (rows, 2), "s3cret");
  g_signal_emit_by_name (sign_in, "clicked");
  g_assert_true (leap_test_wait_for (dialog_gone, NULL, TIMEOUT_MS));
  g_assert_true (leap_client_get_signed_in (f->client));
  g_assert_cmpstr (leap_client_get_username (f->client), ==, "anna");

  /* Signed in: no sign-in button, and the reason moves on. */
  g_assert_false (gtk_widget_get_visible (find_action_button (f, "win.sign-in")));
  g_assert_cmpstr (leap_cart_view_get_reason (leap_window_get_cart_view (f->window)), ==,
                   "Choose tickets with + to start a sale.");
}

static void
signed_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;
  g_autoptr(GError) error = NULL;

  leap_client_sign_in_finish (LEAP_CLIENT (source), result, &error);
  g_assert_no_error (error);
  f->done = TRUE;
}

static gboolean
window_has_hold (gpointer user_data)
{
  Fixture *f = user_data;

  return leap_window_get_hold_id (f->window) != NULL;
}

static gboolean
hold_ran_out (gpointer user_data)
{
  Fixture *f = user_data;
  const char *text = leap_cart_view_get_hold_text (leap_window_get_cart_view (f->window));

  return text != NULL && strstr (text, "The hold ran out") != NULL;
}

/* A hold counts down in the cart; when it runs out the cart says so and
 * Hold Tickets works again, with the cart as it was. */
static void
test_hold_expired (Fixture       *f,
                   gconstpointer  data)
{
  LeapEventPage *page = leap_window_get_event_page (f->window);
  LeapCartView *cart = leap_window_get_cart_view (f->window);
  const char *text;

  f->done = FALSE;
  leap_client_sign_in_async (f->client, "anna", "s3cret", NULL, signed_in_cb, f);
  g_assert_true (leap_test_wait_flag (&f->done, TIMEOUT_MS));

  leap_event_list_select_position (leap_window_get_event_list (f->window), 0);
  g_assert_true (leap_test_wait_for (availability_live, f, TIMEOUT_MS));
  g_assert_false (gtk_widget_is_sensitive (find_action_button (f, "win.hold")));
  leap_tier_tile_set_quantity (leap_event_page_get_tile (page, 0), 1);
  g_assert_true (gtk_widget_is_sensitive (find_action_button (f, "win.hold")));
  /* Paying is possible at once: it holds the cart first. */
  g_assert_null (leap_cart_view_get_reason (cart));
  g_assert_true (gtk_widget_is_sensitive (find_action_button (f, "win.pay-cash")));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "win.hold", NULL);
  g_assert_true (leap_test_wait_for (window_has_hold, f, TIMEOUT_MS));
  text = leap_cart_view_get_hold_text (cart);
  g_assert_true (g_str_has_prefix (text, "Held · 0:0"));
  g_assert_null (leap_cart_view_get_reason (cart));
  g_assert_true (gtk_widget_is_sensitive (find_action_button (f, "win.pay-cash")));
  g_assert_true (gtk_widget_is_sensitive (find_action_button (f, "win.pay-card")));

  g_assert_true (leap_test_wait_for (hold_ran_out, f, TIMEOUT_MS));
  g_assert_null (leap_window_get_hold_id (f->window));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  g_assert_true (gtk_widget_is_sensitive (find_action_button (f, "win.hold")));
}

/* The hold's countdown as the cart shows it. */
static void
test_countdown (void)
{
  static const struct { gint64 seconds; const char *clock; } cases[] = {
    { 600, "10:00" }, { 581, "9:41" }, { 65, "1:05" }, { 59, "0:59" }, { 1, "0:01" },
    { 0, "0:00" }, { -3, "0:00" }, { 3725, "1:02:05" },
  };
  LeapCartView *cart = g_object_ref_sink (g_object_new (LEAP_TYPE_CART_VIEW, NULL));
  g_autofree char *left = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *clock = leap_format_countdown (cases[i].seconds);

      g_assert_cmpstr (clock, ==, cases[i].clock);
    }

  left = leap_format_hold_left (581);
  g_assert_cmpstr (left, ==, "Held · 9:41 left");

  /* No hold, no line; a hold shows its time; a problem shows as one. */
  g_assert_null (leap_cart_view_get_hold_text (cart));
  leap_cart_view_set_hold_text (cart, left, FALSE);
  g_assert_cmpstr (leap_cart_view_get_hold_text (cart), ==, "Held · 9:41 left");
  leap_cart_view_set_hold_text (cart, "The hold ran out", TRUE);
  g_assert_cmpstr (leap_cart_view_get_hold_text (cart), ==, "The hold ran out");
  leap_cart_view_set_hold_text (cart, NULL, FALSE);
  g_assert_null (leap_cart_view_get_hold_text (cart));
  g_object_unref (cart);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/window/countdown", test_countdown);
  g_test_add ("/leap/window/event-list", Fixture, NULL, fixture_set_up, test_event_list,
              fixture_tear_down);
  g_test_add ("/leap/window/select-offline", Fixture, NULL, fixture_set_up, test_select_offline,
              fixture_tear_down);
  g_test_add ("/leap/window/select-online", Fixture, "online", fixture_set_up, test_select_online,
              fixture_tear_down);
  g_test_add ("/leap/window/hold-expired", Fixture, "online", fixture_set_up, test_hold_expired,
              fixture_tear_down);
  g_test_add ("/leap/window/sign-in-dialog", Fixture, "online", fixture_set_up,
              test_sign_in_dialog, fixture_tear_down);

  return g_test_run ();
}
