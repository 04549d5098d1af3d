/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

#define LEAP_TYPE_REDIS (leap_redis_get_type ())
G_DECLARE_FINAL_TYPE (LeapRedis, leap_redis, LEAP, REDIS, GObject)

/* Called once per command. On failure (Redis unreachable, or an error reply)
 * reply is NULL and error is set; the reply is borrowed for the call.
 * Never called once the LeapRedis is disposed: a command still waiting then
 * is dropped. The _full variants take a destroy that frees user_data when
 * func is not called (disposed first, or func NULL); when func is called,
 * user_data is its to free, as without _full. */
typedef void (*LeapRedisReplyFunc) (LeapRedis        *redis,
                                    const redisReply *reply,
                                    const GError     *error,
                                    gpointer          user_data);

/* Called for each message published on a subscribed channel. */
typedef void (*LeapRedisMessageFunc) (LeapRedis  *redis,
                                      const char *channel,
                                      const char *message,
                                      gsize       length,
                                      gpointer    user_data);

/* Signs in with AUTH when LEAP_REDIS_PASSWORD_FILE (or the systemd
 * credential "redis-password") and LEAP_REDIS_USER say so; see leap-redis.c. */
LeapRedis  *leap_redis_new             (const char          *host,
                                        guint16              port);
LeapRedis  *leap_redis_new_full        (const char          *host,
                                        guint16              port,
                                        const char * const  *sentinels,
                                        const char          *master);
gboolean    leap_redis_is_connected    (LeapRedis           *self);
void        leap_redis_connect         (LeapRedis           *self);
void        leap_redis_command_argv    (LeapRedis           *self,
                                        LeapRedisReplyFunc   func,
                                        gpointer             user_data,
                                        int                  argc,
                                        const char         **argv,
                                        const size_t        *argvlen);
void        leap_redis_command_argv_full (LeapRedis          *self,
                                          LeapRedisReplyFunc  func,
                                          gpointer            user_data,
                                          GDestroyNotify      destroy,
                                          int                 argc,
                                          const char        **argv,
                                          const size_t       *argvlen);
void        leap_redis_command         (LeapRedis           *self,
                                        LeapRedisReplyFunc   func,
                                        gpointer             user_data,
                                        ...) G_GNUC_NULL_TERMINATED;
void        leap_redis_command_full    (LeapRedis           *self,
                                        LeapRedisReplyFunc   func,
                                        gpointer             user_data,
                                        GDestroyNotify       destroy,
                                        ...) G_GNUC_NULL_TERMINATED;
void        leap_redis_add_script      (LeapRedis           *self,
                                        const char          *name,
                                        const char          *source);
void        leap_redis_load_scripts    (LeapRedis           *self,
                                        const char          *resource_path);
void        leap_redis_eval_argv       (LeapRedis           *self,
                                        const char          *script,
                                        LeapRedisReplyFunc   func,
                                        gpointer             user_data,
                                        int                  nkeys,
                                        int                  argc,
                                        const char         **argv,
                                        const size_t        *argvlen);
void        leap_redis_eval_argv_full  (LeapRedis           *self,
                                        const char          *script,
                                        LeapRedisReplyFunc   func,
                                        gpointer             user_data,
                                        GDestroyNotify       destroy,
                                        int                  nkeys,
                                        int                  argc,
                                        const char         **argv,
                                        const size_t        *argvlen);
void        leap_redis_subscribe       (LeapRedis           *self,
                                        const char          *channel,
                                        LeapRedisMessageFunc func,
                                        gpointer             user_data);
void        leap_redis_unsubscribe_all (LeapRedis           *self,
                                        gpointer             user_data);
guint64     leap_redis_get_disconnects (LeapRedis           *self);

G_END_DECLS
