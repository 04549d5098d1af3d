/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-orders"

#include "leap-orders-private.h"
#include "leap-error.h"
#include "leap-holds.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-order-code.h"
#include "leap-reply.h"

#include <glib/gi18n.h>
#include <string.h>

G_DEFINE_FINAL_TYPE (LeapOrders, leap_orders, G_TYPE_OBJECT)

/* An order id is its hold's id behind "o-": a hold can become at most one
 * order, so placing it twice (a retry with another Idempotency-Key, a
 * double click on two devices) finds the same order instead of a second
 * one, and the id alone names the event's keys and shard. */
char *
leap_order_id_for_hold (const char *hold_id)
{
  return g_strconcat ("o-", hold_id, NULL);
}

gboolean
leap_order_id_parse (const char *order_id,
                     char      **hold_id,
                     gint64     *event_id)
{
  gint64 event = 0;

  if (order_id == NULL || !g_str_has_prefix (order_id, "o-") ||
      !leap_hold_id_parse (order_id + 2, &event))
    return FALSE;
  if (hold_id != NULL)
    *hold_id = g_strdup (order_id + 2);
  if (event_id != NULL)
    *event_id = event;
  return TRUE;
}

/* A ticket's code, signed with the box office's Ed25519 key over event,
 * order, tier and index (see leap-ticket-signer.h), so that a scanner can
 * check it offline. Order ids come from leap_order_id_for_hold (). */
char *
leap_ticket_code_new (LeapTicketSigner *signer,
                      const char       *order_id,
                      gint64            tier_id,
                      guint             index)
{
  g_autoptr(GError) error = NULL;
  gint64 event_id = 0;
  char *code;

  leap_order_id_parse (order_id, NULL, &event_id);
  code = leap_ticket_signer_sign (signer, event_id, order_id, tier_id, index, &error);
  if (code == NULL)
    g_critical ("%s", error->message);
  return code;
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

/* The lines of a hold ("tier:quantity,…" in Redis) at the prices it was
 * made at ("tier:unit_price:currency,…"): what the customer pays is never
 * taken from the client, nor changed by a price set after the hold. On a
 * connection of the store's pool. */
JsonArray *
_leap_orders_price_lines (LeapStore   *store,
                          gint64       event_id,
                          const char  *items,
                          const char  *prices,
                          gint64      *total,
                          char       **currency,
                          GError     **error)
{
  g_autoptr(JsonArray) tiers = leap_store_list_children (store, LEAP_KIND_TIER, event_id, error);
  g_autoptr(JsonArray) held = leap_hold_lines_parse (items, prices);
  g_autoptr(JsonArray) lines = NULL;
  LeapMoney sum;

  if (tiers == NULL ||
      (lines = leap_hold_lines_price (held, tiers, TRUE, &sum, error)) == NULL)
    return NULL;
  if (json_array_get_length (lines) == 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, N_("The hold has no items"));
      return NULL;
    }
  *total = sum.amount;
  *currency = g_strdup (sum.currency);
  return g_steal_pointer (&lines);
}

/* Placing an order */

typedef struct
{
  char       *order_id;
  char       *hold_id;
  gint64      event_id;
  char       *owner;
  gint64      user_id;
  JsonObject *request;
  char       *role;
  char       *items;    /* the hold's, as Redis has them */
  char       *prices;   /* the same hold's prices */
  char       *message;  /* the checkout message */
  GPtrArray  *argv;     /* begin-checkout's keys and arguments, sent again when lost */
  guint       nkeys;
  gint64      retry_until;
  char       *held;     /* begin-checkout's status of a hold not held */
} Place;

static void
place_free (Place *p)
{
  g_free (p->order_id);
  g_free (p->hold_id);
  g_free (p->owner);
  g_free (p->role);
  g_free (p->items);
  g_free (p->prices);
  g_free (p->message);
  g_free (p->held);
  g_clear_pointer (&p->argv, g_ptr_array_unref);
  g_clear_pointer (&p->request, json_object_unref);
  g_free (p);
}

