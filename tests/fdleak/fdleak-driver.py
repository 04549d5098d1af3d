#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drives fdleak-server and counts its open descriptors in /proc/PID/fd.

Each phase opens keep-alive connections, makes requests, closes from the
client side, then polls the server's descriptor count (with a deadline)
until it is back at the baseline or the deadline passes.

  fdleak-driver.py ./fdleak-server                      # shows the leak
  fdleak-driver.py ./fdleak-server --guard --expect bounded
"""

import argparse
import os
import signal
import socket
import struct
import subprocess
import sys
import time

REQUEST = b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def poll_until(predicate, deadline_s, interval_s=0.02):
    """Calls predicate until it is true or deadline_s passes; returns its last value."""
    deadline = time.monotonic() + deadline_s
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)


class Server:
    def __init__(self, path, extra_args):
        self.proc = subprocess.Popen([path] + extra_args, stdout=subprocess.PIPE,
                                     stderr=None, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT="):
            raise SystemExit("server did not report its port: %r" % line)
        self.port = int(line.strip().split("=", 1)[1])

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock, buf=b""):
    """Reads one response; returns (status, body, rest) or None on EOF first."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    return status, rest[:length], rest[length:]


def request(sock, path="/healthz"):
    sock.sendall(REQUEST % path.encode())
    response = read_response(sock)
    if response is None or response[0] != 200:
        raise SystemExit("bad response to %s: %r" % (path, response))
    return response[1]


def settle(server, baseline, deadline_s):
    """Waits for the server to drop back to its baseline; returns the count."""
    poll_until(lambda: server.fds() <= baseline, deadline_s)
    return server.fds()


def phase_sequential(server, n):
    for _ in range(n):
        with connect(server.port) as sock:
            request(sock)


def phase_concurrent(server, n, width):
    for start in range(0, n, width):
        # Send at once: libsoup listens with a backlog of 10, so a later
        # connect may wait a second, longer than a short idle timeout.
        socks = []
        for _ in range(min(width, n - start)):
            socks.append(connect(server.port))
            socks[-1].sendall(REQUEST % b"/healthz")
        for sock in socks:
            if read_response(sock) is None:
                raise SystemExit("concurrent: no response")
            sock.close()


