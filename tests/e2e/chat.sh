# aiwb chat and aiwb ask --continue against the fake server: a piped
# conversation sends every message so far (checked in the fake's request
# bodies), /model, /system, /save, /clear, a failed turn, Ctrl-C cancelling an
# answer (not the chat), history grouping in text and --json, and chat --kb
# retrieving every turn with the rewritten query and never resending a chunk.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
LOG=$E2E_TMP/llm.log
fake_start llm || { echo "not ok 1 - fake server"; exit 1; }
fake_env "$URL"
OPENAI_API_KEY=sk-test
ANTHROPIC_API_KEY=sk-ant-test
export OPENAI_API_KEY ANTHROPIC_API_KEY
what() { printf 'exit %s\n--- stdout\n%s\n--- stderr\n%s\n' "$rc" "$(cat "$out")" "$(cat "$err")"; }

# The chat requests of the fake's log from line FROM on, one per line:
# ROUTE<TAB>SYSTEM<TAB>ROLE:CONTENT|ROLE:CONTENT...
requests() {
	"$E2E_PY" - "$LOG" "${1:-1}" <<'P'
import json, sys
for n, l in enumerate(open(sys.argv[1]), 1):
    if n < int(sys.argv[2]):
        continue
    d = json.loads(l)
    if d.get("route") not in ("openai.chat", "anthropic.messages"):
        continue
    b = json.loads(d["body"])
    system = b.get("system") or "".join(m["content"] for m in b["messages"] if m["role"] == "system")
    msgs = [m for m in b["messages"] if m["role"] != "system"]
    print("%s\t%s\t%s" % (d["route"], system, "|".join(m["role"] + ":" + m["content"].replace("\n", " ") for m in msgs)))
P
}
# reap PID: its exit status in $?, killing it first if it is still running
# (so a hung chat fails its test instead of hanging the script).
reap() {
	kill -0 "$1" 2>/dev/null && kill -KILL "$1" 2>/dev/null
	wait "$1"
}
log_lines() { [ -f "$LOG" ] && wc -l <"$LOG" || echo 0; }
ANS_O="Hello from the fake OpenAI. One two three four five six seven eight."
ANS_A="Hello from the fake Anthropic. One two three four five six seven eight."

# ---------------------------------------------------------------- a piped conversation

"$A" chat --help >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && grep -q '^usage: aiwb chat' "$out" && grep -q '/save \[FILE\]' "$out"; then
	ok "chat --help"
else
	fail "chat --help" "$(what)"
fi
"$A" chat -m openai/gpt-4o-mini "a prompt" </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'chat takes no prompt argument' "$err"; then ok "a prompt argument is a usage error"; else fail "prompt argument" "$(what)"; fi
"$A" chat -m openai/gpt-4o-mini -k 3 </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'go with --kb' "$err"; then ok "-k without --kb is a usage error"; else fail "-k without --kb" "$(what)"; fi

"$A" chat -m nosuch/model </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" = 1 ] && grep -q "unknown provider 'nosuch'" "$err" && [ "$(wc -l <"$err")" = 1 ]; then
	ok "an unknown provider fails in one sentence before the chat starts"
else
	fail "unknown provider" "$(what)"
fi
"$A" chat </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'no model: give -m PROVIDER/MODEL' "$err"; then ok "no model and no default_model is a usage error"; else fail "no model" "$(what)"; fi

start=$(($(log_lines) + 1))
printf '%s\n' "what is a heron" "" "and a stork" "/system Answer like a pirate." "third question" \
	"/model anthropic/claude-3-5-haiku-latest" "fourth, to another model" "/save $E2E_TMP/chat.md" \
	"/save $E2E_TMP/chat.json" "/bogus" "//slash question" "/clear" "a fresh start" |
	"$A" chat -m openai/gpt-4o-mini -s "Be brief." >"$out" 2>"$err"
rc=$?
requests "$start" >"$E2E_TMP/rq"
if [ "$rc" = 0 ] && [ "$(wc -l <"$E2E_TMP/rq")" = 6 ] && [ "$(grep -c "^$ANS_O\$" "$out")" = 3 ] &&
	[ "$(grep -c "^$ANS_A\$" "$out")" = 3 ]; then
	ok "a piped chat: six turns sent, six answers streamed to stdout"
