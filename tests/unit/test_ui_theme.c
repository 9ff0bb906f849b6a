#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "theme.h"

static const char *const shipped[] = { "default", "light", "high-contrast" };
#define NSHIPPED (sizeof shipped / sizeof shipped[0])

static char repo_root[4096];
static char config_home[] = "/tmp/aiwb-theme-test-XXXXXX";

static char *user_themes_dir(void)
{
	return xasprintf("%s/aiwb/themes", config_home);
}

static void write_user_theme(const char *file, const char *text)
{
	char *dir = user_themes_dir();
	assert_int_equal(path_mkdirs(dir, 0700, NULL), 0);
	char *path = path_join(dir, file);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
	free(dir);
}

static int remove_user_themes(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s/aiwb'", config_home);
	int rc = system(cmd);
	free(cmd);
	path_reset();
	return rc == 0 ? 0 : -1;
}

static int setup_all(void **state)
{
	(void)state;
	const char *root = getenv("AIWB_ROOT");
	if (root && *root)
		snprintf(repo_root, sizeof repo_root, "%s", root);
	else if (!getcwd(repo_root, sizeof repo_root))
		return -1;
	if (!mkdtemp(config_home))
		return -1;
	setenv("AIWB_SHARE", repo_root, 1);
	setenv("XDG_CONFIG_HOME", config_home, 1);
	unsetenv("NO_COLOR");
	path_reset();
	return 0;
}

static int teardown_all(void **state)
{
	int rc = remove_user_themes(state);
	rmdir(config_home);
	path_reset();
	return rc;
}

static char *read_shipped(const char *name)
{
	char *path = xasprintf("%s/themes/%s.theme", repo_root, name);
	struct err e = ERR_INIT;
	char *text = path_read_file(path, NULL, &e);
	if (!text)
		fail_msg("%s", err_msg(&e));
	free(path);
	return text;
}

static void parse_ok(struct theme *t, const char *text)
{
	struct err e = ERR_INIT;
	if (theme_parse(t, "t.theme", text, &e) != 0)
		fail_msg("unexpected error: %s", err_msg(&e));
}

static void assert_style(const struct theme_style *s, short fg, short bg, attr_t attrs)
{
	assert_int_equal(s->fg, fg);
	assert_int_equal(s->bg, bg);
	assert_int_equal(s->attrs, attrs);
}

static void test_shipped_themes_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSHIPPED; i++) {
		char *text = read_shipped(shipped[i]);
		struct theme t;
		struct err e = ERR_INIT;
		if (theme_parse(&t, shipped[i], text, &e) != 0)
			fail_msg("%s: %s", shipped[i], err_msg(&e));
		assert_true(strlen(t.name) > 0);
		assert_true(strlen(t.description) > 0);
		theme_free(&t);
		free(text);

		if (theme_load(&t, shipped[i], &e) != 0)
			fail_msg("load %s: %s", shipped[i], err_msg(&e));
		theme_free(&t);
	}
}

static void test_default_theme_file_matches_builtin_defaults(void **state)
{
	(void)state;
	struct theme builtin, file;
	parse_ok(&builtin, "");
	char *text = read_shipped("default");
	parse_ok(&file, text);
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *a = &builtin.roles[r], *b = &file.roles[r];
		if (a->fg != b->fg || a->bg != b->bg || a->attrs != b->attrs || a->mono != b->mono)
			fail_msg("role %s differs between themes/default.theme and the built-in defaults",
				 theme_role_name(r));
	}
	theme_free(&builtin);
	theme_free(&file);
	free(text);
}

static void test_empty_text_gives_defaults_and_file_name(void **state)
{
	(void)state;
	struct theme t;
	struct err e = ERR_INIT;
	assert_int_equal(theme_parse(&t, "/some/dir/ocean.theme", "# nothing\n\n", &e), 0);
	assert_string_equal(t.name, "ocean");
	assert_string_equal(t.description, "");
	assert_true(t.roles[ROLE_BORDER_FOCUSED].attrs & A_BOLD);
	assert_true(t.roles[ROLE_SELECTED].mono & A_REVERSE);
	theme_free(&t);
	theme_free(&t);
}

