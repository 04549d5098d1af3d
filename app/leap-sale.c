/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-offline-cache.h"
#include "leap-sale.h"

/* One sale, from the first ticket in the cart to the payment: what the
 * cart has, the hold the server keeps for it (asked for, held, given back,
 * held again once the cart changes) and the payment through LeapCheckout.
 * The box office and the kiosk both sell through it; what they show is
 * theirs. The owner listens to ::notify (hold-id, holding, hold-pending,
 * paying, seconds-left) and to the signals for what happens on its own:
 * ::held, ::hold-failed, ::hold-expired. */
struct _LeapSale
{
  GObject       parent_instance;

  /* Owned */
  LeapClient   *client;
  LeapOfflineCache *cache;
  LeapCheckout *checkout;
  LeapEvent    *event;
  GArray       *lines;          /* Line, in the order of the cart */
  GPtrArray    *tiers;          /* the event's tiers, for that order; or NULL */
  GPtrArray    *to_release;     /* hold ids given back while the server was away */

  /* The hold: the one the server gave (hold_id), or one asked for
   * (holding), or one to ask for once the cart stops changing
   * (hold_delay_id). hold_generation grows with every change, so that an
   * answer to an older request is recognised and given back. */
  char         *hold_id;
  gint64        hold_expires;   /* real time, µs */
  guint         seconds_left;
  guint         hold_tick_id;
  guint         hold_delay_id;
  guint         hold_generation;
  gboolean      holding;
  char         *hold_key;       /* Idempotency-Key of the last attempt */
  char         *hold_key_body;  /* and what it asked for */
  char         *pay_method;     /* to pay with once the tickets are held */
  gboolean      paying;
  gboolean      reachable;

  /* How the owner sells */
  guint         hold_delay_ms;
  gboolean      hold_on_change;
  gboolean      count_down;
};

typedef struct
{
  LeapTier *tier;
  guint     quantity;
} Line;

G_DEFINE_FINAL_TYPE (LeapSale, leap_sale, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE,
  PROP_HOLD_DELAY,
  PROP_HOLD_ON_CHANGE,
  PROP_COUNT_DOWN,
  PROP_HOLD_ID,
  PROP_HOLDING,
  PROP_HOLD_PENDING,
  PROP_PAYING,
  PROP_SECONDS_LEFT,
  N_PROPS
};

enum {
  MAY_HOLD,
  HELD,
  HOLD_FAILED,
  HOLD_EXPIRED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_hold (LeapSale *self);

static void
line_clear (Line *line)
{
  g_clear_object (&line->tier);
}

static Line *
find_line (LeapSale *self,
           LeapTier *tier,
           guint    *position)
{
  /* By id: the page makes new LeapTier objects each time it shows the
   * event again. */
  for (guint i = 0; i < self->lines->len; i++)
    if (leap_tier_get_id (g_array_index (self->lines, Line, i).tier) == leap_tier_get_id (tier))
      {
        if (position != NULL)
          *position = i;
        return &g_array_index (self->lines, Line, i);
      }
  return NULL;
}

/* Where a new line for @tier goes: in the order of the event's tiers when
 * the owner gave them, else at the end. */
static guint
new_line_position (LeapSale *self,
                   LeapTier *tier)
{
  guint index;

  if (self->tiers == NULL || !g_ptr_array_find (self->tiers, tier, &index))
    return self->lines->len;
  for (guint i = 0; i < self->lines->len; i++)
    {
      guint other;

      if (g_ptr_array_find (self->tiers, g_array_index (self->lines, Line, i).tier, &other) &&
          other > index)
        return i;
    }
  return self->lines->len;
}

static void
set_hold_id (LeapSale   *self,
             const char *hold_id)
{
  if (g_strcmp0 (self->hold_id, hold_id) == 0)
    return;
  g_free (self->hold_id);
  self->hold_id = g_strdup (hold_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLD_ID]);
}

static void
set_holding (LeapSale *self,
             gboolean  holding)
{
  if (self->holding == holding)
    return;
  self->holding = holding;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLDING]);
}

static void
clear_hold_delay (LeapSale *self)
{
  if (self->hold_delay_id == 0)
    return;
  g_clear_handle_id (&self->hold_delay_id, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLD_PENDING]);
}

