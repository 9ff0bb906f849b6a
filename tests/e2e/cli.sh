#!/bin/sh
# The command line of the real binary: help, version, usage errors, doctor
# (text and --json), secrets never printed, and the workbench refusing to
# start (bad data home, newer or corrupt database, no terminal).  Refusals that
# need a terminal run in tmux (lib.sh).
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

MARK=canary-7f3a9
VERSION=$(cat "$E2E_ROOT/VERSION")

# run CMD...: runs CMD with stdin from /dev/null; sets RC, OUT, ERR.
run() {
	"$@" </dev/null >"$E2E_TMP/out" 2>"$E2E_TMP/err"
	RC=$?
	OUT=$(cat "$E2E_TMP/out")
	ERR=$(cat "$E2E_TMP/err")
}

# aiwb ARGS...: run the binary.
aiwb() { run "$AIWB_BIN" "$@"; }

lines() { [ -z "$1" ] && echo 0 || printf '%s\n' "$1" | wc -l; }

# what: a diagnostic of the last run.
what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(printf '%s' "$OUT" | head -40)" "$ERR"
}

has() { case $1 in *"$2"*) return 0 ;; esac; return 1; }

# usage_error DESC ARGS...: exit 2, nothing on stdout, one line on stderr.
usage_error() {
	_d=$1
	shift
	aiwb "$@"
	if [ "$RC" = 2 ] && [ -z "$OUT" ] && [ "$(lines "$ERR")" = 1 ] && has "$ERR" "aiwb"; then
		ok "$_d"
	else
		fail "$_d" "$(what)"
	fi
}

e2e_home

# ---------------------------------------------------------------- help, version

d="--help exits 0 with the usage on stdout and nothing on stderr"
aiwb --help
if [ "$RC" = 0 ] && has "$OUT" "usage: aiwb" && has "$OUT" "doctor" && [ -z "$ERR" ]; then ok "$d"; else fail "$d" "$(what)"; fi

d="-h is --help"
aiwb -h
if [ "$RC" = 0 ] && has "$OUT" "usage: aiwb"; then ok "$d"; else fail "$d" "$(what)"; fi

d="--version exits 0 and prints the VERSION file's version"
aiwb --version
if [ "$RC" = 0 ] && [ "$OUT" = "aiwb $VERSION" ] && [ -z "$ERR" ]; then ok "$d"; else fail "$d" "VERSION=$VERSION" "$(what)"; fi

d="-V is --version"
aiwb -V
if [ "$RC" = 0 ] && [ "$OUT" = "aiwb $VERSION" ]; then ok "$d"; else fail "$d" "$(what)"; fi

d="doctor --help exits 0 with its usage"
aiwb doctor --help
if [ "$RC" = 0 ] && has "$OUT" "usage: aiwb doctor" && [ -z "$ERR" ]; then ok "$d"; else fail "$d" "$(what)"; fi

d="doctor -h is doctor --help"
aiwb doctor -h
if [ "$RC" = 0 ] && has "$OUT" "usage: aiwb doctor"; then ok "$d"; else fail "$d" "$(what)"; fi

# ---------------------------------------------------------------- usage errors

usage_error "an unknown command exits 2 with exactly one line on stderr" nosuchcommand
d="the unknown-command line names the command and points at --help"
if has "$ERR" "nosuchcommand" && has "$ERR" "aiwb --help"; then ok "$d"; else fail "$d" "$(what)"; fi
usage_error "an unknown option exits 2 with one line on stderr" --nosuch-option
usage_error "doctor with an unknown option exits 2" doctor --nosuch
usage_error "doctor with an extra argument exits 2" doctor extra
usage_error "--frames 0 exits 2" --frames 0
usage_error "--frames abc exits 2" --frames abc
usage_error "--frames without a number exits 2" --frames
usage_error "--theme without a name exits 2" --theme
usage_error "--theme before a command exits 2" --theme light doctor
d="usage errors do not create the data home"
if [ ! -e "$AIWB_HOME" ]; then ok "$d"; else fail "$d" "$(ls -la "$AIWB_HOME")"; fi

