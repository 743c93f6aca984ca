"""An LMTP delivery with Python's smtplib.LMTP, over TCP (HOST PORT) or a UNIX socket (PATH).

Usage: lmtp_client.py (HOST PORT | PATH) RCPT... ; prints one line per recipient: the reply
code and text that followed DATA for it. smtplib.LMTP's sendmail() reads only the first reply,
so the per-recipient replies are read as an LMTP client must (RFC 2033 §4.2).
"""
import smtplib
import sys

if sys.argv[1].startswith("/"):
    client, recipients = smtplib.LMTP(sys.argv[1], timeout=10), sys.argv[2:]
else:
    client, recipients = smtplib.LMTP(sys.argv[1], int(sys.argv[2]), timeout=10), sys.argv[3:]
code, _ = client.ehlo("lmtp.test")  # smtplib.LMTP sends LHLO for ehlo()
assert code == 250, code
assert client.mail("sender@example.com")[0] == 250
accepted = [r for r in recipients if client.rcpt(r)[0] == 250]
code, text = client.data(b"Subject: lmtp\r\n\r\nper recipient\r\n")
print(accepted[0], code, text.decode())
for recipient in accepted[1:]:
    code, text = client.getreply()
    print(recipient, code, text.decode())
assert client.noop()[0] == 250  # still in step: every reply was read
client.quit()
