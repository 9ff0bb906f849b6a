# aiwb keys: stored from stdin with mode 0600, listed without the secret, removed.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
A=$AIWB_BIN
SECRET=sk-canary-keys-4d1e
out=$E2E_TMP/out
err=$E2E_TMP/err

printf '%s\n' "$SECRET" | "$A" keys set openai >"$out" 2>"$err"
rc=$?
check "keys set exits 0" [ "$rc" -eq 0 ]
check "key file is mode 600" [ "$(e2e_mode "$AIWB_HOME/keys/openai")" = 600 ]
check "keys dir is mode 700" [ "$(e2e_mode "$AIWB_HOME/keys")" = 700 ]
check "key file holds the key" grep -qx "$SECRET" "$AIWB_HOME/keys/openai"
check "the key is not echoed" sh -c "! grep -q '$SECRET' '$out' '$err'"

"$A" keys ls >"$out" 2>"$err"
check "keys ls names the key file as the source" grep -q "openai *present *key file" "$out"
check "keys ls never prints the key" sh -c "! grep -q '$SECRET' '$out' '$err'"
"$A" keys ls --json >"$out"
check "keys ls --json is JSON with openai present" e2e_json "$out" \
	"[p for p in d if p['provider'] == 'openai'][0]['credentials'] == 'present'"

OPENAI_API_KEY=$SECRET-env "$A" keys ls >"$out"
check "the environment takes precedence over the file" grep -q "openai *present *env OPENAI_API_KEY" "$out"

chmod 644 "$AIWB_HOME/keys/openai"
"$A" keys ls >"$out"
check "a key file readable by others is reported unusable" grep -q "openai *unusable" "$out"
"$A" doctor >"$out"
check "doctor gives the chmod hint" grep -q "chmod 600" "$out"

printf '%s\n' "$SECRET-2" | "$A" keys set openai >/dev/null 2>&1
check "keys set replaces the key with a fresh 0600 file" \
	sh -c "[ \"\$(stat -c %a '$AIWB_HOME/keys/openai')\" = 600 ] && grep -qx '$SECRET-2' '$AIWB_HOME/keys/openai'"

printf '\n' | "$A" keys set anthropic >"$out" 2>"$err"
rc=$?
check "an empty key is refused with exit 1" [ "$rc" -eq 1 ]
check "and nothing is stored" [ ! -e "$AIWB_HOME/keys/anthropic" ]

"$A" keys set nosuch </dev/null >"$out" 2>"$err"
rc=$?
check "an unknown provider is a usage error (exit 2, one line)" \
	sh -c "[ $rc -eq 2 ] && [ \$(wc -l <'$err') -eq 1 ]"
"$A" keys set bedrock </dev/null >"$out" 2>"$err"
check "bedrock points at the AWS credential chain" grep -q "AWS credential chain" "$err"
"$A" keys set openai extra </dev/null >"$out" 2>"$err"
check "an extra argument is a usage error" [ $? -eq 2 ]

"$A" keys rm openai >"$out" 2>"$err"
check "keys rm removes the file" sh -c "[ $? -eq 0 ] && [ ! -e '$AIWB_HOME/keys/openai' ]"
"$A" keys rm openai >"$out" 2>"$err"
check "keys rm of a missing key fails with exit 1" [ $? -eq 1 ]
"$A" keys --help >"$out"
check "keys --help describes set, rm and ls" sh -c "grep -q 'keys set' '$out' && grep -q 'keys rm' '$out' && grep -q 'keys ls' '$out'"
e2e_done
