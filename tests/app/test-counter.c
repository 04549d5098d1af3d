/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <string.h>

#include <adwaita.h>

#include "leap-check-in-view.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-order-code.h"
#include "leap-orders-view.h"
#include "leap-shift-view.h"
#include "leap-test-utils.h"

/* The counter on a busy night (issue 15), against the real backend and
 * worker: the door admits to tonight's show only, every order has a short
 * code people can read, a payment the server never got leaves no ghost,
 * and the shift report says who counted where, in money. */

#define TIMEOUT_MS 20000
#define PASSWORD "door-counter-42"

/* The real backend and worker, started by the first test. */
static struct
{
  LeapTestStack stack;
  gboolean      started;
} world;

static gboolean
have_world (void)
{
  if (!world.started)
    {
      world.started = TRUE;
      if (leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD,
                                 "cashier", "cashier", "boss", "admin", NULL))
        leap_test_stack_start_worker (&world.stack, "test-counter", NULL);
    }
  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return FALSE;
    }
  return TRUE;
}

/* A show at @starts_at (Unix time) with one tier at €45; its tier's id in
 * @tier_id. */
static gint64
make_show (const char *name,
           gint64      starts_at,
           gint64     *tier_id)
{
  g_autoptr(LeapClient) boss = leap_test_stack_sign_in (&world.stack, "boss");
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (starts_at);
  g_autofree char *iso = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) venue = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) tier = NULL;

  venue = leap_test_send_now (boss, "POST", "/api/v1/venues",
                              "{\"name\": \"Globe\", \"city\": \"Berlin\", \"country\": \"DE\", "
                              "\"timezone\": \"Europe/Berlin\", \"capacity\": 500}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"%s\", "
                          "\"starts_at\": \"%s\", \"status\": \"on_sale\"}",
                          json_object_get_int_member (venue, "id"), name, iso);
  event = leap_test_send_now (boss, "POST", "/api/v1/events", body);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers",
                          json_object_get_int_member (event, "id"));
  tier = leap_test_send_now (boss, "POST", path,
                             "{\"name\": \"Stalls\", \"price\": 4500, \"currency\": \"EUR\", "
                             "\"capacity\": 100, \"max_per_order\": 10}");
  *tier_id = json_object_get_int_member (tier, "id");
  return json_object_get_int_member (event, "id");
}

/* A device at the counter: its own cache, the cashier signed in, and a
 * window for the view under test. */
typedef struct
{
  char             *dir;
  LeapOfflineCache *cache;
  LeapClient       *client;
  GtkWidget        *window;
} Counter;

static void
counter_open (Counter *c)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  c->dir = leap_test_make_tmpdir ();
  path = g_build_filename (c->dir, "cache.db", NULL);
  c->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  c->client = leap_test_stack_sign_in (&world.stack, "cashier");
}

/* Shows @child in the counter's window, which owns it from now on. */
static void
counter_show (Counter   *c,
              GtkWidget *child)
{
  c->window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (c->window), child);
  gtk_window_present (GTK_WINDOW (c->window));
}

static void
counter_close (Counter *c)
{
  if (c->window != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&c->window)));
  g_clear_object (&c->cache);
  g_clear_object (&c->client);
  leap_test_rm_rf (c->dir);
  g_clear_pointer (&c->dir, g_free);
}

/* Holds @quantity tickets of @tier_id and pays for them in cash, as the
 * cart does; the paid order, with its tickets. */
static JsonObject *
sell (Counter *c,
      gint64   event_id,
      gint64   tier_id,
      guint    quantity)
{
  g_autoptr(LeapCheckout) checkout = leap_checkout_new (c->client, c->cache);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                           "[{\"tier_id\": %" G_GINT64_FORMAT ", "
                                           "\"quantity\": %u}]}", event_id, tier_id, quantity);
  g_autoptr(JsonObject) hold = leap_test_send_now (c->client, "POST", "/api/v1/holds", body);
  g_autofree char *json = g_strdup_printf (
    "{\"hold_id\": \"%s\", \"payment\": {\"method\": \"cash\", \"tendered\": %u}, "
    "\"total\": %u, \"currency\": \"EUR\", \"event\": {\"id\": %" G_GINT64_FORMAT "}}",
    leap_json_get_string (hold, "hold_id", ""), 4500 * quantity, 4500 * quantity, event_id);
  g_autoptr(JsonObject) sale = leap_json_parse_object (json, -1, NULL);
  LeapTestPay r = { 0 };

  leap_test_pay (checkout, sale, &r, TIMEOUT_MS);
  g_assert_no_error (r.error);
  g_assert_cmpstr (leap_json_get_string (r.order, "status", NULL), ==, "paid");
  return r.order;
}

