/* aiwb doctor: prints what aiwb sees (doctor.h builds the report). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "doctor.h"

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int yes(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static void print_text(const cJSON *r)
{
	const cJSON *dh = cJSON_GetObjectItem(r, "data_home");
	const cJSON *db = cJSON_GetObjectItem(r, "database");
	const cJSON *c = cJSON_GetObjectItem(r, "config");
	const cJSON *lib = cJSON_GetObjectItem(r, "libraries");
	const cJSON *curl = cJSON_GetObjectItem(lib, "curl");
	const cJSON *sq = cJSON_GetObjectItem(lib, "sqlite");

	printf("aiwb %s\n\n", str(r, "version"));
	printf("data home   %s (%s)\n", str(dh, "path"),
	       str(dh, "problem") ? str(dh, "problem") : yes(dh, "exists") ? "ok" : "not created yet");
	if (yes(db, "exists")) {
		const cJSON *runs = cJSON_GetObjectItem(db, "runs");
		if (str(db, "problem"))
			printf("database    %s: %s\n", str(db, "path"), str(db, "problem"));
		else
			printf("database    %s (schema %d, %.0f runs in history)\n", str(db, "path"),
			       cJSON_GetObjectItem(db, "schema")->valueint, runs ? runs->valuedouble : 0.0);
	} else {
		printf("database    %s (not created yet)\n", str(db, "path"));
	}
	if (str(c, "error"))
		printf("config      %s\n            error: %s\n", str(c, "path"), str(c, "error"));
	else
		printf("config      %s (%s)\n", str(c, "path"), yes(c, "found") ? "found" : "not found; using defaults");
	const cJSON *wi;
	cJSON_ArrayForEach(wi, cJSON_GetObjectItem(c, "warnings"))
		printf("            warning: %s\n", wi->valuestring);
	printf("share dir   %s\n", str(r, "share_dir"));
	printf("core dumps  %s\n\n", yes(r, "core_dumps") ? "allowed (AIWB_CORE_DUMPS=1): a core file would hold your keys"
							: "off (AIWB_CORE_DUMPS=1 allows them)");

	printf("libraries\n");
	printf("  curl      %s, %s, AsynchDNS %s, HTTP/2 %s, HTTPS proxy %s\n", str(curl, "version"),
	       str(curl, "ssl"), yes(curl, "asynchdns") ? "yes" : "NO (DNS lookups may freeze the workbench)",
	       yes(curl, "http2") ? "yes" : "no", yes(curl, "https_proxy") ? "yes" : "no");
	printf("  sqlite    %s, FTS5 %s\n", str(sq, "version"), yes(sq, "fts5") ? "yes" : "NO (history search needs it)");
	static const char *const names[] = { "ncurses", "readline", "cjson", "openssl", "libyaml", "zlib" };
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		printf("  %-9s %s\n", names[i], str(lib, names[i]));

	printf("\nproviders\n");
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "providers")) {
		const char *endpoint = str(p, "endpoint");
		if (!endpoint)
			endpoint = strcmp(str(p, "type"), "bedrock") == 0 ? "(no region: set AWS_REGION)" : "(no base_url)";
		printf("  %-10s %-9s %s\n", str(p, "name"), str(p, "type"), endpoint);
		const char *state = str(p, "credentials");
		if (str(p, "source"))
			printf("             credentials %s: %s\n", state, str(p, "source"));
		else
			printf("             credentials %s\n", state);
		if (str(p, "hint"))
			printf("             %s\n", str(p, "hint"));
	}
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
	int json = 0, ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			return cli_usage_error("doctor", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);
	int fatal;
	cJSON *r = doctor_report(cli_ui_version ? cli_ui_version() : NULL,
				 cli_readline_version ? cli_readline_version() : NULL, &fatal);
	if (json) {
		char *s = cJSON_Print(r);
		puts(s);
		free(s);
	} else {
		print_text(r);
	}
	cJSON_Delete(r);
	return fatal ? 1 : 0;
}
