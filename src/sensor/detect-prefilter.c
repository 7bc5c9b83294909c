/*
 * detect-prefilter.c - fast patterns, their vectorscan databases and the
 * on-disk cache of those (see detect-prefilter.h).
 *
 * A fast pattern is bytes, never a regular expression: each is given to
 * vectorscan as an expression with every byte escaped (\xNN), so that no
 * byte means more than itself.  (Its pure-literal API would need no
 * escaping, but takes a pattern that starts with a NUL byte for an empty
 * one and refuses it.)  Every pattern has HS_FLAG_SINGLEMATCH: a scan
 * reports each rule at most once, however often its pattern occurs, which
 * bounds the work of the callback and the size of the result to the
 * number of rules.
 *
 * One-byte patterns are not given to vectorscan: version 5.4.9 misses
 * some occurrences of them near the end of a buffer, with or without
 * HS_FLAG_SINGLEMATCH, when its database holds other patterns (the detect
 * fuzz target found it; longer patterns were checked against a plain
 * search on millions of random buffers).  They are looked for with
 * memchr() after the scan: a database rarely has more than a few.
 *
 * A cache file is
 *     "OTPFDB1\n"  key (32)  nrefused (u32)  0 (u32)  dblen (u64)
 *     refused ids (u32 each)  serialised database (dblen)  SHA-256 of all before (32)
 * in host byte order (the platform is part of the key).  It is written to
 * a temporary name and renamed, so a reader never sees half a file.
 */
#include "detect-prefilter.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hs.h>
#include <nettle/sha2.h>

#include "detect-engine.h"
#include "../lib/log.h"

#define PF_MAGIC "OTPFDB1\n"
#define PF_KEY_TAG "otasuke prefilter 3"    /* change when what is compiled changes meaning */
#define PF_MAX_REFUSED 16       /* refusals in one database before it is given up */
#define PF_MAX_FILE ((size_t)1 << 30)

/* ---- the fast pattern ---- */

/*
 * Suricata's priority of a buffer for the automatic choice: lower first.
 * The payload and http.method, http.stat_code, http.stat_msg come after
 * the other (app-layer) buffers.
 */
static int buf_priority(int b)
{
	switch (b) {
	case DBUF_PAYLOAD: case DBUF_HTTP_METHOD: case DBUF_HTTP_STAT_CODE: case DBUF_HTTP_STAT_MSG:
		return 3;
	}
	return 2;
}

/*
 * Suricata's registration order of a buffer (later wins a tie): that of
 * the buffers its documentation lists; the buffers added since come after.
 */
static int buf_registration(int b)
{
	static const int8_t order[DBUF_MAX] = {
		[DBUF_HTTP_REQUEST_BODY] = 1, [DBUF_HTTP_RESPONSE_BODY] = 2,
		[DBUF_HTTP_HEADER] = 3, [DBUF_HTTP_HEADER_RAW] = 4, [DBUF_HTTP_URI] = 5,
		[DBUF_HTTP_URI_RAW] = 6, [DBUF_HTTP_HOST] = 7, [DBUF_HTTP_HOST_RAW] = 8,
		[DBUF_HTTP_COOKIE] = 9, [DBUF_HTTP_USER_AGENT] = 10, [DBUF_PAYLOAD] = 11,
		[DBUF_HTTP_METHOD] = 12, [DBUF_HTTP_STAT_CODE] = 13, [DBUF_HTTP_STAT_MSG] = 14,
		[DBUF_DNS_QUERY] = 15,
	};
	return order[b] ? order[b] : 16 + b;
}

/* Suricata's "pattern strength": byte variety, alphabetic bytes worth least. */
static unsigned pattern_strength(const uint8_t *p, uint16_t len)
{
	bool seen[256] = { false };
	unsigned s = 0;
	for (uint16_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (seen[c]) {
			s++;
			continue;
		}
		seen[c] = true;
		if (isalpha(c))
			s += 3;
		else if (isprint(c) || c == 0x00 || c == 0x01 || c == 0xff)
			s += 4;
		else
			s += 6;
	}
	return s;
}

/* Is candidate c (in buffer cb) a better automatic fast pattern than best (in bb)? */
static bool better(const struct detect_content *c, int cb, const struct detect_content *best,
		   int bb)
{
	if (!best)
		return true;
	if (buf_priority(cb) != buf_priority(bb))
		return buf_priority(cb) < buf_priority(bb);
	if (c->len != best->len)
		return c->len > best->len;
	unsigned sc = pattern_strength(c->pat, c->len), sb = pattern_strength(best->pat, best->len);
	if (sc != sb)
		return sc > sb;
	/* a later-registered buffer wins; in the same buffer the first content stays */
	return buf_registration(cb) > buf_registration(bb);
}

