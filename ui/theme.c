#include "theme.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"

#define THEME_EXT ".theme"
#define ROLE_SYNTAX "ROLE = FG [on BG] [ATTR...] [mono:ATTR,...]"

#define THEME_ROLE_NAME(id, name) name,
static const char *const role_names[ROLE_COUNT] = { THEME_ROLES(THEME_ROLE_NAME) };
#undef THEME_ROLE_NAME

/* Built-in defaults: the same as themes/default.theme (a test keeps them equal). */
static const struct theme_style default_styles[ROLE_COUNT] = {
	[ROLE_NORMAL] = { THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_DIM] = { 245, THEME_COLOR_DEFAULT, A_NORMAL, A_DIM },
	[ROLE_BORDER] = { 242, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_BORDER_FOCUSED] = { 39, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD },
	[ROLE_TITLE] = { 250, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_TITLE_FOCUSED] = { 39, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD | A_REVERSE },
	[ROLE_SELECTED] = { 255, 24, A_NORMAL, A_REVERSE },
	[ROLE_MARKED] = { 214, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD | A_UNDERLINE },
	[ROLE_STATUS] = { 252, 238, A_NORMAL, A_REVERSE },
	[ROLE_STATUS_KEY] = { 39, 238, A_BOLD, A_BOLD | A_REVERSE },
	[ROLE_STATUS_ERROR] = { 231, 124, A_BOLD, A_BOLD },
	[ROLE_CMDLINE] = { THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_HELP] = { 252, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_HELP_KEY] = { 39, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD },
	[ROLE_NOTICE] = { 81, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_OK] = { 34, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_WARN] = { 220, THEME_COLOR_DEFAULT, A_NORMAL, A_BOLD },
	[ROLE_ERROR] = { 196, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD },
	[ROLE_METRIC] = { 141, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_MATCH] = { 16, 220, A_BOLD, A_BOLD | A_REVERSE },
	[ROLE_JOB_RUNNING] = { 39, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_JOB_DONE] = { 34, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_JOB_FAILED] = { 196, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD },
	[ROLE_CHART_1] = { 39, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_CHART_2] = { 214, THEME_COLOR_DEFAULT, A_NORMAL, A_BOLD },
	[ROLE_CHART_3] = { 77, THEME_COLOR_DEFAULT, A_NORMAL, A_NORMAL },
	[ROLE_CHART_4] = { 170, THEME_COLOR_DEFAULT, A_NORMAL, A_BOLD },
	[ROLE_HEADING] = { 39, THEME_COLOR_DEFAULT, A_BOLD, A_BOLD },
	[ROLE_CODE] = { 252, 236, A_NORMAL, A_NORMAL },
};

static const char *const color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow",
	"bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

