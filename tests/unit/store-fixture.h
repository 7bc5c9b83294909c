/*
 * store-fixture.h - what the store's unit tests share: the store they run
 * on, SQLite (a file in a temporary folder) or PostgreSQL (a throw-away
 * server started by tests/pg-run, found through OT_PG_CONNINFO), chosen by
 * OT_STORE_BACKEND, and the folder removed at the end.
 */
#ifndef OT_TEST_STORE_FIXTURE_H
#define OT_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/store.h"

struct store_fixture {
	char dir[64];
	char dbpath[128];
	struct store_params params;
};

/* Fill f for the backend of OT_STORE_BACKEND; 0, or -1 (said why). */
static inline int store_fixture_setup(struct store_fixture *f, const char *name)
{
	const char *backend = getenv("OT_STORE_BACKEND");
	memset(f, 0, sizeof(*f));
	f->params.backend = backend ? backend : "sqlite";
	f->params.connections = 4;
	if (!strcmp(f->params.backend, "postgresql")) {
		f->params.pg_conninfo = getenv("OT_PG_CONNINFO");
		if (!f->params.pg_conninfo) {
			fprintf(stderr, "OT_PG_CONNINFO is not set: run under tests/pg-run\n");
			return -1;
		}
		return 0;
	}
	snprintf(f->dir, sizeof(f->dir), "/tmp/%s-XXXXXX", name);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->dbpath, sizeof(f->dbpath), "%s/store.db", f->dir);
	f->params.sqlite_path = f->dbpath;
	return 0;
}

/* Remove the temporary folder, if any; 0 or -1. */
static inline int store_fixture_teardown(struct store_fixture *f)
{
	char cmd[128];
	if (!f->dir[0])
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
