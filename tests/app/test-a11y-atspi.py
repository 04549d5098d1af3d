#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
# The accessibility tree as a screen reader gets it: starts the box
# office with GTK_A11Y=atspi on a private D-Bus session (dbus-run-session;
# the session bus starts the accessibility bus and its registry), reads the tree over AT-SPI and fails on any control
# without a name, or whose name shows a mnemonic underscore or says the
# same thing twice. Then the kiosk (--kiosk, signed in to a real
# leap-backend and redis-server, $LEAP_BACKEND) page by page: start,
# events, tickets, each reached with AT-SPI's "click" action. Usage:
# test-a11y-atspi.py LEAP_BOXOFFICE (on a display; it starts the private
# session itself).
import os
import ctypes
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

try:
    import gi
    gi.require_version('Atspi', '2.0')
    from gi.repository import Atspi, GLib
except (ImportError, ValueError) as e:
    print('1..0 # SKIP no AT-SPI for Python (%s)' % e)
    sys.exit(0)

CONTROLS = {'push button', 'toggle button', 'check box', 'radio button', 'combo box', 'entry',
            'text', 'password text', 'spin button', 'page tab', 'slider', 'link', 'switch',
            'menu item'}


def find_app(name, deadline):
    while time.time() < deadline:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_name() == name:
                # The window must be there, with its widgets.
                if app.get_child_count() > 0:
                    return app
        time.sleep(0.2)
    return None


def walk(obj, path, out):
    role = obj.get_role_name()
    here = path + '/' + role
    if role in CONTROLS:
        out.append((here, role, obj.get_name() or ''))
    for i in range(obj.get_child_count()):
        child = obj.get_child_at_index(i)
        if child is not None:
            walk(child, here, out)


def problem(name):
    if not name.strip():
        return 'no name'
    if re.search(r'(^|\s)_\w', name):
        return 'a mnemonic underscore in the name'
    words = name.split()
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        return 'the name twice'
    return None


def find_app_of(pid):
    """The application of process @pid on the AT-SPI desktop, if there."""
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        try:
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_process_id() == pid and app.get_child_count() > 0:
                return app
        except GLib.Error:
            continue    # an application that has just gone
    return None


def walk_all(obj, path, out):
    role = obj.get_role_name()
    here = path + '/' + role
    if role in CONTROLS:
        out.append((here, role, obj.get_name() or '', obj))
    for i in range(obj.get_child_count()):
        child = obj.get_child_at_index(i)
        if child is not None:
            walk_all(child, here, out)


def wait_for(what, deadline):
    while time.time() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    return None


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
        return True
    except OSError:
        return False


def die_with_parent():
    """The servers end with this script even when it is killed (a test
    timeout): PR_SET_PDEATHSIG, as the C tests' harness does."""
    try:
        ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


