# Vector and hybrid search against the fake server's deterministic, meaningful
# embeddings: `--mode vector` top 10 equals a brute-force cosine ranking of
# the stored vectors (same chunk ids, scores within 1e-5); hybrid is RRF
# (k=60) of the BM25 and vector ranks; MMR reranks; embeddings are cached by
# content (a rebuilt KB makes no embedding call); a provider that goes away
# mid-ingest leaves a sound KB and a clear message, and the next sync embeds
# the rest; Bedrock Titan v2, Cohere v3 and Ollama embed too.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
fake_start llm || { echo "not ok 1 - fake server"; exit 1; }
fake_env "$URL"
OPENAI_API_KEY=sk-test AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret
export OPENAI_API_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
what() { printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -30 "$out")" "$(head -10 "$err")"; }

T=$E2E_TMP/docs
mkdir -p "$T"
cp examples/docs/*.md "$T/"
"$E2E_PY" - "$T" <<'P'
import os, sys
topics = ["battery charging at the depot", "helmet hygiene and cleaning", "winter tyres and icy roads",
          "lost property at stations", "student discounts and verification", "night shift van routes",
          "accessibility of adaptive bikes", "data export requests", "storm closures and wind limits",
          "parking fines and undocked bikes"]
for i, t in enumerate(topics):
    with open(os.path.join(sys.argv[1], "note%02d.txt" % i), "w") as f:
        f.write("Note about %s.\n\nThis note explains %s in detail for the team.\n" % (t, t))
P
M=openai/text-embedding-3-small
run kb create v --embed "$M"
run kb add v "$T" --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["embeddings"]["embedded"] == d["chunks"] and d["embeddings"]["calls"] >= 2'; then
	ok "add embeds every chunk in batches"
else
	fail "add with embeddings" "$(what)"
fi

Q="how are tyres handled on icy winter roads"
run kb search v "$Q" --mode vector -k 10 --json
cp "$out" "$E2E_TMP/vector.json"
curl -s "$URL/v1/embeddings" -H 'content-type: application/json' -H 'authorization: Bearer sk-test' \
	-d "{\"model\":\"text-embedding-3-small\",\"input\":[\"$Q\"]}" >"$E2E_TMP/q.json"
if "$E2E_PY" - "$AIWB_HOME/aiwb.db" "$E2E_TMP/q.json" "$E2E_TMP/vector.json" <<'P'
import json, math, sqlite3, struct, sys
db = sqlite3.connect(sys.argv[1])
q = json.load(open(sys.argv[2]))["data"][0]["embedding"]
n = math.sqrt(sum(x * x for x in q)); q = [x / n for x in q]
kb = db.execute("SELECT id FROM kbs WHERE name = 'v'").fetchone()[0]
rows = db.execute("SELECT v.chunk_id, v.vec FROM kb_vectors v JOIN kb_chunks c ON c.id = v.chunk_id "
                  "JOIN kb_docs d ON d.id = c.doc_id WHERE d.kb_id = ?", (kb,)).fetchall()
scored = []
for cid, blob in rows:
    v = struct.unpack("<%df" % (len(blob) // 4), blob)
    scored.append((-sum(a * b for a, b in zip(q, v)), cid))
scored.sort()
want = [(cid, -s) for s, cid in scored[:10]]
got = [(r["chunk"]["id"], r["scores"]["vector"]) for r in json.load(open(sys.argv[3]))["results"]]
ok = len(got) == 10 and all(a[0] == b[0] and abs(a[1] - b[1]) < 1e-5 for a, b in zip(want, got))
if not ok:
    print("want", want); print("got ", got)
sys.exit(0 if ok else 1)
P
then ok "vector top 10 equals brute-force cosine over the stored vectors"; else fail "vector exactness"; fi
if e2e_json "$E2E_TMP/vector.json" '"tyres" in d["results"][0]["text"]'; then ok "the best vector match is about tyres"; else fail "vector meaning" "$(head -c 400 "$E2E_TMP/vector.json")"; fi

run kb search v "$Q" --mode hybrid -k 10 --explain --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'all(abs(r["scores"]["fused"] - sum(1.0 / (60 + s["rank"]) for s in r["explain"] if s["stage"] in ("bm25", "vector"))) < 1e-9 for r in d["results"]) and [r["scores"]["fused"] for r in d["results"]] == sorted([r["scores"]["fused"] for r in d["results"]], reverse=True) and len(d["results"]) == 10'; then
	ok "hybrid: reciprocal rank fusion (k=60) of the BM25 and vector ranks"
else
	fail "hybrid" "$(what)"
fi
run kb search v "$Q" --mode hybrid --hybrid-weights 0,1 -k 5 --json
cp "$out" "$E2E_TMP/h01.json"
run kb search v "$Q" --mode vector -k 5 --json
if e2e_json "$out" "[r['chunk']['id'] for r in d['results']] == [r['chunk']['id'] for r in json.load(open('$E2E_TMP/h01.json'))['results']]"; then
	ok "hybrid with weight 0 on BM25 ranks as vector"
else
	fail "hybrid weights" "$(cat "$E2E_TMP/h01.json" | head -c 300)"
fi
run kb search v "$Q" --rerank mmr --mmr-lambda 0.3 -k 5 --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'len(d["results"]) == 5 and [r["rank"] for r in d["results"]] == [1, 2, 3, 4, 5] and all("mmr" in r["scores"] for r in d["results"])'; then
	ok "--rerank mmr"
else
	fail "mmr" "$(what)"
fi
run kb search v "$Q" --mode vector --filter "path GLOB '*note0*'" -k 20 --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'len(d["results"]) == 10 and all("note0" in r["document"]["path"] for r in d["results"])'; then
	ok "vector search applies the filter inside the scan"
else
	fail "vector filter" "$(what)"
fi

# the cache: the same texts in a new KB cost no call
calls_before=$(grep -c '"openai.embeddings"' "$E2E_TMP/llm.log")
run kb rm v
run kb create v2 --embed "$M"
run kb add v2 "$T" --json
calls_after=$(grep -c '"openai.embeddings"' "$E2E_TMP/llm.log")
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["embeddings"]["cached"] == d["chunks"] and d["embeddings"]["calls"] == 0' && [ "$calls_before" -eq "$calls_after" ]; then
	ok "embeddings are cached by content: re-ingest never pays twice"
else
	fail "embedding cache" "$(what)" "calls $calls_before -> $calls_after"
fi

# the provider goes away mid-ingest
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
printf 'A new note about bicycle bells and their sound.\n' >"$T/bells.txt"
run kb sync v2
if [ "$RC" -eq 1 ] && grep -q 'embedding stopped' "$err" && grep -q "kb sync v2" "$err" && ! grep -qi 'secret\|sk-test' "$err"; then
	ok "a provider failure stops embedding with a clear message"
else
	fail "provider failure" "$(what)"
fi
run kb check v2
cp "$err" "$E2E_TMP/check.err"
expect_ok=$RC
run kb search v2 bells --json
if [ "$expect_ok" -eq 0 ] && e2e_json "$out" 'd["results"][0]["document"]["path"].endswith("bells.txt")'; then ok "the KB stays sound and searchable by BM25"; else fail "consistency after failure" "check exit $expect_ok: $(cat "$E2E_TMP/check.err")" "$(what)"; fi
fake_start llm2 || { echo "not ok - fake server 2"; exit 1; }
fake_env "$URL"
run kb sync v2 --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["embeddings"]["embedded"] == 1 and d["embeddings"]["pending"] == 1'; then
	ok "the next sync embeds what is missing"
else
	fail "resume embeddings" "$(what)"
fi

run kb set v2 --embed ollama/all-minilm
run kb sync v2 --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["embeddings"]["pending"] == d["embeddings"]["embedded"] and d["embeddings"]["pending"] > 10'; then
	ok "a new embedding model embeds every chunk again"
else
	fail "embedding model change" "$(what)"
fi

run kb create toolong --embed bedrock/cohere.embed-english-v3 --chunk-tokens 1024
if [ "$RC" -eq 2 ] && grep -q 'embeds at most 512 tokens' "$err"; then ok "chunks must fit the embedding model's input limit"; else fail "input limit" "$(what)"; fi

for m in bedrock/amazon.titan-embed-text-v2:0 bedrock/cohere.embed-english-v3 ollama/nomic-embed-text; do
	name=$(printf '%s' "$m" | tr -c 'a-z0-9\n' '_' | cut -c1-30)
	run kb create "$name" --embed "$m"
	run kb add "$name" "$T" --json
	a=$RC
	run kb search "$name" "$Q" --mode vector -k 3 --json
	if [ "$a" -eq 0 ] && [ "$RC" -eq 0 ] && e2e_json "$out" 'len(d["results"]) == 3 and "tyres" in d["results"][0]["text"]'; then
		ok "vector search with $m"
	else
		fail "vector search with $m" "$(what)"
	fi
done
if "$E2E_PY" - "$E2E_TMP/llm2.log" "$Q" <<'P'
import json, sys
q = sys.argv[2]
cohere = {"search_query": 0, "search_document": 0}
titan = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("route") != "bedrock.invoke":
        continue
    body = json.loads(r["body"])
    if "cohere.embed" in r["model"]:
        kind = body["input_type"]
        if kind != ("search_query" if body["texts"] == [q] else "search_document"):
            sys.exit("%s for %r" % (kind, body["texts"][:2]))
        cohere[kind] += 1
    elif "titan-embed-text-v2" in r["model"]:
        if body.get("normalize") is not True:
            sys.exit("titan v2 without normalize: %s" % r["body"])
        titan += 1
sys.exit(0 if cohere["search_query"] >= 1 and cohere["search_document"] >= 1 and titan >= 1 else str(cohere))
P
then ok "Cohere embeds chunks as search_document and the query as search_query; Titan v2 asks for normalized vectors"; else fail "Cohere input_type"; fi
run kb create short --embed bedrock/amazon.titan-embed-text-v2:0 --embed-dims 256
run kb add short "$T" --json
a=$RC
run kb search short "$Q" --mode vector -k 3 --json
if [ "$a" -eq 0 ] && [ "$RC" -eq 0 ] && e2e_json "$out" '"tyres" in d["results"][0]["text"]' && "$E2E_PY" - "$E2E_TMP/llm2.log" "$AIWB_HOME/aiwb.db" "$Q" <<'P'
import json, sqlite3, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1]) if '"bedrock.invoke"' in l and "titan-embed-text-v2" in l]
short = [b for b in bodies if b.get("dimensions") == 256]
db = sqlite3.connect(sys.argv[2])
dims = {r[0] for r in db.execute("SELECT v.dim FROM kb_vectors v JOIN kb_chunks c ON c.id = v.chunk_id JOIN kb_docs d"
                                 " ON d.id = c.doc_id JOIN kbs k ON k.id = d.kb_id WHERE k.name = 'short'")}
ok = (len(short) >= 2 and any(b["inputText"] == sys.argv[3] for b in short) and all(b["normalize"] is True for b in short)
      and dims == {256})
sys.exit(0 if ok else 1)
P
then
	ok "--embed-dims 256: Titan v2 is asked for 256 dimensions for chunks and the query, and they are stored"
else
	fail "--embed-dims" "$(what)"
fi
run kb create baddims --embed bedrock/amazon.titan-embed-text-v2:0 --embed-dims 300
r1=$RC
grep -q 'gives vectors of 256, 512 or 1024 dimensions, not 300' "$err"; g1=$?
run kb create baddims --embed bedrock/cohere.embed-english-v3 --embed-dims 256
if [ "$r1" -eq 2 ] && [ "$g1" -eq 0 ] && [ "$RC" -eq 2 ] && grep -q 'has no choice of dimensions' "$err"; then
	ok "--embed-dims a model cannot give is a usage error"
else
	fail "--embed-dims checks" "$(what)"
fi
run kb set short --embed bedrock/amazon.titan-embed-text-v2:0 --embed-dims 512
run kb sync short --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["embeddings"]["embedded"] == d["embeddings"]["pending"] and d["embeddings"]["pending"] > 0 and d["embeddings"]["cached"] == 0'; then
	ok "new dimensions embed every chunk again (not from the cache of the old ones)"
else
	fail "dims change" "$(what)"
fi
grep -q '"bedrock.invoke"' "$E2E_TMP/llm2.log" && grep -q '"ollama.embed"' "$E2E_TMP/llm2.log" && ok "Bedrock InvokeModel and Ollama /api/embed were used" || fail "provider routes" "$(cut -c1-200 "$E2E_TMP/llm2.log" | tail -5)"
# The embedding cost check: a limit from --max-cost or config kb.max_cost_usd;
# over it, without a terminal, one sentence and no request; --yes goes ahead.
C=$E2E_TMP/costdocs
mkdir -p "$C"
for i in 1 2 3; do printf '# Costly %s\n\nUnique text about lighthouse keeper number %s and foghorns.\n' "$i" "$i" >"$C/c$i.md"; done
run kb create cost --embed openai/text-embedding-3-small
calls() { grep -c '/v1/embeddings' "$E2E_TMP/llm2.log"; }
before=$(calls)
run kb add cost "$C" --max-cost 0
if [ "$RC" -eq 1 ] && grep -q 'would cost about \$0.00, over the \$0.00 limit' "$err" && grep -q -- '--yes' "$err" &&
	[ "$(calls)" -eq "$before" ]; then
	ok "over --max-cost without a terminal: refused in one sentence naming --yes, no embedding request"
else
	fail "--max-cost refusal" "$(what)"
fi
printf '{"kb": {"max_cost_usd": 0}}\n' >"$E2E_TMP/cost.json"
AIWB_CONFIG=$E2E_TMP/cost.json run kb sync cost
if [ "$RC" -eq 1 ] && grep -q 'over the \$0.00 limit' "$err" && [ "$(calls)" -eq "$before" ]; then
	ok "config kb.max_cost_usd sets the limit"
else
	fail "kb.max_cost_usd" "$(what)"
fi
AIWB_CONFIG=$E2E_TMP/cost.json run kb sync cost --yes --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["embeddings"]["embedded"] == 3' && [ "$(calls)" -gt "$before" ]; then
	ok "--yes goes ahead"
else
	fail "--yes" "$(what)"
fi
e2e_done
