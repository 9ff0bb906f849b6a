#!/bin/sh
# Feedback while waiting, in a real terminal: a silent model's column shows a
# live clock that advances with no byte arriving ("waiting for first token ·
# C-c cancels · N s"), C-c cancels and the status line says so, a 429 shows its reason and
# the wait before the retry, and q while an answer streams asks first (n
# keeps it, y quits). Every check polls the screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux

URL=
fake_start wt --max-seconds 300 --openai-models silent,retry-429,slow-200,gpt-4o-mini
d="the fake server starts"
if [ -n "$URL" ]; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/wt.err" 2>&1)"
	e2e_done
	exit 1
fi
e2e_home
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1"

# pick MODEL: selects openai/MODEL in Models and sends "hi" from the Prompt pane.
pick_and_send() {
	tui_keys 1 / && tui_type "$1" && tui_keys Enter Enter && tui_wait "openai/$1" && tui_keys Escape 2 i &&
		tui_type hi && tui_keys C-s
}
_clock_at_least() {
	_s=$(printf '%s\n' "$TUI_LAST" | sed -n 's/.*waiting for first token · C-c cancels · \([0-9][0-9]*\) s.*/\1/p' | head -1)
	[ -n "$_s" ] && [ "$_s" -ge "$1" ]
}
d="a silent model: the column's clock advances while no byte arrives"
if tui_start 120 30 && tui_wait_re "openai +4 models" && pick_and_send silent &&
	tui_wait_re "waiting for first token · C-c cancels · [0-9]+ s" && tui_poll 10 _clock_at_least 1 &&
	tui_poll 10 _clock_at_least 3; then
	ok "$d"
else
	tui_fail "$d"
fi

d="q while it waits asks first; n keeps it waiting"
if tui_keys q && tui_wait_bottom '*1 answer is still streaming: quit and stop it? y/n*' && tui_keys n &&
	tui_wait_bottom '*not quitting; the answers go on streaming*' && tui_poll 10 _clock_at_least 4; then
	ok "$d"
else
	tui_fail "$d"
fi

d="C-c cancels it and the status line says so"
if tui_keys C-c && tui_wait_bottom '*cancelled 1 running answer; what arrived is kept and saved*' &&
	tui_wait_gone 'waiting for first token'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a 429: the column shows the reason and the wait before the retry, then the answer"
if pick_and_send retry-429 && tui_wait "HTTP 429, retry 1 of 2" && tui_wait "trying again in" &&
	tui_wait "done (" 15 && tui_wait "Hello from the fake OpenAI." && tui_keys : && tui_type messages &&
	tui_keys Enter && tui_wait "openai/retry-429: HTTP 429, retry 1 of 2 in 1.0 s" && tui_keys Escape; then
	ok "$d"
else
	tui_fail "$d"
fi

d="q while an answer streams, then y: aiwb quits"
if pick_and_send slow-200 && tui_wait_re "streaming… C-c cancels · [0-9]+ s" && tui_keys q &&
	tui_wait_bottom '*1 answer is still streaming: quit and stop it? y/n*' && tui_keys y && tui_wait_exit &&
	[ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d"
fi
e2e_done
