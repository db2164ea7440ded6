# Sourced by run.sh and test.sh: named steps with their wall time, one line each when the next step starts:
#   test.sh: step build: 312 s
# scripts/clean-room collects these lines to report where the time of a fresh-machine run goes.
steps_init() { _steps_script="$1"; _step_name=""; _step_start=0; }
_steps_close() {
  if [ -n "$_step_name" ]; then
    echo "$_steps_script: step $_step_name: $(( $(date +%s) - _step_start )) s"
  fi
}
step() {
  _steps_close
  _step_name="$1"; _step_start=$(date +%s)
  printf '\n== %s\n' "$*"
}
steps_done() { _steps_close; _step_name=""; }
