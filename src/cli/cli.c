#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"

const char *(*cli_ui_version)(void);
const char *(*cli_readline_version)(void);

static const char doctor_usage[] =
	"usage: aiwb doctor [--json]\n"
	"\n"
	"Shows what aiwb sees: version, data home, config file, library versions and\n"
	"curl features, SQLite with FTS5, and for each provider whether credentials are\n"
	"present and where they come from (never the secret itself).\n"
	"\n"
	"  --json    one JSON object on stdout (documented in docs/cli.md)\n"
	"  -h, --help\n"
	"\n"
	"Exit status: 0 when aiwb can run, 1 when something stops it (the problem is named).\n";

static const char keys_usage[] =
	"usage: aiwb keys set PROVIDER     read an API key from standard input and store it\n"
	"       aiwb keys rm PROVIDER      remove a stored key\n"
	"       aiwb keys ls [--json]      where each provider's credentials come from\n"
	"\n"
	"Keys are stored one per file in $AIWB_HOME/keys/PROVIDER, created with mode 0600.\n"
	"The key is read from standard input (hidden when it is a terminal), never from\n"
	"the command line, so it does not land in shell history or the process list:\n"
	"  aiwb keys set openai            (type or paste the key)\n"
	"  pass show openai | aiwb keys set openai\n"
	"A key variable in the environment (OPENAI_API_KEY, ...) takes precedence over the file.\n"
	"Bedrock uses the AWS credential chain and Ollama needs no key.\n";

static const char ask_usage[] =
	"usage: aiwb ask -m PROVIDER/MODEL [--system S] [--temperature X] [--top-p X]\n"
	"                [--max-tokens N] [--stop S]... [--json] [--no-stream] [--raw] [PROMPT | -]\n"
	"       aiwb ask -m PROVIDER/MODEL -t TEMPLATE [--var K=V]... [--vars-file F.json] [options] [PROMPT | -]\n"
	"\n"
	"Sends one prompt to one model and streams the answer to stdout as it arrives.\n"
	"The prompt is the argument, or standard input with '-' or when no argument is\n"
	"given. Model text passes through the terminal sanitizer (no escape sequences or\n"
	"control characters reach your terminal) unless --raw. Every run is saved to the\n"
	"history, without credentials. With stderr on a terminal a line of metrics follows:\n"
	"time to first token, total time, tokens in/out, tokens/s, cost.\n"
	"\n"
	"  -m, --model PROVIDER/MODEL  e.g. openai/gpt-4o-mini, anthropic/claude-3-5-haiku-latest,\n"
	"                              bedrock/anthropic.claude-3-haiku-20240307-v1:0, ollama/llama3.1\n"
	"                              (default: default_model in config.json)\n"
	"  -s, --system S              system prompt\n"
	"  --temperature X             0 to 2        --top-p X        0 to 1\n"
	"  --max-tokens N              answer length cap\n"
	"  --stop S                    stop sequence (repeatable, up to 16)\n"
	"  --json                      one JSON object on stdout instead of the text, on one line (docs/cli.md)\n"
	"  --pretty                    with --json: the object indented, for reading\n"
	"  --no-stream                 one non-streaming call\n"
	"  --raw                       print model text without sanitizing it\n"
	"  -t, --template NAME|FILE    render a prompt template into the request ('aiwb prompt ls');\n"
	"                              its parameters are defaults the options above override.\n"
	"                              The PROMPT, if given, fills the template's first variable.\n"
	"                              A multi-step template runs its steps in order; a\n"
	"                              self-consistency one samples at once and prints the vote\n"
	"  --var K=V                   a template variable (repeatable)\n"
	"  --vars-file F.json          template variables from a JSON object (--var wins)\n"
	"  --guard MODE                check the prompt before sending and the answer after it\n"
	"                              (docs/guard.md): off, report, mask (send it masked),\n"
	"                              block (refuse it), or bedrock:ID:VERSION (a Bedrock\n"
	"                              guardrail); default: guard.action in config.json (off)\n"
	"  --continue [ID]             one more turn of the conversation of run ID (default: the\n"
	"                              latest run): its messages and PROMPT go to its model (or\n"
	"                              -m's), saved as its next turn (docs/chat.md)\n"
	"  --kb NAME [-k N] [--mode bm25|vector|hybrid] [--filter EXPR] [--rerank R]\n"
	"                              answer from a knowledge base: the k best chunks (default 5;\n"
	"                              --rerank mmr|bedrock:ID|llm:P/M as in kb search) go to the\n"
	"                              built-in rag template as numbered sources, quoted\n"
	"                              as data; the sources follow the answer (--json: \"sources\")\n"
	"\n"
	"Exit status: 0 when the model finished; 1 on an error or a cut stream (the\n"
	"partial answer is printed and kept) or when the run could not be saved; 2 on a\n"
	"usage error; 3 when the guard blocked the prompt or the answer; 130 when\n"
	"interrupted (129 on SIGHUP, 143 on SIGTERM).\n";

