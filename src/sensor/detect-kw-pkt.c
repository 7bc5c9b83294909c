/*
 * detect-kw-pkt.c - tests on packet headers (ttl, id, ip_proto, fragbits,
 * flags, seq, ack, window, itype, icode, icmp_id, icmp_seq), on the TCP
 * stream (stream_size), on the flow's protocol (app-layer-protocol), and
 * the alert-rate and logging options (threshold, detection_filter, tag).
 * Numeric tests share one syntax: N, !N, <N, <=N, >N, >=N, N<>M and N-M.
 */
#include <netinet/in.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect-parse.h"
#include "applayer.h"

int kw_ttl_setup(struct rule_parse *rp, const char *value);
int kw_itype_setup(struct rule_parse *rp, const char *value);
int kw_icode_setup(struct rule_parse *rp, const char *value);
int kw_ip_proto_setup(struct rule_parse *rp, const char *value);
int kw_flags_setup(struct rule_parse *rp, const char *value);
int kw_ack_setup(struct rule_parse *rp, const char *value);
int kw_seq_setup(struct rule_parse *rp, const char *value);
int kw_window_setup(struct rule_parse *rp, const char *value);
int kw_id_setup(struct rule_parse *rp, const char *value);
int kw_icmp_id_setup(struct rule_parse *rp, const char *value);
int kw_icmp_seq_setup(struct rule_parse *rp, const char *value);
int kw_fragbits_setup(struct rule_parse *rp, const char *value);
int kw_stream_size_setup(struct rule_parse *rp, const char *value);
int kw_threshold_setup(struct rule_parse *rp, const char *value);
int kw_detection_filter_setup(struct rule_parse *rp, const char *value);
int kw_tag_setup(struct rule_parse *rp, const char *value);
int kw_app_layer_protocol_setup(struct rule_parse *rp, const char *value);

static void skipsp(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

int detect_parse_num(const char *s, uint64_t max, struct detect_num *n)
{
	char buf[64];
	memset(n, 0, sizeof(*n));
	skipsp(&s);
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == ' ' || buf[l - 1] == '\t'))
		buf[--l] = '\0';
	char *p = buf;
	char *range = strstr(p, "<>");
	char *dash = strchr(p, '-');
	if (range || (dash && dash != p)) {
		char *sep = range ? range : dash;
		*sep = '\0';
		if (detect_parse_u64(p, max, &n->a) < 0 ||
		    detect_parse_u64(sep + (range ? 2 : 1), max, &n->b) < 0 || n->a >= n->b)
			return -1;
		n->op = NUM_RANGE;
		return 0;
	}
	if (p[0] == '<' && p[1] == '=') {
		n->op = NUM_LE, p += 2;
	} else if (p[0] == '>' && p[1] == '=') {
		n->op = NUM_GE, p += 2;
	} else if (p[0] == '<') {
		n->op = NUM_LT, p++;
	} else if (p[0] == '>') {
		n->op = NUM_GT, p++;
	} else if (p[0] == '!') {
		n->op = NUM_NE, p++;
	} else if (p[0] == '=') {
		p++;
	}
	return detect_parse_u64(p, max, &n->a);
}

static int pkt_num(struct rule_parse *rp, const char *value, uint64_t max)
{
	return kw_add_num(rp, &rp->r->pkt, value, max, 0);
}

int kw_ttl_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 255); }
int kw_itype_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 255); }
int kw_icode_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 255); }
int kw_ack_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, UINT32_MAX); }
int kw_seq_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, UINT32_MAX); }
int kw_window_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 65535); }
int kw_id_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 65535); }
int kw_icmp_id_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 65535); }
int kw_icmp_seq_setup(struct rule_parse *rp, const char *v) { return pkt_num(rp, v, 65535); }

