/* aiwb models: every provider, whether it is usable and reachable, and its
 * models with context window and price — all providers asked at once. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "cli/cli.h"
#include "session.h"
#include "llm/modelset.h"

static void on_all_done(void *ud)
{
	struct session *s = ud;
	loop_stop(s->loop);
}

struct models_cmd {
	struct session *s;
	struct modelset *ms;
};

static void on_interrupt(void *ud)
{
	struct models_cmd *mc = ud;
	modelset_cancel(mc->ms);
	loop_stop(mc->s->loop);
}

static void add_price(cJSON *o, const struct ms_model *m)
{
	if (m->has_price) {
		cJSON_AddNumberToObject(o, "input_per_mtok", m->input_per_mtok);
		cJSON_AddNumberToObject(o, "output_per_mtok", m->output_per_mtok);
		if (m->price_source)
			cJSON_AddStringToObject(o, "price_source", m->price_source);
		if (m->price_recorded)
			cJSON_AddStringToObject(o, "price_recorded", m->price_recorded);
	} else {
		cJSON_AddNullToObject(o, "input_per_mtok");
		cJSON_AddNullToObject(o, "output_per_mtok");
	}
}

static char *report_json(const struct modelset *ms)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "providers");
	for (size_t i = 0; i < ms->n; i++) {
		const struct ms_provider *mp = &ms->providers[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", mp->name);
		if (*mp->type)
			cJSON_AddStringToObject(o, "type", mp->type);
		cJSON_AddStringToObject(o, "status", ms_state_name(mp->state));
		if (mp->endpoint)
			cJSON_AddStringToObject(o, "endpoint", mp->endpoint);
		if (mp->key_source)
			cJSON_AddStringToObject(o, "credentials", mp->key_source);
		if (mp->message)
			cJSON_AddStringToObject(o, "error", mp->message);
		cJSON *models = cJSON_AddArrayToObject(o, "models");
		for (size_t j = 0; j < mp->nmodels; j++) {
			const struct ms_model *m = &mp->models[j];
			cJSON *mo = cJSON_CreateObject();
			cJSON_AddStringToObject(mo, "id", m->id);
			if (m->name)
				cJSON_AddStringToObject(mo, "name", m->name);
			if (m->context)
				cJSON_AddNumberToObject(mo, "context", (double)m->context);
			else
				cJSON_AddNullToObject(mo, "context");
			add_price(mo, m);
			cJSON_AddBoolToObject(mo, "embedding", m->embedding);
			cJSON_AddItemToArray(models, mo);
		}
		cJSON_AddItemToArray(arr, o);
	}
	char *s = cJSON_Print(root);
	cJSON_Delete(root);
	return s;
}

/* Text from servers is untrusted: sanitized before it reaches the terminal. */
static void put_safe(const char *s, int width)
{
	char *safe = sanitize_str(s, strlen(s), 0);
	int w = sanitize_width(safe, strlen(safe));
	fputs(safe, stdout);
	for (; w < width; w++)
		putchar(' ');
	free(safe);
}

static void print_text(const struct modelset *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		const struct ms_provider *mp = &ms->providers[i];
		put_safe(mp->name, 12);
		putchar(' ');
		switch (mp->state) {
		case MS_REACHABLE:
			printf("reachable, %zu model%s", mp->nmodels, mp->nmodels == 1 ? "" : "s");
			if (mp->endpoint) {
				fputs(" at ", stdout);
				put_safe(mp->endpoint, 0);
			}
			break;
		case MS_NO_CREDENTIALS: fputs("not usable: ", stdout); put_safe(mp->message, 0); break;
		case MS_CHECKING: fputs("no answer", stdout); break;
		case MS_UNREACHABLE:
		case MS_ERROR:
			printf("%s: ", ms_state_name(mp->state));
			put_safe(mp->message ? mp->message : "", 0);
			break;
		}
		putchar('\n');
		for (size_t j = 0; j < mp->nmodels; j++) {
			const struct ms_model *m = &mp->models[j];
			fputs("  ", stdout);
			put_safe(m->id, 46);
			if (m->context)
				printf(" %9lld ctx", (long long)m->context);
			else
				printf(" %13s", "");
			if (m->has_price)
				printf("  $%.2f / $%.2f per 1M tokens in/out", m->input_per_mtok, m->output_per_mtok);
			putchar('\n');
		}
	}
}

int cmd_models(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'p' }, { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	int json = 0, ch;
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		if (ch == 'p')
			only = optarg;
		else if (ch == 'j')
			json = 1;
		else if (ch == ':')
			return cli_usage_error("models", "%s needs a provider name", argv[optind - 1]);
		else
			return cli_usage_error("models", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage_error("models", "unexpected argument '%s'", argv[optind]);

	struct session s;
	struct err e = ERR_INIT;
	if (session_open(&s, 0, &e) != 0) {
		session_close(&s);
		return cli_fail("models", "%s", e.msg);
	}
	struct modelset ms;
	int rc = 0;
	if (modelset_start(&ms, s.loop, &s.cfg, &s.catalog, only, NULL, on_all_done, &s, &e) != 0) {
		rc = cli_usage_error("models", "%s", e.msg);
	} else {
		struct models_cmd mc = { &s, &ms };
		s.on_interrupt = on_interrupt;
		s.ud = &mc;
		if (ms.pending)
			loop_run(s.loop);
		if (json) {
			char *js = report_json(&ms);
			puts(js);
			free(js);
		} else {
			print_text(&ms);
		}
		if (s.interrupted)
			rc = session_interrupt_status(&s);
		else if (only && ms.providers[0].state != MS_REACHABLE)
			rc = 1;
	}
	modelset_free(&ms);
	session_close(&s);
	return rc;
}
