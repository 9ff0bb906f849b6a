/* detect — what the guard's scanner (scan.c) and its detectors share; not
 * for use outside src/guard/.
 *
 * A detector is called at a position where its trigger stands and returns
 * the end of what it found (after adding the finding with scan_add), or 0.
 * It never looks before s->floor (the end of the previous finding) and never
 * past s->n. */
#ifndef AIWB_GUARD_DETECT_H
#define AIWB_GUARD_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "guard/guard.h"

struct guard_words;

struct scan {
	const unsigned char *p;
	size_t n;
	size_t floor;
	const struct guard_words *words; /* may be NULL */
	struct guard_findings *out;
	size_t nhidden;                  /* hidden findings added */
	size_t skip_start, skip_end;     /* a span found ahead of the scan (a secret after its key id) */
};

/* Byte classes (ctype without the locale). */
extern const uint8_t guard_ctype[256];
enum { GC_DIGIT = 1, GC_UPPER = 2, GC_LOWER = 4, GC_HEX = 8, GC_WORD = 16, GC_B64 = 32, GC_SPACE = 64 };
#define G_IS(c, k) (guard_ctype[(unsigned char)(c)] & (k))
#define G_DIGIT(c) G_IS(c, GC_DIGIT)
#define G_ALPHA(c) G_IS(c, GC_UPPER | GC_LOWER)
#define G_ALNUM(c) G_IS(c, GC_UPPER | GC_LOWER | GC_DIGIT)

void scan_add(struct scan *s, enum guard_type t, size_t start, size_t end, float conf, const char *label);
/* The byte before i, or 0 at the start of the text. */
static inline unsigned char scan_prev(const struct scan *s, size_t i)
{
	return i ? s->p[i - 1] : 0;
}

size_t detect_email(struct scan *s, size_t at);        /* at: the '@' */
size_t detect_phone(struct scan *s, size_t i);         /* '+', '(' or a digit */
size_t detect_card(struct scan *s, size_t i);          /* a digit */
size_t detect_ssn(struct scan *s, size_t i);           /* a digit */
size_t detect_iban(struct scan *s, size_t i);          /* an upper-case letter */
size_t detect_ipv4(struct scan *s, size_t i);          /* a digit */
size_t detect_ipv6(struct scan *s, size_t colon);      /* a ':' */
size_t detect_aws_key(struct scan *s, size_t i);       /* 'A' */
size_t detect_token(struct scan *s, size_t i);         /* 's', 'g', 'e', 'x', 'A', 'r', 'h' */
size_t detect_secret_keyword(struct scan *s, size_t i, size_t end); /* a word [i, end) ending in ...SecretAccessKey */
size_t detect_hidden(struct scan *s, size_t i);        /* a lead byte of a hidden character */
size_t detect_denied(struct scan *s, size_t i);        /* the first byte of a word */

/* Denied words (words.c). */
struct guard_words *guard_words_new(const char *const *words, size_t n);
void guard_words_free(struct guard_words *w);
/* 1 when some denied word starts with byte c (either case). */
int guard_words_may_start(const struct guard_words *w, unsigned char c);

/* Hidden characters: the byte length of the one at p (0 when none) and its type. */
size_t guard_hidden_at(const unsigned char *p, size_t n, enum guard_type *type);

#endif
