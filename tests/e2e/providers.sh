#!/bin/sh
# aiwb ask and aiwb models end to end: the real binary against tests/fakes/fakellm
# through the providers' own endpoint variables, for OpenAI, Anthropic, Bedrock
# (SigV4 checked by the fake) and Ollama: normal answers, bodies split at every
# byte, cut streams, retries, server errors, bad CRCs, in-stream errors, hostile
# model text, huge bodies, silent servers, --json, model listing, a credential
# canary, Ctrl-C, --no-stream, usage errors, stdin prompts and a configured
# OpenAI-compatible provider.  One TAP line per case and provider.  POSIX sh;
# every wait has a deadline (each aiwb run is bounded by timeout(1)).
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home

PROVS="openai anthropic bedrock ollama"
R=$E2E_TMP/r
mkdir -p "$R"
ASK_TIMEOUT=40 # the hard deadline of one aiwb run, in seconds
ASK_CFG=       # when set, the AIWB_CONFIG of the runs started
ASK_IN=        # when set, the stdin of the runs started (else /dev/null)

# An AddressSanitizer build (make asan) parses the 64 MiB of a huge body
# several times slower: its deadlines for that are stretched.
SLOW=1
grep -aq __asan_init "$AIWB_BIN" 2>/dev/null && SLOW=4

now_ms() {
	_ns=$(date +%s%N)
	echo $((_ns / 1000000))
}
T_START=$(now_ms)

if [ ! -x "$FAKE" ]; then
	fail "fakellm is built ($FAKE; make build-tests)"
	e2e_done
	exit 1
fi

# ---------------------------------------------------------------- helpers

# One Python process settles a whole section's checks (a Python start costs
# ~0.2 s on a busy machine):  h.py settle QUEUE DIR  reads the records pq
# (below) wrote: KEY, JSON_FILE, ROW_MODEL, LOG_FILE, BYTES_FILE, then WHY and
# EXPR pairs.  Empty file arguments are not loaded.  In EXPR: d (the JSON document), r (the
# newest history row of ROW_MODEL: kind, model, prompt, messages, params,
# output, metrics parsed), L (the fake's request log, one dict per line),
# b (the file's bytes), body(x) (a log line's request body parsed),
# n(pred) (how many log lines satisfy pred), schema(d) (what in an aiwb ask
# --json object breaks docs/cli.md, "" when nothing).  An EXPR that is false or
# raises prints WHY; schema(d) that finds problems prints WHY: problems.
cat >"$E2E_TMP/h.py" <<'EOF'
import json, os, sqlite3, sys

def load_json(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))

def load_row(model):
    db = sqlite3.connect("file:" + os.environ["AIWB_HOME"] + "/aiwb.db?mode=ro", uri=True)
    db.execute("pragma busy_timeout = 5000")
    row = db.execute("select kind, model, prompt, messages, params, output, metrics from runs "
                     "where model = ? order by id desc limit 1", (model,)).fetchone()
    if row is None:
        raise LookupError("no history row for " + model)
    r = dict(zip(("kind", "model", "prompt", "messages", "params", "output", "metrics"), row))
    r["metrics"] = json.loads(r["metrics"] or "null")
    return r

def load_log(path):
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
    return out

def body(x):
    try:
        return json.loads(x.get("body") or "null") or {}
    except ValueError:
        return {}

class Problems(str):
    pass

