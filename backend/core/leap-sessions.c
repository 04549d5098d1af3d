/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-sessions"

#include "leap-sessions-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-key-file.h"
#include "leap-keys.h"
#include "leap-password.h"
#include "leap-rate-limiter.h"
#include "leap-reply.h"
#include "leap-schema.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <string.h>

#define LOGIN_FAILURES_PER_USER 5
#define LOGIN_FAILURES_PER_ADDRESS 20
#define LOGIN_WINDOW_S 300
#define NEAR_TTL_US (2 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (LeapSessions, leap_sessions, G_TYPE_OBJECT)

typedef struct
{
  LeapSession *session;
  gint64       until; /* monotonic µs */
} Near;

static void
near_free (Near *near)
{
  leap_session_free (near->session);
  g_free (near);
}

void
leap_session_free (LeapSession *session)
{
  if (session == NULL)
    return;
  g_free (session->token_hash);
  g_free (session->username);
  g_free (session->role);
  g_free (session);
}

JsonObject *
leap_session_to_json (const LeapSession *session)
{
  JsonObject *object = json_object_new ();
  g_autofree char *expires = leap_time_format (session->expires_at);

  if (session->user_id > 0)
    {
      JsonObject *user = json_object_new ();

      json_object_set_int_member (user, "id", session->user_id);
      json_object_set_string_member (user, "username", session->username);
      json_object_set_string_member (user, "role", session->role);
      json_object_set_object_member (object, "user", user);
    }
  else
    json_object_set_null_member (object, "user");
  json_object_set_string_member (object, "role", session->role);
  json_object_set_string_member (object, "expires_at", expires);
  return object;
}

gboolean
leap_session_has_role (const LeapSession  *session,
                       const char * const *roles)
{
  return session != NULL && g_strv_contains (roles, session->role);
}

/* The MAC covers the token hash (a valid entry cannot be copied to another
 * token's key) and every field the backend reads, each length-prefixed so
 * that no two sessions have the same text. Hex, as it is stored. */
static char *
session_mac (LeapSessions      *self,
             const char        *token_hash,
             gint64             user_id,
             const char        *username,
             const char        *role,
             gint64             expires_at)
{
  g_autofree char *text = NULL;
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];

  username = username ? username : "";
  text = g_strdup_printf ("leap-session-v1\n%zu:%s\n%" G_GINT64_FORMAT
                          "\n%zu:%s\n%zu:%s\n%" G_GINT64_FORMAT,
                          strlen (token_hash), token_hash, user_id, strlen (username), username,
                          strlen (role), role, expires_at);
  crypto_auth_hmacsha256 (mac, (const guint8 *) text, strlen (text), self->mac_key);
  sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
  return g_strdup (hex);
}

static char *
session_to_cache (LeapSessions      *self,
                  const LeapSession *session)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autofree char *mac = session_mac (self, session->token_hash, session->user_id,
                                      session->user_id > 0 ? session->username : NULL,
                                      session->role, session->expires_at);

  if (session->user_id > 0)
    {
      json_object_set_int_member (object, "user_id", session->user_id);
      json_object_set_string_member (object, "username", session->username);
    }
  json_object_set_string_member (object, "role", session->role);
  json_object_set_int_member (object, "expires_at", session->expires_at);
  json_object_set_string_member (object, "mac", mac);
  return leap_json_object_to_string (object);
}

/* Whether a cached session is one a backend wrote. A missing or malformed
 * member fails too: session_from_json () would read a default for it. */
static gboolean
session_mac_ok (LeapSessions *self,
                const char   *token_hash,
                JsonObject   *object)
{
  const char *mac = leap_json_get_string (object, "mac", NULL);
  const char *role = leap_json_get_string (object, "role", NULL);
  JsonNode *expires = json_object_get_member (object, "expires_at");
  JsonNode *user_id = json_object_get_member (object, "user_id");
  g_autofree char *want = NULL;

  if (mac == NULL || role == NULL || expires == NULL ||
      json_node_get_value_type (expires) != G_TYPE_INT64 ||
      (user_id != NULL && json_node_get_value_type (user_id) != G_TYPE_INT64))
    return FALSE;
  want = session_mac (self, token_hash, leap_json_get_int (object, "user_id", 0),
                      leap_json_get_string (object, "username", NULL), role,
                      json_node_get_int (expires));
  return strlen (mac) == strlen (want) && sodium_memcmp (mac, want, strlen (want)) == 0;
}

