/*
 * fuzz-app-dns.c - the DNS parser on arbitrary bytes.  Anyone on the
 * network can send DNS datagrams or open a TCP connection to port 53, so
 * name decompression, every record type's data, the TCP framing with its
 * reassembly buffer and the gap handling must survive anything.
 *
 * Input layout: the first byte's low 4 bits give the number of script
 * bytes that follow (0-15); its bit 4 chooses TCP (set) or UDP.  Each
 * script byte describes one call: bit 7 = direction (set: to client), bit
 * 6 = a gap instead of data (TCP), bits 0-5 = n, the chunk being n * n + 1
 * bytes (n = 0: all the rest).  Over UDP each chunk is one datagram.  The
 * bytes after the script are cut into chunks as the script says; a script
 * that runs out starts over; an empty script sends everything to the
 * server and then the same bytes to the client.  probe() is asked about
 * the data first, in both directions.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every line must be one whole JSON object; read all of it. */
static void sink(void *arg, const char *line, size_t len)
{
	size_t *total = arg;
	if (!len || line[0] != '{' || line[len - 1] != '}')
		abort();
	for (size_t i = 0; i < len; i++)
		*total += (unsigned char)line[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct app_parser *ap = &app_parser_dns;
	size_t total = 0;
	struct jw jw;

	if (size < 1)
		return 0;
	size_t nscript = data[0] & 15;
	bool tcp = data[0] & 16;
	if (1 + nscript > size)
		return 0;
	const uint8_t *script = data + 1;
	const uint8_t *p = data + 1 + nscript;
	size_t len = size - 1 - nscript;

	total += (size_t)ap->probe(p, len, APP_TOSERVER);
	total += (size_t)ap->probe(p, len, APP_TOCLIENT);

	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = sink, .emit_arg = &total, .tcp = tcp };
	void *st = ap->state_new();
	if (!st) {
		jw_free(&jw);
		return 0;
	}
	int ret = PARSE_OK;
	if (nscript == 0) {
		ret = ap->parse(st, &ctx, APP_TOSERVER, p, len);
		if (ret == PARSE_OK)
			ap->parse(st, &ctx, APP_TOCLIENT, p, len);
	} else {
		size_t si = 0;
		while (len > 0 && ret == PARSE_OK) {
			uint8_t s = script[si++ % nscript];
			int dir = (s & 0x80) ? APP_TOCLIENT : APP_TOSERVER;
			size_t n = s & 0x3f;
			n = n ? n * n + 1 : len;
			if (n > len)
				n = len;
			if (s & 0x40)
				ap->gap(st, &ctx, dir, n);
			else
				ret = ap->parse(st, &ctx, dir, p, n);
			p += n;
			len -= n;
		}
	}
	total += (size_t)ap->tx_count(st);
	ap->state_free(st);
	jw_free(&jw);
	volatile size_t keep = total;
	(void)keep;
	return 0;
}
