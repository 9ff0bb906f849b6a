/* exp/cost: an experiment's cost at catalog prices before anything is sent —
 * prompts as rendered at the input price, max_tokens at the output price,
 * kb queries at the embedding price; unpriced models and cases without
 * max_tokens counted apart; a prompt with {{context}} gets the sources'
 * whole budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "base/tokens.h"
#include "base/xmalloc.h"
#include "exp/cost.h"
#include "kb/context.h"

#define S(x) ((char *)(uintptr_t)(x))
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static struct catalog_entry entries[] = {
	{ .provider = S("openai"), .model = S("m-priced"), .kind = S("chat"), .has_price = 1, .input_per_mtok = 2.0,
	  .output_per_mtok = 8.0 },
	{ .provider = S("openai"), .model = S("emb"), .kind = S("embedding"), .has_price = 1, .input_per_mtok = 0.02 },
	{ .provider = S("openai"), .model = S("no-price"), .kind = S("chat") },
};
static const struct catalog cat = { entries, sizeof entries / sizeof *entries };

struct fixture {
	char dir[64];
	struct exp_spec spec;
};

/* The spec of yaml beside a rows.csv holding names Ann and Robert. */
static void load(struct fixture *f, const char *yaml)
{
	struct err e = ERR_INIT;
	char *data = xasprintf("%s/rows.csv", f->dir);
	FILE *fp = fopen(data, "w");
	assert_non_null(fp);
	fputs("name\nAnn\nRobert\n", fp);
	fclose(fp);
	free(data);
	char *path = xasprintf("%s/exp.yaml", f->dir);
	int rc = exp_spec_parse(&f->spec, yaml, strlen(yaml), path, &e);
	if (rc)
		fprintf(stderr, "# %s\n", e.msg);
	assert_int_equal(rc, 0);
	free(path);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/aiwb-expcost-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	exp_spec_free(&f->spec);
	char *p = xasprintf("%s/rows.csv", f->dir);
	unlink(p);
	free(p);
	int rc = rmdir(f->dir);
	free(f);
	return rc;
}

static void test_priced(void **state)
{
	struct fixture *f = *state;
	load(f, "prompt: \"Say {{name}}\"\nmodels: [openai/m-priced, ollama/local]\ndataset: rows.csv\n"
		"parameters: {max_tokens: 100}\n");
	struct exp_cost c;
	exp_cost_estimate(&f->spec, NULL, NULL, &cat, &c);
	/* "Say Ann" 7 bytes = 2 tokens, "Say Robert" 10 bytes = 3 tokens, each to both models */
	assert_int_equal(c.cases, 4);
	assert_int_equal(c.tokens_in, 10);
	assert_int_equal(c.tokens_out_max, 400);
	assert_int_equal(c.unbounded, 0);
	assert_int_equal(c.models, 2);
	assert_int_equal(c.unpriced, 0);
	assert_int_equal(c.unpriced_cases, 0);
	assert_int_equal(c.queries, 0);
	assert_near(c.usd_min, 5 * 2.0 / 1e6, 1e-12);             /* ollama is local: 0 */
	assert_near(c.usd_max, 5 * 2.0 / 1e6 + 200 * 8.0 / 1e6, 1e-12);
	/* a system prompt counts too, as the request sends it */
	exp_spec_free(&f->spec);
	load(f, "prompt: \"Say {{name}}\"\nsystem: \"Be brief.\"\nmodels: [openai/m-priced]\ndataset: rows.csv\n"
		"parameters: {max_tokens: 10}\n");
	exp_cost_estimate(&f->spec, NULL, NULL, &cat, &c);
	assert_int_equal(c.tokens_in, tokens_estimate(9 + 7) + tokens_estimate(9 + 10));
}

