#!/usr/bin/env bash
# Quick start, part two: installs what is missing, builds the library, examples and tests with
# AddressSanitizer and UBSan (warnings are errors), and runs the whole suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The tests and examples link the separately compiled library (docs/packaging.md), which builds
# faster; header-only builds are checked too (the package and compile_fail tests, the fuzzers).
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DSMTP_SANITIZE=ON \
      -DSMTP_WARNINGS_AS_ERRORS=ON -DSMTP_EXAMPLES_COMPILED=ON >/dev/null
cmake --build build-test -j"$(nproc)"
# The suites mostly wait on sockets and child processes: one at a time per core. (The fuzz and
# ThreadSanitizer steps, which keep both cores busy, run alone.)
exec ctest --test-dir build-test --output-on-failure -j"$(nproc)"
