/*
 * privs.c - see privs.h.
 */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"

struct passwd *ot_account(const char *name, const char *what)
{
	struct passwd *pw = name ? getpwnam(name) : NULL;
	if (!pw)
		ot_err("%s '%s' does not exist", what, name ? name : "");
	return pw;
}

int ot_become(const struct passwd *pw)
{
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		ot_err("cannot become %s: %s", pw->pw_name, strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		ot_warn("cannot set no_new_privs: %s", strerror(errno));
	ot_info("running as %s", pw->pw_name);
	return 0;
}
