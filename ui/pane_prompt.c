/* Prompt pane: a free prompt or a technique template with a form for its
 * variables and a preview of the rendered messages; sent to the model
 * selected in Models, or — with several marked — to all of them at once, one
 * column each (the compare view, ui/view_compare.h). The core of it is
 * src/prompt/lab.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "config.h"
#include "draw.h"
#include "guardview.h"
#include "input.h"
#include "keys.h"
#include "pane.h"
#include "prompt/lab.h"
#include "takeaway.h"
#include "talk.h"
#include "view_compare.h"
#include "wrap.h"

#define FORM_ROWS_MAX 6
#define FORM_VALUE_LINES 4       /* lines of the focused variable's value shown under the form */
#define COMPACT_BELOW 24         /* pane rows under which answers get the form's rows */

enum mode { MODE_MAIN, MODE_PICK, MODE_FORM };

struct prompt_pane {
	struct pane base;
	struct lab_form form;
	enum mode mode;
	struct lab_template_info *tpl;
	size_t ntpl;
	size_t pick;             /* index into the filtered list; 0 is the free prompt */
	char filter[64];
	size_t field;
	int preview;
	struct compare_view answers;
	struct talk talk;        /* the editor box and the columns' conversations */
};

static void send_checked(void *ud);

/* Sends the form to the marked models (two or more) or the selected one. */
static void send_form(struct prompt_pane *pp)
{
	struct wb *wb = pp->base.wb;
	if (!lab_form_ready(&pp->form)) {
		wb_status(pp->base.wb, 1, "nothing to send: press %s to write a prompt, or %s to pick a template",
			  KEY_HINT(PA_PROMPT_EDIT), KEY_HINT(PA_PROMPT_TEMPLATE));
		return;
	}
	long miss = lab_form_missing(&pp->form);
	if (miss >= 0) {
		wb_status(pp->base.wb, 1, "template %s needs %s: press %s on it in the form (%s)", pp->form.template,
			   pp->form.fields[miss].name, KEY_HINT(PA_PROMPT_EDIT), KEY_HINT(PA_PROMPT_VARIABLES));
		pp->mode = MODE_FORM;
		pp->field = (size_t)miss;
		return;
	}
	size_t n = wb->nmarked >= 2 ? wb->nmarked : wb->selected ? 1 : 0;
	if (!n) {
		wb_status(pp->base.wb, 1, "no model selected: pick one in Models (focus it with %s, %s on a model)",
			  GLOBAL_KEY_HINT(ACTION_FOCUS_MODELS), KEY_HINT(PA_MODELS_SELECT));
		return;
	}
	guardview_check_prompt(&pp->answers, &pp->form, send_checked, pp);
}

/* The guard let the form go (ui/guardview.h): send it. */
static void send_checked(void *ud)
{
	struct prompt_pane *pp = ud;
	struct wb *wb = pp->base.wb;
	size_t n = wb->nmarked >= 2 ? wb->nmarked : wb->selected ? 1 : 0;
	const char *guard_note = guardview_note(&pp->answers);
	if (!n)
		return;
	if (n > COMPARE_MAX_COLUMNS)
		n = COMPARE_MAX_COLUMNS;
	pp->preview = 0;
	pp->mode = MODE_MAIN;
	char *const *specs = n > 1 ? wb->marked : &wb->selected;
	talk_sent(&pp->talk, -1);
	char *question = talk_first_shown(&pp->talk);
	compare_start(&pp->answers, &pp->form, specs, n, question);
	free(question);
	if (n > 1)
		wb_status(pp->base.wb, 0, "sent to %zu models; %s %s move between them, %s zooms, %s re-runs, %s diffs%s", n,
			  KEY_HINT(PA_PROMPT_LEFT), KEY_HINT(PA_PROMPT_RIGHT), KEY_HINT(PA_PROMPT_ZOOM_COLUMN),
			  KEY_HINT(PA_PROMPT_RERUN), KEY_HINT(PA_PROMPT_DIFF), guard_note);
	else
		wb_status(pp->base.wb, 0, "sent to %s%s", wb->selected, guard_note);
}

