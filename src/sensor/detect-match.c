/*
 * detect-match.c - evaluating one list of content-like matches against one
 * buffer: content (with nocase, depth, offset, distance, within,
 * startswith, endswith, negation), isdataat, pcre, byte_test, byte_jump,
 * byte_extract and bsize.
 *
 * The list is walked in rule order with a cursor: the end of the last
 * content or pcre match (or the place byte_jump / byte_extract left it).
 * Relative matches (distance/within, pcre /R, byte_* relative, isdataat
 * relative) start from the cursor.  When a relative match fails, the
 * content or pcre it was relative to is tried again at its next occurrence
 * and the rest of the list re-run from there, as Suricata does; a budget of
 * inspections per list keeps hostile payloads from making this quadratic
 * or worse.  Nothing here allocates: the PCRE2 match data and the
 * variables live in the caller's struct detect_match_ctx.
 */
#include "detect-engine.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define MATCH_BUDGET 4096       /* inspections per list and buffer */
#define TRANSFORM_BUF (64 * 1024)       /* a transformed buffer is cut there */
#define B64_BUF (64 * 1024)             /* base64_decode output is cut there */
#define PCRE_MATCH_LIMIT 3500   /* Suricata's default pcre match-limit */
#define PCRE_DEPTH_LIMIT 1500

enum { M_NO = 0, M_YES = 1, M_STOP = -1 };

#define kw_ids detect_match_kws

struct detect_match_kws detect_match_kws_get(void)
{
	struct kw_ids k = {
		.content = detect_keyword_find("content"),
		.uricontent = detect_keyword_find("uricontent"),
		.isdataat = detect_keyword_find("isdataat"),
		.pcre = detect_keyword_find("pcre"),
		.byte_test = detect_keyword_find("byte_test"),
		.byte_jump = detect_keyword_find("byte_jump"),
		.byte_extract = detect_keyword_find("byte_extract"),
		.bsize = detect_keyword_find("bsize"),
		.urilen = detect_keyword_find("urilen"),
		.base64_decode = detect_keyword_find("base64_decode"),
	};
	return k;
}

int detect_match_ctx_init(struct detect_match_ctx *m)
{
	memset(m, 0, sizeof(*m));
	m->k = detect_match_kws_get();
	m->md = pcre2_match_data_create(32, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->tbuf[0] = malloc(TRANSFORM_BUF);
	m->tbuf[1] = malloc(TRANSFORM_BUF);
	m->b64 = malloc(B64_BUF);
	if (!m->md || !m->mctx || !m->tbuf[0] || !m->tbuf[1] || !m->b64) {
		detect_match_ctx_destroy(m);
		return -1;
	}
	pcre2_set_match_limit(m->mctx, PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, PCRE_DEPTH_LIMIT);
	return 0;
}

void detect_match_ctx_destroy(struct detect_match_ctx *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m->tbuf[0]);
	free(m->tbuf[1]);
	free(m->b64);
	m->b64 = NULL;
	m->md = NULL;
	m->mctx = NULL;
	m->tbuf[0] = m->tbuf[1] = NULL;
}

bool detect_num_match(const struct detect_num *n, uint64_t v)
{
	switch (n->op) {
	case NUM_EQ: return v == n->a;
	case NUM_NE: return v != n->a;
	case NUM_LT: return v < n->a;
	case NUM_LE: return v <= n->a;
	case NUM_GT: return v > n->a;
	case NUM_GE: return v >= n->a;
	case NUM_RANGE: return v > n->a && v < n->b;
	}
	return false;
}

