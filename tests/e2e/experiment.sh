# aiwb experiment against the fake server: a dataset x four models where one
# is slow, one fails and one is cut — the others complete, the metrics are
# right, the table, JSON, CSV and Markdown say which failed and why, `show`
# prints the same again from the database, assertions pass and fail, limits
# hold, Ctrl-C keeps the finished cases, and bad files give one sentence.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
T=$E2E_TMP
out=$T/out
err=$T/err
if ! fake_start exp --openai-key sk-exp-openai-secret --anthropic-key sk-ant-exp-secret; then
	fail "the fake server starts" "$(cat "$T/exp.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
fake_env "$URL"
export OPENAI_API_KEY=sk-exp-openai-secret ANTHROPIC_API_KEY=sk-ant-exp-secret
SLOW=openai/tokens-40-tps-20
DB=$AIWB_HOME/aiwb.db

# sql QUERY: one value from the history database (read-only).
sql() {
	"$E2E_PY" -c 'import sqlite3,sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
r = c.execute(sys.argv[2]).fetchone()
print(r[0] if r else "")' "$DB" "$1" 2>&1
}

mkdir -p "$T/x"
printf 'name,expected\r\nworld,seven eight\r\n"Smith, John",nine\r\n' >"$T/x/cases.csv"
cat >"$T/x/four.yaml" <<YAML
name: four models
description: one slow, one failing, one cut
prompt: "Say hello to {{name}}"
models: [openai/gpt-4o-mini, $SLOW, anthropic/fail-500, ollama/llama-cut]
dataset: cases.csv
assert:
  - contains: "{{expected}}"
  - not-contains: sorry
  - max-latency-ms: 1500
YAML

t0=$(e2e_now)
(cd "$T" && "$A" experiment run x/four.yaml --json --csv "$T/four.csv" --markdown "$T/four.md") >"$T/four.json" 2>"$err"
rc=$?
t1=$(e2e_now)
check "experiment run exits 1 when a case fails" [ "$rc" -eq 1 ]
check "--json: the experiment, its models in order, 2 rows x 4 models = 8 cases, all run" e2e_json "$T/four.json" \
	"d['name'] == 'four models' and d['status'] == 'finished' and d['models'] == ['openai/gpt-4o-mini', '$SLOW', 'anthropic/fail-500', 'ollama/llama-cut'] and d['rows'] == 2 and d['planned'] == 8 and len(d['cases']) == 8 and [c['index'] for c in d['cases']] == list(range(8)) and d['file'].endswith('/x/four.yaml')"
check "cases are rows x models in order, with the row's variables (CSV quoting kept)" e2e_json "$T/four.json" \
	"[(c['row'], c['model']) for c in d['cases']][:5] == [(0, 'openai/gpt-4o-mini'), (0, '$SLOW'), (0, 'anthropic/fail-500'), (0, 'ollama/llama-cut'), (1, 'openai/gpt-4o-mini')] and d['cases'][4]['vars'] == {'name': 'Smith, John', 'expected': 'nine'}"
check "the fast model passes the row it should and fails the other, saying why" e2e_json "$T/four.json" \
	"(a := d['cases'][0])['status'] == 'pass' and a['run_status'] == 'ok' and all(x['passed'] for x in a['assertions']) and (b := d['cases'][4])['status'] == 'fail' and [x['reason'] for x in b['assertions'] if not x['passed']] == [\"the answer does not contain 'nine'\"] and b['assertions'][0]['value'] == 'nine'"
check "the slow model completes (40 tokens) but fails max-latency-ms with its time" e2e_json "$T/four.json" \
	"(c := d['cases'][1])['run_status'] == 'ok' and c['output_tokens'] == 40 and c['total_ms'] > 1500 and c['status'] == 'fail' and any(x['type'] == 'max-latency-ms' and not x['passed'] and 'over the limit of 1500 ms' in x['reason'] for x in c['assertions'])"
check "the failing model is an error naming the provider, HTTP 500 and its code" e2e_json "$T/four.json" \
	"all(c['status'] == 'error' and c['run_status'] == 'error' and 'anthropic' in c['error'] and 'HTTP 500' in c['error'] and 'api_error' in c['error'] and c['assertions'] == [] for c in d['cases'] if c['model'] == 'anthropic/fail-500')"
