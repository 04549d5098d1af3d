/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#include "leap-client-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* Refunds some tickets of an order (@request: "lines", "reason",
 * "approval" of POST /orders/{id}/refund; NULL refunds all that can
 * be); the answer is the order as it is now. @idempotency_key makes a
 * retry of the same refund refund once: one per refund the cashier
 * confirms, not per order, or a second refund of the same order would
 * get the first one's answer. */
void
leap_client_refund_async (LeapClient          *self,
                          const char          *order_id,
                          JsonObject          *request,
                          const char          *idempotency_key,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) body = request ? json_object_ref (request) : json_object_new ();

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (order_id != NULL);
  g_return_if_fail (idempotency_key != NULL);

  escaped = g_uri_escape_string (order_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders/%s/refund", escaped);
  _leap_client_send_with_key_async (self, "POST", path, body, idempotency_key, cancellable,
                                    callback, user_data);
}

JsonObject *
leap_client_refund_finish (LeapClient   *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_autoptr(JsonObject) order = leap_client_send_json_finish (self, result, error);

  if (order == NULL)
    return NULL;
  if (leap_json_get_string (order, "order_id", NULL) == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                           _("The server's answer has no order in it"));
      return NULL;
    }
  return g_steal_pointer (&order);
}
