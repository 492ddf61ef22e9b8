#!/usr/bin/env bash
# Checks that entitle-core stays pure: no_std, no std anywhere, and only serde, strum and thiserror
# (without their std or default features) as normal dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "core-purity: $*" >&2; exit 1; }

grep -q '^#!\[no_std\]' crates/core/src/lib.rs || fail "crates/core/src/lib.rs lacks #![no_std]"

if hits=$(grep -rnw 'std' crates/core/src); then
  fail "the core mentions std:"$'\n'"$hits"
fi

direct=$(cargo tree -p entitle-core -e normal --depth 1 --prefix none --format '{p}' \
  | awk 'NR > 1 { print $1 }' | sort -u)
unexpected=$(comm -23 <(echo "$direct") <(printf '%s\n' serde strum thiserror))
[ -z "$unexpected" ] || fail "unexpected direct dependencies of entitle-core: $unexpected"

# Crates linked into the core at run time (proc macros only run at build time).
runtime=$(cargo tree -p entitle-core -e normal,no-proc-macro --prefix none --format '{p}' \
  | awk '{ print $1 }' | sort -u)
allowed=$(printf '%s\n' entitle-core serde serde_core strum thiserror | sort)
unexpected=$(comm -23 <(echo "$runtime") <(echo "$allowed"))
[ -z "$unexpected" ] || fail "unexpected crates linked into entitle-core: $unexpected"

features=$(cargo tree -p entitle-core -e normal,features --prefix none \
  | grep -E '^(serde|serde_core|strum|thiserror) feature "(std|default)"' || true)
[ -z "$features" ] || fail "std or default features enabled in the core's dependencies: $features"

echo "core-purity: entitle-core is no_std and depends only on: $(echo "$direct" | tr '\n' ' ')"
