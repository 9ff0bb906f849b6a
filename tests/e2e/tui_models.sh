#!/bin/sh
# The Models pane and the first Prompt pane in a real terminal (tmux, 120x40,
# TERM=tmux-256color, C.UTF-8, UTC, a private home) against the fake model
# server (tests/fakes/fakellm). Keys go in with send-keys; every check polls
# the screen, the fake's request log or the history database with a deadline.
#
# The fake lists fixed models, so the scenario models (a slow stream, a long
# answer, escape sequences) come from a provider of our own, "lab", declared
# in config.json as OpenAI-compatible: its base URL is a small relay (below)
# that answers GET /v1/models with those names and passes every other request
# to the fake unchanged, so the fake's log sees exactly what aiwb sent.
#
# Layout at 120x40 (ui/app.c): the Models frame is rows 0-18, columns 0-47;
# the Prompt frame rows 0-18, columns 48-119; inner windows start 1 row and 2
# columns in. The Prompt pane's rows: "Free prompt", "> prompt", the model
# and its parameters, a rule, 11 rows of answer, the metrics line, the state line.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

COLS=120
ROWS=40
PROMPT="Say hello to the test"

# ---------------------------------------------------------------- helpers

# start: a fresh home with the lab provider in its config, aiwb in tmux, the
# providers answered (openai and lab list their models).
start() {
	e2e_home
	printf '{ "providers": { "lab": { "type": "openai", "base_url": "%s/v1", "api_key_env": "LAB_API_KEY" } } }\n' \
		"$LAB_URL" >"$E2E_HOME/config.json"
	AIWB_CONFIG=$E2E_HOME/config.json
	export AIWB_CONFIG
	restart
}

# restart: aiwb again on the same home. (lab, the last provider, is below
# the pane's fold until the cursor goes down.)
restart() {
	tui_start $COLS $ROWS && tui_wait "1 Models" && tui_wait_re "openai +6 models" && tui_wait_re "ollama +6 models"
}

# pane_rows Y0 X0 H W: the inner rows of the frame at (Y0, X0) of H x W in
# the last screen ($TUI_LAST), each exactly as wide as the inner window.
pane_rows() {
	printf '%s' "$TUI_LAST" | "$E2E_PY" -c '
import sys
y0, x0, h, w = map(int, sys.argv[1:5])
rows = sys.stdin.read().split("\n")
for r in rows[y0 + 1:y0 + h - 1]:
    print(r[x0 + 2:x0 + w - 2].ljust(w - 4))' "$@"
}

# The 11 answer rows of the Prompt pane in the last screen.
answer_rows() { pane_rows 0 48 19 72 | sed -n '5,15p'; }
# The answer as one string: the pane wraps at spaces, so the rows are joined
# with one space each after their trailing blanks are cut; the question shown
# above it (up to "── answer ──") is left out.
answer_joined() {
	answer_rows | sed 's/ *$//' | grep -v '^$' | tr '\n' ' ' | sed 's/ *$//; s/^.*── answer ── *//'
}
_answer_is() { [ "$(answer_rows)" = "$1" ]; }
_answer_not() { [ "$(answer_rows)" != "$1" ]; }
_joined_starts() { case $(answer_joined) in "$1"*) return 0 ;; esac; return 1; }
_joined_ends() { case $(answer_joined) in *"$1") return 0 ;; esac; return 1; }

# select_model KEYS...: focuses Models, sends KEYS and Enter.
select_model() {
	tui_keys 1 && tui_wait_bottom ' Models *' && tui_keys "$@" Enter
}

# ask TEXT: focuses Prompt, opens the prompt line, sends TEXT.
ask() {
	tui_keys 2 && tui_wait_bottom ' Prompt *' && tui_keys n Enter && tui_wait 'C-s sends' &&
		tui_keys C-u && tui_type "$1" && tui_keys C-s
}

# set_params TEXT: e on the model under the cursor, the line replaced by TEXT.
set_params() {
	tui_keys e && tui_wait_bottom 'params: *' && tui_keys C-u && tui_type "$1" && tui_keys Enter
}

