/* dbwatch: a commit by another connection to the database wakes the loop
 * and calls fn once per batch; this connection's own writes and writes to
 * other files beside it do not; data_version moves only with others' commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "loop.h"
#include "store/dbwatch.h"
#include "testdb.h"

static void on_write(void *ud)
{
	(*(int *)ud)++;
}

/* Runs the loop until fn was called or ms passed. */
static void run_for(struct loop *l, int ms, const int *calls, int want)
{
	for (int i = 0; i < ms / 10 && *calls < want; i++)
		loop_run_once(l, 10);
}

static void other_write(const char *dir, const char *sql)
{
	char *path = xasprintf("%s/aiwb.db", dir);
	sqlite3 *c = NULL;
	assert_int_equal(sqlite3_open(path, &c), SQLITE_OK);
	sqlite3_busy_timeout(c, 2000);
	assert_int_equal(sqlite3_exec(c, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(c);
	free(path);
}

static void test_other_connection_wakes(void **state)
{
	struct testdb *t = *state;
	struct db *db = t->db;
	const char *dir = t->dir;
	struct loop *l = loop_new();
	int calls = 0;
	struct err e = ERR_INIT;
	struct dbwatch *w = dbwatch_new(db, l, on_write, &calls, &e);
	assert_non_null(w);
	int64_t v0 = db_data_version(db);
	assert_true(v0 >= 0);

	/* our own write: the version stays, fn is not called */
	assert_int_equal(db_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", &e), 0);
	run_for(l, 200, &calls, 1);
	assert_int_equal(calls, 0);
	assert_int_equal(db_data_version(db), v0);

	/* a file beside the database: nothing */
	char *other = xasprintf("%s/aiwb.log", dir);
	FILE *f = fopen(other, "w");
	assert_non_null(f);
	fputs("a log line\n", f);
	fclose(f);
	free(other);
	run_for(l, 200, &calls, 1);
	assert_int_equal(calls, 0);

	/* another connection commits: fn once, the version moved */
	other_write(dir, "INSERT INTO t VALUES (2); INSERT INTO t VALUES (3);");
	run_for(l, 3000, &calls, 1);
	assert_int_equal(calls, 1);
	assert_true(db_data_version(db) != v0);
	run_for(l, 200, &calls, 2);
	assert_int_equal(calls, 1);

	other_write(dir, "INSERT INTO t VALUES (4);");
	run_for(l, 3000, &calls, 2);
	assert_int_equal(calls, 2);

	dbwatch_free(w);
	loop_free(l);
}

static void test_free_is_safe(void **state)
{
	struct testdb *t = *state;
	struct db *db = t->db;
	struct loop *l = loop_new();
	int calls = 0;
	struct err e = ERR_INIT;
	struct dbwatch *w = dbwatch_new(db, l, on_write, &calls, &e);
	assert_non_null(w);
	dbwatch_free(w);
	dbwatch_free(NULL);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_other_connection_wakes, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_free_is_safe, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
