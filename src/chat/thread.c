#include "chat/thread.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/history.h"

void thread_init(struct thread *t)
{
	memset(t, 0, sizeof *t);
	conv_init(&t->conv, "", NULL);
}

void thread_free(struct thread *t)
{
	conv_free(&t->conv);
	buf_free(&t->shown);
	memset(t, 0, sizeof *t);
}

void thread_start(struct thread *t, const char *model, const char *system, const struct llm_message *messages,
		  size_t n, const char *answer, const char *shown, const struct run_metrics *m, int64_t id, int turns)
{
	thread_free(t);
	thread_init(t);
	if (!answer || !*answer || !n)
		return;
	conv_set_model(&t->conv, model);
	conv_set_system(&t->conv, system);
	for (size_t i = 0; i + 1 < n; i++)
		conv_push(&t->conv, messages[i].role, messages[i].content, NULL);
	conv_begin_turn(&t->conv, messages[n - 1].content);
	conv_end_turn(&t->conv, answer, m, id);
	if (turns > t->conv.turns)
		t->conv.turns = turns;
	buf_puts(&t->shown, shown ? shown : answer);
	t->started = 1;
}

char *thread_shown_next(const struct thread *t, const char *text)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, buf_str(&t->shown));
	while (b.len && b.data[b.len - 1] == '\n')
		buf_truncate(&b, b.len - 1);
	if (b.len)
		buf_puts(&b, "\n\n");
	buf_puts(&b, THREAD_YOU);
	buf_puts(&b, text);
	buf_puts(&b, "\n\n" THREAD_ANSWER);
	return buf_detach(&b);
}

char *thread_shown_first(const char *question)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, THREAD_YOU);
	buf_puts(&b, question);
	while (b.len && b.data[b.len - 1] == '\n')
		buf_truncate(&b, b.len - 1);
	buf_puts(&b, "\n\n" THREAD_ANSWER);
	return buf_detach(&b);
}

size_t thread_answer_at(const struct thread *t)
{
	const struct conv *c = &t->conv;
	if (!c->nmessages || strcmp(c->messages[c->nmessages - 1].role, "assistant") != 0)
		return 0;
	const char *answer = c->messages[c->nmessages - 1].content;
	size_t n = strlen(answer), len = t->shown.len;
	if (!n || n > len || memcmp(t->shown.data + len - n, answer, n) != 0)
		return 0;
	return len - n;
}

void thread_begin(struct thread *t, const char *text)
{
	t->followups++;
	conv_begin_turn(&t->conv, text);
}

void thread_end(struct thread *t, const char *answer, const char *shown, const struct run_metrics *m, int64_t id)
{
	size_t before = t->conv.nmessages;
	conv_end_turn(&t->conv, answer, m, id);
	if (t->conv.nmessages >= before && shown) { /* answered: the question stayed and the answer joined it */
		buf_reset(&t->shown);
		buf_puts(&t->shown, shown);
	}
}

void thread_transcript(const struct conv *c, struct buf *out)
{
	for (size_t i = 0; i < c->nmessages; i++) {
		const struct llm_message *m = &c->messages[i];
		if (out->len)
			buf_puts(out, "\n\n");
		buf_puts(out, strcmp(m->role, "user") == 0 ? THREAD_YOU : THREAD_ANSWER);
		buf_puts(out, m->content);
	}
}

void thread_totals(const struct thread *t, char *out, size_t size)
{
	const struct conv *c = &t->conv;
	char usd[64];
	if (c->cost_unknown && c->cost_usd == 0)
		snprintf(usd, sizeof usd, "price unknown");
	else
		metrics_usd(usd, sizeof usd, c->cost_usd, "price unknown");
	snprintf(out, size, "%d turn%s · %lld in / %lld out tokens%s · %s%s", c->turns, c->turns == 1 ? "" : "s",
		 (long long)c->input_tokens, (long long)c->output_tokens, c->estimated ? " (est.)" : "", usd,
		 c->cost_unknown && c->cost_usd > 0 ? " + unpriced turns" : "");
}

/* ---------------------------------------------------------------- from the history */

static int load_one(struct thread *t, struct db *db, int64_t id, struct err *e)
{
	memset(t, 0, sizeof *t);
	int rc = conv_load(&t->conv, db, id, e);
	if (rc <= 0) {
		thread_init(t);
		return rc;
	}
	thread_transcript(&t->conv, &t->shown);
	t->started = 1;
	t->followups = t->conv.turns - 1;
	return 1;
}

/* The compare group the run was saved in; 0 for none. */
static int64_t compare_group(const struct history_run *run)
{
	for (size_t i = 0; i < run->nparams; i++) {
		if (strcmp(run->params[i].name, "compare_group") != 0)
			continue;
		char *end;
		double v = strtod(run->params[i].value, &end);
		if (end != run->params[i].value && !*end && v == floor(v) && fabs(v) < 9e15)
			return (int64_t)v;
	}
	return 0;
}

int thread_load_all(struct db *db, int64_t id, struct thread **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	struct history_run run;
	int rc = history_read(db, id, &run, e);
	if (rc <= 0)
		return rc;
	int64_t first = run.conversation ? run.conversation : run.id;
	history_run_free(&run);
	int64_t group = 0;
	if (history_read(db, first, &run, e) > 0) {
		group = compare_group(&run);
		history_run_free(&run);
	}
	int64_t *ids = NULL;
	size_t nids = 0;
	if (group && history_group_ids(db, group, &ids, &nids, e) != 0)
		return -1;
	if (!nids) {
		free(ids);
		ids = xmalloc(sizeof *ids);
		ids[nids++] = id;
	}
	*out = xcalloc(nids, sizeof **out);
	for (size_t i = 0; i < nids; i++) {
		rc = load_one(&(*out)[*n], db, ids[i], e);
		if (rc < 0)
			break;
		if (rc > 0)
			(*n)++;
		else
			thread_free(&(*out)[*n]);
	}
	free(ids);
	if (rc < 0) {
		for (size_t i = 0; i < *n; i++)
			thread_free(&(*out)[i]);
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return *n ? 1 : 0;
}
