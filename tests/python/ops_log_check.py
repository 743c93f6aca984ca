#!/usr/bin/env python3
"""Checks smtpd's JSON event log: every line parses as a JSON object with time, event and
session; the message MESSAGE_ID can be followed from its session's connect to the 250 that names
it; SECRET appears nowhere (nor in base64). Prints the events of that session, one a line.

usage: ops_log_check.py LOGFILE MESSAGE_ID SECRET
"""
import base64
import json
import sys

path, message_id, secret = sys.argv[1:4]
raw = open(path, "rb").read()
for form in (secret.encode(), base64.b64encode(secret.encode())):
    if form in raw:
        sys.exit(f"the secret {form!r} is in the log")
events = []
for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
    try:
        event = json.loads(line)
    except ValueError as e:
        sys.exit(f"line {number} is not JSON: {e}: {line!r}")
    if not isinstance(event, dict) or not all(k in event for k in ("time", "event", "session")):
        sys.exit(f"line {number} lacks time, event or session: {line!r}")
    events.append(event)

accepted = [e for e in events if e["event"] == "accepted" and e.get("message") == message_id]
if len(accepted) != 1:
    sys.exit(f"{len(accepted)} accepted events name {message_id}")
session = accepted[0]["session"]
if not session:
    sys.exit("the accepted message has no session ID")
mine = [e for e in events if e["session"] == session]
names = [e["event"] for e in mine]
order = ["connect", "helo", "mail", "rcpt", "accepted", "reply", "disconnect"]
at = 0
for name in names:
    if at < len(order) and name == order[at]:
        at += 1
if at != len(order):
    sys.exit(f"session {session}: events {names}, expected in order {order}")
replies = [e for e in mine if e["event"] == "reply" and message_id in e.get("text", "")]
if not replies or replies[0]["code"] != 250:
    sys.exit(f"no 250 reply names {message_id}: {mine}")
for e in mine:
    print(e["event"], e.get("message", ""), e.get("user", ""))
