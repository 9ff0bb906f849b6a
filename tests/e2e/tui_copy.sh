#!/bin/sh
# Taking an answer away from the Prompt pane in a real terminal (tmux with
# set-clipboard on, so an OSC 52 copy becomes a tmux paste buffer): y copies
# the focused answer, W saves it to a file (0600), o opens it in $PAGER (a
# script that copies the file it was given) and the temp file is gone after.
# Every check polls the screen, the buffer or the files with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

ANSWER='Hello from the fake OpenAI. One two three four five six seven eight.'

URL=
fake_start tc --max-seconds 300
d="the fake server starts"
if [ -n "$URL" ]; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/tc.err" 2>&1)"
	e2e_done
	exit 1
fi

e2e_home
PAGER_DIR=$E2E_TMP/pager
mkdir -p "$PAGER_DIR"
# The pager: copies the file it is given, records its name and mode, exits.
cat >"$PAGER_DIR/pager.sh" <<-'EOF2'
	#!/bin/sh
	d=$(dirname "$0")
	cp "$1" "$d/copy.tmp" && stat -c %a "$1" >"$d/mode" && printf '%s\n' "$1" >"$d/name" && mv "$d/copy.tmp" "$d/copy"
EOF2
chmod 755 "$PAGER_DIR/pager.sh"
mkdir -p "$E2E_TMP/tmpdir"
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1 OLLAMA_HOST=$URL PAGER=$PAGER_DIR/pager.sh TMPDIR=$E2E_TMP/tmpdir"
cat >"$E2E_TMP/tmux.conf" <<-'EOF2'
	set -g status off
	set -g default-terminal tmux-256color
	set -g escape-time 0
	set -g history-limit 100
	set -g exit-empty on
	set -g set-clipboard on
EOF2

d="gpt-4o-mini selected, a prompt sent from the Prompt pane, its answer shown"
if tui_start 160 30 && tui_wait_re "openai +6 models" && tui_keys g j j Enter && tui_wait "openai/gpt-4o-mini" &&
	tui_keys 2 && tui_wait "Free prompt" && tui_keys i && tui_wait "C-s sends" && tui_type "Say hello to the test" && tui_keys C-s &&
	tui_wait "Hello from the fake OpenAI." && tui_wait "done ("; then
	ok "$d"
else
	tui_fail "$d"
fi

_buffer_is() { [ "$(tmx show-buffer 2>/dev/null)" = "$1" ]; }
d="y copies the answer with OSC 52: tmux holds it as a paste buffer, the status line says so"
if tui_keys y && tui_wait_bottom "*copied ${#ANSWER} bytes of openai/gpt-4o-mini's answer*" &&
	tui_poll 5 _buffer_is "$ANSWER"; then
	ok "$d"
else
	tui_fail "$d" "buffer: $(tmx show-buffer 2>&1)"
fi

OUT=$E2E_TMP/saved/answer.txt
mkdir -p "$E2E_TMP/saved"
d="W asks for a path and saves the answer there, mode 600; the status line says where"
if tui_keys W && tui_wait_bottom 'save the answer to>*' && tui_type "$OUT" && tui_keys Enter &&
	tui_wait_bottom "*saved ${#ANSWER} bytes of openai/gpt-4o-mini's answer to*" && tui_poll 5 _file_exists "$OUT" &&
	[ "$(cat "$OUT")" = "$ANSWER" ] && [ "$(e2e_mode "$OUT")" = 600 ]; then
	ok "$d"
else
	tui_fail "$d" "file: $(cat "$OUT" 2>&1) mode $(e2e_mode "$OUT" 2>&1)"
fi

d="o opens the answer in \$PAGER on a temp file (mode 600) that is gone afterwards; the workbench draws again"
if tui_keys o && tui_poll 10 _file_exists "$PAGER_DIR/copy" && [ "$(cat "$PAGER_DIR/copy")" = "$ANSWER" ] &&
	[ "$(cat "$PAGER_DIR/mode")" = 600 ] && tui_wait_bottom "*back from the pager*" &&
	tui_wait "Hello from the fake OpenAI." && [ ! -e "$(cat "$PAGER_DIR/name")" ] &&
	[ -z "$(ls -A "$E2E_TMP/tmpdir")" ]; then
	ok "$d"
else
	tui_fail "$d" "copy: $(cat "$PAGER_DIR/copy" 2>&1) tmpdir: $(ls -A "$E2E_TMP/tmpdir" 2>&1)"
fi

d="? lists the three keys in the Prompt pane's help"
if tui_keys '?' && tui_wait "Copy the code block in view, else the answer" &&
	tui_wait 'Open the focused answer in $PAGER (default less)' && tui_wait "Save the focused answer to a file" &&
	tui_keys '?' && tui_wait_gone "Copy the code block in view"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="before an answer y says there is none; o waits while an answer streams; a pager that cannot run is reported"
rm -f "$PAGER_DIR/copy"
if tui_keys q; then :; fi
tui_stop
LAB_URL=
relay_start "$URL" slow-40 longline-4096-tokens-30
printf '{ "providers": { "lab": { "type": "openai", "base_url": "%s/v1", "api_key_env": "LAB_API_KEY" } } }\n' \
	"$LAB_URL" >"$E2E_HOME/config.json"
AIWB_CONFIG=$E2E_HOME/config.json
export AIWB_CONFIG
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1 LAB_API_KEY=sk-e2e-lab PAGER=$PAGER_DIR/missing TMPDIR=$E2E_TMP/tmpdir"
# the column's "done (" is drawn once its answer has ended: o then tries the pager at once (the
# status line's "still streaming" sentence must not read like it)
if [ -n "$LAB_URL" ] && tui_start 160 30 && tui_wait_re "lab +2 models" && tui_keys 1 / && tui_type slow-40 && tui_keys Enter Enter && tui_wait "lab/slow-40" &&
	tui_keys 2 && tui_wait "Free prompt" && tui_keys y && tui_wait_bottom "*no answer yet: s sends the prompt*" &&
	tui_keys i && tui_wait "C-s sends" && tui_type "Say hello" && tui_keys C-s o &&
	tui_wait_bottom "*answers are still streaming; o works once they have ended*" && _lacks_text "done (" &&
	tui_wait "done (" && tui_keys o && tui_wait_bottom "*the pager could not be run (exit 127)*" &&
	[ -z "$(ls -A "$E2E_TMP/tmpdir")" ] && [ ! -e "$PAGER_DIR/copy" ]; then
	ok "$d"
else
	tui_fail "$d" "relay: $(cat "$E2E_TMP/relay.err" 2>&1)" "pager dir: $(ls "$PAGER_DIR" "$E2E_TMP/tmpdir" 2>&1)"
fi

_buffer_len_is() { [ "$(tmx show-buffer 2>/dev/null | wc -c)" -eq "$1" ]; }
d="y on a 120 KB answer copies its first 100 KB and says it was cut"
if tui_keys 1 Escape && tui_wait_gone "Esc clears" && tui_keys / && tui_type longline && tui_keys Enter Enter && tui_wait "lab/longline-4096-tokens-30" && tui_keys 2 s && tui_wait "done (" &&
	tui_keys y && tui_wait_bottom "*copied the first 102,400 of 122,880 bytes of lab/longline-4096-tokens-30's answer*" &&
	tui_poll 5 _buffer_len_is 102400; then
	ok "$d"
else
	tui_fail "$d" "buffer: $(tmx show-buffer 2>/dev/null | wc -c) bytes"
fi

d="q quits cleanly"
if tui_keys q && tui_wait_exit; then
	ok "$d"
else
	tui_fail "$d"
fi
e2e_done