else
	fail "a piped chat" "$(what)" "$(cat "$E2E_TMP/rq")"
fi
r1=$(sed -n 1p "$E2E_TMP/rq") r2=$(sed -n 2p "$E2E_TMP/rq") r3=$(sed -n 3p "$E2E_TMP/rq")
if [ "$r1" = "$(printf 'openai.chat\tBe brief.\tuser:what is a heron')" ] &&
	[ "$r2" = "$(printf 'openai.chat\tBe brief.\tuser:what is a heron|assistant:%s|user:and a stork' "$ANS_O")" ] &&
	[ "$r3" = "$(printf 'openai.chat\tAnswer like a pirate.\tuser:what is a heron|assistant:%s|user:and a stork|assistant:%s|user:third question' "$ANS_O" "$ANS_O")" ]; then
	ok "each turn sends every message so far, the new question last; /system changes the next turns' system prompt"
else
	fail "the growing messages array" "$r1" "$r2" "$r3"
fi
r4=$(sed -n 4p "$E2E_TMP/rq")
if [ "$r4" = "$(printf 'anthropic.messages\tAnswer like a pirate.\tuser:what is a heron|assistant:%s|user:and a stork|assistant:%s|user:third question|assistant:%s|user:fourth, to another model' "$ANS_O" "$ANS_O" "$ANS_O")" ] &&
	grep -q 'model: anthropic/claude-3-5-haiku-latest; the conversation continues' "$err"; then
	ok "/model switches the model and the conversation continues with it"
else
	fail "/model" "$r4" "$(cat "$err")"
fi
r5=$(sed -n 5p "$E2E_TMP/rq") r6=$(sed -n 6p "$E2E_TMP/rq")
case $r5 in *"|user:/slash question") slash=1 ;; *) slash=0 ;; esac
if [ "$slash" = 1 ] && grep -q 'unknown command /bogus; /help lists the commands' "$err" &&
	[ "$r6" = "$(printf 'anthropic.messages\tAnswer like a pirate.\tuser:a fresh start')" ] &&
	grep -q '^new conversation with anthropic/claude-3-5-haiku-latest' "$err"; then
	ok "// sends a line starting with a slash; an unknown command says so; /clear starts over (model and system stay)"
else
	fail "//, unknown command, /clear" "$r5" "$r6" "$(cat "$err")"
fi
if grep -q '^\[turn 1 · [0-9]* in / 13 out tokens · \$[0-9.]* · conversation: 1 turn, ' "$err" &&
	grep -q '^\[turn 5 · [0-9]* in / 13 out tokens · \$[0-9.]* · conversation: 5 turns, [0-9]* in / 65 out, \$' "$err"; then
	ok "a footer after each answer: the turn's tokens and cost, the conversation's totals"
else
	fail "footer" "$(cat "$err")"
fi
if [ -f "$E2E_TMP/chat.md" ] && [ "$(e2e_mode "$E2E_TMP/chat.md")" = 600 ] && [ "$(e2e_mode "$E2E_TMP/chat.json")" = 600 ] &&
	grep -q '^# Conversation with anthropic/claude-3-5-haiku-latest' "$E2E_TMP/chat.md" &&
	grep -q '^## System' "$E2E_TMP/chat.md" && grep -q '^Answer like a pirate.$' "$E2E_TMP/chat.md" &&
	[ "$(grep -c '^## You$' "$E2E_TMP/chat.md")" = 4 ] && grep -q '^## openai/gpt-4o-mini$' "$E2E_TMP/chat.md" &&
	grep -q '^## anthropic/claude-3-5-haiku-latest$' "$E2E_TMP/chat.md" &&
	e2e_json "$E2E_TMP/chat.json" 'd["model"] == "anthropic/claude-3-5-haiku-latest" and d["turns"] == 4 and len(d["messages"]) == 8 and d["messages"][1]["model"] == "openai/gpt-4o-mini" and d["messages"][7]["model"] == "anthropic/claude-3-5-haiku-latest" and d["messages"][6]["content"] == "fourth, to another model" and d["usage"]["output_tokens"] == 52 and d["conversation"] >= 1'; then
	ok "/save writes the conversation as Markdown or JSON, mode 0600"
