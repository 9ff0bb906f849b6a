/* guard — the local guard: personal data, secrets, denied words, the user's
 * patterns and text hidden from humans, found in UTF-8 text (docs/guard.md).
 *
 * One hand-written pass over the bytes finds every built-in type: it skips
 * bytes that cannot start anything and dispatches on the few that can ('@',
 * '+', '(', ':', the first byte of a word, the lead bytes of the hidden
 * characters). Checksums decide where a format has one (Luhn for cards,
 * mod-97 for IBANs, the SSA's rules for SSNs). When hidden characters are
 * present the text is scanned once more with them removed, so a zero-width
 * space inside an address does not hide it. The user's patterns (PCRE2, JIT
 * compiled) run as a second pass.
 *
 * A struct guard is immutable after guard_new and may be shared; scanning
 * allocates only the findings. Nothing here prints, blocks or touches the
 * network. Spans are byte offsets into the text that was scanned. */
#ifndef AIWB_GUARD_H
#define AIWB_GUARD_H

#include <stddef.h>

#include "base/err.h"

/* id, name in JSON and config, mask placeholder (NULL: stripped, not masked) */
#define GUARD_TYPES(X)                                                         \
	X(GUARD_EMAIL, "email", "[EMAIL]")                                     \
	X(GUARD_PHONE, "phone", "[PHONE]")                                     \
	X(GUARD_CARD, "payment_card", "[CARD]")                                \
	X(GUARD_IBAN, "iban", "[IBAN]")                                        \
	X(GUARD_SSN, "us_ssn", "[SSN]")                                        \
	X(GUARD_IPV4, "ipv4", "[IP]")                                          \
	X(GUARD_IPV6, "ipv6", "[IP]")                                          \
	X(GUARD_AWS_KEY_ID, "aws_access_key_id", "[AWS_ACCESS_KEY_ID]")        \
	X(GUARD_AWS_SECRET, "aws_secret_key", "[AWS_SECRET_KEY]")              \
	X(GUARD_API_TOKEN, "api_token", "[API_TOKEN]")                         \
	X(GUARD_DENIED_WORD, "denied_word", "[DENIED]")                        \
	X(GUARD_CUSTOM, "custom", NULL)                                        \
	X(GUARD_TAG_CHARS, "unicode_tags", NULL)                               \
	X(GUARD_ZERO_WIDTH, "zero_width", NULL)                                \
	X(GUARD_BIDI, "bidi_control", NULL)

#define GUARD_TYPE_ENUM(id, name, mask) id,
enum guard_type { GUARD_TYPES(GUARD_TYPE_ENUM) GUARD_NTYPES };
#undef GUARD_TYPE_ENUM

enum guard_action { GUARD_OFF, GUARD_REPORT, GUARD_MASK, GUARD_BLOCK };

struct guard_finding {
	enum guard_type type;
	size_t start, end;   /* [start, end) in bytes */
	float confidence;    /* 0 to 1 */
	const char *label;   /* static or borrowed from the guard: "visa", "openai", the
			      * denied word, the pattern's name; NULL when none */
	char *hidden;        /* GUARD_TAG_CHARS: the ASCII the tags spell (owned); else NULL */
};

/* Sorted by start (longer first on a tie). Built-in findings overlap only
 * where hidden text lies inside a match found once it was removed; the
 * user's patterns may overlap anything. Masking takes the earliest. */
struct guard_findings {
	struct guard_finding *v;
	size_t n, cap;
};

struct guard_pattern {
	const char *name;  /* shown, and upper-cased as the mask: [EMPLOYEE_ID] */
	const char *regex; /* PCRE2 syntax, UTF mode */
};

struct guard_config {
	const char *const *denied_words; /* matched whole-word, ASCII case-insensitively */
	size_t ndenied;
	const struct guard_pattern *patterns;
	size_t npatterns;
};

/* cfg may be NULL (built-in detectors only); strings are copied. NULL with e
 * naming the pattern when one does not compile. */
struct guard *guard_new(const struct guard_config *cfg, struct err *e);
void guard_free(struct guard *g);

/* Appends the findings of text to out (sorted as above). 0, or -1 with e when
 * a pattern's match failed (PCRE2 match limit): the built-in findings are
 * still there. */
int guard_scan(const struct guard *g, const char *text, size_t len, struct guard_findings *out, struct err *e);
void guard_findings_clear(struct guard_findings *f);
void guard_findings_free(struct guard_findings *f);

/* The text with every finding masked ([EMAIL], [EMPLOYEE_ID]) and hidden
 * characters removed (also those that stray bytes around a removed one
 * would form); NUL-terminated, length in *out_len. Caller frees. */
char *guard_redact(const struct guard *g, const char *text, size_t len, const struct guard_findings *f,
		   size_t *out_len);

/* A short view of what was found that never repeats a secret whole:
 * "j***@example.com", "4111 **** **** 1111", "sk-a…f9", the hidden tag text.
 * Raw bytes: sanitize before printing. Caller frees. */
char *guard_preview(const struct guard_finding *f, const char *text, size_t len);

const char *guard_type_name(enum guard_type t);
/* The placeholder of a finding ("[EMAIL]", "[EMPLOYEE_ID]"); "" for hidden text. Borrowed. */
const char *guard_mask_of(const struct guard *g, const struct guard_finding *f);
int guard_is_hidden(enum guard_type t);
/* Removes every hidden character (tag characters, zero-width, bidi controls)
 * from text in place, whatever else is there; returns how many characters
 * (not bytes) were removed and sets *len to the new length (NUL-terminated
 * when it was). Needs no guard: the set is fixed. */
size_t guard_strip_hidden(char *text, size_t *len);

/* "off", "report", "mask", "block": 0, or -1 when s is none of them. */
int guard_action_parse(const char *s, enum guard_action *a);
const char *guard_action_name(enum guard_action a);

/* What an action does to one text: report finds, mask finds and replaces,
 * block finds and refuses when anything was found; off does nothing. */
struct guard_outcome {
	struct guard_findings findings;
	int blocked;   /* block, and something was found */
	char *masked;  /* mask with findings: the text to use instead (owned); else NULL */
	size_t masked_len;
};

/* 0, or -1 with e when a pattern failed (the built-in findings still count). */
int guard_apply(const struct guard *g, enum guard_action a, const char *text, size_t len, struct guard_outcome *out,
		struct err *e);
void guard_outcome_free(struct guard_outcome *o);

/* "3 findings: 2 email, 1 iban" or "no findings". Caller frees. */
char *guard_findings_summary(const struct guard_findings *f);

struct config;
/* A guard with config.json's guard.denied_words and guard.patterns; NULL with
 * e naming a pattern that does not compile. */
struct guard *guard_from_config(const struct config *cfg, struct err *e);

/* The checks, exposed for tests: each takes the characters without separators. */
int guard_luhn_ok(const char *digits, size_t n);
int guard_iban_ok(const char *iban, size_t n);       /* country length and mod-97 */
int guard_ssn_ok(const char *digits9);               /* area, group and serial ranges */

#endif
