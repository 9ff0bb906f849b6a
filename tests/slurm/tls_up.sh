#!/bin/sh
# Puts a TLS front on a loopback TCP service, as sites put one in front of
# slurmrestd (Slurm 22.05's slurmrestd has no TLS of its own): makes a
# throwaway CA (DIR/ca.pem) and a server certificate it signed (SAN
# IP:127.0.0.1 and DNS:localhost, DIR/server.pem) with the openssl command,
# then runs Debian's stunnel4 in the foreground under setsid, accepting TLS on
# a free port of 127.0.0.1 and forwarding to 127.0.0.1:BACKEND_PORT. Its PID
# goes to DIR/stunnel.pid (tests/slurm/stop_pid.sh DIR/stunnel.pid stops it), its log to
# DIR/stunnel.log. Prints the URL https://127.0.0.1:PORT once a TLS handshake
# verified with DIR/ca.pem succeeds. Prints "SKIP: reason" and exits 3 where it
# cannot run (no stunnel4 and no way to install it, no openssl, no free port).
set -u
DIR=${1:?usage: tls_up.sh DIR BACKEND_PORT}
BACKEND=${2:?usage: tls_up.sh DIR BACKEND_PORT}
skip() { echo "SKIP: $*"; exit 3; }
die() { echo "tls up: $*" >&2; exit 1; }
command -v openssl >/dev/null 2>&1 || skip "the openssl command is not installed"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
STUNNEL=$(command -v stunnel4 || command -v stunnel)
if [ -z "$STUNNEL" ]; then
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || skip "stunnel4 is not installed (scripts/deps.sh installs it)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends stunnel4 >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends stunnel4 >/dev/null 2>&1; } ||
		skip "apt-get could not install stunnel4"
	STUNNEL=$(command -v stunnel4 || command -v stunnel) || skip "stunnel4 is not installed"
fi
PY=$(command -v python3) || skip "python3 is needed to find a free port"
mkdir -p "$DIR" && chmod 700 "$DIR"
(
	umask 077
	cd "$DIR" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=aiwb test CA" -keyout ca.key -out ca.pem \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-subj "/CN=localhost" -keyout server.key -out server.csr &&
		printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile server.ext -out server.pem
) >"$DIR/openssl.log" 2>&1 || { cat "$DIR/openssl.log" >&2; die "openssl could not make the test CA and certificate"; }
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') || skip "no free port"
cat >"$DIR/stunnel.conf" <<CONF
foreground = yes
pid =
debug = notice
[slurmrestd]
accept = 127.0.0.1:$PORT
connect = 127.0.0.1:$BACKEND
cert = $DIR/server.pem
key = $DIR/server.key
CONF
setsid "$STUNNEL" "$DIR/stunnel.conf" >"$DIR/stunnel.log" 2>&1 </dev/null &
echo $! >"$DIR/stunnel.pid"
i=0
handshake() { # 0: a response; 52, 56: the backend closed or reset; TLS was verified either way
	curl -s -o /dev/null --cacert "$DIR/ca.pem" "https://127.0.0.1:$PORT/" 2>/dev/null
	_rc=$?
	[ $_rc = 0 ] || [ $_rc = 52 ] || [ $_rc = 56 ]
}
until handshake; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		tail -5 "$DIR/stunnel.log" >&2
		die "stunnel does not answer TLS on 127.0.0.1:$PORT"
	fi
	sleep 0.1
done
echo "https://127.0.0.1:$PORT"
