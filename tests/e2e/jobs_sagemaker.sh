# aiwb jobs with the SageMaker and Bedrock customization sources against the
# fake server (tests/fakes/fake_awsjobs.c), SigV4 checked: every page of
# ListTrainingJobs listed, every SageMaker status and secondary status mapped
# (an unknown one as unknown), curves from GetMetricData across its pages,
# logs of a two-host job from CloudWatch Logs across both streams with forward
# tokens and no line twice, a tuning job with its training jobs as children
# and its best objective, stop, resubmit, throttling retried with back-off and
# then reported per source without hiding the local jobs, Bedrock model
# customization jobs with their metrics.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
export AIWB_SLURM=off
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(cat "$err")"
}
# flog PYEXPR: a Python expression over the fake's request log, L (a list of dicts).
flog() {
	"$E2E_PY" -c 'import json,os,sys
L = [json.loads(l) for l in open(sys.argv[1])]
def target(r): return r["headers"].get("x-amz-target", "")
def calls(op): return [r for r in L if target(r).endswith("." + op)]
def since(op): return [r for r in L[int(os.environ.get("MARK", "0")):] if target(r).endswith("." + op)]
LISTS = ("ListTrainingJobs", "ListHyperParameterTuningJobs")
def listed(): return sum(len(since(op)) for op in LISTS)
def only(op, name): return all(name in r["body"] for r in since(op))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$E2E_TMP/sm.log" "$1"
}
# mark: later flog expressions see the requests from now on as since(op)
mark() {
	MARK=$(wc -l <"$E2E_TMP/sm.log")
	export MARK
}
show_is() {
	"$A" jobs show "$1" --json >"$E2E_TMP/show.json" 2>/dev/null && e2e_json "$E2E_TMP/show.json" "$2"
}

if ! fake_start sm --aws-access-key AKIDSAGEMAKER --aws-secret-key sagemaker-secret-key; then
	fail "fake server starts" "$(cat "$E2E_TMP/sm.err")"
	e2e_done
	exit 1
fi
export AWS_ACCESS_KEY_ID=AKIDSAGEMAKER AWS_SECRET_ACCESS_KEY=sagemaker-secret-key AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_SAGEMAKER=$URL AWS_ENDPOINT_URL_CLOUDWATCH=$URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$URL
export AIWB_SAGEMAKER_INTERVAL_MS=0
# Model Monitor follows AWS_ENDPOINT_URL_SAGEMAKER too; drift_s3.sh covers it
export AIWB_SAGEMAKER_MONITOR=off

# a local job, to see it is never hidden by the SageMaker source
run jobs run --name local-one -- true
LOCAL=$(cat "$out")

# ------------------------------------------------------------------ listing
run jobs ls --json
if [ $RC = 0 ] && e2e_json "$out" '[s for s in d["sources"] if s["name"] == "sagemaker" and s["state"] == "up"]'; then
	ok "jobs ls: the SageMaker source is up"
else
	fail "jobs ls: the SageMaker source is up" "$(what)"
fi
cp "$out" "$E2E_TMP/ls.json"
check "every training job of every page is listed (22) with the tuning job" e2e_json "$E2E_TMP/ls.json" \
	'len([j for j in d["jobs"] if j["source"] == "sagemaker"]) == 23'
check "ListTrainingJobs was followed through its 6 pages" flog \
	'len(calls("ListTrainingJobs")) == 6 and sum("NextToken" in r["body"] for r in calls("ListTrainingJobs")) == 5'
check "every request was SigV4-signed, scoped to its service, and accepted" flog \
	'all(r["auth"] == "sigv4" and r["auth_ok"] and r["status"] == 200 for r in L if r["route"] == "aws.jobs")'
check "JSON 1.1 for SageMaker and Logs, JSON 1.0 with query mode for CloudWatch" flog \
	'{target(r).split(".")[0] for r in L if r["route"] == "aws.jobs"} >= {"SageMaker", "GraniteServiceVersion20100801", "Logs_20140328"}
	 and all(r["headers"]["content-type"] == "application/x-amz-json-1.0" and r["headers"].get("x-amzn-query-mode") == "true"
		 for r in L if target(r).startswith("Granite"))'
check "the local job is listed beside them" e2e_json "$E2E_TMP/ls.json" \
	"[j for j in d['jobs'] if j['id'] == '$LOCAL']"

