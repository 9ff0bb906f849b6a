/* aiwb: argv -> the command line or the workbench. */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/secret.h"
#include "cli/cli.h"
#include "input.h"
#include "term.h"

static void select_utf8_locale(void)
{
	setlocale(LC_ALL, "");
	const char *cs = nl_langinfo(CODESET);
	if (!cs || strcmp(cs, "UTF-8") != 0)
		setlocale(LC_CTYPE, "C.UTF-8");
}

static int parse_frames(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < 1 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	secret_protect_process();
	secret_add_known_env();
	select_utf8_locale();
	cli_ui_version = term_curses_version;
	cli_readline_version = input_readline_version;
	struct app_options o = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			cli_print_help(stdout);
			return cli_close_stdout(0);
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("aiwb %s\n", AIWB_VERSION);
			return cli_close_stdout(0);
		} else if (strcmp(a, "--theme") == 0 || strncmp(a, "--theme=", 8) == 0) {
			o.theme = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
			if (!o.theme || !*o.theme)
				return cli_usage_error(NULL, "--theme needs a theme name");
		} else if (strcmp(a, "--frames") == 0 || strncmp(a, "--frames=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || parse_frames(v, &o.frames) != 0)
				return cli_usage_error(NULL, "--frames needs a positive number of frames");
		} else {
			return cli_usage_error(NULL, "unknown option '%s'", a);
		}
	}
	if (i < argc) {
		if (o.theme || o.frames)
			return cli_usage_error(NULL, "--theme and --frames apply to the workbench, not to '%s'", argv[i]);
		secret_guard_stdio();
		return cli_close_stdout(cli_run(argc - i, argv + i));
	}
	int sig = 0;
	int rc = app_main(&o, &sig);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return rc;
}
