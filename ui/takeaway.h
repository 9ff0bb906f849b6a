/* takeaway — an answer leaves the workbench: copied to the clipboard with
 * OSC 52 (ESC ] 52 ; c ; base64 BEL, which tmux passes on or keeps as a paste
 * buffer with set-clipboard on), shown in $PAGER, or saved to a file.
 * The copy and the file hold the answer as it came; the pager's temp file
 * holds it sanitized (the pager writes it to the terminal). */
#ifndef AIWB_TAKEAWAY_H
#define AIWB_TAKEAWAY_H

#include <stddef.h>

#include "base/err.h"

/* Many terminals refuse an OSC 52 sequence much longer than this. */
#define TAKEAWAY_COPY_MAX (100u * 1024u)

/* The OSC 52 sequence that copies the first bytes of text[0..len), at most
 * cap of them, cut at a character boundary; *copied gets how many were
 * taken. Caller frees. Pure: writes nothing. */
char *takeaway_osc52(const char *text, size_t len, size_t cap, size_t *copied);

/* n with a comma between groups of three digits ("1,234") into out. */
void takeaway_count(size_t n, char *out, size_t size);

/* Writes the OSC 52 sequence for text to the terminal; *copied as above.
 * -1 with a sentence when the terminal is not ours or refuses the write. */
int takeaway_copy(const char *text, size_t len, size_t *copied, struct err *e);

/* Writes text (sanitized) to a new temp file (0600) under $TMPDIR or /tmp,
 * runs `$PAGER FILE` (default less) through /bin/sh with the terminal handed
 * back (term_run; blocks until the pager ends), and removes the file. */
int takeaway_page(const char *text, size_t len, struct err *e);

/* takeaway_page with the pager opened at line (1-based) when it takes +LINE
 * (less, more, most; less when PAGER is unset); the temp file is aiwb-kb-*. */
int takeaway_page_at(const char *text, size_t len, long line, struct err *e);

/* 1 when VISUAL or EDITOR is set (not empty). */
int takeaway_editor_set(void);
/* Runs `${VISUAL:-$EDITOR} +LINE path` through /bin/sh with the terminal
 * handed back (term_run, as the pager); writes nothing. -1 with a sentence
 * when no editor is set or it cannot be run. */
int takeaway_edit(const char *path, long line, struct err *e);

/* Saves text as it came to path (~/ expands to $HOME), mode 0600, atomically.
 * *where gets the path written (caller frees). */
int takeaway_save(const char *path, const char *text, size_t len, char **where, struct err *e);

#endif
