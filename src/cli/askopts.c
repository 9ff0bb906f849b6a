#include "cli/askopts.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xmalloc.h"
#include "cli/out.h"
#include "kb/rerank.h"
#include "kb/search.h"

#define MAX_PROMPT (8u << 20)

static int parse_double(const char *cmd, const char *opt, const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
		return cli_usage_error(cmd, "%s must be a number from %g to %g", opt, lo, hi);
	*out = d;
	return 0;
}

static int read_stdin(struct ask_opts *o)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (o->prompt.len + n > MAX_PROMPT)
			return cli_fail(o->cmd, "the prompt on standard input is larger than %u MiB", MAX_PROMPT >> 20);
		buf_append(&o->prompt, chunk, n);
	}
	if (ferror(stdin))
		return cli_fail(o->cmd, "cannot read the prompt from standard input");
	return 0;
}

int ask_opts_parse(struct ask_opts *o, const char *cmd, size_t max_models, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },       { "system", required_argument, NULL, 's' },
		{ "temperature", required_argument, NULL, 'T' }, { "top-p", required_argument, NULL, 'P' },
		{ "max-tokens", required_argument, NULL, 'N' },  { "stop", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },              { "no-stream", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },               { "template", required_argument, NULL, 't' },
		{ "var", required_argument, NULL, 'V' },         { "vars-file", required_argument, NULL, 'F' },
		{ "guard", required_argument, NULL, 'G' },
		{ "kb", required_argument, NULL, 'K' },          { "mode", required_argument, NULL, 'M' },
		{ "filter", required_argument, NULL, 'X' },      { "rerank", required_argument, NULL, 'R' },
		{ "pretty", no_argument, NULL, 'Y' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof *o);
	o->cmd = cmd;
	o->stream = 1;
	o->params.stop = o->stops;
	o->kb_k = 5;
	o->kb_mode = -1;
	int ch, kb_only = 0;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":m:s:t:k:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (o->nmodels == max_models)
				return max_models == 1 ? cli_usage_error(cmd, "give one -m; to ask several models use aiwb compare")
						       : cli_usage_error(cmd, "at most %zu models", max_models);
			o->models[o->nmodels++] = optarg;
			break;
		case 's': o->system = optarg; break;
		case 'T':
			if (parse_double(cmd, "--temperature", optarg, 0, 2, &o->params.temperature))
				return 2;
			o->params.has_temperature = 1;
			break;
		case 'P':
			if (parse_double(cmd, "--top-p", optarg, 0, 1, &o->params.top_p))
				return 2;
			o->params.has_top_p = 1;
			break;
		case 'N': {
			long n;
			if (cli_parse_long(cmd, "--max-tokens", optarg, 1, 1000000, &n))
				return 2;
			o->params.max_tokens = (int)n;
			o->params.has_max_tokens = 1;
			break;
		}
		case 'S':
			if (o->params.nstop == ASK_MAX_STOP)
				return cli_usage_error(cmd, "at most %d --stop sequences", ASK_MAX_STOP);
			if (!*optarg)
				return cli_usage_error(cmd, "--stop needs a non-empty sequence");
			o->stops[o->params.nstop++] = optarg;
			break;
		case 'j': o->json = 1; break;
		case 'Y': cli_json_pretty(1); break;
		case 'n': o->stream = 0; break;
		case 'r': o->raw = 1; break;
		case 't': o->template = optarg; break;
		case 'V':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return cli_usage_error(cmd, "--var takes NAME=VALUE, not '%s'", optarg);
			o->vars = xreallocarray(o->vars, o->nvars + 1, sizeof *o->vars);
			o->vars[o->nvars++] = optarg;
			break;
		case 'F': o->vars_file = optarg; break;
		case 'G': o->guard = optarg; break;
		case 'K': o->kb = optarg; break;
		case 'k': {
			long n;
			if (cli_parse_long(cmd, "-k", optarg, 1, 50, &n))
				return 2;
			o->kb_k = (int)n;
			kb_only = 1;
			break;
		}
		case 'M':
			if ((o->kb_mode = kb_mode_parse(optarg)) < 0)
				return cli_usage_error(cmd, "--mode must be bm25, vector or hybrid");
			kb_only = 1;
			break;
		case 'X':
			o->kb_filter = optarg;
			kb_only = 1;
			break;
		case 'R': {
			struct kb_rerank probe;
			struct err e = ERR_INIT;
			if (strcmp(optarg, "mmr") != 0) {
				if (kb_rerank_parse(optarg, &probe, &e) < 0)
					return cli_usage_error(cmd, "%s", e.msg);
				kb_rerank_free(&probe);
			}
			o->kb_rerank = optarg;
			kb_only = 1;
			break;
		}
		case ':': return cli_usage_error(cmd, "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(cmd, "give the prompt as one argument (quote it), or '-' to read standard input");
	const char *arg = optind < argc ? argv[optind] : NULL;
	if (kb_only && !o->kb)
		return cli_usage_error(cmd, "-k, --mode, --filter and --rerank choose what --kb NAME retrieves; give --kb");
	if (o->kb && o->template)
		return cli_usage_error(cmd, "--kb answers with the built-in rag template; leave out -t");
	if ((o->nvars || o->vars_file) && !o->template)
		return cli_usage_error(cmd, "--var and --vars-file go with a template (-t NAME)");
	if (!arg && o->template)
		return 0;
	o->has_prompt = 1;
	if (!arg && isatty(STDIN_FILENO))
		return cli_usage_error(cmd, "no prompt: give it as an argument or on standard input");
	if (!arg || strcmp(arg, "-") == 0) {
		if (read_stdin(o) != 0)
			return 1;
	} else {
		buf_puts(&o->prompt, arg);
	}
	if (o->prompt.len == 0)
		return cli_usage_error(cmd, "the prompt is empty");
	return 0;
}

int ask_opts_start(struct ask_opts *o, struct template_prep *at, const char *cmd, size_t max_models, int argc,
		   char **argv)
{
	memset(at, 0, sizeof *at);
	int usage = ask_opts_parse(o, cmd, max_models, argc, argv);
	if (!usage && max_models > 1 && o->nmodels < 2)
		usage = cli_usage_error(cmd, "give at least two models with -m (for one, use aiwb ask)");
	if (!usage && o->kb)
		usage = ask_kb_retrieve(o);
	if (!usage && o->template)
		usage = ask_template_prepare(at, o);
	if (usage)
		ask_opts_end(o, at);
	return usage;
}

void ask_opts_end(struct ask_opts *o, struct template_prep *at)
{
	template_prep_free(at);
	ask_opts_free(o);
}

void ask_opts_free(struct ask_opts *o)
{
	buf_free(&o->prompt);
	free(o->vars);
	o->vars = NULL;
	ask_kb_free(o->kb_found);
	o->kb_found = NULL;
}