/* Does sm start from the cursor left by the match before it? */
static bool is_relative(const struct kw_ids *k, const struct sigmatch *sm)
{
	if (!sm)
		return false;
	if (sm->kw == k->content || sm->kw == k->uricontent) {
		const struct detect_content *c = sm->ctx;
		return c->flags & (CT_DISTANCE | CT_WITHIN);
	}
	if (sm->kw == k->pcre)
		return ((const struct detect_pcre *)sm->ctx)->flags & PCRE_RELATIVE;
	if (sm->kw == k->isdataat)
		return ((const struct detect_isdataat *)sm->ctx)->flags & ISDATAAT_RELATIVE;
	if (sm->kw == k->byte_test || sm->kw == k->byte_jump || sm->kw == k->byte_extract)
		return ((const struct detect_byte *)sm->ctx)->flags & BY_RELATIVE;
	return false;
}

static int64_t var_or(const struct detect_match_ctx *m, bool isvar, int32_t v)
{
	if (!isvar)
		return v;
	if (v < 0 || v >= DETECT_MAX_BYTEVARS)
		return 0;
	uint64_t x = m->vars[v];
	return x > INT32_MAX ? INT32_MAX : (int64_t)x;
}

/* First occurrence of pat in buf[from, to) (the whole pattern inside), or -1. */
static int64_t find(const uint8_t *buf, int64_t from, int64_t to, const uint8_t *pat,
		    uint32_t plen, bool nocase)
{
	if (from < 0)
		from = 0;
	if (to - from < (int64_t)plen)
		return -1;
	if (plen == 0)
		return from;
	int64_t last = to - plen;
	if (!nocase) {
		const uint8_t *p = memmem(buf + from, (size_t)(to - from), pat, plen);
		return p ? p - buf : -1;
	}
	uint8_t lo = (uint8_t)tolower(pat[0]), up = (uint8_t)toupper(pat[0]);
	for (int64_t i = from; i <= last; i++) {
		if (lo == up) {
			/* the first byte has no case: jump to its next occurrence */
			const uint8_t *q = memchr(buf + i, lo, (size_t)(last - i + 1));
			if (!q)
				return -1;
			i = q - buf;
		} else if (buf[i] != lo && buf[i] != up) {
			continue;
		}
		uint32_t j = 1;
		while (j < plen && tolower(buf[i + j]) == tolower(pat[j]))
			j++;
		if (j == plen)
			return i;
	}
	return -1;
}

/* Read a byte_* number at buf[pos]; false when it does not fit or is no number. */
static bool byte_read(const struct detect_match_ctx *m, const struct detect_byte *b,
		      const uint8_t *buf, uint32_t len, int64_t pos, uint32_t *used, uint64_t *out)
{
	uint32_t n = b->nbytes;
	if (b->flags & BY_NBYTES_VAR)
		n = (uint32_t)var_or(m, true, b->nbytes);
	if (pos < 0 || pos + (int64_t)n > (int64_t)len)
		return false;
	if (n == 0 && !(b->flags & BY_STRING)) {
		/* no bytes (a variable that was 0, byte_jump:0): the number 0 */
		*used = 0;
		*out = 0;
		return true;
	}
	const uint8_t *p = buf + pos;
	uint64_t v = 0;
	if (b->flags & BY_STRING) {
		unsigned base = b->base ? b->base : 10;
		uint32_t i = 0;
		if (n > 23)
			return false;
		for (; i < n; i++) {
			int d;
			if (p[i] >= '0' && p[i] <= '9')
				d = p[i] - '0';
			else if (p[i] >= 'a' && p[i] <= 'f')
				d = p[i] - 'a' + 10;
			else if (p[i] >= 'A' && p[i] <= 'F')
				d = p[i] - 'A' + 10;
			else
				break;
			if ((unsigned)d >= base)
				break;
			v = v * base + (unsigned)d;
		}
		if (i == 0)
			return false;
	} else {
		if (n > 8)
			return false;
		bool little = b->flags & (BY_LITTLE | BY_DCE);
		for (uint32_t i = 0; i < n; i++)
			v |= (uint64_t)p[i] << (little ? 8 * i : 8 * (n - 1 - i));
	}
	if ((b->flags & BY_BITMASK) && b->bitmask) {
		v &= b->bitmask;
		uint64_t mask = b->bitmask;
		while (!(mask & 1)) {
			mask >>= 1;
			v >>= 1;
		}
	}
	*used = n;
	*out = v;
	return true;
}

