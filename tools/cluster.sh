#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts Leap as a cluster on this machine's loopback, each part on a free
# port, all in one folder: nginx in front of two backends, two workers,
# PostgreSQL with a streaming replica, Redis with a replica and three
# Sentinels. For a demo or a test (tests/faults/test-fault-cluster.c); it
# stops everything it started on Ctrl-C, SIGTERM or when one part fails to
# start.
#
#   tools/cluster.sh [BUILD_DIR]        (default _build; built already)
#
# LEAP_CLUSTER_DIR   the folder (default: a new one in /tmp, removed at the end)
# LEAP_CLUSTER_READY a file written when everything answers: KEY=VALUE lines
#                    (URL, ports, process ids, the demo passwords' files)
# LEAP_CLUSTER_SEED  "no" to start without the demo catalogue
# LEAP_CLUSTER_BACKEND_ARGS more options for both backends (e.g. --hold-ttl 20)
# LEAP_CLUSTER_PARENT a process id: everything stops when that process ends
#                    (a test that died leaves nothing running)
#
# Needs redis-server, PostgreSQL 15 and nginx (sh tools/deps.sh). As root,
# PostgreSQL runs as the user postgres, which refuses to run as root.
set -eu
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=$(cd "${1:-_build}" && pwd)
BACKEND=$BUILD/backend/leap-backend
WORKER=$BUILD/backend/leap-worker
PGBIN=$(pg_config --bindir)
[ -x "$BACKEND" ] && [ -x "$WORKER" ] || { echo "Build Leap first: ninja -C ${1:-_build}" >&2; exit 1; }

if [ -n "${LEAP_CLUSTER_DIR:-}" ]; then
  DIR=$LEAP_CLUSTER_DIR
  mkdir -p "$DIR"
  own_dir=no
else
  DIR=$(mktemp -d /tmp/leap-cluster-XXXXXX)
  own_dir=yes
fi
chmod 755 "$DIR"
# PostgreSQL's own folder, where its account can reach it (DIR's parents
# may not let it), with its sockets and logs; removed at the end.
PGDIR=$(mktemp -d /tmp/leap-cluster-pg-XXXXXX)

