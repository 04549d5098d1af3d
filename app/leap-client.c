/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <string.h>
#include <libsoup/soup.h>

#include "leap-client-private.h"
#include "leap-error.h"
#include "leap-json.h"

G_DEFINE_FINAL_TYPE (LeapClient, leap_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_TOKEN,
  PROP_USERNAME,
  PROP_ROLE,
  PROP_SIGNED_IN,
  PROP_CONNECTION,
  PROP_LAST_CONTACT,
  PROP_CAN_HOLD,
  PROP_LIVE,
  N_PROPS
};

enum {
  AVAILABILITY_CHANGED,
  ORDER_SETTLED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Seconds between attempts to bring the WebSocket back: doubling up to a
 * ceiling, so a restarting server is not flooded. */
#define BACKOFF_FIRST 1
#define BACKOFF_MAX   30

static void live_disconnect (LeapClient *self);
static void live_connect (LeapClient *self);

#define MAX_BODY (32 * 1024 * 1024)

static void
leap_client_dispose (GObject *object)
{
  LeapClient *self = (LeapClient *) object;

  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  live_disconnect (self);
  if (self->live_events != NULL)
    g_hash_table_remove_all (self->live_events);

  G_OBJECT_CLASS (leap_client_parent_class)->dispose (object);
}

static void
leap_client_finalize (GObject *object)
{
  LeapClient *self = (LeapClient *) object;

  g_clear_pointer (&self->live_events, g_hash_table_unref);
  g_clear_object (&self->session);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->role, g_free);

  G_OBJECT_CLASS (leap_client_parent_class)->finalize (object);
}

static void
leap_client_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  LeapClient *self = LEAP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: g_value_set_string (value, self->base_url); break;
    case PROP_TOKEN: g_value_set_string (value, self->token); break;
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_ROLE: g_value_set_string (value, self->role); break;
    case PROP_SIGNED_IN: g_value_set_boolean (value, leap_client_get_signed_in (self)); break;
    case PROP_CONNECTION: g_value_set_uint (value, self->connection); break;
    case PROP_LAST_CONTACT: g_value_set_int64 (value, self->last_contact); break;
    case PROP_CAN_HOLD: g_value_set_boolean (value, leap_client_get_can_hold (self)); break;
    case PROP_LIVE: g_value_set_boolean (value, self->live); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_client_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  LeapClient *self = LEAP_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL: leap_client_set_base_url (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_client_class_init (LeapClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = leap_client_dispose;
  object_class->finalize = leap_client_finalize;
  object_class->get_property = leap_client_get_property;
  object_class->set_property = leap_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, "http://127.0.0.1:8080",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOKEN] = g_param_spec_string ("token", NULL, NULL, NULL, ro);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, ro);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, ro);
  properties[PROP_SIGNED_IN] = g_param_spec_boolean ("signed-in", NULL, NULL, FALSE, ro);
  properties[PROP_CONNECTION] =
    g_param_spec_uint ("connection", NULL, NULL, LEAP_CONNECTION_UNKNOWN, LEAP_CONNECTION_OFFLINE,
                       LEAP_CONNECTION_UNKNOWN, ro);
  properties[PROP_LAST_CONTACT] =
    g_param_spec_int64 ("last-contact", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_CAN_HOLD] = g_param_spec_boolean ("can-hold", NULL, NULL, FALSE, ro);
  properties[PROP_LIVE] = g_param_spec_boolean ("live", NULL, NULL, FALSE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LeapClient::availability-changed:
   * @event_id: the event
   * @tier_id: the tier of it
   * @available: how many tickets of the tier are left now
   *
   * A count from the live WebSocket: the current one right after a
   * subscription, then every change.
   */
  signals[AVAILABILITY_CHANGED] =
    g_signal_new ("availability-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT64, G_TYPE_INT64);

  /**
   * LeapClient::order-settled:
   * @order_id: the order
   * @status: paid, failed, needs_review or refunded
   *
   * The live WebSocket's word that an order watched with
   * leap_client_watch_order() is settled. Read the order for the rest.
   */
  signals[ORDER_SETTLED] =
    g_signal_new ("order-settled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
leap_client_init (LeapClient *self)
{
  self->base_url = g_strdup ("http://127.0.0.1:8080");
  self->live_events = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->backoff = BACKOFF_FIRST;
  self->session = soup_session_new_with_options ("timeout", 20,
                                                 "idle-timeout", 60,
                                                 "user-agent", "leap-boxoffice/" PACKAGE_VERSION,
                                                 /* Accept-Language from the UI's languages:
                                                  * the server's messages come back in them. */
                                                 "accept-language-auto", TRUE,
                                                 NULL);
}

LeapClient *
leap_client_new (const char *base_url)
{
  return g_object_new (LEAP_TYPE_CLIENT, "base-url", base_url, NULL);
}

const char *
leap_client_get_base_url (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  return self->base_url;
}

void
leap_client_set_base_url (LeapClient *self,
                          const char *base_url)
{
  g_autofree char *trimmed = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));

  if (base_url == NULL || base_url[0] == '\0')
    base_url = "http://127.0.0.1:8080";
  trimmed = g_strstrip (g_strdup (base_url));
  while (g_str_has_suffix (trimmed, "/"))
    trimmed[strlen (trimmed) - 1] = '\0';
  if (g_strcmp0 (self->base_url, trimmed) == 0)
    return;
  g_free (self->base_url);
  self->base_url = g_steal_pointer (&trimmed);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);

  /* Another server: its live counts come over another socket. */
  if (self->ws != NULL || self->ws_cancellable != NULL || self->reconnect_id != 0)
    {
      g_clear_handle_id (&self->reconnect_id, g_source_remove);
      live_disconnect (self);
      self->backoff = BACKOFF_FIRST;
      live_connect (self);
    }
}

