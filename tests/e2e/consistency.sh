# One style across the commands: a cost aiwb cannot know is "price unknown"
# everywhere; --json prints one compact line and --json --pretty the same
# object indented (ask, compare, history, history show); `history show`
# prints a compare_group as written (all its digits, never 1.79e+15); the
# compare table shortens a long model id in its middle and keeps its columns
# aligned. Runs against the fake server.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
LONG=a-very-long-model-identifier-from-a-vendor-that-does-not-fit-v2:0

URL=
fake_start cs
if [ -z "$URL" ]; then
	fail "the fake server starts" "$(cat "$E2E_TMP/cs.err" 2>&1)"
	e2e_done
	exit 1
fi
OPENAI_API_KEY=sk-e2e-cs
export OPENAI_API_KEY
fake_env "$URL"

run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(cat "$err")"
}
# py EXPR: true with the output's text bound to s (and its lines to l).
py() {
	"$E2E_PY" -c 'import json, sys
s = open(sys.argv[2], encoding="utf-8").read()
l = s.splitlines()
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1" "$out"
}
check_py() {
	if py "$2"; then ok "$1"; else fail "$1" "$(what)"; fi
}

run compare -m openai/gpt-4o-mini -m "openai/$LONG" "Say hi"
check_py "compare: the long id loses its middle (… then its end), the table stays aligned" \
	'[r for r in l if "…" in r and "v2:0" in r and r.startswith("openai/a-very")] and \
	 len({r.index("ttft ms") if "ttft ms" in r else None for r in l if r.startswith("model")}) == 1 and \
	 all(len(r.split("  ")[0]) <= 40 for r in l if r.startswith("openai/"))'
check_py "compare: the model without a price says \"price unknown\" in its cost cell" \
	'[r for r in l if r.startswith("openai/a-very") and "price unknown" in r]'
if grep -q 'price unknown' "$err" || grep -q 'price unknown' "$out"; then
	ok "no other spelling of an unknown cost"
else
	fail "no other spelling of an unknown cost" "$(what)"
fi

run compare --json -m openai/gpt-4o-mini -m "openai/$LONG" "Say hi"
check_py "compare --json: one compact line" 'len(l) == 1 and json.loads(s)["results"] and ", " not in s.split("\"results\"")[0]'
run compare --json --pretty -m openai/gpt-4o-mini -m "openai/$LONG" "Say hi"
check_py "compare --json --pretty: the same object, indented" 'len(l) > 5 and json.loads(s)["results"] and l[1].startswith("\t")'

run ask --json -m openai/gpt-4o-mini "Say hi"
check_py "ask --json: one compact line" 'len(l) == 1 and json.loads(s)["model"] == "openai/gpt-4o-mini"'
run ask --json --pretty -m openai/gpt-4o-mini "Say hi"
check_py "ask --json --pretty: indented" 'len(l) > 5 and json.loads(s)["model"] == "openai/gpt-4o-mini"'

run history --json
check_py "history --json: one compact line" 'len(l) == 1 and len(json.loads(s)["runs"]) >= 3'
run history --json --pretty
check_py "history --json --pretty: indented" 'len(l) > 5 and len(json.loads(s)["runs"]) >= 3'

run history --json
ID=$("$E2E_PY" -c 'import json, sys
r = [x for x in json.load(open(sys.argv[1]))["runs"] if x.get("kind") == "compare"]
print(r[0]["id"] if r else "")' "$out")
run history show "$ID"
check_py "history show: the compare_group as written, every digit" \
	'any(__import__("re").search(r"compare_group=[0-9]{13,}\b", x) for x in l) and "e+" not in s'
run history show --json "$ID"
check_py "history show --json: compact, the compare_group a whole number as written" \
	'len(l) == 1 and __import__("re").search(r"\"compare_group\":[0-9]{13,}[,}]", s)'
e2e_done
