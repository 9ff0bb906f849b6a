# aiwb jobs through slurmrestd over TCP with JWT (slurm.rest_url =
# http://127.0.0.1:PORT, the token in SLURM_JWT): a real Slurm with
# auth/jwt (AIWB_SLURM_JWT=1 tests/slurm/up.sh) and a real slurmrestd with
# rest_auth/jwt (tests/slurm/rest_up.sh tcp PORT); SKIP with the reason where
# they cannot start, or when a cluster without JWT is already up. The jobs
# read through REST are the command path's; without a token the source is
# down (HTTP 401); the token appears nowhere aiwb writes.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
SLURM_E2E_WHAT="slurmrestd with JWT"
. "$(dirname "$0")/../slurm/e2e.sh"
if [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; then
	skip_all "a Slurm is already running; JWT needs a cluster started with AIWB_SLURM_JWT=1 (tests/slurm/down.sh first)"
fi
up=$(AIWB_SLURM_JWT=1 sh tests/slurm/up.sh 2>&1)
urc=$?
[ $urc = 3 ] && skip_all "${up#SKIP: }"
STARTED=1
[ $urc = 0 ] || { fail "a real Slurm with auth/jwt starts" "$up"; e2e_done; exit 1; }
PORT=$("$E2E_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=$(sh tests/slurm/rest_up.sh tcp "$PORT" 2>&1)
rrc=$?
[ $rrc = 3 ] && skip_all "${url#SKIP: }"
[ $rrc = 0 ] || { fail "slurmrestd with rest_auth/jwt starts" "$url"; e2e_done; exit 1; }
ok "slurmrestd with JWT answers on $url"

run jobs submit --slurm --name jwt-exit3 --cwd "$W" -- sh -c 'exit 3'
J1=$(head -1 "$out")
SUBMITTED="${J1#slurm:}"
wait_until 30 show_is "$J1" 'd["status"] == "failed"'
TOKEN=$(scontrol token username="$(id -un)" lifespan=600 | sed -n 's/^SLURM_JWT=//p')
[ -n "$TOKEN" ] || fail "scontrol token gives a token" "$(scontrol token 2>&1)"
printf '{"slurm": {"rest_url": "%s"}}\n' "$url" >"$E2E_TMP/jwt.json"
rest() {
	AIWB_HOME=$E2E_TMP/jwthome AIWB_CONFIG=$E2E_TMP/jwt.json "$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
SLURM_JWT=$TOKEN rest jobs ls --json
check "ls through REST with JWT: the source is up" e2e_json "$out" '[s["state"] for s in d["sources"] if s["name"] == "slurm"] == ["up"]'
SLURM_JWT=$TOKEN rest jobs show "${J1#slurm:}" --json
check "with SLURM_JWT the job reads through REST: failed, exit 3" e2e_json "$out" \
	'd["status"] == "failed" and d["exit_code"] == 3 and d["info"]["partition"] == "debug"'
env -u SLURM_JWT AIWB_HOME=$E2E_TMP/jwthome AIWB_CONFIG=$E2E_TMP/jwt.json "$A" jobs ls --json >"$out" 2>"$err"
check "without a token: the source is down with HTTP 401" e2e_json "$out" \
	'"HTTP 401" in [s for s in d["sources"] if s["name"] == "slurm"][0]["error"]'
if ! grep -rqF "$TOKEN" "$E2E_TMP/jwthome" "$out" "$err"; then ok "the token is in no file aiwb wrote (database, log) nor its output"
else fail "token leaked" "$(grep -rlF "$TOKEN" "$E2E_TMP/jwthome")"; fi
SUBMITTED=
e2e_done
