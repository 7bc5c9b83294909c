/*
 * test-config.c - the configuration module against real YAML files written
 * to a temporary directory: nested keys, both list styles, every type error
 * and unknown key with the exact line it is reported on (the log is pointed
 * at a file and read back), duplicates, syntax errors, --set precedence,
 * origins, the docs table, and that a bad table or an unknown getter key is
 * refused.
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
#include <cmocka.h>

#include "../../src/lib/config.h"
#include "../../src/lib/log.h"

static const struct cfg_key keys[] = {
	{ "stream.depth", CFG_SIZE, "1mb", 0, UINT64_MAX, "bytes of a stream to inspect" },
	{ "stream.reassembly.depth", CFG_SIZE, "1mb", 4096, 1ULL << 30, "reassembly depth" },
	{ "stream.reassembly.enabled", CFG_BOOL, "yes", 0, 0, "reassemble TCP streams" },
	{ "flow.max", CFG_UINT, "65536", 1, 1000000, "flows tracked at once" },
	{ "capture.interface", CFG_STR, NULL, 0, 0, "interface to capture on" },
	{ "capture.bpf", CFG_STR, "", 0, 0, "capture filter | BPF syntax" },
	{ "home-net", CFG_LIST, "10.0.0.0/8, 192.168.0.0/16", 0, 0, "local networks" },
	{ "outputs.eve.types", CFG_LIST, NULL, 0, 0, "event types written" },
	{ "outputs.eve.enabled", CFG_BOOL, "no", 0, 0, "write EVE JSON" },
	{ "log.level", CFG_STR, "notice", 0, 0, "least severe message logged" },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static char dir[64];
static char log_path[128];
static char path[256];  /* the file of the test being run */

