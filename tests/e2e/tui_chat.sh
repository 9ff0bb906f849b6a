# aiwb chat in a real terminal (tmux): lines edited with GNU readline (C-a,
# Up recalls an earlier line), answers streamed, Ctrl-C cancels a streaming
# answer and the chat goes on, Ctrl-C at the prompt drops the line and a second
# one leaves, Ctrl-D leaves (0) with the terminal modes restored; the
# workbench's history view shows the conversation as one row.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
LOG=$E2E_TMP/llm.log
fake_start llm || { echo "not ok 1 - fake server"; exit 1; }
TUI_ENV="OPENAI_BASE_URL=$URL/v1 OPENAI_API_KEY=sk-test"

# The user message of the last chat request in the fake's log.
last_question() {
	"$E2E_PY" -c 'import json, sys
rq = [json.loads(l) for l in open(sys.argv[1]) if "\"openai.chat\"" in l][-1]
print(json.loads(rq["body"])["messages"][-1]["content"])' "$LOG" 2>/dev/null
}
stderr_has() { grep -q -- "$1" "$TUI_DIR/stderr" 2>/dev/null; }
_stderr_has() { stderr_has "$1"; }

tui_start 100 30 chat -m openai/gpt-4o-mini
if tui_wait_re '^> ?$' && tui_poll 10 _stderr_has "Chatting with openai/gpt-4o-mini"; then
	ok "aiwb chat shows its prompt in a terminal"
else
	tui_fail "the chat prompt"
fi
tui_type "what is a heron"
tui_keys Enter
if tui_wait "Hello from the fake OpenAI. One two three four five six seven eight." &&
	tui_poll 10 _stderr_has '^\[turn 1 ' && [ "$(last_question)" = "what is a heron" ]; then
	ok "a line typed at the prompt is sent and its answer streams to the terminal"
else
	tui_fail "first turn" "last question: $(last_question)"
fi
tui_wait_re '^> ?$'
tui_type "stork"
tui_keys C-a
tui_type "a "
tui_keys Enter
if tui_poll 10 _stderr_has '^\[turn 2 ' && [ "$(last_question)" = "a stork" ]; then
	ok "readline editing: C-a moves to the start of the line"
else
	tui_fail "readline C-a" "last question: $(last_question)"
fi
tui_wait_re '^> ?$'
tui_keys Up
if tui_wait_re '^> a stork ?$'; then
	tui_type " again"
	tui_keys Enter
	if tui_poll 10 _stderr_has '^\[turn 3 ' && [ "$(last_question)" = "a stork again" ]; then
		ok "Up recalls the previous line of the chat"
	else
		tui_fail "Up then send" "last question: $(last_question)"
	fi
else
	tui_fail "Up recalls the previous line"
fi
tui_wait_re '^> ?$'
tui_type "/model openai/slow-400-tps-20"
tui_keys Enter
tui_poll 10 _stderr_has 'model: openai/slow-400-tps-20'
tui_type "tell a long story"
tui_keys Enter
if tui_wait "tok20" 15; then
	tui_keys C-c
	if tui_poll 10 _stderr_has 'cancelled; the partial answer stays' && tui_wait_re '^> ?$' && tui_alive; then
		ok "Ctrl-C while an answer streams cancels that answer; the chat stays at its prompt"
	else
		tui_fail "Ctrl-C cancels the answer"
	fi
else
	tui_fail "the slow answer streams"
fi
tui_type "a draft never sent"
tui_keys C-c
if tui_poll 10 _stderr_has 'Ctrl-C again, Ctrl-D or /quit to leave' && tui_wait_re '^> ?$' && tui_alive; then
	ok "Ctrl-C at the prompt drops the line and says how to leave"
else
	tui_fail "Ctrl-C at the prompt"
fi
pid=$(tui_pid)
tui_keys C-c
# the terminal's SIGINT also ends the test's wrapper shell, so the exit
# status (130) is checked in chat.sh; here: the process is gone
_gone() { ! kill -0 "$pid" 2>/dev/null; }
if tui_poll 10 _gone && [ "$(last_question)" = "tell a long story" ]; then
	ok "a second Ctrl-C at the prompt leaves; the dropped line was never sent"
else
	tui_fail "second Ctrl-C" "last question: $(last_question)"
fi

tui_start 80 24 chat -m openai/gpt-4o-mini
tui_wait_re '^> ?$'
tui_keys C-d
if tui_wait_exit && [ "$TUI_RC" = 0 ] && tui_stty_same; then
	ok "Ctrl-D on an empty line leaves with 0 and restores the terminal"
else
	tui_fail "Ctrl-D" "rc=$TUI_RC"
fi
# The workbench's history view: the chat above is one row, and opens as its turns.
tui_start 120 40
d="the workbench history view shows the chat as one row of 4 turns and opens it as its turns"
if tui_wait "1 Models" && tui_keys H && tui_wait "1 run, newest first" && tui_wait_re 'chat ×4 +openai/slow-400-tps-20' &&
	tui_keys Enter && tui_wait "Conversation 1 · 4 turns" && tui_wait "Turn 2 · run 2 ·" && tui_wait "a stork"; then
	ok "$d"
else
	tui_fail "$d"
fi
tui_keys Escape Escape q
tui_wait_exit
e2e_done