pids=""
# Whether a process we started still runs (not gone, not a zombie).
running () {
  [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

cleanup () {
  trap - INT TERM EXIT
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  # What has not stopped within ten seconds is killed.
  tries=100
  while [ "$tries" -gt 0 ]; do
    alive=""
    for pid in $pids; do running "$pid" && alive="$alive $pid"; done
    [ -z "$alive" ] && break
    sleep 0.1
    tries=$((tries - 1))
  done
  for pid in $alive; do kill -9 "$pid" 2>/dev/null || true; done
  for data in "$PGDIR/primary" "$PGDIR/replica"; do
    [ -f "$data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate stop \
      >/dev/null 2>&1 || true
  done
  rm -rf "$PGDIR"
  wait 2>/dev/null || true
  [ "$own_dir" = yes ] && rm -rf "$DIR"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -n "${LEAP_CLUSTER_PARENT:-}" ]; then
  script=$$
  (while kill -0 "$LEAP_CLUSTER_PARENT" 2>/dev/null; do sleep 1; done; kill "$script") &
  pids="$pids $!"
fi

free_port () {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for SECONDS DESCRIPTION COMMAND…: until COMMAND succeeds.
wait_for () {
  seconds=$1 what=$2
  shift 2
  tries=$((seconds * 10))
  while ! "$@" >/dev/null 2>&1; do
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
      echo "cluster.sh: $what did not start within $seconds s; logs in $DIR" >&2
      exit 1
    fi
    sleep 0.1
  done
}

if [ "$(id -u)" -eq 0 ]; then
  as_pg () { runuser -u postgres -- "$@"; }
else
  as_pg () { "$@"; }
fi

# Redis: a primary, a replica, three Sentinels (each rewrites its own file).
REDIS1=$(free_port) REDIS2=$(free_port)
REDIS_PIDS=""
for port in "$REDIS1" "$REDIS2"; do
  mkdir -p "$DIR/redis-$port"
  replica=""
  [ "$port" = "$REDIS2" ] && replica="replicaof 127.0.0.1 $REDIS1"
  cat > "$DIR/redis-$port/redis.conf" <<CONF
port $port
bind 127.0.0.1
dir $DIR/redis-$port
appendonly yes
appendfsync everysec
maxmemory-policy noeviction
save ""
$replica
CONF
  redis-server "$DIR/redis-$port/redis.conf" > "$DIR/redis-$port/redis.log" 2>&1 &
  pids="$pids $!"
  REDIS_PIDS="$REDIS_PIDS${REDIS_PIDS:+,}$!"
  wait_for 10 "Redis on port $port" redis-cli -p "$port" ping
done
SENTINELS=""
for n in 1 2 3; do
  port=$(free_port)
  cat > "$DIR/sentinel-$n.conf" <<CONF
port $port
bind 127.0.0.1
dir $DIR
sentinel monitor leap 127.0.0.1 $REDIS1 2
sentinel down-after-milliseconds leap 1000
sentinel failover-timeout leap 5000
sentinel parallel-syncs leap 1
CONF
  redis-server "$DIR/sentinel-$n.conf" --sentinel > "$DIR/sentinel-$n.log" 2>&1 &
  pids="$pids $!"
  wait_for 10 "Sentinel on port $port" redis-cli -p "$port" ping
  SENTINELS="$SENTINELS${SENTINELS:+,}127.0.0.1:$port"
done
REDIS="sentinel://$SENTINELS/leap"

# PostgreSQL: a primary, and a streaming replica made by pg_basebackup -R.
PG1=$(free_port) PG2=$(free_port)
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PGDIR"; fi
as_pg "$PGBIN/initdb" -D "$PGDIR/primary" -U leap -A trust -E UTF8 --locale=C \
  >"$DIR/initdb.log" 2>&1 || { echo "cluster.sh: initdb failed: $DIR/initdb.log" >&2; exit 1; }
pg_start () {
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/$1" -l "$PGDIR/$1.log" -w -t 60 \
    -o "-p $2 -k $PGDIR -c listen_addresses=127.0.0.1" start >/dev/null ||
    { echo "cluster.sh: PostgreSQL ($1) did not start: $PGDIR/$1.log" >&2; exit 1; }
}
pg_start primary "$PG1"
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG1" -U leap leap
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG1" -U leap -D "$PGDIR/replica" -X stream \
  -c fast -R >"$DIR/basebackup.log" 2>&1
pg_start replica "$PG2"
DB="postgresql://leap@127.0.0.1:$PG1/leap"
REPLICA="postgresql://leap@127.0.0.1:$PG2/leap"

# The demo users, with passwords made here and never stored elsewhere.
for user in admin cashier kiosk; do
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$DIR/$user.password")
  "$BACKEND" --database "$DB" --ticket-key "$DIR/ticket-key" --session-key "$DIR/session-key" \
    --create-user "demo-$user" --role "$user" < "$DIR/$user.password" >>"$DIR/create-users.log" 2>&1
done

# Two backends behind nginx, one after the other: the first seeds the demo.
B1=$(free_port) B2=$(free_port)
seed=--seed-demo
[ "${LEAP_CLUSTER_SEED:-yes}" = no ] && seed=""
for port in "$B1" "$B2"; do
  # shellcheck disable=SC2086
  "$BACKEND" --listen "127.0.0.1:$port" --redis "$REDIS" --database "$DB" \
    --database-replica "$REPLICA" --ticket-key "$DIR/ticket-key" --session-key "$DIR/session-key" \
    --trusted-proxy 127.0.0.1 $seed ${LEAP_CLUSTER_BACKEND_ARGS:-} > "$DIR/backend-$port.log" 2>&1 &
  pids="$pids $!"
  eval "BACKEND_PID_$port=$!"
  wait_for 30 "leap-backend on port $port" curl -sf "http://127.0.0.1:$port/readyz"
  seed=""
done
for n in 1 2; do
  "$WORKER" --redis "$REDIS" --database "$DB" --ticket-key "$DIR/ticket-key" \
    --consumer "worker-$n" > "$DIR/worker-$n.log" 2>&1 &
  pids="$pids $!"
done

NGINX=$(free_port)
mkdir -p "$DIR/nginx"
cat > "$DIR/nginx/nginx.conf" <<CONF
daemon off;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
worker_processes 1;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $DIR/nginx/body;
    proxy_temp_path $DIR/nginx/proxy;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    upstream leap_backends {
        server 127.0.0.1:$B1 max_fails=2 fail_timeout=10s;
        server 127.0.0.1:$B2 max_fails=2 fail_timeout=10s;
        keepalive 64;
    }
    map \$http_upgrade \$leap_connection {
        default upgrade;
        ''      '';
    }
    server_tokens off;
    server {
        listen 127.0.0.1:$NGINX;
        include $SRC/data/nginx/leap-proxy.conf;
        location /shop/ {
            alias $BUILD/web/shop/;
        }
    }
}
CONF
nginx -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx" &
pids="$pids $!"
wait_for 10 "nginx on port $NGINX" curl -sf "http://127.0.0.1:$NGINX/healthz"

eval "pid1=\$BACKEND_PID_$B1"
eval "pid2=\$BACKEND_PID_$B2"
ready=${LEAP_CLUSTER_READY:-$DIR/ready}
cat > "$ready.tmp" <<READY
URL=http://127.0.0.1:$NGINX
DIR=$DIR
NGINX_PORT=$NGINX
BACKEND_PORTS=$B1,$B2
BACKEND_PIDS=$pid1,$pid2
REDIS_PORTS=$REDIS1,$REDIS2
REDIS_PIDS=$REDIS_PIDS
REDIS=$REDIS
SENTINEL_PORTS=$(echo "$SENTINELS" | sed 's/127.0.0.1://g')
DATABASE=$DB
DATABASE_REPLICA=$REPLICA
ADMIN_PASSWORD_FILE=$DIR/admin.password
CASHIER_PASSWORD_FILE=$DIR/cashier.password
READY
mv "$ready.tmp" "$ready"

cat <<INFO
Leap is running as a cluster (folder $DIR):
  nginx:       http://127.0.0.1:$NGINX/api/v1/events, the web shop at /shop/
  backends:    127.0.0.1:$B1, 127.0.0.1:$B2 (workers: 2)
  Redis:       127.0.0.1:$REDIS1 (primary), 127.0.0.1:$REDIS2 (replica); $REDIS
  PostgreSQL:  $DB (replica on port $PG2)
  Sign in:     demo-cashier / $(cat "$DIR/cashier.password")
               demo-admin   / $(cat "$DIR/admin.password")
Press Ctrl-C to stop.
INFO
wait
