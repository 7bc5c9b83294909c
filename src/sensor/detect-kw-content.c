/*
 * detect-kw-content.c - content and what modifies it: nocase, depth,
 * offset, distance, within, startswith, endswith, fast_pattern, rawbytes;
 * and the other keywords about the bytes of a buffer: isdataat, bsize,
 * urilen, dsize, the transforms (dotprefix...) and base64_decode.
 *
 * content:"GET |20|/x\"y"; is decoded here once into its bytes (hex
 * between pipes, \" \; \\ \: escapes).  Modifiers act on the last content
 * of the buffer in force and are checked the way Suricata checks them:
 * each at most once, absolute (depth, offset) and relative (distance,
 * within) never mixed, startswith alone, depth and within no shorter than
 * the content, one fast_pattern per rule.  Values may name a byte_extract
 * variable of the rule.
 */
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "applayer.h"
#include "../lib/util.h"

#define CONTENT_MAX 65535

int kw_content_setup(struct rule_parse *rp, const char *value);
int kw_uricontent_setup(struct rule_parse *rp, const char *value);
int kw_nocase_setup(struct rule_parse *rp, const char *value);
int kw_depth_setup(struct rule_parse *rp, const char *value);
int kw_offset_setup(struct rule_parse *rp, const char *value);
int kw_distance_setup(struct rule_parse *rp, const char *value);
int kw_within_setup(struct rule_parse *rp, const char *value);
int kw_startswith_setup(struct rule_parse *rp, const char *value);
int kw_endswith_setup(struct rule_parse *rp, const char *value);
int kw_fast_pattern_setup(struct rule_parse *rp, const char *value);
int kw_rawbytes_setup(struct rule_parse *rp, const char *value);
int kw_isdataat_setup(struct rule_parse *rp, const char *value);
int kw_bsize_setup(struct rule_parse *rp, const char *value);
int kw_urilen_setup(struct rule_parse *rp, const char *value);
int kw_dsize_setup(struct rule_parse *rp, const char *value);
int kw_transform_setup(struct rule_parse *rp, const char *value);
int kw_base64_decode_setup(struct rule_parse *rp, const char *value);
void kw_content_free(void *ctx);

void kw_content_free(void *ctx)
{
	struct detect_content *c = ctx;
	if (c)
		free(c->pat);
	free(c);
}

/* Decode "..." (quotes included) into c->pat. */
static int decode_pattern(struct rule_parse *rp, const char *s, struct detect_content *c)
{
	size_t n = strlen(s);
	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return kw_err(rp, "expected the content in double quotes");
	s++;
	n -= 2;
	if (n && s[n - 1] == '\\') {
		/* the closing quote was escaped, unless the backslash itself is */
		size_t k = 0;
		while (k < n && s[n - 1 - k] == '\\')
			k++;
		if (k & 1)
			return kw_err(rp, "the closing quote is escaped");
	}
	uint8_t *out = malloc(n ? n : 1);
	if (!out)
		return kw_err(rp, "out of memory");
	size_t o = 0;
	bool hex = false;
	int hi = -1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '|') {
			if (hex && hi >= 0) {
				free(out);
				return kw_err(rp, "odd number of hex digits between '|'");
			}
			hex = !hex;
			continue;
		}
		if (hex) {
			if (ch == ' ' || ch == '\t')
				continue;
			int v = ot_hexval(ch);
			if (v < 0) {
				free(out);
				return kw_err(rp, "'%c' is not a hex digit (between '|')", ch);
			}
			if (hi < 0) {
				hi = v;
			} else {
				out[o++] = (uint8_t)(hi << 4 | v);
				hi = -1;
			}
			continue;
		}
		if (ch == '\\') {
			if (i + 1 >= n || !strchr("\";\\:", s[i + 1])) {
				free(out);
				return kw_err(rp, "unknown escape '\\%c' (only \\\" \\; \\\\ \\: are allowed)",
					      i + 1 < n ? s[i + 1] : ' ');
			}
			out[o++] = (uint8_t)s[++i];
			continue;
		}
		if (ch == '"') {
			free(out);
			return kw_err(rp, "unescaped '\"' inside the content");
		}
		out[o++] = (uint8_t)ch;
	}
	if (hex) {
		free(out);
		return kw_err(rp, "'|' not closed");
	}
	if (o == 0) {
		free(out);
		return kw_err(rp, "empty content");
	}
	if (o > CONTENT_MAX) {
		free(out);
		return kw_err(rp, "content longer than %d bytes", CONTENT_MAX);
	}
	c->pat = out;
	c->len = (uint16_t)o;
	return 0;
}

