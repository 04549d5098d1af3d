/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The proof (issue 14): a retry storm with faults. Sales run through two
 * leap-backend processes, from clients that give up at random moments and
 * retry every request with its Idempotency-Key, while the worker, one
 * backend and Redis (AOF) are each killed with kill -9 at random moments
 * and restarted. Afterwards every order a client saw paid is in the
 * database once, every charge in the card terminal's ledger belongs to
 * exactly one paid order, the counters add up to capacity, and every
 * ticket is admitted exactly once at the door.
 *
 * LEAP_STORM_SALES=N sets the number of sales (default STORM_SALES, sized
 * for CI; docs/reliability.md has the figures of 2,000), LEAP_STORM_SEED=S
 * replays the random choices of a run (the seed is printed). */
#include "leap-fault.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STORM_SALES        1000
#define STORM_IN_FLIGHT    48
#define SALE_DEADLINE_S    90   /* a sale's whole life, retries included */
#define SALE_MAX_HOLDS     5    /* new holds after one that expired */
#define CARD_LATENCY_MS    20
#define DECLINE_RATE       0.1
#define CLAIM_IDLE_MS      1000
#define ABANDON_SHARE      0.12 /* requests sent, then the socket closed at once */
#define GIVE_UP_SHARE      0.10 /* requests cancelled after 1–40 ms */
#define CHECKIN_IN_FLIGHT  32

static LeapTestRedis redis;

typedef struct _Storm Storm;

typedef enum
{
  END_PAID,
  END_FAILED,
  END_SOLD_OUT,
  END_EXPIRED,
  END_REVIEW,
  END_TIMED_OUT,
  END_UNEXPECTED,
  N_ENDS
} End;

static const char *end_names[N_ENDS] = {
  "paid", "failed (declined)", "sold out", "hold expired every time", "needs review",
  "timed out", "unexpected answer",
};

typedef enum
{
  VICTIM_WORKER,
  VICTIM_BACKEND,
  VICTIM_REDIS,
  N_VICTIMS
} Victim;

static const char *victim_names[N_VICTIMS] = { "worker", "backend", "redis" };

/* One HTTP request, sent again with the same key (and body) until it gets
 * an answer that is not "try again", or its deadline passes. */
typedef void (*CallDone) (gpointer    owner,
                          guint       status,
                          JsonObject *answer,
                          gboolean    replayed);

typedef struct
{
  Storm        *storm;
  const char   *method;
  char         *path;
  char         *token;
  char         *key;
  char         *body;
  gint64        deadline;
  gboolean      may_abandon;
  guint         attempts;
  CallDone      done;
  gpointer      owner;
  GCancellable *cancellable;
  guint         give_up_id;
} Call;

typedef enum
{
  STEP_SESSION,
  STEP_HOLD,
  STEP_ORDER,
  STEP_POLL,
} Step;

typedef struct
{
  Storm   *storm;
  guint    index;
  gboolean guest;
  gboolean card;
  gint64   tier;
  guint    quantity;
  char    *token;
  char    *hold_id;
  char    *order_id;
  Step     step;
  guint    holds;
  guint    polls;
  gint64   deadline;
} Sale;

struct _Storm
{
  LeapFault   *f;
  GRand       *rand;
  guint32      seed;
  gint64       start;
  SoupSession *session;
  guint16      ports[2];
  char        *run;          /* a prefix for the run's keys */
  guint        total;
  guint        started;
  guint        running;
  guint        finished;
  guint        want;         /* sales finished that a wait waits for */
  GHashTable  *paid_seen;    /* order id → tickets: the clients saw it paid */
  guint        ends[N_ENDS];
  /* What the clients went through. */
  guint        requests;
  guint        retries;
  guint        abandoned;
  guint        given_up;
  guint        transport;
  guint        unavailable;
  guint        in_progress;  /* 409 with Retry-After: the key's first request runs */
  guint        limited;      /* 429 */
  guint        server;       /* 5xx other than 503 */
  guint        replayed;
  guint        new_holds;    /* a hold expired (or vanished) before its order */
  guint        unexpected;
  guint        kills[N_VICTIMS];
  /* The door. */
  guint        checkins_running;
  guint        checkin_next;
  GPtrArray   *codes;
  GHashTable  *admitted;     /* code → admissions (distinct keys answered 200) */
  guint        checkin_requests;
  guint        already;      /* 409 already_checked_in */
  guint        checkin_unexpected;
};

