#!/bin/sh
# The workbench in a real terminal: tmux on a private socket, fixed sizes,
# TERM=tmux-256color, C.UTF-8, UTC, a private home per test.  Keys go in with
# send-keys; every check polls capture-pane with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

MARK=canary-7f3a9

_all_titles() {
	for _t in "1 Models" "2 Prompt" "3 Knowledge" "4 Jobs"; do
		case $TUI_LAST in *"$_t"*) ;; *) return 1 ;; esac
	done
}

# wait_titles [SECS]: all four pane titles are on the screen.
wait_titles() {
	tui_poll "${1:-$E2E_DEFAULT_WAIT}" _all_titles && return 0
	TUI_WHY="timed out waiting for the four pane titles"
	return 1
}

# titles_shown: how many of the four titles the last screen shows.
titles_shown() {
	_n=0
	for _t in "1 Models" "2 Prompt" "3 Knowledge" "4 Jobs"; do
		case $TUI_LAST in *"$_t"*) _n=$((_n + 1)) ;; esac
	done
	echo "$_n"
}

# start COLS ROWS [ARGS...]: a fresh home, aiwb in tmux, the four titles up.
start() {
	e2e_home
	tui_start "$@" && wait_titles
}

# cmdline TEXT: opens the command line, types TEXT (no Enter).
cmdline() {
	tui_keys : && tui_wait_bottom ':*' && tui_type "$1"
}

# term_modes: alternate screen, cursor visible, keypad modes of the pane.
term_modes() {
	tui_fmt '#{alternate_on} #{cursor_flag} #{keypad_cursor_flag} #{keypad_flag}'
}

# restored STATUS: after aiwb exited, the status is STATUS, stty is as before,
# the main screen is back and the cursor visible.
# True when the binary under test is built with AddressSanitizer.
tui_is_asan() {
	grep -q "__asan_init" "$AIWB_BIN" 2>/dev/null
}

restored() {
	_m=$(term_modes)
	if [ "$TUI_RC" != "$1" ]; then
		TUI_WHY="exit status $TUI_RC, expected $1"
		return 1
	fi
	if ! tui_stty_same; then
		TUI_WHY="stty before: $(tui_stty_before)
stty after:  $(tui_stty_after)"
		return 1
	fi
	case $_m in
	"0 1 "*) return 0 ;;
	esac
	TUI_WHY="terminal modes after exit (alternate_on cursor_flag ...): $_m, expected 0 1 ..."
	return 1
}

# ---------------------------------------------------------------- layout

d="the four pane titles show at 100x30 with the status line at the bottom"
if start 100 30 && tui_wait_bottom ' Models  Tab next pane*q quit*'; then ok "$d"; else tui_fail "$d"; fi

d="the data home, database and log are private (dirs 0700, files 0600)"
bad=
for f in "$AIWB_HOME:700" "$AIWB_HOME/aiwb.db:600" "$AIWB_HOME/aiwb.log:600" "$AIWB_HOME/examples:700" \
	"$AIWB_HOME/examples/docs:700"; do
	p=${f%:*}
	[ "$(e2e_mode "$p" 2>/dev/null)" = "${f##*:}" ] || bad="$bad $p=$(e2e_mode "$p" 2>&1)"
done
if [ -z "$bad" ]; then ok "$d"; else fail "$d" "wrong modes:$bad"; fi

d="the demo workspace is seeded into \$AIWB_HOME/examples/docs and Knowledge shows it"
if [ -d "$AIWB_HOME/examples/docs" ] && ls "$AIWB_HOME/examples/docs" | grep -q '\.md$' &&
	tui_wait "demo document"; then
	ok "$d"
else
	tui_fail "$d" "examples: $(ls -R "$AIWB_HOME/examples" 2>&1 | head -5)"
fi

# ---------------------------------------------------------------- focus

d="Tab moves focus from Models to Prompt"
if tui_keys Tab && tui_wait_bottom ' Prompt *'; then ok "$d"; else tui_fail "$d"; fi

d="3 focuses Knowledge"
if tui_keys 3 && tui_wait_bottom ' Knowledge *'; then ok "$d"; else tui_fail "$d"; fi

