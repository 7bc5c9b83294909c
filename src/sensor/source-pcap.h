/*
 * source-pcap.h - where packets come from: capture files (pcap and pcapng,
 * one file or a folder of them, read in name order) and live interfaces,
 * both through libpcap.
 */
#ifndef OT_SOURCE_PCAP_H
#define OT_SOURCE_PCAP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sensor.h"

struct live_opts {
	const char *iface;
	const char *bpf;            /* NULL: everything */
	bool promisc;
	int snaplen;
	int buffer_size;            /* bytes */
};

struct source_stats {
	uint64_t files, files_failed;
	uint64_t pkts;
	uint64_t kernel_drops;      /* live: dropped by the kernel */
};

/*
 * Read path (a file, or every regular file in a folder) through sensor s.
 * bpf may be NULL.  Stops early when *stop becomes non-zero.  Returns 0, or
 * -1 when nothing could be read (each failing file is reported and the
 * others are still read).
 */
int source_read_path(struct sensor *s, const char *path, const char *bpf,
		     volatile sig_atomic_t *stop, struct source_stats *st);

/* Open a live capture (must run with the needed privilege); NULL on error. */
struct live_source;
struct live_source *source_live_open(const struct live_opts *o);
/* Capture until *stop; 0 or -1. */
int source_live_run(struct live_source *ls, struct sensor *s, volatile sig_atomic_t *stop,
		    struct source_stats *st);
/* Make source_live_run return soon, even while no packet passes the filter
 * (libpcap may wait for one without end).  Safe in a signal handler. */
void source_live_break(struct live_source *ls);
void source_live_close(struct live_source *ls);

#endif
