/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */
#include "leap-config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "leap-client.h"
#include "leap-event.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-kiosk-window.h"
#include "leap-offline-cache.h"
#include "leap-test-utils.h"
#include "leap-ticket-printer.h"

/* The self-service kiosk from end to end: redis-server, leap-backend and
 * leap-worker (with the simulated card terminal, which approves every
 * card after a second) run on free loopback ports; the kiosk window is signed in as a
 * kiosk device and sells, resets after an idle customer, refuses to be
 * left without the staff PIN, waits calmly while the server is away, and
 * switches its language. With LEAP_KIOSK_SHOTS=DIR set, each page is
 * saved as DIR/kiosk-PAGE.png (with LEAP_SHOT_HIGH_CONTRAST=1 and
 * LEAP_SHOT_TEXT_SCALE=F applied as the desktop's settings). */

#define TIMEOUT_MS 20000
#define PASSWORD "kiosk-42"
#define CAPACITY 200

static struct
{
  LeapTestStack stack;
  char         *pdf;
  gint64        event_id;
  gint64        before;   /* Stalls left before the last pick_two_tickets () */
} world;

typedef struct
{
  gboolean    done;
  gboolean    ok;
  JsonObject *root;
  GError     *error;
} Result;

/* The simulated card terminal approves every card after a second. */
static void
start_worker (void)
{
  leap_test_stack_start_worker (&world.stack, "test-kiosk", "--card-decline-rate", "0",
                                "--card-latency-ms", "1000", NULL);
}

static gboolean
start_world (void)
{
  if (!leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD,
                              "kiosk-1", "kiosk", "boss", "admin", NULL))
    return FALSE;
  start_worker ();
  world.pdf = g_build_filename (world.stack.dir, "printed", "tickets.pdf", NULL);
  g_setenv ("LEAP_PRINT_TO_PDF", world.pdf, TRUE);
  return TRUE;
}

static void
stop_world (void)
{
  leap_test_stack_stop (&world.stack);
  g_clear_pointer (&world.pdf, g_free);
}

/* A show of its own with one tier of CAPACITY seats, made by an admin. */
static void
make_event (void)
{
  g_autofree char *stalls = g_strdup_printf ("{\"name\": \"Stalls\", \"price\": 4500, "
                                             "\"currency\": \"EUR\", \"capacity\": %d, "
                                             "\"max_per_order\": 10}", CAPACITY);

  world.event_id = leap_test_stack_make_event (&world.stack, "boss", "The Magic Flute", stalls,
                                               "{\"name\": \"Balcony\", \"price\": 2900, "
                                               "\"currency\": \"EUR\", \"capacity\": 50, "
                                               "\"max_per_order\": 10}", NULL);
}

/* What the server says is left in the show's first tier. */
static gint64
available_now (void)
{
  g_autoptr(LeapClient) client = leap_client_new (world.stack.url);
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                                           world.event_id);
  g_autoptr(JsonObject) root = leap_test_send_now (client, "GET", path, NULL);
  JsonArray *tiers = json_object_get_array_member (root, "tiers");
  gint64 stalls = -1;

  for (guint i = 0; i < json_array_get_length (tiers); i++)
    {
      JsonObject *tier = json_array_get_object_element (tiers, i);

      if (json_object_get_int_member (tier, "capacity") == CAPACITY)
        stalls = json_object_get_int_member (tier, "available");
    }
  return stalls;
}

/* The tickets held by the last pick_two_tickets () are for sale again. */
static gboolean
given_back (gpointer user_data)
{
  return available_now () == world.before;
}

typedef struct
{
  LeapClient       *client;
  LeapOfflineCache *cache;
  LeapKioskWindow  *window;
} Kiosk;

/* A kiosk talking to the backend at @url (the backend's, or a relay's). */
static void
kiosk_open_at (Kiosk      *kiosk,
               const char *url)
{
  g_autoptr(GError) error = NULL;

  kiosk->client = leap_test_stack_sign_in_at (&world.stack, "kiosk-1", url);
  g_assert_cmpstr (leap_client_get_role (kiosk->client), ==, "kiosk");
  kiosk->cache = leap_offline_cache_new (":memory:", &error);
  g_assert_no_error (error);
  leap_test_sync_cache (kiosk->cache, kiosk->client, TIMEOUT_MS);
  kiosk->window = g_object_ref_sink (leap_kiosk_window_new (NULL, kiosk->client, kiosk->cache));
  gtk_window_present (GTK_WINDOW (kiosk->window));
}

static void
kiosk_open (Kiosk *kiosk)
{
  kiosk_open_at (kiosk, world.stack.url);
}

