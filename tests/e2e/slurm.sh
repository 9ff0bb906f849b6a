# aiwb jobs with the Slurm source. Without a cluster: a Slurm that does not
# answer shows as a source that is down, without hiding the local jobs. With a
# real single-node Slurm (tests/slurm/up.sh; SKIP with the reason where it
# cannot start): a submitted job goes queued -> running -> completed with its
# metrics parsed from its StdOut file as it runs; a job exiting 3 is failed
# with exit 3; scancel shows stopped; a pending job shows its reason.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
. "$(dirname "$0")/../slurm/e2e.sh"

# ------------------------------------------------------------------ a Slurm that does not answer
mkdir -p "$E2E_TMP/fakebin"
cat >"$E2E_TMP/fakebin/squeue" <<'SH'
#!/bin/sh
echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2
exit 1
SH
chmod +x "$E2E_TMP/fakebin/squeue"
"$A" jobs run -f -- true >/dev/null 2>&1
PATH="$E2E_TMP/fakebin:$PATH" run jobs ls
if [ $RC = 0 ] && grep -q '^local:1 ' "$out" && grep -q 'Slurm source is down (squeue failed: slurm_load_jobs error: Unable to contact' "$err"
then ok "a Slurm that does not answer is shown as down; local jobs still listed"
else fail "Slurm down" "$(what)"; fi
PATH="$E2E_TMP/fakebin:$PATH" run jobs ls --json
check "ls --json: the slurm source is down with its error, local up" e2e_json "$out" \
	'{s["name"]: s["state"] for s in d["sources"]} == {"local": "up", "drift": "up", "slurm": "down"} and "connect failure" in [s for s in d["sources"] if s["name"] == "slurm"][0]["error"] and len(d["jobs"]) == 1'
AIWB_SLURM=off PATH="$E2E_TMP/fakebin:$PATH" run jobs ls --json
check "AIWB_SLURM=off: no Slurm source" e2e_json "$out" '[s["name"] for s in d["sources"]] == ["local", "drift"]'
run jobs submit --slurm
if [ $RC = 2 ] && grep -q 'needs a command' "$err"; then ok "submit without a command: usage error"; else fail "submit usage" "$(what)"; fi
run jobs submit -- true
if [ $RC = 2 ] && grep -q -- '--slurm' "$err"; then ok "submit without --slurm: usage error"; else fail "submit without --slurm" "$(what)"; fi

# ------------------------------------------------------------------ a real Slurm
if [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; then
	: # a cluster started by tests/slurm/up.sh is up: use it, leave it running
else
	up=$(sh tests/slurm/up.sh 2>&1)
	urc=$?
	if [ $urc = 3 ]; then
		echo "ok $((E2E_N + 1)) - real Slurm # SKIP ${up#SKIP: }"
		E2E_N=$((E2E_N + 1))
		e2e_done
		exit $?
	fi
	STARTED=1
	if [ $urc != 0 ]; then
		fail "a real single-node Slurm starts" "$up"
		e2e_done
		exit 1
	fi
fi
ok "a real single-node Slurm is up"

cat >"$W/train.sh" <<'SH'
#!/bin/sh
for i in 1 2 3 4 5 6; do echo "step=$i loss=0.$i"; sleep 0.5; done
SH
run jobs submit --slurm --name e2e-train --cwd "$W" --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' -- sh train.sh
T=$(head -1 "$out")
SUBMITTED="${T#slurm:}"
case "$T" in slurm:[0-9]*) ok "submit --slurm prints slurm:ID";; *) fail "submit --slurm" "$(what)";; esac
seen=
poll_states() {
	"$A" jobs show "$T" --json >"$E2E_TMP/s.json" 2>/dev/null || return 1
	st=$("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$E2E_TMP/s.json")
	case " $seen " in *" $st "*) ;; *) seen="$seen $st";; esac
	[ "$st" = completed ] && return 0
	case "$st" in failed|stopped|timeout|lost|unknown) return 0;; esac
	# a point parsed while it runs
	[ "$st" = running ] && e2e_json "$E2E_TMP/s.json" '"loss" in d["metrics"]' && mid=yes
	return 1
}
mid=
wait_until 60 poll_states
case "$seen" in
*queued*running*completed*) ok "states seen in order:$seen";;
*running*completed*) ok "states seen in order:$seen (queued too short to see)";;
*) fail "queued -> running -> completed" "seen:$seen";;
esac
if [ "$mid" = yes ]; then ok "metrics parsed from the StdOut file while the job ran"; else fail "metrics while running" "seen:$seen"; fi
"$A" jobs metrics "$T" --json >"$E2E_TMP/m.json" 2>"$err"
check "all 6 loss points with their steps" e2e_json "$E2E_TMP/m.json" '[p["step"] for p in d["metrics"]["loss"]] == [1, 2, 3, 4, 5, 6]'
check "completed with exit 0 and the expanded log path" show_is "$T" \
	'd["status"] == "completed" and d["exit_code"] == 0 and d["log"] == "'"$W"'/slurm-'"${T#slurm:}"'.out" and d["raw_state"] == "COMPLETED"'

