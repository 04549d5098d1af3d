/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <sodium.h>

#include <glib/gi18n.h>
#include <string.h>

#include "leap-application.h"
#include "leap-offline-cache.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-kiosk-window.h"
#include "leap-timings.h"
#include "leap-token-store.h"
#include "leap-window.h"

/* The application: it owns the API client, the offline cache and the
 * settings, runs the periodic sync, keeps the session token in the keyring,
 * and signs in unattended with --user and --password-file. */
struct _LeapApplication
{
  AdwApplication    parent_instance;

  /* Owned */
  GSettings        *settings;
  LeapClient       *client;
  LeapOfflineCache *cache;
  GCancellable     *cancellable;
  char             *server_option;
  char             *user_option;
  char             *password_file;
  guint             sync_id;
  guint             resign_id;
  gboolean          kiosk;
  gboolean          kiosk_active;
  gboolean          unattended;
  gboolean          started;
};

G_DEFINE_FINAL_TYPE (LeapApplication, leap_application, ADW_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL, N_("Address of the Leap server"), N_("URL") },
  { "user", 'u', 0, G_OPTION_ARG_STRING, NULL, N_("Sign in as this user without asking"),
    N_("NAME") },
  { "password-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Read the password for --user from this file"), N_("FILE") },
  { "kiosk", 'k', 0, G_OPTION_ARG_NONE, NULL, N_("Start in the self-service kiosk mode"), NULL },
  { "set-kiosk-pin", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Read the staff PIN that leaves the kiosk from standard input, keep its hash and exit"),
    NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  { NULL }
};

static LeapWindow *
get_window (LeapApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  return LEAP_IS_WINDOW (window) ? LEAP_WINDOW (window) : NULL;
}

static void
toast (LeapApplication *self,
       const char      *message)
{
  LeapWindow *window = get_window (self);

  if (window != NULL)
    leap_window_add_toast (window, message);
  else
    g_message ("%s", message);
}

/* user_data: when the sync began (monotonic µs), for LEAP_TIMINGS. */
static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Being offline is shown in the header; nothing more to say here. */
  if (!leap_offline_cache_sync_finish (LEAP_OFFLINE_CACHE (source), result, &error))
    g_debug ("Sync: %s", error->message);
  else
    leap_timings_mark ("synced", "in %.0f ms",
                       (g_get_monotonic_time () - (gint64) GPOINTER_TO_SIZE (user_data)) / 1000.0);
}

void
leap_application_sync_now (LeapApplication *self)
{
  g_return_if_fail (LEAP_IS_APPLICATION (self));

  if (self->cache == NULL || leap_offline_cache_get_syncing (self->cache))
    return;
  leap_offline_cache_sync_async (self->cache, self->client, self->cancellable, sync_cb,
                                 GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
}

static gboolean
sync_timeout_cb (gpointer user_data)
{
  leap_application_sync_now (user_data);
  return G_SOURCE_CONTINUE;
}

static void
restart_sync_timer (LeapApplication *self)
{
  g_clear_handle_id (&self->sync_id, g_source_remove);
  self->sync_id = g_timeout_add_seconds (g_settings_get_uint (self->settings, "sync-interval"),
                                         sync_timeout_cb, self);
}

static void
reload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LeapApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!leap_offline_cache_reload_finish (LEAP_OFFLINE_CACHE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  leap_timings_mark ("cache-loaded", "%u events",
                     g_list_model_get_n_items (leap_offline_cache_get_events (self->cache)));
}

static void
token_saved_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!leap_token_store_save_finish (result, &error))
    g_debug ("The session is not kept: %s", error->message);
}

static void
token_cleared_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!leap_token_store_clear_finish (result, &error))
    g_debug ("No kept session cleared: %s", error->message);
}

static void sign_in_unattended  (LeapApplication *self);
static void sign_in_again_later (LeapApplication *self);

static void
signed_in_changed_cb (LeapApplication *self)
{
  const char *server = leap_client_get_base_url (self->client);

  if (leap_client_get_signed_in (self->client))
    {
      g_settings_set_string (self->settings, "last-username",
                             leap_client_get_username (self->client));
      if (!self->unattended && g_settings_get_boolean (self->settings, "remember-session"))
        leap_token_store_save_async (server, leap_client_get_username (self->client),
                                     leap_client_get_token (self->client), self->cancellable,
                                     token_saved_cb, NULL);
    }
  else if (leap_client_get_token (self->client) == NULL && !self->unattended)
    leap_token_store_clear_async (server, self->cancellable, token_cleared_cb, NULL);
  else if (self->unattended)
    sign_in_again_later (self);
}

static void
base_url_changed_cb (LeapApplication *self)
{
  if (self->server_option == NULL)
    g_settings_set_string (self->settings, "server-url", leap_client_get_base_url (self->client));
  leap_application_sync_now (self);
}

/* A kiosk has nobody to sign it in: it tries again until the server
 * takes it (the server may start after the kiosk, or forget it). */
static gboolean
sign_in_again_cb (gpointer user_data)
{
  LeapApplication *self = user_data;

  self->resign_id = 0;
  if (!leap_client_get_signed_in (self->client))
    sign_in_unattended (self);
  return G_SOURCE_REMOVE;
}

