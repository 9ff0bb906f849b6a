# aiwb jobs with local jobs: a job outlives a SIGKILLed aiwb with every log
# line, metric and its exit recorded; exit codes 0, 1, 137 and death by a
# signal; jobs stop empties the whole process group (a child that ignores
# SIGTERM included); a reused pid is never taken for the job; --env values are
# never stored; metrics from regex rules, JSON lines, metrics.csv and a
# TensorBoard event file; rm, alerts, watch --until-done, usage errors.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
# only local jobs here (tests/e2e/slurm.sh covers Slurm), whatever is installed
export AIWB_SLURM=off
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
W=$E2E_TMP/work
mkdir -p "$W"
EXTRA_PIDS=

cleanup_jobs() {
	for _p in $EXTRA_PIDS; do kill -KILL "$_p" 2>/dev/null; done
	e2e_kill_local_jobs
	e2e_cleanup
}
trap cleanup_jobs EXIT

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(cat "$err")"
}
expect() {
	if [ "$RC" = "$2" ]; then ok "$1"; else fail "$1" "$(what)"; fi
}
# jq_show ID EXPR: python expression over `jobs show ID --json` bound to d.
show_is() {
	"$A" jobs show "$1" --json >"$E2E_TMP/show.json" 2>/dev/null && e2e_json "$E2E_TMP/show.json" "$2"
}
job_dir() { echo "$AIWB_HOME/jobs/${1#local:}"; }
status_field() { sed -n "s/^$2=//p" "$(job_dir "$1")/status"; }

# ------------------------------------------------------------------ usage
run jobs --help
if [ $RC = 0 ] && grep -q 'aiwb jobs run' "$out"; then ok "jobs --help"; else fail "jobs --help" "$(what)"; fi
for sub in run ls show logs metrics stop rm watch alert; do
	run jobs $sub --help
	if [ $RC = 0 ] && grep -q 'usage: aiwb jobs' "$out"; then ok "jobs $sub --help"; else fail "jobs $sub --help" "$(what)"; fi
done
run jobs run --name x
if [ $RC = 2 ] && [ "$(wc -l <"$err")" = 1 ] && grep -q 'needs a command' "$err"; then ok "run without a command: usage error"
else fail "run without a command: usage error" "$(what)"; fi
run jobs run --metric 'loss=loss=[0-9.]+' -- true
if [ $RC = 1 ] && grep -q 'no capture group' "$err"; then ok "a metric regex without a group is refused"
else fail "a metric regex without a group is refused" "$(what)"; fi
run jobs frobnicate
expect "unknown jobs command: exit 2" 2
run jobs show local:999
if [ $RC = 1 ] && grep -q "no job 'local:999'" "$err"; then ok "unknown job: exit 1 naming it"; else fail "unknown job" "$(what)"; fi
run jobs ls
if [ $RC = 0 ] && grep -q 'no jobs yet' "$out"; then ok "ls with no jobs"; else fail "ls with no jobs" "$(what)"; fi

# ------------------------------------------------------------------ SIGKILL aiwb while it follows the job
cat >"$W/train.py" <<'PY'
import json, os, sys, time
for step in range(1, 41):
    loss = 1.0 / step
    print("step=%d loss=%.6f acc=%.3f" % (step, loss, 1 - loss))
    print(json.dumps({"lr": 0.1 / step, "step": step}))
    time.sleep(0.04)
with open(os.path.join(os.environ["AIWB_JOB_DIR"], "metrics.csv"), "w") as f:
    f.write("epoch,step,train_loss,val_loss\n0,10,0.9,\n0,20,0.5,0.55\n1,30,0.3,0.35\n")
print("last line without newline", end="")
sys.exit(0)
PY
"$A" jobs run -f --name killtest --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' --metric 'acc=acc=([0-9.]+)' \
	--cwd "$W" -- python3 train.py >"$E2E_TMP/follow.out" 2>"$E2E_TMP/follow.err" </dev/null &
FOLLOW=$!
if wait_until 10 grep -q 'step=3 ' "$AIWB_HOME/jobs/1/output.log" 2>/dev/null; then
	kill -KILL $FOLLOW
	wait $FOLLOW 2>/dev/null
	ok "aiwb following the job was SIGKILLed mid-run"
else
	fail "the job started and wrote its first lines" "$(cat "$E2E_TMP/follow.err")"