run jobs submit --slurm --name e2e-exit3 --cwd "$W" -- sh -c 'echo bye; exit 3'
F=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${F#slurm:}"
wait_until 30 show_is "$F" 'd["status"] == "failed"'
check "a job exiting 3 is failed with exit 3 (raw wait status 768)" show_is "$F" \
	'd["status"] == "failed" and d["exit_code"] == 3 and d["signal"] is None and d["raw_state"] == "FAILED"'

# fill both CPUs, then one more waits with its reason
ids=
for n in 1 2 3; do
	run jobs submit --slurm --name "e2e-sleep$n" --cwd "$W" -- sleep 120
	ids="$ids $(head -1 "$out")"
	SUBMITTED="$SUBMITTED ${ids##*slurm:}"
done
set -- $ids
wait_until 30 show_is "$1" 'd["status"] == "running"'
wait_until 30 show_is "$2" 'd["status"] == "running"'
if wait_until 30 show_is "$3" 'd["status"] == "queued" and d["reason"] in ("waiting: Resources", "waiting: Priority")'; then
	ok "a pending job shows queued with its reason ($(e2e_json "$E2E_TMP/show.json" 'True' && "$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"])' "$E2E_TMP/show.json"))"
else fail "pending reason" "$(cat "$E2E_TMP/show.json")"; fi
run jobs stop "$1"
if [ $RC = 0 ] && wait_until 30 show_is "$1" 'd["status"] == "stopped" and d["raw_state"] == "CANCELLED"'; then ok "scancel through jobs stop: stopped"
else fail "jobs stop of a Slurm job" "$(what) $(cat "$E2E_TMP/show.json")"; fi
run jobs ls --source slurm --json
check "ls --source slurm lists only Slurm jobs, the source up" e2e_json "$out" \
	'all(j["source"] == "slurm" for j in d["jobs"]) and len(d["jobs"]) >= 5 and [s["state"] for s in d["sources"] if s["name"] == "slurm"] == ["up"]'
"$A" jobs stop "$2" >/dev/null 2>&1
"$A" jobs stop "$3" >/dev/null 2>&1
wait_until 30 show_is "$3" 'd["status"] == "stopped"'
check "a job stopped while pending is stopped" show_is "$3" 'd["status"] == "stopped"'

# ------------------------------------------------------------------ arrays
cat >"$W/task.sh" <<'SH'
#!/bin/sh
for i in 1 2 3; do echo "step=$i loss=$SLURM_ARRAY_TASK_ID.$i"; sleep 0.3; done
SH
run jobs submit --slurm --name e2e-arr --array 0-3 --cwd "$W" --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' -- sh task.sh
ARR=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${ARR#slurm:}"
case "$ARR" in slurm:[0-9]*) ok "submit --array prints the array's id ($ARR)";; *) fail "submit --array" "$(what)";; esac
wait_until 60 show_is "$ARR" 'd["status"] == "completed"'
check "the array is one row, completed, with its 4 tasks" show_is "$ARR" \
	'd["status"] == "completed" and d["info"]["array"]["tasks"] == 4 and d["info"]["array"]["counts"] == {"completed": 4} and d["tasks"] == ["'"$ARR"'_0", "'"$ARR"'_1", "'"$ARR"'_2", "'"$ARR"'_3"]'
