#!/bin/sh
# Installs the Debian packages aiwb builds and tests with, only those missing:
# the libraries, cmocka, tmux (workbench tests), python3 (JSON checks in tests) and
# python3-scipy/python3-numpy (drift reference values in tests and bench),
# stunnel4 and openssl (a TLS front and a throwaway CA for slurmrestd in
# tests/e2e/slurm_tls.sh, openssl s_server in test_http; the Slurm packages
# themselves are installed by tests/slurm/up.sh when its tests run).
set -eu
pkgs="build-essential pkg-config libncurses-dev libreadline-dev libcurl4-openssl-dev libcjson-dev \
libssl-dev libsqlite3-dev libyaml-dev zlib1g-dev libpcre2-dev libxml2-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libcmocka-dev tmux python3 curl sqlite3 \
python3-scipy python3-numpy stunnel4 openssl"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "aiwb: these packages are missing and apt-get is not available:$missing" >&2
	exit 1
fi
line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
	sudo="sudo"
else
	echo "aiwb: missing packages; run as root:" >&2
	echo "  apt-get update && $line" >&2
	exit 1
fi
echo "aiwb: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends $missing
