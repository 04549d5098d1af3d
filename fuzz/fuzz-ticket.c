/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Ticket codes as a door scanner hands them to the backend:
 * leap_ticket_code_parse () and leap_ticket_signer_verify ()
 * (backend/core/leap-ticket-signer.c), with a signer made from a fixed seed.
 *
 * Checked beyond "does not crash": whatever parses names a positive event
 * and tier and an order id of [A-Za-z0-9_-]; and a code that verifies is
 * byte for byte the code the signer issues for its fields (Ed25519 is
 * deterministic). A second spelling of a valid code (other base64 padding
 * bits, other case of the prefix…) would pass a door that remembers codes as
 * text twice. Set LEAP_FUZZ_TICKET_SEEDS=DIR to write valid codes there, to
 * seed corpus/ticket/. */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "leap-error.h"
#include "leap-ticket-signer.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static LeapTicketSigner *signer;

static void
write_seeds (const char *dir)
{
  static const struct { gint64 event, tier; const char *order; guint index; } codes[] = {
    { 1, 1, "o-1-AAAAAAAAAAAAAAAAAAAAAA", 0 },
    { 42, 7, "o-42-AbCdEfGhIjKlMnOpQrStUv", 3 },
    { G_MAXINT64, G_MAXINT64, "o-9223372036854775807-____________________-_", G_MAXUINT16 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *code = leap_ticket_signer_sign (signer, codes[i].event, codes[i].order,
                                                       codes[i].tier, codes[i].index, &error);
      g_autofree char *name = g_strdup_printf ("valid-%u", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_no_error (error);
      g_assert_true (g_file_set_contents (path, code, -1, &error));
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  guint8 seed[crypto_sign_SEEDBYTES];

  g_assert_cmpint (sodium_init (), >=, 0);
  for (guint i = 0; i < sizeof seed; i++)
    seed[i] = i;
  signer = leap_ticket_signer_new_from_seed (seed, sizeof seed);
  g_assert_nonnull (signer);
  if (g_getenv ("LEAP_FUZZ_TICKET_SEEDS") != NULL)
    write_seeds (g_getenv ("LEAP_FUZZ_TICKET_SEEDS"));
  return 0;
}

static void
assert_fields_sane (const LeapTicketFields *fields)
{
  gsize len = strlen (fields->order_id);

  g_assert_cmpint (fields->event_id, >, 0);
  g_assert_cmpint (fields->tier_id, >, 0);
  g_assert_cmpuint (fields->index, <=, G_MAXUINT16);
  g_assert_cmpuint (len, >=, 1);
  g_assert_cmpuint (len, <=, 64);
  for (gsize i = 0; i < len; i++)
    g_assert_true (g_ascii_isalnum (fields->order_id[i]) || fields->order_id[i] == '-' ||
                   fields->order_id[i] == '_');
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  /* As the scanner sends it: any bytes, not NUL-terminated. */
  const char *code = (const char *) data;
  LeapTicketFields fields;
  g_autoptr(GError) error = NULL;

  if (leap_ticket_code_parse (code, size, &fields, &error))
    {
      g_assert_no_error (error);
      assert_fields_sane (&fields);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == LEAP_ERROR);
    }

  g_clear_error (&error);
  if (leap_ticket_signer_verify (signer, code, size, &fields, &error))
    {
      g_autofree char *issued = NULL;

      g_assert_no_error (error);
      assert_fields_sane (&fields);
      issued = leap_ticket_signer_sign (signer, fields.event_id, fields.order_id, fields.tier_id,
                                        fields.index, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (strlen (issued), ==, size);
      g_assert_true (memcmp (issued, code, size) == 0);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == LEAP_ERROR);
    }
  return 0;
}