const char *
leap_client_get_token (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  return self->token;
}

const char *
leap_client_get_username (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  return self->username;
}

const char *
leap_client_get_role (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  return self->role;
}

gboolean
leap_client_get_signed_in (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  return self->token != NULL && self->username != NULL;
}

LeapConnection
leap_client_get_connection (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), LEAP_CONNECTION_UNKNOWN);
  return self->connection;
}

gint64
leap_client_get_last_contact (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), 0);
  return self->last_contact;
}

/* Every server of this API version answers the holds API for a signed-in
 * session, so asking it first would only cost a round trip: holds are
 * possible when signed in and the server is not known to be out of reach. */
gboolean
leap_client_get_can_hold (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  return leap_client_get_signed_in (self) && self->connection != LEAP_CONNECTION_OFFLINE;
}

/* Whether availability arrives over the WebSocket right now. */
gboolean
leap_client_get_live (LeapClient *self)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  return self->live;
}

static void
set_connection (LeapClient     *self,
                LeapConnection  connection)
{
  gboolean could_hold = leap_client_get_can_hold (self);

  if (connection == LEAP_CONNECTION_ONLINE)
    {
      self->last_contact = g_get_real_time () / G_USEC_PER_SEC;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_CONTACT]);
    }
  if (self->connection == connection)
    return;
  self->connection = connection;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
  if (could_hold != leap_client_get_can_hold (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_HOLD]);

  /* The server answers again: no need to wait out the back-off. */
  if (connection == LEAP_CONNECTION_ONLINE && self->reconnect_id != 0)
    {
      g_clear_handle_id (&self->reconnect_id, g_source_remove);
      self->backoff = BACKOFF_FIRST;
      live_connect (self);
    }
}

