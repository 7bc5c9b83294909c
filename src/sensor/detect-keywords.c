/*
 * detect-keywords.c - every rule option the sensor knows, in one table:
 * name, what value it takes, the function that checks the value and
 * records it in the rule, and how to free what it recorded.  The setups
 * live in one file per family (detect-kw-*.c).  Buffer keywords (http.uri,
 * http_uri, file_data...) are not listed here: they come from the buffer
 * table (detect-buffers.c).  A keyword listed with no setup is one
 * Suricata has and the sensor does not support yet: a rule using it is
 * rejected, naming it.
 */
#include <string.h>

#include "detect.h"

#define SETUP(f) int f(struct rule_parse *rp, const char *value)
#define FREE(f) void f(void *ctx)

SETUP(kw_msg_setup); SETUP(kw_sid_setup); SETUP(kw_rev_setup); SETUP(kw_gid_setup);
SETUP(kw_classtype_setup); SETUP(kw_priority_setup); SETUP(kw_reference_setup);
SETUP(kw_metadata_setup); SETUP(kw_target_setup); SETUP(kw_noalert_setup);

SETUP(kw_content_setup); SETUP(kw_uricontent_setup); SETUP(kw_nocase_setup);
SETUP(kw_depth_setup); SETUP(kw_offset_setup); SETUP(kw_distance_setup);
SETUP(kw_within_setup); SETUP(kw_startswith_setup); SETUP(kw_endswith_setup);
SETUP(kw_fast_pattern_setup); SETUP(kw_rawbytes_setup); SETUP(kw_isdataat_setup);
SETUP(kw_bsize_setup); SETUP(kw_urilen_setup); SETUP(kw_dsize_setup);
SETUP(kw_transform_setup); SETUP(kw_base64_decode_setup);
FREE(kw_content_free);

SETUP(kw_pcre_setup);
FREE(kw_pcre_free);

SETUP(kw_byte_test_setup); SETUP(kw_byte_jump_setup); SETUP(kw_byte_extract_setup);

SETUP(kw_flow_setup); SETUP(kw_flowbits_setup); SETUP(kw_flowint_setup);
FREE(kw_flowbits_free); FREE(kw_flowint_free);
SETUP(kw_xbits_setup); FREE(kw_xbits_free);

SETUP(kw_ttl_setup); SETUP(kw_itype_setup); SETUP(kw_icode_setup); SETUP(kw_ip_proto_setup);
SETUP(kw_flags_setup); SETUP(kw_ack_setup); SETUP(kw_seq_setup); SETUP(kw_window_setup);
SETUP(kw_id_setup); SETUP(kw_icmp_id_setup); SETUP(kw_icmp_seq_setup);
SETUP(kw_fragbits_setup); SETUP(kw_stream_size_setup); SETUP(kw_threshold_setup);
SETUP(kw_detection_filter_setup); SETUP(kw_tag_setup); SETUP(kw_app_layer_protocol_setup);

SETUP(kw_iprep_setup);

#define V 0                     /* takes a value */
#define N KW_NOVALUE
#define O KW_OPTVALUE
#define T (KW_NOVALUE | KW_TRANSFORM)

