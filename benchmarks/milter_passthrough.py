"""A pass-through libmilter filter (Debian's python3-milter): milter_passthrough.py SOCKET.

It asks for no stage but the end of the message (pymilter negotiates SMFIP_NO* for every callback
it does not define) and accepts every message unchanged: what a milter connection costs the
server per session and per message, with the least work in the filter. benchmarks/milter.sh.
"""

import sys

import Milter


class PassThrough(Milter.Base):
    def eom(self):
        return Milter.ACCEPT


def main():
    Milter.factory = PassThrough
    Milter.set_flags(0)
    Milter.runmilter("passthrough", "unix:" + sys.argv[1], 30)


if __name__ == "__main__":
    main()
