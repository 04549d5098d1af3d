/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-refunds"

#include "leap-refunds.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-money.h"
#include "leap-orders.h"
#include "leap-payment-provider.h"
#include "leap-reply.h"

#include <glib/gi18n.h>
#include <string.h>

#define RETRY_INTERVAL_S 5
#define MAX_LINES        100
#define MAX_REASON       500

struct _LeapRefunds
{
  GObject              parent_instance;

  /* Owned */
  LeapStore           *store;
  LeapRedis           *redis;
  LeapPaymentProvider *cash;
  LeapPaymentProvider *card;
  LeapLease           *lease;      /* NULL: the retries run here */
  GCancellable        *cancellable;
  GHashTable          *returning;  /* refund ids whose script is on its way */
  GHashTable          *refunding;  /* refund ids whose provider call is on its way */

  guint                retry_id;
  gboolean             maybe_pending; /* look in the database on the next tick */
};

G_DEFINE_FINAL_TYPE (LeapRefunds, leap_refunds, G_TYPE_OBJECT)

/* Giving tickets back */

typedef struct
{
  LeapRefunds *self;
  gint64       refund_id;
  GTask       *task;       /* Owned, may be NULL: the request that waits */
  gboolean     returned;   /* Redis gave the tickets back: record it */
  char        *order_id;   /* the waiting request's order, read again */
  JsonObject  *fresh;      /* the order as it is now */
} Return;

static void
return_free (Return *r)
{
  g_clear_object (&r->task);
  g_object_unref (r->self);
  g_free (r->order_id);
  g_clear_pointer (&r->fresh, json_object_unref);
  g_free (r);
}

/* In a thread of the store's pool; r's other members stay on the main
 * loop's side. */
static gpointer
record_return_run (LeapStore *store,
                   gpointer   data,
                   GError   **error)
{
  Return *r = data;

  if (r->returned && !leap_store_mark_returned (store, r->refund_id, error))
    return NULL;
  if (r->order_id != NULL)
    r->fresh = leap_store_get_order (store, r->order_id, NULL);
  return r;
}

static void
return_recorded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Return *r = user_data;
  LeapRefunds *self = r->self;
  g_autoptr(GError) error = NULL;

  leap_store_call_finish (LEAP_STORE (object), result, &error);
  if (error != NULL)
    {
      g_warning ("Refund %" G_GINT64_FORMAT " is back on sale, but not recorded so: %s",
                 r->refund_id, error->message);
      self->maybe_pending = TRUE;
    }
  if (r->task != NULL)
    {
      JsonObject *order = r->fresh ? r->fresh : g_task_get_task_data (r->task);

      /* The order as it is now (its refund marked returned or not). */
      json_object_remove_member (order, "owner");
      json_object_remove_member (order, "user_id");
      g_task_return_pointer (r->task, json_object_ref (order),
                             (GDestroyNotify) json_object_unref);
    }
  return_free (r);
}

static void
returned_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  Return *r = user_data;
  LeapRefunds *self = r->self;
  const char *status = error == NULL ? leap_reply_status (reply) : "";

  g_hash_table_remove (self->returning, &r->refund_id);
  if (g_str_equal (status, "returned") || g_str_equal (status, "already"))
    r->returned = TRUE;
  else
    {
      /* Retried later: the refund itself is done and recorded. */
      g_message ("The tickets of refund %" G_GINT64_FORMAT " go back on sale later: %s",
                 r->refund_id, error != NULL ? error->message : status);
      self->maybe_pending = TRUE;
    }
  if (r->task != NULL)
    r->order_id = g_strdup (leap_json_get_string (g_task_get_task_data (r->task), "order_id",
                                                  ""));
  if (!r->returned && r->task == NULL)
    {
      return_free (r);
      return;
    }
  leap_store_call_async (self->store, record_return_run, r, NULL, NULL, NULL,
                         return_recorded_cb, r);
}

