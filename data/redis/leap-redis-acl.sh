#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# leap-redis-acl.sh TEMPLATE ACL_FILE PASSWORD_DIR
# Makes the Redis user file for Leap from TEMPLATE (leap-redis-users.acl.in):
# new random passwords for the users "default" and "leap", kept in
# PASSWORD_DIR/redis-default-password and PASSWORD_DIR/redis-password (mode
# 0600; existing ones are kept), and their SHA-256 in ACL_FILE (mode 0640).
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 TEMPLATE ACL_FILE PASSWORD_DIR" >&2
  exit 2
fi
template=$1
acl=$2
dir=$3
umask 077
mkdir -p "$dir"

password () { # file: made once, 32 random bytes as hex
  [ -s "$1" ] || od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$1"
}
sha256 () { # file
  tr -d '\n' < "$1" | sha256sum | cut -d' ' -f1
}

password "$dir/redis-default-password"
password "$dir/redis-password"
tmp="$acl.tmp.$$"
# Redis reads no comments in a user file: they stay in the template.
sed -e '/^#/d' -e '/^[[:space:]]*$/d' \
    -e "s/@DEFAULT_PASSWORD_SHA256@/$(sha256 "$dir/redis-default-password")/" \
    -e "s/@LEAP_PASSWORD_SHA256@/$(sha256 "$dir/redis-password")/" \
    "$template" > "$tmp"
chmod 0640 "$tmp"
mv "$tmp" "$acl"