bool pf_fast_pattern(const struct rule *r, struct pf_pattern *fp)
{
	int kw_content = detect_keyword_find("content");
	int kw_uricontent = detect_keyword_find("uricontent");
	const struct detect_content *best = NULL;
	int bb = -1;
	for (int b = 0; b < DBUF_MAX; b++) {
		for (const struct sigmatch *sm = r->bufs[b].head; sm; sm = sm->next) {
			if (sm->kw != kw_content && sm->kw != kw_uricontent)
				continue;
			const struct detect_content *c = sm->ctx;
			if (c->flags & CT_FAST_PATTERN) {
				/* the rule's choice; a negated one cannot select rules */
				if (c->flags & CT_NEGATED)
					return false;
				best = c;
				bb = b;
				goto chosen;
			}
			if (!(c->flags & CT_NEGATED) && c->len && better(c, b, best, bb)) {
				best = c;
				bb = b;
			}
		}
	}
	if (!best)
		return false;
chosen:
	fp->pat = best->pat;
	fp->len = best->len;
	if (best->flags & CT_FP_CHOP) {
		fp->pat = best->pat + best->fp_off;
		fp->len = best->fp_len;
	}
	fp->nocase = best->flags & CT_NOCASE;
	fp->buf = bb;
	return fp->len > 0;
}

/* ---- building ---- */

struct pf_entry {
	const uint8_t *pat;
	uint32_t len, id;
	unsigned flags;             /* HS_FLAG_* */
};

struct pf_list {
	struct pf_entry *e;
	size_t n, cap;
};

struct pf_builder {
	struct pf_list *dbs;        /* patterns of two bytes or more, for vectorscan */
	struct pf_list *singles;    /* one-byte patterns */
	unsigned ndbs;
};

struct pf_single {
	uint32_t id;
	uint8_t a, b;               /* the byte, and its other case (or itself) */
};

struct pf_db {
	hs_database_t *db;
	uint32_t *refused;          /* sorted ids */
	size_t nrefused;
	struct pf_single *singles;
	size_t nsingles;
};

struct prefilter {
	struct pf_db *dbs;
	unsigned ndbs;
	hs_scratch_t *scratch;
};

struct pf_builder *pf_builder_new(unsigned ndbs)
{
	struct pf_builder *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->dbs = calloc(ndbs ? ndbs : 1, sizeof(*b->dbs));
	b->singles = calloc(ndbs ? ndbs : 1, sizeof(*b->singles));
	if (!b->dbs || !b->singles) {
		free(b->dbs);
		free(b->singles);
		free(b);
		return NULL;
	}
	b->ndbs = ndbs;
	return b;
}

void pf_builder_free(struct pf_builder *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->ndbs; i++) {
		free(b->dbs[i].e);
		free(b->singles[i].e);
	}
	free(b->dbs);
	free(b->singles);
	free(b);
}

int pf_builder_add(struct pf_builder *b, unsigned db, uint32_t id, const struct pf_pattern *fp)
{
	if (db >= b->ndbs || !fp->len)
		return -1;
	struct pf_list *l = fp->len == 1 ? &b->singles[db] : &b->dbs[db];
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		struct pf_entry *e = realloc(l->e, nc * sizeof(*e));
		if (!e)
			return -1;
		l->e = e;
		l->cap = nc;
	}
	l->e[l->n++] = (struct pf_entry){
		fp->pat, fp->len, id, HS_FLAG_SINGLEMATCH | (fp->nocase ? HS_FLAG_CASELESS : 0),
	};
	return 0;
}

static void put_u32(struct sha256_ctx *h, uint32_t v)
{
	sha256_update(h, sizeof(v), (const uint8_t *)&v);
}

