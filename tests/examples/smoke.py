#!/usr/bin/env python3
"""Smoke tests of the example programs: each is started on a free loopback port, a message is
sent to it with Python's smtplib, and what it did (its output, the Maildir, the replies) is
checked. One example per run:

    smoke.py EXAMPLE BIN_DIR

Every example prints `listening on 127.0.0.1:PORT` first and stops at the end of its input
(full_server: on SIGTERM). Only the standard library is used."""
import base64
import mailbox
import os
import queue
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import sys
import tempfile
import threading

TIMEOUT = 60  # seconds, generous: the machine may be busy


class Example:
    """A running example program, its output collected by two reader threads."""

    def __init__(self, program, *args):
        self.proc = subprocess.Popen([os.path.join(BIN_DIR, program), *map(str, args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.stdout, self.stderr = [], []
        self.lines = queue.Queue()
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout,
                                                                  self.lines)),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr,
                                                                  None))]
        for reader in self.readers:
            reader.start()
        try:
            first = self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            self.kill()
            raise AssertionError(f"{program} did not say where it listens")
        self.ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", first or "")]
        if not self.ports:
            self.kill()
            raise AssertionError(f"{program} printed {first!r}, stderr: {''.join(self.stderr)}")
        self.port = self.ports[0]

    @staticmethod
    def _read(stream, into, lines):
        for line in stream:
            into.append(line)
            if lines is not None:
                lines.put(line)
        if lines is not None:
            lines.put(None)

    def stop(self, sig=None):
        """Stops it (end of input, or `sig`) and returns (stdout, stderr)."""
        if sig is None:
            self.proc.stdin.close()
        else:
            self.proc.send_signal(sig)
        status = self.proc.wait(timeout=TIMEOUT)
        for reader in self.readers:
            reader.join(timeout=TIMEOUT)
        out, err = "".join(self.stdout), "".join(self.stderr)
        assert status == 0, f"exit status {status}; stderr: {err}"
        return out, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def client(port, **kwargs):
    return smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT, **kwargs)


