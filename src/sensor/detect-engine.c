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
 * the packet list (flow, ttl, flags, dsize, flowbits:isset, flowint...),
 * then the payload list through detect-match.c.  A matching rule runs its
 * post-match list (flowbits:set/unset/toggle, flowint:+/-/=), passes its
 * threshold or detection_filter, and raises an alert unless it is noalert.
 * A matching pass rule ends the packet's inspection (an IP-only one, the
 * flow's).
 *
 * Rules on HTTP/1 buffers (http.uri, http.host, file_data...) are matched
 * on the parser's transactions (app-http.h), not on packets: once per
 * transaction when its request is complete (request-side rules) or its
 * response is (rules needing the response), and at the end of the flow
 * for what that completed.  The other app-layer buffers (dns.query,
 * tls.sni, ja3...), transforms and rules mixing payload and app-layer
 * buffers are not matched yet: those rules are left out and counted.
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

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "app-http.h"
#include "detect-addrindex.h"
#include "detect-parse.h"
#include "detect-prefilter.h"
#include "stream.h"
#include "../lib/util.h"

#define MAX_PORTS_INDEXED 64    /* a port set with more values is not indexed */
#define FLOWBITS_MAX 1024       /* distinct flowbit names; more are ignored */
#define FLOWINT_MAX 64          /* distinct flowint names; more never match */
#define THR_SLOTS 4096          /* threshold / detection_filter trackers */
#define THR_PROBE 8
#define HDR_BUF (64 * 1024)     /* joined HTTP headers (http.header) */
#define URI_BUF (16 * 1024)     /* normalised URI (http.uri) */
#define RULE_BUFS_MAX 8         /* app-layer buffers one rule may use */

enum { G_TCP = 0, G_UDP, G_ICMP, G_OTHER, G_MAX };

/*
 * Prefilter databases: the payload of each group and direction (a rule
 * for flows to the server only is in the first), then each HTTP buffer of
 * each side, then, for TCP and UDP, the payload of a direction and one
 * server port (destination to the server, source to the client) that many
 * rules are for: those rules and the ones for any port.
 */
#define PF_PAYLOAD(g, dir) ((unsigned)(g) * 2 + (unsigned)(dir))
#define PF_HTTP(stage, b) (PF_PAYLOAD(G_MAX, 0) + (unsigned)(stage) * DBUF_MAX + (unsigned)(b))
#define PF_DBS PF_HTTP(2, 0)
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
	bool tx;                    /* matched on HTTP transactions */
	bool ip_only;               /* addresses and ports only: checked on the
				       first packet of each direction of a flow */
	bool pre;                   /* evaluated only when the prefilter found its fast pattern */
	uint8_t tx_dir;             /* 0: when the request is done, 1: the response */
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
	bool passed;                /* a pass rule matched: no more inspection */
	uint64_t fi_set;            /* flowints that have a value */
	uint64_t fi[FLOWINT_MAX];
};

struct detect_engine {
	const struct ruleset *rs;
	struct erule *rules;        /* in evaluation order */
	size_t nrules, skipped;
	struct group g[G_MAX];
	uint32_t *http;             /* orders of the HTTP transaction rules the prefilter does not select */
	size_t nhttp, ntx;          /* ntx: all HTTP transaction rules */
	uint8_t *hbuf;              /* scratch: joined headers */
	uint8_t *ubuf;              /* scratch: normalised URI */
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
	detect_alert_fn alert;
	void *arg;
	/* keyword indexes */
	int kw_flow, kw_flowbits, kw_flowint, kw_ttl, kw_itype, kw_icode, kw_ip_proto, kw_flags, kw_ack,
	    kw_seq, kw_window, kw_id, kw_icmp_id, kw_icmp_seq, kw_fragbits, kw_dsize,
	    kw_alproto, kw_threshold, kw_dfilter, kw_tag;
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
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 64;
	void *k = realloc(arr, nc * elem);
	if (k)
		*cap = nc;
	return k;
}

static int push_u64(struct port_idx *pi, uint64_t v)
{
	uint64_t *k = grow(pi->keys, &pi->cap, pi->n, sizeof(*k));
	if (!k)
		return -1;
	pi->keys = k;
	pi->keys[pi->n++] = v;
	return 0;
}

