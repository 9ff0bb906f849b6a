# aiwb drift on S3 and the sagemaker-monitor job source, against fakellm's
# fake S3 and Model Monitor API (tests/fakes/svc): a baseline written to
# s3:// (PutObject), a check reading the baseline and data split in more
# parts than one ListObjectsV2 page, every request signed (SigV4 recomputed by
# the fake), S3's errors as one sentence (NoSuchBucket, NoSuchKey,
# AccessDenied, SignatureDoesNotMatch), then the Model Monitor schedules and
# executions as jobs with their statuses and an execution's violations.
. "$(dirname "$0")/lib.sh"
e2e_begin
A=$AIWB_BIN
T=$E2E_TMP
D=tests/data/drift
out=$T/out
err=$T/err

run() {
	_want=$1 _desc=$2
	shift 2
	"$@" >"$out" 2>"$err"
	_rc=$?
	if [ "$_rc" -eq "$_want" ]; then ok "$_desc"; else fail "$_desc (exit $_rc, wanted $_want)" "$(cat "$err")"; fi
}
json() { e2e_json "$out" "$1"; }
one_line() { [ "$(wc -l <"$err")" -eq 1 ]; }

S3=$T/s3
mkdir -p "$S3/mm-bucket/data/feb" "$S3/locked-bucket/x"
# February in 10 parts, each with the header, plus markers a reader skips
head -n 1 "$D/bike_2011_02.csv" >"$T/header"
tail -n +2 "$D/bike_2011_02.csv" >"$T/rows"
split -n l/10 -d -a 2 "$T/rows" "$T/part-"
for p in "$T"/part-*; do
	cat "$T/header" "$p" >"$S3/mm-bucket/data/feb/$(basename "$p").csv"
done
: >"$S3/mm-bucket/data/feb/_SUCCESS"
cp "$D/bike_2011_01.csv" "$S3/mm-bucket/data/jan.csv"
echo 'a' >"$S3/locked-bucket/x/y.csv"

fake_start s3 --aws-access-key AKIDS3TEST --aws-secret-key s3-secret-for-tests \
	--svc "s3-root=$S3" --svc s3-page=3 --svc s3-denied=locked-bucket \
	--svc "sagemaker-monitor=$D/sagemaker_monitor.json" --svc sagemaker-page=2 ||
	{ fail "fakellm starts" "$(cat "$T/s3.err")"; e2e_done; }
LOG=$T/s3.log
e2e_home
AWS_ENDPOINT_URL_S3=$URL AWS_ENDPOINT_URL_SAGEMAKER=$URL AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=AKIDS3TEST AWS_SECRET_ACCESS_KEY=s3-secret-for-tests AIWB_SLURM=off
# the training-jobs source would follow AWS_ENDPOINT_URL_SAGEMAKER too; jobs_sagemaker.sh covers it
AIWB_SAGEMAKER=off
export AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SAGEMAKER AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AIWB_SLURM
export AIWB_SAGEMAKER

# ---------------------------------------------------------------- baseline to s3://
run 0 "drift baseline -o s3:// writes with PutObject" "$A" drift baseline "$D/bike_2011_01.csv" -o s3://mm-bucket/baseline
check "it names where it wrote" grep -q 's3://mm-bucket/baseline/statistics.json' "$err"
"$A" drift baseline "$D/bike_2011_01.csv" -o "$T/local-baseline" 2>/dev/null
check "statistics.json on S3 is the local one byte for byte" cmp -s "$S3/mm-bucket/baseline/statistics.json" "$T/local-baseline/statistics.json"
check "constraints.json too" cmp -s "$S3/mm-bucket/baseline/constraints.json" "$T/local-baseline/constraints.json"
check "PutObject requests were signed and accepted" sh -c "grep '\"route\":\"s3.put-object\"' '$LOG' | grep -c '\"auth_ok\":true' | grep -qx 2"
check "no temporary file is left" sh -c "! ls '${TMPDIR:-/tmp}'/aiwb-drift-* 2>/dev/null | grep -q ."

# ---------------------------------------------------------------- check from s3://, many pages
: >"$LOG"
V=s3://mm-bucket/monitoring/churn-endpoint/churn-hourly/2025/12/07/10
run 3 "drift check reads baseline and data from s3:// (violations: exit 3)" "$A" drift check \
	--baseline s3://mm-bucket/baseline s3://mm-bucket/data/feb -o "$V"
check "the violations table is printed" grep -q 'baseline_drift_check' "$out"
check "the data came from 10 parts in 4 ListObjectsV2 pages (3 keys a page)" \
	sh -c "grep '\"route\":\"s3.list-objects-v2\"' '$LOG' | grep -c 'continuation-token' | grep -qx 3"
