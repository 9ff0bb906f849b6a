/* json — cJSON parsing of untrusted text that never loses part of it silently.
 *
 * cJSON keeps strings NUL-terminated, so a "\u0000" escape (or a raw NUL byte
 * inside a string) would cut the string there, and it reads a number too
 * large for a double (1e999) as infinity, printed later as "Infinity" or
 * null. json_parse reads the text as cJSON does, except that:
 *   - every "\u0000" escape and raw NUL byte inside a string becomes U+FFFD;
 *   - a number that overflows a double is a string holding the number as
 *     written ("1e999"); numbers that fit are numbers as before;
 *   - with JSON_REPAIR_UTF8, invalid UTF-8 becomes U+FFFD (one per bad byte)
 *     first, so strings are valid UTF-8 (for data files; streamed answers
 *     keep their bytes for the sanitizer downstream).
 * With JSON_WHOLE nothing but white space may follow the value (cJSON's
 * require_null_terminated); without it trailing bytes are ignored, as
 * cJSON_ParseWithLength does. Text needing none of this is parsed in place,
 * without a copy. Returns a new tree (caller frees) or NULL when the text is
 * not JSON. */
#ifndef AIWB_JSON_H
#define AIWB_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum { JSON_REPAIR_UTF8 = 1, JSON_WHOLE = 2 };

cJSON *json_parse(const char *text, size_t len, unsigned flags);

#endif
