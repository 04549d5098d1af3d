/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-http"

#include "leap-router.h"
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-framing.h"
#include "leap-handlers.h"
#include "leap-idempotency.h"

#include <glib/gi18n.h>
#include <string.h>

static const char * const managers[] = { "admin", "manager", NULL };
static const char * const admins[] = { "admin", NULL };
static const char * const door_staff[] = { "admin", "manager", "cashier", NULL };
static const char * const anyone_signed_in[]
    = { "admin", "manager", "cashier", "kiosk", "guest", NULL };

/* The whole API. Paths, methods and roles here are a contract with web
 * shops and scanners: add to it, never rename. */
static const LeapRoute routes[] = {
  { "GET", "/healthz", leap_handle_healthz, NULL },
  { "GET", "/readyz", leap_handle_readyz, NULL },
  { "GET", "/metrics", leap_handle_metrics, NULL },

  { "POST", "/api/v1/sessions", leap_handle_session_create, NULL },
  { "GET", "/api/v1/sessions/current", leap_handle_session_get, anyone_signed_in },
  { "DELETE", "/api/v1/sessions/current", leap_handle_session_delete, anyone_signed_in },

  { "GET", "/api/v1/venues", leap_handle_venue_list, NULL },
  { "POST", "/api/v1/venues", leap_handle_venue_create, managers },
  { "GET", "/api/v1/venues/{id}", leap_handle_venue_get, NULL },
  { "PATCH", "/api/v1/venues/{id}", leap_handle_venue_update, managers },
  { "DELETE", "/api/v1/venues/{id}", leap_handle_venue_delete, managers },

  { "GET", "/api/v1/events", leap_handle_event_list, NULL },
  { "POST", "/api/v1/events", leap_handle_event_create, managers },
  { "GET", "/api/v1/events/{id}", leap_handle_event_get, NULL },
  { "PATCH", "/api/v1/events/{id}", leap_handle_event_update, managers },
  { "DELETE", "/api/v1/events/{id}", leap_handle_event_delete, managers },
  { "GET", "/api/v1/events/{id}/availability", leap_handle_availability, NULL },
  { "POST", "/api/v1/events/{id}/tiers", leap_handle_tier_create, managers },
  { "POST", "/api/v1/events/{id}/offers", leap_handle_offer_create, managers },
  { "POST", "/api/v1/events/{id}/queue", leap_handle_queue_join, anyone_signed_in },
  { "GET", "/api/v1/events/{id}/queue", leap_handle_queue_get, anyone_signed_in },

  { "PATCH", "/api/v1/tiers/{id}", leap_handle_tier_update, managers },
  { "DELETE", "/api/v1/tiers/{id}", leap_handle_tier_delete, managers },
  { "PATCH", "/api/v1/offers/{id}", leap_handle_offer_update, managers },
  { "DELETE", "/api/v1/offers/{id}", leap_handle_offer_delete, managers },

  { "GET", "/api/v1/sync", leap_handle_sync, NULL },

  { "POST", "/api/v1/holds", leap_handle_hold_create, anyone_signed_in },
  { "GET", "/api/v1/holds/{id}", leap_handle_hold_get, anyone_signed_in },
  { "DELETE", "/api/v1/holds/{id}", leap_handle_hold_delete, anyone_signed_in },

  { "POST", "/api/v1/orders", leap_handle_order_create, anyone_signed_in },
  { "GET", "/api/v1/orders/{id}", leap_handle_order_get, anyone_signed_in },
  /* Cashiers too, with a manager's approval in the body. */
  { "POST", "/api/v1/orders/{id}/refund", leap_handle_order_refund, door_staff },

  { "GET", "/api/v1/admin/dead-letters", leap_handle_dead_letter_list, admins },
  { "POST", "/api/v1/admin/dead-letters", leap_handle_dead_letter_replay_body, admins },
  { "POST", "/api/v1/admin/dead-letters/{id}/replay", leap_handle_dead_letter_replay, admins },
  { "GET", "/api/v1/admin/reconcile", leap_handle_reconcile_get, admins },
  { "POST", "/api/v1/admin/reconcile", leap_handle_reconcile_run, admins },
  { "GET", "/api/v1/orders/{id}/tickets.pdf", leap_handle_order_tickets_pdf, anyone_signed_in },

  { "GET", "/api/v1/tickets/public-key", leap_handle_ticket_public_key, NULL },
  { "POST", "/api/v1/checkins", leap_handle_checkin_create, door_staff },
};

