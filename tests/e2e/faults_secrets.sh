#!/bin/sh
# Secrets under attack: a server that echoes every credential it receives
# (fakellm --echo) must not get one into any output; proxies never see keys
# sent to loopback; key files and the command history refuse symlinks and
# loose modes; core dumps are off; a Bedrock model id cannot climb the path.
. "$(dirname "$0")/lib.sh"
e2e_begin
unset http_proxy https_proxy HTTPS_PROXY ALL_PROXY all_proxy NO_PROXY no_proxy SLURM_JWT AIWB_CORE_DUMPS
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err

# ---------------------------------------------------------------- helpers

# The canaries of the current case, one a line, in $E2E_TMP/canaries.
canary_reset() { : >"$E2E_TMP/canaries"; }
canary_add() { for _c in "$@"; do printf '%s\n' "$_c" >>"$E2E_TMP/canaries"; done; }

# leaked FILE...: the names of the files (and, for a database, its WAL) that
# hold a canary, with the line; empty when none does.
leaked() {
	for _f in "$@"; do
		[ -e "$_f" ] || continue
		case $_f in
		*.db | *.db-wal | *.db-shm) _hit=$(strings -a "$_f" | grep -F -f "$E2E_TMP/canaries" | head -3) ;;
		*) _hit=$(grep -a -F -f "$E2E_TMP/canaries" "$_f" | head -3) ;;
		esac
		[ -n "$_hit" ] && printf '%s: %s\n' "${_f##*/}" "$_hit"
	done
}

# outputs_of NAME CMD...: runs aiwb CMD with stdout and stderr kept as
# $E2E_TMP/NAME.out and NAME.err.
outputs_of() {
	_n=$1
	shift
	"$A" "$@" >"$E2E_TMP/$_n.out" 2>"$E2E_TMP/$_n.err"
}

# no_leak DESC: checks every output this case made (the files of outputs_of),
# the database with its WAL and the log.
no_leak() {
	_l=$(leaked "$E2E_TMP"/c_*.out "$E2E_TMP"/c_*.err "$AIWB_HOME/aiwb.db" "$AIWB_HOME/aiwb.db-wal" \
		"$AIWB_HOME/aiwb.log" "$AIWB_HOME/aiwb.log.1")
	if [ -z "$_l" ]; then ok "$1"; else fail "$1" "$_l"; fi
	rm -f "$E2E_TMP"/c_*.out "$E2E_TMP"/c_*.err
}

# debug_log: the log at debug level, so everything that can be logged is.
debug_log() {
	mkdir -p "$XDG_CONFIG_HOME/aiwb"
	printf '{ "log": { "level": "debug" } %s}\n' "${1:-}" >"$XDG_CONFIG_HOME/aiwb/config.json"
}

# every_output MODEL FAILMODEL: the outputs a user sees of one model: a
# streamed and a whole answer, --json, an error (the fake answers FAILMODEL
# with an error), the history of both, compare, an experiment (its --json,
# CSV and Markdown reports, experiment show), models and doctor.
every_output() {
	outputs_of c_ask ask -m "$1" "say hi"
	outputs_of c_whole ask --no-stream -m "$1" "say hi"
	outputs_of c_json ask --json -m "$1" "say hi"
	outputs_of c_fail ask --json -m "$2" "say hi"
	outputs_of c_fail2 ask -m "$2" "say hi"
	outputs_of c_hist history --json
	outputs_of c_show history show 1 --raw
	outputs_of c_show3 history show 3 --json
	outputs_of c_show4 history show 4 --raw
	outputs_of c_cmp compare -m "$1" -m "$2" --json "say hi"
	mkdir -p "$E2E_TMP/x"
	printf 'name\nAda\n' >"$E2E_TMP/x/rows.csv"
	printf 'name: echo\nprompt: "Say hi to {{name}}"\nmodels: [%s, %s]\ndataset: rows.csv\nassert:\n  - contains: Hello\n' \
		"$1" "$2" >"$E2E_TMP/x/echo.yaml"
	outputs_of c_exp experiment run "$E2E_TMP/x/echo.yaml" --json --csv "$E2E_TMP/c_exp.csv.out" \
		--markdown "$E2E_TMP/c_exp.md.out"
	outputs_of c_exps experiment show 1 --json
	outputs_of c_models models --json
	outputs_of c_models2 models
	outputs_of c_doc doctor
	outputs_of c_docj doctor --json
}

