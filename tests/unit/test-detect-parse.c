/*
 * test-detect-parse.c - the rule parser on real rules: Emerging Threats
 * Open rules and suricata-verify test rules, read in place from
 * ../shared/data by sid, and checked field by field (header, address and
 * port sets with variables and negation, content bytes and modifiers in the
 * right buffers, pcre, byte_*, flow, flowbits, threshold); every rejection
 * path with its exact record (file, line, sid, keyword, reason); the rule
 * file syntax (comments, continuation lines, CRLF); duplicate sids;
 * variables with loops; classification.config.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "detect-parse.h"
#include "applayer.h"
#include "../../src/lib/log.h"

static char shared[1024];

/* The line of the rule with this sid in an ET Open file (commented or not), uncommented. */
static char *et_rule(const char *file, unsigned sid)
{
	char path[1300], needle[32], line[65536];
	snprintf(path, sizeof(path), "%s/data/rules/et-open/%s", shared, file);
	snprintf(needle, sizeof(needle), "sid:%u;", sid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *found = NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, needle)) {
			found = strdup(line[0] == '#' ? line + 1 : line);
			break;
		}
	}
	fclose(f);
	assert_non_null(found);
	return found;
}

static struct ruleset *load(const char *text, struct detect_vars *v)
{
	struct ruleset *rs = ruleset_new();
	assert_non_null(rs);
	rs->quiet = true;
	assert_int_equal(ruleset_load_buffer(rs, text, strlen(text), "t.rules", v), 0);
	return rs;
}

static struct rule *load_one(struct ruleset **rsp, const char *text, struct detect_vars *v)
{
	*rsp = load(text, v);
	if ((*rsp)->nrej)
		fprintf(stderr, "rejected: %s: %s\n", (*rsp)->rej[0].keyword, (*rsp)->rej[0].reason);
	assert_int_equal((*rsp)->nrej, 0);
	assert_int_equal((*rsp)->nrules, 1);
	return (*rsp)->rules[0];
}

static struct ot_addr ip(const char *s, int *ver)
{
	struct ot_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.b) == 1)
		*ver = 4;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		*ver = 6;
	else
		fail();
	return a;
}

static bool amatch(const struct addr_set *s, const char *addr)
{
	int ver = 0;
	struct ot_addr a = ip(addr, &ver);
	return addr_set_match(s, &a, ver);
}

static const struct detect_content *nth_content(const struct rule *r, int buf, int n)
{
	int kw = detect_keyword_find("content");
	for (struct sigmatch *sm = r->bufs[buf].head; sm; sm = sm->next)
		if (sm->kw == kw && n-- == 0)
			return sm->ctx;
	return NULL;
}

