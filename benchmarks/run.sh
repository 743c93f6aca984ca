#!/usr/bin/env bash
# Benchmarks of the smtp library, in one command:
#
#   benchmarks/run.sh [--quick] [loadbench.py options, e.g. --only d20,big --servers ours,sink]
#
# 1. Installs what is missing (Debian: postfix for smtp-source/smtp-sink, with debconf
#    "No configuration" and no Postfix daemon left running; python3-aiosmtpd; libbenchmark-dev).
# 2. Builds in Release into build-bench/: examples/smtpd, benchmarks/bench_server and the Google
#    Benchmark microbenchmarks.
# 3. Runs the microbenchmarks of the sans-I/O core (commands parsed/s, DATA bytes un-stuffed/s).
# 4. Runs Postfix's smtp-source against examples/smtpd -c Sink (on 1 and on 2 threads), Postfix's
#    smtp-sink and aiosmtpd,
#    alternately, loopback only, every run capped in time and messages (benchmarks/loadbench.py),
#    then opens 2,000 and 10,000 idle connections (after EHLO) to each, then runs each scenario
#    once more under `perf stat` to count the servers' system calls per message (no perf, or no
#    syscall tracepoints: skipped, and results.md says so).
# 5. Prints a Markdown table of medians (min–max) and writes it to benchmarks/results.md.
#
# Full run: 3 repetitions, 9-20 minutes. --quick: 1 repetition, smaller runs, 2-5 minutes.
# Needs root for apt-get (skipped when everything is there). Run it on an otherwise idle machine:
# before each run it waits up to 10 s (--quiet-wait; 2 minutes in all) for other work to stop, a
# group of runs disturbed by other work is run again in the first 5 minutes (--budget), and
# results.md says how much CPU other work took during the runs kept ("other" in progress lines).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build="$root/build-bench"
logdir="$build/bench-logs"

quick=()
pass=()
for arg in "$@"; do
    case "$arg" in
    --quick) quick=(--quick) ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) pass+=("$arg") ;;
    esac
done

say() { printf '\n== %s\n' "$*" >&2; }

# --- 1. what the benchmark needs ------------------------------------------------------------------
missing=()
[ -x /usr/sbin/smtp-source ] && [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
[ -e /usr/lib/x86_64-linux-gnu/cmake/benchmark/benchmarkConfig.cmake ] ||
    ls /usr/lib/*/cmake/benchmark/benchmarkConfig.cmake >/dev/null 2>&1 || missing+=(libbenchmark-dev)
command -v taskset >/dev/null || missing+=(util-linux)
command -v perf >/dev/null || missing+=(linux-perf) # system calls per message
command -v cmake >/dev/null || missing+=(cmake)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The postfix package may start its daemon; the benchmark wants none.
if pgrep -x master >/dev/null; then
    say "stopping the Postfix daemon that the install started"
    postfix stop >/dev/null 2>&1 || true
    sleep 1
    for pid in $(pgrep -x master); do
        # only Postfix's master (its command line says so)
        if grep -q postfix "/proc/$pid/cmdline" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    done
fi

# --- 2. build -----------------------------------------------------------------------------------
examples=OFF
[ -f "$root/examples/smtpd/main.cpp" ] && examples=ON
say "building (Release) in $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSMTP_BUILD_BENCHMARKS=ON \
    -DSMTP_BUILD_TESTS=OFF -DSMTP_BUILD_EXAMPLES=$examples >/dev/null
targets=(bench_server protocol_bench metrics_bench)
[ -f "$here/data_reader_bench.cpp" ] && targets+=(data_reader_bench)
[ $examples = ON ] && targets+=(smtpd)
cmake --build "$build" -j2 --target "${targets[@]}"

if [ -x "$build/examples/smtpd" ]; then
    ours=$(printf '%q ' "$build/examples/smtpd")"-n -c Sink -l 127.0.0.1:{port} --threads 1"
    ours2=$(printf '%q ' "$build/examples/smtpd")"-n -c Sink -l 127.0.0.1:{port} --threads 2"
    ours_name="smtp (examples/smtpd -c Sink)"
else
    say "examples/smtpd is not built: measuring benchmarks/bench_server instead"
    ours=$(printf '%q ' "$build/benchmarks/bench_server")"{port} 1"
    ours2=$(printf '%q ' "$build/benchmarks/bench_server")"{port} 2"
    ours_name="smtp (bench_server)"
fi

# Every server this script starts is stopped on the way out, whatever happens.
mkdir -p "$logdir"
: >"$logdir/smtp-source.err"
cleanup() {
    local pids
    pids=$(jobs -p)
    [ -n "$pids" ] && kill $pids 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 10,000 idle connections need descriptors on both sides.
ulimit -n 30000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# --- 3. microbenchmarks ---------------------------------------------------------------------------
micro=()
min_time=0.5
[ ${#quick[@]} -gt 0 ] && min_time=0.2
for bench in protocol_bench data_reader_bench metrics_bench; do
    [ -x "$build/benchmarks/$bench" ] || continue
    say "$bench"
    timeout 300 "$build/benchmarks/$bench" --benchmark_min_time=$min_time \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_out="$logdir/$bench.json" --benchmark_out_format=json
    micro+=("$logdir/$bench.json")
done

# --- 4. and 5. load -------------------------------------------------------------------------------
say "load runs (logs in $logdir)"
cd "$root"
/usr/bin/python3 "$here/loadbench.py" "${quick[@]}" --logdir "$logdir" \
    --out "$here/results.md" --ours-name "$ours_name" --micro "${micro[@]}" \
    --ours "$ours" --ours2 "$ours2" ${pass[@]+"${pass[@]}"} &
wait $!
