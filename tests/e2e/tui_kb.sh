#!/bin/sh
# The Knowledge pane in a real terminal (tmux, C.UTF-8, UTC, a private home):
# at 80x24 the demo KB is listed on first run; then at 120x40 (room for the
# status line) Enter opens it, a query finds its chunks with the matched words
# highlighted, the mode key says why vector search is not possible on a KB
# without embeddings, k changes, a metadata filter narrows the results (a
# malformed one is refused with the column where it broke), Enter opens a
# result inside its document with the chunk marked, n moves to the next chunk,
# Esc goes back; D browses the documents with the / filter; ? lists the
# pane's keys; e opens the chunk's file at its line in $EDITOR (a script
# that records its argv: +LINE and the file's path, and that line is where the
# chunk begins); a adds a folder with an include glob (the other files
# skipped) and s syncs, in steps on the loop. Then a KB with an embedding
# model is filled by the pane: a folder added (+*.md) and a new file synced,
# each embedding its chunks against the fake model server on the loop; it is
# searched by vector, hybrid and with MMR; with the server gone, a sync
# stores the text and says in one sentence that embedding stopped; e on a
# result with no editor set
# shows the stored text in $PAGER from a 0600 temp copy that is removed
# after; A asks a model with the results as sources (the rag template in the
# Prompt pane); d deletes a KB once its name is typed. Every check polls the
# screen with a deadline.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_need_tmux
e2e_home

# The editor: records its arguments, one a line, and exits.
ED=$E2E_TMP/editor.sh
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >%s\n' "$E2E_TMP/editor.args" >"$ED"
chmod 700 "$ED"
TUI_ENV="EDITOR=$ED"

d="at 80x24 the Knowledge pane lists the demo KB made on first run (documents, chunks)"
if tui_start 80 24 && tui_wait "3 Knowledge" && tui_keys 3 && tui_wait_bottom ' Knowledge *' &&
	tui_wait_re 'demo +5 docs · [0-9]+ chunks' && tui_wait "bm25 only"; then
	ok "$d"
else
	tui_fail "$d"
fi

tui_resize 120 40
d="zoomed, the list has columns: documents, chunks, size, embedding model, last sync"
if tui_keys z && tui_wait "3 Knowledge (zoomed)" && tui_wait_re 'knowledge base +docs +chunks +size +embedding model +last sync' &&
	tui_wait_re '^│ +demo +5 +[0-9]+ +[0-9.]+ KB +bm25 only +20[0-9-]+ [0-9:]+'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter opens the demo KB: mode bm25, k 10, no filter, no query yet"
if tui_keys Enter && tui_wait "mode bm25 (m) · k 10" && tui_wait "filter (f): none" &&
	tui_wait "query: none yet, i types one"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="i opens the query line; a query lists scored chunks with document and heading"
if tui_keys i && tui_wait_bottom 'search>*' && tui_type "refund bikes" && tui_keys Enter &&
	tui_wait "query (i): refund bikes" && tui_wait_re '1\. [0-9]+\.[0-9]{4}  [a-z-]+\.md' &&
	tui_wait "pricing-policy.md" && tui_wait "results in demo (bm25, k 10)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="m on a KB without embeddings says why vector search is not possible, and stays bm25"
if tui_keys m && tui_wait "demo has no embedding model, so vector is not possible" && tui_wait "mode bm25 (m)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="- and + change k, and the search runs again"
if tui_keys - && tui_wait "k 5 (- +)" && tui_wait "results in demo (bm25, k 5)" && tui_keys + + &&
	tui_wait "k 20 (- +)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="f sets a metadata filter: only the pricing policy's chunks are left"
if tui_keys f && tui_wait_bottom 'filter (empty clears)>*' && tui_type "author = 'Marcus Oyelaran'" &&
	tui_keys Enter && tui_wait "filter (f): author = 'Marcus Oyelaran'" && tui_wait "filtered)" &&
	tui_wait "pricing-policy.md" && tui_wait_gone "operations-handbook.md" && tui_wait_gone "maintenance-schedule.md"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="a malformed filter is refused with the column where it broke; the one before stays"
