/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

/* Readers of the reply shapes the backend gets from Redis and from the
 * scripts in lua/, so that nothing else walks a redisReply by hand. Every
 * reader takes NULL (or a reply of another shape) and then answers as for
 * a missing value; strings are borrowed from the reply. */

const char        *leap_reply_string         (const redisReply  *reply,
                                              gsize             *length);
gboolean           leap_reply_is_status      (const redisReply  *reply);
gboolean           leap_reply_get_int        (const redisReply  *reply,
                                              gint64            *value);
gboolean           leap_reply_is_array       (const redisReply  *reply,
                                              gsize              min_elements);
gsize              leap_reply_n_elements     (const redisReply  *reply);
const redisReply  *leap_reply_element        (const redisReply  *reply,
                                              gsize              index);
const char        *leap_reply_element_string (const redisReply  *reply,
                                              gsize              index);
gint64             leap_reply_element_int    (const redisReply  *reply,
                                              gsize              index);
const char        *leap_reply_status         (const redisReply  *reply);
const char        *leap_reply_field          (const redisReply  *fields,
                                              const char        *name);
char             **leap_reply_dup_strv       (const redisReply  *reply);
gint64             leap_reply_time_ms        (const redisReply  *reply);
gboolean           leap_reply_stream_entry   (const redisReply  *entry,
                                              const char       **id,
                                              const redisReply **fields);

G_END_DECLS