else
	fail "/save" "$(ls -l "$E2E_TMP" | grep chat)" "$(cat "$E2E_TMP/chat.md" "$E2E_TMP/chat.json" 2>&1)"
fi

start=$(($(log_lines) + 1))
(
	AIWB_HOME=$E2E_TMP/devfull
	export AIWB_HOME
	printf '%s\n' "one" "two" "three" | "$A" chat -m openai/gpt-4o-mini >/dev/full 2>"$err"
	echo $? >"$E2E_TMP/rc"
)
rc=$(cat "$E2E_TMP/rc")
if [ "$rc" = 1 ] && [ "$(requests "$start" | wc -l)" = 1 ] && grep -q 'writing to standard output failed' "$err"; then
	ok "a chat whose stdout cannot be written ends after that turn, says so and exits 1"
else
	fail "stdout /dev/full" "exit $rc" "$(cat "$err")"
fi

# ---------------------------------------------------------------- history groups conversations

"$A" ask -m openai/gpt-4o-mini "a single question" </dev/null >/dev/null 2>&1
"$A" history >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c ' chat \| ask ' "$out")" = 3 ] && grep -q '^ *1 .* chat  *5  anthropic/claude-3-5-haiku-latest .*what is a heron' "$out" &&
	grep -q ' chat  *1  anthropic/.*a fresh start' "$out" && grep -q ' ask  *1  openai/gpt-4o-mini .*a single question' "$out" &&
	head -1 "$out" | grep -q 'KIND  TURNS  MODEL'; then
	ok "history lists one row per conversation with its turns (first prompt, latest model)"
else
	fail "history grouping" "$(what)"
fi
"$A" history --json >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && e2e_json "$out" 'd["total"] == 3 and [r["turns"] for r in d["runs"]] == [1, 1, 5] and d["runs"][2]["conversation"] == d["runs"][2]["id"] == 1 and d["runs"][2]["turn"] == 5 and d["runs"][0]["conversation"] is None and d["runs"][0]["turn"] is None and d["runs"][1]["turn"] == 1'; then
	ok "history --json carries conversation, turn and turns"
else
	fail "history --json" "$(what)"
fi
"$A" history show 3 >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && grep -q '^conversation 1: 5 turns' "$out" && [ "$(grep -c '^=== turn [1-5] ===$' "$out")" = 5 ] &&
	grep -q '^conversation 1, turn 5$' "$out"; then
	ok "history show ID of any turn shows every turn of its conversation"
else
	fail "history show conversation" "$(what)"
fi
"$A" history show 1 --json >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && e2e_json "$out" 'd["conversation"] == 1 and d["turns"] == 5 and [r["turn"] for r in d["runs"]] == [1, 2, 3, 4, 5] and all(r["conversation"] == 1 and r["kind"] == "chat" for r in d["runs"]) and len(d["runs"][4]["messages"]) == 10'; then
	ok "history show --json of a conversation: its runs in turn order"
else
	fail "history show --json" "$(what)"
fi
"$A" history herons >"$out" 2>"$err"
"$A" history heron --json >"$out" 2>"$err"
if e2e_json "$out" 'len(d["runs"]) >= 1 and all(r["conversation"] == 1 for r in d["runs"])'; then
	ok "a search finds single turns and names their conversation"
else
	fail "search names the conversation" "$(what)"
fi

# ---------------------------------------------------------------- ask --continue

start=$(($(log_lines) + 1))
"$A" ask --continue "one more about it" </dev/null >"$out" 2>"$err"
rc=$?
r=$(requests "$start")
if [ "$rc" = 0 ] && [ "$r" = "$(printf 'openai.chat\t\tuser:a single question|assistant:%s|user:one more about it' "$ANS_O")" ] &&
	grep -q "^$ANS_O\$" "$out"; then
	ok "ask --continue continues the latest run with its model"
else
	fail "ask --continue (latest)" "$(what)" "$r"
