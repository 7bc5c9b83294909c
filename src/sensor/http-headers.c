/*
 * http-headers.c - the bounded store of one HTTP/1.x message and the text
 * helpers of the HTTP parser (see http-headers.h for why it is apart).
 *
 * Header handling follows what libhtp does, since Suricata's output and
 * rules are built on it: a header is closed only when the next line is not
 * a folded continuation; leading and trailing whitespace of a value is
 * trimmed; a repeated header is merged into the first one as "a, b", except
 * Content-Length, whose repetitions are only compared with the first value.
 */
#include "http-headers.h"

#include "../lib/util.h"

#include <stdlib.h>
#include <string.h>


bool http_lws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool same_nocase(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool http_memeq_nocase(const uint8_t *p, size_t n, const char *s)
{
	return same_nocase(p, n, (const uint8_t *)s, strlen(s));
}

/* RFC 7230 tchar */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

void http_msg_free(struct http_msg *m, struct http_mem *mem)
{
	size_t sz = m->cap + (size_t)m->hdr_cap * sizeof(*m->hdr);
	mem->used = mem->used >= sz ? mem->used - sz : 0;
	free(m->buf);
	free(m->hdr);
	memset(m, 0, sizeof(*m));
	m->cl = HTTP_CL_NONE;
}

void http_msg_reset(struct http_msg *m, struct http_mem *mem)
{
	http_msg_free(m, mem);
}

/* Make room for n more store bytes within limit; 0 or an HTTP_HDR_ code. */
static int reserve(struct http_msg *m, struct http_mem *mem, size_t n, size_t limit)
{
	if (n > limit || m->len > limit - n)
		return HTTP_HDR_NO_ROOM;
	size_t need = m->len + n;
	if (need <= m->cap)
		return 0;
	size_t ncap = m->cap ? m->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > limit)
		ncap = limit;
	size_t delta = ncap - m->cap;
	if (mem->used + delta > mem->max)
		return HTTP_HDR_NO_MEM;
	uint8_t *nb = realloc(m->buf, ncap);
	if (!nb)
		return HTTP_HDR_NO_MEM;
	m->buf = nb;
	m->cap = (uint32_t)ncap;
	mem->used += delta;
	return 0;
}

int http_msg_put(struct http_msg *m, struct http_mem *mem, const void *p,
		 size_t n, struct http_span *out)
{
	int rc = reserve(m, mem, n, HTTP_HDR_STORE_MAX);
	if (rc)
		return rc;
	if (n)
		memcpy(m->buf + m->len, p, n);
	if (out) {
		out->off = m->len;
		out->len = (uint32_t)n;
	}
	m->len += (uint32_t)n;
	return 0;
}

int http_msg_dup(struct http_msg *m, struct http_mem *mem, uint32_t off,
		 uint32_t len, struct http_span *out)
{
	if ((size_t)off + len > m->len)
		return HTTP_HDR_NO_ROOM;
	int rc = reserve(m, mem, len, HTTP_HDR_STORE_MAX);
	if (rc)
		return rc;
	memmove(m->buf + m->len, m->buf + off, len);
	out->off = m->len;
	out->len = len;
	m->len += len;
	return 0;
}

void http_msg_keep_body(struct http_msg *m, struct http_mem *mem,
			const uint8_t *p, size_t n, size_t limit)
{
	if (m->body.len == 0)
		m->body.off = m->len;
	/* the kept body must stay contiguous at the end of the store */
	if (m->body.off + m->body.len != m->len || m->body.len >= limit)
		return;
	size_t take = OT_MIN(n, limit - m->body.len);
	if (!take || reserve(m, mem, take, (size_t)m->body.off + limit))
		return;
	memcpy(m->buf + m->len, p, take);
	m->len += (uint32_t)take;
	m->body.len += (uint32_t)take;
}

int64_t http_parse_cl(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && is_space(p[i]))
		i++;
	if (i == n || p[i] < '0' || p[i] > '9')
		return -1;
	int64_t v = 0;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	while (i < n && is_space(p[i]))
		i++;
	return i == n ? v : -1;
}