def schema(d):
    probs = []
    def isnum(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    want = {
        "model": lambda v: isinstance(v, str),
        "text": lambda v: isinstance(v, str),
        "stop_reason": lambda v: v is None or isinstance(v, str),
        "complete": lambda v: isinstance(v, bool),
        "usage": lambda v: isinstance(v, dict),
        "ttft_ms": lambda v: v is None or isnum(v),
        "total_ms": isnum,
        "tokens_per_s": lambda v: v is None or isnum(v),
        "cost_usd": lambda v: v is None or isnum(v),
        "request_id": lambda v: v is None or isinstance(v, str),
        "status": lambda v: v in ("ok", "cut", "error", "cancelled"),
    }
    if not isinstance(d, dict):
        return Problems("not an object")
    for k, f in want.items():
        if k not in d:
            probs.append("no key " + k)
        elif not f(d[k]):
            probs.append("%s is %r" % (k, d[k]))
    u = d.get("usage")
    if isinstance(u, dict):
        for k in ("input_tokens", "output_tokens"):
            if not (isinstance(u.get(k), int) and not isinstance(u.get(k), bool)):
                probs.append("usage.%s is %r" % (k, u.get(k)))
        if not isinstance(u.get("estimated"), bool):
            probs.append("usage.estimated is %r" % (u.get("estimated"),))
    if "error" in d and not isinstance(d["error"], str):
        probs.append("error is %r" % (d["error"],))
    extra = sorted(set(d) - set(want) - {"error"})
    if extra:
        probs.append("undocumented keys %s" % extra)
    return Problems(", ".join(probs))

cache = {}
def source(kind, arg):
    key = (kind, arg)
    if key not in cache:
        try:
            cache[key] = (True, {"d": load_json, "r": load_row, "L": load_log,
                                 "b": lambda p: open(p, "rb").read()}[kind](arg))
        except Exception as e:
            cache[key] = (False, e)
    good, val = cache[key]
    if not good:
        raise val
    return val

if sys.argv[1] == "settle":  # QUEUE DIR: appends the failed checks of verdict K to DIR/K.why
    data = open(sys.argv[2], encoding="utf-8", errors="replace").read()
    for rec in data.split("\x1e"):
        f = rec.split("\x1f")
        if len(f) < 6:
            continue
        key, files, checks = f[0], dict(zip("drLb", f[1:5])), f[5:]
        out = []
        for i in range(0, len(checks) - 1, 2):
            why, expr = checks[i], checks[i + 1]
            try:
                env = {"body": body, "schema": schema, "json": json}
                for k, arg in files.items():
                    if arg:
                        env[k] = source(k, arg)
                if "L" in env:
                    env["n"] = lambda pred, L=env["L"]: sum(1 for x in L if pred(x))
                res = eval(expr, env)
            except Exception as e:
                out.append("%s (%s: %s)" % (why, type(e).__name__, e))
                continue
            if isinstance(res, Problems):
                if res:
                    out.append("%s: %s" % (why, res))
            elif not res:
                out.append(why)
        if out:
            with open(sys.argv[3] + "/" + key + ".why", "a") as w:
                w.write("".join(line.replace("\n", " ") + "\n" for line in out))
EOF

# Checks are collected per TAP line and settled in one go per section:
#   need WHY CMD...   CMD must succeed, else WHY is a reason the line fails
#   pq [WHY EXPR]...  Python checks (h.py above) over the files named by CJ
#                     (JSON), CR (history row of this model), CL (fake log),
#                     CB (bytes); these are cleared after each call
#   pend DESC [TAG]   ends the line: its description and the run it is about
#   settle            runs the queued Python checks, then prints the pending
#                     lines in order: ok, or not ok with the reasons and what
#                     run TAG did
W=
CJ=
CR=
CL=
CB=
NV=0
need() {
	_why=$1
	shift
	"$@" || W="$W${W:+
}$_why"
}
pq() {
	{
		printf '%s\037' "v$((NV + 1))" "$CJ" "$CR" "$CL" "$CB" "$@"
		printf '\036'
	} >>"$R/queue"
	CJ=
	CR=
	CL=
	CB=
}
pend() {
	NV=$((NV + 1))
	[ -n "$W" ] && printf '%s\n' "$W" >"$R/v$NV.why"
	W=
	printf 'v%s\t%s\t%s\n' "$NV" "${2:-none}" "$1" >>"$R/pending"
}
settle() {
	if [ -s "$R/queue" ]; then
		"$E2E_PY" -S "$E2E_TMP/h.py" settle "$R/queue" "$R" 2>"$R/settle.err" ||
			echo "h.py failed: $(cat "$R/settle.err")" >>"$R/v$NV.why"
	fi
	rm -f "$R/queue"
	[ -s "$R/pending" ] || return 0
	while IFS='	' read -r _k _t _d; do
		if [ ! -s "$R/$_k.why" ]; then
			ok "$_d"
		elif [ -f "$R/$_t.rc" ]; then
			fail "$_d" "$(tr '\n' ';' <"$R/$_k.why" | sed 's/;$//; s/;/; /g')" \
				"exit status $(rc "$_t") after $(ms "$_t") ms" \
				"stdout: $(head -c 400 "$R/$_t.out" 2>/dev/null | cat -v)" \
				"stderr: $(head -c 600 "$R/$_t.err" 2>/dev/null | cat -v)"
		else
			fail "$_d" "$(tr '\n' ';' <"$R/$_k.why" | sed 's/;$//; s/;/; /g')"
		fi
	done <"$R/pending"
	rm -f "$R/pending" "$R"/v*.why
}

# _run TAG ARGS...: runs aiwb ARGS (in a subshell) with a hard deadline;
# stdout, stderr, exit status and duration go to $R/TAG.out, .err, .rc, .ms.
_run() (
	_t=$1
	shift
	if [ -n "$ASK_CFG" ]; then
		AIWB_CONFIG=$ASK_CFG
		export AIWB_CONFIG
	fi
	_s=$(now_ms)
	timeout -k 2 "$ASK_TIMEOUT" "$AIWB_BIN" "$@" <"${ASK_IN:-/dev/null}" >"$R/$_t.out" 2>"$R/$_t.err"
	echo $? >"$R/$_t.rc"
	echo $(($(now_ms) - _s)) >"$R/$_t.ms"
)
# run TAG ARGS...: in the foreground.  bg TAG ARGS...: in the background;
# bg_wait waits for those started since the last bg_wait.
run() { _run "$@"; }
BG=
bg() {
	_run "$@" &
	BG="$BG $!"
}
bg_wait() {
	for _p in $BG; do wait "$_p"; done
	BG=
}
rc() { cat "$R/$1.rc" 2>/dev/null; }
ms() { cat "$R/$1.ms" 2>/dev/null; }
# rc_in TAG STATUS...: run TAG exited with one of STATUS.
rc_in() {
	_r=$(rc "$1")
	shift
	for _x in "$@"; do [ "$_r" = "$_x" ] && return 0; done
	return 1
}

# is_text FILE TEXT: FILE holds exactly TEXT and a newline.
is_text() { printf '%s\n' "$2" | cmp -s - "$1"; }
lines() { wc -l <"$1" | tr -d ' '; }
# one_line FILE: exactly one non-empty line.
one_line() { [ "$(lines "$1")" -eq 1 ] && [ "$(wc -c <"$1")" -gt 1 ]; }
has() { grep -Eq -- "$2" "$1"; }
hasi() { grep -Eiq -- "$2" "$1"; }

# mdl PROVIDER TAG SCENARIO: a model name that picks SCENARIO on the fake.
# Bedrock ids carry a ':' so every Bedrock case goes through the %3A path.
mdl() {
	case $1 in
	bedrock) echo "bedrock/x.$2-$3-v1:0" ;;
	*) echo "$1/$2-$3" ;;
	esac
}
# mid PROVIDER/MODEL: the model id the fake sees.
mid() { echo "${1#*/}"; }
std_model() {
	case $1 in
	openai) echo openai/gpt-4o-mini ;;
	anthropic) echo anthropic/claude-3-5-haiku-latest ;;
	bedrock) echo bedrock/anthropic.claude-3-haiku-20240307-v1:0 ;;
	ollama) echo ollama/llama3.1 ;;
	esac
}
answer() {
	case $1 in
	openai) _n=OpenAI ;;
	anthropic) _n=Anthropic ;;
	bedrock) _n=Bedrock ;;
	*) _n=Ollama ;;
	esac
	echo "Hello from the fake $_n. One two three four five six seven eight."
}
# The text before a cut or an in-stream error: the fake sends 3 tokens first.
PARTIAL="Hello from the"
# No ESC, BEL, CR, C1 CSI/OSC bytes (so no UTF-8 C2 9D either).
CLEAN='not any(c in b for c in b"\x1b\x07\r\x9b\x9d")'

