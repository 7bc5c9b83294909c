/*
 * main.c - otasuke-sensor's command line.
 *
 * Reads capture files (-r) or captures live (-i), and writes EVE events into
 * the log folder (-l).  Suricata's spelling of the options that suricata-verify
 * and operators use is accepted (-k, --set, -S, --runmode, --simulate-ips):
 * the ones with an equivalent here are honoured, the others are reported as
 * ignored.  Rules (-S, -s, rule-files) and IP reputation lists are loaded
 * (detect-load.h), checked and matched (detect-engine.h): alerts are
 * written as EVE alert events.  SIGHUP reloads them (detect-reload.h).
 * With outputs.upload.enabled, events also go to otasuked
 * (output-upload.c); --enroll obtains the certificate that needs, once.
 * See docs/otasuke-sensor.md.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "detect-engine.h"
#include "detect-load.h"
#include "detect-parse.h"
#include "detect-reload.h"
#include "eve.h"
#include "output.h"
#include "sensor.h"
#include "sensor-config.h"
#include "source-pcap.h"
#include "../lib/config.h"
#include "../lib/enroll.h"
#include "../lib/log.h"
#include "../lib/privs.h"

#define DEFAULT_CONFIG "/etc/otasuke/otasuke.yaml"
#define DEFAULT_STATE_DIR "/var/lib/otasuke"

static volatile sig_atomic_t stop_flag;
static struct live_source *volatile live_capture;   /* set while capturing live */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	if (live_capture)
		source_live_break(live_capture);
}

static void usage(FILE *out)
{
	fputs(
"Usage: otasuke-sensor [options] [BPF expression]\n"
"Watch network traffic and write what happened as EVE JSON events.\n"
"\n"
"Input (one of):\n"
"  -r PATH            read a pcap/pcapng file, or every file in a folder\n"
"  -i IFACE           capture live on a network interface (needs root or CAP_NET_RAW)\n"
"\n"
"Options:\n"
"  -c FILE            configuration file (default " DEFAULT_CONFIG " when it exists)\n"
"  -l DIR             folder for eve.json (default: default-log-dir)\n"
"  -F FILE            read the BPF filter from FILE\n"
"  -k all|none        checksum validation (none: accept packets with bad checksums)\n"
"  --set KEY=VALUE    override a configuration key (repeatable)\n"
"  -T                 check the configuration, report every problem, and exit\n"
"  --enroll URL       enroll with otasuked at URL (https://HOST:PORT), once, and exit:\n"
"                     makes this sensor's key, obtains its certificate, and prints\n"
"                     the configuration that uploads events\n"
"  --token TOKEN      with --enroll: the one-time enrollment token\n"
"  --ca FILE          with --enroll: the server's CA certificate, given with the token\n"
"  --name NAME        with --enroll: this sensor's name (default: the host name)\n"
"  --state-dir DIR    with --enroll: where the key and certificate go\n"
"                     (default " DEFAULT_STATE_DIR ")\n"
"  -S FILE           load rules from FILE instead of rule-files (repeatable)\n"
"  -s FILE           load rules from FILE besides rule-files (repeatable)\n"
"  --dump-rejected    load the rules, print every rejected one (and every one\n"
"                     loaded but not matched yet), and exit\n"
"  --summary          print a short summary of what was seen at the end\n"
"  --dump-config      print every configuration key with its default and meaning\n"
"  -v                 more diagnostics (repeat for debug)\n"
"  -q                 only errors\n"
"  --help, --version\n"
"\n"
"Accepted for Suricata compatibility and ignored: --runmode=MODE, --simulate-ips,\n"
"--init-errors-fatal, -k none is honoured.\n"
"Full reference: docs/otasuke-sensor.md and docs/otasuke-sensor.yaml.md.\n", out);
}

enum {
	OPT_SET = 256, OPT_SUMMARY, OPT_DUMP_CONFIG, OPT_RUNMODE, OPT_SIMULATE_IPS,
	OPT_INIT_FATAL, OPT_HELP, OPT_VERSION, OPT_DUMP_REJECTED, OPT_ENROLL, OPT_TOKEN, OPT_CA,
	OPT_NAME, OPT_STATE_DIR,
};

