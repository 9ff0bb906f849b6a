#!/bin/sh
# Runs every test: cmocka unit tests, fuzz-corpus replays, end-to-end scripts.
# Each prints TAP lines; this counts them and ends with "N passed, N failed".
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export AIWB_BIN="$ROOT/aiwb" AIWB_ROOT="$ROOT" AIWB_BUILD="$ROOT/$BUILD"
export LC_ALL=C.UTF-8 TZ=UTC CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset AIWB_HOME AIWB_CONFIG
pass=0 fail=0
log=$(mktemp)
failed_names=""

run_one() { # name, command...
	name=$1; shift
	out=$(mktemp)
	"$@" >"$out" 2>&1
	rc=$?
	p=$(grep -c -e '^ok ' -e '^not ok .*# *SKIP' "$out")
	f=$(grep '^not ok ' "$out" | grep -vc '# *SKIP')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)); fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		failed_names="$failed_names $name"
		{ echo "=== $name (exit $rc)"; cat "$out"; } >>"$log"
		printf '%-28s %4d passed, %d FAILED\n' "$name" "$p" "$f"
	else
		printf '%-28s %4d passed\n' "$name" "$p"
	fi
	rm -f "$out"
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for r in "$BUILD"/fuzz/*-replay; do
	[ -x "$r" ] || continue
	n=$(basename "$r" -replay)
	run_one "fuzz-replay/$n" "$r" "tests/fuzz/corpus/${n#fuzz_}"
done
for e in tests/e2e/*.sh; do
	[ -f "$e" ] || continue
	run_one "e2e/$(basename "$e" .sh)" sh "$e"
done

if [ "$fail" -gt 0 ]; then
	echo
	cat "$log"
	echo "failed:$failed_names"
fi
rm -f "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
