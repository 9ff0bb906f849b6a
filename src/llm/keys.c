#include "llm/keys.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/secret.h"
#include "base/xmalloc.h"
#include "llm/creds.h"

#define KEY_FILE_MAX (CREDS_KEY_MAX + 1024) /* the key and some whitespace */

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static int usable_key(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if ((unsigned char)*k < 0x20 || *k == 0x7f)
			return 0;
	return 1;
}

void llm_key_free(char *key)
{
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
}

void llm_key_fini(struct provider *p)
{
	llm_key_free(p->priv);
	p->priv = NULL;
}

/* The key in file, NULL when the file does not exist (e untouched) or is unusable (e set). */
static char *read_key_file(const char *name, const char *file, struct err *e)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		if (errno == ELOOP && lstat(file, &st) == 0)
			creds_key_file_check(name, file, &st, e);
		else if (errno != ENOENT)
			err_errno(e, "%s: cannot read the key file %s", name, file);
		return NULL;
	}
	char raw[KEY_FILE_MAX];
	size_t len = 0;
	char *key = NULL;
	if (fstat(fd, &st) != 0) {
		err_errno(e, "%s: cannot read the key file %s", name, file);
		goto out;
	}
	if (creds_key_file_check(name, file, &st, e) != 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, raw + len, sizeof raw - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_errno(e, "%s: cannot read the key file %s", name, file);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof raw) {
			err_set(e, "%s: the key file %s is too large to hold an API key", name, file);
			goto out;
		}
	}
	key = trimmed(raw, len);
	if (!usable_key(key)) {
		err_set(e, "%s: the key file %s holds no usable key; store one with: aiwb keys set %s", name, file, name);
		llm_key_free(key);
		key = NULL;
	}
out:
	explicit_bzero(raw, sizeof raw);
	close(fd);
	return key;
}

int llm_key_load(struct provider *p, const char *var, int required, char **key, struct err *e)
{
	const char *v = var ? getenv(var) : NULL;
	*key = NULL;
	free(p->key_source);
	p->key_source = NULL;
	if (v && *v) {
		*key = trimmed(v, strlen(v));
		if (!usable_key(*key)) {
			llm_key_free(*key);
			*key = NULL;
			return err_set(e, "%s: %s holds no usable API key (empty or with control characters)", p->name,
				       var);
		}
		p->key_source = xasprintf("env %s", var);
	} else {
		char *file = creds_key_file(p->name);
		struct err fe = ERR_INIT;
		*key = read_key_file(p->name, file, &fe);
		if (*key)
			p->key_source = xasprintf("key file %s", file);
		free(file);
		if (fe.set)
			return err_set(e, "%s", fe.msg);
	}
	if (!*key) {
		if (!required)
			return 0;
		if (var)
			return err_set(e, "%s: no API key: set %s or run: aiwb keys set %s", p->name, var, p->name);
		return err_set(e, "%s: no API key: run: aiwb keys set %s", p->name, p->name);
	}
	secret_add(*key);
	return 0;
}
