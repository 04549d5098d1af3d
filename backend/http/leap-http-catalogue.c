/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"
#include "leap-json.h"

#include <glib/gi18n.h>
#include <string.h>

#define DEFAULT_PAGE 50
#define MAX_PAGE 100

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = leap_catalogue_read_finish (LEAP_CATALOGUE (object), result, &error);

  if (bytes == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_bytes (req, SOUP_STATUS_OK, bytes);
}

static gint64
actor_of (LeapRequest *req)
{
  return req->session ? req->session->user_id : 0;
}

/* Writes share one shape: parse, one domain call, render. */

static void
reply_created (LeapRequest  *req,
               GAsyncResult *result,
               LeapKind      kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) created = leap_catalogue_write_finish (req->ctx->catalogue, result,
                                                               &error);
  g_autofree char *location = NULL;

  if (created == NULL)
    {
      leap_request_reply_error (req, error);
      return;
    }
  location = g_strdup_printf ("/api/v1/%ss/%" G_GINT64_FORMAT, leap_kind_to_string (kind),
                              json_object_get_int_member (created, "id"));
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location",
                                location);
  leap_request_reply_object (req, SOUP_STATUS_CREATED, created);
}

#define CREATED_CB(name, kind)                                                          \
  static void                                                                           \
  name (GObject *object, GAsyncResult *result, gpointer user_data)                      \
  {                                                                                     \
    g_autoptr(LeapRequest) req = user_data;                                             \
    reply_created (req, result, kind);                                                  \
  }
CREATED_CB (venue_created_cb, LEAP_KIND_VENUE)
CREATED_CB (event_created_cb, LEAP_KIND_EVENT)
CREATED_CB (offer_created_cb, LEAP_KIND_OFFER)
#undef CREATED_CB

static void
create_object (LeapRequest        *req,
               LeapKind            kind,
               gboolean            under_event,
               GAsyncReadyCallback created_cb)
{
  g_autoptr(JsonObject) body = NULL;
  gint64 event_id = 0;

  if (under_event && !leap_request_id_or_reply (req, 0, &event_id))
    return;
  body = leap_request_body_or_reply (req);
  if (body == NULL)
    return;
  leap_catalogue_create_async (req->ctx->catalogue, kind, event_id, body, actor_of (req),
                               created_cb, leap_request_ref (req));
}

static void
updated_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) updated = leap_catalogue_write_finish (LEAP_CATALOGUE (object), result,
                                                               &error);

  if (updated == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, updated);
}

static void
update_object (LeapRequest *req,
               LeapKind     kind)
{
  g_autoptr(JsonObject) body = NULL;
  gint64 id;

  if (!leap_request_id_or_reply (req, 0, &id))
    return;
  body = leap_request_body_or_reply (req);
  if (body == NULL)
    return;
  leap_catalogue_update_async (req->ctx->catalogue, kind, id, body, actor_of (req), updated_cb,
                               leap_request_ref (req));
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(JsonObject) still = NULL;
  g_autoptr(GError) error = NULL;

  if (leap_catalogue_remove_finish (LEAP_CATALOGUE (object), result, &still, &error))
    leap_request_reply_empty (req, SOUP_STATUS_NO_CONTENT);
  else
    leap_request_reply_error_with (req, error, still);
}

static void
delete_object (LeapRequest *req,
               LeapKind     kind)
{
  gint64 id;

  if (leap_request_id_or_reply (req, 0, &id))
    leap_catalogue_remove_async (req->ctx->catalogue, req->ctx->holds, kind, id, actor_of (req),
                                 removed_cb, leap_request_ref (req));
}

/* Answers at once from this process's copy; NULL means go the async way. */
static gboolean
reply_now (LeapRequest *req,
           GBytes      *bytes)
{
  g_autoptr(GBytes) owned = bytes;

  if (owned == NULL)
    return FALSE;
  leap_request_reply_bytes (req, SOUP_STATUS_OK, owned);
  return TRUE;
}

void
leap_handle_venue_list (LeapRequest *req)
{
  if (!reply_now (req, leap_catalogue_peek_venues (req->ctx->catalogue)))
    leap_catalogue_list_venues_async (req->ctx->catalogue, read_cb, leap_request_ref (req));
}

void
leap_handle_venue_get (LeapRequest *req)
{
  gint64 id;

  if (leap_request_id_or_reply (req, 0, &id) &&
      !reply_now (req, leap_catalogue_peek_venue (req->ctx->catalogue, id)))
    leap_catalogue_get_venue_async (req->ctx->catalogue, id, read_cb, leap_request_ref (req));
}

void leap_handle_venue_create (LeapRequest *req)
{
  create_object (req, LEAP_KIND_VENUE, FALSE, venue_created_cb);
}
void leap_handle_venue_update (LeapRequest *req) { update_object (req, LEAP_KIND_VENUE); }
void leap_handle_venue_delete (LeapRequest *req) { delete_object (req, LEAP_KIND_VENUE); }
void leap_handle_event_create (LeapRequest *req)
{
  create_object (req, LEAP_KIND_EVENT, FALSE, event_created_cb);
}
void leap_handle_event_update (LeapRequest *req) { update_object (req, LEAP_KIND_EVENT); }
void leap_handle_event_delete (LeapRequest *req) { delete_object (req, LEAP_KIND_EVENT); }
/* Tiers: the database and their counters in Redis, together (core). */

static void
reply_tier (LeapRequest  *req,
            GAsyncResult *result,
            guint         status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) tier = leap_catalogue_tier_finish (req->ctx->catalogue, result, &error);

  if (tier == NULL)
    {
      leap_request_reply_error (req, error);
      return;
    }
  if (status == SOUP_STATUS_CREATED)
    {
      g_autofree char *location = g_strdup_printf ("/api/v1/tiers/%" G_GINT64_FORMAT,
                                                   json_object_get_int_member (tier, "id"));
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Location", location);
    }
  leap_request_reply_object (req, status, tier);
}

