#include "net/awsauth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/path.h"
#include "base/sanitize.h"
#include "base/secret.h"
#include "base/xmalloc.h"
#include "net/ini.h"

extern char **environ;

#define PROCESS_TIMEOUT_MS 30000
#define PROCESS_OUTPUT_CAP (64u << 10)
#define REFRESH_MARGIN 300

struct service {
	const char *id;
	const char *alias;
	const char *env_suffix; /* serviceId upper-cased, spaces and hyphens as '_' */
	const char *host_prefix;
	const char *signing_name;
	bool bearer; /* accepts a Bedrock API key */
};

static const struct service services[] = {
	{ "bedrock-runtime", NULL, "BEDROCK_RUNTIME", "bedrock-runtime", "bedrock", true },
	{ "bedrock", NULL, "BEDROCK", "bedrock", "bedrock", true },
	{ "bedrock-agent-runtime", NULL, "BEDROCK_AGENT_RUNTIME", "bedrock-agent-runtime", "bedrock", false },
	{ "bedrock-agent", NULL, "BEDROCK_AGENT", "bedrock-agent", "bedrock", false },
	{ "sagemaker", NULL, "SAGEMAKER", "api.sagemaker", "sagemaker", false },
	{ "monitoring", "cloudwatch", "CLOUDWATCH", "monitoring", "monitoring", false },
	{ "logs", "cloudwatch-logs", "CLOUDWATCH_LOGS", "logs", "logs", false },
	{ "s3", NULL, "S3", "s3", "s3", false },
};

struct cached_process {
	char *key;
	struct awsauth_creds creds;
};

struct awsauth {
	char *profile_opt;
	char *region_opt;
	int timeout_ms;
	struct cached_process *cache;
	size_t ncache;
	char *profile_now;
};

/* One call's view of the profile and both files. */
struct profile {
	char *name;
	const char *name_source;
	bool named; /* passed in or from AWS_PROFILE, not the fallback "default" */
	char *cred_path, *conf_path;
	struct ini cred, conf;
	const char *cred_section; /* borrowed from cred/conf, NULL when absent */
	const char *conf_section;
};

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static const struct service *find_service(const char *id)
{
	for (size_t i = 0; id && i < sizeof services / sizeof *services; i++)
		if (strcmp(id, services[i].id) == 0 || (services[i].alias && strcmp(id, services[i].alias) == 0))
			return &services[i];
	return NULL;
}

const char *awsauth_signing_name(const char *service)
{
	const struct service *s = find_service(service);
	return s ? s->signing_name : NULL;
}

struct awsauth *awsauth_new(const struct awsauth_opts *opts)
{
	struct awsauth *a = xcalloc(1, sizeof *a);
	if (opts) {
		a->profile_opt = opts->profile && *opts->profile ? xstrdup(opts->profile) : NULL;
		a->region_opt = opts->region && *opts->region ? xstrdup(opts->region) : NULL;
		a->timeout_ms = opts->process_timeout_ms;
	}
	if (a->timeout_ms <= 0)
		a->timeout_ms = PROCESS_TIMEOUT_MS;
	return a;
}

void awsauth_free(struct awsauth *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->ncache; i++) {
		free(a->cache[i].key);
		awsauth_creds_free(&a->cache[i].creds);
	}
	free(a->cache);
	free(a->profile_opt);
	free(a->region_opt);
	free(a->profile_now);
	free(a);
}

static char *profile_name(const struct awsauth *a, const char **source, bool *named)
{
	*named = true;
	if (a->profile_opt) {
		*source = "aiwb config";
		return xstrdup(a->profile_opt);
	}
	if (env("AWS_PROFILE")) {
		*source = "env AWS_PROFILE";
		return xstrdup(env("AWS_PROFILE"));
	}
	*named = false;
	*source = "default";
	return xstrdup("default");
}

