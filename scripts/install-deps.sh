#!/usr/bin/env bash
# Installs what building and testing smtp needs on Debian 12, and nothing when it is all there.
# Run as root (or through sudo). Extra package names may be passed as arguments.
#   --build-only   just what building the library and examples needs (scripts/run-example.sh);
#                  without it, also the real clients and peers the tests start.
set -euo pipefail

build=(g++ cmake make libboost1.81-dev libssl-dev libcrypt-dev python3 pkgconf)
build+=(libhiredis-dev) # the Redis store of the rate limits (smtpd --limits-redis)
tests=(libboost-test1.81-dev swaks libnet-ssleay-perl openssl curl haproxy doxygen clang
       libclang-rt-14-dev prometheus systemd python3-milter python3-dkim opendkim opendkim-tools
       rspamd)
tests+=(ninja-build) # scripts/test.sh builds with Ninja
tests+=(redis-server) # the rate limits shared through Redis (tests/integration/limits_redis_test)
# Issue 17 (XFORWARD): Postfix's smtp client relays to smtpd from a private instance.
tests+=(postfix)
if [ "${1:-}" = --build-only ]; then
    shift
    packages=("${build[@]}" "$@")
else
    packages=("${build[@]}" "${tests[@]}" "$@")
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