fake_start echo --echo --max-seconds 900 || fail "fakellm --echo starts" "$(cat "$E2E_TMP/echo.err")"
fake_env "$URL"
ECHO_URL=$URL

# ---------------------------------------------------------------- the faults as reported

d="a 401 whose x-request-id echoes Authorization: the key is not in ask --json, history show or runs.metrics"
e2e_home
KEY=sk-canary-reqid-$$-0a1b2c3d
canary_reset
canary_add "$KEY"
OPENAI_API_KEY=$KEY outputs_of c_json ask --json -m openai/fail-401 hi
OPENAI_API_KEY=$KEY outputs_of c_show history show 1
OPENAI_API_KEY=$KEY outputs_of c_showj history show 1 --json --raw
l=$(leaked "$E2E_TMP"/c_*.out "$E2E_TMP"/c_*.err "$AIWB_HOME/aiwb.db" "$AIWB_HOME/aiwb.db-wal")
if [ -z "$l" ] && grep -q "HTTP 401" "$E2E_TMP/c_json.out" && grep -q '"request_id"' "$E2E_TMP/c_json.out"; then
	ok "$d"
else
	fail "$d" "$l" "$(cat "$E2E_TMP/c_json.out")"
fi
rm -f "$E2E_TMP"/c_*

d="a 401 whose request id echoes x-api-key: the Anthropic key is in no output"
e2e_home
KEY=sk-ant-canary-reqid-$$-4e5f6a7b
canary_reset
canary_add "$KEY"
ANTHROPIC_API_KEY=$KEY outputs_of c_json ask --json -m anthropic/fail-401 hi
ANTHROPIC_API_KEY=$KEY outputs_of c_show history show 1 --raw
no_leak "$d"

d="AWS_BEARER_TOKEN_BEDROCK echoed in a 403 is redacted in the error sentence and everywhere else"
e2e_home
TOK=bedrock-canary-bearer-$$-ABCDEFGH
canary_reset
canary_add "$TOK"
AWS_BEARER_TOKEN_BEDROCK=$TOK outputs_of c_fail ask -m bedrock/fail-403 hi
AWS_BEARER_TOKEN_BEDROCK=$TOK outputs_of c_json ask --json -m bedrock/fail-403 hi
if grep -q "HTTP 403" "$E2E_TMP/c_fail.err"; then no_leak "$d"; else fail "$d" "$(cat "$E2E_TMP/c_fail.err")"; fi

d="doctor does not print the user:password of a base URL"
e2e_home
canary_reset
canary_add "hunter2-canary-$$"
OPENAI_BASE_URL="http://alice:hunter2-canary-$$@127.0.0.1:9/v1" outputs_of c_doc doctor
OPENAI_BASE_URL="http://alice:hunter2-canary-$$@127.0.0.1:9/v1" outputs_of c_docj doctor --json
if grep -q "127.0.0.1:9/v1" "$E2E_TMP/c_doc.out"; then no_leak "$d"; else fail "$d" "$(cat "$E2E_TMP/c_doc.out")"; fi

# ---------------------------------------------------------------- (c) a canary per credential source

d="canary in OPENAI_API_KEY, echoed back by the server, reaches no output"
e2e_home
debug_log
KEY=sk-canary-openai-$$-Zq8LmN3p
canary_reset
canary_add "$KEY"
OPENAI_API_KEY=$KEY every_output openai/gpt-4o-mini openai/fail-401
no_leak "$d"

d="canary in ANTHROPIC_API_KEY, echoed back by the server, reaches no output"
e2e_home
debug_log
KEY=sk-ant-canary-$$-Vb7TkR2w
canary_reset
canary_add "$KEY"
ANTHROPIC_API_KEY=$KEY every_output anthropic/claude-3-5-haiku-latest anthropic/fail-401
no_leak "$d"