static void rerun_checked(void *ud)
{
	struct prompt_pane *pp = ud;
	const struct compare_column *c = compare_focused(&pp->answers);
	if (!c)
		return;
	talk_sent(&pp->talk, (int)pp->answers.focus);
	char *question = talk_first_shown(&pp->talk);
	compare_rerun_focused(&pp->answers, &pp->form, question);
	free(question);
	wb_status(pp->base.wb, 0, "re-running %s%s", c->spec, guardview_note(&pp->answers));
}

static void rerun_focused(struct prompt_pane *pp)
{
	const struct compare_column *c = compare_focused(&pp->answers);
	if (!c)
		return;
	if (compare_column_running(c)) {
		wb_status(pp->base.wb, 1, "%s is still streaming; %s cancels it first", c->spec, KEY_HINT(PA_PROMPT_CANCEL));
		return;
	}
	if (lab_form_missing(&pp->form) >= 0 || !lab_form_ready(&pp->form)) {
		send_form(pp); /* says what is missing */
		return;
	}
	if (pp->talk.open && pp->talk.threads[pp->answers.focus].followups) {
		wb_status(pp->base.wb, 1, "%s re-runs a first turn; %s starts a new conversation", KEY_HINT(PA_PROMPT_RERUN),
			  KEY_HINT(PA_PROMPT_NEW));
		return;
	}
	guardview_check_prompt(&pp->answers, &pp->form, rerun_checked, pp);
}

/* ---------------------------------------------------------------- taking answers away */

/* The focused column's latest answer as it came (a conversation's turns
 * before it left out, ui/answer.h), *len bytes; NULL (the status line says
 * why) when there is none yet. */
static const char *focused_answer(struct prompt_pane *pp, const char **spec, size_t *len)
{
	const struct compare_column *c = answer_focused(&pp->answers, pp->base.wb);
	if (!c)
		return NULL;
	*spec = c->spec;
	return answer_latest(c, len);
}

static void page_answer(struct prompt_pane *pp)
{
	if (compare_running(&pp->answers)) { /* the pager holds the loop: streams would stall behind it */
		wb_status(pp->base.wb, 1, "answers are still streaming; %s works once they have ended (%s cancels them)",
			  KEY_HINT(PA_PROMPT_PAGER), KEY_HINT(PA_PROMPT_CANCEL));
		return;
	}
	const char *spec;
	size_t len;
	const char *text = focused_answer(pp, &spec, &len);
	if (!text)
		return;
	struct err e = ERR_INIT;
	if (takeaway_page(text, len, &e) != 0)
		wb_status(pp->base.wb, 1, "%s", e.msg);
	else
		wb_status(pp->base.wb, 0, "back from the pager (%s's answer)", spec);
}

static void saved_answer(const char *line, void *ud)
{
	struct prompt_pane *pp = ud;
	if (!line)
		return;
	const char *spec;
	size_t len;
	const char *text = focused_answer(pp, &spec, &len);
	if (!text)
		return;
	char *where = NULL, n[32];
	struct err e = ERR_INIT;
	if (takeaway_save(line, text, len, &where, &e) != 0) {
		wb_status(pp->base.wb, 1, "%s", e.msg);
		return;
	}
	takeaway_count(len, n, sizeof n);
	wb_status(pp->base.wb, 0, "saved %s bytes of %s's answer to %s", n, spec, where);
	free(where);
}

/* ---------------------------------------------------------------- editing */

static void edit_text(struct prompt_pane *pp, const char *initial)
{
	talk_edit(&pp->talk, TALK_TEXT, 0, initial);
}

/* A variable was set in the editor: on to the next one missing. */
static void field_set(struct prompt_pane *pp)
{
	long miss = lab_form_missing(&pp->form);
	if (miss >= 0)
		pp->field = (size_t)miss;
	else
		wb_status(pp->base.wb, 0, "ready: %s sends, %s previews the messages", KEY_HINT(PA_PROMPT_SEND),
			  KEY_HINT(PA_PROMPT_PREVIEW));
}

