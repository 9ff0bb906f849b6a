#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/secret.h"
#include "base/xmalloc.h"
#include "store/db.h"

#define NOBODY 65534

struct fixture {
	char dir[64];
	char *db_path;
};

static char *in_dir(const struct fixture *f, const char *name)
{
	return xasprintf("%s/%s", f->dir, name);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/aiwb-test-db-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->db_path = in_dir(f, "aiwb.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = test_rmtree(f->dir);
	free(f->db_path);
	free(f);
	return rc;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return data;
}

static void write_all(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static int file_mode(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return -1;
	return (int)(sb.st_mode & 07777);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int exists_in(const struct fixture *f, const char *name)
{
	char *path = in_dir(f, name);
	int found = exists(path);
	free(path);
	return found;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *conn;
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	int rc = sqlite3_exec(conn, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(conn));
	sqlite3_close(conn);
}

static int64_t query_int(sqlite3 *conn, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *conn;
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	int64_t v = query_int(conn, sql);
	sqlite3_close(conn);
	return v;
}

static struct db *open_ok(const char *path)
{
	struct err e = ERR_INIT;
	enum db_status st = DB_EIO;
	struct db *db = db_open(path, 1000, &st, &e);
	if (!db)
		fail_msg("db_open %s: %s", path, err_msg(&e));
	assert_int_equal(st, DB_OK);
	return db;
}

static int64_t insert_run(struct db *db, const char *prompt, const char *output)
{
	struct err e = ERR_INIT;
	struct db_run run = {
		.kind = "ask",
		.model = "openai/gpt-4o-mini",
		.prompt = prompt,
		.messages = "[]",
		.params = "{\"temperature\":0.2}",
		.output = output,
		.metrics = "{\"latency_ms\":120}",
	};
	int64_t id = db_run_insert(db, &run, &e);
	if (id < 0)
		fail_msg("db_run_insert: %s", err_msg(&e));
	return id;
}

/* Opening must fail with `want`, name the path, and leave the file's bytes alone. */
static void expect_refused(const char *path, int busy_ms, enum db_status want, const char *needle)
{
	size_t before_len, after_len;
	char *before = read_all(path, &before_len);
	struct err e = ERR_INIT;
	enum db_status st = DB_OK;
	struct db *db = db_open(path, busy_ms, &st, &e);
	assert_null(db);
	assert_int_equal(st, want);
	assert_non_null(strstr(err_msg(&e), path));
	if (needle)
		assert_non_null(strstr(err_msg(&e), needle));
	char *after = read_all(path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);
}

static void test_fresh_open(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(0);
	struct db *db = open_ok(f->db_path);
	umask(old);
	sqlite3 *conn = db_handle(db);
	assert_int_equal(file_mode(f->db_path), 0600);
	assert_string_equal(db_path(db), f->db_path);

	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(query_int(conn, "PRAGMA foreign_keys"), 1);
	assert_int_equal(query_int(conn, "PRAGMA user_version"), db_schema_version());
	assert_true(db_schema_version() >= 1);
	assert_int_equal(query_int(conn, "SELECT count(*) FROM sqlite_schema WHERE name IN "
				   "('runs', 'meta', 'runs_created_ms')"), 3);
	assert_int_equal(db_run_count(db), 0);
	db_close(db);
	assert_int_equal(raw_int(f->db_path, "PRAGMA user_version"), db_schema_version());
}

static void test_reopen_is_idempotent(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	insert_run(db, "hello", "world");
	db_close(db);
	int64_t objects = raw_int(f->db_path, "SELECT count(*) FROM sqlite_schema");
	for (int i = 0; i < 3; i++) {
		db = open_ok(f->db_path);
		assert_int_equal(db_run_count(db), 1);
		assert_int_equal(query_int(db_handle(db), "PRAGMA user_version"), db_schema_version());
		db_close(db);
	}
	assert_int_equal(raw_int(f->db_path, "SELECT count(*) FROM sqlite_schema"), objects);
	assert_int_equal(file_mode(f->db_path), 0600);
}

static void test_insert_and_count(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	int64_t a = insert_run(db, "first", "one");
	int64_t b = insert_run(db, NULL, NULL);
	assert_true(a > 0);
	assert_true(b > a);
	assert_int_equal(db_run_count(db), 2);

	struct err e = ERR_INIT;
	struct db_run bad = { .prompt = "no kind" };
	assert_int_equal(db_run_insert(db, &bad, &e), -1);
	assert_true(e.set);
	assert_int_equal(db_run_count(db), 2);

	struct db_run dated = { .created_ms = 1234, .kind = "compare", .model = "ollama/llama3.1" };
	int64_t c = db_run_insert(db, &dated, &e);
	assert_true(c > b);
	sqlite3_stmt *st = db_prepare(db, "SELECT created_ms, kind, model, prompt FROM runs WHERE id = ?", &e);
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, c);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 1234);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "compare");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "ollama/llama3.1");
	assert_int_equal(sqlite3_column_type(st, 3), SQLITE_NULL);
	sqlite3_finalize(st);
	assert_true(query_int(db_handle(db), "SELECT created_ms FROM runs WHERE id = 1") > 1600000000000);

	err_clear(&e);
	assert_null(db_prepare(db, "SELECT nonsense FROM nowhere", &e));
	assert_non_null(strstr(err_msg(&e), "nowhere"));
	assert_int_equal(db_exec(db, "INSERT INTO meta VALUES ('demo_seeded', '1')", &e), 0);
	assert_int_equal(db_exec(db, "INSERT INTO meta VALUES ('demo_seeded', '2')", &e), -1);
	db_close(db);
}