/* Runs lua/refund.lua for one refund; task (if any) is answered after. */
static void
give_back (LeapRefunds *self,
           gint64       refund_id,
           gint64       event_id,
           const char  *items,
           GTask       *task)
{
  g_autoptr(GPtrArray) argv = leap_keys_refund_script (event_id);
  guint nkeys = argv->len;
  Return *r = g_new0 (Return, 1);
  gint64 *key = g_new (gint64, 1);

  *key = refund_id;
  g_hash_table_add (self->returning, key);
  r->self = g_object_ref (self);
  r->refund_id = refund_id;
  r->task = task;
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, event_id));
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, refund_id));
  g_ptr_array_add (argv, g_strdup (items));
  leap_redis_eval_argv (self->redis, "refund", returned_cb, r, nkeys, argv->len,
                        (const char **) argv->pdata, NULL);
}

/* In a thread of the store's pool. */
static gpointer
list_pending_returns_run (LeapStore *store,
                          gpointer   data,
                          GError   **error)
{
  return leap_store_list_pending_returns (store, error);
}

static void begin_refund (GTask *task);

/* The refunds' listing, and the refund (if any) that waits for it. */
typedef struct
{
  LeapRefunds *self;
  GTask       *then;
} Listing;

static Listing *
listing_new (LeapRefunds *self,
             GTask       *then)
{
  Listing *l = g_new0 (Listing, 1);

  l->self = g_object_ref (self);
  l->then = then;
  return l;
}

static void
listing_free (Listing *l)
{
  g_object_unref (l->self);
  g_free (l);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Listing, listing_free)

static void
pending_returns_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(Listing) l = user_data;
  LeapRefunds *self = l->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) pending = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (l->then != NULL)
        {
          g_task_return_error (l->then, g_steal_pointer (&error));
          g_object_unref (l->then);
        }
      return;
    }
  if (pending == NULL)
    {
      g_warning ("Cannot read the refunds still to give back: %s", error->message);
      self->maybe_pending = TRUE;
    }
  for (guint i = 0; pending != NULL && i < json_array_get_length (pending); i++)
    {
      JsonObject *row = json_array_get_object_element (pending, i);
      gint64 id = leap_json_get_int (row, "refund_id", 0);

      if (!g_hash_table_contains (self->returning, &id))
        give_back (self, id, leap_json_get_int (row, "event_id", 0),
                   leap_json_get_string (row, "items", ""), NULL);
    }
  if (l->then != NULL)
    begin_refund (l->then);
}

/* Every refund whose tickets are not back on sale yet, once more, read
 * in the store's pool; then (if not NULL) is begun after them. */
static void
return_pending_then (LeapRefunds *self,
                     GTask       *then)
{
  self->maybe_pending = FALSE;
  if (!leap_redis_is_connected (self->redis))
    {
      self->maybe_pending = TRUE;
      if (then != NULL)
        begin_refund (then);
      return;
    }
  leap_store_call_async (self->store, list_pending_returns_run, NULL, NULL,
                         (GDestroyNotify) json_array_unref, self->cancellable,
                         pending_returns_cb, listing_new (self, then));
}

void
leap_refunds_return_pending (LeapRefunds *self)
{
  g_return_if_fail (LEAP_IS_REFUNDS (self));

  return_pending_then (self, NULL);
}

static gboolean
retry_cb (gpointer data)
{
  LeapRefunds *self = data;

  /* Every backend's unfinished refunds: one backend looks (a refund paid
   * back twice is still paid once, under its key, but asks twice). This
   * backend's own pending scripts it retries itself. */
  if (self->lease == NULL || leap_lease_may_run (self->lease))
    leap_refunds_complete_unfinished (self);
  if (self->maybe_pending)
    leap_refunds_return_pending (self);
  return G_SOURCE_CONTINUE;
}

static void
redis_state_cb (LeapRefunds *self)
{
  /* After the repair (connected before us), which counts every refund the
   * database has taken off tiers.sold. */
  if (leap_redis_is_connected (self->redis))
    leap_refunds_return_pending (self);
}

/* Refunding */

typedef struct
{
  char       *order_id;
  gint64      user_id;
  JsonObject *request;
  JsonObject *refund;   /* what the store records */
  char       *hold_id;  /* of the order id */
  gint64      event_id;
} Refund;

static void
refund_free (Refund *r)
{
  g_free (r->order_id);
  g_clear_pointer (&r->request, json_object_unref);
  g_clear_pointer (&r->refund, json_object_unref);
  g_free (r->hold_id);
  g_free (r);
}