# ---------------------------------------------------------------- fakes and environment

OA_KEY=sk-e2e-providers-openai-7c1
AN_KEY=sk-ant-e2e-providers-2f9
AK=AKIDE2EPROVIDERS01
SK=e2eProviders/Secret+Key/0123456789abcdef
if ! fake_start main --max-seconds 240 --openai-key "$OA_KEY" --anthropic-key "$AN_KEY" \
	--aws-access-key "$AK" --aws-secret-key "$SK"; then
	fail "fakellm starts" "$(cat "$E2E_TMP/main.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
MAIN=$URL
MLOG=$E2E_TMP/main.log
# A second fake that checks no key, for the configured vllm provider.
if ! fake_start plain --max-seconds 240; then
	fail "a second fakellm starts" "$(cat "$E2E_TMP/plain.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
PLAIN=$URL
PLOG=$E2E_TMP/plain.log

CFG=$E2E_TMP/config.json
cat >"$CFG" <<EOF
{
	"providers": {
		"vllm": { "type": "openai", "base_url": "$PLAIN/v1" }
	}
}
EOF
CFG_IDLE=$E2E_TMP/config-idle.json
cat >"$CFG_IDLE" <<EOF
{
	"network": { "idle_timeout_s": 1 }
}
EOF

fake_env "$MAIN"
OPENAI_API_KEY=$OA_KEY
ANTHROPIC_API_KEY=$AN_KEY
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
AIWB_CONFIG=$CFG
export OPENAI_API_KEY ANTHROPIC_API_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AIWB_CONFIG

# ---------------------------------------------------------------- 10 (started now): silent servers

# Mostly waiting, so these run in the background while the rest goes on.
ASK_CFG=$CFG_IDLE
ASK_TIMEOUT=$((90 * SLOW)) # only a run the idle timeout never stops reaches it
for p in $PROVS; do
	bg c10-$p ask -m "$(mdl $p c10 silent)" "case ten"
	bg c10n-$p ask --no-stream -m "$(mdl $p c10n silent)" "case ten"
done
SILENT_BG=$BG
BG=
ASK_CFG=
ASK_TIMEOUT=40

# ---------------------------------------------------------------- 1, 2: normal answers, split bytes

for p in $PROVS; do
	bg c1-$p ask -m "$(std_model $p)" "case one for $p"
	bg c2-$p ask -m "$(mdl $p c2 split-bytes)" "case two for $p"
done
bg_wait
for p in $PROVS; do
	t=c1-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	need "stdout is not exactly the answer" is_text "$R/$t.out" "$(answer $p)"
	need "stderr is not empty" [ ! -s "$R/$t.err" ]
	CL=$MLOG
	pq "the fake did not get the request with valid credentials" \
		"n(lambda x: 'case one for $p' in (x['body'] or '') and x['provider'] == '$p' and x['auth_ok'] and x['status'] == 200) == 1"
	pend "$p: a normal answer is printed exactly, exit 0" $t
done
for p in $PROVS; do
	t=c2-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	need "stdout is not exactly the answer" is_text "$R/$t.out" "$(answer $p)"
	CL=$MLOG
	pq "the fake did not split the response" \
		"n(lambda x: x['provider'] == '$p' and x['model'] == '$(mid "$(mdl $p c2 split-bytes)")' and 'split-bytes' in x['scenario']) == 1"
	pend "$p: a response written one byte at a time gives the same text" $t
done

settle

# ---------------------------------------------------------------- 3-7: cut, retry, 5xx, bad CRC, in-stream errors

for p in $PROVS; do
	bg c3-$p ask -m "$(mdl $p c3 cut)" "case three"
	bg c4-$p ask -m "$(mdl $p c4 retry-429)" "case four"
	bg c5-$p ask -m "$(mdl $p c5 fail-500)" "case five"
	bg c7-$p ask -m "$(mdl $p c7 error-in-stream)" "case seven"
done
bg c6-bedrock ask -m "$(mdl bedrock c6 bad-crc)" "case six"
bg c7t-bedrock ask -m "$(mdl bedrock c7t throttle-in-stream)" "case seven"
bg_wait

for p in $PROVS; do
	t=c3-$p
	need "exit status is not 1" [ "$(rc $t)" = 1 ]
	need "stdout is not the partial text '$PARTIAL'" is_text "$R/$t.out" "$PARTIAL"
	need "stderr is not one line" one_line "$R/$t.err"
	need "stderr does not say the stream was cut" hasi "$R/$t.err" "cut"
	need "stderr does not name the provider" has "$R/$t.err" "$p"
	CR=$(mdl $p c3 cut)
	pq "the history output is not the partial text" "r['output'] == '$PARTIAL'" \
		"the history metrics status is not 'cut'" "r['metrics']['status'] == 'cut'" \
		"the history row is not kind 'ask' with the prompt" "r['kind'] == 'ask' and r['prompt'] == 'case three'"
	pend "$p: a stream cut mid-event prints the partial text, says so in one line, exit 1, history status cut" $t
done

for p in $PROVS; do
	t=c4-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	need "stdout is not exactly the answer" is_text "$R/$t.out" "$(answer $p)"
	CL=$MLOG
	pq "the fake did not see exactly a 429 then a 200" \
		"[x['status'] for x in L if x['provider'] == '$p' and x['model'] == '$(mid "$(mdl $p c4 retry-429)")'] == [429, 200]"
	pend "$p: a 429 with retry-after is retried once and then succeeds" $t
done

