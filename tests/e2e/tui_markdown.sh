#!/bin/sh
# Markdown answers in the Prompt pane, in a real terminal: a heading, a link
# with its target, an aligned table, a fenced code block kept whole (cut with
# "›" and scrolled sideways with > and <), a quote and lists; m shows the raw
# text and back; y copies the code block in view (the OSC 52 bytes written to
# the terminal are captured with pipe-pane, and tmux keeps them as a paste
# buffer with set-clipboard on), Y the whole answer; the scroll position;
# the mouse: a click focuses, the wheel scrolls, ui.mouse off asks for none.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

URL=
fake_start md --max-seconds 300 --openai-models markdown,gpt-4o-mini
d="the fake server starts"
if [ -n "$URL" ]; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/md.err" 2>&1)"
	e2e_done
	exit 1
fi
e2e_home
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1"
cat >"$E2E_TMP/tmux.conf" <<-'EOF2'
	set -g status off
	set -g default-terminal tmux-256color
	set -g escape-time 0
	set -g history-limit 100
	set -g exit-empty on
	set -g set-clipboard on
EOF2

CODE='def greet(name):
    return "hello " + name + " and a long line that needs sideways scrolling to be read whole"'

d="the answer is rendered: heading, link target, aligned table, code block, quote, lists; no Markdown marks"
if tui_start 90 34 && tui_wait_re "openai +2 models" && tui_keys / && tui_type markdown && tui_keys Enter Enter &&
	tui_wait "openai/markdown" && tui_keys 2 z i && tui_type "Release notes please" && tui_keys C-s &&
	tui_wait "done (" && tui_keys g && tui_wait "Release notes" && tui_wait "═════════════" &&
	tui_wait "the docs (https://example.com/docs) and run aiwb ask." &&
	tui_wait "model │  ctx │ price" && tui_wait "──────┼──────┼──────" && tui_wait "small │   8k │ \$0.10" &&
	tui_wait "large │ 128k │ \$2.50" && tui_wait "def greet(name):" && tui_wait "│ Quoted advice stays dimmed." &&
	_lacks_text '```' && _lacks_text '**fast**' && _lacks_text '|:------|' && tui_keys G &&
	tui_wait "• first item" && tui_wait "  1. nested one"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the code line too wide for the column is kept whole: cut with ›, > scrolls it sideways, < back"
if tui_wait_re 'return "hello " \+ name \+ " and a long line that.*›' && tui_keys '>' '>' &&
	tui_wait 'to be read whole"' && tui_wait '‹' && tui_keys '<' '<' && tui_wait_gone '‹' &&
	tui_wait_gone 'to be read whole"'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the scroll position shows the last line shown of all, with an arrow while more is below"
if tui_keys g && tui_wait_re ' [0-9]+/2[0-9] ↓ *│$' && tui_keys G && tui_wait_re ' 2[0-9]/2[0-9] *│$'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="m shows the raw text, and m again the rendering"
if tui_keys g m && tui_wait '```python' && tui_wait '| model | ctx | price |' && tui_wait '**fast**' &&
	tui_wait_bottom '*raw text; m renders*' && tui_keys m && tui_wait_gone '```python' &&
	tui_wait "model │  ctx │ price"; then
	ok "$d"
else
	tui_fail "$d"
fi

_buffer_is() { [ "$(tmx show-buffer 2>/dev/null)" = "$1" ]; }
OUT=$E2E_TMP/pty.out
: >"$OUT"
_osc_in_output() { grep -q "$1" "$OUT"; }
B64=$(printf '%s\n' "$CODE" | base64 -w0)
d="y copies the code block in view: OSC 52 with its bytes is written, tmux keeps it, the status says which"
if tmx pipe-pane -o -t "$E2E_SESSION" "cat >>'$OUT'" && tui_keys y &&
	tui_wait_bottom '*copied code block 1 of 1, python*' && tui_poll 5 _osc_in_output "]52;c;$B64" &&
	tui_poll 5 _buffer_is "$CODE" && tui_keys : && tui_type messages && tui_keys Enter &&
	tui_wait 'copied code block 1 of 1, python (2 lines, 112 bytes) from openai/markdown' && tui_keys Escape &&
	tui_wait_gone 'copied code block 1 of 1, python (2 lines'; then
	ok "$d"
