#!/usr/bin/env bash
# Runs one fuzz target from its seeds (fuzz/seeds/TARGET) into its scratch corpus (fuzz/corpus/TARGET),
# with its dictionary when there is one (fuzz/dicts/TARGET.dict):
#
#   scripts/fuzz-run.sh TARGET [LIBFUZZER_FLAG...]
#
# FUZZ_SANITIZER picks the sanitizer (default address); FUZZ_BUILD_ARGS adds cargo-fuzz build options
# (e.g. "--release --debug-assertions"), which must match the build's so that nothing is rebuilt.
# `just fuzz` and `just fuzz-long` (scripts/fuzz-long.sh) run targets through this.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz-run.sh TARGET [LIBFUZZER_FLAG...]}"
shift
mkdir -p "fuzz/corpus/$target"
flags=("$@")
dict="$PWD/fuzz/dicts/$target.dict"
if [ -f "$dict" ]; then flags+=("-dict=$dict"); fi
read -r -a build <<<"${FUZZ_BUILD_ARGS:-}"
exec cargo +nightly fuzz run -s "${FUZZ_SANITIZER:-address}" ${build[@]+"${build[@]}"} "$target" \
  "fuzz/corpus/$target" "fuzz/seeds/$target" -- "${flags[@]}"
