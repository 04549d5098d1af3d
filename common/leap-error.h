/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LEAP_ERROR (leap_error_quark ())

/* Errors shared by the backend and its clients. Each has a stable
 * machine-readable code string (see leap_error_code_to_string()) that the
 * HTTP API sends in {"error": {"code": ...}} and the app maps back. */
typedef enum
{
  LEAP_ERROR_INTERNAL,
  LEAP_ERROR_MALFORMED,          /* 400 malformed */
  LEAP_ERROR_UNAUTHORIZED,       /* 401 unauthorized */
  LEAP_ERROR_FORBIDDEN,          /* 403 forbidden */
  LEAP_ERROR_NOT_FOUND,          /* 404 not_found */
  LEAP_ERROR_METHOD_NOT_ALLOWED, /* 405 method_not_allowed */
  LEAP_ERROR_CONFLICT,           /* 409 conflict */
  LEAP_ERROR_TOO_LARGE,          /* 413 too_large */
  LEAP_ERROR_INVALID,            /* 422 invalid_field */
  LEAP_ERROR_RATE_LIMITED,       /* 429 rate_limited */
  LEAP_ERROR_UNAVAILABLE,        /* 503 unavailable */
  LEAP_ERROR_SOLD_OUT,           /* 409 sold_out */
  LEAP_ERROR_IDEMPOTENCY,        /* 422 idempotency_mismatch */
  LEAP_ERROR_TOO_MANY_HOLDS,     /* 429 too_many_holds */
  LEAP_ERROR_EXPIRED,            /* 410 expired */
  LEAP_ERROR_INVALID_TICKET,     /* 422 invalid_ticket: a forged, altered or garbled ticket code */
  LEAP_ERROR_ALREADY_CHECKED_IN, /* 409 already_checked_in */
  LEAP_ERROR_VOIDED,             /* 409 voided */
  LEAP_ERROR_WRONG_EVENT,        /* 409 wrong_event: a ticket of another event than the door's */
  LEAP_ERROR_NOT_PAID,           /* 409 not_paid: a ticket of an order that is not paid */
  LEAP_ERROR_CURRENCY_MISMATCH,  /* 422 currency_mismatch: money of two currencies in one sale */
  LEAP_ERROR_TOO_MANY_TICKETS,   /* 429 too_many_held_tickets: an address's live held tickets */
  LEAP_ERROR_WAITING_ROOM,       /* 403 waiting_room: a guest's hold needs an admission */
} LeapErrorCode;

GQuark         leap_error_quark             (void);
const char    *leap_error_code_to_string    (LeapErrorCode code);
LeapErrorCode  leap_error_code_from_string  (const char   *code);

G_END_DECLS
