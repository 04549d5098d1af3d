/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>

#ifdef HAVE_LIBSECRET
#include <libsecret/secret.h>
#endif

#include "leap-token-store.h"

/* Keeps the session token in the user's keyring (libsecret), one per
 * server. Where there is no keyring — no session bus, as under Xvfb in CI,
 * a kiosk without a desktop, or LEAP_NO_KEYRING set — every call fails
 * quickly with G_IO_ERROR_NOT_SUPPORTED and the app simply asks to sign in
 * again next time. */

#ifdef HAVE_LIBSECRET
static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.leapboxoffice.BoxOffice.Session", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  };
  return &schema;
}
#endif

gboolean
leap_token_store_is_available (void)
{
#ifdef HAVE_LIBSECRET
  const char *bus = g_getenv ("DBUS_SESSION_BUS_ADDRESS");

  if (g_getenv ("LEAP_NO_KEYRING") != NULL)
    return FALSE;
  /* Without a session bus GDBus might autolaunch one through X11, leaving a
   * stray daemon behind: don't. */
  if (bus == NULL || bus[0] == '\0')
    {
      g_autofree char *runtime_bus = g_build_filename (g_get_user_runtime_dir (), "bus", NULL);
      return g_file_test (runtime_bus, G_FILE_TEST_EXISTS);
    }
  return TRUE;
#else
  return FALSE;
#endif
}

static gboolean
return_unsupported (GTask *task)
{
  if (leap_token_store_is_available ())
    return FALSE;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("No keyring is available to keep the session"));
  return TRUE;
}

#ifdef HAVE_LIBSECRET
static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *token = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
}
#endif

void
leap_token_store_lookup_async (const char          *server,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, leap_token_store_lookup_async);
  if (return_unsupported (task))
    return;
#ifdef HAVE_LIBSECRET
  secret_password_lookup (get_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                          "server", server, NULL);
#endif
}

/* The token, or NULL with no error when none is kept. */
char *
leap_token_store_lookup_finish (GAsyncResult *result,
                                GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

#ifdef HAVE_LIBSECRET
typedef struct
{
  char *server;
  char *username;
  char *token;
  gboolean cleared;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_free (data->server);
  g_free (data->username);
  g_free (data->token);
  g_free (data);
}

static void
boolean_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (data != NULL && !data->cleared)
    {
      g_autofree char *label = NULL;

      /* One session per server: the old one is gone, now keep the new one. */
      secret_password_clear_finish (result, &error);
      if (error != NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      data->cleared = TRUE;
      label = g_strdup_printf (_("Leap Box Office session at %s"), data->server);
      secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, data->token,
                             g_task_get_cancellable (task), boolean_cb, g_object_ref (task),
                             "server", data->server, "username", data->username, NULL);
      return;
    }

  if (data != NULL)
    secret_password_store_finish (result, &error);
  else
    secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}
#endif

void
leap_token_store_save_async (const char          *server,
                             const char          *username,
                             const char          *token,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, leap_token_store_save_async);
  if (return_unsupported (task))
    return;
#ifdef HAVE_LIBSECRET
  {
    SaveData *data = g_new0 (SaveData, 1);

    data->server = g_strdup (server);
    data->username = g_strdup (username);
    data->token = g_strdup (token);
    g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);
    secret_password_clear (get_schema (), cancellable, boolean_cb, g_steal_pointer (&task),
                           "server", server, NULL);
  }
#endif
}

gboolean
leap_token_store_save_finish (GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
leap_token_store_clear_async (const char          *server,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, leap_token_store_clear_async);
  if (return_unsupported (task))
    return;
#ifdef HAVE_LIBSECRET
  secret_password_clear (get_schema (), cancellable, boolean_cb, g_steal_pointer (&task),
                         "server", server, NULL);
#endif
}

gboolean
leap_token_store_clear_finish (GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
