/*
 * detect-engine.h - matching parsed rules against packets.
 *
 * The rule parser (detect-parse.h) gives a struct ruleset; this turns it
 * into something a packet can be checked against quickly, and checks
 * packets.  Two layers, in two files:
 *
 *  - detect-match.c evaluates one list of content-like matches (content,
 *    pcre, byte_test/jump/extract, isdataat, bsize) against one buffer,
 *    with Suricata's relative semantics and backtracking.  It knows nothing
 *    of packets or flows, so app-layer buffers can use it as they come.
 *  - detect-engine.c groups the rules by IP protocol and port, runs the
 *    header and packet tests, the payload list, the HTTP/1 transaction
 *    buffers, flowbits, flowints, thresholds, and hands each alert to the
 *    EVE alert logger (log-alert.c).
 * Before either, the multi-pattern prefilter (detect-prefilter.h) scans
 * each buffer once for the rules' fast patterns, so that only rules whose
 * pattern is there (and those without one) are evaluated.
 *
 * Everything the matcher needs per packet (PCRE2 match data, byte_extract
 * variables, the list of candidate rules) is allocated once with the engine:
 * no allocation happens on the matching path.  Per-flow state (flowbits) is
 * a small, bounded block hung on the flow and freed with it.
 */
#ifndef OT_DETECT_ENGINE_H
#define OT_DETECT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "detect.h"
#include "packet.h"
#include "flow.h"

struct ruleset;
struct jw;

/* ---- one sigmatch list against one buffer (detect-match.c) ---- */

/* Keyword indexes the matcher dispatches on, looked up once. */
struct detect_match_kws {
	int content, uricontent, isdataat, pcre, byte_test, byte_jump, byte_extract, bsize;
	int base64_decode, urilen;
};

/* Scratch for detect_match_buffer(): one per pipeline, reused. */
struct detect_match_ctx {
	struct detect_match_kws k;
	void *md;                   /* pcre2_match_data *, sized once */
	void *mctx;                 /* pcre2_match_context * (match limits) */
	uint64_t vars[DETECT_MAX_BYTEVARS];     /* byte_extract values */
	uint8_t *tbuf[2];           /* transformed buffers */
	uint8_t *b64;               /* what the last base64_decode gave (base64_data) */
	uint32_t b64_len;
	bool b64_done;              /* a base64_decode ran for this rule */
	uint32_t budget;            /* inspections left, against blow-ups */
};

int detect_match_ctx_init(struct detect_match_ctx *m);
void detect_match_ctx_destroy(struct detect_match_ctx *m);

/*
 * Does every match of the list (from sm on) hold on buf, once the list's
 * transforms changed it?  byte_extract variables are written into m->vars
 * (clear them before the first list of a rule).  true on a match.
 */
bool detect_match_buffer(struct detect_match_ctx *m, const struct sigmatch *sm,
			 const uint8_t *buf, uint32_t len);

/* A rule's inspection starts: forget byte_extract values and decoded data. */
void detect_match_rule_start(struct detect_match_ctx *m);

/* Apply transform t (dotprefix, to_lowercase, to_sha256...) to in into
 * out (cap bytes of room); the length written, cut at cap
 * (detect-transform.c). */
uint32_t detect_transform(const struct detect_transform *t, const uint8_t *in, uint32_t len,
			  uint8_t *out, uint32_t cap);

/* The keyword indexes the matcher dispatches on (a keyword table lookup
 * each: find them once and keep them, as struct detect_match_ctx does). */
struct detect_match_kws detect_match_kws_get(void);
/* The first match of the list detect_match_buffer() cannot evaluate, or NULL. */
const struct sigmatch *detect_match_unsupported(const struct detect_match_kws *k,
						const struct sigmatch *sm);
/* Can it evaluate every match of the list?  (Looks the keywords up: for
 * tests; a loop over many rules calls detect_match_unsupported.) */
bool detect_match_supported(const struct sigmatch *sm);

/* Numeric comparison of a detect_num (ttl, dsize, bsize...). */
bool detect_num_match(const struct detect_num *n, uint64_t v);

/* ---- the engine (detect-engine.c) ---- */

struct detect_engine;
struct pf_stats;

