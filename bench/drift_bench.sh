#!/bin/sh
# make bench, drift part: `aiwb drift report` on two CSV files of DRIFT_ROWS
# rows (default 1,000,000) x 10 numeric + 2 categorical columns, beside a
# numpy/scipy script computing the same statistics in the same run
# (bench/drift_bench.py: numpy.loadtxt, scipy.stats.wasserstein_distance,
# ks_2samp, scipy.spatial.distance.jensenshannon).
# Figures: wall and CPU seconds (medians of DRIFT_REPS aiwb runs; the reference
# runs DRIFT_REF_REPS times), peak RSS, the reference/aiwb wall ratio, and the
# largest relative difference between the two sets of numbers.
# aiwb reads the data streamed: numbers go to a temporary spool file, one
# column of each side is in memory at a time (docs/drift.md).
# Targets: under 2 s and under 200 MB for 1M rows.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIWB=${AIWB_BIN:-$ROOT/aiwb}
ROWS=${DRIFT_ROWS:-1000000}
REPS=${DRIFT_REPS:-3}
REF_REPS=${DRIFT_REF_REPS:-1}
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import scipy, numpy' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	echo "drift bench: needs python3 with scipy and numpy (make deps installs python3-scipy)" >&2
	exit 1
fi
B="$PY $ROOT/bench/drift_bench.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

echo
echo "drift report, $ROWS rows x 10 numeric + 2 categorical columns, baseline vs current"
$B make "$ROWS" "$tmp/base.csv" "$tmp/cur.csv"
echo "(data: $(du -m "$tmp/base.csv" | cut -f1) MB + $(du -m "$tmp/cur.csv" | cut -f1) MB of CSV)"
: >"$tmp/aw"
: >"$tmp/ac"
: >"$tmp/am"
i=0
while [ "$i" -lt "$REPS" ]; do
	r=$($B measure "$tmp/aiwb.json" "$AIWB" drift report "$tmp/base.csv" "$tmp/cur.csv" --json)
	field "$r" wall_s >>"$tmp/aw"
	field "$r" cpu_s >>"$tmp/ac"
	field "$r" peak_rss_mb >>"$tmp/am"
	i=$((i + 1))
done
: >"$tmp/rw"
: >"$tmp/rc"
: >"$tmp/rm"
i=0
while [ "$i" -lt "$REF_REPS" ]; do
	r=$($B measure "$tmp/ref.json" "$PY" "$ROOT/bench/drift_bench.py" reference "$tmp/base.csv" "$tmp/cur.csv")
	field "$r" wall_s >>"$tmp/rw"
	field "$r" cpu_s >>"$tmp/rc"
	field "$r" peak_rss_mb >>"$tmp/rm"
	i=$((i + 1))
done
aw=$(median <"$tmp/aw") ac=$(median <"$tmp/ac") am=$(median <"$tmp/am")
rw=$(median <"$tmp/rw") rc=$(median <"$tmp/rc") rm=$(median <"$tmp/rm")
printf '%-52s %7s %7s %9s %7s\n' "" "wall s" "CPU s" "peak MB" "ratio"
printf '%-52s %7s %7s %9s %7s\n' "reference: numpy.loadtxt + scipy ($REF_REPS run)" "$rw" "$rc" "$rm" "1.00"
printf '%-52s %7s %7s %9s %7s\n' "aiwb drift report --json (median of $REPS)" "$aw" "$ac" "$am" \
	"$(awk -v a="$rw" -v b="$aw" 'BEGIN {printf "%.1fx", (b > 0 ? a / b : 0)}')"
echo "largest relative difference aiwb vs scipy: $($B agree "$tmp/aiwb.json" "$tmp/ref.json")"
echo "targets: < 2 s and < 200 MB for 1M rows; ratio = reference wall / aiwb wall (higher is faster)"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
