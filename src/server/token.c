/*
 * token.c - see token.h.
 */
#include "token.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SECRET_BYTES 24

int token_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void token_uuid(char out[37])
{
	unsigned char b[16];
	char hex[33];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);  /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
	sodium_bin2hex(hex, sizeof(hex), b, sizeof(b));
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

int token_is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];
		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return s[36] == '\0';
}

static void hash_secret(const char *secret, size_t len, char hash[TOKEN_HASH_LEN])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)secret, len, NULL, 0);
	sodium_bin2hex(hash, TOKEN_HASH_LEN, h, sizeof(h));
}

#define SECRET_CHARS sodium_base64_ENCODED_LEN(SECRET_BYTES, \
					      sodium_base64_VARIANT_URLSAFE_NO_PADDING)

/* SECRET_BYTES random bytes as URL-safe base64 into secret. */
static void random_secret(char secret[SECRET_CHARS])
{
	unsigned char b[SECRET_BYTES];
	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(secret, SECRET_CHARS, b, sizeof(b),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof(b));
}

int token_new(const char *tenant_id, char *out, size_t len, char hash[TOKEN_HASH_LEN])
{
	char secret[SECRET_CHARS];
	random_secret(secret);
	if ((size_t)snprintf(out, len, "%s.%s", tenant_id, secret) >= len)
		return -1;
	hash_secret(secret, strlen(secret), hash);
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

int token_parse(const char *token, char tenant_id[37], char hash[TOKEN_HASH_LEN])
{
	size_t len = strnlen(token, TOKEN_MAX);
	unsigned char b[SECRET_BYTES];
	size_t blen = 0;
	const char *end = NULL;

	if (len >= TOKEN_MAX || len < 38 || token[36] != '.')
		return -1;
	memcpy(tenant_id, token, 36);
	tenant_id[36] = '\0';
	if (!token_is_uuid(tenant_id))
		return -1;
	const char *secret = token + 37;
	if (sodium_base642bin(b, sizeof(b), secret, len - 37, NULL, &blen, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) < 0 ||
	    blen != SECRET_BYTES || end != token + len)
		return -1;
	hash_secret(secret, len - 37, hash);
	return 0;
}

int token_secret_new(const char *prefix, char *out, size_t len, char hash[TOKEN_HASH_LEN])
{
	char secret[SECRET_CHARS];
	random_secret(secret);
	int n = snprintf(out, len, "%s%s", prefix, secret);
	sodium_memzero(secret, sizeof(secret));
	if (n < 0 || (size_t)n >= len)
		return -1;
	hash_secret(out, (size_t)n, hash);
	return 0;
}

int token_secret_hash(const char *s, char hash[TOKEN_HASH_LEN])
{
	size_t len = strnlen(s, TOKEN_MAX);
	if (len == 0 || len >= TOKEN_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_'))
			return -1;
	}
	hash_secret(s, len, hash);
	return 0;
}
