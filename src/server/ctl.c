/*
 * ctl.c - otasukectl, the operator's command for otasuked: tenants,
 * enrollment tokens, devices, a count of stored events, the contacts told
 * about incidents, and the incidents themselves.
 *
 * It works on the store directly, with the server's own configuration file
 * (the same -c and --set), so it needs no running server and no login;
 * whoever can read the configuration and the state folder is an operator.
 * Run as root, it first becomes run-as.user, like the server, so that the
 * files it creates belong to the server's user.  Every change is written to
 * the audit log with the login name of who ran it.  See docs/otasuked.md.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "srv-config.h"
#include "srv-admin.h"
#include "srv-setup.h"
#include "srv-time.h"
#include "store-incident.h"
#include "token.h"
#include "../lib/log.h"
#include "../lib/util.h"

static void usage(FILE *out)
{
	fputs(
"Usage: otasukectl [options] COMMAND [ARGS]\n"
"Manage otasuked's tenants, enrollment tokens and devices.\n"
"\n"
"Commands:\n"
"  tenant add NAME                 add a tenant (a customer); prints its id\n"
"  token create TENANT [--ttl T]   a one-time enrollment token for a device of\n"
"                                  TENANT (its id or name), valid for T (e.g. 3600,\n"
"                                  90m, 24h, 7d; default enroll.token-ttl); prints\n"
"                                  the token and the CA file devices must trust\n"
"  device list TENANT              the devices of TENANT\n"
"  device revoke DEVICE-ID         refuse this device from now on\n"
"  events count TENANT             the number of events stored for TENANT\n"
"  contact add TENANT NAME CHANNEL ADDRESS [--secret S] [--lang ja|en]\n"
"              [--min-severity N] [--level N]\n"
"                                  someone to tell about TENANT's incidents: by\n"
"                                  CHANNEL (mail, line, teams, slack, chatwork,\n"
"                                  webhook) at ADDRESS, of severity N or more serious\n"
"                                  (1 critical .. 4 low; default 4), at escalation\n"
"                                  level N (0, the default, is told first); prints\n"
"                                  its id\n"
"  contact list TENANT             TENANT's contacts (secrets not shown)\n"
"  contact remove TENANT ID        remove a contact\n"
"  incident list TENANT [--status S]\n"
"                                  TENANT's incidents, most recent first (S: a\n"
"                                  status, open or closed)\n"
"  incident show ID                an incident, its timeline and notifications\n"
"  incident status ID STATUS       set an incident's status (new, acknowledged,\n"
"                                  in_progress, resolved, false_positive)\n"
"  user add LOGIN --role ROLE [--tenant TENANT] [--name NAME]\n"
"                                  add a user who signs in to the console and the\n"
"                                  API; ROLE provider_admin, soc_operator or\n"
"                                  technician (the provider's staff), or with\n"
"                                  --tenant customer_admin or customer_viewer;\n"
"                                  prints a new password, once\n"
"\n"
"Options:\n"
"  -c FILE            otasuked's configuration file (default " SRV_DEFAULT_CONFIG ")\n"
"  --set KEY=VALUE    override a configuration key (repeatable)\n"
"  -v                 more diagnostics\n"
"  --help, --version\n"
"\n"
"Full reference: docs/otasuked.md.\n", out);
}

enum { OPT_SET = 256, OPT_TTL, OPT_SECRET, OPT_LANG, OPT_MIN_SEVERITY, OPT_LEVEL, OPT_STATUS,
       OPT_ROLE, OPT_TENANT, OPT_NAME, OPT_HELP, OPT_VERSION };

static const struct option long_opts[] = {
	{ "set", required_argument, NULL, OPT_SET },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "secret", required_argument, NULL, OPT_SECRET },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "min-severity", required_argument, NULL, OPT_MIN_SEVERITY },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "tenant", required_argument, NULL, OPT_TENANT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define MAX_SETS 64

/* The options that go with one command only. */
enum { WITH_TTL = 1, WITH_CONTACT = 2, WITH_STATUS = 4, WITH_USER = 8 };

