"""Verifies the DKIM signature of a message: dkim_verify.py MESSAGE KEY.txt (opendkim-genkey's
record for test._domainkey.example.test, served instead of DNS). Prints verified or failed."""
import sys, re, dkim
msg = open(sys.argv[1], 'rb').read()
txt = open(sys.argv[2]).read()
record = "".join(re.findall(r'"([^"]*)"', txt)).encode()
def dns(name, timeout=5):
    return record if name == b"test._domainkey.example.test." else None
print("verified" if dkim.verify(msg, dnsfunc=dns) else "failed")
