/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The box office in German (LANGUAGE=de, LC_ALL=C.UTF-8, as meson runs
 * it), and in French: the strings come from the built catalogues, amounts
 * and dates are written the language's way, event times are the venue's. */
#include "leap-config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "leap-client.h"
#include "leap-event.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-test-utils.h"
#include "leap-window.h"

#define TIMEOUT_MS 10000
#define NBSP "\302\240"

static void
use_language (const char *language)
{
  g_setenv ("LANGUAGE", language, TRUE);
  /* textdomain() makes gettext forget what it looked up before. */
  textdomain (GETTEXT_PACKAGE);
}

static void
test_catalogue (void)
{
  g_assert_cmpstr (_("Orders"), ==, "Bestellungen");
  g_assert_cmpstr (_("Check-in"), ==, "Einlass");
  g_assert_cmpstr (_("Refunds"), ==, "Rückerstattungen");
  g_assert_cmpstr (C_("month", "December"), ==, "Dezember");
  g_assert_cmpstr (ngettext ("%u event", "%u events", 1), ==, "%u Veranstaltung");
  g_assert_cmpstr (ngettext ("%u event", "%u events", 3), ==, "%u Veranstaltungen");
}

static void
assert_money (gint64      amount,
              const char *currency,
              const char *expected)
{
  LeapMoney money = leap_money_init (amount, currency);
  g_autofree char *text = leap_format_money (&money);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_money (void)
{
  assert_money (4500, "EUR", "45,00" NBSP "€");
  assert_money (5, "EUR", "0,05" NBSP "€");
  assert_money (-1250, "GBP", "−12,50" NBSP "£");
  assert_money (1200, "JPY", "1200" NBSP "¥");
  assert_money (999, "CHF", "9,99" NBSP "CHF");
  assert_money (1500, "KWD", "1,500" NBSP "KWD");

  use_language ("fr");
  assert_money (4500, "EUR", "45,00" NBSP "€");
  use_language ("en");
  assert_money (4500, "EUR", "€45.00");
  assert_money (-1250, "GBP", "−£12.50");
  assert_money (999, "CHF", "9.99 CHF");
  use_language ("de");
}

static LeapEvent *
event_at (const char *timezone_id)
{
  g_autoptr(JsonObject) object = leap_json_parse_object (
    "{\"id\": 9, \"venue_id\": 1, \"name\": \"Hamlet\", \"description\": \"\", "
    "\"starts_at\": \"2026-12-05T18:30:00Z\", \"ends_at\": \"2026-12-05T21:00:00Z\", "
    "\"status\": \"on_sale\", \"created_at\": \"2026-01-01T00:00:00Z\", "
    "\"updated_at\": \"2026-01-01T00:00:00Z\"}", -1, NULL);
  g_autoptr(GError) error = NULL;
  LeapEvent *event;

  g_assert_nonnull (object);
  event = leap_event_new_from_json (object, &error);
  g_assert_no_error (error);
  leap_event_set_venue_name (event, "Grand Theatre");
  leap_event_set_venue_timezone (event, timezone_id);
  return event;
}

/* 18:30 UTC is 19:30 in Vienna and 13:30 in New York: the time shown is
 * the venue's, whatever the zone of the box office. */
static void
test_event_dates (void)
{
  g_autoptr(GTimeZone) vienna = g_time_zone_new_identifier ("Europe/Vienna");
  g_autoptr(GTimeZone) new_york = g_time_zone_new_identifier ("America/New_York");
  g_autoptr(LeapEvent) here = NULL;
  g_autoptr(LeapEvent) there = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 11, 26, 12, 0, 0);
  g_autofree char *when = NULL;
  g_autofree char *when_ny = NULL;
  g_autofree char *time = NULL;
  g_autofree char *day = NULL;

  if (vienna == NULL || new_york == NULL)
    {
      g_test_skip ("no time zone data (tzdata)");
      return;
    }
  here = event_at ("Europe/Vienna");
  there = event_at ("America/New_York");

  when = leap_format_event_when (here);
  g_assert_cmpstr (when, ==, "Samstag, 5. Dezember 2026, 19:30–22:00 · Grand Theatre");
  when_ny = leap_format_event_when (there);
  g_assert_cmpstr (when_ny, ==, "Samstag, 5. Dezember 2026, 13:30–16:00 · Grand Theatre");

  time = leap_format_event_time (here, now, &day);
  g_assert_cmpstr (time, ==, "19:30");
  g_assert_cmpstr (day, ==, "Sa., 5. Dez.");

  /* Late in the evening in New York is already tomorrow in Vienna. */
  {
    g_autoptr(GDateTime) eve = g_date_time_new_utc (2026, 12, 4, 23, 30, 0);
    g_autofree char *day_here = NULL;
    g_autofree char *day_there = NULL;
    g_autofree char *t1 = leap_format_event_time (here, eve, &day_here);
    g_autofree char *t2 = leap_format_event_time (there, eve, &day_there);

    g_assert_cmpstr (t1, ==, "19:30");
    g_assert_cmpstr (t2, ==, "13:30");
    g_assert_cmpstr (day_here, ==, "Heute");
    g_assert_cmpstr (day_there, ==, "Morgen");
  }

  use_language ("fr");
  g_clear_pointer (&when, g_free);
  when = leap_format_event_when (here);
  g_assert_cmpstr (when, ==, "samedi 5 décembre 2026, 19:30–22:00 · Grand Theatre");
  use_language ("de");
}

