/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-conn-guard.h"
#include "leap-error.h"
#include "leap-handlers.h"
#include "leap-reply.h"

void
leap_handle_healthz (LeapRequest *req)
{
  leap_request_reply_text (req, SOUP_STATUS_OK, "application/json", "{\"status\":\"ok\"}");
}

/* Redis's answer to the health script, while the database is pinged. */
typedef struct
{
  LeapRequest *req;
  gboolean     redis_ok;
  char        *redis_error; /* NULL: the script answered, maybe unexpectedly */
} Ready;

static void
ready_free (Ready *ready)
{
  leap_request_unref (ready->req);
  g_free (ready->redis_error);
  g_free (ready);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ready, ready_free)

/* In a thread of the store's pool. */
static gpointer
ping_run (LeapStore *store,
          gpointer   data,
          GError   **error)
{
  return leap_store_ping (store, error) ? GINT_TO_POINTER (TRUE) : NULL;
}

static void
pinged_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Ready) ready = user_data;
  LeapRequest *req = ready->req;
  g_autoptr(GError) db_error = NULL;
  g_autoptr(JsonObject) answer = json_object_new ();
  gboolean db_ok = leap_store_call_finish (LEAP_STORE (object), result, &db_error) != NULL;
  gboolean redis_ok = ready->redis_ok;
  const char *redis_error = ready->redis_error;

  LeapHolds *holds = req->ctx->holds;
  gint64 since = leap_holds_get_degraded_since (holds);

  json_object_set_string_member (answer, "status", db_ok && redis_ok ? "ready" : "not_ready");
  json_object_set_string_member (answer, "database", db_ok ? "ok" : db_error->message);
  json_object_set_string_member (answer, "redis",
                                 redis_ok      ? "ok"
                                 : redis_error ? redis_error
                                               : "unexpected reply");
  /* Without Redis the API still answers and sells from the database
   * (slower): say so, so that an operator does not read 503 as "down". */
  if (db_ok && (!redis_ok || since != 0))
    {
      json_object_set_string_member (answer, "status", "degraded");
      json_object_set_string_member (answer, "mode", "degraded: serving from the database");
      if (!redis_ok)
        json_object_set_string_member (answer, "redis", "down");
      if (since != 0)
        {
          g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (since / 1000);
          g_autofree char *text = t != NULL ? g_date_time_format_iso8601 (t) : NULL;

          json_object_set_string_member (answer, "since", text);
        }
      if (redis_ok)
        json_object_set_string_member (answer, "detail",
                                       "Redis is back; its counters are being rebuilt");
      else
        json_object_set_string_member (answer, "detail",
                                       redis_error ? redis_error : "unexpected reply");
    }
  leap_request_reply_object (req,
                             db_ok && redis_ok && since == 0 ? SOUP_STATUS_OK
                                                             : SOUP_STATUS_SERVICE_UNAVAILABLE,
                             answer);
}

static void
health_script_cb (LeapRedis        *redis,
                  const redisReply *reply,
                  const GError     *error,
                  gpointer          user_data)
{
  Ready *ready = g_new0 (Ready, 1);

  ready->req = user_data;
  ready->redis_ok = error == NULL && leap_reply_string (reply, NULL) != NULL;
  ready->redis_error = error != NULL ? g_strdup (error->message) : NULL;
  leap_store_call_async (ready->req->ctx->store, ping_run, NULL, NULL, NULL, NULL, pinged_cb,
                         ready);
}

/* Ready means the database answers a query and Redis runs a Lua script
 * (not only PING: a Redis that cannot run scripts cannot sell tickets). */
void
leap_handle_readyz (LeapRequest *req)
{
  leap_redis_eval_argv (req->ctx->redis, "health", health_script_cb, leap_request_ref (req),
                        0, 0, NULL, NULL);
}

