/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-metrics.h"

#include <stdlib.h>

/* Request counts by route and status, and a latency histogram by route,
 * in the Prometheus text format. Routes are patterns ("/api/v1/events/{id}"),
 * never raw paths, so that clients cannot grow the label set. */
static const double buckets_s[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,   0.1,   0.25,   0.5,   1,    2.5 };

typedef struct
{
  guint64 counts[G_N_ELEMENTS (buckets_s) + 1];
  guint64 total;
  double  sum_s;
} Histogram;

struct _LeapMetrics
{
  GObject     parent_instance;

  GHashTable *requests;   /* "route\tmethod\tstatus" → guint64* */
  GHashTable *histograms; /* route → Histogram */
};

G_DEFINE_FINAL_TYPE (LeapMetrics, leap_metrics, G_TYPE_OBJECT)

void
leap_metrics_observe (LeapMetrics *self,
                      const char  *route,
                      const char  *method,
                      guint        status,
                      gint64       duration_us)
{
  char key[256];
  guint64 *count;
  Histogram *h;
  double s = duration_us / 1e6;
  guint i;

  g_snprintf (key, sizeof key, "%s\t%s\t%u", route, method, status);
  count = g_hash_table_lookup (self->requests, key);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (self->requests, g_strdup (key), count);
    }
  (*count)++;

  h = g_hash_table_lookup (self->histograms, route);
  if (h == NULL)
    {
      h = g_new0 (Histogram, 1);
      g_hash_table_insert (self->histograms, g_strdup (route), h);
    }
  for (i = 0; i < G_N_ELEMENTS (buckets_s) && s > buckets_s[i]; i++)
    ;
  h->counts[i]++;
  h->total++;
  h->sum_s += s;
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

void
leap_metrics_render (LeapMetrics *self,
                     GString     *out)
{
  g_autofree gpointer *keys = NULL;
  guint n;

  g_string_append (
      out, "# HELP leap_http_requests_total HTTP requests answered, by route, method and status.\n"
           "# TYPE leap_http_requests_total counter\n");
  keys = g_hash_table_get_keys_as_array (self->requests, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n; i++)
    {
      g_auto(GStrv) parts = g_strsplit (keys[i], "\t", 3);
      guint64 *count = g_hash_table_lookup (self->requests, keys[i]);

      g_string_append_printf (
          out,
          "leap_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %" G_GUINT64_FORMAT
          "\n",
          parts[0], parts[1], parts[2], *count);
    }
  g_clear_pointer (&keys, g_free);

  g_string_append (out, "# HELP leap_http_request_duration_seconds Time to answer, by route.\n"
                        "# TYPE leap_http_request_duration_seconds histogram\n");
  keys = g_hash_table_get_keys_as_array (self->histograms, &n);
  qsort (keys, n, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n; i++)
    {
      Histogram *h = g_hash_table_lookup (self->histograms, keys[i]);
      guint64 cumulative = 0;

      for (guint b = 0; b < G_N_ELEMENTS (buckets_s); b++)
        {
          char le[G_ASCII_DTOSTR_BUF_SIZE];

          cumulative += h->counts[b];
          g_ascii_dtostr (le, sizeof le, buckets_s[b]);
          g_string_append_printf (
              out,
              "leap_http_request_duration_seconds_bucket{route=\"%s\",le=\"%s\"} %" G_GUINT64_FORMAT
              "\n",
              (char *)keys[i], le, cumulative);
        }
      g_string_append_printf (
          out,
          "leap_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" G_GUINT64_FORMAT
          "\n",
          (char *)keys[i], h->total);
      {
        char sum[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_dtostr (sum, sizeof sum, h->sum_s);
        g_string_append_printf (out, "leap_http_request_duration_seconds_sum{route=\"%s\"} %s\n",
                                (char *) keys[i], sum);
      }
      g_string_append_printf (out, "leap_http_request_duration_seconds_count{route=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", (char *) keys[i], h->total);
    }
}

static void
leap_metrics_finalize (GObject *object)
{
  LeapMetrics *self = LEAP_METRICS (object);

  g_hash_table_unref (self->requests);
  g_hash_table_unref (self->histograms);
  G_OBJECT_CLASS (leap_metrics_parent_class)->finalize (object);
}

static void
leap_metrics_class_init (LeapMetricsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_metrics_finalize;
}

static void
leap_metrics_init (LeapMetrics *self)
{
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->histograms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

LeapMetrics *
leap_metrics_new (void)
{
  return g_object_new (LEAP_TYPE_METRICS, NULL);
}
