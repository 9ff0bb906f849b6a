# kb search --rerank with a model, against the fake server: Bedrock's Rerank
# over a local KB's candidates (the order the fake's relevance gives, both
# scores in --json and the text view, SigV4 verified, the request's shape,
# paging, throttling retried, each error in one sentence), over an attached
# Bedrock KB's candidates (from Retrieve), and a chat model scoring each
# candidate 0-10 (order, unparsed answers counted, at most 4 calls at once).
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
CORPUS=tests/data/bedrockkb/corpus.jsonl
AK=AKIDRERANK001
SK=rerank-secret-key-for-the-fake
fake_start rr --aws-access-key "$AK" --aws-secret-key "$SK" --kb-corpus "$CORPUS" --kb-ids KBDOCS0001=docs \
	--rerank-page 4 || { echo "not ok 1 - fake server"; exit 1; }
LOG=$E2E_TMP/rr.log
fake_env "$URL"
AWS_ENDPOINT_URL_BEDROCK_AGENT=$URL
AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME=$URL
AWS_ACCESS_KEY_ID=$AK
AWS_SECRET_ACCESS_KEY=$SK
OPENAI_API_KEY=sk-test
export AWS_ENDPOINT_URL_BEDROCK_AGENT AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME AWS_ACCESS_KEY_ID \
	AWS_SECRET_ACCESS_KEY OPENAI_API_KEY

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
what() { printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -30 "$out")" "$(head -10 "$err")"; }
expect() { # expect DESC RC GREP-IN-STDERR
	if [ "$RC" = "$2" ] && grep -q -- "$3" "$err" && [ "$(wc -l <"$err")" -le 1 ]; then ok "$1"; else fail "$1" "$(what)"; fi
}
rows() { # rows ROUTE: the fake's log lines of that route, as JSON lines
	"$E2E_PY" -c 'import json,sys
for l in open(sys.argv[1]):
    x=json.loads(l)
    if x.get("route")==sys.argv[2]: print(json.dumps(x))' "$LOG" "$1"
}
# expected ORDER.json PLAIN.json: the fake's order (share of query words in
# the text, ties by retrieval order) of the plain search's candidates, cut to
# the reranked result's length, equals the reranked order
same_order() {
	"$E2E_PY" -c 'import json,re,sys
rr=json.load(open(sys.argv[1])); plain=json.load(open(sys.argv[2])); scale=float(sys.argv[3])
q=rr["query"]; words=re.findall(r"[A-Za-z0-9]+", q)
def share(t): return sum(1 for w in words if w.lower() in t.lower())/len(words)
def score(t): return round(10*share(t)) if scale==10 else round(share(t)*1e6)/1e6
cands=[(-score(r["text"]), i, r["meta"]["id"]) for i,r in enumerate(plain["results"])]
want=[c[2] for c in sorted(cands)][:len(rr["results"])]
got=[r["meta"]["id"] for r in rr["results"]]
assert got==want, (got, want)
for i,r in enumerate(rr["results"]):
    s=r["scores"]
    assert abs(s["relevance"]-score(r["text"]))<1e-9 and r["score"]==s["relevance"], r
    p=[x for x in plain["results"] if x["meta"]["id"]==r["meta"]["id"]][0]
    assert abs(s["retrieval"]-p["score"])<1e-9 and s["retrieval_rank"]==p["rank"], (s, p["rank"])
    assert r["rank"]==i+1
' "$@"
}

# ---- a local KB (vector search over the fake's embeddings), reranked by Bedrock
run kb create loc --embed openai/text-embedding-3-small
run kb add loc "$CORPUS"
[ $RC = 0 ] || fail "kb add" "$(what)"
Q="population stability drift index retraining"
run kb search loc --mode vector -k 50 --json $Q
cp "$out" "$E2E_TMP/plain.json"
run kb search loc --mode vector -k 3 --rerank bedrock:amazon.rerank-v1:0 --json $Q
cp "$out" "$E2E_TMP/rr.json"
if [ $RC = 0 ] && same_order "$E2E_TMP/rr.json" "$E2E_TMP/plain.json" 1; then
	ok "local KB reranked by amazon.rerank-v1:0: the fake's relevance order, both scores in --json"
