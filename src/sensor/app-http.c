/*
 * app-http.c - the HTTP/1.x parser: turns the two byte streams of a TCP
 * connection into transactions (one request and its response), writes one
 * EVE "http" event per transaction and raises the anomalies a libhtp-based
 * Suricata raises, under the same names.
 *
 * Each direction runs its own small state machine over lines and bodies;
 * data may arrive split anywhere, so a partial line waits in a fixed 8 KiB
 * buffer and bodies are counted down as they pass.  Transactions are kept in
 * a queue in request order; a response belongs to the oldest transaction
 * whose response has not started (pipelining), and a transaction is logged
 * when both halves are complete, or at the end of the flow.
 *
 * Bodies are read the way libhtp reads them, quirks included, since
 * Suricata's rules and files see what libhtp delivers: transfer decoding
 * here (lenient chunk sizes, "not chunked after all", response heads with
 * CR or LF CR line ends, the bytes after a complete response), content
 * decoding in http-body.c / http-decompress.c; each body is a file
 * (file.c) logged as a fileinfo event when it ends.
 *
 * Everything is bounded: line length, headers per message, bytes kept per
 * message and per flow (http-headers.c), decoders per body (charged to the
 * flow), open transactions, and bytes held back while a CONNECT waits for
 * its answer.  A gap makes the direction
 * close what it was reading and look for the next line that starts a
 * message.  After a CONNECT answered 2xx (or a 101) the bytes are a tunnel:
 * the parser logs the transaction, asks the core to detect the protocol
 * again and ignores the rest.
 */
#include "app-http.h"

#include <stdlib.h>
#include <string.h>

#include "applayer.h"
#include "file.h"
#include "http-body.h"
#include "http-headers.h"
#include "log-file.h"
#include "../lib/util.h"

#define HTTP_MAX_TX       512                /* transactions not yet logged */
#define HTTP_FLOW_MEM     (4u * 1024 * 1024) /* stored bytes per flow */
#define HTTP_PENDING_MAX  (16 * 1024)        /* held while CONNECT waits */

/* Anomaly names, as libhtp/Suricata spell them. */
enum http_ev {
	EV_UNKNOWN_ERROR,
	EV_REQ_MISSING_COLON, EV_RES_MISSING_COLON,
	EV_REQ_CHUNK_LEN, EV_RES_CHUNK_LEN,
	EV_REQ_TE, EV_RES_TE,
	EV_REQ_CL, EV_RES_CL,
	EV_REQ_CL_DUP, EV_RES_CL_DUP,
	EV_100_CONTINUE,
	EV_UNMATCHED,
	EV_REQ_HEADER_INVALID, EV_RES_HEADER_INVALID,
	EV_MISSING_HOST, EV_HOST_AMBIGUOUS,
	EV_REQ_FOLDING, EV_RES_FOLDING,
	EV_REQ_TOO_LONG, EV_RES_TOO_LONG,
	EV_REQ_LINE_INVALID,
	EV_URI_HOST_INVALID, EV_HEADER_HOST_INVALID,
	EV_REQ_REPETITION, EV_RES_REPETITION,
	EV_URI_DELIM, EV_METHOD_DELIM,
	EV_LEADING_WS,
	EV_CHUNKED_OLD_PROTO,
	EV_RES_PROTOCOL, EV_RES_STATUS,
	EV_REQ_LINE_INCOMPLETE,
	EV_REQ_CHUNK_EXT,
	EV_MISSING_PROTOCOL,
	EV_REQ_TOO_MANY_HEADERS, EV_RES_TOO_MANY_HEADERS,
	EV_TOO_MANY_TX,
	EV_COUNT
};

_Static_assert(EV_COUNT <= 64, "events are a 64-bit mask");

static const char *const ev_name[EV_COUNT] = {
	[EV_UNKNOWN_ERROR] = "UNKNOWN_ERROR",
	[EV_REQ_MISSING_COLON] = "REQUEST_FIELD_MISSING_COLON",
	[EV_RES_MISSING_COLON] = "RESPONSE_FIELD_MISSING_COLON",
	[EV_REQ_CHUNK_LEN] = "INVALID_REQUEST_CHUNK_LEN",
	[EV_RES_CHUNK_LEN] = "INVALID_RESPONSE_CHUNK_LEN",
	[EV_REQ_TE] = "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST",
	[EV_RES_TE] = "INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE",
	[EV_REQ_CL] = "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST",
	[EV_RES_CL] = "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE",
	[EV_REQ_CL_DUP] = "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST",
	[EV_RES_CL_DUP] = "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE",
	[EV_100_CONTINUE] = "100_CONTINUE_ALREADY_SEEN",
	[EV_UNMATCHED] = "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST",
	[EV_REQ_HEADER_INVALID] = "REQUEST_HEADER_INVALID",
	[EV_RES_HEADER_INVALID] = "RESPONSE_HEADER_INVALID",
	[EV_MISSING_HOST] = "MISSING_HOST_HEADER",
	[EV_HOST_AMBIGUOUS] = "HOST_HEADER_AMBIGUOUS",
	[EV_REQ_FOLDING] = "INVALID_REQUEST_FIELD_FOLDING",
	[EV_RES_FOLDING] = "INVALID_RESPONSE_FIELD_FOLDING",
	[EV_REQ_TOO_LONG] = "REQUEST_FIELD_TOO_LONG",
	[EV_RES_TOO_LONG] = "RESPONSE_FIELD_TOO_LONG",
	[EV_REQ_LINE_INVALID] = "REQUEST_LINE_INVALID",
	[EV_URI_HOST_INVALID] = "REQUEST_URI_HOST_INVALID",
	[EV_HEADER_HOST_INVALID] = "REQUEST_HEADER_HOST_INVALID",
	[EV_REQ_REPETITION] = "REQUEST_HEADER_REPETITION",
	[EV_RES_REPETITION] = "RESPONSE_HEADER_REPETITION",
	[EV_URI_DELIM] = "URI_DELIM_NON_COMPLIANT",
	[EV_METHOD_DELIM] = "METHOD_DELIM_NON_COMPLIANT",
	[EV_LEADING_WS] = "REQUEST_LINE_LEADING_WHITESPACE",
	[EV_CHUNKED_OLD_PROTO] = "RESPONSE_CHUNKED_OLD_PROTO",
	[EV_RES_PROTOCOL] = "RESPONSE_INVALID_PROTOCOL",
	[EV_RES_STATUS] = "RESPONSE_INVALID_STATUS",
	[EV_REQ_LINE_INCOMPLETE] = "REQUEST_LINE_INCOMPLETE",
	[EV_REQ_CHUNK_EXT] = "REQUEST_CHUNK_EXTENSION",
	[EV_MISSING_PROTOCOL] = "REQUEST_LINE_MISSING_PROTOCOL",
	[EV_REQ_TOO_MANY_HEADERS] = "REQUEST_TOO_MANY_HEADERS",
	[EV_RES_TOO_MANY_HEADERS] = "RESPONSE_TOO_MANY_HEADERS",
	[EV_TOO_MANY_TX] = "TOO_MANY_TRANSACTIONS",
};

/* The request-side event when dir is APP_TOSERVER, else the response one
 * (the enum lists each pair request first). */
#define EV_DIR(ev, dir) ((enum http_ev)((ev) + ((dir) == APP_TOCLIENT)))

enum pstate {
	S_LINE,          /* request line / status line */
	S_PROBE09,       /* request line had no protocol: 0.9, or headers follow? */
	S_HEADERS,
	S_BODY,          /* d->left bytes of body */
	S_BODY_CLOSE,    /* response body until the connection closes */
	S_CHUNK_LEN,
	S_CHUNK_DATA,
	S_CHUNK_END,     /* the CRLF after chunk data */
	S_TRAILER,
	S_CONNECT_WAIT,  /* CONNECT sent: hold request bytes until answered */
	S_SKIP,          /* after a gap: skip lines until one starts a message */
	S_FINAL,         /* response complete: the rest of its line may be body */
	S_STOP,
};

enum { M_OTHER, M_UNKNOWN, M_GET, M_HEAD, M_CONNECT };

#define TX_RES_STARTED 0x10
#define TX_NOREQ       0x20
#define TX_09          0x40
#define TX_RES_HEAD    0x80   /* the final response's head is complete */