check "the cut model is an error marked cut" e2e_json "$T/four.json" \
	"all(c['status'] == 'error' and c['run_status'] == 'cut' and 'cut' in c['error'] for c in d['cases'] if c['model'] == 'ollama/llama-cut')"
check "matrix: one entry per model with counts and pass rate" e2e_json "$T/four.json" \
	"[(m['model'], m['cases'], m['passed'], m['failed'], m['errors'], m['pass_rate']) for m in d['matrix']] == [('openai/gpt-4o-mini', 2, 1, 1, 0, 0.5), ('$SLOW', 2, 0, 2, 0, 0), ('anthropic/fail-500', 2, 0, 0, 2, 0), ('ollama/llama-cut', 2, 0, 0, 2, 0)]"
check "matrix: mean and p95 latency, ttft, tokens and cost agree with the cases" e2e_json "$T/four.json" \
	"all(abs(m['mean_ms'] - sum(t) / len(t)) < 1e-6 and m['p95_ms'] == max(t) and m['input_tokens'] == sum(c['input_tokens'] for c in cs) and m['output_tokens'] == sum(c['output_tokens'] for c in cs) for m in d['matrix'][:2] for cs in [[c for c in d['cases'] if c['model'] == m['model']]] for t in [[c['total_ms'] for c in cs]])"
check "matrix: provider usage counts (13 tokens an answer), the catalog's price, none for the unpriced" e2e_json "$T/four.json" \
	"(m := d['matrix'][0])['output_tokens'] == 26 and not m['estimated'] and m['cost_usd'] > 0 and abs(m['cost_usd'] - sum(c['cost_usd'] for c in d['cases'] if c['model'] == 'openai/gpt-4o-mini')) < 1e-12 and d['matrix'][1]['cost_usd'] is None and d['matrix'][1]['mean_ms'] > 1500"
check "matrix: no latency for a model that never finished; the error is named" e2e_json "$T/four.json" \
	"(m := d['matrix'][2])['mean_ms'] is None and m['p95_ms'] is None and 'HTTP 500' in m['first_problem'] and d['matrix'][3]['first_problem'].startswith('error: ') and 'cut' in d['matrix'][3]['first_problem']"
check "summary: 8 cases, 1 passed, 3 failed, 4 errors" e2e_json "$T/four.json" \
	"d['summary'] == {'planned': 8, 'cases': 8, 'passed': 1, 'failed': 3, 'errors': 4, 'pass_rate': 0.125}"
check "cases run concurrently (wall time near the slow model's, not the sum)" [ $((t1 - t0)) -le 8 ]
check "progress goes to stderr, one line per finished case" sh -c "[ \$(grep -c '^\[[1-8]/8\] case ' '$err') -eq 8 ]"
ID=$("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/four.json")

check "CSV: a header and one row per model with the counts" sh -c "
	head -1 '$T/four.csv' | grep -q '^experiment,prompt,model,cases,passed,failed,errors,pass_rate,mean_ms,p95_ms,mean_ttft_ms,input_tokens,output_tokens,cost_usd,first_problem' &&
	grep -q '^$ID,prompt,openai/gpt-4o-mini,2,1,1,0,0.5,' '$T/four.csv' &&
	grep -q '^$ID,prompt,anthropic/fail-500,2,0,0,2,0,,,,0,0,,error: anthropic: HTTP 500' '$T/four.csv' &&
	[ \$(wc -l <'$T/four.csv') -eq 5 ]"
check "CSV reads back as 4 rows with Python's csv module" "$E2E_PY" -c "
import csv,sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
sys.exit(0 if [r['model'] for r in rows] == ['openai/gpt-4o-mini', '$SLOW', 'anthropic/fail-500', 'ollama/llama-cut'] and rows[1]['first_problem'].startswith('fail: max-latency-ms') else 1)" "$T/four.csv"
check "Markdown: a title, the matrix table and the failures with reasons" sh -c "
	grep -q '^# Experiment $ID: four models' '$T/four.md' &&
	grep -q '^| prompt | openai/gpt-4o-mini | 2 | 1 | 1 | 0 | 50.0 |' '$T/four.md' &&
	grep -q '^## Failures' '$T/four.md' &&
	grep -q \"^| 4 | 1 | prompt | openai/gpt-4o-mini | fail: contains: the answer does not contain 'nine' |\" '$T/four.md'"

