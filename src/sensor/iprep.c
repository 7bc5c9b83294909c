/*
 * iprep.c - IP reputation lists and their lookup table (see iprep.h).
 *
 * Loading keeps every entry as an address range with a category and a
 * score, IPv4 and IPv6 apart (12 and 40 bytes an entry).  Building sorts
 * each and sweeps it once from the lowest address up, with a heap of the
 * entries covering the current address ordered by where they end: each
 * point where an entry starts or ends begins a new range, whose contents
 * (for each category covered, the highest score) are interned in a pool of
 * "sets" so that the millions of ranges of a big list share the few
 * distinct sets they have.  Neighbouring ranges with the same set are
 * merged.  What stays is, per IP version, one array of ranges (first
 * address, last address, set id) sorted by address: 12 bytes a range for
 * IPv4.
 * For IPv4 tables of many ranges, an index by the first 16 to 22 bits of
 * the address (about one range a bucket) narrows the binary search to the
 * ranges of one prefix, so that a lookup in millions of ranges touches two
 * or three cache lines instead of twenty.
 * Keeping counts per category and score makes the sweep O(n log n) even
 * when prefixes nest deeply.
 */
#include "iprep.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "../lib/log.h"
#include "../lib/util.h"

#define LINE_LEN_MAX 1024
#define SHOWN_BAD 10                    /* bad lines of a file reported in full */
#define ENTRIES_MAX ((size_t)1 << 27)   /* entries of all files together */
#define FILE_MAX ((size_t)1 << 32)
#define IDX_MIN 4096                    /* IPv4 ranges that make an index worth it */
#define IDX_BITS_MIN 16                 /* its buckets: /16 (256 KiB) ... */
#define IDX_BITS_MAX 22                 /* ... to /22 (16 MiB) */

typedef unsigned __int128 u128;

struct category {
	char *name, *desc;      /* name NULL: the id is not defined */
	uint64_t scores[2];
};

struct raw4 {
	uint32_t lo, hi;        /* host order */
	uint8_t cat, score;
};

struct raw6 {
	uint64_t lo[2], hi[2];  /* most significant half first */
	uint8_t cat, score;
};

/* A range with its set (never 0): one cache line holds all a lookup needs. */
struct range4 {
	uint32_t lo, hi, set;
};

struct range6 {
	u128 lo, hi;
	uint32_t set;
};

struct table {                  /* the ranges of one IP version */
	size_t n;
	struct range4 *r4;      /* IPv4 */
	struct range6 *r6;      /* IPv6 */
	uint32_t *idx;          /* IPv4, from IDX_MIN ranges: for each prefix of idx_bits
				   bits, the ranges starting below it (2^idx_bits + 1) */
	unsigned idx_bits;
};

struct iprep {
	struct category cats[IPREP_CATS];
	struct raw4 *r4;
	size_t n4, cap4;
	struct raw6 *r6;
	size_t n6, cap6;
	size_t entries;
	bool built;             /* the entries are in t4, t6 now */
	struct table t4, t6;
	/* set i is sets[i].len (category, score) pairs from pairs[2 * sets[i].off] */
	uint8_t *pairs;
	size_t npairs, cappairs;
	struct set {
		uint32_t off;
		uint16_t len;
	} *sets;
	size_t nsets, capsets;
};

struct iprep *iprep_new(void)
{
	return calloc(1, sizeof(struct iprep));
}

static void table_free(struct table *t)
{
	free(t->r4);
	free(t->r6);
	free(t->idx);
	memset(t, 0, sizeof(*t));
}

void iprep_free(struct iprep *ip)
{
	if (!ip)
		return;
	for (int i = 0; i < IPREP_CATS; i++) {
		free(ip->cats[i].name);
		free(ip->cats[i].desc);
	}
	free(ip->r4);
	free(ip->r6);
	table_free(&ip->t4);
	table_free(&ip->t6);
	free(ip->pairs);
	free(ip->sets);
	free(ip);
}

/* ---- categories ---- */

