#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# xgettext as this project needs it, the one place that says which
# messages are extracted. Meson runs it for the template (`meson compile
# -C _build leap-boxoffice-pot`, and through po/msgmerge.sh for
# `leap-boxoffice-update-po`), check-po.sh for the `po` test.
#
# - The keywords of meson's glib preset, and the backend's: its error
#   messages are not marked with _(), they are the formats of
#   g_set_error () and friends, translated per request by
#   backend/http/leap-i18n.c.
# - A message such as "Tier %" G_GINT64_FORMAT " no longer exists" would be
#   cut at the macro, which xgettext does not know. The sources are read
#   from a copy where each such macro is the string it stands for ("lli"
#   for G_GINT64_FORMAT), so the message reads "Tier %lli no longer
#   exists"; lines stay where they were, so the references are right.
#
# Arguments are those of xgettext; the files come from -f/--files-from,
# relative to the first -D/--directory.
set -eu

list=
root=
prev=
for arg in "$@"; do
  case $prev in
    -f) list=$arg ;;
    -D) [ -n "$root" ] || root=$arg ;;
  esac
  case $arg in
    --files-from=*) list=${arg#--files-from=} ;;
    --directory=*) [ -n "$root" ] || root=${arg#--directory=} ;;
  esac
  prev=$arg
done
[ -n "$list" ] || { echo "xgettext.sh: no --files-from" >&2; exit 2; }
[ -n "$root" ] || root=.

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT INT TERM
grep -v -e '^#' -e '^[[:space:]]*$' "$list" | while IFS= read -r file; do
  [ -f "$root/$file" ] || continue
  mkdir -p "$copy/$(dirname "$file")"
  case $file in
    *.c|*.h)
      sed -e 's/\<G_GINT64_FORMAT\>/"lli"/g' -e 's/\<G_GUINT64_FORMAT\>/"llu"/g' \
          -e 's/\<G_GINT64_MODIFIER\>/"ll"/g' -e 's/\<G_GOFFSET_FORMAT\>/"lli"/g' \
          -e 's/\<G_GSIZE_FORMAT\>/"zu"/g' -e 's/\<G_GSSIZE_FORMAT\>/"zd"/g' \
          -e 's/\<G_GINT32_FORMAT\>/"i"/g' -e 's/\<G_GUINT32_FORMAT\>/"u"/g' \
          "$root/$file" >"$copy/$file" ;;
    *) cp "$root/$file" "$copy/$file" ;;
  esac
done

# The copy first: xgettext takes each file from the first directory that has it.
status=0
xgettext -D "$copy" "$@" --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --keyword=ngettext:1,2 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --keyword=g_set_error:4 --flag=g_set_error:4:c-format \
  --keyword=g_set_error_literal:4 \
  --keyword=g_task_return_new_error:4 --flag=g_task_return_new_error:4:c-format \
  --keyword=g_error_new:3 --flag=g_error_new:3:c-format \
  --keyword=g_error_new_literal:3 \
  --keyword=leap_request_reply_new_error:3 --flag=leap_request_reply_new_error:3:c-format \
  || status=$?
exit "$status"
