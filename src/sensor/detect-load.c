/*
 * detect-load.c - the ruleset the configuration asks for (see
 * detect-load.h).
 *
 * Order matters: the variables first (rules are parsed against them), then
 * classification.config and reference.config (found next to the first rule
 * file unless configured), then the reputation (iprep: rules name its
 * categories), then the rule files, and last the built-in reputation
 * signatures, so that a rule of the operator's with one of their sids
 * wins and the clash is reported.
 *
 * The built-in signatures make a reputation list useful without writing
 * rules: for each category of reputation-lists, and each score band its
 * entries have, one IP-only rule per side ("traffic from an address on the
 * CnC list", "... to ..."), so a flow with a listed address alerts once per
 * direction, on its first packet each way, as Suricata's IP-only rules do.
 * Severity comes from the score: 100 and up is 1, 50 to 99 is 2, below 50
 * is 3.
 */
#include "detect-load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "detect-parse.h"
#include "iprep.h"
#include "../lib/config.h"
#include "../lib/log.h"

static const char *const addr_groups[] = {
	"HOME_NET", "EXTERNAL_NET", "HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS",
	"TELNET_SERVERS", "AIM_SERVERS", "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT",
	"MODBUS_CLIENT", "MODBUS_SERVER", "ENIP_CLIENT", "ENIP_SERVER",
};
static const char *const port_groups[] = {
	"HTTP_PORTS", "SHELLCODE_PORTS", "ORACLE_PORTS", "SSH_PORTS", "DNP3_PORTS", "MODBUS_PORTS",
	"FILE_DATA_PORTS", "FTP_PORTS", "GENEVE_PORTS", "VXLAN_PORTS", "TEREDO_PORTS",
};

#define DEFAULT_LIST_SCORE 100

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The folder of path, for files that sit next to the rules. */
static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, len, ".");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* name relative to base (when it is not absolute and base is set) into out. */
static void in_dir(const char *base, const char *name, char *out, size_t len)
{
	if (name[0] != '/' && base)
		snprintf(out, len, "%s/%s", base, name);
	else
		snprintf(out, len, "%s", name);
}

static struct detect_vars *load_vars(const struct ot_config *cfg)
{
	struct detect_vars *vars = detect_vars_new();
	char key[128];
	int bad = 0;
	if (!vars)
		return NULL;
	for (size_t i = 0; i < sizeof(addr_groups) / sizeof(addr_groups[0]); i++) {
		snprintf(key, sizeof(key), "vars.address-groups.%s", addr_groups[i]);
		if (cfg_str(cfg, key) && detect_vars_set_kind(vars, addr_groups[i], cfg_str(cfg, key), false) < 0)
			bad++;
	}
	for (size_t i = 0; i < sizeof(port_groups) / sizeof(port_groups[0]); i++) {
		snprintf(key, sizeof(key), "vars.port-groups.%s", port_groups[i]);
		if (cfg_str(cfg, key) && detect_vars_set_kind(vars, port_groups[i], cfg_str(cfg, key), true) < 0)
			bad++;
	}
	if (bad || detect_vars_check(vars)) {
		detect_vars_free(vars);
		return NULL;
	}
	return vars;
}

/* classification.config and reference.config: configured, or next to the
 * rules in dir (none when dir is empty) */
static int load_classes(struct ruleset *rs, const struct ot_config *cfg, const char *dir)
{
	static const struct {
		const char *key, *file;
		int (*load)(struct detect_classes *, const char *);
	} files[] = {
		{ "classification-file", "classification.config", detect_classes_load },
		{ "reference-config-file", "reference.config", detect_references_load },
	};
	char path[4096];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *p = cfg_str(cfg, files[i].key);
		if (!p) {
			if (!*dir)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, files[i].file);
			if (access(path, R_OK) < 0)
				continue;
			p = path;
		}
		if (files[i].load(rs->classes, p) < 0)
			return -1;
	}
	if (!detect_classes_loaded(rs->classes))
		ot_notice("no classification.config: every classtype is accepted, with priority 3");
	return 0;
}