class Stack:
    """redis-server and leap-backend (demo catalogue, a kiosk account) on
    free loopback ports, as tests/app/leap-test-utils.c starts them."""

    def __init__(self, folder):
        self.processes = []
        backend = os.environ.get('LEAP_BACKEND')
        redis_server = shutil.which('redis-server')
        if not backend or not os.access(backend, os.X_OK) or not redis_server:
            raise FileNotFoundError('leap-backend or redis-server is missing')
        rport, bport = free_port(), free_port()
        self.processes.append(subprocess.Popen(
            [redis_server, '--port', str(rport), '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'no', '--dir', folder], stdout=subprocess.DEVNULL,
            preexec_fn=die_with_parent))
        if not wait_for(lambda: port_open(rport), time.time() + 20):
            raise RuntimeError('redis-server does not listen')
        redis, database = '127.0.0.1:%d' % rport, 'sqlite:%s/leap.db' % folder
        subprocess.run([backend, '--database', database, '--redis', redis, '--create-user',
                        'kiosk-1', '--role', 'kiosk'], input='kiosk-42\n', text=True,
                       check=True, capture_output=True)
        self.processes.append(subprocess.Popen(
            [backend, '--listen', '127.0.0.1:%d' % bport, '--redis', redis, '--database',
             database, '--seed-demo'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent))
        if not wait_for(lambda: port_open(bport), time.time() + 20):
            raise RuntimeError('leap-backend does not listen')
        self.url = 'http://127.0.0.1:%d' % bport
        self.password_file = os.path.join(folder, 'password')
        with open(self.password_file, 'w') as f:
            f.write('kiosk-42\n')

    def stop(self):
        for p in reversed(self.processes):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def kiosk_pages(program, env, home):
    """The kiosk read over AT-SPI page by page: start, events, a show's
    tickets, each reached with AT-SPI's own "click" action on the named
    controls, as a screen reader user would. Each page must offer its own
    controls, named, and none of the other pages' (the kiosk marks the
    pages not shown hidden: GTK 4.8 would export them too). Returns
    (ok, why), ok None when skipped."""
    try:
        stack = Stack(home)
    except FileNotFoundError as e:
        return None, str(e)
    app_process = None
    try:
        app_process = subprocess.Popen(
            [program, '--kiosk', '--server', stack.url, '--user', 'kiosk-1',
             '--password-file', stack.password_file], env=env)
        deadline = time.time() + 40
        problems = []

        def controls():
            out = []
            try:
                app = find_app_of(app_process.pid)
                if app is not None:
                    walk_all(app, '', out)
            except GLib.Error:
                return []   # asked while the tree changed; ask again
            return out

        def named(name):
            return [c for c in controls() if c[2] == name]

        def check(step, found):
            for path, role, name, _ in found:
                why = problem(name)
                if why:
                    problems.append('%s: %s %r: %s (%s)' % (step, role, name, why, path))
            print('# kiosk %s: %d controls' % (step, len(found)))

        def expect(step, found, wanted, unwanted=()):
            check(step, found)
            names = {c[2] for c in found}
            for name in sorted(set(wanted) - names):
                problems.append('%s: missing control %r' % (step, name))
            for name in sorted(set(unwanted) & names):
                problems.append('%s: %r of another page is offered' % (step, name))

        start = wait_for(lambda: named('Tickets. Touch to start'), deadline)
        if not start:
            return False, 'no start button named "Tickets. Touch to start"'
        # Only the page shown is in the tree: no Back, no Pay by card.
        expect('start', controls(), {'Tickets. Touch to start', 'English', 'Deutsch', 'Français'},
               {'Back', 'Pay by card', 'Done'})

        # Touch to start, until the kiosk is signed in and the server
        # answers (the unavailable page has no controls).
        def to_events():
            found = controls()
            shows = [c for c in found if ', ' in c[2] and c[1] == 'push button']
            if shows:
                return shows
            for c in found:
                if c[2] == 'Tickets. Touch to start':
                    c[3].do_action(0)
            return None
        shows = wait_for(to_events, deadline)
        if not shows:
            return False, 'the events page did not come'
        expect('events', controls(), {'Back'}, {'Tickets. Touch to start', 'Pay by card', 'Done'})

        shows[0][3].do_action(0)
        tiers = wait_for(lambda: [c for c in controls() if c[2].endswith(' ticket more')], deadline)
        if not tiers:
            return False, 'the tickets page did not come'
        tiers[0][3].do_action(0)
        found = controls()
        # The pay button says "Reserving your tickets…" while the ticket
        # just added is being held, then "Pay by card".
        for c in found:
            if c[2] == 'Reserving your tickets…':
                found.append((c[0], c[1], 'Pay by card', c[3]))
        expect('tickets', found, {'Back', 'Pay by card'}, {'Tickets. Touch to start', 'Done'})
        if not any(c[2].endswith(' ticket less') for c in found):
            problems.append('tickets: no "ticket less" button')
        for p in problems:
            print('# ' + p)
        return not problems, '%d problems' % len(problems)
    finally:
        if app_process is not None:
            app_process.terminate()
            try:
                app_process.wait(10)
            except subprocess.TimeoutExpired:
                app_process.kill()
                app_process.wait()
        stack.stop()


def main():
    program = sys.argv[1]
    home = tempfile.mkdtemp(prefix='leap-a11y-')
    env = dict(os.environ, GTK_A11Y='atspi', HOME=home, XDG_CACHE_HOME=home + '/cache',
               XDG_DATA_HOME=home + '/data', XDG_CONFIG_HOME=home + '/config')
    env.pop('NO_AT_BRIDGE', None)
    print('1..3')
    # xvfb-run's server can still be starting (or a previous one going) on
    # a loaded machine: start the program again if it could not open the
    # display, until the deadline.
    deadline = time.time() + 30
    app_process = subprocess.Popen([program, '--server', 'http://127.0.0.1:9'], env=env)
    app = None
    try:
        while app is None and time.time() < deadline:
            if app_process.poll() is not None:
                time.sleep(0.5)
                app_process = subprocess.Popen([program, '--server', 'http://127.0.0.1:9'], env=env)
            app = find_app('leap-boxoffice', min(deadline, time.time() + 3))
        if app is None:
            print('not ok 1 the box office shows on the accessibility bus')
            print('not ok 2 every control has a name # SKIP no tree')
            print('not ok 3 the kiosk\'s pages have named controls # SKIP no tree')
            return 1
        print('ok 1 the box office shows on the accessibility bus')
        controls = []
        walk(app, '', controls)
        failures = [(p, r, n, problem(n)) for (p, r, n) in controls if problem(n)]
        for path, role, name, why in failures:
            print('# %s %r: %s (%s)' % (role, name, why, path))
        print('# %d controls' % len(controls))
        names = {n for (_, _, n) in controls}
        # The tree is the window's: its views and the cart are in it.
        wanted = {'Search events', 'Sell', 'Orders', 'Check-in', 'Shift', 'Pay cash',
                  'Pay by card', 'Hold Tickets', 'Ticket code'}
        missing = wanted - names
        for name in sorted(missing):
            print('# missing control %r' % name)
        ok = not failures and not missing and len(controls) >= 20
        print('%s 2 every control has a name' % ('ok' if ok else 'not ok'))
    finally:
        app_process.terminate()
        try:
            app_process.wait(10)
        except subprocess.TimeoutExpired:
            app_process.kill()
            app_process.wait()
        subprocess.run(['rm', '-rf', home])
    # The kiosk, in a program of its own on the same bus.
    kiosk_home = tempfile.mkdtemp(prefix='leap-a11y-kiosk-')
    try:
        kiosk_env = dict(env, HOME=kiosk_home, XDG_CACHE_HOME=kiosk_home + '/cache',
                         XDG_DATA_HOME=kiosk_home + '/data',
                         XDG_CONFIG_HOME=kiosk_home + '/config')
        kiosk_ok, why = kiosk_pages(program, kiosk_env, kiosk_home)
        if kiosk_ok is None:
            print('ok 3 the kiosk\'s pages have named controls # SKIP %s' % why)
        else:
            print('%s 3 the kiosk\'s pages have named controls (%s)'
                  % ('ok' if kiosk_ok else 'not ok', why))
    finally:
        subprocess.run(['rm', '-rf', kiosk_home])
    return 0 if ok and kiosk_ok is not False else 1


def outer():
    """Runs the test on a private D-Bus session; the daemons started on it
    write to its output too, so what is not TAP becomes a TAP comment."""
    run = subprocess.run(['dbus-run-session', '--', sys.executable, __file__, '--inner']
                         + sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=220)
    for line in run.stdout.splitlines():
        if re.match(r'^(1\.\.\d|ok |not ok |#)', line):
            print(line)
        elif line.strip():
            print('# ' + line)
    return run.returncode


if len(sys.argv) > 1 and sys.argv[1] == '--inner':
    del sys.argv[1]
    sys.exit(main())
sys.exit(outer())
