/*
 * http-body.c - decoding and naming HTTP bodies (see http-body.h).
 */
#include "http-body.h"

#include <string.h>

void http_body_start(struct http_body *b, struct http_mem *mem, const uint8_t *ce,
		     size_t n, uint32_t limit)
{
	enum http_coding kinds[HTTP_Z_LAYERS_MAX];
	http_body_free(b, mem);
	if (!ce)
		return;
	size_t k = http_codings(ce, n, limit, kinds, HTTP_Z_LAYERS_MAX);
	size_t cost = k * HTTP_Z_LAYER_COST;
	if (!k || mem->used + cost > mem->max)
		return;
	b->z = http_inflate_new(kinds, k);
	if (b->z) {
		b->cost = cost;
		mem->used += cost;
	}
}

void http_body_data(struct http_body *b, const uint8_t *p, size_t n,
		    http_z_sink sink, void *arg)
{
	if (b->z)
		http_inflate_data(b->z, p, n, sink, arg);
	else if (n)
		sink(arg, p, n);
}

void http_body_end(struct http_body *b, struct http_mem *mem, http_z_sink sink, void *arg)
{
	http_inflate_end(b->z, sink, arg);
	http_body_free(b, mem);
}

void http_body_free(struct http_body *b, struct http_mem *mem)
{
	http_inflate_free(b->z);
	mem->used = mem->used >= b->cost ? mem->used - b->cost : 0;
	b->z = NULL;
	b->cost = 0;
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The value of parameter name (with its '=') among the ';'-separated
 * parameters of v, quotes honoured; quotes around the value removed. */
static bool disposition_param(const uint8_t *v, size_t n, const char *name,
			      size_t *off, size_t *len)
{
	size_t nl = strlen(name), i = 0;
	while (i < n) {
		while (i < n && is_space(v[i]))
			i++;
		size_t s = i;
		bool quoted = false;
		for (; i < n; i++) {
			if (v[i] == '"' && (i == s || v[i - 1] != '\\'))
				quoted = !quoted;
			else if (v[i] == ';' && !quoted)
				break;
		}
		size_t e = i++;
		if (e - s > nl && http_memeq_nocase(v + s, nl, name)) {
			s += nl;
			if (v[s] == '"')
				s++;
			if (e > s && v[e - 1] == '"')
				e--;
			*off = s;
			*len = e - s;
			return true;
		}
	}
	return false;
}

bool http_disposition_filename(const uint8_t *v, size_t n, size_t *off, size_t *len)
{
	if (disposition_param(v, n, "filename=", off, len))
		return true;
	if (!disposition_param(v, n, "filename*=", off, len))
		return false;
	/* charset'language'name */
	const uint8_t *q = memchr(v + *off, '\'', *len);
	const uint8_t *q2 = q ? memchr(q + 1, '\'', (size_t)(v + *off + *len - q - 1)) : NULL;
	if (q2) {
		size_t skip = (size_t)(q2 + 1 - (v + *off));
		*off += skip;
		*len -= skip;
	}
	return true;
}

void http_uri_path(const uint8_t *uri, size_t n, size_t *off, size_t *len)
{
	size_t s = 0;
	const uint8_t *sep = n >= 3 ? memchr(uri, ':', n) : NULL;
	if (sep && (size_t)(sep - uri) + 3 <= n && sep[1] == '/' && sep[2] == '/' &&
	    !memchr(uri, '/', (size_t)(sep - uri))) {
		s = (size_t)(sep - uri) + 3;
		while (s < n && uri[s] != '/' && uri[s] != '?' && uri[s] != '#')
			s++;
	}
	size_t e = s;
	while (e < n && uri[e] != '?' && uri[e] != '#')
		e++;
	*off = s;
	*len = e - s;
}