struct http_tx {
	struct http_tx *next;
	uint64_t id;
	uint64_t events;        /* anomalies already raised (bit per http_ev) */
	struct http_msg req, res;
	struct http_body body[2];   /* decoding of each direction's body */
	struct app_file file[2];    /* each direction's body as a file */
	struct http_span host;  /* in req's store */
	int port;
	int status;
	uint8_t method;
	uint8_t flags;
	uint8_t n100;
	int8_t proto;           /* request protocol: 9, 10, 11..., -1 invalid */
	int8_t res_proto;
};

struct http_dir {
	int dir;
	enum pstate st;
	bool line_over;         /* the line being read went past HTTP_LINE_MAX */
	bool over;              /* the line just returned was cut */
	bool blank;             /* the line just returned was only CRs: ignored */
	int peek;               /* the byte after that line, -1 when not known yet */
	bool lfcr;              /* a response head line ended in LF CR */
	uint32_t line_len;
	uint64_t raw;           /* bytes of the line being read, terminator included */
	uint64_t left;          /* body or chunk bytes still to come */
	struct http_tx *tx;     /* message being read */
	uint8_t line[HTTP_LINE_MAX];
};

struct http_state {
	struct http_tx *head, *tail;
	uint64_t next_id;
	unsigned open;          /* transactions not yet logged */
	struct http_mem mem;
	uint64_t events;        /* anomalies raised outside a transaction */
	uint8_t *pending;       /* request bytes held while CONNECT waits */
	size_t pending_len;
	bool pending_lost;
	bool stopped, error, ended;
	struct http_dir d[2];
	uint32_t body_limit[2];     /* from the configuration, each parse call */
};

static void feed(struct http_state *st, struct app_ctx *ctx, int dir,
		 const uint8_t *p, size_t n);

/* ---- small helpers ---------------------------------------------------- */

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static struct http_msg *dir_msg(struct http_tx *tx, int dir)
{
	return dir == APP_TOSERVER ? &tx->req : &tx->res;
}

static void raise_ev(struct http_state *st, struct app_ctx *ctx, int dir,
		     struct http_tx *tx, enum http_ev ev)
{
	uint64_t bit = 1ULL << ev;
	uint64_t *seen = tx ? &tx->events : &st->events;
	if (*seen & bit)
		return;
	*seen |= bit;
	app_anomaly(ctx, "http", dir, tx ? (int64_t)tx->id : -1, ev_name[ev]);
}

static void stop(struct http_state *st)
{
	st->stopped = true;
	st->d[0].st = S_STOP;
	st->d[1].st = S_STOP;
}

static const char *const methods[] = {
	"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE",
	"PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
	"UNLOCK", "SEARCH", "REPORT", "CHECKOUT", "UNCHECKOUT", "CHECKIN",
	"MERGE", "MKACTIVITY", "MKWORKSPACE", "VERSION-CONTROL",
	"BASELINE-CONTROL", "UPDATE", "LABEL", "ACL", "BIND", "UNBIND",
	"REBIND", "MKCALENDAR", "ORDERPATCH",
};

/* 1: p starts with "<METHOD> ", 0: it cannot, -1: too short to tell. */
static int method_prefix(const uint8_t *p, size_t n)
{
	int r = 0;
	for (size_t i = 0; i < OT_ARRAY_LEN(methods); i++) {
		size_t ml = strlen(methods[i]);
		size_t k = OT_MIN(n, ml);
		if (memcmp(p, methods[i], k) != 0)
			continue;
		if (n <= ml)
			r = -1;
		else if (p[ml] == ' ')
			return 1;
	}
	return r;
}

static int method_id(const uint8_t *p, size_t n)
{
	if (n == 3 && !memcmp(p, "GET", 3))
		return M_GET;
	if (n == 4 && !memcmp(p, "HEAD", 4))
		return M_HEAD;
	if (n == 7 && !memcmp(p, "CONNECT", 7))
		return M_CONNECT;
	for (size_t i = 0; i < OT_ARRAY_LEN(methods); i++)
		if (strlen(methods[i]) == n && !memcmp(p, methods[i], n))
			return M_OTHER;
	return M_UNKNOWN;
}

