/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "leap-client-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* LeapClient's calls of a sale: holding tickets, placing and reading
 * orders (the check-in is in leap-client.c, refunds in
 * leap-client-refund.c). */

/* Holds */

static void
hold_json_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &error);

  if (root == NULL)
    g_task_return_error (task, error);
  else if (leap_json_get_string (root, "hold_id", NULL) == NULL)
    {
      json_object_unref (root);
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                               _("The server's answer has no hold in it"));
    }
  else
    g_task_return_pointer (task, root, (GDestroyNotify) json_object_unref);
}

/* Holds @items ({"tier_id", "quantity"} objects) of @event_id. Pass the
 * same @idempotency_key when retrying one attempt, a new one for the next:
 * a retry then never holds the tickets twice. */
void
leap_client_create_hold_async (LeapClient          *self,
                               gint64               event_id,
                               JsonArray           *items,
                               const char          *idempotency_key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (items != NULL);
  g_return_if_fail (idempotency_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_create_hold_async);

  json_object_set_int_member (body, "event_id", event_id);
  json_object_set_array_member (body, "items", json_array_ref (items));
  _leap_client_send_with_key_async (self, "POST", "/api/v1/holds", body, idempotency_key,
                                    cancellable, hold_json_cb, g_steal_pointer (&task));
}

JsonObject *
leap_client_create_hold_finish (LeapClient   *self,
                                GAsyncResult *result,
                                GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
hold_path (const char *hold_id)
{
  g_autofree char *escaped = g_uri_escape_string (hold_id, NULL, FALSE);
  return g_strconcat ("/api/v1/holds/", escaped, NULL);
}

void
leap_client_get_hold_async (LeapClient          *self,
                            const char          *hold_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (hold_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_get_hold_async);

  path = hold_path (hold_id);
  _leap_client_send_with_key_async (self, "GET", path, NULL, NULL, cancellable, hold_json_cb,
                                    g_steal_pointer (&task));
}

JsonObject *
leap_client_get_hold_finish (LeapClient   *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Gives the tickets of a hold back. A hold that is no longer held
 * (released, run out) fails with LEAP_ERROR_CONFLICT. */
void
leap_client_release_hold_async (LeapClient          *self,
                                const char          *hold_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (hold_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_release_hold_async);

  path = hold_path (hold_id);
  key = g_strdup_printf ("release-%s", hold_id);
  _leap_client_send_with_key_async (self, "DELETE", path, NULL, key, cancellable,
                                    _leap_client_send_boolean_cb, g_steal_pointer (&task));
}

gboolean
leap_client_release_hold_finish (LeapClient   *self,
                                 GAsyncResult *result,
                                 GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Orders */

static void
order_json_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &error);

  if (root == NULL)
    g_task_return_error (task, error);
  else if (leap_json_get_string (root, "order_id", NULL) == NULL)
    {
      json_object_unref (root);
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                               _("The server's answer has no order in it"));
    }
  else
    g_task_return_pointer (task, root, (GDestroyNotify) json_object_unref);
}

static void
place_order_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  SoupMessage *msg = g_task_get_task_data (G_TASK (result));

  g_task_set_task_data (task, GINT_TO_POINTER (msg != NULL &&
                                               g_object_get_data (G_OBJECT (msg), "leap-sent")),
                        NULL);
  order_json_cb (source, result, user_data);
}

static char *
order_path (const char *order_id,
            const char *suffix)
{
  g_autofree char *escaped = g_uri_escape_string (order_id, NULL, FALSE);
  return g_strconcat ("/api/v1/orders/", escaped, suffix, NULL);
}

/* Turns the hold into an order: @payment is {"method": "cash", "tendered"}
 * or {"method": "card"}, @customer is NULL or {"name", "email"}. The answer
 * is the pending order ({"order_id", "status"}); the same @idempotency_key
 * for a retry of one attempt. */
void
leap_client_place_order_async (LeapClient          *self,
                               const char          *hold_id,
                               JsonObject          *payment,
                               JsonObject          *customer,
                               const char          *idempotency_key,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (hold_id != NULL);
  g_return_if_fail (payment != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_place_order_async);

  json_object_set_string_member (body, "hold_id", hold_id);
  json_object_set_object_member (body, "payment", json_object_ref (payment));
  if (customer != NULL)
    json_object_set_object_member (body, "customer", json_object_ref (customer));
  _leap_client_send_with_key_async (self, "POST", "/api/v1/orders", body, idempotency_key,
                                    cancellable, place_order_cb, g_steal_pointer (&task));
}

/* Whether the request of @result left for the server (whatever came of
 * it): if not, the server cannot have placed the order. */
gboolean
leap_client_place_order_sent (LeapClient   *self,
                              GAsyncResult *result)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), TRUE);
  g_return_val_if_fail (g_task_is_valid (result, self), TRUE);

  return GPOINTER_TO_INT (g_task_get_task_data (G_TASK (result)));
}

JsonObject *
leap_client_place_order_finish (LeapClient   *self,
                                GAsyncResult *result,
                                GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
leap_client_get_order_async (LeapClient          *self,
                             const char          *order_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (order_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_get_order_async);

  path = order_path (order_id, NULL);
  _leap_client_send_with_key_async (self, "GET", path, NULL, NULL, cancellable, order_json_cb,
                                    g_steal_pointer (&task));
}

JsonObject *
leap_client_get_order_finish (LeapClient   *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
