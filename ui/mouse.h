/* mouse — the wheel and the first button, when config `ui.mouse` is on (the
 * default): curses reports them as KEY_MOUSE and mouse_read says what
 * happened where. Off, aiwb asks the terminal for no mouse reports, so the
 * terminal's own selection works as usual (with reports on, most terminals
 * select with Shift held). curses turns the reports off on every way out
 * (endwin); a crash writes the same through term.c. */
#ifndef AIWB_MOUSE_H
#define AIWB_MOUSE_H

enum mouse_kind { MOUSE_NONE, MOUSE_WHEEL_UP, MOUSE_WHEEL_DOWN, MOUSE_CLICK };

/* Asks for wheel and button-1 reports (on), or for none. */
void mouse_start(int on);
int mouse_on(void);
/* After KEY_MOUSE: the event and its screen cell. */
enum mouse_kind mouse_read(int *y, int *x);

#endif
