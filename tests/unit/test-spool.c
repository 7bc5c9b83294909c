/*
 * test-spool.c - the on-disk batch queue in a real temporary folder:
 * batches close at their event count, size and age; come out oldest first
 * as gzip that inflates to exactly the lines appended; are deleted once
 * done.  Recovery: a current batch cut short (a truncated last line,
 * garbage, NUL blocks a power cut leaves), an unsealed batch with a torn
 * tail, a sealed batch whose gzip is broken (salvaged under a derived id),
 * a batch found both sealed and unsealed, stray temporary files; and a
 * child process killed with SIGKILL while appending, whose events come back
 * as an unbroken prefix.  The cap drops the oldest batches, counted, never
 * the one being sent.  Bad events are refused; batches deleted from under
 * the spool leave it; as root, the spool gives its files to the user it is
 * for; a second process cannot open the same spool.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "../../src/lib/log.h"
#include "../../src/lib/spool.h"

static char dir[64];
static char spool_dir[128];

static int rm_rf(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	char p[512];
	while (dd && (e = readdir(dd))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		unlink(p);
	}
	if (dd)
		closedir(dd);
	return rmdir(d);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/test-spool-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(spool_dir, sizeof(spool_dir), "%s/spool", dir);
	return 0;
}

static int teardown(void **state)
{
	rm_rf(spool_dir);
	return rmdir(dir);
}

static struct spool_cfg cfg(uint32_t events, uint64_t bytes, uint64_t cap)
{
	struct spool_cfg c = { spool_dir, cap, events, bytes, 3600, -1, -1 };
	return c;
}

static void event(char *buf, size_t len, int n)
{
	snprintf(buf, len, "{\"event_type\":\"flow\",\"n\":%d,\"pad\":\"%040d\"}", n, n);
}

static void append_n(struct spool *sp, int from, int count)
{
	char line[128];
	for (int i = from; i < from + count; i++) {
		event(line, sizeof(line), i);
		assert_int_equal(spool_append(sp, line, strlen(line)), 0);
	}
}

/* The events of a taken batch: its lines must be events first..first+n-1. */
static void expect_events(const struct spool_batch *b, int first, int n)
{
	char *text, line[128], *p;
	bool damaged;
	long len = spool_gunzip(b->gz, b->gz_len, &text, &damaged);
	assert_true(len >= 0);
	assert_false(damaged);
	assert_int_equal(b->events, n);
	p = text;
	for (int i = first; i < first + n; i++) {
		event(line, sizeof(line), i);
		assert_memory_equal(p, line, strlen(line));
		p += strlen(line);
		assert_int_equal(*p++, '\n');
	}
	assert_ptr_equal(p, text + len);
	free(text);
}

