/*
 * spool.c - the on-disk batch queue (see spool.h for the files and the
 * guarantees).
 *
 * The list of closed batches lives in memory, sorted oldest first (by seq,
 * then id), and mirrors the folder: every list change is made on disk
 * first.  Work on one batch outside the lock is protected by its busy
 * flag: a busy batch is neither taken twice nor deleted at the cap, and
 * the worker finds it again by id (the array moves under it).
 *
 * The id that replaces the id of a damaged sealed batch (its good part) is
 * derived from the old id, not drawn at random: if a crash repeats the
 * work, the same id comes out, and the server's dedupe on the id keeps the
 * events from being stored twice.
 */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <gnutls/crypto.h>

#include "log.h"
#include "util.h"

#define CURRENT "current.ndjson"
#define NAME_MAX_LEN 96

struct entry {
	uint64_t seq;
	char id[SPOOL_ID_LEN + 1];
	uint32_t events;
	uint64_t bytes;
	bool sealed;
	bool busy;
};

struct spool {
	struct spool_cfg cfg;
	char *dir;
	int dirfd, lockfd;
	pthread_mutex_t mu;
	struct entry *e;            /* closed batches, oldest first */
	size_t n, cap;
	uint64_t next_seq;
	uint64_t total;             /* bytes of every file, current included */
	int cur_fd;                 /* -1 until the first event of a batch */
	uint32_t cur_events;
	uint64_t cur_bytes;
	struct timespec cur_first;
	struct spool_stats st;
	unsigned own_errors;        /* atomic */
	void (*notify)(void *arg);
	void *notify_arg;
};

/* Repeated warnings are said at the 1st, 10th, 100th... time, with the
 * count, so a flood of bad input cannot flood the log. */
static bool worth_saying(uint64_t n)
{
	while (n >= 10 && n % 10 == 0)
		n /= 10;
	return n == 1;
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int random_id(char *out)
{
	uint8_t b[SPOOL_ID_LEN / 2];
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		ot_err("spool: no random bytes for a batch id: %s", strerror(errno));
		return -1;
	}
	hex_of(b, sizeof(b), out);
	return 0;
}

int spool_derive_id(const char *old, const char *tag, char *out)
{
	char in[SPOOL_ID_LEN + 32];
	uint8_t h[32];
	int n = snprintf(in, sizeof(in), "%s:%s", old, tag);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in, (size_t)n, h) < 0)
		return -1;
	hex_of(h, SPOOL_ID_LEN / 2, out);
	return 0;
}

static void name_of(const struct entry *e, bool sealed, char *buf)
{
	snprintf(buf, NAME_MAX_LEN, "%016llx-%s-%u.ndjson%s", (unsigned long long)e->seq, e->id,
		 e->events, sealed ? ".gz" : "");
}

/* "<16 hex>-<32 hex>-<decimal>.ndjson[.gz]" -> 0 */
static int parse_name(const char *name, struct entry *e)
{
	const char *p = name;
	memset(e, 0, sizeof(*e));
	for (int i = 0; i < 16; i++, p++) {
		int v = ot_hexval((unsigned char)*p);
		if (v < 0 || (*p >= 'A' && *p <= 'F'))
			return -1;
		e->seq = e->seq << 4 | (uint64_t)v;
	}
	if (*p++ != '-')
		return -1;
	for (int i = 0; i < SPOOL_ID_LEN; i++, p++) {
		if (ot_hexval((unsigned char)*p) < 0 || (*p >= 'A' && *p <= 'F'))
			return -1;
		e->id[i] = *p;
	}
	if (*p++ != '-' || *p < '0' || *p > '9')
		return -1;
	uint64_t ev = 0;
	while (*p >= '0' && *p <= '9' && ev <= SPOOL_MAX_EVENTS)
		ev = ev * 10 + (uint64_t)(*p++ - '0');
	if (ev > SPOOL_MAX_EVENTS)
		return -1;
	e->events = (uint32_t)ev;
	if (!strcmp(p, ".ndjson.gz"))
		e->sealed = true;
	else if (strcmp(p, ".ndjson"))
		return -1;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	return (int)y->sealed - (int)x->sealed;   /* the sealed copy first */
}

/* ---- the recovery reader ---- */

