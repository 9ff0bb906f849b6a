#!/bin/sh
# An idle workbench sleeps, yet a job started from another terminal shows in
# the Jobs pane at once: with nothing running, the pane asks its sources only
# once a minute while another pane has the focus, and the job's row comes
# through the database watch (another process wrote it). Focusing the Jobs
# pane asks the sources again. Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
W=$E2E_TMP/work
mkdir -p "$W/bin"
# no cluster: a squeue that cannot reach its controller
printf '#!/bin/sh\necho "squeue: error: Unable to contact slurm controller" >&2\nexit 1\n' >"$W/bin/squeue"
chmod +x "$W/bin/squeue"

cleanup_wake() {
	e2e_kill_local_jobs
	e2e_cleanup
}
trap cleanup_wake EXIT

d="the workbench starts, the Prompt pane focused, the Jobs pane listing the demo drift report"
OLD_PATH=$PATH
PATH="$W/bin:$PATH"
tui_start 100 30
started=$?
PATH=$OLD_PATH
if [ $started = 0 ] && tui_wait "Jobs" && tui_keys 2 && tui_wait_re "^ Prompt +Tab next pane" &&
	tui_wait "demo: bike rentals"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a job started by another process shows within 15 s, though the idle poll is a minute"
ref=$("$AIWB_BIN" jobs run --name latecomer -- sleep 60 2>"$E2E_TMP/run.err")
if case $ref in local:*) true ;; *) false ;; esac && tui_wait_re "running +[0-9ms]+ +$ref +latecomer" 15; then
	ok "$d"
else
	tui_fail "$d" "$ref $(cat "$E2E_TMP/run.err")"
fi

d="it ends outside the workbench (jobs stop) and the pane follows it"
if "$AIWB_BIN" jobs stop "$ref" >/dev/null 2>&1 && tui_wait_re "stopped +[0-9ms]+ +$ref +latecomer" 15; then
	ok "$d"
else
	tui_fail "$d"
fi

tui_stop
e2e_done