/* How the engine is built. */
struct detect_opts {
	bool prefilter;             /* select rules by their fast pattern (detect.prefilter) */
	const char *cache_dir;      /* folder of compiled prefilter databases, NULL: none */
};

/* A transaction detection looks at: an HTTP one from the parser's list, or
 * what a parser hands over with app_tx_ready(). */
struct detect_tx {
	uint8_t proto;              /* enum app_proto */
	int64_t id;
	const void *tx;             /* read with app-http.h, app-dns.h, app-tls.h */
};

/* Called for each alert; the sensor writes it with log_alert().  dir is the
 * direction of what matched (0 flow's a side to b side), which for an
 * app-layer match may not be the packet's; t the transaction that matched
 * (NULL: the packet). */
typedef void (*detect_alert_fn)(void *arg, const struct rule *r, const struct packet *p,
				struct flow *f, int dir, const struct detect_tx *t);

/*
 * An engine for rs (which must outlive it), built as o says (NULL: with
 * the prefilter, without a cache).  Rules it cannot match yet (app-layer
 * buffers) are left out and counted.  NULL on failure.
 */
struct detect_engine *detect_engine_new(const struct ruleset *rs, const struct detect_opts *o,
					detect_alert_fn alert, void *arg);
void detect_engine_free(struct detect_engine *de);
/* Print the rules of rs an engine leaves out, as "file:line sid N
 * [keyword 'k']: loaded, not matched: why", one a line. */
void detect_engine_dump_left_out(const struct ruleset *rs, FILE *out);
/* Rules that can match, and rules left out. */
void detect_engine_counts(const struct detect_engine *de, size_t *active, size_t *skipped);
/* What building the prefilter did (NULL without one), and how many rules
 * it cannot select (evaluated whenever their protocol and ports fit). */
const struct pf_stats *detect_engine_pf_stats(const struct detect_engine *de, size_t *always);

/* Check one decoded packet (with its flow, or NULL) against every rule. */
void detect_packet(struct detect_engine *de, const struct packet *p, struct flow *f);

/*
 * A parser reports side dir (0 client to server) of t ready at progress
 * (applayer.h app_tx_ready); p is the packet that delivered it, or NULL.
 */
void detect_tx(struct detect_engine *de, const struct packet *p, struct flow *f,
	       const struct detect_tx *t, int dir, unsigned progress);

/* A flow ends (after the app layer's flow_end): match what that completed. */
void detect_flow_end(struct detect_engine *de, struct flow *f);
/* Free what detection kept on a flow that ends. */
void detect_flow_free(struct flow *f);

/* ---- reloads: a flow's state from one engine to the next ---- */

/* Flowbits and flowints live on a flow as ids, which are indexes into an
 * engine's sorted names: another engine gives the same name another id. */
enum detect_var_kind { DETECT_VAR_FLOWBIT = 0, DETECT_VAR_FLOWINT, DETECT_VAR_KINDS };
/* The names of kind the engine knows, sorted: a name's index is its id.
 * de may be NULL (none). */
size_t detect_engine_var_names(const struct detect_engine *de, enum detect_var_kind kind,
			       char *const **names);
/* The id of name in de, -1 when de does not keep it (unknown, past the limit). */
int detect_engine_var_id(const struct detect_engine *de, enum detect_var_kind kind,
			 const char *name);
/* Old id -> new id (-1: dropped), per kind. */
struct detect_remap {
	const int *id[DETECT_VAR_KINDS];
	size_t n[DETECT_VAR_KINDS];
};
/* Renumber f's flowbits and flowints with m; the rest of its state (HTTP
 * transaction cursors, pass) stays as it is. */
void detect_flow_remap(struct flow *f, const struct detect_remap *m);
/* A reload swaps `to` in for `from`: state kept outside flows (the xbits of
 * hosts) moves over. */
void detect_engine_carry(struct detect_engine *to, struct detect_engine *from);

/* ---- the EVE alert event (log-alert.c) ---- */

/* Write the alert event of r on p into w (reset first); the 5-tuple is
 * oriented by dir when there is a flow; t (or NULL) is the transaction. */
void log_alert(struct jw *w, const struct ruleset *rs, const struct rule *r,
	       const struct packet *p, const struct flow *f, int dir,
	       const struct detect_tx *t);

#endif