# ------------------------------------------------------------------ statuses
cat >"$E2E_TMP/want.py" <<'EOF'
want = {
    "sm-bert-training": ("running", "InProgress/Training"), "sm-pending": ("queued", "InProgress/Pending"),
    "sm-starting": ("starting", "InProgress/Starting"), "sm-launching": ("starting", "InProgress/LaunchingMLInstances"),
    "sm-preparing": ("starting", "InProgress/PreparingTrainingStack"),
    "sm-downloading": ("starting", "InProgress/Downloading"),
    "sm-image": ("starting", "InProgress/DownloadingTrainingImage"), "sm-uploading": ("running", "InProgress/Uploading"),
    "sm-interrupted": ("starting", "InProgress/Interrupted"), "sm-restarting": ("starting", "InProgress/Restarting"),
    "sm-updating": ("running", "InProgress/Updating"), "sm-stopping": ("stopping", "Stopping/Stopping"),
    "sm-completed": ("completed", "Completed/Completed"), "sm-failed": ("failed", "Failed/Failed"),
    "sm-stopped": ("stopped", "Stopped/Stopped"), "sm-maxruntime": ("timeout", "Stopped/MaxRuntimeExceeded"),
    "sm-maxwait": ("timeout", "Stopped/MaxWaitTimeExceeded"), "sm-deleting": ("stopping", "Deleting/Completed"),
    "sm-future": ("unknown", "Hibernating/Dreaming"), "tuning/hpo-1": ("running", "InProgress"),
}
got = {j["source_id"]: (j["status"], j["raw_state"]) for j in d["jobs"] if j["source"] == "sagemaker"}
bad = {k: (v, got.get(k)) for k, v in want.items() if got.get(k) != v}
print(bad) if bad else None
EOF
check "every status and secondary status maps, the raw state kept, an unknown one unknown" "$E2E_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
exec(open(sys.argv[2]).read())
sys.exit(1 if bad else 0)' "$E2E_TMP/ls.json" "$E2E_TMP/want.py"
check "a failed job carries its FailureReason" show_is sm-failed \
	'd["reason"].startswith("AlgorithmError") and d["info"]["failure_reason"].startswith("AlgorithmError")'
check "DescribeTrainingJob facts land in info: resources, billable seconds, transitions, definitions" show_is sm-completed \
	'd["info"]["instance_type"] == "ml.g5.xlarge" and d["info"]["billable_seconds"] == 1800 and
	 [t["status"] for t in d["info"]["secondary_transitions"]] == ["Starting", "Completed"] and
	 d["metric_rules"] == ["train:loss=loss=([0-9.]+)", "validation:accuracy=acc=([0-9.]+)"] and
	 d["end_ms"] - d["start_ms"] == 1800000'

# ------------------------------------------------------------------ curves
run jobs metrics sm-completed --json
cp "$out" "$E2E_TMP/metrics.json"
check "curves come from GetMetricData: 30 points a minute apart, in order" e2e_json "$E2E_TMP/metrics.json" \
	'len(d["metrics"]["train:loss"]) == 30 and all(p["origin"] == "cloudwatch" for p in d["metrics"]["train:loss"]) and
	 [p["time_ms"] for p in d["metrics"]["train:loss"]] == sorted({p["time_ms"] for p in d["metrics"]["train:loss"]}) and
	 abs(d["metrics"]["train:loss"][0]["value"] - 1.0) < 1e-9 and abs(d["metrics"]["train:loss"][-1]["value"] - 2/31) < 1e-6'
check "GetMetricData was paged with NextToken (namespace and dimension as SageMaker writes them)" flog \
	'any("NextToken" in r["body"] for r in calls("GetMetricData")) and
	 all("/aws/sagemaker/TrainingJobs" in r["body"] and "TrainingJobName" in r["body"] for r in calls("GetMetricData"))'
check "a final metric without a curve is kept from FinalMetricDataList" e2e_json "$E2E_TMP/metrics.json" \
	'[p["origin"] for p in d["metrics"]["ObjectiveMetric"]] == ["final"]'

# ------------------------------------------------------------------ logs
run jobs logs sm-bert-training
cp "$out" "$E2E_TMP/log1"
check "logs of both hosts' streams, each line once, in order per host" "$E2E_PY" -c '
import sys, re
lines = open(sys.argv[1]).read().splitlines()
for h in (1, 2):
    mine = [l for l in lines if l.startswith("[algo-%d] " % h)]
    n = [int(re.search(r"epoch (\d+)", l).group(1)) for l in mine]
    if n != list(range(1, len(n) + 1)) or len(n) < 5: sys.exit(1)' "$E2E_TMP/log1"