static void test_et_coinminer(void **state)
{
	/* header with variables, negated content + startswith, within chains, pcre */
	struct detect_vars *v = detect_vars_new();
	char *text = et_rule("emerging-coinminer.rules", 2017871);
	struct ruleset *rs;
	struct rule *r = load_one(&rs, text, v);
	assert_int_equal(r->action, ACTION_ALERT);
	assert_int_equal(r->ip_proto, 6);
	assert_int_equal(r->app_proto, 0);
	assert_int_equal(r->sid, 2017871);
	assert_int_equal(r->rev, 8);
	assert_int_equal(r->gid, 1);
	assert_string_equal(r->msg, "ET COINMINER W32/BitCoinMiner.MultiThreat Subscribe/Authorize Stratum Protocol Message");
	assert_string_equal(r->classtype, "coin-mining");
	assert_int_equal(r->nrefs, 3);
	assert_string_equal(r->refs[0].key, "url");
	assert_string_equal(r->refs[1].value, "www.btcguild.com/new_protocol.php");
	assert_int_equal(r->flow_dirs, DETECT_TOSERVER);
	/* $HOME_NET -> $EXTERNAL_NET */
	assert_true(amatch(&r->src, "192.168.1.2"));
	assert_true(amatch(&r->src, "172.31.255.255"));
	assert_false(amatch(&r->src, "172.32.0.0"));
	assert_false(amatch(&r->src, "8.8.8.8"));
	assert_true(amatch(&r->dst, "8.8.8.8"));
	assert_false(amatch(&r->dst, "10.1.2.3"));
	assert_true(amatch(&r->dst, "2001:db8::1"));
	assert_true(port_set_match(&r->sp, 0) && port_set_match(&r->dp, 65535));
	const struct detect_content *c0 = nth_content(r, DBUF_PAYLOAD, 0);
	assert_non_null(c0);
	assert_int_equal(c0->len, 4);
	assert_memory_equal(c0->pat, "EHLO", 4);
	assert_int_equal(c0->flags, CT_NEGATED | CT_STARTSWITH);
	const struct detect_content *c1 = nth_content(r, DBUF_PAYLOAD, 1);
	assert_int_equal(c1->len, 5);
	assert_memory_equal(c1->pat, "\"id\":", 5);
	const struct detect_content *c3 = nth_content(r, DBUF_PAYLOAD, 3);
	assert_memory_equal(c3->pat, "\"mining.", 8);
	assert_int_equal(c3->flags, CT_WITHIN);
	assert_int_equal(c3->within, 9);
	assert_int_equal(r->bufs[DBUF_PAYLOAD].count, 6);      /* 5 contents + pcre */
	assert_int_equal(r->bufs[DBUF_PAYLOAD].tail->kw, detect_keyword_find("pcre"));
	assert_int_equal(r->priority, 3);
	ruleset_free(rs);
	free(text);
	detect_vars_free(v);
}

static void test_et_dns_dotprefix(void **state)
{
	/* sticky buffer, transform, relative pcre, header app-layer protocol */
	char *text = et_rule("emerging-info.rules", 2044076);
	struct ruleset *rs;
	struct detect_vars *v = detect_vars_new();
	struct rule *r = load_one(&rs, text, v);
	assert_int_equal(r->app_proto, APP_DNS);
	assert_int_equal(r->ip_proto, 0);
	assert_int_equal(r->bufs[DBUF_PAYLOAD].count, 0);
	const struct sm_list *l = &r->bufs[DBUF_DNS_QUERY];
	assert_int_equal(l->count, 4);  /* content, pcre, dotprefix, content */
	const struct detect_content *c = nth_content(r, DBUF_DNS_QUERY, 0);
	assert_memory_equal(c->pat, "rs-", 3);
	assert_int_equal(c->flags, CT_STARTSWITH | CT_FAST_PATTERN);
	assert_int_equal(r->fast_pattern_buf, DBUF_DNS_QUERY);
	const struct detect_pcre *p = l->head->next->ctx;
	assert_int_equal(p->flags, PCRE_RELATIVE);
	const struct detect_transform *t = l->head->next->next->ctx;
	assert_int_equal(t->kind, TR_DOTPREFIX);
	c = nth_content(r, DBUF_DNS_QUERY, 1);
	assert_int_equal(c->flags, CT_NOCASE | CT_ENDSWITH);
	assert_string_equal(r->metadata, "attack_target Client_Endpoint, created_at 2023_02_02, deployment Perimeter, former_category INFO, signature_severity Informational, updated_at 2023_02_02");
	ruleset_free(rs);
	free(text);
	detect_vars_free(v);
}

