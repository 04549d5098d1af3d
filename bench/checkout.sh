#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checkout: N single-ticket holds checked out with the simulated card
# terminal at zero latency, written end to end into SQLite (synchronous=FULL).
#   live   — workers running while orders are placed: paid orders/s from the
#            first order placed to the last paid, and placed→paid p50/p99;
#   drain  — N orders queued first, then the workers started: the workers'
#            own rate of paid orders written;
# with one and with two workers, and a bare stream consumer (XREADGROUP +
# XACK, no work) on the same Redis for comparison. Checks that every order
# is paid exactly once in the database.
# usage: bench/checkout.sh [BUILD_DIR] [N]
set -eu
BUILD=${1:-_build}
N=${2:-10000}
CONNS=64

free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json () { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
ms () { date +%s%3N; }

dir=$(mktemp -d)
pids=""
workers=""
trap 'for p in $workers $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
rport=$(free_port); bport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec \
  --maxmemory-policy noeviction --dir "$dir" >/dev/null &
pids="$pids $!"
until redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; do sleep 0.05; done

DB="$dir/leap.db"
echo "bench-admin-password" | "$BUILD/backend/leap-backend" --database "sqlite:$DB" --create-user admin --role admin >/dev/null
echo "bench-cashier-password" | "$BUILD/backend/leap-backend" --database "sqlite:$DB" --create-user cashier --role cashier >/dev/null
"$BUILD/backend/leap-backend" --listen "127.0.0.1:$bport" --redis "127.0.0.1:$rport" --database "sqlite:$DB" \
  2>"$dir/backend.log" &
pids="$pids $!"
until curl -sf "http://127.0.0.1:$bport/healthz" >/dev/null; do sleep 0.05; done

api () { curl -sf -X "$1" -H "Authorization: Bearer $2" "http://127.0.0.1:$bport$3" ${4:+-d "$4"}; }
admin=$(curl -sf "http://127.0.0.1:$bport/api/v1/sessions" -d '{"username":"admin","password":"bench-admin-password"}' | json '["token"]')
cashier=$(curl -sf "http://127.0.0.1:$bport/api/v1/sessions" -d '{"username":"cashier","password":"bench-cashier-password"}' | json '["token"]')
venue=$(api POST "$admin" /api/v1/venues '{"name":"Arena"}' | json '["id"]')

start_workers () {
  workers=""
  for i in $(seq 1 "$1"); do
    "$BUILD/backend/leap-worker" --redis "127.0.0.1:$rport" --database "sqlite:$DB" --consumer "bench-$i" ${WORKER_ARGS:-} \
      2>>"$dir/worker.log" &
    workers="$workers $!"
  done
}
stop_workers () {
  for p in $workers; do kill "$p"; done
  for p in $workers; do wait "$p" || true; done
  workers=""
}
new_event () {
  event=$(api POST "$admin" /api/v1/events "{\"venue_id\":$venue,\"name\":\"Checkout $1\",\"starts_at\":\"2027-06-01T19:00:00Z\"}" | json '["id"]')
  tier=$(api POST "$admin" "/api/v1/events/$event/tiers" "{\"name\":\"General\",\"price\":4900,\"currency\":\"EUR\",\"capacity\":$N,\"max_per_order\":10}" | json '["id"]')
}
paid () { sqlite3 "$DB" "PRAGMA busy_timeout=5000; SELECT count(*) FROM orders WHERE event_id = $event AND status = 'paid'" | tail -1; }
check () {
  orders=$(paid)
  tickets=$(sqlite3 "$DB" "PRAGMA busy_timeout=5000; SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.event_id = $event" | tail -1)
  sold=$(redis-cli -p "$rport" HGET "leap:{ev:$event}:sold" "$tier")
  pending=$(redis-cli -p "$rport" XPENDING "leap:{ev:$event}:checkout-stream" leap-workers | head -1)
  echo "check         database: $orders paid orders, $tickets tickets; Redis sold $sold; unacknowledged $pending"
  [ "$orders" -eq "$N" ] && [ "$tickets" -eq "$N" ] && [ "$sold" -eq "$N" ] && [ "$pending" -eq 0 ] ||
    { echo "CHECK FAILED"; exit 1; }
}

echo "Checkout: $N orders, simulated card at 0 ms, SQLite synchronous=FULL, $CONNS connections, $(nproc) cores"
for w in 1 2; do
  echo "--- live, $w worker(s)"
  new_event "live $w"
  start_workers "$w"
  "$BUILD/bench/leap-checkout" live 127.0.0.1 "$bport" "$cashier" "$event" "$tier" "$N" "$CONNS" 127.0.0.1 "$rport"
  until [ "$(redis-cli -p "$rport" XPENDING "leap:{ev:$event}:checkout-stream" leap-workers | head -1)" -eq 0 ]; do sleep 0.05; done
  stop_workers
  check

  echo "--- drain, $w worker(s)"
  new_event "drain $w"
  "$BUILD/bench/leap-checkout" place 127.0.0.1 "$bport" "$cashier" "$event" "$tier" "$N" "$CONNS"
  t0=$(ms)
  start_workers "$w"
  until [ "$(paid)" -ge "$N" ]; do sleep 0.02; done
  t1=$(ms)
  until [ "$(redis-cli -p "$rport" XPENDING "leap:{ev:$event}:checkout-stream" leap-workers | head -1)" -eq 0 ]; do sleep 0.05; done
  stop_workers
  echo "drain         $N orders paid in $((t1 - t0)) ms after the workers started: $((N * 1000 / (t1 - t0))) paid orders/s (incl. worker start-up)"
  check
done

echo "--- bare stream consumer"
"$BUILD/bench/leap-checkout" bare 127.0.0.1 "$rport" "$N"
