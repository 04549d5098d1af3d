/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-format.h"
#include "leap-tier-tile.h"

/* A large tile for one tier: name, price, what is left, and − n + to put
 * tickets of it in the cart. "live" says whether the availability came
 * from the server just now or is the last one the offline cache knew.
 * For the keyboard the tile is one Tab stop: +, − and digits set the
 * quantity on it. Its buttons are for the mouse (and reachable by
 * assistive technologies) and never take the focus on a click, so Enter
 * after a click holds the cart instead of pressing + again. */
struct _LeapTierTile
{
  GtkWidget parent_instance;

  /* Template widgets */
  GtkWidget *box;
  GtkLabel  *name_label;
  GtkLabel  *price_label;
  GtkLabel  *available_label;
  GtkButton *minus_button;
  GtkLabel  *quantity_label;
  GtkButton *plus_button;

  /* Owned */
  LeapTier  *tier;

  guint      quantity;
  guint      held;
  gboolean   live;
  guint32    digit_time;  /* when the last digit was typed, to read "12" */
};

/* Digits typed closer together than this make one number. */
#define DIGIT_PAUSE_MS 1200

G_DEFINE_FINAL_TYPE (LeapTierTile, leap_tier_tile, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_TIER,
  PROP_QUANTITY,
  PROP_LIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

guint
leap_tier_tile_get_maximum (LeapTierTile *self)
{
  gint64 max;

  g_return_val_if_fail (LEAP_IS_TIER_TILE (self), 0);

  max = leap_tier_get_max_per_order (self->tier);
  /* Tickets this sale holds are no longer counted as available, but they
   * are still this sale's to keep. */
  if (leap_tier_get_available (self->tier) >= 0)
    max = MIN (max, leap_tier_get_available (self->tier) + self->held);
  return (guint) CLAMP (max, 0, G_MAXUINT);
}

static void
update (LeapTierTile *self)
{
  gint64 available = leap_tier_get_available (self->tier);
  g_autofree char *text = NULL;
  g_autofree char *quantity = g_strdup_printf ("%u", self->quantity);
  gboolean sold_out = available == 0;

  gtk_label_set_label (self->quantity_label, quantity);
  gtk_widget_remove_css_class (GTK_WIDGET (self->available_label), "sold-out-label");
  gtk_widget_remove_css_class (GTK_WIDGET (self->available_label), "dim-label");
  if (sold_out)
    {
      gtk_label_set_label (self->available_label, _("Sold out"));
      gtk_widget_add_css_class (GTK_WIDGET (self->available_label), "sold-out-label");
    }
  else if (available < 0)
    {
      text = g_strdup_printf (ngettext ("%d seat · availability not known yet",
                                        "%d seats · availability not known yet",
                                        (gulong) leap_tier_get_capacity (self->tier)),
                              (int) leap_tier_get_capacity (self->tier));
      gtk_label_set_label (self->available_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->available_label), "dim-label");
    }
  else if (self->live)
    {
      text = g_strdup_printf (ngettext ("%d left", "%d left", (gulong) available), (int) available);
      gtk_label_set_label (self->available_label, text);
    }
  else
    {
      text = g_strdup_printf (ngettext ("%d left at the last check", "%d left at the last check",
                                        (gulong) available), (int) available);
      gtk_label_set_label (self->available_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->available_label), "dim-label");
    }

  if (sold_out)
    gtk_widget_add_css_class (self->box, "sold-out");
  else
    gtk_widget_remove_css_class (self->box, "sold-out");

  gtk_widget_set_sensitive (GTK_WIDGET (self->minus_button), self->quantity > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->plus_button),
                            self->quantity < leap_tier_tile_get_maximum (self));
}

static void
minus_clicked_cb (LeapTierTile *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (self->quantity > 0)
    leap_tier_tile_set_quantity (self, self->quantity - 1);
}

static void
plus_clicked_cb (LeapTierTile *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self));
  leap_tier_tile_set_quantity (self, self->quantity + 1);
}

