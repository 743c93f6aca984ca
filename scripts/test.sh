#!/usr/bin/env bash
# Quick start, part two: installs what is missing, builds the library, examples and tests with
# AddressSanitizer and UBSan (warnings are errors), and runs the whole suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DSMTP_SANITIZE=ON \
      -DSMTP_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build build-test -j"$(nproc)"
exec ctest --test-dir build-test --output-on-failure
