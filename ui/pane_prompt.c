/* Prompt pane, first version: type a prompt (Enter or i opens the editor),
 * send it to the model selected in Models, watch the answer stream in with a
 * live line of metrics (time to first token, tokens, tokens/s, cost), cancel
 * with C-c, scroll with the arrows. Every run is saved to history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "input.h"
#include "llm/run.h"
#include "pane.h"

#define MAX_SHOWN_BYTES (1u << 20)

struct prompt_pane {
	struct pane base;
	struct run *run;
	char *prompt;            /* the last prompt sent */
	struct llm_request rq;   /* kept alive for run_save */
	struct llm_message msg;
	char *provider_name, *model_id;
	struct sanitizer san;
	struct buf shown;        /* the answer, sanitized for the screen */
	size_t fed;              /* bytes of run->text already sanitized */
	long scroll;             /* first wrapped line shown; -1 follows the end */
	size_t *starts;          /* where each wrapped line of `shown` starts */
	size_t nstarts, cap_starts;
	size_t wrapped_len;      /* bytes of `shown` the starts cover */
	int wrapped_width;
	int lines_total, view_h; /* from the last draw */
	char status[1100];
};

static void feed_text(struct prompt_pane *pp)
{
	struct run *r = pp->run;
	if (!r || r->text.len <= pp->fed)
		return;
	if (pp->shown.len < MAX_SHOWN_BYTES)
		sanitize_feed(&pp->san, r->text.data + pp->fed, r->text.len - pp->fed, &pp->shown);
	pp->fed = r->text.len;
}

static void on_run_text(struct run *r, void *ud)
{
	(void)r;
	(void)ud;
	app_redraw();
}

static void on_run_done(struct run *r, void *ud)
{
	struct prompt_pane *pp = ud;
	struct wb *wb = pp->base.wb;
	feed_text(pp);
	sanitize_finish(&pp->san, &pp->shown);
	struct err e = ERR_INIT;
	if (wb->db && run_save(wb->db, r, &pp->rq, "ask", NULL, &e) >= 0)
		wb->history_runs++;
	else if (wb->db)
		log_warn("history not saved: %s", e.msg);
	switch (r->result.status) {
	case LLM_OK: snprintf(pp->status, sizeof pp->status, "done (%s)", r->result.stop_reason[0] ? r->result.stop_reason : "end"); break;
	case LLM_CANCELLED: snprintf(pp->status, sizeof pp->status, "cancelled; the partial answer was kept"); break;
	case LLM_CUT:
	case LLM_ERROR: snprintf(pp->status, sizeof pp->status, "%s", r->result.message); break;
	}
	app_redraw();
}

static void clear_request(struct prompt_pane *pp)
{
	if (pp->run) {
		run_cancel(pp->run);
		run_free(pp->run);
		pp->run = NULL;
	}
	free(pp->provider_name);
	free(pp->model_id);
	pp->provider_name = pp->model_id = NULL;
}

static void send_prompt(const char *line, void *ud)
{
	struct prompt_pane *pp = ud;
	struct wb *wb = pp->base.wb;
	if (!line || !*line)
		return;
	if (!wb->selected) {
		app_status(1, "no model selected: pick one in Models (focus it with 1, Enter on a model)");
		return;
	}
	clear_request(pp);
	free(pp->prompt);
	pp->prompt = xstrdup(line);
	struct err e = ERR_INIT;
	if (provider_split_model(wb->selected, &pp->provider_name, &pp->model_id, &e) != 0) {
		app_status(1, "%s", e.msg);
		return;
	}
	struct provider *p = modelset_provider(&wb->models, pp->provider_name);
	if (!p) {
		app_status(1, "%s is not usable; see its line in Models or aiwb doctor", pp->provider_name);
		return;
	}
	memset(&pp->rq, 0, sizeof pp->rq);
	pp->msg = (struct llm_message){ "user", pp->prompt };
	pp->rq.model = pp->model_id;
	pp->rq.messages = &pp->msg;
	pp->rq.nmessages = 1;
	pp->rq.params = *wb_params_for(wb, wb->selected);
	pp->rq.stream = 1;
	buf_reset(&pp->shown);
	pp->nstarts = 0;
	sanitize_init(&pp->san, 4);
	pp->fed = 0;
	pp->scroll = -1;
	snprintf(pp->status, sizeof pp->status, "waiting for %s", wb->selected);
	pp->run = run_start(wb->loop, p, wb->selected, &pp->rq, wb->catalog, on_run_text, on_run_done, pp, &e);
	if (!pp->run) {
		snprintf(pp->status, sizeof pp->status, "%s", e.msg);
		app_status(1, "%s", e.msg);
	}
}

