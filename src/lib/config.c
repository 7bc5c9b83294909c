/*
 * config.c - see config.h.  Every program reads one YAML file checked against
 * its own table of keys, so a typo, a wrong type or a misplaced section is
 * reported with file and line at start-up (and all of them at once with -T)
 * instead of being silently ignored or crashing later.
 *
 * The file is walked with libyaml's event parser, keeping only the dotted
 * path of the mapping being read: a path grows only along sections the table
 * knows, so nesting depth is bounded by the table, whatever the file holds.
 * A subtree that cannot be used (unknown key, wrong shape) is skipped by
 * counting its start and end events, without recursion.  A value is checked
 * against its key's type before it replaces the one held, so a bad value
 * leaves the default (or the earlier value) in force.
 *
 * Values are kept as the text given (scalars), as a parsed number or boolean,
 * or as a NULL-terminated array of strings (lists), each with where it came
 * from for cfg_origin().
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "log.h"
#include "util.h"

/* A file larger than this is not a configuration file. */
#define CFG_MAX_FILE (16u << 20)
/* Items in one list value. */
#define CFG_MAX_ITEMS 65536
/* Longest key compared for "did you mean". */
#define CFG_MAX_SUGGEST 128

enum cfg_origin_kind {
	ORIG_DEFAULT,
	ORIG_FILE,
	ORIG_SET,
};

struct cfg_val {
	char *text;             /* scalar types: the text as given; NULL unset */
	uint64_t num;           /* CFG_UINT, CFG_SIZE */
	bool b;                 /* CFG_BOOL */
	char **items;           /* CFG_LIST: NULL-terminated; NULL when empty */
	size_t nitems;
	enum cfg_origin_kind orig;
	char *where;            /* ORIG_FILE: "FILE:LINE" */
	unsigned seen_load;     /* load number that last gave this key */
	size_t seen_line;       /* ... and on which line */
};

struct ot_config {
	const struct cfg_key *keys;
	size_t n;
	size_t max_key_len;
	struct cfg_val *vals;
	unsigned load;          /* counts cfg_load_* calls, for duplicates */
};

/* One walk of a YAML text. */
struct walk {
	struct ot_config *c;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool have_ev;
	bool failed;            /* syntax error: nothing more can be read */
	const char *name;
	const unsigned char *buf;
	size_t len;
	int problems;
};

static const char *const no_items[] = { NULL };

static const char *const type_names[] = {
	[CFG_BOOL] = "boolean",
	[CFG_UINT] = "integer",
	[CFG_SIZE] = "size",
	[CFG_STR] = "string",
	[CFG_LIST] = "list",
};

/*
 * A bounded, printable copy of untrusted text for a message: control bytes
 * become \xHH (so a value cannot forge log lines), and text longer than
 * fits ends in "...".  Returns buf.
 */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
	size_t o = 0;
	assert(size >= 8);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t need = (ch < 0x20 || ch == 0x7f) ? 4 : 1;
		if (o + need + 4 > size) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		if (need == 4) {
			snprintf(buf + o, 5, "\\x%02x", ch);
		} else {
			buf[o] = (char)ch;
		}
		o += need;
	}
	buf[o] = '\0';
	return buf;
}

#define SHOWBUF 100
#define SHOW(b, s) show((b), sizeof(b), (s), strlen(s))

/* Log "PLACE: message" at level; place is "FILE:LINE" or "--set ...". */
__attribute__((format(printf, 3, 4)))
static void report(enum ot_log_level level, const char *place, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ot_log(level, "%s: %s", place, msg);
}

static long find_key(const struct ot_config *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->keys[i].key, key))
			return (long)i;
	return -1;
}

enum kind {
	K_UNKNOWN,
	K_LEAF,
	K_SECTION,
};

/*
 * What path is in the table: a key (leaf, *idx set), a section (a proper
 * prefix of keys, *idx set to the first key under it), or neither.
 */
