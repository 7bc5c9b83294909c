/*
 * detect-parse.c - reading rule files in Suricata's language into a
 * ruleset.  A rule file is written by a vendor or by a person and may be
 * damaged or hostile, so every rule is read on its own: one that cannot be
 * used is rejected with one message naming file, line, sid and keyword,
 * recorded for --dump-rejected, and loading goes on.  Nothing here matches
 * traffic; it only turns text into struct rule (detect.h) for the matcher.
 *
 * A line is "action proto src sp -> dst dp (name: value; name; ...)".
 * Lines ending in a backslash continue on the next; '#' starts a comment
 * (a disabled rule); CRLF endings are accepted.  Options are split at ';'
 * that is not escaped by a backslash; the value keeps its escapes, since
 * each keyword reads them its own way (content and msg resolve \" \; \\,
 * pcre hands the rest to PCRE2).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "applayer.h"
#include "iprep.h"
#include "../lib/log.h"
#include "../lib/util.h"

#define RULE_LEN_MAX (256 * 1024)       /* one rule, continuation lines joined */
#define OPTS_MAX 512                    /* options in one rule */
#define RULES_MAX (4u << 20)            /* rules in one ruleset */
#define REJECTS_MAX (1u << 20)          /* rejection records kept */

/* ---- helpers shared with the keyword files ---- */

int kw_err(struct rule_parse *rp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rp->err, rp->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int kw_add_num(struct rule_parse *rp, struct sm_list *l, const char *value, uint64_t max,
	       uint8_t extra)
{
	struct detect_num *n = calloc(1, sizeof(*n));
	if (!n)
		return kw_err(rp, "out of memory");
	if (detect_parse_num(value, max, n) < 0) {
		free(n);
		return kw_err(rp, "'%.32s': expected N, <N, >N, <=N, >=N, !N or N<>M (up to %llu)",
			      value, (unsigned long long)max);
	}
	n->extra = extra;
	if (rule_add_match(l, rp->kw, n) < 0) {
		free(n);
		return kw_err(rp, "out of memory");
	}
	return 0;
}

int rp_buffer(const struct rule_parse *rp)
{
	return rp->cur_buf >= 0 ? rp->cur_buf : DBUF_PAYLOAD;
}

int rp_bytevar(const struct rule_parse *rp, const char *name)
{
	for (int i = 0; i < rp->nbytevars; i++)
		if (!strcmp(rp->bytevars[i], name))
			return i;
	return -1;
}

int detect_unquote(const char *in, char *out)
{
	size_t n = strlen(in);
	bool q = n && in[0] == '"';
	if (q) {
		if (n < 2 || in[n - 1] != '"' || (n >= 3 && in[n - 2] == '\\' &&
						 (n < 4 || in[n - 3] != '\\')))
			return -1;
		in++;
		n -= 2;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '\\' && i + 1 < n && strchr("\";\\:", in[i + 1])) {
			out[o++] = in[++i];
			continue;
		}
		if (c == '"' && q)
			return -1;      /* an unescaped quote inside the quotes */
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

int detect_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	uint64_t x = 0;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s++ - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s || x > max)
		return -1;
	*v = x;
	return 0;
}

int rule_add_match(struct sm_list *l, int kw, void *ctx)
{
	struct sigmatch *sm = calloc(1, sizeof(*sm));
	if (!sm)
		return -1;
	sm->kw = (uint16_t)kw;
	sm->ctx = ctx;
	if (l->tail)
		l->tail->next = sm;
	else
		l->head = sm;
	l->tail = sm;
	l->count++;
	return 0;
}

static void free_list(struct sm_list *l)
{
	struct sigmatch *sm = l->head;
	while (sm) {
		struct sigmatch *n = sm->next;
		if (sm->ctx) {
			if (detect_keywords[sm->kw].free)
				detect_keywords[sm->kw].free(sm->ctx);
			else
				free(sm->ctx);
		}
		free(sm);
		sm = n;
	}
	memset(l, 0, sizeof(*l));
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	addr_set_clear(&r->src);
	addr_set_clear(&r->dst);
	port_set_clear(&r->sp);
	port_set_clear(&r->dp);
	free(r->msg);
	free(r->classtype);
	free(r->metadata);
	for (size_t i = 0; i < r->nrefs; i++) {
		free(r->refs[i].key);
		free(r->refs[i].value);
	}
	free(r->refs);
	for (int i = 0; i < DBUF_MAX; i++)
		free_list(&r->bufs[i]);
	free_list(&r->pkt);
	free_list(&r->post);
	free(r->file);
	free(r->text);
	free(r);
}

