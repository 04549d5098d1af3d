/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */
#include "leap-config.h"

#include <string.h>

#include <adwaita.h>
#include <sqlite3.h>

#include "leap-check-in-view.h"
#include "leap-client.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-orders-view.h"
#include "leap-refund-dialog.h"
#include "leap-sign-in-dialog.h"
#include "leap-test-utils.h"
#include "leap-window.h"

/* A cashier's counter with a manager at hand: redis-server, leap-backend
 * and leap-worker on free loopback ports. The cashier signs out with the
 * focus in a text field; a manager approves a refund on the cashier's
 * screen without signing the cashier out. No log writer of the tests
 * here: every GTK warning aborts (G_DEBUG=fatal-warnings). */

#define TIMEOUT_MS 20000
#define PASSWORD "counter-42"

static struct
{
  LeapTestStack stack;
  char         *cache_path;
  char         *pdf;
} world;

typedef LeapTestCounter Counter;

static void
counter_open (Counter    *counter,
              const char *user)
{
  leap_test_counter_open (counter, leap_test_stack_sign_in (&world.stack, user),
                          world.cache_path, TIMEOUT_MS);
}

static gboolean
signed_out (gpointer user_data)
{
  return !leap_client_get_signed_in (user_data);
}

static gboolean
time_passed (gpointer user_data)
{
  return g_get_monotonic_time () >= *(gint64 *) user_data;
}

/* Runs the main loop for @ms: what GTK does by its own timers (the
 * cursor's blink) happens meanwhile. */
static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  leap_test_wait_for (time_passed, &until, ms + 1000);
}

static gboolean
has_focus (gpointer user_data)
{
  return gtk_widget_has_focus (user_data);
}

/* The cashier types in the orders' search and signs out from there. */
static void
test_sign_out_focus (void)
{
  Counter counter = { 0 };
  LeapOrdersView *view;
  GtkWidget *text;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  counter_open (&counter, "cashier");
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "orders");
  view = leap_window_get_orders_view (counter.window);
  leap_orders_view_focus_search (view);
  text = gtk_root_get_focus (GTK_ROOT (counter.window));
  g_assert_true (GTK_IS_TEXT (text));
  g_assert_true (leap_test_wait_for (has_focus, text, TIMEOUT_MS));

  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.sign-out", NULL);
  g_assert_true (leap_test_wait_for (signed_out, counter.client, TIMEOUT_MS));
  /* Longer than the cursor blinks (1.2 s). */
  run_for (3000);
  leap_test_counter_close (&counter);
}

static gboolean
signed_in (gpointer user_data)
{
  return leap_client_get_signed_in (user_data);
}

/* Signed out, the next one signs in with the keyboard: name, password,
 * Enter in the password field. */