static gboolean
check_only (JsonObject         *object,
            const char         *what,
            const char * const *allowed,
            GError            **error)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    if (!g_strv_contains (allowed, member))
      {
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Unknown field “%s” in %s", member,
                     what);
        return FALSE;
      }
  return TRUE;
}

static gboolean
is_string_or_null (JsonObject *object,
                   const char *member,
                   gsize       max)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
         g_utf8_strlen (json_node_get_string (node), -1) <= (glong) max;
}

static gboolean
check_request (JsonObject  *request,
               const char  *role,
               GError     **error)
{
  static const char * const top[] = { "hold_id", "payment", "customer", NULL };
  static const char * const pay[] = { "method", "tendered", NULL };
  static const char * const cust[] = { "name", "email", NULL };
  JsonNode *node;
  JsonObject *payment;
  const char *method;

  if (!check_only (request, "order", top, error))
    return FALSE;
  if (leap_json_get_string (request, "hold_id", NULL) == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("order.hold_id must be a hold id"));
      return FALSE;
    }
  node = json_object_get_member (request, "payment");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "order.payment must be {\"method\": \"cash\" or \"card\", …}");
      return FALSE;
    }
  payment = json_node_get_object (node);
  if (!check_only (payment, "order.payment", pay, error))
    return FALSE;
  method = leap_json_get_string (payment, "method", "");
  if (!g_str_equal (method, "cash") && !g_str_equal (method, "card"))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("order.payment.method must be cash or card"));
      return FALSE;
    }
  /* Kiosks and web shops take no cash. */
  if (g_str_equal (method, "cash") && (g_str_equal (role, "kiosk") || g_str_equal (role, "guest")))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "A %s can only pay by card", role);
      return FALSE;
    }
  if (g_str_equal (method, "cash"))
    {
      JsonNode *t = json_object_get_member (payment, "tendered");

      if (t == NULL || !JSON_NODE_HOLDS_VALUE (t) || json_node_get_value_type (t) != G_TYPE_INT64 ||
          json_node_get_int (t) < 0 || json_node_get_int (t) > 100000000000)
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                               N_("order.payment.tendered must be the cash handed over, "
                                  "in minor units"));
          return FALSE;
        }
    }
  else if (json_object_has_member (payment, "tendered"))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("order.payment.tendered is for cash only"));
      return FALSE;
    }
  node = json_object_get_member (request, "customer");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      JsonObject *customer;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                               "order.customer must be {\"name\", \"email\"}");
          return FALSE;
        }
      customer = json_node_get_object (node);
      if (!check_only (customer, "order.customer", cust, error))
        return FALSE;
      if (!is_string_or_null (customer, "name", 200) || !is_string_or_null (customer, "email", 254))
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                               N_("order.customer.name (≤ 200) and email (≤ 254) "
                                  "must be text"));
          return FALSE;
        }
    }
  return TRUE;
}

/* What an order answers while it is not written yet. */
JsonObject *
_leap_orders_pending_answer (const char *order_id,
                             const char *hold_id,
                             gint64      event_id)
{
  JsonObject *answer = json_object_new ();

  json_object_set_string_member (answer, "order_id", order_id);
  json_object_set_string_member (answer, "status", "pending");
  json_object_set_string_member (answer, "hold_id", hold_id);
  json_object_set_int_member (answer, "event_id", event_id);
  return answer;
}

/* The order this session already made of the hold, as GET shows it:
 * written (paid, failed, …) or accepted and not written yet. Placing a
 * hold again answers it, whatever its state, so that a client whose first
 * answer was lost learns what happened instead of paying again. */
typedef struct
{
  char   *order_id;
  char   *hold_id;
  gint64  event_id;
  char   *owner;
} Existing;

