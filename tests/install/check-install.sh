#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the build into a temporary DESTDIR and checks what a package
# would hold: programs that answer --version and --help, the desktop
# integration (with its translations), man pages and systemd units.
# usage: check-install.sh BUILD_DIR PREFIX
set -eu
build=$1
prefix=$2
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail=0

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
root="$dest$prefix"

check () { # what, path
  if [ -e "$root/$2" ]; then echo "ok: $1"; else echo "FAIL: $1 ($2 missing)"; fail=1; fi
}
runs () { # program
  if "$root/bin/$1" --version | grep -q "$2" && "$root/bin/$1" --help >/dev/null; then
    echo "ok: $1 --version and --help"
  else
    echo "FAIL: $1 --version/--help"; fail=1
  fi
}

if [ -x "$root/bin/leap-backend" ]; then
  runs leap-backend leap-backend
  check "backend man page" share/man/man1/leap-backend.1
  check "backend systemd unit" lib/systemd/system/leap-backend.service
  check "worker systemd unit" lib/systemd/system/leap-worker@.service
  check "web shop" share/leap-boxoffice/web/index.html
  check "web shop's translations" share/leap-boxoffice/web/i18n/de.json
  grep -q "^ExecStart=$prefix/bin/leap-backend" "$root/lib/systemd/system/leap-backend.service" \
    && echo "ok: the unit runs the installed program" || { echo "FAIL: unit ExecStart"; fail=1; }
fi
check "API reference" share/doc/leap-boxoffice/api.md
check "OpenAPI description" share/doc/leap-boxoffice/openapi.yaml
if [ -x "$root/bin/leap-worker" ]; then
  runs leap-worker leap-worker
  check "worker man page" share/man/man1/leap-worker.1
fi
if [ -e "$root/bin/leap-boxoffice" ]; then
  GSETTINGS_SCHEMA_DIR="$root/share/glib-2.0/schemas" runs leap-boxoffice leap-boxoffice
  app=io.github.leapboxoffice.BoxOffice
  check "desktop file" "share/applications/$app.desktop"
  check "AppStream metainfo" "share/metainfo/$app.metainfo.xml"
  check "settings schema" "share/glib-2.0/schemas/$app.gschema.xml"
  check "scalable icon" "share/icons/hicolor/scalable/apps/$app.svg"
  check "symbolic icon" "share/icons/hicolor/symbolic/apps/$app-symbolic.svg"
  check "box office man page" share/man/man1/leap-boxoffice.1
  # Installed with the translations of po/ merged in.
  sh "$(dirname "$0")/check-data-translations.sh" "$root/share/applications/$app.desktop" \
    "$root/share/metainfo/$app.metainfo.xml" || fail=1
fi
exit $fail
