#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Catalogue reads on a warm cache against the backend's own /healthz and
# against nginx serving the same JSON as static files, in one run on one
# machine: wrk, 50 connections. Prints requests/s and latency percentiles.
# usage: bench/catalogue.sh [BUILD_DIR] [SECONDS] [PROCESSES]
set -eu
BUILD=${1:-_build}
SECS=${2:-10}
PROCESSES=${3:-2}
CONNS=50
command -v wrk >/dev/null || { echo "wrk is missing: sh tools/deps.sh"; exit 1; }

free_port () {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

dir=$(mktemp -d)
chmod 755 "$dir"
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT INT TERM

rport=$(free_port); bport=$(free_port); nport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >/dev/null &
pids="$pids $!"
until redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; do sleep 0.05; done

"$BUILD/backend/leap-backend" --listen "127.0.0.1:$bport" --redis "127.0.0.1:$rport" \
  --database "sqlite:$dir/leap.db" --seed-demo --processes "$PROCESSES" 2>"$dir/backend.log" &
pids="$pids $!"
until curl -sf "http://127.0.0.1:$bport/healthz" >/dev/null; do sleep 0.05; done

# nginx serves byte-for-byte what the backend answers.
mkdir -p "$dir/www/api/v1/events"
curl -sf "http://127.0.0.1:$bport/api/v1/events" > "$dir/www/api/v1/events/index.json"
curl -sf "http://127.0.0.1:$bport/api/v1/events/1" > "$dir/www/api/v1/events/1"
chmod -R a+rX "$dir/www"
cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
error_log $dir/nginx-error.log;
pid $dir/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  server {
    listen 127.0.0.1:$nport;
    root $dir/www;
    index index.json;
  }
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir" &
pids="$pids $!"
until curl -sf "http://127.0.0.1:$nport/api/v1/events/1" >/dev/null; do sleep 0.05; done

run () { # label url
  # Warm the caches first, then measure.
  wrk -t1 -c"$CONNS" -d2s "$2" >/dev/null
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf '%-34s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p50" "$p99" "${errors:-0}"
  echo "$rps" > "$dir/rps-$(echo "$1" | tr -c 'a-zA-Z0-9' '_' | sed 's/_*$//')"
}

echo "wrk -t2, $CONNS connections, ${SECS}s each, $(nproc) cores; backend: $PROCESSES processes, near cache on (default)"
run "backend GET /healthz" "http://127.0.0.1:$bport/healthz"
run "backend GET /api/v1/events" "http://127.0.0.1:$bport/api/v1/events"
run "backend GET /api/v1/events/1" "http://127.0.0.1:$bport/api/v1/events/1"
run "nginx static /api/v1/events" "http://127.0.0.1:$nport/api/v1/events/"
run "nginx static /api/v1/events/1" "http://127.0.0.1:$nport/api/v1/events/1"

health=$(cat "$dir"/rps-backend_GET__healthz)
for f in "$dir"/rps-backend_GET__api*; do
  python3 -c "import sys; print('%-34s %5.1f%% of /healthz' % (sys.argv[1], 100*float(sys.argv[2])/float(sys.argv[3])))" \
    "$(basename "$f")" "$(cat "$f")" "$health"
done
