#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds fdleak-server by hand and shows the libsoup 3.2.3 keep-alive fd leak
# without leap_conn_guard, then its absence with it.
#   tests/fdleak/run.sh            gcc build
#   SANITIZE=1 tests/fdleak/run.sh gcc build with ASan + UBSan
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

flags="-DSOUP_VERSION_MIN_REQUIRED=SOUP_VERSION_3_2 -DSOUP_VERSION_MAX_ALLOWED=SOUP_VERSION_3_2
       -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_74
       -Wall -Wextra -Wno-unused-parameter -Werror -O2 -g"
if [ "${SANITIZE:-0}" = 1 ]; then
  flags="$flags -fsanitize=address,undefined -fno-omit-frame-pointer"
  export GIO_USE_PROXY_RESOLVER=dummy UBSAN_OPTIONS=halt_on_error=1
fi

# shellcheck disable=SC2086
gcc $flags -I"$top/backend/http" $(pkg-config --cflags libsoup-3.0) \
  "$here/fdleak-server.c" "$top/backend/http/leap-conn-guard.c" \
  -o "$out/fdleak-server" $(pkg-config --libs libsoup-3.0)

export G_DEBUG=fatal-warnings,fatal-criticals
python3 "$here/fdleak-driver.py" "$out/fdleak-server" --expect leak
python3 "$here/fdleak-driver.py" "$out/fdleak-server" --guard --expect bounded
python3 "$here/fdleak-driver.py" "$out/fdleak-server" --idle-timeout 1 --expect bounded
