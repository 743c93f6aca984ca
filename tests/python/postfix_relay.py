#!/usr/bin/env python3
"""Postfix's smtp client as the client of our server: a private Postfix instance (its own
configuration, queue and log under WORKDIR) relays everything to [127.0.0.1]:RELAY_PORT with the
given main.cf settings (e.g. smtp_send_xforward_command=yes). One message is submitted to the
instance's own smtpd over SMTP (EHLO original.client.test), then the script waits until Postfix's
queue is empty (or 60 s) and stops the instance.

usage: postfix_relay.py WORKDIR RELAY_PORT [NAME=VALUE ...]
prints: "queue empty" or "queue not empty", then Postfix's log.
"""
import os
import smtplib
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postfix(conf, *args):
    return subprocess.run(["postfix", "-c", conf, *args], capture_output=True, text=True)


def main():
    work, relay_port = sys.argv[1], int(sys.argv[2])
    extra = sys.argv[3:]
    conf = os.path.join(work, "conf")
    os.makedirs(conf, exist_ok=True)
    smtpd_port = free_port()
    main_cf = [
        "compatibility_level = 3.6",
        f"queue_directory = {work}/queue",
        f"data_directory = {work}/data",
        "mail_owner = postfix",
        "setgid_group = postdrop",
        "myhostname = postfix.test",
        "myorigin = postfix.test",
        "mydestination =",
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        "mynetworks = 127.0.0.0/8",
        f"relayhost = [127.0.0.1]:{relay_port}",
        "smtp_tls_security_level = none",
        "smtpd_tls_security_level = none",
        f"maillog_file = {work}/maillog",
        "alias_maps =",
        "alias_database =",
        "local_recipient_maps =",
        "smtputf8_enable = no",
        "biff = no",
        f"maillog_file_prefixes = {work}",
    ] + [e.replace("=", " = ", 1) for e in extra]
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write("\n".join(main_cf) + "\n")
    services = [
        f"127.0.0.1:{smtpd_port} inet n - n - - smtpd",
        "pickup unix n - n 60 1 pickup",
        "cleanup unix n - n - 0 cleanup",
        "qmgr unix n - n 300 1 qmgr",
        "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify",
        "flush unix n - n 1000? 0 flush",
        "proxymap unix - - n - - proxymap",
        "smtp unix - - n - - smtp",
        "relay unix - - n - - smtp",
        "showq unix n - n - - showq",
        "error unix - - n - - error",
        "retry unix - - n - - error",
        "discard unix - - n - - discard",
        "anvil unix - - n - 1 anvil",
        "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd",
    ]
    with open(os.path.join(conf, "master.cf"), "w") as f:
        f.write("\n".join(services) + "\n")
    os.makedirs(os.path.join(work, "queue"), exist_ok=True)  # post-install fills it
    os.makedirs(os.path.join(work, "data"), exist_ok=True)
    subprocess.run(["chown", "postfix", os.path.join(work, "data")], check=True)
    started = postfix(conf, "start")
    if started.returncode != 0:
        print("postfix start failed:", started.stdout, started.stderr)
        return 1
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", smtpd_port, local_hostname="original.client.test")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with client:
            client.sendmail("anne@example.com", ["bart@example.com"],
                            "Subject: through Postfix\r\n\r\nRelayed.\r\n")
        deadline = time.monotonic() + 60
        empty = False
        while time.monotonic() < deadline:
            queue = subprocess.run(["postqueue", "-c", conf, "-p"], capture_output=True, text=True)
            if "Mail queue is empty" in queue.stdout:
                empty = True
                break
            time.sleep(0.2)
        print("queue empty" if empty else "queue not empty")
    finally:
        postfix(conf, "stop")
    try:
        with open(os.path.join(work, "maillog")) as f:
            print(f.read())
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
