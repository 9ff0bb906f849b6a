#include "jobs/notify.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/sanitize.h"
#include "base/xmalloc.h"

struct alert_notifier {
	char *exec_cmd;
	int quiet;
	pid_t *children;
	size_t n;
};

struct alert_notifier *alert_notifier_new(const char *exec_cmd, int quiet)
{
	struct alert_notifier *n = xcalloc(1, sizeof *n);
	n->quiet = quiet;
	n->exec_cmd = exec_cmd ? xstrdup(exec_cmd) : NULL;
	return n;
}

void alert_notifier_free(struct alert_notifier *n)
{
	if (!n)
		return;
	alert_notifier_reap(n);
	free(n->children);
	free(n->exec_cmd);
	free(n);
}

char *alert_message(const struct alert_fired *a)
{
	char *ref = job_ref(a->job);
	char *raw = xasprintf("%s %s: %s (%s)", ref, a->job->name ? a->job->name : "", a->rule, a->detail);
	char *msg = sanitize_str(raw, strlen(raw), 0);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	free(raw);
	free(ref);
	return msg;
}

char *alert_osc(const char *msg)
{
	return xasprintf("\033]9;aiwb: %s\033\\\033]777;notify;aiwb;%s\033\\", msg, msg);
}

static void spawn(struct alert_notifier *n, const char *const argv[], const struct alert_fired *a, const char *msg)
{
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			if (!a || n->quiet)
				dup2(nul, 1);
			if (n->quiet)
				dup2(nul, 2);
		}
		if (a) {
			char *ref = job_ref(a->job);
			setenv("AIWB_ALERT_JOB", ref, 1);
			setenv("AIWB_ALERT_NAME", a->job->name ? a->job->name : "", 1);
			setenv("AIWB_ALERT_RULE", a->rule, 1);
			setenv("AIWB_ALERT_DETAIL", a->detail, 1);
			setenv("AIWB_ALERT_STATUS", job_status_name(a->job->status), 1);
			setenv("AIWB_ALERT_MESSAGE", msg, 1);
		}
		size_t k = 0;
		while (argv[k])
			k++;
		char **copy = xcalloc(k + 1, sizeof *copy);
		for (size_t i = 0; i < k; i++)
			copy[i] = xstrdup(argv[i]);
		execvp(copy[0], copy);
		_exit(127);
	}
	if (pid > 0) {
		n->children = xreallocarray(n->children, n->n + 1, sizeof *n->children);
		n->children[n->n++] = pid;
	}
}

void alert_notify(struct alert_notifier *n, const struct alert_fired *a, const char *msg, const char *rule_cmd)
{
	if (getenv("TMUX")) {
		char *display = xasprintf("aiwb: %s", msg);
		const char *const show[] = {"tmux", "display-message", display, NULL};
		const char *const set[] = {"tmux", "set-option", "-gq", "@aiwb_alert", display, NULL};
		spawn(n, show, NULL, NULL);
		spawn(n, set, NULL, NULL);
		free(display);
	}
	const char *cmds[] = {n->exec_cmd, rule_cmd};
	for (size_t i = 0; i < 2; i++)
		if (cmds[i] && (i == 0 || !n->exec_cmd || strcmp(cmds[i], n->exec_cmd) != 0)) {
			const char *const sh[] = {"/bin/sh", "-c", cmds[i], NULL};
			spawn(n, sh, a, msg);
		}
}

void alert_notifier_reap(struct alert_notifier *n)
{
	for (size_t i = 0; i < n->n;) {
		if (waitpid(n->children[i], NULL, WNOHANG) != 0)
			n->children[i] = n->children[--n->n];
		else
			i++;
	}
}

size_t alert_notifier_running(const struct alert_notifier *n)
{
	return n->n;
}