check "a task has the array as parent and its own log (%A_%a)" show_is "${ARR}_2" \
	'd["parent"] == "'"$ARR"'" and d["log"] == "'"$W"'/slurm-'"${ARR#slurm:}"'_2.out" and d["status"] == "completed"'
"$A" jobs metrics "${ARR}_3" --json >"$E2E_TMP/m.json" 2>"$err"
check "a task's metrics come from its own log" e2e_json "$E2E_TMP/m.json" '[p["value"] for p in d["metrics"]["loss"]] == [3.1, 3.2, 3.3]'
run jobs ls --source slurm
if grep -q "^$ARR " "$out" && grep "^$ARR " "$out" | grep -q '4 tasks: 4 completed' && ! grep -q "^${ARR}_" "$out"
then ok "jobs ls shows the array as one row with its task summary"; else fail "ls array row" "$(what)"; fi
run jobs ls --source slurm --tasks
if [ "$(grep -c "^${ARR}_[0-3] " "$out")" = 4 ]; then ok "jobs ls --tasks lists the tasks"; else fail "ls --tasks" "$(what)"; fi
run jobs show "$ARR"
if [ $RC = 0 ] && grep -q '^array: *4 tasks: 4 completed' "$out" && grep -q "^  ${ARR}_1 " "$out"
then ok "jobs show ARRAY lists its tasks"; else fail "show array" "$(what)"; fi
run jobs logs "$ARR"
if [ $RC = 1 ] && grep -q "is an array: each task has its own log" "$err"; then ok "jobs logs of an array points to its tasks"; else fail "logs of an array" "$(what)"; fi
run jobs logs "${ARR#slurm:}_1"
if [ $RC = 0 ] && grep -q 'loss=1.3' "$out"; then ok "a task id without its source works (logs ${ARR#slurm:}_1)"; else fail "logs of a task" "$(what)"; fi