static GtkWidget *
find_by_class (GtkWidget  *widget,
               const char *css_class)
{
  if (gtk_widget_has_css_class (widget, css_class))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_class (child, css_class);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The event the view's door admits to, from the cache's list. */
static LeapEvent *
door_event (Counter         *c,
            LeapCheckInView *view)
{
  GListModel *events = leap_offline_cache_get_events (c->cache);

  for (guint i = 0; i < g_list_model_get_n_items (events); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (events, i);

      if (leap_event_get_id (event) == leap_check_in_view_get_event_id (view))
        return g_steal_pointer (&event);
    }
  return NULL;
}

/* Issue 15: the door admits to tonight's show, chosen by default and shown
 * large; a ticket of another night is refused in red with its own show
 * and date, and is not used up: at its own door it lets in, once. A used
 * ticket is refused like any other. */
static void
test_check_in_wrong_night (void)
{
  Counter c = { 0 };
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(LeapEvent) tonight = NULL;
  g_autoptr(GDateTime) tonight_at = NULL;
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) hamlet_at = g_date_time_new_from_unix_utc (leap_test_today_at (19, 0, 9));
  g_autoptr(GDateTime) hamlet_local = g_date_time_to_timezone (hamlet_at, berlin);
  g_autofree char *expected = g_date_time_format (hamlet_local, "Hamlet, %a %-d %b, %H:%M");
  LeapCheckInView *view;
  GtkWidget *result;
  gint64 hamlet, hamlet_tier;
  const char *code;

  if (!have_world ())
    return;
  /* The demo catalogue has shows tonight; Hamlet is in nine days. */
  hamlet = make_show ("Hamlet", leap_test_today_at (19, 0, 9), &hamlet_tier);
  counter_open (&c);
  leap_test_sync_cache (c.cache, c.client, TIMEOUT_MS);
  order = sell (&c, hamlet, hamlet_tier, 1);
  code = leap_json_get_string (json_array_get_object_element (
                                   json_object_get_array_member (order, "tickets"), 0),
                               "code", NULL);

  view = g_object_new (LEAP_TYPE_CHECK_IN_VIEW, NULL);
  counter_show (&c, GTK_WIDGET (view));
  leap_check_in_view_set_client (view, c.client);
  leap_check_in_view_set_events (view, leap_offline_cache_get_events (c.cache));
  tonight = door_event (&c, view);
  g_assert_nonnull (tonight);
  tonight_at = leap_event_dup_local_start (tonight);
  today = g_date_time_new_now (g_date_time_get_timezone (tonight_at));
  g_assert_cmpint (g_date_time_get_day_of_year (tonight_at), ==,
                   g_date_time_get_day_of_year (today));
  g_assert_cmpstr (leap_check_in_view_get_event_title (view), ==, leap_event_get_name (tonight));
  result = find_by_class (GTK_WIDGET (view), "check-in-result");

  /* Hamlet's ticket at tonight's door. */
  g_assert_cmpstr (leap_test_check_in (view, code, TIMEOUT_MS), ==, "wrong-event");
  g_assert_cmpstr (leap_check_in_view_get_result_title (view), ==, "WRONG NIGHT");
  g_assert_cmpstr (leap_check_in_view_get_result_detail (view), ==, expected);
  g_assert_true (gtk_widget_has_css_class (result, "refused"));

  /* Not used up: at Hamlet's door it lets in, once. */
  leap_check_in_view_set_event_id (view, hamlet);
  g_assert_cmpstr (leap_check_in_view_get_event_title (view), ==, "Hamlet");
  g_assert_cmpstr (leap_test_check_in (view, code, TIMEOUT_MS), ==, "admitted");
  g_assert_false (gtk_widget_has_css_class (result, "refused"));
  g_assert_cmpstr (leap_test_check_in (view, code, TIMEOUT_MS), ==, "used");
  g_assert_cmpstr (leap_check_in_view_get_result_title (view), ==, "ALREADY USED");
  g_assert_true (gtk_widget_has_css_class (result, "refused"));

  /* A sync keeps the door's choice. */
  leap_test_sync_cache (c.cache, c.client, TIMEOUT_MS);
  g_assert_cmpint (leap_check_in_view_get_event_id (view), ==, hamlet);
  counter_close (&c);
}

static gboolean
orders_idle (gpointer user_data)
{
  return !leap_orders_view_get_busy (user_data);
}

/* Issue 15: a sale has a short code, grouped for people; the Orders search
 * finds it by that code as typed (any case, with or without the hyphen),
 * and shows it as the order's title. */