/* "CATEGORY:SCORE:FILE" or "CATEGORY:FILE" of reputation-lists */
static int list_item(const char *item, char *cat, size_t catlen, unsigned *score, const char **file)
{
	const char *c = strchr(item, ':');
	if (!c || c == item || (size_t)(c - item) >= catlen || !c[1])
		return -1;
	snprintf(cat, catlen, "%.*s", (int)(c - item), item);
	*score = DEFAULT_LIST_SCORE;
	*file = c + 1;
	size_t digits = strspn(c + 1, "0123456789");
	if (digits && c[1 + digits] == ':') {
		unsigned long v = strtoul(c + 1, NULL, 10);
		if (digits > 3 || v < 1 || v > IPREP_SCORE_MAX || !c[2 + digits])
			return -1;
		*score = (unsigned)v;
		*file = c + 2 + digits;
	}
	return 0;
}

/*
 * The reputation files and lists of the configuration, built; NULL when
 * none is configured (*failed false) or one cannot be used (*failed).
 * listed gets the categories that reputation-lists fill.
 */
static struct iprep *load_reputation(const struct ot_config *cfg, bool *failed,
				     uint64_t listed[IPREP_CATS / 64])
{
	const char *const *files, *const *lists;
	size_t nfiles = cfg_list(cfg, "reputation-files", &files);
	size_t nlists = cfg_list(cfg, "reputation-lists", &lists);
	const char *cats = cfg_str(cfg, "reputation-categories-file");
	const char *base = cfg_str(cfg, "default-reputation-path");
	char path[4096], name[IPREP_NAME_MAX + 2];
	double t0 = now_ms();
	*failed = false;
	memset(listed, 0, IPREP_CATS / 8);
	if (!cats && !nfiles && !nlists)
		return NULL;
	struct iprep *ip = iprep_new();
	if (!ip)
		goto fail;
	if (cats && iprep_load(ip, cats, IPREP_CATEGORIES, 0, 0) < 0)
		goto fail;
	for (size_t i = 0; i < nfiles; i++) {
		in_dir(base, files[i], path, sizeof(path));
		if (iprep_load(ip, path, IPREP_SURICATA, 0, 0) < 0)
			goto fail;
	}
	for (size_t i = 0; i < nlists; i++) {
		unsigned score;
		const char *file;
		if (list_item(lists[i], name, sizeof(name), &score, &file) < 0) {
			ot_err("%s: reputation-lists item '%s': expected CATEGORY:SCORE:FILE "
			       "(score 1 to %d) or CATEGORY:FILE", cfg_origin(cfg, "reputation-lists"),
			       lists[i], IPREP_SCORE_MAX);
			goto fail;
		}
		int cat = iprep_category_define(ip, name);
		in_dir(base, file, path, sizeof(path));
		if (cat < 0 || iprep_load(ip, path, IPREP_LIST, cat, score) < 0)
			goto fail;
		listed[cat / 64] |= 1ull << (cat % 64);
	}
	if (iprep_build(ip) < 0)
		goto fail;
	ot_notice("reputation: %zu entries from %zu files, %zu address ranges (%.1f MiB), in %.0f ms",
		  iprep_entries(ip), nfiles + nlists, iprep_ranges(ip),
		  (double)iprep_table_bytes(ip) / (1 << 20), now_ms() - t0);
	return ip;
fail:
	iprep_free(ip);
	*failed = true;
	return NULL;
}

/* One built-in signature per listed category, score band and side. */
static void add_builtin_rules(struct ruleset *rs, const struct detect_vars *vars,
			      const uint64_t listed[IPREP_CATS / 64])
{
	static const struct {
		unsigned lo, hi;
	} bands[] = { { 100, IPREP_SCORE_MAX }, { 50, 99 }, { 1, 49 } };
	static const char *const sides[] = { "src", "dst" }, *const words[] = { "from", "to" };
	char rule[1024];
	if (detect_class_priority(rs->classes, "misc-attack") < 0 &&
	    detect_classes_add(rs->classes, "misc-attack", "Misc Attack", 2) < 0)
		ot_warn("built-in reputation rules: classtype misc-attack could not be added");
	for (int cat = 0; cat < IPREP_CATS; cat++) {
		uint64_t seen[2];
		if (!(listed[cat / 64] >> (cat % 64) & 1))
			continue;
		iprep_category_scores(rs->iprep, cat, seen);
		const char *name = iprep_category_name(rs->iprep, cat);
		for (unsigned b = 0; b < 3; b++) {
			bool any = false;
			for (unsigned s = bands[b].lo; s <= bands[b].hi; s++)
				any |= seen[s / 64] >> (s % 64) & 1;
			if (!any)
				continue;
			for (unsigned side = 0; side < 2; side++) {
				int n = snprintf(rule, sizeof(rule),
					"alert ip any any -> any any (msg:\"otasuke IP reputation: "
					"traffic %s an address on the %s list\"; iprep:%s,%s,>=,%u; "
					"iprep:%s,%s,<=,%u; classtype:misc-attack; priority:%u; "
					"metadata:otasuke builtin-iprep; sid:%u; rev:1;)\n",
					words[side], name, sides[side], name, bands[b].lo,
					sides[side], name, bands[b].hi, b + 1,
					DETECT_IPREP_SID + 100u * (unsigned)cat + 10u * (side + 1) + b + 1);
				ruleset_load_buffer(rs, rule, (size_t)n, "built-in reputation rules", vars);
			}
		}
	}
}