else
	tui_fail "$d" "buffer: $(tmx show-buffer 2>&1)" "output: $(od -c "$OUT" | tail -5)"
fi

d="Y copies the whole answer as it came"
if tui_keys Y && tui_wait_bottom '*copied 4?? bytes of*' &&
	tmx show-buffer | grep -q '^| model | ctx | price |$' && tmx show-buffer | grep -q '^```python$'; then
	ok "$d"
else
	tui_fail "$d" "buffer: $(tmx show-buffer 2>&1)"
fi

d="with no code block in view y copies the whole answer"
if tui_resize 90 15 && tui_keys G && tui_wait_re ' 27/27 *│$' && _lacks_text 'def greet' && tmx set-buffer x && tui_keys y &&
	tui_wait_bottom '*copied 4?? bytes of*' && tmx show-buffer | grep -q '^# Release notes$'; then
	ok "$d"
else
	tui_fail "$d" "buffer: $(tmx show-buffer 2>&1)"
fi

d="q quits cleanly, the terminal's mouse reports off again"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ] && [ "$(tui_fmt '#{mouse_any_flag}')" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi

# A mouse report as an xterm sends it (X10 encoding, what tmux-256color's
# kmous names): _mouse BUTTON X Y, 0-based cells; 0 press, 3 release, 64/65 wheel.
_mouse() {
	tmx send-keys -t "$E2E_SESSION" -H 1b 5b 4d "$(printf '%x' $((32 + $1)))" "$(printf '%x' $((33 + $2)))" \
		"$(printf '%x' $((33 + $3)))"
}
_mouse_flag() { [ "$(tui_fmt '#{mouse_any_flag}')" = "$1" ]; }
d="mouse on (the default): a click focuses the pane under it, the wheel scrolls the answer under it"
if tui_start 90 30 && tui_wait_re "openai +2 models" && tui_poll 5 _mouse_flag 1 && tui_keys 1 / && tui_type markdown &&
	tui_keys Enter Enter && tui_wait "openai/markdown" && tui_keys 2 i && tui_type "notes" && tui_keys C-s &&
	tui_wait "done (" && tui_wait_re ' 2[0-9]/2[0-9] *│$' && _mouse 0 5 20 && _mouse 3 5 20 &&
	tui_wait_bottom ' Knowledge *' && _mouse 64 60 8 && tui_wait_re ' [12][0-9]/2[0-9] ↓ *│$' && _mouse 65 60 8 &&
	tui_wait_re ' 2[0-9]/2[0-9] *│$' && tui_wait_bottom ' Knowledge *' && _mouse 0 60 8 && _mouse 3 60 8 &&
	tui_wait_bottom ' Prompt *'; then
	ok "$d"
else
	tui_fail "$d"
fi
tui_keys q
tui_wait_exit

printf '{ "ui": { "mouse": "off" } }\n' >"$E2E_HOME/mouse-off.json"
AIWB_CONFIG=$E2E_HOME/mouse-off.json
export AIWB_CONFIG
d="ui.mouse off: no mouse reports asked of the terminal (its selection works), a click does nothing"
if tui_start 90 30 && tui_wait_re "openai +2 models" && _mouse_flag 0 && _mouse 0 5 20 && _mouse 3 5 20 &&
	tui_keys 2 && tui_wait_bottom ' Prompt *' && _mouse 0 5 20 && _mouse 3 5 20 && tui_keys C-l &&
	tui_wait_bottom ' Prompt *' && tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi
e2e_done
