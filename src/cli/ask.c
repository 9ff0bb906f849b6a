/* aiwb ask: one prompt to one model, streamed to stdout. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "cli/session.h"
#include "llm/provider.h"
#include "llm/run.h"

#define MAX_STOP 16
#define MAX_PROMPT (8u << 20)

struct ask {
	int json, raw, stream;
	struct sanitizer san;
	struct buf out;
	struct run *run;
	struct session *s;
	size_t printed;          /* bytes of the run's text already written */
	int ended_with_newline;
};

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

static int parse_int(const char *cmd, const char *opt, const char *v, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return cli_usage_error(cmd, "%s must be a whole number from %ld to %ld", opt, lo, hi);
	*out = (int)n;
	return 0;
}

static int read_stdin(struct buf *b, struct err *e)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) {
		if (b->len + n > MAX_PROMPT)
			return err_set(e, "the prompt on standard input is larger than %u MiB", MAX_PROMPT >> 20);
		buf_append(b, chunk, n);
	}
	if (ferror(stdin))
		return err_errno(e, "cannot read the prompt from standard input");
	return 0;
}

static void flush_text(struct ask *a, const char *p, size_t n)
{
	buf_reset(&a->out);
	if (a->raw)
		buf_append(&a->out, p, n);
	else
		sanitize_feed(&a->san, p, n, &a->out);
	if (a->out.len) {
		fwrite(a->out.data, 1, a->out.len, stdout);
		fflush(stdout);
		a->ended_with_newline = a->out.data[a->out.len - 1] == '\n';
	}
}

static void on_text(struct run *r, void *ud)
{
	struct ask *a = ud;
	(void)r;
	if (a->json || !a->stream)
		return;
	flush_text(a, r->text.data + a->printed, r->text.len - a->printed);
	a->printed = r->text.len;
}

static void on_done(struct run *r, void *ud)
{
	struct ask *a = ud;
	(void)r;
	loop_stop(a->s->loop);
}

static void on_interrupt(void *ud)
{
	struct ask *a = ud;
	run_cancel(a->run);
}

static void print_metrics(const struct run *r)
{
	struct run_metrics m;
	run_metrics(r, &m);
	char cost[32] = "price unknown";
	if (m.cost_usd >= 0)
		snprintf(cost, sizeof cost, "$%.6f", m.cost_usd);
	char ttft[32] = "no text";
	if (m.ttft_ms >= 0)
		snprintf(ttft, sizeof ttft, "%.0f ms to first token", m.ttft_ms);
	char rate[32] = "";
	if (m.tokens_per_s >= 0)
		snprintf(rate, sizeof rate, ", %.1f tokens/s", m.tokens_per_s);
	fprintf(stderr, "%s: %s, %.0f ms total, %lld in / %lld out tokens%s%s, %s\n", r->model, ttft, m.total_ms,
		(long long)m.input_tokens, (long long)m.output_tokens, m.estimated ? " (estimated)" : "", rate, cost);
}

static const char ask_opts[] = "m:s:h";

