/*
 * log-alert.c - the EVE `alert` event, as Suricata writes it.
 *
 * The common header (eve_header) with the 5-tuple in the direction of the
 * packet that matched, then the alert object (action, gid, signature_id,
 * rev, signature, category from classification.config, severity from the
 * priority, metadata as an object of arrays of values), the flow's app
 * protocol when known, the protocol's own object when a transaction
 * matched ("tls": {...}, written by the parser, as in its own event) with
 * the transaction's tx_id, the carrier of a tunnelled packet ("tunnel"),
 * and the flow's counters so far.  The payload
 * is not written (Suricata does not by default).
 */
#include "detect-engine.h"

#include <string.h>

#include "detect-parse.h"
#include "eve.h"
#include "log-flow.h"
#include "../lib/json.h"
#include "../lib/util.h"

#define META_MAX 64             /* key/value pairs written from metadata */
#define META_TEXT 2048          /* longest metadata handled */

struct meta_pair {
	const char *key, *value;
};

/* A key is written as it is: allow only plain characters in it. */
static bool key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (*k == '"' || *k == '\\' || (unsigned char)*k < 0x20 || (unsigned char)*k >= 0x7f)
			return false;
	return true;
}

/* "key value, key value" -> {"key":["value",...],...}, keys in first-seen order. */
static void write_metadata(struct jw *w, const char *meta)
{
	char text[META_TEXT];
	struct meta_pair pairs[META_MAX];
	size_t n = 0;
	if (!meta || strlen(meta) >= sizeof(text))
		return;
	strcpy(text, meta);
	for (char *save = NULL, *t = strtok_r(text, ",", &save); t && n < META_MAX;
	     t = strtok_r(NULL, ",", &save)) {
		t = detect_trim(t);
		char *sp = t + strcspn(t, " \t");
		char *v = sp;
		if (*sp) {
			*sp = '\0';
			v = detect_trim(sp + 1);
		}
		if (!key_ok(t))
			continue;
		pairs[n++] = (struct meta_pair){ t, v };
	}
	if (!n)
		return;
	jw_obj_open(w, "metadata");
	for (size_t i = 0; i < n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(pairs[j].key, pairs[i].key);
		if (seen)
			continue;
		jw_arr_open(w, pairs[i].key);
		for (size_t j = i; j < n; j++)
			if (!strcmp(pairs[j].key, pairs[i].key))
				jw_str(w, NULL, pairs[j].value);
		jw_arr_close(w);
	}
	jw_obj_close(w);
}

void log_alert(struct jw *w, const struct ruleset *rs, const struct rule *r,
	       const struct packet *p, const struct flow *f, int dir,
	       const struct detect_tx *t)
{
	int prio = r->priority;
	const char *cat = NULL;
	if (r->classtype && rs && rs->classes) {
		cat = detect_class_desc(rs->classes, r->classtype);
		if (!prio)
			prio = detect_class_priority(rs->classes, r->classtype);
	}
	if (prio <= 0)
		prio = 3;

	jw_reset(w);
	eve_header(w, "alert", NULL, p, f, f ? dir : 0);
	if (p->depth) {
		/* the carrier of a tunnelled packet, as Suricata writes it */
		char ab[64], pn[16];
		jw_obj_open(w, "tunnel");
		jw_str(w, "src_ip", ot_addr_str(&p->outer.src, p->outer.ip_ver, ab, sizeof(ab)));
		jw_uint(w, "src_port", p->outer.sport);
		jw_str(w, "dest_ip", ot_addr_str(&p->outer.dst, p->outer.ip_ver, ab, sizeof(ab)));
		jw_uint(w, "dest_port", p->outer.dport);
		jw_str(w, "proto", eve_proto_name(p->outer.proto, pn, sizeof(pn)));
		jw_uint(w, "depth", 0);
		jw_obj_close(w);
	}
	if (t)
		jw_int(w, "tx_id", t->id);
	if (f)
		jw_str(w, "direction", dir ? "to_client" : "to_server");
	jw_obj_open(w, "alert");
	jw_str(w, "action", "allowed");
	jw_uint(w, "gid", r->gid ? r->gid : 1);
	jw_uint(w, "signature_id", r->sid);
	jw_uint(w, "rev", r->rev);
	jw_str(w, "signature", r->msg ? r->msg : "");
	jw_str(w, "category", cat ? cat : "");
	jw_int(w, "severity", prio);
	write_metadata(w, r->metadata);
	jw_obj_close(w);
	if (f && f->app_proto > APP_FAILED)
		jw_str(w, "app_proto", app_proto_name(f->app_proto));
	const struct app_parser *ap = t ? app_parser_by_id(t->proto) : NULL;
	if (ap && ap->log_tx)
		ap->log_tx(w, t->tx, f);
	if (f) {
		jw_obj_open(w, "flow");
		log_flow_counters(w, f);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}
