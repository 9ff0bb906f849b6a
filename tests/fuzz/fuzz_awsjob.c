/* libFuzzer target for jobs/awsjob's readers of SageMaker, CloudWatch,
 * CloudWatch Logs and Bedrock customization answers: any bytes go through
 * every parser; each either calls back with the strings it promises (a name
 * and a status for a summary, a metric name from the list asked for, a finite
 * time), sets a page token that is NULL or not empty, and fills a detail whose
 * info is a JSON object, or fails with one sentence and nothing set. The copy
 * request is NULL or a JSON object naming the new job. Never a crash or a leak. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/xmalloc.h"
#include "jobs/awsjob.h"

#include "fuzzutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_summary(void *ud, const struct awsjob_summary *s)
{
	(void)ud;
	require(s->name && s->status && isfinite(s->created_s) && s->created_s >= 0);
	require(!s->has_objective || s->objective_name);
}

static char name_loss[] = "train:loss", name_acc[] = "validation:accuracy";
static char *const names[] = { name_loss, name_acc };

static void on_point(void *ud, const struct awsjob_point *p)
{
	(void)ud;
	require(p->name && isfinite(p->time_s) && p->time_s >= 0);
}

static void on_named_point(void *ud, const struct awsjob_point *p)
{
	(void)ud;
	require(p->name == names[0] || p->name == names[1]);
	require(p->time_s > 0);
}

static void on_stream(void *ud, const char *s)
{
	(void)ud;
	require(s && *s);
	char *h = awsjob_stream_host(s);
	require(h != NULL);
	free(h);
}

static void on_event(void *ud, int64_t t, const char *m)
{
	(void)ud;
	require(m && t >= 0);
}

static void check_detail(int rc, struct awsjob_detail *d, struct err *e)
{
	if (rc == 0) {
		require(d->name && d->status && d->info);
		cJSON *o = cJSON_Parse(d->info);
		require(cJSON_IsObject(o));
		cJSON_Delete(o);
		for (size_t i = 0; i < d->n_metrics; i++)
			require(d->metrics[i] && *d->metrics[i]);
		require(!d->has_best || (d->best && d->best_metric));
		awsjob_detail_free(d);
	} else {
		require(rc == -1 && e->set && !d->name && !d->info);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct err e = ERR_INIT;
	char *next = NULL;
	for (int k = AWSJOB_TRAINING_JOBS; k <= AWSJOB_CUSTOMIZATION_JOBS; k++) {
		e = (struct err)ERR_INIT;
		int rc = awsjob_parse_list((enum awsjob_list)k, body, size, on_summary, NULL, &next, &e);
		require(rc == 0 || (e.set && !next));
		require(!next || *next);
		free(next);
		next = NULL;
	}
	struct awsjob_detail d;
	e = (struct err)ERR_INIT;
	check_detail(awsjob_parse_training(body, size, &d, on_point, NULL, &e), &d, &e);
	e = (struct err)ERR_INIT;
	check_detail(awsjob_parse_tuning(body, size, &d, &e), &d, &e);
	e = (struct err)ERR_INIT;
	check_detail(awsjob_parse_customization(body, size, &d, on_point, NULL, &e), &d, &e);
	e = (struct err)ERR_INIT;
	if (awsjob_parse_metric_data(body, size, names, 2, on_named_point, NULL, &next, &e) == 0)
		require(!next || *next);
	free(next);
	next = NULL;
	e = (struct err)ERR_INIT;
	if (awsjob_parse_streams(body, size, on_stream, NULL, &next, &e) == 0)
		require(!next || *next);
	free(next);
	next = NULL;
	e = (struct err)ERR_INIT;
	if (awsjob_parse_events(body, size, on_event, NULL, &next, &e) == 0)
		require(next != NULL);
	else
		require(next == NULL);
	free(next);
	e = (struct err)ERR_INIT;
	char *copy = awsjob_copy_request(body, size, "copy-1", &e);
	if (copy) {
		cJSON *o = cJSON_Parse(copy);
		require(cJSON_IsObject(o) && cJSON_GetObjectItemCaseSensitive(o, "TrainingJobName") &&
			!cJSON_GetObjectItemCaseSensitive(o, "TrainingJobArn"));
		cJSON_Delete(o);
		free(copy);
	} else {
		require(e.set);
	}
	char *s = xstrndup(body, size);
	double t = awsjob_time(s, 0, 0);
	require(isfinite(t) && t >= 0);
	awsjob_name_valid(s);
	awsjob_training_status(s, s);
	awsjob_tuning_status(s);
	awsjob_customization_status(s);
	free(s);
	return 0;
}
