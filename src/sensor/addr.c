/*
 * addr.c - address text forms.  IPv6 is written with all eight groups of
 * four hex digits, as Suricata's EVE writes it.
 */
#include "addr.h"

#include <string.h>

/* No printf here: an address is written into every event. */
const char *ot_addr_str(const struct ot_addr *a, int ip_ver, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = a->b;
	char *o = buf;
	if (len < 46) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	if (ip_ver == 6) {
		for (int i = 0; i < 16; i++) {
			if (i && !(i & 1))
				*o++ = ':';
			*o++ = hex[b[i] >> 4];
			*o++ = hex[b[i] & 15];
		}
	} else {
		for (int i = 0; i < 4; i++) {
			unsigned v = b[i];
			if (i)
				*o++ = '.';
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
		}
	}
	*o = '\0';
	return buf;
}

int ot_addr_cmp(const struct ot_addr *a, const struct ot_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