fi
if wait_until 20 show_is local:1 'd["status"] == "completed"'; then ok "the job finished on its own: completed"
else fail "the job finished on its own: completed" "$(cat "$E2E_TMP/show.json")"; fi
check "exit code 0 recorded by the supervisor" show_is local:1 'd["exit_code"] == 0 and d["signal"] is None and d["end_ms"] >= d["start_ms"]'
check "show --json: transitions through running to completed, in order, each a change" show_is local:1 \
	'[t["status"] for t in d["transitions"]][-2:] == ["running", "completed"] and all(a["status"] != b["status"] and a["time_ms"] <= b["time_ms"] for a, b in zip(d["transitions"], d["transitions"][1:])) and d["transitions"][-1]["raw_state"] == d["raw_state"]'
n=$(grep -c '^step=' "$AIWB_HOME/jobs/1/output.log")
if [ "$n" = 40 ] && tail -c 25 "$AIWB_HOME/jobs/1/output.log" | grep -q 'last line without newline'; then ok "every log line was recorded (40 + the last)"
else fail "every log line was recorded" "$n lines"; fi
"$A" jobs metrics local:1 --json >"$E2E_TMP/m.json" 2>"$err"
check "40 loss points with their steps from the regex" e2e_json "$E2E_TMP/m.json" \
	'[p["step"] for p in d["metrics"]["loss"]] == list(range(1, 41)) and abs(d["metrics"]["loss"][-1]["value"] - 0.025) < 1e-9'
check "40 acc points (regex without a step)" e2e_json "$E2E_TMP/m.json" 'len(d["metrics"]["acc"]) == 40 and d["metrics"]["acc"][0]["step"] is None'
check "40 lr points from JSON lines, with steps" e2e_json "$E2E_TMP/m.json" \
	'[p["step"] for p in d["metrics"]["lr"]] == list(range(1, 41)) and d["metrics"]["lr"][0]["origin"] == "log"'
check "metrics.csv points: train_loss x3, val_loss x2 (empty cells skipped), epoch" e2e_json "$E2E_TMP/m.json" \
	'[p["value"] for p in d["metrics"]["train_loss"]] == [0.9, 0.5, 0.3] and [p["step"] for p in d["metrics"]["val_loss"]] == [20, 30] and len(d["metrics"]["epoch"]) == 3'
"$A" jobs metrics 1 --csv >"$E2E_TMP/m.csv" 2>"$err"
if head -1 "$E2E_TMP/m.csv" | grep -qx 'name,step,value,time_ms' && grep -q '^loss,40,0.025,' "$E2E_TMP/m.csv"; then ok "metrics --csv"
else fail "metrics --csv" "$(head -5 "$E2E_TMP/m.csv")"; fi
run jobs show killtest
if [ $RC = 0 ] && grep -q '^status: *completed (exit 0)' "$out" && grep -q 'loss=0.025' "$out"; then ok "show by job name: status and last metric values"
else fail "show by job name" "$(what)"; fi
if sed -n '/^transitions:$/,$p' "$out" | grep -Eq '^  [0-9-]{10} [0-9:]{8}  running ' &&
	sed -n '/^transitions:$/,$p' "$out" | tail -1 | grep -Eq '^  [0-9-]{10} [0-9:]{8}  completed  exit 0'; then ok "show: a transitions line each for running and completed"
else fail "show: transitions" "$(what)"; fi
mode=$(stat -c %a "$AIWB_HOME/jobs/1"):$(stat -c %a "$AIWB_HOME/jobs/1/output.log"):$(stat -c %a "$AIWB_HOME/jobs/1/status")
if [ "$mode" = 700:600:600 ]; then ok "job dir 0700, files 0600"; else fail "job dir 0700, files 0600" "$mode"; fi