fi
"$A" history --json -n 1 >"$out" 2>"$err"
if e2e_json "$out" 'd["runs"][0]["turns"] == 2 and d["runs"][0]["prompt"] == "a single question" and d["runs"][0]["turn"] == 2'; then
	ok "a continued single run becomes turn 1 of a conversation, the new run turn 2"
else
	fail "continued run grouping" "$(cat "$out")"
fi
start=$(($(log_lines) + 1))
"$A" ask --continue 2 -m openai/gpt-4o --json "back to the chat" </dev/null >"$out" 2>"$err"
rc=$?
r=$(requests "$start")
case $r in
"openai.chat	Answer like a pirate.	user:what is a heron|"*"|user:fourth, to another model|assistant:$ANS_A|user:/slash question|assistant:$ANS_A|user:back to the chat") good=1 ;;
*) good=0 ;;
esac
if [ "$rc" = 0 ] && [ "$good" = 1 ] && e2e_json "$out" 'd["conversation"] == 1 and d["turn"] == 6 and d["model"] == "openai/gpt-4o"'; then
	ok "ask --continue ID -m MODEL sends that conversation's messages to another model, recorded as the next turn"
else
	fail "ask --continue ID" "$(what)" "$r"
fi
"$A" ask --continue 999 "x" </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" = 1 ] && grep -q 'there is no run 999 in the history' "$err"; then ok "ask --continue of an unknown run fails clearly"; else fail "--continue 999" "$(what)"; fi
"$A" ask --continue -t zero-shot "x" </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'leave out -t' "$err"; then ok "ask --continue with a template is a usage error"; else fail "--continue -t" "$(what)"; fi
(
	e2e_home
	"$A" ask --continue "x" </dev/null >"$out" 2>"$err"
	echo $? >"$E2E_TMP/rc"
)
rc=$(cat "$E2E_TMP/rc")
if [ "$rc" = 1 ] && grep -q 'no run in the history to continue' "$err"; then ok "ask --continue on an empty history fails clearly"; else fail "--continue empty" "$(what)"; fi

# ---------------------------------------------------------------- a failed turn, Ctrl-C

start=$(($(log_lines) + 1))
printf '%s\n' "first" "/model openai/fail-400" "this one fails" "/model openai/gpt-4o-mini" "once more" |
	"$A" chat -m openai/gpt-4o-mini >"$out" 2>"$err"
rc=$?
r=$(requests "$start" | grep -v fail | tail -1)
if [ "$rc" = 0 ] && grep -q '^aiwb chat: openai/fail-400: ' "$err" &&
	[ "$r" = "$(printf 'openai.chat\t\tuser:first|assistant:%s|user:once more' "$ANS_O")" ]; then
	ok "a failed turn says why, and its question is not sent again"
else
	fail "failed turn" "$(what)" "$r"
fi

mkfifo "$E2E_TMP/in"
"$A" chat -m openai/slow-200-tps-20 <"$E2E_TMP/in" >"$out" 2>"$err" &
pid=$!
exec 7<>"$E2E_TMP/in"
echo "tell me a long story" >&7
i=0
while [ $i -lt 200 ] && ! grep -q 'from the' "$out"; do i=$((i + 1)); sleep 0.05; done
kill -INT $pid
i=0
while [ $i -lt 200 ] && ! grep -q 'cancelled' "$err"; do i=$((i + 1)); sleep 0.05; done
echo "/model openai/gpt-4o-mini" >&7
echo "still there?" >&7
i=0
while [ $i -lt 200 ] && ! grep -q '^\[turn 2 ' "$err"; do i=$((i + 1)); sleep 0.05; done
alive=0
kill -0 $pid 2>/dev/null && alive=1
exec 7>&-
i=0
while [ $i -lt 200 ] && kill -0 $pid 2>/dev/null; do i=$((i + 1)); sleep 0.05; done
reap $pid
rc=$?
if [ "$alive" = 1 ] && [ "$rc" = 0 ] && grep -q 'cancelled; the partial answer stays in the conversation' "$err" &&
	grep -q '^\[turn 2 ' "$err" && grep -q "^$ANS_O\$" "$out"; then
	ok "Ctrl-C while an answer streams cancels that answer, not the chat; end of input ends it with 0"