static void test_et_legacy_and_bytes(void **state)
{
	struct detect_vars *v = detect_vars_new();
	/* legacy http_uri modifiers move contents into http.uri */
	char *text = et_rule("emerging-adware_pup.rules", 2013502);
	struct ruleset *rs;
	struct rule *r = load_one(&rs, text, v);
	assert_int_equal(r->app_proto, APP_HTTP);
	assert_int_equal(r->bufs[DBUF_PAYLOAD].count, 0);
	assert_int_equal(r->bufs[DBUF_HTTP_URI].count, 2);
	assert_memory_equal(nth_content(r, DBUF_HTTP_URI, 0)->pat, "/count.asp?exe=", 15);
	assert_memory_equal(nth_content(r, DBUF_HTTP_URI, 1)->pat, "&act=", 5);
	ruleset_free(rs);
	free(text);
	/* byte_extract variable used by byte_test */
	text = et_rule("emerging-deleted.rules", 2016962);
	r = load_one(&rs, text, v);
	struct sigmatch *sm = r->bufs[DBUF_PAYLOAD].head->next;
	const struct detect_byte *be = sm->ctx;
	assert_int_equal(be->kind, BYTE_EXTRACT);
	assert_int_equal(be->nbytes, 4);
	assert_int_equal(be->offset, -4);
	assert_int_equal(be->flags, BY_RELATIVE | BY_LITTLE);
	assert_int_equal(be->var, 0);
	const struct detect_byte *bt = sm->next->ctx;
	assert_int_equal(bt->kind, BYTE_TEST);
	assert_int_equal(bt->op, '>');
	assert_int_equal(bt->flags, BY_RELATIVE | BY_LITTLE | BY_VALUE_VAR);
	assert_int_equal(bt->value, 0);
	const struct detect_content *c = nth_content(r, DBUF_PAYLOAD, 0);
	assert_int_equal(c->flags, CT_DISTANCE | CT_WITHIN);
	assert_int_equal(c->distance, 4);
	assert_int_equal(c->within, 2);
	ruleset_free(rs);
	free(text);
	detect_vars_free(v);
}

static void test_sv_rules(void **state)
{
	/* every suricata-verify alert rule file loads without a crash; some known ones fully */
	char path[1300];
	const char *dirs[] = { "detect-bytejump-02", "detect-pcre__detect-pcre-06", "bug-4623" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/data/suricata-verify/alerts/%s/test.rules", shared, dirs[i]);
		struct ruleset *rs = ruleset_new();
		struct detect_vars *v = detect_vars_new();
		rs->quiet = true;
		assert_int_equal(ruleset_load_file(rs, path, v), 0);
		assert_int_equal(rs->nrej, 0);
		assert_true(rs->nrules >= 1);
		ruleset_free(rs);
		detect_vars_free(v);
	}
}

