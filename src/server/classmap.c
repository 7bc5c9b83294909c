/*
 * classmap.c - classification.config read for its description -> name
 * pairs (see classmap.h).  The file is short and written by people: each
 * line is read within its own bounds, and one that is not of the form is
 * named by line and skipped.
 */
#include "classmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/log.h"
#include "../lib/util.h"

#define CLASSMAP_FILE_MAX (1 << 20)
#define NAME_MAX_LEN 63
#define DESC_MAX_LEN 255

struct class_pair {
	char name[NAME_MAX_LEN + 1];
	char desc[DESC_MAX_LEN + 1];
};

struct classmap {
	struct class_pair *v;
	size_t n, cap;
};

static const char PREFIX[] = "config classification:";

/* [*s, *e) without the spaces and tabs around it. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
		(*e)--;
}

static bool name_ok(const char *s, const char *e)
{
	if (s == e || e - s > NAME_MAX_LEN)
		return false;
	for (; s < e; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* One line [s, e): 0 read or passed over, -1 not of the form, -2 no memory. */
static int parse_line(struct classmap *m, const char *s, const char *e)
{
	trim(&s, &e);
	if (s == e || *s == '#')
		return 0;
	size_t pl = sizeof(PREFIX) - 1;
	if ((size_t)(e - s) < pl || strncasecmp(s, PREFIX, pl))
		return (size_t)(e - s) >= 7 && !strncasecmp(s, "config ", 7) ? 0 : -1;
	s += pl;
	const char *c1 = memchr(s, ',', (size_t)(e - s)), *c2 = NULL;
	for (const char *p = e; c1 && p > c1 + 1; p--) {
		if (p[-1] == ',') {
			c2 = p - 1;
			break;
		}
	}
	if (!c2)
		return -1;
	const char *ns = s, *ne = c1, *ds = c1 + 1, *de = c2;
	trim(&ns, &ne);
	trim(&ds, &de);
	if (!name_ok(ns, ne) || ds == de || de - ds > DESC_MAX_LEN)
		return -1;
	struct class_pair *v = ot_grow(m->v, &m->cap, m->n, sizeof(*v), 64);
	if (!v)
		return -2;
	m->v = v;
	memcpy(v[m->n].name, ns, (size_t)(ne - ns));
	v[m->n].name[ne - ns] = '\0';
	memcpy(v[m->n].desc, ds, (size_t)(de - ds));
	v[m->n].desc[de - ds] = '\0';
	m->n++;
	return 0;
}

struct classmap *classmap_parse(const char *text, size_t len, const char *origin)
{
	struct classmap *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	const char *p = text, *end = text + len;
	for (unsigned ln = 1; p < end; ln++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		int r = parse_line(m, p, le);
		if (r == -2) {
			classmap_free(m);
			return NULL;
		}
		if (r < 0)
			ot_warn("%s:%u: expected 'config classification: name,description,priority' "
				"(a name of letters, digits, '-', '_', '.'): line skipped", origin, ln);
		p = nl ? nl + 1 : end;
	}
	return m;
}

struct classmap *classmap_load(const char *path)
{
	char *text;
	size_t len;
	if (ot_read_file(path, CLASSMAP_FILE_MAX, &text, &len) < 0) {
		ot_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	struct classmap *m = classmap_parse(text, len, path);
	free(text);
	return m;
}

void classmap_free(struct classmap *m)
{
	if (!m)
		return;
	free(m->v);
	free(m);
}

const char *classmap_kind(const struct classmap *m, const char *category)
{
	for (size_t i = 0; m && category && i < m->n; i++)
		if (!strcmp(m->v[i].desc, category))
			return m->v[i].name;
	return NULL;
}

size_t classmap_count(const struct classmap *m)
{
	return m ? m->n : 0;
}
