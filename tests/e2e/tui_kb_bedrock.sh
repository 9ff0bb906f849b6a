#!/bin/sh
# The Knowledge pane on an attached Bedrock knowledge base (the fake server,
# SigV4 checked), in a real terminal: the KB is listed with its id and region,
# Enter opens it in vector mode, a query from the query line is answered by
# Retrieve on the loop (results with their S3 URIs), a filter narrows them,
# m goes to hybrid and then to bm25, which is refused with the reason on the
# status line, a filter Bedrock cannot express is refused and the one before
# kept, r reranks with the config's kb.rerank model (Bedrock's Rerank),
# D says the documents live in Bedrock, and A asks a model with the
# reranked remote results as sources. Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home

AK=AKIDKBTUI0001
SK=kb-tui-secret
URL=
fake_start kb --max-seconds 300 --aws-access-key "$AK" --aws-secret-key "$SK" \
	--kb-corpus tests/data/bedrockkb/corpus.jsonl --kb-ids KBDOCS0001=docs --kb-page 4
LOG=$E2E_TMP/kb.log
ENVS="AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_REGION=us-east-1 AWS_ENDPOINT_URL_BEDROCK_AGENT=$URL
AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME=$URL OPENAI_API_KEY=sk-e2e-kb OPENAI_BASE_URL=$URL/v1"
d="the fake server starts and 'aiwb kb attach' attaches its knowledge base"
# shellcheck disable=SC2086
if [ -n "$URL" ] && env $ENVS "$AIWB_BIN" kb attach r bedrock:KBDOCS0001 >"$E2E_TMP/attach.out" 2>&1; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/attach.out" "$E2E_TMP/kb.err" 2>&1 | tail -5)"
fi
TUI_ENV=$ENVS
printf '{ "default_model": "openai/gpt-4o-mini", "kb": { "rerank": "bedrock:amazon.rerank-v1:0" } }\n' >"$E2E_HOME/config.json"
AIWB_CONFIG=$E2E_HOME/config.json
export AIWB_CONFIG

d="the remote KB is listed with its id and region; Enter opens it in vector mode"
if tui_start 120 40 && tui_wait "3 Knowledge" && tui_keys 3 z && tui_wait_re 'r +- +- +- +bedrock KBDOCS0001 us-east-1' &&
	tui_keys j Enter && tui_wait "mode vector (m)" && tui_wait "Bedrock knowledge base KBDOCS0001 in us-east-1"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a query from the query line is answered by Retrieve: scored results with their S3 documents"
if tui_keys i && tui_wait_bottom 'search>*' && tui_type "population stability drift" && tui_keys Enter &&
	tui_wait "results in r (vector, k 10)" &&
	tui_wait_re '1\. 0\.[0-9]{4}  drift-psi\.txt' && tui_wait "The population stability index compares" &&
	"$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["route"]=="bedrock-agent-runtime.retrieve"]
assert len(rows)==3 and all(r["auth"]=="sigv4" and r["auth_ok"] for r in rows), rows
b=json.loads(rows[0]["body"])
assert b["retrievalConfiguration"]["vectorSearchConfiguration"]=={"numberOfResults":10,"overrideSearchType":"SEMANTIC"}, b' "$LOG"; then
	ok "$d"
else
	tui_fail "$d" "log: $(tail -2 "$LOG" 2>&1)"
fi

d="f sets a filter: translated for Bedrock, only the matching documents are left"
if tui_keys f && tui_wait_bottom 'filter (empty clears)>*' && tui_type "team = hpc OR NOT level < 3" && tui_keys Enter &&
	tui_wait "filter (f): team = hpc OR NOT level < 3" && tui_wait "in r (vector, k 10, filtered)" &&
	tui_wait "slurm-jobs.txt" && tui_wait_gone "drift-psi.txt" &&
	grep -q '"filter\\":{\\"orAll\\":\[{\\"equals\\":{\\"key\\":\\"team\\",\\"value\\":\\"hpc\\"}},{\\"greaterThanOrEquals\\":{\\"key\\":\\"level\\",\\"value\\":3}}\]}' "$LOG"; then
	ok "$d"
