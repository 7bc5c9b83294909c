/*
 * ingest-client.c - the load of bench/server-ingest: N enrolled devices
 * uploading batches of events to otasuked at the same time, each over its
 * own HTTPS connection with its own client certificate (libcurl multi), one
 * batch after another, as the sensor's upload sink does.
 *
 *   ingest-client URL CA DEVICE-DIR DEVICES EVE BATCH-LINES BATCHES
 *
 * DEVICE-DIR holds dev-<i>.pem and dev-<i>.key for i in 0..DEVICES-1.
 * Batches are cut from the lines of EVE (an eve.json), BATCH-LINES each,
 * and gzip-compressed before the clock starts (a device compresses as it
 * spools, not while it sends); every upload carries a new batch id.  Each
 * device sends BATCHES batches.  Printed: batches and events acknowledged,
 * wall time, events per second acknowledged, and the latency of one upload
 * (p50, p99), then a RESULT line for scripts.  Any answer but 200 is
 * counted as an error and printed once.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define MAX_BODIES 16

struct body {
	unsigned char *gz;
	size_t len;
	unsigned lines;
};

struct device {
	CURL *h;
	struct curl_slist *hdrs;
	char id_header[64];
	int sent;                  /* batches started */
	struct body *cur;
	char reply[512];
	size_t rlen;
	double started;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct device *d = arg;
	size_t len = sz * n, room = sizeof(d->reply) - 1 - d->rlen;
	memcpy(d->reply + d->rlen, p, len < room ? len : room);
	d->rlen += len < room ? len : room;
	d->reply[d->rlen] = '\0';
	return len;
}

static int gz(const char *in, size_t len, struct body *b)
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

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
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

/* Cut up to MAX_BODIES batches of `lines` lines from the text, in turn. */
static int make_bodies(const char *text, size_t len, unsigned lines, struct body *b, int *nb)
{
	const char *p = text, *end = text + len;
	*nb = 0;
	while (*nb < MAX_BODIES) {
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
			copy = malloc(a + bl);
			memcpy(copy, start, a);
			memcpy(copy + a, text, bl);
			n = a + bl;
		}
		if (gz(copy ? copy : start, n, &b[*nb]) < 0)
			return -1;
		free(copy);
		b[*nb].lines = lines;
		(*nb)++;
	}
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void start_batch(CURLM *m, struct device *d, struct body *b, unsigned long seq)
{
	unsigned char r[16];
	for (size_t i = 0; i < sizeof(r); i++)
		r[i] = (unsigned char)rand();
	snprintf(d->id_header, sizeof(d->id_header), "X-Otasuke-Batch: %08lx", seq);
	for (size_t i = 0; i < 12; i++)
		snprintf(d->id_header + 25 + 2 * i, 3, "%02x", r[i]);
	curl_slist_free_all(d->hdrs);
	d->hdrs = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	d->hdrs = curl_slist_append(d->hdrs, "Content-Encoding: gzip");
	d->hdrs = curl_slist_append(d->hdrs, "Expect:");
	d->hdrs = curl_slist_append(d->hdrs, d->id_header);
	curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, d->hdrs);
	curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, b->gz);
	curl_easy_setopt(d->h, CURLOPT_POSTFIELDSIZE, (long)b->len);
	d->cur = b;
	d->rlen = 0;
	d->started = now();
	d->sent++;
	curl_multi_add_handle(m, d->h);
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: ingest-client URL CA DEVICE-DIR DEVICES EVE BATCH-LINES BATCHES\n");
		return 2;
	}
	const char *url = argv[1], *ca = argv[2], *dir = argv[3];
	int ndev = atoi(argv[4]), batches = atoi(argv[7]);
	unsigned lines = (unsigned)atoi(argv[6]);
	size_t len;
	char *eve = read_all(argv[5], &len);
	struct body bodies[MAX_BODIES];
	int nb;
	if (!eve || ndev < 1 || batches < 1 || !lines ||
	    make_bodies(eve, len, lines, bodies, &nb) < 0) {
		fprintf(stderr, "ingest-client: cannot read %s or bad numbers\n", argv[5]);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	struct device *devs = calloc((size_t)ndev, sizeof(*devs));
	double *lat = calloc((size_t)ndev * (size_t)batches, sizeof(double));
	size_t nlat = 0;
	unsigned long seq = 0, ok_batches = 0, events = 0, errors = 0;
	char path[4096];

	srand((unsigned)time(NULL));
	for (int i = 0; i < ndev; i++) {
		struct device *d = &devs[i];
		d->h = curl_easy_init();
		curl_easy_setopt(d->h, CURLOPT_URL, url);
		curl_easy_setopt(d->h, CURLOPT_CAINFO, ca);
		snprintf(path, sizeof(path), "%s/dev-%d.pem", dir, i);
		curl_easy_setopt(d->h, CURLOPT_SSLCERT, path);
		snprintf(path, sizeof(path), "%s/dev-%d.key", dir, i);
		curl_easy_setopt(d->h, CURLOPT_SSLKEY, path);
		curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(d->h, CURLOPT_WRITEDATA, d);
		curl_easy_setopt(d->h, CURLOPT_PRIVATE, d);
		curl_easy_setopt(d->h, CURLOPT_TIMEOUT, 300L);
	}
	double t0 = now();
	for (int i = 0; i < ndev; i++)
		start_batch(m, &devs[i], &bodies[(seq % (unsigned long)nb)], seq), seq++;
	int running = ndev;
	while (running) {
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct device *d;
			long code = 0;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&d);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			curl_multi_remove_handle(m, d->h);
			if (msg->data.result == CURLE_OK && code == 200) {
				ok_batches++;
				events += d->cur->lines;
				lat[nlat++] = now() - d->started;
			} else {
				if (!errors)
					fprintf(stderr, "ingest-client: error: %s, HTTP %ld: %s\n",
						curl_easy_strerror(msg->data.result), code, d->reply);
				errors++;
			}
			if (d->sent < batches) {
				start_batch(m, d, &bodies[seq % (unsigned long)nb], seq);
				seq++;
			}
		}
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	double wall = now() - t0;
	qsort(lat, nlat, sizeof(double), cmp);
	double p50 = nlat ? lat[nlat / 2] : 0, p99 = nlat ? lat[(nlat * 99) / 100] : 0;
	size_t gzbytes = 0;
	for (int i = 0; i < nb; i++)
		gzbytes += bodies[i].len;
	printf("devices:            %d, each %d batches of %u events (%.0f KiB gzip on average)\n",
	       ndev, batches, lines, (double)gzbytes / nb / 1024);
	printf("acknowledged:       %lu batches, %lu events, %lu errors\n", ok_batches, events, errors);
	printf("wall time:          %.2f s\n", wall);
	printf("events/s stored:    %.0f\n", (double)events / wall);
	printf("upload latency:     p50 %.0f ms, p99 %.0f ms\n", p50 * 1000, p99 * 1000);
	printf("RESULT events=%lu errors=%lu seconds=%.3f events_per_s=%.0f p50_ms=%.0f p99_ms=%.0f\n",
	       events, errors, wall, (double)events / wall, p50 * 1000, p99 * 1000);
	for (int i = 0; i < ndev; i++) {
		curl_slist_free_all(devs[i].hdrs);
		curl_easy_cleanup(devs[i].h);
	}
	for (int i = 0; i < nb; i++)
		free(bodies[i].gz);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	free(devs);
	free(lat);
	free(eve);
	return errors ? 1 : 0;
}
