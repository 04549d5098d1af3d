/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */
#include "leap-config.h"

#include <string.h>

#include <adwaita.h>
#include <sqlite3.h>

#include "leap-check-in-view.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-payment-dialog.h"
#include "leap-test-utils.h"
#include "leap-ticket-printer.h"

/* The pieces of selling one by one, against a fake server where one is
 * needed: the payment dialog, checkout (retries, polling, the order kept
 * once on the device), the check-in view's answers, the printer. */

#define TIMEOUT_MS 20000

typedef struct
{
  char             *dir;
  SoupServer       *server;
  char             *url;
  LeapClient       *client;
  LeapOfflineCache *cache;
  /* What the fake server saw and does. */
  guint             posts;
  guint             gets;
  guint             fail_posts;   /* answer 503 to this many first */
  guint             pending_gets; /* answer pending to this many first */
  const char       *final_status;
  GPtrArray        *keys;
} Fixture;

static void
orders_handler (SoupServer        *server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  Fixture *f = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (g_str_equal (method, "POST") && g_str_equal (path, "/api/v1/orders"))
    {
      const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                      "Idempotency-Key");

      f->posts++;
      g_ptr_array_add (f->keys, g_strdup (key));
      if (f->posts <= f->fail_posts)
        {
          leap_test_reply_json (msg, 503,
                                "{\"error\": {\"code\": \"unavailable\", \"message\": \"Busy\"}}");
          return;
        }
      leap_test_reply_json (msg, 202, "{\"order_id\": \"o-1-abc\", \"status\": \"pending\", "
                            "\"hold_id\": \"1-abc\", \"event_id\": 1}");
      return;
    }
  if (g_str_equal (method, "GET") && g_str_equal (path, "/api/v1/orders/o-1-abc"))
    {
      f->gets++;
      if (f->gets <= f->pending_gets)
        leap_test_reply_json (msg, 200, "{\"order_id\": \"o-1-abc\", \"status\": \"pending\", "
                              "\"total\": 9000, \"currency\": \"EUR\", \"payment\": null, "
                              "\"tickets\": []}");
      else if (g_str_equal (f->final_status, "failed"))
        leap_test_reply_json (
            msg, 200,
            "{\"order_id\": \"o-1-abc\", \"status\": \"failed\", "
            "\"total\": 9000, \"currency\": \"EUR\", \"reason\": \"the card was declined\", "
            "\"payment\": {\"method\": \"card\", \"status\": \"declined\"}, \"tickets\": []}");
      else
        leap_test_reply_json (
            msg, 200,
            "{\"order_id\": \"o-1-abc\", \"status\": \"paid\", "
            "\"total\": 9000, \"currency\": \"EUR\", \"reason\": null, "
            "\"customer\": {\"name\": \"Ada Lovelace\"}, "
            "\"lines\": [{\"tier_id\": 7, \"quantity\": 2, \"unit_price\": 4500, \"currency\": "
            "\"EUR\"}], "
            "\"payment\": {\"method\": \"cash\", \"status\": \"approved\", \"amount\": 9000, "
            "\"tendered\": 10000, \"change\": 1000}, "
            "\"tickets\": [{\"code\": \"LT1.first\", \"tier_id\": 7, \"status\": \"valid\"}, "
            "{\"code\": \"LT1.second\", \"tier_id\": 7, \"status\": \"valid\"}]}");
      return;
    }
  leap_test_reply_json (msg, 404, "{\"error\": {\"code\": \"not_found\", \"message\": \"No\"}}");
}

static void
checkins_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonObject) body = leap_json_parse_object (g_bytes_get_data (bytes, NULL),
                                                       g_bytes_get_size (bytes), NULL);
  const char *code = body ? leap_json_get_string (body, "code", "") : "";

  if (g_str_equal (code, "good"))
    leap_test_reply_json (msg, 200, "{\"code\": \"good\", \"status\": \"admitted\", "
                          "\"tier_name\": \"Stalls\", \"event_name\": \"Hamlet\", "
                          "\"checked_in_at\": \"2026-12-01T18:02:11Z\"}");
  else if (g_str_equal (code, "used"))
    leap_test_reply_json (
        msg, 409,
        "{\"error\": {\"code\": \"already_checked_in\", "
        "\"message\": \"Already\", \"checked_in_at\": \"2026-12-01T18:02:11Z\"}}");
  else if (g_str_equal (code, "refunded"))
    leap_test_reply_json (msg, 409, "{\"error\": {\"code\": \"voided\", \"message\": \"Voided\"}}");
  else if (g_str_equal (code, "unsold"))
    leap_test_reply_json (msg, 404, "{\"error\": {\"code\": \"not_found\", \"message\": \"No\"}}");
  else
    leap_test_reply_json (msg, 422,
                          "{\"error\": {\"code\": \"invalid_ticket\", \"message\": \"Bad\"}}");
}

