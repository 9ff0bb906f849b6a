#include "talk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "draw.h"
#include "keys.h"
#include "prompt/labguard.h"
#include "theme.h"

#define BOX_MIN_ROWS 3
#define ANSWERS_MIN_ROWS 6 /* a column's title, a line and its metrics */

void talk_init(struct talk *t, struct wb *wb, struct lab_form *form, struct compare_view *cv)
{
	memset(t, 0, sizeof *t);
	t->wb = wb;
	t->form = form;
	t->cv = cv;
	editor_init(&t->ed, NULL);
	for (size_t i = 0; i < COMPARE_MAX_COLUMNS; i++)
		thread_init(&t->threads[i]);
}

void talk_free(struct talk *t)
{
	editor_free(&t->ed);
	free(t->opened);
	free(t->draft);
	free(t->warned);
	for (size_t i = 0; i < COMPARE_MAX_COLUMNS; i++)
		thread_free(&t->threads[i]);
	memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- conversations */

void talk_sync(struct talk *t)
{
	struct compare_view *cv = t->cv;
	for (size_t i = 0; i < cv->ncols; i++) {
		struct compare_column *c = &cv->cols[i];
		struct thread *th = &t->threads[i];
		const struct lab_run *run = c->run;
		if (run && run != t->seen[i] && lab_run_finished(run)) {
			struct run_metrics m;
			lab_run_metrics(run, &m);
			const char *answer = lab_run_answer(run);
			int answered = lab_run_status(run) != LLM_ERROR && answer && *answer;
			const char *shown = buf_str(lab_run_text(run));
			if (run == t->mine[i]) {
				thread_end(th, answered ? answer : NULL, shown, &m, lab_run_first_saved(run));
			} else {
				const char *system;
				const struct llm_message *msgs;
				size_t n;
				lab_run_sent(run, &system, &msgs, &n);
				thread_start(th, c->spec, system, msgs, n, answered ? answer : NULL, shown, &m,
					     lab_run_first_saved(run), (int)lab_run_saved(run));
			}
			t->seen[i] = run;
		}
		c->note[0] = 0;
		if (th->started && th->followups && run == t->seen[i]) {
			char totals[160];
			thread_totals(th, totals, sizeof totals);
			snprintf(c->note, sizeof c->note, "conversation: %s", totals);
		}
	}
}

/* The columns are the models a send goes to now (the marked ones, or the
 * selected one), in any order: choosing others in Models ends the
 * conversation. */
static int same_models(const struct talk *t)
{
	const struct wb *wb = t->wb;
	size_t n = wb->nmarked >= 2 ? wb->nmarked : wb->selected ? 1 : 0;
	char *const *specs = wb->nmarked >= 2 ? wb->marked : &wb->selected;
	if (n != t->cv->ncols)
		return 0;
	for (size_t i = 0; i < n; i++) { /* in any order: a re-opened compare lists them as its history does */
		size_t j = 0;
		while (j < n && (!t->cv->cols[j].spec || strcmp(specs[i], t->cv->cols[j].spec) != 0))
			j++;
		if (j == n)
			return 0;
	}
	return 1;
}

int talk_conversing(struct talk *t)
{
	if (!t->open || !t->cv->ncols || compare_running(t->cv) || !same_models(t))
		return 0;
	talk_sync(t);
	for (size_t i = 0; i < t->cv->ncols; i++)
		if (t->threads[i].started)
			return 1;
	return 0;
}

char *talk_first_shown(const struct talk *t)
{
	const struct lab_form *f = t->form;
	size_t n = 0;
	const struct lab_msg *sent = t->cv->guard ? lab_guard_messages(t->cv->guard, &n) : NULL;
	const char *question = f->text;
	for (size_t i = n; sent && i-- > 0;)
		if (strcmp(sent[i].role, "user") == 0) {
			question = sent[i].content;
			break;
		}
	if (!f->template || (sent && n))
		return thread_shown_first(question ? question : "");
	struct buf b = BUF_INIT;
	buf_printf(&b, "template %s", f->template);
	for (size_t i = 0; i < f->nfields; i++) {
		const char *v = f->fields[i].value ? f->fields[i].value : f->fields[i].def;
		if (!v)
			continue;
		char one[400];
		talk_one_line(v, one, sizeof one);
		buf_printf(&b, "\n- %s: %s%s", f->fields[i].name, one, f->fields[i].value ? "" : " (default)");
	}
	char *shown = thread_shown_first(buf_str(&b));
	buf_free(&b);
	return shown;
}

void talk_sent(struct talk *t, int col)
{
	for (size_t i = 0; i < COMPARE_MAX_COLUMNS; i++) {
		if (col >= 0 && (size_t)col != i)
			continue;
		t->seen[i] = t->mine[i] = NULL;
		thread_free(&t->threads[i]); /* a run that cannot start must not continue the last conversation */
		thread_init(&t->threads[i]);
	}
	if (col < 0) {
		t->open = 1;
		t->text_sent = 1;
		free(t->draft);
		t->draft = NULL;
	}
}

void talk_new(struct talk *t)
{
	t->open = 0;
	free(t->draft);
	t->draft = NULL;
	wb_status(t->wb, 0, "new conversation: the next send starts it (%s writes the prompt, %s sends)",
		  KEY_HINT(PA_PROMPT_EDIT), KEY_HINT(PA_PROMPT_SEND));
}

/* 1 (said on the status line) when a column's conversation would near its
 * model's context window with text and the user has not been told yet. */
static int window_flag(struct talk *t, const char *text)
{
	enum conv_window worst = CONV_WINDOW_OK;
	int64_t est = 0, window = 0;
	const char *spec = NULL;
	for (size_t i = 0; i < t->cv->ncols; i++) {
		const struct ms_model *mm = wb_find_model(t->wb, t->cv->cols[i].spec);
		int64_t context = mm ? mm->context : 0, e;
		enum conv_window w = conv_window_check(&t->threads[i].conv, text, context, &e);
		if ((w == CONV_WINDOW_NEAR || w == CONV_WINDOW_OVER) && (w > worst || (w == worst && e * 100 / context > est * 100 / window))) {
			worst = w;
			est = e;
			window = context;
			spec = t->cv->cols[i].spec;
		}
	}
	if (!spec || (t->warned && strcmp(t->warned, text) == 0))
		return 0;
	free(t->warned);
	t->warned = xstrdup(text);
	if (worst == CONV_WINDOW_OVER)
		wb_status(t->wb, 1, "this follow-up is about %lld tokens, more than %s's context window of %lld, so the model "
			  "may refuse it; %s again sends it, %s starts a new conversation", (long long)est, spec,
			  (long long)window, KEY_HINT(PA_PROMPT_SUBMIT), KEY_HINT(PA_PROMPT_NEW));
	else
		wb_status(t->wb, 1, "this follow-up is about %lld tokens, %lld%% of %s's context window of %lld; %s again "
			  "sends it, %s starts a new conversation", (long long)est, (long long)(est * 100 / window), spec,
			  (long long)window, KEY_HINT(PA_PROMPT_SUBMIT), KEY_HINT(PA_PROMPT_NEW));
	return 1;
}

int talk_followup(struct talk *t, const char *text)
{
	struct compare_view *cv = t->cv;
	if (compare_running(cv)) {
		wb_status(t->wb, 1, "answers are still streaming; the follow-up goes once they have ended (%s cancels them)",
			  KEY_HINT(PA_PROMPT_CANCEL));
		return -1;
	}
	talk_sync(t);
	if (window_flag(t, text))
		return -1;
	char *typed = NULL, *gnote = NULL;
	struct err ge = ERR_INIT;
	if (lab_guard_followup(cv->guard, text, &typed, &gnote, &ge) != 0) {
		wb_status(t->wb, 1, "%s", ge.msg);
		return -1;
	}
	text = typed;
	struct lab_request rq[COMPARE_MAX_COLUMNS];
	char *shown[COMPARE_MAX_COLUMNS];
	int turn = 0;
	for (size_t i = 0; i < cv->ncols; i++) {
		struct thread *th = &t->threads[i];
		if (!th->started) { /* its first turn failed: the follow-up starts it */
			conv_set_model(&th->conv, cv->cols[i].spec);
			conv_set_system(&th->conv, t->form->system);
			th->started = 1;
		}
		shown[i] = thread_shown_next(th, text);
		thread_begin(th, text);
		struct llm_request lr;
		memset(&lr, 0, sizeof lr);
		conv_request(&th->conv, &lr);
		rq[i] = (struct lab_request){ lr.system, lr.messages, lr.nmessages, shown[i],
					      conv_next_conversation(&th->conv), conv_next_turn(&th->conv) };
		if (rq[i].turn > turn)
			turn = rq[i].turn;
	}
	compare_send_turns(cv, rq);
	for (size_t i = 0; i < cv->ncols; i++) {
		t->mine[i] = cv->cols[i].run;
		t->seen[i] = NULL;
		if (!t->mine[i])
			thread_end(&t->threads[i], NULL, NULL, NULL, 0);
		free(shown[i]);
	}
	free(t->warned);
	t->warned = NULL;
	if (cv->ncols > 1)
		wb_status(t->wb, 0, "follow-up sent to %zu models, each with its conversation so far (turn %d)%s", cv->ncols,
			  turn, gnote);
	else
		wb_status(t->wb, 0, "follow-up sent to %s (turn %d)%s", cv->ncols ? cv->cols[0].spec : "", turn, gnote);
	free(typed);
	free(gnote);
	return 0;
}

void talk_send_draft(struct talk *t)
{
	if (!t->draft) {
		wb_status(t->wb, 1, "a conversation is open: %s writes the follow-up, %s starts a new conversation",
			  KEY_HINT(PA_PROMPT_EDIT), KEY_HINT(PA_PROMPT_NEW));
		return;
	}
	char *text = t->draft;
	t->draft = NULL;
	if (talk_followup(t, text) != 0)
		t->draft = text;
	else
		free(text);
}

int talk_restore(struct talk *t, int64_t id)
{
	struct thread *v;
	size_t n;
	struct err e = ERR_INIT;
	int rc = thread_load_all(t->wb->db, id, &v, &n, &e);
	if (rc < 0)
		wb_status(t->wb, 1, "the conversation of run %lld cannot be read: %s", (long long)id, e.msg);
	if (rc <= 0)
		return rc;
	int turns = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].conv.turns > turns)
			turns = v[i].conv.turns;
	if (turns < 2 || n > COMPARE_MAX_COLUMNS) {
		for (size_t i = 0; i < n; i++)
			thread_free(&v[i]);
		free(v);
		return 0;
	}
	char *specs[COMPARE_MAX_COLUMNS];
	struct lab_run *runs[COMPARE_MAX_COLUMNS];
	for (size_t i = 0; i < n; i++) {
		specs[i] = v[i].conv.model;
		runs[i] = lab_run_shown(specs[i], buf_str(&v[i].shown), thread_answer_at(&v[i]), &v[i].conv.last);
	}
	compare_show(t->cv, specs, runs, n);
	for (size_t i = 0; i < COMPARE_MAX_COLUMNS; i++) {
		thread_free(&t->threads[i]);
		if (i < n)
			t->threads[i] = v[i];
		else
			thread_init(&t->threads[i]);
		t->seen[i] = i < n ? t->cv->cols[i].run : NULL;
		t->mine[i] = NULL;
	}
	free(v);
	t->open = 1;
	free(t->draft);
	t->draft = NULL;
	talk_sync(t);
	wb_status(t->wb, 0, "re-opened conversation %lld: %d turns%s; %s writes the follow-up, %s starts a new one",
		  (long long)t->threads[0].conv.id, turns, n > 1 ? " with each model" : "", KEY_HINT(PA_PROMPT_EDIT),
		  KEY_HINT(PA_PROMPT_NEW));
	return 1;
}

