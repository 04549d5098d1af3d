/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-reply.h"

/* A bulk string (GET, HGET, an element of an array), or NULL. */
const char *
leap_reply_string (const redisReply *reply,
                   gsize            *length)
{
  if (reply == NULL || reply->type != REDIS_REPLY_STRING)
    return NULL;
  if (length != NULL)
    *length = reply->len;
  return reply->str;
}

/* A simple string such as SET's "OK" (SET NX answers nil when it did not
 * set). */
gboolean
leap_reply_is_status (const redisReply *reply)
{
  return reply != NULL && reply->type == REDIS_REPLY_STATUS;
}

/* An integer, or a string that is all of one (scripts answer either);
 * FALSE for anything else, such as a missing counter. */
gboolean
leap_reply_get_int (const redisReply *reply,
                    gint64           *value)
{
  if (reply == NULL)
    return FALSE;
  if (reply->type == REDIS_REPLY_INTEGER)
    {
      *value = reply->integer;
      return TRUE;
    }
  if (reply->type == REDIS_REPLY_STRING)
    return g_ascii_string_to_signed (reply->str, 10, G_MININT64, G_MAXINT64, value, NULL);
  return FALSE;
}

gboolean
leap_reply_is_array (const redisReply *reply,
                     gsize             min_elements)
{
  return reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements >= min_elements;
}

/* 0 for a reply that is no array, so that a loop over it does nothing. */
gsize
leap_reply_n_elements (const redisReply *reply)
{
  return leap_reply_is_array (reply, 0) ? reply->elements : 0;
}

const redisReply *
leap_reply_element (const redisReply *reply,
                    gsize             index)
{
  if (!leap_reply_is_array (reply, index + 1))
    return NULL;
  return reply->element[index];
}

const char *
leap_reply_element_string (const redisReply *reply,
                           gsize             index)
{
  return leap_reply_string (leap_reply_element (reply, index), NULL);
}

/* Element index as an integer, read leniently (the leading digits of a
 * string); 0 when it is missing. For script replies such as
 * {"ok", expires_ms}. */
gint64
leap_reply_element_int (const redisReply *reply,
                        gsize             index)
{
  const redisReply *e = leap_reply_element (reply, index);

  if (e == NULL)
    return 0;
  if (e->type == REDIS_REPLY_INTEGER)
    return e->integer;
  if (e->type == REDIS_REPLY_STRING)
    return g_ascii_strtoll (e->str, NULL, 10);
  return 0;
}

/* TIME's reply, {seconds, microseconds}, in ms; 0 for another shape. */
gint64
leap_reply_time_ms (const redisReply *reply)
{
  if (!leap_reply_is_array (reply, 2))
    return 0;
  return leap_reply_element_int (reply, 0) * 1000 + leap_reply_element_int (reply, 1) / 1000;
}

/* The first word of a script's reply, {"status", …}; "" when there is
 * none, so that callers compare it without checking. */
const char *
leap_reply_status (const redisReply *reply)
{
  const char *status = leap_reply_element_string (reply, 0);

  return status != NULL ? status : "";
}

/* The value of field name in a flat array of field, value pairs (HGETALL,
 * the fields of a stream entry), or NULL. */
const char *
leap_reply_field (const redisReply *fields,
                  const char       *name)
{
  if (!leap_reply_is_array (fields, 0))
    return NULL;
  for (gsize i = 0; i + 1 < fields->elements; i += 2)
    if (fields->element[i]->type == REDIS_REPLY_STRING &&
        g_str_equal (fields->element[i]->str, name))
      return leap_reply_string (fields->element[i + 1], NULL);
  return NULL;
}

/* The strings of an array (SMEMBERS, ZRANGE…), others skipped; NULL when
 * the reply is no array. */
char **
leap_reply_dup_strv (const redisReply *reply)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  if (!leap_reply_is_array (reply, 0))
    return NULL;
  builder = g_strv_builder_new ();
  for (gsize i = 0; i < reply->elements; i++)
    if (reply->element[i]->type == REDIS_REPLY_STRING)
      g_strv_builder_add (builder, reply->element[i]->str);
  return g_strv_builder_end (builder);
}

/* One entry of XRANGE, XREADGROUP or XAUTOCLAIM: {id, {field, value…}}.
 * FALSE when entry has another shape; fields is for leap_reply_field (). */
gboolean
leap_reply_stream_entry (const redisReply  *entry,
                         const char       **id,
                         const redisReply **fields)
{
  if (!leap_reply_is_array (entry, 2) || entry->element[0]->type != REDIS_REPLY_STRING)
    return FALSE;
  if (id != NULL)
    *id = entry->element[0]->str;
  if (fields != NULL)
    *fields = entry->element[1];
  return TRUE;
}