/* libhtp's "control characters" around chunk sizes */
static bool chunk_ctl(uint8_t c)
{
	return c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

int64_t http_parse_chunk_len(const uint8_t *p, size_t n, bool *ext)
{
	size_t i = 0;
	*ext = false;
	while (i < n && chunk_ctl(p[i]))
		i++;
	int64_t v = 0;
	size_t digits = 0;
	for (; i < n; i++, digits++) {
		uint8_t c = p[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (v > (INT64_MAX >> 4))
			return -1;
		v = (v << 4) | d;
	}
	if (!digits)
		return -1;
	/* as libhtp, whatever follows the digits is ignored ("fx", "f;ext") */
	*ext = memchr(p + i, ';', n - i) != NULL;
	return v;
}

bool http_has_token(const uint8_t *p, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (is_space(p[i]) || p[i] == ','))
			i++;
		size_t s = i;
		while (i < n && p[i] != ',' && p[i] != ';')
			i++;
		size_t e = i;
		while (e > s && is_space(p[e - 1]))
			e--;
		if (e > s && http_memeq_nocase(p + s, e - s, tok))
			return true;
		while (i < n && p[i] != ',')   /* skip parameters */
			i++;
	}
	return false;
}

bool http_name_is(const uint8_t *p, size_t n, const char *name)
{
	while (n && (is_space(p[n - 1]) || !p[n - 1]))
		n--;
	size_t i = 0, k = 0, nl = strlen(name);
	while (i < n && (is_space(p[i]) || !p[i]))
		i++;
	for (; i < n; i++) {
		if (!p[i])
			continue;
		if (k >= nl || lower(p[i]) != (uint8_t)name[k])
			return false;
		k++;
	}
	return k == nl;
}

bool http_contains_nozero(const uint8_t *p, size_t n, const char *s)
{
	size_t sl = strlen(s);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		for (size_t j = i; j < n && k < sl; j++) {
			if (!p[j])
				continue;
			if (lower(p[j]) != (uint8_t)s[k])
				break;
			k++;
		}
		if (k == sl)
			return true;
	}
	return false;
}

static void note_framing(struct http_msg *m, const uint8_t *name, size_t nlen,
			 const uint8_t *val, size_t vlen)
{
	if (http_name_is(name, nlen, "content-length")) {
		int64_t v = http_parse_cl(val, vlen);
		if (v < 0)
			v = HTTP_CL_INVALID;
		if (m->cl == HTTP_CL_NONE)
			m->cl = v;
		else if (m->cl != v || v < 0)
			m->flags |= HTTP_MSG_CL_DUP;
	} else if (http_name_is(name, nlen, "transfer-encoding")) {
		m->flags |= HTTP_MSG_TE;
		if (http_has_token(val, vlen, "chunked"))
			m->flags |= HTTP_MSG_TE_CHUNKED;
		if (http_contains_nozero(val, vlen, "chunked"))
			m->flags |= HTTP_MSG_TE_CHUNKED_LAX;
	}
}

/* Split "name: value" into trimmed parts; returns an HTTP_HDR_ code. */
static int split_header(const uint8_t *line, size_t len, size_t *nlen,
			size_t *voff, size_t *vlen)
{
	const uint8_t *colon = memchr(line, ':', len);
	int rc = HTTP_HDR_OK;
	size_t ne, vs;
	if (!colon) {
		ne = len;
		vs = len;
		rc = HTTP_HDR_MISSING_COLON;
	} else {
		ne = (size_t)(colon - line);
		vs = ne + 1;
	}
	size_t e = ne;
	while (e > 0 && http_lws(line[e - 1]))
		e--;
	if (rc == HTTP_HDR_OK) {
		if (e == 0 || e != ne)
			rc = HTTP_HDR_INVALID;
		for (size_t i = 0; i < e && rc == HTTP_HDR_OK; i++)
			if (!is_tchar(line[i]))
				rc = HTTP_HDR_INVALID;
	}
	while (vs < len && http_lws(line[vs]))
		vs++;
	size_t ve = len;
	while (ve > vs && is_space(line[ve - 1]))
		ve--;
	*nlen = e;
	*voff = vs;
	*vlen = ve - vs;
	return rc;
}