static void
test_order_code (void)
{
  Counter c = { 0 };
  g_autofree char *grouped = NULL;
  g_autofree char *typed = NULL;
  g_autofree char *title = NULL;
  g_autofree char *other = NULL;
  g_autoptr(LeapOfflineCache) elsewhere = NULL;
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(GError) error = NULL;
  LeapOrdersView *view;
  const char *code;
  gint64 event, tier;

  if (!have_world ())
    return;
  event = make_show ("Macbeth", leap_test_today_at (20, 0, 4), &tier);
  counter_open (&c);
  order = sell (&c, event, tier, 1);
  code = leap_json_get_string (order, "code", NULL);
  g_assert_nonnull (code);
  g_assert_cmpuint (strlen (code), ==, 7);
  g_assert_null (strpbrk (code, "0O1IL"));
  grouped = leap_order_code_group (code);
  g_assert_cmpuint (strlen (grouped), ==, 8);
  g_assert_cmpint (grouped[3], ==, '-');

  /* Another device: only the server knows the order. */
  other = g_build_filename (c.dir, "elsewhere.db", NULL);
  elsewhere = leap_offline_cache_new (other, &error);
  g_assert_no_error (error);
  view = g_object_new (LEAP_TYPE_ORDERS_VIEW, NULL);
  counter_show (&c, GTK_WIDGET (view));
  leap_orders_view_set_backend (view, c.client, elsewhere);
  typed = g_ascii_strdown (grouped, -1);
  leap_orders_view_search (view, typed);
  g_assert_true (leap_test_wait_for (orders_idle, view, TIMEOUT_MS));
  g_assert_nonnull (leap_orders_view_get_selected (view));
  g_assert_cmpstr (leap_json_get_string (leap_orders_view_get_selected (view), "order_id", NULL),
                   ==, leap_json_get_string (order, "order_id", NULL));
  title = g_strdup_printf ("Order %s", grouped);
  g_assert_cmpstr (leap_orders_view_get_title_text (view), ==, title);
  counter_close (&c);
}

static gboolean
selected_settled (gpointer user_data)
{
  JsonObject *order = leap_orders_view_get_selected (user_data);

  return order != NULL && !leap_orders_view_get_busy (user_data) &&
         g_strcmp0 (leap_json_get_string (order, "status", NULL), "pending") != 0;
}

static gboolean
shift_loaded (gpointer user_data)
{
  return leap_shift_view_get_loaded (user_data);
}

/* Issue 15: a payment tried while the server is down is kept as not placed,
 * in words, not as pending for ever; so is an order left pending that the
 * server turns out never to have had (it is asked again when shown). The
 * cashier voids it, and the shift counts it nowhere. */
static void
test_not_placed (void)
{
  Counter c = { 0 };
  g_autofree char *nowhere = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  g_autofree char *body = NULL;
  g_autofree char *json = NULL;
  g_autofree char *ghost_id = NULL;
  g_autoptr(LeapCheckout) checkout = NULL;
  g_autoptr(JsonObject) hold = NULL;
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(JsonObject) ghost = NULL;
  g_autoptr(GPtrArray) found = NULL;
  LeapOrdersView *view;
  LeapShiftView *shift;
  GtkWidget *box;
  LeapTestPay r = { 0 };
  gint64 event, tier;

  if (!have_world ())
    return;
  event = make_show ("Othello", leap_test_today_at (20, 0, 5), &tier);
  counter_open (&c);
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": [{\"tier_id\": %"
                          G_GINT64_FORMAT ", \"quantity\": 1}]}", event, tier);
  hold = leap_test_send_now (c.client, "POST", "/api/v1/holds", body);

  /* The server goes away just before the payment. */
  leap_client_set_base_url (c.client, nowhere);
  checkout = leap_checkout_new (c.client, c.cache);
  json = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"cash\", "
                          "\"tendered\": 5000}, \"total\": 4500, \"currency\": \"EUR\"}",
                          leap_json_get_string (hold, "hold_id", ""));
  sale = leap_json_parse_object (json, -1, NULL);
  leap_test_pay (checkout, sale, &r, TIMEOUT_MS);
  g_assert_error (r.error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_cmpint (r.placed, ==, LEAP_PLACED_NO);
  found = leap_test_find_orders (c.cache, leap_json_get_string (hold, "hold_id", ""), 0);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (leap_json_get_string (found->pdata[0], "status", NULL), ==, "not_placed");
  g_assert_true (g_str_has_prefix (leap_json_get_string (found->pdata[0], "reason", ""),
                                   "The order never reached the server"));
  g_clear_pointer (&found, g_ptr_array_unref);
  g_clear_error (&r.error);

  /* A ghost of before: kept pending, never on the server. */
  ghost_id = g_strdup_printf ("o-%" G_GINT64_FORMAT "-AAAAAAAAAAAAAAAAAAAAAA", event);
  g_clear_pointer (&json, g_free);
  json = g_strdup_printf ("{\"order_id\": \"%s\", \"status\": \"pending\", \"total\": 4500, "
                          "\"currency\": \"EUR\", \"payment_request\": {\"method\": \"cash\"}}",
                          ghost_id);
  ghost = leap_json_parse_object (json, -1, NULL);
  leap_test_save_order (c.cache, ghost, TIMEOUT_MS);

  /* Back online: shown, it is asked about, and said not placed. */
  leap_client_set_base_url (c.client, world.stack.url);
  json_object_unref (leap_test_send_now (c.client, "GET", "/api/v1/sessions/current", NULL));
  view = g_object_new (LEAP_TYPE_ORDERS_VIEW, NULL);
  shift = g_object_new (LEAP_TYPE_SHIFT_VIEW, NULL);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (view));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (shift));
  counter_show (&c, box);
  leap_orders_view_set_backend (view, c.client, c.cache);
  leap_orders_view_search (view, ghost_id);
  g_assert_true (leap_test_wait_for (selected_settled, view, TIMEOUT_MS));
  g_assert_cmpstr (leap_json_get_string (leap_orders_view_get_selected (view), "status", NULL),
                   ==, "not_placed");
  g_assert_cmpstr (leap_orders_view_get_status_text (view), ==, "Not sold");

  /* Voided by the cashier, kept so. */
  leap_orders_view_void_selected (view);
  g_assert_true (leap_test_wait_for (orders_idle, view, TIMEOUT_MS));
  g_assert_cmpstr (leap_json_get_string (leap_orders_view_get_selected (view), "status", NULL),
                   ==, "voided");
  found = leap_test_find_orders (c.cache, ghost_id, 0);
  g_assert_cmpstr (leap_json_get_string (found->pdata[0], "status", NULL), ==, "voided");

  /* Neither is sold nor open in the shift. */
  leap_shift_view_set_cache (shift, c.cache);
  leap_shift_view_reload (shift);
  g_assert_true (leap_test_wait_for (shift_loaded, shift, TIMEOUT_MS));
  g_assert_cmpint (leap_shift_view_get_cash_sales (shift), ==, 0);
  g_assert_cmpuint (leap_shift_view_get_open_orders (shift), ==, 0);
  counter_close (&c);
}

