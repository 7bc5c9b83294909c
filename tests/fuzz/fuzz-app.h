/*
 * fuzz-app.h - one driver for every app-layer parser's fuzz target.
 *
 * Input layout: the first byte's low 4 bits give the number of script
 * bytes that follow (0-15); its bit 4 says the flow is TCP (the parser sees
 * it in ctx.tcp).  Each script byte describes one call: bit 7 = direction
 * (set: to client), bit 6 = a gap instead of data, bits 0-5 = n, the chunk
 * being n * n + 1 bytes (n = 0: all the rest).  The bytes after the script
 * are cut into chunks as the script says; a script that runs out starts
 * over; an empty script sends everything to the server and then the same
 * bytes to the client.  probe() is asked about the data first, in both
 * directions; each chunk is handed over in a private copy so a read past
 * its end shows under ASan; every event must be one whole JSON object;
 * every transaction the parser hands to detection (app_tx_ready) has all
 * its rule buffers read; flow_end() and tx_count() run at the end.
 */
#ifndef OT_FUZZ_APP_H
#define OT_FUZZ_APP_H

#include <stddef.h>
#include <stdint.h>

#include "applayer.h"

/* Run the input through ap.  after, when given, is called after every
 * parser call with the parser state (to read the parser's accessors) and
 * returns a value folded into a checksum that keeps the reads alive. */
void fuzz_app_run(const struct app_parser *ap, const uint8_t *data, size_t size,
		  size_t (*after)(const void *state));

#endif