static void
release_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree char *hold_id = user_data;
  g_autoptr(GError) error = NULL;

  /* A hold that ran out or went already is given back as well. */
  if (!leap_client_release_hold_finish (LEAP_CLIENT (source), result, &error))
    g_debug ("The hold %s was not released: %s", hold_id, error->message);
}

/* No cancellable: the tickets go back even when the window closes. While
 * the server is away (the kiosk says so), they go back once it answers. */
static void
give_back (LeapSale   *self,
           const char *hold_id)
{
  if (self->reachable)
    leap_client_release_hold_async (self->client, hold_id, NULL, release_cb, g_strdup (hold_id));
  else
    g_ptr_array_add (self->to_release, g_strdup (hold_id));
}

/* Hold countdown */

static gboolean
hold_tick_cb (gpointer user_data)
{
  LeapSale *self = user_data;
  gint64 left = (self->hold_expires - g_get_real_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

  if (left <= 0)
    {
      self->hold_tick_id = 0;
      self->seconds_left = 0;
      set_hold_id (self, NULL);
      g_signal_emit (self, signals[HOLD_EXPIRED], 0);
      return G_SOURCE_REMOVE;
    }
  /* Every second, also when unchanged: the owner shows it afresh. */
  self->seconds_left = (guint) MIN (left, G_MAXUINT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECONDS_LEFT]);
  return G_SOURCE_CONTINUE;
}

/* Counts the hold down (again, after a payment that did not happen), with
 * ::notify::seconds-left once now and then every second; ::hold-expired at
 * the end. Only with count-down, and only while there is a hold. */
void
leap_sale_count_down (LeapSale *self)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  if (self->hold_id == NULL || !self->count_down)
    return;
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  self->hold_tick_id = g_timeout_add (1000, hold_tick_cb, self);
  hold_tick_cb (self);
}

/* Holds */

typedef struct
{
  LeapSale *sale;
  guint     generation;
} HoldRequest;

static void
hold_request_free (HoldRequest *request)
{
  g_object_unref (request->sale);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HoldRequest, hold_request_free)

static void
hold_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(HoldRequest) request = user_data;
  LeapSale *self = request->sale;
  g_autoptr(JsonObject) hold = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) expires = NULL;
  g_autofree char *pay_method = NULL;
  const char *expires_at;

  hold = leap_client_create_hold_finish (LEAP_CLIENT (source), result, &error);

  /* The cart changed (or its window went) while the hold was asked for. */
  if (request->generation != self->hold_generation)
    {
      if (hold != NULL)
        leap_client_release_hold_async (LEAP_CLIENT (source),
                                        leap_json_get_string (hold, "hold_id", NULL), NULL,
                                        release_cb,
                                        g_strdup (leap_json_get_string (hold, "hold_id", "")));
      return;
    }

  if (hold == NULL)
    {
      g_clear_pointer (&self->pay_method, g_free);
      /* Only a request that may not have arrived is retried with the same
       * key; any answer of the server ends this attempt. */
      if (!g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE) &&
          !g_error_matches (error, LEAP_ERROR, LEAP_ERROR_INTERNAL))
        {
          g_clear_pointer (&self->hold_key, g_free);
          g_clear_pointer (&self->hold_key_body, g_free);
        }
      set_holding (self, FALSE);
      g_signal_emit (self, signals[HOLD_FAILED], 0, error);
      return;
    }

  g_clear_pointer (&self->hold_key, g_free);
  g_clear_pointer (&self->hold_key_body, g_free);
  expires_at = leap_json_get_string (hold, "expires_at", NULL);
  expires = expires_at ? g_date_time_new_from_iso8601 (expires_at, NULL) : NULL;
  /* Count down on this computer's clock from what the server grants, so a
   * clock that is off does not cut the hold short or make it look longer. */
  if (expires != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
      gint64 span = g_date_time_difference (expires, now);

      self->hold_expires = g_get_real_time () + CLAMP (span, 0, 24 * G_TIME_SPAN_HOUR);
    }
  else
    self->hold_expires = g_get_real_time () + 10 * G_TIME_SPAN_MINUTE;

  g_object_freeze_notify (G_OBJECT (self));
  set_holding (self, FALSE);
  set_hold_id (self, leap_json_get_string (hold, "hold_id", NULL));
  g_object_thaw_notify (G_OBJECT (self));
  leap_sale_count_down (self);

  /* Pay was pressed before there was a hold: the owner goes on with it. */
  pay_method = g_steal_pointer (&self->pay_method);
  g_signal_emit (self, signals[HELD], 0, pay_method);
}