void
_leap_client_set_session (LeapClient *self,
                          const char *token,
                          const char *username,
                          const char *role)
{
  gboolean was_signed_in = leap_client_get_signed_in (self);
  gboolean could_hold = leap_client_get_can_hold (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->token, token) != 0)
    {
      g_free (self->token);
      self->token = g_strdup (token);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOKEN]);
    }
  if (g_strcmp0 (self->username, username) != 0)
    {
      g_free (self->username);
      self->username = g_strdup (username);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
    }
  if (g_strcmp0 (self->role, role) != 0)
    {
      g_free (self->role);
      self->role = g_strdup (role);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
    }
  if (was_signed_in != leap_client_get_signed_in (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
  if (could_hold != leap_client_get_can_hold (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_HOLD]);
  g_object_thaw_notify (G_OBJECT (self));
}

static LeapErrorCode
code_for_status (guint status)
{
  switch (status)
    {
    case 400: return LEAP_ERROR_MALFORMED;
    case 401: return LEAP_ERROR_UNAUTHORIZED;
    case 403: return LEAP_ERROR_FORBIDDEN;
    case 404: return LEAP_ERROR_NOT_FOUND;
    case 405: return LEAP_ERROR_METHOD_NOT_ALLOWED;
    case 409: return LEAP_ERROR_CONFLICT;
    case 410: return LEAP_ERROR_EXPIRED;
    case 413: return LEAP_ERROR_TOO_LARGE;
    case 422: return LEAP_ERROR_INVALID;
    case 429: return LEAP_ERROR_RATE_LIMITED;
    case 502:
    case 503:
    case 504: return LEAP_ERROR_UNAVAILABLE;
    default: return LEAP_ERROR_INTERNAL;
    }
}

/* Turns an error answer into a GError: the server's code and message when
 * it sent {"error": {...}}, otherwise one made from the HTTP status. */
static GError *
error_from_answer (guint   status,
                   GBytes *body)
{
  g_autoptr(JsonObject) root = NULL;
  JsonNode *node;

  if (body != NULL && g_bytes_get_size (body) > 0)
    root = leap_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);
  if (root != NULL && (node = json_object_get_member (root, "error")) != NULL &&
      JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *err = json_node_get_object (node);
      const char *code = leap_json_get_string (err, "code", NULL);
      const char *message = leap_json_get_string (err, "message", NULL);
      LeapErrorCode error_code = code ? leap_error_code_from_string (code)
                                      : code_for_status (status);

      if (code != NULL && error_code == LEAP_ERROR_INTERNAL && status != 500)
        error_code = code_for_status (status);
      return g_error_new_literal (LEAP_ERROR, error_code,
                                  message ? message : soup_status_get_phrase (status));
    }
  return g_error_new (LEAP_ERROR, code_for_status (status), _("The server answered %u %s"), status,
                      soup_status_get_phrase (status) ? soup_status_get_phrase (status) : "");
}

static void
send_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapClient *self = g_task_get_source_object (task);
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      set_connection (self, LEAP_CONNECTION_OFFLINE);
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               _("Cannot reach the server at %s: %s"), self->base_url,
                               error->message);
      return;
    }

  status = soup_message_get_status (msg);
  if (status == 502 || status == 503 || status == 504)
    set_connection (self, LEAP_CONNECTION_OFFLINE);
  else
    set_connection (self, LEAP_CONNECTION_ONLINE);

  if (status >= 200 && status < 300)
    {
      g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
      return;
    }

  /* A session that the server no longer knows is over here too. */
  if (status == 401 && self->token != NULL &&
      g_strcmp0 (soup_message_get_method (msg), "POST") != 0)
    _leap_client_set_session (self, NULL, NULL, NULL);

  g_task_return_error (task, error_from_answer (status, body));
}

/* The request left: the server may have acted on it, answer or not. */
static void
wrote_headers_cb (SoupMessage *msg,
                  gpointer     user_data)
{
  g_object_set_data (G_OBJECT (msg), "leap-sent", GINT_TO_POINTER (TRUE));
}

static void
send_full (LeapClient          *self,
           const char          *method,
           const char          *path,
           JsonObject          *body,
           const char          *idempotency_key,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_send_async);

  url = g_strconcat (self->base_url, path, NULL);
  msg = soup_message_new (method, url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID,
                               _("“%s” is not a server address; it should look like "
                                 "http://127.0.0.1:8080"), self->base_url);
      return;
    }

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                  idempotency_key);
  if (body != NULL)
    {
      g_autofree char *text = leap_json_object_to_string (body);
      gsize len = strlen (text);
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&text), len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  g_signal_connect (msg, "wrote-headers", G_CALLBACK (wrote_headers_cb), NULL);
  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    send_cb, g_steal_pointer (&task));
}

