/*
 * eve.c - the common EVE header (see eve.h).
 */
#include "eve.h"

#include <stdio.h>
#include <netinet/in.h>

#include "../lib/util.h"

const char *eve_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP: return "TCP";
	case IPPROTO_UDP: return "UDP";
	case IPPROTO_ICMP: return "ICMP";
	case IPPROTO_ICMPV6: return "IPv6-ICMP";
	case IPPROTO_GRE: return "GRE";
	case IPPROTO_SCTP: return "SCTP";
	case IPPROTO_ESP: return "ESP";
	case IPPROTO_AH: return "AH";
	case IPPROTO_IPIP: return "IPIP";
	case IPPROTO_IPV6: return "IPv6";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static char eve_host[256];
static char eve_tenant[256];

void eve_set_identity(const char *host, const char *tenant)
{
	ot_strlcpy(eve_host, host ? host : "", sizeof(eve_host));
	ot_strlcpy(eve_tenant, tenant ? tenant : "", sizeof(eve_tenant));
}

static void identity(struct jw *w)
{
	if (eve_host[0])
		jw_str(w, "host", eve_host);
	if (eve_tenant[0])
		jw_str(w, "tenant", eve_tenant);
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

void eve_header(struct jw *w, const char *event_type, const struct timeval *tv,
		const struct packet *p, const struct flow *f, int dir)
{
	char ts[40], a1[64], a2[64], pn[8];
	const struct ot_addr *src, *dst;
	uint16_t sp, dp;
	uint8_t proto, ver;
	const uint16_t *vlan;
	int vlan_cnt;

	jw_obj_open(w, NULL);
	if (!tv)
		tv = p ? &p->ts : f ? &f->last : NULL;
	if (tv) {
		ot_time_fmt(tv, ts, sizeof(ts));
		jw_str(w, "timestamp", ts);
	}
	if (f)
		jw_uint(w, "flow_id", f->flow_id);
	if (p && p->pcap_cnt)
		jw_uint(w, "pcap_cnt", p->pcap_cnt);
	jw_str(w, "event_type", event_type);
	identity(w);

	if (f) {
		src = dir ? &f->key.b : &f->key.a;
		dst = dir ? &f->key.a : &f->key.b;
		sp = dir ? f->key.bp : f->key.ap;
		dp = dir ? f->key.ap : f->key.bp;
		proto = f->key.proto;
		ver = f->key.ip_ver;
		vlan = f->key.vlan;
		vlan_cnt = f->vlan_cnt;
	} else if (p && p->ip_ver) {
		src = &p->src;
		dst = &p->dst;
		sp = p->sport;
		dp = p->dport;
		proto = p->proto;
		ver = p->ip_ver;
		vlan = p->vlan;
		vlan_cnt = p->vlan_cnt;
	} else {
		if (p && p->vlan_cnt) {
			jw_arr_open(w, "vlan");
			for (int i = 0; i < p->vlan_cnt; i++)
				jw_uint(w, NULL, p->vlan[i]);
			jw_arr_close(w);
		}
		return;
	}
	if (vlan_cnt) {
		jw_arr_open(w, "vlan");
		for (int i = 0; i < vlan_cnt; i++)
			jw_uint(w, NULL, vlan[i]);
		jw_arr_close(w);
	}
	jw_str(w, "src_ip", ot_addr_str(src, ver, a1, sizeof(a1)));
	if (has_ports(proto))
		jw_uint(w, "src_port", sp);
	jw_str(w, "dest_ip", ot_addr_str(dst, ver, a2, sizeof(a2)));
	if (has_ports(proto))
		jw_uint(w, "dest_port", dp);
	jw_str(w, "proto", eve_proto_name(proto, pn, sizeof(pn)));
	if (p && !has_ports(proto) && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) && p->ip_ver) {
		jw_uint(w, "icmp_type", p->icmp_type);
		jw_uint(w, "icmp_code", p->icmp_code);
	}
	jw_str(w, "pkt_src", "wire/pcap");
}
