#!/bin/sh
# The drift view of the Jobs pane in a real terminal (tmux): on first run the
# demo workspace's drift report is in the job list, ready; Enter opens its
# column table with the five drifted columns the demo documents at the top;
# o cycles the sort; Enter on a column shows the baseline and current
# distributions side by side; a drift monitor started with `aiwb drift watch`
# is listed too, and a column of it shows its score over the checks with the
# threshold. Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
export AIWB_SLURM=off
W=$E2E_TMP/work
mkdir -p "$W"
CAP=tests/data/drift/capture

cleanup_jobs() {
	e2e_kill_local_jobs
	e2e_cleanup
}
trap cleanup_jobs EXIT

# _top_drifted: the five rows under the column header are the demo's drifted ones.
_top_drifted() {
	printf '%s\n' "$TUI_LAST" | grep -A5 'COLUMN' | grep -Eo '(weather|casual|temp_c|humidity|count|season|hour|registered|weekday|windspeed) ' |
		head -5 | sort | tr -d ' \n' | grep -qx 'casualcounthumiditytemp_cweather'
}

# _first_is NAME: the first row under the column header is NAME's.
_first_is() { printf '%s\n' "$TUI_LAST" | grep -A1 'COLUMN' | tail -1 | grep -Eq "[ ●] $1 "; }

d="on first run the demo's drift report is in the Jobs pane"
TUI_ENV="AIWB_SLURM=off"
tui_start 100 30
if [ $? = 0 ] && tui_wait "Jobs" && tui_keys 4 z && tui_wait_re "completed .*drift:[0-9]+ demo: bike rentals" &&
	tui_wait "drifted=5"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter opens the report: a column table, the demo's five drifted columns at the top"
if tui_keys g Enter && tui_wait "5 of 10 drifted" && tui_wait "THRESHOLD" && tui_poll 10 _top_drifted &&
	tui_wait_re "weather +categorical +chisquare +p=2e-37 +p<0.05 .* DRIFT"; then
	ok "$d"
	[ -n "$TUI_SHOW" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="o sorts the columns by name, score, missing share and back by severity"
if tui_keys o && tui_wait "columns sorted by name" && tui_wait "sort: name" && tui_poll 10 _first_is casual &&
	tui_keys o && tui_wait "sort: score" && tui_poll 10 _first_is weather && tui_keys o &&
	tui_wait "sort: missing" && tui_poll 10 _first_is humidity && tui_keys o && tui_wait "sort: severity" &&
	tui_poll 10 _top_drifted && tui_poll 10 _first_is weather; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter on weather shows the baseline and current shares side by side"
if tui_keys g Enter && tui_wait "baseline (990)" && tui_wait "current (981)" &&
	tui_wait_re "rain +[█▉▊▋▌▍▎▏]+ +10\.[0-9]% +[█▉▊▋▌▍▎▏]+ +33\.[0-9]%"; then
	ok "$d"
	[ -n "$TUI_SHOW" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="a numeric column shows histograms over shared bins"
if tui_keys Escape && tui_wait "THRESHOLD" && tui_keys j Enter && tui_wait "bin" &&
	tui_wait_re "\[[-0-9.]+\.\.[-0-9.]+\) +[█▉▊▋▌▍▎▏]" && tui_keys Escape Escape && tui_wait "drifted=5"; then
	ok "$d"
else
	tui_fail "$d"
fi

# a monitor: the demo's reference as the baseline, capture lines that drift arriving later
"$AIWB_BIN" drift baseline examples/drift/reference.csv -o "$W/base" 2>/dev/null
cp "$CAP/reference.jsonl" "$W/capture.jsonl"
mon=$("$AIWB_BIN" drift watch --baseline "$W/base" "$W/capture.jsonl" --every 200ms --window 200 --name tuiwatch 2>/dev/null)

d="the drift monitor is listed as a running job of source drift"
if tui_wait_re "running .*$mon tuiwatch" 15; then ok "$d"; else tui_fail "$d"; fi

d="after new rows arrive, the monitor's table puts the drifted columns first"
# wait for the first check to be recorded before the drifted rows arrive
_checked() { [ -s "$AIWB_HOME/jobs/${mon#drift:}/report.json" ]; }
tui_poll 15 _checked
cat "$CAP/current.jsonl" >>"$W/capture.jsonl"
if tui_keys g && tui_wait_re "running .*$mon tuiwatch" && tui_keys Enter && tui_wait "monitor $mon" &&
	tui_wait "5 of 10 drifted" 20 && tui_poll 10 _top_drifted; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter on a monitor's column shows its score over the checks with the threshold, then the distributions"
if tui_keys g Enter && tui_wait "━ drift." && tui_wait "━ threshold" && tui_wait "baseline (" &&
	tui_wait "current ("; then
	ok "$d"
	[ -n "$TUI_SHOW" ] && printf '%s\n' "$TUI_LAST"
else
	tui_fail "$d"
fi

d="Esc twice goes back to the job list"
if tui_keys Escape Escape && tui_wait_re "running .*$mon tuiwatch"; then ok "$d"; else tui_fail "$d"; fi

tui_stop
"$AIWB_BIN" jobs stop "$mon" >/dev/null 2>&1
e2e_done
