/*
 * addr.h - IPv4/IPv6 addresses as one 16-byte value (IPv4 in the first 4
 * bytes, the rest zero), so flows hash and compare both the same way.
 */
#ifndef OT_ADDR_H
#define OT_ADDR_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

struct ot_addr {
	union {
		uint8_t b[16];
		uint32_t w[4];
		uint64_t q[2];
	};
};

/* Text form ("192.0.2.1", "2001:db8::1") into buf (>= 46 bytes). */
const char *ot_addr_str(const struct ot_addr *a, int ip_ver, char *buf, size_t len);
int ot_addr_cmp(const struct ot_addr *a, const struct ot_addr *b);

#endif
