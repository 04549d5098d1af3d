/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-tier.h"
#include "leap-error.h"
#include "leap-json.h"

/* A price tier of an event: a name, a price and a number of tickets.
 * "available" is what the server last said is left, -1 while unknown. */
struct _LeapTier
{
  GObject parent_instance;

  /* Owned */
  char   *name;
  char    currency[4];

  gint64  id;
  gint64  event_id;
  gint64  price;
  gint64  capacity;
  gint64  max_per_order;
  gint64  available;
};

G_DEFINE_FINAL_TYPE (LeapTier, leap_tier, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_EVENT_ID,
  PROP_NAME,
  PROP_PRICE,
  PROP_CURRENCY,
  PROP_CAPACITY,
  PROP_MAX_PER_ORDER,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
leap_tier_finalize (GObject *object)
{
  LeapTier *self = (LeapTier *) object;

  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (leap_tier_parent_class)->finalize (object);
}

static void
leap_tier_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LeapTier *self = LEAP_TIER (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_EVENT_ID: g_value_set_int64 (value, self->event_id); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_PRICE: g_value_set_int64 (value, self->price); break;
    case PROP_CURRENCY: g_value_set_string (value, self->currency); break;
    case PROP_CAPACITY: g_value_set_int64 (value, self->capacity); break;
    case PROP_MAX_PER_ORDER: g_value_set_int64 (value, self->max_per_order); break;
    case PROP_AVAILABLE: g_value_set_int64 (value, self->available); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_tier_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LeapTier *self = LEAP_TIER (object);

  switch (prop_id)
    {
    case PROP_ID: self->id = g_value_get_int64 (value); break;
    case PROP_EVENT_ID: self->event_id = g_value_get_int64 (value); break;
    case PROP_NAME: self->name = g_value_dup_string (value); break;
    case PROP_PRICE: self->price = g_value_get_int64 (value); break;
    case PROP_CURRENCY:
      g_strlcpy (self->currency, g_value_get_string (value) ? g_value_get_string (value) : "",
                 sizeof self->currency);
      break;
    case PROP_CAPACITY: self->capacity = g_value_get_int64 (value); break;
    case PROP_MAX_PER_ORDER: self->max_per_order = g_value_get_int64 (value); break;
    case PROP_AVAILABLE: leap_tier_set_available (self, g_value_get_int64 (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_tier_class_init (LeapTierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = leap_tier_finalize;
  object_class->get_property = leap_tier_get_property;
  object_class->set_property = leap_tier_set_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_EVENT_ID] = g_param_spec_int64 ("event-id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_PRICE] = g_param_spec_int64 ("price", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_CURRENCY] = g_param_spec_string ("currency", NULL, NULL, NULL, ro);
  properties[PROP_CAPACITY] = g_param_spec_int64 ("capacity", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_MAX_PER_ORDER] =
    g_param_spec_int64 ("max-per-order", NULL, NULL, 1, G_MAXINT64, 10, ro);
  properties[PROP_AVAILABLE] =
    g_param_spec_int64 ("available", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
leap_tier_init (LeapTier *self)
{
  self->max_per_order = 10;
  self->available = -1;
}

LeapTier *
leap_tier_new_from_json (JsonObject *object,
                         GError    **error)
{
  gint64 id = leap_json_get_int (object, "id", 0);
  gint64 price = leap_json_get_int (object, "price", -1);
  const char *currency = leap_json_get_string (object, "currency", NULL);

  g_return_val_if_fail (object != NULL, NULL);

  if (id < 1 || price < 0 || !leap_currency_is_valid (currency))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                   "The server sent a tier without an id, a price or a currency");
      return NULL;
    }

  return g_object_new (LEAP_TYPE_TIER,
                       "id", id,
                       "event-id", leap_json_get_int (object, "event_id", 0),
                       "name", leap_json_get_string (object, "name", ""),
                       "price", price,
                       "currency", currency,
                       "capacity", MAX (leap_json_get_int (object, "capacity", 0), 0),
                       "max-per-order", MAX (leap_json_get_int (object, "max_per_order", 10), 1),
                       "available", MAX (leap_json_get_int (object, "available", -1), -1),
                       NULL);
}

gint64
leap_tier_get_id (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), 0);
  return self->id;
}

gint64
leap_tier_get_event_id (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), 0);
  return self->event_id;
}

const char *
leap_tier_get_name (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), NULL);
  return self->name ? self->name : "";
}

LeapMoney
leap_tier_get_price (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), leap_money_init (0, NULL));
  return leap_money_init (self->price, self->currency);
}

const char *
leap_tier_get_currency (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), NULL);
  return self->currency;
}

gint64
leap_tier_get_capacity (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), 0);
  return self->capacity;
}

gint64
leap_tier_get_max_per_order (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), 1);
  return self->max_per_order;
}

gint64
leap_tier_get_available (LeapTier *self)
{
  g_return_val_if_fail (LEAP_IS_TIER (self), -1);
  return self->available;
}

void
leap_tier_set_available (LeapTier *self,
                         gint64    available)
{
  g_return_if_fail (LEAP_IS_TIER (self));

  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}