static void
sign_in_again_later (LeapApplication *self)
{
  if (self->kiosk_active && self->user_option != NULL && self->resign_id == 0)
    self->resign_id = g_timeout_add_seconds (5, sign_in_again_cb, self);
}

static void
unattended_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LeapApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (leap_client_sign_in_finish (LEAP_CLIENT (source), result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  message = g_strdup_printf (_("Could not sign in as %s: %s"), self->user_option, error->message);
  toast (self, message);
  sign_in_again_later (self);
}

static void
sign_in_unattended (LeapApplication *self)
{
  g_autofree char *password = NULL;
  g_autoptr(GError) error = NULL;
  char *newline;

  if (self->password_file == NULL ||
      !g_file_get_contents (self->password_file, &password, NULL, &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("Could not sign in as %s: no password (%s)"), self->user_option,
                         error ? error->message : _("--password-file is missing"));
      toast (self, message);
      return;
    }
  if ((newline = strpbrk (password, "\r\n")) != NULL)
    *newline = '\0';
  self->unattended = TRUE;
  leap_client_sign_in_async (self->client, self->user_option, password, self->cancellable,
                             unattended_cb, g_object_ref (self));
  memset (password, 0, strlen (password));
}

static void
resume_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!leap_client_resume_finish (LEAP_CLIENT (source), result, &error))
    g_debug ("The kept session is not usable: %s", error->message);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LeapApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = leap_token_store_lookup_finish (result, &error);

  if (token == NULL)
    {
      if (error != NULL)
        g_debug ("No kept session: %s", error->message);
      return;
    }
  if (!leap_client_get_signed_in (self->client))
    leap_client_resume_async (self->client, token, self->cancellable, resume_cb, NULL);
}

/* A kept session that could not be checked because the server was out of
 * reach is checked again as soon as the server answers. */
static void
connection_changed_cb (LeapApplication *self)
{
  const char *token = leap_client_get_token (self->client);
  g_autofree char *copy = NULL;

  if (leap_client_get_connection (self->client) != LEAP_CONNECTION_ONLINE ||
      leap_client_get_signed_in (self->client) || token == NULL)
    return;
  copy = g_strdup (token);
  leap_client_resume_async (self->client, copy, self->cancellable, resume_cb, NULL);
}

/* --set-kiosk-pin: the PIN from standard input (a line), only its hash kept. */
static int
set_kiosk_pin (void)
{
  g_autoptr(GIOChannel) input = g_io_channel_unix_new (0);
  g_autofree char *line = NULL;
  g_autofree char *hash = NULL;
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  if (g_io_channel_read_line (input, &line, NULL, NULL, NULL) != G_IO_STATUS_NORMAL)
    g_clear_pointer (&line, g_free);
  if (line != NULL)
    g_strstrip (line);
  if (line == NULL || strlen (line) < 4)
    {
      g_printerr ("%s\n", _("The staff PIN needs at least 4 characters, on standard input"));
      return 1;
    }
  hash = leap_kiosk_hash_pin (line);
  sodium_memzero (line, strlen (line));
  if (hash == NULL || !g_settings_set_string (settings, "kiosk-pin-hash", hash))
    {
      g_printerr ("%s\n", _("The staff PIN could not be kept"));
      return 1;
    }
  g_settings_sync ();
  g_print ("%s\n", _("The staff PIN is set"));
  return 0;
}