static JsonArray *
hold_items (LeapSale *self)
{
  JsonArray *items = json_array_new ();

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);
      JsonObject *item = json_object_new ();

      json_object_set_int_member (item, "tier_id", leap_tier_get_id (line->tier));
      json_object_set_int_member (item, "quantity", line->quantity);
      json_array_add_object_element (items, item);
    }
  return items;
}

/* Asks the server to hold what the cart has, when the owner agrees. */
static void
start_hold (LeapSale *self)
{
  g_autoptr(JsonArray) items = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;
  g_autofree char *json = NULL;
  gboolean may_hold = FALSE;
  HoldRequest *request;

  clear_hold_delay (self);
  g_signal_emit (self, signals[MAY_HOLD], 0, &may_hold);
  if (!may_hold || self->event == NULL || self->lines->len == 0 || self->hold_id != NULL)
    return;

  /* The same cart after a failure that may not have reached the server is
   * a retry: the same key, so it is never held twice. */
  items = hold_items (self);
  node = json_node_init_array (json_node_alloc (), items);
  json = json_to_string (node, FALSE);
  body = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", leap_event_get_id (self->event), json);
  if (self->hold_key == NULL || g_strcmp0 (self->hold_key_body, body) != 0)
    {
      g_free (self->hold_key);
      self->hold_key = g_uuid_string_random ();
      g_free (self->hold_key_body);
      self->hold_key_body = g_steal_pointer (&body);
    }

  self->hold_generation++;
  request = g_new0 (HoldRequest, 1);
  request->sale = g_object_ref (self);
  request->generation = self->hold_generation;
  set_holding (self, TRUE);
  leap_client_create_hold_async (self->client, leap_event_get_id (self->event), items,
                                 self->hold_key, NULL, hold_cb, request);
}

/* Holds the cart now. With @pay_method ("cash" or "card"), ::held hands
 * it back, so that the payment goes on once the tickets are held. */
void
leap_sale_hold (LeapSale   *self,
                const char *pay_method)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  if (pay_method != NULL)
    {
      g_free (self->pay_method);
      self->pay_method = g_strdup (pay_method);
    }
  start_hold (self);
}

static gboolean
hold_delay_cb (gpointer user_data)
{
  LeapSale *self = user_data;

  self->hold_delay_id = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLD_PENDING]);
  if (leap_sale_get_n_tickets (self) > 0)
    start_hold (self);
  return G_SOURCE_REMOVE;
}

/* Holds the cart once it has not changed for the hold delay (the cashier
 * or the customer stops pressing + and −); nothing for an empty cart. */
void
leap_sale_hold_later (LeapSale *self)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  clear_hold_delay (self);
  if (leap_sale_get_n_tickets (self) == 0)
    return;
  self->hold_delay_id = g_timeout_add (self->hold_delay_ms, hold_delay_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HOLD_PENDING]);
}

/* The server no longer keeps the hold for this sale (it ran out, a
 * declined card gave the tickets back, or it became the order): forget it
 * without giving it back, and any request or countdown under way. */
void
leap_sale_forget_hold (LeapSale *self)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  self->hold_generation++;
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  self->seconds_left = 0;
  g_object_freeze_notify (G_OBJECT (self));
  clear_hold_delay (self);
  set_hold_id (self, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Gives the current hold back (the server frees it when it runs out
 * anyway) and forgets any request under way. */
void
leap_sale_release_hold (LeapSale *self)
{
  g_autofree char *hold_id = NULL;

  g_return_if_fail (LEAP_IS_SALE (self));

  hold_id = g_strdup (self->hold_id);
  g_clear_pointer (&self->pay_method, g_free);
  g_object_freeze_notify (G_OBJECT (self));
  set_holding (self, FALSE);
  leap_sale_forget_hold (self);
  g_object_thaw_notify (G_OBJECT (self));
  if (hold_id != NULL)
    give_back (self, hold_id);
}

/* The sale is over (paid, or in other hands): its hold became the order,
 * so it is not given back; the cart is emptied for the next one. */
void
leap_sale_end (LeapSale *self)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  leap_sale_forget_hold (self);
  g_array_set_size (self->lines, 0);
}

