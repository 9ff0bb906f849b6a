#!/bin/sh
# Hostile input, timed (bench/run.sh runs it last; it also runs alone:
# sh bench/input_bench.sh). Each figure is the median of INPUT_RUNS runs of
# the real binary: wall ms, CPU ms (user + system) and peak RSS, beside a
# reference run of the same command on an ordinary input (the fixed cost of
# starting; the ratio is of CPU time, which a busy machine disturbs less than
# wall time), and the time before the fix as the issue measured it.
#   CSV 100k rows  = `experiment run` of a 100,000-row dataset (the documented
#                    maximum) x 2 models: it stops right after loading (200,000
#                    cases are over the limit), so the time is the load;
#                    reference: the same with a 1-row dataset; and Python's
#                    csv.DictReader reading the same file.
#   YAML depth     = `prompt render` of a prompt whose front matter nests 100k
#                    deep; `prompt ls` with that file among the user's prompts;
#                    `experiment run` of a file nested 80k deep. References: the
#                    same commands on ordinary files.
# AIWB_BIN picks another aiwb binary (default ./aiwb).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIWB=${AIWB_BIN:-$ROOT/aiwb}
RUNS=${INPUT_RUNS:-5}
export LC_ALL=C.UTF-8 TZ=UTC
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config AIWB_HOME=$tmp/data
mkdir -p "$HOME" "$XDG_CONFIG_HOME/aiwb/prompts" "$tmp/x"

python3 - "$tmp" <<'PY'
import sys
t = sys.argv[1]
def rows(n, name):
    with open(f"{t}/x/{name}", "w") as f:
        f.write("country,capital\n")
        for i in range(n):
            f.write(f'Country {i},"Capital, {i}"\n')
rows(100000, "r100k.csv")
rows(1, "r1.csv")
for n in ("r100k", "r1"):
    open(f"{t}/x/{n}.yaml", "w").write(f'prompt: "{{{{country}}}}"\nmodels: [openai/a, openai/b]\ndataset: {n}.csv\n')
d = 100000
open(f"{t}/deep.prompt", "w").write("---\nname: deep\nx: " + "[" * d + "]" * d + "\n---\nhello\n")
open(f"{t}/plain.prompt", "w").write("---\nname: plain\nx: [[1]]\n---\nhello\n")
d = 80000
open(f"{t}/x/deep.yaml", "w").write("prompt: hi\nmodels: [openai/a]\ndescription: " + "[" * d + "]" * d + "\n")
open(f"{t}/x/plain.yaml", "w").write("prompt: hi\nmodels: [openai/a]\ndescription: [[1]]\nfrobnicate: 1\n")
PY

# measure CMD...: "wall_ms cpu_ms rss_mb" medians of RUNS runs
measure() {
	python3 - "$RUNS" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
wall, cpu, rss = [], [], []
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall.append((time.monotonic() - t0) * 1000)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
    rss.append(after.ru_maxrss / 1024)
print("%.1f %.1f %.1f" % (statistics.median(wall), statistics.median(cpu), statistics.median(rss)))
PY
}

row() { # label, "wall cpu rss", reference "wall cpu rss", before (text)
	set -- "$1" $2 $3 "$4"
	printf '%-46s %9s %9s %7s %7s  %s\n' "$1" "$2" "$3" "$4" \
		"$(awk -v a="$3" -v b="$6" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')" "$8"
}

echo
printf '%-46s %9s %9s %7s %7s  %s\n' "hostile input (median of $RUNS runs)" "wall ms" "CPU ms" "RSS MB" "CPU/ref" \
	"before the fix"
ref=$(measure "$AIWB" experiment run "$tmp/x/r1.yaml")
printf '%-46s %9s %9s %7s %7s\n' "reference: experiment run, 1-row CSV" $ref "1.0"
row "experiment run, 100,000-row CSV (load)" "$(measure "$AIWB" experiment run "$tmp/x/r100k.yaml")" "$ref" "41 s"
py=$(measure python3 -c 'import csv,sys; sum(1 for _ in csv.DictReader(open(sys.argv[1])))' "$tmp/x/r100k.csv")
printf '%-46s %9s %9s %7s %7s\n' "reference: python3 csv.DictReader, same file" $py "-"

ref=$(measure "$AIWB" prompt render "$tmp/plain.prompt")
printf '%-46s %9s %9s %7s %7s\n' "reference: prompt render, ordinary front matter" $ref "1.0"
row "prompt render, front matter 100k deep" "$(measure "$AIWB" prompt render "$tmp/deep.prompt")" "$ref" "34 s"
ref=$(measure "$AIWB" prompt ls)
printf '%-46s %9s %9s %7s %7s\n' "reference: prompt ls, built-in prompts only" $ref "1.0"
cp "$tmp/deep.prompt" "$XDG_CONFIG_HOME/aiwb/prompts/deep.prompt"
row "prompt ls, a user prompt 100k deep" "$(measure "$AIWB" prompt ls)" "$ref" "11 s"
rm -f "$XDG_CONFIG_HOME/aiwb/prompts/deep.prompt"
ref=$(measure "$AIWB" experiment run "$tmp/x/plain.yaml")
printf '%-46s %9s %9s %7s %7s\n' "reference: experiment run, an ordinary bad file" $ref "1.0"
row "experiment run, a file 80k deep" "$(measure "$AIWB" experiment run "$tmp/x/deep.yaml")" "$ref" "18 s"
echo "target: each within a few ms of its reference (nesting stops at 64 levels); the CSV load linear in its rows"