d="canary in a key file from 'keys set', echoed back by the server, reaches no output"
e2e_home
debug_log
KEY=sk-canary-keyfile-$$-Hy4UoP9s
canary_reset
canary_add "$KEY"
printf '%s\n' "$KEY" | outputs_of c_set keys set openai
every_output openai/gpt-4o-mini openai/fail-401
if grep -q "key file" "$E2E_TMP/c_doc.out"; then no_leak "$d"; else fail "$d" "$(cat "$E2E_TMP/c_doc.out")"; fi

d="canaries in AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (the token echoed back) reach no output"
e2e_home
debug_log
AK=AKIACANARY$$
SK=aws-secret-canary-$$-Ee1Rr2Tt3Yy4
ST=aws-session-canary-$$-Uu5Ii6Oo7Pp8
canary_reset
canary_add "$SK" "$ST"
fake_start sigv4 --echo --aws-access-key "$AK" --aws-secret-key "$SK" --aws-session-token "$ST"
AWS_ENDPOINT_URL_BEDROCK_RUNTIME=$URL AWS_ENDPOINT_URL_BEDROCK=$URL AWS_ACCESS_KEY_ID=$AK \
	AWS_SECRET_ACCESS_KEY=$SK AWS_SESSION_TOKEN=$ST \
	every_output bedrock/anthropic.claude-3-haiku-20240307-v1:0 bedrock/fail-403
if grep -q "Echo: " "$E2E_TMP/c_ask.out"; then no_leak "$d"; else fail "$d" "$(cat "$E2E_TMP/c_ask.out" "$E2E_TMP/c_ask.err")"; fi

d="canary in AWS_BEARER_TOKEN_BEDROCK, echoed back by the server, reaches no output"
e2e_home
debug_log
TOK=bedrock-canary-$$-Aa9Ss8Dd7Ff6
canary_reset
canary_add "$TOK"
fake_start bearer --echo --bedrock-api-key "$TOK"
AWS_ENDPOINT_URL_BEDROCK_RUNTIME=$URL AWS_ENDPOINT_URL_BEDROCK=$URL AWS_BEARER_TOKEN_BEDROCK=$TOK \
	every_output bedrock/anthropic.claude-3-haiku-20240307-v1:0 bedrock/fail-403
if grep -q "Echo: " "$E2E_TMP/c_ask.out"; then no_leak "$d"; else fail "$d" "$(cat "$E2E_TMP/c_ask.out" "$E2E_TMP/c_ask.err")"; fi

d="canary in the userinfo of a base URL (sent as Basic auth and echoed back) reaches no output"
e2e_home
PASS=url-pass-canary-$$-Gg5Hh4
USERINFO=urluser:$PASS
B64=$(printf '%s' "$USERINFO" | base64 | tr -d '\n')
canary_reset
canary_add "$PASS" "$B64"
debug_log ", \"providers\": { \"vllm\": { \"type\": \"openai\", \"base_url\": \"http://$USERINFO@${ECHO_URL#http://}/v1\" } }"
OPENAI_BASE_URL="http://$USERINFO@${ECHO_URL#http://}/v1" every_output vllm/gpt-4o-mini vllm/fail-401
if grep -q "Echo: " "$E2E_TMP/c_ask.out"; then no_leak "$d"; else fail "$d" "$(cat "$E2E_TMP/c_ask.out" "$E2E_TMP/c_ask.err")"; fi

d="canary in SLURM_JWT (registered though no source sends it yet) reaches no output"
e2e_home
debug_log
JWT=eyJslurm-canary-$$-Jj3Kk2Ll1
canary_reset
canary_add "$JWT"
SLURM_JWT=$JWT outputs_of c_ask ask -m openai/gpt-4o-mini "the token is $JWT"
SLURM_JWT=$JWT outputs_of c_json ask --json -m openai/fail-401 "the token is $JWT"
SLURM_JWT=$JWT outputs_of c_hist history --json
SLURM_JWT=$JWT outputs_of c_show history show 1 --raw --json
SLURM_JWT=$JWT outputs_of c_doc doctor
no_leak "$d"

# ---------------------------------------------------------------- proxies

