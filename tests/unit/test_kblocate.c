/* kb/locate: the line of a chunk in its file — a Markdown file with front
 * matter and CRLF lines (the stored text has neither) gives the file's line;
 * repeated text picks the match nearest the stored line; a JSONL record's
 * text is found on its record's line; words the file does not hold, or too
 * few of them, fall back to the stored text's line; a match across the
 * 64 KB read boundary is found with the right line; a missing file is one
 * sentence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "kb/locate.h"

static char *write_tmp(const char *data, size_t n)
{
	char *path = xstrdup("/tmp/aiwb-kblocate-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static long locate(const char *file, const char *body, const char *chunk, int *found)
{
	char *path = write_tmp(file, strlen(file));
	const char *at = strstr(body, chunk);
	assert_non_null(at);
	struct err e = ERR_INIT;
	long line = kb_locate_line(path, body, strlen(body), (size_t)(at - body), found, &e);
	unlink(path);
	free(path);
	return line;
}

static void test_body_line(void **state)
{
	(void)state;
	const char *b = "one\ntwo\nthree\n";
	assert_int_equal(kb_locate_body_line(b, strlen(b), 0), 1);
	assert_int_equal(kb_locate_body_line(b, strlen(b), 4), 2);
	assert_int_equal(kb_locate_body_line(b, strlen(b), 9), 3);
	assert_int_equal(kb_locate_body_line(b, strlen(b), 1000), 4);
}

static void test_markdown_with_front_matter(void **state)
{
	(void)state;
	const char *file = "---\r\ntitle: T\r\nyear: 2024\r\n---\r\n# Intro\r\n\r\nSome words.\r\n\r\n## Second part\r\n\r\n"
			   "The second part starts here.\r\n";
	const char *body = "# Intro\n\nSome words.\n\n## Second part\n\nThe second part starts here.\n";
	int found;
	assert_int_equal(locate(file, body, "## Second", &found), 9);
	assert_int_equal(found, 1);
	assert_int_equal(locate(file, body, "\nThe second part", &found), 11); /* leading blanks skipped */
}

static void test_repeated_text_nearest(void **state)
{
	(void)state;
	const char *file = "Repeated heading line\nx\nx\nx\nRepeated heading line\nx\n";
	int found;
	const char *body = file;
	assert_int_equal(locate(file, body, "Repeated heading line\nx\n", &found), 1);
	const char *second = strstr(body + 1, "Repeated");
	char *path = write_tmp(file, strlen(file));
	struct err e = ERR_INIT;
	assert_int_equal(kb_locate_line(path, body, strlen(body), (size_t)(second - body), &found, &e), 5);
	unlink(path);
	free(path);
}

static void test_jsonl_record(void **state)
{
	(void)state;
	const char *file = "{\"_id\":\"a\",\"text\":\"alpha record text\"}\n{\"_id\":\"b\",\"text\":\"bravo record \\\"quoted\\\" text\"}\n";
	int found;
	assert_int_equal(locate(file, "bravo record \"quoted\" text", "bravo", &found), 2);
	assert_int_equal(found, 1);
}

static void test_fallbacks(void **state)
{
	(void)state;
	int found;
	assert_int_equal(locate("nothing alike\n", "a\nb\nwords the file does not hold\n", "words", &found), 3);
	assert_int_equal(found, 0);
	assert_int_equal(locate("short\nshort\n", "x\nshort\n", "short", &found), 2); /* under KB_LOCATE_MIN */
	assert_int_equal(found, 0);
	struct err e = ERR_INIT;
	assert_int_equal(kb_locate_line("/nonexistent/aiwb-kblocate", "text here", 9, 0, &found, &e), -1);
	assert_non_null(strstr(e.msg, "/nonexistent/aiwb-kblocate"));
}

static void test_across_read_boundary(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	long lines = 0;
	while (b.len < 65536 - 10) {
		buf_puts(&b, "filler\n");
		lines++;
	}
	while (b.len < 65536 - 5)
		buf_putc(&b, 'z');
	buf_puts(&b, "needle across the boundary\nend\n");
	int found;
	long line = locate(buf_str(&b), "needle across the boundary\n", "needle", &found);
	assert_int_equal(found, 1);
	assert_int_equal(line, lines + 1);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_line),
		cmocka_unit_test(test_markdown_with_front_matter),
		cmocka_unit_test(test_repeated_text_nearest),
		cmocka_unit_test(test_jsonl_record),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_across_read_boundary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
