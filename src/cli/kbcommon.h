/* kbcommon — what `aiwb kb` (cli/kb.c) and `aiwb ask|compare --kb` (cli/askkb.c)
 * share: opening a knowledge base, the demo KB, a query's vector. Each
 * prints its error as "aiwb kb: ..." on stderr. */
#ifndef AIWB_CLI_KBCOMMON_H
#define AIWB_CLI_KBCOMMON_H

#include <signal.h>
#include <stddef.h>

#include "base/err.h"
#include "kb/store.h"
#include "session.h"

/* Set by Ctrl-C (and SIGTERM) while a kb command works. */
extern volatile sig_atomic_t cli_kb_stop;

/* Opens the database and finds the KB named name; prints the error, sets
 * *status to the exit status and returns NULL. */
struct db *cli_kb_open(const char *name, int write, struct kb *kb, int *status);
/* cli_kb_open for the commands that work on a local KB's documents (what:
 * "kb add", ...): a remote KB is refused with one sentence (status 1). */
struct db *cli_kb_open_local(const char *name, int write, struct kb *kb, int *status, const char *what);
/* The first kb command of a data home makes the demo KB (kb/demo.h); a
 * failure is a warning, never a stop. */
void cli_kb_seed_demo(void);
/* A session (config, catalog, event loop) for the commands that embed; one
 * sentence in e on failure. Ctrl-C sets cli_kb_stop and stops the loop. */
int cli_kb_embed_session(struct session *s, struct err *e);
/* The query's vector for the KB's model, opening s first unless *opened
 * (then *opened is set); NULL after printing the error. The caller frees. */
float *cli_kb_query_vector(struct session *s, int *opened, const struct kb *kb, const char *query, size_t *dim);
struct kb_search_opts;
struct kb_results;
/* Runs so on kb, with the query's vector when the mode or the rerank needs
 * one; a remote KB is asked through its service (kb/bedrockkb.h). *ms (if
 * not NULL) is how long the search took. With so->rerank (kb/rerank.h), the
 * search retrieves kb_rerank_depth() candidates, the model scores them and
 * the best so->k are kept (r->rerank says how it ran). 0, or the exit status of the error
 * printed (an invalid filter, or a mode or k the service cannot do, is a
 * usage error of cmd). */
int cli_kb_search(struct db *db, const struct kb *kb, struct kb_search_opts *so, struct kb_results *r, double *ms,
		  const char *cmd);

#endif
