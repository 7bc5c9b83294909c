/*
 * token.h - identifiers and enrollment tokens, from libsodium's random
 * source.
 *
 * An enrollment token reads "<tenant id>.<secret>": the tenant id says which
 * tenant (and so, later, which database shard) the token belongs to; the
 * secret is 24 random bytes in URL-safe base64 (192 bits: guessing is out
 * of the question, so a fast hash is enough).  Only BLAKE2b-256 of the
 * secret is stored, as hex, so a copy of the database enrolls nothing.
 *
 * sodium_init() must have been called (token_init()).
 */
#ifndef OT_TOKEN_H
#define OT_TOKEN_H

#include <stddef.h>

#define TOKEN_HASH_LEN 65          /* hex of 32 bytes, with its NUL */
#define TOKEN_MAX 128              /* longest token text, with its NUL */

/* Initialise libsodium; 0 or -1. */
int token_init(void);

/* A random (version 4) UUID, lowercase: out of 37 bytes. */
void token_uuid(char out[37]);

/* A new token for tenant_id into out (TOKEN_MAX), and its hash. */
int token_new(const char *tenant_id, char *out, size_t len, char hash[TOKEN_HASH_LEN]);

/* Split a token given by a device into its tenant id and the hash of its
 * secret.  -1 when it does not have the form of a token. */
int token_parse(const char *token, char tenant_id[37], char hash[TOKEN_HASH_LEN]);

/* A random secret (192 bits, URL-safe base64) after prefix into out
 * (TOKEN_MAX), and its hash: session cookies ("" prefix) and API tokens
 * ("ota_").  -1 when out is too small. */
int token_secret_new(const char *prefix, char *out, size_t len, char hash[TOKEN_HASH_LEN]);
/* The hash of a secret presented by a client; -1 when it cannot be one
 * (empty, too long, characters outside [A-Za-z0-9_-]). */
int token_secret_hash(const char *s, char hash[TOKEN_HASH_LEN]);

/* True when s is a UUID as token_uuid() writes them. */
int token_is_uuid(const char *s);

#endif
