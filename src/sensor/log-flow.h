/*
 * log-flow.h - EVE `flow` and decoder `anomaly` events.
 */
#ifndef OT_LOG_FLOW_H
#define OT_LOG_FLOW_H

#include "../lib/json.h"
#include "flow.h"
#include "flow-table.h"
#include "packet.h"

/* Write the flow event of f (ending for reason) into w (reset first). */
void log_flow(struct jw *w, const struct flow *f, enum flow_end_reason reason);
/* The packet and byte counters and start time of f, as members of the
 * object being written (the "flow" object of flow and alert events). */
void log_flow_counters(struct jw *w, const struct flow *f);
/* Write one anomaly event for decoder event ev of p into w (reset first). */
void log_decode_anomaly(struct jw *w, const struct packet *p, uint16_t ev);

#endif