check "GetLogEvents followed nextForwardToken to the token that comes back unchanged" flog \
	'any("\"nextToken\":\"f/3\"" in r["body"] for r in calls("GetLogEvents")) and
	 len(calls("DescribeLogStreams")) >= 2'
sleep 2.2 # the fake's running job writes a log line every 2 s
run jobs logs sm-bert-training
check "a later read adds the new lines and repeats none" "$E2E_PY" -c '
import sys
a = open(sys.argv[1]).read().splitlines(); b = open(sys.argv[2]).read().splitlines()
sys.exit(0 if b[:len(a)] == a and len(b) > len(a) and len(set(b)) == len(b) else 1)' "$E2E_TMP/log1" "$out"

# ------------------------------------------------------------------ tuning
check "a tuning job is a parent row with its best objective so far" show_is tuning/hpo-1 \
	'd["status"] == "running" and d["metrics"]["validation:accuracy"]["last"] == 0.91 and
	 d["info"]["best_training_job"]["name"] == "hpo-1-001-aaaa"'
check "its training jobs are its children" e2e_json "$E2E_TMP/ls.json" \
	'sorted(j["source_id"] for j in d["jobs"] if j["parent"] == "sagemaker:tuning/hpo-1") ==
	 ["hpo-1-001-aaaa", "hpo-1-002-bbbb", "hpo-1-003-cccc"]'

# ------------------------------------------------------------------ one job, not the whole source
# jobs show / logs / metrics / logs -f of one job describe that job alone
# (DescribeTrainingJob, its curves and log streams): no ListTrainingJobs over
# the 22 listed jobs, no other job described.
mark
check "jobs show of a running job: the right facts" show_is sm-bert-training \
	'd["status"] == "running" and d["raw_state"] == "InProgress/Training" and d["info"]["instance_count"] == 2'
check "... from one DescribeTrainingJob, its curves and streams; nothing listed" flog \
	'listed() == 0 and len(since("DescribeTrainingJob")) == 1 and only("DescribeTrainingJob", "\"sm-bert-training\"") and
	 since("GetMetricData") and only("GetMetricData", "sm-bert-training") and
	 since("DescribeLogStreams") and only("DescribeLogStreams", "sm-bert-training/")'
mark
check "jobs show of a job that ended and was read to its end" show_is sm-completed \
	'd["status"] == "completed" and d["metrics"]["train:loss"]["points"] == 30'
check "... is one DescribeTrainingJob and nothing else" flog \
	'[target(r) for r in L[int(os.environ["MARK"]):]] == ["SageMaker.DescribeTrainingJob"]'
mark
run jobs metrics sm-bert-training --json
if [ $RC = 0 ] && e2e_json "$out" 'len(d["metrics"]["train:loss"]) >= 5' &&
	flog 'listed() == 0 and len(since("DescribeTrainingJob")) == 1 and only("GetMetricData", "sm-bert-training")'; then
	ok "jobs metrics describes the job alone and reads its new points"
else
	fail "jobs metrics describes the job alone and reads its new points" "$(what)"
fi
mark
run jobs logs sm-bert-training
if [ $RC = 0 ] && grep -q '^\[algo-2\] ' "$out" &&
	flog 'listed() == 0 and len(since("DescribeTrainingJob")) == 1 and only("GetLogEvents", "sm-bert-training/")'; then
	ok "jobs logs describes the job alone and reads its streams"
else
	fail "jobs logs describes the job alone and reads its streams" "$(what)"
fi
mark
check "jobs show of a tuning job: its best objective and children" show_is tuning/hpo-1 \
	'd["metrics"]["validation:accuracy"]["last"] == 0.91'
check "... from DescribeHyperParameterTuningJob and its training jobs' list, none of them described" flog \
	'listed() == 0 and len(since("DescribeHyperParameterTuningJob")) == 1 and
	 since("ListTrainingJobsForHyperParameterTuningJob") and not since("DescribeTrainingJob")'