static void
sessions_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  leap_test_reply_json (msg, 201, "{\"token\": \"tok\", \"user\": {\"id\": 3, "
                        "\"username\": \"anna\", \"role\": \"cashier\"}, "
                        "\"expires_at\": \"2030-01-01T00:00:00Z\"}");
}

static void
signed_in_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  leap_client_sign_in_finish (LEAP_CLIENT (source), result, &error);
  g_assert_no_error (error);
  *done = TRUE;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  f->dir = leap_test_make_tmpdir ();
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  f->keys = g_ptr_array_new_with_free_func (g_free);
  f->final_status = "paid";
  f->server = leap_test_server_new (&f->url);
  soup_server_add_handler (f->server, "/api/v1/orders", orders_handler, f, NULL);
  soup_server_add_handler (f->server, "/api/v1/checkins", checkins_handler, f, NULL);
  soup_server_add_handler (f->server, "/api/v1/sessions", sessions_handler, f, NULL);
  f->client = leap_client_new (f->url);
  leap_client_sign_in_async (f->client, "anna", "s3cret", NULL, signed_in_cb, &done);
  g_assert_true (leap_test_wait_flag (&done, TIMEOUT_MS));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->cache);
  g_clear_object (&f->server);
  g_clear_pointer (&f->url, g_free);
  g_clear_pointer (&f->keys, g_ptr_array_unref);
  leap_test_rm_rf (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

static GPtrArray *
buttons_of (GtkWidget *widget,
            GPtrArray *found)
{
  if (GTK_IS_BUTTON (widget) && gtk_widget_get_visible (widget) &&
      gtk_button_get_label (GTK_BUTTON (widget)) != NULL &&
      g_str_has_prefix (gtk_button_get_label (GTK_BUTTON (widget)), "€"))
    g_ptr_array_add (found, (gpointer) gtk_button_get_label (GTK_BUTTON (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    buttons_of (child, found);
  return found;
}

/* Cash: the notes offered, the change, too little refused; card: no cash. */
static void
test_payment_dialog (void)
{
  LeapPaymentDialog *dialog;
  g_autoptr(GPtrArray) notes = g_ptr_array_new ();

  dialog = leap_payment_dialog_new (NULL, "cash", leap_money_init (9000, "EUR"));
  buttons_of (GTK_WIDGET (dialog), notes);
  g_assert_cmpuint (notes->len, ==, 4);
  g_assert_cmpstr (notes->pdata[0], ==, "€90.00");
  g_assert_cmpstr (notes->pdata[1], ==, "€100.00");
  g_assert_cmpstr (notes->pdata[2], ==, "€150.00");
  g_assert_cmpstr (notes->pdata[3], ==, "€200.00");

  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pay"));
  leap_payment_dialog_set_tendered_text (dialog, "ninety");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pay"));
  leap_payment_dialog_set_tendered_text (dialog, "89,99");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pay"));
  leap_payment_dialog_set_tendered_text (dialog, "90");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pay"));
  g_assert_cmpint (leap_payment_dialog_get_change (dialog), ==, 0);
  leap_payment_dialog_set_tendered_text (dialog, "95.50");
  g_assert_cmpint (leap_payment_dialog_get_tendered (dialog), ==, 9550);
  g_assert_cmpint (leap_payment_dialog_get_change (dialog), ==, 550);
  g_assert_null (leap_payment_dialog_get_customer_name (dialog));
  leap_payment_dialog_set_customer_name (dialog, "  Ada");
  g_assert_cmpstr (leap_payment_dialog_get_customer_name (dialog), ==, "Ada");
  gtk_window_destroy (GTK_WINDOW (dialog));

  dialog = leap_payment_dialog_new (NULL, "card", leap_money_init (4500, "EUR"));
  g_ptr_array_set_size (notes, 0);
  buttons_of (GTK_WIDGET (dialog), notes);
  g_assert_cmpuint (notes->len, ==, 0);
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pay"));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static JsonObject *
sale (const char *method)
{
  g_autofree char *json = g_strdup_printf (
    "{\"hold_id\": \"1-abc\", \"payment\": {\"method\": \"%s\", \"tendered\": 10000}, "
    "\"customer\": {\"name\": \"Ada Lovelace\"}, \"total\": 9000, \"currency\": \"EUR\", "
    "\"event\": {\"id\": 1, \"name\": \"Hamlet\", \"starts_at\": 1893456000}, "
    "\"tier_names\": {\"7\": \"Stalls\"}}", method);

  return leap_json_parse_object (json, -1, NULL);
}

/* A POST that met a busy server is sent again with the same key; the
 * order is polled until paid, and kept once, with what the device knew. */
static void
test_checkout_paid (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(LeapCheckout) checkout = leap_checkout_new (f->client, f->cache);
  g_autoptr(JsonObject) request = sale ("cash");
  g_autoptr(GPtrArray) found = NULL;
  LeapTestPay r = { 0 };

  f->fail_posts = 2;
  f->pending_gets = 3;
  leap_test_pay (checkout, request, &r, TIMEOUT_MS);
  g_assert_no_error (r.error);
  g_assert_cmpint (r.placed, ==, LEAP_PLACED_YES);
  g_assert_cmpuint (f->posts, ==, 3);
  g_assert_cmpuint (f->keys->len, ==, 3);
  g_assert_nonnull (f->keys->pdata[0]);
  g_assert_cmpstr (f->keys->pdata[0], ==, f->keys->pdata[1]);
  g_assert_cmpstr (f->keys->pdata[1], ==, f->keys->pdata[2]);
  g_assert_cmpuint (f->gets, ==, 4);
  g_assert_cmpstr (leap_json_get_string (r.order, "status", NULL), ==, "paid");
  /* What the server said, and what the device added. */
  g_assert_cmpstr (leap_json_get_string (json_object_get_object_member (r.order, "event"), "name",
                                         NULL), ==, "Hamlet");
  g_assert_cmpstr (leap_json_get_string (r.order, "cashier", NULL), ==, "anna");

  found = leap_test_find_orders (f->cache, "LT1.second", 0);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = leap_test_find_orders (f->cache, "lovelace", 0);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  /* A shift that began later does not count it. */
  found = leap_test_find_orders (f->cache, "", g_get_real_time () / G_USEC_PER_SEC + 3600);
  g_assert_cmpuint (found->len, ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  /* % is a character here, not a wildcard. */
  found = leap_test_find_orders (f->cache, "%", 0);
  g_assert_cmpuint (found->len, ==, 0);
  json_object_unref (r.order);
}

/* A declined card is a result, kept as such. */
static void
test_checkout_declined (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(LeapCheckout) checkout = leap_checkout_new (f->client, f->cache);
  g_autoptr(JsonObject) request = sale ("card");
  g_autoptr(GPtrArray) found = NULL;
  LeapTestPay r = { 0 };

  f->final_status = "failed";
  leap_test_pay (checkout, request, &r, TIMEOUT_MS);
  g_assert_no_error (r.error);
  g_assert_cmpstr (leap_json_get_string (r.order, "status", NULL), ==, "failed");
  g_assert_cmpstr (leap_json_get_string (r.order, "reason", NULL), ==, "the card was declined");
  found = leap_test_find_orders (f->cache, "o-1-abc", 0);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (leap_json_get_string (found->pdata[0], "status", NULL), ==, "failed");
  json_object_unref (r.order);
}

/* No server at all: not placed, so nothing was sold, and the device keeps
 * the order once, as not placed (it may be looked up later). */
static void
test_checkout_unreachable (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *nowhere = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  g_autoptr(LeapClient) client = leap_client_new (nowhere);
  g_autoptr(LeapCheckout) checkout = leap_checkout_new (client, f->cache);
  g_autoptr(JsonObject) request = sale ("cash");
  g_autoptr(GPtrArray) found = NULL;
  LeapTestPay r = { 0 };

  leap_test_pay (checkout, request, &r, TIMEOUT_MS);
  g_assert_error (r.error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE);
  g_assert_cmpint (r.placed, ==, LEAP_PLACED_NO);
  g_assert_null (r.order);
  found = leap_test_find_orders (f->cache, "o-1-abc", 0);
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_error (&r.error);
}

/* Every answer of the door, in colour (the state is the CSS class) and
 * words; a server out of reach admits no one. */
static void
test_check_in_view (Fixture       *f,
                    gconstpointer  data)
{
  LeapCheckInView *view = g_object_ref_sink (g_object_new (LEAP_TYPE_CHECK_IN_VIEW, NULL));
  g_autofree char *nowhere = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_cmpstr (leap_check_in_view_get_state (view), ==, "idle");

  /* Signed out: nothing is asked. */
  g_assert_cmpstr (leap_test_check_in (view, "good", TIMEOUT_MS), ==, "error");
  leap_check_in_view_set_client (view, f->client);

  g_assert_cmpstr (leap_test_check_in (view, "good", TIMEOUT_MS), ==, "admitted");
  g_assert_cmpstr (leap_check_in_view_get_result_detail (view), ==, "Hamlet · Stalls");
  g_assert_cmpstr (leap_test_check_in (view, "used", TIMEOUT_MS), ==, "used");
  g_assert_nonnull (strstr (leap_check_in_view_get_result_detail (view), "Do not let in again"));
  g_assert_cmpstr (leap_test_check_in (view, "refunded", TIMEOUT_MS), ==, "voided");
  g_assert_cmpstr (leap_test_check_in (view, "unsold", TIMEOUT_MS), ==, "invalid");
  g_assert_cmpstr (leap_test_check_in (view, "garbled", TIMEOUT_MS), ==, "invalid");
  /* Blank: nothing new is asked. */
  g_assert_cmpstr (leap_test_check_in (view, "   ", TIMEOUT_MS), ==, "invalid");

  leap_client_set_base_url (f->client, nowhere);
  g_assert_cmpstr (leap_test_check_in (view, "good", TIMEOUT_MS), ==, "error");
  g_assert_cmpstr (leap_check_in_view_get_result_title (view), ==, "NOT CHECKED");
  g_assert_true (g_str_has_prefix (leap_check_in_view_get_result_detail (view),
                                   "The server cannot be reached"));

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (view);
}

static void
printed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (leap_ticket_printer_print_finish (LEAP_TICKET_PRINTER (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

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

/* Tickets: a page each (voided ones left out) and the receipt. */
static void
test_printer (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *pdf_path = g_build_filename (dir, "order.pdf", NULL);
  g_autoptr(JsonObject) order = leap_json_parse_object (
      "{\"order_id\": \"o-1-abc\", \"status\": \"paid\", \"total\": 13500, \"currency\": \"EUR\", "
      "\"event\": {\"name\": \"Hamlet\", \"starts_at\": 1893456000, \"timezone\": "
      "\"Europe/Berlin\"}, "
      "\"tier_names\": {\"7\": \"Stalls\"}, "
      "\"lines\": [{\"tier_id\": 7, \"quantity\": 3, \"unit_price\": 4500, \"currency\": "
      "\"EUR\"}], "
      "\"payment\": {\"method\": \"card\", \"status\": \"approved\"}, "
      "\"tickets\": [{\"code\": \"LT1.one\", \"tier_id\": 7, \"status\": \"valid\"}, "
      "{\"code\": \"LT1.two\", \"tier_id\": 7, \"status\": \"voided\"}, "
      "{\"code\": \"LT1.three\", \"tier_id\": 7, \"status\": \"valid\"}]}",
      -1, NULL);
  g_autoptr(LeapTicketPrinter) printer = leap_ticket_printer_new (order);
  g_autoptr(LeapTicketPrinter) report = NULL;
  g_autoptr(LeapTicketPrinter) coded = NULL;
  g_autofree char *pdf = NULL;
  g_autoptr(GError) error = NULL;
  const char *lines[] = { "Cash    1   €90.00", "Card    0    €0.00", NULL };
  gboolean done = FALSE;
  gsize length;

  g_setenv ("LEAP_PRINT_TO_PDF", pdf_path, TRUE);
  g_assert_cmpuint (leap_ticket_printer_get_n_pages (printer), ==, 3);
  g_assert_cmpuint (g_strv_length ((char **) leap_ticket_printer_get_codes (printer)), ==, 2);
  leap_ticket_printer_print_async (printer, NULL, FALSE, NULL, printed_cb, &done);
  g_assert_true (leap_test_wait_flag (&done, TIMEOUT_MS));
  g_file_get_contents (pdf_path, &pdf, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_pages (pdf, length), ==, 3);
  g_assert_nonnull (memmem (pdf, length, "(Ticket LT1.one)", 16));
  g_assert_nonnull (memmem (pdf, length, "(Ticket LT1.three)", 18));
  g_assert_null (memmem (pdf, length, "LT1.two", 7));
  g_assert_nonnull (memmem (pdf, length, "(Receipt o-1-abc)", 17));
  g_clear_pointer (&pdf, g_free);

  /* Without a short code, people read the ticket codes themselves; with
   * one, the order's code and each ticket's number in the order (the third
   * stays the third when the second is refunded). */
  g_assert_cmpstr (leap_ticket_printer_get_labels (printer)[0], ==, "LT1.one");
  json_object_set_string_member (order, "code", "K7M4QXZ");
  coded = leap_ticket_printer_new (order);
  g_assert_cmpstr (leap_ticket_printer_get_labels (coded)[0], ==, "K7M-4QXZ-1");
  g_assert_cmpstr (leap_ticket_printer_get_labels (coded)[1], ==, "K7M-4QXZ-3");
  g_assert_cmpstr (leap_ticket_printer_get_codes (coded)[1], ==, "LT1.three");

  report = leap_ticket_printer_new_report ("End of Shift", lines);
  done = FALSE;
  leap_ticket_printer_print_async (report, NULL, FALSE, NULL, printed_cb, &done);
  g_assert_true (leap_test_wait_flag (&done, TIMEOUT_MS));
  g_file_get_contents (pdf_path, &pdf, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count_pages (pdf, length), ==, 1);
  g_assert_nonnull (memmem (pdf, length, "(End of Shift)", 14));
  g_unsetenv ("LEAP_PRINT_TO_PDF");
  leap_test_rm_rf (dir);
}

/* The device's orders outlive a rebuild of the catalogue copy (another
 * schema version) and a sync from another server. */
static void
test_orders_kept (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(LeapOfflineCache) cache = NULL;
  g_autoptr(JsonObject) order = leap_json_parse_object (
    "{\"order_id\": \"o-9-kept\", \"status\": \"paid\", \"total\": 100, \"currency\": \"EUR\", "
    "\"tickets\": [{\"code\": \"LT1.kept\"}]}", -1, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  sqlite3 *db = NULL;

  cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  leap_test_save_order (cache, order, TIMEOUT_MS);
  g_clear_object (&cache);

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 0", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  found = leap_test_find_orders (cache, "LT1.kept", 0);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (leap_json_get_string (found->pdata[0], "status", NULL), ==, "paid");
  g_clear_object (&cache);
  leap_test_rm_rf (dir);
}

/* The shortcuts window builds, and lists the new actions. */
static void
test_help_overlay (void)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/leapboxoffice/BoxOffice/gtk/help-overlay.ui");
  GObject *overlay = gtk_builder_get_object (builder, "help_overlay");
  g_autoptr(GBytes) bytes =
    g_resources_lookup_data ("/io/github/leapboxoffice/BoxOffice/gtk/help-overlay.ui", 0,
                             NULL);

  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));
  g_assert_nonnull (
      g_strstr_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "win.print"));
  g_assert_nonnull (
      g_strstr_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "win.pay-cash"));
  gtk_window_destroy (GTK_WINDOW (overlay));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/views/payment-dialog", test_payment_dialog);
  g_test_add ("/leap/views/checkout-paid", Fixture, NULL, fixture_set_up, test_checkout_paid,
              fixture_tear_down);
  g_test_add ("/leap/views/checkout-declined", Fixture, NULL, fixture_set_up,
              test_checkout_declined, fixture_tear_down);
  g_test_add ("/leap/views/checkout-unreachable", Fixture, NULL, fixture_set_up,
              test_checkout_unreachable, fixture_tear_down);
  g_test_add ("/leap/views/check-in", Fixture, NULL, fixture_set_up, test_check_in_view,
              fixture_tear_down);
  g_test_add_func ("/leap/views/printer", test_printer);
  g_test_add_func ("/leap/views/help-overlay", test_help_overlay);
  g_test_add_func ("/leap/views/orders-kept", test_orders_kept);

  return g_test_run ();
}
