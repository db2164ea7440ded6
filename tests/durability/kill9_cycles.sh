#!/bin/bash
# Crash consistency of the sweep (docs/sweeps.md "What survives a crash"): a smoke sweep of a tiny grid is killed
# with SIGKILL at a random moment, CYCLES times, each time resumed by the same command; after every kill the
# database must pass PRAGMA integrity_check, and an experiment once done must stay done with the same result and
# finish time (never run twice).  At the end every experiment is done exactly once.
#
#   tests/durability/kill9_cycles.sh FLIGHT_BINARY SOURCE_DIR [CYCLES (default 20)] [DATA_ROOT (default $FLIGHT_DATA)]
#
# Prints one line per cycle and a summary.  Exit 0 pass, 1 fail, 77 skip (no MNIST under the data root).
set -uo pipefail
FLIGHT=${1:?flight binary}
SRC=${2:?source dir}
CYCLES=${3:-20}
DATA=${4:-${FLIGHT_DATA:-}}
PY=/usr/bin/python3
[ -n "$DATA" ] && { [ -f "$DATA/mnist/train-images-idx3-ubyte" ] || [ -f "$DATA/mnist/train-images-idx3-ubyte.gz" ]; } ||
  { echo "SKIP: no MNIST under the data root '$DATA' (scripts/get-data)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/k.sqlite"
grid="$tmp/grid.toml"
# Enough work (about a minute on 2 cores) that every kill lands in the middle of something.
cat >"$grid" <<'TOML'
name = "kill9"
seeds = [1, 2, 3, 4, 5, 6, 7, 8]
[hardware]
device = "zynq-7020"
[profiles.smoke]
sim_max_test = 100
parent = { epochs = 2, max_train = 4000, max_test = 200, lr = 0.05, batch = 32 }
child = { epochs = 1, max_train = 3000, lr = 0.01 }
[[configuration]]
dataset = "mnist"
nets = ["lenet-s"]
methods = ["fixed4", "lightnn1", "flightnn"]
lambdas = [0.5]
TOML
args=(sweep run "$grid" --profile smoke --db "$db" --jobs 2 --threads 1 --data-dir "$DATA")
run() { "$FLIGHT" "${args[@]}" >>"$tmp/log" 2>&1; }
# key|status|finished_at|md5(result) of every row, and the integrity check.
snapshot() {
  "$PY" - "$db" <<'PY'
import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
ok = c.execute("PRAGMA integrity_check").fetchone()[0]
print("integrity", ok)
for k, st, f, r in c.execute("SELECT key, status, finished_at, result FROM experiments ORDER BY key"):
    print(k, st, f, hashlib.md5((r or "").encode()).hexdigest())
PY
}
fail() { echo "FAIL: $*"; exit 1; }
declare -A done_at
kills=0
RANDOM=${KILL9_SEED:-7}
for i in $(seq 1 "$CYCLES"); do
  "$FLIGHT" "${args[@]}" >>"$tmp/log" 2>&1 &  # the flight process itself, not a subshell, gets the signal
  pid=$!
  # A random moment: after 0-2 more experiments have finished (so that finished results exist to lose), then 0.1-1.5 s
  # more, which lands during database setup, training, the hardware stage or a commit.  Waiting for finished
  # experiments, not for a fixed time, keeps the test meaningful on a slow or busy machine.
  want=$(( $(grep -c '^done ' "$tmp/log") + RANDOM % 3 ))
  while kill -0 "$pid" 2>/dev/null && [ "$(grep -c '^done ' "$tmp/log")" -lt "$want" ]; do sleep 0.1; done
  sleep "$(( RANDOM % 15 + 1 ))e-1"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null
  snap=$(snapshot) || fail "cycle $i: the database cannot be read"
  [ "$(head -1 <<<"$snap")" = "integrity ok" ] || fail "cycle $i: $(head -1 <<<"$snap")"
  n_done=0
  while read -r key st fin md5; do
    [ "$st" = done ] || { [ -z "${done_at[$key]:-}" ] || fail "cycle $i: $key was done and is now $st"; continue; }
    n_done=$((n_done + 1))
    if [ -n "${done_at[$key]:-}" ] && [ "${done_at[$key]}" != "$fin $md5" ]; then
      fail "cycle $i: $key was run twice (finish time or result changed)"
    fi
    done_at[$key]="$fin $md5"
  done < <(tail -n +2 <<<"$snap")
  echo "cycle $i: killed after $(grep -c '' "$tmp/log") log lines; integrity ok; $n_done experiments done"
done
[ "$n_done" -gt 0 ] || fail "no experiment finished in $CYCLES cycles: the kills proved nothing about finished results"
run || fail "the final resume failed: $(tail -3 "$tmp/log")"
snap=$(snapshot)
[ "$(head -1 <<<"$snap")" = "integrity ok" ] || fail "final: $(head -1 <<<"$snap")"
total=0; finished=0; twice=0
while read -r key st fin md5; do
  total=$((total + 1))
  case "$st" in done|skipped) finished=$((finished + 1)) ;; esac
  if [ "$st" = done ] && [ -n "${done_at[$key]:-}" ] && [ "${done_at[$key]}" != "$fin $md5" ]; then twice=$((twice + 1)); fi
done < <(tail -n +2 <<<"$snap")
[ "$twice" -eq 0 ] || fail "$twice experiment(s) run twice"
[ "$finished" -eq "$total" ] || fail "$((total - finished)) of $total experiments not finished after the last resume"
echo "PASS: $CYCLES cycles ($kills kills landed), $total experiments finished exactly once, integrity ok after every kill"
