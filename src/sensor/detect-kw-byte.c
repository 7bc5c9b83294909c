/*
 * detect-kw-byte.c - byte_test, byte_jump and byte_extract: read a number
 * from the buffer (binary big or little endian, or digits as text) and
 * compare it, move the cursor by it, or keep it in a variable that later
 * content modifiers, isdataat and byte_* of the same rule can use by name.
 * Options are checked here: how many bytes (at most 8 as binary, 10 as
 * text), the operator, the endianness given once, text bases, align 2 or 4,
 * and that every variable named was extracted before.
 */
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"

#define TOKENS_MAX 24

int kw_byte_test_setup(struct rule_parse *rp, const char *value);
int kw_byte_jump_setup(struct rule_parse *rp, const char *value);
int kw_byte_extract_setup(struct rule_parse *rp, const char *value);

static int split(char *s, char **tok, int max)
{
	int n = 0;
	for (char *save = NULL, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == max)
			return -1;
		while (*t == ' ' || *t == '\t')
			t++;
		size_t l = strlen(t);
		while (l && (t[l - 1] == ' ' || t[l - 1] == '\t'))
			t[--l] = '\0';
		tok[n++] = t;
	}
	return n;
}

/* decimal or 0x hex, optionally negative */
static int parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	bool neg = *s == '-';
	if (neg)
		s++;
	uint64_t v = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!*s)
			return -1;
		for (; *s; s++) {
			int d = (*s >= '0' && *s <= '9') ? *s - '0' :
				(*s >= 'a' && *s <= 'f') ? *s - 'a' + 10 :
				(*s >= 'A' && *s <= 'F') ? *s - 'A' + 10 : -1;
			if (d < 0 || v >> 60)
				return -1;
			v = v << 4 | (unsigned)d;
		}
	} else if (detect_parse_u64(s, UINT64_MAX, &v) < 0) {
		return -1;
	}
	if (neg) {
		if (v > (uint64_t)INT64_MAX || -(int64_t)v < min)
			return -1;
		*out = -(int64_t)v;
		return 0;
	}
	if (max >= 0 && v > (uint64_t)max)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* a number, or a byte_extract variable (its index, *var true) */
static int num_or_var(struct rule_parse *rp, const char *s, int64_t min, int64_t max,
		      int64_t *out, bool *var, const char *what)
{
	*var = false;
	if (parse_i64(s, min, max, out) == 0)
		return 0;
	int i = rp_bytevar(rp, s);
	if (i < 0)
		return kw_err(rp, "%s '%.32s' is neither a number in range nor a byte_extract variable",
			      what, s);
	*var = true;
	*out = i;
	return 0;
}

