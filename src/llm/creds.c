#include "llm/creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/path.h"
#include "base/xmalloc.h"
#include "net/awsauth.h"

static int env_set(const char *name)
{
	const char *v = name ? getenv(name) : NULL;
	return v && *v;
}

char *creds_key_file(const char *name)
{
	char *dir = path_join(path_data_home(), "keys");
	char *p = path_join(dir, name);
	free(dir);
	return p;
}

int creds_key_check(const char *key, size_t len, struct err *e)
{
	if (!len)
		return err_set(e, "no key given on standard input; nothing was stored");
	if (len > CREDS_KEY_MAX)
		return err_set(e, "the key is %zu bytes, longer than the limit of %d bytes; nothing was stored", len,
			       CREDS_KEY_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			return err_set(e, "the key holds a control character (byte 0x%02x at %zu): an API key is "
				       "printable text; nothing was stored", (unsigned char)key[i], i + 1);
	return 0;
}

static int private_keys_dir(const char *dir, char **note, struct err *e)
{
	struct stat st;
	if (lstat(dir, &st) != 0)
		return err_errno(e, "cannot read %s", dir);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, "%s is not a directory (aiwb does not follow a symbolic link there); move it away",
			       dir);
	if (st.st_uid != geteuid())
		return err_set(e, "%s belongs to another user; move it away or set AIWB_HOME", dir);
	if (st.st_mode & 077) {
		if (chmod(dir, 0700) != 0)
			return err_errno(e, "%s is open to others (mode %04o) and cannot be made 0700", dir,
					 (unsigned)(st.st_mode & 07777));
		*note = xasprintf("%s was open to others (mode %04o); it is now 0700", dir, (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

int creds_store_key(const char *name, const char *key, size_t len, char **file, char **note, struct err *e)
{
	*file = creds_key_file(name);
	*note = NULL;
	if (creds_key_check(key, len, e) != 0)
		return -1;
	char *dir = path_join(path_data_home(), "keys");
	int rc = path_ensure_data_home(NULL, e) == 0 && path_mkdirs(dir, 0700, e) == 0 &&
			 private_keys_dir(dir, note, e) == 0 ? 0 : -1;
	free(dir);
	if (rc != 0)
		return -1;
	char *line = xmalloc(len + 1);
	memcpy(line, key, len);
	line[len] = '\n';
	rc = path_write_file(*file, line, len + 1, e);
	explicit_bzero(line, len + 1);
	free(line);
	return rc;
}

int creds_key_file_check(const char *name, const char *file, const struct stat *st, struct err *e)
{
	if (S_ISLNK(st->st_mode))
		return err_set(e, "%s: the key file %s is a symbolic link, which aiwb does not follow; "
			       "store the key itself with: aiwb keys set %s", name, file, name);
	if (!S_ISREG(st->st_mode))
		return err_set(e, "%s: the key file %s is not a regular file", name, file);
	if (st->st_uid != geteuid())
		return err_set(e, "%s: the key file %s belongs to another user; store your own with: aiwb keys set %s",
			       name, file, name);
	if (st->st_mode & 077)
		return err_set(e, "%s: the key file %s is readable by others; run: chmod 600 %s", name, file, file);
	char *dir = path_join(path_data_home(), "keys");
	struct stat ds;
	int rc = 0;
	if (stat(dir, &ds) == 0 && ((ds.st_mode & 022) || ds.st_uid != geteuid()))
		rc = err_set(e, "%s: the keys directory %s can be written by others, who could swap the key; "
			     "run: chmod 700 %s", name, dir, dir);
	free(dir);
	return rc;
}

const char *creds_state_name(enum creds_state s)
{
	switch (s) {
	case CREDS_PRESENT: return "present";
	case CREDS_NOT_NEEDED: return "not needed";
	case CREDS_BAD: return "unusable";
	case CREDS_NONE: break;
	}
	return "missing";
}

static void set(struct creds_status *out, enum creds_state state, const char *source, const char *hint)
{
	out->state = state;
	snprintf(out->source, sizeof out->source, "%s", source ? source : "");
	snprintf(out->hint, sizeof out->hint, "%s", hint ? hint : "");
}

static void probe_key(const char *name, const char *var, struct creds_status *out)
{
	char buf[256];
	if (env_set(var)) {
		snprintf(buf, sizeof buf, "env %s", var);
		set(out, CREDS_PRESENT, buf, NULL);
		return;
	}
	char *file = creds_key_file(name);
	struct stat st;
	struct err why = ERR_INIT;
	if (lstat(file, &st) == 0) {
		if (creds_key_file_check(name, file, &st, &why) != 0) {
			set(out, CREDS_BAD, "key file", why.msg);
		} else {
			snprintf(buf, sizeof buf, "key file %s", file);
			set(out, CREDS_PRESENT, buf, NULL);
		}
	} else {
		snprintf(buf, sizeof buf, "set %s or run: aiwb keys set %s", var ? var : "the key variable", name);
		set(out, CREDS_NONE, NULL, buf);
	}
	free(file);
}

/* The same resolution the Bedrock provider uses (net/awsauth.h), so doctor
 * reports what a call would do. A credential_process is run to check it. */
static void probe_aws(const struct config_provider *p, struct creds_status *out)
{
	struct awsauth_opts opts = { p ? p->profile : NULL, p ? p->region : NULL, 0 };
	struct awsauth *a = awsauth_new(&opts);
	struct awsauth_creds c;
	struct err e = ERR_INIT;
	if (awsauth_credentials(a, "bedrock-runtime", &c, &e) == 0) {
		set(out, CREDS_PRESENT, c.source, NULL);
		awsauth_creds_free(&c);
	} else {
		int unsupported = strstr(e.msg, "export-credentials") != NULL;
		set(out, unsupported ? CREDS_BAD : CREDS_NONE, NULL, e.msg);
	}
	awsauth_free(a);
}

void creds_probe(const char *name, const char *type, const struct config_provider *p, struct creds_status *out)
{
	memset(out, 0, sizeof *out);
	if (strcmp(type, "ollama") == 0) {
		set(out, CREDS_NOT_NEEDED, NULL, NULL);
	} else if (strcmp(type, "bedrock") == 0) {
		probe_aws(p, out);
	} else {
		const char *var = p && p->api_key_env ? p->api_key_env
				  : strcmp(type, "anthropic") == 0 ? "ANTHROPIC_API_KEY"
				  : strcmp(name, "openai") == 0 ? "OPENAI_API_KEY"
								  : NULL;
		probe_key(name, var, out);
	}
}
