/* cli — the subcommands of DESIGN.md §5.
 *
 * cli_run() takes argv with argv[0] = the subcommand name and returns the exit
 * status: 0 success, 1 failure, 2 usage error. Every subcommand answers --help
 * on stdout with exit 0; usage errors print one sentence on stderr. */
#ifndef AIWB_CLI_H
#define AIWB_CLI_H

#include <stdio.h>

struct cli_command {
	const char *name;
	const char *summary;
	const char *usage; /* full --help text */
	int (*run)(int argc, char **argv);
};

extern const struct cli_command cli_commands[];

int cli_run(int argc, char **argv);
const struct cli_command *cli_find(const char *name);
void cli_print_help(FILE *out);
/* Prints "aiwb CMD: MESSAGE; see 'aiwb CMD --help'" and returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "aiwb: MESSAGE" (or "aiwb CMD: ...") and returns 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* cli_usage_error when usage, else cli_fail, with msg as the message. */
int cli_error(const char *cmd, int usage, const char *msg);
/* Standard output: a command that sees a write fail while it works (a
 * streamed answer) notes it with cli_stdout_failed(errno) and stops the work
 * that only feeds stdout.
 * cli_close_stdout(status) runs once when the command returns (main): it
 * flushes and closes stdout and, when a write or the close failed, prints
 * one sentence on stderr and returns 1 for a status of 0. SIGPIPE is ignored
 * while a command runs (cli_run), so a reader that stops is an EPIPE. */
void cli_stdout_failed(int err);
int cli_close_stdout(int status);
/* True when argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

/* Set by main(): the UI libraries' version strings, for doctor (src/ never
 * includes curses; readline is loaded by the UI when first needed). */
extern const char *(*cli_ui_version)(void);
extern const char *(*cli_readline_version)(void);

int cmd_doctor(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_prompt(int argc, char **argv);
int cmd_models(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_experiment(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
extern const char jobs_usage[];
int cmd_guard(int argc, char **argv);
int cmd_kb(int argc, char **argv);
/* aiwb ask --kb NAME: retrieves, then asks with the rag template and prints the sources. */
int cli_ask_kb(int argc, char **argv);
extern const char cli_kb_usage[];
int cmd_drift(int argc, char **argv);
extern const char cmd_drift_usage[];

#endif