/* Issue 15: the shift report says who counted on which device, and every
 * amount as money: a float typed as 100 reads €100.00. */
static void
test_shift_report (void)
{
  Counter c = { 0 };
  g_autofree char *joined = NULL;
  g_autofree char *device = g_strdup_printf ("\nDevice        %s\n", g_get_host_name ());
  g_autoptr(JsonObject) order = NULL;
  g_auto(GStrv) report = NULL;
  LeapShiftView *shift;
  gint64 event, tier;

  if (!have_world ())
    return;
  event = make_show ("King Lear", leap_test_today_at (20, 0, 6), &tier);
  counter_open (&c);
  order = sell (&c, event, tier, 1);

  shift = g_object_new (LEAP_TYPE_SHIFT_VIEW, NULL);
  counter_show (&c, GTK_WIDGET (shift));
  leap_shift_view_set_cache (shift, c.cache);
  leap_shift_view_set_client (shift, c.client);
  leap_shift_view_reload (shift);
  g_assert_true (leap_test_wait_for (shift_loaded, shift, TIMEOUT_MS));
  leap_shift_view_set_float_text (shift, "100");
  g_assert_cmpstr (leap_shift_view_get_float_money (shift), ==, "€100.00");
  leap_shift_view_set_float_text (shift, "a hundred");
  g_assert_cmpstr (leap_shift_view_get_float_money (shift), ==, "not an amount");
  leap_shift_view_set_float_text (shift, "100");
  leap_shift_view_set_counted_text (shift, "145");
  report = leap_shift_view_dup_report (shift);
  joined = g_strjoinv ("\n", report);
  g_assert_true (g_str_has_prefix (joined, "Cashier       cashier\n"));
  g_assert_nonnull (strstr (joined, device));
  /* Amounts right-aligned in 12 characters. */
  g_assert_nonnull (strstr (joined, "\nFloat              €100.00\n"));
  g_assert_nonnull (strstr (joined, "\nCash       1        €45.00\n"));
  g_assert_nonnull (strstr (joined, "\nExpected           €145.00\n"));
  g_assert_nonnull (strstr (joined, "\nCounted            €145.00\n"));
  counter_close (&c);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/counter/check-in-wrong-night", test_check_in_wrong_night);
  g_test_add_func ("/leap/counter/order-code", test_order_code);
  g_test_add_func ("/leap/counter/not-placed", test_not_placed);
  g_test_add_func ("/leap/counter/shift-report", test_shift_report);

  status = g_test_run ();
  leap_test_stack_stop (&world.stack);
  return status;
}