struct pair {
	int64_t key;
	char *value;
};

static void read_pair(sqlite3_stmt *st, void *element)
{
	struct pair *p = element;
	p->key = sqlite3_column_int64(st, 0);
	p->value = xstrdup((const char *)sqlite3_column_text(st, 1));
}

static int stop_at_two(void *ud, sqlite3_stmt *st)
{
	int *seen = ud;
	(*seen)++;
	return sqlite3_column_int64(st, 0) == 2;
}

static void test_row_helpers(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	struct err e = ERR_INIT;
	assert_int_equal(db_exec(db, "CREATE TABLE t (k INTEGER, v TEXT)", &e), 0);
	for (int64_t k = 1; k <= 20; k++)
		assert_int_equal(db_run_ids(db, "INSERT INTO t VALUES (?1, 'v' || ?1)", k, 0, &e), 0);
	assert_int_equal(db_run_ids(db, "UPDATE t SET v = 'changed' WHERE k = ?1 OR k = ?2", 3, 20, &e), 0);
	assert_int_equal(query_int(db_handle(db), "SELECT count(*) FROM t WHERE v = 'changed'"), 2);
	assert_int_equal(db_run_ids(db, "INSERT INTO nowhere VALUES (?1)", 1, 0, &e), -1);
	assert_non_null(strstr(err_msg(&e), "nowhere"));

	/* appends to what the array already holds, growing past xgrow's first capacity */
	struct pair *v = xcalloc(1, sizeof *v);
	v[0].value = xstrdup("kept");
	size_t n = 1;
	sqlite3_stmt *st = db_prepare(db, "SELECT k, v FROM t ORDER BY k", &e);
	assert_non_null(st);
	assert_int_equal(db_collect(db, st, &v, &n, sizeof *v, read_pair, &e), 0);
	assert_int_equal(n, 21);
	assert_string_equal(v[0].value, "kept");
	assert_int_equal(v[1].key, 1);
	assert_string_equal(v[3].value, "changed");
	assert_int_equal(v[20].key, 20);
	assert_string_equal(v[19].value, "v19");
	for (size_t i = 0; i < n; i++)
		free(v[i].value);
	free(v);

	int seen = 0;
	st = db_prepare(db, "SELECT k FROM t ORDER BY k", &e);
	assert_int_equal(db_each_row(db, st, stop_at_two, &seen, &e), 0);
	assert_int_equal(seen, 2);

	/* a failure while stepping is reported, and without e it is left to the caller */
	err_clear(&e);
	seen = 0;
	st = db_prepare(db, "SELECT abs(-9223372036854775807 - k) FROM t ORDER BY k", &e);
	assert_non_null(st);
	assert_int_equal(db_each_row(db, st, stop_at_two, &seen, &e), -1);
	assert_true(e.set);
	assert_int_equal(seen, 0);
	st = db_prepare(db, "SELECT abs(-9223372036854775807 - k) FROM t ORDER BY k", &e);
	assert_int_equal(db_each_row(db, st, stop_at_two, &seen, NULL), -1);
	db_close(db);
}

static char committed[] = "committed", rolled_back[] = "rolled back", nested[] = "nested";
static char blocked[] = "blocked", free_again[] = "free again";

static int insert_two(struct db *db, void *ud, struct err *e)
{
	(void)e;
	insert_run(db, ud, "a");
	insert_run(db, ud, "b");
	return 0;
}

static int insert_then_fail(struct db *db, void *ud, struct err *e)
{
	insert_run(db, ud, "doomed");
	return err_set(e, "the callback gave up");
}

static int insert_nested(struct db *db, void *ud, struct err *e)
{
	insert_run(db, "outer", "kept");
	assert_int_equal(db_tx(db, insert_then_fail, ud, e), -1);
	return db_tx(db, insert_two, ud, e);
}

