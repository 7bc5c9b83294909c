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
	{ "http.threads", CFG_UINT, "16", 1, 256, "threads serving connections (a batch holds its thread until its commit)" },
	{ "http.max-connections", CFG_UINT, "10000", 1, 1000000, "connections open at once; more are refused until some close" },
	{ "http.max-buffered", CFG_SIZE, "512mb", 1 << 20, GB(64), "request bodies held in memory at once, all connections together (503 beyond)" },
	{ "http.timeout", CFG_UINT, "60", 1, 3600, "seconds a connection may stay idle" },

	{ "store.backend", CFG_STR, "sqlite", 0, 0, "sqlite or postgresql" },
	{ "store.sqlite.path", CFG_STR, "otasuke.db", 0, 0, "SQLite database file, relative to state-dir" },
	{ "store.postgresql.conninfo", CFG_STR, NULL, 0, 0, "libpq connection string, e.g. 'host=/run/postgresql dbname=otasuke'" },
	{ "store.connections", CFG_UINT, "4", 1, 256, "database connections kept open" },

	{ "auth.session-ttl", CFG_UINT, "43200", 300, 2592000, "seconds a console sign-in lasts" },
	{ "auth.api-token-ttl", CFG_UINT, "31536000", 3600, 315360000, "seconds an API token stays valid" },
	{ "auth.login.burst", CFG_UINT, "5", 1, 1000, "failed sign-ins allowed in a row, per login name and per address, before 429" },
	{ "auth.login.refill", CFG_UINT, "60", 1, 86400, "seconds after which one more failed sign-in is allowed again" },

	{ "enroll.token-ttl", CFG_UINT, "86400", 60, 31536000, "seconds an enrollment token stays valid (otasukectl token create --ttl overrides)" },

	{ "retention.events-days", CFG_UINT, "365", 1, 36500, "days a tenant's events are kept, unless the tenant has its own (API: PATCH /api/v1/tenants/ID)" },
	{ "retention.interval", CFG_UINT, "3600", 1, 86400, "seconds between two runs deleting events past their retention" },

	{ "ingest.max-bytes", CFG_SIZE, "8mb", 1024, GB(1), "largest batch, decompressed (413 beyond)" },
	{ "ingest.max-lines", CFG_UINT, "10000", 1, 10000000, "most events in one batch (413 beyond)" },
	{ "ingest.rate-limit.events-per-second", CFG_UINT, "1000", 0, UINT32_MAX, "events a device may send per second, sustained (0: no limit; 429 beyond)" },
	{ "ingest.rate-limit.burst", CFG_UINT, "100000", 1, UINT32_MAX, "events a device may send at once after a quiet time" },

	{ "console.url", CFG_STR, NULL, 0, 0, "address of the console that people open, e.g. https://soc.example.jp:8443 (notifications link to the incident there; unset: no link)" },
	{ "notify.helpdesk", CFG_STR, NULL, 0, 0, "who will contact the customer, as notifications say it, e.g. 'お助け隊サポート 0120-000-000' (unset: the support desk)" },
	{ "notify.smtp.url", CFG_STR, NULL, 0, 0, "mail server for notifications: smtp://HOST[:PORT] or smtps://HOST[:PORT] (unset: no mail)" },
	{ "notify.smtp.from", CFG_STR, NULL, 0, 0, "sender address of notification mail (envelope and From:), e.g. soc@example.jp" },
	{ "notify.smtp.from-name", CFG_STR, "otasuke", 0, 0, "sender name shown in From: (any language)" },
	{ "notify.smtp.user", CFG_STR, NULL, 0, 0, "user name for SMTP authentication (unset: none)" },
	{ "notify.smtp.password", CFG_STR, NULL, 0, 0, "password for SMTP authentication" },
	{ "notify.smtp.starttls", CFG_STR, "try", 0, 0, "for smtp://: try (STARTTLS when offered), require (never in clear) or never" },
	{ "notify.line.api", CFG_STR, "https://api.line.me", 0, 0, "base URL of the LINE Messaging API" },
	{ "notify.chatwork.api", CFG_STR, "https://api.chatwork.com", 0, 0, "base URL of the Chatwork API" },
	{ "notify.connect-timeout", CFG_UINT, "10", 1, 300, "seconds to connect to a mail server or a receiver" },
	{ "notify.timeout", CFG_UINT, "30", 1, 3600, "seconds one delivery may take in all (then it is tried again later)" },
	{ "notify.ca-file", CFG_STR, NULL, 0, 0, "PEM file of the CAs trusted for notifications over HTTPS and SMTP TLS (unset: the system's)" },
	{ "incident.window", CFG_UINT, "3600", 1, 2592000, "seconds after an incident's last alert within which an alert of the same device and signature joins it" },
	{ "incident.classification-file", CFG_STR, "/etc/otasuke/classification.config", 0, 0, "classification.config of the sensors' rules: gives each alert category its classtype (the explanation key)" },

	{ "notify.escalate-after", CFG_UINT, "900", 1, 2592000, "seconds an incident may stay unacknowledged (new) before the contacts of the next level are told" },
	{ "notify.retry.attempts", CFG_UINT, "8", 1, 1000, "attempts to deliver a notification before it has failed" },
	{ "notify.retry.initial", CFG_UINT, "30", 1, 86400, "seconds before the second attempt; doubled for each next one (with jitter)" },
	{ "notify.retry.max-delay", CFG_UINT, "3600", 1, 604800, "longest wait between two attempts (a Retry-After of the channel is honoured up to a day)" },
};

const size_t srv_cfg_nkeys = sizeof(srv_cfg_keys) / sizeof(srv_cfg_keys[0]);
