# Hostile input the adversarial review found (issue 8), each against the real
# binary and the fake server: a CSV with a byte order mark, a variable the
# prompt needs without a column, YAML nested 100k deep (prompt file, `prompt
# ls`, experiment file) and a 100k-row CSV under a CPU-time limit, FIFOs
# given as files, NULs in streamed answers, variables and cells, invalid
# UTF-8 in a cell, a second YAML document, and a number too large for a
# double.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
T=$E2E_TMP
if ! fake_start in; then
	fail "the fake server starts" "$(cat "$T/in.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
fake_env "$URL"
export OPENAI_API_KEY=sk-input-test ANTHROPIC_API_KEY=sk-ant-input-test AWS_ACCESS_KEY_ID=AKIDINPUT \
	AWS_SECRET_ACCESS_KEY=input-secret
LOG=$T/in.log
FFFD=$(printf '\357\277\275')

# requests: how many requests the fake has logged so far.
requests() { if [ -f "$LOG" ]; then wc -l <"$LOG" | tr -d ' '; else echo 0; fi; }

# bodies_have PY_EXPR: some request body, parsed as JSON into b, makes the expression true.
bodies_have() {
	"$E2E_PY" -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"):
    b = json.loads(json.loads(l)["body"] or "null")
    if eval(sys.argv[2]):
        sys.exit(0)
sys.exit(1)' "$LOG" "$1"
}

mkdir -p "$T/x"

# ---------------------------------------------------------------- 1. BOM and required columns

printf '\357\273\277country,capital\r\nFrance,Paris\r\n' >"$T/x/bom.csv"
cat >"$T/x/bom.yaml" <<'YAML'
prompt: "What is the capital of {{country}}?"
models: [openai/gpt-4o-mini]
dataset: bom.csv
assert:
  - contains: "{{capital}}"
YAML
"$A" experiment run "$T/x/bom.yaml" --json >"$T/bom.json" 2>"$T/bom.err"
check "a CSV with a UTF-8 byte order mark: its first column is 'country', bound in the prompt" e2e_json "$T/bom.json" \
	"d['cases'][0]['vars'] == {'country': 'France', 'capital': 'Paris'}"
check "the request carries the value of the first column" bodies_have \
	"'What is the capital of France?' in json.dumps(b['messages'], ensure_ascii=False)"

before=$(requests)
cat >"$T/x/lang.yaml" <<'YAML'
prompt: "Capital of {{country}}, in {{language}}{{#note}} ({{note}}){{/note}}"
models: [openai/gpt-4o-mini]
dataset: bom.csv
YAML
"$A" experiment run "$T/x/lang.yaml" >"$T/lang.out" 2>"$T/lang.err"
rc=$?
d="a variable the prompt uses outside any section without a column: exit 1, naming it, before any request"
if [ "$rc" -eq 1 ] && grep -q "lang.yaml:1:9: the prompt uses {{language}} but the dataset bom.csv has no column 'language'" "$T/lang.err" &&
	[ "$(requests)" -eq "$before" ] && [ "$(wc -l <"$T/lang.err")" -eq 1 ]; then
	ok "$d"
else
	fail "$d" "rc=$rc" "$(cat "$T/lang.err")" "requests: $before -> $(requests)"
fi
cat >"$T/x/req.prompt" <<'PROMPT'
---
variables:
  - name: topic
    required: true
  - name: tone
