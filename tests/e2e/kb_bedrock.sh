# Bedrock Knowledge Bases as a KB source, against the fake server (SigV4
# checked on every call): kb attach (found, not found, denied), kb ls (kind
# column, --bedrock following nextToken), local-only commands refused, kb
# search in vector and hybrid mode with filters whose results equal a local
# KB's over the same corpus (same documents), the filter JSON sent, paging of
# Retrieve, every error (400, 403, 404, 424, 502, throttling retried and
# exhausted, a bad signature), bm25 and untranslatable filters refused, and
# ask --kb answering with the remote sources.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
CORPUS=tests/data/bedrockkb/corpus.jsonl
AK=AKIDKBTEST0001
SK=kb-secret-key-for-the-fake
fake_start kb --aws-access-key "$AK" --aws-secret-key "$SK" --kb-corpus "$CORPUS" \
	--kb-ids KBDOCS0001=docs,KBDENY0001=secret,KBMORE0001=more --kb-denied KBDENY0001 --kb-page 3 \
	--kb-list-page 2 || { echo "not ok 1 - fake server"; exit 1; }
LOG=$E2E_TMP/kb.log
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
# calls ROUTE: how many requests the fake logged on that route
calls() { "$E2E_PY" -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("route")==sys.argv[2]))' "$LOG" "$1"; }

# ---- attach
run kb attach r bedrock:KBDOCS0001
if [ $RC = 0 ] && grep -q 'Attached r: Bedrock knowledge base KBDOCS0001 "docs" (ACTIVE) in us-east-1' "$out"; then
	ok "kb attach checks the knowledge base with GetKnowledgeBase"
else
	fail "kb attach" "$(what)"
fi
check "GetKnowledgeBase was signed with SigV4 and the fake verified it" "$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
r=[x for x in rows if x["route"]=="bedrock-agent.get-knowledge-base"]
assert r and all(x["auth"]=="sigv4" and x["auth_ok"] and x["method"]=="GET" and x["path"]=="/knowledgebases/KBDOCS0001" for x in r), r' "$LOG"
run kb attach x bedrock:KBNONE0001
expect "kb attach of a missing knowledge base: ResourceNotFoundException in one sentence" 1 \
	"cannot attach x: there is no Bedrock knowledge base KBNONE0001 in us-east-1 (ResourceNotFoundException"
run kb attach y bedrock:KBDENY0001
expect "kb attach of a denied knowledge base: AccessDeniedException in one sentence" 1 \
	"access to Bedrock knowledge base KBDENY0001 in us-east-1 was denied (AccessDeniedException"
run kb attach z bedrock:not-an-id!
expect "kb attach of a malformed id is a usage error" 2 "is not a Bedrock knowledge base id"
run kb attach z s3://bucket
expect "kb attach of another source is a usage error" 2 "only Bedrock knowledge bases can be attached"
run kb attach r bedrock:KBMORE0001
expect "kb attach under a taken name" 1 "a knowledge base named r exists already"
run kb attach e bedrock:KBDOCS0001 --region eu-west-1
if [ $RC = 1 ] && grep -q "cannot attach e: .*Credential should be scoped to a valid region" "$err"; then
	ok "--region signs for that region (the fake, in us-east-1, rejects the scope)"
else
	fail "--region" "$(what)"
fi
run kb attach e bedrock:KBDOCS0001 --region 'eu west'
expect "a malformed --region is a usage error" 2 "--region must be an AWS region"
run kb ls --json
check "no KB was stored for the failed attaches" "$E2E_PY" -c 'import json,sys
names=sorted(k["name"] for k in json.load(open(sys.argv[1]))["kbs"])
assert names==["demo","r"], names' "$out"

# ---- ls
run kb ls
if [ $RC = 0 ] && grep -Eq '^r +- +- +- +- +- +- +bedrock KBDOCS0001 us-east-1$' "$out" && grep -Eq '^demo .* local$' "$out"; then
	ok "kb ls shows the remote KB beside the local ones (KIND column)"
else
	fail "kb ls" "$(what)"