static void test_partial_file_keeps_defaults(void **state)
{
	(void)state;
	struct theme defaults, t;
	parse_ok(&defaults, "");
	parse_ok(&t, "name = Partial\nborder = red\n");
	assert_string_equal(t.name, "Partial");
	assert_style(&t.roles[ROLE_BORDER], 1, THEME_COLOR_DEFAULT, A_NORMAL);
	assert_int_equal(t.roles[ROLE_BORDER].mono, defaults.roles[ROLE_BORDER].mono);
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (r == ROLE_BORDER)
			continue;
		assert_memory_equal(&t.roles[r], &defaults.roles[r], sizeof t.roles[r]);
	}
	theme_free(&defaults);
	theme_free(&t);
}

static void test_role_line_syntax(void **state)
{
	(void)state;
	struct theme t;
	parse_ok(&t, "  # comment\r\n"
		     "\tdescription =  Spaced   out  \r\n"
		     "selected = 255 on #005f87 bold underline mono:reverse,bold\r\n"
		     "Border = color123 on colour7\n"
		     "title = bright-blue on default italic dim\n"
		     "marked = BOLD\n"
		     "ok = on green\n"
		     "warn = yellow mono:none\n"
		     "error = 9\n"
		     "error = 10");
	assert_string_equal(t.description, "Spaced   out");
	assert_style(&t.roles[ROLE_SELECTED], 255, 24, A_BOLD | A_UNDERLINE);
	assert_int_equal(t.roles[ROLE_SELECTED].mono, A_REVERSE | A_BOLD);
	assert_style(&t.roles[ROLE_BORDER], 123, 7, A_NORMAL);
	assert_style(&t.roles[ROLE_TITLE], 12, THEME_COLOR_DEFAULT, A_ITALIC | A_DIM);
	assert_style(&t.roles[ROLE_MARKED], THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, A_BOLD);
	assert_true(t.roles[ROLE_MARKED].mono & (A_BOLD | A_UNDERLINE));
	assert_style(&t.roles[ROLE_OK], THEME_COLOR_DEFAULT, 2, A_NORMAL);
	assert_style(&t.roles[ROLE_WARN], 3, THEME_COLOR_DEFAULT, A_NORMAL);
	assert_int_equal(t.roles[ROLE_WARN].mono, A_NORMAL);
	assert_int_equal(t.roles[ROLE_ERROR].fg, 10);
	theme_free(&t);
}

