/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "leap-offline-cache.h"
#include "leap-client.h"
#include "leap-event-page.h"
#include "leap-format.h"
#include "leap-sale.h"
#include "leap-tier-tile.h"

/* The selected event: its name and time, and its tiers as large tiles.
 * Tiers come from the offline cache at once; when the server is reachable
 * their availability is asked for once and then follows the server's live
 * WebSocket. Only while that socket is down are the counts asked for
 * again every few seconds. Changes of a quantity are reported upward with
 * ::quantity-changed; the tiles of the sale's event show its cart. */
struct _LeapEventPage
{
  GtkWidget         parent_instance;

  /* Template widgets */
  GtkStack         *stack;
  GtkLabel         *title_label;
  GtkLabel         *when_label;
  GtkLabel         *note_label;
  GtkFlowBox       *tier_box;
  GtkLabel         *no_tiers_label;
  GtkLabel         *description_label;

  /* Owned */
  LeapEvent        *event;
  LeapOfflineCache *cache;
  LeapClient       *client;
  LeapSale         *sale;
  GPtrArray        *tiles;
  GCancellable     *cancellable;
  guint             refresh_id;
  gint64            live_event_id;
  guint             live_updates;       /* counts from the socket so far */
  guint             live_updates_asked; /* ... when the last poll was sent */
};

G_DEFINE_FINAL_TYPE (LeapEventPage, leap_event_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_EVENT,
  N_PROPS
};

enum {
  QUANTITY_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

#define REFRESH_SECONDS 15

static void
tile_quantity_cb (LeapEventPage *self,
                  GParamSpec    *pspec,
                  LeapTierTile  *tile)
{
  g_signal_emit (self, signals[QUANTITY_CHANGED], 0, leap_tier_tile_get_tier (tile),
                 leap_tier_tile_get_quantity (tile));
}

static void
set_note (LeapEventPage *self,
          const char    *note)
{
  gtk_label_set_label (self->note_label, note ? note : "");
  gtk_widget_set_visible (GTK_WIDGET (self->note_label), note != NULL);
}

static void
availability_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  LeapEventPage *self = user_data;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &error);
  if (root == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Availability not known: %s", error->message);
      set_note (self, _("Availability could not be checked; the numbers are from the last check."));
      for (guint i = 0; i < self->tiles->len; i++)
        leap_tier_tile_set_live (g_ptr_array_index (self->tiles, i), FALSE);
      return;
    }

  set_note (self, NULL);
  /* A count from the socket arrived after this answer was sent: it is
   * newer than the answer. */
  if (self->live_updates != self->live_updates_asked)
    return;
  node = json_object_get_member (root, "tiers");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *o = json_array_get_object_element (array, i);

          for (guint t = 0; o != NULL && t < self->tiles->len; t++)
            {
              LeapTierTile *tile = g_ptr_array_index (self->tiles, t);
              LeapTier *tier = leap_tier_tile_get_tier (tile);

              if (leap_tier_get_id (tier) ==
                  json_object_get_int_member_with_default (o, "tier_id", 0))
                {
                  leap_tier_set_available (
                      tier, MAX (json_object_get_int_member_with_default (o, "available", 0), 0));
                  leap_tier_tile_set_live (tile, TRUE);
                }
            }
        }
    }
  if (self->cache != NULL)
    leap_offline_cache_store_availability (self->cache, root);
}

void
leap_event_page_refresh (LeapEventPage *self)
{
  g_autofree char *path = NULL;

  g_return_if_fail (LEAP_IS_EVENT_PAGE (self));

  if (self->event == NULL || self->client == NULL || self->tiles->len == 0)
    return;
  if (leap_client_get_connection (self->client) == LEAP_CONNECTION_OFFLINE)
    {
      set_note (self, _("Offline: the numbers left are from the last check and may have changed."));
      for (guint i = 0; i < self->tiles->len; i++)
        leap_tier_tile_set_live (g_ptr_array_index (self->tiles, i), FALSE);
      /* Still ask: the answer is the quickest way to notice the way back. */
    }
  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                          leap_event_get_id (self->event));
  self->live_updates_asked = self->live_updates;
  leap_client_send_async (self->client, "GET", path, NULL, self->cancellable, availability_cb,
                          self);
}

static gboolean
refresh_timeout_cb (gpointer user_data)
{
  LeapEventPage *self = user_data;

  /* The socket brings every change; polling is the fallback. */
  if (self->client == NULL || !leap_client_get_live (self->client))
    leap_event_page_refresh (self);
  return G_SOURCE_CONTINUE;
}

static void
live_availability_cb (LeapEventPage *self,
                      gint64         event_id,
                      gint64         tier_id,
                      gint64         available)
{
  if (self->event == NULL || leap_event_get_id (self->event) != event_id)
    return;
  for (guint t = 0; t < self->tiles->len; t++)
    {
      LeapTierTile *tile = g_ptr_array_index (self->tiles, t);
      LeapTier *tier = leap_tier_tile_get_tier (tile);

      if (leap_tier_get_id (tier) == tier_id)
        {
          self->live_updates++;
          leap_tier_set_available (tier, available);
          leap_tier_tile_set_live (tile, TRUE);
          set_note (self, NULL);
        }
    }
}