static void
kiosk_close (Kiosk *kiosk)
{
  if (kiosk->window != NULL && !leap_kiosk_window_get_left (kiosk->window))
    gtk_window_destroy (GTK_WINDOW (kiosk->window));
  g_clear_object (&kiosk->window);
  g_clear_object (&kiosk->cache);
  g_clear_object (&kiosk->client);
}

typedef struct
{
  LeapKioskWindow *window;
  const char      *page;
} PageWait;

static gboolean
on_page (gpointer user_data)
{
  PageWait *wait = user_data;

  return g_strcmp0 (leap_kiosk_window_get_page_name (wait->window), wait->page) == 0;
}

static void
assert_page_soon (LeapKioskWindow *window,
                  const char      *page,
                  guint            timeout_ms)
{
  PageWait wait = { window, page };

  if (!leap_test_wait_for (on_page, &wait, timeout_ms))
    g_error ("The kiosk shows %s, not %s", leap_kiosk_window_get_page_name (window), page);
}

static gboolean
rendered (gpointer user_data)
{
  gint64 *until = user_data;

  return g_get_monotonic_time () >= *until;
}

/* Saves what @widget shows as $LEAP_KIOSK_SHOTS/kiosk-NAME.png. */
static void
maybe_shot (GtkWidget  *widget,
            const char *name)
{
  const char *dir = g_getenv ("LEAP_KIOSK_SHOTS");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  GtkSnapshot *snapshot;
  gint64 until = g_get_monotonic_time () + 400 * 1000;
  int width, height;

  if (dir == NULL)
    return;
  /* Let the page's transition end and its spinner turn. */
  leap_test_wait_for (rendered, &until, 2000);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  file = g_strdup_printf ("kiosk-%s.png", name);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);
}

static gboolean
ready_to_pay (gpointer user_data)
{
  LeapKioskWindow *window = user_data;

  return leap_kiosk_window_get_hold_id (window) != NULL && !leap_kiosk_window_get_busy (window);
}

static gboolean
has_tiers (gpointer user_data)
{
  return leap_kiosk_window_get_n_tiers (user_data) > 0;
}

/* Start → the show → two Stalls, held. */
static void
pick_two_tickets (LeapKioskWindow *window,
                  gboolean         shots)
{
  g_assert_cmpstr (leap_kiosk_window_get_page_name (window), ==, "start");
  if (shots)
    maybe_shot (GTK_WIDGET (window), "start");
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.start", NULL);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (window), ==, "events");
  if (shots)
    maybe_shot (GTK_WIDGET (window), "events");
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.choose-event", "x", world.event_id);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (window), ==, "tickets");
  g_assert_true (leap_test_wait_for (has_tiers, window, TIMEOUT_MS));
  g_assert_cmpuint (leap_kiosk_window_get_n_tiers (window), ==, 2);
  /* Nothing picked: nothing to pay for. */
  g_assert_false (gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.pay", NULL) &&
                  g_strcmp0 (leap_kiosk_window_get_page_name (window), "paying") == 0);

  world.before = available_now ();
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.add-ticket", "u", 0);
  gtk_widget_activate_action (GTK_WIDGET (window), "kiosk.add-ticket", "u", 0);
  g_assert_cmpuint (leap_kiosk_window_get_n_tickets (window), ==, 2);
  g_assert_true (leap_test_wait_for (ready_to_pay, window, TIMEOUT_MS));
  g_assert_cmpint (available_now (), ==, world.before - 2);
  if (shots)
    maybe_shot (GTK_WIDGET (window), "tickets");
}

static gboolean
order_settled (gpointer user_data)
{
  return leap_kiosk_window_get_last_order (user_data) != NULL ||
         g_strcmp0 (leap_kiosk_window_get_page_name (user_data), "tickets") == 0;
}

static guint
count (const char *data,
       gsize       length,
       const char *what)
{
  const char *p = data, *end = data + length;
  guint n = 0;

  while (p < end && (p = memmem (p, end - p, what, strlen (what))) != NULL)
    {
      p += strlen (what);
      n++;
    }
  return n;
}