# ---------------------------------------------------------------- doctor

d="doctor exits 0 on a fresh home"
aiwb doctor
if [ "$RC" = 0 ] && has "$OUT" "aiwb $VERSION" && has "$OUT" "$AIWB_HOME"; then ok "$d"; else fail "$d" "$(what)"; fi

d="doctor does not create the data home (AIWB_HOME, nor the XDG default)"
unset AIWB_HOME
aiwb doctor
AIWB_HOME=$E2E_HOME/data
export AIWB_HOME
if [ "$RC" = 0 ] && [ ! -e "$AIWB_HOME" ] && [ ! -e "$XDG_DATA_HOME/aiwb" ] && has "$OUT" "$XDG_DATA_HOME/aiwb"; then
	ok "$d"
else
	fail "$d" "$(what)" "$(ls -laR "$E2E_HOME" 2>&1 | head -20)"
fi

d="doctor --json is valid JSON"
aiwb doctor --json
cp "$E2E_TMP/out" "$E2E_TMP/doctor.json"
if [ "$RC" = 0 ] && "$E2E_PY" -c 'import json,sys; json.load(sys.stdin)' <"$E2E_TMP/doctor.json"; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="doctor --json has version, data_home, config, libraries, providers"
if e2e_json "$E2E_TMP/doctor.json" \
	'all(k in d for k in ("version","data_home","config","libraries","providers")) and d["version"] == "'"$VERSION"'"'; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="doctor --json: libraries.sqlite.fts5 is true"
if e2e_json "$E2E_TMP/doctor.json" 'd["libraries"]["sqlite"]["fts5"] is True'; then ok "$d"; else fail "$d" "$(what)"; fi
d="doctor --json: libraries.libxml2 is the version loaded on demand (not linked into aiwb)"
if e2e_json "$E2E_TMP/doctor.json" 'd["libraries"]["libxml2"].startswith("2.")' && ! ldd "$AIWB_BIN" | grep -q libxml2; then
	ok "$d"
else fail "$d" "$(what)"; fi

d="doctor --json: data_home.path is AIWB_HOME, config.path is under XDG_CONFIG_HOME"
if e2e_json "$E2E_TMP/doctor.json" 'd["data_home"]["path"] == "'"$AIWB_HOME"'" and d["config"]["path"] == "'"$XDG_CONFIG_HOME"'/aiwb/config.json" and d["config"]["found"] is False'; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="doctor --json lists the four built-in providers; ollama needs no key"
if e2e_json "$E2E_TMP/doctor.json" '[p["name"] for p in d["providers"]][:4] == ["openai","anthropic","bedrock","ollama"] and d["providers"][3]["credentials"] == "not needed" and d["providers"][0]["credentials"] == "missing"'; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

# ---------------------------------------------------------------- secrets

canary_env() {
	run env "OPENAI_API_KEY=sk-$MARK-openai" "ANTHROPIC_API_KEY=sk-ant-$MARK-anthropic" \
		"AWS_ACCESS_KEY_ID=AKIAE2ETEST00000001" "AWS_SECRET_ACCESS_KEY=$MARK-aws-secret" \
		"AWS_SESSION_TOKEN=$MARK-aws-token" "$AIWB_BIN" "$@"
}

d="credentials canary: doctor reports the env keys present with source env"
canary_env doctor --json
cp "$E2E_TMP/out" "$E2E_TMP/canary.json"
if [ "$RC" = 0 ] && e2e_json "$E2E_TMP/canary.json" '
all(p["credentials"] == "present" and p["source"].startswith("env ") for p in d["providers"] if p["name"] in ("openai","anthropic","bedrock"))
and {p["name"]: p.get("source") for p in d["providers"]}["openai"] == "env OPENAI_API_KEY"
and {p["name"]: p.get("source") for p in d["providers"]}["anthropic"] == "env ANTHROPIC_API_KEY"'; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="credentials canary: the secrets never appear in doctor's output (json and text)"
json_leak=$(grep -c "$MARK" "$E2E_TMP/canary.json" "$E2E_TMP/err" | grep -v ':0$')
canary_env doctor
text_leak=$(grep -c "$MARK" "$E2E_TMP/out" "$E2E_TMP/err" | grep -v ':0$')
if [ "$RC" = 0 ] && [ -z "$json_leak$text_leak" ] && has "$OUT" "credentials present: env OPENAI_API_KEY"; then
	ok "$d"
