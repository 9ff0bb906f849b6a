/* aiwb chat: a line-mode conversation with a model (docs/chat.md). The
 * conversation itself is chat/conv.h, the KB side chat/retrieve.h; this file
 * reads lines, streams answers and prints. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "chat/conv.h"
#include "chat/retrieve.h"
#include "cli/chatline.h"
#include "cli/cli.h"
#include "cli/kbcommon.h"
#include "kb/context.h"
#include "kb/search.h"
#include "llm/provider.h"
#include "llm/run.h"
#include "prompt/prepare.h"
#include "session.h"

#define CHAT_KB_TOKENS 3000 /* the sources of one turn, at most (the first source always goes) */
#define CHAT_PROMPT "> "

struct chat {
	struct session s;
	struct conv conv;
	struct chatline *line;
	struct provider *p;
	char *pname, *mname;
	const struct catalog *cat;
	struct llm_params params;
	int raw;
	int quit;                /* stop after this pass */
	int stopped_by;          /* the signal that ended the chat, 0 for none */
	int interrupts;          /* Ctrl-C at the prompt, in a row */
	/* the answer streaming */
	struct run *run;
	struct llm_request rq;
	struct sanitizer san;
	struct buf out;
	size_t printed;
	int ended_with_newline;
	int out_failed;          /* errno of a failed write to stdout: the chat then ends */
	int64_t finish_timer;
	char *question;          /* as typed */
	char *extra;             /* the turn's extra history params (KB), or NULL */
	/* --kb */
	const char *kbname, *filter;
	int k;
	enum kb_mode mode;
	struct kb kb;
	struct db *kdb;
	struct chat_kb sent;
	struct kb_results hits;  /* this turn's; the first nused were sent */
	size_t nused, first_number;
	char *kb_query;
	char *prev_question;
};

static const char chat_help[] =
	"Lines you type are sent with the whole conversation so far. Commands:\n"
	"  /model PROVIDER/MODEL  switch model; the conversation continues\n"
	"  /system TEXT           set the system prompt (/system alone shows it, /system - removes it)\n"
	"  /save [FILE]           write the conversation to FILE (.json: JSON, else Markdown; mode 0600)\n"
	"  /clear                 start a new conversation\n"
	"  /help                  this list\n"
	"  /quit                  leave (also Ctrl-D, or Ctrl-C twice at the prompt)\n"
	"A line starting with // is sent with one slash less. Ctrl-C while an answer\n"
	"streams cancels that answer.\n";

/* A line on stderr; it may carry text from servers and users: sanitized, on one line. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *safe = sanitize_str(msg, strlen(msg), 0);
	for (char *p = safe; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	fflush(stdout);
	fprintf(stderr, "%s\n", safe);
	free(safe);
	free(msg);
}

static void next_line(struct chat *c)
{
	if (c->quit) {
		loop_stop(c->s.loop);
		return;
	}
	chatline_read(c->line, CHAT_PROMPT);
}

static int open_model(struct chat *c, const char *spec, struct err *e)
{
	char *pname = NULL, *mname = NULL;
	struct provider *p = NULL;
	if (provider_split_model(spec, &pname, &mname, e) != 0 || !(p = provider_open(&c->s.cfg, pname, e))) {
		free(pname);
		free(mname);
		return -1;
	}
	provider_free(c->p);
	free(c->pname);
	free(c->mname);
	c->p = p;
	c->pname = pname;
	c->mname = mname;
	return 0;
}

static int64_t context_window(const struct chat *c)
{
	const struct catalog_entry *en = c->cat ? catalog_find(c->cat, c->p->name, c->p->type, c->mname) : NULL;
	return en ? en->context : 0;
}

/* ---------------------------------------------------------------- the answer */

/* From the loop, not from inside curl's write callback where text arrives. */
static int64_t stop_unwritable(struct loop *l, int64_t id, void *ud)
{
	struct chat *c = ud;
	(void)l;
	(void)id;
	if (c->run && !c->run->finished)
		run_stop(c->run, c->out_failed == EPIPE ? "stopped: standard output was closed by its reader"
							: "stopped: the answer could not be written to standard output");
	return LOOP_TIMER_DONE;
}

/* A failed write to stdout ends the chat (said once, by cli_close_stdout). */
static void check_stdout(struct chat *c)
{
	if (c->out_failed || (!ferror(stdout) && fflush(stdout) == 0))
		return;
	c->out_failed = errno ? errno : EIO;
	cli_stdout_failed(c->out_failed);
	c->quit = 1;
	if (c->run && !c->run->finished)
		loop_add_timer(c->s.loop, 0, stop_unwritable, c);
}

