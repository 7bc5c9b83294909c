/*
 * test-detect-prefilter.c - the multi-pattern prefilter (detect-prefilter.c):
 * which content of a rule is its fast pattern, scanning with the compiled
 * databases, and the on-disk cache of those.
 *
 * Rules are Emerging Threats Open rules copied as written (some are
 * commented out in the ruleset, "ET DELETED", but are real rules), and a few
 * variants of them that change one thing to show that it decides the
 * choice (a longer http.method content, two contents of the same length).
 * The cache is exercised on the fast patterns of the whole of
 * emerging-p2p.rules from ../shared/data: written, loaded back, and
 * rebuilt when a file is damaged, cut short or belongs to other rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect-parse.h"
#include "detect-prefilter.h"
#include "../../src/lib/log.h"

static struct ruleset *load(const char *text)
{
	struct detect_vars *v = detect_vars_new();
	struct ruleset *rs = ruleset_new();
	assert_non_null(v);
	assert_non_null(rs);
	rs->quiet = true;
	assert_int_equal(ruleset_load_buffer(rs, text, strlen(text), "t.rules", v), 0);
	assert_int_equal(rs->nrej, 0);
	assert_int_equal(rs->nrules, 1);
	detect_vars_free(v);
	return rs;
}

/* The fast pattern of the one rule of text is want, in buffer buf. */
static void expect_fp(const char *text, const char *want, int buf, bool nocase)
{
	struct ruleset *rs = load(text);
	struct pf_pattern fp;
	assert_true(pf_fast_pattern(rs->rules[0], &fp));
	assert_int_equal(fp.len, strlen(want));
	assert_memory_equal(fp.pat, want, fp.len);
	assert_int_equal(fp.buf, buf);
	assert_int_equal(fp.nocase, nocase);
	ruleset_free(rs);
}

/* Without fast_pattern: the longest content of the HTTP buffers. */
static void test_fp_longest(void **state)
{
	(void)state;
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"GPL P2P BitTorrent announce request\"; flow:to_server,established; http.method; content:\"GET\"; http.uri; content:\"/announce\"; content:\"info_hash=\"; content:\"event=started\"; classtype:policy-violation; sid:2102180; rev:7; metadata:created_at 2010_09_23, updated_at 2020_04_21;)",
		  "event=started", DBUF_HTTP_URI, false);
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET P2P Bittorrent P2P Client User-Agent (Transmission/1.x)\"; flow:established,to_server; http.user_agent; content:\"Transmission/\"; depth:13; reference:url,www.transmissionbt.com; classtype:policy-violation; sid:2011699; rev:7; metadata:created_at 2010_07_30, former_category P2P, updated_at 2020_08_18;)",
		  "Transmission/", DBUF_HTTP_USER_AGENT, false);
}

/* http.method counts after the other HTTP buffers, however long. */
static void test_fp_priority(void **state)
{
	(void)state;
	/* as written: the URI content is the longer one anyway */
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET ADWARE_PUP Hotbar Agent Reporting Information\"; flow: to_server,established; content:\"POST\"; nocase; http_method; content:\"/reports/hotbar/\"; http_uri; reference:url,www.hotbar.com; classtype:pup-activity; sid:2000923; rev:12; metadata:created_at 2010_07_30, former_category ADWARE_PUP, updated_at 2019_08_14;)",
		  "/reports/hotbar/", DBUF_HTTP_URI, false);
	/* a method longer than the URI content still loses */
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET ADWARE_PUP Hotbar Agent Reporting Information\"; flow: to_server,established; content:\"PROPFINDPROPFINDPROPFIND\"; nocase; http_method; content:\"/reports/hotbar/\"; http_uri; reference:url,www.hotbar.com; classtype:pup-activity; sid:2000923; rev:12; metadata:created_at 2010_07_30, former_category ADWARE_PUP, updated_at 2019_08_14;)",
		  "/reports/hotbar/", DBUF_HTTP_URI, false);
	/* alone, the method is the pattern, and keeps its nocase */
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET ADWARE_PUP Hotbar Agent Reporting Information\"; flow: to_server,established; content:\"POST\"; nocase; http_method; reference:url,www.hotbar.com; classtype:pup-activity; sid:2000923; rev:12; metadata:created_at 2010_07_30, former_category ADWARE_PUP, updated_at 2019_08_14;)",
		  "POST", DBUF_HTTP_METHOD, true);
}

/* Same length: the more varied content (pattern strength), else the first. */
static void test_fp_strength(void **state)
{
	(void)state;
	expect_fp("alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET P2P test\"; content:\"aaaaaa\"; content:\"a|01|b|ff|c.\"; sid:1;)",
		  "a\x01" "b\xff" "c.", DBUF_PAYLOAD, false);
	expect_fp("alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET P2P test\"; content:\"abcdef\"; content:\"ghijkl\"; sid:1;)",
		  "abcdef", DBUF_PAYLOAD, false);
}

