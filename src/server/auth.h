/*
 * auth.h - who may do what in otasuked's API: roles, passwords, and the
 * login limiter.
 *
 * Roles.  The provider's staff (users of no tenant) are provider admins
 * (everything), SOC operators (watch and handle every tenant's incidents),
 * and technicians (the facts of incidents, on site; they act on them too).
 * A customer's users are customer admins (their own company: users,
 * contacts, incidents) and customer viewers (read only).  A route names
 * the least it needs (enum auth_need) and auth_allows() answers.
 *
 * Passwords are hashed with argon2id (libsodium crypto_pwhash_str, its
 * "interactive" cost: ~64 MiB and a fraction of a second per check, which
 * is what makes guessing offline slow), and checked in constant time.
 */
#ifndef OT_AUTH_H
#define OT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum auth_role {
	ROLE_PROVIDER_ADMIN,
	ROLE_SOC_OPERATOR,
	ROLE_TECHNICIAN,
	ROLE_CUSTOMER_ADMIN,
	ROLE_CUSTOMER_VIEWER,
	ROLE_COUNT
};

/* What a route needs, from least to most. */
enum auth_need {
	NEED_NONE,                 /* anyone (login, enrollment) */
	NEED_DEVICE,               /* a device's client certificate */
	NEED_USER,                 /* any signed-in user */
	NEED_OPERATOR,             /* acts on incidents: staff, customer admins */
	NEED_TENANT_ADMIN,         /* manages a tenant: provider or customer admins */
	NEED_STAFF,                /* the provider's staff */
	NEED_PROVIDER_ADMIN,
};

/* The role named s ("provider_admin", ...), or -1. */
int auth_role_parse(const char *s);
const char *auth_role_name(int role);
/* True for the provider's roles (users of no tenant). */
bool auth_role_staff(int role);
bool auth_allows(int role, enum auth_need need);
const char *auth_need_name(enum auth_need need);

#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 128

/* The argon2id hash of pw into out (at least 128 bytes); -1 when out of
 * memory. */
int auth_password_hash(const char *pw, char *out, size_t len);
/* True when pw matches hash (a bad or empty hash matches nothing). */
bool auth_password_check(const char *hash, const char *pw);
/* 0 when pw is acceptable, else -1 with why (in English). */
int auth_password_policy(const char *pw, char *why, size_t len);
/* A random password of 16 letters and digits (easy to type, ~95 bits). */
void auth_password_new(char out[17]);

/*
 * The login limiter: failed attempts are counted per login name and per
 * client address, each in a bucket of `burst` attempts refilled one every
 * `refill_s` seconds, so a person who mistypes is not locked out while a
 * guesser is slowed to a trickle.
 */
struct auth_limiter;
struct auth_limiter *auth_limiter_new(uint64_t burst, uint64_t refill_s);
void auth_limiter_free(struct auth_limiter *l);
/* 0 when login from addr may try now, else the seconds to wait. */
unsigned auth_limiter_check(struct auth_limiter *l, const char *login, const char *addr,
			    int64_t now_us);
void auth_limiter_fail(struct auth_limiter *l, const char *login, const char *addr,
		       int64_t now_us);

#endif