static void test_addr_port_sets(void **state)
{
	struct detect_vars *v = detect_vars_new();
	char err[256];
	struct addr_set a;
	struct port_set p;
	assert_int_equal(detect_vars_set(v, "HOME_NET", "[10.0.0.0/8, 2001:db8::/32]"), 0);
	assert_int_equal(addr_set_parse(&a, "[$HOME_NET,!10.1.0.0/16]", v, err, sizeof(err)), 0);
	assert_true(amatch(&a, "10.2.3.4"));
	assert_false(amatch(&a, "10.1.3.4"));
	assert_true(amatch(&a, "2001:db8:ffff::1"));
	assert_false(amatch(&a, "2001:db9::1"));
	assert_false(amatch(&a, "192.168.1.1"));
	addr_set_clear(&a);
	/* ![a,!b] is "b but not a" */
	assert_int_equal(addr_set_parse(&a, "![1.1.1.0/24,!1.1.0.0/16]", v, err, sizeof(err)), 0);
	assert_true(amatch(&a, "1.1.2.1"));
	assert_false(amatch(&a, "1.1.1.1"));
	assert_false(amatch(&a, "1.2.0.1"));
	addr_set_clear(&a);
	assert_int_equal(addr_set_parse(&a, "192.0.2.0/255.255.255.0", v, err, sizeof(err)), 0);
	assert_true(amatch(&a, "192.0.2.255"));
	assert_false(amatch(&a, "192.0.3.0"));
	addr_set_clear(&a);
	assert_int_equal(addr_set_parse(&a, "$EXTERNAL_NET", v, err, sizeof(err)), 0);
	assert_true(a.any);
	assert_true(amatch(&a, "192.168.1.1"));
	assert_false(amatch(&a, "10.9.9.9"));
	addr_set_clear(&a);
	assert_int_equal(port_set_parse(&p, "[$HTTP_PORTS,8000:8100,!8080,1024:]", v, err, sizeof(err)), 0);
	assert_true(port_set_match(&p, 80));
	assert_true(port_set_match(&p, 8050));
	assert_false(port_set_match(&p, 8080));
	assert_true(port_set_match(&p, 65535));
	assert_false(port_set_match(&p, 443));
	port_set_clear(&p);
	assert_int_equal(port_set_parse(&p, "$FILE_DATA_PORTS", v, err, sizeof(err)), 0);
	assert_true(port_set_match(&p, 143) && port_set_match(&p, 80) && !port_set_match(&p, 25));
	port_set_clear(&p);
	assert_int_equal(port_set_parse(&p, "$SHELLCODE_PORTS", v, err, sizeof(err)), 0);
	assert_true(port_set_match(&p, 81) && !port_set_match(&p, 80));
	port_set_clear(&p);
	assert_int_equal(port_set_parse(&p, ":1023", v, err, sizeof(err)), 0);
	assert_true(port_set_match(&p, 0) && port_set_match(&p, 1023) && !port_set_match(&p, 1024));
	port_set_clear(&p);
	/* errors */
	assert_int_equal(port_set_parse(&p, "90:80", v, err, sizeof(err)), -1);
	assert_string_equal(err, "port range '90:80' goes backwards");
	assert_int_equal(port_set_parse(&p, "70000", v, err, sizeof(err)), -1);
	assert_string_equal(err, "'70000' is not a port");
	assert_int_equal(port_set_parse(&p, "$HOME_NET", v, err, sizeof(err)), -1);
	assert_string_equal(err, "'$HOME_NET' is an address variable, not a port variable");
	assert_int_equal(addr_set_parse(&a, "!any", v, err, sizeof(err)), -1);
	assert_string_equal(err, "'!any' matches nothing");
	assert_int_equal(addr_set_parse(&a, "[1.2.3.4", v, err, sizeof(err)), -1);
	assert_string_equal(err, "unbalanced '[' in '[1.2.3.4'");
	assert_int_equal(addr_set_parse(&a, "$NOPE", v, err, sizeof(err)), -1);
	assert_string_equal(err, "variable '$NOPE' is not defined");
	assert_int_equal(addr_set_parse(&a, "1.2.3.4/33", v, err, sizeof(err)), -1);
	assert_string_equal(err, "'1.2.3.4/33': bad prefix length");
	/* loops */
	assert_int_equal(detect_vars_set(v, "A_NET", "[1.2.3.4,$B_NET]"), 0);
	assert_int_equal(detect_vars_set(v, "B_NET", "!$A_NET"), 0);
	assert_int_equal(addr_set_parse(&a, "$A_NET", v, err, sizeof(err)), -1);
	assert_string_equal(err, "variable loop: $A_NET -> $B_NET -> $A_NET");
	ot_log_set_file("/dev/null");
	assert_int_equal(detect_vars_check(v), 2);
	ot_log_set_file(NULL);
	detect_vars_free(v);
	v = detect_vars_new();
	assert_int_equal(detect_vars_check(v), 0);
	detect_vars_free(v);
}

struct rej_case {
	const char *rule;
	const char *keyword;
	const char *reason;
};