static void test_tx_commits_and_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	struct err e = ERR_INIT;
	assert_int_equal(db_tx(db, insert_two, committed, &e), 0);
	assert_int_equal(db_run_count(db), 2);

	assert_int_equal(db_tx(db, insert_then_fail, rolled_back, &e), -1);
	assert_string_equal(err_msg(&e), "the callback gave up");
	assert_int_equal(db_run_count(db), 2);
	assert_int_not_equal(sqlite3_get_autocommit(db_handle(db)), 0);

	err_clear(&e);
	assert_int_equal(db_tx(db, insert_nested, nested, &e), 0);
	assert_int_equal(db_run_count(db), 5);
	db_close(db);

	db = open_ok(f->db_path);
	assert_int_equal(db_run_count(db), 5);
	db_close(db);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	raw_exec(f->db_path, "CREATE TABLE runs (id INTEGER PRIMARY KEY); PRAGMA user_version = 999");
	expect_refused(f->db_path, 100, DB_ETOONEW, "newer");
	assert_false(exists_in(f, "aiwb.db-wal"));
	assert_int_equal(raw_int(f->db_path, "PRAGMA user_version"), 999);

	char *wal_db = in_dir(f, "wal.db");
	db_close(open_ok(wal_db));
	int newer = db_schema_version() + 1;
	char *sql = xasprintf("PRAGMA user_version = %d", newer), *said = xasprintf("schema %d", newer);
	raw_exec(wal_db, sql);
	expect_refused(wal_db, 100, DB_ETOONEW, said);
	assert_int_equal(raw_int(wal_db, "PRAGMA user_version"), newer);
	free(sql);
	free(said);
	free(wal_db);
}

static void test_garbage_refused(void **state)
{
	struct fixture *f = *state;
	unsigned char noise[8192];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof noise; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		noise[i] = (unsigned char)x;
	}
	write_all(f->db_path, noise, sizeof noise);
	expect_refused(f->db_path, 100, DB_ECORRUPT, "not a SQLite database");
	assert_false(exists_in(f, "aiwb.db-wal"));
	assert_false(exists_in(f, "aiwb.db-shm"));

	const char *text = "# notes\nThis is not a database, just a text file someone saved here.\n";
	write_all(f->db_path, text, strlen(text));
	expect_refused(f->db_path, 100, DB_ECORRUPT, NULL);
	assert_false(exists_in(f, "aiwb.db-wal"));

	memcpy(noise, "SQLite format 3", 16);
	write_all(f->db_path, noise, sizeof noise);
	expect_refused(f->db_path, 100, DB_ECORRUPT, NULL);
}

static void test_truncated_refused(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	char prompt[64], output[400];
	memset(output, 'x', sizeof output - 1);
	output[sizeof output - 1] = '\0';
	for (int i = 0; i < 2000; i++) {
		snprintf(prompt, sizeof prompt, "prompt number %d about topic %d", i, i % 37);
		memcpy(output, prompt, strlen(prompt));
		insert_run(db, prompt, output);
	}
	db_close(db);
	struct stat sb;
	assert_int_equal(stat(f->db_path, &sb), 0);
	assert_true(sb.st_size > 500000);
	assert_int_equal(truncate(f->db_path, sb.st_size / 2), 0);
	expect_refused(f->db_path, 100, DB_ECORRUPT, "damaged");
}

static void test_foreign_database_refused(void **state)
{
	struct fixture *f = *state;
	raw_exec(f->db_path, "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup')");
	expect_refused(f->db_path, 100, DB_ECORRUPT, "did not create");
	assert_int_equal(raw_int(f->db_path, "SELECT count(*) FROM recipes"), 1);
}

static int64_t insert_blocked(struct db *db, struct err *e)
{
	struct db_run run = { .kind = "ask", .prompt = "blocked" };
	return db_run_insert(db, &run, e);
}

