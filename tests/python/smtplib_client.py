"""Drives a server on 127.0.0.1:PORT with Python's smtplib, as a real client would.

Exits 0 when every reply was what a standard client expects; prints what it saw.
"""
import smtplib
import sys
from email.message import EmailMessage

port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
    code, _ = client.ehlo("smtplib.test")
    assert code == 250, code
    assert client.has_extn("size") and client.has_extn("8bitmime"), client.esmtp_features
    assert client.noop()[0] == 250
    assert client.verify("someone@example.com")[0] == 252

    refused = client.sendmail("alice@example.com", ["bob@example.com", "carol@example.com"],
                              b"Subject: plain\r\n\r\nHello\r\n.leading dot\r\n")
    assert refused == {}, refused

    msg = EmailMessage()
    msg["From"] = "alice@example.com"
    msg["To"] = "dave@example.com"
    msg["Subject"] = "utf-8 body"
    msg.set_content("Grüße aus Köln\n")
    client.send_message(msg)

    try:
        client.sendmail("alice@example.com", ["bob@example.com"], b"x" * 2000,
                        mail_options=["SIZE=99999999999"])
        raise AssertionError("oversized SIZE was accepted")
    except smtplib.SMTPSenderRefused as e:
        assert e.smtp_code == 552, e
    client.rset()
print("ok")
