/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-holds"

#include "leap-holds-private.h"
#include "leap-error.h"
#include "leap-json.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#define PRICES_TTL_US (2 * G_USEC_PER_SEC)
#define MAX_ITEMS 20
#define DB_HOLD_MARK '_' /* the last character of a hold id made by the database */

G_DEFINE_FINAL_TYPE (LeapHolds, leap_holds, G_TYPE_OBJECT)

/* What a hold costs is read from the database, not from the client; the
 * table of an event is kept for two seconds so that a rush does not query
 * it for every hold. */
typedef struct
{
  gint64      loaded;  /* monotonic µs */
  char       *status;  /* the event's */
  JsonArray  *tiers;   /* of JsonObject (id, price, currency, name) */
} Prices;

static void
prices_free (Prices *prices)
{
  g_free (prices->status);
  json_array_unref (prices->tiers);
  g_free (prices);
}

/* An event's prices as the database has them: read on any connection
 * (in a thread of the store's pool for a new hold). */
typedef struct
{
  gint64      event_id;
  JsonObject *event;
  JsonArray  *tiers;
} PricesLoad;

static void
prices_load_free (PricesLoad *l)
{
  g_clear_pointer (&l->event, json_object_unref);
  g_clear_pointer (&l->tiers, json_array_unref);
  g_free (l);
}

static gpointer
prices_load_run (LeapStore *store,
                 gpointer   data,
                 GError   **error)
{
  PricesLoad *l = data;

  l->event = leap_store_get (store, LEAP_KIND_EVENT, l->event_id, error);
  if (l->event == NULL)
    return NULL;
  l->tiers = leap_store_list_children (store, LEAP_KIND_TIER, l->event_id, error);
  return l->tiers != NULL ? l : NULL;
}

static Prices *
prices_cached (LeapHolds *self,
               gint64     event_id)
{
  Prices *prices = g_hash_table_lookup (self->prices, &event_id);

  if (prices != NULL && g_get_monotonic_time () - prices->loaded < PRICES_TTL_US)
    return prices;
  return NULL;
}

/* Keeps what l read; the answer stays valid until the next load. */
static Prices *
prices_keep (LeapHolds  *self,
             PricesLoad *l)
{
  Prices *prices = g_new0 (Prices, 1);
  gint64 *key = g_new (gint64, 1);

  prices->loaded = g_get_monotonic_time ();
  prices->status = g_strdup (json_object_get_string_member (l->event, "status"));
  prices->tiers = g_steal_pointer (&l->tiers);
  *key = l->event_id;
  g_hash_table_replace (self->prices, key, prices);
  return prices;
}

/* A hold id names its event, so that its keys (and shard) are known from
 * the id alone: "42-" and 22 random characters. */
