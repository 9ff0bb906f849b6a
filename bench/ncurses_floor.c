/* ncurses_floor — the reference for first paint: the least a curses program
 * can do (start, draw four boxed windows and a status line, paint once, end).
 * aiwb's first-paint time is reported as a ratio to this. */
#include <curses.h>
#include <locale.h>

int main(void)
{
	setlocale(LC_ALL, "");
	initscr();
	int rows = LINES - 1, left = COLS * 2 / 5, top = rows / 2;
	WINDOW *w[4] = { newwin(top, left, 0, 0), newwin(top, COLS - left, 0, left),
			 newwin(rows - top, left, top, 0), newwin(rows - top, COLS - left, top, left) };
	mvaddstr(LINES - 1, 0, " status");
	wnoutrefresh(stdscr);
	for (int i = 0; i < 4; i++) {
		box(w[i], 0, 0);
		mvwaddstr(w[i], 1, 1, "pane");
		wnoutrefresh(w[i]);
	}
	doupdate();
	endwin();
	return 0;
}
