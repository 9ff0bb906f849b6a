#!/bin/sh
# The history view in a real terminal (tmux, 120x40, TERM=tmux-256color,
# C.UTF-8, UTC, a private home). The history is made by the real aiwb ask and
# aiwb compare against the fake model server (tests/fakes/fakellm) while the
# workbench is open (the view reads the history afresh on every key): run 1
# asks about zebras, run 2 gets an answer full of escape sequences
# (openai/evil), runs 3 and 4 are one compare of two models about penguins,
# runs 5 and 6 another compare; re-opening run 1 and the penguin compare and
# sending them again adds runs 7 to 9. Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
A=$AIWB_BIN
COLS=120
ROWS=40

if ! fake_start hist; then
	fail "the fake server starts" "$(cat "$E2E_TMP/hist.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
TUI_ENV="OPENAI_API_KEY=sk-e2e-hist OPENAI_BASE_URL=$URL/v1 OLLAMA_HOST=$URL"

start() {
	tui_start $COLS $ROWS && tui_wait "1 Models" && tui_wait "4 Jobs"
}

quit() {
	tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]
}

# The screen with its colours: the matched word drawn in the match role
# (default theme: 16 on 220).
_match_marked() {
	tmx capture-pane -e -p -t "$E2E_SESSION" | grep -q "48;5;220m$1"
}

# The number of runs in the history, and of distinct compare groups.
runs() { "$E2E_PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from runs").fetchone()[0])' "$AIWB_HOME/aiwb.db" 2>&1; }
groups() { "$E2E_PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(distinct json_extract(params, \"$.compare_group\")) from runs where kind = \"compare\"").fetchone()[0])' "$AIWB_HOME/aiwb.db" 2>&1; }
_runs_are() { [ "$(runs)" = "$1" ]; }
_groups_are() { [ "$(groups)" = "$1" ]; }

# ---------------------------------------------------------------- empty

d="H on an empty history says how runs get there; Esc closes it"
if start && tui_keys H && tui_wait "No runs in the history yet" && tui_wait "0 runs, newest first" &&
	tui_keys Escape && tui_wait_gone "No runs in the history yet" && tui_wait "2 Prompt"; then
	ok "$d"
else
	tui_fail "$d"
fi

# ---------------------------------------------------------------- seed

fake_env "$URL"
export OPENAI_API_KEY=sk-e2e-hist
"$A" ask -m openai/gpt-4o-mini "Tell me about zebras" >"$E2E_TMP/out1" 2>&1 &&
	"$A" ask -m openai/evil "giraffes are tall" >"$E2E_TMP/out2" 2>&1 &&
	"$A" compare -m openai/gpt-4o-mini -m ollama/llama3.1 "compare penguins" >"$E2E_TMP/out3" 2>&1
rc=$?
groups=$("$E2E_PY" -c 'import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(" ".join(str(json.loads(p).get("compare_group")) for (p,) in c.execute("SELECT params FROM runs ORDER BY id")))' \
	"$AIWB_HOME/aiwb.db" 2>&1)