void http_msg_note_line(struct http_msg *m, const uint8_t *line, size_t len)
{
	size_t nlen, voff, vlen;
	split_header(line, len, &nlen, &voff, &vlen);
	note_framing(m, line, nlen, line + voff, vlen);
}

int http_msg_header_line(struct http_msg *m, struct http_mem *mem,
			 const uint8_t *line, size_t len)
{
	http_msg_header_end(m, mem);
	size_t nlen, voff, vlen;
	int rc = split_header(line, len, &nlen, &voff, &vlen);
	if (m->nhdr >= HTTP_HEADERS_MAX) {
		note_framing(m, line, nlen, line + voff, vlen);
		m->flags |= HTTP_MSG_HDR_FULL;
		return HTTP_HDR_TOO_MANY;
	}
	if (m->nhdr >= m->hdr_cap) {
		uint16_t ncap = m->hdr_cap ? (uint16_t)(m->hdr_cap * 2) : 16;
		if (ncap > HTTP_HEADERS_MAX + 1)
			ncap = HTTP_HEADERS_MAX + 1;
		size_t delta = (size_t)(ncap - m->hdr_cap) * sizeof(*m->hdr);
		struct http_hdr *nh = NULL;
		if (mem->used + delta <= mem->max)
			nh = realloc(m->hdr, ncap * sizeof(*m->hdr));
		if (!nh) {
			note_framing(m, line, nlen, line + voff, vlen);
			m->flags |= HTTP_MSG_HDR_FULL;
			return HTTP_HDR_NO_MEM;
		}
		m->hdr = nh;
		m->hdr_cap = ncap;
		mem->used += delta;
	}
	struct http_hdr h = { .flags = 0 };
	int r = http_msg_put(m, mem, line, nlen, &h.name);
	if (!r)
		r = http_msg_put(m, mem, line + voff, vlen, &h.value);
	if (r) {
		note_framing(m, line, nlen, line + voff, vlen);
		m->flags |= HTTP_MSG_HDR_FULL;
		return r;
	}
	if (rc == HTTP_HDR_MISSING_COLON)
		h.flags |= HTTP_HDR_NOCOLON;
	m->hdr[m->nhdr] = h;
	m->pending = true;
	return rc;
}

bool http_msg_pending_colon(const struct http_msg *m)
{
	return m->pending && !(m->hdr[m->nhdr].flags & HTTP_HDR_NOCOLON);
}

int http_msg_fold_line(struct http_msg *m, struct http_mem *mem,
		       const uint8_t *line, size_t len)
{
	if (!m->pending)
		return HTTP_HDR_NO_PENDING;
	struct http_hdr *h = &m->hdr[m->nhdr];
	size_t have = m->len - h->name.off;
	if ((h->flags & HTTP_HDR_NOCOLON) && memchr(line, ':', len) &&
	    h->name.off + h->name.len == h->value.off &&
	    h->value.off + h->value.len == m->len && have + len <= HTTP_LINE_MAX) {
		/* "Name\r\n :value": as libhtp, the lines are joined and split
		 * again at the colon the continuation brought */
		uint8_t tmp[HTTP_LINE_MAX];
		memcpy(tmp, m->buf + h->name.off, have);
		memcpy(tmp + have, line, len);
		size_t tl = have + len;
		m->len = h->name.off;
		m->pending = false;
		return http_msg_header_line(m, mem, tmp, tl);
	}
	if (h->value.off + h->value.len != m->len)
		return HTTP_HDR_NO_ROOM;   /* cannot happen: the value is last */
	if (h->value.len == 0)
		h->value.off = m->len;
	int r = http_msg_put(m, mem, line, len, NULL);
	if (r) {
		m->flags |= HTTP_MSG_HDR_FULL;
		return r;
	}
	h->value.len += (uint32_t)len;
	h->flags |= HTTP_HDR_FOLDED;
	return HTTP_HDR_OK;
}