else
	fail "$d" "leaks: $json_leak $text_leak" "$(what)"
fi

d="AWS profile: AWS_PROFILE=dev in AWS_SHARED_CREDENTIALS_FILE is found and named, the secret not printed"
mkdir -p "$E2E_HOME/aws"
cat >"$E2E_HOME/aws/credentials" <<EOF
[default]
aws_access_key_id = AKIAE2EDEFAULT000001
aws_secret_access_key = $MARK-default-secret

[dev]
aws_access_key_id = AKIAE2EDEV0000000001
aws_secret_access_key = $MARK-dev-secret
EOF
run env "AWS_SHARED_CREDENTIALS_FILE=$E2E_HOME/aws/credentials" "AWS_CONFIG_FILE=$E2E_HOME/aws/config" \
	AWS_PROFILE=dev "$AIWB_BIN" doctor --json
if [ "$RC" = 0 ] && e2e_json "$E2E_TMP/out" '[p for p in d["providers"] if p["name"] == "bedrock"][0]["credentials"] == "present" and "profile dev" in [p for p in d["providers"] if p["name"] == "bedrock"][0]["source"] and "'"$E2E_HOME/aws/credentials"'" in [p for p in d["providers"] if p["name"] == "bedrock"][0]["source"]' &&
	! grep -q "$MARK" "$E2E_TMP/out" "$E2E_TMP/err"; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="AWS profile: a profile that is not in the file is reported missing"
run env "AWS_SHARED_CREDENTIALS_FILE=$E2E_HOME/aws/credentials" "AWS_CONFIG_FILE=$E2E_HOME/aws/config" \
	AWS_PROFILE=nosuch "$AIWB_BIN" doctor --json
if [ "$RC" = 0 ] && e2e_json "$E2E_TMP/out" '[p for p in d["providers"] if p["name"] == "bedrock"][0]["credentials"] == "missing"' &&
	! grep -q "$MARK" "$E2E_TMP/out" "$E2E_TMP/err"; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="a key file readable by others (0644) is unusable, with a chmod 600 hint"
mkdir -p "$AIWB_HOME/keys"
chmod 700 "$AIWB_HOME" "$AIWB_HOME/keys"
printf 'sk-%s-keyfile\n' "$MARK" >"$AIWB_HOME/keys/openai"
chmod 644 "$AIWB_HOME/keys/openai"
aiwb doctor --json
if e2e_json "$E2E_TMP/out" 'd["providers"][0]["name"] == "openai" and d["providers"][0]["credentials"] == "unusable" and "chmod 600" in d["providers"][0]["hint"]' &&
	! grep -q "$MARK" "$E2E_TMP/out" "$E2E_TMP/err"; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="the same key file at 0600 is present, source the key file"
chmod 600 "$AIWB_HOME/keys/openai"
aiwb doctor --json
if [ "$RC" = 0 ] && e2e_json "$E2E_TMP/out" 'd["providers"][0]["credentials"] == "present" and d["providers"][0]["source"].startswith("key file")' &&
	! grep -q "$MARK" "$E2E_TMP/out" "$E2E_TMP/err"; then
	ok "$d"
else
	fail "$d" "$(what)"
fi
rm -rf "$AIWB_HOME"

# ---------------------------------------------------------------- broken config

printf '{\n  "theme": "default",\n  "log": { "level": "info",, }\n}\n' >"$E2E_HOME/bad.json"

