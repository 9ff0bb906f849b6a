/* The history view's keys and searches, without a terminal (drawing is
 * covered by tests/e2e/tui_history.sh), and wb_set_models. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "pane.h"
#include "store/db.h"
#include "view_history.h"

struct fixture {
	char dir[64];
	struct db *db;
	int64_t zebras, giraffes, penguins;
};

static int64_t add(struct db *db, int64_t created_ms, const char *prompt, const char *output)
{
	struct err e = ERR_INIT;
	struct db_run run = {
		.created_ms = created_ms, .kind = "ask", .model = "openai/gpt-4o-mini", .prompt = prompt,
		.messages = "[]", .params = "{}", .output = output, .metrics = "{\"status\":\"ok\"}",
	};
	return db_run_insert(db, &run, &e);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	if (!(f->db = testdb_open(f->dir, "ui-history")))
		return -1;
	f->zebras = add(f->db, 1000, "Tell me about zebras", "Stripes.");
	f->giraffes = add(f->db, 2000, "giraffes are tall", "Necks and zebras nearby.");
	f->penguins = add(f->db, 3000, "compare penguins", "Birds.");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int rc = testdb_close(f->dir, f->db);
	free(f);
	return rc;
}

static void type(struct history_view *v, const char *s)
{
	for (; *s; s++)
		assert_int_equal(history_view_key(v, (unsigned char)*s), 0);
}

static int64_t chosen_after_ctrl_r(struct history_view *v)
{
	assert_int_equal(history_view_key(v, 'r' & 0x1f), HISTORY_VIEW_RESTORE | HISTORY_VIEW_CLOSE);
	return history_view_chosen(v);
}

/* A conversation is one row; re-opening it (from the list or from its turns
 * in full) restores its latest turn. */
static void test_conversation_row(void **state)
{
	struct fixture *f = *state;
	struct err e = ERR_INIT;
	struct db_run run = { .created_ms = 4000, .kind = "chat", .model = "openai/a", .prompt = "first turn",
			      .messages = "[]", .output = "one", .metrics = "{\"status\":\"ok\"}", .turn = 1 };
	int64_t first = db_run_insert(f->db, &run, &e);
	run.created_ms = 5000;
	run.prompt = "second turn";
	run.conversation = first;
	run.turn = 2;
	int64_t second = db_run_insert(f->db, &run, &e);
	assert_true(second > first);
	struct history_view *v = history_view_new(f->db);
	history_view_open(v, "", 40, 120);
	assert_int_equal(chosen_after_ctrl_r(v), second);
	history_view_open(v, "", 40, 120);
	history_view_key(v, KEY_DOWN);
	assert_int_equal(chosen_after_ctrl_r(v), f->penguins); /* the conversation took one row */
	history_view_open(v, "", 40, 120);
	assert_int_equal(history_view_key(v, '\n'), 0);
	assert_int_equal(history_view_keymap(v), KEYMAP_RUN);
	assert_int_equal(history_view_key(v, 'r'), HISTORY_VIEW_RESTORE | HISTORY_VIEW_CLOSE);
	assert_int_equal(history_view_chosen(v), second);
	history_view_free(v);
}

static void test_newest_first_and_moving(void **state)
{
	struct fixture *f = *state;
	struct history_view *v = history_view_new(f->db);
	history_view_open(v, "", 40, 120);
	assert_int_equal(chosen_after_ctrl_r(v), f->penguins);
	assert_int_equal(history_view_key(v, KEY_DOWN), 0);
	assert_int_equal(chosen_after_ctrl_r(v), f->giraffes);
	history_view_key(v, KEY_DOWN);
	history_view_key(v, KEY_DOWN); /* stays on the last */
	assert_int_equal(chosen_after_ctrl_r(v), f->zebras);
	history_view_key(v, KEY_UP);
	assert_int_equal(chosen_after_ctrl_r(v), f->giraffes);
	assert_int_equal(history_view_key(v, 27), HISTORY_VIEW_CLOSE);
	history_view_free(v);
}

/* Each key searches again: "zebras" matches two runs, the prompt one first;
 * a word more leaves one; Backspace and C-u widen again. */
