#!/bin/sh
# The Prompt pane's prompt lab in a real terminal (tmux, 120x40) against the
# fake model server: pick a template, fill its variable, preview the
# messages, send to three marked models at once (the compare view: one
# column each, streaming together, each with its metrics), zoom and re-run a
# column, set a system prompt and save the prompt as a new template. Every
# check polls the screen, the fake's log or the history database with a
# deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

COLS=120
ROWS=40

URL=
LAB_URL=
fake_start tp --max-seconds 300 && relay_start "$URL" tokens-40-tps-20 cut
d="the fake server and the lab relay start"
if [ -n "$URL" ] && [ -n "$LAB_URL" ]; then
	ok "$d"
else
	fail "$d" "fake: $(cat "$E2E_TMP/tp.err" 2>&1)" "relay: $(cat "$E2E_TMP/relay.err" 2>&1)"
	e2e_done
	exit 1
fi
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1 OLLAMA_HOST=$URL LAB_API_KEY=sk-e2e-lab"

e2e_home
printf '{ "providers": { "lab": { "type": "openai", "base_url": "%s/v1", "api_key_env": "LAB_API_KEY" } } }\n' \
	"$LAB_URL" >"$E2E_HOME/config.json"
AIWB_CONFIG=$E2E_HOME/config.json
export AIWB_CONFIG

# db PYEXPR: the history database satisfies PYEXPR, with rows bound to a list
# of (kind, model, params dict, output) in id order.
db() {
	"$E2E_PY" -c 'import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
rows = [(k, m, json.loads(p or "{}"), o) for k, m, p, o in c.execute("SELECT kind, model, params, output FROM runs ORDER BY id")]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$AIWB_HOME/aiwb.db" "$1" 2>/dev/null
}

d="three models marked in Models: gpt-4o-mini and both lab models ('mark (3)')"
if tui_start $COLS $ROWS && tui_wait_re "openai +6 models" && tui_keys G && tui_wait_re "lab +2 models" &&
	tui_keys Space && tui_wait "Space mark (1)" && tui_keys k Space && tui_wait "Space mark (2)" &&
	tui_keys g j j Space && tui_wait "Space mark (3)" && tui_wait_re '\* +gpt-4o-mini'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the Prompt pane (zoomed) names the three marked models it will compare"
if tui_keys 2 z && tui_wait "2 Prompt (zoomed)" && tui_wait "→ compare 3 marked models:" &&
	tui_wait "Free prompt · t picks a template"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="t lists the templates with technique and description; typing 'few' filters to the few-shot ones"
if tui_keys t && tui_wait "Pick a template" && tui_wait "(free prompt)" && tui_wait_re "zero-shot +zero-shot" &&
	tui_wait_re "chain-of-thought +chain-of-thought" && tui_type few && tui_wait "type to filter: few" &&
	tui_wait_re "chain-of-thought-few-shot +chain-of-thought" && tui_wait_re "  few-shot +few-shot" &&
	tui_wait_gone "zero-shot"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter picks it: the form shows the required variable and its editor opens at once"
if tui_keys Down Enter && tui_wait "Template few-shot · few-shot · one call" &&
	tui_wait_re '\* question +string += \(required\)' && tui_wait_re 'task +string += Classify the sentiment.*\(default\)' &&
	tui_wait 'question (string) · C-s sets'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the value typed fills the field; the preview shows the rendered system, examples and question"
if tui_type "Loud fan but great screen" && tui_keys C-s && tui_wait_re 'question +string += Loud fan but great screen' &&
	tui_wait "Preview (p hides it):" && tui_wait "[system]" && tui_wait "Classify the sentiment of the text" &&
	tui_wait "[assistant]" && tui_wait "positive" && tui_wait "Loud fan but great screen"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="s sends to the three models at once: a column each, streaming together"
if tui_keys s && tui_wait_gone "Preview (p hides it):" && tui_wait "openai/gpt-4o-mini" &&
	tui_wait "lab/tokens-40-tps-20" && tui_wait "lab/cut" && tui_wait "streaming… C-c cancels"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="each column ends with its own metrics and state: done, done, and the cut one says so"
if tui_wait "Hello from the fake OpenAI." && tui_poll 15 _has_re 'TTFT [0-9]+ ms +· [0-9]+ in / [0-9]+ out.*TTFT [0-9]+ ms +· [0-9]+ in / 40 out.*TTFT [0-9]+ ms +· [0-9]+ in / 13 out' &&
	tui_wait_re '[0-9.]+ tok/s +· price unknown +· [0-9.]+ s +│[0-9.]+ tok/s +· \$0\.0000[0-9]+ +· [0-9.]+ s' &&
	tui_wait "the stream was cut" && tui_wait_gone "streaming… C-c cancels" && tui_wait "done (end_turn)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the fake received the rendered few-shot messages from all three models"
