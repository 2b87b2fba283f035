#!/usr/bin/env bash
# The one command that installs what memkeep needs and runs every test, on a fresh Debian machine that
# has only Node.js and npm (as root). It:
#   1. runs scripts/setup.sh (bun from npm, redis-server and redis-tools from apt, node_modules);
#   2. runs `bun test` over the whole repo with MEMKEEP_TEST_SHARD_WORKERS=1;
#   3. runs the server suites again with MEMKEEP_TEST_SHARD_WORKERS=3: every *.e2e.test.ts file and every
#      test file under test/ (they start servers through test/helpers/servers.ts, which reads the
#      variable), so each suite passes with one shard worker and with several;
#   4. sums bun's " N pass" / " N fail" summary lines over the runs and prints, as its last line on
#      stdout, exactly "N passed, M failed". It exits non-zero if any test failed, a run crashed or
#      timed out, or no test ran at all.
#
# Long soak and fault suites are opt-in: MEMKEEP_LONG_TESTS=1 bash scripts/test.sh
# (suites define their long tests only when it is set; the default run stays within CI's time).
# MEMKEEP_TEST_RUN_TIMEOUT_S bounds each bun test run (default 2400 s); a run cut short counts as failed.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! bash scripts/setup.sh; then
  echo "scripts/setup.sh failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT
passed=0
failed=0
run_timeout_s=${MEMKEEP_TEST_RUN_TIMEOUT_S:-2400}

# Last number on a bun summary line such as " 12 pass", or 0.
summary_count() {
  local word=$1 log=$2 line
  line=$(grep -aE "^ *[0-9]+ ${word}\$" "$log" | tail -n 1)
  [[ -n $line ]] && echo "${line//[^0-9]/}" || echo 0
}

# run_suite LABEL SHARD_WORKERS [bun test args...]: runs bun test, its output to stderr, and adds its counts.
run_suite() {
  local label=$1 workers=$2
  shift 2
  local log="$log_dir/$label.log"
  echo "=== bun test: $label (MEMKEEP_TEST_SHARD_WORKERS=$workers)" >&2
  MEMKEEP_TEST_SHARD_WORKERS=$workers timeout --kill-after=30s "${run_timeout_s}s" \
    bun test --no-orphans --timeout 60000 "$@" 2>&1 | tee "$log" >&2
  local rc=${PIPESTATUS[0]}
  local p f e
  p=$(summary_count pass "$log")
  f=$(summary_count fail "$log")
  e=$(summary_count 'errors?' "$log")
  # A run that failed without counting a failed test (load error, crash, timeout) still counts as failed.
  if ((rc != 0 && f == 0)); then
    f=$((e > 0 ? e : 1))
    echo "=== $label: bun test exited with $rc and reported no failed test; counted as $f failed" >&2
  fi
  echo "=== $label: $p passed, $f failed" >&2
  passed=$((passed + p))
  failed=$((failed + f))
}

run_suite "all, 1 shard worker" 1

# Server suites for the second pass: *.e2e.test.ts anywhere, and test files under test/.
mapfile -t server_suites < <(
  find . -path ./node_modules -prune -o -path ./.git -prune -o -type f \
    \( -name '*.e2e.test.ts' -o -path './test/*' \) -print |
    grep -E '([._](test|spec))\.(ts|tsx|js|jsx|mjs|cjs)$' | sort -u
)
if ((${#server_suites[@]} > 0)); then
  run_suite "server suites, 3 shard workers" 3 "${server_suites[@]}"
fi

echo "${passed} passed, ${failed} failed"
if ((failed > 0 || passed == 0)); then
  exit 1
fi
