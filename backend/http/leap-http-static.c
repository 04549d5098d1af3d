/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-http"

#include "leap-http-context.h"
#include "leap-error.h"
#include "leap-handlers.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHOP_PREFIX "/shop"
/* The shop's files are small: a file read on the main loop must stay as
 * short as a small one's, so a larger file is not served at all. */
#define MAX_FILE_SIZE (1024 * 1024)

static const struct
{
  const char *suffix;
  const char *type;
} types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".mjs", "text/javascript; charset=utf-8" },
  { ".json", "application/json" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
  { ".txt", "text/plain; charset=utf-8" },
};

gboolean
leap_http_static_handles (LeapHttpContext *ctx,
                          const char      *path)
{
  return ctx->web_root != NULL && g_str_has_prefix (path, SHOP_PREFIX) &&
         (path[strlen (SHOP_PREFIX)] == '\0' || path[strlen (SHOP_PREFIX)] == '/');
}

static const char *
content_type (const char *file)
{
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (file, types[i].suffix))
      return types[i].type;
  return "application/octet-stream";
}

/* The file under the web root that @rel (decoded by libsoup, which
 * refuses an encoded "/" or a ".." it would make) names, resolved; NULL
 * for anything that could leave the root: an empty, "." or ".." segment
 * (hidden files too), a backslash, or a symbolic link that points out. */
static char *
resolve (const char *root,
         const char *rel)
{
  g_auto(GStrv) segments = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *real = NULL;

  if (strchr (rel, '\\') != NULL)
    return NULL;
  segments = g_strsplit (rel, "/", -1);
  for (guint i = 0; segments[i] != NULL; i++)
    if (segments[i][0] == '\0' || segments[i][0] == '.')
      return NULL;
  joined = g_build_filename (root, rel, NULL);
  real = realpath (joined, NULL);
  if (real == NULL || !g_str_has_prefix (real, root) || real[strlen (root)] != '/')
    return NULL;
  return g_steal_pointer (&real);
}

/* The regular file at @file, whole, if it is small enough. */
static GBytes *
read_small_file (const char *file)
{
  int fd = g_open (file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  g_autofree char *data = NULL;
  struct stat st;
  gsize done = 0;

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > MAX_FILE_SIZE)
    {
      close (fd);
      return NULL;
    }
  data = g_malloc (st.st_size + 1);
  while (done < (gsize) st.st_size)
    {
      ssize_t n = read (fd, data + done, st.st_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += n;
    }
  close (fd);
  if (done != (gsize) st.st_size)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), done);
}

/* GET and HEAD of the files of --web-root at /shop/ (the reference web
 * shop); libsoup leaves out the body of a HEAD. */
void
leap_handle_static (LeapRequest *req)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (req->msg);
  const char *method = soup_server_message_get_method (req->msg);
  const char *rel = req->path + strlen (SHOP_PREFIX);
  g_autofree char *file = NULL;
  g_autoptr(GBytes) data = NULL;

  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    {
      soup_message_headers_replace (headers, "Allow", "GET, HEAD");
      leap_request_reply_new_error (req, LEAP_ERROR_METHOD_NOT_ALLOWED,
                                    N_("%s is not allowed here; use %s"), method, "GET, HEAD");
      return;
    }
  if (*rel == '\0')
    {
      soup_message_headers_replace (headers, "Location", SHOP_PREFIX "/");
      leap_request_reply_empty (req, SOUP_STATUS_MOVED_PERMANENTLY);
      return;
    }
  rel++;
  file = resolve (req->ctx->web_root, *rel == '\0' ? "index.html" : rel);
  if (file == NULL || (data = read_small_file (file)) == NULL)
    {
      leap_request_reply_new_error (req, LEAP_ERROR_NOT_FOUND, N_("No such resource: %s"),
                                    req->path);
      return;
    }
  /* The shop runs its own scripts and styles, and talks to this origin
   * only (the API and its WebSocket); QR codes are data: images. */
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  leap_request_reply_data (req, SOUP_STATUS_OK, content_type (file), data);
}
