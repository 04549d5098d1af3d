/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-redis.h"
#include "leap-store.h"

G_BEGIN_DECLS

/* Who is calling: a signed-in staff member or device, or a web shop guest. */
typedef struct
{
  char  *token_hash;
  gint64 user_id;    /* 0 for guests */
  char  *username;   /* NULL for guests */
  char  *role;       /* admin, manager, cashier, kiosk or guest */
  gint64 expires_at; /* UTC seconds */
} LeapSession;

void         leap_session_free           (LeapSession *session);
JsonObject  *leap_session_to_json        (const LeapSession *session);
gboolean     leap_session_has_role       (const LeapSession *session,
                                          const char        *const *roles);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LeapSession, leap_session_free)

#define LEAP_TYPE_SESSIONS (leap_sessions_get_type ())
G_DECLARE_FINAL_TYPE (LeapSessions, leap_sessions, LEAP, SESSIONS, GObject)

LeapSessions *leap_sessions_new           (LeapStore           *store,
                                           LeapRedis           *redis,
                                           LeapRedis           *subscriber,
                                           guint                ttl_s);
gboolean      leap_sessions_load_key      (LeapSessions        *self,
                                           const char          *path,
                                           GError             **error);
char         *leap_session_key_path_for_database (const char *database_url);
char         *leap_sessions_sign          (LeapSessions        *self,
                                           const char          *text);
gboolean      leap_sessions_verify        (LeapSessions        *self,
                                           const char          *text,
                                           const char          *mac);
LeapSession  *leap_sessions_peek          (LeapSessions        *self,
                                           const char          *token);
void          leap_sessions_login_async   (LeapSessions        *self,
                                           const char          *username,
                                           const char          *password,
                                           const char          *client_address,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
void          leap_sessions_guest_async   (LeapSessions        *self,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
JsonObject   *leap_sessions_login_finish  (LeapSessions        *self,
                                           GAsyncResult        *result,
                                           guint               *retry_after_s,
                                           GError             **error);
void          leap_sessions_approve_async (LeapSessions        *self,
                                           const char          *username,
                                           const char          *password,
                                           const char          *client_address,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
LeapSession  *leap_sessions_approve_finish (LeapSessions       *self,
                                           GAsyncResult        *result,
                                           guint               *retry_after_s,
                                           GError             **error);
void          leap_sessions_lookup_async  (LeapSessions        *self,
                                           const char          *token,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
LeapSession  *leap_sessions_lookup_finish (LeapSessions        *self,
                                           GAsyncResult        *result,
                                           GError             **error);
void          leap_sessions_logout_async  (LeapSessions        *self,
                                           const LeapSession   *session,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean      leap_sessions_logout_finish (LeapSessions        *self,
                                           GAsyncResult        *result,
                                           GError             **error);
gint64        leap_sessions_create_user   (LeapSessions        *self,
                                           const char          *username,
                                           const char          *role,
                                           const char          *password,
                                           GError             **error);
guint64       leap_sessions_get_fallbacks (LeapSessions        *self);
guint64       leap_sessions_get_forged    (LeapSessions        *self);
guint64       leap_sessions_get_local_limits (LeapSessions     *self);

G_END_DECLS
