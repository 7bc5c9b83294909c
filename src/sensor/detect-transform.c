/*
 * detect-transform.c - Suricata's transforms: keywords written after a
 * sticky buffer that change the buffer before anything is matched in it
 * (dns.query; dotprefix; content:".evil.com"; endswith;).  Each takes the
 * bytes of the buffer and writes the changed bytes into the matcher's
 * scratch space; several apply in the order written.
 */
#include "detect-engine.h"

#include <ctype.h>
#include <string.h>

#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "../lib/util.h"

/* url_decode: %XX escapes and '+' as a space */
static uint32_t url_decode(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t cap)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < len && n < cap; i++) {
		if (in[i] == '%' && i + 2 < len && ot_hexval(in[i + 1]) >= 0 && ot_hexval(in[i + 2]) >= 0) {
			out[n++] = (uint8_t)(ot_hexval(in[i + 1]) << 4 | ot_hexval(in[i + 2]));
			i += 2;
		} else {
			out[n++] = in[i] == '+' ? ' ' : in[i];
		}
	}
	return n;
}

/* Lines of "Name: value" headers: lower-case the names, or drop the
 * HTTP/2 pseudo headers (":method: GET") */
static uint32_t header_lines(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t cap,
			     bool strip_pseudo)
{
	uint32_t n = 0, i = 0;
	while (i < len) {
		uint32_t e = i;
		while (e < len && in[e] != '\n')
			e++;
		if (e < len)
			e++;                    /* the line with its end */
		if (!(strip_pseudo && in[i] == ':')) {
			bool name = !strip_pseudo;
			for (uint32_t j = i; j < e && n < cap; j++) {
				if (name && in[j] == ':' && j > i)
					name = false;
				out[n++] = name ? (uint8_t)tolower(in[j]) : in[j];
			}
		}
		i = e;
	}
	return n;
}

#define DIGEST(ctx_t, init, update, digest, size) do {				\
		ctx_t c_;							\
		if (cap < (size))						\
			return 0;						\
		init(&c_);							\
		update(&c_, len, in);						\
		digest(&c_, (size), out);					\
		return (size);							\
	} while (0)

uint32_t detect_transform(const struct detect_transform *t, const uint8_t *in, uint32_t len,
			  uint8_t *out, uint32_t cap)
{
	uint32_t n = 0;
	switch (t->kind) {
	case TR_DOTPREFIX:
		if (cap)
			out[n++] = '.';
		if (len > cap - n)
			len = cap - n;
		memcpy(out + n, in, len);
		return n + len;
	case TR_STRIP_WHITESPACE:
		for (uint32_t i = 0; i < len && n < cap; i++)
			if (!isspace(in[i]))
				out[n++] = in[i];
		return n;
	case TR_COMPRESS_WHITESPACE:
		/* a run of white space becomes its first character */
		for (uint32_t i = 0; i < len && n < cap; i++)
			if (!isspace(in[i]) || i == 0 || !isspace(in[i - 1]))
				out[n++] = in[i];
		return n;
	case TR_TO_LOWERCASE:
	case TR_TO_UPPERCASE:
		for (; n < len && n < cap; n++)
			out[n] = (uint8_t)(t->kind == TR_TO_LOWERCASE ? tolower(in[n]) : toupper(in[n]));
		return n;
	case TR_URL_DECODE:
		return url_decode(in, len, out, cap);
	case TR_TO_MD5:
		DIGEST(struct md5_ctx, md5_init, md5_update, md5_digest, MD5_DIGEST_SIZE);
	case TR_TO_SHA1:
		DIGEST(struct sha1_ctx, sha1_init, sha1_update, sha1_digest, SHA1_DIGEST_SIZE);
	case TR_TO_SHA256:
		DIGEST(struct sha256_ctx, sha256_init, sha256_update, sha256_digest,
		       SHA256_DIGEST_SIZE);
	case TR_HEADER_LOWERCASE:
		return header_lines(in, len, out, cap, false);
	case TR_STRIP_PSEUDO_HEADERS:
		return header_lines(in, len, out, cap, true);
	}
	/* unknown: the buffer as it is */
	if (len > cap)
		len = cap;
	memcpy(out, in, len);
	return len;
}
