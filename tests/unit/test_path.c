#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/err.h"
#include "base/path.h"
#include "base/xmalloc.h"

static char tmpdir[] = "/tmp/aiwb-path-test-XXXXXX";
static char *home; /* tmpdir/home, the HOME of every test */

static const char *const env_vars[] = { "AIWB_HOME", "AIWB_CONFIG", "AIWB_SHARE", "XDG_DATA_HOME",
					"XDG_CONFIG_HOME" };

static char *in_tmp(const char *name)
{
	return path_join(tmpdir, name);
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	home = in_tmp("home");
	return mkdir(home, 0700);
}

static int group_teardown(void **state)
{
	(void)state;
	int rc = test_rmtree(tmpdir);
	free(home);
	path_reset();
	return rc;
}

/* Every test starts from a clean environment with HOME in the temp dir. */
static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof env_vars / sizeof *env_vars; i++)
		unsetenv(env_vars[i]);
	setenv("HOME", home, 1);
	path_reset();
	return 0;
}

static void expect_data_home(const char *want)
{
	path_reset();
	assert_string_equal(path_data_home(), want);
}

static void test_data_home_precedence(void **state)
{
	(void)state;
	char *want = xasprintf("%s/.local/share/aiwb", home);
	expect_data_home(want);
	free(want);

	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	expect_data_home("/xdg/data/aiwb");

	setenv("AIWB_HOME", "/aiwb/home", 1);
	expect_data_home("/aiwb/home"); /* AIWB_HOME beats XDG_DATA_HOME */

	setenv("AIWB_HOME", "", 1); /* empty is unset */
	expect_data_home("/xdg/data/aiwb");

	unsetenv("AIWB_HOME");
	setenv("XDG_DATA_HOME", "relative/data", 1); /* ignored: not absolute */
	want = xasprintf("%s/.local/share/aiwb", home);
	expect_data_home(want);
	free(want);

	setenv("XDG_DATA_HOME", "", 1);
	want = xasprintf("%s/.local/share/aiwb", home);
	expect_data_home(want);
	free(want);
}

static void test_data_home_is_cached_until_reset(void **state)
{
	(void)state;
	setenv("AIWB_HOME", "/first", 1);
	path_reset();
	const char *first = path_data_home();
	assert_string_equal(first, "/first");
	setenv("AIWB_HOME", "/second", 1);
	assert_string_equal(path_data_home(), "/first");
	assert_ptr_equal(path_data_home(), first);
	path_reset();
	assert_string_equal(path_data_home(), "/second");
}

static void test_config_file_precedence(void **state)
{
	(void)state;
	char *want = xasprintf("%s/.config/aiwb/config.json", home);
	char *want_dir = xasprintf("%s/.config/aiwb", home);
	path_reset();
	assert_string_equal(path_config_file(), want);
	assert_string_equal(path_config_dir(), want_dir);

	setenv("XDG_CONFIG_HOME", "/xdg/config", 1);
	path_reset();
	assert_string_equal(path_config_file(), "/xdg/config/aiwb/config.json");
	assert_string_equal(path_config_dir(), "/xdg/config/aiwb");

	setenv("AIWB_CONFIG", "/etc/custom.json", 1);
	path_reset();
	assert_string_equal(path_config_file(), "/etc/custom.json");

	setenv("AIWB_CONFIG", "", 1);
	path_reset();
	assert_string_equal(path_config_file(), "/xdg/config/aiwb/config.json");

	unsetenv("AIWB_CONFIG");
	setenv("XDG_CONFIG_HOME", "not/absolute", 1);
	path_reset();
	assert_string_equal(path_config_file(), want);
	assert_string_equal(path_config_dir(), want_dir);

	/* AIWB_HOME does not move the config file. */
	setenv("AIWB_HOME", "/aiwb/home", 1);
	path_reset();
	assert_string_equal(path_config_file(), want);
	free(want);
	free(want_dir);
}

static void test_share_dir_from_env(void **state)
{
	(void)state;
	setenv("AIWB_SHARE", "/opt/aiwb-share", 1);
	path_reset();
	assert_string_equal(path_share_dir(), "/opt/aiwb-share");
}

