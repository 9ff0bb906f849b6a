#!/bin/sh
# The Jobs pane in a real terminal (tmux): local training jobs started with
# `aiwb jobs run` show in the list (status, metrics) next to a Slurm source
# that is down (a squeue that cannot reach its controller) and says so; two
# marked jobs overlay their loss; a job's detail shows the metric curve in
# braille and the log growing, x asks y/n and stops it, the list and the
# registry say stopped; the pane fits 80x24 and `?` lists its keys. Every
# check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
export AIWB_SLURM=off
W=$E2E_TMP/work
mkdir -p "$W/bin"
# the workbench finds a squeue on PATH that cannot reach its controller
cat >"$W/bin/squeue" <<'SH'
#!/bin/sh
echo "squeue: error: Unable to contact slurm controller (connect failure)" >&2
exit 1
SH
chmod +x "$W/bin/squeue"

cleanup_jobs() {
	e2e_kill_local_jobs
	e2e_cleanup
}
trap cleanup_jobs EXIT

# _has_cells LO HI: the screen holds a character in U+LO..U+HI (hex).
_has_cells() {
	printf '%s' "$TUI_LAST" | "$E2E_PY" -c 'import sys
lo, hi = int(sys.argv[1], 16), int(sys.argv[2], 16)
sys.exit(0 if any(lo <= ord(c) <= hi for c in sys.stdin.buffer.read().decode("utf-8", "replace")) else 1)' "$1" "$2"
}

_lacks_re() { ! _has_re "$1"; }

cat >"$W/train.sh" <<'SH'
i=1
while [ $i -le 3000 ]; do
	printf 'step=%d loss=%d.%03d\n' $i $((10000 / (i + 10) / 1000)) $((10000 / (i + 10) % 1000))
	i=$((i + 1))
	sleep 0.1
done
SH

d="aiwb jobs run starts the training job"
ref=$("$AIWB_BIN" jobs run --name tuitrain --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' -- sh "$W/train.sh" 2>"$E2E_TMP/run.err")
case $ref in
local:*) ok "$d" ;;
*)
	fail "$d" "got '$ref'" "$(cat "$E2E_TMP/run.err")"
	e2e_done
	exit 1
	;;
esac

