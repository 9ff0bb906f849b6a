/* Text hidden from humans: Unicode tag characters (U+E0000–E007F, which can
 * spell ASCII invisibly), zero-width characters (U+200B–200D, U+2060–2064,
 * U+FEFF, U+180E) and bidirectional controls (U+061C, U+200E–200F,
 * U+202A–202E, U+2066–2069). A run of one kind is one finding. */
#include "guard/detect.h"

size_t guard_hidden_at(const unsigned char *p, size_t n, enum guard_type *type)
{
	if (n >= 2 && p[0] == 0xD8 && p[1] == 0x9C) {
		*type = GUARD_BIDI;
		return 2;
	}
	if (n < 3)
		return 0;
	if (p[0] == 0xE2 && p[1] == 0x80) {
		if (p[2] >= 0x8B && p[2] <= 0x8D)
			*type = GUARD_ZERO_WIDTH;
		else if ((p[2] >= 0x8E && p[2] <= 0x8F) || (p[2] >= 0xAA && p[2] <= 0xAE))
			*type = GUARD_BIDI;
		else
			return 0;
		return 3;
	}
	if (p[0] == 0xE2 && p[1] == 0x81) {
		if (p[2] >= 0xA0 && p[2] <= 0xA4)
			*type = GUARD_ZERO_WIDTH;
		else if (p[2] >= 0xA6 && p[2] <= 0xA9)
			*type = GUARD_BIDI;
		else
			return 0;
		return 3;
	}
	if ((p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) || (p[0] == 0xE1 && p[1] == 0xA0 && p[2] == 0x8E)) {
		*type = GUARD_ZERO_WIDTH;
		return 3;
	}
	if (n >= 4 && p[0] == 0xF3 && p[1] == 0xA0 && (p[2] == 0x80 || p[2] == 0x81) && p[3] >= 0x80 && p[3] <= 0xBF) {
		*type = GUARD_TAG_CHARS;
		return 4;
	}
	return 0;
}

size_t detect_hidden(struct scan *s, size_t i)
{
	enum guard_type t, next;
	size_t k = guard_hidden_at(s->p + i, s->n - i, &t);
	if (!k)
		return 0;
	size_t end = i + k;
	while (end < s->n && (k = guard_hidden_at(s->p + end, s->n - end, &next)) && next == t)
		end += k;
	float conf = t == GUARD_ZERO_WIDTH && i == 0 && s->p[0] == 0xEF ? 0.5f : 1.0f; /* a BOM opening a file */
	scan_add(s, t, i, end, conf, NULL);
	return end;
}

/* One pass; removing a character can join stray bytes around it into a new
 * one, so guard_strip_hidden passes again until nothing is removed. */
static size_t strip_pass(unsigned char *p, size_t *len)
{
	size_t n = *len, out = 0, removed = 0;
	enum guard_type t;
	for (size_t i = 0; i < n;) {
		size_t k = p[i] >= 0xD8 ? guard_hidden_at(p + i, n - i, &t) : 0;
		if (k) {
			removed++;
			i += k;
			continue;
		}
		p[out++] = p[i++];
	}
	if (out < n)
		p[out] = '\0';
	*len = out;
	return removed;
}

size_t guard_strip_hidden(char *text, size_t *len)
{
	size_t total = 0, n;
	while ((n = strip_pass((unsigned char *)text, len)))
		total += n;
	return total;
}
