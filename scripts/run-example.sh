#!/usr/bin/env bash
# Quick start, part one: installs what is missing, builds examples/smtpd, and runs it with the
# Debugging handler on localhost:8025 (every message received is printed). Ctrl-C stops it.
# Extra arguments go to smtpd, e.g. `scripts/run-example.sh -c Sink -l :2525`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --build-only
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSMTP_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target smtpd
echo "smtpd: Debugging handler on localhost:8025 (Ctrl-C to stop)"
exec build/examples/smtpd -n -l localhost:8025 -c Debugging "$@"
