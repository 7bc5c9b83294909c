/*
 * srv-config.c - otasuked's configuration keys.
 */
#include "srv-config.h"

#include <stdint.h>

#define GB(n) ((uint64_t)(n) << 30)

const struct cfg_key srv_cfg_keys[] = {
	{ "listen", CFG_STR, "127.0.0.1:8443", 0, 0, "address and port for HTTPS: HOST:PORT or [IPV6]:PORT (port 0: any free port, logged)" },
	{ "state-dir", CFG_STR, "/var/lib/otasuke", 0, 0, "folder of the CA (ca/) and the SQLite database" },
	{ "run-as.user", CFG_STR, "nobody", 0, 0, "started as root: the user the server (and otasukectl) becomes once the port is open" },
	{ "logging.level", CFG_STR, "notice", 0, 0, "error, warning, notice, info or debug" },
	{ "logging.file", CFG_STR, NULL, 0, 0, "write diagnostics to this file instead of stderr" },

	{ "tls.names", CFG_LIST, "localhost, 127.0.0.1", 0, 0, "host names and addresses devices reach the server by (put in the server certificate)" },
	{ "http.threads", CFG_UINT, "4", 1, 256, "threads serving connections" },
	{ "http.max-connections", CFG_UINT, "10000", 1, 1000000, "connections open at once; more are refused until some close" },
	{ "http.max-buffered", CFG_SIZE, "512mb", 1 << 20, GB(64), "request bodies held in memory at once, all connections together (503 beyond)" },
	{ "http.timeout", CFG_UINT, "60", 1, 3600, "seconds a connection may stay idle" },

	{ "store.backend", CFG_STR, "sqlite", 0, 0, "sqlite or postgresql" },
	{ "store.sqlite.path", CFG_STR, "otasuke.db", 0, 0, "SQLite database file, relative to state-dir" },
	{ "store.postgresql.conninfo", CFG_STR, NULL, 0, 0, "libpq connection string, e.g. 'host=/run/postgresql dbname=otasuke'" },
	{ "store.connections", CFG_UINT, "4", 1, 256, "database connections kept open" },

	{ "enroll.token-ttl", CFG_UINT, "86400", 60, 31536000, "seconds an enrollment token stays valid (otasukectl token create --ttl overrides)" },

	{ "ingest.max-bytes", CFG_SIZE, "8mb", 1024, GB(1), "largest batch, decompressed (413 beyond)" },
	{ "ingest.max-lines", CFG_UINT, "10000", 1, 10000000, "most events in one batch (413 beyond)" },
	{ "ingest.rate-limit.events-per-second", CFG_UINT, "1000", 0, UINT32_MAX, "events a device may send per second, sustained (0: no limit; 429 beyond)" },
	{ "ingest.rate-limit.burst", CFG_UINT, "100000", 1, UINT32_MAX, "events a device may send at once after a quiet time" },

	{ "incident.window", CFG_UINT, "3600", 1, 2592000, "seconds after an incident's last alert within which an alert of the same device and signature joins it" },
	{ "incident.classification-file", CFG_STR, "/etc/otasuke/classification.config", 0, 0, "classification.config of the sensors' rules: gives each alert category its classtype (the explanation key)" },

	{ "notify.escalate-after", CFG_UINT, "900", 1, 2592000, "seconds an incident may stay unacknowledged (new) before the contacts of the next level are told" },
	{ "notify.retry.attempts", CFG_UINT, "8", 1, 1000, "attempts to deliver a notification before it has failed" },
	{ "notify.retry.initial", CFG_UINT, "30", 1, 86400, "seconds before the second attempt; doubled for each next one (with jitter)" },
	{ "notify.retry.max-delay", CFG_UINT, "3600", 1, 604800, "longest wait between two attempts (a Retry-After of the channel is honoured up to a day)" },
};

const size_t srv_cfg_nkeys = sizeof(srv_cfg_keys) / sizeof(srv_cfg_keys[0]);