void
leap_client_send_async (LeapClient          *self,
                        const char          *method,
                        const char          *path,
                        JsonObject          *body,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  send_full (self, method, path, body, NULL, cancellable, callback, user_data);
}

GBytes *
leap_client_send_finish (LeapClient   *self,
                         GAsyncResult *result,
                         GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
_leap_client_send_with_key_async (LeapClient          *self,
                                  const char          *method,
                                  const char          *path,
                                  JsonObject          *body,
                                  const char          *idempotency_key,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  send_full (self, method, path, body, idempotency_key, cancellable, callback, user_data);
}

JsonObject *
leap_client_send_json_finish (LeapClient   *self,
                              GAsyncResult *result,
                              GError      **error)
{
  g_autoptr(GBytes) body = leap_client_send_finish (self, result, error);

  if (body == NULL)
    return NULL;
  return leap_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), error);
}

/* Completes a task with TRUE once the server answered with success. */
void
_leap_client_send_boolean_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;

  body = leap_client_send_finish (LEAP_CLIENT (source), result, &error);
  if (body == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Check-in */

static void
check_in_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapClient *self = g_task_get_source_object (task);
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonObject) root = NULL;
  JsonObject *answer;
  JsonObject *err = NULL;
  const char *code = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      set_connection (self, LEAP_CONNECTION_OFFLINE);
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               _("Cannot reach the server at %s: %s"), self->base_url,
                               error->message);
      return;
    }
  status = soup_message_get_status (msg);
  set_connection (self, status >= 502 && status <= 504 ? LEAP_CONNECTION_OFFLINE
                                                       : LEAP_CONNECTION_ONLINE);
  if (g_bytes_get_size (body) > 0)
    root = leap_json_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);

  if (status == 200 && root != NULL)
    {
      answer = json_object_ref (root);
      if (leap_json_get_string (answer, "status", NULL) == NULL)
        json_object_set_string_member (answer, "status", "admitted");
      g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
      return;
    }

  if (root != NULL && json_object_has_member (root, "error") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "error")))
    {
      err = json_object_get_object_member (root, "error");
      code = leap_json_get_string (err, "code", NULL);
    }

  /* The answers about the ticket itself are results, not failures. */
  if ((status == 409 && (g_strcmp0 (code, "already_checked_in") == 0 ||
                         g_strcmp0 (code, "voided") == 0 ||
                         g_strcmp0 (code, "wrong_event") == 0 ||
                         g_strcmp0 (code, "not_paid") == 0)) ||
      status == 422 || status == 404)
    {
      answer = json_object_new ();
      if (status == 409)
        json_object_set_string_member (answer, "status", code);
      else
        json_object_set_string_member (answer, "status", "invalid");
      if (err != NULL)
        {
          GList *members = json_object_get_members (err);

          /* Keep what the server adds (checked_in_at, message). */
          for (GList *l = members; l != NULL; l = l->next)
            if (!g_str_equal (l->data, "code") && !json_object_has_member (answer, l->data))
              json_object_set_member (answer, l->data,
                                      json_node_copy (json_object_get_member (err, l->data)));
          g_list_free (members);
        }
      if (root != NULL && json_object_has_member (root, "checked_in_at") &&
          !json_object_has_member (answer, "checked_in_at"))
        json_object_set_member (answer, "checked_in_at",
                                json_node_copy (json_object_get_member (root, "checked_in_at")));
      g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
      return;
    }

  g_task_return_error (task, error_from_answer (status, body));
}

/* Checks a ticket in at the door of @event_id (0: any event). The answer's
 * "status" is "admitted", "already_checked_in" (with "checked_in_at" when
 * the server tells), "voided", "wrong_event" (with the ticket's own
 * "event"), "not_paid" (with "order_status") or "invalid" (a code the
 * server does not know or cannot read); a GError only when there is no
 * answer about the ticket (offline, signed out, forbidden). */
