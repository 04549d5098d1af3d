/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-http"

#include "leap-request.h"
#include "leap-http-context.h"
#include "leap-idempotency.h"
#include "leap-error.h"
#include "leap-i18n.h"
#include "leap-json.h"

#include <glib/gi18n.h>

#include <stdarg.h>
#include <string.h>

static void
message_finished_cb (SoupServerMessage *msg,
                     LeapRequest       *req)
{
  req->gone = TRUE;
}

LeapRequest *
leap_request_new (LeapHttpContext   *ctx,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query)
{
  LeapRequest *req = g_new0 (LeapRequest, 1);

  req->ref_count = 1;
  req->ctx = ctx;
  req->msg = g_object_ref (msg);
  req->path = g_strdup (path);
  req->query = query ? g_hash_table_ref (query) : NULL;
  req->started = g_get_monotonic_time ();
  return req;
}

/* Called when a handler went async. A message whose client goes away
 * meanwhile is finished by libsoup: it must never be unpaused. Requests
 * answered at once (most of them) skip the cost of the signal. */
void
leap_request_pause (LeapRequest *req)
{
  g_return_if_fail (!req->finished && !req->paused);

  req->paused = TRUE;
  g_signal_connect (req->msg, "finished", G_CALLBACK (message_finished_cb), req);
  soup_server_message_pause (req->msg);
}

LeapRequest *
leap_request_ref (LeapRequest *req)
{
  req->ref_count++;
  return req;
}

void
leap_request_unref (LeapRequest *req)
{
  if (--req->ref_count > 0)
    return;
  if (req->paused)
    g_signal_handlers_disconnect_by_func (req->msg, message_finished_cb, req);
  g_object_unref (req->msg);
  g_clear_pointer (&req->query, g_hash_table_unref);
  for (guint i = 0; i < G_N_ELEMENTS (req->params); i++)
    g_free (req->params[i]);
  g_clear_pointer (&req->session, leap_session_free);
  g_free (req->path);
  g_free (req->client);
  g_clear_pointer (&req->idempotency, leap_idempotency_claim_free);
  g_free (req);
}

const char *
leap_request_get_header (LeapRequest *req,
                         const char  *name)
{
  return soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), name);
}

const char *
leap_request_get_query (LeapRequest *req,
                        const char  *name)
{
  return req->query ? g_hash_table_lookup (req->query, name) : NULL;
}

/* The GInetAddressMasks of leap_check_trusted_proxies ()'s list. */
GPtrArray *
leap_request_parse_proxies (const char * const *cidrs,
                            GError            **error)
{
  g_autoptr(GPtrArray) masks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; cidrs != NULL && cidrs[i] != NULL; i++)
    {
      g_autofree char *text = g_strstrip (g_strdup (cidrs[i]));
      GInetAddressMask *mask = g_inet_address_mask_new_from_string (text, NULL);

      if (mask == NULL)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "“%s” is not a trusted proxy address or range (ADDRESS or ADDRESS/BITS)",
                       text);
          return NULL;
        }
      g_ptr_array_add (masks, mask);
    }
  return g_steal_pointer (&masks);
}

/* "192.0.2.1", "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]:4711",
 * maybe in quotes (Forwarded); an IPv4 address mapped into IPv6 (a peer of
 * a dual-stack socket) as the IPv4 address. NULL for anything else, such as
 * Forwarded's "unknown" and "_hidden" names. */
static GInetAddress *
parse_address (const char *text)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  char *start = copy;
  char *end;
  GInetAddress *address;

  if (*start == '"' && strlen (start) >= 2 && g_str_has_suffix (start, "\""))
    {
      start++;
      start[strlen (start) - 1] = '\0';
    }
  if (*start == '[')
    {
      end = strchr (start, ']');
      if (end == NULL || (end[1] != '\0' && end[1] != ':'))
        return NULL;
      start++;
      *end = '\0';
    }
  else if ((end = strchr (start, ':')) != NULL && strchr (end + 1, ':') == NULL)
    *end = '\0'; /* IPv4 with a port; two colons or more are IPv6 */

  address = g_inet_address_new_from_string (start);
  if (address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      const guint8 *bytes = g_inet_address_to_bytes (address);

      if (memcmp (bytes, mapped, sizeof mapped) == 0)
        {
          GInetAddress *v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);

          g_object_unref (address);
          address = v4;
        }
    }
  return address;
}

static gboolean
is_trusted (GInetAddress *address,
            GPtrArray    *trusted_proxies)
{
  for (guint i = 0; i < trusted_proxies->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (trusted_proxies, i), address))
      return TRUE;
  return FALSE;
}