static const char chat_usage[] =
	"usage: aiwb chat -m PROVIDER/MODEL [-s SYSTEM] [--temperature X] [--max-tokens N] [--raw]\n"
	"                 [--kb NAME [-k N] [--mode bm25|vector|hybrid] [--filter EXPR]]\n"
	"\n"
	"A conversation on the command line: each line you type is sent with every\n"
	"message so far, the answer streams to stdout, then a footer on stderr gives the\n"
	"turn's tokens in/out and cost and the conversation's totals. With stdin on a\n"
	"terminal lines are edited with GNU readline (Up/Down recall this chat's lines);\n"
	"otherwise lines are read as they come, so a conversation can be piped in. Every\n"
	"turn is saved to the history as a run of one conversation ('aiwb history' lists\n"
	"it as one row, 'aiwb history show ID' shows its turns). A send that nears the\n"
	"model's context window (90% of it, from the catalog) is flagged first.\n"
	"\n"
	"  -m, --model PROVIDER/MODEL  the model (default: default_model in config.json)\n"
	"  -s, --system S              system prompt\n"
	"  --temperature X, --max-tokens N, --raw   as for aiwb ask\n"
	"  --kb NAME                   answer from a knowledge base: every turn retrieves again\n"
	"                              with a query rewritten from the conversation (the new\n"
	"                              question plus up to 5 salient words of the previous one),\n"
	"                              sends the k best chunks not sent before (at most 3000\n"
	"                              tokens of sources) through the rag template, and lists\n"
	"                              the sources after the answer\n"
	"  -k N, --mode M, --filter F  retrieval as for aiwb ask --kb (default k 5, bm25)\n"
	"\n"
	"Commands: /model PROVIDER/MODEL (switch; the conversation continues), /system TEXT\n"
	"(/system alone shows it, /system - removes it), /save [FILE] (Markdown, or JSON\n"
	"when FILE ends in .json; mode 0600), /clear (a new conversation), /help, /quit.\n"
	"A line starting with // is sent with one slash less. Ctrl-C while an answer\n"
	"streams cancels that answer; Ctrl-C twice at the prompt, Ctrl-D or /quit leaves.\n"
	"See docs/chat.md.\n"
	"\n"
	"Exit status: 0 at the end of the input or /quit; 1 when a turn could not be\n"
	"saved; 2 on a usage error; 130 when left with Ctrl-C (143 on SIGTERM).\n";

static const char models_usage[] =
	"usage: aiwb models [--provider P] [--json]\n"
	"\n"
	"Asks every provider (or only P) at once whether it is usable and reachable,\n"
	"and lists its models with context window and price per 1M tokens (from the\n"
	"catalog shipped with aiwb and your config \"prices\"). A provider that cannot\n"
	"be used or reached says why in one line.\n"
	"\n"
	"  -p, --provider P  one provider (exit 1 when it is not reachable)\n"
	"  --json            one JSON object on stdout (docs/cli.md)\n";