# ------------------------------------------------------------------ exit codes and signals
"$A" jobs run -f -- sh -c 'echo ok' >/dev/null 2>&1; r0=$?
"$A" jobs run -f -- sh -c 'exit 1' >/dev/null 2>&1; r1=$?
"$A" jobs run -f -- sh -c 'exit 137' >/dev/null 2>&1; r137=$?
"$A" jobs run -f -- sh -c 'kill -KILL $$' >/dev/null 2>&1; rk=$?
"$A" jobs run -f -- sh -c 'kill -SEGV $$' >/dev/null 2>&1; rs=$?
if [ "$r0:$r1:$r137:$rk:$rs" = "0:1:137:137:139" ]; then ok "run -f exits with the job's status (0 1 137 137 139)"
else fail "run -f exit statuses" "$r0:$r1:$r137:$rk:$rs"; fi
check "exit 0: completed" show_is local:2 'd["status"] == "completed" and d["exit_code"] == 0'
check "exit 1: failed, exit_code 1" show_is local:3 'd["status"] == "failed" and d["exit_code"] == 1 and d["signal"] is None'
check "exit 137: failed, exit_code 137, no signal" show_is local:4 'd["status"] == "failed" and d["exit_code"] == 137 and d["signal"] is None'
check "SIGKILL: failed, signal 9, no exit code" show_is local:5 'd["status"] == "failed" and d["exit_code"] is None and d["signal"] == 9 and d["signal_name"] == "SIGKILL"'
check "SIGSEGV: failed, signal 11" show_is local:6 'd["status"] == "failed" and d["signal"] == 11 and d["raw_state"].startswith("signal 11")'
run jobs run -f -- /nonexistent/command
if [ $RC = 127 ] && show_is local:7 'd["status"] == "failed" and "cannot run /nonexistent/command" in d["reason"]'; then ok "a command that cannot run: failed, 127, reason"
else fail "a command that cannot run" "$(what)"; fi

# ------------------------------------------------------------------ stop empties the process group
cat >"$W/spawner.sh" <<'SH'
sleep 300 &
sh -c 'trap "" TERM; echo stubborn; while :; do sleep 1; done' &
echo children started
wait
SH
run jobs run --name spawner --cwd "$W" -- sh spawner.sh
SP=$(cat "$out")
wait_until 10 grep -q stubborn "$(job_dir "$SP")/output.log"
PG=$(status_field "$SP" pid)
before=$(pgrep -g "$PG" | wc -l)
run jobs stop --grace 1 "$SP"
after=$(pgrep -g "$PG" | wc -l)
if [ $RC = 0 ] && [ "$before" -ge 3 ] && [ "$after" = 0 ]; then ok "stop: $before processes in the group before, none after (SIGKILL after grace)"
else fail "stop empties the process group" "before=$before after=$after $(what) $(pgrep -a -g "$PG")"; fi
check "stopped job shows stopped" show_is "$SP" 'd["status"] == "stopped" and d["signal"] == 15'
run jobs stop "$SP"
if [ $RC = 0 ] && grep -q 'already ended' "$out"; then ok "stop of an ended job says so"; else fail "stop of an ended job" "$(what)"; fi

# ------------------------------------------------------------------ pid reuse is not the job
run jobs run --name victim -- sleep 300
V=$(cat "$out")
VD=$(job_dir "$V")
wait_until 5 test -s "$VD/status"
VSUP=$(status_field "$V" sup_pid)
VPID=$(status_field "$V" pid)
VSTART=$(status_field "$V" pid_start)
kill -KILL "$VSUP"  # the supervisor dies first: nothing records the end
kill -KILL "$VPID"
wait_until 5 sh -c "! kill -0 $VPID 2>/dev/null"
sleep 300 &
OTHER=$!
EXTRA_PIDS="$EXTRA_PIDS $OTHER"
# the job's pid now belongs to another live process (with another start time)
sed -i "s/^pid=.*/pid=$OTHER/; s/^sup_pid=.*/sup_pid=$OTHER/" "$VD/status"
if show_is "$V" 'd["status"] == "lost" and d["pid"] == '"$OTHER"; then ok "a live process with the job's pid but another start time: lost"
else fail "pid reuse is not taken for the job" "$(cat "$E2E_TMP/show.json")"; fi
run jobs ls --status running --json
check "the lost job is not listed as running" e2e_json "$out" 'all(j["id"] != "'"$V"'" for j in d["jobs"])'

# ------------------------------------------------------------------ env values never stored
printf '# secrets\nexport API_TOKEN="tok-e2e-secret-42"\nOTHER=plain\n' >"$E2E_TMP/env"
chmod 600 "$E2E_TMP/env"
# the command compares checksums, so the values appear only in the variables
want=$(printf %s "val-e2e-secret-17|tok-e2e-secret-42|1" | cksum)
run jobs run -f --env VISIBLE_NAME=val-e2e-secret-17 --env-file "$E2E_TMP/env" -- \
	sh -c 'printf %s "$VISIBLE_NAME|$API_TOKEN|$PYTHONUNBUFFERED" | cksum'