static guint16
pick_port (Storm *s)
{
  return s->ports[g_rand_int_range (s->rand, 0, 2)];
}

static void
unexpected (Storm      *s,
            const char *what,
            guint       status,
            JsonObject *answer)
{
  g_autofree char *text = NULL;

  if (answer != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), answer);

      text = json_to_string (node, FALSE);
    }
  s->unexpected++;
  if (s->unexpected <= 10)
    g_test_message ("unexpected: %s answered %u %s", what, status, text ? text : "");
}

/* Requests */

static void call_send (Call *call);

static void
call_free (Call *call)
{
  g_clear_handle_id (&call->give_up_id, g_source_remove);
  g_clear_object (&call->cancellable);
  g_free (call->path);
  g_free (call->token);
  g_free (call->key);
  g_free (call->body);
  g_free (call);
}

static Call *
call_new (Storm      *s,
          const char *method,
          const char *path,
          const char *token,
          const char *key,
          const char *body,
          gint64      deadline,
          CallDone    done,
          gpointer    owner)
{
  Call *call = g_new0 (Call, 1);

  call->storm = s;
  call->method = method;
  call->path = g_strdup (path);
  call->token = g_strdup (token);
  call->key = g_strdup (key);
  call->body = g_strdup (body);
  call->deadline = deadline;
  call->may_abandon = body != NULL;
  call->done = done;
  call->owner = owner;
  return call;
}

static gboolean
call_retry_cb (gpointer data)
{
  call_send (data);
  return G_SOURCE_REMOVE;
}

/* Backoff: 25 ms doubling to 800 ms, jittered by ±50 %. */
static void
call_again (Call *call)
{
  Storm *s = call->storm;
  guint base = 25u << MIN (call->attempts, 5u);

  s->retries++;
  call->attempts++;
  g_timeout_add (base / 2 + g_rand_int_range (call->storm->rand, 0, base), call_retry_cb, call);
}

static void
call_finish (Call       *call,
             guint       status,
             JsonObject *answer,
             gboolean    replayed)
{
  CallDone done = call->done;
  gpointer owner = call->owner;

  call_free (call);
  done (owner, status, answer, replayed);
}

/* Sends the request and closes the socket at once: the client gave up
 * right after sending. A refused connection is a give-up too. */