/* "HTTP/1.1" -> 11; -1 when not of the form HTTP/d.d */
static int parse_proto(const uint8_t *p, size_t n)
{
	if (n != 8 || !http_memeq_nocase(p, 5, "http/") || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -1;
	return (p[5] - '0') * 10 + (p[7] - '0');
}

/* Does a response stream start with a status line?  1 yes, 0 no, -1 not
 * yet known.  Leading whitespace is allowed, as libhtp allows it; "ICY " is
 * the SHOUTcast spelling libhtp also accepts. */
static int status_prefix(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	uint8_t pre[4];
	size_t k = 0;
	for (size_t i = 0; i < an + bn && k < sizeof(pre); i++) {
		uint8_t c = i < an ? a[i] : b[i - an];
		if (k == 0 && (is_ws(c) || !c))
			continue;
		pre[k++] = c;
	}
	bool h = true, icy = true;
	for (size_t j = 0; j < k; j++) {
		h = h && (pre[j] | 0x20) == (uint8_t)"http"[j];
		icy = icy && (j == 3 ? pre[j] == ' ' : (pre[j] | 0x20) == (uint8_t)"icy"[j]);
	}
	if (!h && !icy)
		return 0;
	return k == sizeof(pre) ? 1 : -1;
}

/* ---- transactions ----------------------------------------------------- */

static struct http_tx *tx_new(struct http_state *st, struct app_ctx *ctx, int dir)
{
	if (st->open >= HTTP_MAX_TX) {
		raise_ev(st, ctx, dir, NULL, EV_TOO_MANY_TX);
		st->error = true;
		stop(st);
		return NULL;
	}
	struct http_tx *tx = calloc(1, sizeof(*tx));
	if (!tx) {
		raise_ev(st, ctx, dir, NULL, EV_UNKNOWN_ERROR);
		st->error = true;
		stop(st);
		return NULL;
	}
	tx->id = st->next_id++;
	tx->port = -1;
	tx->status = -1;
	tx->proto = -1;
	tx->res_proto = -1;
	tx->req.cl = HTTP_CL_NONE;
	tx->res.cl = HTTP_CL_NONE;
	if (st->tail)
		st->tail->next = tx;
	else
		st->head = tx;
	st->tail = tx;
	st->open++;
	return tx;
}

static void tx_free(struct http_state *st, struct http_tx *tx)
{
	http_msg_free(&tx->req, &st->mem);
	http_msg_free(&tx->res, &st->mem);
	for (int dir = 0; dir < 2; dir++) {
		http_body_free(&tx->body[dir], &st->mem);
		file_free(&tx->file[dir]);
	}
	free(tx);
}

/* Free the logged transactions at the head of the queue. */
static void reap(struct http_state *st)
{
	while (st->head && (st->head->flags & HTTP_TX_LOGGED)) {
		struct http_tx *tx = st->head;
		st->head = tx->next;
		if (!st->head)
			st->tail = NULL;
		tx_free(st, tx);
	}
}

static void put_hdr(struct jw *w, const char *key, const struct http_msg *m,
		    const char *name)
{
	struct http_span v;
	if (http_msg_header(m, name, &v))
		jw_strn(w, key, http_msg_ptr(m, v), v.len);
}

static bool parse_num(const uint8_t *p, size_t n, size_t *i, int64_t *v)
{
	size_t s = *i;
	*v = 0;
	while (*i < n && p[*i] >= '0' && p[*i] <= '9' && *v < INT64_MAX / 10 - 10)
		*v = *v * 10 + (p[(*i)++] - '0');
	return *i > s;
}

/* Content-Range: "bytes 500-1000/146515", "bytes * / 100" (no spaces), ... */
static void put_content_range(struct jw *w, const uint8_t *p, size_t n)
{
	jw_obj_open(w, "content_range");
	jw_strn(w, "raw", p, n);
	size_t i = 0;
	while (i < n && is_ws(p[i]))
		i++;
	if (n - i >= 5 && http_memeq_nocase(p + i, 5, "bytes"))
		i += 5;
	while (i < n && is_ws(p[i]))
		i++;
	int64_t start = -1, end = -1, size = -1;
	bool ok = true;
	if (i < n && p[i] == '*') {
		i++;
	} else {
		ok = parse_num(p, n, &i, &start) && i < n && p[i++] == '-' &&
		     parse_num(p, n, &i, &end);
	}
	ok = ok && i < n && p[i++] == '/';
	if (ok && i < n && p[i] == '*')
		i++;
	else if (ok)
		ok = parse_num(p, n, &i, &size);
	if (ok) {
		if (start >= 0)
			jw_uint(w, "start", (uint64_t)start);
		if (end >= 0)
			jw_uint(w, "end", (uint64_t)end);
		if (size >= 0)
			jw_uint(w, "size", (uint64_t)size);
	}
	jw_obj_close(w);
}

/* The "http" object of the http and fileinfo events, Suricata's extended
 * field set. */
static void http_obj(struct jw *w, const void *arg)
{
	const struct http_tx *tx = arg;
	const struct http_msg *rq = &tx->req, *rs = &tx->res;
	struct http_span v;
	jw_obj_open(w, "http");
	if (tx->host.len)
		jw_strn(w, "hostname", http_msg_ptr(rq, tx->host), tx->host.len);
	if (tx->port >= 0)
		jw_uint(w, "http_port", (uint64_t)tx->port);
	if (rq->flags & HTTP_MSG_LINE)
		jw_strn(w, "url", http_msg_ptr(rq, rq->part[1]), rq->part[1].len);
	put_hdr(w, "http_user_agent", rq, "user-agent");
	if (http_msg_header(rs, "content-type", &v)) {
		const uint8_t *p = http_msg_ptr(rs, v);
		const uint8_t *semi = memchr(p, ';', v.len);
		jw_strn(w, "http_content_type", p, semi ? (size_t)(semi - p) : v.len);
	}
	if (http_msg_header(rs, "content-range", &v))
		put_content_range(w, http_msg_ptr(rs, v), v.len);
	put_hdr(w, "http_refer", rq, "referer");
	if (rq->flags & HTTP_MSG_LINE) {
		if (rq->part[0].len)
			jw_strn(w, "http_method", http_msg_ptr(rq, rq->part[0]),
				rq->part[0].len);
		if (rq->part[2].len)
			jw_strn(w, "protocol", http_msg_ptr(rq, rq->part[2]), rq->part[2].len);
	}
	if (rs->flags & HTTP_MSG_LINE) {
		if (tx->status >= 0)
			jw_uint(w, "status", (uint64_t)tx->status);
		else if (rs->part[1].len)
			jw_strn(w, "status_string", http_msg_ptr(rs, rs->part[1]),
				rs->part[1].len);
		put_hdr(w, "redirect", rs, "location");
	}
	jw_uint(w, "length", rs->wire_len);
	jw_obj_close(w);
}

/* The same object in an alert on the transaction (app_parser.log_tx). */
static void http_alert_obj(struct jw *w, const void *tx, const struct flow *f)
{
	http_obj(w, tx);
}

static void log_tx(struct app_ctx *ctx, struct http_tx *tx)
{
	http_obj(app_event_begin(ctx, "http", APP_TOSERVER, (int64_t)tx->id), tx);
	app_event_end(ctx);
}

/* ---- bodies and files --------------------------------------------------- */

struct body_out {
	struct http_state *st;
	struct http_tx *tx;
	int dir;
};

/* The name of a body as a file: Content-Disposition's, else the URI path. */
static void file_begin(struct http_tx *tx, int dir)
{
	const struct http_msg *m = dir_msg(tx, dir), *rq = &tx->req;
	struct http_span v;
	size_t off = 0, len = 0;
	const uint8_t *base = http_msg_ptr(rq, rq->part[1]);
	if (http_msg_header_lax(m, "content-disposition", &v) &&
	    http_disposition_filename(http_msg_ptr(m, v), v.len, &off, &len)) {
		base = http_msg_ptr(m, v);
	} else {
		http_uri_path(base, rq->part[1].len, &off, &len);
	}
	file_open(&tx->file[dir], base + off, len, tx->id, dir);
}

/* As Suricata: every response body is a file, a request body only when
 * it is a PUT's or a POST's other than a multipart form (whose parts
 * would be the files: not parsed). */
static bool body_is_file(const struct http_tx *tx, int dir)
{
	if (dir == APP_TOCLIENT)
		return true;
	const struct http_msg *m = &tx->req;
	const uint8_t *meth = http_msg_ptr(m, m->part[0]);
	if (m->part[0].len == 3 && !memcmp(meth, "PUT", 3))
		return true;
	if (m->part[0].len != 4 || memcmp(meth, "POST", 4))
		return false;
	struct http_span v;
	return !http_msg_header(m, "content-type", &v) ||
	       !(v.len >= 10 && http_memeq_nocase(http_msg_ptr(m, v), 10, "multipart/"));
}

/* Decoded body bytes: kept for the rules, counted in the file. */
static void body_out(void *arg, const uint8_t *p, size_t n)
{
	struct body_out *o = arg;
	struct http_tx *tx = o->tx;
	struct http_msg *m = dir_msg(tx, o->dir);
	http_msg_keep_body(m, &o->st->mem, p, n, o->st->body_limit[o->dir]);
	if (tx->file[o->dir].state == FILE_NONE && body_is_file(tx, o->dir))
		file_begin(tx, o->dir);
	file_data(&tx->file[o->dir], n);
}

/* Transfer-decoded body bytes of direction dir. */
static void body_in(struct http_state *st, struct http_tx *tx, int dir,
		    const uint8_t *p, size_t n)
{
	struct body_out o = { st, tx, dir };
	http_body_data(&tx->body[dir], p, n, body_out, &o);
}

/*
 * Body bytes lost: the file has gaps (and will end TRUNCATED, as in
 * Suricata); they count in its size while the body is not decoded, since
 * then a byte lost is a byte of the file.
 */
static void body_gap(struct http_tx *tx, int dir, uint64_t n)
{
	struct app_file *f = &tx->file[dir];
	if (f->state == FILE_NONE && body_is_file(tx, dir))
		file_begin(tx, dir);
	file_gap(f, tx->body[dir].z ? 0 : n);
}

/* The head is complete and a body follows: set up its decoding. */
static void body_start(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx,
		       int dir)
{
	struct http_span v;
	const struct http_msg *m = dir_msg(tx, dir);
	/* as Suricata's libhtp: only responses are decompressed */
	if (dir != APP_TOCLIENT || !http_msg_header_lax(m, "content-encoding", &v))
		return;
	uint32_t limit = ctx->cfg ? ctx->cfg->http_decompress_layers
				  : APP_CFG_HTTP_LAYERS_DEFAULT;
	http_body_start(&tx->body[dir], &st->mem, http_msg_ptr(m, v), v.len, limit);
}

/* The body of direction dir ended: flush it, close and log its file. */
static void body_end(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx,
		     int dir, enum file_state how)
{
	struct body_out o = { st, tx, dir };
	http_body_end(&tx->body[dir], &st->mem, body_out, &o);
	if (file_close(&tx->file[dir], how))
		log_fileinfo(ctx, "http", &tx->file[dir], http_obj, tx);
}

static void msg_body_end(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx,
			 int dir)
{
	bool cut = dir_msg(tx, dir)->flags & (HTTP_MSG_TRUNCATED | HTTP_MSG_GAP);
	body_end(st, ctx, tx, dir, cut ? FILE_TRUNCATED : FILE_CLOSED);
}

static void try_log(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx)
{
	unsigned both = HTTP_TX_REQUEST_DONE | HTTP_TX_RESPONSE_DONE;
	if ((tx->flags & both) != both || (tx->flags & HTTP_TX_LOGGED))
		return;
	log_tx(ctx, tx);
	tx->flags |= HTTP_TX_LOGGED;
	st->open--;
}

/* Log every transaction not logged yet, finished or not, in order. */
static void log_open(struct http_state *st, struct app_ctx *ctx)
{
	for (struct http_tx *tx = st->head; tx; tx = tx->next)
		if (!(tx->flags & HTTP_TX_LOGGED)) {
			body_end(st, ctx, tx, APP_TOSERVER, FILE_TRUNCATED);
			body_end(st, ctx, tx, APP_TOCLIENT, FILE_TRUNCATED);
			log_tx(ctx, tx);
			tx->flags |= HTTP_TX_LOGGED;
			st->open--;
		}
}

static void req_done(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx)
{
	struct http_dir *d = &st->d[APP_TOSERVER];
	msg_body_end(st, ctx, tx, APP_TOSERVER);
	tx->flags |= HTTP_TX_REQUEST_DONE;
	if (d->tx == tx) {
		d->tx = NULL;
		if (d->st != S_STOP)
			d->st = S_LINE;
	}
	try_log(st, ctx, tx);
}

static void res_done(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx)
{
	struct http_dir *d = &st->d[APP_TOCLIENT];
	msg_body_end(st, ctx, tx, APP_TOCLIENT);
	tx->flags |= HTTP_TX_RESPONSE_DONE | TX_RES_STARTED;
	if (d->tx == tx) {
		d->tx = NULL;
		if (d->st != S_STOP)
			d->st = S_LINE;
	}
	try_log(st, ctx, tx);
}

static void msg_done(struct http_state *st, struct app_ctx *ctx, struct http_dir *d)
{
	struct http_tx *tx = d->tx;
	if (!tx) {
		d->st = S_LINE;
		return;
	}
	if (d->dir == APP_TOSERVER)
		req_done(st, ctx, tx);
	else
		res_done(st, ctx, tx);
}

/*
 * A message ended as its framing said.  A response waits in S_FINAL for
 * what follows in the same delivery (libhtp's RES_FINALIZE, see
 * res_final()); a request is done at once.
 */
static void msg_complete(struct http_state *st, struct app_ctx *ctx, struct http_dir *d)
{
	if (d->dir == APP_TOCLIENT && d->tx)
		d->st = S_FINAL;
	else
		msg_done(st, ctx, d);
}

static void req_host(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx,
		     bool quiet);

/* Close the message in progress as cut short and resynchronise. */
static void msg_cut(struct http_state *st, struct app_ctx *ctx, struct http_dir *d)
{
	if (d->tx) {
		struct http_msg *m = dir_msg(d->tx, d->dir);
		http_msg_header_end(m, &st->mem);
		if (d->dir == APP_TOSERVER && d->st == S_HEADERS)
			req_host(st, ctx, d->tx, true);   /* what the head had */
		m->flags |= HTTP_MSG_TRUNCATED;
		msg_done(st, ctx, d);
	}
	d->line_len = 0;
	d->line_over = false;
	d->raw = 0;
	if (d->st != S_STOP)
		d->st = S_SKIP;
}

/* ---- lines ------------------------------------------------------------ */

/*
 * Collect bytes up to and including LF.  Returns true when a line is
 * complete, with *line and *len its text without CR LF (cut to HTTP_LINE_MAX,
 * d->over then set); *used is what was consumed.
 */
/*
 * Where a response's head line ends, as libhtp reads it: at LF, or at a CR
 * that is not the line's first byte and is followed by neither LF nor CR.  Returns the
 * offset of the terminator in p, or n when the line goes on.
 */
static size_t res_eol(const struct http_dir *d, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			return i;
		if (p[i] == '\r' && i + 1 < n && p[i + 1] != '\n' && p[i + 1] != '\r' &&
		    d->line_len + i > 0)
			return i;
	}
	return n;
}

