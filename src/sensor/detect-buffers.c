/*
 * detect-buffers.c - the buffers content-like keywords look into, with
 * every spelling rules use for each: the sticky-buffer keyword of
 * Suricata 5 and later (http.uri;), the content modifier of older rules
 * (content:"x"; http_uri;) and the other sticky spellings that remain in
 * use (file_data, dns_query, tls_sni, ja3_hash...).  The parser turns every
 * name here into a keyword, so adding a buffer is one line of this table.
 */
#include <string.h>

#include "detect.h"
#include "applayer.h"

#define TS DETECT_TOSERVER
#define TC DETECT_TOCLIENT
#define BOTH (DETECT_TOSERVER | DETECT_TOCLIENT)

const struct detect_buffer_info detect_buffers[DBUF_MAX] = {
	[DBUF_PAYLOAD] = { "pkt_data", NULL, NULL, 0, BOTH, NULL },
	[DBUF_HTTP_URI] = { "http.uri", "http_uri", NULL, APP_HTTP, TS, NULL },
	[DBUF_HTTP_URI_RAW] = { "http.uri.raw", "http_raw_uri", NULL, APP_HTTP, TS, NULL },
	[DBUF_HTTP_METHOD] = { "http.method", "http_method", NULL, APP_HTTP, TS, NULL },
	[DBUF_HTTP_HOST] = { "http.host", "http_host", NULL, APP_HTTP, TS, NULL },
	[DBUF_HTTP_HOST_RAW] = { "http.host.raw", "http_raw_host", NULL, APP_HTTP, TS, NULL },
	[DBUF_HTTP_USER_AGENT] = { "http.user_agent", "http_user_agent", NULL, APP_HTTP, TS, NULL },
	[DBUF_HTTP_HEADER] = { "http.header", "http_header", NULL, APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_HEADER_RAW] = { "http.header.raw", "http_raw_header", NULL, APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_HEADER_NAMES] = { "http.header_names", NULL, "http_header_names", APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_COOKIE] = { "http.cookie", "http_cookie", NULL, APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_REQUEST_BODY] = { "http.request_body", "http_client_body", "http.client_body", APP_HTTP, TS, NULL },
	[DBUF_HTTP_REQUEST_LINE] = { "http.request_line", NULL, "http_request_line", APP_HTTP, TS, NULL },
	[DBUF_HTTP_START] = { "http.start", NULL, "http_start", APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_PROTOCOL] = { "http.protocol", NULL, "http_protocol", APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_REFERER] = { "http.referer", NULL, "http_referer", APP_HTTP, TS, NULL },
	[DBUF_HTTP_ACCEPT] = { "http.accept", NULL, "http_accept", APP_HTTP, TS, NULL },
	[DBUF_HTTP_ACCEPT_ENC] = { "http.accept_enc", NULL, "http_accept_enc", APP_HTTP, TS, NULL },
	[DBUF_HTTP_ACCEPT_LANG] = { "http.accept_lang", NULL, "http_accept_lang", APP_HTTP, TS, NULL },
	[DBUF_HTTP_CONNECTION] = { "http.connection", NULL, "http_connection", APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_CONTENT_TYPE] = { "http.content_type", NULL, "http_content_type", APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_CONTENT_LEN] = { "http.content_len", NULL, "http_content_len", APP_HTTP, BOTH, NULL },
	[DBUF_HTTP_STAT_CODE] = { "http.stat_code", "http_stat_code", NULL, APP_HTTP, TC, NULL },
	[DBUF_HTTP_STAT_MSG] = { "http.stat_msg", "http_stat_msg", NULL, APP_HTTP, TC, NULL },
	[DBUF_HTTP_RESPONSE_LINE] = { "http.response_line", NULL, "http_response_line", APP_HTTP, TC, NULL },
	[DBUF_HTTP_RESPONSE_BODY] = { "http.response_body", "http_server_body", "file.data", 0, BOTH, "file_data" },
	[DBUF_HTTP_SERVER] = { "http.server", NULL, "http_server", APP_HTTP, TC, NULL },
	[DBUF_HTTP_LOCATION] = { "http.location", NULL, "http_location", APP_HTTP, TC, NULL },
	[DBUF_DNS_QUERY] = { "dns.query", NULL, "dns_query", APP_DNS, TS, NULL },
	[DBUF_TLS_SNI] = { "tls.sni", NULL, "tls_sni", APP_TLS, TS, NULL },
	[DBUF_TLS_CERT_SUBJECT] = { "tls.cert_subject", NULL, "tls_cert_subject", APP_TLS, BOTH, NULL },
	[DBUF_TLS_CERT_ISSUER] = { "tls.cert_issuer", NULL, "tls_cert_issuer", APP_TLS, BOTH, NULL },
	[DBUF_TLS_CERT_SERIAL] = { "tls.cert_serial", NULL, "tls_cert_serial", APP_TLS, BOTH, NULL },
	[DBUF_TLS_CERT_FINGERPRINT] = { "tls.cert_fingerprint", NULL, "tls_cert_fingerprint", APP_TLS, BOTH, NULL },
	[DBUF_TLS_CERTS] = { "tls.certs", NULL, NULL, APP_TLS, TC, NULL },
	[DBUF_JA3_HASH] = { "ja3.hash", NULL, "ja3_hash", APP_TLS, TS, NULL },
	[DBUF_JA3_STRING] = { "ja3.string", NULL, "ja3_string", APP_TLS, TS, NULL },
	[DBUF_JA3S_HASH] = { "ja3s.hash", NULL, "ja3s_hash", APP_TLS, TC, NULL },
	[DBUF_JA4_HASH] = { "ja4.hash", NULL, "ja4_hash", APP_TLS, TS, NULL },
	[DBUF_SSH_SOFTWARE] = { "ssh.software", NULL, "ssh_software", APP_SSH, BOTH, NULL },
	[DBUF_SSH_PROTO] = { "ssh.proto", NULL, "ssh_proto", APP_SSH, BOTH, NULL },
	[DBUF_BASE64_DATA] = { "base64_data", NULL, NULL, 0, BOTH, NULL },
	[DBUF_HTTP_RESPONSE_HEADER] = { "http.response_header", NULL, NULL, APP_HTTP, TC, NULL },
	[DBUF_HTTP_REQUEST_HEADER] = { "http.request_header", NULL, NULL, APP_HTTP, TS, NULL },
	[DBUF_TLS_ALPN] = { "tls.alpn", NULL, NULL, APP_TLS, BOTH, NULL },
	[DBUF_JA3S_STRING] = { "ja3s.string", NULL, "ja3s_string", APP_TLS, TC, NULL },
	[DBUF_FILE_NAME] = { "file.name", NULL, "filename", 0, BOTH, NULL },
};

int detect_buffer_find(const char *name, bool *legacy)
{
	if (!name)
		return -1;
	for (int i = 0; i < DBUF_MAX; i++) {
		const struct detect_buffer_info *b = &detect_buffers[i];
		if (!b->name)
			continue;
		if (b->legacy && !strcmp(b->legacy, name)) {
			if (legacy)
				*legacy = true;
			return i;
		}
		if (!strcmp(b->name, name) || (b->alias && !strcmp(b->alias, name)) ||
		    (b->alias2 && !strcmp(b->alias2, name))) {
			if (legacy)
				*legacy = false;
			return i;
		}
	}
	return -1;
}