static int push_any(struct group *g, uint32_t v)
{
	uint32_t *k = grow(g->any, &g->capany, g->nany, sizeof(*k));
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

/* The HTTP/1 buffers transactions give (detect_http_buffer). */
static bool http_buffer_known(int b)
{
	switch (b) {
	case DBUF_HTTP_URI: case DBUF_HTTP_URI_RAW: case DBUF_HTTP_METHOD: case DBUF_HTTP_HOST:
	case DBUF_HTTP_HOST_RAW: case DBUF_HTTP_USER_AGENT: case DBUF_HTTP_HEADER:
	case DBUF_HTTP_HEADER_RAW: case DBUF_HTTP_HEADER_NAMES: case DBUF_HTTP_COOKIE:
	case DBUF_HTTP_REQUEST_BODY: case DBUF_HTTP_REQUEST_LINE: case DBUF_HTTP_PROTOCOL:
	case DBUF_HTTP_REFERER: case DBUF_HTTP_ACCEPT: case DBUF_HTTP_ACCEPT_ENC:
	case DBUF_HTTP_ACCEPT_LANG: case DBUF_HTTP_CONNECTION: case DBUF_HTTP_CONTENT_TYPE:
	case DBUF_HTTP_CONTENT_LEN: case DBUF_HTTP_STAT_CODE: case DBUF_HTTP_STAT_MSG:
	case DBUF_HTTP_RESPONSE_LINE: case DBUF_HTTP_RESPONSE_BODY: case DBUF_HTTP_SERVER:
	case DBUF_HTTP_LOCATION:
		return true;
	}
	return false;
}

/*
 * Can the engine check every match of r, and how: 1 on packets, 2 on HTTP
 * transactions (e gets its buffers and direction), 0 not yet.
 */
static int rule_supported(const struct detect_engine *de, const struct rule *r, struct erule *e)
{
	bool tx = false, resp = false;
	e->nbufs = 0;
	for (int b = 0; b < DBUF_MAX; b++) {
		if (b == DBUF_PAYLOAD || !r->bufs[b].head)
			continue;
		if (!http_buffer_known(b) || e->nbufs == RULE_BUFS_MAX ||
		    !detect_match_supported(r->bufs[b].head))
			return 0;
		e->bufs[e->nbufs++] = (uint8_t)b;
		tx = true;
		if (detect_buffers[b].dirs == DETECT_TOCLIENT)
			resp = true;
	}
	if (tx) {
		/* app-layer rules: HTTP/1 transactions over TCP, no packet payload */
		if (r->bufs[DBUF_PAYLOAD].head || (r->app_proto && r->app_proto != APP_HTTP) ||
		    (r->ip_proto && r->ip_proto != IPPROTO_TCP))
			return 0;
		if (resp && r->flow_dirs == DETECT_TOSERVER)
			return 0;
		e->tx = true;
		e->tx_dir = resp || r->flow_dirs == DETECT_TOCLIENT;
		for (const struct sigmatch *sm = r->pkt.head; sm; sm = sm->next)
			if (sm->kw != de->kw_flow && sm->kw != de->kw_flowbits &&
			    sm->kw != de->kw_flowint && sm->kw != de->kw_alproto)
				return 0;
	} else if (!detect_match_supported(r->bufs[DBUF_PAYLOAD].head)) {
		return 0;
	}
	for (const struct sigmatch *sm = r->pkt.head; sm; sm = sm->next) {
		int k = sm->kw;
		if (k != de->kw_flow && k != de->kw_flowbits && k != de->kw_flowint && k != de->kw_ttl &&
		    k != de->kw_itype && k != de->kw_icode && k != de->kw_ip_proto &&
		    k != de->kw_flags && k != de->kw_ack && k != de->kw_seq && k != de->kw_window &&
		    k != de->kw_id && k != de->kw_icmp_id && k != de->kw_icmp_seq &&
		    k != de->kw_fragbits && k != de->kw_dsize && k != de->kw_alproto)
			return 0;
	}
	for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next) {
		int k = sm->kw;
		if (k != de->kw_flowbits && k != de->kw_flowint && k != de->kw_threshold &&
		    k != de->kw_dfilter && k != de->kw_tag)
			return 0;
	}
	return tx ? 2 : 1;
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
	/* only a pattern in a buffer scanned here: a packet's payload, a
	 * transaction's HTTP buffers; other rules stay always evaluated */
	if (!pf_fast_pattern(e->r, fp) ||
	    (e->tx ? !http_buffer_known(fp->buf) : fp->buf != DBUF_PAYLOAD))
		return 0;
	if (e->tx) {
		dbs[0] = PF_HTTP(e->tx_dir, fp->buf);
		return 1;
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
	de->http = calloc(rs->nrules + 1, sizeof(*de->http));
	de->hbuf = malloc(HDR_BUF);
	de->ubuf = malloc(URI_BUF);
	if (!de->thr || !keys || !de->rules || !de->cand || !de->hits || !de->http || !de->hbuf ||
	    !de->ubuf)
		goto err;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct rule *r = rs->rules[i];
		struct erule probe;
		if (!rule_supported(de, r, &probe)) {
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
		rule_supported(de, r, e);
		e->r = r;
		e->order = (uint32_t)i;
		e->ip_only = !e->tx && !r->bufs[DBUF_PAYLOAD].head && !r->pkt.head;
		for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next)
			if (sm->kw == de->kw_flowbits || sm->kw == de->kw_flowint)
				e->ip_only = false;
		for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next)
			if (sm->kw == de->kw_threshold || sm->kw == de->kw_dfilter)
				e->thr = sm->ctx;
	}
	de->nrules = nkeys;
	if ((!o || o->prefilter) && build_prefilter(de, o ? o->cache_dir : NULL) < 0)
		goto err;
	for (size_t i = 0; i < nkeys; i++) {
		const struct erule *e = &de->rules[i];
		int grp[G_MAX], ng = rule_groups(e->r, grp);
		de->ntx += e->tx;
		if (e->pre)
			continue;
		de->nalways++;
		if (e->tx) {
			de->http[de->nhttp++] = (uint32_t)i;
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
	free(de->http);
	free(de->hbuf);
	free(de->ubuf);
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

static struct http_bytes hdr(const struct http_tx *tx, int dir, const char *name)
{
	return http_tx_header(tx, dir, name);
}

/* Headers of one side joined as "Name: value\r\n"..., or their names as
 * "\r\nName\r\nName\r\n\r\n", into the engine's scratch buffer. */
static struct http_bytes joined(struct detect_engine *de, const struct http_tx *tx, int dir,
				bool names)
{
	struct http_bytes out = { de->hbuf, 0 };
	size_t n = http_tx_header_count(tx, dir), len = 0;
#define PUT(p, l) do { size_t l_ = (l); if (len + l_ > HDR_BUF) goto full; \
		memcpy(de->hbuf + len, (p), l_); len += l_; } while (0)
	if (names)
		PUT("\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		struct http_bytes k, v;
		if (!http_tx_header_at(tx, dir, i, &k, &v) || !k.ptr)
			continue;
		PUT(k.ptr, k.len);
		if (!names) {
			PUT(": ", 2);
			if (v.ptr)
				PUT(v.ptr, v.len);
		}
		PUT("\r\n", 2);
	}
	if (names)
		PUT("\r\n", 2);
#undef PUT
full:
	out.len = len;
	return out;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * http.uri is the normalised URI, as libhtp gives it to Suricata: an
 * absolute URI ("http://host/x") reduced to its path and query, and %XX
 * escapes of the path decoded.  Into the engine's scratch buffer.
 */
static struct http_bytes uri_normalised(struct detect_engine *de, struct http_bytes raw)
{
	struct http_bytes out = { de->ubuf, 0 };
	if (!raw.ptr || raw.len > URI_BUF)
		return raw;
	const uint8_t *u = raw.ptr;
	size_t n = raw.len, i = 0, len = 0;
	/* scheme://authority */
	size_t c = 0;
	while (c < n && c < 16 && u[c] != ':' && u[c] != '/' && u[c] != '?')
		c++;
	if (c > 0 && c + 2 < n && u[c] == ':' && u[c + 1] == '/' && u[c + 2] == '/') {
		i = c + 3;
		while (i < n && u[i] != '/' && u[i] != '?')
			i++;
		if (i == n) {
			de->ubuf[0] = '/';
			out.len = 1;
			return out;
		}
	}
	bool query = false;
	while (i < n) {
		uint8_t ch = u[i];
		if (ch == '?')
			query = true;
		if (!query && ch == '%' && i + 2 < n && hexval(u[i + 1]) >= 0 &&
		    hexval(u[i + 2]) >= 0) {
			de->ubuf[len++] = (uint8_t)(hexval(u[i + 1]) << 4 | hexval(u[i + 2]));
			i += 3;
			continue;
		}
		de->ubuf[len++] = ch;
		i++;
	}
	out.len = len;
	return out;
}

/* The bytes of buffer b of tx (dir: the side for buffers of both sides). */
static struct http_bytes http_buffer(struct detect_engine *de, const struct http_tx *tx, int b,
				     int dir)
{
	struct http_bytes none = { NULL, 0 };
	switch (b) {
	case DBUF_HTTP_URI: return uri_normalised(de, http_tx_field(tx, HTTP_F_URI));
	case DBUF_HTTP_URI_RAW: return http_tx_field(tx, HTTP_F_URI);
	case DBUF_HTTP_METHOD: return http_tx_field(tx, HTTP_F_METHOD);
	case DBUF_HTTP_HOST: return http_tx_field(tx, HTTP_F_HOST);
	case DBUF_HTTP_HOST_RAW: return hdr(tx, 0, "Host");
	case DBUF_HTTP_USER_AGENT: return http_tx_field(tx, HTTP_F_USER_AGENT);
	case DBUF_HTTP_REQUEST_BODY: return http_tx_field(tx, HTTP_F_REQUEST_BODY);
	case DBUF_HTTP_REQUEST_LINE: return http_tx_field(tx, HTTP_F_REQUEST_LINE);
	case DBUF_HTTP_PROTOCOL:
		return http_tx_field(tx, dir ? HTTP_F_RESPONSE_PROTOCOL : HTTP_F_PROTOCOL);
	case DBUF_HTTP_RESPONSE_LINE: return http_tx_field(tx, HTTP_F_RESPONSE_LINE);
	case DBUF_HTTP_STAT_CODE: return http_tx_field(tx, HTTP_F_STATUS);
	case DBUF_HTTP_STAT_MSG: return http_tx_field(tx, HTTP_F_STATUS_MSG);
	case DBUF_HTTP_RESPONSE_BODY: return http_tx_field(tx, HTTP_F_RESPONSE_BODY);
	case DBUF_HTTP_COOKIE: return hdr(tx, dir, dir ? "Set-Cookie" : "Cookie");
	case DBUF_HTTP_REFERER: return hdr(tx, 0, "Referer");
	case DBUF_HTTP_ACCEPT: return hdr(tx, 0, "Accept");
	case DBUF_HTTP_ACCEPT_ENC: return hdr(tx, 0, "Accept-Encoding");
	case DBUF_HTTP_ACCEPT_LANG: return hdr(tx, 0, "Accept-Language");
	case DBUF_HTTP_CONNECTION: return hdr(tx, dir, "Connection");
	case DBUF_HTTP_CONTENT_TYPE: return hdr(tx, dir, "Content-Type");
	case DBUF_HTTP_CONTENT_LEN: return hdr(tx, dir, "Content-Length");
	case DBUF_HTTP_SERVER: return hdr(tx, 1, "Server");
	case DBUF_HTTP_LOCATION: return hdr(tx, 1, "Location");
	case DBUF_HTTP_HEADER: case DBUF_HTTP_HEADER_RAW: return joined(de, tx, dir, false);
	case DBUF_HTTP_HEADER_NAMES: return joined(de, tx, dir, true);
	}
	return none;
}

/* flow, flowbits and app-layer-protocol of a rule checked on a transaction */
static bool tx_pkt_match(const struct detect_engine *de, const struct erule *e,
			 const struct packet *p, const struct flow *f)
{
	for (const struct sigmatch *sm = e->r->pkt.head; sm; sm = sm->next) {
		if (sm->kw == de->kw_flow) {
			const struct detect_flow *d = sm->ctx;
			if (d->flags & (DFLOW_NOT_ESTABLISHED | DFLOW_ONLY_FRAG))
				return false;
			if ((d->flags & DFLOW_TOSERVER) && e->tx_dir != 0)
				return false;
			if ((d->flags & DFLOW_TOCLIENT) && e->tx_dir != 1)
				return false;
		} else if (!pkt_match(de, sm, p, f)) {
			return false;
		}
	}
	return true;
}

/* What a rule does once it matched, before it alerts: flowbits, flowint. */
static void post_match(struct detect_engine *de, const struct rule *r, struct flow *f)
{
	for (const struct sigmatch *sm = r->post.head; sm; sm = sm->next)
		if (sm->kw == de->kw_flowbits)
			flowbits_apply(de, sm->ctx, f);
		else if (sm->kw == de->kw_flowint)
			flowint_apply(de, sm->ctx, f);
}

static void inspect_tx(struct detect_engine *de, const struct packet *p, struct flow *f,
		       const struct http_tx *tx, int stage)
{
	const struct flow_key *k = &f->key;
	size_t nh = 0;
	for (int b = 0; b < DBUF_MAX; b++) {
		if (!pf_has(de->pf, PF_HTTP(stage, b)))
			continue;
		struct http_bytes v = http_buffer(de, tx, b, stage);
		if (v.ptr && v.len <= UINT32_MAX)
			pf_scan(de->pf, PF_HTTP(stage, b), v.ptr, (uint32_t)v.len, de->hits, &nh,
				de->nrules);
	}
	sort_hits(de, nh);
	size_t n = merge(de, NULL, 0, NULL, 0, de->http, de->nhttp, de->hits, nh);
	for (size_t i = 0; i < n; i++) {
		const struct erule *e = &de->rules[de->cand[i]];
		const struct rule *r = e->r;
		if (e->tx_dir != stage)
			continue;
		/* the rule's source is the side that sent what it looks at */
		bool hit = stage ?
			tuple_match(r, &k->b, k->bp, &k->a, k->ap, k->proto, k->ip_ver) :
			tuple_match(r, &k->a, k->ap, &k->b, k->bp, k->proto, k->ip_ver);
		if (!hit && r->bidir)
			hit = stage ?
				tuple_match(r, &k->a, k->ap, &k->b, k->bp, k->proto, k->ip_ver) :
				tuple_match(r, &k->b, k->bp, &k->a, k->ap, k->proto, k->ip_ver);
		if (!hit || !tx_pkt_match(de, e, p, f))
			continue;
		memset(de->m.vars, 0, sizeof(de->m.vars));
		for (int b = 0; b < e->nbufs && hit; b++) {
			struct http_bytes v = http_buffer(de, tx, e->bufs[b], stage);
			hit = v.ptr && v.len <= UINT32_MAX &&
				detect_match_buffer(&de->m, r->bufs[e->bufs[b]].head, v.ptr,
						    (uint32_t)v.len);
		}
		if (!hit)
			continue;
		post_match(de, r, f);
		if (e->thr && !thr_pass(de, e, p))
			continue;
		if (r->action == ACTION_PASS) {
			struct flow_detect *fd = fd_get(f);
			if (fd)
				fd->passed = true;
			return;
		}
		if (r->noalert)
			continue;
		f->alerted = true;
		if (de->alert)
			de->alert(de->arg, r, p, f, stage);
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
	if (!de->ntx || f->parser != &app_parser_http || !f->app_state)
		return;
	struct flow_detect *fd = fd_get(f);
	if (!fd || fd->passed)
		return;
	const void *st = f->app_state;
	uint64_t first = http_state_tx_first(st), end = http_state_tx_end(st);
	for (int stage = 0; stage < 2; stage++) {
		uint64_t id = fd->tx_next[stage] < first ? first : fd->tx_next[stage];
		unsigned need = stage ? HTTP_TX_RESPONSE_DONE : HTTP_TX_REQUEST_DONE;
		for (; id < end; id++) {
			const struct http_tx *tx = http_state_tx(st, id);
			if (!tx)
				continue;
			if (!final && !(http_tx_progress(tx) & (need | HTTP_TX_LOGGED)))
				break;
			inspect_tx(de, p, f, tx, stage);
			if (fd->passed)
				return;
		}
		fd->tx_next[stage] = id;
	}
}

bool detect_flow_passed(const struct flow *f)
{
	const struct flow_detect *fd = f->detect;
	return fd && fd->passed;
}

void detect_packet(struct detect_engine *de, const struct packet *p, struct flow *f)
{
	if (!de || !de->nrules || !p->ip_ver || (f && detect_flow_passed(f)))
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
			memset(de->m.vars, 0, sizeof(de->m.vars));
			if (!detect_match_buffer(&de->m, pl, p->payload, p->payload_len))
				continue;
		}
		post_match(de, r, f);
		if (e->thr && !thr_pass(de, e, p))
			continue;
		if (r->action == ACTION_PASS) {
			/*
			 * A pass rule ends inspection of the packet; an IP-only
			 * one (nothing but addresses and ports) that of its flow.
			 */
			struct flow_detect *fd = f && e->ip_only ? fd_get(f) : NULL;
			if (fd)
				fd->passed = true;
			return;
		}
		if (r->noalert)
			continue;
		if (f)
			f->alerted = true;
		if (de->alert)
			de->alert(de->arg, r, p, f, p->dir);
	}
}

void detect_flow_end(struct detect_engine *de, struct flow *f)
{
	if (!de || !de->ntx)
		return;
	/* what the flow's end completed, matched on a packet made from the flow */
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.ts = f->last;
	p.ip_ver = f->key.ip_ver;
	p.proto = f->key.proto;
	p.src = f->key.a;
	p.dst = f->key.b;
	p.sport = f->key.ap;
	p.dport = f->key.bp;
	detect_http(de, &p, f, true);
}