gboolean
leap_hold_id_parse (const char *hold_id,
                    gint64     *event_id)
{
  const char *dash = hold_id ? strchr (hold_id, '-') : NULL;
  guint64 value;
  g_autofree char *number = NULL;

  if (dash == NULL || strlen (dash + 1) != 22 || strlen (hold_id) > 64)
    return FALSE;
  for (const char *p = dash + 1; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  number = g_strndup (hold_id, dash - hold_id);
  if (!g_ascii_string_to_unsigned (number, 10, 1, G_MAXINT64, &value, NULL))
    return FALSE;
  *event_id = value;
  return TRUE;
}

char *
_leap_holds_new_hold_id (gint64   event_id,
                         gboolean in_database)
{
  guchar raw[16];
  char text[sodium_base64_ENCODED_LEN (16, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (raw, sizeof raw);
  sodium_bin2base64 (text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  /* The last of the 22 characters carries 2 bits of the 16 bytes, so it is
   * A, Q, g or w: never the mark. */
  if (in_database)
    text[21] = DB_HOLD_MARK;
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%s", event_id, text);
}

/* Holds made by the database while Redis was down end in "_" (and are
 * otherwise the same shape as any other). */
gboolean
leap_hold_id_is_db (const char *hold_id)
{
  gint64 event_id;

  return leap_hold_id_parse (hold_id, &event_id) && hold_id[strlen (hold_id) - 1] == DB_HOLD_MARK;
}

/* Runs an inventory script: KEYS are the event's, then argv. */
void
_leap_holds_run_script (LeapHolds         *self,
                        const char        *script,
                        gint64             event_id,
                        const char        *hold_id,
                        GPtrArray         *args,
                        LeapRedisReplyFunc func,
                        gpointer           user_data,
                        GDestroyNotify     destroy)
{
  g_autoptr(GPtrArray) argv = leap_keys_inventory_script (event_id, hold_id);
  guint nkeys = argv->len;

  for (guint i = 0; i < args->len; i++)
    g_ptr_array_add (argv, g_strdup (g_ptr_array_index (args, i)));
  /* A reply dropped with a disposed connection frees user_data. */
  leap_redis_eval_argv_full (self->redis, script, func, user_data, destroy, nkeys, argv->len,
                             (const char **) argv->pdata, NULL);
}

/* Creating a hold */

static void
create_free (Create *c)
{
  g_free (c->hold_id);
  g_free (c->owner);
  g_free (c->client);
  g_free (c->prices);
  g_clear_pointer (&c->items, json_array_unref);
  g_clear_pointer (&c->answer, json_object_unref);
  g_free (c);
}

/* The answer for a hold: its lines at the prices it was made at. */
static JsonObject *
describe_hold (Prices     *prices,
               gint64      event_id,
               const char *hold_id,
               const char *status,
               gint64      expires_ms,
               JsonArray  *items,
               GError    **error)
{
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *expires = NULL;
  JsonArray *lines;
  LeapMoney total;

  if ((lines = leap_hold_lines_price (items, prices->tiers, FALSE, &total, error)) == NULL)
    return NULL;
  answer = json_object_new ();
  expires = leap_time_format (expires_ms / 1000);
  json_object_set_string_member (answer, "hold_id", hold_id);
  json_object_set_int_member (answer, "event_id", event_id);
  json_object_set_string_member (answer, "status", status);
  json_object_set_string_member (answer, "expires_at", expires);
  json_object_set_array_member (answer, "items", lines);
  json_object_set_int_member (answer, "total", total.amount);
  json_object_set_string_member (answer, "currency", total.currency);
  return g_steal_pointer (&answer);
}

typedef struct
{
  gint64     event_id;
  char      *hold_id;
  char      *status;
  gint64     expires_ms;
  JsonArray *items;
} Describe;

static void
describe_free (Describe *d)
{
  g_free (d->hold_id);
  g_free (d->status);
  g_clear_pointer (&d->items, json_array_unref);
  g_free (d);
}

static void
describe_return (GTask  *task,
                 Prices *prices)
{
  Describe *d = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonObject *answer = describe_hold (prices, d->event_id, d->hold_id, d->status, d->expires_ms,
                                      d->items, &error);

  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

static void
describe_prices_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  PricesLoad *load = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (load == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    describe_return (task, prices_keep (self, load));
}

/* The answer for a hold, with its event's prices read again in the store's
 * pool once they are out of date. */
void
_leap_holds_describe_hold_async (LeapHolds          *self,
                                 gint64              event_id,
                                 const char         *hold_id,
                                 const char         *status,
                                 gint64              expires_ms,
                                 JsonArray          *items,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Describe *d = g_new0 (Describe, 1);
  Prices *prices = prices_cached (self, event_id);
  PricesLoad *load;

  g_task_set_source_tag (task, _leap_holds_describe_hold_async);
  d->event_id = event_id;
  d->hold_id = g_strdup (hold_id);
  d->status = g_strdup (status);
  d->expires_ms = expires_ms;
  d->items = json_array_ref (items);
  g_task_set_task_data (task, d, (GDestroyNotify) describe_free);
  if (prices != NULL)
    {
      describe_return (task, prices);
      return;
    }
  load = g_new0 (PricesLoad, 1);
  load->event_id = event_id;
  leap_store_call_async (self->store, prices_load_run, load, (GDestroyNotify) prices_load_free,
                         NULL, NULL, describe_prices_cb, g_steal_pointer (&task));
}

JsonObject *
_leap_holds_describe_hold_finish (LeapHolds    *self,
                                  GAsyncResult *result,
                                  GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A callback of _leap_holds_describe_hold_async () that returns its
 * answer or error on the GTask given as user_data. */
void
_leap_holds_described_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *answer = _leap_holds_describe_hold_finish (LEAP_HOLDS (object), result, &error);

  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

static void
reserved_described_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  Create *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, c->event_id);
  g_autofree char *score = NULL;
  gint64 *sent;

  c->answer = _leap_holds_describe_hold_finish (self, result, &error);
  if (c->answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The expiry timer visits the events that have holds; telling Redis
   * once a second per event is enough, not once per hold. */
  score = g_strdup_printf ("%" G_GINT64_FORMAT, c->expires_ms);
  sent = g_hash_table_lookup (self->expiring_sent, &c->event_id);
  if (sent == NULL || c->expires_ms - *sent >= 1000)
    {
      gint64 *key = g_new (gint64, 1);
      gint64 *value = g_new (gint64, 1);

      *key = c->event_id;
      *value = c->expires_ms;
      g_hash_table_replace (self->expiring_sent, key, value);
      leap_redis_command (self->redis, NULL, NULL, "ZADD", leap_keys_expiring (), "GT",
                          score, event, NULL);
    }
  g_task_return_pointer (task, json_object_ref (c->answer), (GDestroyNotify) json_object_unref);
}

void
_leap_holds_reserved (LeapHolds *self,
                      GTask     *task)
{
  Create *c = g_task_get_task_data (task);

  _leap_holds_describe_hold_async (self, c->event_id, c->hold_id, "held", c->expires_ms, c->items,
                                   reserved_described_cb, task);
}

static void
reserved_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  Create *c = g_task_get_task_data (task);
  const char *status;

  if (error != NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Tickets cannot be held right now; try again in a moment"));
      return;
    }

  status = leap_reply_status (reply);
  if (g_str_equal (status, "ok"))
    {
      c->expires_ms = leap_reply_element_int (reply, 1);
      if (_leap_holds_replicas_wanted (self))
        _leap_holds_replicate (self, g_steal_pointer (&task));
      else
        _leap_holds_reserved (self, g_steal_pointer (&task));
    }
  else if (g_str_equal (status, "too_many_holds"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_TOO_MANY_HOLDS,
                             "A guest may keep %" G_GINT64_FORMAT " holds at once; release or "
                             "buy one first",
                             leap_reply_element_int (reply, 1));
  else if (g_str_equal (status, "too_many_tickets"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_TOO_MANY_TICKETS,
                             "Online buyers from one address may keep %" G_GINT64_FORMAT
                             " tickets in holds at once, and %" G_GINT64_FORMAT " are held; "
                             "release or buy some first",
                             leap_reply_element_int (reply, 1), leap_reply_element_int (reply, 2));
  else if (g_str_equal (status, "sold_out"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_SOLD_OUT,
                             "Not enough tickets left in tier %" G_GINT64_FORMAT ": %"
                             G_GINT64_FORMAT " available",
                             leap_reply_element_int (reply, 1), leap_reply_element_int (reply, 2));
  else if (g_str_equal (status, "limit"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID,
                             "At most %" G_GINT64_FORMAT " tickets of tier %" G_GINT64_FORMAT
                             " per order",
                             leap_reply_element_int (reply, 2), leap_reply_element_int (reply, 1));
  else if (g_str_equal (status, "unknown_tier"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID,
                             "Tier %" G_GINT64_FORMAT " is not on sale for this event",
                             leap_reply_element_int (reply, 1));
  else
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID, "The hold was refused (%s)",
                             status);
}

/* Takes task: reserved_cb returns it. A guest's caps on live holds (its
 * own) and held tickets (its address's) are counted by the script itself,
 * in the step that adds the hold. */
static void
reserve (GTask *task)
{
  LeapHolds *self = g_task_get_source_object (task);
  Create *c = g_task_get_task_data (task);
  g_autoptr(GPtrArray) argv = leap_keys_reserve_script (c->event_id, c->hold_id,
                                                        c->guest ? c->owner : NULL,
                                                        c->guest ? c->client : NULL);
  guint nkeys = argv->len;

  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, c->event_id));
  g_ptr_array_add (argv, g_strdup (c->hold_id));
  g_ptr_array_add (argv, g_strdup (c->owner));
  g_ptr_array_add (argv, g_strdup (LEAP_HOLDS_REDIS_NOW));
  g_ptr_array_add (argv, g_strdup_printf ("%u", self->config.ttl_s * 1000));
  if (c->guest)
    {
      g_ptr_array_add (argv, g_strdup_printf ("%u", self->config.guest_max_holds));
      g_ptr_array_add (argv, g_strdup_printf ("%u", self->config.guest_address_max_tickets));
    }
  for (guint i = 0; i < json_array_get_length (c->items); i++)
    {
      JsonObject *item = json_array_get_object_element (c->items, i);

      g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT,
                                              json_object_get_int_member (item, "tier_id")));
      g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT,
                                              json_object_get_int_member (item, "quantity")));
    }
  g_ptr_array_add (argv, g_strdup (c->prices));
  leap_redis_eval_argv_full (self->redis, "reserve", reserved_cb, task, g_object_unref, nkeys,
                             argv->len, (const char **) argv->pdata, NULL);
}

static gboolean
check_items (LeapHolds  *self,
             JsonObject *request,
             gboolean    guest,
             GError    **error)
{
  JsonNode *node = json_object_get_member (request, "items");
  JsonArray *items;
  gint64 total = 0;
  JsonObjectIter iter;
  const char *member;

  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &member, &node))
    /* admission_token is the waiting room's (LeapWaitingRoom checked it). */
    if (!g_str_equal (member, "event_id") && !g_str_equal (member, "items") &&
        !g_str_equal (member, "admission_token"))
      {
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Unknown field “%s” in hold",
                     member);
        return FALSE;
      }
  if (leap_json_get_int (request, "event_id", 0) <= 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("hold.event_id must be a positive id"));
      return FALSE;
    }
  node = json_object_get_member (request, "items");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (json_node_get_array (node)) == 0 ||
      json_array_get_length (json_node_get_array (node)) > MAX_ITEMS)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "hold.items must be a list of 1 to %u {\"tier_id\", \"quantity\"}", MAX_ITEMS);
      return FALSE;
    }
  items = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *e = json_array_get_element (items, i);
      JsonObject *item;

      if (!JSON_NODE_HOLDS_OBJECT (e) ||
          json_object_get_size (item = json_node_get_object (e)) != 2 ||
          leap_json_get_int (item, "tier_id", 0) <= 0 ||
          leap_json_get_int (item, "quantity", 0) <= 0 ||
          leap_json_get_int (item, "quantity", 0) > 100)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "hold.items[%u] must be {\"tier_id\": id, \"quantity\": 1 to 100}", i);
          return FALSE;
        }
      for (guint j = 0; j < i; j++)
        if (leap_json_get_int (json_array_get_object_element (items, j), "tier_id", 0) ==
            leap_json_get_int (item, "tier_id", 0))
          {
            g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                         "hold.items names tier %" G_GINT64_FORMAT " twice",
                         leap_json_get_int (item, "tier_id", 0));
            return FALSE;
          }
      total += leap_json_get_int (item, "quantity", 0);
    }
  if (guest && total > self->config.guest_max_tickets)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "At most %u tickets per order online",
                   self->config.guest_max_tickets);
      return FALSE;
    }
  return TRUE;
}

