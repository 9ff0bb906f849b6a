#!/bin/sh
# Starts slurmrestd on a unix socket beside a cluster that tests/slurm/up.sh
# started, as measured on a real Slurm 22.05 without systemd: rest_auth/local,
# only the openapi/v0.0.38 plugin (the default set is fatal without slurmdbd),
# and SLURMRESTD_SECURITY=disable_user_check because these tests run as root
# (slurmrestd refuses root otherwise). Prints the socket's path. The PID goes
# to $AIWB_SLURM_RUN/slurmrestd.pid; tests/slurm/down.sh stops it (SIGINT).
# Prints "SKIP: reason" and exits 3 where it cannot run.
# `rest_up.sh tcp PORT` instead listens on 127.0.0.1:PORT with rest_auth/jwt
# (a cluster started with AIWB_SLURM_JWT=1; slurmrestd itself gets
# SLURM_JWT=daemon) and prints its URL.
set -u
RUN=${AIWB_SLURM_RUN:-/run/aiwb-slurm}
SOCK=$RUN/slurmrestd.sock
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
command -v slurmrestd >/dev/null 2>&1 || [ -x /usr/sbin/slurmrestd ] || { echo "SKIP: slurmrestd is not installed"; exit 3; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 3; }
[ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")" || { echo "slurm rest: start the cluster with tests/slurm/up.sh first" >&2; exit 1; }
if [ -s "$RUN/slurmrestd.pid" ] && alive "$(cat "$RUN/slurmrestd.pid")"; then
	echo "$SOCK"
	exit 0
fi
if [ "${1:-}" = tcp ]; then
	PORT=${2:?usage: rest_up.sh tcp PORT}
	SLURM_JWT=daemon SLURMRESTD_SECURITY=disable_user_check setsid slurmrestd -a rest_auth/jwt -s openapi/v0.0.38 \
		"127.0.0.1:$PORT" >/var/log/slurm/slurmrestd.log 2>&1 </dev/null &
	echo $! >"$RUN/slurmrestd.pid"
	i=0
	until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/slurm/v0.0.38/ping")" = 401 ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "slurm rest: slurmrestd does not answer on 127.0.0.1:$PORT" >&2; exit 1; }
		sleep 0.1
	done
	echo "http://127.0.0.1:$PORT"
	exit 0
fi
rm -f "$SOCK"
SLURMRESTD_SECURITY=disable_user_check setsid slurmrestd -a rest_auth/local -s openapi/v0.0.38 "unix:$SOCK" \
	>/var/log/slurm/slurmrestd.log 2>&1 </dev/null &
echo $! >"$RUN/slurmrestd.pid"
i=0
until curl -sf --unix-socket "$SOCK" http://localhost/slurm/v0.0.38/ping >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "slurm rest: slurmrestd does not answer on $SOCK:" >&2
		tail -5 /var/log/slurm/slurmrestd.log >&2
		exit 1
	fi
	sleep 0.1
done
echo "$SOCK"