ref2=$("$AIWB_BIN" jobs run --name other --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' -- sh "$W/train.sh" 2>>"$E2E_TMP/run.err")

d="the Jobs pane lists the jobs at 80x24: running, ref, name and latest loss"
OLD_PATH=$PATH
PATH="$W/bin:$PATH"
tui_start 80 24
started=$?
PATH=$OLD_PATH
if [ $started = 0 ] && tui_wait "Jobs" && tui_keys 4 &&
	tui_wait_re "running +[0-9ms]+ +$ref tuitrain" && tui_wait_re "running +[0-9ms]+ +$ref2 other" &&
	tui_wait_re "loss=[0-9.]+"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="at 80x24 unzoomed, Enter opens a job with its curve, Esc goes back"
if tui_keys g Enter && tui_wait "running  $ref2 other" && tui_poll 10 _has_cells 2801 28ff && tui_keys Escape &&
	tui_wait "mark (0)"; then
	ok "$d"
	[ -n "$TUI_SHOW" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="zoomed, the header says local is up and Slurm down, and the local jobs stay listed"
if tui_keys z && tui_wait "local drift ok" && tui_wait "slurm down: squeue failed: squeue: error: Unable to contact" &&
	tui_wait "$ref tuitrain"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Space marks both jobs and c overlays their loss, the legend by job name"
if tui_keys g Space Space && tui_wait "mark (2)" && tui_keys c && tui_wait "loss across 2 jobs" &&
	tui_wait_re "━ (tuitrain|other) +━ (tuitrain|other)" && tui_poll 10 _has_cells 2801 28ff; then
	ok "$d"
else
	tui_fail "$d"
fi

d="o cycles the sort: status, name, elapsed, newest"
if tui_keys Escape && tui_wait "mark (2)" && tui_keys o && tui_wait "jobs sorted by status" && tui_keys o &&
	tui_wait "jobs sorted by name" && tui_keys o && tui_wait "jobs sorted by elapsed" && tui_keys o &&
	tui_wait "jobs sorted by newest"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="/ filters the list down to one job"
if tui_keys / && tui_type tuitrain && tui_keys Enter &&
	tui_wait_gone "$ref2 other"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter opens the job: status, the loss curve in braille cells, the log"
if tui_keys Enter && tui_wait "running  $ref tuitrain" && tui_wait_re "━ loss" &&
	tui_poll 10 _has_cells 2801 28ff && tui_wait_re "step=[0-9]+ loss="; then
	ok "$d"
	[ -n "$TUI_SHOW" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="the detail shows the job's status transitions under its status line"
if tui_wait_re "running [0-9]{2}:[0-9]{2}:[0-9]{2}"; then ok "$d"; else tui_fail "$d"; fi

d="the log follows new lines"
last=$(printf '%s\n' "$TUI_LAST" | grep -Eo 'step=[0-9]+' | tail -1 | cut -d= -f2)
next=$((last + 5))
if tui_wait "step=$next loss=" 20; then ok "$d"; else tui_fail "$d"; fi

d="/ shows only the log lines holding a word; k scrolls back, G to the end"
if tui_keys / && tui_type "step=1" && tui_keys Enter && tui_wait "/step=1" && tui_wait_re "step=1[0-9]* loss=" &&
	tui_poll 10 _lacks_re "step=[02-9][0-9]* loss=" && tui_keys / C-u Enter && tui_wait_gone "/step=1" && tui_keys k k k &&
	tui_wait "3 lines up" && tui_keys G && tui_wait_gone "lines up"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="l, s and b switch the chart to log scale, smoothing and block cells"
if tui_keys l && tui_wait "log" && tui_keys s && tui_wait "smooth" && tui_keys b && tui_poll 10 _has_cells 2580 2588; then
	ok "$d"
else
	tui_fail "$d"
fi

d="x asks before stopping; n keeps the job running"
if tui_keys x && tui_wait "Stop $ref? y/n" && tui_keys n && tui_wait "not stopped" && tui_wait "running  $ref"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="x then y stops the job, and the detail says stopped"
if tui_keys x && tui_wait "Stop $ref? y/n" && tui_keys y && tui_wait "stopped  $ref" 30; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the transitions line ends running → … → stopped, with times"
if tui_wait_re "running [0-9:]{8} → ([a-z]+ [0-9:]{8} → )*stopped [0-9:]{8}"; then ok "$d"; else tui_fail "$d"; fi

d="the registry says stopped too"
"$AIWB_BIN" jobs show "$ref" --json >"$E2E_TMP/show.json" 2>&1
if e2e_json "$E2E_TMP/show.json" 'd["status"] == "stopped"'; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/show.json")"
fi

d="Esc goes back to the list, which shows the job stopped"
if tui_keys Escape && tui_wait_re "stopped +[0-9ms]+ +$ref tuitrain"; then ok "$d"; else tui_fail "$d"; fi

d="? lists the Jobs pane's keys"
if tui_keys '?' && tui_wait "Jobs pane" && tui_wait "Stop the job (asks y/n first)" && tui_keys Escape &&
	tui_wait_gone "Stop the job (asks y/n first)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="q quits cleanly"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then ok "$d"; else tui_fail "$d"; fi

# An alert from the config fires in the workbench: the status line, and inside
# tmux the message and the @aiwb_alert option (TMUX names this test's server).
printf '{"alerts": {"ended": {"jobs": "pane-alert"}, "loss > 5": {"jobs": "nothing-*"}}}' >"$E2E_TMP/alerts.json"
d="a config alert fires in the workbench's status line when the job ends"
AIWB_CONFIG=$E2E_TMP/alerts.json TUI_ENV="TMUX=$E2E_SOCK,1,0" tui_start 100 24
started=$?
ref3=$("$AIWB_BIN" jobs run --name pane-alert -- sh -c 'sleep 1; exit 2' 2>>"$E2E_TMP/run.err")
if [ $started = 0 ] && tui_wait "Jobs" && tui_wait "alert $ref3 pane-alert: ended (failed" 30; then
	ok "$d"
else
	tui_fail "$d"
fi
d="inside tmux the alert sets @aiwb_alert"
if [ "$(tmx show-options -gqv @aiwb_alert 2>&1)" = "aiwb: $ref3 pane-alert: ended (failed: exited with status 2)" ]; then
	ok "$d"
else
	fail "$d" "$(tmx show-options -gqv @aiwb_alert 2>&1)"
fi
d="the workbench quits cleanly after the alert"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then ok "$d"; else tui_fail "$d"; fi
e2e_done
