/* errors — the one-sentence errors of the LLM providers.
 *
 * A sentence reads "openai: HTTP 429 rate_limit_exceeded (request req_1):
 * Rate limit reached", its parts read from the error bodies of the OpenAI,
 * Anthropic and Ollama APIs. Server text is not sanitized here (callers do). */
#ifndef AIWB_LLM_ERRORS_H
#define AIWB_LLM_ERRORS_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* "NAME: WHAT CODE (request ID): MESSAGE", each part left out when empty. */
void llm_sentence(char *out, size_t size, const char *provider, const char *what, const char *code,
		  const char *request_id, const char *message);

/* Reads an error body of any of the three APIs: OpenAI {"error":{"message",
 * "type","code"}} (code, else type), Anthropic {"type":"error","error":
 * {"type","message"},"request_id"}, Ollama {"error":"message"}. Outputs are
 * "" when absent; a body that is not JSON gives its first line as message. */
void llm_error_body(const char *body, size_t len, char *code, size_t ncode, char *message, size_t nmessage,
		    char *request_id, size_t nrequest_id);

/* The code (a string code, else the type), message and request id of an
 * error object in any of the three shapes (see llm_error_body); borrowed
 * from j, NULL when absent. */
void llm_error_fields(const cJSON *j, const char **code, const char **message, const char **request_id);

/* Copies s (NULL as "") into out of size bytes, cut to fit. */
void llm_copy_out(char *out, size_t size, const char *s);

#endif
