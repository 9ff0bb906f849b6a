# aiwb kb sync --watch: in the foreground, a new file (also in a new
# directory) is added and a deleted one removed without another command, and
# Ctrl-C (SIGINT) ends it with exit 0. Waits poll with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
T=$E2E_TMP/tree
mkdir -p "$T/sub"
printf 'first file about apples\n' >"$T/a.txt"
"$A" kb create w >/dev/null 2>&1
"$A" kb add w "$T" >/dev/null 2>&1
"$A" kb sync w --watch >"$E2E_TMP/watch.out" 2>"$E2E_TMP/watch.err" </dev/null &
pid=$!

# wait_for DESC CMD...: polls CMD for 15 s.
wait_for() {
	_d=$1
	shift
	_end=$(($(e2e_now) + 15))
	while [ "$(e2e_now)" -le "$_end" ]; do
		if "$@"; then
			ok "$_d"
			return 0
		fi
		sleep 0.1
	done
	fail "$_d" "$(cat "$E2E_TMP/watch.out" "$E2E_TMP/watch.err")"
}
watching() { grep -q '^watching ' "$E2E_TMP/watch.out"; }
has_doc() { "$A" kb docs w 2>/dev/null | grep -q "$1"; }
lacks_doc() { ! has_doc "$1"; }
watching_n() { [ "$(grep -c '^watching ' "$E2E_TMP/watch.out")" -ge "$1" ]; }

wait_for "the watch starts" watching
printf 'bananas in a new directory\n' >"$T/sub/b.txt"
wait_for "a new file is added" has_doc 'sub/b.txt'
wait_for "the watch re-arms after a sync" watching_n 2
mkdir "$T/new"
wait_for "a new directory is watched after its sync" watching_n 3
printf 'cherries\n' >"$T/new/c.txt"
wait_for "a file in a new directory is added" has_doc 'new/c.txt'
rm "$T/a.txt"
wait_for "a deleted file is removed" lacks_doc 'a.txt'
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ]; then ok "Ctrl-C ends the watch with exit 0"; else fail "watch exit" "exit $rc" "$(cat "$E2E_TMP/watch.err")"; fi
"$A" kb search w cherries --json >"$E2E_TMP/out" 2>&1
check "the watched KB is searchable" e2e_json "$E2E_TMP/out" 'len(d["results"]) == 1'
e2e_done
