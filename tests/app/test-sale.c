/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */
#include "leap-config.h"

#include <signal.h>
#include <string.h>

#include <adwaita.h>
#include <glib-unix.h>
#include <sqlite3.h>

#include "leap-cart-view.h"
#include "leap-check-in-view.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-orders-view.h"
#include "leap-payment-dialog.h"
#include "leap-shift-view.h"
#include "leap-sign-in-dialog.h"
#include "leap-test-utils.h"
#include "leap-ticket-printer.h"
#include "leap-tier-tile.h"
#include "leap-window.h"

/* A sale from end to end: redis-server, leap-backend and leap-worker run
 * on free loopback ports in a temporary folder; the window is signed in
 * through its dialog, sells two tickets for cash, and the test then finds
 * the order, its payment and its tickets in the backend's database, the
 * same tickets in the printed PDF, and the order on the device. */

#define TIMEOUT_MS 20000
#define PASSWORD "counter-42"

static struct
{
  LeapTestStack stack;
  char         *pdf;
  char         *cache_path;
  gint64        event_id;
  /* The cash sale of the first test, for the others. */
  char         *order_id;
  GStrv         codes;
} world;

typedef struct
{
  gboolean    done;
  gboolean    ok;
  JsonObject *root;
  GError     *error;
} Result;

static gboolean
start_world (void)
{
  if (!leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD,
                              "cashier", "cashier", "boss", "admin", "manager", "manager", NULL))
    return FALSE;
  leap_test_stack_start_worker (&world.stack, "test-sale", NULL);
  world.cache_path = g_build_filename (world.stack.dir, "cache.db", NULL);
  world.pdf = g_build_filename (world.stack.dir, "printed", "tickets.pdf", NULL);
  g_setenv ("LEAP_PRINT_TO_PDF", world.pdf, TRUE);
  return TRUE;
}

