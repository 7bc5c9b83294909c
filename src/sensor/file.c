/*
 * file.c - the file tracker (see file.h).
 */
#include "file.h"

#include <stdlib.h>
#include <string.h>

void file_open(struct app_file *f, const void *name, size_t len, uint64_t tx_id, int dir)
{
	memset(f, 0, sizeof(*f));
	if (len > FILE_NAME_MAX)
		len = FILE_NAME_MAX;
	if (len && (f->name = malloc(len))) {
		memcpy(f->name, name, len);
		f->name_len = (uint16_t)len;
	}
	f->tx_id = tx_id;
	f->dir = (uint8_t)dir;
	f->state = FILE_OPEN;
}

void file_data(struct app_file *f, uint64_t n)
{
	if (f->state == FILE_OPEN)
		f->size += n;
}

void file_gap(struct app_file *f, uint64_t n)
{
	if (f->state != FILE_OPEN)
		return;
	f->size += n;
	f->gaps = true;
}

void file_add_sid(struct app_file *f, uint32_t sid)
{
	for (uint8_t i = 0; i < f->nsids; i++)
		if (f->sids[i] == sid)
			return;
	if (f->nsids < FILE_SIDS_MAX)
		f->sids[f->nsids++] = sid;
}

bool file_close(struct app_file *f, enum file_state state)
{
	if (f->state != FILE_OPEN)
		return false;
	f->state = (uint8_t)state;
	return true;
}

void file_free(struct app_file *f)
{
	free(f->name);
	memset(f, 0, sizeof(*f));
}

const char *file_state_name(enum file_state s)
{
	switch (s) {
	case FILE_OPEN: return "OPEN";
	case FILE_CLOSED: return "CLOSED";
	case FILE_TRUNCATED: return "TRUNCATED";
	case FILE_ERROR: return "ERROR";
	case FILE_NONE: break;
	}
	return "UNKNOWN";
}