fi
run kb ls --json
check "kb ls --json: kind and remote id/region" "$E2E_PY" -c 'import json,sys
k={x["name"]:x for x in json.load(open(sys.argv[1]))["kbs"]}
assert k["r"]["kind"]=="bedrock" and k["r"]["remote"]=={"id":"KBDOCS0001","region":"us-east-1"}, k["r"]
assert k["demo"]["kind"]=="local" and "remote" not in k["demo"]' "$out"
before=$(calls bedrock-agent.list-knowledge-bases)
run kb ls --bedrock --json
check "kb ls --bedrock follows nextToken (2 pages of 2) and marks what is attached" "$E2E_PY" -c 'import json,sys
o=json.load(open(sys.argv[1]))
assert o["region"]=="us-east-1" and o["pages"]==2, o
ids=[k["id"] for k in o["knowledge_bases"]]
assert ids==["KBDOCS0001","KBDENY0001","KBMORE0001"], ids
assert o["knowledge_bases"][0]["attached_as"]==["r"] and o["knowledge_bases"][2]["attached_as"]==[]' "$out"
check "ListKnowledgeBases was called twice (the second with the nextToken)" test "$(($(calls bedrock-agent.list-knowledge-bases) - before))" = 2
run kb ls --bedrock
if [ $RC = 0 ] && grep -q '^KBMORE0001 *more *ACTIVE' "$out" && grep -q '^3 knowledge bases in us-east-1' "$out"; then
	ok "kb ls --bedrock table"
else
	fail "kb ls --bedrock table" "$(what)"
fi

# ---- local-only commands
for c in "add r $CORPUS" "sync r" "docs r" "show r x" "set r --chunker fixed" "check r"; do
	# shellcheck disable=SC2086
	run kb $c
	expect "kb ${c%% *} refuses the remote KB" 1 "r is an attached Bedrock knowledge base (KBDOCS0001).*works only on local knowledge bases"
done

# ---- the same corpus, local
run kb create loc --embed openai/text-embedding-3-small
run kb add loc "$CORPUS"
run kb ls --json
check "the corpus is ingested locally (16 documents)" "$E2E_PY" -c 'import json,sys
k={x["name"]:x for x in json.load(open(sys.argv[1]))["kbs"]}
assert k["loc"]["documents"]==16, k["loc"]' "$out"
ids() { # ids FILE: the sorted document ids of a search --json
	"$E2E_PY" -c 'import json,sys
print(" ".join(sorted(r["meta"]["id"] for r in json.load(open(sys.argv[1]))["results"])))' "$1"
}
n=0
for f in "year >= 2024" "genre = guide AND NOT draft = true" "team IN (cloud, search) OR level > 2" \
	"NOT (genre = blog OR year < 2022)" "genre != reference AND level <= 2" "team NOT IN (hpc, security)" \
	"NOT team IN (hpc, cloud) AND NOT level >= 3" "id GLOB 'drift*'" "team GLOB '*platform*' AND year > 2023" "(year = 2025 OR year = 2021) AND NOT (team = cloud AND draft = true)"; do
	for mode in vector hybrid; do
		n=$((n + 1))
		"$A" kb search r --mode $mode -k 100 --filter "$f" --json documents and models >"$E2E_TMP/remote.json" 2>"$err"
		r1=$?
		"$A" kb search loc --mode $mode -k 100 --filter "$f" --json documents and models >"$E2E_TMP/local.json" 2>>"$err"
		r2=$?
		rem=$(ids "$E2E_TMP/remote.json" 2>/dev/null)
		loc=$(ids "$E2E_TMP/local.json" 2>/dev/null)
		if [ $r1 = 0 ] && [ $r2 = 0 ] && [ -n "$rem" ] && [ "$rem" = "$loc" ]; then
			ok "filter $n ($mode) '$f': remote results = local results ($(echo "$rem" | wc -w) documents)"
		else
			fail "filter $n ($mode) '$f'" "remote: $rem" "local:  $loc" "$(head -3 "$err")"
		fi
	done