size_t rule_match_count(const struct rule *r)
{
	size_t n = r->pkt.count + r->post.count;
	for (int i = 0; i < DBUF_MAX; i++)
		n += r->bufs[i].count;
	return n;
}

/* ---- rulesets ---- */

struct ruleset *ruleset_new(void)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	if (rs && !(rs->classes = detect_classes_new())) {
		free(rs);
		return NULL;
	}
	return rs;
}

void ruleset_free(struct ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->nrules; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->nrej; i++) {
		free(rs->rej[i].file);
		free(rs->rej[i].keyword);
		free(rs->rej[i].reason);
	}
	free(rs->rej);
	free(rs->sidkeys);
	free(rs->sidvals);
	detect_classes_free(rs->classes);
	detect_thrcfg_free(rs->thrcfg);
	iprep_free(rs->iprep);
	free(rs);
}

static void reject(struct ruleset *rs, const char *file, unsigned line, uint32_t sid,
		   const char *kw, const char *reason)
{
	char where[64] = "";
	if (sid)
		snprintf(where, sizeof(where), "sid %u: ", sid);
	if (!rs->quiet) {
		if (kw && *kw)
			ot_warn("%s:%u: %skeyword '%s': %s", file, line, where, kw, reason);
		else
			ot_warn("%s:%u: %s%s", file, line, where, reason);
	}
	if (rs->nrej >= REJECTS_MAX)
		return;
	if (rs->nrej == rs->caprej) {
		size_t nc = rs->caprej ? rs->caprej * 2 : 64;
		struct rule_reject *p = realloc(rs->rej, nc * sizeof(*p));
		if (!p)
			return;
		rs->rej = p;
		rs->caprej = nc;
	}
	struct rule_reject *rj = &rs->rej[rs->nrej];
	rj->file = strdup(file);
	rj->line = line;
	rj->sid = sid;
	rj->keyword = strdup(kw ? kw : "");
	rj->reason = strdup(reason);
	if (!rj->file || !rj->keyword || !rj->reason) {
		free(rj->file);
		free(rj->keyword);
		free(rj->reason);
		return;
	}
	rs->nrej++;
}

void ruleset_dump_rejected(const struct ruleset *rs, FILE *out)
{
	for (size_t i = 0; i < rs->nrej; i++) {
		const struct rule_reject *r = &rs->rej[i];
		fprintf(out, "%s:%u sid %u", r->file, r->line, r->sid);
		if (*r->keyword)
			fprintf(out, " keyword '%s'", r->keyword);
		fprintf(out, ": %s\n", r->reason);
	}
}

static uint64_t sid_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/* Index of the rule with this gid/sid, or -1; insert idx when absent. */
static long sid_lookup_insert(struct ruleset *rs, uint32_t gid, uint32_t sid, uint32_t idx)
{
	uint64_t key = ((uint64_t)gid << 32) | sid | (1ULL << 63);
	if ((rs->nrules + 1) * 2 > rs->sidcap) {
		size_t nc = rs->sidcap ? rs->sidcap * 2 : 1024;
		uint64_t *nk = calloc(nc, sizeof(*nk));
		uint32_t *nv = calloc(nc, sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return -2;
		}
		for (size_t i = 0; i < rs->sidcap; i++) {
			if (!rs->sidkeys[i])
				continue;
			size_t h = sid_hash(rs->sidkeys[i]) & (nc - 1);
			while (nk[h])
				h = (h + 1) & (nc - 1);
			nk[h] = rs->sidkeys[i];
			nv[h] = rs->sidvals[i];
		}
		free(rs->sidkeys);
		free(rs->sidvals);
		rs->sidkeys = nk;
		rs->sidvals = nv;
		rs->sidcap = nc;
	}
	size_t h = sid_hash(key) & (rs->sidcap - 1);
	while (rs->sidkeys[h]) {
		if (rs->sidkeys[h] == key)
			return rs->sidvals[h];
		h = (h + 1) & (rs->sidcap - 1);
	}
	rs->sidkeys[h] = key;
	rs->sidvals[h] = idx;
	return -1;
}

