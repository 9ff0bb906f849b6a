#include "jobs/job.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"

static const char *const status_names[] = {
#define JOB_STATUS_NAME(id, name) name,
	JOB_STATUSES(JOB_STATUS_NAME)
#undef JOB_STATUS_NAME
};

const char *const job_source_names[] = {"local", "slurm", "sagemaker", "sagemaker-monitor", "bedrock", "drift", NULL};

const char *job_status_name(enum job_status s)
{
	return (unsigned)s < JOB_STATUS_COUNT ? status_names[s] : "unknown";
}

int job_status_parse(const char *name, enum job_status *out)
{
	for (int i = 0; i < JOB_STATUS_COUNT; i++)
		if (strcmp(status_names[i], name) == 0) {
			*out = (enum job_status)i;
			return 0;
		}
	return -1;
}

int job_status_final(enum job_status s)
{
	return s == JOB_COMPLETED || s == JOB_FAILED || s == JOB_STOPPED || s == JOB_TIMEOUT || s == JOB_LOST;
}

void job_clear(struct job *j)
{
	char **strings[] = {&j->source, &j->ext_id, &j->name, &j->raw_state, &j->reason, &j->command, &j->cwd,
			    &j->env_names, &j->rules, &j->dir, &j->log_path, &j->logdir, &j->info};
	for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
		free(*strings[i]);
	memset(j, 0, sizeof *j);
}

char *job_ref(const struct job *j)
{
	return xasprintf("%s:%s", j->source ? j->source : "?", j->ext_id ? j->ext_id : "?");
}

