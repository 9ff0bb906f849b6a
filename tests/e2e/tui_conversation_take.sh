#!/bin/sh
# A conversation's column in a real terminal (tmux, 120x40) against the fake
# OpenAI server, whose answers are deterministic:
#  - after n, a first send shows its question under "── you ──" above the
#    answer, as a follow-up shows its own; after a follow-up the column holds
#    both questions and both answers;
#  - y writes an OSC 52 sequence (captured with pipe-pane, base64-decoded)
#    holding the latest answer only, o gives $PAGER the latest answer, W saves
#    it; C copies the whole conversation, every question and answer.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

ANSWER='Hello from the fake OpenAI. One two three four five six seven eight.'

URL=
fake_start take --max-seconds 300
d="the fake server starts"
if [ -n "$URL" ]; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/take.err" 2>&1)"
	e2e_done
	exit 1
fi

e2e_home
PAGER_DIR=$E2E_TMP/pager
mkdir -p "$PAGER_DIR" "$E2E_TMP/tmpdir" "$E2E_TMP/saved"
cat >"$PAGER_DIR/pager.sh" <<-'EOF2'
	#!/bin/sh
	d=$(dirname "$0")
	cp "$1" "$d/copy.tmp" && mv "$d/copy.tmp" "$d/copy"
EOF2
chmod 755 "$PAGER_DIR/pager.sh"
TUI_ENV="OPENAI_API_KEY=sk-e2e-take OPENAI_BASE_URL=$URL/v1 PAGER=$PAGER_DIR/pager.sh TMPDIR=$E2E_TMP/tmpdir"

# _in_order T...: the screen holds each text on a row below the row of the one before.
_in_order() {
	printf '%s\n' "$TUI_LAST" | "$E2E_PY" -c 'import sys
rows = sys.stdin.read().split("\n")
at = -1
for t in sys.argv[1:]:
    at = next((i for i in range(at + 1, len(rows)) if t in rows[i]), None)
    if at is None:
        sys.exit(1)' "$@"
}

OUT=$E2E_TMP/pty.out
# _osc52_is TEXT: the last OSC 52 sequence written to the terminal carries TEXT, byte for byte.
_osc52_is() {
	"$E2E_PY" -c 'import base64, re, sys
seqs = re.findall(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", open(sys.argv[1], "rb").read())
sys.exit(0 if seqs and base64.b64decode(seqs[-1]) == sys.argv[2].encode() else 1)' "$OUT" "$1" 2>/dev/null
}
# _osc52_holds A B...: the last OSC 52 sequence holds every one of the texts, in that order.
_osc52_holds() {
	"$E2E_PY" -c 'import base64, re, sys
seqs = re.findall(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", open(sys.argv[1], "rb").read())
text = base64.b64decode(seqs[-1]).decode() if seqs else ""
at = 0
for t in sys.argv[2:]:
    at = text.find(t, at)
    if at < 0:
        sys.exit(1)
    at += len(t)' "$OUT" "$@" 2>/dev/null
}
_osc52_dump() {
	"$E2E_PY" -c 'import base64, re, sys
seqs = re.findall(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", open(sys.argv[1], "rb").read())
print(repr(base64.b64decode(seqs[-1])) if seqs else "no OSC 52 written")' "$OUT" 2>&1
}

d="after n, a first send shows the question under '── you ──' above its answer"
if tui_start 120 40 && tui_wait_re "openai +6 models" && tui_keys g j j Enter && tui_wait "openai/gpt-4o-mini" &&
	tui_keys 2 z && tui_wait "Free prompt" && tui_keys n && tui_wait_bottom "*new conversation: the next send starts it*" &&
	tui_keys i && tui_wait "C-s sends" && tui_type "What comes first?" && tui_keys C-s &&
	tui_wait "done (" && tui_wait "── you ──" && tui_wait "── answer ──" &&
	_in_order "── you ──" "What comes first?" "── answer ──" "Hello from the fake OpenAI." "done (end_turn)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a follow-up: the column holds both questions and both answers, in order"
if tui_keys Enter && tui_wait "Follow-up to openai/gpt-4o-mini (turn 2)" && tui_type "And what second?" &&
	tui_keys C-s && tui_wait "conversation: 2 turns" && tui_keys g &&
	tui_poll 10 _in_order "── you ──" "What comes first?" "── answer ──" "Hello from the fake OpenAI." "── you ──" \
		"And what second?" "── answer ──" "Hello from the fake OpenAI." "conversation: 2 turns"; then
	ok "$d"
else
	tui_fail "$d"
fi

: >"$OUT"
d="y copies the latest answer only: the OSC 52 bytes decode to that answer, byte for byte"
if tmx pipe-pane -o -t "$E2E_SESSION" "cat >>'$OUT'" && tui_keys y &&
	tui_wait_bottom "*copied ${#ANSWER} bytes of openai/gpt-4o-mini's answer*" && tui_poll 5 _osc52_is "$ANSWER"; then
	ok "$d"
else
	tui_fail "$d" "copied: $(_osc52_dump)"
fi

d="Y copies the latest answer whole too"
if : >"$OUT" && tui_keys Y && tui_wait_bottom "*copied ${#ANSWER} bytes of openai/gpt-4o-mini's answer*" &&
	tui_poll 5 _osc52_is "$ANSWER"; then
	ok "$d"
else
	tui_fail "$d" "copied: $(_osc52_dump)"
fi

d="C copies the whole conversation: both questions and both answers, in order"
if : >"$OUT" && tui_keys C && tui_wait_bottom "*bytes of openai/gpt-4o-mini's conversation*" &&
	tui_poll 5 _osc52_holds "── you ──" "What comes first?" "── answer ──" "$ANSWER" "── you ──" "And what second?" \
		"── answer ──" "$ANSWER"; then
	ok "$d"
else
	tui_fail "$d" "copied: $(_osc52_dump)"
fi
tmx pipe-pane -t "$E2E_SESSION" 2>/dev/null

d="o opens the latest answer alone in \$PAGER"
if tui_keys o && tui_poll 10 _file_exists "$PAGER_DIR/copy" && [ "$(cat "$PAGER_DIR/copy")" = "$ANSWER" ] &&
	tui_wait_bottom "*back from the pager (openai/gpt-4o-mini's answer)*"; then
	ok "$d"
else
	tui_fail "$d" "pager got: $(cat "$PAGER_DIR/copy" 2>&1)"
fi

SAVED=$E2E_TMP/saved/latest.txt
d="W saves the latest answer alone"
if tui_keys W && tui_wait_bottom 'save the answer to>*' && tui_type "$SAVED" && tui_keys Enter &&
	tui_wait_bottom "*saved ${#ANSWER} bytes of openai/gpt-4o-mini's answer to*" && tui_poll 5 _file_exists "$SAVED" &&
	[ "$(cat "$SAVED")" = "$ANSWER" ]; then
	ok "$d"
else
	tui_fail "$d" "file: $(cat "$SAVED" 2>&1)"
fi

d="? lists C in the Prompt pane's help; q quits 0"
if tui_keys '?' && tui_wait "Copy the column's whole conversation (OSC 52)" && tui_keys '?' &&
	tui_wait_gone "Copy the column's whole conversation" && tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi
tui_stop
e2e_done
