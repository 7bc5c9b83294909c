/*
 * detect-engine.c - the first rule matcher: which rules a packet must be
 * checked against, and checking them.
 *
 * At start-up the rules are put in Suricata's evaluation order (actions,
 * then rules setting flowbits before rules reading them, then priority,
 * then file order) and sorted into groups: one per IP protocol, and in
 * each the rules whose destination ports are a few known values (indexed
 * by destination port), those whose source ports are (indexed by source
 * port), those naming a few addresses on one side (indexed by address,
 * detect-addrindex.h), and the rest.
 *
 * Rules with a fast pattern (detect-prefilter.h) are not in those lists:
 * their patterns go into vectorscan databases: for the payload one per
 * group and direction (and per direction and server port for the TCP and
 * UDP ports many rules name), and one per HTTP buffer and side for
 * transactions.  A packet scans its payload once with the database of its
 * group, direction and server port and walks, in
 * evaluation order, the lists of its group merged with the rules whose
 * pattern the scan found; so it only meets plausible rules.  Rules
 * without a usable fast pattern (no content, only negated ones, a pattern
 * vectorscan refused) stay in the lists and meet every packet of their
 * group and ports.  With detect.prefilter off every rule is in the lists.
 *
 * Each candidate rule is checked: addresses and ports (both ways for <>),
 * the packet list (flow, ttl, flags, dsize, flowbits:isset, flowint, iprep...),
 * then the payload list through detect-match.c.  A matching rule runs its
 * post-match list (flowbits:set/unset/toggle, flowint:+/-/=), passes its
 * threshold or detection_filter, and raises an alert unless it is noalert.
 * A matching pass rule ends the packet's inspection (an IP-only one, the
 * flow's).
 *
 * Rules on app-layer buffers are matched on transactions, not packets
 * (the buffers themselves are read by detect-appbuf.c).  HTTP/1 (http.uri,
 * http.host, file_data...): the parser's transactions (app-http.h) are
 * polled after each packet, once per transaction when its request is
 * complete (request-side rules) or its response is (rules needing the
 * response), on a packet of that side as Suricata does, and at the end of
 * the flow for what that completed.  DNS and
 * TLS (dns.query, tls.sni, tls.cert_*, ja3/ja4...): the parser hands each
 * transaction side over when it gets somewhere (applayer.h app_tx_ready:
 * a DNS message; a TLS hello, then a certificate) and the rules waiting
 * for exactly that side and progress are matched then.  The payload
 * contents of a rule that also uses HTTP buffers are matched on the HTTP
 * message rebuilt (start line, headers, body), where Suricata uses the
 * stream.  What is left out (buffers of protocols without a parser,
 * keywords not matched yet) is counted.
 *
 * TCP payloads are matched packet by packet in this first pass, not on the
 * reassembled stream (which comes later): a pattern split across segments
 * is missed, and a retransmission may alert again.
 *
 * Memory: the candidate and prefilter hit lists, the vectorscan scratch,
 * the PCRE2 match data, the header and URI scratch buffers and the
 * threshold table are allocated with the engine; the only allocation after that is a flow's detection block
 * (flowbits, flowints, transaction cursors), once per flow, on first use.
 */
#include "detect-engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "app-http.h"
#include "detect-addrindex.h"
#include "detect-appbuf.h"
#include "detect-parse.h"
#include "detect-prefilter.h"
#include "detect-xbits.h"
#include "iprep.h"
#include "stream.h"
#include "../lib/util.h"

#define MAX_PORTS_INDEXED 64    /* a port set with more values is not indexed */
#define FLOWBITS_MAX 1024       /* distinct flowbit names; more are ignored */
#define FLOWINT_MAX 64          /* distinct flowint names; more never match */
#define THR_SLOTS 4096          /* threshold / detection_filter trackers */
#define THR_PROBE 8
#define RULE_BUFS_MAX 8         /* app-layer buffers one rule may use */

enum { G_TCP = 0, G_UDP, G_ICMP, G_OTHER, G_MAX };

/*
 * Prefilter databases: the payload of each group and direction (a rule
 * for flows to the server only is in the first), then each app-layer
 * buffer (HTTP, DNS, TLS) of each side, then, for TCP and UDP, the payload of a direction and one
 * server port (destination to the server, source to the client) that many
 * rules are for: those rules and the ones for any port.
 */
#define PF_PAYLOAD(g, dir) ((unsigned)(g) * 2 + (unsigned)(dir))
#define PF_TX(stage, b) (PF_PAYLOAD(G_MAX, 0) + (unsigned)(stage) * DBUF_MAX + (unsigned)(b))
#define PF_DBS PF_TX(2, 0)
#define PF_PORT_MIN 32          /* rules for a port before it gets databases of its own */

struct pf_portdb {
	uint16_t port;
	unsigned db;
};

struct port_idx {
	uint64_t *keys;             /* port << 32 | rule order, sorted */
	size_t n, cap;
};

struct group {
	struct port_idx by_dp, by_sp;
	struct addr_index by_src, by_dst;   /* rules naming a few addresses on one side */
	uint32_t *any;              /* rule orders, ascending */
	size_t nany, capany;
};

struct erule {
	const struct rule *r;
	const struct detect_threshold *thr;
	uint32_t order;
	uint8_t tx;                 /* matched on transactions of this app_proto, 0: packets */
	bool ip_only;               /* addresses and ports only: checked on the
				       first packet of each direction of a flow */
	bool sup;                   /* threshold.config may suppress its alerts */
	bool pre;                   /* evaluated only when the prefilter found its fast pattern */
	uint8_t tx_dir;             /* 0: when the request is done, 1: the response */
	uint8_t tx_dirs;            /* non-HTTP: sides inspected (1 << dir) ... */
	uint8_t tx_progress[2];     /* ... each once it reports this progress */
	uint8_t nbufs;
	uint8_t bufs[RULE_BUFS_MAX];        /* the buffers the rule looks into */
};

struct thr_slot {
	uint32_t rule;              /* order + 1, 0 = free */
	struct ot_addr a, b;
	uint64_t first;             /* seconds */
	uint32_t count;
};

struct flow_detect {
	uint32_t bits[FLOWBITS_MAX / 32];
	uint64_t tx_next[2];        /* first HTTP tx not inspected yet: request, response */
	uint64_t fi_set;            /* flowints that have a value */
	uint64_t fi[FLOWINT_MAX];
};

struct detect_engine {
	const struct ruleset *rs;
	struct erule *rules;        /* in evaluation order */
	size_t nrules, skipped;
	struct group g[G_MAX];
	uint32_t *txr[APP_PROTO_MAX];   /* orders of the transaction rules the prefilter does
					   not select, per protocol */
	size_t ntxr[APP_PROTO_MAX];
	size_t ntx[APP_PROTO_MAX];      /* all transaction rules, per protocol */
	struct detect_appbuf ab;    /* scratch for app-layer buffers */
	uint32_t *cand;             /* scratch: candidates of one packet */
	struct prefilter *pf;       /* NULL: every rule is a candidate */
	struct pf_portdb *pfports[2][2];    /* TCP, UDP; direction: ports with their own databases */
	size_t npfports[2][2];
	unsigned npfdbs;            /* PF_DBS and the ports' */
	struct pf_stats pfst;
	size_t nalways;             /* rules the prefilter cannot select */
	uint32_t *hits;             /* scratch: rules whose fast pattern a scan found */
	struct detect_match_ctx m;
	char **fbnames;             /* sorted flowbit names */
	size_t nfb;
	char **finames;             /* sorted flowint names */
	size_t nfi;
	struct thr_slot *thr;
	struct xbits_table *xb;     /* made when some rule uses xbits */
	detect_alert_fn alert;
	void *arg;
	/* keyword indexes */
	int kw_flow, kw_flowbits, kw_flowint, kw_ttl, kw_itype, kw_icode, kw_ip_proto, kw_flags, kw_ack,
	    kw_seq, kw_window, kw_id, kw_icmp_id, kw_icmp_seq, kw_fragbits, kw_dsize,
	    kw_alproto, kw_threshold, kw_dfilter, kw_tag, kw_stream_size, kw_xbits, kw_iprep;
};

/* ---- building ---- */