static void
call_abandon (Call    *call,
              guint16  port)
{
  struct sockaddr_in addr = { 0 };
  g_autoptr(GString) req = g_string_new (NULL);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gsize sent = 0;

  g_assert_cmpint (fd, >=, 0);
  addr.sin_family = AF_INET;
  addr.sin_port = htons (port);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_string_printf (req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", call->method, call->path,
                   port);
  if (call->token != NULL)
    g_string_append_printf (req, "Authorization: Bearer %s\r\n", call->token);
  g_string_append_printf (req,
                          "Idempotency-Key: %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          call->key, strlen (call->body), call->body);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0)
    while (sent < req->len)
      {
        ssize_t n = send (fd, req->str + sent, req->len - sent, MSG_NOSIGNAL);

        if (n <= 0)
          break;
        sent += n;
      }
  close (fd);
}

static gboolean
give_up_cb (gpointer data)
{
  Call *call = data;

  call->give_up_id = 0;
  call->storm->given_up++;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
call_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Call *call = user_data;
  Storm *s = call->storm;
  g_autoptr(SoupMessage) msg =
    g_object_ref (soup_session_get_async_result_message (SOUP_SESSION (object), result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                               &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonObject) answer = NULL;
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  guint status = error != NULL ? 0 : soup_message_get_status (msg);
  gboolean replayed;

  g_clear_handle_id (&call->give_up_id, g_source_remove);
  g_clear_object (&call->cancellable);
  if (bytes != NULL && g_bytes_get_size (bytes) > 0 &&
      json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                  g_bytes_get_size (bytes), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    answer = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  replayed = status != 0 && soup_message_headers_get_one (headers, "Idempotent-Replayed") != NULL;

  /* Try again: no answer, the service unavailable for a moment, the key's
   * first request still running, too many requests. */
  if (status == 0)
    s->transport++;
  else if (status == 503)
    s->unavailable++;
  else if (status >= 500)
    s->server++;
  else if (status == 409 && soup_message_headers_get_one (headers, "Retry-After") != NULL)
    s->in_progress++;
  else if (status == 429)
    s->limited++;
  else
    {
      if (replayed)
        s->replayed++;
      call_finish (call, status, answer, replayed);
      return;
    }
  if (g_get_monotonic_time () >= call->deadline)
    {
      call_finish (call, 0, NULL, FALSE);
      return;
    }
  call_again (call);
}

static void
call_send (Call *call)
{
  Storm *s = call->storm;
  guint16 port = pick_port (s);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, call->path);
  g_autoptr(SoupMessage) msg = soup_message_new (call->method, url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  double r = g_rand_double (s->rand);

  s->requests++;
  if (call->may_abandon && r < ABANDON_SHARE)
    {
      s->abandoned++;
      call_abandon (call, port);
      if (g_get_monotonic_time () >= call->deadline)
        call_finish (call, 0, NULL, FALSE);
      else
        call_again (call);
      return;
    }
  if (call->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", call->token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (call->key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", call->key);
  if (call->body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (call->body, strlen (call->body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  call->cancellable = g_cancellable_new ();
  if (r < ABANDON_SHARE + GIVE_UP_SHARE)
    call->give_up_id = g_timeout_add (g_rand_int_range (s->rand, 1, 41), give_up_cb, call);
  soup_session_send_and_read_async (s->session, msg, G_PRIORITY_DEFAULT, call->cancellable,
                                    call_sent_cb, call);
}

/* Sales: a guest or cashier session → POST /holds → POST /orders → GET
 * /orders/{id} until it is settled. */

static void sale_step (Sale *sale);
static void sale_start_next (Storm *s);

static const char *
error_code (JsonObject *answer)
{
  JsonObject *error;

  if (answer == NULL || !json_object_has_member (answer, "error"))
    return "";
  error = json_object_get_object_member (answer, "error");
  return error != NULL ? json_object_get_string_member_with_default (error, "code", "") : "";
}

static void
sale_end (Sale *sale,
          End   end)
{
  Storm *s = sale->storm;

  s->ends[end]++;
  s->running--;
  s->finished++;
  g_free (sale->token);
  g_free (sale->hold_id);
  g_free (sale->order_id);
  g_free (sale);
  sale_start_next (s);
}

static gboolean
sale_step_cb (gpointer data)
{
  sale_step (data);
  return G_SOURCE_REMOVE;
}

static void
session_cb (gpointer    owner,
            guint       status,
            JsonObject *answer,
            gboolean    replayed)
{
  Sale *sale = owner;

  if (status == 0)
    {
      sale_end (sale, END_TIMED_OUT);
      return;
    }
  if (status != 201 || answer == NULL || !json_object_has_member (answer, "token"))
    {
      unexpected (sale->storm, "POST /sessions", status, answer);
      sale_end (sale, END_UNEXPECTED);
      return;
    }
  sale->token = g_strdup (json_object_get_string_member (answer, "token"));
  sale->step = STEP_HOLD;
  sale_step (sale);
}

static void
hold_cb (gpointer    owner,
         guint       status,
         JsonObject *answer,
         gboolean    replayed)
{
  Sale *sale = owner;

  if (status == 0)
    sale_end (sale, END_TIMED_OUT);
  else if (status == 201 && answer != NULL && json_object_has_member (answer, "hold_id"))
    {
      g_free (sale->hold_id);
      sale->hold_id = g_strdup (json_object_get_string_member (answer, "hold_id"));
      sale->step = STEP_ORDER;
      sale_step (sale);
    }
  else if (status == 409 && g_str_equal (error_code (answer), "sold_out"))
    sale_end (sale, END_SOLD_OUT);
  else
    {
      unexpected (sale->storm, "POST /holds", status, answer);
      sale_end (sale, END_UNEXPECTED);
    }
}

static void
order_cb (gpointer    owner,
          guint       status,
          JsonObject *answer,
          gboolean    replayed)
{
  Sale *sale = owner;
  Storm *s = sale->storm;

  if (status == 0)
    sale_end (sale, END_TIMED_OUT);
  else if (status == 202 && answer != NULL && json_object_has_member (answer, "order_id"))
    {
      g_autofree char *want = g_strconcat ("o-", sale->hold_id, NULL);
      const char *id = json_object_get_string_member (answer, "order_id");

      g_assert_cmpstr (id, ==, want);
      sale->order_id = g_strdup (id);
      if (!g_hash_table_contains (s->f->accepted, id))
        g_hash_table_insert (s->f->accepted, g_strdup (id),
                             GINT_TO_POINTER (LEAP_FAULT_DURING + 1));
      sale->step = STEP_POLL;
      sale_step (sale);
    }
  else if ((status == 410 || status == 404) && sale->holds < SALE_MAX_HOLDS)
    {
      /* The hold ran out while the order was retried (holds last
       * LEAP_FAULT_HOLD_TTL_S): a new hold, with new keys. */
      if (status == 404)
        unexpected (s, "POST /orders", status, answer);
      s->new_holds++;
      sale->step = STEP_HOLD;
      sale_step (sale);
    }
  else if (status == 410)
    sale_end (sale, END_EXPIRED);
  else
    {
      unexpected (s, "POST /orders", status, answer);
      sale_end (sale, END_UNEXPECTED);
    }
}

static void
poll_cb (gpointer    owner,
         guint       status,
         JsonObject *answer,
         gboolean    replayed)
{
  Sale *sale = owner;
  Storm *s = sale->storm;
  const char *state;

  if (status == 0)
    {
      sale_end (sale, END_TIMED_OUT);
      return;
    }
  if (status != 200 || answer == NULL)
    {
      unexpected (s, "GET /orders/{id}", status, answer);
      sale_end (sale, END_UNEXPECTED);
      return;
    }
  state = json_object_get_string_member_with_default (answer, "status", "");
  if (g_str_equal (state, "paid"))
    {
      JsonArray *tickets = json_object_get_array_member (answer, "tickets");

      g_assert_nonnull (tickets);
      g_assert_cmpuint (json_array_get_length (tickets), ==, sale->quantity);
      g_hash_table_insert (s->paid_seen, g_strdup (sale->order_id),
                           GUINT_TO_POINTER (sale->quantity));
      sale_end (sale, END_PAID);
    }
  else if (g_str_equal (state, "failed"))
    sale_end (sale, END_FAILED);
  else if (g_str_equal (state, "needs_review"))
    sale_end (sale, END_REVIEW);
  else if (g_str_equal (state, "pending") && g_get_monotonic_time () < sale->deadline)
    {
      /* 50 ms doubling to 800 ms. */
      g_timeout_add (50u << MIN (sale->polls, 4u), sale_step_cb, sale);
      sale->polls++;
    }
  else if (g_str_equal (state, "pending"))
    sale_end (sale, END_TIMED_OUT);
  else
    {
      unexpected (s, "GET /orders/{id}", status, answer);
      sale_end (sale, END_UNEXPECTED);
    }
}

static void
sale_step (Sale *sale)
{
  Storm *s = sale->storm;
  const char *token = sale->guest ? sale->token : s->f->cashier;
  g_autofree char *key = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  Call *call = NULL;

  switch (sale->step)
    {
    case STEP_SESSION:
      key = g_strdup_printf ("%s-s%u-session", s->run, sale->index);
      call = call_new (s, "POST", "/api/v1/sessions", NULL, key, "{\"guest\": true}",
                       sale->deadline, session_cb, sale);
      break;
    case STEP_HOLD:
      sale->holds++;
      key = g_strdup_printf ("%s-s%u-hold%u", s->run, sale->index, sale->holds);
      body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": [{\"tier_id\": %"
                              G_GINT64_FORMAT ", \"quantity\": %u}]}",
                              s->f->event, sale->tier, sale->quantity);
      call = call_new (s, "POST", "/api/v1/holds", token, key, body, sale->deadline, hold_cb,
                       sale);
      break;
    case STEP_ORDER:
      key = g_strdup_printf ("%s-s%u-order%u", s->run, sale->index, sale->holds);
      body = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": %s, "
                              "\"customer\": {\"name\": \"Storm %u\"}}",
                              sale->hold_id,
                              sale->card ? "{\"method\": \"card\"}"
                                         : "{\"method\": \"cash\", \"tendered\": 100000}",
                              sale->index);
      call = call_new (s, "POST", "/api/v1/orders", token, key, body, sale->deadline, order_cb,
                       sale);
      break;
    case STEP_POLL:
      path = g_strdup_printf ("/api/v1/orders/%s", sale->order_id);
      call = call_new (s, "GET", path, token, NULL, NULL, sale->deadline, poll_cb, sale);
      break;
    default:
      g_assert_not_reached ();
    }
  call_send (call);
}

static void
sale_start_next (Storm *s)
{
  Sale *sale;

  if (s->started >= s->total)
    return;
  sale = g_new0 (Sale, 1);
  sale->storm = s;
  sale->index = s->started++;
  sale->guest = g_rand_boolean (s->rand);
  /* Guests pay by card; half the cashier's sales are cash. */
  sale->card = sale->guest || g_rand_boolean (s->rand);
  sale->tier = s->f->tiers[g_rand_int_range (s->rand, 0, 2)];
  sale->quantity = g_rand_int_range (s->rand, 1, 3);
  sale->deadline = g_get_monotonic_time () + SALE_DEADLINE_S * G_USEC_PER_SEC;
  sale->step = sale->guest ? STEP_SESSION : STEP_HOLD;
  s->running++;
  sale_step (sale);
}

/* The kills */

static gboolean
sales_reached (gpointer data)
{
  Storm *s = data;
  return s->finished >= s->want;
}

static void
wait_finished (Storm *s,
               guint  want,
               guint  timeout_ms)
{
  s->want = want;
  if (!leap_test_wait_until (sales_reached, s, timeout_ms))
    g_error ("%u of %u sales finished, not %u, within %u ms (%u running)", s->finished, s->total,
             want, timeout_ms, s->running);
}

static void
kill_and_restart (Storm       *s,
                  Victim       victim,
                  GSubprocess **backend_b,
                  guint       *workers)
{
  LeapFault *f = s->f;
  guint down_ms = g_rand_int_range (s->rand, 100, 801);
  g_autofree char *name = NULL;

  s->kills[victim]++;
  switch (victim)
    {
    case VICTIM_WORKER:
      leap_fault_kill (g_ptr_array_index (f->workers, f->workers->len - 1));
      leap_fault_run_for (f, down_ms);
      name = g_strdup_printf ("w%u", ++*workers);
      leap_fault_start_worker (f, name, CLAIM_IDLE_MS, CARD_LATENCY_MS);
      break;
    case VICTIM_BACKEND:
      leap_fault_kill (*backend_b);
      g_clear_object (backend_b);
      leap_fault_run_for (f, down_ms);
      name = g_strdup_printf ("backend-b%u", s->kills[victim]);
      *backend_b = leap_fault_spawn_backend (f, s->ports[1], name);
      break;
    case VICTIM_REDIS:
      leap_test_redis_kill (f->tb.redis);
      leap_fault_run_for (f, down_ms);
      leap_test_redis_start (f->tb.redis);
      break;
    default:
      g_assert_not_reached ();
    }
  g_test_message ("%.1f s: kill -9 %s at %u of %u sales finished, down %u ms",
                  (g_get_monotonic_time () - s->start) / 1e6, victim_names[victim], s->finished,
                  s->total, down_ms);
}

/* The door: every paid ticket checked in; some twice at once through both
 * backends, some given up right after sending and retried with the same
 * key. Each is admitted exactly once. */

typedef struct
{
  Storm *storm;
  char  *code;
  guint  pending;
} Door;

static void checkin_next (Storm *s);

static void
checkin_cb (gpointer    owner,
            guint       status,
            JsonObject *answer,
            gboolean    replayed)
{
  Door *door = owner;
  Storm *s = door->storm;

  if (status == 200)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (s->admitted, door->code));

      g_hash_table_insert (s->admitted, g_strdup (door->code), GUINT_TO_POINTER (n + 1));
    }
  else if (status == 409 && g_str_equal (error_code (answer), "already_checked_in"))
    s->already++;
  else
    {
      s->checkin_unexpected++;
      unexpected (s, "POST /checkins", status, answer);
    }
  if (--door->pending > 0)
    return;
  g_free (door->code);
  g_free (door);
  s->checkins_running--;
  checkin_next (s);
}

static void
checkin_next (Storm *s)
{
  Door *door;
  guint scans;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  if (s->checkin_next >= s->codes->len)
    return;
  door = g_new0 (Door, 1);
  door->storm = s;
  door->code = g_strdup (g_ptr_array_index (s->codes, s->checkin_next));
  /* One scan mostly; two scanners at once for one ticket in five. */
  scans = g_rand_double (s->rand) < 0.2 ? 2 : 1;
  door->pending = scans;
  s->checkins_running++;
  for (guint i = 0; i < scans; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s-door%u-%u", s->run, s->checkin_next, i);
      g_autofree char *body =
        g_strdup_printf ("{\"code\": \"%s\", \"event_id\": %" G_GINT64_FORMAT "}", door->code,
                         s->f->event);
      Call *call = call_new (s, "POST", "/api/v1/checkins", s->f->cashier, key, body, deadline,
                             checkin_cb, door);

      s->checkin_requests++;
      call_send (call);
    }
  s->checkin_next++;
}

static gboolean
door_done (gpointer data)
{
  Storm *s = data;
  return s->checkin_next >= s->codes->len && s->checkins_running == 0;
}

static void
check_in_everyone (Storm *s)
{
  LeapFault *f = s->f;
  GHashTableIter iter;
  gpointer code, n;

  s->codes = leap_test_db_column (f->db, "SELECT t.code FROM tickets t JOIN orders o "
                                         "ON o.id = t.order_id WHERE o.status = 'paid' "
                                         "ORDER BY t.code");
  s->admitted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < CHECKIN_IN_FLIGHT; i++)
    checkin_next (s);
  g_assert_true (leap_test_wait_until (door_done, s, 120000));

  g_assert_cmpuint (s->checkin_unexpected, ==, 0);
  g_assert_cmpuint (g_hash_table_size (s->admitted), ==, s->codes->len);
  g_hash_table_iter_init (&iter, s->admitted);
  while (g_hash_table_iter_next (&iter, &code, &n))
    if (GPOINTER_TO_UINT (n) != 1)
      g_error ("ticket %s admitted %u times", (char *) code, GPOINTER_TO_UINT (n));
  /* The database agrees: each paid ticket admitted, one audit entry each. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM tickets t JOIN orders o "
                                         "ON o.id = t.order_id WHERE o.status = 'paid' "
                                         "AND t.checked_in_at IS NULL"),
                   ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM audit_log "
                                         "WHERE action = 'check_in'"),
                   ==, s->codes->len);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(DISTINCT object_id) FROM audit_log "
                                         "WHERE action = 'check_in'"),
                   ==, s->codes->len);
}

/* The ledger and the orders */

static void
assert_paid_seen (Storm *s)
{
  LeapFault *f = s->f;
  GHashTableIter iter;
  gpointer id, tickets;

  g_hash_table_iter_init (&iter, s->paid_seen);
  while (g_hash_table_iter_next (&iter, &id, &tickets))
    {
      /* Paid in the database, once: one order, one payment, its tickets. */
      g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE id = '%s' "
                                             "AND status = 'paid'", (char *) id),
                       ==, 1);
      g_assert_cmpint (leap_test_db_int (f->db,
                                         "SELECT count(*) FROM payments WHERE order_id = '%s'",
                                         (char *) id),
                       ==, 1);
      g_assert_cmpint (leap_test_db_int (f->db,
                                         "SELECT count(*) FROM tickets WHERE order_id = '%s'",
                                         (char *) id),
                       ==, GPOINTER_TO_UINT (tickets));
    }
}