static void test_hex_colours_map_to_nearest_256(void **state)
{
	(void)state;
	static const struct {
		const char *hex;
		short want;
	} cases[] = {
		{ "#ff0000", 196 }, { "#000000", 16 }, { "#FFFFFF", 231 }, { "#eeeeee", 255 },
		{ "#808080", 244 }, { "#5f87af", 67 }, { "#00affe", 39 }, { "#080808", 232 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = xasprintf("normal = %s", cases[i].hex);
		struct theme t;
		parse_ok(&t, text);
		if (t.roles[ROLE_NORMAL].fg != cases[i].want)
			fail_msg("%s gave %d, want %d", cases[i].hex, t.roles[ROLE_NORMAL].fg, cases[i].want);
		theme_free(&t);
		free(text);
	}
}

static void test_errors_name_file_line_and_word(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *where;
		const char *word;
	} cases[] = {
		{ "bordr = red", "bad.theme:1: ", "'bordr'" },
		{ "# c\n\nborder = gren", "bad.theme:3: ", "'gren'" },
		{ "border = 256", "bad.theme:1: ", "'256'" },
		{ "border = color300", "bad.theme:1: ", "'color300'" },
		{ "border = #12345", "bad.theme:1: ", "'#12345'" },
		{ "border = #12345g", "bad.theme:1: ", "'#12345g'" },
		{ "border = -1", "bad.theme:1: ", "'-1'" },
		{ "\nborder = red blod", "bad.theme:2: ", "'blod'" },
		{ "border = red on", "bad.theme:1: ", "'on'" },
		{ "border = red on blu", "bad.theme:1: ", "'blu'" },
		{ "border = red on blue on black", "bad.theme:1: ", "'on'" },
		{ "border = red mono:bold,shiny", "bad.theme:1: ", "'shiny'" },
		{ "border = red mono:", "bad.theme:1: ", "mono:" },
		{ "border = bold red", "bad.theme:1: ", "'red'" },
		{ "border =", "bad.theme:1: ", "'border'" },
		{ "border red", "bad.theme:1: ", "'border red'" },
		{ "= red", "bad.theme:1: ", "role" },
		{ "name =", "bad.theme:1: ", "name" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct theme t;
		struct err e = ERR_INIT;
		if (theme_parse(&t, "bad.theme", cases[i].text, &e) != -1)
			fail_msg("'%s' parsed without error", cases[i].text);
		const char *msg = err_msg(&e);
		if (strncmp(msg, cases[i].where, strlen(cases[i].where)) != 0 || !strstr(msg, cases[i].word))
			fail_msg("'%s' gave \"%s\", want %s... naming %s", cases[i].text, msg, cases[i].where,
				 cases[i].word);
		assert_null(t.name);
		assert_true(t.roles[ROLE_SELECTED].mono & A_REVERSE);
		theme_free(&t);
	}
}

static void test_fallback_to_16(void **state)
{
	(void)state;
	assert_int_equal(theme_fallback_color(196, 16), 9);
	assert_int_equal(theme_fallback_color(255, 16), 15);
	assert_int_equal(theme_fallback_color(16, 16), 0);
	assert_int_equal(theme_fallback_color(231, 16), 15);
	assert_int_equal(theme_fallback_color(244, 16), 8);
	short blue = theme_fallback_color(21, 16);
	assert_true(blue == 4 || blue == 12);
	for (short c = 0; c < 16; c++)
		assert_int_equal(theme_fallback_color(c, 16), c);
	assert_int_equal(theme_fallback_color(THEME_COLOR_DEFAULT, 16), THEME_COLOR_DEFAULT);
	for (short c = 16; c < 256; c++) {
		short f = theme_fallback_color(c, 16);
		assert_in_range(f, 0, 15);
	}
}

static void test_fallback_to_8(void **state)
{
	(void)state;
	assert_int_equal(theme_fallback_color(196, 8), 1);
	assert_int_equal(theme_fallback_color(255, 8), 7);
	assert_int_equal(theme_fallback_color(16, 8), 0);
	assert_int_equal(theme_fallback_color(21, 8), 4);
	assert_int_equal(theme_fallback_color(9, 8), 1);
	assert_int_equal(theme_fallback_color(15, 8), 7);
	for (short c = 0; c < 8; c++)
		assert_int_equal(theme_fallback_color(c, 8), c);
	assert_int_equal(theme_fallback_color(THEME_COLOR_DEFAULT, 8), THEME_COLOR_DEFAULT);
	for (short c = 232; c < 256; c++) {
		short f = theme_fallback_color(c, 8);
		if (f != 0 && f != 7)
			fail_msg("grey %d fell back to colour %d", c, f);
	}
	for (short c = 8; c < 256; c++)
		assert_in_range(theme_fallback_color(c, 8), 0, 7);
}

static void test_fallback_keeps_256(void **state)
{
	(void)state;
	for (short c = -1; c < 256; c++)
		assert_int_equal(theme_fallback_color(c, 256), c);
}

static void test_resolve_without_colour_uses_mono(void **state)
{
	(void)state;
	struct theme t;
	parse_ok(&t, "selected = white on blue\nwarn = yellow bold mono:underline");
	for (int r = 0; r < ROLE_COUNT; r++) {
		attr_t a = theme_resolve(&t, r, 0);
		assert_int_equal(PAIR_NUMBER(a), 0);
		assert_int_equal(a, t.roles[r].attrs | t.roles[r].mono);
	}
	assert_true(theme_resolve(&t, ROLE_SELECTED, 0) & A_REVERSE);
	assert_int_equal(theme_resolve(&t, ROLE_WARN, 0), A_BOLD | A_UNDERLINE);
	assert_int_equal(theme_resolve(&t, ROLE_COUNT, 0), A_NORMAL);
	theme_free(&t);
}

static void test_resolve_with_colour_uses_pair(void **state)
{
	(void)state;
	struct theme t;
	parse_ok(&t, "warn = yellow bold mono:underline");
	static const int counts[] = { 8, 16, 256 };
	for (size_t i = 0; i < 3; i++) {
		for (int r = 0; r < ROLE_COUNT; r++) {
			attr_t a = theme_resolve(&t, r, counts[i]);
			assert_int_equal(PAIR_NUMBER(a), r + 1);
			assert_int_equal(a & ~A_COLOR, t.roles[r].attrs);
		}
	}
	assert_int_equal(theme_resolve(&t, ROLE_WARN, 256), (attr_t)COLOR_PAIR(ROLE_WARN + 1) | A_BOLD);
	theme_free(&t);
}

static void test_mono_keeps_focus_selection_and_errors_visible(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSHIPPED; i++) {
		struct theme t;
		struct err e = ERR_INIT;
		if (theme_load(&t, shipped[i], &e) != 0)
			fail_msg("%s", err_msg(&e));
		const char *n = shipped[i];
		if (!(theme_resolve(&t, ROLE_BORDER_FOCUSED, 0) & (A_BOLD | A_REVERSE)))
			fail_msg("%s: border_focused invisible without colour", n);
		if (!(theme_resolve(&t, ROLE_TITLE_FOCUSED, 0) & (A_BOLD | A_REVERSE)))
			fail_msg("%s: title_focused invisible without colour", n);
		if (theme_resolve(&t, ROLE_BORDER_FOCUSED, 0) == theme_resolve(&t, ROLE_BORDER, 0))
			fail_msg("%s: focused and plain borders look alike without colour", n);
		if (!(theme_resolve(&t, ROLE_SELECTED, 0) & A_REVERSE))
			fail_msg("%s: selected is not reverse without colour", n);
		if (!(theme_resolve(&t, ROLE_MARKED, 0) & (A_BOLD | A_UNDERLINE)))
			fail_msg("%s: marked invisible without colour", n);
		static const enum theme_role errors[] = { ROLE_ERROR, ROLE_STATUS_ERROR, ROLE_JOB_FAILED };
		for (size_t j = 0; j < 3; j++)
			if (!(theme_resolve(&t, errors[j], 0) & A_BOLD))
				fail_msg("%s: %s is not bold without colour", n, theme_role_name(errors[j]));
		theme_free(&t);
	}
}