static void
stop_world (void)
{
  leap_test_stack_stop (&world.stack);
  g_clear_pointer (&world.pdf, g_free);
  g_clear_pointer (&world.cache_path, g_free);
  g_clear_pointer (&world.order_id, g_free);
  g_clear_pointer (&world.codes, g_strfreev);
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

/* A show of its own, made through the API as an admin would. */
static void
make_event (void)
{
  world.event_id = leap_test_stack_make_event (&world.stack, "boss", "Swan Lake",
                                               "{\"name\": \"Stalls\", \"price\": 4500, "
                                               "\"currency\": \"EUR\", \"capacity\": 200, "
                                               "\"max_per_order\": 10}", NULL);
}

static void
collect_rows (GtkWidget *widget,
              GPtrArray *rows)
{
  if (ADW_IS_ENTRY_ROW (widget))
    g_ptr_array_add (rows, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

static GtkWidget *
find_suggested_button (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) && gtk_widget_has_css_class (widget, "suggested-action") &&
      gtk_widget_get_visible (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_suggested_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static LeapSignInDialog *
find_sign_in_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (LEAP_IS_SIGN_IN_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return LEAP_SIGN_IN_DIALOG (window);
    }
  return NULL;
}

static gboolean
signed_in (gpointer user_data)
{
  return leap_client_get_signed_in (user_data);
}

static gboolean
has_payment_dialog (gpointer user_data)
{
  return leap_window_get_payment_dialog (user_data) != NULL;
}

static gboolean
sale_settled (gpointer user_data)
{
  LeapWindow *window = user_data;

  return leap_window_get_last_order (window) != NULL || (!leap_window_get_paying (window) &&
         leap_cart_view_get_hold_text (leap_window_get_cart_view (window)) != NULL &&
         strstr (leap_cart_view_get_hold_text (leap_window_get_cart_view (window)), "not") != NULL);
}

static gboolean
has_tiles (gpointer user_data)
{
  return leap_event_page_get_n_tiles (leap_window_get_event_page (user_data)) > 0;
}

static void
find_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GPtrArray **out = user_data;

  *out = leap_offline_cache_find_orders_finish (LEAP_OFFLINE_CACHE (source), result, NULL);
  g_assert_nonnull (*out);
}

static GPtrArray *
find_now (LeapOfflineCache *cache,
          const char       *text)
{
  GPtrArray *found = NULL;

  leap_offline_cache_find_orders_async (cache, text, 0, NULL, find_cb, &found);
  while (found == NULL)
    g_main_context_iteration (NULL, TRUE);
  return found;
}

static void
save_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->root = leap_offline_cache_save_order_finish (LEAP_OFFLINE_CACHE (source), result, &r->error);
  r->done = TRUE;
}

/* How many page objects the PDF has ("/Type /Page", not "/Type /Pages"). */
static guint
count_pages (const char *data,
             gsize       length)
{
  const char *p = data, *end = data + length;
  guint n = 0;

  while (p < end && (p = memmem (p, end - p, "/Type /Page", 11)) != NULL)
    {
      p += 11;
      if (p < end && *p != 's')
        n++;
    }
  return n;
}

static void
test_sale_cash (void)
{
  g_autoptr(LeapClient) client = NULL;
  g_autoptr(LeapOfflineCache) cache = NULL;
  g_autoptr(LeapWindow) window = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  g_autoptr(GPtrArray) db_codes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cache_path = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *order_id = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *receipt = NULL;
  LeapSignInDialog *dialog;
  LeapPaymentDialog *payment;
  LeapEventList *list;
  LeapTierTile *tile;
  JsonObject *order;
  const char * const *printed;
  const char *text;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gsize pdf_length;
  gint64 started;
  Result r = { 0 };

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  make_event ();

  client = leap_client_new (world.stack.url);
  cache_path = g_strdup (world.cache_path);
  cache = leap_offline_cache_new (cache_path, &error);
  g_assert_no_error (error);
  leap_test_sync_cache (cache, client, TIMEOUT_MS);

  window = g_object_ref_sink (
      g_object_new (LEAP_TYPE_WINDOW, "client", client, "cache", cache, NULL));
  gtk_window_present (GTK_WINDOW (window));

  /* Signed out, paying is not possible and says why. */
  g_assert_cmpstr (leap_cart_view_get_reason (leap_window_get_cart_view (window)), ==,
                   "Sign in to sell tickets.");

  /* Sign in as a cashier would: the dialog, the name, the password, Enter. */
  leap_window_show_sign_in (window);
  dialog = find_sign_in_dialog ();
  g_assert_nonnull (dialog);
  collect_rows (GTK_WIDGET (dialog), rows);
  g_assert_cmpuint (rows->len, ==, 3);
  gtk_editable_set_text (GTK_EDITABLE (rows->pdata[0]), world.stack.url);
  gtk_editable_set_text (GTK_EDITABLE (rows->pdata[1]), "cashier");
  gtk_editable_set_text (GTK_EDITABLE (rows->pdata[2]), PASSWORD);
  /* The header's Sign In (the first suggested action that shows). */
  g_signal_emit_by_name (find_suggested_button (GTK_WIDGET (dialog)), "clicked");
  g_assert_true (leap_test_wait_for (signed_in, client, TIMEOUT_MS));
  g_assert_cmpstr (leap_client_get_role (client), ==, "cashier");

  /* The show, two Stalls. */
  list = leap_window_get_event_list (window);
  {
    GListModel *shown = leap_event_list_get_shown (list);
    gboolean found = FALSE;

    for (guint i = 0; !found && i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);

        if (leap_event_get_id (event) == world.event_id)
          {
            leap_event_list_select_position (list, i);
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  g_assert_true (leap_test_wait_for (has_tiles, window, TIMEOUT_MS));
  tile = leap_event_page_get_tile (leap_window_get_event_page (window), 0);
  g_assert_cmpstr (leap_tier_get_name (leap_tier_tile_get_tier (tile)), ==, "Stalls");
  leap_tier_tile_set_quantity (tile, 2);
  g_assert_null (leap_cart_view_get_reason (leap_window_get_cart_view (window)));

  /* F9 without a hold: the tickets are held, then the dialog opens. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.pay-cash", NULL);
  g_assert_true (leap_test_wait_for (has_payment_dialog, window, TIMEOUT_MS));
  g_assert_nonnull (leap_window_get_hold_id (window));
  payment = leap_window_get_payment_dialog (window);
  g_assert_cmpstr (leap_payment_dialog_get_method (payment), ==, "cash");

  /* Too little cash cannot be taken; €100 for €90 gives €10 back. */
  leap_payment_dialog_set_tendered_text (payment, "80");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (payment), "pay"));
  leap_payment_dialog_set_tendered_text (payment, "100");
  leap_payment_dialog_set_customer_name (payment, "Ada Lovelace");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (payment), "pay"));
  g_assert_cmpint (leap_payment_dialog_get_tendered (payment), ==, 10000);
  g_assert_cmpint (leap_payment_dialog_get_change (payment), ==, 1000);
  started = g_get_monotonic_time ();
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (payment), "pay");

  g_assert_true (leap_test_wait_for (sale_settled, window, TIMEOUT_MS));
  g_test_message ("Take Cash to paid and printed: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  order = leap_window_get_last_order (window);
  if (order == NULL)
    g_error ("The sale failed: %s",
             leap_cart_view_get_hold_text (leap_window_get_cart_view (window)));
  g_assert_cmpstr (leap_json_get_string (order, "status", NULL), ==, "paid");
  order_id = g_strdup (leap_json_get_string (order, "order_id", NULL));
  g_test_message ("Sold order %s", order_id);

  /* The cart starts again and says what to give back. */
  g_assert_cmpuint (leap_cart_view_get_n_tickets (leap_window_get_cart_view (window)), ==, 0);
  g_assert_null (leap_window_get_hold_id (window));
  text = leap_cart_view_get_hold_text (leap_window_get_cart_view (window));
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "Give €10.00 change."));

  /* In the backend's database: the order, its cash payment, two tickets. */
  db_path = g_build_filename (world.stack.dir, "leap.db", NULL);
  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT status, total, currency FROM orders WHERE id = ?",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "paid");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 1), ==, 9000);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "EUR");
  g_clear_pointer (&stmt, sqlite3_finalize);

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT method, status, amount, tendered, change_given "
                                       "FROM payments WHERE order_id = ?", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "cash");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "approved");
  g_assert_cmpint (sqlite3_column_int64 (stmt, 2), ==, 9000);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 3), ==, 10000);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 4), ==, 1000);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_clear_pointer (&stmt, sqlite3_finalize);

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT code FROM tickets WHERE order_id = ? ORDER BY id",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (db_codes, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  g_assert_cmpuint (db_codes->len, ==, 2);

  /* Printed: the printer was handed exactly the database's codes, and the
   * PDF has a page for each (named by its code) and the receipt. */
  g_assert_true (leap_test_wait_for (leap_test_file_exists, world.pdf, TIMEOUT_MS));
  g_assert_nonnull (leap_window_get_last_printer (window));
  printed = leap_ticket_printer_get_codes (leap_window_get_last_printer (window));
  g_assert_cmpuint (g_strv_length ((char **) printed), ==, 2);
  for (guint i = 0; i < db_codes->len; i++)
    g_assert_true (g_strv_contains (printed, db_codes->pdata[i]));
  g_file_get_contents (world.pdf, &pdf, &pdf_length, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (pdf, "%PDF-"));
  g_assert_cmpuint (count_pages (pdf, pdf_length), ==, 3);
  for (guint i = 0; i < db_codes->len; i++)
    {
      g_autofree char *outline = g_strdup_printf ("(Ticket %s)", (char *) db_codes->pdata[i]);

      g_assert_nonnull (memmem (pdf, pdf_length, outline, strlen (outline)));
    }
  receipt = g_strdup_printf ("(Receipt %s)", order_id);
  g_assert_nonnull (memmem (pdf, pdf_length, receipt, strlen (receipt)));

  /* On the device: found by a ticket code, by the number, once. */
  {
    g_autoptr(GPtrArray) found = find_now (cache, db_codes->pdata[1]);

    g_assert_cmpuint (found->len, ==, 1);
    g_assert_cmpstr (leap_json_get_string (found->pdata[0], "order_id", NULL), ==, order_id);
    g_assert_cmpstr (leap_json_get_string (found->pdata[0], "status", NULL), ==, "paid");
  }
  /* Kept again (an answer that came twice): still one order. */
  leap_offline_cache_save_order_async (cache, order, NULL, save_cb, &r);
  r.done = FALSE;
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  g_clear_pointer (&r.root, json_object_unref);
  {
    g_autoptr(GPtrArray) found = find_now (cache, order_id);

    g_assert_cmpuint (found->len, ==, 1);
  }

  world.order_id = g_strdup (order_id);
  g_ptr_array_add (db_codes, NULL);
  world.codes = g_strdupv ((char **) db_codes->pdata);
  gtk_window_destroy (GTK_WINDOW (window));
}