static gboolean
fail (GError    **error,
      int         code,
      const char *message)
{
  g_set_error_literal (error, LEAP_ERROR, code, message);
  return FALSE;
}

static gboolean
is_int (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_INT64;
}

/* {"lines": [{"tier_id", "quantity"}], "reason", "include_checked_in"},
 * every member optional. */
static gboolean
check_request (JsonObject  *request,
               GError     **error)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, request);
  while (json_object_iter_next (&iter, &member, &node))
    {
      if (g_str_equal (member, "reason"))
        {
          if (!JSON_NODE_HOLDS_NULL (node) &&
              (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
               g_utf8_strlen (json_node_get_string (node), -1) > MAX_REASON))
            return fail (error, LEAP_ERROR_INVALID,
                         "refund.reason must be text of at most 500 characters");
        }
      else if (g_str_equal (member, "include_checked_in"))
        {
          if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
            return fail (error, LEAP_ERROR_INVALID,
                         "refund.include_checked_in must be true or false");
        }
      else if (g_str_equal (member, "lines"))
        {
          JsonArray *lines;

          if (JSON_NODE_HOLDS_NULL (node))
            continue;
          if (!JSON_NODE_HOLDS_ARRAY (node) ||
              json_array_get_length (json_node_get_array (node)) == 0 ||
              json_array_get_length (json_node_get_array (node)) > MAX_LINES)
            return fail (error, LEAP_ERROR_INVALID,
                         "refund.lines must be 1 to 100 of {\"tier_id\", \"quantity\"} (or absent: "
                         "the whole order)");
          lines = json_node_get_array (node);
          for (guint i = 0; i < json_array_get_length (lines); i++)
            {
              JsonNode *element = json_array_get_element (lines, i);
              JsonObject *line;

              if (!JSON_NODE_HOLDS_OBJECT (element))
                return fail (error, LEAP_ERROR_INVALID,
                             "refund.lines[] must be {\"tier_id\", \"quantity\"}");
              line = json_node_get_object (element);
              if (json_object_get_size (line) != 2 ||
                  !is_int (json_object_get_member (line, "tier_id")) ||
                  !is_int (json_object_get_member (line, "quantity")) ||
                  json_object_get_int_member (line, "tier_id") <= 0 ||
                  json_object_get_int_member (line, "quantity") <= 0 ||
                  json_object_get_int_member (line, "quantity") > 100000)
                return fail (
                    error, LEAP_ERROR_INVALID,
                    "refund.lines[] must be {\"tier_id\", \"quantity\"}, positive integers");
            }
        }
      else
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Unknown field “%s” in refund",
                       member);
          return FALSE;
        }
    }
  return TRUE;
}

/* The tickets each tier can still give back, and each tier's price. */
typedef struct
{
  gint64 tier_id;
  gint64 refundable;
  gint64 unit_price;
  gint64 asked;
  const char *currency; /* the line's */
} TierCount;

static TierCount *
find_tier (GArray *tiers,
           gint64  tier_id)
{
  for (guint i = 0; i < tiers->len; i++)
    if (g_array_index (tiers, TierCount, i).tier_id == tier_id)
      return &g_array_index (tiers, TierCount, i);
  return NULL;
}

/* What to refund, checked against the order as it is: the store checks
 * it again inside its transaction. */
