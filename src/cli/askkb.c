/* aiwb ask --kb: the question answered with the built-in rag template over
 * the chunks a knowledge base finds for it, then the sources. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "cli/cli.h"
#include "cli/kbcommon.h"
#include "kb/context.h"
#include "kb/json.h"
#include "kb/search.h"
#include "session.h"
#include "store/db.h"

#define ASK_CONTEXT_TOKENS 6000

/* ask's options that take a value (the next argument unless written --opt=value). */
static int ask_takes_value(const char *a)
{
	static const char *const v[] = { "-m", "--model", "-s", "--system", "--temperature", "--top-p", "--max-tokens",
					 "--stop", "-t", "--template", "--var", "--vars-file", NULL };
	for (int i = 0; v[i]; i++)
		if (strcmp(a, v[i]) == 0)
			return 1;
	return 0;
}

int cli_ask_kb(int argc, char **argv)
{
	const char *kbname = NULL, *filter = NULL;
	int k = 5, json = 0, mode = -1; /* -1: not given */
	long n;
	char **rest = xcalloc((size_t)argc + 8, sizeof *rest);
	int nrest = 0;
	struct buf question = BUF_INIT;
	int question_stdin = 0;
	rest[nrest++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--kb") == 0 || strcmp(a, "-k") == 0 || strcmp(a, "--mode") == 0 || strcmp(a, "--filter") == 0) {
			if (!next) {
				free(rest);
				buf_free(&question);
				return cli_usage_error("ask", "%s needs a value", a);
			}
			if (strcmp(a, "--kb") == 0)
				kbname = next;
			else if (strcmp(a, "--filter") == 0)
				filter = next;
			else if (strcmp(a, "--mode") == 0 && (mode = kb_mode_parse(next)) < 0) {
				free(rest);
				buf_free(&question);
				return cli_usage_error("ask", "--mode must be bm25, vector or hybrid");
			} else if (strcmp(a, "-k") == 0) {
				if (cli_parse_long("kb", "-k", next, 1, 50, &n)) {
					free(rest);
					buf_free(&question);
					return 2;
				}
				k = (int)n;
			}
			i++;
		} else if (strcmp(a, "-t") == 0 || strcmp(a, "--template") == 0 || strncmp(a, "--template=", 11) == 0) {
			free(rest);
			buf_free(&question);
			return cli_usage_error("ask", "--kb answers with the built-in rag template; leave out -t");
		} else if (strcmp(a, "--") == 0) {
			for (i++; i < argc; i++) {
				if (question.len)
					buf_putc(&question, ' ');
				buf_puts(&question, argv[i]);
			}
		} else if (a[0] == '-' && a[1]) {
			if (strcmp(a, "--json") == 0)
				json = 1;
			rest[nrest++] = argv[i];
			if (ask_takes_value(a) && next)
				rest[nrest++] = argv[++i];
		} else if (strcmp(a, "-") == 0) {
			question_stdin = 1;
		} else {
			if (question.len)
				buf_putc(&question, ' ');
			buf_puts(&question, a);
		}
	}
	if (question_stdin || (!question.len && !isatty(STDIN_FILENO))) {
		char chunk[4096];
		size_t got;
		while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
			buf_append(&question, chunk, got);
		while (question.len && (question.data[question.len - 1] == '\n' || question.data[question.len - 1] == '\r'))
			buf_truncate(&question, question.len - 1);
	}
	if (!question.len) {
		free(rest);
		buf_free(&question);
		return cli_usage_error("ask", "ask --kb needs a QUESTION");
	}
	cli_kb_seed_demo();
	struct kb kb;
	int status = 0;
	struct db *db = cli_kb_open(kbname, 0, &kb, &status);
	if (!db) {
		free(rest);
		buf_free(&question);
		return status;
	}
	struct kb_search_opts so;
	memset(&so, 0, sizeof so);
	so.query = buf_str(&question);
	so.k = k;
	so.mode = mode >= 0 ? (enum kb_mode)mode : kb_is_remote(&kb) ? KB_MODE_VECTOR : KB_MODE_BM25; /* Bedrock has no bm25 */
	so.filter = filter;
	so.with_text = 1;
	struct kb_results r;
	int rc = cli_kb_search(db, &kb, &so, &r, NULL, "ask");
	db_close(db);
	if (rc) {
		kb_free(&kb);
		free(rest);
		buf_free(&question);
		return rc;
	}
	size_t used = 0;
	char *context = kb_sources_context(&r, ASK_CONTEXT_TOKENS, &used);
	char *var = xasprintf("context=%s", context);
	free(context);
	rest[nrest++] = (char *)(uintptr_t)"-t";
	rest[nrest++] = (char *)(uintptr_t)"rag";
	rest[nrest++] = (char *)(uintptr_t)"--var";
	rest[nrest++] = var;
	rest[nrest++] = (char *)(uintptr_t)"--";
	rest[nrest++] = question.data;
	if (!json) {
		rc = cmd_ask(nrest, rest);
		printf("\nSources (%s, %s):\n", kb.name, kb_mode_name(so.mode));
		if (!used)
			printf("  none: nothing in %s matches the question\n", kb.name);
		for (size_t i = 0; i < used; i++) {
			char *d = cli_flat(r.v[i].doc_name), *h = cli_flat(r.v[i].heading);
			printf("  [%zu] %s%s%s  (score %.4f)\n", i + 1, d, *h ? " › " : "", h, r.v[i].score);
			free(d);
			free(h);
		}
	} else {
		fflush(stdout);
		FILE *tmp = tmpfile();
		int saved = dup(STDOUT_FILENO);
		if (!tmp || saved < 0) {
			rc = cli_fail("ask", "cannot create a temporary file for the answer");
		} else {
			dup2(fileno(tmp), STDOUT_FILENO);
			rc = cmd_ask(nrest, rest);
			fflush(stdout);
			dup2(saved, STDOUT_FILENO);
			close(saved);
			struct buf out = BUF_INIT;
			char chunk[4096];
			size_t got;
			rewind(tmp);
			while ((got = fread(chunk, 1, sizeof chunk, tmp)) > 0)
				buf_append(&out, chunk, got);
			cJSON *o = cJSON_Parse(buf_str(&out));
			if (o) {
				cJSON_AddStringToObject(o, "kb", kb.name);
				cJSON_AddItemToObject(o, "sources", kb_json_sources(&r, used));
				cli_print_json(o);
			} else {
				fputs(buf_str(&out), stdout);
			}
			buf_free(&out);
		}
		if (tmp)
			fclose(tmp);
	}
	free(var);
	kb_results_free(&r);
	kb_free(&kb);
	free(rest);
	buf_free(&question);
	return rc;
}
