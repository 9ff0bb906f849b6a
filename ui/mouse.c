#include "mouse.h"

#include <curses.h>

static int enabled;

void mouse_start(int on)
{
	mmask_t want = 0;
	if (on) {
		want = BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
		want |= BUTTON5_PRESSED;
#endif
	}
	enabled = mousemask(want, NULL) != 0;
	if (enabled)
		mouseinterval(0);
}

int mouse_on(void)
{
	return enabled;
}

enum mouse_kind mouse_read(int *y, int *x)
{
	MEVENT ev;
	if (!enabled || getmouse(&ev) != OK)
		return MOUSE_NONE;
	*y = ev.y;
	*x = ev.x;
	if (ev.bstate & BUTTON4_PRESSED)
		return MOUSE_WHEEL_UP;
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED)
		return MOUSE_WHEEL_DOWN;
#endif
	if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
		return MOUSE_CLICK;
	return MOUSE_NONE;
}
