/*
 * conn-client.c - the load of bench/server-connections: many devices
 * holding a connection to otasuked open at once, as sensors and agents do
 * between their uploads, each sending a small batch now and then.
 *
 *   conn-client PORT CA DEVICE-DIR DEVICES EVE CONNECTIONS SECONDS PERIOD LATENCIES
 *
 * CONNECTIONS mutual-TLS keep-alive connections (libcurl multi) to otasuked
 * on 127.0.0.1:PORT are opened, at most RAMP at a time, each with its first
 * batch; connection j uses the certificate of device j % DEVICES
 * (DEVICE-DIR/dev-<i>.pem and .key: one certificate may serve many
 * connections).  Each connection also has a host name of its own,
 * resolved to 127.0.0.1 (CURLOPT_RESOLVE): libcurl keeps a connection for
 * each host name and looks through all of a name's connections, with a
 * poll() each, whenever a transfer starts, which with one name for all
 * would make the client, not the server, the bottleneck.  The server's
 * certificate is thus checked against its CA but not its name.  Each connection then sends a batch of BATCH_LINES
 * lines of EVE every PERIOD seconds (at a random offset) over its
 * connection, while the others open and, once all are open, for SECONDS
 * more: the part measured.  Printed: how many connected, how many were still held
 * at the end without a failure or a new connection, the requests of the
 * measured part and their latency (p50, p99), and a RESULT line; the
 * latency of every measured request goes to the file LATENCIES (ms, one a
 * line), for a script that runs several clients at once to merge.  The
 * first few failures are printed with their reason.
 *
 * One client holds up to about 1,000 connections well: beyond that,
 * libcurl 7.88 itself spends its time polling idle connections and stops
 * opening new ones, so bench/server-ingest runs one client per thousand.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench-upload.h"

#define BATCH_LINES 10
#define NBODIES 16
#define RAMP 256           /* connections being opened at once */
#define SHOW_ERRORS 5

struct conn {
	CURL *h;
	struct curl_slist *hdrs;
	char id_header[64];
	char url[96];
	struct curl_slist *resolve;
	struct bench_reply reply;
	double started, next;
	bool busy;
	bool connected;    /* its first batch was stored */
	bool broken;       /* a failure or a new connection since */
};

struct run {
	CURLM *m;
	struct conn *c;
	int n;
	struct bench_body bodies[NBODIES];
	int nb;
	unsigned long seq;
	int busy;
	int firsts;                       /* first batches answered */
	double steady_from, steady_to;    /* 0 until the ramp is over */
	double *lat;
	size_t nlat, caplat;
	unsigned long ok, failed, shown;
};

static void start(struct run *r, struct conn *c)
{
	curl_slist_free_all(c->hdrs);
	c->hdrs = bench_batch_headers(c->id_header, r->seq);
	struct bench_body *b = &r->bodies[r->seq++ % (unsigned long)r->nb];
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, b->gz);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)b->len);
	c->reply.len = 0;
	c->started = bench_now();
	c->busy = true;
	r->busy++;
	curl_multi_add_handle(r->m, c->h);
}