static JsonObject *
plan_refund (JsonObject  *order,
             JsonObject  *request,
             gint64       user_id,
             GError     **error)
{
  g_autoptr(GArray) tiers = g_array_new (FALSE, TRUE, sizeof (TierCount));
  g_autoptr(JsonObject) refund = json_object_new ();
  JsonArray *order_lines = json_object_get_array_member (order, "lines");
  JsonArray *tickets = json_object_get_array_member (order, "tickets");
  JsonObject *payment = json_object_get_object_member (order, "payment");
  gboolean include_checked_in =
    json_object_get_boolean_member_with_default (request, "include_checked_in", FALSE);
  JsonNode *asked = json_object_get_member (request, "lines");
  JsonArray *lines = json_array_new ();
  const char *currency = leap_json_get_string (order, "currency", "");
  LeapMoney amount = leap_money_init (0, currency);
  gint64 count = 0;

  json_object_set_array_member (refund, "lines", lines);
  if (!g_str_equal (leap_json_get_string (order, "status", ""), "paid"))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                   "This order is %s and cannot be refunded",
                   leap_json_get_string (order, "status", "?"));
      return NULL;
    }
  if (payment == NULL)
    {
      fail (error, LEAP_ERROR_CONFLICT, "This order has no payment to refund");
      return NULL;
    }

  for (guint i = 0; order_lines != NULL && i < json_array_get_length (order_lines); i++)
    {
      JsonObject *line = json_array_get_object_element (order_lines, i);
      TierCount   t = { leap_json_get_int (line, "tier_id", 0), 0,
                        leap_json_get_int (line, "unit_price", 0), 0,
                        leap_json_get_string (line, "currency", currency) };

      if (find_tier (tiers, t.tier_id) == NULL)
        g_array_append_val (tiers, t);
    }
  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      TierCount *t = find_tier (tiers, leap_json_get_int (ticket, "tier_id", 0));
      gboolean checked_in = json_object_has_member (ticket, "checked_in_at") &&
                            !json_object_get_null_member (ticket, "checked_in_at");

      if (t != NULL && g_str_equal (leap_json_get_string (ticket, "status", ""), "valid") &&
          (include_checked_in || !checked_in))
        t->refundable++;
    }

  if (asked == NULL || JSON_NODE_HOLDS_NULL (asked))
    for (guint i = 0; i < tiers->len; i++)
      g_array_index (tiers, TierCount, i).asked = g_array_index (tiers, TierCount, i).refundable;
  else
    for (guint i = 0; i < json_array_get_length (json_node_get_array (asked)); i++)
      {
        JsonObject *line = json_array_get_object_element (json_node_get_array (asked), i);
        gint64 tier_id = json_object_get_int_member (line, "tier_id");
        TierCount *t = find_tier (tiers, tier_id);

        if (t == NULL)
          {
            g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                         "This order has no tickets of tier %" G_GINT64_FORMAT, tier_id);
            return NULL;
          }
        t->asked += json_object_get_int_member (line, "quantity");
      }

  for (guint i = 0; i < tiers->len; i++)
    {
      TierCount *t = &g_array_index (tiers, TierCount, i);
      LeapMoney line_amount;
      JsonObject *line;

      if (t->asked > t->refundable)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "Only %" G_GINT64_FORMAT " tickets of tier %" G_GINT64_FORMAT
                       " can be refunded%s",
                       t->refundable, t->tier_id,
                       include_checked_in
                           ? ""
                           : " (checked-in tickets need \"include_checked_in\": true)");
          return NULL;
        }
      if (t->asked == 0)
        continue;
      line = json_object_new ();
      json_object_set_int_member (line, "tier_id", t->tier_id);
      json_object_set_int_member (line, "quantity", t->asked);
      json_array_add_object_element (lines, line);
      /* Never money of two currencies added up: the order's is the one. */
      line_amount = leap_money_init (t->unit_price, t->currency);
      if (!leap_money_multiply (&line_amount, t->asked, error) ||
          !leap_money_add (&amount, &line_amount, error))
        return NULL;
      count += t->asked;
    }
  if (count == 0)
    {
      fail (error, LEAP_ERROR_CONFLICT,
            include_checked_in
                ? "Nothing left to refund"
                : "Nothing left to refund that is not checked in (see \"include_checked_in\")");
      return NULL;
    }

  json_object_set_string_member (refund, "order_id", leap_json_get_string (order, "order_id", ""));
  json_object_set_int_member (refund, "user_id", user_id);
  json_object_set_int_member (refund, "amount", amount.amount);
  json_object_set_string_member (refund, "currency", currency);
  json_object_set_string_member (refund, "method", leap_json_get_string (payment, "method", ""));
  json_object_set_boolean_member (refund, "include_checked_in", include_checked_in);
  if (leap_json_get_string (request, "reason", NULL) != NULL)
    json_object_set_string_member (refund, "reason",
                                   leap_json_get_string (request, "reason", NULL));
  /* For the provider: which charge. Its key (that makes it pay once) is
   * given by the store with the refund's number. */
  json_object_set_member (refund, "charge_ref", json_object_dup_member (payment, "provider_ref"));
  return g_steal_pointer (&refund);
}

