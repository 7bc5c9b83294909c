/*
 * app-dns.c - the DNS parser: one EVE `dns` event per message.
 *
 * Name lookups are the first thing a compromised PC does (reaching its
 * command server, tunnelling data out in long odd names), so the sensor
 * logs every DNS message it sees, requests and responses alike, in
 * Suricata's "version 3" layout: header flags, queries, answers (with the
 * answer data decoded for the usual types and also "grouped" by type),
 * authorities and additionals.
 *
 * Transport: over UDP each parse() call is one datagram holding one
 * message; over TCP (ctx->tcp) the stream is a sequence of messages each
 * preceded by a 2-byte length, cut anywhere by the core.  A message split
 * across calls is gathered in a per-direction buffer that can never exceed
 * 65535 + 2 bytes (the largest length the prefix can express); whole
 * messages inside one call are parsed in place.  After a gap, a direction
 * waits for a chunk that starts like a length-prefixed message.
 *
 * Transactions follow Suricata: every message is a transaction of its own,
 * numbered per flow across both directions, so a request and its response
 * have consecutive tx_ids.  Nothing is kept once a message is logged.
 *
 * Each message is read twice: a first pass checks every record (names,
 * lengths, the data of the types we decode) without writing anything, a
 * second writes the event from what the first found valid.  A message
 * whose header, questions or answers do not parse is not logged; it raises
 * `malformed_data`.  Broken authority or additional sections are dropped
 * with `invalid_authorities` / `invalid_additionals`.  Names are decoded
 * with compression pointers followed at most DNS_MAX_JUMPS times
 * (`infinite_loop` beyond) and cut at DNS_NAME_MAX bytes (`name_too_long`,
 * and "rrname_truncated": true on the record).  Event names are Suricata's
 * DNS app-layer events in its logged (snake_case) spelling;
 * `too_many_records` is ours: a section holding more than DNS_MAX_LOGGED
 * records is logged up to that many, which bounds an event's size.
 */
#include "applayer.h"
#include "app-dns.h"

#include <stdlib.h>
#include <string.h>

#include "../lib/util.h"

#define DNS_HDR_LEN 12
#define DNS_NAME_MAX 255            /* text bytes kept of one name */
#define DNS_MAX_JUMPS 64            /* compression pointers followed per name */
#define DNS_MAX_LOGGED 512          /* records logged per section */
#define DNS_MAX_GROUPS 32           /* distinct types under "grouped" */
#define DNS_MAX_BAD 32              /* malformed messages in a row: give up */
#define DNS_QD_PROBE_MAX 64         /* questions a probed message may carry */

/* header flags */
#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_Z 0x0040

enum {
	T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_NULL = 10, T_PTR = 12,
	T_MX = 15, T_TXT = 16, T_AAAA = 28, T_SRV = 33, T_OPT = 41,
	T_SSHFP = 44, T_NB = 32, T_NBSTAT = 33,
};

enum { SEC_QD, SEC_AN, SEC_NS, SEC_AR, SEC_MAX };

/* Per-message oddities, logged as anomalies of the message's transaction. */
enum {
	EV_NAME_TOO_LONG = 1 << 0,
	EV_INFINITE_LOOP = 1 << 1,
	EV_INVALID_AUTHORITIES = 1 << 2,
	EV_INVALID_ADDITIONALS = 1 << 3,
	EV_Z_FLAG_SET = 1 << 4,
	EV_INVALID_OPCODE = 1 << 5,
	EV_TOO_MANY_RECORDS = 1 << 6,
};

static const char *const ev_names[] = {
	"name_too_long", "infinite_loop", "invalid_authorities",
	"invalid_additionals", "z_flag_set", "invalid_opcode",
	"too_many_records",
};

/* One message being read; p/n are the message without any TCP prefix. */
struct dns_msg {
	const uint8_t *p;
	size_t n;
	uint16_t id, flags;
	uint16_t count[SEC_MAX];        /* records the header announces */
	uint16_t good[SEC_MAX];         /* records that parsed (to log) */
	size_t start[SEC_MAX];          /* offset of each section */
	unsigned events;                /* EV_* */
	int64_t tx;                     /* its transaction id */
};

/* One question or resource record, as offsets into the message. */
struct dns_rr {
	uint16_t type, cls;
	uint32_t ttl;
	size_t rd;                      /* rdata offset */
	uint16_t rdlen;
	size_t end;                     /* offset just past the record */
};

