#!/bin/sh
# Stops the stunnel that tests/slurm/tls_up.sh DIR started, by its recorded PID.
set -u
DIR=${1:?usage: tls_down.sh DIR}
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
[ -s "$DIR/stunnel.pid" ] || exit 0
p=$(cat "$DIR/stunnel.pid")
if alive "$p"; then
	kill -TERM "$p"
	i=0
	while alive "$p" && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	alive "$p" && kill -KILL "$p"
fi
rm -f "$DIR/stunnel.pid"
exit 0