else
	tui_fail "$d" "log: $(tail -1 "$LOG" 2>&1)"
fi

d="m: hybrid search (HYBRID); m again: bm25 is refused with the reason on the status line"
if tui_keys m && tui_wait "mode hybrid (m)" && tui_wait "in r (hybrid, k 10, filtered)" && tui_keys m &&
	tui_wait "a Bedrock knowledge base has no bm25 mode" && tui_wait "slurm-jobs.txt" && tui_keys m &&
	tui_wait "mode vector (m)" && tui_wait "in r (vector, k 10, filtered)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a filter Bedrock cannot express is refused, naming what; the one before stays"
if tui_keys f && tui_wait_bottom 'filter (empty clears)>*' && tui_keys C-u && tui_type "path GLOB '*.txt'" &&
	tui_keys Enter && tui_wait "Bedrock cannot express path GLOB" && tui_wait "filter (f): team = hpc OR NOT level < 3"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="r reranks with the config's kb.rerank model: Rerank (SigV4) over 50 Retrieve candidates, both scores shown"
if tui_keys r && tui_wait "rerank bedrock:amazon.rerank-v1:0 (r)" &&
	tui_wait "(vector, k 10, filtered, reranked from 5)" && tui_wait_re '1\. 0\.0000 \(retrieval 0\.[0-9]{4}, #1\)' &&
	tui_keys f && tui_wait_bottom 'filter (empty clears)>*' && tui_keys C-u Enter && tui_wait "filter (f): none" &&
	tui_wait "(vector, k 10, reranked from 16)" &&
	tui_wait_re '1\. 1\.0000 \(retrieval 0\.[0-9]{4}, #[0-9]+\)  drift-psi\.txt' &&
	"$E2E_PY" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
rr=[r for r in rows if r["route"]=="bedrock-agent-runtime.rerank"]
assert len(rr)==2 and all(r["auth"]=="sigv4" and r["auth_ok"] and r["status"]==200 for r in rr), rr
assert len(json.loads(rr[1]["body"])["sources"])==16, rr[1]["body"]
b=json.loads(rr[0]["body"])
assert b["queries"][0]["textQuery"]["text"]=="population stability drift", b["queries"]
ret=[json.loads(r["body"]) for r in rows if r["route"]=="bedrock-agent-runtime.retrieve"][-1]
assert ret["retrievalConfiguration"]["vectorSearchConfiguration"]["numberOfResults"]==50, ret' "$LOG"; then
	ok "$d"
else
	tui_fail "$d" "log: $(tail -1 "$LOG" 2>&1)"
fi

d="D says the documents live in Bedrock; Enter on a result names its S3 URI"
if tui_keys D && tui_wait "the documents of r live in Bedrock" && tui_keys Enter &&
	tui_wait "the document lives in Bedrock: s3://aiwb-kb-test/docs/"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="A asks the model with the remote results as sources (rag template in the Prompt pane)"
if tui_keys A && tui_wait_bottom ' Prompt *' && tui_wait "Template rag · rag" && tui_wait "done (" && "$E2E_PY" -c 'import json, sys
bodies = [json.loads(l)["body"] for l in open(sys.argv[1]) if "chat/completions" in l]
b = json.loads(bodies[-1]) if bodies else {}
text = " ".join(m["content"] for m in b.get("messages", []))
sys.exit(0 if "Question: population stability drift" in text and "s3://aiwb-kb-test/docs/" in text and
         "[1]" in text else 1)' "$LOG"; then
	ok "$d"
else
	tui_fail "$d" "log: $(tail -1 "$LOG" 2>&1)"
fi

d="q quits cleanly"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d" "rc=$TUI_RC $(tui_stderr)"
fi

tui_stop
e2e_done
