#!/usr/bin/env python3
"""Soak test: examples/smtpd under full load with random client faults for N minutes.

    benchmarks/soak/soak.py --smtpd build-release/examples/smtpd [--minutes 10] [--workers 4]
                            [--handler Sink|Mailbox] [--sample 30] [--seed 1]

Worker processes (the load) run sessions back to back against one smtpd. Most sessions are
well-behaved transactions (1-3 messages of 0.1-100 KiB, some dot-stuffed); a share inject a
fault: a reset or a silent close in the middle of DATA or of a command line, binary garbage,
a 100 KiB line, a pipelined burst whose replies are never read, a TLS-less STARTTLS-style
garbage handshake, or a client that goes silent until the server's idle timeout (421).

Every `--sample` seconds the server's RSS is sampled and a row printed. At the end: a table, the
RSS growth after warm-up (the first fifth of the run), the well-behaved sessions that failed
(must be 0: a fault only ever hurts its own session), and every line smtpd wrote to stderr
(it writes nothing for client faults; any line is reported as an error).

Standard library only (like benchmarks/loadbench.py). Exit status 0 when no well-behaved session
failed, nothing unexpected was logged and RSS grew less than --max-growth-mib after warm-up.
"""

import argparse
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from process_tools import HOST, free_port, status_kib, wait_for_listener  # noqa: E402

FAULTS = ["reset_in_data", "close_in_data", "reset_in_command", "garbage", "long_line",
          "unread_burst", "tls_garbage", "silent"]


