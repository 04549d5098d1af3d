/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapSessions: sign-in (Argon2id in a thread, the database in the
 * store's pool) and guest sessions. */
#define G_LOG_DOMAIN "leap-sessions"

#include "leap-sessions-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-password.h"

#include <glib/gi18n.h>
#include <string.h>

/* Login and guest sessions */

typedef struct
{
  char   *username;
  char   *password;
  char   *address;
  char   *hash;      /* the stored hash, or the dummy */
  char   *new_hash;  /* set by the thread when the parameters changed */
  gint64  user_id;
  char   *role;
  gboolean disabled;
  gboolean verified;
  guint   retry_after;
  gboolean approve;  /* check the password only: no session */
  JsonObject *answer;
  LeapSession *session; /* made, being written */
} Login;

static void
login_free (Login *login)
{
  g_free (login->username);
  if (login->password != NULL)
    memset (login->password, 0, strlen (login->password));
  g_free (login->password);
  g_free (login->address);
  g_free (login->hash);
  g_free (login->new_hash);
  g_free (login->role);
  g_clear_pointer (&login->answer, json_object_unref);
  g_clear_pointer (&login->session, leap_session_free);
  g_free (login);
}

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Login *login = task_data;

  login->verified = leap_password_verify (login->hash, login->password);
  if (login->verified && leap_password_needs_rehash (login->hash))
    login->new_hash = leap_password_hash (login->password, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
session_written_cb (LeapRedis        *redis,
                    const redisReply *reply,
                    const GError     *error,
                    gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapSessions *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);

  /* The database has the session: a Redis that missed it fills on lookup. */
  if (error != NULL)
    {
      self->fallbacks++;
      g_debug ("Session not written to Redis: %s", error->message);
    }
  g_task_return_pointer (task, json_object_ref (login->answer), (GDestroyNotify) json_object_unref);
}

/* The database's calls, each in a thread of the store's pool. */

static gpointer
put_session_run (LeapStore *store,
                 gpointer   data,
                 GError   **error)
{
  leap_store_put_session (store, data, error);
  return NULL;
}

static gpointer
set_password_hash_run (LeapStore *store,
                       gpointer   data,
                       GError   **error)
{
  Login *login = data;

  leap_store_set_password_hash (store, login->user_id, login->new_hash, error);
  return NULL;
}

static gpointer
get_user_run (LeapStore *store,
              gpointer   data,
              GError   **error)
{
  return leap_store_get_user (store, data, error);
}

static void
session_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  LeapSessions *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  leap_store_call_finish (LEAP_STORE (object), result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  _leap_sessions_cache (self, login->session, session_written_cb, task);
}

static void
start_session (GTask      *task,
               gint64      user_id,
               const char *username,
               const char *role)
{
  LeapSessions *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  g_autofree char *token = leap_token_new ();
  g_autoptr(LeapSession) session = g_new0 (LeapSession, 1);
  g_autoptr(JsonObject) row = json_object_new ();
  g_autoptr(GError) error = NULL;

  session->token_hash = leap_token_hash (token);
  session->user_id = user_id;
  session->username = g_strdup (username);
  session->role = g_strdup (role);
  session->expires_at = _leap_sessions_now_s () + self->ttl_s;

  json_object_set_string_member (row, "token_hash", session->token_hash);
  if (user_id > 0)
    json_object_set_int_member (row, "user_id", user_id);
  json_object_set_string_member (row, "role", role);
  json_object_set_int_member (row, "created_at", _leap_sessions_now_s ());
  json_object_set_int_member (row, "expires_at", session->expires_at);

  login->answer = leap_session_to_json (session);
  json_object_set_string_member (login->answer, "token", token);
  login->session = g_steal_pointer (&session);
  leap_store_call_async (self->store, put_session_run, g_steal_pointer (&row),
                         (GDestroyNotify) json_object_unref, NULL, NULL, session_stored_cb, task);
}

static void
rehashed_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  leap_store_call_finish (LEAP_STORE (object), result, &error);
  if (error != NULL)
    g_warning ("Could not store a renewed password hash: %s", error->message);
}

/* Runs @op on the login's first @n limits: the account's, then the
 * address's. */
static void
count_login (LeapSessions       *self,
             Login              *login,
             LeapRateLimitOp     op,
             guint               n,
             GAsyncReadyCallback callback,
             gpointer            user_data)
{
  LeapRateLimiter *limiters[] = { self->per_user, self->per_address };
  const char *keys[] = { login->username, login->address };

  leap_rate_limiter_run_async (op, n, limiters, keys, callback, user_data);
}

static void
failure_counted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  leap_rate_limiter_run_finish (result, NULL);
  g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED,
                           N_("Wrong username or password"));
}