static bool byte_compare(const struct detect_byte *b, uint64_t v, uint64_t want)
{
	bool r;
	switch (b->op) {
	case '<': r = v < want; break;
	case '>': r = v > want; break;
	case '=': r = v == want; break;
	case '&': r = (v & want) != 0; break;
	case '^': r = (v ^ want) != 0; break;
	case 'l': r = v <= want; break;
	case 'g': r = v >= want; break;
	default: r = false; break;
	}
	return (b->flags & BY_NEGATED) ? !r : r;
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * base64_decode: decode from offset (after the cursor when relative), at
 * most bytes input bytes (0: to the end), into m->b64 for base64_data.
 * As Suricata, decoding stops at the first byte outside the alphabet
 * (padding included); white space is skipped.
 */
static void base64_decode(struct detect_match_ctx *m, const struct detect_base64 *b,
			  const uint8_t *buf, uint32_t len, int64_t cur)
{
	int64_t from = (b->relative ? cur : 0) + b->offset;
	uint32_t n = 0, acc = 0, bits = 0;
	m->b64_done = true;
	m->b64_len = 0;
	if (from < 0 || from >= (int64_t)len)
		return;
	int64_t end = b->bytes && from + b->bytes < (int64_t)len ? from + b->bytes : (int64_t)len;
	for (int64_t i = from; i < end && n < B64_BUF; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')
			continue;
		int v = b64val(buf[i]);
		if (v < 0)
			break;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			m->b64[n++] = (uint8_t)(acc >> bits);
		}
	}
	m->b64_len = n;
}

void detect_match_rule_start(struct detect_match_ctx *m)
{
	memset(m->vars, 0, sizeof(m->vars));
	m->b64_len = 0;
	m->b64_done = false;
}

static int inspect(struct detect_match_ctx *m, const struct kw_ids *k, const struct sigmatch *sm,
		   const uint8_t *buf, uint32_t len, int64_t cur);

/* Go on with the rest of the list after a match that left the cursor at cur. */
static int next(struct detect_match_ctx *m, const struct kw_ids *k, const struct sigmatch *sm,
		const uint8_t *buf, uint32_t len, int64_t cur)
{
	if (!sm->next)
		return M_YES;
	return inspect(m, k, sm->next, buf, len, cur);
}

static int inspect_content(struct detect_match_ctx *m, const struct kw_ids *k,
			   const struct sigmatch *sm, const uint8_t *buf, uint32_t len, int64_t cur)
{
	const struct detect_content *c = sm->ctx;
	bool rel = c->flags & (CT_DISTANCE | CT_WITHIN);
	bool neg = c->flags & CT_NEGATED;
	int64_t from, to = len;

	if (rel) {
		int64_t dist = (c->flags & CT_DISTANCE) ?
			var_or(m, c->flags & CT_DISTANCE_VAR, c->distance) : 0;
		from = cur + dist;
		if (c->flags & CT_WITHIN) {
			int64_t w = var_or(m, c->flags & CT_WITHIN_VAR, c->within);
			if (from + w < to)
				to = from + w;
		}
		if (from < 0)
			from = 0;
	} else {
		from = (c->flags & CT_OFFSET) ? var_or(m, c->flags & CT_OFFSET_VAR, c->offset) : 0;
		if (c->flags & CT_DEPTH) {
			int64_t d = from + var_or(m, c->flags & CT_DEPTH_VAR, c->depth);
			if (d < to)
				to = d;
		}
		if ((c->flags & CT_STARTSWITH) && to > c->len)
			to = c->len;
	}
	for (;;) {
		if (!m->budget)
			return M_STOP;
		m->budget--;
		int64_t at;
		if (c->flags & CT_ENDSWITH) {
			at = (int64_t)len - c->len;
			if (at < from || len > to)
				at = -1;
			else if (find(buf, at, len, c->pat, c->len, c->flags & CT_NOCASE) < 0)
				at = -1;
		} else {
			at = find(buf, from, to, c->pat, c->len, c->flags & CT_NOCASE);
		}
		if (neg) {
			if (at >= 0)
				return rel ? M_NO : M_STOP;
			return next(m, k, sm, buf, len, cur);
		}
		if (at < 0) {
			/*
			 * Not found from here to the end of the buffer: no later
			 * cursor can find it either, so the contents before need
			 * not be tried again (this keeps "a...a" payloads linear).
			 */
			if (rel && !(c->flags & (CT_WITHIN | CT_DISTANCE_VAR | CT_ENDSWITH)) &&
			    c->distance >= 0)
				return M_STOP;
			return rel ? M_NO : M_STOP;
		}
		int r = next(m, k, sm, buf, len, at + c->len);
		if (r != M_NO)
			return r;
		if (!is_relative(k, sm->next))
			return M_NO;
		/* the rest failed relative to this occurrence: try the next one */
		from = at + 1;
	}
}

