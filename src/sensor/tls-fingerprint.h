/*
 * tls-fingerprint.h - JA3, JA3S and JA4 fingerprints of TLS hellos.
 *
 * Analysts pivot on these three strings to recognise a client or server
 * implementation whatever name or address it uses, and other tools print
 * them, so ours must be computed exactly as everyone else does:
 *
 *   JA3  (Salesforce): "Version,Ciphers,Extensions,Groups,PointFormats",
 *        decimal values joined by '-', GREASE values left out; the hash is
 *        the MD5 of that string in lowercase hex.
 *   JA3S: "Version,Cipher,Extensions" of a ServerHello, hashed the same way.
 *   JA4  (FoxIO): "t13d1516h2_8daaf6152771_e5627efa2ab1": transport, TLS
 *        version, SNI present ('d') or not ('i'), cipher and extension
 *        counts, first and last character of the first ALPN value, then the
 *        truncated SHA-256 of the sorted cipher list and of the sorted
 *        extension list (without SNI and ALPN), '_' and the signature
 *        algorithms in their original order (the '_' is written even when
 *        there are none, as Suricata does).
 *
 * The functions work on a view of a hello that the TLS parser has already
 * cut out of a handshake message; every list is still raw wire bytes, and
 * every length inside the extension block is checked again here, so they
 * are safe on any input.
 */
#ifndef OT_TLS_FINGERPRINT_H
#define OT_TLS_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define TLS_JA3_HASH_LEN 32     /* MD5 as hex */
#define TLS_JA4_LEN 36          /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */

/* A ClientHello or ServerHello, as raw wire bytes. */
struct tls_hello_view {
	uint16_t version;           /* legacy_version of the hello */
	const uint8_t *ciphers;     /* cipher_suites (2 bytes each); a
				     * ServerHello has exactly one */
	size_t ciphers_len;
	const uint8_t *exts;        /* the extensions block (type, len, data)* */
	size_t exts_len;            /* 0 when the hello has none */
};

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static inline bool tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * JA3 of a ClientHello (server = false) or JA3S of a ServerHello (server =
 * true).  *str receives a malloc'ed NUL-terminated string (free() it) and
 * hash the 32 hex digits of its MD5 plus a NUL.  Returns 0, or -1 when
 * memory ran out (*str is then NULL).
 */
int tls_ja3(const struct tls_hello_view *h, bool server, char **str,
	    char hash[TLS_JA3_HASH_LEN + 1]);

/*
 * JA4 of a ClientHello seen over TCP into out (36 characters and a NUL).
 * Returns 0, or -1 when memory ran out.
 */
int tls_ja4(const struct tls_hello_view *h, char out[TLS_JA4_LEN + 1]);

/*
 * Walk an extensions block: calls fn for each complete extension, in order,
 * and stops at the first one that does not fit (a truncated block).  Returns
 * the number of extensions visited, or the negative value fn returned.
 */
int tls_ext_walk(const uint8_t *exts, size_t len,
		 int (*fn)(void *arg, uint16_t type, const uint8_t *data,
			   size_t dlen),
		 void *arg);

#endif
