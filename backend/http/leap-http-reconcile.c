/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"

static void
reconciled_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) report =
    leap_reconciler_run_finish (LEAP_RECONCILER (object), result, &error);

  if (report == NULL)
    leap_request_reply_error (req, error);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, report);
}

/* POST /api/v1/admin/reconcile: compare and repair now, answer the report. */
void
leap_handle_reconcile_run (LeapRequest *req)
{
  leap_reconciler_run_async (req->ctx->reconciler, reconciled_cb, leap_request_ref (req));
}

/* GET /api/v1/admin/reconcile: the last report of this process. */
void
leap_handle_reconcile_get (LeapRequest *req)
{
  g_autoptr(JsonObject) report = leap_reconciler_dup_last_report (req->ctx->reconciler);

  if (report == NULL)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_NOT_FOUND,
                                    "No reconciliation has run in this process yet");
      return;
    }
  leap_request_reply_object (req, SOUP_STATUS_OK, report);
}