static void
assert_ledger (LeapFault *f)
{
  /* Every approved charge is a paid card order's, or was voided (its order
   * could not be written): no money taken for nothing. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges c "
                                         "WHERE c.kind = 'charge' AND c.result = 'approved' "
                                         "AND NOT EXISTS (SELECT 1 FROM orders o WHERE "
                                         "o.id = c.key AND o.status = 'paid') "
                                         "AND NOT EXISTS (SELECT 1 FROM card_charges v WHERE "
                                         "v.kind = 'void' AND v.key = c.key || ':void')"),
                   ==, 0);
  /* A paid order's charge is not also given back. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges v "
                                         "JOIN orders o ON v.key = o.id || ':void' "
                                         "WHERE v.kind = 'void' AND o.status = 'paid'"),
                   ==, 0);
  /* Every paid card order has its one approved charge, of its total. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders o JOIN payments p "
                                         "ON p.order_id = o.id WHERE o.status = 'paid' "
                                         "AND p.method = 'card' AND NOT EXISTS (SELECT 1 "
                                         "FROM card_charges c WHERE c.key = o.id AND "
                                         "c.kind = 'charge' AND c.result = 'approved' AND "
                                         "c.amount = o.total)"),
                   ==, 0);
  /* A declined charge failed its order; nothing was refunded. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges c WHERE "
                                         "c.kind = 'charge' AND c.result != 'approved' AND "
                                         "NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = c.key "
                                         "AND o.status = 'failed')"),
                   ==, 0);
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM card_charges "
                                         "WHERE kind = 'refund'"),
                   ==, 0);
  /* A charge paid for an order whose hold was lost is a person's work;
   * with Redis on its AOF no hold is lost. */
  g_assert_cmpint (leap_test_db_int (f->db, "SELECT count(*) FROM orders "
                                         "WHERE status = 'needs_review'"),
                   ==, 0);
}

