#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The box office with 10,000 events (issue 5): the first sync of an empty
# offline cache, a cold start to a usable event list from the cache with
# the server stopped, and scrolling the whole list a page a frame. The app
# reports with LEAP_TIMINGS=1 (app/leap-timings.c); it runs under Xvfb.
# usage: bench/boxoffice.sh [BUILD_DIR] [EVENTS]
set -eu
BUILD=${1:-_build}
N=${2:-10000}

free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
json () { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
now_us () { date +%s%6N; }

dir=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM
rport=$(free_port); bport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --dir "$dir" >/dev/null &
pids="$pids $!"
until redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; do sleep 0.05; done
DB="sqlite:$dir/leap.db"
echo "bench-admin-password" | "$BUILD/backend/leap-backend" --database "$DB" --create-user admin --role admin >/dev/null
"$BUILD/backend/leap-backend" --listen "127.0.0.1:$bport" --redis "127.0.0.1:$rport" --database "$DB" 2>"$dir/backend.log" &
backend=$!
pids="$pids $backend"
until curl -sf "http://127.0.0.1:$bport/healthz" >/dev/null; do sleep 0.05; done

echo "Creating $N events with a tier each…"
python3 - "$bport" "$N" <<'PY'
import http.client, json, sys, datetime
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body, token=None):
    h = {"Content-Type": "application/json"}
    if token: h["Authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body), h)
    r = c.getresponse(); data = r.read()
    if r.status >= 300: raise SystemExit(f"{method} {path}: {r.status} {data!r}")
    return json.loads(data)
token = call("POST", "/api/v1/sessions", {"username": "admin", "password": "bench-admin-password"})["token"]
venues = [call("POST", "/api/v1/venues", {"name": f"Venue {v}"}, token)["id"] for v in range(20)]
start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
for i in range(n):
    at = (start + datetime.timedelta(minutes=53 * i)).strftime("%Y-%m-%dT%H:%M:00Z")
    e = call("POST", "/api/v1/events", {"venue_id": venues[i % 20], "name": f"Event {i}", "starts_at": at}, token)["id"]
    call("POST", f"/api/v1/events/{e}/tiers", {"name": "Standard", "price": 2500 + i % 50 * 100, "currency": "EUR", "capacity": 500, "max_per_order": 10}, token)
PY

exec 3>"$dir/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids="$pids $!"
until [ -s "$dir/display" ]; do sleep 0.05; done
export DISPLAY=":$(cat "$dir/display")"
export XDG_DATA_HOME="$dir/data" XDG_CONFIG_HOME="$dir/config" XDG_CACHE_HOME="$dir/cache"
export GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$BUILD/data" LEAP_NO_KEYRING=1 NO_AT_BRIDGE=1
export GDK_BACKEND=x11 LEAP_TIMINGS=1

# Runs the app until a timing line WHAT appears; prints that line.
run_until () {
  what=$1; shift
  : > "$dir/app.log"
  "$BUILD/app/leap-boxoffice" --server "http://127.0.0.1:$bport" "$@" 2>"$dir/app.log" &
  app=$!
  deadline=$(( $(date +%s) + 120 ))
  until grep -q "timing: $what " "$dir/app.log"; do
    if ! kill -0 "$app" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
      echo "no '$what' from the app:"; cat "$dir/app.log"; exit 1
    fi
    sleep 0.02
  done
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  grep "timing: $what " "$dir/app.log" | head -1
}
field_at () { sed -n 's/.* at \([0-9]*\) .*/\1/p'; }

echo "Box office: $N events, $(nproc) cores"
# GTK's default renderer is GL; under Xvfb that is llvmpipe, GL emulated
# in software on the same two cores, so each figure is taken with GTK's
# cairo renderer (what a machine without GL gets) and with GL.
for renderer in cairo gl; do
  export GSK_RENDERER=$renderer
  rm -rf "$XDG_DATA_HOME"
  line=$(run_until synced)
  echo "first sync    $renderer: $(echo "$line" | sed 's/.* at [0-9]* //') (empty cache → $N events)"
done

kill "$backend"; wait "$backend" 2>/dev/null || true
for renderer in cairo gl; do
  export GSK_RENDERER=$renderer
  for i in 1 2 3; do
    t0=$(now_us)
    line=$(run_until events-listed)
    echo "cold start    $renderer: $(( ($(echo "$line" | field_at) - t0) / 1000 )) ms from exec to a drawn list of" \
         "$(echo "$line" | sed 's/.* at [0-9]* \([0-9]*\) .*/\1/') events (server stopped, cache only)"
  done
  export LEAP_BENCH_SCROLL=1
  line=$(run_until scrolled)
  unset LEAP_BENCH_SCROLL
  echo "scrolling     $renderer: $(echo "$line" | sed 's/.* at [0-9]* //')"
done