bool spool_line_ok(const char *line, size_t len)
{
	if (len < 2 || len > SPOOL_MAX_BYTES - 1 || line[0] != '{' || line[len - 1] != '}')
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20)
			return false;
	return true;
}

size_t spool_check_lines(const char *buf, size_t len, char *out, uint32_t *lines, uint32_t *bad)
{
	size_t o = 0, pos = 0;
	*lines = *bad = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (!nl) {
			(*bad)++;            /* a last line the crash cut short */
			break;
		}
		size_t n = (size_t)(nl - (buf + pos));
		if (spool_line_ok(buf + pos, n) && *lines < SPOOL_MAX_EVENTS) {
			memcpy(out + o, buf + pos, n + 1);
			o += n + 1;
			(*lines)++;
		} else {
			(*bad)++;
		}
		pos += n + 1;
	}
	return o;
}

long spool_gunzip(const uint8_t *gz, size_t len, char **out, bool *damaged)
{
	z_stream z;
	size_t cap = len * 4 + 1024, o = 0;
	int r = Z_OK;
	*damaged = false;
	if (cap > SPOOL_MAX_BYTES + 1)
		cap = SPOOL_MAX_BYTES + 1;
	*out = malloc(cap + 1);
	if (!*out)
		return -1;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		free(*out);
		*out = NULL;
		return -1;
	}
	z.next_in = (Bytef *)gz;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	while (r == Z_OK) {
		if (o == cap) {
			if (cap > SPOOL_MAX_BYTES)
				break;          /* more than a batch may hold */
			size_t ncap = OT_MIN(cap * 2, (size_t)SPOOL_MAX_BYTES + 1);
			char *nb = realloc(*out, ncap + 1);
			if (!nb) {
				inflateEnd(&z);
				free(*out);
				*out = NULL;
				return -1;
			}
			*out = nb;
			cap = ncap;
		}
		z.next_out = (Bytef *)*out + o;
		z.avail_out = (uInt)(cap - o);
		r = inflate(&z, Z_NO_FLUSH);
		o = cap - z.avail_out;
		if (r == Z_BUF_ERROR && z.avail_out)
			break;                  /* the input ended first */
		if (r == Z_BUF_ERROR)
			r = Z_OK;
	}
	if (r != Z_STREAM_END || z.avail_in || o > SPOOL_MAX_BYTES)
		*damaged = true;
	if (o > SPOOL_MAX_BYTES)
		o = SPOOL_MAX_BYTES;
	inflateEnd(&z);
	(*out)[o] = '\0';
	return (long)o;
}

