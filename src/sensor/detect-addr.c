/*
 * detect-addr.c - the address and port parts of a rule header.
 *
 * An expression is an item (any, 192.0.2.1, 10.0.0.0/8, 10.0.0.0/255.0.0.0,
 * 2001:db8::/32, a-b ranges, $VAR for addresses; any, 80, 1024:, :1023,
 * 80:90, $VAR for ports) or a bracketed, comma-separated group of
 * expressions; '!' before an item or a group negates it.  The expression is
 * flattened into two lists: what must match ("in", or anything when there
 * is only negation or an "any") and what must not ("out").  A negated item
 * inside a negated group counts as positive again, so ![a,!b] reads "b but
 * not a", as Suricata reads it.  Variables nest; a variable that refers to
 * itself, directly or not, stops at a depth limit with a message naming the
 * chain.  Every list is capped, so a huge or hostile expression cannot grow
 * without bound.
 *
 * An address list is then sorted (IPv4 before IPv6, by first address) and
 * overlapping ranges are merged, so that matching an address is a binary
 * search: IP reputation rules list hundreds of addresses, and are checked
 * on the first packet of each flow.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect-parse.h"

#define EXPR_DEPTH_MAX 16
#define RANGES_MAX 4096

struct exprctx {
	const struct detect_vars *vars;
	bool port;
	bool any_in;
	void *in, *out;
	size_t nin, nout, capin, capout;
	char *err;
	size_t errlen;
	const char *chain[EXPR_DEPTH_MAX + 1];
	int nchain;
};

static int seterr(struct exprctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int seterr(struct exprctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int push(struct exprctx *c, bool neg, const void *item)
{
	size_t sz = c->port ? sizeof(struct port_range) : sizeof(struct addr_range);
	void **arr = neg ? &c->out : &c->in;
	size_t *n = neg ? &c->nout : &c->nin, *cap = neg ? &c->capout : &c->capin;
	if (*n >= RANGES_MAX) {
		snprintf(c->err, c->errlen, "more than %d items", RANGES_MAX);
		return -1;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		void *p = realloc(*arr, nc * sz);
		if (!p) {
			snprintf(c->err, c->errlen, "out of memory");
			return -1;
		}
		*arr = p;
		*cap = nc;
	}
	memcpy((char *)*arr + *n * sz, item, sz);
	(*n)++;
	return 0;
}

static int parse_u16(const char *s, size_t len, uint16_t *v)
{
	if (len == 0 || len > 5)
		return -1;
	unsigned x = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	if (x > 65535)
		return -1;
	*v = (uint16_t)x;
	return 0;
}

static int port_item(struct exprctx *c, const char *s, size_t len, bool neg)
{
	struct port_range r = { 0, 65535 };
	const char *colon = memchr(s, ':', len);
	if (!colon) {
		if (parse_u16(s, len, &r.lo) < 0)
			return seterr(c, "'%.*s' is not a port", (int)len, s);
		r.hi = r.lo;
	} else {
		size_t l1 = (size_t)(colon - s), l2 = len - l1 - 1;
		if ((l1 && parse_u16(s, l1, &r.lo) < 0) || (l2 && parse_u16(colon + 1, l2, &r.hi) < 0) ||
		    (!l1 && !l2))
			return seterr(c, "'%.*s' is not a port range", (int)len, s);
		if (r.lo > r.hi)
			return seterr(c, "port range '%.*s' goes backwards", (int)len, s);
	}
	return push(c, neg, &r);
}

/* One address (no mask) into a->b; 4 or 6, -1 */
static int parse_ip(const char *s, size_t len, struct ot_addr *a)
{
	char buf[64];
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, buf, a->b) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, a->b) == 1)
		return 6;
	return -1;
}