/* fast_pattern chooses; :only is the whole content; off,len a part of it. */
static void test_fp_explicit(void **state)
{
	(void)state;
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"ET ADWARE_PUP W32/DownloadAdmin.Adware CnC Beacon\"; flow:established,to_server; content:\"/dl?gclid=\"; fast_pattern:only; http_uri; content:\"&source=\"; http_uri; content:\"&c=\"; http_uri; content:\"&aid=\"; http_uri; content:\"&bc=\"; http_uri; content:\"&country=\"; http_uri; reference:url,malwaretips.com/blogs/remove-pup-downloadadmin-virus-removal-guide/; classtype:pup-activity; sid:2018338; rev:4;)",
		  "/dl?gclid=", DBUF_HTTP_URI, false);
	expect_fp("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"ET DELETED Win32/Thetatic.A Checkin\"; flow:established,to_server; content:\"User-Agent|3a| Mozilla/5.0 (Windows|3B| U|3B| Windows NT 5.1|3B| rv|3a|1.9.1) Gecko/20090624 Firefox/3.5|0D 0A|Accept|3a| */*|0D 0A|Host|3a| \"; http_header; depth:110; fast_pattern:72,20; classtype:trojan-activity; sid:2014796; rev:5; metadata:created_at 2012_05_22, updated_at 2019_07_26;)",
		  "90624 Firefox/3.5\r\nA", DBUF_HTTP_HEADER, false);
	/* a shorter content marked fast_pattern beats a longer one */
	expect_fp("alert http $HOME_NET any -> $EXTERNAL_NET any (msg:\"GPL P2P BitTorrent announce request\"; flow:to_server,established; http.method; content:\"GET\"; http.uri; content:\"/announce\"; fast_pattern; content:\"info_hash=\"; content:\"event=started\"; classtype:policy-violation; sid:2102180; rev:7;)",
		  "/announce", DBUF_HTTP_URI, false);
}

/* No usable pattern: no content, only negated ones, a negated fast_pattern. */
static void test_fp_none(void **state)
{
	(void)state;
	const char *rules[] = {
		"alert tcp [5.255.112.5,5.255.119.87] any -> $HOME_NET any (msg:\"ET TOR Known Tor Relay/Router (Not Exit) Node Traffic group 710\"; threshold: type limit, track by_src, seconds 60, count 1; classtype:misc-attack; flowbits:set,ToR; sid:2522709; rev:1;)",
		"alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (msg:\"ET DELETED Kelihos p2p traffic detected via byte_test - SET\"; flow:established,to_server; dsize:100<>2000; pcre:\"/^[^OGHPDTCMLUVRBAS]/\"; content:!\"HTTP/1.\"; sid:2013471; rev:5;)",
		"alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (msg:\"ET DELETED Kelihos p2p traffic\"; content:\"GET \"; content:!\"HTTP/1.\"; fast_pattern; sid:2013471; rev:5;)",
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct ruleset *rs = load(rules[i]);
		struct pf_pattern fp;
		assert_false(pf_fast_pattern(rs->rules[0], &fp));
		ruleset_free(rs);
	}
}

/* ---- databases and their cache ---- */

struct p2p {
	struct ruleset *rs;
	struct pf_builder *b;
};

/* The fast patterns of emerging-p2p.rules in database 0 (ids: rule index). */
static struct p2p p2p_builder(void)
{
	const char *root = getenv("OT_SOURCE_ROOT");
	char path[1024];
	snprintf(path, sizeof(path), "%s/../shared/data/rules/et-open/emerging-p2p.rules",
		 root ? root : ".");
	struct detect_vars *v = detect_vars_new();
	struct p2p p = { ruleset_new(), pf_builder_new(1) };
	assert_non_null(p.rs);
	assert_non_null(p.b);
	p.rs->quiet = true;
	assert_int_equal(ruleset_load_file(p.rs, path, v), 0);
	assert_true(p.rs->nrules > 50);
	detect_vars_free(v);
	for (size_t i = 0; i < p.rs->nrules; i++) {
		struct pf_pattern fp;
		if (pf_fast_pattern(p.rs->rules[i], &fp))
			assert_int_equal(pf_builder_add(p.b, 0, (uint32_t)i, &fp), 0);
	}
	return p;
}

static void p2p_free(struct p2p *p)
{
	pf_builder_free(p->b);
	ruleset_free(p->rs);
}

/* The sids whose pattern a scan of text finds, as a sorted, comma-joined string. */
static void scan_sids(struct prefilter *pf, const struct ruleset *rs, const char *text,
		      char *out, size_t len)
{
	uint32_t ids[256], sids[256];
	size_t n = 0;
	pf_scan(pf, 0, (const uint8_t *)text, (uint32_t)strlen(text), ids, &n, 256);
	for (size_t i = 0; i < n; i++)
		sids[i] = rs->rules[ids[i]]->sid;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && sids[j - 1] > sids[j]; j--) {
			uint32_t t = sids[j];
			sids[j] = sids[j - 1];
			sids[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), len - strlen(out), "%s%u", i ? "," : "", sids[i]);
}

