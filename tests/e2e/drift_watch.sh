# aiwb drift watch / ls / show and report --save: a drift monitor is a job of
# source drift that keeps running after the command that started it exits,
# re-checks a growing SageMaker data-capture file (CSV, JSON and BASE64
# inputs) over the newest window against a Model Monitor baseline, and keeps
# each column's score as a metric series that grows with the file; it lists
# in `aiwb jobs ls`, stops with `aiwb jobs stop`; a duration window keeps the
# rows within that time of the newest; a saved report keeps each column's
# distributions. Every wait polls with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
export AIWB_SLURM=off
A=$AIWB_BIN
T=$E2E_TMP
CAP=tests/data/drift/capture
out=$T/out
err=$T/err

cleanup_jobs() {
	e2e_kill_local_jobs
	e2e_cleanup
}
trap cleanup_jobs EXIT

run() {
	_want=$1 _desc=$2
	shift 2
	"$@" >"$out" 2>"$err"
	_rc=$?
	if [ "$_rc" -eq "$_want" ]; then ok "$_desc"; else fail "$_desc (exit $_rc, wanted $_want)" "$(cat "$err")"; fi
}
json() { e2e_json "$out" "$1"; }

# poll SECS CMD...: CMD until it succeeds, at most SECS seconds.
poll() {
	_end=$(($(e2e_now) + $1))
	shift
	while :; do
		if "$@"; then return 0; fi
		[ "$(e2e_now)" -ge "$_end" ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- help per subcommand
for sub in report baseline check watch ls show; do
	run 0 "drift $sub --help" "$A" drift "$sub" --help
	check "drift $sub --help is its own usage" grep -q "^usage: aiwb drift $sub" "$out"
done
"$A" drift watch --help >"$out"
check "drift watch --help describes --window" grep -q -- "--window N|D" "$out"
run 0 "drift --help still lists every subcommand" "$A" drift --help
check "... watch, ls and show included" sh -c "grep -q 'aiwb drift watch --baseline DIR FILE' '$out' && grep -q 'aiwb drift ls' '$out' && grep -q 'aiwb drift show ID' '$out'"

# ---------------------------------------------------------------- usage errors
run 0 "a Model Monitor baseline of the demo's reference data" "$A" drift baseline examples/drift/reference.csv -o "$T/base"
cp "$CAP/reference.jsonl" "$T/cap.jsonl"
run 2 "watch without --baseline is a usage error" "$A" drift watch "$T/cap.jsonl"
run 2 "watch --every 0 is a usage error" "$A" drift watch --baseline "$T/base" --every 0 "$T/cap.jsonl"
run 2 "watch --window abc is a usage error" "$A" drift watch --baseline "$T/base" --window abc "$T/cap.jsonl"
check "the error names the option" grep -q -- "--window wants" "$err"
run 1 "watch with a directory that is no baseline fails" "$A" drift watch --baseline "$T" "$T/cap.jsonl"
run 2 "show without an ID is a usage error" "$A" drift show

# ---------------------------------------------------------------- a monitor on a growing capture file
cp "$CAP/reference.jsonl" "$T/cap.jsonl"
run 0 "drift watch starts a monitor and prints its ID" "$A" drift watch --baseline "$T/base" --every 200ms \
	--window 200 --name capwatch "$T/cap.jsonl"
mon=$(cat "$out")
case $mon in drift:[0-9]*) ok "the ID is drift:N ($mon)" ;; *) fail "the ID is drift:N" "got '$mon'" ;; esac
n=${mon#drift:}

run 0 "jobs ls lists the monitor" "$A" jobs ls
check "... as a running job of source drift" grep -Eq "^$mon +running +.*capwatch" "$out"
run 0 "jobs ls --source drift --json" "$A" jobs ls --source drift --json
check "... has the monitor with source drift" json "any(j['id'] == '$mon' and j['source'] == 'drift' for j in d['jobs'])"

points() { # NAME: the number of points of the metric
	"$A" jobs metrics "$mon" --name "$1" --json 2>/dev/null | "$E2E_PY" -c 'import json,sys
print(len(json.load(sys.stdin)["metrics"].get(sys.argv[1], [])))' "$1" 2>/dev/null || echo 0
}
has_points() { [ "$(points drift.temp_c)" -ge "$1" ]; }
if poll 20 has_points 1; then ok "the first check gives a drift.temp_c point"; else fail "the first check gives a drift.temp_c point" "$("$A" jobs metrics "$mon" 2>&1 | tail -5)"; fi
first=$(points drift.temp_c)

showj() { "$A" drift show "$mon" --json >"$out" 2>"$err"; }
window_is() { showj && json "d['report']['current']['rows'] == $1"; }
if poll 20 window_is 200; then ok "the window holds the newest 200 of the 300 rows so far"; else fail "the window holds the newest 200 of the 300 rows so far" "$(cat "$out")"; fi
check "no capture line is a bad row (CSV, JSON and BASE64 inputs)" json "d['report']['current']['bad_rows'] == 0"
check "every baseline column is checked" json "d['report']['summary']['tested'] == 10"
check "no drift on the baseline's own distribution" json "d['report']['summary']['drifted'] == 0"
check "each column names its metric series" json "all(c['metric'] == 'drift.' + c['name'] for c in d['report']['columns'])"
check "the monitor's kind is monitor" json "d['kind'] == 'monitor' and d['status'] == 'running'"

# the file grows with the drifted rows
cat "$CAP/current.jsonl" >>"$T/cap.jsonl"
drifted5() { showj && json "sorted(c['name'] for c in d['report']['columns'][:5]) == ['casual', 'count', 'humidity', 'temp_c', 'weather'] and d['report']['summary']['drifted'] == 5"; }
if poll 20 drifted5; then
	ok "over the newest 200 rows the demo's five drifted columns come first"
else
	fail "over the newest 200 rows the demo's five drifted columns come first" "$(cat "$out" | head -60)"
fi
check "the window is the newest 200 rows" json "d['report']['current']['rows'] == 200"
check "the scores are L-infinity distances against 0.1" json "all(c['test'] == 'linf_simple' and c['threshold'] == 0.1 for c in d['report']['columns'])"
if poll 10 has_points $((first + 1)); then ok "the metric series grew with the file"; else fail "the metric series grew with the file" "$(points drift.temp_c) points"; fi
run 0 "jobs metrics shows drift.temp_c over the checks" "$A" jobs metrics "$mon" --name drift.temp_c --json
check "... and its last value is above the threshold" "$E2E_PY" -c 'import json,sys
pts = json.load(open(sys.argv[1]))["metrics"]["drift.temp_c"]
sys.exit(0 if pts[-1]["value"] > 0.1 and pts[0]["value"] < 0.1 else 1)' "$out"
check "constraint_violations.json is written beside the report" e2e_json "$AIWB_HOME/jobs/$n/constraint_violations.json" \
	"len([v for v in d['violations'] if v['constraint_check_type'] == 'baseline_drift_check']) == 5"
check "report.json is private (0600)" [ "$(e2e_mode "$AIWB_HOME/jobs/$n/report.json")" = 600 ]

run 0 "drift show prints the latest check" "$A" drift show "$mon"
check "... most drifted first, with the window" sh -c "grep -q 'window   200 rows, every 200ms' '$out' && sed -n '7p' '$out' | grep -q DRIFT"
run 0 "drift ls lists the monitor" "$A" drift ls
check "... with its kind and drifted columns" grep -Eq "^$mon +monitor +running +5/10 +capwatch" "$out"

# ---------------------------------------------------------------- a duration window
"$A" drift watch --baseline "$T/base" --every 100ms --window 30s --checks 1 --name timed "$CAP/current.jsonl" >"$out" 2>"$err"
tmon=$(cat "$out")
ended() { "$A" jobs show "$tmon" --json >"$T/tj" 2>/dev/null && e2e_json "$T/tj" "d['status'] == 'completed'"; }
if poll 20 ended; then ok "watch --checks 1 ends by itself"; else fail "watch --checks 1 ends by itself" "$(cat "$T/tj")"; fi
run 0 "its report" "$A" drift show "$tmon" --json
check "a 30 s window keeps the rows within 30 s of the newest inferenceTime (31 of 300)" json "d['report']['current']['rows'] == 31"

# ---------------------------------------------------------------- stopping
run 0 "jobs stop stops the monitor" "$A" jobs stop "$mon" --grace 5
run 0 "jobs ls" "$A" jobs ls
check "... says it stopped" grep -Eq "^$mon +stopped" "$out"

# ---------------------------------------------------------------- a saved report
run 3 "drift report --save exits 3 on drift, as without --save" "$A" drift report --save --name pair \
	examples/drift/reference.csv examples/drift/current.csv
check "it says the job it was saved as" grep -Eq "saved as drift:[0-9]+" "$err"
rep=$(grep -Eo "drift:[0-9]+" "$err" | head -1)
run 0 "drift show --json of the saved report" "$A" drift show "$rep" --json
check "it is a completed report named pair" json "d['kind'] == 'report' and d['status'] == 'completed' and d['name'] == 'pair'"
check "numeric columns keep 20 shared bins of both sides" json "all(len(c['distribution']['edges']) == 21 and sum(c['distribution']['baseline']) == c['baseline_values']['values'] for c in d['report']['columns'] if c['type'] == 'numeric')"
check "categorical columns keep their values with both counts" json "[c['distribution']['values'] for c in d['report']['columns'] if c['name'] == 'weather'][0][0] == 'clear' and [c['distribution']['current'] for c in d['report']['columns'] if c['name'] == 'weather'][0][2] == 325"
run 0 "drift ls --json" "$A" drift ls --json
check "... lists the report and both monitors with summaries" json "len(d['drift']) == 3 and [x['summary']['drifted'] for x in d['drift'] if x['id'] == '$rep'] == [5]"
# ---------------------------------------------------------------- progress per column on a terminal
run 3 "without a terminal, report prints no progress" "$A" drift report examples/drift/reference.csv examples/drift/current.csv
check "... stderr is empty" [ ! -s "$err" ]
if command -v script >/dev/null 2>&1; then
	script -qec "'$A' drift report examples/drift/reference.csv examples/drift/current.csv >'$T/tty.out'" "$T/tty.log" >/dev/null 2>&1
	check "on a terminal stderr names each column as it is tested" grep -aq "drift: column 10/10" "$T/tty.log"
	check "... and the table so far as columns finish" grep -aq "drift: 9/10 columns tested" "$T/tty.log"
	check "... most drifted first: weather leads once it is tested" sh -c "grep -a -A1 'drift: 9/10 columns tested' '$T/tty.log' | tail -1 | grep -aq '^  weather '"
	check "stdout still has only the table" sh -c "head -1 '$T/tty.out' | grep -q '^COLUMN' && ! grep -aq 'columns tested' '$T/tty.out'"
else
	ok "# SKIP script(1) is not installed: no terminal for the progress checks"
fi

run 1 "show of an unknown id fails" "$A" drift show drift:999
run 2 "--name without --save is a usage error" "$A" drift report --name x examples/drift/reference.csv examples/drift/current.csv
e2e_done
