/*
 * log-file.h - the EVE "fileinfo" event, one per file when it ends (file.h).
 */
#ifndef OT_LOG_FILE_H
#define OT_LOG_FILE_H

#include "applayer.h"
#include "file.h"

/* Writes the protocol's own object (HTTP: the "http" object of its event). */
typedef void (*log_file_obj_fn)(struct jw *w, const void *arg);

/*
 * One fileinfo event for f, carried by app_proto: the 5-tuple in the
 * direction the file travelled, app_proto, obj's members (may be NULL),
 * then the fileinfo object.  Nothing when the configuration turns the
 * event off (ctx->cfg->fileinfo).
 */
void log_fileinfo(struct app_ctx *ctx, const char *app_proto, const struct app_file *f,
		  log_file_obj_fn obj, const void *arg);

#endif