static gboolean
key_pressed_cb (LeapTierTile          *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  guint32 time = gtk_event_controller_get_current_event_time (GTK_EVENT_CONTROLLER (controller));
  int digit = -1;

  /* Ctrl and Alt keys are the window's (Alt+1 shows Sell). */
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_plus:
    case GDK_KEY_KP_Add:
    case GDK_KEY_equal:
      plus_clicked_cb (self);
      self->digit_time = 0;
      return TRUE;

    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
    case GDK_KEY_underscore:
      minus_clicked_cb (self);
      self->digit_time = 0;
      return TRUE;

    default:
      if (keyval >= GDK_KEY_0 && keyval <= GDK_KEY_9)
        digit = (int) (keyval - GDK_KEY_0);
      else if (keyval >= GDK_KEY_KP_0 && keyval <= GDK_KEY_KP_9)
        digit = (int) (keyval - GDK_KEY_KP_0);
      break;
    }
  if (digit < 0)
    return FALSE;
  /* "1" then "2" at once is twelve; a digit after a pause starts again. */
  if (self->digit_time != 0 && time - self->digit_time < DIGIT_PAUSE_MS &&
      self->quantity < 100)
    leap_tier_tile_set_quantity (self, self->quantity * 10 + (guint) digit);
  else
    leap_tier_tile_set_quantity (self, (guint) digit);
  self->digit_time = time != 0 ? time : 1;
  return TRUE;
}

/* One Tab stop for the whole tier: entering it focuses the tile, leaving
 * it (also from a button) goes on to the next widget, never to the
 * buttons. */
static gboolean
leap_tier_tile_focus (GtkWidget        *widget,
                      GtkDirectionType  direction)
{
  if (gtk_widget_is_focus (widget) || gtk_widget_get_focus_child (widget) != NULL)
    return FALSE;
  return gtk_widget_grab_focus (widget);
}

static void
tier_notify_cb (LeapTierTile *self)
{
  /* Fewer left than in the cart: the cart stays as the cashier made it
   * (the hold then says what is missing), but + stops. */
  update (self);
}

static void
leap_tier_tile_constructed (GObject *object)
{
  LeapTierTile *self = (LeapTierTile *) object;
  LeapMoney price;
  g_autofree char *price_text = NULL;
  g_autofree char *accessible = NULL;

  G_OBJECT_CLASS (leap_tier_tile_parent_class)->constructed (object);

  g_return_if_fail (self->tier != NULL);

  price = leap_tier_get_price (self->tier);
  price_text = leap_format_money (&price);
  gtk_label_set_label (self->name_label, leap_tier_get_name (self->tier));
  gtk_label_set_label (self->price_label, price_text);
  gtk_widget_add_css_class (GTK_WIDGET (self->price_label), "price");

  accessible = g_strdup_printf ("%s, %s", leap_tier_get_name (self->tier), price_text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Plus or minus changes the number of tickets; a number sets "
                                    "it; Enter holds the cart."),
                                  -1);
  /* Each tile's buttons say which tier they change. */
  {
    const char *name = leap_tier_get_name (self->tier);
    g_autofree char *less = g_strdup_printf (_("One %s ticket less"), name);
    g_autofree char *more = g_strdup_printf (_("One %s ticket more"), name);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self->minus_button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, less, -1);
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->plus_button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, more, -1);
  }

  g_signal_connect_object (self->tier, "notify::available", G_CALLBACK (tier_notify_cb), self,
                           G_CONNECT_SWAPPED);
  update (self);
}

static void
leap_tier_tile_dispose (GObject *object)
{
  LeapTierTile *self = (LeapTierTile *) object;

  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_TIER_TILE);
  g_clear_object (&self->tier);

  G_OBJECT_CLASS (leap_tier_tile_parent_class)->dispose (object);
}

