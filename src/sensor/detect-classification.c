/*
 * detect-classification.c - classification.config (classtype names, their
 * description and default priority) and reference.config (the kinds of
 * references a rule may cite: url, cve, ...).  A rule's classtype must be
 * one that was declared, so a typo in a rule is caught when it is loaded;
 * the classtype also gives the rule its priority unless the rule sets one.
 * Both files are small and written by people: every line that cannot be
 * read is reported with file and line and the rest is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "../lib/log.h"

#define CLASSES_MAX 1024
#define REFS_MAX 256
#define CFG_LINE_MAX 4096

struct detect_class {
	char *name, *desc;
	int prio;
};

struct detect_classes {
	struct detect_class cls[CLASSES_MAX];
	size_t ncls;
	bool cls_loaded;
	char *refs[REFS_MAX];
	size_t nrefs;
	bool refs_loaded;
};

struct detect_classes *detect_classes_new(void)
{
	return calloc(1, sizeof(struct detect_classes));
}

void detect_classes_free(struct detect_classes *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ncls; i++) {
		free(c->cls[i].name);
		free(c->cls[i].desc);
	}
	for (size_t i = 0; i < c->nrefs; i++)
		free(c->refs[i]);
	free(c);
}

static const struct detect_class *find_class(const struct detect_classes *c, const char *name)
{
	for (size_t i = 0; c && i < c->ncls; i++)
		if (!strcasecmp(c->cls[i].name, name))
			return &c->cls[i];
	return NULL;
}

static int class_line(struct detect_classes *c, char *v, const char *path, unsigned ln)
{
	char *c1 = strchr(v, ','), *c2 = c1 ? strrchr(v, ',') : NULL;
	if (!c1 || c1 == c2) {
		ot_err("%s:%u: expected 'config classification: name,description,priority'", path, ln);
		return 1;
	}
	*c1 = *c2 = '\0';
	char *name = detect_trim(v), *desc = detect_trim(c1 + 1), *pr = detect_trim(c2 + 1), *end;
	long prio = strtol(pr, &end, 10);
	if (!*name || *end || end == pr || prio < 1 || prio > 255) {
		ot_err("%s:%u: classification '%s': priority '%s' is not a number from 1 to 255",
		       path, ln, name, pr);
		return 1;
	}
	if (detect_classes_add(c, name, desc, (int)prio) < 0) {
		ot_err("%s:%u: more than %d classifications", path, ln, CLASSES_MAX);
		return 1;
	}
	return 0;
}

int detect_classes_add(struct detect_classes *c, const char *name, const char *desc, int prio)
{
	struct detect_class *d = (struct detect_class *)find_class(c, name);
	char *dd = strdup(desc);
	if (!dd)
		return -1;
	if (!d) {
		if (c->ncls >= CLASSES_MAX || !(c->cls[c->ncls].name = strdup(name))) {
			free(dd);
			return -1;
		}
		d = &c->cls[c->ncls++];
	}
	free(d->desc);
	d->desc = dd;
	d->prio = prio;
	return 0;
}

static int ref_line(struct detect_classes *c, char *v, const char *path, unsigned ln)
{
	v = detect_trim(v);
	size_t nl = strcspn(v, " \t");
	if (!nl || !v[nl]) {
		ot_err("%s:%u: expected 'config reference: name url'", path, ln);
		return 1;
	}
	v[nl] = '\0';
	for (size_t i = 0; i < c->nrefs; i++)
		if (!strcasecmp(c->refs[i], v))
			return 0;
	if (c->nrefs >= REFS_MAX) {
		ot_err("%s:%u: more than %d reference kinds", path, ln, REFS_MAX);
		return 1;
	}
	c->refs[c->nrefs++] = strdup(v);
	return 0;
}

static int load(struct detect_classes *c, const char *path, bool refs)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		ot_err("%s: %s", path, strerror(errno));
		return -1;
	}
	const char *prefix = refs ? "config reference:" : "config classification:";
	char line[CFG_LINE_MAX];
	unsigned ln = 0;
	int problems = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		if (!strchr(line, '\n') && !feof(f)) {
			ot_err("%s:%u: line longer than %d bytes", path, ln, CFG_LINE_MAX - 1);
			problems++;
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		char *s = detect_trim(line);
		if (!*s || *s == '#')
			continue;
		if (strncasecmp(s, prefix, strlen(prefix))) {
			ot_err("%s:%u: expected a line starting with '%s'", path, ln, prefix);
			problems++;
			continue;
		}
		s += strlen(prefix);
		problems += refs ? ref_line(c, s, path, ln) : class_line(c, s, path, ln);
	}
	fclose(f);
	if (refs)
		c->refs_loaded = true;
	else
		c->cls_loaded = true;
	return problems;
}

int detect_classes_load(struct detect_classes *c, const char *path)
{
	return load(c, path, false);
}

int detect_references_load(struct detect_classes *c, const char *path)
{
	return load(c, path, true);
}

int detect_class_priority(const struct detect_classes *c, const char *name)
{
	const struct detect_class *d = find_class(c, name);
	return d ? d->prio : -1;
}

const char *detect_class_desc(const struct detect_classes *c, const char *name)
{
	const struct detect_class *d = find_class(c, name);
	return d ? d->desc : NULL;
}

bool detect_classes_loaded(const struct detect_classes *c)
{
	return c && c->cls_loaded;
}

size_t detect_classes_count(const struct detect_classes *c)
{
	return c ? c->ncls : 0;
}

bool detect_reference_known(const struct detect_classes *c, const char *key)
{
	if (!c || !c->refs_loaded)
		return true;
	for (size_t i = 0; i < c->nrefs; i++)
		if (!strcasecmp(c->refs[i], key))
			return true;
	return false;
}
