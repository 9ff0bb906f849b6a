# fakellm, the fake OpenAI / Anthropic / Bedrock / Ollama server the protocol
# tests run aiwb against: checked here on its own with the curl command-line
# tool, so a broken fake shows up as itself and not as a broken provider.
. "$(dirname "$0")/lib.sh"
e2e_begin nobin
VEC=$E2E_ROOT/tests/data/vectors/sigv4/generated-botocore

if ! command -v curl >/dev/null 2>&1; then
	echo "ok 1 # SKIP the curl command-line tool is not installed"
	echo "1..1"
	exit 0
fi
if [ ! -x "$FAKE" ]; then
	fail "fakellm is built ($FAKE; make build-tests)"
	e2e_done
	exit 1
fi

# wait_gone PID SECS: the process has exited within SECS seconds.
wait_gone() {
	_i=0
	while kill -0 "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
	wait "$1" 2>/dev/null
	return 0
}

# req NAME CURL-ARGS...: body to $E2E_TMP/NAME, headers to NAME.h; sets
# CODE (HTTP status) and RC (curl's exit status).
req() {
	_n=$1
	shift
	CODE=$(curl -sS -N -o "$E2E_TMP/$_n" -D "$E2E_TMP/$_n.h" -w '%{http_code}' "$@" 2>"$E2E_TMP/$_n.err")
	RC=$?
}

has() { grep -q -- "$2" "$E2E_TMP/$1"; }
hdr() { tr -d '\r' <"$E2E_TMP/$1.h" | grep -qi -- "^$2"; }

# Decodes an event stream, checking both CRCs of every message; prints one
# line per message ("event contentBlockDelta", "exception throttlingException",
# "BAD-CRC ...", "CUT ...").
cat >"$E2E_TMP/es.py" <<'EOF'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
i = 0
while i < len(d):
    if len(d) - i < 12:
        print("CUT prelude"); break
    total, hlen, pcrc = struct.unpack(">III", d[i:i + 12])
    if zlib.crc32(d[i:i + 8]) != pcrc:
        print("BAD-CRC prelude"); break
    if len(d) - i < total:
        print("CUT message"); break
    h, j, hs = d[i + 12:i + 12 + hlen], 0, {}
    while j < len(h):
        n = h[j]; name = h[j + 1:j + 1 + n].decode(); vlen, = struct.unpack(">H", h[j + 2 + n:j + 4 + n])
        hs[name] = h[j + 4 + n:j + 4 + n + vlen].decode(); j += 4 + n + vlen
    if zlib.crc32(d[i:i + total - 4]) != struct.unpack(">I", d[i + total - 4:i + total])[0]:
        print("BAD-CRC message"); break
    print(hs.get(":message-type"), hs.get(":event-type") or hs.get(":exception-type"))
    i += total
EOF
es() { "$E2E_PY" "$E2E_TMP/es.py" "$E2E_TMP/$1"; }

# The JSON lines of a request log; EXPR sees the list as L.
log_json() {
	"$E2E_PY" -c 'import json,sys
L = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8", errors="surrogateescape")]
sys.exit(0 if eval(sys.argv[2]) else 1)' "$E2E_TMP/$1.log" "$2"
}

MSG='"messages":[{"role":"user","content":"Say hello to the test"}]'
BR='{"messages":[{"role":"user","content":[{"text":"Say hello"}]}],"inferenceConfig":{"maxTokens":64}}'
AK=AKIDFAKELLM
SK=fake/secret+KEY
KEY_OA=sk-fakellm-canary-1
KEY_AN=sk-ant-fakellm-canary-2

d="fakellm starts and writes its port file"
if fake_start main --openai-key $KEY_OA --anthropic-key $KEY_AN --aws-access-key $AK --aws-secret-key "$SK" \
	--aws-region us-west-2; then ok "$d"; else fail "$d" "$(cat "$E2E_TMP/main.err")"; e2e_done; exit 1; fi
MAIN_PID=$FAKE_PID
MAIN_URL=$URL

# ---------------------------------------------------------------- OpenAI
req oa -H "Authorization: Bearer $KEY_OA" "$URL/v1/chat/completions" \
	-d "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"stream_options\":{\"include_usage\":true},$MSG}"
