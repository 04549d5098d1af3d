/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "leap-client.h"

G_BEGIN_DECLS

/* The HTTP client of the Leap API. Every call is asynchronous on the
 * caller's main context; failures come back as LEAP_ERROR with the
 * server's own message, and a server that cannot be reached at all as
 * LEAP_ERROR_UNAVAILABLE, which also turns the connection state offline. */
struct _LeapClient
{
  GObject parent_instance;

  /* Owned */
  SoupSession    *session;
  char           *base_url;
  char           *token;
  char           *username;
  char           *role;

  LeapConnection  connection;
  gint64          last_contact;

  /* Live availability: the events asked for, and the WebSocket that
   * carries their counts while it is up. */
  GHashTable              *live_events; /* gint64 * → NULL */
  SoupWebsocketConnection *ws;
  GCancellable            *ws_cancellable;
  guint                    reconnect_id;
  guint                    backoff;
  gboolean                 live;
};

/* For the calls of LeapClient kept in files of their own
 * (leap-client-session.c, leap-client-sales.c, leap-client-refund.c): leap_client_send_async ()
 * with an Idempotency-Key (NULL: none), finished with
 * leap_client_send_json_finish () or by _leap_client_send_boolean_cb,
 * which returns TRUE on the caller's task (its user data) on success. */
void _leap_client_send_with_key_async (LeapClient          *self,
                                       const char          *method,
                                       const char          *path,
                                       JsonObject          *body,
                                       const char          *idempotency_key,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
void _leap_client_set_session        (LeapClient          *self,
                                       const char          *token,
                                       const char          *username,
                                       const char          *role);
void _leap_client_send_boolean_cb     (GObject             *source,
                                       GAsyncResult        *result,
                                       gpointer             user_data);

G_END_DECLS
