#!/bin/sh
# Hostile text in the workbench (tmux, 100x30): work and memory grow linearly
# with it and keys keep acting.
#  - A 10 MB answer without a newline: the fake sends it as fast as aiwb
#    reads, then keeps the stream open 15 s more (burst-640 ... tps-4); a key
#    pressed as the text streams acts while the column still says
#    "streaming…", C-c cancels it (the column says how much of it it shows),
#    and the whole stream costs aiwb seconds of CPU, not a minute (it
#    re-wrapped the whole line on every read).
#  - The same with one endless word (no space either).
#  - Two such answers compared, their word diff open while they stream: a
#    key acts before they end and the diff is not made again per frame.
#  - A stored answer of 33,554,432 newlines opened in the history view: it
#    opens, scrolls to its end and back, and the resident memory of aiwb
#    while it is shown stays a small multiple of the answer's size (it took
#    2.4 GB: a string and a row for every line).
# Every check polls the screen or /proc with a deadline; none depends on
# how fast the machine is beyond generous deadlines.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

COLS=100
ROWS=30
MB10=640 # tokens of 16,384 bytes: 10 MiB

if ! fake_start faults --max-seconds 300; then
	fail "the fake server starts" "$(cat "$E2E_TMP/faults.err" 2>/dev/null)"
	e2e_done
	exit 1
fi
URL1=$URL

# A sanitizer build needs more memory and time for the same work.
SAN=1
SAN_ENV=
if grep -q __asan_init "$AIWB_BIN" 2>/dev/null; then
	SAN=4
	SAN_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:quarantine_size_mb=16"
fi
TUI_ENV="OPENAI_API_KEY=sk-e2e-faults OPENAI_BASE_URL=$URL1/v1${SAN_ENV:+ $SAN_ENV}"

# config MODEL: a private home whose default model is openai/MODEL.
config() {
	e2e_home
	printf '{ "default_model": "openai/%s" }\n' "$1" >"$E2E_HOME/config.json"
	AIWB_CONFIG=$E2E_HOME/config.json
	export AIWB_CONFIG
}

# cpu_ds PID: user + system CPU of PID in tenths of a second.
cpu_ds() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%d\n", ($12 + $13) * 10 / hz }' "/proc/$1/stat"
}

# rss_mb PID FIELD: VmRSS or VmHWM of PID in MiB.
rss_mb() {
	awk -v f="$2:" '$1 == f { printf "%d\n", $2 / 1024 }' "/proc/$1/status"
}

_streaming_and() { _has_text "streaming… C-c cancels" && _has_text "$1"; }

# The column streams and its metrics count at least $1 tokens out.
_streaming_and_out() {
	_has_text "streaming… C-c cancels" || return 1
	_n=$(printf '%s\n' "$TUI_LAST" | sed -n 's/.* \([0-9][0-9]*\) out.*/\1/p' | head -1)
	[ -n "$_n" ] && [ "$_n" -ge "$1" ]
}

# The length of the newest run's saved answer.
_saved() {
	"$E2E_PY" -c 'import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("SELECT length(output) FROM runs ORDER BY id DESC LIMIT 1").fetchone()
print(r[0] if r else 0)' "$AIWB_HOME/aiwb.db" 2>&1
}
_saved_at_least() { [ "$(_saved)" -ge "$1" ] 2>/dev/null; }

# stream_case DESC MODEL: sends "hi" to MODEL from the Prompt pane; a key
# (z, zoom) pressed once the answer streams acts before the stream ends.
stream_case() {
	what=$1
	config "$2"
	d="$what: the answer streams"
	if tui_start $COLS $ROWS && tui_wait "2 Prompt" && tui_keys 2 Enter && tui_wait "Prompt for openai/" &&
		tui_type hi && tui_keys C-s && tui_wait "streaming… C-c cancels" 30; then
		ok "$d"
	else
		tui_fail "$d"
		return
	fi
	pid=$(tui_pid)

	d="$what: a key pressed as it streams acts before the stream ends"
	if tui_keys z && tui_poll 20 _streaming_and "2 Prompt (zoomed)" && tui_wait_re "$3"; then
		ok "$d"
	else
		tui_fail "$d" "(the column must still say streaming… when the zoom shows)"
	fi

	d="$what: all 10 MiB arrive (2,621,440 tokens estimated) while it still streams"
	if tui_poll 60 _streaming_and_out 2621440; then ok "$d"; else tui_fail "$d"; fi

	d="$what: C-c cancels it mid-stream and keeps the partial answer, saved whole"
	if tui_keys C-c && tui_wait "cancelled; the partial answer was kept" 20 && _saved_at_least 10485760 &&
		tui_wait_re 'the first 1\.0 of 10\.[0-9] MiB shown; H has it all'; then
		ok "$d"
	else
		tui_fail "$d" "saved: $(_saved)"
	fi

	# The old wrap read the whole open line again per read: ~50 s of CPU.
	d="$what: 10 MB cost aiwb at most $((8 * SAN)) s of CPU"
	c=$(cpu_ds "$pid")
	if [ -n "$c" ] && [ "$c" -le $((80 * SAN)) ]; then ok "$d ($c/10 s)"; else fail "$d" "used ${c:-?}/10 s"; fi

	d="$what: q quits"
	if tui_keys q && tui_wait_exit 20 && [ "$TUI_RC" = 0 ]; then ok "$d"; else tui_fail "$d"; fi
}

stream_case "10 MB of words without a newline" "longline-16384-burst-$MB10-tokens-$((MB10 + 60))-tps-4" \
	'[a-z]{6} [a-z]{6} [a-z]{6}'