struct dns_name {
	char s[DNS_NAME_MAX];
	size_t len;
	bool trunc;
};

struct dns_dir {
	uint8_t *buf;                   /* TCP: a split message, prefix included */
	size_t len, cap;
	bool gap;                       /* bytes lost: wait for a message start */
	bool warned;                    /* not_a_request/response raised */
};

struct dns_state {
	struct dns_dir d[2];
	uint64_t tx_cnt;
	unsigned bad;                   /* malformed messages in a row */
};

/* ------------------------------------------------------------------ */
/* names */

/*
 * Offset just past the name written at off (its labels up to the root
 * label or the first pointer), or 0 when it runs off the message or uses
 * a reserved label type.
 */
static size_t name_skip(const uint8_t *p, size_t n, size_t off)
{
	while (off < n) {
		uint8_t l = p[off];
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= n ? off + 2 : 0;
		if (l & 0xc0)
			return 0;
		if (l == 0)
			return off + 1;
		off += 1 + (size_t)l;
	}
	return 0;
}

/* Append a label, keeping at most DNS_NAME_MAX bytes. */
static void name_add(struct dns_name *nm, const uint8_t *lab, size_t l)
{
	size_t room = DNS_NAME_MAX - nm->len;
	if (nm->len) {
		if (!room) {
			nm->trunc = true;
			return;
		}
		nm->s[nm->len++] = '.';
		room--;
	}
	if (l > room) {
		l = room;
		nm->trunc = true;
	}
	memcpy(nm->s + nm->len, lab, l);
	nm->len += l;
}

/*
 * Decode the name at off into nm (labels joined by '.', bytes as they are;
 * the root is "").  Returns the offset just past the name as written at
 * off, or 0 when the name is malformed.  A pointer loop or an overlong
 * name is not fatal: the name is cut, nm->trunc set and m->events noted.
 */
static size_t name_read(struct dns_msg *m, size_t off, struct dns_name *nm)
{
	size_t end = name_skip(m->p, m->n, off);
	size_t pos = off;
	unsigned jumps = 0;

	nm->len = 0;
	nm->trunc = false;
	if (!end)
		return 0;
	for (;;) {
		if (pos >= m->n)
			return 0;
		uint8_t l = m->p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= m->n)
				return 0;
			size_t to = (size_t)(l & 0x3f) << 8 | m->p[pos + 1];
			if (to >= m->n)
				return 0;
			if (++jumps > DNS_MAX_JUMPS) {
				m->events |= EV_INFINITE_LOOP;
				nm->trunc = true;
				return end;
			}
			pos = to;
			continue;
		}
		if (l & 0xc0)
			return 0;
		if (l == 0)
			return end;
		if (pos + 1 + l > m->n)
			return 0;
		name_add(nm, m->p + pos + 1, l);
		if (nm->trunc) {
			m->events |= EV_NAME_TOO_LONG;
			return end;
		}
		pos += 1 + (size_t)l;
	}
}

/* A name inside rdata: valid and written within [off, lim). */
static bool rd_name_ok(struct dns_msg *m, size_t off, size_t lim)
{
	struct dns_name nm;
	size_t end = off < lim ? name_read(m, off, &nm) : 0;
	return end && end <= lim;
}

/* ------------------------------------------------------------------ */
/* records */

/*
 * Read the question (q) or record at off.  The owner name is decoded into
 * nm, or only skipped when nm is NULL.  Returns 0 or -1 (malformed).
 */
static int rr_read(struct dns_msg *m, size_t off, bool q, struct dns_rr *rr,
		   struct dns_name *nm)
{
	size_t o = nm ? name_read(m, off, nm) : name_skip(m->p, m->n, off);
	if (!o || o + 4 > m->n)
		return -1;
	rr->type = ot_be16(m->p + o);
	rr->cls = ot_be16(m->p + o + 2);
	o += 4;
	rr->ttl = 0;
	rr->rd = o;
	rr->rdlen = 0;
	rr->end = o;
	if (q)
		return 0;
	if (o + 6 > m->n)
		return -1;
	rr->ttl = ot_be32(m->p + o);
	rr->rdlen = ot_be16(m->p + o + 4);
	rr->rd = o + 6;
	if (rr->rd + rr->rdlen > m->n)
		return -1;
	rr->end = rr->rd + rr->rdlen;
	return 0;
}

