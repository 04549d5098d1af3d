/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <adwaita.h>

#include "leap-application.h"
#include "leap-event-list.h"
#include "leap-offline-cache.h"
#include "leap-test-utils.h"
#include "leap-window.h"

/* The whole application, started as a cashier would with the server down:
 * it must list the events of its offline cache and say it is offline. */

#define TIMEOUT_MS 15000

typedef struct
{
  GApplication *app;
  gboolean      listed;
  gboolean      offline;
  gint64        deadline;
  char         *status;
} Check;

static gboolean
check_cb (gpointer user_data)
{
  Check *check = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (check->app));

  if (LEAP_IS_WINDOW (window))
    {
      LeapEventList *list = leap_window_get_event_list (LEAP_WINDOW (window));

      check->listed = g_list_model_get_n_items (leap_event_list_get_shown (list)) == 6;
      g_free (check->status);
      check->status = g_strdup (leap_window_get_status_text (LEAP_WINDOW (window)));
      check->offline = g_str_has_prefix (check->status, "Offline · data from");
    }
  if ((check->listed && check->offline) || g_get_monotonic_time () > check->deadline)
    {
      g_application_quit (check->app);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
test_offline_start (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  g_autoptr(LeapOfflineCache) cache = NULL;
  g_autoptr(LeapApplication) app = NULL;
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autoptr(GError) error = NULL;
  char *argv[] = { "leap-boxoffice", "--server", url, NULL };
  Check check = { 0 };
  int status;

  /* What an earlier run, online, left in the cache. */
  cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  g_assert_true (leap_offline_cache_apply_sync (cache, url, page, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  g_setenv ("LEAP_CACHE_DB", path, TRUE);
  app = leap_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  check.app = G_APPLICATION (app);
  check.deadline = g_get_monotonic_time () + TIMEOUT_MS * 1000;
  g_timeout_add (50, check_cb, &check);

  status = g_application_run (G_APPLICATION (app), G_N_ELEMENTS (argv) - 1, argv);
  g_assert_cmpint (status, ==, 0);
  g_test_message ("status: %s", check.status ? check.status : "(no window)");
  g_assert_true (check.listed);
  g_assert_true (check.offline);

  g_free (check.status);
  leap_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/leap/offline/start", test_offline_start);

  return g_test_run ();
}