static void
publish_status (LeapRefunds *self,
                const char  *order_id,
                const char  *status)
{
  g_autofree char *channel = leap_keys_order_channel (order_id);
  g_autoptr(JsonObject) message = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (message, "order_id", order_id);
  json_object_set_string_member (message, "status", status);
  text = leap_json_object_to_string (message);
  leap_redis_command (self->redis, NULL, NULL, "PUBLISH", channel, text, NULL);
}

static LeapPaymentProvider *
provider_for (LeapRefunds *self,
              const char  *method)
{
  return g_str_equal (method, "cash")   ? self->cash
         : g_str_equal (method, "card") ? self->card
                                        : NULL;
}

/* One refund whose intent is recorded, paid back under its own key and
 * then completed in the store; task (may be NULL: the sweeper) is
 * answered with the order. */
typedef struct
{
  LeapRefunds *self;
  gint64       refund_id;
  GTask       *task;      /* Owned, may be NULL */
  char        *provider_ref;
} PayBack;

static void
pay_back_free (PayBack *p)
{
  g_clear_object (&p->task);
  g_object_unref (p->self);
  g_free (p->provider_ref);
  g_free (p);
}

/* In a thread of the store's pool. */
static gpointer
complete_run (LeapStore *store,
              gpointer   data,
              GError   **error)
{
  PayBack *p = data;

  return leap_store_complete_refund (store, p->refund_id, p->provider_ref, error);
}

static void completed_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data);

static void
pay_back_return_error (PayBack *p,
                       GError  *error)
{
  if (p->task != NULL)
    g_task_return_error (p->task, error);
  else
    g_error_free (error);
  g_clear_object (&p->task);
}

static void
paid_back_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  PayBack *p = user_data;
  LeapRefunds *self = p->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) payment =
    leap_payment_provider_refund_finish (LEAP_PAYMENT_PROVIDER (object), result,
                                         &error);

  if (payment == NULL)
    {
      g_hash_table_remove (self->refunding, &p->refund_id);
      /* Recorded as pending: the sweeper asks again under the same key. */
      g_message ("Refund %" G_GINT64_FORMAT " is not paid back yet: %s", p->refund_id,
                 error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        pay_back_return_error (p, g_steal_pointer (&error));
      else
        pay_back_return_error (p, g_error_new (LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                                               "The refund is recorded; the payment provider did "
                                               "not answer (%s) and it is paid back when it does",
                                               error->message));
      pay_back_free (p);
      return;
    }
  /* Still counted as refunding until recorded: the sweeper leaves it. */
  p->provider_ref = g_strdup (leap_json_get_string (payment, "provider_ref", NULL));
  leap_store_call_async (self->store, complete_run, p, NULL, (GDestroyNotify) json_object_unref,
                         NULL, completed_cb, p);
}

static void
completed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  PayBack *p = user_data;
  LeapRefunds *self = p->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) done = leap_store_call_finish (LEAP_STORE (object), result, &error);
  JsonObject *order;

  g_hash_table_remove (self->refunding, &p->refund_id);
  if (done == NULL)
    {
      /* Paid back but not recorded so: the sweeper asks the provider again
       * (the same key, no second payment) and records it. */
      g_warning ("Refund %" G_GINT64_FORMAT " is paid back, not yet recorded so: %s",
                 p->refund_id, error->message);
      pay_back_return_error (p, g_steal_pointer (&error));
      goto out;
    }
  order = json_object_get_object_member (done, "order");
  /* Those who follow the order (the WebSocket) learn that it is over. */
  if (g_str_equal (leap_json_get_string (order, "status", ""), "refunded"))
    publish_status (self, leap_json_get_string (order, "order_id", ""), "refunded");
  if (p->task != NULL)
    g_task_set_task_data (p->task, json_object_ref (order), (GDestroyNotify) json_object_unref);
  give_back (self, leap_json_get_int (done, "refund_id", 0),
             leap_json_get_int (done, "event_id", 0), leap_json_get_string (done, "items", ""),
             g_steal_pointer (&p->task));

out:
  pay_back_free (p);
}

