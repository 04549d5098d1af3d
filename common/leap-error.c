/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-error.h"

G_DEFINE_QUARK (leap-error-quark, leap_error)

static const char *codes[] = {
  [LEAP_ERROR_INTERNAL] = "internal",
  [LEAP_ERROR_MALFORMED] = "malformed",
  [LEAP_ERROR_UNAUTHORIZED] = "unauthorized",
  [LEAP_ERROR_FORBIDDEN] = "forbidden",
  [LEAP_ERROR_NOT_FOUND] = "not_found",
  [LEAP_ERROR_METHOD_NOT_ALLOWED] = "method_not_allowed",
  [LEAP_ERROR_CONFLICT] = "conflict",
  [LEAP_ERROR_TOO_LARGE] = "too_large",
  [LEAP_ERROR_INVALID] = "invalid_field",
  [LEAP_ERROR_RATE_LIMITED] = "rate_limited",
  [LEAP_ERROR_UNAVAILABLE] = "unavailable",
  [LEAP_ERROR_SOLD_OUT] = "sold_out",
  [LEAP_ERROR_IDEMPOTENCY] = "idempotency_mismatch",
  [LEAP_ERROR_TOO_MANY_HOLDS] = "too_many_holds",
  [LEAP_ERROR_EXPIRED] = "expired",
  [LEAP_ERROR_INVALID_TICKET] = "invalid_ticket",
  [LEAP_ERROR_ALREADY_CHECKED_IN] = "already_checked_in",
  [LEAP_ERROR_VOIDED] = "voided",
  [LEAP_ERROR_WRONG_EVENT] = "wrong_event",
  [LEAP_ERROR_NOT_PAID] = "not_paid",
  [LEAP_ERROR_CURRENCY_MISMATCH] = "currency_mismatch",
  [LEAP_ERROR_TOO_MANY_TICKETS] = "too_many_held_tickets",
  [LEAP_ERROR_WAITING_ROOM] = "waiting_room",
};

const char *
leap_error_code_to_string (LeapErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (codes) || codes[code] == NULL)
    return codes[LEAP_ERROR_INTERNAL];
  return codes[code];
}

LeapErrorCode
leap_error_code_from_string (const char *code)
{
  for (guint i = 0; code != NULL && i < G_N_ELEMENTS (codes); i++)
    if (codes[i] != NULL && g_str_equal (codes[i], code))
      return i;
  return LEAP_ERROR_INTERNAL;
}
