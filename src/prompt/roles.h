/* roles — the role markers of a template body and the messages they split
 * text into (docs/templates.md). A line that is exactly "system:", "user:"
 * or "assistant:" (trailing blanks allowed) starts a message of that role;
 * text before the first marker is a user message.
 *
 * Compiling a body (prompt/template.h) turns each marker line into three
 * bytes, NUL ROLE NUL: data (C strings) cannot hold a NUL, so a variable
 * whose value holds "user:" can never add a message; rendering
 * (prompt/render.h) splits the output at those bytes. */
#ifndef AIWB_ROLES_H
#define AIWB_ROLES_H

#include <stddef.h>

#include "base/buf.h"

struct template_msg {
	char *role;            /* "system", "user", "assistant" */
	char *content;
};
struct template_msgs {
	struct template_msg *v;
	size_t n;
};

/* Splits text with role marker lines (as a body is written) into messages,
 * appended to out (free with template_msgs_free); trimmed, empty ones dropped. */
void template_split_roles(const char *text, size_t len, struct template_msgs *out);
void template_msgs_free(struct template_msgs *m);
/* Appends a message of role with n bytes of s; with trim, white space at both
 * ends goes and an empty message is dropped. */
void template_msgs_add(struct template_msgs *m, const char *role, const char *s, size_t n, int trim);

/* Marker lines of s become NUL ROLE NUL in out; newlines stay, so the lines
 * of out are those of s. */
void roles_mark(const char *s, size_t len, struct buf *out);
/* Splits marked text (roles_mark, then rendered) into trimmed messages. */
void roles_split_marked(const char *s, size_t len, struct template_msgs *out);

/* ASCII white space: what trimming removes from messages and answers. */
int template_is_space(char c);

#endif