# ------------------------------------------------------------------ an array whose tasks wait
# --array 1-6%1: one task at a time, so the others wait (JobArrayTaskLimit);
# each waiting task is a row of its own that becomes running in place.
cat >"$W/slow.sh" <<'SH'
#!/bin/sh
echo "task $SLURM_ARRAY_TASK_ID"
sleep 4
SH
run jobs submit --slurm --name e2e-wait --array 1-6%1 --cwd "$W" -- sh slow.sh
PA=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${PA#slurm:}"
P=${PA#slurm:}
wait_until 30 show_is "$PA" 'd["info"]["array"]["counts"].get("running") == 1'
check "the waiting array expands into all 6 tasks: one running, 5 queued rows" show_is "$PA" \
	'd["tasks"] == ["'"$PA"'_%d" % i for i in range(1, 7)] and d["info"]["array"]["tasks"] == 6 and d["info"]["array"]["counts"] == {"running": 1, "queued": 5} and d["status"] == "running"'
check "a waiting task: queued, PENDING, Slurm's reason, its %A_%a log, the array as parent" show_is "${PA}_5" \
	'd["status"] == "queued" and d["raw_state"] == "PENDING" and d["reason"].startswith("waiting: ") and d["log"] == "'"$W"'/slurm-'"$P"'_5.out" and d["parent"] == "'"$PA"'" and d["start_ms"] is None'
echo "# reason of a waiting task: $("$E2E_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["reason"])' "$E2E_TMP/show.json")"
run jobs ls --source slurm --tasks --json
check "jobs ls --tasks --json lists each task once" e2e_json "$out" \
	'sorted(j["source_id"] for j in d["jobs"] if j["source_id"].startswith("'"$P"'_")) == ["'"$P"'_%d" % i for i in range(1, 7)]'
run jobs ls --source slurm --tasks
if [ "$(grep -c "^${PA}_[1-6] " "$out")" = 6 ] && grep "^${PA}_6 " "$out" | grep -q queued; then ok "jobs ls --tasks shows the queued tasks"; else fail "ls --tasks queued" "$(what)"; fi
wait_until 40 show_is "${PA}_2" 'd["status"] == "completed"'
check "task 2 went queued -> running -> completed in its own row" show_is "${PA}_2" \
	'd["status"] == "completed" and [t["status"] for t in d["transitions"]][-3:] == ["queued", "running", "completed"] and d["info"]["job_id"] != '"$P"
wait_until 20 show_is "$PA" 'd["info"]["array"]["counts"].get("running") == 1'
run jobs ls --source slurm --tasks --json
check "no task twice while they move on" e2e_json "$out" \
	'sorted(j["source_id"] for j in d["jobs"] if j["source_id"].startswith("'"$P"'_")) == ["'"$P"'_%d" % i for i in range(1, 7)]'
run jobs stop "$PA"
if [ $RC = 0 ] && wait_until 30 show_is "$PA" 'd["status"] == "stopped"'; then ok "scancel of the array while tasks wait: the array is stopped"
else fail "stop a waiting array" "$(what) $(cat "$E2E_TMP/show.json")"; fi
check "its tasks that never started are stopped, cancelled before they started" show_is "${PA}_6" \
	'd["status"] == "stopped" and d["reason"] == "cancelled before it started" and d["start_ms"] is None'
run jobs ls --source slurm --tasks --json
check "none of the array's tasks stays queued" e2e_json "$out" \
	'[j["status"] for j in d["jobs"] if j["source_id"].startswith("'"$P"'_") and j["status"] not in ("completed", "stopped")] == [] and len([j for j in d["jobs"] if j["source_id"].startswith("'"$P"'_")]) == 6'

# ------------------------------------------------------------------ StdErr apart from StdOut
cat >"$W/twofiles.sh" <<'SH'
#!/bin/sh
for i in 1 2 3 4; do
	echo "out line $i"
	echo "{\"metric\": \"err_loss\", \"value\": 0.$i, \"step\": $i}" >&2
	sleep 0.6
done
echo "bye on stderr" >&2
SH
E=$(sbatch --parsable --job-name e2e-err --chdir "$W" -o "$W/o-%j.out" -e "$W/e-%x-%j.err" "$W/twofiles.sh")
SUBMITTED="$SUBMITTED $E"
listed_is() { "$A" jobs ls >/dev/null 2>&1; show_is "$@"; } # a job sbatch submitted: jobs ls finds it
wait_until 30 listed_is "slurm:$E" 'True'
"$A" jobs logs -f "slurm:$E" </dev/null >"$E2E_TMP/follow.out" 2>"$E2E_TMP/follow.err" &
FP=$!
wait_until 60 show_is "slurm:$E" 'd["status"] == "completed"'
wait_until 30 sh -c "! kill -0 $FP 2>/dev/null"
wait $FP
FRC=$?
check "a job with --error: both files named, its log the two merged" show_is "slurm:$E" \
	'd["info"]["std_err_path"] == "'"$W"'/e-e2e-err-'"$E"'.err" and d["info"]["std_out_path"] == "'"$W"'/o-'"$E"'.out" and d["log"].endswith("/jobs/slurm-logs/'"$E"'.log")'
run jobs logs "slurm:$E"
if [ $RC = 0 ] && [ "$(grep -c '^out line' "$out")" = 4 ] && [ "$(grep -c 'err_loss' "$out")" = 4 ] && grep -q '^bye on stderr$' "$out"
then ok "jobs logs prints StdOut's and StdErr's lines"; else fail "logs of a job with --error" "$(what)"; fi
if [ $FRC = 0 ] && grep -q '^out line 4$' "$E2E_TMP/follow.out" && grep -q '^bye on stderr$' "$E2E_TMP/follow.out" && grep -q '"step": 1}' "$E2E_TMP/follow.out"
then ok "jobs logs -f followed both files until the job ended"; else fail "logs -f with --error" "rc $FRC: $(cat "$E2E_TMP/follow.out" "$E2E_TMP/follow.err")"; fi
"$A" jobs metrics "slurm:$E" --json >"$E2E_TMP/m.json" 2>"$err"
check "metrics written on StdErr are parsed" e2e_json "$E2E_TMP/m.json" \
	'[(p["step"], p["value"]) for p in d["metrics"]["err_loss"]] == [(1, 0.1), (2, 0.2), (3, 0.3), (4, 0.4)]'

# ------------------------------------------------------------------ describe, --mine, --partition
check "jobs show describes through scontrol: partition, nodes, resources, expanded StdOut, time limit" show_is "$F" \
	'd["info"]["partition"] == "debug" and d["info"]["nodes"] == "localnode" and "cpu=" in d["info"]["tres"] and d["info"]["std_out_path"] == "'"$W"'/slurm-'"${F#slurm:}"'.out" and d["info"]["time_limit"] and d["info"]["user"] == "'"$(id -un)"'" and d["info"]["work_dir"] == "'"$W"'"'
run jobs show "$F"
if grep -q '^partition *debug' "$out" && grep -q '^resources *cpu=' "$out"; then ok "jobs show prints what Slurm says about the job"; else fail "show details" "$(what)"; fi
"$A" jobs run -f -- true >/dev/null 2>&1
run jobs ls --mine --json
check "ls --mine: my Slurm jobs and my local jobs" e2e_json "$out" \
	'len(d["jobs"]) >= 4 and any(j["source"] == "local" for j in d["jobs"]) and all(j["source"] != "slurm" or j["info"]["user"] == "'"$(id -un)"'" for j in d["jobs"])'
run jobs ls --partition debug --json
check "ls --partition debug: only Slurm jobs of that partition" e2e_json "$out" \
	'len(d["jobs"]) >= 4 and all(j["info"]["partition"] == "debug" for j in d["jobs"])'
run jobs ls --partition nosuch --json
check "ls --partition of another partition: none" e2e_json "$out" 'd["jobs"] == []'

# ------------------------------------------------------------------ resubmit
run jobs resubmit "$F"
R1=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${R1#slurm:}"
case "$R1" in slurm:[0-9]*) [ "$R1" != "$F" ] && ok "resubmit prints the new job's id ($R1)" || fail "resubmit id" "$(what)";; *) fail "resubmit" "$(what)";; esac
wait_until 30 show_is "$R1" 'd["status"] == "failed"'
check "the resubmitted script runs again (exit 3, same name, same work dir)" show_is "$R1" \
	'd["status"] == "failed" and d["exit_code"] == 3 and d["name"] == "e2e-exit3" and d["info"]["work_dir"] == "'"$W"'"'
