/*
 * sensor-config.c - the sensor's configuration keys.  Names follow
 * Suricata's suricata.yaml where a key means the same thing, so that
 * Suricata's `--set` options work unchanged.
 */
#include "sensor-config.h"

#include <stdint.h>


#define U32 UINT32_MAX
#define GB(n) ((uint64_t)(n) << 30)
#define MB(n) ((uint64_t)(n) << 20)

const struct cfg_key sensor_cfg_keys[] = {
	{ "sensor.id", CFG_STR, NULL, 0, 0, "name of this sensor in events (default: the host name)" },
	{ "sensor.tenant", CFG_STR, NULL, 0, 0, "tenant (customer) id written into events" },
	{ "run-as.user", CFG_STR, "nobody", 0, 0, "live capture: the user the sensor becomes once the capture is open" },
	{ "default-log-dir", CFG_STR, "/var/log/otasuke", 0, 0, "folder for eve.json (-l overrides)" },

	{ "logging.level", CFG_STR, "notice", 0, 0, "error, warning, notice, info or debug" },
	{ "logging.file", CFG_STR, NULL, 0, 0, "write diagnostics to this file instead of stderr" },

	{ "outputs.eve.enabled", CFG_BOOL, "yes", 0, 0, "write EVE events to a file" },
	{ "outputs.eve.filename", CFG_STR, "eve.json", 0, 0, "file name, relative to the log folder" },
	{ "outputs.eve.rotate-size", CFG_SIZE, "100mb", 0, GB(64), "rotate eve.json when it reaches this size (0: never)" },
	{ "outputs.eve.rotate-count", CFG_UINT, "5", 0, 1000, "rotated files kept (eve.json.1 ... .N)" },
	{ "outputs.eve.anomaly", CFG_BOOL, "yes", 0, 0, "log decoder and protocol anomalies" },
	{ "outputs.eve.fileinfo", CFG_BOOL, "yes", 0, 0, "log one fileinfo event per file carried (HTTP bodies)" },
	{ "outputs.upload.enabled", CFG_BOOL, "no", 0, 0, "send every event to otasuked too (upload.*), kept in a spool until it is acknowledged" },

	{ "upload.url", CFG_STR, NULL, 0, 0, "otasuked's address: https://HOST:PORT" },
	{ "upload.ca-file", CFG_STR, "/var/lib/otasuke/ca.pem", 0, 0, "the server's CA certificate, the only one trusted (from --enroll)" },
	{ "upload.cert-file", CFG_STR, "/var/lib/otasuke/device.crt", 0, 0, "this sensor's certificate (from --enroll)" },
	{ "upload.key-file", CFG_STR, "/var/lib/otasuke/device.key", 0, 0, "this sensor's private key (from --enroll, mode 0600)" },
	{ "upload.spool.dir", CFG_STR, "/var/lib/otasuke/spool", 0, 0, "folder of the batches waiting to be sent" },
	{ "upload.spool.max-size", CFG_SIZE, "256mb", 1 << 16, GB(1024), "disk the spool may use; beyond it the oldest batches are dropped (at least 4 batches)" },
	{ "upload.batch.max-events", CFG_UINT, "1000", 1, 10000, "a batch is sent when it holds this many events" },
	{ "upload.batch.max-size", CFG_SIZE, "1mb", 1 << 10, 8 << 20, "... or this many bytes of events (NDJSON, before gzip)" },
	{ "upload.batch.max-age", CFG_UINT, "5", 1, 3600, "... or this many seconds after its first event" },
	{ "upload.timeout", CFG_UINT, "60", 1, 3600, "seconds one request may take" },
	{ "upload.retry.min-delay", CFG_UINT, "1000", 1, 3600000, "milliseconds before the first retry; doubled after each failure" },
	{ "upload.retry.max-delay", CFG_UINT, "300000", 1, 86400000, "milliseconds: the longest wait between retries" },
	{ "upload.drain-timeout", CFG_UINT, "10", 0, 3600, "seconds the sensor goes on sending at exit while batches wait" },

	{ "pcap.interface", CFG_STR, NULL, 0, 0, "interface for live capture (-i overrides)" },
	{ "pcap.bpf-filter", CFG_STR, NULL, 0, 0, "BPF filter expression for capture and files (-F overrides)" },
	{ "pcap.promisc", CFG_BOOL, "yes", 0, 0, "put the interface in promiscuous mode" },
	{ "pcap.snaplen", CFG_UINT, "65535", 64, 262144, "bytes captured per packet" },
	{ "pcap.buffer-size", CFG_SIZE, "64mb", 1 << 20, GB(2), "kernel capture buffer size" },

	{ "decoder.vxlan.enabled", CFG_BOOL, "yes", 0, 0, "decode VXLAN tunnels" },
	{ "decoder.vxlan.ports", CFG_UINT, "4789", 1, 65535, "UDP port of VXLAN" },
	{ "decoder.teredo.enabled", CFG_BOOL, "yes", 0, 0, "decode Teredo (IPv6 in UDP 3544)" },
	{ "decoder.erspan.typeI.enabled", CFG_BOOL, "yes", 0, 0, "decode ERSPAN type I inside GRE" },
	{ "decoder.recursion-level.use-for-tracking", CFG_BOOL, "yes", 0, 0, "tunnel depth is part of the flow key" },
	{ "vlan.use-for-tracking", CFG_BOOL, "yes", 0, 0, "VLAN ids are part of the flow key" },
	{ "checksum-validation", CFG_BOOL, "no", 0, 0, "ignore packets with bad checksums (-k all/none)" },

	{ "defrag.memcap", CFG_SIZE, "32mb", 1 << 16, GB(4), "memory for IP fragments waiting for reassembly" },
	{ "defrag.timeout", CFG_UINT, "60", 1, 3600, "seconds a fragment waits for the rest of its datagram" },

	{ "flow.memcap", CFG_SIZE, "128mb", 1 << 20, GB(64), "memory for flows; the least recently used are evicted beyond it" },
	{ "flow.hash-size", CFG_UINT, "65536", 1, 1 << 26, "flow hash buckets" },
	{ "flow-timeouts.default.new", CFG_UINT, "30", 0, U32, "seconds (other IP protocols, one-sided)" },
	{ "flow-timeouts.default.established", CFG_UINT, "300", 0, U32, "seconds (other IP protocols, two-sided)" },
	{ "flow-timeouts.tcp.new", CFG_UINT, "60", 0, U32, "seconds (TCP before the handshake completes)" },
	{ "flow-timeouts.tcp.established", CFG_UINT, "600", 0, U32, "seconds (TCP established)" },
	{ "flow-timeouts.tcp.closed", CFG_UINT, "60", 0, U32, "seconds (TCP after FIN or RST)" },
	{ "flow-timeouts.udp.new", CFG_UINT, "30", 0, U32, "seconds (UDP one-sided)" },
	{ "flow-timeouts.udp.established", CFG_UINT, "300", 0, U32, "seconds (UDP two-sided)" },
	{ "flow-timeouts.icmp.new", CFG_UINT, "30", 0, U32, "seconds (ICMP one-sided)" },
	{ "flow-timeouts.icmp.established", CFG_UINT, "300", 0, U32, "seconds (ICMP two-sided)" },

	{ "stream.memcap", CFG_SIZE, "256mb", 1 << 20, GB(64), "memory for out-of-order TCP data" },
	{ "stream.midstream", CFG_BOOL, "no", 0, 0, "follow TCP sessions whose handshake was not seen" },
	{ "stream.async-oneside", CFG_BOOL, "no", 0, 0, "reassemble sessions of which only one side is seen" },
	{ "stream.inline", CFG_BOOL, "no", 0, 0, "hand TCP data on without waiting for the acknowledgement" },
	{ "stream.reassembly.overlap-policy", CFG_STR, "first", 0, 0, "overlapping TCP data: keep the bytes seen first (first) or the newer ones (last)" },
	{ "stream.reassembly.depth", CFG_SIZE, "1mb", 0, GB(4), "bytes reassembled per direction (0: all)" },

	{ "app-layer.protocols.http.enabled", CFG_BOOL, "yes", 0, 0, "detect and log HTTP/1.x" },
	{ "app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit", CFG_UINT, "2", 0, 64, "Content-Encoding layers of an HTTP body decoded (0: no limit)" },
	{ "app-layer.protocols.http.libhtp.default-config.request-body-limit", CFG_SIZE, "100kb", 0, MB(4), "bytes of an HTTP request body kept for rules (http.request_body; at most the 4 MiB a flow may hold)" },
	{ "app-layer.protocols.http.libhtp.default-config.response-body-limit", CFG_SIZE, "100kb", 0, MB(4), "bytes of an HTTP response body kept for rules (file_data; at most the 4 MiB a flow may hold)" },
	{ "app-layer.protocols.tls.enabled", CFG_BOOL, "yes", 0, 0, "detect and log TLS" },
	{ "app-layer.protocols.dns.enabled", CFG_BOOL, "yes", 0, 0, "detect and log DNS" },

	{ "detect.prefilter", CFG_BOOL, "yes", 0, 0, "evaluate a rule only when the multi-pattern prefilter finds its fast pattern" },
	{ "detect.cache-dir", CFG_STR, "/var/lib/otasuke/cache", 0, 0, "folder of compiled prefilter databases, reused when the rules are the same (empty: none)" },
	{ "default-rule-path", CFG_STR, NULL, 0, 0, "folder of the rule files named by relative paths in rule-files" },
	{ "rule-files", CFG_LIST, NULL, 0, 0, "rule files to load (-S replaces, -s adds)" },
	{ "classification-file", CFG_STR, NULL, 0, 0, "classification.config (default: the one next to the rules, if any)" },
	{ "reference-config-file", CFG_STR, NULL, 0, 0, "reference.config (default: the one next to the rules, if any)" },
	{ "threshold-file", CFG_STR, NULL, 0, 0, "threshold.config: thresholds and suppressions by gen_id/sig_id" },
	{ "reputation-categories-file", CFG_STR, NULL, 0, 0, "IP reputation categories: 'id,shortname,description' lines, as Suricata's" },
	{ "default-reputation-path", CFG_STR, NULL, 0, 0, "folder of the files named by relative paths in reputation-files and reputation-lists" },
	{ "reputation-files", CFG_LIST, NULL, 0, 0, "Suricata reputation files ('address[/prefix],category-id,score' lines), for iprep rules" },
	{ "reputation-lists", CFG_LIST, NULL, 0, 0, "address lists (one address, prefix or range a line, as ET's compromised-ips.txt), each CATEGORY:SCORE:FILE or CATEGORY:FILE (score 100)" },
	{ "reputation-alerts", CFG_BOOL, "yes", 0, 0, "alert on traffic to or from an address of reputation-lists without any rule (built-in signatures: gid 1, sid 9100000-9125599)" },
	{ "vars.address-groups.HOME_NET", CFG_STR, NULL, 0, 0, "the networks protected (default [192.168.0.0/16,10.0.0.0/8,172.16.0.0/12])" },
	{ "vars.address-groups.EXTERNAL_NET", CFG_STR, NULL, 0, 0, "the other networks (default !$HOME_NET)" },
	{ "vars.address-groups.HTTP_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.SMTP_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.SQL_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.DNS_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.TELNET_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.DC_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.DNP3_SERVER", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.DNP3_CLIENT", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.MODBUS_CLIENT", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.MODBUS_SERVER", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.ENIP_CLIENT", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.ENIP_SERVER", CFG_STR, NULL, 0, 0, "address group for rules (default $HOME_NET)" },
	{ "vars.address-groups.AIM_SERVERS", CFG_STR, NULL, 0, 0, "address group for rules (default $EXTERNAL_NET)" },
	{ "vars.port-groups.HTTP_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 80)" },
	{ "vars.port-groups.SHELLCODE_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default !80)" },
	{ "vars.port-groups.ORACLE_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 1521)" },
	{ "vars.port-groups.SSH_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 22)" },
	{ "vars.port-groups.DNP3_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 20000)" },
	{ "vars.port-groups.MODBUS_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 502)" },
	{ "vars.port-groups.FILE_DATA_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default [$HTTP_PORTS,110,143])" },
	{ "vars.port-groups.FTP_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 21)" },
	{ "vars.port-groups.GENEVE_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 6081)" },
	{ "vars.port-groups.VXLAN_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 4789)" },
	{ "vars.port-groups.TEREDO_PORTS", CFG_STR, NULL, 0, 0, "port group for rules (default 3544)" },
};

const size_t sensor_cfg_nkeys = sizeof(sensor_cfg_keys) / sizeof(sensor_cfg_keys[0]);

struct ot_config *sensor_config_load(const char *path, const char *const *sets, int nsets,
				     int *problems)
{
	struct ot_config *cfg = cfg_new(sensor_cfg_keys, sensor_cfg_nkeys);
	*problems = 0;
	if (!cfg)
		return NULL;
	if (path) {
		int r = cfg_load_file(cfg, path);
		*problems += r < 0 ? 1 : r;
	}
	for (int i = 0; i < nsets; i++) {
		/* Suricata's keys that have no equivalent here only warn */
		if (cfg_set(cfg, sets[i], true) < 0)
			(*problems)++;
	}
	return cfg;
}
