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

#include "bench-upload.h"

#define MAX_BODIES 16

struct device {
	CURL *h;
	struct curl_slist *hdrs;
	char id_header[64];
	int sent;                  /* batches started */
	struct bench_body *cur;
	struct bench_reply reply;
	double started;
};

static void start_batch(CURLM *m, struct device *d, struct bench_body *b, unsigned long seq)
{
	curl_slist_free_all(d->hdrs);
	d->hdrs = bench_batch_headers(d->id_header, seq);
	curl_easy_setopt(d->h, CURLOPT_HTTPHEADER, d->hdrs);
	curl_easy_setopt(d->h, CURLOPT_POSTFIELDS, b->gz);
	curl_easy_setopt(d->h, CURLOPT_POSTFIELDSIZE, (long)b->len);
	d->cur = b;
	d->reply.len = 0;
	d->started = bench_now();
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
	char *eve = bench_read_all(argv[5], &len);
	struct bench_body bodies[MAX_BODIES];
	int nb;
	if (!eve || ndev < 1 || batches < 1 || !lines ||
	    bench_make_bodies(eve, len, lines, bodies, MAX_BODIES, &nb) < 0) {
		fprintf(stderr, "ingest-client: cannot read %s or bad numbers\n", argv[5]);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	struct device *devs = calloc((size_t)ndev, sizeof(*devs));
	double *lat = calloc((size_t)ndev * (size_t)batches, sizeof(double));
	size_t nlat = 0;
	unsigned long seq = 0, ok_batches = 0, events = 0, errors = 0;

	srand((unsigned)time(NULL));
	for (int i = 0; i < ndev; i++) {
		struct device *d = &devs[i];
		d->h = curl_easy_init();
		curl_easy_setopt(d->h, CURLOPT_URL, url);
		bench_tls(d->h, ca, dir, i);
		curl_easy_setopt(d->h, CURLOPT_WRITEFUNCTION, bench_on_data);
		curl_easy_setopt(d->h, CURLOPT_WRITEDATA, &d->reply);
		curl_easy_setopt(d->h, CURLOPT_PRIVATE, d);
		curl_easy_setopt(d->h, CURLOPT_TIMEOUT, 300L);
	}
	double t0 = bench_now();
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
				lat[nlat++] = bench_now() - d->started;
			} else {
				if (!errors)
					fprintf(stderr, "ingest-client: error: %s, HTTP %ld: %s\n",
						curl_easy_strerror(msg->data.result), code, d->reply.text);
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
	double wall = bench_now() - t0, p50, p99;
	bench_percentiles(lat, nlat, &p50, &p99);
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
	bench_free_bodies(bodies, nb);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	free(devs);
	free(lat);
	free(eve);
	return errors ? 1 : 0;
}