const char *awsauth_profile(struct awsauth *a, const char **source)
{
	const char *src;
	bool named;
	free(a->profile_now);
	a->profile_now = profile_name(a, &src, &named);
	if (source)
		*source = src;
	return a->profile_now;
}

static char *aws_file(const char *var, const char *rel)
{
	if (env(var))
		return xstrdup(env(var));
	const char *home = env("HOME");
	return path_join(home ? home : "/", rel);
}

/* "[profile NAME]" as botocore reads it (shlex-split: any blanks, optional quotes). */
static int section_names(const char *section, const char *prefix, const char *name)
{
	size_t plen = strlen(prefix);
	if (strncmp(section, prefix, plen) != 0 || (section[plen] != ' ' && section[plen] != '\t'))
		return 0;
	const char *rest = section + plen;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	size_t n = strlen(rest);
	if (n >= 2 && (rest[0] == '"' || rest[0] == '\'') && rest[n - 1] == rest[0])
		return n - 2 == strlen(name) && strncmp(rest + 1, name, n - 2) == 0;
	return strcmp(rest, name) == 0;
}

static const char *find_section(const struct ini *ini, const char *prefix, const char *name, bool plain_default)
{
	const char *found = NULL;
	for (size_t i = 0; i < ini->nsections; i++) {
		const char *s = ini->sections[i];
		if ((plain_default && strcmp(name, "default") == 0 && strcmp(s, "default") == 0) ||
		    section_names(s, prefix, name))
			found = s;
	}
	return found;
}

static void profile_free(struct profile *p)
{
	free(p->name);
	free(p->cred_path);
	free(p->conf_path);
	ini_free(&p->cred);
	ini_free(&p->conf);
	memset(p, 0, sizeof *p);
}

static int profile_load(const struct awsauth *a, struct profile *p, struct err *e)
{
	memset(p, 0, sizeof *p);
	p->name = profile_name(a, &p->name_source, &p->named);
	p->cred_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	p->conf_path = aws_file("AWS_CONFIG_FILE", ".aws/config");
	struct err why = ERR_INIT;
	if (ini_load(&p->cred, p->cred_path, NULL, &why) != 0 || ini_load(&p->conf, p->conf_path, NULL, &why) != 0) {
		err_set(e, "cannot read the AWS configuration: %s", err_msg(&why));
		profile_free(p);
		return -1;
	}
	if (ini_has_section(&p->cred, p->name))
		p->cred_section = p->name;
	p->conf_section = find_section(&p->conf, "profile", p->name, true);
	return 0;
}

static const char *cred_get(const struct profile *p, const char *key)
{
	return p->cred_section ? ini_get(&p->cred, p->cred_section, key) : NULL;
}

static const char *conf_get(const struct profile *p, const char *key)
{
	return p->conf_section ? ini_get(&p->conf, p->conf_section, key) : NULL;
}

/* botocore's merged profile: the credentials file wins over the config file. */
static const char *profile_get(const struct profile *p, const char *key, const char **path)
{
	const char *v = cred_get(p, key);
	if (v && *v) {
		if (path)
			*path = p->cred_path;
		return v;
	}
	v = conf_get(p, key);
	if (path)
		*path = p->conf_path;
	return v && *v ? v : NULL;
}

/* ---- credentials ---- */

void awsauth_creds_free(struct awsauth_creds *c)
{
	free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	wipe_free(c->bearer_token);
	free(c->source);
	memset(c, 0, sizeof *c);
}

struct sigv4_creds awsauth_sigv4_creds(const struct awsauth_creds *c)
{
	return (struct sigv4_creds){ c->access_key_id, c->secret_access_key, c->session_token };
}

static void creds_copy(struct awsauth_creds *dst, const struct awsauth_creds *src)
{
	*dst = (struct awsauth_creds){
		src->kind,
		dup_or_null(src->access_key_id),
		dup_or_null(src->secret_access_key),
		dup_or_null(src->session_token),
		dup_or_null(src->bearer_token),
		src->expiration,
		dup_or_null(src->source),
	};
}