static void
leap_tier_tile_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  LeapTierTile *self = LEAP_TIER_TILE (object);

  switch (prop_id)
    {
    case PROP_TIER: g_value_set_object (value, self->tier); break;
    case PROP_QUANTITY: g_value_set_uint (value, self->quantity); break;
    case PROP_LIVE: g_value_set_boolean (value, self->live); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_tier_tile_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  LeapTierTile *self = LEAP_TIER_TILE (object);

  switch (prop_id)
    {
    case PROP_TIER: self->tier = g_value_dup_object (value); break;
    case PROP_QUANTITY: leap_tier_tile_set_quantity (self, g_value_get_uint (value)); break;
    case PROP_LIVE: leap_tier_tile_set_live (self, g_value_get_boolean (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_tier_tile_class_init (LeapTierTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = leap_tier_tile_constructed;
  object_class->dispose = leap_tier_tile_dispose;
  object_class->get_property = leap_tier_tile_get_property;
  object_class->set_property = leap_tier_tile_set_property;
  widget_class->focus = leap_tier_tile_focus;

  properties[PROP_TIER] =
    g_param_spec_object ("tier", NULL, NULL, LEAP_TYPE_TIER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_QUANTITY] = g_param_spec_uint ("quantity", NULL, NULL, 0, G_MAXUINT, 0, rw);
  properties[PROP_LIVE] = g_param_spec_boolean ("live", NULL, NULL, FALSE, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-tier-tile.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, box);
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, name_label);
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, price_label);
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, available_label);
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, minus_button);
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, quantity_label);
  gtk_widget_class_bind_template_child (widget_class, LeapTierTile, plus_button);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
  gtk_widget_class_set_css_name (widget_class, "tiertile");
}

static void
leap_tier_tile_init (LeapTierTile *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);

  keys = gtk_event_controller_key_new ();
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  g_signal_connect_object (self->minus_button, "clicked", G_CALLBACK (minus_clicked_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->plus_button, "clicked", G_CALLBACK (plus_clicked_cb), self,
                           G_CONNECT_SWAPPED);
}

GtkWidget *
leap_tier_tile_new (LeapTier *tier)
{
  g_return_val_if_fail (LEAP_IS_TIER (tier), NULL);

  return g_object_new (LEAP_TYPE_TIER_TILE, "tier", tier, NULL);
}

LeapTier *
leap_tier_tile_get_tier (LeapTierTile *self)
{
  g_return_val_if_fail (LEAP_IS_TIER_TILE (self), NULL);
  return self->tier;
}

guint
leap_tier_tile_get_quantity (LeapTierTile *self)
{
  g_return_val_if_fail (LEAP_IS_TIER_TILE (self), 0);
  return self->quantity;
}

void
leap_tier_tile_set_quantity (LeapTierTile *self,
                             guint         quantity)
{
  g_return_if_fail (LEAP_IS_TIER_TILE (self));

  if (self->tier != NULL)
    quantity = MIN (quantity, leap_tier_tile_get_maximum (self));
  if (self->quantity == quantity)
    return;
  self->quantity = quantity;
  if (self->tier != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_QUANTITY]);
}

/* How many tickets of the tier the current sale holds. */
void
leap_tier_tile_set_held (LeapTierTile *self,
                         guint         held)
{
  g_return_if_fail (LEAP_IS_TIER_TILE (self));

  if (self->held == held)
    return;
  self->held = held;
  update (self);
}

guint
leap_tier_tile_get_held (LeapTierTile *self)
{
  g_return_val_if_fail (LEAP_IS_TIER_TILE (self), 0);
  return self->held;
}

gboolean
leap_tier_tile_get_live (LeapTierTile *self)
{
  g_return_val_if_fail (LEAP_IS_TIER_TILE (self), FALSE);
  return self->live;
}

void
leap_tier_tile_set_live (LeapTierTile *self,
                         gboolean      live)
{
  g_return_if_fail (LEAP_IS_TIER_TILE (self));

  live = !!live;
  if (self->live == live)
    return;
  self->live = live;
  if (self->tier != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
}
