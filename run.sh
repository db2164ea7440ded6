#!/usr/bin/env bash
# FLight DSE quick start, step 1 of 2: install what is missing, build, get the data, run the paper grid and write
# the results database, the report and the figures.
#   ./run.sh [--profile quick|reference|paper|smoke] [--data-dir DIR] [--jobs J] [--threads T]
# quick (default): the 54 experiments of sweeps/grids/paper46.toml on training subsets, ~15 min on 2 cores →
#   results/paper46.sqlite, results/report.md, results/figures/.  paper: full training (many hours) → results/paper/.
# Interrupted?  Run the same command again: finished experiments are kept, the rest resumes.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$repo"
data_dir="${FLIGHT_DATA:-data}"
profile=quick
jobs="$(nproc)"
threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir="$2"; shift 2 ;;
    --profile) profile="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (expected --profile, --data-dir, --jobs or --threads)" >&2; exit 2 ;;
  esac
done
case "$profile" in
  quick) out=results ;;
  reference|paper|smoke) out="results/$profile" ;;
  *) echo "run.sh: --profile: unknown profile '$profile' (expected quick, reference, paper or smoke)" >&2; exit 2 ;;
esac
. scripts/lib/steps.sh
steps_init run.sh

step install; scripts/install-deps all
step build;   scripts/build
step data "($data_dir)"; scripts/get-data "$data_dir"
flight=build/sweeps/flight
"$flight" data list --data-dir "$data_dir"

subst=()
if ! "$flight" data info svhn --data-dir "$data_dir" >/dev/null 2>&1; then
  echo
  echo "run.sh: SVHN is not on this machine: its configurations run on Fashion-MNIST instead (--substitute"
  echo "run.sh: svhn=fashion-mnist); the report labels them svhn→fashion-mnist."
  subst=(--substitute svhn=fashion-mnist)
fi

step sweep "paper grid, profile $profile: $jobs job(s) × $threads thread(s) → $out/paper46.sqlite"
mkdir -p "$out"
status=0
"$flight" sweep run sweeps/grids/paper46.toml --profile "$profile" "${subst[@]}" --db "$out/paper46.sqlite" \
  --jobs "$jobs" --threads "$threads" --data-dir "$data_dir" || status=$?
if [ $status = 130 ]; then echo "run.sh: interrupted; run the same command again to resume" >&2; exit 130; fi

step report "→ $out/report.md"
"$flight" report --db "$out/paper46.sqlite" --out "$out/report.md"
"$flight" report --db "$out/paper46.sqlite" --format csv --out "$out/report.csv"
sed -n '/^## The paper/,$p' "$out/report.md"

step figures "→ $out/figures/"
/usr/bin/python3 plots/make_figures.py "$out/paper46.sqlite" --out "$out/figures"
steps_done
exit $status
