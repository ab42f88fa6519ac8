#!/usr/bin/env bash
# The one test command: bash scripts/test.sh
# Installs what is missing (scripts/install-test-deps.sh, scripts/setup-engine.sh), builds and type-checks the
# extension, then runs every suite and prints a summary; exits non-zero when any step fails.
#   build        npm run build + npm run typecheck (tsc per target: common, extension, webview, tests) +
#                npm run lint (ESLint import walls) + prettier --check + ruff check + ruff format --check (engine/)
#                + node test/build.mjs (tests into out/test/);
#                a lint finding fails the step
#   pytest       engine/tests (Python engine; real torch, tiny sizes)
#   unit         test/unit (node:test, plain Node)
#   webview      test/webview/**/*.test.ts (mocha + playwright-core + Debian Chromium; test/support/browser.ts)
#   integration  test/integration (mocha inside code-server 4.100.3's real extension host, driven by Chromium)
# Each suite's full output is shown and kept in test-results/<suite>.log; screenshots and run folders of the
# integration tests land in test-results/integration/. Run one suite: bash scripts/test.sh pytest unit ...
# Environment: WSSS_SHARED_DIR (default ../shared), WSSS_SKIP_INSTALL=1 (skip both installers).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export WSSS_REPO_ROOT="$ROOT"
export WSSS_SHARED_DIR="${WSSS_SHARED_DIR:-$(cd "$ROOT/.." && pwd)/shared}"
RESULTS="$ROOT/test-results"
mkdir -p "$RESULTS"
PY="$ROOT/.venv/bin/python"
ALL_SUITES=(build pytest unit webview integration)
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=("${ALL_SUITES[@]}")

declare -a NAMES=() STATUS=() SECONDS_TAKEN=() DETAILS=()
TESTS_PASSED=0; TESTS_FAILED=0
T_START=$(date +%s)

banner() { printf '\n==================== %s ====================\n' "$*"; }

# record NAME STATUS SECONDS DETAIL
record() { NAMES+=("$1"); STATUS+=("$2"); SECONDS_TAKEN+=("$3"); DETAILS+=("$4"); }

# run_suite NAME COMMAND...: runs it with output shown and kept in test-results/NAME.log.
run_suite() {
  local name="$1"; shift
  local log="$RESULTS/$name.log" t rc p f
  banner "$name: $*"
  t=$(date +%s)
  "$@" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  local took=$(( $(date +%s) - t ))
  read -r p f < <(counts_of "$name" "$log")
  TESTS_PASSED=$((TESTS_PASSED + p)); TESTS_FAILED=$((TESTS_FAILED + f))
  local tests=""
  [ "$name" = build ] || tests="tests: $p passed, $f failed"
  if [ "$rc" -eq 0 ]; then record "$name" passed "$took" "$tests"
  else record "$name" FAILED "$took" "exit $rc; $tests"; fi
  return "$rc"
}

# count_in "LINE" WORD: the number before WORD in LINE ("3 passed" -> 3), else 0.
count_in() { local n; n=$(grep -oE "[0-9]+ $2" <<<"$1" | head -n1 | cut -d' ' -f1); echo "${n:-0}"; }

# "PASSED FAILED" test counts from a suite's log (0 0 where the runner printed none).
counts_of() {
  local name="$1" log="$2" p=0 f=0
  case "$name" in
    pytest)
      local line; line=$(grep -E '(passed|failed|errors?|skipped|no tests ran).* in [0-9.]+s' "$log" | tail -n1)
      p=$(count_in "$line" passed)
      f=$(( $(count_in "$line" failed) + $(count_in "$line" 'errors?') )) ;;
    unit)
      p=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -n1 | awk '{print $3}')
      f=$(grep -E '^ℹ fail [0-9]+' "$log" | tail -n1 | awk '{print $3}') ;;
    webview)
      p=$(grep -E '^ +[0-9]+ passing' "$log" | tail -n1 | awk '{print $1}')
      f=$(grep -E '^ +[0-9]+ failing' "$log" | tail -n1 | awk '{print $1}') ;;
    integration)
      local line; line=$(grep -E '^integration: ' "$log" | tail -n1)
      p=$(count_in "$line" passed)
      f=$(count_in "$line" failed) ;;
  esac
  echo "${p:-0} ${f:-0}"
}

wants() { local s; for s in "${SUITES[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

build_all() {
  npm run build && npm run typecheck && npm run lint && npm run format:check && (cd engine && "$PY" -m ruff check . && "$PY" -m ruff format --check .) && node test/build.mjs
}

webview_tests() {
  local files sources
  mapfile -t files < <(find out/test/webview -name '*.test.js' 2>/dev/null | sort)
  sources=$(find test/webview -name '*.test.ts' 2>/dev/null | wc -l)
  if [ ${#files[@]} -lt "$sources" ]; then echo "only ${#files[@]} of $sources test/webview files compiled: see the build step"; return 1; fi
  if [ ${#files[@]} -eq 0 ]; then echo "no test/webview/**/*.test.ts"; return 0; fi
  node --enable-source-maps node_modules/mocha/bin/mocha.js --reporter spec --timeout 120000 "${files[@]}"
}

if [ "${WSSS_SKIP_INSTALL:-0}" != 1 ]; then
  banner "install: scripts/install-test-deps.sh, scripts/setup-engine.sh"
  t=$(date +%s)
  if bash scripts/install-test-deps.sh </dev/null && bash scripts/setup-engine.sh </dev/null; then
    record install passed $(( $(date +%s) - t )) ""
  else
    record install FAILED $(( $(date +%s) - t )) "see the output above"
  fi
fi

# unit (the .vsix test packages dist/), webview and integration run compiled code: build first even when not asked for.
if ! wants build && { wants unit || wants webview || wants integration; }; then SUITES=(build "${SUITES[@]}"); fi
wants build && run_suite build build_all
wants pytest && run_suite pytest "$PY" -m pytest engine/tests -q -p no:cacheprovider
wants unit && run_suite unit npm run --silent test:unit
wants webview && run_suite webview webview_tests
wants integration && run_suite integration node --enable-source-maps out/test/integration/runTests.js

banner "summary ($(( $(date +%s) - T_START )) s in all; logs and screenshots in test-results/)"
passed=0; failed=0
for i in "${!NAMES[@]}"; do
  printf '  %-12s %-7s %5ss  %s\n' "${NAMES[$i]}" "${STATUS[$i]}" "${SECONDS_TAKEN[$i]}" "${DETAILS[$i]}"
  if [ "${STATUS[$i]}" = passed ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "tests: $TESTS_PASSED passed, $TESTS_FAILED failed (as counted by each runner)"
echo "steps: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
