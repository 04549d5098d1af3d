/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-framing-input.c: the request bytes of one connection, checked
 * strictly before libsoup's lenient parser reads them.
 *
 * libsoup 3.2 reads a body that a request announces too large before
 * anyone can refuse it (early handlers run, but the body is read all the
 * same), takes Transfer-Encoding over Content-Length, the last of two
 * Content-Lengths, "+14" as 14, a chunk size that is not hex as the end of
 * the body, and answers the heads it cannot parse with an empty 400 or a
 * reset. Checking its requests from its own signals would be too late for
 * all of these, so every byte passes this stream first: a head is held
 * until it has arrived whole and passed, then handed on as it came; a body
 * is handed on as far as its framing says, and chunk lines are checked as
 * they come. What fails is never handed on (see refuse ()).
 */

#include "leap-framing-input.h"
#include "leap-error.h"

#include <glib/gi18n.h>
#include <libsoup/soup.h>
#include <string.h>

#define READ_SIZE 8192
#define CHUNK_LINE_LIMIT 1024
#define TRAILER_LIMIT (8 * 1024)
#define LINGER_MS 5000
#define LINGER_BYTES (64 * 1024 * 1024)

/* Content-Length takes at most this many digits: 10^18 - 1 fits 64 bits. */
#define LENGTH_DIGITS 18

typedef enum
{
  STATE_HEAD,
  STATE_BODY,          /* the bytes of a Content-Length */
  STATE_CHUNK_SIZE,
  STATE_CHUNK_DATA,
  STATE_CHUNK_END,     /* the CR LF after a chunk's data */
  STATE_TRAILER,
  STATE_UPGRADE_WAIT,  /* after a head with Upgrade, until its answer */
  STATE_PASSTHROUGH,   /* upgraded: the bytes are another protocol's */
  STATE_REFUSED,
} State;

struct _LeapFramingInput
{
  GInputStream        parent_instance;

  GIOStream          *connection;   /* Owned */
  GInputStream       *base;         /* Borrowed from connection */
  GByteArray         *in;           /* Owned: read, not checked yet */
  GByteArray         *out;          /* Owned: checked, for libsoup */
  gsize               max_body;
  State               state;
  gboolean            eof;

  /* The head being read */
  gsize               scanned;      /* its lines before this offset passed */
  gboolean            http_1_0;
  guint               n_hosts;
  guint               n_lengths;
  guint               n_encodings;
  gboolean            chunked;
  gboolean            upgrade;
  guint64             length;

  /* The body being read */
  guint64             remaining;    /* of a Content-Length or of a chunk */
  gsize               trailer_size;

  guint               n_heads;      /* handed on */
  guint               n_counted;    /* by leap_framing_input_count_head () */
  guint               refused_head;
  LeapFramingRefusal  refusal;
};

static void pollable_iface_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LeapFramingInput, leap_framing_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      pollable_iface_init))

/* What libsoup reads instead of a refused head: a request that it parses
 * and the router answers with the refusal, after which libsoup closes. */
