#include "takeaway.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/path.h"
#include "base/sanitize.h"
#include "base/xmalloc.h"
#include "term.h"

char *takeaway_osc52(const char *text, size_t len, size_t cap, size_t *copied)
{
	size_t n = len;
	if (n > cap) {
		n = cap;
		while (n && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;
	}
	static const char head[] = "\033]52;c;";
	size_t b64 = 4 * ((n + 2) / 3);
	char *seq = xmalloc(sizeof head - 1 + b64 + 2);
	memcpy(seq, head, sizeof head - 1);
	EVP_EncodeBlock((unsigned char *)seq + sizeof head - 1, (const unsigned char *)text, (int)n);
	seq[sizeof head - 1 + b64] = '\a';
	seq[sizeof head - 1 + b64 + 1] = 0;
	if (copied)
		*copied = n;
	return seq;
}

void takeaway_count(size_t n, char *out, size_t size)
{
	char digits[32];
	int nd = snprintf(digits, sizeof digits, "%zu", n);
	char grouped[48];
	size_t j = 0;
	for (int i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			grouped[j++] = ',';
		grouped[j++] = digits[i];
	}
	grouped[j] = 0;
	snprintf(out, size, "%s", grouped);
}

int takeaway_copy(const char *text, size_t len, size_t *copied, struct err *e)
{
	char *seq = takeaway_osc52(text, len, TAKEAWAY_COPY_MAX, copied);
	int rc = term_write(seq, strlen(seq));
	free(seq);
	if (rc != 0)
		return err_set(e, "the terminal did not take the copy (OSC 52); save the answer to a file instead");
	return 0;
}

/* Whether the pager (PAGER's first word, less when unset) takes +LINE. */
static int pager_takes_line(void)
{
	const char *pg = getenv("PAGER");
	if (!pg || !*pg)
		return 1;
	pg += strspn(pg, " \t");
	size_t n = strcspn(pg, " \t");
	const char *base = pg;
	for (size_t i = 0; i < n; i++)
		if (pg[i] == '/')
			base = pg + i + 1;
	size_t bn = n - (size_t)(base - pg);
	return (bn == 4 && strncmp(base, "less", 4) == 0) || (bn == 4 && strncmp(base, "more", 4) == 0) ||
	       (bn == 4 && strncmp(base, "most", 4) == 0);
}

static int page_file(const char *text, size_t len, long line, const char *prefix, struct err *e)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	char *tmp = path_join(dir, prefix);
	int fd = mkstemp(tmp); /* 0600 */
	if (fd < 0) {
		err_errno(e, "cannot create a temp file in %s for the pager (set TMPDIR to a writable directory)", dir);
		free(tmp);
		return -1;
	}
	char *safe = sanitize_str(text, len, 0);
	int wrote = path_write_all(fd, safe, strlen(safe));
	free(safe);
	if (close(fd) != 0 || wrote != 0) {
		err_errno(e, "cannot write the temp file %s for the pager", tmp);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	char at[32];
	snprintf(at, sizeof at, "+%ld", line > 0 ? line : 1);
	char sh[] = "/bin/sh", dash_c[] = "-c", cmd[] = "exec ${PAGER:-less} \"$1\"",
	     cmd_at[] = "exec ${PAGER:-less} \"$2\" \"$1\"", name[] = "sh";
	int with_line = line > 0 && pager_takes_line();
	char *argv[] = { sh, dash_c, with_line ? cmd_at : cmd, name, tmp, at, NULL };
	int rc = term_run(argv);
	unlink(tmp);
	free(tmp);
	if (rc < 0)
		return err_errno(e, "cannot start the pager");
	if (rc == 126 || rc == 127)
		return err_set(e, "the pager could not be run (exit %d): set PAGER to a program that exists", rc);
	return 0;
}

int takeaway_page(const char *text, size_t len, struct err *e)
{
	return page_file(text, len, 0, "aiwb-answer-XXXXXX", e);
}

int takeaway_page_at(const char *text, size_t len, long line, struct err *e)
{
	return page_file(text, len, line, "aiwb-kb-XXXXXX", e);
}

int takeaway_editor_set(void)
{
	const char *v = getenv("VISUAL"), *ed = getenv("EDITOR");
	return (v && *v) || (ed && *ed);
}

int takeaway_edit(const char *path, long line, struct err *e)
{
	if (!takeaway_editor_set())
		return err_set(e, "neither VISUAL nor EDITOR is set; set one to the editor to use");
	char at[32];
	snprintf(at, sizeof at, "+%ld", line > 0 ? line : 1);
	char sh[] = "/bin/sh", dash_c[] = "-c", cmd[] = "exec ${VISUAL:-$EDITOR} \"$1\" \"$2\"", name[] = "sh";
	char *file = xstrdup(path);
	char *argv[] = { sh, dash_c, cmd, name, at, file, NULL };
	int rc = term_run(argv);
	free(file);
	if (rc < 0)
		return err_errno(e, "cannot start the editor");
	if (rc == 126 || rc == 127)
		return err_set(e, "the editor could not be run (exit %d): set VISUAL or EDITOR to a program that exists", rc);
	return 0;
}

int takeaway_save(const char *path, const char *text, size_t len, char **where, struct err *e)
{
	while (*path == ' ')
		path++;
	if (!*path)
		return err_set(e, "no file name given; nothing saved");
	char *full;
	if (path[0] == '~' && path[1] == '/') {
		const char *home = getenv("HOME");
		if (!home || !*home)
			return err_set(e, "HOME is not set, so %s cannot be expanded; give the full path", path);
		full = path_join(home, path + 2);
	} else {
		full = xstrdup(path);
	}
	if (path_is_dir(full)) {
		err_set(e, "%s is a directory; give a file name", full);
		free(full);
		return -1;
	}
	if (path_write_file(full, text, len, e) != 0) {
		free(full);
		return -1;
	}
	*where = full;
	return 0;
}
