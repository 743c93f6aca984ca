"""Logs in to a server on 127.0.0.1:PORT with Python's smtplib, mechanism by mechanism.

Usage: smtplib_login.py PORT MECHANISM... ; the account is alice / secret. For each mechanism:
a wrong password is refused, the right one accepted, and a message then goes through.
"""
import smtplib
import sys

port = int(sys.argv[1])
for mechanism in sys.argv[2:]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("smtplib.test")
        assert mechanism in client.esmtp_features["auth"].split(), client.esmtp_features
        authobject = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login,
                      "CRAM-MD5": client.auth_cram_md5}[mechanism]
        client.user, client.password = "alice", "wrong"
        try:
            client.auth(mechanism, authobject, initial_response_ok=(mechanism == "PLAIN"))
            raise AssertionError(mechanism + " accepted a wrong password")
        except smtplib.SMTPAuthenticationError as e:
            assert e.smtp_code == 535, e
        client.user, client.password = "alice", "secret"
        code, _ = client.auth(mechanism, authobject, initial_response_ok=(mechanism == "PLAIN"))
        assert code == 235, code
        assert client.sendmail("alice@example.com", ["bob@example.com"], b"Subject: x\r\n\r\nhi\r\n") == {}
    print(mechanism, "ok")
# login() picks the strongest mechanism offered, as a user's script would.
with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
    code, _ = client.login("alice", "secret")
    assert code == 235, code
print("login ok")