static bool id_ok(const char *id)
{
	if (strlen(id) != SPOOL_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int count_files(const char *suffix)
{
	DIR *d = opendir(spool_dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name), s = strlen(suffix);
		if (l > s && !strcmp(e->d_name + l - s, suffix))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", spool_dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_batches_in_order(void **state)
{
	struct spool_cfg c = cfg(10, 1 << 20, 1 << 30);
	struct spool *sp = spool_open(&c);
	struct spool_batch b[3], none;
	struct spool_stats st;
	assert_non_null(sp);
	assert_true(spool_empty(sp));
	append_n(sp, 0, 25);             /* 10 + 10 closed, 5 in the current batch */
	spool_get_stats(sp, &st);
	assert_int_equal(st.batches, 2);
	assert_int_equal(st.queued, 2);
	assert_int_equal(st.queued_events, 25);
	spool_flush(sp);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(spool_next(sp, &b[i]), 1);
		assert_true(id_ok(b[i].id));
	}
	assert_int_equal(spool_next(sp, &none), 0);   /* all three are taken */
	expect_events(&b[0], 0, 10);
	expect_events(&b[1], 10, 10);
	expect_events(&b[2], 20, 5);
	assert_string_not_equal(b[0].id, b[1].id);
	assert_int_equal(count_files(".ndjson.gz"), 3);
	/* given back, a batch comes again, under the same id */
	char id[SPOOL_ID_LEN + 1];
	strcpy(id, b[1].id);
	spool_release(sp, id);
	spool_batch_free(&b[1]);
	assert_int_equal(spool_next(sp, &b[1]), 1);
	assert_string_equal(b[1].id, id);
	for (int i = 0; i < 3; i++) {
		spool_done(sp, b[i].id);
		spool_batch_free(&b[i]);
	}
	assert_true(spool_empty(sp));
	assert_int_equal(count_files(".gz"), 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.bytes, 0);
	spool_close(sp);
}

static void test_batch_size_and_age(void **state)
{
	char line[128];
	struct spool_cfg c = cfg(1000, 300, 1 << 20);
	c.batch_age = 1;
	struct spool *sp = spool_open(&c);
	struct spool_batch b;
	struct spool_stats st;
	assert_non_null(sp);
	append_n(sp, 0, 5);              /* 77-byte lines: 3 fit in 300 bytes */
	spool_get_stats(sp, &st);
	assert_int_equal(st.batches, 1);
	assert_int_equal(spool_next(sp, &b), 1);
	expect_events(&b, 0, 3);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	/* the rest closes once it is batch_age old */
	long left = spool_tick(sp);
	assert_true(left > 0 && left <= 1000);
	usleep(1100 * 1000);
	assert_int_equal(spool_tick(sp), -1);
	assert_int_equal(spool_next(sp, &b), 1);
	expect_events(&b, 3, 2);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	assert_int_equal(spool_tick(sp), -1);
	/* an event larger than a batch may be is refused */
	memset(line, 'x', sizeof(line));
	line[0] = '{';
	line[sizeof(line) - 1] = '}';
	assert_int_equal(spool_append(sp, line, sizeof(line)), 0);
	char *big = malloc(400);
	memset(big, 'x', 400);
	big[0] = '{';
	big[399] = '}';
	assert_int_equal(spool_append(sp, big, 400), -1);
	free(big);
	spool_get_stats(sp, &st);
	assert_int_equal(st.bad_lines, 1);
	spool_close(sp);
}

static void test_bad_events(void **state)
{
	struct spool_cfg c = cfg(1000, 1 << 20, 1 << 22);
	struct spool *sp = spool_open(&c);
	struct spool_stats st;
	static const char *const bad[] = {
		"", "{", "}", "[1,2]", "{\"a\":1}\n{\"b\":2}", "{\"a\":\"\x01\"}", "\"text\"",
	};
	assert_non_null(sp);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(spool_append(sp, bad[i], strlen(bad[i])), -1);
	assert_int_equal(spool_append(sp, "{}", 2), 0);
	spool_get_stats(sp, &st);
	assert_int_equal(st.bad_lines, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(st.events, 1);
	spool_close(sp);
}

static void test_recover_current(void **state)
{
	/* three whole events, a line that is not one, a NUL block (a power
	 * cut), two more whole events, and a last one cut short */
	static const char text[] =
		"{\"n\":1}\n{\"n\":2}\n{\"n\":3}\nnot json\n\0\0\0\0\0\0\0\0\n{\"n\":4}\n"
		"{\"n\":5}\n{\"n\":6,\"cut";
	struct spool_cfg c = cfg(1000, 1 << 20, 1 << 22);
	struct spool_batch b;
	struct spool_stats st;
	char *out;
	bool damaged;
	assert_int_equal(mkdir(spool_dir, 0700), 0);
	write_file("current.ndjson", text, sizeof(text) - 1);
	write_file("0000000000000007-00000000000000000000000000000000-3.ndjson.gz.tmp", "x", 1);
	write_file("notes.txt", "x", 1);
	struct spool *sp = spool_open(&c);
	assert_non_null(sp);
	spool_get_stats(sp, &st);
	assert_int_equal(st.recovered, 1);
	assert_int_equal(st.bad_lines, 3);
	assert_int_equal(count_files(".tmp"), 0);       /* a write a crash interrupted */
	assert_int_equal(count_files(".txt"), 1);       /* not ours: left alone */
	assert_int_equal(count_files("current.ndjson"), 0);
	assert_int_equal(spool_next(sp, &b), 1);
	long n = spool_gunzip(b.gz, b.gz_len, &out, &damaged);
	assert_int_equal(b.events, 5);
	assert_string_equal(out, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n{\"n\":5}\n");
	assert_int_equal(n, strlen(out));
	free(out);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	/* new batches come after the recovered ones */
	append_n(sp, 0, 2);
	spool_close(sp);
	sp = spool_open(&c);
	assert_non_null(sp);
	assert_int_equal(spool_next(sp, &b), 1);
	expect_events(&b, 0, 2);
	spool_batch_free(&b);
	spool_close(sp);
}

static void test_recover_unsealed_and_duplicates(void **state)
{
	static const char torn[] = "{\"n\":1}\n{\"n\":2}\n{\"n";
	static const char whole[] = "{\"n\":9}\n";
	const char *id = "0123456789abcdef0123456789abcdef";
	char name[128], *out;
	struct spool_cfg c = cfg(1000, 1 << 20, 1 << 22);
	struct spool_batch b;
	struct spool_stats st;
	bool damaged;
	uint8_t *gz;
	size_t gz_len;
	assert_int_equal(mkdir(spool_dir, 0700), 0);
	/* an unsealed batch whose tail a power cut lost */
	snprintf(name, sizeof(name), "0000000000000001-%s-3.ndjson", id);
	write_file(name, torn, sizeof(torn) - 1);
	/* a batch sealed, whose unsealed copy was not deleted yet */
	assert_int_equal(spool_gzip(whole, strlen(whole), &gz, &gz_len), 0);
	write_file("0000000000000002-ffffffffffffffffffffffffffffffff-1.ndjson.gz", gz, gz_len);
	write_file("0000000000000002-ffffffffffffffffffffffffffffffff-1.ndjson", whole, strlen(whole));
	free(gz);
	/* names that are almost right are not ours */
	write_file("0000000000000003-FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF-1.ndjson", whole, strlen(whole));
	write_file("0000000000000003-ffffffffffffffffffffffffffffffff-01.ndjson", whole, strlen(whole));
	struct spool *sp = spool_open(&c);
	assert_non_null(sp);
	spool_get_stats(sp, &st);
	assert_int_equal(st.recovered, 2);
	assert_int_equal(spool_next(sp, &b), 1);
	assert_string_equal(b.id, id);          /* never sent: it keeps its id */
	spool_gunzip(b.gz, b.gz_len, &out, &damaged);
	assert_string_equal(out, "{\"n\":1}\n{\"n\":2}\n");
	free(out);
	spool_get_stats(sp, &st);
	assert_int_equal(st.bad_lines, 1);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	assert_int_equal(spool_next(sp, &b), 1);
	assert_string_equal(b.id, "ffffffffffffffffffffffffffffffff");
	spool_done(sp, b.id);
	spool_batch_free(&b);
	assert_int_equal(spool_next(sp, &b), 0);
	spool_close(sp);
	assert_int_equal(count_files(".ndjson"), 2);   /* the two strangers */
}

static void test_salvage_sealed(void **state)
{
	static const char text[] = "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n";
	const char *id = "00112233445566778899aabbccddeeff";
	char name[128], want[SPOOL_ID_LEN + 1], *out;
	struct spool_cfg c = cfg(1000, 1 << 20, 1 << 22);
	struct spool_batch b;
	bool damaged;
	uint8_t *gz;
	size_t gz_len;
	/* many lines, so that a cut gzip stream still inflates to whole ones */
	char *big = malloc(200000), *p = big;
	for (int i = 0; i < 5000; i++)
		p += sprintf(p, "{\"n\":%d}\n", i);
	assert_int_equal(spool_gzip(big, (size_t)(p - big), &gz, &gz_len), 0);
	assert_int_equal(mkdir(spool_dir, 0700), 0);
	snprintf(name, sizeof(name), "0000000000000001-%s-5000.ndjson.gz", id);
	write_file(name, gz, gz_len / 2);          /* cut in the middle */
	free(gz);
	free(big);
	/* and a whole one behind it, with bytes after its gzip stream */
	assert_int_equal(spool_gzip(text, strlen(text), &gz, &gz_len), 0);
	gz = realloc(gz, gz_len + 4);
	memcpy(gz + gz_len, "junk", 4);
	write_file("0000000000000002-ffffffffffffffffffffffffffffffff-3.ndjson.gz", gz, gz_len + 4);
	free(gz);
	struct spool *sp = spool_open(&c);
	assert_non_null(sp);
	assert_int_equal(spool_next(sp, &b), 1);
	assert_int_equal(spool_derive_id(id, "salvage", want), 0);
	assert_string_equal(b.id, want);       /* its content changed: a new id, derived */
	assert_true(b.events > 100 && b.events < 5000);
	long n = spool_gunzip(b.gz, b.gz_len, &out, &damaged);
	assert_false(damaged);
	assert_int_equal(out[n - 1], '\n');
	assert_memory_equal(out, "{\"n\":0}\n{\"n\":1}\n", 16);
	free(out);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	assert_int_equal(spool_next(sp, &b), 1);
	assert_string_not_equal(b.id, "ffffffffffffffffffffffffffffffff");
	spool_gunzip(b.gz, b.gz_len, &out, &damaged);
	assert_string_equal(out, text);
	free(out);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	spool_close(sp);
	assert_int_equal(count_files(".gz"), 0);
}

static void test_cap_drops_oldest(void **state)
{
	/* 77-byte events, batches of 5 (385 bytes), a cap of 4 raw batches */
	struct spool_cfg c = cfg(5, 400, 1600);
	struct spool *sp = spool_open(&c);
	struct spool_batch b, b2;
	struct spool_stats st;
	assert_non_null(sp);
	append_n(sp, 0, 20);          /* 4 closed batches: 1540 bytes */
	spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_batches, 0);
	append_n(sp, 20, 5);          /* 1925 bytes: the oldest must go */
	spool_get_stats(sp, &st);
	assert_int_equal(st.dropped_batches, 1);
	assert_int_equal(st.dropped_events, 5);
	assert_true(st.bytes <= 1600);
	/* the oldest left is events 5..9; sealed, the others shrink */
	assert_int_equal(spool_next(sp, &b), 1);
	expect_events(&b, 5, 5);
	/* the batch being sent is not dropped: the next oldest goes instead */
	spool_get_stats(sp, &st);
	uint64_t room = 1600 - st.bytes;
	append_n(sp, 25, (int)(room / 77) + 10);
	spool_get_stats(sp, &st);
	assert_true(st.dropped_batches >= 2);
	spool_done(sp, b.id);
	spool_batch_free(&b);
	assert_int_equal(spool_next(sp, &b2), 1);
	char *out;
	bool damaged;
	spool_gunzip(b2.gz, b2.gz_len, &out, &damaged);
	assert_null(strstr(out, "\"n\":10,"));    /* events 10..14 were dropped */
	free(out);
	spool_batch_free(&b2);
	spool_close(sp);
}

/* Batches deleted behind the spool's back leave it, rather than being
 * tried for ever. */
static void test_vanished(void **state)
{
	struct spool_cfg c = cfg(5, 1 << 20, 1 << 22);
	struct spool *sp = spool_open(&c);
	struct spool_batch b;
	DIR *d;
	struct dirent *e;
	char p[512];
	assert_non_null(sp);
	append_n(sp, 0, 10);
	assert_false(spool_empty(sp));
	d = opendir(spool_dir);
	while ((e = readdir(d))) {
		if (strstr(e->d_name, ".ndjson")) {
			snprintf(p, sizeof(p), "%s/%s", spool_dir, e->d_name);
			assert_int_equal(unlink(p), 0);
		}
	}
	closedir(d);
	assert_int_equal(spool_next(sp, &b), 0);
	assert_true(spool_empty(sp));
	spool_close(sp);
}

/* Opened as root for a user it becomes later, the spool gives that user
 * its folder and every file, those it found included. */
static void test_owner(void **state)
{
	struct spool_cfg c = cfg(5, 1 << 20, 1 << 22);
	struct spool_batch b;
	struct stat sb;
	char p[512];
	DIR *d;
	struct dirent *e;
	if (geteuid() != 0)
		skip();
	assert_int_equal(mkdir(spool_dir, 0700), 0);
	write_file("current.ndjson", "{\"n\":1}\n", 8);
	c.uid = 65534;
	c.gid = 65534;
	struct spool *sp = spool_open(&c);
	assert_non_null(sp);
	append_n(sp, 0, 7);
	assert_int_equal(spool_next(sp, &b), 1);     /* sealed: written anew */
	spool_batch_free(&b);
	d = opendir(spool_dir);
	int n = 0;
	while ((e = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", spool_dir, e->d_name);
		assert_int_equal(stat(p, &sb), 0);
		if (strcmp(e->d_name, ".."))
			assert_int_equal(sb.st_uid, 65534);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);    /* . lock current, a sealed and an unsealed batch */
	spool_close(sp);
}

static void test_one_process(void **state)
{
	struct spool_cfg c = cfg(10, 1 << 20, 1 << 22);
	struct spool *sp = spool_open(&c);
	assert_non_null(sp);
	pid_t pid = fork();
	if (pid == 0)
		_exit(spool_open(&c) == NULL ? 0 : 1);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	spool_close(sp);
	struct spool_cfg bad = cfg(10, 1 << 20, 1 << 20);   /* fewer than 4 batches */
	assert_null(spool_open(&bad));
}

/* A child appends numbered events until it is killed; what the spool
 * holds afterwards is events 0..k-1, each once, in order. */
static void test_killed_while_appending(void **state)
{
	struct spool_cfg c = cfg(50, 1 << 20, 1 << 30);
	pid_t pid = fork();
	if (pid == 0) {
		struct spool *sp = spool_open(&c);
		for (int i = 0; sp; i++)
			append_n(sp, i, 1);
		_exit(1);
	}
	/* 20 closed batches besides current.ndjson, the one being filled */
	while (count_files(".ndjson") < 21)
		usleep(1000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	struct spool *sp = spool_open(&c);
	struct spool_batch b;
	int next = 0;
	assert_non_null(sp);
	while (spool_next(sp, &b) == 1) {
		expect_events(&b, next, (int)b.events);
		next += (int)b.events;
		spool_done(sp, b.id);
		spool_batch_free(&b);
	}
	assert_true(next >= 20 * 50);
	spool_close(sp);
}

static void test_reader(void **state)
{
	char out[64], *text;
	uint32_t lines, bad;
	bool damaged;
	assert_int_equal(spool_check_lines("", 0, out, &lines, &bad), 0);
	assert_int_equal(lines + bad, 0);
	static const char mixed[] = "{}\n\n{x}\n{";
	assert_int_equal(spool_check_lines(mixed, strlen(mixed), out, &lines, &bad), 7);
	assert_int_equal(lines, 2);
	assert_int_equal(bad, 2);
	assert_memory_equal(out, "{}\n{x}\n", 7);
	assert_int_equal(spool_gunzip((const uint8_t *)"not gzip", 8, &text, &damaged), 0);
	assert_true(damaged);
	free(text);
	assert_int_equal(spool_gunzip((const uint8_t *)"", 0, &text, &damaged), 0);
	assert_true(damaged);
	free(text);
	/* a bomb stops at the batch limit */
	size_t n = SPOOL_MAX_BYTES + 4096, gl;
	char *zeros = calloc(1, n);
	uint8_t *gz;
	assert_int_equal(spool_gzip(zeros, n, &gz, &gl), 0);
	assert_int_equal(spool_gunzip(gz, gl, &text, &damaged), SPOOL_MAX_BYTES);
	assert_true(damaged);
	free(text);
	free(gz);
	free(zeros);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_batches_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_size_and_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_current, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_unsealed_and_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_salvage_sealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_while_appending, setup, teardown),
		cmocka_unit_test(test_reader),
	};
	ot_log_init("test-spool");
	ot_log_set_file(getenv("TEST_LOG") ? getenv("TEST_LOG") : "/dev/null");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
