#include "guardview.h"

#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "prompt/labguard.h"

void guardview_init(struct compare_view *cv)
{
	cv->guard = lab_guard_new(cv->wb->cfg, cv->wb->loop);
}

void guardview_free(struct compare_view *cv)
{
	lab_guard_free(cv->guard);
	cv->guard = NULL;
}

struct pending_send {
	struct compare_view *cv;
	void (*send)(void *ud);
	void *ud;
};

static struct pending_send pending;

static void prompt_checked(void *ud, int send)
{
	struct pending_send *p = ud;
	struct compare_view *cv = p->cv;
	if (send)
		p->send(p->ud);
	else
		wb_status(cv->wb, 1, "%s", lab_guard_note(cv->guard));
	wb_redraw(cv->wb);
}

void guardview_check_prompt(struct compare_view *cv, const struct lab_form *form, void (*send)(void *ud), void *ud)
{
	pending = (struct pending_send){ cv, send, ud };
	lab_guard_prompt(cv->guard, form, prompt_checked, &pending);
	if (lab_guard_prompt_pending(cv->guard))
		wb_status(cv->wb, 0, "%s", lab_guard_note(cv->guard));
}

const char *guardview_note(const struct compare_view *cv)
{
	const char *note = lab_guard_note(cv->guard);
	return note[0] == ';' ? note : "";
}

void guardview_target(const struct compare_view *cv, struct lab_target *tg)
{
	tg->messages = lab_guard_messages(cv->guard, &tg->nmessages);
}

static void answer_checked(void *ud)
{
	wb_redraw(ud);
}

void guardview_answer_done(struct compare_view *cv, const struct compare_column *c)
{
	if (c->run)
		lab_guard_answer(cv->guard, c->run, answer_checked, cv->wb);
}

void guardview_forget(struct compare_view *cv, const struct compare_column *c)
{
	lab_guard_forget(cv->guard, c->run);
}

void guardview_forget_all(struct compare_view *cv)
{
	for (size_t i = 0; i < cv->ncols; i++)
		lab_guard_forget(cv->guard, cv->cols[i].run);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* Up to rows lines of text from row y; the last says how many more there are. */
static void draw_lines(WINDOW *w, const char *text, int y, int x, int width, int rows)
{
	int total = count_lines(text);
	for (int i = 0; i < rows && *text; i++) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char *line = i + 1 == rows && total > rows ? NULL : strndup(text, len);
		char more[64];
		if (!line)
			snprintf(more, sizeof more, "  … %d more line%s", total - i, total - i == 1 ? "" : "s");
		attr_t at = theme_attr(i == 0 ? ROLE_WARN : ROLE_NORMAL);
		draw_text(w, y + i, x, width, line ? line : more, at);
		free(line);
		text += len + (nl ? 1 : 0);
	}
}

int guardview_answer_rows(const struct compare_view *cv, const struct compare_column *c, int max)
{
	int n = count_lines(c->run ? lab_guard_answer_report(cv->guard, c->run) : NULL);
	if (n && max < 1)
		max = 1;
	return n < max ? n : max;
}

void guardview_draw_answer(const struct compare_view *cv, const struct compare_column *c, WINDOW *w, int y, int x,
			   int width, int rows)
{
	const char *r = c->run ? lab_guard_answer_report(cv->guard, c->run) : NULL;
	if (r && rows > 0)
		draw_lines(w, r, y, x, width, rows);
}

int guardview_draw_prompt(const struct compare_view *cv, WINDOW *w, int y, int height, int width)
{
	const char *r = lab_guard_prompt_report(cv->guard);
	int n = count_lines(r), max = (height - y) / 3;
	if (!n || max < 1)
		return y;
	if (n > max)
		n = max;
	draw_lines(w, r, y, 0, width, n);
	return y + n;
}