/* refund: refund_id, refund_key, amount, currency, method, charge_ref. */
static void
pay_back (LeapRefunds *self,
          JsonObject  *refund,
          GTask       *task)
{
  LeapPaymentProvider *provider = provider_for (self, leap_json_get_string (refund, "method", ""));
  PayBack *p = g_new0 (PayBack, 1);
  gint64 *key = g_new (gint64, 1);

  p->self = g_object_ref (self);
  p->refund_id = leap_json_get_int (refund, "refund_id", 0);
  p->task = task;
  *key = p->refund_id;
  g_hash_table_add (self->refunding, key);
  /* The methods were checked before the intent was written. */
  g_assert (provider != NULL);
  leap_payment_provider_refund_async (provider, refund, self->cancellable, paid_back_cb, p);
}

/* In a thread of the store's pool. */
static gpointer
list_unfinished_run (LeapStore *store,
                     gpointer   data,
                     GError   **error)
{
  return leap_store_list_unfinished_refunds (store, error);
}

static void
unfinished_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LeapRefunds) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) unfinished = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (unfinished == NULL)
    {
      g_warning ("Cannot read the refunds still to pay back: %s", error->message);
      return;
    }
  for (guint i = 0; i < json_array_get_length (unfinished); i++)
    {
      JsonObject *refund = json_array_get_object_element (unfinished, i);
      gint64 id = leap_json_get_int (refund, "refund_id", 0);

      if (g_hash_table_contains (self->refunding, &id))
        continue;
      if (provider_for (self, leap_json_get_string (refund, "method", "")) == NULL)
        {
          g_warning ("Refund %" G_GINT64_FORMAT " is by %s, which cannot be refunded here", id,
                     leap_json_get_string (refund, "method", "?"));
          continue;
        }
      pay_back (self, refund, NULL);
    }
}

/* Every refund recorded but not paid back (a backend that died between
 * the intent and the provider, a provider without an answer): once more,
 * under its own key, so each is paid back once. Read in the store's pool. */
void
leap_refunds_complete_unfinished (LeapRefunds *self)
{
  g_return_if_fail (LEAP_IS_REFUNDS (self));

  leap_store_call_async (self->store, list_unfinished_run, NULL, NULL,
                         (GDestroyNotify) json_array_unref, self->cancellable, unfinished_cb,
                         g_object_ref (self));
}

/* In a thread of the store's pool. */
static gpointer
begin_refund_run (LeapStore *store,
                  gpointer   data,
                  GError   **error)
{
  return leap_store_begin_refund (store, data, error);
}

static void
intent_recorded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  LeapRefunds *self = g_task_get_source_object (task);
  Refund *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) intent = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (intent == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  json_object_set_int_member (r->refund, "refund_id", leap_json_get_int (intent, "refund_id", 0));
  json_object_set_string_member (r->refund, "refund_key",
                                 leap_json_get_string (intent, "refund_key", ""));
  pay_back (self, r->refund, task);
}

static void
start_refund (GTask      *task,
              JsonObject *order)
{
  LeapRefunds *self = g_task_get_source_object (task);
  Refund *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  const char *method;

  r->refund = plan_refund (order, r->request, r->user_id, &error);
  if (r->refund == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  method = leap_json_get_string (r->refund, "method", "");
  if (provider_for (self, method) == NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                               "Payments by %s cannot be refunded here", method);
      g_object_unref (task);
      return;
    }
  /* A refund still waiting to go back on sale goes first. */
  if (self->maybe_pending)
    return_pending_then (self, task);
  else
    begin_refund (task);
}

/* Takes task: the refund is recorded, with the tickets checked and
 * voided, before money moves. */
static void
begin_refund (GTask *task)
{
  LeapRefunds *self = g_task_get_source_object (task);
  Refund *r = g_task_get_task_data (task);

  leap_store_call_async (self->store, begin_refund_run, leap_json_object_copy (r->refund),
                         (GDestroyNotify) json_object_unref, (GDestroyNotify) json_object_unref,
                         NULL, intent_recorded_cb, task);
}

static void
pending_hold_cb (LeapRedis        *redis,
                 const redisReply *reply,
                 const GError     *error,
                 gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Refund *r = g_task_get_task_data (task);

  if (error != NULL)
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                             N_("Orders cannot be read right now"));
  else if (g_strcmp0 (leap_reply_element_string (reply, 1), r->order_id) == 0)
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                             N_("This order is pending: it can be refunded once it is paid"));
  else
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such order"));
}