static const char compare_usage[] =
	"usage: aiwb compare -m PROVIDER/MODEL -m PROVIDER/MODEL [-m ...] [same options as ask] [PROMPT | -]\n"
	"\n"
	"Sends one prompt to several models at once (up to 16), all streaming together,\n"
	"then prints the answers one after another and a table of their metrics: time\n"
	"to first token, total time, tokens in/out, tokens/s, cost, stop reason and\n"
	"whether each answer is complete. One model failing never stops the others; its\n"
	"row says why. Every answer is saved to the history.\n"
	"\n"
	"Options as for aiwb ask: --system, --temperature, --top-p, --max-tokens, --stop,\n"
	"--no-stream, --raw, -t TEMPLATE with --var K=V and --vars-file F.json (one-call\n"
	"templates), --guard MODE (the prompt is checked once, each answer after it),\n"
	"and --json, which prints {\"prompt\", \"results\": [one aiwb ask --json object\n"
	"per model]} (and \"guard\" with --guard).\n"
	"\n"
	"  --kb NAME [-k N] [--mode bm25|vector|hybrid] [--filter EXPR] [--rerank R]\n"
	"      answer from a knowledge base: the question is searched once (and\n"
	"      reranked with --rerank, as in kb search) and every\n"
	"      model gets the same rag prompt with the same numbered sources; the\n"
	"      sources are printed once after the table (--json: \"kb\", \"sources\")\n"
	"\n"
	"Exit status: 0 when every model finished; 1 when any failed, was cut or was not\n"
	"saved; 2 on a usage error; 3 when the guard blocked the prompt or an answer;\n"
	"130 when interrupted (129 on SIGHUP, 143 on SIGTERM).\n";

static const char history_usage[] =
	"usage: aiwb history [QUERY] [--json [--pretty]] [-n N] [--offset N] [--model M] [--raw]\n"
	"       aiwb history show ID [--json [--pretty]] [--raw]\n"
	"\n"
	"Every ask, compare and experiment run and every chat turn is saved; a\n"
	"conversation lists as one row with its number of turns (TURNS), and\n"
	"'history show ID' of any of its turns prints them all. With QUERY, lists the runs\n"
	"whose prompt or answer holds all its words, best match first, each with a\n"
	"snippet (matched words in bold on a terminal, [in brackets] otherwise); without\n"
	"one, the newest runs first. Words match literally (punctuation is fine);\n"
	"word* matches a prefix and \"two words\" a phrase. 'history show ID' prints\n"
	"one run: its messages, parameters, answer and metrics (time to first token,\n"
	"total time, tokens in/out, tokens/s, cost, status, stop reason, request id).\n"
	"Stored text passes through the terminal sanitizer unless --raw.\n"
	"\n"
	"  -n, --limit N     at most N runs (default 20)\n"
	"  --offset N        skip the first N runs (for paging)\n"
	"  --model M         only runs of M: PROVIDER/MODEL, MODEL or PROVIDER\n"
	"  --json            one JSON object on stdout, on one line (docs/cli.md)\n"
	"  --pretty          with --json: the object indented, for reading\n"
	"  --raw             stored text as it is, without sanitizing\n"
	"\n"
	"Exit status: 0 on success (also when nothing matches); 1 when the run does\n"
	"not exist or the history cannot be read; 2 on a usage error.\n";

static const char prompt_usage[] =
	"usage: aiwb prompt ls [--json]\n"
	"       aiwb prompt show NAME [--json]\n"
	"       aiwb prompt render NAME|FILE [--var K=V]... [--vars-file F.json] [--data F.json]\n"
	"                          [--partials DIR] [--json]\n"
	"\n"
	"Prompt templates (docs/templates.md): YAML front matter (variables, parameters,\n"
	"examples, steps, samples) and a Mustache body split into system:/user:/assistant:\n"
	"messages. Yours in ~/.config/aiwb/prompts/NAME.prompt replace the built-ins.\n"
	"\n"
	"  ls                 name, technique, source (built-in or user) and description\n"
	"  show NAME          the template file (front matter and body); --json: parsed\n"
	"  render NAME|FILE   the messages the template makes, as ROLE: blocks; every step\n"
	"                     of a multi-step template. A file without front matter is a\n"
	"                     bare Mustache template, printed as rendered.\n"
	"  --var K=V          a variable (repeatable; typed as the template declares)\n"
	"  --vars-file F      variables from a JSON object; --data F: the data (any JSON\n"
	"                     for a bare template); --var wins over both\n"
	"  --partials DIR     {{>x}} loads DIR/x.mustache (default: the template's directory)\n"
	"  --json             {\"messages\": [{\"role\", \"content\"}], \"params\": {...}} (docs/templates.md)\n"
	"\n"
	"Exit status: 0 on success; 1 when a template or file cannot be read or has an\n"
	"error (named FILE:LINE); 2 on a usage error, a missing required variable included.\n";