static bool take_line(struct http_dir *d, const uint8_t *p, size_t n, size_t *used,
		      const uint8_t **line, size_t *len)
{
	/* response heads: a CR alone ends a line too, and a line of CRs only
	 * is no line at all (libhtp) */
	bool cr = d->dir == APP_TOCLIENT && d->st != S_CHUNK_LEN && d->st != S_CHUNK_END &&
		  d->st != S_SKIP;
	bool by_cr = true;
	size_t orig = 0;
	d->blank = false;
	if (cr && d->line_len > 1 && d->line[d->line_len - 1] == '\r' && !d->line_over &&
	    n && p[0] != '\n' && p[0] != '\r') {
		/* a CR that ended the last call ends the line */
		*used = 0;
		*line = d->line;
		*len = d->line_len - 1;
		d->over = false;
		d->line_len = 0;
		goto chomp;
	}
	size_t eol = cr ? res_eol(d, p, n) : n;
	const uint8_t *lf = cr ? (eol < n ? p + eol : NULL) : memchr(p, '\n', n);
	size_t take = lf ? (size_t)(lf - p) + 1 : n;
	size_t content = lf ? take - 1 : take;
	by_cr = lf && *lf == '\r';
	*used = take;
	d->raw += take;
	d->over = false;
	if (lf && d->line_len == 0 && !d->line_over) {
		*line = p;
		*len = content;
		if (content > HTTP_LINE_MAX) {
			*len = HTTP_LINE_MAX;
			d->over = true;
		}
	} else {
		size_t room = HTTP_LINE_MAX - d->line_len;
		size_t k = OT_MIN(content, room);
		memcpy(d->line + d->line_len, p, k);
		d->line_len += (uint32_t)k;
		if (content > room)
			d->line_over = true;
		if (!lf)
			return false;
		*line = d->line;
		*len = d->line_len;
		d->over = d->line_over;
		d->line_len = 0;
		d->line_over = false;
	}
	orig = *len;
	if (*len && (*line)[*len - 1] == '\r' && !d->over)
		(*len)--;
	if (!cr)
		return true;
	/* libhtp: in a response head, LF CR is one line end */
	if (d->st == S_HEADERS && !by_cr && orig == *len && take < n && p[take] == '\r') {
		(*used)++;
		d->raw++;
		d->lfcr = true;
	}
chomp:
	while (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	/* "" and "\r" before LF are the empty line; other CR runs are nothing */
	d->blank = *len == 0 && (by_cr || orig > 1);
	return true;
}

static bool all_ws(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_ws(p[i]))
			return false;
	return true;
}

/* Find host and port (URI first, then Host) and keep the normalised name. */
static void req_host(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx,
		     bool quiet)
{
	struct http_msg *m = &tx->req;
	const uint8_t *uri = http_msg_ptr(m, m->part[1]);
	size_t ulen = m->part[1].len;
	struct http_hostport uh = { 0, 0, -1 }, hh = { 0, 0, -1 };
	uint32_t ubase = m->part[1].off, hbase = 0;
	bool have_u = false, have_h = false;

	size_t as = 0, ae = 0;
	if (tx->method == M_CONNECT) {
		ae = ulen;
	} else {
		size_t i = 0;
		while (i < ulen && ((uri[i] | 0x20) >= 'a' && (uri[i] | 0x20) <= 'z'))
			i++;
		if (i > 0 && ulen - i >= 3 && !memcmp(uri + i, "://", 3)) {
			as = ae = i + 3;
			while (ae < ulen && uri[ae] != '/' && uri[ae] != '?' && uri[ae] != '#')
				ae++;
			for (size_t k = ae; k > as; k--)
				if (uri[k - 1] == '@') {
					as = k;
					break;
				}
		}
	}
	if (ae > as) {
		if (http_parse_hostport(uri + as, ae - as, &uh) < 0 && !quiet)
			raise_ev(st, ctx, APP_TOSERVER, tx, EV_URI_HOST_INVALID);
		uh.off += as;
		have_u = uh.len > 0;
	}
	struct http_span hv;
	if (http_msg_header(m, "host", &hv)) {
		if (http_parse_hostport(http_msg_ptr(m, hv), hv.len, &hh) < 0 && !quiet)
			raise_ev(st, ctx, APP_TOSERVER, tx, EV_HEADER_HOST_INVALID);
		hbase = hv.off;
		have_h = hh.len > 0;
	} else if (tx->proto >= 11 && !quiet) {
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_MISSING_HOST);
	}
	uint32_t off;
	size_t len;
	if (have_u) {
		off = ubase + (uint32_t)uh.off;
		len = uh.len;
		tx->port = uh.port;
		if (have_h) {
			const uint8_t *a = m->buf + off, *b = m->buf + hbase + hh.off;
			bool same = hh.len == uh.len;
			for (size_t i = 0; same && i < len; i++)
				same = (a[i] | 0x20) == (b[i] | 0x20);
			if ((!same || (uh.port >= 0 && hh.port >= 0 && uh.port != hh.port)) &&
			    !quiet)
				raise_ev(st, ctx, APP_TOSERVER, tx, EV_HOST_AMBIGUOUS);
		}
	} else if (have_h) {
		off = hbase + (uint32_t)hh.off;
		len = hh.len;
		tx->port = hh.port;
	} else {
		return;
	}
	while (len > 0 && m->buf[off + len - 1] == '.')
		len--;
	if (!len || http_msg_dup(m, &st->mem, off, (uint32_t)len, &tx->host))
		return;
	for (uint32_t i = 0; i < tx->host.len; i++) {
		uint8_t *c = &m->buf[tx->host.off + i];
		if (*c >= 'A' && *c <= 'Z')
			*c += 32;
	}
}

