# Faults around storing and printing work: a failure to store a run is never
# silent (a 2 MB tmpfs data home that fills up during an experiment, an ask
# and a compare; a case whose insert fails), a reader that stops
# (`ask | head -c1`), standard output on /dev/full for every printing command,
# SIGHUP and SIGTERM during ask and experiment, history read while another
# process holds a write transaction, from a read-only file system and at an
# older schema; the documented schema number is the one doctor reports.
# Each check names what it proves; the database is read back with Python.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
T=$E2E_TMP
out=$T/out
err=$T/err
MOUNTS=
# tmpfs mounts of this test are undone before the temp dir goes.
fs_cleanup() {
	for _m in $MOUNTS; do umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null; done
	e2e_cleanup
}
trap fs_cleanup EXIT

if ! fake_start llm --max-seconds 300; then
	fail "the fake server starts" "$(cat "$T/llm.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
fake_env "$URL"
export OPENAI_API_KEY=sk-faults-store ANTHROPIC_API_KEY=sk-ant-faults-store
MODEL=openai/gpt-4o-mini

what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -c 2000 "$out")" "$(head -c 2000 "$err")"
}

# sqlv DB QUERY: the first value of QUERY on DB, opened read-only.
sqlv() {
	"$E2E_PY" -c 'import sqlite3,sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
r = c.execute(sys.argv[2]).fetchone()
print(r[0] if r else "")' "$1" "$2" 2>&1
}

# requests: how many chat requests the fake has answered so far.
requests() {
	grep -c '"route":"openai.chat"' "$T/llm.log" 2>/dev/null || echo 0
}

# wait_for SECS CMD...: polls CMD every 50 ms until it succeeds or SECS pass.
wait_for() {
	_n=$(($1 * 20))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		_n=$((_n - 1))
		sleep 0.05
	done
	return 1
}

# tmpfs_mount DIR SIZE: a tmpfs of SIZE at DIR; 1 with the reason in MOUNT_WHY.
tmpfs_mount() {
	mkdir -p "$1"
	if MOUNT_WHY=$(mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>&1); then
		MOUNTS="$1 $MOUNTS"
		return 0
	fi
	MOUNT_WHY="cannot mount a tmpfs (${MOUNT_WHY:-not permitted}; needs root)"
	return 1
}

# fill DIR [KEEP_KB]: fills the file system of DIR, then frees KEEP_KB.
fill() {
	dd if=/dev/zero of="$1/filler" bs=4096 2>/dev/null
	[ "${2:-0}" -gt 0 ] && truncate -s "-${2}K" "$1/filler"
	sync
}

mkdir -p "$T/x"
{
	echo name
	i=0
	while [ $i -lt 400 ]; do echo "person$i"; i=$((i + 1)); done
} >"$T/x/rows.csv"
cat >"$T/x/many.yaml" <<YAML
name: many rows
prompt: "Say hello to {{name}}, please, with a few more words to store"
models: [$MODEL]
dataset: rows.csv
concurrency: 4
assert:
  - contains: Hello
YAML

# ---------------------------------------------------------------- the documented schema

"$A" ask -m "$MODEL" "first run" >/dev/null 2>"$err"
"$A" doctor --json >"$out" 2>"$err"
RC=$?
doc_schema=$(sed -n 's/^Schema \([0-9][0-9]*\):.*/\1/p' docs/data.md)
if [ -n "$doc_schema" ] && e2e_json "$out" "d['database']['schema'] == $doc_schema"; then
	ok "docs/data.md documents the schema doctor reports ($doc_schema)"
else
	fail "docs/data.md documents the schema doctor reports" "docs/data.md: '${doc_schema}'" "$(what)"
fi

# ---------------------------------------------------------------- standard output on /dev/full

