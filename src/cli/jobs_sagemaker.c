#include "cli/jobs_sagemaker.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/out.h"
#include "jobs/sagemaker.h"
#include "loop.h"

#define CMD "jobs"

struct wait {
	struct loop *loop;
	int done, ok;
	char why[2048];
};

static void on_done(void *ud, int ok, const char *why)
{
	struct wait *w = ud;
	w->done = 1;
	w->ok = ok;
	snprintf(w->why, sizeof w->why, "%s", why ? why : "");
	loop_stop(w->loop);
}

static int wait_for(struct job_desk *d, struct wait *w)
{
	while (!w->done && !(d->stop && *d->stop))
		loop_run(d->loop);
	return w->done ? 0 : 130;
}

/* The request as shown: the job's environment values are not. */
static char *shown(const char *request)
{
	cJSON *o = cJSON_Parse(request);
	cJSON *env = cJSON_GetObjectItemCaseSensitive(o, "Environment");
	cJSON *v;
	cJSON_ArrayForEach(v, env)
		if (cJSON_IsString(v))
			cJSON_SetValuestring(v, "(value not shown)");
	char *s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

static int confirmed(void)
{
	if (!isatty(STDIN_FILENO))
		return -1;
	fprintf(stderr, "Create this training job? [y/N] ");
	fflush(stderr);
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

int jobs_resubmit_sagemaker(struct job_desk *d, const struct job *j, int yes)
{
	if (!d->sagemaker)
		return cli_fail(CMD, "the SageMaker source is off; set AWS_ENDPOINT_URL_SAGEMAKER or AIWB_SAGEMAKER=on");
	char *request = NULL, *name = NULL;
	struct wait w = { .loop = d->loop };
	sagemaker_copy_prepare(d->sagemaker, j, &request, &name, on_done, &w);
	if (wait_for(d, &w))
		return 130;
	if (!w.ok)
		return cli_fail(CMD, "%s", w.why);
	char *show = shown(request);
	char *safe = cli_safe(show);
	printf("CreateTrainingJob %s (a copy of sagemaker:%s):\n%s\n", name, j->ext_id, safe);
	fflush(stdout);
	free(safe);
	free(show);
	int rc = 0;
	int ask = yes ? 1 : confirmed();
	if (ask < 0)
		rc = cli_fail(CMD, "not sent: confirm on a terminal, or pass --yes to send it without asking");
	else if (!ask)
		rc = cli_fail(CMD, "not sent");
	if (rc == 0) {
		struct wait s = { .loop = d->loop };
		sagemaker_copy_send(d->sagemaker, request, on_done, &s);
		if (wait_for(d, &s))
			rc = 130;
		else if (!s.ok)
			rc = cli_fail(CMD, "%s", s.why);
		else
			printf("sagemaker:%s\n", name);
	}
	free(request);
	free(name);
	return rc;
}