static void req_line(struct http_state *st, struct app_ctx *ctx,
		     struct http_dir *d, const uint8_t *line, size_t len)
{
	size_t s = 0;
	while (s < len && is_ws(line[s]))
		s++;
	if (s == len)
		return;   /* empty lines between requests are ignored */
	struct http_tx *tx = d->tx ? d->tx : tx_new(st, ctx, APP_TOSERVER);
	if (!tx)
		return;
	d->tx = tx;
	if (s)
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_LEADING_WS);
	if (d->over)
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_REQ_TOO_LONG);
	line += s;
	len -= s;
	struct http_msg *m = &tx->req;
	if (http_msg_put(m, &st->mem, line, len, &m->line)) {
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_UNKNOWN_ERROR);
		m->line.len = 0;
		len = 0;
	}
	m->flags |= HTTP_MSG_LINE;
	uint32_t base = m->line.off;
	size_t i = 0, ms, me, us, ue;
	while (i < len && !is_ws(line[i]))
		i++;
	ms = 0;
	me = i;
	bool bad = false;
	while (i < len && is_ws(line[i]))
		bad |= line[i++] != ' ';
	if (bad)
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_METHOD_DELIM);
	us = i;
	while (i < len && line[i] != ' ')
		i++;
	ue = i;
	/* some stacks delimit the URI with other whitespace: accept it */
	for (size_t k = us; k < ue; k++)
		if (is_ws(line[k])) {
			raise_ev(st, ctx, APP_TOSERVER, tx, EV_URI_DELIM);
			if (ue == len)
				ue = k;
			break;
		}
	i = ue;
	while (i < len && is_ws(line[i]))
		i++;
	size_t ps = i, pe = len;
	while (pe > ps && is_ws(line[pe - 1]))
		pe--;
	m->part[0] = (struct http_span){ base + (uint32_t)ms, (uint32_t)(me - ms) };
	m->part[1] = (struct http_span){ base + (uint32_t)us, (uint32_t)(ue - us) };
	m->part[2] = (struct http_span){ base + (uint32_t)ps, (uint32_t)(pe - ps) };
	tx->method = (uint8_t)method_id(line + ms, me - ms);
	if (pe == ps) {
		tx->proto = 9;
		if (tx->method == M_UNKNOWN)
			raise_ev(st, ctx, APP_TOSERVER, tx, EV_REQ_LINE_INVALID);
		d->st = S_PROBE09;
		return;
	}
	tx->proto = (int8_t)parse_proto(line + ps, pe - ps);
	d->st = S_HEADERS;
}

static void connect_release(struct http_state *st, struct app_ctx *ctx)
{
	struct http_dir *rq = &st->d[APP_TOSERVER];
	if (rq->st != S_CONNECT_WAIT)
		return;
	rq->st = st->pending_lost ? S_SKIP : S_LINE;
	uint8_t *buf = st->pending;
	size_t n = st->pending_len;
	st->pending = NULL;
	st->pending_len = 0;
	st->pending_lost = false;
	if (buf) {
		st->mem.used -= HTTP_PENDING_MAX;
		feed(st, ctx, APP_TOSERVER, buf, n);
		free(buf);
	}
}

static void pending_add(struct http_state *st, const uint8_t *p, size_t n)
{
	if (!st->pending) {
		if (st->mem.used + HTTP_PENDING_MAX > st->mem.max ||
		    !(st->pending = malloc(HTTP_PENDING_MAX))) {
			st->pending_lost = true;
			return;
		}
		st->mem.used += HTTP_PENDING_MAX;
	}
	size_t k = OT_MIN(n, HTTP_PENDING_MAX - st->pending_len);
	memcpy(st->pending + st->pending_len, p, k);
	st->pending_len += k;
	if (k < n)
		st->pending_lost = true;
}

static void req_headers_done(struct http_state *st, struct app_ctx *ctx,
			     struct http_dir *d)
{
	struct http_tx *tx = d->tx;
	struct http_msg *m = &tx->req;
	req_host(st, ctx, tx, false);
	if (tx->method == M_CONNECT) {
		bool answered = tx->flags & TX_RES_HEAD;
		req_done(st, ctx, tx);
		if (!answered && !st->stopped)
			d->st = S_CONNECT_WAIT;
		return;
	}
	if (m->flags & HTTP_MSG_TE) {
		if (m->flags & HTTP_MSG_TE_CHUNKED) {
			d->st = S_CHUNK_LEN;
			return;
		}
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_REQ_TE);
	}
	if (m->cl == HTTP_CL_INVALID)
		raise_ev(st, ctx, APP_TOSERVER, tx, EV_REQ_CL);
	if (m->cl > 0) {
		d->left = (uint64_t)m->cl;
		d->st = S_BODY;
		return;
	}
	req_done(st, ctx, tx);
}

/*
 * No more request bytes will come: a request line cut short still counts,
 * as in libhtp, and a protocol-less one is HTTP/0.9.
 */
static void req_flush(struct http_state *st, struct app_ctx *ctx)
{
	struct http_dir *rq = &st->d[APP_TOSERVER];
	if (rq->st == S_LINE && rq->line_len && !all_ws(rq->line, rq->line_len)) {
		rq->over = rq->line_over;
		req_line(st, ctx, rq, rq->line, rq->line_len);
		rq->line_len = 0;
		if (rq->tx)
			raise_ev(st, ctx, APP_TOSERVER, rq->tx, EV_REQ_LINE_INCOMPLETE);
	}
	if (rq->st == S_PROBE09 && rq->tx) {
		rq->tx->flags |= TX_09;
		req_done(st, ctx, rq->tx);
	}
}

/*
 * The connection stops being HTTP/1 after this response (CONNECT 2xx, 101):
 * finish and log everything now, since no more bytes will come to us.
 */
static void tunnel(struct http_state *st, struct app_ctx *ctx, struct http_tx *tx)
{
	struct http_dir *rq = &st->d[APP_TOSERVER];
	res_done(st, ctx, tx);
	req_flush(st, ctx);
	if (rq->tx)
		msg_cut(st, ctx, rq);
	log_open(st, ctx);
	stop(st);
}

static void res_headers_done(struct http_state *st, struct app_ctx *ctx,
			     struct http_dir *d)
{
	struct http_tx *tx = d->tx;
	struct http_msg *m = &tx->res;
	int status = tx->status;
	/* as libhtp: a 1xx, 204 or 304 with framing headers has a body */
	bool framed = m->cl != HTTP_CL_NONE || (m->flags & HTTP_MSG_TE);
	if (status >= 100 && status <= 199 && status != 101 && !framed) {
		/* interim response: the real one follows for the same request */
		if (status == 100 && tx->n100++)
			raise_ev(st, ctx, APP_TOCLIENT, tx, EV_100_CONTINUE);
		http_msg_reset(m, &st->mem);
		m->cl = HTTP_CL_NONE;
		tx->status = -1;
		d->st = S_LINE;
		return;
	}
	tx->flags |= TX_RES_HEAD;
	if (status == 101) {
		tunnel(st, ctx, tx);   /* protocol upgrade: not HTTP/1 any more */
		return;
	}
	if (tx->method == M_CONNECT) {
		if (status >= 200 && status <= 299) {
			tunnel(st, ctx, tx);
			app_switch_protocol(ctx);
			return;
		}
		connect_release(st, ctx);
	}
	if (tx->method == M_HEAD || ((status == 204 || status == 304) && !framed)) {
		msg_complete(st, ctx, d);
		return;
	}
	body_start(st, ctx, tx, APP_TOCLIENT);
	if (m->flags & HTTP_MSG_TE) {
		if (m->flags & HTTP_MSG_TE_CHUNKED_LAX) {
			if (tx->res_proto >= 0 && tx->res_proto < 11)
				raise_ev(st, ctx, APP_TOCLIENT, tx, EV_CHUNKED_OLD_PROTO);
			d->st = S_CHUNK_LEN;
			return;
		}
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_RES_TE);
	}
	if (m->cl == HTTP_CL_INVALID) {
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_RES_CL);
		d->st = S_BODY_CLOSE;
	} else if (m->cl > 0) {
		d->left = (uint64_t)m->cl;
		d->st = S_BODY;
	} else if (m->cl == 0) {
		msg_complete(st, ctx, d);
	} else {
		d->st = S_BODY_CLOSE;
	}
}