static const char experiment_usage[] =
	"usage: aiwb experiment run FILE [--concurrency N] [--yes] [--max-cost USD] [--json] [--csv FILE]\n"
	"                           [--markdown FILE]\n"
	"       aiwb experiment show ID [--json] [--csv FILE] [--markdown FILE]\n"
	"       aiwb experiment ls [--json]\n"
	"\n"
	"An experiment file (YAML, docs/experiments.md) names prompts (inline Mustache\n"
	"text or templates), models and a dataset (.csv with a header row or .jsonl, one\n"
	"case per row), and assertions every answer must pass: contains, not-contains,\n"
	"regex, equals, is-json, max-latency-ms, max-cost-usd. 'run' sends every case to\n"
	"every model, at most N at once (default 4, or concurrency: in the file) and\n"
	"within each provider's limits: (concurrency, rpm), shows progress on stderr,\n"
	"stores each case as it finishes and prints the failed cases with the reason and\n"
	"a matrix per prompt and model: pass rate, mean and p95 latency, time to first\n"
	"token, tokens in/out, cost. Ctrl-C stops cleanly and keeps the finished cases.\n"
	"'show ID' prints a stored experiment again; 'ls' lists them.\n"
	"\n"
	"Before anything is sent, 'run' estimates the cost at catalog prices: the\n"
	"prompts as rendered, the answers at their max_tokens and the kb queries to\n"
	"embed. Above experiment.max_cost_usd in config.json (default $1) it prints the\n"
	"estimate and asks on a terminal, and refuses otherwise.\n"
	"\n"
	"  --concurrency N  at most N calls at once (1 to 64), overriding the file\n"
	"  --yes            run without asking whatever the estimate\n"
	"  --max-cost USD   ask above USD instead of experiment.max_cost_usd\n"
	"  --json           the whole result as one JSON object on stdout, on one line (docs/experiments.md)\n"
	"  --pretty         with --json: the object indented, for reading\n"
	"  --csv FILE       the matrix as CSV to FILE ('-': stdout instead of the table)\n"
	"  --markdown FILE  a Markdown report to FILE ('-': stdout instead of the table)\n"
	"\n"
	"Exit status: 0 when every case passed; 1 when a case failed or errored, or the\n"
	"file, its dataset or the history cannot be read (the error names FILE:LINE), or\n"
	"a case cannot be stored (the run stops at once and is marked failed); 2 on a\n"
	"usage error; 130 when interrupted (finished cases are kept; 129 on SIGHUP).\n";

