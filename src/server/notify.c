/*
 * notify.c - see notify.h.  The table of channels, the per-thread context,
 * and the one place that sends: an HTTPS POST or an SMTP transaction with
 * libcurl, and the classification of what came back.
 *
 * Sent, retry or failed: a 2xx answer was sent; 408, 429 and 5xx, and any
 * failure to connect, resolve, talk TLS or get an answer in time, are
 * worth trying again later (the receiver is away, busy or slow); any other
 * answer (3xx, 4xx) means the address or the token is wrong and trying
 * again will not help.  For mail, a 5xx reply to the recipient or the
 * message is permanent, a 4xx temporary, and anything wrong with the mail
 * server itself (no connection, TLS, login refused) temporary: it is the
 * provider's to fix, and the message should wait for it.
 */
#include "notify.h"
#include "notify-channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "../lib/config.h"
#include "../lib/log.h"
#include "../lib/util.h"

/* The channels, one row each. */
static const struct notify_channel *const channels[] = {
	&notify_channel_mail,
	&notify_channel_line,
	&notify_channel_teams,
	&notify_channel_slack,
	&notify_channel_chatwork,
	&notify_channel_webhook,
};

#define ANSWER_MAX 8192         /* of a receiver's answer, kept for the reason */
#define REASON_MAX 200

struct notify_ctx {
	CURL *curl;
	struct notify_settings s;
	char *strs[8];              /* the copies s points to */
	char errbuf[CURL_ERROR_SIZE];
	char answer[ANSWER_MAX + 1];
	size_t alen;
	char smtp_line[512];        /* the mail server's last reply line */
};

const struct notify_channel *notify_channel_find(const char *name)
{
	for (size_t i = 0; name && i < OT_ARRAY_LEN(channels); i++)
		if (strcmp(channels[i]->name, name) == 0)
			return channels[i];
	return NULL;
}

bool notify_channel_known(const char *name)
{
	return notify_channel_find(name) != NULL;
}

int notify_lang_parse(const char *s, enum notify_lang *lang)
{
	if (!s)
		return -1;
	if (!strcasecmp(s, "ja") || !strcasecmp(s, "japanese"))
		*lang = NOTIFY_JA;
	else if (!strcasecmp(s, "en") || !strcasecmp(s, "english"))
		*lang = NOTIFY_EN;
	else
		return -1;
	return 0;
}

int notify_target_check(const struct notify_target *t, char *why, size_t whylen)
{
	const struct notify_channel *ch = notify_channel_find(t->channel);
	if (!ch) {
		snprintf(why, whylen, "unknown channel '%s'", t->channel ? t->channel : "");
		return -1;
	}
	return ch->check(t, why, whylen);
}

/* ---- settings ---- */

void notify_ctx_free(struct notify_ctx *c)
{
	if (!c)
		return;
	if (c->curl) {
		curl_easy_cleanup(c->curl);
		curl_global_cleanup();
	}
	for (size_t i = 0; i < OT_ARRAY_LEN(c->strs); i++)
		free(c->strs[i]);
	free(c);
}

/* *dst = a copy of src kept in c (NULL stays NULL); false when out of memory. */
static bool keep(struct notify_ctx *c, size_t i, const char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return true;
	c->strs[i] = strdup(src);
	*dst = c->strs[i];
	return *dst != NULL;
}

struct notify_ctx *notify_ctx_new(const struct notify_settings *s)
{
	struct notify_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		goto oom;
	c->s = *s;
	if (!keep(c, 0, &c->s.smtp_url, s->smtp_url) ||
	    !keep(c, 1, &c->s.mail_from, s->mail_from) ||
	    !keep(c, 2, &c->s.mail_from_name, s->mail_from_name ? s->mail_from_name : "otasuke") ||
	    !keep(c, 3, &c->s.smtp_user, s->smtp_user) ||
	    !keep(c, 4, &c->s.smtp_password, s->smtp_password) ||
	    !keep(c, 5, &c->s.line_api, s->line_api ? s->line_api : "https://api.line.me") ||
	    !keep(c, 6, &c->s.chatwork_api, s->chatwork_api ? s->chatwork_api : "https://api.chatwork.com") ||
	    !keep(c, 7, &c->s.ca_file, s->ca_file))
		goto oom;
	if (c->s.connect_timeout <= 0)
		c->s.connect_timeout = 10;
	if (c->s.timeout <= 0)
		c->s.timeout = 30;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		ot_err("notify: libsodium or libcurl cannot be initialised");
		notify_ctx_free(c);
		return NULL;
	}
	if (!(c->curl = curl_easy_init())) {
		curl_global_cleanup();
		goto oom;
	}
	return c;
