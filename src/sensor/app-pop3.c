/*
 * app-pop3.c - POP3 (RFC 1939, 2449, 2595): each command and its answer as
 * one EVE `pop3` event, the way Suricata logs them:
 *   "pop3":{"request":{"command":"LIST","args":[]},
 *            "response":{"success":true,"status":"OK","header":"5 21639",
 *                        "data":["1 247", ...]}}
 * The server's greeting is a transaction with a response only.  Answers
 * that go on over several lines (LIST and UIDL without an argument, RETR,
 * TOP, CAPA) are read up to the lone "." and their lines kept, up to a cap;
 * a mail body beyond the cap is counted, not kept.  After "+OK" to STLS the
 * flow goes to protocol detection again (TLS follows).
 *
 * Everything is bounded: a line is at most POP3_LINE_MAX bytes (longer ones
 * are cut and flagged), at most POP3_TX_MAX commands wait for their answer,
 * at most POP3_ARGS_MAX arguments and POP3_DATA_MAX data lines are kept.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app-banner.h"
#include "applayer.h"

#define POP3_LINE_MAX 4096
#define POP3_TX_MAX 64
#define POP3_ARGS_MAX 8
#define POP3_DATA_MAX 256
#define POP3_DATA_BYTES (64 * 1024)

struct pop3_tx {
	uint64_t id;
	bool has_request, has_response;
	char command[16];
	char *args[POP3_ARGS_MAX];
	int nargs;
	bool ok;
	char *header;
	char **data;
	size_t ndata, data_bytes;
	bool data_truncated;
	struct pop3_tx *next;
};

struct line_buf {
	char buf[POP3_LINE_MAX];
	size_t len;
	bool overlong;
};

struct pop3_state {
	struct line_buf in[2];
	struct pop3_tx *head, *tail;    /* waiting for (the end of) an answer */
	size_t pending;
	uint64_t next_id;
	struct pop3_tx *reading_data;   /* multi-line answer in progress */
	bool greeted;
	bool gave_up;
	bool anomaly_once[4];
};

static const char *const pop3_verbs[] = {
	"USER", "PASS", "APOP", "CAPA", "STLS", "STAT", "LIST", "RETR", "UIDL", "QUIT",
	"AUTH", "TOP", "DELE", "NOOP", "RSET", NULL,
};

static int pop3_probe(const uint8_t *d, size_t len, int dir)
{
	return app_probe_lines(d, len, dir, pop3_verbs, "+OK", NULL);
}

static void *pop3_new(void)
{
	return calloc(1, sizeof(struct pop3_state));
}

static void tx_free(struct pop3_tx *tx)
{
	for (int i = 0; i < tx->nargs; i++)
		free(tx->args[i]);
	for (size_t i = 0; i < tx->ndata; i++)
		free(tx->data[i]);
	free(tx->data);
	free(tx->header);
	free(tx);
}

static void pop3_free(void *state)
{
	struct pop3_state *st = state;
	while (st->head) {
		struct pop3_tx *n = st->head->next;
		tx_free(st->head);
		st->head = n;
	}
	free(st);
}

static void anomaly(struct pop3_state *st, struct app_ctx *ctx, int dir, int which,
		    const char *event)
{
	if (st->anomaly_once[which])
		return;
	st->anomaly_once[which] = true;
	app_anomaly(ctx, "pop3", dir, -1, event);
}

static struct pop3_tx *tx_new(struct pop3_state *st)
{
	struct pop3_tx *tx = calloc(1, sizeof(*tx));
	if (!tx)
		return NULL;
	tx->id = st->next_id++;
	if (st->tail)
		st->tail->next = tx;
	else
		st->head = tx;
	st->tail = tx;
	st->pending++;
	return tx;
}

