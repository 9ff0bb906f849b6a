#!/bin/sh
# Conversations in the workbench (tmux, 120x40) against the fake OpenAI
# server, with three models marked (a compare of three columns):
#  - a first prompt of two lines goes to the three models; a follow-up written
#    after the answers goes to all three, each request carrying the whole
#    conversation (the two-line question, that model's answer, the follow-up),
#    as the fake's request log shows; each column shows its conversation's
#    totals, and the history has the follow-ups as turn 2 of each model's
#    conversation (the first run's id);
#  - n starts a new conversation: Enter then edits a first prompt again;
#  - the history view re-opens the conversation whole (every column its turns)
#    and a follow-up continues it: five messages each, saved as turn 3.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

if ! fake_start conv --max-seconds 300; then
	fail "the fake server starts" "$(cat "$E2E_TMP/conv.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
LOG=$E2E_TMP/conv.log
e2e_home
TUI_ENV="OPENAI_API_KEY=sk-e2e-conv OPENAI_BASE_URL=$URL/v1"
ANSWER="Hello from the fake OpenAI. One two three four five six seven eight."

requests() {
	_n=$(grep -c '"path":"/v1/chat/completions"' "$LOG" 2>/dev/null)
	echo "${_n:-0}"
}
_requests_are() { [ "$(requests)" = "$1" ]; }

# last3 PYEXPR: the last three chat requests' bodies (b, a list of dicts)
# satisfy PYEXPR.
last3() {
	"$E2E_PY" -c 'import json, sys
rq = [json.loads(l) for l in open(sys.argv[1]) if "\"/v1/chat/completions\"" in l]
b = [json.loads(r["body"]) for r in rq[-3:]]
ans = sys.argv[3]
sys.exit(0 if len(rq) >= 3 and eval(sys.argv[2]) else 1)' "$LOG" "$1" "$ANSWER" 2>/dev/null
}

# db PYEXPR: rows = [(id, kind, model, conversation, turn)] in id order.
db() {
	"$E2E_PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = list(c.execute("SELECT id, kind, model, conversation, turn FROM runs ORDER BY id"))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$AIWB_HOME/aiwb.db" "$1" 2>/dev/null
}

MODELS="{'gpt-4o', 'gpt-4o-mini', 'gpt-4.1-mini'}"

d="three models marked; Enter opens the editor box for the three"
if tui_start 120 40 && tui_wait_re "openai +6 models" 20 && tui_keys g j Space j Space j Space &&
	tui_wait "Space mark (3)" && tui_keys 2 && tui_wait "→ compare 3 marked models" && tui_keys Enter &&
	tui_wait "Prompt for 3 models · C-s sends · Enter new line"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter makes a new line in the box and sends nothing; C-s sends to the three models"
if tui_type "first line" && tui_keys Enter && tui_type "second line" && tui_wait "second line" &&
	tui_wait_re '│ first line +│' && _requests_are 0 && tui_keys C-s && tui_poll 20 _requests_are 3 &&
	tui_wait "done (end_turn)" 20 &&
	last3 "{x['model'] for x in b} == $MODELS and all(x['messages'] == [{'role': 'user', 'content': 'first line\\nsecond line'}] for x in b)"; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="after the answers Enter writes a follow-up to the three models (turn 2)"
if tui_poll 20 db "len(rows) == 3" && tui_keys Enter && tui_wait "Follow-up to 3 models (turn 2)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the follow-up goes to every column with that column's whole conversation"
if tui_type "and more?" && tui_keys C-s && tui_poll 20 _requests_are 6 && tui_wait "conversation: 2 turns" 20 &&
	last3 "{x['model'] for x in b} == $MODELS and all(x['messages'] == [{'role': 'user', 'content': 'first line\\nsecond line'}, {'role': 'assistant', 'content': ans}, {'role': 'user', 'content': 'and more?'}] for x in b)"; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)" "$(tail -n 3 "$LOG" | cut -c1-400)"
fi

d="each column shows its conversation: the follow-up under '── you ──', totals of both turns"
if tui_keys z && tui_wait "── you ──" && tui_wait "and more?" && tui_wait_re 'conversation: 2 turns · [0-9]+ in / [0-9]+' &&
	tui_keys z && tui_wait "4 Jobs"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the history saves each follow-up as turn 2 of its model's conversation (the first run's id)"
if tui_poll 20 db "len(rows) == 6 and all(r[3] == r[0] and r[4] == 1 for r in rows[:3]) and all(r[4] == 2 and {x[0]: x[2] for x in rows[:3]}.get(r[3]) == r[2] for r in rows[3:])"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="n starts a new conversation: Enter opens an empty box for a first prompt"
if tui_keys n && tui_wait "new conversation: the next send starts it" && tui_keys Enter &&
	tui_wait "Prompt for 3 models" && tui_wait_gone "second line" && tui_keys Escape &&
	tui_wait_gone "Prompt for 3 models"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the history view re-opens the conversation whole: every column its two turns"
if tui_keys H && tui_wait "compare ×2" && tui_keys C-r && tui_wait "re-opened conversation" && tui_keys z &&
	tui_wait "and more?" && tui_wait "── you ──" && tui_wait "conversation: 2 turns" && tui_keys z && tui_wait "4 Jobs"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a follow-up continues it: each model gets five messages, saved as turn 3"
if tui_keys Enter && tui_wait "Follow-up to 3 models (turn 3)" && tui_type "third?" && tui_keys C-s &&
	tui_poll 20 _requests_are 9 &&
	last3 "{x['model'] for x in b} == $MODELS and all([m['content'] for m in x['messages']] == ['first line\\nsecond line', ans, 'and more?', ans, 'third?'] for x in b)" &&
	tui_poll 20 db "len(rows) == 9 and all(r[4] == 3 and {x[0]: x[2] for x in rows[:3]}.get(r[3]) == r[2] for r in rows[6:])"; then
	ok "$d"
else
	tui_fail "$d" "requests: $(requests)"
fi

d="q quits 0"
if tui_wait "conversation: 3 turns" 20 && tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi
tui_stop
e2e_done