static void test_unpriced_and_unbounded(void **state)
{
	struct fixture *f = *state;
	load(f, "prompt: \"Say {{name}}\"\nmodels: [openai/m-priced, openai/no-price, anthropic/unknown]\n"
		"dataset: rows.csv\n");
	struct exp_cost c;
	exp_cost_estimate(&f->spec, NULL, NULL, &cat, &c);
	assert_int_equal(c.cases, 6);
	assert_int_equal(c.tokens_in, 15);
	assert_int_equal(c.models, 3);
	assert_int_equal(c.unpriced, 2);          /* a catalog entry without a price and no entry at all */
	assert_int_equal(c.unpriced_cases, 4);
	/* without max_tokens only Anthropic's requests carry a bound, its default */
	assert_int_equal(c.unbounded, 4);
	assert_int_equal(c.tokens_out_max, 2 * 1024);
	assert_near(c.usd_min, 5 * 2.0 / 1e6, 1e-12);
	assert_near(c.usd_max, c.usd_min, 1e-15);
	/* no catalog: everything unknown, nothing in dollars */
	exp_cost_estimate(&f->spec, NULL, NULL, NULL, &c);
	assert_int_equal(c.unpriced, 3);
	assert_int_equal(c.unpriced_cases, 6);
	assert_near(c.usd_max, 0, 0);
}

static void test_kb(void **state)
{
	struct fixture *f = *state;
	load(f, "prompts:\n  - {name: rag, prompt: \"Q {{name}}: {{context}}\"}\n  - {name: plain, prompt: \"P {{name}}\"}\n"
		"models: [openai/m-priced]\ndataset: rows.csv\nparameters: {max_tokens: 50}\n"
		"kb:\n  - {label: vec, name: h, mode: vector, query: \"q {{name}}\"}\n  - {label: words, name: h, query: \"{{name}}\"}\n");
	const char *embed[] = { "openai/emb", NULL };
	struct exp_cost c;
	exp_cost_estimate(&f->spec, embed, NULL, &cat, &c);
	/* 2 rows x 2 prompts x 2 settings x 1 model */
	assert_int_equal(c.cases, 8);
	/* one query a row for the vector setting: "q Ann" 2 tokens, "q Robert" 2 tokens */
	assert_int_equal(c.queries, 2);
	assert_int_equal(c.query_tokens, 4);
	assert_int_equal(c.models, 2);
	assert_int_equal(c.unpriced, 0);
	/* the rag prompt holds the whole source budget; the plain one none */
	size_t budget = tokens_bytes(KB_CONTEXT_TOKENS);
	int64_t rag = tokens_estimate(7 + budget) + tokens_estimate(10 + budget);
	int64_t plain = tokens_estimate(5) + tokens_estimate(8);
	assert_int_equal(c.tokens_in, 2 * (rag + plain));
	assert_int_equal(c.tokens_out_max, 8 * 50);
	double in = (double)(2 * (rag + plain)) * 2.0 / 1e6 + 4 * 0.02 / 1e6;
	assert_near(c.usd_min, in, 1e-12);
	assert_near(c.usd_max, in + 400 * 8.0 / 1e6, 1e-12);
	/* an embedding model without a price is counted as one */
	const char *unpriced[] = { "openai/no-price", NULL };
	exp_cost_estimate(&f->spec, unpriced, NULL, &cat, &c);
	assert_int_equal(c.unpriced, 1);
	assert_int_equal(c.unpriced_cases, 2);
	assert_near(c.usd_min, (double)(2 * (rag + plain)) * 2.0 / 1e6, 1e-12);
}

/* A prompt's own kb: counts for that prompt only; the other sends no sources. */
static void test_kb_per_prompt(void **state)
{
	struct fixture *f = *state;
	load(f, "prompts:\n  - {name: own, prompt: \"Q {{name}}: {{context}}\", kb: {name: h, query: \"{{name}}\"}}\n"
		"  - {name: none, prompt: \"P {{name}}\"}\n"
		"models: [openai/m-priced]\ndataset: rows.csv\nparameters: {max_tokens: 1}\n");
	struct exp_cost c;
	exp_cost_estimate(&f->spec, NULL, NULL, &cat, &c);
	assert_int_equal(c.cases, 4);
	assert_int_equal(c.queries, 0); /* bm25: nothing to embed */
	size_t budget = tokens_bytes(KB_CONTEXT_TOKENS);
	int64_t own = tokens_estimate(7 + budget) + tokens_estimate(10 + budget);
	int64_t none = tokens_estimate(5) + tokens_estimate(8);
	assert_int_equal(c.tokens_in, own + none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_priced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpriced_and_unbounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kb_per_prompt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
