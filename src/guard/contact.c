/* Contact details: e-mail addresses and phone numbers. */
#include <string.h>

#include "guard/detect.h"

#define LOCAL_MAX 64
#define URL_LOOKBACK 512
#define PHONE_MAX_GROUPS 8

/* A non-ASCII byte that may belong to a letter: not general punctuation,
 * symbols or the BOM (leads E2, EF) and not an emoji (F0). Continuation bytes
 * take the verdict of their lead. */
static int intl_lead_ok(unsigned char lead)
{
	return lead >= 0xC2 && lead != 0xE2 && lead != 0xEF && lead < 0xF0;
}

/* Start of the UTF-8 character that ends just before `at`, not before lim. */
static size_t char_before(const unsigned char *p, size_t lim, size_t at)
{
	size_t k = at - 1;
	while (k > lim && (p[k] & 0xC0) == 0x80 && at - k < 4)
		k--;
	return k;
}

static int local_ascii(unsigned char c)
{
	return G_ALNUM(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* In a URL's authority (scheme://user@host) an '@' ends user info, not an
 * address's local part; in its path or query an address is an address. */
static int in_url_authority(const unsigned char *p, size_t from)
{
	size_t lim = from > URL_LOOKBACK ? from - URL_LOOKBACK : 0;
	for (size_t k = from; k > lim; k--) {
		unsigned char c = p[k - 1];
		if (G_IS(c, GC_SPACE) || c == '"' || c == '<' || c == '>' || c == '\'' || c == '`' || c == '?' ||
		    c == '#' || c == '=' || c == '&')
			return 0;
		if (c == '/') {
			if (k >= 3 && p[k - 2] == '/' && p[k - 3] == ':')
				return 1;
			if (!(k >= 2 && p[k - 2] == '/'))
				return 0; /* a path segment */
		}
	}
	return 0;
}

size_t detect_email(struct scan *s, size_t at)
{
	const unsigned char *p = s->p;
	size_t lim = at > LOCAL_MAX + 1 ? at - LOCAL_MAX - 1 : 0;
	if (lim < s->floor)
		lim = s->floor;
	size_t a = at;
	while (a > lim) {
		unsigned char c = p[a - 1];
		if (local_ascii(c)) {
			a--;
			continue;
		}
		if (c < 0x80)
			break;
		size_t k = char_before(p, lim, a);
		if (!intl_lead_ok(p[k]))
			break;
		a = k;
	}
	if (a == lim && a > s->floor && a > 0 && local_ascii(p[a - 1]))
		return 0; /* longer than an address's local part can be */
	while (a < at && (p[a] == '.' || p[a] == '-' || p[a] == '+'))
		a++;
	if (a == at || p[at - 1] == '.')
		return 0;
	for (size_t k = a; k + 1 < at; k++)
		if (p[k] == '.' && p[k + 1] == '.')
			return 0;
	size_t j = at + 1, last_start = 0, last_end = 0;
	int labels = 0;
	for (;;) {
		size_t start = j;
		while (j < s->n && (G_ALNUM(p[j]) || p[j] == '-' || (p[j] >= 0x80 && p[j] != 0xE2 && p[j] != 0xEF)))
			j++;
		if (j == start || p[start] == '-' || p[j - 1] == '-' || j - start > 63)
			return 0;
		labels++;
		last_start = start;
		last_end = j;
		if (j + 1 < s->n && p[j] == '.' && (G_ALNUM(p[j + 1]) || p[j + 1] >= 0x80))
			j++;
		else
			break;
	}
	if (labels < 2)
		return 0;
	size_t tld = last_end - last_start;
	int tld_ok = tld >= 2;
	if (tld >= 4 && memcmp(p + last_start, "xn--", 4) == 0)
		tld_ok = 1;
	else
		for (size_t k = last_start; k < last_end && tld_ok; k++)
			tld_ok = G_ALPHA(p[k]) || p[k] >= 0x80;
	if (!tld_ok || (j < s->n && (p[j] == '@' || p[j] == '_')))
		return 0;
	if (in_url_authority(p, a))
		return 0;
	scan_add(s, GUARD_EMAIL, a, j, 0.95f, NULL);
	return j;
}

/* ---- phone numbers ---- */

struct phone {
	int plus;
	size_t ng;
	size_t len[PHONE_MAX_GROUPS];   /* digits per group */
	size_t start[PHONE_MAX_GROUPS]; /* offset of each group's first digit */
	char sep[PHONE_MAX_GROUPS];     /* separator before group k ('\0' none, ')' after a paren group) */
	int paren;                      /* index of the group written in parentheses, or -1 */
	size_t digits;
	size_t end;
};

static int phone_sep(unsigned char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/';
}

/* Reads digit groups, single separators and one parenthesised group. */
static int phone_read(const struct scan *s, size_t i, struct phone *ph)
{
	const unsigned char *p = s->p;
	size_t n = s->n, j = i;
	memset(ph, 0, sizeof *ph);
	ph->paren = -1;
	if (p[j] == '+') {
		ph->plus = 1;
		j++;
		if (j >= n || !G_DIGIT(p[j]) || p[j] == '0')
			return -1;
	}
	char sep = 0;
	for (;;) {
		int in_paren = 0;
		if (j < n && p[j] == '(') {
			if (ph->paren >= 0)
				return -1;
			in_paren = 1;
			j++;
		}
		size_t start = j;
		while (j < n && G_DIGIT(p[j]) && j - start < 13)
			j++;
		if (j == start || ph->ng == PHONE_MAX_GROUPS || (j < n && G_DIGIT(p[j])))
			return -1;
		ph->start[ph->ng] = start;
		ph->len[ph->ng] = j - start;
		ph->sep[ph->ng] = sep;
		ph->digits += j - start;
		if (ph->digits > 17)
			return -1;
		if (in_paren) {
			if (j >= n || p[j] != ')')
				return -1;
			ph->paren = (int)ph->ng;
			j++;
		}
		ph->ng++;
		ph->end = j;
		sep = in_paren ? ')' : 0;
		if (j < n && phone_sep(p[j]) && j + 1 < n && (G_DIGIT(p[j + 1]) || p[j + 1] == '(')) {
			if (!in_paren)
				sep = (char)p[j];
			j++;
		} else if (!(in_paren && j < n && (G_DIGIT(p[j]) || p[j] == '('))) {
			break;
		}
	}
	unsigned char after = ph->end < n ? p[ph->end] : 0;
	if (G_IS(after, GC_WORD) || after == '@' || after == '+' || after == '(' ||
	    ((after == '.' || after == ',' || after == '-' || after == '/') && ph->end + 1 < n &&
	     G_DIGIT(p[ph->end + 1])))
		return -1;
	return 0;
}

static int same_seps(const struct phone *ph, size_t from)
{
	for (size_t k = from + 1; k < ph->ng; k++)
		if (ph->sep[k] != ph->sep[from + 1])
			return 0;
	return 1;
}

/* (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX, optionally after "1-". */
static float nanp(const struct scan *s, const struct phone *ph)
{
	size_t k = 0;
	if (ph->ng == 4 && ph->len[0] == 1 && s->p[ph->start[0]] == '1' && ph->paren != 0)
		k = 1;
	if (ph->ng - k != 3 || ph->len[k] != 3 || ph->len[k + 1] != 3 || ph->len[k + 2] != 4)
		return 0;
	/* Real area codes and exchanges start with 2-9; examples often do not, so
	 * only a bare space-separated form insists on it. */
	int strict = ph->paren != (int)k && ph->sep[k + 1] == ' ';
	if (strict && (s->p[ph->start[k]] < '2' || s->p[ph->start[k + 1]] < '2'))
		return 0;
	if (ph->paren == (int)k)
		return ph->sep[k + 2] == '-' || ph->sep[k + 2] == ' ' || ph->sep[k + 2] == '.' ? 0.85f : 0;
	if (ph->paren >= 0 || !same_seps(ph, k) || ph->sep[k + 1] == '/' || (k && ph->sep[1] != ph->sep[2]))
		return 0;
	return ph->sep[k + 1] == '-' ? 0.85f : 0.75f;
}

/* National numbers with a trunk 0: 020 7946 0958, 07700 900123, 01 23 45 67 89, 030/1234567. */
static float trunk(const struct scan *s, const struct phone *ph)
{
	if (ph->ng < 2 || ph->plus || s->p[ph->start[0]] != '0' || ph->len[0] < 2 || s->p[ph->start[0] + 1] == '0')
		return 0;
	if (ph->digits < 9 || ph->digits > 12 || (ph->paren > 0))
		return 0;
	for (size_t k = 0; k < ph->ng; k++)
		if (ph->len[k] < 2 || (ph->ng > 2 && ph->len[k] > 5))
			return 0;
	for (size_t k = 2; k < ph->ng; k++)
		if (ph->sep[k] == '/')
			return 0;
	return 0.7f;
}

/* +CC ... and 00CC ...: 8 to 15 digits after the prefix. */
static float international(const struct scan *s, const struct phone *ph)
{
	size_t digits = ph->digits;
	if (ph->paren >= 0 && ph->len[ph->paren] == 1 && s->p[ph->start[ph->paren]] == '0')
		digits--; /* +44 (0)20 ... */
	else if (ph->paren == 0)
		return 0;
	if (ph->plus)
		return digits >= 8 && digits <= 15 ? (ph->ng > 1 ? 0.9f : 0.85f) : 0;
	const unsigned char *g = s->p + ph->start[0];
	if (ph->ng >= 2 && ph->len[0] >= 3 && g[0] == '0' && g[1] == '0' && g[2] != '0' && digits - 2 >= 8 &&
	    digits - 2 <= 15)
		return 0.8f;
	return 0;
}

size_t detect_phone(struct scan *s, size_t i)
{
	unsigned char prev = scan_prev(s, i);
	if (G_IS(prev, GC_WORD) || prev == '+' || prev == '@' || prev == '.' || prev == '/' || prev == '$' ||
	    prev == '#' || (prev == '-' && i >= 2 && G_ALNUM(s->p[i - 2])))
		return 0;
	if ((s->p[i] == '+' || s->p[i] == '(') && (i + 1 >= s->n || !G_DIGIT(s->p[i + 1])))
		return 0;
	struct phone ph;
	if (phone_read(s, i, &ph) != 0)
		return 0;
	float conf = international(s, &ph);
	if (!conf)
		conf = nanp(s, &ph);
	if (!conf)
		conf = trunk(s, &ph);
	if (!conf)
		return 0;
	scan_add(s, GUARD_PHONE, i, ph.end, conf, NULL);
	return ph.end;
}