typedef LeapTestCounter Counter;

/* A window on the shared cache, signed in as @user, talking to @url. */
static void
counter_open_at (Counter    *counter,
                 const char *user,
                 const char *url)
{
  LeapClient *client = leap_client_new (url);
  Result r = { 0 };

  leap_client_sign_in_async (client, user, PASSWORD, NULL, sign_in_cb, &r);
  g_assert_true (leap_test_wait_flag (&r.done, TIMEOUT_MS));
  g_assert_no_error (r.error);
  leap_test_counter_open (counter, client, world.cache_path, TIMEOUT_MS);
}

/* The same, talking to the backend. */
static void
counter_open (Counter    *counter,
              const char *user)
{
  counter_open_at (counter, user, world.stack.url);
}

static gboolean
orders_idle (gpointer user_data)
{
  return !leap_orders_view_get_busy (user_data);
}

static guint
search_orders (LeapOrdersView *view,
               const char     *text)
{
  leap_orders_view_search (view, text);
  g_assert_true (leap_test_wait_for (orders_idle, view, TIMEOUT_MS));
  return g_list_model_get_n_items (leap_orders_view_get_orders (view));
}

static gboolean
has_sale (void)
{
  if (world.order_id != NULL)
    return TRUE;
  g_test_skip (world.stack.skip ? world.stack.skip : "no sale was made");
  return FALSE;
}

/* Orders: the sale is found by a ticket code, the name, the number. */
static void
test_sale_orders (void)
{
  Counter counter = { 0 };
  LeapOrdersView *view;

  if (!has_sale ())
    return;
  counter_open (&counter, "cashier");
  view = leap_window_get_orders_view (counter.window);
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "orders");

  g_assert_cmpuint (search_orders (view, world.codes[0]), ==, 1);
  g_assert_cmpstr (leap_json_get_string (leap_orders_view_get_selected (view), "order_id", NULL),
                   ==, world.order_id);
  g_assert_cmpstr (leap_orders_view_get_status_text (view), ==, "Paid");
  /* Any case, any part; not words in another order. */
  g_assert_cmpuint (search_orders (view, "ada love"), ==, 1);
  g_assert_cmpuint (search_orders (view, "Lovelace Ada"), ==, 0);
  g_assert_cmpuint (search_orders (view, "Ada Love"), ==, 1);
  g_assert_cmpuint (search_orders (view, "ada"), ==, 1);
  g_assert_cmpuint (search_orders (view, world.order_id), ==, 1);
  g_assert_cmpuint (search_orders (view, "nobody-bought-this"), ==, 0);
  leap_test_counter_close (&counter);
}

static const char *
check_in (LeapCheckInView *view,
          const char      *code)
{
  return leap_test_check_in (view, code, TIMEOUT_MS);
}

/* The door: a sold ticket lets in once; then it is used; junk is not a
 * ticket. Each says so in words. */
