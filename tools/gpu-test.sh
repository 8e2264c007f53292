#!/usr/bin/env bash
# The GPU acceptance run, for a machine with an NVIDIA GPU (the device machine). Reads the card
# and changes none of its settings. Writes everything to $OUT when set (the device machine's
# return folder), else to build/gpu-test/. Commit what it measured under results/.
#
#   GPU_TEST=all|streams|timeslice|mig|mps|mps-quick|mix|mix-quick tools/gpu-test.sh [extra bench
#   streams options]
#
#   streams    info, the MIG profiles against nvidia-smi's, bench streams
#   timeslice  bench timeslice twice (the second run only the timeline, to check that the
#              slice and switch overhead agree between runs), then a run interrupted with
#              SIGINT; after each, no worker process and no CUDA process may be left
#   mig        the live MIG profiles against the catalog, then bench mig (slices emulated with
#              MPS while MIG stays disabled); no MPS daemon and no directory may be left
#   mps        20 `gpushare mps start`/`stop` cycles, `mps exec` and `mps status` with a
#              client, the scripts `emit mps` writes against the real daemon, bench mps, then
#              bench mps interrupted with SIGINT; after each, no MPS daemon, no MPS directory
#              and no worker
#   mps-quick  the same with a short bench mps (one trial, two processes), for a smoke test
#              MPS_PARTS=LIST passes --only LIST to bench mps; MPS_LIFECYCLE=0 skips the cycles,
#              exec and SIGINT checks (to split the study over calls of limited length)
#   mix        bench mix (a plan's mix of paced inference processes, alone and beside a gemm,
#              time-sliced and under MPS), then plan check: the planner's predictions beside
#              what was measured; no worker, MPS daemon or directory may be left
#   mix-quick  the same, one trial of 0.5 s at 4 processes, for a smoke test
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-build/gpu-test}
what=${GPU_TEST:-all}
mkdir -p "$out"
bin=build/gpushare
status=0

# No gpushare worker and no process on the GPU: what every multi-process run must leave.
leftovers() {
    local procs apps
    procs=$(pgrep -fa 'gpushare worker' || true)
    apps=$(nvidia-smi --query-compute-apps=pid,process_name --format=csv,noheader || true)
    if [ -n "$procs$apps" ]; then
        echo "gpu-test: left behind after $1:" >&2
        echo "$procs$apps" >&2
        status=1
    else
        echo "ok   nothing left after $1: no worker process, no process on the GPU"
    fi
}

# No live MPS daemon or server and no gpushare MPS directory. A zombie (state Z) is an exited
# process its parent has not reaped; PID 1 of some containers never reaps, and a zombie holds
# nothing: only live processes count.
no_mps_left() {
    if ps -eo pid=,stat=,args= | awk '$2 !~ /^Z/ && /[n]vidia-cuda-mps/' | grep . ||
        ls -d /tmp/gpushare-mps-* "${XDG_RUNTIME_DIR:-/nonexistent}"/gpushare-mps-* 2>/dev/null; then
        echo "gpu-test: an MPS daemon or its directory was left behind after $1" >&2
        status=1
    else
        echo "ok   no MPS daemon and no MPS directory left after $1"
    fi
}

# interrupt SECONDS NAME ARGS...: runs gpushare ARGS with -o $out/NAME.json, sends SIGINT
# after SECONDS and expects exit 130 (workers stopped, the document written).
interrupt() {
    local after=$1 name=$2 pid rc=0
    shift 2
    "$bin" "$@" -o "$out/$name.json" >"$out/$name.txt" 2>&1 &
    pid=$!
    sleep "$after"
    kill -INT "$pid"
    wait "$pid" || rc=$?
    sleep 1
    if [ "$rc" -eq 130 ]; then
        echo "ok   interrupted gpushare $1 $2 exited 130"
    else
        echo "gpu-test: interrupted gpushare $1 $2 exited $rc, expected 130" >&2
        status=1
    fi
    tail -n 3 "$out/$name.txt"
}

