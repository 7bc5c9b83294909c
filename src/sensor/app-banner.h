/*
 * app-banner.h - probing line-based protocols by their greeting (to client)
 * or their first command (to server); shared by app-banner.c and the line
 * protocols that have a parser of their own (app-pop3.c).
 */
#ifndef OT_APP_BANNER_H
#define OT_APP_BANNER_H

#include <stddef.h>
#include <stdint.h>

/*
 * To client: PROBE_YES when the data starts with greeting (and, when
 * greeting_word is given, the first line contains it).  To server: when the
 * first line starts with one of verbs (NULL-terminated) followed by a space
 * or the line end.  PROBE_NEED_MORE until a line is complete.
 */
int app_probe_lines(const uint8_t *d, size_t len, int dir, const char *const *verbs,
		    const char *greeting, const char *greeting_word);

#endif
