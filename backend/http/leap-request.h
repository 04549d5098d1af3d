/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "leap-rate-limiter.h"
#include "leap-sessions.h"

G_BEGIN_DECLS

typedef struct _LeapHttpContext LeapHttpContext;
typedef struct _LeapRequest LeapRequest;
typedef struct _LeapRoute LeapRoute;
typedef struct _LeapIdempotencyClaim LeapIdempotencyClaim;

typedef void (*LeapHandler) (LeapRequest *req);

/* A row of the routing table. Patterns name parameters with {…}; roles
 * NULL means anyone, signed in or not. */
struct _LeapRoute
{
  const char         *method;
  const char         *pattern;
  LeapHandler         handler;
  const char * const *roles;
};

/* One HTTP request while it is being answered. Handlers parse with the
 * *_or_reply helpers (which answer the error themselves and return FALSE),
 * make one domain call, and answer with leap_request_reply_*(). */
struct _LeapRequest
{
  LeapHttpContext   *ctx;       /* Borrowed */
  SoupServerMessage *msg;       /* Owned */
  const LeapRoute   *route;     /* Borrowed */
  GHashTable        *query;     /* Owned, may be NULL */
  char              *params[4]; /* Owned: the {…} segments of the path */
  LeapSession       *session;   /* Owned, NULL until signed in */
  char              *path;
  char              *client;    /* Owned: leap_request_get_client ()'s answer, once asked */
  LeapIdempotencyClaim *idempotency; /* Owned, set while this request holds a key's claim */
  gint64             started;   /* monotonic µs */
  guint              ref_count;
  guint              status;
  gboolean           paused : 1;
  gboolean           finished : 1;
  gboolean           gone : 1;  /* the client went away */
};

LeapRequest *leap_request_new            (LeapHttpContext   *ctx,
                                          SoupServerMessage *msg,
                                          const char        *path,
                                          GHashTable        *query);
LeapRequest *leap_request_ref            (LeapRequest       *req);
void         leap_request_unref          (LeapRequest       *req);
void         leap_request_pause          (LeapRequest       *req);
const char  *leap_request_get_header     (LeapRequest       *req,
                                          const char        *name);
const char  *leap_request_get_query      (LeapRequest       *req,
                                          const char        *name);
const char  *leap_request_get_client     (LeapRequest       *req);
GPtrArray   *leap_request_parse_proxies  (const char *const *cidrs,
                                          GError           **error);
char        *leap_request_resolve_client (const char        *peer,
                                          const char        *forwarded_for,
                                          const char        *forwarded,
                                          GPtrArray         *trusted_proxies);
void         leap_request_limit          (LeapRequest       *req,
                                          guint              n,
                                          LeapRateLimiter  **limiters,
                                          const char       **keys,
                                          LeapHandler        then);
char        *leap_request_dup_token      (LeapRequest       *req);

gboolean     leap_request_id_or_reply    (LeapRequest       *req,
                                          guint              index,
                                          gint64            *id);
JsonObject  *leap_request_body_or_reply  (LeapRequest       *req);

void         leap_request_reply_bytes    (LeapRequest       *req,
                                          guint              status,
                                          GBytes            *json);
void         leap_request_reply_object   (LeapRequest       *req,
                                          guint              status,
                                          JsonObject        *object);
void         leap_request_reply_text     (LeapRequest       *req,
                                          guint              status,
                                          const char        *content_type,
                                          const char        *text);
void         leap_request_reply_data     (LeapRequest       *req,
                                          guint              status,
                                          const char        *content_type,
                                          GBytes            *data);
void         leap_request_reply_empty    (LeapRequest       *req,
                                          guint              status);
void         leap_request_reply_error    (LeapRequest       *req,
                                          const GError      *error);
void         leap_request_reply_error_with (LeapRequest     *req,
                                          const GError      *error,
                                          JsonObject        *extra);
void         leap_request_reply_error_status (LeapRequest   *req,
                                          guint              status,
                                          const GError      *error);
void         leap_request_reply_new_error (LeapRequest      *req,
                                          int                code,
                                          const char        *format,
                                          ...) G_GNUC_PRINTF (3, 4);
guint        leap_error_to_status        (const GError      *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LeapRequest, leap_request_unref)

G_END_DECLS