static int order_action(uint8_t a)
{
	/* Suricata's default action-order: pass, drop, reject, alert */
	switch (a) {
	case ACTION_PASS: return 0;
	case ACTION_DROP: return 1;
	case ACTION_REJECT: case ACTION_REJECTSRC: case ACTION_REJECTDST: case ACTION_REJECTBOTH:
		return 2;
	default: return 3;
	}
}

struct sortkey {
	const struct rule *r;
	size_t file_order;
	int action, fb, prio;
};

static int fb_class(const struct detect_engine *de, const struct rule *r)
{
	bool set = false, read = false;
	for (const struct sigmatch *sm = r->pkt.head; sm; sm = sm->next)
		if (sm->kw == de->kw_flowbits)
			read = true;
	for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next)
		if (sm->kw == de->kw_flowbits)
			set = true;
	if (set && !read)
		return 0;
	if (set)
		return 1;
	if (read)
		return 2;
	return 3;
}

static int cmp_key(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;
	if (x->action != y->action)
		return x->action - y->action;
	if (x->fb != y->fb)
		return x->fb - y->fb;
	if (x->prio != y->prio)
		return x->prio - y->prio;
	return x->file_order < y->file_order ? -1 : x->file_order > y->file_order;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Room for element n of a growable array: the array (moved, perhaps) or
 * NULL when memory ran out (the old array is left as it was). */
static int push_u64(struct port_idx *pi, uint64_t v)
{
	uint64_t *k = ot_grow(pi->keys, &pi->cap, pi->n, sizeof(*k), 64);
	if (!k)
		return -1;
	pi->keys = k;
	pi->keys[pi->n++] = v;
	return 0;
}

static int push_any(struct group *g, uint32_t v)
{
	uint32_t *k = ot_grow(g->any, &g->capany, g->nany, sizeof(*k), 64);
	if (!k)
		return -1;
	g->any = k;
	g->any[g->nany++] = v;
	return 0;
}

/* Number of ports in a plain (not negated, not any) set, or SIZE_MAX. */
static size_t port_count(const struct port_set *ps)
{
	if (ps->any || ps->nout || !ps->nin)
		return SIZE_MAX;
	size_t n = 0;
	for (size_t i = 0; i < ps->nin; i++)
		n += (size_t)(ps->in[i].hi - ps->in[i].lo) + 1;
	return n;
}

static int index_ports(struct port_idx *pi, const struct port_set *ps, uint32_t order)
{
	for (size_t i = 0; i < ps->nin; i++)
		for (uint32_t p = ps->in[i].lo; p <= ps->in[i].hi; p++)
			if (push_u64(pi, (uint64_t)p << 32 | order) < 0)
				return -1;
	return 0;
}

static int add_to_group(struct group *g, const struct rule *r, uint32_t order, bool ports)
{
	if (r->bidir)
		return push_any(g, order);
	if (ports) {
		size_t nd = port_count(&r->dp), ns = port_count(&r->sp);
		if (nd <= MAX_PORTS_INDEXED)
			return index_ports(&g->by_dp, &r->dp, order);
		if (ns <= MAX_PORTS_INDEXED)
			return index_ports(&g->by_sp, &r->sp, order);
	}
	/* the side naming fewer addresses */
	uint64_t ss = addr_index_span(&r->src), sd = addr_index_span(&r->dst);
	if (ss != UINT64_MAX && ss <= sd)
		return addr_index_add(&g->by_src, &r->src, order);
	if (sd != UINT64_MAX)
		return addr_index_add(&g->by_dst, &r->dst, order);
	return push_any(g, order);
}

/*
 * Which side(s) of a transaction a rule on app-layer buffers is inspected
 * at, and how far each must have got.  HTTP: once, when the request is
 * done, or the response when the rule reads it.  The others: a rule on
 * buffers of one side at that side; on buffers both sides have (a
 * certificate), at each side not excluded by flow:to_server/to_client.
 */
static int tx_sides(const struct rule *r, struct erule *e, bool resp, bool req_only)
{
	if (resp && r->flow_dirs == DETECT_TOSERVER)
		return -1;
	e->tx_dir = resp || r->flow_dirs == DETECT_TOCLIENT;
	if (e->tx == APP_HTTP)
		return 0;
	e->tx_dirs = resp ? 2 : req_only ? 1 : r->flow_dirs ? r->flow_dirs : 3;
	if (r->flow_dirs)
		e->tx_dirs &= r->flow_dirs;
	for (int d = 0; d < 2; d++) {
		e->tx_progress[d] = 0;
		for (int i = 0; i < e->nbufs; i++) {
			int b = e->bufs[i], bd = detect_buffers[b].dirs;
			if (bd == DETECT_TOSERVER && d == 1)
				continue;
			unsigned pr = detect_appbuf_progress(b, d);
			if (pr > e->tx_progress[d])
				e->tx_progress[d] = (uint8_t)pr;
		}
	}
	return e->tx_dirs ? 0 : -1;
}

/* Why a rule is left out: a message, and the keyword or buffer at fault
 * (-1 none). */
struct why {
	const char *msg;
	int kw, buf;
};

static int left_out(struct why *w, const char *msg, int kw)
{
	w->msg = msg;
	w->kw = kw;
	w->buf = -1;
	return 0;
}

/* The first keyword of l that is not among the n in ok, or -1. */
static int kw_outside(const struct sm_list *l, const int *ok, size_t n)
{
	for (const struct sigmatch *sm = l->head; sm; sm = sm->next) {
		size_t i = 0;
		while (i < n && ok[i] != sm->kw)
			i++;
		if (i == n)
			return sm->kw;
	}
	return -1;
}

/*
 * Can the engine check every match of r, and how: 1 on packets, 2 on
 * transactions (e gets its protocol, buffers and sides), 0 not yet (w
 * says why).
 */
static int rule_supported(const struct detect_engine *de, const struct rule *r, struct erule *e,
			  struct why *w)
{
	bool resp = false, req_only = false;
	const struct sigmatch *bad;
	int k;
	e->nbufs = 0;
	e->tx = 0;
	for (int b = 0; b < DBUF_MAX; b++) {
		if (b == DBUF_PAYLOAD || b == DBUF_BASE64_DATA || !r->bufs[b].head)
			continue;
		int proto = detect_appbuf_proto(b);
		if (!proto) {
			left_out(w, "is not matched yet", -1);
			w->buf = b;
			return 0;
		}
		if (e->tx && proto != e->tx)
			return left_out(w, "buffers of two protocols", -1);
		if (e->nbufs == RULE_BUFS_MAX)
			return left_out(w, "too many buffers", -1);
		if ((bad = detect_match_unsupported(&de->m.k, r->bufs[b].head)))
			return left_out(w, "not matched in app-layer buffers yet", bad->kw);
		e->bufs[e->nbufs++] = (uint8_t)b;
		e->tx = (uint8_t)proto;
		/* file.data looks at the response, or the request with flow:to_server */
		if (detect_buffers[b].dirs == DETECT_TOCLIENT ||
		    (b == DBUF_HTTP_RESPONSE_BODY && r->flow_dirs != DETECT_TOSERVER))
			resp = true;
		if (detect_buffers[b].dirs == DETECT_TOSERVER)
			req_only = true;
	}
	if ((bad = detect_match_unsupported(&de->m.k, r->bufs[DBUF_PAYLOAD].head)))
		return left_out(w, "not matched in the payload yet", bad->kw);
	if ((bad = detect_match_unsupported(&de->m.k, r->bufs[DBUF_BASE64_DATA].head)))
		return left_out(w, "not matched in base64_data yet", bad->kw);
	if (e->tx) {
		/* app-layer rules: transactions of one protocol; payload contents
		   only beside HTTP buffers (matched on the message) */
		if (r->bufs[DBUF_PAYLOAD].head && e->tx != APP_HTTP)
			return left_out(w, "payload contents beside non-HTTP buffers", -1);
		if ((r->app_proto && r->app_proto != e->tx) ||
		    (r->ip_proto && r->ip_proto != IPPROTO_TCP &&
		     !(e->tx == APP_DNS && r->ip_proto == IPPROTO_UDP)))
			return left_out(w, "no parser gives its buffers for its protocol yet", -1);
		if (tx_sides(r, e, resp, req_only) < 0)
			return left_out(w, "its buffers and its flow direction contradict", -1);
		const int ok[] = { de->kw_flow, de->kw_flowbits, de->kw_flowint, de->kw_alproto,
				   de->kw_xbits };
		if ((k = kw_outside(&r->pkt, ok, OT_ARRAY_LEN(ok))) >= 0)
			return left_out(w, "not matched on app-layer transactions yet", k);
	}
	const int pk[] = {
		de->kw_flow, de->kw_flowbits, de->kw_flowint, de->kw_ttl, de->kw_itype,
		de->kw_icode, de->kw_ip_proto, de->kw_flags, de->kw_ack, de->kw_seq,
		de->kw_window, de->kw_id, de->kw_icmp_id, de->kw_icmp_seq, de->kw_fragbits,
		de->kw_dsize, de->kw_alproto, de->kw_stream_size, de->kw_xbits, de->kw_iprep,
	};
	if ((k = kw_outside(&r->pkt, pk, OT_ARRAY_LEN(pk))) >= 0)
		return left_out(w, "not matched yet", k);
	const int po[] = { de->kw_flowbits, de->kw_flowint, de->kw_threshold, de->kw_dfilter,
			   de->kw_tag, de->kw_xbits };
	if ((k = kw_outside(&r->post, po, OT_ARRAY_LEN(po))) >= 0)
		return left_out(w, "not matched yet", k);
	return e->tx ? 2 : 1;
}

static int add_name(char ***names, size_t *n, size_t *cap, char *name)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 32;
		char **v = realloc(*names, nc * sizeof(*v));
		if (!v)
			return -1;
		*names = v;
		*cap = nc;
	}
	(*names)[(*n)++] = name;
	return 0;
}