/* ---------------------------------------------------------------- the editor box */

int talk_editing(const struct talk *t)
{
	return t->editing;
}

static const char *target_text(const struct talk *t)
{
	switch (t->target) {
	case TALK_TEXT: return t->form->text && !t->text_sent ? t->form->text : "";
	case TALK_FIELD:
		return t->field < t->form->nfields && t->form->fields[t->field].value ? t->form->fields[t->field].value : "";
	case TALK_SYSTEM: return t->form->system ? t->form->system : "";
	case TALK_FOLLOWUP: return t->draft ? t->draft : "";
	}
	return "";
}

void talk_edit(struct talk *t, enum talk_target target, size_t field, const char *initial)
{
	t->target = target;
	t->field = field;
	editor_set(&t->ed, initial ? initial : target_text(t));
	free(t->opened);
	t->opened = initial ? NULL : xstrdup(editor_text(&t->ed));
	t->editing = 1;
}

/* Stores the box's text in its target; -1 (the status line says why) when a
 * variable refuses it. */
static int keep(struct talk *t)
{
	const char *text = editor_text(&t->ed);
	struct err e = ERR_INIT;
	switch (t->target) {
	case TALK_TEXT:
		lab_form_set_text(t->form, text);
		t->text_sent = 0;
		break;
	case TALK_FIELD:
		if (lab_form_set(t->form, t->field, text, &e) != 0) {
			wb_status(t->wb, 1, "%s", e.msg);
			return -1;
		}
		break;
	case TALK_SYSTEM:
		lab_form_set_system(t->form, text);
		for (size_t i = 0; i < t->cv->ncols; i++)
			if (t->threads[i].started)
				conv_set_system(&t->threads[i].conv, text);
		break;
	case TALK_FOLLOWUP:
		free(t->draft);
		t->draft = *text ? xstrdup(text) : NULL;
		break;
	}
	return 0;
}

