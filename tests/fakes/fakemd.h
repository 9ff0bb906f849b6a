/* fakemd — the `markdown` scenario of fakellm: the answer is a Markdown
 * document (a heading, emphasis, a link, an aligned table, a fenced code
 * block with a line too long for a column, a quote, nested lists, a rule),
 * streamed a word at a time (a token is the blanks before a word and the
 * word). Past its end it starts again, so `markdown-tokens-N` gives a long
 * answer of whole sections. Included by fakellm.c only. */
#ifndef AIWB_FAKEMD_H
#define AIWB_FAKEMD_H

static const char fake_markdown[] =
	"# Release notes\n"
	"\n"
	"The **fast** path is *new*; see [the docs](https://example.com/docs) and run `aiwb ask`.\n"
	"\n"
	"| model | ctx | price |\n"
	"|:------|----:|------:|\n"
	"| small | 8k | $0.10 |\n"
	"| large | 128k | $2.50 |\n"
	"\n"
	"```python\n"
	"def greet(name):\n"
	"    return \"hello \" + name + \" and a long line that needs sideways scrolling to be read whole\"\n"
	"```\n"
	"\n"
	"> Quoted advice stays dimmed.\n"
	"\n"
	"- first item\n"
	"- second item\n"
	"  1. nested one\n"
	"\n"
	"---\n"
	"\n";

static size_t fakemd_starts[512], fakemd_n;

/* The tokens of the document once. */
static long fakemd_ntokens(void)
{
	size_t *starts = fakemd_starts, ntok = fakemd_n;
	const size_t len = sizeof fake_markdown - 1;
	if (!ntok) {
		size_t p = 0;
		while (p < len && ntok < 512) {
			starts[ntok++] = p;
			while (p < len && (fake_markdown[p] == ' ' || fake_markdown[p] == '\n'))
				p++;
			while (p < len && fake_markdown[p] != ' ' && fake_markdown[p] != '\n')
				p++;
		}
		fakemd_n = ntok;
	}
	return (long)ntok;
}

/* Token i of the endless document into out; its length. */
static size_t fakemd_token(long i, char *out, size_t cap)
{
	const size_t *starts = fakemd_starts, len = sizeof fake_markdown - 1;
	size_t ntok = (size_t)fakemd_ntokens();
	size_t k = (size_t)i % ntok, a = starts[k], b = k + 1 < ntok ? starts[k + 1] : len;
	size_t n = b - a < cap ? b - a : cap - 1;
	memcpy(out, fake_markdown + a, n);
	return n;
}

#endif
