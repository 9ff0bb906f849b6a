#include "view_help.h"

#include <string.h>

#include "draw.h"
#include "scrollpos.h"
#include "keys.h"

/* The panes with a list to filter (the others have no use for move.filter),
 * and those where printable keys are typed text (a search line), so only the
 * other keys move. */
static const int filters[KEYMAP_COUNT] = { [KEYMAP_MODELS] = 1, [KEYMAP_KB] = 1 };
static const int typing[KEYMAP_COUNT] = { [KEYMAP_HISTORY] = 1 };

static void map_lines(struct buf *out, enum keymap map, enum keymap pane)
{
	const struct pane_binding *t = keys_pane_table();
	for (int i = 0; i < PA_COUNT; i++) {
		if (t[i].map != map || (t[i].action == PA_MOVE_FILTER && !filters[pane]))
			continue;
		struct pane_binding shown = t[i];
		int n = 0;
		for (int k = 0; k < KEYS_PER_ACTION && t[i].keys[k] >= 0; k++)
			if (!typing[pane] || t[i].keys[k] < 32 || t[i].keys[k] > 255)
				shown.keys[n++] = t[i].keys[k];
		for (int k = n; k < KEYS_PER_ACTION; k++)
			shown.keys[k] = -1;
		char keys[64];
		if (n)
			buf_printf(out, "  %-12s  %s\n", keys_names(&shown, keys, sizeof keys), t[i].help);
	}
}

void help_text_for(struct buf *out, enum keymap map, const struct help_command *commands)
{
	const char *title = map != KEYMAP_MOVE ? keys_map_title(map) : NULL;
	if (title) {
		buf_printf(out, "%s\n", title);
		map_lines(out, map, map);
		map_lines(out, KEYMAP_MOVE, map);
		buf_puts(out, "\n");
	}
	help_text(out, commands);
}

void help_text(struct buf *out, const struct help_command *commands)
{
	buf_puts(out, "Keys\n");
	const struct key_binding *t = keys_table();
	for (int i = 0; i < ACTION_COUNT; i++)
		buf_printf(out, "  %-8s %s\n", t[i].key >= 0 ? keys_name(t[i].key) : "-", t[i].help);
	buf_puts(out, "\nCommands (after :)\n");
	for (const struct help_command *c = commands; c && c->name; c++) {
		char head[48];
		snprintf(head, sizeof head, "%s%s%s", c->name, c->args ? " " : "", c->args ? c->args : "");
		buf_printf(out, "  %-18s %s\n", head, c->help);
	}
	buf_puts(out, "\nKeys can be rebound in config.json under \"keys\" (see docs/config.md).\n");
}

int help_draw(enum keymap map, const struct help_command *commands, int *scroll)
{
	struct buf text = BUF_INIT;
	help_text_for(&text, map, commands);
	int nlines = 0;
	for (size_t i = 0; i < text.len; i++)
		nlines += text.data[i] == '\n';

	int h = nlines + 4, w = 72;
	if (h > LINES - 2)
		h = LINES - 2;
	if (w > COLS - 2)
		w = COLS - 2;
	if (h < 3 || w < 10) {
		buf_free(&text);
		return 0;
	}
	int inner = h - 4;
	int max_scroll = nlines > inner ? nlines - inner : 0;
	if (*scroll > max_scroll)
		*scroll = max_scroll;
	if (*scroll < 0)
		*scroll = 0;

	WINDOW *win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	if (!win) {
		buf_free(&text);
		return 0;
	}
	wbkgd(win, theme_attr(ROLE_HELP));
	werase(win);
	draw_frame(win, "Help — ? or Esc closes, arrows scroll", 1);
	const char *line = text.data;
	for (int i = 0; i < *scroll + inner && *line; i++) {
		size_t len = strcspn(line, "\n");
		if (i >= *scroll) {
			char row[256];
			snprintf(row, sizeof row, "%.*s", (int)(len < sizeof row - 1 ? len : sizeof row - 1), line);
			int is_heading = row[0] != ' ' && row[0];
			draw_text(win, 2 + i - *scroll, 2, w - 4, row, theme_attr(is_heading ? ROLE_TITLE : ROLE_HELP));
			if (!is_heading && len > 2) {
				/* the key column: up to two spaces (pane keys are lists: "j Down") */
				const char *gap = strstr(row + 2, "  ");
				int klen = gap ? (int)(gap - (row + 2)) : 0;
				if (klen <= 0 || klen > 24)
					klen = (int)strcspn(row + 2, " ");
				char key[32];
				snprintf(key, sizeof key, "%.*s", klen, row + 2);
				draw_text(win, 2 + i - *scroll, 4, w - 6, key, theme_attr(ROLE_HELP_KEY));
			}
		}
		line += len + (line[len] == '\n');
	}
	scrollpos_draw(win, h - 1, w - 2, w - 4, *scroll, inner, nlines, theme_attr(ROLE_HELP));
	wnoutrefresh(win);
	delwin(win);
	buf_free(&text);
	return inner;
}
