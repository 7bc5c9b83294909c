/*
 * main.c - otasuked, the provider's server: devices enroll and upload their
 * events here (HTTPS with client certificates); it stores them, turns
 * their alerts into incidents and queues notifications about them.
 *
 * Start-up order, each step only once the one before worked: read and check
 * the configuration; open the log file and the listening port (as root if
 * started so, for a port below 1024 or a log folder of root's); become
 * run-as.user; open (or create) the CA and issue this run's server
 * certificate; open the store and bring its schema up to date; start the
 * correlator and the notifier (correlate.h, notifier.h); serve until
 * SIGINT or SIGTERM, then finish the requests in progress and stop.
 * It runs in the foreground and logs to stderr or logging.file (for
 * systemd or any supervisor).  See docs/otasuked.md.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "api.h"
#include "classmap.h"
#include "correlate.h"
#include "notifier.h"
#include "deliver.h"
#include "http.h"
#include "retention.h"
#include "srv-config.h"
#include "srv-setup.h"
#include "token.h"
#include "../lib/log.h"

static void usage(FILE *out)
{
	fputs(
"Usage: otasuked [options]\n"
"Serve device enrollment and event upload over HTTPS, store the events, and\n"
"turn their alerts into incidents and queued notifications.\n"
"\n"
"Options:\n"
"  -c FILE            configuration file (default " SRV_DEFAULT_CONFIG " when it exists)\n"
"  --set KEY=VALUE    override a configuration key (repeatable)\n"
"  -T                 check the configuration, report every problem, and exit\n"
"  --dump-config      print every configuration key with its default and meaning\n"
"  --dump-routes      print every route of the API: method, path, who may call it\n"
"  -v                 more diagnostics (repeat for debug)\n"
"  -q                 only errors\n"
"  --help, --version\n"
"\n"
"Full reference: docs/otasuked.md and docs/otasuked.yaml.md.\n", out);
}

enum { OPT_SET = 256, OPT_DUMP_CONFIG, OPT_DUMP_ROUTES, OPT_HELP, OPT_VERSION };

static const struct option long_opts[] = {
	{ "set", required_argument, NULL, OPT_SET },
	{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
	{ "dump-routes", no_argument, NULL, OPT_DUMP_ROUTES },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define MAX_SETS 64

struct cli {
	const char *config;
	const char *sets[MAX_SETS];
	int nsets;
	bool test_only;
	int verbose;
	bool quiet;
};

/* 0 to go on, 1 to exit 0 now, -1 to exit with a usage error */
static int parse_cli(int argc, char **argv, struct cli *c)
{
	int o;
	while ((o = getopt_long(argc, argv, "c:Tvq", long_opts, NULL)) != -1) {
		switch (o) {
		case 'c': c->config = optarg; break;
		case 'T': c->test_only = true; break;
		case 'v': c->verbose++; break;
		case 'q': c->quiet = true; break;
		case OPT_SET:
			if (c->nsets >= MAX_SETS) {
				ot_err("too many --set options (at most %d)", MAX_SETS);
				return -1;
			}
			c->sets[c->nsets++] = optarg;
			break;
		case OPT_DUMP_CONFIG:
			cfg_print_docs(srv_cfg_keys, srv_cfg_nkeys, stdout);
			return 1;
		case OPT_DUMP_ROUTES:
			for (size_t i = 0; i < api_nroutes; i++)
				printf("%s\t%s\t%s\n", api_routes[i].method, api_routes[i].path,
				       auth_need_name(api_routes[i].need));
			return 1;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("otasuked %s\n", OT_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		ot_err("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}

/* The listening socket for listen; logs the address it got. */
static int open_listen(const char *listen_at)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[INET6_ADDRSTRLEN];
	int one = 1;

	if (srv_parse_listen(listen_at, &ss, &sl) < 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		ot_err("listen %s: %s", listen_at, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	unsigned port;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		ot_notice("listening on https://[%s]:%u/", host, port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		ot_notice("listening on https://%s:%u/", host, port);
	}
	return fd;
}

/* incident.classification-file into *classes: a file missing at its
 * default place only means alerts get no explanation key; one configured
 * but unreadable stops the server. */
static int open_classes(const struct ot_config *cfg, struct classmap **classes)
{
	const char *path = cfg_str(cfg, "incident.classification-file");
	bool dflt = !strcmp(cfg_origin(cfg, "incident.classification-file"), "default");
	*classes = NULL;
	if (!path || !*path || (dflt && access(path, F_OK) < 0)) {
		ot_notice("incident.classification-file %s: absent; alerts of sensors get no "
			  "explanation key", path ? path : "");
		return 0;
	}
	if (!(*classes = classmap_load(path)))
		return -1;
	ot_info("incident.classification-file %s: %zu classtypes", path,
		classmap_count(*classes));
	return 0;
}

static void wake_notifier(void *arg)
{
	notifier_wake(arg);
}

/* Each connection is a file descriptor, and a system's usual soft limit
 * (1024) is far below http.max-connections: raise it to the hard limit,
 * which needs no privilege, and say so when even that is too low. */
static void raise_nofile(unsigned max_connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_connections + 64;  /* the store, logs, listening */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		ot_warn("http.max-connections %u needs %llu open files, but the limit is %llu: "
			"raise it (ulimit -n, or LimitNOFILE= for systemd)", max_connections,
			(unsigned long long)want, (unsigned long long)rl.rlim_cur);
}

static int serve(const struct ot_config *cfg, int fd)
{
	struct srv srv = { 0 };
	struct classmap *classes = NULL;
	struct notifier *notifier = NULL;
	struct deliver dlv = { 0 };
	struct http_server *h = NULL;
	struct retention *ret = NULL;
	char *cert = NULL, *key = NULL;
	const char *const *names;
	size_t nnames = cfg_list(cfg, "tls.names", &names);
	sigset_t sigs;
	int sig, rc = 1;

	if (!(srv.ca = srv_ca_open(cfg)) ||
	    ca_issue_server(srv.ca, names, nnames, &cert, &key) < 0)
		goto out;
	if (!(srv.store = srv_store_open(cfg)) || open_classes(cfg, &classes) < 0)
		goto out;
	srv.limits.max_bytes = cfg_uint(cfg, "ingest.max-bytes");
	srv.limits.max_lines = (uint32_t)cfg_uint(cfg, "ingest.max-lines");
	/* gzip makes data that does not compress a little larger */
	srv.max_upload = srv.limits.max_bytes + srv.limits.max_bytes / 64 + 4096;
	srv.max_buffered = cfg_uint(cfg, "http.max-buffered");
	srv.rl = rl_new(cfg_uint(cfg, "ingest.rate-limit.events-per-second"),
			cfg_uint(cfg, "ingest.rate-limit.burst"));
	if (!srv.rl)
		goto out;
	srv.login_limit = auth_limiter_new(cfg_uint(cfg, "auth.login.burst"),
					   cfg_uint(cfg, "auth.login.refill"));
	if (!srv.login_limit)
		goto out;
	srv.session_ttl_us = (int64_t)cfg_uint(cfg, "auth.session-ttl") * 1000000;
	srv.api_token_ttl_us = (int64_t)cfg_uint(cfg, "auth.api-token-ttl") * 1000000;
	srv.enroll_ttl_us = (int64_t)cfg_uint(cfg, "enroll.token-ttl") * 1000000;

	/* the signals are waited for here, not delivered to the server's threads */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct http_params hp = {
		.listen_fd = fd,
		.cert_pem = cert,
		.key_pem = key,
		.ca_pem = ca_cert_pem(srv.ca),
		.threads = (unsigned)cfg_uint(cfg, "http.threads"),
		.max_connections = (unsigned)cfg_uint(cfg, "http.max-connections"),
		.timeout = (unsigned)cfg_uint(cfg, "http.timeout"),
		.srv = &srv,
	};
	struct notify_settings ns;
	if (notify_settings_from_config(&ns, cfg) < 0 || !(dlv.ctx = notify_ctx_new(&ns)))
		goto out;
	dlv.console_url = srv.console_url = cfg_str(cfg, "console.url");
	dlv.helpdesk = srv.helpdesk = cfg_str(cfg, "notify.helpdesk");
	struct notifier_cfg ncfg = {
		.store = srv.store,
		.deliver = deliver_notice,
		.deliver_ctx = &dlv,
		.escalate_after_us = (int64_t)cfg_uint(cfg, "notify.escalate-after") * 1000000,
		.retry_attempts = (unsigned)cfg_uint(cfg, "notify.retry.attempts"),
		.retry_initial_us = (int64_t)cfg_uint(cfg, "notify.retry.initial") * 1000000,
		.retry_max_delay_us = (int64_t)cfg_uint(cfg, "notify.retry.max-delay") * 1000000,
	};
	if (!(notifier = notifier_start(&ncfg)))
		goto out;
	struct correlate_cfg ccfg = {
		.store = srv.store,
		.window_us = (int64_t)cfg_uint(cfg, "incident.window") * 1000000,
		.classes = classes,
		.queued = wake_notifier,
		.queued_arg = notifier,
	};
	if (!(srv.correlate = correlate_start(&ccfg)))
		goto out;
	raise_nofile(hp.max_connections);
	if (!(h = http_start(&hp)))
		goto out;
	if (!(ret = retention_start(srv.store, (unsigned)cfg_uint(cfg, "retention.events-days"),
				    (unsigned)cfg_uint(cfg, "retention.interval"))))
		goto out;
	fd = -1;  /* libmicrohttpd owns it now */
	ot_notice("ready: %s store, CA %s (SHA-256 %s)", cfg_str(cfg, "store.backend"),
		  ca_cert_path(srv.ca), ca_fingerprint(srv.ca));
	while (sigwait(&sigs, &sig) == 0 && sig != SIGINT && sig != SIGTERM)
		;
	ot_notice("stopping (%s)", strsignal(sig));
	rc = 0;
out:
	retention_stop(ret);
	http_stop(h);
	if (fd >= 0)
		close(fd);
	correlate_stop(srv.correlate);
	notifier_stop(notifier);
	notify_ctx_free(dlv.ctx);
	classmap_free(classes);
	rl_free(srv.rl);
	auth_limiter_free(srv.login_limit);
	store_close(srv.store);
	ca_free(srv.ca);
	free(cert);
	free(key);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	int problems;

	ot_log_init("otasuked");
	int pr = parse_cli(argc, argv, &c);
	if (pr)
		return pr > 0 ? 0 : 2;
	if (c.quiet)
		ot_log_set_level(OT_LOG_ERROR);
	else if (c.verbose)
		ot_log_set_level(c.verbose > 1 ? OT_LOG_DEBUG : OT_LOG_INFO);
	struct ot_config *cfg = srv_config_load(c.config, c.sets, c.nsets, c.quiet || c.verbose,
						&problems);
	if (!cfg)
		return 1;
	if (c.test_only) {
		if (problems)
			ot_err("configuration has %d problem%s", problems, problems > 1 ? "s" : "");
		else
			printf("configuration OK\n");
		cfg_free(cfg);
		return problems ? 1 : 0;
	}
	int rc = 1, fd = -1;
	if (problems)
		goto out;
	if (token_init() < 0) {
		ot_err("libsodium cannot be initialised");
		goto out;
	}
	const char *logfile = cfg_str(cfg, "logging.file");
	if (logfile && ot_log_set_file(logfile) < 0) {
		ot_err("logging.file %s: %s", logfile, strerror(errno));
		goto out;
	}
	if (srv_state_prepare(cfg) < 0 || (fd = open_listen(cfg_str(cfg, "listen"))) < 0 ||
	    srv_drop_privileges(cfg) < 0)
		goto out;
	if (chdir(cfg_str(cfg, "state-dir")) < 0) {
		ot_err("state-dir %s: %s", cfg_str(cfg, "state-dir"), strerror(errno));
		goto out;
	}
	rc = serve(cfg, fd);
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	cfg_free(cfg);
	ot_log_set_file(NULL);
	return rc;
}
