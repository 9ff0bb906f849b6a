#!/bin/sh
# make fuzz: builds every tests/fuzz/fuzz_*.c as a libFuzzer binary in
# build-fuzz/ (the target plus every src/**/*.c except src/main.c, with ASan
# and UBSan) and runs each for FUZZ_SECONDS on a copy of
# tests/fuzz/corpus/<name without fuzz_>/ kept in build-fuzz/corpus/, so the
# repo corpus is never touched. Crash inputs go to build-fuzz/artifacts/.
# FUZZ_SECONDS=0 only replays the corpus; arguments (e.g. `sanitize`) limit
# the run to those targets. Exits non-zero if a target fails to build or
# crashes.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
PKGS=${PKGS:-}
CC=${FUZZ_CC:-clang}
OUT=build-fuzz
JOBS=$(nproc 2>/dev/null || echo 2)

PKG_CFLAGS= PKG_LIBS=
if [ -n "$PKGS" ]; then
	PKG_CFLAGS=$(pkg-config --cflags $PKGS) || exit 1
	PKG_LIBS=$(pkg-config --libs $PKGS) || exit 1
fi
VERSION=$(cat VERSION 2>/dev/null || echo 0.1.0)
DEFS="-DAIWB_VERSION=\"$VERSION\" -DAIWB_SHAREDIR=\"${PREFIX:-/usr/local}/share/aiwb\""
SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined'
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $SAN -Isrc -Iui $DEFS $PKG_CFLAGS"

if [ $# -gt 0 ]; then
	targets=$(for n in "$@"; do echo "tests/fuzz/fuzz_${n#fuzz_}.c"; done)
else
	targets=$(ls tests/fuzz/fuzz_*.c 2>/dev/null)
fi
if [ -z "$targets" ]; then
	echo "no fuzz targets in tests/fuzz" >&2
	exit 0
fi

mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts"
srcs=$(find src -name '*.c' ! -path src/main.c | sort)
export CC OUT
export FUZZ_OBJ_CFLAGS="$CFLAGS -fsanitize=fuzzer-no-link"
if ! printf '%s\n' $srcs | xargs -P "$JOBS" -n 1 sh -c '
	o="$OUT/obj/${1%.c}.o"
	mkdir -p "${o%/*}" && $CC $FUZZ_OBJ_CFLAGS -c -o "$o" "$1"' sh; then
	echo "fuzz: the core sources do not build" >&2
	exit 1
fi
objs=$(for f in $srcs; do printf '%s ' "$OUT/obj/${f%.c}.o"; done)

failed=0
for t in $targets; do
	name=$(basename "$t" .c)
	corpus="$OUT/corpus/${name#fuzz_}"
	log="$OUT/$name.log"
	if ! $CC $CFLAGS -fsanitize=fuzzer -o "$OUT/$name" "$t" $objs $PKG_LIBS -lm; then
		printf '%-28s FAILED (build)\n' "$name"
		failed=1
		continue
	fi
	mkdir -p "$corpus"
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	[ -d "$seeds" ] && cp -R "$seeds/." "$corpus/"
	set -- -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$name-"
	if [ "$FUZZ_SECONDS" -gt 0 ]; then
		set -- "$@" -max_total_time="$FUZZ_SECONDS"
	else
		set -- "$@" -runs=0
	fi
	[ -f "tests/fuzz/$name.dict" ] && set -- "$@" -dict="tests/fuzz/$name.dict"
	"$OUT/$name" "$@" "$corpus" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		printf '%-28s ok (%s execs in %ss, corpus %s files)\n' "$name" \
			"${execs:-?}" "${secs:-$FUZZ_SECONDS}" "$(ls "$corpus" | wc -l)"
	else
		printf '%-28s FAILED (exit %d, log %s)\n' "$name" "$rc" "$log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|artifact_prefix|Test unit written)' "$log" |
			head -n 10 | sed 's/^/    /'
		failed=1
	fi
done
exit "$failed"