check "every part was fetched (GetObject), the marker skipped" \
	sh -c "grep '\"route\":\"s3.get-object\"' '$LOG' | grep -c 'data/feb/part-' | grep -qx 10"
check "no request was refused" sh -c "! grep -q '\"auth_ok\":false' '$LOG'"
check "the credentials never reach the log" sh -c "! grep -q 's3-secret-for-tests' '$LOG'"
"$A" drift check --baseline "$T/local-baseline" "$D/bike_2011_02.csv" -o "$T/local-check" >/dev/null 2>&1
VF=$S3/mm-bucket/monitoring/churn-endpoint/churn-hourly/2025/12/07/10/constraint_violations.json
check "constraint_violations.json on S3 equals the local check's" cmp -s "$VF" "$T/local-check/constraint_violations.json"
check "it flags the columns the local check flags" e2e_json "$VF" 'len(d["violations"]) == 10'
run 0 "January's own check goes to the 09:00 execution (no violation)" "$A" drift check \
	--baseline s3://mm-bucket/baseline s3://mm-bucket/data/jan.csv \
	-o s3://mm-bucket/monitoring/churn-endpoint/churn-hourly/2025/12/07/09
check "it says so" grep -q 'no violations' "$out"

run 3 "drift report reads an object and a prefix" "$A" drift report s3://mm-bucket/data/jan.csv s3://mm-bucket/data/feb --json
check "the report names the URIs, not temporary files" json 'd["baseline"]["path"]=="s3://mm-bucket/data/jan.csv" and d["current"]["path"]=="s3://mm-bucket/data/feb"'
check "the parts read as one data set (649 rows, no bad row)" json 'd["current"]["rows"]==649 and d["current"]["bad_rows"]==0'
"$A" drift report "$D/bike_2011_01.csv" "$D/bike_2011_02.csv" --json >"$T/local-report.json" 2>/dev/null
check "the same verdicts as the local files" e2e_json "$out" "[(c['name'], c['statistic']) for c in d['columns']] == [(c['name'], c['statistic']) for c in json.load(open('$T/local-report.json'))['columns']]"

# ---------------------------------------------------------------- errors, one sentence each
run 1 "a bucket that does not exist" "$A" drift check --baseline s3://no-such-bucket/baseline "$D/bike_2011_02.csv" -o "$T/v"
check "NoSuchBucket in one sentence" grep -q '^aiwb drift: there is no S3 bucket no-such-bucket (NoSuchBucket: The specified bucket does not exist); check the name, and the region (us-east-1)$' "$err"
check "one line" one_line
run 1 "a prefix without a baseline" "$A" drift check --baseline s3://mm-bucket/data "$D/bike_2011_02.csv" -o "$T/v"
check "it says which file is missing" grep -q 's3://mm-bucket/data has no statistics.json and constraints.json' "$err"
run 1 "data that is not there" "$A" drift report s3://mm-bucket/data/nothing.csv "$D/bike_2011_02.csv"
check "it names the URI" grep -q 'there is no object at s3://mm-bucket/data/nothing.csv' "$err"
run 1 "a bucket the credentials may not read" "$A" drift report s3://locked-bucket/x/y.csv "$D/bike_2011_02.csv"
check "AccessDenied names the permission" grep -q 'access to s3://locked-bucket was denied (AccessDenied: Access Denied); the credentials need s3:ListBucket' "$err"
AWS_SECRET_ACCESS_KEY=wrong-secret run 1 "a wrong secret key" "$A" drift report s3://mm-bucket/data/jan.csv "$D/bike_2011_02.csv"
check "SignatureDoesNotMatch, without the secret" sh -c "grep -q 'S3 refused the credentials.*SignatureDoesNotMatch' '$err' && ! grep -q wrong-secret '$err'"
run 1 "not a bucket name" "$A" drift baseline "$D/bike_2011_01.csv" -o 's3://a/x' 
check "the URI is refused, saying what a bucket name is" grep -q 'does not name an S3 bucket' "$err"

# ---------------------------------------------------------------- retries
fake_start slow --aws-access-key AKIDS3TEST --aws-secret-key s3-secret-for-tests \
	--svc "s3-root=$S3" --svc s3-fail-first=2 || fail "a third fakellm starts" "$(cat "$T/slow.err")"
