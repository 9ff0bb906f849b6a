#include "base/sanitize.h"

#include <limits.h>
#include <string.h>
#include <wchar.h>

enum {
	S_GROUND,
	S_ESC,
	S_ESC_INTER,
	S_CSI,
	S_OSC,
	S_STRING,
	S_STRING_ESC,
};

enum { BEL = 0x07, CAN = 0x18, SUB = 0x1a, ESC = 0x1b, DEL = 0x7f };
enum { C1_ST = 0x9c, C1_CSI = 0x9b, C1_OSC = 0x9d };

#define REPLACEMENT "\xef\xbf\xbd"

static int utf8_need(unsigned char lead)
{
	if (lead >= 0xc2 && lead <= 0xdf)
		return 1;
	if (lead >= 0xe0 && lead <= 0xef)
		return 2;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 3;
	return 0;
}

/* The second byte carries the overlong, surrogate and > U+10FFFF checks. */
static int utf8_second_ok(unsigned char lead, unsigned char c)
{
	switch (lead) {
	case 0xe0:
		return c >= 0xa0 && c <= 0xbf;
	case 0xed:
		return c >= 0x80 && c <= 0x9f;
	case 0xf0:
		return c >= 0x90 && c <= 0xbf;
	case 0xf4:
		return c >= 0x80 && c <= 0x8f;
	default:
		return (c & 0xc0) == 0x80;
	}
}

/* Length of the valid character at p, 0 if p holds only a valid prefix of
 * one, -1 if the bytes are invalid. */
static int utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	int need = utf8_need(p[0]);
	if (!need)
		return -1;
	uint32_t v = p[0] & (0x3fu >> need);
	for (int k = 1; k <= need; k++) {
		if ((size_t)k >= n)
			return 0;
		if (k == 1 ? !utf8_second_ok(p[0], p[1]) : (p[k] & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (p[k] & 0x3fu);
	}
	*cp = v;
	return need + 1;
}

/* For text that should be valid: a bad byte counts as one U+FFFD. */
static size_t char_at(const unsigned char *p, size_t n, uint32_t *cp)
{
	int len = utf8_decode(p, n, cp);
	if (len > 0)
		return (size_t)len;
	*cp = 0xfffd;
	return 1;
}

int sanitize_cpwidth(uint32_t cp)
{
	if (cp >= 0x20 && cp < DEL)
		return 1;
	if (cp < 0xa0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	int w = wcwidth((wchar_t)cp);
	return w > 0 ? w : 0;
}

int sanitize_width(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0, i = 0;
	while (i < n) {
		if (p[i] >= 0x20 && p[i] < DEL) {
			width++;
			i++;
			continue;
		}
		uint32_t cp;
		i += char_at(p + i, n - i, &cp);
		width += (size_t)sanitize_cpwidth(cp);
	}
	return width > INT_MAX ? INT_MAX : (int)width;
}

size_t sanitize_fit(const char *s, size_t n, int max_cols, int *cols)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int used = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = char_at(p + i, n - i, &cp);
		int w = sanitize_cpwidth(cp);
		if (w > max_cols - used)
			break;
		used += w;
		i += len;
	}
	if (cols)
		*cols = used;
	return i;
}

char *sanitize_ellipsize(const char *s, size_t n, int max_cols)
{
	struct buf out = BUF_INIT;
	int total = sanitize_width(s, n);
	if (total <= max_cols) {
		buf_append(&out, s, n);
		return buf_detach(&out);
	}
	if (max_cols <= 0)
		return buf_detach(&out);
	int head_cols = max_cols / 2, used;
	size_t head = sanitize_fit(s, n, head_cols, &used);
	int tail_cols = max_cols - 1 - used;
	const unsigned char *p = (const unsigned char *)s;
	size_t tail = head;
	int left = total - sanitize_width(s, head);
	while (tail < n) {
		uint32_t cp;
		size_t len = char_at(p + tail, n - tail, &cp);
		if (left <= tail_cols && sanitize_cpwidth(cp) > 0)
			break;
		left -= sanitize_cpwidth(cp);
		tail += len;
	}
	buf_append(&out, s, head);
	buf_append(&out, "\xe2\x80\xa6", 3);
	buf_append(&out, s + tail, n - tail);
	return buf_detach(&out);
}

