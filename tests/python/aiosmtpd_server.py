"""aiosmtpd as a server for smtp::client: STARTTLS required, AUTH (user/secret) only over TLS.

Usage: aiosmtpd_server.py CERT KEY. Prints the port it listens on, then one line per message:
MESSAGE <tls> <login> <mail_from> <rcpt,rcpt> <mail options> <content as hex>
(fields separated by tabs). Recipients starting with "refuse" get 550.
"""
import asyncio
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if session.authenticated else "-"
        fields = ["MESSAGE", str(session.ssl is not None), login, envelope.mail_from,
                  ",".join(envelope.rcpt_tos), " ".join(envelope.mail_options) or "-",
                  envelope.original_content.hex()]
        print("\t".join(fields), flush=True)
        return "250 2.0.0 Recorded"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"user", b"secret")
    return AuthResult(success=ok, auth_data=auth_data)


async def main():
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(sys.argv[1], sys.argv[2])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Recorder(), hostname="aiosmtpd.test", tls_context=context,
                     require_starttls=True, authenticator=authenticator, auth_require_tls=True),
        "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
