/*
 * fuzz-app-pop3.c - the POP3 parser on arbitrary bytes: command and answer
 * lines from anyone, split anyhow, must never break the transaction queue,
 * the multi-line answers or the caps.  Input layout: see fuzz-app.h.
 */
#include <stdint.h>

#include "fuzz-app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_app_run(&app_parser_pop3, data, size, NULL);
	return 0;
}
