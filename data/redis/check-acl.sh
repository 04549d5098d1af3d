#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-acl.sh SOURCE_ROOT
# Every Redis command that the Lua scripts call, and that the C code sends
# with leap_redis_command (), redisAsyncCommand () or by hand (argv[0] /
# g_strdup into an argv), must be allowed to the user "leap" in
# leap-redis-users.acl.in, and every channel pattern it subscribes to must
# be listed there as it is.
# (tests/test-redis-acl.c runs the flows as that user; this catches the
# commands that no flow there reaches.)
set -eu
root=$1
acl=$(grep '^user leap ' "$root/data/redis/leap-redis-users.acl.in" | tr ' ' '\n' | sed -n 's/^+//p' |
      tr 'a-z' 'A-Z')
# Words of an argv that are arguments, not commands.
arguments='BLOCK|COUNT|GROUP|STREAMS|MKSTREAM|NX|XX|EX|PX|GT|LT|LIMIT|WITHSCORES|JUSTID|IDLE|MATCH|TYPE'
{
  grep -ohE "redis\.p?call\('[A-Za-z]+'" "$root"/lua/*.lua | sed -E "s/.*\('//; s/'//"
  grep -rhoE 'leap_redis_command \([^"]*"[A-Z]+"( *, *"[A-Z]+")?' "$root/backend" --include='*.c' |
    sed -E 's/^[^"]*"//; s/"( *, *")?/ /g'
  grep -rhoE '(argv\[0\] = |g_ptr_array_add \(argv, g_strdup \()"[A-Z]+"' "$root/backend" --include='*.c' |
    sed -E 's/^[^"]*"//; s/"$//'
  grep -rhoE 'redisAsyncCommand \([^"]*"[A-Z]+"' "$root/backend" --include='*.c' |
    sed -E 's/^[^"]*"//; s/"$//'
} | sed 's/ *$//' | sort -u | grep -vxE "$arguments" | {
  fail=0
  n=0
  while read -r command sub; do
    n=$((n + 1))
    case "$command" in
      SCRIPT|XGROUP|CLIENT|CONFIG|ACL) want="$command|$sub" ;;
      *) want=$command ;;
    esac
    if printf '%s\n' "$acl" | grep -qxF "$want"; then
      echo "ok $n - $want"
    else
      echo "not ok $n - $want is sent but not allowed to the user leap"
      fail=1
    fi
  done
  # PSUBSCRIBE patterns (channel names ending in *) must be listed as they are.
  for pattern in $(grep -rhoE '"leap:[^" ]*\*"' "$root/backend" --include='*.c' | tr -d '"' | sort -u); do
    n=$((n + 1))
    if grep '^user leap ' "$root/data/redis/leap-redis-users.acl.in" | tr ' ' '\n' | grep -qxF "&$pattern"; then
      echo "ok $n - &$pattern"
    else
      echo "not ok $n - the pattern $pattern is subscribed to but not listed for the user leap"
      fail=1
    fi
  done
  echo "1..$n"
  exit $fail
}