static void
live_changed_cb (LeapEventPage *self)
{
  /* Back from a drop: ask once, in case a change came while it was down
   * and the server's snapshot has not arrived yet. */
  if (self->client != NULL && leap_client_get_live (self->client))
    leap_event_page_refresh (self);
}

static void
watch_live (LeapEventPage *self)
{
  gint64 event_id = self->event != NULL ? leap_event_get_id (self->event) : 0;

  if (self->client == NULL || event_id == self->live_event_id)
    return;
  if (self->live_event_id != 0)
    leap_client_live_unsubscribe (self->client, self->live_event_id);
  self->live_event_id = event_id;
  if (event_id != 0)
    leap_client_live_subscribe (self->client, event_id);
}

static void
clear_tiles (LeapEventPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->tier_box))) != NULL)
    gtk_flow_box_remove (self->tier_box, child);
  g_ptr_array_set_size (self->tiles, 0);
}

static gboolean
showing_sale (LeapEventPage *self)
{
  LeapEvent *event = self->sale != NULL ? leap_sale_get_event (self->sale) : NULL;

  return event != NULL && self->event != NULL &&
         leap_event_get_id (event) == leap_event_get_id (self->event);
}

static void
tiers_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  LeapEventPage *self = user_data;
  g_autoptr(GPtrArray) tiers = NULL;
  g_autoptr(GError) error = NULL;

  tiers = leap_offline_cache_list_tiers_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (tiers == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_note (self, error->message);
      return;
    }

  clear_tiles (self);
  for (guint i = 0; i < tiers->len; i++)
    {
      LeapTier *tier = g_ptr_array_index (tiers, i);
      GtkWidget *tile = leap_tier_tile_new (tier);

      /* Back on the event of the cart: its tiles show the cart (before the
       * handler below, since nothing changed). */
      if (showing_sale (self))
        {
          if (leap_sale_get_hold_id (self->sale) != NULL)
            leap_tier_tile_set_held (LEAP_TIER_TILE (tile),
                                     leap_sale_get_quantity (self->sale, tier));
          leap_tier_tile_set_quantity (LEAP_TIER_TILE (tile),
                                       leap_sale_get_quantity (self->sale, tier));
        }

      g_signal_connect_object (tile, "notify::quantity", G_CALLBACK (tile_quantity_cb), self,
                               G_CONNECT_SWAPPED);
      g_ptr_array_add (self->tiles, tile);
      gtk_flow_box_append (self->tier_box, tile);
      /* The tile is the focus stop, not the box's wrapper around it. */
      gtk_widget_set_focusable (gtk_widget_get_parent (tile), FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->no_tiers_label), tiers->len == 0);
  leap_event_page_refresh (self);
}

static void
load (LeapEventPage *self)
{
  g_autofree char *when = NULL;
  const char *status;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  clear_tiles (self);
  set_note (self, NULL);

  if (self->event == NULL)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      watch_live (self);
      return;
    }

  self->cancellable = g_cancellable_new ();
  when = leap_format_event_when (self->event);
  gtk_label_set_label (self->title_label, leap_event_get_name (self->event));
  if (g_str_equal (leap_format_relative_day (self->event), ""))
    gtk_label_set_label (self->when_label, when);
  else
    {
      g_autofree char *text = g_strdup_printf ("%s · %s", leap_format_relative_day (self->event),
                                               when);
      gtk_label_set_label (self->when_label, text);
    }
  gtk_label_set_label (self->description_label, leap_event_get_description (self->event) ?: "");
  gtk_widget_set_visible (GTK_WIDGET (self->description_label),
                          leap_event_get_description (self->event) != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->no_tiers_label), FALSE);
  gtk_stack_set_visible_child_name (self->stack, "event");

  status = leap_event_get_status (self->event);
  if (g_str_equal (status, "cancelled"))
    set_note (self, _("This event is cancelled. No tickets can be sold."));
  else if (!g_str_equal (status, "on_sale"))
    set_note (self, _("This event is not on sale."));

  if (self->cache != NULL)
    leap_offline_cache_list_tiers_async (self->cache, leap_event_get_id (self->event),
                                         self->cancellable, tiers_cb, self);
  self->refresh_id = g_timeout_add_seconds (REFRESH_SECONDS, refresh_timeout_cb, self);
  watch_live (self);
}

static void
leap_event_page_dispose (GObject *object)
{
  LeapEventPage *self = (LeapEventPage *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_EVENT_PAGE);
  g_clear_pointer (&self->tiles, g_ptr_array_unref);
  g_clear_object (&self->event);
  watch_live (self);
  g_clear_object (&self->cache);
  g_clear_object (&self->client);
  g_clear_object (&self->sale);

  G_OBJECT_CLASS (leap_event_page_parent_class)->dispose (object);
}

