#!/usr/bin/env python3
"""Memory of examples/smtpd under hostile input: one fresh server per scenario, loopback only.

    benchmarks/hostile.py --smtpd build-release/examples/smtpd [--tls-cert C --tls-key K]

For each scenario (the ones tests/hostile/ checks, at the same sizes) it prints the server's RSS
after a warm-up transaction, its peak RSS (VmHWM) during the attack, the growth, whether a
well-behaved client was served during the attack, and how the attacker's connection ended.
TLS scenarios need a certificate and key (made with openssl when not given). Standard library
only. Prints a Markdown table (docs/reliability.md keeps the figures).
"""

import argparse
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import time

from process_tools import HOST, free_port, status_kib, wait_for_listener


def read_reply(sock, buf=b""):
    """(reply, rest): one whole reply from `sock`, reading as needed."""
    out = b""
    while True:
        while b"\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        out += line + b"\n"
        if len(line) < 4 or line[3:4] != b"-":
            return out, buf


def transaction(port, wrap=None):
    """A well-behaved client: True when its message got 250."""
    try:
        with socket.create_connection((HOST, port), timeout=30) as raw:
            sock = wrap(raw) if wrap else raw
            r, buf = read_reply(sock)
            for line, code in [(b"EHLO good.example", b"250"),
                               (b"MAIL FROM:<anne@example.com>", b"250"),
                               (b"RCPT TO:<bart@example.com>", b"250"), (b"DATA", b"354"),
                               (b"Subject: good\r\n\r\nhi\r\n.", b"250"), (b"QUIT", b"221")]:
                sock.sendall(line + b"\r\n")
                r, buf = read_reply(sock, buf)
                if not r.startswith(code):
                    return False
            return True
    except OSError:
        return False


