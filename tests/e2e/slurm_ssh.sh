# aiwb jobs with slurm.ssh: Slurm's commands and the job logs through one
# multiplexed OpenSSH connection, against a real sshd on 127.0.0.1 (a
# throwaway key pair and sshd_config, tests/slurm/sshd_up.sh) in front of a
# real single-node Slurm (tests/slurm/up.sh). The local squeue, sbatch,
# scancel, scontrol and sacct are replaced by ones that fail, so only the
# remote ones can answer. SKIP with the reason where sshd or Slurm cannot start.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
SLURM_E2E_WHAT=slurm.ssh
. "$(dirname "$0")/../slurm/e2e.sh"
chmod 755 "$E2E_TMP"
SSHD=$E2E_TMP/sshd
export XDG_RUNTIME_DIR=$E2E_TMP/rt
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
cleanup_ssh() {
	for s in "$XDG_RUNTIME_DIR"/aiwb/ssh-*; do
		[ -S "$s" ] && ssh -F "$SSHD/ssh_config" -o ControlPath="$s" -O exit aiwb-login >/dev/null 2>&1
	done
	sh "$ROOT/tests/slurm/stop_pid.sh" "$SSHD/sshd.pid" >/dev/null 2>&1
	slurm_e2e_cleanup
	e2e_cleanup
}
trap cleanup_ssh EXIT
# aiwb reaches Slurm only through ssh: the commands are hidden from it locally
run() { PATH="$E2E_TMP/nolocal:$PATH" "$A" "$@" </dev/null >"$out" 2>"$err"; RC=$?; }
show_is() { PATH="$E2E_TMP/nolocal:$PATH" "$A" jobs show "$1" --json >"$E2E_TMP/show.json" 2>/dev/null && e2e_json "$E2E_TMP/show.json" "$2"; }
if ! { [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; }; then
	up=$(sh tests/slurm/up.sh 2>&1)
	urc=$?
	[ $urc = 3 ] && skip_all "${up#SKIP: }"
	STARTED=1
	[ $urc = 0 ] || { fail "a real single-node Slurm starts" "$up"; e2e_done; exit 1; }
fi
sup=$(sh tests/slurm/sshd_up.sh "$SSHD" 2>&1)
src=$?
[ $src = 3 ] && skip_all "${sup#SKIP: }"
[ $src = 0 ] || { fail "sshd starts on 127.0.0.1" "$sup"; e2e_done; exit 1; }
ok "a throwaway sshd on 127.0.0.1 accepts the test key ($sup)"

mkdir -p "$E2E_TMP/nolocal"
for c in squeue sbatch scancel scontrol sacct; do
	printf '#!/bin/sh\necho "local %s must not run" >&2\nexit 1\n' "$c" >"$E2E_TMP/nolocal/$c"
	chmod +x "$E2E_TMP/nolocal/$c"
done
mkdir -p "$XDG_CONFIG_HOME/aiwb"
printf '{"slurm": {"ssh": "%s@aiwb-login", "ssh_config": "%s"}}\n' "$(id -un)" "$SSHD/ssh_config" >"$XDG_CONFIG_HOME/aiwb/config.json"
before=$(grep -c 'Accepted publickey' "$SSHD/sshd.log")

cat >"$W/train.sh" <<'SH'
#!/bin/sh
for i in 1 2 3 4; do echo "step=$i loss=0.$i"; sleep 0.5; done
SH
run jobs submit --slurm --name ssh-train --cwd "$W" --metric 'loss=step=(?<step>[0-9]+) loss=([0-9.]+)' -- sh train.sh
T=$(head -1 "$out")
SUBMITTED="${T#slurm:}"
case "$T" in slurm:[0-9]*) ok "submit --slurm through ssh prints slurm:ID";; *) fail "submit through ssh" "$(what)";; esac
wait_until 90 show_is "$T" 'd["status"] == "completed"'
check "the job ran and completed, followed through ssh" show_is "$T" 'd["status"] == "completed" and d["exit_code"] == 0'
"$A" jobs metrics "$T" --json >"$E2E_TMP/m.json" 2>"$err"
check "its metrics were read from the log copied over ssh" e2e_json "$E2E_TMP/m.json" '[p["step"] for p in d["metrics"]["loss"]] == [1, 2, 3, 4]'
check "the log is a mirror in the data home; the remote path is kept" show_is "$T" \
	'd["log"].startswith("'"$AIWB_HOME"'/jobs/slurm-logs/") and d["info"]["std_out_path"] == "'"$W"'/slurm-'"${T#slurm:}"'.out"'
