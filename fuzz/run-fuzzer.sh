#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run-fuzzer.sh FUZZER SEED_DIR [DICT]
# Runs one libFuzzer harness for LEAP_FUZZ_SECONDS (default 20) from its seed
# corpus. New inputs go to a scratch folder, never into the source tree; an
# input that crashes is kept in LEAP_FUZZ_ARTIFACTS (default: fuzz/artifacts
# in the build folder) to replay with `FUZZER FILE`. Exits non-zero on any
# crash, sanitizer report, timeout or out-of-memory.
set -u
fuzzer=$1
seeds=$2
dict=${3:-}
name=$(basename "$fuzzer")
seconds=${LEAP_FUZZ_SECONDS:-20}
artifacts=${LEAP_FUZZ_ARTIFACTS:-$(dirname "$fuzzer")/artifacts}

# GLib keeps its type system and quarks for the life of the process: leak
# checking stays off unless asked for.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

mkdir -p "$artifacts" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

set -- -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$artifacts/$name-"
if [ -n "$dict" ] && [ -f "$dict" ]; then
  set -- "$@" -dict="$dict"
fi
echo "$name: ${seconds}s from $seeds"
"$fuzzer" "$@" "$work" "$seeds"
rc=$?
if [ $rc -ne 0 ]; then
  echo "$name failed ($rc); the input is in $artifacts/" >&2
fi
exit $rc