static void flush_text(struct chat *c, const char *p, size_t n)
{
	buf_reset(&c->out);
	if (c->raw)
		buf_append(&c->out, p, n);
	else
		sanitize_feed(&c->san, p, n, &c->out);
	if (c->out.len && !c->out_failed) {
		errno = 0;
		fwrite(c->out.data, 1, c->out.len, stdout);
		check_stdout(c);
		c->ended_with_newline = c->out.data[c->out.len - 1] == '\n';
	}
}

static void on_text(struct run *r, void *ud)
{
	struct chat *c = ud;
	flush_text(c, r->text.data + c->printed, r->text.len - c->printed);
	c->printed = r->text.len;
}

static void print_footer(const struct chat *c, const struct run_metrics *m)
{
	char usd[64], total[64];
	const struct conv *v = &c->conv;
	metrics_usd(usd, sizeof usd, m->cost_usd, "price unknown");
	if (v->cost_unknown && v->cost_usd == 0)
		snprintf(total, sizeof total, "price unknown");
	else
		metrics_usd(total, sizeof total, v->cost_usd, "price unknown");
	note("[turn %d · %lld in / %lld out tokens%s · %s · conversation: %d turn%s, %lld in / %lld out, %s%s]",
	     v->turns, (long long)m->input_tokens, (long long)m->output_tokens, m->estimated ? " (estimated)" : "", usd,
	     v->turns, v->turns == 1 ? "" : "s", (long long)v->input_tokens, (long long)v->output_tokens, total,
	     v->cost_unknown && v->cost_usd > 0 ? " + unpriced turns" : "");
}

static void print_sources(const struct chat *c)
{
	char *q = cli_flat(c->kb_query);
	printf("\nSources (%s, %s, searched for \"%s\"):\n", c->kb.name, kb_mode_name(c->mode), q);
	free(q);
	if (!c->nused)
		printf("  none new: the sources sent earlier in this conversation still apply\n");
	for (size_t i = 0; i < c->nused; i++) {
		char *d = cli_flat(c->hits.v[i].doc_name), *h = cli_flat(c->hits.v[i].heading);
		printf("  [%zu] %s%s%s  (score %.4f)\n", c->first_number + i, d, *h ? " › " : "", h, c->hits.v[i].score);
		free(d);
		free(h);
	}
}

static int64_t finish_turn(struct loop *l, int64_t id, void *ud)
{
	struct chat *c = ud;
	(void)l;
	(void)id;
	c->finish_timer = 0;
	struct run *r = c->run;
	buf_reset(&c->out);
	if (!c->raw)
		sanitize_finish(&c->san, &c->out);
	fwrite(c->out.data ? c->out.data : "", 1, c->out.len, stdout);
	if (r->text.len && !c->ended_with_newline)
		putchar('\n');
	errno = 0;
	check_stdout(c);
	struct run_metrics m;
	run_metrics(r, &m);
	int64_t run_id = session_save_turn(&c->s, r, &c->rq, "chat", c->extra, conv_next_conversation(&c->conv),
					   conv_next_turn(&c->conv));
	int answered = r->result.status != LLM_ERROR && r->text.len > 0;
	char *text = answered ? xstrndup(r->text.data, r->text.len) : NULL;
	conv_end_turn(&c->conv, text, &m, run_id);
	free(text);
	switch (r->result.status) {
	case LLM_OK: break;
	case LLM_CANCELLED:
		note("aiwb chat: cancelled%s", answered ? "; the partial answer stays in the conversation" : "");
		break;
	case LLM_CUT:
		note("aiwb chat: the answer was cut short: %s", r->result.message[0] ? r->result.message : "the stream ended early");
		break;
	case LLM_ERROR:
		note("aiwb chat: %s: %s", r->model, r->result.message[0] ? r->result.message : "the call failed");
		break;
	}
	print_footer(c, &m);
	if (c->kdb) {
		if (answered) {
			chat_kb_mark_sent(&c->sent, &c->hits, c->nused);
			free(c->prev_question);
			c->prev_question = xstrdup(c->question);
		}
		print_sources(c);
		errno = 0;
		check_stdout(c);
	}
	run_free(r);
	c->run = NULL;
	c->s.interrupted = 0;
	c->s.signo = 0;
	next_line(c);
	return LOOP_TIMER_DONE;
}