static void test_search_as_you_type(void **state)
{
	struct fixture *f = *state;
	struct history_view *v = history_view_new(f->db);
	history_view_open(v, NULL, 40, 120);
	type(v, "zebras");
	assert_int_equal(chosen_after_ctrl_r(v), f->zebras);
	history_view_key(v, KEY_DOWN);
	assert_int_equal(chosen_after_ctrl_r(v), f->giraffes);
	type(v, " neck*");
	assert_int_equal(chosen_after_ctrl_r(v), f->giraffes);
	for (int i = 0; i < 6; i++)
		history_view_key(v, KEY_BACKSPACE);
	assert_int_equal(chosen_after_ctrl_r(v), f->zebras);
	history_view_key(v, 'u' & 0x1f);
	assert_int_equal(chosen_after_ctrl_r(v), f->penguins);
	/* no hit: nothing to restore */
	type(v, "xyzzy");
	assert_int_equal(history_view_key(v, 'r' & 0x1f), 0);
	assert_int_equal(history_view_key(v, '\n'), 0);
	/* the query is kept when the view opens again without one */
	history_view_open(v, NULL, 40, 120);
	assert_int_equal(history_view_key(v, 'r' & 0x1f), 0);
	history_view_open(v, "penguins", 40, 120);
	assert_int_equal(chosen_after_ctrl_r(v), f->penguins);
	history_view_free(v);
}

static void test_detail_keys(void **state)
{
	struct fixture *f = *state;
	struct history_view *v = history_view_new(f->db);
	history_view_open(v, "giraffes", 40, 120);
	assert_int_equal(history_view_key(v, '\n'), 0);
	/* in the detail, letters scroll or act; q goes back to the list */
	assert_int_equal(history_view_key(v, 'j'), 0);
	assert_int_equal(history_view_key(v, 'q'), 0);
	type(v, "q"); /* back in the list, q is a letter of the search: "giraffesq" matches nothing */
	assert_int_equal(history_view_key(v, '\n'), 0);
	assert_int_equal(history_view_key(v, 'r' & 0x1f), 0);
	history_view_key(v, KEY_BACKSPACE);
	assert_int_equal(history_view_key(v, KEY_ENTER), 0);
	assert_int_equal(history_view_key(v, 'r'), HISTORY_VIEW_RESTORE | HISTORY_VIEW_CLOSE);
	assert_int_equal(history_view_chosen(v), f->giraffes);
	history_view_open(v, "zebras", 40, 120);
	history_view_key(v, '\r');
	assert_int_equal(history_view_key(v, '\r'), HISTORY_VIEW_RESTORE | HISTORY_VIEW_CLOSE);
	assert_int_equal(history_view_chosen(v), f->zebras);
	history_view_free(v);
}

/* Paging: with room for one run, Down asks for the next one; a larger
 * screen keeps the selected run selected. */
static void test_small_screen_pages(void **state)
{
	struct fixture *f = *state;
	struct history_view *v = history_view_new(f->db);
	history_view_open(v, "", 8, 60);
	assert_int_equal(chosen_after_ctrl_r(v), f->penguins);
	history_view_key(v, KEY_DOWN);
	history_view_key(v, KEY_DOWN);
	assert_int_equal(chosen_after_ctrl_r(v), f->zebras);
	history_view_layout(v, 40, 120);
	history_view_key(v, KEY_UP);
	assert_int_equal(chosen_after_ctrl_r(v), f->giraffes);
	history_view_free(v);
}

static void test_wb_set_models(void **state)
{
	(void)state;
	struct wb wb;
	memset(&wb, 0, sizeof wb);
	char m1[] = "openai/gpt-4o", m2[] = "openai/gpt-4o-mini", m3[] = "ollama/llama3.1";
	char *one[] = { m1 };
	char *two[] = { m2, m3 };
	wb_set_models(&wb, two, 2);
	assert_string_equal(wb.selected, "openai/gpt-4o-mini");
	assert_int_equal(wb.nmarked, 2);
	assert_string_equal(wb.marked[1], "ollama/llama3.1");
	wb_set_models(&wb, one, 1);
	assert_string_equal(wb.selected, "openai/gpt-4o");
	assert_int_equal(wb.nmarked, 0);
	wb_set_models(&wb, NULL, 0);
	assert_string_equal(wb.selected, "openai/gpt-4o");
	free(wb.selected);
	free(wb.marked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newest_first_and_moving, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conversation_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_as_you_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_screen_pages, setup, teardown),
		cmocka_unit_test(test_wb_set_models),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
