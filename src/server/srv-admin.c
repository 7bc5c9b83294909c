/*
 * srv-admin.c - see srv-admin.h.
 */
#include "srv-admin.h"

#include <errno.h>
#include <string.h>

#include "srv-time.h"
#include "../lib/util.h"

int admin_tenant_create(struct store *s, const char *name, struct store_tenant *out)
{
	memset(out, 0, sizeof(*out));
	if (!*name || strlen(name) > STORE_NAME_MAX)
		return -EINVAL;
	token_uuid(out->id);
	ot_strlcpy(out->name, name, sizeof(out->name));
	out->created_us = srv_now_us();
	return store_tenant_add(s, out);
}

int admin_token_create(struct store *s, const char *tenant_id, int64_t ttl_us,
		       char token[TOKEN_MAX], struct store_token *tk)
{
	memset(tk, 0, sizeof(*tk));
	ot_strlcpy(tk->tenant_id, tenant_id, sizeof(tk->tenant_id));
	tk->created_us = srv_now_us();
	tk->expires_us = tk->created_us + ttl_us;
	if (token_new(tenant_id, token, TOKEN_MAX, tk->hash) < 0)
		return STORE_ERR;
	return store_token_add(s, tk);
}