static void test_rejections(void **state)
{
	static const struct rej_case cases[] = {
		{ "alert smb any any -> any any (sid:1;)", "", "header: protocol smb is not supported" },
		{ "alert foo any any -> any any (sid:1;)", "", "header: unknown protocol 'foo'" },
		{ "block tcp any any -> any any (sid:1;)", "", "header: unknown action 'block'" },
		{ "alert tcp any any <- any any (sid:1;)", "", "header: direction must be '->' or '<>', not '<-'" },
		{ "alert tcp any 70000 -> any any (sid:1;)", "", "header: source port '70000': '70000' is not a port" },
		{ "alert tcp any any -> any any (sid:1; asn1:oversize_length 10;)", "asn1", "keyword 'asn1' is not supported" },
		{ "alert tcp any any -> any any (sid:1; xbits:set,a,track ip_host;)", "xbits", "track 'ip_host': expected ip_src, ip_dst or ip_pair" },
		{ "alert tcp any any -> any any (sid:1; xbits:set,a,track ip_src,expire 0;)", "xbits", "'expire 0': expected expire <seconds>" },
		{ "alert tcp any any -> any any (sid:1; foo:bar;)", "foo", "keyword 'foo' is not supported" },
		{ "alert tcp any any -> any any (sid:1; nocase;)", "nocase", "no content before it" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\"; nocase; nocase;)", "nocase", "given twice for the same content" },
		{ "alert tcp any any -> any any (sid:1; content:\"abcd\"; depth:2;)", "depth", "depth 2 is smaller than the content (4 bytes)" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\"; distance:1; depth:5;)", "depth", "depth cannot be mixed with distance or within on the same content" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\"; depth:5; startswith;)", "startswith", "startswith cannot be used with depth, offset, distance or within" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\"; fast_pattern; content:\"b\"; fast_pattern;)", "fast_pattern", "only one content of a rule can be the fast_pattern" },
		{ "alert tcp any any -> any any (sid:1; content:\"abc\"; fast_pattern:only; within:5;)", "within", "within cannot be used with fast_pattern:only" },
		{ "alert tcp any any -> any any (sid:1; content:\"abc\"; fast_pattern:2,5;)", "fast_pattern", "fast_pattern 2,5 goes beyond the content (3 bytes)" },
		{ "alert tcp any any -> any any (sid:1; content:\"|4g|\";)", "content", "'g' is not a hex digit (between '|')" },
		{ "alert tcp any any -> any any (sid:1; content:\"|41 4|\";)", "content", "odd number of hex digits between '|'" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\\x\";)", "content", "unknown escape '\\x' (only \\\" \\; \\\\ \\: are allowed)" },
		{ "alert tcp any any -> any any (sid:1; content:\"\";)", "content", "empty content" },
		{ "alert tcp any any -> any any (sid:1; pcre:\"/a(/\";)", "pcre", "regex does not compile at offset 2: missing closing parenthesis" },
		{ "alert tcp any any -> any any (sid:1; pcre:\"/a/X\";)", "pcre", "unknown flag 'X'" },
		{ "alert http any any -> any any (sid:1; http.uri; pcre:\"/a/H\";)", "pcre", "flag for buffer 'http.header' conflicts with the sticky buffer 'http.uri'" },
		{ "alert dns any any -> any any (sid:1; http.uri; content:\"a\";)", "http.uri", "buffer 'http.uri' is http, but the rule is for dns" },
		{ "alert tcp any any -> any any (sid:1; http.uri; content:\"a\"; http_header;)", "http_header", "the content before it is already in buffer 'http.uri'" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\"; http_uri; rawbytes;)", "rawbytes", "rawbytes applies to payload contents only, not 'http.uri'" },
		{ "alert tcp any any -> any any (sid:1; bsize:10;)", "bsize", "bsize needs a sticky buffer before it" },
		{ "alert tcp any any -> any any (sid:1; dotprefix;)", "dotprefix", "transform 'dotprefix' needs a sticky buffer before it" },
		{ "alert tcp any any -> any any (sid:1; byte_test:4,~,1,0;)", "byte_test", "'~' is not an operator (<, >, =, !, &, ^, <=, >=)" },
		{ "alert tcp any any -> any any (sid:1; byte_test:9,=,1,0;)", "byte_test", "9 bytes: at most 8 bytes can be read as a binary number" },
		{ "alert tcp any any -> any any (sid:1; byte_jump:4,x;)", "byte_jump", "offset 'x' is neither a number in range nor a byte_extract variable" },
		{ "alert tcp any any -> any any (sid:1; content:\"a\"; byte_extract:2,0,v; byte_extract:2,0,v;)", "byte_extract", "variable 'v' extracted twice" },
		{ "alert tcp any any -> any any (sid:1; isdataat:1,relative;)", "isdataat", "relative, but nothing before it to be relative to" },
		{ "alert tcp any any -> any any (sid:1; flow:to_server,to_client;)", "flow", "to_server and to_client together" },
		{ "alert tcp any any -> any any (sid:1; flow:sideways;)", "flow", "unknown flow option 'sideways'" },
		{ "alert tcp any any -> any any (sid:1; flowbits:set,a|b;)", "flowbits", "several names only with isset or isnotset" },
		{ "alert tcp any any -> any any (sid:1; flowbits:frob,a;)", "flowbits", "unknown operation 'frob' (set, isset, isnotset, toggle, unset, noalert)" },
		{ "alert tcp any any -> any any (sid:1; threshold:type limit, count 1, seconds 60;)", "threshold", "needs type, track, count and seconds" },
		{ "alert tcp any any -> any any (sid:1; flags:SZ;)", "flags", "'Z' is not one of FSRPAUCE12" },
		{ "alert tcp any any -> any any (sid:1; dsize:>x;)", "dsize", "'>x': expected N, <N, >N, <=N, >=N, !N or N<>M (up to 65535)" },
		{ "alert tcp any any -> any any (sid:1; stream_size:up,<,5;)", "stream_size", "'up': expected server, client, both or either" },
		{ "alert tcp any any -> any any (sid:1; app-layer-protocol:smb;)", "app-layer-protocol", "protocol smb is not supported" },
		{ "alert tcp any any -> any any (sid:1; priority:0;)", "priority", "'0' is not a number from 1 to 255" },
		{ "alert tcp any any -> any any (sid:1; target:me;)", "target", "'me': expected src_ip or dest_ip" },
		{ "alert tcp any any -> any any (sid:1; msg:unquoted;)", "msg", "expected a message in double quotes" },
		{ "alert tcp any any -> any any (sid:1; nocase:yes;)", "nocase", "takes no value" },
		{ "alert tcp any any -> any any (sid:1; content;)", "content", "needs a value" },
		{ "alert tcp any any -> any any (msg:\"x\";)", "sid", "the rule has no sid" },
		{ "alert tcp any any -> any any (sid:1; msg:\"x\")", "", "option 'msg' is not terminated by ';'" },
		{ "alert tcp any any -> any any sid:1;", "", "expected 'header (options)'; the options must be in parentheses at the end" },
	};
	struct detect_vars *v = detect_vars_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ruleset *rs = load(cases[i].rule, v);
		if (rs->nrej != 1 || strcmp(rs->rej[0].reason, cases[i].reason) ||
		    strcmp(rs->rej[0].keyword, cases[i].keyword))
			fprintf(stderr, "case %zu: %s\n  got %zu: '%s' '%s'\n", i, cases[i].rule, rs->nrej,
				rs->nrej ? rs->rej[0].keyword : "", rs->nrej ? rs->rej[0].reason : "");
		assert_int_equal(rs->nrej, 1);
		assert_int_equal(rs->nrules, 0);
		assert_string_equal(rs->rej[0].file, "t.rules");
		assert_int_equal(rs->rej[0].line, 1);
		/* the sid is known unless the options themselves cannot be split */
		bool structural = !*cases[i].keyword && strncmp(cases[i].reason, "header:", 7);
		assert_int_equal(rs->rej[0].sid, !structural && strstr(cases[i].rule, "sid:1;") ? 1 : 0);
		assert_string_equal(rs->rej[0].keyword, cases[i].keyword);
		assert_string_equal(rs->rej[0].reason, cases[i].reason);
		ruleset_free(rs);
	}
	detect_vars_free(v);
}