static const struct option long_opts[] = {
	{ "set", required_argument, NULL, OPT_SET },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
	{ "dump-rejected", no_argument, NULL, OPT_DUMP_REJECTED },
	{ "runmode", required_argument, NULL, OPT_RUNMODE },
	{ "simulate-ips", no_argument, NULL, OPT_SIMULATE_IPS },
	{ "init-errors-fatal", no_argument, NULL, OPT_INIT_FATAL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "enroll", required_argument, NULL, OPT_ENROLL },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	const char *config;
	const char *read;
	const char *iface;
	const char *logdir;
	const char *bpf_file;
	char *bpf;
	const char *sets[64];
	int nsets;
	bool test_only;
	bool summary;
	bool dump_rejected;
	const char *rules_S[1024];        /* -S: instead of rule-files */
	int nrules_S;
	const char *rules_s[1024];        /* -s: besides rule-files */
	int nrules_s;
	int verbose;
	bool quiet;
	const char *enroll_url;           /* --enroll and its companions */
	const char *token;
	const char *ca;
	const char *name;
	const char *state_dir;
};

static char *read_bpf_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		ot_err("-F %s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = calloc(1, len);
	for (int i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* 0 to go on, 1 to exit 0 now, -1 to exit with a usage error */
static int parse_cli(int argc, char **argv, struct cli *c)
{
	int o;
	while ((o = getopt_long(argc, argv, "c:r:i:l:F:k:S:s:Tvq", long_opts, NULL)) != -1) {
		switch (o) {
		case 'c': c->config = optarg; break;
		case 'r': c->read = optarg; break;
		case 'i': c->iface = optarg; break;
		case 'l': c->logdir = optarg; break;
		case 'F': c->bpf_file = optarg; break;
		case 'k':
			if (strcmp(optarg, "none") && strcmp(optarg, "all")) {
				ot_err("-k %s: expected 'all' or 'none'", optarg);
				return -1;
			}
			if (c->nsets < 64)
				c->sets[c->nsets++] = strcmp(optarg, "all") ? "checksum-validation=no"
									   : "checksum-validation=yes";
			break;
		case 'S':
		case 's':
			if ((o == 'S' ? c->nrules_S : c->nrules_s) >= 1024) {
				ot_err("too many -%c options (at most 1024)", o);
				return -1;
			}
			if (o == 'S')
				c->rules_S[c->nrules_S++] = optarg;
			else
				c->rules_s[c->nrules_s++] = optarg;
			break;
		case OPT_DUMP_REJECTED: c->dump_rejected = true; break;
		case 'T': c->test_only = true; break;
		case 'v': c->verbose++; break;
		case 'q': c->quiet = true; break;
		case OPT_SET:
			if (c->nsets >= 64) {
				ot_err("too many --set options (at most 64)");
				return -1;
			}
			c->sets[c->nsets++] = optarg;
			break;
		case OPT_SUMMARY: c->summary = true; break;
		case OPT_DUMP_CONFIG:
			cfg_print_docs(sensor_cfg_keys, sensor_cfg_nkeys, stdout);
			return 1;
		case OPT_RUNMODE:
			ot_notice("--runmode=%s: this sensor has one run mode; ignored", optarg);
			break;
		case OPT_SIMULATE_IPS:
			ot_warn("--simulate-ips: inline blocking is not part of this build; ignored");
			break;
		case OPT_INIT_FATAL: break;
		case OPT_ENROLL: c->enroll_url = optarg; break;
		case OPT_TOKEN: c->token = optarg; break;
		case OPT_CA: c->ca = optarg; break;
		case OPT_NAME: c->name = optarg; break;
		case OPT_STATE_DIR: c->state_dir = optarg; break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("otasuke-sensor %s\n", OT_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc)
		c->bpf = join_args(argc - optind, argv + optind);
	return 0;
}

static int ensure_dir(const char *dir)
{
	struct stat sb;
	if (stat(dir, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -1;
	if (mkdir(dir, 0750) < 0) {
		ot_err("cannot create log folder %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void hand_over(const char *path, const struct passwd *pw)
{
	if (chown(path, pw->pw_uid, pw->pw_gid) < 0)
		ot_warn("cannot hand %s to %s: %s", path, pw->pw_name, strerror(errno));
}

/* After the capture and the outputs are open, a root sensor becomes
 * run-as.user.  (The upload spool gives its files to that user itself.) */
static int drop_privileges(const char *user, const char *logdir)
{
	if (geteuid() != 0)
		return 0;
	struct passwd *pw = ot_account(user, "run-as.user");
	if (!pw)
		return -1;
	hand_over(logdir, pw);
	return ot_become(pw);
}

/* Seconds on clock c, for the rule-loading times people read. */
static double now_s(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A value for YAML, single-quoted (a path may hold ': ' or '#'). */
static void yaml_quoted(const char *s)
{
	putchar('\'');
	for (; *s; s++) {
		if (*s == '\'')
			putchar('\'');
		putchar(*s);
	}
	putchar('\'');
}

/*
 * --enroll: the files are written by enroll_device(); a root sensor reads
 * them later as run-as.user (live capture drops root, and the key is read
 * at each new connection), so as root the folder and files are handed to
 * that user.
 */
static int run_enroll(const struct cli *c, const struct ot_config *cfg)
{
	char host[256] = "", spool[4200];
	struct enroll_result res;
	if (!c->token || !c->ca) {
		ot_err("--enroll needs --token TOKEN and --ca FILE (the provider gives both; "
		       "otasukectl prints them)");
		return 2;
	}
	if (strncmp(c->enroll_url, "https://", 8)) {
		ot_err("--enroll %s: expected https://HOST:PORT of otasuked", c->enroll_url);
		return 2;
	}
	struct enroll_req rq = {
		.url = c->enroll_url, .token = c->token, .ca_file = c->ca, .name = c->name,
		.kind = "sensor", .dir = c->state_dir ? c->state_dir : DEFAULT_STATE_DIR,
	};
	if (!rq.name) {
		gethostname(host, sizeof(host) - 1);
		rq.name = host;
	}
	if (enroll_device(&rq, &res) < 0)
		return 1;
	snprintf(spool, sizeof(spool), "%s/spool", rq.dir);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam(cfg_str(cfg, "run-as.user"));
		if (pw) {
			const char *files[] = { rq.dir, res.key_file, res.cert_file, res.ca_file };
			for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
				hand_over(files[i], pw);
			printf("The files belong to %s (run-as.user), the user the sensor runs as.\n",
			       pw->pw_name);
		}
	}
	printf("Enrolled '%s' as device %s of tenant %s.\n", rq.name, res.device_id, res.tenant_id);
	printf("  key:         %s (made here; it never leaves this machine)\n", res.key_file);
	printf("  certificate: %s\n  server CA:   %s\n\n", res.cert_file, res.ca_file);
	printf("To send events to the server, add this to the configuration (%s),\n"
	       "merged with the sections already there:\n\n",
	       c->config ? c->config : DEFAULT_CONFIG);
	printf("outputs:\n  upload:\n    enabled: yes\nupload:\n  url: ");
	yaml_quoted(c->enroll_url);
	printf("\n  ca-file: ");
	yaml_quoted(res.ca_file);
	printf("\n  cert-file: ");
	yaml_quoted(res.cert_file);
	printf("\n  key-file: ");
	yaml_quoted(res.key_file);
	printf("\n  spool:\n    dir: ");
	yaml_quoted(spool);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	int rc = 1, problems;
	struct sensor *s = NULL;
	struct live_source *ls = NULL;
	struct source_stats st = { 0 };
	struct ruleset *rules = NULL;
	struct detect_reload *reload = NULL;
	bool no_rules;
	int broken;

	/* before any thread: SIGHUP is for the reload thread's sigwait() */
	detect_reload_block_signals();
	ot_log_init("otasuke-sensor");
	/* a connection the server closed is an error for the uploader and the
	 * enrollment to handle, not the end of the program (libcurl leaves
	 * SIGPIPE to the program when it may not touch signals) */
	signal(SIGPIPE, SIG_IGN);
	int pr = parse_cli(argc, argv, &c);
	if (pr)
		return pr > 0 ? 0 : 2;
	if (c.quiet)
		ot_log_set_level(OT_LOG_ERROR);
	else if (c.verbose)
		ot_log_set_level(c.verbose > 1 ? OT_LOG_DEBUG : OT_LOG_INFO);

	if (!c.config && access(DEFAULT_CONFIG, R_OK) == 0)
		c.config = DEFAULT_CONFIG;
	struct ot_config *cfg = sensor_config_load(c.config, c.sets, c.nsets, &problems);
	if (!cfg)
		return 1;
	if (!c.quiet && !c.verbose) {
		int lvl = ot_log_level_parse(cfg_str(cfg, "logging.level"));
		if (lvl < 0) {
			ot_err("logging.level '%s': expected error, warning, notice, info or debug",
			       cfg_str(cfg, "logging.level"));
			problems++;
		} else {
			ot_log_set_level(lvl);
		}
	}
	if (c.enroll_url) {
		rc = run_enroll(&c, cfg);
		cfg_free(cfg);
		return rc;
	}
	const char *policy = cfg_str(cfg, "stream.reassembly.overlap-policy");
	if (strcmp(policy, "first") && strcmp(policy, "last")) {
		ot_err("%s: stream.reassembly.overlap-policy '%s': expected 'first' or 'last'",
		       cfg_origin(cfg, "stream.reassembly.overlap-policy"), policy);
		problems++;
	}
	problems += output_check(cfg);
	if (c.test_only) {
		if (problems)
			ot_err("configuration has %d problem%s", problems, problems > 1 ? "s" : "");
		else
			printf("configuration OK\n");
		cfg_free(cfg);
		return problems ? 1 : 0;
	}
	if (problems)
		goto out;
	const struct detect_reload_src src = {
		.config = c.config, .sets = c.sets, .nsets = c.nsets,
		.rules = { c.rules_S, c.nrules_S, c.rules_s, c.nrules_s, c.dump_rejected },
	};
	/* rule loading is timed for people: wall clock, and CPU for busy machines */
	double t_cpu = now_s(CLOCK_PROCESS_CPUTIME_ID), t_parse = now_s(CLOCK_MONOTONIC);
	rules = detect_load(&src.rules, cfg, &no_rules, &broken);
	t_parse = now_s(CLOCK_MONOTONIC) - t_parse;
	if (!rules && !no_rules)
		goto out;
	if (c.dump_rejected) {
		if (rules) {
			ruleset_dump_rejected(rules, stdout);
			detect_engine_dump_left_out(rules, stdout);
		}
		rc = 0;
		goto out;
	}
	if (cfg_str(cfg, "logging.file") && ot_log_set_file(cfg_str(cfg, "logging.file")) < 0) {
		ot_err("logging.file %s: %s", cfg_str(cfg, "logging.file"), strerror(errno));
		goto out;
	}
	if (!c.iface)
		c.iface = cfg_str(cfg, "pcap.interface");
	if (!c.read && !c.iface) {
		ot_err("nothing to read: give -r FILE or -i INTERFACE (see --help)");
		rc = 2;
		goto out;
	}
	if (c.bpf_file && !(c.bpf = read_bpf_file(c.bpf_file)))
		goto out;
	const char *bpf = c.bpf ? c.bpf : cfg_str(cfg, "pcap.bpf-filter");
	const char *logdir = c.logdir ? c.logdir : cfg_str(cfg, "default-log-dir");
	if (ensure_dir(logdir) < 0)
		goto out;

	if (c.iface && !c.read) {
		struct live_opts lo = {
			.iface = c.iface, .bpf = bpf,
			.promisc = cfg_bool(cfg, "pcap.promisc"),
			.snaplen = (int)cfg_uint(cfg, "pcap.snaplen"),
			.buffer_size = (int)cfg_uint(cfg, "pcap.buffer-size"),
		};
		if (!(ls = source_live_open(&lo)))
			goto out;
	}
	char host[256] = "";
	if (!cfg_str(cfg, "sensor.id"))
		gethostname(host, sizeof(host) - 1);
	eve_set_identity(cfg_str(cfg, "sensor.id") ? cfg_str(cfg, "sensor.id") : host,
			 cfg_str(cfg, "sensor.tenant"));
	if (!(s = sensor_new(cfg, logdir)))
		goto out;
	double t_build = now_s(CLOCK_MONOTONIC);
	bool any = rules;
	int set = sensor_set_rules(s, rules);
	rules = NULL;           /* the pipeline's now */
	if (set < 0)
		goto out;
	t_build = now_s(CLOCK_MONOTONIC) - t_build;
	if (any)
		ot_notice("rules ready in %.2f s (parsing %.2f s, engine %.2f s; %.2f s of CPU)",
			  t_parse + t_build, t_parse, t_build, now_s(CLOCK_PROCESS_CPUTIME_ID) - t_cpu);
	reload = detect_reload_start(s, &src);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ls) {
		if (drop_privileges(cfg_str(cfg, "run-as.user"), logdir) < 0)
			goto out;
		ot_notice("capturing on %s", c.iface);
		live_capture = ls;
		rc = source_live_run(ls, s, &stop_flag, &st) < 0 ? 1 : 0;
		live_capture = NULL;
		if (st.kernel_drops)
			ot_warn("%s: the kernel dropped %llu packets", c.iface,
				(unsigned long long)st.kernel_drops);
	} else {
		rc = source_read_path(s, c.read, bpf, &stop_flag, &st) < 0 ? 1 : 0;
	}
	sensor_finish(s);
	if (c.summary) {
		sensor_summary(s, stdout);
		printf("Events are in %s/%s\n", logdir, cfg_str(cfg, "outputs.eve.filename"));
	}
out:
	detect_reload_stop(reload);
	ruleset_free(rules);
	sensor_free(s);
	source_live_close(ls);
	cfg_free(cfg);
	free(c.bpf);
	return rc;
}