const LeapRoute *
leap_router_get_routes (guint *n_routes)
{
  *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

/* Matches a path against a pattern, collecting its {…} segments. */
static gboolean
match (const char  *pattern,
       const char  *path,
       char       **params)
{
  guint n = 0;

  while (*pattern != '\0' && *path != '\0')
    {
      if (*pattern == '{')
        {
          const char *end = strchr (path, '/');
          gsize len = end ? (gsize) (end - path) : strlen (path);

          if (len == 0 || n >= 4)
            return FALSE;
          if (params != NULL)
            params[n] = g_strndup (path, len);
          n++;
          path += len;
          pattern = strchr (pattern, '}') + 1;
          continue;
        }
      if (*pattern != *path)
        return FALSE;
      pattern++;
      path++;
    }
  return *pattern == '\0' && *path == '\0';
}

static gboolean
origin_allowed (LeapHttpContext *ctx,
                const char  *origin)
{
  return origin != NULL && ctx->cors_origins != NULL &&
         (g_strv_contains ((const char * const *) ctx->cors_origins, origin) ||
          g_strv_contains ((const char * const *) ctx->cors_origins, "*"));
}

static void
add_common_headers (LeapRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);
  const char *origin = leap_request_get_header (req, "Origin");

  soup_message_headers_append (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_append (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_append (headers, "X-Frame-Options", "DENY");
  soup_message_headers_append (headers, "Content-Security-Policy",
                               "default-src 'none'; frame-ancestors 'none'");
  soup_message_headers_append (headers, "Cache-Control", "no-store");
  if (origin_allowed (req->ctx, origin))
    {
      soup_message_headers_replace (headers, "Access-Control-Allow-Origin", origin);
      soup_message_headers_replace (headers, "Access-Control-Expose-Headers",
                                    "Retry-After, Location");
      soup_message_headers_append (headers, "Vary", "Origin");
    }
}

static void
run_handler (LeapRequest *req)
{
  req->route->handler (req);
}

static void
authorized (LeapRequest *req)
{
  if (!leap_session_has_role (req->session, req->route->roles))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_FORBIDDEN,
                                    N_("A %s may not do this"), req->session->role);
      return;
    }
  if (g_str_equal (req->route->method, "GET"))
    run_handler (req);
  else
    leap_idempotency_begin (req, run_handler);
}

static void
session_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;

  req->session = leap_sessions_lookup_finish (LEAP_SESSIONS (object), result, &error);
  if (req->session == NULL)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAUTHORIZED))
        leap_request_reply_error (req, error);
      else
        leap_request_reply_new_error (req, LEAP_ERROR_UNAVAILABLE,
                                      N_("Cannot check the session right now; try again"));
      return;
    }
  authorized (req);
}

/* A request that LeapFramingInput refused: libsoup parsed a stand-in (or
 * a body cut short), and the connection ends with this answer. */
static void
reply_refused (LeapRequest              *req,
               const LeapFramingRefusal *refusal)
{
  g_autoptr(GError) error = NULL;

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Connection",
                                "close");
  if (refusal->message == NULL)
    {
      leap_request_reply_new_error (req, refusal->code,
                                    N_("The request body is larger than %zu bytes"),
                                    req->ctx->max_body);
      return;
    }
  error = g_error_new_literal (LEAP_ERROR, refusal->code, refusal->message);
  leap_request_reply_error_status (req, refusal->status, error);
  /* libsoup 3.2 has no phrase for 431. */
  if (refusal->status == 431)
    soup_server_message_set_status (req->msg, 431, "Request Header Fields Too Large");
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  LeapHttpContext *ctx = user_data;
  g_autoptr(LeapRequest) req = leap_request_new (ctx, msg, path, query);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);
  const LeapFramingRefusal *refusal;

  add_common_headers (req);
  if ((refusal = leap_framing_get_refusal (msg)) != NULL)
    {
      reply_refused (req, refusal);
      return;
    }
  if (g_object_get_data (G_OBJECT (msg), "leap-too-large") != NULL)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_TOO_LARGE,
                                    "The request body is larger than %zu bytes", ctx->max_body);
      return;
    }

  if (leap_http_static_handles (ctx, path))
    {
      leap_handle_static (req);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!match (routes[i].pattern, path, NULL))
        continue;
      if (allow->len > 0)
        g_string_append (allow, ", ");
      g_string_append (allow, routes[i].method);
      if (req->route == NULL && g_str_equal (routes[i].method, method))
        {
          req->route = &routes[i];
          match (routes[i].pattern, path, req->params);
        }
    }

  if (g_str_equal (method, "OPTIONS") && allow->len > 0)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
      const char *origin = leap_request_get_header (req, "Origin");

      if (origin != NULL && !origin_allowed (ctx, origin))
        leap_request_reply_new_error (req, LEAP_ERROR_FORBIDDEN,
                                      N_("Origin %s is not allowed"), origin);
      else
        {
          soup_message_headers_replace (headers, "Allow", allow->str);
          soup_message_headers_replace (headers, "Access-Control-Allow-Methods", allow->str);
          soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
                                        "Authorization, Content-Type, Idempotency-Key");
          soup_message_headers_replace (headers, "Access-Control-Max-Age", "600");
          leap_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
        }
    }
  else if (req->route == NULL && allow->len > 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    allow->str);
      leap_request_reply_new_error (req, LEAP_ERROR_METHOD_NOT_ALLOWED,
                                    N_("%s is not allowed here; use %s"), method, allow->str);
    }
  else if (req->route == NULL)
    leap_request_reply_new_error (req, LEAP_ERROR_NOT_FOUND, N_("No such resource: %s"), path);
  else if (req->route->roles != NULL)
    {
      g_autofree char *token = leap_request_dup_token (req);

      if (token == NULL)
        leap_request_reply_new_error (req, LEAP_ERROR_UNAUTHORIZED,
                                      N_("Sign in first: send Authorization: Bearer TOKEN"));
      else if ((req->session = leap_sessions_peek (ctx->sessions, token)) != NULL)
        authorized (req);
      else
        leap_sessions_lookup_async (ctx->sessions, token, session_cb, leap_request_ref (req));
    }
  else if (g_str_equal (req->route->method, "GET"))
    run_handler (req);
  else
    leap_idempotency_begin (req, run_handler);

  if (!req->finished)
    leap_request_pause (req);
}