# a job the registry does not know yet (a data home that never listed): described, not listed
mark
AIWB_HOME=$E2E_TMP/fresh run jobs show sagemaker:sm-failed --json
if [ $RC = 0 ] && e2e_json "$out" 'd["status"] == "failed" and d["reason"].startswith("AlgorithmError")' &&
	flog 'listed() == 0 and since("DescribeTrainingJob") and only("DescribeTrainingJob", "\"sm-failed\"")'; then
	ok "jobs show of a job not listed yet describes it alone and keeps it"
else
	fail "jobs show of a job not listed yet describes it alone and keeps it" "$(what)"
fi
AIWB_HOME=$E2E_TMP/fresh run jobs show sagemaker:tuning/hpo-1 --json
if [ $RC = 0 ] && e2e_json "$out" 'd["metrics"]["validation:accuracy"]["last"] == 0.91' && flog 'listed() == 0'; then
	ok "... a tuning job too, with its best objective"
else
	fail "... a tuning job too, with its best objective" "$(what)"
fi
AIWB_HOME=$E2E_TMP/fresh run jobs ls --json
check "... whose training jobs became its children" e2e_json "$out" \
	'sorted(j["source_id"] for j in d["jobs"] if j["parent"] == "sagemaker:tuning/hpo-1") ==
	 ["hpo-1-001-aaaa", "hpo-1-002-bbbb", "hpo-1-003-cccc"]'
AIWB_HOME=$E2E_TMP/fresh2 run jobs show sagemaker:no-such-job
if [ $RC = 1 ] && grep -q "there is no job 'sagemaker:no-such-job'" "$err"; then
	ok "a job SageMaker does not know either: one sentence, exit 1"
else
	fail "a job SageMaker does not know either: one sentence, exit 1" "$(what)"
fi

mark
"$A" jobs logs -f sagemaker:sm-restarting </dev/null >"$E2E_TMP/follow.out" 2>"$E2E_TMP/follow.err" &
FPID=$!
e2e_wait_for() { # EXPR [SECONDS]: flog EXPR comes true within the deadline
	_t=$(($(date +%s) + ${2:-10}))
	while ! flog "$1"; do
		[ "$(date +%s)" -ge $_t ] && return 1
		sleep 0.1
	done
}
if e2e_wait_for 'len(since("DescribeTrainingJob")) >= 2'; then
	ok "jobs logs -f polls the job's DescribeTrainingJob"
else
	fail "jobs logs -f polls the job's DescribeTrainingJob" "$(cat "$E2E_TMP/follow.err")"
fi
run jobs stop sagemaker:sm-restarting
_t=$(($(date +%s) + 15))
while kill -0 $FPID 2>/dev/null && [ "$(date +%s)" -lt $_t ]; do sleep 0.1; done
if kill -0 $FPID 2>/dev/null; then
	kill $FPID
	fail "jobs logs -f ends when the job ends" "$(cat "$E2E_TMP/follow.err")"
else
	wait $FPID
	FRC=$?
	if [ $FRC = 1 ] && grep -q 'sagemaker:sm-restarting stopped' "$E2E_TMP/follow.err" &&
		grep -q 'host 1 line 5 of sm-restarting' "$E2E_TMP/follow.out"; then
		ok "jobs logs -f prints the log and ends when the job ends (stopped: exit 1)"
	else
		fail "jobs logs -f prints the log and ends when the job ends (stopped: exit 1)" \
			"exit $FRC: $(cat "$E2E_TMP/follow.err") $(head -5 "$E2E_TMP/follow.out")"
	fi
fi
check "following and stopping listed nothing and described no other job" flog \
	'listed() == 0 and only("DescribeTrainingJob", "\"sm-restarting\"") and only("GetLogEvents", "sm-restarting/") and
	 len(since("StopTrainingJob")) == 1'

# ------------------------------------------------------------------ stop
run jobs stop sagemaker:sm-updating
if [ $RC = 0 ] && flog 'calls("StopTrainingJob") and "sm-updating" in calls("StopTrainingJob")[-1]["body"]'; then
	ok "jobs stop sends StopTrainingJob"
else
	fail "jobs stop sends StopTrainingJob" "$(what)"
fi
mark
AIWB_HOME=$E2E_TMP/fresh4 run jobs stop sagemaker:sm-interrupted
if [ $RC = 0 ] && flog 'listed() == 0 and only("DescribeTrainingJob", "\"sm-interrupted\"") and
	len(since("StopTrainingJob")) == 1 and "sm-interrupted" in since("StopTrainingJob")[0]["body"]'; then
	ok "jobs stop of a job not listed yet describes it alone, then stops it"