check "openai: stream is text/event-stream with x-request-id" \
	sh -c "[ $CODE = 200 ] && tr -d '\r' <'$E2E_TMP/oa.h' | grep -qi '^content-type: text/event-stream' &&
		tr -d '\r' <'$E2E_TMP/oa.h' | grep -qi '^x-request-id: req_'"
check "openai: the first delta carries the role" has oa '"delta":{"role":"assistant"'
check "openai: a final chunk with finish_reason stop" has oa '"finish_reason":"stop"'
check "openai: include_usage adds a usage chunk with empty choices" \
	has oa '"choices":\[\],"usage":{"prompt_tokens":5,"completion_tokens":13,"total_tokens":18}'
check "openai: the stream ends with data: [DONE]" sh -c "tail -n 2 '$E2E_TMP/oa' | head -n 1 | grep -qx 'data: \[DONE\]'"
req oa2 -H "Authorization: Bearer $KEY_OA" "$URL/v1/chat/completions" -d "{\"model\":\"gpt-4o-mini\",\"stream\":true,$MSG}"
check "openai: without include_usage there is no usage chunk, still [DONE]" \
	sh -c "! grep -q '\"usage\"' '$E2E_TMP/oa2' && grep -q '^data: \[DONE\]' '$E2E_TMP/oa2'"
req oa3 -H "Authorization: Bearer wrong" "$URL/v1/chat/completions" -d "{\"model\":\"gpt-4o-mini\",$MSG}"
check "openai: a wrong key is 401 invalid_api_key" sh -c "[ $CODE = 401 ] && grep -q '\"code\":\"invalid_api_key\"' '$E2E_TMP/oa3'"
req oa4 -H "Authorization: Bearer $KEY_OA" "$URL/v1/chat/completions" -d "{\"model\":\"gpt-4o-mini\",\"max_tokens\":3,$MSG}"
check "openai: non-stream answer with usage, cut at max_tokens" \
	e2e_json "$E2E_TMP/oa4" "d['choices'][0]['message']['content'] == 'Hello from the' and \
d['choices'][0]['finish_reason'] == 'length' and d['usage']['completion_tokens'] == 3"

# ---------------------------------------------------------------- Anthropic
req an -H "x-api-key: $KEY_AN" -H 'anthropic-version: 2023-06-01' "$URL/v1/messages" \
	-d "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":100,\"stream\":true,$MSG}"
seq=$(sed -n 's/^event: //p' "$E2E_TMP/an" | uniq | tr '\n' ' ')
want="message_start content_block_start ping content_block_delta content_block_stop message_delta message_stop "
if [ "$CODE" = 200 ] && [ "$seq" = "$want" ]; then
	ok "anthropic: stream is message_start ... message_stop"
else
	fail "anthropic: stream is message_start ... message_stop" "status $CODE, events: $seq"
fi
check "anthropic: usage in message_start and message_delta" \
	sh -c "grep -q '\"input_tokens\":5' '$E2E_TMP/an' && grep -q '\"usage\":{\"output_tokens\":13}' '$E2E_TMP/an'"
check "anthropic: request-id header" hdr an 'request-id: req_'
req an2 -H "x-api-key: $KEY_AN" -H 'anthropic-version: 2023-06-01' "$URL/v1/messages" \
	-d "{\"model\":\"claude-3-5-haiku-latest\",$MSG}"
check "anthropic: max_tokens missing is 400 invalid_request_error" \
	sh -c "[ $CODE = 400 ] && grep -q 'invalid_request_error' '$E2E_TMP/an2'"
req an3 -H "x-api-key: nope" -H 'anthropic-version: 2023-06-01' "$URL/v1/messages" \
	-d "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":10,$MSG}"
check "anthropic: a wrong key is 401 authentication_error" \
	sh -c "[ $CODE = 401 ] && grep -q 'authentication_error' '$E2E_TMP/an3'"

# ---------------------------------------------------------------- Ollama
req ol "$URL/api/chat" -d "{\"model\":\"llama3.1\",$MSG}"
check "ollama: NDJSON lines, the last one done:true with metrics" \
	"$E2E_PY" -c 'import json,sys
L = [json.loads(l) for l in open(sys.argv[1])]
last = L[-1]
sys.exit(0 if all(not x["done"] for x in L[:-1]) and last["done"] and last["done_reason"] == "stop"
	and last["eval_count"] == len(L) - 1 and last["eval_duration"] > 0 and last["prompt_eval_count"] == 5 else 1)' \
	"$E2E_TMP/ol"
