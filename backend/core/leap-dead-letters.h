/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-redis.h"
#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_DEAD_LETTERS (leap_dead_letters_get_type ())
G_DECLARE_FINAL_TYPE (LeapDeadLetters, leap_dead_letters, LEAP, DEAD_LETTERS, GObject)

/* The checkout messages that failed too often (the stream
 * leap_keys_checkout_dead (), written by leap-worker): listed for admins, and
 * replayed one at a time by lua/replay-dead.lua. */
LeapDeadLetters *leap_dead_letters_new           (LeapStore          *store,
                                                  LeapRedis          *redis);
void             leap_dead_letters_list_async    (LeapDeadLetters    *self,
                                                  const char         *after,
                                                  guint               limit,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
void             leap_dead_letters_replay_async  (LeapDeadLetters    *self,
                                                  const char         *id,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
JsonObject      *leap_dead_letters_object_finish (LeapDeadLetters    *self,
                                                  GAsyncResult       *result,
                                                  GError            **error);
gboolean         leap_dead_letter_id_is_valid    (const char         *id);

G_END_DECLS