static void
test_sale_check_in (void)
{
  Counter counter = { 0 };
  LeapCheckInView *view;

  if (!has_sale ())
    return;
  counter_open (&counter, "cashier");
  view = leap_window_get_check_in_view (counter.window);
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "check-in");
  /* The door admits to tonight's show unless told otherwise (issue 15). */
  leap_check_in_view_set_event_id (view, world.event_id);

  g_assert_cmpstr (check_in (view, world.codes[0]), ==, "admitted");
  g_assert_cmpstr (leap_check_in_view_get_result_title (view), ==, "VALID — LET IN");
  g_assert_cmpstr (check_in (view, world.codes[0]), ==, "used");
  g_assert_cmpstr (leap_check_in_view_get_result_title (view), ==, "ALREADY USED");
  g_assert_true (
      g_str_has_prefix (leap_check_in_view_get_result_detail (view), "This ticket was used at "));
  g_assert_cmpstr (check_in (view, "LT1.not-a-ticket.at-all"), ==, "invalid");
  g_assert_cmpstr (leap_check_in_view_get_result_title (view), ==, "INVALID TICKET");
  leap_test_counter_close (&counter);
}

static gboolean
shift_loaded (gpointer user_data)
{
  return leap_shift_view_get_loaded (user_data);
}

/* End of shift: €90 in cash; a €50 float makes €140 expected. */
static void
test_sale_shift (void)
{
  Counter counter = { 0 };
  LeapShiftView *view;
  g_auto(GStrv) report = NULL;
  g_autofree char *joined = NULL;

  if (!has_sale ())
    return;
  counter_open (&counter, "cashier");
  view = leap_window_get_shift_view (counter.window);
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "shift");
  leap_shift_view_reload (view);
  g_assert_true (leap_test_wait_for (shift_loaded, view, TIMEOUT_MS));
  g_assert_cmpint (leap_shift_view_get_cash_sales (view), ==, 9000);
  g_assert_cmpint (leap_shift_view_get_card_sales (view), ==, 0);

  leap_shift_view_set_float_text (view, "50");
  g_assert_cmpint (leap_shift_view_get_expected_cash (view), ==, 14000);
  leap_shift_view_set_counted_text (view, "140");
  g_assert_cmpstr (leap_shift_view_get_difference_text (view), ==, "None: the drawer is right");
  leap_shift_view_set_counted_text (view, "135");
  g_assert_cmpstr (leap_shift_view_get_difference_text (view), ==, "€5.00 short");

  report = leap_shift_view_dup_report (view);
  joined = g_strjoinv ("\n", report);
  g_assert_nonnull (strstr (joined, "€90.00"));
  g_assert_nonnull (strstr (joined, "€140.00"));
  g_assert_nonnull (strstr (joined, "€5.00 short"));
  leap_test_counter_close (&counter);
}

static GtkWindow *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WINDOW (window);
    }
  return NULL;
}

static void
toast_cb (LeapOrdersView *view,
          const char     *message)
{
  g_test_message ("Orders said: %s", message);
}

static gboolean
refunded (gpointer user_data)
{
  return g_strcmp0 (leap_orders_view_get_status_text (user_data), "Paid · €45.00 refunded") == 0;
}

/* A manager refunds after confirming: the ticket already used at the
 * door stays, the other is refunded and no longer lets anyone in. */
static void
test_sale_refund (void)
{
  Counter counter = { 0 };
  LeapOrdersView *view;
  GtkWindow *dialog;

  if (!has_sale ())
    return;
  counter_open (&counter, "manager");
  view = leap_window_get_orders_view (counter.window);
  g_signal_connect (view, "add-toast", G_CALLBACK (toast_cb), NULL);
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "orders");
  g_assert_cmpuint (search_orders (view, world.order_id), ==, 1);

  leap_orders_view_refund_selected (view);
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "refund");
  g_assert_true (leap_test_wait_for (refunded, view, TIMEOUT_MS));

  /* Kept so on the device too. */
  g_assert_cmpuint (search_orders (view, world.codes[1]), ==, 1);
  g_assert_cmpstr (leap_json_get_string (leap_orders_view_get_selected (view), "status", NULL), ==,
                   "paid");
  g_assert_cmpint (leap_json_get_int (leap_orders_view_get_selected (view), "refunded_amount", 0),
                   ==, 4500);

  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "check-in");
  leap_check_in_view_set_event_id (leap_window_get_check_in_view (counter.window),
                                   world.event_id);
  g_assert_cmpstr (check_in (leap_window_get_check_in_view (counter.window), world.codes[1]), ==,
                   "voided");
  g_assert_cmpstr (leap_check_in_view_get_result_title (
                       leap_window_get_check_in_view (counter.window)),
                   ==, "REFUNDED — NOT VALID");

  /* The shift counts the €45 given back in cash. */
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.show-view", "s", "shift");
  leap_shift_view_reload (leap_window_get_shift_view (counter.window));
  g_assert_true (
      leap_test_wait_for (shift_loaded, leap_window_get_shift_view (counter.window), TIMEOUT_MS));
  leap_shift_view_set_float_text (leap_window_get_shift_view (counter.window), "0");
  g_assert_cmpint (leap_shift_view_get_expected_cash (leap_window_get_shift_view (counter.window)),
                   ==, 4500);
  leap_test_counter_close (&counter);
}

typedef struct
{
  LeapWindow *window;
  char       *toast;
} Declined;

static gboolean
declined_and_held_again (gpointer user_data)
{
  LeapWindow *window = user_data;
  const char *text = leap_cart_view_get_hold_text (leap_window_get_cart_view (window));

  return !leap_window_get_paying (window) && leap_window_get_hold_id (window) != NULL &&
         text != NULL && g_str_has_prefix (text, "Held · ");
}

static gboolean
not_paying (gpointer user_data)
{
  return !leap_window_get_paying (user_data);
}

/* Whether a label that shows in @widget says @needle: what the cashier
 * can read there, whichever label it is in. */