static bool name_ok(const char *name)
{
	size_t n = strlen(name);
	return n && n <= IPREP_NAME_MAX &&
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int iprep_category_find(const struct iprep *ip, const char *name)
{
	for (int i = 0; ip && i < IPREP_CATS; i++)
		if (ip->cats[i].name && !strcmp(ip->cats[i].name, name))
			return i;
	return -1;
}

static int set_category(struct iprep *ip, int id, const char *name, const char *desc)
{
	char *n = strdup(name), *d = strdup(desc);
	if (!n || !d) {
		free(n);
		free(d);
		return -1;
	}
	free(ip->cats[id].name);
	free(ip->cats[id].desc);
	ip->cats[id].name = n;
	ip->cats[id].desc = d;
	return id;
}

int iprep_category_define(struct iprep *ip, const char *name)
{
	if (!name_ok(name)) {
		ot_err("reputation category '%.64s': a short name is 1 to %d letters, digits, "
		       "'_', '.' or '-'", name, IPREP_NAME_MAX);
		return -1;
	}
	int id = iprep_category_find(ip, name);
	if (id >= 0)
		return id;
	for (id = 1; id < IPREP_CATS && ip->cats[id].name; id++)
		;
	if (id == IPREP_CATS) {
		ot_err("reputation category '%s': all %d category ids are taken", name, IPREP_CATS);
		return -1;
	}
	if (set_category(ip, id, name, "") < 0) {
		ot_err("out of memory");
		return -1;
	}
	return id;
}

const char *iprep_category_name(const struct iprep *ip, int id)
{
	return ip && id >= 0 && id < IPREP_CATS ? ip->cats[id].name : NULL;
}

const char *iprep_category_desc(const struct iprep *ip, int id)
{
	return iprep_category_name(ip, id) ? ip->cats[id].desc : NULL;
}

void iprep_category_scores(const struct iprep *ip, int id, uint64_t seen[2])
{
	seen[0] = seen[1] = 0;
	if (iprep_category_name(ip, id)) {
		seen[0] = ip->cats[id].scores[0];
		seen[1] = ip->cats[id].scores[1];
	}
}

/* ---- loading ---- */

struct load {
	struct iprep *ip;
	const char *name;
	unsigned line;
	int bad;
	enum iprep_format fmt;
	int cat;
	unsigned score;
};

static void bad_line(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad_line(struct load *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	if (++l->bad > SHOWN_BAD)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ot_warn("%s:%u: %s; line skipped", l->name, l->line, msg);
}

/* The address bytes (network order) as a number. */
static u128 be128(const uint8_t *b)
{
	uint64_t hi, lo;
	memcpy(&hi, b, 8);
	memcpy(&lo, b + 8, 8);
	return (u128)be64toh(hi) << 64 | be64toh(lo);
}

static int add_entry(struct load *l, const struct addr_range *r, int cat, unsigned score)
{
	struct iprep *ip = l->ip;
	if (ip->entries >= ENTRIES_MAX) {
		bad_line(l, "more than %zu entries in all", ENTRIES_MAX);
		return -1;
	}
	ip->entries++;
	if (!score)
		return 0;       /* "no data", as Suricata reads it */
	if (r->ip_ver == 4) {
		struct raw4 *p = ot_grow(ip->r4, &ip->cap4, ip->n4, sizeof(*p), 1024);
		if (!p)
			goto oom;
		ip->r4 = p;
		ip->r4[ip->n4++] = (struct raw4){ ntohl(r->lo.w[0]), ntohl(r->hi.w[0]),
						  (uint8_t)cat, (uint8_t)score };
	} else {
		struct raw6 *p = ot_grow(ip->r6, &ip->cap6, ip->n6, sizeof(*p), 256);
		if (!p)
			goto oom;
		ip->r6 = p;
		u128 lo = be128(r->lo.b), hi = be128(r->hi.b);
		ip->r6[ip->n6++] = (struct raw6){ { (uint64_t)(lo >> 64), (uint64_t)lo },
						  { (uint64_t)(hi >> 64), (uint64_t)hi },
						  (uint8_t)cat, (uint8_t)score };
	}
	ip->cats[cat].scores[score / 64] |= 1ull << (score % 64);
	return 0;
oom:
	ip->entries--;
	bad_line(l, "out of memory");
	return -1;
}

static int parse_addr(struct load *l, const char *s, struct addr_range *r)
{
	char err[160];
	if (addr_range_parse(s, strlen(s), r, err, sizeof(err)) < 0) {
		bad_line(l, "%s", err);
		return -1;
	}
	return 0;
}

/* "id,shortname,description" */
static void category_line(struct load *l, char *s)
{
	char *c1 = strchr(s, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	uint64_t id;
	if (!c2) {
		bad_line(l, "expected 'id,short name,description'");
		return;
	}
	*c1 = *c2 = '\0';
	char *name = detect_trim(c1 + 1), *desc = detect_trim(c2 + 1);
	if (detect_parse_u64(s, IPREP_CATS - 1, &id) < 0) {
		bad_line(l, "category id '%.32s' is not a number from 0 to %d", s, IPREP_CATS - 1);
		return;
	}
	if (!name_ok(name)) {
		bad_line(l, "'%.64s' is not a short name (1 to %d letters, digits, '_', '.' or '-')",
			 name, IPREP_NAME_MAX);
		return;
	}
	const char *had = l->ip->cats[id].name;
	int other = iprep_category_find(l->ip, name);
	if (had && strcmp(had, name)) {
		bad_line(l, "category id %u is already '%s'", (unsigned)id, had);
		return;
	}
	if (other >= 0 && other != (int)id) {
		bad_line(l, "category '%s' already has id %d", name, other);
		return;
	}
	if (set_category(l->ip, (int)id, name, desc) < 0)
		bad_line(l, "out of memory");
}

/* "address[/prefix],category-id,score" */
static void suricata_line(struct load *l, char *s)
{
	char *tok[3];
	struct addr_range r;
	uint64_t cat, score;
	if (detect_split(s, ',', tok, 3) != 3) {
		bad_line(l, "expected 'address,category id,score'");
		return;
	}
	if (parse_addr(l, tok[0], &r) < 0)
		return;
	if (detect_parse_u64(tok[1], IPREP_CATS - 1, &cat) < 0 || !l->ip->cats[cat].name) {
		bad_line(l, "category '%.32s' is not an id of the categories file", tok[1]);
		return;
	}
	if (detect_parse_u64(tok[2], IPREP_SCORE_MAX, &score) < 0) {
		bad_line(l, "score '%.32s' is not a number from 0 to %d", tok[2], IPREP_SCORE_MAX);
		return;
	}
	add_entry(l, &r, (int)cat, (unsigned)score);
}

/* one address, prefix or range */
static void list_line(struct load *l, char *s)
{
	struct addr_range r;
	if (s[strcspn(s, " \t")]) {
		bad_line(l, "expected one address, prefix or range, not '%.64s'", s);
		return;
	}
	if (parse_addr(l, s, &r) == 0)
		add_entry(l, &r, l->cat, l->score);
}

static void one_line(struct load *l, char *s)
{
	if (l->fmt == IPREP_LIST)
		s[strcspn(s, "#;")] = '\0';
	s = detect_trim(s);
	if (!*s || *s == '#')
		return;
	switch (l->fmt) {
	case IPREP_CATEGORIES: category_line(l, s); break;
	case IPREP_SURICATA: suricata_line(l, s); break;
	case IPREP_LIST: list_line(l, s); break;
	}
}

int iprep_load_buffer(struct iprep *ip, const char *buf, size_t len, const char *name,
		      enum iprep_format fmt, int cat, unsigned score)
{
	struct load l = { ip, name, 0, 0, fmt, cat, score };
	char line[LINE_LEN_MAX + 1];
	if (ip->built && fmt != IPREP_CATEGORIES) {
		ot_err("%s: the reputation table is built already", name);
		return -1;
	}
	if (fmt == IPREP_LIST && (!iprep_category_name(ip, cat) || !score ||
				  score > IPREP_SCORE_MAX)) {
		ot_err("%s: no category, or a score not from 1 to %d", name, IPREP_SCORE_MAX);
		return -1;
	}
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		l.line++;
		if (n > LINE_LEN_MAX)
			bad_line(&l, "longer than %d bytes", LINE_LEN_MAX);
		else if (memchr(buf + pos, '\0', n))
			bad_line(&l, "contains a NUL byte");
		else {
			memcpy(line, buf + pos, n);
			line[n] = '\0';
			one_line(&l, line);
		}
		pos += n + 1;
	}
	if (l.bad > SHOWN_BAD)
		ot_warn("%s: %d more lines skipped", name, l.bad - SHOWN_BAD);
	return l.bad;
}

int iprep_load(struct iprep *ip, const char *path, enum iprep_format fmt, int cat,
	       unsigned score)
{
	char *buf;
	size_t len;
	if (ot_read_file(path, FILE_MAX, &buf, &len) < 0) {
		ot_err("%s: %s", path, errno == EFBIG ? "larger than 4 GiB" : strerror(errno));
		return -1;
	}
	int r = iprep_load_buffer(ip, buf, len, path, fmt, cat, score);
	free(buf);
	return r;
}

/* ---- building ---- */

/* Per category, how many entries with each score cover the current
 * address, and the set of those present as bits. */
struct sweep {
	uint32_t cnt[IPREP_CATS][IPREP_SCORE_MAX + 1];
	uint32_t ncat[IPREP_CATS];
	uint64_t sbits[IPREP_CATS][2];
	uint64_t cbits[IPREP_CATS / 64];
	uint8_t tmp[2 * IPREP_CATS];
	uint32_t *hash;             /* set ids, open addressing */
	size_t hcap;
};

/* One IP version's entries, read alike. */
struct fam {
	const struct raw4 *r4;
	const struct raw6 *r6;
	size_t n;
};

static u128 ent_lo(const struct fam *f, size_t i)
{
	return f->r4 ? f->r4[i].lo : (u128)f->r6[i].lo[0] << 64 | f->r6[i].lo[1];
}

static u128 ent_hi(const struct fam *f, size_t i)
{
	return f->r4 ? f->r4[i].hi : (u128)f->r6[i].hi[0] << 64 | f->r6[i].hi[1];
}

static void ent_cs(const struct fam *f, size_t i, int *cat, int *score)
{
	*cat = f->r4 ? f->r4[i].cat : f->r6[i].cat;
	*score = f->r4 ? f->r4[i].score : f->r6[i].score;
}

static void cover(struct sweep *sw, const struct fam *f, size_t i, bool on)
{
	int c, s;
	ent_cs(f, i, &c, &s);
	if (on) {
		if (!sw->cnt[c][s]++)
			sw->sbits[c][s / 64] |= 1ull << (s % 64);
		if (!sw->ncat[c]++)
			sw->cbits[c / 64] |= 1ull << (c % 64);
	} else {
		if (!--sw->cnt[c][s])
			sw->sbits[c][s / 64] &= ~(1ull << (s % 64));
		if (!--sw->ncat[c])
			sw->cbits[c / 64] &= ~(1ull << (c % 64));
	}
}

static uint64_t hash_bytes(const uint8_t *b, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static int grow_hash(struct iprep *ip, struct sweep *sw)
{
	size_t nc = sw->hcap ? sw->hcap * 2 : 1024;
	uint32_t *h = calloc(nc, sizeof(*h));
	if (!h)
		return -1;
	for (size_t s = 1; s < ip->nsets; s++) {
		size_t k = hash_bytes(ip->pairs + 2 * ip->sets[s].off, 2 * ip->sets[s].len) & (nc - 1);
		while (h[k])
			k = (k + 1) & (nc - 1);
		h[k] = (uint32_t)s;
	}
	free(sw->hash);
	sw->hash = h;
	sw->hcap = nc;
	return 0;
}

/* The id of the set of n (category, score) pairs in sw->tmp; 0 when out of memory. */
static uint32_t intern(struct iprep *ip, struct sweep *sw, size_t n)
{
	const uint8_t *t = sw->tmp;
	if ((ip->nsets + 1) * 2 > sw->hcap && grow_hash(ip, sw) < 0)
		return 0;
	size_t k = hash_bytes(t, 2 * n) & (sw->hcap - 1);
	for (; sw->hash[k]; k = (k + 1) & (sw->hcap - 1)) {
		uint32_t s = sw->hash[k];
		if (ip->sets[s].len == n && !memcmp(ip->pairs + 2 * ip->sets[s].off, t, 2 * n))
			return s;
	}
	struct set *st = ot_grow(ip->sets, &ip->capsets, ip->nsets, sizeof(*st), 64);
	if (!st)
		return 0;
	ip->sets = st;
	/* n <= IPREP_CATS pairs: one doubling from 1024 always makes room */
	uint8_t *p = ot_grow(ip->pairs, &ip->cappairs, ip->npairs + n - 1, 2, 1024);
	if (!p)
		return 0;
	ip->pairs = p;
	memcpy(ip->pairs + 2 * ip->npairs, t, 2 * n);
	uint32_t s = (uint32_t)ip->nsets++;
	ip->sets[s] = (struct set){ (uint32_t)ip->npairs, (uint16_t)n };
	ip->npairs += n;
	sw->hash[k] = s;
	return s;
}

/* The set of what covers the current address: each category's best score. */
static uint32_t current_set(struct iprep *ip, struct sweep *sw)
{
	size_t n = 0;
	for (int w = 0; w < IPREP_CATS / 64; w++) {
		for (uint64_t bits = sw->cbits[w]; bits; bits &= bits - 1) {
			int c = w * 64 + __builtin_ctzll(bits);
			const uint64_t *sb = sw->sbits[c];
			int best = sb[1] ? 64 + 63 - __builtin_clzll(sb[1]) : 63 - __builtin_clzll(sb[0]);
			sw->tmp[2 * n] = (uint8_t)c;
			sw->tmp[2 * n + 1] = (uint8_t)best;
			n++;
		}
	}
	return intern(ip, sw, n);
}

static void heap_push(uint32_t *h, size_t *n, const struct fam *f, uint32_t v)
{
	size_t i = (*n)++;
	while (i && ent_hi(f, h[(i - 1) / 2]) > ent_hi(f, v)) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(uint32_t *h, size_t *n, const struct fam *f)
{
	uint32_t v = h[--(*n)];
	u128 key = ent_hi(f, v);
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && ent_hi(f, h[c + 1]) < ent_hi(f, h[c]))
			c++;
		if (ent_hi(f, h[c]) >= key)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

static u128 range_lo(const struct table *t, size_t i)
{
	return t->r4 ? t->r4[i].lo : t->r6[i].lo;
}

static u128 range_hi(const struct table *t, size_t i)
{
	return t->r4 ? t->r4[i].hi : t->r6[i].hi;
}

static uint32_t range_set(const struct table *t, size_t i)
{
	return t->r4 ? t->r4[i].set : t->r6[i].set;
}

/* Add range [lo, hi] with set s to t, merging with the previous one. */
static void emit(struct table *t, bool v6, u128 lo, u128 hi, uint32_t s)
{
	size_t last = t->n - 1;
	if (t->n && range_set(t, last) == s && range_hi(t, last) + 1 == lo) {
		if (v6)
			t->r6[last].hi = hi;
		else
			t->r4[last].hi = (uint32_t)hi;
		return;
	}
	if (v6)
		t->r6[t->n++] = (struct range6){ lo, hi, s };
	else
		t->r4[t->n++] = (struct range4){ (uint32_t)lo, (uint32_t)hi, s };
}

static int sweep_family(struct iprep *ip, struct sweep *sw, const struct fam *f, struct table *t)
{
	bool v6 = !f->r4;
	u128 top = v6 ? ~(u128)0 : 0xffffffffu;
	size_t cap = 2 * f->n + 1, nh = 0, i = 0;
	uint32_t *heap = malloc((f->n + 1) * sizeof(*heap));
	if (v6)
		t->r6 = malloc(cap * sizeof(*t->r6));
	else
		t->r4 = malloc(cap * sizeof(*t->r4));
	if (!heap || (v6 ? !t->r6 : !t->r4))
		goto oom;
	u128 pos = 0;
	while (i < f->n || nh) {
		if (!nh)
			pos = ent_lo(f, i);
		for (; i < f->n && ent_lo(f, i) == pos; i++) {
			cover(sw, f, i, true);
			heap_push(heap, &nh, f, (uint32_t)i);
		}
		u128 end = ent_hi(f, heap[0]);
		if (i < f->n && ent_lo(f, i) - 1 < end)
			end = ent_lo(f, i) - 1;
		uint32_t s = current_set(ip, sw);
		if (!s)
			goto oom;
		emit(t, v6, pos, end, s);
		while (nh && ent_hi(f, heap[0]) == end) {
			cover(sw, f, heap[0], false);
			heap_pop(heap, &nh, f);
		}
		if (end == top)
			break;
		pos = end + 1;
	}
	free(heap);
	return 0;
oom:
	free(heap);
	return -1;
}

/* IPv4 entries by first address: a radix sort, byte by byte from the
 * lowest (qsort spends most of a big list's load time moving 12-byte
 * entries).  -1 when memory ran out. */
static int sort_raw4(struct raw4 *a, size_t n)
{
	struct raw4 *tmp = malloc(n * sizeof(*tmp)), *from = a, *to = tmp;
	if (!tmp)
		return -1;
	for (int shift = 0; shift < 32; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[(from[i].lo >> shift & 255) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			to[count[from[i].lo >> shift & 255]++] = from[i];
		struct raw4 *t = from;
		from = to;
		to = t;
	}
	free(tmp);              /* four passes: the result is back in a */
	return 0;
}

static int cmp_raw6(const void *a, const void *b)
{
	const struct raw6 *x = a, *y = b;
	if (x->lo[0] != y->lo[0])
		return x->lo[0] < y->lo[0] ? -1 : 1;
	return x->lo[1] < y->lo[1] ? -1 : x->lo[1] > y->lo[1];
}

/* Give the arrays of t back the room it did not use. */
static void shrink(struct table *t)
{
	size_t n = t->n ? t->n : 1;
	void *p;
	if (t->r4 && (p = realloc(t->r4, n * sizeof(*t->r4))))
		t->r4 = p;
	if (t->r6 && (p = realloc(t->r6, n * sizeof(*t->r6))))
		t->r6 = p;
}

/* The index of an IPv4 table: about one range a bucket, within bounds. */
static int index_ranges(struct table *t)
{
	unsigned bits = IDX_BITS_MIN;
	while (bits < IDX_BITS_MAX && (size_t)1 << (bits + 1) <= t->n)
		bits++;
	size_t buckets = (size_t)1 << bits;
	if (!(t->idx = malloc((buckets + 1) * sizeof(*t->idx))))
		return -1;
	t->idx_bits = bits;
	for (size_t k = 0, i = 0; k <= buckets; k++) {
		while (i < t->n && t->r4[i].lo < (uint64_t)k << (32 - bits))
			i++;
		t->idx[k] = (uint32_t)i;
	}
	return 0;
}

int iprep_build(struct iprep *ip)
{
	if (ip->built)
		return 0;
	struct sweep *sw = calloc(1, sizeof(*sw));
	ip->nsets = ip->npairs = 0;
	if (!sw || !(ip->sets = ot_grow(NULL, &ip->capsets, 0, sizeof(*ip->sets), 64)))
		goto oom;
	ip->sets[0] = (struct set){ 0, 0 };
	ip->nsets = 1;          /* set 0: nothing */
	if (ip->n4 && sort_raw4(ip->r4, ip->n4) < 0)
		goto oom;
	if (ip->n6)
		qsort(ip->r6, ip->n6, sizeof(*ip->r6), cmp_raw6);
	struct fam f4 = { ip->r4, NULL, ip->n4 }, f6 = { NULL, ip->r6, ip->n6 };
	if ((ip->n4 && sweep_family(ip, sw, &f4, &ip->t4) < 0) ||
	    (ip->n6 && sweep_family(ip, sw, &f6, &ip->t6) < 0))
		goto oom;
	shrink(&ip->t4);
	shrink(&ip->t6);
	if (ip->t4.n >= IDX_MIN && index_ranges(&ip->t4) < 0)
		goto oom;
	free(sw->hash);
	free(sw);
	/* the entries live on in the tables only */
	free(ip->r4);
	free(ip->r6);
	ip->r4 = NULL;
	ip->r6 = NULL;
	ip->n4 = ip->n6 = ip->cap4 = ip->cap6 = 0;
	ip->built = true;
	return 0;
oom:
	ot_err("reputation: out of memory while building the lookup table");
	if (sw)
		free(sw->hash);
	free(sw);
	table_free(&ip->t4);
	table_free(&ip->t6);
	return -1;
}

size_t iprep_entries(const struct iprep *ip)
{
	return ip ? ip->entries : 0;
}

size_t iprep_ranges(const struct iprep *ip)
{
	return ip ? ip->t4.n + ip->t6.n : 0;
}

size_t iprep_table_bytes(const struct iprep *ip)
{
	if (!ip)
		return 0;
	return ip->t4.n * sizeof(struct range4) + ip->t6.n * sizeof(struct range6) +
		(ip->t4.idx ? (((size_t)1 << ip->t4.idx_bits) + 1) * sizeof(uint32_t) : 0) +
		ip->capsets * sizeof(*ip->sets) + 2 * ip->cappairs;
}

/* ---- lookup ---- */

/*
 * The set of the range of t holding a, knowing that the last range starting
 * at or before a is among [lo, hi), or else the one before them.  The
 * halving has no branch to mispredict (a conditional move), which is what
 * a search in a small table mostly costs.
 */
static uint32_t find(const struct table *t, u128 a, size_t lo, size_t hi)
{
	size_t base = lo, n = hi - lo;
	while (n > 1) {
		size_t half = n / 2;
		base = range_lo(t, base + half) <= a ? base + half : base;
		n -= half;
	}
	if (!n || range_lo(t, base) > a) {
		if (!lo)
			return 0;
		base = lo - 1;
	}
	return a <= range_hi(t, base) ? range_set(t, base) : 0;
}

static uint32_t set_of(const struct iprep *ip, const struct ot_addr *a, int ip_ver)
{
	if (!ip)
		return 0;
	if (ip_ver == 4 && ip->t4.idx) {
		uint32_t v = ntohl(a->w[0]), k = v >> (32 - ip->t4.idx_bits);
		return find(&ip->t4, v, ip->t4.idx[k], ip->t4.idx[k + 1]);
	}
	if (ip_ver == 4)
		return find(&ip->t4, ntohl(a->w[0]), 0, ip->t4.n);
	if (ip_ver == 6)
		return find(&ip->t6, be128(a->b), 0, ip->t6.n);
	return 0;
}

unsigned iprep_score(const struct iprep *ip, const struct ot_addr *a, int ip_ver, int cat)
{
	uint32_t s = set_of(ip, a, ip_ver);
	if (!s)
		return 0;
	const uint8_t *p = ip->pairs + 2 * ip->sets[s].off;
	for (unsigned i = 0; i < ip->sets[s].len; i++)
		if (p[2 * i] == cat)
			return p[2 * i + 1];
	return 0;
}

bool iprep_listed(const struct iprep *ip, const struct ot_addr *a, int ip_ver)
{
	return set_of(ip, a, ip_ver) != 0;
}
