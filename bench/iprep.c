/*
 * iprep.c - how long IP reputation lists take to load, how much memory the
 * lookup table takes, and what one lookup costs (src/sensor/iprep.h).
 *
 *     iprep [--list FILE] [--synthetic N] [--lookups N]
 *
 * First the list (default: Emerging Threats' compromised-ips.txt in
 * ../shared/data) is loaded and built many times over for a stable load
 * time, and looked up with random addresses (nearly all misses) and with
 * its own addresses (all hits).  Then a synthetic list of N entries (default
 * two million: random IPv4 addresses, one in ten a /16 to /28 prefix, and
 * one in twenty an IPv6 /64) is written to a temporary file and measured
 * the same way, with the memory the table holds.  A benchmark: it measures
 * and prints, it checks nothing.  Build it in a release build.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "iprep.h"
#include "log.h"

/* CPU time of the process: on a busy machine, wall time would measure the
 * other processes too. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static struct iprep *load(const char *path, int *cat)
{
	struct iprep *ip = iprep_new();
	*cat = iprep_category_define(ip, "Bench");
	if (iprep_load(ip, path, IPREP_LIST, *cat, 100) < 0 || iprep_build(ip) < 0) {
		iprep_free(ip);
		return NULL;
	}
	return ip;
}

/* The IPv4 addresses of a list (its plain lines), for hits. */
static uint32_t *addresses(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t cap = 1024;
	uint32_t *a = malloc(cap * sizeof(*a));
	*n = 0;
	while (f && a && fgets(line, sizeof(line), f)) {
		struct in_addr in;
		line[strcspn(line, "\r\n")] = '\0';
		if (inet_pton(AF_INET, line, &in) != 1)
			continue;
		if (*n == cap) {
			uint32_t *b = realloc(a, (cap *= 2) * sizeof(*a));
			if (!b)
				break;
			a = b;
		}
		a[(*n)++] = in.s_addr;
	}
	if (f)
		fclose(f);
	return a;
}

static void measure(const char *what, const char *path, long lookups, int loads)
{
	int cat;
	long before = rss_kb();
	double t0 = now();
	struct iprep *ip = NULL;
	for (int i = 0; i < loads; i++) {
		iprep_free(ip);
		ip = load(path, &cat);
		if (!ip) {
			fprintf(stderr, "%s: cannot load\n", path);
			exit(1);
		}
	}
	double load_ms = (now() - t0) * 1e3 / loads;
	long table_kb = rss_kb() - before;
	size_t nhits;
	uint32_t *hits = addresses(path, &nhits);
	struct ot_addr a;
	memset(&a, 0, sizeof(a));
	unsigned found = 0;
	t0 = now();
	for (long i = 0; i < lookups; i++) {
		a.w[0] = (uint32_t)rnd();
		found += iprep_score(ip, &a, 4, cat) != 0;
	}
	double miss_ns = (now() - t0) * 1e9 / (double)lookups;
	unsigned hit = 0;
	t0 = now();
	for (long i = 0; nhits && i < lookups; i++) {
		a.w[0] = hits[(size_t)i % nhits];      /* in the list's order: read ahead */
		hit += iprep_score(ip, &a, 4, cat) != 0;
	}
	double hit_ns = (now() - t0) * 1e9 / (double)lookups;
	printf("%s: %s\n", what, path);
	printf("  entries %zu, address ranges %zu, load and build %.2f ms (mean of %d)\n",
	       iprep_entries(ip), iprep_ranges(ip), load_ms, loads);
	printf("  lookup table %.1f MiB; the process grew by %.1f MiB\n",
	       (double)iprep_table_bytes(ip) / (1 << 20), (double)table_kb / 1024);
	printf("  lookup, random IPv4 address: %.1f ns (%u of %ld listed)\n", miss_ns, found, lookups);
	printf("  lookup, listed IPv4 address: %.1f ns (%u of %ld listed)\n", hit_ns, hit, lookups);
	printf("RESULT list=%s entries=%zu load_ms=%.2f miss_ns=%.1f hit_ns=%.1f table_mib=%.1f\n",
	       what, iprep_entries(ip), load_ms, miss_ns, hit_ns,
	       (double)iprep_table_bytes(ip) / (1 << 20));
	free(hits);
	iprep_free(ip);
}

static int synthetic(const char *path, long n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (long i = 0; i < n; i++) {
		uint64_t r = rnd();
		uint32_t v4 = (uint32_t)r;
		if (i % 20 == 19)
			fprintf(f, "2001:db8:%x:%x::/64\n", (unsigned)(r >> 32) & 0xffff,
				(unsigned)(r >> 48));
		else if (i % 10 == 9)
			fprintf(f, "%u.%u.%u.0/%u\n", v4 >> 24, v4 >> 16 & 255, v4 >> 8 & 255,
				16 + (unsigned)(r >> 40) % 13);
		else
			fprintf(f, "%u.%u.%u.%u\n", v4 >> 24, v4 >> 16 & 255, v4 >> 8 & 255, v4 & 255);
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char list[4096], tmp[] = "/tmp/otasuke-iprep-bench-XXXXXX";
	long n = 2000000, lookups = 10000000;
	snprintf(list, sizeof(list), "%s/../shared/data/rules/et-open/compromised-ips.txt",
		 root ? root : ".");
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--list"))
			snprintf(list, sizeof(list), "%s", argv[i + 1]);
		else if (!strcmp(argv[i], "--synthetic"))
			n = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--lookups"))
			lookups = atol(argv[i + 1]);
	}
	ot_log_init("iprep-bench");
	ot_log_set_level(OT_LOG_ERROR);
	measure("given", list, lookups, 200);
	int fd = mkstemp(tmp);
	if (fd < 0 || synthetic(tmp, n) < 0) {
		perror(tmp);
		return 1;
	}
	close(fd);
	measure("synthetic", tmp, lookups, 3);
	unlink(tmp);
	return 0;
}
