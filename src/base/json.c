#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"

static int number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static int overflows(const char *s, size_t n)
{
	char small[64];
	char *tmp = n < sizeof small ? small : xmalloc(n + 1);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	double d = strtod(tmp, &end);
	int over = end == tmp + n && isinf(d);
	if (tmp != small)
		free(tmp);
	return over;
}

/* The text with NULs in strings (and overflowing numbers when numbers is
 * set) rewritten, appended to out; 0 (out untouched) when nothing needs it. */
static int rewrite(const char *s, size_t n, int numbers, struct buf *out)
{
	if (!numbers && !memchr(s, '\0', n) && !memmem(s, n, "\\u0000", 6))
		return 0;
	size_t i = 0, done = 0;
	int in_string = 0, changed = 0;
	while (i < n) {
		char c = s[i];
		const char *with = NULL;
		size_t skip = 1, quote_to = 0;
		if (in_string) {
			if (c == '"') {
				in_string = 0;
			} else if (c == '\\') {
				if (i + 5 < n && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
					with = "\\ufffd", skip = 6;
				else
					skip = 2;
			} else if (c == '\0') {
				with = "\\ufffd";
			}
		} else if (c == '"') {
			in_string = 1;
		} else if (numbers && (c == '-' || (c >= '0' && c <= '9'))) {
			size_t j = i;
			int exp = 0;
			while (j < n && number_char(s[j]))
				exp |= s[j] == 'e' || s[j] == 'E', j++;
			skip = j - i;
			if ((exp || skip > 300) && overflows(s + i, skip))
				quote_to = j;
		}
		if (with || quote_to) {
			buf_append(out, s + done, i - done);
			if (with) {
				buf_puts(out, with);
			} else {
				buf_putc(out, '"');
				buf_append(out, s + i, skip);
				buf_putc(out, '"');
			}
			done = i + skip;
			changed = 1;
		}
		i += skip;
	}
	if (changed)
		buf_append(out, s + done, n > done ? n - done : 0);
	return changed;
}

cJSON *json_parse(const char *text, size_t len, unsigned flags)
{
	char *repaired = NULL;
	if (flags & JSON_REPAIR_UTF8) {
		repaired = sanitize_utf8_nul(text, len);
		text = repaired;
		len = strlen(repaired);
	}
	struct buf fixed = BUF_INIT;
	if (rewrite(text, len, !!(flags & JSON_BIG_AS_TEXT), &fixed)) {
		text = buf_str(&fixed);
		len = fixed.len;
	} else if ((flags & JSON_WHOLE) && !repaired) {
		buf_append(&fixed, text, len); /* cJSON wants the NUL after the text */
		text = buf_str(&fixed);
	}
	cJSON *j = flags & JSON_WHOLE ? cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1)
				      : cJSON_ParseWithLength(text, len);
	buf_free(&fixed);
	free(repaired);
	return j;
}

cJSON *json_string_array(const char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

void json_exact_integers(cJSON *o)
{
	for (cJSON *k = o ? o->child : NULL; k; k = k->next) {
		if (cJSON_IsNumber(k)) {
			double v = k->valuedouble;
			if (v == (double)(long long)v && v > -9007199254740992.0 && v < 9007199254740992.0 &&
			    (v > 2147483647.0 || v < -2147483648.0)) {
				char num[32];
				snprintf(num, sizeof num, "%lld", (long long)v);
				k->type = cJSON_Raw;
				k->valuestring = xstrdup(num);
			}
		} else if (cJSON_IsObject(k) || cJSON_IsArray(k)) {
			json_exact_integers(k);
		}
	}
}
