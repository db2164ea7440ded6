#!/usr/bin/env bash
# FLight DSE quick start, step 2 of 2: install what is missing, build, run the whole CTest suite.
#   ./test.sh [ctest arguments...]      e.g. ./test.sh -L unit   or   ./test.sh -R Cli
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
scripts/install-deps all
scripts/build
cd "${FLIGHT_BUILD_DIR:-build}"
ctest --output-on-failure --parallel "$(nproc)" --timeout 1800 "$@"
