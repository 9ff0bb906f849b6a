/* jobs/notify: an alert's message line (one line, sanitized) and the user
 * command run with the alert in its environment, reaped without waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/notify.h"
#include "testdb.h"

static void test_notify_runs_the_command(void **state)
{
	struct testdb *t = *state;
	unsetenv("TMUX");
	char *out = xasprintf("%s/alert.txt", t->dir);
	char *cmd = xasprintf("printf '%%s|%%s|%%s|%%s' \"$AIWB_ALERT_JOB\" \"$AIWB_ALERT_RULE\" \"$AIWB_ALERT_STATUS\" "
			      "\"$AIWB_ALERT_MESSAGE\" > '%s'",
			      out);
	struct job j = {0};
	j.source = xstrdup("local");
	j.ext_id = xstrdup("7");
	j.name = xstrdup("n\tx\x1b[31m");
	j.status = JOB_RUNNING;
	struct alert_fired a = {&j, "loss > 2", "loss 3"};
	char *msg = alert_message(&a);
	assert_string_equal(msg, "local:7 n x: loss > 2 (loss 3)");
	struct alert_notifier *n = alert_notifier_new(cmd, 0);
	alert_notify(n, &a, msg, NULL);
	int64_t deadline = clock_ms() + 10000;
	while (alert_notifier_running(n) && clock_ms() < deadline) {
		usleep(10000);
		alert_notifier_reap(n);
	}
	assert_int_equal(alert_notifier_running(n), 0);
	size_t len = 0;
	struct err e = ERR_INIT;
	char *got = path_read_file(out, &len, &e);
	assert_non_null(got);
	assert_string_equal(got, "local:7|loss > 2|running|local:7 n x: loss > 2 (loss 3)");
	free(got);
	alert_notifier_free(n);
	struct alert_notifier *none = alert_notifier_new(NULL, 0);
	alert_notify(none, &a, msg, NULL);
	assert_int_equal(alert_notifier_running(none), 0);
	alert_notifier_free(none);
	free(msg);
	job_clear(&j);
	free(cmd);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_runs_the_command, testdb_setup, testdb_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