/* The for= values of a Forwarded header (RFC 7239), one per hop, in order;
 * a hop without one as "". */
static GStrv
forwarded_for_hops (const char *forwarded)
{
  g_auto(GStrv) elements = g_strsplit (forwarded, ",", -1);
  g_autoptr(GStrvBuilder) hops = g_strv_builder_new ();

  for (guint i = 0; elements[i] != NULL; i++)
    {
      g_auto(GStrv) pairs = g_strsplit (elements[i], ";", -1);
      const char *value = "";

      for (guint j = 0; pairs[j] != NULL; j++)
        {
          char *pair = g_strstrip (pairs[j]);

          if (g_ascii_strncasecmp (pair, "for=", 4) == 0)
            value = pair + 4;
        }
      g_strv_builder_add (hops, value);
    }
  return g_strv_builder_end (hops);
}

/* Who the client is. A peer outside @trusted_proxies is the client, and its
 * headers are ignored: anyone can write them. A trusted proxy appends the
 * address it took the request from, so walking X-Forwarded-For (or, without
 * it, Forwarded) from the right, the first address that is not a trusted
 * proxy is the client; what lies left of it came from the client and is
 * never believed. A hop that is not an address ends the walk at the last
 * trusted hop before it. */
char *
leap_request_resolve_client (const char *peer,
                             const char *forwarded_for,
                             const char *forwarded,
                             GPtrArray  *trusted_proxies)
{
  g_autoptr(GInetAddress) client = peer ? parse_address (peer) : NULL;
  g_auto(GStrv) hops = NULL;

  if (client == NULL)
    return g_strdup (peer ? peer : "unknown");
  if (trusted_proxies == NULL || !is_trusted (client, trusted_proxies))
    return g_inet_address_to_string (client);

  if (forwarded_for != NULL && *forwarded_for != '\0')
    hops = g_strsplit (forwarded_for, ",", -1);
  else if (forwarded != NULL && *forwarded != '\0')
    hops = forwarded_for_hops (forwarded);
  else
    return g_inet_address_to_string (client);

  for (guint i = g_strv_length (hops); i > 0; i--)
    {
      GInetAddress *hop = parse_address (hops[i - 1]);

      if (hop == NULL)
        break;
      g_object_unref (client);
      client = hop;
      if (!is_trusted (client, trusted_proxies))
        break;
    }
  return g_inet_address_to_string (client);
}

/* The client's address, as the rate limits and the logs know it. */
const char *
leap_request_get_client (LeapRequest *req)
{
  if (req->client == NULL)
    {
      SoupMessageHeaders *headers = soup_server_message_get_request_headers (req->msg);

      req->client =
          leap_request_resolve_client (soup_server_message_get_remote_host (req->msg),
                                       soup_message_headers_get_list (headers, "X-Forwarded-For"),
                                       soup_message_headers_get_list (headers, "Forwarded"),
                                       req->ctx->trusted_proxies);
    }
  return req->client;
}

