#include "chat/conv.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "base/tokens.h"
#include "base/xmalloc.h"
#include "store/history.h"

static void reset_last(struct conv *c)
{
	memset(&c->last, 0, sizeof c->last);
	c->last.ttft_ms = c->last.total_ms = c->last.tokens_per_s = c->last.cost_usd = -1;
	c->last.input_tokens = c->last.output_tokens = -1;
}

void conv_init(struct conv *c, const char *model, const char *system)
{
	memset(c, 0, sizeof *c);
	c->model = xstrdup(model ? model : "");
	conv_set_system(c, system);
	reset_last(c);
}

static void drop_messages(struct conv *c)
{
	for (size_t i = 0; i < c->nmessages; i++) {
		free((char *)(uintptr_t)c->messages[i].role);
		free((char *)(uintptr_t)c->messages[i].content);
		free(c->answered_by[i]);
	}
	c->nmessages = 0;
	c->pending = 0;
}

void conv_free(struct conv *c)
{
	drop_messages(c);
	free(c->messages);
	free(c->answered_by);
	free(c->model);
	free(c->system);
	memset(c, 0, sizeof *c);
}

void conv_set_model(struct conv *c, const char *model)
{
	free(c->model);
	c->model = xstrdup(model ? model : "");
}

void conv_set_system(struct conv *c, const char *system)
{
	free(c->system);
	c->system = system && *system ? xstrdup(system) : NULL;
}

void conv_clear(struct conv *c)
{
	drop_messages(c);
	c->id = 0;
	c->turns = 0;
	c->input_tokens = c->output_tokens = 0;
	c->estimated = 0;
	c->cost_usd = 0;
	c->cost_unknown = 0;
	reset_last(c);
}

void conv_push(struct conv *c, const char *role, const char *content, const char *model)
{
	if (c->nmessages == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		c->messages = xreallocarray(c->messages, cap, sizeof *c->messages);
		c->answered_by = xreallocarray(c->answered_by, cap, sizeof *c->answered_by);
		c->cap = cap;
	}
	c->messages[c->nmessages].role = xstrdup(role);
	c->messages[c->nmessages].content = xstrdup(content ? content : "");
	c->answered_by[c->nmessages] = model ? xstrdup(model) : NULL;
	c->nmessages++;
}

static void pop_message(struct conv *c)
{
	if (!c->nmessages)
		return;
	c->nmessages--;
	free((char *)(uintptr_t)c->messages[c->nmessages].role);
	free((char *)(uintptr_t)c->messages[c->nmessages].content);
	free(c->answered_by[c->nmessages]);
}

void conv_begin_turn(struct conv *c, const char *user)
{
	if (c->pending)
		conv_end_turn(c, NULL, NULL, 0);
	conv_push(c, "user", user, NULL);
	c->pending = 1;
}

void conv_request(const struct conv *c, struct llm_request *rq)
{
	rq->system = c->system;
	rq->messages = c->messages;
	rq->nmessages = c->nmessages;
}

void conv_end_turn(struct conv *c, const char *answer, const struct run_metrics *m, int64_t run_id)
{
	if (!c->pending)
		return;
	c->pending = 0;
	if (answer && *answer)
		conv_push(c, "assistant", answer, c->model);
	else
		pop_message(c);
	if (m) {
		c->last = *m;
		if (m->input_tokens > 0)
			c->input_tokens += m->input_tokens;
		if (m->output_tokens > 0)
			c->output_tokens += m->output_tokens;
		c->estimated |= m->estimated;
		if (m->cost_usd >= 0)
			c->cost_usd += m->cost_usd;
		else
			c->cost_unknown = 1;
	}
	if (run_id > 0 && !c->id)
		c->id = run_id;
	if (m)
		c->turns++;
}

int64_t conv_next_conversation(const struct conv *c)
{
	return c->id;
}

int conv_next_turn(const struct conv *c)
{
	return c->turns + 1;
}

static size_t message_bytes(const struct conv *c)
{
	size_t n = c->system ? strlen(c->system) : 0;
	for (size_t i = 0; i < c->nmessages; i++)
		n += strlen(c->messages[i].content);
	return n;
}

int64_t conv_estimate_next(const struct conv *c, const char *next)
{
	int64_t add = tokens_estimate(next ? strlen(next) : 0);
	if (c->last.total_ms >= 0 && !c->last.estimated && c->last.input_tokens > 0 && c->nmessages)
		return c->last.input_tokens + (c->last.output_tokens > 0 ? c->last.output_tokens : 0) + add;
	return tokens_estimate(message_bytes(c)) + add;
}

enum conv_window conv_window_check(const struct conv *c, const char *next, int64_t context, int64_t *estimate)
{
	int64_t est = conv_estimate_next(c, next);
	if (estimate)
		*estimate = est;
	if (context <= 0)
		return CONV_WINDOW_UNKNOWN;
	if (est >= context)
		return CONV_WINDOW_OVER;
	if (est * 100 >= context * CONV_WINDOW_PERCENT)
		return CONV_WINDOW_NEAR;
	return CONV_WINDOW_OK;
}

