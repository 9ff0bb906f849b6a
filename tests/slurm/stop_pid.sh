#!/bin/sh
# Stops the process whose PID a tests/slurm/*_up.sh script recorded in FILE
# (sshd_up.sh: DIR/sshd.pid, tls_up.sh: DIR/stunnel.pid): TERM, KILL after
# 5 s, then removes FILE. Nothing to do when FILE is absent.
set -u
FILE=${1:?usage: stop_pid.sh PIDFILE}
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
[ -s "$FILE" ] || exit 0
p=$(cat "$FILE")
if alive "$p"; then
	kill -TERM "$p"
	i=0
	while alive "$p" && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	alive "$p" && kill -KILL "$p"
fi
rm -f "$FILE"
exit 0
