/*
 * output-upload.c - the sink that sends events to otasuked.  Each event is
 * appended to the on-disk spool (src/lib/spool.h), and the upload thread
 * (src/lib/upload.h) delivers the batches and deletes each only once the
 * server acknowledged it; the packet pipeline never waits on the network.
 * At exit the current batch is closed and the thread goes on sending for
 * upload.drain-timeout seconds; what is left is sent at the next start.
 *
 * Configuration: outputs.upload.enabled, upload.* (sensor-config.c).
 */
#include "output.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/config.h"
#include "../lib/json.h"
#include "../lib/log.h"
#include "../lib/spool.h"
#include "../lib/upload.h"

struct upload_sink {
	struct spool *sp;
	struct uploader *up;
	unsigned drain;
};

static int need_file(const struct ot_config *cfg, const char *key)
{
	const char *path = cfg_str(cfg, key);
	if (!path || !*path) {
		ot_err("%s must be set to upload (see otasuke-sensor --enroll)", key);
		return 1;
	}
	if (access(path, R_OK) < 0) {
		ot_err("%s: %s cannot be read: %s (see otasuke-sensor --enroll)", key, path,
		       strerror(errno));
		return 1;
	}
	return 0;
}

static int upload_check(const struct ot_config *cfg)
{
	int problems = 0;
	if (!cfg_bool(cfg, "outputs.upload.enabled"))
		return 0;
	const char *url = cfg_str(cfg, "upload.url");
	if (!url || strncmp(url, "https://", 8) || !url[8]) {
		ot_err("%s: upload.url '%s': expected https://HOST:PORT of otasuked",
		       cfg_origin(cfg, "upload.url"), url ? url : "");
		problems++;
	}
	problems += need_file(cfg, "upload.ca-file");
	problems += need_file(cfg, "upload.cert-file");
	problems += need_file(cfg, "upload.key-file");
	if (cfg_uint(cfg, "upload.spool.max-size") / 4 < cfg_uint(cfg, "upload.batch.max-size")) {
		ot_err("upload.spool.max-size (%s) must hold at least 4 batches of upload.batch.max-size (%s)",
		       cfg_str(cfg, "upload.spool.max-size"), cfg_str(cfg, "upload.batch.max-size"));
		problems++;
	}
	return problems;
}

static void upload_close(void *sink)
{
	struct upload_sink *s = sink;
	if (s->sp)
		spool_flush(s->sp);
	upload_stop(s->up, s->drain);
	spool_close(s->sp);
	free(s);
}

static void *upload_open(const struct ot_config *cfg, const char *logdir, int *err)
{
	if (!cfg_bool(cfg, "outputs.upload.enabled"))
		return NULL;
	struct upload_sink *s = calloc(1, sizeof(*s));
	struct spool_cfg sc = {
		.dir = cfg_str(cfg, "upload.spool.dir"),
		.max_bytes = cfg_uint(cfg, "upload.spool.max-size"),
		.batch_events = (uint32_t)cfg_uint(cfg, "upload.batch.max-events"),
		.batch_bytes = cfg_uint(cfg, "upload.batch.max-size"),
		.batch_age = (uint32_t)cfg_uint(cfg, "upload.batch.max-age"),
		.uid = -1, .gid = -1,
	};
	struct upload_cfg uc = {
		.url = cfg_str(cfg, "upload.url"),
		.ca_file = cfg_str(cfg, "upload.ca-file"),
		.cert_file = cfg_str(cfg, "upload.cert-file"),
		.key_file = cfg_str(cfg, "upload.key-file"),
		.timeout = (unsigned)cfg_uint(cfg, "upload.timeout"),
		.min_delay_ms = (unsigned)cfg_uint(cfg, "upload.retry.min-delay"),
		.max_delay_ms = (unsigned)cfg_uint(cfg, "upload.retry.max-delay"),
	};
	/* a root sensor becomes run-as.user once capturing (main.c): the
	 * spool is that user's from the start */
	struct passwd *pw = geteuid() == 0 ? getpwnam(cfg_str(cfg, "run-as.user")) : NULL;
	if (pw) {
		sc.uid = (int)pw->pw_uid;
		sc.gid = (int)pw->pw_gid;
	}
	if (!s || upload_check(cfg) || !(s->sp = spool_open(&sc)) || !(s->up = upload_start(s->sp, &uc))) {
		if (s)
			upload_close(s);
		*err = -1;
		return NULL;
	}
	s->drain = (unsigned)cfg_uint(cfg, "upload.drain-timeout");
	return s;
}

static int upload_write(void *sink, const char *line, size_t len)
{
	struct upload_sink *s = sink;
	return spool_append(s->sp, line, len);
}

/* The end of the input: what is in the current batch goes now. */
static int upload_flush(void *sink)
{
	struct upload_sink *s = sink;
	spool_flush(s->sp);
	return 0;
}

static void upload_stats(void *sink, struct jw *w)
{
	struct upload_sink *s = sink;
	struct upload_stats u;
	struct spool_stats sp;
	upload_get_stats(s->up, &u);
	spool_get_stats(s->sp, &sp);
	jw_obj_open(w, "upload");
	jw_uint(w, "sent_events", u.events);
	jw_uint(w, "sent_batches", u.batches);
	jw_uint(w, "rejected_events", u.rejected);
	jw_uint(w, "duplicate_batches", u.duplicates);
	jw_uint(w, "retries", u.retries);
	jw_uint(w, "splits", u.splits);
	jw_uint(w, "dropped_batches", sp.dropped_batches);
	jw_uint(w, "dropped_events", sp.dropped_events);
	jw_uint(w, "refused_events", u.refused);
	jw_uint(w, "bad_events", sp.bad_lines);
	jw_uint(w, "write_errors", sp.write_errors);
	jw_uint(w, "spool_batches", sp.queued);
	jw_uint(w, "spool_events", sp.queued_events);
	jw_uint(w, "spool_bytes", sp.bytes);
	jw_obj_close(w);
}

const struct output_sink_ops output_sink_upload = {
	.name = "upload",
	.check = upload_check,
	.open = upload_open,
	.write = upload_write,
	.flush = upload_flush,
	.close = upload_close,
	.stats = upload_stats,
};
