/* The Prompt pane's editor box and conversations without a terminal or a
 * network: the box's targets (C-s sends the free prompt, Esc keeps it and
 * changes nothing when nothing was written, C-g drops the changes, a sent
 * prompt leaves the next box empty), pastes opening the box with their line
 * breaks, one-line summaries of multi-line values, and a conversation re-opened
 * from the history: shown whole (its latest answer what the take-away keys
 * take), open for a follow-up only with the same models, kept intact when a
 * follow-up cannot start, closed by talk_new; the question a first turn shows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testdb.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "keys.h"
#include "talk.h"

#define C(c) ((c) & 0x1f)

struct fixture {
	struct wb wb;
	struct lab_form form;
	struct compare_view cv;
	struct talk t;
	char status[1024];
	struct testdb *db;
};

static void on_status(void *ud, int error, const char *msg)
{
	struct fixture *f = ud;
	(void)error;
	snprintf(f->status, sizeof f->status, "%s", msg);
}

static int setup(void **state)
{
	char **warn;
	size_t nwarn;
	keys_init(NULL, &warn, &nwarn);
	struct fixture *f = xcalloc(1, sizeof *f);
	if (testdb_setup((void **)&f->db) != 0)
		return -1;
	f->wb.db = f->db->db;
	f->wb.selected = xstrdup("p/a");
	f->wb.notify.status = on_status;
	f->wb.notify.ud = f;
	lab_form_open(&f->form, NULL, NULL);
	compare_init(&f->cv, &f->wb);
	talk_init(&f->t, &f->wb, &f->form, &f->cv);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	talk_free(&f->t);
	compare_free(&f->cv);
	lab_form_close(&f->form);
	free(f->wb.selected);
	void *db = f->db;
	int rc = testdb_teardown(&db);
	free(f);
	return rc;
}

static enum talk_key_result type(struct talk *t, const char *s)
{
	enum talk_key_result r = TALK_NOT_MINE;
	for (; *s; s++)
		r = talk_key(t, (unsigned char)*s);
	return r;
}

static void test_box_targets(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(talk_key(&f->t, 'x'), TALK_NOT_MINE); /* no box open */
	talk_edit(&f->t, TALK_TEXT, 0, NULL);
	assert_true(talk_editing(&f->t));
	assert_int_equal(type(&f->t, "hi"), TALK_DRAWN);
	assert_int_equal(talk_key(&f->t, '\r'), TALK_DRAWN);
	type(&f->t, "there");
	assert_string_equal(f->form.text, ""); /* nothing kept or sent yet */
	assert_int_equal(talk_key(&f->t, '\t'), TALK_NOT_MINE);
	assert_int_equal(talk_key(&f->t, C('s')), TALK_SEND_FORM);
	assert_false(talk_editing(&f->t));
	assert_string_equal(f->form.text, "hi\nthere");

	/* once sent, the next box is empty; Esc on it changes nothing */
	talk_sent(&f->t, -1);
	talk_edit(&f->t, TALK_TEXT, 0, NULL);
	assert_string_equal(editor_text(&f->t.ed), "");
	assert_int_equal(talk_key(&f->t, 27), TALK_DRAWN);
	assert_false(talk_editing(&f->t));
	assert_string_equal(f->form.text, "hi\nthere");

	/* Esc keeps what was written (not sent); it comes back in the box */
	talk_edit(&f->t, TALK_TEXT, 0, NULL);
	type(&f->t, "draft");
	assert_int_equal(talk_key(&f->t, 27), TALK_DRAWN);
	assert_string_equal(f->form.text, "draft");
	assert_non_null(strstr(f->status, "kept the text"));
	talk_edit(&f->t, TALK_TEXT, 0, NULL);
	assert_string_equal(editor_text(&f->t.ed), "draft");
	/* C-g drops the changes */
	type(&f->t, " more");
	assert_int_equal(talk_key(&f->t, C('g')), TALK_DRAWN);
	assert_string_equal(f->form.text, "draft");
	/* C-s on an empty prompt sends nothing */
	talk_edit(&f->t, TALK_TEXT, 0, "");
	assert_int_equal(talk_key(&f->t, C('s')), TALK_DRAWN);

	/* the system prompt: set with C-s, several lines */
	talk_edit(&f->t, TALK_SYSTEM, 0, NULL);
	type(&f->t, "Be brief.");
	talk_key(&f->t, '\r');
	type(&f->t, "Be kind.");
	assert_int_equal(talk_key(&f->t, C('s')), TALK_DRAWN);
	assert_string_equal(f->form.system, "Be brief.\nBe kind.");
	assert_string_equal(f->status, "system prompt set");
}

static void test_paste_and_summary(void **state)
{
	struct fixture *f = *state;
	talk_paste(&f->t, 0, "line one\r\nline two\n\x01q");
	assert_true(talk_editing(&f->t));
	assert_string_equal(editor_text(&f->t.ed), "line one\nline two\nq");
	talk_paste(&f->t, 0, "\nmore"); /* into the open box, at the cursor */
	assert_string_equal(editor_text(&f->t.ed), "line one\nline two\nq\nmore");
	char out[64];
	talk_one_line("line one\nline two\nq\n", out, sizeof out);
	assert_string_equal(out, "line one  (+2 lines)");
	talk_one_line("single", out, sizeof out);
	assert_string_equal(out, "single");
	talk_one_line("a\nb", out, sizeof out);
	assert_string_equal(out, "a  (+1 line)");
}