static void
test_kiosk_sale (void)
{
  Kiosk kiosk = { 0 };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = NULL;
  const char * const *codes;
  JsonObject *order;
  JsonObject *payment;
  gsize length;
  gint64 started;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  g_settings_set_uint (settings, "kiosk-thank-you-seconds", 2);
  kiosk_open (&kiosk);
  pick_two_tickets (kiosk.window, TRUE);

  /* Pay by card: the simulated terminal approves it. */
  started = g_get_monotonic_time ();
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.pay", NULL));
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "paying");
  maybe_shot (GTK_WIDGET (kiosk.window), "paying");
  g_assert_true (leap_test_wait_for (order_settled, kiosk.window, TIMEOUT_MS));
  order = leap_kiosk_window_get_last_order (kiosk.window);
  if (order == NULL)
    g_error ("The kiosk sale failed: %s", leap_kiosk_window_get_message (kiosk.window));
  g_test_message ("Pay to paid: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_cmpstr (leap_json_get_string (order, "status", NULL), ==, "paid");
  g_assert_cmpint (leap_json_get_int (order, "total", 0), ==, 9000);
  payment = json_object_get_object_member (order, "payment");
  g_assert_nonnull (payment);
  g_assert_cmpstr (leap_json_get_string (payment, "method", NULL), ==, "card");
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "thanks");
  g_assert_null (leap_kiosk_window_get_hold_id (kiosk.window));
  /* Sold, not given back. */
  g_assert_cmpint (available_now (), ==, world.before - 2);

  /* Printed: two tickets (and the receipt) in the PDF. */
  g_assert_true (leap_test_wait_for (leap_test_file_exists, world.pdf, TIMEOUT_MS));
  codes = leap_ticket_printer_get_codes (leap_kiosk_window_get_last_printer (kiosk.window));
  g_assert_cmpuint (g_strv_length ((char **) codes), ==, 2);
  g_file_get_contents (world.pdf, &pdf, &length, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (pdf, "%PDF-"));
  g_assert_cmpuint (count (pdf, length, "(Ticket "), ==, 2);
  for (guint i = 0; codes[i] != NULL; i++)
    {
      g_autofree char *outline = g_strdup_printf ("(Ticket %s)", codes[i]);

      g_assert_nonnull (memmem (pdf, length, outline, strlen (outline)));
    }
  maybe_shot (GTK_WIDGET (kiosk.window), "thanks");

  /* Back at the start by itself, ready for the next customer. */
  assert_page_soon (kiosk.window, "start", 10000);
  g_assert_cmpuint (leap_kiosk_window_get_n_tickets (kiosk.window), ==, 0);
  g_settings_reset (settings, "kiosk-thank-you-seconds");
  kiosk_close (&kiosk);
}

static gboolean
asks_still_there (gpointer user_data)
{
  return leap_kiosk_window_get_still_there (user_data) != NULL;
}

static void
test_kiosk_idle_reset (void)
{
  Kiosk kiosk = { 0 };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  gint64 started;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  g_settings_set_uint (settings, "kiosk-idle-timeout", 2);
  kiosk_open (&kiosk);
  pick_two_tickets (kiosk.window, FALSE);
  g_assert_nonnull (leap_kiosk_window_get_hold_id (kiosk.window));

  /* The customer walks away: asked, then the kiosk starts over. */
  started = g_get_monotonic_time ();
  g_assert_true (leap_test_wait_for (asks_still_there, kiosk.window, 10000));
  g_assert_cmpint (g_get_monotonic_time () - started, >=, G_USEC_PER_SEC);
  maybe_shot (GTK_WIDGET (leap_kiosk_window_get_still_there (kiosk.window)), "still-there");
  assert_page_soon (kiosk.window, "start", 10000);
  g_test_message ("Idle to reset: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  g_assert_null (leap_kiosk_window_get_still_there (kiosk.window));
  g_assert_null (leap_kiosk_window_get_hold_id (kiosk.window));
  g_assert_cmpuint (leap_kiosk_window_get_n_tickets (kiosk.window), ==, 0);
  /* The hold was given back: every seat is for sale again. */
  g_assert_true (leap_test_wait_for (given_back, NULL, TIMEOUT_MS));

  /* Answering the question keeps the cart. */
  pick_two_tickets (kiosk.window, FALSE);
  g_assert_true (leap_test_wait_for (asks_still_there, kiosk.window, 10000));
  adw_message_dialog_response (leap_kiosk_window_get_still_there (kiosk.window), "continue");
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "tickets");
  g_assert_nonnull (leap_kiosk_window_get_hold_id (kiosk.window));
  g_assert_cmpint (available_now (), ==, world.before - 2);

  /* Back on the events page gives the tickets back too. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.back", NULL);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "events");
  g_assert_true (leap_test_wait_for (given_back, NULL, TIMEOUT_MS));

  g_settings_reset (settings, "kiosk-idle-timeout");
  kiosk_close (&kiosk);
}

static gboolean
no_exit_dialog (gpointer user_data)
{
  return leap_kiosk_window_get_exit_dialog (user_data) == NULL;
}

static gboolean
dialog_shown (gpointer user_data)
{
  return gtk_widget_get_mapped (user_data);
}

/* The button labelled @label under @root, or NULL. */
static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  g_autoptr(GPtrArray) buttons = leap_test_find_widgets (root, GTK_TYPE_BUTTON, FALSE);

  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (buttons->pdata[i]), label) == 0)
      return buttons->pdata[i];
  return NULL;
}