for p in $PROVS; do
	t=c5-$p
	need "exit status is not 1" [ "$(rc $t)" = 1 ]
	need "stderr is not one line" one_line "$R/$t.err"
	need "stderr does not name the provider" has "$R/$t.err" "$p"
	need "stderr does not say HTTP 500" has "$R/$t.err" "HTTP 500"
	CL=$MLOG
	pq "the fake did not see exactly 3 attempts" \
		"n(lambda x: x['provider'] == '$p' and x['model'] == '$(mid "$(mdl $p c5 fail-500)")') == 3"
	case $p in
	openai) code=server_error ;;
	anthropic) code=api_error ;;
	bedrock) code=InternalServerException ;;
	ollama) code= ;;
	esac
	if [ -n "$code" ]; then
		need "stderr does not give the error code $code" has "$R/$t.err" "$code"
		need "stderr does not give the request id" has "$R/$t.err" "request [A-Za-z0-9_-]{8,}"
		pend "$p: HTTP 500 three times: exit 1, one sentence with provider, HTTP 500, $code and request id; 3 attempts" $t
	else
		# Ollama answers {"error": "..."} with no code and no request id.
		need "stderr does not give the server's message" has "$R/$t.err" "error while processing"
		pend "$p: HTTP 500 three times: exit 1, one sentence with provider, HTTP 500 and the server's message; 3 attempts" $t
	fi
done

t=c6-bedrock
need "exit status is not 1" [ "$(rc $t)" = 1 ]
need "stderr is not one line" one_line "$R/$t.err"
need "stderr does not name a checksum problem" hasi "$R/$t.err" "checksum|crc"
need "stdout is not the partial text 'Hello'" is_text "$R/$t.out" "Hello"
CR=$(mdl bedrock c6 bad-crc)
pq "the history output is not 'Hello'" "r['output'] == 'Hello'"
pend "bedrock: a frame with a bad CRC: exit 1 naming the checksum, partial text printed and kept" $t

for p in $PROVS bedrock-throttle; do
	case $p in
	bedrock-throttle) pp=bedrock t=c7t-bedrock m=$(mdl bedrock c7t throttle-in-stream) ty=throttlingException ;;
	openai) pp=$p t=c7-$p m=$(mdl $p c7 error-in-stream) ty=server_error ;;
	anthropic) pp=$p t=c7-$p m=$(mdl $p c7 error-in-stream) ty=overloaded_error ;;
	bedrock) pp=$p t=c7-$p m=$(mdl $p c7 error-in-stream) ty=modelStreamErrorException ;;
	# Ollama's error line has no type, only a message.
	ollama) pp=$p t=c7-$p m=$(mdl $p c7 error-in-stream) ty="unexpected EOF" ;;
	esac
	need "exit status is not 1" [ "$(rc $t)" = 1 ]
	need "stdout is not the text before the error ('$PARTIAL')" is_text "$R/$t.out" "$PARTIAL"
	need "stderr is not one line" one_line "$R/$t.err"
	need "stderr does not name '$ty'" has "$R/$t.err" "$ty"
	need "stderr does not name the provider" has "$R/$t.err" "$pp"
	CR=$m
	pq "the history does not keep '$PARTIAL' with a status other than ok" \
		"r['output'] == '$PARTIAL' and r['metrics']['status'] != 'ok'"
	pend "$pp: an error inside the stream ($ty): exit 1 naming it, the text before it printed and kept" $t
done

settle

# ---------------------------------------------------------------- 8: hostile model text

for p in $PROVS; do
	m=$(mdl $p c8 evil)
	bg c8-$p ask -m "$m" "case eight"
	bg c8r-$p ask --raw -m "$m" "case eight"
	bg c8j-$p ask --json -m "$m" "case eight"
	bg c8jr-$p ask --json --raw -m "$m" "case eight"
	bg c8x-$p ask -m "$(mdl $p c8x evil-raw)" "case eight"
done
bg_wait
for p in $PROVS; do
	t=c8-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	CB=$R/$t.out
	pq "stdout holds ESC, BEL, CR or a C1 control" "$CLEAN" \
		"stdout has no U+FFFD for the invalid UTF-8" 'b"\xef\xbf\xbd" in b' \
		"stdout is not valid UTF-8" 'b.decode("utf-8") is not None' \
		"stdout lost the harmless text" 'b.startswith(b"Evil:") and b"EVIL end.\n" in b'
	pend "$p: escape sequences, C1 controls and invalid UTF-8 in model text are neutralised on stdout" $t

	t=c8r-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	CB=$R/$t.out
	pq "the raw bytes (OSC 52, ESC [2J, 9B, C2 9D, BEL, FF) did not come through" \
		'b"\x1b]52;" in b and b"\x1b[2J" in b and b"\x9b" in b and b"\xc2\x9d" in b and b"\x07" in b and b"\xff" in b'
	pend "$p: with --raw the model's raw bytes come through" $t

	t=c8j-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	CJ=$R/$t.out
	pq "stdout is not a JSON object with status ok" "d['status'] == 'ok'" \
		"the JSON text holds a control character or lacks U+FFFD" \
		"'\ufffd' in d['text'] and not any(c in d['text'] for c in '\x1b\x07\r\x9b\x9d')"
	pend "$p: --json with hostile model text is valid JSON with the sanitized text" $t

	t=c8jr-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	CJ=$R/$t.out
	pq "stdout is not valid JSON (RFC 8259: UTF-8)" "d['status'] == 'ok'" \
		"the JSON text lost the raw escape sequences" "'\x1b]52;' in d['text']"
	pend "$p: --json --raw is still valid JSON (the raw controls escaped)" $t

	t=c8x-$p
	need "exit status is neither 0 nor 1" rc_in $t 0 1
	need "stderr has more than one line" [ "$(lines "$R/$t.err")" -le 1 ]
	CB=$R/$t.out
	pq "stdout holds ESC, BEL, CR or a C1 control" "$CLEAN"
	CB=$R/$t.err
	pq "stderr holds ESC, BEL, CR or a C1 control" "$CLEAN"
	pend "$p: raw control characters inside the JSON strings (evil-raw) never reach the terminal" $t
done