static void edit_field(struct prompt_pane *pp, const char *initial)
{
	if (pp->field < pp->form.nfields)
		talk_edit(&pp->talk, TALK_FIELD, pp->field, initial);
}

static void saved_as(const char *line, void *ud)
{
	struct prompt_pane *pp = ud;
	const struct wb *wb = pp->base.wb;
	if (!line || !*line)
		return;
	char *path = NULL;
	struct err e = ERR_INIT;
	const struct llm_params *params = wb->selected ? wb_params_for(wb, wb->selected) : NULL;
	if (lab_form_save(&pp->form, line, params, &path, &e) != 0) {
		wb_status(pp->base.wb, 1, "%s", e.msg);
		return;
	}
	wb_status(pp->base.wb, 0, "saved template %s to %s", line, path);
	free(path);
}

static void open_template(struct prompt_pane *pp, const char *name)
{
	struct err e = ERR_INIT;
	if (lab_form_open(&pp->form, name, &e) != 0) {
		wb_status(pp->base.wb, 1, "%s", e.msg);
		return;
	}
	pp->field = 0;
	pp->talk.open = 0;
	long miss = lab_form_missing(&pp->form);
	pp->mode = pp->form.nfields ? MODE_FORM : MODE_MAIN;
	pp->preview = 1;
	if (miss >= 0) {
		pp->field = (size_t)miss;
		edit_field(pp, NULL);
	}
}

void pane_prompt_restore(struct pane *p, const struct lab_setup *s, int64_t id)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	struct err e = ERR_INIT;
	if (lab_form_restore(&pp->form, s, &e) != 0)
		wb_status(pp->base.wb, 1, "restored in part: %s", e.msg);
	pp->mode = MODE_MAIN;
	pp->field = 0;
	pp->talk.open = 0;
	pp->talk.text_sent = 0;
	pp->preview = talk_restore(&pp->talk, id) <= 0;
}

void pane_prompt_ask(struct pane *p, const char *question, const char *context, const char *history)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	struct err e = ERR_INIT;
	if (lab_form_open(&pp->form, "rag", &e) != 0) {
		wb_status(pp->base.wb, 1, "%s", e.msg);
		return;
	}
	for (size_t i = 0; i < pp->form.nfields; i++) {
		const char *name = pp->form.fields[i].name;
		const char *v = !strcmp(name, "question") ? question : !strcmp(name, "context") ? context : NULL;
		if (v && lab_form_set(&pp->form, i, v, &e) != 0) {
			wb_status(pp->base.wb, 1, "%s", e.msg);
			return;
		}
	}
	lab_form_set_history_extra(&pp->form, history);
	pp->mode = MODE_MAIN;
	pp->field = 0;
	send_form(pp);
}

/* ---------------------------------------------------------------- the picker */

static int matches(const struct lab_template_info *t, const char *filter)
{
	return !*filter || strstr(t->name, filter) || strstr(t->technique, filter);
}

/* The template at filtered position i (0: the free prompt, NULL). */
static const struct lab_template_info *picked(const struct prompt_pane *pp, size_t i, int *valid)
{
	*valid = i == 0;
	if (i == 0)
		return NULL;
	size_t k = 0;
	for (size_t j = 0; j < pp->ntpl; j++)
		if (matches(&pp->tpl[j], pp->filter) && ++k == i) {
			*valid = 1;
			return &pp->tpl[j];
		}
	return NULL;
}

static size_t picker_count(const struct prompt_pane *pp)
{
	size_t k = 1;
	for (size_t j = 0; j < pp->ntpl; j++)
		k += matches(&pp->tpl[j], pp->filter);
	return k;
}

