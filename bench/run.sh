#!/bin/sh
# make bench: start-up and idle figures of the workbench, each beside its reference.
#   first paint  = fork to exit of `aiwb --frames 1` on a 100x30 pty (start, open
#                  config, data home and database, draw one full frame, restore
#                  the terminal), median of RUNS; reference: ncurses_floor, the
#                  least a curses program can do to paint four boxed windows.
#   peak RSS     = ru_maxrss of those runs (median).
#   idle         = context switches (wakeups) per second and CPU of an idle
#                  workbench over IDLE seconds after its first paint, without
#                  job sources that poll (AIWB_SLURM=off), and where squeue is
#                  on PATH, with the Slurm source over IDLE_SLURM seconds.
# Then the model layer, against tests/fakes/fakellm on 127.0.0.1 (started
# here, killed at the end):
#   first token  = process start -> first byte of model text on stdout (a
#                  pipe), `aiwb ask` beside `curl -N` posting the same request,
#                  runs interleaved (bench/first_byte.c), medians of FB_RUNS
#                  and of the per-round difference aiwb - curl;
#                  plus aiwb's own ttft_ms from --json.
#   parsing      = bench/parse_bench (framing alone, MB/s of wall time) and
#                  bench/decode_bench (framing + JSON + text, as the providers
#                  run it, MB per CPU-second), each beside memcpy.
#   8 streams    = 8 x 2,000 tokens at 1,000 tokens/s in one event loop
#                  (bench/stream_bench.c): CPU of one core, peak RSS, beside
#                  one `curl -Z` carrying the same 8 streams.
#   guard        = bench/guard_bench: the local guard over 100 MB of mixed text
#                  beside `grep -E` with equivalent patterns (MB per CPU-second),
#                  the latency it adds to a 10 KB prompt, and precision and
#                  recall per type on tests/data/guard.
#   compare      = `aiwb compare` of 8 models x 2,000 tokens at 1,000 tokens/s
#                  beside `aiwb ask` of one of them (the slowest single stream),
#                  wall and CPU, medians of CMP_REPS; then the workbench doing
#                  the same compare on a pty: frames per second while the 8
#                  columns stream (bench/compare_bench.py).
# Last, hostile input (bench/input_bench.sh): a 100,000-row CSV dataset and
# YAML nested 100k deep, beside ordinary inputs.
#   hostile text = the time from a key (z) to its effect on the screen while a
#                  10 MB answer without a newline streams into the Prompt pane
#                  (as fast as aiwb reads, one word without spaces, and at
#                  1 MB/s), beside the same key with nothing streaming; and a
#                  stored answer of 33,554,432 newlines opened in the history
#                  view: time to its first screen and to its end (G), aiwb's
#                  RSS and peak RSS (bench/key_bench.py).
#   knowledge    = bench/kb.sh (BEIR SciFact: ingest, BM25 latency, size,
#                  quality) and bench/kb_big.sh (a million chunks: BM25 per
#                  query class, exact vector top 10 over 1M x 384, size).
#   drift        = `aiwb drift report` on 1M rows x 12 columns beside a
#                  numpy/scipy script computing the same statistics
#                  (bench/drift_bench.sh: wall, CPU, peak RSS, ratio), and
#                  rows per second of each test from 1e3 to 1e7 rows
#                  (bench/drift_tests_bench.c).
# AIWB_BIN picks another aiwb binary (default ./aiwb).
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-30}
IDLE=${IDLE:-10}
IDLE_SLURM=${IDLE_SLURM:-40}
FB_RUNS=${FB_RUNS:-30}
STREAM_REPS=${STREAM_REPS:-3}
CMP_REPS=${CMP_REPS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/$BUILD/bench
AIWB=${AIWB_BIN:-$ROOT/aiwb}
FAKE=$ROOT/$BUILD/tests/fakes/fakellm
export TERM=xterm-256color LC_ALL=C.UTF-8 TZ=UTC
unset NO_COLOR AIWB_CONFIG
tmp=$(mktemp -d)
FAKE_PID=
cleanup() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null || true
		wait "$FAKE_PID" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/config
mkdir -p "$HOME" "$XDG_CONFIG_HOME"

field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "aiwb $(cat "$ROOT/VERSION") — $(nproc) cores, $(uname -m), load $(cut -d' ' -f1 /proc/loadavg)"

ref=$("$B/tty_bench" paint "$RUNS" "$B/ncurses_floor")

AIWB_HOME=$tmp/empty "$AIWB" --version >/dev/null
AIWB_HOME=$tmp/empty "$B/tty_bench" paint 1 "$AIWB" --frames 1 >/dev/null # creates and seeds the home
empty=$(AIWB_HOME=$tmp/empty "$B/tty_bench" paint "$RUNS" "$AIWB" --frames 1)

mkdir -p "$tmp/full"
chmod 700 "$tmp/full"
"$B/seed_history" "$tmp/full/aiwb.db" 10000 >/dev/null
AIWB_HOME=$tmp/full "$B/tty_bench" paint 1 "$AIWB" --frames 1 >/dev/null
full=$(AIWB_HOME=$tmp/full "$B/tty_bench" paint "$RUNS" "$AIWB" --frames 1)

idle=$(AIWB_SLURM=off AIWB_HOME=$tmp/full "$B/tty_bench" idle "$IDLE" "$AIWB")
# with this machine's Slurm, when squeue is on PATH: the first refresh ends
# inside the window (squeue may take 10 s to say its controller is down), so
# the window is longer
idle_slurm=
if command -v squeue >/dev/null 2>&1; then
	idle_slurm=$(AIWB_HOME=$tmp/full "$B/tty_bench" idle "$IDLE_SLURM" "$AIWB")
fi

r=$(field "$ref" median_ms)
printf '\n%-44s %10s %10s %8s\n' "first paint, 100x30 ($RUNS runs)" "median ms" "RSS MB" "ratio"
printf '%-44s %10s %10s %8s\n' "reference: ncurses_floor" "$r" "$(field "$ref" median_rss_mb)" "1.00"
for row in "empty data home:$empty" "10,000 history rows:$full"; do
	name=${row%%:*}
	v=${row#*:}
	m=$(field "$v" median_ms)
	printf '%-44s %10s %10s %8s\n' "aiwb, $name" "$m" "$(field "$v" median_rss_mb)" \
		"$(awk -v a="$m" -v b="$r" 'BEGIN { printf "%.2f", a / b }')"
done
printf '\n%-44s %s\n' "idle workbench over ${IDLE}s, no Slurm" "$(field "$idle" wakeups_per_s) wakeups/s, $(field "$idle" cpu_percent)% CPU"
[ -z "$idle_slurm" ] || printf '%-44s %s\n' "idle workbench over ${IDLE_SLURM}s, with Slurm" \
	"$(field "$idle_slurm" wakeups_per_s) wakeups/s, $(field "$idle_slurm" cpu_percent)% CPU"
echo "targets: first paint < 30 ms, RSS < 12 MB, idle <= 2 wakeups/s"

# ---------------------------------------------------------------- model layer

for v in OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY ANTHROPIC_BASE_URL OLLAMA_HOST AWS_ACCESS_KEY_ID \
	AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION \
	AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_BEARER_TOKEN_BEDROCK AWS_ENDPOINT_URL \
	AWS_ENDPOINT_URL_BEDROCK_RUNTIME AWS_ENDPOINT_URL_BEDROCK; do
	unset "$v"
done
CMP_MODELS=
# Markdown answers (tests/fakes/fakemd.h), so the workbench's compare view renders them.
for i in 1 2 3 4 5 6 7 8; do CMP_MODELS="$CMP_MODELS${CMP_MODELS:+,}m$i-markdown-tokens-2000-tps-1000"; done
"$FAKE" --port-file "$tmp/fake.port" --log "$tmp/fake.log" --max-seconds 900 --openai-models "$CMP_MODELS,gpt-4o-mini" \
	2>"$tmp/fake.err" &
FAKE_PID=$!
i=0
while [ ! -s "$tmp/fake.port" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
		echo "bench: the fake server $FAKE did not start: $(cat "$tmp/fake.err")" >&2
		exit 1
	fi
	sleep 0.05
done
URL=http://127.0.0.1:$(cat "$tmp/fake.port")
export AIWB_HOME="$tmp/models" OPENAI_API_KEY=sk-bench OPENAI_BASE_URL="$URL/v1" ANTHROPIC_API_KEY=sk-ant-bench \
	ANTHROPIC_BASE_URL="$URL" OLLAMA_HOST="$URL" AWS_ACCESS_KEY_ID=AKIABENCH0000000001 AWS_SECRET_ACCESS_KEY=bench \
	AWS_REGION=us-east-1 AWS_ENDPOINT_URL_BEDROCK_RUNTIME="$URL" AWS_ENDPOINT_URL_BEDROCK="$URL"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# (a) The body aiwb sends for this prompt (checked in the fake's log
# right away), posted by curl the same way: a fresh process per run for both.
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}'
"$AIWB" ask -m openai/gpt-4o-mini hi >/dev/null
if ! grep -qF "\"body\":\"$(printf '%s' "$BODY" | sed 's/"/\\"/g')\"," "$tmp/fake.log"; then
	echo "bench: aiwb ask no longer sends the request curl is given here; update BODY in bench/run.sh" >&2
	tail -1 "$tmp/fake.log" >&2
	exit 1
fi
set -- -N -sS -H 'Content-Type: application/json' -H "Authorization: Bearer $OPENAI_API_KEY" -d "$BODY" \
	"$OPENAI_BASE_URL/chat/completions"
fb=$("$B/first_byte" "$FB_RUNS" -n curl -m data: curl "$@" :: -n curl_text -m '"content":"H' curl "$@" :: \
	-n aiwb "$AIWB" ask -m openai/gpt-4o-mini hi :: -n aiwb_json -f ttft_ms "$AIWB" ask --json -m openai/gpt-4o-mini hi)
set --
row() { printf '%s\n' "$fb" | grep "^name=$1 "; }
c=$(row curl)
ct=$(row curl_text)
a=$(row aiwb)
aj=$(row aiwb_json)
cm=$(field "$c" median_ms)
am=$(field "$a" median_ms)
printf '\n%-52s %9s %9s %9s %7s\n' "first model text, process start -> stdout ($FB_RUNS runs)" "median ms" "min ms" \
	"CPU ms" "ratio"
printf '%-52s %9s %9s %9s %7s\n' 'reference: curl -N, first "data:" line' "$cm" "$(field "$c" min_ms)" \
	"$(field "$c" cpu_median_ms)" "1.00"
printf '%-52s %9s %9s %9s %7s\n' "curl -N, first text chunk" "$(field "$ct" median_ms)" "$(field "$ct" min_ms)" \
	"$(field "$ct" cpu_median_ms)" "$(ratio "$(field "$ct" median_ms)" "$cm")"
printf '%-52s %9s %9s %9s %7s\n' "aiwb ask -m openai/gpt-4o-mini, first text byte" "$am" "$(field "$a" min_ms)" \
	"$(field "$a" cpu_median_ms)" "$(ratio "$am" "$cm")"
printf '%-52s %9s %9s\n' "aiwb adds over curl (differences, ms)" \
	"$(awk -v a="$am" -v b="$cm" 'BEGIN { printf "%+.2f", a - b }')" \
	"$(awk -v a="$(field "$a" min_ms)" -v b="$(field "$c" min_ms)" 'BEGIN { printf "%+.2f", a - b }')"
printf '%-52s %9s\n' "aiwb adds over curl, paired by round (median, ms)" "$(field "$a" paired_median_ms)"
printf '%-52s %9s %9s\n' "CPU used by the first byte: curl, aiwb (median, ms)" "$(field "$c" cpu_first_median_ms)" \
	"$(field "$a" cpu_first_median_ms)"
printf '%-52s %9s\n' "aiwb ask --json: its own ttft_ms (median)" "$(field "$aj" field_median)"
echo "target: aiwb adds < 1 ms median over curl (load $(cut -d' ' -f1-3 /proc/loadavg))"

# (b) Parsing.
pb=$("$B/parse_bench" | tail -1)
db=$("$B/decode_bench" | tail -1)
mc=$(field "$pb" memcpy_mb_s)
dmc=$(field "$db" memcpy_mb_s)
printf '\n%-52s %9s %9s\n' "stream parsing, pieces of 1-16 KiB" "MB/s" "x memcpy"
printf '%-52s %9s %9s\n' "reference: memcpy (parse_bench)" "$mc" "1.00"
for k in sse:"SSE framing (parse_bench)" ndjson:"NDJSON framing (parse_bench)" \
	eventstream:"event-stream framing + CRCs (parse_bench)"; do
	v=$(field "$pb" "${k%%:*}_mb_s")
	printf '%-52s %9s %9s\n' "${k#*:}" "$v" "$(ratio "$v" "$mc")"
done
printf '%-52s %9s %9s\n' "reference: memcpy (decode_bench, MB per CPU-second)" "$dmc" "1.00"
for k in openai:"OpenAI SSE + JSON + text (decode_bench)" anthropic:"Anthropic SSE + JSON + text (decode_bench)" \
	ollama:"Ollama NDJSON + JSON + text (decode_bench)" bedrock:"Bedrock event stream + JSON + text (decode_bench)"; do
	v=$(field "$db" "${k%%:*}_mb_s")
	printf '%-52s %9s %9s\n' "${k#*:}" "$v" "$(ratio "$v" "$dmc")"
done
echo "target: > 200 MB/s"

# (c) 8 streams at once.
M=tokens-2000-tps-1000
ref=$("$B/stream_bench" -c "$OPENAI_BASE_URL" -m "$M" -r "$STREAM_REPS" -p "$FAKE_PID")
s1=$("$B/stream_bench" -m "openai/$M" -r "$STREAM_REPS" -p "$FAKE_PID")
s2=$("$B/stream_bench" -s -m "openai/$M" -r "$STREAM_REPS" -p "$FAKE_PID")
s3=$("$B/stream_bench" -m "openai/$M" -m "anthropic/$M" -m "bedrock/$M" -m "ollama/$M" -r "$STREAM_REPS" \
	-p "$FAKE_PID")
rc=$(field "$ref" cpu_percent)
printf '\n%-52s %7s %7s %7s %9s %7s %8s\n' "8 streams x 2,000 tokens at 1,000 tok/s (median of $STREAM_REPS)" \
	"wall s" "CPU %" "RSS MB" "wakeups/s" "ratio" "fake CPU"
printf '%-52s %7s %7s %7s %9s %7s %7s%%\n' "reference: one curl -Z, 8 parallel transfers" "$(field "$ref" wall_s)" \
	"$rc" "$(field "$ref" peak_rss_mb)" "-" "1.00" "$(field "$ref" fake_cpu_percent)"
for r in "8 x openai:$s1" "8 x openai, text sanitized as ask does:$s2" "2 x openai, anthropic, bedrock, ollama:$s3"; do
	v=${r#*:}
	printf '%-52s %7s %7s %7s %9s %7s %7s%%\n' "aiwb loop, ${r%%:*}" "$(field "$v" wall_s)" \
		"$(field "$v" cpu_percent)" "$(field "$v" peak_rss_mb)" "$(field "$v" wakeups_per_s)" \
		"$(ratio "$(field "$v" cpu_percent)" "$rc")" "$(field "$v" fake_cpu_percent)"
done
printf '%-52s %s\n' "aiwb loop, 8 x openai: TTFT and tok/s per stream" \
	"$(field "$s1" ttft_median_ms) ms, $(field "$s1" tok_s_median) tok/s (medians)"
echo "targets: CPU < 10% of one core; ratio = CPU / the curl reference's; fake CPU is the server's own (not aiwb)"

# (d) Compare: 8 models at once, from the command line and in the workbench.
set --
for m in $(printf '%s' "$CMP_MODELS" | tr ',' ' '); do set -- "$@" "openai/$m"; done
cc=$(python3 "$ROOT/bench/compare_bench.py" cli "$CMP_REPS" "$AIWB" "$@")
ct=$(python3 "$ROOT/bench/compare_bench.py" tui "$CMP_REPS" "$AIWB" "$AIWB_HOME/aiwb.db" 8)
set --
printf '\n%-52s %7s %7s %7s\n' "compare, 8 models x 2,000 tokens at 1,000 tok/s ($CMP_REPS)" "wall s" "CPU s" "ratio"
printf '%-52s %7s %7s %7s\n' "reference: aiwb ask, one of them alone" "$(field "$cc" single_wall_s)" \
	"$(field "$cc" single_cpu_s)" "1.00"
printf '%-52s %7s %7s %7s\n' "aiwb compare, all 8 at once" "$(field "$cc" compare_wall_s)" \
	"$(field "$cc" compare_cpu_s)" "$(field "$cc" wall_ratio)"
printf '%-52s %s%% of one core\n' "aiwb compare CPU over its wall time" "$(field "$cc" compare_cpu_percent)"
echo "target: compare wall within 5% of the slowest single stream (ratio <= 1.05)"
printf '%-52s %7s %7s %7s\n' "workbench compare view, 8 columns of Markdown" "fps" "min fps" "CPU %"
printf '%-52s %7s %7s %7s\n' "(frames = output bursts on a 160x48 pty)" "$(field "$ct" fps)" \
	"$(field "$ct" fps_min_window)" "$(field "$ct" cpu_percent)"
echo "target: redraws capped (~60/s), never below 30 fps; min fps is the lowest over 0.5 s windows"

# (e) The local guard: throughput on 100 MB of mixed text beside grep -E with
# equivalent patterns, the latency it adds to a 10 KB prompt, and precision
# and recall per type on the labelled corpus (bench/guard_bench.c).
GUARD_MB=${GUARD_MB:-100}
printf '\n%s\n' "guard: $GUARD_MB MB of mixed text, one core (MB per CPU-second, median of 5)"
"$B/guard_bench" "$GUARD_MB" 5 "$ROOT/tests/data/guard"
echo "targets: guard > 200 MB/s; latency < 1 ms for a 10 KB prompt; ratio = guard / grep -E"

# (f) Hostile input: a 100k-row CSV, YAML nested 100k deep.
AIWB_BIN=$AIWB sh "$ROOT/bench/input_bench.sh"
# (g) Hostile text in the workbench: keys while a 10 MB answer without a
# newline streams, and a stored answer of 33,554,432 newlines in the history
# view (bench/key_bench.py).
KEY_RUNS=${KEY_RUNS:-3}
export AIWB_CONFIG=$tmp/keys.json
kr=$(python3 "$ROOT/bench/key_bench.py" 1 "$AIWB" idle)
k1=$(python3 "$ROOT/bench/key_bench.py" "$KEY_RUNS" "$AIWB" longline-16384-tokens-640)
k2=$(python3 "$ROOT/bench/key_bench.py" "$KEY_RUNS" "$AIWB" longline-16384-nospace-tokens-640)
k3=$(python3 "$ROOT/bench/key_bench.py" 1 "$AIWB" longline-16384-tokens-640-tps-64)
printf '\n%-52s %9s %9s %5s %8s %6s %7s\n' "a key (z) to its effect on screen, 100x30 pty" "median ms" "max ms" "keys" \
	"stream s" "CPU s" "ratio"
printf '%-52s %9s %9s %5s %8s %6s %7s\n' "reference: nothing streaming" "$(field "$kr" median_ms)" \
	"$(field "$kr" max_ms)" "$(field "$kr" keys)" "-" "-" "1.00"
for r in "10 MB of words, no newline, as fast as read:$k1" "10 MB of one word (no space), as fast as read:$k2" \
	"10 MB of words, no newline, at 1 MB/s:$k3"; do
	v=${r#*:}
	printf '%-52s %9s %9s %5s %8s %6s %7s\n' "${r%%:*}" "$(field "$v" median_ms)" "$(field "$v" max_ms)" \
		"$(field "$v" keys)" "$(field "$v" stream_s)" "$(field "$v" cpu_s)" \
		"$(ratio "$(field "$v" median_ms)" "$(field "$kr" median_ms)")"
done
echo "target: < 100 ms while it streams (the end of a run includes saving it: the max)"
unset AIWB_CONFIG
AIWB_HOME=$tmp/hist "$AIWB" ask -m openai/gpt-4o-mini "the capped answer" >/dev/null
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE runs SET output = ? WHERE id = 1", ("\n" * 33554432,))
c.commit()' "$tmp/hist/aiwb.db"
hv=$(AIWB_HOME=$tmp/hist python3 "$ROOT/bench/key_bench.py" history "$AIWB" "the capped answer")
printf '\n%-52s %9s %9s %9s\n' "history view, a stored answer of 33,554,432 newlines" "ms" "RSS MiB" "peak MiB"
printf '%-52s %9s %9s %9s\n' "Enter: its first screen" "$(field "$hv" open_ms)" "-" "-"
printf '%-52s %9s %9s %9s\n' "Esc, Enter again: its first screen" "$(field "$hv" again_ms)" \
	"$(field "$hv" rss_open_mib)" "-"
printf '%-52s %9s %9s %9s\n' "G: its end (every line wrapped)" "$(field "$hv" end_ms)" "$(field "$hv" rss_end_mib)" \
	"$(field "$hv" peak_mib)"
echo "reference: the answer itself is 32 MiB"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
sh "$ROOT/bench/jobs_bench.sh"
# The Jobs pane with 50 running jobs: CPU, and metric line -> screen latency.
python3 "$ROOT/bench/jobs_pane_bench.py" "$AIWB" 50 30

# Knowledge base (bench/kb.sh), and at a million chunks (bench/kb_big.sh).
BUILD=$BUILD sh "$ROOT/bench/kb.sh"
BUILD=$BUILD sh "$ROOT/bench/kb_big.sh"

# (h) Drift: `aiwb drift report` on 1M rows beside numpy/scipy (bench/drift_bench.sh).
"$ROOT/bench/drift_bench.sh"
# Rows per second of each drift test, 1e3 to 1e7 rows a side (bench/drift_tests_bench.c).
"$BUILD/bench/drift_tests_bench"

# Chart redraw: 4 metrics x 100,000 points (bench/chart_bench.c).
"$BUILD/bench/chart_bench"

# Markdown in the compare view: 8 columns rendering 2,000 streamed tokens
# each, per frame, and one column of a 1 MiB code block or paragraph
# (bench/md_bench.c); the workbench's own frame rate with 8 columns
# streaming is section (d) above.
"$BUILD/bench/md_bench"