static void totals_text(const struct conv *c, struct buf *b)
{
	char usd[64];
	buf_printf(b, "%d turn%s, %lld in / %lld out tokens%s, %s", c->turns, c->turns == 1 ? "" : "s",
		   (long long)c->input_tokens, (long long)c->output_tokens, c->estimated ? " (estimated)" : "",
		   c->cost_unknown && c->cost_usd == 0 ? "price unknown"
						  : metrics_usd(usd, sizeof usd, c->cost_usd, "price unknown"));
	if (c->cost_unknown && c->cost_usd > 0)
		buf_puts(b, " (some turns unpriced)");
}

void conv_markdown(const struct conv *c, struct buf *b)
{
	buf_printf(b, "# Conversation with %s\n\n", c->model);
	if (c->id)
		buf_printf(b, "History id: %lld\n\n", (long long)c->id);
	if (c->system)
		buf_printf(b, "## System\n\n%s\n\n", c->system);
	for (size_t i = 0; i < c->nmessages; i++) {
		const struct llm_message *m = &c->messages[i];
		if (strcmp(m->role, "user") == 0)
			buf_puts(b, "## You\n\n");
		else if (c->answered_by[i])
			buf_printf(b, "## %s\n\n", c->answered_by[i]);
		else
			buf_printf(b, "## %s\n\n", m->role);
		buf_puts(b, m->content);
		buf_puts(b, "\n\n");
	}
	buf_puts(b, "---\n\n");
	totals_text(c, b);
	buf_puts(b, "\n");
}

cJSON *conv_json(const struct conv *c)
{
	cJSON *o = cJSON_CreateObject();
	if (c->id)
		cJSON_AddNumberToObject(o, "conversation", (double)c->id);
	else
		cJSON_AddNullToObject(o, "conversation");
	cJSON_AddStringToObject(o, "model", c->model);
	if (c->system)
		cJSON_AddStringToObject(o, "system", c->system);
	else
		cJSON_AddNullToObject(o, "system");
	cJSON_AddNumberToObject(o, "turns", c->turns);
	cJSON *a = cJSON_AddArrayToObject(o, "messages");
	for (size_t i = 0; i < c->nmessages; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", c->messages[i].role);
		cJSON_AddStringToObject(m, "content", c->messages[i].content);
		if (c->answered_by[i])
			cJSON_AddStringToObject(m, "model", c->answered_by[i]);
		cJSON_AddItemToArray(a, m);
	}
	cJSON *u = cJSON_AddObjectToObject(o, "usage");
	cJSON_AddNumberToObject(u, "input_tokens", (double)c->input_tokens);
	cJSON_AddNumberToObject(u, "output_tokens", (double)c->output_tokens);
	cJSON_AddBoolToObject(u, "estimated", c->estimated);
	if (c->cost_unknown && c->cost_usd == 0)
		cJSON_AddNullToObject(o, "cost_usd");
	else
		cJSON_AddNumberToObject(o, "cost_usd", c->cost_usd);
	return o;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int conv_save_file(const struct conv *c, const char *path, struct err *e)
{
	struct buf b = BUF_INIT;
	if (ends_with(path, ".json")) {
		cJSON *o = conv_json(c);
		char *s = cJSON_Print(o);
		buf_puts(&b, s);
		buf_putc(&b, '\n');
		free(s);
		cJSON_Delete(o);
	} else {
		conv_markdown(c, &b);
	}
	int rc = path_write_file(path, b.data ? b.data : "", b.len, e);
	buf_free(&b);
	return rc;
}

int conv_load(struct conv *c, struct db *db, int64_t id, struct err *e)
{
	struct history_run *turns;
	size_t n;
	int rc = history_read_conversation(db, id, &turns, &n, e);
	if (rc <= 0)
		return rc;
	const struct history_run *latest = &turns[n - 1];
	const char *system = NULL;
	for (size_t i = 0; i < latest->nmessages; i++)
		if (strcmp(latest->messages[i].role, "system") == 0)
			system = latest->messages[i].content;
	conv_init(c, latest->model, system);
	size_t answers = 0;
	for (size_t i = 0; i < latest->nmessages; i++) {
		const struct history_message *m = &latest->messages[i];
		if (strcmp(m->role, "system") == 0)
			continue;
		int answer = strcmp(m->role, "assistant") == 0;
		/* the k-th answer sent is the k-th turn's when every turn answered */
		conv_push(c, m->role, m->content, answer && answers < n - 1 ? turns[answers].model : NULL);
		answers += answer;
	}
	if (latest->nmessages == 0 && latest->prompt)
		conv_push(c, "user", latest->prompt, NULL);
	if (latest->output && *latest->output)
		conv_push(c, "assistant", latest->output, latest->model);
	for (size_t i = 0; i < n; i++) {
		struct run_metrics m;
		metrics_from_history(&turns[i].metrics, &m);
		if (m.input_tokens > 0)
			c->input_tokens += m.input_tokens;
		if (m.output_tokens > 0)
			c->output_tokens += m.output_tokens;
		c->estimated |= m.estimated;
		if (m.cost_usd >= 0)
			c->cost_usd += m.cost_usd;
		else
			c->cost_unknown = 1;
		if (turns[i].turn > c->turns)
			c->turns = turns[i].turn;
		if (i == n - 1)
			c->last = m;
	}
	if (c->turns < (int)n)
		c->turns = (int)n;
	c->id = latest->conversation ? latest->conversation : latest->id;
	history_runs_free(turns, n);
	return 1;
}