static void
test_sign_in_again (void)
{
  Counter counter = { 0 };
  g_autoptr(GPtrArray) texts = NULL;
  LeapSignInDialog *dialog;
  GtkWidget *password;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  counter_open (&counter, "cashier");
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.sign-out", NULL);
  g_assert_true (leap_test_wait_for (signed_out, counter.client, TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.sign-in", NULL);
  dialog = leap_test_find_window (LEAP_TYPE_SIGN_IN_DIALOG);
  g_assert_nonnull (dialog);
  texts = leap_test_find_widgets (dialog, GTK_TYPE_TEXT, FALSE);
  g_assert_cmpuint (texts->len, ==, 3);
  password = texts->pdata[2];
  gtk_editable_set_text (GTK_EDITABLE (texts->pdata[1]), "manager");
  gtk_editable_set_text (GTK_EDITABLE (password), PASSWORD);
  gtk_widget_grab_focus (password);
  g_assert_true (leap_test_wait_for (has_focus, password, TIMEOUT_MS));
  run_for (500);
  g_signal_emit_by_name (password, "activate");
  g_assert_true (leap_test_wait_for (signed_in, counter.client, TIMEOUT_MS));
  g_assert_cmpstr (leap_client_get_role (counter.client), ==, "manager");
  run_for (3000);
  leap_test_counter_close (&counter);
}

static void
saved_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  JsonObject **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  g_assert_no_error (error);
}

typedef struct
{
  LeapClient *client;
  const char *path;
} OrderWait;

static gboolean
order_paid (gpointer user_data)
{
  OrderWait *wait = user_data;
  g_autoptr(JsonObject) order = leap_test_send_now (wait->client, "GET", wait->path, NULL);

  return g_strcmp0 (leap_json_get_string (order, "status", NULL), "paid") == 0;
}

/* Two Stalls sold for cash to Ada Lovelace by the cashier, kept on the
 * device as the box office keeps its sales; then the first ticket is
 * used at the door (the device does not know). Returns the order. */
static JsonObject *
sell_two (LeapClient *cashier)
{
  g_autoptr(LeapOfflineCache) cache = NULL;
  g_autoptr(JsonObject) availability = NULL;
  g_autoptr(JsonObject) hold = NULL;
  g_autoptr(JsonObject) placed = NULL;
  g_autoptr(JsonObject) checkin = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  JsonObject *order = NULL;
  OrderWait wait;
  gint64 event_id, tier_id;

  event_id = leap_test_stack_make_event (&world.stack, "boss", "Giselle",
                                         "{\"name\": \"Stalls\", \"price\": 4500, "
                                         "\"currency\": \"EUR\", \"capacity\": 100, "
                                         "\"max_per_order\": 10}", NULL);
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability", event_id);
  availability = leap_test_send_now (cashier, "GET", path, NULL);
  tier_id = json_object_get_int_member (
    json_array_get_object_element (json_object_get_array_member (availability, "tiers"), 0),
    "tier_id");
  body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": [{\"tier_id\": %"
                          G_GINT64_FORMAT ", \"quantity\": 2}]}", event_id, tier_id);
  hold = leap_test_send_now (cashier, "POST", "/api/v1/holds", body);
  g_free (body);
  body = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": \"cash\", "
                          "\"tendered\": 9000}, \"customer\": {\"name\": \"Ada Lovelace\"}}",
                          leap_json_get_string (hold, "hold_id", ""));
  placed = leap_test_send_now (cashier, "POST", "/api/v1/orders", body);
  g_free (path);
  path = g_strdup_printf ("/api/v1/orders/%s", leap_json_get_string (placed, "order_id", ""));
  wait.client = cashier;
  wait.path = path;
  g_assert_true (leap_test_wait_for (order_paid, &wait, TIMEOUT_MS));

  cache = leap_offline_cache_new (world.cache_path, &error);
  g_assert_no_error (error);
  {
    g_autoptr(JsonObject) paid = leap_test_send_now (cashier, "GET", path, NULL);

    leap_offline_cache_save_order_async (cache, paid, NULL, saved_cb, &order);
  }
  while (order == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_free (body);
  body = g_strdup_printf ("{\"code\": \"%s\"}", leap_json_get_string (
    json_array_get_object_element (json_object_get_array_member (order, "tickets"), 0), "code",
    ""));
  checkin = leap_test_send_now (cashier, "POST", "/api/v1/checkins", body);
  return order;
}

static gboolean
orders_idle (gpointer user_data)
{
  return !leap_orders_view_get_busy (user_data);
}

static gboolean
dialog_loaded (gpointer user_data)
{
  return leap_refund_dialog_get_loaded (user_data);
}

typedef struct
{
  LeapRefundDialog *dialog;
  const char       *error;
} ErrorWait;

static gboolean
dialog_says (gpointer user_data)
{
  ErrorWait *wait = user_data;

  return g_strcmp0 (leap_refund_dialog_get_error (wait->dialog), wait->error) == 0 &&
         gtk_widget_get_visible (GTK_WIDGET (wait->dialog));
}

static gboolean
refunded (gpointer user_data)
{
  return g_strcmp0 (leap_orders_view_get_status_text (user_data), "Paid · €45.00 refunded") == 0;
}


/* Who the database says made the refund of @order_id. */
static char *
refunded_by (const char *order_id)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *username = NULL;

  g_assert_cmpint (sqlite3_open_v2 (world.stack.db_path, &db, SQLITE_OPEN_READONLY, NULL), ==,
                   SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT u.username FROM refunds r JOIN users u "
                                           "ON u.id = r.user_id WHERE r.order_id = ?",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    username = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return username;
}

/* No label on screen says any of @secrets. */
static void
assert_not_shown (GtkWidget          *window,
                  const char * const *secrets)
{
  g_autoptr(GPtrArray) labels = leap_test_find_widgets (window, GTK_TYPE_LABEL, TRUE);

  for (guint i = 0; i < labels->len; i++)
    for (guint s = 0; secrets[s] != NULL; s++)
      if (strstr (gtk_label_get_label (labels->pdata[i]), secrets[s]) != NULL)
        g_error ("Signed out, the screen shows “%s”", gtk_label_get_label (labels->pdata[i]));
}

typedef struct
{
  LeapCheckInView *view;
  gint64           event_id;
} Door;

/* The door admits to the show (once the view has it from the synced
 * cache), as the staff there would choose. */
static gboolean
door_set (gpointer data)
{
  Door *door = data;

  leap_check_in_view_set_event_id (door->view, door->event_id);
  return leap_check_in_view_get_event_id (door->view) == door->event_id;
}

/* A cashier refunds one ticket of a sale: a manager types their name and
 * password into the cashier's dialog (a wrong password first); the
 * cashier stays signed in, the ticket used at the door is not offered,
 * a slip is printed, and the refund is the manager's. Signed out, the
 * screen shows nothing of the order. */