/* The options common to the three, from tok[first]. */
static int options(struct rule_parse *rp, struct detect_byte *b, char **tok, int n, int first)
{
	bool endian = false, base = false;
	for (int i = first; i < n; i++) {
		const char *t = tok[i];
		int64_t v;
		if (!strcmp(t, "relative")) {
			b->flags |= BY_RELATIVE;
		} else if (!strcmp(t, "big") || !strcmp(t, "little")) {
			if (endian)
				return kw_err(rp, "endianness given twice");
			endian = true;
			if (t[0] == 'l')
				b->flags |= BY_LITTLE;
		} else if (!strcmp(t, "string")) {
			b->flags |= BY_STRING;
		} else if (!strcmp(t, "hex") || !strcmp(t, "dec") || !strcmp(t, "oct")) {
			if (base)
				return kw_err(rp, "number base given twice");
			base = true;
			b->base = t[0] == 'h' ? 16 : t[0] == 'd' ? 10 : 8;
		} else if (!strcmp(t, "dce")) {
			b->flags |= BY_DCE;
		} else if (!strncmp(t, "bitmask", 7) && (t[7] == ' ' || t[7] == '\t')) {
			const char *s = t + 8 + strspn(t + 8, " \t");
			if (parse_i64(s, 0, UINT32_MAX, &v) < 0 || v == 0)
				return kw_err(rp, "bitmask '%.32s' is not a number from 1 to 0xffffffff", s);
			b->flags |= BY_BITMASK;
			b->bitmask = (uint64_t)v;
		} else if (b->kind != BYTE_TEST && !strncmp(t, "multiplier", 10) &&
			   (t[10] == ' ' || t[10] == '\t')) {
			const char *s = t + 11 + strspn(t + 11, " \t");
			if (parse_i64(s, 1, 65535, &v) < 0 || v == 0)
				return kw_err(rp, "multiplier '%.32s' is not a number from 1 to 65535", s);
			b->multiplier = (uint32_t)v;
		} else if (b->kind == BYTE_JUMP && !strcmp(t, "align")) {
			b->flags |= BY_ALIGN;
			b->align = 4;
		} else if (b->kind == BYTE_EXTRACT && !strncmp(t, "align", 5) &&
			   (t[5] == ' ' || t[5] == '\t')) {
			const char *s = t + 6 + strspn(t + 6, " \t");
			if (parse_i64(s, 2, 4, &v) < 0 || (v != 2 && v != 4))
				return kw_err(rp, "align must be 2 or 4");
			b->flags |= BY_ALIGN;
			b->align = (uint32_t)v;
		} else if (b->kind == BYTE_JUMP && !strcmp(t, "from_beginning")) {
			b->flags |= BY_FROM_BEGIN;
		} else if (b->kind == BYTE_JUMP && !strcmp(t, "from_end")) {
			b->flags |= BY_FROM_END;
		} else if (b->kind == BYTE_JUMP && !strncmp(t, "post_offset", 11) &&
			   (t[11] == ' ' || t[11] == '\t')) {
			const char *s = t + 12 + strspn(t + 12, " \t");
			if (parse_i64(s, -65535, 65535, &v) < 0)
				return kw_err(rp, "post_offset '%.32s' is not a number from -65535 to 65535", s);
			b->post_offset = (int32_t)v;
		} else {
			return kw_err(rp, "unknown option '%.32s'", t);
		}
	}
	if ((b->flags & BY_FROM_BEGIN) && (b->flags & BY_FROM_END))
		return kw_err(rp, "from_beginning and from_end together");
	if (base && !(b->flags & BY_STRING))
		return kw_err(rp, "hex, dec or oct need string");
	if ((b->flags & BY_STRING) && !base)
		b->base = 10;
	if ((b->flags & BY_DCE) && (endian || (b->flags & BY_STRING)))
		return kw_err(rp, "dce cannot be used with big, little or string");
	if (!(b->flags & BY_NBYTES_VAR) && b->nbytes == 0 && !(b->flags & BY_STRING) &&
	    b->kind != BYTE_JUMP)
		return kw_err(rp, "a byte count of 0 (all the digits) needs string");
	if (!(b->flags & BY_NBYTES_VAR)) {
		if (b->flags & BY_STRING) {
			if (b->nbytes > (b->kind == BYTE_EXTRACT ? 10 : 23))
				return kw_err(rp, "%u bytes of text is more than a number holds", b->nbytes);
		} else if (b->nbytes > 8) {
			return kw_err(rp, "%u bytes: at most 8 bytes can be read as a binary number",
				      b->nbytes);
		}
	}
	return 0;
}

static int nbytes(struct rule_parse *rp, struct detect_byte *b, const char *s)
{
	int64_t v;
	bool var;
	if (num_or_var(rp, s, 0, 23, &v, &var, "byte count") < 0)
		return -1;
	if (var) {
		if (b->kind == BYTE_EXTRACT)
			return kw_err(rp, "the byte count must be a number");
		b->flags |= BY_NBYTES_VAR;
	}
	if (!var && v < 0)
		return kw_err(rp, "byte count must not be negative");
	b->nbytes = (uint8_t)v;
	return 0;
}

static int offset(struct rule_parse *rp, struct detect_byte *b, const char *s)
{
	int64_t v;
	bool var;
	if (num_or_var(rp, s, -65535, 65535, &v, &var, "offset") < 0)
		return -1;
	if (var)
		b->flags |= BY_OFFSET_VAR;
	b->offset = (int32_t)v;
	return 0;
}

static int add(struct rule_parse *rp, struct detect_byte *b)
{
	if ((b->flags & BY_RELATIVE) && !rp->last_rel)
		return kw_err(rp, "relative, but nothing before it to be relative to");
	int buf = (b->flags & BY_RELATIVE) && rp->cur_buf < 0 ? rp->last_rel_buf : rp_buffer(rp);
	if (rule_add_match(&rp->r->bufs[buf], rp->kw, b) < 0)
		return kw_err(rp, "out of memory");
	rp->last_rel = rp->r->bufs[buf].tail;
	rp->last_rel_buf = buf;
	return 0;
}

