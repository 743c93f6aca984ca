"""Sends one message with Python's smtplib to a server on 127.0.0.1:PORT that offers
PIPELINING, CHUNKING, ENHANCEDSTATUSCODES and DSN, checking what a standard client sees.

smtplib knows none of these extensions beyond reading them from EHLO, so this checks that they
do not get in a standard client's way, and that the replies carry RFC 3463 codes.
"""
import smtplib
import sys

port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
    code, _ = client.ehlo("smtplib.test")
    assert code == 250, code
    for keyword in ("pipelining", "chunking", "binarymime", "enhancedstatuscodes"):
        assert client.has_extn(keyword), (keyword, client.esmtp_features)
    code, text = client.mail("alice@example.com")
    assert (code, text) == (250, b"2.1.0 OK"), (code, text)
    code, text = client.rcpt("bob@example.com")
    assert (code, text) == (250, b"2.1.5 OK"), (code, text)
    code, text = client.data(b"Subject: extensions\r\n\r\nsent by smtplib\r\n")
    assert code == 250 and text.startswith(b"2.0.0 "), (code, text)
    code, text = client.docmd("BDAT", "x")  # unreadable size: 501, and the server hangs up
    assert (code, text) == (501, b"5.5.4 Syntax: BDAT <size> [LAST]"), (code, text)
print("ok")
