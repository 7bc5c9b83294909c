/*
 * srv-setup.h - what otasuked and otasukectl both do before their work:
 * read and check the configuration, prepare the state folder, give up root,
 * open the store and the CA.  Both programs use the same file and the same
 * state, so they must read them the same way.
 */
#ifndef OT_SRV_SETUP_H
#define OT_SRV_SETUP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "ca.h"
#include "store.h"
#include "../lib/config.h"

/*
 * Read path (NULL: SRV_DEFAULT_CONFIG when it exists), apply the --set
 * assignments, and check the values that have more rules than their type
 * (backend, logging level, listen address).  *problems counts what is
 * wrong (each logged with where it is).  NULL only when out of memory.
 * The logging level is applied unless keep_level.
 */
struct ot_config *srv_config_load(const char *path, const char *const *sets, int nsets,
				  bool keep_level, int *problems);

/* "HOST:PORT" or "[V6]:PORT" into addr; -1 when it is not one. */
int srv_parse_listen(const char *s, struct sockaddr_storage *addr, socklen_t *len);

/* Create state-dir if needed (mode 0750), owned by run-as.user when root;
 * from now on, files are created without access for others (umask 027). */
int srv_state_prepare(const struct ot_config *cfg);

/* When root: become run-as.user (groups, gid, uid, no new privileges). */
int srv_drop_privileges(const struct ot_config *cfg);

struct store *srv_store_open(const struct ot_config *cfg);
/* The CA in state-dir/ca, created when absent. */
struct ca *srv_ca_open(const struct ot_config *cfg);

#endif
