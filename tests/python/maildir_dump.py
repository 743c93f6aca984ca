"""Reads a Maildir with Python's mailbox module, as a mail reader would.

Usage: maildir_dump.py DIR. Prints one line per message, sorted by key:
<key> <X-MailFrom> <X-RcptTo> <the message's bytes as hex>
(fields separated by tabs).
"""
import mailbox
import sys

box = mailbox.Maildir(sys.argv[1], factory=None, create=False)
for key in sorted(box.keys()):
    message = box.get_message(key)
    print("\t".join([key, message["X-MailFrom"], message["X-RcptTo"], box.get_bytes(key).hex()]))
