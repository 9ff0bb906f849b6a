#include "editor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "draw.h"
#include "term.h"

#define CTRL(c) ((c) & 0x1f)

void editor_init(struct editor *ed, const char *text)
{
	memset(ed, 0, sizeof *ed);
	ed->goal = -1;
	ed->width = 80;
	ed->height = 5;
	editor_set(ed, text);
}

void editor_free(struct editor *ed)
{
	buf_free(&ed->text);
	buf_free(&ed->kill);
	memset(ed, 0, sizeof *ed);
}

const char *editor_text(const struct editor *ed)
{
	return buf_str(&ed->text);
}

/* ---------------------------------------------------------------- characters */

static int is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* The length of the character at i (a stray byte is one). */
static size_t char_len(const struct buf *b, size_t i)
{
	unsigned char c = (unsigned char)b->data[i];
	size_t n = c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	size_t k = 1;
	while (k < n && i + k < b->len && is_cont((unsigned char)b->data[i + k]))
		k++;
	return k;
}

static size_t next_char(const struct buf *b, size_t i)
{
	return i < b->len ? i + char_len(b, i) : i;
}

static size_t prev_char(const struct buf *b, size_t i)
{
	if (!i)
		return 0;
	size_t j = i - 1;
	while (j > 0 && i - j < 4 && is_cont((unsigned char)b->data[j]))
		j--;
	return next_char(b, j) == i ? j : i - 1;
}

/* Display columns of the character at i: a tab or a stray byte is one. */
static int char_width(const struct buf *b, size_t i)
{
	size_t n = char_len(b, i);
	if (b->data[i] == '\t')
		return 1;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	wchar_t wc;
	size_t r = mbrtowc(&wc, b->data + i, n, &st);
	if (r == (size_t)-1 || r == (size_t)-2)
		return 1;
	int w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

/* ---------------------------------------------------------------- rows */

/* Calls row(start, end, ud) for each row at width (end excludes a '\n') and
 * returns the count; a row ends at a line break or where the next character
 * would not fit. */
static long each_row(const struct buf *b, int width, void (*row)(size_t, size_t, void *), void *ud)
{
	if (width < 1)
		width = 1;
	long n = 0;
	size_t start = 0, i = 0;
	int col = 0;
	while (i < b->len) {
		if (b->data[i] == '\n') {
			if (row)
				row(start, i, ud);
			n++;
			start = ++i;
			col = 0;
			continue;
		}
		int w = char_width(b, i);
		if (col + w > width && col > 0) {
			if (row)
				row(start, i, ud);
			n++;
			start = i;
			col = 0;
		}
		col += w;
		i = next_char(b, i);
	}
	if (row)
		row(start, b->len, ud);
	return n + 1;
}

long editor_rows(const struct editor *ed, int width)
{
	return each_row(&ed->text, width, NULL, NULL);
}

struct rows {
	size_t *start, *end;
	long n, cap;
};

static void add_row(size_t start, size_t end, void *ud)
{
	struct rows *r = ud;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->start = xreallocarray(r->start, (size_t)r->cap, sizeof *r->start);
		r->end = xreallocarray(r->end, (size_t)r->cap, sizeof *r->end);
	}
	r->start[r->n] = start;
	r->end[r->n++] = end;
}

static void rows_of(const struct editor *ed, int width, struct rows *r)
{
	memset(r, 0, sizeof *r);
	each_row(&ed->text, width, add_row, r);
}

static void rows_free(struct rows *r)
{
	free(r->start);
	free(r->end);
}

/* The row holding offset at: the last whose start is at or before it (the
 * cursor at a wrap point shows at the next row's start). */
static long row_of(const struct rows *r, size_t at)
{
	long k = 0;
	while (k + 1 < r->n && r->start[k + 1] <= at)
		k++;
	return k;
}