class Session:
    """A blocking client with a timeout on every read."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""

    def reply(self):
        """One whole reply (every line of a multi-line one); raises on EOF."""
        out = b""
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by server: " + repr(out + self.buf))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            out += line + b"\n"
            if len(line) < 4 or line[3:4] != b"-":
                return out

    def command(self, line):
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def expect(self, line, code):
        r = self.command(line)
        if not r.startswith(code):
            raise RuntimeError(f"{line[:40]!r} -> {r[:200]!r}")
        return r

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.close()

    def close(self):
        self.sock.close()


def make_message(rng):
    size = int(rng.choice([100, 1000, 10000, 100000]) * rng.uniform(0.5, 1.0))
    lines = [b"Subject: soak", b""]
    total = 0
    while total < size:
        line = b"." * (rng.random() < 0.05) + b"x" * rng.randint(1, 76)
        lines.append(line)
        total += len(line) + 2
    return b"\r\n".join(lines) + b"\r\n"


_messages = []


def message(rng):
    """One of 32 messages made once per worker: making them is slower than sending them."""
    if not _messages:
        _messages.extend(make_message(rng) for _ in range(32))
    return rng.choice(_messages)


def good_session(port, rng):
    s = Session(port)
    try:
        if not s.reply().startswith(b"220"):
            raise RuntimeError("no greeting")
        s.expect(b"EHLO soak.example", b"250")
        for _ in range(rng.randint(1, 3)):
            s.expect(b"MAIL FROM:<anne@example.com>", b"250")
            s.expect(b"RCPT TO:<bart@example.com>", b"250")
            s.expect(b"DATA", b"354")
            body = message(rng)
            s.sock.sendall(body + b".\r\n")
            r = s.reply()
            if not r.startswith(b"250"):
                raise RuntimeError(f"DATA -> {r[:200]!r}")
        s.expect(b"QUIT", b"221")
    finally:
        s.close()


def faulty_session(port, rng, fault):
    """Injects `fault`; whatever the server does to this session is fine, so errors are
    ignored. The server must only never hang (the timeouts bound it) nor suffer for it."""
    s = Session(port, timeout=30)
    try:
        s.reply()
        if fault in ("reset_in_data", "close_in_data"):
            s.command(b"EHLO faulty.example")
            s.command(b"MAIL FROM:<anne@example.com>")
            s.command(b"RCPT TO:<bart@example.com>")
            s.command(b"DATA")
            s.sock.sendall(message(rng)[: rng.randint(1, 50000)])
            s.reset() if fault == "reset_in_data" else s.close()
        elif fault == "reset_in_command":
            s.sock.sendall(b"MAIL FROM:<anne@exa")
            s.reset()
        elif fault == "garbage":
            s.sock.sendall(rng.randbytes(rng.randint(1, 20000)))
            s.sock.settimeout(5)
            while s.sock.recv(65536):
                pass
        elif fault == "long_line":
            s.sock.sendall(b"EHLO " + b"y" * 100000 + b"\r\nQUIT\r\n")
            while s.sock.recv(65536):
                pass
        elif fault == "unread_burst":
            s.sock.sendall(b"NOOP\r\nHELP\r\n" * rng.randint(100, 5000))
            s.reset()
        elif fault == "tls_garbage":
            s.sock.sendall(b"\x16\x03\x01\x02\x00" + rng.randbytes(300))
            s.sock.settimeout(5)
            while s.sock.recv(65536):
                pass
        elif fault == "silent":
            s.sock.settimeout(60)
            while s.sock.recv(65536):  # until the idle timeout's 421 and close
                pass
    except OSError:
        pass
    finally:
        try:
            s.close()
        except OSError:
            pass


def worker(port, seed, deadline, fault_share, counts, lock):
    rng = random.Random(seed)
    good = bad = faults = 0
    errors = []
    pending = []
    while time.time() < deadline:
        if rng.random() < fault_share:
            # Faults that wait for the server (its idle timeout, its close) run on threads of
            # their own, a few at a time, so that they do not slow the load down.
            fault = rng.choice(FAULTS)
            fault_rng = random.Random(rng.getrandbits(32))
            pending = [t for t in pending if t.is_alive()]
            if len(pending) < 8:
                t = threading.Thread(target=faulty_session, args=(port, fault_rng, fault),
                                     daemon=True)
                t.start()
                pending.append(t)
            else:
                faulty_session(port, fault_rng, fault)
            faults += 1
        else:
            try:
                good_session(port, rng)
                good += 1
            except Exception as e:  # a well-behaved session failed: a real error
                bad += 1
                if len(errors) < 5:
                    errors.append(repr(e)[:300])
        if (good + faults) % 5 == 0:
            with lock:
                counts["good"] += good
                counts["bad"] += bad
                counts["faults"] += faults
            good = bad = faults = 0
    for t in pending:
        t.join()
    with lock:
        counts["good"] += good
        counts["bad"] += bad
        counts["faults"] += faults
        counts["errors"] = counts["errors"] + errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smtpd", required=True)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--handler", default="Sink", choices=["Sink", "Mailbox"])
    ap.add_argument("--fault-share", type=float, default=0.2)
    ap.add_argument("--sample", type=float, default=30)
    ap.add_argument("--timeout", type=int, default=5, help="smtpd --timeout (seconds)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-growth-mib", type=float, default=8)
    args = ap.parse_args()

    port = free_port()
    work = tempfile.mkdtemp(prefix="smtp-soak-")
    log_path = os.path.join(work, "smtpd.stderr")
    handler = ["-c", args.handler] + ([os.path.join(work, "Maildir")]
                                      if args.handler == "Mailbox" else [])
    log = open(log_path, "wb")
    server = subprocess.Popen([args.smtpd, "-n", "-l", f"{HOST}:{port}", "--timeout",
                               str(args.timeout)] + handler,
                              stdout=subprocess.DEVNULL, stderr=log)
    wait_for_listener(port)

    manager = mp.Manager()
    counts = manager.dict(good=0, bad=0, faults=0, errors=[])
    lock = manager.Lock()
    start = time.time()
    deadline = start + args.minutes * 60
    procs = [mp.Process(target=worker, args=(port, args.seed * 1000 + i, deadline,
                                             args.fault_share, counts, lock))
             for i in range(args.workers)]
    for p in procs:
        p.start()

    print(f"smtpd pid {server.pid} on port {port}, {args.workers} workers, "
          f"{args.fault_share:.0%} faulty sessions, {args.minutes} min", flush=True)
    print("| elapsed s | RSS MiB | good sessions | faulty sessions | failed good | sessions/s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    samples = []
    last_total, last_time = 0, start
    while time.time() < deadline:
        time.sleep(min(args.sample, max(0.1, deadline - time.time())))
        now = time.time()
        rss = status_kib(server.pid, "VmRSS") / 1024
        total = counts["good"] + counts["faults"]
        rate = (total - last_total) / max(now - last_time, 1e-9)
        last_total, last_time = total, now
        samples.append((now - start, rss))
        print(f"| {now - start:.0f} | {rss:.1f} | {counts['good']} | {counts['faults']} | "
              f"{counts['bad']} | {rate:.0f} |", flush=True)
        if server.poll() is not None:
            print("smtpd exited with", server.returncode)
            break
    for p in procs:
        p.join()

    alive = server.poll() is None
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()
    logged = open(log_path, "rb").read().decode("utf-8", "replace").splitlines()

    warm = [rss for t, rss in samples if t >= args.minutes * 60 / 5]
    growth = (max(warm) - warm[0]) if warm else float("nan")
    print()
    print(f"sessions: {counts['good']} well-behaved, {counts['faults']} with a fault, "
          f"{counts['bad']} well-behaved failed")
    print(f"RSS after warm-up: first {warm[0] if warm else 0:.1f} MiB, "
          f"max {max(warm) if warm else 0:.1f} MiB, last {warm[-1] if warm else 0:.1f} MiB: "
          f"growth {growth:.1f} MiB")
    print(f"smtpd stderr: {len(logged)} lines" + ("" if not logged else ":"))
    for line in logged[:20]:
        print("  " + line)
    for e in counts["errors"]:
        print("failed well-behaved session:", e)
    ok = alive and counts["bad"] == 0 and not logged and growth < args.max_growth_mib
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