int addr_range_parse(const char *s, size_t len, struct addr_range *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	const char *slash = memchr(s, '/', len), *dash = memchr(s, '-', len);
	size_t alen = slash ? (size_t)(slash - s) : dash ? (size_t)(dash - s) : len;
	int ver = parse_ip(s, alen, &r->lo);
	if (ver < 0) {
		snprintf(err, errlen, "'%.*s' is not an IP address", (int)len, s);
		return -1;
	}
	r->ip_ver = (uint8_t)ver;
	int bytes = ver == 4 ? 4 : 16;
	r->hi = r->lo;
	if (slash) {
		const char *m = slash + 1;
		size_t mlen = len - alen - 1;
		unsigned bits = 0;
		struct ot_addr mask;
		if (memchr(m, '.', mlen) && ver == 4) {
			if (parse_ip(m, mlen, &mask) != 4) {
				snprintf(err, errlen, "'%.*s': bad netmask", (int)len, s);
				return -1;
			}
			uint32_t mv = ntohl(mask.w[0]);
			while (bits < 32 && (mv & (0x80000000u >> bits)))
				bits++;
			if (bits < 32 && (mv << bits)) {
				snprintf(err, errlen, "'%.*s': netmask is not contiguous", (int)len, s);
				return -1;
			}
		} else {
			uint16_t b;
			if (parse_u16(m, mlen, &b) < 0 || b > bytes * 8) {
				snprintf(err, errlen, "'%.*s': bad prefix length", (int)len, s);
				return -1;
			}
			bits = b;
		}
		for (int i = 0; i < bytes; i++) {
			int keep = (int)bits - i * 8;
			uint8_t mk = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
			r->lo.b[i] &= mk;
			r->hi.b[i] = (uint8_t)(r->lo.b[i] | (uint8_t)~mk);
		}
	} else if (dash) {
		if (parse_ip(dash + 1, len - alen - 1, &r->hi) != ver) {
			snprintf(err, errlen, "'%.*s' is not an address range", (int)len, s);
			return -1;
		}
		if (memcmp(r->lo.b, r->hi.b, 16) > 0) {
			snprintf(err, errlen, "address range '%.*s' goes backwards", (int)len, s);
			return -1;
		}
	}
	return 0;
}

