/*
 * notify-text.c - see notify-text.h.  The fixed words of each language are
 * one table (words[]); the sentences that vary come from notify-kinds.c.
 * Templates name their blanks "{machine}", "{helpdesk}", ...: one pass fills
 * them, so a value that itself holds "{...}" (a device named so) is shown
 * as it is.
 */
#include "notify-text.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/util.h"

/* Bounds on what comes from outside, so that no line of a message gets
 * near the 998 bytes a mail line may hold, whatever a device sends. */
#define MAX_NAME 200
#define MAX_SIGNATURE 512
#define MAX_SHORT 100
#define MAX_URL 900

#define JST_OFFSET (9 * 3600)

struct words {
	const char *sev_word[5];        /* [1..4] */
	const char *sev_text[5];
	/* [escalated][with a company name]: {sev} {title} {tenant} */
	const char *subject[2][2];
	const char *h_escalated, *escalated;
	const char *h_what, *h_serious, *h_todo, *h_contact, *h_where, *h_details;
	const char *serious;            /* {sev} {sevtext} */
	const char *contact_now, *contact_later;   /* {helpdesk} */
	const char *helpdesk;           /* when the incident names none */
	const char *machine_device, *machine_ip, *machine_none;   /* {device} {ip} */
	const char *where;              /* {device} {tenant} {time} {count} */
	const char *time_one, *time_range;         /* {first} {last} */
	const char *link_label;
	const char *l_signature, *l_kind, *l_src, *l_dest, *l_id;
	const char *unknown;
	int tz_offset;                  /* seconds east of UTC the times are shown in */
};

static const struct words words[2] = {
	[NOTIFY_JA] = {
		.sev_word = { NULL, "緊急", "重要", "注意", "情報" },
		.sev_text = { NULL,
			"すぐに対応が必要です。被害が広がるおそれがあります。",
			"早めの対応が必要です。今日中に確認してください。",
			"すぐに被害が出る状況ではありませんが、念のため確認が必要です。",
			"お知らせです。急いで対応していただく必要はありません。" },
		.subject = { { "【{sev}】{title}", "【{sev}】{title}：{tenant}" },
			     { "【再通知・{sev}】{title}", "【再通知・{sev}】{title}：{tenant}" } },
		.h_escalated = "再通知です",
		.escalated = "最初の連絡先の方から応答がなかったため、次の連絡先のあなたにお送りしています。",
		.h_what = "何が起きたか",
		.h_serious = "どのくらい危険か",
		.h_todo = "今すぐしてほしいこと",
		.h_contact = "ご連絡について",
		.h_where = "機器と日時",
		.h_details = "詳細（技術情報）",
		.serious = "{sev}：{sevtext}",
		.contact_now = "{helpdesk}の担当者が状況を確認し、お電話でご連絡します。電話に出られるようにしておいてください。",
		.contact_later = "対応が必要と分かった場合は、{helpdesk}からご連絡します。分からないことがあれば{helpdesk}にお問い合わせください。",
		.helpdesk = "サポート窓口",
		.machine_device = "このPC（{device}）",
		.machine_ip = "IPアドレス {ip} の機器",
		.machine_none = "社内の機器",
		.where = "見つけた機器：{device}\n会社：{tenant}\n日時：{time}\n回数：{count}回",
		.time_one = "{first}（日本時間）",
		.time_range = "{first} 〜 {last}（日本時間）",
		.link_label = "コンソールで詳しく見る",
		.l_signature = "検知ルール",
		.l_kind = "種類",
		.l_src = "送信元",
		.l_dest = "宛先",
		.l_id = "インシデントID",
		.unknown = "不明",
		.tz_offset = JST_OFFSET,
	},
	[NOTIFY_EN] = {
		.sev_word = { NULL, "Critical", "High", "Medium", "Low" },
		.sev_text = { NULL,
			"Act now: the damage may spread.",
			"Act soon: please check it today.",
			"No harm is expected right away, but it should be checked.",
			"For your information: nothing urgent to do." },
		.subject = { { "[{sev}] {title}", "[{sev}] {title} - {tenant}" },
			     { "[Escalated, {sev}] {title}", "[Escalated, {sev}] {title} - {tenant}" } },
		.h_escalated = "Escalated",
		.escalated = "The first contact did not answer, so this is sent to you, the next contact.",
		.h_what = "What happened",
		.h_serious = "How serious it is",
		.h_todo = "What to do now",
		.h_contact = "Who will contact you",
		.h_where = "Device and time",
		.h_details = "Details (technical)",
		.serious = "{sev}. {sevtext}",
		.contact_now = "We are looking into it, and {helpdesk} will call you. Please stay reachable by phone.",
		.contact_later = "If anything needs to be done, {helpdesk} will contact you. If anything is unclear, ask {helpdesk}.",
		.helpdesk = "the support desk",
		.machine_device = "this computer ({device})",
		.machine_ip = "the device with IP address {ip}",
		.machine_none = "a device of the office",
		.where = "Seen by: {device}\nCompany: {tenant}\nTime: {time}\nEvents: {count}",
		.time_one = "{first}",
		.time_range = "{first} to {last}",
		.link_label = "Open in the console",
		.l_signature = "Rule",
		.l_kind = "Kind",
		.l_src = "Source",
		.l_dest = "Destination",
		.l_id = "Incident ID",
		.unknown = "unknown",
		.tz_offset = 0,
	},
};

