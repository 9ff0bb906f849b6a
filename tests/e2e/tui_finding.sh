#!/bin/sh
# Finding things in the workbench (tmux, 120x40, against the fake server):
# `/` filters the Models list fuzzily over provider, id and name; R asks the
# providers again (the fake sees a second listing); `:` completes a command's
# argument (panes, models, templates, themes); :model and :template; marks,
# parameters, the template, the folded providers and the focused pane come
# back after a restart (DATA_HOME/workbench.json, 0600); a damaged state file
# is named and replaced, and the workbench starts anyway.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home
export AIWB_SLURM=off
URL=
fake_start tf --max-seconds 300
d="the fake server starts"
if [ -n "$URL" ]; then ok "$d"; else
	fail "$d" "$(cat "$E2E_TMP/tf.err" 2>&1)"
	e2e_done
	exit 1
fi
TUI_ENV="OPENAI_API_KEY=sk-e2e-openai OPENAI_BASE_URL=$URL/v1 OLLAMA_HOST=$URL AIWB_SLURM=off"
STATE=$AIWB_HOME/workbench.json

listings() { grep -c '"path": *"/v1/models"' "$E2E_TMP/tf.log" 2>/dev/null || echo 0; }
_listed_twice() { [ "$(listings)" -ge 2 ]; }
start() { tui_start 120 40 && tui_wait_re "openai +6 models" && tui_wait_re "ollama +6 models"; }

d="/ filters the Models list fuzzily: g4om finds gpt-4o-mini and nothing else"
if start && tui_keys 1 / && tui_type g4om && tui_wait "/g4om" && tui_wait "gpt-4o-mini" &&
	tui_wait_gone "gpt-4.1-mini" && tui_wait_gone "llama3.1" && _lacks_text "gpt-4o    "; then
	ok "$d"
else
	tui_fail "$d"
fi

d="the filter's words match each on its own, over the provider too: 'olla qwen' finds ollama's qwen2.5:0.5b only"
if tui_keys C-u && tui_type "olla qwen" && tui_wait "qwen2.5:0.5b" && tui_wait_gone "gpt-4o-mini" &&
	tui_wait_gone "mistral:latest" && tui_keys Enter && tui_wait "Esc clears" && tui_keys Escape &&
	tui_wait_gone "/olla qwen" && tui_wait "gpt-4o-mini"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="R asks the providers again: the status says so and the fake sees a second listing"
if tui_keys R && tui_wait "asking 2 providers for their models again" && tui_poll 10 _listed_twice &&
	tui_wait_re "openai +6 models"; then
	ok "$d"
else
	tui_fail "$d" "listings: $(listings)"
fi

d=": completes a pane after focus (focus j + Tab = focus jobs) and Enter focuses it"
if tui_keys : && tui_type "focus j" && tui_keys Tab && tui_wait ":focus jobs" && tui_keys Enter &&
	tui_wait_bottom ' Jobs *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d=": completes a model after model, and :model selects it"
if tui_keys : && tui_type "model openai/gpt-4o-m" && tui_keys Tab && tui_wait ":model openai/gpt-4o-mini" &&
	tui_keys Enter && tui_wait "selected openai/gpt-4o-mini for the Prompt pane"; then
	ok "$d"
else
	tui_fail "$d"
fi

d=": completes a template after template, :template opens it"
if tui_keys : && tui_type "template chain" && tui_keys Tab && tui_wait ":template chain-of-thought" &&
	tui_keys C-u && tui_type "template ro" && tui_keys Tab && tui_wait ":template role" && tui_keys Enter &&
	tui_wait "Template role" &&
	tui_wait_bottom ' Prompt *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d=": completes a theme after theme"
if tui_keys : && tui_type "theme defa" && tui_keys Tab && tui_wait ":theme default" && tui_keys C-u Escape &&
	tui_wait_gone ":theme"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="choices to keep: two marks, parameters on gpt-4o, ollama folded, Knowledge focused"
if tui_keys 1 g j Space j Space && tui_wait "Space mark (2)" && tui_keys k e && tui_wait_bottom 'params: *' &&
	tui_keys C-u && tui_type "temperature=0.3" && tui_keys Enter && tui_wait "parameters set for openai/gpt-4o" &&
	tui_keys G && tui_wait "nomic-embed-text" && tui_keys k k k k k k Enter && tui_wait_re "▸ ollama +6 models" &&
	tui_wait_gone "nomic-embed-text" && tui_keys 3 && tui_wait_bottom ' Knowledge *'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="quitting writes workbench.json (0600) with the marks, parameters, template, focus and folded providers"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ] && [ "$(e2e_mode "$STATE")" = 600 ] &&
	e2e_json "$STATE" 'd["marked"] == ["openai/gpt-4o", "openai/gpt-4o-mini"] and d["params"] == {"openai/gpt-4o": {"temperature": 0.3}} and d["template"] == "role" and d["focus"] == "knowledge" and d["folded"] == ["ollama"] and "selected" not in d'; then
	ok "$d"
else
	fail "$d" "rc $TUI_RC mode $(e2e_mode "$STATE" 2>&1)" "$(cat "$STATE" 2>&1)"
fi

d="after a restart: Knowledge focused, ollama folded, two marks, the role template, gpt-4o's parameters"
if tui_start 120 40 && tui_wait_re "openai +6 models" && tui_wait_bottom ' Knowledge *' &&
	tui_wait_re "▸ ollama +6 models" && _lacks_text "nomic-embed-text" && tui_wait "Template role" &&
	tui_keys 1 && tui_wait "Space mark (2)" && tui_keys g j e && tui_wait_bottom 'params: temperature=0.3 *' &&
	tui_keys Escape; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a filter finds the models of a folded provider"
if tui_keys / && tui_type nomic && tui_wait "nomic-embed-text" && tui_keys Escape && tui_wait_gone "nomic-embed-text"; then
	ok "$d"
else
	tui_fail "$d"
fi
tui_keys q && tui_wait_exit

d="a damaged workbench.json is named on the status line, the workbench starts afresh and replaces it on quit"
printf '{"marked": "not a list"' >"$STATE"
if tui_start 120 40 && tui_wait_re "openai +6 models" && tui_wait "the saved workbench state is damaged; starting afresh" &&
	tui_wait_bottom ' Models *' && tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ] &&
	e2e_json "$STATE" 'd["focus"] == "models" and "marked" not in d'; then
	ok "$d"
else
	tui_fail "$d" "$(cat "$STATE" 2>&1)"
fi
e2e_done