req ol2 "$URL/api/chat" -d "{\"model\":\"nosuch-model\",$MSG}"
check "ollama: an unknown model is 404 'try pulling it first'" \
	sh -c "[ $CODE = 404 ] && grep -q 'not found, try pulling it first' '$E2E_TMP/ol2'"

# ---------------------------------------------------------------- Bedrock
req br1 "$URL/model/amazon.titan-text-express-v1/converse-stream" -H 'Content-Type: application/json' -d "$BR"
check "bedrock: no signature is 403 MissingAuthenticationTokenException" \
	sh -c "[ $CODE = 403 ] && tr -d '\r' <'$E2E_TMP/br1.h' | grep -q '^x-amzn-ErrorType: MissingAuthenticationTokenException'"
req br2 --aws-sigv4 "aws:amz:us-west-2:bedrock" --user "$AK:wrong" "$URL/foundation-models"
check "bedrock: /foundation-models with a wrong signature is 403 InvalidSignatureException" \
	sh -c "[ $CODE = 403 ] && tr -d '\r' <'$E2E_TMP/br2.h' | grep -q '^x-amzn-ErrorType: InvalidSignatureException' &&
		grep -q 'signature we calculated does not match' '$E2E_TMP/br2'"
req br3 --aws-sigv4 "aws:amz:us-west-2:bedrock" --user "$AK:$SK" "$URL/foundation-models"
check "bedrock: /foundation-models signed by curl lists the models" \
	sh -c "[ $CODE = 200 ] && grep -q '\"modelId\":\"anthropic.claude-3-haiku-20240307-v1:0\"' '$E2E_TMP/br3'"
req br4 --aws-sigv4 "aws:amz:us-west-2:bedrock" --user "$AK:$SK" -H 'Content-Type: application/json' \
	"$URL/model/amazon.titan-text-express-v1/converse-stream" -d "$BR"
check "bedrock: signed converse-stream is 200 application/vnd.amazon.eventstream" \
	sh -c "[ $CODE = 200 ] && tr -d '\r' <'$E2E_TMP/br4.h' | grep -qi '^content-type: application/vnd.amazon.eventstream' &&
		grep -q contentBlockDelta '$E2E_TMP/br4'"
frames=$(es br4 | uniq | tr '\n' ' ')
want="event messageStart event contentBlockDelta event contentBlockStop event messageStop event metadata "
if [ "$frames" = "$want" ]; then ok "bedrock: frames with valid CRCs, messageStart ... metadata"; else
	fail "bedrock: frames with valid CRCs, messageStart ... metadata" "got: $frames"; fi
req br5 --aws-sigv4 "aws:amz:us-west-2:bedrock" --user "$AK:$SK" "$URL/model/fake.bad-crc-v1/converse-stream" -d "$BR"
check "bedrock: bad-crc sends one good delta, then a frame with a bad message CRC" \
	sh -c "[ \"\$(\"$E2E_PY\" '$E2E_TMP/es.py' '$E2E_TMP/br5' | tr '\n' ' ')\" = \
'event messageStart event contentBlockDelta BAD-CRC message ' ]"
req br6 --aws-sigv4 "aws:amz:us-west-2:bedrock" --user "$AK:$SK" "$URL/model/fake.throttle-in-stream/converse-stream" \
	-d "$BR"
check "bedrock: throttle-in-stream ends with a throttlingException frame" \
	sh -c "\"$E2E_PY\" '$E2E_TMP/es.py' '$E2E_TMP/br6' | tail -n 1 | grep -qx 'exception throttlingException'"