def phase_reset(server, n):
    # SO_LINGER 0: close () sends a RST instead of a FIN.
    for _ in range(n):
        sock = connect(server.port)
        request(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def phase_pipelined(server, n, depth):
    """Several requests in one packet, then a half-close: all must be answered."""
    answered = hung = 0
    for _ in range(n):
        with connect(server.port) as sock:
            sock.settimeout(2)
            sock.sendall((REQUEST % b"/healthz") * depth)
            sock.shutdown(socket.SHUT_WR)
            rest = b""
            try:
                while True:
                    response = read_response(sock, rest)
                    if response is None:
                        break
                    answered += 1
                    rest = response[2]
            except socket.timeout:
                hung += 1  # the server never closed its side
    return answered, hung


def phase_half_close(server, n):
    """A second request sent with the FIN: answered, then closed by the server."""
    answered = hung = 0
    for _ in range(n):
        with connect(server.port) as sock:
            sock.settimeout(2)
            request(sock)
            sock.sendall(REQUEST % b"/healthz")
            sock.shutdown(socket.SHUT_WR)
            try:
                response = read_response(sock)
                answered += response is not None and response[0] == 200
                if sock.recv(1) != b"":
                    raise SystemExit("half-close: unexpected data")
            except socket.timeout:
                hung += 1
    return answered, hung


def phase_many_requests(server, n_conns, n_requests):
    for _ in range(n_conns):
        with connect(server.port) as sock:
            for _ in range(n_requests):
                request(sock)


def closed_by_server(sock):
    try:
        return sock.recv(1) == b""
    except (BlockingIOError, socket.timeout):
        return False
    except ConnectionError:
        return True


def phase_idle(server, n, idle_timeout):
    """Connections left open by the client: with a request, and without any."""
    socks = []
    for i in range(n):
        sock = connect(server.port)
        if i % 2 == 0:
            request(sock)
        sock.setblocking(False)
        socks.append(sock)
    deadline = idle_timeout * 1.25 + 3
    start = time.monotonic()
    poll_until(lambda: all(closed_by_server(s) for s in socks), deadline, 0.1)
    closed = sum(1 for s in socks if closed_by_server(s))
    elapsed = time.monotonic() - start
    for sock in socks:
        sock.close()
    return closed, elapsed


def phase_in_flight(server, idle_timeout):
    """A paused request outlives the idle timeout and is still answered."""
    ms = int(idle_timeout * 2500) + 1000
    with connect(server.port) as fresh, connect(server.port) as reused:
        request(reused)
        for sock in (fresh, reused):
            sock.settimeout(ms / 1000 + 15)
            sock.sendall(REQUEST % ("/slow?ms=%d" % ms).encode())
        bodies = [read_response(sock) for sock in (fresh, reused)]
        # The kept-alive connection also serves a request after the slow one.
        after = request(reused)
    return all(b is not None and b[0] == 200 and b[1] == b"slow\n" for b in bodies) and after == b"ok\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--guard", action="store_true")
    parser.add_argument("--idle-timeout", type=int)
    parser.add_argument("-n", type=int, default=3000, help="sequential connections")
    parser.add_argument("--concurrent", type=int, default=1000)
    parser.add_argument("--width", type=int, default=100, help="connections open at once")
    parser.add_argument("--expect", choices=["leak", "bounded"])
    args = parser.parse_args()

    server_args = []
    if args.guard:
        server_args.append("--guard")
    if args.idle_timeout is not None:
        server_args.append("--idle-timeout=%d" % args.idle_timeout)
    server = Server(args.server, server_args)
    baseline = server.fds()
    slack = 2  # descriptors GLib may open lazily (e.g. a wakeup pipe)
    print("server %s pid %d port %d, baseline %d fds"
          % (" ".join(server_args) or "(no guard)", server.proc.pid, server.port, baseline))

    results = []

    def record(name, n_conns, extra=""):
        count = settle(server, baseline + slack, 5)
        results.append((name, n_conns, count))
        print("%-34s %6d conns -> %5d fds (%+d)%s"
              % (name, n_conns, count, count - baseline, extra), flush=True)

    t0 = time.monotonic()
    phase_sequential(server, args.n)
    rate = args.n / (time.monotonic() - t0)
    record("sequential keep-alive, client close", args.n, "  %.0f conn/s" % rate)

    phase_concurrent(server, args.concurrent, args.width)
    record("concurrent (%d at once)" % args.width, args.concurrent)

    phase_reset(server, 200)
    record("client close with RST", 200)

    phase_many_requests(server, 50, 20)
    record("20 requests per connection", 50)

    answered, hung = phase_pipelined(server, 50, 3)
    record("3 pipelined + half-close", 50,
           "  %d/150 answered, %d never closed" % (answered, hung))

    answered2, hung2 = phase_half_close(server, 50)
    record("request, then request + half-close", 50,
           "  %d/50 answered, %d never closed" % (answered2, hung2))
    answered += answered2
    hung += hung2

    ok = True
    if args.idle_timeout:
        closed, elapsed = phase_idle(server, 40, args.idle_timeout)
        record("idle, left open by client", 40,
               "  %d/40 closed by server in %.1f s" % (closed, elapsed))
        ok &= closed == 40
        in_flight = phase_in_flight(server, args.idle_timeout)
        print("paused request longer than idle timeout answered: %s" % in_flight)
        ok &= in_flight

    final = settle(server, baseline, 5)
    # Stop with connections still open, idle and mid-way: the server's
    # dispose must tear them down cleanly (the exit status shows sanitizers).
    left_open = [connect(server.port) for _ in range(10)]
    for sock in left_open[:5]:
        request(sock)
    rc = server.stop()
    for sock in left_open:
        sock.close()
    print("final %d fds (baseline %d), server exit status %d" % (final, baseline, rc))

    worst = max(count for _, _, count in results)
    if args.expect == "bounded":
        ok &= worst <= baseline + slack and rc == 0 and answered == 200 and hung == 0
    elif args.expect == "leak":
        ok &= worst >= baseline + args.n
    if args.expect:
        print("PASS" if ok else "FAIL")
    return 0 if ok or not args.expect else 1


if __name__ == "__main__":
    sys.exit(main())