static void test_file_syntax(void **state)
{
	struct detect_vars *v = detect_vars_new();
	const char *text =
		"# a comment\r\n"
		"\r\n"
		"#alert tcp any any -> any any (sid:9;)\n"
		"alert tcp any any -> any any (msg:\"semi\\;colon \\\"q\\\"\"; \\\r\n"
		"   content:\"a\\;b|3B|\"; sid:10; rev:2;)\r\n"
		"alert udp [10.0.0.0/8, 192.168.0.0/16] any <> any 53 (sid:11; gid:3; priority:1; classtype:x;)\n"
		"alert tcp any any -> any any (sid:10; msg:\"dup\";)\n"
		"alert tcp any any -> any any (sid:11; msg:\"same sid, other gid\";)\n"
		"drop tcp-pkt any any -> any any (sid:12;)";
	struct ruleset *rs = load(text, v);
	assert_int_equal(rs->nrules, 4);
	assert_int_equal(rs->nrej, 1);
	assert_int_equal(rs->rej[0].line, 7);
	assert_int_equal(rs->rej[0].sid, 10);
	assert_string_equal(rs->rej[0].keyword, "sid");
	assert_string_equal(rs->rej[0].reason, "duplicate sid 10 (gid 1): already loaded from t.rules:4");
	struct rule *r = rs->rules[0];
	assert_int_equal(r->line, 4);
	assert_string_equal(r->msg, "semi;colon \"q\"");
	const struct detect_content *c = nth_content(r, DBUF_PAYLOAD, 0);
	assert_int_equal(c->len, 4);
	assert_memory_equal(c->pat, "a;b;", 4);
	r = rs->rules[1];
	assert_int_equal(r->gid, 3);
	assert_true(r->bidir);
	assert_int_equal(r->ip_proto, 17);
	assert_int_equal(r->priority, 1);
	assert_true(amatch(&r->src, "192.168.5.5") && !amatch(&r->src, "172.16.0.1"));
	assert_true(port_set_match(&r->dp, 53) && !port_set_match(&r->dp, 54));
	assert_int_equal(rs->rules[3]->action, ACTION_DROP);
	assert_int_equal(rs->rules[3]->proto_flags, RULE_PROTO_PKT);
	FILE *out = tmpfile();
	ruleset_dump_rejected(rs, out);
	rewind(out);
	char line[512];
	assert_non_null(fgets(line, sizeof(line), out));
	assert_string_equal(line, "t.rules:7 sid 10 keyword 'sid': duplicate sid 10 (gid 1): already loaded from t.rules:4\n");
	fclose(out);
	ruleset_free(rs);
	detect_vars_free(v);
}