/* Whether the server answers, as the owner learns it: while it does not,
 * holds given back wait, and go back once it does. */
void
leap_sale_set_reachable (LeapSale *self,
                         gboolean  reachable)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  reachable = !!reachable;
  if (self->reachable == reachable)
    return;
  self->reachable = reachable;
  if (!reachable)
    return;
  for (guint i = 0; i < self->to_release->len; i++)
    give_back (self, g_ptr_array_index (self->to_release, i));
  g_ptr_array_set_size (self->to_release, 0);
}

/* The cart */

/* Starts the cart of @event (or none) afresh: the hold goes back. */
void
leap_sale_set_event (LeapSale  *self,
                     LeapEvent *event)
{
  g_return_if_fail (LEAP_IS_SALE (self));
  g_return_if_fail (event == NULL || LEAP_IS_EVENT (event));

  leap_sale_release_hold (self);
  g_array_set_size (self->lines, 0);
  g_clear_pointer (&self->tiers, g_ptr_array_unref);
  g_set_object (&self->event, event);
}

LeapEvent *
leap_sale_get_event (LeapSale *self)
{
  g_return_val_if_fail (LEAP_IS_SALE (self), NULL);
  return self->event;
}

/* The event's tiers, in the order the lines of the cart are to be kept
 * (the kiosk's); without them, lines keep the order they were added in. */
void
leap_sale_set_tiers (LeapSale  *self,
                     GPtrArray *tiers)
{
  g_return_if_fail (LEAP_IS_SALE (self));

  if (tiers != NULL)
    g_ptr_array_ref (tiers);
  g_clear_pointer (&self->tiers, g_ptr_array_unref);
  self->tiers = tiers;
}

/* Sets how many tickets of @tier the cart has; 0 takes the line out. A
 * change gives the hold back and holds the new cart after the hold delay:
 * always with hold-on-change, else when it was held or being held.
 * Returns whether the cart changed. */
gboolean
leap_sale_set_quantity (LeapSale *self,
                        LeapTier *tier,
                        guint     quantity)
{
  gboolean had_hold;
  guint position;
  Line *line;

  g_return_val_if_fail (LEAP_IS_SALE (self), FALSE);
  g_return_val_if_fail (LEAP_IS_TIER (tier), FALSE);

  line = find_line (self, tier, &position);
  if ((line != NULL ? line->quantity : 0) == quantity)
    return FALSE;
  if (line != NULL && quantity == 0)
    g_array_remove_index (self->lines, position);
  else if (line != NULL)
    line->quantity = quantity;
  else
    {
      Line new_line = { g_object_ref (tier), quantity };

      g_array_insert_val (self->lines, new_line_position (self, tier), new_line);
    }

  had_hold = self->hold_id != NULL || self->holding || self->hold_delay_id != 0;
  g_object_freeze_notify (G_OBJECT (self));
  leap_sale_release_hold (self);
  if (had_hold || self->hold_on_change)
    leap_sale_hold_later (self);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

guint
leap_sale_get_quantity (LeapSale *self,
                        LeapTier *tier)
{
  Line *line;

  g_return_val_if_fail (LEAP_IS_SALE (self), 0);

  line = find_line (self, tier, NULL);
  return line != NULL ? line->quantity : 0;
}

guint
leap_sale_get_n_tickets (LeapSale *self)
{
  guint n = 0;

  g_return_val_if_fail (LEAP_IS_SALE (self), 0);

  for (guint i = 0; i < self->lines->len; i++)
    n += g_array_index (self->lines, Line, i).quantity;
  return n;
}

/* The sum of the lines. Tiers of one event share a currency; a line in
 * another currency would be a server error and is left out of the sum. */
LeapMoney
leap_sale_get_total (LeapSale *self)
{
  LeapMoney total = leap_money_init (0, NULL);

  g_return_val_if_fail (LEAP_IS_SALE (self), total);

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);
      LeapMoney price = leap_tier_get_price (line->tier);
      g_autoptr(GError) error = NULL;

      if (!leap_money_multiply (&price, line->quantity, &error) ||
          !leap_money_add (&total, &price, &error))
        g_debug ("A line of the cart is left out of the total: %s", error->message);
    }
  return total;
}

