# aiwb experiment with kb: settings against the fake server: each case's
# question is searched in its setting's knowledge base and answered with the
# rag template over what came back (the request holds the retrieved chunks'
# text); settings with different KBs and modes get different sources; the
# report, the JSON, the CSV and the history say which setting each case
# used; a vector setting embeds each query once, as a query; a missing KB
# or a bad setting stops the experiment before any call.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
T=$E2E_TMP
out=$T/out
err=$T/err
fake_start llm || { echo "not ok 1 - fake server"; exit 1; }
fake_env "$URL"
export OPENAI_API_KEY=sk-test
DB=$AIWB_HOME/aiwb.db

mkdir -p "$T/fleet" "$T/helmets" "$T/x"
cat >"$T/fleet/tyres.md" <<'MD'
# Winter tyres

Winter tyres are fitted to every van from the first of November until the end of March.
MD
cat >"$T/fleet/batteries.md" <<'MD'
# Batteries

Bike batteries are charged at the depot overnight and never left in the sun.
MD
cat >"$T/helmets/helmets.md" <<'MD'
# Helmets

Helmets are cleaned every evening with a mild soap and dried on the rack; tyres are not our business.
MD
"$A" kb create fleet --embed openai/text-embedding-3-small >/dev/null 2>&1
"$A" kb add fleet "$T/fleet" >/dev/null 2>&1
"$A" kb create helmets >/dev/null 2>&1
"$A" kb add helmets "$T/helmets" >/dev/null 2>&1

printf 'question,expected\nWhen are winter tyres fitted to the vans?,fake\n' >"$T/x/q.csv"
cat >"$T/x/kb.yaml" <<'YAML'
name: retrieval settings
dataset: q.csv
models: [openai/gpt-4o-mini]
kb:
  - {label: fleet-bm25, name: fleet, k: 1}
  - {label: fleet-vector, name: fleet, k: 2, mode: vector}
  - {label: helmets, name: helmets, k: 1, filter: "name GLOB '*.md'"}
assert:
  - contains: "{{expected}}"
YAML
before=$(grep -c '"openai.chat"' "$T/llm.log")
embeds=$(grep -c '"openai.embeddings"' "$T/llm.log")
# The cost check comes before the queries are embedded: refused, nothing is sent.
"$A" experiment run "$T/x/kb.yaml" --max-cost 0 </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$err")" -eq 1 ] &&
	grep -q 'more than the \$0.0000 limit (3 cases, about [0-9]* tokens in, at most 0 tokens out (3 cases without max_tokens not counted), 1 kb query to embed: \$0.0[0-9]* to \$0.0[0-9]* at catalog prices), so nothing was sent' "$err" &&
	[ "$(grep -c '"openai.embeddings"' "$T/llm.log")" -eq "$embeds" ] && [ "$(grep -c '"openai.chat"' "$T/llm.log")" -eq "$before" ]; then
	ok "over the limit, the estimate counts the vector setting's query to embed, and nothing is sent"
else
	fail "the cost check with kb settings" "exit $rc" "$(cat "$err")"
fi
"$A" experiment run "$T/x/kb.yaml" --json --csv "$T/m.csv" </dev/null >"$out" 2>"$err"
rc=$?
cp "$out" "$T/run.json"
if [ "$rc" -eq 0 ] && e2e_json "$out" 'len(d["cases"]) == 3 and [c["kb"]["label"] for c in d["cases"]] == ["fleet-bm25", "fleet-vector", "helmets"] and [s["label"] for s in d["kb"]] == ["fleet-bm25", "fleet-vector", "helmets"] and d["kb"][1]["mode"] == "vector" and d["kb"][2]["filter"] == "name GLOB \x27*.md\x27" and d["prompts"] == ["rag"] and all(c["status"] == "pass" for c in d["cases"])'; then
	ok "each case runs once per kb setting with the rag template, and passes"
else
	fail "experiment with kb" "exit $rc" "$(head -c 1500 "$out")" "$(cat "$err")"
fi
if e2e_json "$out" '[m["kb"] for m in d["matrix"]] == ["fleet-bm25", "fleet-vector", "helmets"] and all(m["cases"] == 1 for m in d["matrix"])'; then
	ok "the matrix has a row per kb setting"
else
	fail "matrix by kb" "$(head -c 1500 "$out")"
fi
if e2e_json "$out" 'set(d["cases"][0]["kb"]["chunks"]).isdisjoint(d["cases"][2]["kb"]["chunks"]) and len(d["cases"][0]["kb"]["chunks"]) == 1 and len(d["cases"][1]["kb"]["chunks"]) == 2 and d["cases"][0]["kb"]["query"] == "When are winter tyres fitted to the vans?"'; then
	ok "settings with different KBs got different sources"
