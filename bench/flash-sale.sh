#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Flash sale: one event with 100,000 tickets; 200 connections hold one
# ticket each until it is sold out. Prints holds/s and latency for 201 and 409
# separately, checks held + available = capacity (0 oversold), and in the same
# run redis-benchmark's EVALSHA rate for the reserve script and the backend's
# own /healthz rate. With REPLICA "replica", a Redis replica too, and the
# backend's --redis-wait-ms WAIT_MS (default 50: a hold waits for the replica).
# usage: bench/flash-sale.sh [BUILD_DIR] [TICKETS] [PROCESSES] [REPLICA] [WAIT_MS]
set -eu
BUILD=${1:-_build}
TICKETS=${2:-100000}
PROCESSES=${3:-2}
REPLICA=${4:-}
WAIT_MS=${5:-50}
CONNS=200

free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json () { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }

dir=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
rport=$(free_port); bport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec \
  --maxmemory-policy noeviction --dir "$dir" >/dev/null &
pids="$pids $!"
until redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; do sleep 0.05; done
if [ "$REPLICA" = replica ]; then
  qport=$(free_port)
  mkdir "$dir/replica"
  redis-server --port "$qport" --bind 127.0.0.1 --save "" --appendonly yes \
    --appendfsync everysec --dir "$dir/replica" --replicaof 127.0.0.1 "$rport" >/dev/null &
  pids="$pids $!"
  until redis-cli -p "$qport" INFO replication 2>/dev/null | grep -q 'master_link_status:up'; do
    sleep 0.05
  done
fi

DB="sqlite:$dir/leap.db"
echo "bench-admin-password" | "$BUILD/backend/leap-backend" --database "$DB" --create-user admin --role admin >/dev/null
echo "bench-cashier-password" | "$BUILD/backend/leap-backend" --database "$DB" --create-user cashier --role cashier >/dev/null
"$BUILD/backend/leap-backend" --listen "127.0.0.1:$bport" --redis "127.0.0.1:$rport" --database "$DB" \
  --processes "$PROCESSES" --redis-wait-ms "$WAIT_MS" 2>"$dir/backend.log" &
pids="$pids $!"
until curl -sf "http://127.0.0.1:$bport/healthz" >/dev/null; do sleep 0.05; done

api () { curl -sf -X "$1" -H "Authorization: Bearer $2" "http://127.0.0.1:$bport$3" ${4:+-d "$4"}; }
admin=$(curl -sf "http://127.0.0.1:$bport/api/v1/sessions" -d '{"username":"admin","password":"bench-admin-password"}' | json '["token"]')
cashier=$(curl -sf "http://127.0.0.1:$bport/api/v1/sessions" -d '{"username":"cashier","password":"bench-cashier-password"}' | json '["token"]')
venue=$(api POST "$admin" /api/v1/venues '{"name":"Arena"}' | json '["id"]')
event=$(api POST "$admin" /api/v1/events "{\"venue_id\":$venue,\"name\":\"Flash sale\",\"starts_at\":\"2027-06-01T19:00:00Z\"}" | json '["id"]')
tier=$(api POST "$admin" "/api/v1/events/$event/tiers" "{\"name\":\"General\",\"price\":4900,\"currency\":\"EUR\",\"capacity\":$TICKETS,\"max_per_order\":10}" | json '["id"]')

echo "Flash sale: $TICKETS tickets, $CONNS connections, backend with $PROCESSES processes, $(nproc) cores${REPLICA:+, a replica, redis-wait-ms $WAIT_MS}"
# The backend asks ROLE once a second: give it the time to see the replica.
[ "$REPLICA" = replica ] && sleep 2
"$BUILD/bench/leap-flash" 127.0.0.1 "$bport" /api/v1/holds "$cashier" \
  "{\"event_id\":$event,\"items\":[{\"tier_id\":$tier,\"quantity\":1}]}" "$CONNS" $((TICKETS + TICKETS / 5))

avail=$(curl -sf "http://127.0.0.1:$bport/api/v1/events/$event/availability" | json '["tiers"][0]["available"]')
held=$(redis-cli -p "$rport" HGET "leap:{ev:$event}:held" "$tier")
live=$(redis-cli -p "$rport" ZCARD "leap:{ev:$event}:holds")
waits=$(redis-cli -p "$rport" INFO commandstats | grep -o 'cmdstat_wait:calls=[0-9]*' || true)
echo "WAIT          ${waits:-cmdstat_wait:calls=0}; refused 503 (unreplicated): $(grep -c 'No Redis replica confirmed' "$dir/backend.log" || true) batches"
echo "check         capacity $TICKETS = held $held + available $avail; hold records $live; oversold $((held + avail - TICKETS > 0 ? held + avail - TICKETS : 0))"
[ $((held + avail)) -eq "$TICKETS" ] && [ "$held" -eq "$live" ] || { echo "INVARIANT BROKEN"; exit 1; }

# The same Redis, the reserve script alone: fresh counters of 10^9 tickets
# on another event, a random hold id per call.
sha=$(redis-cli -p "$rport" SCRIPT LOAD "$(cat lua/prelude.lua lua/reserve.lua)")
redis-cli -p "$rport" HSET "leap:{ev:999999}:cap" 1 1000000000 >/dev/null
redis-cli -p "$rport" HSET "leap:{ev:999999}:avail" 1 1000000000 >/dev/null
redis-cli -p "$rport" HSET "leap:{ev:999999}:max" 1 10 >/dev/null
now=$(($(date +%s) * 1000))
k="leap:{ev:999999}"
rb=$(redis-benchmark -p "$rport" -c 50 -n 200000 -r 1000000000 -q \
  EVALSHA "$sha" 8 "$k:cap" "$k:avail" "$k:held" "$k:checkout" "$k:sold" "$k:max" "$k:holds" "$k:hold:__rand_int__" \
  999999 __rand_int__ owner "$now" 600000 1 1 2>/dev/null | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1)
echo "redis-benchmark EVALSHA reserve: $rb (50 clients)"
hz=$(wrk -t1 -c"$CONNS" -d5s "http://127.0.0.1:$bport/healthz" | awk '/Requests\/sec/ {print $2}')
echo "backend GET /healthz: $hz requests/s (wrk, $CONNS connections)"
