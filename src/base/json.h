/* json — cJSON parsing of untrusted text that never loses part of it silently.
 *
 * cJSON keeps strings NUL-terminated, so a "\u0000" escape (or a raw NUL byte
 * inside a string) would cut the string there, and it reads a number too
 * large for a double (1e999) as infinity, printed later as "Infinity" or
 * null. json_parse reads the text as cJSON does, except that:
 *   - every "\u0000" escape and raw NUL byte inside a string becomes U+FFFD;
 *   - with JSON_BIG_AS_TEXT, a number that overflows a double is a string
 *     holding the number as written ("1e999"); numbers that fit are numbers;
 *   - with JSON_REPAIR_UTF8, invalid UTF-8 becomes U+FFFD (one per bad byte)
 *     first, so strings are valid UTF-8.
 * JSON_DATA (both, and JSON_WHOLE) is for what users give as data: variable
 * files, datasets; streamed answers take 0 and keep their bytes for the
 * sanitizer downstream (text without a NUL is then parsed in place, after
 * two memchr-speed checks). With JSON_WHOLE nothing but white space may
 * follow the value (cJSON's require_null_terminated); without it trailing
 * bytes are ignored, as cJSON_ParseWithLength does. Returns a new tree
 * (caller frees) or NULL when the text is not JSON. */
#ifndef AIWB_JSON_H
#define AIWB_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum { JSON_REPAIR_UTF8 = 1, JSON_WHOLE = 2, JSON_BIG_AS_TEXT = 4, JSON_DATA = 7 };

cJSON *json_parse(const char *text, size_t len, unsigned flags);

/* Every whole number in the tree o (up to 2^53) becomes a raw number printed
 * exactly ("1790000000000000"), where cJSON would print "1.79e+15". For
 * output: the tree is then printed as written (cJSON_Print*). */
void json_exact_integers(cJSON *o);

/* A new array holding copies of the n strings of v (an empty array when n is 0). */
cJSON *json_string_array(const char *const *v, size_t n);

#endif
