"""Sends a PROXY v1 header and a TLS ClientHello in one segment, as HAProxy may, to an
implicit-TLS listener; prints the greeting that comes over TLS. Usage: proxy_then_tls.py PORT"""
import socket
import ssl
import sys

port = int(sys.argv[1])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = context.wrap_bio(incoming, outgoing, server_hostname="mx.test")
try:
    tls.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = outgoing.read()

sock = socket.create_connection(("127.0.0.1", port), timeout=10)
sock.sendall(b"PROXY TCP4 192.0.2.1 192.0.2.2 5555 465\r\n" + hello)


def pump():
    """Sends what TLS wrote, then feeds TLS what the server sent; False at end of stream."""
    pending = outgoing.read()
    if pending:
        sock.sendall(pending)
    chunk = sock.recv(65536)
    if not chunk:
        return False
    incoming.write(chunk)
    return True


while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        if not pump():
            sys.exit("the server closed the connection during the handshake")
greeting = b""
while b"\r\n" not in greeting:
    try:
        greeting += tls.read(4096)
    except ssl.SSLWantReadError:
        if not pump():
            break
print(greeting.decode(errors="replace").strip())
sys.exit(0 if greeting.startswith(b"220") else 1)