static void create_priced    (GTask        *task,
                              Prices       *prices);
static void prices_loaded_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data);

void
leap_holds_create_async (LeapHolds          *self,
                         const LeapSession  *session,
                         const char         *client,
                         JsonObject         *request,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  Create *c = g_new0 (Create, 1);
  g_autoptr(GError) error = NULL;
  PricesLoad *load;
  Prices *prices;

  g_task_set_source_tag (task, leap_holds_create_async);
  g_task_set_task_data (task, c, (GDestroyNotify) create_free);
  c->guest = g_str_equal (session->role, "guest");
  c->owner = g_strdup (session->token_hash);
  c->client = g_strdup (client);

  if (!check_items (self, request, c->guest, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  c->event_id = leap_json_get_int (request, "event_id", 0);
  c->items = json_array_ref (json_object_get_array_member (request, "items"));

  prices = prices_cached (self, c->event_id);
  if (prices != NULL)
    {
      create_priced (task, prices);
      return;
    }
  load = g_new0 (PricesLoad, 1);
  load->event_id = c->event_id;
  leap_store_call_async (self->store, prices_load_run, load, (GDestroyNotify) prices_load_free,
                         NULL, NULL, prices_loaded_cb, task);
}

static void
prices_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  PricesLoad *load = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (load == NULL)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
        g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID,
                                 N_("hold.event_id names no event"));
      else
        g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  create_priced (task, prices_keep (self, load));
}