/* What the order is about, kept with it for the receipt and searches:
 * the hold, the event, the lines with their prices and the total. */
JsonObject *
leap_sale_describe (LeapSale *self)
{
  LeapMoney total;
  JsonObject *sale;
  JsonObject *about;
  JsonObject *names;
  JsonArray *items;

  g_return_val_if_fail (LEAP_IS_SALE (self), NULL);
  g_return_val_if_fail (self->event != NULL, NULL);

  total = leap_sale_get_total (self);
  sale = json_object_new ();
  about = json_object_new ();
  names = json_object_new ();
  items = json_array_new ();
  json_object_set_int_member (about, "id", leap_event_get_id (self->event));
  json_object_set_string_member (about, "name", leap_event_get_name (self->event));
  json_object_set_int_member (about, "starts_at", leap_event_get_starts_at (self->event));
  if (leap_event_get_venue_name (self->event) != NULL)
    json_object_set_string_member (about, "venue", leap_event_get_venue_name (self->event));
  if (leap_event_get_venue_timezone (self->event) != NULL)
    json_object_set_string_member (about, "timezone",
                                   leap_event_get_venue_timezone (self->event));

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *line = &g_array_index (self->lines, Line, i);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, leap_tier_get_id (line->tier));
      JsonObject *item = json_object_new ();
      LeapMoney price = leap_tier_get_price (line->tier);

      json_object_set_string_member (names, key, leap_tier_get_name (line->tier));
      json_object_set_int_member (item, "tier_id", leap_tier_get_id (line->tier));
      json_object_set_int_member (item, "quantity", line->quantity);
      json_object_set_int_member (item, "unit_price", price.amount);
      json_object_set_string_member (item, "currency", price.currency);
      json_array_add_object_element (items, item);
    }
  json_object_set_string_member (sale, "hold_id", self->hold_id);
  json_object_set_object_member (sale, "event", about);
  json_object_set_object_member (sale, "tier_names", names);
  json_object_set_array_member (sale, "lines", items);
  json_object_set_int_member (sale, "total", total.amount);
  json_object_set_string_member (sale, "currency", total.currency);
  return sale;
}

/* Payment */

typedef struct
{
  LeapPlaced placed;
} Payment;

static void
pay_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapSale *self = g_task_get_source_object (task);
  Payment *payment = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonObject *order;

  order = leap_checkout_pay_finish (LEAP_CHECKOUT (source), result, &payment->placed, &error);
  /* Cancelled, the owner is gone: nothing to tell it. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      self->paying = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAYING]);
    }
  if (order == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, order, (GDestroyNotify) json_object_unref);
}

/* Pays for the held cart by @method ("cash", with @tendered in minor
 * units, or "card"), for @customer_name when given. The countdown stops:
 * once placed, the hold does not run out. What then becomes of the hold
 * (the order, held again, given back) is the owner's to say with
 * leap_sale_end(), leap_sale_forget_hold() and the like. */
void
leap_sale_pay_async (LeapSale            *self,
                     const char          *method,
                     gint64               tendered,
                     const char          *customer_name,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) sale = NULL;
  JsonObject *payment;

  g_return_if_fail (LEAP_IS_SALE (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (self->hold_id != NULL && !self->paying);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_sale_pay_async);
  g_task_set_task_data (task, g_new0 (Payment, 1), g_free);
  /* The checkout's answer as it is, also once the owner cancelled. */
  g_task_set_check_cancellable (task, FALSE);

  sale = leap_sale_describe (self);
  payment = json_object_new ();
  json_object_set_string_member (payment, "method", method);
  if (g_str_equal (method, "cash"))
    json_object_set_int_member (payment, "tendered", tendered);
  json_object_set_object_member (sale, "payment", payment);
  if (customer_name != NULL)
    {
      JsonObject *customer = json_object_new ();

      json_object_set_string_member (customer, "name", customer_name);
      json_object_set_object_member (sale, "customer", customer);
    }

  self->paying = TRUE;
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAYING]);
  leap_checkout_pay_async (self->checkout, sale, cancellable, pay_cb, g_steal_pointer (&task));
}