static int content_into(struct rule_parse *rp, const char *value, int buf)
{
	struct detect_content *c = calloc(1, sizeof(*c));
	if (!c)
		return kw_err(rp, "out of memory");
	const char *v = value;
	if (*v == '!') {
		c->flags |= CT_NEGATED;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
	}
	if (decode_pattern(rp, v, c) < 0 || rule_add_match(&rp->r->bufs[buf], rp->kw, c) < 0) {
		kw_content_free(c);
		return rp->err[0] ? -1 : kw_err(rp, "out of memory");
	}
	rp->last_content = rp->r->bufs[buf].tail;
	rp->last_content_buf = buf;
	rp->last_rel = rp->last_content;
	rp->last_rel_buf = buf;
	return 0;
}

int kw_content_setup(struct rule_parse *rp, const char *value)
{
	return content_into(rp, value, rp_buffer(rp));
}

int kw_uricontent_setup(struct rule_parse *rp, const char *value)
{
	if (rp->r->app_proto && rp->r->app_proto != APP_HTTP)
		return kw_err(rp, "uricontent is http, but the rule is for %s",
			      app_proto_name(rp->r->app_proto));
	rp->r->app_proto = APP_HTTP;
	return content_into(rp, value, DBUF_HTTP_URI);
}

static struct detect_content *last(struct rule_parse *rp)
{
	if (!rp->last_content) {
		kw_err(rp, "no content before it");
		return NULL;
	}
	return rp->last_content->ctx;
}

/* A number in [min, max] or a byte_extract variable. */
static int num_or_var(struct rule_parse *rp, const char *value, long min, long max,
		      int32_t *out, bool *isvar)
{
	const char *s = value;
	bool neg = *s == '-';
	uint64_t v;
	*isvar = false;
	if (detect_parse_u64(neg ? s + 1 : s, (uint64_t)(neg ? -min : max), &v) == 0) {
		long x = neg ? -(long)v : (long)v;
		if (x < min || x > max)
			return kw_err(rp, "'%.32s' is out of range (%ld to %ld)", value, min, max);
		*out = (int32_t)x;
		return 0;
	}
	int var = rp_bytevar(rp, value);
	if (var < 0)
		return kw_err(rp, "'%.32s' is neither a number nor a byte_extract variable", value);
	*isvar = true;
	*out = var;
	return 0;
}

int kw_nocase_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	if (!c)
		return -1;
	if (c->flags & CT_NOCASE)
		return kw_err(rp, "given twice for the same content");
	c->flags |= CT_NOCASE;
	return 0;
}

#define ABS (CT_DEPTH | CT_OFFSET)
#define REL (CT_DISTANCE | CT_WITHIN)

int kw_depth_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	bool var;
	if (!c)
		return -1;
	if (c->flags & CT_DEPTH)
		return kw_err(rp, "given twice for the same content");
	if (c->flags & REL)
		return kw_err(rp, "depth cannot be mixed with distance or within on the same content");
	if (c->flags & CT_STARTSWITH)
		return kw_err(rp, "depth cannot be used with startswith");
	if (num_or_var(rp, value, 0, 65535, &c->depth, &var) < 0)
		return -1;
	if (!var && c->depth == 0)
		return kw_err(rp, "depth of 0 matches nothing");
	if (!var && c->depth < c->len)
		return kw_err(rp, "depth %d is smaller than the content (%u bytes)", c->depth, c->len);
	if (c->flags & CT_FP_ONLY)
		return kw_err(rp, "depth cannot be used with fast_pattern:only");
	c->flags |= CT_DEPTH | (var ? CT_DEPTH_VAR : 0);
	return 0;
}

int kw_offset_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	bool var;
	if (!c)
		return -1;
	if (c->flags & CT_OFFSET)
		return kw_err(rp, "given twice for the same content");
	if (c->flags & REL)
		return kw_err(rp, "offset cannot be mixed with distance or within on the same content");
	if (c->flags & CT_STARTSWITH)
		return kw_err(rp, "offset cannot be used with startswith");
	if (c->flags & CT_FP_ONLY)
		return kw_err(rp, "offset cannot be used with fast_pattern:only");
	if (num_or_var(rp, value, 0, 65535, &c->offset, &var) < 0)
		return -1;
	c->flags |= CT_OFFSET | (var ? CT_OFFSET_VAR : 0);
	return 0;
}

int kw_distance_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	bool var;
	if (!c)
		return -1;
	if (c->flags & CT_DISTANCE)
		return kw_err(rp, "given twice for the same content");
	if (c->flags & ABS)
		return kw_err(rp, "distance cannot be mixed with depth or offset on the same content");
	if (c->flags & CT_STARTSWITH)
		return kw_err(rp, "distance cannot be used with startswith");
	if (c->flags & CT_FP_ONLY)
		return kw_err(rp, "distance cannot be used with fast_pattern:only");
	if (num_or_var(rp, value, -65535, 65535, &c->distance, &var) < 0)
		return -1;
	c->flags |= CT_DISTANCE | (var ? CT_DISTANCE_VAR : 0);
	return 0;
}