/* The common xterm-256 chart values for the 16 ANSI colours. */
static const unsigned char ansi_rgb[16][3] = {
	{ 0, 0, 0 }, { 128, 0, 0 }, { 0, 128, 0 }, { 128, 128, 0 },
	{ 0, 0, 128 }, { 128, 0, 128 }, { 0, 128, 128 }, { 192, 192, 192 },
	{ 128, 128, 128 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
	{ 0, 0, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
};

static const struct {
	const char *name;
	attr_t attr;
} attr_names[] = {
	{ "bold", A_BOLD },
	{ "underline", A_UNDERLINE },
	{ "reverse", A_REVERSE },
	{ "dim", A_DIM },
	{ "italic", A_ITALIC },
};

static struct theme_style applied_styles[ROLE_COUNT];
static int applied;
static int applied_colors;

const char *theme_role_name(enum theme_role r)
{
	if ((unsigned)r >= ROLE_COUNT)
		return "unknown";
	return role_names[r];
}

static void color_rgb(int c, int rgb[3])
{
	static const int cube_levels[6] = { 0, 95, 135, 175, 215, 255 };
	if (c < 16) {
		for (int i = 0; i < 3; i++)
			rgb[i] = ansi_rgb[c][i];
	} else if (c < 232) {
		c -= 16;
		rgb[0] = cube_levels[c / 36];
		rgb[1] = cube_levels[c / 6 % 6];
		rgb[2] = cube_levels[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

static int is_grey(int c)
{
	int rgb[3];
	color_rgb(c, rgb);
	return rgb[0] == rgb[1] && rgb[1] == rgb[2];
}

static int nearest_color(const int rgb[3], int first, int end, int greys_only)
{
	int best = first;
	long best_dist = -1;
	for (int c = first; c < end; c++) {
		if (greys_only && !is_grey(c))
			continue;
		int p[3];
		color_rgb(c, p);
		long dist = 0;
		for (int i = 0; i < 3; i++)
			dist += (long)(rgb[i] - p[i]) * (rgb[i] - p[i]);
		if (best_dist < 0 || dist < best_dist) {
			best = c;
			best_dist = dist;
		}
	}
	return best;
}

/* Greys map to greys: by plain distance a dark grey is nearer to
 * dark red than to black or white among the first 8. */
short theme_fallback_color(short color, int ncolors)
{
	if (color < 0 || color > 255 || ncolors >= 256)
		return color;
	int n = ncolors >= 16 ? 16 : 8;
	if (color < n)
		return color;
	int rgb[3];
	color_rgb(color, rgb);
	return (short)nearest_color(rgb, 0, n, is_grey(color));
}

static attr_t style_attr(const struct theme_style *styles, enum theme_role r, int ncolors)
{
	if ((unsigned)r >= ROLE_COUNT)
		return A_NORMAL;
	if (ncolors <= 0)
		return styles[r].attrs | styles[r].mono;
	return (attr_t)COLOR_PAIR(r + 1) | styles[r].attrs;
}

attr_t theme_resolve(const struct theme *t, enum theme_role r, int ncolors)
{
	return style_attr(t ? t->roles : default_styles, r, ncolors);
}

static int no_color_requested(void)
{
	const char *v = getenv("NO_COLOR");
	return v && *v;
}

static int terminal_colors(void)
{
	if (no_color_requested() || !has_colors() || COLOR_PAIRS <= ROLE_COUNT)
		return 0;
	if (COLORS >= 256)
		return 256;
	return COLORS >= 16 ? 16 : 8;
}

void theme_apply(const struct theme *t)
{
	memcpy(applied_styles, t ? t->roles : default_styles, sizeof applied_styles);
	applied = 1;
	applied_colors = terminal_colors();
	if (!applied_colors)
		return;
	int have_default = use_default_colors() == OK;
	for (int r = 0; r < ROLE_COUNT; r++) {
		short fg = theme_fallback_color(applied_styles[r].fg, applied_colors);
		short bg = theme_fallback_color(applied_styles[r].bg, applied_colors);
		if (!have_default && fg < 0)
			fg = COLOR_WHITE;
		if (!have_default && bg < 0)
			bg = COLOR_BLACK;
		init_pair((short)(r + 1), fg, bg);
	}
}

attr_t theme_attr(enum theme_role r)
{
	return style_attr(applied ? applied_styles : default_styles, r, applied_colors);
}

int theme_colors(void)
{
	return applied_colors;
}

static void theme_init_defaults(struct theme *t)
{
	t->name = NULL;
	t->description = NULL;
	memcpy(t->roles, default_styles, sizeof t->roles);
}

void theme_free(struct theme *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->description);
	t->name = t->description = NULL;
}

static int find_role(const char *name)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (strcasecmp(name, role_names[r]) == 0)
			return r;
	return -1;
}

static int parse_number(const char *s, short *out)
{
	int v = 0;
	if (!*s || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v > 255)
		return -1;
	*out = (short)v;
	return 0;
}

static int parse_hex_color(const char *s, short *out)
{
	if (strlen(s) != 7)
		return -1;
	int rgb[3];
	for (int i = 0; i < 3; i++) {
		char pair[3] = { s[1 + 2 * i], s[2 + 2 * i], '\0' };
		if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]))
			return -1;
		rgb[i] = (int)strtol(pair, NULL, 16);
	}
	*out = (short)nearest_color(rgb, 16, 256, 0);
	return 0;
}

static int parse_color(const char *s, short *out)
{
	if (strcasecmp(s, "default") == 0) {
		*out = THEME_COLOR_DEFAULT;
		return 0;
	}
	for (int i = 0; i < 16; i++) {
		if (strcasecmp(s, color_names[i]) == 0) {
			*out = (short)i;
			return 0;
		}
	}
	if (s[0] == '#')
		return parse_hex_color(s, out);
	if (strncasecmp(s, "colour", 6) == 0)
		return parse_number(s + 6, out);
	if (strncasecmp(s, "color", 5) == 0)
		return parse_number(s + 5, out);
	return parse_number(s, out);
}

