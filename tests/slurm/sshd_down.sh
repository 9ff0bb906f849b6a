#!/bin/sh
# Stops the sshd that tests/slurm/sshd_up.sh DIR started, by its recorded PID.
set -u
DIR=${1:?usage: sshd_down.sh DIR}
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
[ -s "$DIR/sshd.pid" ] || exit 0
p=$(cat "$DIR/sshd.pid")
if alive "$p"; then
	kill -TERM "$p"
	i=0
	while alive "$p" && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	alive "$p" && kill -KILL "$p"
fi
rm -f "$DIR/sshd.pid"
exit 0