void sanitize_init(struct sanitizer *s, int tab_width)
{
	memset(s, 0, sizeof *s);
	s->tab_width = tab_width < 0 ? 0 : tab_width > 16 ? 16 : tab_width;
	s->state = S_GROUND;
}

static void enter(struct sanitizer *s, int state)
{
	s->state = state;
	s->esc_len = 0;
	s->need = 0;
}

static void emit_replacement(struct sanitizer *s, struct buf *out)
{
	buf_append(out, REPLACEMENT, 3);
	s->column += (unsigned)sanitize_cpwidth(0xfffd);
}

static void emit_tab(struct sanitizer *s, struct buf *out)
{
	static const char spaces[] = "                                ";
	if (s->tab_width == 0) {
		buf_putc(out, '\t');
		s->column = (s->column | 7) + 1;
		return;
	}
	unsigned width = (unsigned)s->tab_width;
	unsigned n = width - s->column % width;
	s->column += n;
	while (n) {
		unsigned k = n < sizeof spaces - 1 ? n : (unsigned)sizeof spaces - 1;
		buf_append(out, spaces, k);
		n -= k;
	}
}

/* C1 controls, and the bidirectional embeddings, overrides and isolates that
 * can make a terminal show text in an order other than the bytes' (the
 * "Trojan Source" trick). */
static int dropped_cp(uint32_t cp)
{
	return cp < 0xa0 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void emit_pending(struct sanitizer *s, struct buf *out)
{
	if (!dropped_cp(s->cp)) {
		buf_append(out, s->pending, (size_t)s->have);
		s->column += (unsigned)sanitize_cpwidth(s->cp);
	}
	s->have = 0;
}

static void ground_byte(struct sanitizer *s, unsigned char c, struct buf *out)
{
	if (s->need) {
		int fits = s->have == 1 ? utf8_second_ok(s->pending[0], c) : (c & 0xc0) == 0x80;
		if (fits) {
			s->pending[s->have++] = c;
			s->cp = s->cp << 6 | (c & 0x3fu);
			if (--s->need == 0)
				emit_pending(s, out);
			return;
		}
		s->need = s->have = 0;
		emit_replacement(s, out);
	}
	if (c >= 0x20 && c < DEL) {
		buf_putc(out, (char)c);
		s->column++;
	} else if (c == '\n') {
		buf_putc(out, '\n');
		s->column = 0;
	} else if (c == '\t') {
		emit_tab(s, out);
	} else if (c == ESC) {
		s->state = S_ESC;
	} else if (c < 0x20 || c == DEL) {
		return;
	} else if (c == C1_CSI) {
		enter(s, S_CSI);
	} else if (c == C1_OSC) {
		enter(s, S_OSC);
	} else if ((s->need = utf8_need(c)) != 0) {
		s->pending[0] = c;
		s->have = 1;
		s->cp = c & (0x3fu >> s->need);
	} else {
		emit_replacement(s, out);
	}
}

/* A byte outside the grammar of ESC or CSI ends the sequence and is read
 * again as text (where ESC starts a new one and CAN, SUB vanish); DEL is
 * ignored. Returns 0 when the byte must be read again. */
static int sequence_interrupted(struct sanitizer *s, unsigned char c)
{
	if (c == DEL)
		return 1;
	enter(s, S_GROUND);
	return 0;
}

static void feed_byte(struct sanitizer *s, unsigned char c, struct buf *out)
{
	for (;;) {
		switch (s->state) {
		case S_GROUND:
			ground_byte(s, c, out);
			return;
		case S_ESC:
			if (c == '[') {
				enter(s, S_CSI);
			} else if (c == ']') {
				enter(s, S_OSC);
			} else if (c == 'P' || c == 'X' || c == '^' || c == '_') {
				enter(s, S_STRING);
			} else if (c >= 0x20 && c <= 0x2f) {
				enter(s, S_ESC_INTER);
				s->esc_len = 1;
			} else if (c >= 0x30 && c <= 0x7e) {
				enter(s, S_GROUND);
			} else if (!sequence_interrupted(s, c)) {
				continue;
			}
			return;
		case S_ESC_INTER:
		case S_CSI:
			if (c >= 0x20 && c <= (s->state == S_CSI ? 0x3f : 0x2f)) {
				if (s->esc_len >= SANITIZE_SEQ_MAX) {
					enter(s, S_GROUND);
					continue;
				}
				s->esc_len++;
			} else if (c >= 0x30 && c <= 0x7e) {
				enter(s, S_GROUND);
			} else if (!sequence_interrupted(s, c)) {
				continue;
			}
			return;
		case S_OSC:
		case S_STRING:
			if (c == ESC) {
				enter(s, S_STRING_ESC);
			} else if (c == CAN || c == SUB || (c == BEL && s->state == S_OSC) ||
				   (c == C1_ST && s->need == 0)) {
				enter(s, S_GROUND);
			} else if (s->esc_len >= SANITIZE_SEQ_MAX) {
				enter(s, S_GROUND);
				continue;
			} else {
				s->esc_len++;
				if (s->need && (c & 0xc0) == 0x80)
					s->need--;
				else
					s->need = utf8_need(c);
			}
			return;
		case S_STRING_ESC:
			if (c == '\\') {
				enter(s, S_GROUND);
				return;
			}
			enter(s, S_ESC);
			continue;
		default:
			enter(s, S_GROUND);
			continue;
		}
	}
}

static int printable_ascii8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t x, y;
	memcpy(&x, p, sizeof x);
	y = x ^ (ones * DEL);
	uint64_t below_space = (x - ones * 0x20) & ~x & high;
	uint64_t is_del = (y - ones) & ~y & high;
	return ((x & high) | below_space | is_del) == 0;
}

