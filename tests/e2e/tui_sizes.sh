#!/bin/sh
# Nothing drawn over anything else at 80x24, 100x19 and 60x15: every view
# (each pane focused, each zoomed, two answers side by side and their word
# diff, help, the message log, the history) is checked against the layout:
# every pane's frame (its corners and side bars on each of its rows) is
# intact, so no pane's text runs into a neighbour's line, each title appears
# once, the status line holds no frame; on a short terminal (fewer than 22
# rows for the panes) the focused pane's row gets the room and the other row
# keeps only its title line. Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

URL=
fake_start sz --max-seconds 600 --openai-models markdown,gpt-4o-mini
d="the fake server starts"
if [ -n "$URL" ]; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/sz.err" 2>&1)"
	e2e_done
	exit 1
fi
e2e_home
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1"

cat >"$E2E_TMP/layout.py" <<-'EOF2'
	import sys
	# layout.py COLS LINES KIND FOCUS < screen: exit 0 when the screen fits KIND
	# (grid: the four frames; zoom: the focused one alone; box: an overlay box
	# whose top row holds WORD, its sides intact; full: a view over everything).
	cols, lines, kind, arg = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
	scr = sys.stdin.read().split("\n")[:lines]
	scr += [""] * (lines - len(scr))
	scr = [l.ljust(cols) for l in scr]
	def why(msg):
	    print(msg)
	    sys.exit(1)
	names = ["1 Models", "2 Prompt", "3 Knowledge", "4 Jobs"]
	def frame(y0, x0, h, w, title):
	    if h == 1:
	        if scr[y0][x0] != "─" or scr[y0][x0 + w - 1] != "─":
	            why("row %d: the title line of %s is broken" % (y0, title))
	    else:
	        for y in range(y0, y0 + h):
	            l, r = ("┌", "┐") if y == y0 else ("└", "┘") if y == y0 + h - 1 else ("│", "│")
	            if scr[y][x0] != l or scr[y][x0 + w - 1] != r:
	                why("row %d: the frame of %s is broken: %r" % (y, title, scr[y][x0:x0 + w]))
	    if title not in scr[y0][x0:x0 + w]:
	        why("row %d: no title %s" % (y0, title))
	rows = lines - 1
	if "│" in scr[rows] or "┌" in scr[rows]:
	    why("the status line holds a frame: %r" % scr[rows])
	if kind == "grid":
	    f = int(arg)
	    left, top = cols * 2 // 5, rows // 2
	    if rows < 22:
	        top = rows - 1 if f < 2 else 1
	    rects = [(0, 0, top, left), (0, left, top, cols - left), (top, 0, rows - top, left), (top, left, rows - top, cols - left)]
	    for i, (y, x, h, w) in enumerate(rects):
	        frame(y, x, h, w, names[i])
	    for n in names:
	        if sum(l.count(n) for l in scr) != 1:
	            why("%s appears %d times" % (n, sum(l.count(n) for l in scr)))
	elif kind == "zoom":
	    frame(0, 0, rows, cols, names[int(arg)])
	elif kind == "box":
	    ys = [y for y in range(rows) if "┌ " + arg in scr[y]]
	    if not ys:
	        why("no box titled %s" % arg)
	    y0 = ys[0]
	    x0 = scr[y0].index("┌ " + arg)
	    x1 = scr[y0].index("┐", x0)
	    y1 = y0 + 1
	    while y1 < rows and scr[y1][x0] == "│":
	        if scr[y1][x1] != "│":
	            why("row %d: the right side of the %s box is broken: %r" % (y1, arg, scr[y1]))
	        y1 += 1
	    if y1 >= rows or scr[y1][x0] != "└" or scr[y1][x1] != "┘":
	        why("the %s box has no bottom" % arg)
	elif kind == "full":
	    if arg not in "".join(scr):
	        why("no %s" % arg)
	    for n in names:
	        if n in "".join(scr):
	            why("%s shows through" % n)
	sys.exit(0)
EOF2
LAYOUT_WHY=
_layout() {
	LAYOUT_WHY=$(printf '%s' "$TUI_LAST" | "$E2E_PY" "$E2E_TMP/layout.py" "$W" "$H" "$1" "$2")
}
# view NAME KIND ARG KEYS...: sends KEYS, then waits for the screen to fit.
view() {
	_name=$1 _kind=$2 _arg=$3
	shift 3
	[ $# -gt 0 ] && tui_keys "$@"
	if tui_poll 5 _layout "$_kind" "$_arg"; then
		ok "${W}x$H $_name"
	else
		tui_fail "${W}x$H $_name" "$LAYOUT_WHY"
	fi
}

for size in 80x24 100x19 60x15; do
	W=${size%x*} H=${size#*x}
	d="${W}x$H: two models marked, an answer each"
	rm -f "$AIWB_HOME/workbench.json" # each size starts as a new workbench (no marks kept from the last)
	if tui_start "$W" "$H" && tui_wait "openai" && tui_keys 1 / && tui_type markdown && tui_keys Enter Space &&
		tui_keys Escape / && tui_type gpt-4o-mini && tui_keys Enter Space Escape && tui_keys 2 i && tui_type hi &&
		tui_keys C-s && tui_wait "done (" 15; then
		ok "$d"
	else
		tui_fail "$d"
	fi
	view "Models focused" grid 0 1
	view "Prompt focused, its answers" grid 1 2
	view "Knowledge focused" grid 2 3
	view "Jobs focused" grid 3 4
	for f in 1 2 3 4; do
		view "pane $f zoomed" zoom $((f - 1)) "$f" z
		tui_keys z
	done
	view "the word diff of the two answers" grid 1 2 d
	tui_keys d
	view "help" box Help '?'
	tui_keys '?'
	view "the message log" box Messages : m e s s a g e s Enter
	tui_keys Escape
	view "the history" full "Search" H
	tui_keys Escape
	view "back to the panes" grid 1 2
	tui_keys C-c q y
	tui_wait_exit
done
e2e_done
