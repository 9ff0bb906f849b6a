# Shared helpers for the end-to-end tests: TAP output, private homes, and the
# workbench in a real terminal (tmux on a private socket).  POSIX sh; sourced
# by tests/e2e/*.sh, which run with cwd = repo root (see tests/run.sh).
#
#   e2e_begin [nobin]         temp dir, traps, cleanup at exit; checks $AIWB_BIN
#   ok DESC / fail DESC [DIAG...] / check DESC CMD...   TAP lines, numbered
#   e2e_done                  "1..N" plan; exit status 1 when something failed
#   e2e_need_tmux             one failed line and exit when tmux is missing
#   e2e_json FILE PYEXPR / e2e_sha FILE / e2e_mode FILE
#   e2e_home                  a fresh private HOME/AIWB_HOME/XDG_* (exported)
#   e2e_kill_local_jobs       kills the process group of every local job in AIWB_HOME
#   tui_start COLS ROWS [ARGS...]   aiwb in a detached tmux session
#   tui_wait TEXT [SECS] / tui_wait_re ERE [SECS] / tui_wait_gone TEXT [SECS]
#   tui_wait_bottom GLOB [SECS]   the bottom row (status line) matches GLOB
#   tui_poll SECS CMD...      generic: CMD looks at $TUI_LAST / $TUI_BOTTOM
#   tui_keys KEY... (tmux key names) / tui_type TEXT (literal)
#   tui_resize COLS ROWS / tui_wait_exit [SECS] / tui_wait_ready [SECS]
#   tui_pid / tui_alive / tui_screen / tui_fmt '#{tmux format}'
#   tui_status / tui_stty_before / tui_stty_after / tui_stderr / tui_stop
#
# Every wait has a deadline; nothing sleeps as synchronisation.