/* ---- UTF-8 ---- */

/* The code point at s[0..n) into *cp and its length, or 0 when s does not
 * start with a valid, shortest-form UTF-8 sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool notify_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	for (size_t i = 0, k; i < len; i += k)
		if (!(k = utf8_decode(p + i, len - i, &cp)))
			return false;
	return true;
}

size_t notify_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

#define REPLACEMENT "\xef\xbf\xbd"   /* U+FFFD */
#define ELLIPSIS "\xe2\x80\xa6"      /* U+2026 */

char *notify_clean(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), o = 0;
	/* each input byte becomes at most 3 output bytes (U+FFFD) */
	char *out = malloc(3 * n + sizeof(ELLIPSIS));
	if (!out)
		return NULL;
	for (size_t i = 0, k; i < n; i += k) {
		uint32_t cp;
		if (!(k = utf8_decode(p + i, n - i, &cp))) {
			k = 1;
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
		} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			out[o++] = ' ';
		} else if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
			/* text direction overrides could make a name read as another */
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
		} else {
			memcpy(out + o, p + i, k);
			o += k;
		}
	}
	if (o > max) {
		o = notify_utf8_cut(out, o, max > 3 ? max - 3 : 0);
		memcpy(out + o, ELLIPSIS, 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* ---- times ---- */

/* us (UTC) shifted by off seconds, broken down; false when out of range. */
static bool break_time(int64_t us, int off, struct tm *tm)
{
	int64_t s = us / 1000000;
	if (us < 0 || s > INT64_C(253402300799) - off)   /* beyond 9999-12-31 */
		return false;
	time_t t = (time_t)(s + off);
	return gmtime_r(&t, tm) != NULL;
}

void notify_time_iso(int64_t us, char *buf, size_t len)
{
	struct tm tm;
	if (!break_time(us, 0, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		buf[0] = '\0';
}

/* A time as words[lang] shows it: "2026年11月22日 15:04" in JST, or ISO. */
static void show_time(int64_t us, enum notify_lang lang, char *buf, size_t len)
{
	struct tm tm;
	if (lang == NOTIFY_EN) {
		notify_time_iso(us, buf, len);
	} else if (break_time(us, words[lang].tz_offset, &tm)) {
		snprintf(buf, len, "%d年%d月%d日 %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min);
	} else {
		buf[0] = '\0';
	}
	if (!buf[0])
		snprintf(buf, len, "%s", words[lang].unknown);
}

/* ---- templates ---- */

struct var {
	const char *name;
	const char *value;
};

/* tpl with each "{name}" of vars replaced by its value, onto f. */
static void fill(FILE *f, const char *tpl, const struct var *vars, size_t n)
{
	for (const char *p = tpl; *p;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			size_t i;
			for (i = 0; e && i < n; i++)
				if (strlen(vars[i].name) == (size_t)(e - p - 1) &&
				    memcmp(vars[i].name, p + 1, (size_t)(e - p - 1)) == 0)
					break;
			if (e && i < n) {
				fputs(vars[i].value, f);
				p = e + 1;
				continue;
			}
		}
		fputc(*p++, f);
	}
}

/* fill() into a new string; NULL when out of memory. */
static char *filled(const char *tpl, const struct var *vars, size_t n)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fill(f, tpl, vars, n);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Whether text is an address of a private or link-local network: the
 * side of a connection that is the office's own machine. */
static bool is_private(const char *text)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, text, a) == 1)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64);
	if (inet_pton(AF_INET6, text, a) == 1)
		return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
	return false;
}