static void on_done(struct run *r, void *ud)
{
	struct chat *c = ud;
	(void)r;
	if (!c->finish_timer)
		c->finish_timer = loop_add_timer(c->s.loop, 0, finish_turn, c);
}

/* ---------------------------------------------------------------- --kb */

static void kb_turn_clear(struct chat *c)
{
	kb_results_free(&c->hits);
	memset(&c->hits, 0, sizeof c->hits);
	c->nused = 0;
	free(c->kb_query);
	c->kb_query = NULL;
}

static char *kb_params(const struct chat *c)
{
	cJSON *o = cJSON_CreateObject(), *kb = cJSON_AddObjectToObject(o, "kb");
	cJSON_AddStringToObject(kb, "name", c->kb.name);
	cJSON_AddStringToObject(kb, "mode", kb_mode_name(c->mode));
	cJSON_AddStringToObject(kb, "query", c->kb_query);
	cJSON *ids = cJSON_AddArrayToObject(kb, "chunks");
	for (size_t i = 0; i < c->nused; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)c->hits.v[i].chunk_id));
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The rag template's user message for question over sources (also gives its
 * system prompt and parameters to fill gaps); NULL after printing why. */
static char *rag_message(struct chat *c, const char *question, const char *sources, char **system)
{
	char *set = xasprintf("context=%s", sources);
	const char *sets[] = { set };
	struct template_input in = { .sets = sets, .nsets = 1, .prompt = question };
	struct template_prep tp;
	struct err e = ERR_INIT;
	char *msg = NULL;
	if (template_prepare(&tp, "rag", &in, 1, &c->params, &e) != PREP_OK || !tp.nmessages)
		note("aiwb chat: the rag template cannot be used: %s", e.msg[0] ? e.msg : "it has no user message");
	else
		msg = xstrdup(tp.messages[tp.nmessages - 1].content);
	if (system)
		*system = tp.system ? xstrdup(tp.system) : NULL;
	template_prep_free(&tp);
	free(set);
	return msg;
}

/* Retrieves for question and returns the user message with the new sources. */
static char *kb_turn(struct chat *c, const char *question)
{
	kb_turn_clear(c);
	c->kb_query = chat_kb_query(question, c->prev_question);
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = c->kb_query;
	size_t want = (size_t)c->k + c->sent.nsent;
	so.k = want > KB_SEARCH_K_MAX ? KB_SEARCH_K_MAX : (int)want;
	so.mode = c->mode;
	so.filter = c->filter;
	so.with_text = 1;
	if (cli_kb_search(c->kdb, &c->kb, &so, &c->hits, NULL, "chat") != 0)
		return NULL;
	size_t fresh = chat_kb_fresh(&c->sent, &c->hits, (size_t)c->k);
	struct kb_results view = c->hits;
	view.n = fresh;
	c->first_number = c->sent.next_number;
	char *sources = kb_sources_context_from(&view, c->first_number, CHAT_KB_TOKENS, &c->nused);
	if (!c->nused) {
		free(sources);
		sources = xstrdup("No new sources were found for this question; the numbered sources given earlier "
				  "in this conversation still apply.");
	}
	char *msg = rag_message(c, question, sources, NULL);
	free(sources);
	return msg;
}

/* ---------------------------------------------------------------- a turn */

static void warn_window(struct chat *c, const char *text)
{
	int64_t est, window = context_window(c);
	enum conv_window w = conv_window_check(&c->conv, text, window, &est);
	if (w == CONV_WINDOW_NEAR)
		note("aiwb chat: this send is about %lld tokens, %lld%% of %s's context window of %lld; "
		     "/clear starts a new conversation", (long long)est, (long long)(est * 100 / window), c->conv.model,
		     (long long)window);
	else if (w == CONV_WINDOW_OVER)
		note("aiwb chat: this send is about %lld tokens, more than %s's context window of %lld, so the model "
		     "may refuse it; /clear starts a new conversation", (long long)est, c->conv.model, (long long)window);
}

static void send_turn(struct chat *c, const char *text)
{
	char *msg = c->kdb ? kb_turn(c, text) : xstrdup(text);
	if (!msg) {
		next_line(c);
		return;
	}
	warn_window(c, msg);
	free(c->question);
	c->question = xstrdup(text);
	free(c->extra);
	c->extra = c->kdb ? kb_params(c) : NULL;
	conv_begin_turn(&c->conv, msg);
	free(msg);
	memset(&c->rq, 0, sizeof c->rq);
	conv_request(&c->conv, &c->rq);
	c->rq.model = c->mname;
	c->rq.params = c->params;
	c->rq.stream = 1;
	sanitize_init(&c->san, 0);
	c->printed = 0;
	c->ended_with_newline = 1;
	struct err e = ERR_INIT;
	c->run = run_start(c->s.loop, c->p, c->conv.model, &c->rq, c->cat, on_text, on_done, c, &e);
	if (!c->run) {
		note("aiwb chat: %s", e.msg);
		conv_end_turn(&c->conv, NULL, NULL, 0);
		next_line(c);
	}
}

