/*
 * test-notify-text.c - the words of otasuked's notifications
 * (notify-text.c, notify-kinds.c) and the mail they go out in
 * (notify-mail.c): every classtype the ET Open rules use (read from the
 * rules folder itself, so a new classtype fails here until it has words)
 * and every one of classification.config has its own text in Japanese and
 * English; every message of every kind, in both languages, is valid UTF-8
 * with no blank left unfilled; its mail has no line over 998 bytes, its
 * subject in RFC 2047 encoded words that decode to the subject, and a
 * body that decodes to the text; strings from devices (bad UTF-8, control
 * characters, direction overrides, 10 kB rules) are made safe; times in
 * JST across midnight and in UTC ISO; the affected machine named as the
 * reader knows it; targets of every channel checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <regex.h>
#include <cmocka.h>
#include <sodium.h>

#include "notify.h"
#include "notify-channel.h"
#include "notify-text.h"
#include "../../src/lib/log.h"

static char rules_dir[1100];

/* 2026-11-22 15:04:05 in Japan */
#define FIRST_US (INT64_C(1795327445) * 1000000)

static struct notify_incident sample(const char *kind)
{
	struct notify_incident inc = {
		.id = "7d1e6b7c-1f34-4b8e-9a55-3f2f0c9d1e01",
		.tenant_name = "テスト薬局",
		.device_name = "受付PC",
		.severity = 1,
		.kind = kind,
		.signature = "ET MALWARE Win32/Emotet CnC Beacon",
		.src_ip = "192.168.1.23",
		.dest_ip = "203.0.113.5",
		.event_count = 12,
		.first_us = FIRST_US,
		.last_us = FIRST_US + INT64_C(1555) * 1000000,
		.console_url = "https://console.example.jp/incidents/7d1e",
	};
	return inc;
}

/* The classtypes named anywhere in the rules folder: classtype: options
 * of every rule (commented-out ones too) and classification.config. */
static size_t et_classtypes(char ***out)
{
	regex_t rule, conf;
	regmatch_t m[2];
	char **names = NULL, line[65536];
	size_t n = 0;
	assert_int_equal(regcomp(&rule, "classtype: *([a-z0-9_-]+)", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&conf, "^config classification: *([a-z0-9_-]+),", REG_EXTENDED), 0);
	DIR *d = opendir(rules_dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		bool is_rules = l > 6 && strcmp(e->d_name + l - 6, ".rules") == 0;
		bool is_conf = strcmp(e->d_name, "classification.config") == 0;
		if (!is_rules && !is_conf)
			continue;
		char path[2200];
		snprintf(path, sizeof(path), "%s/%s", rules_dir, e->d_name);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			if (regexec(is_conf ? &conf : &rule, line, 2, m, 0) != 0)
				continue;
			int len = (int)(m[1].rm_eo - m[1].rm_so);
			size_t i;
			for (i = 0; i < n; i++)
				if ((int)strlen(names[i]) == len && !strncmp(names[i], line + m[1].rm_so, len))
					break;
			if (i == n) {
				names = realloc(names, (n + 1) * sizeof(*names));
				names[n++] = strndup(line + m[1].rm_so, len);
			}
		}
		fclose(f);
	}
	closedir(d);
	regfree(&rule);
	regfree(&conf);
	*out = names;
	return n;
}

static void assert_clean_text(const char *s, bool newlines)
{
	assert_non_null(s);
	assert_true(notify_utf8_valid(s, strlen(s)));
	assert_null(strstr(s, "{machine}"));
	assert_null(strstr(s, "{helpdesk}"));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		assert_true(*p >= 0x20 || (newlines && *p == '\n'));
}

static void assert_msg_clean(const struct notify_msg *m)
{
	assert_clean_text(m->subject, false);
	assert_non_null(strstr(m->subject, m->title));
	assert_true(m->nsec >= 5);
	for (size_t i = 0; i < m->nsec; i++) {
		assert_clean_text(m->sec[i].heading, false);
		assert_clean_text(m->sec[i].text, true);
		assert_true(m->sec[i].text[0] != '\0');
	}
	for (size_t i = 0; i < m->nfact; i++)
		assert_clean_text(m->fact[i].value, false);
	char *plain = notify_msg_plain(m);
	assert_clean_text(plain, true);
	free(plain);
}

