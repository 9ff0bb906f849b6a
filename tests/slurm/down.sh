#!/bin/sh
# Stops what tests/slurm/up.sh started, by the PIDs it recorded only: cancels
# the jobs first (so no slurmstepd outlives slurmd), then slurmrestd (SIGINT,
# its clean shutdown), slurmd, slurmctld, slurmdbd and mariadbd (AIWB_SLURM_ACCT=1) and
# munged (only when up.sh started it), TERM then KILL after 10 s.
set -u
RUN=${AIWB_SLURM_RUN:-/run/aiwb-slurm}
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }
if [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; then
	ids=$(squeue -h -o %i 2>/dev/null)
	[ -n "$ids" ] && scancel $ids 2>/dev/null
	i=0
	while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.2
	done
fi
stop() {
	f=$RUN/$1.pid
	[ -s "$f" ] || return 0
	p=$(cat "$f")
	if alive "$p"; then
		kill -"${2:-TERM}" "$p"
		i=0
		while alive "$p" && [ $i -lt 100 ]; do
			i=$((i + 1))
			sleep 0.1
		done
		alive "$p" && kill -KILL "$p"
	fi
	rm -f "$f"
}
stop slurmrestd INT
stop slurmd
stop slurmctld
stop slurmdbd
stop mariadbd
stop munged
exit 0