# botocore's own signatures (fixed date, so no clock check): the model id's
# ':' is %3A on the wire and %253A in the canonical request.
d="bedrock: a botocore-signed Converse with %3A in the path verifies"
d2="bedrock: the same request with one body byte changed is refused"
d3="bedrock: botocore's session-token variant verifies when the token is configured"
if [ -f "$VEC/bedrock-converse/signed-request.txt" ] &&
	fake_start vec --aws-access-key AKIDEXAMPLE --aws-secret-key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
		--aws-region us-east-1 --aws-max-skew 0 --aws-session-token FQoGZXIvYXdzEXAMPLETOKEN; then
	# replay FILE BODY-SED: the signed request as botocore built it.
	replay() {
		_f=$1
		sed '1,/^$/d' "$_f" | sed "$2" >"$E2E_TMP/vec.body"
		_p=$(sed -n '1s#^POST https://[^/]*##p' "$_f")
		_h=$(sed -n '1s#^POST https://\([^/]*\)/.*#\1#p' "$_f")
		set --
		while IFS= read -r _l; do
			case $_l in Content-Length:*) ;; *) set -- "$@" -H "$_l" ;; esac
		done <<-EOF
			$(sed -n '2,/^$/p' "$_f" | sed '/^$/d')
		EOF
		req vec "$@" -H "Host: $_h" --data-binary "@$E2E_TMP/vec.body" "$URL$_p"
	}
	replay "$VEC/bedrock-converse-session-token/signed-request.txt" ''
	if [ "$CODE" = 200 ]; then ok "$d3"; else fail "$d3" "status $CODE: $(cat "$E2E_TMP/vec")"; fi
	replay "$VEC/bedrock-converse-session-token/signed-request.txt" 's/"maxTokens": 64/"maxTokens": 65/'
	if [ "$CODE" = 403 ] && hdr vec 'x-amzn-ErrorType: InvalidSignatureException'; then ok "$d2"; else
		fail "$d2" "status $CODE"; fi
	kill "$FAKE_PID"
	fake_start vec2 --aws-access-key AKIDEXAMPLE --aws-secret-key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
		--aws-region us-east-1 --aws-max-skew 0
	replay "$VEC/bedrock-converse/signed-request.txt" ''
	if [ "$CODE" = 200 ] && has vec '"stopReason":"end_turn"'; then ok "$d"; else
		fail "$d" "status $CODE: $(cat "$E2E_TMP/vec")" "$(cat "$E2E_TMP/vec2.err")"; fi
	kill "$FAKE_PID"
else
	fail "$d" "no vectors at $VEC or the fake did not start"
fi
URL=$MAIN_URL

# ---------------------------------------------------------------- scenarios
req r1 -H "Authorization: Bearer $KEY_OA" "$URL/v1/chat/completions" -d "{\"model\":\"fake-retry-429\",$MSG}"
c1=$CODE
ra=$(tr -d '\r' <"$E2E_TMP/r1.h" | sed -n 's/^retry-after: //Ip')
req r2 -H "Authorization: Bearer $KEY_OA" "$URL/v1/chat/completions" -d "{\"model\":\"fake-retry-429\",$MSG}"
if [ "$c1" = 429 ] && [ "$ra" = 1 ] && [ "$CODE" = 200 ]; then ok "retry-429: 429 with retry-after: 1, then 200"; else
	fail "retry-429: 429 with retry-after: 1, then 200" "got $c1 (retry-after '$ra') then $CODE"; fi
req r3 --aws-sigv4 "aws:amz:us-west-2:bedrock" --user "$AK:$SK" "$URL/model/fake.retry-429/converse" -d "$BR"
check "retry-429 on bedrock is a ThrottlingException" hdr r3 'x-amzn-ErrorType: ThrottlingException'
req f1 "$URL/api/chat" -d "{\"model\":\"fail-500\",$MSG}"
req f2 "$URL/api/chat" -d "{\"model\":\"fail-500\",$MSG}"
check "fail-500: always 500, each attempt in the log" \
	sh -c "[ $CODE = 500 ] && grep -q '\"error\"' '$E2E_TMP/f2' && [ \$(grep -c '\"model\":\"fail-500\"' '$E2E_TMP/main.log') = 2 ]"
req c1 "$URL/api/chat" -d "{\"model\":\"llama-cut\",$MSG}"
check "cut: the stream stops mid-line without the done line" \
	sh -c "[ $RC != 0 ] && ! grep -q '\"done\":true' '$E2E_TMP/c1' && [ -n \"\$(tail -c 1 '$E2E_TMP/c1')\" ]"
