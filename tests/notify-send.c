/*
 * notify-send.c - a test driver for otasuked's notifications
 * (src/server/notify.h): renders one incident and delivers it to each
 * target given on the command line, through the same configuration keys
 * (notify.*) and the same notify_send() the server uses, and prints one
 * JSON line per target with the outcome.  tests/e2e/notify.py runs it
 * against a real SMTP server and a local HTTPS receiver.
 *
 * Usage: notify-send [--set notify.KEY=VALUE]... [--FIELD VALUE]... TARGET...
 *   TARGET is CHANNEL|LANG|ADDRESS|SECRET (SECRET may be empty)
 *   FIELD: id tenant device severity kind signature src dest count first
 *          last url helpdesk (first/last in microseconds), --escalated
 *   Prints {"target": N, "result": "sent"|"retry"|"failed", "why": ...,
 *   "retry_after": S} for each; exits 0 when every target was tried.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "notify.h"
#include "srv-config.h"
#include "../src/lib/config.h"
#include "../src/lib/log.h"

enum { O_SET = 256, O_ID, O_TENANT, O_DEVICE, O_SEVERITY, O_KIND, O_SIGNATURE, O_SRC, O_DEST,
       O_COUNT, O_FIRST, O_LAST, O_URL, O_HELPDESK, O_ESCALATED };

static const struct option opts[] = {
	{ "set", required_argument, NULL, O_SET },
	{ "id", required_argument, NULL, O_ID },
	{ "tenant", required_argument, NULL, O_TENANT },
	{ "device", required_argument, NULL, O_DEVICE },
	{ "severity", required_argument, NULL, O_SEVERITY },
	{ "kind", required_argument, NULL, O_KIND },
	{ "signature", required_argument, NULL, O_SIGNATURE },
	{ "src", required_argument, NULL, O_SRC },
	{ "dest", required_argument, NULL, O_DEST },
	{ "count", required_argument, NULL, O_COUNT },
	{ "first", required_argument, NULL, O_FIRST },
	{ "last", required_argument, NULL, O_LAST },
	{ "url", required_argument, NULL, O_URL },
	{ "helpdesk", required_argument, NULL, O_HELPDESK },
	{ "escalated", no_argument, NULL, O_ESCALATED },
	{ NULL, 0, NULL, 0 },
};

static const char *const results[] = { "sent", "retry", "failed" };

int main(int argc, char **argv)
{
	struct notify_incident inc = { .severity = 1, .event_count = 1 };
	struct ot_config *cfg = cfg_new(srv_cfg_keys, srv_cfg_nkeys);
	int o, status = 1;

	ot_log_init("notify-send");
	if (!cfg)
		return 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case O_SET:
			if (cfg_set(cfg, optarg, false) < 0)
				goto out;
			break;
		case O_ID: inc.id = optarg; break;
		case O_TENANT: inc.tenant_name = optarg; break;
		case O_DEVICE: inc.device_name = optarg; break;
		case O_SEVERITY: inc.severity = atoi(optarg); break;
		case O_KIND: inc.kind = optarg; break;
		case O_SIGNATURE: inc.signature = optarg; break;
		case O_SRC: inc.src_ip = optarg; break;
		case O_DEST: inc.dest_ip = optarg; break;
		case O_COUNT: inc.event_count = strtoull(optarg, NULL, 10); break;
		case O_FIRST: inc.first_us = strtoll(optarg, NULL, 10); break;
		case O_LAST: inc.last_us = strtoll(optarg, NULL, 10); break;
		case O_URL: inc.console_url = optarg; break;
		case O_HELPDESK: inc.helpdesk = optarg; break;
		case O_ESCALATED: inc.escalated = true; break;
		default:
			fprintf(stderr, "usage: notify-send [--set KEY=VALUE]... [--FIELD VALUE]... "
				"CHANNEL|LANG|ADDRESS|SECRET...\n");
			goto out;
		}
	}
	struct notify_settings s;
	if (notify_settings_from_config(&s, cfg) < 0)
		goto out;
	struct notify_ctx *c = notify_ctx_new(&s);
	if (!c)
		goto out;
	for (int i = optind; i < argc; i++) {
		char *spec = strdup(argv[i]), *p = spec, why[512];
		struct notify_target t = { 0 };
		long retry_after;
		t.channel = strsep(&p, "|");
		const char *lang = strsep(&p, "|");
		t.address = strsep(&p, "|");
		t.secret = p && *p ? p : NULL;
		if (!t.address || notify_lang_parse(lang, &t.lang) < 0) {
			fprintf(stderr, "notify-send: '%s' is not CHANNEL|LANG|ADDRESS|SECRET\n", argv[i]);
			free(spec);
			notify_ctx_free(c);
			goto out;
		}
		int r = notify_send(c, &t, &inc, why, sizeof(why), &retry_after);
		json_t *j = json_pack("{s:i, s:s, s:s, s:i}", "target", i - optind, "result", results[-r],
				      "why", why, "retry_after", (json_int_t)retry_after);
		char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (line)
			printf("%s\n", line);
		free(line);
		json_decref(j);
		free(spec);
	}
	notify_ctx_free(c);
	status = 0;
out:
	cfg_free(cfg);
	return status;
}