static void open_picker(struct prompt_pane *pp)
{
	lab_templates_free(pp->tpl, pp->ntpl);
	pp->tpl = NULL;
	pp->ntpl = 0;
	struct err e = ERR_INIT;
	if (lab_templates(&pp->tpl, &pp->ntpl, &e) != 0)
		wb_status(pp->base.wb, 1, "%s", e.msg);
	pp->filter[0] = 0;
	pp->pick = 0;
	for (size_t i = 0; pp->form.template && i < pp->ntpl; i++)
		if (!strcmp(pp->tpl[i].name, pp->form.template))
			pp->pick = i + 1;
	pp->mode = MODE_PICK;
}

static unsigned picker_key(struct prompt_pane *pp, int key)
{
	size_t n = picker_count(pp);
	size_t len = strlen(pp->filter);
	int valid;
	switch (key) {
	case KEY_DOWN: case 14: /* C-n */
		if (pp->pick + 1 < n)
			pp->pick++;
		break;
	case KEY_UP: case 16: /* C-p */
		if (pp->pick)
			pp->pick--;
		break;
	case 27: pp->mode = MODE_MAIN; break;
	case '\r': case '\n': case KEY_ENTER: {
		const struct lab_template_info *t = picked(pp, pp->pick, &valid);
		if (t && t->error) {
			wb_status(pp->base.wb, 1, "%s", t->error);
			break;
		}
		pp->mode = MODE_MAIN;
		open_template(pp, t ? t->name : NULL);
		if (!t)
			edit_text(pp, NULL);
		break;
	}
	case KEY_BACKSPACE: case 127: case 8:
		if (len)
			pp->filter[len - 1] = 0;
		pp->pick = picker_count(pp) > 1 ? 1 : 0;
		break;
	default:
		if (key < 32 || key > 126 || len + 1 >= sizeof pp->filter)
			return 0;
		pp->filter[len] = (char)key;
		pp->filter[len + 1] = 0;
		pp->pick = picker_count(pp) > 1 ? 1 : 0;
		break;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static void draw_picker(struct prompt_pane *pp, WINDOW *w, int y, int height, int width)
{
	char line[600];
	snprintf(line, sizeof line, "Pick a template (type to filter%s%s, arrows, Enter, Esc):", pp->filter[0] ? ": " : "",
		 pp->filter);
	draw_text(w, y++, 0, width, line, theme_attr(ROLE_NOTICE));
	size_t n = picker_count(pp);
	int rows = height - y;
	long first = (long)pp->pick - rows + 1;
	if (first < 0)
		first = 0;
	for (long i = first; i < (long)n && y < height; i++, y++) {
		int valid;
		const struct lab_template_info *t = picked(pp, (size_t)i, &valid);
		if (!t)
			snprintf(line, sizeof line, "  %-26s %-18s %s", "(free prompt)", "", "type your own prompt");
		else
			snprintf(line, sizeof line, "  %-26.26s %-18.18s %s", t->name, t->technique[0] ? t->technique : "-",
				 t->error ? t->error : t->description);
		attr_t at = theme_attr((size_t)i == pp->pick ? ROLE_SELECTED : t && t->error ? ROLE_ERROR : ROLE_NORMAL);
		if ((size_t)i == pp->pick)
			draw_fill(w, y, 0, at);
		draw_text(w, y, 0, width, line, at);
	}
}

/* ---------------------------------------------------------------- drawing */

static int draw_form(struct prompt_pane *pp, WINDOW *w, int y, int height, int width)
{
	const struct lab_form *f = &pp->form;
	char line[1200];
	if (f->template)
		snprintf(line, sizeof line, "Template %s · %s · %s%s%s", f->template, f->technique, f->shape,
			 f->description[0] ? " — " : "", f->description);
	else
		snprintf(line, sizeof line, "Free prompt · %s picks a template", KEY_HINT(PA_PROMPT_TEMPLATE));
	draw_text(w, y++, 0, width, line, theme_attr(ROLE_TITLE));
	char one[1000];
	if (f->system && y < height) {
		talk_one_line(f->system, one, sizeof one);
		snprintf(line, sizeof line, "system: %s", one);
		draw_text(w, y++, 0, width, line, theme_attr(ROLE_DIM));
	}
	if (!f->template) {
		if (f->text[0] && y < height) {
			talk_one_line(f->text, one, sizeof one);
			snprintf(line, sizeof line, "> %s", one);
			draw_text(w, y++, 0, width, line, theme_attr(ROLE_DIM));
		}
		return y;
	}
	if (pp->mode != MODE_FORM && !pp->preview && pp->answers.ncols && height < COMPACT_BELOW && y < height) {
		/* answers on a short pane: the values on one line */
		int off = 0;
		for (size_t i = 0; i < f->nfields && off < (int)sizeof line - 1; i++) {
			const struct lab_field *fl = &f->fields[i];
			off += snprintf(line + off, sizeof line - (size_t)off, "%s%s = %s", i ? " · " : "", fl->name,
					fl->value ? fl->value : fl->def ? "(default)" : "(empty)");
		}
		if (f->nfields)
			draw_text(w, y++, 0, width, line, theme_attr(ROLE_NORMAL));
		return y;
	}
	size_t rows = f->nfields < FORM_ROWS_MAX ? f->nfields : FORM_ROWS_MAX;
	size_t first = pp->field >= rows ? pp->field - rows + 1 : 0;
	for (size_t i = first; i < first + rows && y < height; i++, y++) {
		const struct lab_field *fl = &f->fields[i];
		talk_one_line(fl->value ? fl->value : fl->def ? fl->def : fl->required ? "(required)" : "(empty)", one,
			      sizeof one);
		const char *v = one;
		snprintf(line, sizeof line, "%s%s %-14s %-7s = %s%s", pp->mode == MODE_FORM && i == pp->field ? ">" : " ",
			 fl->required ? "*" : " ", fl->name, fl->type, v, fl->value || !fl->def ? "" : "  (default)");
		int cursor = pp->mode == MODE_FORM && i == pp->field;
		int missing = fl->required && !fl->value && !fl->def;
		attr_t at = theme_attr(cursor ? ROLE_SELECTED : missing ? ROLE_WARN : fl->value ? ROLE_NORMAL : ROLE_DIM);
		if (cursor)
			draw_fill(w, y, 0, at);
		draw_text(w, y, 0, width, line, at);
	}
	if (pp->mode == MODE_FORM && y < height && pp->field < f->nfields && f->fields[pp->field].description[0])
		draw_text(w, y++, 2, width - 2, f->fields[pp->field].description, theme_attr(ROLE_DIM));
	const char *v = pp->mode == MODE_FORM && pp->field < f->nfields ? f->fields[pp->field].value : NULL;
	if (v && !strchr(v, '\n'))
		v = NULL;
	for (int k = 0; v && k < FORM_VALUE_LINES && y < height; k++) { /* a multi-line value */
		size_t n = strcspn(v, "\n");
		snprintf(line, sizeof line, "%.*s", (int)n, v);
		draw_text(w, y, 2, 2, "│", theme_attr(ROLE_BORDER));
		draw_text(w, y++, 4, width - 4, line, theme_attr(ROLE_NORMAL));
		v = v[n] ? v + n + 1 : NULL;
	}
	return y;
}

static void draw_preview(struct prompt_pane *pp, WINDOW *w, int y, int height, int width)
{
	struct lab_msg *m;
	size_t n;
	struct err e = ERR_INIT;
	if (lab_form_preview(&pp->form, &m, &n, &e) != 0) {
		draw_wrapped(w, y, 0, width, height - y, e.msg, theme_attr(ROLE_WARN));
		return;
	}
	struct wrapped wr;
	memset(&wr, 0, sizeof wr);
	struct sanitizer san;
	sanitize_init(&san, 4);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&wr.text, "%s[%s]\n", i ? "\n\n" : "", m[i].role);
		sanitize_feed(&san, m[i].content, strlen(m[i].content), &wr.text);
		sanitize_finish(&san, &wr.text);
	}
	lab_msgs_free(m, n);
	wrap_update(&wr, width);
	char line[64];
	snprintf(line, sizeof line, "Preview (%s hides it):", KEY_HINT(PA_PROMPT_PREVIEW));
	draw_text(w, y++, 0, width, line, theme_attr(ROLE_NOTICE));
	wrap_draw(w, &wr, 0, y, 0, width, height - y, theme_attr(ROLE_NORMAL));
	wrap_free(&wr);
}

