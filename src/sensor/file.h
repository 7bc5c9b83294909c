/*
 * file.h - files carried by application protocols (an HTTP body, later a
 * mail attachment or an SMB/FTP transfer), tracked the way Suricata tracks
 * them for its EVE "fileinfo" event.
 *
 * A parser embeds one struct app_file per file it may carry, opens it with
 * a name when the first content byte arrives, tells it how many content
 * bytes follow (after the protocol's own decoding: dechunked, decompressed)
 * and which were lost, and closes it as complete, cut short or in error.
 * The tracker keeps no content: only what the event needs (name, size,
 * state, gaps, the transaction it belongs to, the sids of rules that
 * matched it), in a fixed-size record with a bounded copy of the name.
 */
#ifndef OT_FILE_H
#define OT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define FILE_NAME_MAX 1024   /* bytes of the name kept */
#define FILE_SIDS_MAX 8      /* sids of matching rules kept */

enum file_state {
	FILE_NONE = 0,           /* never opened */
	FILE_OPEN,
	FILE_CLOSED,             /* complete */
	FILE_TRUNCATED,          /* the carrier ended before the file did */
	FILE_ERROR,              /* the carrier broke (parse or memory error) */
};

struct app_file {
	char *name;              /* malloc'ed copy, name_len bytes (not a C string) */
	uint16_t name_len;
	uint8_t state;           /* enum file_state */
	uint8_t dir;             /* direction the file travels (APP_TOSERVER...) */
	bool gaps;               /* some content bytes were lost */
	uint8_t nsids;
	uint64_t tx_id;
	uint64_t size;           /* content bytes, lost ones included */
	uint32_t sids[FILE_SIDS_MAX];
};

/* Open f (which must be FILE_NONE) for a file named name (len bytes, cut to
 * FILE_NAME_MAX) of transaction tx_id travelling in direction dir. */
void file_open(struct app_file *f, const void *name, size_t len, uint64_t tx_id, int dir);
static inline bool file_is_open(const struct app_file *f)
{
	return f->state == FILE_OPEN;
}
/* n content bytes arrived. */
void file_data(struct app_file *f, uint64_t n);
/* Content was lost: n bytes of it when the carrier knows (else 0). */
void file_gap(struct app_file *f, uint64_t n);
/* A rule matched the file (kept once, up to FILE_SIDS_MAX). */
void file_add_sid(struct app_file *f, uint32_t sid);
/* End an open file with state (FILE_CLOSED, FILE_TRUNCATED, FILE_ERROR);
 * true when it was open (the caller logs it then). */
bool file_close(struct app_file *f, enum file_state state);
/* Free the name; f goes back to FILE_NONE. */
void file_free(struct app_file *f);
/* "CLOSED", "TRUNCATED", "ERROR", "OPEN", "UNKNOWN" as Suricata spells them. */
const char *file_state_name(enum file_state s);

#endif