d="S-Tab moves focus back to Prompt"
if tui_keys BTab && tui_wait_bottom ' Prompt *'; then ok "$d"; else tui_fail "$d"; fi

d="Tab wraps from Jobs to Models"
if tui_keys 4 && tui_wait_bottom ' Jobs *' && tui_keys Tab && tui_wait_bottom ' Models *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="C-c outside the command line does not quit and says how to quit"
if tui_keys C-c && tui_wait "nothing to cancel" && tui_alive; then ok "$d"; else tui_fail "$d"; fi

# ---------------------------------------------------------------- zoom

d="z zooms the focused pane: one title, marked (zoomed)"
if start 100 30 && tui_keys 2 && tui_wait_bottom ' Prompt *' && tui_keys z &&
	tui_wait "2 Prompt (zoomed)" && [ "$(titles_shown)" = 1 ]; then
	ok "$d"
else
	tui_fail "$d"
fi

d="z again unzooms: all four titles back"
if tui_keys z && wait_titles && tui_wait_gone "(zoomed)"; then ok "$d"; else tui_fail "$d"; fi

d="moving focus while zoomed shows the newly focused pane zoomed"
if tui_keys z && tui_wait "2 Prompt (zoomed)" && tui_keys Tab && tui_wait "3 Knowledge (zoomed)" &&
	[ "$(titles_shown)" = 1 ]; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- help

d="? opens the help box listing the keys"
if start 100 30 && tui_keys '?' && tui_wait "Help — ? or Esc closes, arrows scroll" &&
	tui_wait "Move focus to the next pane"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the help scrolls at 100x20: PgDn to its last line, Up back by one"
if tui_resize 100 20 && tui_wait_bottom ' Models *' && tui_wait "Help — ?" &&
	_lacks_text "Keys can be rebound" && tui_keys NPage NPage NPage && tui_wait "Keys can be rebound" &&
	tui_keys Up && tui_wait_gone "Keys can be rebound" && tui_wait "Help — ?"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Esc closes the help"
if tui_keys Escape && tui_wait_gone "Move focus to the next pane" && wait_titles; then
	ok "$d"
else
	tui_fail "$d"
fi

d="? toggles the help closed again"
if tui_keys '?' && tui_wait "Help — ? or Esc closes" && tui_keys '?' &&
	tui_wait_gone "Help — ? or Esc closes"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the help fits at the minimum size 60x15"
if tui_resize 60 15 && tui_wait_bottom ' Models *' && tui_keys '?' && tui_wait "Help — ? or Esc" &&
	tui_keys Escape && tui_wait_gone "Help —"; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- command line

d=": then zo Tab completes to zoom, Enter zooms"
if start 100 30 && cmdline zo && tui_keys Tab && tui_wait_bottom ':zoom*' && tui_keys Enter &&
	tui_wait "1 Models (zoomed)" && tui_wait_bottom ' Models *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d=": Up recalls the previous command"
if cmdline "" && tui_keys Up && tui_wait_bottom ':zoom*' && tui_keys Escape &&
	tui_wait_bottom ' Models *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d=":nosuch shows the unknown-command message"
if cmdline nosuch && tui_keys Enter && tui_wait "unknown command 'nosuch'" &&
	tui_wait_bottom ' Models *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Esc cancels the command line without running it"
if cmdline zoom && tui_keys Escape && tui_wait_bottom ' Models *' && tui_wait "1 Models (zoomed)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d=":focus jobs focuses Jobs"
if cmdline "focus jobs" && tui_keys Enter && tui_wait_bottom ' Jobs *'; then ok "$d"; else tui_fail "$d"; fi

d=":theme light switches the theme"
if cmdline "theme light" && tui_keys Enter && tui_wait_bottom '*theme light*' && tui_wait "4 Jobs"; then
	ok "$d"
else
	tui_fail "$d"
fi

d=":theme nosuch shows an error and keeps running"
if cmdline "theme nosuch" && tui_keys Enter && tui_wait "no theme 'nosuch'" && tui_alive; then
	ok "$d"
else
	tui_fail "$d"
fi

d=":q quits with status 0 and restores the terminal"
if cmdline q && tui_keys Enter && tui_wait_exit && restored 0; then ok "$d"; else tui_fail "$d"; fi

