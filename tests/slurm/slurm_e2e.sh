#!/bin/bash
# End-to-end test of `flight sweep slurm` against a real single-node Slurm started here, in a temporary folder:
# munged, slurmctld and slurmd with a generated configuration; a tiny grid in 2 shards is submitted with --submit;
# the merged database must equal an unsharded run of the same grid (same report).  Stops the daemons it started by
# their pid files and removes the folder.  Never reads or writes /etc/slurm or /etc/munge.
#
#   tests/slurm/slurm_e2e.sh FLIGHT_BINARY SOURCE_DIR [DATA_ROOT (default $FLIGHT_DATA)]
#
# Exit 0 pass, 1 fail, 77 skip (CTest SKIP_RETURN_CODE): Slurm or munge missing, not root, or no MNIST.
set -uo pipefail
FLIGHT=${1:?flight binary}
SRC=${2:?source dir}
DATA=${3:-${FLIGHT_DATA:-}}
skip() { echo "SKIP: $*"; exit 77; }
# The daemons cannot start in this environment (a container without the rights slurmd needs, …): not a failure of
# FLight DSE, so the test skips and shows why.
cannot_start() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -n "$DATA" ] || skip "no data root (pass it or set FLIGHT_DATA)"

for b in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$b" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  command -v "$b" >/dev/null 2>&1 || skip "$b is not installed (apt-get install slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip "slurmd must run as root to start jobs"
[ -f "$DATA/mnist/train-images-idx3-ubyte" ] || [ -f "$DATA/mnist/train-images-idx3-ubyte.gz" ] ||
  skip "no MNIST under $DATA (scripts/get-data)"
[ -f "$DATA/fashion-mnist/train-images-idx3-ubyte.gz" ] || [ -f "$DATA/fashion-mnist/train-images-idx3-ubyte" ] ||
  skip "no Fashion-MNIST under $DATA (scripts/get-data)"

T=$(mktemp -d /tmp/flight-slurm.XXXXXX)
chmod 755 "$T"
started=()
cleanup() {
  for p in slurmd slurmctld munged; do
    if [ -f "$T/$p.pid" ]; then
      pid=$(cat "$T/$p.pid")
      kill "$pid" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null
    fi
  done
  if [ "${KEEP_SLURM_TEST_DIR:-}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
t0=$(date +%s)

# munge with its own key, socket and pid file.
mkdir -p "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 700 "$T/munge"; chmod 400 "$T/munge/munge.key"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/munge.socket" --pid-file="$T/munged.pid" \
  --log-file="$T/munge/munged.log" --seed-file="$T/munge/munge.seed" || cannot_start "munged did not start: $(cat "$T/munge/munged.log" 2>/dev/null)"

HOST=$(hostname -s)
CPUS=$(nproc)
# Ports above the usual range, unlikely to clash with a real installation.
CTLD_PORT=$((20000 + RANDOM % 20000)); SLURMD_PORT=$((CTLD_PORT + 1))
mkdir -p "$T/state" "$T/spool" "$T/log"
cat > "$T/slurm.conf" <<CONF
ClusterName=flighttest
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.socket
CredType=cred/munge
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=600
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=flighttest Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$T/slurm.conf" || cannot_start "slurmctld did not start: $(tail -5 "$T/log/slurmctld.log" 2>/dev/null)"
slurmd -f "$T/slurm.conf" || cannot_start "slurmd did not start: $(tail -5 "$T/log/slurmd.log" 2>/dev/null)"
for _ in $(seq 100); do
  state=$(sinfo -h -n "$HOST" -o %t 2>/dev/null | head -1)
  [ "$state" = idle ] && break
  sleep 0.3
done
[ "$state" = idle ] || cannot_start "node not idle (state '$state'): $(tail -5 "$T/log/slurmctld.log") $(tail -5 "$T/log/slurmd.log")"

# The tiny grid (lenet-s on MNIST, and on SVHN substituted by Fashion-MNIST): one FP32 tree per shard.
GRID="$SRC/sweeps/grids/tiny.toml"
THREADS=1
OUT=$("$FLIGHT" sweep slurm "$GRID" --profile smoke --substitute svhn=fashion-mnist --shards 2 --out "$T/run" \
  --cpus-per-task $THREADS --time 00:20:00 --data-dir "$DATA" --submit) || fail "flight sweep slurm --submit failed"
echo "$OUT"
MERGE=$(echo "$OUT" | tail -1 | sed -n 's/.*"merge_job": "\([0-9]*\)".*/\1/p')
[ -n "$MERGE" ] || fail "no merge job id in the output"
for _ in $(seq 600); do
  st=$(scontrol show job "$MERGE" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
  sleep 0.5
done
[ "$st" = COMPLETED ] || fail "merge job $MERGE ended as '$st': $(cat "$T"/run/logs/*.log 2>/dev/null | tail -20)"
[ -f "$T/run/merged.sqlite" ] || fail "no merged.sqlite"
[ -f "$T/run/report.md" ] || fail "no report.md"

# The same grid unsharded, same threads: the reports must be identical.
"$FLIGHT" sweep run "$GRID" --profile smoke --substitute svhn=fashion-mnist --threads $THREADS \
  --db "$T/all.sqlite" --data-dir "$DATA" 2>"$T/all.log" >/dev/null || fail "unsharded run failed: $(tail "$T/all.log")"
"$FLIGHT" report --db "$T/all.sqlite" --out "$T/all.md" || fail "report of the unsharded run"
"$FLIGHT" report --db "$T/all.sqlite" --format csv --out "$T/all.csv" || fail "csv report of the unsharded run"
diff -u "$T/all.md" "$T/run/report.md" || fail "merged report differs from the unsharded one"
diff -u "$T/all.csv" "$T/run/report.csv" || fail "merged csv differs from the unsharded one"
done_n=$("$FLIGHT" sweep status --db "$T/run/merged.sqlite" --json | sed -n 's/.*"done":\([0-9]*\).*/\1/p')
[ "$done_n" = 7 ] || fail "expected 7 done experiments in the merged file, found '$done_n'"

# A shard re-submitted alone resumes (nothing to redo) and the merge still holds.
J=$(sbatch --parsable --array=1 "$T/run/sweep.sbatch") || fail "re-submitting shard 1"
J=${J%%;*}
for _ in $(seq 300); do
  st=$(scontrol show job "${J}" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1)
  case "$st" in COMPLETED|FAILED|CANCELLED|TIMEOUT) break ;; esac
  sleep 0.5
done
[ "$st" = COMPLETED ] || fail "re-submitted shard ended as '$st'"
grep -q "this run finished 0" "$T/run/logs/shard-1.log" || fail "the re-submitted shard reran work: $(tail -3 "$T/run/logs/shard-1.log")"

echo "PASS: 2-shard Slurm run merged equals the unsharded run ($(( $(date +%s) - t0 )) s)"