static void test_classification(void **state)
{
	char path[1300];
	snprintf(path, sizeof(path), "%s/data/rules/et-open/classification.config", shared);
	struct ruleset *rs = ruleset_new();
	rs->quiet = true;
	assert_int_equal(detect_classes_load(rs->classes, path), 0);
	assert_int_equal(detect_classes_count(rs->classes), 42);
	assert_int_equal(detect_class_priority(rs->classes, "trojan-activity"), 1);
	assert_int_equal(detect_class_priority(rs->classes, "not-suspicious"), 3);
	struct detect_vars *v = detect_vars_new();
	const char *text =
		"alert tcp any any -> any any (sid:1; classtype:trojan-activity;)\n"
		"alert tcp any any -> any any (sid:2; classtype:trojan-activity; priority:4;)\n"
		"alert tcp any any -> any any (sid:3; classtype:no-such-class;)\n";
	assert_int_equal(ruleset_load_buffer(rs, text, strlen(text), "c.rules", v), 0);
	assert_int_equal(rs->nrules, 2);
	assert_int_equal(rs->rules[0]->priority, 1);
	assert_int_equal(rs->rules[1]->priority, 4);
	assert_int_equal(rs->nrej, 1);
	assert_string_equal(rs->rej[0].reason, "unknown classtype 'no-such-class' (not in classification.config)");
	assert_int_equal(rs->rej[0].line, 3);
	ruleset_free(rs);
	detect_vars_free(v);
}

int main(void)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	snprintf(shared, sizeof(shared), "%s/../shared", root ? root : ".");
	ot_log_init("test-detect-parse");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_et_coinminer),
		cmocka_unit_test(test_et_dns_dotprefix),
		cmocka_unit_test(test_et_legacy_and_bytes),
		cmocka_unit_test(test_sv_rules),
		cmocka_unit_test(test_addr_port_sets),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_file_syntax),
		cmocka_unit_test(test_classification),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
