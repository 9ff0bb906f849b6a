# GPU use of local jobs (docs/jobs.md, GPUs): with an nvidia-smi on PATH the
# job's supervisor samples it while the job runs, also while aiwb is closed,
# and the job gets gpu_util, gpu_mem_mib and gpu_count series counting only
# its own processes (a child of the job included, another program's process
# left out); without nvidia-smi, or with AIWB_GPU=off, nothing is sampled and
# nothing fails. The nvidia-smi here is a script printing the documented
# --format=csv,noheader,nounits rows, since this machine has no GPU.
. "$(dirname "$0")/lib.sh"
e2e_begin
e2e_home
export AIWB_SLURM=off
A=$AIWB_BIN
out=$E2E_TMP/out
err=$E2E_TMP/err
W=$E2E_TMP/work
BIN=$E2E_TMP/bin
mkdir -p "$W" "$BIN"
OTHER=
cleanup_gpu() {
	[ -n "$OTHER" ] && kill -KILL "$OTHER" 2>/dev/null
	e2e_kill_local_jobs
	e2e_cleanup
}
trap cleanup_gpu EXIT
run() {
	"$A" "$@" </dev/null >"$out" 2>"$err"
	RC=$?
}
what() {
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s\n' "$RC" "$(head -40 "$out")" "$(cat "$err")"
}

# A process that is not the job's, on the same GPU.
sleep 300 &
OTHER=$!
cat >"$BIN/nvidia-smi" <<SH
#!/bin/sh
# the job's child writes its pid to $W/child.pid
case "\$1" in
--query-compute-apps=*)
	[ -s "$W/child.pid" ] && echo "\$(cat "$W/child.pid"), GPU-4f7e2a10-0000-1111-2222-333344445555, 1500"
	echo "$OTHER, GPU-4f7e2a10-0000-1111-2222-333344445555, 7000"
	echo "$OTHER, GPU-9c0ffee0-0000-1111-2222-333344445555, 300"
	echo "garbage line"
	;;
--query-gpu=*)
	echo "GPU-4f7e2a10-0000-1111-2222-333344445555, 87, 8500, 16384"
	echo "GPU-9c0ffee0-0000-1111-2222-333344445555, 5, 300, 16384"
	;;
*) exit 6 ;;
esac
SH
chmod +x "$BIN/nvidia-smi"

cat >"$W/train.sh" <<'SH'
sleep 30 &
echo $! >"$1/child.pid"
while [ ! -f "$1/done" ]; do sleep 0.1; done
kill $! 2>/dev/null
echo finished
SH

# The job is started, aiwb is gone; the supervisor samples on its own.
PATH="$BIN:$PATH" AIWB_GPU_INTERVAL_MS=200 run jobs run --name gpujob -- sh "$W/train.sh" "$W"
if [ $RC = 0 ]; then ok "a job starts with nvidia-smi on PATH"; else fail "start" "$(what)"; fi
DIR=$(ls -d "$AIWB_HOME"/jobs/*/ | head -1)
gpu_lines() { [ "$(wc -l 2>/dev/null <"$DIR/gpu.jsonl" || echo 0)" -ge 3 ]; }
if wait_until 20 gpu_lines; then ok "the supervisor appends samples to gpu.jsonl while aiwb is closed"
else fail "samples" "$(ls -la "$DIR"; cat "$DIR/gpu.jsonl" 2>&1)"; fi
touch "$W/done"
"$A" jobs watch gpujob --until-done --interval 0.2 >/dev/null 2>&1 </dev/null
run jobs metrics gpujob --json
check "the job's series: util of its GPU only, its own memory, one GPU" e2e_json "$out" \
	'(lambda m: set(m) >= {"gpu_util", "gpu_mem_mib", "gpu_count"} and all(p["value"] == 87 and p["origin"] == "./gpu.jsonl" for p in m["gpu_util"]) and all(p["value"] == 1500 for p in m["gpu_mem_mib"]) and all(p["value"] == 1 for p in m["gpu_count"]) and len(m["gpu_util"]) >= 3)(d["metrics"])'
mode=$(e2e_mode "$DIR/gpu.jsonl")
if [ "$mode" = 600 ]; then ok "gpu.jsonl is 0600"; else fail "gpu.jsonl mode" "$mode"; fi
n1=$(wc -l <"$DIR/gpu.jsonl")
sleep 1
n2=$(wc -l <"$DIR/gpu.jsonl")
if [ "$n1" = "$n2" ]; then ok "sampling stops when the job ends"; else fail "sampling after the end" "$n1 -> $n2"; fi

# Without nvidia-smi, and with AIWB_GPU=off: no file, no failure.
rm -f "$W/done" "$W/child.pid"
AIWB_GPU_INTERVAL_MS=200 run jobs run -f --name nogpu -- sh -c 'sleep 1; echo done'
D2=$(grep -l 'nogpu' "$AIWB_HOME"/jobs/*/status 2>/dev/null | head -1)
if [ $RC = 0 ] && ! ls "$AIWB_HOME"/jobs/*/gpu.jsonl 2>/dev/null | grep -qv "^$DIR"; then
	ok "without nvidia-smi no samples and the job completes"
else fail "no nvidia-smi" "$(what) $D2"; fi
PATH="$BIN:$PATH" AIWB_GPU=off AIWB_GPU_INTERVAL_MS=200 run jobs run -f --name offgpu -- sh -c 'sleep 1; echo done'
if [ $RC = 0 ] && [ "$(ls "$AIWB_HOME"/jobs/*/gpu.jsonl 2>/dev/null | wc -l)" = 1 ]; then
	ok "AIWB_GPU=off samples nothing"
else fail "AIWB_GPU=off" "$(what); $(ls "$AIWB_HOME"/jobs/*/gpu.jsonl)"; fi
e2e_done
