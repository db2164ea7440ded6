#!/usr/bin/env bash
# FLight DSE quick start, step 1 of 2: install what is missing, build, get the data, run the main job.
#   ./run.sh [--data-dir DIR]
# Until the sweep lands, the main job is `flight data info` for every data set (see README.md).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
data_dir="${FLIGHT_DATA:-data}"
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (expected --data-dir DIR)" >&2; exit 2 ;;
  esac
done
step() { printf '\n== %s\n' "$*"; }

step "dependencies";  scripts/install-deps all
step "build";         scripts/build
step "data ($data_dir)"; scripts/get-data "$data_dir"
step "data sets"
flight=build/sweeps/flight
"$flight" data list --data-dir "$data_dir"
status=0
for ds in mnist fashion-mnist cifar10 cifar100 svhn; do
  echo
  "$flight" data info "$ds" --data-dir "$data_dir" || { rc=$?; [ "$ds" = svhn ] && [ $rc = 2 ] || status=$rc; }
done
exit $status