static void test_role_names_and_attr_before_apply(void **state)
{
	(void)state;
	assert_string_equal(theme_role_name(ROLE_NORMAL), "normal");
	assert_string_equal(theme_role_name(ROLE_BORDER_FOCUSED), "border_focused");
	assert_string_equal(theme_role_name(ROLE_JOB_FAILED), "job_failed");
	assert_non_null(theme_role_name(ROLE_COUNT));
	for (int r = 0; r < ROLE_COUNT; r++) {
		char *text = xasprintf("%s = red", theme_role_name(r));
		struct theme t;
		parse_ok(&t, text);
		assert_int_equal(t.roles[r].fg, 1);
		theme_free(&t);
		free(text);
	}
	assert_int_equal(theme_colors(), 0);
	assert_int_equal(PAIR_NUMBER(theme_attr(ROLE_BORDER_FOCUSED)), 0);
	assert_true(theme_attr(ROLE_SELECTED) & A_REVERSE);
	assert_int_equal(theme_attr(ROLE_COUNT), A_NORMAL);
	assert_int_equal(theme_resolve(NULL, ROLE_SELECTED, 0), theme_attr(ROLE_SELECTED));
}

static void test_user_theme_overrides_builtin(void **state)
{
	(void)state;
	write_user_theme("default.theme", "name = Mine\nborder = red\n");
	path_reset();
	struct theme t;
	struct err e = ERR_INIT;
	if (theme_load(&t, "default", &e) != 0)
		fail_msg("%s", err_msg(&e));
	assert_string_equal(t.name, "Mine");
	assert_int_equal(t.roles[ROLE_BORDER].fg, 1);
	theme_free(&t);

	if (theme_load(&t, "light.theme", &e) != 0)
		fail_msg("%s", err_msg(&e));
	assert_string_equal(t.name, "Light");
	theme_free(&t);
}

static void test_user_theme_error_names_its_file(void **state)
{
	(void)state;
	write_user_theme("broken.theme", "name = Broken\n\nborder = chartreuse\n");
	path_reset();
	struct theme t;
	struct err e = ERR_INIT;
	assert_int_equal(theme_load(&t, "broken", &e), -1);
	char *want = xasprintf("%s/aiwb/themes/broken.theme:3: ", config_home);
	assert_non_null(strstr(err_msg(&e), want));
	assert_non_null(strstr(err_msg(&e), "'chartreuse'"));
	free(want);
	theme_free(&t);
}