static LeapSession *
session_from_json (const char *token_hash,
                   JsonObject *object)
{
  LeapSession *session = g_new0 (LeapSession, 1);

  session->token_hash = g_strdup (token_hash);
  session->user_id = leap_json_get_int (object, "user_id", 0);
  session->username = g_strdup (leap_json_get_string (object, "username", NULL));
  session->role = g_strdup (leap_json_get_string (object, "role", "guest"));
  session->expires_at = leap_json_get_int (object, "expires_at", 0);
  return session;
}

gint64
_leap_sessions_now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
_leap_sessions_cache (LeapSessions      *self,
                      const LeapSession *session,
                      LeapRedisReplyFunc func,
                      gpointer           user_data)
{
  g_autofree char *key = leap_keys_session (session->token_hash);
  g_autofree char *value = session_to_cache (self, session);
  g_autofree char *ttl = g_strdup_printf ("%" G_GINT64_FORMAT,
                                          MAX (1, session->expires_at - _leap_sessions_now_s ()));

  leap_redis_command (self->redis, func, user_data, "SET", key, value, "EX", ttl, NULL);
}

/* Lookup */

static LeapSession *
session_copy (const LeapSession *session)
{
  LeapSession *copy = g_new0 (LeapSession, 1);

  copy->token_hash = g_strdup (session->token_hash);
  copy->user_id = session->user_id;
  copy->username = g_strdup (session->username);
  copy->role = g_strdup (session->role);
  copy->expires_at = session->expires_at;
  return copy;
}

static void
near_put (LeapSessions      *self,
          const LeapSession *session)
{
  Near *near;

  if (self->subscriber == NULL || !leap_redis_is_connected (self->subscriber))
    return;
  near = g_new0 (Near, 1);
  near->session = session_copy (session);
  near->until = g_get_monotonic_time () + NEAR_TTL_US;
  g_hash_table_replace (self->near, g_strdup (session->token_hash), near);
}

/* The session if this process checked it in the last two seconds: a rush of
 * requests from one cashier or kiosk costs no Redis round trip each. Logout
 * reaches every backend at once through the session-revoked channel. */
LeapSession *
leap_sessions_peek (LeapSessions *self,
                    const char   *token)
{
  g_autofree char *token_hash = NULL;
  Near *near;

  if (g_hash_table_size (self->near) == 0)
    return NULL;
  token_hash = leap_token_hash (token);
  near = g_hash_table_lookup (self->near, token_hash);
  if (near == NULL || near->until <= g_get_monotonic_time () ||
      near->session->expires_at <= _leap_sessions_now_s ())
    return NULL;
  return session_copy (near->session);
}

static void
revoked_message_cb (LeapRedis  *redis,
                    const char *channel,
                    const char *message,
                    gsize       length,
                    gpointer    user_data)
{
  LeapSessions *self = user_data;
  g_autofree char *token_hash = g_strndup (message, length);

  g_hash_table_remove (self->near, token_hash);
}

static void
subscriber_state_cb (LeapSessions *self)
{
  if (!leap_redis_is_connected (self->subscriber))
    g_hash_table_remove_all (self->near);
}

/* The database's calls, each in a thread of the store's pool. */

static gpointer
get_session_run (LeapStore *store,
                 gpointer   data,
                 GError   **error)
{
  return leap_store_get_session (store, data, error);
}

static gpointer
revoke_session_run (LeapStore *store,
                    gpointer   data,
                    GError   **error)
{
  leap_store_revoke_session (store, data, _leap_sessions_now_s (), error);
  return NULL;
}