static void
tier_created_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;

  reply_tier (req, result, SOUP_STATUS_CREATED);
}

static void
tier_updated_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;

  reply_tier (req, result, SOUP_STATUS_OK);
}

void
leap_handle_tier_create (LeapRequest *req)
{
  g_autoptr(JsonObject) body = NULL;
  gint64 event_id;

  if (!leap_request_id_or_reply (req, 0, &event_id) ||
      (body = leap_request_body_or_reply (req)) == NULL)
    return;
  leap_catalogue_create_tier_async (req->ctx->catalogue, req->ctx->holds, event_id, body,
                                    actor_of (req), tier_created_cb, leap_request_ref (req));
}

void
leap_handle_tier_update (LeapRequest *req)
{
  g_autoptr(JsonObject) body = NULL;
  gint64 id;

  if (!leap_request_id_or_reply (req, 0, &id) || (body = leap_request_body_or_reply (req)) == NULL)
    return;
  leap_catalogue_update_tier_async (req->ctx->catalogue, req->ctx->holds, id, body,
                                    actor_of (req), tier_updated_cb, leap_request_ref (req));
}
void leap_handle_tier_delete (LeapRequest *req) { delete_object (req, LEAP_KIND_TIER); }
void leap_handle_offer_create (LeapRequest *req)
{
  create_object (req, LEAP_KIND_OFFER, TRUE, offer_created_cb);
}
void leap_handle_offer_update (LeapRequest *req) { update_object (req, LEAP_KIND_OFFER); }
void leap_handle_offer_delete (LeapRequest *req) { delete_object (req, LEAP_KIND_OFFER); }

static gboolean
query_int_or_reply (LeapRequest *req,
                    const char  *name,
                    gint64       min,
                    gint64       max,
                    gint64      *value)
{
  const char *text = leap_request_get_query (req, name);
  gint64 v;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, min, max, &v, NULL))
    {
      leap_request_reply_new_error (
          req, LEAP_ERROR_MALFORMED,
          "Query parameter %s must be a whole number from %" G_GINT64_FORMAT
          " to %" G_GINT64_FORMAT,
          name, min, max);
      return FALSE;
    }
  *value = v;
  return TRUE;
}

static gboolean
query_time_or_reply (LeapRequest *req,
                     const char  *name,
                     gint64      *value)
{
  const char *text = leap_request_get_query (req, name);

  if (text == NULL || leap_time_parse (text, value))
    return TRUE;
  leap_request_reply_new_error (
      req, LEAP_ERROR_MALFORMED,
      "Query parameter %s must be an ISO 8601 date-time with a time zone, "
      "e.g. 2026-12-01T00:00:00Z",
      name);
  return FALSE;
}

/* GET /api/v1/events?q=&venue_id=&from=&to=&cursor=&limit= */
void
leap_handle_event_list (LeapRequest *req)
{
  LeapEventFilter filter = { NULL, 0, G_MININT64, G_MAXINT64, 0, 0, DEFAULT_PAGE };
  const char *cursor = leap_request_get_query (req, "cursor");
  gint64 limit = DEFAULT_PAGE;

  filter.q = leap_request_get_query (req, "q");
  if (filter.q != NULL && g_utf8_strlen (filter.q, -1) > 200)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_MALFORMED,
                                    N_("Query parameter q is longer than 200 characters"));
      return;
    }
  if (!query_int_or_reply (req, "venue_id", 1, G_MAXINT64, &filter.venue_id) ||
      !query_int_or_reply (req, "limit", 1, MAX_PAGE, &limit) ||
      !query_time_or_reply (req, "from", &filter.from) ||
      !query_time_or_reply (req, "to", &filter.to))
    return;
  if (cursor != NULL &&
      !leap_event_cursor_decode (cursor, &filter.after_starts_at, &filter.after_id))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_MALFORMED,
                                    N_("Query parameter cursor is not one this server gave out"));
      return;
    }
  filter.limit = limit;
  if (!reply_now (req, leap_catalogue_peek_events (req->ctx->catalogue, &filter)))
    leap_catalogue_list_events_async (req->ctx->catalogue, &filter, read_cb,
                                      leap_request_ref (req));
}

void
leap_handle_event_get (LeapRequest *req)
{
  gint64 id;

  if (leap_request_id_or_reply (req, 0, &id) &&
      !reply_now (req, leap_catalogue_peek_event (req->ctx->catalogue, id)))
    leap_catalogue_get_event_async (req->ctx->catalogue, id, read_cb, leap_request_ref (req));
}

static void
availability_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = leap_holds_object_finish (LEAP_HOLDS (object), result, &error);

  if (answer == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, answer);
}

/* Live counters from Redis; never cached. */
void
leap_handle_availability (LeapRequest *req)
{
  gint64 id;

  if (leap_request_id_or_reply (req, 0, &id))
    leap_holds_availability_async (req->ctx->holds, id, availability_cb, leap_request_ref (req));
}

static void
synced_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer = leap_catalogue_sync_finish (LEAP_CATALOGUE (object), result,
                                                             &error);

  if (answer == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, answer);
}

/* GET /api/v1/sync?since=CURSOR&limit=N */
void
leap_handle_sync (LeapRequest *req)
{
  gint64 since = 0, limit = 1000;

  if (query_int_or_reply (req, "since", 0, G_MAXINT64, &since) &&
      query_int_or_reply (req, "limit", 1, 5000, &limit))
    leap_catalogue_sync_async (req->ctx->catalogue, since, limit, synced_cb,
                               leap_request_ref (req));
}
