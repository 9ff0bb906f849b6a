#!/bin/sh
# Knowledge-base figures at scale, each beside its reference:
#   bm25 1M  = `aiwb kb search` BM25 latency (top 10 with highlights, in
#              process: bench/kb_bench) on a KB of KB_BIG_N (default 1,000,000)
#              one-chunk documents with Zipf-distributed words (bench/kb_zipf.py),
#              p50 and p95 per query class (rare, mid, common, mixed, long),
#              beside the bare FTS5 query `SELECT rowid FROM t WHERE t MATCH ?
#              ORDER BY bm25(t) LIMIT 10` (the words ORed, as aiwb joins them) over
#              the same index in the same run.
#              Target (a stretch): p50 under 30 ms for every class.
#   vector   = exact top 10 of KB_BIG_N x 384 synthetic unit vectors through
#              kb_search (bench/kb_vec_bench: the KB's vector index, results
#              checked equal to a brute-force ranking), beside that brute
#              force over the same vectors held in memory; the first search
#              after the vectors change also writes the index. Target: under 100 ms.
#   size     = database and vector index on disk beside the raw text and the
#              raw float32 vectors.
#   ingest   = `aiwb kb add` of the corpus (wall, peak RSS).
set -eu
BUILD=${BUILD:-build}
N=${KB_BIG_N:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIWB=${AIWB_BIN:-$ROOT/aiwb}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C.UTF-8 TZ=UTC AIWB_HOME=$tmp/h
unset AIWB_CONFIG
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import numpy' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	echo "knowledge base at scale: skipped (python3 with numpy is needed: make deps)"
	exit 0
fi
calc() { awk "BEGIN { printf \"%.6f\\n\", $1 }"; }
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ms() { calc "$(field "$1" "$2") / 1000"; }

echo
echo "knowledge base at scale: $N synthetic documents (Zipf words), 384-dimension vectors"
"$PY" "$ROOT/bench/kb_zipf.py" "$N" "$tmp/corpus.jsonl" "$tmp/queries.jsonl"
raw=$(stat -c %s "$tmp/corpus.jsonl")
"$AIWB" kb create big >/dev/null
/usr/bin/time -f '%e %M' -o "$tmp/ingest.time" "$AIWB" kb add big "$tmp/corpus.jsonl" --text-field text --id-field id >/dev/null 2>&1
printf '%-58s %8s %10s\n' "ingest" "s" "peak MB"
printf '%-58s %8.1f %10.0f\n' "aiwb kb add ($((raw / 1048576)) MB of JSONL)" "$(cut -d' ' -f1 "$tmp/ingest.time")" \
	"$(calc "$(cut -d' ' -f2 "$tmp/ingest.time") / 1024")"

db=$AIWB_HOME/aiwb.db
id=$(sqlite3 "$db" "SELECT id FROM kbs WHERE name = 'big'")
printf '\n%-40s %9s %9s %12s %12s\n' "BM25, top 10, 20 queries per class" "p50 ms" "p95 ms" "bare p50 ms" "bare p95 ms"
for class in rare mid common mixed long; do
	grep "\"$class\"" "$tmp/queries.jsonl" | head -20 >"$tmp/q_$class.jsonl"
	r=$("$ROOT/$BUILD/bench/kb_bench" "$db" big "$tmp/q_$class.jsonl" 1)
	# the bare reference: the same words ORed, as a plain FTS5 query
	"$PY" - "$tmp/q_$class.jsonl" "$db" "$id" >"$tmp/bare_$class.txt" <<'P'
import json, sqlite3, sys, time
c = sqlite3.connect(sys.argv[2])
qs = [json.loads(l)["text"] for l in open(sys.argv[1])]
sql = "SELECT rowid FROM kb_fts_%s WHERE kb_fts_%s MATCH ? ORDER BY bm25(kb_fts_%s) LIMIT 10" % ((sys.argv[3],) * 3)
lat = []
for q in qs:
    m = " OR ".join('"%s"' % w for w in q.split())
    t0 = time.monotonic()
    c.execute(sql, (m,)).fetchall()
    lat.append((time.monotonic() - t0) * 1000)
lat.sort()
print("%.3f %.3f" % (lat[len(lat) // 2], lat[len(lat) * 95 // 100]))
P
	printf '%-40s %9.3f %9.3f %12s %12s\n' "$class" "$(ms "$r" p50_us)" "$(ms "$r" p95_us)" \
		"$(cut -d' ' -f1 "$tmp/bare_$class.txt")" "$(cut -d' ' -f2 "$tmp/bare_$class.txt")"
done
echo "target (stretch): p50 under 30 ms for every class"

v=$("$ROOT/$BUILD/bench/kb_vec_bench" "$db" big 384 20 2>/dev/null)
printf '\n%-58s %9s %9s\n' "exact vector top 10, $(field "$v" vectors) x 384, 20 queries" "p50 ms" "p95 ms"
printf '%-58s %9.3f %9.3f\n' "reference: brute force over the vectors in memory" "$(ms "$v" ref_p50_us)" "$(ms "$v" ref_p95_us)"
printf '%-58s %9.3f %9.3f\n' "kb search --mode vector (vector index)" "$(ms "$v" p50_us)" "$(ms "$v" p95_us)"
printf 'first search after the vectors changed (writes the index): %.1f ms; results equal to the brute force: %s;\n' \
	"$(ms "$v" first_us)" "$(field "$v" agree)"
echo "target: under 100 ms"

dbsize=$(stat -c %s "$db")
vec=$(stat -c %s "$AIWB_HOME/kb/$id.vec")
nvec=$(field "$v" vectors)
printf '\n%-58s %14s %7s\n' "size on disk" "bytes" "x raw"
printf '%-58s %14s %7s\n' "raw JSONL text" "$raw" "1.00"
printf '%-58s %14s %7.2f\n' "database (documents, chunks, FTS5 index, float32 vectors)" "$dbsize" "$(calc "$dbsize / $raw")"
printf '%-58s %14s %7s\n' "raw float32 vectors ($nvec x 384 x 4)" "$((nvec * 1536))" "-"
printf '%-58s %14s %7s\n' "vector index (int8 codes, bounds, ids)" "$vec" "-"