"$A" experiment show "$ID" --json >"$T/show.json" 2>"$err"
rc=$?
check "show --json prints exactly what run --json printed (exit 1: cases failed)" sh -c "[ $rc -eq 1 ] && cmp -s '$T/four.json' '$T/show.json'"
"$A" experiment show "$ID" --csv - >"$T/show.csv" 2>"$err"
check "show --csv - prints the same CSV" cmp -s "$T/four.csv" "$T/show.csv"
"$A" experiment show "$ID" --markdown - >"$T/show.md" 2>"$err"
check "show --markdown - prints the same Markdown" cmp -s "$T/four.md" "$T/show.md"

(cd "$T" && "$A" experiment run x/four.yaml) >"$out" 2>"$err"
ID2=$((ID + 1))
"$A" experiment show "$ID2" >"$T/show.txt" 2>&1
check "the table: headline, failed cases with reasons, a row per model" sh -c "
	grep -q '^experiment $ID2: four models (finished): 8 of 8 cases run, 1 passed, 3 failed, 4 errors' '$out' &&
	grep -Eq '^ +4 +1 prompt +openai/gpt-4o-mini +fail: contains: the answer does not contain .nine.' '$out' &&
	grep -Eq 'anthropic/fail-500 +error: anthropic: HTTP 500' '$out' &&
	grep -Eq 'ollama/llama-cut +error: .*cut' '$out' &&
	grep -Eq '^prompt +openai/gpt-4o-mini +2 +1 +1 +0 +50.0 ' '$out' &&
	grep -Eq '^prompt +anthropic/fail-500 +2 +0 +0 +2 +0.0 +- +- +- ' '$out'"
check "show ID prints the same table as the run" cmp -s "$out" "$T/show.txt"

check "every case is a history run of kind experiment naming its experiment and case" [ "$(sql "select count(*) from runs where kind='experiment' and json_extract(params, '\$.experiment') = $ID")" = 8 ]
st=$(sql "select status || ':' || (select count(*) from experiment_cases c join runs r on r.id = c.run_id where c.experiment_id = $ID and r.kind = 'experiment') || ':' || (select sum(passed) from experiment_cases where experiment_id = $ID) from experiments where id = $ID")
check "the database holds the experiment (finished) and its 8 cases linked to their runs" [ "$st" = "finished:8:1" ]
check "no API key in the database or any output" sh -c "! grep -rq 'sk-exp-openai-secret\|sk-ant-exp-secret' '$AIWB_HOME' '$T/four.json' '$T/four.csv' '$T/four.md' '$out' '$err'"
"$A" experiment ls --json >"$out" 2>"$err"
check "experiment ls --json lists both runs, newest first, with counts" e2e_json "$out" \
	"[(e['id'], e['status'], e['cases'], e['passed']) for e in d['experiments']] == [($ID2, 'finished', 8, 1), ($ID, 'finished', 8, 1)]"

# ---------------------------------------------------------------- assertions pass and fail
cat >"$T/x/rows.jsonl" <<'JSONL'
{"who": "Ada", "greeting": "Hello"}
{"who": "Bob", "greeting": "Hello from the fake OpenAI"}
JSONL
cat >"$T/x/pass.yaml" <<'YAML'
prompts:
  - name: short
    prompt: "Greet {{who}}"
  - name: polite
    prompt: "Please greet {{who}}"
models: [openai/gpt-4o-mini]
dataset: rows.jsonl
assert:
  - contains: "{{greeting}}"
  - not-contains: sorry
  - regex: "^Hello from the fake (OpenAI|Anthropic)\\."
  - equals: "Hello from the fake OpenAI. One two three four five six seven eight."
  - max-latency-ms: 10000
  - max-cost-usd: 1