static int addr_item(struct exprctx *c, const char *s, size_t len, bool neg)
{
	struct addr_range r;
	if (addr_range_parse(s, len, &r, c->err, c->errlen) < 0)
		return -1;
	return push(c, neg, &r);
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int parse_expr(struct exprctx *c, const char *s, size_t len, bool neg, int depth);

/* A comma-separated list at one bracket level. */
static int parse_list(struct exprctx *c, const char *s, size_t len, bool neg, int depth)
{
	size_t start = 0;
	int level = 0;
	if (len == 0)
		return seterr(c, "empty group");
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '[')
			level++;
		else if (i < len && s[i] == ']')
			level--;
		if (level < 0)
			return seterr(c, "unbalanced ']' in '%.*s'", (int)len, s);
		if (i == len || (s[i] == ',' && level == 0)) {
			if (i == len && level)
				return seterr(c, "unbalanced '[' in '%.*s'", (int)len, s);
			if (parse_expr(c, s + start, i - start, neg, depth) < 0)
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

static int parse_expr(struct exprctx *c, const char *s, size_t len, bool neg, int depth)
{
	while (len && is_space(*s))
		s++, len--;
	while (len && is_space(s[len - 1]))
		len--;
	if (depth > EXPR_DEPTH_MAX)
		return seterr(c, "nested too deep (more than 16 levels)");
	if (len == 0)
		return seterr(c, "empty item");
	if (*s == '!') {
		if (len == 1)
			return seterr(c, "'!' with nothing after it");
		return parse_expr(c, s + 1, len - 1, !neg, depth + 1);
	}
	if (*s == '[') {
		if (s[len - 1] != ']')
			return seterr(c, "unbalanced '[' in '%.*s'", (int)len, s);
		return parse_list(c, s + 1, len - 2, neg, depth + 1);
	}
	if (*s == '$') {
		char name[72];
		if (len - 1 >= sizeof(name) || len == 1)
			return seterr(c, "bad variable name '%.*s'", (int)len, s);
		memcpy(name, s + 1, len - 1);
		name[len - 1] = '\0';
		bool is_port;
		const char *val = detect_vars_get(c->vars, name, &is_port);
		if (!val)
			return seterr(c, "variable '%.*s' is not defined", (int)len, s);
		if (is_port != c->port)
			return seterr(c, c->port ? "'%.*s' is an address variable, not a port variable" :
				       "'%.*s' is a port variable, not an address variable", (int)len, s);
		for (int i = 0; i < c->nchain; i++) {
			if (!strcmp(c->chain[i], name)) {
				char chain[256] = "";
				size_t off = 0;
				for (int j = i; j < c->nchain && off < sizeof(chain); j++)
					off += (size_t)snprintf(chain + off, sizeof(chain) - off, "$%s -> ",
								 c->chain[j]);
				snprintf(c->err, c->errlen, "variable loop: %s$%s", chain, name);
				return -1;
			}
		}
		if (c->nchain >= EXPR_DEPTH_MAX)
			return seterr(c, "variables nested too deep at '%.*s'", (int)len, s);
		c->chain[c->nchain++] = name;
		/* name lives on this stack frame for the duration of the call */
		int r = parse_expr(c, val, strlen(val), neg, depth + 1);
		c->nchain--;
		return r;
	}
	if (len == 3 && !strncasecmp(s, "any", 3)) {
		if (neg)
			return seterr(c, "'!any' matches nothing");
		c->any_in = true;
		return 0;
	}
	return c->port ? port_item(c, s, len, neg) : addr_item(c, s, len, neg);
}

static int run(struct exprctx *c, const char *expr)
{
	if (!expr)
		return seterr(c, "no expression");
	if (strlen(expr) > 65536)
		return seterr(c, "expression too long");
	int r = parse_expr(c, expr, strlen(expr), false, 0);
	if (r == 0 && !c->any_in && c->nin == 0 && c->nout == 0)
		r = seterr(c, "nothing to match");
	return r;
}

/* Parse expr into the include and exclude lists of a set of either kind. */
static int set_parse(struct exprctx *c, const char *expr, bool *any, void **in, size_t *nin,
		     void **out, size_t *nout)
{
	if (run(c, expr) < 0) {
		free(c->in);
		free(c->out);
		return -1;
	}
	*any = c->any_in || c->nin == 0;
	if (c->any_in) {
		free(c->in);
		c->in = NULL;
		c->nin = 0;
	}
	*in = c->in;
	*nin = c->nin;
	*out = c->out;
	*nout = c->nout;
	return 0;
}

/* a against b: IP version first, then the address (of that version's length). */
static int addr_cmp(int va, const struct ot_addr *a, int vb, const struct ot_addr *b)
{
	if (va != vb)
		return va - vb;
	return memcmp(a->b, b->b, va == 4 ? 4 : 16);
}

static int range_cmp(const void *x, const void *y)
{
	const struct addr_range *a = x, *b = y;
	return addr_cmp(a->ip_ver, &a->lo, b->ip_ver, &b->lo);
}

/* Sort the ranges and merge those that overlap; the new count. */
static size_t ranges_normalise(struct addr_range *r, size_t n)
{
	if (n < 2)
		return n;
	qsort(r, n, sizeof(*r), range_cmp);
	size_t u = 0;
	for (size_t i = 1; i < n; i++) {
		struct addr_range *last = &r[u];
		if (r[i].ip_ver == last->ip_ver &&
		    addr_cmp(r[i].ip_ver, &r[i].lo, last->ip_ver, &last->hi) <= 0) {
			if (addr_cmp(r[i].ip_ver, &r[i].hi, last->ip_ver, &last->hi) > 0)
				last->hi = r[i].hi;
		} else {
			r[++u] = r[i];
		}
	}
	return u + 1;
}

int addr_set_parse(struct addr_set *s, const char *expr, const struct detect_vars *v,
		   char *err, size_t errlen)
{
	struct exprctx c = { .vars = v, .port = false, .err = err, .errlen = errlen };
	void *in, *out;
	memset(s, 0, sizeof(*s));
	if (set_parse(&c, expr, &s->any, &in, &s->nin, &out, &s->nout) < 0)
		return -1;
	s->in = in;
	s->out = out;
	s->nin = ranges_normalise(s->in, s->nin);
	s->nout = ranges_normalise(s->out, s->nout);
	return 0;
}

int port_set_parse(struct port_set *s, const char *expr, const struct detect_vars *v,
		   char *err, size_t errlen)
{
	struct exprctx c = { .vars = v, .port = true, .err = err, .errlen = errlen };
	void *in, *out;
	memset(s, 0, sizeof(*s));
	if (set_parse(&c, expr, &s->any, &in, &s->nin, &out, &s->nout) < 0)
		return -1;
	s->in = in;
	s->out = out;
	return 0;
}

/* Is a in one of the n sorted, disjoint ranges r? */
static bool in_ranges(const struct addr_range *r, size_t n, const struct ot_addr *a, int ip_ver)
{
	/* the last range starting at or before a */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (addr_cmp(r[mid].ip_ver, &r[mid].lo, ip_ver, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && r[lo - 1].ip_ver == ip_ver &&
		addr_cmp(ip_ver, a, r[lo - 1].ip_ver, &r[lo - 1].hi) <= 0;
}

bool addr_set_match(const struct addr_set *s, const struct ot_addr *a, int ip_ver)
{
	if (!s->any && !in_ranges(s->in, s->nin, a, ip_ver))
		return false;
	return !in_ranges(s->out, s->nout, a, ip_ver);
}

bool port_set_match(const struct port_set *s, uint16_t port)
{
	bool in = s->any;
	for (size_t i = 0; !in && i < s->nin; i++)
		in = port >= s->in[i].lo && port <= s->in[i].hi;
	if (!in)
		return false;
	for (size_t i = 0; i < s->nout; i++)
		if (port >= s->out[i].lo && port <= s->out[i].hi)
			return false;
	return true;
}

void addr_set_clear(struct addr_set *s)
{
	free(s->in);
	free(s->out);
	memset(s, 0, sizeof(*s));
}

void port_set_clear(struct port_set *s)
{
	free(s->in);
	free(s->out);
	memset(s, 0, sizeof(*s));
}
