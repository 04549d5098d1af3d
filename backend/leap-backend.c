/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-backend"

#include "leap-config.h"
#include "leap-backend.h"
#include "leap-conn-guard.h"
#include "leap-error.h"
#include "leap-framing.h"
#include "leap-http-context.h"
#include "leap-router.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

struct _LeapBackend
{
  GObject           parent_instance;

  LeapBackendConfig config;
  /* Owned: every object the HTTP layer borrows through it */
  LeapHttpContext   ctx;
  /* Owned: accepts connections for ctx.server through LeapFramingInput */
  GSocketService   *service;

  guint16           port;
};

G_DEFINE_FINAL_TYPE (LeapBackend, leap_backend, G_TYPE_OBJECT)

#define LUA_RESOURCES "/io/github/leapboxoffice/lua"
/* A backend that dies leaves the timers to another within this long. */
#define TIMERS_LEASE_MS 6000

static void
redis_state_cb (LeapBackend *self)
{
  if (leap_redis_is_connected (self->ctx.redis))
    g_message ("Redis is back: reads go through the cache again");
  else
    g_warning ("Redis is unreachable: serving from the database until it returns");
}

LeapBackend *
leap_backend_new (const LeapBackendConfig *config,
                  GError                 **error)
{
  g_autoptr(LeapBackend) self = g_object_new (LEAP_TYPE_BACKEND, NULL);
  LeapHttpContext *ctx = &self->ctx;

  self->config = *config;
  self->config.listen_host = g_strdup (config->listen_host);
  self->config.redis_host = g_strdup (config->redis_host);
  self->config.redis_sentinels = g_strdupv (config->redis_sentinels);
  self->config.redis_master = g_strdup (config->redis_master);
  self->config.database_url = g_strdup (config->database_url);
  self->config.ticket_key = g_strdup (config->ticket_key);
  self->config.session_key = g_strdup (config->session_key);
  self->config.cors_origins = g_strdupv (config->cors_origins);
  /* Resolved once, so that every file served is checked against it. */
  self->config.web_root = NULL;
  if (config->web_root != NULL)
    {
      self->config.web_root = realpath (config->web_root, NULL);
      if (self->config.web_root == NULL ||
          !g_file_test (self->config.web_root, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "--web-root %s is not a folder",
                       config->web_root);
          return NULL;
        }
    }
  ctx->web_root = self->config.web_root;
  self->config.trusted_proxies = g_strdupv (config->trusted_proxies);
  self->config.database_replicas = g_strdupv (config->database_replicas);
  ctx->cors_origins = self->config.cors_origins;
  ctx->max_body = self->config.max_body;

  ctx->trusted_proxies =
    leap_request_parse_proxies ((const char * const *) config->trusted_proxies, error);
  if (ctx->trusted_proxies == NULL)
    return NULL;

  ctx->store = leap_store_open (config->database_url, error);
  if (ctx->store == NULL ||
      !leap_store_set_replicas (ctx->store, (const char * const *) config->database_replicas,
                                error))
    return NULL;
  leap_store_set_connections (ctx->store, config->database_connections);

  ctx->redis = leap_redis_new_full (config->redis_host, config->redis_port,
                                    (const char * const *) config->redis_sentinels,
                                    config->redis_master);
  leap_redis_load_scripts (ctx->redis, LUA_RESOURCES);
  ctx->subscriber = leap_redis_new_full (config->redis_host, config->redis_port,
                                         (const char * const *) config->redis_sentinels,
                                         config->redis_master);
  g_signal_connect_swapped (ctx->redis, "notify::connected", G_CALLBACK (redis_state_cb), self);

  ctx->cache = leap_cache_new (ctx->redis, ctx->subscriber, config->near_cache_ms);
  ctx->catalogue = leap_catalogue_new (ctx->store, ctx->cache);
  ctx->sessions = leap_sessions_new (ctx->store, ctx->redis, ctx->subscriber,
                                     config->session_ttl_s);
  {
    g_autofree char *key = config->session_key
                               ? g_strdup (config->session_key)
                               : leap_session_key_path_for_database (config->database_url);

    if (!leap_sessions_load_key (ctx->sessions, key, error))
      return NULL;
  }
  ctx->metrics = leap_metrics_new ();
  {
    LeapHoldsConfig holds = { config->hold_ttl_s, config->guest_max_holds,
                              config->guest_max_tickets, config->guest_address_max_tickets,
                              config->redis_wait_ms };
    ctx->holds = leap_holds_new (ctx->store, ctx->redis, &holds);
    leap_holds_watch (ctx->holds, ctx->subscriber);
  }
  ctx->orders = leap_orders_new (ctx->store, ctx->redis);
  ctx->guest_holds = leap_rate_limiter_new (ctx->redis, "guest-holds", config->guest_rate, 60);
  ctx->guest_holds_by_address =
    leap_rate_limiter_new (ctx->redis, "guest-holds-address", config->guest_rate * 10, 60);
  ctx->guest_sessions =
    leap_rate_limiter_new (ctx->redis, "guest-sessions", config->guest_rate, 60);
  /* The work one backend of many does alone; see leap-lease.c. */
  ctx->timers = leap_lease_new (ctx->redis, "timers", TIMERS_LEASE_MS);
  ctx->refunds = leap_refunds_new (ctx->store, ctx->redis);
  leap_refunds_set_lease (ctx->refunds, ctx->timers);
  ctx->dead_letters = leap_dead_letters_new (ctx->store, ctx->redis);
  ctx->reconciler =
    leap_reconciler_new (ctx->store, ctx->redis, ctx->holds, config->reconcile_interval_s);
  leap_reconciler_set_lease (ctx->reconciler, ctx->timers);
  {
    /* An admission lasts long enough to pick seats and hold them. */
    LeapWaitingRoomConfig room = { config->waiting_room_rate, config->waiting_room_window_s,
                                   config->waiting_room_timeout_s, 300 };
    ctx->waiting_room =
      leap_waiting_room_new (ctx->redis, ctx->catalogue, ctx->sessions, ctx->timers, &room);
  }
  {
    g_autofree char *key = config->ticket_key
                               ? g_strdup (config->ticket_key)
                               : leap_ticket_key_path_for_database (config->database_url);
    g_autoptr(LeapTicketSigner) signer = leap_ticket_signer_new_from_file (key, error);

    if (signer == NULL)
      return NULL;
    ctx->tickets = leap_tickets_new (ctx->store, signer);
  }

  /* The product only: a version would tell an attacker which bugs to try. */
  ctx->server = soup_server_new ("server-header", "Leap", NULL);
  leap_router_install (ctx, ctx->server);
  ctx->live = leap_live_new (ctx->server, ctx->subscriber, ctx->holds);
  leap_live_watch_orders (ctx->live, ctx->sessions, ctx->orders);
  leap_live_set_limits (ctx->live, ctx,
                        &(LeapLiveLimits) { config->idle_timeout_s,
                                            config->websocket_ping_interval_s,
                                            config->websocket_max_per_address });
  leap_conn_guard_install (ctx->server);
  leap_conn_guard_set_idle_timeout (ctx->server, config->idle_timeout_s);
  return g_steal_pointer (&self);
}

