#include "scrollpos.h"

#include <stdio.h>
#include <string.h>

#include "base/sanitize.h"

int scrollpos_format(long first, int rows, long total, char *out, size_t size)
{
	out[0] = 0;
	if (rows <= 0 || total <= rows)
		return 0;
	if (first < 0)
		first = 0;
	long last = first + rows;
	if (last > total)
		last = total;
	snprintf(out, size, "%ld/%ld%s", last, total, last < total ? " ↓" : "");
	return sanitize_width(out, strlen(out));
}

int scrollpos_draw(WINDOW *w, int y, int x_end, int maxw, long first, int rows, long total, attr_t attr)
{
	char pos[64];
	int cols = scrollpos_format(first, rows, total, pos, sizeof pos);
	if (!cols || cols + 1 > maxw)
		return 0;
	wattrset(w, attr);
	mvwaddch(w, y, x_end - cols - 1, ' ');
	mvwaddstr(w, y, x_end - cols, pos);
	wattrset(w, A_NORMAL);
	return cols + 1;
}
