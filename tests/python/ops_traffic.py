#!/usr/bin/env python3
"""Real-client traffic for the operations tests (metrics, event log): with smtplib, ACCEPTED
messages that the server takes (the first after a successful AUTH PLAIN, unless PASSWORD is
-), REFUSED messages over
the server's size limit (552 after DATA), and FAILURES AUTH PLAIN attempts with a wrong password,
each on a connection of its own. Prints the reply to each accepted message's DATA, one a line.

usage: ops_traffic.py PORT ACCEPTED REFUSED FAILURES USER PASSWORD
"""
import smtplib
import sys

port, accepted, refused, failures = map(int, sys.argv[1:5])
user, password = sys.argv[5], sys.argv[6]
host = "127.0.0.1"


def plain_login(client, secret):
    # One AUTH PLAIN exchange (smtplib's login() would try every mechanism in turn).
    client.user, client.password = user, secret
    return client.auth("PLAIN", client.auth_plain)


for i in range(accepted):
    with smtplib.SMTP(host, port) as client:
        client.ehlo("client.test")
        if i == 0 and password != "-":
            plain_login(client, password)
        client.mail("anne@example.com")
        client.rcpt("bart@example.com")
        code, reply = client.data(f"Subject: message {i}\r\n\r\nbody {i}\r\n")
        print(code, reply.decode())

for i in range(refused):
    with smtplib.SMTP(host, port) as client:
        client.ehlo("client.test")
        client.mail("anne@example.com")
        client.rcpt("bart@example.com")
        # data() raises only when DATA itself is refused; the final reply is returned.
        code, reply = client.data("Subject: big\r\n\r\n" + ("x" * 76 + "\r\n") * 30)
        if code != 552:
            sys.exit(f"oversized message: {code} {reply!r}")

for i in range(failures):
    with smtplib.SMTP(host, port) as client:
        client.ehlo("client.test")
        try:
            plain_login(client, password + "-wrong")
            sys.exit("a wrong password was accepted")
        except smtplib.SMTPAuthenticationError:
            pass