/* The cache key of one database: everything that decides what is compiled. */
static void db_key(const struct pf_list *l, const hs_platform_info_t *plat, uint8_t key[32])
{
	struct sha256_ctx h;
	const char *ver = hs_version();
	sha256_init(&h);
	sha256_update(&h, sizeof(PF_KEY_TAG), (const uint8_t *)PF_KEY_TAG);
	sha256_update(&h, strlen(ver) + 1, (const uint8_t *)ver);
	put_u32(&h, plat->tune);
	sha256_update(&h, sizeof(plat->cpu_features), (const uint8_t *)&plat->cpu_features);
	put_u32(&h, HS_MODE_BLOCK);
	put_u32(&h, (uint32_t)l->n);
	for (size_t i = 0; i < l->n; i++) {
		put_u32(&h, l->e[i].id);
		put_u32(&h, l->e[i].flags);
		put_u32(&h, l->e[i].len);
		sha256_update(&h, l->e[i].len, l->e[i].pat);
	}
	sha256_digest(&h, 32, key);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Compile l into d.  A pattern vectorscan refuses is left out (its id
 * recorded in d->refused, warned and counted) and the rest compiled again;
 * when that does not converge the whole database is refused.
 */
static int db_compile(const struct pf_list *l, unsigned dbno, struct pf_db *d, struct pf_stats *st)
{
	const char **pats = malloc(l->n * sizeof(*pats));
	unsigned *flags = malloc(l->n * sizeof(*flags)), *ids = malloc(l->n * sizeof(*ids));
	size_t *idx = malloc(l->n * sizeof(*idx)), text = 0;
	char *buf = NULL;
	int rc = -1;
	for (size_t i = 0; i < l->n; i++)
		text += 4 * (size_t)l->e[i].len + 1;
	if (!pats || !flags || !ids || !idx || !(buf = malloc(text ? text : 1)))
		goto out;
	size_t n = l->n;
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (;;) {
		char *w = buf;
		for (size_t i = 0; i < n; i++) {
			const struct pf_entry *e = &l->e[idx[i]];
			pats[i] = w;
			for (uint32_t j = 0; j < e->len; j++)
				w += sprintf(w, "\\x%02x", e->pat[j]);
			*w++ = '\0';
			flags[i] = e->flags;
			ids[i] = e->id;
		}
		hs_compile_error_t *err = NULL;
		if (n && hs_compile_multi(pats, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &d->db,
					  &err) == HS_SUCCESS) {
			rc = 0;
			break;
		}
		int bad = err ? err->expression : -1;
		bool whole = bad < 0 || (size_t)bad >= n || d->nrefused >= PF_MAX_REFUSED;
		if (n)
			ot_warn("prefilter database %u: vectorscan refused %s: %s; %s", dbno,
				whole ? "the database" : "a pattern", err ? err->message : "no message",
				whole ? "its rules are always evaluated" :
				"its rule is always evaluated");
		hs_free_compile_error(err);
		uint32_t *r = realloc(d->refused, (d->nrefused + (whole ? n : 1)) * sizeof(*r));
		if (!r)
			goto out;
		d->refused = r;
		if (whole) {
			for (size_t i = 0; i < n; i++)
				d->refused[d->nrefused++] = l->e[idx[i]].id;
			st->refused += (unsigned)n;
			d->db = NULL;
			rc = 0;
			break;
		}
		d->refused[d->nrefused++] = l->e[idx[bad]].id;
		st->refused++;
		memmove(idx + bad, idx + bad + 1, (n - (size_t)bad - 1) * sizeof(*idx));
		n--;
	}
	if (d->nrefused)
		qsort(d->refused, d->nrefused, sizeof(*d->refused), cmp_u32);
out:
	free(pats);
	free(flags);
	free(ids);
	free(idx);
	free(buf);
	return rc;
}

static void key_path(const char *dir, const uint8_t key[32], char *path, size_t len)
{
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	snprintf(path, len, "%s/%s.hsdb", dir, hex);
}

/* The whole of a regular file, at most PF_MAX_FILE bytes; NULL when absent (errno). */
static uint8_t *read_all(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	uint8_t *buf = NULL;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > PF_MAX_FILE) {
		errno = EINVAL;
		goto out;
	}
	*len = (size_t)sb.st_size;
	buf = malloc(*len ? *len : 1);
	if (!buf)
		goto out;
	size_t got = 0;
	while (got < *len) {
		ssize_t r = read(fd, buf + got, *len - got);
		if (r <= 0) {
			free(buf);
			buf = NULL;
			errno = r < 0 ? errno : EINVAL;
			goto out;
		}
		got += (size_t)r;
	}
out:
	close(fd);
	return buf;
}

#define HDR_LEN (8 + 32 + 4 + 4 + 8)