/* The buttons and fields of @dialog on screen. */
static GPtrArray *
find_controls (GtkWidget *dialog)
{
  GPtrArray *controls = leap_test_find_widgets (dialog, GTK_TYPE_BUTTON, TRUE);
  g_autoptr(GPtrArray) entries = leap_test_find_widgets (dialog, GTK_TYPE_ENTRY, TRUE);

  g_ptr_array_extend (controls, entries, NULL, NULL);
  return controls;
}

static gboolean
controls_laid_out (gpointer user_data)
{
  g_autoptr(GPtrArray) controls = find_controls (user_data);

  for (guint i = 0; i < controls->len; i++)
    if (gtk_widget_get_height (controls->pdata[i]) == 0)
      return FALSE;
  return controls->len > 0;
}

/* Every button and field of @dialog is a target a finger hits. */
static void
assert_touch_sized (GtkWidget *dialog)
{
  g_autoptr(GPtrArray) controls = NULL;

  g_assert_true (leap_test_wait_for (controls_laid_out, dialog, TIMEOUT_MS));
  controls = find_controls (dialog);
  g_assert_cmpuint (controls->len, >=, 3);
  for (guint i = 0; i < controls->len; i++)
    {
      g_test_message ("%s: %d px high", G_OBJECT_TYPE_NAME (controls->pdata[i]),
                      gtk_widget_get_height (controls->pdata[i]));
      g_assert_cmpint (gtk_widget_get_height (controls->pdata[i]), >=, 64);
    }
}

