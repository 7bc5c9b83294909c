/*
 * detect-kw-flow.c - what a rule asks of the flow a packet belongs to:
 * flow: (direction, state, stream or packet), flowbits (named flags set by
 * one rule and tested by another, several names joined by '|' for "any" or
 * '&' for "all") and flowint (named counters).  xbits is recognised but
 * not supported (see detect-keywords.c).
 */
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"

#define NAME_MAX_LEN 64
#define NAMES_MAX 16

int kw_flow_setup(struct rule_parse *rp, const char *value);
int kw_flowbits_setup(struct rule_parse *rp, const char *value);
int kw_flowint_setup(struct rule_parse *rp, const char *value);
void kw_flowbits_free(void *ctx);
void kw_flowint_free(void *ctx);
int kw_xbits_setup(struct rule_parse *rp, const char *value);
void kw_xbits_free(void *ctx);

static bool good_name(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || strchr("|&,;\"'", s[i]))
			return false;
	return true;
}

int kw_flow_setup(struct rule_parse *rp, const char *value)
{
	static const struct {
		const char *name;
		uint16_t flag;
	} words[] = {
		{ "established", DFLOW_ESTABLISHED }, { "not_established", DFLOW_NOT_ESTABLISHED },
		{ "stateless", DFLOW_STATELESS }, { "to_server", DFLOW_TOSERVER },
		{ "from_client", DFLOW_TOSERVER }, { "to_client", DFLOW_TOCLIENT },
		{ "from_server", DFLOW_TOCLIENT }, { "only_stream", DFLOW_ONLY_STREAM },
		{ "no_stream", DFLOW_NO_STREAM }, { "only_frag", DFLOW_ONLY_FRAG },
		{ "no_frag", DFLOW_NO_FRAG },
	};
	char buf[256];
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	for (struct sigmatch *sm = rp->r->pkt.head; sm; sm = sm->next)
		if (sm->kw == rp->kw)
			return kw_err(rp, "given twice");
	strcpy(buf, value);
	uint16_t f = 0;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = detect_trim(t);
		uint16_t w = 0;
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (!strcmp(t, words[i].name))
				w = words[i].flag;
		if (!w)
			return kw_err(rp, "unknown flow option '%.32s'", t);
		if (f & w)
			return kw_err(rp, "'%s' given twice", t);
		f |= w;
	}
	if (!f)
		return kw_err(rp, "no flow option");
	if ((f & DFLOW_TOSERVER) && (f & DFLOW_TOCLIENT))
		return kw_err(rp, "to_server and to_client together");
	if (__builtin_popcount(f & (DFLOW_ESTABLISHED | DFLOW_NOT_ESTABLISHED | DFLOW_STATELESS)) > 1)
		return kw_err(rp, "established, not_established and stateless exclude each other");
	if ((f & DFLOW_ONLY_STREAM) && (f & DFLOW_NO_STREAM))
		return kw_err(rp, "only_stream and no_stream together");
	if ((f & DFLOW_ONLY_FRAG) && (f & DFLOW_NO_FRAG))
		return kw_err(rp, "only_frag and no_frag together");
	struct detect_flow *d = calloc(1, sizeof(*d));
	if (!d || rule_add_match(&rp->r->pkt, rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	d->flags = f;
	rp->r->flow_dirs = (f & DFLOW_TOSERVER) ? DETECT_TOSERVER : (f & DFLOW_TOCLIENT) ? DETECT_TOCLIENT : 0;
	return 0;
}

void kw_flowbits_free(void *ctx)
{
	struct detect_flowbits *f = ctx;
	if (!f)
		return;
	for (size_t i = 0; i < f->nnames; i++)
		free(f->names[i]);
	free(f->names);
	free(f);
}

int kw_flowbits_setup(struct rule_parse *rp, const char *value)
{
	static const char *const ops[] = { "set", "isset", "isnotset", "toggle", "unset", "noalert" };
	char buf[1024];
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	strcpy(buf, value);
	char *comma = strchr(buf, ','), *names = NULL;
	if (comma) {
		*comma = '\0';
		names = detect_trim(comma + 1);
	}
	char *op = detect_trim(buf);
	int o = -1;
	for (int i = 0; i < 6; i++)
		if (!strcmp(op, ops[i]))
			o = i;
	if (o < 0)
		return kw_err(rp, "unknown operation '%.32s' (set, isset, isnotset, toggle, unset, noalert)", op);
	if (o == FB_NOALERT) {
		if (names)
			return kw_err(rp, "noalert takes no name");
		rp->r->noalert = true;
		return 0;
	}
	if (!names || !*names)
		return kw_err(rp, "'%s' needs a flowbit name", op);
	struct detect_flowbits *f = calloc(1, sizeof(*f));
	if (!f || !(f->names = calloc(NAMES_MAX, sizeof(char *)))) {
		free(f);
		return kw_err(rp, "out of memory");
	}
	f->op = (uint8_t)o;
	bool has_or = strchr(names, '|'), has_and = strchr(names, '&');
	if (has_or && has_and) {
		kw_flowbits_free(f);
		return kw_err(rp, "'|' and '&' cannot be mixed");
	}
	if ((has_or || has_and) && o != FB_ISSET && o != FB_ISNOTSET) {
		kw_flowbits_free(f);
		return kw_err(rp, "several names only with isset or isnotset");
	}
	f->and = has_and;
	for (char *save = NULL, *t = strtok_r(names, "|&", &save); t; t = strtok_r(NULL, "|&", &save)) {
		t = detect_trim(t);
		if (!good_name(t)) {
			kw_flowbits_free(f);
			return kw_err(rp, "'%.32s' is not a flowbit name", t);
		}
		if (f->nnames >= NAMES_MAX || !(f->names[f->nnames] = strdup(t))) {
			kw_flowbits_free(f);
			return kw_err(rp, "more than %d names", NAMES_MAX);
		}
		f->nnames++;
	}
	if (!f->nnames) {
		kw_flowbits_free(f);
		return kw_err(rp, "'%s' needs a flowbit name", op);
	}
	bool test = o == FB_ISSET || o == FB_ISNOTSET;
	if (rule_add_match(test ? &rp->r->pkt : &rp->r->post, rp->kw, f) < 0) {
		kw_flowbits_free(f);
		return kw_err(rp, "out of memory");
	}
	return 0;
}

#define XBITS_EXPIRE 30         /* seconds, when a rule gives none */

void kw_xbits_free(void *ctx)
{
	struct detect_xbits *x = ctx;
	if (x)
		free(x->name);
	free(x);
}

int kw_xbits_setup(struct rule_parse *rp, const char *value)
{
	static const char *const ops[] = { "set", "isset", "isnotset", "toggle", "unset", "noalert" };
	static const char *const tracks[] = { "ip_src", "ip_dst", "ip_pair" };
	char buf[256], *tok[4];
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	strcpy(buf, value);
	int n = detect_split(buf, ',', tok, 4);
	int o = -1, tr = -1;
	for (int i = 0; n > 0 && i < 6; i++)
		if (!strcmp(tok[0], ops[i]))
			o = i;
	if (o < 0)
		return kw_err(rp, "expected set, isset, isnotset, toggle, unset or noalert first");
	if (o == FB_NOALERT) {
		rp->r->noalert = true;
		return 0;
	}
	if (n < 3 || !good_name(tok[1]) || strncmp(tok[2], "track ", 6))
		return kw_err(rp, "expected '%s,<name>,track <ip_src|ip_dst|ip_pair>[,expire <s>]'",
			      ops[o]);
	const char *t = detect_trim(tok[2] + 6);
	for (int i = 0; i < 3; i++)
		if (!strcmp(t, tracks[i]))
			tr = i;
	if (tr < 0)
		return kw_err(rp, "track '%.16s': expected ip_src, ip_dst or ip_pair", t);
	uint64_t exp = XBITS_EXPIRE;
	if (n == 4 && (strncmp(tok[3], "expire ", 7) ||
		       detect_parse_u64(tok[3] + 7, UINT32_MAX, &exp) < 0 || !exp))
		return kw_err(rp, "'%.32s': expected expire <seconds>", tok[3]);
	struct detect_xbits *x = calloc(1, sizeof(*x));
	if (!x || !(x->name = strdup(tok[1]))) {
		free(x);
		return kw_err(rp, "out of memory");
	}
	x->op = (uint8_t)o;
	x->track = (uint8_t)tr;
	x->expire = (uint32_t)exp;
	bool test = o == FB_ISSET || o == FB_ISNOTSET;
	if (rule_add_match(test ? &rp->r->pkt : &rp->r->post, rp->kw, x) < 0) {
		kw_xbits_free(x);
		return kw_err(rp, "out of memory");
	}
	return 0;
}

void kw_flowint_free(void *ctx)
{
	struct detect_flowint *f = ctx;
	if (!f)
		return;
	free(f->name);
	free(f->value_var);
	free(f);
}

int kw_flowint_setup(struct rule_parse *rp, const char *value)
{
	static const char *const ops[] = { "=", "+", "-", "==", "!=", "<", "<=", ">", ">=",
					   "isset", "notset" };
	char buf[256], *tok[4];
	int n = 0;
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	strcpy(buf, value);
	n = detect_split(buf, ',', tok, 4);
	if (n < 2)
		return kw_err(rp, "expected 'name, operator[, value]'");
	if (!good_name(tok[0]))
		return kw_err(rp, "'%.32s' is not a flowint name", tok[0]);
	int o = -1;
	for (int i = 0; i < 11; i++)
		if (!strcmp(tok[1], ops[i]))
			o = i;
	if (!strcmp(tok[1], "isnotset"))
		o = FI_NOTSET;
	if (o < 0)
		return kw_err(rp, "unknown operator '%.8s'", tok[1]);
	bool unary = o == FI_ISSET || o == FI_NOTSET;
	if (unary != (n == 2))
		return kw_err(rp, unary ? "'%s' takes no value" : "'%s' needs a value", tok[1]);
	struct detect_flowint *f = calloc(1, sizeof(*f));
	if (!f || !(f->name = strdup(tok[0]))) {
		free(f);
		return kw_err(rp, "out of memory");
	}
	f->op = (uint8_t)o;
	if (!unary && detect_parse_u64(tok[2], UINT32_MAX, &f->value) < 0) {
		if (!good_name(tok[2]) || !(f->value_var = strdup(tok[2]))) {
			kw_flowint_free(f);
			return kw_err(rp, "'%.32s' is neither a number nor a flowint name", tok[2]);
		}
	}
	bool modify = o == FI_SET || o == FI_ADD || o == FI_SUB;
	if (rule_add_match(modify ? &rp->r->post : &rp->r->pkt, rp->kw, f) < 0) {
		kw_flowint_free(f);
		return kw_err(rp, "out of memory");
	}
	return 0;
}
