/* slurmrestd calls of the Slurm source, on the loop through net/http.h. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "jobs/slurm_run.h"

struct rest_call {
	slurm_rest_fn done;
	void *ud;
	char *where;   /* the configured rest_url, for messages */
	int tcp;       /* not a unix socket: slurmrestd's rest_auth/jwt decides */
	int had_token; /* SLURM_JWT was sent */
	int strict;    /* not a GET: an error in a 200 answer is a failure */
};

/* slurmrestd's {"errors": [{"description", "error_number", "error", "source"}]}: the first one. */
struct rest_error {
	char text[320];
	int number;
};

static int first_error(const struct http_result *r, struct rest_error *out)
{
	if (!r->body || !r->body->len)
		return 0;
	cJSON *root = cJSON_ParseWithLength(buf_str(r->body), r->body->len);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
	const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "description"));
	const char *err = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "error"));
	const char *src = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "source"));
	const cJSON *num = cJSON_GetObjectItemCaseSensitive(e, "error_number");
	const char *what = desc ? desc : err, *detail = desc ? err : NULL;
	if (what && src && detail)
		snprintf(out->text, sizeof out->text, "%.150s (%.60s: %.100s)", what, src, detail);
	else if (what && (src || detail))
		snprintf(out->text, sizeof out->text, "%.150s (%.100s)", what, src ? src : detail);
	else if (what)
		snprintf(out->text, sizeof out->text, "%.150s", what);
	out->number = cJSON_IsNumber(num) ? num->valueint : 0;
	int found = what != NULL;
	cJSON_Delete(root);
	return found;
}

/* One sentence for an answer that is not 200; auth failures say what to do with SLURM_JWT. */
static void status_message(const struct rest_call *rc, const struct http_result *r, char *why, size_t size)
{
	const char *body = r->body ? buf_str(r->body) : "";
	size_t n = strcspn(body, "\n");
	struct rest_error e = {"", 0};
	if ((r->status == 401 || r->status == 403) && rc->tcp && !rc->had_token)
		snprintf(why, size, "slurmrestd at %s answered HTTP %d: it needs a token and SLURM_JWT is not set; "
				    "set it with export $(scontrol token) on the cluster",
			 rc->where, r->status);
	else if ((r->status == 401 || r->status == 403) && rc->tcp)
		snprintf(why, size, "slurmrestd at %s answered HTTP %d: it refused the token in SLURM_JWT "
				    "(expired, or not valid on this cluster); get a new one with scontrol token",
			 rc->where, r->status);
	else if (first_error(r, &e) && r->status == 500 && e.number == -1 && rc->tcp && rc->had_token)
		/* Slurm 22.05: slurmctld refusing the token reaches slurmrestd as an unspecified error */
		snprintf(why, size, "slurmrestd at %s answered HTTP 500, %s, which is how Slurm answers a token it "
				    "refuses: the token in SLURM_JWT may have expired or be for another cluster or user; "
				    "get a new one with scontrol token",
			 rc->where, e.text);
	else if (e.text[0])
		snprintf(why, size, "slurmrestd answered HTTP %d: %s", r->status, e.text);
	else
		snprintf(why, size, "slurmrestd answered HTTP %d%s%.*s", r->status, n ? ": " : "",
			 (int)(n > 200 ? 200 : n), body);
}

/* The user a JWT was issued for, its "sun" claim (slurmctld checks the
 * signature, not us), for X-SLURM-USER-NAME: the cluster's user name need not
 * be this machine's. NULL when the token has none. Caller frees. */
static char *token_user(const char *jwt)
{
	const char *a = strchr(jwt, '.');
	const char *b = a ? strchr(a + 1, '.') : NULL;
	size_t n = a && b ? (size_t)(b - a - 1) : 0;
	if (n == 0 || n > 6000)
		return NULL;
	unsigned char out[6000 / 4 * 3 + 3];
	long len = base64_decode(a + 1, n, 1, out);
	if (len < 0)
		return NULL;
	cJSON *claims = cJSON_ParseWithLength((const char *)out, (size_t)len);
	const char *sun = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(claims, "sun"));
	char *user = sun && *sun ? xstrdup(sun) : NULL;
	cJSON_Delete(claims);
	return user;
}

static void on_done(struct loop *l, struct http_call *c, const struct http_result *r, void *ud)
{
	(void)l;
	(void)c;
	struct rest_call *rc = ud;
	char why[768];
	struct rest_error fail = {"", 0};
	const char *msg = r->message && *r->message ? r->message : http_error_name(r->error);
	if (r->error == HTTP_ERR_TLS)
		snprintf(why, sizeof why, "no trusted TLS connection to slurmrestd at %s: %s", rc->where, msg);
	else if (r->error != HTTP_OK)
		snprintf(why, sizeof why, "slurmrestd did not answer: %s", msg);
	else if (r->status != 200)
		status_message(rc, r, why, sizeof why);
	else if (rc->strict && first_error(r, &fail))
		snprintf(why, sizeof why, "slurmrestd: %s", fail.text);
	else {
		rc->done(rc->ud, buf_str(r->body), r->body->len, NULL);
		free(rc->where);
		free(rc);
		return;
	}
	char *clean = sanitize_str(why, strlen(why), 1); /* a server's words, printed as they are */
	for (char *p = clean; (p = strchr(p, '\n')) != NULL;)
		*p = ' ';
	rc->done(rc->ud, NULL, 0, clean);
	free(clean);
	free(rc->where);
	free(rc);
}

struct http_call *slurm_rest_call(struct slurm_source *s, const char *method, const char *path, slurm_rest_fn done,
				  void *ud)
{
	struct rest_call *rc = xcalloc(1, sizeof *rc);
	rc->done = done;
	rc->ud = ud;
	rc->strict = strcmp(method, "GET") != 0;
	rc->where = xstrdup(s->rest_url ? s->rest_url : s->rest_base);
	rc->tcp = s->rest_socket == NULL;
	char *url = xasprintf("%s%s", s->rest_base, path);
	struct http_headers h = HTTP_HEADERS_INIT;
	const char *jwt = s->rest_socket ? NULL : getenv("SLURM_JWT");
	if (jwt && strncmp(jwt, "SLURM_JWT=", 10) == 0) /* export SLURM_JWT=$(scontrol token) */
		jwt += 10;
	if (jwt && *jwt) { /* read now, never kept */
		rc->had_token = 1;
		char *user = token_user(jwt);
		http_headers_add(&h, "X-SLURM-USER-NAME", user ? user : s->user);
		http_headers_add(&h, "X-SLURM-USER-TOKEN", jwt);
		free(user);
	}
	http_headers_add(&h, "Accept", "application/json");
	struct http_request req = {
		.method = method,
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
