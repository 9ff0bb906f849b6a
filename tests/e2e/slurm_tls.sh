# aiwb jobs through slurmrestd over https (slurm.rest_url =
# https://127.0.0.1:PORT, network.ca_bundle = a test CA, the token in
# SLURM_JWT), as sites run it: Slurm 22.05's slurmrestd speaks plain http, so
# a TLS terminator (Debian's stunnel4, tests/slurm/tls_up.sh, with a throwaway
# CA and certificate made by openssl) sits in front of it. First, without
# Slurm: a certificate not signed by the configured CA, or with no ca_bundle,
# and an unreadable ca_bundle, each give one sentence naming the problem and
# network.ca_bundle, and the source is down without hiding local jobs. Then
# against a real Slurm with auth/jwt (AIWB_SLURM_JWT=1 tests/slurm/up.sh) and
# a real slurmrestd with rest_auth/jwt behind the TLS front: ls, show, logs
# and stop agree with the command path; no token, a token signed with another
# key and an expired token each give a clear sentence about SLURM_JWT; a token
# for another user is sent with that user's name; the token appears nowhere
# aiwb writes. SKIP with the reason where stunnel,
# openssl, Slurm or slurmrestd cannot start, or when a cluster without JWT is
# already up (left as it is).
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
SLURM_E2E_WHAT="slurmrestd over TLS"
. "$(dirname "$0")/../slurm/e2e.sh"
all=$E2E_TMP/all-output
TLS=$E2E_TMP/tls
H=$E2E_TMP/tlshome
: >"$all"
trap 'sh "$ROOT/tests/slurm/stop_pid.sh" "$TLS/stunnel.pid" >/dev/null 2>&1; slurm_e2e_cleanup; e2e_cleanup' EXIT
# config FILE URL [CA_BUNDLE]
config() {
	if [ -n "${3:-}" ]; then
		printf '{"slurm": {"rest_url": "%s"}, "network": {"ca_bundle": "%s"}, "log": {"level": "debug"}}\n' "$2" "$3" >"$1"
	else
		printf '{"slurm": {"rest_url": "%s"}, "log": {"level": "debug"}}\n' "$2" >"$1"
	fi
}
# tls CONFIG ARGS...: aiwb with the REST data home and that config; SLURM_JWT as the caller's environment has it
tls() {
	_c=$1
	shift
	AIWB_HOME=$H AIWB_CONFIG=$_c "$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
	cat "$out" "$err" >>"$all"
}
slurm_error() { e2e_json "$out" '[s for s in d["sources"] if s["name"] == "slurm"][0]["state"] == "down" and '"$1"' in [s for s in d["sources"] if s["name"] == "slurm"][0]["error"]'; }

