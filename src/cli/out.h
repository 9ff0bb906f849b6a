/* out — how the commands print: untrusted text to the terminal sanitized
 * (base/sanitize.h) when asked, into JSON always valid UTF-8, a JSON document
 * on stdout, a failure as one sentence on stderr with its exit status, and
 * the closing of stdout. */
#ifndef AIWB_CLI_OUT_H
#define AIWB_CLI_OUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* s on stdout; sanitized when safe (stdout is a terminal, or always when not raw). */
void cli_put_text(const char *s, int safe);
/* s as o's string key: made valid UTF-8 when raw, else sanitized. */
void cli_json_text(cJSON *o, const char *key, const char *s, int raw);
/* o printed on stdout, then freed: compact, one line (what --json gives),
 * or indented after cli_json_pretty(1) (--json --pretty). */
void cli_print_json(cJSON *o);
void cli_json_pretty(int on);
/* A JSON text (NULL prints nothing) printed as cli_print_json does; freed. */
void cli_print_json_text(char *js);

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
/* v as a whole number from lo to hi into *out: 0, or the usage error
 * "OPT must be a whole number from LO to HI" printed and 2 returned. */
int cli_parse_long(const char *cmd, const char *opt, const char *v, long lo, long hi, long *out);
/* A sanitised copy of s (NULL reads as ""), for a terminal; cli_flat also
 * turns newlines and tabs into spaces, for one line. The caller frees. */
char *cli_safe(const char *s);
char *cli_flat(const char *s);
/* True when argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

#endif
