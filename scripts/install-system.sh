#!/bin/sh
# Install the Debian packages wikiscore needs on a fresh Debian 12 machine (run as root).
#
# - mediawiki + php (no Apache): the throwaway local wiki used by the demo and the tests;
#   a tiny local package "provides: httpd" so apt does not pull in Apache.
# - chromium + chromium-driver: the real browser for the patrol page tests.
# - redis-server: the optional shared score cache (tested for real).
# - python3-venv: the project's own virtual environment.
# Idempotent: does nothing when everything is already installed.
set -eu
PKGS="mediawiki php-cli php-sqlite3 php8.2-cgi php-wikidiff2 php-intl php-mbstring chromium chromium-driver redis-server python3-venv bzip2 fonts-dejavu-core"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system.sh: missing Debian packages:$missing (run as root or install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
tmp=$(mktemp -d)
mkdir -p "$tmp/nohttpd/DEBIAN"
printf 'Package: local-no-httpd\nVersion: 1.0\nArchitecture: all\nMaintainer: wikiscore <root@localhost>\nProvides: httpd, httpd-cgi\nDescription: satisfies httpd so mediawiki installs without Apache\n' >"$tmp/nohttpd/DEBIAN/control"
dpkg-deb --build "$tmp/nohttpd" "$tmp/local-no-httpd.deb" >/dev/null
apt-get update -qq || true
apt-get install -y -qq --no-install-recommends "$tmp/local-no-httpd.deb" $PKGS >/dev/null
rm -rf "$tmp"
# Debian starts redis-server as a service on install; tests start their own on a free port.