static void
existing_free (Existing *e)
{
  g_free (e->order_id);
  g_free (e->hold_id);
  g_free (e->owner);
  g_free (e);
}

/* On any connection (in a thread of the store's pool when placing); NULL
 * for none. */
static JsonObject *
existing_order (LeapStore *store,
                Existing  *p)
{
  g_autoptr(JsonObject) order = leap_store_get_order (store, p->order_id, NULL);

  if (order != NULL)
    {
      if (g_strcmp0 (leap_json_get_string (order, "owner", NULL), p->owner) != 0)
        return NULL;
      json_object_remove_member (order, "owner");
      json_object_remove_member (order, "user_id");
      return g_steal_pointer (&order);
    }
  order = leap_store_get_accepted_order (store, p->order_id, NULL);
  if (order != NULL && g_strcmp0 (leap_json_get_string (order, "owner", NULL), p->owner) == 0)
    return _leap_orders_pending_answer (p->order_id, p->hold_id, p->event_id);
  return NULL;
}

static gpointer
existing_order_run (LeapStore *store,
                    gpointer   data,
                    GError   **error)
{
  return existing_order (store, data);
}

/* Looks for the order this session already made of the hold, off the main
 * loop; callback takes the task and reads it with existing_order_finish (). */
static void
existing_order_async (GTask              *task,
                      GAsyncReadyCallback callback)
{
  LeapOrders *self = g_task_get_source_object (task);
  Place *p = g_task_get_task_data (task);
  Existing *e = g_new0 (Existing, 1);

  e->order_id = g_strdup (p->order_id);
  e->hold_id = g_strdup (p->hold_id);
  e->event_id = p->event_id;
  e->owner = g_strdup (p->owner);
  leap_store_call_async (self->store, existing_order_run, e, (GDestroyNotify) existing_free,
                         (GDestroyNotify) json_object_unref, NULL, callback, task);
}

static JsonObject *
existing_order_finish (GObject      *object,
                       GAsyncResult *result)
{
  return leap_store_call_finish (LEAP_STORE (object), result, NULL);
}

/* begin-checkout's answer may be lost after the script ran (the
 * connection broke, the watchdog gave up on a paused Redis): it is sent
 * again, which is harmless (the script knows its order), for up to
 * BEGIN_RETRY_MS. Only then is the client told that the order is unknown,
 * not that it was not placed. */
#define BEGIN_RETRY_MS 5000
#define BEGIN_PAUSE_MS 100

/* A hold that is not held any more and became no order of this session:
 * one that ran out is 410 however far its expiry went (still due, or
 * already marked expired by the timer), as the API says; released or
 * otherwise is 409. */
static void
set_not_held (GError    **error,
              const char *status)
{
  if (g_strcmp0 (status, "expired") == 0)
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_EXPIRED,
                         N_("This hold has expired and its tickets were given back"));
  else
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                 "This hold is %s and cannot be checked out", status);
}

static void
return_not_held (GTask      *task,
                 const char *status)
{
  g_autoptr(GError) error = NULL;

  set_not_held (&error, status);
  g_task_return_error (task, g_steal_pointer (&error));
}

static void begin_checkout (LeapOrders *self,
                            GTask      *task);

static gboolean
begin_again_cb (gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);

  begin_checkout (self, g_steal_pointer (&task));
  return G_SOURCE_REMOVE;
}

static void
settled_or_not_held_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Place *p = g_task_get_task_data (task);
  JsonObject *order = existing_order_finish (object, result);

  if (order != NULL)
    g_task_return_pointer (task, order, (GDestroyNotify) json_object_unref);
  else
    return_not_held (task, p->held);
}

/* Takes task: the order Redis took is kept among the accepted orders,
 * and answered. */