echo "== environment"
nvidia-smi --query-gpu=name,driver_version,pci.bus_id,compute_mode,mig.mode.current \
    --format=csv,noheader || true
"$bin" version
if "$bin" version | grep -q 'commit unknown'; then
    echo "gpu-test: warning: no commit recorded; run as GIT_COMMIT=\$(git rev-parse HEAD) make gpu-test" >&2
fi

if [ "$what" = all ] || [ "$what" = streams ]; then
    echo "== gpushare info"
    "$bin" info | tee "$out/info.txt"
    "$bin" info --json >"$out/info.json"

    echo "== MIG profiles: gpushare against nvidia-smi mig -lgip / -lgipp"
    nvidia-smi mig -lgip >"$out/lgip.txt" 2>&1 || true
    nvidia-smi mig -lgipp >"$out/lgipp.txt" 2>&1 || true
    python3 tools/compare_mig.py "$out/info.json" "$out/lgip.txt" "$out/lgipp.txt" |
        tee "$out/mig-compare.txt" || status=1

    echo "== gpushare bench streams"
    "$bin" bench streams -o "$out/streams.json" "$@" | tee "$out/streams.txt" || status=1
fi

if [ "$what" = all ] || [ "$what" = timeslice ]; then
    echo "== gpushare bench timeslice"
    "$bin" bench timeslice -o "$out/timeslice.json" | tee "$out/timeslice.txt" || status=1
    leftovers "bench timeslice"

    echo "== gpushare bench timeslice --only timeline (repeat)"
    "$bin" bench timeslice --only timeline -o "$out/timeslice-repeat.json" |
        tee "$out/timeslice-repeat.txt" || status=1
    leftovers "the repeat"

    echo "== SIGINT in the middle of bench timeslice"
    interrupt 8 interrupted bench timeslice --only contention --sizes 4096
    leftovers "SIGINT"
fi
if [ "$what" = all ] || [ "$what" = mig ]; then
    echo "== gpushare mig profiles --live"
    "$bin" mig profiles --live | tee "$out/mig-live.txt" || status=1
    "$bin" mig profiles --live --json >"$out/mig-live.json" || status=1

    echo "== gpushare bench mig"
    "$bin" bench mig -o "$out/mig.json" | tee "$out/mig.txt" || status=1
    leftovers "bench mig"
    no_mps_left "bench mig"
fi

mps=0
case $what in all | mps | mps-quick) mps=1 ;; esac
lifecycle=0
if [ "$mps" = 1 ] && [ "${MPS_LIFECYCLE:-1}" = 1 ]; then
    lifecycle=1
fi
quick=()
if [ "$what" = mps-quick ]; then
    quick=(--trials 1 --duration 0.5 --procs 2 --sizes 1024 --sweep-step 50)
fi
parts=()
if [ -n "${MPS_PARTS:-}" ]; then
    parts=(--only "$MPS_PARTS")
fi