cat >"$E2E_TMP/editor.sh" <<'SH'
#!/bin/sh
ls -l "$1" | cut -c1-10 >"${1%/*}/../mode.seen" 2>/dev/null || true
stat -c %a "$1" >"$E2E_EDIT_SEEN"
echo "$1" >>"$E2E_EDIT_SEEN"
sed -i 's/exit 3/exit 0/' "$1"
SH
chmod +x "$E2E_TMP/editor.sh"
E2E_EDIT_SEEN=$E2E_TMP/edit.seen EDITOR="$E2E_TMP/editor.sh" VISUAL= run jobs resubmit --edit "$F"
R2=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${R2#slurm:}"
wait_until 30 show_is "$R2" 'd["status"] == "completed"'
tmpf=$(sed -n 2p "$E2E_TMP/edit.seen")
if show_is "$R2" 'd["status"] == "completed" and d["exit_code"] == 0' && [ "$(head -1 "$E2E_TMP/edit.seen")" = 600 ] && [ ! -e "$tmpf" ]
then ok "resubmit --edit: the script edited in \$EDITOR (a 0600 file, removed after) runs"; else fail "resubmit --edit" "$(what) $(cat "$E2E_TMP/edit.seen")"; fi
EDITOR=false VISUAL= run jobs resubmit --edit "$F"
if [ $RC = 1 ] && grep -q 'editor did not exit cleanly' "$err"; then ok "an editor that fails submits nothing"; else fail "editor fails" "$(what)"; fi
run jobs resubmit local:1
if [ $RC = 1 ] && grep -q 'resubmitting local jobs is not available' "$err"; then ok "resubmit of a local job: a clear error"; else fail "resubmit local" "$(what)"; fi

# ------------------------------------------------------------------ a job Slurm forgot: sacct
run jobs submit --slurm --name e2e-gone --cwd "$W" -- sh -c 'sleep 1; exit 4'
G=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${G#slurm:}"
wait_until 30 sh -c '[ "$(squeue -h -t all -j '"${G#slurm:}"' -o %T)" = FAILED ]'
mkdir -p "$E2E_TMP/forgot"
cat >"$E2E_TMP/forgot/squeue" <<'SH'
#!/bin/sh
echo '{"meta":{},"errors":[],"jobs":[]}'
SH
chmod +x "$E2E_TMP/forgot/squeue"
PATH="$E2E_TMP/forgot:$PATH" run jobs ls --json
PATH="$E2E_TMP/forgot:$PATH" check "a job Slurm no longer lists gets its end from sacct -c (accounting storage is disabled here)" show_is "$G" \
	'd["status"] == "failed" and d["exit_code"] == 4 and d["raw_state"] == "FAILED" and d["info"]["final_from"] == "sacct -c" and d["end_ms"]'
run jobs submit --slurm --name e2e-gone2 --cwd "$W" -- sh -c 'sleep 1'
G2=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${G2#slurm:}"
wait_until 30 sh -c '[ "$(squeue -h -t all -j '"${G2#slurm:}"' -o %T)" = COMPLETED ]'
# where accounting storage is on, sacct -X -P -j answers (a stand-in prints what a slurmdbd cluster prints)
cat >"$E2E_TMP/forgot/sacct" <<SH
#!/bin/sh
echo "\$*" >"$E2E_TMP/sacct.args"
echo 'JobID|JobName|State|ExitCode|Submit|Start|End|NodeList|Partition|User'
echo '${G2#slurm:}|e2e-gone2|TIMEOUT|0:0|2030-01-01T00:00:00|2030-01-01T00:00:01|2030-01-01T00:10:00|localnode|debug|root'
SH
chmod +x "$E2E_TMP/forgot/sacct"
PATH="$E2E_TMP/forgot:$PATH" run jobs ls --json
PATH="$E2E_TMP/forgot:$PATH" check "with accounting on, sacct -X -P -j ID gives the end (state from sacct)" show_is "$G2" \
	'd["status"] == "timeout" and d["info"]["final_from"] == "sacct"'
if grep -q -- "-X -P -j ${G2#slurm:} --format=JobID," "$E2E_TMP/sacct.args"; then ok "sacct asked for exactly the forgotten job"; else fail "sacct args" "$(cat "$E2E_TMP/sacct.args")"; fi

SUBMITTED=
e2e_done
