# Prompt templates: aiwb prompt ls/show/render (text and JSON), a bare
# Mustache file with --data and --partials, a user template replacing a
# built-in, missing variables (exit 2), and aiwb ask/compare -t against the
# fake server, checked through its request log: the request carries exactly
# the messages `prompt render` shows, a chain sends its steps in order with
# each answer in the next request, self-consistency sends N requests at once
# and prints the vote.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
T=$E2E_TMP/files
mkdir -p "$T"

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}

what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -60 "$out")" "$(cat "$err")"
}

# expect DESC RC [PYEXPR]: the last run exited RC and, with PYEXPR, the
# expression holds with o = stdout (text), e = stderr, d = stdout as JSON.
expect() {
	_d=$1 _rc=$2
	if [ "$RC" = "$_rc" ] && { [ $# -lt 3 ] || "$E2E_PY" -c 'import json, sys
o = open(sys.argv[1]).read()
e = open(sys.argv[2]).read()
try:
    d = json.loads(o)
except ValueError:
    d = None
sys.exit(0 if eval(sys.argv[3]) else 1)' "$out" "$err" "$3"; }; then
		ok "$_d"
	else
		fail "$_d" "$(what)"
	fi
}

# usage_error DESC ARGS...: exit 2, nothing on stdout, one line on stderr.
usage_error() {
	_d=$1
	shift
	run "$@"
	if [ "$RC" = 2 ] && [ ! -s "$out" ] && [ "$(wc -l <"$err")" = 1 ]; then ok "$_d"; else fail "$_d" "$(what)"; fi
}

# ---------------------------------------------------------------- prompt ls / show

BUILTINS="chain-of-thought chain-of-thought-few-shot few-shot multi-step rag role self-consistency zero-shot"
run prompt ls
expect "prompt ls lists every built-in with its technique, source and description" 0 \
	"o.splitlines()[0].split() == ['NAME', 'TECHNIQUE', 'SOURCE', 'DESCRIPTION'] and \
	 sorted(l.split()[0] for l in o.splitlines()[1:] if l) == '$BUILTINS'.split() and \
	 all(l.split()[2] == 'built-in' for l in o.splitlines()[1:] if l) and \
	 any(l.split()[:2] == ['few-shot', 'few-shot'] and 'input/output pairs' in l for l in o.splitlines())"
run prompt ls --json
expect "prompt ls --json: name, technique, description, source, path of each" 0 \
	"sorted(x['name'] for x in d['templates']) == '$BUILTINS'.split() and \
	 all(x['source'] == 'built-in' and x['description'] and x['path'].endswith(x['name'] + '.prompt') and \
	     not x['overrides'] and x['error'] is None for x in d['templates']) and \
	 {x['name']: x['technique'] for x in d['templates']}['chain-of-thought-few-shot'] == 'chain-of-thought'"

run prompt show few-shot
if [ "$RC" = 0 ] && cmp -s "$out" prompts/few-shot.prompt; then
	ok "prompt show prints the template file: front matter and body"
else
	fail "prompt show prints the template file: front matter and body" "$(what)"
fi
run prompt show few-shot --json
expect "prompt show --json: variables, parameters, examples, body" 0 \
	"d['name'] == 'few-shot' and d['technique'] == 'few-shot' and d['source'] == 'built-in' and \
	 [(v['name'], v['required'], v['type']) for v in d['variables']] == [('question', True, 'string'), ('task', False, 'string')] and \
	 d['params'] == {'temperature': 0, 'max_tokens': 256} and len(d['examples']) == 3 and \
	 d['examples'][0]['output'] == 'positive' and '{{#examples}}' in d['body'] and d['steps'] == []"
run prompt show multi-step --json
expect "prompt show --json lists a chain's steps with their output variables" 0 \
	"[(s['name'], s['output_var']) for s in d['steps']] == [('analyze', 'analysis'), ('draft', 'draft'), ('review', None)]"
run prompt show chain-of-thought-few-shot --json
expect "examples_file: the worked examples come from the JSONL file beside the prompt" 0 \
	"d['examples_file'] == 'chain-of-thought-few-shot.jsonl' and len(d['examples']) == 3 and \
	 all('Answer:' in x['output'] for x in d['examples'])"
run prompt show nosuch
expect "prompt show of an unknown name fails and says where it looked" 1 \
	"o == '' and \"no template 'nosuch'\" in e and 'prompt ls' in e"
usage_error "prompt with no subcommand is a usage error" prompt
usage_error "an unknown prompt subcommand is a usage error" prompt frobnicate

# ---------------------------------------------------------------- prompt render

run prompt render few-shot --var question="Works fine, ships late."
expect "prompt render prints the messages as ROLE: blocks, examples as earlier turns" 0 \
	"o.startswith('system:\nClassify the sentiment') and \
	 [l for l in o.splitlines() if l.endswith(':') and l in ('system:', 'user:', 'assistant:')] == \
	   ['system:', 'user:', 'assistant:', 'user:', 'assistant:', 'user:', 'assistant:', 'user:'] and \
	 o.endswith('user:\nWorks fine, ships late.\n')"
run prompt render few-shot --var question=Q --json
cp "$out" "$E2E_TMP/fewshot.json"
expect "prompt render --json: {messages: [{role, content}], params}" 0 \
	"[m['role'] for m in d['messages']] == ['system'] + ['user', 'assistant'] * 3 + ['user'] and \
	 d['messages'][-1] == {'role': 'user', 'content': 'Q'} and d['messages'][2]['content'] == 'positive' and \
	 d['params'] == {'temperature': 0, 'max_tokens': 256}"
printf '{"question": "From the file", "task": "Say which language the text is in."}\n' >"$T/vars.json"
run prompt render few-shot --vars-file "$T/vars.json" --json
expect "--vars-file sets variables from a JSON object" 0 \
	"d['messages'][0]['content'].startswith('Say which language') and d['messages'][-1]['content'] == 'From the file'"
run prompt render few-shot --vars-file "$T/vars.json" --var question=CLI --json
expect "--var wins over --vars-file" 0 "d['messages'][-1]['content'] == 'CLI'"
usage_error "a missing required variable is exit 2, naming it and the template" prompt render few-shot
if grep -q "template few-shot needs --var question=\.\.\." "$err"; then
	ok "the message says: template few-shot needs --var question=..."
else
	fail "the message says: template few-shot needs --var question=..." "$(what)"
fi
usage_error "rag needs both question and context" prompt render rag --var question=Q
grep -q "needs --var context=" "$err" && ok "... and names the one missing (context)" || fail "... and names the one missing (context)" "$(what)"
usage_error "an undeclared variable is exit 2" prompt render few-shot --var question=Q --var questoin=R
usage_error "--var without '=' is exit 2" prompt render few-shot --var question

run prompt render multi-step --var task="Plan a picnic"
expect "prompt render of a chain shows every step's messages in order" 0 \
	"[l for l in o.splitlines() if l.startswith('=== step')] == \
	   ['=== step 1/3: analyze -> analysis ===', '=== step 2/3: draft -> draft ===', '=== step 3/3: review ==='] and \
	 'Plan a picnic' in o and '<the answer of step analyze>' in o"
run prompt render multi-step --var task=T --json
expect "prompt render --json of a chain: steps [{name, output_var, messages}]" 0 \
	"[s['name'] for s in d['steps']] == ['analyze', 'draft', 'review'] and \
	 all(s['messages'][-1]['role'] == 'user' for s in d['steps']) and d['params'] == {'temperature': 0.3}"
run prompt render self-consistency --var question=Q --json
expect "prompt render --json of self-consistency adds samples and answer_regex" 0 \
	"d['samples'] == 5 and 'nswer' in d['answer_regex'] and d['params'] == {'temperature': 0.8}"

# A bare Mustache file: --data for the view, --partials for {{>x}}.
mkdir -p "$T/parts"
printf 'Hello {{name}}!\n{{#items}}\n- {{>item}}\n{{/items}}\n{{^items}}none{{/items}}\n' >"$T/page.mustache"
printf '{{title}} ({{n}})' >"$T/parts/item.mustache"
printf '{"name": "Ann & <Bob>", "items": [{"title": "a", "n": 1}, {"title": "b", "n": 2.5}]}\n' >"$T/data.json"
run prompt render "$T/page.mustache" --data "$T/data.json" --partials "$T/parts"
expect "a bare .mustache file renders with --data and partials from --partials DIR" 0 \
	"o == 'Hello Ann & <Bob>!\n- a (1)\n- b (2.5)\n\n'"
run prompt render "$T/page.mustache" --data "$T/data.json" --partials "$T/parts" --var name=Cy --json
expect "a bare file with --json gives its text; --var sets a value in the data" 0 \
	"d['text'] == 'Hello Cy!\n- a (1)\n- b (2.5)\n\n' and d['messages'] == [{'role': 'user', 'content': d['text']}]"
run prompt render "$T/page.mustache"
expect "a bare file without data renders with an empty view" 0 "o == 'Hello !\nnone\n'"
run prompt render "$T/page.mustache" --data "$T/nosuch.json"
expect "a missing --data file is an error naming it" 1 "'nosuch.json' in e"
printf '{"name": \n' >"$T/broken.json"
run prompt render "$T/page.mustache" --data "$T/broken.json"
expect "invalid JSON in --data is an error naming the file and line" 1 "'broken.json:2' in e"

printf -- '---\ndescription: oops\nvariables:\n  - name: q\n    type: strng\n---\nuser:\n{{q}}\n' >"$T/bad.prompt"
run prompt render "$T/bad.prompt"
expect "a front matter error names the file, line and column" 1 "'bad.prompt:5:11:' in e and 'string, number, boolean or json' in e"
printf -- '---\ndescription: oops\n---\nsystem:\nS\n\nuser:\n{{#open}}\n' >"$T/bad2.prompt"
run prompt render "$T/bad2.prompt"
expect "a Mustache error names the file line (front matter counted)" 1 "'bad2.prompt:8:1:' in e and \"'open'\" in e"

# ---------------------------------------------------------------- a user template overrides a built-in

mkdir -p "$XDG_CONFIG_HOME/aiwb/prompts"
cat >"$XDG_CONFIG_HOME/aiwb/prompts/zero-shot.prompt" <<'EOF'
---
description: my own zero-shot
technique: zero-shot
variables:
  - {name: question, required: true}
  - {name: n, type: number, default: 1}
  - {name: loud, type: boolean, default: false}
  - {name: opts, type: json}
parameters:
  temperature: 1.5
  max_tokens: 77
---
system:
Mine. n={{n}}{{#loud}} LOUD{{/loud}}{{#opts}} style={{opts.style}}{{/opts}}
user:
{{question}}
EOF
run prompt ls --json
expect "a user template replaces the built-in of the same name in prompt ls" 0 \
	"[(x['source'], x['overrides'], x['description']) for x in d['templates'] if x['name'] == 'zero-shot'] == [('user', True, 'my own zero-shot')] and len(d['templates']) == 8"
run prompt ls
expect "prompt ls marks it user* with a note" 0 "any(l.split()[:3] == ['zero-shot', 'zero-shot', 'user*'] for l in o.splitlines()) and 'replaces the built-in' in o"
run prompt render zero-shot --var question=Q --var n=2.50 --var loud=yes --var 'opts={"style": "terse"}' --json
expect "--var values are typed as declared: number, boolean, json" 0 \
	"d['messages'][0]['content'] == 'Mine. n=2.5 LOUD style=terse' and d['params'] == {'temperature': 1.5, 'max_tokens': 77}"
usage_error "a --var that is not a number for a number variable is exit 2" prompt render zero-shot --var question=Q --var n=lots

# ---------------------------------------------------------------- ask -t against the fake

if ! fake_start tpl --openai-key sk-tpl --anthropic-key sk-ant-tpl; then
	fail "the fake server starts" "$(cat "$E2E_TMP/tpl.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
fake_env "$URL"
export OPENAI_API_KEY=sk-tpl ANTHROPIC_API_KEY=sk-ant-tpl
LOG=$E2E_TMP/tpl.log
ANSWER='Hello from the fake OpenAI. One two three four five six seven eight.'

mark() { MARK=$(wc -l <"$LOG" 2>/dev/null || echo 0); }

# since DESC PYEXPR: the log lines written since mark, as L (dicts) and B
# (their bodies parsed), make PYEXPR true; R is the last `prompt render
# --json` saved in $E2E_TMP/render.json (or None).
since() {
	if "$E2E_PY" -c 'import json, os, sys
L = [json.loads(x) for x in open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]]
B = [json.loads(x["body"]) for x in L]
r = sys.argv[3]
R = json.load(open(r)) if os.path.exists(r) else None
o = open(sys.argv[4]).read()
sys.exit(0 if eval(sys.argv[5]) else 1)' "$LOG" "$MARK" "$E2E_TMP/render.json" "$out" "$2"; then
		ok "$1"
	else
		fail "$1" "$(what)" "log since mark:" "$(tail -n +$((MARK + 1)) "$LOG" | cut -c1-600)"
	fi
}

rm -f "$XDG_CONFIG_HOME/aiwb/prompts/zero-shot.prompt"
"$A" prompt render zero-shot --var question="What is drift?" --var format="one sentence" --json >"$E2E_TMP/render.json"
mark
run ask -m openai/gpt-4o-mini -t zero-shot --var format="one sentence" "What is drift?"
expect "ask -t zero-shot: the PROMPT fills the first variable and the answer streams out" 0 "o == '''$ANSWER\n'''"
since "the request's messages are exactly what prompt render showed; the template's temperature is sent" \
	"len(B) == 1 and B[0]['messages'] == R['messages'] and B[0]['temperature'] == 0.2 and R['messages'][0]['role'] == 'system'"
mark
run ask -m openai/gpt-4o-mini -t zero-shot --temperature 0.9 --max-tokens 5 --system "Be terse." --var question=Hi
since "command-line options override the template's parameters and system message" \
	"B[0]['temperature'] == 0.9 and B[0].get('max_completion_tokens', B[0].get('max_tokens')) == 5 and \
	 B[0]['messages'] == [{'role': 'system', 'content': 'Be terse.'}, {'role': 'user', 'content': 'Hi'}]"

"$A" prompt render few-shot --var question="Great value." --json >"$E2E_TMP/render.json"
mark
run ask -m openai/gpt-4o-mini -t few-shot --var question="Great value."
expect "ask -t few-shot succeeds" 0 "o.startswith('Hello from the fake')"
since "ask -t few-shot sends the system message, the examples as turns and the question" \
	"len(B) == 1 and B[0]['messages'] == R['messages'] and len(B[0]['messages']) == 8 and B[0]['max_completion_tokens' if 'max_completion_tokens' in B[0] else 'max_tokens'] == 256"
mark
run ask -m anthropic/claude-3-5-haiku-latest -t few-shot "Great value."
since "on Anthropic the system message goes to 'system' and the turns to 'messages'" \
	"len(B) == 1 and B[0]['system'] == R['messages'][0]['content'] and B[0]['messages'] == R['messages'][1:] and B[0]['max_tokens'] == 256"

mark
usage_error "ask -t with a required variable missing is exit 2" ask -m openai/gpt-4o-mini -t few-shot
grep -q "template few-shot needs --var question=" "$err" && ok "... naming the variable and the template" || fail "... naming the variable and the template" "$(what)"
since "... and nothing is sent" "len(L) == 0"
usage_error "the first variable given twice (--var and PROMPT) is exit 2" ask -m openai/gpt-4o-mini -t few-shot --var question=a b
usage_error "--var without -t is exit 2" ask -m openai/gpt-4o-mini --var a=b hi
run ask -m openai/gpt-4o-mini -t nosuch hi
expect "ask -t with an unknown template fails (exit 1) naming it" 1 "\"no template 'nosuch'\" in e"

# multi-step: three requests in order, each answer in the next request.
mark
run ask -m openai/gpt-4o-mini -t multi-step "Plan a picnic for 12"
expect "ask -t multi-step prints each step under its name" 0 \
	"[l for l in o.splitlines() if l.startswith('===')] == ['=== step 1/3: analyze ===', '=== step 2/3: draft ===', '=== step 3/3: review ==='] and \
	 o.count('$ANSWER') == 3"
since "the chain sends three requests in order; step 2 carries step 1's answer, step 3 step 2's" \
	"len(B) == 3 and 'Plan a picnic for 12' in B[0]['messages'][-1]['content'] and \
	 'Analysis and plan prepared earlier:\n$ANSWER' in B[1]['messages'][-1]['content'] and \
	 'Draft answer:\n$ANSWER' in B[2]['messages'][-1]['content'] and \
	 [b['messages'][0]['content'].split('.')[0] for b in B] == ['You are a meticulous analyst', 'You are an expert who follows a plan carefully and completely', 'You are a demanding reviewer and editor'] and \
	 all(b['temperature'] == 0.3 for b in B) and [x['seq'] for x in L] == sorted(x['seq'] for x in L)"
mark
run ask -m openai/gpt-4o-mini -t multi-step --json "Plan"
expect "ask -t multi-step --json: the steps with their runs, and the final text" 0 \
	"[s['step'] for s in d['steps']] == ['analyze', 'draft', 'review'] and [s['output_var'] for s in d['steps']] == ['analysis', 'draft', None] and \
	 d['text'] == '$ANSWER' and d['complete'] and all(s['status'] == 'ok' for s in d['steps'])"
mark
run ask -m openai/fail-500 -t multi-step "Plan"
expect "a failing step stops the chain (exit 1, naming the step)" 1 "'analyze' in e and 'HTTP 500' in e"
since "... and no later step is sent" "all(x['model'] == 'fail-500' for x in L) and not any('Draft answer' in json.dumps(b) for b in B)"

# self-consistency: N requests at once, the answers extracted and voted.
cat >"$XDG_CONFIG_HOME/aiwb/prompts/vote.prompt" <<'EOF'
---
description: self-consistency tuned to the fake's answer
technique: self-consistency
variables: [question]
samples: 4
answer_regex: "fake ([A-Za-z]+)\\."
parameters:
  temperature: 0.9
---
{{question}}
EOF
mark
run ask -m openai/gpt-4o-mini -t vote "Who are you?"
expect "ask -t self-consistency prints the winning answer and the vote counts" 0 \
	"o == 'OpenAI\nvotes: 4 of 4 (OpenAI: 4; no answer: 0)\n'"
since "it sends samples (4) requests with the template's temperature" \
	"len(B) == 4 and all(b['messages'] == [{'role': 'user', 'content': 'Who are you?'}] and b['temperature'] == 0.9 for b in B)"
run ask -m openai/tokens-30-tps-20 -t vote --json "Who are you?"
expect "the samples run at once (4 x 1.5 s in about 1.5 s); --json has the answer, votes and each sample" 0 \
	"d['answer'] == 'OpenAI' and d['votes'] == [{'answer': 'OpenAI', 'votes': 4}] and d['no_answer'] == 0 and \
	 len(d['samples']) == 4 and all(s['answer'] == 'OpenAI' and s['complete'] for s in d['samples']) and \
	 max(s['total_ms'] for s in d['samples']) < 4000"
mark
run ask -m openai/gpt-4o-mini -t self-consistency "What is 6 x 7?"
expect "the built-in self-consistency finds no 'Answer:' line in the fake's text: exit 1, saying so" 1 \
	"'no sample gave an answer' in e and 'answer_regex' in e"
since "... after sending its 5 samples" "len(B) == 5 and all(b['temperature'] == 0.8 for b in B)"

# compare -t: the same rendered messages to every model.
"$A" prompt render role --var question="Why is the sky blue?" --var audience="children" --json >"$E2E_TMP/render.json"
mark
run compare -m openai/gpt-4o-mini -m anthropic/claude-3-5-haiku-latest -t role --var audience=children "Why is the sky blue?"
expect "compare -t renders once and sends to every model" 0 "o.count('seven eight') == 2"
since "both requests carry the rendered template (OpenAI messages, Anthropic system + messages)" \
	"len(B) == 2 and [b for b in B if 'system' not in b][0]['messages'] == R['messages'] and \
	 [b for b in B if 'system' in b][0]['system'] == R['messages'][0]['content'] and \
	 [b for b in B if 'system' in b][0]['messages'] == R['messages'][1:]"
usage_error "compare -t with a chain template is exit 2 (it runs with aiwb ask)" \
	compare -m openai/gpt-4o-mini -m anthropic/claude-3-5-haiku-latest -t multi-step x

rows=$("$E2E_PY" -c "import sqlite3,sys
c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
print(*[c.execute(\"select count(*) from runs where kind = 'ask' and messages like ?\", ('%' + w + '%',)).fetchone()[0]
        for w in ('meticulous analyst', 'follows a plan', 'demanding reviewer')])" "$AIWB_HOME/aiwb.db" 2>&1)
check "every step of a chain is saved to the history (3 first steps, 2 second, 2 third)" [ "$rows" = "3 2 2" ]
groups=$("$E2E_PY" -c "import sqlite3,sys
c = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
g = c.execute('select conversation, count(*), min(turn), max(turn), min(id) from runs where conversation is not null'
              ' group by conversation').fetchall()
ok = g and all(n == hi and lo == 1 and first == conv for conv, n, lo, hi, first in g)
steps = c.execute(\"select count(*) from runs where conversation is null and messages like '%follows a plan%'\").fetchone()[0]
samples = [n for conv, n, lo, hi, first in g if n == 5]
print('ok' if ok and steps == 0 and samples else g)" "$AIWB_HOME/aiwb.db" 2>&1)
check "a chain's steps and a self-consistency run's samples are each one group of turns under their first run" [ "$groups" = ok ]
e2e_done
