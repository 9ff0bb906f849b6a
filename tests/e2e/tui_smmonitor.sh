#!/bin/sh
# A Model Monitor execution's violations one Enter away in the Jobs pane
# (tmux), read from S3 on the event loop against fakellm's fake S3 and Model
# Monitor API (tests/fakes/svc): the schedules and executions are listed, and
# Enter on an execution that completed with violations shows its
# constraint_violations.json as a table where a log would be.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
A=$AIWB_BIN
T=$E2E_TMP
D=tests/data/drift
S3=$T/s3
OUT=mm-bucket/monitoring/churn-endpoint/churn-hourly/2025/12/07/10
mkdir -p "$S3/$OUT"
e2e_home
"$A" drift baseline "$D/bike_2011_01.csv" -o "$T/base" >/dev/null 2>&1
"$A" drift check --baseline "$T/base" "$D/bike_2011_02.csv" -o "$T/v" >/dev/null 2>&1
cp "$T/v/constraint_violations.json" "$S3/$OUT/" 2>/dev/null

URL=
fake_start sm --aws-access-key AKIDS3TEST --aws-secret-key s3-secret-for-tests \
	--svc "s3-root=$S3" --svc "sagemaker-monitor=$D/sagemaker_monitor.json"
d="the fake S3 and Model Monitor API start, a violations file is in place"
if [ -n "$URL" ] && [ -s "$S3/$OUT/constraint_violations.json" ]; then ok "$d"; else
	fail "$d" "$(cat "$T/sm.err" 2>&1)"
	e2e_done
	exit 1
fi
AWS_ENDPOINT_URL_S3=$URL AWS_ENDPOINT_URL_SAGEMAKER=$URL AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=AKIDS3TEST AWS_SECRET_ACCESS_KEY=s3-secret-for-tests AIWB_SAGEMAKER=off AIWB_SLURM=off
export AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SAGEMAKER AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AIWB_SAGEMAKER AIWB_SLURM
TUI_ENV="AWS_ENDPOINT_URL_S3=$URL AWS_ENDPOINT_URL_SAGEMAKER=$URL AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDS3TEST
AWS_SECRET_ACCESS_KEY=s3-secret-for-tests AIWB_SAGEMAKER=off AIWB_SLURM=off"

d="the Jobs pane lists the schedules; + unfolds one into its executions"
if tui_start 160 40 && tui_wait "Jobs" && tui_keys 4 z && tui_wait_re "▸ sagemaker-monitor:churn-hourly " 30 &&
	tui_keys / && tui_type "churn-hourly" && tui_keys Enter g + && tui_wait_re "▾ sagemaker-monitor:churn-hourly " &&
	tui_wait "sagemaker-monitor:churn-hourly/20251207T100000Z" && tui_keys Escape; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter on an execution that completed with violations shows them, read from S3"
if tui_keys / && tui_type "20251207T100000Z" && tui_keys Enter Enter &&
	tui_wait "constraint violations (s3://$OUT/constraint_violations.json):" 30 && tui_wait "baseline_drift_check" &&
	tui_wait_re "distance: 0\.[0-9]+ exceeds threshold"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Esc goes back to the list; q quits cleanly"
if tui_keys Escape && tui_wait "20251207T100000Z" && tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi
e2e_done
