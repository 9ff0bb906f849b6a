#!/bin/sh
# Starts a real single-node Slurm (Debian 12 / slurm-wlm 22.05) without systemd
# for the Slurm tests, as measured on a real single-node Slurm without systemd: munged, slurmctld and
# slurmd on 127.0.0.1, node `localnode`, partition `debug`. Installs the
# minimal packages (munge slurmctld slurmd slurm-client) when missing, and
# slurmrestd for tests/slurm/rest_up.sh (optional: its tests SKIP without it).
# PIDs go to $AIWB_SLURM_RUN (default /run/aiwb-slurm); tests/slurm/down.sh
# stops exactly those. Prints "SKIP: reason" and exits 3 where Slurm cannot be
# started (not root, no apt-get, a Slurm configuration these scripts did not
# write); exits 1 when it was tried and failed; 0 when the node is idle.
# AIWB_SLURM_ACCT=1: accounting storage too (MariaDB and slurmdbd, installed
# when missing, started before slurmctld), so that sacct works.
# AIWB_SLURM_JWT=1: JWT authentication too (slurm-wlm-jwt-plugin installed
# when missing, a fresh HS256 key), for slurmrestd on TCP (rest_up.sh tcp).
set -u
RUN=${AIWB_SLURM_RUN:-/run/aiwb-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by aiwb tests/slurm/up.sh"
NODE=localnode
skip() { echo "SKIP: $*"; exit 3; }
die() { echo "slurm up: $*" >&2; exit 1; }
alive() { _s=$(ps -o stat= -p "$1" 2>/dev/null); [ -n "$_s" ] && [ "${_s#Z}" = "$_s" ]; }

[ "$(id -u)" = 0 ] || skip "Slurm tests start slurmctld, slurmd and munged as root; run them as root"
if [ -f "$CONF" ] && ! grep -qxF "$MARK" "$CONF"; then
	skip "$CONF exists and was not written by these tests; not touching a real Slurm setup"
fi
for d in slurmctld slurmd slurmdbd mariadbd; do
	if [ -s "$RUN/$d.pid" ] && alive "$(cat "$RUN/$d.pid")"; then
		die "$d is already running (pid $(cat "$RUN/$d.pid")); run tests/slurm/down.sh first"
	fi
done

pkgs="munge slurmctld slurmd slurm-client"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	command -v apt-get >/dev/null 2>&1 || skip "packages missing ($missing) and no apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
		skip "apt-get could not install$missing"
fi
if ! dpkg-query -W -f='${Status}' slurmrestd 2>/dev/null | grep -q 'install ok installed' && command -v apt-get >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends slurmrestd >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends slurmrestd >/dev/null 2>&1; }
fi
for b in munged slurmctld slurmd sinfo squeue sbatch scancel; do
	command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || skip "$b is not installed"
done
mkdir -p "$RUN"

# munge: the key comes from the package; /run/munge is not created without systemd-tmpfiles
if [ ! -s /etc/munge/munge.key ]; then
	install -d -o munge -g munge -m 0700 /etc/munge
	/usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key || die "cannot create the munge key"
	chown munge:munge /etc/munge/munge.key
	chmod 0600 /etc/munge/munge.key
fi
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
if ! { [ -s /run/munge/munged.pid ] && alive "$(cat /run/munge/munged.pid)"; }; then
	runuser -u munge -- /usr/sbin/munged || die "munged did not start"
	cp /run/munge/munged.pid "$RUN/munged.pid"
fi
i=0
until munge -n | unmunge >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 50 ] && die "munge does not answer"
	sleep 0.1
done