/* ---------------------------------------------------------------- commands */

static void default_save_name(const struct chat *c, char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	char when[32] = "now";
	if (localtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
	if (c->conv.id)
		snprintf(out, n, "aiwb-chat-%lld.md", (long long)c->conv.id);
	else
		snprintf(out, n, "aiwb-chat-%s.md", when);
}

static void command(struct chat *c, char *cmd)
{
	char *arg = cmd + strcspn(cmd, " \t");
	if (*arg)
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	struct err e = ERR_INIT;
	if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0 || strcmp(cmd, "q") == 0) {
		c->quit = 1;
	} else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "?") == 0) {
		fputs(chat_help, stdout);
	} else if (strcmp(cmd, "model") == 0) {
		if (!*arg) {
			char *m = cli_flat(c->conv.model);
			note("model: %s (/model PROVIDER/MODEL switches)", m);
			free(m);
		} else if (open_model(c, arg, &e) != 0) {
			note("aiwb chat: %s; the model stays %s", e.msg, c->conv.model);
		} else {
			conv_set_model(&c->conv, arg);
			char *m = cli_flat(arg);
			note("model: %s; the conversation continues", m);
			free(m);
		}
	} else if (strcmp(cmd, "system") == 0) {
		if (!*arg) {
			char *sys = cli_flat(c->conv.system ? c->conv.system : "(none)");
			note("system: %s", sys);
			free(sys);
		} else if (strcmp(arg, "-") == 0) {
			conv_set_system(&c->conv, NULL);
			note("system prompt removed");
		} else {
			conv_set_system(&c->conv, arg);
			note("system prompt set for the next turns");
		}
	} else if (strcmp(cmd, "save") == 0) {
		char name[64];
		const char *path = arg;
		if (!*path) {
			default_save_name(c, name, sizeof name);
			path = name;
		}
		if (conv_save_file(&c->conv, path, &e) != 0) {
			note("aiwb chat: %s", e.msg);
		} else {
			char *p = cli_flat(path);
			note("saved %zu messages to %s", c->conv.nmessages, p);
			free(p);
		}
	} else if (strcmp(cmd, "clear") == 0) {
		conv_clear(&c->conv);
		chat_kb_reset(&c->sent);
		free(c->prev_question);
		c->prev_question = NULL;
		note("new conversation with %s", c->conv.model);
	} else {
		char *what = cli_flat(cmd);
		note("aiwb chat: unknown command /%s; /help lists the commands", what);
		free(what);
	}
	next_line(c);
}

static void on_line(char *line, void *ud)
{
	struct chat *c = ud;
	if (!line) {
		c->quit = 1;
		loop_stop(c->s.loop);
		return;
	}
	c->interrupts = 0;
	size_t n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
	const char *text = line + strspn(line, " \t");
	if (!*text)
		next_line(c);
	else if (text[0] == '/' && text[1] != '/')
		command(c, line + (text - line) + 1);
	else
		send_turn(c, text[0] == '/' ? text + 1 : text);
	free(line);
}

static void on_interrupt(void *ud)
{
	struct chat *c = ud;
	int sig = c->s.signo;
	c->s.signo = 0;
	if (c->run && !c->run->finished) {
		run_cancel(c->run);
		if (sig == SIGINT)
			return;
	}
	if (sig == SIGINT && ++c->interrupts < 2) {
		chatline_interrupt(c->line, "(Ctrl-C again, Ctrl-D or /quit to leave)");
		c->s.interrupted = 0;
		return;
	}
	c->stopped_by = sig;
	c->quit = 1;
	if (!c->run)
		loop_stop(c->s.loop);
}

/* ---------------------------------------------------------------- setup */

