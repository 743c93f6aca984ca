"""What aiosmtpd's own Mailbox handler writes for a message, to compare with ours.

Usage: aiosmtpd_mailbox.py DIR PEER_HOST PEER_PORT MAIL_FROM RCPT[,RCPT...] CONTENT_HEX.
Runs aiosmtpd.handlers.Mailbox's prepare_message and handle_message; prints the new key.
"""
import asyncio
import sys

from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import Envelope, Session

directory, host, port, mail_from, rcpts, content = sys.argv[1:7]
session = Session(asyncio.new_event_loop())
session.peer = (host, int(port))
envelope = Envelope()
envelope.mail_from = mail_from
envelope.rcpt_tos = rcpts.split(",")
envelope.content = bytes.fromhex(content)
handler = Mailbox(directory)
before = set(handler.mailbox.keys())
handler.handle_message(handler.prepare_message(session, envelope))
print((set(handler.mailbox.keys()) - before).pop())