static int cols_between(const struct buf *b, size_t from, size_t to)
{
	int c = 0;
	for (size_t i = from; i < to; i = next_char(b, i))
		c += char_width(b, i);
	return c;
}

void editor_cursor_at(const struct editor *ed, int width, long *row, int *col)
{
	struct rows r;
	rows_of(ed, width, &r);
	*row = row_of(&r, ed->cursor);
	*col = cols_between(&ed->text, r.start[*row], ed->cursor);
	rows_free(&r);
}

/* The offset in row k nearest to column col. */
static size_t offset_at(const struct editor *ed, const struct rows *r, long k, int col)
{
	size_t i = r->start[k];
	int c = 0;
	while (i < r->end[k]) {
		int w = char_width(&ed->text, i);
		if (c + w > col)
			break;
		c += w;
		i = next_char(&ed->text, i);
	}
	return i;
}

static void move_rows(struct editor *ed, long delta)
{
	struct rows r;
	rows_of(ed, ed->width, &r);
	long k = row_of(&r, ed->cursor);
	if (ed->goal < 0)
		ed->goal = cols_between(&ed->text, r.start[k], ed->cursor);
	long to = k + delta;
	if (to < 0) {
		ed->cursor = 0;
	} else if (to >= r.n) {
		ed->cursor = ed->text.len;
	} else {
		ed->cursor = offset_at(ed, &r, to, ed->goal);
	}
	rows_free(&r);
}

/* ---------------------------------------------------------------- editing */

void editor_set(struct editor *ed, const char *text)
{
	buf_reset(&ed->text);
	ed->cursor = 0;
	ed->top = 0;
	ed->goal = -1;
	if (text)
		editor_insert(ed, text, strlen(text));
}

static void insert_raw(struct editor *ed, const char *s, size_t n)
{
	if (!n)
		return;
	size_t tail = ed->text.len - ed->cursor;
	buf_grow(&ed->text, n);
	memmove(ed->text.data + ed->cursor + n, ed->text.data + ed->cursor, tail);
	memcpy(ed->text.data + ed->cursor, s, n);
	ed->text.len += n;
	ed->text.data[ed->text.len] = '\0';
	ed->cursor += n;
}

void editor_insert(struct editor *ed, const char *s, size_t n)
{
	struct buf clean = BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r') {
			buf_putc(&clean, '\n');
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f)) {
			buf_putc(&clean, (char)c);
		}
	}
	insert_raw(ed, clean.data, clean.len);
	buf_free(&clean);
	ed->goal = -1;
}

/* Removes [from, to) and returns 1 when it removed something; kill keeps it for C-y. */
static int cut(struct editor *ed, size_t from, size_t to, int kill)
{
	if (from >= to)
		return 0;
	if (kill) {
		buf_reset(&ed->kill);
		buf_append(&ed->kill, ed->text.data + from, to - from);
	}
	memmove(ed->text.data + from, ed->text.data + to, ed->text.len - to);
	buf_truncate(&ed->text, ed->text.len - (to - from));
	ed->cursor = from;
	return 1;
}

static size_t line_start(const struct editor *ed)
{
	size_t i = ed->cursor;
	while (i > 0 && ed->text.data[i - 1] != '\n')
		i--;
	return i;
}

static size_t line_end(const struct editor *ed)
{
	size_t i = ed->cursor;
	while (i < ed->text.len && ed->text.data[i] != '\n')
		i++;
	return i;
}

