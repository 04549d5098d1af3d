#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# msgmerge for `meson compile -C _build leap-boxoffice-update-po`. Meson 1.0
# makes the template for that target with the xgettext of PATH, not with
# po/xgettext.sh (it passes the override to `leap-boxoffice-pot` only), so
# the backend's messages would be missing or cut. The template (the last
# argument) is made again here with po/xgettext.sh before the merge.
set -eu
podir=$(cd "$(dirname "$0")" && pwd)
for template; do :; done
case $template in
  *.pot)
    sh "$podir/xgettext.sh" --package-name=leap-boxoffice -D "$podir/.." \
      --files-from="$podir/POTFILES" -o "$template" ;;
esac
exec msgmerge "$@"