static void
accept_placed (GTask *task)
{
  LeapOrders *self = g_task_get_source_object (task);
  Place *p = g_task_get_task_data (task);
  JsonObject *order = json_object_new ();

  json_object_set_string_member (order, "order_id", p->order_id);
  json_object_set_string_member (order, "hold_id", p->hold_id);
  json_object_set_int_member (order, "event_id", p->event_id);
  json_object_set_string_member (order, "owner", p->owner);
  json_object_set_string_member (order, "items", p->items);
  json_object_set_string_member (order, "message", p->message);
  json_object_set_int_member (order, "created_ms", now_ms ());
  _leap_orders_accept (self, task, order,
                       _leap_orders_pending_answer (p->order_id, p->hold_id, p->event_id));
}

/* In a thread of the store's pool. */
static gpointer
db_hold_confirm_run (LeapStore *store,
                     gpointer   data,
                     GError   **error)
{
  if (!leap_store_db_hold_end (store, data, NULL, "confirmed", now_ms (), error))
    return NULL;
  return data;
}

static void
db_hold_confirmed_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Place *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A record not ended is logged; the order goes on all the same. */
  if (leap_store_call_finish (LEAP_STORE (object), result, &error) == NULL)
    g_message ("Hold %s is not ended in the database: %s", p->hold_id, error->message);
  accept_placed (g_steal_pointer (&task));
}

static void
begun_cb (LeapRedis        *redis,
          const redisReply *reply,
          const GError     *error,
          gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Place *p = g_task_get_task_data (task);
  const char *status;

  if (error != NULL)
    {
      if (g_get_monotonic_time () < p->retry_until)
        {
          g_message ("begin-checkout of %s: %s; asking again", p->order_id, error->message);
          g_timeout_add (BEGIN_PAUSE_MS, begin_again_cb, g_steal_pointer (&task));
          return;
        }
      g_warning ("begin-checkout of %s failed: %s", p->order_id, error->message);
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "Orders cannot be placed right now, and this one may have "
                               "been: look it up (GET /api/v1/orders/%s) before trying again",
                               p->order_id);
      return;
    }
  status = leap_reply_status (reply);
  if (g_str_equal (status, "ok"))
    {
      LeapOrders *self = g_task_get_source_object (task);

      /* Its database record is done with: Redis has the order now. */
      if (leap_hold_id_is_db (p->hold_id))
        leap_store_call_async (self->store, db_hold_confirm_run, g_strdup (p->hold_id), g_free,
                               NULL, NULL, db_hold_confirmed_cb, g_steal_pointer (&task));
      else
        accept_placed (g_steal_pointer (&task));
    }
  else if (g_str_equal (status, "not_found"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
  else if (g_str_equal (status, "expired"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_EXPIRED,
                             N_("This hold has expired and its tickets were given back"));
  else if (g_str_equal (status, "status"))
    {
      const char *held = leap_reply_element_string (reply, 1);

      /* This order, settled since the answer that was lost: the worker
       * wrote it before it confirmed or released the hold. */
      p->held = g_strdup (held != NULL ? held : "not held");
      existing_order_async (g_steal_pointer (&task), settled_or_not_held_cb);
    }
  else
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INTERNAL, "begin-checkout answered %s",
                             status);
}

static void
stream_added_cb (LeapRedis        *redis,
                 const redisReply *reply,
                 const GError     *error,
                 gpointer          user_data)
{
  if (error != NULL)
    g_message ("The checkout stream is not among the workers' streams: %s", error->message);
}

/* The checkout message of an order on a hold with these items: it carries
 * everything the worker writes, so that it never has to ask the backend.
 * In a thread of the store's pool, which alone touches p meanwhile. */
static char *
checkout_message (LeapStore   *store,
                  Place       *p,
                  const char  *items,
                  const char  *prices,
                  GError     **error)
{
  g_autoptr(JsonArray) lines = NULL;
  g_autoptr(JsonObject) message = NULL;
  g_autofree char *currency = NULL;
  JsonObject *payment = json_object_get_object_member (p->request, "payment");
  JsonObject *customer = NULL;
  gint64 total = 0;

  lines = _leap_orders_price_lines (store, p->event_id, items, prices, &total, &currency, error);
  if (lines == NULL)
    return NULL;
  if (g_str_equal (leap_json_get_string (payment, "method", ""), "cash") &&
      leap_json_get_int (payment, "tendered", 0) < total)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "order.payment.tendered (%" G_GINT64_FORMAT ") is less than the total (%"
                   G_GINT64_FORMAT ")", leap_json_get_int (payment, "tendered", 0), total);
      return NULL;
    }

  /* The message carries everything the worker writes, so that it never
   * has to ask the backend. */
  if (json_object_has_member (p->request, "customer") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (p->request, "customer")))
    customer = json_object_get_object_member (p->request, "customer");
  message = json_object_new ();
  json_object_set_string_member (message, "order_id", p->order_id);
  json_object_set_string_member (message, "hold_id", p->hold_id);
  json_object_set_int_member (message, "event_id", p->event_id);
  json_object_set_string_member (message, "owner", p->owner);
  json_object_set_int_member (message, "user_id", p->user_id);
  json_object_set_string_member (message, "role", p->role);
  json_object_set_string_member (message, "method", leap_json_get_string (payment, "method", ""));
  if (json_object_has_member (payment, "tendered"))
    json_object_set_int_member (message, "tendered", leap_json_get_int (payment, "tendered", 0));
  if (customer != NULL && leap_json_get_string (customer, "name", NULL) != NULL)
    json_object_set_string_member (message, "customer_name",
                                   leap_json_get_string (customer, "name", NULL));
  if (customer != NULL && leap_json_get_string (customer, "email", NULL) != NULL)
    json_object_set_string_member (message, "customer_email",
                                   leap_json_get_string (customer, "email", NULL));
  json_object_set_int_member (message, "total", total);
  json_object_set_string_member (message, "currency", currency);
  json_object_set_int_member (message, "placed_ms", now_ms ());
  json_object_set_array_member (message, "lines", g_steal_pointer (&lines));
  return leap_json_object_to_string (message);
}

