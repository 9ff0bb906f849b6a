/* The batch script in the user's editor, for jobs resubmit --edit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/slurm.h"

int slurm_edit_script(char **script, void *ud, struct err *e)
{
	(void)ud;
	const char *v = getenv("VISUAL"), *ed = getenv("EDITOR");
	if ((!v || !*v) && (!ed || !*ed))
		return err_set(e, "--edit needs an editor: set VISUAL or EDITOR");
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/aiwb-batch-XXXXXX.sh", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemps(path, 3); /* mode 0600 */
	if (fd < 0) {
		err_set(e, "cannot create a temporary file for the script: %s", strerror(errno));
		free(path);
		return -1;
	}
	size_t len = strlen(*script), off = 0;
	while (off < len) {
		ssize_t w = write(fd, *script + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(fd);
	int rc = -1;
	if (off < len) {
		err_set(e, "cannot write the script to %s", path);
		goto out;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec ${VISUAL:-$EDITOR} \"$1\"", "sh", path, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		err_set(e, "the editor did not exit cleanly (status %d); nothing was submitted",
			pid < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		goto out;
	}
	size_t n;
	char *text = path_read_file(path, &n, e);
	if (!text)
		goto out;
	if (!n || strspn(text, " \t\r\n") == n) {
		free(text);
		err_set(e, "the script is empty; nothing was submitted");
		goto out;
	}
	free(*script);
	*script = text;
	rc = 0;
out:
	unlink(path);
	free(path);
	return rc;
}
