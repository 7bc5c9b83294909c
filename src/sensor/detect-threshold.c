/*
 * detect-threshold.c - threshold.config: how an operator tunes alerts
 * without editing the rules, in Suricata's format.
 *
 *   threshold gen_id 1, sig_id 2010935, type limit, track by_src, count 1, seconds 60
 *   event_filter gen_id 1, sig_id 0, type both, track by_dst, count 5, seconds 300
 *   suppress gen_id 1, sig_id 2019401
 *   suppress gen_id 1, sig_id 2003614, track by_src, ip $HOME_NET
 *
 * threshold and event_filter give a rule (sig_id 0: every rule of gen_id;
 * gen_id 0 too: every rule) the rate limit a threshold keyword would, and
 * replace the rule's own; the most specific entry wins.  suppress keeps a
 * rule from alerting (it still sets its flowbits): always, or when the
 * source (by_src), destination (by_dst) or either (by_either) is in ip,
 * an address expression as in rule headers.  A line that cannot be read
 * (rate_filter, which changes actions, among them) is reported with file,
 * line and why, and skipped.
 */
#include "detect-parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum { THRCFG_THRESHOLD = 0, THRCFG_SUPPRESS };

/* suppress tracks: which address of the alert ip names */
enum { SUP_ALL = 0, SUP_SRC, SUP_DST, SUP_EITHER };

struct thrcfg_entry {
	uint32_t gid, sid;          /* 0: every */
	uint8_t kind;
	uint8_t track;              /* suppress: SUP_* */
	struct detect_threshold thr;
	struct addr_set ips;
};

struct detect_thrcfg {
	struct thrcfg_entry *v;
	size_t n, cap;
};

/* "key value" of one comma-separated option, in place; false when malformed */
static bool option(char *o, char **key, char **val)
{
	o = detect_trim(o);
	char *sp = o + strcspn(o, " \t");
	if (!*sp)
		return false;
	*sp = '\0';
	*key = o;
	*val = detect_trim(sp + 1);
	return **val != '\0';
}

static int parse_line(struct thrcfg_entry *e, char *line, const struct detect_vars *vars,
		      char *err, size_t errlen)
{
	char *sp = line + strcspn(line, " \t");
	char rest[512] = "";
	size_t rl = 0;
	bool gid = false, sid = false, ip = false;
	if (*sp)
		*sp++ = '\0';
	if (!strcmp(line, "threshold") || !strcmp(line, "event_filter")) {
		e->kind = THRCFG_THRESHOLD;
	} else if (!strcmp(line, "suppress")) {
		e->kind = THRCFG_SUPPRESS;
	} else if (!strcmp(line, "rate_filter")) {
		snprintf(err, errlen, "rate_filter changes actions, which the sensor does not take");
		return -1;
	} else {
		snprintf(err, errlen, "'%.32s': expected threshold, event_filter or suppress", line);
		return -1;
	}
	for (char *save = NULL, *o = strtok_r(sp, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *k, *v;
		uint64_t n;
		if (!option(o, &k, &v)) {
			snprintf(err, errlen, "'%.32s': expected 'name value'", detect_trim(o));
			return -1;
		}
		if (!strcmp(k, "gen_id") || !strcmp(k, "sig_id")) {
			if (detect_parse_u64(v, UINT32_MAX, &n) < 0) {
				snprintf(err, errlen, "%s '%.32s' is not a number", k, v);
				return -1;
			}
			if (k[0] == 'g')
				e->gid = (uint32_t)n, gid = true;
			else
				e->sid = (uint32_t)n, sid = true;
		} else if (e->kind == THRCFG_SUPPRESS && !strcmp(k, "track")) {
			static const char *const by[] = { "by_src", "by_dst", "by_either" };
			for (int i = 0; i < 3; i++)
				if (!strcmp(v, by[i]))
					e->track = (uint8_t)(SUP_SRC + i);
			if (e->track == SUP_ALL) {
				snprintf(err, errlen, "track '%.16s': expected by_src, by_dst or by_either", v);
				return -1;
			}
		} else if (e->kind == THRCFG_SUPPRESS && !strcmp(k, "ip")) {
			if (addr_set_parse(&e->ips, v, vars, err, errlen) < 0)
				return -1;
			ip = true;
		} else if (e->kind == THRCFG_THRESHOLD) {
			/* type, track, count, seconds: as the threshold keyword */
			int w = snprintf(rest + rl, sizeof(rest) - rl, "%s%s %s", rl ? "," : "", k, v);
			if (w < 0 || (size_t)w >= sizeof(rest) - rl) {
				snprintf(err, errlen, "line too long");
				return -1;
			}
			rl += (size_t)w;
		} else {
			snprintf(err, errlen, "'%.32s': not an option of suppress", k);
			return -1;
		}
	}
	if (!gid || !sid) {
		snprintf(err, errlen, "needs gen_id and sig_id");
		return -1;
	}
	if (e->kind == THRCFG_SUPPRESS) {
		if (ip != (e->track != SUP_ALL)) {
			snprintf(err, errlen, "track and ip go together");
			return -1;
		}
		return 0;
	}
	return detect_threshold_parse(rest, false, &e->thr, err, errlen);
}

static void entry_clear(struct thrcfg_entry *e)
{
	addr_set_clear(&e->ips);
}

int detect_thrcfg_load(struct ruleset *rs, const char *path, const struct detect_vars *vars)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		ot_err("%s: %s", path, strerror(errno));
		return -1;
	}
	int r = detect_thrcfg_read(rs, f, path, vars);
	fclose(f);
	return r;
}