static gboolean
pointer_cleared (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

static void
test_kiosk_exit (void)
{
  Kiosk kiosk = { 0 };
  LeapKioskWindow *window;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *hash = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  g_settings_reset (settings, "kiosk-pin-hash");
  kiosk_open (&kiosk);

  /* Closing the window (Alt+F4) does nothing. */
  gtk_window_close (GTK_WINDOW (kiosk.window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (kiosk.window)));

  /* No PIN set: leaving is refused, and the dialog says why. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.exit", NULL));
  dialog = leap_kiosk_window_get_exit_dialog (kiosk.window);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_has_response (dialog, "leave"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "none is set"));
  adw_message_dialog_response (dialog, "close");
  g_assert_false (leap_kiosk_window_get_left (kiosk.window));

  /* The PIN's Argon2id hash, never the PIN, is in the settings. */
  hash = leap_kiosk_hash_pin ("2468");
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  g_assert_null (strstr (hash, "2468"));
  g_assert_true (leap_kiosk_pin_matches (hash, "2468"));
  g_assert_false (leap_kiosk_pin_matches (hash, "2469"));
  g_assert_false (leap_kiosk_pin_matches (hash, ""));
  g_assert_false (leap_kiosk_pin_matches ("2468", "2468"));
  g_settings_set_string (settings, "kiosk-pin-hash", hash);

  /* A wrong PIN is refused... */
  g_assert_null (leap_kiosk_window_get_exit_dialog (kiosk.window));
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.exit", NULL);
  dialog = leap_kiosk_window_get_exit_dialog (kiosk.window);
  g_assert_nonnull (dialog);
  g_assert_true (adw_message_dialog_has_response (dialog, "leave"));
  maybe_shot (GTK_WIDGET (dialog), "exit-pin");
  /* Sized for a finger: its buttons and its field are 64 pixels high. */
  g_assert_true (leap_test_wait_for (dialog_shown, dialog, TIMEOUT_MS));
  assert_touch_sized (GTK_WIDGET (dialog));
  leap_kiosk_window_set_exit_pin_text (kiosk.window, "1357");
  adw_message_dialog_response (dialog, "leave");
  g_assert_false (leap_kiosk_window_get_left (kiosk.window));
  g_assert_cmpstr (leap_kiosk_window_get_message (kiosk.window), ==, "Wrong PIN.");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (kiosk.window)));
  /* ...visibly, in the dialog, which stays: the field shakes and clears. */
  g_assert_true (leap_kiosk_window_get_exit_dialog (kiosk.window) == dialog);
  g_assert_true (leap_test_wait_for (dialog_shown, dialog, TIMEOUT_MS));
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==, "Wrong PIN.");
  entry = adw_message_dialog_get_extra_child (dialog);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_true (gtk_widget_has_css_class (entry, "shake"));
  maybe_shot (GTK_WIDGET (dialog), "exit-refused");
  /* Typed again and confirmed with Enter (the button closes the dialog
   * first): refused again, and back. */
  leap_kiosk_window_set_exit_pin_text (kiosk.window, "9999");
  g_signal_emit_by_name (gtk_editable_get_delegate (GTK_EDITABLE (entry)), "activate");
  g_assert_true (leap_kiosk_window_get_exit_dialog (kiosk.window) == dialog);
  g_assert_true (leap_test_wait_for (dialog_shown, dialog, TIMEOUT_MS));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_false (leap_kiosk_window_get_left (kiosk.window));

  /* Left open, the PIN dialog goes with the idle time. */
  g_settings_set_uint (settings, "kiosk-idle-timeout", 2);
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.exit", NULL);
  g_assert_nonnull (leap_kiosk_window_get_exit_dialog (kiosk.window));
  g_assert_true (leap_test_wait_for (no_exit_dialog, kiosk.window, 10000));
  g_assert_false (leap_kiosk_window_get_left (kiosk.window));
  g_settings_reset (settings, "kiosk-idle-timeout");

  /* ...the right one leaves, typed and confirmed with the Leave button as
   * staff do: the dialog closes itself, and the window, owned by nobody
   * else here as in the program, goes while the dialog still answers. Any
   * GLib critical on the way (a handler taken from a freed window) aborts. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.exit", NULL);
  dialog = leap_kiosk_window_get_exit_dialog (kiosk.window);
  g_assert_nonnull (dialog);
  leap_kiosk_window_set_exit_pin_text (kiosk.window, "2468");
  g_assert_true (leap_test_wait_for (dialog_shown, dialog, TIMEOUT_MS));
  window = kiosk.window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_clear_object (&kiosk.window);
  g_signal_emit_by_name (find_button (GTK_WIDGET (dialog), "Leave"), "clicked");
  g_assert_true (leap_test_wait_for (pointer_cleared, &window, TIMEOUT_MS));
  g_assert_true (leap_test_wait_for (pointer_cleared, &dialog, TIMEOUT_MS));

  g_settings_reset (settings, "kiosk-pin-hash");
  kiosk_close (&kiosk);
}

static void
test_kiosk_unavailable (void)
{
  Kiosk kiosk = { 0 };
  gint64 started;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  kiosk_open (&kiosk);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "start");

  /* The server goes: the kiosk says so calmly. */
  started = g_get_monotonic_time ();
  leap_test_stack_stop_backend (&world.stack);
  assert_page_soon (kiosk.window, "unavailable", TIMEOUT_MS);
  g_test_message ("Backend gone to unavailable page: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  maybe_shot (GTK_WIDGET (kiosk.window), "unavailable");
  /* Touching it does nothing but ask again. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.start", NULL);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "unavailable");

  /* It comes back by itself. */
  started = g_get_monotonic_time ();
  leap_test_stack_start_backend (&world.stack);
  assert_page_soon (kiosk.window, "start", TIMEOUT_MS);
  g_test_message ("Backend back to start page: %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - started) / 1000);
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.start", NULL);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "events");
  kiosk_close (&kiosk);
}

static gboolean
declined_and_held_again (gpointer user_data)
{
  LeapKioskWindow *window = user_data;

  return g_strcmp0 (leap_kiosk_window_get_page_name (window), "tickets") == 0 &&
         leap_kiosk_window_get_message (window) != NULL &&
         leap_kiosk_window_get_hold_id (window) != NULL && !leap_kiosk_window_get_busy (window);
}

/* A terminal that declines every card: nothing is sold, the customer is
 * told, and the same tickets are held again for another try. */
static void
test_kiosk_declined (void)
{
  Kiosk kiosk = { 0 };

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  leap_test_stack_start_worker (&world.stack, "test-kiosk-declines", "--card-decline-rate", "1",
                                NULL);

  kiosk_open (&kiosk);
  pick_two_tickets (kiosk.window, FALSE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.pay", NULL));
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "paying");
  g_assert_true (leap_test_wait_for (declined_and_held_again, kiosk.window, TIMEOUT_MS));
  g_assert_null (leap_kiosk_window_get_last_order (kiosk.window));
  g_assert_nonnull (strstr (leap_kiosk_window_get_message (kiosk.window), "nothing was charged"));
  g_assert_cmpuint (leap_kiosk_window_get_n_tickets (kiosk.window), ==, 2);
  /* Held again, once: two seats, not four. */
  g_assert_cmpint (available_now (), ==, world.before - 2);

  /* Giving up gives them back. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.back", NULL);
  g_assert_true (leap_test_wait_for (given_back, NULL, TIMEOUT_MS));
  kiosk_close (&kiosk);

  start_worker ();
}

/* The answer to POST /orders is lost and the backend goes down after it
 * queued the order: the kiosk must not tell the customer that nothing was
 * charged, nor offer to pay again, while the server may have the order.
 * It asks for the order until the backend is back, then thanks the
 * customer; the server has one order, paid once. */
static void
test_kiosk_answer_lost (void)
{
  LeapTestRelay relay;
  Kiosk kiosk = { 0 };
  const char *message;
  JsonObject *order;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  leap_test_relay_start (&relay, &world.stack);
  kiosk_open_at (&kiosk, relay.url);
  pick_two_tickets (kiosk.window, FALSE);

  relay.lose_post = TRUE;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.pay", NULL));
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "paying");

  /* The kiosk gives up posting and asks whether the server has it. */
  if (!leap_test_wait_for (leap_test_relay_asked_for_order, &relay, TIMEOUT_MS))
    g_error ("The kiosk did not ask for the order; it shows %s: %s",
             leap_kiosk_window_get_page_name (kiosk.window),
             leap_kiosk_window_get_message (kiosk.window));
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "paying");
  message = leap_kiosk_window_get_message (kiosk.window);
  g_assert_true (message == NULL || strstr (message, "charged") == NULL);

  leap_test_relay_restart_backend (&relay);
  g_assert_true (leap_test_wait_for (order_settled, kiosk.window, TIMEOUT_MS));
  order = leap_kiosk_window_get_last_order (kiosk.window);
  if (order == NULL)
    g_error ("The kiosk sale is not shown paid; it shows %s: %s",
             leap_kiosk_window_get_page_name (kiosk.window),
             leap_kiosk_window_get_message (kiosk.window));
  g_assert_cmpstr (leap_json_get_string (order, "status", NULL), ==, "paid");
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "thanks");
  g_assert_null (leap_kiosk_window_get_hold_id (kiosk.window));
  leap_test_stack_assert_paid (&world.stack, leap_json_get_string (order, "order_id", NULL),
                               9000, "card");
  /* Sold once: two seats, not four. */
  g_assert_cmpint (available_now (), ==, world.before - 2);
  kiosk_close (&kiosk);
  leap_test_relay_stop (&relay);
}