# A "proxy" that records the head of every request it gets and answers 502.
cat >"$E2E_TMP/proxy.py" <<-'EOF'
	import os, socket, sys, threading
	port_file, log_file = sys.argv[1], sys.argv[2]
	srv = socket.socket()
	srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	srv.bind(("127.0.0.1", 0))
	srv.listen(16)
	with open(port_file + ".tmp", "w") as f:
	    f.write(str(srv.getsockname()[1]))
	os.rename(port_file + ".tmp", port_file)
	threading.Timer(60, lambda: os._exit(0)).start()
	while True:
	    c, _ = srv.accept()
	    head = b""
	    while b"\r\n\r\n" not in head:
	        d = c.recv(65536)
	        if not d:
	            break
	        head += d
	    with open(log_file, "ab") as f:
	        f.write(head)
	    c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	    c.close()
EOF
"$E2E_PY" "$E2E_TMP/proxy.py" "$E2E_TMP/proxy.port" "$E2E_TMP/proxy.log" 2>"$E2E_TMP/proxy.err" &
FAKE_PIDS="$FAKE_PIDS $!"
i=0
while [ ! -s "$E2E_TMP/proxy.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
PROXY=http://127.0.0.1:$(cat "$E2E_TMP/proxy.port")
: >"$E2E_TMP/proxy.log"

d="http_proxy and ALL_PROXY set: a request to a loopback http:// base URL goes direct, never through the proxy"
e2e_home
KEY=sk-canary-proxy-$$-Mm1Nn2
http_proxy=$PROXY ALL_PROXY=$PROXY OPENAI_API_KEY=$KEY "$A" ask -m openai/gpt-4o-mini hi >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$E2E_TMP/proxy.log" ] && grep -q "Hello from the fake OpenAI" "$out"; then
	ok "$d"
else
	fail "$d" "exit $rc" "proxy saw: $(head -c 300 "$E2E_TMP/proxy.log")" "$(cat "$err")"
fi

d="NO_PROXY naming other hosts keeps loopback direct too (loopback is added, not replaced)"
: >"$E2E_TMP/proxy.log"
http_proxy=$PROXY no_proxy=example.com,.corp NO_PROXY=example.com,.corp OPENAI_API_KEY=$KEY \
	"$A" ask -m openai/gpt-4o-mini hi >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$E2E_TMP/proxy.log" ]; then ok "$d"; else fail "$d" "exit $rc" "$(cat "$err")"; fi

d="localhost and [::1] base URLs go direct as well"
: >"$E2E_TMP/proxy.log"
PORT=${ECHO_URL##*:}
OPENAI_BASE_URL=http://localhost:$PORT/v1 http_proxy=$PROXY ALL_PROXY=$PROXY OPENAI_API_KEY=$KEY \
	"$A" ask -m openai/gpt-4o-mini hi >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$E2E_TMP/proxy.log" ]; then ok "$d"; else fail "$d" "exit $rc" "$(cat "$err")"; fi

# ---------------------------------------------------------------- keys set

d="keys set stores a 12,000-byte key whole (not its first 8,192 bytes)"
e2e_home
long=$("$E2E_PY" -c 'print("k" * 12000)')
printf '%s\n' "$long" | "$A" keys set openai >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && [ "$(tr -d '\n' <"$AIWB_HOME/keys/openai" | wc -c)" -eq 12000 ]; then
	ok "$d"
else
	fail "$d" "exit $rc" "$(cat "$err")" "stored $(wc -c <"$AIWB_HOME/keys/openai" 2>&1) bytes"
fi

d="keys set refuses a key over the limit, says so, and stores nothing"
e2e_home
"$E2E_PY" -c 'print("k" * 20000)' | "$A" keys set openai >"$out" 2>"$err"
rc=$?
if [ $rc -eq 1 ] && [ ! -e "$AIWB_HOME/keys/openai" ] && grep -q "16384 bytes" "$err" && [ ! -s "$out" ]; then
	ok "$d"
else
	fail "$d" "exit $rc" "$(cat "$out" "$err")"
fi

d="keys set refuses a key holding NUL, and stores nothing"
e2e_home
printf 'sk-abc\000def\n' | "$A" keys set openai >"$out" 2>"$err"
rc=$?
if [ $rc -eq 1 ] && [ ! -e "$AIWB_HOME/keys/openai" ] && grep -q "control character" "$err"; then
	ok "$d"
else
	fail "$d" "exit $rc" "$(cat "$out" "$err")"
fi

d="keys set refuses a key holding ESC, and stores nothing"
printf 'sk-abc\033[31mdef\n' | "$A" keys set openai >"$out" 2>"$err"
rc=$?
if [ $rc -eq 1 ] && [ ! -e "$AIWB_HOME/keys/openai" ] && grep -q "control character" "$err"; then
	ok "$d"
else
	fail "$d" "exit $rc" "$(cat "$out" "$err")"
fi

d="a key file that is a symlink is not followed: the call fails in one sentence and the target's key is not sent"
e2e_home
mkdir -p "$AIWB_HOME/keys"
chmod 700 "$AIWB_HOME" "$AIWB_HOME/keys"
printf 'sk-planted-target-%s\n' $$ >"$E2E_TMP/target-key"
chmod 600 "$E2E_TMP/target-key"
ln -s "$E2E_TMP/target-key" "$AIWB_HOME/keys/openai"
: >"$E2E_TMP/echo.log"
"$A" ask -m openai/gpt-4o-mini hi >"$out" 2>"$err"
rc=$?
if [ $rc -eq 1 ] && grep -q "symbolic link" "$err" && [ "$(wc -l <"$err")" -eq 1 ] &&
	! grep -q "chat.completions\|openai.chat" "$E2E_TMP/echo.log"; then
	ok "$d"
else
	fail "$d" "exit $rc" "$(cat "$err")" "$(cat "$E2E_TMP/echo.log")"
fi

d="keys set over a planted symlink replaces the link and leaves its target alone"
printf 'sk-new-%s\n' $$ | "$A" keys set openai >"$out" 2>"$err"
if [ ! -L "$AIWB_HOME/keys/openai" ] && grep -q "sk-planted-target" "$E2E_TMP/target-key" &&
	[ "$(e2e_mode "$AIWB_HOME/keys/openai")" = 600 ]; then
	ok "$d"
else
	fail "$d" "$(ls -l "$AIWB_HOME/keys" 2>&1)" "$(cat "$err")"
fi

d="keys set with a 0777 keys/ directory makes it 0700 and says so"
e2e_home
mkdir -p "$AIWB_HOME/keys"
chmod 777 "$AIWB_HOME/keys"
printf 'sk-loose-%s\n' $$ | "$A" keys set openai >"$out" 2>"$err"
rc=$?
if [ $rc -eq 0 ] && [ "$(e2e_mode "$AIWB_HOME/keys")" = 700 ] && grep -q "0700" "$err"; then
	ok "$d"
else
	fail "$d" "exit $rc" "mode $(e2e_mode "$AIWB_HOME/keys")" "$(cat "$out" "$err")"
fi

d="a key file in a keys/ directory others can write is refused with the chmod to run"
chmod 777 "$AIWB_HOME/keys"
"$A" ask -m openai/gpt-4o-mini hi >"$out" 2>"$err"
rc=$?
if [ $rc -eq 1 ] && grep -q "chmod 700" "$err"; then ok "$d"; else fail "$d" "exit $rc" "$(cat "$err")"; fi
chmod 700 "$AIWB_HOME/keys"

# ---------------------------------------------------------------- core dumps

d="core dumps are off while aiwb runs (RLIMIT_CORE 0 in /proc/PID/limits)"
e2e_home
: >"$E2E_TMP/echo.log"
(ulimit -c unlimited 2>/dev/null || ulimit -c 1000000; exec env OPENAI_API_KEY=sk-core "$A" ask -m openai/silent hi \
	>"$out" 2>"$err") &
apid=$!
i=0
while ! grep -q '"scenario":"silent"' "$E2E_TMP/echo.log" && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
lim=$(grep "Max core file size" /proc/$apid/limits 2>/dev/null)
kill -INT $apid 2>/dev/null
wait $apid 2>/dev/null
set -- $lim
if [ "${5-}" = 0 ]; then ok "$d"; else fail "$d" "limits: $lim"; fi

d="doctor says core dumps are off, and AIWB_CORE_DUMPS=1 keeps them"
# (core dumps need a core size limit above 0, which the hard limit may forbid;
# AddressSanitizer turns them off by itself unless told not to)
if (ulimit -c unlimited 2>/dev/null || ulimit -c 100000 2>/dev/null); then can=True; else can=False; fi
(ulimit -c unlimited 2>/dev/null || ulimit -c 100000 2>/dev/null
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:disable_coredump=0 "$A" doctor --json >"$out" 2>"$err")
(ulimit -c unlimited 2>/dev/null || ulimit -c 100000 2>/dev/null
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:disable_coredump=0 AIWB_CORE_DUMPS=1 "$A" doctor --json >"$E2E_TMP/out2" 2>>"$err")
if e2e_json "$out" "d['core_dumps'] is False" && e2e_json "$E2E_TMP/out2" "d['core_dumps'] is $can"; then
	ok "$d"
else
	fail "$d" "$(cat "$out" "$E2E_TMP/out2" "$err" | head -c 600)"
fi

# ---------------------------------------------------------------- Bedrock model ids

d="a Bedrock model id '..' is refused in one sentence and nothing reaches another API path"
e2e_home
: >"$E2E_TMP/echo.log"
AWS_BEARER_TOKEN_BEDROCK=tok-dots-$$ "$A" ask -m bedrock/.. hi >"$out" 2>"$err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l <"$err")" -eq 1 ] && grep -q "model id" "$err" &&
	! grep -q '"path":"/converse' "$E2E_TMP/echo.log" && ! grep -q '"path":"/model/\.\.' "$E2E_TMP/echo.log"; then
	ok "$d"
else
	fail "$d" "exit $rc" "$(cat "$err")" "$(cat "$E2E_TMP/echo.log")"
fi

d="ids with '/..' or '.' segments in them are refused too; a real ARN is sent with its '/' encoded"
bad=
for m in . a/../b ../converse x/./y; do
	AWS_BEARER_TOKEN_BEDROCK=tok-dots-$$ "$A" ask -m "bedrock/$m" hi >"$out" 2>"$err" && bad="$bad [$m accepted]"
done
: >"$E2E_TMP/echo.log"
ARN=arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0
AWS_BEARER_TOKEN_BEDROCK=tok-dots-$$ "$A" ask -m "bedrock/$ARN" hi >"$out" 2>"$err" || bad="$bad [ARN refused: $(cat "$err")]"
grep -q '"path":"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic' \
	"$E2E_TMP/echo.log" || bad="$bad [ARN path: $(cat "$E2E_TMP/echo.log" | head -c 300)]"
if [ -z "$bad" ]; then ok "$d"; else fail "$d" "$bad"; fi

# ---------------------------------------------------------------- the workbench's command history

d="a symlink planted at \$AIWB_HOME/cmd_history is not followed: its target is neither read, appended to nor chmod-ed"
if command -v tmux >/dev/null 2>&1; then
	e2e_home
	mkdir -p "$AIWB_HOME"
	chmod 700 "$AIWB_HOME"
	printf 'focus planted-line\n' >"$E2E_TMP/hist-target"
	chmod 644 "$E2E_TMP/hist-target"
	ln -s "$E2E_TMP/hist-target" "$AIWB_HOME/cmd_history"
	before=$(e2e_sha "$E2E_TMP/hist-target")
	if tui_start 100 30 && tui_wait "1 Models" && tui_keys : && tui_wait_bottom ':*' && tui_keys Up &&
		! tui_wait_bottom ':focus planted-line*' 1 && tui_keys Escape && tui_keys : && tui_wait_bottom ':*' &&
		tui_type "focus jobs" && tui_keys Enter && tui_wait_bottom ' Jobs *' && tui_keys : &&
		tui_wait_bottom ':*' && tui_type q && tui_keys Enter && tui_wait_exit &&
		[ "$(e2e_sha "$E2E_TMP/hist-target")" = "$before" ] && [ "$(e2e_mode "$E2E_TMP/hist-target")" = 644 ] &&
		[ -L "$AIWB_HOME/cmd_history" ] && grep -q "cmd_history is a symbolic link" "$AIWB_HOME/aiwb.log"; then
		ok "$d"
	else
		tui_fail "$d" "target: $(ls -l "$E2E_TMP/hist-target")" "$(cat "$E2E_TMP/hist-target")" \
			"log: $(cat "$AIWB_HOME/aiwb.log" 2>&1)"
	fi
	tui_stop
else
	fail "$d" "tmux is needed for the terminal tests (make deps installs it)"
fi

e2e_done
