/* Models pane: every provider with its state (checking, reachable, not usable
 * and why) and its models with context window and price. Enter selects the
 * model the Prompt pane sends to (on a provider's row it folds or unfolds
 * its models), Space marks models for comparison, e edits a model's
 * parameters, R asks the providers again; `/` filters fuzzily over provider,
 * id and name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "input.h"
#include "keys.h"
#include "list.h"
#include "pane.h"

struct row {
	size_t provider;
	long model; /* -1: the provider's header row */
};

struct models_pane {
	struct pane base;
	struct ui_list list;
	struct row *rows;
	size_t nrows;
	char *editing; /* the model whose parameters the command line is editing */
	int cursor_cut; /* the cursor row's id did not fit its row */
	char **folded;  /* providers whose models are hidden */
	size_t nfolded;
	char **texts;   /* per row, what the filter searches: "provider/id name" */
	size_t ntexts;
};

static long folded_at(const struct models_pane *mp, const char *name)
{
	for (size_t i = 0; i < mp->nfolded; i++)
		if (strcmp(mp->folded[i], name) == 0)
			return (long)i;
	return -1;
}

void pane_models_fold(struct pane *p, const char *provider, int fold)
{
	struct models_pane *mp = (struct models_pane *)p;
	long at = folded_at(mp, provider);
	if (fold && at < 0) {
		mp->folded = xreallocarray(mp->folded, mp->nfolded + 1, sizeof *mp->folded);
		mp->folded[mp->nfolded++] = xstrdup(provider);
	} else if (!fold && at >= 0) {
		free(mp->folded[at]);
		mp->folded[at] = mp->folded[--mp->nfolded];
	}
}

char *const *pane_models_folded(const struct pane *p, size_t *n)
{
	const struct models_pane *mp = (const struct models_pane *)p;
	*n = mp->nfolded;
	return mp->folded;
}

static void free_texts(struct models_pane *mp)
{
	for (size_t i = 0; i < mp->ntexts; i++)
		free(mp->texts[i]);
	free(mp->texts);
	mp->texts = NULL;
	mp->ntexts = 0;
}

/* A folded provider shows its header only, unless a filter is on (then
 * every model can be found). */
static void build_rows(struct models_pane *mp)
{
	const struct modelset *ms = &mp->base.wb->models;
	int filtering = mp->list.filter[0] != '\0';
	size_t n = 0;
	for (size_t i = 0; i < ms->n; i++)
		n += 1 + ms->providers[i].nmodels;
	mp->rows = xreallocarray(mp->rows, n ? n : 1, sizeof *mp->rows);
	mp->nrows = 0;
	free_texts(mp);
	mp->texts = xcalloc(n ? n : 1, sizeof *mp->texts);
	for (size_t i = 0; i < ms->n; i++) {
		const struct ms_provider *prov = &ms->providers[i];
		mp->texts[mp->nrows] = xstrdup(prov->name);
		mp->rows[mp->nrows++] = (struct row){ i, -1 };
		if (!filtering && folded_at(mp, prov->name) >= 0)
			continue;
		for (size_t j = 0; j < prov->nmodels; j++) {
			const struct ms_model *m = &prov->models[j];
			mp->texts[mp->nrows] = xasprintf("%s %s", m->spec, m->name ? m->name : "");
			mp->rows[mp->nrows++] = (struct row){ i, (long)j };
		}
	}
	mp->ntexts = mp->nrows;
	ui_list_set_count(&mp->list, mp->nrows);
}

static const struct ms_model *row_model(const struct models_pane *mp, size_t i)
{
	if (i >= mp->nrows || mp->rows[i].model < 0)
		return NULL;
	return &mp->base.wb->models.providers[mp->rows[i].provider].models[mp->rows[i].model];
}

static int is_marked(const struct wb *wb, const char *spec)
{
	for (size_t i = 0; i < wb->nmarked; i++)
		if (strcmp(wb->marked[i], spec) == 0)
			return 1;
	return 0;
}

static void toggle_mark(struct wb *wb, const char *spec)
{
	for (size_t i = 0; i < wb->nmarked; i++) {
		if (strcmp(wb->marked[i], spec) == 0) {
			free(wb->marked[i]);
			memmove(wb->marked + i, wb->marked + i + 1, (wb->nmarked - i - 1) * sizeof *wb->marked);
			wb->nmarked--;
			return;
		}
	}
	wb->marked = xreallocarray(wb->marked, wb->nmarked + 1, sizeof *wb->marked);
	wb->marked[wb->nmarked++] = xstrdup(spec);
}

