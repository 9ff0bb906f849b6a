/* Numbers with a check: payment cards (Luhn and the issuer's prefix and
 * length), IBANs (country length and mod-97) and US social security numbers
 * (the SSA's ranges). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "guard/detect.h"

#define CARD_MIN 12
#define CARD_MAX 19
#define SSN_KEYWORD_LOOKBACK 32

int guard_luhn_ok(const char *digits, size_t n)
{
	unsigned sum = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned d = (unsigned)(digits[n - 1 - k] - '0');
		if (d > 9)
			return 0;
		if (k & 1) {
			d *= 2;
			if (d > 9)
				d -= 9;
		}
		sum += d;
	}
	return n > 0 && sum % 10 == 0;
}

struct iin {
	unsigned lo, hi;       /* prefix range, inclusive */
	unsigned char digits;  /* prefix length */
	unsigned char min, max; /* card lengths */
	const char *brand;
};

static const struct iin iins[] = {
	{ 4, 4, 1, 13, 19, "visa" },
	{ 51, 55, 2, 16, 16, "mastercard" },
	{ 2221, 2720, 4, 16, 16, "mastercard" },
	{ 34, 34, 2, 15, 15, "amex" },
	{ 37, 37, 2, 15, 15, "amex" },
	{ 6011, 6011, 4, 16, 19, "discover" },
	{ 644, 649, 3, 16, 19, "discover" },
	{ 65, 65, 2, 16, 19, "discover" },
	{ 300, 305, 3, 14, 19, "diners" },
	{ 36, 36, 2, 14, 19, "diners" },
	{ 38, 39, 2, 16, 19, "diners" },
	{ 3528, 3589, 4, 16, 19, "jcb" },
	{ 62, 62, 2, 16, 19, "unionpay" },
	{ 81, 81, 2, 16, 19, "unionpay" },
	{ 2200, 2204, 4, 16, 19, "mir" },
	{ 5018, 5018, 4, 12, 19, "maestro" },
	{ 5020, 5020, 4, 12, 19, "maestro" },
	{ 5038, 5038, 4, 12, 19, "maestro" },
	{ 5893, 5893, 4, 12, 19, "maestro" },
	{ 6304, 6304, 4, 12, 19, "maestro" },
	{ 6759, 6759, 4, 12, 19, "maestro" },
	{ 6761, 6763, 4, 12, 19, "maestro" },
	{ 60, 60, 2, 16, 16, "rupay" },
	{ 508, 508, 3, 16, 16, "rupay" },
	{ 9792, 9792, 4, 16, 16, "troy" },
};

static const char *card_brand(const char *d, size_t n)
{
	for (size_t k = 0; k < sizeof iins / sizeof *iins; k++) {
		const struct iin *c = &iins[k];
		unsigned prefix = 0;
		for (unsigned j = 0; j < c->digits; j++)
			prefix = prefix * 10 + (unsigned)(d[j] - '0');
		if (prefix >= c->lo && prefix <= c->hi && n >= c->min && n <= c->max)
			return c->brand;
	}
	return NULL;
}

static int grouping_ok(const size_t *len, size_t ng)
{
	if (ng == 1)
		return 1;
	if (ng == 3 && len[0] == 4 && len[1] == 6 && (len[2] == 5 || len[2] == 4))
		return 1; /* Amex 4-6-5, Diners 4-6-4 */
	for (size_t k = 0; k + 1 < ng; k++)
		if (len[k] != 4)
			return 0;
	return len[ng - 1] >= 1 && len[ng - 1] <= 4;
}

static int number_ends(const struct scan *s, size_t end)
{
	if (end >= s->n)
		return 1;
	unsigned char c = s->p[end];
	if (G_IS(c, GC_WORD) || c == '@')
		return 0;
	return !((c == '.' || c == ',' || c == '-') && end + 1 < s->n && G_DIGIT(s->p[end + 1]));
}

