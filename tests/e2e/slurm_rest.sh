# aiwb jobs through slurmrestd (slurm.rest_url = unix:/path.sock) against a
# real single-node Slurm with a real slurmrestd (tests/slurm/up.sh and
# rest_up.sh; SKIP with the reason where they cannot start): the REST path
# and the command path (squeue --json) list the same jobs with the same
# states, exits and arrays; jobs show describes through REST job/{id} and
# jobs stop cancels through DELETE job/{id}; a slurmrestd that does not
# answer shows the source as down.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
SLURM_E2E_WHAT=slurmrestd
. "$(dirname "$0")/../slurm/e2e.sh"
if ! { [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; }; then
	up=$(sh tests/slurm/up.sh 2>&1)
	urc=$?
	[ $urc = 3 ] && skip_all "${up#SKIP: }"
	STARTED=1
	[ $urc = 0 ] || { fail "a real single-node Slurm starts" "$up"; e2e_done; exit 1; }
fi
sock=$(sh tests/slurm/rest_up.sh 2>&1)
rrc=$?
[ $rrc = 3 ] && skip_all "${sock#SKIP: }"
[ $rrc = 0 ] || { fail "slurmrestd starts" "$sock"; e2e_done; exit 1; }
ok "slurmrestd answers on $sock"

# jobs of every kind, submitted through the commands
run jobs submit --slurm --name rest-ok --cwd "$W" -- sh -c 'echo loss=0.5'
J1=$(head -1 "$out")
run jobs submit --slurm --name rest-exit3 --cwd "$W" -- sh -c 'exit 3'
J2=$(head -1 "$out")
run jobs submit --slurm --name rest-arr --array 0-2 --cwd "$W" -- true
J3=$(head -1 "$out")
run jobs submit --slurm --name rest-sleep --cwd "$W" -- sleep 60
J4=$(head -1 "$out")
# an array held before any task started (its 4 tasks wait, JobHeldUser, a
# state that stays put while both paths read it) and a job with --error
H=$(sbatch --parsable --hold --array=1-4%2 --job-name rest-held --chdir "$W" --wrap 'sleep 1')
E=$(sbatch --parsable --job-name rest-err --chdir "$W" -o "$W/ro-%j.out" -e "$W/re-%j.err" \
	--wrap 'echo out line; echo "{\"metric\": \"err_loss\", \"value\": 0.5, \"step\": 1}" >&2')
SUBMITTED="${J1#slurm:} ${J2#slurm:} ${J3#slurm:} ${J4#slurm:} $H $E"
listed_is() { "$A" jobs ls >/dev/null 2>&1; show_is "$@"; } # a job sbatch submitted: jobs ls finds it
wait_until 30 listed_is "slurm:$E" 'd["status"] == "completed"'
wait_until 60 show_is "$J3" 'd["status"] == "completed"'
wait_until 30 show_is "$J2" 'd["status"] == "failed"'
wait_until 30 show_is "$J4" 'd["status"] == "running"'

# the REST path: another data home, squeue made to fail so only REST can answer
mkdir -p "$E2E_TMP/nosq"
for c in squeue scancel; do
	printf '#!/bin/sh\necho "%s must not run" >&2\nexit 1\n' $c >"$E2E_TMP/nosq/$c"
	chmod +x "$E2E_TMP/nosq/$c"
done
printf '{"slurm": {"rest_url": "unix:%s"}}\n' "$sock" >"$E2E_TMP/rest.json"
rest() {
	AIWB_HOME=$E2E_TMP/resthome AIWB_CONFIG=$E2E_TMP/rest.json PATH="$E2E_TMP/nosq:$PATH" "$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
"$A" jobs ls --source slurm --tasks --json >"$E2E_TMP/cmd.json" 2>"$err"
rest jobs ls --source slurm --tasks --json
cp "$out" "$E2E_TMP/rest.json.out"
check "ls through slurmrestd: the source is up" e2e_json "$out" '[s["state"] for s in d["sources"] if s["name"] == "slurm"] == ["up"]'
"$E2E_PY" - "$E2E_TMP/cmd.json" "$E2E_TMP/rest.json.out" >"$E2E_TMP/cmp" 2>&1 <<'PY'
import json, sys
def apart(i):  # a StdErr apart from StdOut (scontrol also names one that is not)
    return i.get("std_err_path") if i.get("std_err_path") != i.get("std_out_path") else None
def view(p):
    d = json.load(open(p))
    return {j["source_id"]: (j["status"], j["raw_state"], j["exit_code"], j["signal"], j["name"], j["parent"],
                             j["start_ms"], j["end_ms"], j["info"].get("partition"), j["info"].get("nodes"),
                             j["info"].get("user"), (j["info"].get("array") or {}).get("tasks"),
                             (j["info"].get("array") or {}).get("counts"), j["reason"],
                             (j["log"] or "").rsplit("/", 1)[-1], apart(j["info"]))
            for j in d["jobs"]}
a, b = view(sys.argv[1]), view(sys.argv[2])
ok = a == b and len(a) >= 7
print("same" if ok else "differ")
for k in sorted(set(a) | set(b)):
    if a.get(k) != b.get(k):
        print(k, a.get(k), b.get(k))
PY
if [ "$(head -1 "$E2E_TMP/cmp")" = same ]; then ok "the command path and the REST path agree on every job (states, exits, arrays, times, nodes)"
else fail "command and REST paths agree" "$(cat "$E2E_TMP/cmp")"; fi
if ! grep -q 'must not run' "$err"; then ok "squeue was not run on the REST path"; else fail "REST path ran squeue" "$(cat "$err")"; fi
check "the held array's 4 tasks are queued rows with Slurm's reason (REST)" e2e_json "$E2E_TMP/rest.json.out" \
	'sorted((j["source_id"], j["status"], j["reason"]) for j in d["jobs"] if j["source_id"].startswith("'"$H"'_")) == [("'"$H"'_%d" % i, "queued", "waiting: JobHeldUser") for i in range(1, 5)]'
rest jobs logs "$E"
if [ $RC = 0 ] && grep -q '^out line$' "$out" && grep -q '"err_loss"' "$out"; then ok "through REST, a job with --error has StdOut and StdErr in its log"; else fail "REST logs with --error" "$(what)"; fi
rest jobs metrics "$E" --json
check "through REST, its metric on StdErr is parsed" e2e_json "$out" '[p["value"] for p in d["metrics"]["err_loss"]] == [0.5]'
scancel "$H"
wait_until 30 sh -c '[ "$(squeue -h -t all -j '"$H"' -o %T | sort -u)" = CANCELLED ]'
"$A" jobs ls --source slurm --tasks --json >"$E2E_TMP/cmd.json" 2>"$err"
rest jobs ls --source slurm --tasks --json
cp "$out" "$E2E_TMP/rest.json.out"
check "after scancel of the held array both paths show its 4 tasks stopped" "$E2E_PY" - "$E2E_TMP/cmd.json" "$E2E_TMP/rest.json.out" "$H" <<'PY'
import json, sys
def tasks(p):
    return sorted((j["source_id"], j["status"], j["reason"], j["start_ms"]) for j in json.load(open(p))["jobs"]
                  if j["source_id"].startswith(sys.argv[3] + "_"))
a, b = tasks(sys.argv[1]), tasks(sys.argv[2])
want = [(sys.argv[3] + "_%d" % i, "stopped", "cancelled before it started", None) for i in range(1, 5)]
print("# cmd", a, "rest", b)
sys.exit(0 if a == b == want else 1)
PY
rest jobs show "${J2#slurm:}" --json
check "jobs show through REST job/{id}: failed with exit 3, partition, nodes" e2e_json "$out" \
	'd["status"] == "failed" and d["exit_code"] == 3 and d["info"]["partition"] == "debug" and d["info"]["nodes"] == "localnode"'
rest jobs show "${J3#slurm:}" --json
check "an array through REST: one row with its 3 tasks" e2e_json "$out" \
	'd["info"]["array"]["tasks"] == 3 and len(d["tasks"]) == 3 and d["status"] == "completed"'
printf '{"slurm": {"rest_url": "unix:%s"}}\n' "$E2E_TMP/no.sock" >"$E2E_TMP/bad.json"
AIWB_HOME=$E2E_TMP/resthome AIWB_CONFIG=$E2E_TMP/bad.json "$A" jobs ls --json >"$out" 2>"$err"
check "a slurmrestd that does not answer: the source is down with the reason, its jobs as last seen" e2e_json "$out" \
	'[s for s in d["sources"] if s["name"] == "slurm"][0]["state"] == "down" and "slurmrestd did not answer" in [s for s in d["sources"] if s["name"] == "slurm"][0]["error"] and len(d["jobs"]) >= 4'
printf '{"slurm": {"rest_url": "ftp://x"}}\n' >"$E2E_TMP/bad.json"
AIWB_HOME=$E2E_TMP/resthome AIWB_CONFIG=$E2E_TMP/bad.json "$A" jobs ls >"$out" 2>"$err"
RC=$?
if [ $RC = 1 ] && grep -q 'slurm.rest_url must be unix:' "$err"; then ok "a rest_url of another scheme is refused with a clear sentence"; else fail "bad rest_url" "$(what)"; fi
rest jobs stop "$J4"
if [ $RC = 0 ] && ! grep -q 'must not run' "$err"; then ok "jobs stop through REST: DELETE job/{id}, scancel not run"; else fail "stop through REST" "$(what)"; fi
if wait_until 30 sh -c '[ "$(squeue -h -t all -j '"${J4#slurm:}"' -o %T)" = CANCELLED ]'; then ok "Slurm cancelled the job"
else fail "REST stop cancels" "$(squeue -h -t all -j "${J4#slurm:}" -o %T)"; fi
rest jobs show "${J4#slurm:}" --json
check "a job stopped through REST reads as stopped" e2e_json "$out" 'd["status"] == "stopped" and d["raw_state"] == "CANCELLED"'
wait_until 30 show_is "$J4" 'd["status"] == "stopped"'
check "and the same through the commands" show_is "$J4" 'd["status"] == "stopped" and d["raw_state"] == "CANCELLED"'
SUBMITTED=
e2e_done