settle

# ---------------------------------------------------------------- 9: huge bodies

# The deadline only catches a run that never stops: how fast the cap acts is
# bench material, not a pass/fail condition on a loaded machine.
ASK_TIMEOUT=$((300 * SLOW))
for p in $PROVS; do
	bg c9-$p ask -m "$(mdl $p c9 huge)" "case nine"
	bg c9n-$p ask --no-stream -m "$(mdl $p c9n huge)" "case nine"
done
bg_wait
ASK_TIMEOUT=40
for p in $PROVS; do
	for v in c9 c9n; do
		t=$v-$p
		case $v in c9) how=streamed ;; *) how=--no-stream ;; esac
		need "exit status is not 1" [ "$(rc $t)" = 1 ]
		need "stderr is not one line" one_line "$R/$t.err"
		need "stderr does not say the response was larger than the limit" hasi "$R/$t.err" "larger than.*(limit|cap)"
		pend "$p: a 1 GiB body ($how) is refused at the size cap in $(ms $t) ms" $t
		rm -f "$R/$t.out"
	done
done

settle

# ---------------------------------------------------------------- 11: --json

run c13-json models --json
run c13-text models
for p in $PROVS; do
	bg c11-$p ask --json -m "$(std_model $p)" "Say hello to the test"
	bg c11c-$p ask --json -m "$(mdl $p c11c cut)" "case eleven"
	bg c11e-$p ask --json -m "$(mdl $p c11e nosuch)" "case eleven"
done
bg c11u ask --json -m openai/c11-unpriced "Say hello to the test"
bg_wait
for p in $PROVS; do
	t=c11-$p
	m=$(std_model $p)
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	case $p in
	openai | bedrock)
		# the price from aiwb models --json, which reads the same catalog
		cost="[abs(d['cost_usd'] - (5 * x['input_per_mtok'] + 13 * x['output_per_mtok']) / 1e6) < 1e-12 and d['cost_usd'] > 0
			for x in [mm for pp in json.load(open('$R/c13-json.out'))['providers'] if pp['name'] == '$p'
			          for mm in pp['models'] if mm['id'] == '$(mid "$m")']] == [True]"
		costwhy="cost_usd is not 5 x input price + 13 x output price from the catalog"
		;;
	anthropic) cost="d['cost_usd'] > 0" costwhy="cost_usd is not a positive number" ;;
	ollama) cost="d['cost_usd'] == 0" costwhy="cost_usd is not 0 (a local model costs nothing)" ;;
	esac
	case $p in
	ollama) reqid="d['request_id'] is None" ;;
	*) reqid="len(d['request_id']) >= 8" ;;
	esac
	CJ=$R/$t.out
	pq "the object breaks docs/cli.md" "schema(d)" \
		"not model $m, status ok, complete true, no error" \
		"d['model'] == '$m' and d['status'] == 'ok' and d['complete'] is True and 'error' not in d" \
		"text is not the answer" "d['text'] == '$(answer $p)'" \
		"usage is not the provider's (5 in, 13 out, estimated false)" \
		"d['usage'] == {'input_tokens': 5, 'output_tokens': 13, 'estimated': False}" \
		"the timings are not positive numbers" \
		"d['total_ms'] > 0 and 0 <= d['ttft_ms'] <= d['total_ms'] and d['tokens_per_s'] > 0" \
		"$costwhy" "$cost" \
		"request_id is not what the provider sends" "$reqid"
	pend "$p: --json has every documented key with its type, usage from the provider and the right cost" $t

	t=c11c-$p
	need "exit status is not 1" [ "$(rc $t)" = 1 ]
	CJ=$R/$t.out
	pq "the object breaks docs/cli.md" "schema(d)" \
		"not status cut, complete false, the partial text and a sentence saying cut" \
		"d['status'] == 'cut' and d['complete'] is False and d['text'] == '$PARTIAL' and 'cut' in d['error']"
	pend "$p: --json of a cut stream says status cut with the partial text" $t

	t=c11e-$p
	need "exit status is not 1" [ "$(rc $t)" = 1 ]
	CJ=$R/$t.out
	pq "the object breaks docs/cli.md" "schema(d)" \
		"not status error, complete false, a sentence naming the provider" \
		"d['status'] == 'error' and d['complete'] is False and '$p' in d['error']"
	pend "$p: --json of a failed call (unknown model) says status error with the sentence" $t
done
t=c11u
need "exit status is not 0" [ "$(rc $t)" = 0 ]
CJ=$R/$t.out
pq "cost_usd is not null for a model without a price" "d['cost_usd'] is None"
pend "openai: --json gives cost_usd null for a model the catalog has no price for" $t

settle

# ---------------------------------------------------------------- 12: Bedrock path encoding and SigV4

BM=anthropic.claude-3-haiku-20240307-v1
CL=$MLOG
pq "no accepted SigV4 request had the model id as %3A in the raw path" \
	"n(lambda x: x['path'] == '/model/$BM%3A0/converse-stream' and x['model'] == '$BM:0' and x['auth'] == 'sigv4' and x['auth_ok'] and x['status'] == 200) >= 1" \
	"a Bedrock path had a raw ':'" "n(lambda x: x['provider'] == 'bedrock' and ':' in x['path']) == 0" \
	"a Bedrock request was refused" "n(lambda x: x['provider'] == 'bedrock' and not x['auth_ok'] and 'case twelve' not in (x['body'] or '')) == 0"
pend "bedrock: the model id goes as %3A in the raw path and every SigV4 signature is accepted"

(
	AWS_SECRET_ACCESS_KEY=$SK-wrong
	run c12w ask -m "$(std_model bedrock)" "case twelve"
)
t=c12w
need "exit status is not 1" [ "$(rc $t)" = 1 ]
need "stderr is not one line" one_line "$R/$t.err"
need "stderr does not name InvalidSignatureException" has "$R/$t.err" "InvalidSignatureException"
need "stderr does not say HTTP 403" has "$R/$t.err" "403"
pend "bedrock: a wrong secret key fails with exit 1 naming InvalidSignatureException" $t