int spool_gzip(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	size_t cap = deflateBound(&z, (uLong)len);
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ---- files ---- */

/* A file or folder of the spool, given to cfg.uid/gid (fd, or name in the
 * folder when fd < 0). */
static void own(struct spool *sp, int fd, const char *name)
{
	if (sp->cfg.uid < 0)
		return;
	int r = fd >= 0 ? fchown(fd, (uid_t)sp->cfg.uid, (gid_t)sp->cfg.gid)
			: fchownat(sp->dirfd, name, (uid_t)sp->cfg.uid, (gid_t)sp->cfg.gid, 0);
	if (r < 0 && worth_saying(__atomic_add_fetch(&sp->own_errors, 1, __ATOMIC_RELAXED)))
		ot_warn("spool: cannot give %s%s%s to user %d: %s", sp->dir, name ? "/" : "",
			name ? name : "", sp->cfg.uid, strerror(errno));
}

/* At most SPOOL_MAX_BYTES of a file; *cut when there was more.  -2 when
 * the file is gone, -1 on other errors (logged). */
static int read_at(struct spool *sp, const char *name, char **buf, size_t *len, bool *cut)
{
	int fd = openat(sp->dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	*buf = NULL;
	*len = 0;
	*cut = false;
	if (fd < 0 && errno == ENOENT)
		return -2;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		ot_err("spool: cannot read %s/%s: %s", sp->dir, name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t want = (size_t)sb.st_size;
	if (want > SPOOL_MAX_BYTES) {
		want = SPOOL_MAX_BYTES;
		*cut = true;
	}
	*buf = malloc(want + 1);
	size_t got = 0;
	while (*buf && got < want) {
		ssize_t r = read(fd, *buf + got, want - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (!*buf || got < want) {
		ot_err("spool: cannot read %s/%s: %s", sp->dir, name, *buf ? "short read" : "out of memory");
		free(*buf);
		*buf = NULL;
		return -1;
	}
	(*buf)[got] = '\0';
	*len = got;
	return 0;
}

/* Write a whole file under a temporary name, fsync, rename, fsync the
 * folder: afterwards it is there whole, before it is not there at all. */
static int write_whole(struct spool *sp, const char *name, const void *data, size_t len)
{
	char tmp[NAME_MAX_LEN + 8];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto err;
	own(sp, fd, tmp);
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			goto err_unlink;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		close(fd);
		goto err_unlink;
	}
	close(fd);
	if (renameat(sp->dirfd, tmp, sp->dirfd, name) < 0)
		goto err_unlink;
	fsync(sp->dirfd);
	return 0;
err_unlink:
	ot_err("spool: cannot write %s/%s: %s", sp->dir, name, strerror(errno ? errno : EIO));
	unlinkat(sp->dirfd, tmp, 0);
	return -1;
err:
	ot_err("spool: cannot write %s/%s: %s", sp->dir, name, strerror(errno));
	return -1;
}

/* ---- the list (caller holds the lock) ---- */

static ssize_t find(const struct spool *sp, const char *id)
{
	for (size_t i = 0; i < sp->n; i++)
		if (!strcmp(sp->e[i].id, id))
			return (ssize_t)i;
	return -1;
}

static int insert_at(struct spool *sp, size_t at, const struct entry *e)
{
	if (sp->n == sp->cap) {
		size_t ncap = sp->cap ? sp->cap * 2 : 64;
		struct entry *ne = realloc(sp->e, ncap * sizeof(*ne));
		if (!ne)
			return -1;
		sp->e = ne;
		sp->cap = ncap;
	}
	memmove(sp->e + at + 1, sp->e + at, (sp->n - at) * sizeof(*sp->e));
	sp->e[at] = *e;
	sp->n++;
	sp->total += e->bytes;
	return 0;
}

static void remove_at(struct spool *sp, size_t i)
{
	sp->total -= sp->e[i].bytes;
	memmove(sp->e + i, sp->e + i + 1, (sp->n - i - 1) * sizeof(*sp->e));
	sp->n--;
}

static void unlink_entry(struct spool *sp, size_t i)
{
	char name[NAME_MAX_LEN];
	name_of(&sp->e[i], sp->e[i].sealed, name);
	if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT)
		ot_err("spool: cannot delete %s/%s: %s", sp->dir, name, strerror(errno));
	remove_at(sp, i);
}

static uint64_t queued_events(const struct spool *sp)
{
	uint64_t n = sp->cur_events;
	for (size_t i = 0; i < sp->n; i++)
		n += sp->e[i].events;
	return n;
}

/* Delete the oldest batches until `more` bytes fit under the cap. */
static void make_room(struct spool *sp, uint64_t more)
{
	size_t i = 0;
	while (sp->total + more > sp->cfg.max_bytes && i < sp->n) {
		if (sp->e[i].busy) {
			i++;
			continue;
		}
		struct entry e = sp->e[i];
		unlink_entry(sp, i);
		sp->st.dropped_batches++;
		sp->st.dropped_events += e.events;
		ot_warn("spool %s is full (%llu bytes, the cap): dropped the oldest batch %s "
			"(%u events); %llu batches (%llu events) dropped so far", sp->dir,
			(unsigned long long)sp->cfg.max_bytes, e.id, e.events,
			(unsigned long long)sp->st.dropped_batches,
			(unsigned long long)sp->st.dropped_events);
	}
}

static void close_current(struct spool *sp)
{
	struct entry e = { 0 };
	char name[NAME_MAX_LEN];
	if (!sp->cur_events)
		return;
	if (random_id(e.id) < 0)
		return;
	e.seq = sp->next_seq;
	e.events = sp->cur_events;
	e.bytes = sp->cur_bytes;
	name_of(&e, false, name);
	if (renameat(sp->dirfd, CURRENT, sp->dirfd, name) < 0) {
		ot_err("spool: cannot close the batch %s/%s: %s", sp->dir, CURRENT, strerror(errno));
		return;
	}
	if (sp->cur_fd >= 0)
		close(sp->cur_fd);
	sp->cur_fd = -1;
	sp->total -= sp->cur_bytes;
	if (insert_at(sp, sp->n, &e) < 0) {
		/* the file is kept: the next open finds it */
		ot_err("spool: out of memory; batch %s waits for the next start", e.id);
		sp->total += sp->cur_bytes;
	}
	sp->next_seq++;
	sp->cur_events = 0;
	sp->cur_bytes = 0;
	sp->st.batches++;
	if (sp->notify)
		sp->notify(sp->notify_arg);
}

static long ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* ---- producer ---- */

int spool_append(struct spool *sp, const char *line, size_t len)
{
	if (!spool_line_ok(line, len) || len + 1 > sp->cfg.batch_bytes) {
		pthread_mutex_lock(&sp->mu);
		uint64_t n = ++sp->st.bad_lines;
		pthread_mutex_unlock(&sp->mu);
		if (worth_saying(n))
			ot_warn("spool: an event of %zu bytes was refused (%s); %llu so far", len,
				len + 1 > sp->cfg.batch_bytes ? "larger than a batch may be"
							       : "not one JSON object on one line",
				(unsigned long long)n);
		return -1;
	}
	int rc = 0;
	pthread_mutex_lock(&sp->mu);
	if (sp->cur_bytes + len + 1 > sp->cfg.batch_bytes)
		close_current(sp);
	make_room(sp, len + 1);
	if (sp->cur_fd < 0) {
		sp->cur_fd = openat(sp->dirfd, CURRENT, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (sp->cur_fd < 0)
			goto werr;
		own(sp, sp->cur_fd, CURRENT);
	}
	if (!sp->cur_events)
		clock_gettime(CLOCK_MONOTONIC, &sp->cur_first);
	struct iovec iov[2] = { { (void *)line, len }, { "\n", 1 } };
	ssize_t w = writev(sp->cur_fd, iov, 2);
	if (w != (ssize_t)len + 1) {
		/* leave whole lines only: a later append must not extend a torn one */
		if (w > 0 && ftruncate(sp->cur_fd, (off_t)sp->cur_bytes) < 0)
			ot_err("spool: cannot cut %s/%s back: %s", sp->dir, CURRENT, strerror(errno));
		if (w >= 0)
			errno = ENOSPC;
		goto werr;
	}
	sp->cur_events++;
	sp->cur_bytes += len + 1;
	sp->total += len + 1;
	sp->st.events++;
	if (sp->cur_events >= sp->cfg.batch_events)
		close_current(sp);
	pthread_mutex_unlock(&sp->mu);
	return rc;
werr:
	if (worth_saying(++sp->st.write_errors))
		ot_err("spool: cannot write %s/%s: %s; %llu events lost so far", sp->dir, CURRENT,
		       strerror(errno), (unsigned long long)sp->st.write_errors);
	pthread_mutex_unlock(&sp->mu);
	return -1;
}

void spool_flush(struct spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	close_current(sp);
	pthread_mutex_unlock(&sp->mu);
}

long spool_tick(struct spool *sp)
{
	long left = -1;
	pthread_mutex_lock(&sp->mu);
	if (sp->cur_events) {
		left = (long)sp->cfg.batch_age * 1000 - ms_since(&sp->cur_first);
		if (left <= 0) {
			close_current(sp);
			left = -1;
		}
	}
	pthread_mutex_unlock(&sp->mu);
	return left;
}

/* ---- consumer ---- */

/* Take the oldest batch that is (sealed == sealed) and not busy. */
static bool take(struct spool *sp, bool sealed, struct entry *out)
{
	bool found = false;
	pthread_mutex_lock(&sp->mu);
	for (size_t i = 0; i < sp->n; i++) {
		if (sp->e[i].sealed == sealed && !sp->e[i].busy) {
			sp->e[i].busy = true;
			*out = sp->e[i];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&sp->mu);
	return found;
}

/*
 * Replace the batch `old` (busy, ours) by the given new ones (written
 * already), or drop it when there are none.  If the cap deleted nothing
 * meanwhile (it never deletes a busy batch), old is still listed.
 */
static void replace(struct spool *sp, const struct entry *old, const struct entry *nw, size_t nnew)
{
	pthread_mutex_lock(&sp->mu);
	ssize_t i = find(sp, old->id);
	if (i >= 0) {
		unlink_entry(sp, (size_t)i);
		for (size_t k = 0; k < nnew; k++)
			if (insert_at(sp, (size_t)i + k, &nw[k]) < 0)
				ot_err("spool: out of memory; batch %s waits for the next start", nw[k].id);
	}
	pthread_mutex_unlock(&sp->mu);
}

/* Write lines as a sealed batch e (its id and seq set); e gets its size. */
static int write_sealed(struct spool *sp, struct entry *e, const char *lines, size_t len)
{
	uint8_t *gz;
	size_t gz_len;
	char name[NAME_MAX_LEN];
	if (spool_gzip(lines, len, &gz, &gz_len) < 0) {
		ot_err("spool: cannot compress batch %s", e->id);
		return -1;
	}
	e->sealed = true;
	e->busy = false;
	e->bytes = gz_len;
	name_of(e, true, name);
	int r = write_whole(sp, name, gz, gz_len);
	free(gz);
	return r;
}

static void release(struct spool *sp, const char *id)
{
	pthread_mutex_lock(&sp->mu);
	ssize_t i = find(sp, id);
	if (i >= 0)
		sp->e[i].busy = false;
	pthread_mutex_unlock(&sp->mu);
}

static void count_bad(struct spool *sp, uint32_t bad)
{
	pthread_mutex_lock(&sp->mu);
	sp->st.bad_lines += bad;
	pthread_mutex_unlock(&sp->mu);
}

/* A batch whose file someone deleted: it leaves the list (were it kept,
 * it would be tried for ever). */
static void vanished(struct spool *sp, const struct entry *e)
{
	ot_warn("spool: batch %s (%u events) is no longer in %s; dropped", e->id, e->events, sp->dir);
	replace(sp, e, NULL, 0);
}

/* Check an unsealed batch's lines, gzip them and replace it by the sealed
 * copy (same id: it was never sent). */
static void seal(struct spool *sp, struct entry *e)
{
	char name[NAME_MAX_LEN], *buf, *good;
	size_t len;
	uint32_t lines, bad;
	bool cut;
	name_of(e, false, name);
	int r = read_at(sp, name, &buf, &len, &cut);
	if (r < 0) {
		if (r == -2)
			vanished(sp, e);
		else
			release(sp, e->id);
		return;
	}
	good = malloc(len + 1);
	if (!good) {
		free(buf);
		release(sp, e->id);
		return;
	}
	size_t glen = spool_check_lines(buf, len, good, &lines, &bad);
	free(buf);
	if (bad) {
		ot_warn("spool: batch %s: %u damaged line%s dropped (a crash cut it short); %u kept",
			e->id, bad, bad > 1 ? "s" : "", lines);
		count_bad(sp, bad);
	}
	struct entry s = *e;
	s.events = lines;
	if (!lines)
		replace(sp, e, NULL, 0);
	else if (write_sealed(sp, &s, good, glen) == 0)
		replace(sp, e, &s, 1);
	else
		release(sp, e->id);
	free(good);
}

/* Read and check a sealed batch.  1: whole (b filled); 0: it was damaged
 * and has been replaced by its good lines (or dropped); -1: error. */
static int load_sealed(struct spool *sp, struct entry *e, struct spool_batch *b)
{
	char name[NAME_MAX_LEN], *gz, *text = NULL, *good = NULL;
	size_t len;
	uint32_t lines = 0, bad = 0;
	bool cut, damaged = false;
	int rc = -1;
	name_of(e, true, name);
	int r = read_at(sp, name, &gz, &len, &cut);
	if (r == -2) {
		vanished(sp, e);
		return 0;
	}
	if (r < 0) {
		release(sp, e->id);
		return -1;
	}
	long tl = spool_gunzip((uint8_t *)gz, len, &text, &damaged);
	if (tl >= 0 && (good = malloc((size_t)tl + 1)))
		tl = (long)spool_check_lines(text, (size_t)tl, good, &lines, &bad);
	if (tl < 0 || !good) {
		release(sp, e->id);
		goto out;
	}
	if (lines && !damaged && !cut && !bad) {
		memcpy(b->id, e->id, sizeof(b->id));
		b->events = lines;
		b->gz = (uint8_t *)gz;
		b->gz_len = len;
		gz = NULL;
		rc = 1;
		goto out;
	}
	ot_warn("spool: batch %s is damaged on disk (%s); %u good line%s kept as a new batch, %u dropped",
		e->id, damaged || cut ? "its gzip stream is broken" : lines ? "bad lines" : "no event",
		lines, lines == 1 ? "" : "s", bad);
	count_bad(sp, bad);
	struct entry s = *e;
	s.events = lines;
	if (!lines) {
		replace(sp, e, NULL, 0);
	} else if (spool_derive_id(e->id, "salvage", s.id) < 0 || write_sealed(sp, &s, good, (size_t)tl) < 0) {
		release(sp, e->id);
		goto out;
	} else {
		replace(sp, e, &s, 1);
	}
	rc = 0;
out:
	free(gz);
	free(text);
	free(good);
	return rc;
}

void spool_seal(struct spool *sp)
{
	struct entry e;
	pthread_mutex_lock(&sp->mu);
	size_t n = sp->n;       /* a batch that cannot be sealed is not tried twice */
	pthread_mutex_unlock(&sp->mu);
	for (size_t k = 0; k < n && take(sp, false, &e); k++)
		seal(sp, &e);
}

int spool_next(struct spool *sp, struct spool_batch *b)
{
	struct entry e;
	memset(b, 0, sizeof(*b));
	spool_seal(sp);
	for (;;) {
		if (!take(sp, true, &e))
			return 0;
		int r = load_sealed(sp, &e, b);
		if (r != 0)
			return r;
	}
}

void spool_batch_free(struct spool_batch *b)
{
	free(b->gz);
	b->gz = NULL;
}

void spool_done(struct spool *sp, const char *id)
{
	pthread_mutex_lock(&sp->mu);
	ssize_t i = find(sp, id);
	if (i >= 0)
		unlink_entry(sp, (size_t)i);
	pthread_mutex_unlock(&sp->mu);
}

void spool_release(struct spool *sp, const char *id)
{
	release(sp, id);
}

/* ---- open, recover, close ---- */

/* The current batch a crash interrupted becomes a closed batch: checked,
 * cut to its good lines (replacing the file atomically), then renamed. */
static void recover_current(struct spool *sp)
{
	char *buf, *good;
	size_t len;
	uint32_t lines, bad;
	bool cut;
	struct entry e = { .seq = sp->next_seq };
	char name[NAME_MAX_LEN];
	if (faccessat(sp->dirfd, CURRENT, F_OK, 0) < 0)
		return;
	if (read_at(sp, CURRENT, &buf, &len, &cut) < 0)
		return;
	good = malloc(len + 1);
	if (!good) {
		free(buf);
		return;
	}
	size_t glen = spool_check_lines(buf, len, good, &lines, &bad);
	free(buf);
	if (bad || cut) {
		ot_warn("spool: the batch being filled when %s was last closed was cut short: "
			"%u damaged line%s dropped, %u kept", sp->dir, bad, bad == 1 ? "" : "s", lines);
		sp->st.bad_lines += bad;
		if (lines && write_whole(sp, CURRENT, good, glen) < 0)
			goto out;
	}
	if (!lines) {
		unlinkat(sp->dirfd, CURRENT, 0);
		goto out;
	}
	e.events = lines;
	e.bytes = glen;
	if (random_id(e.id) < 0)
		goto out;
	name_of(&e, false, name);
	if (renameat(sp->dirfd, CURRENT, sp->dirfd, name) < 0) {
		ot_err("spool: cannot close %s/%s: %s", sp->dir, CURRENT, strerror(errno));
		goto out;
	}
	if (insert_at(sp, sp->n, &e) == 0)
		sp->next_seq++;
out:
	free(good);
}

static int scan_dir(struct spool *sp)
{
	int fd = dup(sp->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	if (!d) {
		ot_err("spool: cannot list %s: %s", sp->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct entry e;
		struct stat sb;
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (!strcmp(nm, ".") || !strcmp(nm, ".."))
			continue;
		if (!strcmp(nm, "lock") || !strcmp(nm, CURRENT)) {
			own(sp, -1, nm);    /* an earlier run may have been another user */
			continue;
		}
		if (l > 4 && !strcmp(nm + l - 4, ".tmp")) {
			unlinkat(sp->dirfd, nm, 0);   /* a write a crash interrupted */
			continue;
		}
		char canon[NAME_MAX_LEN] = "";
		if (parse_name(nm, &e) == 0)
			name_of(&e, e.sealed, canon);   /* one spelling per batch */
		if (strcmp(canon, nm)) {
			ot_warn("spool: %s/%s is not a spool file; left alone", sp->dir, nm);
			continue;
		}
		if (fstatat(sp->dirfd, nm, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
			continue;
		own(sp, -1, nm);
		e.bytes = (uint64_t)sb.st_size;
		if (insert_at(sp, sp->n, &e) < 0) {
			closedir(d);
			return -1;
		}
		if (e.seq >= sp->next_seq)
			sp->next_seq = e.seq + 1;
	}
	closedir(d);
	if (sp->n)
		qsort(sp->e, sp->n, sizeof(*sp->e), entry_cmp);
	/* sealed, then the unsealed copy not deleted yet: the sealed one wins */
	for (size_t i = 0; i + 1 < sp->n;) {
		if (sp->e[i].seq == sp->e[i + 1].seq && !strcmp(sp->e[i].id, sp->e[i + 1].id))
			unlink_entry(sp, i + 1);
		else
			i++;
	}
	return 0;
}

static bool cfg_ok(const struct spool_cfg *c)
{
	if (!c->dir || !*c->dir || !c->batch_events || c->batch_events > SPOOL_MAX_EVENTS ||
	    c->batch_bytes < 64 || c->batch_bytes > SPOOL_MAX_BYTES || !c->batch_age ||
	    c->max_bytes / 4 < c->batch_bytes) {
		ot_err("spool: bad limits (at most %u events and %u bytes a batch, a spool of at "
		       "least 4 batches)", SPOOL_MAX_EVENTS, SPOOL_MAX_BYTES);
		return false;
	}
	return true;
}

struct spool *spool_open(const struct spool_cfg *cfg)
{
	if (!cfg_ok(cfg))
		return NULL;
	struct spool *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->cfg = *cfg;
	sp->dirfd = sp->lockfd = sp->cur_fd = -1;
	pthread_mutex_init(&sp->mu, NULL);
	if (!(sp->dir = strdup(cfg->dir)))
		goto err;
	sp->cfg.dir = sp->dir;
	if (mkdir(sp->dir, 0700) < 0 && errno != EEXIST) {
		ot_err("spool: cannot create %s: %s", sp->dir, strerror(errno));
		goto err;
	}
	sp->dirfd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0) {
		ot_err("spool: cannot open %s: %s", sp->dir, strerror(errno));
		goto err;
	}
	own(sp, sp->dirfd, NULL);
	sp->lockfd = openat(sp->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lockfd < 0 || flock(sp->lockfd, LOCK_EX | LOCK_NB) < 0) {
		ot_err("spool: cannot lock %s/lock: %s", sp->dir,
		       errno == EWOULDBLOCK ? "another process uses this spool" : strerror(errno));
		goto err;
	}
	if (scan_dir(sp) < 0)
		goto err;
	recover_current(sp);
	sp->st.recovered = sp->n;
	if (sp->n)
		ot_notice("spool %s: %zu batches (%llu events, %llu bytes) waiting from before",
			  sp->dir, sp->n, (unsigned long long)queued_events(sp),
			  (unsigned long long)sp->total);
	make_room(sp, 0);
	return sp;
err:
	spool_close(sp);
	return NULL;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->dirfd >= 0) {
		pthread_mutex_lock(&sp->mu);
		close_current(sp);
		pthread_mutex_unlock(&sp->mu);
	}
	if (sp->cur_fd >= 0)
		close(sp->cur_fd);
	if (sp->lockfd >= 0)
		close(sp->lockfd);
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	pthread_mutex_destroy(&sp->mu);
	free(sp->e);
	free(sp->dir);
	free(sp);
}

void spool_set_notify(struct spool *sp, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&sp->mu);
	sp->notify = fn;
	sp->notify_arg = arg;
	pthread_mutex_unlock(&sp->mu);
}

bool spool_empty(struct spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	bool empty = !sp->n && !sp->cur_events;
	pthread_mutex_unlock(&sp->mu);
	return empty;
}

void spool_get_stats(struct spool *sp, struct spool_stats *st)
{
	pthread_mutex_lock(&sp->mu);
	*st = sp->st;
	st->queued = sp->n;
	st->queued_events = queued_events(sp);
	st->bytes = sp->total;
	pthread_mutex_unlock(&sp->mu);
}