static void prompt_draw(struct pane *p, WINDOW *w, int height, int width)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	const struct wb *wb = p->wb;
	char line[700];
	talk_sync(&pp->talk);
	int y = draw_form(pp, w, 0, height, width);
	y = guardview_draw_prompt(&pp->answers, w, y, height, width);
	if (y < height) {
		if (wb->nmarked >= 2) {
			int off = snprintf(line, sizeof line, "→ compare %zu marked models:", wb->nmarked);
			for (size_t i = 0; i < wb->nmarked && off < (int)sizeof line - 1; i++)
				off += snprintf(line + off, sizeof line - (size_t)off, " %s", wb->marked[i]);
		} else if (wb->selected) {
			const struct llm_params *pr = wb_params_for(wb, wb->selected);
			int off = snprintf(line, sizeof line, "→ %s", wb->selected);
			if (pr->has_temperature)
				off += snprintf(line + off, sizeof line - (size_t)off, "  temp %g", pr->temperature);
			if (pr->has_top_p)
				off += snprintf(line + off, sizeof line - (size_t)off, "  top-p %g", pr->top_p);
			if (pr->has_max_tokens)
				snprintf(line + off, sizeof line - (size_t)off, "  max %d", pr->max_tokens);
		} else {
			snprintf(line, sizeof line, "No model selected: pick one in Models (%s on a model, %s marks several).",
				 KEY_HINT(PA_MODELS_SELECT), KEY_HINT(PA_MODELS_MARK));
		}
		draw_text(w, y++, 0, width, line, theme_attr(wb->selected || wb->nmarked >= 2 ? ROLE_NORMAL : ROLE_NOTICE));
	}
	if (y < height)
		mvwhline(w, y++, 0, ACS_HLINE | theme_attr(ROLE_BORDER), width);
	y = talk_draw(&pp->talk, w, y, height, width);
	if (y >= height)
		return;
	if (pp->mode == MODE_PICK) {
		draw_picker(pp, w, y, height, width);
	} else if (pp->preview && lab_form_ready(&pp->form)) {
		draw_preview(pp, w, y, height, width);
	} else if (pp->answers.ncols) {
		compare_draw(&pp->answers, w, y, height, width);
	} else {
		snprintf(line, sizeof line, "Nothing sent yet. %lld run%s in history.", (long long)wb->history_runs,
			 wb->history_runs == 1 ? "" : "s");
		y += draw_wrapped(w, y, 0, width, height - y, line, theme_attr(ROLE_DIM));
		if (y + 1 < height) {
			char keys[600], edit[64];
			keys_names(&keys_pane_table()[PA_PROMPT_EDIT], edit, sizeof edit - 4); /* room for " or" */
			char *sp = strchr(edit, ' '); /* "Enter i": "Enter or i" */
			if (sp) {
				memmove(sp + 3, sp, strlen(sp) + 1);
				memcpy(sp, " or", 3);
			}
			snprintf(keys, sizeof keys,
				 "%s: write a prompt. %s: pick a template, %s: its variables, %s: preview, %s: send, "
				 "%s: system prompt, %s: save as a template. Mark several models in Models to compare "
				 "them: %s %s move between columns, %s zooms one, %s re-runs it, %s diffs it with the next. "
				 "%s copies an answer, %s opens it in $PAGER, %s saves it. %s cancels; arrows scroll.",
				 edit, KEY_HINT(PA_PROMPT_TEMPLATE), KEY_HINT(PA_PROMPT_VARIABLES), KEY_HINT(PA_PROMPT_PREVIEW),
				 KEY_HINT(PA_PROMPT_SEND), KEY_HINT(PA_PROMPT_SYSTEM), KEY_HINT(PA_PROMPT_SAVE),
				 KEY_HINT(PA_PROMPT_LEFT), KEY_HINT(PA_PROMPT_RIGHT), KEY_HINT(PA_PROMPT_ZOOM_COLUMN),
				 KEY_HINT(PA_PROMPT_RERUN), KEY_HINT(PA_PROMPT_DIFF), KEY_HINT(PA_PROMPT_COPY),
				 KEY_HINT(PA_PROMPT_PAGER), KEY_HINT(PA_PROMPT_SAVE_ANSWER), KEY_HINT(PA_PROMPT_CANCEL));
			draw_wrapped(w, y + 1, 0, width, height - y - 1, keys, theme_attr(ROLE_DIM));
		}
	}
}