/* A hold that the database made while Redis was down, checked out while
 * Redis is still down: the hold is marked and the message kept in the
 * database's outbox in one transaction; the backend that rebuilds Redis
 * queues it on the stream together with the hold (lua/import-hold.lua).
 * In a thread of the store's pool, which alone touches p meanwhile. */
static gpointer
place_in_database_run (LeapStore *store,
                       gpointer   data,
                       GError   **error)
{
  Place *p = data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) hold = leap_store_db_hold_get (store, p->hold_id, &local_error);
  g_autofree char *text = NULL;

  if (hold == NULL || g_strcmp0 (leap_json_get_string (hold, "owner", NULL), p->owner) != 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return NULL;
    }
  text = checkout_message (store, p, leap_json_get_string (hold, "items", ""),
                           leap_json_get_string (hold, "prices", NULL), &local_error);
  if (text == NULL || !leap_store_db_hold_checkout (store, p->hold_id, p->owner, p->order_id,
                                                    text, now_ms (), &local_error))
    {
      if (g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_CONFLICT))
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT, "%s and cannot be checked out",
                     local_error->message);
      else if (g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                             N_("Orders cannot be placed right now; try again in a moment"));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return _leap_orders_pending_answer (p->order_id, p->hold_id, p->event_id);
}

/* A hold of the database that Redis does not have: why it cannot be
 * placed. In a thread of the store's pool; it always fails. */
