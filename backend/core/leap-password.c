/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-password.h"
#include "leap-error.h"

#include <sodium.h>
#include <string.h>

/* Argon2id with libsodium's interactive limits: about 0.1 s and 64 MiB a
 * login, run off the main loop by the callers. */
#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

gboolean
leap_password_init (void)
{
  return sodium_init () >= 0;
}

char *
leap_password_hash (const char *password,
                    GError    **error)
{
  char hash[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str (hash, password, strlen (password), OPSLIMIT, MEMLIMIT) != 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INTERNAL,
                           "Out of memory hashing a password");
      return NULL;
    }
  return g_strdup (hash);
}

gboolean
leap_password_verify (const char *hash,
                      const char *password)
{
  return crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
}

gboolean
leap_password_needs_rehash (const char *hash)
{
  return crypto_pwhash_str_needs_rehash (hash, OPSLIMIT, MEMLIMIT) != 0;
}

/* 256 random bits, URL-safe base64 without padding. */
char *
leap_token_new (void)
{
  guchar raw[32];
  char text[sodium_base64_ENCODED_LEN (32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (raw, sizeof raw);
  sodium_bin2base64 (text, sizeof text, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (raw, sizeof raw);
  return g_strdup (text);
}

/* What the database and Redis keep instead of the token. */
char *
leap_token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}