/* The bearer token of the Authorization header, or NULL. */
char *
leap_request_dup_token (LeapRequest *req)
{
  const char *auth = leap_request_get_header (req, "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  auth += 7;
  while (*auth == ' ')
    auth++;
  if (*auth == '\0' || strlen (auth) > 256)
    return NULL;
  return g_strdup (auth);
}

guint
leap_error_to_status (const GError *error)
{
  if (error->domain != LEAP_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;

  switch ((LeapErrorCode) error->code)
    {
    case LEAP_ERROR_MALFORMED: return SOUP_STATUS_BAD_REQUEST;
    case LEAP_ERROR_UNAUTHORIZED: return SOUP_STATUS_UNAUTHORIZED;
    case LEAP_ERROR_FORBIDDEN: return SOUP_STATUS_FORBIDDEN;
    case LEAP_ERROR_WAITING_ROOM: return SOUP_STATUS_FORBIDDEN;
    case LEAP_ERROR_NOT_FOUND: return SOUP_STATUS_NOT_FOUND;
    case LEAP_ERROR_METHOD_NOT_ALLOWED: return SOUP_STATUS_METHOD_NOT_ALLOWED;
    case LEAP_ERROR_CONFLICT: return SOUP_STATUS_CONFLICT;
    case LEAP_ERROR_SOLD_OUT: return SOUP_STATUS_CONFLICT;
    case LEAP_ERROR_TOO_LARGE: return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
    case LEAP_ERROR_INVALID: return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case LEAP_ERROR_IDEMPOTENCY: return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case LEAP_ERROR_RATE_LIMITED: return 429; /* no name for it in libsoup 3.2 */
    case LEAP_ERROR_TOO_MANY_HOLDS: return 429; /* no name for it in libsoup 3.2 */
    case LEAP_ERROR_TOO_MANY_TICKETS: return 429;
    case LEAP_ERROR_CURRENCY_MISMATCH: return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case LEAP_ERROR_UNAVAILABLE: return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case LEAP_ERROR_EXPIRED: return SOUP_STATUS_GONE;
    case LEAP_ERROR_INVALID_TICKET: return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case LEAP_ERROR_ALREADY_CHECKED_IN: return SOUP_STATUS_CONFLICT;
    case LEAP_ERROR_VOIDED: return SOUP_STATUS_CONFLICT;
    case LEAP_ERROR_WRONG_EVENT: return SOUP_STATUS_CONFLICT;
    case LEAP_ERROR_NOT_PAID: return SOUP_STATUS_CONFLICT;
    case LEAP_ERROR_INTERNAL:
    default: return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
}

static void
observe (LeapRequest *req)
{
  leap_metrics_observe (req->ctx->metrics, req->route ? req->route->pattern : "unmatched",
                        soup_server_message_get_method (req->msg), req->status,
                        g_get_monotonic_time () - req->started);
}

/* The answer's body goes to the Idempotency-Key's store whether or not the
 * client is still there: a client that gave up retries, and must get this
 * answer rather than run the request again. */
static void
finish (LeapRequest *req,
        guint        status,
        GBytes      *body)
{
  g_return_if_fail (!req->finished);

  req->finished = TRUE;
  req->status = status;
  leap_idempotency_finish (req, body);
  observe (req);
  if (req->paused && !req->gone)
    soup_server_message_unpause (req->msg);
}

void
leap_request_reply_bytes (LeapRequest *req,
                          guint        status,
                          GBytes      *json)
{
  if (!req->gone)
    {
      soup_server_message_set_status (req->msg, status, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Content-Type", "application/json");
      soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), json);
    }
  finish (req, status, json);
}

void
leap_request_reply_object (LeapRequest *req,
                           guint        status,
                           JsonObject  *object)
{
  char *text = leap_json_object_to_string (object);
  g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

  leap_request_reply_bytes (req, status, bytes);
}

void
leap_request_reply_text (LeapRequest *req,
                         guint        status,
                         const char  *content_type,
                         const char  *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new_static (text, strlen (text));

  if (!req->gone)
    {
      soup_server_message_set_status (req->msg, status, NULL);
      soup_server_message_set_response (req->msg, content_type, SOUP_MEMORY_COPY, text,
                                        strlen (text));
    }
  finish (req, status, bytes);
}

/* A body that is not JSON nor text, such as a PDF. */
void
leap_request_reply_data (LeapRequest *req,
                         guint        status,
                         const char  *content_type,
                         GBytes      *data)
{
  if (!req->gone)
    {
      soup_server_message_set_status (req->msg, status, NULL);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Content-Type", content_type);
      soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), data);
    }
  finish (req, status, data);
}

void
leap_request_reply_empty (LeapRequest *req,
                          guint        status)
{
  if (!req->gone)
    soup_server_message_set_status (req->msg, status, NULL);
  finish (req, status, NULL);
}

static void
reply_error (LeapRequest  *req,
             guint         status,
             const GError *error,
             JsonObject   *extra)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonObject *inner = json_object_new ();
  const char *message = error->message;
  const char *language = leap_i18n_pick_language (leap_request_get_header (req, "Accept-Language"));

  /* Internal details stay in the log, not in the answer. */
  if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR)
    {
      g_warning ("%s %s: %s", soup_server_message_get_method (req->msg), req->path, error->message);
      message = N_("Something went wrong on the server; the request changed nothing");
    }
  /* The message in the language the client asked for, when installed;
   * the code stays the same in every language. */
  if (language != NULL && leap_i18n_translate (language, message) != message)
    {
      message = leap_i18n_translate (language, message);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "Content-Language", language);
    }
  /* Unavailable is a moment (Redis or the database coming back): say when
   * to try again, unless the caller knows better. */
  if (status == SOUP_STATUS_SERVICE_UNAVAILABLE &&
      soup_message_headers_get_one (soup_server_message_get_response_headers (req->msg),
                                    "Retry-After") == NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                  "Retry-After", "1");
  json_object_set_string_member (inner, "code",
                                 error->domain == LEAP_ERROR
                                     ? leap_error_code_to_string (error->code)
                                     : "internal");
  json_object_set_string_member (inner, "message", message);
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &member, &node))
        if (!g_str_equal (member, "code") && !g_str_equal (member, "message"))
          json_object_set_member (inner, member, json_node_copy (node));
    }
  json_object_set_object_member (body, "error", inner);
  leap_request_reply_object (req, status, body);
}

