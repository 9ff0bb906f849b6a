#!/bin/sh
# Knowledge-base figures on BEIR SciFact (tests/data/scifact), each beside its
# reference:
#   ingest   = wall time of `aiwb kb add` of corpus.jsonl.gz (5,183 abstracts:
#              read, gunzip, parse, clean, chunk, store, index), median of
#              KB_RUNS, beside the sqlite3 shell loading the same titles and
#              texts into a bare FTS5 table (same tokenizer) from a JSON array
#              prepared beforehand (its parse is the shell's json_each), in the
#              same run. Target: under 2 s and within 1.5x of the shell.
#   query    = BM25 latency of the 300 SciFact queries as kb search runs them
#              (top 10 with highlights; bench/kb_bench.c), p50 and p95 over
#              KB_REPS passes after a warm-up. Target: p50 under 2 ms.
#   size     = the KB's share of the database file beside the raw text bytes.
#   tree     = the same abstracts as 5,183 Markdown files in 52 folders, added
#              by `aiwb kb add` and by the workbench's add on the event loop
#              (bench/kbsync_bench: steps of 8 files, the longest step and the
#              steps over 33 ms), median of KB_RUNS.
#   quality  = nDCG@10, Recall@100 and MAP@100 of bm25 from `aiwb kb eval`
#              (references: BEIR paper BM25 nDCG@10 0.665, Anserini 0.679).
set -eu
BUILD=${BUILD:-build}
KB_RUNS=${KB_RUNS:-5}
KB_REPS=${KB_REPS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIWB=${AIWB_BIN:-$ROOT/aiwb}
D=$ROOT/tests/data/scifact
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8 TZ=UTC
unset AIWB_CONFIG

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
calc() { awk "BEGIN { printf \"%.6f\\n\", $1 }"; }
now() { python3 -c 'import time; print("%.6f" % time.monotonic())'; }

gzip -dc "$D/corpus.jsonl.gz" >"$tmp/corpus.jsonl"
python3 - "$tmp/corpus.jsonl" "$tmp/corpus.json" <<'P'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
json.dump([{"title": r.get("title", ""), "text": r.get("text", "")} for r in rows], open(sys.argv[2], "w"))
P
raw=$(python3 -c 'import json,sys
print(sum(len(r.get("title","").encode())+len(r.get("text","").encode()) for r in map(json.loads, open(sys.argv[1]))))' "$tmp/corpus.jsonl")

echo
echo "knowledge base: BEIR SciFact, 5,183 abstracts, $raw bytes of title+text"
: >"$tmp/aiwb.times"
: >"$tmp/shell.times"
i=0
while [ "$i" -lt "$KB_RUNS" ]; do
	i=$((i + 1))
	export AIWB_HOME=$tmp/h$i
	"$AIWB" kb create sf >/dev/null
	t0=$(now)
	"$AIWB" kb add sf "$D/corpus.jsonl.gz" >/dev/null 2>&1
	t1=$(now)
	calc "$t1 - $t0" >>"$tmp/aiwb.times"
	rm -f "$tmp/bare.db"
	t0=$(now)
	sqlite3 "$tmp/bare.db" "PRAGMA journal_mode=WAL;" \
		"CREATE VIRTUAL TABLE f USING fts5(title, text, tokenize='porter unicode61 remove_diacritics 2');" \
		"INSERT INTO f(title, text) SELECT value->>'title', value->>'text' FROM json_each(readfile('$tmp/corpus.json'));" >/dev/null
	t1=$(now)
	calc "$t1 - $t0" >>"$tmp/shell.times"
done
a=$(median <"$tmp/aiwb.times")
s=$(median <"$tmp/shell.times")
printf '%-58s %8s %7s\n' "ingest (median of $KB_RUNS)" "s" "ratio"
printf '%-58s %8.3f %7s\n' "reference: sqlite3 shell, bare FTS5 table from JSON" "$s" "1.00"
printf '%-58s %8.3f %7.2f\n' "aiwb kb add corpus.jsonl.gz" "$a" "$(calc "$a / $s")"
echo "target: under 2 s and within 1.5x of the shell"

python3 - "$tmp/corpus.jsonl" "$tmp/tree" <<'P'
import json, os, sys
for i, l in enumerate(open(sys.argv[1], encoding="utf-8")):
    r = json.loads(l)
    d = os.path.join(sys.argv[2], "d%02d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "%s.md" % r["_id"]), "w", encoding="utf-8") as f:
        f.write("# %s\n\n%s\n" % (r.get("title", ""), r.get("text", "")))
P
: >"$tmp/tree.times"
: >"$tmp/pane.out"
i=0
while [ "$i" -lt "$KB_RUNS" ]; do
	i=$((i + 1))
	rm -rf "$tmp/ht"
	AIWB_HOME=$tmp/ht "$AIWB" kb create t >/dev/null
	t0=$(now)
	AIWB_HOME=$tmp/ht "$AIWB" kb add t "$tmp/tree" >/dev/null 2>&1
	t1=$(now)
	calc "$t1 - $t0" >>"$tmp/tree.times"
	rm -f "$tmp/pane.db"*
	"$ROOT/$BUILD/bench/kbsync_bench" "$tmp/pane.db" "$tmp/tree" >>"$tmp/pane.out"
done
word() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$tmp/pane.out" | median; }
printf '\n%-58s %8s %7s\n' "ingest of a tree, 5,183 files (median of $KB_RUNS)" "s" "ratio"
ct=$(median <"$tmp/tree.times")
pt=$(word seconds)
printf '%-58s %8.3f %7s\n' "aiwb kb add TREE" "$ct" "1.00"
printf '%-58s %8.3f %7.2f\n' "workbench add on the loop ($(word steps) steps)" "$pt" "$(calc "$pt / $ct")"
echo "workbench: longest step $(word max_step_ms) ms, steps over 33 ms: $(word over_33ms), start $(word start_ms) ms"

db=$tmp/h1/aiwb.db
"$AIWB" kb create empty >/dev/null
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
q=$("$ROOT/$BUILD/bench/kb_bench" "$db" sf "$D/queries.jsonl" "$KB_REPS")
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
printf '\n%-58s %8s %8s\n' "BM25 query, 300 SciFact queries x $KB_REPS, top 10" "p50 ms" "p95 ms"
printf '%-58s %8.3f %8.3f\n' "kb search (in process, with highlights)" "$(calc "$(field "$q" p50_us) / 1000")" \
	"$(calc "$(field "$q" p95_us) / 1000")"
echo "CPU per query: $(field "$q" cpu_us_per_query) us; target: p50 under 2 ms"

AIWB_HOME=$tmp/h1
export AIWB_HOME
kbsize=$(sqlite3 "$db" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'kb%' OR name LIKE 'sqlite_autoindex_kb%';")
baresize=$(stat -c %s "$tmp/bare.db")
printf '\n%-58s %12s %7s\n' "size on disk" "bytes" "x raw"
printf '%-58s %12s %7s\n' "raw title+text" "$raw" "1.00"
printf '%-58s %12s %7.2f\n' "bare FTS5 table (sqlite3 shell)" "$baresize" "$(calc "$baresize / $raw")"
printf '%-58s %12s %7.2f\n' "aiwb KB (documents, chunks, index)" "$kbsize" "$(calc "$kbsize / $raw")"

"$AIWB" kb eval sf "$D/qrels.tsv" --queries "$D/queries.jsonl" -k 10 --json >"$tmp/e10.json" || true
"$AIWB" kb eval sf "$D/qrels.tsv" --queries "$D/queries.jsonl" -k 100 --json >"$tmp/e100.json" || true
python3 - "$tmp/e10.json" "$tmp/e100.json" <<'P'
import json, sys
a = json.load(open(sys.argv[1]))["overall"]
b = json.load(open(sys.argv[2]))["overall"]
print()
print("%-58s %8s %10s %8s" % ("retrieval quality, 300 queries", "nDCG@10", "Recall@100", "MAP@100"))
print("%-58s %8s %10s %8s" % ("reference: BEIR paper BM25 (Anserini 0.679)", "0.665", "-", "-"))
print("%-58s %8.4f %10.4f %8.4f" % ("aiwb kb, bm25", a["ndcg"], b["recall"], b["map"]))
P
if [ -n "${KB_EMBED:-}" ]; then
	# vector and hybrid with a configured embedding provider (KB_EMBED=PROVIDER/MODEL, its
	# credentials in the environment as for any aiwb command)
	"$AIWB" kb set sf --embed "$KB_EMBED" >/dev/null
	"$AIWB" kb sync sf --yes >/dev/null
	for mode in vector hybrid; do
		for k in 10 100; do
			"$AIWB" kb eval sf "$D/qrels.tsv" --queries "$D/queries.jsonl" -k $k --mode $mode --json >"$tmp/$mode$k.json" 2>/dev/null || true
		done
	done
	python3 - "$tmp" "$KB_EMBED" <<'P'
import json, sys
for mode in ("vector", "hybrid"):
    try:
        a = json.load(open("%s/%s10.json" % (sys.argv[1], mode)))["overall"]
        b = json.load(open("%s/%s100.json" % (sys.argv[1], mode)))["overall"]
        print("%-58s %8.4f %10.4f %8.4f" % ("aiwb kb, %s (%s)" % (mode, sys.argv[2]), a["ndcg"], b["recall"], b["map"]))
    except Exception as e:
        print("aiwb kb, %s: no result (%s)" % (mode, e))
P
else
	echo "vector and hybrid: set KB_EMBED=PROVIDER/MODEL (e.g. openai/text-embedding-3-small) to measure them"
fi
