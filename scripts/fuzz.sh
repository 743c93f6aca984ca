#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ in build-fuzz and runs each for SECONDS (default 60)
# through `ctest -L fuzz`, one after the other. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS] [extra ctest arguments...]    e.g. scripts/fuzz.sh 600 -R session
#
# FUZZ_BUILD_DIR chooses the build directory (default build-fuzz); the ctest test `fuzz` of the
# normal build (CI's fuzz step, tests/CMakeLists.txt) sets it to a directory of its own.
# Needs clang++ and libFuzzer's runtime (Debian: clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
case "$seconds" in
    ''|*[!0-9]*) echo "usage: $0 [SECONDS] [ctest arguments...]" >&2; exit 2 ;;
esac

cxx="${CXX:-}"
if [ -z "$cxx" ]; then
    for candidate in clang++ clang++-14; do
        if command -v "$candidate" >/dev/null; then cxx="$candidate"; break; fi
    done
fi
if [ -z "$cxx" ]; then
    echo "fuzz.sh: clang++ not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi

build="${FUZZ_BUILD_DIR:-build-fuzz}"
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$cxx" \
      -DSMTP_BUILD_FUZZERS=ON -DSMTP_BUILD_TESTS=OFF -DSMTP_BUILD_EXAMPLES=OFF \
      -DSMTP_BUILD_BENCHMARKS=OFF -DSMTP_FUZZ_SECONDS="$seconds" >/dev/null
cmake --build "$build" -j"$(nproc)"
exec ctest --test-dir "$build" -L fuzz --output-on-failure "$@"