static void
leap_event_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  LeapEventPage *self = LEAP_EVENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_EVENT: g_value_set_object (value, self->event); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  LeapEventPage *self = LEAP_EVENT_PAGE (object);

  switch (prop_id)
    {
    case PROP_EVENT: leap_event_page_set_event (self, g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_page_class_init (LeapEventPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_event_page_dispose;
  object_class->get_property = leap_event_page_get_property;
  object_class->set_property = leap_event_page_set_property;

  properties[PROP_EVENT] =
    g_param_spec_object ("event", NULL, NULL, LEAP_TYPE_EVENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LeapEventPage::quantity-changed:
   * @tier: the tier whose quantity changed
   * @quantity: how many tickets of it are now wanted
   */
  signals[QUANTITY_CHANGED] =
    g_signal_new ("quantity-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, LEAP_TYPE_TIER, G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-event-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, stack);
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, when_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, note_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, tier_box);
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, no_tiers_label);
  gtk_widget_class_bind_template_child (widget_class, LeapEventPage, description_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
leap_event_page_init (LeapEventPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->tiles = g_ptr_array_new ();
}

LeapEvent *
leap_event_page_get_event (LeapEventPage *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_PAGE (self), NULL);
  return self->event;
}

void
leap_event_page_set_event (LeapEventPage *self,
                           LeapEvent     *event)
{
  g_return_if_fail (LEAP_IS_EVENT_PAGE (self));
  g_return_if_fail (event == NULL || LEAP_IS_EVENT (event));

  if (!g_set_object (&self->event, event))
    return;
  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EVENT]);
}

void
leap_event_page_set_cache (LeapEventPage    *self,
                           LeapOfflineCache *cache)
{
  g_return_if_fail (LEAP_IS_EVENT_PAGE (self));
  g_set_object (&self->cache, cache);
}

/* The sale whose cart the tiles show when its event is shown. */
void
leap_event_page_set_sale (LeapEventPage *self,
                          LeapSale      *sale)
{
  g_return_if_fail (LEAP_IS_EVENT_PAGE (self));
  g_return_if_fail (sale == NULL || LEAP_IS_SALE (sale));
  g_set_object (&self->sale, sale);
}

void
leap_event_page_set_client (LeapEventPage *self,
                            LeapClient    *client)
{
  g_return_if_fail (LEAP_IS_EVENT_PAGE (self));

  if (self->client == client)
    return;
  if (self->client != NULL)
    {
      if (self->live_event_id != 0)
        leap_client_live_unsubscribe (self->client, self->live_event_id);
      self->live_event_id = 0;
      g_signal_handlers_disconnect_by_data (self->client, self);
    }
  g_set_object (&self->client, client);
  if (client != NULL)
    {
      g_signal_connect_object (client, "availability-changed", G_CALLBACK (live_availability_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::live", G_CALLBACK (live_changed_cb), self,
                               G_CONNECT_SWAPPED);
      watch_live (self);
    }
}

guint
leap_event_page_get_n_tiles (LeapEventPage *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_PAGE (self), 0);
  return self->tiles->len;
}

LeapTierTile *
leap_event_page_get_tile (LeapEventPage *self,
                          guint          position)
{
  g_return_val_if_fail (LEAP_IS_EVENT_PAGE (self), NULL);
  g_return_val_if_fail (position < self->tiles->len, NULL);
  return g_ptr_array_index (self->tiles, position);
}

/* The tile of @tier (by id), if the page shows it. */
LeapTierTile *
leap_event_page_find_tile (LeapEventPage *self,
                           LeapTier      *tier)
{
  g_return_val_if_fail (LEAP_IS_EVENT_PAGE (self), NULL);
  g_return_val_if_fail (LEAP_IS_TIER (tier), NULL);

  for (guint i = 0; i < self->tiles->len; i++)
    {
      LeapTierTile *tile = g_ptr_array_index (self->tiles, i);

      if (leap_tier_get_id (leap_tier_tile_get_tier (tile)) == leap_tier_get_id (tier))
        return tile;
    }
  return NULL;
}

/* Moves the focus to the first tier that still has tickets, so the
 * cashier goes on with the keyboard: +, − or a number on the tier, Tab to
 * the next one, Enter to hold. */
gboolean
leap_event_page_focus_tiers (LeapEventPage *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT_PAGE (self), FALSE);

  for (guint i = 0; i < self->tiles->len; i++)
    if (leap_tier_tile_get_maximum (g_ptr_array_index (self->tiles, i)) > 0)
      return gtk_widget_grab_focus (g_ptr_array_index (self->tiles, i));
  return FALSE;
}

void
leap_event_page_clear_quantities (LeapEventPage *self)
{
  g_return_if_fail (LEAP_IS_EVENT_PAGE (self));

  for (guint i = 0; i < self->tiles->len; i++)
    leap_tier_tile_set_quantity (g_ptr_array_index (self->tiles, i), 0);
}