if tui_keys f && tui_wait_bottom 'filter (empty clears)>*' && tui_keys C-u && tui_type "year >" && tui_keys Enter &&
	tui_wait "invalid filter: column" && tui_wait "filter (f): author = 'Marcus Oyelaran'"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Enter opens the result inside its document: its chunk marked, its number and offsets shown"
if tui_keys Enter && tui_wait_re 'pricing-policy\.md +chunk [0-9]+/[0-9]+ · bytes [0-9]+-[0-9]+' &&
	tui_wait_re '── chunk [0-9]+/[0-9]+' && tui_wait "Pricing and Membership Policy"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="e opens the document's file at the chunk's line in \$EDITOR: argv is +LINE and the file's path"
BYTES=$(tui_screen | grep -o 'bytes [0-9]*-[0-9]*' | head -1)
if tui_keys e && tui_wait "back from the editor (pricing-policy.md, line" && [ -f "$E2E_TMP/editor.args" ] &&
	"$AIWB_BIN" kb show demo pricing-policy.md --json >"$E2E_TMP/doc.json" &&
	"$E2E_PY" - "$E2E_TMP/editor.args" "$E2E_TMP/doc.json" "$BYTES" <<'P'
import json, os, sys
args = open(sys.argv[1]).read().split("\n")[:-1]
doc = json.load(open(sys.argv[2]))
start = int(sys.argv[3].split()[1].split("-")[0])
assert len(args) == 2 and args[0].startswith("+"), args
line, path = int(args[0][1:]), args[1]
assert os.path.isabs(path) and path.endswith("/pricing-policy.md") and os.path.isfile(path), path
chunk = doc["text"].encode()[start:].decode().lstrip()
first = chunk.split("\n")[0][:30]
got = open(path).read().split("\n")[line - 1]
sys.exit(0 if first and got.startswith(first) else 1)
P
then
	ok "$d"
else
	tui_fail "$d" "args: $(cat "$E2E_TMP/editor.args" 2>&1) bytes: $BYTES"
fi

d="n highlights the next chunk; Esc goes back to the results"
if tui_keys g && tui_keys n && tui_wait_re 'chunk [0-9]+/[0-9]+ · bytes' && tui_keys Escape &&
	tui_wait "query (i): refund bikes" && tui_wait_re '1\. [0-9]+\.[0-9]{4}  pricing-policy\.md'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="D browses the documents; / filters them; Enter shows one with its chunks; Esc returns"
if tui_keys D && tui_wait "5 documents" && tui_wait "operations-handbook.md" && tui_keys / && tui_type retention &&
	tui_wait "1 of 5" && tui_wait_gone "operations-handbook.md" && tui_keys Enter Enter &&
	tui_wait_re 'data-retention-privacy\.md +chunk 1/[0-9]+' && tui_wait "── chunk 1/" && tui_keys Escape &&
	tui_wait "5 documents"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="? lists the Knowledge pane's keys"
if tui_keys Escape Escape && tui_wait "query (i)" && tui_keys '?' && tui_wait "Knowledge pane" &&
	tui_wait "Next search mode" && tui_wait "Set the metadata filter" && tui_wait "Open the chunk's file at its line" &&
	tui_wait "Add PATH [+GLOB]... [-GLOB]..."; then
	ok "$d"
else
	tui_fail "$d"
fi

d="Esc closes the help, Esc again returns to the list of knowledge bases"
if tui_keys Escape && tui_wait_gone "Next search mode" && tui_keys Escape && tui_wait "knowledge base"; then
	ok "$d"
else
	tui_fail "$d"
fi