typedef struct
{
  char             *dir;
  LeapOfflineCache *cache;
  LeapClient       *client;
  LeapWindow       *window;
} Fixture;

static void
collect_labels (GtkWidget *widget,
                GPtrArray *out)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget))
    g_ptr_array_add (out, (gpointer) gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, out);
}

static gboolean
label_shown (GtkWidget  *root,
             const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  collect_labels (root, labels);
  for (guint i = 0; i < labels->len; i++)
    if (g_strcmp0 (g_ptr_array_index (labels, i), text) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
prices_shown (gpointer user_data)
{
  Fixture *f = user_data;

  return label_shown (GTK_WIDGET (f->window), "45,00" NBSP "€");
}

typedef struct
{
  const char *language;
  const char *title;
  const char *labels[9];
} Expected;

static const Expected german = {
  "de", "Leap Kasse",
  { "Verkauf", "Bestellungen", "Einlass", "Schicht", "Warenkorb", "Summe", "Anmelden…", "Heute",
    NULL },
};
static const Expected french = {
  "fr", "Billetterie Leap",
  { "Vente", "Commandes", "Contrôle d’accès", "Service", "Panier", "Total", "Se connecter…",
    "Aujourd’hui", NULL },
};

/* The main window, on the demo catalogue offline, reads the language
 * of @data (German, then French). */
static void
test_window (gconstpointer data)
{
  const Expected *expected = data;
  Fixture fx = { 0 }, *f = &fx;
  g_autofree char *path = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autoptr(GError) error = NULL;
  const char *english[] = { "Sell", "Orders", "Check-in", "Shift", "Cart", "Total",
                            "Not signed in", "Today", "Sold out", "Tickets in the cart" };

  use_language (expected->language);
  f->dir = leap_test_make_tmpdir ();
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  g_assert_true (leap_offline_cache_apply_sync (f->cache, url, page, &error));
  g_assert_no_error (error);
  leap_test_reload_cache (f->cache, TIMEOUT_MS);

  f->client = leap_client_new (url);
  f->window = g_object_ref_sink (g_object_new (LEAP_TYPE_WINDOW, "client", f->client,
                                               "cache", f->cache, NULL));
  gtk_window_present (GTK_WINDOW (f->window));

  /* Hamlet opens by itself; its Stalls cost 45.00 EUR. */
  g_assert_true (leap_test_wait_for (prices_shown, f, TIMEOUT_MS));
  for (guint i = 0; expected->labels[i] != NULL; i++)
    {
      g_test_message ("label %s", expected->labels[i]);
      g_assert_true (label_shown (GTK_WIDGET (f->window), expected->labels[i]));
    }
  for (guint i = 0; i < G_N_ELEMENTS (english); i++)
    {
      /* "Total" is French too. */
      if (g_strv_contains ((const char * const *) expected->labels, english[i]))
        continue;
      g_test_message ("no label %s", english[i]);
      g_assert_false (label_shown (GTK_WIDGET (f->window), english[i]));
    }
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (f->window)), ==, expected->title);

  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_clear_object (&f->client);
  g_clear_object (&f->cache);
  leap_test_rm_rf (f->dir);
  g_free (f->dir);
  use_language ("de");
}

int
main (int   argc,
      char *argv[])
{
  /* As main() of the program does, but with the catalogues of the build. */
  g_setenv ("LANGUAGE", "de", TRUE);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LEAP_TEST_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/i18n/catalogue", test_catalogue);
  g_test_add_func ("/leap/i18n/money", test_money);
  g_test_add_func ("/leap/i18n/event-dates", test_event_dates);
  g_test_add_data_func ("/leap/i18n/window-de", &german, test_window);
  g_test_add_data_func ("/leap/i18n/window-fr", &french, test_window);

  return g_test_run ();
}
