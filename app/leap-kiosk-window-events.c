/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-event.h"
#include "leap-format.h"
#include "leap-kiosk-window-private.h"
#include "leap-tier.h"

/* The tiles of the events page: one big button per show with its name,
 * "Tonight" (or "Today", "Tomorrow"), its date and venue, and what its
 * tickets cost, from the cheapest to the dearest. The prices come from
 * the offline cache's tiers, read in a thread; the tile shows without
 * them until they are there. */

typedef struct
{
  GtkWidget *button; /* Owned */
  GtkLabel  *prices; /* Owned */
  char      *name;   /* what the button says without the prices */
} Tile;

static void
tile_free (Tile *tile)
{
  g_clear_object (&tile->button);
  g_clear_object (&tile->prices);
  g_free (tile->name);
  g_free (tile);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tile, tile_free)

/* "€29.00 – €45.00", or "€45.00" when every ticket costs the same;
 * NULL without tiers. */
static char *
format_prices (GPtrArray *tiers)
{
  LeapMoney lowest = { 0 }, highest = { 0 };
  g_autofree char *low = NULL;
  g_autofree char *high = NULL;

  for (guint i = 0; i < tiers->len; i++)
    {
      LeapMoney price = leap_tier_get_price (g_ptr_array_index (tiers, i));

      if (i == 0 || price.amount < lowest.amount)
        lowest = price;
      if (i == 0 || price.amount > highest.amount)
        highest = price;
    }
  if (tiers->len == 0)
    return NULL;
  low = leap_format_money (&lowest);
  if (lowest.amount == highest.amount)
    return g_steal_pointer (&low);
  high = leap_format_money (&highest);
  /* Translators: the prices of a show's tickets, "€29.00 – €45.00". */
  return g_strdup_printf (C_("price range", "%s – %s"), low, high);
}

static void
tiers_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Tile) tile = user_data;
  g_autoptr(GPtrArray) tiers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prices = NULL;
  g_autofree char *label = NULL;

  tiers = leap_offline_cache_list_tiers_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (tiers == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Kiosk: no prices for a tile: %s", error->message);
      return;
    }
  prices = format_prices (tiers);
  if (prices == NULL)
    return;
  gtk_label_set_text (tile->prices, prices);
  gtk_widget_set_visible (GTK_WIDGET (tile->prices), TRUE);
  label = g_strdup_printf ("%s, %s", tile->name, prices);
  gtk_accessible_update_property (GTK_ACCESSIBLE (tile->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
}

static GtkWidget *
tile_label (const char *text,
            const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, css_class);
  return label;
}

/* gtk_list_box_bind_model()'s row of @item, a LeapEvent. */
GtkWidget *
_leap_kiosk_window_create_event_row (gpointer item,
                                     gpointer user_data)
{
  LeapKioskWindow *self = user_data;
  LeapEvent *event = item;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  const char *day = leap_format_show_day (event, now);
  g_autofree char *when = leap_format_event_when (event);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *prices = tile_label (NULL, "kiosk-text");
  Tile *tile = g_new0 (Tile, 1);

  if (day != NULL)
    {
      GtkWidget *badge = tile_label (day, "kiosk-badge");

      gtk_widget_set_halign (badge, GTK_ALIGN_START);
      gtk_box_append (GTK_BOX (box), badge);
    }
  gtk_box_append (GTK_BOX (box), tile_label (leap_event_get_name (event), "kiosk-title"));
  /* The day, the time and the venue. */
  gtk_box_append (GTK_BOX (box), tile_label (when, "kiosk-text"));
  gtk_widget_add_css_class (gtk_widget_get_last_child (box), "dim-label");
  gtk_widget_set_visible (prices, FALSE);
  gtk_box_append (GTK_BOX (box), prices);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "kiosk-event");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "kiosk.choose-event");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "x", leap_event_get_id (event));
  /* Named by its labels, for a screen reader. */
  tile->name = day != NULL ? g_strdup_printf ("%s, %s, %s", day, leap_event_get_name (event), when)
                           : g_strdup_printf ("%s, %s", leap_event_get_name (event), when);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tile->name, -1);
  /* The button is the control: Tab goes straight from one to the next,
   * not through a row that does nothing. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), button);

  tile->button = g_object_ref (button);
  tile->prices = g_object_ref (GTK_LABEL (prices));
  leap_offline_cache_list_tiers_async (self->cache, leap_event_get_id (event), self->cancellable,
                                       tiers_cb, tile);
  return row;
}
