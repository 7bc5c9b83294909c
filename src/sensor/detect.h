/*
 * detect.h - rules in Suricata's language, as the detection engine holds
 * them once parsed.
 *
 * A rule is
 *     action proto src_addr src_port -> dst_addr dst_port (option; option: value; ...)
 * Parsing (detect-parse.c) turns each line of a rule file into a struct
 * rule: the header into address and port sets (detect-addr.c, with the
 * variables of the configuration), and every option into one call of its
 * keyword's setup() (detect-kw-*.c, all listed in detect-keywords.c).  A
 * keyword's setup() checks its value and appends what it must match to one
 * of the rule's match lists: the list of a buffer (the payload, http.uri,
 * dns.query, ...) for content-like keywords, the packet list for header
 * tests (ttl, flags, flow, dsize...), the post-match list for actions
 * (flowbits:set, tag).  Unknown or unsupported keywords and bad values
 * reject that one rule with a message naming file, line, sid and keyword.
 *
 * Content modifiers (nocase, depth, distance, fast_pattern...) change the
 * content before them; sticky buffers (http.uri;) send the keywords after
 * them to that buffer; legacy modifiers (http_uri;) move the content before
 * them to their buffer.
 */
#ifndef OT_DETECT_H
#define OT_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* ---- buffers a content-like keyword can look into ---- */

enum detect_buffer {
	DBUF_PAYLOAD = 0,       /* pkt_data: packet payload, or the stream */
	DBUF_HTTP_URI,
	DBUF_HTTP_URI_RAW,
	DBUF_HTTP_METHOD,
	DBUF_HTTP_HOST,
	DBUF_HTTP_HOST_RAW,
	DBUF_HTTP_USER_AGENT,
	DBUF_HTTP_HEADER,
	DBUF_HTTP_HEADER_RAW,
	DBUF_HTTP_HEADER_NAMES,
	DBUF_HTTP_COOKIE,
	DBUF_HTTP_REQUEST_BODY,
	DBUF_HTTP_REQUEST_LINE,
	DBUF_HTTP_START,
	DBUF_HTTP_PROTOCOL,
	DBUF_HTTP_REFERER,
	DBUF_HTTP_ACCEPT,
	DBUF_HTTP_ACCEPT_ENC,
	DBUF_HTTP_ACCEPT_LANG,
	DBUF_HTTP_CONNECTION,
	DBUF_HTTP_CONTENT_TYPE,
	DBUF_HTTP_CONTENT_LEN,
	DBUF_HTTP_STAT_CODE,
	DBUF_HTTP_STAT_MSG,
	DBUF_HTTP_RESPONSE_LINE,
	DBUF_HTTP_RESPONSE_BODY,    /* http.response_body, file.data, file_data: the
				       response's body, the request's with flow:to_server */
	DBUF_HTTP_SERVER,
	DBUF_HTTP_LOCATION,
	DBUF_DNS_QUERY,
	DBUF_TLS_SNI,
	DBUF_TLS_CERT_SUBJECT,
	DBUF_TLS_CERT_ISSUER,
	DBUF_TLS_CERT_SERIAL,
	DBUF_TLS_CERT_FINGERPRINT,
	DBUF_TLS_CERTS,
	DBUF_JA3_HASH,
	DBUF_JA3_STRING,
	DBUF_JA3S_HASH,
	DBUF_JA4_HASH,
	DBUF_SSH_SOFTWARE,
	DBUF_SSH_PROTO,
	DBUF_BASE64_DATA,
	DBUF_HTTP_RESPONSE_HEADER,  /* headers of the response only (http.response_header) */
	DBUF_HTTP_REQUEST_HEADER,
	DBUF_TLS_ALPN,
	DBUF_JA3S_STRING,
	DBUF_FILE_NAME,
	DBUF_MAX
};

struct detect_buffer_info {
	const char *name;           /* sticky-buffer keyword: "http.uri" */
	const char *legacy;         /* content modifier form: "http_uri", or NULL */
	const char *alias;          /* another sticky spelling ("file_data" for file.data), or NULL */
	uint8_t app_proto;          /* enum app_proto the buffer belongs to (0: any) */
	uint8_t dirs;               /* DETECT_TOSERVER | DETECT_TOCLIENT */
	const char *alias2;         /* a third sticky spelling, or NULL */
};

#define DETECT_TOSERVER 1
#define DETECT_TOCLIENT 2

/* The table of buffers, indexed by enum detect_buffer (detect-buffers.c). */
extern const struct detect_buffer_info detect_buffers[DBUF_MAX];
/* A buffer by its sticky name, its legacy modifier name or its alias; -1. */
int detect_buffer_find(const char *name, bool *legacy);

/* ---- addresses and ports ---- */

