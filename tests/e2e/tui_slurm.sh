#!/bin/sh
# The Jobs pane with a real Slurm (tests/slurm/up.sh; SKIP with the reason
# where it cannot start): the example training job run locally and a Slurm
# job show in one list, the Slurm one running with its loss parsed from its
# StdOut file; a Slurm job array is one row (▸, its tasks counted) that `+`
# unfolds into all its tasks (└ slurm:A_0 ... slurm:A_3, those waiting for a
# CPU queued) and folds again; the header
# says both sources are up. Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
. "$(dirname "$0")/../slurm/e2e.sh"
chmod 755 "$E2E_TMP"
cleanup_tui_slurm() {
	tui_stop
	e2e_kill_local_jobs
	slurm_e2e_cleanup
	e2e_cleanup
}
trap cleanup_tui_slurm EXIT
if ! { [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; }; then
	up=$(sh tests/slurm/up.sh 2>&1)
	urc=$?
	if [ $urc = 3 ]; then
		echo "ok $((E2E_N + 1)) - a Slurm job in the Jobs pane # SKIP ${up#SKIP: }"
		E2E_N=$((E2E_N + 1))
		e2e_done
		exit $?
	fi
	STARTED=1
	[ $urc = 0 ] || { fail "a real single-node Slurm starts" "$up"; e2e_done; exit 1; }
fi

d="the example training job starts locally"
ref=$(cd "$ROOT/examples/jobs" && "$AIWB_BIN" jobs run --name localtrain --metric 'loss=\bloss=([0-9.]+)' -- python3 train.py --epochs 400 2>"$E2E_TMP/run.err")
case $ref in local:*) ok "$d" ;; *) fail "$d" "got '$ref'" "$(cat "$E2E_TMP/run.err")" ;; esac

cat >"$W/train.sh" <<'SH'
#!/bin/sh
i=1
while [ $i -le 600 ]; do echo "step=$i loss=0.$i"; i=$((i + 1)); sleep 0.2; done
SH
sref=$("$AIWB_BIN" jobs submit --slurm --name slurmtrain --cwd "$W" --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' -- sh train.sh 2>"$E2E_TMP/sub.err")
aref=$("$AIWB_BIN" jobs submit --slurm --name arr --array 0-3 --cwd "$W" -- sh -c 'sleep 120' 2>>"$E2E_TMP/sub.err")
SUBMITTED="${sref#slurm:} ${aref#slurm:}"
case "$sref $aref" in "slurm:"[0-9]*" slurm:"[0-9]*) ok "a Slurm job and a Slurm array are submitted";; *) fail "submit" "$sref $aref $(cat "$E2E_TMP/sub.err")";; esac

d="the Jobs pane lists the Slurm job running, with its loss, next to the local job"
tui_start 100 30
if tui_wait "Jobs" && tui_keys 4 && tui_wait_re "running +[0-9ms]+ +$sref slurmtrain +loss=0\.[0-9]+" 60 &&
	tui_wait_re "(running|completed) +[0-9ms]+ +$ref localtrain" && tui_wait "slurm ok"; then
	ok "$d"
	[ -n "${TUI_SHOW:-}" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="the array is one folded row with its tasks counted"
if tui_wait_re "▸ $aref arr +4 tasks: " 30 && tui_wait_gone "└ ${aref}_0"; then ok "$d"; else tui_fail "$d"; fi

d="+ unfolds the array into all its tasks (those that wait for a CPU queued), + again folds it"
if tui_keys g && tui_wait_re "▸ $aref arr" && tui_keys + && tui_wait_re "▾ $aref arr" && tui_wait "└ ${aref}_0" &&
	tui_wait "└ ${aref}_1" && tui_wait_re "queued +[^ ]+ +└ ${aref}_3 arr" && tui_keys + && tui_wait_gone "└ ${aref}_0"; then
	ok "$d"
	[ -n "${TUI_SHOW:-}" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="Enter on the Slurm job opens its curve and its log"
if tui_keys / && tui_type slurmtrain && tui_keys Enter && tui_wait_gone "$ref localtrain" && tui_keys Enter &&
	tui_wait_re "━ loss" && tui_wait_re "step=[0-9]+ loss=0\.[0-9]+"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="q quits cleanly"
if tui_keys Escape q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then ok "$d"; else tui_fail "$d"; fi
e2e_done