static void tx_log(struct app_ctx *ctx, const struct pop3_tx *tx)
{
	/* like every transaction log, oriented client -> server */
	struct jw *w = app_event_begin(ctx, "pop3", APP_TOSERVER, (int64_t)tx->id);
	jw_obj_open(w, "pop3");
	if (tx->has_request) {
		jw_obj_open(w, "request");
		jw_str(w, "command", tx->command);
		jw_arr_open(w, "args");
		for (int i = 0; i < tx->nargs; i++)
			jw_str(w, NULL, tx->args[i]);
		jw_arr_close(w);
		jw_obj_close(w);
	}
	if (tx->has_response) {
		jw_obj_open(w, "response");
		jw_bool(w, "success", tx->ok);
		jw_str(w, "status", tx->ok ? "OK" : "ERR");
		jw_str(w, "header", tx->header ? tx->header : "");
		if (tx->ndata || tx->data_truncated) {
			jw_arr_open(w, "data");
			for (size_t i = 0; i < tx->ndata; i++)
				jw_str(w, NULL, tx->data[i]);
			jw_arr_close(w);
		}
		if (tx->data_truncated)
			jw_bool(w, "data_truncated", true);
		jw_obj_close(w);
	}
	jw_obj_close(w);
	app_event_end(ctx);
}

/* Log and drop the oldest transaction. */
static void tx_done(struct pop3_state *st, struct app_ctx *ctx)
{
	struct pop3_tx *tx = st->head;
	tx_log(ctx, tx);
	st->head = tx->next;
	if (!st->head)
		st->tail = NULL;
	st->pending--;
	if (st->reading_data == tx)
		st->reading_data = NULL;
	tx_free(tx);
}

/* Does an "+OK" to this command go on over several lines? */
static bool multiline(const struct pop3_tx *tx)
{
	if (!tx || !tx->has_request)
		return false;
	if (!strcmp(tx->command, "LIST") || !strcmp(tx->command, "UIDL"))
		return tx->nargs == 0;
	return !strcmp(tx->command, "RETR") || !strcmp(tx->command, "TOP") ||
	       !strcmp(tx->command, "CAPA");
}

