/* jobs/logmerge: StdOut and StdErr of a job into one log, whole lines only,
 * in the order they were seen call by call; a last line without its newline
 * waits until the job ended; a replaced source is read again; a dest that is
 * gone is written again from the starts; a missing source is skipped; a
 * merge whose transaction was rolled back doubles nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "jobs/logmerge.h"
#include "jobs/registry.h"
#include "testdb.h"

static void write_text(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	size_t len;
	char *s = path_read_file(path, &len, NULL);
	return s ? s : xstrdup("(none)");
}

static void assert_file(const char *path, const char *want)
{
	char *got = slurp(path);
	assert_string_equal(got, want);
	free(got);
}

/* A job row (job_files rows belong to one). */
static int64_t add_job(struct db *db, const char *id)
{
	struct job j = {.source = xstrdup("slurm"), .ext_id = xstrdup(id), .status = JOB_RUNNING};
	int64_t row = jobreg_insert(db, &j, NULL);
	assert_true(row > 0);
	job_clear(&j);
	return row;
}

static void test_merge_two_logs(void **state)
{
	struct testdb *t = *state;
	int64_t a = add_job(t->db, "7"), b = add_job(t->db, "8"), c = add_job(t->db, "9");
	char *out = path_join(t->dir, "job.out"), *err = path_join(t->dir, "job.err"),
	     *dest = xasprintf("%s/logs/sub/7.log", t->dir);
	const char *const src[2] = {out, err};
	struct err e = ERR_INIT;

	/* nothing there yet: nothing written, no file made */
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 0, &e), 0);
	assert_false(path_exists(dest));

	write_text(out, "w", "epoch 1\nepoch 2\nepo");
	write_text(err, "w", "{\"loss\": 0.5}\nwarn");
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 0, &e), 16 + 14);
	assert_file(dest, "epoch 1\nepoch 2\n{\"loss\": 0.5}\n");
	struct stat st;
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *dir = xasprintf("%s/logs/sub", t->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	free(dir);

	/* nothing new: nothing written twice */
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 0, &e), 0);

	/* lines finished, new lines: stderr's line seen this call comes after stdout's */
	write_text(err, "a", "ing: slow\n");
	write_text(out, "a", "ch 3\n");
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 0, &e), 8 + 14);
	assert_file(dest, "epoch 1\nepoch 2\n{\"loss\": 0.5}\nepoch 3\nwarning: slow\n");

	/* the job ended: a last line without its newline counts, ended with one */
	write_text(out, "a", "done");
	write_text(err, "a", "Traceback");
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 1, &e), 5 + 10);
	assert_file(dest, "epoch 1\nepoch 2\n{\"loss\": 0.5}\nepoch 3\nwarning: slow\ndone\nTraceback\n");
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 1, &e), 0);

	/* another job's offsets are its own */
	char *dest2 = path_join(t->dir, "8.log");
	assert_int_equal(job_log_merge(t->db, b, src, 1, dest2, 1, &e), 29);
	assert_file(dest2, "epoch 1\nepoch 2\nepoch 3\ndone\n");

	/* a replaced (shorter) source is read from its start */
	write_text(err, "w", "again\n");
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 0, &e), 6);
	assert_file(dest, "epoch 1\nepoch 2\n{\"loss\": 0.5}\nepoch 3\nwarning: slow\ndone\nTraceback\nagain\n");

	/* the merged log removed: written again from the starts */
	assert_int_equal(unlink(dest), 0);
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 1, &e), 29 + 6);
	assert_file(dest, "epoch 1\nepoch 2\nepoch 3\ndone\nagain\n");

	/* a source that is gone is skipped, the other still read */
	assert_int_equal(unlink(out), 0);
	write_text(err, "a", "more\n");
	assert_int_equal(job_log_merge(t->db, a, src, 2, dest, 0, &e), 5);
	assert_file(dest, "epoch 1\nepoch 2\nepoch 3\ndone\nagain\nmore\n");

	/* a dest that cannot be written: -1 with a reason naming it */
	const char *const one[1] = {err};
	char *bad = xasprintf("%s/job.err/x.log", t->dir);
	assert_int_equal(unlink(dest), 0);
	assert_int_equal(job_log_merge(t->db, c, one, 1, bad, 0, &e), -1);
	assert_true(e.set);
	free(bad);
	free(dest2);
	free(out);
	free(err);
	free(dest);
}

/* A line longer than one read is passed on in pieces, never held back forever. */
/* a merge inside a transaction that is rolled back: the next one writes those lines once */
static void test_rolled_back(void **state)
{
	struct testdb *t = *state;
	int64_t a = add_job(t->db, "7");
	char *out = path_join(t->dir, "job.out"), *dest = path_join(t->dir, "7.log");
	const char *const src[1] = {out};
	struct err e = ERR_INIT;
	write_text(out, "w", "one\n");
	assert_int_equal(job_log_merge(t->db, a, src, 1, dest, 0, &e), 4);
	write_text(out, "a", "two\n");
	assert_int_equal(jobreg_begin(t->db, &e), 0);
	assert_int_equal(job_log_merge(t->db, a, src, 1, dest, 0, &e), 4);
	assert_int_equal(db_exec(t->db, "ROLLBACK", &e), 0);
	assert_file(dest, "one\ntwo\n");
	write_text(out, "a", "three\n");
	assert_int_equal(job_log_merge(t->db, a, src, 1, dest, 0, &e), 10);
	assert_file(dest, "one\ntwo\nthree\n");
	free(out);
	free(dest);
}

static void test_long_line(void **state)
{
	struct testdb *t = *state;
	int64_t a = add_job(t->db, "3");
	char *out = path_join(t->dir, "long.out"), *dest = path_join(t->dir, "long.log");
	size_t n = (size_t)LOCAL_READ_MAX + 100;
	char *big = xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	write_text(out, "w", big);
	const char *const src[1] = {out};
	struct err e = ERR_INIT;
	assert_int_equal(job_log_merge(t->db, a, src, 1, dest, 0, &e), (int64_t)LOCAL_READ_MAX);
	assert_int_equal(job_log_merge(t->db, a, src, 1, dest, 0, &e), 0); /* the rest waits for its newline */
	write_text(out, "a", "\n");
	assert_int_equal(job_log_merge(t->db, a, src, 1, dest, 0, &e), 101);
	struct stat st;
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_size, (off_t)n + 1);
	free(big);
	free(out);
	free(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_merge_two_logs, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_rolled_back, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_long_line, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
