/* aiwb guard check: the local guard or a Bedrock guardrail over a file or
 * standard input. Arguments and printing only; the checks are src/guard/. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "cli/guardout.h"
#include "session.h"
#include "config.h"

#define CHECK_MAX_BYTES ((size_t)1 << 30)
#define EXIT_FINDINGS 3

struct check {
	int json, redact, fail_on_findings, full;
	const char *bedrock;
	enum guardrail_source source;
	const char *file;
	struct buf text;
};

static int read_input(struct check *c)
{
	FILE *f = stdin;
	if (c->file && strcmp(c->file, "-") != 0 && !(f = fopen(c->file, "rb")))
		return cli_fail("guard", "cannot read %s: %s", c->file, strerror(errno));
	char chunk[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (c->text.len + n > CHECK_MAX_BYTES) {
			rc = cli_fail("guard", "%s is larger than 1 GiB; split it", c->file ? c->file : "the input");
			break;
		}
		buf_append(&c->text, chunk, n);
	}
	if (!rc && ferror(f))
		rc = cli_fail("guard", "cannot read %s", c->file && strcmp(c->file, "-") ? c->file : "standard input");
	if (f != stdin)
		fclose(f);
	return rc;
}

static void put_text(const char *s, size_t n)
{
	if (isatty(STDOUT_FILENO)) {
		char *safe = sanitize_str(s, n, 0);
		fputs(safe, stdout);
		free(safe);
	} else {
		fwrite(s, 1, n, stdout);
	}
}

static int check_local(struct check *c)
{
	struct config cfg;
	struct err e = ERR_INIT;
	if (config_load(&cfg, NULL, &e) != 0) {
		config_free(&cfg);
		return cli_fail("guard", "%s", e.msg);
	}
	struct guard *g = guardout_local(&cfg, &e);
	config_free(&cfg);
	if (!g)
		return cli_fail("guard", "%s", e.msg);
	struct guard_findings f = { 0 };
	const char *text = buf_str(&c->text);
	size_t len = c->text.len;
	if (guard_scan(g, text, len, &f, &e) != 0)
		fprintf(stderr, "aiwb guard: %s; the other findings are complete\n", e.msg);
	size_t rlen = 0;
	char *redacted = c->redact ? guard_redact(g, text, len, &f, &rlen) : NULL;
	char *summary = guardout_summary(&f);
	if (c->json) {
		cJSON *o = guard_findings_json(&f, text, len);
		cJSON_AddStringToObject(o, "source", c->source == GUARDRAIL_OUTPUT ? "output" : "input");
		if (redacted) {
			char *valid = sanitize_utf8(redacted, rlen);
			cJSON_AddStringToObject(o, "redacted", valid);
			free(valid);
		}
		cli_print_json(o);
	} else if (redacted) {
		put_text(redacted, rlen);
		fprintf(stderr, "aiwb guard: %s\n", summary);
	} else {
		guardout_print_findings(stdout, "", &f, text, len);
		printf("%s\n", summary);
	}
	int found = f.n > 0;
	free(summary);
	free(redacted);
	guard_findings_free(&f);
	guard_free(g);
	return found && c->fail_on_findings ? EXIT_FINDINGS : 0;
}

static int check_bedrock(struct check *c)
{
	struct session s;
	struct err e = ERR_INIT;
	if (session_open(&s, SESSION_LATE_CATALOG, &e) != 0) {
		session_close(&s);
		return cli_fail("guard", "%s", e.msg);
	}
	struct guardrail *g = guardrail_new(&s.cfg, c->bedrock, &e);
	if (!g) {
		session_close(&s);
		return cli_fail("guard", "%s", e.msg);
	}
	struct guardrail_result *r =
		guardout_apply_wait(&s, g, c->source, buf_str(&c->text), c->text.len, c->full, &e);
	int rc = 0;
	if (!r) {
		rc = s.interrupted ? 130 : cli_fail("guard", "%s", e.msg);
	} else if (!r->ok) {
		if (c->json)
			cli_print_json(guardrail_result_json(r));
		rc = cli_fail("guard", "%s", r->message);
	} else if (c->json) {
		cli_print_json(guardrail_result_json(r));
	} else if (c->redact) {
		if (r->intervened && r->noutputs)
			for (size_t i = 0; i < r->noutputs; i++)
				put_text(r->outputs[i], strlen(r->outputs[i]));
		else
			put_text(buf_str(&c->text), c->text.len);
		guardout_print_guardrail(stderr, g, c->source == GUARDRAIL_OUTPUT ? "answer" : "prompt", r);
	} else {
		guardout_print_guardrail(stdout, g, c->source == GUARDRAIL_OUTPUT ? "answer" : "prompt", r);
	}
	if (r && r->ok && r->intervened && c->fail_on_findings)
		rc = EXIT_FINDINGS;
	guardrail_result_free(r);
	guardrail_free(g);
	session_close(&s);
	return rc;
}

static int cmd_guard_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },          { "redact", no_argument, NULL, 'r' },
		{ "fail-on-findings", no_argument, NULL, 'f' }, { "bedrock", required_argument, NULL, 'b' },
		{ "source", required_argument, NULL, 's' },  { "full", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct check c;
	memset(&c, 0, sizeof c);
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': c.json = 1; break;
		case 'r': c.redact = 1; break;
		case 'f': c.fail_on_findings = 1; break;
		case 'F': c.full = 1; break;
		case 'b': c.bedrock = optarg; break;
		case 's':
			if (strcmp(optarg, "input") == 0)
				c.source = GUARDRAIL_INPUT;
			else if (strcmp(optarg, "output") == 0)
				c.source = GUARDRAIL_OUTPUT;
			else
				return cli_usage_error("guard", "--source is input or output, not '%s'", optarg);
			break;
		case ':': return cli_usage_error("guard", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("guard", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("guard", "check one file at a time ('-' reads standard input)");
	c.file = optind < argc ? argv[optind] : NULL;
	if (!c.file && isatty(STDIN_FILENO))
		return cli_usage_error("guard", "no input: give a FILE, or '-' and text on standard input");
	if (c.full && !c.bedrock)
		return cli_usage_error("guard", "--full goes with --bedrock (the guardrail's outputScope)");
	if (c.bedrock) {
		char *id, *version;
		struct err e = ERR_INIT;
		if (guardrail_parse_spec(c.bedrock, &id, &version, &e) != 0)
			return cli_usage_error("guard", "--bedrock: %s", e.msg);
		free(id);
		free(version);
	}
	int rc = read_input(&c);
	if (!rc)
		rc = c.bedrock ? check_bedrock(&c) : check_local(&c);
	buf_free(&c.text);
	return rc;
}

int cmd_guard(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("guard", "say what to do: aiwb guard check [FILE|-]");
	if (strcmp(argv[1], "check") == 0)
		return cmd_guard_check(argc - 1, argv + 1);
	return cli_usage_error("guard", "unknown subcommand '%s' (try: check)", argv[1]);
}
