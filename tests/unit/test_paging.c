/* paging: building a model list from a provider's listing (llm_models_from). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "llm/paging.h"

static void mark(struct llm_model *x, const cJSON *item)
{
	x->streaming = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "chat"));
}

static void test_models_from(void **state)
{
	(void)state;
	cJSON *body = cJSON_Parse("{\"models\":[{\"name\":\"a\",\"chat\":true},{\"model\":\"b\"},{\"other\":1},"
				  "{\"name\":7,\"model\":\"c\"},{\"name\":\"d\",\"model\":\"ignored\"}]}");
	struct llm_model_list list = { 0 };
	struct err e = ERR_INIT;
	assert_int_equal(llm_models_from(body, "models", "name", "model", &list, mark, &e), 0);
	assert_int_equal(list.n, 4);
	assert_string_equal(list.models[0].id, "a");
	assert_true(list.models[0].streaming);
	assert_string_equal(list.models[1].id, "b");
	assert_false(list.models[1].streaming);
	assert_string_equal(list.models[2].id, "c");
	assert_string_equal(list.models[3].id, "d");

	/* without a second key, an item without the first is passed over */
	assert_int_equal(llm_models_from(body, "models", "name", NULL, &list, mark, &e), 0);
	assert_int_equal(list.n, 6);

	assert_int_equal(llm_models_from(body, "data", "id", NULL, &list, mark, &e), -1);
	assert_true(e.set);
	assert_int_equal(list.n, 6);
	llm_models_clear(&list);
	cJSON_Delete(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_models_from),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