static int
leap_application_handle_local_options (GApplication *app,
                                       GVariantDict *options_dict)
{
  LeapApplication *self = LEAP_APPLICATION (app);

  if (g_variant_dict_contains (options_dict, "version"))
    {
      g_print ("leap-boxoffice %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_contains (options_dict, "set-kiosk-pin"))
    return set_kiosk_pin ();
  g_variant_dict_lookup (options_dict, "server", "s", &self->server_option);
  g_variant_dict_lookup (options_dict, "user", "s", &self->user_option);
  g_variant_dict_lookup (options_dict, "password-file", "^ay", &self->password_file);
  self->kiosk = g_variant_dict_contains (options_dict, "kiosk");

  return G_APPLICATION_CLASS (leap_application_parent_class)
      ->handle_local_options (app, options_dict);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_autolist(GtkWindow) windows = NULL;

  /* Each window is closed as by its close button, so that one with held
   * tickets asks first; the application ends with its last window. */
  for (GList *l = gtk_application_get_windows (user_data); l != NULL; l = l->next)
    windows = g_list_prepend (windows, g_object_ref (l->data));
  if (windows == NULL)
    g_application_quit (G_APPLICATION (user_data));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  LeapApplication *self = user_data;
  static const char *developers[] = { "The Leap Box Office developers", NULL };

  adw_show_about_window (GTK_WINDOW (get_window (self)),
                         "application-name", _("Leap Box Office"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "comments", _("Sell and check tickets at the box office"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
};

static void
leap_application_startup (GApplication *app)
{
  LeapApplication *self = LEAP_APPLICATION (app);
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.new-sale", { "<Control>n", NULL } },
    { "win.pay-cash", { "F9", "<Control><Shift>c", NULL } },
    { "win.print", { "<Control>p", NULL } },
    { "win.pay-card", { "F10", NULL } },
    { "win.sync", { "<Control>r", "F5", NULL } },
    { "win.show-view::sell", { "<Alt>1", NULL } },
    { "win.show-view::orders", { "<Alt>2", NULL } },
    { "win.show-view::check-in", { "<Alt>3", NULL } },
    { "win.show-view::shift", { "<Alt>4", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
  };

  G_APPLICATION_CLASS (leap_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions),
                                   self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  self->settings = g_settings_new (APP_ID);
  server = self->server_option ? g_strdup (self->server_option)
                               : g_settings_get_string (self->settings, "server-url");
  self->client = leap_client_new (server);

  self->cache = leap_offline_cache_new (NULL, &error);
  if (self->cache == NULL)
    {
      /* Selling does not need the cache: keep going with one in memory. */
      g_message ("The offline cache cannot be used, so nothing is kept offline: %s",
                 error->message);
      self->cache = leap_offline_cache_new (":memory:", NULL);
    }

  g_signal_connect_object (self->client, "notify::signed-in", G_CALLBACK (signed_in_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::base-url", G_CALLBACK (base_url_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (connection_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::sync-interval",
                           G_CALLBACK (restart_sync_timer), self, G_CONNECT_SWAPPED);
}

/* The kiosk: its own window, no shortcuts of the box office (Ctrl+Q
 * would leave it), signed in with --user or the kept session. */
static void
activate_kiosk (LeapApplication *self,
                gboolean         first)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_auto(GStrv) actions = NULL;
  static const char *none[] = { NULL };

  self->kiosk_active = TRUE;
  if (!LEAP_IS_KIOSK_WINDOW (window))
    window = GTK_WINDOW (leap_kiosk_window_new (GTK_APPLICATION (self), self->client, self->cache));
  gtk_window_present (window);
  if (!first)
    return;

  actions = gtk_application_list_action_descriptions (GTK_APPLICATION (self));
  for (guint i = 0; actions[i] != NULL; i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), actions[i], none);
  leap_application_sync_now (self);
  restart_sync_timer (self);
  if (self->user_option != NULL)
    sign_in_unattended (self);
  else
    leap_token_store_lookup_async (leap_client_get_base_url (self->client), self->cancellable,
                                   lookup_cb, g_object_ref (self));
}

static void
leap_application_activate (GApplication *app)
{
  LeapApplication *self = LEAP_APPLICATION (app);
  LeapWindow *window = get_window (self);
  gboolean first = !self->started;

  leap_timings_mark ("activate", "%s", "");
  /* The list comes from the cache at once, read in a thread while the
   * window is being built; the sync follows. */
  self->started = TRUE;
  if (first)
    leap_offline_cache_reload_async (self->cache, self->cancellable, reload_cb,
                                     g_object_ref (self));

  if (self->kiosk || g_settings_get_boolean (self->settings, "kiosk"))
    {
      activate_kiosk (self, first);
      return;
    }

  if (window == NULL)
    window = leap_window_new (self, self->client, self->cache);
  gtk_window_present (GTK_WINDOW (window));
  leap_timings_mark ("window", "%s", "");

  if (!first)
    return;
  leap_application_sync_now (self);
  restart_sync_timer (self);

  if (self->user_option != NULL)
    sign_in_unattended (self);
  else
    leap_token_store_lookup_async (leap_client_get_base_url (self->client), self->cancellable,
                                   lookup_cb, g_object_ref (self));
}

static void
leap_application_shutdown (GApplication *app)
{
  LeapApplication *self = LEAP_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->sync_id, g_source_remove);
  g_clear_handle_id (&self->resign_id, g_source_remove);

  G_APPLICATION_CLASS (leap_application_parent_class)->shutdown (app);
}

static void
leap_application_finalize (GObject *object)
{
  LeapApplication *self = (LeapApplication *) object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->server_option, g_free);
  g_clear_pointer (&self->user_option, g_free);
  g_clear_pointer (&self->password_file, g_free);

  G_OBJECT_CLASS (leap_application_parent_class)->finalize (object);
}

static void
leap_application_class_init (LeapApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = leap_application_finalize;
  app_class->handle_local_options = leap_application_handle_local_options;
  app_class->startup = leap_application_startup;
  app_class->activate = leap_application_activate;
  app_class->shutdown = leap_application_shutdown;
}

static void
leap_application_init (LeapApplication *self)
{
  self->cancellable = g_cancellable_new ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("The box office of the Leap ticketing system."));
}

LeapApplication *
leap_application_new (void)
{
  return g_object_new (LEAP_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/io/github/leapboxoffice/BoxOffice",
                       NULL);
}

LeapClient *
leap_application_get_client (LeapApplication *self)
{
  g_return_val_if_fail (LEAP_IS_APPLICATION (self), NULL);
  return self->client;
}

LeapOfflineCache *
leap_application_get_cache (LeapApplication *self)
{
  g_return_val_if_fail (LEAP_IS_APPLICATION (self), NULL);
  return self->cache;
}
