# aiwb compare against the fake server: four models at once, one slow, one
# failing, one cut — the others complete, and the table and JSON say which
# failed and why.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
if ! fake_start cmp --openai-key sk-cmp --anthropic-key sk-ant-cmp; then
	fail "the fake server starts" "$(cat "$E2E_TMP/cmp.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
fake_env "$URL"
export OPENAI_API_KEY=sk-cmp ANTHROPIC_API_KEY=sk-ant-cmp
SLOW=openai/tokens-40-tps-20
MODELS="-m openai/gpt-4o-mini -m $SLOW -m anthropic/fail-500 -m ollama/llama-cut"

t0=$(e2e_now)
"$A" compare --json $MODELS "Say hello" >"$out" 2>"$err"
rc=$?
t1=$(e2e_now)
check "compare exits 1 when one model fails" [ "$rc" -eq 1 ]
check "--json is one JSON object with the prompt and four results in order" e2e_json "$out" \
	"d['prompt'] == 'Say hello' and [r['model'] for r in d['results']] == ['openai/gpt-4o-mini', '$SLOW', 'anthropic/fail-500', 'ollama/llama-cut']"
check "the fast model completes with the full answer and provider usage" e2e_json "$out" \
	"(r := d['results'][0]) is not None and r['complete'] and r['text'].endswith('seven eight.') and r['usage']['output_tokens'] == 13 and not r['usage']['estimated'] and r['stop_reason'] == 'end_turn'"
check "the slow model completes too (40 tokens) and has its own metrics" e2e_json "$out" \
	"(r := d['results'][1]) is not None and r['complete'] and r['usage']['output_tokens'] == 40 and r['total_ms'] > 1000 and r['ttft_ms'] is not None and r['tokens_per_s'] > 0"
check "the failing model says why: provider, HTTP 500, its error code" e2e_json "$out" \
	"(r := d['results'][2]) is not None and (not r['complete']) and r['status'] == 'error' and 'anthropic' in r['error'] and 'HTTP 500' in r['error'] and 'api_error' in r['error']"
check "the cut model keeps its partial text and is marked cut" e2e_json "$out" \
	"(r := d['results'][3]) is not None and (not r['complete']) and r['status'] == 'cut' and r['text'].startswith('Hello') and 'cut' in r['error']"
check "the fast model's cost comes from the catalog; the local model costs 0" e2e_json "$out" \
	"d['results'][0]['cost_usd'] > 0 and d['results'][3]['cost_usd'] == 0"
# The streams run at once: the whole compare takes about as long as the slow
# model (2 s at 20 tokens/s), not the sum of all of them with retries.
check "all models stream concurrently (wall time close to the slowest)" [ $((t1 - t0)) -le 6 ]

"$A" compare $MODELS "Say hello" >"$out" 2>"$err"
check "text mode prints each answer under its model's name" \
	sh -c "grep -q '^=== openai/gpt-4o-mini ===' '$out' && grep -q '^=== ollama/llama-cut ===' '$out' && grep -q 'seven eight' '$out'"
check "the table has a row per model with complete yes / no (why)" \
	sh -c "grep -Eq '^openai/gpt-4o-mini .* end_turn +yes' '$out' && grep -Eq '^anthropic/fail-500 .*no \(error\)' '$out' && grep -Eq '^ollama/llama-cut .*no \(cut\)' '$out'"
check "the failing model's error sentence is printed in its section" grep -q "HTTP 500" "$out"

"$A" compare -m openai/gpt-4o-mini "one model" >"$out" 2>"$err"
check "one model is a usage error (exit 2)" [ $? -eq 2 ]
"$A" compare -m openai/gpt-4o-mini -m not-a-model "hi" >"$out" 2>"$err"
check "a malformed model name fails that slot only" sh -c "grep -q 'seven eight' '$out' && grep -q 'PROVIDER/MODEL' '$out'"
"$A" compare -m openai/evil -m anthropic/evil "hi" >"$out" 2>"$err"
check "model text with escape sequences is sanitized in compare output" \
	sh -c "! grep -q \"\$(printf '\\033')\" '$out'"
rows=$("$E2E_PY" -c "import sqlite3,sys; c=sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True); print(c.execute(\"select count(*) from runs where kind='compare'\").fetchone()[0])" "$AIWB_HOME/aiwb.db" 2>&1)
check "every compared answer is saved to the history (kind compare)" [ "$rows" -ge 10 ]
e2e_done