int kw_within_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	bool var;
	if (!c)
		return -1;
	if (c->flags & CT_WITHIN)
		return kw_err(rp, "given twice for the same content");
	if (c->flags & ABS)
		return kw_err(rp, "within cannot be mixed with depth or offset on the same content");
	if (c->flags & CT_STARTSWITH)
		return kw_err(rp, "within cannot be used with startswith");
	if (c->flags & CT_FP_ONLY)
		return kw_err(rp, "within cannot be used with fast_pattern:only");
	if (num_or_var(rp, value, -65535, 65535, &c->within, &var) < 0)
		return -1;
	if (!var && c->within <= 0)
		return kw_err(rp, "within must be positive");
	if (!var && c->within < c->len)
		return kw_err(rp, "within %d is smaller than the content (%u bytes)", c->within, c->len);
	c->flags |= CT_WITHIN | (var ? CT_WITHIN_VAR : 0);
	return 0;
}

int kw_startswith_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	if (!c)
		return -1;
	if (c->flags & CT_STARTSWITH)
		return kw_err(rp, "given twice for the same content");
	if (c->flags & (ABS | REL))
		return kw_err(rp, "startswith cannot be used with depth, offset, distance or within");
	c->flags |= CT_STARTSWITH;
	c->depth = c->len;
	c->offset = 0;
	return 0;
}

int kw_endswith_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	if (!c)
		return -1;
	if (c->flags & CT_ENDSWITH)
		return kw_err(rp, "given twice for the same content");
	c->flags |= CT_ENDSWITH;
	return 0;
}

int kw_fast_pattern_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	if (!c)
		return -1;
	if (rp->r->fast_pattern_buf >= 0)
		return kw_err(rp, "only one content of a rule can be the fast_pattern");
	if (value && !strcmp(value, "only")) {
		if (c->flags & (ABS | REL | CT_NEGATED))
			return kw_err(rp, "fast_pattern:only cannot be used with a negated content, depth, offset, distance or within");
		c->flags |= CT_FP_ONLY;
	} else if (value) {
		const char *comma = strchr(value, ',');
		uint64_t off, len;
		char a[16];
		if (!comma || (size_t)(comma - value) >= sizeof(a))
			return kw_err(rp, "'%.32s': expected 'only' or 'offset,length'", value);
		memcpy(a, value, (size_t)(comma - value));
		a[comma - value] = '\0';
		if (detect_parse_u64(a, 65535, &off) < 0 || detect_parse_u64(comma + 1, 65535, &len) < 0 ||
		    len == 0)
			return kw_err(rp, "'%.32s': expected 'only' or 'offset,length'", value);
		if (off + len > c->len)
			return kw_err(rp, "fast_pattern %u,%u goes beyond the content (%u bytes)",
				      (unsigned)off, (unsigned)len, c->len);
		c->fp_off = (uint16_t)off;
		c->fp_len = (uint16_t)len;
		c->flags |= CT_FP_CHOP;
	}
	c->flags |= CT_FAST_PATTERN;
	rp->r->fast_pattern_buf = rp->last_content_buf;
	return 0;
}

int kw_rawbytes_setup(struct rule_parse *rp, const char *value)
{
	struct detect_content *c = last(rp);
	if (!c)
		return -1;
	if (rp->last_content_buf != DBUF_PAYLOAD)
		return kw_err(rp, "rawbytes applies to payload contents only, not '%s'",
			      detect_buffers[rp->last_content_buf].name);
	c->flags |= CT_RAWBYTES;
	return 0;
}