/* ---- the message ---- */

void notify_msg_free(struct notify_msg *m)
{
	free(m->title);
	free(m->subject);
	free(m->url);
	for (size_t i = 0; i < m->nsec; i++)
		free(m->sec[i].text);
	for (size_t i = 0; i < m->nfact; i++)
		free(m->fact[i].value);
	memset(m, 0, sizeof(*m));
}

static bool add_section(struct notify_msg *m, const char *heading, char *text)
{
	if (!text)
		return false;
	m->sec[m->nsec].heading = heading;
	m->sec[m->nsec++].text = text;
	return true;
}

static bool add_fact(struct notify_msg *m, const char *label, const char *value, size_t max)
{
	if (!value || !*value)
		return true;
	char *v = notify_clean(value, max);
	if (!v)
		return false;
	m->fact[m->nfact].label = label;
	m->fact[m->nfact++].value = v;
	return true;
}

static char *numbered_steps(const char *const *steps, const struct var *vars, size_t n)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (int i = 0; steps[i]; i++) {
		fprintf(f, "%s%d. ", i ? "\n" : "", i + 1);
		fill(f, steps[i], vars, n);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The strings of inc shown in sentences, cleaned. */
struct cleaned {
	char *tenant, *device, *helpdesk, *src, *dest;
};

static void cleaned_free(struct cleaned *c)
{
	free(c->tenant);
	free(c->device);
	free(c->helpdesk);
	free(c->src);
	free(c->dest);
}

static bool clean_incident(struct cleaned *c, const struct notify_incident *inc)
{
	c->tenant = notify_clean(inc->tenant_name, MAX_NAME);
	c->device = notify_clean(inc->device_name, MAX_NAME);
	c->helpdesk = notify_clean(inc->helpdesk, MAX_NAME);
	c->src = notify_clean(inc->src_ip, MAX_SHORT);
	c->dest = notify_clean(inc->dest_ip, MAX_SHORT);
	return c->tenant && c->device && c->helpdesk && c->src && c->dest;
}

/* The machine the steps speak of: the reporting PC for the agent's keys,
 * else the office's side of the connection. */
static char *machine_words(const struct notify_kind *k, const struct words *w,
			   const struct cleaned *c)
{
	const char *ip = is_private(c->src) ? c->src : is_private(c->dest) ? c->dest :
			 *c->src ? c->src : c->dest;
	struct var v[] = { { "device", c->device }, { "ip", ip } };
	if (k->on_device && *c->device)
		return filled(w->machine_device, v, OT_ARRAY_LEN(v));
	if (*ip)
		return filled(w->machine_ip, v, OT_ARRAY_LEN(v));
	return strdup(w->machine_none);
}

static bool is_web_link(const char *s)
{
	return s && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0) &&
	       !strpbrk(s, " \"<>\\^`{|}");
}