static gpointer
db_hold_not_placed_run (LeapStore *store,
                        gpointer   data,
                        GError   **error)
{
  Place *p = data;
  g_autoptr(JsonObject) hold = leap_store_db_hold_get (store, p->hold_id, NULL);
  const char *db_status;

  /* Another session's hold is as invisible as one that does not exist. */
  if (hold == NULL || g_strcmp0 (leap_json_get_string (hold, "owner", NULL), p->owner) != 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return NULL;
    }
  db_status = leap_json_get_string (hold, "status", "");
  if (g_str_equal (db_status, "held") && leap_json_get_int (hold, "expires_ms", 0) <= now_ms ())
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_EXPIRED,
                         N_("This hold has expired and its tickets were given back"));
  else if (g_str_equal (db_status, "held") || g_str_equal (db_status, "checking_out"))
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                         N_("Orders cannot be placed right now; try again in a moment"));
  else
    set_not_held (error, db_status);
  return NULL;
}

/* In a thread of the store's pool, which alone touches p meanwhile. */
static gpointer
message_run (LeapStore *store,
             gpointer   data,
             GError   **error)
{
  Place *p = data;

  return checkout_message (store, p, p->items, p->prices, error);
}

static void
settled_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Place *p = g_task_get_task_data (task);
  JsonObject *order = existing_order_finish (object, result);

  if (order == NULL)
    order = _leap_orders_pending_answer (p->order_id, p->hold_id, p->event_id);
  g_task_return_pointer (task, order, (GDestroyNotify) json_object_unref);
}

static void message_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data);

static void
place_hold_cb (LeapRedis        *redis,
               const redisReply *reply,
               const GError     *error,
               gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Place *p = g_task_get_task_data (task);
  const char *status;

  if (error != NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Orders cannot be placed right now"));
      return;
    }
  /* A hold of the database that Redis does not have yet (being handed
   * over) or any more (it ended before Redis came back). */
  if (leap_hold_id_is_db (p->hold_id) && leap_reply_n_elements (reply) == 0)
    {
      leap_store_call_async (self->store, db_hold_not_placed_run, p, NULL, NULL, NULL,
                             _leap_orders_return_answer_cb, g_steal_pointer (&task));
      return;
    }
  /* Another session's hold is as invisible as one that does not exist. */
  if (g_strcmp0 (leap_reply_field (reply, "owner"), p->owner) != 0)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return;
    }
  status = leap_reply_field (reply, "status");
  /* This order, settled: the worker wrote it. */
  if (g_strcmp0 (leap_reply_field (reply, "order"), p->order_id) == 0 &&
      g_strcmp0 (status, "checking_out") != 0)
    {
      existing_order_async (g_steal_pointer (&task), settled_cb);
      return;
    }
  if (g_strcmp0 (status, "held") != 0 &&
      !(g_strcmp0 (status, "checking_out") == 0 &&
        g_strcmp0 (leap_reply_field (reply, "order"), p->order_id) == 0))
    {
      return_not_held (task, status);
      return;
    }
  p->items = g_strdup (leap_reply_field (reply, "items"));
  p->prices = g_strdup (leap_reply_field (reply, "prices"));
  leap_store_call_async (self->store, message_run, p, NULL, g_free, NULL, message_cb,
                         g_steal_pointer (&task));
}

static void
message_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Place *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *text = leap_store_call_finish (LEAP_STORE (object), result, &error);
  guint nkeys;

  if (text == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  p->message = g_strdup (text);

  argv = leap_keys_checkout_script (p->event_id, p->hold_id);
  nkeys = argv->len;
  p->nkeys = nkeys;
  g_ptr_array_add (argv, g_strdup_printf ("%" G_GINT64_FORMAT, p->event_id));
  g_ptr_array_add (argv, g_strdup (p->owner));
  g_ptr_array_add (argv, g_strdup (LEAP_HOLDS_REDIS_NOW));
  g_ptr_array_add (argv, g_strdup (p->order_id));
  g_ptr_array_add (argv, g_strdup ("order_id"));
  g_ptr_array_add (argv, g_strdup (p->order_id));
  g_ptr_array_add (argv, g_strdup ("order"));
  g_ptr_array_add (argv, g_steal_pointer (&text));
  p->argv = g_steal_pointer (&argv);
  p->retry_until = g_get_monotonic_time () + BEGIN_RETRY_MS * G_TIME_SPAN_MILLISECOND;
  begin_checkout (self, g_steal_pointer (&task));
}