static int collect_flowints(struct detect_engine *de, const struct sm_list *l, size_t *cap)
{
	for (const struct sigmatch *sm = l->head; sm; sm = sm->next) {
		if (sm->kw != de->kw_flowint)
			continue;
		const struct detect_flowint *fi = sm->ctx;
		if (add_name(&de->finames, &de->nfi, cap, fi->name) < 0 ||
		    (fi->value_var && add_name(&de->finames, &de->nfi, cap, fi->value_var) < 0))
			return -1;
	}
	return 0;
}

static void sort_names(char **names, size_t *n)
{
	if (!*n)
		return;
	qsort(names, *n, sizeof(*names), cmp_str);
	size_t u = 1;
	for (size_t i = 1; i < *n; i++)
		if (strcmp(names[i], names[u - 1]))
			names[u++] = names[i];
	*n = u;
}

static int collect_flowbits(struct detect_engine *de, const struct sm_list *l, size_t *cap)
{
	for (const struct sigmatch *sm = l->head; sm; sm = sm->next) {
		if (sm->kw != de->kw_flowbits)
			continue;
		const struct detect_flowbits *fb = sm->ctx;
		for (size_t i = 0; i < fb->nnames; i++) {
			if (de->nfb == *cap) {
				size_t nc = *cap ? *cap * 2 : 32;
				char **n = realloc(de->fbnames, nc * sizeof(*n));
				if (!n)
					return -1;
				de->fbnames = n;
				*cap = nc;
			}
			de->fbnames[de->nfb++] = fb->names[i];
		}
	}
	return 0;
}

static void find_kws(struct detect_engine *de)
{
	de->kw_flow = detect_keyword_find("flow");
	de->kw_flowbits = detect_keyword_find("flowbits");
	de->kw_flowint = detect_keyword_find("flowint");
	de->kw_ttl = detect_keyword_find("ttl");
	de->kw_itype = detect_keyword_find("itype");
	de->kw_icode = detect_keyword_find("icode");
	de->kw_ip_proto = detect_keyword_find("ip_proto");
	de->kw_flags = detect_keyword_find("flags");
	de->kw_ack = detect_keyword_find("ack");
	de->kw_seq = detect_keyword_find("seq");
	de->kw_window = detect_keyword_find("window");
	de->kw_id = detect_keyword_find("id");
	de->kw_icmp_id = detect_keyword_find("icmp_id");
	de->kw_icmp_seq = detect_keyword_find("icmp_seq");
	de->kw_fragbits = detect_keyword_find("fragbits");
	de->kw_dsize = detect_keyword_find("dsize");
	de->kw_alproto = detect_keyword_find("app-layer-protocol");
	de->kw_threshold = detect_keyword_find("threshold");
	de->kw_dfilter = detect_keyword_find("detection_filter");
	de->kw_tag = detect_keyword_find("tag");
	de->kw_stream_size = detect_keyword_find("stream_size");
	de->kw_xbits = detect_keyword_find("xbits");
	de->kw_iprep = detect_keyword_find("iprep");
}

void detect_engine_dump_left_out(const struct ruleset *rs, FILE *out)
{
	struct detect_engine de;
	memset(&de, 0, sizeof(de));
	find_kws(&de);
	de.m.k = detect_match_kws_get();
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = rs->rules[i];
		struct erule e;
		struct why w;
		if (rule_supported(&de, r, &e, &w))
			continue;
		fprintf(out, "%s:%u sid %u", r->file, r->line, r->sid);
		if (w.kw >= 0)
			fprintf(out, " keyword '%s'", detect_keywords[w.kw].name);
		fprintf(out, ": loaded, not matched: ");
		if (w.buf >= 0)
			fprintf(out, "buffer %s ", detect_buffers[w.buf].name);
		fprintf(out, "%s\n", w.msg);
	}
}

static int rule_priority(const struct ruleset *rs, const struct rule *r)
{
	if (r->priority)
		return r->priority;
	if (r->classtype && rs->classes) {
		int p = detect_class_priority(rs->classes, r->classtype);
		if (p > 0)
			return p;
	}
	return 3;
}

/* The groups (by IP protocol) a packet rule belongs to; their number. */
static int rule_groups(const struct rule *r, int grp[G_MAX])
{
	int ng = 0;
	switch (r->ip_proto) {
	case 0:
		grp[ng++] = G_TCP, grp[ng++] = G_UDP, grp[ng++] = G_ICMP, grp[ng++] = G_OTHER;
		break;
	case IPPROTO_TCP: grp[ng++] = G_TCP; break;
	case IPPROTO_UDP: grp[ng++] = G_UDP; break;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: grp[ng++] = G_ICMP; break;
	default: grp[ng++] = G_OTHER; break;
	}
	return ng;
}

/*
 * The ports a payload rule of TCP or UDP is for in direction dir (the
 * server's: destination to the server, source to the client), or NULL
 * when too many to say.
 */
static const struct port_set *key_ports(const struct rule *r, int dir)
{
	const struct port_set *ps = dir ? &r->sp : &r->dp;
	return !r->bidir && port_count(ps) <= MAX_PORTS_INDEXED ? ps : NULL;
}

static bool dir_possible(const struct rule *r, int dir)
{
	return r->flow_dirs != (dir ? DETECT_TOSERVER : DETECT_TOCLIENT);
}

/* The prefilter databases that hold e's fast pattern fp (into dbs); 0 when it has none. */
static size_t rule_dbs(const struct detect_engine *de, const struct erule *e,
		       struct pf_pattern *fp, unsigned *dbs)
{
	/* only a pattern in a buffer scanned here as it is: a packet's
	 * payload, a transaction's buffers of its protocol, no transform
	 * (the pattern is in the buffer once changed); other rules stay
	 * always evaluated */
	if (!pf_fast_pattern(e->r, fp) ||
	    (e->tx ? detect_appbuf_proto(fp->buf) != e->tx : fp->buf != DBUF_PAYLOAD))
		return 0;
	bool dotprefix = false;
	for (const struct sigmatch *sm = e->r->bufs[fp->buf].head; sm; sm = sm->next) {
		if (!(detect_keywords[sm->kw].flags & KW_TRANSFORM))
			continue;
		if (((const struct detect_transform *)sm->ctx)->kind != TR_DOTPREFIX)
			return 0;
		dotprefix = true;
	}
	/* dotprefix (dns.query; dotprefix; content:".evil.com"): the pattern
	   without its dot is in the buffer as it is */
	if (dotprefix && fp->pat[0] == '.') {
		if (fp->len < 2)
			return 0;
		fp->pat++;
		fp->len--;
	}
	if (e->tx) {
		size_t n = 0;
		for (int st = 0; st < 2; st++)
			if (e->tx == APP_HTTP ? e->tx_dir == st : (e->tx_dirs >> st & 1))
				dbs[n++] = PF_TX(st, fp->buf);
		return n;
	}
	int grp[G_MAX], ng = rule_groups(e->r, grp);
	size_t n = 0;
	for (int j = 0; j < ng; j++) {
		for (int dir = 0; dir < 2; dir++) {
			if (!dir_possible(e->r, dir))
				continue;
			int g = grp[j];
			const struct port_set *ps = g <= G_UDP ? key_ports(e->r, dir) : NULL;
			size_t own = 0, np = g <= G_UDP ? de->npfports[g][dir] : 0;
			for (size_t k = 0; k < np; k++) {
				const struct pf_portdb *pd = &de->pfports[g][dir][k];
				if (!ps || port_set_match(ps, pd->port)) {
					dbs[n++] = pd->db;
					own++;
				}
			}
			/* the database of the other ports, unless every port has its own */
			if (!ps || own < port_count(ps))
				dbs[n++] = PF_PAYLOAD(g, dir);
		}
	}
	return n;
}

