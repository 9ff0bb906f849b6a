#!/bin/sh
# Pasting into the workbench (tmux, 100x30): a paste is text, never keys.
# tmux's `paste-buffer -p` wraps the text in the bracketed-paste markers when
# the program asked for them (ESC [?2004h), as a terminal emulator does.
#  - With no editor open, a paste opens the Prompt pane's editor holding the
#    text (its line breaks kept: tests/e2e/tui_editor.sh); nothing is sent
#    (the fake server sees no request) and the q and s in it are not keys
#    (aiwb keeps running).
#  - In the `:` command line a pasted "quit<newline>help" stays on the line.
#  - A key sequence the terminal database does not know (ESC [99~, and
#    ESC [5q, whose last byte is the quit key) is dropped whole, not run as
#    ESC, [, 5, q.
#  - After aiwb quits, the terminal is back out of bracketed-paste mode: a
#    paste into the shell that follows arrives without the markers.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

if ! fake_start paste --max-seconds 120; then
	fail "the fake server starts" "$(cat "$E2E_TMP/paste.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
e2e_home
printf '{ "default_model": "openai/gpt-4o-mini" }\n' >"$E2E_HOME/config.json"
AIWB_CONFIG=$E2E_HOME/config.json
export AIWB_CONFIG
TUI_ENV="OPENAI_API_KEY=sk-e2e-paste OPENAI_BASE_URL=$URL/v1"

paste_text() {
	tmx set-buffer -b e2e -- "$1"
	tmx paste-buffer -p -b e2e -t "$E2E_SESSION"
}

requests() { grep -c '"path":"/v1/chat/completions"' "$E2E_TMP/paste.log" 2>/dev/null || true; }

tui_start 100 30
if tui_wait "1 Models" && tui_wait_ready; then
	paste_text "$(printf 'tell me a joke\nq\ns')"
	if tui_wait "Prompt for openai/gpt-4o-mini · C-s sends" && tui_wait_re '│ tell me a joke +│' && tui_wait_re '│ q +│'; then
		ok "a paste with no editor open opens the prompt editor holding it, line breaks kept"
	else tui_fail "a paste opens the prompt editor"; fi
	if tui_alive && [ "$(requests)" = 0 ]; then
		ok "the paste sent nothing and its q did not quit"
	else tui_fail "the paste sent nothing" "requests: $(requests)"; fi
	tui_keys Escape
	tui_keys :
	tui_wait_bottom ":*" 5
	paste_text "$(printf 'quit\nhelp')"
	if tui_wait_bottom ":quit help*" && tui_alive; then
		ok "in the command line a pasted newline does not run the command"
	else tui_fail "a paste in the command line"; fi
	tui_keys Escape
	tui_wait_bottom "* q quit*" 5
	tui_keys 4
	tui_type "$(printf '\033[99~')"
	tui_type "$(printf '\033[5q')"
	tui_keys 1
	if tui_wait "Space mark" && tui_alive && tui_poll 3 _bottom_is "*q quit*"; then
		ok "an unknown key sequence is dropped whole"
	else tui_fail "an unknown key sequence"; fi
	tui_keys q
	if tui_wait_exit && [ "$TUI_RC" = 0 ]; then
		ok "q quits 0 after the pastes"
	else tui_fail "q quits 0"; fi
else
	tui_fail "the workbench starts"
fi
tui_stop

# The shell after aiwb: cat -v shows what a paste then delivers.
_q "$AIWB_BIN"
bin=$Q
_q "$E2E_TMP/after.txt"
after=$Q
tmx -f /dev/null new-session -d -s "$E2E_SESSION" -x 100 -y 30 \
	"env HOME=$HOME AIWB_HOME=$AIWB_HOME XDG_CONFIG_HOME=$XDG_CONFIG_HOME AIWB_CONFIG=$AIWB_CONFIG TERM=tmux-256color LC_ALL=C.UTF-8 sh -c '$bin; echo; echo shell-ready; cat -v >$after'"
if tui_wait "1 Models"; then
	tui_keys q
	if tui_wait "shell-ready"; then
		paste_text "after-paste"
		tui_keys Enter C-d
		if tui_poll 10 _file_exists "$E2E_TMP/after.txt" && tui_poll 10 grep -q after-paste "$E2E_TMP/after.txt" &&
			! grep -q '\^\[\[20[01]~' "$E2E_TMP/after.txt"; then
			ok "after aiwb quits a paste reaches the shell without the paste markers (mode 2004 is off)"
		else
			fail "mode 2004 is off after aiwb" "after: $(cat -A "$E2E_TMP/after.txt" 2>/dev/null)"
		fi
	else tui_fail "aiwb quits into the shell"; fi
else
	tui_fail "the workbench starts for the restore check"
fi
tui_stop
e2e_done