static int is_word(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static size_t word_forward(const struct editor *ed)
{
	size_t i = ed->cursor;
	while (i < ed->text.len && !is_word((unsigned char)ed->text.data[i]))
		i++;
	while (i < ed->text.len && is_word((unsigned char)ed->text.data[i]))
		i++;
	return i;
}

static size_t word_back(const struct editor *ed)
{
	size_t i = ed->cursor;
	while (i > 0 && !is_word((unsigned char)ed->text.data[i - 1]))
		i--;
	while (i > 0 && is_word((unsigned char)ed->text.data[i - 1]))
		i--;
	return i;
}

/* readline's C-w: back over white space, then to the white space before. */
static size_t rubout_start(const struct editor *ed)
{
	size_t i = ed->cursor;
	while (i > 0 && (ed->text.data[i - 1] == ' ' || ed->text.data[i - 1] == '\t' || ed->text.data[i - 1] == '\n'))
		i--;
	while (i > 0 && ed->text.data[i - 1] != ' ' && ed->text.data[i - 1] != '\t' && ed->text.data[i - 1] != '\n')
		i--;
	return i;
}

enum editor_result editor_key(struct editor *ed, int key)
{
	if (ed->ctrl_x) {
		ed->ctrl_x = 0;
		return key == CTRL('e') ? EDITOR_EXTERNAL : EDITOR_CHANGED;
	}
	int keep_goal = 0;
	size_t to;
	switch (key) {
	case 27: return EDITOR_DONE;
	case CTRL('g'): return EDITOR_ABANDON;
	case CTRL('x'): ed->ctrl_x = 1; return EDITOR_CHANGED;
	case '\r': case '\n': case KEY_ENTER: insert_raw(ed, "\n", 1); break;
	case KEY_LEFT: case CTRL('b'): ed->cursor = prev_char(&ed->text, ed->cursor); break;
	case KEY_RIGHT: case CTRL('f'): ed->cursor = next_char(&ed->text, ed->cursor); break;
	case KEY_HOME: case CTRL('a'): ed->cursor = line_start(ed); break;
	case KEY_END: case CTRL('e'): ed->cursor = line_end(ed); break;
	case KEY_UP: case CTRL('p'): move_rows(ed, -1); keep_goal = 1; break;
	case KEY_DOWN: case CTRL('n'): move_rows(ed, 1); keep_goal = 1; break;
	case KEY_PPAGE: move_rows(ed, -(ed->height > 1 ? ed->height - 1 : 1)); keep_goal = 1; break;
	case KEY_NPAGE: move_rows(ed, ed->height > 1 ? ed->height - 1 : 1); keep_goal = 1; break;
	case EDITOR_KEY_META('b'): ed->cursor = word_back(ed); break;
	case EDITOR_KEY_META('f'): ed->cursor = word_forward(ed); break;
	case EDITOR_KEY_META('d'): cut(ed, ed->cursor, word_forward(ed), 1); break;
	case EDITOR_KEY_META(127): case EDITOR_KEY_META(8): cut(ed, word_back(ed), ed->cursor, 1); break;
	case EDITOR_KEY_META('<'): ed->cursor = 0; break;
	case EDITOR_KEY_META('>'): ed->cursor = ed->text.len; break;
	case KEY_BACKSPACE: case 127: case CTRL('h'): cut(ed, prev_char(&ed->text, ed->cursor), ed->cursor, 0); break;
	case KEY_DC: case CTRL('d'): cut(ed, ed->cursor, next_char(&ed->text, ed->cursor), 0); break;
	case CTRL('k'):
		to = line_end(ed);
		cut(ed, ed->cursor, to == ed->cursor && to < ed->text.len ? to + 1 : to, 1);
		break;
	case CTRL('u'): cut(ed, line_start(ed), ed->cursor, 1); break;
	case CTRL('w'): cut(ed, rubout_start(ed), ed->cursor, 1); break;
	case CTRL('y'): insert_raw(ed, ed->kill.data ? ed->kill.data : "", ed->kill.len); break;
	default:
		if (key < 0x20 || key == 0x7f || key > 0xff)
			return EDITOR_IGNORED;
		insert_raw(ed, (char[]){ (char)key }, 1);
		break;
	}
	if (!keep_goal)
		ed->goal = -1;
	return EDITOR_CHANGED;
}

/* ---------------------------------------------------------------- drawing */

void editor_draw(struct editor *ed, WINDOW *w, int y, int x, int height, int width, attr_t at, int cursor)
{
	if (height < 1 || width < 1)
		return;
	ed->width = width - 1 > 0 ? width - 1 : 1; /* a column free for the cursor at a row's end */
	ed->height = height;
	struct rows r;
	rows_of(ed, ed->width, &r);
	long crow = row_of(&r, ed->cursor);
	if (crow < ed->top)
		ed->top = crow;
	if (crow >= ed->top + height)
		ed->top = crow - height + 1;
	if (ed->top > r.n - 1)
		ed->top = r.n - 1 > 0 ? r.n - 1 : 0;
	struct buf line = BUF_INIT;
	for (long k = ed->top; k < r.n && k < ed->top + height; k++) {
		buf_reset(&line);
		buf_append(&line, ed->text.data + r.start[k], r.end[k] - r.start[k]);
		for (size_t i = 0; i < line.len; i++)
			if (line.data[i] == '\t')
				line.data[i] = ' ';
		draw_text(w, y + (int)(k - ed->top), x, width, buf_str(&line), at);
	}
	buf_free(&line);
	if (cursor) {
		int col = cols_between(&ed->text, r.start[crow], ed->cursor);
		mvwchgat(w, y + (int)(crow - ed->top), x + col, 1, (at & ~A_COLOR) | A_REVERSE, (short)PAIR_NUMBER(at), NULL);
	}
	rows_free(&r);
}

/* ---------------------------------------------------------------- $EDITOR */

static int read_back(const char *path, struct buf *out, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(e, "cannot read the edited file %s back", path);
	char chunk[8192];
	ssize_t k;
	while ((k = read(fd, chunk, sizeof chunk)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			err_errno(e, "cannot read the edited file %s back", path);
			close(fd);
			return -1;
		}
		buf_append(out, chunk, (size_t)k);
	}
	close(fd);
	return 0;
}

int editor_external(struct editor *ed, struct err *e)
{
	const char *v = getenv("VISUAL"), *edv = getenv("EDITOR");
	if (!(v && *v) && !(edv && *edv))
		return err_set(e, "neither VISUAL nor EDITOR is set; set one to the editor to use");
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char *tmp = path_join(dir, "aiwb-prompt-XXXXXX.md");
	int fd = mkstemps(tmp, 3); /* 0600 */
	if (fd < 0) {
		err_errno(e, "cannot create a temp file in %s for the editor (set TMPDIR to a writable directory)", dir);
		free(tmp);
		return -1;
	}
	int wrote = path_write_all(fd, ed->text.data ? ed->text.data : "", ed->text.len);
	if (close(fd) != 0 || wrote != 0) {
		err_errno(e, "cannot write the temp file %s for the editor", tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	char sh[] = "/bin/sh", dash_c[] = "-c", cmd[] = "exec ${VISUAL:-$EDITOR} \"$1\"", name[] = "sh";
	char *argv[] = { sh, dash_c, cmd, name, tmp, NULL };
	int rc = term_run(argv);
	struct buf got = BUF_INIT;
	int res = -1;
	if (rc < 0)
		err_errno(e, "cannot start the editor");
	else if (rc == 126 || rc == 127)
		err_set(e, "the editor could not be run (exit %d): set VISUAL or EDITOR to a program that exists", rc);
	else if (rc != 0)
		err_set(e, "the editor exited with status %d; the text is unchanged", rc);
	else if (read_back(tmp, &got, e) == 0)
		res = 0;
	unlink(tmp);
	free(tmp);
	if (res == 0) {
		int had_newline = ed->text.len && ed->text.data[ed->text.len - 1] == '\n';
		if (!had_newline && got.len && got.data[got.len - 1] == '\n')
			buf_truncate(&got, got.len - 1);
		editor_set(ed, buf_str(&got));
	}
	buf_free(&got);
	return res;
}
