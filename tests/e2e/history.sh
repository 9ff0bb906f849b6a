# aiwb history: runs saved by `aiwb ask` against the fake server are listed
# newest first, found by their words (with marked snippets), shown in full
# with their metrics, as text and as JSON; stored escape sequences never reach
# stdout; a missing run and bad usage fail as documented; an empty data home
# is not an error and is left uncreated.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err

# run ARGS...: aiwb with stdin from /dev/null; sets RC.
run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}

what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(cat "$err")"
}

# py EXPR FILE: the Python expression is true with the file's bytes bound to b.
py() {
	"$E2E_PY" -c 'import sys
b = open(sys.argv[2], "rb").read()
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$2"
}

CONTROLS='not any(c in b for c in (b"\x1b", b"\x07", b"\x9b", b"\xc2\x9d", b"\r"))'

# expect DESC RC: the last run exited RC.
expect() {
	if [ "$RC" = "$2" ]; then ok "$1"; else fail "$1" "$(what)"; fi
}

# usage_error DESC ARGS...: exit 2, nothing on stdout, one line on stderr.
usage_error() {
	_d=$1
	shift
	run "$@"
	if [ "$RC" = 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" = 1 ]; then ok "$_d"; else fail "$_d" "$(what)"; fi
}

# ---------------------------------------------------------------- empty data home

run history
if [ "$RC" = 0 ] && grep -q "No runs in history yet" "$out" && [ ! -s "$err" ]; then
	ok "history on an empty data home exits 0 and says there are no runs"
else
	fail "history on an empty data home exits 0 and says there are no runs" "$(what)"
fi
check "history does not create the data home" [ ! -e "$AIWB_HOME" ]
run history --json
if [ "$RC" = 0 ] && e2e_json "$out" "d['runs'] == [] and d['total'] == 0 and d['query'] is None"; then
	ok "history --json on an empty data home is an empty list"
else
	fail "history --json on an empty data home is an empty list" "$(what)"
fi
run history show 1
if [ "$RC" = 1 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "no run 1" "$err"; then
	ok "history show of a missing run exits 1 with one sentence"
else
	fail "history show of a missing run exits 1 with one sentence" "$(what)"
fi

# ---------------------------------------------------------------- saved runs

if ! fake_start hist --openai-key sk-hist; then
	fail "the fake server starts" "$(cat "$E2E_TMP/hist.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
fake_env "$URL"
export OPENAI_API_KEY=sk-hist

asked=0
ask() {
	"$A" ask "$@" </dev/null >"$out" 2>"$err" && asked=$((asked + 1))
}
ask -m openai/gpt-4o-mini "Tell me about the lighthouse keeper"
ask -m openai/gpt-4o-mini --system "Be brief." --temperature 0.3 --max-tokens 50 "Why don't penguins fly?"
ask -m ollama/llama3.1 "Which gpt-4o model is cheapest?"
ask -m openai/evil "zebra crossing"
ask -m openai/gpt-4o-mini "$(printf 'okapi \033]52;c;aGk=\007 \033[2J tricks')"
check "five asks against the fake server succeed" [ "$asked" -eq 5 ]

run history
if [ "$RC" = 0 ] && [ "$(wc -l <"$out")" -eq 6 ] && sed -n 2p "$out" | grep -q okapi &&
	sed -n 6p "$out" | grep -q lighthouse && sed -n 3p "$out" | grep -q "openai/evil"; then
	ok "history lists every run, newest first, under a header"
else
	fail "history lists every run, newest first, under a header" "$(what)"
fi
check "the listing shows status, time to first token and cost" \
	grep -Eq '^ *[0-9]+ +[0-9-]+ [0-9:]+ +ask +1 +openai/gpt-4o-mini +ok +[0-9]+ ms +\$[0-9.]+ +Tell me' "$out"
check "a stored prompt's escape sequences are not printed" py "$CONTROLS" "$out"

run history lighthouse
if [ "$RC" = 0 ] && [ "$(wc -l <"$out")" -eq 3 ] && grep -q "Tell me about the lighthouse keeper" "$out" &&
	grep -q '\[lighthouse\]' "$out"; then
	ok "history WORD finds the run, with the word marked in brackets when not on a terminal"
else
	fail "history WORD finds the run, with the word marked in brackets when not on a terminal" "$(what)"
fi

run history "don't"
expect "a query with an apostrophe is fine" 0
check "and finds its run" grep -q "penguins" "$out"
run history "gpt-4o"
if [ "$RC" = 0 ] && grep -q "cheapest" "$out" && ! grep -q penguins "$out"; then
	ok "a hyphenated query matches literally"
else
	fail "a hyphenated query matches literally" "$(what)"
fi
for q in '"' "'" '*' '(' 'NEAR(' 'a:b' '--' '"unterminated' 'naïve' ''; do
	run history -- "$q"
	if [ "$RC" != 0 ]; then
		fail "history with the query [$q] exits 0" "$(what)"
		q=bad
		break
	fi
done
[ "$q" = bad ] || ok "queries made of quotes, stars, brackets and unicode never fail"
run history 'light*'
if [ "$RC" = 0 ] && grep -q lighthouse "$out"; then ok "a prefix query (word*) matches"; else fail "a prefix query (word*) matches" "$(what)"; fi
run history nosuchwordanywhere
if [ "$RC" = 0 ] && grep -q "No runs match" "$out"; then ok "no match exits 0 and says so"; else fail "no match exits 0 and says so" "$(what)"; fi

run history -n 2
if [ "$RC" = 0 ] && [ "$(wc -l <"$out")" -eq 4 ] && grep -q "runs 1-2 of 5" "$out"; then
	ok "-n N limits the list and says how many there are"
else
	fail "-n N limits the list and says how many there are" "$(what)"
fi
run history --model ollama
if [ "$RC" = 0 ] && [ "$(wc -l <"$out")" -eq 2 ] && grep -q "ollama/llama3.1" "$out"; then
	ok "--model keeps one provider's runs"
else
	fail "--model keeps one provider's runs" "$(what)"
fi
run history -- show
expect "after --, 'show' is a word to search for" 0

# ---------------------------------------------------------------- JSON

run history --json hello fake
if [ "$RC" = 0 ] && e2e_json "$out" \
	"d['query'] == 'hello fake' and d['total'] == 4 and len(d['runs']) == 4 and all(r['status'] == 'ok' for r in d['runs'])"; then
	ok "history --json QUERY is valid JSON with the query, the total and the runs"
else
	fail "history --json QUERY is valid JSON with the query, the total and the runs" "$(what)"
fi
run history --json lighthouse
cp "$out" "$E2E_TMP/hit.json"
check "a hit's snippet alternates text and matched words" e2e_json "$E2E_TMP/hit.json" \
	"len(d['runs']) == 1 and d['runs'][0]['snippet'][1].lower() == 'lighthouse' and d['runs'][0]['score'] > 0"
check "a hit has id, created, kind, model, prompt, ttft_ms, cost_usd" e2e_json "$E2E_TMP/hit.json" \
	"(r := d['runs'][0])['kind'] == 'ask' and r['model'] == 'openai/gpt-4o-mini' and r['created'].endswith('Z') and r['ttft_ms'] >= 0 and r['cost_usd'] > 0 and r['id'] > 0"
run history --json
check "history --json without a query lists newest first with null snippets" e2e_json "$out" \
	"d['query'] is None and [r['id'] for r in d['runs']] == sorted([r['id'] for r in d['runs']], reverse=True) and d['runs'][0]['snippet'] is None"
check "the listing's JSON carries no control characters from the stored prompt" e2e_json "$out" \
	"not any(ch in d['runs'][0]['prompt'] for ch in '\x1b\x07')"
ID=$("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["id"])' "$E2E_TMP/hit.json")
PENGUIN=$("$A" history --json penguins | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')
EVIL=$("$A" history --json --model openai/evil | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')

# ---------------------------------------------------------------- show

run history show "$ID"
if [ "$RC" = 0 ] && grep -q "^--- user ---" "$out" && grep -q "Tell me about the lighthouse keeper" "$out" &&
	grep -q "^--- answer ---" "$out" && grep -q "Hello from the fake OpenAI" "$out"; then
	ok "history show ID prints the messages and the answer"
else
	fail "history show ID prints the messages and the answer" "$(what)"
fi
if grep -Eq '^ttft +[0-9]+ ms' "$out" && grep -Eq '^total +[0-9]+ ms' "$out" && grep -q '^tokens  *6 in / 13 out$' "$out" &&
	grep -Eq '^tokens/s +[0-9.]+' "$out" && grep -Eq '^cost +\$0\.0' "$out" && grep -Eq '^status +ok' "$out" &&
	grep -Eq '^stop reason +end_turn' "$out" && grep -Eq '^request id +req_' "$out"; then
	ok "history show prints TTFT, total, tokens, tokens/s, cost, status, stop reason, request id"
else
	fail "history show prints TTFT, total, tokens, tokens/s, cost, status, stop reason, request id" "$(what)"
fi
run history show "$PENGUIN"
if [ "$RC" = 0 ] && grep -q "^--- system ---" "$out" && grep -q "Be brief." "$out" &&
	grep -q "temperature=0.3" "$out" && grep -q "max_tokens=50" "$out"; then
	ok "history show prints the system message and the parameters"
else
	fail "history show prints the system message and the parameters" "$(what)"
fi
run history show "$PENGUIN" --json
if [ "$RC" = 0 ] && e2e_json "$out" "d['id'] == $PENGUIN and d['params'] == {'temperature': 0.3, 'max_tokens': 50} and [m['role'] for m in d['messages']] == ['system', 'user'] and d['metrics']['usage']['output_tokens'] > 0 and d['metrics']['status'] == 'ok' and d['metrics']['request_id'].startswith('req_') and d['metrics']['stop_reason'] in ('end_turn', 'max_tokens') and d['output'].startswith('Hello from the fake')"; then
	ok "history show ID --json has messages, params, output and metrics"
else
	fail "history show ID --json has messages, params, output and metrics" "$(what)"
fi
run history show "#$ID"
expect "history show accepts #ID as listed" 0

run history show "$EVIL"
if [ "$RC" = 0 ] && grep -q "zebra crossing" "$out" && py "$CONTROLS" "$out"; then
	ok "an escape sequence stored in the output never reaches stdout raw"
else
	fail "an escape sequence stored in the output never reaches stdout raw" "$(what | od -c | head -20)"
fi
run history show "$EVIL" --json
if [ "$RC" = 0 ] && e2e_json "$out" "not any(ch in d['output'] for ch in '\x1b\x07\x9b\x9d\r')"; then
	ok "history show --json carries the output sanitized"
else
	fail "history show --json carries the output sanitized" "$(what)"
fi
run history clip clear link
if [ "$RC" = 0 ] && grep -q "zebra" "$out" && grep -q '\[clip\]' "$out" && py "$CONTROLS" "$out"; then
	ok "a snippet cut from escape-laden output is sanitized"
else
	fail "a snippet cut from escape-laden output is sanitized" "$(what | od -c | head -20)"
fi
run history show "$EVIL" --raw
if [ "$RC" = 0 ] && py 'b"\x1b" in b' "$out"; then
	ok "--raw prints the output as stored"
else
	fail "--raw prints the output as stored" "$(what)"
fi

# ---------------------------------------------------------------- failures

run history show 999999
if [ "$RC" = 1 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" = 1 ] && grep -q "no run 999999" "$err"; then
	ok "a missing id exits 1 with one sentence"
else
	fail "a missing id exits 1 with one sentence" "$(what)"
fi
usage_error "history show without an id is a usage error" history show
usage_error "history show with a non-numeric id is a usage error" history show abc
usage_error "history show with two ids is a usage error" history show 1 2
usage_error "history show with -n is a usage error" history show 1 -n 3
usage_error "-n 0 is a usage error" history -n 0
usage_error "-n without a number is a usage error" history -n
usage_error "an unknown option is a usage error" history --nosuch
run history --help
if [ "$RC" = 0 ] && grep -q "usage: aiwb history" "$out" && grep -q "history show ID" "$out"; then
	ok "history --help describes both forms"
else
	fail "history --help describes both forms" "$(what)"
fi
e2e_done