/* ---------------------------------------------------------------- keys */

/* The variable form has the keys first: moves pick a variable. */
static unsigned form_key(struct prompt_pane *pp, enum pane_action a)
{
	size_t n = pp->form.nfields;
	switch (a) {
	case PA_MOVE_DOWN:
		if (pp->field + 1 < n)
			pp->field++;
		break;
	case PA_MOVE_UP:
		if (pp->field)
			pp->field--;
		break;
	case PA_PROMPT_EDIT: edit_field(pp, NULL); break;
	case PA_PROMPT_CLEAR_VALUE: {
		struct err e = ERR_INIT;
		lab_form_set(&pp->form, pp->field, "", &e);
		break;
	}
	case PA_PROMPT_BACK: pp->mode = MODE_MAIN; break;
	default: return 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static unsigned prompt_on_key(struct pane *p, int key)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	switch (talk_key(&pp->talk, key)) {
	case TALK_NOT_MINE:
		if (talk_editing(&pp->talk) && keys_pane_action(KEYMAP_PROMPT, key) != PA_PROMPT_CANCEL)
			return 0; /* Tab, C-l, ... are the app's */
		break;
	case TALK_SEND_FORM: send_form(pp); return PANE_HANDLED | PANE_DIRTY;
	case TALK_FIELD_SET: field_set(pp); return PANE_HANDLED | PANE_DIRTY;
	case TALK_DRAWN: return PANE_HANDLED | PANE_DIRTY;
	}
	if (pp->mode == MODE_PICK)
		return picker_key(pp, key);
	enum pane_action a = keys_pane_action(KEYMAP_PROMPT, key);
	if (a == PA_PROMPT_CANCEL) {
		if (!compare_running(&pp->answers))
			return 0;
		answer_cancel(&pp->answers, pp->base.wb);
		return PANE_HANDLED | PANE_DIRTY;
	}
	if (pp->mode == MODE_FORM) {
		unsigned r = form_key(pp, a);
		if (r)
			return r;
	}
	if (answer_key(&pp->answers, pp->base.wb, a))
		return PANE_HANDLED | PANE_DIRTY;
	switch (a) {
	case PA_PROMPT_EDIT:
		if (talk_conversing(&pp->talk)) {
			talk_edit(&pp->talk, TALK_FOLLOWUP, 0, NULL);
		} else if (pp->form.template) {
			pp->mode = MODE_FORM;
			if (pp->form.nfields)
				edit_field(pp, NULL);
		} else {
			edit_text(pp, NULL);
		}
		break;
	case PA_PROMPT_TEMPLATE: open_picker(pp); break;
	case PA_PROMPT_VARIABLES:
		if (!pp->form.nfields) {
			wb_status(pp->base.wb, 1, "%s has no variables", pp->form.template ? pp->form.template : "a free prompt");
			return PANE_HANDLED;
		}
		pp->mode = MODE_FORM;
		break;
	case PA_PROMPT_PREVIEW: pp->preview = !pp->preview; break;
	case PA_PROMPT_SEND:
		if (talk_conversing(&pp->talk))
			talk_send_draft(&pp->talk);
		else
			send_form(pp);
		break;
	case PA_PROMPT_SYSTEM: talk_edit(&pp->talk, TALK_SYSTEM, 0, NULL); break;
	case PA_PROMPT_EXTERNAL:
		if (pp->form.template && !talk_conversing(&pp->talk))
			pp->mode = MODE_FORM;
		talk_external(&pp->talk, pp->field);
		break;
	case PA_PROMPT_NEW: talk_new(&pp->talk); break;
	case PA_PROMPT_SAVE: input_begin_in(INPUT_COMMANDS, "save as template> ", NULL, saved_as, pp); break;
	case PA_PROMPT_RERUN: rerun_focused(pp); break;
	case PA_PROMPT_PAGER: page_answer(pp); break;
	case PA_PROMPT_SAVE_ANSWER: {
		const char *spec;
		size_t len;
		if (focused_answer(pp, &spec, &len))
			input_begin_in(INPUT_COMMANDS, "save the answer to> ", NULL, saved_answer, pp);
		break;
	}
	case PA_PROMPT_DIFF:
		if (compare_toggle_diff(&pp->answers) != 0) {
			wb_status(pp->base.wb, 1, "a word diff needs two answers: mark two or more models in Models and send");
			return PANE_HANDLED;
		}
		pp->preview = 0;
		break;
	case PA_PROMPT_ZOOM_COLUMN: compare_toggle_zoom(&pp->answers); break;
	case PA_PROMPT_LEFT: compare_focus_move(&pp->answers, -1); break;
	case PA_PROMPT_RIGHT: compare_focus_move(&pp->answers, 1); break;
	case PA_PROMPT_BACK:
		pp->preview = 0;
		compare_close_diff(&pp->answers);
		break;
	case PA_MOVE_DOWN: compare_scroll_by(&pp->answers, 1); break;
	case PA_MOVE_UP: compare_scroll_by(&pp->answers, -1); break;
	case PA_MOVE_PAGE_DOWN: case PA_PROMPT_PAGE_DOWN: compare_scroll_page(&pp->answers, 1); break;
	case PA_MOVE_PAGE_UP: compare_scroll_page(&pp->answers, -1); break;
	case PA_MOVE_FIRST: compare_scroll_home(&pp->answers); break;
	case PA_MOVE_LAST: compare_scroll_end(&pp->answers); break;
	default: return 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static void prompt_destroy(struct pane *p)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	talk_free(&pp->talk);
	compare_free(&pp->answers);
	lab_form_close(&pp->form);
	lab_templates_free(pp->tpl, pp->ntpl);
	free(pp);
}

static const struct pane_ops prompt_ops = {
	.draw = prompt_draw,
	.on_key = prompt_on_key,
	.destroy = prompt_destroy,
	.keymap = KEYMAP_PROMPT,
};

struct pane *pane_prompt_new(struct wb *wb)
{
	struct prompt_pane *pp = xcalloc(1, sizeof *pp);
	pane_init(&pp->base, &prompt_ops, "Prompt", wb);
	compare_init(&pp->answers, wb);
	lab_form_open(&pp->form, NULL, NULL);
	talk_init(&pp->talk, wb, &pp->form, &pp->answers);
	return &pp->base;
}

int pane_prompt_use_template(struct pane *p, const char *name)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	struct err e = ERR_INIT;
	if (lab_form_open(&pp->form, name, &e) != 0) {
		wb_status(pp->base.wb, 1, "%s", e.msg);
		return -1;
	}
	pp->mode = MODE_MAIN;
	pp->field = 0;
	pp->preview = name != NULL;
	return 0;
}

const char *pane_prompt_template(const struct pane *p)
{
	return ((const struct prompt_pane *)p)->form.template;
}

void pane_prompt_paste(struct pane *p, const char *text)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	if (pp->form.template && !talk_editing(&pp->talk) && !talk_conversing(&pp->talk))
		pp->mode = MODE_FORM;
	talk_paste(&pp->talk, pp->field, text);
}

void pane_prompt_click(struct pane *p, int y, int x)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	answer_click(&pp->answers, y, x);
}

int pane_prompt_running(struct pane *p)
{
	struct prompt_pane *pp = (struct prompt_pane *)p;
	return answer_running(&pp->answers);
}