static enum talk_key_result submit(struct talk *t)
{
	const char *text = editor_text(&t->ed);
	if (t->target == TALK_FOLLOWUP) {
		if (!*text) {
			wb_status(t->wb, 1, "write the follow-up first; Esc leaves the editor");
			return TALK_DRAWN;
		}
		if (talk_followup(t, text) != 0)
			return TALK_DRAWN;
		free(t->draft);
		t->draft = NULL;
		t->editing = 0;
		return TALK_DRAWN;
	}
	if (keep(t) != 0)
		return TALK_DRAWN;
	t->editing = 0;
	if (t->target == TALK_TEXT)
		return *text ? TALK_SEND_FORM : TALK_DRAWN;
	if (t->target == TALK_SYSTEM) {
		wb_status(t->wb, 0, t->form->system ? "system prompt set" : "system prompt cleared");
		return TALK_DRAWN;
	}
	return TALK_FIELD_SET;
}

static void run_external(struct talk *t)
{
	if (compare_running(t->cv)) { /* the editor holds the loop: streams would stall behind it */
		wb_status(t->wb, 1, "answers are still streaming; %s works once they have ended (%s cancels them)",
			  KEY_HINT(PA_PROMPT_EXTERNAL), KEY_HINT(PA_PROMPT_CANCEL));
		return;
	}
	struct err e = ERR_INIT;
	if (editor_external(&t->ed, &e) != 0)
		wb_status(t->wb, 1, "%s", e.msg);
	else
		wb_status(t->wb, 0, "back from the editor: %zu bytes; %s sends, Esc keeps", strlen(editor_text(&t->ed)),
			  KEY_HINT(PA_PROMPT_SUBMIT));
}

