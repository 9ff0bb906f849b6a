#include "kb/addline.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"

void kb_addline_free(struct kb_addline *a)
{
	free(a->path);
	for (size_t i = 0; i < a->ninclude; i++)
		free(a->include[i]);
	for (size_t i = 0; i < a->nexclude; i++)
		free(a->exclude[i]);
	memset(a, 0, sizeof *a);
}

/* The next word of *p into w; 0 at the end, -1 on an open quote. */
static int next_word(const char **p, struct buf *w)
{
	const char *s = *p + strspn(*p, " \t");
	buf_truncate(w, 0);
	if (!*s) {
		*p = s;
		return 0;
	}
	char quote = 0;
	for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
		if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (*s == '\\' && quote != '\'' && s[1])
			buf_putc(w, *++s);
		else
			buf_putc(w, *s);
	}
	*p = s;
	return quote ? -1 : 1;
}

int kb_addline_parse(const char *line, struct kb_addline *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	struct buf w = BUF_INIT;
	const char *p = line ? line : "";
	int rc = 0, r;
	while (rc == 0 && (r = next_word(&p, &w)) != 0) {
		const char *word = buf_str(&w);
		if (r < 0) {
			rc = err_set(e, "a quote is not closed; put the path or glob between matching quotes");
		} else if (!out->path) {
			const char *home = getenv("HOME");
			if (word[0] == '~' && (word[1] == '/' || !word[1]) && home && *home)
				out->path = xasprintf("%s%s", home, word + 1);
			else
				out->path = xstrdup(word);
		} else if ((word[0] == '+' || word[0] == '-') && word[1]) {
			int inc = word[0] == '+';
			size_t *n = inc ? &out->ninclude : &out->nexclude;
			if (*n == KB_ADDLINE_GLOBS_MAX)
				rc = err_set(e, "at most %d include and %d exclude globs", KB_ADDLINE_GLOBS_MAX, KB_ADDLINE_GLOBS_MAX);
			else
				(inc ? out->include : out->exclude)[(*n)++] = xstrdup(word + 1);
		} else {
			rc = err_set(e, "'%s' is neither +GLOB (include) nor -GLOB (exclude); the form is PATH [+GLOB]... "
				     "[-GLOB]... (quote a path with blanks)", word);
		}
	}
	buf_free(&w);
	if (rc == 0 && !out->path)
		rc = err_set(e, "no path given; the form is PATH [+GLOB]... [-GLOB]...");
	if (rc < 0)
		kb_addline_free(out);
	return rc;
}