struct ctl {
	struct ot_config *cfg;
	struct store *store;
	const char *ttl;
	const char *secret, *lang, *min_severity, *level, *status;
	const char *role, *tenant, *name;
	unsigned opts;             /* WITH_ of the options given */
	char actor[96];
};

/* "3600", "3600s", "90m", "24h", "7d" into seconds; -1 if not one. */
static int parse_duration(const char *s, uint64_t *secs)
{
	static const struct { char unit; uint64_t mul; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	size_t n = strlen(s);
	uint64_t mul = 1, v;
	char num[32];
	if (!n || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	for (size_t i = 0; i < OT_ARRAY_LEN(units); i++) {
		if (num[n - 1] == units[i].unit) {
			mul = units[i].mul;
			num[--n] = '\0';
			break;
		}
	}
	if (ot_parse_u64(num, 1, UINT64_MAX / 86400, false, &v) < 0)
		return -1;
	*secs = v * mul;
	return 0;
}

static int find_tenant(struct ctl *c, const char *key, struct store_tenant *t)
{
	int r = store_tenant_find(c->store, key, t);
	if (r == STORE_NOTFOUND)
		ot_err("no tenant with the id or name '%s'", key);
	return r;
}

static void audit(struct ctl *c, const char *tenant, const char *action, const char *object,
		  const char *detail)
{
	struct store_audit a = { tenant, c->actor, action, object, detail };
	if (store_audit_add(c->store, srv_now_us(), &a) < 0)
		ot_warn("done, but the audit log could not record it");
}

static int tenant_add(struct ctl *c, char *const *args)
{
	const char *name = args[0];
	struct store_tenant t;
	int r = admin_tenant_create(c->store, name, &t);
	if (r == -EINVAL) {
		ot_err("a tenant name has 1 to %d bytes", STORE_NAME_MAX);
		return 1;
	}
	if (r == STORE_EXISTS) {
		ot_err("a tenant named '%s' exists already", name);
		return 1;
	}
	if (r < 0)
		return 1;
	audit(c, t.id, "tenant.add", t.id, t.name);
	printf("%s\n", t.id);
	return 0;
}

static int token_create(struct ctl *c, char *const *args)
{
	const char *tenant_key = args[0];
	struct store_tenant t;
	struct store_token tk;
	char token[TOKEN_MAX], when[40];
	uint64_t ttl = cfg_uint(c->cfg, "enroll.token-ttl");

	if (c->ttl && (parse_duration(c->ttl, &ttl) < 0 || ttl < 60 || ttl > 31536000)) {
		ot_err("--ttl %s: expected a duration from 60 seconds to 365 days, such as "
		       "3600, 90m, 24h or 7d", c->ttl);
		return 2;
	}
	if (find_tenant(c, tenant_key, &t) < 0)
		return 1;
	struct ca *ca = srv_ca_open(c->cfg);
	if (!ca)
		return 1;
	int rc = 1;
	if (admin_token_create(c->store, t.id, (int64_t)ttl * 1000000, token, &tk) < 0)
		goto out;
	srv_time_fmt(tk.expires_us, when, sizeof(when));
	audit(c, t.id, "token.create", t.id, when);
	printf("token: %s\n", token);
	printf("expires: %s\n", when);
	printf("ca-file: %s\n", ca_cert_path(ca));
	printf("ca-sha256: %s\n", ca_fingerprint(ca));
	rc = 0;
out:
	ca_free(ca);
	return rc;
}

static int print_device(void *arg, const struct store_device *d)
{
	char when[40];
	srv_time_fmt(d->enrolled_us, when, sizeof(when));
	printf("%s\t%s\t%s\t%s\t%s\t%s\n", d->id, d->kind, d->revoked ? "revoked" : "active",
	       when, d->cert_serial, d->name);
	return 0;
}

static int device_list(struct ctl *c, char *const *args)
{
	struct store_tenant t;
	if (find_tenant(c, args[0], &t) < 0)
		return 1;
	printf("id\tkind\tstatus\tenrolled\tcert-serial\tname\n");
	return store_device_list(c->store, t.id, print_device, NULL) < 0 ? 1 : 0;
}

static int device_revoke(struct ctl *c, char *const *args)
{
	const char *id = args[0];
	struct store_device d;
	int r = store_device_revoke(c->store, NULL, id, srv_now_us(), &d);
	if (r == STORE_NOTFOUND) {
		ot_err("no device with the id '%s'", id);
		return 1;
	}
	if (r < 0)
		return 1;
	audit(c, d.tenant_id, "device.revoke", d.id, d.name);
	printf("revoked %s (%s)\n", d.id, d.name);
	return 0;
}

static int events_count(struct ctl *c, char *const *args)
{
	struct store_tenant t;
	uint64_t n;
	if (find_tenant(c, args[0], &t) < 0 || store_events_count(c->store, t.id, &n) < 0)
		return 1;
	printf("%llu\n", (unsigned long long)n);
	return 0;
}

/* A number option within [min, max], or dflt when not given; -1 if bad. */
static int num_opt(const char *opt, const char *v, unsigned min, unsigned max, unsigned dflt,
		   int *out)
{
	uint64_t n = dflt;
	if (v && ot_parse_u64(v, min, max, false, &n) < 0) {
		ot_err("%s %s: expected a number from %u to %u", opt, v, min, max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int contact_add(struct ctl *c, char *const *args)
{
	struct store_tenant t;
	struct store_contact ct = { 0 };
	const char *lang = c->lang ? c->lang : "ja";
	if (num_opt("--min-severity", c->min_severity, 1, 4, 4, &ct.min_severity) < 0 ||
	    num_opt("--level", c->level, 0, 99, 0, &ct.level) < 0)
		return 2;
	if (strcmp(lang, "ja") && strcmp(lang, "en")) {
		ot_err("--lang %s: expected ja or en", lang);
		return 2;
	}
	if (!*args[1] || strlen(args[1]) > STORE_NAME_MAX || !*args[2] ||
	    strlen(args[2]) >= sizeof(ct.channel) || !*args[3] ||
	    strlen(args[3]) >= sizeof(ct.address) ||
	    (c->secret && strlen(c->secret) >= sizeof(ct.secret))) {
		ot_err("a contact has a name of 1 to %d bytes, a channel, an address of at most "
		       "%zu bytes and a secret of at most %zu", STORE_NAME_MAX,
		       sizeof(ct.address) - 1, sizeof(ct.secret) - 1);
		return 2;
	}
	if (find_tenant(c, args[0], &t) < 0)
		return 1;
	ot_strlcpy(ct.tenant_id, t.id, sizeof(ct.tenant_id));
	token_uuid(ct.id);
	ot_strlcpy(ct.name, args[1], sizeof(ct.name));
	ot_strlcpy(ct.channel, args[2], sizeof(ct.channel));
	ot_strlcpy(ct.address, args[3], sizeof(ct.address));
	ot_strlcpy(ct.secret, c->secret ? c->secret : "", sizeof(ct.secret));
	ot_strlcpy(ct.lang, lang, sizeof(ct.lang));
	ct.created_us = srv_now_us();
	if (store_contact_add(c->store, &ct) < 0)
		return 1;
	audit(c, t.id, "contact.add", ct.id, ct.name);
	printf("%s\n", ct.id);
	return 0;
}

static int print_contact(void *arg, const struct store_contact *ct)
{
	printf("%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", ct->id, ct->level, ct->min_severity,
	       ct->channel, ct->address, ct->lang, ct->secret[0] ? "yes" : "no", ct->name);
	return 0;
}

static int contact_list(struct ctl *c, char *const *args)
{
	struct store_tenant t;
	if (find_tenant(c, args[0], &t) < 0)
		return 1;
	printf("id\tlevel\tmin-severity\tchannel\taddress\tlang\tsecret\tname\n");
	return store_contact_list(c->store, t.id, print_contact, NULL) < 0 ? 1 : 0;
}

static int contact_remove(struct ctl *c, char *const *args)
{
	struct store_tenant t;
	if (find_tenant(c, args[0], &t) < 0)
		return 1;
	int r = store_contact_remove(c->store, t.id, args[1]);
	if (r == STORE_NOTFOUND)
		ot_err("tenant %s has no contact with the id '%s'", t.name, args[1]);
	if (r < 0)
		return 1;
	audit(c, t.id, "contact.remove", args[1], NULL);
	printf("removed %s\n", args[1]);
	return 0;
}

struct incident_page {
	unsigned n;
	struct store_incident_cursor next;
};

static int print_incident(void *arg, const struct store_incident *i)
{
	struct incident_page *pg = arg;
	char first[40], last[40];
	srv_time_fmt(i->first_us, first, sizeof(first));
	srv_time_fmt(i->last_us, last, sizeof(last));
	printf("%s\t%s\t%d\t%llu\t%s\t%s\t%s\t%s\t%s\t%s\n", i->id, i->status, i->severity,
	       (unsigned long long)i->event_count, first, last, i->device_id, i->key,
	       i->kind[0] ? i->kind : "-", i->title);
	pg->n++;
	store_incident_cursor_of(i, &pg->next);
	return 0;
}

static int incident_list(struct ctl *c, char *const *args)
{
	struct store_tenant t;
	struct incident_page pg = { 0 };
	struct store_incident_filter f = { .status = c->status, .limit = 1000 };
	if (c->status && !store_incident_status_known(c->status) && strcmp(c->status, "open") &&
	    strcmp(c->status, "closed")) {
		ot_err("--status %s: expected new, acknowledged, in_progress, resolved, "
		       "false_positive, open or closed", c->status);
		return 2;
	}
	if (find_tenant(c, args[0], &t) < 0)
		return 1;
	printf("id\tstatus\tseverity\tevents\tfirst\tlast\tdevice\tkey\tkind\ttitle\n");
	do {
		pg.n = 0;
		if (store_incident_list(c->store, t.id, &f, print_incident, &pg) < 0)
			return 1;
		f.after = &pg.next;
	} while (pg.n == f.limit);
	return 0;
}

static int print_timeline(void *arg, const struct store_timeline *tl)
{
	char when[40];
	srv_time_fmt(tl->ts_us, when, sizeof(when));
	printf("  %s\t%s\t%s", when, tl->what, tl->actor);
	if (tl->event_id)
		printf("\tevent %lld", (long long)tl->event_id);
	if (tl->detail)
		printf("\t%s", tl->detail);
	printf("\n");
	return 0;
}

static int print_notification(void *arg, const struct store_notification *n)
{
	char when[40];
	srv_time_fmt(n->next_us, when, sizeof(when));
	printf("  %lld\t%s\tlevel %d\t%s\t%d attempts\t%s\tcontact %s%s%s\n", (long long)n->id,
	       n->state, n->level, n->reason, n->attempts, when, n->contact_id,
	       n->last_error[0] ? "\t" : "", n->last_error);
	return 0;
}

static int incident_show(struct ctl *c, char *const *args)
{
	char tenant[STORE_ID_LEN], first[40], last[40];
	struct store_incident i;
	int r = store_incident_locate(c->store, args[0], tenant);
	if (r == STORE_NOTFOUND)
		ot_err("no incident with the id '%s'", args[0]);
	if (r < 0 || store_incident_get(c->store, tenant, args[0], &i) < 0)
		return 1;
	srv_time_fmt(i.first_us, first, sizeof(first));
	srv_time_fmt(i.last_us, last, sizeof(last));
	printf("id: %s\ntenant: %s\ndevice: %s\nkey: %s\ntitle: %s\nkind: %s\nseverity: %d\n"
	       "status: %s\nassignee: %s\nevents: %llu\nfirst: %s\nlast: %s\nsource: %s\n"
	       "destination: %s\nescalation-level: %d\ntimeline:\n", i.id, i.tenant_id,
	       i.device_id, i.key, i.title, i.kind, i.severity, i.status,
	       i.assignee[0] ? i.assignee : "-", (unsigned long long)i.event_count, first, last,
	       i.src_ip, i.dest_ip, i.notify_level);
	if (store_incident_timeline(c->store, tenant, i.id, print_timeline, NULL) < 0)
		return 1;
	printf("notifications:\n");
	return store_notify_list(c->store, tenant, i.id, print_notification, NULL) < 0 ? 1 : 0;
}

static int incident_status(struct ctl *c, char *const *args)
{
	char tenant[STORE_ID_LEN];
	int r = store_incident_locate(c->store, args[0], tenant);
	if (r == STORE_NOTFOUND)
		ot_err("no incident with the id '%s'", args[0]);
	if (r < 0)
		return 1;
	r = store_incident_set_status(c->store, tenant, args[0], args[1], c->actor, srv_now_us());
	if (r == STORE_INVALID) {
		ot_err("status '%s': expected new, acknowledged, in_progress, resolved or "
		       "false_positive", args[1]);
		return 2;
	}
	if (r < 0)
		return 1;
	audit(c, tenant, "incident.status", args[0], args[1]);
	printf("%s %s\n", args[0], args[1]);
	return 0;
}

static int user_add(struct ctl *c, char *const *args)
{
	const char *login = args[0];
	struct store_user u = { 0 };
	struct store_tenant t;
	char pw[17];
	int role = auth_role_parse(c->role);

	if (role < 0 || auth_role_staff(role) != !c->tenant) {
		ot_err("--role must be provider_admin, soc_operator or technician, or with --tenant "
		       "customer_admin or customer_viewer");
		return 2;
	}
	if (strlen(login) < 3 || strlen(login) > STORE_LOGIN_MAX ||
	    (c->name && strlen(c->name) > STORE_NAME_MAX)) {
		ot_err("a login has 3 to %d bytes, a name at most %d", STORE_LOGIN_MAX,
		       STORE_NAME_MAX);
		return 2;
	}
	if (c->tenant) {
		if (find_tenant(c, c->tenant, &t) < 0)
			return 1;
		ot_strlcpy(u.tenant_id, t.id, sizeof(u.tenant_id));
	}
	token_uuid(u.id);
	ot_strlcpy(u.login, login, sizeof(u.login));
	ot_strlcpy(u.name, c->name ? c->name : login, sizeof(u.name));
	ot_strlcpy(u.role, c->role, sizeof(u.role));
	ot_strlcpy(u.lang, "ja", sizeof(u.lang));
	u.created_us = srv_now_us();
	auth_password_new(pw);
	if (auth_password_hash(pw, u.pw_hash, sizeof(u.pw_hash)) < 0)
		return 1;
	int r = store_user_add(c->store, &u);
	if (r == STORE_EXISTS) {
		ot_err("the login '%s' is taken", login);
		return 1;
	}
	if (r < 0)
		return 1;
	audit(c, u.tenant_id[0] ? u.tenant_id : NULL, "user.add", u.id, u.login);
	printf("id: %s\nlogin: %s\npassword: %s\n", u.id, u.login, pw);
	return 0;
}

struct command {
	const char *noun, *verb;
	int nargs;                 /* after noun and verb */
	unsigned opts;             /* WITH_ of the options it takes */
	int (*run)(struct ctl *c, char *const *args);
};

static const struct command commands[] = {
	{ "tenant", "add", 1, 0, tenant_add },
	{ "token", "create", 1, WITH_TTL, token_create },
	{ "device", "list", 1, 0, device_list },
	{ "device", "revoke", 1, 0, device_revoke },
	{ "events", "count", 1, 0, events_count },
	{ "contact", "add", 4, WITH_CONTACT, contact_add },
	{ "contact", "list", 1, 0, contact_list },
	{ "contact", "remove", 2, 0, contact_remove },
	{ "incident", "list", 1, WITH_STATUS, incident_list },
	{ "incident", "show", 1, 0, incident_show },
	{ "incident", "status", 2, 0, incident_status },
	{ "user", "add", 1, WITH_USER, user_add },
};

/* Who runs this, for the audit log: the login name behind sudo if any. */
static void who(char *out, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	snprintf(out, len, "otasukectl (%s)", sudo ? sudo : pw ? pw->pw_name : "?");
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	const char *config = NULL, *sets[MAX_SETS];
	int nsets = 0, o, problems, rc = 1;
	bool verbose = false;

	ot_log_init("otasukectl");
	while ((o = getopt_long(argc, argv, "c:v", long_opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'v': verbose = true; break;
		case OPT_TTL: c.ttl = optarg; c.opts |= WITH_TTL; break;
		case OPT_SECRET: c.secret = optarg; c.opts |= WITH_CONTACT; break;
		case OPT_LANG: c.lang = optarg; c.opts |= WITH_CONTACT; break;
		case OPT_MIN_SEVERITY: c.min_severity = optarg; c.opts |= WITH_CONTACT; break;
		case OPT_LEVEL: c.level = optarg; c.opts |= WITH_CONTACT; break;
		case OPT_STATUS: c.status = optarg; c.opts |= WITH_STATUS; break;
		case OPT_ROLE: c.role = optarg; c.opts |= WITH_USER; break;
		case OPT_TENANT: c.tenant = optarg; c.opts |= WITH_USER; break;
		case OPT_NAME: c.name = optarg; c.opts |= WITH_USER; break;
		case OPT_SET:
			if (nsets >= MAX_SETS) {
				ot_err("too many --set options (at most %d)", MAX_SETS);
				return 2;
			}
			sets[nsets++] = optarg;
			break;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("otasukectl %s\n", OT_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* GNU getopt takes options anywhere (token create T --ttl 1h); a name
	 * that starts with '-' follows "--" */
	int nargs = argc - optind;
	char *const *args = argv + optind;
	const struct command *cmd = NULL;
	for (size_t i = 0; nargs >= 2 && i < OT_ARRAY_LEN(commands); i++)
		if (!strcmp(commands[i].noun, args[0]) && !strcmp(commands[i].verb, args[1]) &&
		    nargs == 2 + commands[i].nargs)
			cmd = &commands[i];
	if (!cmd) {
		usage(stderr);
		return 2;
	}
	unsigned stray = c.opts & ~cmd->opts, bit = stray & (~stray + 1);
	for (size_t i = 0; bit && i < OT_ARRAY_LEN(commands); i++) {
		if (commands[i].opts & bit) {
			ot_err("%s goes with %s %s only",
			       bit == WITH_TTL ? "--ttl" : bit == WITH_STATUS ? "--status" :
			       bit == WITH_USER ? "--role, --tenant or --name" :
			       "--secret, --lang, --min-severity or --level",
			       commands[i].noun, commands[i].verb);
			return 2;
		}
	}
	if (verbose)
		ot_log_set_level(OT_LOG_INFO);
	who(c.actor, sizeof(c.actor));
	if (token_init() < 0)
		return 1;
	c.cfg = srv_config_load(config, sets, nsets, verbose, &problems);
	if (!c.cfg)
		return 1;
	if (problems)
		goto out;
	if (srv_state_prepare(c.cfg) < 0 || srv_drop_privileges(c.cfg) < 0)
		goto out;
	if (!(c.store = srv_store_open(c.cfg)))
		goto out;
	rc = cmd->run(&c, args + 2);
out:
	store_close(c.store);
	cfg_free(c.cfg);
	return rc;
}