size_t detect_card(struct scan *s, size_t i)
{
	const unsigned char *p = s->p;
	char d[CARD_MAX + 8];
	size_t nd = 0, ng = 0, len[8], cum[8], end[8], j = i;
	unsigned char sep = 0;
	if (G_IS(scan_prev(s, i), GC_WORD))
		return 0;
	while (ng < 8) {
		size_t start = j;
		while (j < s->n && G_DIGIT(p[j]) && nd < CARD_MAX + 1)
			d[nd++] = (char)p[j++];
		if (nd > CARD_MAX)
			break;
		len[ng] = j - start;
		cum[ng] = nd;
		end[ng] = j;
		ng++;
		if (j + 1 < s->n && (p[j] == ' ' || p[j] == '-') && (!sep || p[j] == sep) && G_DIGIT(p[j + 1])) {
			sep = p[j];
			j++;
			continue;
		}
		break;
	}
	for (size_t g = ng; g > 0; g--) {
		size_t n = cum[g - 1];
		if (n < CARD_MIN || !grouping_ok(len, g) || !number_ends(s, end[g - 1]))
			continue;
		const char *brand = card_brand(d, n);
		if (!brand || !guard_luhn_ok(d, n))
			continue;
		scan_add(s, GUARD_CARD, i, end[g - 1], g > 1 || n == 16 ? 0.95f : 0.85f, brand);
		return end[g - 1];
	}
	/* A card-shaped number that fails its checks is passed over whole, so its
	 * tail is not taken for something else. */
	if (ng && cum[ng - 1] >= CARD_MIN && cum[ng - 1] <= CARD_MAX && grouping_ok(len, ng) && (ng > 1 || sep))
		return end[ng - 1];
	return 0;
}

/* ---- IBAN ---- */

struct iban_country {
	char cc[3];
	unsigned char len;
};