int kw_isdataat_setup(struct rule_parse *rp, const char *value)
{
	struct detect_isdataat *d = calloc(1, sizeof(*d));
	char v[64];
	if (!d)
		return kw_err(rp, "out of memory");
	if (strlen(value) >= sizeof(v)) {
		free(d);
		return kw_err(rp, "value too long");
	}
	strcpy(v, value);
	char *s = v;
	if (*s == '!') {
		d->flags |= ISDATAAT_NEGATED;
		s++;
	}
	char *opt = strchr(s, ',');
	if (opt)
		*opt++ = '\0';
	while (opt) {
		char *next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		while (*opt == ' ')
			opt++;
		size_t l = strlen(opt);
		while (l && opt[l - 1] == ' ')
			opt[--l] = '\0';
		if (!strcmp(opt, "relative")) {
			d->flags |= ISDATAAT_RELATIVE;
		} else if (!strcmp(opt, "rawbytes")) {
			d->flags |= ISDATAAT_RAWBYTES;
		} else {
			free(d);
			return kw_err(rp, "unknown option '%.32s' (relative, rawbytes)", opt);
		}
		opt = next;
	}
	while (*s == ' ')
		s++;
	size_t l = strlen(s);
	while (l && s[l - 1] == ' ')
		s[--l] = '\0';
	uint64_t pos;
	if (detect_parse_u64(s, 65535, &pos) == 0) {
		d->pos = (uint32_t)pos;
	} else if (rp_bytevar(rp, s) >= 0) {
		d->pos = (uint32_t)rp_bytevar(rp, s);
		d->flags |= ISDATAAT_VAR;
	} else {
		free(d);
		return kw_err(rp, "'%.32s' is neither a number up to 65535 nor a byte_extract variable", s);
	}
	if ((d->flags & ISDATAAT_RELATIVE) && !rp->last_rel) {
		free(d);
		return kw_err(rp, "relative, but nothing before it to be relative to");
	}
	int buf = (d->flags & ISDATAAT_RELATIVE) && rp->cur_buf < 0 ? rp->last_rel_buf : rp_buffer(rp);
	if (rule_add_match(&rp->r->bufs[buf], rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	return 0;
}

int kw_bsize_setup(struct rule_parse *rp, const char *value)
{
	if (rp->cur_buf < 0)
		return kw_err(rp, "bsize needs a sticky buffer before it");
	return kw_add_num(rp, &rp->r->bufs[rp->cur_buf], value, UINT32_MAX, 0);
}

int kw_urilen_setup(struct rule_parse *rp, const char *value)
{
	char v[64];
	if (strlen(value) >= sizeof(v))
		return kw_err(rp, "value too long");
	strcpy(v, value);
	uint8_t raw = 0;
	char *comma = strchr(v, ',');
	if (comma) {
		*comma++ = '\0';
		while (*comma == ' ')
			comma++;
		if (!strcmp(comma, "raw"))
			raw = 1;
		else if (strcmp(comma, "norm"))
			return kw_err(rp, "'%.32s': expected raw or norm", comma);
	}
	if (rp->r->app_proto && rp->r->app_proto != APP_HTTP)
		return kw_err(rp, "urilen is http, but the rule is for %s",
			      app_proto_name(rp->r->app_proto));
	rp->r->app_proto = APP_HTTP;
	return kw_add_num(rp, &rp->r->bufs[raw ? DBUF_HTTP_URI_RAW : DBUF_HTTP_URI], v, 65535, raw);
}

int kw_dsize_setup(struct rule_parse *rp, const char *value)
{
	for (struct sigmatch *sm = rp->r->pkt.head; sm; sm = sm->next)
		if (sm->kw == rp->kw)
			return kw_err(rp, "given twice");
	return kw_add_num(rp, &rp->r->pkt, value, 65535, 0);
}

int kw_transform_setup(struct rule_parse *rp, const char *value)
{
	const struct detect_kw *k = &detect_keywords[rp->kw];
	if (rp->cur_buf < 0)
		return kw_err(rp, "transform '%s' needs a sticky buffer before it", k->name);
	/* applies to the whole buffer, wherever it is written after the sticky buffer */
	struct sm_list *l = &rp->r->bufs[rp->cur_buf];
	struct detect_transform *t = calloc(1, sizeof(*t));
	if (!t)
		return kw_err(rp, "out of memory");
	t->kind = (uint8_t)k->buffer;
	if (rule_add_match(l, rp->kw, t) < 0) {
		free(t);
		return kw_err(rp, "out of memory");
	}
	return 0;
}

int kw_base64_decode_setup(struct rule_parse *rp, const char *value)
{
	struct detect_base64 *b = calloc(1, sizeof(*b));
	char v[128];
	if (!b)
		return kw_err(rp, "out of memory");
	if (value && strlen(value) >= sizeof(v)) {
		free(b);
		return kw_err(rp, "value too long");
	}
	strcpy(v, value ? value : "");
	for (char *save = NULL, *o = strtok_r(v, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		while (*o == ' ')
			o++;
		uint64_t n;
		if (!strncmp(o, "bytes", 5) && detect_parse_u64(o + 5, UINT32_MAX, &n) == 0 && n) {
			b->bytes = (uint32_t)n;
		} else if (!strncmp(o, "offset", 6) && detect_parse_u64(o + 6, UINT32_MAX, &n) == 0) {
			b->offset = (uint32_t)n;
		} else if (!strncmp(o, "relative", 8) && !o[8 + strspn(o + 8, " ")]) {
			b->relative = true;
		} else {
			free(b);
			return kw_err(rp, "'%.32s': expected bytes N, offset N or relative", o);
		}
	}
	if (b->relative && !rp->last_rel) {
		free(b);
		return kw_err(rp, "relative, but nothing before it to be relative to");
	}
	if (rule_add_match(&rp->r->bufs[rp_buffer(rp)], rp->kw, b) < 0) {
		free(b);
		return kw_err(rp, "out of memory");
	}
	return 0;
}
