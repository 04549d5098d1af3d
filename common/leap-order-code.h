/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Short order codes, to be read aloud and typed: 7 characters of an
 * alphabet without 0, O, 1, I and L; 6 to 8 are accepted. */
#define LEAP_ORDER_CODE_ALPHABET "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#define LEAP_ORDER_CODE_LENGTH   7

char *leap_order_code_candidate  (const char *order_id,
                                  guint       attempt);
char *leap_order_code_normalize  (const char *text);
char *leap_order_code_group      (const char *code);
char *leap_order_code_for_people (JsonObject *order);

G_END_DECLS
