#!/usr/bin/env bash
# Runs the fuzz targets for a number of minutes each and says, per target, how many inputs it
# ran and what it found. Long runs are done by hand (CI only replays the corpora, on stable).
#
#   fuzz/run.sh [--keep] [MINUTES] [TARGET...]
#
# MINUTES defaults to 10; sniff and decode_frames, which see every byte a port receives first,
# get three times as long. No TARGET means all of them. New inputs go to fuzz/target/runs/,
# not the repository; --keep folds them into fuzz/corpus/<target>/ and minimizes it there
# (cargo fuzz cmin). Crashes are written to fuzz/artifacts/<target>/. Exits 1 when any target
# crashed, 2 on a usage or setup error.
set -uo pipefail
cd "$(dirname "$0")"

keep=false
if [[ ${1:-} == --keep ]]; then
    keep=true
    shift
fi
minutes=10
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
    minutes=$1
    shift
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 2
fi
# libFuzzer builds need nightly's -Z flags: the nightly toolchain when there is one, else the
# installed one told to allow them.
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi

all=$(cargo fuzz list)
targets=("$@")
((${#targets[@]})) || mapfile -t targets <<<"$all"
for target in "${targets[@]}"; do
    if ! grep -qx "$target" <<<"$all"; then
        echo "fuzz/run.sh: no target $target; there are: $(echo $all)" >&2
        exit 2
    fi
done

# -a: debug assertions (and overflow checks) on, so an arithmetic slip is a crash too.
mkdir -p target/runs
echo "building the fuzz targets (log: fuzz/target/runs/build.log)" >&2
if ! cargo "${toolchain[@]}" fuzz build -a >target/runs/build.log 2>&1; then
    tail -20 target/runs/build.log >&2
    exit 2
fi

crashed=()
printf '%-16s %8s %14s %10s %8s  %s\n' target minutes executions "execs/s" "new" finding
for target in "${targets[@]}"; do
    run_minutes=$minutes
    [[ $target == sniff || $target == decode_frames ]] && run_minutes=$((minutes * 3))
    scratch=target/runs/$target
    mkdir -p "$scratch" "artifacts/$target"
    log=target/runs/$target.log
    cargo "${toolchain[@]}" fuzz run -a "$target" "$scratch" "corpus/$target" -- \
        -max_total_time=$((run_minutes * 60)) -timeout=10 -print_final_stats=1 >"$log" 2>&1
    status=$?
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    finding=none
    if ((status != 0)); then
        finding=$(grep -oE 'artifacts/[^ ]+' "$log" | tail -1)
        finding="crash (exit $status) ${finding:-see $log}"
        crashed+=("$target")
    fi
    printf '%-16s %8s %14s %10s %8s  %s\n' "$target" "$run_minutes" \
        "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
        "$(stat new_units_added)" "$finding"
    if $keep && ((status == 0)); then
        cp -n "$scratch"/* "corpus/$target/" 2>/dev/null
        cargo "${toolchain[@]}" fuzz cmin -a "$target" "corpus/$target" >"$log.cmin" 2>&1 ||
            echo "fuzz/run.sh: cmin of $target failed, see fuzz/$log.cmin" >&2
    fi
done

if ((${#crashed[@]})); then
    echo "crashed: ${crashed[*]} (reproduce: cargo fuzz run TARGET fuzz/artifacts/TARGET/FILE)"
    exit 1
fi
