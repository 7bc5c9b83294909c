/*
 * log-file.c - the EVE "fileinfo" event, written as Suricata 7 writes it:
 * the flow's 5-tuple oriented the way the file travelled (server to client
 * for a download), app_proto, the carrying protocol's object (for HTTP the
 * same "http" object as its own event), then
 *   "fileinfo": {"filename", "sid": [...], "gaps", "state", "stored",
 *                "size", "tx_id"}
 * Files are never stored, so "stored" is always false.
 */
#include "log-file.h"

void log_fileinfo(struct app_ctx *ctx, const char *app_proto, const struct app_file *f,
		  log_file_obj_fn obj, const void *arg)
{
	if (ctx->cfg && !ctx->cfg->fileinfo)
		return;
	struct jw *w = app_event_begin(ctx, "fileinfo", f->dir, -1);
	jw_str(w, "app_proto", app_proto);
	if (obj)
		obj(w, arg);
	jw_obj_open(w, "fileinfo");
	jw_strn(w, "filename", f->name ? f->name : "", f->name_len);
	jw_arr_open(w, "sid");
	for (uint8_t i = 0; i < f->nsids; i++)
		jw_uint(w, NULL, f->sids[i]);
	jw_arr_close(w);
	jw_bool(w, "gaps", f->gaps);
	jw_str(w, "state", file_state_name((enum file_state)f->state));
	jw_bool(w, "stored", false);
	jw_uint(w, "size", f->size);
	jw_uint(w, "tx_id", f->tx_id);
	jw_obj_close(w);
	app_event_end(ctx);
}