/* The session of a database row (NULL and its error if it failed). */
static LeapSession *
session_from_row (const char *token_hash,
                  JsonObject *row,
                  GError    **error)
{
  if (row == NULL)
    {
      if (g_error_matches (*error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
        {
          g_clear_error (error);
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED,
                               N_("Unknown session token"));
        }
      return NULL;
    }
  if (!json_object_get_null_member (row, "revoked_at") ||
      json_object_get_int_member (row, "expires_at") <= _leap_sessions_now_s () ||
      json_object_get_int_member (row, "disabled") != 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED,
                           N_("This session has ended; please sign in again"));
      return NULL;
    }
  return session_from_json (token_hash, row);
}

static void
session_read (GObject      *object,
              GAsyncResult *result,
              GTask        *task,
              gboolean      refill)
{
  LeapSessions *self = g_task_get_source_object (task);
  const char *token_hash = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) row = leap_store_call_finish (LEAP_STORE (object), result, &error);
  LeapSession *session = session_from_row (token_hash, row, &error);

  if (session == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (refill)
    {
      _leap_sessions_cache (self, session, NULL, NULL);
      near_put (self, session);
    }
  g_task_return_pointer (task, session, (GDestroyNotify) leap_session_free);
}

static void
session_read_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  session_read (object, result, task, FALSE);
}

static void
session_refill_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;

  session_read (object, result, task, TRUE);
}

static void
lookup_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *redis_error,
           gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapSessions *self = g_task_get_source_object (task);
  const char *token_hash = g_task_get_task_data (task);
  LeapSession *session;
  const char *text;
  gsize length;

  if ((text = leap_reply_string (reply, &length)) != NULL)
    {
      g_autoptr(JsonObject) object = leap_json_parse_object (text, length, NULL);

      if (object != NULL && !session_mac_ok (self, token_hash, object))
        {
          /* Forged, or written under another key (a backend with its own
           * session key): the database says who this really is. */
          self->forged++;
          g_warning (
              "A session cached in Redis failed its MAC (%.8s…): ignored, read from the database; "
              "was Redis written by someone else, or do the backends have different session keys?",
              token_hash);
        }
      else if (object != NULL &&
               leap_json_get_int (object, "expires_at", 0) > _leap_sessions_now_s ())
        {
          session = session_from_json (token_hash, object);
          near_put (self, session);
          g_task_return_pointer (task, session, (GDestroyNotify) leap_session_free);
          return;
        }
    }

  if (redis_error != NULL)
    self->fallbacks++;
  /* A miss with Redis up: Redis lost it (flushed, restarted); refill it. */
  leap_store_call_async (self->store, get_session_run, g_strdup (token_hash), g_free,
                         (GDestroyNotify) json_object_unref, NULL,
                         redis_error == NULL ? session_refill_cb : session_read_cb,
                         g_steal_pointer (&task));
}

void
leap_sessions_lookup_async (LeapSessions       *self,
                            const char         *token,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  char *token_hash = leap_token_hash (token);
  g_autofree char *key = leap_keys_session (token_hash);

  g_task_set_source_tag (task, leap_sessions_lookup_async);
  g_task_set_task_data (task, token_hash, g_free);
  leap_redis_command_full (self->redis, lookup_cb, task, g_object_unref, "GET", key, NULL);
}

LeapSession *
leap_sessions_lookup_finish (LeapSessions *self,
                             GAsyncResult *result,
                             GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Logout */

static void
revoked_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapSessions *self = g_task_get_source_object (task);

  /* The database says revoked, but a Redis that comes back with the key
   * would still accept it: delete it again as soon as Redis is back. */
  if (error != NULL)
    g_ptr_array_add (self->unrevoked, g_strdup (g_task_get_task_data (task)));
  g_task_return_boolean (task, TRUE);
}

