"""What the benchmark scripts share: a free loopback port, a process's figures from
/proc/PID/status, and waiting until a server they started accepts connections.

Standard library only. benchmarks/loadbench.py keeps its own versions: it picks ports below the
ephemeral range and sums its figures over a process tree.
"""

import socket
import time

HOST = "127.0.0.1"


def free_port(host=HOST):
    """A TCP port on `host` that nothing listens on (the kernel's choice)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def status_kib(pid, key):
    """A field of /proc/PID/status in KiB (VmRSS, VmHWM); 0 when the field is not there."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def wait_for_listener(port, host=HOST, attempts=500):
    """Returns once a connection to host:port succeeds, or after `attempts` tries 20 ms apart."""
    for _ in range(attempts):
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