settle

# ---------------------------------------------------------------- 13: aiwb models

for p in $PROVS; do
	case $p in
	openai) ids="gpt-4o-mini gpt-4o" ;;
	anthropic) ids="claude-3-5-haiku-20241022 claude-3-haiku-20240307" ;;
	bedrock) ids="anthropic.claude-3-haiku-20240307-v1:0 meta.llama3-8b-instruct-v1:0" ;;
	ollama) ids="llama3.1:latest qwen2.5:0.5b" ;;
	esac
	need "aiwb models exit status is not 0" [ "$(rc c13-text)" = 0 ]
	need "the text does not say '$p reachable'" has "$R/c13-text.out" "^$p +reachable"
	pyids=
	for i in $ids; do
		need "the text does not list $i" grep -q -- " $i " "$R/c13-text.out"
		pyids="$pyids'$i', "
	done
	CJ=$R/c13-json.out
	pq "--json does not say status reachable" "[x['status'] for x in d['providers'] if x['name'] == '$p'] == ['reachable']" \
		"--json does not list the fake's models" \
		"set([$pyids]) <= set(m['id'] for x in d['providers'] if x['name'] == '$p' for m in x['models'])"
	pend "$p: aiwb models lists it reachable with the fake's models, --json says status reachable" c13-text
done

FREE_PORT=$("$E2E_PY" -S -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(
	# shellcheck disable=SC2034 # exported already; the runs below read it
	OLLAMA_HOST=http://127.0.0.1:$FREE_PORT
	bg c13o models --provider ollama
	bg c13oj models --provider ollama --json
	bg_wait
)
t=c13o
need "exit status is not 1" [ "$(rc $t)" = 1 ]
need "the output is not one line" [ "$(cat "$R/$t.out" "$R/$t.err" | wc -l)" -eq 1 ]
need "it does not say unreachable and why" has "$R/$t.out" "^ollama +unreachable: .*(connect|refused)"
need "--json exit status is not 1" [ "$(rc c13oj)" = 1 ]
CJ=$R/c13oj.out
pq "--json does not say status unreachable with the error" \
	"d['providers'][0]['status'] == 'unreachable' and d['providers'][0]['error']"
pend "ollama: models --provider ollama on a closed port: exit 1, one line saying unreachable and why" $t

(
	unset OPENAI_API_KEY ANTHROPIC_API_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	for p in openai anthropic bedrock; do
		bg c13n-$p models --provider $p
		bg c13nj-$p models --provider $p --json
	done
	bg_wait
)
for p in openai anthropic bedrock; do
	case $p in
	openai) v=OPENAI_API_KEY ;;
	anthropic) v=ANTHROPIC_API_KEY ;;
	bedrock) v=AWS_ACCESS_KEY_ID ;;
	esac
	t=c13n-$p
	need "exit status is not 1" [ "$(rc $t)" = 1 ]
	need "the output is not one line" [ "$(cat "$R/$t.out" "$R/$t.err" | wc -l)" -eq 1 ]
	need "it does not say 'not usable' naming $v" has "$R/$t.out" "^$p +not usable: .*$v"
	CJ=$R/c13nj-$p.out
	pq "--json does not say status no_credentials with the reason" \
		"d['providers'][0]['status'] == 'no_credentials' and '$v' in d['providers'][0]['error']"
	pend "$p: without credentials, aiwb models says 'not usable' and why, exit 1" $t
done
for p in openai anthropic bedrock; do
	CJ=$R/c13nj-$p.out
	pq "$p's entry lacks one of name, type, status, models" \
		"all(k in x for x in d['providers'] for k in ('name', 'type', 'status', 'models'))"
done
pend "models --json without credentials still gives each provider's name, type, status and models (docs/cli.md)" c13nj-openai

settle

# ---------------------------------------------------------------- 15: Ctrl-C

# sh writes its pid and execs aiwb, so the pid is aiwb's and SIGINT goes to it.
for p in $PROVS; do
	t=c15-$p
	m=$(mdl $p c15 tokens-200-tps-20)
	(
		sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; shift; exec "$@"' sh "$R/$t.pid" \
			"$AIWB_BIN" ask -m "$m" "case fifteen" </dev/null >"$R/$t.out" 2>"$R/$t.err"
		echo $? >"$R/$t.rc"
	) &
	i=0
	while ! grep -q Hello "$R/$t.out" 2>/dev/null || [ ! -s "$R/$t.pid" ]; do
		i=$((i + 1))
		[ $i -gt 600 ] && break # 30 s
		sleep 0.05
	done
	pid=$(cat "$R/$t.pid" 2>/dev/null)
	need "no text arrived within 30 s" grep -q Hello "$R/$t.out"
	if [ -n "$pid" ]; then
		s=$(now_ms)
		kill -INT "$pid"
		while [ ! -s "$R/$t.rc" ] && [ $(($(now_ms) - s)) -lt 30000 ]; do sleep 0.02; done
		el=$(($(now_ms) - s))
		echo $el >"$R/$t.ms"
		if [ -s "$R/$t.rc" ]; then
			need "exit status is not 130" [ "$(rc $t)" = 130 ]
		else
			kill -KILL "$pid" 2>/dev/null
			need "aiwb had not exited 30 s after SIGINT" false
		fi
	else
		need "aiwb did not start" false
	fi
	CB=$R/$t.out
	pq "the partial text is not in the output" 'b.startswith(b"Hello") and b"tok200" not in b'
	CR=$m
	pq "the history row is not status cancelled" "r['metrics']['status'] == 'cancelled'" \
		"the history output is not the printed partial text" \
		"r['output'] and r['output'] == open('$R/$t.out').read().rstrip('\n')"
	pend "$p: Ctrl-C during a slow stream: exit 130 within 2 s, partial text printed, history says cancelled" $t
done

settle

# ---------------------------------------------------------------- 16, 18: --no-stream, stdin