int detect_thrcfg_read(struct ruleset *rs, FILE *f, const char *path,
		       const struct detect_vars *vars)
{
	struct detect_thrcfg *c = rs->thrcfg;
	if (!c && !(c = rs->thrcfg = calloc(1, sizeof(*c))))
		return -1;
	char line[1024], err[256];
	unsigned ln = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *t = detect_trim(line);
		if (!*t || *t == '#')
			continue;
		if (c->n == c->cap) {
			size_t nc = c->cap ? c->cap * 2 : 16;
			struct thrcfg_entry *v = realloc(c->v, nc * sizeof(*v));
			if (!v)
				break;
			c->v = v;
			c->cap = nc;
		}
		struct thrcfg_entry *e = &c->v[c->n];
		memset(e, 0, sizeof(*e));
		if (parse_line(e, t, vars, err, sizeof(err)) < 0) {
			if (!rs->quiet)
				ot_warn("%s:%u: %s: line skipped", path, ln, err);
			entry_clear(e);
			bad++;
			continue;
		}
		c->n++;
	}
	if (!rs->quiet)
			ot_notice("%s: %zu thresholds and suppressions%s", path, c->n,
			  bad ? ", some lines skipped" : "");
	return 0;
}

void detect_thrcfg_free(struct detect_thrcfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		entry_clear(&c->v[i]);
	free(c->v);
	free(c);
}

/* How closely entry e names (gid, sid): 3 exactly, 2 every sid of gid, 1 all, 0 not. */
static int names(const struct thrcfg_entry *e, uint32_t gid, uint32_t sid)
{
	if (e->gid == gid && e->sid == sid)
		return 3;
	if (e->gid == gid && !e->sid)
		return 2;
	return !e->gid && !e->sid ? 1 : 0;
}

const struct detect_threshold *detect_thrcfg_threshold(const struct detect_thrcfg *c,
						       uint32_t gid, uint32_t sid)
{
	const struct detect_threshold *best = NULL;
	int bs = 0;
	for (size_t i = 0; c && i < c->n; i++) {
		int s = names(&c->v[i], gid, sid);
		if (c->v[i].kind == THRCFG_THRESHOLD && s > bs) {
			best = &c->v[i].thr;
			bs = s;
		}
	}
	return best;
}

bool detect_thrcfg_suppresses(const struct detect_thrcfg *c, uint32_t gid, uint32_t sid)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (c->v[i].kind == THRCFG_SUPPRESS && names(&c->v[i], gid, sid))
			return true;
	return false;
}

bool detect_thrcfg_suppressed(const struct detect_thrcfg *c, uint32_t gid, uint32_t sid,
			      const struct ot_addr *src, const struct ot_addr *dst, int ip_ver)
{
	for (size_t i = 0; c && i < c->n; i++) {
		const struct thrcfg_entry *e = &c->v[i];
		if (e->kind != THRCFG_SUPPRESS || !names(e, gid, sid))
			continue;
		if (e->track == SUP_ALL ||
		    ((e->track == SUP_SRC || e->track == SUP_EITHER) &&
		     addr_set_match(&e->ips, src, ip_ver)) ||
		    ((e->track == SUP_DST || e->track == SUP_EITHER) &&
		     addr_set_match(&e->ips, dst, ip_ver)))
			return true;
	}
	return false;
}