else
	fail "local rerank order" "$(what)" "$(same_order "$E2E_TMP/rr.json" "$E2E_TMP/plain.json" 1 2>&1 | tail -2)"
fi
check "--json names the rerank: kind, model, ARN, candidates, calls (pages of 4)" "$E2E_PY" -c 'import json,sys
rr=json.load(open(sys.argv[1]))["rerank"]; plain=json.load(open(sys.argv[2]))
n=len(plain["results"])
assert rr["kind"]=="bedrock" and rr["model"]=="amazon.rerank-v1:0", rr
assert rr["model_arn"]=="arn:aws:bedrock:us-east-1::foundation-model/amazon.rerank-v1:0", rr
assert rr["candidates"]==n and rr["calls"]==(n+3)//4 and n>4, (rr, n)' "$E2E_TMP/rr.json" "$E2E_TMP/plain.json"
rows bedrock-agent-runtime.rerank >"$E2E_TMP/rows"
check "Rerank was signed with SigV4 (verified by the fake) and has the service's shape" "$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
assert rows and all(r["auth"]=="sigv4" and r["auth_ok"] and r["status"]==200 and r["path"]=="/rerank" for r in rows), rows
b=json.loads(rows[0]["body"])
assert b["queries"]==[{"type":"TEXT","textQuery":{"text":sys.argv[2]}}], b["queries"]
s=b["sources"][0]
assert s["type"]=="INLINE" and s["inlineDocumentSource"]["type"]=="TEXT" and s["inlineDocumentSource"]["textDocument"]["text"], s
c=b["rerankingConfiguration"]
assert c["type"]=="BEDROCK_RERANKING_MODEL" and c["bedrockRerankingConfiguration"]["numberOfResults"]==len(b["sources"]), c
assert c["bedrockRerankingConfiguration"]["modelConfiguration"]["modelArn"].endswith("::foundation-model/amazon.rerank-v1:0")
assert "nextToken" not in b and json.loads(rows[1]["body"])["nextToken"]=="rr-4", rows[1]["body"]' "$E2E_TMP/rows" "$Q"
run kb search loc --mode vector -k 3 --rerank bedrock:cohere.rerank-v3-5:0 --explain $Q
if [ $RC = 0 ] && grep -q "^rerank: Bedrock Rerank with cohere.rerank-v3-5:0 (arn:aws:bedrock:us-east-1::foundation-model/cohere.rerank-v3-5:0), [0-9]* candidates" "$out" &&
	grep -q "retrieved: rank [0-9]*, score [0-9.]*; reranked (bedrock): rank 1, relevance 1.0000;" "$out" &&
	grep -q "^   relevance 1.0000 (bedrock), retrieval score [0-9.]* (rank [0-9]*)" "$out"; then
	ok "text view and --explain show the rerank stage and both scores (cohere.rerank-v3-5:0)"
else
	fail "--explain rerank" "$(what)"
fi
run kb search loc --mode vector -k 2 --rerank bedrock:amazon.rerank-v1:0 --json --explain $Q
check "--json --explain lists the retrieved and reranked stages" "$E2E_PY" -c 'import json,sys
r=json.load(open(sys.argv[1]))["results"][0]
st=[s["stage"] for s in r["explain"]]
assert st[-2:]==["retrieved","reranked"] and r["explain"][-1]["rank"]==1, r["explain"]' "$out"

# ---- errors and throttling
n0=$(rows bedrock-agent-runtime.rerank | wc -l)
run kb search loc --mode vector -k 3 --rerank bedrock:amazon.rerank-v1:0 --json retry-429 drift population
n1=$(rows bedrock-agent-runtime.rerank | wc -l)
if [ $RC = 0 ] && [ $((n1 - n0)) -ge 2 ] && rows bedrock-agent-runtime.rerank | tail -n $((n1 - n0)) | head -1 | grep -q '"status": 429'; then
	ok "a throttled Rerank is retried and gets through"
else
	fail "throttling retried" "$(what)" "calls $n0 -> $n1"
