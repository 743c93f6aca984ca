"""Sends N messages to 127.0.0.1:PORT with smtplib, one connection each, and prints the local
(source) port of each connection, so a test can check which client address a server saw.

Usage: send_messages.py PORT N
"""
import smtplib
import sys

port, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        source_port = client.sock.getsockname()[1]
        client.sendmail("a@example.com", ["b@example.com"],
                        f"Subject: message {i}\r\n\r\nvia the proxy\r\n".encode())
    print(source_port)