---
Write about {{topic}}{{#tone}} in a {{tone}} tone{{/tone}}.
PROMPT
printf 'template: req.prompt\nmodels: [openai/gpt-4o-mini]\ndataset: bom.csv\n' >"$T/x/req.yaml"
"$A" experiment run "$T/x/req.yaml" >/dev/null 2>"$T/req.err"
rc=$?
check "a declared required variable without a column is named the same way" \
	sh -c "[ $rc -eq 1 ] && grep -q \"template req requires the variable 'topic' but the dataset bom.csv has no column 'topic'\" '$T/req.err' && [ $(requests) -eq $before ]"
printf 'topic\nrain\n' >"$T/x/topic.csv"
printf 'template: req.prompt\nmodels: [openai/gpt-4o-mini]\ndataset: topic.csv\n' >"$T/x/req2.yaml"
"$A" experiment run "$T/x/req2.yaml" --json >"$T/req2.json" 2>"$T/req2.err"
check "an optional variable used only inside a section stays optional" e2e_json "$T/req2.json" \
	"d['summary']['cases'] == 1 and d['cases'][0]['run_status'] == 'ok'"

# ---------------------------------------------------------------- 2. linear work on hostile sizes
#
# Timing is not a pass/fail criterion here: each hostile input runs under a
# CPU-time limit (RLIMIT_CPU, CPU seconds, so a busy machine does not change
# it) at a size n and at 4n or 8n. The quadratic code needed ~34 s (YAML 100k
# deep) and ~41 s (100k CSV rows) for the base size alone, so it dies of
# SIGXCPU far below the largest size; the linear code takes well under a
# second there, far from the limit even under a sanitizer. Memory is
# checked by the peak RSS: growing the input by k may grow what is above a
# trivial run by at most 1.5k.
LIMIT=${AIWB_CPU_LIMIT:-20}
cat >"$T/measure.py" <<'EOF'
import json, resource, subprocess, sys
limit, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
def pre():
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
p = subprocess.run(cmd, preexec_fn=pre, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": p.returncode, "cpu_s": ru.ru_utime + ru.ru_stime, "rss_kb": ru.ru_maxrss,
           "stdout": p.stdout.decode("utf-8", "replace"),
           "stderr": p.stderr.decode("utf-8", "replace")[-2000:]}, open(out, "w"))
EOF
# measure NAME CMD...: runs CMD under the limit; the result is $T/m.NAME.json
measure() { _n=$1; shift; "$E2E_PY" "$T/measure.py" "$LIMIT" "$T/m.$_n.json" "$@"; }
# deep_yaml FILE DEPTH PREFIX SUFFIX: PREFIX, DEPTH '[' then as many ']', SUFFIX
deep_yaml() {
	"$E2E_PY" -c 'import sys; n = int(sys.argv[2])
open(sys.argv[1], "w").write(sys.argv[3] + "[" * n + "]" * n + sys.argv[4])' "$@"
}
# linear NAME_SMALL NAME_BIG FACTOR STDERR_TEXT: both runs ended by themselves (no
# SIGXCPU), said STDERR_TEXT, and memory grew at most linearly.
linear() {
	"$E2E_PY" -c 'import json,sys
t = sys.argv[1]
z, s, b = (json.load(open(t + "/m." + n + ".json")) for n in ("tiny", sys.argv[2], sys.argv[3]))
k = float(sys.argv[4])
ok = all(r["rc"] >= 0 and sys.argv[5] in r["stderr"] for r in (s, b))
ok = ok and b["rss_kb"] - z["rss_kb"] <= 1.5 * k * max(s["rss_kb"] - z["rss_kb"], 1024)
if not ok:
    print("tiny", z, "small", s, "big", b, sep="\n")
sys.exit(0 if ok else 1)' "$T" "$@"
}

measure tiny "$A" prompt render "$T/x/req.prompt" --var topic=x

deep_yaml "$T/deep1.prompt" 60000 '---
name: deep
x: ' '
---
hello
'
deep_yaml "$T/deep8.prompt" 480000 '---
name: deep
x: ' '
---
hello
'
measure yaml1 "$A" prompt render "$T/deep1.prompt"
measure yaml8 "$A" prompt render "$T/deep8.prompt"
# (a prompt file holds at most 1 MiB: 480k levels is near the most it can)
d="prompt render: front matter nested 60k and 480k deep is refused within the CPU limit, memory linear"
if linear yaml1 yaml8 8 "YAML nested more than 64 levels deep; flatten the front matter" >"$T/lin.out" 2>&1 &&
	grep -q "deep1.prompt:3:68: YAML nested" "$T/m.yaml1.json" && grep -q "deep8.prompt:3:68: YAML nested" "$T/m.yaml8.json"; then
	ok "$d"
else
	fail "$d" "$(cat "$T/lin.out")"
fi

mkdir -p "$XDG_CONFIG_HOME/aiwb/prompts"
cp "$T/deep1.prompt" "$XDG_CONFIG_HOME/aiwb/prompts/deep.prompt"
measure ls1 "$A" prompt ls --json
cp "$T/deep8.prompt" "$XDG_CONFIG_HOME/aiwb/prompts/deep.prompt"
measure ls8 "$A" prompt ls --json
d="prompt ls with a user prompt nested 60k and 480k deep lists it with its error, within the CPU limit"
if "$E2E_PY" -c 'import json,sys
for n in ("ls1", "ls8"):
    r = json.load(open(sys.argv[1] + "/m." + n + ".json"))
    d = json.loads(r["stdout"] if r["rc"] == 0 else "{}")
    e = [t for t in d.get("templates", []) if t["name"] == "deep"]
    assert r["rc"] == 0 and e and "nested more than 64 levels deep" in e[0]["error"], r
' "$T" 2>"$T/ls.err"; then
	ok "$d"
else
	fail "$d" "$(tail -c 1500 "$T/ls.err")"
fi
rm -f "$XDG_CONFIG_HOME/aiwb/prompts/deep.prompt"

deep_yaml "$T/x/deep1.yaml" 80000 'prompt: hi
models: [openai/gpt-4o-mini]
description: ' '
'
deep_yaml "$T/x/deep8.yaml" 640000 'prompt: hi
models: [openai/gpt-4o-mini]
description: ' '
'
before=$(requests)
measure exp1 "$A" experiment run "$T/x/deep1.yaml"
measure exp8 "$A" experiment run "$T/x/deep8.yaml"
d="experiment files nested 80k and 640k deep are refused within the CPU limit, memory linear, no request"
if linear exp1 exp8 8 "YAML nested more than 64 levels deep" >"$T/lin.out" 2>&1 && [ "$(requests)" -eq "$before" ]; then
	ok "$d"
else
	fail "$d" "$(cat "$T/lin.out")"
fi

# rows N FILE: a CSV dataset of N rows
rows() {
	"$E2E_PY" -c 'import sys
with open(sys.argv[2], "w") as f:
    f.write("country,capital\n")
    for i in range(int(sys.argv[1])):
        f.write("Country %d,\"Capital, %d\"\n" % (i, i))' "$1" "$2"
}
rows 25000 "$T/x/r25k.csv"
rows 100000 "$T/x/r100k.csv"
# two models: 200,000 cases is over the limit, so the run stops right after
# loading the dataset, which is the work measured
for n in 25k 100k; do
	printf 'prompt: "{{country}}"\nmodels: [openai/a, openai/b, openai/c, openai/d, openai/e]\ndataset: r%s.csv\n' "$n" \
		>"$T/x/rows$n.yaml"
done
measure csv1 "$A" experiment run "$T/x/rows25k.yaml"
measure csv4 "$A" experiment run "$T/x/rows100k.yaml"
d="a CSV dataset of 25k and 100k rows loads within the CPU limit, memory linear"
if linear csv1 csv4 4 "cases (rows x prompts x models) are more than 100000" >"$T/lin.out" 2>&1; then
	ok "$d"
else
	fail "$d" "$(cat "$T/lin.out")"
fi

# ---------------------------------------------------------------- 3. FIFOs never block

mkfifo "$T/fifo.prompt" "$T/fifo.json" "$T/x/fifo.csv" "$T/fifo.yaml" "$T/x/part.mustache"
printf 'prompt: hi\nmodels: [openai/gpt-4o-mini]\ndataset: fifo.csv\n' >"$T/x/fifo-data.yaml"
printf -- '---\nname: p\n---\nhi {{>part}}\n' >"$T/x/withpart.prompt"
# refused KIND WHAT CMD...: CMD ends within 10 s with exit 1 and says the file is not a regular file (a KIND).
refused() {
	_d="a $1 as $2 is refused at once, not waited on"
	_kind=$1
	shift 2
	timeout 10 "$@" >"$T/fifo.out" 2>"$T/fifo.err"
	_rc=$?
	if [ "$_rc" -eq 1 ] && grep -q "not a regular file (a $_kind)" "$T/fifo.err"; then
		ok "$_d"
	else
		fail "$_d" "rc=$_rc (124: it blocked)" "$(cat "$T/fifo.err")"
	fi
}
refused FIFO "template" "$A" prompt render "$T/fifo.prompt"
refused FIFO "partial" "$A" prompt render "$T/x/withpart.prompt"
refused FIFO "--data" "$A" prompt render "$T/x/req.prompt" --data "$T/fifo.json"
refused FIFO "--vars-file" "$A" prompt render "$T/x/req.prompt" --vars-file "$T/fifo.json"
refused FIFO "ask --vars-file" "$A" ask -m openai/gpt-4o-mini -t "$T/x/req.prompt" --vars-file "$T/fifo.json"
refused FIFO "dataset" "$A" experiment run "$T/x/fifo-data.yaml"
refused FIFO "experiment file" "$A" experiment run "$T/fifo.yaml"
refused device "template" "$A" prompt render /dev/zero

# ---------------------------------------------------------------- 4. NUL and invalid UTF-8

for m in openai/gpt-nul anthropic/claude-nul ollama/llama-nul bedrock/anthropic.nul-v1:0; do
	for s in "" --no-stream; do
		"$A" ask -m "$m" $s "Say hi" >"$T/nul.out" 2>"$T/nul.err"
		rc=$?
		d="$m${s:+ $s}: a NUL (\\u0000) in the answer becomes U+FFFD, the text after it is kept"
		if [ "$rc" -eq 0 ] && grep -q "Hello fr${FFFD}om the fake" "$T/nul.out"; then
			ok "$d"
		else
			fail "$d" "rc=$rc" "$(cat "$T/nul.out" "$T/nul.err")"
		fi
	done
done
"$A" ask -m openai/gpt-nul "Say hi" --json >"$T/nul.json" 2>/dev/null
check "ask --json: the answer with the NUL replaced, the rest kept" e2e_json "$T/nul.json" \
	"'Hello fr\ufffdom the fake OpenAI.' in d['text']"

printf 'x is {{x}}.\n' >"$T/bare.mustache"
printf '{"x": "a\\u0000b"}\n' >"$T/nul-vars.json"
"$A" prompt render "$T/bare.mustache" --vars-file "$T/nul-vars.json" >"$T/render.out" 2>&1
check "a variable holding \\u0000 renders U+FFFD and the rest of it (--vars-file)" grep -q "x is a${FFFD}b\." "$T/render.out"
"$A" prompt render "$T/bare.mustache" --data "$T/nul-vars.json" >"$T/render.out" 2>&1
check "the same through --data" grep -q "x is a${FFFD}b\." "$T/render.out"

printf 'name,expected\nx\000y,ok\377\300\257!\n' >"$T/x/cells.csv"
printf 'prompt: "Greet {{name}} {{expected}}"\nmodels: [openai/gpt-4o-mini]\ndataset: cells.csv\n' >"$T/x/cells.yaml"
"$A" experiment run "$T/x/cells.yaml" --json >"$T/cells.json" 2>"$T/cells.err"
check "CSV cells: a NUL and invalid UTF-8 reach the request as U+FFFD, nothing cut" bodies_have \
	"'Greet x\ufffdy ok\ufffd\ufffd\ufffd!' in json.dumps(b['messages'], ensure_ascii=False)"
check "experiment run --json is valid JSON with the repaired cells" e2e_json "$T/cells.json" \
	"d['cases'][0]['vars'] == {'name': 'x\ufffdy', 'expected': 'ok\ufffd\ufffd\ufffd!'}"
ID=$("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/cells.json" 2>/dev/null)
"$A" experiment show "$ID" --json >"$T/show.json" 2>"$T/show.err"
check "experiment show --json is valid JSON (UTF-8) with the same cells" e2e_json "$T/show.json" \
	"d['cases'][0]['vars'] == {'name': 'x\ufffdy', 'expected': 'ok\ufffd\ufffd\ufffd!'}"

# ---------------------------------------------------------------- 5. a second YAML document

before=$(requests)
printf 'prompt: hi\nmodels: [openai/gpt-4o-mini]\n---\nprompt: other\nmodels: [openai/gpt-4o]\n' >"$T/x/two.yaml"
"$A" experiment run "$T/x/two.yaml" >/dev/null 2>"$T/two.err"
rc=$?
check "a second YAML document in an experiment file: exit 1, file and line, no request" \
	sh -c "[ $rc -eq 1 ] && grep -q 'two.yaml:3:1: a second YAML document starts here' '$T/two.err' && [ $(requests) -eq $before ]"

# ---------------------------------------------------------------- 6. numbers too large for a double

printf '{"x": 1e999}\n' >"$T/big.json"
"$A" prompt render "$T/bare.mustache" --vars-file "$T/big.json" >"$T/big.out" 2>&1
check "--vars-file {\"x\": 1e999} renders 1e999 as written, not Infinity" grep -qx "x is 1e999." "$T/big.out"
printf -- '---\nvariables:\n  - {name: j, type: json}\n---\nj is {{j}}.\n' >"$T/json.prompt"
"$A" prompt render "$T/json.prompt" --var j=-1e999 >"$T/big.out" 2>&1
check "--var of type json -1e999 renders as written" grep -qx "j is -1e999." "$T/big.out"
printf '{"q": 1e999}\n' >"$T/x/big.jsonl"
printf 'prompt: "q={{q}}"\nmodels: [openai/gpt-4o-mini]\ndataset: big.jsonl\n' >"$T/x/big.yaml"
"$A" experiment run "$T/x/big.yaml" >/dev/null 2>&1
check "a JSONL value 1e999 goes out as 1e999" bodies_have "'q=1e999' in json.dumps(b['messages'])"
check "and Infinity is sent nowhere" sh -c "! grep -q Infinity '$LOG'"

e2e_done
