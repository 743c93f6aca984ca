"""smtplib over TLS: STARTTLS on one port, implicit TLS (SMTP_SSL) on another.

Usage: smtplib_tls.py STARTTLS_PORT SMTPS_PORT. Certificates are not verified (test CA).
"""
import smtplib
import ssl
import sys

context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE

starttls_port, smtps_port = int(sys.argv[1]), int(sys.argv[2])
with smtplib.SMTP("127.0.0.1", starttls_port, timeout=10) as client:
    client.ehlo()
    assert client.has_extn("starttls"), client.esmtp_features
    code, _ = client.starttls(context=context)
    assert code == 220, code
    client.ehlo()
    assert not client.has_extn("starttls"), client.esmtp_features
    client.login("alice", "secret")
    assert client.sendmail("a@example.com", ["b@example.com"], b"Subject: tls\r\n\r\nhi\r\n") == {}
print("starttls ok")
with smtplib.SMTP_SSL("127.0.0.1", smtps_port, timeout=10, context=context) as client:
    client.login("alice", "secret")
    assert client.sendmail("a@example.com", ["b@example.com"], b"Subject: smtps\r\n\r\nhi\r\n") == {}
print("smtps ok")
