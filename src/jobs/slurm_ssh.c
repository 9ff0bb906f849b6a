/* Slurm commands here or through OpenSSH, and the mirrors of remote logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/path.h"
#include "base/xmalloc.h"
#include "jobs/local.h"
#include "jobs/slurm_run.h"

char *slurm_shell_join(char *const argv[])
{
	struct buf b = BUF_INIT;
	for (char *const *a = argv; *a; a++) {
		if (a != argv)
			buf_putc(&b, ' ');
		buf_putc(&b, '\'');
		for (const char *p = *a; *p; p++) {
			if (*p == '\'')
				buf_puts(&b, "'\\''");
			else
				buf_putc(&b, *p);
		}
		buf_putc(&b, '\'');
	}
	if (!b.len)
		buf_puts(&b, "");
	return buf_detach(&b);
}

char **slurm_ssh_argv(const char *target, const char *ssh_config, const char *control_dir, const char *command)
{
	char **v = xcalloc(20, sizeof *v);
	int n = 0;
	v[n++] = xstrdup("ssh");
	if (ssh_config) {
		v[n++] = xstrdup("-F");
		v[n++] = xstrdup(ssh_config);
	}
	v[n++] = xstrdup("-o");
	v[n++] = xstrdup("BatchMode=yes");
	v[n++] = xstrdup("-o");
	v[n++] = xstrdup("ControlMaster=auto");
	v[n++] = xstrdup("-o");
	v[n++] = xasprintf("ControlPath=%s/ssh-%%C", control_dir);
	v[n++] = xstrdup("-o");
	v[n++] = xstrdup("ControlPersist=600");
	v[n++] = xstrdup("-o");
	v[n++] = xstrdup("ConnectTimeout=10");
	v[n++] = xstrdup("-T");
	v[n++] = xstrdup("--");
	v[n++] = xstrdup(target);
	v[n++] = xstrdup(command);
	v[n] = NULL;
	return v;
}

void slurm_argv_free(char **argv)
{
	for (char **a = argv; a && *a; a++)
		free(*a);
	free(argv);
}

struct proc *slurm_run(struct slurm_source *s, char *const argv[], int64_t timeout_ms, proc_done_fn done, void *ud)
{
	if (!s->ssh)
		return proc_start(s->base.loop, argv, timeout_ms, done, ud);
	if (path_mkdirs(s->control_dir, 0700, NULL) < 0)
		return NULL;
	char *cmd = slurm_shell_join(argv);
	char **v = slurm_ssh_argv(s->ssh, s->ssh_config, s->control_dir, cmd);
	struct proc *p = proc_start(s->base.loop, v, timeout_ms, done, ud);
	slurm_argv_free(v);
	free(cmd);
	return p;
}

char *slurm_mirror_path(const struct slurm_source *s, const char *key, const char *suffix)
{
	return xasprintf("%s/%s%s", s->mirror_dir, key, suffix);
}

/* ---- mirroring: one `tail -c +N FILE | head -c MAX` per log, in turn */

#define MIRROR_CHUNK (4 << 20)

struct mirror_op {
	struct inflight f;
	struct slurm_source *s;
	char **remote, **mirror;
	size_t n, i;
	job_done_fn done;
	void *ud;
};

static void mirror_next(struct mirror_op *op);

static void on_chunk(void *ud, const struct proc_result *r)
{
	struct mirror_op *op = ud;
	slurm_untrack(op->s, &op->f);
	op->f.proc = NULL;
	if (r->started && r->exited && r->code == 0 && r->out->len) {
		int fd = open(op->mirror[op->i], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			size_t off = 0;
			while (off < r->out->len) {
				ssize_t w = write(fd, r->out->data + off, r->out->len - off);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					break;
				off += (size_t)w;
			}
			close(fd);
		}
	}
	op->i++;
	mirror_next(op);
}

static void mirror_next(struct mirror_op *op)
{
	while (op->i < op->n) {
		struct stat st;
		long long have = stat(op->mirror[op->i], &st) == 0 ? (long long)st.st_size : 0;
		char *script = xasprintf("f=\"$1\"; [ -r \"$f\" ] || exit 0; tail -c +%lld \"$f\" | head -c %d", have + 1,
					 MIRROR_CHUNK);
		char sh[] = "sh", c[] = "-c", zero[] = "sh";
		char *argv[] = {sh, c, script, zero, op->remote[op->i], NULL};
		op->f.proc = slurm_run(op->s, argv, 30000, on_chunk, op);
		free(script);
		if (op->f.proc) {
			slurm_track(op->s, &op->f);
			return;
		}
		op->i++;
	}
	job_done_fn done = op->done;
	void *ud = op->ud;
	free(op);
	done(ud, 1, NULL);
}

void slurm_mirror_logs(struct slurm_source *s, char **remote, char **mirrors, size_t n, job_done_fn done, void *ud)
{
	if (path_mkdirs(s->mirror_dir, 0700, NULL) < 0) {
		done(ud, 0, "cannot create the directory for the job logs");
		return;
	}
	struct mirror_op *op = xcalloc(1, sizeof *op);
	op->s = s;
	op->remote = remote;
	op->mirror = mirrors;
	op->n = n;
	op->done = done;
	op->ud = ud;
	mirror_next(op);
}