# log_has PYEXPR: some request in the fake's log satisfies PYEXPR, with the
# log line bound to r and its JSON body to b.
log_has() {
	"$E2E_PY" -c 'import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    try:
        b = json.loads(r.get("body") or "null")
    except ValueError:
        b = None
    if eval("(" + sys.argv[2] + ")"):
        sys.exit(0)
sys.exit(1)' "$E2E_TMP/tm.log" "$1"
}

# db_check PYEXPR: the history, opened read-only, satisfies PYEXPR with rows
# bound to a list of (model, prompt, params, output, metrics) in id order
# (params and metrics parsed). The output is the model's text as received,
# bytes that are not UTF-8 included, so text is decoded with U+FFFD for them.
db_check() {
	"$E2E_PY" -c 'import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
c.text_factory = lambda b: b.decode("utf-8", "replace")
rows = [(m, p, json.loads(pa or "{}"), o, json.loads(me or "{}"))
        for m, p, pa, o, me in c.execute("SELECT model, prompt, params, output, metrics FROM runs ORDER BY id")]
c.close()
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$AIWB_HOME/aiwb.db" "$1"
}

db_dump() {
	"$E2E_PY" -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
c.text_factory = lambda b: b.decode("utf-8", "replace")
for r in c.execute("SELECT id, model, prompt, params, substr(output, 1, 60), metrics FROM runs"):
    print(r)' "$AIWB_HOME/aiwb.db" 2>&1
}

# ---------------------------------------------------------------- set-up

URL=
LAB_URL=
fake_start tm --max-seconds 300 && relay_start "$URL" cut tokens-300 evil tokens-400-tps-20
d="the fake server and the lab relay start"
if [ -n "$URL" ] && [ -n "$LAB_URL" ]; then
	ok "$d"
else
	fail "$d" "fake: $(cat "$E2E_TMP/tm.err" 2>&1)" "relay: $(cat "$E2E_TMP/relay.err" 2>&1)"
	e2e_done
	exit 1
fi
# OpenAI and Ollama usable; Anthropic without a key and Bedrock without AWS
# credentials, with their endpoints still pointed at the fake.
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1 OLLAMA_HOST=$URL ANTHROPIC_BASE_URL=$URL
AWS_REGION=us-east-1 AWS_ENDPOINT_URL_BEDROCK_RUNTIME=$URL AWS_ENDPOINT_URL_BEDROCK=$URL LAB_API_KEY=sk-e2e-lab"

# ---------------------------------------------------------------- Models

d="Models lists openai's models with context and price: gpt-4o-mini 128k \$0.15/\$0.60"
if start && tui_wait_re 'gpt-4o-mini +128k +\$0\.15/\$0\.60' && tui_wait_re 'gpt-4o +128k +\$2\.50/\$10\.00'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Models lists ollama's models and the configured provider lab with the relay's models"
if tui_wait_re "ollama +6 models" && tui_wait "llama3.1:latest" && tui_keys G && tui_wait_re "lab +4 models" &&
	tui_wait "tokens-400-tps-20" && tui_wait "tokens-300" && tui_keys g && tui_wait_re "openai +6 models"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="/ filters the Models list by a part of the name, any case; Enter keeps the filter, Esc clears it"
if tui_keys / && tui_type LLAMA3 && tui_wait "/LLAMA3" && tui_wait "llama3.1:latest" && tui_wait_gone "gpt-4o-mini" &&
	tui_keys Enter && tui_wait "/LLAMA3  " && tui_wait "Esc clears" && tui_keys Escape && tui_wait_gone "/LLAMA3" &&
	tui_wait "gpt-4o-mini" && tui_keys g && tui_wait_re "openai +6 models"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a provider without credentials is 'not usable' with the reason (zoomed: the whole sentence)"
if tui_wait_re 'anthropic +not usable: anthropic: no API key' && tui_wait_re 'bedrock +not usable: no AWS credentials' &&
	tui_keys z && tui_wait "1 Models (zoomed)" &&
	tui_wait "anthropic  not usable: anthropic: no API key: set ANTHROPIC_API_KEY or run: aiwb keys set anthropic" &&
	tui_keys z && tui_wait_gone "(zoomed)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="j j j k then Enter selects gpt-4o-mini: 'selected openai/gpt-4o-mini' and its row marked >"