/* A first turn's columns show the question: a free prompt as written, a
 * template as its name and values (a list item each, defaults marked). */
static void test_first_shown(void **state)
{
	struct fixture *f = *state;
	lab_form_set_text(&f->form, "Why is the sky blue?\n");
	char *shown = talk_first_shown(&f->t);
	assert_string_equal(shown, THREAD_YOU "Why is the sky blue?\n\n" THREAD_ANSWER);
	free(shown);
	struct err e = ERR_INIT;
	const char *root = getenv("AIWB_ROOT"); /* the built-in templates */
	char share[4096];
	assert_non_null(realpath(root && *root ? root : ".", share));
	setenv("AIWB_SHARE", share, 1);
	path_reset();
	assert_int_equal(lab_form_open(&f->form, "rag", &e), 0);
	for (size_t i = 0; i < f->form.nfields; i++)
		assert_int_equal(lab_form_set(&f->form, i, strcmp(f->form.fields[i].name, "question") == 0 ? "Why?" :
							   "[1] one\n[2] two", &e), 0);
	shown = talk_first_shown(&f->t);
	assert_non_null(strstr(shown, THREAD_YOU "template rag\n"));
	assert_non_null(strstr(shown, "\n- question: Why?"));
	assert_non_null(strstr(shown, "\n- context: [1] one  (+1 line)"));
	assert_non_null(strstr(shown, "\n\n" THREAD_ANSWER));
	free(shown);
}

static int64_t save(struct db *db, const char *messages, const char *output, int64_t conv, int turn)
{
	struct err e = ERR_INIT;
	struct db_run run = { .kind = "ask", .model = "p/a", .prompt = "p", .messages = messages, .output = output,
			      .metrics = "{\"status\":\"ok\",\"usage\":{\"input_tokens\":10,\"output_tokens\":2,"
					 "\"estimated\":false},\"cost_usd\":0.25}",
			      .conversation = conv, .turn = turn };
	int64_t id = db_run_insert(db, &run, &e);
	assert_true(id > 0);
	return id;
}

static void test_restore_and_follow_up(void **state)
{
	struct fixture *f = *state;
	int64_t solo = save(f->wb.db, "[{\"role\":\"user\",\"content\":\"alone\"}]", "yes", 0, 0);
	assert_int_equal(talk_restore(&f->t, solo), 0); /* one turn: not a conversation to re-open */
	assert_int_equal(f->cv.ncols, 0);

	int64_t first = save(f->wb.db, "[{\"role\":\"user\",\"content\":\"q1\"}]", "a1", 0, 0);
	int64_t second = save(f->wb.db, "[{\"role\":\"user\",\"content\":\"q1\"},{\"role\":\"assistant\",\"content\":"
					 "\"a1\"},{\"role\":\"user\",\"content\":\"q2\"}]", "a2", first, 2);
	assert_int_equal(talk_restore(&f->t, second), 1);
	assert_non_null(strstr(f->status, "re-opened conversation"));
	assert_int_equal(f->cv.ncols, 1);
	assert_string_equal(f->cv.cols[0].spec, "p/a");
	const char *shown = buf_str(lab_run_text(f->cv.cols[0].run));
	assert_non_null(strstr(shown, THREAD_YOU "q2"));
	assert_non_null(strstr(shown, "a1"));
	assert_true(talk_conversing(&f->t));
	assert_string_equal(f->cv.cols[0].note, "conversation: 2 turns · 20 in / 4 out tokens · $0.500000");
	size_t len;
	const char *latest = answer_latest(&f->cv.cols[0], &len); /* what y, o and W take */
	assert_int_equal(len, 2);
	assert_memory_equal(latest, "a2", 2);

	/* Enter writes the follow-up; the model's provider is not usable here, so
	 * the column says why and the conversation stays as it was */
	talk_edit(&f->t, TALK_FOLLOWUP, 0, NULL);
	type(&f->t, "q3");
	assert_int_equal(talk_key(&f->t, C('s')), TALK_DRAWN);
	assert_false(talk_editing(&f->t));
	assert_null(f->cv.cols[0].run);
	assert_non_null(strstr(f->cv.cols[0].error, "not usable"));
	assert_int_equal(f->t.threads[0].conv.nmessages, 4);
	assert_int_equal(conv_next_turn(&f->t.threads[0].conv), 3);
	assert_int_equal(conv_next_conversation(&f->t.threads[0].conv), first);

	/* other models selected: no longer this conversation */
	free(f->wb.selected);
	f->wb.selected = xstrdup("p/b");
	assert_false(talk_conversing(&f->t));
	free(f->wb.selected);
	f->wb.selected = xstrdup("p/a");
	assert_true(talk_conversing(&f->t));
	/* a paste in a conversation opens the follow-up */
	talk_paste(&f->t, 0, "pasted");
	assert_int_equal(f->t.target, TALK_FOLLOWUP);
	assert_int_equal(talk_key(&f->t, 27), TALK_DRAWN);
	assert_string_equal(f->t.draft, "pasted");
	talk_new(&f->t);
	assert_false(talk_conversing(&f->t));
	assert_null(f->t.draft);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_box_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paste_and_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_and_follow_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_shown, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