/* Give the ports of TCP and UDP that many rules are for databases of their own. */
static int plan_port_dbs(struct detect_engine *de)
{
	uint32_t *cnt = calloc(4 * 65536, sizeof(*cnt));
	struct pf_pattern fp;
	if (!cnt)
		return -1;
	de->npfdbs = PF_DBS;
	for (size_t i = 0; i < de->nrules; i++) {
		const struct erule *e = &de->rules[i];
		int grp[G_MAX], ng = rule_groups(e->r, grp);
		if (e->tx || !pf_fast_pattern(e->r, &fp))
			continue;
		for (int j = 0; j < ng; j++)
			for (int dir = 0; dir < 2 && grp[j] <= G_UDP; dir++) {
				const struct port_set *ps = key_ports(e->r, dir);
				for (size_t k = 0; ps && dir_possible(e->r, dir) && k < ps->nin; k++)
					for (uint32_t port = ps->in[k].lo; port <= ps->in[k].hi; port++)
						cnt[(grp[j] * 2 + dir) << 16 | port]++;
			}
	}
	for (int g = 0; g <= G_UDP; g++)
		for (int dir = 0; dir < 2; dir++)
			for (uint32_t port = 0; port < 65536; port++) {
				if (cnt[(g * 2 + dir) << 16 | port] < PF_PORT_MIN)
					continue;
				size_t n = de->npfports[g][dir];
				struct pf_portdb *pd = realloc(de->pfports[g][dir], (n + 1) * sizeof(*pd));
				if (!pd) {
					free(cnt);
					return -1;
				}
				pd[n] = (struct pf_portdb){ (uint16_t)port, de->npfdbs++ };
				de->pfports[g][dir] = pd;
				de->npfports[g][dir] = n + 1;
			}
	free(cnt);
	return 0;
}

/*
 * Give every rule's fast pattern to the prefilter.  A rule whose pattern
 * it took in every database (e->pre) is left out of the groups: only a
 * scan that finds the pattern makes it a candidate.
 */
static int build_prefilter(struct detect_engine *de, const char *cache_dir)
{
	struct pf_builder *b = NULL;
	struct pf_pattern fp;
	unsigned *dbs = NULL;
	int rc = -1;
	if (plan_port_dbs(de) < 0 || !(b = pf_builder_new(de->npfdbs)) ||
	    !(dbs = malloc(de->npfdbs * sizeof(*dbs))))
		goto out;
	for (size_t i = 0; i < de->nrules; i++) {
		size_t n = rule_dbs(de, &de->rules[i], &fp, dbs);
		for (size_t j = 0; j < n; j++)
			if (pf_builder_add(b, dbs[j], (uint32_t)i, &fp) < 0)
				goto out;
	}
	de->pf = pf_build(b, cache_dir, &de->pfst);
	for (size_t i = 0; i < de->nrules; i++) {
		struct erule *e = &de->rules[i];
		size_t n = rule_dbs(de, e, &fp, dbs);
		e->pre = n > 0;
		for (size_t j = 0; j < n; j++)
			e->pre = e->pre && pf_accepted(de->pf, dbs[j], (uint32_t)i);
	}
	rc = 0;
out:
	pf_builder_free(b);
	free(dbs);
	return rc;
}

struct detect_engine *detect_engine_new(const struct ruleset *rs, const struct detect_opts *o,
					detect_alert_fn alert, void *arg)
{
	struct detect_engine *de = calloc(1, sizeof(*de));
	struct sortkey *keys = NULL;
	size_t nkeys = 0, fbcap = 0, ficap = 0;
	if (!de)
		return NULL;
	de->rs = rs;
	de->alert = alert;
	de->arg = arg;
	find_kws(de);
	if (detect_match_ctx_init(&de->m) < 0)
		goto err;
	de->thr = calloc(THR_SLOTS, sizeof(*de->thr));
	keys = calloc(rs->nrules + 1, sizeof(*keys));
	de->rules = calloc(rs->nrules + 1, sizeof(*de->rules));
	de->cand = calloc(rs->nrules + 1, sizeof(*de->cand));
	de->hits = calloc(rs->nrules + 1, sizeof(*de->hits));
	if (!de->thr || !keys || !de->rules || !de->cand || !de->hits ||
	    detect_appbuf_init(&de->ab) < 0)
		goto err;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = rs->rules[i];
		struct erule probe;
		struct why why;
		if (!rule_supported(de, r, &probe, &why)) {
			de->skipped++;
			continue;
		}
		keys[nkeys++] = (struct sortkey){ r, i, order_action(r->action), fb_class(de, r),
						  rule_priority(rs, r) };
		if (collect_flowbits(de, &r->pkt, &fbcap) < 0 ||
		    collect_flowbits(de, &r->post, &fbcap) < 0 ||
		    collect_flowints(de, &r->pkt, &ficap) < 0 ||
		    collect_flowints(de, &r->post, &ficap) < 0)
			goto err;
	}
	qsort(keys, nkeys, sizeof(*keys), cmp_key);
	sort_names(de->fbnames, &de->nfb);
	sort_names(de->finames, &de->nfi);
	for (size_t i = 0; i < nkeys; i++) {
		const struct rule *r = keys[i].r;
		struct erule *e = &de->rules[i];
		struct why why;
		rule_supported(de, r, e, &why);
		e->r = r;
		e->order = (uint32_t)i;
		/* addresses, ports and reputation only */
		e->ip_only = !e->tx && !r->bufs[DBUF_PAYLOAD].head;
		for (const struct sigmatch *sm = r->pkt.head; sm; sm = sm->next)
			if (sm->kw != de->kw_iprep)
				e->ip_only = false;
		for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next) {
			if (sm->kw == de->kw_flowbits || sm->kw == de->kw_flowint ||
			    sm->kw == de->kw_xbits)
				e->ip_only = false;
			if (sm->kw == de->kw_xbits && !de->xb && !(de->xb = xbits_new()))
				goto err;
		}
		for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next)
			if (sm->kw == de->kw_threshold || sm->kw == de->kw_dfilter)
				e->thr = sm->ctx;
		uint32_t gid = r->gid ? r->gid : 1;
		const struct detect_threshold *cfg = detect_thrcfg_threshold(rs->thrcfg, gid, r->sid);
		if (cfg)
			e->thr = cfg;
		e->sup = detect_thrcfg_suppresses(rs->thrcfg, gid, r->sid);
	}
	de->nrules = nkeys;
	if ((!o || o->prefilter) && build_prefilter(de, o ? o->cache_dir : NULL) < 0)
		goto err;
	for (size_t i = 0; i < nkeys; i++) {
		const struct erule *e = &de->rules[i];
		int grp[G_MAX], ng = rule_groups(e->r, grp);
		de->ntx[e->tx]++;
		if (e->pre)
			continue;
		de->nalways++;
		if (e->tx) {
			uint32_t **l = &de->txr[e->tx];
			if (!*l && !(*l = calloc(rs->nrules, sizeof(**l))))
				goto err;
			(*l)[de->ntxr[e->tx]++] = (uint32_t)i;
			continue;
		}
		for (int j = 0; j < ng; j++)
			if (add_to_group(&de->g[grp[j]], e->r, (uint32_t)i,
					 grp[j] == G_TCP || grp[j] == G_UDP) < 0)
				goto err;
	}
	for (int j = 0; j < G_MAX; j++) {
		if (de->g[j].by_dp.n)
			qsort(de->g[j].by_dp.keys, de->g[j].by_dp.n, sizeof(uint64_t), cmp_u64);
		if (de->g[j].by_sp.n)
			qsort(de->g[j].by_sp.keys, de->g[j].by_sp.n, sizeof(uint64_t), cmp_u64);
		addr_index_build(&de->g[j].by_src);
		addr_index_build(&de->g[j].by_dst);
	}
	free(keys);
	return de;