AWS_ENDPOINT_URL_S3=$URL run 0 "503 SlowDown is retried" "$A" drift report s3://mm-bucket/data/jan.csv "$D/bike_2011_01.csv"
check "twice, then answered" sh -c "grep -c '\"route\":\"s3.slow-down\"' '$T/slow.log' | grep -qx 2 && grep -q '\"route\":\"s3.get-object\"' '$T/slow.log'"
fake_start slower --aws-access-key AKIDS3TEST --aws-secret-key s3-secret-for-tests \
	--svc "s3-root=$S3" --svc s3-fail-first=5 || fail "a fourth fakellm starts" "$(cat "$T/slower.err")"
AWS_ENDPOINT_URL_S3=$URL AWS_MAX_ATTEMPTS=2 run 1 "it gives up after AWS_MAX_ATTEMPTS" "$A" drift report s3://mm-bucket/data/jan.csv "$D/bike_2011_01.csv"
check "saying how often it tried" grep -q 'S3 ListObjectsV2 on s3://mm-bucket failed (SlowDown, HTTP 503: Please reduce your request rate.) (after 2 attempts)' "$err"

# ---------------------------------------------------------------- sagemaker-monitor jobs
: >"$LOG"
run 0 "jobs ls --source sagemaker-monitor" "$A" jobs ls --source sagemaker-monitor --json
check "two schedules and five executions" json 'len(d["jobs"]) == 7'
check "statuses mapped (Scheduled running, Failed failed, executions)" json '{j["source_id"]: (j["status"], j["raw_state"]) for j in d["jobs"]} == {
 "churn-hourly": ("running", "Scheduled"), "fraud-daily": ("failed", "Failed"),
 "churn-hourly/20251207T100000Z": ("completed", "CompletedWithViolations"),
 "churn-hourly/20251207T090000Z": ("completed", "Completed"),
 "churn-hourly/20251207T080000Z": ("failed", "Failed"),
 "churn-hourly/20251207T110000Z": ("running", "InProgress"),
 "churn-hourly/20251207T120000Z": ("queued", "Pending")}'
check "failure reasons kept" json '[j["reason"] for j in d["jobs"] if j["source_id"]=="churn-hourly/20251207T080000Z"] == ["Job inputs had no data"] and [j["reason"] for j in d["jobs"] if j["source_id"]=="fraud-daily"] == ["The baseline constraints file could not be read"]'
check "each execution's processing job output S3 URI" json '[j["dir"] for j in d["jobs"] if j["source_id"]=="churn-hourly/20251207T100000Z"] == ["s3://mm-bucket/monitoring/churn-endpoint/churn-hourly/2025/12/07/10"]'
check "the schedule's command says what it monitors" json '"cron(0 * ? * * *)" in [j["command"] for j in d["jobs"] if j["source_id"]=="churn-hourly"][0]'
check "ListMonitoringExecutions followed NextToken (2 a page)" sh -c "grep -c '\"route\":\"sagemaker.list-monitoring-executions\"' '$LOG' | grep -qx 4"
check "SageMaker calls were signed (JSON 1.1, X-Amz-Target)" sh -c "grep '\"route\":\"sagemaker' '$LOG' | grep -v -c '\"auth_ok\":true' | grep -qx 0 && grep -q '\"x-amz-target\":\"SageMaker.ListMonitoringSchedules\"' '$LOG'"
check "each execution's parent is its schedule's row; info holds the facts" "$E2E_PY" -c 'import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = {e: (i, p, json.loads(f) if f else None) for i, e, p, f in
        db.execute("SELECT id, ext_id, parent_id, info FROM jobs WHERE source = ?", ("sagemaker-monitor",))}
sched = rows["churn-hourly"]
execs = [r for e, r in rows.items() if e.startswith("churn-hourly/")]
assert len(execs) == 5 and all(r[1] == sched[0] for r in execs), rows
assert rows["fraud-daily"][1] is None
assert sched[2]["schedule_expression"] == "cron(0 * ? * * *)" and sched[2]["endpoint"] == "churn-endpoint"
assert rows["churn-hourly/20251207T100000Z"][2]["output"].endswith("/2025/12/07/10")' "$AIWB_HOME/aiwb.db"
run 0 "jobs ls lists them in the table" "$A" jobs ls --source sagemaker-monitor
check "with full ids" grep -q '^sagemaker-monitor:churn-hourly/20251207T080000Z  failed' "$out"

