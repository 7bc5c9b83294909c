/*
 * privs.h - giving up root: what the sensor and the server both do once
 * their privileged resources (capture handles, a low port, log files) are
 * open.  One way to do it, so that both drop the same things in the same
 * order: supplementary groups, then the group, then the user, then the
 * right to gain privileges again (no_new_privs).
 */
#ifndef OT_PRIVS_H
#define OT_PRIVS_H

#include <pwd.h>

/* The account name, or NULL having logged that it does not exist; what
 * says whose setting named it ("run-as.user"). */
struct passwd *ot_account(const char *name, const char *what);

/* Become pw for good; 0, or -1 having logged why not. */
int ot_become(const struct passwd *pw);

#endif