/* Alt+key comes as ESC and the key in one read. */
static int meta_key(int key)
{
	if (key != 27)
		return key;
	int next = getch();
	if (next == 'b' || next == 'f' || next == 'd' || next == '<' || next == '>' || next == 127 || next == 8)
		return EDITOR_KEY_META(next);
	if (next != ERR)
		ungetch(next);
	return key;
}

enum talk_key_result talk_key(struct talk *t, int key)
{
	if (!t->editing)
		return TALK_NOT_MINE;
	key = meta_key(key);
	if (keys_map_action(KEYMAP_PROMPT, key) == PA_PROMPT_SUBMIT)
		return submit(t);
	switch (editor_key(&t->ed, key)) {
	case EDITOR_IGNORED:
		if (keys_map_action(KEYMAP_PROMPT, key) == PA_PROMPT_EXTERNAL) {
			run_external(t);
			return TALK_DRAWN;
		}
		return TALK_NOT_MINE;
	case EDITOR_CHANGED: return TALK_DRAWN;
	case EDITOR_DONE:
		if (t->opened && strcmp(t->opened, editor_text(&t->ed)) == 0) { /* nothing written */
			t->editing = 0;
			return TALK_DRAWN;
		}
		if (keep(t) == 0) {
			t->editing = 0;
			if (t->target == TALK_TEXT || t->target == TALK_FOLLOWUP)
				wb_status(t->wb, 0, "kept the text; %s edits it again", KEY_HINT(PA_PROMPT_EDIT));
		}
		return t->target == TALK_FIELD && !t->editing ? TALK_FIELD_SET : TALK_DRAWN;
	case EDITOR_ABANDON:
		t->editing = 0;
		wb_status(t->wb, 0, "dropped the changes");
		return TALK_DRAWN;
	case EDITOR_EXTERNAL: run_external(t); return TALK_DRAWN;
	}
	return TALK_DRAWN;
}

/* The box the pane opens for a paste or E when none is open. */
static int open_default(struct talk *t, size_t field)
{
	if (t->editing)
		return 0;
	if (talk_conversing(t))
		talk_edit(t, TALK_FOLLOWUP, 0, NULL);
	else if (!t->form->template)
		talk_edit(t, TALK_TEXT, 0, NULL);
	else if (field < t->form->nfields)
		talk_edit(t, TALK_FIELD, field, NULL);
	else
		return -1;
	return 0;
}

