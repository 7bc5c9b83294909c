/*
 * detect-kw-meta.c - the options that describe a rule rather than what it
 * matches: msg, sid, rev, gid, classtype, priority, reference, metadata,
 * target, noalert.  They are checked as strictly as Suricata checks them,
 * so a rule that loads here also loads there.
 */
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"

#define META_TEXT_MAX 8192

int kw_msg_setup(struct rule_parse *rp, const char *value);
int kw_sid_setup(struct rule_parse *rp, const char *value);
int kw_rev_setup(struct rule_parse *rp, const char *value);
int kw_gid_setup(struct rule_parse *rp, const char *value);
int kw_classtype_setup(struct rule_parse *rp, const char *value);
int kw_priority_setup(struct rule_parse *rp, const char *value);
int kw_reference_setup(struct rule_parse *rp, const char *value);
int kw_metadata_setup(struct rule_parse *rp, const char *value);
int kw_target_setup(struct rule_parse *rp, const char *value);
int kw_noalert_setup(struct rule_parse *rp, const char *value);

int kw_msg_setup(struct rule_parse *rp, const char *value)
{
	if (rp->r->msg)
		return kw_err(rp, "given twice");
	if (strlen(value) > META_TEXT_MAX)
		return kw_err(rp, "longer than %d bytes", META_TEXT_MAX);
	char *m = malloc(strlen(value) + 1);
	if (!m)
		return kw_err(rp, "out of memory");
	if (value[0] != '"' || detect_unquote(value, m) < 0) {
		free(m);
		return kw_err(rp, "expected a message in double quotes");
	}
	rp->r->msg = m;
	return 0;
}

static int u32_once(struct rule_parse *rp, const char *value, uint32_t *dst, uint32_t min,
		    const char *what)
{
	uint64_t v;
	if (detect_parse_u64(value, UINT32_MAX, &v) < 0 || v < min)
		return kw_err(rp, "'%.32s' is not %s", value, what);
	*dst = (uint32_t)v;
	return 0;
}

int kw_sid_setup(struct rule_parse *rp, const char *value)
{
	if (rp->r->sid)
		return kw_err(rp, "given twice");
	return u32_once(rp, value, &rp->r->sid, 1, "a number from 1 to 4294967295");
}

int kw_rev_setup(struct rule_parse *rp, const char *value)
{
	return u32_once(rp, value, &rp->r->rev, 0, "a number");
}

int kw_gid_setup(struct rule_parse *rp, const char *value)
{
	return u32_once(rp, value, &rp->r->gid, 0, "a number");
}

int kw_classtype_setup(struct rule_parse *rp, const char *value)
{
	if (rp->r->classtype)
		return kw_err(rp, "given twice");
	size_t n = strlen(value);
	if (!n || n > 64 || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != n)
		return kw_err(rp, "'%.64s' is not a class name", value);
	if (detect_classes_loaded(rp->classes) && detect_class_priority(rp->classes, value) < 0)
		return kw_err(rp, "unknown classtype '%s' (not in classification.config)", value);
	if (!(rp->r->classtype = strdup(value)))
		return kw_err(rp, "out of memory");
	return 0;
}

int kw_priority_setup(struct rule_parse *rp, const char *value)
{
	uint64_t v;
	if (detect_parse_u64(value, 255, &v) < 0 || v == 0)
		return kw_err(rp, "'%.32s' is not a number from 1 to 255", value);
	rp->r->priority = (int)v;
	return 0;
}

int kw_reference_setup(struct rule_parse *rp, const char *value)
{
	const char *comma = strchr(value, ',');
	if (!comma || comma == value || !comma[1])
		return kw_err(rp, "expected 'kind,value'");
	if (rp->r->nrefs >= 64)
		return kw_err(rp, "more than 64 references");
	size_t kl = (size_t)(comma - value);
	while (kl && (value[kl - 1] == ' ' || value[kl - 1] == '\t'))
		kl--;
	const char *v = comma + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!kl || !*v || strlen(v) > META_TEXT_MAX)
		return kw_err(rp, "expected 'kind,value'");
	char *key = strndup(value, kl);
	if (!key)
		return kw_err(rp, "out of memory");
	if (!detect_reference_known(rp->classes, key)) {
		kw_err(rp, "unknown reference kind '%.32s' (not in reference.config)", key);
		free(key);
		return -1;
	}
	struct rule_ref *p = realloc(rp->r->refs, (rp->r->nrefs + 1) * sizeof(*p));
	char *val = strdup(v);
	if (!p || !val) {
		if (p)
			rp->r->refs = p;
		free(key);
		free(val);
		return kw_err(rp, "out of memory");
	}
	rp->r->refs = p;
	p[rp->r->nrefs].key = key;
	p[rp->r->nrefs].value = val;
	rp->r->nrefs++;
	return 0;
}

int kw_metadata_setup(struct rule_parse *rp, const char *value)
{
	/* several metadata options are joined with ", " */
	size_t old = rp->r->metadata ? strlen(rp->r->metadata) : 0, n = strlen(value);
	if (old + n > 4 * META_TEXT_MAX)
		return kw_err(rp, "longer than %d bytes", 4 * META_TEXT_MAX);
	char *m = realloc(rp->r->metadata, old + n + 3);
	if (!m)
		return kw_err(rp, "out of memory");
	if (old) {
		memcpy(m + old, ", ", 2);
		old += 2;
	}
	memcpy(m + old, value, n + 1);
	rp->r->metadata = m;
	return 0;
}

int kw_target_setup(struct rule_parse *rp, const char *value)
{
	if (!strcmp(value, "src_ip"))
		rp->r->target = 1;
	else if (!strcmp(value, "dest_ip"))
		rp->r->target = 2;
	else
		return kw_err(rp, "'%.32s': expected src_ip or dest_ip", value);
	return 0;
}

int kw_noalert_setup(struct rule_parse *rp, const char *value)
{
	rp->r->noalert = true;
	return 0;
}
