/*
 * notify-mail.c - the mail channel: one plain-text message in MIME, sent
 * by notify.c over SMTP (MAIL FROM, RCPT TO, DATA, with libcurl).
 *
 * The message is written so that any mail server passes it unchanged and
 * any mail reader shows the Japanese right: UTF-8 text in base64 (no need
 * for 8BITMIME, no line near the 998-byte limit whatever a device put in
 * a rule's text), the subject and the sender's name as RFC 2047 encoded
 * words, each under 76 characters and cut only between characters, and
 * Date, Message-ID and Auto-Submitted (RFC 3834, so no auto-reply comes
 * back) as a well-behaved sender includes them.
 */
#include "notify-channel.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

/* Bytes of text in one encoded word: 45 make 60 in base64, and with
 * "=?UTF-8?B?" and "?=" the word is 72 characters. */
#define WORD_BYTES 45
#define BODY_LINE 76

static int check(const struct notify_target *t, char *why, size_t whylen)
{
	if (!notify_mail_address_ok(t->address)) {
		snprintf(why, whylen, "mail: '%.100s' is not a mail address such as owner@example.jp",
			 t->address ? t->address : "");
		return -1;
	}
	return 0;
}

/* s[0..n) in base64 onto f; false when out of memory. */
static bool put_base64(FILE *f, const void *s, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b = malloc(len);
	if (!b)
		return false;
	sodium_bin2base64(b, len, s, n, sodium_base64_VARIANT_ORIGINAL);
	fputs(b, f);
	free(b);
	return true;
}

/* A header's text as RFC 2047 encoded words, folded between them. */
static bool put_words(FILE *f, const char *text)
{
	size_t n = strlen(text);
	bool first = true;
	do {
		size_t k = notify_utf8_cut(text, n, WORD_BYTES);
		fputs(first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?", f);
		if (!put_base64(f, text, k))
			return false;
		fputs("?=", f);
		text += k;
		n -= k;
		first = false;
	} while (n);
	return true;
}

/* "Sun, 22 Nov 2026 06:04:05 +0000", in English whatever the locale. */
static void rfc5322_date(time_t now, char *buf, size_t len)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The text with CRLF line ends (the canonical form of text/plain), in
 * base64 lines of 76 characters. */
static bool put_body(FILE *f, const char *text)
{
	char *crlf = NULL, *b64 = NULL;
	size_t clen, blen;
	FILE *c = open_memstream(&crlf, &clen);
	if (!c)
		return false;
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			fputc('\r', c);
		fputc(*p, c);
	}
	if (fclose(c) != 0)
		goto err;
	blen = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
	if (!(b64 = malloc(blen)))
		goto err;
	sodium_bin2base64(b64, blen, (const unsigned char *)crlf, clen, sodium_base64_VARIANT_ORIGINAL);
	for (size_t i = 0, n = strlen(b64); i < n; i += BODY_LINE)
		fprintf(f, "%.*s\r\n", (int)OT_MIN((size_t)BODY_LINE, n - i), b64 + i);
	free(crlf);
	free(b64);
	return true;
err:
	free(crlf);
	return false;
}

static int build(const struct notify_target *t, const struct notify_env *e, struct notify_req *r)
{
	const char *from = e->s->mail_from ? e->s->mail_from : "otasuke@localhost.invalid";
	const char *name = e->s->mail_from_name ? e->s->mail_from_name : "otasuke";
	char date[64], id[33], *plain = NULL;
	unsigned char rnd[16];
	bool ok = true;

	r->proto = NOTIFY_SMTP;
	if (!(r->rcpt = strdup(t->address)) || !(plain = notify_msg_plain(e->msg)))
		goto err;
	FILE *f = open_memstream(&r->body, &r->len);
	if (!f)
		goto err;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
	rfc5322_date(e->now, date, sizeof(date));
	char *sender = notify_clean(name, 200);
	fputs("From: ", f);
	ok &= sender && put_words(f, sender);
	free(sender);
	fprintf(f, " <%s>\r\nTo: <%s>\r\nSubject: ", from, t->address);
	ok &= put_words(f, e->msg->subject);
	fprintf(f, "\r\nDate: %s\r\nMessage-ID: <%s.otasuke@%s>\r\n", date, id, strchr(from, '@') + 1);
	fputs("MIME-Version: 1.0\r\n"
	      "Content-Type: text/plain; charset=UTF-8\r\n"
	      "Content-Transfer-Encoding: base64\r\n"
	      "Auto-Submitted: auto-generated\r\n"
	      "\r\n", f);
	ok &= put_body(f, plain);
	if (fclose(f) != 0 || !ok)
		goto err;
	free(plain);
	return 0;
err:
	free(plain);
	return -1;
}

const struct notify_channel notify_channel_mail = { "mail", check, build };
