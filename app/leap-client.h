/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_CLIENT (leap_client_get_type ())

G_DECLARE_FINAL_TYPE (LeapClient, leap_client, LEAP, CLIENT, GObject)

LeapClient     *leap_client_new                (const char           *base_url);
const char     *leap_client_get_base_url       (LeapClient           *self);
void            leap_client_set_base_url       (LeapClient           *self,
                                                const char           *base_url);
const char     *leap_client_get_token          (LeapClient           *self);
const char     *leap_client_get_username       (LeapClient           *self);
const char     *leap_client_get_role           (LeapClient           *self);
gboolean        leap_client_get_signed_in      (LeapClient           *self);
LeapConnection  leap_client_get_connection     (LeapClient           *self);
gint64          leap_client_get_last_contact   (LeapClient           *self);
gboolean        leap_client_get_can_hold       (LeapClient           *self);
gboolean        leap_client_get_live           (LeapClient           *self);

void            leap_client_send_async         (LeapClient           *self,
                                                const char           *method,
                                                const char           *path,
                                                JsonObject           *body,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
GBytes         *leap_client_send_finish        (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
JsonObject     *leap_client_send_json_finish   (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);

void            leap_client_sign_in_async      (LeapClient           *self,
                                                const char           *username,
                                                const char           *password,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean        leap_client_sign_in_finish     (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            leap_client_resume_async       (LeapClient           *self,
                                                const char           *token,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean        leap_client_resume_finish      (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            leap_client_sign_out_async     (LeapClient           *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean        leap_client_sign_out_finish    (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);


void            leap_client_create_hold_async  (LeapClient           *self,
                                                gint64                event_id,
                                                JsonArray            *items,
                                                const char           *idempotency_key,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject     *leap_client_create_hold_finish (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            leap_client_get_hold_async     (LeapClient           *self,
                                                const char           *hold_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject     *leap_client_get_hold_finish    (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            leap_client_release_hold_async (LeapClient           *self,
                                                const char           *hold_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean        leap_client_release_hold_finish (LeapClient          *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

void            leap_client_place_order_async  (LeapClient           *self,
                                                const char           *hold_id,
                                                JsonObject           *payment,
                                                JsonObject           *customer,
                                                const char           *idempotency_key,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject     *leap_client_place_order_finish (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
gboolean        leap_client_place_order_sent   (LeapClient           *self,
                                                GAsyncResult         *result);
void            leap_client_get_order_async    (LeapClient           *self,
                                                const char           *order_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject     *leap_client_get_order_finish   (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            leap_client_refund_async       (LeapClient           *self,
                                                const char           *order_id,
                                                JsonObject           *request,
                                                const char           *idempotency_key,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject     *leap_client_refund_finish      (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            leap_client_check_in_async     (LeapClient           *self,
                                                const char           *code,
                                                gint64                event_id,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject     *leap_client_check_in_finish    (LeapClient           *self,
                                                GAsyncResult         *result,
                                                GError              **error);

gboolean        leap_client_watch_order        (LeapClient           *self,
                                                const char           *order_id);
void            leap_client_live_subscribe     (LeapClient           *self,
                                                gint64                event_id);
void            leap_client_live_unsubscribe   (LeapClient           *self,
                                                gint64                event_id);

G_END_DECLS
