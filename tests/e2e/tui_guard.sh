#!/bin/sh
# The guard in the workbench (tmux, 120x40) against the fake model server:
# with guard.action "block" in config.json a prompt holding an address is
# not sent and the status line says what the guard found; a clean prompt is
# sent; with "report" the prompt is sent and the status line names the
# findings. Every check polls the screen or the fake's log with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

COLS=120
ROWS=40

URL=
fake_start tg --max-seconds 300
d="the fake server starts"
if [ -n "$URL" ]; then
	ok "$d"
else
	fail "$d" "fake: $(cat "$E2E_TMP/tg.err" 2>&1)"
	e2e_done
	exit 1
fi
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1"

chats() { grep -c '"route":"openai.chat"' "$E2E_TMP/tg.log" 2>/dev/null || true; }

# ask TEXT: focuses Prompt, opens the prompt line, sends TEXT.
ask() {
	tui_keys 2 && tui_wait_bottom ' Prompt *' && tui_keys n Enter && tui_wait 'C-s sends' &&
		tui_keys C-u && tui_type "$1" && tui_keys C-s
}

start_with() {
	e2e_home
	printf '{ "guard": { "action": "%s" } }\n' "$1" >"$E2E_HOME/config.json"
	AIWB_CONFIG=$E2E_HOME/config.json
	export AIWB_CONFIG
	tui_start $COLS $ROWS && tui_wait "1 Models" && tui_wait_re "openai +6 models" &&
		tui_keys 1 && tui_wait_bottom ' Models *' && tui_keys j Enter && tui_wait_bottom '*selected openai/*'
}

d="guard.action block: a prompt with an address is not sent; the status line names the finding"
c0=$(chats)
if start_with block && ask "write to john.doe@example.com" &&
	tui_wait_bottom '*guard (block): the prompt holds 1 finding: 1 email; not sent*' && [ "$(chats)" -eq "$c0" ]; then
	ok "$d"
else
	tui_fail "$d" "chat requests: $c0 before, $(chats) after"
fi

d="guard.action block: a clean prompt is sent and answered"
if ask "hello there" && tui_wait_bottom '*sent to openai/*' && tui_wait "Hello from the fake OpenAI" &&
	[ "$(chats)" -eq $((c0 + 1)) ]; then
	ok "$d"
else
	tui_fail "$d" "chat requests: $c0 before, $(chats) after"
fi
tui_stop

d="guard.action report: the prompt is sent and the status line names what the guard found"
c0=$(chats)
if start_with report && ask "card 4111 1111 1111 1111 please" &&
	tui_wait_bottom '*sent to openai/*; guard: the prompt holds 1 finding*' &&
	tui_wait "Hello from the fake OpenAI" && [ "$(chats)" -eq $((c0 + 1)) ]; then
	ok "$d"
else
	tui_fail "$d" "chat requests: $c0 before, $(chats) after"
fi
tui_stop

e2e_done