if log_ok() {
	"$E2E_PY" -c 'import json, sys
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("method") != "POST":
        continue
    b = json.loads(r.get("body") or "null") or {}
    m = b.get("messages") or []
    if len(m) == 8 and m[0]["role"] == "system" and m[-1]["content"] == "Loud fan but great screen" and m[2]["content"] == "positive":
        seen.add(b.get("model"))
sys.exit(0 if seen >= {"gpt-4o-mini", "tokens-40-tps-20", "cut"} else 1)' "$E2E_TMP/tp.log"
}; log_ok; then
	ok "$d"
else
	fail "$d" "$(tail -3 "$E2E_TMP/tp.log")"
fi

d="history holds the three answers as one compare group, with the template and its variable"
if tui_poll 5 db "len(rows) == 3 and all(k == 'compare' for k, m, p, o in rows) and len({p.get('compare_group') for k, m, p, o in rows}) == 1 and rows[0][2]['compare_group'] and all(p.get('template') == 'few-shot' and p['vars'].get('question') == 'Loud fan but great screen' for k, m, p, o in rows)"; then
	ok "$d"
else
	fail "$d" "$("$E2E_PY" -c 'import sqlite3,sys; print(list(sqlite3.connect(sys.argv[1]).execute("select kind, model, params from runs")))' "$AIWB_HOME/aiwb.db" 2>&1)"
fi

d="l then f zooms the second column alone; f again shows all three"
if tui_keys l f && tui_wait_re "lab/tokens-40-tps-20 +2-2 of 3" && tui_wait_gone "│openai/gpt-4o-mini" &&
	tui_keys f && tui_wait_gone "2-2 of 3" && tui_wait "│openai/gpt-4o-mini" && tui_wait "│lab/tokens-40-tps-20"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="r re-runs the focused column only: it streams again and a fourth row is saved"
if tui_keys r && tui_wait_bottom '*re-running lab/tokens-40-tps-20*' && tui_wait "streaming… C-c cancels" &&
	tui_wait_gone "streaming… C-c cancels" && tui_poll 5 db "len(rows) == 4 and rows[3][1] == 'lab/tokens-40-tps-20'"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="d shows the word diff of the focused column and the next: the extra words of the longer answer marked, the question above the answers left out"
if tui_keys d && tui_wait "Word diff: [-lab/tokens-40-tps-20-] {+openai/gpt-4o-mini+}" &&
	tui_wait "seven eight.[- tok14 tok15" && tui_wait "tok40-]" && _lacks_text "── you ──" && tui_keys h &&
	tui_wait "Word diff: [-lab/cut-] {+lab/tokens-40-tps-20+}" && tui_wait "Hello from the{+ fake OpenAI. One" &&
	tui_keys d && tui_wait_gone "Word diff:" && tui_wait "│openai/gpt-4o-mini"; then
	ok "$d"
else
	tui_fail "$d"
fi

# _system_first TEXT: the preview's [system] line is followed by TEXT.
_system_first() { printf '%s\n' "$TUI_LAST" | grep -A1 -F '[system]' | grep -qF "$1"; }

d="S sets a system prompt: shown above the form, and the preview puts it first"
if tui_keys S && tui_wait 'System prompt · C-s sets' && tui_type "Answer in French." && tui_keys C-s &&
	tui_wait_bottom '*system prompt set*' && tui_wait "system: Answer in French." && tui_keys p &&
	tui_wait "Preview (p hides it):" && tui_poll 5 _system_first "Answer in French."; then
	ok "$d"
else
	tui_fail "$d"
fi

d="w saves the prompt as a new template; the picker lists it and it loads with the value as default"
if tui_keys w && tui_wait_bottom 'save as template>*' && tui_type "my-few" && tui_keys Enter &&
	tui_wait_bottom '*saved template my-few to*' && [ -s "$XDG_CONFIG_HOME/aiwb/prompts/my-few.prompt" ] &&
	tui_keys t && tui_wait "Pick a template" && tui_type my- && tui_wait_re "my-few +few-shot" && tui_keys Enter &&
	tui_wait "Template my-few · few-shot" && tui_wait_re 'question +string += Loud fan but great screen +\(default\)'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the saved file is a template the CLI renders too"
if "$AIWB_BIN" prompt render my-few >"$E2E_TMP/render" 2>&1 && grep -q "Answer in French." "$E2E_TMP/render" &&
	grep -q "Loud fan but great screen" "$E2E_TMP/render"; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/render")"
fi

d="q quits cleanly"
if tui_keys Escape q && tui_wait_exit; then
	ok "$d"
else
	tui_fail "$d"
fi
e2e_done
