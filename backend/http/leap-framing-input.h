/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-framing-input.h: the request bytes of one connection, checked
 * strictly before libsoup's lenient parser reads them.
 *
 * Wraps a connection's input: every request head must arrive whole and
 * pass RFC 9112's rules (and ours) before libsoup sees a byte of it, and
 * every body is framed by exactly one Content-Length or by well-formed
 * chunks. What fails is never handed on: a refused head is replaced by a
 * small head of our own, and a refused body is ended cleanly, so that
 * libsoup parses one request more, which the router answers with the
 * refusal; after it the stream ends.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A request head (request line and fields) may be this long. */
#define LEAP_FRAMING_HEAD_LIMIT (64 * 1024)

#define LEAP_TYPE_FRAMING_INPUT (leap_framing_input_get_type ())

G_DECLARE_FINAL_TYPE (LeapFramingInput, leap_framing_input, LEAP, FRAMING_INPUT, GInputStream)

/* Why a request was refused: the status, a LeapErrorCode and an
 * untranslated message (an N_() literal). */
typedef struct
{
  guint       status;
  int         code;
  const char *message;
} LeapFramingRefusal;

LeapFramingInput         *leap_framing_input_new          (GIOStream        *connection,
                                                           gsize             max_body);
guint                     leap_framing_input_count_head   (LeapFramingInput *self);
void                      leap_framing_input_set_upgraded (LeapFramingInput *self,
                                                           gboolean          upgraded);
const LeapFramingRefusal *leap_framing_input_get_refusal  (LeapFramingInput *self,
                                                           guint             head);

G_END_DECLS
