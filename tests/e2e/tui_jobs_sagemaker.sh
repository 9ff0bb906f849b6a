#!/bin/sh
# The Jobs pane with SageMaker jobs from the fake server (tmux): the header
# says the sagemaker source is up beside local, the training jobs are listed
# with their status and latest metrics, a tuning job is one row (▸) with its
# best objective that + unfolds into its training jobs, a two-host job opens with its
# CloudWatch curve in braille and its log from both hosts' streams growing,
# x then y stops it through StopTrainingJob and it shows stopped. Every check
# polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
export AIWB_SLURM=off

_has_cells() {
	printf '%s' "$TUI_LAST" | "$E2E_PY" -c 'import sys
lo, hi = int(sys.argv[1], 16), int(sys.argv[2], 16)
sys.exit(0 if any(lo <= ord(c) <= hi for c in sys.stdin.buffer.read().decode("utf-8", "replace")) else 1)' "$1" "$2"
}

if ! fake_start sm --aws-access-key AKIDTUI --aws-secret-key tui-secret --max-seconds 120; then
	fail "fake server starts" "$(cat "$E2E_TMP/sm.err")"
	e2e_done
	exit 1
fi
export AWS_ACCESS_KEY_ID=AKIDTUI AWS_SECRET_ACCESS_KEY=tui-secret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_SAGEMAKER=$URL AWS_ENDPOINT_URL_CLOUDWATCH=$URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$URL
export AIWB_SAGEMAKER_INTERVAL_MS=1000
TUI_ENV="AIWB_SLURM=off AWS_ACCESS_KEY_ID=AKIDTUI AWS_SECRET_ACCESS_KEY=tui-secret AWS_REGION=us-east-1
AWS_ENDPOINT_URL_SAGEMAKER=$URL AWS_ENDPOINT_URL_CLOUDWATCH=$URL AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=$URL
AWS_CONFIG_FILE=$HOME/none AWS_SHARED_CREDENTIALS_FILE=$HOME/none AIWB_SAGEMAKER_INTERVAL_MS=1000"
ref=sagemaker:sm-bert-training

d="the Jobs pane lists the SageMaker jobs with their status and latest metrics"
if tui_start 120 40 && tui_wait "Jobs" && tui_keys 4 && tui_wait_re "running +[0-9hms]+ +$ref +sm-bert-training" 20 &&
	tui_wait_re "queued +- +sagemaker:sm-pending" && tui_wait_re "train:loss=[0-9.]+"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="zoomed, the header says local and sagemaker are up, and no Slurm"
if tui_keys z && tui_wait "local drift sagemaker ok" && tui_keys z; then ok "$d"; else tui_fail "$d"; fi

tref=sagemaker:tuning/hpo-1
# the three rows right under the unfolded tuning row are its training jobs, their └ two columns in
_children_indented() {
	printf '%s\n' "$TUI_LAST" | "$E2E_PY" -c 'import sys
rows = sys.stdin.read().splitlines()
p = [i for i, r in enumerate(rows) if "\u25be sagemaker:tuning/hpo-1 " in r][0]
col = rows[p].index("\u25be")
kids = rows[p + 1:p + 4]
sys.exit(0 if all(r.find("\u2514 sagemaker:hpo-1-00") == col + 2 for r in kids) else 1)'
}
d="zoomed, a tuning job is one folded row (▸) with its best objective so far; its training jobs are under it"
if tui_keys z / && tui_type hpo-1 && tui_keys Enter g && tui_wait_re "▸ $tref hpo-1 +validation:accuracy=0\\.91" &&
	tui_wait_gone "sagemaker:hpo-1-001-aaaa"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="+ unfolds it (▾): its three training jobs indented under it, + folds them again"
if tui_keys + && tui_wait_re "▾ $tref hpo-1 " && tui_wait "└ sagemaker:hpo-1-001-aaaa" &&
	tui_wait "└ sagemaker:hpo-1-002-bbbb" && tui_wait "└ sagemaker:hpo-1-003-cccc" && _children_indented &&
	tui_keys + && tui_wait_re "▸ $tref" && tui_wait_gone "sagemaker:hpo-1-001-aaaa" && tui_keys Escape &&
	tui_wait "sm-pending" && tui_keys z; then
	ok "$d"
else
	tui_fail "$d"
fi

d="/ and Enter open the two-host job: its CloudWatch curve in braille, its log from both streams"
if tui_keys / && tui_type sm-bert && tui_keys Enter && tui_wait_gone "sm-pending" && tui_keys Enter &&
	tui_wait "running  $ref" && tui_wait_re "━ train:loss" && tui_poll 10 _has_cells 2801 28ff &&
	tui_wait_re "\\[algo-1\\] host 1 epoch" && tui_wait_re "\\[algo-2\\] host 2 epoch"; then
	ok "$d"
	[ -n "$TUI_SHOW" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="the log follows new lines from CloudWatch Logs"
last=$(printf '%s\n' "$TUI_LAST" | grep -Eo 'host 1 epoch [0-9]+' | tail -1 | awk '{print $4}')
if [ -n "$last" ] && tui_wait "host 1 epoch $((last + 2)) " 30; then ok "$d"; else tui_fail "$d"; fi

d="x then y stops the job through StopTrainingJob; it shows stopped"
if tui_keys x && tui_wait "Stop $ref? y/n" && tui_keys y && tui_wait "stopped  $ref" 30; then
	ok "$d"
else
	tui_fail "$d"
fi

d="q quits cleanly"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then ok "$d"; else tui_fail "$d"; fi
e2e_done
