#!/bin/sh
# Starts a throwaway OpenSSH server on 127.0.0.1 for the slurm.ssh tests:
# installs Debian's openssh-server when missing (as up.sh installs Slurm),
# makes a host key and a client key pair in DIR, writes a temporary
# sshd_config on a free port (keys only, this user only) and a client config
# DIR/ssh_config with the Host alias `aiwb-login`, starts sshd in the
# foreground under setsid and records its PID in DIR/sshd.pid;
# tests/slurm/stop_pid.sh DIR/sshd.pid stops it. Prints "SKIP: reason" and exits 3
# where it cannot run (not root, no package, no free port).
set -u
DIR=${1:?usage: sshd_up.sh DIR}
skip() { echo "SKIP: $*"; exit 3; }
die() { echo "sshd up: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "sshd for the slurm.ssh tests is started as root"
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh-keygen >/dev/null 2>&1 || ! command -v ssh >/dev/null 2>&1; then
	command -v apt-get >/dev/null 2>&1 || skip "openssh-server is not installed and there is no apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null 2>&1; } ||
		skip "apt-get could not install openssh-server"
fi
[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd is missing"
PY=$(command -v python3) || skip "python3 is needed to find a free port"
mkdir -p "$DIR" && chmod 700 "$DIR"
install -d -m 0755 /run/sshd
rm -f "$DIR/host_key" "$DIR/host_key.pub" "$DIR/id" "$DIR/id.pub"
ssh-keygen -q -t ed25519 -N '' -f "$DIR/host_key" -C aiwb-test-host || die "cannot make a host key"
ssh-keygen -q -t ed25519 -N '' -f "$DIR/id" -C aiwb-test-client || die "cannot make a client key"
cp "$DIR/id.pub" "$DIR/authorized_keys"
chmod 600 "$DIR/authorized_keys"
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || skip "no free port"
ME=$(id -un)
cat >"$DIR/sshd_config" <<CONF
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_key
PidFile $DIR/sshd.pidfile
AuthorizedKeysFile $DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $ME
UsePAM no
StrictModes no
X11Forwarding no
AllowTcpForwarding no
LogLevel INFO
CONF
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1-2 "$DIR/host_key.pub")" >"$DIR/known_hosts"
cat >"$DIR/ssh_config" <<CONF
Host aiwb-login
	HostName 127.0.0.1
	Port $PORT
	User $ME
	IdentityFile $DIR/id
	IdentitiesOnly yes
	UserKnownHostsFile $DIR/known_hosts
	StrictHostKeyChecking yes
	LogLevel ERROR
CONF
/usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd refuses the config"
setsid /usr/sbin/sshd -D -e -f "$DIR/sshd_config" >"$DIR/sshd.log" 2>&1 </dev/null &
echo $! >"$DIR/sshd.pid"
i=0
until ssh -F "$DIR/ssh_config" -o BatchMode=yes -o ControlMaster=no aiwb-login true 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && { cat "$DIR/sshd.log" >&2; die "sshd does not accept the key on port $PORT"; }
	sleep 0.1
done
echo "sshd up: pid $(cat "$DIR/sshd.pid"), port $PORT"
