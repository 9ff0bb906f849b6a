/* slurmrestd calls of the Slurm source: GET on the loop through net/http.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "jobs/slurm_run.h"

struct rest_call {
	slurm_rest_fn done;
	void *ud;
};

static void on_done(struct loop *l, struct http_call *c, const struct http_result *r, void *ud)
{
	(void)l;
	(void)c;
	struct rest_call *rc = ud;
	char why[512];
	if (r->error != HTTP_OK)
		snprintf(why, sizeof why, "slurmrestd did not answer: %s", r->message && *r->message ? r->message
											     : http_error_name(r->error));
	else if (r->status != 200) {
		const char *body = r->body ? buf_str(r->body) : "";
		size_t n = strcspn(body, "\n");
		snprintf(why, sizeof why, "slurmrestd answered HTTP %d%s%.*s", r->status, n ? ": " : "",
			 (int)(n > 200 ? 200 : n), body);
	} else {
		rc->done(rc->ud, buf_str(r->body), r->body->len, NULL);
		free(rc);
		return;
	}
	rc->done(rc->ud, NULL, 0, why);
	free(rc);
}

struct http_call *slurm_rest_get(struct slurm_source *s, const char *path, slurm_rest_fn done, void *ud)
{
	struct rest_call *rc = xcalloc(1, sizeof *rc);
	rc->done = done;
	rc->ud = ud;
	char *url = xasprintf("%s%s", s->rest_base, path);
	struct http_headers h = HTTP_HEADERS_INIT;
	const char *jwt = s->rest_socket ? NULL : getenv("SLURM_JWT");
	if (jwt && *jwt) { /* read now, never kept */
		http_headers_add(&h, "X-SLURM-USER-NAME", s->user);
		http_headers_add(&h, "X-SLURM-USER-TOKEN", jwt);
	}
	http_headers_add(&h, "Accept", "application/json");
	struct http_request req = {
		.method = "GET",
		.url = url,
		.headers = &h,
		.unix_socket = s->rest_socket,
		.idle_timeout_ms = s->base.timeout_ms > 0 ? s->base.timeout_ms : 20000,
		.on_done = on_done,
		.ud = rc,
	};
	struct http_call *c = http_start(s->base.loop, &req);
	http_headers_free(&h);
	free(url);
	return c;
}