static void test_theme_names_merges_and_dedups(void **state)
{
	(void)state;
	write_user_theme("default.theme", "name = Mine\n");
	write_user_theme("zebra.theme", "");
	write_user_theme("aardvark.theme", "");
	write_user_theme(".hidden.theme", "");
	write_user_theme("notes.txt", "");
	char *dir = user_themes_dir();
	char *sub = path_join(dir, "folder.theme");
	assert_int_equal(mkdir(sub, 0700), 0);
	path_reset();
	size_t n = 0;
	char **names = theme_names(&n);
	static const char *const want[] = { "aardvark", "default", "high-contrast", "light", "zebra" };
	assert_int_equal(n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	assert_null(names[n]);
	theme_names_free(names, n);
	rmdir(sub);
	free(sub);
	free(dir);
}

static void test_missing_theme_lists_available(void **state)
{
	(void)state;
	struct theme t;
	struct err e = ERR_INIT;
	assert_int_equal(theme_load(&t, "nope", &e), -1);
	const char *msg = err_msg(&e);
	assert_non_null(strstr(msg, "'nope'"));
	assert_non_null(strstr(msg, "default, high-contrast, light"));
	assert_null(t.name);
	theme_free(&t);

	static const char *const bad[] = { "../themes/default", "/etc/passwd", ".hidden", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		assert_int_equal(theme_load(&t, bad[i], &e), -1);
		assert_non_null(strstr(err_msg(&e), "theme name"));
		theme_free(&t);
	}
}

/* theme_apply needs a screen: a child draws to /dev/null, so no terminal and no
 * ncurses state (or its deliberate leaks) reach this process. */
static int apply_in_child(const char *term, const char *no_color, int want_colors, short want_fg)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (no_color)
			setenv("NO_COLOR", no_color, 1);
		FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
		SCREEN *s = out && in ? newterm(term, out, in) : NULL;
		if (!s)
			_exit(77);
		if (has_colors())
			start_color();
		struct theme t;
		if (theme_parse(&t, "child.theme", "error = 196 on 16 bold", NULL) != 0)
			_exit(1);
		theme_apply(&t);
		theme_free(&t);
		int ok = theme_colors() == want_colors;
		attr_t a = theme_attr(ROLE_ERROR);
		if (want_colors) {
			short fg, bg;
			ok = ok && PAIR_NUMBER(a) == ROLE_ERROR + 1 && (a & A_BOLD);
			ok = ok && pair_content(ROLE_ERROR + 1, &fg, &bg) == OK && fg == want_fg && bg == (want_colors >= 256 ? 16 : 0);
		} else {
			ok = ok && PAIR_NUMBER(a) == 0 && (a & A_BOLD) && (theme_attr(ROLE_SELECTED) & A_REVERSE);
		}
		endwin();
		_exit(ok ? 0 : 1);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void test_apply_maps_colours_to_the_terminal(void **state)
{
	(void)state;
	int rc = apply_in_child("xterm-256color", NULL, 256, 196);
	if (rc == 77)
		skip();
	assert_int_equal(rc, 0);
	assert_int_equal(apply_in_child("xterm", NULL, 8, 1), 0);
	assert_int_equal(apply_in_child("xterm-256color", "1", 0, 0), 0);
	assert_int_equal(apply_in_child("xterm-256color", "", 256, 196), 0);
	assert_int_equal(apply_in_child("xterm-mono", NULL, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_themes_parse),
		cmocka_unit_test(test_default_theme_file_matches_builtin_defaults),
		cmocka_unit_test(test_empty_text_gives_defaults_and_file_name),
		cmocka_unit_test(test_partial_file_keeps_defaults),
		cmocka_unit_test(test_role_line_syntax),
		cmocka_unit_test(test_hex_colours_map_to_nearest_256),
		cmocka_unit_test(test_errors_name_file_line_and_word),
		cmocka_unit_test(test_fallback_to_16),
		cmocka_unit_test(test_fallback_to_8),
		cmocka_unit_test(test_fallback_keeps_256),
		cmocka_unit_test(test_resolve_without_colour_uses_mono),
		cmocka_unit_test(test_resolve_with_colour_uses_pair),
		cmocka_unit_test(test_mono_keeps_focus_selection_and_errors_visible),
		cmocka_unit_test(test_role_names_and_attr_before_apply),
		cmocka_unit_test_teardown(test_user_theme_overrides_builtin, remove_user_themes),
		cmocka_unit_test_teardown(test_user_theme_error_names_its_file, remove_user_themes),
		cmocka_unit_test_teardown(test_theme_names_merges_and_dedups, remove_user_themes),
		cmocka_unit_test(test_missing_theme_lists_available),
		cmocka_unit_test(test_apply_maps_colours_to_the_terminal),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