int cmd_ask(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },      { "system", required_argument, NULL, 's' },
		{ "temperature", required_argument, NULL, 'T' }, { "top-p", required_argument, NULL, 'P' },
		{ "max-tokens", required_argument, NULL, 'N' },  { "stop", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },              { "no-stream", no_argument, NULL, 'n' },
		{ "raw", no_argument, NULL, 'r' },               { NULL, 0, NULL, 0 },
	};
	const char *model = NULL, *system = NULL, *stops[MAX_STOP];
	struct llm_request rq;
	struct ask a;
	memset(&rq, 0, sizeof rq);
	memset(&a, 0, sizeof a);
	a.stream = 1;
	int ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ask_opts, opts, NULL)) != -1) {
		switch (ch) {
		case 'm': model = optarg; break;
		case 's': system = optarg; break;
		case 'T':
			if (parse_double("ask", "--temperature", optarg, 0, 2, &rq.params.temperature))
				return 2;
			rq.params.has_temperature = 1;
			break;
		case 'P':
			if (parse_double("ask", "--top-p", optarg, 0, 1, &rq.params.top_p))
				return 2;
			rq.params.has_top_p = 1;
			break;
		case 'N':
			if (parse_int("ask", "--max-tokens", optarg, 1, 1000000, &rq.params.max_tokens))
				return 2;
			rq.params.has_max_tokens = 1;
			break;
		case 'S':
			if (rq.params.nstop == MAX_STOP)
				return cli_usage_error("ask", "at most %d --stop sequences", MAX_STOP);
			if (!*optarg)
				return cli_usage_error("ask", "--stop needs a non-empty sequence");
			stops[rq.params.nstop++] = optarg;
			break;
		case 'j': a.json = 1; break;
		case 'n': a.stream = 0; break;
		case 'r': a.raw = 1; break;
		case ':': return cli_usage_error("ask", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("ask", "unknown option '%s'", argv[optind - 1]);
		}
	}
	rq.params.stop = stops;
	if (argc - optind > 1)
		return cli_usage_error("ask", "give the prompt as one argument (quote it), or '-' to read standard input");

	struct buf prompt = BUF_INIT;
	struct err e = ERR_INIT;
	const char *arg = optind < argc ? argv[optind] : NULL;
	if (!arg && isatty(STDIN_FILENO))
		return cli_usage_error("ask", "no prompt: give it as an argument or on standard input");
	if (!arg || strcmp(arg, "-") == 0) {
		if (read_stdin(&prompt, &e) != 0) {
			buf_free(&prompt);
			return cli_fail("ask", "%s", e.msg);
		}
	} else {
		buf_puts(&prompt, arg);
	}
	if (prompt.len == 0) {
		buf_free(&prompt);
		return cli_usage_error("ask", "the prompt is empty");
	}

	struct session s;
	if (session_open(&s, 0, &e) != 0) {
		session_close(&s);
		buf_free(&prompt);
		return cli_fail("ask", "%s", e.msg);
	}
	if (!model)
		model = s.cfg.default_model;
	if (!model) {
		session_close(&s);
		buf_free(&prompt);
		return cli_usage_error("ask", "no model: give -m PROVIDER/MODEL (or set default_model in config.json)");
	}
	char *pname = NULL, *mname = NULL;
	struct provider *p = NULL;
	int rc = 1;
	if (provider_split_model(model, &pname, &mname, &e) != 0 || !(p = provider_open(&s.cfg, pname, &e))) {
		rc = cli_fail("ask", "%s", e.msg);
		goto out;
	}
	struct llm_message msg = { "user", buf_str(&prompt) };
	rq.model = mname;
	rq.system = system;
	rq.messages = &msg;
	rq.nmessages = 1;
	rq.stream = a.stream;
	sanitize_init(&a.san, 0);
	a.s = &s;
	a.ended_with_newline = 1;
	s.on_interrupt = on_interrupt;
	s.ud = &a;
	a.run = run_start(s.loop, p, model, &rq, &s.catalog, on_text, on_done, &a, &e);
	if (!a.run) {
		rc = cli_fail("ask", "%s", e.msg);
		goto out;
	}
	loop_run(s.loop);

	struct run *r = a.run;
	if (!a.json && !a.stream)
		flush_text(&a, buf_str(&r->text), r->text.len);
	if (!a.json && !a.raw) {
		buf_reset(&a.out);
		sanitize_finish(&a.san, &a.out);
		fwrite(a.out.data ? a.out.data : "", 1, a.out.len, stdout);
	}
	if (!a.json && r->text.len && !a.ended_with_newline)
		putchar('\n');
	if (a.json) {
		char *js = run_json(r, !a.raw);
		puts(js);
		free(js);
	}
	fflush(stdout);
	if (s.db && run_save(s.db, r, &rq, "ask", &e) < 0)
		log_warn("history not saved: %s", e.msg);
	if (!a.json && isatty(STDERR_FILENO))
		print_metrics(r);
	switch (r->result.status) {
	case LLM_OK: rc = 0; break;
	case LLM_CANCELLED:
		fprintf(stderr, "aiwb ask: cancelled; the partial answer was kept in history\n");
		rc = 130;
		break;
	case LLM_CUT:
	case LLM_ERROR:
		rc = cli_fail("ask", "%s", r->result.message[0] ? r->result.message : "the call failed");
		break;
	}
	run_free(r);
out:
	provider_free(p);
	free(pname);
	free(mname);
	buf_free(&prompt);
	buf_free(&a.out);
	session_close(&s);
	return rc;
}