/* Wraps the answer into screen lines, keeping what was wrapped before: the
 * greedy wrap of a prefix never changes when text is appended, so only the
 * last line is wrapped again as a stream grows (not the whole answer per frame). */
static void wrap_update(struct prompt_pane *pp, int width)
{
	const char *s = buf_str(&pp->shown);
	size_t n = pp->shown.len, i = 0;
	if (width != pp->wrapped_width || n < pp->wrapped_len)
		pp->nstarts = 0;
	if (pp->nstarts)
		i = pp->starts[--pp->nstarts];
	for (;;) {
		if (pp->nstarts == pp->cap_starts) {
			pp->cap_starts = pp->cap_starts ? pp->cap_starts * 2 : 64;
			pp->starts = xreallocarray(pp->starts, pp->cap_starts, sizeof *pp->starts);
		}
		pp->starts[pp->nstarts++] = i;
		size_t line = i;
		while (line < n && s[line] != '\n')
			line++;
		int cols;
		size_t fit = sanitize_fit(s + i, line - i, width, &cols);
		if (fit == 0 && line > i)
			fit = line - i; /* a character wider than the pane: show it cut */
		if (i + fit < line) {
			i += fit;
		} else {
			if (line == n)
				break;
			i = line + 1;
		}
	}
	pp->wrapped_len = n;
	pp->wrapped_width = width;
}

static void metrics_line(const struct prompt_pane *pp, char *out, size_t size)
{
	struct run_metrics m;
	run_metrics(pp->run, &m);
	char ttft[32] = "TTFT -", cost[32] = "cost ?", rate[32] = "- tok/s";
	if (m.ttft_ms >= 0)
		snprintf(ttft, sizeof ttft, "TTFT %.0f ms", m.ttft_ms);
	if (m.cost_usd >= 0)
		snprintf(cost, sizeof cost, "$%.6f", m.cost_usd);
	if (m.tokens_per_s >= 0)
		snprintf(rate, sizeof rate, "%.1f tok/s", m.tokens_per_s);
	snprintf(out, size, "%s · %lld in / %lld out%s · %s · %s · %.1f s", ttft, (long long)m.input_tokens,
		 (long long)m.output_tokens, m.estimated ? " (est.)" : "", rate, cost, m.total_ms / 1000.0);
}