static gboolean
shows_text (GtkWidget  *widget,
            const char *needle)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_is_visible (widget) &&
      strstr (gtk_label_get_label (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (shows_text (child, needle))
      return TRUE;
  return FALSE;
}

typedef struct
{
  LeapWindow *window;
  char       *first;
} Countdown;

/* The countdown of the new hold has moved on from @first. */
static gboolean
counted_down (gpointer user_data)
{
  Countdown *countdown = user_data;
  const char *text = leap_cart_view_get_hold_text (leap_window_get_cart_view (countdown->window));

  return text != NULL && g_str_has_prefix (text, "Held · ") &&
         g_strcmp0 (text, countdown->first) != 0;
}

/* A declined card is not a dead end: the cashier is told, the tickets are
 * held again at once, and cash settles the sale. */
static void
test_sale_card_declined (void)
{
  Counter counter = { 0 };
  LeapPaymentDialog *payment;
  LeapTierTile *tile;
  JsonObject *order;
  const char *text;
  gint64 started;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  /* A card terminal that declines every card. */
  leap_test_stack_start_worker (&world.stack, "test-sale-declines", "--card-decline-rate", "1",
                                NULL);

  counter_open (&counter, "cashier");
  {
    LeapEventList *list = leap_window_get_event_list (counter.window);
    GListModel *shown = leap_event_list_get_shown (list);

    for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
      {
        g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);

        if (leap_event_get_id (event) == world.event_id)
          leap_event_list_select_position (list, i);
      }
  }
  g_assert_true (leap_test_wait_for (has_tiles, counter.window, TIMEOUT_MS));
  tile = leap_event_page_get_tile (leap_window_get_event_page (counter.window), 0);
  leap_tier_tile_set_quantity (tile, 1);

  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.pay-card", NULL);
  g_assert_true (leap_test_wait_for (has_payment_dialog, counter.window, TIMEOUT_MS));
  payment = leap_window_get_payment_dialog (counter.window);
  g_assert_cmpstr (leap_payment_dialog_get_method (payment), ==, "card");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (payment), "pay"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (payment), "pay");
  g_assert_true (leap_test_wait_for (not_paying, counter.window, TIMEOUT_MS));
  g_assert_null (leap_window_get_last_order (counter.window));
  text = leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window));
  g_test_message ("After the decline: %s", text);

  /* Held again, the cart as it was, ready for another way of paying. */
  g_assert_true (leap_test_wait_for (declined_and_held_again, counter.window, TIMEOUT_MS));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (leap_window_get_cart_view (counter.window)), ==,
                    1);
  g_assert_null (leap_cart_view_get_reason (leap_window_get_cart_view (counter.window)));

  /* The decline stays in the cart while the new hold counts down (issue
   * 15, 6): a cashier who looked away still reads it. */
  {
    Countdown countdown = { counter.window, NULL };
    GtkWidget *cart = GTK_WIDGET (leap_window_get_cart_view (counter.window));

    countdown.first =
        g_strdup (leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window)));
    g_assert_true (leap_test_wait_for (counted_down, &countdown, TIMEOUT_MS));
    g_free (countdown.first);
    countdown.first =
        g_strdup (leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window)));
    g_assert_true (leap_test_wait_for (counted_down, &countdown, TIMEOUT_MS));
    g_free (countdown.first);
    if (!shows_text (cart, "The card was declined."))
      g_error ("The decline is no longer in the cart; it says: %s",
               leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window)));
    g_assert_true (shows_text (cart, "Held · "));
  }

  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.pay-cash", NULL);
  /* The next action on the sale clears it. */
  g_assert_false (shows_text (GTK_WIDGET (leap_window_get_cart_view (counter.window)),
                              "The card was declined."));
  g_assert_true (leap_test_wait_for (has_payment_dialog, counter.window, TIMEOUT_MS));
  payment = leap_window_get_payment_dialog (counter.window);
  leap_payment_dialog_set_tendered_text (payment, "45");
  started = g_get_monotonic_time ();
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (payment), "pay");
  g_assert_true (leap_test_wait_for (not_paying, counter.window, TIMEOUT_MS));
  g_test_message ("A later cash sale, Take Cash to paid: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  order = leap_window_get_last_order (counter.window);
  if (order == NULL)
    g_error ("The cash sale failed: %s",
             leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window)));
  g_assert_cmpstr (leap_json_get_string (order, "status", NULL), ==, "paid");
  g_assert_cmpint (leap_json_get_int (order, "total", 0), ==, 4500);

  /* The declined order is on the device as declined, not as a sale. */
  {
    g_autoptr(GPtrArray) found = find_now (counter.cache, "");
    guint failed = 0;

    for (guint i = 0; i < found->len; i++)
      if (g_strcmp0 (leap_json_get_string (found->pdata[i], "status", NULL), "failed") == 0)
        failed++;
    g_assert_cmpuint (failed, ==, 1);
  }
  leap_test_counter_close (&counter);
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
select_event_id (LeapWindow *window,
                 gint64      event_id)
{
  LeapEventList *list = leap_window_get_event_list (window);
  GListModel *shown = leap_event_list_get_shown (list);
  gboolean found = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);

      if (leap_event_get_id (event) == event_id)
        {
          leap_event_list_select_position (list, i);
          found = TRUE;
        }
    }
  g_assert_true (found);
}

static void
select_event (LeapWindow *window)
{
  select_event_id (window, world.event_id);
  g_assert_true (leap_test_wait_for (has_tiles, window, TIMEOUT_MS));
}