fi
AWS_MAX_ATTEMPTS=2 run kb search loc --mode vector --rerank bedrock:amazon.rerank-v1:0 fail-429 drift
expect "throttling that does not stop: one sentence after 2 attempts" 1 \
	"rerank with bedrock:amazon.rerank-v1:0: Bedrock throttled Rerank with amazon.rerank-v1:0 (ThrottlingException.*(after 2 attempts)"
for c in "400:Bedrock refused the Rerank request with amazon.rerank-v1:0 in us-east-1 (ValidationException" \
	"403:access to Bedrock rerank model amazon.rerank-v1:0 in us-east-1 was denied (AccessDeniedException" \
	"424:Bedrock's rerank model amazon.rerank-v1:0 could not be reached (DependencyFailedException, HTTP 424" \
	"502:a service behind Bedrock Rerank failed (BadGatewayException, HTTP 502"; do
	code=${c%%:*}
	n0=$(rows bedrock-agent-runtime.rerank | wc -l)
	AWS_MAX_ATTEMPTS=3 run kb search loc --mode vector --rerank bedrock:amazon.rerank-v1:0 fail-$code drift
	n1=$(rows bedrock-agent-runtime.rerank | wc -l)
	want=1
	[ "$code" = 502 ] && want=3
	if [ $RC = 1 ] && grep -q -- "${c#*:}" "$err" && [ "$(wc -l <"$err")" -le 1 ] && [ $((n1 - n0)) = $want ]; then
		ok "Rerank HTTP $code: one sentence, $want call(s)"
	else
		fail "Rerank HTTP $code" "$(what)" "calls $((n1 - n0)), want $want"
	fi
done
run kb search loc --mode vector --rerank bedrock:amazon.titan-embed-text-v2:0 drift
expect "a model that is not a rerank model: Bedrock's ValidationException in one sentence" 1 \
	"The provided model identifier is invalid"
run kb search loc --mode vector --rerank bogus drift
expect "--rerank with an unknown reranker is a usage error" 2 "--rerank must be mmr, bedrock:MODEL_ID"
run kb search loc --mode vector --rerank llm:nomodel drift
expect "--rerank llm: without PROVIDER/MODEL is a usage error" 2 "needs a chat model as PROVIDER/MODEL"
AWS_ACCESS_KEY_ID=AKIDWRONG0001 run kb search loc --mode vector --rerank bedrock:amazon.rerank-v1:0 drift
if [ $RC = 1 ] && [ "$(wc -l <"$err")" -le 1 ] && grep -q "rerank with bedrock:amazon.rerank-v1:0:" "$err"; then
	ok "credentials the service refuses: one sentence"
else
	fail "bad credentials" "$(what)"
fi

# ---- an attached Bedrock KB, reranked
run kb attach r bedrock:KBDOCS0001
RQ="documents and models drift"
run kb search r -k 50 --json $RQ
cp "$out" "$E2E_TMP/rplain.json"
run kb search r -k 4 --rerank bedrock:amazon.rerank-v1:0 --json $RQ
cp "$out" "$E2E_TMP/remote_rr.json"
if [ $RC = 0 ] && same_order "$out" "$E2E_TMP/rplain.json" 1; then
	ok "an attached Bedrock KB's Retrieve candidates reranked in the fake's order, both scores shown"
else
	fail "remote rerank" "$(what)" "$(same_order "$out" "$E2E_TMP/rplain.json" 1 2>&1 | tail -2)"
fi
check "the remote candidates came from one Retrieve of numberOfResults 50" "$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
r=[json.loads(x["body"]) for x in rows if x["route"]=="bedrock-agent-runtime.retrieve"][-1]
assert r["retrievalConfiguration"]["vectorSearchConfiguration"]["numberOfResults"]==50, r' "$LOG"

# ---- a chat model scoring each candidate (the fake holds each answer 100 ms: tps 10, 1 token)
run kb search loc --mode vector -k 50 --json $Q
cp "$out" "$E2E_TMP/plain.json"
n0=$(rows openai.chat | wc -l)
run kb search loc --mode vector -k 3 --rerank llm:openai/gpt-4o-mini-tps-10 --json $Q
cp "$out" "$E2E_TMP/llm.json"
if [ $RC = 0 ] && same_order "$E2E_TMP/llm.json" "$E2E_TMP/plain.json" 10; then
	ok "llm rerank: the chat model's 0-10 scores order the candidates, ties by retrieval order"
