/* Models pane: providers and their credential state. Model lists, selection
 * and per-model parameters arrive with the providers. */
#include <stdio.h>

#include "draw.h"
#include "pane.h"

static attr_t state_attr(enum creds_state s)
{
	switch (s) {
	case CREDS_PRESENT: return theme_attr(ROLE_OK);
	case CREDS_NOT_NEEDED: return theme_attr(ROLE_DIM);
	case CREDS_BAD: return theme_attr(ROLE_ERROR);
	case CREDS_NONE: break;
	}
	return theme_attr(ROLE_WARN);
}

static const char *state_text(enum creds_state s)
{
	switch (s) {
	case CREDS_PRESENT: return "credentials found";
	case CREDS_NOT_NEEDED: return "local, no key needed";
	case CREDS_BAD: return "credentials unusable";
	case CREDS_NONE: break;
	}
	return "no credentials";
}

static void models_draw(struct pane *p, WINDOW *w, int height, int width)
{
	const struct wb *wb = p->wb;
	int y = draw_wrapped(w, 0, 0, width, height, "No models configured — see aiwb doctor", theme_attr(ROLE_NOTICE));
	y++;
	if (y < height)
		draw_text(w, y++, 0, width, "Providers", theme_attr(ROLE_TITLE));
	for (size_t i = 0; i < wb->nproviders && y < height; i++) {
		const struct wb_provider *pr = &wb->providers[i];
		int name_w = width < 30 ? width / 2 : 12;
		draw_text(w, y, 1, name_w - 1, pr->name, theme_attr(ROLE_NORMAL));
		draw_text(w, y, name_w + 1, width - name_w - 1, state_text(pr->creds.state), state_attr(pr->creds.state));
		y++;
		if (pr->creds.source[0] && y < height && width > 20)
			draw_text(w, y++, 3, width - 3, pr->creds.source, theme_attr(ROLE_DIM));
	}
}

static const struct pane_ops models_ops = {
	.draw = models_draw,
	.on_key = pane_no_keys,
	.destroy = pane_free,
};

struct pane *pane_models_new(const struct wb *wb)
{
	return pane_new(&models_ops, "Models", wb);
}