const struct detect_kw detect_keywords[] = {
	/* meta (detect-kw-meta.c) */
	{ "msg", V, -1, kw_msg_setup, NULL, "the alert's message" },
	{ "sid", V, -1, kw_sid_setup, NULL, "rule id" },
	{ "rev", V, -1, kw_rev_setup, NULL, "rule revision" },
	{ "gid", V, -1, kw_gid_setup, NULL, "group id (1 by default)" },
	{ "classtype", V, -1, kw_classtype_setup, NULL, "class from classification.config" },
	{ "priority", V, -1, kw_priority_setup, NULL, "1 (highest) to 255" },
	{ "reference", V, -1, kw_reference_setup, NULL, "kind,value (reference.config kinds)" },
	{ "metadata", V, -1, kw_metadata_setup, NULL, "key value pairs, comma-separated" },
	{ "target", V, -1, kw_target_setup, NULL, "src_ip or dest_ip: the side attacked" },
	{ "noalert", N, -1, kw_noalert_setup, NULL, "match without an alert" },
	/* payload (detect-kw-content.c) */
	{ "content", V, -1, kw_content_setup, kw_content_free, "bytes to find, with |hex|" },
	{ "uricontent", V, DBUF_HTTP_URI, kw_uricontent_setup, kw_content_free, "content in http.uri" },
	{ "nocase", N, -1, kw_nocase_setup, NULL, "the content ignores case" },
	{ "depth", V, -1, kw_depth_setup, NULL, "the content ends within N bytes of the start" },
	{ "offset", V, -1, kw_offset_setup, NULL, "the content starts N bytes in or more" },
	{ "distance", V, -1, kw_distance_setup, NULL, "N bytes after the previous match or more" },
	{ "within", V, -1, kw_within_setup, NULL, "ends within N bytes of the previous match" },
	{ "startswith", N, -1, kw_startswith_setup, NULL, "the content starts the buffer" },
	{ "endswith", N, -1, kw_endswith_setup, NULL, "the content ends the buffer" },
	{ "fast_pattern", O, -1, kw_fast_pattern_setup, NULL, "use this content for prefiltering" },
	{ "rawbytes", N, -1, kw_rawbytes_setup, NULL, "the content looks at raw bytes" },
	{ "isdataat", V, -1, kw_isdataat_setup, NULL, "there are data at position N" },
	{ "bsize", V, -1, kw_bsize_setup, NULL, "size of the sticky buffer" },
	{ "urilen", V, -1, kw_urilen_setup, NULL, "length of the URI" },
	{ "dsize", V, -1, kw_dsize_setup, NULL, "payload size of the packet" },
	{ "dotprefix", T, TR_DOTPREFIX, kw_transform_setup, NULL, "transform: prepend a dot" },
	{ "strip_whitespace", T, TR_STRIP_WHITESPACE, kw_transform_setup, NULL, "transform: remove white space" },
	{ "compress_whitespace", T, TR_COMPRESS_WHITESPACE, kw_transform_setup, NULL, "transform: squeeze white space" },
	{ "to_lowercase", T, TR_TO_LOWERCASE, kw_transform_setup, NULL, "transform: lower case" },
	{ "to_uppercase", T, TR_TO_UPPERCASE, kw_transform_setup, NULL, "transform: upper case" },
	{ "url_decode", T, TR_URL_DECODE, kw_transform_setup, NULL, "transform: %XX decoding" },
	{ "to_md5", T, TR_TO_MD5, kw_transform_setup, NULL, "transform: MD5 of the buffer" },
	{ "to_sha1", T, TR_TO_SHA1, kw_transform_setup, NULL, "transform: SHA-1 of the buffer" },
	{ "to_sha256", T, TR_TO_SHA256, kw_transform_setup, NULL, "transform: SHA-256 of the buffer" },
	{ "strip_pseudo_headers", T, TR_STRIP_PSEUDO_HEADERS, kw_transform_setup, NULL, "transform: drop HTTP/2 pseudo headers" },
	{ "header_lowercase", T, TR_HEADER_LOWERCASE, kw_transform_setup, NULL, "transform: lower-case header names" },
	{ "base64_decode", O, -1, kw_base64_decode_setup, NULL, "decode base64 for base64_data" },
	/* pcre (detect-kw-pcre.c) */
	{ "pcre", V, -1, kw_pcre_setup, kw_pcre_free, "Perl regular expression" },
	/* byte_* (detect-kw-byte.c) */
	{ "byte_test", V, -1, kw_byte_test_setup, NULL, "compare bytes read as a number" },
	{ "byte_jump", V, -1, kw_byte_jump_setup, NULL, "move by bytes read as a number" },
	{ "byte_extract", V, -1, kw_byte_extract_setup, NULL, "read a number into a variable" },
	/* flows (detect-kw-flow.c) */
	{ "flow", V, -1, kw_flow_setup, NULL, "direction and state of the flow" },
	{ "flowbits", V, -1, kw_flowbits_setup, kw_flowbits_free, "flags kept on the flow" },
	{ "flowint", V, -1, kw_flowint_setup, kw_flowint_free, "counters kept on the flow" },
	{ "xbits", V, -1, kw_xbits_setup, kw_xbits_free, "flags on hosts or IP pairs, for a while" },
	/* packets (detect-kw-pkt.c) */
	{ "ttl", V, -1, kw_ttl_setup, NULL, "IP time to live" },
	{ "itype", V, -1, kw_itype_setup, NULL, "ICMP type" },
	{ "icode", V, -1, kw_icode_setup, NULL, "ICMP code" },
	{ "ip_proto", V, -1, kw_ip_proto_setup, NULL, "IP protocol" },
	{ "flags", V, -1, kw_flags_setup, NULL, "TCP flags" },
	{ "ack", V, -1, kw_ack_setup, NULL, "TCP acknowledgement number" },
	{ "seq", V, -1, kw_seq_setup, NULL, "TCP sequence number" },
	{ "window", V, -1, kw_window_setup, NULL, "TCP window" },
	{ "id", V, -1, kw_id_setup, NULL, "IPv4 identification" },
	{ "icmp_id", V, -1, kw_icmp_id_setup, NULL, "ICMP echo id" },
	{ "icmp_seq", V, -1, kw_icmp_seq_setup, NULL, "ICMP echo sequence" },
	{ "fragbits", V, -1, kw_fragbits_setup, NULL, "IPv4 fragment bits M D R" },
	{ "stream_size", V, -1, kw_stream_size_setup, NULL, "bytes seen on the TCP stream" },
	{ "threshold", V, -1, kw_threshold_setup, NULL, "alert rate: limit, threshold, both" },
	{ "detection_filter", V, -1, kw_detection_filter_setup, NULL, "match only after N hits" },
	{ "tag", V, -1, kw_tag_setup, NULL, "log the packets that follow" },
	{ "app-layer-protocol", V, -1, kw_app_layer_protocol_setup, NULL, "protocol of the flow" },
	/* IP reputation (detect-kw-iprep.c) */
	{ "iprep", V, -1, kw_iprep_setup, NULL, "reputation of the packet's addresses" },
	/* known, not supported yet */
	{ "asn1", V, -1, NULL, NULL, "ASN.1 checks" },
	{ "app-layer-event", V, -1, NULL, NULL, "a protocol parser's anomaly" },
	{ "ipopts", V, -1, NULL, NULL, "IPv4 options" },
	{ "ssl_state", V, -1, NULL, NULL, "TLS handshake state" },
	{ "ssl_version", V, -1, NULL, NULL, "TLS version" },
	{ "tls.version", V, -1, NULL, NULL, "TLS version" },
	{ "tls.fingerprint", V, -1, NULL, NULL, "certificate fingerprint (old form)" },
	{ "ftpbounce", N, -1, NULL, NULL, "FTP PORT to another host" },
	{ "sameip", N, -1, NULL, NULL, "source and destination are equal" },
	{ "dataset", V, -1, NULL, NULL, "sets of values" },
	{ "datarep", V, -1, NULL, NULL, "reputation of values" },
	{ "lua", V, -1, NULL, NULL, "Lua scripts" },
	{ "luajit", V, -1, NULL, NULL, "Lua scripts" },
	{ "filemd5", V, -1, NULL, NULL, "file hash lists" },
	{ "filestore", O, -1, NULL, NULL, "store files" },
	{ "dce_iface", V, -1, NULL, NULL, "DCE/RPC interface" },
	{ "dce_opnum", V, -1, NULL, NULL, "DCE/RPC operation" },
	{ "dce_stub_data", N, -1, NULL, NULL, "DCE/RPC stub data" },
	{ "replace", V, -1, NULL, NULL, "IPS: rewrite bytes" },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

int detect_keyword_find(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; detect_keywords[i].name; i++)
		if (!strcmp(detect_keywords[i].name, name))
			return i;
	return -1;
}