oom:
	ot_err("notify: out of memory");
	notify_ctx_free(c);
	return NULL;
}

int notify_settings_from_config(struct notify_settings *s, const struct ot_config *cfg)
{
	static const char *const tls[] = { "try", "require", "never" };
	int bad = 0;
	memset(s, 0, sizeof(*s));
	s->smtp_url = cfg_str(cfg, "notify.smtp.url");
	s->mail_from = cfg_str(cfg, "notify.smtp.from");
	s->mail_from_name = cfg_str(cfg, "notify.smtp.from-name");
	s->smtp_user = cfg_str(cfg, "notify.smtp.user");
	s->smtp_password = cfg_str(cfg, "notify.smtp.password");
	s->line_api = cfg_str(cfg, "notify.line.api");
	s->chatwork_api = cfg_str(cfg, "notify.chatwork.api");
	s->connect_timeout = (long)cfg_uint(cfg, "notify.connect-timeout");
	s->timeout = (long)cfg_uint(cfg, "notify.timeout");
	s->ca_file = cfg_str(cfg, "notify.ca-file");

	const char *st = cfg_str(cfg, "notify.smtp.starttls");
	size_t i;
	for (i = 0; i < OT_ARRAY_LEN(tls) && strcmp(st, tls[i]); i++)
		;
	if (i == OT_ARRAY_LEN(tls)) {
		ot_err("%s: notify.smtp.starttls: '%s' is not try, require or never",
		       cfg_origin(cfg, "notify.smtp.starttls"), st);
		bad = 1;
	}
	s->starttls = (enum notify_starttls)i;
	if (s->smtp_url && strncmp(s->smtp_url, "smtp://", 7) && strncmp(s->smtp_url, "smtps://", 8)) {
		ot_err("%s: notify.smtp.url: '%s' is not smtp://HOST[:PORT] or smtps://HOST[:PORT]",
		       cfg_origin(cfg, "notify.smtp.url"), s->smtp_url);
		bad = 1;
	}
	if (s->smtp_url && !(s->mail_from && notify_mail_address_ok(s->mail_from))) {
		ot_err("%s: notify.smtp.from: mail needs a sender address such as soc@example.jp",
		       cfg_origin(cfg, "notify.smtp.from"));
		bad = 1;
	}
	if (!s->smtp_user != !s->smtp_password) {
		ot_err("%s: notify.smtp.user and notify.smtp.password go together",
		       cfg_origin(cfg, s->smtp_user ? "notify.smtp.user" : "notify.smtp.password"));
		bad = 1;
	}
	const char *apis[] = { "notify.line.api", "notify.chatwork.api" };
	for (i = 0; i < OT_ARRAY_LEN(apis); i++) {
		char why[256];
		if (notify_check_https(cfg_str(cfg, apis[i]), apis[i], why, sizeof(why)) < 0) {
			ot_err("%s: %s", cfg_origin(cfg, apis[i]), why);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

/* ---- requests ---- */

void notify_req_free(struct notify_req *r)
{
	free(r->url);
	for (size_t i = 0; i < r->nheaders; i++)
		free(r->headers[i]);
	free(r->body);
	free(r->rcpt);
	memset(r, 0, sizeof(*r));
}

int notify_req_header(struct notify_req *r, const char *fmt, ...)
{
	va_list ap;
	if (r->nheaders >= NOTIFY_MAX_HEADERS)
		return -1;
	va_start(ap, fmt);
	int n = vasprintf(&r->headers[r->nheaders], fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->headers[r->nheaders] = NULL;
		return -1;
	}
	r->nheaders++;
	return 0;
}

int notify_req_url(struct notify_req *r, const char *base, const char *path)
{
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	return asprintf(&r->url, "%.*s%s", (int)bl, base, path) < 0 ? (r->url = NULL, -1) : 0;
}

int notify_req_json(struct notify_req *r, json_t *j)
{
	r->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!r->body)
		return -1;
	r->len = strlen(r->body);
	return notify_req_header(r, "Content-Type: application/json; charset=utf-8");
}

int notify_build(const struct notify_settings *s, const struct notify_target *t,
		 const struct notify_incident *inc, time_t now, struct notify_req *r,
		 char *why, size_t whylen)
{
	const struct notify_channel *ch = notify_channel_find(t->channel);
	struct notify_msg m;
	memset(r, 0, sizeof(*r));
	if (!ch) {
		snprintf(why, whylen, "unknown channel '%s'", t->channel ? t->channel : "");
		return NOTIFY_FAILED;
	}
	if (ch->check(t, why, whylen) < 0)
		return NOTIFY_FAILED;
	if (notify_msg_render(&m, inc, t->lang) < 0) {
		snprintf(why, whylen, "out of memory");
		return NOTIFY_RETRY;
	}
	struct notify_env e = { s, inc, &m, now };
	int rc = ch->build(t, &e, r);
	notify_msg_free(&m);
	if (rc < 0) {
		notify_req_free(r);
		snprintf(why, whylen, "out of memory");
		return NOTIFY_RETRY;
	}
	return NOTIFY_SENT;
}

/* ---- sending ---- */

static size_t on_answer(char *data, size_t size, size_t n, void *arg)
{
	struct notify_ctx *c = arg;
	size_t keep = OT_MIN(size * n, ANSWER_MAX - c->alen);
	memcpy(c->answer + c->alen, data, keep);
	c->alen += keep;
	c->answer[c->alen] = '\0';
	return size * n;
}

/* libcurl's protocol trace: keep the mail server's last reply line. */
static int on_trace(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct notify_ctx *c = arg;
	if (type == CURLINFO_HEADER_IN) {
		size_t n = OT_MIN(size, sizeof(c->smtp_line) - 1);
		while (n && (data[n - 1] == '\r' || data[n - 1] == '\n'))
			n--;
		memcpy(c->smtp_line, data, n);
		c->smtp_line[n] = '\0';
	}
	return 0;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = OT_MIN(size * n, u->left);
	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

void notify_answer_reason(const char *body, size_t len, char *out, size_t outlen)
{
	json_t *j = len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *m = NULL;
	char *clean;
	if (json_is_object(j)) {
		json_t *e = json_object_get(j, "error");
		m = json_string_value(json_object_get(j, "message"));
		if (!m)
			m = json_string_value(json_array_get(json_object_get(j, "errors"), 0));
		if (!m)
			m = json_is_object(e) ? json_string_value(json_object_get(e, "message")) :
						json_string_value(e);
	}
	char line[REASON_MAX + 1];
	if (!m && len && !j) {
		size_t n = 0;
		while (n < len && n < REASON_MAX && body[n] && body[n] != '\r' && body[n] != '\n')
			n++;
		snprintf(line, sizeof(line), "%.*s", (int)n, body);
		m = line;
	}
	clean = m ? notify_clean(m, REASON_MAX) : NULL;
	snprintf(out, outlen, "%s", clean ? clean : "");
	free(clean);
	json_decref(j);
}

/* why without the secret in it, should a receiver have echoed it. */
static void scrub(char *why, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p;
	if (n < 4)
		return;
	while ((p = strstr(why, secret))) {
		memset(p, '*', 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

static bool transport_error_permanent(CURLcode rc)
{
	return rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

static void set_common(struct notify_ctx *c)
{
	CURL *h = c->curl;
	curl_easy_reset(h);   /* keeps the connections open */
	c->errbuf[0] = c->smtp_line[0] = c->answer[0] = '\0';
	c->alen = 0;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->s.connect_timeout);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->s.timeout);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->s.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->s.ca_file);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "otasuke/" OT_VERSION);
}

static int send_http(struct notify_ctx *c, const struct notify_req *r, char *why, size_t whylen,
		     long *retry_after)
{
	CURL *h = c->curl;
	struct curl_slist *hl = NULL, *t;
	long status = 0;
	curl_off_t ra = -1;
	int res;

	/* no "Expect: 100-continue": a receiver that ignores it stalls us */
	if (!(hl = curl_slist_append(NULL, "Expect:")))
		goto oom;
	for (size_t i = 0; i < r->nheaders; i++) {
		if (!(t = curl_slist_append(hl, r->headers[i])))
			goto oom;
		hl = t;
	}
	set_common(c);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(hl);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		return transport_error_permanent(rc) ? NOTIFY_FAILED : NOTIFY_RETRY;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return NOTIFY_SENT;
	res = status == 408 || status == 429 || status >= 500 ? NOTIFY_RETRY : NOTIFY_FAILED;
	if (res == NOTIFY_RETRY && curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
	    ra > 0 && retry_after)
		*retry_after = (long)OT_MIN(ra, (curl_off_t)86400);
	char reason[REASON_MAX + 8];
	notify_answer_reason(c->answer, c->alen, reason, sizeof(reason));
	snprintf(why, whylen, "HTTP %ld%s%s", status, reason[0] ? ": " : "", reason);
	return res;
oom:
	curl_slist_free_all(hl);
	snprintf(why, whylen, "out of memory");
	return NOTIFY_RETRY;
}

static int send_smtp(struct notify_ctx *c, const struct notify_req *r, char *why, size_t whylen)
{
	static const long use_ssl[] = {
		[NOTIFY_STARTTLS_TRY] = CURLUSESSL_TRY,
		[NOTIFY_STARTTLS_REQUIRE] = CURLUSESSL_ALL,
		[NOTIFY_STARTTLS_NEVER] = CURLUSESSL_NONE,
	};
	CURL *h = c->curl;
	char from[320], to[320];
	struct curl_slist *rcpt;
	struct upload u = { r->body, r->len };
	long code = 0;

	if (!c->s.smtp_url || !c->s.mail_from) {
		snprintf(why, whylen, "mail is not set up on this server (notify.smtp.url, notify.smtp.from)");
		return NOTIFY_FAILED;
	}
	snprintf(from, sizeof(from), "<%s>", c->s.mail_from);
	snprintf(to, sizeof(to), "<%s>", r->rcpt);
	if (!(rcpt = curl_slist_append(NULL, to))) {
		snprintf(why, whylen, "out of memory");
		return NOTIFY_RETRY;
	}
	set_common(c);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_URL, c->s.smtp_url);
	curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl[c->s.starttls]);
	if (c->s.smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, c->s.smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->s.smtp_password);
	}
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);   /* for on_trace; it prints nothing */
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_trace);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, c);
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(rcpt);
	if (rc == CURLE_OK)
		return NOTIFY_SENT;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	char *line = notify_clean(c->smtp_line, REASON_MAX);
	snprintf(why, whylen, "SMTP %ld: %s%s%s", code, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc),
		 line && *line ? ": " : "", line ? line : "");
	free(line);
	if (transport_error_permanent(rc))
		return NOTIFY_FAILED;
	bool server_side = rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED ||
			   rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
			   rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SSL_CONNECT_ERROR ||
			   rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_GOT_NOTHING;
	return !server_side && code >= 500 && code < 600 ? NOTIFY_FAILED : NOTIFY_RETRY;
}