/* Length-prefixed items (TXT strings) fill [o, end) exactly. */
static bool strings_ok(const uint8_t *p, size_t o, size_t end)
{
	while (o < end)
		o += 1 + (size_t)p[o];
	return o == end;
}

/* EDNS options (code, length, data) fill [o, end) exactly. */
static bool options_ok(const uint8_t *p, size_t o, size_t end)
{
	while (o + 4 <= end)
		o += 4 + (size_t)ot_be16(p + o + 2);
	return o == end;
}

/* Is the data of a type we decode well formed? */
static bool rdata_ok(struct dns_msg *m, const struct dns_rr *rr)
{
	size_t o = rr->rd, end = rr->end;

	switch (rr->type) {
	case T_NS:
	case T_CNAME:
	case T_PTR:
		return rd_name_ok(m, o, end);
	case T_MX:
		return rr->rdlen > 2 && rd_name_ok(m, o + 2, end);
	case T_SRV:
		return rr->rdlen > 6 && rd_name_ok(m, o + 6, end);
	case T_SOA: {
		struct dns_name nm;
		size_t e = rd_name_ok(m, o, end) ? name_read(m, o, &nm) : 0;
		if (!e || !rd_name_ok(m, e, end))
			return false;
		e = name_read(m, e, &nm);
		return e + 20 <= end;
	}
	case T_TXT:
		return strings_ok(m->p, o, end);
	case T_SSHFP:
		return rr->rdlen >= 2;
	case T_OPT:
		return options_ok(m->p, o, end);
	default:
		return true;
	}
}

/*
 * First pass: check every record and note how many of each section are
 * good.  Returns -1 when the questions or answers are broken (the message
 * is malformed); broken authorities/additionals are dropped.
 */
static int msg_scan(struct dns_msg *m)
{
	struct dns_name nm;
	struct dns_rr rr;
	size_t off = DNS_HDR_LEN;

	for (int s = 0; s < SEC_MAX; s++) {
		m->start[s] = off;
		for (unsigned i = 0; i < m->count[s]; i++) {
			if (rr_read(m, off, s == SEC_QD, &rr, &nm) == 0 &&
			    (s == SEC_QD || rdata_ok(m, &rr))) {
				m->good[s]++;
				off = rr.end;
				continue;
			}
			if (s <= SEC_AN)
				return -1;
			m->events |= s == SEC_NS ? EV_INVALID_AUTHORITIES
						 : EV_INVALID_ADDITIONALS;
			m->good[s] = 0;
			return 0;
		}
	}
	return 0;
}

/* Fill the header fields; -1 when the message is shorter than a header. */
static int msg_init(struct dns_msg *m, const uint8_t *p, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->p = p;
	m->n = n;
	if (n < DNS_HDR_LEN)
		return -1;
	m->id = ot_be16(p);
	m->flags = ot_be16(p + 2);
	for (int s = 0; s < SEC_MAX; s++)
		m->count[s] = ot_be16(p + 4 + 2 * s);
	return 0;
}

/* ------------------------------------------------------------------ */
/* names of things (formatted by hand: this runs for every record) */

static const char hexdig[] = "0123456789abcdef";

/* v in decimal at o (room for 5 digits), NUL-terminated; returns the length. */
static size_t fmt_dec(char *o, unsigned v)
{
	char t[8];
	size_t n = 0, k = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(t));
	while (n)
		o[k++] = t[--n];
	o[k] = '\0';
	return k;
}

/* v in lowercase hex without leading zeros ("%x"), NUL-terminated. */
static void fmt_hex16(char *o, unsigned v)
{
	size_t k = 0;
	for (int sh = 12; sh >= 0; sh -= 4)
		if ((v >> sh) & 0xf || k || !sh)
			o[k++] = hexdig[(v >> sh) & 0xf];
	o[k] = '\0';
}