mkdir -p "$T/tpl"
printf 'Hello {{who}}\n' >"$T/tpl/bare.mustache"
printf 'name\nworld\n' >"$T/x/one.csv"
cat >"$T/x/one.yaml" <<YAML
name: one row
prompt: "Say hello to {{name}}"
models: [$MODEL]
dataset: one.csv
YAML
"$A" experiment run "$T/x/one.yaml" >/dev/null 2>&1
exp_id=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT max(id) FROM experiments")
runs_before=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
for cmd in "ask -m $MODEL hello" "ask --json -m $MODEL hello" "compare -m $MODEL -m anthropic/claude-3-5-haiku-latest hello" \
	"history" "history --json" "history show 1" "experiment run $T/x/one.yaml" "experiment show $exp_id" \
	"experiment ls" "prompt render $T/tpl/bare.mustache --var who=you" "prompt ls" "doctor" "doctor --json" \
	"models --provider openai" "--version" "history --help"; do
	# shellcheck disable=SC2086
	"$A" $cmd </dev/null >/dev/full 2>"$err"
	RC=$?
	if [ "$RC" = 1 ] && grep -q "writing to standard output failed" "$err" &&
		[ "$(grep -c 'standard output' "$err")" = 1 ]; then
		ok "aiwb $cmd >/dev/full: exit 1 and one sentence naming the failed write"
	else
		fail "aiwb $cmd >/dev/full: exit 1 and one sentence naming the failed write" "$(what)"
	fi
done
runs_after=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
check "the runs behind /dev/full were still saved (ask x2, compare x2, experiment)" [ "$runs_after" -eq $((runs_before + 5)) ]

# ---------------------------------------------------------------- a reader that stops: ask | head -c1

before=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
{
	"$A" ask -m openai/slow-60 "count slowly" 2>"$err"
	echo $? >"$T/pipe.rc"
} | head -c1 >"$out"
RC=$(cat "$T/pipe.rc")
if [ "$RC" = 1 ] && grep -q "standard output was closed" "$err"; then
	ok "ask | head -c1: not killed by SIGPIPE; exit 1 with one sentence about the closed output"
else
	fail "ask | head -c1: not killed by SIGPIPE; exit 1 with one sentence about the closed output" "$(what)"
fi
id=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT max(id) FROM runs")
st=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT json_extract(metrics, '\$.status') || ':' || json_extract(metrics, '\$.error') FROM runs WHERE id = $id")
after=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
case "$after:$st" in
"$((before + 1)):cancelled:stopped: standard output was closed by its reader after "*)
	ok "ask | head -c1: the run is saved as cancelled, saying its reader went away" ;;
*) fail "ask | head -c1: the run is saved as cancelled, saying its reader went away" "runs $before -> $after, last: $st" ;;
esac

before=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
{
	"$A" ask -m openai/slow-60 -t multi-step "write a haiku" 2>"$err"
	echo $? >"$T/pipe.rc"
} | head -c1 >"$out"
RC=$(cat "$T/pipe.rc")
after=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
st=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT json_extract(metrics, '\$.status') FROM runs WHERE id = (SELECT max(id) FROM runs)")
if [ "$RC" = 1 ] && [ "$after" -eq $((before + 1)) ] && [ "$st" = cancelled ]; then
	ok "ask -t multi-step | head -c1: exit 1, the first step saved as cancelled, no later step started"
else
	fail "ask -t multi-step | head -c1: exit 1, the first step saved as cancelled, no later step started" "$(what)" "runs $before -> $after, status $st"
fi

# ---------------------------------------------------------------- SIGHUP and SIGTERM

# sig_ask SIG WANT: ask streams slowly to a file; SIG once text arrived.
sig_ask() {
	before=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
	: >"$out"
	"$A" ask -m openai/slow-100 "wait for $1" >"$out" 2>"$err" </dev/null &
	pid=$!
	wait_for 10 test -s "$out"
	kill "-$1" "$pid"
	wait "$pid"
	RC=$?
	after=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
	st=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT json_extract(metrics, '\$.status') FROM runs WHERE id = (SELECT max(id) FROM runs)")
	if [ "$RC" = "$2" ] && [ "$after" -eq $((before + 1)) ] && [ "$st" = cancelled ] &&
		grep -q "kept in history" "$err"; then
		ok "SIG$1 during ask: exit $2, the partial run saved as cancelled"
	else
		fail "SIG$1 during ask: exit $2, the partial run saved as cancelled" "$(what)" "runs $before -> $after, status $st"
	fi
}
sig_ask HUP 129
sig_ask TERM 143