/* Then Redis: the cached copy goes, and every backend's near copy. */
static void
revoked_in_store_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GTask *task = user_data;
  LeapSessions *self = g_task_get_source_object (task);
  const char *token_hash = g_task_get_task_data (task);
  g_autofree char *key = leap_keys_session (token_hash);
  g_autoptr(GError) error = NULL;

  leap_store_call_finish (LEAP_STORE (object), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  leap_redis_command_full (self->redis, revoked_cb, task, g_object_unref, "DEL", key, NULL);
  leap_redis_command (self->redis, NULL, NULL, "PUBLISH", leap_keys_session_revoked_channel (),
                      token_hash, NULL);
}

void
leap_sessions_logout_async (LeapSessions       *self,
                            const LeapSession  *session,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, leap_sessions_logout_async);
  g_task_set_task_data (task, g_strdup (session->token_hash), g_free);
  g_hash_table_remove (self->near, session->token_hash);
  leap_store_call_async (self->store, revoke_session_run, g_strdup (session->token_hash), g_free,
                         NULL, NULL, revoked_in_store_cb, task);
}

gboolean
leap_sessions_logout_finish (LeapSessions *self,
                             GAsyncResult *result,
                             GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
redis_connected_cb (LeapSessions *self)
{
  g_autoptr(GPtrArray) pending = NULL;

  if (!leap_redis_is_connected (self->redis) || self->unrevoked->len == 0)
    return;
  pending = g_steal_pointer (&self->unrevoked);
  self->unrevoked = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < pending->len; i++)
    {
      g_autofree char *key = leap_keys_session (g_ptr_array_index (pending, i));
      leap_redis_command (self->redis, NULL, NULL, "DEL", key, NULL);
    }
}

gint64
leap_sessions_create_user (LeapSessions *self,
                           const char   *username,
                           const char   *role,
                           const char   *password,
                           GError      **error)
{
  g_autofree char *hash = NULL;

  if (!leap_role_is_valid (role))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) leap_roles);
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Unknown role “%s”: use one of %s", role,
                   list);
      return 0;
    }
  if (username == NULL || *username == '\0' || strlen (username) > 64)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("A username is 1 to 64 characters"));
      return 0;
    }
  if (password == NULL || strlen (password) < 8)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           N_("A password has at least 8 characters"));
      return 0;
    }
  hash = leap_password_hash (password, error);
  if (hash == NULL)
    return 0;
  return leap_store_create_user (self->store, username, role, hash, error);
}

guint64
leap_sessions_get_fallbacks (LeapSessions *self)
{
  return self->fallbacks;
}

/* Cached sessions refused for their MAC, for metrics. */
/* Sign-in failures counted in this process alone, Redis not answering. */
guint64
leap_sessions_get_local_limits (LeapSessions *self)
{
  g_return_val_if_fail (LEAP_IS_SESSIONS (self), 0);

  return leap_rate_limiter_get_local (self->per_user) +
         leap_rate_limiter_get_local (self->per_address);
}

guint64
leap_sessions_get_forged (LeapSessions *self)
{
  return self->forged;
}

/* Session key file */

/* "sqlite:/var/lib/leap/leap.db" → "/var/lib/leap/leap.db.session-key",
 * next to the ticket key: every backend started with the same --database
 * on this machine shares it. */
char *
leap_session_key_path_for_database (const char *database_url)
{
  return leap_key_file_path_for_database (database_url, ".session-key");
}

/**
 * leap_sessions_load_key:
 * @path: a file holding 32 random bytes in base64 (mode 0600), made if missing
 *
 * Sets the key that signs the sessions this process caches in Redis and
 * checks those it reads. Every backend sharing the Redis must load the same
 * file. Without it a process uses a random key of its own.
 */
gboolean
leap_sessions_load_key (LeapSessions *self,
                        const char   *path,
                        GError      **error)
{
  guint8 key[crypto_auth_hmacsha256_KEYBYTES];

  g_return_val_if_fail (LEAP_IS_SESSIONS (self), FALSE);
  if (!leap_key_file_load (path, "session key", key, sizeof key, error))
    return FALSE;
  memcpy (self->mac_key, key, sizeof key);
  sodium_memzero (key, sizeof key);
  /* Sessions checked under the old key are checked again. */
  g_hash_table_remove_all (self->near);
  return TRUE;
}