/* Sells @n Stalls for @cash (or by card when NULL) in @window. */
static void
sell (LeapWindow *window,
      guint       n,
      const char *cash,
      const char *customer)
{
  LeapPaymentDialog *payment;

  leap_tier_tile_set_quantity (leap_event_page_get_tile (leap_window_get_event_page (window), 0),
                               n);
  gtk_widget_activate_action (GTK_WIDGET (window), cash ? "win.pay-cash" : "win.pay-card", NULL);
  g_assert_true (leap_test_wait_for (has_payment_dialog, window, TIMEOUT_MS));
  payment = leap_window_get_payment_dialog (window);
  if (cash != NULL)
    leap_payment_dialog_set_tendered_text (payment, cash);
  if (customer != NULL)
    leap_payment_dialog_set_customer_name (payment, customer);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (payment), "pay");
  g_assert_true (leap_test_wait_for (not_paying, window, TIMEOUT_MS));
}

/* The answer to POST /orders is lost and the backend goes down after it
 * queued the order: the window must not say that nothing was charged.
 * It asks for the order until the backend is back, and shows it paid;
 * the server has one order, paid once. */
static void
test_sale_answer_lost (void)
{
  LeapTestRelay relay;
  Counter counter = { 0 };
  JsonObject *order;
  const char *text;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  leap_test_stack_start_worker (&world.stack, "test-sale-lost", NULL);
  leap_test_relay_start (&relay, &world.stack);

  counter_open_at (&counter, "cashier", relay.url);
  select_event (counter.window);

  relay.lose_post = TRUE;
  leap_tier_tile_set_quantity (
      leap_event_page_get_tile (leap_window_get_event_page (counter.window), 0), 1);
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.pay-cash", NULL);
  g_assert_true (leap_test_wait_for (has_payment_dialog, counter.window, TIMEOUT_MS));
  leap_payment_dialog_set_tendered_text (leap_window_get_payment_dialog (counter.window), "50");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (leap_window_get_payment_dialog (counter.window)),
                               "pay");

  /* The window gives up posting and asks whether the server has it. */
  if (!leap_test_wait_for (leap_test_relay_asked_for_order, &relay, TIMEOUT_MS))
    g_error ("The window did not ask for the order; it says: %s",
             leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window)));
  text = leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window));
  g_assert_true (text == NULL || strstr (text, "nothing was charged") == NULL);
  g_assert_true (leap_window_get_paying (counter.window));

  leap_test_relay_restart_backend (&relay);
  g_assert_true (leap_test_wait_for (not_paying, counter.window, TIMEOUT_MS));
  order = leap_window_get_last_order (counter.window);
  if (order == NULL)
    g_error ("The sale is not shown paid: %s",
             leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window)));
  g_assert_cmpstr (leap_json_get_string (order, "status", NULL), ==, "paid");
  g_assert_cmpint (leap_json_get_int (order, "total", 0), ==, 4500);
  {
    g_autoptr(LeapClient) boss = leap_test_stack_sign_in (&world.stack, "boss");
    g_autofree char *path = g_strconcat ("/api/v1/orders/",
                                         leap_json_get_string (order, "order_id", ""), NULL);
    g_autoptr(JsonObject) stored = leap_test_send_now (boss, "GET", path, NULL);

    g_assert_nonnull (stored);
    g_assert_cmpstr (leap_json_get_string (stored, "status", NULL), ==, "paid");
  }
  leap_test_counter_close (&counter);
  leap_test_relay_stop (&relay);
}

/* The answer to POST /orders is lost and the backend stays away past the
 * poll deadline (shortened with LEAP_CHECKOUT_DEADLINE_S): the window
 * cannot say that the server took the order, only that it may have, and
 * sends the cashier to Orders before charging again. */
static void
test_sale_answer_unknown (void)
{
  LeapTestRelay relay;
  Counter counter = { 0 };
  const char *text;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  g_setenv ("LEAP_CHECKOUT_DEADLINE_S", "2", TRUE);
  leap_test_relay_start (&relay, &world.stack);
  counter_open_at (&counter, "cashier", relay.url);
  select_event (counter.window);

  relay.lose_post = TRUE;
  sell (counter.window, 1, "50", NULL);
  g_assert_true (relay.backend_down);
  g_assert_null (leap_window_get_last_order (counter.window));
  text = leap_cart_view_get_hold_text (leap_window_get_cart_view (counter.window));
  g_assert_nonnull (text);
  if (strstr (text, "may have taken") == NULL)
    g_error ("The window says: %s", text);
  g_assert_null (strstr (text, "took the order"));
  g_assert_null (strstr (text, "nothing was charged"));
  g_assert_nonnull (strstr (text, "Orders"));

  leap_test_relay_restart_backend (&relay);
  g_unsetenv ("LEAP_CHECKOUT_DEADLINE_S");
  leap_test_counter_close (&counter);
  leap_test_relay_stop (&relay);
}

typedef struct
{
  LeapWindow *window;
  gint64      event_id;
} PageWait;

static gboolean
page_shows (gpointer user_data)
{
  PageWait *wait = user_data;
  LeapEventPage *page = leap_window_get_event_page (wait->window);
  LeapEvent *event = leap_event_page_get_event (page);

  return event != NULL && leap_event_get_id (event) == wait->event_id &&
         leap_event_page_get_n_tiles (page) > 0;
}

