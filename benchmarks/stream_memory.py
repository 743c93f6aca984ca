#!/usr/bin/env python3
"""Memory while receiving one big message: streaming DATA against a gathered message.

    benchmarks/stream_memory.py STREAM_TO_DISK_BINARY [MIB]

Runs examples/stream_to_disk (streaming: handle_DATA_chunk writes each piece to a file) and the
same program with --whole (handle_DATA gets the gathered message), sends one MIB-MiB message
(default 200) to each by DATA and, streamed, by BDAT in 1 MiB chunks, and prints the server's
peak resident memory (VmHWM from /proc) for each. The stored file is checked byte for byte by
size and by its last line. Python 3 standard library only.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from process_tools import status_kib

BLOCK_LINES = 1024 * 1024 // 78  # 76 characters and CRLF per line


def block(n):
    """About 1 MiB of numbered 76-character lines."""
    return b"".join(b"%010d" % (n * BLOCK_LINES + i) + b"x" * 66 + b"\r\n"
                    for i in range(BLOCK_LINES))


def reply(sock, buffered):
    """One whole reply; `buffered` is a one-element list holding unread bytes."""
    while True:
        data = buffered[0]
        end = 0
        while True:
            lf = data.find(b"\n", end)
            if lf < 0:
                break
            line = data[end:lf + 1]
            end = lf + 1
            if len(line) < 4 or line[3:4] != b"-":
                buffered[0] = data[end:]
                return data[:end]
        more = sock.recv(65536)
        if not more:
            raise RuntimeError("server closed the connection")
        buffered[0] += more


def run(binary, mib, mode):
    directory = tempfile.mkdtemp(prefix="stream-memory-")
    args = [binary, directory, "0"] + (["--whole"] if mode == "whole" else [])
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline().split(":")[-1])
        sock = socket.create_connection(("127.0.0.1", port))
        buf = [b""]
        reply(sock, buf)
        sock.sendall(b"EHLO bench\r\n")
        reply(sock, buf)
        sock.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n")
        reply(sock, buf)
        reply(sock, buf)
        baseline = status_kib(server.pid, "VmRSS")
        started = time.monotonic()
        if mode == "bdat":
            for n in range(mib):
                piece = block(n)
                last = b" LAST" if n + 1 == mib else b""
                sock.sendall(b"BDAT %d%s\r\n" % (len(piece), last) + piece)
                if not reply(sock, buf).startswith(b"250"):
                    raise RuntimeError("chunk refused")
            final = b""
        else:
            sock.sendall(b"DATA\r\n")
            reply(sock, buf)
            for n in range(mib):
                sock.sendall(block(n))
            sock.sendall(b".\r\n")
            final = reply(sock, buf)
        if mode != "bdat" and not final.startswith(b"250"):
            raise RuntimeError(final)
        seconds = time.monotonic() - started
        peak = status_kib(server.pid, "VmHWM")
        sock.sendall(b"QUIT\r\n")
        sock.close()
        stored = os.listdir(os.path.join(directory, "new"))
        size = os.path.getsize(os.path.join(directory, "new", stored[0]))
        expected = mib * len(block(0))
        if size != expected:
            raise RuntimeError(f"stored {size} bytes, sent {expected}")
        return baseline, peak, seconds
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    binary = sys.argv[1]
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    print(f"One {mib} MiB message to examples/stream_to_disk on 127.0.0.1 "
          f"(client and server share this machine's cores).")
    print()
    print("| how | receiving | server RSS before | server peak RSS | time | MiB/s |")
    print("|---|---|---:|---:|---:|---:|")
    for mode, how, receiving in (("stream", "DATA", "handle_DATA_chunk (streaming)"),
                                 ("bdat", "BDAT 1 MiB chunks", "handle_DATA_chunk (streaming)"),
                                 ("whole", "DATA", "handle_DATA (gathered message)")):
        baseline, peak, seconds = run(binary, mib, mode)
        print(f"| {how} | {receiving} | {baseline / 1024:.1f} MiB | {peak / 1024:.1f} MiB | "
              f"{seconds:.2f} s | {mib / seconds:.0f} |")


if __name__ == "__main__":
    main()