/* A response starts: the oldest transaction without one gets it. */
static struct http_tx *res_begin(struct http_state *st, struct app_ctx *ctx)
{
	struct http_dir *rq = &st->d[APP_TOSERVER];
	struct http_tx *tx;
	for (tx = st->head; tx; tx = tx->next)
		if (!(tx->flags & TX_RES_STARTED))
			break;
	if (!tx && rq->st == S_LINE && !rq->tx && rq->line_len &&
	    !all_ws(rq->line, rq->line_len)) {
		/* the request line is on its way: it is this response's */
		tx = tx_new(st, ctx, APP_TOCLIENT);
		rq->tx = tx;
	} else if (!tx) {
		tx = tx_new(st, ctx, APP_TOCLIENT);
		if (!tx)
			return NULL;
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_UNMATCHED);
		static const char fake[] = "/libhtp::request_uri_not_seen";
		if (!http_msg_put(&tx->req, &st->mem, fake, sizeof(fake) - 1,
				  &tx->req.part[1]))
			tx->req.flags |= HTTP_MSG_LINE;
		tx->req.part[0] = tx->req.part[2] = (struct http_span){ 0, 0 };
		tx->flags |= HTTP_TX_REQUEST_DONE | TX_NOREQ;
	}
	if (!tx)
		return NULL;
	tx->flags |= TX_RES_STARTED;
	if (rq->tx == tx && rq->st == S_PROBE09) {
		/* the answer came before any header: HTTP/0.9 after all */
		tx->flags |= TX_09;
		req_done(st, ctx, tx);
	}
	st->d[APP_TOCLIENT].tx = tx;
	return tx;
}

static void res_line(struct http_state *st, struct app_ctx *ctx,
		     struct http_dir *d, const uint8_t *line, size_t len)
{
	size_t s = 0;
	while (s < len && is_ws(line[s]))
		s++;
	if (s == len)
		return;
	struct http_tx *tx = d->tx ? d->tx : res_begin(st, ctx);
	if (!tx)
		return;
	if (d->over)
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_RES_TOO_LONG);
	line += s;
	len -= s;
	struct http_msg *m = &tx->res;
	if (http_msg_put(m, &st->mem, line, len, &m->line)) {
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_UNKNOWN_ERROR);
		m->line.len = 0;
		len = 0;
	}
	m->flags |= HTTP_MSG_LINE;
	uint32_t base = m->line.off;
	size_t i = 0;
	while (i < len && !is_ws(line[i]))
		i++;
	size_t pe = i;
	while (i < len && is_ws(line[i]))
		i++;
	size_t ss = i;
	while (i < len && !is_ws(line[i]))
		i++;
	size_t se = i;
	while (i < len && is_ws(line[i]))
		i++;
	size_t rs = i, re = len;
	while (re > rs && is_ws(line[re - 1]))
		re--;
	m->part[0] = (struct http_span){ base, (uint32_t)pe };
	m->part[1] = (struct http_span){ base + (uint32_t)ss, (uint32_t)(se - ss) };
	m->part[2] = (struct http_span){ base + (uint32_t)rs, (uint32_t)(re - rs) };
	tx->res_proto = (int8_t)parse_proto(line, pe);
	if (tx->res_proto < 0)
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_RES_PROTOCOL);
	int v = -1;
	if (se - ss == 3) {
		v = 0;
		for (size_t k = ss; k < se && v >= 0; k++)
			v = (line[k] >= '0' && line[k] <= '9') ? v * 10 + (line[k] - '0') : -1;
		if (v < 100)
			v = -1;
	}
	tx->status = v;
	if (v < 0)
		raise_ev(st, ctx, APP_TOCLIENT, tx, EV_RES_STATUS);
	d->st = S_HEADERS;
}

static void header_line(struct http_state *st, struct app_ctx *ctx,
			struct http_dir *d, const uint8_t *line, size_t len)
{
	struct http_tx *tx = d->tx;
	int dir = d->dir;
	struct http_msg *m = dir_msg(tx, dir);
	int r = HTTP_HDR_OK;
	if (d->over)
		raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_TOO_LONG, dir));
	if (len == 0) {
		http_msg_header_end(m, &st->mem);
	} else if (dir == APP_TOCLIENT && (http_lws(line[0]) || !line[0]) &&
		   tx->res_proto == 11 && memchr(line, ':', len) &&
		   http_msg_pending_colon(m)) {
		/* libhtp: a "folded" line with a colon after a complete
		 * header starts a header of its own in an HTTP/1.1 response */
		raise_ev(st, ctx, dir, tx, EV_RES_FOLDING);
		r = http_msg_header_line(m, &st->mem, line + 1, len - 1);
	} else if (http_lws(line[0]) || !line[0]) {
		r = http_msg_fold_line(m, &st->mem, line, len);
		if (r == HTTP_HDR_NO_PENDING) {
			raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_FOLDING, dir));
			if (!all_ws(line, len))
				http_msg_note_line(m, line, len);
		}
	} else {
		r = http_msg_header_line(m, &st->mem, line, len);
	}
	switch (r) {
	case HTTP_HDR_MISSING_COLON:
		raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_MISSING_COLON, dir));
		break;
	case HTTP_HDR_INVALID:
		raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_HEADER_INVALID, dir));
		break;
	case HTTP_HDR_TOO_MANY:
	case HTTP_HDR_NO_ROOM:
		raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_TOO_MANY_HEADERS, dir));
		break;
	case HTTP_HDR_NO_MEM:
		raise_ev(st, ctx, dir, tx, EV_UNKNOWN_ERROR);
		break;
	}
	if (m->flags & HTTP_MSG_REPEATED)
		raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_REPETITION, dir));
	if (m->flags & HTTP_MSG_CL_DUP)
		raise_ev(st, ctx, dir, tx, EV_DIR(EV_REQ_CL_DUP, dir));
	if (len)
		return;
	if (d->st == S_TRAILER)
		msg_complete(st, ctx, d);
	else if (dir == APP_TOSERVER)
		req_headers_done(st, ctx, d);
	else
		res_headers_done(st, ctx, d);
}

/* libhtp's test: is the line after a protocol-less request line a header? */
static bool looks_like_header(const uint8_t *p, size_t n)
{
	bool spaces = false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ':')
			return true;
		if (http_lws(p[i]))
			spaces = true;
		else if (is_ws(p[i]) || spaces)
			break;
	}
	return false;
}

static void on_line(struct http_state *st, struct app_ctx *ctx, struct http_dir *d,
		    const uint8_t *line, size_t len, uint64_t raw)
{
	struct http_tx *tx = d->tx;
	switch (d->st) {
	case S_LINE:
		if (d->dir == APP_TOSERVER)
			req_line(st, ctx, d, line, len);
		else
			res_line(st, ctx, d, line, len);
		break;
	case S_PROBE09:
		if (len && (all_ws(line, len) || looks_like_header(line, len))) {
			raise_ev(st, ctx, APP_TOSERVER, tx, EV_MISSING_PROTOCOL);
			tx->proto = -1;
			d->st = S_HEADERS;
			header_line(st, ctx, d, line, len);
			break;
		}
		tx->flags |= TX_09;
		req_done(st, ctx, tx);
		if (len && !st->stopped)
			req_line(st, ctx, d, line, len);
		break;
	case S_HEADERS:
	case S_TRAILER:
		if (d->blank)
			break;
		/* libhtp: a response head also ends at a line of one space or
		 * tab and LF, unless another LF follows */
		if (d->dir == APP_TOCLIENT && len == 1 && http_lws(line[0]) && raw == 2 &&
		    d->peek >= 0 && d->peek != '\n')
			len = 0;
		header_line(st, ctx, d, line, len);
		break;
	case S_CHUNK_LEN: {
		struct http_msg *m = dir_msg(tx, d->dir);
		m->wire_len += raw;
		if (all_ws(line, len))
			break;   /* stray CRLF before a chunk size: tolerated */
		bool ext;
		int64_t v = http_parse_chunk_len(line, len, &ext);
		if (v < 0 || d->over) {
			raise_ev(st, ctx, d->dir, tx, EV_DIR(EV_REQ_CHUNK_LEN, d->dir));
			if (d->dir == APP_TOCLIENT) {
				/* as libhtp: not chunked after all, the line
				 * and the rest are body */
				static const uint8_t crlf[] = "\r\n";
				body_in(st, tx, d->dir, line, len);
				if (raw > len)
					body_in(st, tx, d->dir, crlf + (raw - len == 1),
						OT_MIN((size_t)(raw - len), (size_t)2));
				m->body_len += raw;
				d->st = S_BODY_CLOSE;
			} else {
				m->flags |= HTTP_MSG_TRUNCATED;
				msg_done(st, ctx, d);
				d->st = S_SKIP;
			}
			break;
		}
		if (ext && d->dir == APP_TOSERVER)
			raise_ev(st, ctx, d->dir, tx, EV_REQ_CHUNK_EXT);
		if (v == 0) {
			d->st = S_TRAILER;
		} else {
			d->left = (uint64_t)v;
			d->st = S_CHUNK_DATA;
		}
		break;
	}
	case S_CHUNK_END:
		dir_msg(tx, d->dir)->wire_len += raw;
		d->st = S_CHUNK_LEN;
		break;
	case S_SKIP:
		if (d->dir == APP_TOSERVER ? method_prefix(line, len) == 1
		    : (len >= 5 && !memcmp(line, "HTTP/", 5))) {
			d->st = S_LINE;
			on_line(st, ctx, d, line, len, raw);
		}
		break;
	default:
		break;
	}
}

