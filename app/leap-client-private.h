/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-client.h"

G_BEGIN_DECLS

/* For the calls of LeapClient kept in files of their own
 * (leap-client-refund.c): leap_client_send_async () with an
 * Idempotency-Key, finished with leap_client_send_json_finish (). */
void _leap_client_send_with_key_async (LeapClient          *self,
                                       const char          *method,
                                       const char          *path,
                                       JsonObject          *body,
                                       const char          *idempotency_key,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);

G_END_DECLS