if select_model j j j k && tui_wait_bottom '*selected openai/gpt-4o-mini for the Prompt pane*' &&
	tui_wait_re '> +gpt-4o-mini +128k' && tui_wait "openai/gpt-4o-mini"; then
	ok "$d"
else
	tui_fail "$d"
fi

# The cursor stays visible on a provider's row; Enter there folds its models
# (▸) and selects nothing, Enter again unfolds them.
d="Enter on a provider's row folds its models and selects nothing; Enter again unfolds them"
if tui_keys g Enter && tui_wait_re "▸ openai +6 models" && tui_wait_gone "gpt-4.1-mini" &&
	tui_wait_bottom '*selected openai/gpt-4o-mini for the Prompt pane*' && tui_keys Enter &&
	tui_wait "gpt-4.1-mini" && tui_wait_re "^│ openai +6 models" && tui_keys j Space && tui_wait "Space mark (1)" &&
	tui_keys Space && tui_wait "Space mark (0)" && tui_keys j; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Space marks the model (hint 'mark (1)', row shows *); Space again unmarks (0)"
if tui_keys Space && tui_wait "Space mark (1)" && tui_wait_re '>\* gpt-4o-mini' && tui_keys Space &&
	tui_wait "Space mark (0)" && tui_wait_re '>  gpt-4o-mini'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Space on two models counts both: mark (2)"
if tui_keys Space j Space && tui_wait "Space mark (2)" && tui_keys Space k Space && tui_wait "Space mark (0)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="e opens the parameters: 'params: temperature=- top_p=- max_tokens=-'"
if tui_keys e && tui_wait_bottom 'params: temperature=- top_p=- max_tokens=-*' && tui_keys Escape &&
	tui_wait_bottom ' Models *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a bad parameter is refused with the rule, nothing set"
if set_params "temperature=9" && tui_wait "parameters are temperature=0..2 top_p=0..1 max_tokens=N" &&
	tui_wait_gone "temp 9"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="temperature=0.2 max_tokens=5: status confirms, Prompt header shows 'temp 0.2' and 'max 5'"
if set_params "temperature=0.2 max_tokens=5" && tui_wait "parameters set for openai/gpt-4o-mini" &&
	tui_wait "openai/gpt-4o-mini  temp 0.2  max 5"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="e again shows the values set: 'params: temperature=0.2 top_p=- max_tokens=5'"
if tui_keys e && tui_wait_bottom 'params: temperature=0.2 top_p=- max_tokens=5*' && tui_keys Escape &&
	tui_wait_bottom ' Models *'; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- Prompt

d="the Prompt pane says how many runs the history holds (0) before anything is sent"
if tui_wait "Nothing sent yet. 0 runs in history."; then ok "$d"; else tui_fail "$d"; fi

d="Enter in Prompt opens the editor box 'Prompt for openai/gpt-4o-mini'; Esc closes it"
if tui_keys 2 && tui_wait_bottom ' Prompt *' && tui_keys Enter && tui_wait 'Prompt for openai/gpt-4o-mini · C-s sends' &&
	tui_keys Escape && tui_wait_gone 'Prompt for openai/gpt-4o-mini · C-s sends'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the prompt with max 5 streams the first 5 words and ends 'done (max_tokens)'"
if ask "$PROMPT" && tui_wait "> $PROMPT" && tui_wait "done (max_tokens)" && tui_poll 5 _joined_starts \
	"Hello from the fake OpenAI." && _lacks_text "One two"; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

d="the request the fake got carries temperature 0.2 and max_completion_tokens (or max_tokens) 5"
if log_has 'b and b.get("messages", [{}])[-1].get("content") == "'"$PROMPT"'" and b.get("temperature") == 0.2 and
    (b.get("max_completion_tokens") == 5 or b.get("max_tokens") == 5) and r["model"] == "gpt-4o-mini"'; then
	ok "$d"
else
	fail "$d" "log: $(grep chat "$E2E_TMP/tm.log" | tail -2)"
fi

d="max_tokens=- unsets it: the header drops 'max 5', keeps 'temp 0.2'"
if select_model && tui_wait_bottom '*selected openai/gpt-4o-mini*' && set_params "max_tokens=-" &&
	tui_wait "parameters set for openai/gpt-4o-mini" && tui_wait "openai/gpt-4o-mini  temp 0.2" &&
	tui_wait_gone "max 5"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the next prompt streams the whole answer into the pane and ends 'done (end_turn)'"
