#!/usr/bin/env bash
# What compiling against smtp costs (issue 20; the figures are in README.md "Using it in a
# project" and docs/packaging.md). Prints a table of CPU time (user + system) and peak memory of
# the compiler, medians of REPS runs taken in turn, so that a busy machine slows all rows alike:
#
#   bare Asio TU                 benchmarks/compile_time/bare_asio.cpp: an Asio + OpenSSL
#                                coroutine server of the same shape, without the library
#   handler TU, header-only      examples/first_server/main.cpp as it is
#   handler TU, separate         the same file with SMTP_SEPARATE_COMPILATION (and Asio's)
#   smtp_compiled.cpp (once)     what separate compilation compiles once per program
#   smtpd, header-only / separate  examples/smtpd/main.cpp at -O3, as its CMake target builds it
#   test suite from a clean clone  `git clone` of this checkout, then scripts/test.sh (the
#                                README's test command), wall time; skipped with --no-suite
#
#   benchmarks/compile_time.sh [--reps N] [--no-suite]        (CXX=g++ by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

reps=3
suite=1
while [ $# -gt 0 ]; do
    case $1 in
    --reps) reps=$2; shift 2 ;;
    --no-suite) suite=0; shift ;;
    *) echo "usage: $0 [--reps N] [--no-suite]" >&2; exit 2 ;;
    esac
done

cxx=${CXX:-g++}
common=(-std=c++20 -I"$root/include" -c -o /dev/null)
separate=(-DSMTP_SEPARATE_COMPILATION -DBOOST_ASIO_SEPARATE_COMPILATION)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# name|flags|file, one row each
rows=(
    "bare Asio TU (-O2)|-O2|benchmarks/compile_time/bare_asio.cpp"
    "handler TU, header-only (-O2)|-O2|examples/first_server/main.cpp"
    "handler TU, separate (-O2)|-O2 ${separate[*]}|examples/first_server/main.cpp"
    "smtp_compiled.cpp, once (-O2)|-O2 ${separate[*]}|cmake/smtp_compiled.cpp"
    "smtpd, header-only (-O3)|-O3|examples/smtpd/main.cpp"
    "smtpd, separate (-O3)|-O3 ${separate[*]}|examples/smtpd/main.cpp"
)

# One compile: prints "seconds kib" (user + system CPU time, peak resident set).
measure() {
    local flags=$1 file=$2
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S %M' -o "$scratch/time" "$cxx" "${common[@]}" $flags "$root/$file"
    awk '{ printf "%.2f %d\n", $1 + $2, $3 }' "$scratch/time"
}

echo "Compiling each row $reps times, in turn, with $($cxx --version | head -1)..." >&2
for ((r = 0; r < reps; r++)); do
    for i in "${!rows[@]}"; do
        IFS='|' read -r _ flags file <<<"${rows[$i]}"
        measure "$flags" "$file" >>"$scratch/row$i"
    done
done

suite_time=
if [ "$suite" = 1 ]; then
    echo "Running the README's test command on a clean clone (this takes a while)..." >&2
    git clone -q "$root" "$scratch/clone"
    ln -s "$root/../shared" "$scratch/shared" 2>/dev/null || true
    start=$(date +%s)
    if (cd "$scratch/clone" && scripts/test.sh >"$scratch/suite.log" 2>&1); then
        suite_time=$(($(date +%s) - start))
    else
        suite_time=failed
        tail -20 "$scratch/suite.log" >&2
    fi
fi

python3 - "$scratch" "$reps" "$suite_time" "${rows[@]}" <<'EOF'
import statistics, sys
scratch, reps, suite_time, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
medians = []
for i, row in enumerate(rows):
    runs = [line.split() for line in open(f"{scratch}/row{i}")]
    medians.append((row.split("|")[0], statistics.median(float(s) for s, _ in runs),
                    statistics.median(int(k) for _, k in runs) / 1024))
bare_s, bare_m = medians[0][1], medians[0][2]
print(f"| {'translation unit':34} | {'CPU s':>6} | {'× bare':>6} | {'peak MiB':>8} | {'× bare':>6} |")
print(f"|{'-' * 36}|{'-' * 8}|{'-' * 8}|{'-' * 10}|{'-' * 8}|")
for name, s, m in medians:
    print(f"| {name:34} | {s:6.2f} | {s / bare_s:6.2f} | {m:8.0f} | {m / bare_m:6.2f} |")
if suite_time:
    shown = suite_time if suite_time == "failed" else f"{int(suite_time) // 60} min {int(suite_time) % 60} s"
    print(f"\nREADME test command from a clean clone (wall time): {shown}")
print(f"\n(medians of {reps} runs each)")
EOF
