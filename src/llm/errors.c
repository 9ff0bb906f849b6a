#include "llm/errors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "llm/llm_json.h"

#define ERROR_LINE_MAX 300

static int filled(const char *s)
{
	return s && *s;
}

void llm_sentence(char *out, size_t size, const char *provider, const char *what, const char *code,
		  const char *request_id, const char *message)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "%s:", provider);
	size_t head = b.len;
	if (filled(what))
		buf_printf(&b, " %s", what);
	if (filled(code))
		buf_printf(&b, " %s", code);
	if (filled(request_id))
		buf_printf(&b, " (request %s)", request_id);
	if (filled(message))
		buf_printf(&b, "%s %s", b.len > head ? ":" : "", message);
	snprintf(out, size, "%s", buf_str(&b));
	buf_free(&b);
}

void llm_copy_out(char *out, size_t size, const char *s)
{
	if (size)
		snprintf(out, size, "%s", s ? s : "");
}

static void first_line(char *out, size_t size, const char *body, size_t len)
{
	while (len && isspace((unsigned char)*body)) {
		body++;
		len--;
	}
	size_t n = 0;
	while (n < len && body[n] != '\n' && body[n] != '\r' && body[n] != '\0' && n < ERROR_LINE_MAX)
		n++;
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (size)
		snprintf(out, size, "%.*s", (int)n, body);
}

void llm_error_body(const char *body, size_t len, char *code, size_t ncode, char *message, size_t nmessage,
		    char *request_id, size_t nrequest_id)
{
	llm_copy_out(code, ncode, NULL);
	llm_copy_out(message, nmessage, NULL);
	llm_copy_out(request_id, nrequest_id, NULL);
	if (!body || !len)
		return;
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!j) {
		first_line(message, nmessage, body, len);
		return;
	}
	const char *c, *m, *rid;
	llm_error_fields(j, &c, &m, &rid);
	llm_copy_out(code, ncode, c);
	llm_copy_out(message, nmessage, m);
	llm_copy_out(request_id, nrequest_id, rid);
	cJSON_Delete(j);
}

void llm_error_fields(const cJSON *j, const char **code, const char **message, const char **request_id)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	*code = *message = NULL;
	*request_id = llm_json_str(j, "request_id");
	if (cJSON_IsString(err)) {
		*message = err->valuestring;
		return;
	}
	const cJSON *o = cJSON_IsObject(err) ? err : j;
	*code = llm_json_str(o, "code");
	if (!*code)
		*code = llm_json_str(o, "type");
	if (*code && strcmp(*code, "error") == 0)
		*code = NULL;
	*message = llm_json_str(o, "message");
}
