#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "llm/catalog.h"

static char tmpdir[] = "/tmp/aiwb-catalog-test-XXXXXX";

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return test_rmtree(tmpdir);
}

static char *write_file(const char *name, const char *text)
{
	char *path = malloc(4096);
	snprintf(path, 4096, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_shipped_catalog_prices_every_model_with_date_and_source(void **state)
{
	(void)state;
	struct catalog c;
	struct err e = ERR_INIT;
	assert_int_equal(catalog_load(&c, "catalog/models.json", NULL, &e), 0);
	assert_true(c.n >= 20);
	for (size_t i = 0; i < c.n; i++) {
		const struct catalog_entry *ce = &c.entries[i];
		assert_true(ce->has_price);
		assert_true(ce->context > 0);
		assert_non_null(ce->price_recorded);
		assert_non_null(ce->price_source);
		assert_true(ce->input_per_mtok >= 0 && ce->output_per_mtok >= 0);
	}
	const struct catalog_entry *mini = catalog_find(&c, "openai", "openai", "gpt-4o-mini");
	assert_non_null(mini);
	assert_int_equal(mini->context, 128000);
	/* 1,000 in and 500 out at $0.15 / $0.60 per 1M */
	assert_true(catalog_cost(mini, 1000, 500) > 0.000449 && catalog_cost(mini, 1000, 500) < 0.000451);
	catalog_free(&c);
}

static void test_user_price_wins_and_custom_provider_falls_back_to_type(void **state)
{
	(void)state;
	char *path = write_file("c.json", "{\"models\":[{\"provider\":\"openai\",\"model\":\"m1\",\"context\":1000,"
					  "\"input_per_mtok\":1,\"output_per_mtok\":2}]}");
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct config_price prices[] = { { (char *)(uintptr_t) "openai/m1", 10, 20, 0 } };
	cfg.prices = prices;
	cfg.nprices = 1;
	struct catalog c;
	struct err e = ERR_INIT;
	assert_int_equal(catalog_load(&c, path, &cfg, &e), 0);
	const struct catalog_entry *ce = catalog_find(&c, "openai", "openai", "m1");
	assert_non_null(ce);
	assert_true(ce->input_per_mtok == 10 && ce->output_per_mtok == 20);
	assert_string_equal(ce->price_recorded, "config");
	/* a vllm provider (type openai) serving m1 finds the catalog entry through its type */
	ce = catalog_find(&c, "vllm", "openai", "m1");
	assert_non_null(ce);
	assert_true(ce->input_per_mtok == 1);
	assert_null(catalog_find(&c, "openai", "openai", "unknown-model"));
	assert_true(catalog_cost(NULL, 1, 1) < 0);
	catalog_free(&c);
	free(path);
}

static void test_bedrock_inference_profile_matches_base_model(void **state)
{
	(void)state;
	struct catalog c;
	struct err e = ERR_INIT;
	assert_int_equal(catalog_load(&c, "catalog/models.json", NULL, &e), 0);
	const struct catalog_entry *ce =
		catalog_find(&c, "bedrock", "bedrock", "us.anthropic.claude-3-haiku-20240307-v1:0");
	assert_non_null(ce);
	assert_string_equal(ce->model, "anthropic.claude-3-haiku-20240307-v1:0");
	catalog_free(&c);
}

static void test_missing_file_is_empty_broken_file_is_an_error(void **state)
{
	(void)state;
	struct catalog c;
	struct err e = ERR_INIT;
	char missing[4200];
	snprintf(missing, sizeof missing, "%s/nope.json", tmpdir);
	assert_int_equal(catalog_load(&c, missing, NULL, &e), 0);
	assert_int_equal(c.n, 0);
	catalog_free(&c);
	char *bad = write_file("bad.json", "{\"models\": 3}");
	assert_int_equal(catalog_load(&c, bad, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "bad.json"));
	catalog_free(&c);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_catalog_prices_every_model_with_date_and_source),
		cmocka_unit_test(test_user_price_wins_and_custom_provider_falls_back_to_type),
		cmocka_unit_test(test_bedrock_inference_profile_matches_base_model),
		cmocka_unit_test(test_missing_file_is_empty_broken_file_is_an_error),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
