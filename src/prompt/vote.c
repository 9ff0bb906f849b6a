#include "prompt/vote.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "prompt/roles.h"

static char *clean_answer(const char *s, size_t n)
{
	for (;;) {
		size_t before = n;
		while (n && (template_is_space(*s) || strchr("*`\"", *s)))
			s++, n--;
		while (n && (template_is_space(s[n - 1]) || strchr("*`\".", s[n - 1])))
			n--;
		if (n == before)
			break;
	}
	return xstrndup(s, n);
}

int template_extract_answer(const char *ere, const char *text, char **answer, struct err *e)
{
	*answer = NULL;
	if (!ere) {
		*answer = clean_answer(text, strlen(text));
		if (**answer)
			return 1;
		free(*answer);
		*answer = NULL;
		return 0;
	}
	regex_t re;
	int rc = regcomp(&re, ere, REG_EXTENDED | REG_NEWLINE);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &re, msg, sizeof msg);
		return err_set(e, "answer_regex '%s' is not a POSIX extended regular expression: %s", ere, msg);
	}
	const char *p = text, *end = text + strlen(text), *found = NULL;
	size_t found_len = 0;
	regmatch_t m[2];
	while (p <= end && regexec(&re, p, 2, m, p > text && p[-1] != '\n' ? REG_NOTBOL : 0) == 0) {
		int g = re.re_nsub > 0 && m[1].rm_so >= 0;
		if (m[g].rm_eo > m[g].rm_so || !found) {
			found = p + m[g].rm_so;
			found_len = (size_t)(m[g].rm_eo - m[g].rm_so);
		}
		p += m[0].rm_eo > m[0].rm_so ? m[0].rm_eo : m[0].rm_eo + 1;
	}
	regfree(&re);
	if (!found)
		return 0;
	*answer = clean_answer(found, found_len);
	if (**answer)
		return 1;
	free(*answer);
	*answer = NULL;
	return 0;
}

static char *vote_key(const char *s)
{
	struct buf b = BUF_INIT;
	int space = 0;
	for (; *s; s++) {
		if (template_is_space(*s)) {
			space = 1;
			continue;
		}
		if (space && b.len)
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, (char)tolower((unsigned char)*s));
	}
	return b.len ? buf_detach(&b) : xstrdup("");
}

size_t template_vote(const char *const *answers, size_t n, struct template_tally **out)
{
	struct template_tally *v = xcalloc(n ? n : 1, sizeof *v);
	char **keys = xcalloc(n ? n : 1, sizeof *keys);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!answers[i])
			continue;
		char *key = vote_key(answers[i]);
		size_t j = 0;
		while (j < k && strcmp(keys[j], key))
			j++;
		if (j == k) {
			keys[k] = key;
			v[k].answer = xstrdup(answers[i]);
			k++;
		} else {
			free(key);
		}
		v[j].votes++;
	}
	/* stable: insertion sort by votes, first appearance kept ahead on ties */
	for (size_t i = 1; i < k; i++) {
		struct template_tally x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1].votes < x.votes) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (size_t i = 0; i < k; i++)
		free(keys[i]);
	free(keys);
	*out = v;
	return k;
}

void template_tally_free(struct template_tally *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].answer);
	free(v);
}