d="a config with a syntax error: doctor exits 1 naming the file and line"
run env "AIWB_CONFIG=$E2E_HOME/bad.json" "$AIWB_BIN" doctor
if [ "$RC" = 1 ] && has "$OUT$ERR" "$E2E_HOME/bad.json:3"; then ok "$d"; else fail "$d" "$(what)"; fi

d="a config with a syntax error: doctor --json exits 1 with config.error naming file and line"
run env "AIWB_CONFIG=$E2E_HOME/bad.json" "$AIWB_BIN" doctor --json
if [ "$RC" = 1 ] && e2e_json "$E2E_TMP/out" '"'"$E2E_HOME/bad.json:3"'" in d["config"]["error"]'; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="a config with an unknown key: doctor exits 0 and warns with file and line"
printf '{\n  "theme": "default",\n  "bogus": true\n}\n' >"$E2E_HOME/warn.json"
run env "AIWB_CONFIG=$E2E_HOME/warn.json" "$AIWB_BIN" doctor
if [ "$RC" = 0 ] && has "$OUT" "unknown key 'bogus'" && has "$OUT" "$E2E_HOME/warn.json:3"; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

# ---------------------------------------------------------------- the database

# make_db PATH USER_VERSION: an SQLite file written by someone else.
make_db() {
	"$E2E_PY" -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE IF NOT EXISTS future(x)")
c.execute("PRAGMA user_version=%d" % int(sys.argv[2]))
c.commit()
c.close()' "$1" "$2"
}

# refuses DESC: the workbench in tmux exited 1 with one line on stderr.
wb_refuses() {
	tui_start 100 30 && tui_wait_exit && [ "$TUI_RC" = 1 ] && [ "$(tui_stderr | wc -l)" = 1 ] && tui_stty_same
}

wb_what() {
	printf 'exit %s\nstderr:\n%s\nscreen:\n%s\n' "$TUI_RC" "$(tui_stderr)" "$(tui_screen)"
}

e2e_home
mkdir -m 700 "$AIWB_HOME"
make_db "$AIWB_HOME/aiwb.db" 99
chmod 600 "$AIWB_HOME/aiwb.db"
sum=$(e2e_sha "$AIWB_HOME/aiwb.db")

d="a database from a newer aiwb (user_version 99): doctor exits 1 saying newer"
aiwb doctor
if [ "$RC" = 1 ] && has "$OUT$ERR" "newer"; then ok "$d"; else fail "$d" "$(what)"; fi

d="a database from a newer aiwb: the workbench refuses (exit 1, one line saying newer)"
if wb_refuses && tui_stderr | grep -q "newer" && tui_stderr | grep -q "$AIWB_HOME/aiwb.db"; then
	ok "$d"
else
	fail "$d" "$(wb_what)"
fi

d="a database from a newer aiwb is left byte for byte unchanged"
if [ "$(e2e_sha "$AIWB_HOME/aiwb.db")" = "$sum" ]; then ok "$d"; else fail "$d" "sha256 changed"; fi

e2e_home
mkdir -m 700 "$AIWB_HOME"
"$E2E_PY" -c 'import random,sys
random.seed(7)
sys.stdout.buffer.write(bytes(random.getrandbits(8) for _ in range(8192)))' >"$AIWB_HOME/aiwb.db"
chmod 600 "$AIWB_HOME/aiwb.db"
sum=$(e2e_sha "$AIWB_HOME/aiwb.db")

d="a corrupt database (random bytes): the workbench refuses with exit 1 and one line"
if wb_refuses && tui_stderr | grep -q "$AIWB_HOME/aiwb.db"; then ok "$d"; else fail "$d" "$(wb_what)"; fi

d="a corrupt database is left unchanged"
if [ "$(e2e_sha "$AIWB_HOME/aiwb.db")" = "$sum" ]; then ok "$d"; else fail "$d" "sha256 changed"; fi

d="a corrupt database: doctor exits 1 and names the problem"
aiwb doctor
if [ "$RC" = 1 ] && has "$OUT" "$AIWB_HOME/aiwb.db:"; then ok "$d"; else fail "$d" "$(what)"; fi

