/*
 * detect-kw-pcre.c - pcre:"/regex/flags";  The expression is compiled with
 * PCRE2 (JIT when the machine allows it) when the rule is loaded, so a rule
 * whose expression PCRE2 refuses is rejected then, with PCRE2's message and
 * the offset, rather than failing later on traffic.  Besides PCRE's own
 * flags (i s m x A E G), Suricata's are honoured: R (relative to the last
 * match), O (no match limit), B (raw bytes) and the letters that put the
 * expression in an HTTP buffer (U I P Q H D M C S Y V W Z), which must
 * agree with the sticky buffer in force, if any.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "applayer.h"

#define PCRE_TEXT_MAX 65536

int kw_pcre_setup(struct rule_parse *rp, const char *value);
void kw_pcre_free(void *ctx);

void kw_pcre_free(void *ctx)
{
	struct detect_pcre *p = ctx;
	if (p)
		pcre2_code_free(p->code);
	free(p);
}

static const struct {
	char letter;
	int buf;
} buf_flags[] = {
	{ 'U', DBUF_HTTP_URI }, { 'I', DBUF_HTTP_URI_RAW }, { 'P', DBUF_HTTP_REQUEST_BODY },
	{ 'Q', DBUF_HTTP_RESPONSE_BODY }, { 'H', DBUF_HTTP_HEADER }, { 'D', DBUF_HTTP_HEADER_RAW },
	{ 'M', DBUF_HTTP_METHOD }, { 'C', DBUF_HTTP_COOKIE }, { 'S', DBUF_HTTP_STAT_CODE },
	{ 'Y', DBUF_HTTP_STAT_MSG }, { 'V', DBUF_HTTP_USER_AGENT }, { 'W', DBUF_HTTP_HOST },
	{ 'Z', DBUF_HTTP_HOST_RAW },
};

int kw_pcre_setup(struct rule_parse *rp, const char *value)
{
	const char *v = value;
	uint8_t flags = 0;
	if (*v == '!') {
		flags |= PCRE_NEGATED;
		v++;
		while (*v == ' ')
			v++;
	}
	size_t n = strlen(v);
	if (n > PCRE_TEXT_MAX)
		return kw_err(rp, "longer than %d bytes", PCRE_TEXT_MAX);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		v++;
		n -= 2;
	} else if (n && (v[0] == '"' || v[n - 1] == '"')) {
		return kw_err(rp, "unbalanced double quotes");
	}
	if (n < 2 || v[0] != '/')
		return kw_err(rp, "expected \"/regex/flags\"");
	const char *endre = NULL;
	for (size_t i = n; i-- > 1;)
		if (v[i] == '/') {
			endre = v + i;
			break;
		}
	if (!endre)
		return kw_err(rp, "expected \"/regex/flags\": no closing '/'");
	uint32_t opts = 0;
	int buf = -1;
	/* "/re/flags, pkt:name, flow:name": captures into variables, after a comma */
	const char *fend = memchr(endre + 1, ',', (size_t)(v + n - endre - 1));
	if (!fend)
		fend = v + n;
	for (const char *f = endre + 1; f < fend; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': flags |= PCRE_RELATIVE; break;
		case 'O': flags |= PCRE_NO_LIMIT; break;
		case 'B': flags |= PCRE_RAWBYTES; break;
		case ' ': break;
		default: {
			int b = -1;
			for (size_t i = 0; i < sizeof(buf_flags) / sizeof(buf_flags[0]); i++)
				if (buf_flags[i].letter == *f)
					b = buf_flags[i].buf;
			if (b < 0)
				return kw_err(rp, "unknown flag '%c'", *f);
			if (buf >= 0 && buf != b)
				return kw_err(rp, "flag '%c' names a second buffer", *f);
			buf = b;
		}
		}
	}
	if (buf >= 0 && rp->cur_buf >= 0 && rp->cur_buf != buf)
		return kw_err(rp, "flag for buffer '%s' conflicts with the sticky buffer '%s'",
			      detect_buffers[buf].name, detect_buffers[rp->cur_buf].name);
	if (buf >= 0 && (flags & PCRE_RAWBYTES))
		return kw_err(rp, "flag B (raw bytes) cannot be used with an HTTP buffer flag");
	if (buf >= 0) {
		if (rp->r->app_proto && rp->r->app_proto != APP_HTTP)
			return kw_err(rp, "an HTTP buffer flag in a rule for %s",
				      app_proto_name(rp->r->app_proto));
		rp->r->app_proto = APP_HTTP;
	} else {
		buf = rp_buffer(rp);
	}
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)(v + 1), (size_t)(endre - v - 1), opts, &ec,
					 &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return kw_err(rp, "regex does not compile at offset %zu: %s", (size_t)eo, (char *)msg);
	}
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  /* interpreted when JIT fails */
	struct detect_pcre *p = calloc(1, sizeof(*p));
	if (!p || rule_add_match(&rp->r->bufs[buf], rp->kw, p) < 0) {
		free(p);
		pcre2_code_free(code);
		return kw_err(rp, "out of memory");
	}
	p->code = code;
	p->opts = opts;
	p->flags = flags;
	rp->last_rel = rp->r->bufs[buf].tail;
	rp->last_rel_buf = buf;
	return 0;
}