static void
verified_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  LeapSessions *self = LEAP_SESSIONS (object);
  g_autoptr(GTask) task = user_data;
  Login *login = g_task_get_task_data (task);

  if (!login->verified || login->user_id == 0 || login->disabled)
    {
      g_info ("Failed sign-in for “%s” from %s", login->username, login->address);
      /* Answered once counted, so that the next guess, on any backend,
       * sees this one. */
      count_login (self, login, LEAP_RATE_LIMIT_ADD, 2, failure_counted_cb,
                   g_steal_pointer (&task));
      return;
    }

  count_login (self, login, LEAP_RATE_LIMIT_RESET, 1, NULL, NULL);
  if (login->new_hash != NULL)
    leap_store_call_async (self->store, set_password_hash_run, login, NULL, NULL, NULL,
                           rehashed_cb, g_object_ref (task));
  if (login->approve)
    {
      LeapSession *who = g_new0 (LeapSession, 1);

      who->user_id = login->user_id;
      who->username = g_strdup (login->username);
      who->role = g_strdup (login->role);
      g_task_return_pointer (task, who, (GDestroyNotify) leap_session_free);
      return;
    }
  start_session (g_steal_pointer (&task), login->user_id, login->username, login->role);
}

static void user_read_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data);
static void limits_checked_cb (GObject      *object,
                               GAsyncResult *result,
                               gpointer      user_data);

static void
check_password (LeapSessions       *self,
                const char         *username,
                const char         *password,
                const char         *client_address,
                gboolean            approve,
                gpointer            source_tag,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  Login *login = g_new0 (Login, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, login, (GDestroyNotify) login_free);
  login->approve = approve;
  login->username = g_strdup (username);
  login->password = g_strdup (password);
  login->address = g_strdup (client_address);

  count_login (self, login, LEAP_RATE_LIMIT_CHECK, 2, limits_checked_cb, task);
}

static void
limits_checked_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapSessions *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);

  if (!leap_rate_limiter_run_finish (result, &login->retry_after))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_RATE_LIMITED,
                               "Too many failed sign-ins; try again in %u seconds",
                               login->retry_after);
      return;
    }

  leap_store_call_async (self->store, get_user_run, g_strdup (login->username), g_free,
                         (GDestroyNotify) json_object_unref, NULL, user_read_cb,
                         g_steal_pointer (&task));
}

static void
user_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapSessions *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (user == NULL && !g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (user != NULL)
    {
      login->user_id = json_object_get_int_member (user, "id");
      login->hash = g_strdup (json_object_get_string_member (user, "password_hash"));
      login->role = g_strdup (json_object_get_string_member (user, "role"));
      login->disabled = json_object_get_int_member (user, "disabled") != 0;
    }
  else
    login->hash = g_strdup (self->dummy_hash);

  /* Argon2id takes a tenth of a second: never on the main loop. */
  {
    GTask *thread_task = g_task_new (self, NULL, verified_cb, g_steal_pointer (&task));
    g_task_set_task_data (thread_task, login, NULL);
    g_task_run_in_thread (thread_task, verify_thread);
    g_object_unref (thread_task);
  }
}

void
leap_sessions_login_async (LeapSessions       *self,
                           const char         *username,
                           const char         *password,
                           const char         *client_address,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  check_password (self, username, password, client_address, FALSE, leap_sessions_login_async,
                  callback, user_data);
}

/* Checks a user's password as a sign-in does (Argon2id in a thread, the
 * same limits on failures, which count towards the sign-in's) and says
 * who it is, without starting a session: for a manager who approves
 * something on another person's screen. */
void
leap_sessions_approve_async (LeapSessions       *self,
                             const char         *username,
                             const char         *password,
                             const char         *client_address,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  check_password (self, username, password, client_address, TRUE, leap_sessions_approve_async,
                  callback, user_data);
}

/* The approving user (user_id, username, role; no token), or NULL. */
LeapSession *
leap_sessions_approve_finish (LeapSessions *self,
                              GAsyncResult *result,
                              guint        *retry_after_s,
                              GError      **error)
{
  Login *login = g_task_get_task_data (G_TASK (result));

  if (retry_after_s != NULL)
    *retry_after_s = login->retry_after;
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
leap_sessions_guest_async (LeapSessions       *self,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, leap_sessions_guest_async);
  g_task_set_task_data (task, g_new0 (Login, 1), (GDestroyNotify) login_free);
  start_session (task, 0, NULL, "guest");
}

JsonObject *
leap_sessions_login_finish (LeapSessions *self,
                            GAsyncResult *result,
                            guint        *retry_after_s,
                            GError      **error)
{
  Login *login = g_task_get_task_data (G_TASK (result));

  if (retry_after_s != NULL)
    *retry_after_s = login->retry_after;
  return g_task_propagate_pointer (G_TASK (result), error);
}