static enum kind classify(const struct ot_config *c, const char *path, size_t *idx)
{
	size_t len = strlen(path);
	if (!len || len > c->max_key_len)
		return K_UNKNOWN;
	for (size_t i = 0; i < c->n; i++) {
		const char *k = c->keys[i].key;
		if (!strcmp(k, path)) {
			*idx = i;
			return K_LEAF;
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		const char *k = c->keys[i].key;
		if (!strncmp(k, path, len) && k[len] == '.') {
			*idx = i;
			return K_SECTION;
		}
	}
	return K_UNKNOWN;
}

/* Optimal string alignment distance (edits, with transpositions), or
 * SIZE_MAX when either string is too long to bother. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
	size_t rows[3][CFG_MAX_SUGGEST + 1];
	size_t *pp = rows[0], *p = rows[1], *cur = rows[2];

	if (la > CFG_MAX_SUGGEST || lb > CFG_MAX_SUGGEST)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		p[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = p[j - 1] + cost;
			v = OT_MIN(v, p[j] + 1);
			v = OT_MIN(v, cur[j - 1] + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				v = OT_MIN(v, pp[j - 2] + 1);
			cur[j] = v;
		}
		size_t *t = pp;
		pp = p;
		p = cur;
		cur = t;
	}
	return p[lb];
}

/*
 * The known key or section closest to an unknown path, if close enough to be
 * a likely typo; else a key whose last part is the whole path (a key written
 * outside its section).  Writes it to out (NUL-terminated), or "" if none.
 */
static void suggest(const struct ot_config *c, const char *path, char *out, size_t size)
{
	size_t lp = strlen(path);
	size_t best = SIZE_MAX;
	size_t limit = lp <= 3 ? 1 : lp <= 8 ? 2 : 3;

	out[0] = '\0';
	/* every key, and every section (each prefix ending before a dot) */
	for (size_t i = 0; i < c->n; i++) {
		const char *k = c->keys[i].key;
		size_t lk = strlen(k);
		for (size_t e = 1; e <= lk; e++) {
			if (e < lk && k[e] != '.')
				continue;
			if ((e > lp ? e - lp : lp - e) > limit)
				continue;
			size_t d = edit_distance(path, lp, k, e);
			if (d <= limit && d < best) {
				best = d;
				size_t n = OT_MIN(e, size - 1);
				memcpy(out, k, n);
				out[n] = '\0';
			}
		}
	}
	if (out[0])
		return;
	for (size_t i = 0; i < c->n; i++) {
		const char *k = c->keys[i].key;
		const char *dot = strrchr(k, '.');
		if (dot && !strcmp(dot + 1, path)) {
			ot_strlcpy(out, k, size);
			return;
		}
	}
}

static void report_unknown(const struct ot_config *c, enum ot_log_level level,
			   const char *place, const char *path, const char *tail)
{
	char b[SHOWBUF], s[CFG_MAX_SUGGEST + 1];
	suggest(c, path, s, sizeof(s));
	if (s[0])
		report(level, place, "unknown key '%s'%s; did you mean '%s'?",
		       SHOW(b, path), tail, s);
	else
		report(level, place, "unknown key '%s'%s", SHOW(b, path), tail);
}

static void free_items(char **items)
{
	if (!items)
		return;
	for (char **p = items; *p; p++)
		free(*p);
	free(items);
}

/*
 * Split "a, b,c" into a NULL-terminated array of trimmed, non-empty items.
 * Returns 0 (*out NULL when there are none) or -1 (out of memory, or more
 * than CFG_MAX_ITEMS: *too_many set).
 */
static int split_list(const char *text, char ***out, size_t *count, bool *too_many)
{
	char **items = NULL;
	size_t n = 0, cap = 0;
	const char *p = text;

	*too_many = false;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *s = p;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		const char *e = end;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s) {
			if (n >= CFG_MAX_ITEMS) {
				*too_many = true;
				goto err;
			}
			if (n + 2 > cap) {
				size_t ncap = cap ? cap * 2 : 8;
				char **t = realloc(items, ncap * sizeof(*t));
				if (!t)
					goto err;
				items = t;
				cap = ncap;
			}
			items[n] = strndup(s, (size_t)(e - s));
			if (!items[n])
				goto err;
			items[++n] = NULL;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = items;
	*count = n;
	return 0;
err:
	free_items(items);
	return -1;
}

/* Record where a new value came from, replacing the old origin. */
static int set_origin(struct cfg_val *v, enum cfg_origin_kind orig, const char *place)
{
	char *where = NULL;
	if (orig == ORIG_FILE) {
		where = strdup(place);
		if (!where)
			return -1;
	}
	free(v->where);
	v->where = where;
	v->orig = orig;
	return 0;
}

static void format_size(uint64_t v, char *buf, size_t size)
{
	static const struct { uint64_t mul; const char *unit; } units[] = {
		{ 1ULL << 30, "gb" }, { 1ULL << 20, "mb" }, { 1ULL << 10, "kb" },
	};
	for (size_t i = 0; i < OT_ARRAY_LEN(units); i++) {
		if (v && v % units[i].mul == 0) {
			snprintf(buf, size, "%llu%s",
				 (unsigned long long)(v / units[i].mul), units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
}

static void format_num(const struct cfg_key *k, uint64_t v, char *buf, size_t size)
{
	if (k->type == CFG_SIZE)
		format_size(v, buf, size);
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
}

/* "from 1 to 65535", "at least 1", "up to 1gb", or "" for any value. */
static void format_range(const struct cfg_key *k, char *buf, size_t size)
{
	char lo[32], hi[32];
	format_num(k, k->min, lo, sizeof(lo));
	format_num(k, k->max, hi, sizeof(hi));
	if (k->min == 0 && k->max == UINT64_MAX)
		buf[0] = '\0';
	else if (k->max == UINT64_MAX)
		snprintf(buf, size, "at least %s", lo);
	else if (k->min == 0)
		snprintf(buf, size, "up to %s", hi);
	else
		snprintf(buf, size, "from %s to %s", lo, hi);
}

/*
 * Give key i the value text (a scalar; null when YAML said null/empty, which
 * unsets a string and empties a list).  Checks it against the key's type and
 * logs "PLACE: ..." when it does not fit.  Returns 0 when applied, -1 when
 * not (logged).
 */
static int set_text(struct ot_config *c, size_t i, const char *text, bool null,
		    const char *place, enum cfg_origin_kind orig)
{
	const struct cfg_key *k = &c->keys[i];
	struct cfg_val *v = &c->vals[i];
	char b[SHOWBUF], range[80];
	char *copy = NULL, **items = NULL;
	size_t nitems = 0;
	uint64_t num = 0;
	int bv = 0;

	switch (k->type) {
	case CFG_BOOL:
		bv = ot_parse_bool(text);
		if (bv < 0) {
			report(OT_LOG_ERROR, place,
			       "'%s' must be a boolean (yes/no, true/false, on/off, 1/0), not '%s'",
			       k->key, SHOW(b, text));
			return -1;
		}
		break;
	case CFG_UINT:
	case CFG_SIZE: {
		bool sfx = k->type == CFG_SIZE;
		format_range(k, range, sizeof(range));
		if (ot_parse_u64(text, 0, UINT64_MAX, sfx, &num) < 0) {
			if (sfx)
				report(OT_LOG_ERROR, place,
				       "'%s' must be a size such as 1mb, not '%s'",
				       k->key, SHOW(b, text));
			else
				report(OT_LOG_ERROR, place,
				       "'%s' must be a whole number%s%s, not '%s'",
				       k->key, range[0] ? " " : "", range, SHOW(b, text));
			return -1;
		}
		if (num < k->min || num > k->max) {
			report(OT_LOG_ERROR, place, "'%s' must be %s %s, not '%s'",
			       k->key, sfx ? "a size" : "a whole number", range, SHOW(b, text));
			return -1;
		}
		break;
	}
	case CFG_STR:
		break;
	case CFG_LIST: {
		bool too_many;
		if (!null && split_list(text, &items, &nitems, &too_many) < 0) {
			if (too_many)
				report(OT_LOG_ERROR, place, "'%s' has more than %d items",
				       k->key, CFG_MAX_ITEMS);
			else
				report(OT_LOG_ERROR, place, "out of memory");
			return -1;
		}
		break;
	}
	}
	if (k->type != CFG_LIST && !(k->type == CFG_STR && null)) {
		copy = strdup(text);
		if (!copy)
			goto oom;
	}
	if (set_origin(v, orig, place) < 0)
		goto oom;
	free(v->text);
	free_items(v->items);
	v->text = copy;
	v->items = items;
	v->nitems = nitems;
	v->num = num;
	v->b = bv == 1;
	return 0;
oom:
	free(copy);
	free_items(items);
	report(OT_LOG_ERROR, place, "out of memory");
	return -1;
}

/* Give list key i the items (taking them: freed here on failure). */
static int set_items(struct ot_config *c, size_t i, char **items, size_t n,
		     const char *place, enum cfg_origin_kind orig)
{
	struct cfg_val *v = &c->vals[i];
	if (set_origin(v, orig, place) < 0) {
		free_items(items);
		report(OT_LOG_ERROR, place, "out of memory");
		return -1;
	}
	free_items(v->items);
	v->items = items;
	v->nitems = n;
	return 0;
}

static bool valid_key_name(const char *k)
{
	size_t len = strlen(k);
	return len && k[0] != '.' && k[len - 1] != '.' && !strstr(k, "..");
}

struct ot_config *cfg_new(const struct cfg_key *keys, size_t n)
{
	char place[CFG_MAX_SUGGEST + 32];
	struct ot_config *c = calloc(1, sizeof(*c));
	if (!c)
		goto oom;
	c->keys = keys;
	c->n = n;
	c->vals = calloc(n ? n : 1, sizeof(*c->vals));
	if (!c->vals)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		const struct cfg_key *k = &keys[i];
		if (!k->key || !valid_key_name(k->key) ||
		    (unsigned)k->type > CFG_LIST || k->min > k->max) {
			ot_err("configuration table: bad entry %zu ('%s')", i,
			       k->key ? k->key : "(null)");
			goto err;
		}
		c->max_key_len = OT_MAX(c->max_key_len, strlen(k->key));
		for (size_t j = 0; j < i; j++) {
			const char *a = keys[j].key, *b = k->key;
			size_t la = strlen(a), lb = strlen(b);
			if (!strcmp(a, b) ||
			    (la < lb && !strncmp(a, b, la) && b[la] == '.') ||
			    (lb < la && !strncmp(a, b, lb) && a[lb] == '.')) {
				ot_err("configuration table: '%s' clashes with '%s'", b, a);
				goto err;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!keys[i].def)
			continue;
		snprintf(place, sizeof(place), "configuration table: default of '%s'",
			 keys[i].key);
		if (set_text(c, i, keys[i].def, false, place, ORIG_DEFAULT) < 0)
			goto err;
	}
	return c;
oom:
	ot_err("configuration: out of memory");
err:
	cfg_free(c);
	return NULL;
}

void cfg_free(struct ot_config *c)
{
	if (!c)
		return;
	if (c->vals) {
		for (size_t i = 0; i < c->n; i++) {
			free(c->vals[i].text);
			free(c->vals[i].where);
			free_items(c->vals[i].items);
		}
	}
	free(c->vals);
	free(c);
}

/* ---- reading YAML ---- */

__attribute__((format(printf, 3, 4)))
static void problem(struct walk *w, size_t line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ot_err("%s:%zu: %s", w->name, line, msg);
	w->problems++;
}

static size_t ev_line(const struct walk *w)
{
	return w->ev.start_mark.line + 1;
}

/* 1-based line of a byte offset into the text. */
static size_t offset_line(const struct walk *w, size_t off)
{
	size_t line = 1;
	off = OT_MIN(off, w->len);
	for (size_t i = 0; i < off; i++)
		if (w->buf[i] == '\n')
			line++;
	return line;
}

static void syntax_error(struct walk *w)
{
	const yaml_parser_t *p = &w->parser;
	const char *what = p->problem ? p->problem : "cannot be parsed";
	if (p->error == YAML_READER_ERROR) {
		problem(w, offset_line(w, p->problem_offset),
			"YAML syntax error: %s (byte offset %zu)", what, p->problem_offset);
	} else if (p->error == YAML_MEMORY_ERROR) {
		problem(w, 1, "out of memory while reading YAML");
	} else if (p->context) {
		problem(w, p->problem_mark.line + 1,
			"YAML syntax error at column %zu: %s (%s at line %zu)",
			p->problem_mark.column + 1, what, p->context,
			p->context_mark.line + 1);
	} else {
		problem(w, p->problem_mark.line + 1, "YAML syntax error at column %zu: %s",
			p->problem_mark.column + 1, what);
	}
}

/* Move to the next event.  False (and w->failed) on a syntax error. */
static bool next(struct walk *w)
{
	if (w->failed)
		return false;
	if (w->have_ev) {
		yaml_event_delete(&w->ev);
		w->have_ev = false;
	}
	if (!yaml_parser_parse(&w->parser, &w->ev)) {
		syntax_error(w);
		w->failed = true;
		return false;
	}
	w->have_ev = true;
	if (w->ev.type == YAML_NO_EVENT) {
		/* only after the end of the stream, which the walk never passes */
		w->failed = true;
		return false;
	}
	return true;
}

static bool is_start(yaml_event_type_t t)
{
	return t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT;
}

static bool is_end(yaml_event_type_t t)
{
	return t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT;
}

/* Skip the node whose first event is the current one. */
static void skip_node(struct walk *w)
{
	size_t depth;
	if (!is_start(w->ev.type))
		return;
	depth = 1;
	while (depth && next(w)) {
		if (is_start(w->ev.type))
			depth++;
		else if (is_end(w->ev.type))
			depth--;
	}
}

/* A plain scalar that YAML reads as null: "", "~", "null". */
static bool scalar_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !ev->data.scalar.length || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static bool scalar_has_nul(const yaml_event_t *ev)
{
	return memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL;
}

/* Warn when a key is given twice in the text being read. */
static void note_seen(struct walk *w, size_t i, size_t line)
{
	struct cfg_val *v = &w->c->vals[i];
	if (v->seen_load == w->c->load) {
		ot_warn("%s:%zu: '%s' is given again (first at line %zu); the later value is used",
			w->name, line, w->c->keys[i].key, v->seen_line);
	}
	v->seen_load = w->c->load;
	v->seen_line = line;
}

static char *file_place(const struct walk *w, size_t line)
{
	char *s;
	if (asprintf(&s, "%s:%zu", w->name, line) < 0)
		return NULL;
	return s;
}

/* The current event is a scalar for key i; check and apply it. */
static void apply_scalar(struct walk *w, size_t i)
{
	size_t line = ev_line(w);
	char *place = file_place(w, line);
	if (!place) {
		problem(w, line, "out of memory");
		return;
	}
	if (scalar_has_nul(&w->ev)) {
		problem(w, line, "the value of '%s' contains a NUL character",
			w->c->keys[i].key);
	} else if (set_text(w->c, i, (const char *)w->ev.data.scalar.value,
			    scalar_is_null(&w->ev), place, ORIG_FILE) < 0) {
		w->problems++;
	}
	free(place);
}

/* The current event starts a sequence for list key i, whose key is on
 * line (the origin of the value): read its items. */
static void read_list(struct walk *w, size_t i, size_t line)
{
	const char *key = w->c->keys[i].key;
	char **items = NULL;
	size_t n = 0, cap = 0;
	bool bad = false;

	while (next(w) && w->ev.type != YAML_SEQUENCE_END_EVENT) {
		size_t l = ev_line(w);
		if (bad) {
			skip_node(w);
			continue;
		}
		switch (w->ev.type) {
		case YAML_SCALAR_EVENT:
			/* null and empty items are skipped, as in "a,,b" */
			if (scalar_is_null(&w->ev) || !w->ev.data.scalar.length)
				break;
			if (scalar_has_nul(&w->ev)) {
				problem(w, l, "an item of '%s' contains a NUL character", key);
				bad = true;
				break;
			}
			if (n >= CFG_MAX_ITEMS) {
				problem(w, l, "'%s' has more than %d items", key, CFG_MAX_ITEMS);
				bad = true;
				break;
			}
			if (n + 2 > cap) {
				size_t ncap = cap ? cap * 2 : 8;
				char **t = realloc(items, ncap * sizeof(*t));
				if (!t) {
					problem(w, l, "out of memory");
					bad = true;
					break;
				}
				items = t;
				cap = ncap;
			}
			items[n] = strndup((const char *)w->ev.data.scalar.value,
					   w->ev.data.scalar.length);
			if (!items[n]) {
				problem(w, l, "out of memory");
				bad = true;
				break;
			}
			items[++n] = NULL;
			break;
		case YAML_MAPPING_START_EVENT:
			problem(w, l, "'%s': a list of mappings is not supported; "
				"the items must be plain values", key);
			bad = true;
			skip_node(w);
			break;
		case YAML_SEQUENCE_START_EVENT:
			problem(w, l, "'%s': a list of lists is not supported; "
				"the items must be plain values", key);
			bad = true;
			skip_node(w);
			break;
		case YAML_ALIAS_EVENT:
			problem(w, l, "'%s': aliases (*name) are not supported", key);
			bad = true;
			break;
		default:
			break;
		}
	}
	if (bad || w->failed) {
		free_items(items);
		return;
	}
	char *place = file_place(w, line);
	if (!place) {
		free_items(items);
		problem(w, line, "out of memory");
		return;
	}
	if (set_items(w->c, i, items, n, place, ORIG_FILE) < 0)
		w->problems++;
	free(place);
}

static void walk_mapping(struct walk *w, const char *prefix);

/* The current event starts the value of path (whose key is on kline). */
static void walk_value(struct walk *w, const char *path, size_t kline)
{
	struct ot_config *c = w->c;
	char b[SHOWBUF];
	size_t i = 0;
	enum kind kind = classify(c, path, &i);

	if (kind == K_UNKNOWN) {
		char *place = file_place(w, kline);
		if (place) {
			report_unknown(c, OT_LOG_ERROR, place, path, "");
			w->problems++;
			free(place);
		} else {
			problem(w, kline, "out of memory");
		}
		skip_node(w);
		return;
	}
	if (w->ev.type == YAML_ALIAS_EVENT) {
		problem(w, ev_line(w), "'%s': aliases (*name) are not supported", SHOW(b, path));
		return;
	}
	if (kind == K_SECTION) {
		const char *example = c->keys[i].key;
		switch (w->ev.type) {
		case YAML_MAPPING_START_EVENT:
			walk_mapping(w, path);
			break;
		case YAML_SCALAR_EVENT:
			/* null and empty items are skipped, as in "a,,b" */
			if (scalar_is_null(&w->ev) || !w->ev.data.scalar.length)
				break;  /* an empty section */
			problem(w, ev_line(w), "'%s' is a section with sub-keys such as '%s', "
				"not a single value", path, example);
			break;
		default:
			problem(w, ev_line(w), "'%s' is a section with sub-keys such as '%s', "
				"not a list (lists of mappings are not supported)", path, example);
			skip_node(w);
			break;
		}
		return;
	}
	note_seen(w, i, kline);
	switch (w->ev.type) {
	case YAML_SCALAR_EVENT:
		apply_scalar(w, i);
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (c->keys[i].type == CFG_LIST) {
			read_list(w, i, kline);
		} else {
			problem(w, ev_line(w), "'%s' takes a single %s, not a list",
				path, type_names[c->keys[i].type]);
			skip_node(w);
		}
		break;
	default:
		problem(w, ev_line(w), "'%s' has no sub-keys: it takes a %s, not a mapping",
			path, type_names[c->keys[i].type]);
		skip_node(w);
		break;
	}
}

/*
 * The current event starts a mapping under prefix ("" at the top): read its
 * pairs.  Recursion happens only into sections the table knows.
 */
static void walk_mapping(struct walk *w, const char *prefix)
{
	size_t plen = strlen(prefix);
	char b[SHOWBUF];

	while (next(w) && w->ev.type != YAML_MAPPING_END_EVENT) {
		size_t kline = ev_line(w);
		char *path = NULL;
		if (w->ev.type == YAML_SCALAR_EVENT) {
			const char *k = (const char *)w->ev.data.scalar.value;
			size_t klen = w->ev.data.scalar.length;
			if (memchr(k, '\0', klen)) {
				problem(w, kline, "a key contains a NUL character: '%s'",
					show(b, sizeof(b), k, klen));
			} else if (!klen) {
				problem(w, kline, "empty key%s%s%s", plen ? " in '" : "",
					prefix, plen ? "'" : "");
			} else if (asprintf(&path, "%s%s%s", prefix, plen ? "." : "", k) < 0) {
				path = NULL;
				problem(w, kline, "out of memory");
			}
		} else if (w->ev.type == YAML_ALIAS_EVENT) {
			problem(w, kline, "aliases (*name) are not supported");
		} else {
			problem(w, kline, "a key must be a plain name, not a %s",
				w->ev.type == YAML_MAPPING_START_EVENT ? "mapping" : "list");
			skip_node(w);
		}
		if (!next(w)) {
			free(path);
			return;
		}
		if (path)
			walk_value(w, path, kline);
		else
			skip_node(w);
		free(path);
	}
}

static void walk_stream(struct walk *w)
{
	unsigned docs = 0;

	if (!next(w) || w->ev.type != YAML_STREAM_START_EVENT)
		return;
	while (next(w) && w->ev.type == YAML_DOCUMENT_START_EVENT) {
		if (++docs > 1) {
			problem(w, ev_line(w), "a second YAML document: "
				"a configuration file holds one; the rest is ignored");
			return;
		}
		if (!next(w))
			return;
		if (w->ev.type == YAML_MAPPING_START_EVENT) {
			walk_mapping(w, "");
		} else if (w->ev.type == YAML_SCALAR_EVENT && scalar_is_null(&w->ev)) {
			/* an empty document */
		} else {
			problem(w, ev_line(w), "the top level must be a mapping of keys "
				"(key: value lines)");
			skip_node(w);
		}
		if (!next(w))
			return;
	}
}

int cfg_load_buffer(struct ot_config *c, const char *buf, size_t len, const char *name)
{
	struct walk w = {
		.c = c,
		.name = name,
		.buf = (const unsigned char *)buf,
		.len = len,
	};

	if (!yaml_parser_initialize(&w.parser)) {
		ot_err("%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&w.parser, w.buf, len);
	c->load++;
	walk_stream(&w);
	if (w.have_ev)
		yaml_event_delete(&w.ev);
	yaml_parser_delete(&w.parser);
	return w.problems;
}

int cfg_load_file(struct ot_config *c, const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int ret = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ot_err("%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		ot_err("%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ot_err("%s: cannot read: %s", path, strerror(EISDIR));
		goto out;
	}
	/* read to the end, whatever st_size says (pipes, /proc) */
	size_t cap = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_MAX_FILE) {
				ot_err("%s: larger than %u MiB: not a configuration file",
				       path, CFG_MAX_FILE >> 20);
				goto out;
			}
			cap = cap ? cap * 2 : 16384;
			char *t = realloc(buf, cap + 1);
			if (!t) {
				ot_err("%s: out of memory", path);
				goto out;
			}
			buf = t;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ot_err("%s: cannot read: %s", path, strerror(errno));
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	ret = cfg_load_buffer(c, buf ? buf : "", len, path);
out:
	free(buf);
	close(fd);
	return ret;
}

/* ---- --set ---- */

int cfg_set(struct ot_config *c, const char *assignment, bool unknown_ok)
{
	char b[SHOWBUF], place[SHOWBUF + 8];
	const char *eq = strchr(assignment, '=');
	size_t i = 0;
	int ret = -1;

	snprintf(place, sizeof(place), "--set %s", SHOW(b, assignment));
	if (!eq) {
		report(OT_LOG_ERROR, place, "expected key=value");
		return -1;
	}
	const char *ks = assignment, *ke = eq;
	while (ks < ke && (*ks == ' ' || *ks == '\t'))
		ks++;
	while (ke > ks && (ke[-1] == ' ' || ke[-1] == '\t'))
		ke--;
	const char *val = eq + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	if (ke == ks) {
		report(OT_LOG_ERROR, place, "no key before '='");
		return -1;
	}
	char *key = strndup(ks, (size_t)(ke - ks));
	char *value = strdup(val);
	if (!key || !value) {
		report(OT_LOG_ERROR, place, "out of memory");
		goto out;
	}
	for (size_t n = strlen(value); n && (value[n - 1] == ' ' || value[n - 1] == '\t'); n--)
		value[n - 1] = '\0';

	switch (classify(c, key, &i)) {
	case K_UNKNOWN:
		if (unknown_ok) {
			report_unknown(c, OT_LOG_WARNING, place, key, ", ignored");
			ret = 1;
		} else {
			report_unknown(c, OT_LOG_ERROR, place, key, "");
		}
		break;
	case K_SECTION:
		report(OT_LOG_ERROR, place, "'%s' is a section with sub-keys such as '%s', "
		       "not a single value", SHOW(b, key), c->keys[i].key);
		break;
	case K_LEAF:
		ret = set_text(c, i, value, false, place, ORIG_SET);
		break;
	}
out:
	free(key);
	free(value);
	return ret;
}

/* ---- getters ---- */

static const struct cfg_val *get(const struct ot_config *c, const char *key,
				 const struct cfg_key **k)
{
	long i = find_key(c, key);
	assert(i >= 0 && "configuration key not in the table");
	if (i < 0)
		return NULL;
	*k = &c->keys[i];
	return &c->vals[i];
}

bool cfg_bool(const struct ot_config *c, const char *key)
{
	const struct cfg_key *k;
	const struct cfg_val *v = get(c, key, &k);
	if (!v)
		return false;
	assert(k->type == CFG_BOOL);
	return v->b;
}

uint64_t cfg_uint(const struct ot_config *c, const char *key)
{
	const struct cfg_key *k;
	const struct cfg_val *v = get(c, key, &k);
	if (!v)
		return 0;
	assert(k->type == CFG_UINT || k->type == CFG_SIZE);
	return v->num;
}

const char *cfg_str(const struct ot_config *c, const char *key)
{
	const struct cfg_key *k;
	const struct cfg_val *v = get(c, key, &k);
	if (!v)
		return NULL;
	assert(k->type != CFG_LIST);
	return v->text;
}

size_t cfg_list(const struct ot_config *c, const char *key, const char *const **items)
{
	const struct cfg_key *k;
	const struct cfg_val *v = get(c, key, &k);
	if (items)
		*items = no_items;
	if (!v)
		return 0;
	assert(k->type == CFG_LIST);
	if (items && v->items)
		*items = (const char *const *)v->items;
	return v->nitems;
}

const char *cfg_origin(const struct ot_config *c, const char *key)
{
	const struct cfg_key *k;
	const struct cfg_val *v = get(c, key, &k);
	if (!v)
		return NULL;
	switch (v->orig) {
	case ORIG_FILE:
		return v->where;
	case ORIG_SET:
		return "--set";
	default:
		return "default";
	}
}

/* ---- docs ---- */

/* Text for a Markdown table cell: '|' escaped, line breaks as spaces. */
static void md_cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

void cfg_print_docs(const struct cfg_key *keys, size_t n, FILE *out)
{
	char range[80];
	fputs("| key | type | default | meaning |\n", out);
	fputs("| --- | --- | --- | --- |\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct cfg_key *k = &keys[i];
		fputs("| `", out);
		md_cell(out, k->key);
		fprintf(out, "` | %s", (unsigned)k->type <= CFG_LIST ? type_names[k->type] : "?");
		if (k->type == CFG_UINT || k->type == CFG_SIZE) {
			format_range(k, range, sizeof(range));
			if (range[0])
				fprintf(out, ", %s", range);
		}
		fputs(" | ", out);
		if (k->def && k->def[0]) {
			fputc('`', out);
			md_cell(out, k->def);
			fputc('`', out);
		} else {
			fputs(k->def ? "(empty)" : "(unset)", out);
		}
		fputs(" | ", out);
		md_cell(out, k->doc);
		fputs(" |\n", out);
	}
}
