/* view_messages — the message log: every status sentence and warning the
 * workbench shows, kept in full (the last MESSAGES_MAX, oldest dropped
 * first), and the `:messages` screen that shows them, long ones wrapped,
 * newest at the bottom. */
#ifndef AIWB_VIEW_MESSAGES_H
#define AIWB_VIEW_MESSAGES_H

#include <stddef.h>
#include <time.h>

#define MESSAGES_MAX 500

struct message {
	char *text;
	int error;
	time_t at;
};

struct messages {
	struct message ring[MESSAGES_MAX];
	size_t first, count;
};

/* Keeps a copy of text (any bytes; sanitized when drawn). */
void messages_add(struct messages *m, int error, const char *text);
/* The i-th kept message, oldest first (i < m->count). */
const struct message *messages_get(const struct messages *m, size_t i);
void messages_free(struct messages *m);
/* Draws the log in a box over the whole screen, scrolled by *scroll rows
 * (clamped; a large value shows the end); returns the rows of text it shows. */
int messages_draw(const struct messages *m, int *scroll);

#endif
