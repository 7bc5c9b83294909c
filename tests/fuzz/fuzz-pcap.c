/*
 * fuzz-pcap.c - the whole packet pipeline on a fuzzed capture file:
 * libpcap reads the input as a pcap file, and every packet goes through
 * decode, flow, stream, protocol detection and the parsers, with events
 * written to /dev/null.  Catches what the per-parser targets cannot: the
 * way the parts hand data to each other.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>

#include "../../src/lib/config.h"
#include "../../src/lib/log.h"
#include "../../src/sensor/sensor.h"
#include "../../src/sensor/sensor-config.h"

static struct ot_config *cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	if (!cfg) {
		ot_log_set_level(OT_LOG_ERROR);
		cfg = cfg_new(sensor_cfg_keys, sensor_cfg_nkeys);
		cfg_set(cfg, "outputs.eve.filename=/dev/null", false);
		cfg_set(cfg, "stream.midstream=yes", false);
		cfg_set(cfg, "stream.memcap=8mb", false);
		cfg_set(cfg, "flow.memcap=4mb", false);
	}
	FILE *fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	pcap_t *pc = pcap_fopen_offline(fp, err);
	if (!pc) {
		fclose(fp);
		return 0;
	}
	struct sensor *s = sensor_new(cfg, "/tmp");
	if (s) {
		struct pcap_pkthdr *h;
		const u_char *pkt;
		uint64_t n = 0;
		while (pcap_next_ex(pc, &h, &pkt) == 1) {
			struct packet p;
			packet_from_capture(&p, &h->ts, pkt, h->caplen, h->len, pcap_datalink(pc), ++n);
			sensor_packet(s, &p);
		}
		sensor_finish(s);
		sensor_free(s);
	}
	pcap_close(pc);
	return 0;
}