/* Length of the prefix of p that ground state would copy unchanged. */
static size_t verbatim_prefix(struct sanitizer *s, const unsigned char *p, size_t n)
{
	unsigned column = s->column;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c >= 0x20 && c < DEL) {
			while (n - i >= 8 && printable_ascii8(p + i)) {
				i += 8;
				column += 8;
			}
			while (i < n && p[i] >= 0x20 && p[i] < DEL) {
				i++;
				column++;
			}
		} else if (c == '\n') {
			i++;
			column = 0;
		} else if (c == '\t' && s->tab_width == 0) {
			i++;
			column = (column | 7) + 1;
		} else if (c >= 0xc2) {
			uint32_t cp;
			int len = utf8_decode(p + i, n - i, &cp);
			if (len <= 0 || dropped_cp(cp))
				break;
			i += (size_t)len;
			column += (unsigned)sanitize_cpwidth(cp);
		} else {
			break;
		}
	}
	s->column = column;
	return i;
}

void sanitize_feed(struct sanitizer *s, const char *in, size_t n, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;
	while (i < n) {
		if (s->state == S_GROUND && s->need == 0) {
			size_t run = verbatim_prefix(s, p + i, n - i);
			if (run) {
				buf_append(out, p + i, run);
				i += run;
				if (i == n)
					break;
			}
		}
		feed_byte(s, p[i++], out);
	}
}

void sanitize_finish(struct sanitizer *s, struct buf *out)
{
	if (s->state == S_GROUND && s->need)
		emit_replacement(s, out);
	sanitize_init(s, s->tab_width);
}

char *sanitize_str(const char *in, size_t n, int tab_width)
{
	struct sanitizer s;
	struct buf out = BUF_INIT;
	sanitize_init(&s, tab_width);
	sanitize_feed(&s, in, n, &out);
	sanitize_finish(&s, &out);
	return buf_detach(&out);
}

static char *repair_utf8(const char *in, size_t n, int nul_too)
{
	const unsigned char *p = (const unsigned char *)in;
	struct buf out = BUF_INIT;
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		int len = utf8_decode(p + i, n - i, &cp);
		if (len > 0 && !(nul_too && p[i] == 0)) {
			buf_append(&out, p + i, (size_t)len);
			i += (size_t)len;
		} else {
			buf_append(&out, REPLACEMENT, 3);
			i++;
		}
	}
	return buf_detach(&out);
}

char *sanitize_utf8(const char *in, size_t n)
{
	return repair_utf8(in, n, 0);
}

char *sanitize_utf8_nul(const char *in, size_t n)
{
	return repair_utf8(in, n, 1);
}