/* The test */

static guint
storm_sales (void)
{
  const char *env = g_getenv ("LEAP_STORM_SALES");

  return env != NULL ? CLAMP (g_ascii_strtoull (env, NULL, 10), 10, 100000) : STORM_SALES;
}

static void
setup (LeapFault *f, gconstpointer data)
{
  g_autofree char *config = NULL;
  guint sales = storm_sales ();
  guint capacity;

  /* 1.5 tickets a sale on average: most sales fit, the last ones may find
   * a tier sold out. */
  capacity = sales * 7 / 8;
  leap_fault_setup (f, capacity, capacity);
  f->accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  f->card_decline_rate = DECLINE_RATE;
  /* Every client is 127.0.0.1: the per-address guest limits (requests,
   * and tickets in live holds) would refuse most of them. */
  config = g_build_filename (f->tb.dir, "backend.conf", NULL);
  g_assert_true (g_file_set_contents (config,
                                      "[backend]\nguest-rate=100000\n"
                                      "guest-address-max-tickets=100000\n", -1, NULL));
  f->backend_config = g_intern_string (config);
  leap_fault_start_backend_process (f);
}

static void
teardown (LeapFault *f, gconstpointer data)
{
  leap_fault_teardown (f);
}

static void
test_storm (LeapFault *f, gconstpointer data)
{
  Storm s = { 0 };
  g_autoptr(GSubprocess) backend_b = NULL;
  g_autoptr(GArray) plan = g_array_new (FALSE, FALSE, sizeof (Victim));
  gint64 start = g_get_monotonic_time ();
  guint workers = 1;
  guint rounds;
  gint64 paid, charges, approved, declined, asks;

  s.f = f;
  s.start = start;
  s.total = storm_sales ();
  s.seed = g_getenv ("LEAP_STORM_SEED") != NULL
             ? (guint32) g_ascii_strtoull (g_getenv ("LEAP_STORM_SEED"), NULL, 10)
             : (guint32) g_test_rand_int ();
  g_test_message ("storm: %u sales, seed %u (replay: LEAP_STORM_SALES=%u LEAP_STORM_SEED=%u)",
                  s.total, s.seed, s.total, s.seed);
  s.rand = g_rand_new_with_seed (s.seed);
  s.run = g_strdup_printf ("storm-%u", s.seed);
  s.paid_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s.session = soup_session_new_with_options ("timeout", 30, "max-conns", STORM_IN_FLIGHT * 3,
                                             "max-conns-per-host", STORM_IN_FLIGHT * 2, NULL);
  s.ports[0] = f->backend_port;
  s.ports[1] = leap_test_free_port ();
  backend_b = leap_fault_spawn_backend (f, s.ports[1], "backend-b0");
  leap_fault_start_worker (f, "w1", CLAIM_IDLE_MS, CARD_LATENCY_MS);

  /* Each process is killed `rounds` times, in a random order, at random
   * points of the sale (by sales finished, so that a slow machine sees
   * the same storm). */
  rounds = CLAMP (s.total / 250, 1, 8);
  for (guint r = 0; r < rounds; r++)
    for (Victim v = 0; v < N_VICTIMS; v++)
      g_array_append_val (plan, v);
  for (guint i = plan->len - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (s.rand, 0, i + 1);
      Victim t = g_array_index (plan, Victim, i);

      g_array_index (plan, Victim, i) = g_array_index (plan, Victim, j);
      g_array_index (plan, Victim, j) = t;
    }

  for (guint i = 0; i < STORM_IN_FLIGHT; i++)
    sale_start_next (&s);
  for (guint i = 0; i < plan->len; i++)
    {
      /* Spread over 5–90 % of the sales, each point jittered. */
      guint slot = s.total * 85 / 100 / plan->len;
      guint want = s.total * 5 / 100 + slot * i + g_rand_int_range (s.rand, 0, MAX (slot, 1u));

      wait_finished (&s, want, 120000);
      kill_and_restart (&s, g_array_index (plan, Victim, i), &backend_b, &workers);
    }
  wait_finished (&s, s.total, (SALE_DEADLINE_S + 30) * 1000);
  g_test_message ("storm: sales over after %.1f s", (g_get_monotonic_time () - start) / 1e6);

  /* Settled: the suite's checks (every accepted order written, nothing
   * held past its expiry, the counters add up to capacity, no oversell,
   * one payment per paid order, every ticket code once), then the
   * storm's own. */
  leap_fault_assert_invariants (f);
  g_assert_nonnull (g_subprocess_get_identifier (backend_b));
  assert_paid_seen (&s);
  assert_ledger (f);
  check_in_everyone (&s);

  paid = leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'paid'");
  charges = leap_test_db_int (f->db, "SELECT count(*) FROM card_charges WHERE kind = 'charge'");
  approved = leap_test_db_int (f->db, "SELECT count(*) FROM card_charges WHERE kind = 'charge' "
                                   "AND result = 'approved'");
  declined = charges - approved;
  asks = leap_test_db_int (f->db, "SELECT coalesce (sum (requests), 0) FROM card_charges");
  g_test_message ("storm: %u sales in %.1f s; ends: %u %s, %u %s, %u %s, %u %s, %u %s, %u %s, "
                  "%u %s",
                  s.total, (g_get_monotonic_time () - start) / 1e6, s.ends[0], end_names[0],
                  s.ends[1], end_names[1], s.ends[2], end_names[2], s.ends[3], end_names[3],
                  s.ends[4], end_names[4], s.ends[5], end_names[5], s.ends[6], end_names[6]);
  g_test_message ("storm: %u requests, %u retries: %u sent then abandoned, %u given up "
                  "mid-request, %u without answer, %u 503, %u 409 in progress, %u 429, "
                  "%u other 5xx; %u answers replayed; %u new holds after one ran out",
                  s.requests, s.retries, s.abandoned, s.given_up, s.transport, s.unavailable,
                  s.in_progress, s.limited, s.server, s.replayed, s.new_holds);
  g_test_message ("storm: %u orders accepted, %" G_GINT64_FORMAT " paid (%u seen paid by the "
                  "clients), %" G_GINT64_FORMAT " failed; ledger: %" G_GINT64_FORMAT
                  " charges (%" G_GINT64_FORMAT " approved, %" G_GINT64_FORMAT " declined), "
                  "%" G_GINT64_FORMAT " voids, %" G_GINT64_FORMAT " asks of the terminal",
                  g_hash_table_size (f->accepted), paid, g_hash_table_size (s.paid_seen),
                  leap_test_db_int (f->db, "SELECT count(*) FROM orders WHERE status = 'failed'"),
                  charges, approved, declined,
                  leap_test_db_int (f->db, "SELECT count(*) FROM card_charges WHERE kind = 'void'"),
                  asks);
  g_test_message ("storm: kills: %u worker, %u backend, %u redis; sold %" G_GINT64_FORMAT
                  "/%u + %" G_GINT64_FORMAT "/%u; %" G_GINT64_FORMAT " holds made by the "
                  "database; %" G_GUINT64_FORMAT " repairs by the reconciler; %" G_GINT64_FORMAT
                  " dead letters",
                  s.kills[VICTIM_WORKER], s.kills[VICTIM_BACKEND], s.kills[VICTIM_REDIS],
                  leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                    f->tiers[0]),
                  f->capacity[0],
                  leap_test_db_int (f->db, "SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT,
                                    f->tiers[1]),
                  f->capacity[1], f->db_holds, f->repairs, f->dead_letters);
  g_test_message ("storm: door: %u tickets, %u scans, %u admitted, %u already checked in",
                  s.codes->len, s.checkin_requests, g_hash_table_size (s.admitted), s.already);

  g_assert_cmpuint (s.unexpected, ==, 0);
  g_assert_cmpuint (s.server, ==, 0);
  g_assert_cmpuint (s.ends[END_TIMED_OUT], ==, 0);
  g_assert_cmpuint (s.ends[END_PAID], >, 0);
  for (Victim v = 0; v < N_VICTIMS; v++)
    g_assert_cmpuint (s.kills[v], >, 0);

  leap_fault_kill (backend_b);
  g_ptr_array_unref (s.codes);
  g_hash_table_unref (s.admitted);
  g_hash_table_unref (s.paid_seen);
  g_object_unref (s.session);
  g_rand_free (s.rand);
  g_free (s.run);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_fault_global_init (&redis);
  g_test_add ("/leap/faults/storm/retries-and-kills", LeapFault, NULL, setup, test_storm,
              teardown);
  status = g_test_run ();
  leap_fault_global_fini (&redis);
  return status;
}