else
	fail "jobs stop of a job not listed yet describes it alone, then stops it" "$(what)"
fi
sleep 1.1
run jobs ls --source sagemaker --json
check "the stopped job goes stopping, then stopped" e2e_json "$out" \
	'[j["status"] for j in d["jobs"] if j["source_id"] == "sm-updating"] == ["stopped"]'
check "its transitions were recorded" show_is sm-updating \
	'[t["status"] for t in d["transitions"]][-2:] == ["stopping", "stopped"]'

# ------------------------------------------------------------------ resubmit
run jobs resubmit sm-completed
if [ $RC = 1 ] && grep -q '"TrainingJobName"' "$out" && grep -q -- '--yes' "$err" && ! flog 'calls("CreateTrainingJob")'; then
	ok "resubmit shows the request and sends nothing without a terminal or --yes"
else
	fail "resubmit shows the request and sends nothing without a terminal or --yes" "$(what)"
fi
run jobs resubmit sm-completed --yes
NEW=$(tail -1 "$out")
if [ $RC = 0 ] && flog 'len(calls("CreateTrainingJob")) == 1 and "TrainingJobArn" not in calls("CreateTrainingJob")[0]["body"]
	and "\"RoleArn\"" in calls("CreateTrainingJob")[0]["body"]'; then
	ok "resubmit --yes creates the copy with CreateTrainingJob"
else
	fail "resubmit --yes creates the copy with CreateTrainingJob" "$(what)"
fi
run jobs ls --source sagemaker --json
check "the copy is listed under its new name" e2e_json "$out" "[j for j in d['jobs'] if j['id'] == '$NEW']"

# ------------------------------------------------------------------ throttling
curl -s -X POST "$URL/_fake/aws-throttle?op=ListTrainingJobs&n=2" >/dev/null
run jobs ls --source sagemaker --json
if [ $RC = 0 ] && e2e_json "$out" '[s for s in d["sources"] if s["name"] == "sagemaker" and s["state"] == "up"]'; then
	ok "two throttled ListTrainingJobs are retried and the listing goes through"
else
	fail "two throttled ListTrainingJobs are retried and the listing goes through" "$(what)"
fi
check "the throttled calls were answered ThrottlingException, then retried" flog \
	'[r["status"] for r in calls("ListTrainingJobs")][-8:-6] == [400, 400]'
curl -s -X POST "$URL/_fake/aws-throttle?op=ListTrainingJobs&n=50" >/dev/null
before=$("$E2E_PY" -c 'import sys; print(sum(1 for _ in open(sys.argv[1])))' "$E2E_TMP/sm.log")
run jobs ls
if [ $RC = 0 ] && grep -q "$LOCAL" "$out" && grep -q 'the SageMaker source is down' "$err" && grep -q 'ThrottlingException' "$err" &&
	grep -q 'sm-completed' "$out"; then
	ok "still throttled: the source shows as down with the reason, local and known jobs still listed"
else
	fail "still throttled: the source shows as down with the reason, local and known jobs still listed" "$(what)"
fi
check "no hammering: three attempts in all (AWS standard retries)" "$E2E_PY" -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
t = [r["time_ms"] for r in L if r["headers"].get("x-amz-target") == "SageMaker.ListTrainingJobs"]
sys.exit(0 if len(t) == 3 else 1)' "$E2E_TMP/sm.log" "$before"
run jobs ls --json
check "--json names the down source and its error" e2e_json "$out" \
	'[s for s in d["sources"] if s["name"] == "sagemaker" and s["state"] == "down" and "Throttling" in s["error"]]
	 and [s for s in d["sources"] if s["name"] == "local" and s["state"] == "up"]'
before=$("$E2E_PY" -c 'import sys; print(sum(1 for _ in open(sys.argv[1])))' "$E2E_TMP/sm.log")
timeout 4 "$A" jobs watch --interval 0.2 </dev/null >"$out" 2>"$err"
check "jobs watch backs off while the source stays throttled (far fewer than 20 refreshes of 3 attempts)" "$E2E_PY" -c '
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])][int(sys.argv[2]):]
n = sum(1 for r in L if r["headers"].get("x-amz-target") == "SageMaker.ListTrainingJobs")
print("# ListTrainingJobs calls while watching:", n); sys.exit(0 if 3 <= n <= 21 else 1)' "$E2E_TMP/sm.log" "$before"
check "watch names the down source" grep -q "source sagemaker is down" "$out"
curl -s -X POST "$URL/_fake/aws-throttle?op=ListTrainingJobs&n=0" >/dev/null