static void set_keys(struct awsauth_creds *out, const char *akid, const char *secret, const char *token,
		     char *source)
{
	out->kind = AWSAUTH_SIGV4;
	out->access_key_id = xstrdup(akid);
	out->secret_access_key = xstrdup(secret);
	out->session_token = token && *token ? xstrdup(token) : NULL;
	out->source = source;
}

/* "2015-08-30T12:36:00Z", with optional fractional seconds and a ±HH:MM offset. */
static int parse_iso8601(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	const char *p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int hh, mm, m = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &m) != 2 || m != 5)
			return -1;
		offset = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - offset;
	return 0;
}

static int from_env(struct awsauth_creds *out, struct err *e)
{
	const char *akid = env("AWS_ACCESS_KEY_ID");
	if (!akid)
		return 0;
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	if (!secret)
		return err_set(e, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or unset "
				  "AWS_ACCESS_KEY_ID to use a profile");
	const char *token_var = env("AWS_SESSION_TOKEN") ? "AWS_SESSION_TOKEN"
				: env("AWS_SECURITY_TOKEN") ? "AWS_SECURITY_TOKEN"
							    : NULL;
	set_keys(out, akid, secret, token_var ? env(token_var) : NULL,
		 token_var ? xasprintf("env AWS_ACCESS_KEY_ID with %s", token_var) : xstrdup("env AWS_ACCESS_KEY_ID"));
	const char *exp = env("AWS_CREDENTIAL_EXPIRATION");
	if (exp && parse_iso8601(exp, &out->expiration) != 0)
		out->expiration = 0;
	return 1;
}

/* Keys in one file's section: 1 found, 0 absent, -1 half there. */
static int from_file(const struct ini *ini, const char *section, const char *path, const char *profile,
		     struct awsauth_creds *out, struct err *e)
{
	if (!section)
		return 0;
	const char *akid = ini_get(ini, section, "aws_access_key_id");
	const char *secret = ini_get(ini, section, "aws_secret_access_key");
	if (!akid || !*akid)
		return 0;
	if (!secret || !*secret)
		return err_set(e, "AWS profile %s in %s has aws_access_key_id but no aws_secret_access_key", profile,
			       path);
	const char *token = ini_get(ini, section, "aws_session_token");
	if (!token || !*token)
		token = ini_get(ini, section, "aws_security_token");
	set_keys(out, akid, secret, token, xasprintf("profile %s in %s", profile, path));
	return 1;
}

static int unsupported(const struct profile *p, const char *what, const char *key, struct err *e)
{
	const char *path;
	profile_get(p, key, &path);
	return err_set(e, "AWS profile %s in %s uses %s (%s), which aiwb does not support yet; run "
			  "eval \"$(aws configure export-credentials --profile %s --format env)\" first, or use a "
			  "profile with credential_process = aws configure export-credentials --profile %s --format process",
		       p->name, path, what, key, p->name, p->name);
}

static int check_unsupported(const struct profile *p, bool env_allowed, struct err *e)
{
	if (profile_get(p, "role_arn", NULL)) {
		if (profile_get(p, "web_identity_token_file", NULL))
			return unsupported(p, "web identity", "web_identity_token_file", e);
		return unsupported(p, "an assumed role", "role_arn", e);
	}
	if (env_allowed && env("AWS_WEB_IDENTITY_TOKEN_FILE") && env("AWS_ROLE_ARN"))
		return err_set(e, "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN ask for web identity credentials, which "
				  "aiwb does not support yet; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead");
	static const char *const sso_keys[] = { "sso_session", "sso_start_url", "sso_account_id", "sso_role_name" };
	for (size_t i = 0; i < sizeof sso_keys / sizeof *sso_keys; i++)
		if (profile_get(p, sso_keys[i], NULL))
			return unsupported(p, "AWS IAM Identity Center (SSO)", sso_keys[i], e);
	if (profile_get(p, "login_session", NULL))
		return unsupported(p, "a console login session", "login_session", e);
	return 0;
}