else
	fail "different sources" "$(head -c 1500 "$out")"
fi
# every case's request holds the text of the chunks its record names
if "$E2E_PY" - "$T/llm.log" "$before" "$T/run.json" "$DB" <<'P'
import json, sqlite3, sys
rqs = [json.loads(l) for l in open(sys.argv[1]) if '"openai.chat"' in l][int(sys.argv[2]):]
users = [[m["content"] for m in json.loads(r["body"])["messages"] if m["role"] == "user"][0] for r in rqs]
doc = json.load(open(sys.argv[3]))
db = sqlite3.connect(sys.argv[4])
def chunk_text(cid):
    start, end, body = db.execute("SELECT c.start, c.end, d.body FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id"
                                  " WHERE c.id = ?", (cid,)).fetchone()
    return body.encode()[start:end].decode()
if len(users) != 3:
    sys.exit("%d requests" % len(users))
for case in doc["cases"]:
    texts = [chunk_text(c) for c in case["kb"]["chunks"]]
    mine = [u for u in users if all(t.strip() in u for t in texts)]
    if not texts or not mine:
        sys.exit("no request holds the chunks of %s" % case["kb"]["label"])
tyres = [u for u in users if "Winter tyres are fitted" in u]
helmets = [u for u in users if "Helmets are cleaned" in u]
ok = (len(helmets) == 1 and "Winter tyres are fitted" not in helmets[0] and len(tyres) == 2
      and all("Question: When are winter tyres fitted to the vans?" in u for u in users))
sys.exit(0 if ok else 1)
P
then ok "each request holds the text of the chunks its case retrieved"; else fail "requests hold the chunks"; fi
now=$(grep -c '"openai.embeddings"' "$T/llm.log")
if [ "$now" -eq $((embeds + 1)) ] && tail -n 20 "$T/llm.log" | grep '"openai.embeddings"' | grep -q 'When are winter tyres'; then
	ok "the vector setting embeds the row's query once"
else
	fail "query embedding" "$embeds -> $now"
fi
if head -1 "$T/m.csv" | grep -q '^experiment,prompt,kb,model,cases' && grep -q ',rag,fleet-vector,openai/gpt-4o-mini,1,' "$T/m.csv"; then
	ok "the CSV has a kb column"
else
	fail "csv kb" "$(cat "$T/m.csv")"
fi
ID=$("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/run.json")
"$A" experiment show "$ID" >"$out" 2>"$err"
if grep -q '^kb fleet-vector: fleet, mode vector, k 2, query {{question}}$' "$out" && grep -q "^kb helmets: helmets, mode bm25, k 1, filter name GLOB '\*.md', query" "$out" &&
	grep -q '^rag  *helmets  *openai/gpt-4o-mini  *1  *1 ' "$out"; then
	ok "the report shows each kb setting and a matrix row per setting"
else
	fail "text report" "$(cat "$out" "$err")"
fi
RUN=$("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["cases"][2]["run_id"])' "$T/run.json")
"$A" history show "$RUN" --json >"$out" 2>"$err"
if e2e_json "$out" 'd["params"]["kb"]["name"] == "helmets" and d["params"]["kb"]["label"] == "helmets" and d["params"]["experiment"] == '"$ID"' and len(d["params"]["kb"]["chunks"]) == 1'; then
	ok "the history run of a case records its retrieval"
else
	fail "history of a kb case" "$(head -c 1200 "$out")"
fi

# a custom prompt gets {{context}}; the query is a template of the row
cat >"$T/x/own.yaml" <<'YAML'
dataset: q.csv
models: [openai/gpt-4o-mini]
prompt: "Sources: {{context}} -- Q: {{question}}"
kb: {name: helmets, k: 1, query: "helmets {{question}}"}
YAML
before=$(grep -c '"openai.chat"' "$T/llm.log")
"$A" experiment run "$T/x/own.yaml" --json </dev/null >"$out" 2>"$err"
rc=$?
last=$(grep '"openai.chat"' "$T/llm.log" | tail -1)
if [ "$rc" -eq 0 ] && e2e_json "$out" 'd["cases"][0]["kb"]["label"] == "helmets" and d["cases"][0]["kb"]["query"] == "helmets When are winter tyres fitted to the vans?"' &&
	printf '%s' "$last" | grep -q 'Sources: The numbered sources' && printf '%s' "$last" | grep -q 'Helmets are cleaned'; then
	ok "a prompt of the file gets the sources as {{context}}"
else
	fail "own prompt with kb" "exit $rc" "$(head -c 800 "$out")" "$(cat "$err")"
fi

# kb: in a prompts entry replaces the file's kb: for that prompt
cat >"$T/x/perprompt.yaml" <<'YAML'
dataset: q.csv
models: [openai/gpt-4o-mini]
kb: {label: file-helmets, name: helmets, k: 1}
prompts:
  - {name: with-file-kb, prompt: "File sources: {{context}} -- Q: {{question}}"}
  - name: with-own-kb
    prompt: "Own sources: {{context}} -- Q: {{question}}"
    kb: [{label: own-fleet, name: fleet, k: 1}, {label: own-vector, name: fleet, k: 1, mode: vector}]
YAML
before=$(grep -c '"openai.chat"' "$T/llm.log")
"$A" experiment run "$T/x/perprompt.yaml" --json </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 0 ] && e2e_json "$out" '[(c["prompt"], c["kb"]["label"], c["kb"]["name"]) for c in d["cases"]] == [("with-file-kb", "file-helmets", "helmets"), ("with-own-kb", "own-fleet", "fleet"), ("with-own-kb", "own-vector", "fleet")] and d["planned"] == 3 and [(m["prompt"], m["kb"]) for m in d["matrix"]] == [("with-file-kb", "file-helmets"), ("with-own-kb", "own-fleet"), ("with-own-kb", "own-vector")] and [s.get("prompt") for s in d["kb"]] == [None, "with-own-kb", "with-own-kb"]' &&
	[ "$(grep -c '"openai.chat"' "$T/llm.log")" -eq $((before + 3)) ] &&
	grep '"openai.chat"' "$T/llm.log" | tail -3 | grep 'Own sources' | grep -q 'Winter tyres' &&
	grep '"openai.chat"' "$T/llm.log" | tail -3 | grep 'File sources' | grep -q 'Helmets are cleaned'; then
	ok "a prompt's own kb: replaces the file's for it; the other prompt keeps the file's"
