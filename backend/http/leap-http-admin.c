/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"
#include "leap-json.h"

#include <glib/gi18n.h>

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     500

static void
dead_letters_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapRequest) req = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) answer =
    leap_dead_letters_object_finish (LEAP_DEAD_LETTERS (object), result, &error);

  if (answer == NULL)
    leap_request_reply_error (req, error);
  else if (g_str_equal (soup_server_message_get_method (req->msg), "POST"))
    leap_request_reply_object (req, SOUP_STATUS_ACCEPTED, answer);
  else
    leap_request_reply_object (req, SOUP_STATUS_OK, answer);
}

/* GET /api/v1/admin/dead-letters?after=ID&limit=N */
void
leap_handle_dead_letter_list (LeapRequest *req)
{
  const char *after = leap_request_get_query (req, "after");
  const char *limit_text = leap_request_get_query (req, "limit");
  guint64 limit = DEFAULT_LIMIT;

  if (after != NULL && !leap_dead_letter_id_is_valid (after))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_MALFORMED,
                                    N_("after must be a dead letter's id"));
      return;
    }
  if (limit_text != NULL &&
      (!g_ascii_string_to_unsigned (limit_text, 10, 1, MAX_LIMIT, &limit, NULL)))
    {
      leap_request_reply_new_error (req, LEAP_ERROR_MALFORMED,
                                    N_("limit must be 1 to %d"), MAX_LIMIT);
      return;
    }
  leap_dead_letters_list_async (req->ctx->dead_letters, after, (guint) limit, dead_letters_cb,
                                leap_request_ref (req));
}

/* POST /api/v1/admin/dead-letters/{id}/replay */
void
leap_handle_dead_letter_replay (LeapRequest *req)
{
  leap_dead_letters_replay_async (req->ctx->dead_letters, req->params[0], dead_letters_cb,
                                  leap_request_ref (req));
}

/* POST /api/v1/admin/dead-letters {"id"}: the same, for clients that post
 * to the collection. */
void
leap_handle_dead_letter_replay_body (LeapRequest *req)
{
  g_autoptr(JsonObject) body = leap_request_body_or_reply (req);
  const char *id;

  if (body == NULL)
    return;
  id = leap_json_get_string (body, "id", NULL);
  if (id == NULL || json_object_get_size (body) != 1)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_INVALID, "Send {\"id\": a dead letter's id}");
      return;
    }
  leap_dead_letters_replay_async (req->ctx->dead_letters, id, dead_letters_cb,
                                  leap_request_ref (req));
}
