/*
 * detect-vars.c - the address and port variables rules are written against
 * ($HOME_NET, $HTTP_PORTS...).  A ruleset like Emerging Threats assumes
 * Suricata's default set of variables, so the same defaults are built in;
 * the configuration overrides any of them by name (vars.address-groups.X,
 * vars.port-groups.X) or adds new ones.  Values are kept as text and parsed
 * when a rule uses them; detect_vars_check() parses every one up front so a
 * bad value or a loop ($A -> $B -> $A) is reported once, by name.
 */
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "detect-parse.h"
#include "../lib/log.h"

#define VARS_MAX 256
#define VAR_NAME_MAX 64
#define VAR_VALUE_MAX 8192

struct detect_var {
	char *name;
	char *value;
	bool is_port;
};

struct detect_vars {
	struct detect_var v[VARS_MAX];
	size_t n;
};

static const char *const addr_defaults[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
};

static const char *const port_defaults[][2] = {
	{ "HTTP_PORTS", "80" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
};

static struct detect_var *find(const struct detect_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i].name, name))
			return (struct detect_var *)&v->v[i];
	return NULL;
}

int detect_vars_set_kind(struct detect_vars *v, const char *name, const char *value,
			 bool is_port)
{
	if (!name || !value)
		return -1;
	if (*name == '$')
		name++;
	size_t nl = strlen(name);
	if (nl == 0 || nl > VAR_NAME_MAX || strlen(value) > VAR_VALUE_MAX) {
		ot_err("variable '%.64s': name or value too long or empty", name);
		return -1;
	}
	for (size_t i = 0; i < nl; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			ot_err("variable '%s': only letters, digits, '_' and '-' are allowed", name);
			return -1;
		}
	}
	struct detect_var *d = find(v, name);
	char *val = strdup(value);
	if (!val)
		return -1;
	if (d) {
		free(d->value);
		d->value = val;
		d->is_port = is_port;
		return 0;
	}
	if (v->n >= VARS_MAX) {
		ot_err("variable '%s': too many variables (at most %d)", name, VARS_MAX);
		free(val);
		return -1;
	}
	d = &v->v[v->n];
	if (!(d->name = strdup(name))) {
		free(val);
		return -1;
	}
	d->value = val;
	d->is_port = is_port;
	v->n++;
	return 0;
}

int detect_vars_set(struct detect_vars *v, const char *name, const char *value)
{
	const char *n = name && *name == '$' ? name + 1 : name;
	if (!n)
		return -1;
	struct detect_var *d = find(v, n);
	bool is_port;
	if (d) {
		is_port = d->is_port;
	} else {
		size_t l = strlen(n);
		is_port = (l > 6 && !strcmp(n + l - 6, "_PORTS")) ||
			  (l > 5 && !strcmp(n + l - 5, "_PORT"));
	}
	return detect_vars_set_kind(v, n, value, is_port);
}

struct detect_vars *detect_vars_new(void)
{
	struct detect_vars *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < sizeof(addr_defaults) / sizeof(addr_defaults[0]); i++)
		if (detect_vars_set_kind(v, addr_defaults[i][0], addr_defaults[i][1], false) < 0)
			goto fail;
	for (size_t i = 0; i < sizeof(port_defaults) / sizeof(port_defaults[0]); i++)
		if (detect_vars_set_kind(v, port_defaults[i][0], port_defaults[i][1], true) < 0)
			goto fail;
	return v;
fail:
	detect_vars_free(v);
	return NULL;
}

void detect_vars_free(struct detect_vars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v);
}

const char *detect_vars_get(const struct detect_vars *v, const char *name, bool *is_port)
{
	if (!v || !name)
		return NULL;
	const struct detect_var *d = find(v, *name == '$' ? name + 1 : name);
	if (!d)
		return NULL;
	if (is_port)
		*is_port = d->is_port;
	return d->value;
}

int detect_vars_check(const struct detect_vars *v)
{
	int problems = 0;
	char err[256];
	for (size_t i = 0; i < v->n; i++) {
		const struct detect_var *d = &v->v[i];
		int r;
		if (d->is_port) {
			struct port_set ps = { 0 };
			r = port_set_parse(&ps, d->value, v, err, sizeof(err));
			port_set_clear(&ps);
		} else {
			struct addr_set as = { 0 };
			r = addr_set_parse(&as, d->value, v, err, sizeof(err));
			addr_set_clear(&as);
		}
		if (r < 0) {
			ot_err("%s group %s '%s': %s", d->is_port ? "port" : "address",
			       d->name, d->value, err);
			problems++;
		}
	}
	return problems;
}