/* The answer is lost and the backend stays away past the poll deadline
 * (shortened with LEAP_CHECKOUT_DEADLINE_S): the kiosk cannot know whether
 * the customer paid, so it sends them to the staff with the order number,
 * and never asks them to pay again. */
static void
test_kiosk_answer_unknown (void)
{
  LeapTestRelay relay;
  Kiosk kiosk = { 0 };
  const char *hint;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  g_setenv ("LEAP_CHECKOUT_DEADLINE_S", "2", TRUE);
  leap_test_relay_start (&relay, &world.stack);
  kiosk_open_at (&kiosk, relay.url);
  pick_two_tickets (kiosk.window, FALSE);

  relay.lose_post = TRUE;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.pay", NULL));
  assert_page_soon (kiosk.window, "thanks", TIMEOUT_MS);
  g_assert_true (relay.backend_down);
  g_assert_null (leap_kiosk_window_get_last_order (kiosk.window));
  g_assert_null (leap_kiosk_window_get_message (kiosk.window));
  hint = leap_kiosk_window_get_thanks_hint (kiosk.window);
  if (strstr (hint, "staff") == NULL)
    g_error ("The kiosk says: %s", hint);
  g_assert_nonnull (strstr (hint, "o-"));
  g_assert_null (strstr (hint, "try again"));
  maybe_shot (GTK_WIDGET (kiosk.window), "unknown");

  leap_test_relay_restart_backend (&relay);
  g_unsetenv ("LEAP_CHECKOUT_DEADLINE_S");
  kiosk_close (&kiosk);
  leap_test_relay_stop (&relay);
}

/* Whether a label of @window shows @text. */
static gboolean
shows_text (GtkWidget  *window,
            const char *text)
{
  g_autoptr(GPtrArray) labels = leap_test_find_widgets (window, GTK_TYPE_LABEL, TRUE);

  for (guint i = 0; i < labels->len; i++)
    if (g_str_equal (gtk_label_get_text (labels->pdata[i]), text))
      return TRUE;
  for (guint i = 0; i < labels->len; i++)
    g_test_message ("shown: %s", gtk_label_get_text (labels->pdata[i]));
  return FALSE;
}

/* The day the test's show starts, in Berlin (its venue), as the
 * language writes it: "Mittwoch, 9. Dezember 2026" in German, "mercredi
 * 9 décembre 2026" in French; written out here, not by the code tested. */