static int inspect_pcre(struct detect_match_ctx *m, const struct kw_ids *k,
			const struct sigmatch *sm, const uint8_t *buf, uint32_t len, int64_t cur)
{
	const struct detect_pcre *pc = sm->ctx;
	bool rel = pc->flags & PCRE_RELATIVE;
	int64_t from = rel ? cur : 0;
	if (from < 0)
		from = 0;
	for (;;) {
		if (!m->budget)
			return M_STOP;
		m->budget--;
		if (from > (int64_t)len)
			return (pc->flags & PCRE_NEGATED) ? next(m, k, sm, buf, len, cur) : M_NO;
		/* the subject starts at the cursor, so that ^ anchors there */
		int rc = pcre2_match(pc->code, buf + from, (PCRE2_SIZE)(len - from), 0, 0,
				     m->md, m->mctx);
		if (pc->flags & PCRE_NEGATED) {
			if (rc >= 0)
				return rel ? M_NO : M_STOP;
			return next(m, k, sm, buf, len, cur);
		}
		if (rc < 0)
			return rel ? M_NO : M_STOP;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
		int64_t s = from + (int64_t)ov[0], e = from + (int64_t)ov[1];
		int r = next(m, k, sm, buf, len, e);
		if (r != M_NO)
			return r;
		if (!is_relative(k, sm->next))
			return M_NO;
		from = s + 1;
	}
}

static int inspect_byte(struct detect_match_ctx *m, const struct kw_ids *k,
			const struct sigmatch *sm, const uint8_t *buf, uint32_t len, int64_t cur)
{
	const struct detect_byte *b = sm->ctx;
	int64_t pos = (b->flags & BY_RELATIVE) ? cur : 0;
	pos += var_or(m, b->flags & BY_OFFSET_VAR, b->offset);
	uint32_t used;
	uint64_t v;
	if (!byte_read(m, b, buf, len, pos, &used, &v))
		return M_NO;
	switch (b->kind) {
	case BYTE_TEST: {
		uint64_t want = (b->flags & BY_VALUE_VAR) ?
			(uint64_t)var_or(m, true, (int32_t)b->value) : b->value;
		if (!byte_compare(b, v, want))
			return M_NO;
		return next(m, k, sm, buf, len, cur);
	}
	case BYTE_JUMP: {
		if (b->multiplier > 1)
			v *= b->multiplier;
		if ((b->flags & BY_ALIGN) && (v & 3))
			v = (v + 3) & ~(uint64_t)3;
		if (v > UINT32_MAX)
			return M_NO;
		int64_t to;
		if (b->flags & BY_FROM_BEGIN)
			to = (int64_t)v;
		else if (b->flags & BY_FROM_END)
			to = (int64_t)len + (int64_t)v;
		else
			to = pos + used + (int64_t)v;
		to += b->post_offset;
		if (to < 0 || to > (int64_t)len)
			return M_NO;
		return next(m, k, sm, buf, len, to);
	}
	case BYTE_EXTRACT:
		if (b->multiplier > 1)
			v *= b->multiplier;
		if (b->align > 1 && v % b->align)
			v += b->align - v % b->align;
		if (b->var >= 0 && b->var < DETECT_MAX_BYTEVARS)
			m->vars[b->var] = v;
		return next(m, k, sm, buf, len, pos + used);
	}
	return M_NO;
}

