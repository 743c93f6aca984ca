#!/usr/bin/env python3
"""What the rate limits cost per connection (docs/policy.md): smtpd -c Sink with no limits,
with --limit-connections counted in the process, and counted in a real redis-server
(--limits-redis). Each run opens CONNECTIONS connections from CLIENTS threads; each reads the
greeting, says QUIT and reads the 221. Printed: connections/s, and the CPU (utime+stime from
/proc) of smtpd, and of redis-server, per connection. Runs alternate, medians of REPEATS.

    benchmarks/limits/limits_bench.py PATH/TO/smtpd [CONNECTIONS] [CLIENTS] [REPEATS]

Build smtpd in Release for figures worth quoting (the sanitizer build is several times slower).
Standard library only; needs redis-server (Debian package).
"""

import os
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from process_tools import HOST, free_port, wait_for_listener  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def one_connection(port):
    with socket.create_connection((HOST, port), timeout=10) as s:
        f = s.makefile("rb")
        greeting = f.readline()
        if not greeting.startswith(b"220 "):
            raise RuntimeError(f"not greeted: {greeting!r}")
        s.sendall(b"QUIT\r\n")
        f.readline()


def load(port, connections, clients):
    """Seconds taken for `connections` connections from `clients` threads."""
    per_client = connections // clients
    errors = []

    def client():
        try:
            for _ in range(per_client):
                one_connection(port)
        except Exception as e:  # reported after the run
            errors.append(e)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed, per_client * clients


def run(smtpd, flags, connections, clients, redis_pid=None):
    port = free_port()
    server = subprocess.Popen([smtpd, "-n", "-c", "Sink", "-l", f"{HOST}:{port}",
                               "--threads", "1"] + flags,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_listener(port)
        load(port, clients * 20, clients)  # warm up
        cpu0 = cpu_seconds(server.pid)
        redis0 = cpu_seconds(redis_pid) if redis_pid else 0
        elapsed, done = load(port, connections, clients)
        cpu = cpu_seconds(server.pid) - cpu0
        redis_cpu = (cpu_seconds(redis_pid) - redis0) if redis_pid else 0
        return done / elapsed, cpu / done * 1e6, redis_cpu / done * 1e6
    finally:
        server.terminate()
        server.wait()


def main():
    smtpd = sys.argv[1]
    connections = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", HOST,
                              "--save", "", "--appendonly", "no", "--loglevel", "warning"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_listener(redis_port)
        huge = "1000000000/3600"  # counted, never reached
        setups = [
            ("no limits", [], None),
            ("in-process store", ["--limit-connections", huge], None),
            ("Redis store", ["--limit-connections", huge, "--limits-redis",
                             f"{HOST}:{redis_port}"], redis.pid),
        ]
        results = {name: [] for name, _, _ in setups}
        for _ in range(repeats):
            for name, flags, redis_pid in setups:
                results[name].append(run(smtpd, flags, connections, clients, redis_pid))
        print(f"{connections} connections from {clients} clients, medians of {repeats}")
        print("| counter store | connections/s | smtpd CPU µs/connection | redis-server CPU "
              "µs/connection |")
        print("|---|---:|---:|---:|")
        for name, _, _ in setups:
            rate = statistics.median(r[0] for r in results[name])
            cpu = statistics.median(r[1] for r in results[name])
            redis_cpu = statistics.median(r[2] for r in results[name])
            print(f"| {name} | {rate:,.0f} | {cpu:.0f} | {redis_cpu:.0f} |")
    finally:
        redis.terminate()
        redis.wait()


if __name__ == "__main__":
    main()