int notify_send(struct notify_ctx *c, const struct notify_target *t,
		const struct notify_incident *inc, char *why, size_t whylen, long *retry_after)
{
	struct notify_req r;
	char dummy[1];
	if (!why || !whylen) {
		why = dummy;
		whylen = sizeof(dummy);
	}
	why[0] = '\0';
	if (retry_after)
		*retry_after = -1;
	int res = notify_build(&c->s, t, inc, time(NULL), &r, why, whylen);
	if (res == NOTIFY_SENT)
		res = r.proto == NOTIFY_SMTP ? send_smtp(c, &r, why, whylen) :
					      send_http(c, &r, why, whylen, retry_after);
	notify_req_free(&r);
	scrub(why, t->secret);
	return res;
}

/* ---- helpers for the channels ---- */

int notify_check_https(const char *url, const char *what, char *why, size_t whylen)
{
	if (!url || strncmp(url, "https://", 8) || !url[8] || url[8] == '/') {
		snprintf(why, whylen, "%s: not an https:// URL", what);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(why, whylen, "%s: spaces or control characters in the URL", what);
			return -1;
		}
	return 0;
}

int notify_check_token(const char *secret, const char *what, char *why, size_t whylen)
{
	if (!secret || !*secret) {
		snprintf(why, whylen, "%s: no token given", what);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)secret; *p; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(why, whylen, "%s: the token holds spaces or characters other than ASCII",
				 what);
			return -1;
		}
	return 0;
}

bool notify_mail_address_ok(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	size_t n = s ? strlen(s) : 0;
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || n > 254 || at - s > 64)
		return false;
	for (const char *p = s; p < at; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
			return false;
	for (const char *p = at + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return false;
	return at[1] != '.' && s[n - 1] != '.';
}

char *notify_text_message(const struct notify_msg *m, size_t max)
{
	char *plain = notify_msg_plain(m), *out = NULL;
	if (plain && asprintf(&out, "%s\n\n%s", m->subject, plain) >= 0)
		out[notify_utf8_cut(out, strlen(out), max)] = '\0';
	free(plain);
	return out;
}