void
leap_client_check_in_async (LeapClient          *self,
                            const char          *code,
                            gint64               event_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *url = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (code != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_check_in_async);

  url = g_strconcat (self->base_url, "/api/v1/checkins", NULL);
  msg = soup_message_new ("POST", url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INVALID,
                               _("“%s” is not a server address"), self->base_url);
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  json_object_set_string_member (body, "code", code);
  if (event_id > 0)
    json_object_set_int_member (body, "event_id", event_id);
  text = leap_json_object_to_string (body);
  bytes = g_bytes_new (text, strlen (text));
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);

  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    check_in_cb, g_steal_pointer (&task));
}

JsonObject *
leap_client_check_in_finish (LeapClient   *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Live availability over the WebSocket */

static void
set_live (LeapClient *self,
          gboolean    live)
{
  if (self->live == live)
    return;
  self->live = live;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE]);
}

static void
live_send_ids (LeapClient    *self,
               const char    *verb,
               const gint64  *ids,
               guint          n_ids)
{
  g_autoptr(JsonObject) message = json_object_new ();
  JsonArray *array = json_array_new ();
  g_autofree char *text = NULL;

  for (guint i = 0; i < n_ids; i++)
    json_array_add_int_element (array, ids[i]);
  json_object_set_array_member (message, verb, array);
  text = leap_json_object_to_string (message);
  soup_websocket_connection_send_text (self->ws, text);
}

static gboolean
reconnect_cb (gpointer user_data)
{
  LeapClient *self = user_data;

  self->reconnect_id = 0;
  live_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (LeapClient *self)
{
  if (self->reconnect_id != 0 || g_hash_table_size (self->live_events) == 0)
    return;
  g_debug ("Live availability: trying again in %u s", self->backoff);
  self->reconnect_id = g_timeout_add_seconds (self->backoff, reconnect_cb, self);
  self->backoff = MIN (self->backoff * 2, BACKOFF_MAX);
}

static void
ws_message_cb (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *message,
               gpointer                 user_data)
{
  LeapClient *self = user_data;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  g_debug ("Live availability: %.*s", (int) g_bytes_get_size (message),
           (const char *) g_bytes_get_data (message, NULL));
  root = leap_json_parse_object (g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                 &error);
  if (root == NULL)
    {
      g_debug ("Live availability: a message that is not JSON: %s", error->message);
      return;
    }
  if (json_object_has_member (root, "error"))
    {
      g_debug ("Live availability: the server refused a message");
      return;
    }
  if (g_strcmp0 (leap_json_get_string (root, "type", NULL), "order") == 0)
    {
      const char *order_id = leap_json_get_string (root, "order_id", NULL);
      const char *status = leap_json_get_string (root, "status", NULL);

      if (order_id != NULL && status != NULL)
        g_signal_emit (self, signals[ORDER_SETTLED], 0, order_id, status);
      return;
    }
  if (!json_object_has_member (root, "event_id") || !json_object_has_member (root, "tier_id") ||
      !json_object_has_member (root, "available"))
    return;
  g_signal_emit (self, signals[AVAILABILITY_CHANGED], 0,
                 json_object_get_int_member (root, "event_id"),
                 json_object_get_int_member (root, "tier_id"),
                 MAX (json_object_get_int_member (root, "available"), 0));
}

static void
ws_closed_cb (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  LeapClient *self = user_data;

  g_debug ("Live availability: the connection closed");
  live_disconnect (self);
  schedule_reconnect (self);
}

static void
ws_error_cb (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 user_data)
{
  g_debug ("Live availability: %s", error->message);
}

static void
ws_connect_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  LeapClient *self = user_data;
  g_autoptr(SoupWebsocketConnection) ws = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree gpointer *keys = NULL;
  g_autofree gint64 *ids = NULL;
  guint n_ids;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (ws == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Live availability: cannot connect: %s", error->message);
      g_clear_object (&self->ws_cancellable);
      schedule_reconnect (self);
      return;
    }
  g_clear_object (&self->ws_cancellable);

  self->ws = g_steal_pointer (&ws);
  self->backoff = BACKOFF_FIRST;
  /* Pings find a connection that died without a close, e.g. a cable. */
  soup_websocket_connection_set_keepalive_interval (self->ws, 20);
  g_signal_connect (self->ws, "message", G_CALLBACK (ws_message_cb), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (ws_closed_cb), self);
  g_signal_connect (self->ws, "error", G_CALLBACK (ws_error_cb), self);

  keys = g_hash_table_get_keys_as_array (self->live_events, &n_ids);
  ids = g_new (gint64, MAX (n_ids, 1));
  for (guint i = 0; i < n_ids; i++)
    ids[i] = *(gint64 *) keys[i];
  if (n_ids > 0)
    live_send_ids (self, "subscribe", ids, n_ids);
  set_live (self, TRUE);
}

