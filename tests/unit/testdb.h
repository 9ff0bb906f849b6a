/* testdb — a fresh history database in its own temporary directory, for the
 * tests of the modules that read and write runs (header-only; include it
 * after cmocka.h). */
#ifndef AIWB_TESTDB_H
#define AIWB_TESTDB_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/err.h"
#include "base/xmalloc.h"
#include "store/db.h"
#include "testutil.h"

/* Creates /tmp/aiwb-test-NAME-XXXXXX in dir and opens aiwb.db there; NULL
 * (the reason on stderr) when it cannot. */
static inline struct db *testdb_open(char dir[64], const char *name)
{
	snprintf(dir, 64, "/tmp/aiwb-test-%s-XXXXXX", name);
	if (!mkdtemp(dir))
		return NULL;
	char *path = xasprintf("%s/aiwb.db", dir);
	struct err e = ERR_INIT;
	struct db *db = db_open(path, 1000, NULL, &e);
	free(path);
	if (!db)
		fprintf(stderr, "db_open: %s\n", err_msg(&e));
	return db;
}

/* Closes db and removes dir; 0 or -1. */
static inline int testdb_close(const char *dir, struct db *db)
{
	db_close(db);
	return test_rmtree(dir);
}

/* cmocka fixtures: *state is a struct testdb with a fresh database. */
struct testdb {
	char dir[64];
	struct db *db;
};

static inline int testdb_setup(void **state)
{
	struct testdb *t = xcalloc(1, sizeof *t);
	if (!(t->db = testdb_open(t->dir, "db"))) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

/* The first column of the first row of sql, which must give one (cmocka asserts). */
static inline int64_t testdb_scalar(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql, NULL);
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static inline int testdb_teardown(void **state)
{
	struct testdb *t = *state;
	int rc = testdb_close(t->dir, t->db);
	free(t);
	return rc;
}

#endif