/* The SWIFT IBAN registry's lengths. */
static const struct iban_country iban_countries[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 }, { "BE", 16 },
	{ "BG", 22 }, { "BH", 22 }, { "BI", 27 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 }, { "CR", 22 },
	{ "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 }, { "DK", 18 }, { "DO", 28 }, { "EE", 20 },
	{ "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 },
	{ "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HN", 28 }, { "HR", 21 },
	{ "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 },
	{ "KW", 30 }, { "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
	{ "LV", 21 }, { "LY", 25 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 }, { "MN", 20 },
	{ "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 }, { "NO", 15 }, { "OM", 23 },
	{ "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 }, { "RO", 24 }, { "RS", 22 },
	{ "RU", 33 }, { "SA", 24 }, { "SC", 31 }, { "SD", 18 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 },
	{ "SM", 27 }, { "SO", 23 }, { "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 },
	{ "UA", 29 }, { "VA", 22 }, { "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

static size_t iban_length(const char *cc)
{
	size_t lo = 0, hi = sizeof iban_countries / sizeof *iban_countries;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(cc, iban_countries[mid].cc, 2);
		if (c == 0)
			return iban_countries[mid].len;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int guard_iban_ok(const char *iban, size_t n)
{
	if (n < 5 || n > 34 || iban_length(iban) != n)
		return 0;
	unsigned rem = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)iban[(k + 4) % n];
		if (c >= '0' && c <= '9')
			rem = (rem * 10 + (c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return rem == 1;
}

size_t detect_iban(struct scan *s, size_t i)
{
	const unsigned char *p = s->p;
	if (i + 4 > s->n || !G_IS(p[i + 1], GC_UPPER) || !G_DIGIT(p[i + 2]) || !G_DIGIT(p[i + 3]))
		return 0;
	char cc[2] = { (char)p[i], (char)p[i + 1] };
	size_t want = iban_length(cc);
	if (!want)
		return 0;
	char v[40];
	size_t nv = 0, j = i;
	int spaced = 0;
	while (nv < want && j < s->n) {
		unsigned char c = p[j];
		if (G_IS(c, GC_UPPER | GC_DIGIT)) {
			v[nv++] = (char)c;
			j++;
		} else if (c == ' ' && nv % 4 == 0 && (spaced || nv == 4) && j + 1 < s->n &&
			   G_IS(p[j + 1], GC_UPPER | GC_DIGIT)) {
			spaced = 1;
			j++;
		} else {
			break;
		}
	}
	if (nv != want || (j < s->n && G_IS(p[j], GC_WORD)))
		return 0;
	if (!guard_iban_ok(v, nv))
		return j; /* IBAN-shaped but not one: passed over whole */
	scan_add(s, GUARD_IBAN, i, j, 0.95f, NULL);
	return j;
}

/* ---- US SSN ---- */

int guard_ssn_ok(const char *d)
{
	int area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	int group = (d[3] - '0') * 10 + (d[4] - '0');
	int serial = (d[5] - '0') * 1000 + (d[6] - '0') * 100 + (d[7] - '0') * 10 + (d[8] - '0');
	if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0)
		return 0;
	/* Numbers the SSA voided after they were printed in advertising. */
	if (memcmp(d, "078051120", 9) == 0 || memcmp(d, "219099999", 9) == 0)
		return 0;
	return 1;
}

static int ssn_keyword_before(const struct scan *s, size_t i)
{
	size_t lim = i > SSN_KEYWORD_LOOKBACK ? i - SSN_KEYWORD_LOOKBACK : 0;
	for (size_t k = lim; k + 3 <= i; k++) {
		const unsigned char *q = s->p + k;
		if ((q[0] | 0x20) == 's' && (q[1] | 0x20) == 's' && (q[2] | 0x20) == 'n' &&
		    (k == 0 || !G_ALPHA(q[-1])) && (k + 3 == i || !G_ALPHA(q[3])))
			return 1;
		if (k + 15 <= i && strncasecmp((const char *)q, "social security", 15) == 0)
			return 1;
	}
	return 0;
}

size_t detect_ssn(struct scan *s, size_t i)
{
	const unsigned char *p = s->p;
	char d[9];
	if (i + 9 > s->n || G_IS(scan_prev(s, i), GC_WORD))
		return 0;
	for (int k = 0; k < 3; k++)
		if (!G_DIGIT(p[i + k]))
			return 0;
	unsigned char sep = p[i + 3];
	size_t end;
	float conf;
	if (sep == '-' || sep == ' ') {
		if (i + 11 > s->n || p[i + 6] != sep || !G_DIGIT(p[i + 4]) || !G_DIGIT(p[i + 5]))
			return 0;
		for (int k = 7; k < 11; k++)
			if (!G_DIGIT(p[i + k]))
				return 0;
		memcpy(d, p + i, 3);
		memcpy(d + 3, p + i + 4, 2);
		memcpy(d + 5, p + i + 7, 4);
		end = i + 11;
		conf = sep == '-' ? 0.9f : 0.6f;
		if (sep == ' ' && !ssn_keyword_before(s, i))
			return 0;
	} else {
		for (int k = 3; k < 9; k++)
			if (!G_DIGIT(p[i + k]))
				return 0;
		memcpy(d, p + i, 9);
		end = i + 9;
		conf = 0.6f;
		if ((end < s->n && G_DIGIT(p[end])) || !ssn_keyword_before(s, i))
			return 0;
	}
	if (!number_ends(s, end) || (end < s->n && (p[end] == '-' || p[end] == ' ') && end + 1 < s->n &&
				     G_DIGIT(p[end + 1]) && sep != '-'))
		return 0;
	if (!guard_ssn_ok(d))
		return sep == '-' ? end : 0; /* SSN-shaped but not one: passed over whole */
	scan_add(s, GUARD_SSN, i, end, conf, NULL);
	return end;
}