void job_list_free(struct job_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		job_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int job_shell_status(const struct job *j)
{
	if (j->status == JOB_COMPLETED)
		return 0;
	if (j->signal > 0)
		return 128 + j->signal;
	if (j->has_exit && j->exit_code != 0)
		return j->exit_code & 0xff ? j->exit_code & 0xff : 1;
	return 1;
}

int64_t job_elapsed_ms(const struct job *j, int64_t now_ms)
{
	if (!j->start_ms)
		return -1;
	return (j->end_ms ? j->end_ms : now_ms) - j->start_ms;
}

int job_parse_ref(const char *ref, char **source, char **id, struct err *e)
{
	*source = *id = NULL;
	const char *colon = strchr(ref, ':');
	if (colon) {
		size_t n = (size_t)(colon - ref);
		const char *match = NULL;
		int matches = 0;
		for (const char *const *s = job_source_names; *s; s++)
			if (n && strncmp(*s, ref, n) == 0) {
				if (strlen(*s) == n) {
					match = *s;
					matches = 1;
					break;
				}
				/* of "sagemaker" and "sagemaker-monitor", "sag" is the former */
				if (match && strncmp(*s, match, strlen(match)) == 0)
					continue;
				if (match && strncmp(match, *s, strlen(*s)) == 0)
					matches--;
				match = *s;
				matches++;
			}
		if (matches == 1) {
			if (!colon[1])
				return err_set(e, "job '%s' has no id after the ':'", ref);
			*source = xstrdup(match);
			*id = xstrdup(colon + 1);
			return 0;
		}
		if (matches > 1)
			return err_set(e, "'%.*s' could be several sources (local, slurm, sagemaker, sagemaker-monitor): write more "
				       "of it",
				       (int)n, ref);
		/* not a source prefix: the whole string is an id (SageMaker names have no ':', Slurm none either) */
	}
	if (!*ref)
		return err_set(e, "the job id is empty: give SOURCE:ID, e.g. local:7 (see 'aiwb jobs ls')");
	*id = xstrdup(ref);
	return 0;
}

const char *job_signal_name(int sig)
{
	switch (sig) {
	case SIGHUP: return "HUP";
	case SIGINT: return "INT";
	case SIGQUIT: return "QUIT";
	case SIGILL: return "ILL";
	case SIGTRAP: return "TRAP";
	case SIGABRT: return "ABRT";
	case SIGBUS: return "BUS";
	case SIGFPE: return "FPE";
	case SIGKILL: return "KILL";
	case SIGUSR1: return "USR1";
	case SIGSEGV: return "SEGV";
	case SIGUSR2: return "USR2";
	case SIGPIPE: return "PIPE";
	case SIGALRM: return "ALRM";
	case SIGTERM: return "TERM";
	case SIGXCPU: return "XCPU";
	case SIGXFSZ: return "XFSZ";
	default: return NULL;
	}
}

int64_t job_backoff_ms(int64_t interval_ms, int64_t max_ms, int failures)
{
	int64_t d = interval_ms;
	for (int i = 0; i < failures && d < max_ms; i++)
		d *= 2;
	return d < max_ms ? d : max_ms;
}

struct poll_entry {
	struct job_poller *p;
	struct job_source *src;
	int64_t timer;
	int failures;
	int busy;
};

struct job_poller {
	struct loop *loop;
	int64_t interval_ms, idle_ms, max_ms;
	void (*on_update)(void *ud, struct job_source *src);
	void *ud;
	struct poll_entry **v;
	size_t n;
};

static int64_t poll_fire(struct loop *l, int64_t id, void *ud);

static void poll_done(void *ud, int ok, const char *why)
{
	struct poll_entry *en = ud;
	struct job_poller *p = en->p;
	en->busy = 0;
	en->src->down = !ok;
	free(en->src->why);
	en->src->why = ok || !why ? NULL : xstrdup(why);
	en->failures = ok ? 0 : en->failures + 1;
	int64_t delay = en->src->active ? p->interval_ms : p->idle_ms; /* a source that is down is not asked more often */
	int64_t backoff = ok ? 0 : job_backoff_ms(p->interval_ms, p->max_ms, en->failures);
	if (backoff > delay)
		delay = backoff;
	en->timer = loop_add_timer(p->loop, delay, poll_fire, en);
	if (p->on_update)
		p->on_update(p->ud, en->src);
}

static int64_t poll_fire(struct loop *l, int64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct poll_entry *en = ud;
	en->timer = 0;
	en->busy = 1;
	en->src->ops->list(en->src, poll_done, en);
	return LOOP_TIMER_DONE;
}

struct job_poller *job_poller_new(struct loop *l, int64_t interval_ms, int64_t idle_ms, int64_t max_ms,
				  void (*on_update)(void *ud, struct job_source *src), void *ud)
{
	struct job_poller *p = xcalloc(1, sizeof *p);
	p->loop = l;
	p->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	p->idle_ms = idle_ms > 0 ? idle_ms : p->interval_ms;
	p->max_ms = max_ms >= p->interval_ms ? max_ms : p->interval_ms;
	p->on_update = on_update;
	p->ud = ud;
	return p;
}

void job_poller_add(struct job_poller *p, struct job_source *src)
{
	struct poll_entry *en = xcalloc(1, sizeof *en);
	en->p = p;
	en->src = src;
	en->timer = loop_add_timer(p->loop, 0, poll_fire, en);
	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	p->v[p->n++] = en;
}

void job_poller_kick(struct job_poller *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct poll_entry *en = p->v[i];
		if (en->busy || !en->timer)
			continue;
		loop_del_timer(p->loop, en->timer);
		en->timer = loop_add_timer(p->loop, 0, poll_fire, en);
	}
}

void job_poller_set_idle(struct job_poller *p, int64_t idle_ms)
{
	p->idle_ms = idle_ms > 0 ? idle_ms : p->interval_ms;
}

int job_poller_busy(const struct job_poller *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i]->busy)
			return 1;
	return 0;
}

void job_poller_free(struct job_poller *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i]->timer)
			loop_del_timer(p->loop, p->v[i]->timer);
		free(p->v[i]);
	}
	free(p->v);
	free(p);
}