def drain(sock, timeout):
    """Everything until the server closes (or `timeout`); (bytes, closed)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except ConnectionResetError:  # closed with our unread garbage in its buffer: a reset
        return data, True
    except socket.timeout:
        return data, False


def connect(port):
    s = socket.create_connection((HOST, port), timeout=30)
    read_reply(s)
    return s


# Each scenario: (name, smtpd options, attack(port, good) -> (served, how it ended)), where
# good() runs a well-behaved transaction.

def junk(port, good):
    rng = random.Random(1)
    ends = []
    served = True
    for i in range(20):
        s = connect(port)
        s.sendall(rng.randbytes(1 << 20))
        data, closed = drain(s, 30)
        ends.append(b"502 5.5.1" in data and closed)
        s.close()
        if i % 5 == 0:
            served &= good()
    return served, f"{sum(ends)}/20 closed with 502"


def long_line(port, good):
    s = connect(port)
    s.sendall(b"EHLO ")
    served = True
    for i in range(10):
        s.sendall(b"x" * (1 << 20))
        if i == 4:
            served = good()
    s.sendall(b"\r\nNOOP\r\n")
    r, buf = read_reply(s)
    s.close()
    return served, r.decode().strip()


def flood(port, good):
    socks, sent = [], []
    served = True
    for _ in range(4):
        s = socket.create_connection((HOST, port))
        s.setblocking(False)
        chunk = b"HELP\r\n" * 10000
        total = 0
        deadline = time.time() + 2
        while total < (256 << 20) and time.time() < deadline:
            try:
                n = s.send(chunk)
                total += n
                deadline = time.time() + 2
            except BlockingIOError:
                time.sleep(0.01)
        sent.append(total)
        socks.append(s)
        served &= good()
    for s in socks:
        s.close()
    return served, "blocked after " + ", ".join(f"{t >> 10} KiB" for t in sent)


def slowloris(port, good):
    socks = [connect(port) for _ in range(50)]
    line = b"EHLO a-very-slow-client.example.com\r\n"
    served = True
    closed = [False] * len(socks)
    for k in range(30):
        for i, s in enumerate(socks):
            if closed[i]:
                continue
            try:
                s.setblocking(False)
                try:
                    if s.recv(65536) == b"":
                        closed[i] = True
                        continue
                except BlockingIOError:
                    pass
                s.send(line[k:k + 1])
            except OSError:
                closed[i] = True
        if k == 1:
            served = good()
        if all(closed):
            break
        time.sleep(1)
    for s in socks:
        s.close()
    return served, f"{sum(closed)}/50 closed (421) after {k} octets"


def idle(port, good):
    socks = []
    for _ in range(2000):
        s = socket.create_connection((HOST, port), timeout=30)
        socks.append(s)
    greeted = sum(read_reply(s)[0].startswith(b"220") for s in socks)
    served = good()
    for s in socks:
        s.close()
    return served, f"{greeted}/2000 greeted"


def tls_garbage(port, good):
    rng = random.Random(2)
    closed = 0
    served = True
    for i in range(150):
        s = connect(port)
        s.sendall(b"EHLO x\r\nSTARTTLS\r\n")
        data = b""
        while b"220 Ready" not in data:
            data += s.recv(65536)
        s.sendall(b"\x16\x03\x01\x02\x00" + rng.randbytes(512 + i * 97 % 4000))
        closed += drain(s, 30)[1]
        s.close()
        if i % 25 == 0:
            served &= good()
    return served, f"{closed}/150 closed"


def vanish(port, good):
    served = True
    chunk = b"Subject: never finished\r\n\r\n" + b"z" * 60000 + b"\r\n"
    for i in range(100):
        s = connect(port)
        s.sendall(b"EHLO v\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n")
        data = b""
        while b"354 " not in data:
            data += s.recv(65536)
        for _ in range(i % 17 + 1):
            s.sendall(chunk)
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
        s.close()
        if i % 10 == 0:
            served &= good()
    return served, "100 gone mid-DATA"


SCENARIOS = [
    ("binary garbage, 20 x 1 MiB", [], junk),
    ("10 MiB command line, no LF", [], long_line),
    ("pipelined HELP flood, replies unread, 4 clients", [], flood),
    ("slowloris, 50 clients, 1 octet/s, --timeout 3", ["--timeout", "3"], slowloris),
    ("2000 silent connections", [], idle),
    ("garbage TLS handshakes after STARTTLS, 150", ["TLS"], tls_garbage),
    ("clients vanishing mid-DATA, 100 (Mailbox)", ["MAILBOX"], vanish),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smtpd", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--only", help="comma-separated scenario numbers (1-based)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smtp-hostile-")
    cert, key = args.tls_cert, args.tls_key
    if not cert:
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=mx.test",
                        "-days", "2", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
    only = {int(x) for x in args.only.split(",")} if args.only else None

    print("| scenario | RSS before (MiB) | peak RSS (MiB) | growth (MiB) | well-behaved client "
          "served | attacker's end | seconds |")
    print("| --- | ---: | ---: | ---: | --- | --- | ---: |", flush=True)
    for number, (name, extra, attack) in enumerate(SCENARIOS, 1):
        if only and number not in only:
            continue
        port = free_port()
        options = ["-c", "Sink"]
        if extra == ["TLS"]:
            options += ["--tlscert", cert, "--tlskey", key, "--no-requiretls"]
        elif extra == ["MAILBOX"]:
            options = ["-c", "Mailbox", os.path.join(work, f"Maildir{number}")]
        else:
            options += extra
        server = subprocess.Popen([args.smtpd, "-n", "-l", f"{HOST}:{port}"] + options,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_for_listener(port)

        def good():
            return transaction(port)

        good()  # warm-up
        before = status_kib(server.pid, "VmRSS")
        start = time.time()
        served, end = attack(port, good)
        served &= good()
        seconds = time.time() - start
        peak = status_kib(server.pid, "VmHWM")
        server.terminate()
        server.wait(10)
        print(f"| {name} | {before / 1024:.1f} | {peak / 1024:.1f} | "
              f"{max(0, peak - before) / 1024:.1f} | {'yes' if served else 'NO'} | {end} | "
              f"{seconds:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