if ask "$PROMPT" && tui_wait "done (end_turn)" &&
	tui_poll 5 _joined_starts "Hello from the fake OpenAI. One two three four five six seven eight."; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

d="the metrics line shows TTFT, 5 in / 13 out tokens, tok/s and the cost \$0.000009"
if tui_wait_re 'TTFT [0-9]+ ms · 5 in / 13 out · [0-9.]+ tok/s · \$0\.000009 · [0-9.]+ s'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="that request has temperature 0.2 and no token limit"
if log_has 'b and b.get("temperature") == 0.2 and "max_tokens" not in b and "max_completion_tokens" not in b and
    b.get("messages", [{}])[-1].get("content") == "'"$PROMPT"'"'; then
	ok "$d"
else
	fail "$d" "log: $(grep chat "$E2E_TMP/tm.log" | tail -2)"
fi

d="both runs are in the history (read-only look at aiwb.db): params, output, status"
if tui_alive && db_check 'len(rows) == 2 and rows[0][0] == rows[1][0] == "openai/gpt-4o-mini" and
    rows[0][1] == "'"$PROMPT"'" and rows[0][2] == {"temperature": 0.2, "max_tokens": 5} and
    rows[0][3] == "Hello from the fake OpenAI." and rows[0][4]["stop_reason"] == "max_tokens" and
    rows[1][2] == {"temperature": 0.2} and rows[1][3].endswith("seven eight.") and rows[1][4]["status"] == "ok"'; then
	ok "$d"
else
	fail "$d" "$(db_dump)"
fi

# ---------------------------------------------------------------- a slow stream

d="lab's last model is selected with G: 'selected lab/tokens-400-tps-20'"
if select_model G && tui_wait_bottom '*selected lab/tokens-400-tps-20 for the Prompt pane*'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the slow answer (400 tokens at 20/s) streams in: text and 'streaming… C-c cancels'"
if ask "count slowly" && tui_wait "streaming… C-c cancels" && tui_poll 10 _joined_starts "Hello from the fake OpenAI. One"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="while it streams, Tab moves the focus to Knowledge at once and the answer keeps growing"
if tui_keys Tab && tui_wait_bottom ' Knowledge *' 5 && tui_wait "streaming… C-c cancels" && tui_wait "tok20" 10 &&
	tui_wait "streaming… C-c cancels"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the command line works while it streams (:zoom and back)"
if tui_keys : && tui_wait_bottom ':*' && tui_type zoom && tui_keys Enter && tui_wait "3 Knowledge (zoomed)" &&
	tui_keys z && tui_wait "2 Prompt" && tui_wait "streaming… C-c cancels"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="resizing while it streams lays the panes out again and the stream goes on"
if tui_resize 100 30 && tui_wait "2 Prompt" && tui_wait "streaming… C-c cancels" && tui_resize $COLS $ROWS &&
	tui_wait "4 Jobs" && tui_wait "streaming… C-c cancels" && tui_poll 10 _joined_starts "Hello from the fake"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="C-c in the Prompt pane cancels it: 'cancelled', the partial text stays"
if tui_keys 2 && tui_wait_bottom ' Prompt *' && tui_keys C-c &&
	tui_wait "cancelled; the partial answer was kept" && _joined_starts "Hello from the fake OpenAI. One two" &&
	_lacks_text "streaming…" && _lacks_text "tok400"; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

d="after the cancel the answer stops growing (unchanged for 2 s)"
_capture
frozen=$(answer_rows)
if ! tui_poll 2 _answer_not "$frozen" && tui_alive; then
	ok "$d"
else
	tui_fail "$d" "before: $frozen" "after: $(answer_rows)"
fi

d="the cancelled run is in the history with its partial text and status cancelled"
if db_check 'len(rows) == 3 and rows[2][0] == "lab/tokens-400-tps-20" and rows[2][4]["status"] == "cancelled" and
    rows[2][3].startswith("Hello from the fake OpenAI. One") and "tok400" not in rows[2][3]'; then
	ok "$d"
else
	fail "$d" "$(db_dump)"
fi

# ---------------------------------------------------------------- scrolling