static int on_request(struct pop3_state *st, struct app_ctx *ctx, char *line)
{
	if (st->pending >= POP3_TX_MAX) {
		anomaly(st, ctx, APP_TOSERVER, 0, "too_many_transactions");
		return PARSE_ERROR;
	}
	struct pop3_tx *tx = tx_new(st);
	if (!tx)
		return PARSE_ERROR;
	tx->has_request = true;
	char *save = NULL;
	char *cmd = strtok_r(line, " ", &save);
	if (!cmd)
		cmd = "";
	size_t i;
	for (i = 0; cmd[i] && i + 1 < sizeof(tx->command); i++)
		tx->command[i] = (char)((cmd[i] >= 'a' && cmd[i] <= 'z') ? cmd[i] - 32 : cmd[i]);
	tx->command[i] = '\0';
	for (char *a = strtok_r(NULL, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
		if (tx->nargs == POP3_ARGS_MAX) {
			anomaly(st, ctx, APP_TOSERVER, 1, "too_many_arguments");
			break;
		}
		if (!(tx->args[tx->nargs] = strdup(a)))
			return PARSE_ERROR;
		tx->nargs++;
	}
	return PARSE_OK;
}

static int add_data(struct pop3_tx *tx, const char *line)
{
	size_t l = strlen(line);
	if (tx->ndata >= POP3_DATA_MAX || tx->data_bytes + l > POP3_DATA_BYTES) {
		tx->data_truncated = true;
		return 0;
	}
	if (!tx->data) {
		tx->data = calloc(POP3_DATA_MAX, sizeof(*tx->data));
		if (!tx->data)
			return -1;
	}
	if (!(tx->data[tx->ndata] = strdup(line)))
		return -1;
	tx->ndata++;
	tx->data_bytes += l;
	return 0;
}

static int on_response(struct pop3_state *st, struct app_ctx *ctx, char *line)
{
	struct pop3_tx *tx = st->reading_data;
	if (tx) {
		if (!strcmp(line, ".")) {
			tx_done(st, ctx);
			return PARSE_OK;
		}
		/* dot-stuffing: a leading dot was doubled by the server */
		return add_data(tx, line[0] == '.' ? line + 1 : line) < 0 ? PARSE_ERROR : PARSE_OK;
	}
	bool ok = !strncmp(line, "+OK", 3);
	bool err = !strncmp(line, "-ERR", 4);
	if (!ok && !err) {
		/* "+ challenge" of AUTH, or noise: not an answer */
		if (line[0] != '+')
			anomaly(st, ctx, APP_TOCLIENT, 2, "invalid_response");
		return PARSE_OK;
	}
	/* answers come in the order of the commands; one with no command
	 * waiting is the greeting (or noise from the server) */
	tx = st->head;
	if (!tx) {
		if (st->greeted)
			anomaly(st, ctx, APP_TOCLIENT, 3, "unexpected_response");
		if (!(tx = tx_new(st)))
			return PARSE_ERROR;
	}
	st->greeted = true;
	tx->has_response = true;
	tx->ok = ok;
	const char *h = line + (ok ? 3 : 4);
	if (*h == ' ')
		h++;
	if (!(tx->header = strdup(h)))
		return PARSE_ERROR;
	if (ok && multiline(tx)) {
		st->reading_data = tx;
		return PARSE_OK;
	}
	bool starttls = ok && !strcmp(tx->command, "STLS");
	tx_done(st, ctx);
	if (starttls)
		app_switch_protocol(ctx);
	return PARSE_OK;
}

static int on_line(struct pop3_state *st, struct app_ctx *ctx, int dir, char *line)
{
	return dir == APP_TOSERVER ? on_request(st, ctx, line) : on_response(st, ctx, line);
}

static int pop3_parse(void *state, struct app_ctx *ctx, int dir, const uint8_t *data, size_t len)
{
	struct pop3_state *st = state;
	struct line_buf *lb = &st->in[dir];
	for (size_t i = 0; i < len; i++) {
		char c = (char)data[i];
		if (c != '\n') {
			if (lb->len + 1 < sizeof(lb->buf))
				lb->buf[lb->len++] = c ? c : ' ';
			else
				lb->overlong = true;
			continue;
		}
		if (lb->len && lb->buf[lb->len - 1] == '\r')
			lb->len--;
		lb->buf[lb->len] = '\0';
		if (lb->overlong)
			anomaly(st, ctx, dir, 1, "too_long_line");
		int r = on_line(st, ctx, dir, lb->buf);
		lb->len = 0;
		lb->overlong = false;
		if (r != PARSE_OK)
			return r;
		if (ctx->redetect)
			return PARSE_OK;
	}
	return PARSE_OK;
}

static void pop3_gap(void *state, struct app_ctx *ctx, int dir, size_t len)
{
	struct pop3_state *st = state;
	/* the line in progress is lost; a mail body keeps being read */
	st->in[dir].len = 0;
	if (dir == APP_TOCLIENT && st->reading_data)
		st->reading_data->data_truncated = true;
}

static void pop3_flow_end(void *state, struct app_ctx *ctx)
{
	struct pop3_state *st = state;
	while (st->head)
		tx_done(st, ctx);
}

static uint64_t pop3_tx_count(void *state)
{
	return ((struct pop3_state *)state)->next_id;
}

const struct app_parser app_parser_pop3 = {
	.name = "pop3",
	.id = APP_POP3,
	.tcp = true,
	.ports = { 110 },
	.port_only = true,
	.probe = pop3_probe,
	.state_new = pop3_new,
	.state_free = pop3_free,
	.parse = pop3_parse,
	.gap = pop3_gap,
	.flow_end = pop3_flow_end,
	.tx_count = pop3_tx_count,
};