PORT=$("$E2E_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=$(sh tests/slurm/tls_up.sh "$TLS" "$PORT" 2>&1)
trc=$?
[ $trc = 3 ] && skip_all "${url#SKIP: }"
[ $trc = 0 ] || { fail "stunnel starts as a TLS front" "$url"; e2e_done; exit 1; }
ok "stunnel answers TLS on $url with a certificate of the test CA"
CA=$TLS/ca.pem
(cd "$E2E_TMP" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=another CA" -keyout other.key -out other.pem >/dev/null 2>&1) || fail "openssl makes a second CA"

# ---- without Slurm: the certificate checks, and a local job beside a down source
AIWB_HOME=$H "$A" jobs run --name tls-local -- true </dev/null >/dev/null 2>&1
config "$E2E_TMP/noca.json" "$url"
SLURM_JWT=not-a-real-token tls "$E2E_TMP/noca.json" jobs ls
if [ $RC = 0 ] && grep -q '^local:1 ' "$out" &&
	grep -q "the Slurm source is down (no trusted TLS connection to slurmrestd at $url: the TLS certificate of 127.0.0.1 is not signed by a CA this system trusts; if the server uses its own CA, set network.ca_bundle to that CA's PEM file)" "$err"
then ok "no ca_bundle: one sentence naming the untrusted certificate and network.ca_bundle; the local job still listed"
else fail "untrusted certificate without ca_bundle" "$(what)"; fi
[ "$(wc -l <"$err")" = 1 ] && ok "the TLS problem is one line on stderr" || fail "one line" "$(cat "$err")"
SLURM_JWT=not-a-real-token tls "$E2E_TMP/noca.json" jobs ls --json
check "--json: the slurm source is down with the TLS reason, local up with its job" e2e_json "$out" \
	'{s["name"]: s["state"] for s in d["sources"]}["local"] == "up" and [j["id"] for j in d["jobs"]] == ["local:1"] and "not signed by a CA this system trusts" in [s for s in d["sources"] if s["name"] == "slurm"][0]["error"]'
config "$E2E_TMP/other.json" "$url" "$E2E_TMP/other.pem"
SLURM_JWT=not-a-real-token tls "$E2E_TMP/other.json" jobs ls --json
check "a ca_bundle of another CA: not signed by a CA in that file; set network.ca_bundle" slurm_error \
	"\"the TLS certificate of 127.0.0.1 is not signed by a CA in $E2E_TMP/other.pem; set network.ca_bundle to the PEM file of the CA that signed it\""
config "$E2E_TMP/missing.json" "$url" "$E2E_TMP/missing.pem"
SLURM_JWT=not-a-real-token tls "$E2E_TMP/missing.json" jobs ls --json
check "a ca_bundle that cannot be read: named, and what to do" slurm_error \
	"\"the CA bundle $E2E_TMP/missing.pem (network.ca_bundle) cannot be read as PEM certificates\""
config "$E2E_TMP/tls.json" "$url" "$CA"
SLURM_JWT=not-a-real-token tls "$E2E_TMP/tls.json" jobs ls --json
check "the right CA but nothing behind the TLS front yet: slurmrestd did not answer" slurm_error '"slurmrestd did not answer"'

# ---- a real Slurm with JWT and slurmrestd behind the TLS front
if [ -s "$RUN/slurmctld.pid" ] && alive "$(cat "$RUN/slurmctld.pid")"; then
	skip_all "a Slurm is already running; JWT needs a cluster started with AIWB_SLURM_JWT=1 (tests/slurm/down.sh first)"
fi
up=$(AIWB_SLURM_JWT=1 sh tests/slurm/up.sh 2>&1)
urc=$?
[ $urc = 3 ] && skip_all "${up#SKIP: }"
STARTED=1
[ $urc = 0 ] || { fail "a real Slurm with auth/jwt starts" "$up"; e2e_done; exit 1; }
plain=$(sh tests/slurm/rest_up.sh tcp "$PORT" 2>&1)
rrc=$?
[ $rrc = 3 ] && skip_all "${plain#SKIP: }"
[ $rrc = 0 ] || { fail "slurmrestd with rest_auth/jwt starts" "$plain"; e2e_done; exit 1; }
ok "slurmrestd with JWT on $plain, behind TLS on $url"

run jobs submit --slurm --name tls-ok --cwd "$W" -- sh -c 'echo loss=0.25; echo through-tls'
J1=$(head -1 "$out")
run jobs submit --slurm --name tls-exit3 --cwd "$W" -- sh -c 'exit 3'
J2=$(head -1 "$out")
run jobs submit --slurm --name tls-sleep --cwd "$W" -- sleep 120
J3=$(head -1 "$out")
SUBMITTED="${J1#slurm:} ${J2#slurm:} ${J3#slurm:}"
wait_until 30 show_is "$J1" 'd["status"] == "completed"'
wait_until 30 show_is "$J2" 'd["status"] == "failed"'
wait_until 30 show_is "$J3" 'd["status"] == "running"' || fail "the sleep job runs" "$(cat "$E2E_TMP/show.json")"
TOKEN=$(scontrol token username="$(id -un)" lifespan=600 | sed -n 's/^SLURM_JWT=//p')
[ -n "$TOKEN" ] || fail "scontrol token gives a token" "$(scontrol token 2>&1)"

"$A" jobs ls --source slurm --json >"$E2E_TMP/cmd.json" 2>"$err"
SLURM_JWT=$TOKEN tls "$E2E_TMP/tls.json" jobs ls --source slurm --json
cp "$out" "$E2E_TMP/rest.out"
check "ls over TLS with SLURM_JWT: the source is up" e2e_json "$out" '[s["state"] for s in d["sources"] if s["name"] == "slurm"] == ["up"]'
"$E2E_PY" - "$E2E_TMP/cmd.json" "$E2E_TMP/rest.out" >"$E2E_TMP/cmp" 2>&1 <<'PY'
import json, sys
def view(p):
    d = json.load(open(p))
    return {j["source_id"]: (j["status"], j["raw_state"], j["exit_code"], j["signal"], j["name"],
                             j["start_ms"], j["end_ms"], j["info"].get("partition"), j["info"].get("nodes"),
                             j["info"].get("user"))
            for j in d["jobs"]}
a, b = view(sys.argv[1]), view(sys.argv[2])
print("same" if a == b and len(a) >= 3 else "differ")
for k in sorted(set(a) | set(b)):
    if a.get(k) != b.get(k):
        print(k, a.get(k), b.get(k))
PY
if [ "$(head -1 "$E2E_TMP/cmp")" = same ]; then ok "the command path and REST over TLS agree on every job (states, exits, times, nodes)"
else fail "command and REST-over-TLS paths agree" "$(cat "$E2E_TMP/cmp")"; fi
SLURM_JWT=$TOKEN tls "$E2E_TMP/tls.json" jobs show "${J2#slurm:}" --json
check "jobs show over TLS: failed with exit 3, partition debug" e2e_json "$out" \
	'd["status"] == "failed" and d["exit_code"] == 3 and d["info"]["partition"] == "debug"'
run jobs logs "$J1"
cp "$out" "$E2E_TMP/cmd.log"
SLURM_JWT=$TOKEN tls "$E2E_TMP/tls.json" jobs logs "$J1"
if [ $RC = 0 ] && grep -q '^through-tls$' "$out" && cmp -s "$out" "$E2E_TMP/cmd.log"; then ok "jobs logs through the REST path: the job's output, as the command path shows it"
else fail "logs over TLS" "$(what)" "command path: $(cat "$E2E_TMP/cmd.log")"; fi
SLURM_JWT=$TOKEN tls "$E2E_TMP/tls.json" jobs stop "$J3"
[ $RC = 0 ] || fail "jobs stop with the REST config" "$(what)"
rest_stopped() {
	SLURM_JWT=$TOKEN tls "$E2E_TMP/tls.json" jobs show "${J3#slurm:}" --json
	e2e_json "$out" 'd["status"] == "stopped" and d["raw_state"] == "CANCELLED"'
}
if wait_until 30 rest_stopped && show_is "$J3" 'd["status"] == "stopped" and d["raw_state"] == "CANCELLED"'
then ok "jobs stop with the REST config: DELETE job/{id} over TLS, stopped (CANCELLED) there and through the commands"
else fail "stop over TLS" "$(what)"; fi
config "$E2E_TMP/lh.json" "https://localhost:${url##*:}" "$CA"
SLURM_JWT=$TOKEN tls "$E2E_TMP/lh.json" jobs ls --json
check "https://localhost:PORT verifies too (the certificate's DNS name)" e2e_json "$out" \
	'[s["state"] for s in d["sources"] if s["name"] == "slurm"] == ["up"]'

env -u SLURM_JWT AIWB_HOME="$H" AIWB_CONFIG="$E2E_TMP/tls.json" "$A" jobs ls </dev/null >"$out" 2>"$err"
RC=$?
cat "$out" "$err" >>"$all"
if [ $RC = 0 ] && grep -q "^$J1 " "$out" && grep -q '^local:1 ' "$out" &&
	grep -q "slurmrestd at $url answered HTTP 401: it needs a token and SLURM_JWT is not set; set it with export \$(scontrol token) on the cluster" "$err"
then ok "no SLURM_JWT: one sentence saying SLURM_JWT is needed; the jobs as last seen"
else fail "https without SLURM_JWT" "$(what)"; fi
# tokens as slurmctld would sign them (HS256 over the key up.sh wrote): one with another key, one expired
forge() { # KEYFILE EXP_OFFSET_S
	"$E2E_PY" - "$1" "$2" "$(id -un)" <<'PY'
import base64, hashlib, hmac, json, sys, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = open(sys.argv[1], "rb").read()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"exp": now + int(sys.argv[2]), "iat": now - 3600, "sun": sys.argv[3]}).encode())
sig = b64(hmac.new(key, (head + "." + body).encode(), hashlib.sha256).digest())
print(head + "." + body + "." + sig)
PY
}
head -c 32 /dev/urandom >"$E2E_TMP/other.key.jwt"
WRONG=$(forge "$E2E_TMP/other.key.jwt" 600)
EXPIRED=$(forge /var/spool/slurmctld/jwt_hs256.key -60)
# Slurm 22.05's slurmrestd passes the token on; slurmctld's refusal comes back as HTTP 500, error -1
SLURM_JWT=$WRONG tls "$E2E_TMP/tls.json" jobs ls --json
check "a token signed with another key: the sentence says the token was refused; get a new one with scontrol token" slurm_error \
	'"answered HTTP 500, Failed while looking for jobs (slurm_load_jobs: Unspecified error), which is how Slurm answers a token it refuses: the token in SLURM_JWT may have expired or be for another cluster or user; get a new one with scontrol token"'
