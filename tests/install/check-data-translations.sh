#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks that the desktop file and the AppStream metainfo carry the
# translations of po/ (merged in by i18n.merge_file in data/meson.build):
# the name and comment in German and French, the summary and description
# with xml:lang. Run on the built files (test `data-translations`) and on
# the installed ones (check-install.sh).
# usage: check-data-translations.sh DESKTOP_FILE METAINFO_FILE
set -eu
desktop=$1
metainfo=$2
fail=0

has () { # what, pattern, file
  if grep -q -e "$2" "$3"; then echo "ok: $1"; else echo "FAIL: $1 ($2 not in $3)"; fail=1; fi
}

for lang in de fr; do
  has "desktop file Name[$lang]" "^Name\[$lang\]=." "$desktop"
  has "desktop file Comment[$lang]" "^Comment\[$lang\]=." "$desktop"
  has "metainfo summary in $lang" "<summary xml:lang=\"$lang\">" "$metainfo"
  has "metainfo description in $lang" "<p xml:lang=\"$lang\">" "$metainfo"
done
# A translation, not a copy of the English.
if grep -q '^Name\[de\]=Leap Box Office$' "$desktop"; then
  echo "FAIL: Name[de] is the English name"; fail=1
fi
exit $fail