def insecure_tls():
    """The examples' certificates are made on the spot: trust them without checking."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def make_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=mx.example.com", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=TIMEOUT)
    return cert, key


MESSAGE = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: hello\r\n\r\nHi Bob.\r\n"


def expect_refused(send, code):
    try:
        send()
    except smtplib.SMTPRecipientsRefused as e:
        got = next(iter(e.recipients.values()))[0]
    except (smtplib.SMTPResponseException, smtplib.SMTPSenderRefused) as e:
        got = e.smtp_code
    else:
        raise AssertionError(f"expected {code}, the server accepted")
    assert got == code, f"expected {code}, got {got}"


def maildir_messages(path):
    return [m.as_bytes().decode() for m in mailbox.Maildir(path, create=False)]


# --- one function per example ---------------------------------------------------------------

def first_server(tmp):
    with Example("first_server", 0) as ex:
        with client(ex.port) as s:
            s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE)
            expect_refused(lambda: s.sendmail("alice@example.com", ["eve@other.org"], MESSAGE),
                           550)
        out, _ = ex.stop()
    assert "---------- MESSAGE FOLLOWS ----------" in out and "Hi Bob." in out, out


def tutorial(tmp):
    cert, key = make_certificate(tmp)
    maildir = os.path.join(tmp, "Maildir")
    with Example("tutorial", maildir, cert, key, 0) as ex:
        with client(ex.port) as s:
            # Nothing but EHLO, NOOP, STARTTLS and QUIT before TLS.
            expect_refused(lambda: s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE),
                           530)
        with client(ex.port) as s:
            s.starttls(context=insecure_tls())
            s.ehlo()
            try:
                s.login("alice", "wrong")
                raise AssertionError("a wrong password was accepted")
            except smtplib.SMTPAuthenticationError as e:
                assert e.smtp_code == 535, e
            s.login("alice", "wonderland")
            expect_refused(lambda: s.sendmail("alice@example.com", ["eve@other.org"], MESSAGE),
                           550)
            expect_refused(lambda: s.sendmail("alice@example.com", ["bob@example.com"],
                                              MESSAGE + "x" * (1024 * 1024)), 552)
            s.sendmail("alice@example.com", ["bob@example.com", "carol@example.org"], MESSAGE)
        ex.stop()
    for folder, address in (("example.com/bob", "bob@example.com"),
                            ("example.org/carol", "carol@example.org")):
        messages = maildir_messages(os.path.join(maildir, folder))
        assert len(messages) == 1 and "Hi Bob." in messages[0], messages
        assert messages[0].startswith("Received: from "), messages[0]
        assert "X-RcptTo: " + address + "\n" in messages[0], messages[0]


def handler_sink(tmp):
    with Example("handler_sink", 0) as ex:
        with client(ex.port) as s:
            assert s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE) == {}
            assert s.noop()[0] == 250
        ex.stop()


def handler_debugging(tmp):
    with Example("handler_debugging", 0) as ex:
        with client(ex.port) as s:
            s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE,
                       mail_options=["BODY=8BITMIME"])
        out, _ = ex.stop()
    # smtplib adds SIZE= itself: ['SIZE=73', 'BODY=8BITMIME']
    assert re.search(r"mail options: \[.*'BODY=8BITMIME'\]\n\n", out), out
    assert "X-Peer: ('127.0.0.1', " in out and "------------ END MESSAGE ------------" in out, out


def handler_message(tmp):
    with Example("handler_message", 0) as ex:
        with client(ex.port) as s:
            s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE)
            expect_refused(lambda: s.sendmail("alice@example.com", ["bob@example.com"],
                                              "No-Subject: here\r\n\r\nbody\r\n"), 550)
        out, _ = ex.stop()
    assert "Subject: hello (for bob@example.com)" in out, out


def handler_async_message(tmp):
    with Example("handler_async_message", 0) as ex:
        with client(ex.port) as s:
            s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE)
        out, _ = ex.stop()
    assert "stored message from alice@example.com" in out, out


def handler_mailbox(tmp):
    maildir = os.path.join(tmp, "Maildir")
    with Example("handler_mailbox", maildir, 0) as ex:
        with client(ex.port) as s:
            s.sendmail("alice@example.com", ["bob@example.com", "carol@example.com"], MESSAGE)
        ex.stop()
    messages = maildir_messages(maildir)
    assert len(messages) == 1, messages
    assert "X-MailFrom: alice@example.com" in messages[0], messages[0]
    assert "X-RcptTo: bob@example.com, carol@example.com" in messages[0], messages[0]


def handler_relay(tmp):
    with Example("handler_debugging", 0) as upstream:
        with Example("handler_relay", "127.0.0.1", upstream.port, 0) as ex:
            with client(ex.port) as s:
                assert s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE) == {}
            ex.stop()
        out, _ = upstream.stop()
    # The proxy's X-Peer (the client's address), then the Debugging handler's own.
    assert "X-Peer: 127.0.0.1\n" in out and "Hi Bob." in out, out


def send_message(tmp):
    with Example("handler_debugging", 0) as server:
        sent = subprocess.run([os.path.join(BIN_DIR, "send_message"), "127.0.0.1",
                               str(server.port), "alice@example.com", "bob@example.com"],
                              input=MESSAGE, capture_output=True, text=True, timeout=TIMEOUT)
        assert sent.returncode == 0, (sent.stdout, sent.stderr)
        assert "bob@example.com: 250 OK" in sent.stdout, sent.stdout
        out, _ = server.stop()
    assert "Hi Bob." in out, out


def cram_md5(tmp):
    with Example("cram_md5", 0) as ex:
        with client(ex.port) as s:
            s.ehlo()
            assert "CRAM-MD5" in s.esmtp_features.get("auth", ""), s.esmtp_features
            s.user, s.password = "alice", "not the secret"
            try:
                s.auth("CRAM-MD5", s.auth_cram_md5)
                raise AssertionError("a wrong secret was accepted")
            except smtplib.SMTPAuthenticationError as e:
                assert e.smtp_code == 535, e
            s.user, s.password = "alice", "secret"
            assert s.auth("CRAM-MD5", s.auth_cram_md5)[0] == 235
            s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE)
        out, _ = ex.stop()
    assert "Hi Bob." in out, out


def mixins(tmp):
    maildir = os.path.join(tmp, "Maildir")
    with Example("mixins", maildir, 0) as ex:
        with client(ex.port) as s:
            s.ehlo()
            assert s.verify("alice@example.com")[0] == 250
            assert s.verify("mallory@example.com")[0] == 550
            expect_refused(lambda: s.sendmail("bob@example.com", ["eve@other.org"], MESSAGE), 550)
            s.sendmail("bob@example.com", ["alice@example.com"], MESSAGE)
        out, err = ex.stop()
    assert "---------- MESSAGE FOLLOWS ----------" in out, out  # debugging, first in the chain
    assert len(maildir_messages(maildir)) == 1  # then mailbox
    assert "127.0.0.1 > vrfy alice@example.com" in err.lower(), err  # the command_log mixin


def full_server(tmp):
    cert, key = make_certificate(tmp)
    maildir = os.path.join(tmp, "Maildir")
    accounts = os.path.join(tmp, "accounts")
    with open(accounts, "w") as f:
        f.write("alice:wonderland\nbob:builder\n")
    with Example("full_server", maildir, cert, key, accounts, 0, 0) as ex:
        starttls_port, tls_port = ex.ports
        with client(starttls_port) as s:
            expect_refused(lambda: s.sendmail("bob@example.com", ["alice@example.com"], MESSAGE),
                           530)
        with client(starttls_port) as s:
            s.starttls(context=insecure_tls())
            s.login("alice", "wonderland")
            s.sendmail("alice@example.com", ["bob@example.com"], MESSAGE)
        with smtplib.SMTP_SSL("127.0.0.1", tls_port, context=insecure_tls(),
                              timeout=TIMEOUT) as s:
            s.login("bob", "builder")
            s.sendmail("bob@example.com", ["alice@example.com"], MESSAGE)
        # Three AUTH commands per connection, then 421 and the connection closes.
        with client(starttls_port) as s:
            s.starttls(context=insecure_tls())
            s.ehlo()
            guess = "PLAIN " + base64.b64encode(b"\0alice\0guess").decode()
            for _ in range(3):
                code = s.docmd("AUTH", guess)[0]
                assert code == 535, code
            code = s.docmd("AUTH", guess)[0]
            assert code == 421, code
        out, _ = ex.stop(signal.SIGTERM)
    assert out.endswith("stopped\n"), out
    assert len(maildir_messages(maildir)) == 2


if __name__ == "__main__":
    name, BIN_DIR = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix=f"smtp-example-{name}-")
    try:
        globals()[name](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{name}: ok")