else
	fail "Ctrl-C cancels the answer" "$(what)"
fi
"$A" chat -m openai/gpt-4o-mini <"$E2E_TMP/in" >"$out" 2>"$err" &
pid=$!
exec 7<>"$E2E_TMP/in"
echo "hello" >&7
i=0
while [ $i -lt 200 ] && ! grep -q '^\[turn 1 ' "$err"; do i=$((i + 1)); sleep 0.05; done
kill -INT $pid
i=0
while [ $i -lt 200 ] && ! grep -q 'Ctrl-C again' "$err"; do i=$((i + 1)); sleep 0.05; done
kill -INT $pid
i=0
while [ $i -lt 200 ] && kill -0 $pid 2>/dev/null; do i=$((i + 1)); sleep 0.05; done
reap $pid
rc=$?
exec 7>&-
if [ "$rc" = 130 ] && grep -q 'Ctrl-C again, Ctrl-D or /quit to leave' "$err"; then
	ok "Ctrl-C at the prompt says how to leave; a second one leaves with 130"
else
	fail "Ctrl-C twice at the prompt" "$(what)"
fi

# ---------------------------------------------------------------- the context window

(
	e2e_home
	mkdir -p "$XDG_CONFIG_HOME/aiwb"
	printf '{"prices": {"openai/tiny-window": {"input": 1, "output": 2, "context": 200}}}\n' \
		>"$XDG_CONFIG_HOME/aiwb/config.json"
	long=$("$E2E_PY" -c 'print(" ".join(["word"] * 140))')   # 699 bytes: about 175 tokens
	longer=$("$E2E_PY" -c 'print(" ".join(["word"] * 200))') # 999 bytes: about 250 tokens
	printf '%s\n' "hi" "$long" "$longer" | "$A" chat -m openai/tiny-window >"$out" 2>"$err"
	echo $? >"$E2E_TMP/rc"
)
rc=$(cat "$E2E_TMP/rc")
# turn 2: 1 in + 13 out reported by turn 1, plus 175 = 189 tokens, 94% of 200
if [ "$rc" = 0 ] && [ "$(grep -c 'context window' "$err")" = 2 ] &&
	grep -q "this send is about 189 tokens, 94% of openai/tiny-window's context window of 200; /clear starts a new conversation" "$err" &&
	grep -q "more than openai/tiny-window's context window of 200, so the model may refuse it" "$err" &&
	! sed '/^\[turn 1 /q' "$err" | grep -q 'context window'; then
	ok "a send that nears the context window (90%, the config's context) is flagged before it goes; one past it says so"
else
	fail "context window flag" "$(what)"
fi

"$A" chat -m openai/slow-400-tps-20 <"$E2E_TMP/in" >"$out" 2>"$err" &
pid=$!
exec 7<>"$E2E_TMP/in"
echo "a story to stop" >&7
i=0
while [ $i -lt 200 ] && ! grep -q 'from the' "$out"; do i=$((i + 1)); sleep 0.05; done
kill -TERM $pid
i=0
while [ $i -lt 200 ] && kill -0 $pid 2>/dev/null; do i=$((i + 1)); sleep 0.05; done
reap $pid
rc=$?
exec 7>&-
"$A" history --json -n 1 >"$E2E_TMP/h.json" 2>/dev/null
if [ "$rc" = 143 ] && e2e_json "$E2E_TMP/h.json" 'd["runs"][0]["status"] == "cancelled" and d["runs"][0]["prompt"] == "a story to stop"'; then
	ok "SIGTERM while an answer streams cancels it, saves what arrived and leaves with 143"
else
	fail "SIGTERM" "$(what)" "$(cat "$E2E_TMP/h.json")"
fi

# ---------------------------------------------------------------- chat --kb

