# A large plain-text file is ingested in bounded memory: a 32 MB file is
# stored as parts of about 4 MB (PATH#1, PATH#2, ...) with a peak RSS well
# under what reading it whole would take (the raw bytes plus their cleaned
# copy, 64 MB); it is searchable, the index is sound, and adding it again
# unchanged writes nothing. (200 MB behaves the same, only slower.)
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
mkdir -p "$E2E_TMP/big"
"$E2E_PY" - "$E2E_TMP/big/big.txt" <<'P'
import random, sys
random.seed(7)
words = ["w%d" % i for i in range(5000)]
with open(sys.argv[1], "w") as f:
    n = 0
    i = 0
    while n < 32 * 1024 * 1024:
        line = " ".join(random.choice(words) for _ in range(12)) + (" needle" if i == 400000 else "") + "\n"
        f.write(line)
        n += len(line)
        i += 1
P
"$A" kb create big >/dev/null 2>&1
"$E2E_PY" - "$A" "$E2E_TMP/big" "$E2E_TMP/rss" <<'P'
import resource, subprocess, sys
r = subprocess.run([sys.argv[1], "kb", "add", "big", sys.argv[2], "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
open(sys.argv[3], "w").write("%d %d\n" % (r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024))
P
read rc rss <"$E2E_TMP/rss"
if ldd "$A" 2>/dev/null | grep -q 'libasan'; then
	ok "peak RSS $rss MB # SKIP AddressSanitizer keeps freed memory in quarantine"
elif [ "$rc" -eq 0 ] && [ "$rss" -lt 48 ]; then
	ok "a 32 MB text file is ingested with a peak RSS of $rss MB"
else
	fail "bounded memory" "exit $rc, peak RSS $rss MB"
fi
"$A" kb docs big --json >"$E2E_TMP/docs.json" 2>&1
check "it is stored as parts of at most 4 MB" e2e_json "$E2E_TMP/docs.json" 'len(d["documents"]) >= 8 and all(x["bytes"] <= 4 * 1024 * 1024 and "#" in x["name"] for x in d["documents"])'
"$A" kb search big needle --json >"$E2E_TMP/s.json" 2>&1
check "a word deep in the file is found" e2e_json "$E2E_TMP/s.json" 'len(d["results"]) == 1 and "needle" in d["results"][0]["text"]'
"$A" kb check big >/dev/null 2>&1
check "the index is sound" test $? -eq 0
db=$AIWB_HOME/aiwb.db
before=$(cat "$db" "$db-wal" 2>/dev/null | sha256sum)
"$A" kb add big "$E2E_TMP/big" >"$E2E_TMP/again" 2>&1
after=$(cat "$db" "$db-wal" 2>/dev/null | sha256sum)
if grep -q '1 unchanged' "$E2E_TMP/again" && [ "$before" = "$after" ]; then ok "adding it again unchanged writes nothing"; else fail "unchanged big file" "$(cat "$E2E_TMP/again")"; fi
e2e_done
