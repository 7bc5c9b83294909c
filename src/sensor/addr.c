/*
 * addr.c - address text forms.  IPv6 is written with all eight groups of
 * four hex digits, as Suricata's EVE writes it.
 */
#include "addr.h"

#include <stdio.h>
#include <string.h>

const char *ot_addr_str(const struct ot_addr *a, int ip_ver, char *buf, size_t len)
{
	const uint8_t *b = a->b;
	if (ip_ver == 6) {
		snprintf(buf, len,
			 "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
			 b[10], b[11], b[12], b[13], b[14], b[15]);
	} else {
		snprintf(buf, len, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	}
	return buf;
}

int ot_addr_cmp(const struct ot_addr *a, const struct ot_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
