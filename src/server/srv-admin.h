/*
 * srv-admin.h - what an operator does, the same whether through otasukectl
 * or the API: making a tenant, making an enrollment token.
 */
#ifndef OT_SRV_ADMIN_H
#define OT_SRV_ADMIN_H

#include <stdint.h>

#include "store.h"
#include "token.h"

/* A new tenant named name (1 to STORE_NAME_MAX bytes) into out:
 * STORE_OK, STORE_EXISTS (the name is taken), STORE_ERR; -EINVAL for a
 * name that cannot be one. */
int admin_tenant_create(struct store *s, const char *name, struct store_tenant *out);

/* A new one-time enrollment token of tenant_id valid ttl_us from now into
 * token (TOKEN_MAX); its record (with the expiry) into tk. */
int admin_token_create(struct store *s, const char *tenant_id, int64_t ttl_us,
		       char token[TOKEN_MAX], struct store_token *tk);

#endif
