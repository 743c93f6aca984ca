"""A libmilter filter (Debian's python3-milter) for the milter tests: milter_filter.py SOCKET.

Listens on the UNIX socket SOCKET and, per message:
- MAIL from an address starting with "tempfail": SMFIR_TEMPFAIL;
- RCPT to an address starting with "reject": SMFIR_REJECT (the other recipients go on);
- a body containing REJECT-BODY: a two-line custom reply, 550 5.7.1;
- a body containing DISCARD-BODY: SMFIR_DISCARD;
- a body containing EXIT-IN-BODY: the filter process exits mid-message;
- otherwise, at end of message: adds X-Milter-Test (with the macros it saw), changes Subject,
  and, when the body contains REPLACE-BODY, replaces the body; adds the recipient
  added@milter.test when a recipient is add-me@..., deletes drop-me@..., and changes the
  sender to changed@milter.test when the sender is change-me@....
"""

import os
import sys

import Milter


class TestFilter(Milter.Base):
    def __init__(self):
        self.content = b""
        self.macros = []

    def note(self, *names):
        for name in names:
            value = self.getsymval(name)
            if value is not None:
                self.macros.append("%s=%s" % (name, value))

    @Milter.noreply
    def connect(self, hostname, family, hostaddr):
        self.client = hostname
        return Milter.CONTINUE

    def envfrom(self, sender, *params):
        self.macros = []
        self.content = b""
        self.sender = sender
        self.note("j", "{client_addr}", "{mail_addr}", "i")
        if sender.strip("<>").startswith("tempfail"):
            return Milter.TEMPFAIL
        return Milter.CONTINUE

    def envrcpt(self, recipient, *params):
        self.note("{rcpt_addr}")
        address = recipient.strip("<>")
        if address.startswith("reject"):
            return Milter.REJECT
        if address.startswith("add-me"):
            self.add_recipient = True
        if address.startswith("drop-me"):
            self.drop_recipient = recipient
        return Milter.CONTINUE

    def body(self, chunk):
        self.content += chunk
        if b"EXIT-IN-BODY" in self.content:
            os._exit(3)
        return Milter.CONTINUE

    def eom(self):
        if b"REJECT-BODY" in self.content:
            self.setreply("550", "5.7.1", "Body rejected by the test filter", "second line")
            return Milter.REJECT
        if b"DISCARD-BODY" in self.content:
            return Milter.DISCARD
        self.addheader("X-Milter-Test", "client=%s %s" % (self.client, " ".join(self.macros)))
        self.chgheader("Subject", 1, "changed by milter")
        if b"REPLACE-BODY" in self.content:
            self.replacebody(b"The body was replaced.\r\n")
        if getattr(self, "add_recipient", False):
            self.addrcpt("<added@milter.test>")
        if getattr(self, "drop_recipient", None):
            self.delrcpt(self.drop_recipient)
        if self.sender.strip("<>").startswith("change-me"):
            self.chgfrom("<changed@milter.test>")
        return Milter.ACCEPT


def main():
    socket = sys.argv[1]
    Milter.factory = TestFilter
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.CHGBODY | Milter.ADDRCPT
                     | Milter.DELRCPT | Milter.CHGFROM)
    Milter.runmilter("testfilter", "unix:" + socket, 30)


if __name__ == "__main__":
    main()
