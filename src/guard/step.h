/* guard/step — the guard as a step in front of a model and behind it
 * (docs/guard.md), shared by ask/compare --guard (cli/askguard.c) and the
 * workbench (prompt/labguard.h): the mode (off, report, mask, block, or a
 * Bedrock guardrail bedrock:ID:VERSION, from --guard or config.json's
 * guard.action), one text checked as a prompt or an answer, and the verdict
 * as plain data, a report (lines of text) and JSON.
 *
 * A local check runs at once; a Bedrock check is one ApplyGuardrail call on
 * the event loop (guardrail_apply with guard_step's guardrail), whose result
 * guard_step_verdict_bedrock turns into a verdict. Nothing here prints or
 * draws: reports are text made safe for a terminal (sanitized, one line per
 * finding, a secret never repeated whole). */
#ifndef AIWB_GUARD_STEP_H
#define AIWB_GUARD_STEP_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "base/err.h"
#include "guard/guard.h"
#include "guard/guardrail.h"

struct config;

struct guard_step {
	enum guard_action action;  /* the local mode; GUARD_OFF with a guardrail */
	struct guard *local;       /* NULL when off or bedrock */
	struct guardrail *bedrock; /* NULL unless bedrock:ID:VERSION */
};

#define GUARD_STEP_BAD_SPEC (-2)

/* spec: off, report, mask, block or bedrock:ID:VERSION; NULL takes
 * config.json's guard.action. 0; -1 with e (a pattern that does not
 * compile, credentials or an endpoint a guardrail cannot use); or
 * GUARD_STEP_BAD_SPEC with e when spec is none of the modes. */
int guard_step_open(struct guard_step *gs, const struct config *cfg, const char *spec, struct err *e);
int guard_step_on(const struct guard_step *gs);
/* "off", "report", "mask", "block" or "bedrock". */
const char *guard_step_mode(const struct guard_step *gs);
void guard_step_close(struct guard_step *gs);

enum guard_on { GUARD_ON_PROMPT, GUARD_ON_ANSWER };

struct guard_verdict {
	int bedrock;                    /* which engine decided */
	enum guard_on on;               /* bedrock: what was checked */
	struct guard_outcome local;     /* local: findings; masked text (mask); blocked (block) */
	struct guardrail_result *remote;/* bedrock: the service's answer (owned); NULL when none came */
	int stop;                       /* block found something, or the guardrail intervened */
	int failed;                     /* the check could not be made: why is in error */
	char error[1024];
};

/* The local check of text (the step's mode must not be bedrock). A pattern
 * whose match failed is said in error; the built-in findings still count. */
void guard_step_check(const struct guard_step *gs, const char *text, size_t len, struct guard_verdict *v);
/* A verdict from ApplyGuardrail's result r (taken; NULL when the call could
 * not be made, then why is errmsg). */
void guard_step_verdict_bedrock(struct guard_verdict *v, enum guard_on on, struct guardrail_result *r,
				const char *errmsg);
void guard_verdict_free(struct guard_verdict *v);
/* "clean", "reported", "masked", "blocked" for a local verdict. */
const char *guard_verdict_word(const struct guard_step *gs, const struct guard_verdict *v);

/* One line per finding, each after indent: "LINE:COL TYPE CONF PREVIEW
 * (label)", with " bytes START-END" after the position when spans is set.
 * Caller frees ("" when there are none). */
char *guard_findings_text(const char *indent, const struct guard_findings *f, const char *text, size_t len,
			  int spans);
/* A guardrail's verdict on source ("prompt", "answer"): the action and its
 * reason, the outputs, a table of the assessments and the usage units, one
 * line each. Caller frees. */
char *guard_guardrail_text(const struct guardrail *g, const char *source, const struct guardrail_result *r);
/* The report of a verdict on what ("the prompt", "the answer of openai/x"):
 * local: "guard (MODE): WHAT holds N findings: ...TAIL" and a line per
 * finding (NULL when nothing was found); bedrock: the guardrail's verdict
 * (or why it could not be checked). tail ends the first line ("; it was sent
 * masked"). Caller frees. */
char *guard_verdict_report(const struct guard_step *gs, const struct guard_verdict *v, const char *what,
			   const char *tail, const char *text, size_t len, int spans);
/* The verdict as JSON (docs/guard.md, "--guard in --json"): local
 * {"engine":"local","findings",...,"action"}; bedrock {"engine":"bedrock",
 * "intervened","response"}. Caller deletes. */
cJSON *guard_verdict_json(const struct guard_step *gs, const struct guard_verdict *v, const char *text, size_t len);

#endif
