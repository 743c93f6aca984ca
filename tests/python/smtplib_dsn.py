"""smtplib sending RFC 3461 DSN parameters, or RFC 8689 REQUIRETLS over STARTTLS.

Usage: smtplib_dsn.py PORT dsn|requiretls. Connecting is retried for up to 10 s, so the server
may still be starting (examples/smtpd run as a process). Certificates are not verified.
"""
import smtplib
import ssl
import sys
import time

port, mode = int(sys.argv[1]), sys.argv[2]


def connect():
    deadline = time.monotonic() + 10
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=10)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


message = b"Subject: dsn\r\n\r\nhello\r\n"
with connect() as client:
    client.ehlo("client.test")
    if mode == "dsn":
        assert client.has_extn("dsn"), client.esmtp_features
        refused = client.sendmail(
            "Alice@Test.ORG", ["Bob@Foo.ORG", "Carol@Ivory.EDU"], message,
            mail_options=["RET=HDRS", "ENVID=QQ+2B314159"],
            rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Bob+2BX@Foo.ORG"])
        assert refused == {}, refused
        code, text = client.mail("a@example.com", ["RET=BOGUS"])
        assert code == 501, (code, text)
        print("dsn ok")
    else:
        assert not client.has_extn("requiretls"), client.esmtp_features
        code, text = client.mail("a@example.com", ["REQUIRETLS"])
        assert code == 555, (code, text)
        client.rset()
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client.starttls(context=context)
        client.ehlo("client.test")
        assert client.has_extn("requiretls"), client.esmtp_features
        refused = client.sendmail("roger@example.org", ["bob@example.com"], message,
                                  mail_options=["REQUIRETLS"])
        assert refused == {}, refused
        print("requiretls ok")