static void
live_connect (LeapClient *self)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *url = NULL;

  if (self->ws != NULL || self->ws_cancellable != NULL ||
      g_hash_table_size (self->live_events) == 0)
    return;

  if (g_str_has_prefix (self->base_url, "https://"))
    url = g_strconcat ("wss://", self->base_url + strlen ("https://"), "/api/v1/live", NULL);
  else if (g_str_has_prefix (self->base_url, "http://"))
    url = g_strconcat ("ws://", self->base_url + strlen ("http://"), "/api/v1/live", NULL);
  if (url == NULL || (msg = soup_message_new ("GET", url)) == NULL)
    return;

  self->ws_cancellable = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->ws_cancellable, ws_connect_cb, self);
}

/* Drops the socket (and an attempt under way) without planning another. */
static void
live_disconnect (LeapClient *self)
{
  if (self->ws_cancellable != NULL)
    {
      g_cancellable_cancel (self->ws_cancellable);
      g_clear_object (&self->ws_cancellable);
    }
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->ws);
    }
  set_live (self, FALSE);
}

/* Asks for the live counts of @event_id: ::availability-changed brings
 * the current ones and then each change. The socket is opened on the
 * first subscription and comes back by itself when it drops. */
void
leap_client_live_subscribe (LeapClient *self,
                            gint64      event_id)
{
  g_return_if_fail (LEAP_IS_CLIENT (self));

  if (g_hash_table_contains (self->live_events, &event_id))
    return;
  g_hash_table_add (self->live_events, g_memdup2 (&event_id, sizeof event_id));
  if (self->ws != NULL)
    live_send_ids (self, "subscribe", &event_id, 1);
  else if (self->reconnect_id == 0)
    live_connect (self);
}

void
leap_client_live_unsubscribe (LeapClient *self,
                              gint64      event_id)
{
  g_return_if_fail (LEAP_IS_CLIENT (self));

  if (!g_hash_table_remove (self->live_events, &event_id))
    return;
  if (g_hash_table_size (self->live_events) == 0)
    {
      g_clear_handle_id (&self->reconnect_id, g_source_remove);
      live_disconnect (self);
      self->backoff = BACKOFF_FIRST;
    }
  else if (self->ws != NULL)
    live_send_ids (self, "unsubscribe", &event_id, 1);
}

/* Asks the live WebSocket, when it is up, to say when @order_id is
 * settled (::order-settled). Only a shortcut: returns FALSE when the
 * socket is not there, and the caller polls anyway. */
gboolean
leap_client_watch_order (LeapClient *self,
                         const char *order_id)
{
  g_autoptr(JsonObject) message = json_object_new ();
  g_autoptr(JsonObject) what = json_object_new ();
  g_autofree char *text = NULL;

  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);

  if (self->ws == NULL || self->token == NULL ||
      soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  /* The socket was opened without a session: the token goes along. */
  json_object_set_string_member (what, "order", order_id);
  json_object_set_string_member (what, "token", self->token);
  json_object_set_object_member (message, "subscribe", g_steal_pointer (&what));
  text = leap_json_object_to_string (message);
  soup_websocket_connection_send_text (self->ws, text);
  return TRUE;
}