e2e_home
mkdir -m 700 "$AIWB_HOME"
make_db "$AIWB_HOME/aiwb.db" 0
chmod 600 "$AIWB_HOME/aiwb.db"
sum=$(e2e_sha "$AIWB_HOME/aiwb.db")

d="a foreign SQLite database (tables, user_version 0): the workbench refuses and leaves it unchanged"
if wb_refuses && [ "$(e2e_sha "$AIWB_HOME/aiwb.db")" = "$sum" ]; then ok "$d"; else fail "$d" "$(wb_what)"; fi

# ---------------------------------------------------------------- the data home

e2e_home
: >"$E2E_HOME/file"
AIWB_HOME=$E2E_HOME/file/aiwb

d="a data home under a regular file: the workbench exits 1 with one sentence naming it"
if wb_refuses && tui_stderr | grep -q "$AIWB_HOME" && tui_stderr | grep -q "AIWB_HOME"; then
	ok "$d"
else
	fail "$d" "$(wb_what)"
fi

d="a data home under a regular file: the sentence gives the real reason (a parent is not a directory)"
if tui_stderr | grep -q "not a directory"; then ok "$d"; else fail "$d" "$(wb_what)"; fi

d="a data home under a regular file: doctor exits 1 (aiwb cannot run)"
aiwb doctor
if [ "$RC" = 1 ]; then ok "$d"; else fail "$d" "$(what)"; fi

AIWB_HOME=/proc/aiwb-nope
d="AIWB_HOME=/proc/aiwb-nope: the workbench exits 1 with one sentence naming it"
if wb_refuses && tui_stderr | grep -q "/proc/aiwb-nope"; then ok "$d"; else fail "$d" "$(wb_what)"; fi

AIWB_HOME=$E2E_HOME/file
d="AIWB_HOME is a regular file: the workbench exits 1 saying it is not a directory"
if wb_refuses && tui_stderr | grep -q "not a directory"; then ok "$d"; else fail "$d" "$(wb_what)"; fi

e2e_home
mkdir -m 500 "$AIWB_HOME"
d="a read-only data home: the workbench exits 1 saying it is not writable"
if [ "$(id -u)" = 0 ]; then
	ok "$d # SKIP root can write anywhere"
elif wb_refuses && tui_stderr | grep -q "not writable"; then
	ok "$d"
else
	fail "$d" "$(wb_what)"
fi
chmod 700 "$AIWB_HOME"

# ---------------------------------------------------------------- no terminal

e2e_home
d="stdin not a tty (echo | aiwb): exit 1 with one sentence on stderr"
echo | "$AIWB_BIN" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
RC=$?
OUT=$(cat "$E2E_TMP/out")
ERR=$(cat "$E2E_TMP/err")
if [ "$RC" = 1 ] && [ "$(lines "$ERR")" = 1 ] && has "$ERR" "terminal" && [ -z "$OUT" ] && [ ! -e "$AIWB_HOME" ]; then
	ok "$d"
else
	fail "$d" "$(what)"
fi

d="TERM=dumb in a real terminal: exit 1 with one sentence naming TERM"
TUI_TERM=dumb
if wb_refuses && tui_stderr | grep -q "TERM=dumb" && [ ! -e "$AIWB_HOME" ]; then ok "$d"; else fail "$d" "$(wb_what)"; fi

d="TERM empty: exit 1 with one sentence naming TERM"
TUI_TERM=
if wb_refuses && tui_stderr | grep -q "TERM"; then ok "$d"; else fail "$d" "$(wb_what)"; fi

d="TERM unknown to terminfo: exit 1 with one sentence naming it, terminal untouched"
TUI_TERM=aiwb-no-such-terminal
if wb_refuses && tui_stderr | grep -q "aiwb-no-such-terminal" && [ "$(tui_fmt '#{alternate_on}')" = 0 ]; then
	ok "$d"
else
	fail "$d" "$(wb_what)"
fi
unset TUI_TERM

e2e_done
