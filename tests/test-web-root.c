/* SPDX-License-Identifier: GPL-3.0-or-later */
/* --web-root: the files of a folder at /shop/, and nothing outside it.
 * Requests go byte for byte on a raw socket, so that no client library
 * tidies a path before the server sees it. */
#include "leap-test-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <unistd.h>

static LeapTestRedis redis;

typedef struct
{
  LeapTestBackend tb;
  char           *dir;  /* holds web/ (the root) and a secret beside it */
  char           *root;
} Fixture;

typedef struct
{
  int      fd;
  GString *text;
  gboolean done;
} Reading;

typedef struct
{
  guint    status;
  char    *head;
  char    *body;
} Answer;

static void
answer_clear (Answer *answer)
{
  g_clear_pointer (&answer->head, g_free);
  g_clear_pointer (&answer->body, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Answer, answer_clear)

static const char secret[] = "the secret beside the web root";

static void
put (const char *dir,
     const char *name,
     const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
}

static void
setup (Fixture       *f,
       gconstpointer  with_root)
{
  g_autofree char *link = NULL;
  g_autofree char *sub = NULL;

  f->dir = leap_test_make_tmpdir ();
  f->root = g_build_filename (f->dir, "web", NULL);
  sub = g_build_filename (f->root, "sub", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  put (f->dir, "secret.txt", secret);
  put (f->root, "index.html", "<!doctype html><title>Shop</title>");
  put (f->root, "shop.css", "body { margin: 0 }");
  put (f->root, "shop.js", "export const x = 1;");
  put (f->root, "strings.json", "{}");
  put (f->root, "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  put (f->root, "logo.png", "\x89PNG\r\n\x1a\n");
  put (f->root, ".hidden", secret);
  put (sub, "page.html", "<p>sub</p>");
  /* A link inside the root to a file outside it. */
  link = g_build_filename (f->root, "out.txt", NULL);
  g_assert_cmpint (symlink ("../secret.txt", link), ==, 0);
  g_clear_pointer (&link, g_free);
  link = g_build_filename (f->root, "up", NULL);
  g_assert_cmpint (symlink ("..", link), ==, 0);

  leap_test_backend_set_web_root (with_root != NULL ? f->root : NULL);
  leap_test_backend_setup (&f->tb, 0);
  leap_test_backend_set_web_root (NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  leap_test_backend_teardown (&f->tb);
  leap_test_rmdir (f->dir);
  g_clear_pointer (&f->dir, g_free);
  g_clear_pointer (&f->root, g_free);
}

static gboolean
read_some (gpointer data)
{
  Reading *r = data;
  char buf[4096];
  ssize_t n;

  while ((n = read (r->fd, buf, sizeof buf)) > 0)
    g_string_append_len (r->text, buf, n);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    r->done = TRUE;
  return r->done;
}

/* Sends "@method @target HTTP/1.1" and reads the answer while the
 * in-process backend runs on this thread's main loop. */
static void
request (Fixture    *f,
         const char *method,
         const char *target,
         Answer     *answer)
{
  g_autofree char *text =
    g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", method,
                     target);
  Reading r = { leap_test_connect (leap_backend_get_port (f->tb.backend)), g_string_new (NULL) };
  const char *end;

  g_assert_cmpint (send (r.fd, text, strlen (text), MSG_NOSIGNAL), ==, strlen (text));
  g_assert_cmpint (fcntl (r.fd, F_SETFL, O_NONBLOCK), ==, 0);
  g_assert_true (leap_test_wait_until (read_some, &r, 10000));
  close (r.fd);

  g_assert_true (g_str_has_prefix (r.text->str, "HTTP/1.1 "));
  answer->status = atoi (r.text->str + 9);
  end = strstr (r.text->str, "\r\n\r\n");
  g_assert_nonnull (end);
  answer->head = g_ascii_strdown (r.text->str, end + 2 - r.text->str);
  answer->body = g_strdup (end + 4);
  g_string_free (r.text, TRUE);
}

static void
assert_header (const Answer *answer,
               const char   *line)
{
  g_autofree char *wanted = g_strconcat ("\r\n", line, "\r\n", NULL);

  if (strstr (answer->head, wanted) == NULL)
    g_error ("no “%s” in\n%s", line, answer->head);
}

static void
assert_not_found (Fixture    *f,
                  const char *target)
{
  g_auto(Answer) answer = { 0 };
  g_autoptr(JsonNode) json = NULL;
  JsonObject *error;

  request (f, "GET", target, &answer);
  if (answer.status != 404)
    g_error ("GET %s answered %u: %s", target, answer.status, answer.body);
  assert_header (&answer, "content-type: application/json");
  json = json_from_string (answer.body, NULL);
  g_assert_nonnull (json);
  error = json_object_get_object_member (json_node_get_object (json), "error");
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "not_found");
  g_assert_null (strstr (answer.body, secret));
}

static void
test_index (Fixture       *f,
            gconstpointer  data)
{
  g_auto(Answer) index = { 0 };
  g_auto(Answer) redirect = { 0 };
  g_auto(Answer) page = { 0 };

  request (f, "GET", "/shop/", &index);
  g_assert_cmpuint (index.status, ==, 200);
  assert_header (&index, "content-type: text/html; charset=utf-8");
  g_assert_cmpstr (index.body, ==, "<!doctype html><title>Shop</title>");
  /* The shop's own scripts may run: the API's "default-src 'none'" would stop them. */
  g_assert_nonnull (strstr (index.head, "script-src 'self'"));

  request (f, "GET", "/shop", &redirect);
  g_assert_cmpuint (redirect.status, ==, 301);
  assert_header (&redirect, "location: /shop/");

  request (f, "GET", "/shop/sub/page.html", &page);
  g_assert_cmpuint (page.status, ==, 200);
  g_assert_cmpstr (page.body, ==, "<p>sub</p>");
}

static void
test_types (Fixture       *f,
            gconstpointer  data)
{
  static const struct
  {
    const char *path;
    const char *type;
  } files[] = {
    { "/shop/index.html", "text/html; charset=utf-8" },
    { "/shop/shop.css", "text/css; charset=utf-8" },
    { "/shop/shop.js", "text/javascript; charset=utf-8" },
    { "/shop/strings.json", "application/json" },
    { "/shop/logo.svg", "image/svg+xml" },
    { "/shop/logo.png", "image/png" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_auto(Answer) get = { 0 };
      g_auto(Answer) head = { 0 };
      g_autofree char *type = g_strconcat ("content-type: ", files[i].type, NULL);
      g_autofree char *length = NULL;

      request (f, "GET", files[i].path, &get);
      g_assert_cmpuint (get.status, ==, 200);
      assert_header (&get, type);
      request (f, "HEAD", files[i].path, &head);
      g_assert_cmpuint (head.status, ==, 200);
      assert_header (&head, type);
      length = g_strdup_printf ("content-length: %zu", strlen (get.body));
      assert_header (&head, length);
      g_assert_cmpstr (head.body, ==, "");
    }
}

static void
test_traversal (Fixture       *f,
                gconstpointer  data)
{
  static const char *targets[] = {
    "/shop/../secret.txt",
    "/shop/%2e%2e/secret.txt",
    "/shop/%2E%2E/secret.txt",
    "/shop/%2e%2e%2fsecret.txt",
    "/shop/sub/../../secret.txt",
    "/shop/sub/%2e%2e/%2e%2e/secret.txt",
    "/shop/out.txt",
    "/shop/up/secret.txt",
    "/shop//etc/passwd",
    "/shop/%2fetc%2fpasswd",
    "/shop/..%5csecret.txt",
    "/shop/.hidden",
    "/shop/sub",
    "/shop/missing.html",
  };
  g_auto(Answer) post = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    assert_not_found (f, targets[i]);

  request (f, "POST", "/shop/index.html", &post);
  g_assert_cmpuint (post.status, ==, 405);
  assert_header (&post, "allow: get, head");
}

static void
test_off (Fixture       *f,
          gconstpointer  data)
{
  assert_not_found (f, "/shop/");
  assert_not_found (f, "/shop/index.html");
}

static void
test_config_file (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leap.conf", NULL);
  g_autoptr(GError) error = NULL;
  LeapBackendConfig config;

  put (dir, "leap.conf", "[backend]\nweb-root=/usr/share/leap-boxoffice/web\n");
  leap_backend_config_init (&config);
  g_assert_null (config.web_root);
  g_assert_true (leap_backend_config_load_file (&config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config.web_root, ==, "/usr/share/leap-boxoffice/web");
  leap_backend_config_clear (&config);
  leap_test_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_redis_start (&redis);
  leap_test_backend_global_init (&redis);

#define ADD(path, root, func) g_test_add (path, Fixture, root, setup, func, teardown)
  ADD ("/leap/web-root/index", "", test_index);
  ADD ("/leap/web-root/types", "", test_types);
  ADD ("/leap/web-root/traversal", "", test_traversal);
  ADD ("/leap/web-root/off", NULL, test_off);
#undef ADD
  g_test_add_func ("/leap/web-root/config-file", test_config_file);

  status = g_test_run ();
  leap_test_backend_global_fini ();
  leap_test_redis_clear (&redis);
  return status;
}