/* POSIX-shell word splitting as Python's shlex.split: blanks separate words,
 * '...' is literal, "..." keeps everything but \" and \\, a backslash outside
 * quotes escapes the next character. No expansions, no comments. */
static int shell_split(const char *s, char ***argv_out, size_t *argc_out)
{
	char **argv = NULL;
	size_t argc = 0;
	struct buf word = BUF_INIT;
	bool in_word = false;
	int rc = 0;
	for (const char *p = s;; p++) {
		char c = *p;
		if (c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			if (in_word) {
				argv = xreallocarray(argv, argc + 2, sizeof *argv);
				argv[argc++] = buf_detach(&word);
				in_word = false;
			}
			if (!c)
				break;
			continue;
		}
		in_word = true;
		if (c == '\'') {
			const char *close = strchr(p + 1, '\'');
			if (!close) {
				rc = -1;
				break;
			}
			buf_append(&word, p + 1, (size_t)(close - p - 1));
			p = close;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				buf_putc(&word, *p);
			}
			if (!*p) {
				rc = -1;
				break;
			}
		} else if (c == '\\') {
			if (!p[1]) {
				rc = -1;
				break;
			}
			buf_putc(&word, *++p);
		} else {
			buf_putc(&word, c);
		}
	}
	buf_free(&word);
	if (rc != 0 || argc == 0) {
		for (size_t i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
		return -1;
	}
	argv[argc] = NULL;
	*argv_out = argv;
	*argc_out = argc;
	return 0;
}

