#!/bin/sh
# The Prompt pane's multi-line editor in tmux (100x30) against the fake
# OpenAI server:
#  - a multi-line paste (tmux paste-buffer -p: bracketed) with no editor open
#    opens the editor holding it, line by line; nothing is sent (its q and s
#    are text) until C-s, and the request carries the line breaks;
#  - C-x C-e hands the text to $EDITOR (a script that records the temp file's
#    mode and name, then appends a line): the box shows the result, the temp
#    file was 0600 and is gone, and C-s sends what the editor wrote;
#  - E outside the box does the same for the next prompt, sending nothing;
#  - a follow-up near the model's context window (about 120,000 tokens for a
#    128k model, written by the editor) is flagged and not sent; C-s again
#    sends it;
#  - a template variable (the rag template's context) takes a multi-line
#    paste in the box; the form shows it (first line, "(+2 lines)", the lines
#    under the form) and the request carries its line breaks.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

if ! fake_start ed --max-seconds 300; then
	fail "the fake server starts" "$(cat "$E2E_TMP/ed.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
LOG=$E2E_TMP/ed.log
e2e_home
printf '{ "default_model": "openai/gpt-4o-mini" }\n' >"$E2E_HOME/config.json"
AIWB_CONFIG=$E2E_HOME/config.json
export AIWB_CONFIG

ED=$E2E_TMP/editor.sh
cat >"$ED" <<EOF
#!/bin/sh
stat -c %a "\$1" >"$E2E_TMP/ed.seen"
echo "\$1" >>"$E2E_TMP/ed.seen"
case \$(cat "$E2E_TMP/ed.mode") in
append) printf '\nadded by the editor\n' >>"\$1" ;;
big) yes word | head -c 480000 | tr '\n' ' ' >"\$1" ;;
esac
EOF
chmod 700 "$ED"
echo append >"$E2E_TMP/ed.mode"
TUI_ENV="OPENAI_API_KEY=sk-e2e-ed OPENAI_BASE_URL=$URL/v1 EDITOR=$ED TMPDIR=$E2E_TMP"

requests() {
	_n=$(grep -c '"path":"/v1/chat/completions"' "$LOG" 2>/dev/null)
	echo "${_n:-0}"
}
_requests_are() { [ "$(requests)" = "$1" ]; }
# last PYEXPR: the last chat request's messages (m) satisfy PYEXPR.
last() {
	"$E2E_PY" -c 'import json, sys
rq = [json.loads(l) for l in open(sys.argv[1]) if "\"/v1/chat/completions\"" in l]
m = json.loads(rq[-1]["body"])["messages"]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$LOG" "$1" 2>/dev/null
}
paste_text() {
	tmx set-buffer -b e2e -- "$1"
	tmx paste-buffer -p -b e2e -t "$E2E_SESSION"
}
_seen_file_gone() { [ -s "$E2E_TMP/ed.seen" ] && [ ! -e "$(sed -n 2p "$E2E_TMP/ed.seen")" ]; }

d="a multi-line paste with no editor open opens the editor holding it, line by line"
if tui_start 100 30 && tui_wait "1 Models" && tui_wait_ready && paste_text "$(printf 'tell me a joke\nabout q\ns')" &&
	tui_wait "Prompt for openai/gpt-4o-mini · C-s sends" && tui_wait_re '│ tell me a joke +│' &&
	tui_wait_re '│ about q +│' && tui_wait_re '│ s +│'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="nothing is sent and its q did not quit"
if tui_alive && _requests_are 0; then ok "$d"; else tui_fail "$d" "requests: $(requests)"; fi

d="C-s sends it with its line breaks"
if tui_keys C-s && tui_poll 20 _requests_are 1 && last "m == [{'role': 'user', 'content': 'tell me a joke\\nabout q\\ns'}]" &&
	tui_wait "done (end_turn)" 20; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="n, then Enter: C-x C-e runs \$EDITOR on a 0600 temp file and the box shows what it wrote"
if tui_keys n && tui_wait "new conversation" && tui_keys Enter && tui_wait "Prompt for openai/gpt-4o-mini" &&
	tui_keys C-u BSpace C-u BSpace C-u && tui_type "from the box" && tui_keys C-x C-e && tui_wait "back from the editor" &&
	tui_wait_re '│ added by the editor +│' && tui_wait_re '│ from the box +│' &&
	[ "$(sed -n 1p "$E2E_TMP/ed.seen")" = 600 ] && tui_poll 5 _seen_file_gone && _requests_are 1; then
	ok "$d"
else
	tui_fail "$d" "seen: $(cat "$E2E_TMP/ed.seen" 2>/dev/null)" "requests: $(requests)"
fi

d="C-s sends what the editor wrote"
if tui_keys C-s && tui_poll 20 _requests_are 2 &&
	last "m == [{'role': 'user', 'content': 'from the box\\nadded by the editor'}]" && tui_wait "done (end_turn)" 20; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="E outside the box opens \$EDITOR on the follow-up and shows the result in the box, sending nothing"
rm -f "$E2E_TMP/ed.seen"
if tui_keys E && tui_wait "back from the editor" && tui_wait "Follow-up to openai/gpt-4o-mini (turn 2)" &&
	tui_wait_re '│ added by the editor +│' && tui_poll 5 _seen_file_gone && _requests_are 2; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="a follow-up of about 120,000 tokens is flagged near the 128k context window and not sent"
echo big >"$E2E_TMP/ed.mode"
if tui_keys C-x C-e && tui_wait "back from the editor: 480000 bytes" && tui_keys C-s &&
	tui_wait_re "this follow-up is about 1[0-9]{5} tokens, 9[0-9]%" &&
	_requests_are 2 && tui_wait "Follow-up to openai/gpt-4o-mini (turn 2)"; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="C-s again sends it, with the whole conversation before it"
if tui_keys C-s && tui_poll 20 _requests_are 3 &&
	last "len(m) == 3 and m[0]['content'] == 'from the box\\nadded by the editor' and len(m[2]['content']) == 480000" &&
	tui_wait "conversation: 2 turns" 20; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="q quits 0; no temp file is left"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ] && [ -z "$(ls "$E2E_TMP" | grep aiwb-prompt)" ]; then
	ok "$d"
else
	tui_fail "$d"
fi
tui_stop

d="a template variable is edited in the box: the rag template's context takes a multi-line paste"
if tui_start 120 40 && tui_wait "1 Models" && tui_keys 2 t && tui_wait "Pick a template" && tui_type rag &&
	tui_wait_re "rag +rag" && tui_keys Enter && tui_wait "question (string) · C-s sets" && tui_type "Why?" &&
	tui_keys C-s && tui_wait_re 'question +string += Why\?' && tui_keys Enter && tui_wait "context (string) · C-s sets" &&
	paste_text "$(printf '[1] first passage\n[2] second passage\n[3] third')" && tui_wait_re '│ \[2\] second passage +│' &&
	tui_keys C-s; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the form shows the multi-line value: its first line and (+2 lines), its lines under the form"
if tui_wait_re 'context +string += \[1\] first passage  \(\+2 lines\)' && tui_wait_re '│ +│ \[2\] second passage' &&
	tui_wait_re '│ +│ \[3\] third'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="s sends the template with the value's line breaks"
if tui_keys s && tui_poll 20 _requests_are 4 &&
	last "'Context:\\n[1] first passage\\n[2] second passage\\n[3] third\\n' in m[-1]['content'] and 'Question: Why?' in m[-1]['content']"; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi
tui_stop
e2e_done
