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

# The same messages as the template meson makes (po/xgettext.sh).
sh "$srcdir/po/xgettext.sh" -D "$srcdir" --files-from="$srcdir/po/POTFILES" -o "$tmp/fresh.pot" \
  2>"$tmp/xgettext.log" || { cat "$tmp/xgettext.log"; exit 1; }
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

# A new source with messages must be listed: in POTFILES to be translated,
# or in POTFILES.skip with the reason it is not.
listed=$(cat "$srcdir/po/POTFILES" "$srcdir/po/POTFILES.skip" | grep -v -e '^#' -e '^[[:space:]]*$')
for file in $(cd "$srcdir" && ls app/*.c backend/*.c backend/*/*.c common/*.c data/ui/*.ui 2>/dev/null); do
  if printf '%s\n' "$listed" | grep -qxF "$file"; then continue; fi
  if grep -qE '\<(N?_|C_|NC_) \("|g_set_error(_literal)? \(|g_task_return_new_error \(|g_error_new \(|reply_new_error \(|translatable="yes"' \
       "$srcdir/$file"; then
    echo "FAIL: $file has messages: list it in po/POTFILES (or po/POTFILES.skip, with the reason)"; status=1
  fi
done
[ "$status" -eq 0 ] && echo "translations complete"
exit "$status"