static void free_argv(char **argv, size_t argc)
{
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* First non-blank line of stderr, sanitised for a terminal, at most ~200 bytes. */
static char *stderr_excerpt(const struct buf *err_out)
{
	const char *s = buf_str(err_out);
	s += strspn(s, " \t\r\n");
	size_t n = strcspn(s, "\r\n");
	char *line = sanitize_str(s, n < 400 ? n : 400, 0);
	for (char *p = line; *p; p++)
		if (*p == '\t')
			*p = ' ';
	size_t len = strlen(line);
	if (len > 200) {
		len = 200;
		while (len && ((unsigned char)line[len] & 0xC0) == 0x80)
			len--;
		line[len] = '\0';
	}
	return line;
}

struct process_result {
	struct buf out, err;
	int status;
	bool status_known;
	bool timed_out;
	bool too_big;
	int spawn_errno;
};

static void run_process(char *const *argv, int timeout_ms, struct process_result *r)
{
	memset(r, 0, sizeof *r);
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
		r->spawn_errno = errno;
		for (int i = 0; i < 2; i++) {
			if (out_pipe[i] >= 0)
				close(out_pipe[i]);
			if (err_pipe[i] >= 0)
				close(err_pipe[i]);
		}
		return;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	posix_spawnattr_init(&attr);
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (rc != 0) {
		r->spawn_errno = rc;
		close(out_pipe[0]);
		close(err_pipe[0]);
		return;
	}

	struct pollfd fds[2] = { { out_pipe[0], POLLIN, 0 }, { err_pipe[0], POLLIN, 0 } };
	struct buf *sinks[2] = { &r->out, &r->err };
	const size_t caps[2] = { PROCESS_OUTPUT_CAP, 4096 };
	int64_t deadline = clock_ms() + timeout_ms;
	int open_fds = 2;
	while (open_fds > 0 && !r->too_big) {
		int64_t left = deadline - clock_ms();
		if (left <= 0) {
			r->timed_out = true;
			break;
		}
		int n = poll(fds, 2, (int)left);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2 && n > 0; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			char chunk[4096];
			ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			} else if (sinks[i]->len + (size_t)got <= caps[i]) {
				buf_append(sinks[i], chunk, (size_t)got);
			} else if (i == 0) {
				r->too_big = true; /* stderr past its cap is drained and dropped */
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	/* Closing its output does not mean it exited: wait up to the deadline. */
	bool must_kill = r->timed_out || r->too_big;
	for (;;) {
		if (must_kill) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
		int status;
		pid_t w = waitpid(pid, &status, must_kill ? 0 : WNOHANG);
		if (w == pid) {
			r->status = status;
			r->status_known = true;
			break;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break; /* reaped elsewhere (SIGCHLD ignored): the output decides */
		if (clock_ms() >= deadline) {
			r->timed_out = must_kill = true;
			continue;
		}
		struct timespec nap = { 0, 5 * 1000 * 1000 };
		nanosleep(&nap, NULL);
	}
}

static void process_result_free(struct process_result *r)
{
	if (r->out.data)
		explicit_bzero(r->out.data, r->out.len);
	buf_free(&r->out);
	buf_free(&r->err);
}

static void wipe_json_strings(cJSON *node)
{
	for (cJSON *c = node ? node->child : NULL; c; c = c->next) {
		if (cJSON_IsString(c) && c->valuestring)
			explicit_bzero(c->valuestring, strlen(c->valuestring));
		wipe_json_strings(c);
	}
}

static const char *json_string(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring && *v->valuestring ? v->valuestring : NULL;
}

static int parse_process_output(const struct buf *out, const char *what, struct awsauth_creds *creds,
				struct err *e)
{
	cJSON *root = cJSON_ParseWithLength(buf_str(out), out->len);
	int rc = -1;
	if (!cJSON_IsObject(root)) {
		err_set(e, "%s did not print a JSON object", what);
		goto done;
	}
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "Version");
	if (!cJSON_IsNumber(version)) {
		err_set(e, "%s printed JSON without \"Version\": 1", what);
		goto done;
	}
	if (version->valuedouble != 1) {
		err_set(e, "%s printed Version %g; only Version 1 is supported", what, version->valuedouble);
		goto done;
	}
	const char *akid = json_string(root, "AccessKeyId");
	const char *secret = json_string(root, "SecretAccessKey");
	if (!akid || !secret) {
		err_set(e, "%s printed JSON without %s", what, akid ? "SecretAccessKey" : "AccessKeyId");
		goto done;
	}
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "Expiration");
	time_t expiration = 0;
	if (exp && !cJSON_IsNull(exp) &&
	    (!cJSON_IsString(exp) || parse_iso8601(exp->valuestring, &expiration) != 0)) {
		err_set(e, "%s printed an Expiration that is not an ISO 8601 time", what);
		goto done;
	}
	if (expiration && expiration <= time(NULL)) {
		err_set(e, "%s returned credentials that have already expired", what);
		goto done;
	}
	set_keys(creds, akid, secret, json_string(root, "SessionToken"), NULL);
	creds->expiration = expiration;
	rc = 0;
done:
	wipe_json_strings(root);
	cJSON_Delete(root);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool cache_fresh(const struct awsauth_creds *c)
{
	return !c->expiration || time(NULL) < c->expiration - REFRESH_MARGIN;
}

static int from_process(struct awsauth *a, const struct profile *p, const char *command, const char *path,
			struct awsauth_creds *out, struct err *e)
{
	char *key = xasprintf("%s\n%s\n%s", p->name, path, command);
	for (size_t i = 0; i < a->ncache; i++) {
		if (strcmp(a->cache[i].key, key) != 0)
			continue;
		if (cache_fresh(&a->cache[i].creds)) {
			creds_copy(out, &a->cache[i].creds);
			free(key);
			return 1;
		}
		free(a->cache[i].key);
		awsauth_creds_free(&a->cache[i].creds);
		a->cache[i] = a->cache[--a->ncache];
		break;
	}

	char **argv;
	size_t argc;
	if (shell_split(command, &argv, &argc) != 0) {
		free(key);
		return err_set(e, "credential_process of AWS profile %s in %s is empty or has an unclosed quote or "
				  "trailing backslash",
			       p->name, path);
	}
	char *what = xasprintf("credential_process of AWS profile %s in %s (%s)", p->name, path, base_name(argv[0]));
	struct process_result r;
	run_process(argv, a->timeout_ms, &r);
	int rc = -1;
	char *excerpt = stderr_excerpt(&r.err);
	if (r.spawn_errno) {
		err_set(e, "%s could not be started: %s", what, strerror(r.spawn_errno));
	} else if (r.timed_out) {
		err_set(e, "%s did not finish within %d s and was stopped", what, (a->timeout_ms + 999) / 1000);
	} else if (r.too_big) {
		err_set(e, "%s printed more than %u KiB and was stopped", what, PROCESS_OUTPUT_CAP >> 10);
	} else if (r.status_known && WIFSIGNALED(r.status)) {
		err_set(e, "%s was killed by signal %d", what, WTERMSIG(r.status));
	} else if (r.status_known && WEXITSTATUS(r.status) != 0) {
		err_set(e, "%s exited with status %d%s%s", what, WEXITSTATUS(r.status), *excerpt ? ": " : "", excerpt);
	} else if (parse_process_output(&r.out, what, out, e) == 0) {
		out->source = xasprintf("%s", what);
		a->cache = xreallocarray(a->cache, a->ncache + 1, sizeof *a->cache);
		a->cache[a->ncache].key = key;
		creds_copy(&a->cache[a->ncache].creds, out);
		a->ncache++;
		key = NULL;
		rc = 1;
	}
	process_result_free(&r);
	free(excerpt);
	free_argv(argv, argc);
	free(what);
	free(key);
	return rc;
}

static int resolve(struct awsauth *a, const char *service, struct awsauth_creds *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	const struct service *svc = NULL;
	if (service && !(svc = find_service(service)))
		return err_set(e, "unknown AWS service \"%.64s\"", service);
	if (svc && svc->bearer && env("AWS_BEARER_TOKEN_BEDROCK")) {
		out->kind = AWSAUTH_BEARER;
		out->bearer_token = xstrdup(env("AWS_BEARER_TOKEN_BEDROCK"));
		out->source = xstrdup("env AWS_BEARER_TOKEN_BEDROCK (Bedrock API key)");
		return 0;
	}
	bool env_allowed = !a->profile_opt;
	if (env_allowed) {
		int rc = from_env(out, e);
		if (rc)
			return rc > 0 ? 0 : -1;
	}

	struct profile p;
	if (profile_load(a, &p, e) != 0)
		return -1;
	int rc = 0;
	if (p.named && !p.cred_section && !p.conf_section) {
		rc = err_set(e, "AWS profile %s (from %s) is not in %s or %s", p.name, p.name_source, p.cred_path,
			     p.conf_path);
		goto done;
	}
	if ((rc = check_unsupported(&p, env_allowed, e)) != 0)
		goto done;
	if ((rc = from_file(&p.cred, p.cred_section, p.cred_path, p.name, out, e)) != 0)
		goto done;
	const char *proc_path;
	const char *command = profile_get(&p, "credential_process", &proc_path);
	if (command && (rc = from_process(a, &p, command, proc_path, out, e)) != 0)
		goto done;
	if ((rc = from_file(&p.conf, p.conf_section, p.conf_path, p.name, out, e)) != 0)
		goto done;
	const char *hint = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env("AWS_CONTAINER_CREDENTIALS_FULL_URI")
				   ? " (container credentials are not supported yet)"
				   : "";
	rc = err_set(e, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile %s "
			"keys or a credential_process in %s or %s%s",
		     p.name, p.cred_path, p.conf_path, hint);
done:
	profile_free(&p);
	if (rc < 0)
		awsauth_creds_free(out);
	return rc < 0 ? -1 : 0;
}

int awsauth_credentials(struct awsauth *a, const char *service, struct awsauth_creds *out, struct err *e)
{
	if (resolve(a, service, out, e) != 0)
		return -1;
	secret_add(out->access_key_id);
	secret_add(out->secret_access_key);
	secret_add(out->session_token);
	secret_add(out->bearer_token);
	return 0;
}

/* ---- region ---- */

static bool region_ok(const char *r)
{
	size_t n = strlen(r);
	if (n == 0 || n > 63 || r[0] == '-' || r[n - 1] == '-')
		return false;
	for (const char *p = r; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	return true;
}

int awsauth_region(struct awsauth *a, struct awsauth_region *out, struct err *e)
{
	memset(out, 0, sizeof *out);
	const char *value = NULL;
	char *source = NULL;
	struct profile p = { 0 };
	bool loaded = false;
	if (a->region_opt) {
		value = a->region_opt;
		source = xstrdup("aiwb config");
	} else if (env("AWS_REGION")) {
		value = env("AWS_REGION");
		source = xstrdup("env AWS_REGION");
	} else if (env("AWS_DEFAULT_REGION")) {
		value = env("AWS_DEFAULT_REGION");
		source = xstrdup("env AWS_DEFAULT_REGION");
	} else {
		if (profile_load(a, &p, e) != 0)
			return -1;
		loaded = true;
		const char *path;
		value = profile_get(&p, "region", &path);
		if (value) {
			source = xasprintf("profile %s in %s", p.name, path);
		} else {
			bool default_file = !env("AWS_CONFIG_FILE");
			err_set(e, "no AWS region: set AWS_REGION or region in %s%s%s", default_file ? "~/.aws/config" : p.conf_path,
				p.named ? " for profile " : "", p.named ? p.name : "");
			profile_free(&p);
			return -1;
		}
	}
	int rc = 0;
	if (!region_ok(value)) {
		rc = err_set(e, "AWS region \"%.64s\" from %s is not a region name like us-east-1", value, source);
		free(source);
	} else {
		out->name = xstrdup(value);
		out->source = source;
	}
	if (loaded)
		profile_free(&p);
	return rc;
}

void awsauth_region_free(struct awsauth_region *r)
{
	free(r->name);
	free(r->source);
	memset(r, 0, sizeof *r);
}

/* ---- endpoints ---- */

void awsauth_endpoint_free(struct awsauth_endpoint *ep)
{
	free(ep->url);
	free(ep->scheme);
	free(ep->host);
	free(ep->base_path);
	free(ep->region);
	free(ep->source);
	memset(ep, 0, sizeof *ep);
}

static char *lower(char *s)
{
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

static int parse_endpoint_url(const char *url, const char *source, struct awsauth_endpoint *ep, struct err *e)
{
	const char *sep = strstr(url, "://");
	size_t slen = sep ? (size_t)(sep - url) : 0;
	if (!sep || !((slen == 5 && strncasecmp(url, "https", 5) == 0) || (slen == 4 && strncasecmp(url, "http", 4) == 0)))
		return err_set(e, "the endpoint URL from %s is not an http:// or https:// URL", source);
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	if (memchr(auth, '@', alen))
		return err_set(e, "the endpoint URL from %s must not contain a user name or password", source);
	const char *port = NULL;
	size_t hlen = alen;
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', alen);
		if (!close)
			return err_set(e, "the endpoint URL from %s has an unclosed IPv6 address", source);
		hlen = (size_t)(close - auth) + 1;
		if (hlen < alen) {
			if (auth[hlen] != ':')
				return err_set(e, "the endpoint URL from %s has a malformed host", source);
			port = auth + hlen + 1;
		}
	} else {
		const char *colon = memchr(auth, ':', alen);
		if (colon) {
			hlen = (size_t)(colon - auth);
			port = colon + 1;
		}
	}
	for (size_t i = 0; i < hlen; i++) {
		char c = auth[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || (auth[0] == '[' && (c == '[' || c == ']' || c == ':' || c == '%'))))
			return err_set(e, "the endpoint URL from %s has a malformed host", source);
	}
	if (hlen == 0)
		return err_set(e, "the endpoint URL from %s has no host", source);
	int port_no = 0;
	if (port) {
		size_t plen = (size_t)(auth + alen - port);
		if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
			return err_set(e, "the endpoint URL from %s has a malformed port", source);
		port_no = atoi(port);
		if (port_no < 1 || port_no > 65535)
			return err_set(e, "the endpoint URL from %s has a port out of range", source);
	}
	const char *path = auth + alen;
	size_t path_len = strcspn(path, "?#");
	if (path[path_len])
		return err_set(e, "the endpoint URL from %s must not have a query or fragment", source);
	while (path_len && path[path_len - 1] == '/')
		path_len--;
	for (size_t i = 0; i < path_len; i++)
		if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7f)
			return err_set(e, "the endpoint URL from %s has spaces or non-ASCII bytes in its path", source);
	ep->scheme = lower(xstrndup(url, slen));
	ep->host = lower(xstrndup(auth, hlen));
	ep->port = port_no;
	ep->base_path = xstrndup(path, path_len);
	ep->url = xasprintf("%s://%s%s%.*s%s", ep->scheme, ep->host, port ? ":" : "", port ? (int)(auth + alen - port) : 0,
			    port ? port : "", ep->base_path);
	return 0;
}

static bool is_true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

int awsauth_endpoint(struct awsauth *a, const char *service, const char *region, struct awsauth_endpoint *out,
		     struct err *e)
{
	memset(out, 0, sizeof *out);
	const struct service *svc = find_service(service);
	if (!svc)
		return err_set(e, "unknown AWS service \"%.64s\"", service ? service : "");
	if (region) {
		if (!region_ok(region))
			return err_set(e, "AWS region \"%.64s\" is not a region name like us-east-1", region);
		out->region = xstrdup(region);
	} else {
		struct awsauth_region r;
		if (awsauth_region(a, &r, e) != 0)
			return -1;
		out->region = r.name;
		free(r.source);
	}
	out->signing_name = svc->signing_name;

	struct profile p;
	if (profile_load(a, &p, e) != 0) {
		awsauth_endpoint_free(out);
		return -1;
	}
	const char *url = NULL;
	char *source = NULL;
	const char *ignore_env = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	bool ignore = ignore_env ? is_true(ignore_env) : is_true(profile_get(&p, "ignore_configured_endpoint_urls", NULL));
	if (!ignore) {
		char *var = xasprintf("AWS_ENDPOINT_URL_%s", svc->env_suffix);
		const char *services_name, *path;
		if ((url = env(var))) {
			source = xasprintf("env %s", var);
		} else if ((url = env("AWS_ENDPOINT_URL"))) {
			source = xstrdup("env AWS_ENDPOINT_URL");
		} else if ((services_name = profile_get(&p, "services", NULL))) {
			const char *section = find_section(&p.conf, "services", services_name, false);
			char *key = lower(xasprintf("%s.endpoint_url", svc->env_suffix));
			url = section ? ini_get(&p.conf, section, key) : NULL;
			if (url && *url)
				source = xasprintf("services %s in %s (profile %s)", services_name, p.conf_path, p.name);
			else
				url = NULL;
			free(key);
		}
		if (!url && (url = profile_get(&p, "endpoint_url", &path)))
			source = xasprintf("profile %s in %s", p.name, path);
		free(var);
	}
	int rc = 0;
	if (url) {
		out->overridden = true;
		rc = parse_endpoint_url(url, source, out, e);
		out->source = source;
	} else {
		const char *suffix = strncmp(out->region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
		out->url = xasprintf("https://%s.%s.%s", svc->host_prefix, out->region, suffix);
		out->scheme = xstrdup("https");
		out->host = lower(xasprintf("%s.%s.%s", svc->host_prefix, out->region, suffix));
		out->base_path = xstrdup("");
		out->source = xstrdup("default");
	}
	profile_free(&p);
	if (rc != 0)
		awsauth_endpoint_free(out);
	return rc;
}