/* Every classtype of the ET Open rules has its own words in both languages. */
static void test_every_et_classtype(void **state)
{
	(void)state;
	char **names;
	size_t n = et_classtypes(&names);
	assert_true(n >= 40);   /* the rules folder was read */
	for (size_t i = 0; i < n; i++) {
		const struct notify_kind *k = notify_kind_find(names[i]);
		if (!k)
			fail_msg("classtype '%s' of the ET Open rules has no text in notify-kinds.c", names[i]);
		for (int lang = NOTIFY_JA; lang <= NOTIFY_EN; lang++) {
			assert_true(strlen(k->title[lang]) > 3 && strlen(k->what[lang]) > 20);
			assert_string_not_equal(k->what[lang], notify_kind_general.what[lang]);
			struct notify_incident inc = sample(names[i]);
			struct notify_msg m;
			assert_int_equal(notify_msg_render(&m, &inc, lang), 0);
			assert_string_equal(m.title, k->title[lang]);
			assert_msg_clean(&m);
			notify_msg_free(&m);
		}
		free(names[i]);
	}
	free(names);
	/* the agent's keys too */
	const char *agent[] = { "ransomware", "suspicious-process", "login-failure" };
	for (size_t i = 0; i < 3; i++)
		assert_true(notify_kind_find(agent[i]) && notify_kind_find(agent[i])->on_device);
}

static void test_unknown_kind_is_general(void **state)
{
	(void)state;
	struct notify_incident inc = sample("no-such-classtype");
	struct notify_msg m;
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_JA), 0);
	assert_string_equal(m.title, notify_kind_general.title[NOTIFY_JA]);
	assert_msg_clean(&m);
	notify_msg_free(&m);
	inc.kind = NULL;
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_EN), 0);
	assert_string_equal(m.title, "Security event");
	notify_msg_free(&m);
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *section(const struct notify_msg *m, const char *heading)
{
	for (size_t i = 0; i < m->nsec; i++)
		if (!strcmp(m->sec[i].heading, heading))
			return m->sec[i].text;
	fail_msg("no section '%s'", heading);
	return NULL;
}

/* Severity in words, steps numbered, who calls, times, the machine. */
static void test_japanese_words(void **state)
{
	(void)state;
	struct notify_incident inc = sample("trojan-activity");
	struct notify_msg m;
	inc.helpdesk = "お助け隊サポート 0120-000-000";
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_JA), 0);
	assert_string_equal(m.subject, "【緊急】ウイルス感染の疑い：テスト薬局");
	assert_non_null(strstr(section(&m, "何が起きたか"), "IPアドレス 192.168.1.23 の機器が"));
	assert_true(starts_with(section(&m, "どのくらい危険か"), "緊急：すぐに対応が必要です。"));
	const char *todo = section(&m, "今すぐしてほしいこと");
	assert_true(starts_with(todo, "1. IPアドレス 192.168.1.23 の機器のLANケーブルを抜いてください。"));
	assert_non_null(strstr(todo, "\n2. 電源は切らないでください"));
	assert_non_null(strstr(todo, "\n4. 担当者からの電話をお待ちください。"));
	assert_non_null(strstr(section(&m, "ご連絡について"), "お助け隊サポート 0120-000-000の担当者"));
	assert_non_null(strstr(section(&m, "機器と日時"),
			       "日時：2026年11月22日 15:04 〜 2026年11月22日 15:30（日本時間）\n回数：12回"));
	assert_string_equal(m.url, "https://console.example.jp/incidents/7d1e");
	assert_string_equal(m.fact[0].value, "ET MALWARE Win32/Emotet CnC Beacon");
	notify_msg_free(&m);

	/* past midnight in Japan, a low severity: another day, no call promised */
	inc.first_us = inc.last_us = INT64_C(1795361400) * 1000000;   /* 2026-11-22T15:30:00Z */
	inc.severity = 4;
	inc.kind = "network-scan";
	inc.src_ip = "198.51.100.7";   /* the office is the destination */
	inc.dest_ip = "10.0.0.5";
	inc.tenant_name = NULL;
	inc.helpdesk = NULL;
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_JA), 0);
	assert_string_equal(m.subject, "【情報】ネットワークの調査（スキャン）");
	assert_non_null(strstr(section(&m, "機器と日時"), "日時：2026年11月23日 00:30（日本時間）"));
	assert_non_null(strstr(section(&m, "何が起きたか"), "IPアドレス 10.0.0.5 の機器"));
	assert_non_null(strstr(section(&m, "ご連絡について"), "サポート窓口から"));
	notify_msg_free(&m);

	/* an agent's key names the PC; escalation says so first */
	inc = sample("ransomware");
	inc.escalated = true;
	inc.severity = 9;   /* out of range: shown as high */
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_JA), 0);
	assert_string_equal(m.subject, "【再通知・重要】ランサムウェア（身代金ウイルス）の疑い：テスト薬局");
	assert_string_equal(m.sec[0].heading, "再通知です");
	assert_non_null(strstr(section(&m, "今すぐしてほしいこと"), "1. このPC（受付PC）のLANケーブル"));
	assert_non_null(strstr(section(&m, "今すぐしてほしいこと"), "支払ったりしないでください"));
	notify_msg_free(&m);
}