static void test_join_trims_trailing_slashes(void **state)
{
	(void)state;
	static const struct {
		const char *dir, *name, *want;
	} cases[] = {
		{ "/a/b", "c", "/a/b/c" },
		{ "/a/b/", "c", "/a/b/c" },
		{ "/a/b///", "c", "/a/b/c" },
		{ "rel", "x.json", "rel/x.json" },
		{ "rel/", "sub/x", "rel/sub/x" },
		{ ".", "x", "./x" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *p = path_join(cases[i].dir, cases[i].name);
		assert_string_equal(p, cases[i].want);
		free(p);
	}
}

static void expect_join(const char *dir, const char *name, const char *want)
{
	char got[64];
	char *p = path_join(dir, name);
	snprintf(got, sizeof got, "%s", p);
	free(p);
	if (strcmp(got, want) != 0)
		fail_msg("path_join(\"%s\", \"%s\") = \"%s\", expected \"%s\"", dir, name, got, want);
}

static void test_join_onto_root(void **state)
{
	(void)state;
	/* HOME unset falls back to "/", so this case is reachable. */
	expect_join("/", "x", "/x");
	expect_join("//", "x", "/x");
}

static void test_mkdirs_nested_mode(void **state)
{
	(void)state;
	mode_t old = umask(0);
	char *top = in_tmp("mk");
	char *deep = in_tmp("mk/a/b/c");
	struct err e = ERR_INIT;
	assert_int_equal(path_mkdirs(deep, 0700, &e), 0);
	assert_false(e.set);
	assert_true(path_is_dir(deep));
	const char *levels[] = { "mk", "mk/a", "mk/a/b", "mk/a/b/c" };
	for (size_t i = 0; i < 4; i++) {
		char *p = in_tmp(levels[i]);
		assert_int_equal(mode_of(p), 0700);
		free(p);
	}
	/* Existing path: success, nothing changes. */
	assert_int_equal(path_mkdirs(deep, 0700, &e), 0);
	/* Trailing slash and a mode other than 0700 for new dirs. */
	char *more = in_tmp("mk/a/b/c/d/");
	assert_int_equal(path_mkdirs(more, 0750, &e), 0);
	char *d = in_tmp("mk/a/b/c/d");
	assert_true(path_is_dir(d));
	assert_int_equal(mode_of(d), 0750);
	assert_int_equal(mode_of(deep), 0700);
	umask(old);
	free(d);
	free(more);
	free(deep);
	free(top);
}

static void test_mkdirs_through_regular_file_fails(void **state)
{
	(void)state;
	char *file = in_tmp("plainfile");
	write_text(file, "x");
	char *under = in_tmp("plainfile/sub/dir");
	struct err e = ERR_INIT;
	assert_int_equal(path_mkdirs(under, 0700, &e), -1);
	assert_true(e.set);
	assert_contains(err_msg(&e), file);
	assert_contains(err_msg(&e), "not a directory");
	/* The target itself is a regular file. */
	err_clear(&e);
	assert_int_equal(path_mkdirs(file, 0700, &e), -1);
	assert_contains(err_msg(&e), file);
	/* NULL err is allowed. */
	assert_int_equal(path_mkdirs(under, 0700, NULL), -1);
	free(under);
	free(file);
}

static void test_ensure_data_home_creates_once(void **state)
{
	(void)state;
	mode_t old = umask(0);
	char *dh = in_tmp("data/nested/home");
	setenv("AIWB_HOME", dh, 1);
	path_reset();
	struct err e = ERR_INIT;
	int created = -1;
	assert_int_equal(path_ensure_data_home(&created, &e), 0);
	assert_int_equal(created, 1);
	assert_true(path_is_dir(dh));
	assert_int_equal(mode_of(dh), 0700);

	created = -1;
	assert_int_equal(path_ensure_data_home(&created, &e), 0);
	assert_int_equal(created, 0);
	assert_false(e.set);
	/* created may be NULL */
	assert_int_equal(path_ensure_data_home(NULL, &e), 0);
	umask(old);
	free(dh);
}

static void test_ensure_data_home_is_a_file(void **state)
{
	(void)state;
	char *file = in_tmp("home-is-a-file");
	write_text(file, "x");
	setenv("AIWB_HOME", file, 1);
	path_reset();
	struct err e = ERR_INIT;
	int created = -1;
	assert_int_equal(path_ensure_data_home(&created, &e), -1);
	assert_int_equal(created, 0);
	assert_contains(err_msg(&e), file);
	assert_contains(err_msg(&e), "not a directory");
	assert_contains(err_msg(&e), "AIWB_HOME");
	free(file);
}

static void test_ensure_data_home_under_regular_file(void **state)
{
	(void)state;
	char file[4096], dh[4200];
	snprintf(file, sizeof file, "%s/blocker", tmpdir);
	snprintf(dh, sizeof dh, "%s/aiwb", file);
	write_text(file, "x");
	setenv("AIWB_HOME", dh, 1);
	path_reset();
	struct err e = ERR_INIT;
	int created = -1;
	assert_int_equal(path_ensure_data_home(&created, &e), -1);
	assert_true(e.set);
	assert_false(path_exists(dh));
	assert_contains(err_msg(&e), dh);
	assert_contains(err_msg(&e), "AIWB_HOME");
	/* The sentence must say why: a component is not a directory (not a stale errno text). */
	assert_contains(err_msg(&e), "not a directory");
}

static void test_read_file(void **state)
{
	(void)state;
	struct err e = ERR_INIT;
	size_t len = 99;

	char *missing = in_tmp("no-such-file");
	assert_null(path_read_file(missing, &len, &e));
	assert_true(e.set);
	assert_contains(err_msg(&e), missing);
	assert_contains(err_msg(&e), "No such file");

	err_clear(&e);
	assert_null(path_read_file(tmpdir, &len, &e));
	assert_contains(err_msg(&e), tmpdir);
	assert_contains(err_msg(&e), "not a regular file");

	char *file = in_tmp("data.bin");
	static const char bytes[] = "line1\nline2\0after-nul";
	FILE *f = fopen(file, "wb");
	assert_non_null(f);
	fwrite(bytes, 1, sizeof bytes - 1, f);
	fclose(f);
	err_clear(&e);
	char *got = path_read_file(file, &len, &e);
	assert_non_null(got);
	assert_false(e.set);
	assert_int_equal(len, sizeof bytes - 1);
	assert_memory_equal(got, bytes, sizeof bytes - 1);
	assert_int_equal(got[len], '\0');
	free(got);

	/* len may be NULL; an empty file is "" not NULL. */
	char *empty = in_tmp("empty");
	write_text(empty, "");
	got = path_read_file(empty, NULL, &e);
	assert_non_null(got);
	assert_string_equal(got, "");
	free(got);

	/* Larger than one read chunk. */
	char *big = in_tmp("big");
	f = fopen(big, "wb");
	assert_non_null(f);
	for (int i = 0; i < 200000; i++)
		fputc('a' + i % 26, f);
	fclose(f);
	got = path_read_file(big, &len, &e);
	assert_non_null(got);
	assert_int_equal(len, 200000);
	assert_int_equal(got[199999], 'a' + 199999 % 26);
	assert_int_equal(got[200000], '\0');
	free(got);

	free(big);
	free(empty);
	free(file);
	free(missing);
}

static void test_write_all_whole_and_failures(void **state)
{
	(void)state;
	enum { BIG = 1 << 20 }; /* more than a pipe holds: the writer waits for the reader */
	char *data = malloc(BIG);
	assert_non_null(data);
	for (size_t i = 0; i < BIG; i++)
		data[i] = (char)(i * 31 + 7);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		size_t got = 0;
		char b[4096];
		ssize_t n;
		int same = 1;
		while ((n = read(p[0], b, sizeof b)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				same &= b[i] == (char)((got + (size_t)i) * 31 + 7);
			got += (size_t)n;
		}
		_exit(got == BIG && same ? 0 : 1);
	}
	close(p[0]);
	assert_int_equal(path_write_all(p[1], data, BIG), 0);
	close(p[1]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Nothing to write is success; a reader gone or a bad fd is -1 with errno. */
	assert_int_equal(path_write_all(-1, "", 0), 0);
	errno = 0;
	assert_int_equal(path_write_all(-1, "x", 1), -1);
	assert_int_equal(errno, EBADF);
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	errno = 0;
	assert_int_equal(path_write_all(p[1], data, 10), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
	signal(SIGPIPE, old);
	free(data);
}

static void test_write_file_atomic(void **state)
{
	(void)state;
	mode_t old = umask(0);
	char *dir = in_tmp("w");
	assert_int_equal(mkdir(dir, 0700), 0);
	char *file = path_join(dir, "settings.json");
	struct err e = ERR_INIT;

	assert_int_equal(path_write_file(file, "first", 5, &e), 0);
	assert_int_equal(mode_of(file), 0600);
	char *got = path_read_file(file, NULL, &e);
	assert_string_equal(got, "first");
	free(got);
	assert_int_equal(count_entries(dir), 1); /* no temp left */

	/* A reader holding the old file keeps the old content: replaced by rename, not rewritten. */
	int fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	struct stat before, after;
	assert_int_equal(fstat(fd, &before), 0);
	assert_int_equal(chmod(file, 0644), 0);

	assert_int_equal(path_write_file(file, "second, longer", 14, &e), 0);
	assert_int_equal(stat(file, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	char old_text[16] = { 0 };
	assert_int_equal(pread(fd, old_text, sizeof old_text - 1, 0), 5);
	assert_string_equal(old_text, "first");
	close(fd);

	got = path_read_file(file, NULL, &e);
	assert_string_equal(got, "second, longer");
	free(got);
	assert_int_equal(mode_of(file), 0600); /* the replacement is 0600 again */
	assert_int_equal(count_entries(dir), 1);

	/* Empty data is a valid write. */
	assert_int_equal(path_write_file(file, "", 0, &e), 0);
	size_t len = 9;
	got = path_read_file(file, &len, &e);
	assert_int_equal(len, 0);
	free(got);
	assert_false(e.set);
	umask(old);
	free(file);
	free(dir);
}

static void test_write_file_into_missing_dir_fails(void **state)
{
	(void)state;
	char *file = in_tmp("nodir/settings.json");
	struct err e = ERR_INIT;
	assert_int_equal(path_write_file(file, "x", 1, &e), -1);
	assert_true(e.set);
	assert_contains(err_msg(&e), file);
	assert_false(path_exists(file));
	free(file);
}

static void test_write_file_survives_stale_temp(void **state)
{
	(void)state;
	/* A crash between open and rename leaves a temp file; in a container the
	 * next run can have the same pid. The write must still succeed. */
	char dir[4096], file[4200], stale[4300];
	snprintf(dir, sizeof dir, "%s/stale", tmpdir);
	snprintf(file, sizeof file, "%s/config.json", dir);
	snprintf(stale, sizeof stale, "%s.tmp.%ld", file, (long)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(stale, "half-written");
	struct err e = ERR_INIT;
	int rc = path_write_file(file, "fresh", 5, &e);
	unlink(stale);
	if (rc != 0)
		fail_msg("path_write_file failed because of a leftover temp file: %s", err_msg(&e));
	char *got = path_read_file(file, NULL, &e);
	assert_non_null(got);
	int same = strcmp(got, "fresh") == 0;
	free(got);
	assert_true(same);
}

static void test_check_private_file(void **state)
{
	(void)state;
	char *file = in_tmp("cmd_history"), *target = in_tmp("elsewhere"), *dir = in_tmp("adir");
	struct err e = ERR_INIT;
	assert_int_equal(path_check_private_file(file, &e), 0); /* absent: fine, it will be created */
	write_text(file, "focus jobs\n");
	assert_int_equal(path_check_private_file(file, &e), 0);
	unlink(file);
	write_text(target, "someone else's\n");
	assert_int_equal(symlink(target, file), 0);
	assert_int_equal(path_check_private_file(file, &e), -1);
	assert_contains(err_msg(&e), "symbolic link");
	assert_contains(err_msg(&e), file);
	unlink(file);
	assert_int_equal(symlink("/nonexistent/dangling", file), 0); /* a dangling link too */
	err_clear(&e);
	assert_int_equal(path_check_private_file(file, &e), -1);
	assert_contains(err_msg(&e), "symbolic link");
	unlink(file);
	assert_int_equal(mkdir(dir, 0700), 0);
	err_clear(&e);
	assert_int_equal(path_check_private_file(dir, &e), -1);
	assert_contains(err_msg(&e), "not a regular file");
	rmdir(dir);
	unlink(target);
	free(file);
	free(target);
	free(dir);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A FIFO (or a device) given as a file to read must be refused at once: an
 * open() that waits for a writer would hang the command for ever. The alarm
 * (without SA_RESTART) turns such a hang into EINTR, so the test fails
 * instead of blocking. */
static void test_read_file_refuses_fifo_and_devices(void **state)
{
	(void)state;
	char *fifo = in_tmp("a-fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarm(3);
	struct err e = ERR_INIT;
	size_t len = 7;
	char *got = path_read_file(fifo, &len, &e);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	assert_null(got);
	assert_contains(err_msg(&e), fifo);
	assert_contains(err_msg(&e), "not a regular file");
	assert_int_equal(len, 7);
	err_clear(&e);
	assert_null(path_read_file("/dev/null", NULL, &e));
	assert_contains(err_msg(&e), "not a regular file");
	unlink(fifo);
	free(fifo);
}

struct seen {
	char names[8][32];
	int dirs, links, n, stop_after;
	char last_path[256];
};

static int note_entry(void *ud, const char *path, const char *name, const struct stat *st)
{
	struct seen *s = ud;
	snprintf(s->names[s->n++], sizeof s->names[0], "%s", name);
	snprintf(s->last_path, sizeof s->last_path, "%s", path);
	s->dirs += S_ISDIR(st->st_mode);
	s->links += S_ISLNK(st->st_mode);
	return s->stop_after && s->n == s->stop_after;
}

static int seen_has(const struct seen *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return 1;
	return 0;
}

static void test_each_entry(void **state)
{
	(void)state;
	char *dir = in_tmp("entries");
	assert_int_equal(mkdir(dir, 0700), 0);
	char *file = path_join(dir, "a.txt"), *sub = path_join(dir, "sub"), *hidden = path_join(dir, ".hidden"),
	     *link = path_join(dir, "link");
	write_text(file, "x");
	write_text(hidden, "x");
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(symlink(sub, link), 0);

	struct seen s = { 0 };
	assert_int_equal(path_each_entry(dir, note_entry, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(seen_has(&s, "a.txt") && seen_has(&s, "sub") && seen_has(&s, "link"));
	assert_false(seen_has(&s, ".hidden"));
	assert_int_equal(s.dirs, 1); /* the link is not followed */
	assert_int_equal(s.links, 1);
	assert_int_equal(strncmp(s.last_path, dir, strlen(dir)), 0);

	struct seen first = { .stop_after = 1 };
	assert_int_equal(path_each_entry(dir, note_entry, &first), 0);
	assert_int_equal(first.n, 1);

	struct seen none = { 0 };
	char *missing = path_join(dir, "missing");
	assert_int_equal(path_each_entry(missing, note_entry, &none), -1);
	assert_int_equal(none.n, 0);
	free(missing);
	free(file);
	free(sub);
	free(hidden);
	free(link);
	free(dir);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_data_home_precedence),
		T(test_data_home_is_cached_until_reset),
		T(test_config_file_precedence),
		T(test_share_dir_from_env),
		T(test_join_trims_trailing_slashes),
		T(test_join_onto_root),
		T(test_mkdirs_nested_mode),
		T(test_mkdirs_through_regular_file_fails),
		T(test_ensure_data_home_creates_once),
		T(test_ensure_data_home_is_a_file),
		T(test_ensure_data_home_under_regular_file),
		T(test_read_file),
		T(test_read_file_refuses_fifo_and_devices),
		T(test_write_all_whole_and_failures),
		T(test_write_file_atomic),
		T(test_write_file_into_missing_dir_fails),
		T(test_write_file_survives_stale_temp),
		T(test_check_private_file),
		T(test_each_entry),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