stream_case "10 MB of one endless word" "longline-16384-nospace-burst-$MB10-tokens-$((MB10 + 60))-tps-4" \
	'[a-z]{90}'

# ---------------------------------------------------------------- the word diff of two such answers

_runs() {
	"$E2E_PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM runs").fetchone()[0])' "$AIWB_HOME/aiwb.db" 2>/dev/null ||
		echo 0
}
_pair_swapped_unsaved() { _has_text "Word diff: [-openai/longline-16384-nospace" && [ "$(_runs)" = 0 ]; }
_runs_are() { [ "$(_runs)" = "$1" ]; }

W1=longline-16384-burst-$MB10-tokens-$((MB10 + 40))-tps-4
W2=longline-16384-nospace-burst-$MB10-tokens-$((MB10 + 40))-tps-4
e2e_home
unset AIWB_CONFIG
d="two models streaming 10 MB each are compared; d opens their word diff as they stream"
if fake_start faults2 --max-seconds 300 --openai-models "$W1,$W2"; then
	TUI_ENV="OPENAI_API_KEY=sk-e2e-faults OPENAI_BASE_URL=$URL/v1${SAN_ENV:+ $SAN_ENV}"
	if tui_start $COLS $ROWS && tui_wait_re "openai +2 models" && tui_keys j Space j Space &&
		tui_wait "compare 2 marked models" && tui_keys 2 Enter && tui_wait "Prompt for 2 models" &&
		tui_type hi && tui_keys C-s && tui_wait "streaming… C-c cancels" 30 && tui_keys d &&
		tui_wait "Word diff: [-openai/longline-16384-burst" 30; then
		ok "$d"
	else
		tui_fail "$d"
	fi
	pid=$(tui_pid)
	d="l picks the other pair before the streams end (nothing saved yet)"
	if tui_keys l && tui_poll 20 _pair_swapped_unsaved; then ok "$d"; else tui_fail "$d" "runs saved: $(_runs)"; fi
	d="both answers end and are saved"
	if tui_poll 120 _runs_are 2; then ok "$d"; else tui_fail "$d" "runs saved: $(_runs)"; fi
	d="two 10 MB streams under the word diff cost aiwb at most $((8 * SAN)) s of CPU"
	c=$(cpu_ds "$pid")
	if [ -n "$c" ] && [ "$c" -le $((80 * SAN)) ]; then ok "$d ($c/10 s)"; else fail "$d" "used ${c:-?}/10 s"; fi
	tui_keys Escape q
	tui_wait_exit 20
else
	fail "the second fake server starts" "$(cat "$E2E_TMP/faults2.err" 2>/dev/null)"
fi
TUI_ENV="OPENAI_API_KEY=sk-e2e-faults OPENAI_BASE_URL=$URL1/v1${SAN_ENV:+ $SAN_ENV}"

# ---------------------------------------------------------------- the history view

config gpt-4o-mini
NL=33554432
d="a stored answer of $NL newlines (made by aiwb ask, then its output replaced)"
if OPENAI_API_KEY=sk-e2e-faults OPENAI_BASE_URL=$URL1/v1 "$AIWB_BIN" ask -m openai/gpt-4o-mini \
	"the capped answer" >"$E2E_TMP/ask.out" 2>&1 &&
	"$E2E_PY" -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE runs SET output = ? WHERE id = 1", ("\n" * int(sys.argv[2]),))
c.commit()
n = c.execute("SELECT length(output) FROM runs WHERE id = 1").fetchone()[0]
sys.exit(0 if n == int(sys.argv[2]) else 1)' "$AIWB_HOME/aiwb.db" $NL; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/ask.out")"
fi

d="the history view opens it: its first screen, the answer's title and a line count still growing"
if tui_start $COLS $ROWS && tui_wait "4 Jobs" && tui_keys H && tui_wait "the capped answer" &&
	tui_keys Enter && tui_wait "Run 1 ·" 30 && tui_wait "Answer" && tui_wait_re 'line 1 of [0-9]+\+'; then
	ok "$d"
else
	tui_fail "$d"
fi
pid=$(tui_pid)

d="while it is shown aiwb holds at most $((150 * SAN)) MiB (the answer is 32 MiB)"
r=$(rss_mb "$pid" VmRSS)
if [ -n "$r" ] && [ "$r" -le $((150 * SAN)) ]; then ok "$d ($r MiB)"; else fail "$d" "VmRSS ${r:-?} MiB"; fi

d="G goes to its end (the metrics, 100%) and g back to the top"
if tui_keys G && tui_wait "Metrics" 60 && tui_wait "100%" && tui_keys g && tui_wait "Prompt" &&
	tui_wait " 0% "; then
	ok "$d"
else
	tui_fail "$d"
fi

d="wrapped to its end, aiwb still holds at most $((150 * SAN)) MiB, and never held more than $((300 * SAN))"
r=$(rss_mb "$pid" VmRSS)
h=$(rss_mb "$pid" VmHWM)
if [ -n "$r" ] && [ "$r" -le $((150 * SAN)) ] && [ "$h" -le $((300 * SAN)) ]; then
	ok "$d ($r MiB, peak $h MiB)"
else
	fail "$d" "VmRSS ${r:-?} MiB, VmHWM ${h:-?} MiB"
fi

d="Esc returns to the list, Esc closes the view, q quits"
if tui_keys Escape && tui_wait "the capped answer" && tui_keys Escape && tui_wait "2 Prompt" && tui_keys q &&
	tui_wait_exit 20 && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi

e2e_done