/* Takes the task. */
static void
create_priced (GTask  *task,
               Prices *prices)
{
  LeapHolds *self = g_task_get_source_object (task);
  Create *c = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (prices->status, "on_sale"))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                               "This event is not on sale (%s)", prices->status);
      g_object_unref (task);
      return;
    }
  /* The price is fixed now: the hold keeps it and its order charges it,
   * whatever the tier costs by then. One currency per hold. */
  {
    g_autoptr(JsonArray) asked = g_steal_pointer (&c->items);
    LeapMoney total;

    c->items = leap_hold_lines_price (asked, prices->tiers, FALSE, &total, &error);
    if (c->items == NULL)
      {
        g_task_return_error (task, g_steal_pointer (&error));
        g_object_unref (task);
        return;
      }
    c->prices = leap_hold_prices_format (c->items);
  }

  if (!self->ready && (leap_redis_is_connected (self->redis) || self->opening))
    {
      /* Redis is back and its counters are being rebuilt (a few round
       * trips), or the database is opening the outage: wait for that
       * rather than refuse. */
      g_ptr_array_add (self->waiting, task);
      return;
    }
  if (!self->ready)
    {
      _leap_holds_create_in_database (self, task);
      return;
    }
  if (!_leap_holds_lease_held (self))
    {
      /* The database could not renew the lease: it may sell soon. */
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Tickets cannot be held right now; try again in a moment"));
      g_object_unref (task);
      return;
    }
  _leap_holds_create_in_redis (self, task);
}

