# make install PREFIX=... DESTDIR=...: the installed binary finds its themes and
# examples relative to itself, and works from there. The test installs the
# binary under test with install-files (what install does after building), so
# a sanitizer build is never rebuilt here with other flags.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
dest=$E2E_TMP/dest
build=${AIWB_BUILD:-$E2E_ROOT/build}
if make -s -C "$E2E_ROOT" install-files BUILD="$build" PREFIX=/opt/aiwb DESTDIR="$dest" >"$E2E_TMP/log" 2>&1; then
	ok "make install succeeds"
else
	fail "make install succeeds" "$(cat "$E2E_TMP/log")"
fi
bin=$dest/opt/aiwb/bin/aiwb
share=$dest/opt/aiwb/share/aiwb
check "the binary is installed executable" [ -x "$bin" ]
check "the three built-in themes are installed" \
	sh -c "[ -f '$share/themes/default.theme' ] && [ -f '$share/themes/light.theme' ] && [ -f '$share/themes/high-contrast.theme' ]"
check "the demo workspace is installed" [ -f "$share/examples/jobs/train.py" ]
check "the docs are installed" [ -f "$dest/opt/aiwb/share/doc/aiwb/config.md" ]
"$bin" doctor --json >"$E2E_TMP/doctor.json" 2>&1
check "the installed aiwb finds its share dir beside itself" \
	e2e_json "$E2E_TMP/doctor.json" "d['share_dir'].endswith('/opt/aiwb/share/aiwb')"
"$bin" --version >"$E2E_TMP/v" 2>&1
check "the installed aiwb runs" grep -q "^aiwb " "$E2E_TMP/v"
e2e_done