YAML
"$A" experiment run "$T/x/pass.yaml" --json >"$out" 2>"$err"
rc=$?
check "an experiment whose assertions all pass exits 0" [ "$rc" -eq 0 ]
check "every assertion type that should pass passes, for 2 rows x 2 prompts" e2e_json "$out" \
	"len(d['cases']) == 4 and all(c['status'] == 'pass' and [a['type'] for a in c['assertions']] == ['contains', 'not-contains', 'regex', 'equals', 'max-latency-ms', 'max-cost-usd'] and all(a['passed'] for a in c['assertions']) for c in d['cases']) and [m['prompt'] for m in d['matrix']] == ['short', 'polite'] and d['matrix'][0]['pass_rate'] == 1"

cat >"$T/x/fail.yaml" <<'YAML'
prompt: "Say hi"
models: [openai/gpt-4o-mini]
assert:
  - contains: "Goodbye"
  - not-contains: "seven"
  - regex: "^[0-9]+$"
  - equals: "Hi."
  - is-json: true
  - max-latency-ms: 0
  - max-cost-usd: 0
YAML
"$A" experiment run "$T/x/fail.yaml" --json >"$out" 2>"$err"
rc=$?
check "an experiment whose assertions fail exits 1" [ "$rc" -eq 1 ]
check "every assertion type that should fail fails, each with its reason" e2e_json "$out" \
	"(c := d['cases'][0])['status'] == 'fail' and not any(a['passed'] for a in c['assertions']) and [a['reason'].split(' ')[:3] for a in c['assertions']] == [['the', 'answer', 'does'], ['the', 'answer', 'contains'], ['the', 'answer', 'does'], ['the', 'answer', \"'Hello\"], ['the', 'answer', 'is'], ['took', c['assertions'][5]['reason'].split(' ')[1], 'ms,'], ['cost', c['assertions'][6]['reason'].split(' ')[1], 'over']]"

printf 'prompt: "Say hi"\nmodels: [openai/gpt-4o-mini]\nassert:\n  - is-json: true\n' >"$T/x/json.yaml"
"$A" experiment run "$T/x/json.yaml" >"$out" 2>"$err"
check "is-json failing shows the answer it could not parse in the table" sh -c "[ $? -eq 1 ] && grep -q \"is-json: the answer is not valid JSON: 'Hello from the fake OpenAI\" '$out'"

printf 'prompt: "hi"\nmodels: [openai/evil]\nassert:\n  - equals: "x"\n' >"$T/x/evil.yaml"
"$A" experiment run "$T/x/evil.yaml" >"$out" 2>"$err"
check "model text quoted in a reason is sanitized in the table and progress" \
	sh -c "! grep -q \"\$(printf '\\033')\" '$out' && ! grep -q \"\$(printf '\\033')\" '$err' && grep -q 'equals: the answer' '$out'"

# ---------------------------------------------------------------- limits
printf 'a\n1\n2\n3\n' >"$T/x/three.csv"
cat >"$T/x/rpm.yaml" <<'YAML'
prompt: "rate {{a}}"
models: [openai/rpm-check-model]
dataset: three.csv
limits:
  openai: {rpm: 120}
YAML
: >"$T/exp.log"
"$A" experiment run "$T/x/rpm.yaml" --json >"$out" 2>"$err"
check "rpm 120 spaces one provider's request starts at least 500 ms apart" "$E2E_PY" -c '
import json,sys
t = [json.loads(l)["time_ms"] for l in open(sys.argv[1]) if "rpm-check-model" in l]
sys.exit(0 if len(t) == 3 and all(b - a >= 450 for a, b in zip(t, t[1:])) else 1)' "$T/exp.log"

cat >"$T/x/conc.yaml" <<'YAML'
prompt: "one at a time {{a}}"
models: [openai/tokens-10-tps-20-conc, ollama/llama3.1]
dataset: three.csv
limits:
  openai: {concurrency: 1}