/* A chunked body announces no length: past the limit libsoup stops
 * keeping it (the rest is read and dropped) and server_cb answers 413. */
static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  LeapHttpContext *ctx = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (body->length > (goffset) ctx->max_body && soup_message_body_get_accumulate (body))
    {
      soup_message_body_set_accumulate (body, FALSE);
      soup_message_body_truncate (body);
      g_object_set_data (G_OBJECT (msg), "leap-too-large", GINT_TO_POINTER (TRUE));
    }
}

/* Refuses a body that announces itself too large (libsoup 3.2 reads it
 * anyway: the backend's own connections never get here with one, since
 * LeapFramingInput refuses it from the headers; this is for servers that
 * listen otherwise), and watches one that does not announce its length. */
static void
early_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  LeapHttpContext *ctx = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      length > (goffset) ctx->max_body)
    {
      g_autoptr(LeapRequest) req = leap_request_new (ctx, msg, path, query);
      SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

      add_common_headers (req);
      /* The unread body makes the connection unusable for another request. */
      soup_message_headers_replace (response, "Connection", "close");
      leap_request_reply_new_error (req, LEAP_ERROR_TOO_LARGE,
                                    N_("The request body is larger than %zu bytes"),
                                    ctx->max_body);
    }
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk_cb), ctx);
}

/* Runs after libsoup's own "got-body" handler, which calls the handlers:
 * an error answered there in another shape than ours is libsoup's, such as
 * the HTML 400 of a bad WebSocket handshake. Answer it as every other. */
static void
got_body_cb (SoupServerMessage *msg,
             LeapHttpContext   *ctx)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  guint status = soup_server_message_get_status (msg);
  g_autoptr(LeapRequest) req = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  if (status < 400 ||
      g_strcmp0 (soup_message_headers_get_content_type (headers, NULL), "application/json") == 0)
    return;

  req = leap_request_new (ctx, msg, g_uri_get_path (soup_server_message_get_uri (msg)), NULL);
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_message_headers_remove (headers, "Content-Type");
  add_common_headers (req);
  /* libsoup refuses a path whose decoding makes a "/" or a "..": under
   * /shop/ that is a file that is not there, as for every other way out. */
  if (status == SOUP_STATUS_BAD_REQUEST && leap_http_static_handles (ctx, req->path))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_NOT_FOUND, N_("No such resource: %s"),
                                    req->path);
      return;
    }
  switch (status)
    {
    case SOUP_STATUS_FORBIDDEN: code = LEAP_ERROR_FORBIDDEN; break;
    case SOUP_STATUS_NOT_FOUND: code = LEAP_ERROR_NOT_FOUND; break;
    default: code = status < 500 ? LEAP_ERROR_MALFORMED : LEAP_ERROR_INTERNAL; break;
    }
  if (leap_request_get_header (req, "Upgrade") != NULL)
    error = g_error_new_literal (LEAP_ERROR, code, N_("This is not a valid WebSocket handshake"));
  else
    error = g_error_new_literal (LEAP_ERROR, code, N_("The request is malformed"));
  leap_request_reply_error_status (req, status, error);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    LeapHttpContext   *ctx)
{
  g_signal_connect (msg, "got-body", G_CALLBACK (got_body_cb), ctx);
}

void
leap_router_install (LeapHttpContext *ctx,
                     SoupServer  *server)
{
  soup_server_add_early_handler (server, NULL, early_cb, ctx, NULL);
  soup_server_add_handler (server, NULL, server_cb, ctx, NULL);
  g_signal_connect (server, "request-started", G_CALLBACK (request_started_cb), ctx);
}

void
leap_router_add_common_headers (LeapRequest *req)
{
  add_common_headers (req);
}