static const struct {
	uint16_t type;
	const char *name;
} rrtypes[] = {
	{ 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" },
	{ 6, "SOA" }, { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" },
	{ 11, "WKS" }, { 12, "PTR" }, { 13, "HINFO" }, { 14, "MINFO" },
	{ 15, "MX" }, { 16, "TXT" }, { 17, "RP" }, { 18, "AFSDB" },
	{ 19, "X25" }, { 20, "ISDN" }, { 21, "RT" }, { 22, "NSAP" },
	{ 23, "NSAPPTR" }, { 24, "SIG" }, { 25, "KEY" }, { 26, "PX" },
	{ 27, "GPOS" }, { 28, "AAAA" }, { 29, "LOC" }, { 30, "NXT" },
	{ 33, "SRV" }, { 34, "ATMA" }, { 35, "NAPTR" }, { 36, "KX" },
	{ 37, "CERT" }, { 38, "A6" }, { 39, "DNAME" }, { 41, "OPT" },
	{ 42, "APL" }, { 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" },
	{ 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 49, "DHCID" },
	{ 50, "NSEC3" }, { 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 55, "HIP" },
	{ 59, "CDS" }, { 60, "CDNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" },
	{ 99, "SPF" }, { 249, "TKEY" }, { 250, "TSIG" }, { 251, "IXFR" },
	{ 252, "AXFR" }, { 254, "MAILA" }, { 255, "ANY" }, { 256, "URI" },
	{ 257, "CAA" },
};

/* "A", "AAAA", ... or the number as text (buf holds >= 6 bytes). */
static const char *type_name(uint16_t type, char *buf)
{
	for (size_t i = 0; i < OT_ARRAY_LEN(rrtypes); i++)
		if (rrtypes[i].type == type)
			return rrtypes[i].name;
	fmt_dec(buf, type);
	return buf;
}

static const char *const rcodes[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

static const char *rcode_name(unsigned rcode, char *buf)
{
	if (rcode < OT_ARRAY_LEN(rcodes))
		return rcodes[rcode];
	fmt_dec(buf, rcode);
	return buf;
}

/* ------------------------------------------------------------------ */
/* writing the event */

/*
 * Address data, by its length as Suricata does: 4 bytes as a dotted quad,
 * 16 as eight groups of four hex digits (not shortened), else "".  buf
 * holds >= 40 bytes.
 */
static void addr_fmt(const uint8_t *a, size_t n, char *buf)
{
	size_t o = 0;
	if (n == 4) {
		for (int i = 0; i < 4; i++) {
			o += fmt_dec(buf + o, a[i]);
			buf[o++] = '.';
		}
		o--;
	} else if (n == 16) {
		for (int i = 0; i < 16; i++) {
			if (i && !(i & 1))
				buf[o++] = ':';
			buf[o++] = hexdig[a[i] >> 4];
			buf[o++] = hexdig[a[i] & 15];
		}
	}
	buf[o] = '\0';
}

static void log_name(struct jw *w, const char *key, struct dns_msg *m, size_t off)
{
	struct dns_name nm;
	name_read(m, off, &nm);
	jw_strn(w, key, nm.s, nm.len);
}

static void log_soa(struct jw *w, const char *key, struct dns_msg *m, size_t o)
{
	struct dns_name nm;
	size_t r = name_read(m, o, &nm);
	jw_obj_open(w, key);
	jw_strn(w, "mname", nm.s, nm.len);
	size_t e = name_read(m, r, &nm);
	jw_strn(w, "rname", nm.s, nm.len);
	jw_uint(w, "serial", ot_be32(m->p + e));
	jw_uint(w, "refresh", ot_be32(m->p + e + 4));
	jw_uint(w, "retry", ot_be32(m->p + e + 8));
	jw_uint(w, "expire", ot_be32(m->p + e + 12));
	jw_uint(w, "minimum", ot_be32(m->p + e + 16));
	jw_obj_close(w);
}

static void log_srv(struct jw *w, const char *key, struct dns_msg *m, size_t o)
{
	jw_obj_open(w, key);
	jw_uint(w, "priority", ot_be16(m->p + o));
	jw_uint(w, "weight", ot_be16(m->p + o + 2));
	jw_uint(w, "port", ot_be16(m->p + o + 4));
	log_name(w, "name", m, o + 6);
	jw_obj_close(w);
}

static void log_sshfp(struct jw *w, const char *key, struct dns_msg *m,
		      const struct dns_rr *rr)
{
	jw_obj_open(w, key);
	jw_uint(w, "algo", m->p[rr->rd]);
	jw_uint(w, "type", m->p[rr->rd + 1]);
	jw_hex(w, "fingerprint", m->p + rr->rd + 2, rr->rdlen - 2u, ':');
	jw_obj_close(w);
}

static void log_opt(struct jw *w, struct dns_msg *m, const struct dns_rr *rr)
{
	size_t o = rr->rd;
	jw_arr_open(w, "opt");
	while (o + 4 <= rr->end) {
		uint16_t olen = ot_be16(m->p + o + 2);
		jw_obj_open(w, NULL);
		jw_uint(w, "code", ot_be16(m->p + o));
		jw_hex(w, "data", m->p + o + 4, olen, 0);
		jw_obj_close(w);
		o += 4 + (size_t)olen;
	}
	jw_arr_close(w);
}

/*
 * The decoded data of rr (checked by rdata_ok): under its key in an
 * answer object, or as an element of a "grouped" array (grouped).  TXT is
 * left to the callers, which write one item per string; types we do not
 * decode write nothing.
 */
static void log_rdata(struct jw *w, bool grouped, struct dns_msg *m,
		      const struct dns_rr *rr)
{
	const char *rdata = grouped ? NULL : "rdata";
	char buf[48];

	switch (rr->type) {
	case T_A:
	case T_AAAA:
		addr_fmt(m->p + rr->rd, rr->rdlen, buf);
		jw_str(w, rdata, buf);
		break;
	case T_NS:
	case T_CNAME:
	case T_PTR:
		log_name(w, rdata, m, rr->rd);
		break;
	case T_MX:
		log_name(w, rdata, m, rr->rd + 2);
		break;
	case T_NULL:
		jw_strn(w, rdata, m->p + rr->rd, rr->rdlen);
		break;
	case T_SOA:
		log_soa(w, grouped ? NULL : "soa", m, rr->rd);
		break;
	case T_SRV:
		log_srv(w, grouped ? NULL : "srv", m, rr->rd);
		break;
	case T_SSHFP:
		log_sshfp(w, grouped ? NULL : "sshfp", m, rr);
		break;
	case T_OPT:
		if (!grouped)
			log_opt(w, m, rr);
		break;
	default:
		break;
	}
}

/* rrname, rrtype, rrname_truncated, ttl of an answer object. */
static void log_rr_head(struct jw *w, const struct dns_name *nm,
			const struct dns_rr *rr)
{
	char tb[8];
	jw_strn(w, "rrname", nm->s, nm->len);
	jw_str(w, "rrtype", type_name(rr->type, tb));
	if (nm->trunc)
		jw_bool(w, "rrname_truncated", true);
	jw_uint(w, "ttl", rr->ttl);
}

/* One record of answers/authorities/additionals: a TXT record gives one
 * object per string (Suricata 8), any other record one object. */
static void log_record(struct jw *w, struct dns_msg *m, const struct dns_rr *rr,
		       const struct dns_name *nm)
{
	if (rr->type != T_TXT || !rr->rdlen) {
		jw_obj_open(w, NULL);
		log_rr_head(w, nm, rr);
		log_rdata(w, false, m, rr);
		jw_obj_close(w);
		return;
	}
	for (size_t o = rr->rd; o < rr->end; o += 1 + (size_t)m->p[o]) {
		jw_obj_open(w, NULL);
		log_rr_head(w, nm, rr);
		jw_strn(w, "rdata", m->p + o + 1, m->p[o]);
		jw_obj_close(w);
	}
}

/* The logged records of section s: how many, with too_many_records. */
static unsigned logged(struct dns_msg *m, int s)
{
	if (m->good[s] <= DNS_MAX_LOGGED)
		return m->good[s];
	m->events |= EV_TOO_MANY_RECORDS;
	return DNS_MAX_LOGGED;
}

static void log_queries(struct jw *w, struct dns_msg *m)
{
	struct dns_name nm;
	struct dns_rr rr;
	size_t off = m->start[SEC_QD];
	unsigned n = logged(m, SEC_QD);
	char tb[8];

	if (!n)
		return;
	jw_arr_open(w, "queries");
	for (unsigned i = 0; i < n; i++, off = rr.end) {
		rr_read(m, off, true, &rr, &nm);
		jw_obj_open(w, NULL);
		jw_strn(w, "rrname", nm.s, nm.len);
		jw_str(w, "rrtype", type_name(rr.type, tb));
		if (nm.trunc)
			jw_bool(w, "rrname_truncated", true);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

/* answers / authorities / additionals (without empty EDNS OPT records). */
static void log_section(struct jw *w, struct dns_msg *m, int s, const char *key)
{
	struct dns_name nm;
	struct dns_rr rr;
	size_t off = m->start[s];
	unsigned n = logged(m, s);
	bool open = false;

	for (unsigned i = 0; i < n; i++, off = rr.end) {
		rr_read(m, off, false, &rr, &nm);
		if (s == SEC_AR && rr.type == T_OPT && !rr.rdlen)
			continue;
		if (!open) {
			jw_arr_open(w, key);
			open = true;
		}
		log_record(w, m, &rr, &nm);
	}
	if (open)
		jw_arr_close(w);
}

/* Values of the answers of one type, as one "grouped" array. */
static void log_group(struct jw *w, struct dns_msg *m, uint16_t type, unsigned n)
{
	struct dns_rr rr;
	size_t off = m->start[SEC_AN];
	char tb[8];

	jw_arr_open(w, type_name(type, tb));
	for (unsigned i = 0; i < n; i++, off = rr.end) {
		rr_read(m, off, false, &rr, NULL);
		if (rr.type != type)
			continue;
		if (type != T_TXT) {
			log_rdata(w, true, m, &rr);
			continue;
		}
		for (size_t o = rr.rd; o < rr.end; o += 1 + (size_t)m->p[o])
			jw_strn(w, NULL, m->p + o + 1, m->p[o]);
	}
	jw_arr_close(w);
}

/* "grouped": the answers' data by type, types in order of appearance. */
static void log_grouped(struct jw *w, struct dns_msg *m)
{
	uint16_t types[DNS_MAX_GROUPS];
	unsigned nt = 0, n = logged(m, SEC_AN);
	struct dns_rr rr;
	size_t off = m->start[SEC_AN];

	for (unsigned i = 0; i < n && nt < DNS_MAX_GROUPS; i++, off = rr.end) {
		rr_read(m, off, false, &rr, NULL);
		unsigned k = 0;
		while (k < nt && types[k] != rr.type)
			k++;
		if (k == nt)
			types[nt++] = rr.type;
	}
	if (!nt)
		return;
	jw_obj_open(w, "grouped");
	for (unsigned k = 0; k < nt; k++)
		log_group(w, m, types[k], n);
	jw_obj_close(w);
}

static void log_flags(struct jw *w, const struct dns_msg *m)
{
	static const struct {
		uint16_t bit;
		const char *key;
	} bits[] = {
		{ F_QR, "qr" }, { F_AA, "aa" }, { F_TC, "tc" },
		{ F_RD, "rd" }, { F_RA, "ra" }, { F_Z, "z" },
	};
	char buf[8];

	fmt_hex16(buf, m->flags);
	jw_str(w, "flags", buf);
	for (size_t i = 0; i < OT_ARRAY_LEN(bits); i++)
		if (m->flags & bits[i].bit)
			jw_bool(w, bits[i].key, true);
	jw_uint(w, "opcode", (m->flags >> 11) & 0xf);
	if (m->flags & F_QR)
		jw_str(w, "rcode", rcode_name(m->flags & 0xf, buf));
}

/* The "dns" object of a message's event; what it finds while writing
 * (names cut, pointer loops) goes into m->events. */
static void log_msg(struct jw *w, struct dns_msg *m)
{
	jw_obj_open(w, "dns");
	jw_uint(w, "version", 3);
	jw_str(w, "type", (m->flags & F_QR) ? "response" : "request");
	jw_int(w, "tx_id", m->tx);
	jw_uint(w, "id", m->id);
	log_flags(w, m);
	log_queries(w, m);
	log_section(w, m, SEC_AN, "answers");
	log_grouped(w, m);
	log_section(w, m, SEC_NS, "authorities");
	log_section(w, m, SEC_AR, "additionals");
	jw_obj_close(w);
}

/* The same object in an alert on the message (app_parser.log_tx). */
static void log_dns(struct jw *w, const void *tx, const struct flow *f)
{
	struct dns_msg m = *(const struct dns_msg *)tx;
	log_msg(w, &m);
}

/* ------------------------------------------------------------------ */
/* messages */

/* One whole message of direction dir (without TCP prefix). */
static void msg_handle(struct dns_state *st, struct app_ctx *ctx, int dir,
		       const uint8_t *p, size_t n)
{
	struct dns_msg m;

	if (msg_init(&m, p, n) < 0 || msg_scan(&m) < 0) {
		st->bad++;
		app_anomaly(ctx, "dns", dir, -1, "malformed_data");
		return;
	}
	st->bad = 0;

	int64_t tx = (int64_t)st->tx_cnt++;
	bool response = m.flags & F_QR;
	if (m.flags & F_Z)
		m.events |= EV_Z_FLAG_SET;
	if (((m.flags >> 11) & 0xf) >= 7)
		m.events |= EV_INVALID_OPCODE;
	m.tx = tx;
	log_msg(app_event_begin(ctx, "dns", dir, tx), &m);
	app_event_end(ctx);
	app_tx_ready(ctx, APP_DNS, dir, tx, &m, DNS_PROGRESS_MESSAGE);

	if (response != (dir == APP_TOCLIENT) && !st->d[dir].warned) {
		st->d[dir].warned = true;
		app_anomaly(ctx, "dns", dir, tx,
			    response ? "not_a_request" : "not_a_response");
	}
	for (size_t i = 0; i < OT_ARRAY_LEN(ev_names); i++)
		if (m.events & (1u << i))
			app_anomaly(ctx, "dns", dir, tx, ev_names[i]);
}

/* ------------------------------------------------------------------ */
/* what detection reads (app-dns.h) */

size_t app_dns_query_count(const void *tx)
{
	return ((const struct dns_msg *)tx)->good[SEC_QD];
}

int app_dns_query_name(const void *tx, size_t i, char *buf, size_t cap)
{
	struct dns_msg m = *(const struct dns_msg *)tx;
	struct dns_rr rr;
	struct dns_name nm;
	size_t off = m.start[SEC_QD];
	if (i >= m.good[SEC_QD])
		return -1;
	for (size_t q = 0;; q++) {
		if (rr_read(&m, off, true, &rr, q == i ? &nm : NULL) < 0)
			return -1;
		if (q == i)
			break;
		off = rr.end;
	}
	size_t n = nm.len < cap ? nm.len : cap;
	memcpy(buf, nm.s, n);
	return (int)n;
}

bool app_dns_is_response(const void *tx)
{
	return ((const struct dns_msg *)tx)->flags & F_QR;
}

/* ------------------------------------------------------------------ */
/* probing */

/*
 * Does p look like the start of a DNS message?  avail bytes are there, of
 * a message of msglen bytes (avail < msglen while a TCP message is still
 * arriving).  Checks the header (a known opcode, no rcode in a query, the
 * counts fitting the length) and the first question (or, in a message
 * without one, the first answer): a well-formed, uncompressed name and a
 * known class.  NetBIOS name queries, which share DNS's layout, are
 * refused.
 */
static int probe_msg(const uint8_t *p, size_t avail, size_t msglen)
{
	int more = avail < msglen ? PROBE_NEED_MORE : PROBE_NO;

	if (avail < DNS_HDR_LEN)
		return more;
	uint16_t flags = ot_be16(p + 2), qd = ot_be16(p + 4);
	size_t rrs = (size_t)ot_be16(p + 6) + ot_be16(p + 8) + ot_be16(p + 10);
	unsigned op = (flags >> 11) & 0xf;

	if (op == 3 || op > 6 || (!(flags & F_QR) && (flags & 0xf)))
		return PROBE_NO;
	if (qd > DNS_QD_PROBE_MAX || (!qd && !ot_be16(p + 6)) ||
	    DNS_HDR_LEN + 5 * (size_t)qd + 11 * rrs > msglen)
		return PROBE_NO;

	size_t o = DNS_HDR_LEN, first = 0, wire = 0;
	for (;;) {
		if (o >= avail)
			return more;
		uint8_t l = p[o];
		if (l & 0xc0)
			return PROBE_NO;
		wire += 1 + (size_t)l;
		if (wire > 255)
			return PROBE_NO;
		if (!l)
			break;
		if (o == DNS_HDR_LEN)
			first = l;
		o += 1 + (size_t)l;
	}
	o++;
	if (o + 4 > avail)
		return more;
	uint16_t type = ot_be16(p + o), cls = ot_be16(p + o + 2) & 0x7fff;
	if (cls != 1 && cls != 3 && cls != 4 && cls != 254 && cls != 255)
		return PROBE_NO;
	if (first == 32 && (type == T_NB || type == T_NBSTAT)) {
		size_t i = 0;
		while (i < 32 && p[DNS_HDR_LEN + 1 + i] >= 'A' &&
		       p[DNS_HDR_LEN + 1 + i] <= 'P')
			i++;
		if (i == 32)
			return PROBE_NO;
	}
	return PROBE_YES;
}

/* A length-prefixed message (TCP) at the start of data? */
static int probe_tcp(const uint8_t *data, size_t len)
{
	if (len < 2)
		return PROBE_NEED_MORE;
	size_t ml = ot_be16(data);
	if (ml < DNS_HDR_LEN)
		return PROBE_NO;
	return probe_msg(data + 2, OT_MIN(len - 2, ml), ml);
}

/*
 * The core does not say which transport the bytes came from, so both
 * layouts are tried: a bare message (a UDP datagram), then a
 * length-prefixed one (the start of a TCP stream).  Requests and
 * responses are both accepted whatever dir is, so a flow first seen from
 * its server side is still recognised.
 */
static int dns_probe(const uint8_t *data, size_t len, int dir)
{
	if (probe_msg(data, len, len) == PROBE_YES)
		return PROBE_YES;
	return probe_tcp(data, len);
}

/* ------------------------------------------------------------------ */
/* TCP framing */

static int dir_reserve(struct dns_dir *d, size_t want)
{
	if (want <= d->cap)
		return 0;
	uint8_t *nb = realloc(d->buf, want);
	if (!nb)
		return -1;
	d->buf = nb;
	d->cap = want;
	return 0;
}

/*
 * Cut the stream of direction dir into messages.  Whole messages are read
 * in place; a split one is gathered in d->buf (at most 65537 bytes, as the
 * prefix can say no more).  Returns -1 when memory runs out.
 */
static int tcp_feed(struct dns_state *st, struct app_ctx *ctx, int dir,
		    const uint8_t *data, size_t len)
{
	struct dns_dir *d = &st->d[dir];

	if (d->gap) {
		if (probe_tcp(data, len) != PROBE_YES)
			return 0;
		d->gap = false;
	}
	while (len) {
		if (!d->len && len >= 2 && (size_t)ot_be16(data) + 2 <= len) {
			size_t ml = ot_be16(data);
			msg_handle(st, ctx, dir, data + 2, ml);
			data += ml + 2;
			len -= ml + 2;
			continue;
		}
		size_t want = d->len < 2 ? 2 : (size_t)ot_be16(d->buf) + 2;
		if (dir_reserve(d, want) < 0)
			return -1;
		size_t take = OT_MIN(want - d->len, len);
		memcpy(d->buf + d->len, data, take);
		d->len += take;
		data += take;
		len -= take;
		if (d->len >= 2 && d->len == (size_t)ot_be16(d->buf) + 2) {
			msg_handle(st, ctx, dir, d->buf + 2, d->len - 2);
			d->len = 0;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the parser contract */

static void *dns_state_new(void)
{
	return calloc(1, sizeof(struct dns_state));
}

static void dns_state_free(void *state)
{
	struct dns_state *st = state;
	if (!st)
		return;
	free(st->d[0].buf);
	free(st->d[1].buf);
	free(st);
}

/*
 * A UDP call is one datagram; TCP calls are stream bytes.  Gives up on the
 * flow (PARSE_ERROR) after DNS_MAX_BAD malformed messages in a row, which
 * is what a flow mistaken for DNS looks like.
 */
static int dns_parse(void *state, struct app_ctx *ctx, int dir,
		     const uint8_t *data, size_t len)
{
	struct dns_state *st = state;

	if (dir != APP_TOSERVER && dir != APP_TOCLIENT)
		return PARSE_ERROR;
	if (!ctx->tcp)
		msg_handle(st, ctx, dir, data, len);
	else if (tcp_feed(st, ctx, dir, data, len) < 0)
		return PARSE_ERROR;
	return st->bad > DNS_MAX_BAD ? PARSE_ERROR : PARSE_OK;
}

/* Bytes are missing: drop the partial message and wait for a new start. */
static void dns_gap(void *state, struct app_ctx *ctx, int dir, size_t len)
{
	struct dns_state *st = state;

	if (dir != APP_TOSERVER && dir != APP_TOCLIENT)
		return;
	st->d[dir].len = 0;
	st->d[dir].gap = true;
}

static uint64_t dns_tx_count(void *state)
{
	const struct dns_state *st = state;
	return st->tx_cnt;
}

const struct app_parser app_parser_dns = {
	.name = "dns",
	.id = APP_DNS,
	.tcp = true,
	.udp = true,
	.ports = { 53 },
	.port_only = true,  /* as Suricata: LLMNR and mDNS look like DNS but are not */
	.probe = dns_probe,
	.log_tx = log_dns,
	.state_new = dns_state_new,
	.state_free = dns_state_free,
	.parse = dns_parse,
	.gap = dns_gap,
	.flow_end = NULL,
	.tx_count = dns_tx_count,
};
