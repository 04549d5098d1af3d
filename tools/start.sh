#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Leap needs, builds it, and starts the demo: Redis on a
# private port, leap-backend on the embedded SQLite database with the demo
# catalogue, and the box office signed in as the demo cashier (when a display
# is there). Ctrl-C stops everything it started.
set -eu
cd "$(dirname "$0")/.."
sh tools/deps.sh

LEAP_PORT=${LEAP_PORT:-8080}
REDIS_PORT=${LEAP_REDIS_PORT:-16379}
STATE=${LEAP_STATE_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/leap-boxoffice/demo}
mkdir -p "$STATE"
chmod 700 "$STATE"

[ -f _build/build.ninja ] || meson setup _build
ninja -C _build

# Redis as it ships (data/redis/leap-redis.conf): append-only file, fsync
# every second, never evict, loopback only, and users with passwords made
# here; the backend and the worker sign in as "leap", which reaches only
# leap:* keys (docs/security.md).
sh data/redis/leap-redis-acl.sh data/redis/leap-redis-users.acl.in "$STATE/redis-users.acl" "$STATE"
cat > "$STATE/redis.conf" <<CONF
include $PWD/data/redis/leap-redis.conf
port $REDIS_PORT
dir $STATE
aclfile $STATE/redis-users.acl
save ""
daemonize no
CONF
export LEAP_REDIS_USER=leap LEAP_REDIS_PASSWORD_FILE="$STATE/redis-password"
REDISCLI_AUTH=$(cat "$STATE/redis-default-password")
export REDISCLI_AUTH

pids=""
cleanup () {
  trap - INT TERM EXIT
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

redis-server "$STATE/redis.conf" > "$STATE/redis.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 50); do
  redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done

DB="sqlite:$STATE/leap.db"
# Demo passwords are made on this machine, never stored in the repository.
for user in admin cashier kiosk; do
  if [ ! -f "$STATE/$user.password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$STATE/$user.password")
    role=$user
    ./_build/backend/leap-backend --database "$DB" --create-user "demo-$user" --role "$role" \
      < "$STATE/$user.password"
  fi
done

./_build/backend/leap-backend --listen "127.0.0.1:$LEAP_PORT" --redis "127.0.0.1:$REDIS_PORT" \
  --database "$DB" --seed-demo --web-root _build/web/shop &
pids="$pids $!"
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$LEAP_PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

if [ -x _build/backend/leap-worker ]; then
  ./_build/backend/leap-worker --redis "127.0.0.1:$REDIS_PORT" --database "$DB" &
  pids="$pids $!"
fi

cat <<INFO

Leap Box Office demo is running.
  API:       http://127.0.0.1:$LEAP_PORT/api/v1/events
  Web shop:  http://127.0.0.1:$LEAP_PORT/shop/
  Redis:     127.0.0.1:$REDIS_PORT (data in $STATE; redis-cli with REDISCLI_AUTH=\$(cat $STATE/redis-default-password))
  Sign in:   demo-cashier / $(cat "$STATE/cashier.password")
             demo-admin   / $(cat "$STATE/admin.password")
  Kiosk:     GSETTINGS_SCHEMA_DIR=_build/data ./_build/app/leap-boxoffice --kiosk \\
               --server http://127.0.0.1:$LEAP_PORT --user demo-kiosk --password-file $STATE/kiosk.password
Press Ctrl-C to stop.
INFO

if [ -x _build/app/leap-boxoffice ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  # Run from the build tree: its settings schema is compiled there.
  GSETTINGS_SCHEMA_DIR="$PWD/_build/data" ./_build/app/leap-boxoffice --server "http://127.0.0.1:$LEAP_PORT" \
    --user demo-cashier --password-file "$STATE/cashier.password" &
  pids="$pids $!"
elif [ -x _build/app/leap-boxoffice ]; then
  echo "No display found: the box office app was not opened (the backend keeps running)."
fi
wait
