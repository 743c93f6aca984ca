#!/usr/bin/env bash
# What a pass-through milter costs per message (docs/milter.md): Postfix's smtp-source sends the
# same messages to `smtpd -c Sink` without and with `--milter` (benchmarks/milter_passthrough.py,
# a libmilter filter), loopback and a temporary UNIX socket only, each run bounded in messages.
#
#   benchmarks/milter.sh SMTPD [MESSAGES] [SESSIONS]
#
# SMTPD is a built examples/smtpd (a Release build for figures worth quoting). Prints one line
# per setup: messages, seconds, messages per second.
set -euo pipefail
smtpd=${1:?usage: benchmarks/milter.sh SMTPD [MESSAGES] [SESSIONS]}
messages=${2:-5000}
sessions=${3:-20}
here="$(cd "$(dirname "$0")" && pwd)"
dir=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

/usr/bin/python3 "$here/milter_passthrough.py" "$dir/filter.sock" &
pids+=($!)
for _ in $(seq 100); do [ -S "$dir/filter.sock" ] && break; sleep 0.1; done

run() { # name, smtpd options...
    local name=$1 port=$((24500 + RANDOM % 1000))
    shift
    "$smtpd" -n -l "127.0.0.1:$port" -c Sink "$@" &
    local server=$!
    pids+=("$server")
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    local start end
    start=$(date +%s.%N)
    /usr/sbin/smtp-source -c -d -s "$sessions" -l 1024 -m "$messages" -M bench.example.com \
        -f a@example.com -t b@example.com "127.0.0.1:$port" >/dev/null
    end=$(date +%s.%N)
    kill "$server"
    wait "$server" 2>/dev/null || true
    python3 -c "import sys; n=$messages; s=$end-$start; print(f'{sys.argv[1]}: {n} messages, {s:.2f} s, {n/s:,.0f} msgs/s')" "$name"
}

run "smtpd -c Sink"
run "smtpd -c Sink --milter (pass-through)" --milter "unix:$dir/filter.sock"