static char *
show_day (const char *language)
{
  static const char *const de_days[] = { "Montag", "Dienstag", "Mittwoch", "Donnerstag",
                                         "Freitag", "Samstag", "Sonntag" };
  static const char *const de_months[] = { "Januar", "Februar", "März", "April", "Mai", "Juni",
                                           "Juli", "August", "September", "Oktober",
                                           "November", "Dezember" };
  static const char *const fr_days[] = { "lundi", "mardi", "mercredi", "jeudi", "vendredi",
                                         "samedi", "dimanche" };
  static const char *const fr_months[] = { "janvier", "février", "mars", "avril", "mai", "juin",
                                           "juillet", "août", "septembre", "octobre",
                                           "novembre", "décembre" };
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) at = NULL;
  g_autoptr(LeapClient) client = leap_client_new (world.stack.url);
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT, world.event_id);
  int day, month;

  event = leap_test_send_now (client, "GET", path, NULL);
  utc = g_date_time_new_from_iso8601 (leap_json_get_string (event, "starts_at", ""), NULL);
  g_assert_nonnull (utc);
  at = g_date_time_to_timezone (utc, berlin);
  day = g_date_time_get_day_of_week (at) - 1;
  month = g_date_time_get_month (at) - 1;
  if (g_str_equal (language, "de"))
    return g_strdup_printf ("%s, %d. %s %d, %02d:%02d", de_days[day],
                            g_date_time_get_day_of_month (at), de_months[month],
                            g_date_time_get_year (at), g_date_time_get_hour (at),
                            g_date_time_get_minute (at));
  return g_strdup_printf ("%s %d %s %d, %02d:%02d", fr_days[day], g_date_time_get_day_of_month (at),
                          fr_months[month], g_date_time_get_year (at), g_date_time_get_hour (at),
                          g_date_time_get_minute (at));
}

static void
test_kiosk_language (void)
{
  Kiosk kiosk = { 0 };
  const char *first;
  guint rebuilds;

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  kiosk_open (&kiosk);
  first = leap_kiosk_window_get_language (kiosk.window);
  g_assert_cmpstr (first, ==, "en");
  rebuilds = leap_kiosk_window_get_n_rebuilds (kiosk.window);

  /* Deutsch: the language changes and the pages are built again. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.language", "s", "de");
  g_assert_cmpstr (leap_kiosk_window_get_language (kiosk.window), ==, "de");
  g_assert_cmpstr (g_getenv ("LANGUAGE"), ==, "de");
  g_assert_cmpuint (leap_kiosk_window_get_n_rebuilds (kiosk.window), ==, rebuilds + 1);
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.language", "s", "fr");
  g_assert_cmpstr (leap_kiosk_window_get_language (kiosk.window), ==, "fr");
  g_assert_cmpuint (leap_kiosk_window_get_n_rebuilds (kiosk.window), ==, rebuilds + 2);
  /* The same again changes nothing. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.language", "s", "fr");
  g_assert_cmpuint (leap_kiosk_window_get_n_rebuilds (kiosk.window), ==, rebuilds + 2);

  /* The next customer gets the kiosk's own language back. */
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.start", NULL);
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.back", NULL);
  g_assert_cmpstr (leap_kiosk_window_get_page_name (kiosk.window), ==, "start");
  g_assert_cmpstr (leap_kiosk_window_get_language (kiosk.window), ==, "en");
  g_assert_null (g_getenv ("LANGUAGE"));

  /* A kiosk that started in English writes dates in the language chosen:
   * its words and its order (it wrote "Monday, 7. December"). */
  for (guint i = 0; i < 2; i++)
    {
      const char *language = i == 0 ? "de" : "fr";
      g_autofree char *day = show_day (language);
      g_autofree char *when = g_strdup_printf ("%s · Leap Studio", day);

      gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.language", "s", language);
      gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.start", NULL);
      gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.choose-event", "x",
                                  world.event_id);
      g_assert_true (shows_text (GTK_WIDGET (kiosk.window), when));
      gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.back", NULL);
      gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.back", NULL);
    }
  kiosk_close (&kiosk);
}

static LeapEvent *
event_at (const char *starts_at)
{
  g_autofree char *json = g_strdup_printf (
    "{\"id\": 9, \"venue_id\": 1, \"name\": \"Hamlet\", \"description\": \"\", "
    "\"starts_at\": \"%s\", \"ends_at\": null, \"status\": \"on_sale\", "
    "\"created_at\": \"2026-01-01T00:00:00Z\", \"updated_at\": \"2026-01-01T00:00:00Z\"}",
    starts_at);
  g_autoptr(JsonObject) object = leap_json_parse_object (json, -1, NULL);
  g_autoptr(GError) error = NULL;
  LeapEvent *event;

  g_assert_nonnull (object);
  event = leap_event_new_from_json (object, &error);
  g_assert_no_error (error);
  leap_event_set_venue_timezone (event, "Europe/Vienna");
  return event;
}