# 20 notes: more than two steps of KBSYNC_STEP_FILES (8) files each
N=$E2E_TMP/notes
mkdir -p "$N"
i=0
while [ $i -lt 20 ]; do
	printf '# Note %d\n\nThe quokka number %d lives on the island.\n' $i $i >"$N/note$i.md"
	i=$((i + 1))
done
printf 'not a note\n' >"$N/skip1.txt"
printf 'not a note either\n' >"$N/skip2.txt"
d="a adds a folder with an include glob to the demo KB in steps on the loop: 20 files stored, the 2 others skipped, 25 documents"
if tui_keys a && tui_wait_bottom 'add to demo (PATH ?+GLOB?... ?-GLOB?...)>*' && tui_type "$N +*.md" && tui_keys Enter &&
	tui_wait "added to demo: 20 stored, 0 removed, 0 unchanged, 2 skipped" && tui_wait_re 'demo +25 ' &&
	! "$AIWB_BIN" kb docs demo | grep -q 'skip[12]\.txt' && tui_keys Enter &&
	tui_keys i && tui_wait_bottom 'search>*' && tui_type quokka && tui_keys Enter &&
	tui_wait "20 results in demo (bm25, k 20)" && tui_wait_re '1\. [0-9.]+  note[0-9]+\.md' && tui_keys Escape && tui_wait "knowledge base"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="s syncs (the glob kept): the documents of removed files go, the rest are unchanged"
rm -f "$N/note3.md" "$N/note7.md" "$N/note11.md"
if tui_keys s && tui_wait "synced demo: 0 stored, 3 removed, 22 unchanged, 2 skipped" && tui_wait_re 'demo +22 ' &&
	"$AIWB_BIN" kb check demo >/dev/null 2>&1; then
	ok "$d"
else
	tui_fail "$d" "kb check: $("$AIWB_BIN" kb check demo 2>&1)"
fi

d="q quits cleanly"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d" "rc=$TUI_RC $(tui_stderr)"
fi