static struct detect_byte *start(struct rule_parse *rp, const char *value, int kind, char *buf,
				 size_t len, char **tok, int *n)
{
	if (strlen(value) >= len) {
		kw_err(rp, "value too long");
		return NULL;
	}
	strcpy(buf, value);
	*n = split(buf, tok, TOKENS_MAX);
	if (*n < 0) {
		kw_err(rp, "too many options");
		return NULL;
	}
	struct detect_byte *b = calloc(1, sizeof(*b));
	if (!b) {
		kw_err(rp, "out of memory");
		return NULL;
	}
	b->kind = (uint8_t)kind;
	b->multiplier = 1;
	b->var = -1;
	return b;
}

int kw_byte_test_setup(struct rule_parse *rp, const char *value)
{
	char buf[512], *tok[TOKENS_MAX];
	int n;
	struct detect_byte *b = start(rp, value, BYTE_TEST, buf, sizeof(buf), tok, &n);
	if (!b)
		return -1;
	if (n < 4) {
		free(b);
		return kw_err(rp, "expected 'bytes, operator, value, offset[, options]'");
	}
	const char *op = tok[1];
	if (*op == '!') {
		b->flags |= BY_NEGATED;
		op++;
	}
	if (!*op && (b->flags & BY_NEGATED)) {
		b->op = '=';    /* "!" alone: not equal */
	} else if (!strcmp(op, "<=") || !strcmp(op, ">=")) {
		b->op = op[0] == '<' ? 'l' : 'g';
	} else if (strlen(op) == 1 && strchr("<>=&^", *op)) {
		b->op = *op;
	} else {
		free(b);
		return kw_err(rp, "'%.8s' is not an operator (<, >, =, !, &, ^, <=, >=)", tok[1]);
	}
	int64_t v;
	bool var;
	if (nbytes(rp, b, tok[0]) < 0 || num_or_var(rp, tok[2], 0, -1, &v, &var, "value") < 0 ||
	    offset(rp, b, tok[3]) < 0 || options(rp, b, tok, n, 4) < 0) {
		free(b);
		return -1;
	}
	if (var)
		b->flags |= BY_VALUE_VAR;
	b->value = (uint64_t)v;
	if (add(rp, b) < 0) {
		free(b);
		return -1;
	}
	return 0;
}

int kw_byte_jump_setup(struct rule_parse *rp, const char *value)
{
	char buf[512], *tok[TOKENS_MAX];
	int n;
	struct detect_byte *b = start(rp, value, BYTE_JUMP, buf, sizeof(buf), tok, &n);
	if (!b)
		return -1;
	if (n < 2) {
		free(b);
		return kw_err(rp, "expected 'bytes, offset[, options]'");
	}
	if (nbytes(rp, b, tok[0]) < 0 || offset(rp, b, tok[1]) < 0 || options(rp, b, tok, n, 2) < 0 ||
	    add(rp, b) < 0) {
		free(b);
		return -1;
	}
	return 0;
}

int kw_byte_extract_setup(struct rule_parse *rp, const char *value)
{
	char buf[512], *tok[TOKENS_MAX];
	int n;
	struct detect_byte *b = start(rp, value, BYTE_EXTRACT, buf, sizeof(buf), tok, &n);
	if (!b)
		return -1;
	if (n < 3) {
		free(b);
		return kw_err(rp, "expected 'bytes, offset, name[, options]'");
	}
	const char *name = tok[2];
	size_t nl = strlen(name);
	if (!nl || nl > 32 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != nl ||
	    (name[0] >= '0' && name[0] <= '9')) {
		free(b);
		return kw_err(rp, "'%.32s' is not a variable name", name);
	}
	if (rp_bytevar(rp, name) >= 0) {
		free(b);
		return kw_err(rp, "variable '%s' extracted twice", name);
	}
	if (rp->nbytevars >= DETECT_MAX_BYTEVARS) {
		free(b);
		return kw_err(rp, "more than %d byte_extract variables", DETECT_MAX_BYTEVARS);
	}
	if (nbytes(rp, b, tok[0]) < 0 || offset(rp, b, tok[1]) < 0 || options(rp, b, tok, n, 3) < 0) {
		free(b);
		return -1;
	}
	char *copy = strdup(name);
	if (!copy || add(rp, b) < 0) {
		free(copy);
		free(b);
		return copy ? -1 : kw_err(rp, "out of memory");
	}
	b->var = rp->nbytevars;
	rp->bytevars[rp->nbytevars++] = copy;
	return 0;
}