static attr_t state_attr(enum ms_state s)
{
	switch (s) {
	case MS_REACHABLE: return theme_attr(ROLE_OK);
	case MS_CHECKING: return theme_attr(ROLE_DIM);
	case MS_NO_CREDENTIALS: return theme_attr(ROLE_WARN);
	case MS_UNREACHABLE:
	case MS_ERROR: break;
	}
	return theme_attr(ROLE_ERROR);
}

static void draw_provider(WINDOW *w, int y, int width, const struct ms_provider *p, int folded, int cursor)
{
	attr_t sel = theme_attr(ROLE_SELECTED);
	if (cursor)
		draw_fill(w, y, 0, sel);
	int x = folded ? draw_text(w, y, 0, width, "▸ ", cursor ? sel : theme_attr(ROLE_DIM)) : 0;
	x += draw_text(w, y, x, width - x, p->name, cursor ? sel : theme_attr(ROLE_TITLE));
	char state[64];
	if (p->state == MS_REACHABLE)
		snprintf(state, sizeof state, "  %zu model%s", p->nmodels, p->nmodels == 1 ? "" : "s");
	else
		snprintf(state, sizeof state, "  %s", p->state == MS_NO_CREDENTIALS ? "not usable" : ms_state_name(p->state));
	x += draw_text(w, y, x, width - x, state, cursor ? sel : state_attr(p->state));
	if (p->message && x + 3 < width) {
		x += draw_text(w, y, x, width - x, ": ", cursor ? sel : theme_attr(ROLE_DIM));
		draw_text(w, y, x, width - x, p->message, cursor ? sel : theme_attr(ROLE_DIM));
	}
}

/* Returns 1 when the id was shortened to fit. */
static int draw_model(WINDOW *w, int y, int width, const struct wb *wb, const struct ms_model *m, int cursor)
{
	int selected = wb->selected && strcmp(wb->selected, m->spec) == 0;
	attr_t at = theme_attr(cursor ? ROLE_SELECTED : is_marked(wb, m->spec) ? ROLE_MARKED : ROLE_NORMAL);
	if (cursor)
		draw_fill(w, y, 0, at);
	char lead[8];
	snprintf(lead, sizeof lead, " %s%s ", selected ? ">" : " ", is_marked(wb, m->spec) ? "*" : " ");
	int x = draw_text(w, y, 0, width, lead, at);
	char info[96] = "";
	int off = 0;
	if (m->context)
		off = snprintf(info, sizeof info, "%lldk", (long long)(m->context / 1000));
	if (m->has_price)
		snprintf(info + off, sizeof info - (size_t)off, "%s$%.2f/$%.2f", off ? "  " : "", m->input_per_mtok,
			 m->output_per_mtok);
	int info_w = (int)strlen(info);
	int room = width - x - (info_w ? info_w + 1 : 0);
	if (room < 8) {
		room = width - x;
		info_w = 0;
	}
	int used = draw_text_mid(w, y, x, room, m->id, at);
	char *safe = sanitize_str(m->id, strlen(m->id), 4);
	int cut = sanitize_width(safe, strlen(safe)) > used;
	free(safe);
	if (m->embedding && used + 12 < room)
		draw_text(w, y, x + used + 1, room - used - 1, "(embedding)", cursor ? at : theme_attr(ROLE_DIM));
	if (info_w)
		draw_text(w, y, width - info_w, info_w, info, cursor ? at : theme_attr(ROLE_METRIC));
	return cut;
}

/* The list's rows: a provider's header, or one of its models. */
static void draw_row(void *ud, WINDOW *w, int y, int x, int width, size_t i, int cursor)
{
	(void)x;
	struct models_pane *mp = ud;
	const struct wb *wb = mp->base.wb;
	if (mp->rows[i].model < 0) {
		const struct ms_provider *prov = &wb->models.providers[mp->rows[i].provider];
		draw_provider(w, y, width, prov, folded_at(mp, prov->name) >= 0 && !mp->list.filter[0], cursor);
	}
	else if (draw_model(w, y, width, wb, row_model(mp, i), cursor) && cursor)
		mp->cursor_cut = 1;
}

static const char *row_text(void *ud, size_t i)
{
	struct models_pane *mp = ud;
	return i < mp->ntexts ? mp->texts[i] : NULL;
}

static const struct ui_list_ops list_ops = { draw_row, row_text };