/* In a thread of the store's pool. */
static gpointer
get_order_run (LeapStore *store,
               gpointer   data,
               GError   **error)
{
  return leap_store_get_order (store, data, error);
}

static void
order_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapRefunds *self = g_task_get_source_object (task);
  Refund *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (order == NULL && g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    {
      /* Not written yet: pending (409) while its hold is checked out. */
      g_autofree char *key = leap_keys_hold (r->event_id, r->hold_id);

      leap_redis_command_full (self->redis, pending_hold_cb, g_steal_pointer (&task),
                               g_object_unref, "HMGET", key, "status", "order", NULL);
      return;
    }
  if (order == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  start_refund (g_steal_pointer (&task), order);
}

void
leap_refunds_refund_async (LeapRefunds        *self,
                           const LeapSession  *session,
                           const char         *order_id,
                           JsonObject         *request,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, user_data);
  g_autoptr(GError) error = NULL;
  Refund *r;

  g_task_set_source_tag (task, leap_refunds_refund_async);
  r = g_new0 (Refund, 1);
  g_task_set_task_data (task, r, (GDestroyNotify) refund_free);
  r->order_id = g_strdup (order_id);
  r->user_id = session->user_id;
  r->request = request != NULL ? json_object_ref (request) : json_object_new ();
  if (!check_request (r->request, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!leap_order_id_parse (order_id, &r->hold_id, &r->event_id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such order"));
      return;
    }
  leap_store_call_async (self->store, get_order_run, g_strdup (order_id), g_free,
                         (GDestroyNotify) json_object_unref, NULL, order_read_cb,
                         g_steal_pointer (&task));
}

JsonObject *
leap_refunds_refund_finish (LeapRefunds  *self,
                            GAsyncResult *result,
                            GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
leap_refunds_dispose (GObject *object)
{
  LeapRefunds *self = LEAP_REFUNDS (object);

  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->redis != NULL)
    g_signal_handlers_disconnect_by_data (self->redis, self);
  g_clear_object (&self->cash);
  g_clear_object (&self->card);
  g_clear_object (&self->lease);
  g_clear_object (&self->redis);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_refunds_parent_class)->dispose (object);
}

static void
leap_refunds_finalize (GObject *object)
{
  LeapRefunds *self = LEAP_REFUNDS (object);

  g_clear_pointer (&self->returning, g_hash_table_unref);
  g_clear_pointer (&self->refunding, g_hash_table_unref);
  G_OBJECT_CLASS (leap_refunds_parent_class)->finalize (object);
}

static void
leap_refunds_class_init (LeapRefundsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_refunds_dispose;
  object_class->finalize = leap_refunds_finalize;
}

static void
leap_refunds_init (LeapRefunds *self)
{
  self->returning = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->refunding = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
}

/* The retries of every backend's unfinished refunds then run only under
 * lease (or while Redis, which hands it out, is unreachable). */
void
leap_refunds_set_lease (LeapRefunds *self,
                        LeapLease   *lease)
{
  g_return_if_fail (LEAP_IS_REFUNDS (self));

  g_set_object (&self->lease, lease);
}

LeapRefunds *
leap_refunds_new (LeapStore *store,
                  LeapRedis *redis)
{
  LeapRefunds *self = g_object_new (LEAP_TYPE_REFUNDS, NULL);

  self->store = g_object_ref (store);
  self->redis = g_object_ref (redis);
  self->cash = leap_payment_cash_new ();
  /* Card refunds go through the same simulated terminal as the worker's
   * charges; a real gateway takes its place for both. */
  self->card = leap_payment_simulated_card_new (store, 0, 0);
  /* A backend that stopped between a commit and its script left work. */
  self->maybe_pending = TRUE;
  self->retry_id = g_timeout_add_seconds (RETRY_INTERVAL_S, retry_cb, self);
  g_signal_connect_swapped (redis, "notify::connected", G_CALLBACK (redis_state_cb), self);
  /* A backend that stopped between a refund's intent and its payment. */
  leap_refunds_complete_unfinished (self);
  if (leap_redis_is_connected (redis))
    leap_refunds_return_pending (self);
  return self;
}