E2E_ROOT=${AIWB_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
AIWB_BIN=${AIWB_BIN:-$E2E_ROOT/aiwb}
export LC_ALL=C.UTF-8 TZ=UTC
E2E_N=0
E2E_FAILED=0
E2E_TMP=
E2E_SOCK=
E2E_SESSION=e2e
E2E_HOMES=0
TUI_DIR=
TUI_ENV=
E2E_DEFAULT_WAIT=${E2E_WAIT:-10}

# Variables that could leak the user's setup into a test.
E2E_SCRUB="AIWB_HOME AIWB_CONFIG AIWB_SHARE NO_COLOR OPENAI_API_KEY OPENAI_BASE_URL ANTHROPIC_API_KEY
ANTHROPIC_BASE_URL OLLAMA_HOST AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
AWS_DEFAULT_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
AWS_BEARER_TOKEN_BEDROCK AWS_ENDPOINT_URL AWS_ENDPOINT_URL_BEDROCK_RUNTIME AWS_ENDPOINT_URL_BEDROCK
AWS_ENDPOINT_URL_SAGEMAKER AWS_ENDPOINT_URL_CLOUDWATCH AWS_ENDPOINT_URL_CLOUDWATCH_LOGS AWS_ENDPOINT_URL_BEDROCK_AGENT
AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME AWS_ENDPOINT_URL_S3 AWS_MAX_ATTEMPTS AIWB_SAGEMAKER_MONITOR TMUX TMUX_PANE"

# ---------------------------------------------------------------- TAP

ok() {
	E2E_N=$((E2E_N + 1))
	echo "ok $E2E_N - $1"
}

# fail DESC [DIAGNOSTIC...]: each diagnostic argument may span lines.
fail() {
	E2E_N=$((E2E_N + 1))
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "not ok $E2E_N - $1"
	shift
	diag "$@"
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else fail "$_desc" "failed: $*"; fi
}

# wait_until SECS CMD...: polls CMD every 0.2 s until it succeeds (0) or SECS
# have passed (1).
wait_until() {
	_deadline=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$_deadline" ] && return 1
		sleep 0.2
	done
}

# diag TEXT...: extra "# " lines (for context after a failure).
diag() {
	for _l in "$@"; do
		printf '%s\n' "$_l" | sed 's/^/# /'
	done
}

# ---------------------------------------------------------------- fakellm

FAKE=${AIWB_BUILD:-$E2E_ROOT/build}/tests/fakes/fakellm
FAKE_PIDS=

# fake_start NAME [OPTIONS...]: starts tests/fakes/fakellm, waits for its port
# file; sets FAKE_PID and URL. Its log is $E2E_TMP/NAME.log, its stderr
# NAME.err. Every fake started is killed at exit.
fake_start() {
	_n=$1
	shift
	"$FAKE" --port-file "$E2E_TMP/$_n.port" --log "$E2E_TMP/$_n.log" --max-seconds 60 "$@" \
		2>"$E2E_TMP/$_n.err" &
	FAKE_PID=$!
	FAKE_PIDS="$FAKE_PIDS $FAKE_PID"
	_i=0
	while [ ! -s "$E2E_TMP/$_n.port" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
			URL=
			return 1
		fi
		sleep 0.05
	done
	URL=http://127.0.0.1:$(cat "$E2E_TMP/$_n.port")
}

# fake_env URL: points every provider's endpoint variable at URL (exported).
fake_env() {
	OPENAI_BASE_URL=$1/v1
	ANTHROPIC_BASE_URL=$1
	OLLAMA_HOST=$1
	AWS_ENDPOINT_URL_BEDROCK_RUNTIME=$1
	AWS_ENDPOINT_URL_BEDROCK=$1
	AWS_REGION=us-east-1
	export OPENAI_BASE_URL ANTHROPIC_BASE_URL OLLAMA_HOST AWS_ENDPOINT_URL_BEDROCK_RUNTIME \
		AWS_ENDPOINT_URL_BEDROCK AWS_REGION
}

# A relay for the fake server: GET /v1/models answers with the MODEL names
# given (so an OpenAI-compatible provider of the test's own config lists the
# fake's scenario models), and every other request goes to the fake unchanged.
# relay_start UPSTREAM_URL MODEL...: starts the relay; sets LAB_URL.
relay_start() {
	_up=${1##*:}
	shift
	cat >"$E2E_TMP/relay.py" <<-'EOF'
		import json, os, socket, sys, threading
		port_file, upstream, max_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
		models = sys.argv[4:]
		srv = socket.socket()
		srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		srv.bind(("127.0.0.1", 0))
		srv.listen(64)
		with open(port_file + ".tmp", "w") as f:
		    f.write(str(srv.getsockname()[1]))
		os.rename(port_file + ".tmp", port_file)
		threading.Timer(max_s, lambda: os._exit(0)).start()

		def pipe(a, b):
		    try:
		        while True:
		            d = a.recv(65536)
		            if not d:
		                break
		            b.sendall(d)
		    except OSError:
		        pass
		    for s in (a, b):
		        try:
		            s.shutdown(socket.SHUT_RDWR)
		        except OSError:
		            pass

		def serve(c):
		    head = b""
		    while b"\r\n\r\n" not in head:
		        d = c.recv(65536)
		        if not d:
		            c.close()
		            return
		        head += d
		    word = head.split(b"\r\n", 1)[0].split(b" ")
		    if word[0] == b"GET" and word[1].split(b"?")[0] == b"/v1/models":
		        body = json.dumps({"object": "list", "data": [
		            {"id": m, "object": "model", "created": 1700000000, "owned_by": "e2e"} for m in models]}).encode()
		        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
		                  b"Connection: close\r\n\r\n" % len(body) + body)
		        c.close()
		        return
		    u = socket.create_connection(("127.0.0.1", upstream))
		    u.sendall(head)
		    t = threading.Thread(target=pipe, args=(u, c), daemon=True)
		    t.start()
		    pipe(c, u)
		    t.join()
		    c.close()
		    u.close()

		while True:
		    conn, _ = srv.accept()
		    threading.Thread(target=serve, args=(conn,), daemon=True).start()
	EOF
	"$E2E_PY" "$E2E_TMP/relay.py" "$E2E_TMP/relay.port" "$_up" 300 "$@" 2>"$E2E_TMP/relay.err" &
	FAKE_PIDS="$FAKE_PIDS $!"
	_i=0
	while [ ! -s "$E2E_TMP/relay.port" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 200 ]; then
			LAB_URL=
			return 1
		fi
		sleep 0.05
	done
	LAB_URL=http://127.0.0.1:$(cat "$E2E_TMP/relay.port")
}


# No local job of a test outlives it: every process group a job of the data
# home recorded (DATA_HOME/jobs/ID/status) is killed.
e2e_kill_local_jobs() {
	for _s in "$AIWB_HOME"/jobs/*/status; do
		[ -f "$_s" ] || continue
		_g=$(sed -n 's/^pid=//p' "$_s")
		[ -n "$_g" ] && kill -KILL -"$_g" 2>/dev/null
	done
}

e2e_cleanup() {
	for _p in $FAKE_PIDS; do kill "$_p" 2>/dev/null; done
	[ -n "$E2E_SOCK" ] && tmx kill-server >/dev/null 2>&1
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		chmod -R u+rwx "$E2E_TMP" 2>/dev/null
		rm -rf "$E2E_TMP"
	fi
}

e2e_begin() {
	for v in $E2E_SCRUB; do unset "$v"; done
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/aiwb-e2e.XXXXXX") || {
		echo "not ok 1 - cannot create a temp dir"
		exit 1
	}
	E2E_SOCK=$E2E_TMP/tmux.sock
	E2E_PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || E2E_PY=python3
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	if [ "${1-}" != nobin ] && [ ! -x "$AIWB_BIN" ]; then
		echo "not ok 1 - aiwb binary at $AIWB_BIN (run make first)"
		exit 1
	fi
}

# e2e_need_tmux: stop with one failed test line when tmux is missing.
e2e_need_tmux() {
	command -v tmux >/dev/null 2>&1 && return 0
	fail "tmux is needed for the terminal tests (make deps installs it)"
	e2e_done
	exit 1
}

e2e_done() {
	tmx kill-server >/dev/null 2>&1
	echo "1..$E2E_N"
	echo "# $((E2E_N - E2E_FAILED)) passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ]
}

# e2e_home: a new private HOME, AIWB_HOME (not created), XDG dirs; exported.
# Sets E2E_HOME (the test's dir).
e2e_home() {
	E2E_HOMES=$((E2E_HOMES + 1))
	E2E_HOME=$E2E_TMP/h$E2E_HOMES
	mkdir -p "$E2E_HOME/home" "$E2E_HOME/config" "$E2E_HOME/xdgdata"
	HOME=$E2E_HOME/home
	AIWB_HOME=$E2E_HOME/data
	XDG_CONFIG_HOME=$E2E_HOME/config
	XDG_DATA_HOME=$E2E_HOME/xdgdata
	export HOME AIWB_HOME XDG_CONFIG_HOME XDG_DATA_HOME
	unset AIWB_CONFIG
}

# now: seconds since the epoch.
e2e_now() { date +%s; }

# e2e_json FILE EXPR: the file is JSON and the Python expression EXPR, with the
# document bound to d, is true.
e2e_json() {
	"$E2E_PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}

e2e_sha() { sha256sum "$1" | cut -d' ' -f1; }

# e2e_mode FILE: octal permission bits, e.g. 600.
e2e_mode() { stat -c %a "$1"; }

# ---------------------------------------------------------------- tmux

# The server's socket lives in the temp dir (tmux never unlinks its socket, so
# -L would leave one in /tmp/tmux-UID per run); it goes away with the dir.
tmx() { tmux -S "$E2E_SOCK" "$@"; }

tui_stop() {
	tmx kill-session -t "$E2E_SESSION" >/dev/null 2>&1
	TUI_DIR=
}

# _q WORD: sets Q to WORD quoted for sh, without forking (forks are slow on a
# busy machine and the wrapper quotes a dozen words).
_q() {
	_s=$1
	_r=
	while :; do
		case $_s in
		*\'*)
			_r="$_r${_s%%\'*}'\\''"
			_s=${_s#*\'}
			;;
		*)
			_r=$_r$_s
			break
			;;
		esac
	done
	Q="'$_r'"
}

# _w WORD...: appends " 'WORD'" for each to the wrapper being written (stdout).
_w() {
	for _a in "$@"; do
		_q "$_a"
		printf ' %s' "$Q"
	done
}

# tui_start COLS ROWS [ARGS...]
# Runs aiwb in a fresh detached session of exactly COLS x ROWS.  The child's
# environment is built from scratch: PATH, TERM (TUI_TERM, default
# tmux-256color), LC_ALL, TZ, HOME, AIWB_HOME, XDG_CONFIG_HOME, XDG_DATA_HOME,
# AIWB_CONFIG when set, sanitizer options, plus the words in $TUI_ENV
# (NAME=VALUE, no spaces).  Files in $TUI_DIR: pid, stty.before, stty.after,
# status (written last), stderr.
tui_start() {
	cols=$1 rows=$2
	shift 2
	tui_stop
	E2E_RUNS=$((${E2E_RUNS:-0} + 1))
	TUI_DIR=$E2E_TMP/run$E2E_RUNS
	mkdir -p "$TUI_DIR"
	w=$TUI_DIR/wrapper.sh
	{
		echo 'ulimit -c 0'
		_q "$TUI_DIR"
		echo "cd $Q || exit 1"
		echo 'stty -g >stty.before 2>stty.err'
		# The inner sh records its pid, then execs env, which execs aiwb: one pid.
		printf '%s' "sh -c 'echo \$\$ >pid.tmp; mv pid.tmp pid; exec \"\$@\"' aiwb env -i"
		_w "PATH=$PATH" "TERM=${TUI_TERM-tmux-256color}" LC_ALL=C.UTF-8 TZ=UTC
		for v in HOME AIWB_HOME XDG_CONFIG_HOME XDG_DATA_HOME AIWB_CONFIG ASAN_OPTIONS UBSAN_OPTIONS \
			LSAN_OPTIONS; do
			eval "isset=\${$v+x}"
			[ -n "$isset" ] && eval "_w \"$v=\$$v\""
		done
		for kv in $TUI_ENV; do _w "$kv"; done
		_w "$AIWB_BIN" "$@"
		echo ' 2>stderr'
		echo 'rc=$?'
		echo 'stty -g >stty.after 2>>stty.err'
		echo 'echo $rc >status.tmp; mv status.tmp status'
		echo 'exec sleep 600'
	} >"$w"
	# No "set -g window-size manual" here: in a config file it crashes the
	# tmux 3.3a server on "new-session -d -x -y".  resize-window (tui_resize)
	# makes the size manual for the window by itself.
	if [ ! -f "$E2E_TMP/tmux.conf" ]; then
		cat >"$E2E_TMP/tmux.conf" <<-'EOF'
			set -g status off
			set -g default-terminal tmux-256color
			set -g escape-time 0
			set -g history-limit 100
			set -g exit-empty on
		EOF
	fi
	_q "$w"
	if ! tmx -f "$E2E_TMP/tmux.conf" new-session -d -s "$E2E_SESSION" -x "$cols" -y "$rows" \
		-c "$TUI_DIR" "sh $Q" >"$TUI_DIR/tmux.err" 2>&1; then
		cat "$TUI_DIR/tmux.err" >&2
		return 1
	fi
	return 0
}

tui_screen() {
	tmx capture-pane -p -t "$E2E_SESSION" 2>/dev/null
}

E2E_NL='
'
# _capture: TUI_LAST = the screen (every row), TUI_BOTTOM = its bottom row.
_capture() {
	TUI_LAST=$(tui_screen; echo .)
	TUI_LAST=${TUI_LAST%.}
	_b=${TUI_LAST%"$E2E_NL"}
	TUI_BOTTOM=${_b##*"$E2E_NL"}
}

# The bottom row of the screen (aiwb's status line or command line).
tui_status() {
	_capture
	printf '%s\n' "$TUI_BOTTOM"
}

# tui_fmt FORMAT: a tmux format for the pane, e.g. '#{alternate_on}'.
tui_fmt() {
	tmx display-message -p -t "$E2E_SESSION" "$1" 2>/dev/null
}

# tui_poll SECS CMD...: polls every ~50 ms until CMD succeeds, at most SECS
# seconds (the clock is read every 10th round to save forks).  The screen CMD
# looks at is in $TUI_LAST.
tui_poll() {
	_secs=$1
	shift
	_end=$(($(e2e_now) + _secs))
	_i=0
	while :; do
		_capture
		if "$@"; then return 0; fi
		_i=$((_i + 1))
		if [ $((_i % 10)) -eq 0 ] && [ "$(e2e_now)" -ge "$_end" ]; then return 1; fi
		sleep 0.05
	done
}

_has_text() { case $TUI_LAST in *"$1"*) return 0 ;; esac; return 1; }
_lacks_text() { ! _has_text "$1"; }
_has_re() { printf '%s\n' "$TUI_LAST" | grep -Eq -- "$1"; }

_bottom_is() { case $TUI_BOTTOM in $1) return 0 ;; esac; return 1; }

TUI_WHY=
# tui_wait TEXT [SECS]: the screen shows TEXT (a fixed string).
tui_wait() {
	tui_poll "${2:-$E2E_DEFAULT_WAIT}" _has_text "$1" && return 0
	TUI_WHY="timed out waiting for '$1' on the screen"
	return 1
}

# tui_wait_re ERE [SECS]: some screen line matches ERE.
tui_wait_re() {
	tui_poll "${2:-$E2E_DEFAULT_WAIT}" _has_re "$1" && return 0
	TUI_WHY="timed out waiting for a line matching /$1/"
	return 1
}

# tui_wait_gone TEXT [SECS]: TEXT is no longer on the screen.
tui_wait_gone() {
	tui_poll "${2:-$E2E_DEFAULT_WAIT}" _lacks_text "$1" && return 0
	TUI_WHY="timed out waiting for '$1' to go away"
	return 1
}

# tui_wait_bottom GLOB [SECS]: the bottom row matches the shell pattern GLOB.
tui_wait_bottom() {
	tui_poll "${2:-$E2E_DEFAULT_WAIT}" _bottom_is "$1" && return 0
	TUI_WHY="timed out waiting for the bottom row to match '$1' (it is '$TUI_BOTTOM')"
	return 1
}

# tui_keys KEY...: tmux key names (Tab, BTab, Escape, Enter, C-c, q, ...).
tui_keys() {
	tmx send-keys -t "$E2E_SESSION" "$@"
}

# tui_type TEXT: literal text.
tui_type() {
	tmx send-keys -t "$E2E_SESSION" -l -- "$1"
}

tui_resize() {
	tmx resize-window -t "$E2E_SESSION" -x "$1" -y "$2"
}

_file_exists() { [ -s "$1" ]; }

# tui_wait_exit [SECS]: aiwb has exited and the wrapper wrote everything;
# the exit status is then in $TUI_RC.
tui_wait_exit() {
	if tui_poll "${1:-$E2E_DEFAULT_WAIT}" _file_exists "$TUI_DIR/status"; then
		TUI_RC=$(cat "$TUI_DIR/status")
		return 0
	fi
	TUI_RC=
	TUI_WHY="timed out waiting for aiwb to exit"
	return 1
}

_alt_on() { [ "$(tui_fmt '#{alternate_on}')" = 1 ]; }

# tui_wait_ready [SECS]: aiwb has taken the terminal (the alternate screen is
# on), so keys sent now reach it in raw mode.  For screens with nothing to
# wait for (a 1x1 window).
tui_wait_ready() {
	tui_poll "${1:-$E2E_DEFAULT_WAIT}" _alt_on && return 0
	TUI_WHY="timed out waiting for aiwb to switch to the alternate screen"
	return 1
}

# tui_pid: the pid of aiwb (waits for it to start).
tui_pid() {
	tui_poll "$E2E_DEFAULT_WAIT" _file_exists "$TUI_DIR/pid" || return 1
	cat "$TUI_DIR/pid"
}

tui_alive() {
	p=$(cat "$TUI_DIR/pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ ! -f "$TUI_DIR/status" ]
}

tui_stty_before() { cat "$TUI_DIR/stty.before" 2>/dev/null; }
tui_stty_after() { cat "$TUI_DIR/stty.after" 2>/dev/null; }
tui_stderr() { cat "$TUI_DIR/stderr" 2>/dev/null; }

# tui_stty_same: the terminal modes after aiwb equal those before it.
tui_stty_same() {
	b=$(tui_stty_before)
	a=$(tui_stty_after)
	[ -n "$b" ] && [ "$a" = "$b" ]
}

# tui_fail DESC [DIAG...]: a failed TUI test with the reason and the screen.
tui_fail() {
	desc=$1
	shift
	fail "$desc" "$@" ${TUI_WHY:+"$TUI_WHY"} "screen:" "$(tui_screen)" \
		"stderr: $(tui_stderr)" "status: $(cat "$TUI_DIR/status" 2>/dev/null)"
	TUI_WHY=
}

# ---------------------------------------------------------------- self-test
# tests/run.sh runs every tests/e2e/*.sh, this file included: run directly,
# it checks its own machinery with /bin/sh standing in for aiwb.

e2e_selftest() {
	e2e_begin nobin
	e2e_home

	d="lib: tmux is available"
	if v=$(tmux -V 2>&1); then ok "$d ($v)"; else fail "$d" "$v"; fi

	d="lib: _q quotes words so that sh reads them back unchanged"
	bad=
	for s in "" "plain" "it's" "'" "''a''" "\$(echo no) \`echo no\` \"dq\" \\ * ? ~" "tab	nl
end"; do
		_q "$s"
		eval "back=$Q"
		[ "$back" = "$s" ] || bad="$bad [$s]->[$back]"
	done
	if [ -z "$bad" ]; then ok "$d"; else fail "$d" "$bad"; fi

	d="lib: tui_start runs the program at the exact size with a clean environment"
	OPENAI_API_KEY=leak-from-outside
	export OPENAI_API_KEY
	_saved_bin=$AIWB_BIN
	AIWB_BIN=/bin/sh
	TUI_ENV="E2E_EXTRA=x1"
	tui_start 50 12 -c 'echo "env:$TERM:$LC_ALL:$TZ:${OPENAI_API_KEY-unset}:$E2E_EXTRA:$(stty size)"
echo "pid:$$"; read line; exit 3'
	TUI_ENV=
	if tui_wait "env:tmux-256color:C.UTF-8:UTC:unset:x1:12 50" 5 &&
		[ "$(tui_fmt '#{window_width}x#{window_height}')" = 50x12 ]; then
		ok "$d"
	else
		tui_fail "$d"
	fi
	unset OPENAI_API_KEY

	d="lib: tui_pid is the pid of the program itself"
	p=$(tui_pid)
	if [ -n "$p" ] && tui_wait "pid:$p" 5 && tui_alive; then ok "$d"; else tui_fail "$d" "tui_pid: $p"; fi

	d="lib: tui_resize works on the detached session"
	if tui_resize 70 20 && [ "$(tui_fmt '#{window_width}x#{window_height}')" = 70x20 ]; then
		ok "$d"
	else
		tui_fail "$d" "size: $(tui_fmt '#{window_width}x#{window_height}')"
	fi

	d="lib: tui_wait_exit reports the exit status; stty is recorded before and after"
	if tui_type "bye" && tui_keys Enter && tui_wait_exit 5 && [ "$TUI_RC" = 3 ] && tui_stty_same; then
		ok "$d"
	else
		tui_fail "$d" "before: $(tui_stty_before)" "after: $(tui_stty_after)"
	fi

	d="lib: a wait that cannot succeed gives up at its deadline"
	t0=$(e2e_now)
	if tui_wait "text that never shows" 1; then
		fail "$d" "tui_wait succeeded"
	else
		t1=$(e2e_now)
		if [ $((t1 - t0)) -le 4 ] && [ -n "$TUI_WHY" ]; then ok "$d"; else fail "$d" "took $((t1 - t0)) s"; fi
	fi
	TUI_WHY=

	d="lib: tui_stop ends the session"
	tui_stop
	if ! tmx has-session -t "$E2E_SESSION" 2>/dev/null; then ok "$d"; else fail "$d"; fi
	AIWB_BIN=$_saved_bin

	e2e_done
}

case ${0##*/} in
lib.sh) e2e_selftest ;;
esac