/* Takes @task. */
static void
begin_checkout (LeapOrders *self,
                GTask      *task)
{
  Place *p = g_task_get_task_data (task);

  /* The workers learn of the stream (the last key) before its first
   * message: the SADD is sent first on the same connection. */
  leap_redis_command (self->redis, stream_added_cb, NULL, "SADD",
                      leap_keys_checkout_streams (), p->argv->pdata[p->nkeys - 1], NULL);
  leap_redis_eval_argv_full (self->redis, "begin-checkout", begun_cb, task, g_object_unref,
                             p->nkeys, p->argv->len, (const char **) p->argv->pdata, NULL);
}

static void placed_before_cb (GObject      *object,
                              GAsyncResult *result,
                              gpointer      user_data);

void
leap_orders_place_async (LeapOrders         *self,
                         const LeapSession  *session,
                         JsonObject         *request,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr(GTask) task = _leap_orders_task_new (self, leap_orders_place_async, callback,
                                                 user_data);
  g_autoptr(GError) error = NULL;
  Place *p;

  if (!check_request (request, session->role, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  p = g_new0 (Place, 1);
  g_task_set_task_data (task, p, (GDestroyNotify) place_free);
  p->hold_id = g_strdup (json_object_get_string_member (request, "hold_id"));
  if (!leap_hold_id_parse (p->hold_id, &p->event_id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return;
    }
  p->order_id = leap_order_id_for_hold (p->hold_id);
  p->owner = g_strdup (session->token_hash);
  p->user_id = session->user_id;
  p->role = g_strdup (session->role);
  p->request = json_object_ref (request);
  existing_order_async (g_steal_pointer (&task), placed_before_cb);
}

/* Placing a hold again answers the order it became, whatever its state. */
static void
placed_before_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOrders *self = g_task_get_source_object (task);
  Place *p = g_task_get_task_data (task);
  JsonObject *existing = existing_order_finish (object, result);
  g_autofree char *key = NULL;

  if (existing != NULL)
    {
      g_task_return_pointer (task, existing, (GDestroyNotify) json_object_unref);
      return;
    }
  if (leap_hold_id_is_db (p->hold_id) && !leap_redis_is_connected (self->redis))
    {
      leap_store_call_async (self->store, place_in_database_run, p, NULL,
                             (GDestroyNotify) json_object_unref, NULL,
                             _leap_orders_return_answer_cb, g_steal_pointer (&task));
      return;
    }
  key = leap_keys_hold (p->event_id, p->hold_id);
  leap_redis_command_full (self->redis, place_hold_cb, g_steal_pointer (&task), g_object_unref,
                           "HGETALL", key, NULL);
}

static void
leap_orders_dispose (GObject *object)
{
  LeapOrders *self = LEAP_ORDERS (object);

  _leap_orders_settle_dispose (self);
  g_clear_object (&self->redis);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (leap_orders_parent_class)->dispose (object);
}

static void
leap_orders_finalize (GObject *object)
{
  LeapOrders *self = LEAP_ORDERS (object);

  _leap_orders_accept_stop (self);

  G_OBJECT_CLASS (leap_orders_parent_class)->finalize (object);
}

static void
leap_orders_class_init (LeapOrdersClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_orders_dispose;
  G_OBJECT_CLASS (klass)->finalize = leap_orders_finalize;
}

static void
leap_orders_init (LeapOrders *self)
{
  _leap_orders_settle_init (self);
}

LeapOrders *
leap_orders_new (LeapStore *store,
                 LeapRedis *redis)
{
  LeapOrders *self = g_object_new (LEAP_TYPE_ORDERS, NULL);

  self->store = g_object_ref (store);
  self->redis = g_object_ref (redis);
  return self;
}