typedef struct
{
  GtkWidget  *window;
  const char *text;
} TextWait;

static gboolean
text_shown (gpointer user_data)
{
  TextWait *wait = user_data;
  g_autoptr(GPtrArray) labels = leap_test_find_widgets (wait->window, GTK_TYPE_LABEL, TRUE);

  for (guint i = 0; i < labels->len; i++)
    if (g_str_equal (gtk_label_get_text (labels->pdata[i]), wait->text))
      return TRUE;
  return FALSE;
}

/* The events' tiles say what the tickets cost, and "Tonight" for a show
 * that starts this evening. */
static void
test_kiosk_tiles (void)
{
  g_autoptr(LeapEvent) evening = event_at ("2026-12-05T18:30:00Z");   /* 19:30 in Vienna */
  g_autoptr(LeapEvent) afternoon = event_at ("2026-12-05T13:00:00Z"); /* 14:00 */
  g_autoptr(GDateTime) morning = g_date_time_new_utc (2026, 12, 5, 8, 0, 0);
  g_autoptr(GDateTime) day_before = g_date_time_new_utc (2026, 12, 4, 8, 0, 0);
  g_autoptr(GDateTime) week_before = g_date_time_new_utc (2026, 11, 28, 8, 0, 0);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  GListModel *events;
  Kiosk kiosk = { 0 };
  TextWait wait;

  g_assert_cmpstr (leap_format_show_day (evening, morning), ==, "Tonight");
  g_assert_cmpstr (leap_format_show_day (afternoon, morning), ==, "Today");
  g_assert_cmpstr (leap_format_show_day (evening, day_before), ==, "Tomorrow");
  g_assert_null (leap_format_show_day (evening, week_before));

  if (world.stack.skip != NULL)
    {
      g_test_skip (world.stack.skip);
      return;
    }
  kiosk_open (&kiosk);
  gtk_widget_activate_action (GTK_WIDGET (kiosk.window), "kiosk.start", NULL);
  /* The test's show: Stalls €45.00, Balcony €29.00. */
  wait.window = GTK_WIDGET (kiosk.window);
  wait.text = "€29.00 – €45.00";
  g_assert_true (leap_test_wait_for (text_shown, &wait, TIMEOUT_MS));
  maybe_shot (GTK_WIDGET (kiosk.window), "events-tiles");
  /* The demo catalogue has shows tonight, unless it is too late. */
  events = leap_offline_cache_get_events (kiosk.cache);
  for (guint i = 0; i < g_list_model_get_n_items (events); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (events, i);

      if (leap_event_get_starts_at (event) > g_get_real_time () / G_USEC_PER_SEC + 60 &&
          g_strcmp0 (leap_event_get_status (event), "on_sale") == 0 &&
          g_strcmp0 (leap_format_show_day (event, now), "Tonight") == 0)
        {
          g_test_message ("%s is tonight", leap_event_get_name (event));
          wait.text = "Tonight";
          g_assert_true (leap_test_wait_for (text_shown, &wait, TIMEOUT_MS));
          break;
        }
    }
  kiosk_close (&kiosk);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkCssProvider) css = NULL;
  int status;

  g_unsetenv ("LANGUAGE");
  /* As main() of the program does, with the catalogues of the build. */
  setlocale (LC_ALL, "");
  {
    g_autofree char *po = g_build_filename (g_getenv ("LEAP_BUILD_ROOT"), "po", NULL);

    bindtextdomain (GETTEXT_PACKAGE, po);
    bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
    textdomain (GETTEXT_PACKAGE);
  }
  gtk_test_init (&argc, &argv, NULL);
  if (g_getenv ("LEAP_KIOSK_SHOTS") != NULL)
    leap_test_apply_shot_settings ();
  adw_init ();
  css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/leapboxoffice/BoxOffice/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_test_add_func ("/leap/kiosk/sale", test_kiosk_sale);
  g_test_add_func ("/leap/kiosk/tiles", test_kiosk_tiles);
  g_test_add_func ("/leap/kiosk/idle-reset", test_kiosk_idle_reset);
  g_test_add_func ("/leap/kiosk/declined", test_kiosk_declined);
  g_test_add_func ("/leap/kiosk/exit", test_kiosk_exit);
  g_test_add_func ("/leap/kiosk/language", test_kiosk_language);
  g_test_add_func ("/leap/kiosk/answer-lost", test_kiosk_answer_lost);
  g_test_add_func ("/leap/kiosk/answer-unknown", test_kiosk_answer_unknown);
  g_test_add_func ("/leap/kiosk/unavailable", test_kiosk_unavailable);

  if (start_world ())
    make_event ();
  status = g_test_run ();
  stop_world ();
  return status;
}
