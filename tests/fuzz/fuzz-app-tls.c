/*
 * fuzz-app-tls.c - the TLS parser on arbitrary bytes.  Anyone on the
 * network can send a TLS handshake, so every path through the record
 * layer, the handshake reassembly, the hello and certificate decoders and
 * the fingerprints must survive any input, split in any way.
 *
 * Input layout: the first byte's low 4 bits say how many script bytes
 * follow (0-15); each script byte describes a chunk: bit 7 = direction
 * (set: to client), bit 6 = a gap instead of data, bits 0-5 = n, the chunk
 * being n * n bytes long (0 means "all the rest").  The bytes after the
 * script are the stream, fed chunk by chunk as the script says; a script
 * that runs out starts again.  probe() is asked about the stream in both
 * directions first; at the end flow_end() runs and the accessors are
 * read.  tests/data/app-tls/make-corpus.py writes seeds in this layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"
#include "app-tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *arg, const char *line, size_t len)
{
	size_t *total = arg;
	/* touch the bytes so a bad line shows up under ASan */
	for (size_t i = 0; i < len; i++)
		*total += (unsigned char)line[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct app_parser *ap = &app_parser_tls;
	size_t total = 0;
	struct jw jw;

	if (size < 1)
		return 0;
	size_t nscript = data[0] & 15;
	if (1 + nscript > size)
		return 0;
	const uint8_t *script = data + 1;
	const uint8_t *p = data + 1 + nscript;
	size_t len = size - 1 - nscript;

	ap->probe(p, len, APP_TOSERVER);
	ap->probe(p, len, APP_TOCLIENT);

	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = sink, .emit_arg = &total };
	void *st = ap->state_new();
	if (!st) {
		jw_free(&jw);
		return 0;
	}
	int ret = PARSE_OK;
	size_t si = 0;
	while (len > 0 && ret == PARSE_OK) {
		uint8_t s = nscript ? script[si++ % nscript] : 0;
		int dir = (s & 0x80) ? APP_TOCLIENT : APP_TOSERVER;
		size_t n = (size_t)(s & 0x3f) * (s & 0x3f);
		if (n == 0 || n > len)
			n = len;
		if (s & 0x40) {
			ap->gap(st, &ctx, dir, n);
		} else {
			/* a private copy so reads past the chunk are caught */
			uint8_t *b = malloc(n);
			if (!b)
				break;
			memcpy(b, p, n);
			ret = ap->parse(st, &ctx, dir, b, n);
			free(b);
		}
		p += n;
		len -= n;
	}
	if (ret == PARSE_OK)
		ap->flow_end(st, &ctx);
	ap->tx_count(st);

	const char *strs[] = {
		app_tls_sni(st), app_tls_cert_subject(st), app_tls_cert_issuer(st),
		app_tls_cert_serial(st), app_tls_cert_fingerprint(st),
		app_tls_client_cert_subject(st), app_tls_client_cert_issuer(st),
		app_tls_client_cert_fingerprint(st), app_tls_ja3_hash(st),
		app_tls_ja3_string(st), app_tls_ja3s_hash(st), app_tls_ja4(st),
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i])
			total += strlen(strs[i]);
	ap->state_free(st);
	jw_free(&jw);
	/* keep the sum alive without telling libFuzzer anything */
	volatile size_t keep = total;
	(void)keep;
	return 0;
}