YAML
: >"$T/exp.log"
"$A" experiment run "$T/x/conc.yaml" --json >"$out" 2>"$err"
check "a provider's concurrency 1 runs its cases one after another (0.5 s each)" "$E2E_PY" -c '
import json,sys
t = [json.loads(l)["time_ms"] for l in open(sys.argv[1]) if "conc" in l]
sys.exit(0 if len(t) == 3 and all(b - a >= 450 for a, b in zip(t, t[1:])) else 1)' "$T/exp.log"
check "other providers are not held back by it" e2e_json "$out" "d['summary']['passed'] == 6"
: >"$T/exp.log"
"$A" experiment run "$T/x/conc.yaml" --concurrency 1 --json >"$out" 2>"$err"
check "--concurrency 1 overrides the file and the run records it" e2e_json "$out" "d['concurrency'] == 1 and d['summary']['cases'] == 6"

# ---------------------------------------------------------------- Ctrl-C
printf 'a\n1\n2\n' >"$T/x/two.csv"
cat >"$T/x/slow.yaml" <<'YAML'
name: interrupted
prompt: "wait {{a}}"
models: [openai/gpt-4o-mini, openai/tokens-400-tps-20]
dataset: two.csv
YAML
"$A" experiment run "$T/x/slow.yaml" >"$out" 2>"$err" &
pid=$!
end=$(($(e2e_now) + 10))
while [ "$(grep -c '^\[[0-9]*/4\] case ' "$err" 2>/dev/null)" -lt 2 ] && [ "$(e2e_now)" -lt "$end" ]; do sleep 0.05; done
kill -INT "$pid"
wait "$pid"
rc=$?
check "Ctrl-C stops the experiment with exit 130" [ "$rc" -eq 130 ]
IDI=$(sql "select max(id) from experiments")
check "the two finished cases are kept; the experiment is marked interrupted" \
	[ "$(sql "select status || ':' || (select count(*) from experiment_cases where experiment_id = $IDI and status = 'pass') || ':' || (select count(*) from experiment_cases where experiment_id = $IDI) from experiments where id = $IDI")" = "interrupted:2:2" ]
check "it says so on stderr and prints what finished" sh -c "grep -q 'interrupted; 2 of 4 cases finished and were kept' '$err' && grep -q '(interrupted): 2 of 4 cases run, 2 passed' '$out'"
"$A" experiment show "$IDI" >"$T/show.txt" 2>&1
check "show of the interrupted experiment prints the same and exits 1" sh -c "[ $? -eq 1 ] && cmp -s '$out' '$T/show.txt'"

# ---------------------------------------------------------------- the cost check
# Two rows x two models, one of them priced; max_tokens makes the priced half
# worth $1.20 of answers at most, over the default $1 limit.
cat >"$T/x/cost.yaml" <<'YAML'
name: costly
prompt: "Say hello to {{name}}"
models: [openai/gpt-4o-mini, openai/tokens-10-tps-20-conc]
dataset: cases.csv
parameters: {max_tokens: 1000000}
YAML
# The sentence expected, from the catalog's price and the estimator (4 bytes a token).
want=$("$E2E_PY" - "$E2E_ROOT/catalog/models.json" <<'P'
import json, sys
m = [e for e in json.load(open(sys.argv[1]))["models"] if e["provider"] == "openai" and e["model"] == "gpt-4o-mini"][0]
tok = lambda s: (len(s.encode()) + 3) // 4
ins = [tok("Say hello to world"), tok("Say hello to Smith, John")]
lo = sum(ins) * m["input_per_mtok"] / 1e6
hi = lo + 2 * 1000000 * m["output_per_mtok"] / 1e6
usd = lambda v: "$%.2f" % v if v >= 1 else "$%.4f" % v
print("this experiment could cost more than the $1.00 limit (4 cases, about %d tokens in, at most 4000000 tokens "
      "out: %s to %s at catalog prices (1 of 2 models has no price, counted as unknown)), so nothing was sent; "
      "pass --yes to run it anyway or --max-cost USD to raise the limit" % (2 * sum(ins), usd(lo), usd(hi)))
P
)
chats=$(grep -c '"openai.chat"' "$T/exp.log")
exps=$(sql "select count(*) from experiments")
"$A" experiment run "$T/x/cost.yaml" </dev/null >"$out" 2>"$err"
rc=$?
check "over the limit without a terminal: exit 1, one sentence with the estimate naming --yes and --max-cost" \
	sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$err') -eq 1 ] && [ \"\$(cat '$err')\" = 'aiwb experiment: $want' ]"
