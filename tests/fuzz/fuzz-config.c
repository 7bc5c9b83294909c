/*
 * fuzz-config.c - the configuration reader on arbitrary YAML text.  A
 * configuration file is written by a person, but it may come from anywhere
 * (a package, a management tool, a copy-paste), and a bad one must be
 * reported, never crash the program that reads it.
 *
 * The input is read as a YAML file against a small table holding every type
 * and nested sections; then its first lines are applied as --set
 * assignments (alternately with unknown keys accepted and refused), and
 * every key is read back with its getter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static const struct cfg_key keys[] = {
	{ "stream.depth", CFG_SIZE, "1mb", 0, UINT64_MAX, "" },
	{ "stream.reassembly.depth", CFG_SIZE, "1mb", 4096, 1ULL << 30, "" },
	{ "stream.reassembly.enabled", CFG_BOOL, "yes", 0, 0, "" },
	{ "flow.max", CFG_UINT, "65536", 1, 1000000, "" },
	{ "flow.timeouts.tcp.established", CFG_UINT, "3600", 0, 86400, "" },
	{ "capture.interface", CFG_STR, NULL, 0, 0, "" },
	{ "home-net", CFG_LIST, "10.0.0.0/8", 0, 0, "" },
	{ "outputs.eve.types", CFG_LIST, NULL, 0, 0, "" },
	{ "outputs.eve.enabled", CFG_BOOL, "no", 0, 0, "" },
	{ "a", CFG_STR, "x", 0, 0, "" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ot_log_init("fuzz-config");
	ot_log_set_file("/dev/null");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ot_config *c = cfg_new(keys, NKEYS);
	if (!c)
		abort();
	int n = cfg_load_buffer(c, (const char *)data, size, "fuzz.yaml");
	if (n < 0)
		abort();

	/* the first lines as --set assignments */
	const char *p = (const char *)data, *end = p + size;
	for (int i = 0; i < 4 && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, len);
		if (!line)
			abort();
		int r = cfg_set(c, line, i & 1);
		if (r < -1 || r > 1 || (r == 1 && !(i & 1)))
			abort();
		free(line);
		p += len + 1;
	}

	for (size_t i = 0; i < NKEYS; i++) {
		const char *k = keys[i].key;
		const char *o = cfg_origin(c, k);
		if (!o || !*o)
			abort();
		switch (keys[i].type) {
		case CFG_BOOL:
			(void)cfg_bool(c, k);
			break;
		case CFG_UINT:
		case CFG_SIZE: {
			uint64_t v = cfg_uint(c, k);
			if (v < keys[i].min || v > keys[i].max)
				abort();
			break;
		}
		case CFG_STR: {
			const char *s = cfg_str(c, k);
			if (s)
				(void)strlen(s);
			break;
		}
		case CFG_LIST: {
			const char *const *items;
			size_t count = cfg_list(c, k, &items);
			for (size_t j = 0; j < count; j++)
				if (!items[j] || !*items[j])
					abort();
			if (items[count])
				abort();
			break;
		}
		}
	}
	cfg_free(c);
	return 0;
}