int notify_msg_render(struct notify_msg *m, const struct notify_incident *inc, enum notify_lang lang)
{
	const struct words *w = &words[lang == NOTIFY_EN];
	const struct notify_kind *k = notify_kind_find(inc->kind);
	struct cleaned c = { 0 };
	char *machine = NULL, first[64], last[64], count[32], *when = NULL;
	bool ok = false;

	memset(m, 0, sizeof(*m));
	m->lang = lang == NOTIFY_EN ? NOTIFY_EN : NOTIFY_JA;
	m->severity = inc->severity >= 1 && inc->severity <= 4 ? inc->severity : 2;
	m->severity_word = w->sev_word[m->severity];
	if (!k)
		k = &notify_kind_general;
	if (!clean_incident(&c, inc) || !(machine = machine_words(k, w, &c)))
		goto out;

	show_time(inc->first_us, m->lang, first, sizeof(first));
	show_time(inc->last_us, m->lang, last, sizeof(last));
	snprintf(count, sizeof(count), "%llu", (unsigned long long)inc->event_count);
	struct var tv[] = { { "first", first }, { "last", last } };
	if (!(when = filled(strcmp(first, last) ? w->time_range : w->time_one, tv, OT_ARRAY_LEN(tv))))
		goto out;

	struct var v[] = {
		{ "machine", machine },
		{ "device", *c.device ? c.device : w->unknown },
		{ "tenant", c.tenant },
		{ "helpdesk", *c.helpdesk ? c.helpdesk : w->helpdesk },
		{ "sev", m->severity_word },
		{ "sevtext", w->sev_text[m->severity] },
		{ "title", k->title[m->lang] },
		{ "time", when },
		{ "count", count },
	};
	size_t nv = OT_ARRAY_LEN(v);
	const char *subject = w->subject[inc->escalated][*c.tenant != '\0'];
	if (!(m->title = strdup(k->title[m->lang])) || !(m->subject = filled(subject, v, nv)))
		goto out;

	if (inc->escalated && !add_section(m, w->h_escalated, strdup(w->escalated)))
		goto out;
	if (!add_section(m, w->h_what, filled(k->what[m->lang], v, nv)) ||
	    !add_section(m, w->h_serious, filled(w->serious, v, nv)) ||
	    !add_section(m, w->h_todo, numbered_steps(notify_todo_steps(k->todo, m->lang), v, nv)) ||
	    !add_section(m, w->h_contact, filled(m->severity <= 2 ? w->contact_now : w->contact_later,
						  v, nv)) ||
	    !add_section(m, w->h_where, filled(w->where, v, nv)))
		goto out;

	m->link_label = w->link_label;
	if (is_web_link(inc->console_url) && strlen(inc->console_url) <= MAX_URL &&
	    !(m->url = notify_clean(inc->console_url, MAX_URL)))
		goto out;

	m->details_heading = w->h_details;
	if (!add_fact(m, w->l_signature, inc->signature, MAX_SIGNATURE) ||
	    !add_fact(m, w->l_kind, inc->kind, MAX_SHORT) ||
	    !add_fact(m, w->l_src, c.src, MAX_SHORT) ||
	    !add_fact(m, w->l_dest, c.dest, MAX_SHORT) ||
	    !add_fact(m, w->l_id, inc->id, MAX_SHORT))
		goto out;
	ok = true;
out:
	free(when);
	free(machine);
	cleaned_free(&c);
	if (!ok)
		notify_msg_free(m);
	return ok ? 0 : -1;
}

char *notify_msg_plain(const struct notify_msg *m)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < m->nsec; i++)
		fprintf(f, "■ %s\n%s\n\n", m->sec[i].heading, m->sec[i].text);
	if (m->url)
		fprintf(f, "■ %s\n%s\n\n", m->link_label, m->url);
	if (m->nfact) {
		fprintf(f, "――――――――――\n%s\n", m->details_heading);
		for (size_t i = 0; i < m->nfact; i++)
			fprintf(f, "%s%s%s\n", m->fact[i].label, m->lang == NOTIFY_JA ? "：" : ": ",
				m->fact[i].value);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
