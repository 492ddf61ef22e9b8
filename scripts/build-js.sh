#!/usr/bin/env bash
# Builds the npm package entitle-core in bindings/js: entitle-wasm for wasm32-unknown-unknown, size-optimised,
# then the JavaScript glue and TypeScript declarations with wasm-bindgen-cli (--target web, which Node
# loads too) into bindings/js/pkg. Prints the .wasm's size, raw and gzipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_PROFILE_RELEASE_LTO=true
export CARGO_PROFILE_RELEASE_OPT_LEVEL=s
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
cargo build --quiet -p entitle-wasm --target wasm32-unknown-unknown --release
target="${CARGO_TARGET_DIR:-target}"
rm -rf bindings/js/pkg
wasm-bindgen --target web --out-dir bindings/js/pkg "$target/wasm32-unknown-unknown/release/entitle_wasm.wasm"
wasm=bindings/js/pkg/entitle_wasm_bg.wasm
echo "entitle_wasm_bg.wasm: $(wc -c < "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) gzipped"