else
	fail "kb per prompt" "exit $rc" "$(head -c 1500 "$out")" "$(cat "$err")"
fi

# errors before any call
before=$(grep -c '"openai.chat"' "$T/llm.log")
printf 'dataset: q.csv\nmodels: [openai/gpt-4o-mini]\nkb: {name: nope}\n' >"$T/x/nokb.yaml"
"$A" experiment run "$T/x/nokb.yaml" </dev/null >"$out" 2>"$err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'kb nope: there is no knowledge base named nope' "$err" && [ "$(grep -c '"openai.chat"' "$T/llm.log")" -eq "$before" ]; then
	ok "a missing knowledge base stops the experiment before any call"
else
	fail "missing kb" "exit $rc" "$(cat "$err")"
fi
printf 'dataset: q.csv\nmodels: [openai/gpt-4o-mini]\nkb: {name: helmets, mode: vector}\n' >"$T/x/novec.yaml"
"$A" experiment run "$T/x/novec.yaml" </dev/null >"$out" 2>"$err"
if [ $? -eq 1 ] && grep -q 'helmets has no embedding model, so mode vector cannot search it' "$err"; then ok "vector on a KB without embeddings is refused"; else fail "vector without embeddings" "$(cat "$err")"; fi
printf 'dataset: q.csv\nmodels: [openai/gpt-4o-mini]\nkb:\n  - {name: helmets, filter: "year >"}\n' >"$T/x/badfilter.yaml"
"$A" experiment run "$T/x/badfilter.yaml" </dev/null >"$out" 2>"$err"
if [ $? -eq 1 ] && grep -q 'badfilter.yaml:4:.*invalid filter' "$err"; then ok "a malformed filter names its place in the file"; else fail "bad filter" "$(cat "$err")"; fi
printf 'dataset: q.csv\nmodels: [openai/gpt-4o-mini]\nkb: [{name: helmets}, {name: helmets, k: 3}]\n' >"$T/x/twice.yaml"
"$A" experiment run "$T/x/twice.yaml" </dev/null >"$out" 2>"$err"
if [ $? -eq 1 ] && grep -q "two kb settings are labelled 'helmets'" "$err"; then ok "settings need different labels"; else fail "labels" "$(cat "$err")"; fi
printf 'models: [openai/gpt-4o-mini]\nkb: {name: helmets, colour: red}\n' >"$T/x/unknown.yaml"
"$A" experiment run "$T/x/unknown.yaml" </dev/null >"$out" 2>"$err"
if [ $? -eq 1 ] && grep -q "unknown key 'colour' in a kb setting" "$err"; then ok "an unknown key of a kb setting is named"; else fail "unknown kb key" "$(cat "$err")"; fi
printf 'models: [openai/gpt-4o-mini]\nkb: {name: helmets}\n' >"$T/x/nodata.yaml"
"$A" experiment run "$T/x/nodata.yaml" </dev/null >"$out" 2>"$err"
if [ $? -eq 1 ] && grep -q "question" "$err"; then ok "the default query needs a question column"; else fail "no question" "$(cat "$err")"; fi
e2e_done
