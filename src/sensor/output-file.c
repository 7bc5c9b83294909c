/*
 * output-file.c - the eve.json file sink: NDJSON, one event a line, buffered,
 * rotated by size (eve.json -> eve.json.1 -> ... -> eve.json.N, oldest gone).
 *
 * Configuration: outputs.eve.enabled, outputs.eve.filename,
 * outputs.eve.rotate-size (0 = never), outputs.eve.rotate-count.
 */
#include "output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/config.h"
#include "../lib/log.h"

struct file_sink {
	FILE *fp;
	char path[4096];
	uint64_t size;
	uint64_t rotate_size;
	unsigned rotate_count;
	char *iobuf;
};

static int file_reopen(struct file_sink *s)
{
	struct stat st;
	s->fp = fopen(s->path, "a");
	if (!s->fp) {
		ot_err("cannot open %s for writing: %s", s->path, strerror(errno));
		return -1;
	}
	setvbuf(s->fp, s->iobuf, _IOFBF, 1 << 20);
	s->size = fstat(fileno(s->fp), &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

static void *file_open(const struct ot_config *cfg, const char *logdir, int *err)
{
	if (!cfg_bool(cfg, "outputs.eve.enabled"))
		return NULL;
	struct file_sink *s = calloc(1, sizeof(*s));
	if (!s || !(s->iobuf = malloc(1 << 20))) {
		free(s);
		*err = -1;
		return NULL;
	}
	const char *name = cfg_str(cfg, "outputs.eve.filename");
	int n;
	if (name[0] == '/')
		n = snprintf(s->path, sizeof(s->path), "%s", name);
	else
		n = snprintf(s->path, sizeof(s->path), "%s/%s", logdir, name);
	s->rotate_size = cfg_uint(cfg, "outputs.eve.rotate-size");
	s->rotate_count = (unsigned)cfg_uint(cfg, "outputs.eve.rotate-count");
	if (n >= (int)sizeof(s->path) || file_reopen(s) < 0) {
		if (n >= (int)sizeof(s->path))
			ot_err("log path too long: %s/%s", logdir, name);
		free(s->iobuf);
		free(s);
		*err = -1;
		return NULL;
	}
	return s;
}

static void file_rotate(struct file_sink *s)
{
	char from[4200], to[4200];
	fclose(s->fp);
	s->fp = NULL;
	if (s->rotate_count == 0) {
		unlink(s->path);
	} else {
		for (unsigned i = s->rotate_count; i > 1; i--) {
			snprintf(from, sizeof(from), "%s.%u", s->path, i - 1);
			snprintf(to, sizeof(to), "%s.%u", s->path, i);
			rename(from, to);
		}
		snprintf(to, sizeof(to), "%s.1", s->path);
		if (rename(s->path, to) < 0)
			ot_warn("cannot rotate %s: %s", s->path, strerror(errno));
	}
	file_reopen(s);
}

static int file_write(void *sink, const char *line, size_t len)
{
	struct file_sink *s = sink;
	if (!s->fp)
		return -1;
	if (fwrite(line, 1, len, s->fp) != len || fputc('\n', s->fp) == EOF) {
		ot_err("writing %s failed: %s", s->path, strerror(errno));
		return -1;
	}
	s->size += len + 1;
	if (s->rotate_size && s->size >= s->rotate_size)
		file_rotate(s);
	return 0;
}

static int file_flush(void *sink)
{
	struct file_sink *s = sink;
	return s->fp ? fflush(s->fp) : -1;
}

static void file_close(void *sink)
{
	struct file_sink *s = sink;
	if (s->fp)
		fclose(s->fp);
	free(s->iobuf);
	free(s);
}

const struct output_sink_ops output_sink_file = {
	.name = "file",
	.open = file_open,
	.write = file_write,
	.flush = file_flush,
	.close = file_close,
};
