#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs every Debian 12 package that building, running and testing Leap needs.
set -eu
PKGS="build-essential pkg-config meson ninja-build git libglib2.0-dev libgtk-4-dev
libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev libhiredis-dev libsqlite3-dev sqlite3
gettext redis-server redis-tools xvfb xauth imagemagick libqrencode-dev libsodium-dev
libsecret-1-dev libcairo2-dev libpq-dev postgresql glib-networking desktop-file-utils
appstream clang libclang-rt-14-dev dbus-daemon dbus-x11 x11-utils wrk nginx-light curl
python3 fonts-dejavu-core flatpak-builder nodejs
at-spi2-core gir1.2-atspi-2.0 python3-gi
chromium chromium-driver python3-selenium"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
# npm comes with some builds of nodejs and apart from Debian's.
if ! command -v npm >/dev/null; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi
# The OpenAPI test's validator, pinned by its package-lock.json.
openapi="$(dirname "$0")/../tests/openapi"
if [ ! -f "$openapi/node_modules/.package-lock.json" ] ||
   [ "$openapi/package-lock.json" -nt "$openapi/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$openapi" --no-audit --no-fund
fi
# axe-core for the web shop's browser test, pinned the same way.
web="$(dirname "$0")/../tests/web"
if [ ! -f "$web/node_modules/.package-lock.json" ] ||
   [ "$web/package-lock.json" -nt "$web/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$web" --no-audit --no-fund
fi
