/*
 * fuzz-notify.c - what otasuked's notifications take from outside
 * (src/server/notify*.c): the strings of an incident, which come from
 * devices (rule text, names, addresses), and a receiver's answer to a
 * refused delivery.  Every channel's request is built for the incident
 * and must stay well-formed whatever the strings hold: the mail all CRLF
 * lines of at most 998 bytes with an ASCII head, the JSON bodies JSON to
 * jansson, the Chatwork form ASCII, every text valid UTF-8; the reason
 * read from the answer valid UTF-8 and short.
 *
 * Input: a flags byte (severity, language, escalated), then NUL-separated
 * fields: signature, device, tenant, kind, source, destination, console
 * URL, incident id, help desk; what follows the ninth NUL is the answer.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify-channel.h"
#include "../../src/lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 9

static void fail(const char *why, const char *s, size_t len)
{
	fprintf(stderr, "fuzz-notify: %s: %.*s\n", why, (int)OT_MIN(len, (size_t)2000), s);
	abort();
}

static void check_mail(const struct notify_req *r)
{
	const char *head_end = strstr(r->body, "\r\n\r\n");
	if (!head_end)
		fail("no end of the mail head", r->body, r->len);
	for (const char *p = r->body; p < r->body + r->len;) {
		const char *e = strstr(p, "\r\n");
		if (!e)
			fail("a mail line without CRLF", p, strlen(p));
		if (e - p > 998)
			fail("a mail line over 998 bytes", p, (size_t)(e - p));
		for (const char *q = p; q < e; q++)
			if (*q == '\n' || *q == '\r' || (p < head_end && ((unsigned char)*q < 0x20 ||
									   (unsigned char)*q >= 0x7f)))
				fail("a bare line end, or not ASCII in the head", p, (size_t)(e - p));
		p = e + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct notify_target targets[] = {
		{ "mail", "owner@example.jp", NULL, NOTIFY_JA },
		{ "line", "U0123456789abcdef0123456789abcdef", "token", NOTIFY_JA },
		{ "teams", "https://flows.example.com/x", NULL, NOTIFY_JA },
		{ "slack", "https://hooks.example.com/x", NULL, NOTIFY_JA },
		{ "chatwork", "42", "token", NOTIFY_JA },
		{ "webhook", "https://hooks.example.jp/x", "key", NOTIFY_JA },
	};
	static const struct notify_settings s = {
		.mail_from = "soc@example.jp", .line_api = "https://line.example",
		.chatwork_api = "https://cw.example",
	};
	if (size < 1)
		return 0;
	if (sodium_init() < 0)
		abort();
	char *buf = malloc(size + 1), *f[NFIELDS] = { 0 };
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char *p = buf, *end = buf + size - 1;
	for (int i = 0; i < NFIELDS && p <= end; i++) {
		f[i] = p;
		p += strlen(p) + 1;
	}
	struct notify_incident inc = {
		.signature = f[0], .device_name = f[1], .tenant_name = f[2], .kind = f[3],
		.src_ip = f[4], .dest_ip = f[5], .console_url = f[6], .id = f[7], .helpdesk = f[8],
		.severity = data[0] & 7, .escalated = data[0] & 8,
		.event_count = (uint64_t)data[0] << 56, .first_us = (int64_t)data[0] * 86400000000LL,
		.last_us = -(int64_t)data[0],
	};
	for (size_t t = 0; t < OT_ARRAY_LEN(targets); t++) {
		struct notify_target tg = targets[t];
		struct notify_req r;
		char why[256];
		tg.lang = data[0] & 16 ? NOTIFY_EN : NOTIFY_JA;
		if (notify_build(&s, &tg, &inc, 1795327445, &r, why, sizeof(why)) != NOTIFY_SENT)
			fail("not built", why, strlen(why));
		if (r.proto == NOTIFY_SMTP) {
			check_mail(&r);
		} else if (!strcmp(tg.channel, "chatwork")) {
			for (size_t i = 0; i < r.len; i++)
				if ((unsigned char)r.body[i] <= ' ' || (unsigned char)r.body[i] >= 0x7f)
					fail("the Chatwork form is not URL-encoded", r.body, r.len);
		} else {
			json_t *j = json_loadb(r.body, r.len, 0, NULL);
			if (!j)
				fail("not JSON", r.body, r.len);
			json_decref(j);
		}
		notify_req_free(&r);
	}
	if (p <= end) {
		char reason[256];
		notify_answer_reason(p, (size_t)(end - p), reason, sizeof(reason));
		if (strlen(reason) > 200 || !notify_utf8_valid(reason, strlen(reason)))
			fail("a bad reason", reason, strlen(reason));
	}
	free(buf);
	return 0;
}
