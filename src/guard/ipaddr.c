/* IP addresses: dotted IPv4 (each part 0–255, no leading zeros) and IPv6 in
 * any of its text forms, checked with inet_pton. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "guard/detect.h"

#define IPV6_TEXT_MAX 45

/* "version 1.0.0.1", "section 2.3.1.4": numbered things, not addresses. */
static int after_numbering_word(const struct scan *s, size_t i)
{
	static const char *const words[] = { "version", "section", "release", "build", "chapter", "step", "rule" };
	size_t k = i;
	while (k > 0 && s->p[k - 1] == ' ')
		k--;
	for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
		size_t n = strlen(words[w]);
		if (k >= n && strncasecmp((const char *)s->p + k - n, words[w], n) == 0 &&
		    (k == n || !G_ALPHA(s->p[k - n - 1])))
			return 1;
	}
	return 0;
}

size_t detect_ipv4(struct scan *s, size_t i)
{
	const unsigned char *p = s->p;
	size_t j = i;
	if (G_IS(scan_prev(s, i), GC_WORD))
		return 0;
	for (int part = 0; part < 4; part++) {
		if (part) {
			if (j + 1 >= s->n || p[j] != '.' || !G_DIGIT(p[j + 1]))
				return 0;
			j++;
		}
		size_t start = j;
		unsigned v = 0;
		while (j < s->n && G_DIGIT(p[j]) && j - start < 4)
			v = v * 10 + (unsigned)(p[j++] - '0');
		size_t len = j - start;
		if (len == 0 || len > 3 || v > 255 || (len > 1 && p[start] == '0'))
			return 0;
	}
	if (j < s->n && (G_IS(p[j], GC_WORD) || ((p[j] == '.' || p[j] == '-') && j + 1 < s->n && G_DIGIT(p[j + 1]))))
		return 0;
	if (after_numbering_word(s, i))
		return j;
	scan_add(s, GUARD_IPV4, i, j, 0.9f, NULL);
	return j;
}

size_t detect_ipv6(struct scan *s, size_t colon)
{
	const unsigned char *p = s->p;
	size_t a = colon;
	while (a > s->floor && colon - a < 4 && G_IS(p[a - 1], GC_HEX))
		a--;
	if (a > 0 && (G_IS(p[a - 1], GC_WORD) || p[a - 1] == ':' || p[a - 1] == '.' || p[a - 1] == '-'))
		return 0;
	size_t e = colon;
	while (e < s->n && e - a <= IPV6_TEXT_MAX && (G_IS(p[e], GC_HEX) || p[e] == ':' || p[e] == '.'))
		e++;
	while (e > colon + 1 && p[e - 1] == '.')
		e--;
	if (p[e - 1] == ':' && !(e >= a + 2 && p[e - 2] == ':'))
		e--;
	if (e - a > IPV6_TEXT_MAX || (e < s->n && (G_IS(p[e], GC_WORD) || p[e] == ':')) ||
	    (e + 1 < s->n && p[e] == '.' && G_IS(p[e + 1], GC_HEX)))
		return 0;
	size_t colons = 0, groups = 0, hex = 0;
	int compressed = 0;
	for (size_t k = a; k < e; k++) {
		hex += G_IS(p[k], GC_HEX) != 0;
		if (p[k] == ':') {
			colons++;
			if (k + 1 < e && p[k + 1] == ':')
				compressed = 1;
		} else if (k == a || p[k - 1] == ':') {
			groups++;
		}
	}
	if (colons < 2 || groups == 0 || (p[a] != ':' && (groups < 2 || hex < 4))) /* a::b is code */
		return 0;
	char text[IPV6_TEXT_MAX + 1];
	memcpy(text, p + a, e - a);
	text[e - a] = '\0';
	unsigned char bin[16];
	if (inet_pton(AF_INET6, text, bin) != 1)
		return 0;
	scan_add(s, GUARD_IPV6, a, e, compressed ? 0.8f : 0.9f, NULL);
	return e;
}
