#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks the translations: every language in LINGUAS compiles with
# `msgfmt --check`, has no untranslated or fuzzy message, and has every
# message of the sources (a fresh template made from POTFILES, so a new
# string without its translation fails here).
# Usage: check-po.sh SOURCE_ROOT
set -eu
srcdir=${1:?usage: check-po.sh SOURCE_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0

# The keywords of meson's i18n.gettext(preset: 'glib').
xgettext --from-code=UTF-8 --add-comments -D "$srcdir" \
  --files-from="$srcdir/po/POTFILES" -o "$tmp/fresh.pot" \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --keyword=ngettext:1,2 2>"$tmp/xgettext.log" || { cat "$tmp/xgettext.log"; exit 1; }
total=$(msgattrib --no-wrap "$tmp/fresh.pot" | grep -c '^msgid ' || true)
echo "# template: $((total - 1)) messages"

n=0
for lang in $(grep -v '^#' "$srcdir/po/LINGUAS"); do
  n=$((n + 1))
  po="$srcdir/po/$lang.po"
  if ! msgfmt --check --statistics -o /dev/null "$po" 2>"$tmp/stats"; then
    cat "$tmp/stats"; echo "FAIL: $lang.po does not compile"; status=1; continue
  fi
  stats=$(cat "$tmp/stats")
  echo "# $lang: $stats"
  case "$stats" in
    *untranslated*|*fuzzy*) echo "FAIL: $lang.po: $stats"; status=1 ;;
  esac
  # Every message of the sources must be in the catalogue, translated.
  if ! msgcmp "$po" "$tmp/fresh.pot" 2>"$tmp/cmp"; then
    head -40 "$tmp/cmp"; echo "FAIL: $lang.po lacks messages of the sources (update it)"; status=1
  fi
done
[ "$n" -ge 2 ] || { echo "FAIL: LINGUAS lists $n languages"; status=1; }
[ "$status" -eq 0 ] && echo "translations complete"
exit "$status"