/* A BitTorrent announce, as bt-http.pcapng has it (request line and agent). */
static const char announce[] =
	"GET /announce?info_hash=%8f%9b&peer_id=-TR1330-abc&port=51413&event=started HTTP/1.1\r\n"
	"User-Agent: Transmission/1.33\r\n";

static void test_scan(void **state)
{
	(void)state;
	struct p2p p = p2p_builder();
	struct pf_stats st;
	struct prefilter *pf = pf_build(p.b, NULL, &st);
	assert_non_null(pf);
	assert_int_equal(st.dbs, 1);
	assert_int_equal(st.compiled, 1);
	assert_int_equal(st.cached, 0);
	assert_false(st.cache_ok);
	assert_true(pf_has(pf, 0));
	char sids[512];
	scan_sids(pf, p.rs, announce, sids, sizeof(sids));
	/* the announce (event=started), the user agent (Transmission/), and
	 * every other P2P rule whose pattern the request happens to hold */
	assert_non_null(strstr(sids, "2102180"));
	assert_non_null(strstr(sids, "2011699"));
	scan_sids(pf, p.rs, "nothing to see here", sids, sizeof(sids));
	assert_string_equal(sids, "");
	pf_free(pf);
	p2p_free(&p);
}

/* The one file of dir (its full path into path). */
static void only_file(const char *dir, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, len, "%s/%s", dir, de->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

static void build_expect(const struct p2p *p, const char *dir, unsigned compiled,
			 unsigned cached, unsigned rebuilt, const char *want_sids)
{
	struct pf_stats st;
	struct prefilter *pf = pf_build(p->b, dir, &st);
	char sids[512];
	assert_non_null(pf);
	assert_true(st.cache_ok);
	assert_int_equal(st.compiled, compiled);
	assert_int_equal(st.cached, cached);
	assert_int_equal(st.rebuilt, rebuilt);
	scan_sids(pf, p->rs, announce, sids, sizeof(sids));
	assert_string_equal(sids, want_sids);
	pf_free(pf);
}

static void test_cache(void **state)
{
	(void)state;
	struct p2p p = p2p_builder();
	char dir[] = "/tmp/otasuke-test-pf-XXXXXX", sub[128], file[512], want[512];
	assert_non_null(mkdtemp(dir));
	/* a folder that does not exist yet is made */
	snprintf(sub, sizeof(sub), "%s/a/b", dir);

	struct prefilter *pf = pf_build(p.b, NULL, NULL);
	assert_non_null(pf);
	scan_sids(pf, p.rs, announce, want, sizeof(want));
	pf_free(pf);

	build_expect(&p, sub, 1, 0, 0, want);           /* written */
	only_file(sub, file, sizeof(file));
	build_expect(&p, sub, 0, 1, 0, want);           /* loaded */

	/* one byte changed in the middle: found out, compiled and rewritten */
	struct stat sb;
	assert_int_equal(stat(file, &sb), 0);
	FILE *f = fopen(file, "r+b");
	assert_non_null(f);
	fseek(f, sb.st_size / 2, SEEK_SET);
	int c = fgetc(f);
	fseek(f, sb.st_size / 2, SEEK_SET);
	fputc(c ^ 0x40, f);
	fclose(f);
	unsigned warned = ot_log_count(OT_LOG_WARNING);
	build_expect(&p, sub, 1, 0, 1, want);
	assert_int_equal(ot_log_count(OT_LOG_WARNING), warned + 1);
	build_expect(&p, sub, 0, 1, 0, want);

	/* cut short */
	assert_int_equal(truncate(file, sb.st_size - 100), 0);
	build_expect(&p, sub, 1, 0, 1, want);
	build_expect(&p, sub, 0, 1, 0, want);

	/* another database's file under this one's name (stale rules) */
	struct p2p other = p2p_builder();
	struct pf_pattern extra = { (const uint8_t *)"zzz-extra", 9, false, DBUF_PAYLOAD };
	assert_int_equal(pf_builder_add(other.b, 0, 0, &extra), 0);
	char odir[160], ofile[512];
	snprintf(odir, sizeof(odir), "%s/other", dir);
	pf_free(pf_build(other.b, odir, NULL));
	only_file(odir, ofile, sizeof(ofile));
	assert_int_equal(rename(ofile, file), 0);
	build_expect(&p, sub, 1, 0, 1, want);
	build_expect(&p, sub, 0, 1, 0, want);
	p2p_free(&other);

	/* a cache "folder" that is a file: compiled, not cached */
	struct pf_stats st;
	pf = pf_build(p.b, file, &st);
	assert_non_null(pf);
	assert_false(st.cache_ok);
	assert_int_equal(st.compiled, 1);
	pf_free(pf);

	unlink(file);
	rmdir(odir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", dir);
	rmdir(sub);
	rmdir(dir);
	p2p_free(&p);
}

int main(void)
{
	ot_log_init("test-detect-prefilter");
	ot_log_set_file("/dev/null");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fp_longest),
		cmocka_unit_test(test_fp_priority),
		cmocka_unit_test(test_fp_strength),
		cmocka_unit_test(test_fp_explicit),
		cmocka_unit_test(test_fp_none),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_cache),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
