/*
 * fuzz-app-tls.c - the TLS parser on arbitrary bytes.  Anyone on the
 * network can send a TLS handshake, so every path through the record
 * layer, the handshake reassembly, the hello and certificate decoders and
 * the fingerprints must survive any input, split in any way.
 *
 * Input layout: see fuzz-app.h; after each call the parser's accessors
 * are read.  tests/data/app-tls/make-corpus.py writes seeds.
 */
#include <stdint.h>
#include <string.h>

#include "app-tls.h"
#include "fuzz-app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const void *st)
{
	size_t total = 0;
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
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_app_run(&app_parser_tls, data, size, touch);
	return 0;
}