exps_after=$(sql "select count(*) from experiments")
check "refused: the server saw no request and no experiment was stored" \
	sh -c "[ \$(grep -c '\"openai.chat\"' '$T/exp.log') -eq $chats ] && [ '$exps_after' = '$exps' ] && [ ! -s '$out' ]"
"$A" experiment run "$T/x/cost.yaml" --yes </dev/null >"$out" 2>"$err"
rc=$?
check "--yes runs it: exit 0, the four cases sent" \
	sh -c "[ $rc -eq 0 ] && [ \$(grep -c '\"openai.chat\"' '$T/exp.log') -eq $((chats + 4)) ] && grep -q '4 of 4 cases run, 4 passed' '$out'"
"$A" experiment run "$T/x/cost.yaml" --max-cost 1.21 </dev/null >"$out" 2>"$err"
rc=$?
check "--max-cost above the estimate runs it" sh -c "[ $rc -eq 0 ] && [ \$(grep -c '\"openai.chat\"' '$T/exp.log') -eq $((chats + 8)) ]"
"$A" experiment run "$T/x/cost.yaml" --max-cost 1.19 </dev/null >"$out" 2>"$err"
rc=$?
check "--max-cost below it refuses, naming that limit" sh -c "[ $rc -eq 1 ] && grep -q 'more than the \$1.19 limit' '$err' && [ \$(grep -c '\"openai.chat\"' '$T/exp.log') -eq $((chats + 8)) ]"
printf '{"experiment": {"max_cost_usd": 1.25}}\n' >"$T/cost-config.json"
AIWB_CONFIG=$T/cost-config.json "$A" experiment run "$T/x/cost.yaml" </dev/null >"$out" 2>"$err"
rc=$?
check "experiment.max_cost_usd in config.json sets the limit" sh -c "[ $rc -eq 0 ] && [ \$(grep -c '\"openai.chat\"' '$T/exp.log') -eq $((chats + 12)) ]"
"$A" experiment run "$T/x/cost.yaml" --max-cost five </dev/null >"$out" 2>"$err"
check "--max-cost that is not a number is a usage error" sh -c "[ $? -eq 2 ] && grep -q -- '--max-cost must be a number of US dollars' '$err'"
"$A" experiment ls --yes >"$out" 2>"$err"
check "--yes goes with run only" sh -c "[ $? -eq 2 ] && grep -q -- '--yes and --max-cost go with experiment run' '$err'"

# On a terminal it asks: the estimate and y/N on stderr; n sends nothing, y runs.
if command -v tmux >/dev/null 2>&1; then
	before=$(grep -c '"openai.chat"' "$T/exp.log")
	ask_on_tty() {
		tmx new-session -d -s "$E2E_SESSION" -x 300 -y 20 \
			"cd '$T' && '$A' experiment run x/cost.yaml >/dev/null; echo exit=\$?; exec sleep 600"
	}
	ask_on_tty
	if tui_wait "over the \$1.00 limit. Go on? [y/N]" && _has_text "This experiment runs 4 cases, about" &&
		tui_keys n Enter && tui_wait "exit=1" && _has_text "not run; nothing was sent" &&
		[ "$(grep -c '"openai.chat"' "$T/exp.log")" -eq "$before" ]; then
		ok "on a terminal it shows the estimate and asks; n sends nothing (exit 1)"
	else
		fail "on a terminal it asks; n sends nothing" "$TUI_WHY" "$TUI_LAST"
	fi
	tui_stop
	ask_on_tty
	if tui_wait "Go on? [y/N]" && tui_keys C-c && tui_wait "exit=130" && _has_text "interrupted; nothing was sent" &&
		[ "$(grep -c '"openai.chat"' "$T/exp.log")" -eq "$before" ]; then
		ok "Ctrl-C at the question stops at once: exit 130, nothing sent"
	else
		fail "Ctrl-C at the question" "$TUI_WHY" "$TUI_LAST"
	fi
	tui_stop
	ask_on_tty
	if tui_wait "Go on? [y/N]" && tui_keys y Enter && tui_wait "exit=0" &&
		[ "$(grep -c '"openai.chat"' "$T/exp.log")" -eq $((before + 4)) ]; then
		ok "y runs it"
	else
		fail "y runs it" "$TUI_WHY" "$TUI_LAST"
	fi
	tui_stop