/* Body bytes of the message in progress; returns what it consumed. */
static size_t body_data(struct http_state *st, struct app_ctx *ctx,
			struct http_dir *d, const uint8_t *p, size_t n)
{
	struct http_tx *tx = d->tx;
	if (!tx) {
		d->st = S_SKIP;
		return 0;
	}
	struct http_msg *m = dir_msg(tx, d->dir);
	size_t k = n;
	if (d->st != S_BODY_CLOSE && k > d->left)
		k = (size_t)d->left;
	body_in(st, tx, d->dir, p, k);
	m->body_len += k;
	m->wire_len += k;
	if (d->st == S_BODY_CLOSE)
		return k;
	d->left -= k;
	if (d->left == 0) {
		if (d->st == S_CHUNK_DATA)
			d->st = S_CHUNK_END;
		else
			msg_complete(st, ctx, d);
	}
	return k;
}

/*
 * Start of a response, before its status line is complete: skip empty
 * lines, bind the transaction and decide whether a status line comes at
 * all (an HTTP/0.9 answer, or one without status line, is all body).
 * Returns true when it consumed bytes or changed state.
 */
static bool res_start(struct http_state *st, struct app_ctx *ctx,
		      struct http_dir *d, const uint8_t *p, size_t n, size_t *used)
{
	*used = 0;
	if (d->line_len == 0) {
		while (*used < n && (p[*used] == '\r' || p[*used] == '\n'))
			(*used)++;
		if (*used)
			return true;
	}
	if (!d->tx && !res_begin(st, ctx))
		return true;
	if (d->tx->flags & TX_09) {
		d->st = S_BODY_CLOSE;
		return true;
	}
	if (status_prefix(d->line, d->line_len, p, n) != 0)
		return false;
	/* libhtp drops a line that is not a status line when the next one
	 * starts with 'H' (or it is tiny): a status line may follow */
	const uint8_t *lf = d->line_len ? NULL : memchr(p, '\n', n);
	if (lf && lf + 1 < p + n) {
		size_t len = (size_t)(lf - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (lf[1] == 'H' || len <= 2) {
			*used = (size_t)(lf - p) + 1;
			return true;
		}
	}
	/* not a status line: what was buffered is body too */
	d->st = S_BODY_CLOSE;
	struct http_msg *m = &d->tx->res;
	body_in(st, d->tx, APP_TOCLIENT, d->line, d->line_len);
	m->body_len += d->raw;
	m->wire_len += d->raw;
	d->line_len = 0;
	d->line_over = false;
	d->raw = 0;
	return true;
}

/*
 * libhtp gives up on a response's chunk-size line as soon as it holds 8
 * bytes whose first one other than whitespace is not a hex digit: the
 * body was not chunked after all, and is read until the close.
 */
static bool chunk_not_size(struct http_state *st, struct app_ctx *ctx,
			   struct http_dir *d, const uint8_t *p, size_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	size_t k = lf ? (size_t)(lf - p) : n;
	int c = -1;
	for (size_t i = 0; i < d->line_len + k && c < 0; i++) {
		uint8_t b = i < d->line_len ? d->line[i] : p[i - d->line_len];
		if (!is_ws(b))
			c = b;
	}
	if (c < 0 || (d->line_len + k < 8 && !lf) ||
	    (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
		return false;
	struct http_tx *tx = d->tx;
	struct http_msg *m = &tx->res;
	raise_ev(st, ctx, APP_TOCLIENT, tx, EV_RES_CHUNK_LEN);
	body_in(st, tx, APP_TOCLIENT, d->line, d->line_len);
	m->body_len += d->raw;
	m->wire_len += d->raw;
	d->line_len = 0;
	d->line_over = false;
	d->raw = 0;
	d->st = S_BODY_CLOSE;
	return true;
}

/*
 * The line after a complete response is known (or no more will come): if
 * it does not start a status line, libhtp takes it as more of the body
 * ("unexpected response body": the "\r\n" some servers send after one,
 * say); else it is the next response's first line, read again as such
 * (the part in d->line stays there).  The response is done either way.
 * Returns true when p was taken as body.
 */
static bool res_final_line(struct http_state *st, struct app_ctx *ctx, struct http_dir *d,
			   const uint8_t *p, size_t n)
{
	struct http_tx *tx = d->tx;
	bool body = status_prefix(d->line, d->line_len, p, n) != 1;
	if (body) {
		body_in(st, tx, APP_TOCLIENT, d->line, d->line_len);
		body_in(st, tx, APP_TOCLIENT, p, n);
		tx->res.body_len += d->line_len + n;
		d->line_len = 0;
		d->line_over = false;
		d->raw = 0;
	}
	res_done(st, ctx, tx);
	return body;
}

/*
 * After a complete response libhtp reads on to the end of the line, when
 * bytes follow in the same delivery (see res_final_line); the line may
 * span deliveries.  Returns what it consumed.
 */
static size_t res_final(struct http_state *st, struct app_ctx *ctx, struct http_dir *d,
			const uint8_t *p, size_t n)
{
	const uint8_t *lf = memchr(p, '\n', n);
	if (!lf && d->line_len + n < HTTP_LINE_MAX) {
		memcpy(d->line + d->line_len, p, n);
		d->line_len += (uint32_t)n;
		d->raw += n;
		return n;
	}
	size_t k = lf ? (size_t)(lf - p) + 1 : n;
	return res_final_line(st, ctx, d, p, k) ? k : 0;
}

static void feed(struct http_state *st, struct app_ctx *ctx, int dir,
		 const uint8_t *p, size_t n)
{
	struct http_dir *d = &st->d[dir];
	while (n > 0 && !st->stopped) {
		size_t used = n;
		const uint8_t *line;
		size_t len;
		switch (d->st) {
		case S_STOP:
			return;
		case S_CONNECT_WAIT:
			pending_add(st, p, n);
			break;
		case S_FINAL:
			used = res_final(st, ctx, d, p, n);
			break;
		case S_BODY:
		case S_BODY_CLOSE:
		case S_CHUNK_DATA:
			used = body_data(st, ctx, d, p, n);
			break;
		default:
			if (dir == APP_TOCLIENT && d->st == S_LINE &&
			    res_start(st, ctx, d, p, n, &used))
				break;
			if (dir == APP_TOCLIENT && d->st == S_CHUNK_LEN &&
			    chunk_not_size(st, ctx, d, p, n)) {
				used = 0;
				break;
			}
			if (take_line(d, p, n, &used, &line, &len)) {
				uint64_t raw = d->raw;
				enum pstate was = d->st;
				d->raw = 0;
				d->peek = used < n ? p[used] : -1;
				on_line(st, ctx, d, line, len, raw);
				if (was == S_HEADERS && d->st != S_HEADERS && d->lfcr) {
					/* libhtp: "LF CR CR LF CR LF" is two line ends */
					if (n - used >= 2 && p[used] == '\r' && p[used + 1] == '\n')
						used += 2;
					d->lfcr = false;
				}
			}
			break;
		}
		p += used;
		n -= used;
	}
	/* nothing followed the complete response: it is done */
	if (d->st == S_FINAL && d->tx && d->line_len == 0)
		res_done(st, ctx, d->tx);
}

/* ---- the parser interface --------------------------------------------- */

static int http_probe(const uint8_t *data, size_t len, int dir)
{
	if (len == 0)
		return PROBE_NEED_MORE;
	if (dir == APP_TOSERVER) {
		int r = method_prefix(data, len);
		return r == 1 ? PROBE_YES : r < 0 ? PROBE_NEED_MORE : PROBE_NO;
	}
	size_t k = OT_MIN(len, (size_t)5);
	if (memcmp(data, "HTTP/", k) != 0)
		return PROBE_NO;
	return len >= 5 ? PROBE_YES : PROBE_NEED_MORE;
}

static void *http_state_new(void)
{
	struct http_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->mem.max = HTTP_FLOW_MEM;
	st->d[APP_TOSERVER].dir = APP_TOSERVER;
	st->d[APP_TOCLIENT].dir = APP_TOCLIENT;
	return st;
}

static void http_state_free(void *state)
{
	struct http_state *st = state;
	if (!st)
		return;
	while (st->head) {
		struct http_tx *tx = st->head;
		st->head = tx->next;
		tx_free(st, tx);
	}
	free(st->pending);
	free(st);
}

static int http_parse(void *state, struct app_ctx *ctx, int dir,
		      const uint8_t *data, size_t len)
{
	struct http_state *st = state;
	if (!st || (dir != APP_TOSERVER && dir != APP_TOCLIENT))
		return PARSE_ERROR;
	reap(st);
	if (st->ended)
		return PARSE_OK;
	for (int d = 0; d < 2; d++)
		st->body_limit[d] = ctx->cfg ? ctx->cfg->http_body_limit[d] : APP_CFG_HTTP_BODY_DEFAULT;
	if (data && len)
		feed(st, ctx, dir, data, len);
	if (!st->error)
		return PARSE_OK;
	/* the core stops here without a flow_end: log what there is */
	log_open(st, ctx);
	return PARSE_ERROR;
}

static void http_gap(void *state, struct app_ctx *ctx, int dir, size_t len)
{
	struct http_state *st = state;
	if (!st || (dir != APP_TOSERVER && dir != APP_TOCLIENT))
		return;
	reap(st);
	if (st->ended || st->stopped || len == 0)
		return;
	struct http_dir *d = &st->d[dir];
	uint64_t gap = len;
	if (d->st == S_FINAL && d->tx)
		res_final_line(st, ctx, d, NULL, 0);
	if (d->tx && (d->st == S_BODY || d->st == S_CHUNK_DATA || d->st == S_BODY_CLOSE)) {
		struct http_msg *m = dir_msg(d->tx, dir);
		uint64_t k = d->st == S_BODY_CLOSE ? gap : OT_MIN(gap, d->left);
		m->body_len += k;
		m->wire_len += k;
		m->flags |= HTTP_MSG_GAP;
		body_gap(d->tx, dir, k);
		if (d->st == S_BODY_CLOSE)
			return;
		d->left -= k;
		gap -= k;
		if (d->left == 0 && d->st == S_BODY) {
			msg_done(st, ctx, d);
			if (gap == 0)
				return;
		} else if (d->left == 0 && gap == 0) {
			d->st = S_CHUNK_END;
			return;
		} else if (gap == 0) {
			return;
		}
	}
	if (d->st == S_CONNECT_WAIT) {
		st->pending_lost = true;
		return;
	}
	if (d->st == S_SKIP) {
		d->line_len = 0;
		d->line_over = false;
		d->raw = 0;
		return;
	}
	/* framing lost: the message in progress is cut and the direction
	 * looks for the next line that starts a message; between messages
	 * the hole may be stray CRLFs as well as a lost message, so nothing
	 * else is assumed */
	msg_cut(st, ctx, d);
}

static void http_flow_end(void *state, struct app_ctx *ctx)
{
	struct http_state *st = state;
	if (!st)
		return;
	reap(st);
	if (st->ended)
		return;
	struct http_dir *rq = &st->d[APP_TOSERVER], *rs = &st->d[APP_TOCLIENT];
	if (rs->st == S_FINAL && rs->tx)
		res_final_line(st, ctx, rs, NULL, 0);
	if (!st->stopped) {
		req_flush(st, ctx);
		if (rs->st == S_LINE && rs->line_len &&
		    status_prefix(rs->line, rs->line_len, NULL, 0) == 1) {
			rs->over = rs->line_over;
			res_line(st, ctx, rs, rs->line, rs->line_len);
			rs->line_len = 0;
		}
	}
	if (rq->tx)
		msg_cut(st, ctx, rq);
	if (rs->tx && rs->st == S_BODY_CLOSE)
		res_done(st, ctx, rs->tx);
	else if (rs->tx)
		msg_cut(st, ctx, rs);
	log_open(st, ctx);
	st->ended = true;
	stop(st);
}

static uint64_t http_tx_count(void *state)
{
	const struct http_state *st = state;
	return st ? st->next_id : 0;
}

const struct app_parser app_parser_http = {
	.name = "http",
	.id = APP_HTTP,
	.tcp = true,
	.udp = false,
	.ports = { 80, 8080, 3128, 8000 },
	.probe = http_probe,
	.log_tx = http_alert_obj,
	.state_new = http_state_new,
	.state_free = http_state_free,
	.parse = http_parse,
	.gap = http_gap,
	.flow_end = http_flow_end,
	.tx_count = http_tx_count,
};

/* ---- read-only access (app-http.h) ------------------------------------ */

uint64_t http_state_tx_first(const void *state)
{
	const struct http_state *st = state;
	return st && st->head ? st->head->id : http_state_tx_end(state);
}

uint64_t http_state_tx_end(const void *state)
{
	const struct http_state *st = state;
	return st ? st->next_id : 0;
}

const struct http_tx *http_state_tx(const void *state, uint64_t tx_id)
{
	const struct http_state *st = state;
	for (const struct http_tx *tx = st ? st->head : NULL; tx; tx = tx->next)
		if (tx->id == tx_id)
			return tx;
	return NULL;
}

uint64_t http_tx_id(const struct http_tx *tx)
{
	return tx->id;
}

unsigned http_tx_progress(const struct http_tx *tx)
{
	return tx->flags & (HTTP_TX_REQUEST_DONE | HTTP_TX_RESPONSE_DONE | HTTP_TX_LOGGED);
}

int http_tx_status(const struct http_tx *tx)
{
	return tx->status;
}

int http_tx_port(const struct http_tx *tx)
{
	return tx->port;
}

uint64_t http_tx_response_length(const struct http_tx *tx)
{
	return tx->res.wire_len;
}

static struct http_bytes span_bytes(const struct http_msg *m, struct http_span s,
				    bool present)
{
	struct http_bytes b = { NULL, 0 };
	if (present && m->buf) {
		b.ptr = m->buf + s.off;
		b.len = s.len;
	}
	return b;
}

struct http_bytes http_tx_field(const struct http_tx *tx, enum http_field f)
{
	const struct http_msg *rq = &tx->req, *rs = &tx->res;
	bool ql = rq->flags & HTTP_MSG_LINE, sl = rs->flags & HTTP_MSG_LINE;
	switch (f) {
	case HTTP_F_REQUEST_LINE:
		return span_bytes(rq, rq->line, ql && !(tx->flags & TX_NOREQ));
	case HTTP_F_METHOD:
		return span_bytes(rq, rq->part[0], ql && rq->part[0].len);
	case HTTP_F_URI:
		return span_bytes(rq, rq->part[1], ql);
	case HTTP_F_PROTOCOL:
		return span_bytes(rq, rq->part[2], ql && rq->part[2].len);
	case HTTP_F_HOST:
		return span_bytes(rq, tx->host, tx->host.len > 0);
	case HTTP_F_USER_AGENT:
		return http_tx_header(tx, APP_TOSERVER, "user-agent");
	case HTTP_F_REQUEST_BODY:
		return span_bytes(rq, rq->body, rq->body.len > 0);
	case HTTP_F_RESPONSE_LINE:
		return span_bytes(rs, rs->line, sl);
	case HTTP_F_RESPONSE_PROTOCOL:
		return span_bytes(rs, rs->part[0], sl);
	case HTTP_F_STATUS:
		return span_bytes(rs, rs->part[1], sl);
	case HTTP_F_STATUS_MSG:
		return span_bytes(rs, rs->part[2], sl);
	case HTTP_F_RESPONSE_BODY:
		return span_bytes(rs, rs->body, rs->body.len > 0);
	}
	return span_bytes(rq, rq->line, false);
}

size_t http_tx_header_count(const struct http_tx *tx, int dir)
{
	return dir == APP_TOSERVER ? tx->req.nhdr : tx->res.nhdr;
}

bool http_tx_header_at(const struct http_tx *tx, int dir, size_t i,
		       struct http_bytes *name, struct http_bytes *value)
{
	const struct http_msg *m = dir == APP_TOSERVER ? &tx->req : &tx->res;
	if (i >= m->nhdr)
		return false;
	*name = span_bytes(m, m->hdr[i].name, true);
	*value = span_bytes(m, m->hdr[i].value, true);
	return true;
}

struct http_bytes http_tx_header(const struct http_tx *tx, int dir, const char *name)
{
	const struct http_msg *m = dir == APP_TOSERVER ? &tx->req : &tx->res;
	struct http_span v;
	bool found = http_msg_header(m, name, &v);
	return span_bytes(m, v, found);
}