d="the command history is saved to \$AIWB_HOME/cmd_history, mode 600"
h=$AIWB_HOME/cmd_history
if [ -f "$h" ] && [ "$(e2e_mode "$h")" = 600 ] && grep -q '^focus jobs' "$h"; then
	ok "$d"
else
	fail "$d" "$(ls -l "$h" 2>&1)" "$(cat "$h" 2>&1)"
fi

d="the command history comes back in the next session (: Up)"
if tui_start 100 30 && wait_titles && cmdline "" && tui_keys Up && tui_wait_bottom ':q*'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="UTF-8 typed on the command line comes back intact (unknown command 'zoöm')"
if start 100 30 && cmdline "zoöm" && tui_wait_bottom ':zoöm*' && tui_keys Enter &&
	tui_wait "unknown command 'zoöm'"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="resizing with the command line open keeps the typed text"
if cmdline "foc" && tui_resize 80 20 && tui_wait_bottom ':foc' && tui_type "us jobs" && tui_keys Enter &&
	tui_wait_bottom ' Jobs *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a command line longer than the screen keeps the cursor end in view"
long=$(printf '%0150d' 0 | tr 0 x)
if cmdline "${long}END" && tui_wait_bottom '*END'; then ok "$d"; else tui_fail "$d"; fi
tui_keys Escape

d="the command history survives SIGHUP (a closed terminal window)"
if tui_wait_bottom ' Jobs *' && cmdline "half-typed" && kill -HUP "$(tui_pid)" && tui_wait_exit &&
	grep -q '^focus jobs' "$AIWB_HOME/cmd_history" 2>/dev/null; then
	ok "$d"
else
	tui_fail "$d" "history: $(cat "$AIWB_HOME/cmd_history" 2>&1)"
fi

d="201 Tabs pasted at once leave the focus on Prompt"
set --
i=0
while [ $i -lt 201 ]; do
	set -- "$@" Tab
	i=$((i + 1))
done
if start 100 30 && tui_keys "$@" && tui_wait_bottom ' Prompt *' && tui_alive; then ok "$d"; else tui_fail "$d"; fi
set --

# ---------------------------------------------------------------- resize

d="resize to 200x60 keeps all titles and the status line at the bottom"
if start 100 30 && tui_resize 200 60 && tui_wait_bottom ' Models  Tab*' && wait_titles; then
	ok "$d"
else
	tui_fail "$d"
fi