done
"$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["route"]=="bedrock-agent-runtime.retrieve"]
ok=[json.loads(r["body"]) for r in rows]
assert all(r["auth"]=="sigv4" and r["auth_ok"] for r in rows)
want={"notEquals":{"key":"genre","value":"blog"}}
bodies=[b for b in ok if "filter" in b["retrievalConfiguration"]["vectorSearchConfiguration"]]
f=[b["retrievalConfiguration"]["vectorSearchConfiguration"]["filter"] for b in bodies]
assert {"andAll":[{"notEquals":{"key":"genre","value":"blog"}},{"greaterThanOrEquals":{"key":"year","value":2022}}]} in f, f
assert {"andAll":[{"notIn":{"key":"team","value":["hpc","cloud"]}},{"lessThan":{"key":"level","value":3}}]} in f
assert {"startsWith":{"key":"id","value":"drift"}} in f
assert {"andAll":[{"stringContains":{"key":"team","value":"platform"}},{"greaterThan":{"key":"year","value":2023}}]} in f
types={b["retrievalConfiguration"]["vectorSearchConfiguration"]["overrideSearchType"] for b in bodies}
assert types=={"SEMANTIC","HYBRID"}, types
' "$LOG" >"$err" 2>&1 && ok "Retrieve bodies: the De Morgan filters, startsWith, SEMANTIC and HYBRID, all signed" || fail "Retrieve bodies" "$(cat "$err")"
run kb search r -k 100 --filter "path GLOB 's3://aiwb-kb-test/docs/b*'" --json anything
check "path GLOB 'prefix*' is startsWith on the source URI" sh -c "test \"\$(\"$E2E_PY\" -c 'import json,sys
print(\" \".join(sorted(r[\"document\"][\"path\"] for r in json.load(open(sys.argv[1]))[\"results\"])))' $out)\" = 's3://aiwb-kb-test/docs/bedrock-filters.txt s3://aiwb-kb-test/docs/bedrock-kb.txt'"
run kb search r --explain -k 3 --mode hybrid --filter "NOT (genre = blog OR year < 2022)" drift
if [ $RC = 0 ] && grep -q '^Bedrock knowledge base KBDOCS0001 in us-east-1: Retrieve, overrideSearchType HYBRID, numberOfResults 3$' "$out" &&
	grep -qF 'filter: {"andAll":[{"notEquals":{"key":"genre","value":"blog"}},{"greaterThanOrEquals":{"key":"year","value":2022}}]}' "$out"; then
	ok "--explain shows the Retrieve settings and the translated filter"
else
	fail "--explain" "$(what)"
fi
run kb search r --filter "path GLOB '*.txt'" anything
expect "a filter Bedrock cannot express is a usage error naming it" 2 "Bedrock cannot express path GLOB '\*.txt'"
run kb search r --mode bm25 drift
expect "bm25 on a remote KB is refused with the reason" 2 "a Bedrock knowledge base has no bm25 mode"
run kb search r -k 101 drift
expect "k over Retrieve's 100 is refused" 2 "returns at most 100 results"

# ---- paging and the results view
before=$(calls bedrock-agent-runtime.retrieve)
run kb search r -k 7 --json population stability drift
check "k 7 over pages of 3: 3 Retrieve calls, ranks 1..7, 7 distinct documents" "$E2E_PY" -c 'import json,sys
o=json.load(open(sys.argv[1]))
rs=o["results"]
assert o["kind"]=="bedrock" and o["mode"]=="vector" and len(rs)==7, o
assert [r["rank"] for r in rs]==list(range(1,8))
assert len({r["document"]["path"] for r in rs})==7
assert all(r["chunk"] is None and r["document"]["id"] is None and r["highlights"]==[] for r in rs)
assert rs[0]["meta"]["id"].startswith("drift") and rs[0]["text"].startswith("The population") or rs[0]["meta"]["id"]=="drift-basics"
assert all(rs[i]["score"]>=rs[i+1]["score"] for i in range(6))' "$out"
check "the pages were asked with nextToken" test "$(($(calls bedrock-agent-runtime.retrieve) - before))" = 3
run kb search r -k 2 population stability
if [ $RC = 0 ] && grep -q '^1\. [0-9.]*  s3://aiwb-kb-test/docs/drift-psi.txt' "$out" && grep -q 'meta {"id":"drift-psi"' "$out"; then
	ok "the results view shows score, location URI, metadata and text"
else
	fail "results view" "$(what)"
fi

# ---- errors
run kb search r fail-400
expect "ValidationException (400): one sentence, no retry" 1 "Bedrock refused the Retrieve request for KBDOCS0001 (ValidationException"
run kb search r fail-403
expect "AccessDeniedException (403)" 1 "was denied (AccessDeniedException"
run kb search r fail-404
expect "ResourceNotFoundException (404)" 1 "there is no Bedrock knowledge base KBDOCS0001 in us-east-1"
run kb search r fail-424
expect "DependencyFailedException (424), not retried" 1 "(DependencyFailedException, HTTP 424"
if grep -q "after" "$err"; then fail "424 was retried" "$(cat "$err")"; else ok "424 is not retried"; fi
run kb search r fail-502
expect "BadGatewayException (502), retried then one sentence" 1 "(BadGatewayException, HTTP 502.*(after 3 attempts)"
before=$(calls bedrock-agent-runtime.retrieve)
run kb search r -k 3 retry-429 throttled once
if [ $RC = 0 ] && [ "$(($(calls bedrock-agent-runtime.retrieve) - before))" = 2 ] && grep -q '^1\. ' "$out"; then
	ok "ThrottlingException is retried with back-off and the search succeeds"
else
	fail "throttling retried" "$(what)"
fi
AWS_MAX_ATTEMPTS=2 run kb search r fail-429
expect "throttling that does not stop: one sentence after 2 attempts" 1 "Bedrock throttled Retrieve KBDOCS0001 (ThrottlingException.*(after 2 attempts)"
AWS_SECRET_ACCESS_KEY=wrong run kb search r drift
expect "a wrong secret: the fake rejects the signature" 1 "InvalidSignatureException"

# ---- ask --kb
run ask --kb r -m openai/gpt-4o-mini "what is data drift"
if [ $RC = 0 ] && grep -q 'Hello from the fake OpenAI' "$out" && grep -q '^Sources (r, vector):' "$out" &&
	grep -q '^  \[1\] s3://aiwb-kb-test/docs/' "$out"; then
	ok "ask --kb on a remote KB answers with the model and lists the sources"
else
	fail "ask --kb remote" "$(what)"
fi
check "the rag prompt held the retrieved text" "$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["route"]=="openai.chat"]
b=rows[-1]["body"]
assert "Data drift is a change in the distribution" in b and "source document=\\\"s3://aiwb-kb-test/docs/" in b, b[:400]' "$LOG"
run ask --kb r --json --filter "team = hpc" -m openai/gpt-4o-mini "how do I train on slurm"
check "ask --kb --json: remote sources with null chunk fields" "$E2E_PY" -c 'import json,sys
o=json.load(open(sys.argv[1]))
s=o["sources"]
assert o["kb"]=="r" and len(s)==2 and all(x["chunk_id"] is None and x["path"].startswith("s3://") for x in s), o
assert {x["document"] for x in s}=={"s3://aiwb-kb-test/docs/slurm-jobs.txt","s3://aiwb-kb-test/docs/gpu-memory.txt"}' "$out"
run ask --kb r --mode bm25 -m openai/gpt-4o-mini hi
expect "ask --kb --mode bm25 on a remote KB is refused" 2 "no bm25 mode"

# ---- kb eval through Retrieve
cat >"$E2E_TMP/set.yaml" <<'YAML'
k: 3
cases:
  - name: psi
    query: population stability index binned distributions
    expect: [drift-psi.txt]
  - name: hpc only
    query: training on slurm
    filter: team = hpc
    k: 2
    expect: [slurm-jobs.txt, gpu-memory.txt]
    expect_not: [bedrock-kb.txt]
YAML
before=$(calls bedrock-agent-runtime.retrieve)
run kb eval r "$E2E_TMP/set.yaml" --json
check "kb eval on a Bedrock KB: every case through Retrieve, all pass" "$E2E_PY" -c 'import json,sys
o=json.load(open(sys.argv[1]))
assert o["kb"]=="r" and o["overall"]["cases"]==2 and o["overall"]["failed"]==0, o
c={x["name"]:x for x in o["cases"]}
assert c["psi"]["hit"] and c["psi"]["top"][0].endswith("drift-psi.txt"), c["psi"]
assert sorted(c["hpc only"]["top"])==["s3://aiwb-kb-test/docs/gpu-memory.txt","s3://aiwb-kb-test/docs/slurm-jobs.txt"], c' "$out"
check "kb eval asked Retrieve once a case (and its pages), SEMANTIC, 100 results, the hpc filter" "$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["route"]=="bedrock-agent-runtime.retrieve"][int(sys.argv[2]):]
b=[json.loads(r["body"]) for r in rows]
assert rows and all(r["auth"]=="sigv4" and r["auth_ok"] for r in rows)
v=[x["retrievalConfiguration"]["vectorSearchConfiguration"] for x in b if "nextToken" not in x]
assert len(v)==2 and all(x["numberOfResults"]==100 and x["overrideSearchType"]=="SEMANTIC" for x in v), v
assert v[1]["filter"]=={"equals":{"key":"team","value":"hpc"}}, v[1]' "$LOG" "$before"
cat >"$E2E_TMP/bad.yaml" <<'YAML'
cases:
  - name: keyword
    query: drift
    mode: bm25
    expect: [drift-psi.txt]
  - name: glob
    query: drift
    filter: path GLOB '*.txt'
    expect: [drift-psi.txt]
  - name: fine
    query: population stability index binned distributions
    mode: hybrid
    k: 3
    expect: [drift-psi.txt]
YAML
run kb eval r "$E2E_TMP/bad.yaml"
if [ $RC = 1 ] && grep -q '^FAIL keyword .*error: .*no bm25 mode' "$out" && grep -q "^FAIL glob .*error: .*Bedrock cannot express path GLOB" "$out" &&
	grep -q '^ok   fine ' "$out" && grep -q '^3 cases, 2 failed' "$out"; then
	ok "kb eval on a Bedrock KB: bm25 and untranslatable filters fail their case with the reason; hybrid runs"
else
	fail "kb eval failing cases" "$(what)"
fi
run kb eval r "$E2E_TMP/set.yaml" --mode hybrid
if [ $RC = 0 ] && grep -q '^2 cases, 0 failed' "$out"; then ok "kb eval --mode hybrid on a Bedrock KB"; else fail "kb eval --mode hybrid" "$(what)"; fi
AWS_SECRET_ACCESS_KEY=wrong run kb eval r "$E2E_TMP/set.yaml"
expect "kb eval when Retrieve fails: the run stops with one sentence" 1 "r: .*InvalidSignatureException"

# ---- -k over Retrieve's 100 with a rerank model: said, never silent
before=$(calls bedrock-agent-runtime.retrieve)
run kb search r -k 150 --rerank bedrock:amazon.rerank-v1:0 --json drift
if [ $RC = 0 ] && grep -q "r is a Bedrock knowledge base, whose Retrieve returns at most 100 chunks (numberOfResults 1-100): 100 candidates are reranked, so at most 100 results, not the 150 asked for with -k" "$err" &&
	[ "$(wc -l <"$err")" = 1 ]; then
	ok "-k 150 --rerank on a Bedrock KB says on stderr that 100 candidates were the most"
else
	fail "-k 150 --rerank cap" "$(what)"
fi
check "that search asked Retrieve for 100" "$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["route"]=="bedrock-agent-runtime.retrieve"][int(sys.argv[2]):]
b=json.loads(rows[0]["body"])
assert b["retrievalConfiguration"]["vectorSearchConfiguration"]["numberOfResults"]==100, b' "$LOG" "$before"
run kb search r -k 100 --rerank bedrock:amazon.rerank-v1:0 --json drift
if [ $RC = 0 ] && [ ! -s "$err" ]; then ok "-k 100 --rerank: nothing to say"; else fail "-k 100 --rerank" "$(what)"; fi

# ---- rm
run kb rm r
if [ $RC = 0 ] && ! "$A" kb ls | grep -q '^r '; then ok "kb rm removes the attachment"; else fail "kb rm" "$(what)"; fi

e2e_done
