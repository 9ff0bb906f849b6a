/* jobs/ingest: a job's log (metric rules, a last line without a newline only
 * once the job ended), its metrics.csv, and the bounded, link-refusing file
 * reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/ingest.h"
#include "jobs/registry.h"
#include "testdb.h"

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void append_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int count_points(void *ud, const struct jobreg_point *p)
{
	(void)p;
	(*(int *)ud)++;
	return 0;
}

static int ingest(struct db *db, struct job *j, int final)
{
	struct jobreg_inserter w = {.db = db};
	int n = job_ingest_files(&w, j, 1, final);
	jobreg_inserter_done(&w);
	return n;
}

static void test_log_and_csv(void **state)
{
	struct testdb *t = *state;
	char *dir = path_join(t->dir, "job"), *log = path_join(dir, "output.log"), *csv = path_join(dir, "metrics.csv");
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(log, "loss=0.5\nloss=0.25\nloss=0.125");
	write_text(csv, "step,acc\n1,0.5\n2,0.75\n");
	struct job j = {0};
	j.source = xstrdup("local");
	j.status = JOB_RUNNING;
	j.log_path = xstrdup(log);
	j.dir = xstrdup(dir);
	j.rules = xstrdup("loss=loss=([0-9.]+)");
	assert_true(jobreg_insert(t->db, &j, NULL) > 0);

	/* two log lines, two CSV rows (acc twice); the unfinished line waits */
	assert_int_equal(ingest(t->db, &j, 0), 4);
	assert_int_equal(j.log_offset, (int64_t)strlen("loss=0.5\nloss=0.25\n"));
	assert_true(j.activity_ms > 0);
	/* nothing new: the CSV file is unchanged and the log line still open */
	assert_int_equal(ingest(t->db, &j, 0), 0);
	/* the job ended: its last line counts */
	assert_int_equal(ingest(t->db, &j, 1), 1);
	assert_int_equal(j.log_offset, (int64_t)strlen("loss=0.5\nloss=0.25\nloss=0.125"));
	append_text(csv, "3,0.875\n");
	assert_true(ingest(t->db, &j, 1) >= 1);
	int n = 0;
	struct err e = ERR_INIT;
	assert_int_equal(jobreg_points(t->db, j.id, 0, "acc", count_points, &n, &e), 0);
	assert_int_equal(n, 3); /* a rewritten CSV file is read again whole, not twice */
	n = 0;
	assert_int_equal(jobreg_points(t->db, j.id, 0, "loss", count_points, &n, &e), 0);
	assert_int_equal(n, 3);
	job_clear(&j);
	free(dir);
	free(log);
	free(csv);
}

static void test_file_read(void **state)
{
	struct testdb *t = *state;
	char *file = path_join(t->dir, "f.txt"), *link = path_join(t->dir, "link");
	write_text(file, "0123456789");
	size_t len = 0;
	struct stat st;
	char *data = job_file_read(file, 4, &len, &st);
	assert_non_null(data);
	assert_int_equal(len, 6);
	assert_string_equal(data, "456789");
	assert_int_equal(st.st_size, 10);
	free(data);
	assert_null(job_file_read(file, 11, &len, &st)); /* past the end: the file was replaced */
	assert_int_equal(symlink(file, link), 0);
	assert_null(job_file_read(link, 0, &len, &st));
	char *missing = path_join(t->dir, "missing");
	errno = 0;
	assert_null(job_file_read(missing, 0, &len, &st));
	assert_int_equal(errno, ENOENT);
	free(missing);
	free(file);
	free(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_and_csv, testdb_setup, testdb_teardown),
		cmocka_unit_test_setup_teardown(test_file_read, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