void
_leap_holds_create_in_redis (LeapHolds *self,
                             GTask     *task)
{
  Create *c = g_task_get_task_data (task);

  c->hold_id = _leap_holds_new_hold_id (c->event_id, FALSE);
  reserve (task);
}

JsonObject *
leap_holds_object_finish (LeapHolds    *self,
                          GAsyncResult *result,
                          GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Expiry */

static void
expired_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  if (error == NULL && leap_reply_element_int (reply, 1) > 0)
    g_debug ("Expired %" G_GINT64_FORMAT " holds", leap_reply_element_int (reply, 1));
}

static void
expiring_events_cb (LeapRedis        *redis,
                    const redisReply *reply,
                    const GError     *error,
                    gpointer          user_data)
{
  LeapHolds *self = user_data;
  g_auto(GStrv) events = NULL;

  if (error != NULL || (events = leap_reply_dup_strv (reply)) == NULL)
    return;
  for (guint i = 0; events[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      gint64 event_id = g_ascii_strtoll (events[i], NULL, 10);

      g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, event_id));
      g_ptr_array_add (args, g_strdup (LEAP_HOLDS_REDIS_NOW));
      g_ptr_array_add (args, g_strdup ("1000"));
      _leap_holds_run_script (self, "expire", event_id, NULL, args, expired_cb, NULL, NULL);
    }
}

/* The events whose holds could still be due: the latest expiry within a
 * minute of Redis's clock (a backend whose clock runs ahead would skip
 * them, one behind would visit too many). */
static void
expire_time_cb (LeapRedis        *redis,
                const redisReply *reply,
                const GError     *error,
                gpointer          user_data)
{
  LeapHolds *self = user_data;
  gint64 now = leap_reply_time_ms (reply);
  g_autofree char *since = NULL;
  g_autofree char *before = NULL;

  if (error != NULL || now <= 0)
    return;
  since = g_strdup_printf ("%" G_GINT64_FORMAT, now - 60000);
  before = g_strdup_printf ("(%" G_GINT64_FORMAT, now - 60000);
  leap_redis_command (self->redis, expiring_events_cb, self, "ZRANGEBYSCORE",
                      leap_keys_expiring (), since, "+inf", NULL);
  leap_redis_command (self->redis, NULL, NULL, "ZREMRANGEBYSCORE", leap_keys_expiring (), "-inf",
                      before, NULL);
}

/* In a thread of the store's pool. */
static gpointer
db_expire_run (LeapStore *store,
               gpointer   data,
               GError   **error)
{
  leap_store_db_holds_expire (store, now_ms (), error);
  return NULL;
}