struct addr_range {
	struct ot_addr lo, hi;      /* inclusive, in network order */
	uint8_t ip_ver;             /* 4 or 6 */
};

struct addr_set {
	bool any;
	struct addr_range *in;      /* matches when in one of these ... */
	size_t nin;
	struct addr_range *out;     /* ... and in none of these */
	size_t nout;
};

struct port_range {
	uint16_t lo, hi;
};

struct port_set {
	bool any;
	struct port_range *in;
	size_t nin;
	struct port_range *out;
	size_t nout;
};

bool addr_set_match(const struct addr_set *s, const struct ot_addr *a, int ip_ver);
bool port_set_match(const struct port_set *s, uint16_t port);
void addr_set_clear(struct addr_set *s);
void port_set_clear(struct port_set *s);

/* ---- rules ---- */

enum rule_action {
	ACTION_ALERT = 0, ACTION_PASS, ACTION_DROP, ACTION_REJECT,
	ACTION_REJECTSRC, ACTION_REJECTDST, ACTION_REJECTBOTH,
};

#define RULE_PROTO_PKT    0x01  /* tcp-pkt: packets only, never the stream */
#define RULE_PROTO_STREAM 0x02  /* tcp-stream: reassembled stream only */
#define RULE_PROTO_IPV4   0x04  /* ipv4: IPv4 packets only */
#define RULE_PROTO_IPV6   0x08  /* ipv6 */

/* One thing a rule must match (or do, on the post-match list). */
struct sigmatch {
	uint16_t kw;                /* index into detect_keywords[] */
	void *ctx;                  /* the keyword's parsed value, owned */
	struct sigmatch *next;
};

struct sm_list {
	struct sigmatch *head, *tail;
	size_t count;
};

struct rule_ref {
	char *key, *value;          /* reference:url,example.com -> "url", "example.com" */
};

struct rule {
	/* header */
	uint8_t action;             /* enum rule_action */
	uint8_t ip_proto;           /* IPPROTO_*, 0 = any IP */
	uint8_t app_proto;          /* enum app_proto named in the header (http, dns...), 0 none */
	uint8_t proto_flags;        /* RULE_PROTO_* (tcp-pkt, tcp-stream, ipv4, ipv6) */
	bool bidir;                 /* <> */
	struct addr_set src, dst;
	struct port_set sp, dp;

	/* meta */
	uint32_t sid, gid, rev;
	int priority;               /* 0: from the classtype */
	char *msg;
	char *classtype;
	char *metadata;             /* "key value, key value" as written */
	struct rule_ref *refs;
	size_t nrefs;
	uint8_t target;             /* 0 none, 1 src_ip, 2 dest_ip */

	/* what to match */
	struct sm_list bufs[DBUF_MAX];  /* content-like matches, per buffer */
	struct sm_list pkt;         /* packet/flow tests: ttl, flags, flow, flowbits:isset... */
	struct sm_list post;        /* after a match: flowbits:set, tag... */
	uint8_t flow_dirs;          /* DETECT_TOSERVER/TOCLIENT from flow:, 0 = both */
	bool noalert;
	int fast_pattern_buf;       /* buffer of the fast_pattern content, -1 none */

	/* where it came from, for messages */
	char *file;
	unsigned line;
	char *text;                 /* the rule as written */
};

/* ---- the parser's state while one rule is read ---- */

struct detect_vars;             /* address and port variables (detect-vars.c) */
struct detect_classes;          /* classification.config, reference.config */
struct iprep;                   /* IP reputation (iprep.h) */

#define DETECT_MAX_BYTEVARS 16  /* byte_extract variables in one rule */

struct rule_parse {
	struct rule *r;
	const struct detect_vars *vars;
	const struct detect_classes *classes;   /* NULL: any classtype accepted */
	const struct iprep *iprep;  /* categories for iprep:, or NULL */
	int kw;                     /* index of the keyword being set up */
	int cur_buf;                /* sticky buffer in force, -1 = none (payload) */
	struct sigmatch *last_content;  /* for content modifiers; NULL if none */
	int last_content_buf;
	struct sigmatch *last_rel;  /* last content/pcre/byte_* (relative anchors) */
	int last_rel_buf;
	char *bytevars[DETECT_MAX_BYTEVARS];    /* byte_extract names, in order */
	int nbytevars;
	char *err;                  /* message buffer for setup() */
	size_t errlen;
};

