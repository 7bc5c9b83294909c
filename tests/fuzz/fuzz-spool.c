/*
 * fuzz-spool.c - the spool's recovery reader on files that may be damaged:
 * a spool folder is read back after crashes, power cuts and disks that
 * fail, so whatever bytes its files hold must be read safely, and nothing
 * but whole JSON-object lines in sound gzip may come out of it.
 *
 * The input is split at the marker "\xff\xfe\xfd\xfc" into up to four
 * parts, written into an empty spool folder as: the batch being filled
 * (current.ndjson), an unsealed closed batch, a sealed batch's raw bytes,
 * and a sealed batch holding the gzip of the fourth part (so the fuzzer
 * also reaches what lies behind a sound gzip stream).  The first byte's low
 * bit also leaves an unsealed copy of the second batch beside a sealed one.
 * The spool is opened (recovery), every batch is taken and checked -
 * inflates whole, each line passes spool_line_ok, the count matches - and
 * deleted; then the folder must hold nothing of the spool's but its lock.
 * The reader's two functions are also run on the whole input directly.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void empty_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

static void remove_dir(void)
{
	empty_dir();
	rmdir(dir);
}

/* Once per process (the corpus replay does not call LLVMFuzzerInitialize). */
static void init(void)
{
	ot_log_init("fuzz-spool");
	ot_log_set_file("/dev/null");
	snprintf(dir, sizeof(dir), "/dev/shm/fuzz-spool-%d", (int)getpid());
	if (access("/dev/shm", W_OK) < 0)
		snprintf(dir, sizeof(dir), "/tmp/fuzz-spool-%d", (int)getpid());
	atexit(remove_dir);
}

static void put(const char *name, const void *buf, size_t len)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	if (len && fwrite(buf, 1, len, f) != len)
		abort();
	fclose(f);
}

/* Every line whole and an object, as many as the batch says. */
static void check_batch(const struct spool_batch *b)
{
	char *text;
	bool damaged;
	long n = spool_gunzip(b->gz, b->gz_len, &text, &damaged);
	if (n < 0)
		return;
	if (damaged || (n && text[n - 1] != '\n'))
		abort();
	uint32_t lines = 0;
	for (char *p = text, *nl; p < text + n; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + n - p));
		if (!spool_line_ok(p, (size_t)(nl - p)))
			abort();
		lines++;
	}
	if (lines != b->events || !lines)
		abort();
	free(text);
}

static void direct(const uint8_t *data, size_t size)
{
	uint32_t lines, bad;
	char *out = malloc(size + 1), *text;
	bool damaged;
	size_t n = spool_check_lines((const char *)data, size, out, &lines, &bad);
	if (n > size || (n && out[n - 1] != '\n'))
		abort();
	free(out);
	long t = spool_gunzip(data, size, &text, &damaged);
	if (t > (long)SPOOL_MAX_BYTES)
		abort();
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char mark[] = "\xff\xfe\xfd\xfc";
	static const char *const names[] = {
		"current.ndjson",
		"0000000000000001-0123456789abcdef0123456789abcdef-3.ndjson",
		"0000000000000002-00000000000000000000000000000002-5.ndjson.gz",
	};
	const uint8_t *part[4] = { 0 };
	size_t plen[4] = { 0 };
	int np = 0;
	if (!dir[0])
		init();
	direct(data, size);
	if (size < 1)
		return 0;
	uint8_t flags = data[0];
	const uint8_t *p = data + 1, *end = data + size;
	while (np < 4 && p <= end) {
		const uint8_t *m = memmem(p, (size_t)(end - p), mark, 4);
		part[np] = p;
		plen[np++] = m ? (size_t)(m - p) : (size_t)(end - p);
		if (!m)
			break;
		p = m + 4;
	}
	empty_dir();
	mkdir(dir, 0700);
	for (int i = 0; i < np && i < 3; i++)
		put(names[i], part[i], plen[i]);
	if (np == 4) {
		uint8_t *gz;
		size_t gz_len;
		if (spool_gzip((const char *)part[3], plen[3], &gz, &gz_len) == 0) {
			put("0000000000000003-00000000000000000000000000000003-1.ndjson.gz", gz, gz_len);
			if (flags & 1)
				put("0000000000000003-00000000000000000000000000000003-1.ndjson",
				    part[3], plen[3]);
			free(gz);
		}
	}

	struct spool_cfg cfg = { dir, 1u << 30, 1000, 1 << 20, 60, -1, -1 };
	struct spool *sp = spool_open(&cfg);
	if (!sp)
		abort();
	struct spool_batch b;
	int r, taken = 0;
	while ((r = spool_next(sp, &b)) == 1) {
		check_batch(&b);
		spool_done(sp, b.id);
		spool_batch_free(&b);
		if (++taken > 16)
			abort();
	}
	if (r < 0 || !spool_empty(sp))
		abort();
	spool_close(sp);
	/* nothing is left but the lock: every file was given out or dropped */
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "lock"))
			abort();
	if (d)
		closedir(d);
	return 0;
}
