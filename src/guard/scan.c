/* The single pass: skip what cannot start a finding, dispatch on what can. */
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "guard/detect.h"
#include "guard/scan.h"

#define U GC_UPPER | GC_WORD | GC_B64
#define L GC_LOWER | GC_WORD | GC_B64
#define UH U | GC_HEX
#define LH L | GC_HEX
#define D GC_DIGIT | GC_HEX | GC_WORD | GC_B64
#define S GC_SPACE
const uint8_t guard_ctype[256] = {
	['\t'] = S, ['\n'] = S, ['\v'] = S, ['\f'] = S, ['\r'] = S, [' '] = S,
	['0'] = D, ['1'] = D, ['2'] = D, ['3'] = D, ['4'] = D, ['5'] = D, ['6'] = D, ['7'] = D, ['8'] = D, ['9'] = D,
	['A'] = UH, ['B'] = UH, ['C'] = UH, ['D'] = UH, ['E'] = UH, ['F'] = UH, ['G'] = U, ['H'] = U, ['I'] = U,
	['J'] = U, ['K'] = U, ['L'] = U, ['M'] = U, ['N'] = U, ['O'] = U, ['P'] = U, ['Q'] = U, ['R'] = U,
	['S'] = U, ['T'] = U, ['U'] = U, ['V'] = U, ['W'] = U, ['X'] = U, ['Y'] = U, ['Z'] = U,
	['a'] = LH, ['b'] = LH, ['c'] = LH, ['d'] = LH, ['e'] = LH, ['f'] = LH, ['g'] = L, ['h'] = L, ['i'] = L,
	['j'] = L, ['k'] = L, ['l'] = L, ['m'] = L, ['n'] = L, ['o'] = L, ['p'] = L, ['q'] = L, ['r'] = L,
	['s'] = L, ['t'] = L, ['u'] = L, ['v'] = L, ['w'] = L, ['x'] = L, ['y'] = L, ['z'] = L,
	['_'] = GC_WORD, ['/'] = GC_B64, ['+'] = GC_B64,
};
#undef U
#undef L
#undef UH
#undef LH
#undef D
#undef S

void scan_dispatch_init(uint8_t tab[256], const struct guard_words *words)
{
	memset(tab, 0, 256);
	for (int c = 0; c < 256; c++)
		if (G_IS(c, GC_WORD))
			tab[c] = SD_WORD;
	tab['@'] = SD_AT;
	tab['+'] = SD_PLUS;
	tab['('] = SD_PAREN;
	tab[':'] = SD_COLON;
	static const unsigned char hidden_leads[] = { 0xD8, 0xE1, 0xE2, 0xEF, 0xF3 };
	for (size_t k = 0; k < sizeof hidden_leads; k++)
		tab[hidden_leads[k]] = SD_HIDDEN;
	for (int c = 0; c < 256; c++)
		if (!tab[c] && words && guard_words_may_start(words, (unsigned char)c))
			tab[c] = SD_DENIED; /* a denied word starting with '#', '$', 'é', ... */
}

void scan_add(struct scan *s, enum guard_type t, size_t start, size_t end, float conf, const char *label)
{
	if (guard_is_hidden(t))
		s->nhidden++;
	struct guard_findings *f = s->out;
	XGROW(f->v, f->cap, f->n + 1);
	f->v[f->n++] = (struct guard_finding){ t, start, end, conf, label, NULL };
	if (end > s->floor)
		s->floor = end;
}

/* A digit right after "1." "1-" or "1/" continues a number tried already. */
static int continues_number(const struct scan *s, size_t i)
{
	if (i < 2)
		return 0;
	unsigned char b = s->p[i - 1];
	return (b == '.' || b == '-' || b == '/' || b == ',') && G_DIGIT(s->p[i - 2]);
}

/* Digits in the run of digits and phone or card separators from i (at most
 * 24 bytes): no card, phone or SSN has fewer than 9. */
static size_t digits_ahead(const struct scan *s, size_t i)
{
	size_t nd = 0, lim = i + 24 < s->n ? i + 24 : s->n;
	for (size_t j = i; j < lim; j++) {
		unsigned char c = s->p[j];
		if (G_DIGIT(c))
			nd++;
		else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '/')
			break;
	}
	return nd;
}

static size_t word_start(struct scan *s, size_t i, size_t end)
{
	const unsigned char *p = s->p;
	unsigned char c = p[i];
	size_t r = 0;
	if (G_DIGIT(c)) {
		if (continues_number(s, i))
			return 0;
		size_t nd = digits_ahead(s, i);
		if (end < s->n && p[end] == '.' && end - i <= 3 && (r = detect_ipv4(s, i)))
			return r;
		if (nd >= 9 && ((r = detect_ssn(s, i)) || (nd >= 12 && (r = detect_card(s, i))) ||
				(r = detect_phone(s, i))))
			return r;
	} else {
		unsigned char c1 = i + 1 < s->n ? p[i + 1] : 0;
		if (c == 'A' && (c1 == 'K' || c1 == 'S') && (r = detect_aws_key(s, i)))
			return r;
		if (((c == 's' || c == 'r') && c1 == 'k') || (c == 'g' && (c1 == 'h' || c1 == 'i')) || (c == 'e' && c1 == 'y') ||
		    (c == 'x' && c1 == 'o') || (c == 'h' && c1 == 'f') || (c == 'A' && c1 == 'I'))
			if ((r = detect_token(s, i)))
				return r;
		if (G_IS(c1, GC_UPPER) && G_IS(c, GC_UPPER) && end - i >= 4 && (r = detect_iban(s, i)))
			return r;
		if (end - i >= 15 && (p[end - 1] | 0x20) == 'y' && (r = detect_secret_keyword(s, i, end)))
			return r;
	}
	if (s->words && guard_words_may_start(s->words, c))
		return detect_denied(s, i);
	return 0;
}

void scan_run(struct scan *s, const uint8_t tab[256])
{
	const unsigned char *p = s->p;
	size_t n = s->n, i = 0;
	while (i < n) {
		uint8_t d = tab[p[i]];
		if (!d) {
			i++;
			continue;
		}
		if (i >= s->skip_start && i < s->skip_end) {
			i = s->skip_end;
			continue;
		}
		size_t r = 0, end;
		switch (d) {
		case SD_WORD:
			end = i + 1;
			while (end < n && G_IS(p[end], GC_WORD))
				end++;
			r = word_start(s, i, end);
			i = r > end ? r : end;
			continue;
		case SD_AT:
			r = detect_email(s, i);
			break;
		case SD_PLUS:
		case SD_PAREN:
			r = detect_phone(s, i);
			break;
		case SD_COLON:
			r = detect_ipv6(s, i);
			break;
		case SD_HIDDEN:
			r = detect_hidden(s, i);
			break;
		case SD_DENIED:
			if (s->words && !(i && p[i - 1] >= 0x80) && !G_IS(scan_prev(s, i), GC_WORD))
				r = detect_denied(s, i);
			break;
		}
		i = r > i ? r : i + 1;
	}
}