/* ---- one rule ---- */

struct opt {
	char *name, *value;         /* value NULL: none given */
};

static bool sp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char *trim(char *s)
{
	while (sp(*s))
		s++;
	size_t l = strlen(s);
	while (l && sp(s[l - 1]))
		s[--l] = '\0';
	return s;
}

/* Split the options text (modified in place).  0 or -1 with err. */
static int lex_options(char *s, struct opt *opts, int *nopts, char *err, size_t errlen)
{
	int n = 0;
	for (;;) {
		while (sp(*s))
			s++;
		if (!*s)
			break;
		if (n >= OPTS_MAX) {
			snprintf(err, errlen, "more than %d options", OPTS_MAX);
			return -1;
		}
		char *name = s;
		while (*s && *s != ':' && *s != ';')
			s++;
		if (!*s) {
			snprintf(err, errlen, "option '%.64s' is not terminated by ';'", trim(name));
			return -1;
		}
		char *value = NULL;
		if (*s == ':') {
			*s++ = '\0';
			value = s;
			while (*s && *s != ';') {
				if (*s == '\\' && s[1])
					s++;
				s++;
			}
			if (!*s) {
				snprintf(err, errlen, "option '%.64s' is not terminated by ';'", trim(name));
				return -1;
			}
		}
		*s++ = '\0';
		name = trim(name);
		if (!*name) {
			snprintf(err, errlen, "an option has no name");
			return -1;
		}
		opts[n].name = name;
		opts[n].value = value ? trim(value) : NULL;
		n++;
	}
	*nopts = n;
	return 0;
}

struct proto_name {
	const char *name;
	uint8_t ip_proto;
	uint8_t app_proto;
	uint8_t flags;
};

static const struct proto_name protos[] = {
	{ "ip", 0, 0, 0 }, { "pkthdr", 0, 0, 0 },
	{ "ipv4", 0, 0, RULE_PROTO_IPV4 }, { "ip4", 0, 0, RULE_PROTO_IPV4 },
	{ "ipv6", 0, 0, RULE_PROTO_IPV6 }, { "ip6", 0, 0, RULE_PROTO_IPV6 },
	{ "tcp", 6, 0, 0 }, { "tcp-pkt", 6, 0, RULE_PROTO_PKT }, { "tcp-stream", 6, 0, RULE_PROTO_STREAM },
	{ "udp", 17, 0, 0 }, { "icmp", 1, 0, 0 }, { "icmpv4", 1, 0, 0 }, { "icmpv6", 58, 0, 0 },
	{ "sctp", 132, 0, 0 },
	{ "http", 6, APP_HTTP, 0 }, { "http1", 6, APP_HTTP, 0 },
	{ "tls", 6, APP_TLS, 0 }, { "ssl", 6, APP_TLS, 0 },
	{ "dns", 0, APP_DNS, 0 }, { "ftp", 6, APP_FTP, 0 }, { "smtp", 6, APP_SMTP, 0 },
	{ "imap", 6, APP_IMAP, 0 }, { "pop3", 6, APP_POP3, 0 }, { "ssh", 6, APP_SSH, 0 },
};

static const char *const unsupported_protos[] = {
	"smb", "dcerpc", "krb5", "snmp", "sip", "ntp", "dhcp", "rdp", "nfs", "tftp", "modbus",
	"dnp3", "enip", "mqtt", "http2", "quic", "ike", "ikev2", "rfb", "ldap", "ftp-data",
	"telnet", "irc", "bittorrent-dht", "pgsql", "websocket", "doh2", "template", "nfs3",
	"cip", "rpc", "msn", "jabber", "ntlm", "tcp-data",
};