/* Message for a failing setup(): always returns -1. */
int kw_err(struct rule_parse *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Parse a number test (N, <N, >N, <=N, >=N, !N, N<>M, at most max) and
 * append it to list l with the keyword's own extra flag; 0 or -1 (kw_err). */
int kw_add_num(struct rule_parse *rp, struct sm_list *l, const char *value, uint64_t max,
	       uint8_t extra);
/* Buffer that content-like keywords go to now (cur_buf, or DBUF_PAYLOAD). */
int rp_buffer(const struct rule_parse *rp);
/* Index of a byte_extract variable of this rule, -1 when not one. */
int rp_bytevar(const struct rule_parse *rp, const char *name);
/* Strip surrounding double quotes and resolve \" \; \\ \: into out
 * (NUL-terminated, out has room for strlen(in) + 1).  -1 when a quote is
 * unbalanced. */
int detect_unquote(const char *in, char *out);
/* Unsigned decimal in [0, max]; the whole string (spaces around allowed). */
int detect_parse_u64(const char *s, uint64_t max, uint64_t *v);
struct detect_num;
/* "N", "!N", "<N", "<=N", ">N", ">=N", "N<>M", "N-M" with values <= max. */
int detect_parse_num(const char *s, uint64_t max, struct detect_num *n);

/* ---- parsed values of the keywords (sigmatch ctx), for the matcher ---- */

#define CT_NEGATED      0x0001
#define CT_NOCASE       0x0002
#define CT_DEPTH        0x0004
#define CT_OFFSET       0x0008
#define CT_DISTANCE     0x0010
#define CT_WITHIN       0x0020
#define CT_STARTSWITH   0x0040
#define CT_ENDSWITH     0x0080
#define CT_FAST_PATTERN 0x0100
#define CT_FP_ONLY      0x0200
#define CT_FP_CHOP      0x0400
#define CT_RAWBYTES     0x0800
#define CT_DEPTH_VAR    0x1000  /* depth/offset/distance/within name a byte_extract variable */
#define CT_OFFSET_VAR   0x2000
#define CT_DISTANCE_VAR 0x4000
#define CT_WITHIN_VAR   0x8000

struct detect_content {
	uint8_t *pat;
	uint16_t len;
	uint16_t flags;             /* CT_* */
	int32_t depth, offset, distance, within;    /* or a bytevar index (CT_*_VAR) */
	uint16_t fp_off, fp_len;    /* fast_pattern:off,len (CT_FP_CHOP) */
};

/* Numeric comparison: ttl, dsize, urilen, bsize, itype, window, ... */
enum num_op { NUM_EQ = 0, NUM_NE, NUM_LT, NUM_LE, NUM_GT, NUM_GE, NUM_RANGE /* lo < x < hi */ };
struct detect_num {
	uint8_t op;                 /* enum num_op */
	uint64_t a, b;
	uint8_t extra;              /* keyword specific (urilen: 1 = raw) */
};

#define PCRE_NEGATED  0x01
#define PCRE_RELATIVE 0x02
#define PCRE_RAWBYTES 0x04
#define PCRE_NO_LIMIT 0x08      /* O: no match limit */
struct detect_pcre {
	void *code;                 /* pcre2_code * */
	uint32_t opts;              /* PCRE2 compile options */
	uint8_t flags;              /* PCRE_* */
};

enum byte_kind { BYTE_TEST = 0, BYTE_JUMP, BYTE_EXTRACT };
#define BY_RELATIVE     0x0001
#define BY_LITTLE       0x0002  /* else big endian */
#define BY_STRING       0x0004
#define BY_ALIGN        0x0008
#define BY_FROM_BEGIN   0x0010
#define BY_FROM_END     0x0020
#define BY_DCE          0x0040
#define BY_NEGATED      0x0080  /* byte_test !op */
#define BY_VALUE_VAR    0x0100  /* value / offset are bytevar indexes */
#define BY_OFFSET_VAR   0x0200
#define BY_BITMASK      0x0400
#define BY_NBYTES_VAR   0x0800
struct detect_byte {
	uint8_t kind;               /* enum byte_kind */
	uint8_t nbytes;
	uint8_t base;               /* 8, 10, 16 for string */
	char op;                    /* byte_test: < > = & ^ and 'l' (<=) 'g' (>=) */
	uint16_t flags;             /* BY_* */
	int32_t offset;
	uint64_t value;             /* byte_test value */
	uint32_t multiplier;        /* byte_jump / byte_extract, 1 by default */
	int32_t post_offset;        /* byte_jump */
	uint32_t align;             /* byte_extract: 2 or 4 */
	uint64_t bitmask;
	int var;                    /* byte_extract: its variable index */
};

#define ISDATAAT_NEGATED  0x01
#define ISDATAAT_RELATIVE 0x02
#define ISDATAAT_RAWBYTES 0x04
#define ISDATAAT_VAR      0x08
struct detect_isdataat {
	uint32_t pos;               /* or a bytevar index */
	uint8_t flags;
};

enum transform_kind {
	TR_DOTPREFIX = 0, TR_STRIP_WHITESPACE, TR_COMPRESS_WHITESPACE, TR_TO_LOWERCASE,
	TR_TO_UPPERCASE, TR_URL_DECODE, TR_TO_MD5, TR_TO_SHA1, TR_TO_SHA256,
	TR_STRIP_PSEUDO_HEADERS, TR_HEADER_LOWERCASE,
};
struct detect_transform {
	uint8_t kind;               /* enum transform_kind */
};

struct detect_base64 {
	uint32_t bytes, offset;     /* 0: all */
	bool relative;
};

#define DFLOW_ESTABLISHED     0x0001
#define DFLOW_NOT_ESTABLISHED 0x0002
#define DFLOW_STATELESS       0x0004
#define DFLOW_TOSERVER        0x0008
#define DFLOW_TOCLIENT        0x0010
#define DFLOW_ONLY_STREAM     0x0020
#define DFLOW_NO_STREAM       0x0040
#define DFLOW_ONLY_FRAG       0x0080
#define DFLOW_NO_FRAG         0x0100
struct detect_flow {
	uint16_t flags;
};

enum flowbits_op { FB_SET = 0, FB_ISSET, FB_ISNOTSET, FB_TOGGLE, FB_UNSET, FB_NOALERT };
struct detect_flowbits {
	uint8_t op;
	bool and;                   /* names joined by '&' (else '|': any) */
	char **names;
	size_t nnames;
};

/* xbits:<set|unset|toggle|isset|isnotset>,<name>,track <ip_src|ip_dst|ip_pair>[,expire <s>] */
struct detect_xbits {
	uint8_t op;                 /* FB_SET, FB_UNSET, FB_TOGGLE, FB_ISSET, FB_ISNOTSET */
	uint8_t track;              /* 0 ip_src, 1 ip_dst, 2 ip_pair */
	uint32_t expire;            /* seconds a set bit lasts */
	char *name;
};

enum flowint_op {
	FI_SET = 0, FI_ADD, FI_SUB, FI_EQ, FI_NE, FI_LT, FI_LE, FI_GT, FI_GE,
	FI_ISSET, FI_NOTSET,
};
struct detect_flowint {
	char *name;
	uint8_t op;
	uint64_t value;
	char *value_var;            /* the value is another flowint, or NULL */
};

enum track_by { TRACK_SRC = 0, TRACK_DST, TRACK_RULE, TRACK_BOTH };
enum threshold_type { THR_LIMIT = 0, THR_THRESHOLD, THR_BOTH, THR_DETECTION_FILTER };
struct detect_threshold {
	uint8_t type, track;
	uint32_t count, seconds;
};

struct detect_tag {
	uint8_t session;            /* 1 session, 0 host */
	uint8_t metric;             /* 0 packets, 1 seconds, 2 bytes */
	uint8_t dir;                /* 0 src, 1 dst (host) */
	uint32_t count;
};

/* flags: / fragbits: the bits that must be set, with a modifier and mask */
struct detect_bits {
	uint8_t bits, mask;         /* mask: bits ignored */
	char mod;                   /* 0 exact, '+' these and others, '*' any of, '!' none of */
	bool none;                  /* flags:0 */
};

struct detect_stream_size {
	uint8_t side;               /* 0 server, 1 client, 2 both, 3 either */
	uint8_t op;                 /* enum num_op */
	uint32_t value;
};

struct detect_app_proto {
	uint8_t proto;              /* enum app_proto */
	bool negated;
};

/* ---- keywords ---- */

#define KW_NOVALUE      0x01    /* "nocase;": takes no value */
#define KW_OPTVALUE     0x02    /* value optional */
#define KW_STICKY       0x04    /* switches the current buffer (buffer field) */
#define KW_LEGACY       0x08    /* moves the last content to buffer */
#define KW_QUOTED_OK    0x10    /* value may be in double quotes (stripped) */
#define KW_TRANSFORM    0x20    /* changes the sticky buffer before matching (buffer: kind) */

struct detect_kw {
	const char *name;
	uint16_t flags;
	int buffer;                 /* buffer for uricontent; transform kind for transforms */
	/*
	 * Check value (NULL for KW_NOVALUE keywords) and record it in the rule
	 * being parsed.  0, or -1 with a message in rp->err (no file/line:
	 * the parser adds those).
	 */
	int (*setup)(struct rule_parse *rp, const char *value);
	void (*free)(void *ctx);
	const char *doc;            /* one line, for docs and --list-keywords */
};

/* Every keyword, in one table (detect-keywords.c); NULL name ends it. */
extern const struct detect_kw detect_keywords[];
/* Index of a keyword by name, -1 when unknown. */
int detect_keyword_find(const char *name);

/* Append a match to a list of the rule (keyword index, owned ctx). */
int rule_add_match(struct sm_list *l, int kw, void *ctx);

#endif