if [ "$lifecycle" = 1 ]; then
    echo "== 20 gpushare mps start / stop cycles"
    cycles=0
    for _ in $(seq 20); do
        env_lines=$("$bin" mps start 2>>"$out/mps-cycles.log") || break
        pipe=$(sed -n "s/^export CUDA_MPS_PIPE_DIRECTORY='\(.*\)'$/\1/p" <<<"$env_lines")
        "$bin" mps status --pipe-dir "$pipe" >>"$out/mps-cycles.log" 2>&1 || break
        "$bin" mps stop --pipe-dir "$pipe" 2>>"$out/mps-cycles.log" || break
        cycles=$((cycles + 1))
    done
    if [ "$cycles" -eq 20 ]; then
        echo "ok   20 start/status/stop cycles"
    else
        echo "gpu-test: cycle $((cycles + 1)) failed; see mps-cycles.log" >&2
        status=1
    fi
    no_mps_left "20 cycles"

    echo "== gpushare mps exec and status with a client attached"
    env_lines=$("$bin" mps start --thread-pct 50 2>>"$out/mps-cycles.log") || status=1
    pipe=$(sed -n "s/^export CUDA_MPS_PIPE_DIRECTORY='\(.*\)'$/\1/p" <<<"$env_lines")
    "$bin" mps exec --pipe-dir "$pipe" --thread-pct 25 -- "$bin" info --json \
        >"$out/mps-exec-info.json" 2>>"$out/mps-cycles.log" || status=1
    python3 -c 'import json,sys; print("ok   mps exec --thread-pct 25 (daemon 50): the client sees",
        json.load(open(sys.argv[1]))["info"]["sm_count"], "SMs")' "$out/mps-exec-info.json" ||
        status=1
    # A client that runs for a while; status is polled until it shows it.
    "$bin" mps exec --pipe-dir "$pipe" -- "$bin" bench streams --only gemm --trials 3 \
        >/dev/null 2>>"$out/mps-cycles.log" &
    client=$!
    for _ in $(seq 40); do
        "$bin" mps status --pipe-dir "$pipe" --json >"$out/mps-status-client.json" || status=1
        grep -q '"clients": \[$' "$out/mps-status-client.json" && break
        sleep 0.5
    done
    "$bin" mps status --pipe-dir "$pipe" | tee "$out/mps-status-client.txt" || status=1
    wait "$client" || status=1
    "$bin" mps stop --pipe-dir "$pipe" 2>>"$out/mps-cycles.log" || status=1
    no_mps_left "mps exec"

    echo "== gpushare emit mps: the emitted scripts against the real daemon"
    deploy=$(mktemp -d /tmp/gpushare-emit-XXXXXX)
    {
        "$bin" emit mps --out "$deploy/files" --thread-pct 25 --mem-limit 0=10G \
            --pipe-dir "$deploy/pipe" --log-dir "$deploy/log" --install-dir "$deploy/files" \
            --env-file "$deploy/files/gpushare-mps.env" &&
            GPUSHARE_MPS_ENV=$deploy/files/gpushare-mps.env "$deploy/files/mps-start.sh" &&
            "$bin" mps status --pipe-dir "$deploy/pipe" &&
            "$bin" mps exec --pipe-dir "$deploy/pipe" -- "$bin" info --json >"$out/emit-exec-info.json" &&
            GPUSHARE_MPS_ENV=$deploy/files/gpushare-mps.env "$deploy/files/mps-stop.sh"
    } >"$out/emit-mps.txt" 2>&1 || status=1
    python3 -c 'import json,sys; print("ok   emitted mps-start.sh (25%) then mps exec: the client sees",
        json.load(open(sys.argv[1]))["info"]["sm_count"], "SMs")' "$out/emit-exec-info.json" ||
        status=1
    rm -rf "$deploy"
    no_mps_left "the emitted scripts"
fi
if [ "$mps" = 1 ]; then
    echo "== gpushare bench mps ${parts[*]}"
    "$bin" bench mps -o "$out/mps.json" "${quick[@]}" "${parts[@]}" | tee "$out/mps.txt" ||
        status=1
    leftovers "bench mps"
    no_mps_left "bench mps"
fi
if [ "$lifecycle" = 1 ]; then
    echo "== SIGINT in the middle of bench mps (under the daemon)"
    interrupt 10 mps-interrupted bench mps --only threads
    leftovers "SIGINT in bench mps"
    no_mps_left "SIGINT in bench mps"
fi
mix=0
case $what in all | mix | mix-quick) mix=1 ;; esac
if [ "$mix" = 1 ]; then
    mixopts=()
    [ "$what" = mix-quick ] && mixopts=(--trials 1 --duration 0.5 --procs 4)
    echo "== gpushare bench mix ${mixopts[*]}"
    "$bin" bench mix -o "$out/mix.json" "${mixopts[@]}" | tee "$out/mix.txt" || status=1
    leftovers "bench mix"
    no_mps_left "bench mix"
    echo "== gpushare plan check: the planner's predictions against the mix"
    "$bin" plan check "$out/mix.json" -o "$out/mix-check.json" | tee "$out/mix-check.txt" ||
        status=1
fi
echo "gpu-test: done (status $status); results in $out"
exit "$status"