: >"$LOG"
run 0 "jobs show of an execution with violations" "$A" jobs show sagemaker-monitor:churn-hourly/20251207T100000Z
check "it asked about that execution alone: no list of schedules, its own executions around its time" sh -c "! grep -q 'SageMaker.ListMonitoringSchedules' '$LOG' && grep -q '\"x-amz-target\":\"SageMaker.DescribeMonitoringSchedule\"' '$LOG' && grep 'SageMaker.ListMonitoringExecutions' '$LOG' | grep -q 'ScheduledTimeAfter'"
check "it shows the output and the violations" sh -c "grep -q '^output:    s3://mm-bucket/monitoring/churn-endpoint/churn-hourly/2025/12/07/10' '$out' && grep -q '^temp .*baseline_drift_check .*distance: 0.368' '$out'"
check "status and raw state" grep -q '^status:    completed (CompletedWithViolations)' "$out"
: >"$LOG"
AIWB_HOME=$T/fresh run 0 "jobs show of an execution never listed here" "$A" jobs show sagemaker-monitor:churn-hourly/20251207T100000Z
check "describes it alone and shows it" sh -c "grep -q '^status:    completed (CompletedWithViolations)' '$out' && ! grep -q 'SageMaker.ListMonitoringSchedules' '$LOG'"
check "only that execution was asked for (the fake honours ScheduledTimeAfter/Before): it is the one kept" "$E2E_PY" -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
got = sorted(e for (e,) in db.execute("SELECT ext_id FROM jobs WHERE source = ?", ("sagemaker-monitor",)))
assert got == ["churn-hourly", "churn-hourly/20251207T100000Z"], got' "$T/fresh/aiwb.db"
run 0 "jobs show --json" "$A" jobs show sagemaker-monitor:churn-hourly/20251207T100000Z --json
check "violations in the JSON, as in the file" json 'len(d["violations"]) == 10 and d["violations"][0]["constraint_check_type"] in ("baseline_drift_check", "categorical_values_check")'
run 0 "an execution without violations" "$A" jobs show sagemaker-monitor:churn-hourly/20251207T090000Z
check "says none" grep -q '^no violations' "$out"
run 0 "a failed execution" "$A" jobs show sagemaker-monitor:churn-hourly/20251207T080000Z
check "its reason, and that its violations file is not there" sh -c "grep -q '^reason:    Job inputs had no data' '$out' && grep -q 'violations: cannot be read: there is no object' '$out'"
run 1 "stopping is refused in one sentence" "$A" jobs stop sagemaker-monitor:churn-hourly
check "it says how instead" grep -q 'StopMonitoringSchedule' "$err"

# later: fraud-daily deleted, the 11:00 execution done
"$E2E_PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
d["schedules"] = [s for s in d["schedules"] if s["MonitoringScheduleName"] != "fraud-daily"]
for x in d["schedules"][0]["Executions"]:
    if x["MonitoringExecutionStatus"] == "InProgress":
        x["MonitoringExecutionStatus"] = "Completed"
json.dump(d, open(sys.argv[2], "w"))' "$D/sagemaker_monitor.json" "$T/monitor-later.json"
fake_start later --aws-access-key AKIDS3TEST --aws-secret-key s3-secret-for-tests \
	--svc "sagemaker-monitor=$T/monitor-later.json" || fail "a second fakellm starts" "$(cat "$T/later.err")"
AWS_ENDPOINT_URL_SAGEMAKER=$URL run 0 "a refresh later" "$A" jobs ls --source sagemaker-monitor --json
check "a deleted schedule becomes unknown, saying why" json '[(j["status"], j["reason"]) for j in d["jobs"] if j["source_id"]=="fraud-daily"] == [("unknown", "SageMaker no longer lists this Model Monitor schedule")]'
check "an execution that ended is completed" json '[j["status"] for j in d["jobs"] if j["source_id"]=="churn-hourly/20251207T110000Z"] == ["completed"]'
AWS_ENDPOINT_URL_SAGEMAKER=$URL run 0 "its transitions" "$A" jobs show sagemaker-monitor:churn-hourly/20251207T110000Z --json
check "running, then completed" json '[t["raw_state"] for t in d["transitions"]] == ["InProgress", "Completed"]'

AWS_SECRET_ACCESS_KEY=wrong-secret run 0 "with bad credentials the jobs are shown as last seen" "$A" jobs ls --source sagemaker-monitor --json
check "the source is down, saying why" json '[s for s in d["sources"] if s["name"]=="sagemaker-monitor"][0]["state"]=="down" and "SageMaker refused the credentials (InvalidSignatureException" in [s for s in d["sources"] if s["name"]=="sagemaker-monitor"][0]["error"]'
check "the jobs are still there" json 'len(d["jobs"]) == 7'
AWS_SECRET_ACCESS_KEY=wrong-secret run 0 "the table says so on stderr" "$A" jobs ls --source sagemaker-monitor
check "in one sentence" grep -q '^aiwb jobs: the SageMaker Model Monitor source is down (SageMaker refused the credentials (InvalidSignatureException' "$err"

e2e_done