err:
	free(keys);
	detect_engine_free(de);
	return NULL;
}

void detect_engine_free(struct detect_engine *de)
{
	if (!de)
		return;
	for (int j = 0; j < G_MAX; j++) {
		free(de->g[j].by_dp.keys);
		free(de->g[j].by_sp.keys);
		free(de->g[j].any);
		addr_index_free(&de->g[j].by_src);
		addr_index_free(&de->g[j].by_dst);
	}
	detect_match_ctx_destroy(&de->m);
	pf_free(de->pf);
	for (int g = 0; g <= G_UDP; g++)
		for (int dir = 0; dir < 2; dir++)
			free(de->pfports[g][dir]);
	free(de->hits);
	free(de->fbnames);
	free(de->finames);
	xbits_free(de->xb);
	for (int i = 0; i < APP_PROTO_MAX; i++)
		free(de->txr[i]);
	detect_appbuf_free(&de->ab);
	free(de->thr);
	free(de->rules);
	free(de->cand);
	free(de);
}

void detect_engine_counts(const struct detect_engine *de, size_t *active, size_t *skipped)
{
	*active = de->nrules;
	*skipped = de->skipped;
}

const struct pf_stats *detect_engine_pf_stats(const struct detect_engine *de, size_t *always)
{
	*always = de->nalways;
	return de->pf ? &de->pfst : NULL;
}

/* ---- candidates ---- */

