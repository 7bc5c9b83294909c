/*
 * fuzz-app.c - the app-layer fuzz driver (see fuzz-app.h).
 */
#include "fuzz-app.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "detect-appbuf.h"

static void sink(void *arg, const char *line, size_t len)
{
	size_t *total = arg;
	if (!len || line[0] != '{' || line[len - 1] != '}')
		abort();
	for (size_t i = 0; i < len; i++)
		*total += (unsigned char)line[i];
}

/* What detection would read of a transaction the parser hands over: every
 * instance of every buffer, each byte touched. */
static void tx_read(void *arg, struct app_ctx *ctx, enum app_proto proto, int dir,
		    int64_t tx_id, const void *tx, unsigned progress)
{
	static struct detect_appbuf ab;
	size_t *total = arg;
	if (!ab.hbuf && detect_appbuf_init(&ab) < 0)
		abort();
	struct detect_tx t = { (uint8_t)proto, tx_id, tx };
	const uint8_t *ptr;
	uint32_t len;
	for (int b = 0; b < DBUF_MAX; b++)
		for (uint32_t i = 0; detect_appbuf_get(&ab, &t, b, dir, i, &ptr, &len); i++)
			for (uint32_t k = 0; k < len; k++)
				*total += ptr[k];
	*total += progress;
}

static int feed(const struct app_parser *ap, void *st, struct app_ctx *ctx, int dir,
		const uint8_t *p, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		return PARSE_ERROR;
	memcpy(b, p, n);
	int ret = ap->parse(st, ctx, dir, b, n);
	free(b);
	return ret;
}

void fuzz_app_run(const struct app_parser *ap, const uint8_t *data, size_t size,
		  size_t (*after)(const void *state))
{
	size_t total = 0;
	struct jw jw;

	if (size < 1)
		return;
	size_t nscript = data[0] & 15;
	bool tcp = data[0] & 16;
	if (1 + nscript > size)
		return;
	const uint8_t *script = data + 1;
	const uint8_t *p = data + 1 + nscript;
	size_t len = size - 1 - nscript;

	total += (size_t)ap->probe(p, len, APP_TOSERVER);
	total += (size_t)ap->probe(p, len, APP_TOCLIENT);

	jw_init(&jw);
	struct app_ctx ctx = { .jw = &jw, .emit = sink, .emit_arg = &total, .tcp = tcp,
			       .tx_ready = tx_read, .tx_arg = &total };
	void *st = ap->state_new();
	if (!st) {
		jw_free(&jw);
		return;
	}
	int ret = PARSE_OK;
	if (nscript == 0) {
		ret = feed(ap, st, &ctx, APP_TOSERVER, p, len);
		if (after)
			total += after(st);
		if (ret == PARSE_OK && !ctx.redetect)
			ret = feed(ap, st, &ctx, APP_TOCLIENT, p, len);
		if (after)
			total += after(st);
	} else {
		size_t si = 0;
		while (len > 0 && ret == PARSE_OK && !ctx.redetect) {
			uint8_t s = script[si++ % nscript];
			int dir = (s & 0x80) ? APP_TOCLIENT : APP_TOSERVER;
			size_t n = s & 0x3f;
			n = n ? n * n + 1 : len;
			if (n > len)
				n = len;
			if (s & 0x40) {
				if (ap->gap)
					ap->gap(st, &ctx, dir, n);
			} else {
				ret = feed(ap, st, &ctx, dir, p, n);
			}
			if (after)
				total += after(st);
			p += n;
			len -= n;
		}
	}
	if (ret == PARSE_OK && ap->flow_end)
		ap->flow_end(st, &ctx);
	if (after)
		total += after(st);
	if (ap->tx_count)
		total += (size_t)ap->tx_count(st);
	ap->state_free(st);
	jw_free(&jw);
	/* keep the sum alive without telling libFuzzer anything */
	volatile size_t keep = total;
	(void)keep;
}