int kw_ip_proto_setup(struct rule_parse *rp, const char *value)
{
	const char *v = value;
	char prefix[3] = "";
	size_t pl = strspn(v, "<>!");
	if (pl > 1)
		return kw_err(rp, "'%.32s': expected [!<>]protocol", value);
	memcpy(prefix, v, pl);
	v += pl;
	uint64_t num;
	if (detect_parse_u64(v, 255, &num) < 0) {
		/* a name from /etc/protocols, with the common ones built in */
		static const struct { const char *n; int p; } names[] = {
			{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "ipv6", 41 },
			{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "ipv6-icmp", 58 },
			{ "icmpv6", 58 }, { "sctp", 132 }, { "ipip", 4 }, { "pim", 103 },
		};
		int p = -1;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcasecmp(v, names[i].n))
				p = names[i].p;
		if (p < 0)
			return kw_err(rp, "'%.32s' is not an IP protocol", v);
		num = (uint64_t)p;
	}
	char text[16];
	snprintf(text, sizeof(text), "%s%u", prefix, (unsigned)num);
	return pkt_num(rp, text, 255);
}

/* flags / fragbits: [mod]letters[,mask] */
static int bits(struct rule_parse *rp, const char *value, const char *letters, const uint8_t *vals)
{
	struct detect_bits b = { 0 };
	const char *s = value;
	skipsp(&s);
	const char *comma = strchr(s, ',');
	size_t len = comma ? (size_t)(comma - s) : strlen(s);
	bool seen_mod = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t')
			continue;
		if (strchr("+*!", c)) {
			if (seen_mod || b.bits)
				return kw_err(rp, "'%.32s': one modifier (+ * !) only, before the letters",
					      value);
			seen_mod = true;
			b.mod = c;
			continue;
		}
		if (c == '0' && letters[0] == 'F') {
			b.none = true;
			continue;
		}
		const char *p = strchr(letters, c);
		if (!p || !c)
			return kw_err(rp, "'%c' is not one of %s", c, letters);
		b.bits |= vals[p - letters];
	}
	if (!b.bits && !b.none)
		return kw_err(rp, "no flag given");
	if (b.none && b.bits)
		return kw_err(rp, "0 (no flags) with other flags");
	if (comma) {
		for (const char *m = comma + 1; *m; m++) {
			if (*m == ' ' || *m == '\t')
				continue;
			const char *p = strchr(letters, *m);
			if (!p)
				return kw_err(rp, "mask: '%c' is not one of %s", *m, letters);
			b.mask |= vals[p - letters];
		}
	}
	struct detect_bits *d = malloc(sizeof(*d));
	if (!d || rule_add_match(&rp->r->pkt, rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	*d = b;
	return 0;
}

int kw_flags_setup(struct rule_parse *rp, const char *value)
{
	/* 1 and 2 are the old names of C (CWR) and E (ECE) */
	static const uint8_t v[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x80, 0x40, 0x80, 0x40 };
	return bits(rp, value, "FSRPAUCE12", v);
}

int kw_fragbits_setup(struct rule_parse *rp, const char *value)
{
	static const uint8_t v[] = { 0x01, 0x02, 0x04 };
	return bits(rp, value, "MDR", v);
}

int kw_stream_size_setup(struct rule_parse *rp, const char *value)
{
	static const char *const sides[] = { "server", "client", "both", "either" };
	static const char *const ops[] = { "=", "!=", "<", "<=", ">", ">=" };
	char buf[128], *tok[4];
	int n = 0;
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	strcpy(buf, value);
	n = detect_split(buf, ',', tok, 4);
	if (n != 3)
		return kw_err(rp, "expected 'side, operator, bytes'");
	struct detect_stream_size s = { 0 };
	int side = -1, op = -1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(tok[0], sides[i]))
			side = i;
	for (int i = 0; i < 6; i++)
		if (!strcmp(tok[1], ops[i]))
			op = i;
	uint64_t val;
	if (side < 0)
		return kw_err(rp, "'%.16s': expected server, client, both or either", tok[0]);
	if (op < 0)
		return kw_err(rp, "'%.8s': expected =, !=, <, <=, > or >=", tok[1]);
	if (detect_parse_u64(tok[2], UINT32_MAX, &val) < 0)
		return kw_err(rp, "'%.16s' is not a number of bytes", tok[2]);
	s.side = (uint8_t)side;
	s.op = (uint8_t)op;     /* same order as enum num_op */
	s.value = (uint32_t)val;
	struct detect_stream_size *d = malloc(sizeof(*d));
	if (!d || rule_add_match(&rp->r->pkt, rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	*d = s;
	return 0;
}

int detect_threshold_parse(const char *value, bool filter, struct detect_threshold *out,
			   char *err, size_t errlen)
{
	char buf[256];
	if (strlen(value) >= sizeof(buf)) {
		snprintf(err, errlen, "value too long");
		return -1;
	}
	strcpy(buf, value);
	struct detect_threshold t = { .type = filter ? THR_DETECTION_FILTER : 0xff, .track = 0xff };
	bool have_count = false, have_secs = false;
	for (char *save = NULL, *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		while (*o == ' ' || *o == '\t')
			o++;
		char *sp = o + strcspn(o, " \t");
		char *arg = sp + strspn(sp, " \t");
		size_t kl = (size_t)(sp - o);
		uint64_t v;
		if (kl == 4 && !strncmp(o, "type", 4) && !filter) {
			if (!strncmp(arg, "limit", 5) && !arg[5 + strspn(arg + 5, " ")])
				t.type = THR_LIMIT;
			else if (!strncmp(arg, "threshold", 9) && !arg[9 + strspn(arg + 9, " ")])
				t.type = THR_THRESHOLD;
			else if (!strncmp(arg, "both", 4) && !arg[4 + strspn(arg + 4, " ")])
				t.type = THR_BOTH;
			else {
				snprintf(err, errlen, "type '%.16s': expected limit, threshold or both", arg);
				return -1;
			}
		} else if (kl == 5 && !strncmp(o, "track", 5)) {
			static const char *const by[] = { "by_src", "by_dst", "by_rule", "by_both" };
			t.track = 0xff;
			for (int i = 0; i < 4; i++)
				if (!strncmp(arg, by[i], strlen(by[i])) &&
				    !arg[strlen(by[i]) + strspn(arg + strlen(by[i]), " ")])
					t.track = (uint8_t)i;
			if (t.track == 0xff) {
				snprintf(err, errlen,
					 "track '%.16s': expected by_src, by_dst, by_rule or by_both", arg);
				return -1;
			}
		} else if (kl == 5 && !strncmp(o, "count", 5) && detect_parse_u64(arg, UINT32_MAX, &v) == 0) {
			t.count = (uint32_t)v;
			have_count = true;
		} else if (kl == 7 && !strncmp(o, "seconds", 7) && detect_parse_u64(arg, UINT32_MAX, &v) == 0) {
			t.seconds = (uint32_t)v;
			have_secs = true;
		} else {
			snprintf(err, errlen, "'%.32s': expected %strack, count and seconds", o,
				 filter ? "" : "type, ");
			return -1;
		}
	}
	if (t.type == 0xff || t.track == 0xff || !have_count || !have_secs) {
		snprintf(err, errlen, "needs %strack, count and seconds", filter ? "" : "type, ");
		return -1;
	}
	*out = t;
	return 0;
}

static int rate(struct rule_parse *rp, const char *value, bool filter)
{
	for (struct sigmatch *sm = rp->r->post.head; sm; sm = sm->next)
		if (!strcmp(detect_keywords[sm->kw].name, "threshold") ||
		    !strcmp(detect_keywords[sm->kw].name, "detection_filter"))
			return kw_err(rp, "only one threshold or detection_filter per rule");
	struct detect_threshold t;
	if (detect_threshold_parse(value, filter, &t, rp->err, rp->errlen) < 0)
		return -1;
	struct detect_threshold *d = malloc(sizeof(*d));
	if (!d || rule_add_match(&rp->r->post, rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	*d = t;
	return 0;
}

int kw_threshold_setup(struct rule_parse *rp, const char *v) { return rate(rp, v, false); }
int kw_detection_filter_setup(struct rule_parse *rp, const char *v) { return rate(rp, v, true); }

int kw_tag_setup(struct rule_parse *rp, const char *value)
{
	char buf[128], *tok[5];
	int n = 0;
	if (strlen(value) >= sizeof(buf))
		return kw_err(rp, "value too long");
	strcpy(buf, value);
	n = detect_split(buf, ',', tok, 5);
	if (n < 0)
		return kw_err(rp, "expected 'session|host[, count, packets|seconds|bytes[, src|dst]]'");
	struct detect_tag g = { .count = 256, .metric = 0 };
	if (n < 1 || (strcmp(tok[0], "session") && strcmp(tok[0], "host")))
		return kw_err(rp, "expected session or host first");
	g.session = tok[0][0] == 's';
	if (n == 2 || n > 4)
		return kw_err(rp, "expected 'session|host[, count, packets|seconds|bytes[, src|dst]]'");
	if (n >= 3) {
		uint64_t c;
		if (detect_parse_u64(tok[1], UINT32_MAX, &c) < 0)
			return kw_err(rp, "'%.16s' is not a count", tok[1]);
		g.count = (uint32_t)c;
		if (!strcmp(tok[2], "packets"))
			g.metric = 0;
		else if (!strcmp(tok[2], "seconds"))
			g.metric = 1;
		else if (!strcmp(tok[2], "bytes"))
			g.metric = 2;
		else
			return kw_err(rp, "'%.16s': expected packets, seconds or bytes", tok[2]);
	}
	if (n == 4) {
		if (g.session)
			return kw_err(rp, "src or dst only with host");
		if (!strcmp(tok[3], "src"))
			g.dir = 0;
		else if (!strcmp(tok[3], "dst"))
			g.dir = 1;
		else
			return kw_err(rp, "'%.16s': expected src or dst", tok[3]);
	}
	struct detect_tag *d = malloc(sizeof(*d));
	if (!d || rule_add_match(&rp->r->post, rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	*d = g;
	return 0;
}

int kw_app_layer_protocol_setup(struct rule_parse *rp, const char *value)
{
	char v[64];
	bool neg = false;
	const char *s = value;
	if (*s == '!') {
		neg = true;
		s++;
	}
	if (strlen(s) >= sizeof(v))
		return kw_err(rp, "value too long");
	strcpy(v, s);
	/* ",exact", ",final", ",original", ",to_server", ",to_client": which
	 * protocol of the flow to look at; all are the one detected here */
	char *mod = strchr(v, ',');
	if (mod) {
		*mod++ = '\0';
		while (*mod == ' ')
			mod++;
		if (strcmp(mod, "exact") && strcmp(mod, "final") && strcmp(mod, "original") &&
		    strcmp(mod, "to_server") && strcmp(mod, "to_client") && strcmp(mod, "either"))
			return kw_err(rp, "'%.16s': expected exact, final, original, to_server or to_client", mod);
	}
	if (!strcasecmp(v, "http1"))
		strcpy(v, "http");
	int p = -1;
	for (int i = 0; i < APP_PROTO_MAX; i++) {
		const char *nm = app_proto_name((enum app_proto)i);
		if (nm && !strcasecmp(nm, v))
			p = i;
	}
	if (!strcasecmp(v, "unknown"))
		p = APP_UNKNOWN;
	else if (!strcasecmp(v, "failed"))
		p = APP_FAILED;
	if (p < 0)
		return kw_err(rp, "protocol %.32s is not supported", v);
	struct detect_app_proto *d = malloc(sizeof(*d));
	if (!d || rule_add_match(&rp->r->pkt, rp->kw, d) < 0) {
		free(d);
		return kw_err(rp, "out of memory");
	}
	d->proto = (uint8_t)p;
	d->negated = neg;
	return 0;
}
