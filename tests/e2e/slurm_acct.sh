# aiwb jobs and sacct with accounting storage on: a real single-node Slurm
# with slurmdbd and MariaDB (AIWB_SLURM_ACCT=1 tests/slurm/up.sh; SKIP with
# the reason where it cannot start, or when a cluster without accounting is
# already up). Jobs aiwb saw queued that Slurm no longer lists (a squeue that
# lists nothing stands for Slurm's MinJobAge purge) get their end from the
# real `sacct -X -P -j`: a job exiting 5 is failed with exit 5 (sacct's text
# 5:0, not sacct --json's exit_code, which 22.05 reports wrongly), a
# completed one completed, an array's tasks by their ids (A_0, A_1), the
# tasks of an array cancelled before they started by sacct's A_[1-3] row.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
SLURM_E2E_WHAT="Slurm accounting"
. "$(dirname "$0")/../slurm/e2e.sh"
if [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; then
	[ -s "$RUN/slurmdbd.pid" ] && alive "$(cat "$RUN/slurmdbd.pid")" ||
		skip_all "a Slurm without accounting storage is running; accounting needs a cluster of its own (tests/slurm/down.sh first)"
else
	up=$(AIWB_SLURM_ACCT=1 sh tests/slurm/up.sh 2>&1)
	urc=$?
	[ $urc = 3 ] && skip_all "${up#SKIP: }"
	STARTED=1
	[ $urc = 0 ] || { fail "a real Slurm with slurmdbd and MariaDB starts" "$up"; e2e_done; exit 1; }
fi
ok "a real single-node Slurm with slurmdbd and MariaDB is up"

run jobs submit --slurm --name acct-exit5 --cwd "$W" -- sh -c 'sleep 1; exit 5'
J1=$(head -1 "$out")
run jobs submit --slurm --name acct-ok --cwd "$W" -- sh -c 'sleep 1'
J2=$(head -1 "$out")
run jobs submit --slurm --name acct-arr --array 0-1 --cwd "$W" -- sh -c 'sleep 1'
J3=$(head -1 "$out")
# an array held, then cancelled, before any task started: aiwb saw its tasks queued
H=$(sbatch --parsable --hold --array=1-3 --job-name acct-held --chdir "$W" --wrap 'sleep 1')
SUBMITTED="${J1#slurm:} ${J2#slurm:} ${J3#slurm:} $H"
run jobs ls --tasks --json
check "the held array's 3 tasks are queued rows" e2e_json "$out" \
	'sorted((j["source_id"], j["status"]) for j in d["jobs"] if j["source_id"].startswith("'"$H"'_")) == [("'"$H"'_%d" % i, "queued") for i in (1, 2, 3)]'
scancel "$H"
wait_until 60 sh -c "sacct -n -X -P -j $H -o State 2>/dev/null | grep -q CANCELLED"
echo "# sacct of the array cancelled before it started: $(sacct -n -X -P -j "$H" -o JobID,State 2>/dev/null | tr '\n' ' ')"
ended() { [ "$(sacct -n -X -P -j "$1" -o State 2>/dev/null | sort -u | tr '\n' ' ')" = "$2 " ]; }
wait_until 60 ended "${J1#slurm:}" FAILED
wait_until 60 ended "${J2#slurm:}" COMPLETED
# both tasks: sacct lists a task of an array only once it has started
both_ended() { [ "$(sacct -n -X -P -j "$1" -o State 2>/dev/null | grep -c '^COMPLETED$')" = 2 ]; }
wait_until 60 both_ended "${J3#slurm:}"
# aiwb looked last at submit (queued); Slurm's purge is stood in for by a
# squeue that lists nothing, so what is asked is the real sacct
mkdir -p "$E2E_TMP/forgot"
printf '#!/bin/sh\necho %s\n' "'{\"meta\":{},\"errors\":[],\"jobs\":[]}'" >"$E2E_TMP/forgot/squeue"
chmod +x "$E2E_TMP/forgot/squeue"
PATH="$E2E_TMP/forgot:$PATH" run jobs ls --tasks --json
PATH="$E2E_TMP/forgot:$PATH" check "a forgotten job that exited 5: failed, exit 5, from the real sacct" show_is "$J1" \
	'd["status"] == "failed" and d["exit_code"] == 5 and d["raw_state"] == "FAILED" and d["info"]["final_from"] == "sacct"'
PATH="$E2E_TMP/forgot:$PATH" check "a forgotten job that completed: completed, from sacct" show_is "$J2" \
	'd["status"] == "completed" and d["exit_code"] == 0 and d["info"]["final_from"] == "sacct"'
PATH="$E2E_TMP/forgot:$PATH" check "an array's tasks are found in sacct by their ids; the array sums them up" show_is "$J3" \
	'd["status"] == "completed" and d["info"]["array"]["counts"] == {"completed": 2} and d["tasks"] == ["'"$J3"'_0", "'"$J3"'_1"]'
PATH="$E2E_TMP/forgot:$PATH" check "a task found in sacct is a row of its own with its parent" show_is "${J3}_1" \
	'd["status"] == "completed" and d["parent"] == "'"$J3"'" and d["info"]["final_from"] == "sacct"'
PATH="$E2E_TMP/forgot:$PATH" check "tasks of an array cancelled before they started end from sacct's row of them (A, or A_[1-3])" show_is "${H}_2" \
	'd["status"] == "stopped" and d["reason"] == "cancelled before it started" and d["info"]["final_from"] == "sacct" and d["start_ms"] is None'
PATH="$E2E_TMP/forgot:$PATH" check "and that array is stopped" show_is "$H" \
	'd["status"] == "stopped" and d["info"]["array"]["counts"] == {"stopped": 3}'
SUBMITTED=
e2e_done
