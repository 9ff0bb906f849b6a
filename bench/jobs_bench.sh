#!/bin/sh
# Jobs: CPU of aiwb following 50 running local jobs with live logs.
#   50 jobs (aiwb jobs run), each printing one metric line a second (plus a
#   JSON line), in a private AIWB_HOME; then over SECS seconds:
#   watch   = `aiwb jobs watch --interval 1` (sync of all 50 every second:
#             status files, /proc, new log bytes, metric rules, the registry;
#             one table per second), stdout to /dev/null;
#   follow  = `aiwb jobs logs -f` on one of the jobs;
#   reference: `tail -q -F` on the same 50 logs (the least a log follower does).
# CPU = (utime + stime) of the process over its wall time, % of one core.
# Target: watch under 2% of one core. Jobs are stopped at the end.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
AIWB=${AIWB_BIN:-$ROOT/aiwb}
N=${JOBS_N:-50}
SECS=${JOBS_SECS:-30}
tmp=$(mktemp -d)
export AIWB_HOME=$tmp/home HOME=$tmp XDG_CONFIG_HOME=$tmp/config LC_ALL=C.UTF-8 TZ=UTC
unset AIWB_CONFIG
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for s in "$AIWB_HOME"/jobs/*/status; do
		[ -f "$s" ] || continue
		g=$(sed -n 's/^pid=//p' "$s")
		[ -n "$g" ] && kill -KILL -"$g" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

script='i=0; while :; do i=$((i+1)); echo "step=$i loss=0.$i acc=0.5"; echo "{\"lr\": 0.01, \"step\": $i}"; sleep 1; done'
i=0
while [ $i -lt "$N" ]; do
	"$AIWB" jobs run --name "bench$i" --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' \
		--metric 'acc=acc=([0-9.]+)' -- sh -c "$script" >/dev/null 2>&1
	i=$((i + 1))
done
sleep 2

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# measure NAME CMD...: runs CMD for SECS seconds, prints its CPU % of one core.
measure() {
	"$@" >/dev/null 2>&1 &
	p=$!
	pids="$pids $p"
	t0=$(date +%s.%N)
	sleep "$SECS"
	c=$(ticks "$p")
	t1=$(date +%s.%N)
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	awk -v c="$c" -v hz="$hz" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", 100 * c / hz / (b - a)}'
}
ref=$(measure tail -q -F $(ls "$AIWB_HOME"/jobs/*/output.log))
watch=$(measure "$AIWB" jobs watch --interval 1)
follow=$(measure "$AIWB" jobs logs -f local:1)
running=$("$AIWB" jobs ls --status running --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["jobs"]))')
points=$("$AIWB" jobs metrics local:1 --csv | tail -n +2 | wc -l)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '\n%-52s %7s %7s\n' "jobs: $running running jobs, 2 lines/s each, ${SECS}s" "CPU %" "ratio"
printf '%-52s %7s %7s\n' "reference: tail -F on the $N logs" "$ref" "1.00"
printf '%-52s %7s %7s\n' "aiwb jobs watch (all $N, every 1 s)" "$watch" "$(ratio "$watch" "$ref")"
printf '%-52s %7s %7s\n' "aiwb jobs logs -f (one job)" "$follow" "$(ratio "$follow" "$ref")"
echo "job local:1 has $points metric points recorded; target: watch < 2% of one core"
i=1
while [ $i -le "$N" ]; do
	"$AIWB" jobs stop --grace 0 "local:$i" >/dev/null 2>&1 || true
	i=$((i + 1))
done