/* Shows the event @event_id, its tiers loaded. */
static void
show_event (LeapWindow *window,
            gint64      event_id)
{
  PageWait wait = { window, event_id };

  select_event_id (window, event_id);
  g_assert_true (leap_test_wait_for (page_shows, &wait, TIMEOUT_MS));
}

static gboolean
held_now (gpointer user_data)
{
  return leap_window_get_hold_id (user_data) != NULL;
}

static char *
hold_status (LeapClient *client,
             const char *hold_id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/holds/%s", hold_id);
  g_autoptr(JsonObject) hold = leap_test_send_now (client, "GET", path, NULL);

  return g_strdup (leap_json_get_string (hold, "status", NULL));
}

typedef struct
{
  LeapClient *client;
  const char *hold_id;
} HoldWait;

static gboolean
hold_released (gpointer user_data)
{
  HoldWait *wait = user_data;
  g_autofree char *status = hold_status (wait->client, wait->hold_id);

  return g_strcmp0 (status, "released") == 0;
}

static gboolean
has_message_dialog (gpointer user_data)
{
  return find_message_dialog () != NULL;
}

/* Another event is looked at while tickets are held (issue 15, 1): the
 * cart and its hold stay, and say which event they are for; tickets of
 * the other event ask before the held ones are given back. */
static void
test_sale_switch_event (void)
{
  Counter counter = { 0 };
  LeapCartView *cart;
  LeapTierTile *tile;
  GtkWindow *dialog;
  g_autofree char *hold_id = NULL;
  g_autofree char *status = NULL;
  gint64 other_id;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  if (world.event_id == 0)
    make_event ();
  other_id = leap_test_stack_make_event (&world.stack, "boss", "Giselle",
                                         "{\"name\": \"Balcony\", \"price\": 3000, "
                                         "\"currency\": \"EUR\", \"capacity\": 100, "
                                         "\"max_per_order\": 10}", NULL);
  counter_open (&counter, "cashier");
  cart = leap_window_get_cart_view (counter.window);

  /* One Stalls for Swan Lake, held. */
  show_event (counter.window, world.event_id);
  tile = leap_event_page_get_tile (leap_window_get_event_page (counter.window), 0);
  leap_tier_tile_set_quantity (tile, 1);
  gtk_widget_activate_action (GTK_WIDGET (counter.window), "win.hold", NULL);
  g_assert_true (leap_test_wait_for (held_now, counter.window, TIMEOUT_MS));
  hold_id = g_strdup (leap_window_get_hold_id (counter.window));
  g_assert_true (shows_text (GTK_WIDGET (cart), "For Swan Lake"));

  /* Giselle, to answer a question: the cart and the hold stay. */
  show_event (counter.window, other_id);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  g_assert_cmpstr (leap_window_get_hold_id (counter.window), ==, hold_id);
  status = hold_status (counter.client, hold_id);
  g_assert_cmpstr (status, ==, "held");
  g_clear_pointer (&status, g_free);
  g_assert_true (shows_text (GTK_WIDGET (cart), "For Swan Lake"));
  g_assert_true (shows_text (GTK_WIDGET (cart), "not the event shown"));

  /* A Balcony for Giselle asks; keeping the sale changes nothing. */
  tile = leap_event_page_get_tile (leap_window_get_event_page (counter.window), 0);
  leap_tier_tile_set_quantity (tile, 1);
  g_assert_true (leap_test_wait_for (has_message_dialog, NULL, TIMEOUT_MS));
  dialog = find_message_dialog ();
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "keep"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "new"));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_assert_cmpuint (leap_tier_tile_get_quantity (tile), ==, 0);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  g_assert_cmpstr (leap_window_get_hold_id (counter.window), ==, hold_id);

  /* Back on Swan Lake, its tier shows the cart. */
  show_event (counter.window, world.event_id);
  g_assert_cmpuint (leap_tier_tile_get_quantity (
                        leap_event_page_get_tile (leap_window_get_event_page (counter.window), 0)),
                    ==, 1);
  g_assert_false (shows_text (GTK_WIDGET (cart), "not the event shown"));

  /* Two for Giselle, and this time a new sale: the Stalls go back. */
  show_event (counter.window, other_id);
  tile = leap_event_page_get_tile (leap_window_get_event_page (counter.window), 0);
  leap_tier_tile_set_quantity (tile, 2);
  g_assert_true (leap_test_wait_for (has_message_dialog, NULL, TIMEOUT_MS));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (find_message_dialog ()), "new");
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 2);
  g_assert_true (shows_text (GTK_WIDGET (cart), "For Giselle"));
  g_assert_cmpstr (leap_window_get_hold_id (counter.window), !=, hold_id);
  {
    HoldWait wait = { counter.client, hold_id };

    g_assert_true (leap_test_wait_for (hold_released, &wait, TIMEOUT_MS));
  }
  leap_test_counter_close (&counter);
}

/* Not a test: the screenshots for the docs (`test-sale --shot NAME`, see
 * docs/screenshots): payment, paid, orders, check-in, check-in-used,
 * shift; with LEAP_SHOT_HIGH_CONTRAST=1 and LEAP_SHOT_TEXT_SCALE=F as the
 * desktop's settings would be. It stays open until it is sent SIGTERM or SIGINT. `--shot ticket
 * OUT.png` draws the first ticket and the receipt of a sale into OUT.png
 * and exits. */