static int inspect(struct detect_match_ctx *m, const struct kw_ids *k, const struct sigmatch *sm,
		   const uint8_t *buf, uint32_t len, int64_t cur)
{
	if (sm->kw == k->content || sm->kw == k->uricontent)
		return inspect_content(m, k, sm, buf, len, cur);
	if (sm->kw == k->pcre)
		return inspect_pcre(m, k, sm, buf, len, cur);
	if (sm->kw == k->byte_test || sm->kw == k->byte_jump || sm->kw == k->byte_extract)
		return inspect_byte(m, k, sm, buf, len, cur);
	if (sm->kw == k->isdataat) {
		const struct detect_isdataat *d = sm->ctx;
		int64_t pos = var_or(m, d->flags & ISDATAAT_VAR, (int32_t)d->pos);
		bool ok = (d->flags & ISDATAAT_RELATIVE) ? cur + pos <= (int64_t)len :
			pos < (int64_t)len;
		if (d->flags & ISDATAAT_NEGATED)
			ok = !ok;
		if (!ok)
			return (d->flags & ISDATAAT_RELATIVE) ? M_NO : M_STOP;
		return next(m, k, sm, buf, len, cur);
	}
	if (sm->kw == k->bsize || sm->kw == k->urilen) {
		if (!detect_num_match(sm->ctx, len))
			return M_STOP;
		return next(m, k, sm, buf, len, cur);
	}
	if (sm->kw == k->base64_decode) {     /* decodes for base64_data: no test here */
		base64_decode(m, sm->ctx, buf, len, cur);
		return next(m, k, sm, buf, len, cur);
	}
	if (detect_keywords[sm->kw].flags & KW_TRANSFORM)       /* done before */
		return next(m, k, sm, buf, len, cur);
	return M_STOP;                  /* not a keyword this matcher knows */
}

bool detect_match_buffer(struct detect_match_ctx *m, const struct sigmatch *sm,
			 const uint8_t *buf, uint32_t len)
{
	if (!sm)
		return true;
	if (!buf)
		len = 0;
	/* the transforms of the list, in order, each into the other scratch buffer */
	int t = 0;
	for (const struct sigmatch *x = sm; x; x = x->next) {
		if (!(detect_keywords[x->kw].flags & KW_TRANSFORM))
			continue;
		len = detect_transform(x->ctx, buf ? buf : (const uint8_t *)"", len, m->tbuf[t],
				       TRANSFORM_BUF);
		buf = m->tbuf[t];
		t ^= 1;
	}
	m->budget = MATCH_BUDGET;
	return inspect(m, &m->k, sm, buf ? buf : (const uint8_t *)"", len, 0) == M_YES;
}

const struct sigmatch *detect_match_unsupported(const struct detect_match_kws *k,
						const struct sigmatch *sm)
{
	for (; sm; sm = sm->next)
		if (sm->kw != k->content && sm->kw != k->uricontent && sm->kw != k->pcre &&
		    sm->kw != k->byte_test && sm->kw != k->byte_jump && sm->kw != k->byte_extract &&
		    sm->kw != k->isdataat && sm->kw != k->bsize && sm->kw != k->urilen &&
		    sm->kw != k->base64_decode && !(detect_keywords[sm->kw].flags & KW_TRANSFORM))
			return sm;
	return NULL;
}

bool detect_match_supported(const struct sigmatch *sm)
{
	struct detect_match_kws k = detect_match_kws_get();
	return !detect_match_unsupported(&k, sm);
}