static int group_setup(void **state)
{
	strcpy(dir, "/tmp/test-config-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	ot_log_init("test-config");
	ot_log_set_level(OT_LOG_DEBUG);
	return ot_log_set_file(log_path);
}

static int group_teardown(void **state)
{
	ot_log_set_file(NULL);
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
	return 0;
}

/* Empty the log before each test. */
static int setup(void **state)
{
	return truncate(log_path, 0);
}

/* Write a file named name in the temp dir; its path is left in path. */
static const char *write_file(const char *name, const char *text)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *read_log(void)
{
	FILE *f = fopen(log_path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 65536);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Number of log lines at level ("error", "warning"). */
static int log_count(const char *level)
{
	char *log = read_log(), pat[32];
	int n = 0;
	snprintf(pat, sizeof(pat), "test-config: %s: ", level);
	for (char *p = log; (p = strstr(p, pat)); p++)
		n++;
	free(log);
	return n;
}

/*
 * Assert that the log has a line "... test-config: LEVEL: MSG" exactly
 * (after the time stamp), MSG given as a format.
 */
__attribute__((format(printf, 2, 3)))
static void log_has(const char *level, const char *fmt, ...)
{
	char want[1024], msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(want, sizeof(want), " test-config: %s: %s\n", level, msg);
	char *log = read_log();
	bool found = false;
	for (char *line = log; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		size_t wl = strlen(want);
		if (len >= wl && !memcmp(line + len - wl, want, wl) &&
		    !memchr(line, ' ', len - wl)) /* only the time stamp before */
			found = true;
		line += len;
	}
	if (!found)
		fail_msg("log lacks '%s'; it has:\n%s", want, log);
	free(log);
}

static struct ot_config *new_config(void)
{
	struct ot_config *c = cfg_new(keys, NKEYS);
	assert_non_null(c);
	return c;
}

static void test_defaults(void **state)
{
	struct ot_config *c = new_config();
	const char *const *items;

	assert_int_equal(cfg_uint(c, "stream.depth"), 1 << 20);
	assert_string_equal(cfg_str(c, "stream.depth"), "1mb");
	assert_true(cfg_bool(c, "stream.reassembly.enabled"));
	assert_false(cfg_bool(c, "outputs.eve.enabled"));
	assert_int_equal(cfg_uint(c, "flow.max"), 65536);
	assert_null(cfg_str(c, "capture.interface"));
	assert_string_equal(cfg_str(c, "capture.bpf"), "");
	assert_int_equal(cfg_list(c, "home-net", &items), 2);
	assert_string_equal(items[0], "10.0.0.0/8");
	assert_string_equal(items[1], "192.168.0.0/16");
	assert_null(items[2]);
	assert_int_equal(cfg_list(c, "outputs.eve.types", &items), 0);
	assert_non_null(items);
	assert_null(items[0]);
	for (size_t i = 0; i < NKEYS; i++)
		assert_string_equal(cfg_origin(c, keys[i].key), "default");
	cfg_free(c);
	assert_int_equal(log_count("error") + log_count("warning"), 0);
}

static void test_nested(void **state)
{
	struct ot_config *c = new_config();
	const char *p = write_file("nested.yaml",
		"%YAML 1.1\n"
		"---\n"
		"# a comment\n"
		"stream:\n"
		"  depth: 2mb\n"
		"  reassembly:\n"
		"    depth: 512kb\n"
		"    enabled: off\n"
		"flow.max: 1000\n"
		"capture:\n"
		"  interface: 'eth0'\n"
		"log:\n"                   /* an empty section is fine */
		"outputs: {eve: {enabled: true}}\n");

	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(cfg_uint(c, "stream.depth"), 2 << 20);
	assert_int_equal(cfg_uint(c, "stream.reassembly.depth"), 512 << 10);
	assert_string_equal(cfg_str(c, "stream.reassembly.depth"), "512kb");
	assert_false(cfg_bool(c, "stream.reassembly.enabled"));
	assert_int_equal(cfg_uint(c, "flow.max"), 1000);
	assert_string_equal(cfg_str(c, "capture.interface"), "eth0");
	assert_true(cfg_bool(c, "outputs.eve.enabled"));
	assert_string_equal(cfg_str(c, "log.level"), "notice");

	char want[300];
	snprintf(want, sizeof(want), "%s:5", p);
	assert_string_equal(cfg_origin(c, "stream.depth"), want);
	snprintf(want, sizeof(want), "%s:8", p);
	assert_string_equal(cfg_origin(c, "stream.reassembly.enabled"), want);
	snprintf(want, sizeof(want), "%s:9", p);
	assert_string_equal(cfg_origin(c, "flow.max"), want);
	snprintf(want, sizeof(want), "%s:13", p);
	assert_string_equal(cfg_origin(c, "outputs.eve.enabled"), want);
	assert_string_equal(cfg_origin(c, "log.level"), "default");
	assert_string_equal(cfg_origin(c, "home-net"), "default");
	assert_int_equal(log_count("error") + log_count("warning"), 0);
	cfg_free(c);
}

static void test_lists(void **state)
{
	struct ot_config *c = new_config();
	const char *const *items;
	char want[300];
	const char *p = write_file("lists.yaml",
		"home-net:\n"
		"  - 192.168.1.0/24\n"
		"  - \"10.0.0.0/8\"\n"
		"outputs:\n"
		"  eve:\n"
		"    types: [alert, dns, \"tls\"]\n");

	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(cfg_list(c, "home-net", &items), 2);
	assert_string_equal(items[0], "192.168.1.0/24");
	assert_string_equal(items[1], "10.0.0.0/8");
	assert_null(items[2]);
	assert_int_equal(cfg_list(c, "outputs.eve.types", &items), 3);
	assert_string_equal(items[0], "alert");
	assert_string_equal(items[1], "dns");
	assert_string_equal(items[2], "tls");
	snprintf(want, sizeof(want), "%s:1", p);
	assert_string_equal(cfg_origin(c, "home-net"), want);
	snprintf(want, sizeof(want), "%s:6", p);
	assert_string_equal(cfg_origin(c, "outputs.eve.types"), want);

	/* a comma-separated scalar; an empty flow sequence */
	p = write_file("lists2.yaml",
		"home-net: \"a, b ,,c,\"\n"
		"outputs.eve.types: []\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(cfg_list(c, "home-net", &items), 3);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	assert_string_equal(items[2], "c");
	assert_int_equal(cfg_list(c, "outputs.eve.types", NULL), 0);

	/* a list of mappings, a list of lists: reported, values kept */
	p = write_file("lists3.yaml",
		"home-net:\n"
		"  - a\n"
		"  - net: b\n"
		"  - c: d\n"
		"outputs.eve.types:\n"
		"  - [x, y]\n");
	assert_int_equal(cfg_load_file(c, p), 2);
	log_has("error", "%s:3: 'home-net': a list of mappings is not supported; "
		"the items must be plain values", p);
	log_has("error", "%s:6: 'outputs.eve.types': a list of lists is not supported; "
		"the items must be plain values", p);
	assert_int_equal(log_count("error"), 2);
	assert_int_equal(cfg_list(c, "home-net", &items), 3);
	assert_string_equal(items[0], "a");
	assert_int_equal(cfg_list(c, "outputs.eve.types", NULL), 0);

	/* empty quoted items in a block list are skipped too (found by
	 * fuzz-config: a quoted string continued onto the next line) */
	p = write_file("lists-empty.yaml",
		"home-net:\n"
		"  - a\n"
		"  - \"\"\n"
		"  - \"\\\n"
		"\"\n"
		"  - b\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(cfg_list(c, "home-net", &items), 2);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	cfg_free(c);
}

static void test_type_errors(void **state)
{
	struct ot_config *c = new_config();
	const char *p = write_file("types.yaml",
		"stream:\n"                              /* 1 */
		"  depth: abc\n"                         /* 2 */
		"  reassembly:\n"                        /* 3 */
		"    depth: 2gb\n"                       /* 4 */
		"    enabled: maybe\n"                   /* 5 */
		"flow:\n"                                /* 6 */
		"  max: 0\n"                             /* 7 */
		"capture: eth0\n"                        /* 8 */
		"home-net:\n"                            /* 9 */
		"  any: 1\n"                             /* 10 */
		"log:\n"                                 /* 11 */
		"  level: [a, b]\n"                      /* 12 */
		"outputs:\n"                             /* 13 */
		"  - eve: 1\n"                           /* 14 */
		"flow.max: 12x\n"                        /* 15 */
		"stream.reassembly.depth: 1kb\n"         /* 16 */
		"outputs.eve.enabled:\n");               /* 17 */

	assert_int_equal(cfg_load_file(c, p), 11);
	log_has("error", "%s:2: 'stream.depth' must be a size such as 1mb, not 'abc'", p);
	log_has("error", "%s:4: 'stream.reassembly.depth' must be a size from 4kb to 1gb, "
		"not '2gb'", p);
	log_has("error", "%s:5: 'stream.reassembly.enabled' must be a boolean "
		"(yes/no, true/false, on/off, 1/0), not 'maybe'", p);
	log_has("error", "%s:7: 'flow.max' must be a whole number from 1 to 1000000, "
		"not '0'", p);
	log_has("error", "%s:8: 'capture' is a section with sub-keys such as "
		"'capture.interface', not a single value", p);
	log_has("error", "%s:10: 'home-net' has no sub-keys: it takes a list, "
		"not a mapping", p);
	log_has("error", "%s:12: 'log.level' takes a single string, not a list", p);
	log_has("error", "%s:14: 'outputs' is a section with sub-keys such as "
		"'outputs.eve.types', not a list (lists of mappings are not supported)", p);
	log_has("error", "%s:15: 'flow.max' must be a whole number from 1 to 1000000, "
		"not '12x'", p);
	log_has("error", "%s:16: 'stream.reassembly.depth' must be a size from 4kb to 1gb, "
		"not '1kb'", p);
	log_has("error", "%s:17: 'outputs.eve.enabled' must be a boolean "
		"(yes/no, true/false, on/off, 1/0), not ''", p);
	log_has("warning", "%s:15: 'flow.max' is given again (first at line 7); "
		"the later value is used", p);
	log_has("warning", "%s:16: 'stream.reassembly.depth' is given again "
		"(first at line 4); the later value is used", p);
	assert_int_equal(log_count("error"), 11);
	assert_int_equal(log_count("warning"), 2);

	/* every bad value left the default in force */
	assert_int_equal(cfg_uint(c, "stream.depth"), 1 << 20);
	assert_int_equal(cfg_uint(c, "stream.reassembly.depth"), 1 << 20);
	assert_true(cfg_bool(c, "stream.reassembly.enabled"));
	assert_int_equal(cfg_uint(c, "flow.max"), 65536);
	assert_false(cfg_bool(c, "outputs.eve.enabled"));
	for (size_t i = 0; i < NKEYS; i++)
		assert_string_equal(cfg_origin(c, keys[i].key), "default");
	cfg_free(c);
}

static void test_unknown_keys(void **state)
{
	struct ot_config *c = new_config();
	const char *p = write_file("unknown.yaml",
		"stream:\n"                     /* 1 */
		"  depht: 2mb\n"                /* 2 */
		"  reassembly:\n"               /* 3 */
		"    enabeld: yes\n"            /* 4 */
		"strem:\n"                      /* 5 */
		"  depth: 1\n"                  /* 6 */
		"depth: 3mb\n"                  /* 7 */
		"totally:\n"                    /* 8 */
		"  unrelated: [1, 2]\n"         /* 9 */
		"flow.max: 77\n");              /* 10 */

	assert_int_equal(cfg_load_file(c, p), 5);
	log_has("error", "%s:2: unknown key 'stream.depht'; did you mean 'stream.depth'?", p);
	log_has("error", "%s:4: unknown key 'stream.reassembly.enabeld'; "
		"did you mean 'stream.reassembly.enabled'?", p);
	log_has("error", "%s:5: unknown key 'strem'; did you mean 'stream'?", p);
	log_has("error", "%s:7: unknown key 'depth'; did you mean 'stream.depth'?", p);
	log_has("error", "%s:8: unknown key 'totally'", p);
	assert_int_equal(log_count("error"), 5);
	/* the good key after them is still read */
	assert_int_equal(cfg_uint(c, "flow.max"), 77);
	assert_int_equal(cfg_uint(c, "stream.depth"), 1 << 20);
	cfg_free(c);
}

static void test_control_chars_escaped(void **state)
{
	struct ot_config *c = new_config();
	const char *p = write_file("ctl.yaml", "\"bad\\nkey\": 1\nflow.max: \"1\\t\"\n");

	assert_int_equal(cfg_load_file(c, p), 2);
	log_has("error", "%s:1: unknown key 'bad\\x0akey'", p);
	log_has("error", "%s:2: 'flow.max' must be a whole number from 1 to 1000000, "
		"not '1\\x09'", p);
	cfg_free(c);
}

static void test_duplicates(void **state)
{
	struct ot_config *c = new_config();
	const char *const *items;
	const char *p = write_file("dup.yaml",
		"stream:\n"
		"  depth: 2mb\n"
		"home-net: [a]\n"
		"stream:\n"
		"  depth: 3mb\n"
		"home-net: b, c\n");

	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(cfg_uint(c, "stream.depth"), 3 << 20);
	assert_int_equal(cfg_list(c, "home-net", &items), 2);
	assert_string_equal(items[1], "c");
	log_has("warning", "%s:5: 'stream.depth' is given again (first at line 2); "
		"the later value is used", p);
	log_has("warning", "%s:6: 'home-net' is given again (first at line 3); "
		"the later value is used", p);
	assert_int_equal(log_count("warning"), 2);
	assert_int_equal(log_count("error"), 0);

	/* a second file may override the first without a warning */
	const char *p2 = write_file("dup2.yaml", "stream.depth: 4mb\n");
	assert_int_equal(cfg_load_file(c, p2), 0);
	assert_int_equal(cfg_uint(c, "stream.depth"), 4 << 20);
	assert_int_equal(log_count("warning"), 2);
	cfg_free(c);
}

static void test_syntax_error(void **state)
{
	struct ot_config *c = new_config();
	const char *p = write_file("syntax.yaml",
		"flow.max: 5\n"            /* 1 */
		"stream:\n"                /* 2 */
		"  depth: 2mb\n"           /* 3 */
		" bad: indentation\n"      /* 4 */
		"log.level: info\n");      /* 5 */

	assert_int_equal(cfg_load_file(c, p), 1);
	char *log = read_log();
	char want[400];
	snprintf(want, sizeof(want), "test-config: error: %s:4: YAML syntax error at column ", p);
	if (!strstr(log, want))
		fail_msg("no '%s' in:\n%s", want, log);
	free(log);
	assert_int_equal(log_count("error"), 1);
	/* what came before the error is applied, nothing after it */
	assert_int_equal(cfg_uint(c, "flow.max"), 5);
	assert_string_equal(cfg_str(c, "log.level"), "notice");

	/* an unclosed flow sequence: reported where the file ends */
	p = write_file("syntax2.yaml", "home-net: [a, b\n\nflow.max: 3\n");
	assert_int_equal(cfg_load_file(c, p), 1);
	assert_int_equal(log_count("error"), 2);

	/* a tab for indentation */
	p = write_file("syntax3.yaml", "stream:\n\tdepth: 1\n");
	assert_int_equal(cfg_load_file(c, p), 1);
	log = read_log();
	snprintf(want, sizeof(want), "test-config: error: %s:2: YAML syntax error", p);
	if (!strstr(log, want))
		fail_msg("no '%s' in:\n%s", want, log);
	free(log);

	/* invalid UTF-8: a reader error, on the line of the bad byte */
	p = write_file("syntax4.yaml", "flow.max: 9\nlog.level: \"\xff\"\n");
	assert_int_equal(cfg_load_file(c, p), 1);
	log = read_log();
	snprintf(want, sizeof(want), "test-config: error: %s:2: YAML syntax error: ", p);
	if (!strstr(log, want))
		fail_msg("no '%s' in:\n%s", want, log);
	free(log);
	cfg_free(c);
}

static void test_odd_documents(void **state)
{
	struct ot_config *c = new_config();
	const char *p;

	p = write_file("empty.yaml", "");
	assert_int_equal(cfg_load_file(c, p), 0);
	p = write_file("comments.yaml", "# nothing here\n\n# at all\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	p = write_file("dashes.yaml", "---\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(log_count("error"), 0);

	p = write_file("scalar.yaml", "just words\n");
	assert_int_equal(cfg_load_file(c, p), 1);
	log_has("error", "%s:1: the top level must be a mapping of keys (key: value lines)", p);

	p = write_file("seq.yaml", "- a\n- b\n");
	assert_int_equal(cfg_load_file(c, p), 1);
	log_has("error", "%s:1: the top level must be a mapping of keys (key: value lines)", p);

	p = write_file("twodocs.yaml", "flow.max: 2\n---\nflow.max: 3\n");
	assert_int_equal(cfg_load_file(c, p), 1);
	log_has("error", "%s:2: a second YAML document: a configuration file holds one; "
		"the rest is ignored", p);
	assert_int_equal(cfg_uint(c, "flow.max"), 2);

	p = write_file("alias.yaml",
		"stream:\n"
		"  depth: &d 2mb\n"
		"  reassembly:\n"
		"    depth: *d\n"
		"? [complex, key]\n"
		": 1\n"
		"capture.interface: \"a\\0b\"\n");
	assert_int_equal(cfg_load_file(c, p), 3);
	log_has("error", "%s:4: 'stream.reassembly.depth': aliases (*name) are not supported", p);
	log_has("error", "%s:5: a key must be a plain name, not a list", p);
	log_has("error", "%s:7: the value of 'capture.interface' contains a NUL character", p);
	assert_int_equal(cfg_uint(c, "stream.depth"), 2 << 20);
	assert_null(cfg_str(c, "capture.interface"));

	/* null unsets a string; a quoted empty string is a value */
	p = write_file("null.yaml", "capture:\n  interface: eth1\n  bpf: ~\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	assert_string_equal(cfg_str(c, "capture.interface"), "eth1");
	assert_null(cfg_str(c, "capture.bpf"));
	p = write_file("null2.yaml", "capture.interface: ''\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	assert_string_equal(cfg_str(c, "capture.interface"), "");
	cfg_free(c);
}

static void test_unreadable(void **state)
{
	struct ot_config *c = new_config();
	char p[300];

	snprintf(p, sizeof(p), "%s/missing.yaml", dir);
	assert_int_equal(cfg_load_file(c, p), -1);
	log_has("error", "%s: cannot open: No such file or directory", p);
	assert_int_equal(cfg_load_file(c, dir), -1);
	log_has("error", "%s: cannot read: Is a directory", dir);
	assert_int_equal(log_count("error"), 2);
	cfg_free(c);
}

static void test_set(void **state)
{
	struct ot_config *c = new_config();
	const char *const *items;
	const char *p = write_file("set.yaml",
		"stream:\n"
		"  depth: 2mb\n"
		"flow.max: 10\n");

	assert_int_equal(cfg_load_file(c, p), 0);
	/* --set wins over the file */
	assert_int_equal(cfg_set(c, "stream.depth=8kb", false), 0);
	assert_int_equal(cfg_uint(c, "stream.depth"), 8 << 10);
	assert_string_equal(cfg_origin(c, "stream.depth"), "--set");
	char want[300];
	snprintf(want, sizeof(want), "%s:3", p);
	assert_string_equal(cfg_origin(c, "flow.max"), want);
	assert_int_equal(cfg_set(c, " home-net = 1.2.3.4, 5.6.7.8 ", false), 0);
	assert_int_equal(cfg_list(c, "home-net", &items), 2);
	assert_string_equal(items[0], "1.2.3.4");
	assert_string_equal(items[1], "5.6.7.8");
	assert_int_equal(cfg_set(c, "capture.bpf=tcp port 80", false), 0);
	assert_string_equal(cfg_str(c, "capture.bpf"), "tcp port 80");
	assert_int_equal(cfg_set(c, "log.level=a=b", false), 0);
	assert_string_equal(cfg_str(c, "log.level"), "a=b");
	assert_int_equal(log_count("error") + log_count("warning"), 0);

	/* errors */
	assert_int_equal(cfg_set(c, "stream.depth=abc", false), -1);
	log_has("error", "--set stream.depth=abc: 'stream.depth' must be a size such as 1mb, "
		"not 'abc'");
	assert_int_equal(cfg_uint(c, "stream.depth"), 8 << 10);
	assert_int_equal(cfg_set(c, "flow.max", false), -1);
	log_has("error", "--set flow.max: expected key=value");
	assert_int_equal(cfg_set(c, "=5", true), -1);
	log_has("error", "--set =5: no key before '='");
	assert_int_equal(cfg_set(c, "stream=5", true), -1);
	log_has("error", "--set stream=5: 'stream' is a section with sub-keys such as "
		"'stream.depth', not a single value");
	assert_int_equal(cfg_set(c, "flow.mx=5", false), -1);
	log_has("error", "--set flow.mx=5: unknown key 'flow.mx'; did you mean 'flow.max'?");
	assert_int_equal(log_count("error"), 5);
	assert_int_equal(log_count("warning"), 0);

	/* unknown and accepted: a warning */
	assert_int_equal(cfg_set(c, "flow.mx=5", true), 1);
	log_has("warning", "--set flow.mx=5: unknown key 'flow.mx', ignored; "
		"did you mean 'flow.max'?");
	assert_int_equal(cfg_set(c, "detect.profile=high", true), 1);
	log_has("warning", "--set detect.profile=high: unknown key 'detect.profile', ignored");
	assert_int_equal(log_count("warning"), 2);
	assert_int_equal(log_count("error"), 5);
	assert_int_equal(cfg_uint(c, "flow.max"), 10);

	/* a file read after --set overrides it (the caller orders them) */
	p = write_file("set2.yaml", "stream.depth: 1gb\n");
	assert_int_equal(cfg_load_file(c, p), 0);
	assert_int_equal(cfg_uint(c, "stream.depth"), 1ULL << 30);
	cfg_free(c);
}

static void test_docs(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	cfg_print_docs(keys, NKEYS, f);
	fclose(f);
	assert_string_equal(buf,
		"| key | type | default | meaning |\n"
		"| --- | --- | --- | --- |\n"
		"| `stream.depth` | size | `1mb` | bytes of a stream to inspect |\n"
		"| `stream.reassembly.depth` | size, from 4kb to 1gb | `1mb` | reassembly depth |\n"
		"| `stream.reassembly.enabled` | boolean | `yes` | reassemble TCP streams |\n"
		"| `flow.max` | integer, from 1 to 1000000 | `65536` | flows tracked at once |\n"
		"| `capture.interface` | string | (unset) | interface to capture on |\n"
		"| `capture.bpf` | string | (empty) | capture filter \\| BPF syntax |\n"
		"| `home-net` | list | `10.0.0.0/8, 192.168.0.0/16` | local networks |\n"
		"| `outputs.eve.types` | list | (unset) | event types written |\n"
		"| `outputs.eve.enabled` | boolean | `no` | write EVE JSON |\n"
		"| `log.level` | string | `notice` | least severe message logged |\n");
	free(buf);
}

static void test_bad_tables(void **state)
{
	static const struct cfg_key dup[] = {
		{ "a.b", CFG_UINT, "1", 0, 10, "" },
		{ "a.b", CFG_UINT, "1", 0, 10, "" },
	};
	static const struct cfg_key clash[] = {
		{ "a.b", CFG_UINT, "1", 0, 10, "" },
		{ "a", CFG_UINT, "1", 0, 10, "" },
	};
	static const struct cfg_key bad_default[] = {
		{ "a.b", CFG_UINT, "11", 0, 10, "" },
	};
	static const struct cfg_key bad_name[] = {
		{ "a..b", CFG_STR, NULL, 0, 0, "" },
	};
	assert_null(cfg_new(dup, 2));
	log_has("error", "configuration table: 'a.b' clashes with 'a.b'");
	assert_null(cfg_new(clash, 2));
	log_has("error", "configuration table: 'a' clashes with 'a.b'");
	assert_null(cfg_new(bad_default, 1));
	log_has("error", "configuration table: default of 'a.b': 'a.b' must be a whole number "
		"up to 10, not '11'");
	assert_null(cfg_new(bad_name, 1));
	log_has("error", "configuration table: bad entry 0 ('a..b')");
	struct ot_config *c = cfg_new(NULL, 0);
	assert_non_null(c);
	cfg_free(c);
	cfg_free(NULL);
}

static void test_unknown_getter_asserts(void **state)
{
#ifdef NDEBUG
	skip();
#else
	struct ot_config *c = new_config();
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child dies on the assertion; no core file, no noise */
		freopen("/dev/null", "w", stderr);
		cfg_uint(c, "no.such.key");
		_exit(0);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	cfg_free(c);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, setup),
		cmocka_unit_test_setup(test_nested, setup),
		cmocka_unit_test_setup(test_lists, setup),
		cmocka_unit_test_setup(test_type_errors, setup),
		cmocka_unit_test_setup(test_unknown_keys, setup),
		cmocka_unit_test_setup(test_control_chars_escaped, setup),
		cmocka_unit_test_setup(test_duplicates, setup),
		cmocka_unit_test_setup(test_syntax_error, setup),
		cmocka_unit_test_setup(test_odd_documents, setup),
		cmocka_unit_test_setup(test_unreadable, setup),
		cmocka_unit_test_setup(test_set, setup),
		cmocka_unit_test_setup(test_docs, setup),
		cmocka_unit_test_setup(test_bad_tables, setup),
		cmocka_unit_test_setup(test_unknown_getter_asserts, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