void talk_paste(struct talk *t, size_t field, const char *text)
{
	if (open_default(t, field) != 0) {
		wb_status(t->wb, 1, "%s has no variables to paste into", t->form->template);
		return;
	}
	editor_insert(&t->ed, text, strlen(text));
}

void talk_external(struct talk *t, size_t field)
{
	if (open_default(t, field) != 0) {
		wb_status(t->wb, 1, "%s has no variables to edit", t->form->template);
		return;
	}
	run_external(t);
}

static void box_label(const struct talk *t, char *out, size_t size)
{
	const struct wb *wb = t->wb;
	char who[300];
	if (t->target == TALK_FOLLOWUP) {
		int turn = 0;
		for (size_t i = 0; i < t->cv->ncols; i++)
			if (conv_next_turn(&t->threads[i].conv) > turn)
				turn = conv_next_turn(&t->threads[i].conv);
		if (t->cv->ncols > 1)
			snprintf(who, sizeof who, "Follow-up to %zu models (turn %d)", t->cv->ncols, turn);
		else
			snprintf(who, sizeof who, "Follow-up to %s (turn %d)", t->cv->ncols ? t->cv->cols[0].spec : "", turn);
	} else if (t->target == TALK_FIELD && t->field < t->form->nfields) {
		snprintf(who, sizeof who, "%s (%s)", t->form->fields[t->field].name, t->form->fields[t->field].type);
	} else if (t->target == TALK_SYSTEM) {
		snprintf(who, sizeof who, "System prompt");
	} else if (wb->nmarked >= 2) {
		snprintf(who, sizeof who, "Prompt for %zu models", wb->nmarked);
	} else {
		snprintf(who, sizeof who, "Prompt for %s", wb->selected ? wb->selected : "(no model)");
	}
	const char *verb = t->target == TALK_FIELD || t->target == TALK_SYSTEM ? "sets" : "sends";
	snprintf(out, size, "%s · %s %s · Enter new line · Esc keeps · C-g drops · C-x C-e $EDITOR", who,
		 KEY_HINT(PA_PROMPT_SUBMIT), verb);
}

int talk_draw(struct talk *t, WINDOW *w, int y, int height, int width)
{
	if (!t->editing || y >= height)
		return y;
	char label[600];
	box_label(t, label, sizeof label);
	long rows = editor_rows(&t->ed, width > 1 ? width - 1 : 1);
	int avail = height - y - 1; /* the rows under the label */
	int want = rows < BOX_MIN_ROWS ? BOX_MIN_ROWS : rows > avail ? avail : (int)rows;
	int box = want, full = 0;
	if (t->cv->ncols) { /* the answers keep half, a line apart; too little room for them: the box takes it */
		int share = (avail - 1) / 2;
		if (box > share)
			box = share;
		if (box < BOX_MIN_ROWS || avail - 1 - box < ANSWERS_MIN_ROWS)
			box = avail, full = 1;
	}
	if (box >= avail)
		box = avail, full = 1;
	if (rows > box) {
		long row;
		int col;
		editor_cursor_at(&t->ed, width - 1, &row, &col);
		size_t len = strlen(label);
		snprintf(label + len, sizeof label - len, " · row %ld/%ld", row + 1, rows);
	}
	if (avail < 1) { /* no room for the label: the text itself */
		editor_draw(&t->ed, w, y, 0, height - y, width, theme_attr(ROLE_CMDLINE), 1);
		return height;
	}
	draw_text(w, y++, 0, width, label, theme_attr(ROLE_NOTICE));
	attr_t at = theme_attr(ROLE_CMDLINE);
	for (int k = 0; k < box; k++)
		draw_fill(w, y + k, 0, at);
	editor_draw(&t->ed, w, y, 0, box, width, at, 1);
	y += box;
	if (full)
		return height;
	mvwhline(w, y++, 0, ACS_HLINE | theme_attr(ROLE_BORDER), width);
	return y;
}

void talk_one_line(const char *v, char *out, size_t size)
{
	size_t first = strcspn(v, "\n");
	int lines = 0;
	for (const char *p = v + first; *p; p++)
		lines += *p == '\n' && p[1];
	if (!lines) {
		snprintf(out, size, "%.*s", (int)first, v);
		return;
	}
	snprintf(out, size, "%.*s  (+%d line%s)", (int)first, v, lines, lines == 1 ? "" : "s");
}