static void prompt_draw(struct pane *p, WINDOW *w, int height, int width)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	const struct wb *wb = p->wb;
	feed_text(pp);
	char line[512];
	int y = 0;
	if (wb->selected) {
		const struct llm_params *pr = wb_params_for(wb, wb->selected);
		int off = snprintf(line, sizeof line, "%s", wb->selected);
		if (pr->has_temperature)
			off += snprintf(line + off, sizeof line - (size_t)off, "  temp %g", pr->temperature);
		if (pr->has_top_p)
			off += snprintf(line + off, sizeof line - (size_t)off, "  top-p %g", pr->top_p);
		if (pr->has_max_tokens)
			snprintf(line + off, sizeof line - (size_t)off, "  max %d", pr->max_tokens);
		draw_text(w, y++, 0, width, line, theme_attr(ROLE_TITLE));
	} else {
		y += draw_wrapped(w, y, 0, width, height, "No model selected: pick one in Models (Enter on a model).",
				  theme_attr(ROLE_NOTICE));
	}
	if (!pp->run) {
		if (y < height) {
			snprintf(line, sizeof line, "Nothing sent yet. %lld run%s in history.", (long long)wb->history_runs,
				 wb->history_runs == 1 ? "" : "s");
			y += draw_wrapped(w, y, 0, width, height - y, line, theme_attr(ROLE_DIM));
		}
		if (y + 1 < height)
			draw_wrapped(w, y + 1, 0, width, height - y - 1,
				     "Enter or i: write a prompt. C-c cancels a running answer; arrows scroll it.",
				     theme_attr(ROLE_DIM));
		return;
	}
	if (y < height) {
		snprintf(line, sizeof line, "> %s", pp->prompt);
		draw_text(w, y++, 0, width, line, theme_attr(ROLE_DIM));
	}
	int view_h = height - y - 2;
	if (view_h > 0) {
		wrap_update(pp, width);
		const size_t *starts = pp->starts;
		size_t total = pp->nstarts;
		long first = pp->scroll < 0 || pp->scroll > (long)total - view_h ? (long)total - view_h : pp->scroll;
		if (first < 0)
			first = 0;
		for (int i = 0; i < view_h && first + i < (long)total; i++) {
			size_t a = starts[first + i];
			size_t b = first + i + 1 < (long)total ? starts[first + i + 1] : pp->shown.len;
			while (b > a && pp->shown.data[b - 1] == '\n')
				b--;
			char *piece = xstrndup(buf_str(&pp->shown) + a, b - a);
			draw_text(w, y + i, 0, width, piece, theme_attr(ROLE_NORMAL));
			free(piece);
		}
		pp->lines_total = (int)total;
		pp->view_h = view_h;
	}
	if (height >= 2) {
		metrics_line(pp, line, sizeof line);
		draw_text(w, height - 2, 0, width, line, theme_attr(ROLE_METRIC));
		int err = pp->run->finished && pp->run->result.status != LLM_OK;
		draw_text(w, height - 1, 0, width, pp->run->finished ? pp->status : "streaming… C-c cancels",
			  theme_attr(err ? ROLE_ERROR : ROLE_DIM));
	}
}

static void scroll_by(struct prompt_pane *pp, long delta)
{
	long max = pp->lines_total - pp->view_h;
	if (max < 0)
		max = 0;
	long cur = pp->scroll < 0 ? max : pp->scroll;
	cur += delta;
	if (cur < 0)
		cur = 0;
	pp->scroll = cur >= max ? -1 : cur;
}

static unsigned prompt_on_key(struct pane *p, int key)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	switch (key) {
	case '\r': case '\n': case KEY_ENTER: case 'i': {
		char label[600];
		snprintf(label, sizeof label, "ask %s> ", p->wb->selected ? p->wb->selected : "(no model)");
		input_begin_in(INPUT_PROMPTS, label, NULL, send_prompt, pp);
		break;
	}
	case 3: /* C-c */
		if (!pp->run || pp->run->finished)
			return 0;
		run_cancel(pp->run);
		break;
	case KEY_DOWN: case 'j': scroll_by(pp, 1); break;
	case KEY_UP: case 'k': scroll_by(pp, -1); break;
	case KEY_NPAGE: case ' ': scroll_by(pp, pp->view_h > 1 ? pp->view_h - 1 : 1); break;
	case KEY_PPAGE: scroll_by(pp, -(pp->view_h > 1 ? pp->view_h - 1 : 1)); break;
	case KEY_HOME: case 'g': pp->scroll = 0; break;
	case KEY_END: case 'G': pp->scroll = -1; break;
	default: return 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static void prompt_destroy(struct pane *p)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	clear_request(pp);
	free(pp->prompt);
	buf_free(&pp->shown);
	free(pp->starts);
	free(pp);
}

static const struct pane_ops prompt_ops = {
	.draw = prompt_draw,
	.on_key = prompt_on_key,
	.destroy = prompt_destroy,
};

struct pane *pane_prompt_new(struct wb *wb)
{
	struct prompt_pane *pp = xcalloc(1, sizeof *pp);
	pp->base.ops = &prompt_ops;
	pp->base.title = "Prompt";
	pp->base.wb = wb;
	pp->scroll = -1;
	sanitize_init(&pp->san, 4);
	return &pp->base;
}
