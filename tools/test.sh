#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what Leap needs, builds it twice (gcc, then clang with
# AddressSanitizer + UndefinedBehaviorSanitizer) and runs the whole test suite
# in both. Ends with one line: "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
sh tools/deps.sh || exit 1

jobs=$(nproc 2>/dev/null || echo 2)
status=0

build () { # dir, meson options...
  dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" || return 1
  fi
  ninja -C "$dir" -j "$jobs" || return 1
}

run_tests () { # dir, extra meson test options...
  dir=$1; shift
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
}

if build _build-ci -Dwerror=true; then
  run_tests _build-ci
else
  echo "Build failed (gcc)"; status=1
fi

# --- Security suite: libFuzzer harnesses (fuzz/, docs/security.md) --------
# The sanitizer build below also builds the harnesses in fuzz/; each runs as
# a test of the suite "fuzz" for LEAP_FUZZ_SECONDS (default 20; four
# harnesses at most, under two minutes in all), so they count in the line at
# the end. LEAP_FUZZ=0 leaves them out. The setup here repeats the options of
# the sanitizer build below: keep the two the same.
if [ "${LEAP_FUZZ:-1}" != 0 ]; then fuzz_option=-Dfuzz=true; else fuzz_option=-Dfuzz=false; fi
if [ -f _build-asan/build.ninja ]; then
  meson setup --reconfigure _build-asan "$fuzz_option" >/dev/null || status=1
else
  CC=clang meson setup _build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug \
    "$fuzz_option" || status=1
fi
# --- end of the security suite block ------------------------------------------

# clang's sanitizers: ASan + UBSan, every UB report fatal. The libproxy GIO
# module aborts under ASan, so tests use the dummy resolver (meson's test
# environment sets it). Leak checking is on for every process the tests start
# (subprocesses inherit these); tools/lsan.supp lists the allocations that
# third-party libraries keep for the life of the process (GLib's type system
# is still reachable at exit, so LeakSanitizer does not report it).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export LSAN_OPTIONS="suppressions=$(pwd)/tools/lsan.supp:print_suppressions=0"
# GDK opens EGL with the display even though the tests draw with cairo
# (GSK_RENDERER=cairo); Mesa's driver leaks a buffer and is unloaded before
# the leak check, so no suppression can name it: keep GL out altogether.
export GDK_DEBUG=gl-disable
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if CC=clang build _build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
  run_tests _build-asan --timeout-multiplier 3
else
  echo "Build failed (clang with sanitizers)"; status=1
fi

# Counts every subtest of the TAP tests, and each other test once; a test
# binary that died before its plan was done counts its missing cases. A skip
# is counted apart, never as a pass.
python3 - <<'PY'
import json, os, re
passed = failed = skipped = 0
for d in ("_build-ci", "_build-asan"):
    path = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        failed += 1
        continue
    for line in open(path):
        if not line.strip():
            continue
        r = json.loads(line)
        result = r.get("result")
        out = r.get("stdout") or ""
        plan = re.search(r"^1\.\.(\d+)", out, re.M)
        if plan is None:
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
            continue
        skips = len(re.findall(r"^ok .*# *SKIP", out, re.M | re.I))
        good = len(re.findall(r"^ok ", out, re.M)) - skips
        bad = len(re.findall(r"^not ok ", out, re.M))
        missing = max(0, int(plan.group(1)) - good - bad - skips)
        if result not in ("OK", "EXPECTEDFAIL", "SKIP") and bad + missing == 0:
            bad = 1
        if result == "SKIP" and good + bad + skips == 0:
            skips = 1  # the whole binary skipped ("1..0 # SKIP …")
        passed += good
        skipped += skips
        failed += bad + missing
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