# ---------------------------------------------------------------- vectors
# A KB embedded by the fake model server (its vectors are hashed word and
# trigram features, so related words score): the query's vector is asked for
# on the loop, and vector and hybrid results come back.
URL=
fake_start vec --max-seconds 300
d="the fake server starts and 'aiwb kb create' makes a KB with openai/text-embedding-3-small"
T=$E2E_TMP/vecdocs
mkdir -p "$T"
cp examples/docs/*.md "$T/"
printf 'left out by the glob\n' >"$T/left-out.txt"
if [ -n "$URL" ] && "$AIWB_BIN" kb create vec --embed openai/text-embedding-3-small >"$E2E_TMP/vec.out" 2>&1; then
	ok "$d"
else
	fail "$d" "$(cat "$E2E_TMP/vec.out" "$E2E_TMP/vec.err" 2>&1 | tail -5)"
fi
# The pager: records its arguments, copies the file it was given and its mode.
PG=$E2E_TMP/pager.sh
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >%s\ncp "$1" %s\nstat -c %%a "$1" >%s\n' "$E2E_TMP/pager.args" \
	"$E2E_TMP/pager.copy" "$E2E_TMP/pager.mode" >"$PG"
chmod 700 "$PG"
TUI_ENV="OPENAI_API_KEY=sk-e2e-kb OPENAI_BASE_URL=$URL/v1 PAGER=$PG"
printf '{ "default_model": "openai/gpt-4o-mini" }\n' >"$E2E_HOME/config.json"
AIWB_CONFIG=$E2E_HOME/config.json
export AIWB_CONFIG

d="a adds a folder (+*.md) to the KB with an embedding model: the text, then every chunk embedded on the loop"
if tui_start 160 40 && tui_wait "3 Knowledge" && tui_keys 3 z && tui_wait_re 'vec +0 +0 .*openai/text-embedd' &&
	tui_keys j a && tui_wait_bottom 'add to vec (PATH*' && tui_type "$T +*.md" && tui_keys Enter &&
	tui_wait_re 'added to vec: 5 stored, 0 removed, 0 unchanged, 1 skipped; [0-9]+ chunks embedded' &&
	tui_wait_re 'vec +5 +[0-9]+ +[0-9.]+ KB +openai/text-embedd' &&
	OPENAI_API_KEY=sk-e2e-kb OPENAI_BASE_URL=$URL/v1 "$AIWB_BIN" kb search vec "winter tyres" --mode vector --json |
	"$E2E_PY" -c 'import json, sys
sys.exit(0 if json.load(sys.stdin)["results"] else 1)'; then
	ok "$d"
else
	tui_fail "$d" "fake log: $(tail -3 "$E2E_TMP/vec.log" 2>&1)"
fi

d="s syncs a new file and embeds only its chunks (the rest have vectors)"
printf '# Penguins\n\nPenguin crossings near the depot on icy mornings.\n' >"$T/penguins.md"
calls=$(grep -c '/v1/embeddings' "$E2E_TMP/vec.log")
if tui_keys s && tui_wait "synced vec: 1 stored, 0 removed, 5 unchanged, 1 skipped; 1 chunk embedded" &&
	[ "$(grep -c '/v1/embeddings' "$E2E_TMP/vec.log")" -eq $((calls + 1)) ] && tui_wait_re 'vec +6 ' &&
	"$AIWB_BIN" kb check vec >/dev/null 2>&1; then
	ok "$d"
else
	tui_fail "$d" "calls before $calls, log: $(grep -c '/v1/embeddings' "$E2E_TMP/vec.log")"
fi

d="Enter opens the embedded KB; i searches it with bm25 first"
if tui_keys Enter && tui_wait "mode bm25 (m)" && tui_keys i && tui_wait_bottom 'search>*' &&
	tui_type "winter tyres on icy roads" && tui_keys Enter && tui_wait "results in vec (bm25, k 10)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="m switches to vector: the query is embedded on the loop and the cosine ranking shown"
if tui_keys m && tui_wait "mode vector (m)" && tui_wait "results in vec (vector, k 10)" &&
	tui_wait_re '1\. 0\.[0-9]{4}  [a-z-]+\.md' && grep -q '/v1/embeddings' "$E2E_TMP/vec.log"; then
	ok "$d"
else
	tui_fail "$d" "fake log: $(tail -3 "$E2E_TMP/vec.log" 2>&1)"
fi

d="m again: hybrid (reciprocal rank fusion); r turns MMR rerank on; m back to bm25"
if tui_keys m && tui_wait "mode hybrid (m)" && tui_wait "results in vec (hybrid, k 10)" && tui_keys r &&
	tui_wait "rerank mmr (r)" && tui_wait "results in vec (hybrid+mmr, k 10)" && tui_keys r m &&
	tui_wait "mode bm25 (m)" && tui_wait "rerank off (r)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="e on a result with no editor set: \$PAGER shows the stored text from a 0600 temp copy, removed after"
if tui_keys e && tui_wait_re 'back from the pager \([a-z-]+\.md as stored\)' &&
	[ "$(cat "$E2E_TMP/pager.mode" 2>/dev/null)" = 600 ] && [ -s "$E2E_TMP/pager.copy" ] &&
	[ ! -e "$(head -1 "$E2E_TMP/pager.args")" ] && grep -q 'aiwb-kb-' "$E2E_TMP/pager.args"; then
	ok "$d"
else
	tui_fail "$d" "args: $(cat "$E2E_TMP/pager.args" 2>&1)"
fi

d="Enter opens a result in its document; Esc back"
if tui_keys Enter && tui_wait_re '\.md +chunk [0-9]+/[0-9]+ · bytes' && tui_keys Escape && tui_wait "mode bm25 (m)"; then
	ok "$d"
else
	tui_fail "$d"
fi

d="A asks the selected model with the results as sources: the rag template streams in the Prompt pane"
if tui_keys A && tui_wait_bottom ' Prompt *' && tui_wait "2 Prompt (zoomed)" && tui_wait "Template rag · rag" &&
	tui_wait "done (" && "$E2E_PY" -c 'import json, sys
bodies = [json.loads(l)["body"] for l in open(sys.argv[1]) if "chat/completions" in l]
b = json.loads(bodies[-1]) if bodies else {}
text = " ".join(m["content"] for m in b.get("messages", []))
sys.exit(0 if b.get("model") == "gpt-4o-mini" and "Question: winter tyres on icy roads" in text and
         "<source" in text and "[1]" in text else 1)' "$E2E_TMP/vec.log"; then
	ok "$d"
else
	tui_fail "$d" "fake log: $(tail -3 "$E2E_TMP/vec.log" 2>&1)"
fi

d="the asked run's history records the KB, the query, the mode, k and the chunk ids"
if "$AIWB_BIN" history --json -n 1 >"$E2E_TMP/hist.json" 2>&1 && "$E2E_PY" - "$E2E_TMP/hist.json" "$AIWB_HOME/aiwb.db" <<'P'
import json, sqlite3, sys
run = json.load(open(sys.argv[1]))["runs"][0]
k = run.get("kb") or {}
db = sqlite3.connect(sys.argv[2])
ids = [r[0] for r in db.execute("SELECT c.id FROM kb_chunks c JOIN kb_docs d ON d.id = c.doc_id JOIN kbs k ON k.id = d.kb_id"
                                " WHERE k.name = 'vec'")]
ok = (k.get("name") == "vec" and k.get("query") == "winter tyres on icy roads" and k.get("mode") == "bm25"
      and k.get("k") == 10 and k.get("filter") is None and 1 <= len(k["chunks"]) <= 10 and set(k["chunks"]) <= set(ids))
sys.exit(0 if ok else 1)
P
then
	ok "$d"
else
	fail "$d" "$(head -c 1200 "$E2E_TMP/hist.json")"
fi

d="the model server gone, s stores a new file's text and says in one sentence that embedding stopped; the KB stays sound"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
printf '# Bells\n\nBicycle bells and their sound.\n' >"$T/bells.md"
if tui_keys 3 && tui_wait_bottom ' Knowledge *' && tui_keys Escape && tui_wait "knowledge base" && tui_keys s &&
	tui_wait "synced vec: 1 stored, 0 removed, but embedding stopped: " 30 && tui_wait_re 'vec +7 ' &&
	"$AIWB_BIN" kb check vec >/dev/null 2>&1 && ! tui_screen | grep -q 'sk-e2e-kb'; then
	ok "$d"
else
	tui_fail "$d"
fi

d="d asks for the KB's name: another answer keeps it, the name deletes it (index and all)"
if tui_keys 3 && tui_wait_bottom ' Knowledge *' && tui_keys Escape && tui_wait "knowledge base" &&
	tui_wait_re 'vec +7 ' && tui_keys d && tui_wait_bottom 'delete vec and its index? type its name:*' &&
	tui_type nope && tui_keys Enter && tui_wait "vec kept" && tui_wait_re 'vec +7 ' && tui_keys d &&
	tui_wait_bottom 'delete vec*' && tui_type vec && tui_keys Enter && tui_wait "deleted the knowledge base vec" &&
	tui_wait_gone "openai/text-embedd" && tui_wait_re 'demo +22 ' && "$AIWB_BIN" kb ls --json | "$E2E_PY" -c 'import json, sys
sys.exit(0 if [k["name"] for k in json.load(sys.stdin)["kbs"]] == ["demo"] else 1)'; then
	ok "$d"
else
	tui_fail "$d" "kb ls: $("$AIWB_BIN" kb ls 2>&1)"
fi

d="q quits cleanly"
if tui_keys q && tui_wait_exit && [ "$TUI_RC" = 0 ]; then
	ok "$d"
else
	tui_fail "$d" "rc=$TUI_RC $(tui_stderr)"
fi

tui_stop
e2e_done