static void models_draw(struct pane *p, WINDOW *w, int height, int width)
{
	struct models_pane *mp = (struct models_pane *)p;
	const struct wb *wb = p->wb;
	build_rows(mp);
	if (mp->nrows == 0) {
		ui_list_draw(&mp->list, w, 0, 0, height, width,
			     wb->models_started ? "No models configured — see aiwb doctor" : "Asking the providers for their models…");
		return;
	}
	/* a provider under the cursor that is not ready shows its whole message
	 * (the fix: which variable or command) wrapped below the list */
	size_t at = ui_list_selected(&mp->list);
	const struct ms_provider *fix = at < mp->nrows && mp->rows[at].model < 0 ? &wb->models.providers[mp->rows[at].provider] : NULL;
	char *fix_text = NULL;
	int fix_rows = 0;
	if (fix && fix->message && fix->state != MS_REACHABLE && height > 3) {
		size_t n = strlen(fix->name) + strlen(fix->message) + 3, nl = strlen(fix->name);
		int named = strncmp(fix->message, fix->name, nl) == 0 && fix->message[nl] == ':';
		fix_text = xmalloc(n);
		snprintf(fix_text, n, "%s%s%s", named ? "" : fix->name, named ? "" : ": ", fix->message);
		fix_rows = draw_wrapped(NULL, 0, 0, width, height / 2, fix_text, 0);
	}
	int list_h = height - 1 - fix_rows;
	if (list_h < 1)
		list_h = height;
	mp->cursor_cut = 0;
	ui_list_draw(&mp->list, w, 0, 0, list_h, width, NULL);
	if (fix_rows && list_h < height)
		draw_wrapped(w, list_h, 0, width, fix_rows, fix_text, state_attr(fix->state));
	free(fix_text);
	if (height > 1) {
		char hint[160], sel[16], mark[16], params[16];
		snprintf(sel, sizeof sel, "%s", keys_name(keys_pane_key(PA_MODELS_SELECT)));
		snprintf(mark, sizeof mark, "%s", keys_name(keys_pane_key(PA_MODELS_MARK)));
		snprintf(params, sizeof params, "%s", keys_name(keys_pane_key(PA_MODELS_PARAMS)));
		snprintf(hint, sizeof hint, "%s select  %s mark (%zu)  %s params", sel, mark, wb->nmarked, params);
		/* the full id of the cursor's model after the keys when both fit;
		 * in their place (without the provider when that makes it fit)
		 * when the row had to shorten it */
		size_t cur = ui_list_selected(&mp->list);
		const struct ms_model *m = cur < mp->nrows && mp->rows[cur].model >= 0 ? row_model(mp, cur) : NULL;
		char *safe = m ? sanitize_str(m->spec, strlen(m->spec), 4) : NULL;
		int spec_w = safe ? sanitize_width(safe, strlen(safe)) : 0;
		if (safe && mp->cursor_cut) {
			if (spec_w > width) {
				free(safe);
				safe = sanitize_str(m->id, strlen(m->id), 4);
			}
			draw_text_mid(w, height - 1, 0, width, safe, theme_attr(ROLE_NORMAL));
		} else {
			int used = draw_text(w, height - 1, 0, width, hint, theme_attr(ROLE_DIM));
			if (safe && used + 2 + spec_w <= width)
				draw_text(w, height - 1, width - spec_w, spec_w, safe, theme_attr(ROLE_NORMAL));
		}
		free(safe);
	}
}

static int set_param(struct llm_params *pr, const char *key, const char *val)
{
	int clear = !*val || strcmp(val, "-") == 0;
	char *end;
	double d = clear ? 0 : strtod(val, &end);
	if (!clear && *end)
		return -1;
	if (strcmp(key, "temperature") == 0 && (clear || (d >= 0 && d <= 2))) {
		pr->has_temperature = !clear;
		pr->temperature = d;
	} else if (strcmp(key, "top_p") == 0 && (clear || (d >= 0 && d <= 1))) {
		pr->has_top_p = !clear;
		pr->top_p = d;
	} else if (strcmp(key, "max_tokens") == 0 && (clear || (d >= 1 && d <= 1000000 && d == (int)d))) {
		pr->has_max_tokens = !clear;
		pr->max_tokens = (int)d;
	} else {
		return -1;
	}
	return 0;
}

static struct wb_params *params_slot(struct wb *wb, const char *spec)
{
	for (size_t i = 0; i < wb->nparams; i++)
		if (strcmp(wb->params[i].spec, spec) == 0)
			return &wb->params[i];
	wb->params = xreallocarray(wb->params, wb->nparams + 1, sizeof *wb->params);
	struct wb_params *slot = &wb->params[wb->nparams++];
	memset(slot, 0, sizeof *slot);
	slot->spec = xstrdup(spec);
	return slot;
}

