/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE /* memmem */
#include "leap-config.h"

#include <string.h>

#include <adwaita.h>

#include "leap-client.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-orders-view.h"
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
} world;

typedef struct
{
  LeapClient       *client;
  LeapOfflineCache *cache;
  LeapWindow       *window;
} Counter;

static void
counter_open (Counter    *counter,
              const char *user)
{
  g_autoptr(GError) error = NULL;

  counter->client = leap_test_stack_sign_in (&world.stack, user);
  counter->cache = leap_offline_cache_new (world.cache_path, &error);
  g_assert_no_error (error);
  leap_test_sync_cache (counter->cache, counter->client, TIMEOUT_MS);
  counter->window = g_object_ref_sink (g_object_new (LEAP_TYPE_WINDOW, "client", counter->client,
                                                     "cache", counter->cache, NULL));
  gtk_window_present (GTK_WINDOW (counter->window));
}

static void
counter_close (Counter *counter)
{
  gtk_window_destroy (GTK_WINDOW (counter->window));
  g_clear_object (&counter->window);
  g_clear_object (&counter->cache);
  g_clear_object (&counter->client);
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
  counter_close (&counter);
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
  counter_close (&counter);
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

  if (leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD, "cashier", "cashier",
                             "boss", "admin", "manager", "manager", NULL))
    {
      leap_test_stack_start_worker (&world.stack, "test-approval", NULL);
      world.cache_path = g_build_filename (world.stack.dir, "cache.db", NULL);
    }
  status = g_test_run ();
  leap_test_stack_stop (&world.stack);
  g_clear_pointer (&world.cache_path, g_free);
  return status;
}
