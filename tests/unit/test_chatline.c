/* chatline in plain mode (a pipe): whole lines in order, a last line
 * without its newline, CR LF, a long line, lines read ahead handed over one
 * per chatline_read, and NULL at the end. (Readline on a terminal is
 * tests/e2e/tui_chat.sh.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/xmalloc.h"
#include "cli/chatline.h"
#include "loop.h"

struct got {
	struct loop *loop;
	char *lines[16];
	int n, ended;
};

static void on_line(char *line, void *ud)
{
	struct got *g = ud;
	if (!line)
		g->ended = 1;
	else if (g->n < 16)
		g->lines[g->n++] = line;
	else
		free(line);
	loop_stop(g->loop);
}

/* One chatline_read: runs the loop until a line (or the end) arrives. */
static void read_one(struct chatline *cl, struct got *g)
{
	chatline_read(cl, "> ");
	loop_run(g->loop);
}

static void test_plain_lines(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	struct got g = { 0 };
	g.loop = loop_new();
	const char *why = "unset";
	struct chatline *cl = chatline_new(g.loop, fds[0], on_line, &g, &why);
	assert_null(why);
	assert_false(chatline_editing(cl));
	char big[10000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	const char *text = "first\nsecond\r\n\n";
	assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
	read_one(cl, &g);
	read_one(cl, &g);
	read_one(cl, &g);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.lines[0], "first");
	assert_string_equal(g.lines[1], "second");
	assert_string_equal(g.lines[2], "");
	assert_int_equal(write(fds[1], big, strlen(big)), (ssize_t)strlen(big));
	assert_int_equal(write(fds[1], "\nlast without newline", 21), 21);
	close(fds[1]);
	read_one(cl, &g);
	read_one(cl, &g);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.lines[3], big);
	assert_string_equal(g.lines[4], "last without newline");
	assert_false(g.ended);
	read_one(cl, &g);
	assert_true(g.ended);
	assert_false(chatline_interrupt(cl, NULL)); /* not reading now */
	for (int i = 0; i < g.n; i++)
		free(g.lines[i]);
	chatline_free(cl);
	loop_free(g.loop);
	close(fds[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