run jobs logs "$T"
if [ $RC = 0 ] && [ "$(cat "$out")" = "$(cat "$W/slurm-${T#slurm:}.out")" ]; then ok "jobs logs prints the remote log, byte for byte"; else fail "logs through ssh" "$(what)"; fi
# a job with --error (submitted straight with sbatch): both files mirrored over ssh and merged
E=$(sbatch --parsable --job-name ssh-err --chdir "$W" -o "$W/so-%j.out" -e "$W/se-%x-%j.err" \
	--wrap 'for i in 1 2 3; do echo "out $i"; echo "{\"metric\": \"err_loss\", \"value\": 0.$i, \"step\": $i}" >&2; sleep 0.4; done')
SUBMITTED="$SUBMITTED $E"
listed_is() { run jobs ls; show_is "$@"; } # a job sbatch submitted: jobs ls finds it
wait_until 90 listed_is "slurm:$E" 'd["status"] == "completed"'
check "over ssh, a job with --error keeps both remote paths; its log is the two merged here" show_is "slurm:$E" \
	'd["info"]["std_err_path"] == "'"$W"'/se-ssh-err-'"$E"'.err" and d["info"]["std_out_path"] == "'"$W"'/so-'"$E"'.out" and d["log"] == "'"$AIWB_HOME"'/jobs/slurm-logs/'"$E"'.log"'
check "over ssh, both files were copied through the connection (mirrors ID.out and ID.err)" \
	cmp -s "$AIWB_HOME/jobs/slurm-logs/$E.err" "$W/se-ssh-err-$E.err"
run jobs logs "slurm:$E"
if [ $RC = 0 ] && [ "$(grep -c '^out [123]$' "$out")" = 3 ] && [ "$(grep -c '"err_loss"' "$out")" = 3 ]; then ok "over ssh, jobs logs prints StdOut's and StdErr's lines"
else fail "logs with --error over ssh" "$(what)"; fi
"$A" jobs metrics "slurm:$E" --json >"$E2E_TMP/m.json" 2>"$err"
check "over ssh, metrics on StdErr are parsed" e2e_json "$E2E_TMP/m.json" '[p["step"] for p in d["metrics"]["err_loss"]] == [1, 2, 3]'
run jobs submit --slurm --name ssh-sleep --cwd "$W" -- sleep 60
S=$(head -1 "$out")
SUBMITTED="$SUBMITTED ${S#slurm:}"
wait_until 60 show_is "$S" 'd["status"] == "running"'
run jobs stop "$S"
if [ $RC = 0 ] && wait_until 60 show_is "$S" 'd["status"] == "stopped"'; then ok "jobs stop runs scancel through ssh"; else fail "stop through ssh" "$(what)"; fi
check "jobs show describes through ssh (scontrol)" show_is "$T" 'd["info"]["partition"] == "debug" and d["info"]["batch_host"] == "localnode"'
if ! grep -q 'must not run' "$err" "$E2E_TMP/show.json"; then ok "no local Slurm command ran"; else fail "a local command ran" "$(cat "$err")"; fi
after=$(grep -c 'Accepted publickey' "$SSHD/sshd.log")
socks=$(ls "$XDG_RUNTIME_DIR/aiwb" | grep -c '^ssh-')
if [ $((after - before)) = 1 ] && [ "$socks" = 1 ]; then ok "one multiplexed connection carried every command (one login, one ControlPath socket)"
else fail "one multiplexed connection" "logins: $((after - before)), sockets: $socks"; fi
check "the ControlPath directory is private (0700)" sh -c '[ "$(stat -c %a "'"$XDG_RUNTIME_DIR"'/aiwb")" = 700 ]'
{ cat "$SSHD/ssh_config"; printf 'Host aiwb-closed\n\tHostName 127.0.0.1\n\tPort 1\n'; } >"$E2E_TMP/closed_config"
printf '{"slurm": {"ssh": "%s@aiwb-closed", "ssh_config": "%s"}}\n' "$(id -un)" "$E2E_TMP/closed_config" >"$XDG_CONFIG_HOME/aiwb/config.json"
run jobs ls --json
check "a login node that cannot be reached: the source is down, its jobs as last seen" e2e_json "$out" \
	'[s for s in d["sources"] if s["name"] == "slurm"][0]["state"] == "down" and len([j for j in d["jobs"] if j["source"] == "slurm"]) >= 2'
printf '{"slurm": {"ssh": "-oProxyCommand=x"}}\n' >"$XDG_CONFIG_HOME/aiwb/config.json"
run jobs ls
if [ $RC = 1 ] && grep -q 'slurm.ssh must be user@host' "$err"; then ok "an ssh target that looks like an option is refused"; else fail "bad ssh target" "$(what)"; fi
SUBMITTED=
e2e_done