static void on_params(const char *line, void *ud)
{
	struct models_pane *mp = ud;
	struct wb *wb = mp->base.wb;
	if (!line || !mp->editing)
		return;
	struct llm_params next = *wb_params_for(wb, mp->editing);
	char *copy = xstrdup(line), *save = NULL;
	int bad = 0;
	for (char *tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			bad = 1;
			break;
		}
		*eq = '\0';
		if (set_param(&next, tok, eq + 1) != 0) {
			bad = 1;
			break;
		}
	}
	free(copy);
	if (bad) {
		wb_status(wb, 1, "parameters are temperature=0..2 top_p=0..1 max_tokens=N (or =- to unset)");
		return;
	}
	params_slot(wb, mp->editing)->params = next;
	wb_status(wb, 0, "parameters set for %s", mp->editing);
}

static void edit_params(struct models_pane *mp, const char *spec)
{
	struct wb *wb = mp->base.wb;
	const struct llm_params *pr = wb_params_for(wb, spec);
	char current[160], t[32] = "-", tp[32] = "-", mt[32] = "-";
	if (pr->has_temperature)
		snprintf(t, sizeof t, "%g", pr->temperature);
	if (pr->has_top_p)
		snprintf(tp, sizeof tp, "%g", pr->top_p);
	if (pr->has_max_tokens)
		snprintf(mt, sizeof mt, "%d", pr->max_tokens);
	snprintf(current, sizeof current, "temperature=%s top_p=%s max_tokens=%s", t, tp, mt);
	free(mp->editing);
	mp->editing = xstrdup(spec);
	input_begin_with("params: ", current, on_params, mp);
}

static unsigned models_on_key(struct pane *p, int key)
{
	struct models_pane *mp = (struct models_pane *)p;
	struct wb *wb = p->wb;
	if (mp->list.editing && ui_list_key(&mp->list, key)) /* typing a filter */
		return PANE_HANDLED | PANE_DIRTY;
	size_t cur = ui_list_selected(&mp->list);
	const struct ms_model *m = row_model(mp, cur);
	switch (keys_map_action(KEYMAP_MODELS, key)) {
	case PA_MODELS_SELECT:
		if (!m && cur < mp->nrows) {
			const char *name = wb->models.providers[mp->rows[cur].provider].name;
			pane_models_fold(p, name, folded_at(mp, name) < 0);
			break;
		}
		if (!m)
			return PANE_HANDLED;
		if (m->embedding) {
			wb_status(wb, 1, "%s is an embedding model; pick a chat model for the Prompt pane", m->spec);
			return PANE_HANDLED | PANE_DIRTY;
		}
		free(wb->selected);
		wb->selected = xstrdup(m->spec);
		wb_status(wb, 0, "selected %s for the Prompt pane", m->spec);
		break;
	case PA_MODELS_MARK:
		if (m)
			toggle_mark(wb, m->spec);
		break;
	case PA_MODELS_PARAMS:
		if (m)
			edit_params(mp, m->spec);
		break;
	case PA_MODELS_REFRESH:
		if (!wb->models_started || !wb->cfg)
			wb_status(wb, 1, "the providers are not being asked yet; wait for the first answers");
		else
			wb_status(wb, 0, "asking %zu provider%s for their models again",
				  modelset_refresh(&wb->models, wb->loop, wb->cfg),
				  wb->models.n == 1 ? "" : "s");
		break;
	default:
		return ui_list_key(&mp->list, key) ? PANE_HANDLED | PANE_DIRTY : 0;
	}
	return PANE_HANDLED | PANE_DIRTY;
}

static void models_destroy(struct pane *p)
{
	struct models_pane *mp = (struct models_pane *)p;
	ui_list_free(&mp->list);
	free(mp->rows);
	free(mp->editing);
	free_texts(mp);
	for (size_t i = 0; i < mp->nfolded; i++)
		free(mp->folded[i]);
	free(mp->folded);
	free(mp);
}

static const struct pane_ops models_ops = {
	.draw = models_draw,
	.on_key = models_on_key,
	.destroy = models_destroy,
	.keymap = KEYMAP_MODELS,
};

struct pane *pane_models_new(struct wb *wb)
{
	struct models_pane *mp = xcalloc(1, sizeof *mp);
	pane_init(&mp->base, &models_ops, "Models", wb);
	ui_list_init(&mp->list, &list_ops, mp, UI_LIST_FUZZY);
	mp->list.page_step = 10; /* PgUp PgDn have always moved ten rows here */
	return &mp->base;
}