/*
 * Load database d from the cache file of key.  1 loaded, 0 no file, -1
 * the file is unusable (corrupt, foreign, truncated): the caller rebuilds.
 */
static int db_load(const char *path, const uint8_t key[32], struct pf_db *d)
{
	size_t len = 0;
	uint8_t *buf = read_all(path, &len);
	if (!buf)
		return errno == ENOENT ? 0 : -1;
	int rc = -1;
	uint32_t nref;
	uint64_t dblen;
	uint8_t sum[32];
	if (len < HDR_LEN + 32 || memcmp(buf, PF_MAGIC, 8) || memcmp(buf + 8, key, 32))
		goto out;
	memcpy(&nref, buf + 40, 4);
	memcpy(&dblen, buf + 48, 8);
	if (nref > (len - HDR_LEN - 32) / 4 || dblen != len - HDR_LEN - 32 - (uint64_t)nref * 4)
		goto out;
	struct sha256_ctx h;
	sha256_init(&h);
	sha256_update(&h, len - 32, buf);
	sha256_digest(&h, 32, sum);
	if (memcmp(sum, buf + len - 32, 32))
		goto out;
	const uint8_t *db = buf + HDR_LEN + (size_t)nref * 4;
	if (dblen && hs_deserialize_database((const char *)db, dblen, &d->db) != HS_SUCCESS) {
		d->db = NULL;
		goto out;
	}
	if (nref) {
		d->refused = malloc(nref * sizeof(*d->refused));
		if (!d->refused) {
			hs_free_database(d->db);
			d->db = NULL;
			goto out;
		}
		memcpy(d->refused, buf + HDR_LEN, nref * sizeof(*d->refused));
		d->nrefused = nref;
	}
	rc = 1;
out:
	free(buf);
	return rc;
}

