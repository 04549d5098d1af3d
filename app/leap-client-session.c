/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "leap-client-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* LeapClient's session: signing in, resuming a kept token, signing out. */

static gboolean
read_session (LeapClient *self,
              JsonObject *root,
              const char *token,
              GError    **error)
{
  JsonNode *node = json_object_get_member (root, "user");
  JsonObject *user;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                           _("The server's answer has no user in it"));
      return FALSE;
    }
  user = json_node_get_object (node);
  if (token == NULL || leap_json_get_string (user, "username", NULL) == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                           _("The server's answer has no session token or user name"));
      return FALSE;
    }
  _leap_client_set_session (self, token, leap_json_get_string (user, "username", NULL),
               leap_json_get_string (user, "role", NULL));
  return TRUE;
}

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapClient *self = LEAP_CLIENT (source);
  g_autoptr(JsonObject) root = NULL;
  GError *error = NULL;

  root = leap_client_send_json_finish (self, result, &error);
  if (root == NULL ||
      !read_session (self, root, leap_json_get_string (root, "token", NULL), &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
leap_client_sign_in_async (LeapClient          *self,
                           const char          *username,
                           const char          *password,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) body = json_object_new ();

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_sign_in_async);

  /* A new sign-in replaces whoever was signed in before. */
  _leap_client_set_session (self, NULL, NULL, NULL);

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  leap_client_send_async (self, "POST", "/api/v1/sessions", body, cancellable,
                          sign_in_cb, g_steal_pointer (&task));
}

gboolean
leap_client_sign_in_finish (LeapClient   *self,
                            GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapClient *self = LEAP_CLIENT (source);
  const char *token = g_task_get_task_data (task);
  g_autoptr(JsonObject) root = NULL;
  GError *error = NULL;

  root = leap_client_send_json_finish (self, result, &error);
  if (root == NULL || !read_session (self, root, token, &error))
    {
      /* Keep the token while the server is merely out of reach: the
       * session may well still be good when it comes back. */
      if (!g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        _leap_client_set_session (self, NULL, NULL, NULL);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

/* Checks a token kept from an earlier run and, if the server still knows
 * it, signs in with it. */
void
leap_client_resume_async (LeapClient          *self,
                          const char          *token,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));
  g_return_if_fail (token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_resume_async);
  g_task_set_task_data (task, g_strdup (token), g_free);

  /* The request must carry the token; the user is only known afterwards. */
  g_free (self->token);
  self->token = g_strdup (token);
  leap_client_send_async (self, "GET", "/api/v1/sessions/current", NULL, cancellable,
                          resume_cb, g_steal_pointer (&task));
}

gboolean
leap_client_resume_finish (LeapClient   *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Forgets the session here at once, then tells the server. The local
 * sign-out holds even when the server cannot be told. */
void
leap_client_sign_out_async (LeapClient          *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *token = NULL;

  g_return_if_fail (LEAP_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_client_sign_out_async);

  token = g_strdup (self->token);
  _leap_client_set_session (self, NULL, NULL, NULL);
  if (token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The request still needs the old token; put it back just for it. */
  self->token = g_steal_pointer (&token);
  leap_client_send_async (self, "DELETE", "/api/v1/sessions/current", NULL, cancellable,
                          _leap_client_send_boolean_cb, g_steal_pointer (&task));
  g_clear_pointer (&self->token, g_free);
}

gboolean
leap_client_sign_out_finish (LeapClient   *self,
                             GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