d="resize to 30x8 shows the too-small notice instead of the panes"
if tui_resize 30 8 && tui_wait "Terminal too small (30x8)" && tui_wait "60x15" &&
	[ "$(titles_shown)" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi

d="keys other than quit are ignored while too small; back to 100x30 the titles return"
if tui_keys z '?' && tui_resize 100 30 && wait_titles && tui_wait_bottom ' Models  Tab*' &&
	_lacks_text "Help —" && _lacks_text "(zoomed)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="zoomed with the help open survives shrinking to too small and back"
if tui_keys z && tui_wait "(zoomed)" && tui_keys '?' && tui_wait "Help —" && tui_resize 40 10 &&
	tui_wait "Terminal too small (40x10)" && tui_resize 100 30 && tui_wait "Help —" &&
	tui_keys Escape && tui_wait "1 Models (zoomed)" && tui_alive; then
	ok "$d"
else
	tui_fail "$d"
fi

d="shrinking to 1x1 does not crash aiwb; it redraws when it grows again"
if tui_resize 1 1 && tui_resize 2 1 && tui_wait "Te" && tui_resize 1 1 && tui_resize 100 30 &&
	tui_wait "1 Models (zoomed)" && tui_wait_bottom ' Models  Tab*' && tui_alive; then
	ok "$d"
else
	tui_fail "$d"
fi

d="started in a 1x1 window: keys do no harm, it grows to the titles, q quits 0"
if e2e_home && tui_start 1 1 && tui_wait_ready && tui_keys z '?' : Escape && tui_resize 100 30 &&
	wait_titles && _lacks_text "Help —" && tui_keys q && tui_wait_exit && restored 0; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- exit and signals

d="q quits with status 0, stty unchanged, main screen and cursor back"
if start 100 30 && [ "$(term_modes | cut -c1)" = 1 ] && tui_keys q && tui_wait_exit && restored 0; then
	ok "$d"
else
	tui_fail "$d" "modes: $(term_modes)"
fi

d="q leaves keypad (application cursor keys) mode"
if [ "$(term_modes)" = "0 1 0 0" ]; then ok "$d"; else tui_fail "$d" "modes: $(term_modes)"; fi

for sig in TERM:143 HUP:129 INT:130; do
	d="SIG${sig%:*} restores the terminal and aiwb dies by the signal (status ${sig#*:})"
	if start 100 30 && kill -"${sig%:*}" "$(tui_pid)" && tui_wait_exit && restored "${sig#*:}"; then
		ok "$d"
	else
		tui_fail "$d"
	fi
done

# Under AddressSanitizer the re-raised SIGSEGV reaches ASan's handler, which
# reports it and exits 1: that report is the point of re-raising.
segv_status=139
tui_is_asan && segv_status=1
d="kill -SEGV restores the terminal, says so, and dies by SIGSEGV (status $segv_status)"
if start 100 30 && kill -SEGV "$(tui_pid)" && tui_wait_exit && restored $segv_status &&
	tui_stderr | grep -q "crashed; the terminal was restored"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="kill -SEGV also leaves keypad (application cursor keys) mode, like a clean exit"
if [ "$(term_modes)" = "0 1 0 0" ]; then
	ok "$d"
else
	tui_fail "$d" "modes (alternate_on cursor_flag keypad_cursor_flag keypad_flag): $(term_modes), want 0 1 0 0"
fi

d="kill -ABRT restores the terminal and dies by SIGABRT (status 134)"
if start 100 30 && kill -ABRT "$(tui_pid)" && tui_wait_exit && restored 134; then ok "$d"; else tui_fail "$d"; fi

d="--frames 3 draws and exits 0 on its own"
if e2e_home && tui_start 100 30 --frames 3 && tui_wait_exit && restored 0; then ok "$d"; else tui_fail "$d"; fi

d="--frames 2 in a too-small terminal exits 0 on its own"
if e2e_home && tui_start 30 8 --frames 2 && tui_wait_exit && restored 0; then ok "$d"; else tui_fail "$d"; fi

for t in xterm vt100 screen linux; do
	d="TERM=$t: starts, shows the titles, q quits 0 with the terminal restored"
	e2e_home
	TUI_TERM=$t
	if tui_start 100 30 && wait_titles && tui_keys q && tui_wait_exit && restored 0; then
		ok "$d"
	else
		tui_fail "$d"
	fi
	unset TUI_TERM
done

d="escape sequences in the data home's path are not sent to the terminal"
e2e_home
AIWB_HOME="$E2E_HOME/evil $(printf '\033[2J\033]2;pwned\007')dir"
if tui_start 100 30 && wait_titles && tui_wait "demo documents in" && tui_wait "evil" &&
	[ "$(tui_fmt '#{pane_title}')" != pwned ] && wait_titles 1; then
	ok "$d"
else
	tui_fail "$d" "pane title: $(tui_fmt '#{pane_title}')"
fi

# ---------------------------------------------------------------- themes and colour

d="NO_COLOR=1 starts and shows the titles"
e2e_home
TUI_ENV="NO_COLOR=1"
if tui_start 100 30 && wait_titles; then ok "$d"; else tui_fail "$d"; fi
TUI_ENV=

d="NO_COLOR=1 draws without colours (only attributes)"
colours=$(tmx capture-pane -e -p -t "$E2E_SESSION" | grep -Eo '\[[0-9;]*m' | grep -E '(^\[|;)(3[0-7]|4[0-7]|38;|48;|9[0-7]|10[0-7])' |
	sort -u | head -5 | tr '\n' ' ')
if [ -z "$colours" ]; then
	ok "$d"
else
	fail "$d" "colour SGR sequences on the screen: $colours"
fi
tui_stop

d="--theme high-contrast starts and shows the titles"
if start 100 30 --theme high-contrast; then ok "$d"; else tui_fail "$d"; fi

d="--theme nosuch exits 2 naming the theme, terminal untouched"
if e2e_home && tui_start 100 30 --theme nosuch && tui_wait_exit && restored 2 &&
	tui_stderr | grep -q "nosuch" && [ "$(tui_stderr | wc -l)" -eq 1 ]; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- config

d="a config with an unknown key starts and shows the warning in the status line"
e2e_home
printf '{\n  "theme": "default",\n  "bogus": 1\n}\n' >"$E2E_HOME/c.json"
export AIWB_CONFIG=$E2E_HOME/c.json
if tui_start 100 30 && wait_titles && tui_wait_bottom "*unknown key 'bogus'*"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a config with a syntax error refuses to start: exit 1 naming the file and line"
e2e_home
printf '{\n  "theme": "default",\n  "log": { "level": "info",, }\n}\n' >"$E2E_HOME/bad.json"
export AIWB_CONFIG=$E2E_HOME/bad.json
if tui_start 100 30 && tui_wait_exit && restored 1 &&
	tui_stderr | grep -q "$E2E_HOME/bad.json:3"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="config key bindings apply: quit on x, q no longer quits, the hint says x"
e2e_home
printf '{ "keys": { "quit": "x" } }\n' >"$E2E_HOME/k.json"
export AIWB_CONFIG=$E2E_HOME/k.json
if tui_start 100 30 && wait_titles && tui_wait_bottom '* x quit*' &&
	tui_keys q z && tui_wait "(zoomed)" && tui_alive && tui_keys x && tui_wait_exit && restored 0; then
	ok "$d"
else
	tui_fail "$d"
fi

d="pane keys rebind from config (models.params on P): the Models hint says P; ? lists the focused pane's keys first"
e2e_home
printf '{ "keys": { "models.params": "P", "prompt.send": "C-o" } }\n' >"$E2E_HOME/pk.json"
export AIWB_CONFIG=$E2E_HOME/pk.json
if tui_start 100 30 && wait_titles && tui_wait "Space mark (0)  P para" && _lacks_text "config keys" &&
	tui_keys '?' && tui_wait "Models pane" && tui_wait_re "P +Edit the model's parameters" &&
	tui_wait "Move focus to the next pane" && tui_keys Escape && tui_wait_gone "Models pane" &&
	tui_keys 2 '?' && tui_wait "Prompt pane" && tui_wait_re "C-o +Send to the selected model" &&
	_lacks_text "Edit the model's parameters" && tui_keys Escape && tui_wait_gone "Prompt pane" &&
	tui_keys q && tui_wait_exit && restored 0; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- secrets

d="providers with credentials list their models; the secrets reach neither screen nor files"
e2e_home
if fake_start tuifake --openai-key "sk-$MARK-o" --anthropic-key "sk-ant-$MARK-a" \
	--aws-access-key AKIAE2ETEST00000001 --aws-secret-key "$MARK-aws" --aws-session-token "$MARK-tok"; then
	TUI_ENV="OPENAI_API_KEY=sk-$MARK-o ANTHROPIC_API_KEY=sk-ant-$MARK-a AWS_ACCESS_KEY_ID=AKIAE2ETEST00000001
AWS_SECRET_ACCESS_KEY=$MARK-aws AWS_SESSION_TOKEN=$MARK-tok AWS_REGION=us-east-1 OPENAI_BASE_URL=$URL/v1
ANTHROPIC_BASE_URL=$URL OLLAMA_HOST=$URL AWS_ENDPOINT_URL_BEDROCK_RUNTIME=$URL AWS_ENDPOINT_URL_BEDROCK=$URL"
fi
if [ -n "$URL" ] && tui_start 100 30 && wait_titles && tui_wait_re "openai +[0-9]+ models" &&
	_lacks_text "$MARK" && tui_keys z && tui_wait "1 Models (zoomed)" &&
	tui_wait_re "anthropic +[0-9]+ models" && tui_wait_re "bedrock +[0-9]+ models" && _lacks_text "$MARK" &&
	cmdline "focus jobs" && tui_keys Enter && tui_wait_bottom " Jobs *" && tui_keys q && tui_wait_exit &&
	! grep -rq "$MARK" "$AIWB_HOME" "$TUI_DIR/stderr"; then
	ok "$d"
else
	tui_fail "$d" "files with the marker: $(grep -rl "$MARK" "$AIWB_HOME" "$TUI_DIR/stderr" 2>&1)"
fi
TUI_ENV=

e2e_done