static void test_locked_refused(void **state)
{
	struct fixture *f = *state;
	raw_exec(f->db_path, "PRAGMA journal_mode = DELETE; CREATE TABLE t (x)");
	sqlite3 *holder;
	assert_int_equal(sqlite3_open(f->db_path, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (1)", NULL, NULL, NULL),
			 SQLITE_OK);
	expect_refused(f->db_path, 100, DB_ELOCKED, "locked");
	sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(holder);

	char *wal_db = in_dir(f, "wal.db");
	db_close(open_ok(wal_db));
	assert_int_equal(sqlite3_open(wal_db, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	/* opening an up-to-date WAL database takes no write lock; the first
	 * write waits for the holder and says it is locked */
	struct err e = ERR_INIT;
	struct db *db = open_ok(wal_db);
	assert_int_equal(insert_blocked(db, &e), -1);
	assert_non_null(strstr(err_msg(&e), "locked"));
	db_close(db);
	sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);

	db = open_ok(wal_db);
	assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	err_clear(&e);
	assert_int_equal(db_tx(db, insert_two, blocked, &e), -1);
	assert_non_null(strstr(err_msg(&e), "locked"));
	sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
	assert_int_equal(db_tx(db, insert_two, free_again, &e), 0);
	assert_int_equal(db_run_count(db), 2);
	db_close(db);
	sqlite3_close(holder);
	free(wal_db);
}

static void expect_eio(const char *path)
{
	struct err e = ERR_INIT;
	enum db_status st = DB_OK;
	assert_null(db_open(path, 100, &st, &e));
	assert_int_equal(st, DB_EIO);
	assert_non_null(strstr(err_msg(&e), path));
	assert_non_null(strstr(err_msg(&e), "AIWB_HOME"));
}

static void test_unusable_path(void **state)
{
	struct fixture *f = *state;
	char *plain = in_dir(f, "plain-file");
	write_all(plain, "x", 1);
	char *under_file = in_dir(f, "plain-file/aiwb.db");
	char *missing = in_dir(f, "missing/aiwb.db");
	expect_eio(under_file);
	expect_eio(missing);
	expect_eio(f->dir);
	assert_false(exists_in(f, "missing"));
	free(plain);
	free(under_file);
	free(missing);
}

/* Returns the failed check's line, 0 when all passed; runs unprivileged. */
static int readonly_checks(const char *dir)
{
	char *fresh = xasprintf("%s/fresh.db", dir);
	char *existing = xasprintf("%s/existing.db", dir);
	char *ro_file = xasprintf("%s/rw/ro-file.db", dir);
	struct err e = ERR_INIT;
	enum db_status st = DB_OK;
	int failed = 0;
	struct db *db = db_open(fresh, 100, &st, &e);
	if (db || st != DB_EIO || !strstr(err_msg(&e), fresh))
		failed = __LINE__;
	db_close(db);
	db = db_open(existing, 100, &st, &e);
	if (!failed && (db || st != DB_EIO || !strstr(err_msg(&e), existing)))
		failed = __LINE__;
	db_close(db);
	db = db_open(ro_file, 100, &st, &e);
	if (!failed && (db || st != DB_EIO || !strstr(err_msg(&e), "read-only")))
		failed = __LINE__;
	db_close(db);
	free(fresh);
	free(existing);
	free(ro_file);
	return failed;
}

/* Root ignores permission bits, so as root the checks run in a child that drops to nobody. */
static void test_readonly_directory(void **state)
{
	struct fixture *f = *state;
	char *ro = in_dir(f, "ro");
	char *rw = in_dir(f, "ro/rw");
	char *existing = in_dir(f, "ro/existing.db");
	char *ro_file = in_dir(f, "ro/rw/ro-file.db");
	assert_int_equal(mkdir(ro, 0700), 0);
	assert_int_equal(mkdir(rw, 0700), 0);
	db_close(open_ok(existing));
	db_close(open_ok(ro_file));
	assert_int_equal(chmod(ro_file, 0400), 0);
	assert_int_equal(chmod(ro, 0500), 0);

	int failed = 0, cannot_drop_root = 0;
	if (geteuid() != 0) {
		failed = readonly_checks(ro);
	} else if (chmod(f->dir, 0711) < 0 || chown(ro, NOBODY, NOBODY) < 0 || chown(rw, NOBODY, NOBODY) < 0
		   || chown(existing, NOBODY, NOBODY) < 0 || chown(ro_file, NOBODY, NOBODY) < 0) {
		cannot_drop_root = 1;
	} else {
		fflush(NULL);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			if (setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
				_exit(255);
			_exit(readonly_checks(ro) ? 1 : 0);
		}
		int wstatus;
		assert_int_equal(waitpid(pid, &wstatus, 0), pid);
		assert_true(WIFEXITED(wstatus));
		failed = WEXITSTATUS(wstatus);
		cannot_drop_root = failed == 255;
	}
	chmod(ro, 0700);
	free(ro);
	free(rw);
	free(existing);
	free(ro_file);
	if (cannot_drop_root) {
		print_message("# root cannot switch to uid %d here, so permission bits are not tested\n",
			      NOBODY);
		skip();
	}
	assert_int_equal(failed, 0);
}

static void test_wal_and_shm_private(void **state)
{
	struct fixture *f = *state;
	mode_t old = umask(0);
	struct db *db = open_ok(f->db_path);
	insert_run(db, "written", "while umask is 0");
	char *wal = in_dir(f, "aiwb.db-wal");
	char *shm = in_dir(f, "aiwb.db-shm");
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);
	db_close(db);
	umask(old);
	free(wal);
	free(shm);
}

static int64_t search(struct db *db, const char *match)
{
	struct err e = ERR_INIT;
	sqlite3_stmt *st = db_prepare(db, "SELECT rowid FROM runs_fts WHERE runs_fts MATCH ? ORDER BY rowid",
				      &e);
	assert_non_null(st);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return id;
}

static void test_fts_search(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	insert_run(db, "what do giraffes eat", "mostly acacia leaves");
	int64_t id = insert_run(db, "describe the zebra", "stripes confuse flies");
	assert_int_equal(search(db, "zebra"), id);
	assert_int_equal(search(db, "flies"), id);
	assert_int_equal(search(db, "output:acacia"), 1);
	assert_int_equal(search(db, "elephant"), 0);
	struct err e = ERR_INIT;
	assert_int_equal(db_exec(db, "UPDATE runs SET output = 'herds move together' WHERE id = 2", &e), 0);
	assert_int_equal(search(db, "flies"), 0);
	assert_int_equal(search(db, "herds"), id);
	assert_int_equal(db_exec(db, "DELETE FROM runs WHERE id = 2", &e), 0);
	assert_int_equal(search(db, "zebra"), 0);
	db_close(db);
}

#define VECGEN_DROP                                                                                                    \
	"DROP TABLE IF EXISTS kb_vectors_gen; DROP TRIGGER IF EXISTS kb_vectors_gen_vi;"                               \
	"DROP TRIGGER IF EXISTS kb_vectors_gen_vu; DROP TRIGGER IF EXISTS kb_vectors_gen_vd;"                          \
	"DROP TRIGGER IF EXISTS kb_vectors_gen_ci; DROP TRIGGER IF EXISTS kb_vectors_gen_cd;"

/* The job registry's tables (schemas 4 and 6) and the vector generation (7), dropped with the rest when a test
 * goes back to schema 1. */
#define JOBS_TABLES_DROP                                                                                               \
	"DROP TABLE IF EXISTS job_transitions; DROP TABLE IF EXISTS job_alerts; DROP TABLE IF EXISTS job_files;"       \
	"DROP TABLE IF EXISTS job_metric_last; DROP TABLE IF EXISTS job_metrics; DROP TABLE IF EXISTS jobs;" VECGEN_DROP

/* Schema 8's conversation columns, dropped when a test goes back to an older schema. */
#define RUNS_CONVERSATION_DROP                                                                                         \
	"DROP INDEX IF EXISTS runs_conversation; ALTER TABLE runs DROP COLUMN conversation;"                           \
	"ALTER TABLE runs DROP COLUMN turn;"

/* Schema 9's job columns, dropped when a test goes back to an older schema with the jobs table kept. */
#define JOBS_PARENT_DROP "DROP INDEX IF EXISTS jobs_parent; ALTER TABLE jobs DROP COLUMN info; ALTER TABLE jobs DROP COLUMN parent_id;"

/* Schema 8 to 9: jobs gain parent_id (NULL for the jobs there were) and info;
 * deleting a parent deletes its children. */
static void test_migration_job_parents(void **state)
{
	struct fixture *f = *state;
	db_close(open_ok(f->db_path));
	raw_exec(f->db_path, JOBS_PARENT_DROP
		 "INSERT INTO jobs(source, ext_id, status) VALUES ('slurm', '41', 'running');"
		 "PRAGMA user_version = 8");
	struct db *db = open_ok(f->db_path);
	sqlite3 *c = db_handle(db);
	assert_int_equal(query_int(c, "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(c, "SELECT count(*) FROM jobs WHERE parent_id IS NULL AND info IS NULL"), 1);
	struct err e = ERR_INIT;
	assert_int_equal(db_exec(db, "INSERT INTO jobs(source, ext_id, status, parent_id, info) SELECT 'slurm', '41_0',"
				     " 'running', id, '{\"partition\":\"debug\"}' FROM jobs WHERE ext_id = '41'", &e), 0);
	assert_int_equal(query_int(c, "SELECT count(*) FROM jobs WHERE parent_id IS NOT NULL"), 1);
	assert_int_equal(db_exec(db, "DELETE FROM jobs WHERE ext_id = '41'", &e), 0);
	assert_int_equal(query_int(c, "SELECT count(*) FROM jobs"), 0);
	db_close(db);
}

/* Schema 7 to 8: runs gain conversation and turn (NULL for the rows there
 * were); a first turn is its own conversation; the search index follows
 * prompt and output, not the new columns. */
static void test_migration_conversations(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	int64_t old = insert_run(db, "an old single question", "an old answer");
	db_close(db);
	raw_exec(f->db_path, RUNS_CONVERSATION_DROP
		 "DROP TRIGGER runs_fts_update;"
		 "CREATE TRIGGER runs_fts_update AFTER UPDATE ON runs BEGIN"
		 "	INSERT INTO runs_fts(runs_fts, rowid, prompt, output)"
		 "		VALUES ('delete', old.id, old.prompt, old.output);"
		 "	INSERT INTO runs_fts(rowid, prompt, output) VALUES (new.id, new.prompt, new.output);"
		 "END;"
		 JOBS_PARENT_DROP "PRAGMA user_version = 7");
	assert_int_equal(raw_int(f->db_path, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'turn'"), 0);
	db = open_ok(f->db_path);
	sqlite3 *c = db_handle(db);
	assert_int_equal(query_int(c, "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(c, "SELECT count(*) FROM runs WHERE conversation IS NULL AND turn IS NULL"), 1);
	assert_int_equal(query_int(c, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs_conversation'"), 1);
	assert_int_equal(search(db, "old"), old);

	struct err e = ERR_INIT;
	struct db_run run = { .kind = "chat", .model = "openai/gpt-4o-mini", .prompt = "first turn about herons",
			      .output = "herons wade", .turn = 1 };
	int64_t first = db_run_insert(db, &run, &e);
	assert_true(first > old);
	run = (struct db_run){ .kind = "chat", .model = "openai/gpt-4o", .prompt = "second turn about storks",
			       .output = "storks nest", .conversation = first, .turn = 2 };
	int64_t second = db_run_insert(db, &run, &e);
	assert_true(second > first);
	char *sql = xasprintf("SELECT count(*) FROM runs WHERE conversation = %lld", (long long)first);
	assert_int_equal(query_int(c, sql), 2);
	free(sql);
	sql = xasprintf("SELECT turn FROM runs WHERE id = %lld", (long long)second);
	assert_int_equal(query_int(c, sql), 2);
	free(sql);
	assert_int_equal(search(db, "herons"), first);
	assert_int_equal(search(db, "storks"), second);
	/* changing a conversation leaves the index as it was (no delete and re-insert) */
	assert_int_equal(db_exec(db, "UPDATE runs SET conversation = NULL, turn = NULL WHERE id = 1", &e), 0);
	assert_int_equal(search(db, "old"), old);
	assert_int_equal(query_int(c, "SELECT count(*) FROM runs WHERE conversation IS NULL"), 1);
	db_close(db);
}

/* Schema 5 to 6: each job known then gets its current status as its first transition. */
static void test_migration_seeds_transitions(void **state)
{
	struct fixture *f = *state;
	db_close(open_ok(f->db_path));
	raw_exec(f->db_path, "INSERT INTO jobs(source, ext_id, status, raw_state, submit_ms, start_ms, end_ms) VALUES"
			     " ('local', '1', 'completed', 'exit 0', 1000, 2000, 3000),"
			     " ('slurm', '2', 'queued', 'PENDING', 1500, NULL, NULL);"
			     "DROP TABLE job_transitions;" VECGEN_DROP RUNS_CONVERSATION_DROP JOBS_PARENT_DROP
			     "PRAGMA user_version = 5");
	struct db *db = open_ok(f->db_path);
	assert_int_equal(query_int(db_handle(db), "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(db_handle(db), "SELECT count(*) FROM job_transitions"), 2);
	assert_int_equal(query_int(db_handle(db), "SELECT time_ms FROM job_transitions t JOIN jobs j ON j.id = t.job_id"
						  " WHERE j.ext_id = '1' AND t.status = 'completed' AND t.raw_state = 'exit 0'"), 3000);
	assert_int_equal(query_int(db_handle(db), "SELECT time_ms FROM job_transitions t JOIN jobs j ON j.id = t.job_id"
						  " WHERE j.ext_id = '2' AND t.status = 'queued'"), 1500);
	db_close(db);
}

static void test_migrates_older_schema(void **state)
{
	struct fixture *f = *state;
	if (db_schema_version() < 3)
		skip();
	struct db *db = open_ok(f->db_path);
	insert_run(db, "old question about otters", "otters hold hands");
	db_close(db);
	/* back to schema 1: without the search index (2), the experiment tables (3) and the knowledge bases */
	raw_exec(f->db_path, "DROP TABLE runs_fts; DROP TRIGGER runs_fts_insert; DROP TRIGGER runs_fts_delete;"
		 "DROP TRIGGER runs_fts_update; DROP TABLE experiment_cases; DROP TABLE experiments;"
		 JOBS_TABLES_DROP
		 "DROP TABLE IF EXISTS kb_embed_cache; DROP TABLE IF EXISTS kb_vectors; DROP TABLE IF EXISTS kb_chunks;"
		 "DROP TABLE IF EXISTS kb_docs; DROP TABLE IF EXISTS kb_files; DROP TABLE IF EXISTS kb_roots;"
		 "DROP TABLE IF EXISTS kbs;" RUNS_CONVERSATION_DROP "PRAGMA user_version = 1");

	db = open_ok(f->db_path);
	assert_int_equal(query_int(db_handle(db), "PRAGMA user_version"), db_schema_version());
	assert_int_equal(search(db, "otters"), 1);
	assert_int_equal(query_int(db_handle(db), "SELECT count(*) FROM sqlite_schema WHERE name IN"
						  " ('experiments', 'experiment_cases')"), 2);
	db_close(db);
}

static void test_failed_migration_rolls_back(void **state)
{
	struct fixture *f = *state;
	if (db_schema_version() < 2)
		skip();
	struct db *db = open_ok(f->db_path);
	insert_run(db, "kept", "safe");
	db_close(db);
	raw_exec(f->db_path, "DROP TABLE runs_fts; DROP TRIGGER runs_fts_insert; DROP TRIGGER runs_fts_delete;"
		 "DROP TRIGGER runs_fts_update; CREATE TABLE runs_fts (x);" JOBS_TABLES_DROP RUNS_CONVERSATION_DROP
		 "PRAGMA user_version = 1");

	struct err e = ERR_INIT;
	enum db_status st = DB_OK;
	assert_null(db_open(f->db_path, 100, &st, &e));
	assert_int_equal(st, DB_EMIGRATE);
	assert_non_null(strstr(err_msg(&e), "schema 1 to 2"));
	assert_int_equal(raw_int(f->db_path, "PRAGMA user_version"), 1);
	assert_int_equal(raw_int(f->db_path, "SELECT count(*) FROM runs"), 1);
	assert_int_equal(raw_int(f->db_path, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"
					     " AND name LIKE 'runs_fts%'"), 0);
}

/* Schema 6 to 7: every change to a knowledge base's chunks or vectors bumps one generation. */
static void test_migration_vector_generation(void **state)
{
	struct fixture *f = *state;
	db_close(open_ok(f->db_path));
	raw_exec(f->db_path, VECGEN_DROP RUNS_CONVERSATION_DROP JOBS_PARENT_DROP "PRAGMA user_version = 6");
	struct db *db = open_ok(f->db_path);
	sqlite3 *h = db_handle(db);
	assert_int_equal(query_int(h, "PRAGMA user_version"), db_schema_version());
	assert_int_equal(query_int(h, "SELECT gen FROM kb_vectors_gen"), 0);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO kbs(id, name, settings, created_ms) VALUES (1, 'k', '{}', 0);"
				      "INSERT INTO kb_files(id, kb_id, path, size, mtime_ns, sha256, signature)"
				      " VALUES (1, 1, 'p', 0, 0, '', '');"
				      "INSERT INTO kb_docs(id, kb_id, file_id, name, path, title, format, bytes, mtime_ns, sha256,"
				      " meta, body) VALUES (1, 1, 1, 'p', 'p', 't', 'text', 0, 0, '', '{}', 'b');"
				      "INSERT INTO kb_chunks(id, doc_id, seq, start, end, heading, tokens)"
				      " VALUES (1, 1, 0, 0, 1, '', 1), (2, 1, 1, 0, 1, '', 1);",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(query_int(h, "SELECT gen FROM kb_vectors_gen"), 2);
	assert_int_equal(sqlite3_exec(h, "INSERT INTO kb_vectors VALUES (1, 1, x'0000803f');"
				      "INSERT OR REPLACE INTO kb_vectors VALUES (1, 1, x'00000040');"
				      "UPDATE kb_vectors SET dim = 1;", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(query_int(h, "SELECT gen FROM kb_vectors_gen"), 5);
	assert_int_equal(sqlite3_exec(h, "PRAGMA foreign_keys = ON; DELETE FROM kb_docs WHERE id = 1;", NULL, NULL, NULL),
			 SQLITE_OK);
	/* two chunks and the vector, deleted by the cascade */
	assert_int_equal(query_int(h, "SELECT gen FROM kb_vectors_gen"), 8);
	db_close(db);
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char *target = in_dir(f, "real.db");
	db_close(open_ok(target));
	assert_int_equal(symlink(target, f->db_path), 0);
	struct err e = ERR_INIT;
	enum db_status st = DB_OK;
	assert_null(db_open(f->db_path, 100, &st, &e));
	assert_int_equal(st, DB_EIO);
	assert_non_null(strstr(err_msg(&e), "symbolic link"));
	free(target);
}


static struct db *open_ro(const char *path)
{
	struct err e = ERR_INIT;
	enum db_status st = DB_EIO;
	struct db *db = db_open_readonly(path, 100, &st, &e);
	if (!db)
		fail_msg("db_open_readonly %s: %s", path, err_msg(&e));
	assert_int_equal(st, DB_OK);
	return db;
}

/* Reading never waits for a writer: history used to open for writing, so it
 * failed after the busy timeout while another process held a transaction. */
static void test_readonly_beside_a_writer(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	insert_run(db, "committed", "seen");
	db_close(db);
	sqlite3 *holder;
	assert_int_equal(sqlite3_open(f->db_path, &holder), SQLITE_OK);
	assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE; INSERT INTO runs (created_ms, kind) VALUES (1, 'ask')",
				      NULL, NULL, NULL), SQLITE_OK);
	struct err e = ERR_INIT;
	db = open_ro(f->db_path);
	assert_int_equal(db_schema(db), db_schema_version());
	assert_int_equal(db_run_count(db), 1);
	assert_int_equal(search(db, "committed"), 1);
	/* and it cannot write, even by mistake */
	err_clear(&e);
	assert_int_equal(db_exec(db, "DELETE FROM runs", &e), -1);
	assert_int_equal(db_make_room(db), -1);
	db_close(db);
	sqlite3_exec(holder, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(holder);
	assert_int_equal(raw_int(f->db_path, "SELECT count(*) FROM runs"), 2);
}

/* An older schema is read as it is, never migrated by a reader; what needs a
 * newer table says so in one sentence. Newer, foreign and missing files are
 * refused as db_open refuses them, and nothing is created. */
static void test_readonly_schemas(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	insert_run(db, "old question", "old answer");
	db_close(db);
	raw_exec(f->db_path, "DROP TABLE runs_fts; DROP TRIGGER runs_fts_insert; DROP TRIGGER runs_fts_delete;"
		 "DROP TRIGGER runs_fts_update; DROP TABLE experiment_cases; DROP TABLE experiments;"
		 "PRAGMA user_version = 1");
	size_t before_len, after_len;
	char *before = read_all(f->db_path, &before_len);
	db = open_ro(f->db_path);
	assert_int_equal(db_schema(db), 1);
	assert_int_equal(db_run_count(db), 1);
	struct err e = ERR_INIT;
	assert_null(db_prepare(db, "SELECT rowid FROM runs_fts", &e));
	assert_non_null(strstr(err_msg(&e), f->db_path));
	assert_non_null(strstr(err_msg(&e), "older aiwb (schema 1"));
	assert_non_null(strstr(err_msg(&e), "aiwb ask"));
	db_close(db);
	char *after = read_all(f->db_path, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(before);
	free(after);

	raw_exec(f->db_path, "PRAGMA user_version = 99");
	enum db_status st = DB_OK;
	err_clear(&e);
	assert_null(db_open_readonly(f->db_path, 100, &st, &e));
	assert_int_equal(st, DB_ETOONEW);
	assert_non_null(strstr(err_msg(&e), "newer aiwb"));

	char *foreign = in_dir(f, "foreign.db");
	raw_exec(foreign, "CREATE TABLE t (x)");
	err_clear(&e);
	assert_null(db_open_readonly(foreign, 100, &st, &e));
	assert_int_equal(st, DB_ECORRUPT);
	char *missing = in_dir(f, "missing.db");
	err_clear(&e);
	assert_null(db_open_readonly(missing, 100, &st, &e));
	assert_int_equal(st, DB_EIO);
	assert_non_null(strstr(err_msg(&e), "cannot read"));
	assert_false(exists(missing));
	free(foreign);
	free(missing);
}

/* A full disk is named as such (SQLITE_FULL, here from max_page_count). */
static void test_disk_full_named(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	int64_t pages = query_int(db_handle(db), "PRAGMA page_count");
	char *sql = xasprintf("PRAGMA max_page_count = %lld", (long long)pages);
	sqlite3_exec(db_handle(db), sql, NULL, NULL, NULL);
	free(sql);
	char big[8192];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	struct err e = ERR_INIT;
	struct db_run run = { .kind = "ask", .prompt = big, .output = big };
	assert_int_equal(db_run_insert(db, &run, &e), -1);
	assert_non_null(strstr(err_msg(&e), "the disk is full"));
	assert_non_null(strstr(err_msg(&e), f->db_path));
	db_close(db);
}

static void test_memory_database(void **state)
{
	(void)state;
	struct db *db = open_ok(":memory:");
	insert_run(db, "in memory", "gone at close");
	assert_int_equal(db_run_count(db), 1);
	db_close(db);
	assert_false(exists(":memory:"));
}

static void test_stored_text_is_redacted(void **state)
{
	struct fixture *f = *state;
	struct db *db = open_ok(f->db_path);
	secret_add("sk-db-canary-0123456789");
	struct db_run run = { .kind = "ask", .model = "openai/x", .prompt = "key sk-db-canary-0123456789 here",
			      .output = "Echo: Bearer sk-db-canary-0123456789.",
			      .metrics = "{\"request_id\":\"Bearer sk-db-canary-0123456789\"}" };
	struct err e = ERR_INIT;
	int64_t id = db_run_insert(db, &run, &e);
	assert_true(id > 0);
	assert_int_equal(db_meta_set(db, "note", "sk-db-canary-0123456789", &e), 0);
	sqlite3_stmt *st = db_prepare(db, "SELECT prompt, output, metrics FROM runs WHERE id = ?", &e);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "key [redacted] here");
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "Echo: Bearer [redacted].");
	assert_string_equal((const char *)sqlite3_column_text(st, 2), "{\"request_id\":\"Bearer [redacted]\"}");
	sqlite3_finalize(st);
	char *note = db_meta_get(db, "note");
	assert_string_equal(note, "[redacted]");
	free(note);
	db_close(db);
	size_t len;
	char *raw = read_all(f->db_path, &len);
	assert_null(memmem(raw, len, "sk-db-canary", 12));
	free(raw);
	secret_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insert_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_commits_and_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unusable_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_and_shm_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fts_search, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_seeds_transitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_conversations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_job_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_older_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_vector_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stored_text_is_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_beside_a_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_schemas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full_named, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