void
leap_handle_metrics (LeapRequest *req)
{
  g_autoptr(GString) out = g_string_new (NULL);
  LeapCacheStats stats;
  LeapStoreReadStats reads;

  leap_metrics_render (req->ctx->metrics, out);
  leap_cache_get_stats (req->ctx->cache, &stats);
  leap_store_get_read_stats (req->ctx->store, &reads);

#define COUNTER(name, help, value)                                               \
  g_string_append_printf (out, "# HELP " name " " help "\n# TYPE " name " counter\n" \
                          name " %" G_GUINT64_FORMAT "\n", (guint64) (value))
#define GAUGE(name, help, value)                                                 \
  g_string_append_printf (out, "# HELP " name " " help "\n# TYPE " name " gauge\n" \
                          name " %" G_GUINT64_FORMAT "\n", (guint64) (value))

  COUNTER ("leap_cache_hits_total", "Cache-aside reads answered by Redis.", stats.hits);
  COUNTER ("leap_cache_near_hits_total", "Reads answered by the in-process near cache.",
           stats.near_hits);
  COUNTER ("leap_cache_misses_total", "Reads not in Redis, loaded from the database.",
           stats.misses);
  COUNTER ("leap_cache_loads_total", "Database loads for the cache after coalescing.", stats.loads);
  COUNTER ("leap_cache_coalesced_total", "Reads that waited for another read's load.",
           stats.coalesced);
  COUNTER ("leap_cache_invalidations_total", "Cache invalidations sent.", stats.invalidations);
  COUNTER ("leap_redis_fallbacks_total", "Reads served from the database because Redis failed.",
           stats.fallbacks + leap_sessions_get_fallbacks (req->ctx->sessions));
  COUNTER ("leap_rate_limits_local_total",
           "Rate-limit counts kept in this process alone because Redis did not answer.",
           leap_rate_limiter_get_local (req->ctx->guest_holds) +
           leap_rate_limiter_get_local (req->ctx->guest_holds_by_address) +
           leap_rate_limiter_get_local (req->ctx->guest_sessions) +
           leap_sessions_get_local_limits (req->ctx->sessions));
  COUNTER ("leap_redis_disconnects_total", "Times the Redis connection was lost.",
           leap_redis_get_disconnects (req->ctx->redis));
  GAUGE ("leap_redis_up", "1 while Redis is connected.", leap_redis_is_connected (req->ctx->redis));
  GAUGE ("leap_http_connections", "HTTP connections open in this process.",
         leap_conn_guard_get_n_connections (req->ctx->server));
  GAUGE ("leap_websocket_clients", "Clients of /api/v1/live in this process.",
         leap_live_get_n_clients (req->ctx->live));
  COUNTER ("leap_db_queries_total", "Statements run on the central database.",
           leap_store_get_query_count (req->ctx->store));
  COUNTER ("leap_db_replica_queries_total",
           "Catalogue and sync reads answered by a read replica.", reads.replica_reads);
  COUNTER ("leap_db_replica_fallbacks_total",
           "Reads a replica could have answered that the primary did (none fit, or after a "
           "write).", reads.primary_reads);
  /* Redis down: see "When Redis is down" in docs/architecture.md. */
  GAUGE ("leap_degraded",
         "1 while Redis does not take holds (down, or its counters being rebuilt).",
         !leap_holds_is_ready (req->ctx->holds));
  g_string_append_printf (
      out,
      "# HELP leap_degraded_seconds_total Time spent selling without Redis.\n"
      "# TYPE leap_degraded_seconds_total counter\nleap_degraded_seconds_total %.3f\n",
      leap_holds_get_degraded_ms (req->ctx->holds) / 1000.0);
  GAUGE ("leap_timers_lease_held",
         "1 while this backend holds the lease on the reconciler's runs and the refunds' "
         "retries, which one backend of many runs.",
         leap_lease_is_held (req->ctx->timers));
  COUNTER ("leap_holds_db_total", "Holds made by the database while Redis was down.",
           leap_holds_get_db_holds (req->ctx->holds));
  /* Someone wrote sessions into Redis without the key: worth an alarm. */
  COUNTER ("leap_sessions_forged_total",
           "Sessions in Redis refused for their MAC (forged or copied).",
           leap_sessions_get_forged (req->ctx->sessions));
#undef COUNTER
#undef GAUGE
  leap_reconciler_render_metrics (req->ctx->reconciler, out);

  leap_request_reply_text (req, SOUP_STATUS_OK, "text/plain; version=0.0.4", out->str);
}