static int
shot (const char *name,
      const char *out)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  Counter counter = { 0 };
  LeapWindow *window;

  g_setenv ("LEAP_PRINT_TO_PDF", "/dev/null", TRUE);
  if (!start_world ())
    {
      g_printerr ("%s\n", world.stack.skip);
      return 1;
    }
  /* Nothing printed, and no toast about it on the pictures. */
  g_unsetenv ("LEAP_PRINT_TO_PDF");
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    g_settings_set_boolean (settings, "print-after-sale", g_getenv ("LEAP_SHOT_PRINT") != NULL);
  }
  gtk_css_provider_load_from_resource (css, "/io/github/leapboxoffice/BoxOffice/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  make_event ();
  counter_open (&counter, "cashier");
  window = counter.window;
  gtk_window_maximize (GTK_WINDOW (window));
  select_event (window);

  if (g_str_equal (name, "payment"))
    {
      LeapPaymentDialog *payment;

      leap_tier_tile_set_quantity (leap_event_page_get_tile (leap_window_get_event_page (window),
                                                             0),
                                   2);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.pay-cash", NULL);
      g_assert_true (leap_test_wait_for (has_payment_dialog, window, TIMEOUT_MS));
      payment = leap_window_get_payment_dialog (window);
      leap_payment_dialog_set_tendered_text (payment, "100");
      leap_payment_dialog_set_customer_name (payment, "Ada Lovelace");
    }
  else
    {
      sell (window, 2, "100", "Ada Lovelace");
      sell (window, 1, NULL, "Grace Hopper");
      sell (window, 3, "150", NULL);
    }

  if (g_str_equal (name, "ticket") && out != NULL)
    {
      /* The first ticket and the receipt of the last sale, side by side,
       * as they come out of the printer (A6, 2 pixels a point). */
      g_autoptr(LeapTicketPrinter) printer =
        leap_ticket_printer_new (leap_window_get_last_order (window));
      const double w = 297.64, h = 419.53, margin = 18, gap = 24, scale = 2;
      guint receipt = leap_ticket_printer_get_n_pages (printer) - 1;
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24,
                                                             (int) ((2 * w + 3 * gap) * scale),
                                                             (int) ((h + 2 * gap) * scale));
      cairo_t *cr = cairo_create (surface);

      cairo_scale (cr, scale, scale);
      cairo_set_source_rgb (cr, 0.85, 0.85, 0.85);
      cairo_paint (cr);
      for (guint i = 0; i < 2; i++)
        {
          cairo_save (cr);
          cairo_translate (cr, gap + i * (w + gap), gap);
          cairo_set_source_rgb (cr, 1, 1, 1);
          cairo_rectangle (cr, 0, 0, w, h);
          cairo_fill (cr);
          cairo_translate (cr, margin, margin);
          leap_ticket_printer_render_page (printer, cr, w - 2 * margin, h - 2 * margin,
                                           i == 0 ? 0 : (int) receipt);
          cairo_restore (cr);
        }
      cairo_destroy (cr);
      g_assert_cmpint (cairo_surface_write_to_png (surface, out), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_destroy (surface);
      g_print ("wrote %s\n", out);
      leap_test_counter_close (&counter);
      stop_world ();
      return 0;
    }

  if (g_str_equal (name, "orders"))
    {
      LeapOrdersView *view = leap_window_get_orders_view (window);

      gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "orders");
      search_orders (view, "");
      leap_orders_view_select (view, 2);
    }
  else if (g_str_has_prefix (name, "check-in"))
    {
      JsonObject *order = leap_window_get_last_order (window);
      JsonArray *tickets = json_object_get_array_member (order, "tickets");
      const char *code = leap_json_get_string (json_array_get_object_element (tickets, 0), "code",
                                               "");

      gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "check-in");
      check_in (leap_window_get_check_in_view (window), code);
      if (g_str_equal (name, "check-in-used"))
        check_in (leap_window_get_check_in_view (window), code);
    }
  else if (g_str_equal (name, "shift"))
    {
      LeapShiftView *view = leap_window_get_shift_view (window);

      gtk_widget_activate_action (GTK_WIDGET (window), "win.show-view", "s", "shift");
      leap_shift_view_reload (view);
      g_assert_true (leap_test_wait_for (shift_loaded, view, TIMEOUT_MS));
      leap_shift_view_set_float_text (view, "100");
      leap_shift_view_set_counted_text (view, "325");
    }

  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);

  leap_test_counter_close (&counter);
  stop_world ();
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  int status;

  if ((argc == 3 || argc == 4) && g_str_equal (argv[1], "--shot"))
    {
      g_log_set_writer_func (leap_test_log_writer, NULL, NULL);
      gtk_init ();
      leap_test_apply_shot_settings ();
      adw_init ();
      return shot (argv[2], argc == 4 ? argv[3] : NULL);
    }

  g_log_set_writer_func (leap_test_log_writer, NULL, NULL);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/sale/cash", test_sale_cash);
  g_test_add_func ("/leap/sale/orders", test_sale_orders);
  g_test_add_func ("/leap/sale/check-in", test_sale_check_in);
  g_test_add_func ("/leap/sale/shift", test_sale_shift);
  g_test_add_func ("/leap/sale/refund", test_sale_refund);
  g_test_add_func ("/leap/sale/card-declined", test_sale_card_declined);
  g_test_add_func ("/leap/sale/answer-lost", test_sale_answer_lost);
  g_test_add_func ("/leap/sale/answer-unknown", test_sale_answer_unknown);
  g_test_add_func ("/leap/sale/switch-event", test_sale_switch_event);

  start_world ();
  status = g_test_run ();
  stop_world ();
  return status;
}