/* Split a header into fields at spaces outside brackets. */
static int split_header(char *h, char **f, int max)
{
	int n = 0, level = 0;
	char *p = h;
	while (*p) {
		while (sp(*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			return max + 1;
		f[n++] = p;
		while (*p && (level > 0 || !sp(*p))) {
			if (*p == '[')
				level++;
			else if (*p == ']' && level > 0)
				level--;
			p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static int parse_header(struct rule *r, char *h, const struct detect_vars *vars,
			char *err, size_t errlen)
{
	char *f[8];
	int n = split_header(h, f, 7);
	if (n != 7) {
		snprintf(err, errlen, "header: expected 'action proto src sport -> dst dport', got %d fields", n);
		return -1;
	}
	static const char *const actions[] = { "alert", "pass", "drop", "reject", "rejectsrc",
					       "rejectdst", "rejectboth" };
	int a = -1;
	for (int i = 0; i < 7; i++)
		if (!strcmp(f[0], actions[i]))
			a = i;
	if (a < 0) {
		snprintf(err, errlen, "header: unknown action '%.32s'", f[0]);
		return -1;
	}
	r->action = (uint8_t)a;
	const struct proto_name *pn = NULL;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(f[1], protos[i].name))
			pn = &protos[i];
	if (!pn) {
		for (size_t i = 0; i < sizeof(unsupported_protos) / sizeof(unsupported_protos[0]); i++) {
			if (!strcasecmp(f[1], unsupported_protos[i])) {
				snprintf(err, errlen, "header: protocol %.32s is not supported", f[1]);
				return -1;
			}
		}
		snprintf(err, errlen, "header: unknown protocol '%.32s'", f[1]);
		return -1;
	}
	r->ip_proto = pn->ip_proto;
	r->app_proto = pn->app_proto;
	r->proto_flags = pn->flags;
	if (!strcmp(f[4], "<>"))
		r->bidir = true;
	else if (strcmp(f[4], "->")) {
		snprintf(err, errlen, "header: direction must be '->' or '<>', not '%.8s'", f[4]);
		return -1;
	}
	char e[200];
	static const char *const what[] = { "source address", "source port",
					    "destination address", "destination port" };
	int idx[] = { 2, 3, 5, 6 };
	for (int i = 0; i < 4; i++) {
		int rc = (i & 1) ? port_set_parse(i < 2 ? &r->sp : &r->dp, f[idx[i]], vars, e, sizeof(e))
				 : addr_set_parse(i < 2 ? &r->src : &r->dst, f[idx[i]], vars, e, sizeof(e));
		if (rc < 0) {
			snprintf(err, errlen, "header: %s '%.64s': %s", what[i], f[idx[i]], e);
			return -1;
		}
	}
	return 0;
}

/* Move the last content to a legacy modifier's buffer. */
static int legacy_move(struct rule_parse *rp, int buf, const char *name)
{
	if (!rp->last_content)
		return kw_err(rp, "no content before it");
	if (rp->cur_buf >= 0 || rp->last_content_buf != DBUF_PAYLOAD)
		return kw_err(rp, "the content before it is already in buffer '%s'",
			      detect_buffers[rp->cur_buf >= 0 ? rp->cur_buf : rp->last_content_buf].name);
	struct detect_content *c = rp->last_content->ctx;
	if (c->flags & CT_RAWBYTES)
		return kw_err(rp, "rawbytes cannot be used with %s", name);
	struct sm_list *from = &rp->r->bufs[DBUF_PAYLOAD];
	struct sigmatch *prev = NULL, *sm = from->head;
	while (sm && sm != rp->last_content) {
		prev = sm;
		sm = sm->next;
	}
	if (!sm)
		return kw_err(rp, "internal: content not found");
	if (prev)
		prev->next = sm->next;
	else
		from->head = sm->next;
	if (from->tail == sm)
		from->tail = prev;
	from->count--;
	sm->next = NULL;
	struct sm_list *to = &rp->r->bufs[buf];
	if (to->tail)
		to->tail->next = sm;
	else
		to->head = sm;
	to->tail = sm;
	to->count++;
	rp->last_content_buf = buf;
	if (rp->last_rel == sm)
		rp->last_rel_buf = buf;
	if (rp->r->fast_pattern_buf == DBUF_PAYLOAD && (c->flags & CT_FAST_PATTERN))
		rp->r->fast_pattern_buf = buf;
	return 0;
}

/* Buffers of one rule must belong to the rule's protocol (or none). */
static int check_buffer_proto(struct rule_parse *rp, int buf, const char *name)
{
	uint8_t bp = detect_buffers[buf].app_proto;
	if (!bp)
		return 0;
	if (rp->r->app_proto && rp->r->app_proto != bp)
		return kw_err(rp, "buffer '%s' is %s, but the rule is for %s", name,
			      app_proto_name(bp), app_proto_name(rp->r->app_proto));
	if (rp->r->ip_proto && rp->r->ip_proto != 6 && bp != APP_DNS)
		return kw_err(rp, "buffer '%s' is %s, which runs over TCP, not this rule's protocol",
			      name, app_proto_name(bp));
	rp->r->app_proto = bp;
	return 0;
}

static int run_option(struct rule_parse *rp, const struct opt *o)
{
	int kw = detect_keyword_find(o->name);
	if (kw >= 0) {
		const struct detect_kw *k = &detect_keywords[kw];
		if ((k->flags & KW_NOVALUE) && o->value)
			return kw_err(rp, "takes no value");
		if (!(k->flags & (KW_NOVALUE | KW_OPTVALUE)) && (!o->value || !*o->value))
			return kw_err(rp, "needs a value");
		if (!k->setup)
			return kw_err(rp, "keyword '%s' is not supported", o->name);
		rp->kw = kw;
		return k->setup(rp, o->value);
	}
	bool legacy = false;
	int buf = detect_buffer_find(o->name, &legacy);
	if (buf < 0)
		return kw_err(rp, "keyword '%s' is not supported", o->name);
	if (o->value)
		return kw_err(rp, "takes no value");
	if (check_buffer_proto(rp, buf, o->name) < 0)
		return -1;
	if (legacy)
		return legacy_move(rp, buf, o->name);
	rp->cur_buf = buf;
	rp->last_content = NULL;
	return 0;
}

static struct rule *parse_rule(struct ruleset *rs, const char *text, const char *file,
			       unsigned line, const struct detect_vars *vars)
{
	char err[512] = "";
	const char *kwname = "";
	uint32_t sid = 0;
	struct opt *opts = NULL;
	int nopts = 0;
	struct rule *r = NULL;
	char *copy = strdup(text);
	char *sidkw = NULL;
	if (!copy)
		return NULL;
	char *open = strchr(copy, '(');
	char *end = copy + strlen(copy);
	while (end > copy && sp(end[-1]))
		*--end = '\0';
	if (!open || end == copy || end[-1] != ')') {
		snprintf(err, sizeof(err), "expected 'header (options)'; the options must be in parentheses at the end");
		goto bad;
	}
	*open = '\0';
	end[-1] = '\0';
	opts = calloc(OPTS_MAX, sizeof(*opts));
	if (!opts) {
		snprintf(err, sizeof(err), "out of memory");
		goto bad;
	}
	if (lex_options(open + 1, opts, &nopts, err, sizeof(err)) < 0)
		goto bad;
	/* the sid first, so that every message can name it */
	for (int i = 0; i < nopts; i++) {
		uint64_t v;
		if (!strcmp(opts[i].name, "sid") && opts[i].value &&
		    detect_parse_u64(opts[i].value, UINT32_MAX, &v) == 0)
			sid = (uint32_t)v;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		snprintf(err, sizeof(err), "out of memory");
		goto bad;
	}
	r->gid = 1;
	r->fast_pattern_buf = -1;
	if (parse_header(r, copy, vars, err, sizeof(err)) < 0)
		goto bad;
	struct rule_parse rp = {
		.r = r, .vars = vars, .classes = rs->classes, .iprep = rs->iprep, .cur_buf = -1,
		.last_content_buf = -1, .last_rel_buf = -1, .err = err, .errlen = sizeof(err),
	};
	int rc = 0;
	for (int i = 0; i < nopts && rc == 0; i++) {
		kwname = opts[i].name;
		rc = run_option(&rp, &opts[i]);
	}
	for (int i = 0; i < rp.nbytevars; i++)
		free(rp.bytevars[i]);
	if (rc < 0)
		goto bad;
	kwname = "sid";
	if (!r->sid) {
		snprintf(err, sizeof(err), "the rule has no sid");
		goto bad;
	}
	kwname = "classtype";
	if (!r->priority) {
		int p = r->classtype ? detect_class_priority(rs->classes, r->classtype) : -1;
		r->priority = p > 0 ? p : 3;
	}
	kwname = "";
	if (!(r->file = strdup(file)) || !(r->text = strdup(text))) {
		snprintf(err, sizeof(err), "out of memory");
		goto bad;
	}
	r->line = line;
	free(opts);
	free(copy);
	free(sidkw);
	return r;
bad:
	reject(rs, file, line, sid, kwname, err);
	rule_free(r);
	free(opts);
	free(copy);
	free(sidkw);
	return NULL;
}

static void add_rule(struct ruleset *rs, const char *text, const char *file, unsigned line,
		     const struct detect_vars *vars)
{
	if (rs->nrules >= RULES_MAX) {
		reject(rs, file, line, 0, "", "too many rules");
		return;
	}
	struct rule *r = parse_rule(rs, text, file, line, vars);
	if (!r)
		return;
	long prev = sid_lookup_insert(rs, r->gid, r->sid, (uint32_t)rs->nrules);
	if (prev >= 0) {
		const struct rule *o = rs->rules[prev];
		char msg[600];
		snprintf(msg, sizeof(msg), "duplicate sid %u (gid %u): already loaded from %s:%u",
			 r->sid, r->gid, o->file, o->line);
		reject(rs, file, line, r->sid, "sid", msg);
		rule_free(r);
		return;
	}
	if (prev == -2 || rs->nrules == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 1024;
		struct rule **p = prev == -2 ? NULL : realloc(rs->rules, nc * sizeof(*p));
		if (!p) {
			reject(rs, file, line, r->sid, "", "out of memory");
			rule_free(r);
			return;
		}
		rs->rules = p;
		rs->cap = nc;
	}
	rs->rules[rs->nrules++] = r;
}

/* ---- files ---- */

int ruleset_load_buffer(struct ruleset *rs, const char *buf, size_t len, const char *name,
			const struct detect_vars *vars)
{
	char *acc = NULL;
	size_t alen = 0;
	unsigned lineno = 0, first = 0;
	bool toolong = false;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *s = buf + pos;
		pos += l + (nl ? 1 : 0);
		lineno++;
		if (l && s[l - 1] == '\r')
			l--;
		if (!acc) {
			size_t i = 0;
			while (i < l && sp(s[i]))
				i++;
			if (i == l || s[i] == '#')
				continue;       /* blank, comment or disabled rule */
			first = lineno;
			toolong = false;
		}
		bool cont = l && s[l - 1] == '\\';
		if (cont)
			l--;
		if (!toolong && alen + l + 1 > RULE_LEN_MAX)
			toolong = true;
		if (!toolong) {
			char *p = realloc(acc, alen + l + 1);
			if (!p) {
				free(acc);
				return -1;
			}
			acc = p;
			memcpy(acc + alen, s, l);
			alen += l;
			acc[alen] = '\0';
		} else if (!acc) {
			acc = strdup("");
		}
		if (cont && pos < len)
			continue;
		if (toolong)
			reject(rs, name, first, 0, "", "rule longer than 256 KiB");
		else if (memchr(acc, '\0', alen))
			reject(rs, name, first, 0, "", "rule contains a NUL byte");
		else
			add_rule(rs, acc, name, first, vars);
		free(acc);
		acc = NULL;
		alen = 0;
	}
	free(acc);
	return 0;
}

int ruleset_load_file(struct ruleset *rs, const char *path, const struct detect_vars *vars)
{
	char *buf;
	size_t len;
	if (ot_read_file(path, (size_t)1 << 31, &buf, &len) < 0) {
		ot_err("%s: %s", path, errno == EFBIG ? "larger than 2 GiB" : strerror(errno));
		return -1;
	}
	int rc = ruleset_load_buffer(rs, buf, len, path, vars);
	free(buf);
	rs->files++;
	return rc;
}

char *detect_trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t l = strlen(s);
	while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
		s[--l] = '\0';
	return s;
}

int detect_split(char *buf, char sep, char **tok, int max)
{
	int n = 0;
	char *p = buf;
	for (;;) {
		char *e = strchr(p, sep);
		if (e)
			*e = '\0';
		if (n == max)
			return -1;
		tok[n++] = detect_trim(p);
		if (!e)
			return n;
		p = e + 1;
	}
}