E=$(head -1 "$out")
if [ $RC = 0 ] && grep -qx "$want" "$(job_dir "$E")/output.log"; then ok "--env and --env-file reach the job"
else fail "--env reaches the job" "$(what)"; fi
if ! grep -rqa -e e2e-secret "$AIWB_HOME"; then ok "no --env or --env-file value anywhere in the data home"
else fail "env values stored" "$(grep -rla e2e-secret "$AIWB_HOME")"; fi
check "only the names are kept" show_is "$E" 'd["env_names"] == ["VISIBLE_NAME", "API_TOKEN", "OTHER"]'

# ------------------------------------------------------------------ TensorBoard event file
cat >"$W/tb.py" <<'PY'
import os, struct
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def masked(b):
    c = crc32c(b)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])
def ld(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload
def record(data):
    n = struct.pack("<Q", len(data))
    return n + struct.pack("<I", masked(n)) + data + struct.pack("<I", masked(data))
def event(step, wall, values):
    return struct.pack("<Bd", 1 << 3 | 1, wall) + varint(2 << 3) + varint(step) + ld(5, b"".join(ld(1, v) for v in values))
simple = lambda tag, v: ld(1, tag.encode()) + struct.pack("<Bf", 2 << 3 | 5, v)
tensor = lambda tag, v: ld(1, tag.encode()) + ld(8, varint(1 << 3) + varint(1) + ld(2, b"") + ld(5, struct.pack("<f", v)))
d = os.path.join(os.environ["AIWB_JOB_DIR"], "tb")
os.makedirs(d)
with open(os.path.join(d, "events.out.tfevents.1700000000.host"), "wb") as f:
    f.write(record(struct.pack("<Bd", 1 << 3 | 1, 1700000000.0) + ld(3, b"brain.Event:2")))
    for s in range(1, 6):
        f.write(record(event(s, 1700000000.0 + s, [simple("tb/loss", 1.0 / s), tensor("tb/acc", s / 10.0)])))
    f.write(record(event(6, 1700000006.0, [simple("tb/loss", 0.125)]))[:20])  # still being written
PY
run jobs run -f --cwd "$W" -- python3 tb.py
TB=$(head -1 "$out")
"$A" jobs metrics "$TB" --json >"$E2E_TMP/tb.json" 2>"$err"
check "event file: simple_value scalars with steps and wall time" e2e_json "$E2E_TMP/tb.json" \
	'[p["step"] for p in d["metrics"]["tb/loss"]] == [1, 2, 3, 4, 5] and d["metrics"]["tb/loss"][1]["value"] == 0.5 and d["metrics"]["tb/loss"][0]["time_ms"] == 1700000001000'
check "event file: tensor-encoded scalars" e2e_json "$E2E_TMP/tb.json" \
	'[round(p["value"], 6) for p in d["metrics"]["tb/acc"]] == [0.1, 0.2, 0.3, 0.4, 0.5]'

# ------------------------------------------------------------------ alerts, watch --until-done
run jobs run --name alerting -- sh -c 'for i in 1 2 3; do echo "loss=0.5"; sleep 0.2; done; echo "loss=3.5"; echo "loss=nan"; sleep 0.5; exit 3'
AL=$(cat "$out")
"$A" jobs alert "$AL" 'loss >   2' >/dev/null
"$A" jobs alert "$AL" 'loss is nan' >/dev/null
"$A" jobs alert "$AL" ended >/dev/null
run jobs alert "$AL" 'loss is big'
expect "a rule that does not parse: usage error" 2
"$A" jobs alert "$AL" --help >/dev/null
run jobs alert "$AL"
if grep -qx 'loss > 2' "$out" && grep -qx 'loss is nan' "$out" && grep -qx ended "$out"; then ok "alert rules stored in canonical form"
else fail "alert rules stored" "$(what)"; fi
# metrics are parsed as the job goes: loss > 2 and loss is nan may fire depending on timing,
# 'ended' always fires once
run jobs watch "$AL" --until-done --interval 0.1 --alerts --exec 'echo "$AIWB_ALERT_JOB|$AIWB_ALERT_RULE|$AIWB_ALERT_STATUS" >>'"$E2E_TMP/exec.log"
if [ $RC = 3 ]; then ok "watch --until-done exits with the job's status (3)"; else fail "watch --until-done" "$(what)"; fi
if grep -q "^alert $AL alerting: ended (failed: exited with status 3)" "$out"; then ok "watch --alerts prints the alert"
else fail "watch --alerts prints the alert" "$(what)"; fi
wait_until 5 grep -q "^$AL|ended|failed\$" "$E2E_TMP/exec.log"
if [ "$(grep -c "|ended|" "$E2E_TMP/exec.log")" = 1 ]; then ok "--exec ran once with the alert in its environment"
else fail "--exec ran with the alert" "$(cat "$E2E_TMP/exec.log" 2>&1)"; fi
run jobs watch "$AL" --until-done --interval 0.1 --alerts
if [ $RC = 3 ] && ! grep -q '^alert' "$out"; then ok "a fired rule does not fire again"; else fail "a fired rule fires once" "$(what)"; fi

# ------------------------------------------------------------------ alerts from the config
CFG=$E2E_TMP/alerts.json
cat >"$CFG" <<JSON
{"alerts": {
  "ended": {"jobs": "cfg-*", "exec": "echo \\"\$AIWB_ALERT_JOB|\$AIWB_ALERT_RULE\\" >>$E2E_TMP/cfgexec.log"},
  "loss > 2": {"jobs": "nomatch-*"}
}}
JSON
# the jobs end once the watch is looking (a job that ended before it started never fires)
GO=$E2E_TMP/cfg-go
"$A" jobs run --name cfg-one -- sh -c "while [ ! -e $GO ]; do sleep 0.05; done; echo loss=9; exit 4" >"$out" 2>/dev/null
C1=$(cat "$out")
"$A" jobs run --name other -- sh -c "while [ ! -e $GO ]; do sleep 0.05; done; exit 0" >"$out" 2>/dev/null
C2=$(cat "$out")
AIWB_CONFIG=$CFG "$A" jobs watch "$C1" "$C2" --until-done --interval 0.1 --alerts </dev/null >"$out" 2>"$err" &
WP=$!
wait_until 20 grep -q "running" "$out"
touch "$GO"
wait $WP
RC=$?
if grep -q "^alert $C1 cfg-one: ended (failed: exited with status 4)" "$out" && ! grep -q "^alert $C2" "$out" &&
	! grep -q 'loss > 2' "$out"; then ok "a config alert fires for the jobs its glob names, and only those"
else fail "config alert" "$(what)"; fi
wait_until 5 grep -q "^$C1|ended\$" "$E2E_TMP/cfgexec.log"
if [ "$(grep -c . "$E2E_TMP/cfgexec.log" 2>/dev/null)" = 1 ]; then ok "the config alert's exec ran once with the alert in its environment"
else fail "config exec" "$(cat "$E2E_TMP/cfgexec.log" 2>&1)"; fi
run jobs alert "$C1"
if grep -q '^ended' "$out" && ! grep -q 'loss' "$out"; then ok "a config rule is stored with the job it applies to"
else fail "config rule stored" "$(what)"; fi
printf '{"alerts": {"loss is big": {}}}' >"$CFG"
AIWB_CONFIG=$CFG run jobs watch "$C1" --until-done --interval 0.1 --alerts
if grep -q "alerts: 'loss is big':" "$err" && [ "$(grep -c "loss is big" "$err")" = 1 ]; then ok "a config rule that does not parse is named once on stderr"
else fail "bad config rule" "$(what)"; fi

# ------------------------------------------------------------------ logs, rm
run jobs logs "$AL"
if [ $RC = 0 ] && [ "$(grep -c '^loss=' "$out")" = 5 ]; then ok "logs prints the whole log"; else fail "logs" "$(what)"; fi
run jobs run -- sh -c 'for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done'
LF=$(cat "$out")
run jobs logs -f "$LF"
if [ $RC = 0 ] && [ "$(grep -c '^line' "$out")" = 5 ]; then ok "logs -f follows until the job ends"; else fail "logs -f" "$(what)"; fi
run jobs run -- sleep 300
R=$(cat "$out")
run jobs rm "$R"
if [ $RC = 1 ] && grep -q 'stop it first' "$err"; then ok "rm of a running job is refused"; else fail "rm of a running job" "$(what)"; fi
"$A" jobs stop --grace 0 "$R" >/dev/null 2>&1
run jobs rm "$R"
if [ $RC = 0 ] && [ ! -d "$(job_dir "$R")" ] && ! "$A" jobs show "$R" >/dev/null 2>&1; then ok "rm forgets the job and deletes its directory"
else fail "rm" "$(what)"; fi
run jobs ls --json
check "ls --json lists every job with its source state" e2e_json "$out" \
	'len(d["jobs"]) >= 10 and d["sources"][0]["name"] == "local" and all(":" in j["id"] for j in d["jobs"])'

e2e_done