static void finished(struct run *r, CURLMsg *msg, double period)
{
	struct conn *c;
	long code = 0, connects = 0;
	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_NUM_CONNECTS, &connects);
	curl_multi_remove_handle(r->m, c->h);
	c->busy = false;
	r->busy--;
	double t = bench_now();
	bool good = msg->data.result == CURLE_OK && code == 200;
	bool measured = r->steady_from && c->started >= r->steady_from;
	if (!good && r->shown++ < SHOW_ERRORS)
		fprintf(stderr, "conn-client: connection %ld: %s, HTTP %ld: %s\n", (long)(c - r->c),
			curl_easy_strerror(msg->data.result), code, c->reply.text);
	if (!c->connected && !c->broken) {
		r->firsts++;
		c->connected = good;
		c->broken = !good;
		/* the next batch at a random time within the period */
		c->next = t + period * rand() / ((double)RAND_MAX + 1);
		return;
	}
	if (!good || connects)
		c->broken = true;
	if (measured) {
		if (good) {
			r->ok++;
			if (r->nlat < r->caplat)
				r->lat[r->nlat++] = t - c->started;
		} else {
			r->failed++;
		}
	}
	c->next = c->started + period;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	if (argc != 10) {
		fprintf(stderr, "usage: conn-client PORT CA DEVICE-DIR DEVICES EVE CONNECTIONS "
			"SECONDS PERIOD LATENCIES\n");
		return 2;
	}
	const char *ca = argv[2], *dir = argv[3];
	int port = atoi(argv[1]), ndev = atoi(argv[4]);
	struct run r = { .n = atoi(argv[6]) };
	double seconds = atof(argv[7]), period = atof(argv[8]);
	size_t len;
	char *eve = bench_read_all(argv[5], &len);
	if (!eve || port < 1 || port > 65535 || ndev < 1 || r.n < 1 || r.n > 16 << 20 || seconds <= 0 || period <= 0 ||
	    bench_make_bodies(eve, len, BATCH_LINES, r.bodies, NBODIES, &r.nb) < 0) {
		fprintf(stderr, "conn-client: cannot read %s or bad numbers\n", argv[5]);
		return 2;
	}
	raise_nofile();
	srand((unsigned)time(NULL));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r.m = curl_multi_init();
	/* every connection stays in the cache while its handle is idle */
	curl_multi_setopt(r.m, CURLMOPT_MAXCONNECTS, (long)r.n + 16);
	r.c = calloc((size_t)r.n, sizeof(*r.c));
	r.caplat = (size_t)(r.n * (seconds / period + 2));
	r.lat = calloc(r.caplat, sizeof(double));
	if (!r.c || !r.lat) {
		fprintf(stderr, "conn-client: out of memory\n");
		return 2;
	}
	for (int i = 0; i < r.n; i++) {
		struct conn *c = &r.c[i];
		char host[64];
		snprintf(host, sizeof(host), "c%d.otasuke.test:%d:127.0.0.1", i, port);
		snprintf(c->url, sizeof(c->url), "https://c%d.otasuke.test:%d/api/v1/events", i, port);
		c->resolve = curl_slist_append(NULL, host);
		c->h = curl_easy_init();
		curl_easy_setopt(c->h, CURLOPT_URL, c->url);
		curl_easy_setopt(c->h, CURLOPT_RESOLVE, c->resolve);
		curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 0L);
		bench_tls(c->h, ca, dir, i % ndev);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, bench_on_data);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->reply);
		curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
		curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 60L);
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 120L);
	}

	double t0 = bench_now(), ramp = 0;
	int opened = 0;
	for (;;) {
		double t = bench_now();
		while (opened < r.n && r.busy < RAMP)
			start(&r, &r.c[opened++]);
		if (!r.steady_from && r.firsts == r.n) {
			ramp = t - t0;
			r.steady_from = t;
			r.steady_to = t + seconds;
		}
		if (r.steady_from && t >= r.steady_to && !r.busy)
			break;
		/* those connected already keep sending while the others open */
		for (int i = 0; (!r.steady_from || t < r.steady_to) && i < opened; i++)
			if (r.c[i].connected && !r.c[i].busy && r.c[i].next <= t)
				start(&r, &r.c[i]);
		int running;
		curl_multi_perform(r.m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(r.m, &left)))
			if (msg->msg == CURLMSG_DONE)
				finished(&r, msg, period);
		curl_multi_poll(r.m, NULL, 0, 10, NULL);
	}

	int connected = 0, held = 0;
	for (int i = 0; i < r.n; i++) {
		connected += r.c[i].connected;
		held += r.c[i].connected && !r.c[i].broken;
	}
	double p50, p99;
	bench_percentiles(r.lat, r.nlat, &p50, &p99);
	printf("connections:        %d opened in %.1f s (%d at a time), %d connected\n",
	       r.n, ramp, RAMP, connected);
	printf("held %3.0f s:         %d, each sending %d events every %.0f s without a failure "
	       "or a new connection\n", seconds, held, BATCH_LINES, period);
	printf("requests:           %lu stored, %lu failed (%.0f per second)\n", r.ok, r.failed,
	       (double)(r.ok + r.failed) / seconds);
	printf("latency:            p50 %.0f ms, p99 %.0f ms\n", p50 * 1000, p99 * 1000);
	printf("RESULT connections=%d connected=%d held=%d requests=%lu failed=%lu p50_ms=%.0f "
	       "p99_ms=%.0f ramp_s=%.1f\n", r.n, connected, held, r.ok, r.failed, p50 * 1000,
	       p99 * 1000, ramp);
	fflush(stdout);
	FILE *lf = fopen(argv[9], "w");
	for (size_t i = 0; lf && i < r.nlat; i++)
		fprintf(lf, "%.3f\n", r.lat[i] * 1000);
	if (!lf || fclose(lf)) {
		fprintf(stderr, "conn-client: cannot write %s\n", argv[9]);
		r.failed++;
	}
	for (int i = 0; i < r.n; i++) {
		curl_easy_cleanup(r.c[i].h);
		curl_slist_free_all(r.c[i].hdrs);
		curl_slist_free_all(r.c[i].resolve);
	}
	bench_free_bodies(r.bodies, r.nb);
	curl_multi_cleanup(r.m);
	curl_global_cleanup();
	free(r.c);
	free(r.lat);
	free(eve);
	return connected == r.n && held == r.n && !r.failed ? 0 : 1;
}
