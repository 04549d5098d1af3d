#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Checkout: N single-ticket holds checked out with the simulated card
# terminal at zero latency, written end to end into SQLite (synchronous=FULL)
# or, with STORE=postgresql, into a PostgreSQL 15 the script starts
# (synchronous_commit=on, the default; fsync on).
#   live   — workers running while orders are placed: paid orders/s from the
#            first order placed to the last paid, and placed→paid p50/p99;
#   drain  — N orders queued first, then the workers started: the workers'
#            own rate of paid orders written;
# with each number of workers in WORKERS (default "1 2"), and a bare stream
# consumer (XREADGROUP + XACK, no work) on the same Redis for comparison.
# Checks that every order is paid exactly once in the database. Into
# PostgreSQL, after each drain: statements and WAL fsyncs per paid order,
# and with TOP=N the N statements that took the most server time.
# usage: [STORE=sqlite|postgresql] [WORKERS="1 2 4"] [TOP=N] bench/checkout.sh [BUILD_DIR] [N]
set -eu
BUILD=${1:-_build}
N=${2:-10000}
CONNS=64
STORE=${STORE:-sqlite}
WORKERS=${WORKERS:-1 2}

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

KEYS="--ticket-key $dir/ticket-key --session-key $dir/session-key"
if [ "$STORE" = postgresql ]; then
  # PostgreSQL refuses to run as root: then as the account the package made.
  as_pg=""; [ "$(id -u)" -eq 0 ] && as_pg="runuser -u postgres --"
  pgbin=$(pg_config --bindir); pport=$(free_port)
  chmod 755 "$dir"; mkdir "$dir/pg"; [ -z "$as_pg" ] || chown postgres "$dir/pg"
  $as_pg "$pgbin/initdb" -D "$dir/pg/data" -U leap -A trust -E UTF8 --locale=C >/dev/null
  # pg_stat_statements: where the time goes (below, after each drain).
  pgopts="-c listen_addresses=127.0.0.1 -c max_connections=200"
  pgopts="$pgopts -c shared_preload_libraries=pg_stat_statements"
  $as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w -o "-p $pport -k $dir/pg $pgopts" start >/dev/null
  trap 'for p in $workers $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null;
        $as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null; rm -rf "$dir"' EXIT INT TERM
  "$pgbin/createdb" -h 127.0.0.1 -p "$pport" -U leap leap
  DB_URL="postgresql://leap@127.0.0.1:$pport/leap"
  sql () { psql -qAt "$DB_URL" -c "$1"; }
  sql "CREATE EXTENSION pg_stat_statements" >/dev/null
else
  DB="$dir/leap.db"
  DB_URL="sqlite:$DB"
  sql () { sqlite3 "$DB" "PRAGMA busy_timeout=5000; $1" | tail -1; }
fi
# shellcheck disable=SC2086
echo "bench-admin-password" | "$BUILD/backend/leap-backend" --database "$DB_URL" $KEYS --create-user admin --role admin >/dev/null
# shellcheck disable=SC2086
echo "bench-cashier-password" | "$BUILD/backend/leap-backend" --database "$DB_URL" $KEYS --create-user cashier --role cashier >/dev/null
# shellcheck disable=SC2086
"$BUILD/backend/leap-backend" --listen "127.0.0.1:$bport" --redis "127.0.0.1:$rport" --database "$DB_URL" $KEYS \
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
    # shellcheck disable=SC2086
    "$BUILD/backend/leap-worker" --redis "127.0.0.1:$rport" --database "$DB_URL" --ticket-key "$dir/ticket-key" \
      --consumer "bench-$i" ${WORKER_ARGS:-} 2>>"$dir/worker.log" &
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
paid () { sql "SELECT count(*) FROM orders WHERE event_id = $event AND status = 'paid'"; }
check () {
  orders=$(paid)
  tickets=$(sql "SELECT count(*) FROM tickets t JOIN orders o ON o.id = t.order_id WHERE o.event_id = $event")
  sold=$(redis-cli -p "$rport" HGET "leap:{ev:$event}:sold" "$tier")
  pending=$(redis-cli -p "$rport" XPENDING "leap:{ev:$event}:checkout-stream" leap-workers | head -1)
  echo "check         database: $orders paid orders, $tickets tickets; Redis sold $sold; unacknowledged $pending"
  [ "$orders" -eq "$N" ] && [ "$tickets" -eq "$N" ] && [ "$sold" -eq "$N" ] && [ "$pending" -eq 0 ] ||
    { echo "CHECK FAILED"; exit 1; }
}

if [ "$STORE" = postgresql ]; then
  stored="PostgreSQL $(sql 'SHOW server_version'), synchronous_commit=$(sql 'SHOW synchronous_commit')"
else
  stored="SQLite synchronous=FULL"
fi
echo "Checkout: $N orders, simulated card at 0 ms, $stored, $CONNS connections, $(nproc) cores"
for w in $WORKERS; do
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
  [ "$STORE" != postgresql ] || sql "SELECT pg_stat_statements_reset (), pg_stat_reset_shared ('wal')" >/dev/null
  t0=$(ms)
  start_workers "$w"
  until [ "$(paid)" -ge "$N" ]; do sleep 0.02; done
  t1=$(ms)
  until [ "$(redis-cli -p "$rport" XPENDING "leap:{ev:$event}:checkout-stream" leap-workers | head -1)" -eq 0 ]; do sleep 0.05; done
  stop_workers
  echo "drain         $N orders paid in $((t1 - t0)) ms after the workers started: $((N * 1000 / (t1 - t0))) paid orders/s (incl. worker start-up)"
  # Where the time goes: statements and commits per order, and the waits.
  if [ "$STORE" = postgresql ]; then
    # (the script's own polls for the count of paid orders left out)
    stmts="FROM pg_stat_statements WHERE query NOT LIKE 'SELECT count(*) FROM orders%' AND query NOT LIKE '%stat%reset%'"
    echo "statements    per paid order: $(sql "SELECT round (sum (calls)::numeric / $N, 1) $stmts"); WAL fsyncs (commits) per paid order: $(sql "SELECT round (wal_sync::numeric / $N, 3) FROM pg_stat_wal")"
    sql "SELECT calls, round (total_exec_time) AS ms, left (regexp_replace (query, '\s+', ' ', 'g'), 70) $stmts ORDER BY total_exec_time DESC LIMIT ${TOP:-0}"
  fi
  check
done

echo "--- bare stream consumer"
"$BUILD/bench/leap-checkout" bare 127.0.0.1 "$rport" "$N"