else
	fail "llm rerank order" "$(what)" "$(same_order "$E2E_TMP/llm.json" "$E2E_TMP/plain.json" 10 2>&1 | tail -2)"
fi
rows openai.chat | tail -n +$((n0 + 1)) >"$E2E_TMP/chat"
check "llm rerank: one call per candidate, at most 4 answers in flight (and more than 1), the fixed prompt" \
	"$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
rr=json.load(open(sys.argv[2]))["rerank"]; n=len(json.load(open(sys.argv[3]))["results"])
held=max(r["held"] for r in rows)
assert len(rows)==n==rr["calls"]==rr["candidates"], (len(rows), n, rr)
assert 2<=held<=4 and rr["max_in_flight"]==4, (held, rr)
m=json.loads(rows[0]["body"])["messages"][-1]["content"]
assert m.startswith("Rate how relevant the passage is to the question on a scale from 0 (unrelated) to 10 (answers it fully). Answer with a number only.\n\nQuestion: "), m
assert "\n\nPassage: " in m' "$E2E_TMP/chat" "$E2E_TMP/llm.json" "$E2E_TMP/plain.json"
run kb search loc --mode vector -k 3 --rerank llm:openai/gpt-4o-mini --json chatty drift index
cp "$out" "$E2E_TMP/chatty.json"
run kb search loc --mode vector -k 50 --json chatty drift index
if same_order "$E2E_TMP/chatty.json" "$out" 10; then
	ok "llm rerank: the first number of a sentence is the score"
else
	fail "chatty answers" "$(head -c 600 "$E2E_TMP/chatty.json")"
fi
run kb search loc --mode vector -k 3 --rerank llm:openai/gpt-4o-mini --explain noscore drift
if [ $RC = 0 ] && grep -q "answers without a number scored 0" "$out" && grep -Eq "[1-9][0-9]* answers without a number" "$out"; then
	ok "llm rerank: answers without a number score 0 and are counted in --explain"
else
	fail "unparsed answers" "$(what)"
fi
run kb search loc --mode vector --rerank llm:openai/fail-500 drift
if [ $RC = 1 ] && [ "$(wc -l <"$err")" -le 1 ] && grep -q "rerank with llm:openai/fail-500: " "$err"; then
	ok "llm rerank: a failing chat model is one sentence"
else
	fail "llm rerank error" "$(what)"
fi
# ---- ask --kb and compare --kb take --rerank
run ask --kb r -k 2 --rerank bedrock:amazon.rerank-v1:0 -m openai/gpt-4o-mini "$RQ"
if [ $RC = 0 ] && grep -q "^Sources (r, vector, reranked by bedrock:amazon.rerank-v1:0):" "$out"; then
	ok "ask --kb --rerank answers from the reranked sources"
else
	fail "ask --kb --rerank" "$(what)"
fi
run ask --kb r -k 2 --rerank bedrock:amazon.rerank-v1:0 --json -m openai/gpt-4o-mini "$RQ"
check "ask --kb --rerank --json: the sources are the reranked top 2" "$E2E_PY" -c 'import json,sys
a=json.load(open(sys.argv[1])); rr=json.load(open(sys.argv[2]))
got=[s["path"] for s in a["sources"]]; want=[r["document"]["path"] for r in rr["results"][:2]]
assert got==want, (got, want)' "$out" "$E2E_TMP/remote_rr.json"
run compare --kb loc --mode vector --rerank llm:openai/gpt-4o-mini -m openai/gpt-4o-mini -m openai/gpt-4.1-mini "$Q"
if [ $RC = 0 ] && grep -q "reranked by llm:openai/gpt-4o-mini" "$out"; then
	ok "compare --kb --rerank llm:... reranks once for every model"
else
	fail "compare --kb --rerank" "$(what)"
fi
run ask --rerank mmr -m openai/gpt-4o-mini hi
expect "--rerank without --kb is a usage error" 2 "give --kb"
e2e_done
