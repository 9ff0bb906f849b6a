/* aiwb ask: one prompt to one model, streamed to stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "chat/conv.h"
#include "cli/askguard.h"
#include "cli/askopts.h"
#include "cli/cli.h"
#include "session.h"
#include "llm/provider.h"
#include "llm/run.h"
#include "prompt/render.h"
#include "store/history.h"


struct ask {
	int json, raw, stream;
	struct sanitizer san;
	struct buf out;
	struct run *run;
	struct session *s;
	size_t printed;          /* bytes of the run's text already written */
	int ended_with_newline;
	int out_failed;          /* errno of a failed write of the answer; the call is then stopped */
};

/* From the loop, not from inside curl's write callback where text arrives. */
static int64_t stop_unwritable(struct loop *l, int64_t id, void *ud)
{
	struct ask *a = ud;
	(void)l;
	(void)id;
	run_stop(a->run, a->out_failed == EPIPE ? "stopped: standard output was closed by its reader"
						: "stopped: the answer could not be written to standard output");
	return LOOP_TIMER_DONE;
}

static void flush_text(struct ask *a, const char *p, size_t n)
{
	buf_reset(&a->out);
	if (a->raw)
		buf_append(&a->out, p, n);
	else
		sanitize_feed(&a->san, p, n, &a->out);
	if (a->out.len && !a->out_failed) {
		errno = 0;
		if (fwrite(a->out.data, 1, a->out.len, stdout) != a->out.len || fflush(stdout) != 0) {
			a->out_failed = errno ? errno : EIO;
			cli_stdout_failed(a->out_failed);
			if (a->run && !a->run->finished)
				loop_add_timer(a->s->loop, 0, stop_unwritable, a);
		}
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
	struct buf line = BUF_INIT;
	run_metrics(r, &m);
	metrics_line(&line, &m, METRICS_LINE_TTFT | METRICS_LINE_RATE);
	fprintf(stderr, "%s: %s\n", r->model, buf_str(&line));
	buf_free(&line);
}

/* Takes --continue [ID] (or --continue=ID) out of argv: *id is the run to
 * continue, 0 for the latest, -1 without the option. The word after
 * --continue is its ID when it is a number ("#12" too). 0, or a usage error. */
static int take_continue(int *argc, char **argv, int64_t *id)
{
	*id = -1;
	int out = 0;
	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (i == 0 || (strcmp(a, "--continue") != 0 && strncmp(a, "--continue=", 11) != 0)) {
			argv[out++] = argv[i];
			continue;
		}
		if (*id >= 0)
			return cli_usage_error("ask", "give --continue once");
		const char *v = a[10] == '=' ? a + 11 : i + 1 < *argc ? argv[i + 1] : NULL;
		const char *digits = v && *v == '#' ? v + 1 : v;
		int numeric = digits && *digits && strspn(digits, "0123456789") == strlen(digits);
		if (a[10] == '=' && !numeric)
			return cli_usage_error("ask", "--continue= takes a run id such as 42 (as 'aiwb history' lists)");
		*id = 0;
		if (numeric) {
			*id = strtoll(digits, NULL, 10);
			if (*id < 1)
				return cli_usage_error("ask", "the run id of --continue must be 1 or more");
			if (a[10] != '=')
				i++;
		}
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

/* The conversation --continue names, with the model and system prompt the
 * command line gives; 0, or the exit status of the error printed. */
static int load_conversation(struct session *s, int64_t id, const struct ask_opts *o, struct conv *conv)
{
	struct err e = ERR_INIT;
	int missing = 0;
	if (!s->db && !(s->db = session_writable_db(1, &missing, &e)))
		return cli_fail("ask", "%s", e.msg);
	if (!id && (id = history_latest_id(s->db, &e)) <= 0)
		return id < 0 ? cli_fail("ask", "%s", e.msg)
			      : cli_fail("ask", "there is no run in the history to continue; ask something first");
	int found = conv_load(conv, s->db, id, &e);
	if (found <= 0)
		return found < 0 ? cli_fail("ask", "%s", e.msg)
				 : cli_fail("ask", "there is no run %lld in the history to continue; 'aiwb history' "
					    "lists the saved runs", (long long)id);
	if (o->nmodels)
		conv_set_model(conv, o->models[0]);
	if (o->system)
		conv_set_system(conv, o->system);
	return 0;
}

/* ask --json of a continued conversation names it and the turn. */
static char *with_turn(char *js, const struct conv *conv)
{
	cJSON *o = cJSON_Parse(js);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return js;
	}
	cJSON_AddNumberToObject(o, "conversation", (double)conv_next_conversation(conv));
	cJSON_AddNumberToObject(o, "turn", conv_next_turn(conv));
	free(js);
	js = cJSON_Print(o);
	cJSON_Delete(o);
	return js;
}

int cmd_ask(int argc, char **argv)
{
	struct ask_opts o;
	struct ask a;
	struct llm_request rq;
	struct template_prep at;
	struct askguard ag;
	memset(&ag, 0, sizeof ag);
	memset(&a, 0, sizeof a);
	memset(&rq, 0, sizeof rq);
	int64_t continue_id;
	struct conv conv;
	memset(&conv, 0, sizeof conv);
	int usage = take_continue(&argc, argv, &continue_id);
	if (usage)
		return usage;
	usage = ask_opts_start(&o, &at, "ask", 1, argc, argv);
	if (usage)
		return usage;
	if (continue_id >= 0 && o.template) {
		ask_opts_end(&o, &at);
		return cli_usage_error("ask", "--continue sends the conversation's own messages; leave out -t and --kb");
	}
	a.json = o.json;
	a.raw = o.raw;
	a.stream = o.stream;
	rq.params = o.params;
	const char *model = o.nmodels ? o.models[0] : NULL;
	const char *system = o.system;
	struct err e = ERR_INIT;

	struct session s;
	if (session_open(&s, SESSION_LATE_CATALOG, &e) != 0) {
		session_close(&s);
		ask_opts_end(&o, &at);
		return cli_fail("ask", "%s", e.msg);
	}
	if (continue_id >= 0) {
		if ((usage = load_conversation(&s, continue_id, &o, &conv)) != 0) {
			session_close(&s);
			ask_opts_end(&o, &at);
			return usage;
		}
		model = conv.model;
	}
	if (!model)
		model = s.cfg.default_model;
	if (!model) {
		session_close(&s);
		ask_opts_end(&o, &at);
		return cli_usage_error("ask", "no model: give -m PROVIDER/MODEL (or set default_model in config.json)");
	}
	char *pname = NULL, *mname = NULL;
	struct provider *p = NULL;
	int rc = 1;
	if (provider_split_model(model, &pname, &mname, &e) != 0 || !(p = provider_open(&s.cfg, pname, &e))) {
		rc = cli_fail("ask", "%s", e.msg);
		goto out;
	}
	if ((rc = askguard_open(&ag, "ask", o.guard, &s)) != 0)
		goto out;
	rc = 1;
	if (at.t && (template_is_chain(at.t) || template_is_sampled(at.t))) {
		if (askguard_on(&ag))
			rc = cli_fail("ask", "--guard checks one-call prompts; this template makes several calls");
		else if (!session_catalog(&s, &e))
			rc = cli_fail("ask", "%s", e.msg);
		else
			rc = ask_template_run(&at, &o, &s, p, model, mname);
		goto out;
	}
	struct llm_message msg = { "user", buf_str(&o.prompt) };
	for (size_t i = 0; i < (at.t ? at.nmessages : 1); i++)
		if ((rc = askguard_prompt(&ag, &s, at.t ? &at.messages[i].content : &msg.content)) != 0)
			goto out;
	rc = 1;
	rq.model = mname;
	rq.system = system;
	rq.messages = at.t ? at.messages : &msg;
	rq.nmessages = at.t ? at.nmessages : 1;
	if (continue_id >= 0) {
		conv_begin_turn(&conv, msg.content);
		conv_request(&conv, &rq);
	}
	rq.stream = a.stream;
	sanitize_init(&a.san, 0);
	a.s = &s;
	a.ended_with_newline = 1;
	s.on_interrupt = on_interrupt;
	s.ud = &a;
	a.run = run_start(s.loop, p, model, &rq, NULL, on_text, on_done, &a, &e);
	if (!a.run) {
		rc = cli_fail("ask", "%s", e.msg);
		goto out;
	}
	loop_run(s.loop);

	struct run *r = a.run;
	const struct catalog *cat = session_catalog(&s, &e);
	if (cat) {
		run_set_price(r, p, mname, cat);
	} else {
		log_warn("run not priced: %s", e.msg);
		fprintf(stderr, "aiwb: the run has no price: %s\n", e.msg);
	}
	askguard_answer(&ag, &s, r, a.stream && !a.json);
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
		char *js = askguard_json_wrap(&ag, run_json(r, !a.raw));
		js = ask_kb_json_wrap(o.kb_found, js);
		if (continue_id >= 0)
			js = with_turn(js, &conv);
		cli_print_json_text(js);
	}
	if (!a.json && o.kb_found)
		ask_kb_print_sources(o.kb_found);
	fflush(stdout);
	askguard_report(&ag);
	char *tmpl = at.t ? template_history_json(at.t, at.vars) : NULL;
	char *params = ask_kb_params(o.kb_found, tmpl);
	int saved = continue_id >= 0 ? session_save_turn(&s, r, &rq, "ask", params, conv_next_conversation(&conv),
							 conv_next_turn(&conv)) > 0
				     : session_save(&s, r, &rq, "ask", params) == 0;
	free(params);
	free(tmpl);
	if (!a.json && isatty(STDERR_FILENO)) {
		print_metrics(r);
		if (continue_id >= 0)
			fprintf(stderr, "turn %d of conversation %lld ('aiwb history show %lld' shows it)\n",
				conv_next_turn(&conv), (long long)conv_next_conversation(&conv),
				(long long)conv_next_conversation(&conv));
	}
	switch (r->result.status) {
	case LLM_OK: rc = saved ? 0 : 1; break;
	case LLM_CANCELLED:
		if (a.out_failed) {
			rc = 1; /* said once by cli_close_stdout */
			break;
		}
		if (saved)
			fprintf(stderr, "aiwb ask: cancelled; the partial answer was kept in history\n");
		rc = session_interrupt_status(&s);
		break;
	case LLM_CUT:
	case LLM_ERROR:
		rc = cli_fail("ask", "%s", r->result.message[0] ? r->result.message : "the call failed");
		break;
	}
	if (rc == 0 && ag.blocked)
		rc = ASKGUARD_BLOCKED;
	run_free(r);
out:
	conv_free(&conv);
	askguard_close(&ag);
	provider_free(p);
	free(pname);
	free(mname);
	ask_opts_end(&o, &at);
	buf_free(&a.out);
	session_close(&s);
	return rc;
}
