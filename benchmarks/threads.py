#!/usr/bin/env python3
"""What a second server thread gives, and how evenly SO_REUSEPORT spreads connections (issue 22).

    benchmarks/threads.py build-bench/examples/smtpd [--reps 3] [--messages 20000]

For each layout below, examples/smtpd -c Sink runs with --threads 1 and with --threads 2, and
smtp-source sends c20 (a new connection per message, 20 at a time) and d20 (20 connections,
message after message) to it, alternately, REPS times; the table has the medians of messages per
second and of server CPU microseconds per message (utime + stime of every thread,
/proc/PID/task/*/stat). Layouts:

    shared   neither pinned: client and server share the machine's CPUs (the default)
    split    client on CPU 0, server on CPU 1 (taskset): the server has one CPU to itself
    server2  client on CPU 0, server on CPUs 0-1: a second server thread can use the other CPU

"balance" is, for --threads 2, the busier thread's share of the server's CPU time: 50 % is an
even spread of the connections over the two listeners (each thread accepts on its own
SO_REUSEPORT socket, and the kernel picks one per connection by a hash of the addresses).
Needs two CPUs and Postfix's smtp-source (Debian: postfix).
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time

SMTP_SOURCE = "/usr/sbin/smtp-source"
TICK = os.sysconf("SC_CLK_TCK")
SCENARIOS = {"c20": ["-c", "-s", "20", "-l", "1024"], "d20": ["-c", "-d", "-s", "20", "-l", "1024"]}
LAYOUTS = {"shared": (None, None), "split": ("0", "1"), "server2": ("0", "0,1")}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.recv(256)
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def thread_cpu(pid):
    """CPU seconds (utime + stime) of each thread of `pid`, by thread id."""
    times = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            times[tid] = (int(fields[11]) + int(fields[12])) / TICK
        except (FileNotFoundError, ProcessLookupError):
            pass
    return times


def pinned(command, cpus):
    return (["taskset", "-c", cpus] if cpus else []) + command


def one_run(smtpd, threads, layout, scenario, messages):
    client_cpus, server_cpus = LAYOUTS[layout]
    port = free_port()
    server = subprocess.Popen(
        pinned([smtpd, "-n", "-c", "Sink", "-l", f"127.0.0.1:{port}", "--threads", str(threads)],
               server_cpus),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        before = thread_cpu(server.pid)
        start = time.monotonic()
        subprocess.run(pinned([SMTP_SOURCE, *SCENARIOS[scenario], "-m", str(messages),
                               "-M", "bench.example.com", "-f", "a@example.com",
                               "-t", "b@example.com", f"127.0.0.1:{port}"], client_cpus),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.monotonic() - start
        after = thread_cpu(server.pid)
    finally:
        server.terminate()
        server.wait()
    spent = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    total = sum(spent.values())
    busiest = max(spent.values()) if spent else 0.0
    return messages / wall, total / messages * 1e6, (busiest / total if total else 0.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("smtpd", help="examples/smtpd, a Release build")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--messages", type=int, default=20000)
    args = parser.parse_args()
    if os.cpu_count() < 2:
        sys.exit("threads.py: needs two CPUs")

    results = {}
    for _ in range(args.reps):
        for layout in LAYOUTS:
            for scenario in SCENARIOS:
                for threads in (1, 2):
                    key = (layout, scenario, threads)
                    results.setdefault(key, []).append(
                        one_run(args.smtpd, threads, layout, scenario, args.messages))

    print(f"| layout | scenario | threads | msgs/s | server CPU µs/msg | balance |")
    print("|---|---|---:|---:|---:|---:|")
    for (layout, scenario, threads), runs in results.items():
        rate = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        balance = (f"{statistics.median(r[2] for r in runs) * 100:.0f} %" if threads == 2
                   else "–")
        print(f"| {layout} | {scenario} | {threads} | {rate:,.0f} | {cpu:.1f} | {balance} |")
    print(f"\n(medians of {args.reps} runs of {args.messages} messages each)")


if __name__ == "__main__":
    main()
