/* scan — the guard's single pass (scan.c), driven by guard.c. */
#ifndef AIWB_GUARD_SCAN_H
#define AIWB_GUARD_SCAN_H

#include <stdint.h>

#include "guard/detect.h"

enum { SD_SKIP, SD_WORD, SD_AT, SD_PLUS, SD_PAREN, SD_COLON, SD_HIDDEN, SD_DENIED };

/* The dispatch table for a guard: which bytes start a check. */
void scan_dispatch_init(uint8_t tab[256], const struct guard_words *words);
/* One pass over s->p, adding to s->out in text order. */
void scan_run(struct scan *s, const uint8_t tab[256]);

#endif