static int write_all(int fd, const void *p, size_t len, struct sha256_ctx *h)
{
	const uint8_t *b = p;
	if (h)
		sha256_update(h, len, b);
	while (len) {
		ssize_t w = write(fd, b, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write d to the cache file of key; -1 on failure (errno). */
static int db_save(const char *path, const uint8_t key[32], const struct pf_db *d)
{
	char *bytes = NULL, tmp[4300];
	size_t blen = 0;
	if (d->db && hs_serialize_database(d->db, &bytes, &blen) != HS_SUCCESS) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int rc = -1;
	if (fd < 0)
		goto out;
	struct sha256_ctx h;
	uint8_t sum[32];
	uint32_t nref = (uint32_t)d->nrefused, zero = 0;
	uint64_t dblen = blen;
	sha256_init(&h);
	if (write_all(fd, PF_MAGIC, 8, &h) < 0 || write_all(fd, key, 32, &h) < 0 ||
	    write_all(fd, &nref, 4, &h) < 0 || write_all(fd, &zero, 4, &h) < 0 ||
	    write_all(fd, &dblen, 8, &h) < 0 ||
	    write_all(fd, d->refused, nref * sizeof(*d->refused), &h) < 0 ||
	    write_all(fd, bytes, blen, &h) < 0)
		goto fail;
	sha256_digest(&h, 32, sum);
	if (write_all(fd, sum, 32, NULL) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(bytes);
	return rc;
}

/* Make dir and its parents; 0 when it exists as a folder we can write in. */
static int make_dir(const char *dir)
{
	char p[4096];
	if (strlen(dir) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0750) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, 0750) < 0 && errno != EEXIST)
		return -1;
	return access(p, W_OK | X_OK);
}

/* Database i of b into d: from the cache when it holds it, else compiled (and cached). */
static int db_make(const struct pf_list *l, unsigned i, const char *dir,
		   const hs_platform_info_t *plat, struct pf_db *d, struct pf_stats *st)
{
	uint8_t key[32];
	char path[4200];
	if (dir) {
		db_key(l, plat, key);
		key_path(dir, key, path, sizeof(path));
		int r = db_load(path, key, d);
		if (r > 0) {
			st->cached++;
			st->refused += (unsigned)d->nrefused;
			return 0;
		}
		if (r < 0) {
			ot_warn("prefilter cache %s is corrupt or not for these rules: compiling it again",
				path);
			st->rebuilt++;
		}
	}
	if (db_compile(l, i, d, st) < 0)
		return -1;
	st->compiled++;
	if (dir && db_save(path, key, d) < 0)
		ot_warn("prefilter cache %s cannot be written: %s", path, strerror(errno));
	return 0;
}

struct prefilter *pf_build(const struct pf_builder *b, const char *cache_dir, struct pf_stats *stp)
{
	struct pf_stats dummy;
	struct pf_stats *st = stp ? stp : &dummy;
	memset(st, 0, sizeof(*st));
	if (hs_valid_platform() != HS_SUCCESS) {
		ot_warn("vectorscan does not run on this CPU: every rule is evaluated on every packet");
		return NULL;
	}
	hs_platform_info_t plat;
	if (hs_populate_platform(&plat) != HS_SUCCESS)
		memset(&plat, 0, sizeof(plat));
	if (cache_dir && !*cache_dir)
		cache_dir = NULL;
	if (cache_dir && make_dir(cache_dir) < 0) {
		ot_warn("prefilter cache folder %s is not usable (%s): compiling the rules' patterns",
			cache_dir, strerror(errno));
		cache_dir = NULL;
	}
	st->cache_ok = cache_dir != NULL;
	struct prefilter *pf = calloc(1, sizeof(*pf));
	if (!pf || !(pf->dbs = calloc(b->ndbs ? b->ndbs : 1, sizeof(*pf->dbs))))
		goto err;
	pf->ndbs = b->ndbs;
	for (unsigned i = 0; i < b->ndbs; i++) {
		const struct pf_list *l = &b->dbs[i], *one = &b->singles[i];
		struct pf_db *d = &pf->dbs[i];
		if (one->n && !(d->singles = calloc(one->n, sizeof(*d->singles))))
			goto err;
		for (size_t j = 0; j < one->n; j++) {
			uint8_t c = one->e[j].pat[0];
			bool nc = one->e[j].flags & HS_FLAG_CASELESS;
			d->singles[j] = (struct pf_single){ one->e[j].id, c,
				(uint8_t)(nc && isupper(c) ? tolower(c) : nc ? toupper(c) : c) };
		}
		d->nsingles = one->n;
		st->patterns += one->n;
		if (!l->n)
			continue;
		st->patterns += l->n;
		if (db_make(l, i, cache_dir, &plat, &pf->dbs[i], st) < 0)
			goto err;
		if (pf->dbs[i].db) {
			st->dbs++;
			if (hs_alloc_scratch(pf->dbs[i].db, &pf->scratch) != HS_SUCCESS)
				goto err;
		}
	}
	return pf;
err:
	ot_err("the prefilter could not be built (out of memory)");
	pf_free(pf);
	return NULL;
}

void pf_free(struct prefilter *pf)
{
	if (!pf)
		return;
	for (unsigned i = 0; pf->dbs && i < pf->ndbs; i++) {
		hs_free_database(pf->dbs[i].db);
		free(pf->dbs[i].refused);
		free(pf->dbs[i].singles);
	}
	hs_free_scratch(pf->scratch);
	free(pf->dbs);
	free(pf);
}

bool pf_has(const struct prefilter *pf, unsigned db)
{
	return pf && db < pf->ndbs && (pf->dbs[db].db || pf->dbs[db].nsingles);
}

bool pf_accepted(const struct prefilter *pf, unsigned db, uint32_t id)
{
	if (!pf_has(pf, db))
		return false;
	const struct pf_db *d = &pf->dbs[db];
	return !d->nrefused || !bsearch(&id, d->refused, d->nrefused, sizeof(id), cmp_u32);
}

/* ---- scanning ---- */

struct pf_hits {
	uint32_t *out;
	size_t n, max;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *arg)
{
	struct pf_hits *h = arg;
	if (h->n == h->max)
		return 1;       /* cannot happen: one report per id */
	h->out[h->n++] = id;
	return 0;
}

void pf_scan(struct prefilter *pf, unsigned db, const uint8_t *buf, uint32_t len, uint32_t *out,
	     size_t *n, size_t max)
{
	if (!pf_has(pf, db) || !buf)
		return;
	const struct pf_db *d = &pf->dbs[db];
	struct pf_hits h = { out, *n, max };
	if (d->db)
		hs_scan(d->db, (const char *)buf, len, 0, pf->scratch, on_match, &h);
	for (size_t i = 0; i < d->nsingles && h.n < max; i++)
		if (memchr(buf, d->singles[i].a, len) ||
		    (d->singles[i].b != d->singles[i].a && memchr(buf, d->singles[i].b, len)))
			out[h.n++] = d->singles[i].id;
	*n = h.n;
}