static const char guard_usage[] =
	"usage: aiwb guard check [--json] [--redact] [--fail-on-findings] [--source input|output]\n"
	"                        [--bedrock ID:VERSION [--full]] [FILE | -]\n"
	"\n"
	"Checks text (a file, or standard input with '-' or when no FILE is given) for\n"
	"personal data and secrets: e-mail addresses, phone numbers, payment cards\n"
	"(Luhn-checked), IBANs (mod-97), US SSNs, IPv4/IPv6 addresses, AWS access keys and\n"
	"their secret keys, API tokens (sk-, sk-ant-, ghp_, JWTs...), your denied words\n"
	"and patterns (config.json \"guard\"), and text hidden from readers: Unicode tag\n"
	"characters, zero-width characters and bidirectional controls (docs/guard.md).\n"
	"Each finding has a type, a span (line:column and bytes) and a confidence;\n"
	"secrets are never printed whole.\n"
	"\n"
	"  --json                 one JSON object on stdout: {\"findings\": [...], ...}\n"
	"  --redact               print the text with findings masked ([EMAIL], [CARD]...)\n"
	"                         and hidden characters removed; the summary goes to stderr\n"
	"  --fail-on-findings     exit 3 when something is found (or a guardrail intervenes)\n"
	"  --bedrock ID:VERSION   ask an Amazon Bedrock guardrail instead (ApplyGuardrail),\n"
	"                         with the bedrock provider's credentials and region; prints\n"
	"                         its action, masked outputs, assessments and usage units;\n"
	"                         --json prints the service's answer as it is\n"
	"  --source input|output  the text is a prompt (default) or a model's answer\n"
	"  --full                 the guardrail reports every assessment, not only interventions\n"
	"\n"
	"Exit status: 0 when the check ran, whatever it found; 3 with --fail-on-findings\n"
	"when there is a finding or an intervention; 1 when the input, the config or\n"
	"the guardrail call failed; 2 on a usage error.\n";

const struct cli_command cli_commands[] = {
	{ "models", "providers and their models, with context and price", models_usage, cmd_models },
	{ "ask", "send one prompt to one model, streamed", ask_usage, cmd_ask },
	{ "chat", "a conversation with a model, line by line", chat_usage, cmd_chat },
	{ "compare", "send one prompt to several models at once", compare_usage, cmd_compare },
	{ "prompt", "list, show and render prompt templates", prompt_usage, cmd_prompt },
	{ "experiment", "run prompts x models x a dataset with assertions", experiment_usage, cmd_experiment },
	{ "history", "search the saved runs, or show one", history_usage, cmd_history },
	{ "kb", "knowledge bases: ingest documents, search them, test retrieval", cli_kb_usage, cmd_kb },
	{ "drift", "data and model drift: reports, Model Monitor baselines and checks", cmd_drift_usage, cmd_drift },
	{ "doctor", "what is configured, reachable, missing", doctor_usage, cmd_doctor },
	{ "keys", "store, remove and list API keys", keys_usage, cmd_keys },
	{ "jobs", "run, follow and stop training jobs, with their metrics", jobs_usage, cmd_jobs },
	{ "guard", "find personal data, secrets and hidden text; Bedrock guardrails", guard_usage, cmd_guard },
	{ NULL, NULL, NULL, NULL },
};

const struct cli_command *cli_find(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

void cli_print_help(FILE *out)
{
	fprintf(out, "usage: aiwb [--theme NAME] [--frames N]\n"
		     "       aiwb COMMAND [OPTIONS]\n"
		     "\n"
		     "aiwb is a terminal AI workbench: pick and compare foundation models, try prompt\n"
		     "techniques, test a knowledge base and watch jobs. With no command it opens the\n"
		     "workbench; a command does one job from the shell.\n"
		     "\n"
		     "Commands:\n");
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\n"
		     "Workbench options:\n"
		     "  --theme NAME   colour theme (default, light, high-contrast, or your own)\n"
		     "  --frames N     draw N frames and exit (for tests and benchmarks)\n"
		     "  -h, --help     this help;  -V, --version  the version\n"
		     "\n"
		     "'aiwb COMMAND --help' describes a command. Data lives in $AIWB_HOME\n"
		     "(default ~/.local/share/aiwb); the config file is $AIWB_CONFIG\n"
		     "(default ~/.config/aiwb/config.json).\n");
}

int cli_run(int argc, char **argv)
{
	/* a reader that goes away is a failed write (EPIPE), handled like any
	 * other, not a signal that kills the command before it saves its work */
	signal(SIGPIPE, SIG_IGN);
	const struct cli_command *c = cli_find(argv[0]);
	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", argv[0]);
	if (cli_wants_help(argc, argv) && c->run != cmd_drift) { /* drift: one --help per subcommand */
		fputs(c->usage, stdout);
		return 0;
	}
	return c->run(argc, argv);
}