static int parse_attr(const char *s, attr_t *out)
{
	for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
		if (strcasecmp(s, attr_names[i].name) == 0) {
			*out = attr_names[i].attr;
			return 0;
		}
	}
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static char *next_word(char **p)
{
	char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	char *w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

struct line_ctx {
	const char *file;
	int line;
	struct err *e;
};

__attribute__((format(printf, 2, 3)))
static int line_err(const struct line_ctx *c, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(c->e, "%s:%d: %s", c->file, c->line, msg);
}

static int parse_mono(const struct line_ctx *c, const char *list, attr_t *out)
{
	attr_t mono = A_NORMAL;
	char *copy = xstrdup(list);
	int rc = 0;
	if (strcasecmp(copy, "none") != 0) {
		char *save = NULL;
		char *w = strtok_r(copy, ",", &save);
		if (!w)
			rc = line_err(c, "'mono:' needs attributes, e.g. mono:bold,reverse");
		for (; w && rc == 0; w = strtok_r(NULL, ",", &save)) {
			attr_t a;
			if (parse_attr(w, &a) != 0)
				rc = line_err(c, "unknown attribute '%.80s' in mono: (use bold, underline, reverse, dim, italic or none)", w);
			else
				mono |= a;
		}
	}
	free(copy);
	if (rc == 0)
		*out = mono;
	return rc;
}

static int parse_style(const struct line_ctx *c, const char *role, char *value, struct theme_style *s)
{
	struct theme_style out = { THEME_COLOR_DEFAULT, THEME_COLOR_DEFAULT, A_NORMAL, s->mono };
	int have_bg = 0;
	char *w;
	for (int i = 0; (w = next_word(&value)); i++) {
		short color;
		attr_t a;
		if (strcasecmp(w, "on") == 0) {
			char *bg = next_word(&value);
			if (have_bg)
				return line_err(c, "'on' given twice for '%s'", role);
			if (!bg)
				return line_err(c, "'on' needs a background colour for '%s'", role);
			if (parse_color(bg, &out.bg) != 0)
				return line_err(c, "bad colour '%.80s' (use default, a colour name, 0-255, colorN or #rrggbb)", bg);
			have_bg = 1;
		} else if (strncasecmp(w, "mono:", 5) == 0) {
			if (parse_mono(c, w + 5, &out.mono) != 0)
				return -1;
		} else if (parse_attr(w, &a) == 0) {
			out.attrs |= a;
		} else if (i == 0) {
			if (parse_color(w, &out.fg) != 0)
				return line_err(c, "bad colour '%.80s' (use default, a colour name, 0-255, colorN or #rrggbb)", w);
		} else if (parse_color(w, &color) == 0) {
			return line_err(c, "colour '%.80s' out of place; write " ROLE_SYNTAX, w);
		} else {
			return line_err(c, "unknown attribute '%.80s' (use bold, underline, reverse, dim, italic)", w);
		}
	}
	*s = out;
	return 0;
}

static int set_string(const struct line_ctx *c, const char *key, const char *value, char **out)
{
	if (!*value && strcmp(key, "name") == 0)
		return line_err(c, "empty %s", key);
	free(*out);
	*out = xstrdup(value);
	return 0;
}

static int parse_line(const struct line_ctx *c, char *line, struct theme *t)
{
	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	char *eq = strchr(line, '=');
	if (!eq)
		return line_err(c, "expected 'KEY = VALUE', got '%.80s'", line);
	*eq = '\0';
	char *key = trim(line);
	char *value = trim(eq + 1);
	if (!*key)
		return line_err(c, "missing role name before '='");
	if (strcasecmp(key, "name") == 0)
		return set_string(c, "name", value, &t->name);
	if (strcasecmp(key, "description") == 0)
		return set_string(c, "description", value, &t->description);
	int r = find_role(key);
	if (r < 0)
		return line_err(c, "unknown role '%.80s' (see docs/themes.md for the list)", key);
	if (!*value)
		return line_err(c, "no value for '%s'; write " ROLE_SYNTAX, role_names[r]);
	return parse_style(c, role_names[r], value, &t->roles[r]);
}

static char *name_from_file(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strlen(base);
	size_t ext = strlen(THEME_EXT);
	if (n > ext && strcmp(base + n - ext, THEME_EXT) == 0)
		n -= ext;
	return n ? xstrndup(base, n) : xstrdup("unnamed");
}

int theme_parse(struct theme *t, const char *file, const char *text, struct err *e)
{
	struct theme parsed;
	theme_init_defaults(&parsed);
	struct line_ctx c = { file ? file : "theme", 0, e };
	char *copy = xstrdup(text ? text : "");
	char *line = copy;
	int rc = 0;
	while (line && rc == 0) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		c.line++;
		rc = parse_line(&c, line, &parsed);
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	if (rc != 0) {
		theme_free(&parsed);
		theme_init_defaults(t);
		return -1;
	}
	if (!parsed.name)
		parsed.name = name_from_file(c.file);
	if (!parsed.description)
		parsed.description = xstrdup("");
	*t = parsed;
	return 0;
}

static int valid_theme_name(const char *name)
{
	return *name && *name != '.' && !strchr(name, '/');
}

static char *theme_file_in(const char *dir, const char *name)
{
	char *themes = path_join(dir, "themes");
	char *file = xasprintf("%s/%s%s", themes, name, THEME_EXT);
	free(themes);
	return file;
}

static int load_file(struct theme *t, const char *file, struct err *e)
{
	char *text = path_read_file(file, NULL, e);
	if (!text) {
		theme_init_defaults(t);
		return -1;
	}
	int rc = theme_parse(t, file, text, e);
	free(text);
	return rc;
}

static int missing_theme(struct theme *t, const char *name, struct err *e)
{
	size_t n;
	char **names = theme_names(&n);
	struct buf list = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
	char *user = path_join(path_config_dir(), "themes");
	char *share = path_join(path_share_dir(), "themes");
	if (n)
		err_set(e, "no theme '%.80s'; available: %s", name, buf_str(&list));
	else
		err_set(e, "no theme '%.80s' and no themes at all in %s or %s", name, user, share);
	free(user);
	free(share);
	buf_free(&list);
	theme_names_free(names, n);
	theme_init_defaults(t);
	return -1;
}

int theme_load(struct theme *t, const char *name, struct err *e)
{
	if (!name || !valid_theme_name(name)) {
		theme_init_defaults(t);
		return err_set(e, "bad theme name '%.80s': give a name such as 'default', not a path", name ? name : "");
	}
	char *bare = xstrdup(name);
	size_t n = strlen(bare), ext = strlen(THEME_EXT);
	if (n > ext && strcmp(bare + n - ext, THEME_EXT) == 0)
		bare[n - ext] = '\0';
	const char *dirs[] = { path_config_dir(), path_share_dir() };
	int rc = 1;
	for (size_t i = 0; i < 2 && rc > 0; i++) {
		char *file = theme_file_in(dirs[i], bare);
		if (path_exists(file))
			rc = load_file(t, file, e);
		free(file);
	}
	if (rc > 0)
		rc = missing_theme(t, bare, e);
	free(bare);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_names(const char *dir, char ***names, size_t *n, size_t *cap)
{
	char *themes = path_join(dir, "themes");
	DIR *d = opendir(themes);
	if (!d) {
		free(themes);
		return;
	}
	size_t ext = strlen(THEME_EXT);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= ext || strcmp(de->d_name + len - ext, THEME_EXT) != 0)
			continue;
		char *full = path_join(themes, de->d_name);
		int is_dir = path_is_dir(full);
		free(full);
		if (is_dir)
			continue;
		*names = xgrow(*names, cap, *n + 1 + 1, sizeof **names);
		(*names)[(*n)++] = xstrndup(de->d_name, len - ext);
	}
	closedir(d);
	free(themes);
}

char **theme_names(size_t *n)
{
	char **names = NULL;
	size_t count = 0, cap = 0;
	collect_names(path_config_dir(), &names, &count, &cap);
	collect_names(path_share_dir(), &names, &count, &cap);
	if (!names)
		names = xcalloc(1, sizeof *names);
	qsort(names, count, sizeof *names, compare_names);
	size_t kept = 0;
	for (size_t i = 0; i < count; i++) {
		if (kept && strcmp(names[kept - 1], names[i]) == 0)
			free(names[i]);
		else
			names[kept++] = names[i];
	}
	names[kept] = NULL;
	if (n)
		*n = kept;
	return names;
}

void theme_names_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
