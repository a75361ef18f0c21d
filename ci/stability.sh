#!/usr/bin/env bash
# Runs the whole test suite N times in a row (default 20) while another process keeps one core busy, and stops
# at the first failure. Usage: ci/stability.sh [N]. Logs go to target/stability/run-<i>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
mkdir -p target/stability
# keep one core busy for the whole time
( while :; do :; done ) &
burner=$!
trap 'kill "$burner" 2>/dev/null || true' EXIT
./mvnw -B -q -o install -DskipTests -Dspotless.check.skip=true > target/stability/build.log 2>&1
passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if ./mvnw -B -o verify -Dspotless.check.skip=true > "target/stability/run-$i.log" 2>&1; then
    passed=$((passed + 1))
    echo "run $i: passed in $(( $(date +%s) - start )) s"
  else
    echo "run $i: FAILED in $(( $(date +%s) - start )) s; see target/stability/run-$i.log"
    grep -E 'Tests run:.*(Failures|Errors): [1-9]|FAIL' "target/stability/run-$i.log" | head -20 || true
    echo "$passed passed, 1 failed"
    exit 1
  fi
done
echo "$passed passed, 0 failed"