set -- $groups
if [ "$rc" = 0 ] && [ $# = 4 ] && [ "$1" = None ] && [ "$2" = None ] && [ "$3" != None ] && [ "$3" = "$4" ]; then
	ok "ask twice and compare once fill the history; both compare rows carry one compare_group"
else
	fail "ask twice and compare once fill the history; both compare rows carry one compare_group" \
		"rc $rc, groups: $groups" "$(cat "$E2E_TMP/out1" "$E2E_TMP/out2" "$E2E_TMP/out3")"
fi
second=$(date +%s%6N)
"$A" compare -m openai/gpt-4o -m ollama/mistral "another compare" >/dev/null 2>&1
check "a second compare gets another group" "$E2E_PY" -c 'import json, sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
g = [json.loads(p).get("compare_group") for (p,) in c.execute("SELECT params FROM runs ORDER BY id")]
sys.exit(0 if len(g) == 6 and g[4] == g[5] and g[4] != g[2] and g[4] >= int(sys.argv[2]) else 1)' \
	"$AIWB_HOME/aiwb.db" "$second"

# ---------------------------------------------------------------- search as you type

d="H lists the runs newest first: time, kind, model, status, cost, prompt; the status line says History"
if tui_keys H && tui_wait "6 runs, newest first" && tui_wait_bottom ' History*' &&
	tui_wait_re '20[0-9-]+ [0-9:]+  compare +ollama/mistral +ok +\$0\.000000 +another compare' &&
	tui_wait_re '20[0-9-]+ [0-9:]+  ask +openai/gpt-4o-mini +ok +\$0\.0000[0-9]+ +Tell me about zebras' &&
	tui_wait "compare penguins"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="typing 'zebr' narrows the list at once: the zebra run stays, the others go"
if tui_type "zebr" && tui_wait "Search: zebr" && tui_wait "0 runs match" && tui_type "a*" &&
	tui_wait "1 run matches" && tui_wait "Tell me about zebras" && tui_wait_gone "compare penguins" &&
	tui_wait_gone "giraffes"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the snippet shows the matched word in the match colour"
if tui_poll 5 _match_marked zebras; then ok "$d"; else tui_fail "$d" "$(tmx capture-pane -e -p -t "$E2E_SESSION" | grep zebras | cat -v)"; fi

d="Backspace widens the search again"
if tui_keys BSpace BSpace BSpace && tui_wait "Search: zeb" && tui_wait "0 runs match" && tui_keys C-u &&
	tui_wait "6 runs, newest first" && tui_type "zebras" && tui_wait "1 run matches"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter opens the run in full: prompt, messages, params, answer, metrics"
if tui_keys Enter && tui_wait "Run 1 — " && tui_wait_re "Run 1 · 20[0-9-]+ [0-9:]+ · ask · openai/gpt-4o-mini · ok" &&
	tui_wait "  user:" && tui_wait "Hello from the fake OpenAI. One two three four five six seven eight." &&
	tui_wait "(defaults)" && tui_wait_re 'TTFT [0-9]+ ms · total [0-9]+ ms · [0-9]+ in / 13 out tokens' &&
	tui_wait "status ok · stop end_turn"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Esc goes back to the list with the query kept"
if tui_keys Escape && tui_wait "Search: zebras" && tui_wait "1 run matches" && tui_keys Enter && tui_wait "Run 1 — "; then
	ok "$d"
else
	tui_fail "$d"
fi

d="? in a run shown in full lists the run's keys first; Esc closes the help and the run stays"
if tui_keys '?' && tui_wait "History: a run in full" && tui_wait_re "r Enter +Re-open the run shown in the workbench" &&
	tui_keys Escape && tui_wait_gone "History: a run in full" && tui_wait "Run 1 — "; then
	ok "$d"
else
	tui_fail "$d"
fi

d="r re-opens it: the view closes, 'restored run 1', Prompt focused, gpt-4o-mini selected"
if tui_keys r && tui_wait_gone "Run 1 — " && tui_wait_bottom ' Prompt *restored run 1: openai/gpt-4o-mini*' &&
	tui_wait_re '> +gpt-4o-mini +128k' && tui_wait "Space mark (0)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the Prompt pane holds the restored prompt; s runs it again and the answer streams in"
if tui_wait "Free prompt · t picks a template" && tui_wait "> Tell me about zebras" && tui_keys s &&
	tui_wait "Hello from the fake OpenAI. One two three" && tui_wait "done (end_turn)" &&
	tui_poll 5 _runs_are 7; then
	ok "$d"
else
	tui_fail "$d" "runs: $(runs)"
fi

d=":history penguins opens the view with that search; C-r re-opens the compare with both models marked"
if tui_keys : && tui_wait_bottom ':*' && tui_type "history penguins" && tui_keys Enter &&
	tui_wait "Search: penguins" && tui_wait "2 runs match" && tui_keys Down C-r && tui_wait_gone "Search:" &&
	tui_wait_bottom '*restored run 3: 2 models marked for comparison*' && tui_wait "Space mark (2)" &&
	tui_wait_re '>\* gpt-4o-mini'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="s compares the restored models again: two columns stream, and the history gains one more compare group"
if tui_keys 2 && tui_wait "→ compare 2 marked models:" && tui_wait "> compare penguins" && tui_keys s &&
	tui_wait "│ollama/llama3.1" && tui_wait "Hello from the fake Ollama." && tui_wait "Hello from the fake OpenAI." &&
	tui_poll 5 _runs_are 9 && tui_poll 5 _groups_are 3; then
	ok "$d"
else
	tui_fail "$d" "runs: $(runs), groups: $(groups)"
fi

d="a search with no hits says so"
if tui_keys H && tui_wait "Search: penguins" && tui_keys C-u && tui_type "xyzzy" &&
	tui_wait 'No run matches "xyzzy"' && tui_wait "0 runs match"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="resizing with the view open lays it out again; too small shows the notice, then it comes back"
if tui_resize 80 24 && tui_wait 'No run matches "xyzzy"' && tui_keys C-u && tui_wait "9 runs, newest first" &&
	tui_wait "another compare" && tui_resize 50 12 && tui_wait "Terminal too small" && tui_resize $COLS $ROWS &&
	tui_wait_gone "Terminal too small" && tui_wait "9 runs, newest first" && tui_wait "Tell me about zebras"; then
	ok "$d"
else
	tui_fail "$d"
fi

# The history keeps answers as valid UTF-8 with their controls (run_save): a
# raw C1 CSI byte (0x9B) was stored as U+FFFD, so "31m" is plain text there.
d="the evil answer is found by a word of it; its snippet and its full text are drawn sanitized"
tmx set -g set-clipboard on >/dev/null 2>&1
title0=$(tui_fmt '#{pane_title}')
if tui_type "clip" && tui_wait "1 run matches" && tui_wait "giraffes are tall" && tui_wait_re 'clip +clear' &&
	tui_keys Enter && tui_wait "Run 2 — " &&
	tui_wait "Evil: lone� overlong�� truncated�� clip clear linkhere csi�31mred osc0;title bell safeEVIL end."; then
	ok "$d"
else
	tui_fail "$d"
fi

d="no escape sequence reached the terminal: no clipboard buffer, no title, no bell, the frame intact"
if [ -z "$(tmx list-buffers 2>/dev/null)" ] && [ "$(tui_fmt '#{pane_title}')" = "$title0" ] &&
	[ "$(tui_fmt '#{window_bell_flag}')" = 0 ] && tui_wait "Run 2 — " && tui_wait "Metrics"; then
	ok "$d"
else
	tui_fail "$d" "buffers: $(tmx list-buffers 2>&1)" "title: $(tui_fmt '#{pane_title}') (was $title0)" \
		"bell: $(tui_fmt '#{window_bell_flag}')"
fi

d="in the list q is a letter of the search; Esc closes the view and q then quits"
if tui_keys Escape && tui_wait "Search: clip" && tui_type "q" && tui_wait "Search: clipq" && tui_keys Escape &&
	tui_wait_gone "Search:" && quit; then
	ok "$d"
else
	tui_fail "$d"
fi

d="stderr stays empty: no key, no warning, no sanitizer report"
if [ -f "$TUI_DIR/stderr" ] && [ ! -s "$TUI_DIR/stderr" ]; then ok "$d"; else fail "$d" "$(tui_stderr)"; fi

TUI_ENV=
e2e_done
