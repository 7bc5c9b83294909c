/*
 * bench-upload.c - see bench-upload.h.
 */
#include "bench-upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t bench_on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct bench_reply *r = arg;
	size_t len = sz * n, room = sizeof(r->text) - 1 - r->len;
	memcpy(r->text + r->len, p, len < room ? len : room);
	r->len += len < room ? len : room;
	r->text[r->len] = '\0';
	return len;
}

void bench_tls(CURL *h, const char *ca, const char *dir, int i)
{
	char path[4096];
	curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	snprintf(path, sizeof(path), "%s/dev-%d.pem", dir, i);
	curl_easy_setopt(h, CURLOPT_SSLCERT, path);
	snprintf(path, sizeof(path), "%s/dev-%d.key", dir, i);
	curl_easy_setopt(h, CURLOPT_SSLKEY, path);
}

static int gz(const char *in, size_t len, struct bench_body *b)
{
	uLongf cap = compressBound(len) + 64;
	z_stream z = { 0 };
	b->gz = malloc(cap);
	if (!b->gz || deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = b->gz;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	b->len = z.total_out;
	deflateEnd(&z);
	return r == Z_STREAM_END ? 0 : -1;
}

char *bench_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int bench_make_bodies(const char *text, size_t len, unsigned lines,
		      struct bench_body *b, int max, int *nb)
{
	const char *p = text, *end = text + len;
	*nb = 0;
	while (*nb < max) {
		const char *start = p;
		unsigned k = 0;
		while (k < lines) {
			if (p >= end)
				p = text;  /* wrap around the file */
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				return -1;
			p = nl + 1;
			k++;
		}
		/* a batch that wrapped is copied into one piece */
		size_t n = p > start ? (size_t)(p - start) : 0;
		char *copy = NULL;
		if (p <= start) {
			size_t a = (size_t)(end - start), bl = (size_t)(p - text);
			if (!(copy = malloc(a + bl)))
				return -1;
			memcpy(copy, start, a);
			memcpy(copy + a, text, bl);
			n = a + bl;
		}
		int r = gz(copy ? copy : start, n, &b[*nb]);
		free(copy);
		if (r < 0)
			return -1;
		b[*nb].lines = lines;
		(*nb)++;
	}
	return 0;
}

void bench_free_bodies(struct bench_body *b, int nb)
{
	for (int i = 0; i < nb; i++)
		free(b[i].gz);
}

struct curl_slist *bench_batch_headers(char id_header[64], unsigned long seq)
{
	snprintf(id_header, 64, "X-Otasuke-Batch: %08lx", seq);
	for (size_t i = 0; i < 12; i++)
		snprintf(id_header + 25 + 2 * i, 3, "%02x", (unsigned)(rand() & 0xff));
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	h = curl_slist_append(h, "Content-Encoding: gzip");
	h = curl_slist_append(h, "Expect:");
	return curl_slist_append(h, id_header);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

void bench_percentiles(double *v, size_t n, double *p50, double *p99)
{
	qsort(v, n, sizeof(*v), cmp);
	*p50 = n ? v[n / 2] : 0;
	*p99 = n ? v[(n * 99) / 100] : 0;
}