"$A" experiment run "$T/x/many.yaml" --concurrency 2 >"$out" 2>"$err" </dev/null &
pid=$!
wait_for 10 grep -q '^\[1/' "$err"
kill -HUP "$pid"
wait "$pid"
RC=$?
xid=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT max(id) FROM experiments")
xst=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT status || ':' || json_extract(spec, '\$.reason') FROM experiments WHERE id = $xid")
if [ "$RC" = 129 ] && [ "$xst" = "interrupted:stopped by a signal (Hangup)" ] && grep -q "interrupted" "$err"; then
	ok "SIGHUP during experiment run: exit 129, the experiment marked interrupted with the reason"
else
	fail "SIGHUP during experiment run: exit 129, the experiment marked interrupted with the reason" "$(what)" "status: $xst"
fi

# ---------------------------------------------------------------- a run and its case are stored together

# A trigger makes every case insert fail after its run was inserted: the state
# a SIGKILL between two separate inserts would leave.
cp "$AIWB_HOME/aiwb.db" "$T/saved.db"
"$E2E_PY" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TRIGGER no_cases BEFORE INSERT ON experiment_cases BEGIN SELECT RAISE(ABORT, \"injected failure\"); END")
c.commit()' "$AIWB_HOME/aiwb.db"
runs_before=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
reqs_before=$(requests)
"$A" experiment run "$T/x/many.yaml" >"$out" 2>"$err" </dev/null
RC=$?
runs_after=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT count(*) FROM runs")
reqs=$(($(requests) - reqs_before))
xst=$(sqlv "$AIWB_HOME/aiwb.db" "SELECT status || ':' || json_extract(spec, '\$.reason') FROM experiments WHERE id = (SELECT max(id) FROM experiments)")
check "a case that cannot be stored leaves no history run without its case" [ "$runs_after" -eq "$runs_before" ]
if [ "$RC" = 1 ] && [ "$reqs" -le 5 ] && grep -q "could not be stored" "$err"; then
	ok "a case that cannot be stored stops the experiment at once (exit 1, $reqs of 400 calls made)"
else
	fail "a case that cannot be stored stops the experiment at once" "$(what)" "calls made: $reqs"
fi
case "$xst" in
failed:case*"could not be stored"*"injected failure"*) ok "the experiment is marked failed with the reason" ;;
*) fail "the experiment is marked failed with the reason" "status: $xst" ;;
esac
"$A" experiment show "$(sqlv "$AIWB_HOME/aiwb.db" "SELECT max(id) FROM experiments")" >"$out" 2>"$err"
RC=$?
if [ "$RC" = 1 ] && grep -q "(failed): .*; case .* could not be stored" "$out"; then
	ok "experiment show prints the failed status and its reason, exit 1"
else
	fail "experiment show prints the failed status and its reason, exit 1" "$(what)"
fi
cp "$T/saved.db" "$AIWB_HOME/aiwb.db"
rm -f "$AIWB_HOME/aiwb.db-wal" "$AIWB_HOME/aiwb.db-shm"

# ---------------------------------------------------------------- history beside a writer

