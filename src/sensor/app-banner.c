/*
 * app-banner.c - protocols recognised by their greeting or first command,
 * not (yet) parsed: FTP, SMTP, IMAP and SSH.
 *
 * Knowing that a flow speaks one of these is already worth having: the flow
 * event says so (`app_proto`), an operator can search for it, and a later
 * parser takes the flow from here.  The line-based ones share verbs ("USER",
 * "PASS" open FTP, POP3 and IRC logins alike), so they are only considered
 * on their usual server ports; SSH's "SSH-2.0-" is unambiguous anywhere.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applayer.h"
#include "app-banner.h"

/* The first line of data, when complete: its length, or -1 (need more), or
 * -2 (no line end within a sane length: not a line protocol). */
static long first_line(const uint8_t *d, size_t len)
{
	size_t max = len < 512 ? len : 512;
	const uint8_t *nl = memchr(d, '\n', max);
	if (nl)
		return nl - d;
	return len < 512 ? -1 : -2;
}

static bool starts(const uint8_t *d, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len >= n && !strncasecmp((const char *)d, word, n);
}

static bool line_has(const uint8_t *d, long n, const char *word)
{
	return n > 0 && memmem(d, (size_t)n, word, strlen(word)) != NULL;
}

/* A command verb from the list at the start of the line, followed by a
 * space or the line end. */
static bool verb_in(const uint8_t *d, long n, const char *const *verbs)
{
	for (int i = 0; verbs[i]; i++) {
		size_t l = strlen(verbs[i]);
		if ((size_t)n >= l && !strncasecmp((const char *)d, verbs[i], l) &&
		    ((size_t)n == l || d[l] == ' ' || d[l] == '\r'))
			return true;
	}
	return false;
}

int app_probe_lines(const uint8_t *d, size_t len, int dir, const char *const *verbs,
		    const char *greeting, const char *greeting_word)
{
	long n = first_line(d, len);
	if (n == -2)
		return PROBE_NO;
	if (dir == APP_TOCLIENT) {
		size_t gl = strlen(greeting);
		if (len < gl)
			return PROBE_NEED_MORE;
		if (!starts(d, len, greeting))
			return PROBE_NO;
		if (!greeting_word)
			return PROBE_YES;
		if (n == -1)
			return PROBE_NEED_MORE;
		return line_has(d, n, greeting_word) ? PROBE_YES : PROBE_NO;
	}
	if (n == -1)
		return PROBE_NEED_MORE;
	return verb_in(d, n, verbs) ? PROBE_YES : PROBE_NO;
}

static const char *const ftp_verbs[] = {
	"USER", "PASS", "ACCT", "CWD", "QUIT", "PORT", "PASV", "EPRT", "EPSV", "TYPE",
	"RETR", "STOR", "LIST", "NLST", "SYST", "FEAT", "AUTH", "PWD", "MKD", "DELE",
	"OPTS", "SIZE", "MDTM", "REST", "NOOP", NULL,
};
static const char *const smtp_verbs[] = { "EHLO", "HELO", "MAIL", "STARTTLS", NULL };

static int ftp_probe(const uint8_t *d, size_t len, int dir)
{
	return app_probe_lines(d, len, dir, ftp_verbs, "220", "FTP");
}

static int smtp_probe(const uint8_t *d, size_t len, int dir)
{
	return app_probe_lines(d, len, dir, smtp_verbs, "220", "SMTP");
}

static int imap_probe(const uint8_t *d, size_t len, int dir)
{
	static const char *const cmds[] = {
		"CAPABILITY", "LOGIN", "STARTTLS", "AUTHENTICATE", "NOOP", "LOGOUT", "ID", NULL,
	};
	long n = first_line(d, len);
	if (n == -2)
		return PROBE_NO;
	if (dir == APP_TOCLIENT)
		return app_probe_lines(d, len, dir, NULL, "* OK", NULL);
	if (n == -1)
		return PROBE_NEED_MORE;
	/* "<tag> <command>" */
	const uint8_t *sp = memchr(d, ' ', (size_t)n);
	if (!sp || sp == d)
		return PROBE_NO;
	for (const uint8_t *t = d; t < sp; t++)
		if (*t <= ' ' || *t > '~')
			return PROBE_NO;
	sp++;
	return verb_in(sp, n - (sp - d), cmds) ? PROBE_YES : PROBE_NO;
}

static int ssh_probe(const uint8_t *d, size_t len, int dir)
{
	if (len < 4)
		return memcmp(d, "SSH-", len) ? PROBE_NO : PROBE_NEED_MORE;
	return memcmp(d, "SSH-", 4) ? PROBE_NO : PROBE_YES;
}

/* Recognised, not parsed: the parser accepts and drops the bytes. */
static void *banner_new(void)
{
	static int token;
	return &token;
}

static void banner_free(void *state)
{
	(void)state;
}

static int banner_parse(void *state, struct app_ctx *ctx, int dir, const uint8_t *d, size_t len)
{
	return PARSE_OK;
}

const struct app_parser app_parser_ftp = {
	.name = "ftp", .id = APP_FTP, .tcp = true, .ports = { 21 }, .port_only = true,
	.probe = ftp_probe, .state_new = banner_new, .state_free = banner_free,
	.parse = banner_parse,
};

const struct app_parser app_parser_smtp = {
	.name = "smtp", .id = APP_SMTP, .tcp = true, .ports = { 25, 465, 587 }, .port_only = true,
	.probe = smtp_probe, .state_new = banner_new, .state_free = banner_free,
	.parse = banner_parse,
};

const struct app_parser app_parser_imap = {
	.name = "imap", .id = APP_IMAP, .tcp = true, .ports = { 143 }, .port_only = true,
	.probe = imap_probe, .state_new = banner_new, .state_free = banner_free,
	.parse = banner_parse,
};

const struct app_parser app_parser_ssh = {
	.name = "ssh", .id = APP_SSH, .tcp = true, .ports = { 22 },
	.probe = ssh_probe, .state_new = banner_new, .state_free = banner_free,
	.parse = banner_parse,
};