void
leap_request_reply_error (LeapRequest  *req,
                          const GError *error)
{
  leap_request_reply_error_with (req, error, NULL);
}

/* An error whose object carries members beside code and message, such as
 * the "checked_in_at" of an already_checked_in; extra may be NULL. */
void
leap_request_reply_error_with (LeapRequest  *req,
                               const GError *error,
                               JsonObject   *extra)
{
  reply_error (req, leap_error_to_status (error), error, extra);
}

/* An error with a status that its code does not map to, such as 431 for a
 * request head too large (too_large is 413 otherwise). */
void
leap_request_reply_error_status (LeapRequest  *req,
                                 guint         status,
                                 const GError *error)
{
  reply_error (req, status, error, NULL);
}

void
leap_request_reply_new_error (LeapRequest *req,
                              int          code,
                              const char  *format,
                              ...)
{
  g_autoptr(GError) error = NULL;
  va_list args;

  const char *language = leap_i18n_pick_language (leap_request_get_header (req, "Accept-Language"));

  /* The format is translated before the values go in (translations are
   * checked by `msgfmt --check` to take the same conversions). */
  va_start (args, format);
  error = g_error_new_valist (LEAP_ERROR, code, leap_i18n_translate (language, format), args);
  va_end (args);
  if (language != NULL && leap_i18n_translate (language, format) != format)
    soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                  "Content-Language", language);
  leap_request_reply_error (req, error);
}

/* Reads path parameter index as a positive id; an id that cannot exist
 * answers 404, as an unknown one would. */
gboolean
leap_request_id_or_reply (LeapRequest *req,
                          guint        index,
                          gint64      *id)
{
  const char *text = req->params[index];
  char *end = NULL;
  gint64 value;

  value = text ? g_ascii_strtoll (text, &end, 10) : 0;
  if (text == NULL || *text == '\0' || *end != '\0' || value <= 0 || !g_ascii_isdigit (*text))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_NOT_FOUND, N_("No such object: “%s”"),
                                    text ? text : "");
      return FALSE;
    }
  *id = value;
  return TRUE;
}

JsonObject *
leap_request_body_or_reply (LeapRequest *req)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr(GError) error = NULL;
  const char *type = leap_request_get_header (req, "Content-Type");
  JsonObject *object;

  if (g_bytes_get_size (bytes) > req->ctx->max_body)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_TOO_LARGE,
                                    N_("The request body is larger than %zu bytes"),
                                    req->ctx->max_body);
      return NULL;
    }
  /* Lenient on purpose: `curl -d '{…}'` says form-urlencoded; a form is not JSON. */
  if (type != NULL && g_str_has_prefix (type, "multipart/"))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_MALFORMED,
                                    N_("Send the body as application/json"));
      return NULL;
    }
  object = leap_json_parse_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   &error);
  if (object == NULL)
    leap_request_reply_error (req, error);
  return object;
}

typedef struct
{
  LeapRequest *req;
  LeapHandler  then;
} Limited;

static void
limited_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree Limited *limited = user_data;
  g_autoptr(LeapRequest) req = limited->req;
  guint retry_after = 0;
  g_autofree char *value = NULL;

  if (leap_rate_limiter_run_finish (result, &retry_after))
    {
      limited->then (req);
      return;
    }
  value = g_strdup_printf ("%u", MAX (retry_after, 1u));
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Retry-After",
                                value);
  leap_request_reply_new_error (req, LEAP_ERROR_RATE_LIMITED,
                                "Too many requests; try again in %s s", value);
}

/* Counts the request against the @n keys of @limiters (all of them, or
 * none if one is over its limit), then goes on with @then; over a limit,
 * answers 429 with Retry-After instead. */
void
leap_request_limit (LeapRequest      *req,
                    guint             n,
                    LeapRateLimiter **limiters,
                    const char      **keys,
                    LeapHandler       then)
{
  Limited *limited = g_new0 (Limited, 1);

  limited->req = leap_request_ref (req);
  limited->then = then;
  leap_rate_limiter_run_async (LEAP_RATE_LIMIT_TAKE, n, limiters, keys, limited_cb, limited);
}
