#!/bin/sh
# The Jobs pane's log shows its scroll position (tmux, 100x40, the pane
# zoomed): a job that wrote 200 lines opens at the end ("200/200"), k and
# PgUp scroll back ("197/200 ↓", more below), G goes back to the end, and
# with a search the position counts the lines holding the word.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
export AIWB_SLURM=off

d="aiwb jobs run starts a job that writes 200 lines"
ref=$("$AIWB_BIN" jobs run --name logpos -- sh -c 'i=1; while [ $i -le 200 ]; do echo "row $i"; i=$((i + 1)); done' \
	2>"$E2E_TMP/run.err")
case $ref in
local:*) ok "$d" ;;
*)
	fail "$d" "got '$ref'" "$(cat "$E2E_TMP/run.err")"
	e2e_done
	exit 1
	;;
esac

d="the job's log opens at its end: 'row 200' shown, the position 200/200"
if tui_start 100 40 && tui_wait "Jobs" && tui_keys 4 z && tui_wait_re "completed +[0-9ms]+ +$ref logpos" &&
	tui_keys g Enter && tui_wait "row 200" && tui_wait_re '│ log \(ended\) + 200/200 │'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="k scrolls back: the position says 197/200 with the arrow for more below; PgUp moves a page"
if tui_keys k k k && tui_wait "3 lines up" && tui_wait_re '│ log \(ended\)  3 lines up \(G: the end\) +197/200 ↓ │' &&
	tui_keys PgUp && tui_wait_re '│ log \(ended\)  [0-9]+ lines up \(G: the end\) +1[0-9][0-9]/200 ↓ │' &&
	_lacks_text "197/200"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="G goes back to the end: 200/200, no arrow"
if tui_keys G && tui_wait_gone "lines up" && tui_wait_re '│ log \(ended\) + 200/200 │'; then
	ok "$d"
else
	tui_fail "$d"
fi

# "row 1" is in row 1, rows 10-19 and rows 100-199: 111 lines
d="with a search the position counts the lines holding the word"
if tui_keys / && tui_type "row 1" && tui_keys Enter && tui_wait "/row 1" && tui_wait_re '│ log \(ended\)  /row 1 +111/111 │' &&
	tui_keys k && tui_wait_re ' +110/111 ↓ │'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="q quits 0"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then ok "$d"; else tui_fail "$d"; fi
tui_stop
e2e_done
