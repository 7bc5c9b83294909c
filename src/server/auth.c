/*
 * auth.c - see auth.h.
 */
#include "auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_PROVIDER_ADMIN] = "provider_admin",
	[ROLE_SOC_OPERATOR] = "soc_operator",
	[ROLE_TECHNICIAN] = "technician",
	[ROLE_CUSTOMER_ADMIN] = "customer_admin",
	[ROLE_CUSTOMER_VIEWER] = "customer_viewer",
};

/* Which role meets which need: one row per role, one column per need. */
static const bool allowed[ROLE_COUNT][NEED_PROVIDER_ADMIN + 1] = {
	/*                      none  device user  oper  tadmin staff padmin */
	[ROLE_PROVIDER_ADMIN] = { 1,    0,     1,    1,    1,     1,    1 },
	[ROLE_SOC_OPERATOR] =   { 1,    0,     1,    1,    0,     1,    0 },
	[ROLE_TECHNICIAN] =     { 1,    0,     1,    1,    0,     1,    0 },
	[ROLE_CUSTOMER_ADMIN] = { 1,    0,     1,    1,    1,     0,    0 },
	[ROLE_CUSTOMER_VIEWER] = { 1,   0,     1,    0,    0,     0,    0 },
};

static const char *const need_names[] = {
	[NEED_NONE] = "none",
	[NEED_DEVICE] = "device",
	[NEED_USER] = "user",
	[NEED_OPERATOR] = "operator",
	[NEED_TENANT_ADMIN] = "tenant_admin",
	[NEED_STAFF] = "staff",
	[NEED_PROVIDER_ADMIN] = "provider_admin",
};

int auth_role_parse(const char *s)
{
	for (int i = 0; s && i < ROLE_COUNT; i++)
		if (!strcmp(role_names[i], s))
			return i;
	return -1;
}

const char *auth_role_name(int role)
{
	return role >= 0 && role < ROLE_COUNT ? role_names[role] : "?";
}

bool auth_role_staff(int role)
{
	return role == ROLE_PROVIDER_ADMIN || role == ROLE_SOC_OPERATOR || role == ROLE_TECHNICIAN;
}

bool auth_allows(int role, enum auth_need need)
{
	return role >= 0 && role < ROLE_COUNT && need <= NEED_PROVIDER_ADMIN &&
	       allowed[role][need];
}

const char *auth_need_name(enum auth_need need)
{
	return need <= NEED_PROVIDER_ADMIN ? need_names[need] : "?";
}

int auth_password_hash(const char *pw, char *out, size_t len)
{
	if (len < crypto_pwhash_STRBYTES)
		return -1;
	return crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				     crypto_pwhash_MEMLIMIT_INTERACTIVE,
				     crypto_pwhash_ALG_ARGON2ID13);
}

bool auth_password_check(const char *hash, const char *pw)
{
	if (!hash || strncmp(hash, "$argon2", 7))
		return false;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

int auth_password_policy(const char *pw, char *why, size_t len)
{
	size_t n = strlen(pw);
	if (n < AUTH_PASSWORD_MIN) {
		snprintf(why, len, "a password needs at least %d characters", AUTH_PASSWORD_MIN);
		return -1;
	}
	if (n > AUTH_PASSWORD_MAX) {
		snprintf(why, len, "a password may have at most %d characters", AUTH_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

void auth_password_new(char out[17])
{
	/* no 0/O, 1/l/I: read aloud over the phone or copied from paper */
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (int i = 0; i < 16; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[16] = '\0';
}

struct auth_limiter {
	struct ratelimit *rl;
};

struct auth_limiter *auth_limiter_new(uint64_t burst, uint64_t refill_s)
{
	struct auth_limiter *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	if (!(l->rl = rl_new(1.0 / (double)(refill_s ? refill_s : 1), burst))) {
		free(l);
		return NULL;
	}
	return l;
}

void auth_limiter_free(struct auth_limiter *l)
{
	if (!l)
		return;
	rl_free(l->rl);
	free(l);
}

static void keys(const char *login, const char *addr, char k1[300], char k2[80])
{
	snprintf(k1, 300, "login:%s", login);
	snprintf(k2, 80, "addr:%s", addr);
}

unsigned auth_limiter_check(struct auth_limiter *l, const char *login, const char *addr,
			    int64_t now_us)
{
	char k1[300], k2[80];
	keys(login, addr, k1, k2);
	unsigned a = rl_check(l->rl, k1, now_us), b = rl_check(l->rl, k2, now_us);
	return a > b ? a : b;
}

void auth_limiter_fail(struct auth_limiter *l, const char *login, const char *addr,
		       int64_t now_us)
{
	char k1[300], k2[80];
	keys(login, addr, k1, k2);
	rl_charge(l->rl, k1, 1, now_us);
	rl_charge(l->rl, k2, 1, now_us);
}