static void
db_expired_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LeapHolds) self = user_data;
  g_autoptr(GError) error = NULL;

  self->expiring = FALSE;
  leap_store_call_finish (LEAP_STORE (object), result, &error);
  if (error != NULL)
    g_warning ("Cannot mark the database's expired holds (%s); their tickets are on sale "
               "again all the same, and this is retried every second", error->message);
}

/* Every second: give back the tickets of holds past their time, for each
 * event whose holds could still be due. */
static gboolean
expire_tick_cb (gpointer data)
{
  LeapHolds *self = data;

  if (!leap_redis_is_connected (self->redis))
    {
      /* A backend that starts without Redis finds out here, a second in. */
      if (self->down_since_ms == 0)
        _leap_holds_enter_outage (self);
      /* Lazily too (each hold checks its time), but the records say so.
       * A record left behind sells nothing twice, as every count checks
       * the time too; the next tick tries again. */
      if (!self->expiring)
        {
          self->expiring = TRUE;
          leap_store_call_async (self->store, db_expire_run, NULL, NULL, NULL, NULL,
                                 db_expired_cb, g_object_ref (self));
        }
      return G_SOURCE_CONTINUE;
    }
  _leap_holds_lease_renew_async (self);
  _leap_holds_replicas_poll (self);
  /* Not before the rebuild is done: a hold of an AOF's tail whose order was
   * accepted is queued by it, and must not expire first. */
  if (!self->ready)
    return G_SOURCE_CONTINUE;
  leap_redis_command (self->redis, expire_time_cb, self, "TIME", NULL);
  return G_SOURCE_CONTINUE;
}

static void
leap_holds_dispose (GObject *object)
{
  LeapHolds *self = LEAP_HOLDS (object);

  g_clear_handle_id (&self->expire_id, g_source_remove);
  g_clear_handle_id (&self->rebuild_retry_id, g_source_remove);
  if (self->lease_holder != NULL && self->store != NULL)
    _leap_holds_lease_drop (self, FALSE);
  g_clear_pointer (&self->lease_holder, g_free);
  self->generation++;
  if (self->redis != NULL)
    g_signal_handlers_disconnect_by_data (self->redis, self);
  if (self->subscriber != NULL)
    leap_redis_unsubscribe_all (self->subscriber, self);
  g_clear_object (&self->subscriber);
  g_clear_pointer (&self->available, g_hash_table_unref);
  _leap_holds_replicas_dispose (self);
  if (self->waiting != NULL)
    {
      for (guint i = 0; i < self->waiting->len; i++)
        {
          GTask *task = self->waiting->pdata[i];

          g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                                   N_("The server is shutting down"));
          g_object_unref (task);
        }
      g_clear_pointer (&self->waiting, g_ptr_array_unref);
    }
  g_clear_object (&self->redis);
  g_clear_object (&self->store);
  g_clear_pointer (&self->prices, g_hash_table_unref);
  g_clear_pointer (&self->expiring_sent, g_hash_table_unref);

  G_OBJECT_CLASS (leap_holds_parent_class)->dispose (object);
}

static void
leap_holds_class_init (LeapHoldsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_holds_dispose;
}

static void
leap_holds_init (LeapHolds *self)
{
  self->prices = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                        (GDestroyNotify) prices_free);
  self->expiring_sent = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->available = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->waiting = g_ptr_array_new ();
  _leap_holds_lease_init (self);
  _leap_holds_replicas_init (self);
}

LeapHolds *
leap_holds_new (LeapStore             *store,
                LeapRedis             *redis,
                const LeapHoldsConfig *config)
{
  LeapHolds *self = g_object_new (LEAP_TYPE_HOLDS, NULL);

  self->store = g_object_ref (store);
  self->redis = g_object_ref (redis);
  self->config = *config;
  self->expire_id = g_timeout_add (EXPIRE_TICK_MS, expire_tick_cb, self);
  g_signal_connect_swapped (redis, "notify::connected", G_CALLBACK (_leap_holds_redis_state_cb),
                            self);
  if (leap_redis_is_connected (redis))
    {
      _leap_holds_replicas_poll (self);
      _leap_holds_rebuild (self);
    }
  return self;
}