static void
test_refund_approved (void)
{
  Counter counter = { 0 };
  g_autoptr(JsonObject) order = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *by = NULL;
  LeapRefundDialog *dialog;
  LeapOrdersView *view;
  ErrorWait wait;
  const char *order_id;
  const char *secrets[4] = { NULL };
  static const char *const views[] = { "sell", "orders", "check-in", "shift" };
  Door door;
  gsize length;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  counter_open (&counter, "cashier");
  order = sell_two (counter.client);
  order_id = leap_json_get_string (order, "order_id", "");
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "orders");
  view = leap_window_get_orders_view (counter.window);
  leap_orders_view_search (view, order_id);
  g_assert_true (leap_test_wait_for (orders_idle, view, TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (leap_orders_view_get_orders (view)), ==, 1);

  /* One ticket can be refunded: the other was used at the door. */
  leap_orders_view_refund_selected (view);
  dialog = leap_test_find_window (LEAP_TYPE_REFUND_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (leap_test_wait_for (dialog_loaded, dialog, TIMEOUT_MS));
  g_assert_cmpuint (leap_refund_dialog_get_n_offered (dialog), ==, 1);
  g_assert_cmpint (leap_refund_dialog_get_amount (dialog), ==, 4500);
  g_assert_true (leap_refund_dialog_get_asks_approval (dialog));
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog),
                                                           "refund"));

  /* A wrong password: said in the dialog, which stays; nothing refunded. */
  leap_refund_dialog_set_approval (dialog, "manager", "not-the-password");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "refund"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "refund");
  wait.dialog = dialog;
  wait.error = "The manager’s user name or password is wrong.";
  g_assert_true (leap_test_wait_for (dialog_says, &wait, TIMEOUT_MS));
  g_assert_null (refunded_by (order_id));

  /* The right one: refunded, on the cashier's screen and session. */
  leap_refund_dialog_set_approval (dialog, "manager", PASSWORD);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "refund");
  g_assert_true (leap_test_wait_for (refunded, view, TIMEOUT_MS));
  g_assert_null (leap_test_find_window (LEAP_TYPE_REFUND_DIALOG));
  g_assert_true (leap_client_get_signed_in (counter.client));
  g_assert_cmpstr (leap_client_get_username (counter.client), ==, "cashier");
  by = refunded_by (order_id);
  g_assert_cmpstr (by, ==, "manager");

  /* The slip. */
  g_assert_true (leap_test_wait_for (leap_test_file_exists, world.pdf, TIMEOUT_MS));
  g_assert_true (g_file_get_contents (world.pdf, &pdf, &length, NULL));
  g_assert_nonnull (memmem (pdf, length, "(Refund Slip)", strlen ("(Refund Slip)")));

  /* Signed out: no order, name or code on the screen. */
  secrets[0] = order_id;
  secrets[1] = "Ada";
  secrets[2] = leap_json_get_string (
    json_array_get_object_element (json_object_get_array_member (order, "tickets"), 1), "code",
    "");
  /* The door of that show turned the refunded ticket away, with its code. */
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "check-in");
  door.view = leap_window_get_check_in_view (counter.window);
  door.event_id = leap_json_get_int (order, "event_id", 0);
  g_assert_cmpint (door.event_id, >, 0);
  leap_test_sync_cache (counter.cache, counter.client, TIMEOUT_MS);
  g_assert_true (leap_test_wait_for (door_set, &door, TIMEOUT_MS));
  g_assert_cmpstr (leap_test_check_in (door.view, secrets[2], TIMEOUT_MS), ==, "voided");
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "orders");
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.sign-out", NULL);
  g_assert_true (leap_test_wait_for (signed_out, counter.client, TIMEOUT_MS));
  g_assert_true (leap_test_wait_for (orders_idle, view, TIMEOUT_MS));
  run_for (500);
  g_assert_cmpuint (g_list_model_get_n_items (leap_orders_view_get_orders (view)), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_test_message ("Signed out, view %s", views[i]);
      gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", views[i]);
      run_for (300);
      assert_not_shown (GTK_WIDGET (counter.window), secrets);
    }
  leap_test_counter_close (&counter);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/approval/sign-out-focus", test_sign_out_focus);
  g_test_add_func ("/leap/approval/sign-in-again", test_sign_in_again);
  g_test_add_func ("/leap/approval/refund", test_refund_approved);

  if (leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD, "cashier", "cashier",
                             "boss", "admin", "manager", "manager", NULL))
    {
      leap_test_stack_start_worker (&world.stack, "test-approval", NULL);
      world.cache_path = g_build_filename (world.stack.dir, "cache.db", NULL);
      world.pdf = g_build_filename (world.stack.dir, "printed", "slip.pdf", NULL);
      g_setenv ("LEAP_PRINT_TO_PDF", world.pdf, TRUE);
    }
  status = g_test_run ();
  leap_test_stack_stop (&world.stack);
  g_clear_pointer (&world.cache_path, g_free);
  g_clear_pointer (&world.pdf, g_free);
  return status;
}