d="a long answer (lab/tokens-300) ends in view: the pane shows its last token, not its first"
if select_model G k k && tui_wait_bottom '*selected lab/tokens-300 *' && ask "long answer" &&
	tui_wait "done (end_turn)" && tui_poll 5 _joined_ends " tok299 tok300" && ! _joined_starts "Hello"; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

d="Up moves the text down by one line"
_capture
before=$(answer_rows)
if tui_keys Up && tui_poll 5 _answer_not "$before"; then
	after=$(answer_rows)
	if [ "$(printf '%s\n' "$after" | sed -n '2,11p')" = "$(printf '%s\n' "$before" | sed -n '1,10p')" ]; then
		ok "$d"
	else
		fail "$d" "before:" "$before" "after:" "$after"
	fi
else
	tui_fail "$d"
fi

d="Down moves it back to the end"
if tui_keys Down && tui_poll 5 _answer_is "$before" && _joined_ends " tok300"; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

d="Up, enough times, reaches the first line of the answer"
set --
i=0
while [ $i -lt 40 ]; do
	set -- "$@" Up
	i=$((i + 1))
done
if tui_keys "$@" && tui_poll 5 _joined_starts "Hello from the fake OpenAI. One two" && ! _joined_ends "tok300"; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi
set --

# ---------------------------------------------------------------- hostile text

d="an 'evil' answer is shown sanitized: U+FFFD for bad bytes, the escape sequences gone"
tmx set -g set-clipboard on >/dev/null 2>&1
title0=$(tui_fmt '#{pane_title}')
if select_model G k && tui_wait_bottom '*selected lab/evil *' && ask "be evil" && tui_wait "done (end_turn)" &&
	tui_poll 5 _joined_starts "Evil: lone� overlong�� truncated� clip clear linkhere csired osc0;title bell safeEVIL end."; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

d="no escape sequence reached the terminal: no clipboard buffer, no title, no bell, no clear"
_capture
if [ -z "$(tmx list-buffers 2>/dev/null)" ] && [ "$(tui_fmt '#{pane_title}')" = "$title0" ] &&
	[ "$(tui_fmt '#{window_bell_flag}')" = 0 ] && tui_wait "1 Models" && tui_wait "4 Jobs" &&
	tui_wait "Space mark (0)"; then
	ok "$d"
else
	tui_fail "$d" "buffers: $(tmx list-buffers 2>&1)" "title: $(tui_fmt '#{pane_title}') (was $title0)" \
		"bell: $(tui_fmt '#{window_bell_flag}')"
fi

# ---------------------------------------------------------------- a cut stream

d="a stream cut mid-answer (lab/cut) keeps its partial text and says it was cut"
if select_model G k k k && tui_wait_bottom '*selected lab/cut *' && ask "cut me short" &&
	tui_wait "the stream was cut" && tui_poll 5 _joined_starts "Hello from the" && _lacks_text "streaming…" &&
	! _joined_ends "eight."; then
	ok "$d"
else
	tui_fail "$d" "answer: $(answer_joined)"
fi

# ---------------------------------------------------------------- history and exit

d="the history holds the 6 runs (tokens-300 and evil complete, cut marked cut)"
if db_check 'len(rows) == 6 and [r[0] for r in rows[3:]] == ["lab/tokens-300", "lab/evil", "lab/cut"] and
    rows[3][4]["status"] == rows[4][4]["status"] == "ok" and rows[3][3].endswith(" tok300") and
    rows[5][4]["status"] == "cut" and rows[5][3].startswith("Hello from the")'; then
	ok "$d"
else
	fail "$d" "$(db_dump)"
fi

d="q quits 0; started again on the same home, Prompt says '6 runs in history'"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ] && restart && tui_wait "Nothing sent yet. 6 runs in history."; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the API keys reach neither the screen, the log, the history nor stderr"
if _lacks_text "sk-e2e" && ! grep -rq "sk-e2e" "$AIWB_HOME" "$TUI_DIR/stderr"; then
	ok "$d"
else
	fail "$d" "$(grep -rl "sk-e2e" "$AIWB_HOME" "$TUI_DIR/stderr" 2>&1)"
fi
tui_keys q
tui_wait_exit

TUI_ENV=
e2e_done
