#!/bin/sh
# The layering of docs/ARCHITECTURE.md, checked on the sources and on the built trainer library:
#   trainer knows no hardware (no sim/, cost_models/, db/ or sweeps/ include, and no reference to their symbols in
#   libflight_trainer.a), and sim/ and cost_models/ know no trainer, db or sweeps.
# Usage: layering.sh SOURCE_DIR TRAINER_LIBRARY
set -u
src=$1
lib=$2
fail=0
check_includes() {  # dir, forbidden include prefixes (regex)
  hits=$(grep -rnE "#include \"flight/($2)/" "$src/$1" 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering: $1/ must not include flight/{$2}/:"
    echo "$hits"
    fail=1
  fi
}
check_includes trainer 'sim|cost_models|db|sweeps'
check_includes sim 'trainer|db|sweeps'
check_includes cost_models 'trainer|sim|db|sweeps'
syms=$(nm -C "$lib" 2>/dev/null | grep -E ' U flight::(sim|cost_models|sweeps|db)::' | sort -u)
if [ -n "$syms" ]; then
  echo "layering: $lib references symbols of sim/, cost_models/, sweeps/ or db/:"
  echo "$syms" | head -20
  fail=1
fi
if ! nm -C "$lib" >/dev/null 2>&1; then
  echo "layering: cannot read $lib with nm"
  fail=1
fi
[ $fail -eq 0 ] && echo "layering: trainer, sim and cost_models keep to their layers"
exit $fail