static const char refused_head[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

static void
hand_on (LeapFramingInput *self,
         gsize             n)
{
  g_byte_array_append (self->out, self->in->data, n);
  g_byte_array_remove_range (self->in, 0, n);
}

static void
append (GByteArray *array,
        const char *text)
{
  g_byte_array_append (array, (const guint8 *) text, strlen (text));
}

/* Ends what libsoup has been handed at a point where it can parse it whole,
 * so that it answers (through the router) rather than resets. */
static void
refuse (LeapFramingInput *self,
        guint             status,
        int               code,
        const char       *message)
{
  switch (self->state)
    {
    case STATE_HEAD:
      append (self->out, refused_head);
      self->n_heads++;
      break;
    case STATE_CHUNK_SIZE:
      append (self->out, "0\r\n\r\n");
      break;
    case STATE_CHUNK_END:
      append (self->out, "\r\n0\r\n\r\n");
      break;
    case STATE_TRAILER:
      append (self->out, "\r\n");
      break;
    case STATE_BODY:
    case STATE_CHUNK_DATA:
    case STATE_UPGRADE_WAIT:
    case STATE_PASSTHROUGH:
    case STATE_REFUSED:
    default:
      g_assert_not_reached ();
    }
  self->refused_head = self->n_heads;
  self->refusal.status = status;
  self->refusal.code = code;
  self->refusal.message = message;
  self->state = STATE_REFUSED;
  g_byte_array_set_size (self->in, 0);
}

static void
refuse_malformed (LeapFramingInput *self,
                  const char       *message)
{
  refuse (self, SOUP_STATUS_BAD_REQUEST, LEAP_ERROR_MALFORMED, message);
}

/* The length of the line at @from with its LF, or 0 while it is incomplete. */
static gsize
line_length (GByteArray *in,
             gsize       from)
{
  const guint8 *lf = memchr (in->data + from, '\n', in->len - from);

  return lf != NULL ? (gsize) (lf - (in->data + from)) + 1 : 0;
}

/* A whole line of @length bytes with its LF must end in CR LF: a bare LF
 * is where parsers part ways. */
static gboolean
check_line_end (LeapFramingInput *self,
                const char       *line,
                gsize             length)
{
  if (length >= 2 && line[length - 2] == '\r')
    return TRUE;
  refuse_malformed (self, N_("Lines of a request head must end in CR LF"));
  return FALSE;
}

static gboolean
is_tchar (guchar c)
{
  return c != '\0' && (g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_name (const char *line,
         gsize       length,
         const char *name)
{
  return length == strlen (name) && g_ascii_strncasecmp (line, name, length) == 0;
}

/* METHOD SP /origin-form SP HTTP/1.x: RFC 9112 3, origin-form only (what
 * a client or a reverse proxy sends to an origin server). */
static const char *
check_request_line (LeapFramingInput *self,
                    const char       *line,
                    gsize             n)
{
  gsize i = 0;

  while (i < n && is_tchar (line[i]))
    i++;
  if (i == 0 || i >= n || line[i] != ' ')
    return N_("The request line is not METHOD /PATH HTTP/1.1");
  if (i == 7 && memcmp (line, "CONNECT", 7) == 0)
    return N_("CONNECT is not served here");
  if (++i >= n || line[i] != '/')
    return N_("The request target must be a path that starts with /");
  for (; i < n && line[i] != ' '; i++)
    {
      guchar c = line[i];

      if (c <= 0x20 || c >= 0x7f || c == '#')
        return N_("The request target has a character that must be percent-encoded");
      if (c == '%' && (i + 2 >= n || !g_ascii_isxdigit (line[i + 1]) ||
                       !g_ascii_isxdigit (line[i + 2])))
        return N_("The request target has a % that is not followed by two hex digits");
      if (c == '%' && line[i + 1] == '0' && line[i + 2] == '0')
        return N_("The request target must not contain %00");
    }
  if (i >= n)
    return N_("The request has no HTTP version; HTTP/0.9 is not served");
  i++;
  if (n - i == 8 && memcmp (line + i, "HTTP/1.1", 8) == 0)
    self->http_1_0 = FALSE;
  else if (n - i == 8 && memcmp (line + i, "HTTP/1.0", 8) == 0)
    self->http_1_0 = TRUE;
  else
    return N_("Only HTTP/1.1 and HTTP/1.0 are served");
  return NULL;
}

static gboolean
is_host (const char *value,
         gsize       n)
{
  if (n == 0)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (value[i]) && strchr ("-._:[]", value[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* NAME ":" OWS VALUE OWS (RFC 9112 5): no space before the colon, no line
 * folding, no control characters. */
static const char *
check_field_line (LeapFramingInput *self,
                  const char       *line,
                  gsize             n,
                  gboolean          trailer)
{
  gsize name = 0;
  gsize start;
  gsize end = n;
  const char *value;

  while (name < n && is_tchar (line[name]))
    name++;
  if (name == 0 || name >= n || line[name] != ':')
    return N_("A header line is not NAME: VALUE");
  for (gsize i = name + 1; i < n; i++)
    if (((guchar) line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
      return N_("A header value contains a control character");
  for (start = name + 1; start < end && (line[start] == ' ' || line[start] == '\t'); start++)
    ;
  while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
    end--;
  if (trailer)
    return NULL;

  value = line + start;
  if (is_name (line, name, "Content-Length"))
    {
      self->n_lengths++;
      if (end - start == 0 || end - start > LENGTH_DIGITS)
        return N_("Content-Length must be a number of bytes");
      self->length = 0;
      for (gsize i = 0; i < end - start; i++)
        {
          if (!g_ascii_isdigit (value[i]))
            return N_("Content-Length must be a number of bytes");
          self->length = self->length * 10 + (value[i] - '0');
        }
    }
  else if (is_name (line, name, "Transfer-Encoding"))
    {
      self->n_encodings++;
      self->chunked = end - start == 7 && g_ascii_strncasecmp (value, "chunked", 7) == 0;
    }
  else if (is_name (line, name, "Host"))
    {
      self->n_hosts++;
      if (!is_host (value, end - start))
        return N_("The Host header is not a host name");
    }
  else if (is_name (line, name, "Upgrade"))
    self->upgrade = TRUE;
  return NULL;
}

/* RFC 9112 6.3: a body has one framing, and a request one Host. */
static const char *
check_framing (LeapFramingInput *self)
{
  if (self->n_hosts > 1 || (!self->http_1_0 && self->n_hosts == 0))
    return N_("An HTTP/1.1 request needs exactly one Host header");
  if (self->n_encodings > 0 && self->n_lengths > 0)
    return N_("A request must not have both Content-Length and Transfer-Encoding");
  if (self->n_lengths > 1)
    return N_("A request must not have more than one Content-Length");
  if (self->n_encodings > 1 || (self->n_encodings == 1 && (!self->chunked || self->http_1_0)))
    return N_("The only Transfer-Encoding served is chunked, once, in HTTP/1.1");
  return NULL;
}

static void
head_reset (LeapFramingInput *self)
{
  self->scanned = 0;
  self->http_1_0 = FALSE;
  self->n_hosts = self->n_lengths = self->n_encodings = 0;
  self->chunked = self->upgrade = FALSE;
  self->length = 0;
}

/* Checks each line as soon as it is whole (so an HTTP/0.9 request or a
 * bad request line is answered at once), and hands the head on when its
 * empty line has come. FALSE while more is needed, or once refused. */
static gboolean
process_head (LeapFramingInput *self)
{
  const char *problem;

  for (;;)
    {
      gsize from = self->scanned;
      gsize length = line_length (self->in, from);
      const char *line = (const char *) self->in->data + from;

      if (from + (length ? length : self->in->len - from) > LEAP_FRAMING_HEAD_LIMIT)
        {
          refuse (self, 431, LEAP_ERROR_TOO_LARGE, N_("The request head is larger than 64 KiB"));
          return FALSE;
        }
      if (length == 0)
        return FALSE;
      if (!check_line_end (self, line, length))
        return FALSE;
      if (length == 2 && from == 0)
        {
          /* RFC 9112 2.2: an empty line before a request is ignored. */
          g_byte_array_remove_range (self->in, 0, 2);
          continue;
        }
      if (length == 2)
        break;
      problem = from == 0 ? check_request_line (self, line, length - 2)
                          : check_field_line (self, line, length - 2, FALSE);
      if (problem != NULL)
        {
          refuse_malformed (self, problem);
          return FALSE;
        }
      self->scanned = from + length;
    }

  if ((problem = check_framing (self)) != NULL)
    {
      refuse_malformed (self, problem);
      return FALSE;
    }
  if (self->length > self->max_body)
    {
      refuse (self, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, LEAP_ERROR_TOO_LARGE, NULL);
      return FALSE;
    }

  hand_on (self, self->scanned + 2);
  self->n_heads++;
  if (self->chunked)
    self->state = STATE_CHUNK_SIZE;
  else if (self->length > 0)
    {
      self->remaining = self->length;
      self->state = STATE_BODY;
    }
  else
    self->state = self->upgrade ? STATE_UPGRADE_WAIT : STATE_HEAD;
  head_reset (self);
  return TRUE;
}

/* 1*HEXDIG [ BWS ";" chunk-ext ] CR LF (RFC 9112 7.1). */
static gboolean
process_chunk_size (LeapFramingInput *self)
{
  gsize length = line_length (self->in, 0);
  const char *line = (const char *) self->in->data;
  guint64 size = 0;
  gsize i = 0;

  if (length == 0 && self->in->len <= CHUNK_LINE_LIMIT)
    return FALSE;
  if (length == 0 || length > CHUNK_LINE_LIMIT || length < 3 || line[length - 2] != '\r')
    {
      refuse_malformed (self, N_("A chunk size line is malformed"));
      return FALSE;
    }
  length -= 2;
  for (; i < length && g_ascii_isxdigit (line[i]); i++)
    size = size * 16 + g_ascii_xdigit_value (line[i]);
  /* 15 hex digits fit 64 bits, and far more than any body allowed. */
  if (i == 0 || i > 15)
    {
      refuse_malformed (self, N_("A chunk size must be hex digits"));
      return FALSE;
    }
  while (i < length && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (i < length && line[i] != ';')
    {
      refuse_malformed (self, N_("A chunk size must be hex digits"));
      return FALSE;
    }
  for (; i < length; i++)
    if (((guchar) line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f)
      {
        refuse_malformed (self, N_("A chunk size line is malformed"));
        return FALSE;
      }
  /* A chunked body announces no length: past max-body the router stops
   * keeping it and answers 413 when it has passed (got_chunk_cb ()). */
  hand_on (self, length + 2);
  if (size == 0)
    {
      self->trailer_size = 0;
      self->state = STATE_TRAILER;
    }
  else
    {
      self->remaining = size;
      self->state = STATE_CHUNK_DATA;
    }
  return TRUE;
}

static gboolean
process_trailer (LeapFramingInput *self)
{
  gsize length = line_length (self->in, 0);
  const char *line = (const char *) self->in->data;
  const char *problem;

  if (self->trailer_size + (length ? length : self->in->len) > TRAILER_LIMIT)
    {
      refuse_malformed (self, N_("The trailer of a chunked body is too long"));
      return FALSE;
    }
  if (length == 0)
    return FALSE;
  if (!check_line_end (self, line, length))
    return FALSE;
  if (length > 2 && (problem = check_field_line (self, line, length - 2, TRUE)) != NULL)
    {
      refuse_malformed (self, problem);
      return FALSE;
    }
  self->trailer_size += length;
  hand_on (self, length);
  if (length == 2)
    self->state = STATE_HEAD;
  return TRUE;
}

static void
process (LeapFramingInput *self)
{
  gboolean progress = TRUE;

  while (progress && self->in->len > 0)
    {
      gsize n;

      switch (self->state)
        {
        case STATE_HEAD:
          progress = process_head (self);
          break;
        case STATE_BODY:
        case STATE_CHUNK_DATA:
          n = MIN (self->remaining, self->in->len);
          hand_on (self, n);
          self->remaining -= n;
          if (self->remaining == 0)
            self->state = self->state == STATE_BODY ? STATE_HEAD : STATE_CHUNK_END;
          break;
        case STATE_CHUNK_SIZE:
          progress = process_chunk_size (self);
          break;
        case STATE_CHUNK_END:
          if (self->in->len < 2)
            return;
          if (self->in->data[0] != '\r' || self->in->data[1] != '\n')
            {
              refuse_malformed (self, N_("The data of a chunk must end in CR LF"));
              return;
            }
          hand_on (self, 2);
          self->state = STATE_CHUNK_SIZE;
          break;
        case STATE_TRAILER:
          progress = process_trailer (self);
          break;
        case STATE_UPGRADE_WAIT:
        case STATE_PASSTHROUGH:
        case STATE_REFUSED:
        default:
          return;
        }
    }
}

static gboolean
has_pending (LeapFramingInput *self)
{
  return self->out->len > 0 || self->eof || self->state == STATE_REFUSED ||
         (self->state == STATE_PASSTHROUGH && self->in->len > 0);
}

static gssize
take (GByteArray *array,
      void       *buffer,
      gsize       count)
{
  gsize n = MIN (count, array->len);

  memcpy (buffer, array->data, n);
  g_byte_array_remove_range (array, 0, n);
  return n;
}

static gssize
framing_read (LeapFramingInput *self,
              void             *buffer,
              gsize             count,
              gboolean          blocking,
              GCancellable     *cancellable,
              GError          **error)
{
  for (;;)
    {
      guint8 chunk[READ_SIZE];
      gssize n;

      if (self->out->len > 0)
        return take (self->out, buffer, count);
      if (self->state == STATE_REFUSED || self->eof)
        return 0;
      if (self->state == STATE_PASSTHROUGH)
        {
          if (self->in->len > 0)
            return take (self->in, buffer, count);
          return g_pollable_stream_read (self->base, buffer, count, blocking, cancellable, error);
        }
      if (self->state == STATE_UPGRADE_WAIT)
        {
          /* libsoup reads again only once the upgrade is answered, and
           * leap-framing.c says how first. */
          if (!blocking)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                                   "Waiting for the answer to an upgrade");
              return -1;
            }
          leap_framing_input_set_upgraded (self, FALSE);
          continue;
        }

      n = g_pollable_stream_read (self->base, chunk, sizeof chunk, blocking, cancellable, error);
      if (n < 0)
        return -1;
      if (n == 0)
        self->eof = TRUE;
      g_byte_array_append (self->in, chunk, n);
      process (self);
    }
}

static gssize
leap_framing_input_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return framing_read (LEAP_FRAMING_INPUT (stream), buffer, count, TRUE, cancellable, error);
}

typedef struct
{
  GIOStream *connection;  /* Owned */
  GSource   *reader;      /* Owned */
  GSource   *deadline;    /* Owned */
  gsize      drained;
} Linger;

static void
linger_end (Linger *linger)
{
  g_source_destroy (linger->reader);
  g_source_unref (linger->reader);
  g_source_destroy (linger->deadline);
  g_source_unref (linger->deadline);
  g_io_stream_close (linger->connection, NULL, NULL);
  g_object_unref (linger->connection);
  g_free (linger);
}

static gboolean
linger_read_cb (GSocket      *socket,
                GIOCondition  condition,
                gpointer      data)
{
  Linger *linger = data;
  g_autoptr(GError) error = NULL;
  char buffer[READ_SIZE];
  gssize n = g_socket_receive_with_blocking (socket, buffer, sizeof buffer, FALSE, NULL, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n > 0 && (linger->drained += n) < LINGER_BYTES)
    return G_SOURCE_CONTINUE;
  /* The peer's end, an error, or enough. */
  linger_end (linger);
  return G_SOURCE_REMOVE;
}

static gboolean
linger_deadline_cb (gpointer data)
{
  linger_end (data);
  return G_SOURCE_REMOVE;
}

/* A refused request leaves bytes unread (the rest of a head, a body), and
 * closing a socket with unread bytes sends a reset, which may destroy the
 * answer before the client reads it. So after a refusal, send the end of
 * the answer, then read and drop what still comes, for a moment, before
 * closing (a "lingering close", as nginx and Apache do). */
static void
linger (LeapFramingInput *self)
{
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->connection));
  GMainContext *context = g_main_context_get_thread_default ();
  Linger *linger = g_new0 (Linger, 1);

  g_socket_shutdown (socket, FALSE, TRUE, NULL);
  linger->connection = g_object_ref (self->connection);
  linger->reader = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (linger->reader, G_SOURCE_FUNC (linger_read_cb), linger, NULL);
  linger->deadline = g_timeout_source_new (LINGER_MS);
  g_source_set_callback (linger->deadline, linger_deadline_cb, linger, NULL);
  g_source_attach (linger->reader, context);
  g_source_attach (linger->deadline, context);
}

/* Closing the input closes the connection: libsoup and the WebSocket
 * close the GIOStream around it, which closes its two streams. */
static gboolean
leap_framing_input_close (GInputStream  *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  LeapFramingInput *self = LEAP_FRAMING_INPUT (stream);

  if (self->state == STATE_REFUSED && G_IS_SOCKET_CONNECTION (self->connection))
    {
      linger (self);
      return TRUE;
    }
  return g_io_stream_close (self->connection, cancellable, error);
}

static void
leap_framing_input_close_async (GInputStream        *stream,
                                int                  io_priority,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, leap_framing_input_close_async);
  /* Closing a socket does not block. */
  if (leap_framing_input_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
leap_framing_input_close_finish (GInputStream  *stream,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
leap_framing_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
leap_framing_input_is_readable (GPollableInputStream *stream)
{
  LeapFramingInput *self = LEAP_FRAMING_INPUT (stream);

  return has_pending (self) ||
         g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
leap_framing_input_create_source (GPollableInputStream *stream,
                                  GCancellable         *cancellable)
{
  LeapFramingInput *self = LEAP_FRAMING_INPUT (stream);
  g_autoptr(GSource) child = NULL;

  if (has_pending (self))
    child = g_timeout_source_new (0);
  else
    child = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
leap_framing_input_read_nonblocking (GPollableInputStream *stream,
                                     void                 *buffer,
                                     gsize                 count,
                                     GError              **error)
{
  return framing_read (LEAP_FRAMING_INPUT (stream), buffer, count, FALSE, NULL, error);
}

static void
pollable_iface_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = leap_framing_input_can_poll;
  iface->is_readable = leap_framing_input_is_readable;
  iface->create_source = leap_framing_input_create_source;
  iface->read_nonblocking = leap_framing_input_read_nonblocking;
}

static void
leap_framing_input_finalize (GObject *object)
{
  LeapFramingInput *self = LEAP_FRAMING_INPUT (object);

  g_clear_object (&self->connection);
  g_clear_pointer (&self->in, g_byte_array_unref);
  g_clear_pointer (&self->out, g_byte_array_unref);
  G_OBJECT_CLASS (leap_framing_input_parent_class)->finalize (object);
}

static void
leap_framing_input_class_init (LeapFramingInputClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = leap_framing_input_finalize;
  stream_class->read_fn = leap_framing_input_read;
  stream_class->close_fn = leap_framing_input_close;
  stream_class->close_async = leap_framing_input_close_async;
  stream_class->close_finish = leap_framing_input_close_finish;
}

static void
leap_framing_input_init (LeapFramingInput *self)
{
  self->in = g_byte_array_new ();
  self->out = g_byte_array_new ();
}

/**
 * leap_framing_input_new:
 * @connection: an accepted connection whose input stream is pollable
 * @max_body: the largest request body, in bytes
 *
 * Returns: (transfer full): a stream of @connection's requests as they
 *   passed; closing it closes @connection
 */
LeapFramingInput *
leap_framing_input_new (GIOStream *connection,
                        gsize      max_body)
{
  LeapFramingInput *self = g_object_new (LEAP_TYPE_FRAMING_INPUT, NULL);

  self->connection = g_object_ref (connection);
  self->base = g_io_stream_get_input_stream (connection);
  self->max_body = max_body;
  return self;
}

/* Numbers the heads libsoup parsed, 1 for the first, as it parses them
 * (from "got-headers"), to match refusals to their messages. */
guint
leap_framing_input_count_head (LeapFramingInput *self)
{
  g_return_val_if_fail (LEAP_IS_FRAMING_INPUT (self), 0);

  return ++self->n_counted;
}

/* After a head with Upgrade: whether its answer switched protocols. */
void
leap_framing_input_set_upgraded (LeapFramingInput *self,
                                 gboolean          upgraded)
{
  g_return_if_fail (LEAP_IS_FRAMING_INPUT (self));

  if (self->state != STATE_UPGRADE_WAIT)
    return;
  self->state = upgraded ? STATE_PASSTHROUGH : STATE_HEAD;
  if (!upgraded)
    process (self);
}

/**
 * leap_framing_input_get_refusal:
 * @head: the number leap_framing_input_count_head () gave a message
 *
 * Returns: (nullable): why that message's request was refused, or %NULL
 *   if it was not; a 413's message is %NULL (the router says the limit)
 */
const LeapFramingRefusal *
leap_framing_input_get_refusal (LeapFramingInput *self,
                                guint             head)
{
  g_return_val_if_fail (LEAP_IS_FRAMING_INPUT (self), NULL);

  if (self->state != STATE_REFUSED || head != self->refused_head)
    return NULL;
  return &self->refusal;
}
