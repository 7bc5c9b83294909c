/*
 * bench-upload.h - what the server benchmarks' load generators share
 * (ingest-client.c, conn-client.c): real EVE lines cut into gzip batches
 * before the clock starts, the headers of one upload with a new batch id,
 * the answer's text, and the latency figures.
 */
#ifndef OT_BENCH_UPLOAD_H
#define OT_BENCH_UPLOAD_H

#include <curl/curl.h>
#include <stddef.h>

/* One batch, gzip-compressed. */
struct bench_body {
	unsigned char *gz;
	size_t len;
	unsigned lines;
};

/* The first bytes of an answer (for the error message), appended by
 * bench_on_data (a CURLOPT_WRITEFUNCTION with this as its data). */
struct bench_reply {
	char text[512];
	size_t len;
};

/* CLOCK_MONOTONIC, in seconds. */
double bench_now(void);
/* The whole file, NUL-terminated (malloc'd); NULL when it cannot be read. */
char *bench_read_all(const char *path, size_t *len);
/* Cut up to max batches of `lines` lines each from text, in turn (wrapping
 * around to its start), gzip each; *nb is how many.  0, or -1 when text
 * holds no complete line or memory runs out. */
int bench_make_bodies(const char *text, size_t len, unsigned lines,
		      struct bench_body *b, int max, int *nb);
void bench_free_bodies(struct bench_body *b, int nb);
/* The headers of an upload of batch number seq (a new random batch id
 * each time; id_header is where its header line is kept). */
struct curl_slist *bench_batch_headers(char id_header[64], unsigned long seq);
size_t bench_on_data(char *p, size_t sz, size_t n, void *reply);
/* Mutual TLS for h: only the CA file is trusted (not the system's CA
 * folder, which libcurl would otherwise read again for every connection),
 * and the certificate and key of device i in dir (dev-<i>.pem, .key). */
void bench_tls(CURL *h, const char *ca, const char *dir, int i);
/* Sort v and give its 50th and 99th percentiles (0 when n is 0). */
void bench_percentiles(double *v, size_t n, double *p50, double *p99);

#endif
