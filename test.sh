#!/usr/bin/env bash
# FLight DSE quick start, step 2 of 2: install what is missing, build, run the whole CTest suite.
#   ./test.sh [ctest arguments...]      e.g. ./test.sh -L unit   or   ./test.sh -R Cli
# The real-data tests (label `realdata`) read $FLIGHT_DATA (default ./data, filled by scripts/get-data); when the
# data cannot be fetched they skip and say why, and everything else still runs.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
. scripts/lib/steps.sh
steps_init test.sh

step install
scripts/install-deps all
# Slurm for the single-node Slurm test (label slurm); it skips with a reason when this fails.
scripts/install-deps slurm || echo "test.sh: Slurm could not be installed; the Slurm test will skip" >&2
step build
scripts/build
scripts/build-fuzz   # the libFuzzer targets (clang, ASan + UBSan) that the CTest label fuzz runs
step data
export FLIGHT_DATA="${FLIGHT_DATA:-$repo/data}"
scripts/get-data "$FLIGHT_DATA" || echo "test.sh: scripts/get-data failed; the real-data tests will skip" >&2
step tests
cd "${FLIGHT_BUILD_DIR:-build}"
status=0
# ctest-results.xml (JUnit) keeps every test's output, the reasons of skipped tests included.
ctest --output-on-failure --parallel "$(nproc)" --timeout 1800 --output-junit ctest-results.xml "$@" || status=$?
steps_done
exit $status
