#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need, on Debian 12 as
# root (or with sudo). Idempotent: a second run only checks.
#   --no-test-deps   skip what only the tests need: the Python virtualenv of the
#                    end-to-end tests, clang 16 for the thread-safety check, and
#                    chromium + playwright-core for the web console test
set -euo pipefail
cd "$(dirname "$0")/.."

want_test_deps=1
[[ "${1:-}" == "--no-test-deps" ]] && want_test_deps=0

sudo_cmd=()
[[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)

debs=(build-essential cmake ninja-build pkg-config git curl ca-certificates
      libcli11-dev libprotobuf-dev libprotoc-dev protobuf-compiler libsqlite3-dev sqlite3
      libcpp-httplib-dev libhttp-parser-dev libssl-dev zlib1g-dev libbrotli-dev
      nlohmann-json3-dev libfmt-dev catch2 libyaml-cpp-dev clang-format librdkafka-dev
      python3 python3-venv)
# The checks of scripts/test.sh: clang 16 for the thread-safety analysis
# (scripts/check-thread-safety.sh says why not Debian's default clang 14).
# The web console's browser test (tests/e2e/test_web_console.py): Debian's
# chromium, driven headless by playwright-core (tests/e2e/browser/).
((want_test_deps)) && debs+=(clang-16 chromium)
# The parity suite (tests/parity) runs the real Flink StateFun engine: a JDK
# for it and Maven to fetch its jars; it fails, not skips, without them.
((want_test_deps)) && debs+=(openjdk-17-jdk-headless maven)
missing=()
for pkg in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js: keep a newer one that is already installed (nvm, nodesource, ...).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Official StateFun JS SDK (pinned by package-lock.json) for the samples and tests.
# playwright-core (pinned the same way) drives chromium in the console's test.
dirs=(samples/greeter samples/greeter-kafka samples/shopping-cart tests/e2e/functions)
((want_test_deps)) && dirs+=(tests/e2e/browser)
for dir in "${dirs[@]}"; do
  if [[ -f $dir/package-lock.json && ! -f $dir/node_modules/.package-lock.json ]]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

# Python: pytest and the official Python SDK, pinned in tests/requirements.txt.
if ((want_test_deps)); then
  if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
  fi
  stamp=.venv/.requirements.sha
  sum=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$sum" ]]; then
    echo "setup: pip install -r tests/requirements.txt"
    .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
    echo "$sum" > "$stamp"
  fi
fi
