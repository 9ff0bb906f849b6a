#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "workspace.h"

static char tmpdir[] = "/tmp/aiwb-workspace-test-XXXXXX";
static char *share, *data_home;

static const struct {
	const char *path, *text;
	mode_t mode;
} share_files[] = {
	{ "examples/docs/a.md", "# Doc A\nalpha\n", 0644 },
	{ "examples/docs/README.md", "about the docs\n", 0644 },
	{ "examples/docs/deeper/b.md", "# Doc B\n", 0644 },
	{ "examples/drift/x.csv", "a,b\n1,2\n", 0644 },
	{ "examples/jobs/t.py", "print('hi')\n", 0755 },
};
#define NSHARE_FILES (sizeof share_files / sizeof *share_files)

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(path_mkdirs(dir, 0755, NULL), 0);
	free(dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_text(const char *path)
{
	struct err e = ERR_INIT;
	char *s = path_read_file(path, NULL, &e);
	if (!s)
		fail_msg("%s", err_msg(&e));
	return s;
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		fail_msg("missing: %s", path);
	return st.st_mode & 07777;
}

static char *in_home(const char *rel)
{
	return path_join(data_home, rel);
}

static void make_share(void)
{
	for (size_t i = 0; i < NSHARE_FILES; i++) {
		char *p = path_join(share, share_files[i].path);
		write_file(p, share_files[i].text, share_files[i].mode);
		free(p);
	}
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	share = path_join(tmpdir, "share");
	data_home = path_join(tmpdir, "home");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = test_rmtree(tmpdir);
	free(share);
	free(data_home);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	test_rmtree(share);
	test_rmtree(data_home);
	return path_mkdirs(data_home, 0700, NULL) == 0 && path_mkdirs(share, 0755, NULL) == 0 ? 0 : -1;
}

static int seed(void)
{
	struct err e = ERR_INIT;
	int n = workspace_seed_demo(share, data_home, &e);
	if (n < 0)
		fail_msg("seed failed: %s", err_msg(&e));
	assert_false(e.set);
	return n;
}

static void test_seed_copies_tree_with_private_modes(void **state)
{
	(void)state;
	make_share();
	mode_t old = umask(0); /* modes must come from the seeder, not the umask */
	int n = seed();
	umask(old);
	assert_int_equal(n, (int)NSHARE_FILES);
	for (size_t i = 0; i < NSHARE_FILES; i++) {
		char *dst = in_home(share_files[i].path);
		char *text = read_text(dst);
		assert_string_equal(text, share_files[i].text);
		assert_int_equal(mode_of(dst), 0600);
		free(text);
		free(dst);
	}
	static const char *const dirs[] = { "examples", "examples/docs", "examples/docs/deeper", "examples/drift",
					    "examples/jobs" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		char *d = in_home(dirs[i]);
		assert_true(path_is_dir(d));
		assert_int_equal(mode_of(d), 0700);
		free(d);
	}
}

static void test_seed_into_missing_home_creates_it(void **state)
{
	(void)state;
	make_share();
	test_rmtree(data_home);
	assert_false(path_exists(data_home));
	assert_int_equal(seed(), (int)NSHARE_FILES);
	char *a = in_home("examples/docs/a.md");
	assert_true(path_exists(a));
	free(a);
}

static void test_second_seed_copies_nothing(void **state)
{
	(void)state;
	make_share();
	assert_int_equal(seed(), (int)NSHARE_FILES);
	assert_int_equal(seed(), 0);
	char *a = in_home("examples/docs/a.md");
	char *text = read_text(a);
	assert_string_equal(text, share_files[0].text);
	free(text);
	free(a);
}

static void test_user_changes_are_kept(void **state)
{
	(void)state;
	make_share();
	assert_int_equal(seed(), (int)NSHARE_FILES);
	char *a = in_home("examples/docs/a.md");
	write_file(a, "my own notes\n", 0600);
	char *py = in_home("examples/jobs/t.py");
	assert_int_equal(unlink(py), 0);

	/* The share changed upstream too: the user's copy still wins. */
	char *src = path_join(share, "examples/docs/a.md");
	write_file(src, "# Doc A v2\n", 0644);

	assert_int_equal(seed(), 1); /* only the deleted file comes back */
	char *text = read_text(a);
	assert_string_equal(text, "my own notes\n");
	free(text);
	text = read_text(py);
	assert_string_equal(text, "print('hi')\n");
	free(text);
	free(src);
	free(py);
	free(a);
}

static void test_missing_examples_dir(void **state)
{
	(void)state;
	/* share exists but has no examples/ */
	assert_int_equal(seed(), 0);
	char *ex = in_home("examples");
	assert_false(path_exists(ex));
	free(ex);
	/* share dir itself missing */
	struct err e = ERR_INIT;
	char *nowhere = path_join(tmpdir, "no-share");
	assert_int_equal(workspace_seed_demo(nowhere, data_home, &e), 0);
	assert_false(e.set);
	free(nowhere);
}

static void test_seed_into_unusable_home_fails(void **state)
{
	(void)state;
	make_share();
	char *blocker = path_join(tmpdir, "blocker");
	write_file(blocker, "x", 0600);
	char *bad_home = path_join(blocker, "home");
	struct err e = ERR_INIT;
	assert_int_equal(workspace_seed_demo(share, bad_home, &e), -1);
	assert_true(e.set);
	assert_contains(err_msg(&e), blocker);
	unlink(blocker);
	free(bad_home);
	free(blocker);
}

static void test_demo_count_by_extension(void **state)
{
	(void)state;
	struct workspace_demo d;
	memset(&d, 0xff, sizeof d);
	workspace_demo_count(data_home, &d); /* nothing seeded yet */
	assert_int_equal(d.docs, 0);
	assert_int_equal(d.datasets, 0);
	assert_int_equal(d.scripts, 0);

	make_share();
	seed();
	static const char *const extra[] = {
		"examples/docs/second.md", "examples/docs/notes.txt", "examples/docs/.hidden.md",
		"examples/drift/y.csv",    "examples/drift/z.csv",    "examples/drift/README.md",
		"examples/drift/x.csv.md", "examples/jobs/README.md", "examples/jobs/u.py",
		"examples/jobs/v.py",      "examples/jobs/w.pyc",     "examples/jobs/t.sh",
	};
	for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
		char *p = in_home(extra[i]);
		write_file(p, "x\n", 0600);
		free(p);
	}
	workspace_demo_count(data_home, &d);
	assert_int_equal(d.docs, 2);     /* a.md, second.md: not README.md, .txt, hidden, deeper/ */
	assert_int_equal(d.datasets, 3); /* x.csv, y.csv, z.csv */
	assert_int_equal(d.scripts, 3);  /* t.py, u.py, v.py */
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seed_copies_tree_with_private_modes),
		T(test_seed_into_missing_home_creates_it),
		T(test_second_seed_copies_nothing),
		T(test_user_changes_are_kept),
		T(test_missing_examples_dir),
		T(test_seed_into_unusable_home_fails),
		T(test_demo_count_by_extension),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