static void test_english_words(void **state)
{
	(void)state;
	struct notify_incident inc = sample("credential-theft");
	struct notify_msg m;
	inc.severity = 2;
	inc.console_url = "javascript:alert(1)";   /* not a web link: left out */
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_EN), 0);
	assert_string_equal(m.subject, "[High] Possible password theft - テスト薬局");
	assert_non_null(strstr(section(&m, "Device and time"),
			       "Time: 2026-11-22T06:04:05Z to 2026-11-22T06:30:00Z\nEvents: 12"));
	assert_non_null(strstr(section(&m, "What to do now"), "1. From another PC or a smartphone, "
			       "change the passwords recently typed on the device with IP address 192.168.1.23."));
	assert_non_null(strstr(section(&m, "Who will contact you"), "We are looking into it, and the support desk will call you."));
	assert_null(m.url);
	notify_msg_free(&m);
}

/* Device strings: bad UTF-8, controls, overrides, cut at a character. */
static void test_clean(void **state)
{
	(void)state;
	struct { const char *in; size_t max; const char *out; } cases[] = {
		{ "PC-01", 100, "PC-01" },
		{ "a\xc0\x80z", 100, "a\xef\xbf\xbd\xef\xbf\xbdz" },         /* overlong NUL */
		{ "a\xed\xa0\x80z", 100, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz" },  /* surrogate */
		{ "a\xf4\x90\x80\x80", 100, "a\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "line\r\nSubject: x\t\x7f\xc2\x85", 100, "line  Subject: x   " },
		{ "abc\xe2\x80\xae" "exe.txt", 100, "abc\xef\xbf\xbd" "exe.txt" },   /* RLO */
		{ "受付PC", 100, "受付PC" },
		{ "あいうえお", 10, "あい…" },           /* 15 bytes into 10: two characters and the ellipsis */
		{ "abcdefghij", 10, "abcdefghij" },
		{ "abcdefghijk", 10, "abcdefg…" },
		{ NULL, 10, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = notify_clean(cases[i].in, cases[i].max);
		assert_string_equal(c, cases[i].out);
		assert_true(strlen(c) <= cases[i].max || cases[i].max < 4);
		assert_true(notify_utf8_valid(c, strlen(c)));
		free(c);
	}
	assert_false(notify_utf8_valid("\xe3\x81", 2));
	assert_true(notify_utf8_valid("\xf0\x9f\x98\x80", 4));
}

/* Decode the encoded words of an unfolded header value. */
static void decode_words(const char *v, char *out, size_t outlen)
{
	size_t o = 0;
	while (*v) {
		while (*v == ' ')
			v++;
		assert_true(!strncmp(v, "=?UTF-8?B?", 10));
		const char *end = strstr(v + 10, "?=");
		assert_non_null(end);
		assert_true(end + 2 - v <= 75);          /* RFC 2047: a word is at most 75 */
		size_t n;
		assert_int_equal(sodium_base642bin((unsigned char *)out + o, outlen - o - 1, v + 10,
						   (size_t)(end - v - 10), NULL, &n, NULL,
						   sodium_base64_VARIANT_ORIGINAL), 0);
		assert_true(notify_utf8_valid(out + o, n));   /* no character cut between words */
		o += n;
		v = end + 2;
	}
	out[o] = '\0';
}

/* The mail of an incident: lines, headers, subject, body. */
static void check_mail(const struct notify_incident *inc, enum notify_lang lang)
{
	struct notify_settings s = { .mail_from = "soc@example.jp", .mail_from_name = "お助け隊 SOC" };
	struct notify_target t = { "mail", "owner@example.jp", NULL, lang };
	struct notify_req r;
	struct notify_msg m;
	char why[256], subject[4096], *body = NULL, *hdr;
	assert_int_equal(notify_build(&s, &t, inc, 1795327445, &r, why, sizeof(why)), NOTIFY_SENT);
	assert_int_equal(notify_msg_render(&m, inc, lang), 0);
	assert_int_equal(r.proto, NOTIFY_SMTP);
	assert_string_equal(r.rcpt, "owner@example.jp");

	/* every line ends in CRLF and is at most 998 bytes; the head is ASCII */
	char *head_end = strstr(r.body, "\r\n\r\n");
	assert_non_null(head_end);
	for (char *p = r.body; p < r.body + r.len;) {
		char *e = strstr(p, "\r\n");
		assert_non_null(e);
		assert_true(e - p <= 998);
		assert_null(memchr(p, '\n', (size_t)(e - p)));
		for (char *q = p; q < e && p < head_end; q++)
			assert_true((unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7f);
		p = e + 2;
	}
	assert_non_null(strstr(r.body, "\r\nDate: Sun, 22 Nov 2026 06:04:05 +0000\r\n"));
	assert_non_null(strstr(r.body, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
			       "Content-Transfer-Encoding: base64\r\n"));
	assert_non_null(strstr(r.body, ".otasuke@example.jp>\r\n"));
	assert_non_null(strstr(r.body, "\r\nTo: <owner@example.jp>\r\n"));

	/* the subject: encoded words, folded, decoding to the subject */
	hdr = strstr(r.body, "\r\nSubject: ");
	assert_non_null(hdr);
	hdr += 11;
	char unfolded[4096];
	size_t u = 0;
	for (; !(hdr[0] == '\r' && hdr[1] == '\n' && hdr[2] != ' '); hdr++)
		if (*hdr != '\r' && *hdr != '\n')
			unfolded[u++] = *hdr;
	unfolded[u] = '\0';
	decode_words(unfolded, subject, sizeof(subject));
	assert_string_equal(subject, m.subject);

	/* the body: base64 of the text with CRLF line ends */
	const char *b64 = head_end + 4;
	size_t cap = r.len, n;
	body = malloc(cap + 1);
	assert_int_equal(sodium_base642bin((unsigned char *)body, cap, b64, strlen(b64), "\r\n", &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	body[n] = '\0';
	assert_true(notify_utf8_valid(body, n));
	char *plain = notify_msg_plain(&m);
	size_t pi = 0;
	for (size_t i = 0; i < n; i++) {
		if (body[i] == '\r') {
			assert_true(body[i + 1] == '\n');
			continue;
		}
		assert_true(body[i] == plain[pi++]);
	}
	assert_int_equal(pi, strlen(plain));
	for (char *p = body, *e; (e = strstr(p, "\r\n")); p = e + 2)
		assert_true(e - p <= 998);
	free(plain);
	free(body);
	notify_msg_free(&m);
	notify_req_free(&r);
}

static void test_mail_every_kind(void **state)
{
	(void)state;
	char **names;
	size_t n = et_classtypes(&names);
	for (size_t i = 0; i < n; i++) {
		struct notify_incident inc = sample(names[i]);
		check_mail(&inc, NOTIFY_JA);
		check_mail(&inc, NOTIFY_EN);
		free(names[i]);
	}
	free(names);
}

/* A device's worst: 10 kB rule text with newlines, bad bytes, headers. */
static void test_mail_hostile(void **state)
{
	(void)state;
	static const char piece[] = "ET \r\nBcc: x@y\x80\xe3\x81\xff\xe2\x80\xae";
	char sig[10240];
	for (size_t i = 0; i < sizeof(sig) - 1; i++)
		sig[i] = piece[i % (sizeof(piece) - 1)];
	sig[sizeof(sig) - 1] = '\0';
	char tenant[600];
	memset(tenant, 'A', sizeof(tenant) - 1);
	tenant[sizeof(tenant) - 1] = '\0';
	struct notify_incident inc = sample("trojan-activity");
	inc.signature = sig;
	inc.tenant_name = tenant;
	inc.device_name = "\xe3\x81\x82\r\nX-Evil: 1";
	inc.first_us = -5;
	inc.last_us = INT64_MAX;
	check_mail(&inc, NOTIFY_JA);
	check_mail(&inc, NOTIFY_EN);
	struct notify_msg m;
	assert_int_equal(notify_msg_render(&m, &inc, NOTIFY_JA), 0);
	assert_msg_clean(&m);
	assert_true(strlen(m.fact[0].value) <= 512);
	assert_non_null(strstr(section(&m, "機器と日時"), "日時：不明（日本時間）"));
	notify_msg_free(&m);
}

static void test_targets(void **state)
{
	(void)state;
	char why[256];
	struct { const char *ch, *addr, *secret; int ok; } cases[] = {
		{ "mail", "owner@example.jp", NULL, 0 },
		{ "mail", "owner@example.jp>\r\nRCPT TO:<x@y", NULL, -1 },
		{ "mail", "no-at-sign", NULL, -1 },
		{ "mail", "a@b@c", NULL, -1 },
		{ "line", "U0123456789abcdef0123456789abcdef", "tok", 0 },
		{ "line", "C0123456789abcdef0123456789abcdef", "tok", 0 },
		{ "line", "X0123456789abcdef0123456789abcdef", "tok", -1 },
		{ "line", "U0123456789abcdef0123456789abcdef", NULL, -1 },
		{ "line", "U0123456789abcdef0123456789abcdef", "to\r\nk", -1 },
		{ "teams", "https://prod.example.com/workflows/1?sig=a", NULL, 0 },
		{ "teams", "http://prod.example.com/workflows/1", NULL, -1 },
		{ "slack", "https://hooks.example.com/services/T/B/x", NULL, 0 },
		{ "slack", "https://hooks.example.com/a b", NULL, -1 },
		{ "chatwork", "12345", "tok", 0 },
		{ "chatwork", "12/../1", "tok", -1 },
		{ "chatwork", "12345", "", -1 },
		{ "webhook", "https://hooks.example.jp/otasuke", NULL, 0 },
		{ "webhook", "https:///nohost", NULL, -1 },
		{ "fax", "0120", NULL, -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct notify_target t = { cases[i].ch, cases[i].addr, cases[i].secret, NOTIFY_JA };
		why[0] = '\0';
		assert_int_equal(notify_target_check(&t, why, sizeof(why)), cases[i].ok);
		assert_true(cases[i].ok == 0 || why[0]);
		assert_true(notify_channel_known(cases[i].ch) == (strcmp(cases[i].ch, "fax") != 0));
	}
	enum notify_lang l;
	assert_true(notify_lang_parse("EN", &l) == 0 && l == NOTIFY_EN);
	assert_true(notify_lang_parse("ja", &l) == 0 && l == NOTIFY_JA);
	assert_int_equal(notify_lang_parse("fr", &l), -1);
}

int main(void)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	snprintf(rules_dir, sizeof(rules_dir), "%s/../shared/data/rules/et-open", root ? root : ".");
	ot_log_init("test-notify-text");
	ot_log_set_level(OT_LOG_ERROR);
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_et_classtype),
		cmocka_unit_test(test_unknown_kind_is_general),
		cmocka_unit_test(test_japanese_words),
		cmocka_unit_test(test_english_words),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_mail_every_kind),
		cmocka_unit_test(test_mail_hostile),
		cmocka_unit_test(test_targets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
