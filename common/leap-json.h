/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  LEAP_FIELD_STRING,
  LEAP_FIELD_INT,      /* an integer within [min, max] */
  LEAP_FIELD_ID,       /* a positive integer id */
  LEAP_FIELD_TIME,     /* an ISO 8601 date-time with an offset, stored as UTC */
  LEAP_FIELD_CURRENCY, /* an ISO 4217 code */
  LEAP_FIELD_BOOL,
  LEAP_FIELD_ENUM,     /* a string from choices */
} LeapFieldType;

/* One field of an object that clients may send. For strings min and max
 * bound the length in characters; for integers, the value. */
typedef struct
{
  const char         *name;
  LeapFieldType       type;
  gboolean            required;
  gboolean            nullable;
  gint64              min;
  gint64              max;
  const char * const *choices;
} LeapFieldSpec;

/* A table of fields: the object's name for messages and its fields. */
typedef struct
{
  const char          *name;
  const LeapFieldSpec *fields;
  guint                n_fields;
} LeapSchema;

JsonNode   *leap_json_parse            (const char        *data,
                                        gssize             length,
                                        guint              max_depth,
                                        GError           **error);
JsonObject *leap_json_parse_object     (const char        *data,
                                        gssize             length,
                                        GError           **error);
gboolean    leap_json_check            (JsonObject        *object,
                                        const LeapSchema  *schema,
                                        gboolean           partial,
                                        GError           **error);
char       *leap_json_to_string        (JsonNode          *node);
char       *leap_json_object_to_string (JsonObject        *object);
JsonObject *leap_json_object_copy      (JsonObject        *object);
JsonArray  *leap_json_array_copy       (JsonArray         *array);

gint64      leap_json_get_int          (JsonObject        *object,
                                        const char        *member,
                                        gint64             fallback);
const char *leap_json_get_string       (JsonObject        *object,
                                        const char        *member,
                                        const char        *fallback);

char       *leap_time_format           (gint64             unix_utc);
gboolean    leap_time_parse            (const char        *text,
                                        gint64            *unix_utc);

G_END_DECLS
