/*
 * srv-setup.c - see srv-setup.h.
 *
 * Privileges: a server started as root (by init) opens its port and log
 * file as root, then becomes run-as.user before it reads anything a device
 * sends or creates any file in its state folder, so every file there
 * belongs to that user.  otasukectl run as root does the same before it
 * opens the store, so that it never leaves a root-owned database file (or
 * SQLite's -wal and -shm files) that the server could then not open.
 */
#include "srv-setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify.h"
#include "srv-config.h"
#include "../lib/log.h"
#include "../lib/privs.h"
#include "../lib/util.h"

int srv_parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len)
{
	char host[256];
	const char *port;
	uint64_t p;

	memset(addr, 0, sizeof(*addr));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		port = colon + 1;
	}
	if (ot_parse_u64(port, 0, 65535, false, &p) < 0)
		return -1;
	struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)p);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*v6);
		return 0;
	}
	return -1;
}

struct ot_config *srv_config_load(const char *path, const char *const *sets, int nsets,
				  bool keep_level, int *problems)
{
	struct ot_config *cfg = cfg_new(srv_cfg_keys, srv_cfg_nkeys);
	struct sockaddr_storage ss;
	socklen_t sl;
	char names[128];

	*problems = 0;
	if (!cfg)
		return NULL;
	if (!path && access(SRV_DEFAULT_CONFIG, R_OK) == 0)
		path = SRV_DEFAULT_CONFIG;
	if (path) {
		int r = cfg_load_file(cfg, path);
		*problems += r < 0 ? 1 : r;
	}
	for (int i = 0; i < nsets; i++)
		if (cfg_set(cfg, sets[i], false) < 0)
			(*problems)++;

	int lvl = ot_log_level_parse(cfg_str(cfg, "logging.level"));
	if (lvl < 0) {
		ot_err("%s: logging.level '%s': expected error, warning, notice, info or debug",
		       cfg_origin(cfg, "logging.level"), cfg_str(cfg, "logging.level"));
		(*problems)++;
	} else if (!keep_level) {
		ot_log_set_level(lvl);
	}
	const char *backend = cfg_str(cfg, "store.backend");
	if (!store_backend_known(backend)) {
		ot_err("%s: store.backend '%s': expected one of %s", cfg_origin(cfg, "store.backend"),
		       backend ? backend : "", store_backend_names(names, sizeof(names)));
		(*problems)++;
	} else if (!strcmp(backend, "postgresql") && !cfg_str(cfg, "store.postgresql.conninfo")) {
		ot_err("%s: store.backend is postgresql but store.postgresql.conninfo is not set",
		       cfg_origin(cfg, "store.backend"));
		(*problems)++;
	}
	const char *listen = cfg_str(cfg, "listen");
	if (!listen || srv_parse_listen(listen, &ss, &sl) < 0) {
		ot_err("%s: listen '%s': expected ADDRESS:PORT such as 127.0.0.1:8443 or [::1]:8443",
		       cfg_origin(cfg, "listen"), listen ? listen : "");
		(*problems)++;
	}
	if (cfg_uint(cfg, "http.max-buffered") < 2 * cfg_uint(cfg, "ingest.max-bytes")) {
		ot_err("%s: http.max-buffered must be at least twice ingest.max-bytes, so that "
		       "the largest batch can be received", cfg_origin(cfg, "http.max-buffered"));
		(*problems)++;
	}
	if (!cfg_str(cfg, "state-dir") || cfg_str(cfg, "state-dir")[0] != '/') {
		ot_err("%s: state-dir must be an absolute path", cfg_origin(cfg, "state-dir"));
		(*problems)++;
	}
	struct notify_settings ns;
	if (notify_settings_from_config(&ns, cfg) < 0)
		(*problems)++;
	const char *url = cfg_str(cfg, "console.url");
	if (url && strncmp(url, "https://", 8) && strncmp(url, "http://", 7)) {
		ot_err("%s: console.url '%s': expected https://HOST[:PORT][/PATH]",
		       cfg_origin(cfg, "console.url"), url);
		(*problems)++;
	}
	return cfg;
}

static struct passwd *run_as(const struct ot_config *cfg)
{
	return ot_account(cfg_str(cfg, "run-as.user"), "run-as.user");
}

int srv_state_prepare(const struct ot_config *cfg)
{
	const char *dir = cfg_str(cfg, "state-dir");
	/* the database holds customers' data: no file of ours is for others */
	umask(027);
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		ot_err("state-dir %s: cannot create: %s", dir, strerror(errno));
		return -1;
	}
	if (geteuid() == 0) {
		struct passwd *pw = run_as(cfg);
		if (!pw)
			return -1;
		if (chown(dir, pw->pw_uid, pw->pw_gid) < 0) {
			ot_err("state-dir %s: cannot hand it to %s: %s", dir, pw->pw_name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int srv_drop_privileges(const struct ot_config *cfg)
{
	if (geteuid() != 0)
		return 0;
	struct passwd *pw = run_as(cfg);
	return pw ? ot_become(pw) : -1;
}

struct store *srv_store_open(const struct ot_config *cfg)
{
	char path[4096];
	const char *db = cfg_str(cfg, "store.sqlite.path");
	if (db[0] == '/')
		snprintf(path, sizeof(path), "%s", db);
	else
		snprintf(path, sizeof(path), "%s/%s", cfg_str(cfg, "state-dir"), db);
	struct store_params p = {
		.backend = cfg_str(cfg, "store.backend"),
		.sqlite_path = path,
		.pg_conninfo = cfg_str(cfg, "store.postgresql.conninfo"),
		.connections = (unsigned)cfg_uint(cfg, "store.connections"),
	};
	return store_open(&p);
}

struct ca *srv_ca_open(const struct ot_config *cfg)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/ca", cfg_str(cfg, "state-dir"));
	return ca_open(dir);
}
