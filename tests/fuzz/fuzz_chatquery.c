/* libFuzzer target for chat/retrieve's query rewrite: the input is split at
 * its first NUL or newline into the new question and the previous one; the
 * query always starts with the new question and adds at most CHAT_KB_CARRY
 * words of the previous one, each a word the previous question holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "chat/retrieve.h"
#include "kb/query.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = 0;
	while (cut < size && data[cut] != '\n' && data[cut] != '\0')
		cut++;
	char *question = xstrndup((const char *)data, cut);
	char *previous = cut < size ? xstrndup((const char *)data + cut + 1, size - cut - 1) : NULL;
	char *q = chat_kb_query(question, previous);
	size_t qlen = strlen(question);
	require(strncmp(q, question, qlen) == 0);
	struct kb_query before;
	kb_query_build(previous ? previous : "", &before);
	int added = 0;
	char *rest = xstrdup(q + qlen);
	for (char *w = strtok(rest, " "); w; w = strtok(NULL, " ")) {
		int found = 0;
		for (size_t i = 0; i < before.nwords && !found; i++)
			found = strcmp(before.words[i], w) == 0;
		require(found);
		added++;
	}
	require(added <= CHAT_KB_CARRY);
	free(rest);
	kb_query_free(&before);
	free(q);
	free(question);
	free(previous);
	return 0;
}