SLURM_JWT=$EXPIRED tls "$E2E_TMP/tls.json" jobs ls
if [ $RC = 0 ] && grep -q "slurmrestd at $url answered HTTP 500, .* which is how Slurm answers a token it refuses: the token in SLURM_JWT may have expired" "$err" && grep -q "^$J1 " "$out"
then ok "an expired token: the same clear sentence; the jobs as last seen"
else fail "expired token" "$(what)"; fi
# X-SLURM-USER-NAME is the token's user (its sun claim), not this machine's: a token for nobody works as nobody
NOBODY=$(scontrol token username=nobody lifespan=600 | sed -n 's/^SLURM_JWT=//p')
SLURM_JWT=$NOBODY tls "$E2E_TMP/tls.json" jobs ls --json
check "a token for another user (nobody) is sent with that user's name: the source is up" e2e_json "$out" \
	'[s["state"] for s in d["sources"] if s["name"] == "slurm"] == ["up"]'

leaks=
for t in "$TOKEN" "$WRONG" "$EXPIRED" "$NOBODY"; do
	grep -rqF "$t" "$H" "$all" && leaks="$leaks $(grep -rlF "$t" "$H" "$all" | tr '\n' ' ')"
done
if [ -z "$leaks" ] && [ -s "$H/aiwb.log" ]; then ok "no token in any file of the data home (database, debug log) nor in aiwb's output"
else fail "a token leaked" "$leaks" "$(ls -la "$H")"; fi
SUBMITTED=
e2e_done