# ------------------------------------------------------------------ bad credentials
AWS_SECRET_ACCESS_KEY=wrong-secret run jobs ls --json
check "a wrong secret key: the source is down with InvalidSignatureException" e2e_json "$out" \
	'[s for s in d["sources"] if s["name"] == "sagemaker" and s["state"] == "down" and "InvalidSignature" in s["error"]]'
AWS_ENDPOINT_URL_SAGEMAKER=http://127.0.0.1:1 run jobs ls --json
check "an endpoint that does not answer: down, the others listed" e2e_json "$out" \
	'[s for s in d["sources"] if s["name"] == "sagemaker" and s["state"] == "down"] and len(d["jobs"]) > 20'

# ------------------------------------------------------------------ Bedrock customization jobs
AIWB_BEDROCK_JOBS=on AWS_ENDPOINT_URL_BEDROCK=$URL run jobs ls --source bedrock --json
cp "$out" "$E2E_TMP/br.json"
check "Bedrock customization jobs of both pages, statuses mapped" e2e_json "$E2E_TMP/br.json" \
	'sorted((j["source_id"], j["status"]) for j in d["jobs"]) == [("ft-llama-3", "failed"), ("ft-stopped", "stopped"),
	 ("ft-stopping", "stopping"), ("ft-titan-1", "running"), ("ft-titan-2", "completed")]'
check "ListModelCustomizationJobs was paged with nextToken" flog \
	'len([r for r in L if r["path"] == "/model-customization-jobs"]) >= 3 and
	 any("nextToken=" in r["query"] for r in L if r["path"] == "/model-customization-jobs")'
mark
AIWB_BEDROCK_JOBS=on AWS_ENDPOINT_URL_BEDROCK=$URL run jobs show bedrock:ft-titan-2 --json
cp "$out" "$E2E_TMP/br-show.json"
check "jobs show of a customization job is one GetModelCustomizationJob, no list" flog \
	'[(r["method"], r["path"]) for r in L[int(os.environ["MARK"]):]] == [("GET", "/model-customization-jobs/ft-titan-2")]'
cp "$E2E_TMP/br-show.json" "$out"
check "training and validation loss as the job reports them" e2e_json "$out" \
	'd["metrics"]["training_loss"]["last"] == 0.4213 and d["metrics"]["validation_loss"]["last"] == 0.5102 and
	 d["metrics"]["validation_loss_2"]["last"] == 0.5377 and d["info"]["customization_type"] == "FINE_TUNING"'
mark
AIWB_HOME=$E2E_TMP/fresh3 AIWB_BEDROCK_JOBS=on AWS_ENDPOINT_URL_BEDROCK=$URL run jobs show bedrock:ft-titan-2 --json
if [ $RC = 0 ] && e2e_json "$out" 'd["status"] == "completed" and d["metrics"]["training_loss"]["last"] == 0.4213' &&
	flog 'not [r for r in L[int(os.environ["MARK"]):] if r["path"] == "/model-customization-jobs"]'; then
	ok "jobs show of a customization job not listed yet gets it alone"
else
	fail "jobs show of a customization job not listed yet gets it alone" "$(what)"
fi
AIWB_BEDROCK_JOBS=on AWS_ENDPOINT_URL_BEDROCK=$URL run jobs show bedrock:ft-llama-3 --json
check "a failed customization job carries its failure message" e2e_json "$out" \
	'd["status"] == "failed" and "not valid JSON Lines" in d["reason"]'
mark
AIWB_BEDROCK_JOBS=on AWS_ENDPOINT_URL_BEDROCK=$URL run jobs stop bedrock:ft-titan-1
if [ $RC = 0 ] && flog '[(r["method"], r["path"]) for r in L[int(os.environ["MARK"]):] if r["method"] == "POST"] ==
	[("POST", "/model-customization-jobs/ft-titan-1/stop")]'; then
	ok "jobs stop of a customization job posts its /stop once"
else
	fail "jobs stop of a customization job posts its /stop once" "$(what)"
fi

e2e_done
