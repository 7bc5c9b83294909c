/*
 * spool.h - an on-disk queue of event batches, for a device (sensor, agent)
 * that must not lose events while its server is unreachable.
 *
 * Events (one JSON object a line, no newline) are appended to the batch
 * being filled, `current.ndjson`, with one write(2) each, so that a process
 * killed at any moment leaves every event it handed over in the kernel's
 * hands.  A batch closes when it holds N events, M bytes, or is T seconds
 * old: it is renamed to `<seq>-<id>-<events>.ndjson`, where seq orders the
 * batches (16 hex digits), id is the batch's random identity (32 lowercase
 * hex digits, the wire's X-Otasuke-Batch, reused on every retry) and events
 * its line count.  Closing costs the caller a rename only; the slow part,
 * sealing (check each line, gzip, write a temporary file, fsync, rename to
 * `.ndjson.gz`, fsync the folder), is done by the consumer thread in
 * spool_next(), so a packet pipeline that appends never waits on the disk
 * beyond its page cache.
 *
 * Crash safety: a sealed batch is written whole under a temporary name and
 * renamed after fsync, so it is either whole or absent.  On open, the
 * folder is recovered: temporary files are deleted, a batch found both
 * sealed and unsealed keeps the sealed copy, and the current batch (the
 * one a crash interrupted) is checked line by line - a truncated last line,
 * or any line that is not one JSON object, is dropped with a warning - and
 * closed as a batch of its own.  An unsealed batch is checked the same way
 * when it is sealed (a power cut may have left its tail unwritten: it keeps
 * its id, as it was never sent), and a sealed one when it is taken for
 * sending (a damaged one is cut to its good lines under a new id, since
 * its content changed).  So no line that is not a JSON object, and no
 * gzip stream that does not inflate, ever reaches the server.
 *
 * Bounds: the files of the spool together stay under max_bytes.  When an
 * append would pass it, the oldest closed batches are deleted, each with a
 * warning and counted; never the newest.  The batch the consumer is
 * working on is not deleted under it, so the spool can pass its cap by that
 * one batch for a while.  One process at a time: the folder is locked.
 *
 * Threads: one producer (spool_append, spool_flush) and one consumer
 * (spool_tick, spool_next and what follows it) may run at the same time;
 * every call takes the spool's lock for list updates only.
 */
#ifndef OT_SPOOL_H
#define OT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The wire contract's limits on one batch (docs/wire-protocol.md). */
#define SPOOL_MAX_EVENTS 10000
#define SPOOL_MAX_BYTES (8u << 20)
#define SPOOL_ID_LEN 32

struct spool_cfg {
	const char *dir;            /* created (0700) when missing */
	uint64_t max_bytes;         /* the whole spool on disk; >= 4 * batch_bytes */
	uint32_t batch_events;      /* a batch closes at this many events (<= SPOOL_MAX_EVENTS) */
	uint64_t batch_bytes;       /* ... or this many bytes of NDJSON (<= SPOOL_MAX_BYTES) */
	uint32_t batch_age;         /* ... or this many seconds after its first event (>= 1) */
	/* >= 0: the folder and every file in it are given to this user and
	 * group - a process that opens the spool as root and then becomes
	 * that user (privileges dropped) must still read its batches, and
	 * a thread may write one on either side of the change; -1: left as
	 * made. */
	int uid, gid;
};

struct spool_stats {
	uint64_t events;            /* appended since open */
	uint64_t batches;           /* closed since open */
	uint64_t dropped_batches;   /* oldest batches deleted at the cap */
	uint64_t dropped_events;    /* their events */
	uint64_t bad_lines;         /* refused on append, or dropped by recovery and sealing */
	uint64_t write_errors;      /* events lost to a failed write (disk full...) */
	uint64_t recovered;         /* batches found on open */
	uint64_t queued;            /* closed batches waiting now */
	uint64_t queued_events;     /* their events, plus the current batch's */
	uint64_t bytes;             /* on disk now */
};

/* A sealed batch taken by spool_next(): the gzip body and its identity. */
struct spool_batch {
	char id[SPOOL_ID_LEN + 1];
	uint32_t events;
	uint8_t *gz;                /* malloc'd */
	size_t gz_len;
};

struct spool;

/* Open (and recover) the spool; NULL on failure (logged: the folder cannot
 * be made or locked, or cfg is out of bounds). */
struct spool *spool_open(const struct spool_cfg *cfg);
/* Close the current batch (so it is kept as a batch) and free. */
void spool_close(struct spool *sp);

/* Called, under the spool's lock, whenever a batch closes (to wake the
 * consumer).  It must not call back into the spool. */
void spool_set_notify(struct spool *sp, void (*fn)(void *arg), void *arg);

/*
 * Append one event (len bytes, no newline).  Returns 0; -1 when the event
 * was refused (not one JSON object on one line, or larger than a batch:
 * logged and counted) or could not be written (counted).
 */
int spool_append(struct spool *sp, const char *line, size_t len);
/* Close the current batch now if it holds anything. */
void spool_flush(struct spool *sp);
/* Close the current batch if it is batch_age old.  Returns the milliseconds
 * until the current batch will be that old, or -1 when it is empty. */
long spool_tick(struct spool *sp);

/*
 * Seal every unsealed batch, then take the oldest one for sending.
 * Returns 1 with *b filled (free it with spool_batch_free), 0 when there is
 * none, -1 on an error (logged; the batch stays).  The batch is the
 * caller's until it calls spool_done or spool_release with its id.
 */
int spool_next(struct spool *sp, struct spool_batch *b);
/* Seal every unsealed batch now (spool_next does it first): a consumer
 * waiting to retry keeps the spool compact with it. */
void spool_seal(struct spool *sp);
void spool_batch_free(struct spool_batch *b);
/* The server has it (or never will): delete it. */
void spool_done(struct spool *sp, const char *id);
/* Not sent: give it back, to be taken again. */
void spool_release(struct spool *sp, const char *id);

/* Closed batches waiting, and whether the current batch holds events. */
bool spool_empty(struct spool *sp);
void spool_get_stats(struct spool *sp, struct spool_stats *st);

/*
 * The recovery reader, on bytes from disk that may be damaged.
 *
 * spool_check_lines: the complete lines of buf[0..len) that are each one
 * JSON object (starts with '{', ends with '}', no control bytes, at most
 * SPOOL_MAX_BYTES) are copied to out (room for len bytes), each with its
 * newline.  Returns the bytes written; *lines and *bad count the lines kept
 * and dropped (an unterminated last line counts as bad).
 */
size_t spool_check_lines(const char *buf, size_t len, char *out, uint32_t *lines, uint32_t *bad);
/* Whether one event may go into a batch (the same test, without newline). */
bool spool_line_ok(const char *line, size_t len);
/*
 * Inflate one gzip member of at most SPOOL_MAX_BYTES.  Returns the bytes
 * inflated into *out (malloc'd, NUL-terminated), even when the stream is
 * damaged (truncated, bad CRC, too large, trailing bytes): *damaged says so.
 * -1 on an allocation failure.
 */
long spool_gunzip(const uint8_t *gz, size_t len, char **out, bool *damaged);
/* gzip in[0..len) into *out (malloc'd): 0, or -1 on an allocation failure. */
int spool_gzip(const char *in, size_t len, uint8_t **out, size_t *out_len);
/* The id that stands for a part of batch old ("split-1"...): the same
 * for the same old and tag, so work a crash repeats gets the same ids, and
 * the server's dedupe absorbs what it already stored.  0 or -1. */
int spool_derive_id(const char *old, const char *tag, char *out);

#endif
