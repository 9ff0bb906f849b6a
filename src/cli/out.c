#include "cli/out.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"

void cli_put_text(const char *s, int safe)
{
	if (safe) {
		char *c = sanitize_str(s, strlen(s), 0);
		fputs(c, stdout);
		free(c);
	} else {
		fputs(s, stdout);
	}
}

void cli_json_text(cJSON *o, const char *key, const char *s, int raw)
{
	char *c = raw ? sanitize_utf8(s, strlen(s)) : sanitize_str(s, strlen(s), 0);
	cJSON_AddStringToObject(o, key, c);
	free(c);
}

static int json_pretty;

void cli_json_pretty(int on)
{
	json_pretty = on;
}

void cli_print_json(cJSON *o)
{
	json_exact_integers(o);
	char *s = json_pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
	puts(s);
	free(s);
	cJSON_Delete(o);
}

void cli_print_json_text(char *js)
{
	if (!js)
		return;
	cJSON *o = cJSON_Parse(js);
	if (o)
		cli_print_json(o);
	else
		puts(js);
	free(js);
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

static void print_prefix(const char *cmd)
{
	if (cmd)
		fprintf(stderr, "aiwb %s: ", cmd);
	else
		fputs("aiwb: ", stderr);
}

/* Messages carry text from servers and users: sanitized, on one line. */
static void __attribute__((format(printf, 1, 0))) print_message(const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	char *safe = sanitize_str(msg, strlen(msg), 0);
	for (char *p = safe; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	fputs(safe, stderr);
	free(safe);
	free(msg);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	print_prefix(cmd);
	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "; see 'aiwb %s --help'\n", cmd);
	else
		fprintf(stderr, "; see 'aiwb --help'\n");
	return 2;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	print_prefix(cmd);
	va_start(ap, fmt);
	print_message(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_error(const char *cmd, int usage, const char *msg)
{
	return usage ? cli_usage_error(cmd, "%s", msg) : cli_fail(cmd, "%s", msg);
}

static int stdout_errno;

void cli_stdout_failed(int err)
{
	if (!stdout_errno)
		stdout_errno = err ? err : EIO;
}

int cli_close_stdout(int status)
{
	int failed = ferror(stdout);
	if (fflush(stdout) != 0) {
		cli_stdout_failed(errno);
		failed = 1;
	}
	if (fclose(stdout) != 0) {
		cli_stdout_failed(errno);
		failed = 1;
	}
	if (!failed && !stdout_errno)
		return status;
	if (stdout_errno == EPIPE)
		fputs("aiwb: standard output was closed before aiwb had written everything "
		      "(the reading program stopped); the output is incomplete\n", stderr);
	else if (stdout_errno)
		fprintf(stderr, "aiwb: writing to standard output failed (%s); the output is incomplete, "
			"check where it goes (a full disk?)\n", strerror(stdout_errno));
	else
		fputs("aiwb: writing to standard output failed; the output is incomplete, "
		      "check where it goes (a full disk or a closed pipe?)\n", stderr);
	return status ? status : 1;
}

int cli_parse_long(const char *cmd, const char *opt, const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return cli_usage_error(cmd, "%s must be a whole number from %ld to %ld", opt, lo, hi);
	*out = n;
	return 0;
}

char *cli_safe(const char *s)
{
	return sanitize_str(s ? s : "", s ? strlen(s) : 0, 0);
}

char *cli_flat(const char *s)
{
	char *t = cli_safe(s);
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return t;
}