"$E2E_PY" - "$AIWB_HOME/aiwb.db" "$T/held" "$T/release" >"$T/holder.out" 2>&1 <<'EOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO meta(key, value) VALUES ('held', 'by another process')")
open(sys.argv[2], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
c.execute("ROLLBACK")
EOF
holder=$!
FAKE_PIDS="$FAKE_PIDS $holder"
if wait_for 10 test -e "$T/held"; then
	for cmd in "history" "history --json" "history show 1" "history hello" "experiment ls" "experiment show $exp_id"; do
		# shellcheck disable=SC2086
		"$A" $cmd >"$out" 2>"$err" </dev/null
		RC=$?
		if [ "$RC" = 0 ] && [ ! -s "$err" ]; then
			ok "aiwb $cmd reads while another process holds a write transaction"
		else
			fail "aiwb $cmd reads while another process holds a write transaction" "$(what)"
		fi
	done
else
	fail "a second process holds a write transaction" "$(cat "$T/holder.out")"
fi
touch "$T/release"
wait "$holder"

# ---------------------------------------------------------------- an older schema, read as it is

mkdir -p "$T/old"
cp "$AIWB_HOME/aiwb.db" "$T/old/aiwb.db"
"$E2E_PY" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
c.executescript("DROP TABLE experiment_cases; DROP TABLE experiments; PRAGMA user_version = 2;")
c.close()' "$T/old/aiwb.db"
sha=$(e2e_sha "$T/old/aiwb.db")
AIWB_HOME=$T/old "$A" history -n 10000 >"$out" 2>"$err"
RC=$?
if [ "$RC" = 0 ] && grep -q "first run" "$out"; then
	ok "history reads a schema-2 database"
else
	fail "history reads a schema-2 database" "$(what)"
fi
AIWB_HOME=$T/old "$A" experiment ls >"$out" 2>"$err"
RC=$?
if [ "$RC" = 1 ] && grep -q "older aiwb (schema 2" "$err" && [ "$(wc -l <"$err")" = 1 ]; then
	ok "experiment ls on a schema-2 database: one sentence saying it is older and how to upgrade"
else
	fail "experiment ls on a schema-2 database: one sentence saying it is older and how to upgrade" "$(what)"
fi
check "reading a schema-2 database changes none of its bytes" [ "$(e2e_sha "$T/old/aiwb.db")" = "$sha" ]

# ---------------------------------------------------------------- a read-only file system

RO=$T/ro
if tmpfs_mount "$RO" 4m; then
	mkdir -p "$RO/clean" "$RO/wal" "$RO/odd ?#%25 name"
	cp "$AIWB_HOME/aiwb.db" "$RO/clean/aiwb.db"
	cp "$AIWB_HOME/aiwb.db" "$RO/odd ?#%25 name/aiwb.db"
	# a database caught with its write-ahead log: the newest run lives only in the -wal
	"$E2E_PY" -c 'import shutil,sqlite3,sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA wal_autocheckpoint = 0")
c.execute("INSERT INTO runs (created_ms, kind, model, prompt, output, metrics) VALUES (1, \"ask\", \"openai/x\", \"only in the wal\", \"walrus\", \"{}\")")
c.commit()
for s in ("", "-wal", "-shm"):
    shutil.copyfile(sys.argv[1] + s, sys.argv[2] + s)
c.close()' "$AIWB_HOME/aiwb.db" "$RO/wal/aiwb.db"
	if mount -o remount,ro "$RO" 2>"$err"; then
		for cmd in "history" "history show 1" "history hello" "experiment ls" "experiment show $exp_id"; do
			# shellcheck disable=SC2086
			AIWB_HOME=$RO/clean "$A" $cmd >"$out" 2>"$err" </dev/null
			RC=$?
			if [ "$RC" = 0 ] && [ ! -s "$err" ]; then
				ok "aiwb $cmd reads a database on a read-only file system"
			else
				fail "aiwb $cmd reads a database on a read-only file system" "$(what)"
			fi
		done
		AIWB_HOME="$RO/odd ?#%25 name" "$A" history --json >"$out" 2>"$err" </dev/null
		RC=$?
		if [ "$RC" = 0 ] && e2e_json "$out" "d['total'] > 1"; then
			ok "history reads it there from a directory named with a space, ?, # and %"
		else
			fail "history reads it there from a directory named with a space, ?, # and %" "$(what)"
		fi
		AIWB_HOME=$RO/clean "$A" doctor --json >"$out" 2>"$err" </dev/null
		RC=$?
		if e2e_json "$out" "d['database']['schema'] > 0 and d['database']['runs'] > 0 and 'problem' not in d['database'] and not d['data_home']['writable']"; then
			ok "doctor on a read-only file system reads the database (and says the data home is not writable)"
		else
			fail "doctor on a read-only file system reads the database (and says the data home is not writable)" "$(what)"
		fi
		AIWB_HOME=$RO/wal "$A" history walrus --json >"$out" 2>"$err" </dev/null
		RC=$?
		if [ "$RC" = 0 ] && e2e_json "$out" "d['total'] == 1 and d['runs'][0]['prompt'] == 'only in the wal'"; then
			ok "history on a read-only file system sees the runs still in the -wal"
		else
			fail "history on a read-only file system sees the runs still in the -wal" "$(what)"
		fi
	else
		fail "remount the tmpfs read-only" "$(cat "$err")"
	fi
else
	ok "history on a read-only file system # SKIP $MOUNT_WHY"
fi

# ---------------------------------------------------------------- a 2 MB data home that fills up

FULL=$T/full
if tmpfs_mount "$FULL" 2m; then
	export AIWB_HOME=$FULL/data
	"$A" ask -m "$MODEL" "before the disk fills" >/dev/null 2>"$err"
	DB=$AIWB_HOME/aiwb.db
	fill "$FULL" 96
	reqs_before=$(requests)
	"$A" experiment run "$T/x/many.yaml" >"$out" 2>"$err" </dev/null
	RC=$?
	reqs=$(($(requests) - reqs_before))
	cases=$(sqlv "$DB" "SELECT count(*) FROM experiment_cases")
	xst=$(sqlv "$DB" "SELECT status || ':' || json_extract(spec, '\$.reason') FROM experiments WHERE id = (SELECT max(id) FROM experiments)")
	orphans=$(sqlv "$DB" "SELECT count(*) FROM runs r WHERE kind = 'experiment' AND NOT EXISTS (SELECT 1 FROM experiment_cases c WHERE c.run_id = r.id)")
	if [ "$RC" = 1 ] && grep -q "stopped after .* could not be stored: cannot write to .*the disk is full" "$err"; then
		ok "a full disk stops experiment run with exit 1 and one sentence naming the full disk"
	else
		fail "a full disk stops experiment run with exit 1 and one sentence naming the full disk" "$(what)"
	fi
	if [ "$cases" -gt 0 ] && [ "$reqs" -le $((cases + 6)) ]; then
		ok "no call is paid for once a case cannot be stored ($cases stored, $reqs of 400 calls)"
	else
		fail "no call is paid for once a case cannot be stored" "$cases cases stored, $reqs calls made"
	fi
	case "$xst" in
	failed:*"disk is full"*) ok "the experiment is marked failed, the reason naming the full disk" ;;
	*) fail "the experiment is marked failed, the reason naming the full disk" "status: $xst" ;;
	esac
	check "on a full disk every stored experiment run has its case" [ "$orphans" = 0 ]

	fill "$FULL"
	before=$(sqlv "$DB" "SELECT count(*) FROM runs")
	"$A" ask -m "$MODEL" "on a full disk" >"$out" 2>"$err" </dev/null
	RC=$?
	if [ "$RC" = 1 ] && grep -q "^Hello from the fake OpenAI" "$out" && [ "$(wc -l <"$err")" = 1 ] &&
		grep -q "not saved to the history" "$err"; then
		ok "ask on a full disk prints the answer, then one sentence that it was not saved; exit 1"
	else
		fail "ask on a full disk prints the answer, then one sentence that it was not saved; exit 1" "$(what)"
	fi
	"$A" compare -m "$MODEL" -m anthropic/claude-3-5-haiku-latest "on a full disk" >"$out" 2>"$err" </dev/null
	RC=$?
	if [ "$RC" = 1 ] && grep -q "Hello from the fake Anthropic" "$out" && grep -q "not saved to the history" "$err"; then
		ok "compare on a full disk prints the answers and says they were not saved; exit 1"
	else
		fail "compare on a full disk prints the answers and says they were not saved; exit 1" "$(what)"
	fi
	check "nothing was half-saved on the full disk" [ "$(sqlv "$DB" "SELECT count(*) FROM runs")" = "$before" ]
else
	ok "a full data home during experiment, ask and compare # SKIP $MOUNT_WHY"
fi

e2e_done
