/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-request.h"

G_BEGIN_DECLS

typedef void (*LeapContinueFunc) (LeapRequest *req);

void leap_idempotency_begin      (LeapRequest          *req,
                                  LeapContinueFunc      next);
void leap_idempotency_finish     (LeapRequest          *req,
                                  GBytes               *body);
void leap_idempotency_claim_free (LeapIdempotencyClaim *claim);

G_END_DECLS
