/*
 * fuzz-api-args.c - what a client puts in a request's path, cookie,
 * Authorization header and query string, as otasuked reads it before any
 * handler runs: the path against every route of the table
 * (http_path_match), a session cookie or API token (token_secret_hash), an
 * enrollment token (token_parse), a time argument (srv_time_parse) and a
 * number argument (ot_parse_u64).
 *
 * Checked beyond "no crash": a path that matches gives back parameters
 * that are non-empty, hold no '/', and put together with the pattern
 * spell the path again; a secret is hashed only when made of the URL-safe
 * base64 alphabet; a parsed time prints and parses back to itself (to the
 * second).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "http.h"
#include "srv-time.h"
#include "token.h"
#include "../lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *s)
{
	fprintf(stderr, "fuzz-api-args: %s: %s\n", why, s);
	abort();
}

/* The pattern with r's parameters put in its {name} parts. */
static void rebuild(const char *pattern, const struct http_req *r, char *out, size_t len)
{
	size_t o = 0;
	unsigned k = 0;
	for (const char *p = pattern; *p && o + 1 < len;) {
		if (*p == '{') {
			o += (size_t)snprintf(out + o, len - o, "%s", r->params[k++].value);
			p = strchr(p, '}') + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

static void check_path(const char *path)
{
	static struct http_req r;
	char again[4096];
	for (size_t i = 0; i < api_nroutes; i++) {
		memset(&r, 0, sizeof(r));
		if (!http_path_match(api_routes[i].path, path, &r))
			continue;
		for (unsigned k = 0; k < r.nparams; k++)
			if (!r.params[k].value[0] || strchr(r.params[k].value, '/'))
				fail("a parameter is empty or spans segments", path);
		rebuild(api_routes[i].path, &r, again, sizeof(again));
		if (strcmp(again, path))
			fail("the parameters do not spell the path again", path);
	}
}

static void check_secret(const char *s)
{
	char hash[TOKEN_HASH_LEN];
	if (token_secret_hash(s, hash) == 0) {
		if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(s))
			fail("a secret outside the alphabet was hashed", s);
		if (strlen(hash) != 64)
			fail("a hash is not 64 hex digits", s);
	}
	char tenant[37];
	if (token_parse(s, tenant, hash) == 0 && !token_is_uuid(tenant))
		fail("an enrollment token's tenant is not a UUID", s);
}

static void check_time(const char *s, size_t len)
{
	int64_t us, back;
	char text[40];
	if (srv_time_parse(s, len, &us) < 0)
		return;
	srv_time_fmt(us, text, sizeof(text));
	if (srv_time_parse(text, strlen(text), &back) < 0 || back != us - us % 1000000)
		fail("a time does not print and parse back", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t n;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_path(s);
	check_secret(s);
	check_time(s, size);
	ot_parse_u64(s, 1, INT64_MAX, false, &n);
	free(s);
	return 0;
}