static void
leap_sessions_dispose (GObject *object)
{
  LeapSessions *self = LEAP_SESSIONS (object);

  if (self->redis != NULL)
    g_signal_handlers_disconnect_by_data (self->redis, self);
  if (self->subscriber != NULL)
    {
      leap_redis_unsubscribe_all (self->subscriber, self);
      g_signal_handlers_disconnect_by_data (self->subscriber, self);
    }
  g_clear_object (&self->subscriber);
  g_clear_object (&self->redis);
  g_clear_object (&self->store);
  g_clear_object (&self->per_user);
  g_clear_object (&self->per_address);

  G_OBJECT_CLASS (leap_sessions_parent_class)->dispose (object);
}

static void
leap_sessions_finalize (GObject *object)
{
  LeapSessions *self = LEAP_SESSIONS (object);

  g_ptr_array_unref (self->unrevoked);
  g_hash_table_unref (self->near);
  g_free (self->dummy_hash);
  sodium_memzero (self->mac_key, sizeof self->mac_key);

  G_OBJECT_CLASS (leap_sessions_parent_class)->finalize (object);
}

static void
leap_sessions_class_init (LeapSessionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_sessions_dispose;
  object_class->finalize = leap_sessions_finalize;
}

static void
leap_sessions_init (LeapSessions *self)
{
  self->unrevoked = g_ptr_array_new_with_free_func (g_free);
  self->near = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) near_free);
  randombytes_buf (self->mac_key, sizeof self->mac_key);
}

LeapSessions *
leap_sessions_new (LeapStore *store,
                   LeapRedis *redis,
                   LeapRedis *subscriber,
                   guint      ttl_s)
{
  LeapSessions *self = g_object_new (LEAP_TYPE_SESSIONS, NULL);
  g_autofree char *random = leap_token_new ();

  self->store = g_object_ref (store);
  self->redis = g_object_ref (redis);
  self->per_user =
    leap_rate_limiter_new (redis, "sign-in-user", LOGIN_FAILURES_PER_USER, LOGIN_WINDOW_S);
  self->per_address =
    leap_rate_limiter_new (redis, "sign-in-address", LOGIN_FAILURES_PER_ADDRESS, LOGIN_WINDOW_S);
  self->ttl_s = ttl_s;
  self->dummy_hash = leap_password_hash (random, NULL);
  g_signal_connect_swapped (redis, "notify::connected", G_CALLBACK (redis_connected_cb), self);
  if (subscriber != NULL)
    {
      self->subscriber = g_object_ref (subscriber);
      leap_redis_subscribe (subscriber, leap_keys_session_revoked_channel (),
                            revoked_message_cb, self);
      g_signal_connect_swapped (subscriber, "notify::connected", G_CALLBACK (subscriber_state_cb),
                                self);
    }
  return self;
}

/* An HMAC-SHA256 (hex) of @text under the session key, for other
 * short-lived proofs every backend of the database checks (the waiting
 * room's admissions). @text starts with a purpose of its own, so that no
 * proof passes for another, nor for a cached session. */
char *
leap_sessions_sign (LeapSessions *self,
                    const char   *text)
{
  guint8 mac[crypto_auth_hmacsha256_BYTES];
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];

  g_return_val_if_fail (LEAP_IS_SESSIONS (self) && text != NULL, NULL);
  g_return_val_if_fail (!g_str_has_prefix (text, "leap-session-"), NULL);

  crypto_auth_hmacsha256 (mac, (const guint8 *) text, strlen (text), self->mac_key);
  sodium_bin2hex (hex, sizeof hex, mac, sizeof mac);
  return g_strdup (hex);
}

gboolean
leap_sessions_verify (LeapSessions *self,
                      const char   *text,
                      const char   *mac)
{
  g_autofree char *expected = leap_sessions_sign (self, text);

  return expected != NULL && mac != NULL && strlen (mac) == strlen (expected) &&
         sodium_memcmp (mac, expected, strlen (expected)) == 0;
}
