# Retrieval quality on data nobody here wrote: BEIR SciFact (test split,
# tests/data/scifact: 5,183 abstracts, 300 queries, 339 judgments) ingested
# with the default settings and searched with BM25 must reach nDCG@10 >= 0.66
# (the BEIR paper reports 0.665 for BM25). Nothing is tuned to SciFact.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
D=tests/data/scifact
out=$E2E_TMP/out
err=$E2E_TMP/err

"$A" kb create scifact >"$out" 2>"$err" && "$A" kb add scifact "$D/corpus.jsonl.gz" --json >"$out" 2>"$err"
if e2e_json "$out" 'd["documents"] == 5183 and d["skipped_records"] == 0'; then
	ok "SciFact: 5,183 abstracts ingested from the gzip-compressed JSONL"
else
	fail "SciFact ingest" "$(cat "$out" "$err")"
fi
"$A" kb eval scifact "$D/qrels.tsv" --queries "$D/queries.jsonl" -k 10 --min-ndcg 0.66 --json >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 0 ] && e2e_json "$out" 'd["overall"]["cases"] == 300 and d["overall"]["ndcg"] >= 0.66'; then
	ok "SciFact BM25 nDCG@10 >= 0.66 over 300 queries"
else
	fail "SciFact BM25 nDCG@10 >= 0.66" "exit $rc" "$(head -c 600 "$out")" "$(cat "$err")"
fi
diag "$("$E2E_PY" -c 'import json,sys
o = json.load(open(sys.argv[1]))["overall"]
print("nDCG@10 %.4f  MRR %.4f  recall@10 %.4f  MAP@10 %.4f" % (o["ndcg"], o["mrr"], o["recall"], o["map"]))' "$out" 2>/dev/null)"
e2e_done
