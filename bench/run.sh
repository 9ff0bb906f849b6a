#!/bin/sh
# make bench: start-up and idle figures of the workbench, each beside its reference.
#   first paint  = fork to exit of `aiwb --frames 1` on a 100x30 pty (start, open
#                  config, data home and database, draw one full frame, restore
#                  the terminal), median of RUNS; reference: ncurses_floor, the
#                  least a curses program can do to paint four boxed windows.
#   peak RSS     = ru_maxrss of those runs (median).
#   idle         = context switches (wakeups) per second and CPU of an idle
#                  workbench over IDLE seconds after its first paint.
set -eu
BUILD=${BUILD:-build}
RUNS=${RUNS:-30}
IDLE=${IDLE:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/$BUILD/bench
AIWB=$ROOT/aiwb
export TERM=xterm-256color LC_ALL=C.UTF-8 TZ=UTC
unset NO_COLOR AIWB_CONFIG
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
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

idle=$(AIWB_HOME=$tmp/full "$B/tty_bench" idle "$IDLE" "$AIWB")

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
printf '\n%-44s %s\n' "idle workbench over ${IDLE}s" "$(field "$idle" wakeups_per_s) wakeups/s, $(field "$idle" cpu_percent)% CPU"
echo "targets: first paint < 30 ms, RSS < 12 MB, idle <= 2 wakeups/s"
