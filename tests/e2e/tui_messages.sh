#!/bin/sh
# Nothing cut off without a mark (tmux, 100x30): a model id too long for its
# row loses its middle to an ellipsis, not its end, and the Models pane's
# footer shows it while the cursor is on it: whole when it fits there (the
# Models pane is 36 columns inside at 100x30: a 34-column id is cut in its
# row, after the marks, and whole in the footer), else shortened the same way.
# A status sentence wider than the status line's room is cut there, and
# `:messages` shows it whole; Esc closes the log. A compare of the two long
# ids (made with the command line) shows them shortened the same way in the
# history rows and, sent again, in the compare column titles.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

LONG=anthropic.claude-3-5-sonnet-20241022-extended-thinking-v2:0
MID=mistral.mistral-large-2407-v1:0-xl
if ! fake_start msg --max-seconds 120 --openai-models "gpt-4o-mini,$LONG,$MID"; then
	fail "the fake server starts" "$(cat "$E2E_TMP/msg.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
e2e_home
TUI_ENV="OPENAI_API_KEY=sk-e2e-msg OPENAI_BASE_URL=$URL/v1"

d="a long model id is shortened in the middle (anthropic.claude…-v2:0); at the cursor the footer shows it, whole when it fits"
if tui_start 100 30 && tui_wait_re "openai +3 models" && tui_wait_re 'anthropic\.claude[a-z0-9.:-]*…[a-z0-9.:-]*-v2:0 ' &&
	_lacks_text "$LONG" && _lacks_text "$MID" && tui_keys j j && tui_wait_re '│ anthropic\.claude-[a-z0-9.:-]*…[a-z0-9.:-]*-v2:0 │' &&
	tui_keys j && tui_wait_re "│ $MID +│" && tui_wait_re '│ +mistral\.mistral-[a-z0-9.:-]*…[a-z0-9.:-]*-xl │'; then
	ok "$d"
else
	tui_fail "$d"
fi

CMD=no-such-command-for-the-message-log
SAID="unknown command '$CMD'; press ? for the list"
d="a status cut at the window's width is whole in :messages, which Esc closes"
if tui_keys : && tui_type "$CMD" && tui_keys Enter && tui_wait "unknown command 'no-such" && _lacks_text "$SAID" &&
	tui_keys : && tui_type messages && tui_keys Enter && tui_wait "Messages — Esc closes" && tui_wait "$SAID" &&
	tui_keys Escape && tui_wait_gone "Messages — Esc closes" && tui_wait "1 Models"; then
	ok "$d"
else
	tui_fail "$d"
fi

d=":help lists messages among the commands"
if tui_keys : && tui_type help && tui_keys Enter && tui_wait "Help — " && tui_keys NPage NPage NPage && tui_wait "Show every status message and warning in full" &&
	tui_keys Escape && tui_wait_gone "Show every status message"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a compare of two long ids: history rows and compare column titles shorten them in the middle"
if tui_keys q && tui_wait_exit &&
	env OPENAI_API_KEY=sk-e2e-msg OPENAI_BASE_URL="$URL/v1" "$AIWB_BIN" compare -m "openai/$LONG" -m "openai/$MID" \
		"long ids" >"$E2E_TMP/cmp.out" 2>&1 &&
	tui_start 100 30 && tui_wait_re "openai +3 models" && tui_keys H && tui_wait "2 runs, newest first" &&
	tui_wait_re 'compare  openai/[a-z0-9./:-]*…[a-z0-9.:-]*-v2:0  ' &&
	tui_wait_re 'compare  openai/[a-z0-9./:-]*…[a-z0-9.:-]*-xl  ' && _lacks_text "$LONG" &&
	tui_keys C-r && tui_wait_bottom '*restored run 2: 2 models marked for compar*' &&
	tui_keys 2 && tui_wait "→ compare 2 marked models:" && tui_keys s && tui_wait "Hello from the fake OpenAI." &&
	tui_wait_re '│ openai/anthro[a-z0-9.:-]*…[a-z0-9.:-]*-v2:0│openai/mistral[a-z0-9.:-]*…[a-z0-9.:-]*-xl +│' &&
	_lacks_text "$LONG"; then
	ok "$d"
else
	tui_fail "$d" "$(cat "$E2E_TMP/cmp.out")"
fi

tui_keys q
tui_wait_exit
TUI_ENV=
e2e_done
