/* askguard — the --guard option of `aiwb ask` and `aiwb compare`
 * (docs/guard.md): the prompt is checked before it is sent and each answer
 * after it arrived.
 *
 * Modes: off, report (findings listed on stderr), mask (the prompt is sent
 * masked; an answer not yet shown is shown masked, and one already streamed
 * is kept masked in the history, which is said), block (a prompt with a
 * finding is not sent; an answer with one is withheld, or flagged when it
 * was already streamed), and bedrock:ID:VERSION (Bedrock's ApplyGuardrail:
 * an intervention on the prompt stops the send with the guardrail's
 * message; on an answer it is reported after it). Without --guard the
 * config's guard.action applies. Stream text is never changed silently. */
#ifndef AIWB_CLI_ASKGUARD_H
#define AIWB_CLI_ASKGUARD_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "guard/step.h"

struct guardrail;
struct run;
struct session;

#define ASKGUARD_BLOCKED 3 /* the exit status when the guard stopped something */

struct askguard {
	const char *cmd;
	struct guard_step step;   /* the mode, the local guard or the guardrail */
	int blocked;              /* an answer was withheld or flagged by block */
	cJSON *json;              /* {"mode", "prompt", "answers"} for --json */
	char **owned;             /* masked prompts lent to requests */
	size_t nowned;
	char *pending;            /* the answers' reports, printed by askguard_report */
};

/* spec: the --guard value or NULL (then config.json's guard.action). 0, or
 * the exit status of an error already reported (2: a bad spec). */
int askguard_open(struct askguard *ag, const char *cmd, const char *spec, struct session *s);
int askguard_on(const struct askguard *ag);
/* Checks the prompt *text (its length is strlen). 0 to send, with *text
 * possibly replaced by a masked copy that lives as long as ag; else the exit
 * status (ASKGUARD_BLOCKED, or 1 when a guardrail call failed), already
 * reported. */
int askguard_prompt(struct askguard *ag, struct session *s, const char **text);
/* Checks a finished answer. shown: its text already reached the terminal.
 * May replace r->text (mask, or block when not shown). The report waits for
 * askguard_report so it prints under the answers. */
void askguard_answer(struct askguard *ag, struct session *s, struct run *r, int shown);
/* Prints the reports of the answers checked since the last call on stderr. */
void askguard_report(struct askguard *ag);
/* js (a run's --json object, freed) with "guard" added; caller frees. */
char *askguard_json_wrap(struct askguard *ag, char *js);
/* Adds "guard" to root (compare --json). */
void askguard_json_add(struct askguard *ag, cJSON *root);
void askguard_close(struct askguard *ag);

#endif