int http_msg_header_end(struct http_msg *m, struct http_mem *mem)
{
	if (!m->pending)
		return HTTP_HDR_OK;
	m->pending = false;
	struct http_hdr *h = &m->hdr[m->nhdr];
	/* trim the value (folded lines bring their own whitespace) */
	while (h->value.len && is_space(m->buf[h->value.off])) {
		h->value.off++;
		h->value.len--;
	}
	while (h->value.len && is_space(m->buf[h->value.off + h->value.len - 1]))
		h->value.len--;
	const uint8_t *name = m->buf + h->name.off;
	note_framing(m, name, h->name.len, m->buf + h->value.off, h->value.len);

	for (uint16_t i = 0; i < m->nhdr; i++) {
		struct http_hdr *e = &m->hdr[i];
		if (!same_nocase(m->buf + e->name.off, e->name.len, name, h->name.len))
			continue;
		e->flags |= HTTP_HDR_REPEATED;
		m->flags |= HTTP_MSG_REPEATED;
		if (http_memeq_nocase(name, h->name.len, "content-length"))
			return HTTP_HDR_OK;
		/* merge: "first, second" at the end of the store */
		size_t add = (size_t)e->value.len + 2 + h->value.len;
		if (reserve(m, mem, add, HTTP_HDR_STORE_MAX)) {
			m->flags |= HTTP_MSG_HDR_FULL;
			return HTTP_HDR_NO_ROOM;
		}
		uint32_t at = m->len;
		memmove(m->buf + at, m->buf + e->value.off, e->value.len);
		m->buf[at + e->value.len] = ',';
		m->buf[at + e->value.len + 1] = ' ';
		memmove(m->buf + at + e->value.len + 2, m->buf + h->value.off, h->value.len);
		e->value.off = at;
		e->value.len = (uint32_t)add;
		m->len += (uint32_t)add;
		return HTTP_HDR_OK;
	}
	m->nhdr++;
	return HTTP_HDR_OK;
}

static bool find_header(const struct http_msg *m, const char *name, bool lax,
			struct http_span *value)
{
	for (uint16_t i = 0; i < m->nhdr; i++) {
		const struct http_hdr *h = &m->hdr[i];
		const uint8_t *n = m->buf + h->name.off;
		if (lax ? http_name_is(n, h->name.len, name)
			: http_memeq_nocase(n, h->name.len, name)) {
			*value = h->value;
			return true;
		}
	}
	return false;
}

bool http_msg_header_lax(const struct http_msg *m, const char *name,
			 struct http_span *value)
{
	return find_header(m, name, true, value);
}

bool http_msg_header(const struct http_msg *m, const char *name,
		     struct http_span *value)
{
	return find_header(m, name, false, value);
}

static bool host_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

int http_parse_hostport(const uint8_t *p, size_t n, struct http_hostport *hp)
{
	size_t s = 0, e = n;
	int rc = 0;
	while (s < e && is_space(p[s]))
		s++;
	while (e > s && is_space(p[e - 1]))
		e--;
	hp->off = s;
	hp->len = 0;
	hp->port = -1;
	if (s == e)
		return -1;
	size_t hend, colon;
	if (p[s] == '[') {
		const uint8_t *rb = memchr(p + s, ']', e - s);
		if (!rb)
			return -1;
		hend = (size_t)(rb - p) + 1;
		for (size_t i = s + 1; i + 1 < hend; i++)
			if (!(host_char(p[i]) || p[i] == ':'))
				rc = -1;
		colon = hend;
		if (colon < e && p[colon] != ':')
			rc = -1;
	} else {
		const uint8_t *c = memchr(p + s, ':', e - s);
		hend = c ? (size_t)(c - p) : e;
		colon = hend;
		for (size_t i = s; i < hend; i++)
			if (!host_char(p[i]))
				rc = -1;
	}
	hp->len = hend - s;
	if (hp->len == 0)
		rc = -1;
	if (colon < e && p[colon] == ':') {
		size_t ps = colon + 1;
		while (ps < e && http_lws(p[ps]))
			ps++;
		if (ps < e) {
			long v = 0;
			size_t i;
			for (i = ps; i < e && p[i] >= '0' && p[i] <= '9' && v <= 65535; i++)
				v = v * 10 + (p[i] - '0');
			if (i != e || v < 1 || v > 65535)
				rc = -1;
			else
				hp->port = (int)v;
		}
	}
	return rc;
}