/* Load one rule file; a file with rules of which none could be used counts in *broken. */
static int load_rule_file(struct ruleset *rs, const char *path, const struct detect_vars *vars,
			  int *broken)
{
	size_t n = rs->nrules, rej = rs->nrej;
	if (ruleset_load_file(rs, path, vars) < 0)
		return -1;
	if (rs->nrules == n && rs->nrej > rej) {
		ot_err("%s: none of its %zu rules can be used", path, rs->nrej - rej);
		(*broken)++;
	}
	return 0;
}

struct ruleset *detect_load(const struct detect_sources *src, const struct ot_config *cfg,
			    bool *none, int *broken)
{
	const char *const *cfiles;
	size_t ncfg = cfg_list(cfg, "rule-files", &cfiles);
	const char *base = cfg_str(cfg, "default-rule-path");
	struct detect_vars *vars = NULL;
	struct ruleset *rs = NULL;
	uint64_t listed[IPREP_CATS / 64];
	char path[4096], dir[2048] = "";
	const char *first = NULL;
	bool rep_failed;
	int bad = 0;
	*none = false;
	*broken = 0;
	if (src->nrules_S)
		ncfg = 0;
	struct iprep *rep = load_reputation(cfg, &rep_failed, listed);
	if (rep_failed)
		return NULL;
	if (!ncfg && !src->nrules_S && !src->nrules_s && !rep) {
		*none = true;
		return NULL;
	}
	if (!(vars = load_vars(cfg)) || !(rs = ruleset_new()))
		goto fail;
	rs->iprep = rep;
	rep = NULL;
	/* the first rule file locates classification.config when it is not configured */
	if (src->nrules_S)
		first = src->rules_S[0];
	else if (ncfg && cfiles[0][0] != '/' && base)
		first = NULL;
	else if (ncfg)
		first = cfiles[0];
	else if (src->nrules_s)
		first = src->rules_s[0];
	if (first)
		dir_of(first, dir, sizeof(dir));
	else if (base)
		snprintf(dir, sizeof(dir), "%s", base);
	if (load_classes(rs, cfg, dir) < 0)
		goto fail;
	rs->quiet = src->quiet;
	for (int i = 0; i < src->nrules_S; i++)
		if (load_rule_file(rs, src->rules_S[i], vars, broken) < 0)
			bad++;
	for (size_t i = 0; i < ncfg; i++) {
		in_dir(base, cfiles[i], path, sizeof(path));
		if (load_rule_file(rs, path, vars, broken) < 0)
			bad++;
	}
	for (int i = 0; i < src->nrules_s; i++)
		if (load_rule_file(rs, src->rules_s[i], vars, broken) < 0)
			bad++;
	const char *thr = cfg_str(cfg, "threshold-file");
	if (thr && detect_thrcfg_load(rs, thr, vars) < 0)
		bad++;
	if (bad)
		goto fail;
	if (rs->iprep && cfg_bool(cfg, "reputation-alerts"))
		add_builtin_rules(rs, vars, listed);
	size_t total = rs->nrules + rs->nrej;
	ot_notice("%zu rules loaded, %zu rejected (%.1f%%)", rs->nrules, rs->nrej,
		  total ? 100.0 * (double)rs->nrej / (double)total : 0.0);
	detect_vars_free(vars);
	return rs;
fail:
	iprep_free(rep);
	detect_vars_free(vars);
	ruleset_free(rs);
	return NULL;
}