for p in $PROVS; do
	bg c16-$p ask --no-stream -m "$(std_model $p)" "case sixteen for $p"
	printf 'case eighteen from stdin for %s\n' "$p" >"$R/c18-$p.in"
	ASK_IN=$R/c18-$p.in
	bg c18-$p ask -m "$(std_model $p)" -
	ASK_IN=
done
bg_wait
for p in $PROVS; do
	t=c16-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	need "stdout is not exactly the answer" is_text "$R/$t.out" "$(answer $p)"
	case $p in
	bedrock) nostream="x['route'] == 'bedrock.converse'" ;;
	ollama) nostream="body(x).get('stream') is False" ;; # Ollama streams unless told not to
	*) nostream="not body(x).get('stream')" ;;
	esac
	CL=$MLOG
	pq "the fake did not get exactly one non-streaming request" \
		"n(lambda x: 'case sixteen for $p' in (x['body'] or '') and $nostream) == 1"
	pend "$p: --no-stream gives the same text from one non-streaming call" $t

	t=c18-$p
	need "exit status is not 0" [ "$(rc $t)" = 0 ]
	need "stdout is not exactly the answer" is_text "$R/$t.out" "$(answer $p)"
	CL=$MLOG
	pq "the prompt from stdin did not reach the server" \
		"n(lambda x: 'case eighteen from stdin for $p' in (x['body'] or '')) == 1"
	pend "$p: the prompt is read from stdin with '-'" $t
done

settle

# ---------------------------------------------------------------- 17: usage errors

cat >"$E2E_TMP/config-default.json" <<EOF
{ "default_model": "ollama/llama3.1" }
EOF
ASK_CFG=$E2E_TMP/none.json
bg c17a ask "no model given"
ASK_CFG=$E2E_TMP/config-default.json
bg c17d ask "default model please"
ASK_CFG=
bg c17m1 ask -m gpt-4o-mini "malformed"
bg c17m2 ask -m /x "malformed"
bg c17m3 ask -m openai/ "malformed"
bg c17p ask -m nosuchprov/some-model "unknown provider"
bg_wait

t=c17a
need "exit status is not 2" [ "$(rc $t)" = 2 ]
need "stderr is not one line" one_line "$R/$t.err"
need "stderr does not point at -m or default_model" has "$R/$t.err" "default_model|-m"
pend "ask without -m and without default_model is a usage error (exit 2, one sentence)" $t

t=c17d
need "exit status is not 0" [ "$(rc $t)" = 0 ]
need "stdout is not the Ollama answer" is_text "$R/$t.out" "$(answer ollama)"
pend "ask without -m uses default_model from the config" $t

for t in c17m1 c17m2 c17m3; do
	need "exit status is not 1 or 2" rc_in $t 1 2
	need "stderr is not one line" one_line "$R/$t.err"
	need "stderr does not say how a model is named" has "$R/$t.err" "PROVIDER/MODEL"
	need "stdout is not empty" [ ! -s "$R/$t.out" ]
	pend "a malformed model name ($(sed -n "s/.*'\(.*\)' is not.*/\1/p" "$R/$t.err")) is refused in one sentence" $t
done

t=c17p
need "exit status is not 1 or 2" rc_in $t 1 2
need "stderr is not one line" one_line "$R/$t.err"
need "stderr does not name the provider" has "$R/$t.err" "nosuchprov"
CL=$MLOG
pq "a request went out" "n(lambda x: 'unknown provider' in (x['body'] or '')) == 0"
pend "an unknown provider is refused in one sentence naming it" $t

settle

# ---------------------------------------------------------------- 19: an OpenAI-compatible provider from config

bg c19 ask -m vllm/some-org/some-model "case nineteen"
bg c19j ask --json -m vllm/some-org/some-model "case nineteen"
bg c19m models --provider vllm
bg_wait
t=c19
need "exit status is not 0" [ "$(rc $t)" = 0 ]
need "stdout is not exactly the answer" is_text "$R/$t.out" "$(answer openai)"
need "models --provider vllm does not say reachable" has "$R/c19m.out" "^vllm +reachable"
CL=$PLOG
pq "the configured server did not get a chat call for some-org/some-model" \
	"n(lambda x: x['route'] == 'openai.chat' and x['model'] == 'some-org/some-model') == 2"
CL=$MLOG
pq "the request went to the openai endpoint instead" "n(lambda x: 'case nineteen' in (x['body'] or '')) == 0"
CJ=$R/c19j.out
pq "--json does not say model vllm/some-org/some-model, status ok" \
	"d['model'] == 'vllm/some-org/some-model' and d['status'] == 'ok'"
pend "a provider configured as vllm (type openai, base_url) works as vllm/MODEL" $t

settle

# ---------------------------------------------------------------- 10 (collected): silent servers

for _p in $SILENT_BG; do wait "$_p"; done
for p in $PROVS; do
	for v in c10 c10n; do
		t=$v-$p
		case $v in c10) how=streamed ;; *) how=--no-stream ;; esac
		need "exit status is not 1" [ "$(rc $t)" = 1 ]
		need "stderr is not one line" one_line "$R/$t.err"
		need "stderr does not say no response / idle timeout" hasi "$R/$t.err" "no response|idle timeout"
		pend "$p: a server that says nothing ($how, idle_timeout_s 1) fails in one sentence ($(ms $t) ms)" $t
	done
done

settle

# ---------------------------------------------------------------- 14: the credential canary