else
	ok "# SKIP tmux is not installed"
	ok "# SKIP tmux is not installed"
	ok "# SKIP tmux is not installed"
fi

# ---------------------------------------------------------------- errors
printf 'prompt: [unclosed\nmodels: x\n' >"$T/x/bad.yaml"
"$A" experiment run "$T/x/bad.yaml" >"$out" 2>"$err"
rc=$?
check "bad YAML: exit 1, one line naming FILE:LINE:COLUMN" sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$err') -eq 1 ] && grep -q 'bad.yaml:2:7: YAML: ' '$err'"
printf 'prompt: hi\nmodels: [openai/gpt-4o-mini]\ndataset: nowhere.csv\n' >"$T/x/nodata.yaml"
"$A" experiment run "$T/x/nodata.yaml" >"$out" 2>"$err"
rc=$?
check "a missing dataset: exit 1, one line naming it and where it is looked for" sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$err') -eq 1 ] && grep -q 'nodata.yaml:3:10: cannot read the dataset nowhere.csv' '$err' && grep -q 'relative to the experiment file' '$err'"
printf 'prompt: hi\nmodels: [openai/gpt-4o-mini]\nassert:\n  - looks-nice: true\n' >"$T/x/badassert.yaml"
"$A" experiment run "$T/x/badassert.yaml" >"$out" 2>"$err"
rc=$?
check "an unknown assertion type: exit 1, one line listing the known ones" sh -c "[ $rc -eq 1 ] && [ \$(wc -l <'$err') -eq 1 ] && grep -q \"badassert.yaml:4:5: unknown assertion type 'looks-nice' (known: contains, not-contains, regex, equals, is-json, max-latency-ms, max-cost-usd)\" '$err'"
"$A" experiment run "$T/x/missing.yaml" >"$out" 2>"$err"
check "a missing experiment file: exit 1 naming it" sh -c "[ $? -eq 1 ] && grep -q 'cannot read the experiment file .*missing.yaml' '$err'"
"$A" experiment >"$out" 2>"$err"
check "no subcommand is a usage error (exit 2, one sentence)" sh -c "[ $? -eq 2 ] && [ \$(wc -l <'$err') -eq 1 ] && grep -q 'run FILE, show ID or ls' '$err'"
"$A" experiment run >"$out" 2>"$err"
check "run without FILE is a usage error" [ $? -eq 2 ]
"$A" experiment run "$T/x/pass.yaml" --concurrency 0 >"$out" 2>"$err"
check "--concurrency 0 is a usage error" sh -c "[ $? -eq 2 ] && grep -q 'from 1 to 64' '$err'"
"$A" experiment show abc >"$out" 2>"$err"
check "show with a non-number is a usage error" [ $? -eq 2 ]
"$A" experiment show 9999 >"$out" 2>"$err"
check "show of an unknown experiment: exit 1 pointing at ls" sh -c "[ $? -eq 1 ] && grep -q 'there is no experiment 9999' '$err'"
"$A" experiment run "$T/x/pass.yaml" --csv "$T/no/such/dir/x.csv" >"$out" 2>"$err"
check "an unwritable --csv file: exit 1 naming it" sh -c "[ $? -eq 1 ] && grep -q 'cannot write .*x.csv' '$err'"
"$A" experiment --help >"$out" 2>"$err"
check "experiment --help describes run, show and ls, --yes and --max-cost" sh -c "[ $? -eq 0 ] && grep -q 'aiwb experiment run FILE' '$out' && grep -q 'aiwb experiment show ID' '$out' && grep -q -- '--max-cost USD' '$out' && grep -q -- '--yes ' '$out'"
e2e_done