/* g_socket_bind () turns SO_REUSEPORT off for TCP: bind the fd ourselves. */
static gboolean
bind_native (GSocket        *socket,
             GSocketAddress *address,
             GError        **error)
{
  struct sockaddr_storage native;
  gsize len = g_socket_address_get_native_size (address);

  if (!g_socket_address_to_native (address, &native, sizeof native, error))
    return FALSE;
  if (bind (g_socket_get_fd (socket), (struct sockaddr *) &native, len) != 0)
    {
      int saved = errno;
      g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (address));

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot listen on %s: %s",
                   text, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
leap_backend_listen (LeapBackend *self,
                     GError     **error)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (self->config.listen_host);
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;

  if (address == NULL)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "“%s” is not an IP address to listen on",
                   self->config.listen_host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (address, self->config.listen_port);

  /* Our own socket: GLib's default backlog of 10 drops the SYNs of a rush
   * (clients then wait a second to retry), and SO_REUSEPORT lets several
   * backend processes share the port, one per core. */
  socket = g_socket_new (g_socket_address_get_family (socket_address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, 4096);
  if (!g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, error) ||
      !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error) ||
      !bind_native (socket, socket_address, error) ||
      !g_socket_listen (socket, error))
    return FALSE;
  /* Not soup_server_listen_socket (): every request passes the strict
   * checks of LeapFramingInput before libsoup's parser sees it. */
  self->service = leap_framing_listen (self->ctx.server, socket, self->config.max_body, error);
  if (self->service == NULL)
    return FALSE;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_message ("Listening on http://%s:%u/", self->config.listen_host, self->port);
  return TRUE;
}