D=$E2E_TMP/docs
mkdir -p "$D"
cp examples/docs/*.md "$D/"
"$A" kb create zoo >/dev/null 2>&1
"$A" kb add zoo "$D" >/dev/null 2>&1
start=$(($(log_lines) + 1))
printf '%s\n' "How much is a day pass?" "and for students?" "and for students?" |
	"$A" chat -m openai/gpt-4o-mini --kb zoo -k 2 >"$out" 2>"$err"
rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c '^Sources (zoo, bm25, ' "$out")" = 3 ] &&
	grep -q '^Sources (zoo, bm25, searched for "How much is a day pass?"):' "$out" &&
	grep -q '^Sources (zoo, bm25, searched for "and for students? how much day pass"):' "$out"; then
	ok "chat --kb retrieves every turn; turn 2 searches the question plus the salient words of the previous one"
else
	fail "chat --kb sources" "$(what)"
fi
if "$E2E_PY" - "$LOG" "$start" <<'P'
import json, re, sys
bodies = [json.loads(json.loads(l)["body"]) for n, l in enumerate(open(sys.argv[1]), 1)
          if n >= int(sys.argv[2]) and '"openai.chat"' in l]
assert len(bodies) == 3, len(bodies)
def sources(msg):
    return re.findall(r'\[(\d+)\] <source document="[^"]*"[^\n]*>\n(.*?)\n</source>', msg, re.S)
turns = [b["messages"][-1]["content"] for b in bodies]
s1, s2, s3 = sources(turns[0]), sources(turns[1]), sources(turns[2])
assert [n for n, _ in s1] == ["1", "2"], s1
assert s2 and [n for n, _ in s2] == [str(3 + i) for i in range(len(s2))], s2
texts1 = {t for _, t in s1}
assert not texts1 & {t for _, t in s2}, "a chunk sent twice"
assert "Question: and for students?" in turns[1]
# the whole conversation goes along: turn 2's request holds turn 1's sources once
assert bodies[1]["messages"][1]["content"] == turns[0]
assert all(b["messages"][0]["role"] == "system" and "numbered context passages" in b["messages"][0]["content"] for b in bodies)
# the third, same question again: no chunk of turns 1 and 2 again
assert not ({t for _, t in s1} | {t for _, t in s2}) & {t for _, t in s3}
P
then
	ok "chat --kb numbers each turn's sources on and never resends a chunk sent earlier"
else
	fail "chat --kb requests" "$(requests "$start" | cut -c1-400)"
fi
"$A" history show "$("$A" history --json -n 1 | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["runs"][0]["id"])')" --json >"$out" 2>"$err"
if e2e_json "$out" 'd["turns"] == 3 and d["runs"][1]["params"]["kb"]["name"] == "zoo" and d["runs"][1]["params"]["kb"]["query"] == "and for students? how much day pass" and len(d["runs"][0]["params"]["kb"]["chunks"]) == 2 and not set(d["runs"][0]["params"]["kb"]["chunks"]) & set(d["runs"][1]["params"]["kb"]["chunks"])'; then
	ok "history records each turn's KB, query and chunk ids"
else
	fail "chat --kb history params" "$(cat "$out" "$err" | head -60)"
fi
"$A" kb create zoov --embed openai/text-embedding-3-small >/dev/null 2>&1
"$A" kb add zoov "$D" >/dev/null 2>&1
start=$(($(log_lines) + 1))
printf '%s\n' "How much is a day pass?" "and for students?" |
	"$A" chat -m openai/gpt-4o-mini --kb zoov -k 2 --mode hybrid >"$out" 2>"$err"
rc=$?
q=$("$E2E_PY" - "$LOG" "$start" <<'P'
import json, sys
for n, l in enumerate(open(sys.argv[1]), 1):
    d = json.loads(l)
    if n >= int(sys.argv[2]) and d.get("route") == "openai.embeddings":
        i = json.loads(d["body"])["input"]
        print(i if isinstance(i, str) else i[0])
P
)
if [ "$rc" = 0 ] && [ "$(grep -c '^Sources (zoov, hybrid, ' "$out")" = 2 ] &&
	[ "$q" = "$(printf 'How much is a day pass?\nand for students? how much day pass')" ]; then
	ok "chat --kb --mode hybrid embeds each turn's rewritten query"
else
	fail "chat --kb hybrid" "$(what)" "embedded: $q"
fi
e2e_done
