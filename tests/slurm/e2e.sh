# Shared by the end-to-end scripts that run a real Slurm (tests/e2e/slurm*.sh,
# tui_slurm.sh); sourced after tests/e2e/lib.sh, e2e_begin and e2e_home, with
# SLURM_E2E_WHAT naming what skip_all skips. Sets A (the aiwb under test),
# out, err, W (a work dir), ROOT, STARTED (1 once this script started a
# Slurm, which slurm_e2e_cleanup then stops) and RUN (the cluster's pid
# files); SUBMITTED holds the Slurm job ids to cancel at the end. The EXIT
# trap runs slurm_e2e_cleanup and e2e_cleanup; a script with more to undo
# sets its own trap calling both.
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
W=$E2E_TMP/work
mkdir -p "$W"
ROOT=$(pwd)
STARTED=0
RUN=${AIWB_SLURM_RUN:-/run/aiwb-slurm}

slurm_e2e_cleanup() {
	for id in ${SUBMITTED:-}; do scancel "$id" 2>/dev/null; done
	[ "$STARTED" = 1 ] && sh "$ROOT/tests/slurm/down.sh" >/dev/null 2>&1
}
trap 'slurm_e2e_cleanup; e2e_cleanup' EXIT

# run ARG...: aiwb ARG..., its output in $out and $err, its status in RC.
run() { "$A" "$@" </dev/null >"$out" 2>"$err"; RC=$?; }
what() { printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(cat "$err")"; }
# show_is ID EXPR: EXPR holds on `aiwb jobs show ID --json` (as d).
show_is() { "$A" jobs show "$1" --json >"$E2E_TMP/show.json" 2>/dev/null && e2e_json "$E2E_TMP/show.json" "$2"; }
# skip_all REASON: the rest is skipped, with the reason.
skip_all() {
	echo "ok $((E2E_N + 1)) - ${SLURM_E2E_WHAT:-real Slurm} # SKIP $1"
	E2E_N=$((E2E_N + 1))
	e2e_done
	exit $?
}
# alive PID: a process that is not a zombie.
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
