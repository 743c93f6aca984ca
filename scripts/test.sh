#!/usr/bin/env bash
# Quick start, part two: installs what is missing, builds the library, examples and tests with
# AddressSanitizer and UBSan (warnings are errors), and runs the whole suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The tests and examples link the separately compiled library (docs/packaging.md), which builds
# faster; header-only builds are checked too (the package and compile_fail tests, the fuzzers).
# Ninja, not Make: Make builds one target's objects only after the targets it depends on are
# built, which leaves a core idle on a 2-core machine (the ThreadSanitizer sub-build, which
# uses the same generator, took twice as long). A build tree of another generator is started
# afresh, since CMake cannot switch one.
if [ -f build-test/CMakeCache.txt ] &&
   ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build-test/CMakeCache.txt; then
    rm -rf build-test
fi
# -g1: line tables only, all that the sanitizers' stack traces use; full debug information
# costs 7 % more compile time. (Configure a build of your own for a debugger.)
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
      -DSMTP_SANITIZE=ON -DSMTP_WARNINGS_AS_ERRORS=ON -DSMTP_EXAMPLES_COMPILED=ON >/dev/null
cmake --build build-test -j"$(nproc)"
# The suites mostly wait on sockets and child processes: one at a time per core. (The fuzz and
# ThreadSanitizer steps, which keep both cores busy, run alone.)
exec ctest --test-dir build-test --output-on-failure -j"$(nproc)"