static gboolean
deadline_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* At start, give Redis a moment so that the first requests (and the demo
 * catalogue's invalidations) find it; without it the backend serves anyway. */
gboolean
leap_backend_wait_for_redis (LeapBackend *self,
                             guint        timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, deadline_cb, &expired);

  while (!leap_redis_is_connected (self->ctx.redis) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  else if (self->config.redis_master != NULL)
    g_warning ("No Sentinel named a Redis primary “%s” that answers; starting without it",
               self->config.redis_master);
  else
    g_warning ("Redis at %s:%u is not answering; starting without it",
               self->config.redis_host, self->config.redis_port);
  return leap_redis_is_connected (self->ctx.redis);
}

guint16
leap_backend_get_port (LeapBackend *self)
{
  return self->port;
}

LeapStore *
leap_backend_get_store (LeapBackend *self)
{
  return self->ctx.store;
}

LeapRedis *
leap_backend_get_redis (LeapBackend *self)
{
  return self->ctx.redis;
}

LeapCache *
leap_backend_get_cache (LeapBackend *self)
{
  return self->ctx.cache;
}

LeapCatalogue *
leap_backend_get_catalogue (LeapBackend *self)
{
  return self->ctx.catalogue;
}

LeapSessions *
leap_backend_get_sessions (LeapBackend *self)
{
  return self->ctx.sessions;
}

LeapHolds *
leap_backend_get_holds (LeapBackend *self)
{
  return self->ctx.holds;
}

LeapReconciler *
leap_backend_get_reconciler (LeapBackend *self)
{
  return self->ctx.reconciler;
}

static void
leap_backend_dispose (GObject *object)
{
  LeapBackend *self = LEAP_BACKEND (object);

  /* Redis first: its pending replies point into the objects below, and a
   * disposed connection drops them instead of calling back. */
  if (self->ctx.redis != NULL)
    g_object_run_dispose (G_OBJECT (self->ctx.redis));
  if (self->ctx.subscriber != NULL)
    g_object_run_dispose (G_OBJECT (self->ctx.subscriber));

  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
    }
  g_clear_object (&self->service);
  if (self->ctx.server != NULL)
    soup_server_disconnect (self->ctx.server);
  g_clear_object (&self->ctx.server);
  if (self->ctx.redis != NULL)
    g_signal_handlers_disconnect_by_data (self->ctx.redis, self);
  g_clear_object (&self->ctx.live);
  g_clear_object (&self->ctx.orders);
  g_clear_object (&self->ctx.refunds);
  g_clear_object (&self->ctx.dead_letters);
  if (self->ctx.reconciler != NULL)
    g_object_run_dispose (G_OBJECT (self->ctx.reconciler));
  g_clear_object (&self->ctx.reconciler);
  g_clear_object (&self->ctx.waiting_room);
  g_clear_object (&self->ctx.timers);
  g_clear_object (&self->ctx.tickets);
  g_clear_object (&self->ctx.holds);
  g_clear_object (&self->ctx.sessions);
  g_clear_object (&self->ctx.guest_holds);
  g_clear_object (&self->ctx.guest_holds_by_address);
  g_clear_object (&self->ctx.guest_sessions);
  g_clear_pointer (&self->ctx.trusted_proxies, g_ptr_array_unref);
  g_clear_object (&self->ctx.catalogue);
  g_clear_object (&self->ctx.cache);
  g_clear_object (&self->ctx.metrics);
  g_clear_object (&self->ctx.subscriber);
  g_clear_object (&self->ctx.redis);
  g_clear_object (&self->ctx.store);

  G_OBJECT_CLASS (leap_backend_parent_class)->dispose (object);
}

static void
leap_backend_finalize (GObject *object)
{
  LeapBackend *self = LEAP_BACKEND (object);

  leap_backend_config_clear (&self->config);
  G_OBJECT_CLASS (leap_backend_parent_class)->finalize (object);
}

static void
leap_backend_class_init (LeapBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_backend_dispose;
  object_class->finalize = leap_backend_finalize;
}

static void
leap_backend_init (LeapBackend *self)
{
}
