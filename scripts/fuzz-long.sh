#!/usr/bin/env bash
# `just fuzz-long`: builds every fuzz target without a sanitizer (the crates forbid `unsafe`), release with
# debug assertions, then runs each in turn from its seeds and scratch corpus (scripts/fuzz-run.sh) until
# FUZZ_LONG_RUNS executions (default 10,000,000) or its share of FUZZ_LONG_BUDGET seconds (default 3,300
# for all targets together). The targets run fastest first; each may use what is left of the budget but
# a reserve for every target after it (FUZZ_LONG_BUDGET / (2 x targets) seconds each), so the time a
# fast target does not use goes to the slower ones. Prints, per target, the executions reached, the final `cov` and `ft`, exec/s
# and crashes, and writes the same as a Markdown table to FUZZ_LONG_OUT (default target/fuzz-long.md).
# FUZZ_LONG_TARGETS (space-separated) runs only those targets. Fails when a target crashes (crash input
# under fuzz/artifacts/TARGET/, log kept) or stops short of FUZZ_LONG_RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${FUZZ_LONG_RUNS:-10000000}"
budget="${FUZZ_LONG_BUDGET:-3300}"
out="${FUZZ_LONG_OUT:-target/fuzz-long.md}"
export FUZZ_SANITIZER=none FUZZ_BUILD_ARGS="--release --debug-assertions"

# shellcheck disable=SC2086 # the build options are words
cargo +nightly fuzz build -s "$FUZZ_SANITIZER" $FUZZ_BUILD_ARGS
# Fastest first, so that the time a fast target leaves goes to the slow ones; a target not listed here
# runs last.
order="cancel_body filter jwt status_parse lifecycle graph_wire table_json"
all="$(cargo +nightly fuzz list | tr '\n' ' ')"
for target in $all; do
  if [[ " $order " != *" $target "* ]]; then order="$order $target"; fi
done
ordered=""
for target in $order; do
  if [[ " $all " == *" $target "* ]]; then ordered="$ordered $target"; fi
done
read -r -a targets <<<"${FUZZ_LONG_TARGETS:-$ordered}"

reserve=$((budget / (2 * ${#targets[@]})))
mkdir -p "$(dirname "$out")"
logs="$(mktemp -d)"
rows=()
failed=0
start="$(date +%s)"
for i in "${!targets[@]}"; do
  target="${targets[$i]}"
  left=$((${#targets[@]} - i))
  spent=$(($(date +%s) - start))
  cap=$((budget - spent - reserve * (left - 1)))
  if [ "$cap" -lt 1 ]; then cap=1; fi
  log="$logs/$target.log"
  began="$(date +%s)"
  status=0
  scripts/fuzz-run.sh "$target" -runs="$runs" -max_total_time="$cap" -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  seconds=$(($(date +%s) - began))

  final_stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
  last="$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1 || true)"
  field() { sed -n "s/.* $1: \([^ ]*\).*/\1/p" <<<"$last"; }
  executions="$(final_stat number_of_executed_units)"
  executions="${executions:-$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")}"
  executions="${executions:-0}"
  rate="$(final_stat average_exec_per_sec)"
  rate="${rate:-$(field exec/s)}"
  # libFuzzer reports 0 for a run of less than a second.
  if [ "${rate:-0}" -eq 0 ]; then rate=$((executions / (seconds > 0 ? seconds : 1))); fi
  cov="$(field cov)" ft="$(field ft)" corp="$(field corp)"
  crashes=0
  if [ "$status" -ne 0 ]; then
    crashes=1
    failed=1
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)"
    grep -A3 'panicked at' "$log" || tail -n 25 "$log"
    echo "fuzz-long $target: CRASHED (exit $status; log $log; input ${artifact:-none written})" >&2
  fi
  reached="yes"
  if [ "$executions" -lt "$runs" ]; then
    reached="no"
    failed=1
    echo "fuzz-long $target: stopped at $executions of $runs executions (cap ${cap} s)" >&2
  fi
  echo "fuzz-long $target: $executions executions in ${seconds} s (cap ${cap} s), cov ${cov:-?}," \
    "ft ${ft:-?}, ${rate:-?} exec/s, corpus ${corp:-?}, $crashes crashes"
  rows+=("| \`$target\` | $executions | $reached | $seconds | ${rate:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $crashes |")
  [ "$status" -ne 0 ] || rm -f "$log"
done
total=$(($(date +%s) - start))

{
  echo "<!-- just fuzz-long, $(date -u +%Y-%m-%dT%H:%M:%SZ): FUZZ_LONG_RUNS=$runs FUZZ_LONG_BUDGET=$budget;"
  echo "     $(rustc +nightly --version), $(cargo fuzz --version 2>/dev/null || echo cargo-fuzz), -s none --release --debug-assertions -->"
  echo
  echo "| Target | Executions | Reached $runs | Seconds | exec/s | Final \`cov\` | Final \`ft\` | Corpus (units/size) | Crashes |"
  echo "|---|---:|---|---:|---:|---:|---:|---|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "All targets: $total s."
} >"$out"
echo
cat "$out"
if [ "$failed" -ne 0 ]; then
  echo "fuzz-long: FAILED (a crash, or a target short of $runs executions; logs under $logs)" >&2
  exit 1
fi
rmdir "$logs" 2>/dev/null || true
