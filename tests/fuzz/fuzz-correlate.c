/*
 * fuzz-correlate.c - what the correlator reads from devices and from the
 * operator: an alert event's JSON (correlate_parse_alert), a
 * classification.config (classmap_parse) and a page cursor sent back by
 * a client (store_incident_cursor_parse).
 *
 * The first byte chooses the parser (0: alert, 1: classification file,
 * 2: cursor; the rest of the input is its text).  Besides not crashing:
 * an alert read gives a key, a title and a severity within 1..4, every
 * string NUL-terminated within its field; a cursor read formats back to
 * the text it came from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classmap.h"
#include "correlate.h"
#include "store-incident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CLASSES[] =
	"config classification: trojan-activity,A Network Trojan was detected, 1\n"
	"config classification: misc-activity,Misc activity,3\n";

static void fail(const char *why)
{
	fprintf(stderr, "fuzz-correlate: %s\n", why);
	abort();
}

static void alert(const char *text, size_t len)
{
	static struct classmap *classes;
	struct incident_alert a;
	if (!classes && !(classes = classmap_parse(CLASSES, sizeof(CLASSES) - 1, "fuzz")))
		fail("the built-in classification text is not read");
	if (correlate_parse_alert(classes, text, len, &a) < 0)
		return;
	if (!a.key[0] || !a.title[0] || a.severity < 1 || a.severity > 4)
		fail("an alert read without key, title or a severity in 1..4");
	if (!memchr(a.key, 0, sizeof(a.key)) || !memchr(a.title, 0, sizeof(a.title)) ||
	    !memchr(a.kind, 0, sizeof(a.kind)) || !memchr(a.src_ip, 0, sizeof(a.src_ip)) ||
	    !memchr(a.dest_ip, 0, sizeof(a.dest_ip)))
		fail("a field without its NUL");
}

static void cursor(const char *text, size_t len)
{
	char *s = strndup(text, len), back[INCIDENT_CURSOR_MAX];
	struct store_incident_cursor c;
	if (!s)
		return;
	if (store_incident_cursor_parse(s, &c) == 0) {
		store_incident_cursor_fmt(&c, back, sizeof(back));
		/* leading zeros of the number are the one thing not kept */
		const char *t = s;
		while (t[0] == '0' && t[1] >= '0' && t[1] <= '9')
			t++;
		if (strcmp(back, t))
			fail("a cursor does not format back to its text");
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0:
		alert(text, len);
		break;
	case 1:
		classmap_free(classmap_parse(text, len, "fuzz"));
		break;
	default:
		cursor(text, len);
		break;
	}
	return 0;
}
