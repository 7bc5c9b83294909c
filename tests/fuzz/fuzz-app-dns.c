/*
 * fuzz-app-dns.c - the DNS parser on arbitrary bytes.  Anyone on the
 * network can send DNS datagrams or open a TCP connection to port 53, so
 * name decompression, every record type's data, the TCP framing with its
 * reassembly buffer and the gap handling must survive anything.
 *
 * Input layout: see fuzz-app.h (bit 4 of the first byte chooses TCP
 * framing or UDP datagrams).
 */
#include <stdint.h>

#include "fuzz-app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_app_run(&app_parser_dns, data, size, NULL);
	return 0;
}