req s1 "$URL/api/chat" -d "{\"model\":\"llama-split-bytes\",$MSG}"
req s0 "$URL/api/chat" -d "{\"model\":\"llama3.1\",$MSG}"
check "split-bytes: the same NDJSON, written a byte at a time" \
	sh -c "[ $CODE = 200 ] && [ \"\$(sed 's/\"created_at\":\"[^\"]*\"//' '$E2E_TMP/s1' | sed 's/llama-split-bytes/M/')\" = \
\"\$(sed 's/\"created_at\":\"[^\"]*\"//' '$E2E_TMP/s0' | sed 's/llama3.1/M/')\" ]"
req e1 "$URL/api/chat" -d "{\"model\":\"evil\",\"stream\":false,$MSG}"
check "evil: raw invalid UTF-8, escaped ESC, BEL and CR inside valid JSON" \
	"$E2E_PY" -c 'import json,sys
raw = open(sys.argv[1], "rb").read()
t = json.loads(raw.decode("utf-8", "surrogateescape"))["message"]["content"]
sys.exit(0 if b"lone\xff" in raw and b"\\u001b]52;" in raw and b"\x1b" not in raw and
	b"csi\x9b31m" in raw and b"osc\xc2\x9d" in raw and "\x1b[2J" in t and "\x07" in t and "\r" in t else 1)' \
	"$E2E_TMP/e1"
t0=$(e2e_now)
req si "$URL/v1/chat/completions" --max-time 1 -H "Authorization: Bearer $KEY_OA" -d "{\"model\":\"silent\",$MSG}"
t1=$(e2e_now)
check "silent: nothing comes back; curl --max-time 1 times out" \
	sh -c "[ $RC = 28 ] && [ ! -s '$E2E_TMP/si' ] && [ $((t1 - t0)) -le 3 ]"
req hu "$URL/v1/chat/completions" --max-filesize 1000 -H "Authorization: Bearer $KEY_OA" \
	-d "{\"model\":\"huge\",$MSG}"
check "huge: a 1 GiB Content-Length (refused by curl --max-filesize)" \
	sh -c "[ $RC = 63 ] && tr -d '\r' <'$E2E_TMP/hu.h' | grep -q '^content-length: 1073741824'"
n=$(curl -sS -N -H "Authorization: Bearer $KEY_OA" "$URL/v1/chat/completions" \
	-d "{\"model\":\"huge\",\"stream\":true,$MSG}" 2>/dev/null | head -c 20000000 | wc -c)
check "huge: a stream read as fast as the client goes (20 MB taken)" [ "$n" = 20000000 ]
tt=$(curl -sS -N -o "$E2E_TMP/tp" -w '%{time_total}' "$URL/api/chat" -d "{\"model\":\"tokens-50-tps-100\",$MSG}")
check "tokens-50-tps-100: 50 tokens paced over half a second" \
	"$E2E_PY" -c 'import json,sys
L = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(L) == 51 and L[-1]["eval_count"] == 50 and 0.45 <= float(sys.argv[2]) < 3 else 1)' \
	"$E2E_TMP/tp" "$tt"

# ---------------------------------------------------------------- log and lifetime
check "log: one JSON line per request, raw path, secrets redacted" \
	log_json main "any(x['path'] == '/v1/messages' and x['headers']['x-api-key'] == '[redacted]' for x in L) and \
any(x['route'] == 'bedrock.converse-stream' and x['auth'] == 'sigv4' and x['auth_ok'] for x in L) and \
all('status' in x and 'body' in x for x in L)"
check "log: no key appears in it" sh -c "! grep -q -e '$KEY_OA' -e '$KEY_AN' '$E2E_TMP/main.log'"
fake_start pathlog
req pl "$URL/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse" -d "$BR"
check "log: the Bedrock path as received (%3A) and the decoded model id" \
	log_json pathlog "L[0]['path'] == '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse' and \
L[0]['model'] == 'anthropic.claude-3-haiku-20240307-v1:0' and L[0]['status'] == 200"
kill "$FAKE_PID"

kill "$MAIN_PID"
check "the fake exits on SIGTERM" wait_gone "$MAIN_PID" 5
"$FAKE" --port-file "$E2E_TMP/short.port" --max-seconds 1 2>"$E2E_TMP/short.err" &
SHORT=$!
FAKE_PIDS="$FAKE_PIDS $SHORT"
d="the fake exits by itself after --max-seconds 1"
if wait_gone "$SHORT" 4; then ok "$d"; else fail "$d" "still running after 4 s"; fi
e2e_done
