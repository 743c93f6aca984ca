"""Logs in to a server on 127.0.0.1:PORT with AUTH XOAUTH2 through smtplib's auth() and an
auth object of its own, as OAuth 2.0 users of smtplib do.

Usage: smtplib_xoauth2.py PORT USER TOKEN. A wrong token must get the JSON error challenge and
then 535; the right one 235, and a message then goes through. Prints what it saw.
"""
import base64
import json
import smtplib
import sys

port, user, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def xoauth2(user, token):
    challenges = []

    def auth_object(challenge=None):
        # smtplib calls it without a challenge for the initial response, then with each
        # decoded 334 challenge; the answer to the error challenge is empty (Google's format).
        if challenge is None:
            return "user=%s\x01auth=Bearer %s\x01\x01" % (user, token)
        challenges.append(challenge)
        return ""

    return auth_object, challenges


with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
    client.ehlo("smtplib.test")
    assert "XOAUTH2" in client.esmtp_features["auth"].split(), client.esmtp_features
    auth_object, challenges = xoauth2(user, "not-" + token)
    try:
        client.auth("XOAUTH2", auth_object)
        raise AssertionError("a wrong token was accepted")
    except smtplib.SMTPAuthenticationError as e:
        assert e.smtp_code == 535, e
    assert len(challenges) == 1, challenges
    print("refused with", json.loads(challenges[0])["status"])
    auth_object, challenges = xoauth2(user, token)
    code, _ = client.auth("XOAUTH2", auth_object)
    assert code == 235, code
    assert challenges == [], challenges
    assert client.sendmail(user, ["bob@example.com"], b"Subject: x\r\n\r\nhi\r\n") == {}
print("XOAUTH2 ok")
