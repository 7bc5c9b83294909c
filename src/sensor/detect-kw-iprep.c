/*
 * detect-kw-iprep.c - the iprep rule keyword: the reputation of the
 * packet's addresses (iprep.h), as Suricata has it:
 *
 *     iprep:<side>,<category>,<op>,<score>    op: <, <=, >, >=, =
 *     iprep:<side>,<category>,isset|isnotset
 *
 * side is src, dst, any (either address) or both.  The category is a short
 * name of the categories file or of a reputation list; a rule naming one
 * that is not loaded is rejected.  An address without a score in the
 * category (or with score 0, "no data") never satisfies a comparison, so
 * iprep:dst,CnC,<,50 means "listed as CnC, with a score under 50".  A rule
 * whose only packet tests are iprep is IP-only: checked on the first packet
 * of each direction of a flow.
 */
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "iprep.h"
#include "packet.h"

int kw_iprep_setup(struct rule_parse *rp, const char *value);

enum { SIDE_ANY = 0, SIDE_SRC, SIDE_DST, SIDE_BOTH };
enum { OP_LT = 0, OP_LE, OP_GT, OP_GE, OP_EQ, OP_ISSET, OP_ISNOTSET };

struct detect_iprep {
	uint8_t side, cat, op, value;
};

int kw_iprep_setup(struct rule_parse *rp, const char *value)
{
	static const char *const sides[] = { "any", "src", "dst", "both" };
	static const char *const ops[] = { "<", "<=", ">", ">=", "=", "isset", "isnotset" };
	char buf[128];
	char *tok[4];
	struct detect_iprep d = { 0 };
	uint64_t v = 0;
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	strcpy(buf, value);
	int n = detect_split(buf, ',', tok, 4);
	if (n < 3)
		return kw_err(rp, "expected side,category,operator,score or side,category,isset");
	for (d.side = 0; d.side < 4 && strcmp(tok[0], sides[d.side]); d.side++)
		;
	if (d.side == 4)
		return kw_err(rp, "side '%.16s': expected any, src, dst or both", tok[0]);
	int cat = iprep_category_find(rp->iprep, tok[1]);
	if (cat < 0)
		return kw_err(rp, "category '%.40s' is not loaded (reputation-categories-file, "
			      "reputation-lists)", tok[1]);
	d.cat = (uint8_t)cat;
	for (d.op = 0; d.op < 7 && strcmp(tok[2], ops[d.op]); d.op++)
		;
	if (d.op == 7)
		return kw_err(rp, "operator '%.16s': expected <, <=, >, >=, =, isset or isnotset",
			      tok[2]);
	if ((d.op >= OP_ISSET) != (n == 3))
		return kw_err(rp, d.op >= OP_ISSET ? "isset and isnotset take no score" :
			      "a comparison needs a score");
	if (n == 4 && detect_parse_u64(tok[3], IPREP_SCORE_MAX, &v) < 0)
		return kw_err(rp, "score '%.16s' is not a number from 0 to %d", tok[3],
			      IPREP_SCORE_MAX);
	d.value = (uint8_t)v;
	struct detect_iprep *ctx = malloc(sizeof(*ctx));
	if (!ctx)
		return kw_err(rp, "out of memory");
	*ctx = d;
	if (rule_add_match(&rp->r->pkt, rp->kw, ctx) < 0) {
		free(ctx);
		return kw_err(rp, "out of memory");
	}
	return 0;
}

static bool side_holds(const struct iprep *rep, const struct detect_iprep *d,
		       const struct ot_addr *a, int ip_ver)
{
	unsigned s = iprep_score(rep, a, ip_ver, d->cat);
	switch (d->op) {
	case OP_ISSET: return s != 0;
	case OP_ISNOTSET: return s == 0;
	}
	if (!s)
		return false;
	switch (d->op) {
	case OP_LT: return s < d->value;
	case OP_LE: return s <= d->value;
	case OP_GT: return s > d->value;
	case OP_GE: return s >= d->value;
	default: return s == d->value;
	}
}

bool detect_iprep_match(const struct iprep *rep, const void *ctx, const struct packet *p)
{
	const struct detect_iprep *d = ctx;
	if (!p->ip_ver)
		return false;
	switch (d->side) {
	case SIDE_SRC: return side_holds(rep, d, &p->src, p->ip_ver);
	case SIDE_DST: return side_holds(rep, d, &p->dst, p->ip_ver);
	case SIDE_BOTH:
		return side_holds(rep, d, &p->src, p->ip_ver) && side_holds(rep, d, &p->dst, p->ip_ver);
	default:
		return side_holds(rep, d, &p->src, p->ip_ver) || side_holds(rep, d, &p->dst, p->ip_ver);
	}
}