/* The rules of port in pi: a sorted run of orders. */
static const uint64_t *port_run(const struct port_idx *pi, uint16_t port, size_t *n)
{
	size_t lo = 0, hi = pi->n;
	uint64_t key = (uint64_t)port << 32;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (pi->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = lo;
	while (end < pi->n && pi->keys[end] >> 32 == port)
		end++;
	*n = end - lo;
	return pi->keys ? pi->keys + lo : NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Merge sorted runs of rule orders into de->cand, each order once: rules
 * indexed by destination port (d) and source port (s), as port << 32 |
 * order, then plain runs (a, and h: the prefilter's hits).  The count.
 */
static size_t merge(struct detect_engine *de, const uint64_t *d, size_t nd, const uint64_t *s,
		    size_t ns, const uint32_t *a, size_t na, const uint32_t *h, size_t nh)
{
	size_t i = 0, j = 0, k = 0, l = 0, n = 0;
	uint32_t last = UINT32_MAX;
	while (i < nd || j < ns || k < na || l < nh) {
		uint32_t vd = i < nd ? (uint32_t)d[i] : UINT32_MAX;
		uint32_t vs = j < ns ? (uint32_t)s[j] : UINT32_MAX;
		uint32_t va = k < na ? a[k] : UINT32_MAX;
		uint32_t vh = l < nh ? h[l] : UINT32_MAX;
		uint32_t v = OT_MIN(OT_MIN(vd, vs), OT_MIN(va, vh));
		if (v == vd)
			i++;
		else if (v == vs)
			j++;
		else if (v == va)
			k++;
		else
			l++;
		if (v != last && n < de->nrules)
			de->cand[n++] = v;
		last = v;
	}
	return n;
}

/* Scans report rules in the order of the pattern's place: sort them. */
static void sort_hits(struct detect_engine *de, size_t nh)
{
	if (nh > 1)
		qsort(de->hits, nh, sizeof(*de->hits), cmp_u32);
}

/* The payload database a packet is scanned with: its direction and server port's, else its direction's. */
static unsigned payload_db(const struct detect_engine *de, int gi, const struct packet *p)
{
	int dir = p->dir & 1;
	if (gi <= G_UDP) {
		uint16_t port = dir ? p->sport : p->dport;
		const struct pf_portdb *pd = de->pfports[gi][dir];
		size_t lo = 0, hi = de->npfports[gi][dir];
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (pd[mid].port == port)
				return pd[mid].db;
			if (pd[mid].port < port)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return PF_PAYLOAD(gi, dir);
}

static int packet_group(const struct packet *p)
{
	switch (p->proto) {
	case IPPROTO_TCP: return G_TCP;
	case IPPROTO_UDP: return G_UDP;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6: return G_ICMP;
	}
	return G_OTHER;
}

/*
 * The rules a packet must be checked against, in evaluation order: those
 * of its group the prefilter cannot select (by port or address where
 * indexed), and those whose fast pattern one scan of its payload found.
 */
static size_t candidates(struct detect_engine *de, const struct packet *p)
{
	int gi = packet_group(p);
	const struct group *g = &de->g[gi];
	size_t nd = 0, ns = 0, nh = 0;
	const uint64_t *d = NULL, *s = NULL;
	if (gi == G_TCP || gi == G_UDP) {
		d = port_run(&g->by_dp, p->dport, &nd);
		s = port_run(&g->by_sp, p->sport, &ns);
	}
	if (p->payload_len)
		pf_scan(de->pf, payload_db(de, gi, p), p->payload, p->payload_len, de->hits, &nh,
			de->nrules);
	addr_index_lookup(&g->by_src, &p->src, p->ip_ver, de->hits, &nh, de->nrules);
	addr_index_lookup(&g->by_dst, &p->dst, p->ip_ver, de->hits, &nh, de->nrules);
	sort_hits(de, nh);
	return merge(de, d, nd, s, ns, g->any, g->nany, de->hits, nh);
}

/* ---- flowbits ---- */

static int name_id(char *const *names, size_t n, size_t max, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, names[mid]);
		if (!c)
			return mid < max ? (int)mid : -1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int fb_id(const struct detect_engine *de, const char *name)
{
	return name_id(de->fbnames, de->nfb, FLOWBITS_MAX, name);
}

static int fi_id(const struct detect_engine *de, const char *name)
{
	return name_id(de->finames, de->nfi, FLOWINT_MAX, name);
}

/* The value of flowint id on f; false when it has none. */
static bool fi_get(const struct flow *f, int id, uint64_t *v)
{
	const struct flow_detect *fd = f ? f->detect : NULL;
	if (!fd || id < 0 || !(fd->fi_set >> id & 1))
		return false;
	*v = fd->fi[id];
	return true;
}

static bool flowint_test(const struct detect_engine *de, const struct detect_flowint *fi,
			 const struct flow *f)
{
	uint64_t cur, want = fi->value;
	bool set = fi_get(f, fi_id(de, fi->name), &cur);
	if (fi->op == FI_ISSET)
		return set;
	if (fi->op == FI_NOTSET)
		return !set;
	if (!set || (fi->value_var && !fi_get(f, fi_id(de, fi->value_var), &want)))
		return false;
	switch (fi->op) {
	case FI_EQ: return cur == want;
	case FI_NE: return cur != want;
	case FI_LT: return cur < want;
	case FI_LE: return cur <= want;
	case FI_GT: return cur > want;
	case FI_GE: return cur >= want;
	}
	return false;
}

static struct flow_detect *fd_get(struct flow *f);

static void flowint_apply(const struct detect_engine *de, const struct detect_flowint *fi,
			  struct flow *f)
{
	int id = fi_id(de, fi->name);
	uint64_t v = fi->value, cur = 0;
	struct flow_detect *fd;
	if (!f || id < 0 || (fi->value_var && !fi_get(f, fi_id(de, fi->value_var), &v)) ||
	    !(fd = fd_get(f)))
		return;
	fi_get(f, id, &cur);
	if (fi->op == FI_SET)
		cur = v;
	else if (fi->op == FI_ADD)
		cur += v;
	else if (fi->op == FI_SUB)
		cur = cur > v ? cur - v : 0;
	fd->fi[id] = cur;
	fd->fi_set |= 1ull << id;
}

static bool fb_isset(const struct flow *f, int id)
{
	const struct flow_detect *fd = f ? f->detect : NULL;
	return fd && id >= 0 && (fd->bits[id / 32] >> (id % 32) & 1);
}

static bool flowbits_test(const struct detect_engine *de, const struct detect_flowbits *fb,
			  const struct flow *f)
{
	bool want = fb->op == FB_ISSET;
	if (fb->and || fb->nnames == 1) {
		for (size_t i = 0; i < fb->nnames; i++)
			if (fb_isset(f, fb_id(de, fb->names[i])) != want)
				return false;
		return true;
	}
	for (size_t i = 0; i < fb->nnames; i++)
		if (fb_isset(f, fb_id(de, fb->names[i])) == want)
			return true;
	return false;
}

/* The flow's detection state, made on first use (once per flow). */
static struct flow_detect *fd_get(struct flow *f)
{
	if (!f->detect)
		f->detect = calloc(1, sizeof(struct flow_detect));
	return f->detect;
}

static void flowbits_apply(const struct detect_engine *de, const struct detect_flowbits *fb,
			   struct flow *f)
{
	if (!f || (!f->detect && fb->op == FB_UNSET))
		return;
	struct flow_detect *fd = fd_get(f);
	if (!fd)
		return;
	for (size_t i = 0; i < fb->nnames; i++) {
		int id = fb_id(de, fb->names[i]);
		if (id < 0)
			continue;
		uint32_t bit = 1u << (id % 32);
		if (fb->op == FB_SET)
			fd->bits[id / 32] |= bit;
		else if (fb->op == FB_UNSET)
			fd->bits[id / 32] &= ~bit;
		else if (fb->op == FB_TOGGLE)
			fd->bits[id / 32] ^= bit;
	}
}

void detect_flow_free(struct flow *f)
{
	free(f->detect);
	f->detect = NULL;
}

/* ---- packet tests ---- */

static bool bits_match(const struct detect_bits *b, uint8_t v)
{
	v &= (uint8_t)~b->mask;
	if (b->none)
		return v == 0;
	switch (b->mod) {
	case '+': return (v & b->bits) == b->bits;
	case '*': return (v & b->bits) != 0;
	case '!': return (v & b->bits) == 0;
	default: return v == b->bits;
	}
}

static bool is_icmp(const struct packet *p)
{
	return p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
}

/* ICMP echo id (field 0) or sequence (1), when p is an echo request or reply. */
static bool icmp_echo_field(const struct packet *p, int field, uint16_t *v)
{
	if (!is_icmp(p) || !p->l4 || p->l4_len < 8)
		return false;
	bool echo = p->proto == IPPROTO_ICMP ? (p->icmp_type == 0 || p->icmp_type == 8) :
		(p->icmp_type == 128 || p->icmp_type == 129);
	if (!echo)
		return false;
	*v = (uint16_t)(p->l4[4 + 2 * field] << 8 | p->l4[5 + 2 * field]);
	return true;
}

static bool flow_established(const struct packet *p, const struct flow *f)
{
	if (!f)
		return false;
	if (p->proto == IPPROTO_TCP)
		return f->tcp && stream_is_established(f) && !stream_is_closed(f);
	return f->state == FLOW_ESTABLISHED;
}

static bool pkt_match(const struct detect_engine *de, const struct sigmatch *sm,
		      const struct packet *p, const struct flow *f)
{
	int k = sm->kw;
	const struct detect_num *n = sm->ctx;
	uint16_t v16;
	if (k == de->kw_flow) {
		const struct detect_flow *d = sm->ctx;
		if ((d->flags & DFLOW_ESTABLISHED) && !flow_established(p, f))
			return false;
		if ((d->flags & DFLOW_NOT_ESTABLISHED) && flow_established(p, f))
			return false;
		if ((d->flags & (DFLOW_TOSERVER | DFLOW_TOCLIENT)) && !f)
			return false;
		if ((d->flags & DFLOW_TOSERVER) && p->dir != 0)
			return false;
		if ((d->flags & DFLOW_TOCLIENT) && p->dir != 1)
			return false;
		if ((d->flags & DFLOW_ONLY_FRAG) && !p->owned)
			return false;
		if ((d->flags & DFLOW_NO_FRAG) && p->owned)
			return false;
		return true;
	}
	if (k == de->kw_flowbits)
		return flowbits_test(de, sm->ctx, f);
	if (k == de->kw_flowint)
		return flowint_test(de, sm->ctx, f);
	if (k == de->kw_xbits) {
		const struct detect_xbits *x = sm->ctx;
		struct xbits_key xk = { p->src, p->dst, p->ip_ver, x->track };
		bool set = xbits_isset(de->xb, xbits_name(x->name), &xk, (uint64_t)p->ts.tv_sec);
		return x->op == FB_ISSET ? set : !set;
	}
	if (k == de->kw_ttl)
		return p->ip_ver && detect_num_match(n, p->ttl);
	if (k == de->kw_itype)
		return is_icmp(p) && detect_num_match(n, p->icmp_type);
	if (k == de->kw_icode)
		return is_icmp(p) && detect_num_match(n, p->icmp_code);
	if (k == de->kw_ip_proto)
		return p->ip_ver && detect_num_match(n, p->proto);
	if (k == de->kw_flags)
		return p->proto == IPPROTO_TCP && bits_match(sm->ctx, p->tcp_flags);
	if (k == de->kw_ack)
		return p->proto == IPPROTO_TCP && detect_num_match(n, p->tcp_ack);
	if (k == de->kw_seq)
		return p->proto == IPPROTO_TCP && detect_num_match(n, p->tcp_seq);
	if (k == de->kw_window)
		return p->proto == IPPROTO_TCP && detect_num_match(n, p->tcp_win);
	if (k == de->kw_id)
		return p->ip_ver == 4 && detect_num_match(n, p->ip_id);
	if (k == de->kw_icmp_id)
		return icmp_echo_field(p, 0, &v16) && detect_num_match(n, v16);
	if (k == de->kw_icmp_seq)
		return icmp_echo_field(p, 1, &v16) && detect_num_match(n, v16);
	if (k == de->kw_fragbits) {
		if (p->ip_ver != 4 || !p->l3 || p->l3_len < 20)
			return false;
		uint8_t fl = p->l3[6], b = 0;
		if (fl & 0x20)
			b |= 0x01;      /* M */
		if (fl & 0x40)
			b |= 0x02;      /* D */
		if (fl & 0x80)
			b |= 0x04;      /* R */
		return bits_match(sm->ctx, b);
	}
	if (k == de->kw_dsize)
		return detect_num_match(n, p->payload_len);
	if (k == de->kw_stream_size) {
		const struct detect_stream_size *ss = sm->ctx;
		struct detect_num sn = { ss->op, ss->value, 0, 0 };
		uint32_t srv, cli;
		if (!f || !stream_size(f, 1, &srv) || !stream_size(f, 0, &cli))
			return false;
		switch (ss->side) {
		case 0: return detect_num_match(&sn, srv);
		case 1: return detect_num_match(&sn, cli);
		case 2: return detect_num_match(&sn, srv) && detect_num_match(&sn, cli);
		default: return detect_num_match(&sn, srv) || detect_num_match(&sn, cli);
		}
	}
	if (k == de->kw_iprep)
		return detect_iprep_match(de->rs->iprep, sm->ctx, p);
	if (k == de->kw_alproto) {
		const struct detect_app_proto *a = sm->ctx;
		/* a negation only holds once the protocol is known */
		if (!f || (a->negated && f->app_proto == APP_UNKNOWN))
			return false;
		bool is = f->app_proto == a->proto;
		return a->negated ? !is : is;
	}
	return false;
}

/* ---- header ---- */

static bool tuple_match(const struct rule *r, const struct ot_addr *s, uint16_t sp,
			const struct ot_addr *d, uint16_t dp, uint8_t proto, int ip_ver)
{
	bool ports = proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
	if (ports && (!port_set_match(&r->sp, sp) || !port_set_match(&r->dp, dp)))
		return false;
	return addr_set_match(&r->src, s, ip_ver) && addr_set_match(&r->dst, d, ip_ver);
}

static bool header_dir(const struct rule *r, const struct packet *p, bool swap)
{
	if (swap)
		return tuple_match(r, &p->dst, p->dport, &p->src, p->sport, p->proto, p->ip_ver);
	return tuple_match(r, &p->src, p->sport, &p->dst, p->dport, p->proto, p->ip_ver);
}

static bool header_match(const struct rule *r, const struct packet *p, const struct flow *f)
{
	if (r->ip_proto && r->ip_proto != p->proto &&
	    !(r->ip_proto == IPPROTO_ICMP && p->proto == IPPROTO_ICMPV6))
		return false;
	if (r->app_proto && (!f || f->app_proto != r->app_proto))
		return false;
	if (((r->proto_flags & RULE_PROTO_IPV4) && p->ip_ver != 4) ||
	    ((r->proto_flags & RULE_PROTO_IPV6) && p->ip_ver != 6))
		return false;
	if (r->flow_dirs == DETECT_TOSERVER && (!f || p->dir != 0))
		return false;
	if (r->flow_dirs == DETECT_TOCLIENT && (!f || p->dir != 1))
		return false;
	return header_dir(r, p, false) || (r->bidir && header_dir(r, p, true));
}

/* ---- thresholds ---- */

static uint32_t thr_hash(uint32_t rule, const struct ot_addr *a, const struct ot_addr *b)
{
	uint64_t h = 0x9e3779b97f4a7c15ull * (rule + 1);
	for (int i = 0; i < 2; i++) {
		h ^= a->q[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
		h ^= b->q[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	}
	return (uint32_t)(h ^ h >> 32);
}

/* Does the threshold let this match alert? */
static bool thr_pass(struct detect_engine *de, const struct erule *e, const struct packet *p)
{
	const struct detect_threshold *t = e->thr;
	struct ot_addr a = { 0 }, b = { 0 };
	if (t->track == TRACK_SRC || t->track == TRACK_BOTH)
		a = p->src;
	if (t->track == TRACK_DST)
		a = p->dst;
	if (t->track == TRACK_BOTH)
		b = p->dst;
	uint32_t h = thr_hash(e->order, &a, &b);
	uint64_t now = (uint64_t)p->ts.tv_sec;
	struct thr_slot *slot = NULL, *oldest = NULL;
	for (int i = 0; i < THR_PROBE; i++) {
		struct thr_slot *s = &de->thr[(h + (uint32_t)i) % THR_SLOTS];
		if (s->rule == e->order + 1 && !memcmp(&s->a, &a, sizeof(a)) &&
		    !memcmp(&s->b, &b, sizeof(b))) {
			slot = s;
			break;
		}
		if (!oldest || !s->rule || (oldest->rule && s->first < oldest->first))
			oldest = s;
	}
	if (!slot) {
		/* new tracker (evicting the oldest of the probe window when full) */
		slot = oldest;
		slot->rule = e->order + 1;
		slot->a = a;
		slot->b = b;
		slot->first = now;
		slot->count = 0;
	}
	if (now - slot->first >= t->seconds && t->seconds) {
		slot->first = now;
		slot->count = 0;
	}
	slot->count++;
	switch (t->type) {
	case THR_LIMIT:
		return slot->count <= t->count;
	case THR_THRESHOLD:
		if (slot->count >= t->count) {
			slot->count = 0;
			return true;
		}
		return false;
	case THR_BOTH:
		return slot->count == t->count;
	case THR_DETECTION_FILTER:
		return slot->count > t->count;
	}
	return true;
}

/* ---- the packet ---- */

/* ---- HTTP transactions ---- */

/* What a rule does once it matched, before it alerts: flowbits, flowint, xbits. */
static void post_match(struct detect_engine *de, const struct rule *r, const struct packet *p,
		       struct flow *f)
{
	for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next) {
		if (sm->kw == de->kw_flowbits) {
			flowbits_apply(de, sm->ctx, f);
		} else if (sm->kw == de->kw_flowint) {
			flowint_apply(de, sm->ctx, f);
		} else if (sm->kw == de->kw_xbits) {
			const struct detect_xbits *x = sm->ctx;
			static const int op[] = { [FB_SET] = XB_SET, [FB_UNSET] = XB_UNSET,
						  [FB_TOGGLE] = XB_TOGGLE };
			struct xbits_key xk = { p->src, p->dst, p->ip_ver, x->track };
			xbits_apply(de->xb, xbits_name(x->name), &xk, op[x->op], x->expire,
				    (uint64_t)p->ts.tv_sec);
		}
	}
}

/*
 * Rule e matched, from src to dst (for suppressions): its post-match
 * actions, its threshold, then a pass (true: stop inspecting; the flow's
 * inspection too when pass_flow) or an alert.
 */
static bool matched(struct detect_engine *de, const struct erule *e, const struct packet *p,
		    struct flow *f, int dir, const struct detect_tx *t, const struct ot_addr *src,
		    const struct ot_addr *dst, bool pass_flow)
{
	const struct rule *r = e->r;
	post_match(de, r, p, f);
	if (e->thr && !thr_pass(de, e, p))
		return false;
	if (r->action == ACTION_PASS) {
		if (f && pass_flow)
			f->passed = true;
		return true;
	}
	if (r->noalert || (e->sup && detect_thrcfg_suppressed(de->rs->thrcfg, r->gid ? r->gid : 1,
							      r->sid, src, dst, p->ip_ver)))
		return false;
	if (f)
		f->alerted = true;
	if (de->alert)
		de->alert(de->arg, r, p, f, dir, t);
	return false;
}

/* flow, flowbits and app-layer-protocol of a rule checked on side stage of a transaction */
static bool tx_pkt_match(const struct detect_engine *de, const struct erule *e,
			 const struct packet *p, const struct flow *f, int stage)
{
	for (const struct sigmatch *sm = e->r->pkt.head; sm; sm = sm->next) {
		if (sm->kw == de->kw_flow) {
			const struct detect_flow *d = sm->ctx;
			if (d->flags & (DFLOW_NOT_ESTABLISHED | DFLOW_ONLY_FRAG))
				return false;
			if ((d->flags & DFLOW_TOSERVER) && stage != 0)
				return false;
			if ((d->flags & DFLOW_TOCLIENT) && stage != 1)
				return false;
		} else if (!pkt_match(de, sm, p, f)) {
			return false;
		}
	}
	return true;
}

/* base64_data: the rule's list for it on what base64_decode gave, if any. */
static bool base64_match(struct detect_engine *de, const struct rule *r)
{
	const struct sigmatch *sm = r->bufs[DBUF_BASE64_DATA].head;
	return !sm || (de->m.b64_done && detect_match_buffer(&de->m, sm, de->m.b64, de->m.b64_len));
}

/* The side buffer b is read from when side stage is inspected. */
static int buf_side(int b, int stage)
{
	int bd = detect_buffers[b].dirs;
	return bd == DETECT_TOSERVER ? 0 : bd == DETECT_TOCLIENT ? 1 : stage;
}

/* Does some instance of buffer b of t hold the rule's list for it? */
static bool tx_buffer_match(struct detect_engine *de, const struct rule *r,
			    const struct detect_tx *t, int b, int stage)
{
	const uint8_t *ptr;
	uint32_t len;
	for (uint32_t i = 0; detect_appbuf_get(&de->ab, t, b, buf_side(b, stage), i, &ptr, &len);
	     i++)
		if (detect_match_buffer(&de->m, r->bufs[b].head, ptr, len))
			return true;
	return false;
}

/*
 * The rules of t's protocol due on side stage (0 request, 1 response) of
 * t: for HTTP those of that stage, for the others those waiting for this
 * progress of that side.
 */
static void inspect_tx(struct detect_engine *de, const struct packet *p, struct flow *f,
		       const struct detect_tx *t, int stage, unsigned progress)
{
	const struct flow_key *k = &f->key;
	/* the client is the key's a side, unless the app layer found the
	   flow reversed and the flow is not turned around yet */
	const struct ot_addr *ca = f->app_flip ? &k->b : &k->a, *sa = f->app_flip ? &k->a : &k->b;
	uint16_t cp = f->app_flip ? k->bp : k->ap, sp = f->app_flip ? k->ap : k->bp;
	/* the fast patterns of the protocol's buffers on this side, each instance */
	size_t nh = 0;
	detect_appbuf_reset(&de->ab);
	for (int b = 0; de->pf && b < DBUF_MAX; b++) {
		if (detect_appbuf_proto(b) != t->proto || !pf_has(de->pf, PF_TX(stage, b)))
			continue;
		const uint8_t *ptr;
		uint32_t len;
		for (uint32_t i = 0; detect_appbuf_get(&de->ab, t, b, buf_side(b, stage), i, &ptr,
						       &len); i++)
			pf_scan(de->pf, PF_TX(stage, b), ptr, len, de->hits, &nh, de->nrules);
	}
	sort_hits(de, nh);
	size_t n = merge(de, NULL, 0, NULL, 0, de->txr[t->proto], de->ntxr[t->proto], de->hits, nh);
	for (size_t i = 0; i < n; i++) {
		const struct erule *e = &de->rules[de->cand[i]];
		const struct rule *r = e->r;
		if (t->proto == APP_HTTP ? e->tx_dir != stage :
		    !(e->tx_dirs >> stage & 1) || e->tx_progress[stage] != progress)
			continue;
		/* the rule's source is the side that sent what it looks at */
		bool hit = stage ? tuple_match(r, sa, sp, ca, cp, k->proto, k->ip_ver) :
			tuple_match(r, ca, cp, sa, sp, k->proto, k->ip_ver);
		if (!hit && r->bidir)
			hit = stage ? tuple_match(r, ca, cp, sa, sp, k->proto, k->ip_ver) :
				tuple_match(r, sa, sp, ca, cp, k->proto, k->ip_ver);
		if (!hit || !tx_pkt_match(de, e, p, f, stage))
			continue;
		detect_match_rule_start(&de->m);
		if (r->bufs[DBUF_PAYLOAD].head)
			hit = tx_buffer_match(de, r, t, DBUF_PAYLOAD, stage);
		for (int b = 0; b < e->nbufs && hit; b++)
			hit = tx_buffer_match(de, r, t, e->bufs[b], stage);
		if (hit && !base64_match(de, r))
			continue;
		if (hit && matched(de, e, p, f, stage ^ f->app_flip, t, stage ? sa : ca,
				   stage ? ca : sa, true))
			return;
	}
}

/*
 * Each HTTP transaction is inspected once for the rules about its request,
 * when the request is complete, and once for the rules that need the
 * response, when that is complete: a rule alerts at most once a
 * transaction, as in Suricata.
 */
static void detect_http(struct detect_engine *de, const struct packet *p, struct flow *f,
			bool final)
{
	if (!de->ntx[APP_HTTP] || f->parser != &app_parser_http || !f->app_state)
		return;
	struct flow_detect *fd = fd_get(f);
	if (!fd || f->passed)
		return;
	const void *st = f->app_state;
	uint64_t first = http_state_tx_first(st), end = http_state_tx_end(st);
	for (int stage = 0; stage < 2; stage++) {
		/*
		 * As Suricata: a side's rules run on that side's packets (the
		 * request, parsed once the server acknowledged it, is matched
		 * on the client's next packet), unless the transaction is
		 * logged and goes before that packet comes.
		 */
		bool own = final || p->dir == stage;
		uint64_t id = fd->tx_next[stage] < first ? first : fd->tx_next[stage];
		unsigned need = stage ? HTTP_TX_RESPONSE_DONE : HTTP_TX_REQUEST_DONE;
		for (; id < end; id++) {
			const struct http_tx *tx = http_state_tx(st, id);
			if (!tx)
				continue;
			unsigned pr = http_tx_progress(tx);
			if (!final && !(pr & (own ? need | HTTP_TX_LOGGED : HTTP_TX_LOGGED)))
				break;
			struct detect_tx t = { APP_HTTP, (int64_t)id, tx };
			inspect_tx(de, p, f, &t, stage, 0);
			if (f->passed)
				return;
		}
		fd->tx_next[stage] = id;
	}
}

/* A packet made from the flow, for what happens without one (its end). */
static void flow_packet(const struct flow *f, struct packet *p)
{
	memset(p, 0, sizeof(*p));
	p->ts = f->last;
	p->ip_ver = f->key.ip_ver;
	p->proto = f->key.proto;
	p->src = f->key.a;
	p->dst = f->key.b;
	p->sport = f->key.ap;
	p->dport = f->key.bp;
}

void detect_tx(struct detect_engine *de, const struct packet *p, struct flow *f,
	       const struct detect_tx *t, int dir, unsigned progress)
{
	struct packet fp;
	if (!de || t->proto >= APP_PROTO_MAX || !de->ntx[t->proto] || f->passed)
		return;
	if (!p) {
		flow_packet(f, &fp);
		p = &fp;
	}
	inspect_tx(de, p, f, t, dir, progress);
}

void detect_packet(struct detect_engine *de, const struct packet *p, struct flow *f)
{
	if (!de || !de->nrules || !p->ip_ver || (f && f->passed))
		return;
	if (f)
		detect_http(de, p, f, false);
	size_t n = candidates(de, p);
	for (size_t i = 0; i < n; i++) {
		const struct erule *e = &de->rules[de->cand[i]];
		const struct rule *r = e->r;
		const struct sigmatch *pl = r->bufs[DBUF_PAYLOAD].head;
		/* first pass: the packet's own payload, also for TCP (no stream yet) */
		if (pl && !p->payload_len)
			continue;
		/* as in Suricata, IP-only rules look at the first packet each way */
		if (e->ip_only && f && f->pkts[p->dir & 1] > 1)
			continue;
		if (!header_match(r, p, f))
			continue;
		bool ok = true;
		for (const struct sigmatch *sm = r->pkt.head; sm && ok; sm = sm->next)
			ok = pkt_match(de, sm, p, f);
		if (!ok)
			continue;
		if (pl) {
			detect_match_rule_start(&de->m);
			if (!detect_match_buffer(&de->m, pl, p->payload, p->payload_len) ||
			    !base64_match(de, r))
				continue;
		}
		/* a pass rule ends inspection of the packet; an IP-only one
		   (nothing but addresses and ports) that of its flow */
		if (matched(de, e, p, f, p->dir, NULL, &p->src, &p->dst, e->ip_only))
			return;
	}
}

void detect_flow_end(struct detect_engine *de, struct flow *f)
{
	if (!de || !de->ntx[APP_HTTP])
		return;
	/* what the flow's end completed, matched on a packet made from the flow */
	struct packet p;
	flow_packet(f, &p);
	detect_http(de, &p, f, true);
}

/* ---- reloads ---- */

size_t detect_engine_var_names(const struct detect_engine *de, enum detect_var_kind kind,
			       char *const **names)
{
	*names = !de ? NULL : kind == DETECT_VAR_FLOWINT ? de->finames : de->fbnames;
	return !de ? 0 : kind == DETECT_VAR_FLOWINT ? de->nfi : de->nfb;
}

int detect_engine_var_id(const struct detect_engine *de, enum detect_var_kind kind,
			 const char *name)
{
	if (!de)
		return -1;
	return kind == DETECT_VAR_FLOWINT ? fi_id(de, name) : fb_id(de, name);
}

void detect_engine_carry(struct detect_engine *to, struct detect_engine *from)
{
	/* host bits are kept by name: the old table serves the new rules */
	if (to && from && to->xb && from->xb) {
		struct xbits_table *t = to->xb;
		to->xb = from->xb;
		from->xb = t;
	}
}

void detect_flow_remap(struct flow *f, const struct detect_remap *m)
{
	struct flow_detect *fd = f->detect;
	uint32_t bits[FLOWBITS_MAX / 32] = { 0 };
	uint64_t fi[FLOWINT_MAX] = { 0 }, fi_set = 0;
	if (!fd)
		return;
	for (size_t w = 0; w < FLOWBITS_MAX / 32; w++) {
		for (uint32_t b = fd->bits[w]; b; b &= b - 1) {
			size_t id = w * 32 + (size_t)__builtin_ctz(b);
			int to = id < m->n[DETECT_VAR_FLOWBIT] ? m->id[DETECT_VAR_FLOWBIT][id] : -1;
			if (to >= 0)
				bits[to / 32] |= 1u << (to % 32);
		}
	}
	for (uint64_t b = fd->fi_set; b; b &= b - 1) {
		size_t id = (size_t)__builtin_ctzll(b);
		int to = id < m->n[DETECT_VAR_FLOWINT] ? m->id[DETECT_VAR_FLOWINT][id] : -1;
		if (to >= 0) {
			fi[to] = fd->fi[id];
			fi_set |= 1ull << to;
		}
	}
	memcpy(fd->bits, bits, sizeof(bits));
	memcpy(fd->fi, fi, sizeof(fi));
	fd->fi_set = fi_set;
}