/* The order, or NULL with @error; *@placed says whether the server took
 * the order even so, or may have (then it must never be charged again
 * without looking it up). */
JsonObject *
leap_sale_pay_finish (LeapSale      *self,
                      GAsyncResult  *result,
                      LeapPlaced    *placed,
                      GError       **error)
{
  Payment *payment;

  g_return_val_if_fail (LEAP_IS_SALE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == leap_sale_pay_async, NULL);

  payment = g_task_get_task_data (G_TASK (result));
  if (placed != NULL)
    *placed = payment->placed;
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
leap_sale_get_paying (LeapSale *self)
{
  g_return_val_if_fail (LEAP_IS_SALE (self), FALSE);
  return self->paying;
}

/* The id of the sale's hold while the server keeps it, else NULL. */
const char *
leap_sale_get_hold_id (LeapSale *self)
{
  g_return_val_if_fail (LEAP_IS_SALE (self), NULL);
  return self->hold_id;
}

/* Whether a hold was asked for and the server has not answered yet. */
gboolean
leap_sale_get_holding (LeapSale *self)
{
  g_return_val_if_fail (LEAP_IS_SALE (self), FALSE);
  return self->holding;
}

/* Whether the cart is to be held once it stops changing. */
gboolean
leap_sale_get_hold_pending (LeapSale *self)
{
  g_return_val_if_fail (LEAP_IS_SALE (self), FALSE);
  return self->hold_delay_id != 0;
}

guint
leap_sale_get_seconds_left (LeapSale *self)
{
  g_return_val_if_fail (LEAP_IS_SALE (self), 0);
  return self->seconds_left;
}

/* GObject */

static void
leap_sale_constructed (GObject *object)
{
  LeapSale *self = (LeapSale *) object;

  G_OBJECT_CLASS (leap_sale_parent_class)->constructed (object);

  g_assert (self->client != NULL && self->cache != NULL);
  self->checkout = leap_checkout_new (self->client, self->cache);
}

static void
leap_sale_dispose (GObject *object)
{
  LeapSale *self = (LeapSale *) object;

  self->hold_generation++;
  g_clear_handle_id (&self->hold_tick_id, g_source_remove);
  g_clear_handle_id (&self->hold_delay_id, g_source_remove);
  g_clear_object (&self->checkout);
  g_clear_object (&self->event);
  g_clear_object (&self->cache);
  g_clear_object (&self->client);
  g_clear_pointer (&self->tiers, g_ptr_array_unref);

  G_OBJECT_CLASS (leap_sale_parent_class)->dispose (object);
}

static void
leap_sale_finalize (GObject *object)
{
  LeapSale *self = (LeapSale *) object;

  g_clear_pointer (&self->lines, g_array_unref);
  g_clear_pointer (&self->to_release, g_ptr_array_unref);
  g_clear_pointer (&self->hold_id, g_free);
  g_clear_pointer (&self->hold_key, g_free);
  g_clear_pointer (&self->hold_key_body, g_free);
  g_clear_pointer (&self->pay_method, g_free);

  G_OBJECT_CLASS (leap_sale_parent_class)->finalize (object);
}

static void
leap_sale_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  LeapSale *self = LEAP_SALE (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_CACHE: g_value_set_object (value, self->cache); break;
    case PROP_HOLD_DELAY: g_value_set_uint (value, self->hold_delay_ms); break;
    case PROP_HOLD_ON_CHANGE: g_value_set_boolean (value, self->hold_on_change); break;
    case PROP_COUNT_DOWN: g_value_set_boolean (value, self->count_down); break;
    case PROP_HOLD_ID: g_value_set_string (value, self->hold_id); break;
    case PROP_HOLDING: g_value_set_boolean (value, self->holding); break;
    case PROP_HOLD_PENDING: g_value_set_boolean (value, self->hold_delay_id != 0); break;
    case PROP_PAYING: g_value_set_boolean (value, self->paying); break;
    case PROP_SECONDS_LEFT: g_value_set_uint (value, self->seconds_left); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_sale_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  LeapSale *self = LEAP_SALE (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_CACHE: self->cache = g_value_dup_object (value); break;
    case PROP_HOLD_DELAY: self->hold_delay_ms = g_value_get_uint (value); break;
    case PROP_HOLD_ON_CHANGE: self->hold_on_change = g_value_get_boolean (value); break;
    case PROP_COUNT_DOWN: self->count_down = g_value_get_boolean (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
leap_sale_real_may_hold (LeapSale *self)
{
  return TRUE;
}

static void
leap_sale_class_init (LeapSaleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_STATIC_STRINGS;
  const GParamFlags state = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = leap_sale_constructed;
  object_class->dispose = leap_sale_dispose;
  object_class->finalize = leap_sale_finalize;
  object_class->get_property = leap_sale_get_property;
  object_class->set_property = leap_sale_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LEAP_TYPE_CLIENT, construct);
  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL, LEAP_TYPE_OFFLINE_CACHE, construct);
  /* How long the cart must stay the same before it is held (again), ms. */
  properties[PROP_HOLD_DELAY] =
    g_param_spec_uint ("hold-delay", NULL, NULL, 0, 60000, 600, construct);
  /* Whether a changed cart is held even when it was not held before. */
  properties[PROP_HOLD_ON_CHANGE] =
    g_param_spec_boolean ("hold-on-change", NULL, NULL, FALSE, construct);
  /* Whether the hold is counted down, and forgotten when it runs out. */
  properties[PROP_COUNT_DOWN] =
    g_param_spec_boolean ("count-down", NULL, NULL, TRUE, construct);
  properties[PROP_HOLD_ID] = g_param_spec_string ("hold-id", NULL, NULL, NULL, state);
  properties[PROP_HOLDING] = g_param_spec_boolean ("holding", NULL, NULL, FALSE, state);
  properties[PROP_HOLD_PENDING] =
    g_param_spec_boolean ("hold-pending", NULL, NULL, FALSE, state);
  properties[PROP_PAYING] = g_param_spec_boolean ("paying", NULL, NULL, FALSE, state);
  properties[PROP_SECONDS_LEFT] =
    g_param_spec_uint ("seconds-left", NULL, NULL, 0, G_MAXUINT, 0, state);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LeapSale::may-hold:
   *
   * Asked before each hold; the owner returns %FALSE when the sale cannot
   * go on now (offline, signed out). The first handler decides.
   */
  signals[MAY_HOLD] =
    g_signal_new_class_handler ("may-hold", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                G_CALLBACK (leap_sale_real_may_hold),
                                g_signal_accumulator_first_wins, NULL, NULL,
                                G_TYPE_BOOLEAN, 0);
  /**
   * LeapSale::held:
   * @pay_method: (nullable): what leap_sale_hold() was asked to pay with
   *
   * The server holds the cart's tickets.
   */
  signals[HELD] =
    g_signal_new ("held", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * LeapSale::hold-failed:
   * @error: why the server did not hold the tickets
   */
  signals[HOLD_FAILED] =
    g_signal_new ("hold-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  /**
   * LeapSale::hold-expired:
   *
   * The hold ran out (with count-down): the tickets went back on sale.
   */
  signals[HOLD_EXPIRED] =
    g_signal_new ("hold-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
leap_sale_init (LeapSale *self)
{
  self->lines = g_array_new (FALSE, FALSE, sizeof (Line));
  g_array_set_clear_func (self->lines, (GDestroyNotify) line_clear);
  self->to_release = g_ptr_array_new_with_free_func (g_free);
  self->reachable = TRUE;
  self->hold_delay_ms = 600;
  self->count_down = TRUE;
}

/* A sale as the box office makes it; the kiosk sets the properties. */
LeapSale *
leap_sale_new (LeapClient       *client,
               LeapOfflineCache *cache)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (cache), NULL);

  return g_object_new (LEAP_TYPE_SALE,
                       "client", client,
                       "cache", cache,
                       NULL);
}