MARK=Qz7CanaryMark
C_OA=sk-$MARK-openai
C_AN=sk-ant-$MARK-anthropic
C_AK=AKIDCANARYE2E0001
C_SK=$MARK/aws/secret+key
C_ST=$MARK-session-token
C_VL=vk-$MARK-vllm-keyfile
if fake_start canary --max-seconds 240 --openai-key "$C_OA" --anthropic-key "$C_AN" \
	--aws-access-key "$C_AK" --aws-secret-key "$C_SK" --aws-session-token "$C_ST" &&
	CANARY=$URL && fake_start canvllm --max-seconds 240 --openai-key "$C_VL"; then
	CANVLLM=$URL
	e2e_home
	cat >"$E2E_TMP/config-canary.json" <<-EOF
		{
			"log": { "level": "debug" },
			"providers": {
				"vllm": { "type": "openai", "base_url": "$CANVLLM/v1", "api_key_env": "VLLM_API_KEY" }
			}
		}
	EOF
	fake_env "$CANARY"
	AIWB_CONFIG=$E2E_TMP/config-canary.json
	OPENAI_API_KEY=$C_OA
	ANTHROPIC_API_KEY=$C_AN
	AWS_ACCESS_KEY_ID=$C_AK
	AWS_SECRET_ACCESS_KEY=$C_SK
	AWS_SESSION_TOKEN=$C_ST
	export AIWB_CONFIG OPENAI_API_KEY ANTHROPIC_API_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	unset VLLM_API_KEY
	printf '%s\n' "$C_VL" | "$AIWB_BIN" keys set vllm >"$R/k-set.out" 2>"$R/k-set.err"
	echo $? >"$R/k-set.rc"
	for p in $PROVS vllm; do
		case $p in
		vllm) ok_m=vllm/some-model ;;
		*) ok_m=$(std_model $p) ;;
		esac
		bg k-$p-ok ask -m "$ok_m" "canary ok"
		bg k-$p-okj ask --json -m "$ok_m" "canary ok"
		bg k-$p-500 ask -m "$(mdl $p k fail-500)" "canary 500"
		bg k-$p-500j ask --json -m "$(mdl $p kj fail-500)" "canary 500"
		bg k-$p-nosuch ask -m "$(mdl $p k nosuch)" "canary nosuch"
		bg k-$p-cut ask -m "$(mdl $p k cut)" "canary cut"
		bg k-$p-cutn ask --no-stream -m "$(mdl $p kn cut)" "canary cut"
	done
	(
		OPENAI_API_KEY=sk-$MARK-wrong-openai
		ANTHROPIC_API_KEY=sk-ant-$MARK-wrong
		AWS_SECRET_ACCESS_KEY=$MARK/wrong/secret
		VLLM_API_KEY=vk-$MARK-wrong-vllm
		export VLLM_API_KEY
		bg k-openai-wrong ask -m openai/gpt-4o-mini "canary wrong"
		bg k-anthropic-wrong ask -m anthropic/claude-3-5-haiku-latest "canary wrong"
		bg k-bedrock-wrong ask -m "$(std_model bedrock)" "canary wrong"
		bg k-vllm-wrong ask --json -m vllm/some-model "canary wrong"
		bg_wait
	)
	(
		AWS_SESSION_TOKEN=$MARK-wrong-token
		bg k-bedrock-wrongtok ask --json -m "$(std_model bedrock)" "canary wrong"
		bg_wait
	)
	bg k-models models
	bg k-modelsj models --json
	bg k-doctor doctor
	bg k-doctorj doctor --json
	bg k-keys keys ls
	bg_wait

	# the canary means something only when the runs really happened
	need "keys set vllm failed: $(cat "$R/k-set.err")" [ "$(rc k-set)" = 0 ]
	for p in $PROVS vllm; do
		need "the $p success run did not succeed" [ "$(rc k-$p-ok)" = 0 ]
		need "the $p 500 run did not fail with exit 1" [ "$(rc k-$p-500)" = 1 ]
		need "the $p cut run did not fail with exit 1" [ "$(rc k-$p-cut)" = 1 ]
	done
	need "the wrong OpenAI key was not refused" has "$R/k-openai-wrong.err" "401"
	need "the wrong Anthropic key was not refused" has "$R/k-anthropic-wrong.err" "401"
	need "the wrong Bedrock secret was not refused" has "$R/k-bedrock-wrong.err" "InvalidSignatureException"
	need "the wrong session token was not refused" has "$R/k-bedrock-wrongtok.err" "UnrecognizedClientException"
	need "the wrong vllm key was not refused" has "$R/k-vllm-wrong.err" "401"
	need "aiwb.log is empty (log level debug)" [ -s "$AIWB_HOME/aiwb.log" ]
	need "the key file does not hold the marker (the grep would prove nothing)" grep -q "$MARK" "$AIWB_HOME/keys/vllm"
	CL=$E2E_TMP/canary.log
	pq "the canary fake did not see accepted requests from every provider" \
		"set(x['provider'] for x in L if x['auth_ok'] and x['status'] == 200) >= {'openai', 'anthropic', 'bedrock', 'ollama'}"
	CJ=$R/k-modelsj.out
	pq "models --json does not say every provider reachable" \
		"[x['status'] for x in d['providers']] == ['reachable'] * len(d['providers']) and len(d['providers']) == 5"
	pend "canary: every provider was driven through success, 5xx, unknown model, cut and a wrong credential"

	leaks=$(grep -a -l -- "$MARK" "$R"/k-*.out "$R"/k-*.err 2>/dev/null)
	need "the marker is in: $leaks" [ -z "$leaks" ]
	pend "canary: no credential appears in aiwb's stdout or stderr of any run"
	leaks=$(grep -a -r -l --exclude-dir=keys -- "$MARK" "$AIWB_HOME" 2>/dev/null)
	for f in $leaks; do
		need "the marker is in $f: $(grep -a -o -- ".\{0,60\}$MARK.\{0,20\}" "$f" | head -3 | cat -v)" false
	done
	need "aiwb.db is missing" [ -s "$AIWB_HOME/aiwb.db" ]
	pend "canary: no credential in aiwb.log (debug), aiwb.db, its -wal or anything else in the data home"
else
	fail "canary: the fakes start" "$(cat "$E2E_TMP/canary.err" "$E2E_TMP/canvllm.err" 2>/dev/null)"
fi

settle
diag "providers.sh took $((($(now_ms) - T_START) / 1000)) s"
e2e_done
