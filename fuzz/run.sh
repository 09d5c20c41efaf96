#!/bin/sh
# Runs every fuzz target (or those named in FUZZ_TARGETS) for FUZZ_SECONDS each (or until
# FUZZ_RUNS executions, when set, whichever comes first), with debug
# assertions (overflow checks) on, from fuzz/seeds/<t> and fuzz/corpus/<t> (new inputs go to
# the corpus), then prints per target the executions, coverage and the result.
# `fuzz/run.sh cmin` minimizes each corpus instead: cargo fuzz cmin with libFuzzer's greedy set
# cover over edge coverage only (hit counts and comparisons left out), which keeps a corpus
# to a few hundred files at most.
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
RSS_MB=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-10}
RUNS=${FUZZ_RUNS:+-runs=$FUZZ_RUNS}
TARGETS=${FUZZ_TARGETS:-$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^xfollow-fuzz$')}
LOGS=build/fuzz
mkdir -p "$LOGS"
cargo +nightly fuzz build -a || exit 1

if [ "${1:-run}" = cmin ]; then
  for t in $TARGETS; do
    cargo +nightly fuzz cmin -a "$t" "fuzz/corpus/$t" -- -set_cover_merge=1 -use_counters=0 -use_cmp=0 \
      -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
      >"$LOGS/$t.cmin.log" 2>&1 || { echo "$t: cmin failed (see $LOGS/$t.cmin.log)"; exit 1; }
    echo "$t: $(ls "fuzz/corpus/$t" | wc -l) corpus files"
  done
  exit 0
fi

failed=""
for t in $TARGETS; do
  mkdir -p "fuzz/corpus/$t"
  cargo +nightly fuzz run -a "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" $RUNS -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
    -print_final_stats=1 >"$LOGS/$t.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOGS/$t.log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$LOGS/$t.log" | tail -n 1)
  secs=$(sed -n 's/^stat::slowest_unit_time_sec.*//; s/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$LOGS/$t.log" | tail -n 1)
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (see $LOGS/$t.log)"; failed="$failed $t"; fi
  echo "$t: executions ${execs:-?}, ${cov:-cov: ?}, ${secs:-$SECONDS_EACH} s: $result"
done
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