ACCT="AccountingStorageType=accounting_storage/none"
if [ "${AIWB_SLURM_ACCT:-0}" = 1 ]; then
	for p in slurmdbd mariadb-server; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && continue
		command -v apt-get >/dev/null 2>&1 || skip "$p is missing and there is no apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends slurmdbd mariadb-server >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends slurmdbd mariadb-server >/dev/null 2>&1; } ||
			skip "apt-get could not install slurmdbd and mariadb-server"
	done
	install -d -m 0755 /var/log/slurm /etc/slurm
	install -d -o mysql -g mysql -m 0755 /run/mysqld
	setsid /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 >/var/log/slurm/mariadb.log 2>&1 </dev/null &
	echo $! >"$RUN/mariadbd.pid"
	i=0
	until mariadb -e 'select 1' >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && die "mariadbd does not answer (see /var/log/slurm/mariadb.log)"
		sleep 0.1
	done
	mariadb -e "DROP DATABASE IF EXISTS aiwb_slurm_acct; CREATE DATABASE aiwb_slurm_acct;
		CREATE USER IF NOT EXISTS 'aiwbslurm'@'localhost' IDENTIFIED BY 'aiwbslurm';
		GRANT ALL ON aiwb_slurm_acct.* TO 'aiwbslurm'@'localhost'; FLUSH PRIVILEGES;" || die "cannot create the accounting database"
	ACCT="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819"
fi

JWT=
if [ "${AIWB_SLURM_JWT:-0}" = 1 ]; then
	if ! dpkg-query -W -f='${Status}' slurm-wlm-jwt-plugin 2>/dev/null | grep -q 'install ok installed'; then
		command -v apt-get >/dev/null 2>&1 || skip "slurm-wlm-jwt-plugin is missing and there is no apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends slurm-wlm-jwt-plugin >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends slurm-wlm-jwt-plugin >/dev/null 2>&1; } ||
			skip "apt-get could not install slurm-wlm-jwt-plugin"
	fi
	JWT="AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=/var/spool/slurmctld/jwt_hs256.key"
fi
HW=$(slurmd -C | head -1 | sed -E "s/^NodeName=[^ ]+/NodeName=$NODE/")
rm -rf /var/spool/slurmctld /var/spool/slurmd
install -d -m 0755 /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
if [ -n "$JWT" ]; then
	(umask 077 && head -c 32 /dev/urandom >/var/spool/slurmctld/jwt_hs256.key) || die "cannot write the JWT key"
fi
cat >"$CONF" <<CONF
$MARK
ClusterName=aiwbtest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
$ACCT
$JWT
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
MinJobAge=300
KillWait=5
InactiveLimit=0
$HW NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF

if [ "${AIWB_SLURM_ACCT:-0}" = 1 ]; then # slurmdbd before slurmctld, after slurm.conf (sacctmgr reads it)
	cat >/etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=6819
SlurmUser=root
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=aiwb_slurm_acct
StorageUser=aiwbslurm
StoragePass=aiwbslurm
CONF
	chmod 600 /etc/slurm/slurmdbd.conf
	rm -f /run/slurmdbd.pid
	slurmdbd || die "slurmdbd did not start (see /var/log/slurm/slurmdbd.log)"
	i=0
	until [ -s /run/slurmdbd.pid ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && die "slurmdbd wrote no pid file (see /var/log/slurm/slurmdbd.log)"
		sleep 0.1
	done
	cp /run/slurmdbd.pid "$RUN/slurmdbd.pid"
	i=0
	until sacctmgr -n list cluster >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt 300 ] && die "slurmdbd does not answer (see /var/log/slurm/slurmdbd.log)"
		sleep 0.2
	done
fi
rm -f /run/slurmctld.pid /run/slurmd.pid
slurmctld || die "slurmctld did not start (see /var/log/slurm/slurmctld.log)"
slurmd -N "$NODE" || die "slurmd did not start (see /var/log/slurm/slurmd.log)"
i=0
until [ -s /run/slurmctld.pid ] && [ -s /run/slurmd.pid ]; do
	i=$((i + 1))
	[ $i -gt 50 ] && die "no pid files from slurmctld/slurmd"
	sleep 0.1
done
cp /run/slurmctld.pid "$RUN/slurmctld.pid"
cp /run/slurmd.pid "$RUN/slurmd.pid"
i=0
st=
until [ "$st" = idle ]; do
	i=$((i + 1))
	[ $i -gt 150 ] && die "node state '$st', not idle (see /var/log/slurm/)"
	sleep 0.2
	st=$(sinfo -h -n "$NODE" -o %T 2>/dev/null)
done
echo "slurm up: slurmctld $(cat "$RUN/slurmctld.pid"), slurmd $(cat "$RUN/slurmd.pid"), node idle"
