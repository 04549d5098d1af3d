/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-framing.h: serves a listening socket through LeapFramingInput.
 *
 * The backend accepts its connections itself and hands each to libsoup
 * wrapped in a LeapFramingInput, so that libsoup only ever parses request
 * heads and bodies that passed the strict checks there.
 */

#pragma once

#include <libsoup/soup.h>

#include "leap-framing-input.h"

G_BEGIN_DECLS

GSocketService           *leap_framing_listen      (SoupServer        *server,
                                                    GSocket           *socket,
                                                    gsize              max_body,
                                                    GError           **error);
const LeapFramingRefusal *leap_framing_get_refusal (SoupServerMessage *msg);
GSocket                  *leap_framing_get_socket  (SoupServerMessage *msg);

G_END_DECLS