static int parse_args(struct chat *c, int argc, char **argv, const char **model, const char **system)
{
	static const struct option opts[] = {
		{ "model", required_argument, NULL, 'm' },       { "system", required_argument, NULL, 's' },
		{ "kb", required_argument, NULL, 'K' },          { "mode", required_argument, NULL, 'M' },
		{ "filter", required_argument, NULL, 'f' },      { "temperature", required_argument, NULL, 'T' },
		{ "max-tokens", required_argument, NULL, 'N' },  { "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, mode;
	long n;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":m:s:k:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': *model = optarg; break;
		case 's': *system = optarg; break;
		case 'K': c->kbname = optarg; break;
		case 'f': c->filter = optarg; break;
		case 'r': c->raw = 1; break;
		case 'k':
			if (cli_parse_long("chat", "-k", optarg, 1, 50, &n))
				return 2;
			c->k = (int)n;
			break;
		case 'M':
			if ((mode = kb_mode_parse(optarg)) < 0)
				return cli_usage_error("chat", "--mode must be bm25, vector or hybrid");
			c->mode = (enum kb_mode)mode;
			break;
		case 'T': {
			char *end;
			errno = 0;
			double t = strtod(optarg, &end);
			if (errno || end == optarg || *end || t < 0 || t > 2)
				return cli_usage_error("chat", "--temperature must be a number from 0 to 2");
			c->params.temperature = t;
			c->params.has_temperature = 1;
			break;
		}
		case 'N':
			if (cli_parse_long("chat", "--max-tokens", optarg, 1, 1000000, &n))
				return 2;
			c->params.max_tokens = (int)n;
			c->params.has_max_tokens = 1;
			break;
		case ':': return cli_usage_error("chat", "%s needs a value", argv[optind - 1]);
		default: return cli_usage_error("chat", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("chat", "chat takes no prompt argument; type the lines after it starts "
				       "(or pipe them in)");
	if (!c->kbname && (c->k || c->filter || c->mode != KB_MODE_BM25))
		return cli_usage_error("chat", "-k, --mode and --filter go with --kb NAME");
	if (!c->k)
		c->k = 5;
	return 0;
}

static void chat_free(struct chat *c)
{
	if (c->finish_timer)
		loop_del_timer(c->s.loop, c->finish_timer);
	run_free(c->run);
	chatline_free(c->line);
	conv_free(&c->conv);
	provider_free(c->p);
	free(c->pname);
	free(c->mname);
	buf_free(&c->out);
	free(c->question);
	free(c->extra);
	kb_turn_clear(c);
	free(c->prev_question);
	chat_kb_free(&c->sent);
	if (c->kdb) {
		db_close(c->kdb);
		kb_free(&c->kb);
	}
	session_close(&c->s);
}

int cmd_chat(int argc, char **argv)
{
	struct chat c;
	memset(&c, 0, sizeof c);
	const char *model = NULL, *system = NULL;
	int rc = parse_args(&c, argc, argv, &model, &system);
	if (rc)
		return rc;
	chat_kb_init(&c.sent);
	struct err e = ERR_INIT;
	if (session_open(&c.s, 0, &e) != 0) {
		session_close(&c.s);
		return cli_fail("chat", "%s", e.msg);
	}
	c.cat = &c.s.catalog;
	if (!model)
		model = c.s.cfg.default_model;
	if (!model) {
		chat_free(&c);
		return cli_usage_error("chat", "no model: give -m PROVIDER/MODEL (or set default_model in config.json)");
	}
	if (open_model(&c, model, &e) != 0) {
		chat_free(&c);
		return cli_fail("chat", "%s", e.msg);
	}
	char *rag_system = NULL;
	if (c.kbname) {
		cli_kb_seed_demo();
		int status = 0;
		if (!(c.kdb = cli_kb_open(c.kbname, 0, &c.kb, &status))) {
			chat_free(&c);
			return status;
		}
		char *probe = rag_message(&c, "?", "-", &rag_system);
		if (!probe) {
			chat_free(&c);
			return 1;
		}
		free(probe);
	}
	conv_init(&c.conv, model, system ? system : rag_system);
	free(rag_system);
	const char *why = NULL;
	c.line = chatline_new(c.s.loop, STDIN_FILENO, on_line, &c, &why);
	if (why)
		note("aiwb chat: no line editing (%s); lines are read as typed", why);
	if (isatty(STDIN_FILENO)) {
		char *m = cli_flat(model);
		note("Chatting with %s%s%s. /help lists the commands; Ctrl-D or /quit leaves.", m,
		     c.kdb ? " over the knowledge base " : "", c.kdb ? c.kb.name : "");
		free(m);
	}
	c.s.on_interrupt = on_interrupt;
	c.s.ud = &c;
	next_line(&c);
	loop_run(c.s.loop);
	rc = c.stopped_by ? 128 + c.stopped_by : c.s.unsaved || c.out_failed ? 1 : 0;
	chat_free(&c);
	return rc;
}
