# aiwb kb: create, add (formats, skips with reasons, unchanged re-add writes
# nothing), ls/docs/show, search (text and JSON, highlights, filters, hostile
# queries, malformed filters), sync removing gone files, eval with YAML cases
# (pass and fail exit codes), check, rm, and SIGKILL during an ingest leaving
# only whole batches and a sound index.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}

what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(head -20 "$err")"
}

expect_rc() { # DESC RC
	if [ "$RC" -eq "$2" ]; then ok "$1"; else fail "$1" "$(what)"; fi
}

py() {
	"$E2E_PY" -c 'import sys
b = open(sys.argv[2], "rb").read()
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$2"
}

# ---- a tree with every format and every reason to skip
T=$E2E_TMP/tree
mkdir -p "$T/docs/sub" "$T/.git"
cp examples/docs/*.md "$T/docs/"
printf 'hidden\n' >"$T/.secret.md"
printf '[core]\n' >"$T/.git/config"
printf '\211PNG\r\n\032\n\000\000\000\rIHDR' >"$T/docs/logo.png"
printf 'caf\351 au lait\r\nwith a NUL\000 byte and \033[31mred\033[0m text\r\n' >"$T/docs/latin1.txt"
printf '<html><head><title>Bike &amp; Ride FAQ</title><script>var x = "tracking";</script></head><body><h1>FAQ</h1><p>Helmets are lent free at every station.</p></body></html>' >"$T/docs/sub/faq.html"
printf '{"_id":"r1","title":"Storm notice","text":"Stations close during storms with winds over 80 km/h.","region":"north","year":2025}\n{"_id":"r2","text":"Night rides get a discount after midnight.","region":"south","year":2023}\n' >"$T/docs/notices.jsonl"
printf 'id,title,text,priority\n1,Brakes,Check brakes every 500 km,3\n2,Tyres,Inflate tyres weekly,1\n' >"$T/docs/tasks.csv"
printf '%%PDF-1.4\n%%broken\n' >"$T/docs/report.pdf"

run kb --help
if [ "$RC" -eq 0 ] && grep -q 'aiwb kb search NAME' "$out"; then ok "kb --help"; else fail "kb --help" "$(what)"; fi
run kb search demo day pass price -k 1 --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["results"][0]["document"]["path"].endswith("examples/docs/pricing-policy.md")'; then
	ok "the first kb command makes the demo KB from the handbook pages"
else
	fail "demo KB" "$(what)"
fi
run kb rm demo
run kb ls
check "a removed demo KB does not come back" grep -q "No knowledge bases yet" "$out"
run kb create hb
expect_rc "kb create" 0
run kb create hb
if [ "$RC" -eq 1 ] && grep -q 'already exists' "$err"; then ok "a second create of the same name fails"; else fail "duplicate create" "$(what)"; fi
run kb create 'bad name'
expect_rc "an invalid name is a usage error" 2
run kb create x --overlap 400 --chunk-tokens 100
expect_rc "overlap over half the chunk is a usage error" 2
run kb add nope "$T"
if [ "$RC" -eq 1 ] && grep -q 'no knowledge base named nope' "$err"; then ok "add to a missing KB fails clearly"; else fail "add to missing KB" "$(what)"; fi

run kb add hb "$T" --json -v
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["added"] == 9 and d["skipped"]["hidden"] == 2 and d["skipped"]["binary"] == 1 and d["skipped"]["unparsable"] == 1 and d["documents"] == 11 and d["dropped_nuls"] == 1 and d["repaired_bytes"] == 1'; then
	ok "add: formats stored, skips counted by reason"
else
	fail "add: formats stored, skips counted by reason" "$(what)"
fi
if grep -q 'skipped .*logo.png: binary' "$err" && grep -q 'skipped .*report.pdf: .*pdf' "$err"; then
	ok "--verbose names skipped files with the reason"
else
	fail "--verbose names skipped files" "$(cat "$err")"
fi
if ! command -v pdftotext >/dev/null 2>&1; then
	check "a PDF without pdftotext names poppler-utils" grep -q 'poppler-utils' "$err"
else
	ok "pdftotext is installed: the broken PDF is reported as unreadable # SKIP poppler message"
fi

db=$AIWB_HOME/aiwb.db
sum_before=$(cat "$db" "$db-wal" 2>/dev/null | sha256sum)
run kb add hb "$T"
sum_after=$(cat "$db" "$db-wal" 2>/dev/null | sha256sum)
if [ "$RC" -eq 0 ] && grep -q '0 added, 0 updated, 9 unchanged' "$out" && [ "$sum_before" = "$sum_after" ]; then
	ok "re-adding an unchanged tree writes nothing"
else
	fail "unchanged re-add" "$(what)" "db changed: $sum_before / $sum_after"
fi

run kb ls --json
if [ "$RC" -eq 0 ] && e2e_json "$out" '[k for k in d["kbs"] if k["name"] == "hb"][0]["documents"] == 11 and [k for k in d["kbs"] if k["name"] == "hb"][0]["chunks"] > 11 and [k for k in d["kbs"] if k["name"] == "hb"][0]["embed"] is None and [k for k in d["kbs"] if k["name"] == "hb"][0]["settings"]["chunker"] == "markdown"'; then
	ok "kb ls --json"
else
	fail "kb ls --json" "$(what)"
fi
run kb ls
check "kb ls table" grep -q "^hb  *11 " "$out"
run kb docs hb --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'any(x["name"].endswith("notices.jsonl#r1") and x["title"] == "Storm notice" and x["meta"]["region"] == "north" for x in d["documents"]) and any(x["title"] == "Bike & Ride FAQ" and x["format"] == "html" for x in d["documents"]) and any(x["name"].endswith("tasks.csv#2") and x["meta"]["priority"] == 1 for x in d["documents"])'; then
	ok "kb docs --json: records, titles, typed metadata"
else
	fail "kb docs --json" "$(what)"
fi
run kb show hb latin1.txt --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["text"] == "caf\ufffd au lait\nwith a NUL byte and [31mred[0m text\n"'; then
	ok "text cleaned: invalid UTF-8 repaired, NUL and ESC dropped, CRLF normalised"
else
	fail "text cleaning" "$(what)"
fi
run kb show hb pricing-policy.md --chunks
if [ "$RC" -eq 0 ] && grep -q -- '--- chunk 0  bytes ' "$out" && grep -q 'Pricing and Membership Policy > Fees' "$out"; then
	ok "kb show --chunks: offsets and heading paths"
else
	fail "kb show --chunks" "$(what)"
fi
run kb show hb no-such-doc
expect_rc "show of a missing document fails" 1

# ---- search
run kb search hb day pass price -k 3
if [ "$RC" -eq 0 ] && grep -q '^1\. .*pricing-policy.md' "$out" && grep -q '\[Day\] \[Pass\]' "$out"; then
	ok "search: ranked, terms in brackets when stdout is not a terminal"
else
	fail "search text" "$(what)"
fi
run kb search hb "helmets" --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["results"][0]["document"]["path"].endswith("faq.html") and d["results"][0]["text"][d["results"][0]["highlights"][0][0]:d["results"][0]["highlights"][0][1]] == "Helmets" and d["results"][0]["chunk"]["end"] > d["results"][0]["chunk"]["start"] and d["results"][0]["scores"]["bm25"] > 0'; then
	ok "search --json: document, chunk offsets, highlights, scores"
else
	fail "search --json" "$(what)"
fi
run kb search hb "tracking"
check "script text is not indexed" grep -q 'No chunks of hb match' "$out"
run kb search hb stations --filter 'region=north' --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'len(d["results"]) == 1 and d["results"][0]["document"]["name"].endswith("#r1")'; then
	ok "search with a metadata filter"
else
	fail "search filter" "$(what)"
fi
run kb search hb policy --filter "path GLOB '*pricing*' AND tags IN (billing)" --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'len(d["results"]) > 0 and all("pricing" in r["document"]["path"] for r in d["results"])'; then
	ok "search with GLOB and IN over a list"
else
	fail "search GLOB/IN" "$(what)"
fi
run kb search hb policy --filter 'year>=2024 AND (region=north'
if [ "$RC" -eq 2 ] && grep -q "invalid filter: column 16: this '(' is never closed" "$err"; then
	ok "a malformed filter is a usage error naming the column"
else
	fail "malformed filter" "$(what)"
fi
bad=0
for q in '"' '*' 'NEAR(' '-' ':' 'AND OR NOT' '^' '😀' 'a"b' "o'brien" '(' ')' '{x}:y' 'price*' 'NEAR(day pass, 2)'; do
	"$A" kb search hb -- "$q" >"$out" 2>"$err"
	rc=$?
	if [ "$rc" -ne 0 ] || grep -qi -e 'fts5' -e 'syntax' -e 'sql' "$out" "$err"; then
		bad=1
		diag "query [$q]: exit $rc" "$(cat "$err")"
	fi
done
big=$("$E2E_PY" -c 'print("\" *NEAR(^:-" * 1024)')
"$A" kb search hb "$big" >"$out" 2>"$err" || bad=1
if [ "$bad" -eq 0 ]; then ok "hostile queries give results or none, never an FTS5/SQL error"; else fail "hostile queries"; fi
run kb search hb the of and
check "a stop-word-only query still searches" grep -q '^1\. ' "$out"
run kb search hb price --mode vector
if [ "$RC" -eq 1 ] && grep -q 'no embedding model' "$err"; then ok "vector mode on a KB without embeddings says how to get them"; else fail "vector mode" "$(what)"; fi
run kb search hb pass --explain
if [ "$RC" -eq 0 ] && grep -q '^FTS5 query: "pass"' "$out" && grep -q 'bm25: rank 1, score' "$out"; then ok "search --explain"; else fail "--explain" "$(what)"; fi

# ---- eval
cat >"$E2E_TMP/set.yaml" <<'Y'
k: 3
cases:
  - query: day pass price
    expect: [pricing-policy.md]
  - name: storms
    query: wind storm closure
    filter: region=north
    expect: [r1]
    expect_not: [r2]
Y
run kb eval hb "$E2E_TMP/set.yaml" --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["overall"]["cases"] == 2 and d["overall"]["failed"] == 0 and d["overall"]["hit_rate"] == 1 and d["overall"]["mrr"] == 1 and abs(d["overall"]["ndcg"] - 1) < 1e-9'; then
	ok "eval: passing cases exit 0 with hit rate, MRR, nDCG"
else
	fail "eval pass" "$(what)"
fi
cat >"$E2E_TMP/fail.yaml" <<'Y'
- query: day pass price
  k: 1
  expect: [incident-response-runbook.md]
Y
run kb eval hb "$E2E_TMP/fail.yaml"
if [ "$RC" -eq 1 ] && grep -q 'FAIL .*missing: incident-response-runbook.md' "$out"; then ok "eval: a failing case exits 1 and names what is missing"; else fail "eval fail" "$(what)"; fi
run kb eval hb "$E2E_TMP/set.yaml" --min-ndcg 1.5
expect_rc "eval: an out-of-range minimum is a usage error" 2

# ---- sync
rm "$T/docs/tasks.csv"
printf 'A brand new page about parking.\n' >"$T/docs/new.txt"
run kb sync hb --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["removed"] == 1 and d["added"] == 1 and d["unchanged"] == 8'; then
	ok "sync: gone files removed, new ones added"
else
	fail "sync" "$(what)"
fi
run kb set hb --chunker fixed --chunk-tokens 64 --overlap 8
expect_rc "kb set" 0
run kb sync hb --json
if [ "$RC" -eq 0 ] && e2e_json "$out" 'd["updated"] == 9'; then ok "changed settings re-chunk on the next sync"; else fail "re-chunk" "$(what)"; fi
run kb check hb
if [ "$RC" -eq 0 ] && grep -q 'is sound' "$out"; then ok "kb check"; else fail "kb check" "$(what)"; fi

# ---- SIGKILL during an ingest: only whole batches, a sound index
M=$E2E_TMP/many
"$E2E_PY" - "$M" <<'P'
import os, sys
d = sys.argv[1]
os.makedirs(d)
words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
for i in range(1500):
    with open(os.path.join(d, "f%04d.md" % i), "w") as f:
        f.write("# File %d\n\n" % i)
        for j in range(300):
            f.write(words[(i * 7 + j) % len(words)] + (" " if j % 17 else "\n"))
P
run kb create big --chunk-tokens 64 --overlap 8
"$A" kb add big "$M" --batch-files 10 >/dev/null 2>&1 &
pid=$!
n=0
deadline=$(($(e2e_now) + 60))
while [ "$(e2e_now)" -lt "$deadline" ] && kill -0 "$pid" 2>/dev/null; do
	n=$("$A" kb ls --json 2>/dev/null | "$E2E_PY" -c 'import json,sys
d = json.load(sys.stdin)
print([k["documents"] for k in d["kbs"] if k["name"] == "big"][0])' 2>/dev/null || echo 0)
	[ "${n:-0}" -ge 30 ] && break
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
run kb ls --json
docs=$("$E2E_PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
print([k["documents"] for k in d["kbs"] if k["name"] == "big"][0])' "$out")
run kb check big
if [ "$RC" -eq 0 ] && [ $((docs % 10)) -eq 0 ]; then
	ok "SIGKILL during ingest: $docs documents (whole batches of 10), index sound"
else
	fail "SIGKILL during ingest" "documents: $docs" "$(what)"
fi
run kb add big "$M" --batch-files 10 --json
if [ "$RC" -eq 0 ] && e2e_json "$out" "d['unchanged'] == $docs and d['added'] == 1500 - $docs"; then
	ok "the next add finishes what the killed one left"
else
	fail "resume after SIGKILL" "$(what)"
fi

run kb rm hb
expect_rc "kb rm" 0
run kb search hb price
expect_rc "search of a removed KB fails" 1
e2e_done
